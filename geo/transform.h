/* transform.h - coordinate transformation with PROJ, and validation of given coordinates.
 *
 * One PJ_CONTEXT and one PJ per OpenMP thread (PROJ objects are not thread-safe); network
 * access is off, so PROJ uses the grids installed locally: with OSTN15
 * (uk_os_OSTN15_NTv2_OSGBtoETRS.tif) WGS 84 -> British National Grid is accurate to ~1 m,
 * without it PROJ falls back to a Helmert transformation (~2 m in Kent). Which one was used
 * is reported in hs_transform_info. Results are bit-identical at any thread count.
 */
#ifndef HS_GEO_TRANSFORM_H
#define HS_GEO_TRANSFORM_H

#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hs_transform_info {
    char operation[256];    /* name of the coordinate operation PROJ used for the first point */
    double accuracy_m;      /* its stated accuracy in metres; -1 when unknown */
    int grid_used;          /* 1 when it uses a grid file (e.g. OSTN15), else 0 */
    int ostn15_available;   /* 1 when PROJ finds the OSTN15 grid file */
} hs_transform_info;

/* Transform n points from src_crs to dst_crs (anything PROJ accepts: "EPSG:4326", WKT...),
 * with traditional GIS axis order (x = longitude/easting). in_x/in_y may equal out_x/out_y.
 * Points whose input is NaN give NaN. Points PROJ cannot transform give NaN and are counted
 * in *failed (may be NULL). info may be NULL. Fails with HS_EDEP when PROJ cannot build the
 * transformation (unknown CRS, missing proj.db). Parallel over points. */
hs_status hs_transform_points(const char *src_crs, const char *dst_crs, const double *in_x,
                              const double *in_y, double *out_x, double *out_y, size_t n,
                              size_t *failed, hs_transform_info *info, hs_error *err);

/* Area of use of a CRS as a longitude/latitude box (degrees). Returns HS_OK or HS_EDEP. */
hs_status hs_crs_area_of_use(const char *crs, double *west, double *south, double *east,
                             double *north, hs_error *err);

/* 1 when the CRS is geographic (degrees), 0 when projected; -1 when PROJ does not know it. */
int hs_crs_is_geographic(const char *crs);

/* ---- point memo ------------------------------------------------------------------------
 * Results remembered per point, keyed by the exact bits of (x, y): police.uk moves every
 * incident onto one of a fixed set of snap points, so per-point work (PROJ, GEOS) is done
 * once per distinct point. A memo of 2 n slots or more (at most 65,536) with eight probes;
 * when a probe window is full a remembered point is forgotten (the caller recomputes it, so
 * a result never depends on what the memo holds). When fewer than 1 in 8 of a window of
 * 4,096 look-ups find their point, the points hardly repeat there and the memo pauses (it
 * would only cost time) for one window's look-ups, then tries again; each further window in
 * a row that fails doubles the pause (up to 64 windows), a window that succeeds resets it.
 * One memo per thread: not thread-safe. */
typedef struct hs_memo_slot {
    uint64_t x, y;   /* bits of the point; x = UINT64_MAX (a NaN, never a key) when empty */
    double value[2]; /* the caller's result for it */
} hs_memo_slot;

typedef struct hs_point_memo {
    hs_memo_slot *slot; /* the slots */
    size_t mask;        /* slots - 1 (slots is a power of two) */
    size_t lookups;     /* look-ups in the current window of 4,096 */
    size_t hits;        /* of those, found */
    size_t paused;      /* look-ups left to answer with NULL: points did not repeat */
    size_t pause;       /* windows the next pause lasts */
} hs_point_memo;

/* Make an empty memo for a run over about n points. Fails with HS_ENOMEM. */
hs_status hs_point_memo_init(hs_point_memo *m, size_t n);
/* Free it; m may be NULL. */
void hs_point_memo_free(hs_point_memo *m);
/* The result slot of point (x, y) (neither NaN). *hit = 1 when it holds (x, y)'s result;
 * else *hit = 0 and the slot now belongs to (x, y): the caller stores the result in it.
 * NULL (and *hit = 0) while the memo pauses: the caller computes the result itself. */
double *hs_point_memo_get(hs_point_memo *m, double x, double y, int *hit);

#endif

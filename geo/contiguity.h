/* contiguity.h - queen and rook contiguity of polygons (wards) with GEOS, as neighbour lists
 * (CSR) for engine/weights.
 *
 * Input: n polygons or multipolygons as WKB in a projected CRS in metres (EPSG:27700), e.g.
 * hs_wards.wkb / wkb_size. Invalid polygons (the published Canterbury BGC file has one
 * self-intersecting ward, Heron) are repaired first with GEOSMakeValidWithParams (method
 * STRUCTURE, collapsed parts dropped) and reported.
 *
 * Rules, with a snapping tolerance tol (default HS_CONTIGUITY_DEFAULT_SNAP_M = 1 m) so the
 * slivers and tiny gaps of real boundary files still make neighbours:
 *   - queen: the two polygons come within tol of each other (any touching point);
 *   - rook:  they share a piece of boundary longer than tol, measured after snapping each
 *            polygon's vertices and edges to the other's within tol (GEOSSnap both ways):
 *            a corner touch has length 0, a shared edge (also across a sliver gap or
 *            overlap narrower than tol) its length.
 * tol = 0 gives exact topology (spdep poly2nb's behaviour with its default snap of
 * 1.5e-8 m for queen). Candidates come from a GEOS STRtree over envelopes grown by tol, so
 * the cost is O(n log n) plus a few exact tests per ward.
 * The relation is symmetric; lists are sorted; no unit is its own neighbour. An empty
 * polygon or one farther than tol from every other is an island (empty row).
 *
 * One GEOS context (_r API), made and freed inside each call: thread-safe, but runs on one
 * thread. No statistics here.
 */
#ifndef HS_GEO_CONTIGUITY_H
#define HS_GEO_CONTIGUITY_H

#include "engine/status.h"
#include "engine/weights.h"

#include <stddef.h>
#include <stdint.h>

/* Default snapping tolerance, metres: well below the 20 m generalisation of ONS BGC
 * boundaries and any real ward's width, well above coordinate rounding and the sub-metre
 * slivers between independently digitised boundaries. */
#define HS_CONTIGUITY_DEFAULT_SNAP_M 1.0

typedef enum hs_contiguity_rule {
    HS_CONTIGUITY_QUEEN = 0, /* any touching point (within tol) */
    HS_CONTIGUITY_ROOK       /* a shared boundary longer than tol */
} hs_contiguity_rule;

typedef struct hs_contiguity_params {
    hs_contiguity_rule rule; /* queen (default) or rook */
    double snap_tolerance_m; /* tol, metres, >= 0; default HS_CONTIGUITY_DEFAULT_SNAP_M */
} hs_contiguity_params;

typedef struct hs_contiguity_report {
    size_t n_repaired;         /* polygons that were invalid and were repaired */
    size_t first_repaired;     /* index of the first of them; SIZE_MAX when none */
    char repaired_reason[256]; /* GEOS's reason for the first ("Self-intersection[x y]") */
    size_t n_islands;          /* polygons with no neighbour */
    size_t first_island;       /* index of the first island; SIZE_MAX when none */
    size_t n_links;            /* neighbour pairs, each counted once */
} hs_contiguity_report;

/* Defaults: queen, HS_CONTIGUITY_DEFAULT_SNAP_M. */
void hs_contiguity_params_default(hs_contiguity_params *p);

/* Neighbour lists of the n polygons wkb[i] (wkb_size[i] bytes): on success *row_ptr (n + 1
 * entries) and *cols (row_ptr[n] entries) are malloc'd and owned by the caller (free()).
 * rep may be NULL. Fails with HS_EINVAL (bad params), HS_EDATA (unreadable WKB, or not a
 * polygon or multipolygon: err->row = index + 1), HS_EDEP (GEOS failed; its message is in
 * err), HS_ENOMEM. */
hs_status hs_contiguity_neighbours(const unsigned char *const *wkb, const size_t *wkb_size,
                                   size_t n, const hs_contiguity_params *p, size_t **row_ptr,
                                   uint32_t **cols, hs_contiguity_report *rep, hs_error *err);

/* The same, turned into weights with wp (binary or row-standardised; include_self for Gi*).
 * *out is owned by the caller (hs_weights_destroy). */
hs_status hs_contiguity_weights(const unsigned char *const *wkb, const size_t *wkb_size, size_t n,
                                const hs_contiguity_params *p, const hs_weights_params *wp,
                                hs_weights **out, hs_contiguity_report *rep, hs_error *err);

#endif

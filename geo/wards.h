/* wards.h - the study area's ward polygons, and point-in-polygon ward assignment.
 *
 * Wards are read with OGR from any vector source, transformed to the job CRS, repaired with
 * GEOSMakeValid when invalid (and reported), and kept as WKB. Assignment runs in parallel:
 * each OpenMP thread has its own GEOS context, geometries, STRtree and prepared polygons
 * (GEOS 3.11 builds both lazily, so sharing them would race).
 *
 * Border rule: a point covered by several wards (on a shared edge or corner) goes to the
 * ward that comes first in the ward layer's order (the lowest index). Points covered by no
 * ward are outside the study area (-1).
 */
#ifndef HS_GEO_WARDS_H
#define HS_GEO_WARDS_H

#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hs_wards {
    size_t n;               /* number of wards */
    char **code;            /* ward code, e.g. E05010410 (owned) */
    char **name;            /* ward name (owned) */
    double *population;     /* residents, NaN when the layer has no population field */
    double *area_km2;       /* area of the (repaired) polygon, km2 */
    double *centroid_x;     /* centroid (job CRS), metres */
    double *centroid_y;     /* centroid (job CRS), metres */
    unsigned char **wkb;    /* valid polygon or multipolygon in the job CRS, ISO WKB (owned) */
    size_t *wkb_size;       /* bytes of each wkb */
    double xmin, ymin;      /* extent of all wards, metres */
    double xmax, ymax;      /* extent of all wards, metres */
    size_t nrepaired;       /* wards that were invalid and repaired */
    char repaired[512];     /* their codes and the GEOS reason, for logs and run_info */
    char crs[64];           /* the job CRS the polygons are in */
} hs_wards;

typedef struct hs_wards_params {
    const char *layer;            /* layer name; NULL = the first layer */
    const char *code_field;       /* ward code field (required) */
    const char *name_field;       /* ward name field; NULL = use the code */
    const char *population_field; /* population field; NULL = none */
    const char *crs;              /* job CRS, e.g. "EPSG:27700" */
} hs_wards_params;

/* Read the wards at path. Fails with HS_EDATA naming the file, the feature and what was
 * expected (missing field, empty or non-polygon geometry, duplicate code, no features) and
 * with HS_EDEP when the layer's CRS cannot be transformed. Not thread-safe (GDAL). */
hs_status hs_wards_read(const char *path, const hs_wards_params *p, hs_wards *w, hs_error *err);

/* Free everything; w may be NULL. */
void hs_wards_free(hs_wards *w);

/* For each of the n points, the index of the ward covering it, or -1. Points with a NaN
 * coordinate get -1. ward_out has n slots (caller-allocated). Parallel; byte-identical at
 * any thread count. Fails with HS_EDEP when GEOS cannot read the stored polygons. */
hs_status hs_wards_assign(const hs_wards *w, const double *x, const double *y, size_t n,
                          int32_t *ward_out, hs_error *err);

#endif

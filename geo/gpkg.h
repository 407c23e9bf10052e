/* gpkg.h - the run's GeoPackage: written to a temporary file beside the target and renamed
 * over it only when complete, so the target is always either the complete new file or the
 * untouched old one.
 *
 * Layers are written through OGR's GPKG driver (spatial index, gpkg_contents descriptions,
 * field descriptions in gpkg_data_columns). Rasters are appended by path after
 * hs_gpkg_close_dataset (see raster.h). Not thread-safe: one thread writes a file.
 */
#ifndef HS_GEO_GPKG_H
#define HS_GEO_GPKG_H

#include "engine/grid.h"
#include "engine/status.h"
#include "geo/incidents.h"
#include "geo/wards.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hs_gpkg hs_gpkg;
typedef struct hs_gpkg_layer hs_gpkg_layer;

typedef enum hs_field_type {
    HS_FIELD_INT,    /* 64-bit integer */
    HS_FIELD_REAL,   /* double */
    HS_FIELD_STRING  /* UTF-8 text */
} hs_field_type;

typedef enum hs_geom_kind {
    HS_GEOM_NONE,    /* attribute table */
    HS_GEOM_POINT,   /* points */
    HS_GEOM_POLYGON  /* (multi)polygons */
} hs_geom_kind;

typedef struct hs_field_def {
    const char *name;        /* field name */
    hs_field_type type;      /* its type */
    const char *description; /* shown by QGIS; may be NULL */
} hs_field_def;

typedef struct hs_value {
    int is_null;     /* 1 = NULL */
    int64_t i;       /* HS_FIELD_INT value */
    double d;        /* HS_FIELD_REAL value */
    const char *s;   /* HS_FIELD_STRING value (not owned) */
} hs_value;

/* Start writing the GeoPackage that will replace final_path (its parent folders are
 * created). Features are in crs (e.g. "EPSG:27700"). Fails with HS_EIO (cannot create the
 * folder or the temporary file) or HS_EDEP (no GPKG driver). */
hs_status hs_gpkg_create(const char *final_path, const char *crs, hs_gpkg **out, hs_error *err);

/* Call fn(user, n) as features are written (every 1,024 features, n of them), for progress
 * bars; NULL removes it. Owner thread only. */
void hs_gpkg_set_progress(hs_gpkg *g, void (*fn)(void *user, size_t n), void *user);

/* The temporary file being written (for appending rasters after close_dataset). */
const char *hs_gpkg_temp_path(const hs_gpkg *g);
/* The target path. */
const char *hs_gpkg_final_path(const hs_gpkg *g);
/* The open GDAL dataset (GDALDatasetH), or NULL after hs_gpkg_close_dataset. */
void *hs_gpkg_dataset(hs_gpkg *g);

/* Create a layer with the given fields; its features are added in one transaction until
 * hs_gpkg_layer_finish. Only one layer is open at a time. */
hs_status hs_gpkg_layer_create(hs_gpkg *g, const char *name, hs_geom_kind kind,
                               const char *description, const hs_field_def *fields,
                               size_t nfields, hs_gpkg_layer **out, hs_error *err);
/* Add a feature: values[nfields]; for points x,y; for polygons ISO WKB (wkb, wkb_size);
 * unused geometry arguments are ignored. */
hs_status hs_gpkg_layer_add(hs_gpkg_layer *l, const hs_value *values, double x, double y,
                            const unsigned char *wkb, size_t wkb_size, hs_error *err);
/* Commit the layer's transaction and free l. */
hs_status hs_gpkg_layer_finish(hs_gpkg_layer *l, hs_error *err);

/* The standard layers of DESIGN.md. group_names[ngroups] name the category groups. */
hs_status hs_gpkg_write_incidents(hs_gpkg *g, const hs_incidents *t, const hs_wards *w,
                                  const char *const *group_names, size_t ngroups,
                                  hs_error *err);
hs_status hs_gpkg_write_failures(hs_gpkg *g, const hs_incidents *t, hs_error *err);
/* counts as from hs_aggregate_wards: nwards x (1 + ngroups). */
hs_status hs_gpkg_write_wards(hs_gpkg *g, const hs_wards *w, const int64_t *counts,
                              const char *const *group_names, size_t ngroups, hs_error *err);
hs_status hs_gpkg_write_run_info(hs_gpkg *g, const char *const *keys,
                                 const char *const *values, size_t n, hs_error *err);

/* Close the vector dataset (to append rasters by path). */
hs_status hs_gpkg_close_dataset(hs_gpkg *g, hs_error *err);
/* Finish: close, then rename the temporary file over the target. Frees g in all cases. */
hs_status hs_gpkg_commit(hs_gpkg *g, hs_error *err);
/* Give up: close and delete the temporary file; the target is untouched. g may be NULL. */
void hs_gpkg_abort(hs_gpkg *g);

/* Create the folders of path's parent ("a/b/c.gpkg" -> a/, a/b/). HS_EIO on failure. */
hs_status hs_make_parent_dirs(const char *path, hs_error *err);

/* Name the temporary sibling of path: "<dir>/.<file>.tmp-<pid><ext>" into buf. */
void hs_temp_sibling(const char *path, const char *ext, char *buf, size_t n);

/* Size of the ISO WKB of one grid cell square (a polygon of one ring of 5 points). */
#define HS_CELL_WKB_SIZE 93

/* The ISO WKB (host byte order) of the square of cell (row, col) of g (row 0 north), exterior
 * ring counter-clockwise, into out. */
void hs_grid_cell_wkb(const hs_grid *g, size_t row, size_t col, unsigned char out[HS_CELL_WKB_SIZE]);

#endif

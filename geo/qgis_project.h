/* qgis_project.h - a QGIS project that opens every layer of the run's GeoPackage, styled and
 * in a useful order: written beside the GeoPackage (.qgs) and stored inside it (table
 * qgis_projects), so an analyst double-clicks one file and sees the map.
 *
 * What QGIS 3.22 itself writes (checked with QgsProject.write on a .qgs and on
 * 'geopackage:/path.gpkg?projectName=x'): layers as "./NAME.gpkg|layername=LAYER" (ogr) and
 * "GPKG:./NAME.gpkg:TABLE" (gdal rasters), relative to the project file, or for a project
 * stored in a GeoPackage relative to that GeoPackage's folder; the table qgis_projects(name
 * TEXT PRIMARY KEY, metadata BLOB, content BLOB) holds in `content` the .qgz (a zip holding one
 * .qgs) as hexadecimal text and in `metadata` JSON with last_modified_time/_user.
 *
 * Drawing order, top first: incidents, patrol_areas, hotspot_areas, grid_<group>,
 * wards_<group>, wards, other vector layers, attribute tables, kde_<group> rasters.
 * No statistics. Not thread-safe on one dataset.
 */
#ifndef HS_GEO_QGIS_PROJECT_H
#define HS_GEO_QGIS_PROJECT_H

#include "engine/status.h"

#include <gdal.h>
#include <stddef.h>

typedef enum hs_qgis_kind {
    HS_QGIS_VECTOR, /* a feature or attribute table (ogr provider) */
    HS_QGIS_RASTER  /* a raster table (gdal provider) */
} hs_qgis_kind;

typedef struct hs_qgis_layer {
    const char *name;  /* table name in the GeoPackage */
    hs_qgis_kind kind; /* vector or raster */
    const char *qml;   /* style document to embed (hs_style_qml), or NULL for QGIS's default */
    int hidden;        /* 1: listed but unchecked (not drawn) when the project opens */
} hs_qgis_layer;

/* Place of a layer in the drawing order (0 = top), from its name as in DESIGN.md. */
int hs_qgis_layer_order(const char *name, hs_qgis_kind kind);

/* The .qgs document for layers of the GeoPackage whose file name (no folder) is gpkg_name, in
 * CRS crs (anything OSRSetFromUserInput takes, e.g. "EPSG:27700"), with title. Layers are
 * sorted by hs_qgis_layer_order (stable). *xml receives the text (free()). Fails with
 * HS_EINVAL (unknown CRS, malformed style document), HS_ENOMEM. Thread-safe. */
hs_status hs_qgis_project_xml(const char *gpkg_name, const char *crs, const char *title,
                              const hs_qgis_layer *layers, size_t n, char **xml, hs_error *err);

/* Write xml to path (written to path.tmp, then renamed over path). HS_EIO naming the file. */
hs_status hs_qgis_project_save(const char *path, const char *xml, hs_error *err);

/* Zip xml into a .qgz and store it as project `name` in ds's qgis_projects table (created when
 * missing; an older project of that name is replaced). ds is a GeoPackage open in update mode.
 * HS_EIO with GDAL's message on failure. */
hs_status hs_qgis_project_store(GDALDatasetH ds, const char *name, const char *xml, hs_error *err);

/* All of it: the document for the GeoPackage that will end up at gpkg_path (its final name,
 * not a temporary one), saved as DIR/NAME.qgs beside it and stored in ds as project NAME. */
hs_status hs_qgis_project_write(GDALDatasetH ds, const char *gpkg_path, const char *name,
                                const char *crs, const hs_qgis_layer *layers, size_t n,
                                hs_error *err);

#endif

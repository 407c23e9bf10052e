/* raster.h - write float rasters (GeoTIFF, GeoPackage gridded coverage) and turn label rasters
 * into polygons, with GDAL.
 *
 * The grid is an engine hs_grid (row 0 north); GDAL's geotransform is
 * (xmin_m, cell_m, 0, ymax_m, 0, -cell_m). Every function calls GDALAllRegister() itself,
 * silences GDAL's default error printing while it runs and copies GDAL's message into err.
 * GDAL handles are not shared between threads: call these from one thread at a time per
 * output file. No statistics are computed here beyond what GDAL's own band statistics do.
 */
#ifndef HS_GEO_RASTER_H
#define HS_GEO_RASTER_H

#include "engine/grid.h"
#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

/* CRS used when a crs argument is NULL or empty. */
#define HS_RASTER_DEFAULT_CRS "EPSG:27700"

/* Write hs_grid_size(g) floats as a Float32 GeoTIFF at path: tiled 256 x 256, DEFLATE with
 * PREDICTOR=3, nodata set, CRS crs (anything OGR's SetFromUserInput takes, e.g.
 * "EPSG:27700"; NULL = HS_RASTER_DEFAULT_CRS), band statistics (minimum, maximum, mean,
 * standard deviation of the non-nodata cells, computed by GDAL) stored in the file.
 * Written to "<path>.tmp" and renamed over path, so path is either the complete new file or
 * the untouched old one. HS_EINVAL for a bad grid or crs; HS_EIO naming the file and GDAL's
 * message when writing fails; HS_EDEP when the GTiff driver is missing. */
hs_status hs_raster_write_geotiff(const char *path, const hs_grid *g, const float *data,
                                  float nodata, const char *crs, hs_error *err);

/* Add hs_grid_size(g) floats as a Float32 raster table (GeoPackage 2D gridded coverage,
 * grid values at cell centres, TIFF tiles of 256 x 256) named table to the GeoPackage at
 * gpkg_path: appended when the file exists (its other tables are kept; close any open
 * handle on it first), a new GeoPackage otherwise. description goes into gpkg_contents
 * (may be NULL). Band statistics as for the GeoTIFF. QGIS and GDAL open it as
 * "GPKG:<gpkg_path>:<table>". HS_EINVAL for a bad grid, crs or table name (letters, digits
 * and '_', starting with a letter); HS_EIO with GDAL's message when writing fails (also when
 * the table exists). */
hs_status hs_raster_append_gpkg(const char *gpkg_path, const char *table, const char *description,
                                const hs_grid *g, const float *data, float nodata,
                                const char *crs, hs_error *err);

/* Polygons of a label raster (hs_grid_size(g) values, 0 = background, 1..nlabels = areas,
 * each area 4-connected as hs_hotarea_label makes them) with GDALPolygonize on an in-memory
 * raster. wkb and wkb_size: caller-allocated arrays of nlabels; wkb[i] gets a malloc'd
 * little-endian WKB MultiPolygon (usually of one part, holes kept) of label i + 1, in the
 * grid's CRS, and wkb_size[i] its length. Free them with hs_raster_wkb_free. On failure
 * every wkb[i] is NULL. HS_EINVAL for a grid of more than INT_MAX columns or rows; HS_EDEP /
 * HS_EINTERNAL with GDAL's message; HS_EDATA when a label in 1..nlabels has no cell. */
hs_status hs_raster_polygonize_labels(const hs_grid *g, const int32_t *labels, size_t nlabels,
                                      unsigned char **wkb, size_t *wkb_size, hs_error *err);

/* Free n WKB buffers from hs_raster_polygonize_labels and set them to NULL. wkb may be
 * NULL. */
void hs_raster_wkb_free(unsigned char **wkb, size_t n);

#endif

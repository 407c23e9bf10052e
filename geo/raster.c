/* raster.c - Float32 rasters to GeoTIFF / GeoPackage and label rasters to polygons, with GDAL
 * (see raster.h).
 *
 * Must not do analysis: band statistics (minimum, maximum, mean, standard deviation, as
 * GDALComputeRasterStatistics defines them) are taken from the array being written, polygons
 * come from GDALPolygonize. GDAL's messages are silenced
 * (CPLQuietErrorHandler) while these functions run and copied into hs_error instead.
 */
#include "geo/raster.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RASTER_BLOCK "256"

/* ---- GDAL plumbing ---------------------------------------------------------------------- */

static void gdal_enter(void)
{
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
}

static void gdal_leave(void)
{
    CPLPopErrorHandler();
}

/* Fill err with what failed and GDAL's last message. */
static hs_status gdal_fail(hs_error *err, hs_status code, const char *file, const char *what)
{
    const char *msg = CPLGetLastErrorMsg();
    return hs_error_set(err, code, file, 0, 0, "%s: %s", what,
                        msg != NULL && msg[0] != '\0' ? msg : "GDAL gave no further detail");
}

static hs_status check_grid(const hs_grid *g, hs_error *err)
{
    if (!(g->cell_m > 0.0) || g->nx == 0 || g->ny == 0 || g->nx > (size_t)INT_MAX ||
        g->ny > (size_t)INT_MAX)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "a raster needs a positive cell size and 1..%d columns and rows, got "
                            "cell %g m, %zu x %zu",
                            INT_MAX, g->cell_m, g->nx, g->ny);
    return HS_OK;
}

static void grid_geotransform(const hs_grid *g, double gt[6])
{
    gt[0] = g->xmin_m;
    gt[1] = g->cell_m;
    gt[2] = 0.0;
    gt[3] = g->ymax_m;
    gt[4] = 0.0;
    gt[5] = -g->cell_m;
}

/* The spatial reference of crs (NULL or "" = HS_RASTER_DEFAULT_CRS), easting first; release
 * with OSRDestroySpatialReference. It is handed to the dataset as an object: a WKT round trip
 * would have PROJ parse the WKT again (several ms). */
static hs_status crs_srs(const char *crs, OGRSpatialReferenceH *out, hs_error *err)
{
    const char *def = crs != NULL && crs[0] != '\0' ? crs : HS_RASTER_DEFAULT_CRS;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    *out = NULL;
    if (srs == NULL || OSRSetFromUserInput(srs, def) != OGRERR_NONE) {
        hs_status st = gdal_fail(err, HS_EINVAL, NULL, "unknown CRS");
        hs_error_prefix(err, "'%s' is not a CRS PROJ knows (expected e.g. EPSG:27700)", def);
        OSRDestroySpatialReference(srs);
        return st;
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    *out = srs;
    return HS_OK;
}

/* GDAL 3.6's GPKG driver stores a Float32 coverage's nodata (data_null) but reports
 * CE_Failure from GDALSetRasterNoDataValue: judge by reading the value back. */
static int set_nodata(GDALRasterBandH band, float nodata)
{
    GDALSetRasterNoDataValue(band, (double)nodata);
    int has = 0;
    double got = GDALGetRasterNoDataValue(band, &has);
    CPLErrorReset();
    return has && got == (double)nodata;
}

/* Cells per chunk of the statistics: partial sums are kept per fixed chunk and added in
 * chunk order, so the statistics (and the file) do not depend on the thread count. */
#define STATS_CHUNK 65536

typedef struct stats_part {
    double min, max, sum, ss; /* of the chunk's valid cells; ss: squares about the mean */
    size_t count;
} stats_part;

static int cell_valid(float v, float nodata)
{
    return v != nodata && !isnan(v);
}

/* Band statistics (minimum, maximum, mean and population standard deviation of the cells
 * that are not nodata or NaN, as GDALComputeRasterStatistics defines them), computed from
 * the array in memory rather than by reading the compressed raster back. They are a display
 * aid: a raster without valid cells keeps none, without failing. */
static void store_statistics(GDALRasterBandH band, const float *data, size_t n, float nodata)
{
    size_t nchunks = (n + STATS_CHUNK - 1) / STATS_CHUNK;
    stats_part *part = calloc(nchunks ? nchunks : 1, sizeof *part);
    if (part == NULL)
        return;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < nchunks; k++) {
        size_t end = (k + 1) * STATS_CHUNK < n ? (k + 1) * STATS_CHUNK : n;
        stats_part p = {HUGE_VAL, -HUGE_VAL, 0.0, 0.0, 0};
        for (size_t i = k * STATS_CHUNK; i < end; i++) {
            if (!cell_valid(data[i], nodata))
                continue;
            double v = data[i];
            p.min = v < p.min ? v : p.min;
            p.max = v > p.max ? v : p.max;
            p.sum += v;
            p.count++;
        }
        part[k] = p;
    }
    stats_part all = {HUGE_VAL, -HUGE_VAL, 0.0, 0.0, 0};
    for (size_t k = 0; k < nchunks; k++) {
        all.min = part[k].min < all.min ? part[k].min : all.min;
        all.max = part[k].max > all.max ? part[k].max : all.max;
        all.sum += part[k].sum;
        all.count += part[k].count;
    }
    if (all.count == 0) {
        free(part);
        return;
    }
    double mean = all.sum / (double)all.count;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < nchunks; k++) {
        size_t end = (k + 1) * STATS_CHUNK < n ? (k + 1) * STATS_CHUNK : n;
        double ss = 0.0;
        for (size_t i = k * STATS_CHUNK; i < end; i++)
            if (cell_valid(data[i], nodata))
                ss += ((double)data[i] - mean) * ((double)data[i] - mean);
        part[k].ss = ss;
    }
    for (size_t k = 0; k < nchunks; k++)
        all.ss += part[k].ss;
    free(part);
    if (GDALSetRasterStatistics(band, all.min, all.max, mean, sqrt(all.ss / (double)all.count)) !=
        CE_None)
        CPLErrorReset();
    char pct[32];
    snprintf(pct, sizeof pct, "%.4g", 100.0 * (double)all.count / (double)n); /* as GDAL writes it */
    GDALSetMetadataItem(band, "STATISTICS_VALID_PERCENT", pct, NULL);
}

/* Write the cells one row of blocks at a time, flushing each: the blocks reach the file in
 * the same order whatever the size of GDAL's block cache (GDAL_CACHEMAX), so the file's bytes
 * do not depend on the machine. 1 on success. */
static int write_cells(GDALRasterBandH band, const hs_grid *g, const float *data)
{
    int bx = 0, by = 0;
    GDALGetBlockSize(band, &bx, &by);
    size_t step = by > 0 ? (size_t)by : g->ny;
    for (size_t r0 = 0; r0 < g->ny; r0 += step) {
        size_t rows = g->ny - r0 < step ? g->ny - r0 : step;
        if (GDALRasterIO(band, GF_Write, 0, (int)r0, (int)g->nx, (int)rows,
                         (void *)(data + r0 * g->nx), (int)g->nx, (int)rows, GDT_Float32, 0,
                         0) != CE_None ||
            GDALFlushRasterCache(band) != CE_None)
            return 0;
    }
    return 1;
}

/* Create path with driver and options, georeference it, write the floats, store statistics
 * and close; HS_EIO naming path on any failure. */
static hs_status write_float_raster(const char *driver_name, const char *path,
                                    CSLConstList options, const hs_grid *g, const float *data,
                                    float nodata, OGRSpatialReferenceH srs, hs_error *err)
{
    GDALDriverH drv = GDALGetDriverByName(driver_name);
    if (drv == NULL)
        return hs_error_set(err, HS_EDEP, path, 0, 0, "GDAL has no %s driver", driver_name);
    GDALDatasetH ds =
        GDALCreate(drv, path, (int)g->nx, (int)g->ny, 1, GDT_Float32, (char **)options);
    if (ds == NULL)
        return gdal_fail(err, HS_EIO, path, "cannot create the raster");
    double gt[6];
    grid_geotransform(g, gt);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    hs_status st = HS_OK;
    if (GDALSetGeoTransform(ds, gt) != CE_None || GDALSetSpatialRef(ds, srs) != CE_None ||
        !set_nodata(band, nodata))
        st = gdal_fail(err, HS_EIO, path, "cannot georeference the raster or set its nodata");
    else if (!write_cells(band, g, data))
        st = gdal_fail(err, HS_EIO, path, "cannot write the raster cells");
    else
        store_statistics(band, data, hs_grid_size(g), nodata);
    CPLErrorReset();
    GDALClose(ds);
    if (st == HS_OK && CPLGetLastErrorType() >= CE_Failure)
        st = gdal_fail(err, HS_EIO, path, "cannot finish writing the raster");
    return st;
}

/* ---- GeoTIFF ---------------------------------------------------------------------------- */

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void remove_file(const char *path)
{
    if (file_exists(path))
        unlink(path);
}

hs_status hs_raster_write_geotiff(const char *path, const hs_grid *g, const float *data,
                                  float nodata, const char *crs, hs_error *err)
{
    hs_status st = check_grid(g, err);
    if (st != HS_OK)
        return st;
    size_t len = strlen(path);
    char *tmp = malloc(len + 5);
    if (tmp == NULL)
        return hs_error_set(err, HS_ENOMEM, path, 0, 0, "out of memory");
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", 5);
    gdal_enter();
    OGRSpatialReferenceH srs = NULL;
    char **opt = NULL;
    st = crs_srs(crs, &srs, err);
    if (st != HS_OK)
        goto fail;
    opt = CSLSetNameValue(opt, "TILED", "YES");
    opt = CSLSetNameValue(opt, "BLOCKXSIZE", RASTER_BLOCK);
    opt = CSLSetNameValue(opt, "BLOCKYSIZE", RASTER_BLOCK);
    opt = CSLSetNameValue(opt, "COMPRESS", "DEFLATE");
    opt = CSLSetNameValue(opt, "PREDICTOR", "3");
    /* Level 1: about 2 % larger than the default 6 on KDE surfaces, and a third faster. */
    opt = CSLSetNameValue(opt, "ZLEVEL", "1");
    opt = CSLSetNameValue(opt, "BIGTIFF", "IF_SAFER");
    /* Tiles are compressed in parallel and written in order: the file does not depend on it. */
    char threads[16];
    snprintf(threads, sizeof threads, "%d", omp_get_max_threads());
    opt = CSLSetNameValue(opt, "NUM_THREADS", threads);
    remove_file(tmp);
    st = write_float_raster("GTiff", tmp, (CSLConstList)opt, g, data, nodata, srs, err);
    if (st == HS_OK && rename(tmp, path) != 0)
        st = hs_error_set(err, HS_EIO, path, 0, 0, "cannot move the finished raster %s into place",
                          tmp);
    if (st != HS_OK)
        remove_file(tmp);
fail:
    CSLDestroy(opt);
    OSRDestroySpatialReference(srs);
    gdal_leave();
    free(tmp);
    return st;
}

/* ---- GeoPackage ------------------------------------------------------------------------- */

static int table_name_ok(const char *t)
{
    if (t == NULL || !((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
        return 0;
    for (const char *c = t; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_'))
            return 0;
    return 1;
}

hs_status hs_raster_append_gpkg(const char *gpkg_path, const char *table, const char *description,
                                const hs_grid *g, const float *data, float nodata,
                                const char *crs, hs_error *err)
{
    hs_status st = check_grid(g, err);
    if (st != HS_OK)
        return st;
    if (!table_name_ok(table))
        return hs_error_set(err, HS_EINVAL, gpkg_path, 0, 0,
                            "raster table name '%s' must start with a letter and hold only "
                            "letters, digits and '_'",
                            table ? table : "(null)");
    gdal_enter();
    OGRSpatialReferenceH srs = NULL;
    char **opt = NULL;
    st = crs_srs(crs, &srs, err);
    if (st != HS_OK)
        goto fail;
    if (file_exists(gpkg_path))
        opt = CSLSetNameValue(opt, "APPEND_SUBDATASET", "YES");
    opt = CSLSetNameValue(opt, "RASTER_TABLE", table);
    opt = CSLSetNameValue(opt, "RASTER_IDENTIFIER", table);
    if (description != NULL)
        opt = CSLSetNameValue(opt, "RASTER_DESCRIPTION", description);
    opt = CSLSetNameValue(opt, "BLOCKSIZE", RASTER_BLOCK);
    st = write_float_raster("GPKG", gpkg_path, (CSLConstList)opt, g, data, nodata, srs, err);
fail:
    CSLDestroy(opt);
    OSRDestroySpatialReference(srs);
    gdal_leave();
    return st;
}

/* ---- polygons of a label raster --------------------------------------------------------- */

void hs_raster_wkb_free(unsigned char **wkb, size_t n)
{
    if (wkb == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(wkb[i]);
        wkb[i] = NULL;
    }
}

/* In-memory Int32 raster holding the labels, georeferenced like g (*ds, close it even on
 * failure). */
static hs_status label_dataset(const hs_grid *g, const int32_t *labels, GDALDatasetH *ds,
                               hs_error *err)
{
    GDALDriverH drv = GDALGetDriverByName("MEM");
    *ds = drv ? GDALCreate(drv, "", (int)g->nx, (int)g->ny, 1, GDT_Int32, NULL) : NULL;
    if (*ds == NULL)
        return gdal_fail(err, HS_EDEP, NULL, "cannot create an in-memory label raster");
    double gt[6];
    grid_geotransform(g, gt);
    if (GDALSetGeoTransform(*ds, gt) != CE_None ||
        GDALRasterIO(GDALGetRasterBand(*ds, 1), GF_Write, 0, 0, (int)g->nx, (int)g->ny,
                     (void *)labels, (int)g->nx, (int)g->ny, GDT_Int32, 0, 0) != CE_None)
        return gdal_fail(err, HS_EINTERNAL, NULL, "cannot fill the in-memory label raster");
    return HS_OK;
}

/* In-memory polygon layer with an integer field "label" (*vds: its dataset, close it even on
 * failure). */
static hs_status label_layer(GDALDatasetH *vds, OGRLayerH *layer, hs_error *err)
{
    GDALDriverH drv = GDALGetDriverByName("Memory");
    *vds = drv ? GDALCreate(drv, "", 0, 0, 0, GDT_Unknown, NULL) : NULL;
    *layer = *vds ? GDALDatasetCreateLayer(*vds, "areas", NULL, wkbPolygon, NULL) : NULL;
    OGRFieldDefnH fld = OGR_Fld_Create("label", OFTInteger);
    int ok = *layer != NULL && fld != NULL && OGR_L_CreateField(*layer, fld, TRUE) == OGRERR_NONE;
    if (fld != NULL)
        OGR_Fld_Destroy(fld);
    return ok ? HS_OK : gdal_fail(err, HS_EDEP, NULL, "cannot create an in-memory polygon layer");
}

/* Gather the layer's polygons into one MultiPolygon per label (parts[label - 1]). */
static hs_status gather_parts(OGRLayerH layer, size_t nlabels, OGRGeometryH *parts,
                              hs_error *err)
{
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    hs_status st = HS_OK;
    while (st == HS_OK && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        int label = OGR_F_GetFieldAsInteger(f, 0);
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        if (label < 1 || (size_t)label > nlabels || geom == NULL)
            st = hs_error_set(err, HS_EINTERNAL, NULL, 0, 0,
                              "GDALPolygonize gave a polygon for label %d, expected 1..%zu", label,
                              nlabels);
        else if (parts[label - 1] == NULL &&
                 (parts[label - 1] = OGR_G_CreateGeometry(wkbMultiPolygon)) == NULL)
            st = gdal_fail(err, HS_ENOMEM, NULL, "cannot create a MultiPolygon");
        else if (OGR_G_AddGeometry(parts[label - 1], geom) != OGRERR_NONE)
            st = gdal_fail(err, HS_EINTERNAL, NULL, "cannot add a polygon to its area");
        OGR_F_Destroy(f);
    }
    return st;
}

static hs_status export_wkb(OGRGeometryH *parts, size_t nlabels, unsigned char **wkb,
                            size_t *wkb_size, hs_error *err)
{
    for (size_t i = 0; i < nlabels; i++) {
        if (parts[i] == NULL)
            return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                                "label %zu has no cell in the label raster; expected labels "
                                "1..%zu all present",
                                i + 1, nlabels);
        size_t n = (size_t)OGR_G_WkbSize(parts[i]);
        wkb[i] = malloc(n);
        if (wkb[i] == NULL)
            return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory for polygons");
        if (OGR_G_ExportToIsoWkb(parts[i], wkbNDR, wkb[i]) != OGRERR_NONE)
            return gdal_fail(err, HS_EINTERNAL, NULL, "cannot export a polygon as WKB");
        wkb_size[i] = n;
    }
    return HS_OK;
}

hs_status hs_raster_polygonize_labels(const hs_grid *g, const int32_t *labels, size_t nlabels,
                                      unsigned char **wkb, size_t *wkb_size, hs_error *err)
{
    for (size_t i = 0; i < nlabels; i++) {
        wkb[i] = NULL;
        wkb_size[i] = 0;
    }
    hs_status st = check_grid(g, err);
    if (st != HS_OK || nlabels == 0)
        return st;
    gdal_enter();
    GDALDatasetH rds = NULL, vds = NULL;
    OGRGeometryH *parts = calloc(nlabels, sizeof *parts);
    OGRLayerH layer = NULL;
    if (parts == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory for %zu areas", nlabels);
        goto fail;
    }
    st = label_dataset(g, labels, &rds, err);
    if (st == HS_OK)
        st = label_layer(&vds, &layer, err);
    if (st != HS_OK)
        goto fail;
    GDALRasterBandH band = GDALGetRasterBand(rds, 1);
    /* The band is its own mask: label 0 (background) makes no polygon. */
    if (GDALPolygonize(band, band, layer, 0, NULL, NULL, NULL) != CE_None) {
        st = gdal_fail(err, HS_EINTERNAL, NULL, "GDALPolygonize failed");
        goto fail;
    }
    st = gather_parts(layer, nlabels, parts, err);
    if (st == HS_OK)
        st = export_wkb(parts, nlabels, wkb, wkb_size, err);
fail:
    if (st != HS_OK)
        hs_raster_wkb_free(wkb, nlabels);
    for (size_t i = 0; parts != NULL && i < nlabels; i++)
        if (parts[i] != NULL)
            OGR_G_DestroyGeometry(parts[i]);
    free(parts);
    if (vds != NULL)
        GDALClose(vds);
    if (rds != NULL)
        GDALClose(rds);
    gdal_leave();
    return st;
}

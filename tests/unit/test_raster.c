/* test_raster.c - GeoTIFF and GeoPackage float rasters read back with GDAL (size,
 * georeferencing, nodata, CRS, compression, tiling, statistics, cells), the GeoPackage
 * checked by GDAL's validate_gpkg.py, and label rasters polygonised (areas, rings, extents
 * worked by hand). */
#include "engine/grid.h"
#include "geo/raster.h"
#include "tests/test_support.h"

#include <gdal.h>
#include <math.h>
#include <omp.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define ND (-9999.0f)

static void check_near(double got, double want, double tol, const char *expr, int line)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("line %d: %s = %.12g, expected %.12g within %g", line, expr, got, want, tol);
}
#define assert_near(got, want, tol) check_near((got), (want), (tol), #got, __LINE__)

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* 300 x 200 cells of 25 m at (600000, 160000): value row + col / 1000, nodata where
 * (row + col) % 97 == 0 (so cell (0,0) is nodata). Minimum 0.001 at (0,1); maximum 199.299
 * at (199, 299). */
static hs_grid test_grid(void)
{
    hs_grid g = {.xmin_m = 600000, .ymax_m = 160000, .cell_m = 25, .nx = 300, .ny = 200};
    return g;
}

static float *test_values(const hs_grid *g, float offset)
{
    float *v = malloc(hs_grid_size(g) * sizeof *v);
    assert_non_null(v);
    for (size_t r = 0; r < g->ny; r++)
        for (size_t c = 0; c < g->nx; c++)
            v[r * g->nx + c] =
                (r + c) % 97 == 0 ? ND : (float)((double)r + (double)c / 1000.0) + offset;
    return v;
}

/* Open name as a raster and check what every writer must give. */
static GDALDatasetH open_and_check(const char *name, const hs_grid *g, const float *want)
{
    GDALDatasetH ds = GDALOpen(name, GA_ReadOnly);
    assert_non_null(ds);
    assert_int_equal(GDALGetRasterXSize(ds), (int)g->nx);
    assert_int_equal(GDALGetRasterYSize(ds), (int)g->ny);
    double gt[6];
    assert_int_equal(GDALGetGeoTransform(ds, gt), CE_None);
    assert_true(gt[0] == g->xmin_m && gt[1] == g->cell_m && gt[2] == 0.0 &&
                gt[3] == g->ymax_m && gt[4] == 0.0 && gt[5] == -g->cell_m);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
    assert_non_null(srs);
    assert_string_equal(OSRGetAuthorityCode(srs, NULL), "27700");
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    assert_int_equal(GDALGetRasterDataType(b), GDT_Float32);
    int has = 0;
    assert_near(GDALGetRasterNoDataValue(b, &has), -9999.0, 0);
    assert_true(has);
    float *got = malloc(hs_grid_size(g) * sizeof *got);
    assert_non_null(got);
    assert_int_equal(GDALRasterIO(b, GF_Read, 0, 0, (int)g->nx, (int)g->ny, got, (int)g->nx,
                                  (int)g->ny, GDT_Float32, 0, 0),
                     CE_None);
    assert_memory_equal(got, want, hs_grid_size(g) * sizeof *got);
    free(got);
    /* Statistics stored with the raster (hotspot computes them from the cells; nodata
     * skipped). */
    const char *mn = GDALGetMetadataItem(b, "STATISTICS_MINIMUM", NULL);
    const char *mx = GDALGetMetadataItem(b, "STATISTICS_MAXIMUM", NULL);
    assert_non_null(mn);
    assert_non_null(mx);
    /* GDAL 3.6's GPKG driver reports the minimum and maximum over the tile ancillary rows of
     * every coverage in the file (not only this table's), so only bounds hold there; the
     * per-table rows are checked in test_gpkg_append_two_rasters. */
    if (strncmp(name, "GPKG:", 5) == 0) {
        assert_true(strtod(mn, NULL) <= (double)want[1] + 1e-6);
        assert_true(strtod(mx, NULL) >= (double)want[hs_grid_size(g) - 1] - 1e-4);
    } else {
        assert_near(strtod(mn, NULL), (double)want[1], 1e-6);
        assert_near(strtod(mx, NULL), (double)want[hs_grid_size(g) - 1], 1e-4);
    }
    return ds;
}

/* Minimum and maximum that the GeoPackage's tile ancillary table records for one coverage. */
static void check_tile_ancillary(const char *path, const char *table, double mn, double mx)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT MIN(min), MAX(max) FROM "
                                        "gpkg_2d_gridded_tile_ancillary WHERE tpudt_name = ?",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_near(sqlite3_column_double(q, 0), mn, 1e-6);
    assert_near(sqlite3_column_double(q, 1), mx, 1e-4);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void test_geotiff_round_trip(void **state)
{
    (void)state;
    const char *path = HS_TEST_TMP_DIR "/raster_test.tif";
    unlink(path);
    hs_grid g = test_grid();
    float *v = test_values(&g, 0.0f);
    hs_error err;
    if (hs_raster_write_geotiff(path, &g, v, ND, "EPSG:27700", &err) != HS_OK)
        fail_msg("%s", err.what);
    assert_false(exists(HS_TEST_TMP_DIR "/raster_test.tif.tmp"));
    assert_false(exists(HS_TEST_TMP_DIR "/raster_test.tif.aux.xml")); /* stats in the file */
    GDALAllRegister();
    GDALDatasetH ds = open_and_check(path, &g, v);
    /* The GeoTIFF also keeps mean and standard deviation (GDAL 3.6's GPKG driver keeps only
     * minimum and maximum, from its tile ancillary table). */
    assert_non_null(GDALGetMetadataItem(GDALGetRasterBand(ds, 1), "STATISTICS_MEAN", NULL));
    assert_non_null(GDALGetMetadataItem(GDALGetRasterBand(ds, 1), "STATISTICS_STDDEV", NULL));
    assert_string_equal(GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE"), "DEFLATE");
    assert_string_equal(GDALGetMetadataItem(ds, "PREDICTOR", "IMAGE_STRUCTURE"), "3");
    int bx, by;
    GDALGetBlockSize(GDALGetRasterBand(ds, 1), &bx, &by);
    assert_int_equal(bx, 256);
    assert_int_equal(by, 256);
    GDALClose(ds);

    /* Overwrite with new values; then a failing write (bad CRS) leaves that file alone. */
    float *v2 = test_values(&g, 1.0f);
    assert_int_equal(hs_raster_write_geotiff(path, &g, v2, ND, NULL, &err), HS_OK);
    assert_int_equal(hs_raster_write_geotiff(path, &g, v, ND, "EPSG:999999", &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "EPSG:999999"));
    ds = open_and_check(path, &g, v2);
    GDALClose(ds);
    /* A folder that does not exist: an output error naming the file. */
    assert_int_equal(hs_raster_write_geotiff(HS_TEST_TMP_DIR "/no/such/dir/x.tif", &g, v, ND,
                                             NULL, &err),
                     HS_EIO);
    assert_non_null(strstr(err.file, "x.tif"));
    free(v2);
    free(v);
}

/* A GeoPackage holding one point layer, as the job's writer leaves it before the rasters. */
static void make_vector_gpkg(const char *path)
{
    GDALAllRegister();
    unlink(path);
    GDALDatasetH ds =
        GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "incidents", srs, wkbPoint, NULL);
    assert_non_null(l);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(pt, 0, 605000, 158000);
    OGR_F_SetGeometryDirectly(f, pt);
    assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    OSRDestroySpatialReference(srs);
    GDALClose(ds);
}

/* The GeoTIFF's bytes do not depend on the thread count or on the size of GDAL's block cache
 * (written one row of blocks at a time), and its stored statistics equal what GDAL computes
 * from the file. 1100 x 900 cells: 3.8 MB, more than the 1 MB cache of the second write. */
static void test_geotiff_bytes_and_statistics(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 600000, .ymax_m = 170000, .cell_m = 10, .nx = 1100, .ny = 900};
    float *v = malloc(hs_grid_size(&g) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < hs_grid_size(&g); i++)
        v[i] = i % 101 == 0 ? ND : (float)sin((double)i * 1e-3) * 50.0f + 60.0f;
    const char *a = HS_TEST_TMP_DIR "/raster_bytes_a.tif";
    const char *b = HS_TEST_TMP_DIR "/raster_bytes_b.tif";
    hs_error err;
    omp_set_num_threads(2);
    assert_int_equal(hs_raster_write_geotiff(a, &g, v, ND, "EPSG:27700", &err), HS_OK);
    GIntBig cache = GDALGetCacheMax64();
    GDALSetCacheMax64(1 << 20);
    omp_set_num_threads(1);
    assert_int_equal(hs_raster_write_geotiff(b, &g, v, ND, "EPSG:27700", &err), HS_OK);
    GDALSetCacheMax64(cache);
    omp_set_num_threads(2);
    size_t la, lb;
    unsigned char *ba = hs_test_read(a, &la), *bb = hs_test_read(b, &lb);
    assert_non_null(ba);
    assert_non_null(bb);
    assert_int_equal(la, lb);
    assert_memory_equal(ba, bb, la);
    free(ba);
    free(bb);
    GDALDatasetH ds = GDALOpen(a, GA_ReadOnly);
    assert_non_null(ds);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    double stored[4] = {strtod(GDALGetMetadataItem(band, "STATISTICS_MINIMUM", NULL), NULL),
                        strtod(GDALGetMetadataItem(band, "STATISTICS_MAXIMUM", NULL), NULL),
                        strtod(GDALGetMetadataItem(band, "STATISTICS_MEAN", NULL), NULL),
                        strtod(GDALGetMetadataItem(band, "STATISTICS_STDDEV", NULL), NULL)};
    double gdal[4];
    assert_int_equal(GDALComputeRasterStatistics(band, FALSE, &gdal[0], &gdal[1], &gdal[2],
                                                 &gdal[3], NULL, NULL),
                     CE_None);
    for (int k = 0; k < 4; k++)
        assert_near(stored[k], gdal[k], 1e-9 * fabs(gdal[k]) + 1e-12);
    GDALClose(ds);
    unlink(a);
    unlink(b);
    free(v);
}

static void test_gpkg_append_two_rasters(void **state)
{
    (void)state;
    const char *path = HS_TEST_TMP_DIR "/raster_test.gpkg";
    make_vector_gpkg(path);
    hs_grid g = test_grid();
    float *v = test_values(&g, 0.0f), *v2 = test_values(&g, 2.0f);
    hs_error err;
    if (hs_raster_append_gpkg(path, "kde_asb", "KDE asb", &g, v, ND, "EPSG:27700", &err) != HS_OK)
        fail_msg("%s", err.what);
    assert_int_equal(hs_raster_append_gpkg(path, "kde_violence", NULL, &g, v2, ND, NULL, &err),
                     HS_OK);
    GDALDatasetH ds = open_and_check("GPKG:" HS_TEST_TMP_DIR "/raster_test.gpkg:kde_asb", &g, v);
    GDALClose(ds);
    ds = open_and_check("GPKG:" HS_TEST_TMP_DIR "/raster_test.gpkg:kde_violence", &g, v2);
    GDALClose(ds);
    /* Each coverage's own range: 0.001..199.299 and 2.001..201.299. */
    check_tile_ancillary(path, "kde_asb", (double)v[1], (double)v[hs_grid_size(&g) - 1]);
    check_tile_ancillary(path, "kde_violence", (double)v2[1], (double)v2[hs_grid_size(&g) - 1]);
    /* The vector layer is still there. */
    ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "incidents");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 1);
    GDALClose(ds);
    /* GDAL's own validator accepts the file. */
    assert_int_equal(system("/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg --extra "
                            HS_TEST_TMP_DIR "/raster_test.gpkg"),
                     0);
    /* The same table twice, or a bad name: errors. */
    assert_int_equal(hs_raster_append_gpkg(path, "kde_asb", NULL, &g, v, ND, NULL, &err), HS_EIO);
    assert_non_null(strstr(err.file, "raster_test.gpkg"));
    assert_int_equal(hs_raster_append_gpkg(path, "kde-asb", NULL, &g, v, ND, NULL, &err),
                     HS_EINVAL);
    free(v2);
    free(v);
}

static void test_gpkg_new_file(void **state)
{
    (void)state;
    const char *path = HS_TEST_TMP_DIR "/raster_new.gpkg";
    unlink(path);
    hs_grid g = test_grid();
    float *v = test_values(&g, 0.0f);
    assert_int_equal(hs_raster_append_gpkg(path, "kde_all", NULL, &g, v, ND, NULL, NULL), HS_OK);
    GDALDatasetH ds = open_and_check(path, &g, v);
    GDALClose(ds);
    free(v);
}

/* ---- polygons --------------------------------------------------------------------------- */

/* Decode wkb, check it is a MultiPolygon of one polygon with `rings` rings, and return its
 * area and envelope. */
static double polygon_of(const unsigned char *wkb, size_t n, int rings, OGREnvelope *env)
{
    OGRGeometryH geom = NULL;
    assert_int_equal(OGR_G_CreateFromWkb(wkb, NULL, &geom, (int)n), OGRERR_NONE);
    assert_int_equal(wkbFlatten(OGR_G_GetGeometryType(geom)), wkbMultiPolygon);
    assert_int_equal(OGR_G_GetGeometryCount(geom), 1);
    assert_int_equal(OGR_G_GetGeometryCount(OGR_G_GetGeometryRef(geom, 0)), rings);
    assert_true(OGR_G_IsValid(geom));
    OGR_G_GetEnvelope(geom, env);
    double a = OGR_G_Area(geom);
    OGR_G_DestroyGeometry(geom);
    return a;
}

static void test_polygonize_labels(void **state)
{
    (void)state;
    /* 10 m cells, west edge 1000, north edge 2000:
     *   1 1 0 2 2 2     label 1: a C of 6 cells, 600 m2, x 1000..1030, y 1970..2000
     *   1 0 0 2 0 2     label 2: a ring of 8 cells around a hole, 800 m2, two rings,
     *   1 1 1 2 2 2              x 1030..1060, y 1970..2000
     *   0 0 0 0 0 0     label 3: one cell, 100 m2, x 1000..1010, y 1950..1960
     *   3 0 0 0 0 0
     *   0 0 0 0 0 0 */
    const int32_t lab[36] = {1, 1, 0, 2, 2, 2, 1, 0, 0, 2, 0, 2, 1, 1, 1, 2, 2, 2,
                             0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    hs_grid g = {.xmin_m = 1000, .ymax_m = 2000, .cell_m = 10, .nx = 6, .ny = 6};
    unsigned char *wkb[3];
    size_t size[3];
    hs_error err;
    if (hs_raster_polygonize_labels(&g, lab, 3, wkb, size, &err) != HS_OK)
        fail_msg("%s", err.what);
    OGREnvelope e;
    assert_near(polygon_of(wkb[0], size[0], 1, &e), 600, 1e-9);
    assert_true(e.MinX == 1000 && e.MaxX == 1030 && e.MinY == 1970 && e.MaxY == 2000);
    assert_near(polygon_of(wkb[1], size[1], 2, &e), 800, 1e-9);
    assert_true(e.MinX == 1030 && e.MaxX == 1060 && e.MinY == 1970 && e.MaxY == 2000);
    assert_near(polygon_of(wkb[2], size[2], 1, &e), 100, 1e-9);
    assert_true(e.MinX == 1000 && e.MaxX == 1010 && e.MinY == 1950 && e.MaxY == 1960);
    hs_raster_wkb_free(wkb, 3);
    assert_null(wkb[0]);

    /* A label with no cell is an error, and nothing is handed back. */
    unsigned char *w4[4];
    size_t s4[4];
    assert_int_equal(hs_raster_polygonize_labels(&g, lab, 4, w4, s4, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "label 4"));
    for (int i = 0; i < 4; i++)
        assert_null(w4[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geotiff_round_trip),
        cmocka_unit_test(test_geotiff_bytes_and_statistics),
        cmocka_unit_test(test_gpkg_append_two_rasters),
        cmocka_unit_test(test_gpkg_new_file),
        cmocka_unit_test(test_polygonize_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

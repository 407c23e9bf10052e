/* test_gpkg.c - the atomic GeoPackage writer: a committed file replaces the old one; an
 * aborted write leaves the old file byte-identical and no temporary file behind; layers,
 * NULLs and descriptions come back through OGR; field descriptions in gpkg_data_columns. */
#include "geo/gpkg.h"
#include "tests/test_support.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    return 0;
}

static const hs_field_def fields[] = {
    {"name", HS_FIELD_STRING, "A name"},
    {"n", HS_FIELD_INT, "A count"},
    {"z", HS_FIELD_REAL, "A score"},
};

static hs_status write_points(const char *path, int rows, int abort_it)
{
    hs_gpkg *g;
    hs_error err;
    hs_status st = hs_gpkg_create(path, "EPSG:27700", &g, &err);
    if (st != HS_OK)
        return st;
    hs_gpkg_layer *l;
    st = hs_gpkg_layer_create(g, "pts", HS_GEOM_POINT, "test points", fields, 3, &l, &err);
    for (int i = 0; st == HS_OK && i < rows; i++) {
        hs_value v[3] = {{.s = "a"}, {.i = i}, {.d = 0.5 * i, .is_null = i == 1}};
        st = hs_gpkg_layer_add(l, v, 600000.0 + i, 150000.0, NULL, 0, &err);
    }
    if (st == HS_OK)
        st = hs_gpkg_layer_finish(l, &err);
    if (st != HS_OK || abort_it) {
        hs_gpkg_abort(g);
        return abort_it ? HS_OK : st;
    }
    return hs_gpkg_commit(g, &err);
}

static void test_commit_replaces_and_abort_keeps_old(void **state)
{
    (void)state;
    char dir[512], path[600];
    hs_test_tmp("gpkgdir/sub", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.gpkg", dir);
    /* Parent folders are created. */
    assert_int_equal(write_points(path, 3, 0), HS_OK);
    size_t len1;
    unsigned char *before = hs_test_read(path, &len1);
    assert_non_null(before);
    /* An aborted second write leaves the first file byte-identical. */
    assert_int_equal(write_points(path, 10, 1), HS_OK);
    size_t len2;
    unsigned char *after = hs_test_read(path, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(before, after, len1);
    char tmp[700];
    hs_temp_sibling(path, ".gpkg", tmp, sizeof tmp);
    assert_int_equal(access(tmp, F_OK), -1);
    free(before);
    free(after);
    /* A committed write replaces it. */
    assert_int_equal(write_points(path, 5, 0), HS_OK);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "pts");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 5);
    OGRFeatureH f = OGR_L_GetFeature(l, 2);
    assert_non_null(f);
    assert_int_equal(OGR_F_IsFieldNull(f, 2), 1);
    OGR_F_Destroy(f);
    f = OGR_L_GetFeature(l, 3);
    assert_float_equal(OGR_F_GetFieldAsDouble(f, 2), 1.0, 0);
    OGR_F_Destroy(f);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(l);
    assert_string_equal(OSRGetAuthorityCode(srs, NULL), "27700");
    /* Field descriptions in gpkg_data_columns (GeoPackage schema extension), registered. */
    OGRLayerH res = GDALDatasetExecuteSQL(
        ds,
        "SELECT column_name, description FROM gpkg_data_columns WHERE table_name = 'pts' "
        "ORDER BY column_name",
        NULL, NULL);
    assert_non_null(res);
    const char *want[3][2] = {{"n", "A count"}, {"name", "A name"}, {"z", "A score"}};
    for (int k = 0; k < 3; k++) {
        f = OGR_L_GetNextFeature(res);
        assert_non_null(f);
        assert_string_equal(OGR_F_GetFieldAsString(f, 0), want[k][0]);
        assert_string_equal(OGR_F_GetFieldAsString(f, 1), want[k][1]);
        OGR_F_Destroy(f);
    }
    assert_null(OGR_L_GetNextFeature(res));
    GDALDatasetReleaseResultSet(ds, res);
    res = GDALDatasetExecuteSQL(ds,
                                "SELECT COUNT(*) FROM gpkg_extensions WHERE extension_name = "
                                "'gpkg_schema' AND column_name IS NULL",
                                NULL, NULL);
    f = OGR_L_GetNextFeature(res);
    assert_int_equal(OGR_F_GetFieldAsInteger(f, 0), 2);
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, res);
    GDALClose(ds);
}

static void test_unwritable_folder_is_an_output_error(void **state)
{
    (void)state;
    hs_gpkg *g;
    hs_error err;
    assert_int_equal(hs_gpkg_create("/proc/hotspot-test/x.gpkg", "EPSG:27700", &g, &err),
                     HS_EIO);
    assert_non_null(strstr(err.file, "/proc/hotspot-test"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_replaces_and_abort_keeps_old),
        cmocka_unit_test(test_unwritable_folder_is_an_output_error),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* test_wards.c - ward polygons: reading, CRS transformation, repair of an invalid polygon,
 * the border rule (lowest index wins), outside points, and thread-count determinism. */
#include "geo/wards.h"
#include "tests/test_support.h"

#include <gdal.h>
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Two 1 km squares sharing the edge x = 1000 (EPSG:27700), and a bow-tie (self-crossing)
 * ward south of them. */
static const char *const wards_geojson =
    "{\"type\":\"FeatureCollection\","
    "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::27700\"}},"
    "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"W1\",\"name\":\"West\",\"pop\":1000},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1000,0],[1000,1000],[0,1000],"
    "[0,0]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"W2\",\"name\":\"East\",\"pop\":2000},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[1000,0],[2000,0],[2000,1000],"
    "[1000,1000],[1000,0]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"W3\",\"name\":\"Bow tie\",\"pop\":null},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,-1000],[1000,-2000],[1000,-1000],"
    "[0,-2000],[0,-1000]]]}}]}";

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    return 0;
}

static void read_fixture(hs_wards *w)
{
    char path[512];
    hs_test_tmp("wards.geojson", path, sizeof path);
    assert_int_equal(hs_test_write(path, wards_geojson, strlen(wards_geojson)), 0);
    hs_wards_params p = {.code_field = "code", .name_field = "name",
                         .population_field = "pop", .crs = "EPSG:27700"};
    hs_error err;
    hs_status st = hs_wards_read(path, &p, w, &err);
    if (st != HS_OK)
        fail_msg("%s", err.what);
}

static void test_read_and_repair(void **state)
{
    (void)state;
    hs_wards w;
    read_fixture(&w);
    assert_int_equal(w.n, 3);
    assert_string_equal(w.code[1], "W2");
    assert_string_equal(w.name[0], "West");
    assert_float_equal(w.population[1], 2000.0, 0.0);
    assert_true(isnan(w.population[2]));
    assert_float_equal(w.area_km2[0], 1.0, 1e-12);
    /* The bow-tie is repaired into its two triangles: 2 x (1000 x 500 / 2) m2 = 0.5 km2. */
    assert_int_equal(w.nrepaired, 1);
    assert_non_null(strstr(w.repaired, "W3"));
    assert_float_equal(w.area_km2[2], 0.5, 1e-12);
    assert_float_equal(w.xmax, 2000.0, 0.0);
    assert_float_equal(w.ymin, -2000.0, 0.0);
    hs_wards_free(&w);
}

static void test_border_rule_and_outside(void **state)
{
    (void)state;
    hs_wards w;
    read_fixture(&w);
    const double x[] = {500, 1500, 1000, 1000, 3000, NAN, 250, 0};
    const double y[] = {500, 500, 500, 1000, 500, 1, -1300, 0};
    int32_t out[8];
    hs_error err;
    assert_int_equal(hs_wards_assign(&w, x, y, 8, out, &err), HS_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    /* On the shared edge and the shared corner: the first ward in layer order. */
    assert_int_equal(out[2], 0);
    assert_int_equal(out[3], 0);
    assert_int_equal(out[4], -1);
    assert_int_equal(out[5], -1);
    /* Inside the left triangle of the repaired bow-tie. */
    assert_int_equal(out[6], 2);
    /* A corner on the district's outer boundary is covered. */
    assert_int_equal(out[7], 0);
    hs_wards_free(&w);
}

static void test_threads_give_identical_assignment(void **state)
{
    (void)state;
    hs_wards w;
    read_fixture(&w);
    enum { N = 50000 };
    static double x[N], y[N];
    static int32_t a1[N], a2[N], a4[N];
    for (size_t i = 0; i < N; i++) {
        /* A lattice that hits edges and corners often. */
        x[i] = -100.0 + (double)(i % 250) * 10.0;
        y[i] = -2100.0 + (double)(i / 250) * 20.0;
    }
    hs_error err;
    omp_set_num_threads(1);
    assert_int_equal(hs_wards_assign(&w, x, y, N, a1, &err), HS_OK);
    omp_set_num_threads(2);
    assert_int_equal(hs_wards_assign(&w, x, y, N, a2, &err), HS_OK);
    omp_set_num_threads(4);
    assert_int_equal(hs_wards_assign(&w, x, y, N, a4, &err), HS_OK);
    assert_memory_equal(a1, a2, sizeof a1);
    assert_memory_equal(a1, a4, sizeof a1);
    size_t inside = 0;
    for (size_t i = 0; i < N; i++)
        inside += a1[i] >= 0;
    assert_true(inside > 1000);
    omp_set_num_threads(omp_get_num_procs());
    hs_wards_free(&w);
}

static void test_errors_name_file_and_field(void **state)
{
    (void)state;
    char path[512];
    hs_test_tmp("wards2.geojson", path, sizeof path);
    assert_int_equal(hs_test_write(path, wards_geojson, strlen(wards_geojson)), 0);
    hs_wards w;
    hs_error err;
    hs_wards_params p = {.code_field = "WD20CD", .crs = "EPSG:27700"};
    assert_int_equal(hs_wards_read(path, &p, &w, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "'WD20CD'"));
    assert_non_null(strstr(err.file, "wards2.geojson"));
    assert_int_equal(hs_wards_read("/nonexistent.gpkg", &p, &w, &err), HS_EDATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_and_repair),
        cmocka_unit_test(test_border_rule_and_outside),
        cmocka_unit_test(test_threads_give_identical_assignment),
        cmocka_unit_test(test_errors_name_file_and_field),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

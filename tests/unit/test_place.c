/* test_place.c - PROJ transformation against the Ordnance Survey's worked example, and the
 * validation of given coordinates (swapped, outside the CRS area, NaN). */
#include "geo/place.h"
#include "geo/transform.h"

#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* OS "A guide to coordinate systems in Great Britain", Annex C worked example (Caister water
 * tower): OSGB36 52 39 27.2531 N, 1 43 4.5177 E -> E 651409.903, N 313177.270. */
static void test_os_worked_example(void **state)
{
    (void)state;
    double lat = 52.0 + 39.0 / 60 + 27.2531 / 3600, lon = 1.0 + 43.0 / 60 + 4.5177 / 3600;
    double x = lon, y = lat;
    hs_error err;
    assert_int_equal(hs_transform_points("EPSG:4277", "EPSG:27700", &x, &y, &x, &y, 1, NULL,
                                         NULL, &err),
                     HS_OK);
    assert_float_equal(x, 651409.903, 0.001);
    assert_float_equal(y, 313177.270, 0.001);
}

static void test_wgs84_to_bng_reports_operation(void **state)
{
    (void)state;
    double x = 1.0792, y = 51.2795;
    hs_transform_info info;
    hs_error err;
    assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", &x, &y, &x, &y, 1, NULL,
                                         &info, &err),
                     HS_OK);
    /* Canterbury city centre is near E 615000, N 157900. */
    assert_in_range((long)x, 614500, 615500);
    assert_in_range((long)y, 157400, 158400);
    assert_non_null(strstr(info.operation, "OSGB36 to WGS 84"));
    assert_true(info.accuracy_m > 0.0 && info.accuracy_m <= 2.0);
}

static void test_round_trip_and_threads(void **state)
{
    (void)state;
    enum { N = 20000 };
    static double lon[N], lat[N], x1[N], y1[N], x2[N], y2[N];
    for (size_t i = 0; i < N; i++) {
        lon[i] = 0.9 + 0.3 * (double)(i % 200) / 200.0;
        lat[i] = 51.2 + 0.15 * (double)(i / 200) / 100.0;
    }
    lon[7] = NAN;
    hs_error err;
    omp_set_num_threads(1);
    assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", lon, lat, x1, y1, N, NULL,
                                         NULL, &err),
                     HS_OK);
    omp_set_num_threads(2);
    assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", lon, lat, x2, y2, N, NULL,
                                         NULL, &err),
                     HS_OK);
    assert_memory_equal(x1, x2, sizeof x1);
    assert_memory_equal(y1, y2, sizeof y1);
    assert_true(isnan(x1[7]));
    /* Back again: within a micro-degree. */
    assert_int_equal(hs_transform_points("EPSG:27700", "EPSG:4326", x1, y1, x2, y2, N, NULL,
                                         NULL, &err),
                     HS_OK);
    for (size_t i = 0; i < N; i++) {
        if (i == 7)
            continue;
        assert_float_equal(x2[i], lon[i], 1e-6);
        assert_float_equal(y2[i], lat[i], 1e-6);
    }
    omp_set_num_threads(omp_get_num_procs());
}

static void test_unknown_crs_is_a_dependency_error(void **state)
{
    (void)state;
    double x = 1, y = 2;
    hs_error err;
    assert_int_equal(hs_transform_points("EPSG:999999", "EPSG:27700", &x, &y, &x, &y, 1, NULL,
                                         NULL, &err),
                     HS_EDEP);
    assert_non_null(strstr(err.what, "EPSG:999999"));
}

/* Points (gx, gy) transformed from input (ix, iy) equal (wx, wy) bit for bit, except that an
 * input with a NaN gives NaN in both outputs. */
static void assert_same_points(const double *ix, const double *iy, const double *gx,
                               const double *gy, const double *wx, const double *wy, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(ix[i]) || isnan(iy[i])) {
            assert_true(isnan(gx[i]) && isnan(gy[i]));
            continue;
        }
        assert_memory_equal(&gx[i], &wx[i], sizeof gx[i]);
        assert_memory_equal(&gy[i], &wy[i], sizeof gy[i]);
    }
}

/* Points already in the target CRS are copied, not transformed: the same bits as PROJ's own
 * no-op operation (reached here through a differently spelled CRS), NaN kept, and a CRS PROJ
 * does not know is still an error. */
static void test_same_crs_is_copied_exactly(void **state)
{
    (void)state;
    enum { N = 5 };
    const double x[N] = {612345.67, 600000.0, NAN, 615000.123456789, 1e-3};
    const double y[N] = {151234.56, 150000.0, 157000.0, NAN, 157900.987654321};
    double cx[N], cy[N], px[N], py[N];
    hs_transform_info info;
    hs_error err;
    size_t failed = 99;
    assert_int_equal(hs_transform_points("EPSG:27700", "EPSG:27700", x, y, cx, cy, N, &failed,
                                         &info, &err),
                     HS_OK);
    assert_int_equal(failed, 0);
    assert_same_points(x, y, cx, cy, x, y, N);
    assert_non_null(strstr(info.operation, "none"));
    assert_true(info.accuracy_m == 0.0);
    assert_int_equal(hs_transform_points("epsg:27700", "EPSG:27700", x, y, px, py, N, NULL, NULL,
                                         &err),
                     HS_OK);
    assert_same_points(x, y, px, py, cx, cy, N);
    assert_int_equal(hs_transform_points("EPSG:999999", "EPSG:999999", cx, cy, cx, cy, N, NULL,
                                         NULL, &err),
                     HS_EDEP);
    assert_non_null(strstr(err.what, "EPSG:999999"));
}

static void test_validation_of_given_coordinates(void **state)
{
    (void)state;
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    uint32_t s;
    assert_int_equal(hs_incidents_add_source(&t, "x.csv", "EPSG:4326", "police.uk", &s), HS_OK);
    const double pts[][2] = {{1.0792, 51.2795}, {51.2795, 1.0792}, {0.0, 0.0}, {NAN, NAN}};
    for (size_t k = 0; k < 4; k++) {
        size_t row;
        assert_int_equal(hs_incidents_append(&t, s, (int64_t)k + 1, 0, &row), HS_OK);
        t.in_x[row] = pts[k][0];
        t.in_y[row] = pts[k][1];
    }
    hs_place_stats ps;
    hs_error err;
    assert_int_equal(hs_place_by_coordinates(&t, "EPSG:27700", &ps, &err), HS_OK);
    assert_int_equal(ps.with_coordinates, 3);
    assert_int_equal(ps.placed, 1);
    assert_int_equal(ps.rejected, 2);
    assert_int_equal(t.state[0], HS_ROW_PLACED);
    assert_int_equal(t.method[0], HS_METHOD_COORDINATES);
    assert_int_equal(t.state[1], HS_ROW_FAILED);
    assert_non_null(strstr(hs_incidents_str(&t, t.reason, 1), "swapped"));
    assert_int_equal(t.state[2], HS_ROW_FAILED);
    assert_non_null(strstr(hs_incidents_str(&t, t.reason, 2), "outside the area of use"));
    /* No coordinates: left for the gazetteer. */
    assert_int_equal(t.state[3], HS_ROW_PENDING);
    hs_incidents_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_os_worked_example),
        cmocka_unit_test(test_wgs84_to_bng_reports_operation),
        cmocka_unit_test(test_round_trip_and_threads),
        cmocka_unit_test(test_unknown_crs_is_a_dependency_error),
        cmocka_unit_test(test_same_crs_is_copied_exactly),
        cmocka_unit_test(test_validation_of_given_coordinates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_hotarea.c - hot-area thresholds, connected labels and PAI, all worked by hand. */
#include "engine/grid.h"
#include "engine/hotarea.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define ND (-9999.0f)

/* cmocka's assert_float_equal compares in float; these checks need double. */
static void check_near(double got, double want, double tol, const char *expr, int line)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("line %d: %s = %.12g, expected %.12g within %g", line, expr, got, want, tol);
}
#define assert_near(got, want, tol) check_near((got), (want), (tol), #got, __LINE__)

static void test_mean_plus_k_sd(void **state)
{
    (void)state;
    /* Non-zero cells 1, 2, 3, 4, 10 (zeros and nodata skipped): mean 4, squared deviations
     * 9 + 4 + 1 + 0 + 36 = 50, population variance 10, sd 3.1622777.
     * k = 2: 10.324555, no cell above it. k = 1: 7.1622777, only the 10 is hot. */
    float v[8] = {0, 1, 2, 3, 4, 10, ND, 0};
    hs_hotarea_params p = hs_hotarea_params_default();
    float t;
    size_t m;
    assert_int_equal(hs_hotarea_threshold(&p, v, 8, ND, &t, &m, NULL), HS_OK);
    assert_int_equal(m, 5);
    assert_near((double)t, 4 + 2 * sqrt(10.0), 1e-5);
    assert_true((double)t > 4 + 2 * sqrt(10.0)); /* strictly above */
    assert_true(v[5] < t);
    p.sd_multiplier = 1;
    assert_int_equal(hs_hotarea_threshold(&p, v, 8, ND, &t, NULL, NULL), HS_OK);
    assert_true(v[5] >= t && v[4] < t);

    /* All equal: sd 0, nothing lies above the mean. */
    float flat[3] = {2, 2, 2};
    assert_int_equal(hs_hotarea_threshold(&p, flat, 3, ND, &t, NULL, NULL), HS_OK);
    assert_true(flat[0] < t);
}

static void test_top_percent(void **state)
{
    (void)state;
    /* 5 non-zero cells. Top 40%: ceil(2) = 2nd highest = 4. Top 50%: ceil(2.5) = 3rd = 3.
     * Top 1%: ceil(0.05) = 1 -> the highest, 10. */
    float v[8] = {0, 3, 1, 10, 4, 2, ND, 0};
    hs_hotarea_params p = hs_hotarea_params_default();
    p.rule = HS_HOTAREA_TOP_PERCENT;
    float t;
    p.top_percent = 40;
    assert_int_equal(hs_hotarea_threshold(&p, v, 8, ND, &t, NULL, NULL), HS_OK);
    assert_true(t == 4.0f);
    p.top_percent = 50;
    assert_int_equal(hs_hotarea_threshold(&p, v, 8, ND, &t, NULL, NULL), HS_OK);
    assert_true(t == 3.0f);
    p.top_percent = 1;
    assert_int_equal(hs_hotarea_threshold(&p, v, 8, ND, &t, NULL, NULL), HS_OK);
    assert_true(t == 10.0f);
    /* Values that share their high 16 bits: 1.0 and the float just above it. */
    float close[3] = {1.0f, nextafterf(1.0f, 2.0f), 0.5f};
    p.top_percent = 34; /* ceil(1.02) = 2nd highest = 1.0 */
    assert_int_equal(hs_hotarea_threshold(&p, close, 3, ND, &t, NULL, NULL), HS_OK);
    assert_true(t == 1.0f);
    /* Ties: top 25% of {5, 5, 5, 1} is the value 5, and all three 5s are hot. */
    float ties[4] = {5, 1, 5, 5};
    p.top_percent = 25;
    assert_int_equal(hs_hotarea_threshold(&p, ties, 4, ND, &t, NULL, NULL), HS_OK);
    assert_true(t == 5.0f);
    /* No non-zero cell: no hot area. */
    float none[2] = {0, ND};
    assert_int_equal(hs_hotarea_threshold(&p, none, 2, ND, &t, NULL, NULL), HS_OK);
    assert_true(isinf(t));
}

static void test_bad_threshold_input(void **state)
{
    (void)state;
    hs_error err;
    float t, v[3] = {1, NAN, 2};
    hs_hotarea_params p = hs_hotarea_params_default();
    assert_int_equal(hs_hotarea_threshold(&p, v, 3, ND, &t, NULL, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "cell 1 "));
    v[1] = 1;
    p.rule = HS_HOTAREA_TOP_PERCENT;
    p.top_percent = 0;
    assert_int_equal(hs_hotarea_threshold(&p, v, 3, ND, &t, NULL, &err), HS_EINVAL);
    p.top_percent = 101;
    assert_int_equal(hs_hotarea_threshold(&p, v, 3, ND, &t, NULL, &err), HS_EINVAL);
    p.rule = HS_HOTAREA_MEAN_SD;
    p.sd_multiplier = -1;
    assert_int_equal(hs_hotarea_threshold(&p, v, 3, ND, &t, NULL, &err), HS_EINVAL);
}

static void test_labels_four_connected_in_raster_order(void **state)
{
    (void)state;
    /* H = 5 (hot with min_hot 5), . = 1, N = nodata.
     *   H . H . . H        1 . 1 . . 2
     *   H . H . H H        1 . 1 . 2 2
     *   H H H . . .   ->   1 1 1 . . .
     *   . . . . H N        . . . . 3 .
     *   H . . H . H        4 . . 5 . 6
     * The U is one area (its right arm starts a provisional label that merges); diagonal
     * neighbours are separate areas. */
    const char *pic[5] = {"H.H..H", "H.H.HH", "HHH...", "....HN", "H..H.H"};
    const int32_t want[5][6] = {{1, 0, 1, 0, 0, 2}, {1, 0, 1, 0, 2, 2}, {1, 1, 1, 0, 0, 0},
                                {0, 0, 0, 0, 3, 0}, {4, 0, 0, 5, 0, 6}};
    hs_grid g = {.xmin_m = 0, .ymax_m = 50, .cell_m = 10, .nx = 6, .ny = 5};
    float v[30];
    for (size_t r = 0; r < 5; r++)
        for (size_t c = 0; c < 6; c++)
            v[r * 6 + c] = pic[r][c] == 'H' ? 5.0f : (pic[r][c] == 'N' ? ND : 1.0f);
    int32_t labels[30];
    size_t n;
    assert_int_equal(hs_hotarea_label(&g, v, ND, 5.0f, labels, &n, NULL), HS_OK);
    assert_int_equal(n, 6);
    for (size_t r = 0; r < 5; r++)
        for (size_t c = 0; c < 6; c++)
            assert_int_equal(labels[r * 6 + c], want[r][c]);
    /* Nothing hot: no label. */
    assert_int_equal(hs_hotarea_label(&g, v, ND, 6.0f, labels, &n, NULL), HS_OK);
    assert_int_equal(n, 0);
}

static void test_measure_counts_area_and_pai(void **state)
{
    (void)state;
    /* 4 x 4 grid of 100 m cells (0.01 km2 each), west half in the study area (mask: cols 0,1),
     * so the study area is 8 cells = 0.08 km2. Area 1 = cells (0,0) and (1,0) (0.02 km2),
     * area 2 = cell (3,1) (0.01 km2).
     * Points: 3 in (0,0), 1 in (1,0) with weight 2 -> area 1 holds 5; 1 in (3,1) -> area 2
     * holds 1; 2 in (2,1) (no area); 4 in (0,3) outside the mask and 1 outside the grid:
     * neither counts. Study-area total = 5 + 1 + 2 = 8.
     * PAI area 1 = (5/8) / (0.02/0.08) = 2.5; area 2 = (1/8) / (0.01/0.08) = 1. */
    hs_grid g = {.xmin_m = 0, .ymax_m = 400, .cell_m = 100, .nx = 4, .ny = 4};
    int32_t labels[16] = {0};
    labels[0 * 4 + 0] = 1;
    labels[1 * 4 + 0] = 1;
    labels[3 * 4 + 1] = 2;
    unsigned char mask[16];
    for (size_t i = 0; i < 16; i++)
        mask[i] = (i % 4) < 2;
    double x[] = {10, 20, 30, 50, 150, 150, 150, 350, 350, 350, 350, -5};
    double y[] = {390, 380, 370, 250, 50, 150, 160, 390, 380, 370, 360, 100};
    double w[] = {1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1};
    hs_hotarea a[2];
    assert_int_equal(hs_hotarea_measure(&g, labels, 2, mask, x, y, w, 12, 0, a, NULL), HS_OK);
    assert_int_equal(a[0].label, 1);
    assert_int_equal(a[0].cells, 2);
    assert_near(a[0].incidents, 5, 1e-12);
    assert_near(a[0].area_km2, 0.02, 1e-12);
    assert_near(a[0].pai, 2.5, 1e-12);
    assert_int_equal(a[1].cells, 1);
    assert_near(a[1].incidents, 1, 1e-12);
    assert_near(a[1].pai, 1.0, 1e-12);
    /* A given study area (0.16 km2) replaces the mask's: PAI area 1 = (5/8)/(0.02/0.16). */
    assert_int_equal(hs_hotarea_measure(&g, labels, 2, mask, x, y, w, 12, 0.16, a, NULL), HS_OK);
    assert_near(a[0].pai, 5.0, 1e-12);

    hs_error err;
    y[4] = NAN;
    assert_int_equal(hs_hotarea_measure(&g, labels, 2, mask, x, y, w, 12, 0, a, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "point 4 "));
    y[4] = 50;
    labels[5] = 7;
    assert_int_equal(hs_hotarea_measure(&g, labels, 2, mask, x, y, w, 12, 0, a, &err), HS_EDATA);
}

static void test_method_names(void **state)
{
    (void)state;
    char buf[32];
    hs_hotarea_params p = hs_hotarea_params_default();
    assert_string_equal(hs_hotarea_method(&p, buf, sizeof buf), "mean+2sd");
    p.rule = HS_HOTAREA_TOP_PERCENT;
    p.top_percent = 2.5;
    assert_string_equal(hs_hotarea_method(&p, buf, sizeof buf), "top2.5pct");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_plus_k_sd),
        cmocka_unit_test(test_top_percent),
        cmocka_unit_test(test_bad_threshold_input),
        cmocka_unit_test(test_labels_four_connected_in_raster_order),
        cmocka_unit_test(test_measure_counts_area_and_pai),
        cmocka_unit_test(test_method_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

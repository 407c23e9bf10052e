/* test_aggregate.c - counts per ward and group, and per grid cell, worked by hand. */
#include "engine/aggregate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_ward_counts_by_group(void **state)
{
    (void)state;
    /* 6 rows in 3 wards; groups: bit0 = asb, bit1 = violence. Row 5 is outside (-1). */
    const int32_t ward[] = {0, 0, 2, 2, 2, -1};
    const uint32_t groups[] = {1, 2, 2, 0, 3, 1};
    int64_t c[3 * 3];
    assert_int_equal(hs_aggregate_wards(ward, groups, 6, 3, 2, c, NULL), HS_OK);
    const int64_t expect[] = {2, 1, 1, /* ward 0: all, asb, violence */
                              0, 0, 0, /* ward 1 */
                              3, 1, 2};
    assert_memory_equal(c, expect, sizeof expect);
    hs_error err;
    const int32_t bad[] = {0, 5};
    assert_int_equal(hs_aggregate_wards(bad, groups, 2, 3, 2, c, &err), HS_EINVAL);
    assert_int_equal(err.row, 2);
}

static void test_grid_counts_and_weights(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 20, .cell_m = 10, .nx = 2, .ny = 2};
    const double x[] = {5, 15, 15, 5, 50};
    const double y[] = {15, 15, 15, 5, 5};
    const double w[] = {1, 2, 3, 4, 5};
    const uint32_t groups[] = {1, 1, 2, 1, 1};
    double cells[4];
    size_t out;
    assert_int_equal(hs_aggregate_grid(&g, x, y, NULL, NULL, -1, NULL, 5, cells, &out, NULL),
                     HS_OK);
    const double all[] = {1, 2, 1, 0};
    assert_memory_equal(cells, all, sizeof all);
    assert_int_equal(out, 1);
    assert_int_equal(hs_aggregate_grid(&g, x, y, w, groups, 0, NULL, 5, cells, &out, NULL),
                     HS_OK);
    const double g0[] = {1, 2, 4, 0};
    assert_memory_equal(cells, g0, sizeof g0);
    const uint8_t include[] = {0, 1, 1, 1, 1};
    assert_int_equal(hs_aggregate_grid(&g, x, y, NULL, NULL, -1, include, 5, cells, NULL, NULL),
                     HS_OK);
    const double inc[] = {0, 2, 1, 0};
    assert_memory_equal(cells, inc, sizeof inc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ward_counts_by_group),
        cmocka_unit_test(test_grid_counts_and_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_grid.c - aligned grids: edges on multiples of the cell size, padding, cell lookup,
 * limits. Expected values worked by hand. */
#include "engine/grid.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_aligned_edges_are_multiples_of_cell(void **state)
{
    (void)state;
    hs_grid g;
    /* Extent 605012..605987 x 148003..148040, pad 250, cell 25:
     * west 604762 -> floor to 604750; east 606237 -> ceil to 606250 => 60 columns;
     * south 147753 -> 147750; north 148290 -> 148300 => 22 rows. */
    assert_int_equal(hs_grid_aligned(605012, 148003, 605987, 148040, 250, 25, 0, &g, NULL), HS_OK);
    assert_float_equal(g.xmin_m, 604750.0, 1e-9);
    assert_float_equal(g.ymax_m, 148300.0, 1e-9);
    assert_int_equal(g.nx, 60);
    assert_int_equal(g.ny, 22);
    assert_float_equal(hs_grid_centre_x(&g, 0), 604762.5, 1e-9);
    assert_float_equal(hs_grid_centre_y(&g, 0), 148287.5, 1e-9);
}

static void test_single_point_gets_one_cell(void **state)
{
    (void)state;
    hs_grid g;
    assert_int_equal(hs_grid_aligned(100, 100, 100, 100, 0, 10, 0, &g, NULL), HS_OK);
    assert_int_equal(g.nx, 1);
    assert_int_equal(g.ny, 1);
    size_t r, c;
    assert_int_equal(hs_grid_cell_of(&g, 100, 100, &r, &c), 1);
}

static void test_cell_of_edges(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 30, .cell_m = 10, .nx = 3, .ny = 3};
    size_t r, c;
    /* On the edge x = 10 between columns 0 and 1: goes east, to column 1. */
    assert_int_equal(hs_grid_cell_of(&g, 10, 25, &r, &c), 1);
    assert_int_equal(c, 1);
    assert_int_equal(r, 0);
    /* On the edge y = 20 between rows 0 and 1: goes south, to row 1. */
    assert_int_equal(hs_grid_cell_of(&g, 5, 20, &r, &c), 1);
    assert_int_equal(r, 1);
    /* East and south outer edges are outside, north and west inside. */
    assert_int_equal(hs_grid_cell_of(&g, 30, 5, &r, &c), 0);
    assert_int_equal(hs_grid_cell_of(&g, 5, 0, &r, &c), 0);
    assert_int_equal(hs_grid_cell_of(&g, 0, 30, &r, &c), 1);
    assert_int_equal(hs_grid_cell_of(&g, 0.0 / 0.0, 5, &r, &c), 0);
}

static void test_rejects_bad_arguments(void **state)
{
    (void)state;
    hs_grid g;
    hs_error err;
    assert_int_equal(hs_grid_aligned(0, 0, 1, 1, 0, 0, 0, &g, &err), HS_EINVAL);
    assert_int_equal(hs_grid_aligned(0, 0, 1, 1, 0, -5, 0, &g, &err), HS_EINVAL);
    assert_int_equal(hs_grid_aligned(1, 0, 0, 1, 0, 5, 0, &g, &err), HS_EINVAL);
    /* 1e6 x 1e6 m at 1 m = 1e12 cells: refused, never allocated. */
    assert_int_equal(hs_grid_aligned(0, 0, 1e6, 1e6, 0, 1, 0, &g, &err), HS_ENOMEM);
    assert_non_null(strstr(err.what, "exceed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aligned_edges_are_multiples_of_cell),
        cmocka_unit_test(test_single_point_gets_one_cell),
        cmocka_unit_test(test_cell_of_edges),
        cmocka_unit_test(test_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

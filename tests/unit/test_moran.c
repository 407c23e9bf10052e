/* test_moran.c - global Moran's I: a hand-worked path of 4 units, a 3x3 rook lattice with an
 * island against R spdep 1.2-7 moran.test (tests/fixtures/spdep/moran.csv, both
 * assumptions), the grid fast path against the CSR path, incremental spatial
 * autocorrelation's band rules, and bad input. The ward cases of moran.csv are checked in
 * test_gistar_spdep.c, next to the ward Gi*. */
#include "engine/moran.h"
#include "engine/rng.h"
#include "engine/weights.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cmocka 1.1.5 compares floats only: doubles to a stated absolute tolerance. */
#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* Path 0-1-2-3, x = 1, 2, 3, 4: z = -1.5, -0.5, 0.5, 1.5, sum z^2 = 5; sum z_i lag_i =
 * 0.75 + 0.5 + 0.5 + 0.75 = 2.5; S0 = 6; I = (4 / 6) (2.5 / 5) = 1/3; E(I) = -1/3.
 * Normality: S1 = 12, S2 = 4 + 16 + 16 + 4 = 40: Var = (16*12 - 4*40 + 3*36) / (36 * 15)
 * - 1/9 = 140/540 - 1/9 = 0.14814814... */
static void test_path_hand_worked(void **state)
{
    (void)state;
    const size_t rp[5] = {0, 1, 3, 5, 6};
    const uint32_t cols[6] = {1, 0, 2, 1, 3, 2};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    wp.include_self = 0;
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_from_neighbours(4, rp, cols, &wp, &w, NULL), HS_OK);
    const double x[4] = {1, 2, 3, 4};
    hs_moran_result r;
    assert_int_equal(hs_moran_global(w, x, HS_MORAN_NORMALITY, &r, NULL), HS_OK);
    assert_near(r.I, 1.0 / 3.0, 1e-15);
    assert_near(r.expected, -1.0 / 3.0, 1e-15);
    assert_near(r.variance, 140.0 / 540.0 - 1.0 / 9.0, 1e-15);
    assert_near(r.z, (2.0 / 3.0) / sqrt(140.0 / 540.0 - 1.0 / 9.0), 1e-14);
    assert_near(r.p_greater, 0.5 * erfc(r.z / sqrt(2.0)), 1e-15);
    assert_int_equal(r.n_used, 4);
    hs_weights_destroy(w);
}

/* One row of moran.csv: I, E(I), Var(I), z, p (alternative "greater"). */
static int read_moran_row(const char *case_name, const char *assumption, double v[5])
{
    FILE *f = fopen(HS_SOURCE_DIR "/tests/fixtures/spdep/moran.csv", "r");
    assert_non_null(f);
    char line[512], c[64], a[64];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = sscanf(line, "%63[^,],%63[^,],%lf,%lf,%lf,%lf,%lf", c, a, &v[0], &v[1], &v[2],
                       &v[3], &v[4]) == 7 &&
                strcmp(c, case_name) == 0 && strcmp(a, assumption) == 0;
    fclose(f);
    return found;
}

/* moran.csv "lattice3x3_island": a 3x3 rook lattice (cell2nb) plus unit 9 with no
 * neighbour, x = 1 4 2 8 5 7 3 9 6 10, zero.policy = TRUE (n reduced to 9). */
static void test_lattice_with_island_against_spdep(void **state)
{
    (void)state;
    const size_t rp[11] = {0, 2, 5, 7, 10, 14, 17, 19, 22, 24, 24};
    const uint32_t cols[24] = {1, 3, 0, 2, 4, 1, 5, 0, 4, 6, 1, 3,
                               5, 7, 2, 4, 8, 3, 7, 4, 6, 8, 5, 7};
    const double x[10] = {1, 4, 2, 8, 5, 7, 3, 9, 6, 10};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    wp.include_self = 0;
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_from_neighbours(10, rp, cols, &wp, &w, NULL), HS_OK);
    const char *names[2] = {"randomisation", "normality"};
    const hs_moran_assumption as[2] = {HS_MORAN_RANDOMISATION, HS_MORAN_NORMALITY};
    for (int k = 0; k < 2; k++) {
        double want[5];
        assert_true(read_moran_row("lattice3x3_island", names[k], want));
        hs_moran_result r;
        assert_int_equal(hs_moran_global(w, x, as[k], &r, NULL), HS_OK);
        assert_near(r.I, want[0], 1e-12);
        assert_near(r.expected, want[1], 1e-15);
        assert_near(r.variance, want[2], 1e-12);
        assert_near(r.z, want[3], 1e-9);
        assert_near(r.p_greater, want[4], 1e-9);
        assert_int_equal(r.n_used, 9);
    }
    hs_weights_destroy(w);
}

static void random_grid(const hs_grid *g, double *x, unsigned char *mask, uint64_t seed)
{
    hs_rng r;
    hs_rng_init(&r, seed, 0, 0);
    for (size_t c = 0; c < hs_grid_size(g); c++) {
        size_t row = c / g->nx, col = c % g->nx;
        /* A smooth bump plus noise: positive autocorrelation over a few cells. */
        double d = hypot((double)row - 20.0, (double)col - 25.0);
        x[c] = floor(10.0 * exp(-d / 6.0) + 3.0 * hs_rng_uniform(&r));
        mask[c] = hs_rng_bounded(&r, 10) != 0;
    }
}

static void test_grid_fast_path_equals_csr(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 4000, .cell_m = 100, .nx = 50, .ny = 40};
    size_t cells = hs_grid_size(&g);
    double *x = malloc(cells * sizeof *x), *xu = malloc(cells * sizeof *xu);
    unsigned char *mask = malloc(cells);
    size_t *unit_cell = malloc(cells * sizeof *unit_cell);
    random_grid(&g, x, mask, 3);
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    wp.include_self = 0;
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_grid_band(&g, mask, 250.0, &wp, &w, unit_cell, NULL), HS_OK);
    for (size_t u = 0; u < hs_weights_n(w); u++)
        xu[u] = x[unit_cell[u]];
    for (int a = 0; a < 2; a++) {
        hs_moran_result fast, csr;
        assert_int_equal(hs_moran_grid_band(&g, x, mask, 250.0, a, &fast, NULL), HS_OK);
        assert_int_equal(hs_moran_global(w, xu, a, &csr, NULL), HS_OK);
        assert_near(fast.I, csr.I, 1e-12);
        assert_near(fast.variance, csr.variance, 1e-12);
        assert_near(fast.z, csr.z, 1e-9);
        assert_int_equal(fast.n_used, csr.n_used);
        assert_true(fast.z > 3.0); /* the bump is clearly autocorrelated */
    }
    hs_weights_destroy(w);
    free(x);
    free(xu);
    free(mask);
    free(unit_cell);
}

static void test_incremental_bands(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 4000, .cell_m = 100, .nx = 50, .ny = 40};
    size_t cells = hs_grid_size(&g);
    double *x = malloc(cells * sizeof *x);
    unsigned char *mask = malloc(cells);
    random_grid(&g, x, mask, 4);
    hs_isa_params p;
    hs_isa_params_default(&p);
    hs_isa_band bands[10];
    size_t chosen;
    int peak;
    /* Full grid: every cell has an edge neighbour at one cell: start = 100 m (plus a hair). */
    assert_int_equal(hs_moran_incremental_grid(&g, x, NULL, &p, bands, &chosen, &peak, NULL),
                     HS_OK);
    assert_near(bands[0].band_m, 100.0, 1e-6);
    for (int k = 1; k < 10; k++)
        assert_near(bands[k].band_m - bands[k - 1].band_m, 100.0, 1e-9);
    /* The rule: the first band whose z >= 1.96 is above the one before and not below the
     * one after; else the largest z. */
    size_t want = 0;
    int want_peak = 0;
    for (size_t k = 1; k + 1 < 10 && !want_peak; k++)
        if (bands[k].moran.z >= 1.96 && bands[k].moran.z > bands[k - 1].moran.z &&
            bands[k].moran.z >= bands[k + 1].moran.z) {
            want = k;
            want_peak = 1;
        }
    for (size_t k = 0; k < 10 && !want_peak; k++)
        want = bands[k].moran.z > bands[want].moran.z ? k : want;
    assert_int_equal(chosen, want);
    assert_int_equal(peak, want_peak);
    /* Cells (0,1), (1,0), (1,1) out of the study area: (0,0) is 2 cells from any other
     * unit, so the start grows to 200 m. */
    memset(mask, 1, cells);
    mask[1] = mask[g.nx] = mask[g.nx + 1] = 0;
    assert_int_equal(hs_moran_incremental_grid(&g, x, mask, &p, bands, &chosen, &peak, NULL),
                     HS_OK);
    assert_near(bands[0].band_m, 200.0, 1e-6);
    free(x);
    free(mask);
}

static void test_bad_input(void **state)
{
    (void)state;
    const size_t rp[4] = {0, 1, 2, 2};
    const uint32_t cols[2] = {1, 0};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    wp.include_self = 0;
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_from_neighbours(3, rp, cols, &wp, &w, NULL), HS_OK);
    const double x[3] = {1, 2, 3};
    hs_moran_result r;
    hs_error err;
    assert_int_equal(hs_moran_global(w, x, HS_MORAN_RANDOMISATION, &r, &err), HS_EINVAL);
    hs_weights_destroy(w);
    hs_grid g = {.xmin_m = 0, .ymax_m = 30, .cell_m = 10, .nx = 3, .ny = 3};
    double gx[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    gx[2] = INFINITY;
    assert_int_equal(hs_moran_grid_band(&g, gx, NULL, 10.0, HS_MORAN_RANDOMISATION, &r, &err),
                     HS_EDATA);
    assert_int_equal(err.row, 3);
    gx[2] = 3;
    assert_int_equal(hs_moran_grid_band(&g, gx, NULL, 5.0, HS_MORAN_RANDOMISATION, &r, &err),
                     HS_EINVAL);
    /* All equal: defined result, flagged. */
    const double same[9] = {4, 4, 4, 4, 4, 4, 4, 4, 4};
    assert_int_equal(hs_moran_grid_band(&g, same, NULL, 10.0, HS_MORAN_NORMALITY, &r, &err), HS_OK);
    assert_true(r.zero_variance == 1 && r.z == 0.0 && r.p_greater == 1.0);
    const double tenth[9] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    assert_int_equal(hs_moran_grid_band(&g, tenth, NULL, 10.0, HS_MORAN_NORMALITY, &r, &err),
                     HS_OK);
    assert_true(r.zero_variance == 1 && r.z == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_hand_worked),
        cmocka_unit_test(test_lattice_with_island_against_spdep),
        cmocka_unit_test(test_grid_fast_path_equals_csr),
        cmocka_unit_test(test_incremental_bands),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_gistar.c - Getis-Ord Gi*: a hand-worked 3x3 lattice (CSR and grid fast path), an
 * island, all-equal values, stacked duplicate points, bins, FDR-driven bins, permutation
 * p-values with known answers, grid fast path = CSR path, bad input, rates, and 1/2/4-thread
 * byte identity of the analytic and the permutation paths. Expected values are worked by
 * hand from z = (sum w x - xbar W) / (S sqrt((n S1 - W^2) / (n - 1))), S with divisor n. */
#include "engine/gistar.h"
#include "engine/rng.h"
#include "engine/weights.h"

#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cmocka 1.1.5 compares floats only: doubles to a stated absolute tolerance. */
#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* Output arrays for n units, owned together. */
typedef struct outs {
    hs_gistar_out o; /* the arrays */
    size_t n;        /* their length */
} outs;

static outs outs_new(size_t n)
{
    outs a = {{malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(double)),
               malloc(n), malloc(n * sizeof(uint32_t)), malloc(n)},
              n};
    return a;
}

static void outs_free(outs *a)
{
    free(a->o.z);
    free(a->o.p);
    free(a->o.q);
    free(a->o.bin);
    free(a->o.n_neighbors);
    free(a->o.valid);
}

static void assert_outs_identical(const outs *a, const outs *b)
{
    size_t n = a->n;
    assert_memory_equal(a->o.z, b->o.z, n * sizeof(double));
    assert_memory_equal(a->o.p, b->o.p, n * sizeof(double));
    assert_memory_equal(a->o.q, b->o.q, n * sizeof(double));
    assert_memory_equal(a->o.bin, b->o.bin, n);
    assert_memory_equal(a->o.n_neighbors, b->o.n_neighbors, n * sizeof(uint32_t));
    assert_memory_equal(a->o.valid, b->o.valid, n);
}

/* 3x3 lattice, 10 m cells, rook (band 10 m), self included; 9 in the centre, 0 elsewhere.
 * n = 9, xbar = 1, S^2 = (8 * 1 + 8^2) / 9 = 8.
 *   centre: W = S1 = 5, sum = 9: (9 - 5) / (sqrt 8 sqrt((45 - 25) / 8)) = 4 / sqrt 20 = 2/sqrt 5
 *   edge:   W = 4, sum = 9: (9 - 4) / (sqrt 8 sqrt((36 - 16) / 8)) = 5 / sqrt 20 = sqrt(5)/2
 *   corner: W = 3, sum = 0: -3 / (sqrt 8 sqrt((27 - 9) / 8)) = -3 / sqrt 18 = -1/sqrt 2 */
static const double lattice_x[9] = {0, 0, 0, 0, 9, 0, 0, 0, 0};

static void assert_lattice(const outs *a)
{
    const double corner = -1.0 / sqrt(2.0), edge = sqrt(5.0) / 2.0, centre = 2.0 / sqrt(5.0);
    const double want[9] = {corner, edge, corner, edge, centre, edge, corner, edge, corner};
    const unsigned nn[9] = {2, 3, 2, 3, 4, 3, 2, 3, 2};
    for (int i = 0; i < 9; i++) {
        assert_near(a->o.z[i], want[i], 1e-14);
        assert_near(a->o.p[i], erfc(fabs(want[i]) / sqrt(2.0)), 1e-14);
        assert_int_equal(a->o.n_neighbors[i], nn[i]);
        assert_int_equal(a->o.valid[i], 1);
        assert_int_equal(a->o.bin[i], 0); /* largest |z| = 1.118: p = 0.26 */
    }
}

static void test_lattice_3x3_csr_and_grid(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 30, .cell_m = 10, .nx = 3, .ny = 3};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_grid_band(&g, NULL, 10.0, &wp, &w, NULL, NULL), HS_OK);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    outs a = outs_new(9), b = outs_new(9);
    hs_gistar_summary s;
    assert_int_equal(hs_gistar_compute(w, lattice_x, &p, &a.o, &s, NULL), HS_OK);
    assert_lattice(&a);
    assert_near(s.mean, 1.0, 1e-15);
    assert_near(s.sd, sqrt(8.0), 1e-14);
    assert_int_equal(s.n_units, 9);
    assert_int_equal(s.n_valid, 9);
    assert_int_equal(s.n_islands, 0);
    assert_int_equal(s.first_island, SIZE_MAX);
    assert_int_equal(hs_gistar_grid(&g, lattice_x, NULL, 10.0, &p, &b.o, NULL, NULL), HS_OK);
    assert_lattice(&b);
    hs_weights_destroy(w);
    /* Row standardisation does not change z (W_i and S1_i scale together). */
    wp.style = HS_WEIGHTS_ROW_STANDARDISED;
    assert_int_equal(hs_weights_build_grid_band(&g, NULL, 10.0, &wp, &w, NULL, NULL), HS_OK);
    assert_int_equal(hs_gistar_compute(w, lattice_x, &p, &a.o, NULL, NULL), HS_OK);
    assert_lattice(&a);
    hs_weights_destroy(w);
    outs_free(&a);
    outs_free(&b);
}

/* A (0,0)=1, B (10,0)=2, C (20,0)=3, D (1000,0)=6, band 10 m: D is an island but stays in
 * n, xbar and S: n = 4, xbar = 3, S^2 = (4 + 1 + 0 + 9) / 4 = 3.5.
 *   A: {A,B}: W = 2, sum 3: (3 - 6) / (sqrt 3.5 sqrt((8 - 4) / 3)) = -3 / sqrt(14/3)
 *   B: {A,B,C}: W = 3, sum 6: (6 - 9) / (sqrt 3.5 sqrt((12 - 9) / 3)) = -3 / sqrt 3.5
 *   C: {B,C}: W = 2, sum 5: (5 - 6) / sqrt(14/3) */
static void test_island_gets_null_statistics(void **state)
{
    (void)state;
    const double px[4] = {0, 10, 20, 1000}, py[4] = {0, 0, 0, 0}, x[4] = {1, 2, 3, 6};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_distance_band(px, py, 4, 10.0, &wp, &w, NULL), HS_OK);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    outs a = outs_new(4);
    hs_gistar_summary s;
    assert_int_equal(hs_gistar_compute(w, x, &p, &a.o, &s, NULL), HS_OK);
    assert_near(a.o.z[0], -3.0 / sqrt(14.0 / 3.0), 1e-14);
    assert_near(a.o.z[1], -3.0 / sqrt(3.5), 1e-14);
    assert_near(a.o.z[2], -1.0 / sqrt(14.0 / 3.0), 1e-14);
    assert_int_equal(a.o.valid[3], 0);
    assert_int_equal(a.o.n_neighbors[3], 0);
    assert_true(a.o.z[3] == 0.0 && a.o.p[3] == 1.0 && a.o.q[3] == 1.0 && a.o.bin[3] == 0);
    assert_int_equal(s.n_islands, 1);
    assert_int_equal(s.first_island, 3);
    assert_int_equal(s.n_valid, 3);
    assert_int_equal(s.n_units, 4);
    hs_weights_destroy(w);
    outs_free(&a);
}

static void test_all_equal_values_give_zero(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 30, .cell_m = 10, .nx = 3, .ny = 3};
    const double x[9] = {5, 5, 5, 5, 5, 5, 5, 5, 5};
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    p.permutations = 99;
    outs a = outs_new(9);
    hs_gistar_summary s;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 10.0, &p, &a.o, &s, NULL), HS_OK);
    assert_int_equal(s.zero_variance, 1);
    for (int i = 0; i < 9; i++) {
        assert_true(a.o.z[i] == 0.0 && a.o.p[i] == 1.0 && a.o.bin[i] == 0);
        assert_int_equal(a.o.valid[i], 1);
    }
    /* Equal rates that are not integers: 0.1 * 9 / 9 leaves rounding noise around the mean;
     * it must not turn into z-scores. */
    const double rate[9] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    assert_int_equal(hs_gistar_grid(&g, rate, NULL, 10.0, &p, &a.o, &s, NULL), HS_OK);
    assert_int_equal(s.zero_variance, 1);
    for (int i = 0; i < 9; i++)
        assert_true(a.o.z[i] == 0.0 && a.o.p[i] == 1.0);
    outs_free(&a);
}

/* police.uk stacks incidents on snap points: units 0, 1, 2 share (0, 0); unit 3 is at
 * (100, 0); band 50 m. x = 2, 4, 6, 8: n = 4, xbar = 5, S^2 = (9 + 1 + 1 + 9) / 4 = 5.
 * Units 0-2: W = 3, sum 12: (12 - 15) / (sqrt 5 sqrt((12 - 9) / 3)) = -3 / sqrt 5. */
static void test_duplicate_points(void **state)
{
    (void)state;
    const double px[4] = {0, 0, 0, 100}, py[4] = {0, 0, 0, 0}, x[4] = {2, 4, 6, 8};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_distance_band(px, py, 4, 50.0, &wp, &w, NULL), HS_OK);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    outs a = outs_new(4);
    assert_int_equal(hs_gistar_compute(w, x, &p, &a.o, NULL, NULL), HS_OK);
    for (int i = 0; i < 3; i++) {
        assert_near(a.o.z[i], -3.0 / sqrt(5.0), 1e-14);
        assert_int_equal(a.o.n_neighbors[i], 2);
    }
    assert_int_equal(a.o.valid[3], 0);
    hs_weights_destroy(w);
    /* Inverse distance: the stacked points are 0 m apart, counted as 1 m: weight 1, no
     * division by zero. Same neighbourhoods with weight 1 everywhere: same z. */
    wp.style = HS_WEIGHTS_INVERSE_DISTANCE;
    assert_int_equal(hs_weights_build_distance_band(px, py, 4, 50.0, &wp, &w, NULL), HS_OK);
    assert_int_equal(hs_gistar_compute(w, x, &p, &a.o, NULL, NULL), HS_OK);
    assert_near(a.o.z[1], -3.0 / sqrt(5.0), 1e-14);
    hs_weights_destroy(w);
    outs_free(&a);
}

static void test_bins(void **state)
{
    (void)state;
    assert_int_equal(hs_gistar_bin(3.2, 0.001), 3);
    assert_int_equal(hs_gistar_bin(-2.7, 0.007), -3);
    assert_int_equal(hs_gistar_bin(2.0, 0.0455), 2);
    assert_int_equal(hs_gistar_bin(-1.7, 0.089), -1);
    assert_int_equal(hs_gistar_bin(1.0, 0.317), 0);
    assert_int_equal(hs_gistar_bin(2.0, 0.05), 2); /* bounds are inclusive */
    assert_int_equal(hs_gistar_bin(0.0, 0.001), 0);
    /* z = 1.959963984540054 is the two-sided 5 % point. */
    assert_near(erfc(1.959963984540054 / sqrt(2.0)), 0.05, 1e-12);
}

/* A 10 x 10 grid with one hot block: bins on p, and on the FDR q-value (never more
 * significant than p). */
static void test_fdr_bins(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 100, .cell_m = 10, .nx = 10, .ny = 10};
    double x[100];
    for (int c = 0; c < 100; c++)
        x[c] = (c / 10 < 3 && c % 10 < 3) ? 20.0 : (double)(c % 3);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    outs a = outs_new(100), b = outs_new(100);
    hs_gistar_summary sa, sb;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 15.0, &p, &a.o, &sa, NULL), HS_OK);
    p.correction = HS_GISTAR_BIN_ON_FDR;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 15.0, &p, &b.o, &sb, NULL), HS_OK);
    assert_int_equal(a.o.bin[11], 3); /* the middle of the hot block */
    assert_true(sa.n_hot > 0);
    for (int c = 0; c < 100; c++) {
        assert_true(b.o.q[c] >= a.o.p[c]);
        assert_true(abs(b.o.bin[c]) <= abs(a.o.bin[c]));
        assert_int_equal(b.o.bin[c], hs_gistar_bin(b.o.z[c], b.o.q[c]));
        assert_int_equal(a.o.bin[c], hs_gistar_bin(a.o.z[c], a.o.p[c]));
    }
    assert_true(sb.n_hot + sb.n_cold <= sa.n_hot + sa.n_cold);
    p.correction = HS_GISTAR_BIN_ON_BONFERRONI;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 15.0, &p, &b.o, NULL, NULL), HS_OK);
    double bonf = a.o.p[11] * 100.0;
    assert_int_equal(b.o.bin[11], hs_gistar_bin(b.o.z[11], bonf < 1.0 ? bonf : 1.0));
    outs_free(&a);
    outs_free(&b);
}

/* Five units; unit 0 with neighbour slots from explicit lists. The other values are
 * 1, 2, 3, 4 (units 1..4). With one slot the permuted value is uniform on {1,2,3,4}; with two
 * slots the permuted pair sum is uniform on the 6 pairs: 3, 4, 5, 5, 6, 7. */
static double perm_p_of_unit0(const uint32_t *nb, size_t k, unsigned perms)
{
    size_t rp[6] = {0, k, k, k, k, k};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_from_neighbours(5, rp, nb, &wp, &w, NULL), HS_OK);
    const double x[5] = {2.5, 1, 2, 3, 4};
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    p.permutations = perms;
    p.seed = 20240101;
    outs a = outs_new(5);
    assert_int_equal(hs_gistar_compute(w, x, &p, &a.o, NULL, NULL), HS_OK);
    double pv = a.o.p[0];
    assert_int_equal(a.o.valid[1], 0); /* units 1..4 are islands */
    hs_weights_destroy(w);
    outs_free(&a);
    return pv;
}

static void test_permutation_known_answers(void **state)
{
    (void)state;
    /* Neighbour = unit 1 (value 1, the smallest): every permuted value is >= 1, L = P,
     * pseudo p = (min(P, 0) + 1) / (P + 1) exactly. */
    assert_near(perm_p_of_unit0((const uint32_t[]){1}, 1, 999), 1.0 / 1000.0, 1e-15);
    /* Neighbour = unit 4 (value 4, the largest): P(value >= 4) = 1/4; p -> 0.25.
     * 99,999 permutations: standard error 0.0014; tolerance 0.007 (5 sigma). */
    assert_near(perm_p_of_unit0((const uint32_t[]){4}, 1, 99999), 0.25, 0.007);
    /* Pair {3, 4}: sum 7, P(sum >= 7) = 1/6. Pair {1, 4}: sum 5, P(>= 5) = 4/6, folded to
     * 2/6. */
    assert_near(perm_p_of_unit0((const uint32_t[]){3, 4}, 2, 99999), 1.0 / 6.0, 0.006);
    assert_near(perm_p_of_unit0((const uint32_t[]){1, 4}, 2, 99999), 2.0 / 6.0, 0.008);
}

/* Seeded integer counts on a masked grid. */
static void random_counts(hs_grid *g, double *x, unsigned char *mask, uint64_t seed)
{
    hs_rng r;
    hs_rng_init(&r, seed, 0, 0);
    for (size_t c = 0; c < hs_grid_size(g); c++) {
        uint32_t u = hs_rng_bounded(&r, 100);
        x[c] = u < 60 ? 0.0 : (double)(u % 7); /* 60 % empty cells, like sparse crime */
        mask[c] = hs_rng_bounded(&r, 8) != 0;
    }
}

/* Fast path = CSR path on hs_weights_build_grid_band: z to 1e-12 (exact for counts), p,
 * valid and NNeighbors equal; with permutations, the same pseudo p. */
static void test_grid_fast_path_equals_csr(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 6000, .cell_m = 100, .nx = 70, .ny = 60};
    size_t cells = hs_grid_size(&g);
    double *x = malloc(cells * sizeof *x), *xu = malloc(cells * sizeof *xu);
    unsigned char *mask = malloc(cells);
    size_t *unit_cell = malloc(cells * sizeof *unit_cell);
    random_counts(&g, x, mask, 17);
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_grid_band(&g, mask, 350.0, &wp, &w, unit_cell, NULL), HS_OK);
    size_t n = hs_weights_n(w);
    for (size_t u = 0; u < n; u++)
        xu[u] = x[unit_cell[u]];
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    for (unsigned perms = 0; perms <= 199; perms += 199) {
        p.permutations = perms;
        outs fast = outs_new(cells), csr = outs_new(n);
        assert_int_equal(hs_gistar_grid(&g, x, mask, 350.0, &p, &fast.o, NULL, NULL), HS_OK);
        assert_int_equal(hs_gistar_compute(w, xu, &p, &csr.o, NULL, NULL), HS_OK);
        for (size_t u = 0; u < n; u++) {
            size_t c = unit_cell[u];
            assert_near(fast.o.z[c], csr.o.z[u], 1e-12);
            assert_near(fast.o.p[c], csr.o.p[u], 1e-12);
            assert_int_equal(fast.o.valid[c], csr.o.valid[u]);
            assert_int_equal(fast.o.n_neighbors[c], csr.o.n_neighbors[u]);
            assert_int_equal(fast.o.bin[c], csr.o.bin[u]);
        }
        for (size_t c = 0; c < cells; c++)
            if (!mask[c])
                assert_true(fast.o.valid[c] == 0 && fast.o.n_neighbors[c] == 0);
        outs_free(&fast);
        outs_free(&csr);
    }
    hs_weights_destroy(w);
    free(x);
    free(xu);
    free(mask);
    free(unit_cell);
}

static void test_bad_input(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 30, .cell_m = 10, .nx = 3, .ny = 3};
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    outs a = outs_new(9);
    hs_error err;
    double x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    x[4] = NAN;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 10.0, &p, &a.o, NULL, &err), HS_EDATA);
    assert_int_equal(err.row, 5);
    x[4] = -1.0;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 10.0, &p, &a.o, NULL, &err), HS_EDATA);
    assert_non_null(strstr(err.what, ">= 0"));
    p.allow_negative = 1;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 10.0, &p, &a.o, NULL, &err), HS_OK);
    /* A masked-out cell's value is never read. */
    x[4] = NAN;
    const unsigned char mask[9] = {1, 1, 1, 1, 0, 1, 1, 1, 1};
    assert_int_equal(hs_gistar_grid(&g, x, mask, 10.0, &p, &a.o, NULL, &err), HS_OK);
    assert_int_equal(a.o.valid[4], 0);
    x[4] = 5.0;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 9.0, &p, &a.o, NULL, &err), HS_EINVAL);
    const unsigned char two[9] = {1, 1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(hs_gistar_grid(&g, x, two, 10.0, &p, &a.o, NULL, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "at least 3"));
    p.permutations = 100000;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 10.0, &p, &a.o, NULL, &err), HS_EINVAL);
    p.permutations = 0;
    hs_gistar_out missing = a.o;
    missing.q = NULL;
    assert_int_equal(hs_gistar_grid(&g, x, NULL, 10.0, &p, &missing, NULL, &err), HS_EINVAL);
    /* Weights without self are refused. */
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    wp.include_self = 0;
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_grid_band(&g, NULL, 10.0, &wp, &w, NULL, NULL), HS_OK);
    assert_int_equal(hs_gistar_compute(w, x, &p, &a.o, NULL, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "include"));
    hs_weights_destroy(w);
    outs_free(&a);
}

static void test_rates_per_1000(void **state)
{
    (void)state;
    const double counts[3] = {5, 0, 12}, pop[3] = {1000, 2500, 4000};
    double r[3];
    assert_int_equal(hs_gistar_rates_per_1000(counts, pop, 3, r, NULL), HS_OK);
    assert_near(r[0], 5.0, 1e-15);
    assert_near(r[1], 0.0, 0.0);
    assert_near(r[2], 3.0, 1e-15);
    hs_error err;
    const double zero_pop[3] = {1000, 0, 4000};
    assert_int_equal(hs_gistar_rates_per_1000(counts, zero_pop, 3, r, &err), HS_EDATA);
    assert_int_equal(err.row, 2);
    const double neg[3] = {5, -1, 12};
    assert_int_equal(hs_gistar_rates_per_1000(neg, pop, 3, r, &err), HS_EDATA);
}

/* Run the grid path and the CSR path, both with permutations, with t threads. */
static void run_threads(int threads, const hs_grid *g, const double *x, const unsigned char *mask,
                        const hs_weights *w, const double *xu, outs *grid, outs *csr)
{
    omp_set_num_threads(threads);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    p.correction = HS_GISTAR_BIN_ON_FDR;
    p.permutations = 99;
    assert_int_equal(hs_gistar_grid(g, x, mask, 250.0, &p, &grid->o, NULL, NULL), HS_OK);
    p.permutations = 499;
    p.seed = 7;
    assert_int_equal(hs_gistar_compute(w, xu, &p, &csr->o, NULL, NULL), HS_OK);
}

static void test_thread_count_identity(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 20000, .cell_m = 100, .nx = 150, .ny = 200};
    size_t cells = hs_grid_size(&g);
    double *x = malloc(cells * sizeof *x);
    unsigned char *mask = malloc(cells);
    random_counts(&g, x, mask, 23);
    /* Permutations on k-nearest-neighbour weights over 3,000 scattered units. */
    enum { N = 3000 };
    double px[N], py[N], xu[N];
    hs_rng r;
    hs_rng_init(&r, 99, 0, 0);
    for (size_t i = 0; i < N; i++) {
        px[i] = hs_rng_uniform(&r) * 5000.0;
        py[i] = hs_rng_uniform(&r) * 5000.0;
        xu[i] = (double)hs_rng_bounded(&r, 12);
    }
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    wp.style = HS_WEIGHTS_INVERSE_DISTANCE;
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_knn(px, py, N, 8, &wp, &w, NULL), HS_OK);
    int saved = omp_get_max_threads();
    outs g1 = outs_new(cells), c1 = outs_new(N);
    run_threads(1, &g, x, mask, w, xu, &g1, &c1);
    for (int t = 2; t <= 4; t += 2) {
        outs gt = outs_new(cells), ct = outs_new(N);
        run_threads(t, &g, x, mask, w, xu, &gt, &ct);
        assert_outs_identical(&g1, &gt);
        assert_outs_identical(&c1, &ct);
        outs_free(&gt);
        outs_free(&ct);
    }
    omp_set_num_threads(saved);
    outs_free(&g1);
    outs_free(&c1);
    hs_weights_destroy(w);
    free(x);
    free(mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lattice_3x3_csr_and_grid),
        cmocka_unit_test(test_island_gets_null_statistics),
        cmocka_unit_test(test_all_equal_values_give_zero),
        cmocka_unit_test(test_duplicate_points),
        cmocka_unit_test(test_bins),
        cmocka_unit_test(test_fdr_bins),
        cmocka_unit_test(test_permutation_known_answers),
        cmocka_unit_test(test_grid_fast_path_equals_csr),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_rates_per_1000),
        cmocka_unit_test(test_thread_count_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_weights.c - CSR spatial weights: hand-worked distance band with duplicate points and
 * islands, the three value styles, k nearest neighbours with ties, grid bands with a mask,
 * brute-force cross-checks, bad input, and 1/2/4-thread byte identity. */
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

/* Row i of w must be exactly want[0..len-1]. */
static void assert_row(const hs_weights *w, size_t i, const uint32_t *want, size_t len)
{
    const size_t *rp = hs_weights_row_ptr(w);
    assert_int_equal(rp[i + 1] - rp[i], len);
    for (size_t e = 0; e < len; e++)
        assert_int_equal(hs_weights_cols(w)[rp[i] + e], want[e]);
}

/* Six points: 0 (0,0), 1 (100,0), 2 (200,0), 3 (0,150), 4 (1000,1000), 5 (100,0) = a
 * duplicate of 1. Band 100 m (inclusive): 0-1, 0-5, 1-2, 1-5 (distance 0), 2-5; 0-3 is
 * 150 m, 1-3 180 m; 3 and 4 are islands. */
static const double six_x[6] = {0, 100, 200, 0, 1000, 100};
static const double six_y[6] = {0, 0, 0, 150, 1000, 0};

static void test_distance_band_hand_worked(void **state)
{
    (void)state;
    hs_weights_params p;
    hs_weights_params_default(&p);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, 100.0, &p, &w, NULL), HS_OK);
    assert_int_equal(hs_weights_n(w), 6);
    assert_true(hs_weights_includes_self(w));
    assert_null(hs_weights_values(w));
    assert_row(w, 0, (const uint32_t[]){0, 1, 5}, 3);
    assert_row(w, 1, (const uint32_t[]){0, 1, 2, 5}, 4);
    assert_row(w, 2, (const uint32_t[]){1, 2, 5}, 3);
    assert_row(w, 3, (const uint32_t[]){3}, 1);
    assert_row(w, 4, (const uint32_t[]){4}, 1);
    assert_row(w, 5, (const uint32_t[]){0, 1, 2, 5}, 4);
    assert_int_equal(hs_weights_n_neighbours(w, 1), 3);
    assert_int_equal(hs_weights_n_neighbours(w, 3), 0);
    assert_int_equal(hs_weights_n_islands(w), 2);
    assert_int_equal(hs_weights_nnz(w), 16);
    hs_weights_destroy(w);

    p.include_self = 0;
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, 100.0, &p, &w, NULL), HS_OK);
    assert_row(w, 0, (const uint32_t[]){1, 5}, 2);
    assert_row(w, 3, NULL, 0);
    assert_int_equal(hs_weights_n_islands(w), 2);
    hs_weights_destroy(w);
}

static void test_value_styles(void **state)
{
    (void)state;
    hs_weights_params p;
    hs_weights_params_default(&p);
    hs_weights *w = NULL;
    p.style = HS_WEIGHTS_ROW_STANDARDISED;
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, 100.0, &p, &w, NULL), HS_OK);
    const double *v = hs_weights_values(w);
    const size_t *rp = hs_weights_row_ptr(w);
    for (size_t e = rp[1]; e < rp[2]; e++)
        assert_near(v[e], 0.25, 1e-15);
    assert_near(v[rp[3]], 1.0, 0.0); /* an island's row holds itself only */
    hs_weights_destroy(w);

    /* Inverse distance: 1 / max(d, 1 m). Row 1 = {0, 1, 2, 5}: 1/100, self 1/1, 1/100, and
     * the duplicate 5 at distance 0 -> 1/1. */
    p.style = HS_WEIGHTS_INVERSE_DISTANCE;
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, 100.0, &p, &w, NULL), HS_OK);
    v = hs_weights_values(w);
    rp = hs_weights_row_ptr(w);
    assert_near(v[rp[1] + 0], 0.01, 1e-15);
    assert_near(v[rp[1] + 1], 1.0, 0.0);
    assert_near(v[rp[1] + 2], 0.01, 1e-15);
    assert_near(v[rp[1] + 3], 1.0, 0.0);
    hs_weights_destroy(w);

    /* Power 2, minimum 10 m: 1/100^2 and 1/10^2 for the duplicate. */
    p.power = 2.0;
    p.min_distance_m = 10.0;
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, 100.0, &p, &w, NULL), HS_OK);
    v = hs_weights_values(w);
    rp = hs_weights_row_ptr(w);
    assert_near(v[rp[1] + 0], 1e-4, 1e-18);
    assert_near(v[rp[1] + 3], 1e-2, 1e-17);
    hs_weights_destroy(w);
}

static void test_knn_ties_by_index(void **state)
{
    (void)state;
    /* 0..3 at distance 10 around 4 (the centre); 5, 6, 7 stacked at (500, 500). */
    const double x[8] = {10, 0, -10, 0, 0, 500, 500, 500};
    const double y[8] = {0, 10, 0, -10, 0, 500, 500, 500};
    hs_weights_params p;
    hs_weights_params_default(&p);
    p.include_self = 0;
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_knn(x, y, 8, 2, &p, &w, NULL), HS_OK);
    assert_row(w, 4, (const uint32_t[]){0, 1}, 2); /* four at 10 m: the two lowest */
    /* From 0 (10, 0): 4 at 10 m, then 1 and 3 at 14.14 m: 1 wins the tie. */
    assert_row(w, 0, (const uint32_t[]){1, 4}, 2);
    assert_row(w, 6, (const uint32_t[]){5, 7}, 2); /* duplicates, distance 0 */
    assert_int_equal(hs_weights_n_islands(w), 0);
    hs_weights_destroy(w);
    p.include_self = 1;
    assert_int_equal(hs_weights_build_knn(x, y, 8, 1, &p, &w, NULL), HS_OK);
    assert_row(w, 7, (const uint32_t[]){5, 7}, 2);
    hs_weights_destroy(w);
}

/* Random points on a 5 m lattice (so many duplicates and exact ties), seeded. */
static void random_points(size_t n, double *x, double *y, uint64_t seed)
{
    hs_rng r;
    hs_rng_init(&r, seed, 0, 0);
    for (size_t i = 0; i < n; i++) {
        x[i] = 5.0 * hs_rng_bounded(&r, 400);
        y[i] = 5.0 * hs_rng_bounded(&r, 300);
    }
}

static void test_band_and_knn_match_brute_force(void **state)
{
    (void)state;
    enum { N = 3000, K = 7 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    random_points(N, x, y, 11);
    hs_weights_params p;
    hs_weights_params_default(&p);
    p.include_self = 0;
    hs_weights *band = NULL, *knn = NULL;
    assert_int_equal(hs_weights_build_distance_band(x, y, N, 35.0, &p, &band, NULL), HS_OK);
    assert_int_equal(hs_weights_build_knn(x, y, N, K, &p, &knn, NULL), HS_OK);
    uint32_t row[N];
    for (size_t i = 0; i < N; i += 37) {
        size_t m = 0;
        for (size_t j = 0; j < N; j++)
            if (j != i && hypot(x[j] - x[i], y[j] - y[i]) <= 35.0)
                row[m++] = (uint32_t)j;
        assert_row(band, i, row, m);
        /* k nearest by (distance, index), then sorted by index. */
        uint32_t best[K];
        double bd[K];
        size_t nb = 0;
        for (size_t j = 0; j < N; j++) {
            if (j == i)
                continue;
            double d = hypot(x[j] - x[i], y[j] - y[i]);
            if (nb == K && !(d < bd[K - 1]))
                continue;
            size_t pos = nb < K ? nb++ : K - 1;
            while (pos > 0 && d < bd[pos - 1]) {
                bd[pos] = bd[pos - 1];
                best[pos] = best[pos - 1];
                pos--;
            }
            bd[pos] = d;
            best[pos] = (uint32_t)j;
        }
        for (size_t a = 1; a < K; a++)
            for (size_t b = a; b > 0 && best[b - 1] > best[b]; b--) {
                uint32_t t = best[b];
                best[b] = best[b - 1];
                best[b - 1] = t;
            }
        assert_row(knn, i, best, K);
    }
    hs_weights_destroy(band);
    hs_weights_destroy(knn);
    free(x);
    free(y);
}

static void test_grid_band_rook_queen_mask(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 30, .cell_m = 10, .nx = 3, .ny = 3};
    hs_weights_params p;
    hs_weights_params_default(&p);
    p.include_self = 0;
    hs_weights *w = NULL;
    /* Band 10: the four cells sharing an edge; band 14.2: also the diagonals. */
    assert_int_equal(hs_weights_build_grid_band(&g, NULL, 10.0, &p, &w, NULL, NULL), HS_OK);
    assert_row(w, 4, (const uint32_t[]){1, 3, 5, 7}, 4);
    assert_row(w, 0, (const uint32_t[]){1, 3}, 2);
    hs_weights_destroy(w);
    assert_int_equal(hs_weights_build_grid_band(&g, NULL, 14.2, &p, &w, NULL, NULL), HS_OK);
    assert_row(w, 4, (const uint32_t[]){0, 1, 2, 3, 5, 6, 7, 8}, 8);
    hs_weights_destroy(w);
    /* Mask out the centre and the north-east corner: 7 units, in cell order
     * 0,1,3,5,6,7,8 -> units 0..6. Unit of cell 1 (north middle) keeps cell 0 only at band 10
     * (cell 2 is out, cell 4 is out). */
    const unsigned char mask[9] = {1, 1, 0, 1, 0, 1, 1, 1, 1};
    size_t cells[7];
    assert_int_equal(hs_weights_grid_units(&g, mask), 7);
    assert_int_equal(hs_weights_build_grid_band(&g, mask, 10.0, &p, &w, cells, NULL), HS_OK);
    assert_int_equal(hs_weights_n(w), 7);
    assert_int_equal(cells[3], 5);
    assert_row(w, 1, (const uint32_t[]){0}, 1);
    assert_row(w, 3, (const uint32_t[]){6}, 1); /* cell 5 -> cell 8 (unit 6) */
    hs_weights_destroy(w);
}

/* The grid builder equals the point builder on cell centres (same band predicate). */
static void test_grid_band_equals_points_on_centres(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 600000, .ymax_m = 170000, .cell_m = 100, .nx = 23, .ny = 17};
    size_t cells = hs_grid_size(&g);
    unsigned char *mask = malloc(cells);
    double *cx = malloc(cells * sizeof *cx), *cy = malloc(cells * sizeof *cy);
    size_t n = 0;
    for (size_t c = 0; c < cells; c++) {
        mask[c] = (c * 7) % 5 != 0;
        if (mask[c]) {
            cx[n] = hs_grid_centre_x(&g, c % g.nx);
            cy[n] = hs_grid_centre_y(&g, c / g.nx);
            n++;
        }
    }
    hs_weights_params p;
    hs_weights_params_default(&p);
    hs_weights *a = NULL, *b = NULL;
    assert_int_equal(hs_weights_build_grid_band(&g, mask, 300.0, &p, &a, NULL, NULL), HS_OK);
    assert_int_equal(hs_weights_build_distance_band(cx, cy, n, 300.0, &p, &b, NULL), HS_OK);
    assert_int_equal(hs_weights_nnz(a), hs_weights_nnz(b));
    assert_memory_equal(hs_weights_row_ptr(a), hs_weights_row_ptr(b), (n + 1) * sizeof(size_t));
    assert_memory_equal(hs_weights_cols(a), hs_weights_cols(b), hs_weights_nnz(a) * 4);
    hs_weights_destroy(a);
    hs_weights_destroy(b);
    free(mask);
    free(cx);
    free(cy);
}

/* Window sums from prefix sums equal summing the CSR rows. */
static void test_window_sums_equal_csr_sums(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 4000, .cell_m = 50, .nx = 61, .ny = 80};
    size_t cells = hs_grid_size(&g);
    double *x = malloc(cells * sizeof *x), *sum = malloc(cells * sizeof *sum);
    uint32_t *count = malloc(cells * sizeof *count);
    unsigned char *mask = malloc(cells);
    hs_rng r;
    hs_rng_init(&r, 5, 0, 0);
    for (size_t c = 0; c < cells; c++) {
        x[c] = hs_rng_uniform(&r) * 10.0;
        mask[c] = hs_rng_bounded(&r, 10) != 0;
    }
    hs_weights_params p;
    hs_weights_params_default(&p);
    hs_weights *w = NULL;
    size_t *unit_cell = malloc(cells * sizeof *unit_cell);
    assert_int_equal(hs_weights_grid_window_sums(&g, x, mask, 260.0, sum, count, NULL), HS_OK);
    assert_int_equal(hs_weights_build_grid_band(&g, mask, 260.0, &p, &w, unit_cell, NULL), HS_OK);
    const size_t *rp = hs_weights_row_ptr(w);
    const uint32_t *cols = hs_weights_cols(w);
    for (size_t u = 0; u < hs_weights_n(w); u++) {
        double s = 0.0;
        for (size_t e = rp[u]; e < rp[u + 1]; e++)
            s += x[unit_cell[cols[e]]];
        assert_int_equal(count[unit_cell[u]], rp[u + 1] - rp[u]);
        assert_near(sum[unit_cell[u]], s, 1e-11);
    }
    hs_weights_destroy(w);
    free(x);
    free(sum);
    free(count);
    free(mask);
    free(unit_cell);
}

static void test_neighbour_lists_cleaned(void **state)
{
    (void)state;
    /* Row 0 lists 2, 0 (itself), 1, 2 (repeat); row 1: 0; row 2: none. */
    const size_t rp[4] = {0, 4, 5, 5};
    const uint32_t cols[5] = {2, 0, 1, 2, 0};
    hs_weights_params p;
    hs_weights_params_default(&p);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_from_neighbours(3, rp, cols, &p, &w, NULL), HS_OK);
    assert_row(w, 0, (const uint32_t[]){0, 1, 2}, 3);
    assert_row(w, 1, (const uint32_t[]){0, 1}, 2);
    assert_row(w, 2, (const uint32_t[]){2}, 1);
    assert_int_equal(hs_weights_n_islands(w), 1);
    hs_weights_destroy(w);
    p.include_self = 0;
    p.style = HS_WEIGHTS_ROW_STANDARDISED;
    assert_int_equal(hs_weights_from_neighbours(3, rp, cols, &p, &w, NULL), HS_OK);
    assert_row(w, 0, (const uint32_t[]){1, 2}, 2);
    assert_near(hs_weights_values(w)[0], 0.5, 0.0);
    hs_weights_destroy(w);
}

static void test_bad_input(void **state)
{
    (void)state;
    hs_weights_params p;
    hs_weights_params_default(&p);
    hs_weights *w = NULL;
    hs_error err;
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, 0.0, &p, &w, &err), HS_EINVAL);
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, NAN, &p, &w, &err), HS_EINVAL);
    const double bx[3] = {0, NAN, 2}, by[3] = {0, 0, 0};
    assert_int_equal(hs_weights_build_distance_band(bx, by, 3, 10.0, &p, &w, &err), HS_EDATA);
    assert_int_equal(err.row, 2);
    assert_int_equal(hs_weights_build_knn(six_x, six_y, 6, 6, &p, &w, &err), HS_EINVAL);
    assert_int_equal(hs_weights_build_knn(six_x, six_y, 6, 0, &p, &w, &err), HS_EINVAL);
    hs_grid g = {.xmin_m = 0, .ymax_m = 30, .cell_m = 10, .nx = 3, .ny = 3};
    assert_int_equal(hs_weights_build_grid_band(&g, NULL, 9.9, &p, &w, NULL, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "smaller than the cell"));
    const size_t rp[3] = {0, 1, 1};
    const uint32_t cols[1] = {7};
    assert_int_equal(hs_weights_from_neighbours(2, rp, cols, &p, &w, &err), HS_EINVAL);
    p.style = HS_WEIGHTS_INVERSE_DISTANCE;
    const uint32_t ok[1] = {1};
    assert_int_equal(hs_weights_from_neighbours(2, rp, ok, &p, &w, &err), HS_EINVAL);
    p.min_distance_m = 0.0;
    assert_int_equal(hs_weights_build_distance_band(six_x, six_y, 6, 10.0, &p, &w, &err),
                     HS_EINVAL);
    assert_null(w);
}

/* Build with t threads; copy the arrays out for comparison. */
typedef struct built {
    size_t n, nnz;  /* sizes */
    size_t *rp;     /* row_ptr copy */
    uint32_t *cols; /* cols copy */
    double *vals;   /* values copy */
} built;

static built build_with_threads(int kind, int threads, const double *x, const double *y, size_t n)
{
    omp_set_num_threads(threads);
    hs_weights_params p;
    hs_weights_params_default(&p);
    p.style = HS_WEIGHTS_INVERSE_DISTANCE;
    hs_weights *w = NULL;
    hs_grid g = {.xmin_m = 0, .ymax_m = 1500, .cell_m = 10, .nx = 200, .ny = 150};
    hs_status st = kind == 0   ? hs_weights_build_distance_band(x, y, n, 40.0, &p, &w, NULL)
                   : kind == 1 ? hs_weights_build_knn(x, y, n, 9, &p, &w, NULL)
                               : hs_weights_build_grid_band(&g, NULL, 45.0, &p, &w, NULL, NULL);
    assert_int_equal(st, HS_OK);
    built b = {hs_weights_n(w), hs_weights_nnz(w), NULL, NULL, NULL};
    b.rp = malloc((b.n + 1) * sizeof *b.rp);
    b.cols = malloc(b.nnz * sizeof *b.cols);
    b.vals = malloc(b.nnz * sizeof *b.vals);
    memcpy(b.rp, hs_weights_row_ptr(w), (b.n + 1) * sizeof *b.rp);
    memcpy(b.cols, hs_weights_cols(w), b.nnz * sizeof *b.cols);
    memcpy(b.vals, hs_weights_values(w), b.nnz * sizeof *b.vals);
    hs_weights_destroy(w);
    return b;
}

static void test_thread_count_identity(void **state)
{
    (void)state;
    enum { N = 20000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    random_points(N, x, y, 3);
    int saved = omp_get_max_threads();
    for (int kind = 0; kind < 3; kind++) {
        built one = build_with_threads(kind, 1, x, y, N);
        for (int t = 2; t <= 4; t += 2) {
            built b = build_with_threads(kind, t, x, y, N);
            assert_int_equal(b.nnz, one.nnz);
            assert_memory_equal(b.rp, one.rp, (one.n + 1) * sizeof *one.rp);
            assert_memory_equal(b.cols, one.cols, one.nnz * sizeof *one.cols);
            assert_memory_equal(b.vals, one.vals, one.nnz * sizeof *one.vals);
            free(b.rp);
            free(b.cols);
            free(b.vals);
        }
        free(one.rp);
        free(one.cols);
        free(one.vals);
    }
    omp_set_num_threads(saved);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance_band_hand_worked),
        cmocka_unit_test(test_value_styles),
        cmocka_unit_test(test_knn_ties_by_index),
        cmocka_unit_test(test_band_and_knn_match_brute_force),
        cmocka_unit_test(test_grid_band_rook_queen_mask),
        cmocka_unit_test(test_grid_band_equals_points_on_centres),
        cmocka_unit_test(test_window_sums_equal_csr_sums),
        cmocka_unit_test(test_neighbour_lists_cleaned),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_thread_count_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

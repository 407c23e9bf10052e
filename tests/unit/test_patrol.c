/* test_patrol.c - patrol areas: hand-worked optima, the size cap, no overlap, PAI by hand, the
 * concentration curve by hand, empty and zero input, bad input, a brute-force check of the
 * first area, and the same bytes at 1, 2 and 4 threads. Expected values are worked in the
 * comments. */
#include "engine/patrol.h"

#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#define MAX_AREAS 16
#define MAX_CELLS 4096

typedef struct run {
    hs_patrol_area areas[MAX_AREAS];
    size_t cells[MAX_CELLS];
    size_t n;
    hs_patrol_totals totals;
} run;

static hs_grid grid(size_t nx, size_t ny, double cell_m)
{
    hs_grid g = {.xmin_m = 600000.0, .ymax_m = 150000.0, .cell_m = cell_m, .nx = nx, .ny = ny};
    return g;
}

static hs_patrol_params params(size_t areas, double max_area_km2)
{
    hs_patrol_params p = hs_patrol_params_default();
    p.areas = areas;
    p.max_area_km2 = max_area_km2;
    return p;
}

static hs_status select_into(const hs_grid *g, const double *v, const unsigned char *mask,
                             const hs_patrol_params *p, run *out)
{
    memset(out, 0, sizeof *out);
    assert_true(p->areas <= MAX_AREAS);
    assert_true(hs_patrol_cells_capacity(g, p) <= MAX_CELLS);
    return hs_patrol_select(g, v, mask, p, out->areas, out->cells, &out->n, &out->totals, NULL);
}

static void assert_cells(const run *r, size_t k, const size_t *want, size_t n)
{
    assert_int_equal(r->areas[k].ncells, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->cells[r->areas[k].cells_offset + i], want[i]);
}

static void test_defaults(void **state)
{
    (void)state;
    hs_patrol_params p = hs_patrol_params_default();
    assert_int_equal(p.areas, 10);
    assert_float_equal(p.max_area_km2, 0.25, 0.0);
    assert_float_equal(p.max_aspect, 2.0, 0.0);
    hs_grid g = grid(10, 10, 100.0);
    /* 0.25 km2 / 0.01 km2 = 25 cells; 0.01 km2 / 0.01 km2 = 1 despite 0.01 not being exact. */
    assert_int_equal(hs_patrol_max_cells(&g, &p), 25);
    p.max_area_km2 = 0.01;
    assert_int_equal(hs_patrol_max_cells(&g, &p), 1);
    assert_int_equal(hs_patrol_cells_capacity(&g, &p), 10);
}

/* 5 x 5 grid of 100 m cells, cap 0.04 km2 = 4 cells, aspect 2: shapes 1x1, 1x2, 2x1, 2x2.
 *   row 0:  0 0 0 0 0
 *   row 1:  0 5 1 0 0
 *   row 2:  0 4 0 0 9
 *   row 3:  0 0 0 0 8
 *   row 4:  2 0 0 0 0
 * Best window: column 4 rows 2-3 (9 + 8 = 17 in 2 cells; the 2x2 at (2,3) also holds 17 but in
 * 4 cells). Then the 2x2 at (1,1): 5 + 1 + 4 + 0 = 10 (beats 5 + 4 = 9). Then the lone 2.
 * Total 29, study area 25 cells = 0.25 km2.
 * share: 17/29 = 58.6207 %, 10/29 = 34.4828 %, 2/29 = 6.8966 %.
 * PAI: (17/29)/(2/25) = 425/58, (10/29)/(4/25) = 250/116, (2/29)/(1/25) = 50/29. */
static void test_known_optimum(void **state)
{
    (void)state;
    const double v[25] = {0, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 4, 0,
                          0, 9, 0, 0, 0, 0, 8, 2, 0, 0, 0, 0};
    hs_grid g = grid(5, 5, 100.0);
    hs_patrol_params p = params(10, 0.04);
    run r;
    assert_int_equal(select_into(&g, v, NULL, &p, &r), HS_OK);
    assert_int_equal(r.n, 3);
    assert_float_equal(r.totals.incidents, 29.0, 0.0);
    assert_int_equal(r.totals.study_cells, 25);
    assert_float_equal(r.totals.study_area_km2, 0.25, 1e-12);

    const size_t a1[] = {14, 19}, a2[] = {6, 7, 11, 12}, a3[] = {20};
    assert_cells(&r, 0, a1, 2);
    assert_cells(&r, 1, a2, 4);
    assert_cells(&r, 2, a3, 1);
    assert_int_equal(r.areas[0].row0, 2);
    assert_int_equal(r.areas[0].col0, 4);
    assert_int_equal(r.areas[0].nrows, 2);
    assert_int_equal(r.areas[0].ncols, 1);
    const double inc[] = {17, 10, 2}, km2[] = {0.02, 0.04, 0.01};
    const double share[] = {100.0 * 17 / 29, 100.0 * 10 / 29, 100.0 * 2 / 29};
    const double pai[] = {425.0 / 58.0, 250.0 / 116.0, 50.0 / 29.0};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(r.areas[k].rank, k + 1);
        assert_float_equal(r.areas[k].incidents, inc[k], 0.0);
        assert_float_equal(r.areas[k].area_km2, km2[k], 1e-12);
        assert_float_equal(r.areas[k].share_pct, share[k], 1e-9);
        assert_float_equal(r.areas[k].pai, pai[k], 1e-9);
    }
}

/* The best window need not hold the hottest cell:
 *   10 0 0 0 / 0 0 0 0 / 0 0 4 4 / 0 0 4 0, cap 4 cells.
 * The 2x2 at (2,2) holds 12 > 10, so it is rank 1 and the lone 10 rank 2 (a region grown
 * from the hottest cell would have taken the 10 first). */
static void test_cluster_beats_hottest_cell(void **state)
{
    (void)state;
    const double v[16] = {10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0, 4, 0};
    hs_grid g = grid(4, 4, 100.0);
    hs_patrol_params p = params(5, 0.04);
    run r;
    assert_int_equal(select_into(&g, v, NULL, &p, &r), HS_OK);
    assert_int_equal(r.n, 2);
    const size_t a1[] = {10, 11, 14, 15}, a2[] = {0};
    assert_cells(&r, 0, a1, 4);
    assert_cells(&r, 1, a2, 1);
    assert_float_equal(r.areas[0].incidents, 12.0, 0.0);
    assert_float_equal(r.areas[1].incidents, 10.0, 0.0);
}

/* 10 x 10 cells of 1 incident, cap 0.09 km2 = 9 cells: only 3x3 reaches 9 (1x9 and 2x4 break
 * the aspect or hold fewer). Every 3x3 ties at 9; the lower north-west cell wins, so areas
 * 1-9 tile rows 0-8 x columns 0-8 in reading order. The 10th: the free strips (column 9 rows
 * 0-8, row 9) fit at most 2 cells (1x3 breaks aspect 2); the lowest anchor is cell 9 with the
 * 2x1 shape (the 1x2 would leave the grid): cells 9 and 19. */
static void test_size_cap_and_no_overlap(void **state)
{
    (void)state;
    double v[100];
    for (size_t i = 0; i < 100; i++)
        v[i] = 1.0;
    hs_grid g = grid(10, 10, 100.0);
    hs_patrol_params p = params(10, 0.09);
    run r;
    assert_int_equal(select_into(&g, v, NULL, &p, &r), HS_OK);
    assert_int_equal(r.n, 10);
    int used[100] = {0};
    for (size_t k = 0; k < r.n; k++) {
        const hs_patrol_area *a = &r.areas[k];
        assert_true(a->ncells <= 9);
        assert_true(a->area_km2 <= 0.09 + 1e-12);
        assert_true(a->nrows * a->ncols <= 9);
        for (size_t j = 0; j < a->ncells; j++)
            used[r.cells[a->cells_offset + j]]++;
        if (k < 9) {
            assert_int_equal(a->row0, 3 * (k / 3));
            assert_int_equal(a->col0, 3 * (k % 3));
            assert_int_equal(a->nrows, 3);
            assert_int_equal(a->ncols, 3);
            assert_float_equal(a->incidents, 9.0, 0.0);
            assert_float_equal(a->share_pct, 9.0, 1e-12);
            assert_float_equal(a->pai, 1.0, 1e-12);
        }
    }
    for (size_t i = 0; i < 100; i++)
        assert_true(used[i] <= 1);
    const size_t last[] = {9, 19};
    assert_cells(&r, 9, last, 2);
    assert_float_equal(r.areas[9].share_pct, 2.0, 1e-12);
}

/* PAI with a study-area mask. 4 x 4 cells of 50 m (0.0025 km2), cap 0.005 km2 = 2 cells.
 * Row 0 is outside the study area (its 100s are ignored); 12 study cells = 0.03 km2.
 *   row 1: 0 6 2 0 / row 2: 0 0 0 1 / row 3: 0 0 0 1
 * Total 10. Rank 1: cells 5, 6 (8; 80 %, 0.005 km2, PAI 0.8 / (2/12) = 4.8).
 * Rank 2: cells 11, 15 (2; 20 %, PAI 0.2 / (2/12) = 1.2). */
static void test_pai_by_hand_with_mask(void **state)
{
    (void)state;
    const double v[16] = {100, 100, 0, 0, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0, 1};
    const unsigned char m[16] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    hs_grid g = grid(4, 4, 50.0);
    hs_patrol_params p = params(2, 0.005);
    run r;
    assert_int_equal(select_into(&g, v, m, &p, &r), HS_OK);
    assert_int_equal(r.n, 2);
    assert_float_equal(r.totals.incidents, 10.0, 0.0);
    assert_int_equal(r.totals.study_cells, 12);
    assert_float_equal(r.totals.study_area_km2, 0.03, 1e-12);
    const size_t a1[] = {5, 6}, a2[] = {11, 15};
    assert_cells(&r, 0, a1, 2);
    assert_cells(&r, 1, a2, 2);
    assert_float_equal(r.areas[0].share_pct, 80.0, 1e-12);
    assert_float_equal(r.areas[0].area_km2, 0.005, 1e-12);
    assert_float_equal(r.areas[0].pai, 4.8, 1e-12);
    assert_float_equal(r.areas[1].share_pct, 20.0, 1e-12);
    assert_float_equal(r.areas[1].pai, 1.2, 1e-12);
}

/* A window may reach outside the study area; only its study cells belong to the area.
 * 3 x 3 cells of 100 m, cap 4 cells, the middle column outside:
 *   row 0: 3 [50] 3 / row 1: 3 [50] 3 / row 2: 0 [0] 0
 * The 2x2 windows at (0,0) and (0,1) each hold 6 in 2 study cells; so does the 2x1 column
 * 0 rows 0-1 at the same anchor, which is smaller in shape and comes first: cells 0 and 3.
 * Then the 2x2 at (0,1) (anchor 1 beats the 2x1 at anchor 2), whose study cells are 2 and 5.
 * PAI of rank 1: (6/12) / (2/6) = 1.5. */
static void test_window_reaching_outside_mask(void **state)
{
    (void)state;
    const double v[9] = {3, 50, 3, 3, 50, 3, 0, 0, 0};
    const unsigned char m[9] = {1, 0, 1, 1, 0, 1, 1, 0, 1};
    hs_grid g = grid(3, 3, 100.0);
    hs_patrol_params p = params(3, 0.04);
    run r;
    assert_int_equal(select_into(&g, v, m, &p, &r), HS_OK);
    assert_int_equal(r.n, 2);
    const size_t a1[] = {0, 3}, a2[] = {2, 5};
    assert_cells(&r, 0, a1, 2);
    assert_cells(&r, 1, a2, 2);
    assert_float_equal(r.totals.incidents, 12.0, 0.0);
    assert_float_equal(r.areas[0].pai, 1.5, 1e-12);
    assert_int_equal(r.areas[1].col0, 1);
    assert_int_equal(r.areas[1].ncols, 2);
}

/* Concentration, 10 x 10 cells: one 20 (cell 37), four 10s (1, 12, 55, 90), five 5s (3-7),
 * thirty 1s (60-89), the rest 0. Total 115.
 * top 1 % = 1 cell: 20/115; top 5 % = 5 cells: 60/115; top 10 % = 10 cells: 85/115.
 * With cell 37 outside the study area: N = 99, total 95; 1 % -> ceil(0.99) = 1 cell: 10;
 * 5 % -> ceil(4.95) = 5 cells: 40 + 5 = 45; 10 % -> ceil(9.9) = 10 cells: 40 + 25 + 1 = 66. */
static void test_concentration_by_hand(void **state)
{
    (void)state;
    double v[100] = {0};
    v[37] = 20;
    v[1] = v[12] = v[55] = v[90] = 10;
    for (size_t i = 3; i <= 7; i++)
        v[i] = 5;
    for (size_t i = 60; i <= 89; i++)
        v[i] = 1;
    hs_grid g = grid(10, 10, 100.0);
    const double pct[] = {1, 5, 10, 100};
    double share[4];
    assert_int_equal(hs_patrol_concentration(&g, v, NULL, pct, 4, share, NULL), HS_OK);
    assert_float_equal(share[0], 100.0 * 20 / 115, 1e-12);
    assert_float_equal(share[1], 100.0 * 60 / 115, 1e-12);
    assert_float_equal(share[2], 100.0 * 85 / 115, 1e-12);
    assert_float_equal(share[3], 100.0, 1e-12);

    unsigned char m[100];
    memset(m, 1, sizeof m);
    m[37] = 0;
    assert_int_equal(hs_patrol_concentration(&g, v, m, pct, 3, share, NULL), HS_OK);
    assert_float_equal(share[0], 100.0 * 10 / 95, 1e-12);
    assert_float_equal(share[1], 100.0 * 45 / 95, 1e-12);
    assert_float_equal(share[2], 100.0 * 66 / 95, 1e-12);

    const double bad[] = {0.0};
    hs_error err;
    assert_int_equal(hs_patrol_concentration(&g, v, NULL, bad, 1, share, &err), HS_EINVAL);
}

static void test_empty_input(void **state)
{
    (void)state;
    double v[36] = {0};
    hs_grid g = grid(6, 6, 100.0);
    hs_patrol_params p = params(10, 0.25);
    run r;
    assert_int_equal(select_into(&g, v, NULL, &p, &r), HS_OK);
    assert_int_equal(r.n, 0);
    assert_float_equal(r.totals.incidents, 0.0, 0.0);
    const double pct[] = {1, 5, 10};
    double share[3] = {-1, -1, -1};
    assert_int_equal(hs_patrol_concentration(&g, v, NULL, pct, 3, share, NULL), HS_OK);
    for (size_t k = 0; k < 3; k++)
        assert_float_equal(share[k], 0.0, 0.0);
    /* A grid without cells, and a request for no areas. */
    hs_grid g0 = grid(0, 0, 100.0);
    assert_int_equal(select_into(&g0, NULL, NULL, &p, &r), HS_OK);
    assert_int_equal(r.n, 0);
    v[7] = 3;
    p.areas = 0;
    assert_int_equal(select_into(&g, v, NULL, &p, &r), HS_OK);
    assert_int_equal(r.n, 0);
}

/* Zero counts around two incidents: only windows with incidents are chosen, each as tight as
 * it gets (1 cell), so 2 areas come back although 10 were asked for. */
static void test_zero_counts(void **state)
{
    (void)state;
    double v[36] = {0};
    v[14] = 3;
    v[35] = 1;
    hs_grid g = grid(6, 6, 100.0);
    hs_patrol_params p = params(10, 0.04);
    run r;
    assert_int_equal(select_into(&g, v, NULL, &p, &r), HS_OK);
    assert_int_equal(r.n, 2);
    const size_t a1[] = {14}, a2[] = {35};
    assert_cells(&r, 0, a1, 1);
    assert_cells(&r, 1, a2, 1);
    assert_float_equal(r.areas[0].pai, 0.75 * 36, 1e-12);
}

static void test_rejects_bad_input(void **state)
{
    (void)state;
    double v[16] = {0};
    hs_grid g = grid(4, 4, 100.0);
    hs_patrol_params p = params(3, 0.04);
    hs_error err;
    hs_patrol_area areas[3];
    size_t cells[12], n = 99;
    v[6] = -1.0;
    assert_int_equal(hs_patrol_select(&g, v, NULL, &p, areas, cells, &n, NULL, &err), HS_EDATA);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.what, "row 1, column 2"));
    /* Outside the study area a bad value is not read. */
    unsigned char m[16];
    memset(m, 1, sizeof m);
    m[6] = 0;
    assert_int_equal(hs_patrol_select(&g, v, m, &p, areas, cells, &n, NULL, &err), HS_OK);
    v[6] = 0.0 / 0.0;
    assert_int_equal(hs_patrol_select(&g, v, NULL, &p, areas, cells, &n, NULL, &err), HS_EDATA);
    v[6] = 0.0;
    p.max_area_km2 = 0.005; /* half a 100 m cell */
    assert_int_equal(hs_patrol_select(&g, v, NULL, &p, areas, cells, &n, NULL, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "smaller than one"));
    p.max_area_km2 = 0.04;
    p.max_aspect = 0.5;
    assert_int_equal(hs_patrol_select(&g, v, NULL, &p, areas, cells, &n, NULL, &err), HS_EINVAL);
}

/* Deterministic pseudo-random harm weights with a few hot clusters (no rand()). */
static void fill_random(double *v, unsigned char *m, size_t nx, size_t ny)
{
    uint64_t s = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < nx * ny; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        unsigned r = (unsigned)(s >> 33);
        size_t row = i / nx, col = i % nx;
        int hot = (row / 7 + col / 9) % 5 == 0;
        v[i] = (r % 100u) < (hot ? 40u : 5u) ? (double)(r % 7u) + 0.25 * (double)(r % 3u) : 0.0;
        m[i] = (r % 17u) != 0;
    }
}

/* The first area is the best window overall: check against a plain loop over every window
 * shape and position (sums added cell by cell). */
static void test_first_area_is_best_window(void **state)
{
    (void)state;
    enum { NX = 30, NY = 24 };
    double v[NX * NY];
    unsigned char m[NX * NY];
    fill_random(v, m, NX, NY);
    hs_grid g = grid(NX, NY, 100.0);
    hs_patrol_params p = params(1, 0.12); /* 12 cells: 3x4, 4x3, 2x6 ... */
    run r;
    assert_int_equal(select_into(&g, v, m, &p, &r), HS_OK);
    assert_int_equal(r.n, 1);
    double best = 0.0;
    for (size_t h = 1; h <= 12; h++) {
        for (size_t w = 1; w <= 12 && h * w <= 12; w++) {
            if (h > 2 * w || w > 2 * h)
                continue;
            for (size_t r0 = 0; r0 + h <= NY; r0++) {
                for (size_t c0 = 0; c0 + w <= NX; c0++) {
                    double s = 0.0;
                    for (size_t rr = r0; rr < r0 + h; rr++)
                        for (size_t cc = c0; cc < c0 + w; cc++)
                            s += m[rr * NX + cc] ? v[rr * NX + cc] : 0.0;
                    best = s > best ? s : best;
                }
            }
        }
    }
    assert_true(best > 0.0);
    assert_float_equal(r.areas[0].incidents, best, 1e-9);
}

static void test_same_bytes_at_1_2_4_threads(void **state)
{
    (void)state;
    enum { NX = 80, NY = 60 };
    static double v[NX * NY];
    static unsigned char m[NX * NY];
    fill_random(v, m, NX, NY);
    hs_grid g = grid(NX, NY, 50.0);
    hs_patrol_params p = params(10, 0.04); /* 16 cells of 50 m */
    static run r[3];
    const int threads[3] = {1, 2, 4};
    for (int t = 0; t < 3; t++) {
        omp_set_num_threads(threads[t]);
        assert_int_equal(select_into(&g, v, m, &p, &r[t]), HS_OK);
    }
    omp_set_num_threads(1);
    assert_int_equal(r[0].n, 10);
    for (int t = 1; t < 3; t++)
        assert_memory_equal(&r[0], &r[t], sizeof r[0]);
    for (size_t k = 1; k < r[0].n; k++)
        assert_true(r[0].areas[k].incidents <= r[0].areas[k - 1].incidents);
}

static void test_label_raster(void **state)
{
    (void)state;
    const double v[16] = {10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0, 4, 0};
    hs_grid g = grid(4, 4, 100.0);
    hs_patrol_params p = params(5, 0.04);
    run r;
    assert_int_equal(select_into(&g, v, NULL, &p, &r), HS_OK);
    int32_t rank[16];
    hs_patrol_label(&g, r.areas, r.n, r.cells, rank);
    const int32_t want[16] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1};
    assert_memory_equal(rank, want, sizeof want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_known_optimum),
        cmocka_unit_test(test_cluster_beats_hottest_cell),
        cmocka_unit_test(test_size_cap_and_no_overlap),
        cmocka_unit_test(test_pai_by_hand_with_mask),
        cmocka_unit_test(test_window_reaching_outside_mask),
        cmocka_unit_test(test_concentration_by_hand),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_zero_counts),
        cmocka_unit_test(test_rejects_bad_input),
        cmocka_unit_test(test_first_area_is_best_window),
        cmocka_unit_test(test_same_bytes_at_1_2_4_threads),
        cmocka_unit_test(test_label_raster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

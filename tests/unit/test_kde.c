/* test_kde.c - kernel density: one point by hand, integrals, cut-offs, alignment, weights,
 * edge correction, raw scale, the default radius, thread invariance and bad input.
 * Expected values are worked by hand in the comments (or follow from the kernel formulas
 * in kde.h evaluated independently here), with the tolerance stated at each check. */
#include "engine/grid.h"
#include "engine/kde.h"

#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PI 3.14159265358979323846

/* ---- helpers ---------------------------------------------------------------------------- */

/* cmocka's assert_float_equal compares in float; these checks need double. */
static void check_near(double got, double want, double tol, const char *expr, int line)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("line %d: %s = %.12g, expected %.12g within %g", line, expr, got, want, tol);
}
#define assert_near(got, want, tol) check_near((got), (want), (tol), #got, __LINE__)

/* Counter-based uniform in [0, 1): splitmix64 of (seed, i). */
static double unit_draw(uint64_t seed, uint64_t i)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL + i * 0xBF58476D1CE4E5B9ULL + 0x94D049BB133111EBULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

static float *compute(const hs_kde_params *p, const hs_grid *g, const double *x, const double *y,
                      const double *w, size_t n, const unsigned char *mask)
{
    float *d = malloc(hs_grid_size(g) * sizeof *d);
    assert_non_null(d);
    hs_error err;
    hs_status st = hs_kde_compute(p, g, x, y, w, n, mask, d, &err);
    if (st != HS_OK)
        fail_msg("hs_kde_compute: %s", err.what);
    return d;
}

static double at(const hs_grid *g, const float *d, size_t row, size_t col)
{
    return (double)d[row * g->nx + col];
}

static double grid_integral(const hs_grid *g, const float *d)
{
    double s = 0.0;
    for (size_t i = 0; i < hs_grid_size(g); i++)
        s += (double)d[i];
    return s * g->cell_m * g->cell_m / 1e6;
}

/* ---- one point -------------------------------------------------------------------------- */

static void test_one_point_peak_and_radius(void **state)
{
    (void)state;
    /* Point (1005, 2005), r = 50, cell 10. Grid: bbox padded by 50 is 955..1055 x 1955..2055,
     * widened to 950..1060 x 1950..2060: 11 x 11 cells; the point is the centre of cell
     * (5, 5). Quartic peak: 3/pi / 50^2 per m2 = 3/pi * 400 per km2 = 381.9718634. */
    double x = 1005, y = 2005;
    hs_kde_params p = hs_kde_params_default();
    p.radius_m = 50;
    hs_grid g;
    assert_int_equal(hs_kde_grid_for_points(&p, 10, &x, &y, 1, &g, NULL), HS_OK);
    assert_int_equal(g.nx, 11);
    assert_int_equal(g.ny, 11);
    assert_near(g.xmin_m, 950, 0);
    assert_near(g.ymax_m, 2060, 0);
    float *d = compute(&p, &g, &x, &y, NULL, 1, NULL);
    double peak = 3.0 / PI * 400.0;
    assert_near(at(&g, d, 5, 5), peak, peak * 1e-6);
    /* 3 cells east: d = 30, u = 0.6, (1 - 0.36)^2 = 0.4096. */
    assert_near(at(&g, d, 5, 8), peak * 0.4096, peak * 1e-6);
    /* 4 east, 2 north: d^2 = 2000, u^2 = 0.8, (0.2)^2 = 0.04. */
    assert_near(at(&g, d, 3, 9), peak * 0.04, peak * 1e-6);
    /* d = 50 = r (5 east; 4 east 3 south): outside. */
    assert_true(at(&g, d, 5, 10) == 0.0);
    assert_true(at(&g, d, 8, 9) == 0.0);
    /* Cells with i^2 + j^2 < 25: 9 (i=0) + 2*9 (|i|=1) + 2*9 (|i|=2) + 2*7 (|i|=3)
     * + 2*5 (|i|=4) = 69. */
    size_t nonzero = 0;
    for (size_t i = 0; i < hs_grid_size(&g); i++)
        nonzero += d[i] > 0.0f ? 1 : 0;
    assert_int_equal(nonzero, 69);
    free(d);
}

/* ---- integrals -------------------------------------------------------------------------- */

static void test_integral_of_every_kernel_is_sum_of_weights(void **state)
{
    (void)state;
    /* Three points with weights 1, 2.5, 0.5 (sum 4) on a 1 m grid; support 120 m for every
     * kernel (gaussian: sd 30 m, cut at 4 sd). The midpoint sum over the grid must equal
     * 4 within 1e-3 (relative). */
    double x[3] = {1000.3, 1101.7, 1043.2}, y[3] = {5000.6, 5030.1, 5150.9};
    double w[3] = {1.0, 2.5, 0.5};
    for (int k = 0; k < HS_KDE_KERNEL_COUNT; k++) {
        hs_kde_params p = hs_kde_params_default();
        p.kernel = (hs_kde_kernel)k;
        p.radius_m = k == HS_KDE_GAUSSIAN ? 30.0 : 120.0;
        hs_grid g;
        assert_int_equal(hs_grid_aligned(1000.3, 5000.6, 1101.7, 5150.9, 121, 1, 0, &g, NULL),
                         HS_OK);
        float *d = compute(&p, &g, x, y, w, 3, NULL);
        double total = grid_integral(&g, d);
        if (fabs(total - 4.0) > 4e-3)
            fail_msg("kernel %s integrates to %.6f, expected 4 within 1e-3 relative",
                     hs_kde_kernel_name(p.kernel), total);
        free(d);
    }
}

/* ---- cut-off ---------------------------------------------------------------------------- */

static void test_cutoff_is_strict_at_r_and_4r_for_gaussian(void **state)
{
    (void)state;
    /* Uniform, r = 30, cell 10, point at a cell centre: 1/pi / 900 m2 = 353.677651 per km2
     * on every cell with offsets i^2 + j^2 < 9 (d < 30), 0 at d = 30 exactly. */
    double x = 105, y = 105;
    hs_kde_params p = hs_kde_params_default();
    p.kernel = HS_KDE_UNIFORM;
    p.radius_m = 30;
    hs_grid g = {.xmin_m = 0, .ymax_m = 210, .cell_m = 10, .nx = 21, .ny = 21};
    float *d = compute(&p, &g, &x, &y, NULL, 1, NULL);
    /* The point is the centre of row 10, col 10. */
    double v = 1e6 / (PI * 900.0);
    assert_near(at(&g, d, 10, 10), v, v * 1e-6);
    assert_near(at(&g, d, 8, 8), v, v * 1e-6);   /* d = 28.28 */
    assert_near(at(&g, d, 10, 12), v, v * 1e-6); /* d = 20 */
    assert_true(at(&g, d, 10, 13) == 0.0);             /* d = 30 */
    assert_true(at(&g, d, 7, 10) == 0.0);              /* d = 30 */
    free(d);

    /* Gaussian, sd 10: support 40. Offset (3, 2) cells: d^2 = 1300, inside;
     * value exp(-13/2) / (2 pi (1 - e^-8)) / 100 m2 * 1e6. Offset (4, 0): d = 40, outside. */
    p.kernel = HS_KDE_GAUSSIAN;
    p.radius_m = 10;
    d = compute(&p, &g, &x, &y, NULL, 1, NULL);
    double gv = exp(-6.5) / (2.0 * PI * (1.0 - exp(-8.0))) * 1e4;
    assert_near(at(&g, d, 8, 13), gv, gv * 1e-6);
    assert_true(at(&g, d, 10, 14) == 0.0);
    assert_true(at(&g, d, 6, 10) == 0.0);
    assert_true(at(&g, d, 10, 6) == 0.0);
    free(d);
}

/* ---- alignment -------------------------------------------------------------------------- */

static void test_grid_is_aligned_and_symmetric(void **state)
{
    (void)state;
    /* Points 1003..1061 x 2007..2033, r = 100, cell 25: padded 903..1161 x 1907..2133,
     * aligned to 900..1175 (11 cols) x 1900..2150 (10 rows). */
    double x[2] = {1003, 1061}, y[2] = {2007, 2033};
    hs_kde_params p = hs_kde_params_default();
    p.radius_m = 100;
    hs_grid g;
    assert_int_equal(hs_kde_grid_for_points(&p, 25, x, y, 2, &g, NULL), HS_OK);
    assert_near(g.xmin_m, 900, 0);
    assert_near(g.ymax_m, 2150, 0);
    assert_int_equal(g.nx, 11);
    assert_int_equal(g.ny, 10);

    /* A point on the corner shared by 4 cells gives them equal values. */
    double cx = 1000, cy = 2000; /* corner between cols 3|4 and rows 5|6 of this grid */
    float *d = compute(&p, &g, &cx, &cy, NULL, 1, NULL);
    double v = at(&g, d, 5, 3);
    assert_true(v > 0.0);
    assert_true(at(&g, d, 5, 4) == v && at(&g, d, 6, 3) == v && at(&g, d, 6, 4) == v);
    /* d^2 = 12.5^2 * 2 = 312.5, u^2 = 0.03125: 3/pi/1e4 * 1e6 * (1 - 0.03125)^2. */
    double want = 300.0 / PI * 0.96875 * 0.96875;
    assert_near(v, want, want * 1e-6);
    free(d);
}

/* ---- weights ---------------------------------------------------------------------------- */

static void test_weights_scale_and_stack(void **state)
{
    (void)state;
    hs_kde_params p = hs_kde_params_default();
    p.radius_m = 40;
    hs_grid g = {.xmin_m = 0, .ymax_m = 200, .cell_m = 5, .nx = 40, .ny = 40};
    double x1 = 73.3, y1 = 111.2;
    double w3 = 3.0;
    float *one = compute(&p, &g, &x1, &y1, NULL, 1, NULL);
    float *weighted = compute(&p, &g, &x1, &y1, &w3, 1, NULL);
    double x3[3] = {x1, x1, x1}, y3[3] = {y1, y1, y1};
    float *stacked = compute(&p, &g, x3, y3, NULL, 3, NULL);
    for (size_t i = 0; i < hs_grid_size(&g); i++) {
        double o = (double)one[i], wt = (double)weighted[i], st = (double)stacked[i];
        assert_near(wt, 3.0 * o, 3.0 * o * 1e-6);
        assert_near(st, wt, wt * 1e-6);
    }
    /* A zero weight adds nothing. */
    double x2[2] = {x1, 150}, y2[2] = {y1, 50}, w2[2] = {1, 0};
    float *zero = compute(&p, &g, x2, y2, w2, 2, NULL);
    assert_memory_equal(zero, one, hs_grid_size(&g) * sizeof *one);
    free(zero);
    free(stacked);
    free(weighted);
    free(one);
}

/* ---- edge correction -------------------------------------------------------------------- */

static void test_edge_correction_by_hand(void **state)
{
    (void)state;
    /* Uniform r = 20 on 10 m cells: the stencil is the 9 cells with i^2 + j^2 < 4 (the 3x3
     * block). Mask: columns >= 5 of a 12 x 12 grid. A point at the centre of cell (6, 5),
     * the mask's west column: uncorrected 1/pi/400 * 1e6 = 795.774715; its stencil has 6 of
     * 9 cells inside, so corrected = 795.774715 * 9/6. Cell (6, 7), two columns in: share
     * 1, unchanged. Cell (6, 4) is outside the mask: nodata. */
    hs_grid g = {.xmin_m = 0, .ymax_m = 120, .cell_m = 10, .nx = 12, .ny = 12};
    unsigned char mask[144];
    for (size_t i = 0; i < 144; i++)
        mask[i] = (i % 12) >= 5;
    hs_kde_params p = hs_kde_params_default();
    p.kernel = HS_KDE_UNIFORM;
    p.radius_m = 20;
    p.edge_correction = 1;
    double x[2] = {55, 75}, y[2] = {55, 55}; /* centres of (6, 5) and (6, 7) */
    float *d = compute(&p, &g, x, y, NULL, 2, mask);
    double v = 1e6 / (PI * 400.0);
    /* (6,5) holds point 0 only (point 1 is 20 m away: d = r, outside). */
    assert_near(at(&g, d, 6, 5), v * 1.5, v * 1.5e-6);
    assert_near(at(&g, d, 6, 7), v, v * 1e-6);
    assert_true(at(&g, d, 6, 4) == (double)HS_KDE_NODATA);
    /* (6, 6) sees both points (d = 10 each), share 1: 2v. */
    assert_near(at(&g, d, 6, 6), 2 * v, 2 * v * 1e-6);
    free(d);

    /* Without a mask the grid edge is the boundary: a corner cell keeps 4 of 9. */
    double cx = 5, cy = 115;
    d = compute(&p, &g, &cx, &cy, NULL, 1, NULL);
    assert_near(at(&g, d, 0, 0), v * 9.0 / 4.0, v * 2.25e-6);
    free(d);

    /* Off by default: the same corner is uncorrected. */
    p.edge_correction = 0;
    d = compute(&p, &g, &cx, &cy, NULL, 1, NULL);
    assert_near(at(&g, d, 0, 0), v, v * 1e-6);
    free(d);
}

/* ---- raw scale -------------------------------------------------------------------------- */

static void test_raw_scale(void **state)
{
    (void)state;
    /* Raw: sum w k(u) with k(0) = 1. Weight 2 at a cell centre; quartic at u = 0.6:
     * 2 * 0.4096; gaussian (sd 10) at d = 10: 2 * exp(-1/2). */
    hs_grid g = {.xmin_m = 0, .ymax_m = 210, .cell_m = 10, .nx = 21, .ny = 21};
    double x = 105, y = 105, w = 2;
    hs_kde_params p = hs_kde_params_default();
    p.scale = HS_KDE_SCALE_RAW;
    p.radius_m = 50;
    float *d = compute(&p, &g, &x, &y, &w, 1, NULL);
    assert_near(at(&g, d, 10, 10), 2.0, 1e-6);
    assert_near(at(&g, d, 10, 13), 2.0 * 0.4096, 1e-6);
    free(d);
    p.kernel = HS_KDE_GAUSSIAN;
    p.radius_m = 10;
    d = compute(&p, &g, &x, &y, &w, 1, NULL);
    assert_near(at(&g, d, 9, 10), 2.0 * exp(-0.5), 1e-6);
    free(d);
    assert_near(hs_kde_kernel_value(HS_KDE_TRIANGULAR, HS_KDE_SCALE_RAW, 0.25), 0.75, 1e-15);
    assert_near(hs_kde_kernel_value(HS_KDE_TRIWEIGHT, HS_KDE_SCALE_DENSITY, 0.5),
                       4.0 / PI * 0.421875, 1e-15);
}

/* ---- against a plain loop --------------------------------------------------------------- */

static void test_every_kernel_matches_a_plain_loop(void **state)
{
    (void)state;
    /* 300 random points, some outside the grid, 8-cell tiles; every cell against a direct
     * sum of w K(d/r)/r^2 * 1e6 over all points (kernel formulas written out here). */
    enum { N = 300 };
    double x[N], y[N], w[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = -50 + 500 * unit_draw(7, 3 * i);
        y[i] = -50 + 400 * unit_draw(7, 3 * i + 1);
        w[i] = 0.5 + 2 * unit_draw(7, 3 * i + 2);
    }
    hs_grid g = {.xmin_m = 0, .ymax_m = 300, .cell_m = 7, .nx = 60, .ny = 43};
    for (int k = 0; k < HS_KDE_KERNEL_COUNT; k++) {
        hs_kde_params p = hs_kde_params_default();
        p.kernel = (hs_kde_kernel)k;
        p.radius_m = k == HS_KDE_GAUSSIAN ? 9.0 : 35.0;
        p.tile_cells = 8;
        float *d = compute(&p, &g, x, y, w, N, NULL);
        double r = p.radius_m, cut = k == HS_KDE_GAUSSIAN ? 4 * r : r;
        for (size_t row = 0; row < g.ny; row++) {
            for (size_t col = 0; col < g.nx; col++) {
                double cx = hs_grid_centre_x(&g, col), cy = hs_grid_centre_y(&g, row), s = 0;
                for (size_t i = 0; i < N; i++) {
                    double dx = cx - x[i], dy = cy - y[i], d2 = dx * dx + dy * dy;
                    if (d2 >= cut * cut)
                        continue;
                    double u = sqrt(d2) / r, t = 1 - u * u, kv;
                    switch (k) {
                    case HS_KDE_QUARTIC: kv = 3 / PI * t * t; break;
                    case HS_KDE_TRIWEIGHT: kv = 4 / PI * t * t * t; break;
                    case HS_KDE_EPANECHNIKOV: kv = 2 / PI * t; break;
                    case HS_KDE_TRIANGULAR: kv = 3 / PI * (1 - u); break;
                    case HS_KDE_UNIFORM: kv = 1 / PI; break;
                    default: kv = exp(-u * u / 2) / (2 * PI * (1 - exp(-8.0))); break;
                    }
                    s += w[i] * kv / (r * r) * 1e6;
                }
                double got = at(&g, d, row, col);
                if (fabs(got - s) > 1e-6 * s + 1e-12)
                    fail_msg("%s cell (%zu,%zu): %.9g, plain loop %.9g",
                             hs_kde_kernel_name(p.kernel), row, col, got, s);
            }
        }
        free(d);
    }
}

/* A radius of 100,000 cells: rows more than 65,536 rows from a point are beyond the engine's
 * table of row reaches and take the computed reach; then one of 1e17 cells (whole rows). Points 80 km north and east of a 12 x 9
 * grid of 1 m cells, one inside, and one about r from the grid's north-west corner (some
 * cells inside the cutoff, some outside: the uniform kernel shows a wrong cutoff at once);
 * every cell against the plain sum, quartic and uniform, with one tile and with 8-cell tiles. */
static void test_radius_beyond_the_reach_table(void **state)
{
    (void)state;
    enum { N = 4 };
    const double x[N] = {6.3, 80000.0, 5.5, -70710.0};
    const double y[N] = {80000.0, -4.5, -3.5, 70710.2};
    hs_grid g = {.xmin_m = 0, .ymax_m = 0, .cell_m = 1, .nx = 12, .ny = 9};
    const double r = 100000.0;
    const hs_kde_kernel kernels[2] = {HS_KDE_QUARTIC, HS_KDE_UNIFORM};
    size_t inside_d = 0, outside_d = 0;
    for (int kk = 0; kk < 2; kk++) {
        for (size_t tile = 0; tile <= 8; tile += 8) {
            hs_kde_params p = hs_kde_params_default();
            p.kernel = kernels[kk];
            p.radius_m = r;
            p.tile_cells = tile;
            float *d = compute(&p, &g, x, y, NULL, N, NULL);
            for (size_t row = 0; row < g.ny; row++) {
                for (size_t col = 0; col < g.nx; col++) {
                    double cx = hs_grid_centre_x(&g, col), cy = hs_grid_centre_y(&g, row);
                    double s = 0;
                    for (size_t i = 0; i < N; i++) {
                        double dx = cx - x[i], dy = cy - y[i], d2 = dx * dx + dy * dy;
                        if (i == 3 && kk == 0 && tile == 0)
                            d2 < r * r ? inside_d++ : outside_d++;
                        if (d2 >= r * r)
                            continue;
                        double u = sqrt(d2) / r, t = 1 - u * u;
                        s += (kernels[kk] == HS_KDE_QUARTIC ? 3 / PI * t * t : 1 / PI) / (r * r) *
                             1e6;
                    }
                    double got = at(&g, d, row, col);
                    if (fabs(got - s) > 1e-6 * s)
                        fail_msg("%s, tiles of %zu: cell (%zu,%zu) = %.9g, plain sum %.9g",
                                 hs_kde_kernel_name(p.kernel), tile, row, col, got, s);
                }
            }
            free(d);
        }
    }
    /* The far corner point really straddles the cutoff over the grid. */
    assert_true(inside_d > 0 && outside_d > 0);

    /* Beyond 1e15 cells the engine takes whole rows and lets the mask decide: a point 1e16 m
     * east of the grid with r = 1e17 m covers every cell, uniformly (1/pi/r^2 per m2). */
    const double fx = 1e16, fy = -4.5, big_r = 1e17;
    hs_kde_params p = hs_kde_params_default();
    p.kernel = HS_KDE_UNIFORM;
    p.radius_m = big_r;
    float *d = compute(&p, &g, &fx, &fy, NULL, 1, NULL);
    double want = 1 / PI / (big_r * big_r) * 1e6;
    for (size_t i = 0; i < hs_grid_size(&g); i++)
        if (fabs((double)d[i] - want) > 1e-6 * want)
            fail_msg("r = 1e17 m: cell %zu = %.9g, expected %.9g", i, (double)d[i], want);
    free(d);
}

/* Near the top of a disc of 1.3e12 cells, rounding in the d^2 test admits columns beyond the
 * exact reach (a reviewer's case: 11 of 256 cells were missed before the row reaches allowed
 * for it). The engine must mark exactly the cells the test d^2 < r^2 selects. */
static void test_disc_edge_at_extreme_scale(void **state)
{
    (void)state;
    hs_grid g = {.xmin_m = 0, .ymax_m = 0, .cell_m = 0.1, .nx = 16, .ny = 16};
    hs_kde_params p = hs_kde_params_default();
    p.kernel = HS_KDE_UNIFORM;
    p.scale = HS_KDE_SCALE_RAW;
    p.tile_cells = 8;
    p.radius_m = 128713082075.95001;
    const double px = 0.8, py = -128713082076.0;
    float *d = compute(&p, &g, &px, &py, NULL, 1, NULL);
    size_t eng = 0, ref = 0;
    for (size_t r = 0; r < g.ny; r++)
        for (size_t c = 0; c < g.nx; c++) {
            double dx = hs_grid_centre_x(&g, c) - px, dy = hs_grid_centre_y(&g, r) - py;
            ref += dx * dx + dy * dy < p.radius_m * p.radius_m;
            eng += d[r * g.nx + c] != 0.0f;
        }
    free(d);
    assert_int_equal(eng, ref);
}

/* ---- default radius --------------------------------------------------------------------- */

static void test_auto_radius_by_hand(void **state)
{
    (void)state;
    double r;
    /* (0,0) (6,0) (0,8) (6,8) (3,4): mean (3,4); distances 5,5,5,5,0: Dm = 5;
     * SD = sqrt(4*25/5) = sqrt(20); sqrt(1/ln2)*5 = 6.0056 > SD, so
     * r = 0.9 * sqrt(20) * 5^-0.2 = 2.9171819. */
    double xa[5] = {0, 6, 0, 6, 3}, ya[5] = {0, 0, 8, 8, 4};
    assert_int_equal(hs_kde_auto_radius(xa, ya, NULL, 5, &r, NULL), HS_OK);
    assert_near(r, 2.9171819, 1e-6);

    /* (0,0) (2,0) (0,2) (2,2) (101,101): mean (21,21); distances 29.70, 28.32, 28.32, 26.87,
     * 113.14: Dm = sqrt(19^2 + 21^2) = sqrt(802); SD = sqrt(16008/5) = 56.58 >
     * sqrt(1/ln2) * sqrt(802) = 34.02, so r = 0.9 * 34.0153 * 5^-0.2 = 22.188245. */
    double xb[5] = {0, 2, 0, 2, 101}, yb[5] = {0, 0, 2, 2, 101};
    assert_int_equal(hs_kde_auto_radius(xb, yb, NULL, 5, &r, NULL), HS_OK);
    assert_near(r, 22.188245, 1e-5);

    /* Weighted: (0,0) w 3, (10,0) w 1: mean (2.5, 0); distances 2.5 (w 3), 7.5 (w 1): the
     * weighted median is 2.5; SD = sqrt((3*6.25 + 56.25)/4) = 4.330; sqrt(1/ln2)*2.5 =
     * 3.0028 is smaller; n = sum w = 4: r = 0.9 * 3.002806 * 4^-0.2 = 2.0481313. */
    double xc[2] = {0, 10}, yc[2] = {0, 0}, wc[2] = {3, 1};
    assert_int_equal(hs_kde_auto_radius(xc, yc, wc, 2, &r, NULL), HS_OK);
    assert_near(r, 2.0481313, 1e-6);
    /* ... the same as the point list with (0,0) three times. */
    double xd[4] = {0, 0, 0, 10}, yd[4] = {0, 0, 0, 0}, rd;
    assert_int_equal(hs_kde_auto_radius(xd, yd, NULL, 4, &rd, NULL), HS_OK);
    assert_near(r, rd, 1e-12);

    /* All at one place: no radius. */
    hs_error err;
    double xe[3] = {5, 5, 5}, ye[3] = {1, 1, 1};
    assert_int_equal(hs_kde_auto_radius(xe, ye, NULL, 3, &r, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "one location"));
}

/* ---- threads ---------------------------------------------------------------------------- */

static void test_same_bytes_at_1_2_4_threads(void **state)
{
    (void)state;
    enum { N = 3000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *w = malloc(N * sizeof *w);
    assert_true(x && y && w);
    for (size_t i = 0; i < N; i++) {
        /* Clustered: half the points within 60 m of (400, 300). */
        double cx = i % 2 ? 400 : 0, cy = i % 2 ? 300 : 0, span = i % 2 ? 120 : 1000;
        x[i] = cx + span * (unit_draw(11, 3 * i) - (i % 2 ? 0.5 : 0));
        y[i] = cy + span * (unit_draw(11, 3 * i + 1) - (i % 2 ? 0.5 : 0)) * 0.8;
        w[i] = 1 + (double)(i % 3);
    }
    hs_grid g = {.xmin_m = 0, .ymax_m = 800, .cell_m = 4, .nx = 250, .ny = 200};
    unsigned char *mask = malloc(hs_grid_size(&g));
    assert_non_null(mask);
    for (size_t i = 0; i < hs_grid_size(&g); i++)
        mask[i] = (i / g.nx) + (i % g.nx) < 380; /* a diagonal study-area edge */
    hs_kde_kernel kernels[3] = {HS_KDE_QUARTIC, HS_KDE_GAUSSIAN, HS_KDE_TRIANGULAR};
    for (int k = 0; k < 3; k++) {
        hs_kde_params p = hs_kde_params_default();
        p.kernel = kernels[k];
        p.radius_m = k == 1 ? 15 : 50;
        p.edge_correction = 1;
        p.tile_cells = 16;
        float *ref = NULL;
        int threads[3] = {1, 2, 4};
        for (int t = 0; t < 3; t++) {
            omp_set_num_threads(threads[t]);
            float *d = compute(&p, &g, x, y, w, N, mask);
            if (ref == NULL)
                ref = d;
            else {
                assert_memory_equal(ref, d, hs_grid_size(&g) * sizeof *d);
                free(d);
            }
        }
        free(ref);
    }
    omp_set_num_threads(1);
    free(mask);
    free(w);
    free(y);
    free(x);
}

/* ---- bad input -------------------------------------------------------------------------- */

static void test_bad_input_is_a_clear_error(void **state)
{
    (void)state;
    hs_error err;
    hs_grid g = {.xmin_m = 0, .ymax_m = 100, .cell_m = 10, .nx = 10, .ny = 10};
    float d[100];
    double x[3] = {10, 20, 30}, y[3] = {10, 20, 30};
    hs_kde_params p = hs_kde_params_default();

    p.radius_m = 0;
    assert_int_equal(hs_kde_compute(&p, &g, x, y, NULL, 3, NULL, d, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "radius"));
    p.radius_m = -5;
    assert_int_equal(hs_kde_grid_for_points(&p, 10, x, y, 3, &g, &err), HS_EINVAL);
    p.radius_m = NAN;
    assert_int_equal(hs_kde_compute(&p, &g, x, y, NULL, 3, NULL, d, &err), HS_EINVAL);
    p.radius_m = 25;

    hs_grid out;
    assert_int_equal(hs_kde_grid_for_points(&p, 0, x, y, 3, &out, &err), HS_EINVAL);
    assert_int_equal(hs_kde_grid_for_points(&p, -1, x, y, 3, &out, &err), HS_EINVAL);
    hs_grid bad = g;
    bad.cell_m = 0;
    assert_int_equal(hs_kde_compute(&p, &bad, x, y, NULL, 3, NULL, d, &err), HS_EINVAL);

    /* Too many cells: refused before anything is allocated. 1e6 m at 1 m = 1e12 cells. */
    double fx[2] = {0, 1e6}, fy[2] = {0, 1e6};
    assert_int_equal(hs_kde_grid_for_points(&p, 1, fx, fy, 2, &out, &err), HS_ENOMEM);
    assert_non_null(strstr(err.what, "exceed"));
    p.max_cells = 50; /* the 100-cell grid is over this limit */
    assert_int_equal(hs_kde_compute(&p, &g, x, y, NULL, 3, NULL, d, &err), HS_ENOMEM);
    p.max_cells = 0;

    /* An extent with no points near it. */
    double far_x = 5000, far_y = 5000;
    assert_int_equal(hs_kde_compute(&p, &g, &far_x, &far_y, NULL, 1, NULL, d, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "none of the 1 points"));
    assert_int_equal(hs_kde_compute(&p, &g, x, y, NULL, 0, NULL, d, &err), HS_EDATA);

    /* NaN coordinate: the message names the index. */
    x[2] = NAN;
    assert_int_equal(hs_kde_compute(&p, &g, x, y, NULL, 3, NULL, d, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "point 2 "));
    assert_int_equal(hs_kde_grid_for_points(&p, 10, x, y, 3, &out, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "point 2 "));
    x[2] = 30;
    double w[3] = {1, -1, 1};
    assert_int_equal(hs_kde_compute(&p, &g, x, y, w, 3, NULL, d, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "point 1 "));

    hs_kde_kernel k;
    assert_int_equal(hs_kde_kernel_parse("biweight", &k, &err), HS_EINVAL);
    assert_int_equal(hs_kde_kernel_parse("epanechnikov", &k, &err), HS_OK);
    assert_int_equal(k, HS_KDE_EPANECHNIKOV);
    hs_kde_scale s;
    assert_int_equal(hs_kde_scale_parse("raw", &s, &err), HS_OK);
    assert_int_equal(s, HS_KDE_SCALE_RAW);
    assert_int_equal(hs_kde_scale_parse("scaled", &s, &err), HS_EINVAL);
    p.tile_cells = 3;
    assert_int_equal(hs_kde_compute(&p, &g, x, y, NULL, 3, NULL, d, &err), HS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_point_peak_and_radius),
        cmocka_unit_test(test_integral_of_every_kernel_is_sum_of_weights),
        cmocka_unit_test(test_cutoff_is_strict_at_r_and_4r_for_gaussian),
        cmocka_unit_test(test_grid_is_aligned_and_symmetric),
        cmocka_unit_test(test_weights_scale_and_stack),
        cmocka_unit_test(test_edge_correction_by_hand),
        cmocka_unit_test(test_raw_scale),
        cmocka_unit_test(test_every_kernel_matches_a_plain_loop),
        cmocka_unit_test(test_radius_beyond_the_reach_table),
        cmocka_unit_test(test_disc_edge_at_extreme_scale),
        cmocka_unit_test(test_auto_radius_by_hand),
        cmocka_unit_test(test_same_bytes_at_1_2_4_threads),
        cmocka_unit_test(test_bad_input_is_a_clear_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* bench_kde.c - kernel density speed: 100k and 1M seeded clustered points in a 20 km x 20 km
 * extent, quartic r = 200 m on 10 m cells (2000 x 2000 cells), at 1 and 2 threads, against a
 * naive single-threaded loop (each point scattered over its bounding box of cells, measured
 * in the same run).
 *
 * Prints one line per case (see harness.h) with, in the extra fields, the kernel
 * evaluations (point-cell pairs with d < r, counted by the naive loop), evaluations per
 * second per thread, peak RSS and the largest relative difference from the naive raster.
 * The points come from a small counter-based generator here (the shared generator library
 * is not written yet): 60 clusters with normal spreads of 150..900 m plus 20% uniform
 * background, every draw a hash of (seed, point, draw).
 * Usage: bench_kde [repeats (default 3)] [tile side in cells (default: the library's)]
 * [sizes: 1 = 100k only, 2 = 1M only, 3 = both (default)] */
#include "benchmarks/harness.h"
#include "engine/grid.h"
#include "engine/kde.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI        3.14159265358979323846
#define EXTENT_M  20000.0
#define CELL_M    10.0
#define RADIUS_M  200.0
#define CLUSTERS  60
#define SEED      20240101ULL

/* ---- seeded points ---------------------------------------------------------------------- */

static double draw(uint64_t point, uint64_t k)
{
    uint64_t z = SEED * 0x9E3779B97F4A7C15ULL ^ (point * 0xD1B54A32D192ED03ULL + k * 0x8CB92BA72F3D8DD7ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double clamp_extent(double v)
{
    return v < 0.0 ? 0.0 : (v >= EXTENT_M ? EXTENT_M - 1e-6 : v);
}

/* Point i: background (20%) uniform over the extent, else normal around cluster c. */
static void make_points(size_t n, double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        if (draw(i, 0) < 0.2) {
            x[i] = EXTENT_M * draw(i, 1);
            y[i] = EXTENT_M * draw(i, 2);
            continue;
        }
        uint64_t c = (uint64_t)(draw(i, 3) * CLUSTERS);
        double cx = 2000.0 + 16000.0 * draw(~c, 4), cy = 2000.0 + 16000.0 * draw(~c, 5);
        double sd = 150.0 + 750.0 * draw(~c, 6);
        double rad = sqrt(-2.0 * log(draw(i, 7))), ang = 2.0 * PI * draw(i, 8);
        x[i] = clamp_extent(cx + sd * rad * cos(ang));
        y[i] = clamp_extent(cy + sd * rad * sin(ang));
    }
}

/* ---- the naive baseline ----------------------------------------------------------------- */

/* Scatter every point over its bounding box of cells; returns the kernel evaluations (pairs
 * with d < r). out: the density per km2 as float. */
static uint64_t naive_kde(const hs_grid *g, const double *x, const double *y, size_t n,
                          double *acc, float *out)
{
    double r2 = RADIUS_M * RADIUS_M, norm = 3.0 / PI * 1e6 / r2;
    uint64_t evals = 0;
    memset(acc, 0, hs_grid_size(g) * sizeof *acc);
    for (size_t i = 0; i < n; i++) {
        long c0 = (long)floor((x[i] - RADIUS_M - g->xmin_m) / g->cell_m);
        long c1 = (long)floor((x[i] + RADIUS_M - g->xmin_m) / g->cell_m);
        long r0 = (long)floor((g->ymax_m - y[i] - RADIUS_M) / g->cell_m);
        long r1 = (long)floor((g->ymax_m - y[i] + RADIUS_M) / g->cell_m);
        for (long r = r0 < 0 ? 0 : r0; r <= r1 && r < (long)g->ny; r++) {
            for (long c = c0 < 0 ? 0 : c0; c <= c1 && c < (long)g->nx; c++) {
                double dx = hs_grid_centre_x(g, (size_t)c) - x[i];
                double dy = hs_grid_centre_y(g, (size_t)r) - y[i];
                double d2 = dx * dx + dy * dy;
                if (d2 < r2) {
                    double t = 1.0 - d2 / r2;
                    acc[(size_t)r * g->nx + (size_t)c] += t * t;
                    evals++;
                }
            }
        }
    }
    for (size_t i = 0; i < hs_grid_size(g); i++)
        out[i] = (float)(acc[i] * norm);
    return evals;
}

static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]), s = fabs((double)b[i]);
        if (s > 0.0 && d / s > m)
            m = d / s;
        else if (s == 0.0 && d > 0.0)
            m = INFINITY;
    }
    return m;
}

/* ---- cases ------------------------------------------------------------------------------ */

static int run_size(size_t n, int repeats, size_t tile, const hs_grid *g, float *out, float *ref,
                    double *acc)
{
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (x == NULL || y == NULL)
        return 1;
    make_points(n, x, y);
    double t0 = hs_bench_now();
    uint64_t evals = naive_kde(g, x, y, n, acc, ref);
    double naive_s = hs_bench_now() - t0;
    char extra[256];
    snprintf(extra, sizeof extra, "evals=%llu evals_per_s_per_thread=%.3g",
             (unsigned long long)evals, (double)evals / naive_s);
    hs_bench_report("kde_naive", n, 1, naive_s, 1.0, hs_bench_checksum(ref, hs_grid_size(g) * 4),
                    extra);

    hs_kde_params p = hs_kde_params_default();
    p.radius_m = RADIUS_M;
    p.tile_cells = tile;
    int threads[2] = {1, 2};
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(threads[t]);
        hs_bench_reset_peak_rss();
        double times[16];
        for (int k = 0; k < repeats; k++) {
            hs_error err;
            t0 = hs_bench_now();
            if (hs_kde_compute(&p, g, x, y, NULL, n, NULL, out, &err) != HS_OK) {
                fprintf(stderr, "bench_kde: %s\n", err.what);
                return 1;
            }
            times[k] = hs_bench_now() - t0;
        }
        double med = hs_bench_median(times, (size_t)repeats);
        snprintf(extra, sizeof extra,
                 "evals=%llu evals_per_s=%.3g evals_per_s_per_thread=%.3g peak_rss_mib=%.0f "
                 "max_rel_diff_vs_naive=%.1e",
                 (unsigned long long)evals, (double)evals / med,
                 (double)evals / med / threads[t], hs_bench_peak_rss_mib(),
                 max_rel_diff(out, ref, hs_grid_size(g)));
        hs_bench_report("kde_quartic", n, threads[t], med, naive_s / med,
                        hs_bench_checksum(out, hs_grid_size(g) * sizeof *out), extra);
    }
    free(y);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 3;
    if (repeats < 1 || repeats > 16)
        repeats = 3;
    hs_grid g = {.xmin_m = 0, .ymax_m = EXTENT_M, .cell_m = CELL_M,
                 .nx = (size_t)(EXTENT_M / CELL_M), .ny = (size_t)(EXTENT_M / CELL_M)};
    float *out = malloc(hs_grid_size(&g) * sizeof *out);
    float *ref = malloc(hs_grid_size(&g) * sizeof *ref);
    double *acc = malloc(hs_grid_size(&g) * sizeof *acc);
    if (out == NULL || ref == NULL || acc == NULL)
        return 1;
    size_t tile = argc > 2 ? (size_t)atol(argv[2]) : 0;
    int sizes = argc > 3 ? atoi(argv[3]) : 3;
    int rc = 0;
    if (sizes & 1)
        rc = run_size(100000, repeats, tile, &g, out, ref, acc);
    if (rc == 0 && (sizes & 2))
        rc = run_size(1000000, repeats, tile, &g, out, ref, acc);
    free(acc);
    free(ref);
    free(out);
    return rc;
}

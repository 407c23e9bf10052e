/* bench_gistar.c - Getis-Ord Gi* speed.
 *
 * Cases (one line each, see harness.h):
 *   gistar_grid_csr    1,000,000 cells (1000 x 1000 cells of 20 m over the synthetic
 *                      20 km district), band 200 m = 10 cells (317 neighbours a cell), the
 *                      general path: hs_weights_build_grid_band + hs_gistar_compute. The
 *                      baseline of the next case (ratio 1).
 *   gistar_grid_fast   the same grid through the prefix-sum fast path (hs_gistar_grid), at 1
 *                      thread and at all threads; ratio = CSR time / fast time; the extra
 *                      field gives the largest |z| difference from the CSR path. Target: under
 *                      1 s on 2 cores.
 *   gistar_perm        9,999 conditional permutations over 10,000 units (100 x 100 cells of
 *                      200 m, band 300 m: 8 neighbours), at 1 thread and at all threads;
 *                      ratio = 1-thread time / this time.
 * Counts come from the seeded synthetic district (benchmarks/synth, default parameters with
 * 100,000 incidents a year). Usage: bench_gistar [repeats (default 3)] */
#include "benchmarks/harness.h"
#include "benchmarks/synth/synth.h"
#include "engine/gistar.h"
#include "engine/grid.h"
#include "engine/weights.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FINE_CELL_M   20.0
#define FINE_BAND_M   200.0
#define COARSE_CELL_M 200.0
#define COARSE_BAND_M 300.0
#define PERMUTATIONS  9999u

/* Per-unit outputs for n units. */
typedef struct outputs {
    hs_gistar_out o; /* the arrays */
} outputs;

static int outputs_alloc(outputs *a, size_t n)
{
    a->o.z = malloc(n * sizeof *a->o.z);
    a->o.p = malloc(n * sizeof *a->o.p);
    a->o.q = malloc(n * sizeof *a->o.q);
    a->o.bin = malloc(n);
    a->o.n_neighbors = malloc(n * sizeof *a->o.n_neighbors);
    a->o.valid = malloc(n);
    return a->o.z && a->o.p && a->o.q && a->o.bin && a->o.n_neighbors && a->o.valid;
}

static void outputs_free(outputs *a)
{
    free(a->o.z);
    free(a->o.p);
    free(a->o.q);
    free(a->o.bin);
    free(a->o.n_neighbors);
    free(a->o.valid);
}

/* Counts of the synthetic incidents per cell of a grid over the district. */
static double *grid_counts(const hs_synth_district *d, double cell_m, hs_grid *g)
{
    const hs_synth_params *sp = &d->params;
    /* Edges on the district's: hs_grid_aligned widens the south and east edges beyond the
     * extent it is given, so give it the extent less half a cell there. */
    if (hs_grid_aligned(sp->xmin_m, sp->ymin_m + cell_m * 0.5,
                        sp->xmin_m + sp->size_m - cell_m * 0.5, sp->ymin_m + sp->size_m, 0.0,
                        cell_m, 0, g, NULL) != HS_OK)
        return NULL;
    double *x = calloc(hs_grid_size(g), sizeof *x);
    if (x == NULL)
        return NULL;
    for (size_t i = 0; i < d->nincidents; i++) {
        size_t r, c;
        if (d->incidents[i].kind == HS_SYNTH_ROW_NORMAL &&
            hs_grid_cell_of(g, d->incidents[i].x, d->incidents[i].y, &r, &c))
            x[r * g->nx + c] += 1.0;
    }
    return x;
}

static double time_fast(const hs_grid *g, const double *x, int threads, int repeats, outputs *out)
{
    omp_set_num_threads(threads);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    double t[16];
    for (int k = 0; k < repeats; k++) {
        double t0 = hs_bench_now();
        if (hs_gistar_grid(g, x, NULL, FINE_BAND_M, &p, &out->o, NULL, NULL) != HS_OK)
            return -1.0;
        t[k] = hs_bench_now() - t0;
    }
    return hs_bench_median(t, (size_t)repeats);
}

/* The general path once: build the weights, then Gi*. Returns the total seconds. */
static double time_csr(const hs_grid *g, const double *x, int threads, outputs *out,
                       double *build_s, size_t *nnz)
{
    omp_set_num_threads(threads);
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    hs_weights *w = NULL;
    double t0 = hs_bench_now();
    if (hs_weights_build_grid_band(g, NULL, FINE_BAND_M, &wp, &w, NULL, NULL) != HS_OK)
        return -1.0;
    double t1 = hs_bench_now();
    hs_status st = hs_gistar_compute(w, x, &p, &out->o, NULL, NULL);
    double t2 = hs_bench_now();
    *build_s = t1 - t0;
    *nnz = hs_weights_nnz(w);
    hs_weights_destroy(w);
    return st == HS_OK ? t2 - t0 : -1.0;
}

static double time_perm(const hs_grid *g, const double *x, int threads, outputs *out)
{
    omp_set_num_threads(threads);
    hs_gistar_params p;
    hs_gistar_params_default(&p);
    p.permutations = PERMUTATIONS;
    p.seed = 20240101;
    double t0 = hs_bench_now();
    if (hs_gistar_grid(g, x, NULL, COARSE_BAND_M, &p, &out->o, NULL, NULL) != HS_OK)
        return -1.0;
    return hs_bench_now() - t0;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fabs(a[i] - b[i]) > m ? fabs(a[i] - b[i]) : m;
    return m;
}

static int bench_grid(const hs_synth_district *d, int repeats, int max_threads)
{
    hs_grid g;
    double *x = grid_counts(d, FINE_CELL_M, &g);
    size_t n = hs_grid_size(&g);
    outputs csr, fast;
    if (x == NULL || !outputs_alloc(&csr, n) || !outputs_alloc(&fast, n))
        return 1;
    double build_s = 0.0;
    size_t nnz = 0;
    double t_csr = time_csr(&g, x, max_threads, &csr, &build_s, &nnz);
    if (t_csr < 0.0)
        return 1;
    char extra[256];
    snprintf(extra, sizeof extra, "build_s=%.3f nnz=%zu peak_rss_mib=%.0f", build_s, nnz,
             hs_bench_peak_rss_mib());
    hs_bench_report("gistar_grid_csr", n, max_threads, t_csr, 1.0,
                    hs_bench_checksum(csr.o.z, n * sizeof *csr.o.z), extra);
    for (int threads = 1; threads <= max_threads;
         threads = threads < max_threads ? max_threads : threads + 1) {
        double t = time_fast(&g, x, threads, repeats, &fast);
        if (t < 0.0)
            return 1;
        snprintf(extra, sizeof extra, "band_cells=10 max_abs_dz_vs_csr=%.3g",
                 max_abs_diff(fast.o.z, csr.o.z, n));
        hs_bench_report("gistar_grid_fast", n, threads, t, t_csr / t,
                        hs_bench_checksum(fast.o.z, n * sizeof *fast.o.z), extra);
    }
    outputs_free(&csr);
    outputs_free(&fast);
    free(x);
    return 0;
}

static int bench_perm(const hs_synth_district *d, int max_threads)
{
    hs_grid g;
    double *x = grid_counts(d, COARSE_CELL_M, &g);
    size_t n = hs_grid_size(&g);
    outputs out;
    if (x == NULL || !outputs_alloc(&out, n))
        return 1;
    double t1 = 0.0;
    for (int threads = 1; threads <= max_threads;
         threads = threads < max_threads ? max_threads : threads + 1) {
        double t = time_perm(&g, x, threads, &out);
        if (t < 0.0)
            return 1;
        t1 = threads == 1 ? t : t1;
        char extra[128];
        snprintf(extra, sizeof extra, "permutations=%u neighbours=8", PERMUTATIONS);
        hs_bench_report("gistar_perm", n, threads, t, t1 / t,
                        hs_bench_checksum(out.o.p, n * sizeof *out.o.p), extra);
    }
    outputs_free(&out);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 3;
    repeats = repeats < 1 ? 1 : repeats > 16 ? 16 : repeats;
    int max_threads = omp_get_max_threads();
    hs_synth_params sp;
    hs_synth_params_default(&sp);
    sp.incidents_per_year = 100000;
    hs_synth_district *d = NULL;
    hs_error err;
    if (hs_synth_generate(&sp, &d, &err) != HS_OK) {
        fprintf(stderr, "bench_gistar: synthetic district: %s\n", err.what);
        return 1;
    }
    int rc = bench_grid(d, repeats, max_threads);
    if (rc == 0)
        rc = bench_perm(d, max_threads);
    hs_synth_free(d);
    if (rc != 0)
        fprintf(stderr, "bench_gistar: a case failed (out of memory?)\n");
    return rc;
}

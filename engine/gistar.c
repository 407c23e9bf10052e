/* gistar.c - Getis-Ord Gi* on CSR weights and on a regular grid (see gistar.h for the
 * formula, its sources and every decision about islands, zero variance and bins).
 *
 * Both paths share: value checks, the global mean and standard deviation (fixed-size block
 * sums added in index order), the z formula, the permutation kernel and the final p/q/bin
 * pass. Each parallel iteration writes only its own unit's slots; no floating-point
 * reduction clause anywhere, so results are the same bytes at any thread count.
 * Must not: print, exit, set the thread count.
 */
#include "engine/gistar.h"

#include "engine/multitest.h"
#include "engine/rng.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define HS_GISTAR_BLOCK 4096 /* cells per partial sum: fixed, so sums do not vary */

/* What the permutation kernel needs about the units. */
typedef struct perm_ctx {
    const double *xu; /* value of each unit */
    size_t n;         /* units */
    unsigned perms;   /* permutations */
    uint64_t seed;    /* generator seed */
} perm_ctx;

/* One thread's working memory for permutations. */
typedef struct perm_scratch {
    uint32_t *others; /* the n - 1 other units, identity order between permutations */
    uint32_t *swaps;  /* partner of each Fisher-Yates step, to undo it */
    uint32_t *nb;     /* unit indices of the current unit's neighbour slots */
    double *sw;       /* weights of those slots */
} perm_scratch;

void hs_gistar_params_default(hs_gistar_params *p)
{
    p->permutations = 0;
    p->seed = 1;
    p->correction = HS_GISTAR_BIN_ON_P;
    p->allow_negative = 0;
}

int hs_gistar_bin(double z, double p)
{
    int level = p <= 0.01 ? 3 : p <= 0.05 ? 2 : p <= 0.10 ? 1 : 0;
    return z > 0.0 ? level : z < 0.0 ? -level : 0;
}

/* ---- checks ---------------------------------------------------------------------------- */

static hs_status check_params(const hs_gistar_params *p, const hs_gistar_out *out, hs_error *err)
{
    if (p == NULL || out == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "Gi* parameters or outputs are missing");
    if (out->z == NULL || out->p == NULL || out->q == NULL || out->bin == NULL ||
        out->n_neighbors == NULL || out->valid == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "every Gi* output array (z, p, q, bin, n_neighbors, valid) is needed");
    if (p->permutations > HS_GISTAR_MAX_PERMUTATIONS)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "%u permutations asked; at most %u are allowed", p->permutations,
                            HS_GISTAR_MAX_PERMUTATIONS);
    if (p->correction != HS_GISTAR_BIN_ON_P && p->correction != HS_GISTAR_BIN_ON_FDR &&
        p->correction != HS_GISTAR_BIN_ON_BONFERRONI)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "unknown Gi_Bin correction %d",
                            (int)p->correction);
    return HS_OK;
}

static hs_status check_units(size_t n_units, hs_error *err)
{
    if (n_units < 3)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "Gi* needs at least 3 units, got %zu",
                            n_units);
    if (n_units > HS_WEIGHTS_MAX_UNITS)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "%zu units exceed the limit of %zu",
                            n_units, HS_WEIGHTS_MAX_UNITS);
    return HS_OK;
}

/* Values of the units (mask may be NULL) must be finite and, unless allowed, >= 0. */
static hs_status check_values(const double *x, const unsigned char *mask, size_t n,
                              int allow_negative, const char *what, hs_error *err)
{
    if (x == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "the values are missing");
    for (size_t i = 0; i < n; i++) {
        if (mask != NULL && !mask[i])
            continue;
        if (!isfinite(x[i]))
            return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                                "value of %s %zu is %g; expected a finite number", what, i, x[i]);
        if (!allow_negative && x[i] < 0.0)
            return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                                "value of %s %zu is %g; expected a count or rate >= 0", what, i,
                                x[i]);
    }
    return HS_OK;
}

/* ---- mean and standard deviation in a fixed order -------------------------------------- */

/* Sum over units of (x - centre) or (x - centre)^2, by fixed blocks added in order. */
static double block_total(const double *x, const unsigned char *mask, size_t n, double centre,
                          int squared, double *part, size_t nb)
{
#pragma omp parallel for default(none) shared(x, mask, n, centre, squared, part, nb)               \
    schedule(static)
    for (size_t b = 0; b < nb; b++) {
        size_t end = (b + 1) * HS_GISTAR_BLOCK < n ? (b + 1) * HS_GISTAR_BLOCK : n;
        double s = 0.0;
        for (size_t i = b * HS_GISTAR_BLOCK; i < end; i++) {
            if (mask != NULL && !mask[i])
                continue;
            double d = x[i] - centre;
            s += squared ? d * d : d;
        }
        part[b] = s;
    }
    double total = 0.0;
    for (size_t b = 0; b < nb; b++)
        total += part[b];
    return total;
}

static hs_status unit_moments(const double *x, const unsigned char *mask, size_t n, size_t n_units,
                              double *mean, double *sd, hs_error *err)
{
    size_t nb = (n + HS_GISTAR_BLOCK - 1) / HS_GISTAR_BLOCK;
    double *part = malloc((nb ? nb : 1) * sizeof *part);
    if (part == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for partial sums");
    double m = block_total(x, mask, n, 0.0, 0, part, nb) / (double)n_units;
    double v = block_total(x, mask, n, m, 1, part, nb) / (double)n_units;
    free(part);
    *mean = m;
    /* Equal values that are not integers (rates) leave rounding noise of ~1e-17 around the
     * mean: treat a spread that small relative to the mean as none at all. */
    *sd = sqrt(v) > 1e-12 * fabs(m) ? sqrt(v) : 0.0;
    return HS_OK;
}

/* ---- the statistic --------------------------------------------------------------------- */

/* z of one unit from its neighbourhood sum, W_i and S1_i (see gistar.h); 0 when the
 * statistic has no variance (all values equal, or the neighbourhood is every unit). */
static double gistar_z(double lag, double w_sum, double w_sq, double n, double mean, double sd)
{
    double spread = n * w_sq - w_sum * w_sum;
    if (!(sd > 0.0) || !(spread > 1e-12 * n * w_sq))
        return 0.0;
    return (lag - mean * w_sum) / (sd * sqrt(spread / (n - 1.0)));
}

static double normal_p_two_sided(double z)
{
    return erfc(fabs(z) / sqrt(2.0));
}

static void set_invalid(const hs_gistar_out *out, size_t i)
{
    out->z[i] = 0.0;
    out->p[i] = 1.0;
    out->q[i] = 1.0;
    out->bin[i] = 0;
    out->n_neighbors[i] = 0;
    out->valid[i] = 0;
}

/* ---- permutation inference ------------------------------------------------------------- */

/* Pseudo p of unit i with k neighbour slots (unit indices nb, weights sw or NULL = 1) and
 * self weight self_w. The observed sum and every permuted sum are added in the same order
 * (self first, then the slots), so a tie compares equal values. */
static double perm_pvalue(const perm_ctx *c, size_t i, double self_w, const double *sw,
                          const uint32_t *nb, size_t k, perm_scratch *s)
{
    const double *x = c->xu;
    double observed = self_w * x[i];
    for (size_t t = 0; t < k; t++)
        observed += (sw != NULL ? sw[t] : 1.0) * x[nb[t]];
    unsigned at_or_above = 0;
    uint32_t n_others = (uint32_t)(c->n - 1);
    for (unsigned perm = 0; perm < c->perms; perm++) {
        hs_rng r;
        hs_rng_init(&r, c->seed, i, perm);
        double lag = self_w * x[i];
        for (size_t t = 0; t < k; t++) {
            uint32_t j = (uint32_t)t + hs_rng_bounded(&r, n_others - (uint32_t)t);
            uint32_t tmp = s->others[t];
            s->others[t] = s->others[j];
            s->others[j] = tmp;
            s->swaps[t] = j;
            size_t v = s->others[t];
            lag += (sw != NULL ? sw[t] : 1.0) * x[v < i ? v : v + 1];
        }
        for (size_t t = k; t-- > 0;) {
            uint32_t j = s->swaps[t];
            uint32_t tmp = s->others[t];
            s->others[t] = s->others[j];
            s->others[j] = tmp;
        }
        at_or_above += lag >= observed;
    }
    unsigned below = c->perms - at_or_above;
    unsigned tail = at_or_above < below ? at_or_above : below;
    return ((double)tail + 1.0) / ((double)c->perms + 1.0);
}

static void scratch_free(perm_scratch *s, int nthreads)
{
    if (s == NULL)
        return;
    for (int t = 0; t < nthreads; t++) {
        free(s[t].others);
        free(s[t].swaps);
        free(s[t].nb);
        free(s[t].sw);
    }
    free(s);
}

/* One scratch per thread: others for n units, slot arrays for max_k slots. */
static hs_status scratch_alloc(size_t n, size_t max_k, perm_scratch **out, int *nthreads,
                               hs_error *err)
{
    int nt = omp_get_max_threads();
    perm_scratch *s = calloc((size_t)nt, sizeof *s);
    if (s == NULL)
        goto fail;
    for (int t = 0; t < nt; t++) {
        s[t].others = malloc(n * sizeof *s[t].others);
        s[t].swaps = malloc((max_k + 1) * sizeof *s[t].swaps);
        s[t].nb = malloc((max_k + 1) * sizeof *s[t].nb);
        s[t].sw = malloc((max_k + 1) * sizeof *s[t].sw);
        if (s[t].others == NULL || s[t].swaps == NULL || s[t].nb == NULL || s[t].sw == NULL)
            goto fail;
        for (size_t j = 0; j + 1 < n; j++)
            s[t].others[j] = (uint32_t)j;
    }
    *out = s;
    *nthreads = nt;
    return HS_OK;
fail:
    scratch_free(s, nt);
    return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                        "no memory for permutation work space (%d threads x %zu units)", nt, n);
}

/* Copy row i of w without its self entry into s->nb / s->sw; returns the slot count and
 * sets *self_w. */
static size_t row_slots(const hs_weights *w, size_t i, perm_scratch *s, double *self_w)
{
    const size_t *rp = hs_weights_row_ptr(w);
    const uint32_t *cols = hs_weights_cols(w);
    const double *vals = hs_weights_values(w);
    size_t k = 0;
    *self_w = 0.0;
    for (size_t e = rp[i]; e < rp[i + 1]; e++) {
        double v = vals != NULL ? vals[e] : 1.0;
        if ((size_t)cols[e] == i) {
            *self_w = v;
            continue;
        }
        s->nb[k] = cols[e];
        s->sw[k] = v;
        k++;
    }
    return k;
}

static size_t max_row_length(const hs_weights *w)
{
    const size_t *rp = hs_weights_row_ptr(w);
    size_t m = 0;
    for (size_t i = 0; i < hs_weights_n(w); i++)
        m = rp[i + 1] - rp[i] > m ? rp[i + 1] - rp[i] : m;
    return m;
}

static hs_status permute_csr(const hs_weights *w, const double *x, const hs_gistar_params *p,
                             const hs_gistar_out *out, hs_error *err)
{
    size_t n = hs_weights_n(w);
    perm_scratch *scr = NULL;
    int nt = 0;
    hs_status st = scratch_alloc(n, max_row_length(w), &scr, &nt, err);
    if (st != HS_OK)
        return st;
    perm_ctx ctx = {x, n, p->permutations, p->seed};
    const perm_ctx *cp = &ctx;
    int all_ones = hs_weights_values(w) == NULL;
#pragma omp parallel default(none) shared(w, n, cp, scr, out, all_ones)
    {
        perm_scratch *s = &scr[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < n; i++) {
            if (!out->valid[i])
                continue;
            double self_w;
            size_t k = row_slots(w, i, s, &self_w);
            out->p[i] = perm_pvalue(cp, i, self_w, all_ones ? NULL : s->sw, s->nb, k, s);
        }
    }
    scratch_free(scr, nt);
    return HS_OK;
}

/* ---- final pass: q, bins, summary ------------------------------------------------------ */

/* BH q-values, bins and the counts of the summary s (whose mean, sd and islands are set). */
static hs_status finish(size_t n, size_t n_units, int zero_var, const hs_gistar_params *p,
                        const hs_gistar_out *out, hs_gistar_summary *s, hs_error *err)
{
    hs_status st = hs_multitest_bh(out->p, out->valid, n, out->q, err);
    if (st != HS_OK)
        return st;
    double *bonf = NULL;
    if (p->correction == HS_GISTAR_BIN_ON_BONFERRONI) {
        bonf = malloc(n * sizeof *bonf);
        if (bonf == NULL)
            return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu p-values", n);
        st = hs_multitest_bonferroni(out->p, out->valid, n, bonf, err);
        if (st != HS_OK) {
            free(bonf);
            return st;
        }
    }
    s->n_units = n_units;
    s->zero_variance = zero_var;
    s->n_valid = s->n_hot = s->n_cold = 0;
    const double *drive = p->correction == HS_GISTAR_BIN_ON_FDR          ? out->q
                          : p->correction == HS_GISTAR_BIN_ON_BONFERRONI ? bonf
                                                                         : out->p;
    for (size_t i = 0; i < n; i++) {
        out->bin[i] = out->valid[i] ? (signed char)hs_gistar_bin(out->z[i], drive[i]) : 0;
        s->n_valid += out->valid[i] != 0;
        s->n_hot += out->bin[i] > 0;
        s->n_cold += out->bin[i] < 0;
    }
    free(bonf);
    return HS_OK;
}

/* Islands among valid flags of units (mask marks units; NULL = all). */
static void count_islands(const hs_gistar_out *out, const unsigned char *mask, size_t n,
                          hs_gistar_summary *sum)
{
    sum->n_islands = 0;
    sum->first_island = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if ((mask != NULL && !mask[i]) || out->valid[i])
            continue;
        if (sum->n_islands++ == 0)
            sum->first_island = i;
    }
}

/* ---- CSR path -------------------------------------------------------------------------- */

static void csr_unit(const hs_weights *w, const double *x, size_t i, double n, double mean,
                     double sd, const hs_gistar_out *out)
{
    const size_t *rp = hs_weights_row_ptr(w);
    const uint32_t *cols = hs_weights_cols(w);
    const double *vals = hs_weights_values(w);
    size_t k = hs_weights_n_neighbours(w, i);
    if (k == 0) {
        set_invalid(out, i);
        return;
    }
    double lag = 0.0, w_sum = 0.0, w_sq = 0.0;
    for (size_t e = rp[i]; e < rp[i + 1]; e++) {
        double v = vals != NULL ? vals[e] : 1.0;
        lag += v * x[cols[e]];
        w_sum += v;
        w_sq += v * v;
    }
    double z = gistar_z(lag, w_sum, w_sq, n, mean, sd);
    out->z[i] = z;
    out->p[i] = normal_p_two_sided(z);
    out->q[i] = 1.0;
    out->bin[i] = 0;
    out->n_neighbors[i] = (uint32_t)k;
    out->valid[i] = 1;
}

hs_status hs_gistar_compute(const hs_weights *w, const double *x, const hs_gistar_params *p,
                            const hs_gistar_out *out, hs_gistar_summary *sum, hs_error *err)
{
    hs_status st = check_params(p, out, err);
    if (st != HS_OK)
        return st;
    if (w == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "spatial weights are missing");
    if (!hs_weights_includes_self(w))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "Gi* needs weights that include each unit itself (include_self)");
    size_t n = hs_weights_n(w);
    st = check_units(n, err);
    if (st == HS_OK)
        st = check_values(x, NULL, n, p->allow_negative, "unit", err);
    if (st != HS_OK)
        return st;
    double mean, sd;
    st = unit_moments(x, NULL, n, n, &mean, &sd, err);
    if (st != HS_OK)
        return st;
    double dn = (double)n;
#pragma omp parallel for default(none) shared(w, x, n, dn, mean, sd, out) schedule(dynamic, 1024)
    for (size_t i = 0; i < n; i++)
        csr_unit(w, x, i, dn, mean, sd, out);
    int zero_var = !(sd > 0.0);
    if (p->permutations > 0 && !zero_var)
        st = permute_csr(w, x, p, out, err);
    if (st != HS_OK)
        return st;
    hs_gistar_summary s = {0};
    s.mean = mean;
    s.sd = sd;
    count_islands(out, NULL, n, &s);
    st = finish(n, n, zero_var, p, out, &s, err);
    if (st == HS_OK && sum != NULL)
        *sum = s;
    return st;
}

/* ---- grid fast path -------------------------------------------------------------------- */

/* The band window of the grid: radius and half widths (see weights.h). */
typedef struct grid_band {
    const hs_grid *g; /* the grid */
    size_t radius;    /* band radius in cells */
    size_t *half;     /* band half widths, 2 * radius + 1 */
} grid_band;

static void grid_cell(const double *win_sum, const uint32_t *win_count, const unsigned char *mask,
                      size_t cell, double n, double mean, double sd, const hs_gistar_out *out)
{
    size_t m = win_count[cell];
    if ((mask != NULL && !mask[cell]) || m <= 1) {
        set_invalid(out, cell);
        return;
    }
    double z = gistar_z(win_sum[cell], (double)m, (double)m, n, mean, sd);
    out->z[cell] = z;
    out->p[cell] = normal_p_two_sided(z);
    out->q[cell] = 1.0;
    out->bin[cell] = 0;
    out->n_neighbors[cell] = (uint32_t)(m - 1);
    out->valid[cell] = 1;
}

/* Compact unit values and the unit index of each cell (UINT32_MAX outside the mask). */
static hs_status grid_units(const hs_grid *g, const double *x, const unsigned char *mask,
                            size_t n_units, double **xu_out, uint32_t **unit_of_out, hs_error *err)
{
    size_t cells = hs_grid_size(g);
    double *xu = malloc(n_units * sizeof *xu);
    uint32_t *unit_of = malloc(cells * sizeof *unit_of);
    if (xu == NULL || unit_of == NULL) {
        free(xu);
        free(unit_of);
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu grid units", n_units);
    }
    hs_weights_grid_unit_map(g, mask, unit_of, NULL);
    for (size_t c = 0; c < cells; c++)
        if (unit_of[c] != UINT32_MAX)
            xu[unit_of[c]] = x[c];
    *xu_out = xu;
    *unit_of_out = unit_of;
    return HS_OK;
}

static hs_status permute_grid(const grid_band *gp, const double *x, const unsigned char *mask,
                              size_t n_units, const hs_gistar_params *p, const hs_gistar_out *out,
                              hs_error *err)
{
    const hs_grid *g = gp->g;
    double *xu = NULL;
    uint32_t *unit_of = NULL;
    perm_scratch *scr = NULL;
    int nt = 0;
    size_t window = 0;
    for (size_t k = 0; k <= 2 * gp->radius; k++)
        window += 2 * gp->half[k] + 1;
    hs_status st = grid_units(g, x, mask, n_units, &xu, &unit_of, err);
    if (st == HS_OK)
        st = scratch_alloc(n_units, window, &scr, &nt, err);
    if (st != HS_OK) {
        free(xu);
        free(unit_of);
        return st;
    }
    perm_ctx ctx = {xu, n_units, p->permutations, p->seed};
    const perm_ctx *cp = &ctx;
    size_t cells = hs_grid_size(g);
#pragma omp parallel default(none) shared(gp, g, cp, scr, out, unit_of, cells)
    {
        perm_scratch *s = &scr[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 64)
        for (size_t cell = 0; cell < cells; cell++) {
            if (!out->valid[cell])
                continue;
            size_t k = hs_weights_grid_band_row(g, unit_of, gp->radius, gp->half, cell / g->nx,
                                                cell % g->nx, 0, s->nb);
            out->p[cell] = perm_pvalue(cp, unit_of[cell], 1.0, NULL, s->nb, k, s);
        }
    }
    scratch_free(scr, nt);
    free(xu);
    free(unit_of);
    return HS_OK;
}

hs_status hs_gistar_grid(const hs_grid *g, const double *x, const unsigned char *mask,
                         double band_m, const hs_gistar_params *p, const hs_gistar_out *out,
                         hs_gistar_summary *sum, hs_error *err)
{
    hs_status st = check_params(p, out, err);
    if (st != HS_OK)
        return st;
    if (g == NULL || g->nx == 0 || g->ny == 0 || !(g->cell_m > 0.0))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "the grid is empty or has no cell size");
    if (!(band_m >= g->cell_m) || !isfinite(band_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "distance band %g m must be a finite number of metres at least the "
                            "cell size %g m, or no cell would have a neighbour",
                            band_m, g->cell_m);
    size_t cells = hs_grid_size(g);
    size_t n_units = hs_weights_grid_units(g, mask);
    st = check_units(n_units, err);
    if (st == HS_OK)
        st = check_values(x, mask, cells, p->allow_negative, "cell", err);
    double mean = 0.0, sd = 0.0;
    if (st == HS_OK)
        st = unit_moments(x, mask, cells, n_units, &mean, &sd, err);
    if (st != HS_OK)
        return st;
    double *win_sum = malloc(cells * sizeof *win_sum);
    uint32_t *win_count = malloc(cells * sizeof *win_count);
    grid_band band = {g, hs_weights_grid_band_radius(band_m, g->cell_m), NULL};
    band.half = malloc((2 * band.radius + 1) * sizeof *band.half);
    if (win_sum == NULL || win_count == NULL || band.half == NULL)
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for window sums of %zu cells",
                          cells);
    if (st == HS_OK)
        st = hs_weights_grid_window_sums(g, x, mask, band_m, win_sum, win_count, err);
    if (st == HS_OK) {
        hs_weights_grid_band_window(band_m, g->cell_m, band.radius, band.half);
        double dn = (double)n_units;
#pragma omp parallel for default(none) shared(win_sum, win_count, mask, cells, dn, mean, sd, out)  \
    schedule(static)
        for (size_t cell = 0; cell < cells; cell++)
            grid_cell(win_sum, win_count, mask, cell, dn, mean, sd, out);
    }
    free(win_sum);
    free(win_count);
    int zero_var = !(sd > 0.0);
    if (st == HS_OK && p->permutations > 0 && !zero_var)
        st = permute_grid(&band, x, mask, n_units, p, out, err);
    free(band.half);
    if (st != HS_OK)
        return st;
    hs_gistar_summary s = {0};
    s.mean = mean;
    s.sd = sd;
    count_islands(out, mask, cells, &s);
    st = finish(cells, n_units, zero_var, p, out, &s, err);
    if (st == HS_OK && sum != NULL)
        *sum = s;
    return st;
}

/* ---- rates ----------------------------------------------------------------------------- */

hs_status hs_gistar_rates_per_1000(const double *counts, const double *population, size_t n,
                                   double *rates, hs_error *err)
{
    if (n > 0 && (counts == NULL || population == NULL || rates == NULL))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "counts, population or rates missing");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(counts[i]) || counts[i] < 0.0)
            return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                                "count of unit %zu is %g; expected a finite number >= 0", i,
                                counts[i]);
        if (!isfinite(population[i]) || !(population[i] > 0.0))
            return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                                "population of unit %zu is %g; a rate per 1,000 residents needs "
                                "a population > 0",
                                i, population[i]);
    }
    for (size_t i = 0; i < n; i++)
        rates[i] = 1000.0 * counts[i] / population[i];
    return HS_OK;
}

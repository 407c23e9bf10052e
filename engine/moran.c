/* moran.c - global Moran's I (spdep moran.test moments) on CSR weights and on grid bands,
 * and incremental spatial autocorrelation over grid bands (see moran.h for sources).
 * Sums run serially in index order, so results do not depend on threads.
 * Must not: print, exit.
 */
#include "engine/moran.h"

#include <math.h>
#include <stdlib.h>

/* The sums Moran's I and its moments are made of. */
typedef struct moran_parts {
    double sum_zlz; /* sum_i z_i sum_j w_ij z_j */
    double zz;      /* sum_i z_i^2 over all units */
    double z4;      /* sum_i z_i^4 over all units */
    double n_all;   /* all units */
    double n_adj;   /* units with at least one neighbour */
    double s0;      /* sum of weights */
    double s1;      /* sum_ij (w_ij^2 + w_ij w_ji) */
    double s2;      /* sum_i (row sum + column sum)^2 */
    double mean;    /* mean of x over all units */
} moran_parts;

void hs_isa_params_default(hs_isa_params *p)
{
    p->start_m = 0.0;
    p->increment_m = 0.0;
    p->n_bands = 10;
    p->assumption = HS_MORAN_RANDOMISATION;
}

static hs_status check_finite(const double *x, const unsigned char *mask, size_t n, hs_error *err)
{
    if (x == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "the values are missing");
    for (size_t i = 0; i < n; i++)
        if ((mask == NULL || mask[i]) && !isfinite(x[i]))
            return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                                "value of unit %zu is %g; expected a finite number", i, x[i]);
    return HS_OK;
}

static double masked_mean(const double *x, const unsigned char *mask, size_t n, size_t units)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (mask == NULL || mask[i]) ? x[i] : 0.0;
    return s / (double)units;
}

/* I, E(I), Var(I), z and p from the parts (Cliff & Ord 1981; spdep moran.test). */
static hs_status moran_from_parts(const moran_parts *m, hs_moran_assumption a, hs_moran_result *r,
                                  hs_error *err)
{
    double n = m->n_adj;
    if (n < 4.0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "Moran's I needs at least 4 units with neighbours, got %.0f", n);
    if (a != HS_MORAN_RANDOMISATION && a != HS_MORAN_NORMALITY)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "unknown Moran assumption %d", (int)a);
    r->n_used = (size_t)n;
    r->expected = -1.0 / (n - 1.0);
    /* Equal non-integer values leave rounding noise (about 1e-17 times the mean) in z. */
    r->zero_variance = !(m->zz > 1e-24 * m->mean * m->mean * m->n_all);
    if (r->zero_variance || !(m->s0 != 0.0)) {
        r->I = 0.0;
        r->variance = 0.0;
        r->z = 0.0;
        r->p_greater = 1.0;
        r->p_two_sided = 1.0;
        return HS_OK;
    }
    double s02 = m->s0 * m->s0, nn = n * n, ei2 = r->expected * r->expected;
    r->I = (n / m->s0) * (m->sum_zlz / m->zz);
    if (a == HS_MORAN_RANDOMISATION) {
        double k = m->n_all * m->z4 / (m->zz * m->zz);
        double v = n * (m->s1 * (nn - 3.0 * n + 3.0) - n * m->s2 + 3.0 * s02);
        double t = k * (m->s1 * (nn - n) - 2.0 * n * m->s2 + 6.0 * s02);
        r->variance = (v - t) / ((n - 1.0) * (n - 2.0) * (n - 3.0) * s02) - ei2;
    } else {
        r->variance = (nn * m->s1 - n * m->s2 + 3.0 * s02) / (s02 * (nn - 1.0)) - ei2;
    }
    r->z = r->variance > 0.0 ? (r->I - r->expected) / sqrt(r->variance) : 0.0;
    r->p_greater = 0.5 * erfc(r->z / sqrt(2.0));
    r->p_two_sided = erfc(fabs(r->z) / sqrt(2.0));
    return HS_OK;
}

/* Weight w_ji, 0 when i is not in row j (binary search in the sorted row). */
static double weight_of(const hs_weights *w, size_t j, size_t i)
{
    const size_t *rp = hs_weights_row_ptr(w);
    const uint32_t *cols = hs_weights_cols(w);
    const double *vals = hs_weights_values(w);
    size_t lo = rp[j], hi = rp[j + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)cols[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < rp[j + 1] && (size_t)cols[lo] == i)
        return vals != NULL ? vals[lo] : 1.0;
    return 0.0;
}

/* z^2 and z^4 sums of the centred values z (mask NULL = all). */
static void moment_sums(const double *z, const unsigned char *mask, size_t n, moran_parts *m)
{
    m->zz = 0.0;
    m->z4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (mask != NULL && !mask[i])
            continue;
        double z2 = z[i] * z[i];
        m->zz += z2;
        m->z4 += z2 * z2;
    }
}

/* Cross-product and weight constants of CSR weights; colsum has n zeroed entries. */
static void csr_parts(const hs_weights *w, const double *z, double *colsum, moran_parts *m)
{
    size_t n = hs_weights_n(w);
    const size_t *rp = hs_weights_row_ptr(w);
    const uint32_t *cols = hs_weights_cols(w);
    const double *vals = hs_weights_values(w);
    double *rowsum = colsum + n;
    for (size_t i = 0; i < n; i++) {
        double lag = 0.0, rs = 0.0;
        for (size_t e = rp[i]; e < rp[i + 1]; e++) {
            size_t j = cols[e];
            double v = vals != NULL ? vals[e] : 1.0;
            lag += v * z[j];
            rs += v;
            colsum[j] += v;
            m->s1 += v * v + v * weight_of(w, j, i);
        }
        rowsum[i] = rs;
        m->s0 += rs;
        m->sum_zlz += z[i] * lag;
        m->n_adj += rp[i + 1] > rp[i] ? 1.0 : 0.0;
    }
    for (size_t i = 0; i < n; i++)
        m->s2 += (rowsum[i] + colsum[i]) * (rowsum[i] + colsum[i]);
}

hs_status hs_moran_global(const hs_weights *w, const double *x, hs_moran_assumption a,
                          hs_moran_result *r, hs_error *err)
{
    if (w == NULL || r == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "weights or result missing");
    size_t n = hs_weights_n(w);
    hs_status st = check_finite(x, NULL, n, err);
    if (st != HS_OK)
        return st;
    if (n < 4)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "Moran's I needs at least 4 units, got %zu",
                            n);
    double *z = malloc(n * sizeof *z);
    double *sums = calloc(2 * n, sizeof *sums);
    if (z == NULL || sums == NULL) {
        free(z);
        free(sums);
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu units", n);
    }
    double mean = masked_mean(x, NULL, n, n);
    for (size_t i = 0; i < n; i++)
        z[i] = x[i] - mean;
    moran_parts m = {0};
    m.n_all = (double)n;
    m.mean = mean;
    moment_sums(z, NULL, n, &m);
    csr_parts(w, z, sums, &m);
    free(z);
    free(sums);
    return moran_from_parts(&m, a, r, err);
}

/* Parts of binary, symmetric, self-free grid-band weights from window sums of z. */
static void grid_parts(const double *z, const unsigned char *mask, size_t cells,
                       const double *win_sum, const uint32_t *win_count, moran_parts *m)
{
    for (size_t c = 0; c < cells; c++) {
        if ((mask != NULL && !mask[c]) || win_count[c] <= 1)
            continue;
        double k = (double)win_count[c] - 1.0;
        m->n_adj += 1.0;
        m->sum_zlz += z[c] * (win_sum[c] - z[c]);
        m->s0 += k;
        m->s2 += 4.0 * k * k;
    }
    m->s1 = 2.0 * m->s0;
}

hs_status hs_moran_grid_band(const hs_grid *g, const double *x, const unsigned char *mask,
                             double band_m, hs_moran_assumption a, hs_moran_result *r,
                             hs_error *err)
{
    if (g == NULL || r == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "grid or result missing");
    size_t cells = hs_grid_size(g), units = hs_weights_grid_units(g, mask);
    hs_status st = check_finite(x, mask, cells, err);
    if (st != HS_OK)
        return st;
    if (units < 4)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "Moran's I needs at least 4 units, got %zu",
                            units);
    double *z = malloc(cells * sizeof *z);
    double *win_sum = malloc(cells * sizeof *win_sum);
    uint32_t *win_count = malloc(cells * sizeof *win_count);
    if (z == NULL || win_sum == NULL || win_count == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu cells", cells);
        goto done;
    }
    double mean = masked_mean(x, mask, cells, units);
    for (size_t c = 0; c < cells; c++)
        z[c] = (mask == NULL || mask[c]) ? x[c] - mean : 0.0;
    st = hs_weights_grid_window_sums(g, z, mask, band_m, win_sum, win_count, err);
    if (st != HS_OK)
        goto done;
    moran_parts m = {0};
    m.n_all = (double)units;
    m.mean = mean;
    moment_sums(z, mask, cells, &m);
    grid_parts(z, mask, cells, win_sum, win_count, &m);
    st = moran_from_parts(&m, a, r, err);
done:
    free(z);
    free(win_sum);
    free(win_count);
    return st;
}

/* ---- incremental spatial autocorrelation ----------------------------------------------- */

/* 1 when every unit cell has a neighbour within band_m. */
static hs_status every_unit_has_neighbour(const hs_grid *g, const double *x,
                                          const unsigned char *mask, double band_m, double *win_sum,
                                          uint32_t *win_count, int *yes, hs_error *err)
{
    hs_status st = hs_weights_grid_window_sums(g, x, mask, band_m, win_sum, win_count, err);
    if (st != HS_OK)
        return st;
    *yes = 1;
    for (size_t c = 0; c < hs_grid_size(g); c++)
        if ((mask == NULL || mask[c]) && win_count[c] <= 1)
            *yes = 0;
    return HS_OK;
}

static int is_sum_of_two_squares(long r2)
{
    for (long a = 0; a * a <= r2; a++) {
        long b2 = r2 - a * a;
        long b = (long)floor(sqrt((double)b2) + 0.5);
        if (b * b == b2)
            return 1;
    }
    return 0;
}

/* Smallest centre-to-centre distance at which every unit cell has a neighbour. */
static hs_status automatic_start(const hs_grid *g, const double *x, const unsigned char *mask,
                                 double *start_m, hs_error *err)
{
    size_t cells = hs_grid_size(g);
    double *win_sum = malloc(cells * sizeof *win_sum);
    uint32_t *win_count = malloc(cells * sizeof *win_count);
    hs_status st = HS_OK;
    if (win_sum == NULL || win_count == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu cells", cells);
        goto done;
    }
    for (long r2 = 1; r2 <= 100L * 100L; r2++) {
        if (!is_sum_of_two_squares(r2))
            continue;
        /* A hair above the exact distance, so rounding cannot drop the ring itself. */
        double band = g->cell_m * sqrt((double)r2) * (1.0 + 1e-9);
        int yes = 0;
        st = every_unit_has_neighbour(g, x, mask, band, win_sum, win_count, &yes, err);
        if (st != HS_OK || yes) {
            *start_m = band;
            goto done;
        }
    }
    st = hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                      "some grid cell has no other cell within 100 cells: no distance band "
                      "gives every unit a neighbour");
done:
    free(win_sum);
    free(win_count);
    return st;
}

/* Index of the first significant peak of z, or of the largest z (peak 0). */
static size_t pick_band(const hs_isa_band *bands, size_t nb, int *peak_found)
{
    for (size_t k = 1; k + 1 < nb; k++) {
        double z = bands[k].moran.z;
        if (z >= 1.96 && z > bands[k - 1].moran.z && z >= bands[k + 1].moran.z) {
            *peak_found = 1;
            return k;
        }
    }
    size_t best = 0;
    for (size_t k = 1; k < nb; k++)
        best = bands[k].moran.z > bands[best].moran.z ? k : best;
    *peak_found = 0;
    return best;
}

hs_status hs_moran_incremental_grid(const hs_grid *g, const double *x, const unsigned char *mask,
                                    const hs_isa_params *p, hs_isa_band *bands, size_t *chosen,
                                    int *peak_found, hs_error *err)
{
    if (g == NULL || p == NULL || bands == NULL || chosen == NULL || peak_found == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "incremental Moran: argument missing");
    if (p->n_bands < 3 || !(p->start_m >= 0.0) || !(p->increment_m >= 0.0) ||
        !isfinite(p->start_m) || !isfinite(p->increment_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "incremental Moran needs >= 3 bands, start >= 0 and increment >= 0; "
                            "got %zu, %g, %g",
                            p->n_bands, p->start_m, p->increment_m);
    hs_status st = check_finite(x, mask, hs_grid_size(g), err);
    double start = p->start_m;
    if (st == HS_OK && start == 0.0)
        st = automatic_start(g, x, mask, &start, err);
    if (st != HS_OK)
        return st;
    double step = p->increment_m > 0.0 ? p->increment_m : g->cell_m;
    for (size_t k = 0; k < p->n_bands; k++) {
        bands[k].band_m = start + (double)k * step;
        st = hs_moran_grid_band(g, x, mask, bands[k].band_m, p->assumption, &bands[k].moran, err);
        if (st != HS_OK)
            return st;
    }
    *chosen = pick_band(bands, p->n_bands, peak_found);
    return HS_OK;
}

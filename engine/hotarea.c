/* hotarea.c - thresholds, connected-component labels and PAI of hot areas (see hotarea.h).
 *
 * Must not do I/O; polygons are made in geo/raster.c (GDALPolygonize). Labelling is the
 * classic two-pass union-find (Rosenfeld & Pfaltz 1966) with 4-connectivity. The top-N%
 * threshold is an exact selection on the bit patterns of positive floats (their IEEE 754
 * patterns sort like the values): a 16-bit histogram of the high half, then of the low half
 * within the chosen bucket, so it needs no copy of the raster.
 */
#include "engine/hotarea.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOT_BUCKETS 65536u
#define KM2_PER_M2  1e-6

hs_hotarea_params hs_hotarea_params_default(void)
{
    hs_hotarea_params p;
    p.rule = HS_HOTAREA_MEAN_SD;
    p.sd_multiplier = 2.0;
    p.top_percent = 5.0;
    return p;
}

char *hs_hotarea_method(const hs_hotarea_params *p, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    if (p->rule == HS_HOTAREA_TOP_PERCENT)
        snprintf(buf, n, "top%gpct", p->top_percent);
    else
        snprintf(buf, n, "mean+%gsd", p->sd_multiplier);
    return buf;
}

/* ---- thresholds ------------------------------------------------------------------------- */

static int is_value(float v, float nodata)
{
    return v != nodata && v > 0.0f;
}

static hs_status check_values(const float *v, size_t n, float nodata, hs_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != nodata && !(v[i] >= 0.0f))
            return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                                "density cell %zu (0-based index) is %g; expected a value >= 0 "
                                "or nodata",
                                i, (double)v[i]);
    return HS_OK;
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Bucket (from the top) holding the k-th largest entry of a histogram, and how many entries
 * lie in the buckets above it (*above). k >= 1 and at most the histogram's total. */
static uint32_t hist_select(const size_t *hist, size_t k, size_t *above)
{
    size_t seen = 0;
    uint32_t b = HOT_BUCKETS - 1;
    for (;; b--) {
        if (seen + hist[b] >= k || b == 0)
            break;
        seen += hist[b];
    }
    *above = seen;
    return b;
}

/* The k-th largest non-zero value (k >= 1, at most the count). */
static hs_status kth_largest(const float *v, size_t n, float nodata, size_t k, float *out,
                             hs_error *err)
{
    size_t *hist = calloc(HOT_BUCKETS, sizeof *hist);
    if (hist == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory for a histogram");
    for (size_t i = 0; i < n; i++)
        if (is_value(v[i], nodata))
            hist[float_bits(v[i]) >> 16]++;
    size_t above;
    uint32_t hi = hist_select(hist, k, &above);
    memset(hist, 0, HOT_BUCKETS * sizeof *hist);
    for (size_t i = 0; i < n; i++)
        if (is_value(v[i], nodata) && float_bits(v[i]) >> 16 == hi)
            hist[float_bits(v[i]) & 0xFFFFu]++;
    size_t above_lo;
    uint32_t lo = hist_select(hist, k - above, &above_lo);
    free(hist);
    *out = bits_float(hi << 16 | lo);
    return HS_OK;
}

/* Smallest float strictly above t. */
static float float_above(double t)
{
    float f = (float)t;
    if ((double)f <= t)
        f = nextafterf(f, INFINITY);
    return f;
}

static hs_status mean_sd_threshold(const float *v, size_t n, float nodata, double k, size_t m,
                                   float *min_hot)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        if (is_value(v[i], nodata))
            sum += (double)v[i];
    double mean = sum / (double)m, ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (is_value(v[i], nodata)) {
            double d = (double)v[i] - mean;
            ss += d * d;
        }
    }
    *min_hot = float_above(mean + k * sqrt(ss / (double)m));
    return HS_OK;
}

static hs_status check_hot_params(const hs_hotarea_params *p, hs_error *err)
{
    if (p->rule == HS_HOTAREA_MEAN_SD) {
        if (!(p->sd_multiplier >= 0.0) || !isfinite(p->sd_multiplier))
            return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                                "hot-area standard-deviation multiplier must be >= 0, got %g",
                                p->sd_multiplier);
        return HS_OK;
    }
    if (p->rule == HS_HOTAREA_TOP_PERCENT) {
        if (!(p->top_percent > 0.0 && p->top_percent <= 100.0))
            return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                                "hot-area top percent must be in (0, 100], got %g",
                                p->top_percent);
        return HS_OK;
    }
    return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "unknown hot-area rule code %d", (int)p->rule);
}

hs_status hs_hotarea_threshold(const hs_hotarea_params *p, const float *v, size_t n,
                               float nodata, float *min_hot, size_t *n_nonzero, hs_error *err)
{
    hs_status st = check_hot_params(p, err);
    if (st == HS_OK)
        st = check_values(v, n, nodata, err);
    if (st != HS_OK)
        return st;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += (size_t)is_value(v[i], nodata);
    if (n_nonzero != NULL)
        *n_nonzero = m;
    if (m == 0) {
        *min_hot = INFINITY;
        return HS_OK;
    }
    if (p->rule == HS_HOTAREA_MEAN_SD)
        return mean_sd_threshold(v, n, nodata, p->sd_multiplier, m, min_hot);
    size_t k = (size_t)ceil(p->top_percent / 100.0 * (double)m);
    k = k < 1 ? 1 : (k > m ? m : k);
    return kth_largest(v, n, nodata, k, min_hot, err);
}

/* ---- labels ----------------------------------------------------------------------------- */

typedef struct hot_sets {
    int32_t *parent; /* union-find parent of each provisional label (index 0 unused) */
    size_t n;        /* provisional labels so far */
    size_t cap;      /* allocated entries */
} hot_sets;

static int32_t sets_find(hot_sets *s, int32_t a)
{
    while (s->parent[a] != a) {
        s->parent[a] = s->parent[s->parent[a]];
        a = s->parent[a];
    }
    return a;
}

/* Join two sets; the smaller root wins, so roots are each set's first provisional label. */
static int32_t sets_union(hot_sets *s, int32_t a, int32_t b)
{
    a = sets_find(s, a);
    b = sets_find(s, b);
    if (a < b)
        s->parent[b] = a;
    else
        s->parent[a] = b;
    return a < b ? a : b;
}

static hs_status sets_new(hot_sets *s, int32_t *out, hs_error *err)
{
    if (s->n + 1 >= (size_t)INT32_MAX)
        return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                            "more than %d separate hot areas; expected fewer", (int)INT32_MAX);
    if (s->n + 1 >= s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        int32_t *p = realloc(s->parent, cap * sizeof *p);
        if (p == NULL)
            return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                                "out of memory labelling hot areas (%zu provisional labels)",
                                s->n);
        s->parent = p;
        s->cap = cap;
    }
    s->n++;
    s->parent[s->n] = (int32_t)s->n;
    *out = (int32_t)s->n;
    return HS_OK;
}

/* Pass 1: provisional labels from the north and west neighbours, with their equivalences. */
static hs_status label_pass1(const hs_grid *g, const float *v, float nodata, float min_hot,
                             int32_t *labels, hot_sets *s, hs_error *err)
{
    for (size_t r = 0; r < g->ny; r++) {
        for (size_t c = 0; c < g->nx; c++) {
            size_t i = r * g->nx + c;
            labels[i] = 0;
            if (!is_value(v[i], nodata) || !(v[i] >= min_hot))
                continue;
            int32_t up = r > 0 ? labels[i - g->nx] : 0;
            int32_t left = c > 0 ? labels[i - 1] : 0;
            if (up && left)
                labels[i] = sets_union(s, up, left);
            else if (up || left)
                labels[i] = up ? up : left;
            else {
                hs_status st = sets_new(s, &labels[i], err);
                if (st != HS_OK)
                    return st;
            }
        }
    }
    return HS_OK;
}

/* Pass 2: final labels 1..n in raster order of each area's first cell. */
static hs_status label_pass2(size_t ncells, int32_t *labels, hot_sets *s, size_t *nlabels,
                             hs_error *err)
{
    int32_t *final = calloc(s->n + 1, sizeof *final);
    if (final == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory labelling hot areas");
    int32_t next = 0;
    for (size_t i = 0; i < ncells; i++) {
        if (labels[i] == 0)
            continue;
        int32_t root = sets_find(s, labels[i]);
        if (final[root] == 0)
            final[root] = ++next;
        labels[i] = final[root];
    }
    free(final);
    *nlabels = (size_t)next;
    return HS_OK;
}

hs_status hs_hotarea_label(const hs_grid *g, const float *v, float nodata, float min_hot,
                           int32_t *labels, size_t *nlabels, hs_error *err)
{
    hot_sets s = {NULL, 0, 0};
    *nlabels = 0;
    hs_status st = label_pass1(g, v, nodata, min_hot, labels, &s, err);
    if (st == HS_OK && s.n > 0)
        st = label_pass2(hs_grid_size(g), labels, &s, nlabels, err);
    free(s.parent);
    return st;
}

/* ---- measures --------------------------------------------------------------------------- */

static hs_status count_cells(const hs_grid *g, const int32_t *labels, size_t nlabels,
                             const unsigned char *mask, hs_hotarea *areas, size_t *study_cells,
                             hs_error *err)
{
    size_t n = hs_grid_size(g);
    *study_cells = 0;
    for (size_t i = 0; i < n; i++) {
        *study_cells += (size_t)(mask == NULL || mask[i] != 0);
        if (labels[i] < 0 || (size_t)labels[i] > nlabels)
            return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                                "label raster cell %zu holds %d; expected 0..%zu", i,
                                (int)labels[i], nlabels);
        if (labels[i] > 0)
            areas[labels[i] - 1].cells++;
    }
    return HS_OK;
}

/* Adds each point's weight to the study-area total and to its area; *total gets the
 * study-area total. */
static hs_status count_points(const hs_grid *g, const int32_t *labels, const unsigned char *mask,
                              const double *x, const double *y, const double *w, size_t n,
                              hs_hotarea *areas, double *total, hs_error *err)
{
    *total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!isfinite(x[i]) || !isfinite(y[i]) || !(wi >= 0.0) || !isfinite(wi))
            return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                                "point %zu (0-based index) has x=%g, y=%g, weight %g; expected "
                                "finite coordinates and a weight >= 0",
                                i, x[i], y[i], wi);
        size_t r, c;
        if (!hs_grid_cell_of(g, x[i], y[i], &r, &c))
            continue;
        size_t cell = r * g->nx + c;
        if (mask != NULL && mask[cell] == 0)
            continue;
        *total += wi;
        if (labels[cell] > 0)
            areas[labels[cell] - 1].incidents += wi;
    }
    return HS_OK;
}

hs_status hs_hotarea_measure(const hs_grid *g, const int32_t *labels, size_t nlabels,
                             const unsigned char *mask, const double *x, const double *y,
                             const double *w, size_t n, double study_area_km2,
                             hs_hotarea *areas, hs_error *err)
{
    for (size_t a = 0; a < nlabels; a++) {
        areas[a].label = (int32_t)(a + 1);
        areas[a].cells = 0;
        areas[a].incidents = 0.0;
    }
    size_t study_cells;
    double total;
    hs_status st = count_cells(g, labels, nlabels, mask, areas, &study_cells, err);
    if (st == HS_OK)
        st = count_points(g, labels, mask, x, y, w, n, areas, &total, err);
    if (st != HS_OK)
        return st;
    double cell_km2 = g->cell_m * g->cell_m * KM2_PER_M2;
    double study_km2 = study_area_km2 > 0.0 ? study_area_km2 : (double)study_cells * cell_km2;
    for (size_t a = 0; a < nlabels; a++) {
        areas[a].area_km2 = (double)areas[a].cells * cell_km2;
        areas[a].pai = total > 0.0 && areas[a].area_km2 > 0.0
                           ? (areas[a].incidents / total) / (areas[a].area_km2 / study_km2)
                           : 0.0;
    }
    return HS_OK;
}

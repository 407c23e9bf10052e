/* weights.c - CSR spatial weights: neighbour lists, distance band, k nearest neighbours and
 * grid bands (see weights.h).
 *
 * Point searches go through a bucket grid (square buckets, counting-sorted point indices),
 * so a distance band costs O(n * neighbours) and k nearest neighbours O(n * k log k) for
 * spread-out points; nothing compares all pairs. Row entries come out sorted by column, so
 * sums over a row are in a fixed order whatever the thread count.
 * Definitions follow spdep (dnearneigh bounds "GE","LE", knearneigh, include.self,
 * nb2listw styles "B" and "W"); inverse distance follows ArcGIS's rule of raising short
 * distances to a minimum (1 unit) so that duplicates never divide by zero.
 * Must not: print, exit, or depend on the thread count.
 */
#include "engine/weights.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct hs_weights {
    size_t n;               /* units */
    size_t nnz;             /* stored entries */
    size_t *row_ptr;        /* n + 1 row starts */
    uint32_t *cols;         /* nnz column indices, ascending per row */
    double *values;         /* nnz weights, or NULL for all ones */
    int include_self;       /* each row holds its own unit */
    hs_weights_style style; /* how the values were made */
};

/* Points of one bucket grid cell, for the point searches. */
typedef struct bucket_index {
    double x0_m;     /* west edge of bucket column 0 */
    double y0_m;     /* south edge of bucket row 0 */
    double size_m;   /* bucket width and height */
    size_t nbx;      /* bucket columns */
    size_t nby;      /* bucket rows */
    size_t *start;   /* nbx * nby + 1 offsets into items */
    uint32_t *items; /* point indices by bucket (row-major), ascending within a bucket */
} bucket_index;

/* ---- small helpers ------------------------------------------------------------------- */

void hs_weights_params_default(hs_weights_params *p)
{
    p->style = HS_WEIGHTS_BINARY;
    p->include_self = 1;
    p->min_distance_m = 1.0;
    p->power = 1.0;
}

static hs_status check_params(const hs_weights_params *p, int have_distances, hs_error *err)
{
    if (p == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "weights parameters are missing");
    if (p->style != HS_WEIGHTS_BINARY && p->style != HS_WEIGHTS_ROW_STANDARDISED &&
        p->style != HS_WEIGHTS_INVERSE_DISTANCE)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "unknown weights style %d", (int)p->style);
    if (p->style == HS_WEIGHTS_INVERSE_DISTANCE) {
        if (!have_distances)
            return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                                "inverse-distance weights need coordinates; neighbour lists "
                                "(contiguity) take binary or row-standardised weights");
        if (!(p->min_distance_m > 0.0) || !isfinite(p->min_distance_m) || !(p->power > 0.0) ||
            !isfinite(p->power))
            return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                                "inverse distance needs min_distance_m > 0 and power > 0, got "
                                "%g and %g",
                                p->min_distance_m, p->power);
    }
    return HS_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void sort_u32(uint32_t *v, size_t len)
{
    if (len > 32) {
        qsort(v, len, sizeof *v, cmp_u32);
        return;
    }
    for (size_t i = 1; i < len; i++) {
        uint32_t t = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > t; j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

static hs_status weights_alloc(size_t n, size_t nnz, const hs_weights_params *p, hs_weights **out,
                               hs_error *err)
{
    hs_weights *w = calloc(1, sizeof *w);
    if (w == NULL)
        goto fail;
    w->n = n;
    w->nnz = nnz;
    w->include_self = p->include_self ? 1 : 0;
    w->style = p->style;
    w->row_ptr = malloc((n + 1) * sizeof *w->row_ptr);
    w->cols = malloc((nnz ? nnz : 1) * sizeof *w->cols);
    if (w->row_ptr == NULL || w->cols == NULL)
        goto fail;
    w->row_ptr[0] = 0;
    *out = w;
    return HS_OK;
fail:
    hs_weights_destroy(w);
    return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                        "no memory for spatial weights of %zu units and %zu entries", n, nnz);
}

/* Turn per-row counts (row_ptr[i + 1] holds the count of row i) into offsets. */
static void counts_to_offsets(size_t *row_ptr, size_t n)
{
    row_ptr[0] = 0;
    for (size_t i = 0; i < n; i++)
        row_ptr[i + 1] += row_ptr[i];
}

static double inverse_distance(double d_m, const hs_weights_params *p)
{
    double d = d_m > p->min_distance_m ? d_m : p->min_distance_m;
    return p->power == 1.0 ? 1.0 / d : 1.0 / pow(d, p->power);
}

/* Set w->values from the style. dist (nnz distances, metres) is used for inverse distance
 * only and may be NULL otherwise. */
static hs_status weights_set_values(hs_weights *w, const double *dist, const hs_weights_params *p,
                                    hs_error *err)
{
    if (p->style == HS_WEIGHTS_BINARY)
        return HS_OK;
    w->values = malloc((w->nnz ? w->nnz : 1) * sizeof *w->values);
    if (w->values == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu weight values", w->nnz);
    size_t n = w->n;
    const size_t *rp = w->row_ptr;
    double *v = w->values;
    int style = (int)p->style;
#pragma omp parallel for default(none) shared(n, rp, v, dist, p, style) schedule(static)
    for (size_t i = 0; i < n; i++) {
        size_t len = rp[i + 1] - rp[i];
        for (size_t e = rp[i]; e < rp[i + 1]; e++)
            v[e] = style == HS_WEIGHTS_ROW_STANDARDISED ? 1.0 / (double)len
                                                        : inverse_distance(dist[e], p);
    }
    return HS_OK;
}

/* ---- from neighbour lists -------------------------------------------------------------- */

static hs_status check_neighbour_lists(size_t n, const size_t *row_ptr, const uint32_t *cols,
                                       hs_error *err)
{
    if (n > HS_WEIGHTS_MAX_UNITS)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "%zu units exceed the limit of %zu", n,
                            HS_WEIGHTS_MAX_UNITS);
    if (row_ptr == NULL || (cols == NULL && n > 0 && row_ptr[n] > 0))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "neighbour lists are missing");
    if (row_ptr[0] != 0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "row_ptr[0] must be 0, got %zu",
                            row_ptr[0]);
    for (size_t i = 0; i < n; i++) {
        if (row_ptr[i + 1] < row_ptr[i])
            return hs_error_set(err, HS_EINVAL, NULL, 0, (long)i + 1,
                                "row_ptr decreases at unit %zu", i);
        for (size_t e = row_ptr[i]; e < row_ptr[i + 1]; e++)
            if ((size_t)cols[e] >= n)
                return hs_error_set(err, HS_EINVAL, NULL, 0, (long)i + 1,
                                    "unit %zu lists neighbour %u, but there are only %zu units", i,
                                    (unsigned)cols[e], n);
    }
    return HS_OK;
}

/* Sort row entries, drop repeats and the unit itself, then put the unit back when wanted.
 * Writes into dst (room for len + 1) and returns the new length. */
static size_t clean_row(const uint32_t *src, size_t len, uint32_t self, int include_self,
                        uint32_t *dst)
{
    size_t m = 0;
    for (size_t e = 0; e < len; e++)
        if (src[e] != self)
            dst[m++] = src[e];
    if (include_self)
        dst[m++] = self;
    sort_u32(dst, m);
    size_t k = 0;
    for (size_t e = 0; e < m; e++)
        if (k == 0 || dst[e] != dst[k - 1])
            dst[k++] = dst[e];
    return k;
}

hs_status hs_weights_from_neighbours(size_t n, const size_t *row_ptr, const uint32_t *cols,
                                     const hs_weights_params *p, hs_weights **out, hs_error *err)
{
    hs_weights *w = NULL;
    hs_status st = check_params(p, 0, err);
    if (st == HS_OK)
        st = check_neighbour_lists(n, row_ptr, cols, err);
    if (st != HS_OK)
        return st;
    /* Room for every given entry plus one self entry per row; shrunk at the end. */
    st = weights_alloc(n, row_ptr[n] + (p->include_self ? n : 0), p, &w, err);
    if (st != HS_OK)
        return st;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        used += clean_row(cols + row_ptr[i], row_ptr[i + 1] - row_ptr[i], (uint32_t)i,
                          p->include_self, w->cols + used);
        w->row_ptr[i + 1] = used;
    }
    w->nnz = used;
    st = weights_set_values(w, NULL, p, err);
    if (st != HS_OK) {
        hs_weights_destroy(w);
        return st;
    }
    *out = w;
    return HS_OK;
}

/* ---- bucket grid over points ----------------------------------------------------------- */

static hs_status check_points(const double *x, const double *y, size_t n, hs_error *err)
{
    if (n > HS_WEIGHTS_MAX_UNITS)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "%zu units exceed the limit of %zu", n,
                            HS_WEIGHTS_MAX_UNITS);
    if (n > 0 && (x == NULL || y == NULL))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "coordinates are missing");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                                "unit %zu has coordinates (%g, %g); expected finite metres", i,
                                x[i], y[i]);
    return HS_OK;
}

static void bucket_index_free(bucket_index *b)
{
    free(b->start);
    free(b->items);
    b->start = NULL;
    b->items = NULL;
}

static size_t bucket_clamp(double f, size_t nb)
{
    if (!(f > 0.0))
        return 0;
    if (f >= (double)nb)
        return nb - 1;
    return (size_t)f;
}

static size_t bucket_col(const bucket_index *b, double x)
{
    return bucket_clamp(floor((x - b->x0_m) / b->size_m), b->nbx);
}

static size_t bucket_row(const bucket_index *b, double y)
{
    return bucket_clamp(floor((y - b->y0_m) / b->size_m), b->nby);
}

/* Buckets of at least min_size_m, grown until there are at most about 2n + 16 of them. */
static hs_status bucket_index_build(const double *x, const double *y, size_t n, double min_size_m,
                                    bucket_index *b, hs_error *err)
{
    memset(b, 0, sizeof *b);
    double xmin = x[0], xmax = x[0], ymin = y[0], ymax = y[0];
    for (size_t i = 1; i < n; i++) {
        xmin = x[i] < xmin ? x[i] : xmin;
        xmax = x[i] > xmax ? x[i] : xmax;
        ymin = y[i] < ymin ? y[i] : ymin;
        ymax = y[i] > ymax ? y[i] : ymax;
    }
    double size = min_size_m;
    double cap = 2.0 * (double)n + 16.0;
    while (((xmax - xmin) / size + 1.0) * ((ymax - ymin) / size + 1.0) > cap)
        size *= 2.0;
    b->x0_m = xmin;
    b->y0_m = ymin;
    b->size_m = size;
    b->nbx = (size_t)floor((xmax - xmin) / size) + 1;
    b->nby = (size_t)floor((ymax - ymin) / size) + 1;
    size_t nb = b->nbx * b->nby;
    b->start = calloc(nb + 1, sizeof *b->start);
    b->items = malloc((n ? n : 1) * sizeof *b->items);
    if (b->start == NULL || b->items == NULL) {
        bucket_index_free(b);
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "no memory for a search grid of %zu "
                            "buckets",
                            nb);
    }
    for (size_t i = 0; i < n; i++)
        b->start[bucket_row(b, y[i]) * b->nbx + bucket_col(b, x[i]) + 1]++;
    for (size_t k = 0; k < nb; k++)
        b->start[k + 1] += b->start[k];
    /* Counting sort, stable: indices ascend within each bucket. */
    size_t *fill = malloc((nb ? nb : 1) * sizeof *fill);
    if (fill == NULL) {
        bucket_index_free(b);
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for a search grid");
    }
    memcpy(fill, b->start, nb * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        b->items[fill[bucket_row(b, y[i]) * b->nbx + bucket_col(b, x[i])]++] = (uint32_t)i;
    free(fill);
    return HS_OK;
}

/* ---- fixed distance band on points ----------------------------------------------------- */

/* The one band predicate of the point path. */
static int within_band(double dx, double dy, double band2)
{
    return dx * dx + dy * dy <= band2;
}

/* Visit the band neighbours of point i (itself included when include_self). With
 * dst == NULL only counts; otherwise writes the indices to dst. Returns the count. */
static size_t band_row(const bucket_index *b, const double *x, const double *y, size_t i,
                       double band2, int include_self, uint32_t *dst)
{
    size_t bc = bucket_col(b, x[i]), br = bucket_row(b, y[i]);
    size_t c0 = bc > 0 ? bc - 1 : 0, c1 = bc + 1 < b->nbx ? bc + 1 : bc;
    size_t r0 = br > 0 ? br - 1 : 0, r1 = br + 1 < b->nby ? br + 1 : br;
    size_t m = 0;
    for (size_t r = r0; r <= r1; r++)
        for (size_t c = c0; c <= c1; c++) {
            size_t k = r * b->nbx + c;
            for (size_t e = b->start[k]; e < b->start[k + 1]; e++) {
                uint32_t j = b->items[e];
                int take =
                    (size_t)j == i ? include_self : within_band(x[j] - x[i], y[j] - y[i], band2);
                if (take && dst != NULL)
                    dst[m] = j;
                m += take ? 1u : 0u;
            }
        }
    return m;
}

static hs_status fill_point_distances(hs_weights *w, const double *x, const double *y,
                                      double **dist_out, hs_error *err)
{
    double *dist = malloc((w->nnz ? w->nnz : 1) * sizeof *dist);
    if (dist == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu distances", w->nnz);
    size_t n = w->n;
    const size_t *rp = w->row_ptr;
    const uint32_t *cols = w->cols;
#pragma omp parallel for default(none) shared(n, rp, cols, x, y, dist) schedule(static)
    for (size_t i = 0; i < n; i++)
        for (size_t e = rp[i]; e < rp[i + 1]; e++)
            dist[e] = hypot(x[cols[e]] - x[i], y[cols[e]] - y[i]);
    *dist_out = dist;
    return HS_OK;
}

/* Values from distances between points (inverse distance) or from the style alone. */
static hs_status finish_point_weights(hs_weights *w, const double *x, const double *y,
                                      const hs_weights_params *p, hs_error *err)
{
    double *dist = NULL;
    hs_status st = HS_OK;
    if (p->style == HS_WEIGHTS_INVERSE_DISTANCE)
        st = fill_point_distances(w, x, y, &dist, err);
    if (st == HS_OK)
        st = weights_set_values(w, dist, p, err);
    free(dist);
    return st;
}

hs_status hs_weights_build_distance_band(const double *x, const double *y, size_t n, double band_m,
                                         const hs_weights_params *p, hs_weights **out,
                                         hs_error *err)
{
    hs_status st = check_params(p, 1, err);
    if (st == HS_OK)
        st = check_points(x, y, n, err);
    if (st != HS_OK)
        return st;
    if (!(band_m > 0.0) || !isfinite(band_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "distance band must be a positive number of metres, got %g", band_m);
    if (n == 0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "no units to build weights for");
    bucket_index b;
    hs_weights *w = NULL;
    size_t *counts = calloc(n + 1, sizeof *counts);
    if (counts == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu rows", n);
    st = bucket_index_build(x, y, n, band_m, &b, err);
    if (st != HS_OK) {
        free(counts);
        return st;
    }
    double band2 = band_m * band_m;
    int self = p->include_self ? 1 : 0;
    const bucket_index *bp = &b;
#pragma omp parallel for default(none) shared(n, bp, x, y, band2, self, counts)                    \
    schedule(dynamic, 256)
    for (size_t i = 0; i < n; i++)
        counts[i + 1] = band_row(bp, x, y, i, band2, self, NULL);
    counts_to_offsets(counts, n);
    st = weights_alloc(n, counts[n], p, &w, err);
    if (st != HS_OK)
        goto fail;
    memcpy(w->row_ptr, counts, (n + 1) * sizeof *counts);
    uint32_t *cols = w->cols;
#pragma omp parallel for default(none) shared(n, bp, x, y, band2, self, counts, cols)              \
    schedule(dynamic, 256)
    for (size_t i = 0; i < n; i++) {
        band_row(bp, x, y, i, band2, self, cols + counts[i]);
        sort_u32(cols + counts[i], counts[i + 1] - counts[i]);
    }
    st = finish_point_weights(w, x, y, p, err);
    if (st != HS_OK)
        goto fail;
    bucket_index_free(&b);
    free(counts);
    *out = w;
    return HS_OK;
fail:
    hs_weights_destroy(w);
    bucket_index_free(&b);
    free(counts);
    return st;
}

/* ---- k nearest neighbours -------------------------------------------------------------- */

/* A candidate neighbour: squared distance and index; order (d2, j) breaks ties by index. */
typedef struct knn_cand {
    double d2;  /* squared distance, m^2 */
    uint32_t j; /* unit index */
} knn_cand;

static int knn_before(double d2, uint32_t j, const knn_cand *c)
{
    return d2 < c->d2 || (d2 == c->d2 && j < c->j);
}

/* Offer candidate (d2, j) to the sorted best list of length *m (capacity k). */
static void knn_offer(knn_cand *best, size_t *m, size_t k, double d2, uint32_t j)
{
    if (*m == k && !knn_before(d2, j, &best[k - 1]))
        return;
    size_t pos = *m < k ? (*m)++ : k - 1;
    while (pos > 0 && knn_before(d2, j, &best[pos - 1])) {
        best[pos] = best[pos - 1];
        pos--;
    }
    best[pos].d2 = d2;
    best[pos].j = j;
}

static void knn_scan_bucket(const bucket_index *b, size_t r, size_t c, const double *x,
                            const double *y, size_t i, knn_cand *best, size_t *m, size_t k)
{
    size_t key = r * b->nbx + c;
    for (size_t e = b->start[key]; e < b->start[key + 1]; e++) {
        uint32_t j = b->items[e];
        if ((size_t)j == i)
            continue;
        double dx = x[j] - x[i], dy = y[j] - y[i];
        knn_offer(best, m, k, dx * dx + dy * dy, j);
    }
}

/* Scan the buckets at Chebyshev ring distance ring around (br, bc). */
static void knn_scan_ring(const bucket_index *b, size_t br, size_t bc, size_t ring, const double *x,
                          const double *y, size_t i, knn_cand *best, size_t *m, size_t k)
{
    long r0 = (long)br - (long)ring, r1 = (long)br + (long)ring;
    long c0 = (long)bc - (long)ring, c1 = (long)bc + (long)ring;
    for (long r = r0; r <= r1; r++) {
        if (r < 0 || r >= (long)b->nby)
            continue;
        int edge_row = (r == r0 || r == r1);
        for (long c = c0; c <= c1; c++) {
            if (c < 0 || c >= (long)b->nbx)
                continue;
            if (edge_row || c == c0 || c == c1)
                knn_scan_bucket(b, (size_t)r, (size_t)c, x, y, i, best, m, k);
        }
    }
}

/* Distance from point i to the outside of the block of buckets within ring of its own. */
static double knn_block_margin(const bucket_index *b, size_t br, size_t bc, size_t ring, double px,
                               double py)
{
    double west = px - (b->x0_m + ((double)bc - (double)ring) * b->size_m);
    double east = b->x0_m + ((double)bc + (double)ring + 1.0) * b->size_m - px;
    double south = py - (b->y0_m + ((double)br - (double)ring) * b->size_m);
    double north = b->y0_m + ((double)br + (double)ring + 1.0) * b->size_m - py;
    double m = west < east ? west : east;
    m = south < m ? south : m;
    return north < m ? north : m;
}

static void knn_row(const bucket_index *b, const double *x, const double *y, size_t i, size_t k,
                    knn_cand *best)
{
    size_t bc = bucket_col(b, x[i]), br = bucket_row(b, y[i]);
    size_t max_ring = b->nbx > b->nby ? b->nbx : b->nby;
    size_t m = 0;
    for (size_t ring = 0; ring <= max_ring; ring++) {
        knn_scan_ring(b, br, bc, ring, x, y, i, best, &m, k);
        if (m == k) {
            double margin = knn_block_margin(b, br, bc, ring, x[i], y[i]);
            /* Points beyond the block are at least margin away: strictly farther than the
             * k-th means no better candidate and no tie can come from outside. */
            if (margin > 0.0 && margin * margin > best[k - 1].d2)
                break;
        }
    }
}

hs_status hs_weights_build_knn(const double *x, const double *y, size_t n, size_t k,
                               const hs_weights_params *p, hs_weights **out, hs_error *err)
{
    hs_status st = check_params(p, 1, err);
    if (st == HS_OK)
        st = check_points(x, y, n, err);
    if (st != HS_OK)
        return st;
    if (k < 1 || k >= n)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "k nearest neighbours needs 1 <= k < number of units (%zu), got %zu", n,
                            k);
    size_t self = p->include_self ? 1 : 0;
    size_t row_len = k + self;
    hs_weights *w = NULL;
    bucket_index b;
    /* Buckets holding about k points each on average. */
    double xmin = x[0], xmax = x[0], ymin = y[0], ymax = y[0];
    for (size_t i = 1; i < n; i++) {
        xmin = fmin(xmin, x[i]);
        xmax = fmax(xmax, x[i]);
        ymin = fmin(ymin, y[i]);
        ymax = fmax(ymax, y[i]);
    }
    double area = (xmax - xmin) * (ymax - ymin);
    double size = area > 0.0 ? sqrt(area * (double)k / (double)n) : 1.0;
    size = size > 0.0 ? size : 1.0;
    st = bucket_index_build(x, y, n, size, &b, err);
    if (st != HS_OK)
        return st;
    st = weights_alloc(n, n * row_len, p, &w, err);
    if (st != HS_OK)
        goto fail;
    for (size_t i = 0; i < n; i++)
        w->row_ptr[i + 1] = (i + 1) * row_len;
    int nthreads = omp_get_max_threads();
    knn_cand *scratch = malloc((size_t)nthreads * k * sizeof *scratch);
    if (scratch == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for nearest-neighbour search");
        goto fail;
    }
    uint32_t *cols = w->cols;
    const bucket_index *bp = &b;
#pragma omp parallel default(none) shared(n, k, bp, x, y, scratch, cols, row_len, self)
    {
        knn_cand *best = scratch + (size_t)omp_get_thread_num() * k;
#pragma omp for schedule(dynamic, 256)
        for (size_t i = 0; i < n; i++) {
            knn_row(bp, x, y, i, k, best);
            uint32_t *row = cols + i * row_len;
            for (size_t e = 0; e < k; e++)
                row[e] = best[e].j;
            if (self)
                row[k] = (uint32_t)i;
            sort_u32(row, row_len);
        }
    }
    free(scratch);
    st = finish_point_weights(w, x, y, p, err);
    if (st != HS_OK)
        goto fail;
    bucket_index_free(&b);
    *out = w;
    return HS_OK;
fail:
    hs_weights_destroy(w);
    bucket_index_free(&b);
    return st;
}

/* ---- grid distance band ---------------------------------------------------------------- */

size_t hs_weights_grid_units(const hs_grid *g, const unsigned char *mask)
{
    size_t cells = hs_grid_size(g);
    if (mask == NULL)
        return cells;
    size_t m = 0;
    for (size_t c = 0; c < cells; c++)
        m += mask[c] != 0;
    return m;
}

size_t hs_weights_grid_band_radius(double band_m, double cell_m)
{
    double f = floor(band_m / cell_m) + 1.0;
    size_t r = (size_t)f;
    /* floor() of a rounded quotient may be one too high or low: settle on the predicate. */
    while (r > 0 && !hs_weights_grid_band_contains(band_m, cell_m, (long)r, 0))
        r--;
    return r;
}

int hs_weights_grid_band_contains(double band_m, double cell_m, long drow, long dcol)
{
    double dy = (double)drow * cell_m, dx = (double)dcol * cell_m;
    return dx * dx + dy * dy <= band_m * band_m;
}

void hs_weights_grid_band_window(double band_m, double cell_m, size_t radius, size_t *half_width)
{
    for (size_t k = 0; k <= 2 * radius; k++) {
        long dr = (long)k - (long)radius;
        size_t h = radius;
        while (h > 0 && !hs_weights_grid_band_contains(band_m, cell_m, dr, (long)h))
            h--;
        half_width[k] = h;
    }
}

static hs_status check_grid_band(const hs_grid *g, double band_m, hs_error *err)
{
    if (g == NULL || g->nx == 0 || g->ny == 0 || !(g->cell_m > 0.0))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "the grid is empty or has no cell size");
    if (!(band_m > 0.0) || !isfinite(band_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "distance band must be a positive number of metres, got %g", band_m);
    if (band_m < g->cell_m)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "distance band %g m is smaller than the cell size %g m: no cell "
                            "would have a neighbour",
                            band_m, g->cell_m);
    if (hs_grid_size(g) > HS_WEIGHTS_MAX_UNITS)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "%zu cells exceed the limit of %zu",
                            hs_grid_size(g), HS_WEIGHTS_MAX_UNITS);
    return HS_OK;
}

size_t hs_weights_grid_unit_map(const hs_grid *g, const unsigned char *mask, uint32_t *unit_of,
                                size_t *unit_cell)
{
    size_t cells = hs_grid_size(g);
    uint32_t u = 0;
    for (size_t c = 0; c < cells; c++) {
        if (mask != NULL && mask[c] == 0) {
            unit_of[c] = UINT32_MAX;
            continue;
        }
        if (unit_cell != NULL)
            unit_cell[u] = c;
        unit_of[c] = u++;
    }
    return u;
}

size_t hs_weights_grid_band_row(const hs_grid *g, const uint32_t *unit_of, size_t radius,
                                const size_t *half_width, size_t row, size_t col, int include_self,
                                uint32_t *dst)
{
    size_t m = 0;
    size_t r0 = row >= radius ? row - radius : 0;
    size_t r1 = row + radius < g->ny ? row + radius : g->ny - 1;
    for (size_t rr = r0; rr <= r1; rr++) {
        size_t h = half_width[rr + radius - row];
        size_t c0 = col >= h ? col - h : 0;
        size_t c1 = col + h < g->nx ? col + h : g->nx - 1;
        for (size_t cc = c0; cc <= c1; cc++) {
            uint32_t u = unit_of[rr * g->nx + cc];
            int take = u != UINT32_MAX && (include_self || rr != row || cc != col);
            if (take && dst != NULL)
                dst[m] = u;
            m += take ? 1u : 0u;
        }
    }
    return m;
}

/* Everything the grid-band passes share. */
typedef struct grid_band_job {
    const hs_grid *g;        /* the grid */
    const uint32_t *unit_of; /* unit of each cell */
    const size_t *unit_cell; /* cell of each unit */
    size_t radius;           /* window radius, cells */
    const size_t *half;      /* window half widths, 2 * radius + 1 */
    int include_self;        /* own cell in own row */
} grid_band_job;

static size_t grid_job_row(const grid_band_job *job, size_t u, uint32_t *dst)
{
    size_t cell = job->unit_cell[u];
    return hs_weights_grid_band_row(job->g, job->unit_of, job->radius, job->half, cell / job->g->nx,
                                    cell % job->g->nx, job->include_self, dst);
}

/* Centre-to-centre distances of every entry, for inverse-distance values. */
static hs_status grid_band_distances(const grid_band_job *job, const hs_weights *w,
                                     double **dist_out, hs_error *err)
{
    double *dist = malloc((w->nnz ? w->nnz : 1) * sizeof *dist);
    if (dist == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu distances", w->nnz);
    size_t n = w->n;
    const size_t *rp = w->row_ptr;
    const uint32_t *cols = w->cols;
#pragma omp parallel for default(none) shared(job, n, rp, cols, dist) schedule(static)
    for (size_t u = 0; u < n; u++) {
        size_t nx = job->g->nx, a = job->unit_cell[u];
        for (size_t e = rp[u]; e < rp[u + 1]; e++) {
            size_t b = job->unit_cell[cols[e]];
            double dr = (double)(b / nx) - (double)(a / nx);
            double dc = (double)(b % nx) - (double)(a % nx);
            dist[e] = job->g->cell_m * sqrt(dr * dr + dc * dc);
        }
    }
    *dist_out = dist;
    return HS_OK;
}

/* Rows of the grid band into a new weights object (count pass, then fill pass). */
static hs_status grid_band_weights(const grid_band_job *job, size_t n, const hs_weights_params *p,
                                   hs_weights **out, hs_error *err)
{
    size_t *counts = calloc(n + 1, sizeof *counts);
    if (counts == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu rows", n);
#pragma omp parallel for default(none) shared(job, n, counts) schedule(static)
    for (size_t u = 0; u < n; u++)
        counts[u + 1] = grid_job_row(job, u, NULL);
    counts_to_offsets(counts, n);
    hs_weights *w = NULL;
    hs_status st = weights_alloc(n, counts[n], p, &w, err);
    if (st != HS_OK) {
        free(counts);
        return st;
    }
    memcpy(w->row_ptr, counts, (n + 1) * sizeof *counts);
    free(counts);
    uint32_t *cols = w->cols;
    const size_t *rp = w->row_ptr;
#pragma omp parallel for default(none) shared(job, n, cols, rp) schedule(static)
    for (size_t u = 0; u < n; u++)
        grid_job_row(job, u, cols + rp[u]);
    double *dist = NULL;
    if (p->style == HS_WEIGHTS_INVERSE_DISTANCE)
        st = grid_band_distances(job, w, &dist, err);
    if (st == HS_OK)
        st = weights_set_values(w, dist, p, err);
    free(dist);
    if (st != HS_OK) {
        hs_weights_destroy(w);
        return st;
    }
    *out = w;
    return HS_OK;
}

hs_status hs_weights_build_grid_band(const hs_grid *g, const unsigned char *mask, double band_m,
                                     const hs_weights_params *p, hs_weights **out,
                                     size_t *unit_cell, hs_error *err)
{
    hs_status st = check_params(p, 1, err);
    if (st == HS_OK)
        st = check_grid_band(g, band_m, err);
    if (st != HS_OK)
        return st;
    size_t n = hs_weights_grid_units(g, mask);
    if (n == 0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "the mask leaves no cell as a unit");
    size_t radius = hs_weights_grid_band_radius(band_m, g->cell_m);
    uint32_t *unit_of = malloc(hs_grid_size(g) * sizeof *unit_of);
    size_t *cells = malloc(n * sizeof *cells);
    size_t *half = malloc((2 * radius + 1) * sizeof *half);
    if (unit_of == NULL || cells == NULL || half == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu grid units", n);
    } else {
        hs_weights_grid_unit_map(g, mask, unit_of, cells);
        hs_weights_grid_band_window(band_m, g->cell_m, radius, half);
        grid_band_job job = {g, unit_of, cells, radius, half, p->include_self ? 1 : 0};
        st = grid_band_weights(&job, n, p, out, err);
    }
    if (st == HS_OK && unit_cell != NULL)
        memcpy(unit_cell, cells, n * sizeof *cells);
    free(unit_of);
    free(cells);
    free(half);
    return st;
}

/* ---- grid window sums (implicit weights) ------------------------------------------------ */

/* Row prefix sums of x over unit cells and of the unit count; row r occupies
 * [(nx + 1) r, (nx + 1)(r + 1)), entry c = the sum over columns < c. */
static void grid_row_prefix(const hs_grid *g, const double *x, const unsigned char *mask,
                            double *ps, uint32_t *pc)
{
    size_t nx = g->nx, ny = g->ny, stride = nx + 1;
#pragma omp parallel for default(none) shared(x, mask, nx, ny, stride, ps, pc) schedule(static)
    for (size_t r = 0; r < ny; r++) {
        double s = 0.0;
        uint32_t m = 0;
        ps[r * stride] = 0.0;
        pc[r * stride] = 0;
        for (size_t c = 0; c < nx; c++) {
            size_t cell = r * nx + c;
            int unit = mask == NULL || mask[cell] != 0;
            s += unit ? x[cell] : 0.0;
            m += unit ? 1u : 0u;
            ps[r * stride + c + 1] = s;
            pc[r * stride + c + 1] = m;
        }
    }
}

/* Window sum and unit count around cell (r, c) from the row prefix sums. */
static void grid_window(const hs_grid *g, const double *ps, const uint32_t *pc, size_t radius,
                        const size_t *half, size_t r, size_t c, double *sum, uint32_t *count)
{
    size_t stride = g->nx + 1;
    size_t r0 = r >= radius ? r - radius : 0;
    size_t r1 = r + radius < g->ny ? r + radius : g->ny - 1;
    double s = 0.0;
    uint32_t m = 0;
    for (size_t rr = r0; rr <= r1; rr++) {
        size_t h = half[rr + radius - r];
        size_t c0 = c >= h ? c - h : 0;
        size_t c1 = c + h < g->nx ? c + h + 1 : g->nx;
        s += ps[rr * stride + c1] - ps[rr * stride + c0];
        m += pc[rr * stride + c1] - pc[rr * stride + c0];
    }
    *sum = s;
    *count = m;
}

hs_status hs_weights_grid_window_sums(const hs_grid *g, const double *x, const unsigned char *mask,
                                      double band_m, double *win_sum, uint32_t *win_count,
                                      hs_error *err)
{
    hs_status st = check_grid_band(g, band_m, err);
    if (st != HS_OK)
        return st;
    size_t cells = hs_grid_size(g), stride = g->nx + 1;
    size_t radius = hs_weights_grid_band_radius(band_m, g->cell_m);
    double *ps = malloc(stride * g->ny * sizeof *ps);
    uint32_t *pc = malloc(stride * g->ny * sizeof *pc);
    size_t *half = malloc((2 * radius + 1) * sizeof *half);
    if (ps == NULL || pc == NULL || half == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for prefix sums of %zu cells",
                          cells);
        goto done;
    }
    hs_weights_grid_band_window(band_m, g->cell_m, radius, half);
    grid_row_prefix(g, x, mask, ps, pc);
#pragma omp parallel for default(none)                                                             \
    shared(g, mask, cells, ps, pc, radius, half, win_sum, win_count) schedule(static)
    for (size_t cell = 0; cell < cells; cell++) {
        if (mask != NULL && !mask[cell]) {
            win_sum[cell] = 0.0;
            win_count[cell] = 0;
            continue;
        }
        grid_window(g, ps, pc, radius, half, cell / g->nx, cell % g->nx, &win_sum[cell],
                    &win_count[cell]);
    }
done:
    free(ps);
    free(pc);
    free(half);
    return st;
}

/* ---- accessors ------------------------------------------------------------------------- */

void hs_weights_destroy(hs_weights *w)
{
    if (w == NULL)
        return;
    free(w->values);
    free(w->cols);
    free(w->row_ptr);
    free(w);
}

size_t hs_weights_n(const hs_weights *w)
{
    return w->n;
}

size_t hs_weights_nnz(const hs_weights *w)
{
    return w->nnz;
}

const size_t *hs_weights_row_ptr(const hs_weights *w)
{
    return w->row_ptr;
}

const uint32_t *hs_weights_cols(const hs_weights *w)
{
    return w->cols;
}

const double *hs_weights_values(const hs_weights *w)
{
    return w->values;
}

int hs_weights_includes_self(const hs_weights *w)
{
    return w->include_self;
}

hs_weights_style hs_weights_style_of(const hs_weights *w)
{
    return w->style;
}

size_t hs_weights_n_neighbours(const hs_weights *w, size_t i)
{
    size_t len = w->row_ptr[i + 1] - w->row_ptr[i];
    return w->include_self && len > 0 ? len - 1 : len;
}

size_t hs_weights_n_islands(const hs_weights *w)
{
    size_t m = 0;
    for (size_t i = 0; i < w->n; i++)
        m += hs_weights_n_neighbours(w, i) == 0;
    return m;
}

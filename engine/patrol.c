/* patrol.c - patrol-area selection and the concentration curve (see patrol.h for the rule).
 *
 * Must not do I/O. Window sums come from summed-area tables (Crow 1984, "Summed-area tables
 * for texture mapping", SIGGRAPH '84), built row-wise then column-wise in a fixed order so the
 * table is the same at any thread count. The greedy choice is made lazily: a heap holds each
 * anchor cell's best window; when the top one touches an area chosen meanwhile, that anchor's
 * best is recomputed (it can only get worse) and sifted down, so the first valid top is the
 * best valid window overall (Minoux 1978, lazy greedy).
 */
#include "engine/patrol.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HS_PATROL_BLOCK 4096       /* cells per block of the fixed-order total */
#define HS_PATROL_NONE  UINT32_MAX /* no window at this anchor */
#define HS_PATROL_SLACK 1e-9       /* relative slack of the size cap and the top-k count */

typedef struct patrol_shape {
    size_t h; /* rows */
    size_t w; /* columns */
} patrol_shape;

/* Everything a window query needs. */
typedef struct patrol_ctx {
    size_t nx, ny;                /* grid size */
    size_t stride;                /* nx + 1: row length of the summed-area tables */
    const double *sat_value;      /* sums of in-study-area values */
    const double *sat_positive;   /* counts of in-study-area cells with a value > 0 */
    const double *sat_mask;       /* counts of study-area cells; NULL = every cell */
    const patrol_shape *shapes;   /* window shapes in tie-break order */
    size_t nshapes;               /* number of shapes */
    const hs_patrol_area *chosen; /* areas chosen so far */
    size_t nchosen;               /* how many */
} patrol_ctx;

/* An anchor's best window: the heap key. */
typedef struct patrol_best {
    double *score;   /* window sum per anchor */
    double *cells;   /* study-area cells of that window per anchor */
    uint32_t *shape; /* shape index per anchor, HS_PATROL_NONE when none */
} patrol_best;

hs_patrol_params hs_patrol_params_default(void)
{
    hs_patrol_params p = {.areas = 10, .max_area_km2 = 0.25, .max_aspect = 2.0};
    return p;
}

size_t hs_patrol_max_cells(const hs_grid *g, const hs_patrol_params *p)
{
    if (!(g->cell_m > 0.0) || !isfinite(g->cell_m) || !(p->max_area_km2 > 0.0) ||
        !isfinite(p->max_area_km2))
        return 0;
    double cell_km2 = g->cell_m * g->cell_m / 1e6;
    double n = floor(p->max_area_km2 / cell_km2 * (1.0 + HS_PATROL_SLACK));
    if (n > (double)UINT32_MAX)
        n = (double)UINT32_MAX;
    return (size_t)n;
}

size_t hs_patrol_cells_capacity(const hs_grid *g, const hs_patrol_params *p)
{
    return p->areas * hs_patrol_max_cells(g, p);
}

static int in_study(const unsigned char *mask, size_t i)
{
    return mask == NULL || mask[i] != 0;
}

static hs_status check_params(const hs_grid *g, const hs_patrol_params *p, hs_error *err)
{
    if (!(p->max_area_km2 > 0.0) || !isfinite(p->max_area_km2))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "patrol max_area_km2 must be a positive number, got %g",
                            p->max_area_km2);
    if (!(p->max_aspect >= 1.0) || !isfinite(p->max_aspect))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "patrol max_aspect must be a number >= 1, got %g", p->max_aspect);
    if (hs_patrol_max_cells(g, p) == 0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "patrol max_area_km2 = %g is smaller than one %g m grid cell "
                            "(%g km2)",
                            p->max_area_km2, g->cell_m, g->cell_m * g->cell_m / 1e6);
    if (hs_grid_size(g) >= (size_t)UINT32_MAX)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "a patrol grid of %zu x %zu cells is too large (limit 2^32-1 cells)",
                            g->nx, g->ny);
    return HS_OK;
}

/* Lowest-index bad value in the study area, reported with its row and column. */
static hs_status check_values(const hs_grid *g, const double *values, const unsigned char *mask,
                              hs_error *err)
{
    size_t n = hs_grid_size(g);
    for (size_t i = 0; i < n; i++) {
        if (in_study(mask, i) && !(values[i] >= 0.0 && isfinite(values[i])))
            return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                                "grid cell %zu (row %zu, column %zu) holds %g; expected a "
                                "finite count or weight >= 0",
                                i, i / g->nx, i % g->nx, values[i]);
    }
    return HS_OK;
}

/* What a summed-area table adds up per cell. */
typedef enum sat_kind {
    SAT_VALUE,    /* the value of study-area cells */
    SAT_POSITIVE, /* 1 for study-area cells with a value > 0 */
    SAT_MASK      /* 1 for study-area cells */
} sat_kind;

static double sat_cell(const double *values, const unsigned char *mask, sat_kind kind, size_t i)
{
    if (!in_study(mask, i))
        return 0.0;
    if (kind == SAT_VALUE)
        return values[i];
    if (kind == SAT_POSITIVE)
        return values[i] > 0.0 ? 1.0 : 0.0;
    return 1.0;
}

/* sat[(r) * (nx+1) + c] = sum over rows < r and columns < c. Rows are summed west to east,
 * then columns north to south: each entry's additions happen in one fixed order. */
static void build_sat(const hs_grid *g, const double *values, const unsigned char *mask,
                      sat_kind kind, double *sat)
{
    size_t nx = g->nx, ny = g->ny, stride = nx + 1;
    memset(sat, 0, stride * sizeof *sat);
#pragma omp parallel for default(none) shared(nx, ny, stride, values, mask, kind, sat)             \
    schedule(static)
    for (size_t r = 0; r < ny; r++) {
        double acc = 0.0;
        sat[(r + 1) * stride] = 0.0;
        for (size_t c = 0; c < nx; c++) {
            acc += sat_cell(values, mask, kind, r * nx + c);
            sat[(r + 1) * stride + c + 1] = acc;
        }
    }
#pragma omp parallel for default(none) shared(nx, ny, stride, sat) schedule(static)
    for (size_t c = 1; c <= nx; c++) {
        for (size_t r = 2; r <= ny; r++)
            sat[r * stride + c] += sat[(r - 1) * stride + c];
    }
}

static double rect_sum(const double *sat, size_t stride, size_t r, size_t c, size_t h, size_t w)
{
    return sat[(r + h) * stride + c + w] - sat[r * stride + c + w] - sat[(r + h) * stride + c] +
           sat[r * stride + c];
}

static double study_cells(const patrol_ctx *x, size_t r, size_t c, size_t h, size_t w)
{
    if (x->sat_mask == NULL)
        return (double)(h * w);
    return rect_sum(x->sat_mask, x->stride, r, c, h, w);
}

/* Does the window share a study-area cell with an area chosen so far? */
static int touches_chosen(const patrol_ctx *x, size_t r, size_t c, size_t h, size_t w)
{
    for (size_t k = 0; k < x->nchosen; k++) {
        const hs_patrol_area *a = &x->chosen[k];
        size_t r0 = r > a->row0 ? r : a->row0;
        size_t c0 = c > a->col0 ? c : a->col0;
        size_t r1 = r + h < a->row0 + a->nrows ? r + h : a->row0 + a->nrows;
        size_t c1 = c + w < a->col0 + a->ncols ? c + w : a->col0 + a->ncols;
        if (r0 < r1 && c0 < c1 && study_cells(x, r0, c0, r1 - r0, c1 - c0) > 0.0)
            return 1;
    }
    return 0;
}

/* The best window anchored (north-west corner) at cell `anchor`, skipping windows that touch
 * chosen areas. Writes the key into best; shape HS_PATROL_NONE when no window qualifies. */
static void best_at(const patrol_ctx *x, size_t anchor, const patrol_best *best)
{
    size_t r = anchor / x->nx, c = anchor % x->nx;
    double top_score = 0.0, top_cells = 0.0;
    uint32_t top = HS_PATROL_NONE;
    for (size_t s = 0; s < x->nshapes; s++) {
        size_t h = x->shapes[s].h, w = x->shapes[s].w;
        if (r + h > x->ny || c + w > x->nx)
            continue;
        if (rect_sum(x->sat_positive, x->stride, r, c, h, w) < 0.5)
            continue;
        double score = rect_sum(x->sat_value, x->stride, r, c, h, w);
        double cells = study_cells(x, r, c, h, w);
        int wins =
            top == HS_PATROL_NONE || score > top_score || (score == top_score && cells < top_cells);
        if (!(score > 0.0) || !wins || touches_chosen(x, r, c, h, w))
            continue;
        top_score = score;
        top_cells = cells;
        top = (uint32_t)s;
    }
    best->score[anchor] = top_score;
    best->cells[anchor] = top_cells;
    best->shape[anchor] = top;
}

/* Heap order: more incidents, then fewer cells, then the lower anchor. */
static int heap_before(const patrol_best *b, uint32_t i, uint32_t j)
{
    if (b->score[i] != b->score[j])
        return b->score[i] > b->score[j];
    if (b->cells[i] != b->cells[j])
        return b->cells[i] < b->cells[j];
    return i < j;
}

static void heap_sift_down(uint32_t *heap, size_t n, size_t k, const patrol_best *b)
{
    for (;;) {
        size_t l = 2 * k + 1, top = k;
        if (l < n && heap_before(b, heap[l], heap[top]))
            top = l;
        if (l + 1 < n && heap_before(b, heap[l + 1], heap[top]))
            top = l + 1;
        if (top == k)
            return;
        uint32_t t = heap[k];
        heap[k] = heap[top];
        heap[top] = t;
        k = top;
    }
}

/* Window shapes within the cap and aspect, ordered: fewer cells, squarer, fewer rows. */
static int shape_order(const void *pa, const void *pb)
{
    const patrol_shape *a = pa, *b = pb;
    size_t na = a->h * a->w, nb = b->h * b->w;
    size_t da = a->h > a->w ? a->h - a->w : a->w - a->h;
    size_t db = b->h > b->w ? b->h - b->w : b->w - b->h;
    if (na != nb)
        return na < nb ? -1 : 1;
    if (da != db)
        return da < db ? -1 : 1;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    return 0;
}

static hs_status build_shapes(const hs_grid *g, const hs_patrol_params *p, patrol_shape **out,
                              size_t *n_out)
{
    size_t cap = hs_patrol_max_cells(g, p), n = 0;
    size_t hmax = cap < g->ny ? cap : g->ny, wmax = cap < g->nx ? cap : g->nx;
    patrol_shape *s = NULL;
    for (int pass = 0; pass < 2; pass++) {
        n = 0;
        for (size_t h = 1; h <= hmax; h++) {
            for (size_t w = 1; w <= wmax && h * w <= cap; w++) {
                double lo = (double)(h < w ? h : w), hi = (double)(h < w ? w : h);
                if (hi > p->max_aspect * lo * (1.0 + HS_PATROL_SLACK))
                    continue;
                if (s != NULL)
                    s[n] = (patrol_shape){.h = h, .w = w};
                n++;
            }
        }
        if (pass == 0 && (s = malloc((n ? n : 1) * sizeof *s)) == NULL)
            return HS_ENOMEM;
    }
    qsort(s, n, sizeof *s, shape_order);
    *out = s;
    *n_out = n;
    return HS_OK;
}

/* Sum of the study area's values in blocks of a fixed size, blocks added in index order. */
static hs_status study_total(const hs_grid *g, const double *values, const unsigned char *mask,
                             hs_patrol_totals *t)
{
    size_t n = hs_grid_size(g), nb = (n + HS_PATROL_BLOCK - 1) / HS_PATROL_BLOCK;
    double *part = malloc((nb ? nb : 1) * sizeof *part);
    if (part == NULL)
        return HS_ENOMEM;
    size_t cells = 0;
#pragma omp parallel for default(none) shared(n, nb, values, mask, part) reduction(+ : cells)    \
    schedule(static)
    for (size_t b = 0; b < nb; b++) {
        size_t end = (b + 1) * HS_PATROL_BLOCK < n ? (b + 1) * HS_PATROL_BLOCK : n;
        double s = 0.0;
        for (size_t i = b * HS_PATROL_BLOCK; i < end; i++) {
            if (in_study(mask, i)) {
                s += values[i];
                cells++;
            }
        }
        part[b] = s;
    }
    double total = 0.0;
    for (size_t b = 0; b < nb; b++)
        total += part[b];
    free(part);
    t->incidents = total;
    t->study_cells = cells;
    t->study_area_km2 = (double)cells * g->cell_m * g->cell_m / 1e6;
    return HS_OK;
}

/* Record the window at anchor with shape s as the next area. */
static void accept_area(const hs_grid *g, const double *values, const unsigned char *mask,
                        const patrol_shape *s, size_t anchor, size_t rank, size_t offset,
                        hs_patrol_area *a, size_t *cells)
{
    memset(a, 0, sizeof *a);
    a->rank = rank;
    a->row0 = anchor / g->nx;
    a->col0 = anchor % g->nx;
    a->nrows = s->h;
    a->ncols = s->w;
    a->cells_offset = offset;
    double sum = 0.0;
    size_t k = 0;
    for (size_t r = a->row0; r < a->row0 + s->h; r++) {
        for (size_t c = a->col0; c < a->col0 + s->w; c++) {
            size_t i = r * g->nx + c;
            if (!in_study(mask, i))
                continue;
            cells[offset + k++] = i;
            sum += values[i];
        }
    }
    a->ncells = k;
    a->incidents = sum;
    a->area_km2 = (double)k * g->cell_m * g->cell_m / 1e6;
}

static void fill_shares(hs_patrol_area *areas, size_t n, const hs_patrol_totals *t)
{
    for (size_t k = 0; k < n; k++) {
        double share = areas[k].incidents / t->incidents;
        areas[k].share_pct = 100.0 * share;
        areas[k].pai = share / ((double)areas[k].ncells / (double)t->study_cells);
    }
}

/* Every anchor's best window before any area is chosen (the parallel part). */
static void best_all(const patrol_ctx *x, const patrol_best *best)
{
    size_t n = x->nx * x->ny;
#pragma omp parallel for default(none) shared(n, x, best) schedule(dynamic, 256)
    for (size_t i = 0; i < n; i++)
        best_at(x, i, best);
}

/* Pop windows off the heap until `want` areas are chosen or none is left. */
static size_t greedy(patrol_ctx *x, const hs_grid *g, const double *values,
                     const unsigned char *mask, size_t want, const patrol_best *best,
                     uint32_t *heap, size_t nheap, hs_patrol_area *areas, size_t *cells)
{
    size_t chosen = 0, used = 0;
    while (chosen < want && nheap > 0) {
        uint32_t a = heap[0];
        const patrol_shape *s = &x->shapes[best->shape[a]];
        size_t r = a / g->nx, c = a % g->nx;
        if (!touches_chosen(x, r, c, s->h, s->w)) {
            accept_area(g, values, mask, s, a, chosen + 1, used, &areas[chosen], cells);
            used += areas[chosen].ncells;
            x->nchosen = ++chosen;
            heap[0] = heap[--nheap];
        } else {
            best_at(x, a, best);
            if (best->shape[a] == HS_PATROL_NONE)
                heap[0] = heap[--nheap];
        }
        heap_sift_down(heap, nheap, 0, best);
    }
    return chosen;
}

hs_status hs_patrol_select(const hs_grid *g, const double *values, const unsigned char *mask,
                           const hs_patrol_params *p, hs_patrol_area *areas, size_t *cells,
                           size_t *n_areas, hs_patrol_totals *totals, hs_error *err)
{
    *n_areas = 0;
    hs_status st = check_params(g, p, err);
    if (st != HS_OK)
        return st;
    size_t n = hs_grid_size(g);
    if (n > 0 && values == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "patrol: no per-cell values given");
    if ((st = check_values(g, values, mask, err)) != HS_OK)
        return st;

    hs_patrol_totals t;
    patrol_shape *shapes = NULL;
    size_t nshapes = 0, nsat = (g->nx + 1) * (g->ny + 1), ntab = mask ? 3 : 2;
    double *sat = malloc(ntab * nsat * sizeof *sat);
    double *keys = malloc((n ? 2 * n : 1) * sizeof *keys);
    uint32_t *shape_of = malloc((n ? n : 1) * sizeof *shape_of);
    uint32_t *heap = malloc((n ? n : 1) * sizeof *heap);
    if (sat == NULL || keys == NULL || shape_of == NULL || heap == NULL ||
        study_total(g, values, mask, &t) != HS_OK ||
        build_shapes(g, p, &shapes, &nshapes) != HS_OK) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "patrol: out of memory for a %zu x %zu grid",
                          g->nx, g->ny);
        goto fail;
    }
    build_sat(g, values, mask, SAT_VALUE, sat);
    build_sat(g, values, mask, SAT_POSITIVE, sat + nsat);
    if (mask != NULL)
        build_sat(g, values, mask, SAT_MASK, sat + 2 * nsat);

    patrol_ctx x = {.nx = g->nx,
                    .ny = g->ny,
                    .stride = g->nx + 1,
                    .sat_value = sat,
                    .sat_positive = sat + nsat,
                    .sat_mask = mask ? sat + 2 * nsat : NULL,
                    .shapes = shapes,
                    .nshapes = nshapes,
                    .chosen = areas,
                    .nchosen = 0};
    patrol_best best = {.score = keys, .cells = keys + n, .shape = shape_of};
    best_all(&x, &best);
    size_t nheap = 0;
    for (size_t i = 0; i < n; i++) {
        if (shape_of[i] != HS_PATROL_NONE)
            heap[nheap++] = (uint32_t)i;
    }
    for (size_t k = nheap / 2; k-- > 0;)
        heap_sift_down(heap, nheap, k, &best);
    size_t chosen = greedy(&x, g, values, mask, p->areas, &best, heap, nheap, areas, cells);
    fill_shares(areas, chosen, &t);
    *n_areas = chosen;
    if (totals != NULL)
        *totals = t;
    st = HS_OK;
fail:
    free(shapes);
    free(heap);
    free(shape_of);
    free(keys);
    free(sat);
    return st;
}

void hs_patrol_label(const hs_grid *g, const hs_patrol_area *areas, size_t n_areas,
                     const size_t *cells, int32_t *rank_out)
{
    size_t n = hs_grid_size(g);
    for (size_t i = 0; i < n; i++)
        rank_out[i] = 0;
    for (size_t k = 0; k < n_areas; k++) {
        for (size_t j = 0; j < areas[k].ncells; j++)
            rank_out[cells[areas[k].cells_offset + j]] = (int32_t)areas[k].rank;
    }
}

static int descending(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

hs_status hs_patrol_concentration(const hs_grid *g, const double *values, const unsigned char *mask,
                                  const double *top_pct, size_t n_pct, double *share_pct,
                                  hs_error *err)
{
    for (size_t k = 0; k < n_pct; k++) {
        if (!(top_pct[k] > 0.0 && top_pct[k] <= 100.0))
            return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                                "concentration: top share %g %% is not in (0, 100]", top_pct[k]);
    }
    hs_status st = check_values(g, values, mask, err);
    if (st != HS_OK)
        return st;
    size_t n = hs_grid_size(g), m = 0;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (v == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "concentration: out of memory for %zu cells", n);
    for (size_t i = 0; i < n; i++) {
        if (in_study(mask, i))
            v[m++] = values[i];
    }
    /* Equal values are interchangeable, so sorting by value alone fixes the summation order. */
    qsort(v, m, sizeof *v, descending);
    double total = 0.0;
    for (size_t i = 0; i < m; i++)
        total += v[i];
    for (size_t k = 0; k < n_pct; k++) {
        double want = ceil(top_pct[k] * (double)m / 100.0 * (1.0 - HS_PATROL_SLACK));
        size_t top = want < 1.0 ? 1 : (size_t)want;
        double s = 0.0;
        for (size_t i = 0; i < top && i < m; i++)
            s += v[i];
        share_pct[k] = total > 0.0 ? 100.0 * s / total : 0.0;
    }
    free(v);
    return HS_OK;
}

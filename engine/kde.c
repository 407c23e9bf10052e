/* kde.c - kernel density on an aligned grid (see kde.h for the formula and kernels).
 *
 * Must not do I/O or include GDAL/GEOS/PROJ/SQLite. Formula: Silverman (1986), "Density
 * Estimation for Statistics and Data Analysis", sections 4.2 and 4.5 (product-free radial
 * kernels in the plane); default bandwidth: ArcGIS "How Kernel Density works" (10.2.1+).
 * Edge correction divides by the share of the kernel's mass inside the study area, the
 * "uniform" correction of Diggle (1985) / Jones (1993), measured on the grid itself.
 *
 * How it runs: the grid is cut into square tiles; each tile belongs to one OpenMP iteration
 * and sums, in double precision and in a fixed order (neighbour tiles north-west to
 * south-east, points in input order within each tile), every point whose cutoff disc reaches
 * it. Points are bucketed by the tile they fall in (points outside the grid by the nearest
 * tile), so a tile only visits the buckets within a halo of the cutoff. No atomics, no
 * per-thread raster: memory is the raster plus O(points + tiles + threads * tile^2).
 * For one point and one raster row, the cells inside the disc lie in a column run around the
 * point's nearest column, whose half-width depends only on the row's distance in rows (a
 * table built once per call, with a cell of slack); the inner loop over the run selects the
 * cells with the exact test d^2 < cutoff^2 as a mask, adding +0.0 for the others, so it has
 * no branch and the compiler vectorises it (#pragma omp simd). The squared x offsets are
 * computed once per point and tile.
 */
#include "engine/kde.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define KDE_PI            3.14159265358979323846
#define KDE_GAUSS_SUPPORT 4.0 /* gaussian cutoff in standard deviations */
#define KDE_M2_PER_KM2    1e6
#define KDE_TILE_MIN      8
#define KDE_TILE_MAX      4096
#define KDE_REACH_TABLE_MAX ((size_t)1 << 16)
#define KDE_PAD             4 /* cells: runs are whole multiples of it (the widest vector) */
#define KDE_REACH_CAP       1e15 /* cells: positions and reaches below it are exact integers */

typedef struct kde_plan kde_plan;

/* Adds one point's kernel over a run of n cells of one row (see the row_* functions). */
typedef void (*kde_row_fn)(double *restrict acc, const double *restrict dx2,
                           const double *restrict gx, size_t n, double dy2, double wrow,
                           const kde_plan *k);

struct kde_plan {
    hs_kde_kernel kernel; /* kernel shape */
    double cutoff_m;      /* support radius in metres: r, or 4 r for the gaussian */
    double cut2;          /* cutoff_m squared */
    double inv_r;         /* 1 / r */
    double inv_r2;        /* 1 / r^2 */
    double inv_2r2;       /* 1 / (2 r^2), gaussian exponent scale */
    double factor;        /* multiplies a raw sum into the output scale */
    kde_row_fn row;       /* inner loop of this kernel */
};

/* Points sorted by tile (CSR): bucket t holds indices start[t] .. start[t+1]-1. */
typedef struct kde_buckets {
    double *x;     /* x of the kept points in bucket order, metres */
    double *y;     /* y, metres */
    double *w;     /* weight (1 when the caller gave none) */
    size_t *start; /* ntiles + 1 offsets */
} kde_buckets;

/* Everything a tile needs; shared read-only by all threads. */
typedef struct kde_run {
    const kde_plan *k;         /* kernel plan */
    const hs_grid *g;          /* output grid */
    const double *cx;          /* centre x of every column */
    const double *cy;          /* centre y of every row */
    const kde_buckets *b;      /* bucketed points */
    const unsigned char *mask; /* study-area mask or NULL */
    const double *stencil;     /* edge correction: raw kernel per cell offset, or NULL */
    size_t stencil_half;       /* stencil spans -half .. half cells each way */
    double stencil_total;      /* sum of the whole stencil (fixed order) */
    size_t side;               /* tile side, cells */
    size_t ntx;                /* tiles per grid row */
    size_t nty;                /* tiles per grid column */
    size_t halo;               /* tiles a point's disc can reach beyond its own */
    const size_t *row_reach;   /* column reach by row distance (row_reach_build) */
    size_t row_reach_n;        /* entries of row_reach */
    double reach_slack2;       /* rounding allowance in cells^2 (hs_kde_compute) */
    float nodata;              /* value for cells outside the mask */
    float *out;                /* the density raster */
} kde_run;

/* ---- kernels ---------------------------------------------------------------------------- */

static double kernel_norm(hs_kde_kernel kernel)
{
    switch (kernel) {
    case HS_KDE_QUARTIC:
    case HS_KDE_TRIANGULAR:
        return 3.0 / KDE_PI;
    case HS_KDE_TRIWEIGHT:
        return 4.0 / KDE_PI;
    case HS_KDE_EPANECHNIKOV:
        return 2.0 / KDE_PI;
    case HS_KDE_UNIFORM:
        return 1.0 / KDE_PI;
    case HS_KDE_GAUSSIAN:
        return 1.0 / (2.0 * KDE_PI * (1.0 - exp(-0.5 * KDE_GAUSS_SUPPORT * KDE_GAUSS_SUPPORT)));
    }
    return 0.0;
}

static double kernel_raw(hs_kde_kernel kernel, double u)
{
    double t = 1.0 - u * u;
    switch (kernel) {
    case HS_KDE_QUARTIC:
        return t * t;
    case HS_KDE_TRIWEIGHT:
        return t * t * t;
    case HS_KDE_EPANECHNIKOV:
        return t;
    case HS_KDE_TRIANGULAR:
        return 1.0 - u;
    case HS_KDE_UNIFORM:
        return 1.0;
    case HS_KDE_GAUSSIAN:
        return exp(-0.5 * u * u);
    }
    return 0.0;
}

static const char *const kernel_names[HS_KDE_KERNEL_COUNT] = {
    "quartic", "triweight", "epanechnikov", "triangular", "uniform", "gaussian"};

static int kernel_valid(hs_kde_kernel kernel)
{
    return (int)kernel >= 0 && (int)kernel < HS_KDE_KERNEL_COUNT;
}

const char *hs_kde_kernel_name(hs_kde_kernel kernel)
{
    return kernel_valid(kernel) ? kernel_names[kernel] : "unknown";
}

hs_status hs_kde_kernel_parse(const char *name, hs_kde_kernel *out, hs_error *err)
{
    for (int i = 0; name != NULL && i < HS_KDE_KERNEL_COUNT; i++) {
        if (strcmp(name, kernel_names[i]) == 0) {
            *out = (hs_kde_kernel)i;
            return HS_OK;
        }
    }
    return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                        "unknown kernel '%s'; expected quartic, triweight, epanechnikov, "
                        "triangular, uniform or gaussian",
                        name ? name : "(null)");
}

hs_status hs_kde_scale_parse(const char *name, hs_kde_scale *out, hs_error *err)
{
    if (name != NULL && strcmp(name, "density") == 0) {
        *out = HS_KDE_SCALE_DENSITY;
        return HS_OK;
    }
    if (name != NULL && strcmp(name, "raw") == 0) {
        *out = HS_KDE_SCALE_RAW;
        return HS_OK;
    }
    return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "unknown scale '%s'; expected density or raw",
                        name ? name : "(null)");
}

double hs_kde_support(hs_kde_kernel kernel)
{
    return kernel == HS_KDE_GAUSSIAN ? KDE_GAUSS_SUPPORT : 1.0;
}

double hs_kde_kernel_value(hs_kde_kernel kernel, hs_kde_scale scale, double u)
{
    if (!kernel_valid(kernel) || !(u >= 0.0) || u >= hs_kde_support(kernel))
        return 0.0;
    double k = kernel_raw(kernel, u);
    return scale == HS_KDE_SCALE_RAW ? k : kernel_norm(kernel) * k;
}

hs_kde_params hs_kde_params_default(void)
{
    hs_kde_params p;
    p.kernel = HS_KDE_QUARTIC;
    p.scale = HS_KDE_SCALE_DENSITY;
    p.radius_m = 250.0;
    p.edge_correction = 0;
    p.nodata = HS_KDE_NODATA;
    p.max_cells = 0;
    p.tile_cells = 0;
    return p;
}

/* On x86-64 with GCC, the inner loops are also compiled for AVX2 (four doubles a step
 * instead of SSE2's two) and the loader picks the clone the CPU runs (an ifunc). Only the
 * vector width differs: every cell adds the same terms in the same order with the same IEEE
 * operations (AVX2 does not bring FMA contraction), so the rasters are identical on either. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#    define KDE_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#    define KDE_SIMD_CLONES
#endif

/* ---- inner loops: one point over a run of n cells of one row ---------------------------
 * The run is a conservative bound on the cells within the cutoff (splat_point); each cell is
 * selected by the exact test d^2 < cutoff^2 and a cell outside adds +0.0, which leaves the
 * sum unchanged. The selection is a mask, not a branch, so the loops vectorise. acc: the
 * run's accumulators; dx2: squared x offsets of the run's cells from the point; gx: gaussian
 * x factors (only row_gaussian reads them); dy2: squared y offset of the row; wrow: the
 * point's weight (times the gaussian y factor for row_gaussian). */

KDE_SIMD_CLONES static void row_quartic(double *restrict acc, const double *restrict dx2,
                                        const double *restrict gx, size_t n, double dy2,
                                        double wrow, const kde_plan *k)
{
    (void)gx;
    const double s = k->inv_r2, cut2 = k->cut2;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double d2 = dx2[i] + dy2;
        double t = 1.0 - d2 * s;
        double v = wrow * (t * t);
        acc[i] += d2 < cut2 ? v : 0.0;
    }
}

KDE_SIMD_CLONES static void row_triweight(double *restrict acc, const double *restrict dx2,
                                          const double *restrict gx, size_t n, double dy2,
                                          double wrow, const kde_plan *k)
{
    (void)gx;
    const double s = k->inv_r2, cut2 = k->cut2;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double d2 = dx2[i] + dy2;
        double t = 1.0 - d2 * s;
        double v = wrow * (t * t * t);
        acc[i] += d2 < cut2 ? v : 0.0;
    }
}

KDE_SIMD_CLONES static void row_epanechnikov(double *restrict acc, const double *restrict dx2,
                                             const double *restrict gx, size_t n, double dy2,
                                             double wrow, const kde_plan *k)
{
    (void)gx;
    const double s = k->inv_r2, cut2 = k->cut2;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double d2 = dx2[i] + dy2;
        double v = wrow * (1.0 - d2 * s);
        acc[i] += d2 < cut2 ? v : 0.0;
    }
}

/* The square root per cell: vectorised or not, the same values (sqrt is exact-rounded). */
KDE_SIMD_CLONES static void row_triangular(double *restrict acc, const double *restrict dx2,
                                           const double *restrict gx, size_t n, double dy2,
                                           double wrow, const kde_plan *k)
{
    (void)gx;
    const double s = k->inv_r, cut2 = k->cut2;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double d2 = dx2[i] + dy2;
        double v = wrow * (1.0 - sqrt(d2) * s);
        acc[i] += d2 < cut2 ? v : 0.0;
    }
}

KDE_SIMD_CLONES static void row_uniform(double *restrict acc, const double *restrict dx2,
                                        const double *restrict gx, size_t n, double dy2,
                                        double wrow, const kde_plan *k)
{
    (void)gx;
    const double cut2 = k->cut2;
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        acc[i] += dx2[i] + dy2 < cut2 ? wrow : 0.0;
}

/* exp(-(dx^2 + dy^2) / 2r^2) = exp(-dx^2 / 2r^2) * exp(-dy^2 / 2r^2): the x factors gx are
 * computed once per point, the y factor is folded into wrow. */
KDE_SIMD_CLONES static void row_gaussian(double *restrict acc, const double *restrict dx2,
                                         const double *restrict gx, size_t n, double dy2,
                                         double wrow, const kde_plan *k)
{
    const double cut2 = k->cut2;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double v = wrow * gx[i];
        acc[i] += dx2[i] + dy2 < cut2 ? v : 0.0;
    }
}

static kde_row_fn kernel_row(hs_kde_kernel kernel)
{
    switch (kernel) {
    case HS_KDE_QUARTIC:
        return row_quartic;
    case HS_KDE_TRIWEIGHT:
        return row_triweight;
    case HS_KDE_EPANECHNIKOV:
        return row_epanechnikov;
    case HS_KDE_TRIANGULAR:
        return row_triangular;
    case HS_KDE_UNIFORM:
        return row_uniform;
    case HS_KDE_GAUSSIAN:
        return row_gaussian;
    }
    return NULL;
}

/* ---- validation ------------------------------------------------------------------------- */

static hs_status check_params(const hs_kde_params *p, hs_error *err)
{
    if (!(p->radius_m > 0.0) || !isfinite(p->radius_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "KDE radius must be a positive number of metres, got %g", p->radius_m);
    if (!kernel_valid(p->kernel))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "unknown KDE kernel code %d",
                            (int)p->kernel);
    if (p->scale != HS_KDE_SCALE_DENSITY && p->scale != HS_KDE_SCALE_RAW)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "unknown KDE scale code %d", (int)p->scale);
    if (p->tile_cells != 0 && (p->tile_cells < KDE_TILE_MIN || p->tile_cells > KDE_TILE_MAX))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "KDE tile side must be %d..%d cells (or 0 for the default), got %zu",
                            KDE_TILE_MIN, KDE_TILE_MAX, p->tile_cells);
    return HS_OK;
}

/* The lowest index with a non-finite coordinate or a bad weight, reported as HS_EDATA. */
static hs_status check_points(const double *x, const double *y, const double *w, size_t n,
                              hs_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                                "point %zu (0-based index) has a non-finite coordinate "
                                "(x=%g, y=%g); expected finite metres",
                                i, x[i], y[i]);
        if (w != NULL && (!(w[i] >= 0.0) || !isfinite(w[i])))
            return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                                "point %zu (0-based index) has weight %g; expected a finite "
                                "weight >= 0",
                                i, w[i]);
    }
    return HS_OK;
}

static size_t max_cells_of(const hs_kde_params *p)
{
    return p->max_cells ? p->max_cells : HS_GRID_MAX_CELLS_DEFAULT;
}

static hs_status check_grid(const hs_kde_params *p, const hs_grid *g, hs_error *err)
{
    if (!(g->cell_m > 0.0) || !isfinite(g->cell_m) || g->nx == 0 || g->ny == 0 ||
        !isfinite(g->xmin_m) || !isfinite(g->ymax_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "KDE grid must have a positive cell size and at least one cell, "
                            "got cell %g m, %zu x %zu cells",
                            g->cell_m, g->nx, g->ny);
    size_t limit = max_cells_of(p);
    if (g->nx > limit / g->ny)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "a KDE grid of %zu x %zu cells would exceed the limit of %zu cells; "
                            "use a larger cell size or a smaller extent",
                            g->nx, g->ny, limit);
    return HS_OK;
}

hs_status hs_kde_grid_for_points(const hs_kde_params *p, double cell_m, const double *x,
                                 const double *y, size_t n, hs_grid *out, hs_error *err)
{
    hs_status st = check_params(p, err);
    if (st != HS_OK)
        return st;
    if (n == 0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "no points: a KDE grid needs at least one point or an extent");
    st = check_points(x, y, NULL, n, err);
    if (st != HS_OK)
        return st;
    double xmin = x[0], xmax = x[0], ymin = y[0], ymax = y[0];
    for (size_t i = 1; i < n; i++) {
        xmin = fmin(xmin, x[i]);
        xmax = fmax(xmax, x[i]);
        ymin = fmin(ymin, y[i]);
        ymax = fmax(ymax, y[i]);
    }
    return hs_grid_aligned(xmin, ymin, xmax, ymax, p->radius_m, cell_m, max_cells_of(p), out, err);
}

/* ---- plan, tiles, buckets --------------------------------------------------------------- */

static kde_plan make_plan(const hs_kde_params *p)
{
    kde_plan k;
    double r = p->radius_m;
    k.kernel = p->kernel;
    k.cutoff_m = hs_kde_support(p->kernel) * r;
    k.cut2 = k.cutoff_m * k.cutoff_m;
    k.inv_r = 1.0 / r;
    k.inv_r2 = 1.0 / (r * r);
    k.inv_2r2 = 0.5 / (r * r);
    k.factor =
        p->scale == HS_KDE_SCALE_RAW ? 1.0 : kernel_norm(p->kernel) * KDE_M2_PER_KM2 / (r * r);
    k.row = kernel_row(p->kernel);
    return k;
}

/* Cells within reach of the cutoff, counted in whole cells plus one for rounding, clamped
 * (as a double) to limit so that a huge radius cannot overflow size_t. */
static size_t reach_cells(double cutoff_m, double cell_m, size_t limit)
{
    double c = ceil(cutoff_m / cell_m) + 1.0;
    return c < (double)limit ? (size_t)c : limit;
}

/* Index run [*a, *b) of cells whose centres may lie within half cells of pos (positions and
 * half widths in cell units, centre of cell i at i), clipped to [lo, hi). One cell of slack
 * each way absorbs rounding; the inner loops test d^2 < cutoff^2 exactly. 0 if empty. */
static int cell_run(double pos, double half, size_t lo, size_t hi, size_t *a, size_t *b)
{
    double fa = floor(pos - half) - 1.0;
    double fb = floor(pos + half) + 2.0;
    if (fa < (double)lo)
        fa = (double)lo;
    if (fb > (double)hi)
        fb = (double)hi;
    if (!(fa < fb))
        return 0;
    *a = (size_t)fa;
    *b = (size_t)fb;
    return 1;
}

/* Cell index along one axis of a point at offset off (cell units from the first edge),
 * clamped to [0, n-1]: the nearest cell for points outside the grid. */
static size_t clamp_cell(double off, size_t n)
{
    double f = floor(off);
    if (!(f > 0.0))
        return 0;
    return f < (double)(n - 1) ? (size_t)f : n - 1;
}

/* Squared distance from (px, py) to the rectangle spanned by the grid's cell centres. */
static double dist2_to_centres(const hs_grid *g, double px, double py)
{
    double x0 = g->xmin_m + 0.5 * g->cell_m;
    double x1 = g->xmin_m + ((double)g->nx - 0.5) * g->cell_m;
    double y1 = g->ymax_m - 0.5 * g->cell_m;
    double y0 = g->ymax_m - ((double)g->ny - 0.5) * g->cell_m;
    double dx = px < x0 ? x0 - px : (px > x1 ? px - x1 : 0.0);
    double dy = py < y0 ? y0 - py : (py > y1 ? py - y1 : 0.0);
    return dx * dx + dy * dy;
}

static size_t tile_of_point(const kde_run *run, double px, double py)
{
    const hs_grid *g = run->g;
    size_t col = clamp_cell((px - g->xmin_m) / g->cell_m, g->nx);
    size_t row = clamp_cell((g->ymax_m - py) / g->cell_m, g->ny);
    return (row / run->side) * run->ntx + col / run->side;
}

static void buckets_free(kde_buckets *b)
{
    free(b->start);
    free(b->w);
    free(b->y);
    free(b->x);
}

/* Sort the points that can reach the grid into per-tile buckets, keeping input order within
 * each bucket. *kept: how many points can reach the grid. */
static hs_status buckets_build(const kde_run *run, const double *x, const double *y,
                               const double *w, size_t n, kde_buckets *b, size_t *kept,
                               hs_error *err)
{
    size_t ntiles = run->ntx * run->nty;
    size_t *tile = malloc((n ? n : 1) * sizeof *tile);
    b->start = calloc(ntiles + 1, sizeof *b->start);
    b->x = malloc((n ? n : 1) * sizeof *b->x);
    b->y = malloc((n ? n : 1) * sizeof *b->y);
    b->w = malloc((n ? n : 1) * sizeof *b->w);
    if (tile == NULL || b->start == NULL || b->x == NULL || b->y == NULL || b->w == NULL) {
        free(tile);
        buckets_free(b);
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "out of memory bucketing %zu points into %zu KDE tiles", n, ntiles);
    }
    /* tile[i] = ntiles marks a point too far from the grid to matter. */
    *kept = 0;
    for (size_t i = 0; i < n; i++) {
        int near = dist2_to_centres(run->g, x[i], y[i]) < run->k->cut2;
        tile[i] = near ? tile_of_point(run, x[i], y[i]) : ntiles;
        if (near) {
            b->start[tile[i] + 1]++;
            (*kept)++;
        }
    }
    for (size_t t = 0; t < ntiles; t++)
        b->start[t + 1] += b->start[t];
    for (size_t i = 0; i < n; i++) {
        if (tile[i] == ntiles)
            continue;
        size_t at = b->start[tile[i]]++;
        b->x[at] = x[i];
        b->y[at] = y[i];
        b->w[at] = w ? w[i] : 1.0;
    }
    /* The fill advanced each start to the next bucket's start: shift back. */
    for (size_t t = ntiles; t > 0; t--)
        b->start[t] = b->start[t - 1];
    b->start[0] = 0;
    free(tile);
    return HS_OK;
}

/* ---- edge correction -------------------------------------------------------------------- */

/* The raw kernel at every cell offset (di, dj) in -half..half, row-major. */
static hs_status stencil_build(const kde_plan *k, double cell_m, size_t half, size_t limit,
                               double **out, double *total, hs_error *err)
{
    size_t side = 2 * half + 1;
    if (side > limit / side)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "edge correction would need a %zu x %zu cell kernel stencil, over "
                            "the limit of %zu cells; use a larger cell size",
                            side, side, limit);
    double *s = malloc(side * side * sizeof *s);
    if (s == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "out of memory for a %zu x %zu edge-correction stencil", side, side);
    double sum = 0.0;
    for (size_t i = 0; i < side; i++) {
        double dy = ((double)i - (double)half) * cell_m;
        for (size_t j = 0; j < side; j++) {
            double dx = ((double)j - (double)half) * cell_m;
            double d2 = dx * dx + dy * dy;
            double v = d2 < k->cut2 ? kernel_raw(k->kernel, sqrt(d2) * k->inv_r) : 0.0;
            s[i * side + j] = v;
            sum += v;
        }
    }
    *out = s;
    *total = sum;
    return HS_OK;
}

static int cell_inside(const kde_run *run, size_t row, size_t col)
{
    return run->mask == NULL || run->mask[row * run->g->nx + col] != 0;
}

/* Share of the kernel mass centred on cell (row, col) that falls on study-area cells. Cells
 * off the grid count as outside. Sums the stencil in a fixed order, so a cell whose whole
 * stencil is inside gets exactly 1. */
static double edge_share(const kde_run *run, size_t row, size_t col)
{
    size_t h = run->stencil_half, side = 2 * h + 1;
    double in = 0.0;
    for (size_t i = 0; i < side; i++) {
        if (row + i < h || row + i - h >= run->g->ny)
            continue;
        for (size_t j = 0; j < side; j++) {
            if (col + j < h || col + j - h >= run->g->nx)
                continue;
            if (cell_inside(run, row + i - h, col + j - h))
                in += run->stencil[i * side + j];
        }
    }
    return in / run->stencil_total;
}

/* 1 when every cell within the stencil's reach of the block rows [r0,r1) x cols [c0,c1) is
 * on the grid and in the study area, so that every share in the block is exactly 1. */
static int block_fully_inside(const kde_run *run, size_t r0, size_t r1, size_t c0, size_t c1)
{
    size_t h = run->stencil_half;
    if (r0 < h || c0 < h || r1 + h > run->g->ny || c1 + h > run->g->nx)
        return 0;
    for (size_t r = r0 - h; r < r1 + h; r++)
        for (size_t c = c0 - h; c < c1 + h; c++)
            if (!cell_inside(run, r, c))
                return 0;
    return 1;
}

/* ---- one tile --------------------------------------------------------------------------- */

typedef struct kde_tile {
    size_t r0, r1; /* rows [r0, r1) of the grid */
    size_t c0, c1; /* columns [c0, c1) */
    size_t tx, ty; /* tile column and row */
} kde_tile;

static kde_tile tile_bounds(const kde_run *run, size_t t)
{
    kde_tile tb;
    tb.ty = t / run->ntx;
    tb.tx = t % run->ntx;
    tb.r0 = tb.ty * run->side;
    tb.c0 = tb.tx * run->side;
    tb.r1 = tb.r0 + run->side < run->g->ny ? tb.r0 + run->side : run->g->ny;
    tb.c1 = tb.c0 + run->side < run->g->nx ? tb.c0 + run->side : run->g->nx;
    return tb;
}

/* How many columns from a point's nearest column a cell within half cells (the cutoff) can
 * be, on a row k rows from the point's nearest row. The point is within half a cell of its
 * nearest row and column, so on row k its distance in rows is at least k - 1/2 and a cell
 * within the cutoff lies within sqrt(half^2 - (k - 1/2)^2) + 1/2 columns; one more column
 * absorbs rounding of the positions; slack2 (cells^2) that of the mask's d^2 test. */
static size_t reach_of_row(double half, size_t k, double slack2)
{
    double dy = k == 0 ? 0.0 : (double)k - 0.5;
    double rem = half * half - dy * dy + slack2;
    double cols = rem > 0.0 ? floor(sqrt(rem) + 0.5) + 1.0 : 1.0;
    /* Capped so that it converts (rem may even be infinite); splat_point uses the table
     * only when half, and so every reach, is below the cap. */
    return cols < KDE_REACH_CAP ? (size_t)cols : (size_t)KDE_REACH_CAP;
}

/* reach_of_row for k = 0 .. *n_out - 1: every row cell_run can give, up to a table of
 * KDE_REACH_TABLE_MAX entries (splat_point computes rows beyond the table directly). */
static size_t *row_reach_build(double half, double slack2, size_t *n_out)
{
    double want = ceil(half) + 4.0;
    size_t n = want < (double)KDE_REACH_TABLE_MAX ? (size_t)want : KDE_REACH_TABLE_MAX;
    size_t *reach = malloc(n * sizeof *reach);
    if (reach == NULL)
        return NULL;
    for (size_t k = 0; k < n; k++)
        reach[k] = reach_of_row(half, k, slack2);
    *n_out = n;
    return reach;
}

/* Adds one point to the tile's accumulators (row stride run->side). dx2 and gx: scratch of
 * run->side doubles each. On a row k rows from the point's nearest row, the cells within the
 * cutoff are at most run->row_reach[k] columns from the point's nearest column (a bound with
 * a cell of slack, see row_reach_build); the inner loop selects them exactly. */
static void splat_point(const kde_run *run, const kde_tile *tb, double px, double py, double pw,
                        double *acc, double *dx2, double *gx)
{
    const kde_plan *k = run->k;
    const hs_grid *g = run->g;
    double half = k->cutoff_m / g->cell_m;
    double col_pos = (px - g->xmin_m) / g->cell_m - 0.5;
    double row_pos = (g->ymax_m - py) / g->cell_m - 0.5;
    size_t a, b, ra, rb;
    if (!cell_run(col_pos, half, tb->c0, tb->c1, &a, &b) ||
        !cell_run(row_pos, half, tb->r0, tb->r1, &ra, &rb))
        return;
    for (size_t c = a; c < b; c++) {
        double dx = run->cx[c] - px;
        dx2[c - a] = dx * dx;
    }
    /* Runs are rounded up to whole vectors (KDE_PAD cells). The positions past b get
     * d^2 = inf and add +0.0: they are cells beyond this point's reach, or beyond the tile's
     * columns (their own tile adds them), or the accumulator's padding or next row. */
    for (size_t c = b - a; c < b - a + KDE_PAD; c++) {
        dx2[c] = HUGE_VAL;
        gx[c] = 0.0;
    }
    if (k->kernel == HS_KDE_GAUSSIAN)
        for (size_t c = a; c < b; c++)
            gx[c - a] = exp(-dx2[c - a] * k->inv_2r2);
    /* Nearest column and row. A point (or a radius) beyond KDE_REACH_CAP cells, where these
     * would not convert to integers exactly, takes every column of [a, b) on each row: the
     * mask still selects the cells exactly. */
    int whole_rows = !(fabs(col_pos) < KDE_REACH_CAP && fabs(row_pos) < KDE_REACH_CAP &&
                       half < KDE_REACH_CAP);
    long mc = whole_rows ? 0 : (long)floor(col_pos + 0.5);
    long mr = whole_rows ? 0 : (long)floor(row_pos + 0.5);
    for (size_t r = ra; r < rb; r++) {
        size_t ca = a, cb = b;
        if (!whole_rows) {
            size_t kr = (size_t)labs((long)r - mr);
            long reach =
                (long)(kr < run->row_reach_n ? run->row_reach[kr]
                                              : reach_of_row(half, kr, run->reach_slack2));
            long lo = mc - reach, hi = mc + reach + 1;
            if (lo < (long)a)
                lo = (long)a;
            if (hi > (long)b)
                hi = (long)b;
            if (lo >= hi)
                continue;
            ca = (size_t)lo;
            cb = (size_t)hi;
        }
        double dy = run->cy[r] - py;
        double dy2 = dy * dy;
        double wrow = k->kernel == HS_KDE_GAUSSIAN ? pw * exp(-dy2 * k->inv_2r2) : pw;
        size_t n = (cb - ca + KDE_PAD - 1) / KDE_PAD * KDE_PAD;
        k->row(acc + (r - tb->r0) * run->side + (ca - tb->c0), dx2 + (ca - a), gx + (ca - a), n,
               dy2, wrow, k);
    }
}

static int tile_has_study_area(const kde_run *run, const kde_tile *tb)
{
    for (size_t r = tb->r0; r < tb->r1; r++)
        for (size_t c = tb->c0; c < tb->c1; c++)
            if (cell_inside(run, r, c))
                return 1;
    return 0;
}

/* Sum every bucket within the halo into acc, in a fixed order. */
static void tile_accumulate(const kde_run *run, const kde_tile *tb, double *acc, double *dx2,
                            double *gx)
{
    size_t ty0 = tb->ty > run->halo ? tb->ty - run->halo : 0;
    size_t tx0 = tb->tx > run->halo ? tb->tx - run->halo : 0;
    size_t ty1 = tb->ty + run->halo < run->nty ? tb->ty + run->halo + 1 : run->nty;
    size_t tx1 = tb->tx + run->halo < run->ntx ? tb->tx + run->halo + 1 : run->ntx;
    const kde_buckets *b = run->b;
    memset(acc, 0, (run->side * run->side + KDE_PAD) * sizeof *acc);
    for (size_t ty = ty0; ty < ty1; ty++) {
        for (size_t tx = tx0; tx < tx1; tx++) {
            size_t t = ty * run->ntx + tx;
            for (size_t i = b->start[t]; i < b->start[t + 1]; i++)
                splat_point(run, tb, b->x[i], b->y[i], b->w[i], acc, dx2, gx);
        }
    }
}

/* Scale the sums into the output, with nodata outside the mask and the edge correction. */
static void tile_store(const kde_run *run, const kde_tile *tb, const double *acc)
{
    int edge = run->stencil != NULL && !block_fully_inside(run, tb->r0, tb->r1, tb->c0, tb->c1);
    for (size_t r = tb->r0; r < tb->r1; r++) {
        const double *a = acc + (r - tb->r0) * run->side;
        float *o = run->out + r * run->g->nx;
        for (size_t c = tb->c0; c < tb->c1; c++) {
            if (!cell_inside(run, r, c)) {
                o[c] = run->nodata;
                continue;
            }
            double v = a[c - tb->c0] * run->k->factor;
            o[c] = (float)(edge ? v / edge_share(run, r, c) : v);
        }
    }
}

static void tile_fill_nodata(const kde_run *run, const kde_tile *tb)
{
    for (size_t r = tb->r0; r < tb->r1; r++)
        for (size_t c = tb->c0; c < tb->c1; c++)
            run->out[r * run->g->nx + c] = run->nodata;
}

static void tile_process(const kde_run *run, size_t t, double *scratch)
{
    kde_tile tb = tile_bounds(run, t);
    if (!tile_has_study_area(run, &tb)) {
        tile_fill_nodata(run, &tb);
        return;
    }
    double *acc = scratch;
    double *dx2 = acc + run->side * run->side + KDE_PAD;
    double *gx = dx2 + run->side + KDE_PAD;
    tile_accumulate(run, &tb, acc, dx2, gx);
    tile_store(run, &tb, acc);
}

static void run_tiles(const kde_run *run, double *scratch, size_t per_thread)
{
    size_t ntiles = run->ntx * run->nty;
#pragma omp parallel default(none) shared(run, scratch, per_thread, ntiles)
    {
        double *mine = scratch + (size_t)omp_get_thread_num() * per_thread;
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < ntiles; t++)
            tile_process(run, t, mine);
    }
}

/* ---- hs_kde_compute --------------------------------------------------------------------- */

/* Cell-centre coordinates of every column (axis 0) or row (axis 1), as grid.h computes them. */
static double *grid_centres(const hs_grid *g, int axis)
{
    size_t n = axis == 0 ? g->nx : g->ny;
    double *c = malloc(n * sizeof *c);
    for (size_t i = 0; c != NULL && i < n; i++)
        c[i] = axis == 0 ? hs_grid_centre_x(g, i) : hs_grid_centre_y(g, i);
    return c;
}

static void run_setup(kde_run *run, const hs_kde_params *p, const kde_plan *k, const hs_grid *g,
                      const unsigned char *mask, float *density)
{
    memset(run, 0, sizeof *run);
    run->k = k;
    run->g = g;
    run->mask = mask;
    run->nodata = p->nodata;
    run->out = density;
    size_t longer = g->nx > g->ny ? g->nx : g->ny;
    size_t side = longer / 8;
    side = side < HS_KDE_TILE_DEFAULT_MIN   ? HS_KDE_TILE_DEFAULT_MIN
           : side > HS_KDE_TILE_DEFAULT_MAX ? HS_KDE_TILE_DEFAULT_MAX
                                            : side;
    run->side = p->tile_cells ? p->tile_cells : side;
    run->ntx = (g->nx + run->side - 1) / run->side;
    run->nty = (g->ny + run->side - 1) / run->side;
    size_t reach = reach_cells(k->cutoff_m, g->cell_m, g->nx + g->ny);
    run->halo = (reach + run->side - 1) / run->side;
}

hs_status hs_kde_compute(const hs_kde_params *p, const hs_grid *g, const double *x, const double *y,
                         const double *w, size_t n, const unsigned char *mask, float *density,
                         hs_error *err)
{
    hs_status st = check_params(p, err);
    if (st == HS_OK)
        st = check_grid(p, g, err);
    if (st == HS_OK)
        st = check_points(x, y, w, n, err);
    if (st != HS_OK)
        return st;

    kde_plan k = make_plan(p);
    kde_run run;
    run_setup(&run, p, &k, g, mask, density);
    kde_buckets b = {NULL, NULL, NULL, NULL};
    double *cx = NULL, *cy = NULL, *stencil = NULL, *scratch = NULL;
    size_t *row_reach = NULL;
    size_t kept = 0;

    st = buckets_build(&run, x, y, w, n, &b, &kept, err);
    if (st != HS_OK)
        goto fail;
    if (kept == 0) {
        st = hs_error_set(err, HS_EDATA, NULL, 0, 0,
                          "none of the %zu points lies within %g m of the KDE extent "
                          "(x %.1f..%.1f, y %.1f..%.1f); expected points inside it",
                          n, k.cutoff_m, g->xmin_m, g->xmin_m + (double)g->nx * g->cell_m,
                          g->ymax_m - (double)g->ny * g->cell_m, g->ymax_m);
        goto fail;
    }
    run.b = &b;
    if (p->edge_correction) {
        run.stencil_half = reach_cells(k.cutoff_m, g->cell_m, g->nx + g->ny);
        st = stencil_build(&k, g->cell_m, run.stencil_half, max_cells_of(p), &stencil,
                           &run.stencil_total, err);
        if (st != HS_OK)
            goto fail;
        run.stencil = stencil;
    }
    cx = grid_centres(g, 0);
    cy = grid_centres(g, 1);
    size_t per_thread = run.side * run.side + 2 * run.side + 3 * KDE_PAD;
    size_t nthreads = (size_t)omp_get_max_threads();
    scratch = malloc(nthreads * per_thread * sizeof *scratch);
    /* The mask tests d^2 < cutoff^2 in rounded arithmetic: near the top and bottom of a
     * disc a rounding error of e cells^2 admits about sqrt(e) more columns, so the reaches
     * allow for the rounding of half^2 and of the cell centres and point positions (which
     * grows with the coordinates' size in cells). */
    double half = k.cutoff_m / g->cell_m;
    double mag = fmax(fabs(g->xmin_m), fabs(g->ymax_m)) / g->cell_m + (double)(g->nx + g->ny) +
                 half + 2.0;
    run.reach_slack2 = 16.0 * DBL_EPSILON * ((half + 2.0) * (half + 2.0) + 2.0 * (half + 2.0) * mag);
    row_reach = row_reach_build(half, run.reach_slack2, &run.row_reach_n);
    if (cx == NULL || cy == NULL || scratch == NULL || row_reach == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory for KDE scratch (%zu threads)",
                          nthreads);
        goto fail;
    }
    run.cx = cx;
    run.cy = cy;
    run.row_reach = row_reach;
    run_tiles(&run, scratch, per_thread);

fail:
    free(row_reach);
    free(scratch);
    free(cy);
    free(cx);
    free(stencil);
    buckets_free(&b);
    return st;
}

/* ---- default bandwidth ------------------------------------------------------------------ */

typedef struct kde_dist {
    double d; /* distance to the (weighted) mean centre, metres */
    double w; /* the point's weight */
    size_t i; /* input index, the tie-break that makes the order total */
} kde_dist;

static int dist_cmp(const void *pa, const void *pb)
{
    const kde_dist *a = pa, *b = pb;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Weighted median of distances sorted ascending (see hs_kde_auto_radius); points of zero
 * weight are skipped. total > 0. */
static double weighted_median(const kde_dist *v, size_t n, double total)
{
    double half = 0.5 * total, cum = 0.0;
    size_t i = 0;
    for (; i < n; i++) {
        cum += v[i].w;
        if (v[i].w > 0.0 && cum >= half)
            break;
    }
    if (i >= n)
        return v[n - 1].d;
    size_t j = i + 1;
    while (j < n && !(v[j].w > 0.0))
        j++;
    return cum == half && j < n ? 0.5 * (v[i].d + v[j].d) : v[i].d;
}

hs_status hs_kde_auto_radius(const double *x, const double *y, const double *w, size_t n,
                             double *radius_m, hs_error *err)
{
    if (n == 0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "no points: the default KDE radius needs at least two locations");
    hs_status st = check_points(x, y, w, n, err);
    if (st != HS_OK)
        return st;
    double sw = 0.0, sx = 0.0, sy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        sw += wi;
        sx += wi * x[i];
        sy += wi * y[i];
    }
    if (!(sw > 0.0))
        return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                            "the weights of all %zu points sum to 0; expected a positive total", n);
    double mx = sx / sw, my = sy / sw;
    kde_dist *v = malloc(n * sizeof *v);
    if (v == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "out of memory for the distances of %zu points", n);
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        v[i].w = w ? w[i] : 1.0;
        v[i].d = sqrt(dx * dx + dy * dy);
        v[i].i = i;
        ss += v[i].w * (dx * dx + dy * dy);
    }
    qsort(v, n, sizeof *v, dist_cmp);
    double dm = weighted_median(v, n, sw);
    free(v);
    double sd = sqrt(ss / sw);
    double r = 0.9 * fmin(sd, sqrt(1.0 / log(2.0)) * dm) * pow(sw, -0.2);
    if (!(r > 0.0) || !isfinite(r))
        return hs_error_set(err, HS_EDATA, NULL, 0, 0,
                            "cannot derive a KDE radius: the %zu points (weighted) sit at one "
                            "location or half of their weight does (median distance %g m); "
                            "give a radius",
                            n, dm);
    *radius_m = r;
    return HS_OK;
}

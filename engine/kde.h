/* kde.h - kernel density estimation (KDE) of incident points on an aligned raster grid.
 *
 * density(c) = sum over points i with d(i,c) < cutoff of w_i * K(d(i,c) / r) / r^2,
 * evaluated at the centre of cell c and reported in incidents per km2 (coordinates are metres),
 * so that the surface integrates to sum w_i. K is a kernel normalised to unit mass in the plane
 * (Silverman 1986, ch. 4; the quartic kernel is the one ArcGIS documents). With u = d / r:
 *
 *   quartic       3/pi (1 - u^2)^2        cutoff r   (the default)
 *   triweight     4/pi (1 - u^2)^3        cutoff r
 *   epanechnikov  2/pi (1 - u^2)          cutoff r
 *   triangular    3/pi (1 - u)            cutoff r
 *   uniform       1/pi                    cutoff r
 *   gaussian      exp(-u^2/2) / (2 pi (1 - e^-8))   r is the standard deviation, cutoff 4 r
 *
 * Gaussian: a bivariate normal keeps 1 - e^-8 (99.966%) of its mass within 4 standard
 * deviations; the constant above renormalises the truncated kernel to unit mass, so values
 * are the untruncated Gaussian's times 1.000335 inside 4 r, and 0 beyond.
 * A point contributes to a cell only when d < cutoff (strictly; evaluated as dx*dx + dy*dy
 * < cutoff*cutoff in double precision).
 * Scale "raw" reports sum w_i * k(u) with the unnormalised k(0) = 1 (the kernels above
 * without their constant; QGIS's "Raw" heatmap output): no division by r^2, no km2.
 *
 * Pure computation on arrays: no I/O. Parallel with OpenMP over output tiles; the result is
 * byte-identical at any thread count (each cell sums its points in a fixed order).
 */
#ifndef HS_ENGINE_KDE_H
#define HS_ENGINE_KDE_H

#include "engine/grid.h"
#include "engine/status.h"

#include <stddef.h>

/* Value written to cells outside the study area (mask == 0). */
#define HS_KDE_NODATA (-9999.0f)

/* Tile side in cells when hs_kde_params.tile_cells is 0: the grid's longer side / 8, within
 * [HS_KDE_TILE_DEFAULT_MIN, HS_KDE_TILE_DEFAULT_MAX] (it depends on the grid only, never on
 * the thread count). Larger tiles visit each point's buckets fewer times; 8 or more tiles a
 * side keep two or more threads busy. */
#define HS_KDE_TILE_DEFAULT_MIN 64
#define HS_KDE_TILE_DEFAULT_MAX 256

typedef enum hs_kde_kernel {
    HS_KDE_QUARTIC = 0,   /* 3/pi (1-u^2)^2, the default */
    HS_KDE_TRIWEIGHT,     /* 4/pi (1-u^2)^3 */
    HS_KDE_EPANECHNIKOV,  /* 2/pi (1-u^2) */
    HS_KDE_TRIANGULAR,    /* 3/pi (1-u) */
    HS_KDE_UNIFORM,       /* 1/pi */
    HS_KDE_GAUSSIAN       /* exp(-u^2/2) / (2 pi (1-e^-8)), cut off at u = 4 */
} hs_kde_kernel;

/* Number of kernels (for loops over every kernel). */
#define HS_KDE_KERNEL_COUNT 6

typedef enum hs_kde_scale {
    HS_KDE_SCALE_DENSITY = 0, /* incidents (weights) per km2; integrates to sum w */
    HS_KDE_SCALE_RAW          /* sum w k(u), k(0) = 1; unitless */
} hs_kde_scale;

typedef struct hs_kde_params {
    hs_kde_kernel kernel;  /* kernel shape; default HS_KDE_QUARTIC */
    hs_kde_scale scale;    /* output scale; default HS_KDE_SCALE_DENSITY */
    double radius_m;       /* bandwidth r in metres, > 0 (gaussian: standard deviation);
                            * default 250; see hs_kde_auto_radius */
    int edge_correction;   /* 1: divide each cell by the share of its kernel's mass that
                            * falls inside the study area (the mask, or the grid without a
                            * mask); default 0 */
    float nodata;          /* written where mask == 0; default HS_KDE_NODATA */
    size_t max_cells;      /* refuse grids (and edge-correction stencils) with more cells;
                            * 0 = HS_GRID_MAX_CELLS_DEFAULT */
    size_t tile_cells;     /* side of the square output tiles a thread owns, 8..4096 cells;
                            * 0 = the default above. Changes speed and, through the order
                            * of the sums, the last bits; never the thread invariance. */
} hs_kde_params;

/* Defaults as documented on each field. Thread-safe. */
hs_kde_params hs_kde_params_default(void);

/* "quartic", "triweight", ... for a kernel; "unknown" for a value outside the enum. */
const char *hs_kde_kernel_name(hs_kde_kernel kernel);

/* Parse a kernel name (as hs_kde_kernel_name gives, lower case). HS_EINVAL listing the
 * valid names when it matches none. */
hs_status hs_kde_kernel_parse(const char *name, hs_kde_kernel *out, hs_error *err);

/* Parse "density" or "raw". HS_EINVAL otherwise. */
hs_status hs_kde_scale_parse(const char *name, hs_kde_scale *out, hs_error *err);

/* Support of a kernel in units of r: 4 for the gaussian, 1 for the others. */
double hs_kde_support(hs_kde_kernel kernel);

/* The kernel at u = d / r: the unit-mass K(u) (scale density) or the raw k(u) with k(0) = 1
 * (scale raw); 0 for u >= support. Per square metre of r^2: a density in incidents per km2
 * is K(u) / r^2 * 1e6. For tests and documentation; the raster code has its own loops. */
double hs_kde_kernel_value(hs_kde_kernel kernel, hs_kde_scale scale, double u);

/* The default grid for a KDE: the points' bounding box padded by p->radius_m, widened
 * outwards to multiples of cell_m (hs_grid_aligned). HS_EINVAL for n == 0, a bad radius or
 * cell size; HS_EDATA for a non-finite coordinate (the message names the 0-based point
 * index); HS_ENOMEM when the grid would exceed p->max_cells: this is the check to make
 * before allocating the raster. Thread-safe. */
hs_status hs_kde_grid_for_points(const hs_kde_params *p, double cell_m, const double *x,
                                 const double *y, size_t n, hs_grid *out, hs_error *err);

/* Density surface on grid g. x, y: n point coordinates in metres (the grid's CRS). w: n
 * weights >= 0, or NULL for weight 1 each. mask: hs_grid_size(g) bytes, 0 = outside the
 * study area (gets p->nodata, and counts as outside for edge correction), or NULL for none.
 * density: caller-allocated, hs_grid_size(g) floats, row 0 north; every cell is written.
 * Points outside the grid still add to the cells within their cutoff.
 *
 * Errors (nothing useful in density then): HS_EINVAL for radius <= 0 or non-finite, a bad
 * kernel or scale, a grid with cell_m <= 0 or no cells; HS_ENOMEM when the grid (or the
 * edge-correction stencil) has more than p->max_cells cells or scratch memory cannot be
 * had (scratch is O(n + number of tiles + threads * tile^2)); HS_EDATA naming the lowest
 * 0-based point index with a non-finite coordinate or a negative / non-finite weight, and
 * HS_EDATA when no point lies within the cutoff of the grid (an extent with no points).
 * Uses the OpenMP thread count in force; same bytes at any count. Thread-safe. */
hs_status hs_kde_compute(const hs_kde_params *p, const hs_grid *g, const double *x,
                         const double *y, const double *w, size_t n, const unsigned char *mask,
                         float *density, hs_error *err);

/* The default bandwidth ArcGIS documents for Kernel Density (10.2.1 and later):
 *   r = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n^-0.2
 * with the mean centre, the standard distance SD and the median Dm of the distances to the
 * mean centre all weighted by w when w is given, and n = sum w (the number of points when w
 * is NULL). Weighted median: the smallest distance at which the cumulative weight (points
 * in order of distance) reaches half the total; when it equals half exactly, the mean of
 * that distance and the next (so equal weights give the ordinary median).
 * Errors: HS_EINVAL for n == 0; HS_EDATA for a non-finite coordinate, a negative or
 * non-finite weight (naming the 0-based index), a zero total weight, or points that all sit
 * at one location (r would be 0). Allocates O(n) scratch (HS_ENOMEM). Thread-safe. */
hs_status hs_kde_auto_radius(const double *x, const double *y, const double *w, size_t n,
                             double *radius_m, hs_error *err);

#endif

/* weights.h - spatial weights as compressed sparse rows (CSR): who is whose neighbour, and
 * with what weight, for Getis-Ord Gi* and Moran's I.
 *
 * A weights object holds n units; row i lists the units j with w_ij != 0 in ascending
 * order of j (cols[row_ptr[i] .. row_ptr[i+1]-1]) and their weights. Builders:
 *   - from a neighbour list (polygon contiguity from geo/contiguity, or anything else),
 *   - a fixed distance band on points (centroids, cell centres): j is a neighbour of i when
 *     the Euclidean distance d_ij <= band_m (inclusive, as spdep dnearneigh's default
 *     bounds "GE","LE"), found through a bucket grid in O(n * neighbours), never O(n^2),
 *   - the k nearest neighbours of each point (ties in distance broken by the lower index,
 *     so results are reproducible; the relation is not symmetric),
 *   - a circular distance band over the cells of an hs_grid (optionally masked).
 * Values: binary (w_ij = 1), row-standardised (w_ij = 1 / row length, self included when
 * it is in the row), or inverse distance (w_ij = 1 / max(d_ij, min_distance_m)^power; the
 * unit itself, at distance 0, gets 1 / min_distance_m^power = 1 with the defaults).
 * include_self puts each unit in its own row (w_ii, spdep's include.self): Gi* needs it,
 * Moran's I does not want it.
 *
 * Duplicate locations (police.uk snap points) are ordinary units at distance 0: they are
 * neighbours of each other in a distance band and tie in k-nearest (lower index first).
 * An island is a unit with no neighbour other than itself; builders keep it (row holding
 * only itself, or empty) and count it (hs_weights_n_islands).
 *
 * Units are indexed 0..n-1 with n < 2^32 (cols are 32-bit to halve memory). Coordinates are
 * metres in the job CRS. No I/O. Builders run in parallel (OpenMP) and produce the same
 * bytes at any thread count. A built object is read-only and may be shared by threads.
 */
#ifndef HS_ENGINE_WEIGHTS_H
#define HS_ENGINE_WEIGHTS_H

#include "engine/grid.h"
#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

typedef enum hs_weights_style {
    HS_WEIGHTS_BINARY = 0,       /* w_ij = 1 */
    HS_WEIGHTS_ROW_STANDARDISED, /* w_ij = 1 / (entries in row i): rows sum to 1 */
    HS_WEIGHTS_INVERSE_DISTANCE  /* w_ij = 1 / max(d_ij, min_distance_m)^power */
} hs_weights_style;

typedef struct hs_weights_params {
    hs_weights_style style; /* how values are set; default binary */
    int include_self;       /* 1: unit i is in row i (Gi*, default); 0: it is not (Moran) */
    double min_distance_m;  /* inverse distance: shorter distances count as this; default 1 */
    double power;           /* inverse distance exponent; default 1 */
} hs_weights_params;

/* Largest number of units (cols are 32-bit). */
#define HS_WEIGHTS_MAX_UNITS ((size_t)UINT32_MAX - 1)

typedef struct hs_weights hs_weights;

/* Defaults: binary, include_self = 1, min_distance_m = 1, power = 1. */
void hs_weights_params_default(hs_weights_params *p);

/* Weights from neighbour lists: the neighbours of unit i are cols[row_ptr[i] ..
 * row_ptr[i+1]-1] (any order; i itself and repeats are ignored). row_ptr has n + 1 entries
 * with row_ptr[0] = 0. Style binary or row-standardised (inverse distance needs
 * coordinates: HS_EINVAL). The neighbour relation is taken as given (not symmetrised).
 * Fails with HS_EINVAL (bad params, a column out of range, row_ptr not increasing),
 * HS_ENOMEM. *out is owned by the caller (hs_weights_destroy). */
hs_status hs_weights_from_neighbours(size_t n, const size_t *row_ptr, const uint32_t *cols,
                                     const hs_weights_params *p, hs_weights **out, hs_error *err);

/* Fixed distance band on points (x[i], y[i]), metres: j != i is a neighbour of i when
 * d_ij <= band_m. HS_EINVAL for band_m <= 0 or not finite, HS_EDATA for a non-finite
 * coordinate (err->row = unit index + 1), HS_ENOMEM. */
hs_status hs_weights_build_distance_band(const double *x, const double *y, size_t n, double band_m,
                                         const hs_weights_params *p, hs_weights **out,
                                         hs_error *err);

/* k nearest neighbours of each point (excluding itself), ties in distance broken by the
 * lower index. Needs 1 <= k < n (HS_EINVAL otherwise); HS_EDATA for a non-finite
 * coordinate. Expected time O(n k log k) for spread-out points. */
hs_status hs_weights_build_knn(const double *x, const double *y, size_t n, size_t k,
                               const hs_weights_params *p, hs_weights **out, hs_error *err);

/* Circular distance band over grid cells: the units are the cells with mask[c] != 0 (all
 * cells when mask is NULL), numbered in cell-index order (row 0 = north); unit j is a
 * neighbour of unit i when their centres are within band_m (inclusive). Cells outside the
 * mask are not units and are nobody's neighbour. band_m < cell size gives HS_EINVAL (every
 * cell would be an island). unit_cell, when not NULL, receives the cell index of each unit
 * (size: the number of mask cells, see hs_weights_grid_units). */
hs_status hs_weights_build_grid_band(const hs_grid *g, const unsigned char *mask, double band_m,
                                     const hs_weights_params *p, hs_weights **out,
                                     size_t *unit_cell, hs_error *err);

/* Number of units of a grid with mask (cells with mask != 0; all when mask is NULL). */
size_t hs_weights_grid_units(const hs_grid *g, const unsigned char *mask);

/* The one definition of the grid band that every grid path (CSR builder, Gi* and Moran fast
 * paths) uses: the cell drow rows and dcol columns away is in the band when
 * (drow * cell_m)^2 + (dcol * cell_m)^2 <= band_m^2. Returns 1 or 0. */
int hs_weights_grid_band_contains(double band_m, double cell_m, long drow, long dcol);
/* Largest row offset R in the band (0 when band_m < cell_m). */
size_t hs_weights_grid_band_radius(double band_m, double cell_m);
/* For each row offset dr = -radius..radius, half_width[dr + radius] = the largest column
 * offset in the band at that row. half_width has 2 * radius + 1 entries. */
void hs_weights_grid_band_window(double band_m, double cell_m, size_t radius, size_t *half_width);

/* Unit numbering of a masked grid: unit_of[c] = unit index of cell c (UINT32_MAX outside
 * the mask), and, when unit_cell is not NULL, unit_cell[u] = cell of unit u. Both arrays
 * are the caller's (cells and units entries). Returns the number of units. */
size_t hs_weights_grid_unit_map(const hs_grid *g, const unsigned char *mask, uint32_t *unit_of,
                                size_t *unit_cell);

/* The band neighbours of the cell (row, col): the units in its window (radius and
 * half_width as from hs_weights_grid_band_window) in ascending unit order, the cell's own
 * unit only when include_self. Writes them to dst when not NULL; returns how many. */
size_t hs_weights_grid_band_row(const hs_grid *g, const uint32_t *unit_of, size_t radius,
                                const size_t *half_width, size_t row, size_t col, int include_self,
                                uint32_t *dst);

/* Implicit binary grid-band weights, self included: for every cell, the sum of x over the
 * unit cells within band_m of its centre (win_sum) and how many unit cells that is
 * (win_count; 0 for cells outside the mask). Row prefix sums make it O(cells * band/cell);
 * no weights are stored. x is read only at unit cells. Both outputs have one entry per cell.
 * Sums of integer counts are exact; otherwise each window sum is a difference of row prefix
 * sums (error about 1e-16 times a row total). HS_EINVAL for band_m < cell size, HS_ENOMEM. */
hs_status hs_weights_grid_window_sums(const hs_grid *g, const double *x, const unsigned char *mask,
                                      double band_m, double *win_sum, uint32_t *win_count,
                                      hs_error *err);

/* Free w. NULL does nothing. */
void hs_weights_destroy(hs_weights *w);

/* Number of units. */
size_t hs_weights_n(const hs_weights *w);
/* Number of stored entries (self entries included). */
size_t hs_weights_nnz(const hs_weights *w);
/* Row starts, n + 1 entries. */
const size_t *hs_weights_row_ptr(const hs_weights *w);
/* Column (unit) indices, nnz entries, ascending within each row. */
const uint32_t *hs_weights_cols(const hs_weights *w);
/* Weights, nnz entries, or NULL when every weight is 1 (binary style). */
const double *hs_weights_values(const hs_weights *w);
/* 1 when each row holds its own unit (built with include_self). */
int hs_weights_includes_self(const hs_weights *w);
/* The style the weights were built with. */
hs_weights_style hs_weights_style_of(const hs_weights *w);
/* Neighbours of unit i not counting itself (ArcGIS NNeighbors as DESIGN.md uses it). */
size_t hs_weights_n_neighbours(const hs_weights *w, size_t i);
/* Number of islands (units with no neighbour other than themselves). */
size_t hs_weights_n_islands(const hs_weights *w);

#endif

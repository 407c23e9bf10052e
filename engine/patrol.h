/* patrol.h - patrol areas: where a limited number of foot patrols capture the most incidents.
 *
 * For one category group's per-cell counts (or harm weights) on an hs_grid, choose up to
 * `areas` non-overlapping patrol areas of at most `max_area_km2` each, greedily: each area in
 * turn is the window that captures the most incidents among those that do not touch an area
 * already chosen. Rank 1 is chosen first and holds the most.
 *
 * The walking rule. A patrol area is an axis-aligned rectangle of whole grid cells (a
 * "window"), restricted to the cells inside the study area, whose full rectangle covers at
 * most max_area_km2 and whose long side is at most max_aspect times its short side. With the
 * defaults (0.25 km2, aspect 2) that is at most a 500 m square (a 2 km beat, about 25 minutes
 * round at walking pace, no point more than ~350 m from the centre) or a 700 x 350 m block
 * along a high street. A window never snakes: every point of it is within one short walk of
 * every other, which grown-from-a-seed regions do not promise.
 *
 * Selection (lazy greedy, exact): every window shape is tried at every north-west anchor cell;
 * the best valid window overall is taken, where "best" is the total order
 *   more incidents; then fewer study-area cells (tighter, higher PAI); then the lower index of
 *   the north-west cell; then the shape with fewer cells, squarer, fewer rows.
 * Windows with no positive cell are never chosen, so fewer than `areas` areas come back when
 * the incidents run out. Window sums come from a summed-area table: exact for counts (integers
 * below 2^53); for fractional harm weights two windows whose sums differ only by rounding may
 * be ordered by the rounding (deterministically). Reported incidents are summed cell by cell
 * in index order.
 *
 * PAI (Chainey, Tompson & Uhlig 2008, "The utility of hotspot mapping for predicting spatial
 * patterns of crime", Security Journal 21(1-2)) = (incidents / all incidents of the group)
 * / (area / study area), the study area being the cells of the mask (all cells without one).
 *
 * No I/O. Results are byte-identical at any OpenMP thread count.
 */
#ifndef HS_ENGINE_PATROL_H
#define HS_ENGINE_PATROL_H

#include "engine/grid.h"
#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hs_patrol_params {
    size_t areas;        /* most areas to propose (job [patrol] areas); 0 = none */
    double max_area_km2; /* size cap of one area's full rectangle, km2, > 0 */
    double max_aspect;   /* longest side / shortest side of a window, >= 1 */
} hs_patrol_params;

/* One patrol area. Every field is 8 bytes wide so arrays of areas have no padding and can be
 * compared with memcmp. */
typedef struct hs_patrol_area {
    size_t rank;         /* 1 = most incidents (chosen first) */
    size_t row0;         /* northernmost row of the window */
    size_t col0;         /* westernmost column of the window */
    size_t nrows;        /* window height, cells */
    size_t ncols;        /* window width, cells */
    size_t cells_offset; /* index of this area's first cell in the caller's cells array */
    size_t ncells;       /* cells of the window inside the study area (listed in cells) */
    double incidents;    /* sum of the values of those cells */
    double share_pct;    /* 100 * incidents / the group's incidents in the study area */
    double area_km2;     /* ncells * cell area, km2 */
    double pai;          /* (incidents share) / (area share of the study area) */
} hs_patrol_area;

/* Group totals over the study area. */
typedef struct hs_patrol_totals {
    double incidents;      /* sum of values over the study area */
    size_t study_cells;    /* cells in the study area */
    double study_area_km2; /* study_cells * cell area, km2 */
} hs_patrol_totals;

/* Defaults of the job file: 10 areas, 0.25 km2, aspect 2. */
hs_patrol_params hs_patrol_params_default(void);

/* Cells one area may hold at most: floor(max_area_km2 / cell area), with a relative slack of
 * 1e-9 so that 0.25 km2 of 100 m cells is 25. 0 when the parameters are invalid. */
size_t hs_patrol_max_cells(const hs_grid *g, const hs_patrol_params *p);

/* Length the caller's cells array needs: p->areas * hs_patrol_max_cells(g, p). */
size_t hs_patrol_cells_capacity(const hs_grid *g, const hs_patrol_params *p);

/* Choose the patrol areas.
 * values: hs_grid_size(g) non-negative finite per-cell counts or harm weights (row 0 north);
 * mask: NULL (every cell in the study area) or one byte per cell, non-zero = in the study area;
 * values outside the study area are ignored (neither read for checks nor counted).
 * areas: room for p->areas entries; cells: room for hs_patrol_cells_capacity(g, p) cell
 * indices (row * nx + col), each area's in row-major order; *n_areas receives the count
 * (<= p->areas); areas follow each other in cells (area k+1 starts where area k ends);
 * totals may be NULL.
 * Fails with HS_EINVAL (bad parameters, a cap smaller than one cell, more than 2^32-1 cells),
 * HS_EDATA (a negative or non-finite value in the study area; err names the cell) or HS_ENOMEM.
 * Memory: about 48 bytes per cell (40 without a mask). Thread-safe (OpenMP inside); outputs are
 * untouched on failure except *n_areas = 0. */
hs_status hs_patrol_select(const hs_grid *g, const double *values, const unsigned char *mask,
                           const hs_patrol_params *p, hs_patrol_area *areas, size_t *cells,
                           size_t *n_areas, hs_patrol_totals *totals, hs_error *err);

/* Rank raster: rank_out (hs_grid_size(g) entries) gets each area's rank at its cells and 0
 * elsewhere, ready for GDALPolygonize. Thread-safe. */
void hs_patrol_label(const hs_grid *g, const hs_patrol_area *areas, size_t n_areas,
                     const size_t *cells, int32_t *rank_out);

/* Concentration curve: share_pct[i] = 100 * (incidents in the top_pct[i] % of study-area
 * cells with the most incidents) / (all incidents), the top k = ceil(top_pct[i] * N / 100)
 * cells of the N in the study area (at least 1), ranked by value (ties by cell index; they do
 * not change the share). 0 when the study area holds no incidents. top_pct values must lie in
 * (0, 100] (HS_EINVAL); bad values as in hs_patrol_select (HS_EDATA); HS_ENOMEM. */
hs_status hs_patrol_concentration(const hs_grid *g, const double *values, const unsigned char *mask,
                                  const double *top_pct, size_t n_pct, double *share_pct,
                                  hs_error *err);

#endif

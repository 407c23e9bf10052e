/* hotarea.h - hot areas of a density surface: threshold, connected groups of hot cells, and
 * what each holds (incidents, area, PAI).
 *
 * A cell is hot when its value is not nodata, is > 0 and is >= the threshold min_hot that
 * hs_hotarea_threshold derives from the non-zero cells: either "above mean + k standard
 * deviations" (the usual KDE hot-spot cut, Chainey 2014 / Eck et al. 2005 "Mapping Crime",
 * population standard deviation) or "the top N percent". Hot cells that share an edge
 * (4-connectivity, the connectivity GDALPolygonize uses by default) form one area; areas
 * are numbered 1..nlabels in raster order of their first (north-west-most) cell.
 * PAI, the Predictive Accuracy Index (Chainey, Tompson & Uhlig 2008):
 *   PAI = (incidents in the area / incidents in the study area)
 *       / (area of the area / area of the study area).
 * Pure computation, no I/O; everything here is serial and deterministic.
 */
#ifndef HS_ENGINE_HOTAREA_H
#define HS_ENGINE_HOTAREA_H

#include "engine/grid.h"
#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

typedef enum hs_hotarea_rule {
    HS_HOTAREA_MEAN_SD = 0, /* hot: value > mean + k sd of the non-zero cells (default) */
    HS_HOTAREA_TOP_PERCENT  /* hot: value >= the value of the ceil(N% * count)-th highest
                             * non-zero cell (ties at that value are all hot) */
} hs_hotarea_rule;

typedef struct hs_hotarea_params {
    hs_hotarea_rule rule;  /* which threshold; default HS_HOTAREA_MEAN_SD */
    double sd_multiplier;  /* k of mean + k sd, >= 0; default 2 */
    double top_percent;    /* N of the top N percent, in (0, 100]; default 5 */
} hs_hotarea_params;

/* One hot area. */
typedef struct hs_hotarea {
    int32_t label;     /* its value in the label raster, 1-based */
    size_t cells;      /* number of grid cells in it */
    double incidents;  /* sum of the weights (count without weights) of the points in it */
    double area_km2;   /* cells * cell_m^2 / 1e6 */
    double pai;        /* (incidents / study-area incidents) / (area_km2 / study area km2);
                        * 0 when the study area holds no incident */
} hs_hotarea;

/* Defaults as documented on each field. */
hs_hotarea_params hs_hotarea_params_default(void);

/* Short method text for the hotspot_areas layer: "mean+2sd" or "top5pct" (k and N printed
 * with %g). Writes at most n bytes into buf (always terminated when n > 0); returns buf. */
char *hs_hotarea_method(const hs_hotarea_params *p, char *buf, size_t n);

/* The threshold for n values (a density raster, nodata cells skipped): *min_hot is the least
 * value a hot cell has (a cell is hot iff v != nodata, v > 0 and v >= *min_hot); for
 * HS_HOTAREA_MEAN_SD it is the smallest float above mean + k sd. *n_nonzero (may be NULL)
 * gets the number of non-zero cells. With no non-zero cell, *min_hot = +infinity (no area).
 * HS_EINVAL for a bad rule, k or N; HS_EDATA for a NaN or negative value (naming the cell
 * index). Thread-safe. */
hs_status hs_hotarea_threshold(const hs_hotarea_params *p, const float *v, size_t n,
                               float nodata, float *min_hot, size_t *n_nonzero, hs_error *err);

/* Label the hot cells of grid g's raster v (hs_grid_size(g) values): labels (caller-allocated,
 * hs_grid_size(g) int32) gets 0 for cells that are not hot and 1..*nlabels for the areas.
 * HS_ENOMEM when scratch memory cannot be had (O(number of provisional labels)); HS_EDATA
 * when there would be more than INT32_MAX areas. Thread-safe. */
hs_status hs_hotarea_label(const hs_grid *g, const float *v, float nodata, float min_hot,
                           int32_t *labels, size_t *nlabels, hs_error *err);

/* Measure nlabels areas of a label raster (as hs_hotarea_label makes it) into areas[0..
 * nlabels-1] (caller-allocated; areas[i].label = i + 1). Points (x, y in metres, weights w or
 * NULL for 1) count where they fall (hs_grid_cell_of): in the study area when their cell is
 * in the mask (mask NULL: any cell of the grid), and in an area when their cell carries its
 * label. The study area's size is study_area_km2 when > 0, else the mask's cells (the whole
 * grid without a mask). HS_EDATA for a non-finite coordinate or a negative / non-finite
 * weight (naming the 0-based point index) or a label outside 0..nlabels. Thread-safe. */
hs_status hs_hotarea_measure(const hs_grid *g, const int32_t *labels, size_t nlabels,
                             const unsigned char *mask, const double *x, const double *y,
                             const double *w, size_t n, double study_area_km2,
                             hs_hotarea *areas, hs_error *err);

#endif

/* grid.c - aligned regular grids (see grid.h). Pure arithmetic, no I/O. */
#include "engine/grid.h"

#include <math.h>

hs_status hs_grid_aligned(double xmin, double ymin, double xmax, double ymax, double pad_m,
                          double cell_m, size_t max_cells, hs_grid *out, hs_error *err)
{
    if (!(cell_m > 0.0) || !isfinite(cell_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "cell size must be a positive number of metres, got %g", cell_m);
    if (!(pad_m >= 0.0) || !isfinite(pad_m))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "padding must be zero or a positive number of metres, got %g", pad_m);
    if (!isfinite(xmin) || !isfinite(ymin) || !isfinite(xmax) || !isfinite(ymax) || xmin > xmax ||
        ymin > ymax)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "extent must be finite with xmin <= xmax and ymin <= ymax, got "
                            "%g,%g,%g,%g",
                            xmin, ymin, xmax, ymax);
    if (max_cells == 0)
        max_cells = HS_GRID_MAX_CELLS_DEFAULT;
    /* West and north edges may sit on the extent (cells own their west and north edges);
     * east and south edges must lie strictly beyond it, so that every point of the padded
     * extent falls in a cell (see hs_grid_cell_of). */
    double x0 = floor((xmin - pad_m) / cell_m) * cell_m;
    double y1 = ceil((ymax + pad_m) / cell_m) * cell_m;
    double x1 = (floor((xmax + pad_m) / cell_m) + 1.0) * cell_m;
    double y0 = (ceil((ymin - pad_m) / cell_m) - 1.0) * cell_m;
    double fx = round((x1 - x0) / cell_m);
    double fy = round((y1 - y0) / cell_m);
    if (fx * fy > (double)max_cells)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0,
                            "a grid of %.0f x %.0f cells of %g m would exceed the limit of %zu "
                            "cells; use a larger cell size or a smaller extent",
                            fx, fy, cell_m, max_cells);
    out->xmin_m = x0;
    out->ymax_m = y1;
    out->cell_m = cell_m;
    out->nx = (size_t)fx;
    out->ny = (size_t)fy;
    return HS_OK;
}

size_t hs_grid_size(const hs_grid *g)
{
    return g->nx * g->ny;
}

double hs_grid_centre_x(const hs_grid *g, size_t col)
{
    return g->xmin_m + ((double)col + 0.5) * g->cell_m;
}

double hs_grid_centre_y(const hs_grid *g, size_t row)
{
    return g->ymax_m - ((double)row + 0.5) * g->cell_m;
}

int hs_grid_cell_of(const hs_grid *g, double x, double y, size_t *row, size_t *col)
{
    if (!isfinite(x) || !isfinite(y))
        return 0;
    double fc = floor((x - g->xmin_m) / g->cell_m);
    double fr = floor((g->ymax_m - y) / g->cell_m);
    /* A point on the north edge of row 0 has fr = 0 and belongs; exactly on the south edge
     * it would be row ny (outside). */
    if (fc < 0.0 || fr < 0.0 || fc >= (double)g->nx || fr >= (double)g->ny)
        return 0;
    *col = (size_t)fc;
    *row = (size_t)fr;
    return 1;
}

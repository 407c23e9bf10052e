/* grid.h - the regular raster / fishnet grid every per-cell stage shares (KDE, grid counts,
 * grid Gi*, patrol areas).
 *
 * Cells are square, cell_m metres wide, and their edges sit on multiples of cell_m in the
 * job CRS, so that grids of different runs and groups line up. Row 0 is the northernmost
 * row (GDAL's raster order); column 0 the westernmost. Cell index = row * nx + col.
 * No I/O here.
 */
#ifndef HS_ENGINE_GRID_H
#define HS_ENGINE_GRID_H

#include "engine/status.h"

#include <stddef.h>

typedef struct hs_grid {
    double xmin_m; /* west edge of column 0, a multiple of cell_m */
    double ymax_m; /* north edge of row 0, a multiple of cell_m */
    double cell_m; /* cell width and height, metres, > 0 */
    size_t nx;     /* number of columns */
    size_t ny;     /* number of rows */
} hs_grid;

/* Largest grid hs_grid_aligned accepts by default (cells): 400 million cells = 1.6 GB of
 * float. Callers with a memory budget pass their own limit. */
#define HS_GRID_MAX_CELLS_DEFAULT ((size_t)400000000)

/* Build the smallest aligned grid in which every point of [xmin,xmax] x [ymin,ymax], padded
 * by pad_m on every side, falls in a cell: edges are widened outwards to multiples of cell_m
 * (the east and south edges strictly beyond the extent, since cells do not own those edges).
 * A degenerate extent (one point) gets one cell. Fails with HS_EINVAL for cell_m <= 0, pad_m < 0,
 * non-finite or inverted bounds, and with HS_ENOMEM when nx * ny would exceed max_cells
 * (0 = HS_GRID_MAX_CELLS_DEFAULT). Thread-safe. */
hs_status hs_grid_aligned(double xmin, double ymin, double xmax, double ymax, double pad_m,
                          double cell_m, size_t max_cells, hs_grid *out, hs_error *err);

/* Number of cells (nx * ny). */
size_t hs_grid_size(const hs_grid *g);

/* Centre of cell (row, col), metres. */
double hs_grid_centre_x(const hs_grid *g, size_t col);
double hs_grid_centre_y(const hs_grid *g, size_t row);

/* Cell holding the point (x, y): returns 1 and sets *row and *col, or 0 when the point is
 * outside the grid or not finite. A point on an edge between cells goes to the cell east
 * of / south of that edge (floor of the offset from the west / north edge); points on the
 * grid's east or south outer edge are outside. */
int hs_grid_cell_of(const hs_grid *g, double x, double y, size_t *row, size_t *col);

#endif

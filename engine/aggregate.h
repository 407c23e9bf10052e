/* aggregate.h - incident counts per ward and per grid cell, per category group.
 *
 * Pure counting on arrays; integer counts, so the result never depends on the thread count.
 * Only rows given a unit (ward index >= 0, or a point inside the grid) are counted.
 */
#ifndef HS_ENGINE_AGGREGATE_H
#define HS_ENGINE_AGGREGATE_H

#include "engine/grid.h"
#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

/* Counts per ward: counts[w * (1 + ngroups) + 0] = all incidents in ward w,
 * counts[w * (1 + ngroups) + 1 + g] = incidents of group g (bit g of groups[i]).
 * ward[i] is the ward of row i, or -1 (not counted). counts has nwards * (1 + ngroups) slots
 * (caller-allocated; overwritten). groups may be NULL (no groups). ngroups <= 32.
 * Fails with HS_EINVAL for ngroups > 32 or a ward index >= nwards (names the row). */
hs_status hs_aggregate_wards(const int32_t *ward, const uint32_t *groups, size_t n,
                             size_t nwards, size_t ngroups, int64_t *counts, hs_error *err);

/* Counts per grid cell of the rows whose bit `group` is set in groups[i] (group < 0: every
 * row), using points (x[i], y[i]) and, when weight is not NULL, adding weight[i] instead
 * of 1. Rows with include[i] == 0 are skipped (include may be NULL). cells has
 * hs_grid_size(g) slots (overwritten). *outside receives the count of included rows that
 * fall outside the grid (may be NULL). Weighted sums are added in row order (deterministic). */
hs_status hs_aggregate_grid(const hs_grid *g, const double *x, const double *y,
                            const double *weight, const uint32_t *groups, int group,
                            const uint8_t *include, size_t n, double *cells, size_t *outside,
                            hs_error *err);

#endif

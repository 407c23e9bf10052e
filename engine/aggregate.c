/* aggregate.c - counts per ward and per grid cell (see aggregate.h). Serial: a single pass
 * over rows is memory-bound and already far cheaper than ingest; it keeps sums ordered. */
#include "engine/aggregate.h"

#include <string.h>

hs_status hs_aggregate_wards(const int32_t *ward, const uint32_t *groups, size_t n,
                             size_t nwards, size_t ngroups, int64_t *counts, hs_error *err)
{
    if (ngroups > 32)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "at most 32 groups, got %zu", ngroups);
    size_t stride = 1 + ngroups;
    memset(counts, 0, nwards * stride * sizeof *counts);
    for (size_t i = 0; i < n; i++) {
        if (ward[i] < 0)
            continue;
        if ((size_t)ward[i] >= nwards)
            return hs_error_set(err, HS_EINVAL, NULL, 0, (long)i + 1,
                                "ward index %d out of range (%zu wards)", ward[i], nwards);
        int64_t *c = counts + (size_t)ward[i] * stride;
        c[0]++;
        uint32_t gm = groups ? groups[i] : 0;
        for (size_t g = 0; g < ngroups; g++)
            if (gm & (UINT32_C(1) << g))
                c[1 + g]++;
    }
    return HS_OK;
}

hs_status hs_aggregate_grid(const hs_grid *g, const double *x, const double *y,
                            const double *weight, const uint32_t *groups, int group,
                            const uint8_t *include, size_t n, double *cells, size_t *outside,
                            hs_error *err)
{
    if (group >= 32)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "group index %d out of range", group);
    memset(cells, 0, hs_grid_size(g) * sizeof *cells);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (include && !include[i])
            continue;
        if (group >= 0 && !(groups && (groups[i] & (UINT32_C(1) << group))))
            continue;
        size_t r, c;
        if (!hs_grid_cell_of(g, x[i], y[i], &r, &c)) {
            out++;
            continue;
        }
        cells[r * g->nx + c] += weight ? weight[i] : 1.0;
    }
    if (outside)
        *outside = out;
    return HS_OK;
}

/* run_gistar.c - Getis-Ord Gi* stage of the job, per category group: over the wards (the
 * job's weights: queen/rook contiguity from GEOS, a distance band or k nearest neighbours on
 * the ward centroids) and over a fishnet of grid_cell metres with a circular distance band
 * (fixed, or chosen by incremental spatial autocorrelation), plus global Moran's I over the
 * wards.
 *
 * Inference: GiPValue is always the analytic two-sided normal p of z, GiQValue its
 * Benjamini-Hochberg q, and Gi_Bin comes from GiPValue (or GiQValue with fdr = yes), as in
 * ArcGIS Hot Spot Analysis. With permutations the engine's folded conditional-permutation
 * pseudo p is reported beside, as GiPseudoP (a distribution-free check). */
#include "cli/log.h"
#include "cli/run_ctx.h"
#include "engine/aggregate.h"
#include "engine/gistar.h"
#include "engine/moran.h"
#include "engine/weights.h"
#include "geo/contiguity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The job's ward weights (include self, binary). */
static hs_status ward_weights(const hs_run_ctx *ctx, hs_weights **w, hs_error *err)
{
    const hs_job *job = ctx->job;
    const hs_wards *wd = &ctx->w;
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    const char *spec = job->gistar_weights;
    if (strcasecmp(spec, "queen") == 0 || strcasecmp(spec, "rook") == 0) {
        hs_contiguity_params cp;
        hs_contiguity_params_default(&cp);
        cp.rule = strcasecmp(spec, "rook") == 0 ? HS_CONTIGUITY_ROOK : HS_CONTIGUITY_QUEEN;
        hs_contiguity_report rep;
        hs_status st = hs_contiguity_weights((const unsigned char *const *)wd->wkb,
                                             wd->wkb_size, wd->n, &cp, &wp, w, &rep, err);
        if (st == HS_OK && rep.n_islands)
            hs_log_warn("%zu ward(s) have no %s neighbour (first: %s): their Gi* is NULL",
                        rep.n_islands, spec, wd->code[rep.first_island]);
        return st;
    }
    if (strncasecmp(spec, "distance:", 9) == 0)
        return hs_weights_build_distance_band(wd->centroid_x, wd->centroid_y, wd->n,
                                              strtod(spec + 9, NULL), &wp, w, err);
    if (strncasecmp(spec, "knn:", 4) == 0)
        return hs_weights_build_knn(wd->centroid_x, wd->centroid_y, wd->n,
                                    (size_t)strtol(spec + 4, NULL, 10), &wp, w, err);
    return hs_error_set(err, HS_EINVAL, job->file, 0, 0, "[gistar] weights '%s'", spec);
}

static hs_status wards_gi(hs_run_ctx *ctx, size_t g, const hs_weights *w,
                          const hs_weights *w_moran, const hs_gistar_params *gp, hs_error *err)
{
    const hs_job *job = ctx->job;
    hs_group_result *r = &ctx->groups[g];
    size_t n = ctx->w.n;
    hs_gi_arrays *a = &r->ward_gi;
    hs_status st = hs_gi_arrays_alloc(a, n, gp->permutations > 0);
    r->ward_rate = malloc((n ? n : 1) * sizeof *r->ward_rate);
    if (st != HS_OK || r->ward_rate == NULL)
        return HS_ENOMEM;
    int have_pop = job->wards_population[0] != '\0';
    for (size_t k = 0; k < n; k++) {
        double c = (double)ctx->ward_counts[k * (1 + job->ngroups) + 1 + g];
        double pop = ctx->w.population[k];
        r->ward_rate[k] = (have_pop && pop > 0.0) ? 1000.0 * c / pop : (double)NAN;
        a->value[k] = c;
    }
    if (strcmp(job->gistar_value, "rate") == 0) {
        st = hs_gistar_rates_per_1000(a->value, ctx->w.population, n, a->value, err);
        if (st != HS_OK) {
            if (err && err->row > 0 && (size_t)err->row <= n)
                hs_error_prefix(err, "ward %s (population field %s)", ctx->w.code[err->row - 1],
                                job->wards_population);
            return st;
        }
    }
    hs_gistar_out out = hs_gi_engine_out(a);
    hs_gistar_summary sum;
    st = hs_gistar_compute(w, a->value, gp, &out, &sum, err);
    if (st == HS_OK)
        st = hs_gi_finish(a, job->fdr, err);
    if (st == HS_OK && sum.zero_variance)
        hs_log_warn("group %s: every ward has the same value: no hot or cold spots (z = 0)",
                    job->groups[g].name);
    hs_moran_result m;
    if (st == HS_OK)
        st = hs_moran_global(w_moran, a->value, HS_MORAN_RANDOMISATION, &m, err);
    if (st == HS_OK) {
        r->moran_I = m.I;
        r->moran_z = m.z;
        r->moran_p = m.p_two_sided;
    }
    return st;
}

static hs_status grid_gi(hs_run_ctx *ctx, size_t g, const hs_gistar_params *gp, hs_error *err)
{
    const hs_job *job = ctx->job;
    hs_group_result *r = &ctx->groups[g];
    const hs_grid *grid = &ctx->gi_grid;
    size_t cells = hs_grid_size(grid);
    hs_gi_arrays *a = &r->grid_gi;
    hs_status st = hs_gi_arrays_alloc(a, cells, gp->permutations > 0);
    uint8_t *include = malloc(ctx->t.n ? ctx->t.n : 1);
    if (st != HS_OK || include == NULL) {
        free(include);
        return HS_ENOMEM;
    }
    for (size_t i = 0; i < ctx->t.n; i++)
        include[i] = ctx->t.state[i] == HS_ROW_PLACED;
    st = hs_aggregate_grid(grid, ctx->t.x, ctx->t.y, NULL, ctx->t.groups, (int)g, include,
                           ctx->t.n, a->value, NULL, err);
    free(include);
    if (st != HS_OK)
        return st;
    r->grid_band_m = job->grid_band_m;
    if (r->grid_band_m == 0.0) {
        hs_gi_band_choice c;
        st = hs_gi_auto_band(grid, a->value, ctx->gi_mask, &c, err);
        if (st != HS_OK)
            return st;
        r->grid_band_m = c.bands[c.chosen].band_m;
        for (size_t b = 0; b < c.n; b++)
            hs_log_verbose("group %s: band %.0f m: Moran's I %.4f, z %.2f",
                           job->groups[g].name, c.bands[b].band_m, c.bands[b].moran.I,
                           c.bands[b].moran.z);
        hs_log_info("gistar: group %s: grid band auto = %.0f m (%s)", job->groups[g].name,
                    r->grid_band_m, hs_gi_band_reason(&c));
    }
    hs_gistar_out out = hs_gi_engine_out(a);
    st = hs_gistar_grid(grid, a->value, ctx->gi_mask, r->grid_band_m, gp, &out, NULL, err);
    if (st == HS_OK)
        st = hs_gi_finish(a, job->fdr, err);
    return st;
}

hs_status hs_stage_gistar(hs_run_ctx *ctx, hs_error *err)
{
    const hs_job *job = ctx->job;
    double t0 = hs_now();
    hs_gistar_params gp;
    hs_gistar_params_default(&gp);
    gp.permutations = (unsigned)job->permutations;
    gp.seed = job->seed;
    gp.correction = job->fdr ? HS_GISTAR_BIN_ON_FDR : HS_GISTAR_BIN_ON_P;
    hs_weights *w = NULL, *w_moran = NULL;
    hs_status st = HS_OK;
    if (ctx->w.n < 3) {
        hs_log_warn("Gi* needs at least 3 wards; the study area has %zu: ward Gi* skipped",
                    ctx->w.n);
    } else {
        st = ward_weights(ctx, &w, err);
        if (st == HS_OK) {
            /* Moran's I uses the same neighbours without the unit itself. */
            size_t n = hs_weights_n(w);
            const size_t *rp = hs_weights_row_ptr(w);
            const uint32_t *cols = hs_weights_cols(w);
            size_t *rp2 = malloc((n + 1) * sizeof *rp2);
            uint32_t *c2 = malloc((rp[n] ? rp[n] : 1) * sizeof *c2);
            if (rp2 == NULL || c2 == NULL)
                st = HS_ENOMEM;
            size_t k = 0;
            for (size_t i = 0; st == HS_OK && i < n; i++) {
                rp2[i] = k;
                for (size_t e = rp[i]; e < rp[i + 1]; e++)
                    if (cols[e] != i)
                        c2[k++] = cols[e];
            }
            if (st == HS_OK) {
                rp2[n] = k;
                hs_weights_params wp;
                hs_weights_params_default(&wp);
                wp.include_self = 0;
                st = hs_weights_from_neighbours(n, rp2, c2, &wp, &w_moran, err);
            }
            free(rp2);
            free(c2);
        }
        for (size_t g = 0; g < job->ngroups && st == HS_OK; g++)
            st = wards_gi(ctx, g, w, w_moran, &gp, err);
    }
    hs_weights_destroy(w);
    hs_weights_destroy(w_moran);
    if (st != HS_OK) {
        hs_error_prefix(err, "ward Gi*");
        return st;
    }
    double t1 = hs_now();
    const hs_wards *wd = &ctx->w;
    st = hs_grid_aligned(wd->xmin, wd->ymin, wd->xmax, wd->ymax, 0.0, job->grid_cell_m, 0,
                         &ctx->gi_grid, err);
    if (st == HS_OK)
        st = hs_study_mask(wd, &ctx->gi_grid, &ctx->gi_mask, err);
    hs_gistar_params gpg = gp;
    gpg.permutations = (unsigned)job->grid_permutations;
    for (size_t g = 0; g < job->ngroups && st == HS_OK; g++)
        st = grid_gi(ctx, g, &gpg, err);
    if (st != HS_OK) {
        hs_error_prefix(err, "grid Gi* (%g m cells)", job->grid_cell_m);
        return st;
    }
    hs_run_info *ri = &ctx->info;
    for (size_t g = 0; g < job->ngroups; g++) {
        const hs_group_result *r = &ctx->groups[g];
        const char *name = job->groups[g].name;
        char key[160];
        size_t ward_hot, ward_cold, grid_hot, grid_cold;
        hs_gi_count(&r->ward_gi, job->alpha, job->fdr, &ward_hot, &ward_cold);
        hs_gi_count(&r->grid_gi, job->alpha, job->fdr, &grid_hot, &grid_cold);
        snprintf(key, sizeof key, "gistar.%s.wards_hot_cold", name);
        hs_run_info_add(ri, key, "%zu hot, %zu cold of %zu wards at alpha %g (%s)", ward_hot,
                        ward_cold, r->ward_gi.n, job->alpha, job->fdr ? "FDR q" : "p");
        snprintf(key, sizeof key, "moran.%s.wards", name);
        hs_run_info_add(ri, key, "I = %.6f, z = %.4f, p = %.6g (randomisation)", r->moran_I,
                        r->moran_z, r->moran_p);
        snprintf(key, sizeof key, "gistar.%s.grid_band_m", name);
        hs_run_info_add(ri, key, "%.1f", r->grid_band_m);
        snprintf(key, sizeof key, "gistar.%s.grid_hot_cold", name);
        hs_run_info_add(ri, key, "%zu hot, %zu cold cells at alpha %g (%s)", grid_hot,
                        grid_cold, job->alpha, job->fdr ? "FDR q" : "p");
        hs_log_info("gistar: group %s: %zu hot wards (Moran's I %.3f, z %.2f); grid band %.0f "
                    "m: %zu hot cells (alpha %g)",
                    name, ward_hot, r->moran_I, r->moran_z, r->grid_band_m, grid_hot,
                    job->alpha);
    }
    hs_run_info_add(ri, "time.gistar_wards_s", "%.3f", t1 - t0);
    hs_run_info_add(ri, "time.gistar_grid_s", "%.3f", hs_now() - t1);
    hs_log_info("gistar: wards (%d permutations) and a %zu x %zu grid of %g m cells (%d "
                "permutations), in %.2f s",
                job->permutations, ctx->gi_grid.nx, ctx->gi_grid.ny, job->grid_cell_m,
                job->grid_permutations, hs_now() - t0);
    return HS_OK;
}

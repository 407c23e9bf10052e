/* run_surfaces.c - the surface stages of the job, per category group: kernel density
 * (engine/kde) on a grid over the study area, hot areas drawn from it (engine/hotarea,
 * polygonised by GDAL), and patrol areas on a coarser grid (engine/patrol). */
#include "cli/log.h"
#include "cli/run_ctx.h"
#include "engine/aggregate.h"
#include "engine/kde.h"
#include "geo/raster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The group's placed incidents as arrays (caller frees x; y and w live in the same block). */
static hs_status group_points(const hs_incidents *t, size_t g, double **x, double **y, double **w,
                              size_t *n)
{
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        m += t->state[i] == HS_ROW_PLACED && (t->groups[i] & (UINT32_C(1) << g));
    double *block = malloc(3 * (m ? m : 1) * sizeof *block);
    if (block == NULL)
        return HS_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] != HS_ROW_PLACED || !(t->groups[i] & (UINT32_C(1) << g)))
            continue;
        block[k] = t->x[i];
        block[m + k] = t->y[i];
        block[2 * m + k] = t->weight[i];
        k++;
    }
    *x = block;
    *y = block + m;
    *w = block + 2 * m;
    *n = m;
    return HS_OK;
}

/* mask[c] = 1 when the centre of cell c lies in a ward. */
hs_status hs_study_mask(const hs_wards *w, const hs_grid *g, unsigned char **mask, hs_error *err)
{
    size_t n = hs_grid_size(g);
    double *cx = malloc(n * sizeof *cx), *cy = malloc(n * sizeof *cy);
    int32_t *ward = malloc(n * sizeof *ward);
    unsigned char *m = malloc(n);
    hs_status st = (cx && cy && ward && m) ? HS_OK : HS_ENOMEM;
    if (st == HS_OK) {
        for (size_t r = 0; r < g->ny; r++)
            for (size_t c = 0; c < g->nx; c++) {
                cx[r * g->nx + c] = hs_grid_centre_x(g, c);
                cy[r * g->nx + c] = hs_grid_centre_y(g, r);
            }
        st = hs_wards_assign(w, cx, cy, n, ward, err);
    }
    if (st == HS_OK)
        for (size_t i = 0; i < n; i++)
            m[i] = ward[i] >= 0;
    free(cx);
    free(cy);
    free(ward);
    if (st != HS_OK) {
        free(m);
        return st;
    }
    *mask = m;
    return HS_OK;
}

static hs_status parse_threshold(const char *spec, hs_hotarea_params *hp)
{
    *hp = hs_hotarea_params_default();
    if (strncasecmp(spec, "sd:", 3) == 0) {
        hp->rule = HS_HOTAREA_MEAN_SD;
        hp->sd_multiplier = strtod(spec + 3, NULL);
    } else if (strncasecmp(spec, "top:", 4) == 0) {
        hp->rule = HS_HOTAREA_TOP_PERCENT;
        hp->top_percent = strtod(spec + 4, NULL);
    } else {
        return HS_EINVAL;
    }
    return HS_OK;
}

static hs_status kde_params(const hs_job *job, hs_kde_params *p, hs_error *err)
{
    *p = hs_kde_params_default();
    hs_status st = hs_kde_kernel_parse(job->kde_kernel, &p->kernel, err);
    if (st == HS_OK)
        st = hs_kde_scale_parse(job->kde_scale, &p->scale, err);
    p->edge_correction = job->kde_edge_correction;
    return st;
}

/* KDE and hot areas of group g. */
static hs_status surface_of_group(hs_run_ctx *ctx, size_t g, const hs_kde_params *base,
                                  const hs_hotarea_params *hp, hs_error *err)
{
    const hs_job *job = ctx->job;
    hs_group_result *r = &ctx->groups[g];
    double *x, *y, *w;
    size_t n;
    hs_status st = group_points(&ctx->t, g, &x, &y, &w, &n);
    if (st != HS_OK)
        return st;
    size_t cells = hs_grid_size(&ctx->kde_grid);
    int32_t *labels = NULL;
    r->kde = malloc(cells * sizeof *r->kde);
    if (r->kde == NULL) {
        st = HS_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        r->incidents += w[i];
    if (n == 0) {
        /* Nothing to smooth: an all-zero surface (nodata outside the study area). */
        for (size_t c = 0; c < cells; c++)
            r->kde[c] = (job->kde_mask && !ctx->kde_mask[c]) ? HS_KDE_NODATA : 0.0f;
        hs_log_warn("group %s has no placed incidents: its surface is empty", job->groups[g].name);
        goto done;
    }
    hs_kde_params p = *base;
    p.radius_m = r->radius_m;
    st = hs_kde_compute(&p, &ctx->kde_grid, x, y, w, n, job->kde_mask ? ctx->kde_mask : NULL,
                        r->kde, err);
    if (st != HS_OK) {
        hs_error_prefix(err, "kernel density of group %s", job->groups[g].name);
        goto done;
    }
    r->kde_min = INFINITY;
    r->kde_max = -INFINITY;
    for (size_t c = 0; c < cells; c++) {
        if (!ctx->kde_mask[c] || r->kde[c] == HS_KDE_NODATA)
            continue;
        r->kde_min = fmin(r->kde_min, (double)r->kde[c]);
        r->kde_max = fmax(r->kde_max, (double)r->kde[c]);
    }
    if (!isfinite(r->kde_min))
        r->kde_min = r->kde_max = 0.0;
    /* Maps stretch to the 99th percentile of the non-zero cells, not the maximum: a few
     * stacked police.uk snap points make peaks that would leave the rest of the surface
     * invisible. */
    hs_hotarea_params top1 = hs_hotarea_params_default();
    top1.rule = HS_HOTAREA_TOP_PERCENT;
    top1.top_percent = 1.0;
    float p99;
    if (hs_hotarea_threshold(&top1, r->kde, cells, HS_KDE_NODATA, &p99, NULL, NULL) == HS_OK &&
        isfinite(p99) && p99 > 0.0f)
        r->kde_display_max = (double)p99;
    else
        r->kde_display_max = r->kde_max;
    /* Hot areas. */
    float min_hot;
    size_t nonzero;
    st = hs_hotarea_threshold(hp, r->kde, cells, HS_KDE_NODATA, &min_hot, &nonzero, err);
    labels = st == HS_OK ? malloc(cells * sizeof *labels) : NULL;
    if (st == HS_OK && labels == NULL)
        st = HS_ENOMEM;
    size_t nl = 0;
    if (st == HS_OK)
        st = hs_hotarea_label(&ctx->kde_grid, r->kde, HS_KDE_NODATA, min_hot, labels, &nl, err);
    if (st == HS_OK && nl > 0) {
        r->areas = calloc(nl, sizeof *r->areas);
        r->area_wkb = calloc(nl, sizeof *r->area_wkb);
        r->area_wkb_size = calloc(nl, sizeof *r->area_wkb_size);
        if (!r->areas || !r->area_wkb || !r->area_wkb_size)
            st = HS_ENOMEM;
        if (st == HS_OK)
            st = hs_hotarea_measure(&ctx->kde_grid, labels, nl, ctx->kde_mask, x, y, w, n,
                                    ctx->study_area_km2, r->areas, err);
        if (st == HS_OK)
            st = hs_raster_polygonize_labels(&ctx->kde_grid, labels, nl, r->area_wkb,
                                             r->area_wkb_size, err);
        if (st == HS_OK)
            r->nareas = nl;
    }
    hs_hotarea_method(hp, r->method, sizeof r->method);
done:
    free(labels);
    free(x);
    return st;
}

/* Patrol areas and the concentration curve of group g. */
static hs_status patrol_of_group(hs_run_ctx *ctx, size_t g, hs_error *err)
{
    const hs_job *job = ctx->job;
    hs_group_result *r = &ctx->groups[g];
    const hs_grid *pg = &ctx->patrol_grid;
    size_t cells = hs_grid_size(pg);
    hs_patrol_params pp = hs_patrol_params_default();
    pp.areas = (size_t)job->patrol_areas;
    pp.max_area_km2 = job->patrol_max_area_km2;
    double *values = malloc(cells * sizeof *values);
    uint8_t *include = malloc(ctx->t.n ? ctx->t.n : 1);
    size_t cap = hs_patrol_cells_capacity(pg, &pp);
    size_t *cell_list = malloc((cap ? cap : 1) * sizeof *cell_list);
    int32_t *rank = malloc(cells * sizeof *rank);
    hs_status st = (values && include && cell_list && rank) ? HS_OK : HS_ENOMEM;
    if (st == HS_OK) {
        for (size_t i = 0; i < ctx->t.n; i++)
            include[i] = ctx->t.state[i] == HS_ROW_PLACED;
        st = hs_aggregate_grid(pg, ctx->t.x, ctx->t.y, ctx->t.weight, ctx->t.groups, (int)g,
                               include, ctx->t.n, values, NULL, err);
    }
    if (st == HS_OK) {
        const double top[3] = {1.0, 5.0, 10.0};
        st = hs_patrol_concentration(pg, values, ctx->patrol_mask, top, 3, r->concentration, err);
    }
    size_t na = 0;
    if (st == HS_OK && pp.areas > 0) {
        r->patrol = calloc(pp.areas, sizeof *r->patrol);
        if (r->patrol == NULL)
            st = HS_ENOMEM;
        if (st == HS_OK)
            st = hs_patrol_select(pg, values, ctx->patrol_mask, &pp, r->patrol, cell_list, &na,
                                  NULL, err);
    }
    if (st == HS_OK && na > 0) {
        hs_patrol_label(pg, r->patrol, na, cell_list, rank);
        r->patrol_wkb = calloc(na, sizeof *r->patrol_wkb);
        r->patrol_wkb_size = calloc(na, sizeof *r->patrol_wkb_size);
        if (!r->patrol_wkb || !r->patrol_wkb_size)
            st = HS_ENOMEM;
        if (st == HS_OK)
            st = hs_raster_polygonize_labels(pg, rank, na, r->patrol_wkb, r->patrol_wkb_size, err);
        if (st == HS_OK)
            r->npatrol = na;
    }
    if (st != HS_OK)
        hs_error_prefix(err, "patrol areas of group %s", job->groups[g].name);
    free(values);
    free(include);
    free(cell_list);
    free(rank);
    return st;
}

hs_status hs_stage_surfaces(hs_run_ctx *ctx, hs_error *err)
{
    const hs_job *job = ctx->job;
    hs_run_info *ri = &ctx->info;
    double t0 = hs_now();
    hs_kde_params base;
    hs_hotarea_params hp;
    hs_status st = kde_params(job, &base, err);
    if (st != HS_OK)
        return st;
    if (parse_threshold(job->kde_hot_threshold, &hp) != HS_OK)
        return hs_error_set(err, HS_EINVAL, job->file, 0, 0, "[kde] hot_threshold '%s'",
                            job->kde_hot_threshold);
    /* Bandwidth per group: the job's, or ArcGIS's default rule on the group's points. */
    double pad = 0.0;
    for (size_t g = 0; g < job->ngroups && st == HS_OK; g++) {
        hs_group_result *r = &ctx->groups[g];
        r->radius_m = job->kde_radius_m;
        if (r->radius_m == 0.0) {
            double *x, *y, *w;
            size_t n;
            st = group_points(&ctx->t, g, &x, &y, &w, &n);
            if (st != HS_OK)
                return st;
            if (n >= 2)
                st = hs_kde_auto_radius(x, y, w, n, &r->radius_m, err);
            if (n < 2 || (st == HS_OK && !(r->radius_m > 0.0))) {
                r->radius_m = 250.0;
                hs_log_warn("group %s: too few distinct points for radius = auto; using %g m",
                            job->groups[g].name, r->radius_m);
            }
            free(x);
            if (st == HS_OK)
                hs_log_info("kde: group %s: radius auto = %.1f m (ArcGIS default-bandwidth "
                            "rule)",
                            job->groups[g].name, r->radius_m);
        }
        char key[128];
        snprintf(key, sizeof key, "kde.%s.radius_m", job->groups[g].name);
        hs_run_info_add(ri, key, "%.3f", r->radius_m);
        pad = fmax(pad, hs_kde_support(base.kernel) * r->radius_m);
    }
    if (st != HS_OK)
        return st;
    const hs_wards *w = &ctx->w;
    st = hs_grid_aligned(w->xmin, w->ymin, w->xmax, w->ymax, pad, job->kde_cell_m, 0,
                         &ctx->kde_grid, err);
    if (st == HS_OK)
        st = hs_study_mask(w, &ctx->kde_grid, &ctx->kde_mask, err);
    if (st != HS_OK) {
        hs_error_prefix(err, "KDE grid of %g m cells over the wards", job->kde_cell_m);
        return st;
    }
    for (size_t g = 0; g < job->ngroups && st == HS_OK; g++)
        st = surface_of_group(ctx, g, &base, &hp, err);
    if (st != HS_OK)
        return st;
    double t1 = hs_now();
    hs_log_info("kde: %zu surfaces of %zu x %zu cells of %g m, hot areas by %s, in %.2f s",
                job->ngroups, ctx->kde_grid.nx, ctx->kde_grid.ny, job->kde_cell_m,
                job->ngroups ? ctx->groups[0].method : job->kde_hot_threshold, t1 - t0);
    hs_run_info_add(ri, "time.kde_s", "%.3f", t1 - t0);

    st = hs_grid_aligned(w->xmin, w->ymin, w->xmax, w->ymax, 0.0, job->patrol_cell_m, 0,
                         &ctx->patrol_grid, err);
    if (st == HS_OK)
        st = hs_study_mask(w, &ctx->patrol_grid, &ctx->patrol_mask, err);
    for (size_t g = 0; g < job->ngroups && st == HS_OK; g++) {
        st = patrol_of_group(ctx, g, err);
        if (st != HS_OK)
            break;
        const hs_group_result *r = &ctx->groups[g];
        char key[128];
        static const char *const names[3] = {"top1pct", "top5pct", "top10pct"};
        for (int k = 0; k < 3; k++) {
            snprintf(key, sizeof key, "concentration.%s.%s_cells_share_pct", job->groups[g].name,
                     names[k]);
            hs_run_info_add(ri, key, "%.2f", r->concentration[k]);
        }
    }
    if (st == HS_OK) {
        hs_log_info("patrol: up to %d areas of <= %g km2 per group from %g m cells, in %.2f s",
                    job->patrol_areas, job->patrol_max_area_km2, job->patrol_cell_m, hs_now() - t1);
        hs_run_info_add(ri, "time.patrol_s", "%.3f", hs_now() - t1);
    }
    return st;
}

void hs_group_results_free(hs_run_ctx *ctx)
{
    for (size_t g = 0; g < HS_JOB_MAX_GROUPS; g++) {
        hs_group_result *r = &ctx->groups[g];
        free(r->kde);
        hs_raster_wkb_free(r->area_wkb, r->nareas);
        free(r->area_wkb);
        free(r->area_wkb_size);
        free(r->areas);
        hs_raster_wkb_free(r->patrol_wkb, r->npatrol);
        free(r->patrol_wkb);
        free(r->patrol_wkb_size);
        free(r->patrol);
        hs_gi_arrays_free(&r->ward_gi);
        hs_gi_arrays_free(&r->grid_gi);
        free(r->ward_rate);
        memset(r, 0, sizeof *r);
    }
}

/* run_output.c - the job's GeoPackage: every layer of DESIGN.md written through geo/gpkg
 * (atomic: temporary file, renamed when complete), each with its default QGIS style in
 * layer_styles, the QGIS project stored inside, the KDE rasters appended, then the .qgs
 * beside it. */
#include "cli/datadir.h"
#include "cli/log.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "cli/run_ctx.h"
#include "engine/kde.h"
#include "geo/gpkg.h"
#include "geo/qgis_project.h"
#include "geo/raster.h"
#include "geo/report.h"
#include "geo/styles.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Styles and project entries collected while writing. */
typedef struct styled_layers {
    hs_qgis_layer layers[8 + 3 * HS_JOB_MAX_GROUPS]; /* for the project */
    char *qml[8 + 3 * HS_JOB_MAX_GROUPS];            /* owned style documents */
    char names[8 + 3 * HS_JOB_MAX_GROUPS][96];       /* owned layer names */
    size_t n;                                        /* count */
} styled_layers;

static void styled_free(styled_layers *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->qml[i]);
}

/* Make the layer's style, store it as its default (vector layers) and remember it for the
 * project. */
static hs_status style_layer(hs_gpkg *gp, styled_layers *s, const hs_style_info *info,
                             hs_qgis_kind kind, int hidden, hs_error *err)
{
    if (s->n == sizeof s->layers / sizeof s->layers[0])
        return hs_error_set(err, HS_EINTERNAL, NULL, 0, 0, "too many layers to style");
    char *qml = NULL;
    hs_status st = hs_style_qml(hs_data_dir(), info, &qml, err);
    if (st == HS_OK && qml && kind == HS_QGIS_VECTOR)
        st = hs_style_write_default(hs_gpkg_dataset(gp), info->layer, qml, err);
    if (st != HS_OK) {
        free(qml);
        return st;
    }
    size_t k = s->n++;
    snprintf(s->names[k], sizeof s->names[k], "%s", info->layer);
    s->qml[k] = qml;
    s->layers[k] = (hs_qgis_layer){.name = s->names[k], .kind = kind, .qml = qml, .hidden = hidden};
    return HS_OK;
}

static hs_status write_hotspot_areas(hs_gpkg *gp, const hs_run_ctx *ctx, hs_error *err)
{
    static const hs_field_def fields[] = {
        {"group_name", HS_FIELD_STRING, "Category group"},
        {"method", HS_FIELD_STRING, "Threshold on the KDE surface"},
        {"incidents", HS_FIELD_REAL, "Incidents (or harm weight) inside"},
        {"area_km2", HS_FIELD_REAL, "Area, km2"},
        {"pai", HS_FIELD_REAL, "Predictive accuracy index: incident share / area share"},
    };
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(gp, "hotspot_areas", HS_GEOM_POLYGON,
                                        "Hot areas: KDE cells above the threshold, dissolved",
                                        fields, 5, &l, err);
    for (size_t g = 0; g < ctx->job->ngroups && st == HS_OK; g++) {
        const hs_group_result *r = &ctx->groups[g];
        for (size_t a = 0; a < r->nareas && st == HS_OK; a++) {
            hs_value v[5] = {{.s = ctx->job->groups[g].name},
                             {.s = r->method},
                             {.d = r->areas[a].incidents},
                             {.d = r->areas[a].area_km2},
                             {.d = r->areas[a].pai}};
            st = hs_gpkg_layer_add(l, v, 0, 0, r->area_wkb[a], r->area_wkb_size[a], err);
        }
    }
    return st == HS_OK ? hs_gpkg_layer_finish(l, err) : st;
}

static hs_status write_patrol_areas(hs_gpkg *gp, const hs_run_ctx *ctx, hs_error *err)
{
    static const hs_field_def fields[] = {
        {"group_name", HS_FIELD_STRING, "Category group"},
        {"rank", HS_FIELD_INT, "1 = captures the most incidents"},
        {"incidents", HS_FIELD_REAL, "Incidents (or harm weight) inside"},
        {"share_pct", HS_FIELD_REAL, "Share of the group's incidents, percent"},
        {"area_km2", HS_FIELD_REAL, "Area, km2"},
        {"pai", HS_FIELD_REAL, "Predictive accuracy index: incident share / area share"},
    };
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(gp, "patrol_areas", HS_GEOM_POLYGON,
                                        "Ranked patrol areas per group", fields, 6, &l, err);
    for (size_t g = 0; g < ctx->job->ngroups && st == HS_OK; g++) {
        const hs_group_result *r = &ctx->groups[g];
        for (size_t a = 0; a < r->npatrol && st == HS_OK; a++) {
            const hs_patrol_area *p = &r->patrol[a];
            hs_value v[6] = {{.s = ctx->job->groups[g].name},
                             {.i = (int64_t)p->rank},
                             {.d = p->incidents},
                             {.d = p->share_pct},
                             {.d = p->area_km2},
                             {.d = p->pai}};
            st = hs_gpkg_layer_add(l, v, 0, 0, r->patrol_wkb[a], r->patrol_wkb_size[a], err);
        }
    }
    return st == HS_OK ? hs_gpkg_layer_finish(l, err) : st;
}

static hs_status write_wards_gi(hs_gpkg *gp, const hs_run_ctx *ctx, size_t g, const char *name,
                                hs_error *err)
{
    enum { NF = 4 + HS_GI_NFIELDS };
    hs_field_def fields[NF] = {
        {"ward_code", HS_FIELD_STRING, "Ward code"},
        {"ward_name", HS_FIELD_STRING, "Ward name"},
        {"n", HS_FIELD_INT, "Incidents of the group in the ward"},
        {"rate_per_1000", HS_FIELD_REAL, "Incidents per 1,000 residents"}};
    memcpy(fields + 4, hs_gi_fields, sizeof hs_gi_fields);
    const hs_group_result *r = &ctx->groups[g];
    char desc[256];
    snprintf(desc, sizeof desc, "Getis-Ord Gi* of %s over wards (%s weights, %s)",
             ctx->job->groups[g].name, ctx->job->gistar_weights, ctx->job->gistar_value);
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(gp, name, HS_GEOM_POLYGON, desc, fields, NF, &l, err);
    for (size_t k = 0; k < ctx->w.n && st == HS_OK; k++) {
        hs_value v[NF];
        v[0] = (hs_value){.s = ctx->w.code[k]};
        v[1] = (hs_value){.s = ctx->w.name[k]};
        v[2] = (hs_value){.i = ctx->ward_counts[k * (1 + ctx->job->ngroups) + 1 + g]};
        v[3] = (hs_value){.d = r->ward_rate ? r->ward_rate[k] : 0.0,
                          .is_null = !r->ward_rate || isnan(r->ward_rate[k])};
        if (r->ward_gi.n == ctx->w.n) {
            hs_gi_values(&r->ward_gi, k, v + 4);
        } else {
            for (size_t f = 4; f < NF; f++)
                v[f] = (hs_value){.is_null = 1};
        }
        st = hs_gpkg_layer_add(l, v, 0, 0, ctx->w.wkb[k], ctx->w.wkb_size[k], err);
    }
    return st == HS_OK ? hs_gpkg_layer_finish(l, err) : st;
}

static hs_status write_grid_gi(hs_gpkg *gp, const hs_run_ctx *ctx, size_t g, const char *name,
                               hs_error *err)
{
    enum { NF = 2 + HS_GI_NFIELDS };
    hs_field_def fields[NF] = {
        {"cell_id", HS_FIELD_INT, "Cell index: row * columns + column, row 0 north"},
        {"n", HS_FIELD_INT, "Incidents of the group in the cell"}};
    memcpy(fields + 2, hs_gi_fields, sizeof hs_gi_fields);
    const hs_group_result *r = &ctx->groups[g];
    const hs_grid *grid = &ctx->gi_grid;
    char desc[256];
    snprintf(desc, sizeof desc,
             "Getis-Ord Gi* of %s over %g m cells, distance band %g m (cells in the study area)",
             ctx->job->groups[g].name, grid->cell_m, r->grid_band_m);
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(gp, name, HS_GEOM_POLYGON, desc, fields, NF, &l, err);
    unsigned char wkb[HS_CELL_WKB_SIZE];
    for (size_t row = 0; row < grid->ny && st == HS_OK; row++) {
        for (size_t col = 0; col < grid->nx && st == HS_OK; col++) {
            size_t c = row * grid->nx + col;
            if (!ctx->gi_mask[c])
                continue;
            hs_value v[NF];
            v[0] = (hs_value){.i = (int64_t)c};
            v[1] = (hs_value){.i = (int64_t)r->grid_gi.value[c]};
            hs_gi_values(&r->grid_gi, c, v + 2);
            hs_grid_cell_wkb(grid, row, col, wkb);
            st = hs_gpkg_layer_add(l, v, 0, 0, wkb, sizeof wkb, err);
        }
    }
    return st == HS_OK ? hs_gpkg_layer_finish(l, err) : st;
}

static void write_progress(void *user, size_t n)
{
    hs_progress *p = user;
    hs_progress_add(p, n);
    hs_progress_draw(p);
}

hs_status hs_stage_output(hs_run_ctx *ctx, hs_error *err)
{
    const hs_job *job = ctx->job;
    double t0 = hs_now();
    const char *names[HS_JOB_MAX_GROUPS];
    for (size_t g = 0; g < job->ngroups; g++)
        names[g] = job->groups[g].name;
    styled_layers styled;
    memset(&styled, 0, sizeof styled);
    char *project = NULL;
    hs_gpkg *gp;
    hs_status st = hs_gpkg_create(job->output, job->crs, &gp, err);
    if (st != HS_OK)
        return st;
    /* Progress in features: incidents, failures and the grid cells dominate. */
    size_t features = ctx->t.n;
    for (size_t c = 0; c < hs_grid_size(&ctx->gi_grid); c++)
        features += job->ngroups * (ctx->gi_mask[c] != 0);
    hs_progress prog;
    hs_progress_begin(&prog, "write", features);
    hs_gpkg_set_progress(gp, write_progress, &prog);
    /* Vector layers, each with its default style. */
    st = hs_gpkg_write_incidents(gp, &ctx->t, &ctx->w, names, job->ngroups, err);
    if (st == HS_OK)
        st = style_layer(
            gp, &styled,
            &(hs_style_info){.layer = "incidents", .groups = names, .n_groups = job->ngroups},
            HS_QGIS_VECTOR, 1, err);
    if (st == HS_OK)
        st = hs_gpkg_write_wards(gp, &ctx->w, ctx->ward_counts, names, job->ngroups, err);
    if (st == HS_OK) {
        int64_t max = 0;
        for (size_t k = 0; k < ctx->w.n; k++)
            if (ctx->ward_counts[k * (1 + job->ngroups)] > max)
                max = ctx->ward_counts[k * (1 + job->ngroups)];
        st = style_layer(gp, &styled, &(hs_style_info){.layer = "wards", .max_count = (double)max},
                         HS_QGIS_VECTOR, job->ngroups > 0, err);
    }
    for (size_t g = 0; g < job->ngroups && st == HS_OK; g++) {
        char layer[96];
        snprintf(layer, sizeof layer, "wards_%s", names[g]);
        st = write_wards_gi(gp, ctx, g, layer, err);
        if (st == HS_OK)
            st = style_layer(gp, &styled, &(hs_style_info){.layer = layer}, HS_QGIS_VECTOR, g > 0,
                             err);
        snprintf(layer, sizeof layer, "grid_%s", names[g]);
        if (st == HS_OK)
            st = write_grid_gi(gp, ctx, g, layer, err);
        if (st == HS_OK)
            st = style_layer(gp, &styled, &(hs_style_info){.layer = layer}, HS_QGIS_VECTOR, 1, err);
    }
    if (st == HS_OK)
        st = write_hotspot_areas(gp, ctx, err);
    if (st == HS_OK)
        st = style_layer(gp, &styled, &(hs_style_info){.layer = "hotspot_areas"}, HS_QGIS_VECTOR, 0,
                         err);
    if (st == HS_OK)
        st = write_patrol_areas(gp, ctx, err);
    if (st == HS_OK)
        st = style_layer(gp, &styled, &(hs_style_info){.layer = "patrol_areas"}, HS_QGIS_VECTOR, 0,
                         err);
    if (st == HS_OK)
        st = hs_gpkg_write_failures(gp, &ctx->t, err);
    if (st == HS_OK)
        st = style_layer(gp, &styled, &(hs_style_info){.layer = "geocode_failures"}, HS_QGIS_VECTOR,
                         0, err);
    /* Raster styles live only in the project (QGIS 3.22 ignores them in layer_styles). */
    char kde_names[HS_JOB_MAX_GROUPS][96];
    for (size_t g = 0; g < job->ngroups && st == HS_OK; g++) {
        snprintf(kde_names[g], sizeof kde_names[g], "kde_%s", names[g]);
        st = style_layer(gp, &styled,
                         &(hs_style_info){.layer = kde_names[g],
                                          .min = ctx->groups[g].kde_min,
                                          .max = ctx->groups[g].kde_display_max},
                         HS_QGIS_RASTER, g > 0, err);
    }
    if (st == HS_OK)
        st = hs_gpkg_write_run_info(gp, (const char *const *)ctx->info.keys,
                                    (const char *const *)ctx->info.values, ctx->info.n, err);
    if (st == HS_OK)
        st =
            style_layer(gp, &styled, &(hs_style_info){.layer = "run_info"}, HS_QGIS_VECTOR, 0, err);
    /* The project, stored inside (it names the rasters added below). */
    char title[256];
    snprintf(title, sizeof title, "hotspot: %s", job->name);
    const char *slash = strrchr(job->output, '/');
    const char *gpkg_name = slash ? slash + 1 : job->output;
    char project_name[256];
    snprintf(project_name, sizeof project_name, "%.*s",
             (int)(strrchr(gpkg_name, '.') ? strrchr(gpkg_name, '.') - gpkg_name
                                           : (long)strlen(gpkg_name)),
             gpkg_name);
    if (st == HS_OK)
        st =
            hs_qgis_project_xml(gpkg_name, job->crs, title, styled.layers, styled.n, &project, err);
    if (st == HS_OK)
        st = hs_qgis_project_store(hs_gpkg_dataset(gp), project_name, project, err);
    if (st == HS_OK)
        st = hs_gpkg_close_dataset(gp, err);
    /* Rasters go in by path once the vector dataset is closed. */
    for (size_t g = 0; g < job->ngroups && st == HS_OK; g++) {
        char desc[256];
        snprintf(desc, sizeof desc, "Kernel density of %s, %s kernel, r = %.0f m, %s", names[g],
                 job->kde_kernel, ctx->groups[g].radius_m,
                 strcmp(job->kde_scale, "raw") == 0 ? "raw sum" : "incidents per km2");
        st = hs_raster_append_gpkg(hs_gpkg_temp_path(gp), kde_names[g], desc, &ctx->kde_grid,
                                   ctx->groups[g].kde, HS_KDE_NODATA, job->crs, err);
    }
    if (st != HS_OK) {
        hs_progress_clear(&prog);
        hs_gpkg_abort(gp);
        styled_free(&styled);
        free(project);
        return st;
    }
    /* The last safe point: after this the new file replaces the old one. */
    hs_progress_clear(&prog);
    if (hs_cancel_requested()) {
        hs_gpkg_abort(gp);
        styled_free(&styled);
        free(project);
        return HS_ECANCELLED;
    }
    st = hs_gpkg_commit(gp, err);
    /* The .qgs beside the GeoPackage, written after it so that it never names a file that
     * is not there. */
    if (st == HS_OK) {
        char qgs[4200];
        snprintf(qgs, sizeof qgs, "%.*s/%s.qgs", (int)(slash ? slash - job->output : 1),
                 slash ? job->output : ".", project_name);
        st = hs_qgis_project_save(qgs, project, err);
        hs_progress_clear(&prog);
        if (st == HS_OK)
            hs_log_info("write: %s and %s in %.2f s", job->output, qgs, hs_now() - t0);
    }
    /* The planners' report beside them, read back from the committed GeoPackage. */
    if (st == HS_OK) {
        char html[4200];
        snprintf(html, sizeof html, "%.*s/%s.html", (int)(slash ? slash - job->output : 1),
                 slash ? job->output : ".", project_name);
        double t1 = hs_now();
        st = hs_report_write(job->output, html, NULL, err);
        if (st == HS_OK)
            hs_log_info("report: %s in %.2f s", html, hs_now() - t1);
    }
    styled_free(&styled);
    free(project);
    return st;
}

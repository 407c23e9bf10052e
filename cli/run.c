/* run.c - the nightly job, one function per stage with arrays in and arrays out:
 * ingest -> place by coordinates -> (gazetteer geocoding) -> wards -> groups -> aggregate ->
 * GeoPackage. Logs one line per stage with counts and seconds. */
#include "cli/run.h"

#include "cli/run_ctx.h"
#include "cli/log.h"
#include "cli/sha256.h"
#include "cli/sources.h"
#include "engine/aggregate.h"
#include "geo/gpkg.h"
#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/locate.h"
#include "geo/place.h"
#include "geo/versions.h"
#include "geo/wards.h"

#include <stdarg.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void hs_run_info_add(hs_run_info *ri, const char *key, const char *fmt, ...)
{
    if (ri->n == ri->cap) {
        size_t cap = ri->cap ? 2 * ri->cap : 64;
        char **k = realloc(ri->keys, cap * sizeof *k);
        if (k == NULL)
            return;
        ri->keys = k;
        char **v = realloc(ri->values, cap * sizeof *v);
        if (v == NULL)
            return;
        ri->values = v;
        ri->cap = cap;
    }
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *key_copy = strdup(key), *value_copy = strdup(buf);
    if (key_copy == NULL || value_copy == NULL) {
        free(key_copy);
        free(value_copy);
        return;
    }
    ri->keys[ri->n] = key_copy;
    ri->values[ri->n] = value_copy;
    ri->n++;
}

void hs_run_info_free(hs_run_info *ri)
{
    for (size_t i = 0; i < ri->n; i++) {
        free(ri->keys[i]);
        free(ri->values[i]);
    }
    free(ri->keys);
    free(ri->values);
    memset(ri, 0, sizeof *ri);
}

static void visit_param(const char *key, const char *value, void *user)
{
    char k[300];
    snprintf(k, sizeof k, "param.%s", key);
    hs_run_info_add(user, k, "%s", value);
}

/* ---- stages ----------------------------------------------------------------------------- */

static hs_status stage_ingest(const hs_job *job, hs_incidents *t, hs_run_info *ri, hs_error *err)
{
    double t0 = hs_now();
    hs_status st = hs_read_sources(job->sources, job->nsources, job->file, t, err);
    if (st != HS_OK)
        return st;
    for (size_t s = 0; s < t->nsources; s++) {
        char key[64];
        snprintf(key, sizeof key, "input.%zu", s + 1);
        char sha[65];
        if (hs_sha256_file(t->sources[s].path, sha) != 0)
            snprintf(sha, sizeof sha, "unreadable");
        hs_run_info_add(ri, key, "%s (%s, %zu rows, CRS %s, sha256 %s)", t->sources[s].path,
                        t->sources[s].format, t->sources[s].rows, t->sources[s].crs, sha);
    }
    double dt = hs_now() - t0;
    hs_log_info("ingest: %zu rows from %zu files in %.2f s", t->n, t->nsources, dt);
    hs_run_info_add(ri, "time.ingest_s", "%.3f", dt);
    return HS_OK;
}

static hs_status stage_place(const hs_job *job, hs_incidents *t, hs_run_info *ri, hs_error *err)
{
    double t0 = hs_now();
    hs_place_stats ps;
    hs_status st = hs_place_by_coordinates(t, job->crs, &ps, err);
    if (st != HS_OK)
        return st;
    if (ps.with_coordinates) {
        hs_run_info_add(ri, "transform.operation", "%s", ps.info.operation);
        hs_run_info_add(ri, "transform.accuracy_m", "%g", ps.info.accuracy_m);
        hs_run_info_add(ri, "transform.ostn15_grid", "%s",
                 ps.info.grid_used ? "used"
                 : ps.info.ostn15_available ? "installed, not used"
                                            : "not installed (Helmert fallback)");
    }
    /* Rows still pending (no coordinates) or with rejected coordinates: the gazetteer. */
    hs_locate_stats ls;
    st = hs_locate_by_text(t, job->gazetteer, job->crs, &ls, err);
    if (st != HS_OK)
        return st;
    hs_run_info_add(ri, "geocode.attempted", "%zu", ls.attempted);
    hs_run_info_add(ri, "geocode.placed", "%zu", ls.placed);
    hs_run_info_add(ri, "geocode.failed", "%zu", ls.failed);
    hs_run_info_add(ri, "geocode.cache_hits", "%zu", ls.cache_hits);
    double dt = hs_now() - t0;
    hs_log_info("place: %zu rows with coordinates (%zu placed, %zu rejected); %zu geocoded by "
                "text, %zu placed; in %.2f s",
                ps.with_coordinates, ps.placed, ps.rejected, ls.attempted, ls.placed, dt);
    hs_run_info_add(ri, "time.place_s", "%.3f", dt);
    return HS_OK;
}

static hs_status stage_wards(const hs_job *job, hs_incidents *t, hs_wards *w, hs_run_info *ri,
                             hs_error *err)
{
    double t0 = hs_now();
    hs_wards_params wp = {
        .layer = job->wards_layer[0] ? job->wards_layer : NULL,
        .code_field = job->wards_code,
        .name_field = job->wards_name[0] ? job->wards_name : NULL,
        .population_field = job->wards_population[0] ? job->wards_population : NULL,
        .crs = job->crs,
    };
    hs_status st = hs_wards_read(job->wards_path, &wp, w, err);
    if (st != HS_OK)
        return st;
    if (w->nrepaired) {
        hs_log_warn("%s: %zu invalid ward polygon(s) repaired with GEOSMakeValid: %s",
                    job->wards_path, w->nrepaired, w->repaired);
        hs_run_info_add(ri, "wards.repaired", "%s", w->repaired);
    }
    hs_run_info_add(ri, "wards.count", "%zu", w->n);
    st = hs_wards_assign(w, t->x, t->y, t->n, t->ward, err);
    if (st != HS_OK)
        return st;
    size_t outside = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] == HS_ROW_PLACED && t->ward[i] < 0) {
            t->state[i] = HS_ROW_OUTSIDE;
            outside++;
        } else if (t->state[i] != HS_ROW_PLACED) {
            t->ward[i] = -1;
        }
    }
    double dt = hs_now() - t0;
    hs_log_info("wards: %zu wards, %zu rows outside the study area, in %.2f s", w->n, outside,
                dt);
    hs_run_info_add(ri, "time.wards_s", "%.3f", dt);
    return HS_OK;
}

/* Category -> group bitmask (case-insensitive exact match). */
static void stage_groups(const hs_job *job, hs_incidents *t)
{
    for (size_t i = 0; i < t->n; i++) {
        const char *cat = hs_incidents_str(t, t->category, i);
        uint32_t m = 0;
        for (size_t g = 0; g < job->ngroups; g++)
            for (size_t c = 0; c < job->groups[g].ncategories; c++)
                if (strcasecmp(cat, job->groups[g].categories[c]) == 0)
                    m |= UINT32_C(1) << g;
        t->groups[i] = m;
    }
}

hs_status hs_run_job(const hs_job *job, hs_run_result *res, hs_error *err)
{
    memset(res, 0, sizeof *res);
    double t_start = hs_now();
    hs_run_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return HS_ENOMEM;
    ctx->job = job;
    hs_run_info *ri = &ctx->info;
    hs_status st = hs_incidents_init(&ctx->t);
    if (st != HS_OK) {
        free(ctx);
        return st;
    }
    hs_incidents *t = &ctx->t;
    time_t now = time(NULL);
    char stamp[64];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    char libs[512];
    hs_run_info_add(ri, "job.name", "%s", job->name);
    hs_run_info_add(ri, "job.file", "%s", job->file);
    hs_run_info_add(ri, "run.started_utc", "%s", stamp);
    hs_run_info_add(ri, "version.hotspot", "%s", HS_VERSION);
    hs_run_info_add(ri, "version.libraries", "%s", hs_versions_libraries(libs, sizeof libs));
    hs_run_info_add(ri, "run.threads", "%d", omp_get_max_threads());
    const char *checked[2] = {job->wards_path, job->gazetteer};
    static const char *const checked_keys[2] = {"input.wards", "input.gazetteer"};
    for (int k = 0; k < 2; k++) {
        char sha[65];
        if (checked[k][0] && hs_sha256_file(checked[k], sha) == 0)
            hs_run_info_add(ri, checked_keys[k], "%s (sha256 %s)", checked[k], sha);
    }
    hs_job_visit(job, visit_param, ri);

    st = stage_ingest(job, t, ri, err);
    if (st == HS_OK)
        st = stage_place(job, t, ri, err);
    if (st == HS_OK)
        st = stage_wards(job, t, &ctx->w, ri, err);
    if (st == HS_OK) {
        stage_groups(job, t);
        for (size_t k = 0; k < ctx->w.n; k++)
            ctx->study_area_km2 += ctx->w.area_km2[k];
        ctx->ward_counts = calloc(ctx->w.n * (1 + job->ngroups), sizeof *ctx->ward_counts);
        st = ctx->ward_counts ? hs_aggregate_wards(t->ward, t->groups, t->n, ctx->w.n,
                                                   job->ngroups, ctx->ward_counts, err)
                              : HS_ENOMEM;
    }
    if (st == HS_OK) {
        hs_incident_counts c;
        hs_incidents_count(t, &c);
        if (c.pending != 0)
            st = hs_error_set(err, HS_EINTERNAL, NULL, 0, 0, "%zu rows left unprocessed",
                              c.pending);
        res->rows_in = c.rows_in;
        res->rows_placed = c.placed;
        res->rows_failed = c.failed;
        res->rows_outside = c.outside;
        res->hit_rate = hs_incident_counts_hit_rate(&c);
        hs_run_info_add(ri, "rows_in", "%zu", c.rows_in);
        hs_run_info_add(ri, "rows_placed", "%zu", c.placed);
        hs_run_info_add(ri, "rows_failed", "%zu", c.failed);
        hs_run_info_add(ri, "rows_outside_study_area", "%zu", c.outside);
        hs_run_info_add(ri, "hit_rate", "%.6f", res->hit_rate);
        for (int m = 1; m < 7; m++) {
            char key[64];
            snprintf(key, sizeof key, "placed.%s", hs_method_name((hs_method)m));
            hs_run_info_add(ri, key, "%zu", c.by_method[m]);
        }
    }
    if (st == HS_OK)
        st = hs_stage_surfaces(ctx, err);
    if (st == HS_OK)
        st = hs_stage_gistar(ctx, err);
    if (st == HS_OK) {
        hs_run_info_add(ri, "time.analysis_s", "%.3f", hs_now() - t_start);
        st = hs_stage_output(ctx, err);
    }
    if (st == HS_OK)
        snprintf(res->output, sizeof res->output, "%s", job->output);
    hs_group_results_free(ctx);
    free(ctx->ward_counts);
    free(ctx->kde_mask);
    free(ctx->patrol_mask);
    free(ctx->gi_mask);
    hs_wards_free(&ctx->w);
    hs_incidents_free(&ctx->t);
    hs_run_info_free(ri);
    free(ctx);
    return st;
}

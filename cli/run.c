/* run.c - the nightly job, one function per stage with arrays in and arrays out:
 * ingest -> place by coordinates -> (gazetteer geocoding) -> wards -> groups -> aggregate ->
 * GeoPackage. Logs one line per stage with counts and seconds. */
#include "cli/run.h"

#include "cli/run_ctx.h"
#include "cli/lock.h"
#include "cli/log.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "cli/sha256.h"
#include "cli/sources.h"
#include "engine/aggregate.h"
#include "geo/gpkg.h"
#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/locate.h"
#include "geo/place.h"
#include "geo/store.h"
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

static void locate_progress(void *user, size_t n)
{
    hs_progress *p = user;
    hs_progress_add(p, n);
    hs_progress_draw(p);
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
    size_t todo = 0;
    for (size_t i = 0; i < t->n; i++)
        todo += t->state[i] == HS_ROW_PENDING ||
                (t->state[i] == HS_ROW_FAILED &&
                 hs_locate_is_retryable(hs_incidents_str(t, t->reason, i)));
    hs_locate_stats ls;
    hs_progress p;
    hs_progress_begin(&p, "geocode", todo);
    hs_locate_hooks hooks = {hs_cancel_requested, locate_progress, &p};
    st = hs_locate_by_text(t, job->gazetteer, job->crs, &hooks, &ls, err);
    hs_progress_clear(&p);
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

/* ---- the state store: incremental runs ------------------------------------------------ */

static int store_cancelled(void)
{
    return hs_cancel_requested();
}

static void store_progress(void *user, size_t n)
{
    hs_progress *p = user;
    hs_progress_add(p, n);
    hs_progress_draw(p);
}

/* The geocode cache key of row i (verbatim text; see geo/store.h). */
static int cache_key(const hs_incidents *t, size_t i, char *key)
{
    const char *parts[5] = {hs_incidents_str(t, t->location, i),
                            hs_incidents_str(t, t->postcode, i),
                            hs_incidents_str(t, t->lsoa_code, i),
                            hs_incidents_str(t, t->lsoa_name, i),
                            t->sources[t->source[i]].format};
    return hs_store_cache_key(parts, NULL, 5, key, HS_STORE_KEY_SIZE) == HS_OK && key[0];
}

/* Rows without coordinates whose text the store's cache already answered: placed or failed
 * from the cache. *to_cache gets the indices of the other pending rows (to be geocoded, then
 * cached). */
static hs_status apply_cache(hs_store *store, hs_incidents *t, size_t *to_cache, size_t *nto,
                             size_t *hits, hs_error *err)
{
    char key[HS_STORE_KEY_SIZE];
    *nto = *hits = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] != HS_ROW_PENDING || !isnan(t->in_x[i]) || !cache_key(t, i, key))
            continue;
        int found = 0;
        hs_store_geocode g;
        hs_status st = hs_store_cache_lookup(store, key, &found, &g, err);
        if (st != HS_OK)
            return st;
        if (!found) {
            to_cache[(*nto)++] = i;
            continue;
        }
        (*hits)++;
        if (g.placed) {
            t->x[i] = g.x_m;
            t->y[i] = g.y_m;
            t->method[i] = (uint8_t)g.method;
            t->score[i] = (float)g.score;
            t->precision_m[i] = (float)g.precision_m;
            t->state[i] = HS_ROW_PLACED;
        } else if ((st = hs_incidents_fail(t, i, g.reason)) != HS_OK) {
            return st;
        }
    }
    return HS_OK;
}

static hs_status fill_cache(hs_store *store, const hs_incidents *t, const size_t *rows, size_t n,
                            hs_error *err)
{
    char key[HS_STORE_KEY_SIZE];
    for (size_t k = 0; k < n; k++) {
        size_t i = rows[k];
        if (!cache_key(t, i, key))
            continue;
        hs_store_geocode g = {.placed = t->state[i] == HS_ROW_PLACED,
                              .x_m = t->x[i],
                              .y_m = t->y[i],
                              .method = (hs_method)t->method[i],
                              .score = (double)t->score[i],
                              .precision_m = (double)t->precision_m[i]};
        snprintf(g.reason, sizeof g.reason, "%s", hs_incidents_str(t, t->reason, i));
        hs_status st = hs_store_cache_put(store, key, &g, err);
        if (st != HS_OK)
            return st;
    }
    return HS_OK;
}

/* A changed gazetteer may place rows that failed before: forget the cache and retry them. */
static hs_status gazetteer_changed(const hs_job *job, hs_store *store, int *changed,
                                   hs_error *err)
{
    *changed = 0;
    char sha[65] = "", old[128] = "";
    if (job->gazetteer[0] && hs_sha256_file(job->gazetteer, sha) != 0)
        return hs_error_set(err, HS_EDATA, job->gazetteer, 0, 0, "cannot read the gazetteer");
    int found = 0;
    hs_status st = hs_store_meta_get(store, "gazetteer.sha256", old, sizeof old, &found, err);
    if (st != HS_OK)
        return st;
    if (found && strcmp(old, sha) == 0)
        return HS_OK;
    *changed = found;
    if (found && (st = hs_store_cache_clear(store, err)) != HS_OK)
        return st;
    return hs_store_meta_set(store, "gazetteer.sha256", sha, err);
}

/* Read this run's files, merge them into the store, place and geocode the new rows, save
 * their results. */
static hs_status stage_incremental_input(hs_run_ctx *ctx, hs_store *store, hs_run_result *res,
                                         hs_error *err)
{
    const hs_job *job = ctx->job;
    hs_run_info *ri = &ctx->info;
    hs_incidents fresh;
    hs_status st = hs_incidents_init(&fresh);
    if (st != HS_OK)
        return st;
    size_t *to_cache = NULL;
    int changed = 0;
    st = stage_ingest(job, &fresh, ri, err);
    if (st == HS_OK)
        st = gazetteer_changed(job, store, &changed, err);
    if (st == HS_OK && changed)
        hs_log_info("the gazetteer changed since the last run: failed rows are geocoded again");
    hs_store_merge_stats ms = {0};
    if (st == HS_OK) {
        hs_progress p;
        hs_progress_begin(&p, "store", fresh.n);
        hs_store_set_hooks(store, &(hs_store_hooks){store_cancelled, store_progress, &p});
        st = hs_store_merge_incidents(store, &fresh, changed ? HS_STORE_RETRY_FAILED : 0, &ms,
                                      err);
        hs_progress_end(&p, "%zu new, %zu already stored, %zu corrected, %zu retried",
                        ms.new_rows, ms.known_rows, ms.changed_rows, ms.retried_rows);
    }
    size_t nto = 0, hits = 0;
    if (st == HS_OK) {
        to_cache = malloc((fresh.n ? fresh.n : 1) * sizeof *to_cache);
        st = to_cache ? apply_cache(store, &fresh, to_cache, &nto, &hits, err) : HS_ENOMEM;
    }
    if (st == HS_OK && hs_cancel_requested())
        st = HS_ECANCELLED;
    if (st == HS_OK)
        st = stage_place(job, &fresh, ri, err);
    if (st == HS_OK)
        st = fill_cache(store, &fresh, to_cache, nto, err);
    if (st == HS_OK && hs_cancel_requested())
        st = HS_ECANCELLED;
    if (st == HS_OK) {
        hs_progress p;
        hs_progress_begin(&p, "save", ms.new_rows + ms.changed_rows + ms.retried_rows);
        hs_store_set_hooks(store, &(hs_store_hooks){store_cancelled, store_progress, &p});
        st = hs_store_save_results(store, &fresh, err);
        hs_progress_end(&p, NULL);
    }
    res->rows_read = fresh.n;
    res->rows_new = ms.new_rows + ms.changed_rows;
    res->rows_known = ms.known_rows;
    res->cache_hits = hits;
    hs_run_info_add(ri, "store.path", "%s", hs_store_path(store));
    hs_run_info_add(ri, "store.rows_read", "%zu", fresh.n);
    hs_run_info_add(ri, "store.rows_new", "%zu", ms.new_rows);
    hs_run_info_add(ri, "store.rows_known", "%zu", ms.known_rows);
    hs_run_info_add(ri, "store.rows_corrected", "%zu", ms.changed_rows);
    hs_run_info_add(ri, "store.rows_retried", "%zu", ms.retried_rows);
    hs_run_info_add(ri, "geocode.cache_hits_store", "%zu", hits);
    free(to_cache);
    hs_incidents_free(&fresh);
    return st;
}

/* The analysis input: every stored incident of the window. */
static hs_status stage_load(hs_run_ctx *ctx, hs_store *store, hs_error *err)
{
    char min_month[HS_STORE_MONTH_SIZE] = "";
    hs_status st = hs_store_window(store, ctx->job->window_months, min_month, err);
    if (st != HS_OK)
        return st;
    hs_run_info_add(&ctx->info, "window.first_month", "%s", min_month[0] ? min_month : "all");
    hs_progress p;
    hs_progress_begin(&p, "load", 0);
    hs_store_set_hooks(store, &(hs_store_hooks){store_cancelled, store_progress, &p});
    st = hs_store_load_incidents(store, min_month, &ctx->t, err);
    hs_progress_end(&p, "%s", min_month[0] ? "within the window" : "all months");
    snprintf(ctx->min_month, sizeof ctx->min_month, "%s", min_month);
    return st;
}

static hs_status stage_store_units(hs_run_ctx *ctx, hs_store *store, hs_error *err)
{
    const hs_job *job = ctx->job;
    const char *names[HS_JOB_MAX_GROUPS];
    for (size_t g = 0; g < job->ngroups; g++)
        names[g] = job->groups[g].name;
    hs_progress p;
    hs_progress_begin(&p, "trends", ctx->t.n);
    hs_store_set_hooks(store, &(hs_store_hooks){store_cancelled, store_progress, &p});
    hs_status st = hs_store_update_units(store, &ctx->t, (const char *const *)ctx->w.code,
                                         ctx->w.n, err);
    if (st == HS_OK)
        st = hs_store_write_aggregates(store, ctx->min_month, names, job->ngroups,
                                       job->grid_cell_m, err);
    hs_progress_end(&p, "monthly counts per ward and %g m cell kept", job->grid_cell_m);
    return st;
}

static void top_wards(const hs_run_ctx *ctx, hs_run_result *res)
{
    const hs_job *job = ctx->job;
    res->ngroups = job->ngroups;
    for (size_t g = 0; g < job->ngroups && g < 32; g++) {
        size_t used[HS_RUN_TOP_WARDS];
        for (size_t r = 0; r < HS_RUN_TOP_WARDS; r++) {
            size_t best = SIZE_MAX;
            for (size_t k = 0; k < ctx->w.n; k++) {
                int taken = 0;
                for (size_t q = 0; q < r; q++)
                    taken |= used[q] == k;
                int64_t c = ctx->ward_counts[k * (1 + job->ngroups) + 1 + g];
                if (!taken && (best == SIZE_MAX ||
                               c > ctx->ward_counts[best * (1 + job->ngroups) + 1 + g]))
                    best = k;
            }
            used[r] = best;
            if (best == SIZE_MAX)
                snprintf(res->top_wards[g][r], sizeof res->top_wards[g][r], "-");
            else
                snprintf(res->top_wards[g][r], sizeof res->top_wards[g][r], "%s (%lld)",
                         ctx->w.name[best],
                         (long long)ctx->ward_counts[best * (1 + job->ngroups) + 1 + g]);
        }
    }
}

#define HS_CHECK_CANCEL(st)                                                                        \
    do {                                                                                           \
        if ((st) == HS_OK && hs_cancel_requested())                                                \
            (st) = HS_ECANCELLED;                                                                  \
    } while (0)

hs_status hs_run_job(const hs_job *job, hs_run_result *res, hs_error *err)
{
    memset(res, 0, sizeof *res);
    double t_start = hs_now();
    hs_run_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return HS_ENOMEM;
    ctx->job = job;
    hs_run_info *ri = &ctx->info;
    hs_lock *lock = NULL;
    hs_store *store = NULL;
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

    /* One run of a job at a time: the lock beside the store. */
    char lock_path[4200];
    hs_lock_path(job->store, lock_path, sizeof lock_path);
    st = hs_make_parent_dirs(lock_path, err);
    if (st == HS_OK)
        st = hs_lock_acquire(lock_path, &lock, err);
    if (st == HS_OK)
        st = hs_store_open(job->store, job->crs, &store, err);
    int64_t run_id = 0;
    if (st == HS_OK)
        st = hs_store_begin(store, &run_id, err);
    if (st == HS_OK) {
        hs_run_info_add(ri, "store.run_id", "%lld", (long long)run_id);
        st = stage_incremental_input(ctx, store, res, err);
    }
    HS_CHECK_CANCEL(st);
    if (st == HS_OK)
        st = stage_load(ctx, store, err);
    HS_CHECK_CANCEL(st);
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
    if (st == HS_OK)
        st = stage_store_units(ctx, store, err);
    HS_CHECK_CANCEL(st);
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
    HS_CHECK_CANCEL(st);
    if (st == HS_OK)
        st = hs_stage_gistar(ctx, err);
    HS_CHECK_CANCEL(st);
    if (st == HS_OK) {
        top_wards(ctx, res);
        hs_run_info_add(ri, "time.analysis_s", "%.3f", hs_now() - t_start);
        st = hs_stage_output(ctx, err);
    }
    if (st == HS_OK) {
        hs_incident_counts c;
        hs_incidents_count(t, &c);
        st = hs_store_commit(store, &c, err);
    }
    if (st != HS_OK && store != NULL)
        hs_store_rollback(store, st, NULL);
    if (st == HS_ECANCELLED)
        hs_error_set(err, HS_ECANCELLED, NULL, 0, 0,
                     "stopped by signal %d: the store was rolled back and %s was not changed",
                     hs_cancel_signal(), job->output);
    if (st == HS_OK)
        snprintf(res->output, sizeof res->output, "%s", job->output);
    res->seconds = hs_now() - t_start;
    hs_store_close(store);
    hs_lock_release(lock);
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

/* transform.c - PROJ transformations, one context per thread (see transform.h).
 * Must not: enable network access, share PJ objects between threads.
 *
 * The transformation is built once per call (proj_create_crs_to_crs looks candidate operations
 * up in proj.db: 20-35 ms here) and proj_clone'd into one context per thread (about 1 ms).
 * Each thread keeps a memo of the points it transformed, keyed by the exact bits of the
 * input: police.uk moves every incident onto one of a fixed set of snap points, so most rows
 * repeat a coordinate (3,861 Canterbury rows of 2024 Q1 sit on 1,042 points) and proj_trans
 * (about 0.55 us a point) runs once per distinct point. PROJ's result for a coordinate does
 * not depend on what it transformed before, so the memo changes no output bit; bench_ingest's
 * place_unique case measures the case where no coordinate repeats. The CRS queries
 * (hs_crs_*) share one context for the process, behind a lock.
 */
#include "geo/transform.h"

#include <math.h>
#include <omp.h>
#include <proj.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HS_TRANSFORM_CHUNK = 4096 };

static PJ *make_pj(PJ_CONTEXT *ctx, const char *src, const char *dst)
{
    PJ *raw = proj_create_crs_to_crs(ctx, src, dst, NULL);
    if (raw == NULL)
        return NULL;
    PJ *pj = proj_normalize_for_visualization(ctx, raw);
    proj_destroy(raw);
    return pj;
}

static PJ_CONTEXT *make_ctx(void)
{
    PJ_CONTEXT *ctx = proj_context_create();
    if (ctx) {
        proj_context_set_enable_network(ctx, 0);
        /* Failures are reported through return values, not PROJ's stderr log. */
        proj_log_level(ctx, PJ_LOG_NONE);
    }
    return ctx;
}

/* 1 when the OSTN15 grid is in one of PROJ's search paths. */
static int ostn15_installed(void)
{
    static const char *const names[] = {"uk_os_OSTN15_NTv2_OSGBtoETRS.tif",
                                        "OSTN15_NTv2_OSGBtoETRS.gsb"};
    const char *paths = proj_info().searchpath;
    if (paths == NULL)
        return 0;
    const char *p = paths;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        for (size_t k = 0; k < 2; k++) {
            char file[1024];
            if (snprintf(file, sizeof file, "%.*s/%s", (int)len, p, names[k]) <
                (int)sizeof file) {
                FILE *f = fopen(file, "rb");
                if (f) {
                    fclose(f);
                    return 1;
                }
            }
        }
        p += len;
        if (*p == ':')
            p++;
    }
    return 0;
}

static void describe(PJ_CONTEXT *ctx, PJ *pj, double x, double y, hs_transform_info *info)
{
    memset(info, 0, sizeof *info);
    info->accuracy_m = -1.0;
    PJ_COORD c = proj_coord(x, y, 0, 0);
    proj_trans(pj, PJ_FWD, c);
    PJ *op = proj_trans_get_last_used_operation(pj);
    PJ *use = op ? op : pj;
    PJ_PROJ_INFO pi = proj_pj_info(use);
    snprintf(info->operation, sizeof info->operation, "%s", pi.description ? pi.description : "");
    info->accuracy_m = pi.accuracy;
    info->grid_used = proj_coordoperation_get_grid_used_count(ctx, use) > 0;
    if (op)
        proj_destroy(op);
    info->ostn15_available = ostn15_installed();
}

/* Transform point (x, y) with pj through the memo; returns 1 when PROJ failed on it. */
static int transform_one(PJ *pj, hs_point_memo *memo, double x, double y, double *ox,
                         double *oy)
{
    int hit;
    double own[2];
    double *v = hs_point_memo_get(memo, x, y, &hit);
    if (v == NULL)
        v = own;
    if (!hit) {
        PJ_COORD r = proj_trans(pj, PJ_FWD, proj_coord(x, y, 0, 0));
        int bad = !isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL;
        v[0] = bad ? (double)NAN : r.xy.x;
        v[1] = bad ? (double)NAN : r.xy.y;
    }
    *ox = v[0];
    *oy = v[1];
    return isnan(v[0]);
}

/* The points of chunks [lo, hi) of HS_TRANSFORM_CHUNK; returns how many PROJ failed on. */
static size_t transform_chunk(PJ *pj, hs_point_memo *memo, const double *in_x,
                              const double *in_y, double *out_x, double *out_y, size_t lo,
                              size_t hi)
{
    size_t nfail = 0;
    for (size_t i = lo; i < hi; i++) {
        double x = in_x[i], y = in_y[i];
        if (isnan(x) || isnan(y)) {
            out_x[i] = out_y[i] = NAN;
            continue;
        }
        nfail += (size_t)transform_one(pj, memo, x, y, &out_x[i], &out_y[i]);
    }
    return nfail;
}

/* One context and one clone of pj for each of nt threads. Returns 0 when one failed. */
static int clone_per_thread(PJ *pj, int nt, PJ_CONTEXT **ctx, PJ **tpj)
{
    int ok = 1;
    for (int k = 0; k < nt; k++) {
        ctx[k] = make_ctx();
        tpj[k] = ctx[k] ? proj_clone(ctx[k], pj) : NULL;
        ok &= tpj[k] != NULL;
    }
    return ok;
}

static void free_per_thread(int nt, PJ_CONTEXT **ctx, PJ **tpj)
{
    for (int k = 0; k < nt; k++) {
        proj_destroy(tpj[k]);
        proj_context_destroy(ctx[k]);
    }
}

/* The points of a CRS given exactly as the target: PROJ's operation would be +proj=noop (the
 * same bits), so copy them without building it. PROJ still has to know the CRS. */
static hs_status same_crs(const char *crs, const double *in_x, const double *in_y,
                          double *out_x, double *out_y, size_t n, size_t *failed,
                          hs_transform_info *info, hs_error *err)
{
    if (hs_crs_is_geographic(crs) < 0)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0,
                            "PROJ does not know the CRS %s (is proj-data installed and PROJ_DATA "
                            "unset or pointing at /usr/share/proj?)",
                            crs);
    size_t nfail = 0;
    for (size_t i = 0; i < n; i++) {
        double x = in_x[i], y = in_y[i];
        int gap = isnan(x) || isnan(y); /* as transform_chunk: NaN in either gives both */
        int bad = !gap && (!isfinite(x) || !isfinite(y)); /* PROJ fails on infinities */
        nfail += (size_t)bad;
        out_x[i] = gap || bad ? (double)NAN : x;
        out_y[i] = gap || bad ? (double)NAN : y;
    }
    if (failed)
        *failed = nfail;
    if (info) {
        memset(info, 0, sizeof *info);
        snprintf(info->operation, sizeof info->operation, "none (already in %s)", crs);
        info->accuracy_m = 0.0;
        info->ostn15_available = ostn15_installed();
    }
    return HS_OK;
}

hs_status hs_transform_points(const char *src_crs, const char *dst_crs, const double *in_x,
                              const double *in_y, double *out_x, double *out_y, size_t n,
                              size_t *failed, hs_transform_info *info, hs_error *err)
{
    if (strcmp(src_crs, dst_crs) == 0)
        return same_crs(src_crs, in_x, in_y, out_x, out_y, n, failed, info, err);
    /* Build once serially: reports errors on this thread, gives the info, and is cloned. */
    PJ_CONTEXT *ctx = make_ctx();
    if (ctx == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "cannot create a PROJ context");
    PJ *pj = make_pj(ctx, src_crs, dst_crs);
    if (pj == NULL) {
        int code = proj_context_errno(ctx);
        hs_error_set(err, HS_EDEP, NULL, 0, 0,
                     "PROJ cannot transform from %s to %s: %s (is proj-data installed and "
                     "PROJ_DATA unset or pointing at /usr/share/proj?)",
                     src_crs, dst_crs, proj_context_errno_string(ctx, code));
        proj_context_destroy(ctx);
        return HS_EDEP;
    }
    if (info) {
        size_t k = 0;
        while (k < n && (isnan(in_x[k]) || isnan(in_y[k])))
            k++;
        describe(ctx, pj, k < n ? in_x[k] : 0.0, k < n ? in_y[k] : 0.0, info);
    }
    int nt = omp_get_max_threads();
    PJ_CONTEXT **tctx = calloc((size_t)nt, sizeof *tctx);
    PJ **tpj = calloc((size_t)nt, sizeof *tpj);
    int setup_ok = tctx && tpj && clone_per_thread(pj, nt, tctx, tpj);
    proj_destroy(pj);
    proj_context_destroy(ctx);

    size_t nchunks = (n + HS_TRANSFORM_CHUNK - 1) / HS_TRANSFORM_CHUNK;
    size_t nfail = 0;
    int memo_failed = 0;
#pragma omp parallel num_threads(nt) default(none)                                                \
    shared(in_x, in_y, out_x, out_y, n, nchunks, setup_ok, tpj, memo_failed) reduction(+ : nfail)
    {
        PJ *mine = setup_ok ? tpj[omp_get_thread_num()] : NULL;
        hs_point_memo memo;
        int have_memo = hs_point_memo_init(&memo, n) == HS_OK;
        if (!have_memo) {
#pragma omp atomic write
            memo_failed = 1;
        }
        /* Dynamic: a thread that shares its core with another process takes fewer chunks
         * (each point's result is its own, whichever thread computes it). */
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < nchunks; c++) {
            if (mine == NULL || !have_memo)
                continue;
            size_t lo = c * HS_TRANSFORM_CHUNK;
            size_t hi = lo + HS_TRANSFORM_CHUNK < n ? lo + HS_TRANSFORM_CHUNK : n;
            nfail += transform_chunk(mine, &memo, in_x, in_y, out_x, out_y, lo, hi);
        }
        hs_point_memo_free(&memo);
    }
    if (tctx && tpj)
        free_per_thread(nt, tctx, tpj);
    free(tctx);
    free(tpj);
    if (!setup_ok)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0,
                            "PROJ could not set up the %s -> %s transformation on a thread",
                            src_crs, dst_crs);
    if (memo_failed)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for the point memo");
    if (failed)
        *failed = nfail;
    return HS_OK;
}

/* One PROJ context for the CRS queries below, kept for the whole process behind a lock: a new
 * context opens proj.db again (about 2 ms), and a run asks several of them. */
static pthread_mutex_t query_lock = PTHREAD_MUTEX_INITIALIZER;
static PJ_CONTEXT *query_ctx;

/* Lock and return the query context (NULL when it cannot be made); query_end unlocks. */
static PJ_CONTEXT *query_begin(void)
{
    pthread_mutex_lock(&query_lock);
    if (query_ctx == NULL)
        query_ctx = make_ctx();
    return query_ctx;
}

static void query_end(void)
{
    pthread_mutex_unlock(&query_lock);
}

hs_status hs_crs_area_of_use(const char *crs, double *west, double *south, double *east,
                             double *north, hs_error *err)
{
    PJ_CONTEXT *ctx = query_begin();
    PJ *pj = ctx ? proj_create(ctx, crs) : NULL;
    int ok = pj && proj_get_area_of_use(ctx, pj, west, south, east, north, NULL);
    proj_destroy(pj);
    query_end();
    if (!ok)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0, "PROJ knows no area of use for %s", crs);
    return HS_OK;
}

int hs_crs_is_geographic(const char *crs)
{
    PJ_CONTEXT *ctx = query_begin();
    PJ *pj = ctx ? proj_create(ctx, crs) : NULL;
    int r = -1;
    if (pj) {
        PJ_TYPE t = proj_get_type(pj);
        r = (t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS ||
             t == PJ_TYPE_GEOGRAPHIC_CRS);
    }
    proj_destroy(pj);
    query_end();
    return r;
}

/* ---- point memo ------------------------------------------------------------------------ */

#define HS_MEMO_MAX_BITS 16
#define HS_MEMO_PROBES 8
/* Look-ups per window, the hits below which the memo pauses, its longest pause (windows). */
#define HS_MEMO_WINDOW 4096
#define HS_MEMO_MIN_HITS (HS_MEMO_WINDOW / 8)
#define HS_MEMO_MAX_PAUSE 64

hs_status hs_point_memo_init(hs_point_memo *m, size_t n)
{
    size_t slots = 64;
    while (slots < 2 * n && slots < ((size_t)1 << HS_MEMO_MAX_BITS))
        slots *= 2;
    m->slot = malloc(slots * sizeof *m->slot);
    m->mask = slots - 1;
    m->lookups = m->hits = m->paused = 0;
    m->pause = 1;
    if (m->slot == NULL)
        return HS_ENOMEM;
    for (size_t k = 0; k < slots; k++)
        m->slot[k].x = UINT64_MAX;
    return HS_OK;
}

void hs_point_memo_free(hs_point_memo *m)
{
    if (m == NULL)
        return;
    free(m->slot);
    m->slot = NULL;
}

/* Count a look-up; after a window with too few hits, pause the memo (longer each time). */
static void memo_count(hs_point_memo *m, int hit)
{
    m->hits += (size_t)hit;
    if (++m->lookups < HS_MEMO_WINDOW)
        return;
    if (m->hits < HS_MEMO_MIN_HITS) {
        m->paused = m->pause * HS_MEMO_WINDOW;
        m->pause = m->pause < HS_MEMO_MAX_PAUSE ? 2 * m->pause : m->pause;
    } else {
        m->pause = 1;
    }
    m->lookups = m->hits = 0;
}

double *hs_point_memo_get(hs_point_memo *m, double x, double y, int *hit)
{
    *hit = 0;
    if (m->paused > 0) {
        m->paused--;
        return NULL;
    }
    uint64_t bx, by;
    memcpy(&bx, &x, sizeof bx);
    memcpy(&by, &y, sizeof by);
    /* Mix all bits of both (snap points differ in a few low mantissa bits): MurmurHash3's
     * 64-bit finaliser. */
    uint64_t h = bx ^ (by * UINT64_C(0x9E3779B97F4A7C15));
    h = (h ^ (h >> 33)) * UINT64_C(0xFF51AFD7ED558CCD);
    h = (h ^ (h >> 33)) * UINT64_C(0xC4CEB9FE1A85EC53);
    size_t home = (size_t)(h ^ (h >> 33)) & m->mask;
    /* Points are only ever added at the first empty slot of their window, so an empty slot
     * ends the search; a full window gives up its first slot. */
    hs_memo_slot *s = &m->slot[home];
    for (size_t k = 0; k < HS_MEMO_PROBES; k++) {
        hs_memo_slot *q = &m->slot[(home + k) & m->mask];
        if (q->x == bx && q->y == by) {
            *hit = 1;
            memo_count(m, 1);
            return q->value;
        }
        if (q->x == UINT64_MAX) {
            s = q;
            break;
        }
    }
    s->x = bx;
    s->y = by;
    memo_count(m, 0);
    return s->value;
}

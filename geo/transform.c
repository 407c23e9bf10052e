/* transform.c - PROJ transformations, one context per thread (see transform.h).
 * Must not: enable network access, share PJ objects between threads. */
#include "geo/transform.h"

#include <math.h>
#include <omp.h>
#include <proj.h>
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

hs_status hs_transform_points(const char *src_crs, const char *dst_crs, const double *in_x,
                              const double *in_y, double *out_x, double *out_y, size_t n,
                              size_t *failed, hs_transform_info *info, hs_error *err)
{
    /* Build once serially: reports errors on this thread and gives the info. */
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
    proj_destroy(pj);
    proj_context_destroy(ctx);

    size_t nchunks = (n + HS_TRANSFORM_CHUNK - 1) / HS_TRANSFORM_CHUNK;
    size_t nfail = 0;
    int setup_failed = 0;
#pragma omp parallel default(none) shared(src_crs, dst_crs, in_x, in_y, out_x, out_y, n,        \
                                              nchunks, setup_failed) reduction(+ : nfail)
    {
        PJ_CONTEXT *tctx = make_ctx();
        PJ *tpj = tctx ? make_pj(tctx, src_crs, dst_crs) : NULL;
        if (tpj == NULL) {
#pragma omp atomic write
            setup_failed = 1;
        }
#pragma omp for schedule(static)
        for (size_t c = 0; c < nchunks; c++) {
            if (tpj == NULL)
                continue;
            size_t lo = c * HS_TRANSFORM_CHUNK;
            size_t hi = lo + HS_TRANSFORM_CHUNK < n ? lo + HS_TRANSFORM_CHUNK : n;
            for (size_t i = lo; i < hi; i++) {
                double x = in_x[i], y = in_y[i];
                if (isnan(x) || isnan(y)) {
                    out_x[i] = out_y[i] = NAN;
                    continue;
                }
                PJ_COORD r = proj_trans(tpj, PJ_FWD, proj_coord(x, y, 0, 0));
                if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL) {
                    out_x[i] = out_y[i] = NAN;
                    nfail++;
                } else {
                    out_x[i] = r.xy.x;
                    out_y[i] = r.xy.y;
                }
            }
        }
        proj_destroy(tpj);
        proj_context_destroy(tctx);
    }
    if (setup_failed)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0,
                            "PROJ could not set up the %s -> %s transformation on a thread",
                            src_crs, dst_crs);
    if (failed)
        *failed = nfail;
    return HS_OK;
}

hs_status hs_crs_area_of_use(const char *crs, double *west, double *south, double *east,
                             double *north, hs_error *err)
{
    PJ_CONTEXT *ctx = make_ctx();
    PJ *pj = ctx ? proj_create(ctx, crs) : NULL;
    int ok = pj && proj_get_area_of_use(ctx, pj, west, south, east, north, NULL);
    proj_destroy(pj);
    proj_context_destroy(ctx);
    if (!ok)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0, "PROJ knows no area of use for %s", crs);
    return HS_OK;
}

int hs_crs_is_geographic(const char *crs)
{
    PJ_CONTEXT *ctx = make_ctx();
    PJ *pj = ctx ? proj_create(ctx, crs) : NULL;
    int r = -1;
    if (pj) {
        PJ_TYPE t = proj_get_type(pj);
        r = (t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS ||
             t == PJ_TYPE_GEOGRAPHIC_CRS);
    }
    proj_destroy(pj);
    proj_context_destroy(ctx);
    return r;
}

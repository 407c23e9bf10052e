/* contiguity.c - queen/rook contiguity of polygons with GEOS (see contiguity.h).
 * Must not: do statistics, share the GEOS context between threads, print. */
#include "geo/contiguity.h"

#include <geos_c.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything one call needs: the GEOS context and its last message, the polygons. */
typedef struct contig_job {
    GEOSContextHandle_t ctx; /* this call's GEOS context */
    char msg[256];           /* last GEOS error or notice */
    GEOSGeometry **geom;     /* the (repaired) polygons; NULL entries never happen */
    size_t *ids;             /* index of each polygon, the STRtree items */
    size_t n;                /* polygons */
    double tol;              /* snapping tolerance, metres */
    hs_contiguity_rule rule; /* queen or rook */
} contig_job;

/* Growable list of neighbour pairs (i < j). */
typedef struct pair_list {
    uint32_t *a; /* first unit of each pair */
    uint32_t *b; /* second unit of each pair */
    size_t len;  /* pairs stored */
    size_t cap;  /* pairs allocated */
} pair_list;

/* Candidates of one STRtree query. */
typedef struct cand_list {
    size_t *idx; /* polygon indices */
    size_t len;  /* stored */
    size_t cap;  /* allocated */
    int failed;  /* an allocation failed */
} cand_list;

void hs_contiguity_params_default(hs_contiguity_params *p)
{
    p->rule = HS_CONTIGUITY_QUEEN;
    p->snap_tolerance_m = HS_CONTIGUITY_DEFAULT_SNAP_M;
}

static void on_geos_message(const char *text, void *userdata)
{
    contig_job *job = userdata;
    snprintf(job->msg, sizeof job->msg, "%s", text);
}

static hs_status geos_fail(const contig_job *job, hs_error *err, const char *what, size_t i)
{
    return hs_error_set(err, HS_EDEP, NULL, 0, (long)i + 1, "GEOS failed to %s polygon %zu: %s",
                        what, i, job->msg[0] ? job->msg : "no message");
}

static void job_free(contig_job *job)
{
    if (job->geom != NULL)
        for (size_t i = 0; i < job->n; i++)
            if (job->geom[i] != NULL)
                GEOSGeom_destroy_r(job->ctx, job->geom[i]);
    free(job->geom);
    free(job->ids);
    if (job->ctx != NULL)
        GEOS_finish_r(job->ctx);
}

/* ---- reading and repairing ------------------------------------------------------------- */

static GEOSGeometry *make_valid(contig_job *job, const GEOSGeometry *g)
{
    GEOSMakeValidParams *mp = GEOSMakeValidParams_create_r(job->ctx);
    if (mp == NULL)
        return NULL;
    GEOSMakeValidParams_setMethod_r(job->ctx, mp, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(job->ctx, mp, 0);
    GEOSGeometry *v = GEOSMakeValidWithParams_r(job->ctx, g, mp);
    GEOSMakeValidParams_destroy_r(job->ctx, mp);
    return v;
}

static void note_repair(hs_contiguity_report *rep, size_t i, const char *reason)
{
    if (rep->n_repaired++ == 0) {
        rep->first_repaired = i;
        snprintf(rep->repaired_reason, sizeof rep->repaired_reason, "%s",
                 reason ? reason : "invalid");
    }
}

/* Read polygon i, check its type, repair it when invalid. */
static hs_status read_polygon(contig_job *job, const unsigned char *wkb, size_t size, size_t i,
                              hs_contiguity_report *rep, hs_error *err)
{
    if (wkb == NULL || size == 0)
        return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                            "polygon %zu has no geometry; expected a polygon WKB", i);
    GEOSGeometry *g = GEOSGeomFromWKB_buf_r(job->ctx, wkb, size);
    if (g == NULL)
        return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                            "polygon %zu: unreadable WKB (%s); expected a polygon", i,
                            job->msg[0] ? job->msg : "no message");
    int type = GEOSGeomTypeId_r(job->ctx, g);
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
        GEOSGeom_destroy_r(job->ctx, g);
        return hs_error_set(err, HS_EDATA, NULL, 0, (long)i + 1,
                            "geometry %zu is of GEOS type %d; expected a polygon or "
                            "multipolygon",
                            i, type);
    }
    if (GEOSisValid_r(job->ctx, g) == 0) {
        char *reason = GEOSisValidReason_r(job->ctx, g);
        GEOSGeometry *v = make_valid(job, g);
        note_repair(rep, i, reason);
        GEOSFree_r(job->ctx, reason);
        GEOSGeom_destroy_r(job->ctx, g);
        if (v == NULL)
            return geos_fail(job, err, "repair", i);
        g = v;
    }
    job->geom[i] = g;
    return HS_OK;
}

static hs_status job_start(contig_job *job, const unsigned char *const *wkb, const size_t *wkb_size,
                           size_t n, const hs_contiguity_params *p, hs_contiguity_report *rep,
                           hs_error *err)
{
    memset(job, 0, sizeof *job);
    job->n = n;
    job->tol = p->snap_tolerance_m;
    job->rule = p->rule;
    job->ctx = GEOS_init_r();
    if (job->ctx == NULL)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0, "GEOS could not start a context");
    GEOSContext_setErrorMessageHandler_r(job->ctx, on_geos_message, job);
    GEOSContext_setNoticeMessageHandler_r(job->ctx, on_geos_message, job);
    job->geom = calloc(n ? n : 1, sizeof *job->geom);
    job->ids = malloc((n ? n : 1) * sizeof *job->ids);
    if (job->geom == NULL || job->ids == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for %zu polygons", n);
    for (size_t i = 0; i < n; i++) {
        job->ids[i] = i;
        hs_status st = read_polygon(job, wkb[i], wkb_size[i], i, rep, err);
        if (st != HS_OK)
            return st;
    }
    return HS_OK;
}

/* ---- pair tests ------------------------------------------------------------------------ */

/* Length of boundary a and b share once each is snapped to the other within tol. */
static int shared_length(contig_job *job, const GEOSGeometry *a, const GEOSGeometry *b, double *len)
{
    GEOSContextHandle_t h = job->ctx;
    GEOSGeometry *sa = GEOSSnap_r(h, a, b, job->tol);
    GEOSGeometry *sb = sa ? GEOSSnap_r(h, b, sa, job->tol) : NULL;
    GEOSGeometry *ba = sb ? GEOSBoundary_r(h, sa) : NULL;
    GEOSGeometry *bb = ba ? GEOSBoundary_r(h, sb) : NULL;
    GEOSGeometry *common = bb ? GEOSIntersection_r(h, ba, bb) : NULL;
    int ok = common != NULL && GEOSLength_r(h, common, len) == 1;
    GEOSGeometry *all[5] = {sa, sb, ba, bb, common};
    for (int k = 0; k < 5; k++)
        if (all[k] != NULL)
            GEOSGeom_destroy_r(h, all[k]);
    return ok;
}

/* 1 when polygons i and j are neighbours under the job's rule, 0 when not, -1 on failure. */
static int are_neighbours(contig_job *job, size_t i, size_t j)
{
    const GEOSGeometry *a = job->geom[i], *b = job->geom[j];
    if (GEOSisEmpty_r(job->ctx, a) == 1 || GEOSisEmpty_r(job->ctx, b) == 1)
        return 0;
    char near = job->tol > 0.0 ? GEOSDistanceWithin_r(job->ctx, a, b, job->tol)
                               : GEOSIntersects_r(job->ctx, a, b);
    if (near != 1)
        return near == 0 ? 0 : -1;
    if (job->rule == HS_CONTIGUITY_QUEEN)
        return 1;
    double len = 0.0;
    if (!shared_length(job, a, b, &len))
        return -1;
    return len > job->tol;
}

/* ---- candidates through the STRtree ---------------------------------------------------- */

static void collect_candidate(void *item, void *userdata)
{
    cand_list *c = userdata;
    if (c->len == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        size_t *idx = realloc(c->idx, cap * sizeof *idx);
        if (idx == NULL) {
            c->failed = 1;
            return;
        }
        c->idx = idx;
        c->cap = cap;
    }
    c->idx[c->len++] = *(const size_t *)item;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static int pairs_push(pair_list *pl, size_t i, size_t j)
{
    if (pl->len == pl->cap) {
        size_t cap = pl->cap ? 2 * pl->cap : 64;
        uint32_t *a = realloc(pl->a, cap * sizeof *a);
        if (a == NULL)
            return 0;
        pl->a = a;
        uint32_t *b = realloc(pl->b, cap * sizeof *b);
        if (b == NULL)
            return 0;
        pl->b = b;
        pl->cap = cap;
    }
    pl->a[pl->len] = (uint32_t)i;
    pl->b[pl->len] = (uint32_t)j;
    pl->len++;
    return 1;
}

/* Envelope of polygon i grown by tol, as a rectangle to query the tree with. */
static GEOSGeometry *search_box(contig_job *job, size_t i)
{
    double x0, y0, x1, y1;
    const GEOSGeometry *g = job->geom[i];
    if (GEOSGeom_getXMin_r(job->ctx, g, &x0) != 1 || GEOSGeom_getYMin_r(job->ctx, g, &y0) != 1 ||
        GEOSGeom_getXMax_r(job->ctx, g, &x1) != 1 || GEOSGeom_getYMax_r(job->ctx, g, &y1) != 1)
        return NULL;
    return GEOSGeom_createRectangle_r(job->ctx, x0 - job->tol, y0 - job->tol, x1 + job->tol,
                                      y1 + job->tol);
}

/* Test polygon i against its candidates j > i; push the neighbour pairs. */
static hs_status pairs_of(contig_job *job, GEOSSTRtree *tree, size_t i, cand_list *cand,
                          pair_list *pl, hs_error *err)
{
    cand->len = 0;
    GEOSGeometry *box = search_box(job, i);
    if (box == NULL)
        return geos_fail(job, err, "measure", i);
    GEOSSTRtree_query_r(job->ctx, tree, box, collect_candidate, cand);
    GEOSGeom_destroy_r(job->ctx, box);
    if (cand->failed)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for candidate neighbours");
    qsort(cand->idx, cand->len, sizeof *cand->idx, cmp_size);
    for (size_t k = 0; k < cand->len; k++) {
        size_t j = cand->idx[k];
        if (j <= i)
            continue;
        int nb = are_neighbours(job, i, j);
        if (nb < 0)
            return geos_fail(job, err, "compare", i);
        if (nb && !pairs_push(pl, i, j))
            return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for neighbour pairs");
    }
    return HS_OK;
}

static hs_status find_pairs(contig_job *job, pair_list *pl, hs_error *err)
{
    GEOSSTRtree *tree = GEOSSTRtree_create_r(job->ctx, 10);
    if (tree == NULL)
        return geos_fail(job, err, "index", 0);
    for (size_t i = 0; i < job->n; i++)
        if (GEOSisEmpty_r(job->ctx, job->geom[i]) == 0)
            GEOSSTRtree_insert_r(job->ctx, tree, job->geom[i], &job->ids[i]);
    cand_list cand = {0};
    hs_status st = HS_OK;
    for (size_t i = 0; i < job->n && st == HS_OK; i++)
        if (GEOSisEmpty_r(job->ctx, job->geom[i]) == 0)
            st = pairs_of(job, tree, i, &cand, pl, err);
    free(cand.idx);
    GEOSSTRtree_destroy_r(job->ctx, tree);
    return st;
}

/* ---- CSR from pairs -------------------------------------------------------------------- */

static hs_status pairs_to_csr(const pair_list *pl, size_t n, size_t **row_ptr, uint32_t **cols,
                              hs_error *err)
{
    size_t *rp = calloc(n + 1, sizeof *rp);
    uint32_t *c = malloc((pl->len > 0 ? 2 * pl->len : 1) * sizeof *c);
    size_t *fill = malloc((n ? n : 1) * sizeof *fill);
    if (rp == NULL || c == NULL || fill == NULL) {
        free(rp);
        free(c);
        free(fill);
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory for neighbour lists");
    }
    for (size_t k = 0; k < pl->len; k++) {
        rp[pl->a[k] + 1]++;
        rp[pl->b[k] + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        rp[i + 1] += rp[i];
    memcpy(fill, rp, n * sizeof *fill);
    /* Pairs come ordered by (a, b) with a < b, so row i receives its lower neighbours (as
     * the b of earlier pairs) in ascending order, then its higher ones: rows come out
     * sorted. */
    for (size_t k = 0; k < pl->len; k++) {
        c[fill[pl->a[k]]++] = pl->b[k];
        c[fill[pl->b[k]]++] = pl->a[k];
    }
    free(fill);
    *row_ptr = rp;
    *cols = c;
    return HS_OK;
}

static void report_islands(const size_t *rp, size_t n, size_t links, hs_contiguity_report *rep)
{
    rep->n_links = links;
    for (size_t i = 0; i < n; i++) {
        if (rp[i + 1] > rp[i])
            continue;
        if (rep->n_islands++ == 0)
            rep->first_island = i;
    }
}

/* ---- public ---------------------------------------------------------------------------- */

hs_status hs_contiguity_neighbours(const unsigned char *const *wkb, const size_t *wkb_size,
                                   size_t n, const hs_contiguity_params *p, size_t **row_ptr,
                                   uint32_t **cols, hs_contiguity_report *rep, hs_error *err)
{
    if (p == NULL || row_ptr == NULL || cols == NULL || (n > 0 && (wkb == NULL || !wkb_size)))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "contiguity: argument missing");
    if (!(p->snap_tolerance_m >= 0.0) || !isfinite(p->snap_tolerance_m) ||
        (p->rule != HS_CONTIGUITY_QUEEN && p->rule != HS_CONTIGUITY_ROOK))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "contiguity needs rule queen or rook and a snapping tolerance >= 0 "
                            "metres, got rule %d and %g",
                            (int)p->rule, p->snap_tolerance_m);
    if (n > HS_WEIGHTS_MAX_UNITS)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "%zu polygons exceed the limit", n);
    hs_contiguity_report local;
    hs_contiguity_report *r = rep != NULL ? rep : &local;
    memset(r, 0, sizeof *r);
    r->first_repaired = SIZE_MAX;
    r->first_island = SIZE_MAX;
    contig_job job;
    pair_list pl = {0};
    hs_status st = job_start(&job, wkb, wkb_size, n, p, r, err);
    if (st == HS_OK)
        st = find_pairs(&job, &pl, err);
    if (st == HS_OK)
        st = pairs_to_csr(&pl, n, row_ptr, cols, err);
    if (st == HS_OK)
        report_islands(*row_ptr, n, pl.len, r);
    free(pl.a);
    free(pl.b);
    job_free(&job);
    return st;
}

hs_status hs_contiguity_weights(const unsigned char *const *wkb, const size_t *wkb_size, size_t n,
                                const hs_contiguity_params *p, const hs_weights_params *wp,
                                hs_weights **out, hs_contiguity_report *rep, hs_error *err)
{
    size_t *rp = NULL;
    uint32_t *cols = NULL;
    hs_status st = hs_contiguity_neighbours(wkb, wkb_size, n, p, &rp, &cols, rep, err);
    if (st == HS_OK)
        st = hs_weights_from_neighbours(n, rp, cols, wp, out, err);
    free(rp);
    free(cols);
    return st;
}

/* wards.c - ward polygons and parallel point-in-polygon assignment (see wards.h).
 * Must not: share GEOS objects between threads, do statistics.
 *
 * Per point, GEOS 3.11 needs a point geometry, an STRtree query and a prepared covers test
 * (about 0.3 us with 289 wards). Two things spare most of them: a point outside the extent of
 * all wards is outside at once, and each thread remembers the wards of the points it located,
 * keyed by the exact bits of (x, y): police.uk rows sit on a fixed set of snap points, so most
 * points repeat. The answer for a point does not depend on the order points come in, so the
 * memo changes no output (bench_ingest's wards_unique case measures points that never repeat).
 */
#include "geo/wards.h"

#include "geo/transform.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <geos_c.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* GEOS messages for the calling thread's context go into this buffer. */
typedef struct geos_msg {
    char text[256]; /* last GEOS notice or error */
} geos_msg;

static void on_geos_message(const char *msg, void *userdata)
{
    geos_msg *m = userdata;
    snprintf(m->text, sizeof m->text, "%s", msg);
}

static GEOSContextHandle_t geos_start(geos_msg *m)
{
    GEOSContextHandle_t h = GEOS_init_r();
    if (h) {
        m->text[0] = '\0';
        GEOSContext_setErrorMessageHandler_r(h, on_geos_message, m);
        GEOSContext_setNoticeMessageHandler_r(h, on_geos_message, m);
    }
    return h;
}

void hs_wards_free(hs_wards *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->code[i]);
        free(w->name[i]);
        free(w->wkb[i]);
    }
    free(w->code);
    free(w->name);
    free(w->wkb);
    free(w->wkb_size);
    free(w->population);
    free(w->area_km2);
    free(w->centroid_x);
    free(w->centroid_y);
    memset(w, 0, sizeof *w);
}

static hs_status alloc_wards(hs_wards *w, size_t n)
{
    w->code = calloc(n, sizeof *w->code);
    w->name = calloc(n, sizeof *w->name);
    w->wkb = calloc(n, sizeof *w->wkb);
    w->wkb_size = calloc(n, sizeof *w->wkb_size);
    w->population = calloc(n, sizeof *w->population);
    w->area_km2 = calloc(n, sizeof *w->area_km2);
    w->centroid_x = calloc(n, sizeof *w->centroid_x);
    w->centroid_y = calloc(n, sizeof *w->centroid_y);
    if (!w->code || !w->name || !w->wkb || !w->wkb_size || !w->population || !w->area_km2 ||
        !w->centroid_x || !w->centroid_y)
        return HS_ENOMEM;
    return HS_OK;
}

/* Make the polygon valid, keep only its polygonal part, store WKB, area and centroid. */
static hs_status store_geometry(GEOSContextHandle_t h, geos_msg *m, GEOSGeometry *g,
                                hs_wards *w, size_t i, const char *path, long fid,
                                hs_error *err)
{
    hs_status st = HS_OK;
    GEOSGeometry *valid = NULL, *poly = NULL, *centroid = NULL;
    unsigned char *wkb = NULL;
    GEOSWKBWriter *writer = NULL;
    char *why = NULL;
    if (!GEOSisValid_r(h, g)) {
        why = GEOSisValidReason_r(h, g);
        valid = GEOSMakeValid_r(h, g);
        if (valid == NULL) {
            st = hs_error_set(err, HS_EDATA, path, 0, fid,
                              "ward %s is invalid (%s) and could not be repaired: %s", w->code[i],
                              why ? why : "?", m->text);
            goto fail;
        }
        /* MakeValid may return a collection with lines from collapsed slivers: keep the
         * polygons. */
        int t = GEOSGeomTypeId_r(h, valid);
        if (t == GEOS_GEOMETRYCOLLECTION) {
            int ng = GEOSGetNumGeometries_r(h, valid);
            GEOSGeometry **parts = malloc((size_t)(ng > 0 ? ng : 1) * sizeof *parts);
            int np = 0;
            if (parts == NULL) {
                st = HS_ENOMEM;
                goto fail;
            }
            for (int k = 0; k < ng; k++) {
                const GEOSGeometry *part = GEOSGetGeometryN_r(h, valid, k);
                int pt = GEOSGeomTypeId_r(h, part);
                if (pt == GEOS_POLYGON || pt == GEOS_MULTIPOLYGON)
                    parts[np++] = GEOSGeom_clone_r(h, part);
            }
            GEOSGeometry *coll =
                GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)np);
            free(parts);
            poly = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
            GEOSGeom_destroy_r(h, coll);
        } else {
            poly = GEOSGeom_clone_r(h, valid);
        }
        size_t used = strlen(w->repaired);
        snprintf(w->repaired + used, sizeof w->repaired - used, "%s%s (%s)", used ? "; " : "",
                 w->code[i], why ? why : "invalid");
        w->nrepaired++;
    } else {
        poly = GEOSGeom_clone_r(h, g);
    }
    if (poly == NULL || GEOSisEmpty_r(h, poly)) {
        st = hs_error_set(err, HS_EDATA, path, 0, fid, "ward %s has an empty polygon",
                          w->code[i]);
        goto fail;
    }
    double area = 0.0;
    GEOSArea_r(h, poly, &area);
    w->area_km2[i] = area / 1e6;
    centroid = GEOSGetCentroid_r(h, poly);
    if (centroid) {
        GEOSGeomGetX_r(h, centroid, &w->centroid_x[i]);
        GEOSGeomGetY_r(h, centroid, &w->centroid_y[i]);
    }
    writer = GEOSWKBWriter_create_r(h);
    size_t size = 0;
    wkb = writer ? GEOSWKBWriter_write_r(h, writer, poly, &size) : NULL;
    if (wkb == NULL) {
        st = hs_error_set(err, HS_EDEP, path, 0, fid, "GEOS could not write ward %s: %s",
                          w->code[i], m->text);
        goto fail;
    }
    w->wkb[i] = malloc(size);
    if (w->wkb[i] == NULL) {
        st = HS_ENOMEM;
        goto fail;
    }
    memcpy(w->wkb[i], wkb, size);
    w->wkb_size[i] = size;
fail:
    if (wkb)
        GEOSFree_r(h, wkb);
    if (why)
        GEOSFree_r(h, why);
    GEOSWKBWriter_destroy_r(h, writer);
    GEOSGeom_destroy_r(h, centroid);
    GEOSGeom_destroy_r(h, poly);
    GEOSGeom_destroy_r(h, valid);
    return st;
}

static int field_index(OGRFeatureDefnH defn, const char *name)
{
    return name ? OGR_FD_GetFieldIndex(defn, name) : -1;
}

hs_status hs_wards_read(const char *path, const hs_wards_params *p, hs_wards *w, hs_error *err)
{
    memset(w, 0, sizeof *w);
    snprintf(w->crs, sizeof w->crs, "%s", p->crs ? p->crs : "EPSG:27700");
    hs_status st = HS_OK;
    GDALDatasetH ds = NULL;
    OGRSpatialReferenceH dst = NULL;
    OGRCoordinateTransformationH ct = NULL;
    GEOSContextHandle_t h = NULL;
    GEOSWKBReader *reader = NULL;
    geos_msg m;

    ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (ds == NULL)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open the ward boundaries: %s",
                            CPLGetLastErrorMsg());
    OGRLayerH layer =
        p->layer ? GDALDatasetGetLayerByName(ds, p->layer) : GDALDatasetGetLayer(ds, 0);
    if (layer == NULL) {
        st = hs_error_set(err, HS_EDATA, path, 0, 0, "no layer '%s' (set [wards] layer)",
                          p->layer ? p->layer : "(first)");
        goto fail;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int icode = field_index(defn, p->code_field);
    int iname = field_index(defn, p->name_field);
    int ipop = field_index(defn, p->population_field);
    if (icode < 0 || (p->name_field && iname < 0) || (p->population_field && ipop < 0)) {
        const char *missing = icode < 0 ? p->code_field
                                        : (p->name_field && iname < 0 ? p->name_field
                                                                      : p->population_field);
        st = hs_error_set(err, HS_EDATA, path, 0, 0,
                          "layer '%s' has no field '%s' (check [wards] code/name/population)",
                          OGR_L_GetName(layer), missing ? missing : "(code field not set)");
        goto fail;
    }
    GIntBig count = OGR_L_GetFeatureCount(layer, 1);
    if (count <= 0) {
        st = hs_error_set(err, HS_EDATA, path, 0, 0, "layer '%s' has no wards",
                          OGR_L_GetName(layer));
        goto fail;
    }
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(layer);
    if (src == NULL) {
        st = hs_error_set(err, HS_EDATA, path, 0, 0,
                          "layer '%s' has no coordinate reference system", OGR_L_GetName(layer));
        goto fail;
    }
    dst = OSRNewSpatialReference(NULL);
    if (OSRSetFromUserInput(dst, w->crs) != OGRERR_NONE) {
        st = hs_error_set(err, HS_EDEP, NULL, 0, 0, "unknown CRS '%s'", w->crs);
        goto fail;
    }
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    if (!OSRIsSame(src, dst)) {
        ct = OCTNewCoordinateTransformation(src, dst);
        if (ct == NULL) {
            st = hs_error_set(err, HS_EDEP, path, 0, 0,
                              "cannot transform the ward polygons to %s: %s", w->crs,
                              CPLGetLastErrorMsg());
            goto fail;
        }
    }
    if ((st = alloc_wards(w, (size_t)count)) != HS_OK)
        goto fail;
    h = geos_start(&m);
    reader = h ? GEOSWKBReader_create_r(h) : NULL;
    if (reader == NULL) {
        st = hs_error_set(err, HS_EDEP, NULL, 0, 0, "cannot start GEOS");
        goto fail;
    }
    w->xmin = w->ymin = INFINITY;
    w->xmax = w->ymax = -INFINITY;
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    long fno = 0;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        fno++;
        if (w->n == (size_t)count) {
            OGR_F_Destroy(f);
            break;
        }
        size_t i = w->n;
        const char *code = OGR_F_GetFieldAsString(f, icode);
        if (code[0] == '\0') {
            st = hs_error_set(err, HS_EDATA, path, 0, fno, "feature has an empty ward code in "
                                                          "field '%s'",
                              p->code_field);
            OGR_F_Destroy(f);
            goto fail;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(w->code[k], code) == 0) {
                st = hs_error_set(err, HS_EDATA, path, 0, fno,
                                  "ward code %s appears twice (expected one feature per ward; "
                                  "dissolve multi-part wards first)",
                                  code);
                OGR_F_Destroy(f);
                goto fail;
            }
        }
        w->code[i] = dup_str(code);
        w->name[i] = dup_str(iname >= 0 ? OGR_F_GetFieldAsString(f, iname) : code);
        w->population[i] = NAN;
        if (ipop >= 0 && OGR_F_IsFieldSetAndNotNull(f, ipop))
            w->population[i] = OGR_F_GetFieldAsDouble(f, ipop);
        w->n++;
        if (!w->code[i] || !w->name[i]) {
            OGR_F_Destroy(f);
            st = HS_ENOMEM;
            goto fail;
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        OGRwkbGeometryType gt = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbNone;
        if (g == NULL || OGR_G_IsEmpty(g) || (gt != wkbPolygon && gt != wkbMultiPolygon)) {
            st = hs_error_set(err, HS_EDATA, path, 0, fno,
                              "ward %s: expected a polygon or multipolygon geometry", code);
            OGR_F_Destroy(f);
            goto fail;
        }
        OGRGeometryH gc = OGR_G_Clone(g);
        if (ct && OGR_G_Transform(gc, ct) != OGRERR_NONE) {
            OGR_G_DestroyGeometry(gc);
            OGR_F_Destroy(f);
            st = hs_error_set(err, HS_EDEP, path, 0, fno, "cannot transform ward %s to %s", code,
                              w->crs);
            goto fail;
        }
        OGR_G_FlattenTo2D(gc);
        int size = OGR_G_WkbSize(gc);
        unsigned char *buf = malloc((size_t)size);
        if (buf == NULL) {
            OGR_G_DestroyGeometry(gc);
            OGR_F_Destroy(f);
            st = HS_ENOMEM;
            goto fail;
        }
        OGR_G_ExportToIsoWkb(gc, wkbNDR, buf);
        OGR_G_DestroyGeometry(gc);
        OGR_F_Destroy(f);
        GEOSGeometry *gg = GEOSWKBReader_read_r(h, reader, buf, (size_t)size);
        free(buf);
        if (gg == NULL) {
            st = hs_error_set(err, HS_EDATA, path, 0, fno, "GEOS cannot read ward %s: %s", code,
                              m.text);
            goto fail;
        }
        st = store_geometry(h, &m, gg, w, i, path, fno, err);
        GEOSGeom_destroy_r(h, gg);
        if (st != HS_OK)
            goto fail;
        double x0, y0, x1, y1;
        GEOSGeometry *stored = GEOSWKBReader_read_r(h, reader, w->wkb[i], w->wkb_size[i]);
        if (stored && GEOSGeom_getXMin_r(h, stored, &x0) && GEOSGeom_getYMin_r(h, stored, &y0) &&
            GEOSGeom_getXMax_r(h, stored, &x1) && GEOSGeom_getYMax_r(h, stored, &y1)) {
            w->xmin = fmin(w->xmin, x0);
            w->ymin = fmin(w->ymin, y0);
            w->xmax = fmax(w->xmax, x1);
            w->ymax = fmax(w->ymax, y1);
        }
        GEOSGeom_destroy_r(h, stored);
    }
fail:
    if (reader)
        GEOSWKBReader_destroy_r(h, reader);
    if (h)
        GEOS_finish_r(h);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (dst)
        OSRDestroySpatialReference(dst);
    GDALClose(ds);
    if (st != HS_OK)
        hs_wards_free(w);
    return st;
}

/* ---- assignment ------------------------------------------------------------------------ */

/* One thread's GEOS objects. */
typedef struct ward_index {
    GEOSContextHandle_t h;          /* this thread's context */
    GEOSGeometry **geom;            /* ward polygons */
    const GEOSPreparedGeometry **prep; /* prepared polygons */
    GEOSSTRtree *tree;              /* envelope index; items point into slot */
    size_t *slot;                   /* slot[i] = i, the STRtree items */
    size_t n;                       /* wards */
    double xmin, ymin, xmax, ymax;  /* extent of all wards */
    hs_point_memo memo;             /* wards of the points located so far */
    geos_msg msg;                   /* GEOS messages */
} ward_index;

static void index_free(ward_index *x)
{
    if (x->h == NULL)
        return;
    if (x->tree)
        GEOSSTRtree_destroy_r(x->h, x->tree);
    for (size_t i = 0; i < x->n; i++) {
        if (x->prep && x->prep[i])
            GEOSPreparedGeom_destroy_r(x->h, x->prep[i]);
        if (x->geom && x->geom[i])
            GEOSGeom_destroy_r(x->h, x->geom[i]);
    }
    free(x->prep);
    free(x->geom);
    free(x->slot);
    hs_point_memo_free(&x->memo);
    GEOS_finish_r(x->h);
    x->h = NULL;
}

/* Widen the index's extent by geometry g; 0 when GEOS cannot tell g's bounds. */
static int index_extend(ward_index *x, const GEOSGeometry *g)
{
    double x0, y0, x1, y1;
    if (!GEOSGeom_getXMin_r(x->h, g, &x0) || !GEOSGeom_getYMin_r(x->h, g, &y0) ||
        !GEOSGeom_getXMax_r(x->h, g, &x1) || !GEOSGeom_getYMax_r(x->h, g, &y1))
        return 0;
    x->xmin = fmin(x->xmin, x0);
    x->ymin = fmin(x->ymin, y0);
    x->xmax = fmax(x->xmax, x1);
    x->ymax = fmax(x->ymax, y1);
    return 1;
}

static int index_build(ward_index *x, const hs_wards *w, size_t npoints)
{
    memset(x, 0, sizeof *x);
    x->h = geos_start(&x->msg);
    if (x->h == NULL)
        return 0;
    x->n = w->n;
    x->geom = calloc(w->n, sizeof *x->geom);
    x->prep = calloc(w->n, sizeof *x->prep);
    x->slot = malloc(w->n * sizeof *x->slot);
    x->tree = GEOSSTRtree_create_r(x->h, 10);
    GEOSWKBReader *r = GEOSWKBReader_create_r(x->h);
    int ok = x->geom && x->prep && x->slot && x->tree && r &&
             hs_point_memo_init(&x->memo, npoints) == HS_OK;
    x->xmin = x->ymin = INFINITY;
    x->xmax = x->ymax = -INFINITY;
    for (size_t i = 0; ok && i < w->n; i++) {
        x->slot[i] = i;
        x->geom[i] = GEOSWKBReader_read_r(x->h, r, w->wkb[i], w->wkb_size[i]);
        x->prep[i] = x->geom[i] ? GEOSPrepare_r(x->h, x->geom[i]) : NULL;
        ok = x->prep[i] != NULL && index_extend(x, x->geom[i]);
        if (ok)
            GEOSSTRtree_insert_r(x->h, x->tree, x->geom[i], &x->slot[i]);
    }
    if (r)
        GEOSWKBReader_destroy_r(x->h, r);
    return ok;
}

/* Candidate wards of one query, lowest index kept. */
typedef struct candidates {
    size_t idx[64]; /* candidate ward indices */
    size_t n;       /* how many (capped at 64; more are checked by a full scan) */
    int overflow;   /* more than 64 candidates */
} candidates;

static void on_candidate(void *item, void *userdata)
{
    candidates *c = userdata;
    if (c->n < 64)
        c->idx[c->n++] = *(const size_t *)item;
    else
        c->overflow = 1;
}

/* Sort the few candidates of a query in ascending ward order (insertion sort). */
static void sort_candidates(candidates *c)
{
    for (size_t i = 1; i < c->n; i++) {
        size_t v = c->idx[i], k = i;
        for (; k > 0 && c->idx[k - 1] > v; k--)
            c->idx[k] = c->idx[k - 1];
        c->idx[k] = v;
    }
}

/* The lowest ward covering (px, py), asking GEOS. */
static int32_t locate(ward_index *x, double px, double py)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(x->h, px, py);
    if (pt == NULL)
        return -1;
    candidates c = {.n = 0, .overflow = 0};
    GEOSSTRtree_query_r(x->h, x->tree, pt, on_candidate, &c);
    int32_t found = -1;
    if (c.overflow) {
        for (size_t i = 0; i < x->n && found < 0; i++)
            if (GEOSPreparedCovers_r(x->h, x->prep[i], pt) == 1)
                found = (int32_t)i;
    } else {
        sort_candidates(&c);
        for (size_t k = 0; k < c.n && found < 0; k++)
            if (GEOSPreparedCovers_r(x->h, x->prep[c.idx[k]], pt) == 1)
                found = (int32_t)c.idx[k];
    }
    GEOSGeom_destroy_r(x->h, pt);
    return found;
}

/* The lowest ward covering (px, py), or -1: the extent, then the memo, then GEOS. */
static int32_t locate_cached(ward_index *x, double px, double py)
{
    if (isnan(px) || isnan(py) || px < x->xmin || px > x->xmax || py < x->ymin ||
        py > x->ymax)
        return -1;
    int hit;
    double *v = hs_point_memo_get(&x->memo, px, py, &hit);
    if (v == NULL)
        return locate(x, px, py);
    if (!hit)
        v[0] = (double)locate(x, px, py);
    return (int32_t)v[0];
}

hs_status hs_wards_assign(const hs_wards *w, const double *x, const double *y, size_t n,
                          int32_t *ward_out, hs_error *err)
{
    int failed = 0;
#pragma omp parallel default(none) shared(w, x, y, n, ward_out, failed)
    {
        ward_index idx;
        int ok = index_build(&idx, w, n);
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
        /* Dynamic: a slowed-down thread takes fewer points; each answer is its own. */
#pragma omp for schedule(dynamic, 4096)
        for (size_t i = 0; i < n; i++)
            ward_out[i] = ok ? locate_cached(&idx, x[i], y[i]) : -1;
        index_free(&idx);
    }
    if (failed)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0,
                            "GEOS could not build the ward index on a thread");
    return HS_OK;
}

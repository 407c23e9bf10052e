/* cmd_gistar.c - `hotspot gistar INPUT -o OUT.gpkg|OUT.csv --value FIELD ...`: Getis-Ord Gi*
 * (engine/gistar) of polygons or points carrying a value, with weights from polygon contiguity
 * (geo/contiguity, GEOS), a distance band or k nearest neighbours (engine/weights), global
 * Moran's I (engine/moran) as the "is there clustering at all?" line, and the inference of
 * DESIGN.md: GiPValue the two-sided normal p of z, GiQValue its Benjamini-Hochberg q, Gi_Bin
 * from one of them, the engine's folded permutation pseudo p in GiPseudoP.
 *
 * INPUT: a CSV with x/y or easting/northing (in --crs) or longitude/latitude columns is read
 * with libcsv (fast for large grids); anything else with OGR, transformed to --crs.
 * Must not: compute statistics here; write anything but the output path on stdout.
 */
/* strfromd (ISO/IEC TS 18661-1, glibc >= 2.25): "%.17g" without printf's format parsing. */
#define __STDC_WANT_IEC_60559_BFP_EXT__ 1

#include "cli/commands_impl.h"
#include "cli/datadir.h"
#include "cli/log.h"
#include "cli/points.h"
#include "engine/gistar.h"
#include "engine/moran.h"
#include "engine/weights.h"
#include "geo/contiguity.h"
#include "geo/gpkg.h"
#include "geo/styles.h"
#include "geo/transform.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <csv.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    O_OUT,
    O_VALUE,
    O_ID,
    O_LAYER,
    O_WEIGHTS,
    O_SNAP,
    O_PERM,
    O_SEED,
    O_FDR,
    O_POP,
    O_ALPHA,
    O_CRS,
    O_COUNT
};

typedef enum weights_kind { W_DEFAULT, W_QUEEN, W_ROOK, W_DISTANCE, W_KNN } weights_kind;

/* The command's settings once checked. */
typedef struct gi_opts {
    const char *input;      /* INPUT */
    const char *output;     /* -o */
    int csv;                /* 1: CSV output, 0: GeoPackage */
    const char *value;      /* --value field */
    const char *id;         /* --id field, or NULL */
    const char *layer;      /* --layer */
    const char *population; /* --population field, or NULL */
    const char *crs;        /* --crs */
    weights_kind wk;        /* --weights */
    double band_m;          /* distance:D */
    size_t k;               /* knn:K */
    double snap_m;          /* --snap */
    hs_gistar_params gp;    /* permutations, seed, correction */
    double alpha;           /* --alpha */
} gi_opts;

/* The units as read: one per feature, in the layer's order. */
typedef struct gi_units {
    size_t n, cap;       /* units / allocated */
    char **id;           /* unit id text (owned) */
    double *value;       /* --value */
    double *population;  /* --population (NaN without) */
    double *x, *y;       /* point, or polygon centroid, in --crs (metres) */
    unsigned char **wkb; /* polygon in --crs, ISO WKB (owned); NULL entries for points */
    size_t *wkb_size;    /* bytes of each wkb */
    int polygons;        /* 1: a polygon layer, 0: points */
    char layer[256];     /* the input layer's name */
    char id_name[128];   /* name of the id column in outputs */
} gi_units;

/* ---- options ------------------------------------------------------------------------------ */

static int parse_weights(const char *text, gi_opts *go)
{
    unsigned long long k;
    if (strcasecmp(text, "queen") == 0)
        go->wk = W_QUEEN;
    else if (strcasecmp(text, "rook") == 0)
        go->wk = W_ROOK;
    else if (strncasecmp(text, "distance:", 9) == 0) {
        go->wk = W_DISTANCE;
        return hs_cli_number("--weights", text + 9, 0.0, 1, 1e8,
                             "distance:D with a band D in metres > 0", &go->band_m);
    } else if (strncasecmp(text, "knn:", 4) == 0) {
        go->wk = W_KNN;
        if (hs_cli_whole("--weights", text + 4, 1, 100000, "knn:K with a whole K >= 1", &k))
            return -1;
        go->k = (size_t)k;
    } else {
        hs_log_error("--weights: expected queen, rook, distance:D or knn:K, got '%s'", text);
        return -1;
    }
    return 0;
}

static int check_options(hs_cli_opt *o, gi_opts *go)
{
    if (hs_cli_require("gistar", &o[O_OUT]) || hs_cli_require("gistar", &o[O_VALUE]))
        return -1;
    go->output = o[O_OUT].value;
    go->csv = hs_cli_has_ext(go->output, ".csv");
    if (!go->csv && !hs_cli_has_ext(go->output, ".gpkg")) {
        hs_log_error("-o: expected a file name ending in .gpkg or .csv, got '%s'", go->output);
        return -1;
    }
    go->value = o[O_VALUE].value;
    go->id = o[O_ID].value;
    go->layer = o[O_LAYER].value;
    go->population = o[O_POP].value;
    go->crs = o[O_CRS].value ? o[O_CRS].value : "EPSG:27700";
    go->snap_m = HS_CONTIGUITY_DEFAULT_SNAP_M;
    if (o[O_WEIGHTS].value && parse_weights(o[O_WEIGHTS].value, go))
        return -1;
    if (o[O_SNAP].value && hs_cli_number("--snap", o[O_SNAP].value, 0.0, 0, 1e4,
                                         "a tolerance in metres >= 0", &go->snap_m))
        return -1;
    if (o[O_SNAP].value && (go->wk == W_DISTANCE || go->wk == W_KNN)) {
        hs_log_error("--snap applies to queen and rook weights only");
        return -1;
    }
    if (hs_cli_gi_options(o[O_PERM].value, o[O_SEED].value, o[O_FDR].value, o[O_ALPHA].value,
                          &go->gp, &go->alpha))
        return -1;
    return hs_cli_check_crs("--crs", go->crs);
}

/* ---- reading the units -------------------------------------------------------------------- */

static void units_free(gi_units *u)
{
    for (size_t i = 0; i < u->n; i++) {
        free(u->id[i]);
        free(u->wkb[i]);
    }
    free(u->id);
    free(u->value);
    free(u->population);
    free(u->x);
    free(u->y);
    free(u->wkb);
    free(u->wkb_size);
    memset(u, 0, sizeof *u);
}

static hs_status units_grow(gi_units *u)
{
    if (u->n < u->cap)
        return HS_OK;
    size_t cap = u->cap ? 2 * u->cap : 1024;
#define HS_GROW(f)                                                                                 \
    do {                                                                                           \
        void *p_ = realloc(u->f, cap * sizeof *u->f);                                              \
        if (p_ == NULL)                                                                            \
            return HS_ENOMEM;                                                                      \
        u->f = p_;                                                                                 \
    } while (0)
    HS_GROW(id);
    HS_GROW(value);
    HS_GROW(population);
    HS_GROW(x);
    HS_GROW(y);
    HS_GROW(wkb);
    HS_GROW(wkb_size);
#undef HS_GROW
    u->cap = cap;
    return HS_OK;
}

/* Open INPUT with OGR and find its layer. */
static hs_status open_input(const gi_opts *go, GDALDatasetH *ds, OGRLayerH *layer, hs_error *err)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    *ds = GDALOpenEx(go->input, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    CPLPopErrorHandler();
    if (*ds == NULL)
        return hs_cli_open_failure(go->input, "a vector data source", err);
    *layer = go->layer ? GDALDatasetGetLayerByName(*ds, go->layer) : GDALDatasetGetLayer(*ds, 0);
    if (*layer == NULL) {
        hs_status st = go->layer ? hs_cli_no_layer(*ds, go->input, go->layer, err)
                                 : hs_error_set(err, HS_EDATA, go->input, 0, 0, "no layer to read");
        GDALClose(*ds);
        return st;
    }
    if (OGR_L_GetGeomType(*layer) == wkbNone) {
        GDALClose(*ds);
        return hs_error_set(err, HS_EDATA, go->input, 0, 0,
                            "layer '%s' has no geometry (expected polygons, points, or a CSV "
                            "with x/y, easting/northing or longitude/latitude columns)",
                            go->layer ? go->layer : "(first)");
    }
    return HS_OK;
}

/* Index of a field named by an option; HS_EINVAL naming the option when it is missing. */
static hs_status field_of(OGRFeatureDefnH d, const char *name, const char *opt, const char *path,
                          int *idx, hs_error *err)
{
    *idx = OGR_FD_GetFieldIndex(d, name);
    if (*idx >= 0)
        return HS_OK;
    char list[512] = "";
    for (int f = 0; f < OGR_FD_GetFieldCount(d); f++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", f ? ", " : "",
                 OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, f)));
    return hs_error_set(err, HS_EINVAL, path, 0, 0, "%s: no field '%s' (fields: %s)", opt, name,
                        list);
}

/* Coordinate column pairs of a CSV, in order of preference; pairs from index 2 on are degrees. */
static const char *const xy_pairs[][2] = {{"x", "y"},
                                          {"easting", "northing"},
                                          {"longitude", "latitude"},
                                          {"lon", "lat"},
                                          {"long", "lat"}};
#define N_XY_PAIRS (sizeof xy_pairs / sizeof xy_pairs[0])

static int is_coord_name(const char *name)
{
    for (size_t k = 0; k < N_XY_PAIRS; k++)
        if (strcasecmp(name, xy_pairs[k][0]) == 0 || strcasecmp(name, xy_pairs[k][1]) == 0)
            return 1;
    return 0;
}

/* The default id: the first text field that is not the value, population or a coordinate
 * column; -1 (feature number) when there is none. */
static int default_id_field(OGRFeatureDefnH d, int iv, int ip)
{
    for (int f = 0; f < OGR_FD_GetFieldCount(d); f++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(d, f);
        if (f != iv && f != ip && !is_coord_name(OGR_Fld_GetNameRef(fd)) &&
            OGR_Fld_GetType(fd) == OFTString)
            return f;
    }
    return -1;
}

/* Text as a finite number (surrounding spaces allowed): 1 with *v set, else 0. */
static int parse_number(const char *s, double *v)
{
    while (*s == ' ')
        s++;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    while (*end == ' ' || *end == '\r')
        end++;
    return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

/* A numeric field of feature f: 1 with *v set, 0 when empty or not a finite number. */
static int number_of(OGRFeatureH f, int idx, double *v)
{
    if (!OGR_F_IsFieldSetAndNotNull(f, idx))
        return 0;
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx));
    if (t == OFTInteger || t == OFTInteger64 || t == OFTReal) {
        *v = OGR_F_GetFieldAsDouble(f, idx);
        return isfinite(*v);
    }
    return parse_number(OGR_F_GetFieldAsString(f, idx), v);
}

/* The geometry of one feature, transformed, into unit i. */
static hs_status take_geometry(gi_units *u, size_t i, OGRGeometryH g,
                               OGRCoordinateTransformationH ct, const char *path, hs_error *err)
{
    u->wkb[i] = NULL;
    u->wkb_size[i] = 0;
    if (g == NULL || OGR_G_IsEmpty(g))
        return hs_error_set(err, HS_EDATA, path, 0, (long)i + 1, "unit %s has no geometry",
                            u->id[i]);
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    int poly = t == wkbPolygon || t == wkbMultiPolygon;
    if (!poly && t != wkbPoint)
        return hs_error_set(err, HS_EDATA, path, 0, (long)i + 1,
                            "unit %s is a %s; expected points or polygons", u->id[i],
                            OGRGeometryTypeToName(t));
    if (i == 0)
        u->polygons = poly;
    if (poly != u->polygons)
        return hs_error_set(err, HS_EDATA, path, 0, (long)i + 1,
                            "unit %s is a %s, the first unit a %s: expected one kind", u->id[i],
                            poly ? "polygon" : "point", u->polygons ? "polygon" : "point");
    if (ct && OGR_G_Transform(g, ct) != OGRERR_NONE)
        return hs_error_set(err, HS_EDATA, path, 0, (long)i + 1,
                            "unit %s cannot be transformed to the job CRS: %s", u->id[i],
                            CPLGetLastErrorMsg());
    if (!poly) {
        u->x[i] = OGR_G_GetX(g, 0);
        u->y[i] = OGR_G_GetY(g, 0);
        return HS_OK;
    }
    OGRGeometryH c = OGR_G_CreateGeometry(wkbPoint);
    int ok = c && OGR_G_Centroid(g, c) == OGRERR_NONE;
    u->x[i] = ok ? OGR_G_GetX(c, 0) : (double)NAN;
    u->y[i] = ok ? OGR_G_GetY(c, 0) : (double)NAN;
    OGR_G_DestroyGeometry(c);
    size_t n = (size_t)OGR_G_WkbSize(g);
    u->wkb[i] = malloc(n);
    if (u->wkb[i] == NULL)
        return HS_ENOMEM;
    OGR_G_ExportToIsoWkb(g, wkbNDR, u->wkb[i]);
    u->wkb_size[i] = n;
    return HS_OK;
}

/* id, value and population of one feature into unit i. */
static hs_status take_attributes(gi_units *u, size_t i, OGRFeatureH f, const int idx[3],
                                 const gi_opts *go, hs_error *err)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", i + 1);
    const char *id = idx[0] >= 0 && OGR_F_IsFieldSetAndNotNull(f, idx[0])
                         ? OGR_F_GetFieldAsString(f, idx[0])
                         : num;
    u->id[i] = strdup(id);
    if (u->id[i] == NULL)
        return HS_ENOMEM;
    u->population[i] = NAN;
    if (!number_of(f, idx[1], &u->value[i]))
        return hs_error_set(err, HS_EDATA, go->input, 0, (long)i + 1,
                            "unit %s: --value field %s is '%s', expected a number >= 0", u->id[i],
                            go->value, OGR_F_GetFieldAsString(f, idx[1]));
    if (idx[2] >= 0 && !number_of(f, idx[2], &u->population[i]))
        return hs_error_set(err, HS_EDATA, go->input, 0, (long)i + 1,
                            "unit %s: --population field %s is '%s', expected a number > 0",
                            u->id[i], go->population, OGR_F_GetFieldAsString(f, idx[2]));
    return HS_OK;
}

/* The transformation from the layer's CRS (--crs when it has none) to --crs; NULL when
 * they are the same. */
static hs_status make_transform(OGRLayerH layer, const char *crs, OGRCoordinateTransformationH *ct,
                                hs_error *err)
{
    *ct = NULL;
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(layer);
    OGRSpatialReferenceH own = NULL, dst = OSRNewSpatialReference(NULL);
    if (src == NULL) {
        own = OSRNewSpatialReference(NULL);
        OSRSetFromUserInput(own, crs);
        src = own;
    }
    OSRSetFromUserInput(dst, crs);
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH s2 = OSRClone(src);
    OSRSetAxisMappingStrategy(s2, OAMS_TRADITIONAL_GIS_ORDER);
    hs_status st = HS_OK;
    if (!OSRIsSame(s2, dst)) {
        *ct = OCTNewCoordinateTransformation(s2, dst);
        if (*ct == NULL)
            st = hs_error_set(err, HS_EDEP, NULL, 0, 0, "cannot transform the input to %s: %s", crs,
                              CPLGetLastErrorMsg());
    }
    OSRDestroySpatialReference(s2);
    OSRDestroySpatialReference(own);
    OSRDestroySpatialReference(dst);
    return st;
}

static hs_status read_units_ogr(const gi_opts *go, gi_units *u, hs_error *err)
{
    GDALDatasetH ds = NULL;
    OGRLayerH layer = NULL;
    hs_status st = open_input(go, &ds, &layer, err);
    if (st != HS_OK)
        return st;
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    int idx[3] = {-1, -1, -1}; /* id, value, population */
    st = field_of(d, go->value, "--value", go->input, &idx[1], err);
    if (st == HS_OK && go->population)
        st = field_of(d, go->population, "--population", go->input, &idx[2], err);
    if (st == HS_OK && go->id)
        st = field_of(d, go->id, "--id", go->input, &idx[0], err);
    else if (st == HS_OK)
        idx[0] = default_id_field(d, idx[1], idx[2]);
    snprintf(u->layer, sizeof u->layer, "%s", OGR_L_GetName(layer));
    snprintf(u->id_name, sizeof u->id_name, "%s", go->id ? go->id : "id");
    if (idx[0] >= 0 && !go->id)
        hs_log_verbose("gistar: units identified by their field %s",
                       OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, idx[0])));
    OGRCoordinateTransformationH ct = NULL;
    if (st == HS_OK)
        st = make_transform(layer, go->crs, &ct, err);
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while (st == HS_OK && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        st = units_grow(u);
        if (st == HS_OK) {
            size_t i = u->n++;
            u->id[i] = NULL;
            u->wkb[i] = NULL;
            st = take_attributes(u, i, f, idx, go, err);
            if (st == HS_OK)
                st = take_geometry(u, i, OGR_F_GetGeometryRef(f), ct, go->input, err);
        }
        OGR_F_Destroy(f);
    }
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    GDALClose(ds);
    return st;
}

/* ---- reading a CSV of points (libcsv: faster than OGR for large grids) ------------------- */

typedef struct csv_units {
    gi_units *u;       /* units being filled */
    const gi_opts *go; /* options */
    hs_error *err;     /* where a failure goes */
    hs_status st;      /* first failure; stops the parse */
    int header_done;   /* 1 after the header record */
    char **header;     /* header names (CSL) */
    size_t nfield;     /* fields of the current record so far */
    int col[5];        /* columns of id, value, population, x, y; -1 = absent */
    int degrees;       /* x/y are longitude/latitude */
    int bad_col;       /* first column that failed to parse in this record, -1 = none */
    char bad_text[64]; /* its text */
} csv_units;

enum { C_ID, C_VALUE, C_POP, C_X, C_Y };

static void csv_on_field(void *s, size_t len, void *data)
{
    csv_units *c = data;
    if (c->st != HS_OK)
        return;
    const char *text = s ? s : "";
    size_t k = c->nfield++;
    if (!c->header_done) {
        if (k == 0 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;
        c->header = CSLAddString(c->header, text);
        return;
    }
    gi_units *u = c->u;
    if (k == 0) {
        c->st = units_grow(u);
        if (c->st != HS_OK)
            return;
        u->id[u->n] = NULL;
        u->wkb[u->n] = NULL;
        u->wkb_size[u->n] = 0;
        u->population[u->n] = NAN;
        c->bad_col = -1;
    }
    double *dst[5] = {NULL, &u->value[u->n], &u->population[u->n], &u->x[u->n], &u->y[u->n]};
    for (int m = 0; m < 5; m++) {
        if (c->col[m] != (int)k)
            continue;
        if (m == C_ID) {
            u->id[u->n] = strdup(text);
            c->st = u->id[u->n] ? HS_OK : HS_ENOMEM;
        } else if (!parse_number(text, dst[m]) && c->bad_col < 0) {
            c->bad_col = m;
            snprintf(c->bad_text, sizeof c->bad_text, "%.60s", text);
        }
    }
}

/* Find the columns named by the options and the coordinate pair. */
static hs_status csv_columns(csv_units *c, int *no_xy)
{
    const gi_opts *go = c->go;
    const char *names[3] = {go->id, go->value, go->population};
    const char *opts[3] = {"--id", "--value", "--population"};
    for (int m = 0; m < 5; m++)
        c->col[m] = -1;
    for (size_t k = 0; k < N_XY_PAIRS && c->col[C_X] < 0; k++) {
        int ix = CSLFindString(c->header, xy_pairs[k][0]);
        int iy = CSLFindString(c->header, xy_pairs[k][1]);
        if (ix >= 0 && iy >= 0) {
            c->col[C_X] = ix;
            c->col[C_Y] = iy;
            c->degrees = k >= 2;
        }
    }
    *no_xy = c->col[C_X] < 0;
    if (*no_xy)
        return HS_OK;
    for (int m = 0; m < 3; m++) {
        if (names[m] == NULL)
            continue;
        c->col[m] = CSLFindString(c->header, names[m]);
        if (c->col[m] < 0) {
            char list[512] = "";
            for (char **h = c->header; h && *h; h++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         h == c->header ? "" : ", ", *h);
            return hs_error_set(c->err, HS_EINVAL, go->input, 1, 0,
                                "%s: no column '%s' (columns: %s)", opts[m], names[m], list);
        }
    }
    for (int k = 0; c->col[C_ID] < 0 && c->header[k]; k++)
        if (k != c->col[C_VALUE] && k != c->col[C_POP] && !is_coord_name(c->header[k]))
            c->col[C_ID] = k;
    return HS_OK;
}

/* Check the record just read and keep it as a unit. */
static hs_status csv_take_row(csv_units *c)
{
    gi_units *u = c->u;
    size_t i = u->n, nh = (size_t)CSLCount(c->header);
    const char *what[5] = {"", "--value", "--population", "x", "y"};
    if (u->id[i] == NULL) {
        char num[32];
        snprintf(num, sizeof num, "%zu", i + 1);
        u->id[i] = strdup(num);
    }
    u->n++;
    if (u->id[i] == NULL)
        return HS_ENOMEM;
    if (c->nfield != nh)
        return hs_error_set(c->err, HS_EDATA, c->go->input, 0, (long)i + 1,
                            "expected %zu fields as in the header, found %zu", nh, c->nfield);
    if (c->bad_col >= 0)
        return hs_error_set(c->err, HS_EDATA, c->go->input, 0, (long)i + 1,
                            "unit %s: %s column %s is '%s', expected a number%s", u->id[i],
                            what[c->bad_col], c->header[c->col[c->bad_col]], c->bad_text,
                            c->bad_col == C_VALUE ? " >= 0" : "");
    return HS_OK;
}

static void csv_on_record(int ch, void *data)
{
    (void)ch;
    csv_units *c = data;
    if (c->st == HS_OK && c->nfield > 0) {
        if (c->header_done) {
            c->st = csv_take_row(c);
        } else {
            c->header_done = 1;
            int no_xy = 0;
            c->st = csv_columns(c, &no_xy);
            if (c->st == HS_OK && no_xy)
                c->st = HS_ECANCELLED; /* not a CSV of points: OGR reads it */
        }
    }
    c->nfield = 0;
}

/* Put degrees into the job CRS. */
static hs_status csv_transform(gi_units *u, const gi_opts *go, hs_error *err)
{
    size_t failed = 0;
    hs_status st =
        hs_transform_points("EPSG:4326", go->crs, u->x, u->y, u->x, u->y, u->n, &failed, NULL, err);
    for (size_t i = 0; st == HS_OK && failed && i < u->n; i++)
        if (!isfinite(u->x[i]) || !isfinite(u->y[i]))
            st = hs_error_set(err, HS_EDATA, go->input, 0, (long)i + 1,
                              "unit %s: longitude/latitude cannot be transformed to %s", u->id[i],
                              go->crs);
    return st;
}

/* Read a CSV of points. *fallback = 1 (nothing read) when it has no x/y column pair. */
static hs_status read_units_csv(const gi_opts *go, gi_units *u, int *fallback, hs_error *err)
{
    *fallback = 0;
    FILE *f = fopen(go->input, "rb");
    if (f == NULL)
        return hs_error_set(err, HS_EDATA, go->input, 0, 0, "cannot open: %s", strerror(errno));
    struct csv_parser p;
    csv_units c = {.u = u, .go = go, .err = err, .st = HS_OK};
    char *chunk = malloc(1 << 20);
    if (chunk == NULL || csv_init(&p, CSV_APPEND_NULL) != 0) {
        free(chunk);
        fclose(f);
        return HS_ENOMEM;
    }
    size_t got;
    while (c.st == HS_OK && (got = fread(chunk, 1, 1 << 20, f)) > 0)
        if (csv_parse(&p, chunk, got, csv_on_field, csv_on_record, &c) != got && c.st == HS_OK)
            c.st = hs_error_set(err, HS_EDATA, go->input, 0, (long)u->n + 1, "CSV parse error: %s",
                                csv_strerror(csv_error(&p)));
    if (c.st == HS_OK)
        csv_fini(&p, csv_on_field, csv_on_record, &c);
    if (c.st == HS_OK && !c.header_done)
        c.st = hs_error_set(err, HS_EDATA, go->input, 0, 0, "empty file (expected a header)");
    if (c.st == HS_ECANCELLED) {
        *fallback = 1;
        c.st = HS_OK;
    }
    snprintf(u->layer, sizeof u->layer, "%s", CPLGetBasename(go->input));
    snprintf(u->id_name, sizeof u->id_name, "%s", go->id ? go->id : "id");
    if (c.st == HS_OK && !*fallback && c.degrees)
        c.st = csv_transform(u, go, err);
    CSLDestroy(c.header);
    csv_free(&p);
    free(chunk);
    fclose(f);
    return c.st;
}

static hs_status read_units(const gi_opts *go, gi_units *u, hs_error *err)
{
    memset(u, 0, sizeof *u);
    int fallback = 1;
    hs_status st = HS_OK;
    if (go->layer == NULL &&
        (hs_cli_has_ext(go->input, ".csv") || hs_cli_has_ext(go->input, ".txt")))
        st = read_units_csv(go, u, &fallback, err);
    if (st == HS_OK && fallback) {
        units_free(u);
        st = read_units_ogr(go, u, err);
    }
    if (st == HS_OK && u->n < 3)
        st = hs_error_set(err, HS_EDATA, go->input, 0, 0,
                          "%zu unit(s); Gi* needs at least 3 units with a value", u->n);
    return st;
}

/* ---- weights ------------------------------------------------------------------------------ */

/* The Gi* weights (binary, self included) of --weights. */
static hs_status gistar_weights(const gi_units *u, const gi_opts *go, hs_weights **w, hs_error *err)
{
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    if (go->wk == W_DISTANCE)
        return hs_weights_build_distance_band(u->x, u->y, u->n, go->band_m, &wp, w, err);
    if (go->wk == W_KNN) {
        if (go->k >= u->n)
            return hs_error_set(err, HS_EINVAL, go->input, 0, 0,
                                "--weights knn:%zu needs K below the number of units (%zu)", go->k,
                                u->n);
        return hs_weights_build_knn(u->x, u->y, u->n, go->k, &wp, w, err);
    }
    if (!u->polygons)
        return hs_error_set(err, HS_EINVAL, go->input, 0, 0,
                            "--weights %s needs polygons; INPUT holds points: use distance:D "
                            "or knn:K",
                            go->wk == W_QUEEN ? "queen" : "rook");
    hs_contiguity_params cp = {.rule = go->wk == W_ROOK ? HS_CONTIGUITY_ROOK : HS_CONTIGUITY_QUEEN,
                               .snap_tolerance_m = go->snap_m};
    hs_contiguity_report rep;
    hs_status st = hs_contiguity_weights((const unsigned char *const *)u->wkb, u->wkb_size, u->n,
                                         &cp, &wp, w, &rep, err);
    if (st == HS_OK && rep.n_repaired)
        hs_log_warn("gistar: %zu invalid polygon(s) repaired for contiguity (first: unit %s: %s)",
                    rep.n_repaired, u->id[rep.first_repaired], rep.repaired_reason);
    return st;
}

/* Gi* weights and, for Moran's I, the same neighbours without the unit itself (the builder
 * from neighbour lists leaves out each unit's own entry). */
static hs_status build_weights(const gi_units *u, const gi_opts *go, hs_weights **w,
                               hs_weights **wm, hs_error *err)
{
    hs_status st = gistar_weights(u, go, w, err);
    if (st != HS_OK)
        return st;
    hs_weights_params noself;
    hs_weights_params_default(&noself);
    noself.include_self = 0;
    return hs_weights_from_neighbours(u->n, hs_weights_row_ptr(*w), hs_weights_cols(*w), &noself,
                                      wm, err);
}

/* ---- analysis ----------------------------------------------------------------------------- */

/* Restate a bad-value error of the engine (err->row = unit index + 1) with the file, the
 * unit's id and the field: the value (or, for rates, the population) that is not allowed. */
static void name_unit(hs_error *err, const gi_units *u, const gi_opts *go, const double *x)
{
    if (err->row < 1 || (size_t)err->row > u->n)
        return;
    size_t i = (size_t)err->row - 1;
    int bad_pop = go->population && u->value[i] >= 0.0 && !(u->population[i] > 0.0);
    if (bad_pop)
        hs_error_set(err, HS_EDATA, go->input, 0, err->row,
                     "unit %s: --population %s is %g; a rate per 1,000 needs a number > 0",
                     u->id[i], go->population, u->population[i]);
    else
        hs_error_set(err, HS_EDATA, go->input, 0, err->row,
                     "unit %s: --value %s is %g; expected a count or rate >= 0", u->id[i],
                     go->value, x[i]);
}

static void log_moran(const hs_weights *wm, const double *x, double alpha)
{
    hs_moran_result m;
    hs_error e;
    hs_error_clear(&e);
    if (hs_moran_global(wm, x, HS_MORAN_RANDOMISATION, &m, &e) != HS_OK) {
        hs_log_info("gistar: global Moran's I not computed: %s", e.what);
        return;
    }
    hs_log_info("gistar: global Moran's I = %.6f (expected %.6f), z = %.4f, p = %.4g "
                "(two-sided, randomisation): %s",
                m.I, m.expected, m.z, m.p_two_sided, hs_moran_verdict(&m, alpha));
}

static hs_status analyse(const gi_units *u, const gi_opts *go, hs_gi_arrays *a, hs_error *err)
{
    hs_weights *w = NULL, *wm = NULL;
    hs_status st = hs_gi_arrays_alloc(a, u->n, go->gp.permutations > 0);
    if (st == HS_OK) {
        memcpy(a->value, u->value, u->n * sizeof *a->value);
        if (go->population) {
            st = hs_gistar_rates_per_1000(u->value, u->population, u->n, a->value, err);
            if (st == HS_EDATA)
                name_unit(err, u, go, u->value);
        }
    }
    if (st == HS_OK)
        st = build_weights(u, go, &w, &wm, err);
    hs_gistar_out out = hs_gi_engine_out(a);
    hs_gistar_summary sum;
    if (st == HS_OK) {
        st = hs_gistar_compute(w, a->value, &go->gp, &out, &sum, err);
        if (st == HS_EDATA)
            name_unit(err, u, go, a->value);
    }
    if (st == HS_OK)
        st = hs_gi_finish(a, go->gp.correction == HS_GISTAR_BIN_ON_FDR, err);
    if (st == HS_OK) {
        hs_log_info("gistar: n = %zu %s, %zu island(s) (no neighbour: NULL statistics), mean "
                    "%.6g, sd %.6g",
                    sum.n_units, u->polygons ? "polygons" : "points", sum.n_islands, sum.mean,
                    sum.sd);
        if (sum.n_islands)
            hs_log_warn("gistar: unit %s has no neighbour (first of %zu islands)",
                        u->id[sum.first_island], sum.n_islands);
        if (sum.zero_variance)
            hs_log_warn("gistar: every unit has the same value: no hot or cold spots");
        log_moran(wm, a->value, go->alpha);
        size_t hot, cold;
        hs_gi_count(a, go->alpha, go->gp.correction == HS_GISTAR_BIN_ON_FDR, &hot, &cold);
        hs_log_info("gistar: %zu hot and %zu cold spot(s) at alpha %g (%s)", hot, cold, go->alpha,
                    go->gp.correction == HS_GISTAR_BIN_ON_FDR ? "GiQValue" : "GiPValue");
    }
    hs_weights_destroy(w);
    hs_weights_destroy(wm);
    return st;
}

/* ---- output ------------------------------------------------------------------------------- */

/* Rows per block of CSV text; blocks are formatted in parallel and written in order, so the
 * file is the same at any thread count. */
#define HS_CSV_BLOCK 4096

/* s as a CSV field (quoted when it holds a comma, quote or line break) at d; returns the
 * length. d has room for 2 * strlen(s) + 2 bytes. */
static size_t put_text(char *d, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        size_t n = strlen(s);
        memcpy(d, s, n);
        return n;
    }
    size_t k = 0;
    d[k++] = '"';
    for (; *s; s++) {
        if (*s == '"')
            d[k++] = '"';
        d[k++] = *s;
    }
    d[k++] = '"';
    return k;
}

/* The decimal digits of v at d (printf's "%lld", without its cost); returns the length. */
static size_t put_int(char *d, long long v)
{
    char tmp[24];
    size_t n = 0, k = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        d[k++] = '-';
    while (n)
        d[k++] = tmp[--n];
    return k;
}

/* ",value" (nothing after the comma for NULL) at d; at most 32 bytes. Whole numbers below
 * 2^53 are written as integers, which is what "%.17g" writes for them. */
static size_t put_value(char *d, const hs_value *v, hs_field_type t)
{
    d[0] = ',';
    if (v->is_null)
        return 1;
    if (t == HS_FIELD_INT)
        return 1 + put_int(d + 1, (long long)v->i);
    if (v->d == floor(v->d) && fabs(v->d) < 9007199254740992.0 && !(v->d == 0.0 && signbit(v->d)))
        return 1 + put_int(d + 1, (long long)v->d);
    return 1 + (size_t)strfromd(d + 1, 31, "%.17g", v->d);
}

/* Bytes one row may take at most. */
static size_t row_bound(const gi_units *u, size_t i)
{
    return 2 * strlen(u->id[i]) + 2 + 1 + (3 + HS_GI_NFIELDS) * 32;
}

/* Row i at d; returns its length. */
static size_t put_row(char *d, const gi_units *u, const gi_opts *go, const hs_gi_arrays *a,
                      size_t i, size_t ngi)
{
    size_t k = put_text(d, u->id[i]);
    hs_value v[3 + HS_GI_NFIELDS];
    size_t nv = 0;
    v[nv++] = (hs_value){.d = u->value[i]};
    if (go->population) {
        v[nv++] = (hs_value){.d = u->population[i]};
        v[nv++] = (hs_value){.d = a->value[i]};
    }
    for (size_t m = 0; m < nv; m++)
        k += put_value(d + k, &v[m], HS_FIELD_REAL);
    hs_gi_values(a, i, v);
    for (size_t m = 0; m < ngi; m++)
        k += put_value(d + k, &v[m], hs_gi_fields[m].type);
    d[k++] = '\n';
    return k;
}

/* Block b's rows as text (*text malloc'd, *len bytes); 0, or -1 when out of memory. */
static int format_block(const gi_units *u, const gi_opts *go, const hs_gi_arrays *a, size_t ngi,
                        size_t b, char **text, size_t *len)
{
    size_t lo = b * HS_CSV_BLOCK, hi = lo + HS_CSV_BLOCK < u->n ? lo + HS_CSV_BLOCK : u->n;
    size_t cap = 1;
    for (size_t i = lo; i < hi; i++)
        cap += row_bound(u, i);
    *text = malloc(cap);
    *len = 0;
    if (*text == NULL)
        return -1;
    for (size_t i = lo; i < hi; i++)
        *len += put_row(*text + *len, u, go, a, i, ngi);
    return 0;
}

static void write_header(FILE *f, const gi_units *u, const gi_opts *go, size_t ngi)
{
    char buf[600];
    size_t k = put_text(buf, u->id_name);
    buf[k++] = ',';
    k += put_text(buf + k, go->value);
    fwrite(buf, 1, k, f);
    if (go->population) {
        fputc(',', f);
        k = put_text(buf, go->population);
        fwrite(buf, 1, k, f);
        fputs(",rate_per_1000", f);
    }
    for (size_t m = 0; m < ngi; m++)
        fprintf(f, ",%s", hs_gi_fields[m].name);
    fputc('\n', f);
}

/* Header and every row to f; 0, or -1 when out of memory. */
static int write_rows(FILE *f, const gi_units *u, const gi_opts *go, const hs_gi_arrays *a)
{
    size_t ngi = a->pseudo ? HS_GI_NFIELDS : HS_GI_NFIELDS - 1;
    size_t nb = (u->n + HS_CSV_BLOCK - 1) / HS_CSV_BLOCK;
    char **text = calloc(nb ? nb : 1, sizeof *text);
    size_t *len = calloc(nb ? nb : 1, sizeof *len);
    int fail = text == NULL || len == NULL;
    write_header(f, u, go, ngi);
    if (!fail) {
#pragma omp parallel for default(none) shared(u, go, a, ngi, nb, text, len) reduction(|            \
                                                                                      : fail)      \
    schedule(dynamic, 1)
        for (size_t b = 0; b < nb; b++)
            fail |= format_block(u, go, a, ngi, b, &text[b], &len[b]) != 0;
    }
    for (size_t b = 0; !fail && b < nb; b++)
        fwrite(text[b], 1, len[b], f);
    for (size_t b = 0; text && b < nb; b++)
        free(text[b]);
    free(text);
    free(len);
    return fail ? -1 : 0;
}

/* The CSV of DESIGN.md: id column first, then the value, then the Gi* fields; written to a
 * temporary sibling and renamed over OUT. */
static hs_status write_csv(const gi_units *u, const gi_opts *go, const hs_gi_arrays *a,
                           hs_error *err)
{
    char tmp[4200];
    hs_status st = hs_make_parent_dirs(go->output, err);
    if (st != HS_OK)
        return st;
    hs_temp_sibling(go->output, ".csv", tmp, sizeof tmp);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return hs_error_set(err, HS_EIO, go->output, 0, 0, "cannot write: %s", strerror(errno));
    if (write_rows(f, u, go, a) != 0) {
        fclose(f);
        remove(tmp);
        return HS_ENOMEM;
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, go->output) != 0) {
        st = hs_error_set(err, HS_EIO, go->output, 0, 0, "cannot write: %s", strerror(errno));
        remove(tmp);
    }
    return st;
}

/* The Gi* style (data/styles/gistar.qml on Gi_Bin) as the layer's default. */
static hs_status style_layer(hs_gpkg *gp, const char *layer, hs_error *err)
{
    char *tmpl = NULL, *qml = NULL;
    const hs_style_var field[] = {{"FIELD", "Gi_Bin"}};
    hs_status st = hs_style_read_template(hs_data_dir(), "gistar.qml", &tmpl, err);
    if (st == HS_OK)
        st = hs_style_fill(tmpl, "gistar.qml", field, 1, NULL, 0, &qml, err);
    if (st == HS_OK)
        st = hs_style_write_default(hs_gpkg_dataset(gp), layer, qml, err);
    free(tmpl);
    free(qml);
    return st;
}

static hs_status write_layer(hs_gpkg *gp, const char *name, const gi_units *u, const gi_opts *go,
                             const hs_gi_arrays *a, hs_error *err)
{
    hs_field_def fields[4 + HS_GI_NFIELDS];
    size_t nf = 0;
    fields[nf++] = (hs_field_def){u->id_name, HS_FIELD_STRING, "Unit id"};
    fields[nf++] = (hs_field_def){go->value, HS_FIELD_REAL, "The value (--value)"};
    if (go->population) {
        fields[nf++] = (hs_field_def){go->population, HS_FIELD_REAL, "Residents (--population)"};
        fields[nf++] = (hs_field_def){"rate_per_1000", HS_FIELD_REAL, "Value per 1,000 residents"};
    }
    size_t first_gi = nf, ngi = a->pseudo ? HS_GI_NFIELDS : HS_GI_NFIELDS - 1;
    memcpy(fields + nf, hs_gi_fields, ngi * sizeof *fields);
    nf += ngi;
    char desc[256];
    snprintf(desc, sizeof desc, "Getis-Ord Gi* of %s (%s)", go->value, go->input);
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(gp, name, u->polygons ? HS_GEOM_POLYGON : HS_GEOM_POINT,
                                        desc, fields, nf, &l, err);
    for (size_t i = 0; st == HS_OK && i < u->n; i++) {
        hs_value v[4 + HS_GI_NFIELDS];
        v[0] = (hs_value){.s = u->id[i]};
        v[1] = (hs_value){.d = u->value[i]};
        v[2] = (hs_value){.d = u->population[i]};
        v[3] = (hs_value){.d = a->value[i]};
        hs_gi_values(a, i, v + first_gi);
        st = hs_gpkg_layer_add(l, v, u->x[i], u->y[i], u->wkb[i], u->wkb_size[i], err);
    }
    if (l != NULL) {
        hs_status fst = hs_gpkg_layer_finish(l, st == HS_OK ? err : NULL);
        st = st == HS_OK ? fst : st;
    }
    return st;
}

static hs_status write_gpkg(const gi_units *u, const gi_opts *go, const hs_gi_arrays *a,
                            hs_error *err)
{
    const char *name = hs_cli_valid_name(u->layer) ? u->layer : "gistar";
    hs_gpkg *gp;
    hs_status st = hs_gpkg_create(go->output, go->crs, &gp, err);
    if (st != HS_OK)
        return st;
    st = write_layer(gp, name, u, go, a, err);
    if (st == HS_OK)
        st = style_layer(gp, name, err);
    if (st != HS_OK) {
        hs_gpkg_abort(gp);
        return st;
    }
    return hs_gpkg_commit(gp, err);
}

int hs_cmd_gistar(int argc, char **argv)
{
    const hs_command *self = hs_find_command("gistar");
    int r = hs_take_common_options(self, &argc, argv);
    if (r != 0)
        return r < 0 ? HS_EXIT_USAGE : HS_EXIT_OK;
    hs_cli_opt o[O_COUNT] = {
        [O_OUT] = {"--output", "-o", "OUT.gpkg|OUT.csv", 0},
        [O_VALUE] = {"--value", NULL, "FIELD", 0},
        [O_ID] = {"--id", NULL, "FIELD", 0},
        [O_LAYER] = {"--layer", NULL, "NAME", 0},
        [O_WEIGHTS] = {"--weights", NULL, "queen|rook|distance:D|knn:K", 0},
        [O_SNAP] = {"--snap", NULL, "M", 0},
        [O_PERM] = {"--permutations", NULL, "N", 0},
        [O_SEED] = {"--seed", NULL, "S", 0},
        [O_FDR] = {"--fdr", NULL, NULL, 0},
        [O_POP] = {"--population", NULL, "FIELD", 0},
        [O_ALPHA] = {"--alpha", NULL, "A", 0},
        [O_CRS] = {"--crs", NULL, "CRS", 0},
    };
    gi_opts go;
    memset(&go, 0, sizeof go);
    if (hs_cli_parse("gistar", o, O_COUNT, argc, argv, &go.input) || check_options(o, &go))
        return HS_EXIT_USAGE;
    hs_error err;
    hs_error_clear(&err);
    double t0 = hs_now();
    gi_units u;
    hs_gi_arrays a;
    memset(&a, 0, sizeof a);
    hs_status st = read_units(&go, &u, &err);
    if (st == HS_OK && go.wk == W_DEFAULT) {
        if (u.polygons)
            go.wk = W_QUEEN;
        else
            st = hs_error_set(&err, HS_EINVAL, go.input, 0, 0,
                              "--weights: INPUT holds points: give distance:D or knn:K");
    }
    double t1 = hs_now();
    if (st == HS_OK)
        st = analyse(&u, &go, &a, &err);
    double t2 = hs_now();
    if (st == HS_OK)
        st = go.csv ? write_csv(&u, &go, &a, &err) : write_gpkg(&u, &go, &a, &err);
    if (st == HS_OK)
        hs_log_verbose("gistar: read %.3f s, weights and statistics %.3f s, write %.3f s", t1 - t0,
                       t2 - t1, hs_now() - t2);
    hs_gi_arrays_free(&a);
    units_free(&u);
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        return hs_exit_code(st);
    }
    printf("%s\n", go.output);
    return HS_EXIT_OK;
}

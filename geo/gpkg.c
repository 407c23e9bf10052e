/* gpkg.c - atomic GeoPackage output through OGR (see gpkg.h).
 * Must not: write the target path directly, do statistics. */
#include "geo/gpkg.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct hs_gpkg {
    GDALDatasetH ds;               /* open dataset, NULL once closed */
    OGRSpatialReferenceH srs;      /* features' CRS */
    char final_path[4096];         /* target */
    char temp_path[4096];          /* file being written */
    hs_gpkg_layer *open_layer;     /* layer in its transaction, if any */
    void (*progress)(void *user, size_t n); /* progress callback, or NULL */
    void *progress_user;           /* its argument */
    int schema_ready;              /* gpkg_data_columns and its extension rows exist */
};

struct hs_gpkg_layer {
    hs_gpkg *g;                    /* owner */
    OGRLayerH layer;               /* OGR layer */
    hs_geom_kind kind;             /* geometry kind */
    hs_field_type *types;          /* field types */
    size_t nfields;                /* number of fields */
    char name[128];                /* layer name, for messages */
    size_t added;                  /* features added */
};

hs_status hs_make_parent_dirs(const char *path, hs_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return hs_error_set(err, HS_EIO, path, 0, 0, "path too long");
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            hs_status st = hs_error_set(err, HS_EIO, buf, 0, 0, "cannot create folder: %s",
                                        strerror(errno));
            return st;
        }
        *p = '/';
    }
    return HS_OK;
}

void hs_temp_sibling(const char *path, const char *ext, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(buf, n, "%.*s.%s.tmp-%ld%s", dirlen, path, slash ? slash + 1 : path,
             (long)getpid(), ext ? ext : "");
}

hs_status hs_gpkg_create(const char *final_path, const char *crs, hs_gpkg **out, hs_error *err)
{
    *out = NULL;
    hs_status st = hs_make_parent_dirs(final_path, err);
    if (st != HS_OK)
        return st;
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (drv == NULL)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0, "GDAL has no GPKG driver");
    hs_gpkg *g = calloc(1, sizeof *g);
    if (g == NULL)
        return HS_ENOMEM;
    snprintf(g->final_path, sizeof g->final_path, "%s", final_path);
    hs_temp_sibling(final_path, ".gpkg", g->temp_path, sizeof g->temp_path);
    VSIUnlink(g->temp_path);
    g->srs = OSRNewSpatialReference(NULL);
    if (g->srs == NULL || OSRSetFromUserInput(g->srs, crs) != OGRERR_NONE) {
        hs_gpkg_abort(g);
        return hs_error_set(err, HS_EDEP, NULL, 0, 0, "unknown CRS '%s'", crs);
    }
    OSRSetAxisMappingStrategy(g->srs, OAMS_TRADITIONAL_GIS_ORDER);
    g->ds = GDALCreate(drv, g->temp_path, 0, 0, 0, GDT_Unknown, NULL);
    if (g->ds == NULL) {
        st = hs_error_set(err, HS_EIO, g->temp_path, 0, 0, "cannot create the GeoPackage: %s",
                          CPLGetLastErrorMsg());
        hs_gpkg_abort(g);
        return st;
    }
    *out = g;
    return HS_OK;
}

void hs_gpkg_set_progress(hs_gpkg *g, void (*fn)(void *user, size_t n), void *user)
{
    g->progress = fn;
    g->progress_user = user;
}

const char *hs_gpkg_temp_path(const hs_gpkg *g)
{
    return g->temp_path;
}

const char *hs_gpkg_final_path(const hs_gpkg *g)
{
    return g->final_path;
}

void *hs_gpkg_dataset(hs_gpkg *g)
{
    return g->ds;
}

/* Run one SQL statement on the dataset; 1 on success. */
static int exec_sql(GDALDatasetH ds, const char *sql)
{
    CPLErrorReset();
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (res != NULL)
        GDALDatasetReleaseResultSet(ds, res);
    return CPLGetLastErrorType() < CE_Failure;
}

/* The GeoPackage schema extension (gpkg_data_columns, gpkg_data_column_constraints, as in
 * GeoPackage 1.2, section F.9), created once per file: the place for field descriptions. GDAL
 * 3.6 keeps OGR alternative names out of the file, so hotspot writes them itself. */
static int ensure_schema(hs_gpkg *g)
{
    if (g->schema_ready)
        return 1;
    static const char *const ddl[] = {
        "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
        "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, "
        "constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
        "CONSTRAINT gdc_tn UNIQUE (table_name, name))",
        "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
        "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, "
        "max NUMERIC, max_is_inclusive BOOLEAN, description TEXT, "
        "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
        "VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
        "'http://www.geopackage.org/spec121/#extension_schema', 'read-write')",
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
        "VALUES ('gpkg_data_column_constraints', NULL, 'gpkg_schema', "
        "'http://www.geopackage.org/spec121/#extension_schema', 'read-write')",
    };
    for (size_t i = 0; i < sizeof ddl / sizeof ddl[0]; i++)
        if (!exec_sql(g->ds, ddl[i]))
            return 0;
    g->schema_ready = 1;
    return 1;
}

/* One gpkg_data_columns row per described field of table name (the description; name and
 * title left NULL, so readers keep the column name). 1 on success. */
static int describe_fields(hs_gpkg *g, const char *name, const hs_field_def *fields,
                           size_t nfields)
{
    for (size_t k = 0; k < nfields; k++) {
        if (fields[k].description == NULL || fields[k].description[0] == '\0')
            continue;
        if (!ensure_schema(g))
            return 0;
        char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO gpkg_data_columns (table_name, "
                                    "column_name, description) VALUES (%Q, %Q, %Q)",
                                    name, fields[k].name, fields[k].description);
        int ok = sql != NULL && exec_sql(g->ds, sql);
        sqlite3_free(sql);
        if (!ok)
            return 0;
    }
    return 1;
}

hs_status hs_gpkg_layer_create(hs_gpkg *g, const char *name, hs_geom_kind kind,
                               const char *description, const hs_field_def *fields,
                               size_t nfields, hs_gpkg_layer **out, hs_error *err)
{
    *out = NULL;
    if (g->ds == NULL || g->open_layer != NULL)
        return hs_error_set(err, HS_EINTERNAL, g->temp_path, 0, 0,
                            "layer %s: the GeoPackage is closed or another layer is open", name);
    char **opts = NULL;
    opts = CSLSetNameValue(opts, "FID", "fid");
    opts = CSLSetNameValue(opts, "GEOMETRY_NAME", "geom");
    opts = CSLSetNameValue(opts, "SPATIAL_INDEX", kind == HS_GEOM_NONE ? "NO" : "YES");
    if (description)
        opts = CSLSetNameValue(opts, "DESCRIPTION", description);
    OGRwkbGeometryType gt = kind == HS_GEOM_POINT     ? wkbPoint
                            : kind == HS_GEOM_POLYGON ? wkbMultiPolygon
                                                      : wkbNone;
    OGRLayerH layer = GDALDatasetCreateLayer(g->ds, name, kind == HS_GEOM_NONE ? NULL : g->srs,
                                             gt, opts);
    CSLDestroy(opts);
    if (layer == NULL)
        return hs_error_set(err, HS_EIO, g->temp_path, 0, 0, "cannot create layer %s: %s", name,
                            CPLGetLastErrorMsg());
    hs_gpkg_layer *l = calloc(1, sizeof *l);
    hs_field_type *types = malloc((nfields ? nfields : 1) * sizeof *types);
    if (l == NULL || types == NULL) {
        free(l);
        free(types);
        return HS_ENOMEM;
    }
    for (size_t k = 0; k < nfields; k++) {
        OGRFieldType ft = fields[k].type == HS_FIELD_INT    ? OFTInteger64
                          : fields[k].type == HS_FIELD_REAL ? OFTReal
                                                            : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(fields[k].name, ft);
        if (fields[k].description)
            OGR_Fld_SetAlternativeName(fd, fields[k].description);
        OGRErr e = OGR_L_CreateField(layer, fd, 1);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE) {
            free(l);
            free(types);
            return hs_error_set(err, HS_EIO, g->temp_path, 0, 0,
                                "cannot create field %s of layer %s: %s", fields[k].name, name,
                                CPLGetLastErrorMsg());
        }
        types[k] = fields[k].type;
    }
    if (!describe_fields(g, name, fields, nfields)) {
        free(l);
        free(types);
        return hs_error_set(err, HS_EIO, g->temp_path, 0, 0,
                            "cannot store the field descriptions of layer %s: %s", name,
                            CPLGetLastErrorMsg());
    }
    l->g = g;
    l->layer = layer;
    l->kind = kind;
    l->types = types;
    l->nfields = nfields;
    snprintf(l->name, sizeof l->name, "%s", name);
    if (GDALDatasetStartTransaction(g->ds, 0) != OGRERR_NONE) {
        free(types);
        free(l);
        return hs_error_set(err, HS_EIO, g->temp_path, 0, 0, "cannot start a transaction");
    }
    g->open_layer = l;
    *out = l;
    return HS_OK;
}

hs_status hs_gpkg_layer_add(hs_gpkg_layer *l, const hs_value *values, double x, double y,
                            const unsigned char *wkb, size_t wkb_size, hs_error *err)
{
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l->layer));
    if (f == NULL)
        return HS_ENOMEM;
    for (size_t k = 0; k < l->nfields; k++) {
        const hs_value *v = &values[k];
        if (v->is_null) {
            OGR_F_SetFieldNull(f, (int)k);
        } else if (l->types[k] == HS_FIELD_INT) {
            OGR_F_SetFieldInteger64(f, (int)k, v->i);
        } else if (l->types[k] == HS_FIELD_REAL) {
            if (isfinite(v->d))
                OGR_F_SetFieldDouble(f, (int)k, v->d);
            else
                OGR_F_SetFieldNull(f, (int)k);
        } else {
            if (v->s && v->s[0])
                OGR_F_SetFieldString(f, (int)k, v->s);
            else
                OGR_F_SetFieldNull(f, (int)k);
        }
    }
    OGRGeometryH geom = NULL;
    if (l->kind == HS_GEOM_POINT) {
        geom = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(geom, 0, x, y);
    } else if (l->kind == HS_GEOM_POLYGON && wkb != NULL) {
        if (OGR_G_CreateFromWkbEx(wkb, NULL, &geom, wkb_size) != OGRERR_NONE) {
            OGR_F_Destroy(f);
            return hs_error_set(err, HS_EINTERNAL, NULL, 0, (long)l->added + 1,
                                "layer %s: bad polygon WKB", l->name);
        }
        if (wkbFlatten(OGR_G_GetGeometryType(geom)) == wkbPolygon)
            geom = OGR_G_ForceToMultiPolygon(geom);
    }
    if (geom)
        OGR_F_SetGeometryDirectly(f, geom);
    OGRErr e = OGR_L_CreateFeature(l->layer, f);
    OGR_F_Destroy(f);
    if (e != OGRERR_NONE)
        return hs_error_set(err, HS_EIO, l->g->temp_path, 0, (long)l->added + 1,
                            "cannot write a feature of layer %s: %s", l->name,
                            CPLGetLastErrorMsg());
    l->added++;
    if (l->g->progress && l->added % 1024 == 0)
        l->g->progress(l->g->progress_user, 1024);
    return HS_OK;
}

hs_status hs_gpkg_layer_finish(hs_gpkg_layer *l, hs_error *err)
{
    if (l == NULL)
        return HS_OK;
    hs_gpkg *g = l->g;
    hs_status st = HS_OK;
    if (GDALDatasetCommitTransaction(g->ds) != OGRERR_NONE)
        st = hs_error_set(err, HS_EIO, g->temp_path, 0, 0, "cannot commit layer %s: %s", l->name,
                          CPLGetLastErrorMsg());
    g->open_layer = NULL;
    free(l->types);
    free(l);
    return st;
}

/* Finish l after a failure without hiding the first error. */
static void layer_drop(hs_gpkg_layer *l)
{
    if (l == NULL)
        return;
    GDALDatasetRollbackTransaction(l->g->ds);
    l->g->open_layer = NULL;
    free(l->types);
    free(l);
}

hs_status hs_gpkg_write_incidents(hs_gpkg *g, const hs_incidents *t, const hs_wards *w,
                                  const char *const *group_names, size_t ngroups,
                                  hs_error *err)
{
    static const hs_field_def fields[] = {
        {"incident_id", HS_FIELD_STRING, "Crime ID, or source#row where the source has none"},
        {"month", HS_FIELD_STRING, "Month of the incident (YYYY-MM)"},
        {"category", HS_FIELD_STRING, "Category (police.uk crime type)"},
        {"group_name", HS_FIELD_STRING, "Category group of the job (asb, violence, ...)"},
        {"ward_code", HS_FIELD_STRING, "Code of the ward the incident lies in"},
        {"geocode_method", HS_FIELD_STRING, "How the point was found"},
        {"geocode_score", HS_FIELD_REAL, "Geocoding confidence, 0..1"},
        {"geocode_precision_m", HS_FIELD_REAL, "Expected precision of the point, metres"},
        {"source", HS_FIELD_STRING, "Input file"},
        {"source_row", HS_FIELD_INT, "Data row in the input file (first after header = 1)"},
    };
    enum { NF = sizeof fields / sizeof fields[0] };
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(g, "incidents", HS_GEOM_POINT,
                                        "Incidents placed in the study area", fields, NF, &l,
                                        err);
    if (st != HS_OK)
        return st;
    char idbuf[600];
    for (size_t i = 0; i < t->n && st == HS_OK; i++) {
        if (t->state[i] != HS_ROW_PLACED)
            continue;
        const char *id = hs_incidents_str(t, t->id, i);
        const hs_source *src = &t->sources[t->source[i]];
        if (id[0] == '\0') {
            snprintf(idbuf, sizeof idbuf, "%s#%lld", src->name, (long long)t->source_row[i]);
            id = idbuf;
        }
        const char *group = ngroups ? "other" : NULL;
        for (size_t k = 0; k < ngroups; k++) {
            if (t->groups[i] & (UINT32_C(1) << k)) {
                group = group_names[k];
                break;
            }
        }
        hs_value v[NF] = {
            {.s = id},
            {.s = hs_incidents_str(t, t->month, i)},
            {.s = hs_incidents_str(t, t->category, i)},
            {.s = group},
            {.s = t->ward[i] >= 0 ? w->code[t->ward[i]] : NULL, .is_null = t->ward[i] < 0},
            {.s = hs_method_name((hs_method)t->method[i])},
            {.d = (double)t->score[i]},
            {.d = (double)t->precision_m[i]},
            {.s = src->name},
            {.i = t->source_row[i]},
        };
        st = hs_gpkg_layer_add(l, v, t->x[i], t->y[i], NULL, 0, err);
    }
    if (st != HS_OK) {
        layer_drop(l);
        return st;
    }
    return hs_gpkg_layer_finish(l, err);
}

hs_status hs_gpkg_write_failures(hs_gpkg *g, const hs_incidents *t, hs_error *err)
{
    static const hs_field_def fields[] = {
        {"source", HS_FIELD_STRING, "Input file"},
        {"source_row", HS_FIELD_INT, "Data row in the input file (first after header = 1)"},
        {"incident_id", HS_FIELD_STRING, "Crime ID as given"},
        {"category", HS_FIELD_STRING, "Category as given"},
        {"location_text", HS_FIELD_STRING, "Location or address text as given"},
        {"postcode", HS_FIELD_STRING, "Postcode as given"},
        {"reason", HS_FIELD_STRING, "Why the row could not be placed"},
        {"raw_text", HS_FIELD_STRING, "The row as read, for malformed rows"},
    };
    enum { NF = sizeof fields / sizeof fields[0] };
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(g, "geocode_failures", HS_GEOM_NONE,
                                        "Input rows that could not be placed, with the reason",
                                        fields, NF, &l, err);
    if (st != HS_OK)
        return st;
    for (size_t i = 0; i < t->n && st == HS_OK; i++) {
        if (t->state[i] != HS_ROW_FAILED)
            continue;
        hs_value v[NF] = {
            {.s = t->sources[t->source[i]].name},
            {.i = t->source_row[i]},
            {.s = hs_incidents_str(t, t->id, i)},
            {.s = hs_incidents_str(t, t->category, i)},
            {.s = hs_incidents_str(t, t->location, i)},
            {.s = hs_incidents_str(t, t->postcode, i)},
            {.s = hs_incidents_str(t, t->reason, i)},
            {.s = hs_incidents_str(t, t->raw, i)},
        };
        st = hs_gpkg_layer_add(l, v, 0, 0, NULL, 0, err);
    }
    if (st != HS_OK) {
        layer_drop(l);
        return st;
    }
    return hs_gpkg_layer_finish(l, err);
}

hs_status hs_gpkg_write_wards(hs_gpkg *g, const hs_wards *w, const int64_t *counts,
                              const char *const *group_names, size_t ngroups, hs_error *err)
{
    size_t nf = 5 + ngroups;
    hs_field_def *fields = calloc(nf, sizeof *fields);
    char (*names)[64] = calloc(ngroups ? ngroups : 1, sizeof *names);
    char (*descs)[128] = calloc(ngroups ? ngroups : 1, sizeof *descs);
    hs_value *v = calloc(nf, sizeof *v);
    hs_status st = HS_OK;
    hs_gpkg_layer *l = NULL;
    if (!fields || !names || !descs || !v) {
        st = HS_ENOMEM;
        goto done;
    }
    fields[0] = (hs_field_def){"ward_code", HS_FIELD_STRING, "Ward code"};
    fields[1] = (hs_field_def){"ward_name", HS_FIELD_STRING, "Ward name"};
    fields[2] = (hs_field_def){"population", HS_FIELD_REAL, "Residents"};
    fields[3] = (hs_field_def){"area_km2", HS_FIELD_REAL, "Area, km2"};
    fields[4] = (hs_field_def){"n_all", HS_FIELD_INT, "Incidents placed in the ward"};
    for (size_t k = 0; k < ngroups; k++) {
        snprintf(names[k], sizeof names[k], "n_%s", group_names[k]);
        snprintf(descs[k], sizeof descs[k], "Incidents of group %s", group_names[k]);
        fields[5 + k] = (hs_field_def){names[k], HS_FIELD_INT, descs[k]};
    }
    st = hs_gpkg_layer_create(g, "wards", HS_GEOM_POLYGON, "Wards with incident counts",
                              fields, nf, &l, err);
    if (st != HS_OK)
        goto done;
    for (size_t i = 0; i < w->n && st == HS_OK; i++) {
        const int64_t *c = counts + i * (1 + ngroups);
        v[0] = (hs_value){.s = w->code[i]};
        v[1] = (hs_value){.s = w->name[i]};
        v[2] = (hs_value){.d = w->population[i], .is_null = isnan(w->population[i])};
        v[3] = (hs_value){.d = w->area_km2[i]};
        for (size_t k = 0; k <= ngroups; k++)
            v[4 + k] = (hs_value){.i = c[k]};
        st = hs_gpkg_layer_add(l, v, 0, 0, w->wkb[i], w->wkb_size[i], err);
    }
    if (st != HS_OK) {
        layer_drop(l);
        goto done;
    }
    st = hs_gpkg_layer_finish(l, err);
done:
    free(fields);
    free(names);
    free(descs);
    free(v);
    return st;
}

hs_status hs_gpkg_write_run_info(hs_gpkg *g, const char *const *keys,
                                 const char *const *values, size_t n, hs_error *err)
{
    static const hs_field_def fields[] = {
        {"key", HS_FIELD_STRING, "What"},
        {"value", HS_FIELD_STRING, "Value"},
    };
    hs_gpkg_layer *l;
    hs_status st = hs_gpkg_layer_create(g, "run_info", HS_GEOM_NONE,
                                        "Parameters, inputs, counts, versions and timings of "
                                        "the run",
                                        fields, 2, &l, err);
    if (st != HS_OK)
        return st;
    for (size_t i = 0; i < n && st == HS_OK; i++) {
        hs_value v[2] = {{.s = keys[i]}, {.s = values[i]}};
        st = hs_gpkg_layer_add(l, v, 0, 0, NULL, 0, err);
    }
    if (st != HS_OK) {
        layer_drop(l);
        return st;
    }
    return hs_gpkg_layer_finish(l, err);
}

hs_status hs_gpkg_close_dataset(hs_gpkg *g, hs_error *err)
{
    if (g->ds == NULL)
        return HS_OK;
    if (g->open_layer)
        layer_drop(g->open_layer);
    CPLErrorReset();
    GDALClose(g->ds);
    g->ds = NULL;
    if (CPLGetLastErrorType() >= CE_Failure)
        return hs_error_set(err, HS_EIO, g->temp_path, 0, 0, "cannot close the GeoPackage: %s",
                            CPLGetLastErrorMsg());
    return HS_OK;
}

hs_status hs_gpkg_commit(hs_gpkg *g, hs_error *err)
{
    hs_status st = hs_gpkg_close_dataset(g, err);
    if (st == HS_OK && rename(g->temp_path, g->final_path) != 0)
        st = hs_error_set(err, HS_EIO, g->final_path, 0, 0, "cannot move %s into place: %s",
                          g->temp_path, strerror(errno));
    if (st != HS_OK) {
        hs_gpkg_abort(g);
        return st;
    }
    if (g->srs)
        OSRDestroySpatialReference(g->srs);
    free(g);
    return HS_OK;
}

void hs_gpkg_abort(hs_gpkg *g)
{
    if (g == NULL)
        return;
    if (g->open_layer)
        layer_drop(g->open_layer);
    if (g->ds)
        GDALClose(g->ds);
    VSIUnlink(g->temp_path);
    if (g->srs)
        OSRDestroySpatialReference(g->srs);
    free(g);
}

void hs_grid_cell_wkb(const hs_grid *g, size_t row, size_t col, unsigned char out[HS_CELL_WKB_SIZE])
{
    const double x0 = g->xmin_m + (double)col * g->cell_m, x1 = x0 + g->cell_m;
    const double y1 = g->ymax_m - (double)row * g->cell_m, y0 = y1 - g->cell_m;
    const double ring[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    const uint32_t head[3] = {3, 1, 5}; /* polygon, one ring, five points */
    /* The integers and doubles are copied as the host stores them, so the byte order flag
     * says the host's order (1 = little-endian, 0 = big-endian). */
    const uint16_t probe = 1;
    unsigned char little;
    memcpy(&little, &probe, 1);
    _Static_assert(sizeof head == 12 && sizeof ring == 80, "cell WKB layout");
    out[0] = little;
    memcpy(out + 1, head, sizeof head);
    memcpy(out + 13, ring, sizeof ring);
}

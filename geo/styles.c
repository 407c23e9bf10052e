/* styles.c - QML templates filled and stored in layer_styles (see styles.h).
 *
 * Must not do statistics: class breaks of the wards style are equal steps of the count range
 * the caller gives. The layer_styles table follows what QGIS 3.22 writes itself (checked with
 * QgsVectorLayer.saveStyleToDatabase on a GeoPackage): created through OGR with FID "id",
 * registered in gpkg_contents as attributes.
 */
#include "geo/styles.h"

#include <cpl_error.h>
#include <math.h>
#include <ogr_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS_STYLE_NAME_MAX 64 /* longest placeholder name */
#define HS_STYLE_CLASSES  5  /* classes of the wards style */

/* ---- text buffer ----------------------------------------------------------------------- */

static int xmlbuf_reserve(hs_xmlbuf *b, size_t extra)
{
    if (b->failed)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

void hs_xmlbuf_add(hs_xmlbuf *b, const char *s, size_t n)
{
    if (!xmlbuf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void hs_xmlbuf_puts(hs_xmlbuf *b, const char *s)
{
    hs_xmlbuf_add(b, s, strlen(s));
}

void hs_xmlbuf_escaped(hs_xmlbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            hs_xmlbuf_puts(b, "&amp;");
            break;
        case '<':
            hs_xmlbuf_puts(b, "&lt;");
            break;
        case '>':
            hs_xmlbuf_puts(b, "&gt;");
            break;
        case '"':
            hs_xmlbuf_puts(b, "&quot;");
            break;
        case '\'':
            hs_xmlbuf_puts(b, "&apos;");
            break;
        default:
            hs_xmlbuf_add(b, p, 1);
        }
    }
}

void hs_xmlbuf_sql_literal(hs_xmlbuf *b, const char *s)
{
    hs_xmlbuf_puts(b, "'");
    for (const char *p = s; *p; p++)
        hs_xmlbuf_puts(b, *p == '\'' ? "''" : (char[2]){*p, '\0'});
    hs_xmlbuf_puts(b, "'");
}

void hs_xmlbuf_printf(hs_xmlbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !xmlbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *hs_xmlbuf_take(hs_xmlbuf *b)
{
    if (b->failed || !xmlbuf_reserve(b, 0)) {
        free(b->data);
        memset(b, 0, sizeof *b);
        return NULL;
    }
    b->data[b->len] = '\0';
    char *s = b->data;
    memset(b, 0, sizeof *b);
    return s;
}

/* ---- template filling ------------------------------------------------------------------ */

/* Values visible at a point of the template: an item's, then the outer ones. */
typedef struct fill_scope {
    const hs_style_var *vars;       /* values of this level */
    size_t n;                       /* how many */
    const struct fill_scope *outer; /* enclosing level, NULL at the top */
} fill_scope;

/* Where the filling stands: what every recursive step shares. */
typedef struct fill_job {
    const char *tmpl;           /* whole template, for line numbers */
    const char *name;           /* template name, for messages */
    const hs_style_list *lists; /* sections that may repeat */
    size_t n_lists;             /* how many */
    hs_xmlbuf *out;             /* result */
    hs_error *err;              /* details of a failure */
} fill_job;

static long line_of(const char *tmpl, const char *at)
{
    long line = 1;
    for (const char *p = tmpl; p < at; p++)
        line += *p == '\n';
    return line;
}

static size_t name_length(const char *p, const char *end)
{
    size_t n = 0;
    while (p + n < end &&
           ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_'))
        n++;
    return n;
}

static const char *find_text(const char *p, const char *end, const char *what)
{
    size_t n = strlen(what);
    for (; p + n <= end; p++) {
        if (memcmp(p, what, n) == 0)
            return p;
    }
    return NULL;
}

static const char *lookup(const fill_scope *s, const char *name, size_t n)
{
    for (; s != NULL; s = s->outer) {
        for (size_t i = 0; i < s->n; i++) {
            if (strlen(s->vars[i].name) == n && memcmp(s->vars[i].name, name, n) == 0)
                return s->vars[i].value;
        }
    }
    return NULL;
}

static const hs_style_list *find_list(const fill_job *job, const char *name, size_t n)
{
    for (size_t i = 0; i < job->n_lists; i++) {
        if (strlen(job->lists[i].name) == n && memcmp(job->lists[i].name, name, n) == 0)
            return &job->lists[i];
    }
    return NULL;
}

static hs_status fill_error(const fill_job *job, const char *at, const char *what, const char *name,
                            size_t n)
{
    return hs_error_set(job->err, HS_EDATA, job->name, line_of(job->tmpl, at), 0,
                        "style template: %s '%.*s'", what, (int)n, name);
}

static hs_status fill_range(const fill_job *job, const char *p, const char *end,
                            const fill_scope *scope, int depth);

/* Repeat the section whose opening tag names `name` (body starts at body); *next receives
 * the position after its closing tag. */
static hs_status fill_section(const fill_job *job, const char *name, size_t n, const char *body,
                              const char *end, const fill_scope *scope, int depth,
                              const char **next)
{
    const hs_style_list *list = find_list(job, name, n);
    if (list == NULL)
        return fill_error(job, body, "no list given for section", name, n);
    if (depth > 0)
        return fill_error(job, body, "sections do not nest; found", name, n);
    char close[HS_STYLE_NAME_MAX + 8];
    snprintf(close, sizeof close, "{{/%.*s}}", (int)n, name);
    const char *stop = find_text(body, end, close);
    if (stop == NULL)
        return fill_error(job, body, "section is not closed:", name, n);
    for (size_t i = 0; i < list->n_items; i++) {
        fill_scope item = {list->vars + i * list->n_vars, list->n_vars, scope};
        hs_status st = fill_range(job, body, stop, &item, depth + 1);
        if (st != HS_OK)
            return st;
    }
    *next = stop + strlen(close);
    return HS_OK;
}

static hs_status fill_range(const fill_job *job, const char *p, const char *end,
                            const fill_scope *scope, int depth)
{
    while (p < end) {
        const char *open = find_text(p, end, "{{");
        if (open == NULL) {
            hs_xmlbuf_add(job->out, p, (size_t)(end - p));
            return HS_OK;
        }
        hs_xmlbuf_add(job->out, p, (size_t)(open - p));
        const char *q = open + 2;
        char kind = (*q == '#' || *q == '/') ? *q++ : '\0';
        size_t n = name_length(q, end);
        if (n == 0 || n > HS_STYLE_NAME_MAX || q + n + 2 > end || q[n] != '}' || q[n + 1] != '}')
            return fill_error(job, open, "malformed placeholder", open,
                              (size_t)(end - open) < 12 ? (size_t)(end - open) : 12);
        if (kind == '/')
            return fill_error(job, open, "section closed but never opened:", q, n);
        if (kind == '#') {
            hs_status st = fill_section(job, q, n, q + n + 2, end, scope, depth, &p);
            if (st != HS_OK)
                return st;
            continue;
        }
        const char *v = lookup(scope, q, n);
        if (v == NULL)
            return fill_error(job, open, "no value given for placeholder", q, n);
        hs_xmlbuf_escaped(job->out, v);
        p = q + n + 2;
    }
    return HS_OK;
}

hs_status hs_style_fill(const char *tmpl, const char *tmpl_name, const hs_style_var *vars,
                        size_t n_vars, const hs_style_list *lists, size_t n_lists, char **out,
                        hs_error *err)
{
    *out = NULL;
    hs_xmlbuf b = {0};
    fill_job job = {tmpl, tmpl_name ? tmpl_name : "", lists, n_lists, &b, err};
    fill_scope top = {vars, n_vars, NULL};
    hs_status st = fill_range(&job, tmpl, tmpl + strlen(tmpl), &top, 0);
    char *text = hs_xmlbuf_take(&b);
    if (st != HS_OK) {
        free(text);
        return st;
    }
    if (text == NULL)
        return hs_error_set(err, HS_ENOMEM, job.name, 0, 0, "out of memory filling the style");
    *out = text;
    return HS_OK;
}

hs_status hs_style_read_template(const char *data_dir, const char *file, char **text, hs_error *err)
{
    *text = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/styles/%s", data_dir, file);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return hs_error_set(err, HS_EDEP, path, 0, 0,
                            "cannot open the style template (is the data directory right?)");
    hs_xmlbuf b = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        hs_xmlbuf_add(&b, chunk, got);
    int bad = ferror(f);
    fclose(f);
    char *s = hs_xmlbuf_take(&b);
    if (bad || s == NULL) {
        free(s);
        return hs_error_set(err, bad ? HS_EDEP : HS_ENOMEM, path, 0, 0,
                            "cannot read the style template");
    }
    *text = s;
    return HS_OK;
}

/* ---- one style per layer --------------------------------------------------------------- */

typedef enum style_kind {
    STYLE_NONE,      /* attribute tables and unknown layers */
    STYLE_GISTAR,    /* wards_<group>, grid_<group> */
    STYLE_WARDS,     /* wards */
    STYLE_INCIDENTS, /* incidents */
    STYLE_HOTSPOT,   /* hotspot_areas */
    STYLE_PATROL,    /* patrol_areas */
    STYLE_KDE        /* kde_<group> */
} style_kind;

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0 && s[strlen(prefix)] != '\0';
}

static style_kind kind_of(const char *layer)
{
    if (strcmp(layer, "incidents") == 0)
        return STYLE_INCIDENTS;
    if (strcmp(layer, "wards") == 0)
        return STYLE_WARDS;
    if (strcmp(layer, "hotspot_areas") == 0)
        return STYLE_HOTSPOT;
    if (strcmp(layer, "patrol_areas") == 0)
        return STYLE_PATROL;
    if (starts_with(layer, "wards_") || starts_with(layer, "grid_"))
        return STYLE_GISTAR;
    if (starts_with(layer, "kde_"))
        return STYLE_KDE;
    return STYLE_NONE;
}

/* Read a template and fill it. */
static hs_status render(const char *data_dir, const char *file, const hs_style_var *vars,
                        size_t n_vars, const hs_style_list *lists, size_t n_lists, char **qml,
                        hs_error *err)
{
    char *tmpl;
    hs_status st = hs_style_read_template(data_dir, file, &tmpl, err);
    if (st != HS_OK)
        return st;
    st = hs_style_fill(tmpl, file, vars, n_vars, lists, n_lists, qml, err);
    free(tmpl);
    return st;
}

/* Sequential yellow-orange-red, light to dark (ColorBrewer YlOrRd, 5 classes). */
static const char *const ward_colours[HS_STYLE_CLASSES] = {
    "255,255,178,255", "254,204,92,255", "253,141,60,255", "240,59,32,255", "189,0,38,255"};

/* Qualitative colours for incident groups (ColorBrewer Dark2), reused in turn. */
static const char *const group_colours[] = {"27,158,119,255", "217,95,2,255",   "117,112,179,255",
                                            "231,41,138,255", "102,166,30,255", "230,171,2,255",
                                            "166,118,29,255", "102,102,102,255"};

/* Text of one class item: 5 values (LOWER, UPPER, LABEL, COLOR, INDEX). */
typedef struct range_text {
    char lower[32], upper[32], label[80], index[24]; /* formatted numbers */
} range_text;

static hs_status style_wards(const char *data_dir, const hs_style_info *info, char **qml,
                             hs_error *err)
{
    if (!(info->max_count >= 0.0) || !isfinite(info->max_count))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "wards style: the largest count must be finite and >= 0, got %g",
                            info->max_count);
    /* Equal integer steps from 0 to the largest count: [0, s], (s, 2s], ... */
    double step = fmax(1.0, ceil(info->max_count / HS_STYLE_CLASSES));
    size_t n = 1;
    while (n < HS_STYLE_CLASSES && (double)n * step < info->max_count)
        n++;
    range_text t[HS_STYLE_CLASSES];
    hs_style_var v[HS_STYLE_CLASSES * 5];
    for (size_t k = 0; k < n; k++) {
        double lo = (double)k * step, hi = (double)(k + 1) * step;
        snprintf(t[k].lower, sizeof t[k].lower, "%.0f", lo);
        snprintf(t[k].upper, sizeof t[k].upper, "%.0f", hi);
        snprintf(t[k].label, sizeof t[k].label, "%.0f - %.0f", k ? lo + 1.0 : lo, hi);
        snprintf(t[k].index, sizeof t[k].index, "%zu", k);
        size_t colour = n > 1 ? (k * (HS_STYLE_CLASSES - 1) + (n - 1) / 2) / (n - 1) : 2;
        hs_style_var item[5] = {{"LOWER", t[k].lower},
                                {"UPPER", t[k].upper},
                                {"LABEL", t[k].label},
                                {"COLOR", ward_colours[colour]},
                                {"INDEX", t[k].index}};
        memcpy(&v[k * 5], item, sizeof item);
    }
    hs_style_var top[] = {{"FIELD", info->count_field ? info->count_field : "n_all"}};
    hs_style_list ranges = {"RANGES", v, n, 5};
    return render(data_dir, "wards.qml", top, 1, &ranges, 1, qml, err);
}

static hs_status style_incidents(const char *data_dir, const hs_style_info *info, char **qml,
                                 hs_error *err)
{
    size_t n = info->n_groups, ncol = sizeof group_colours / sizeof group_colours[0];
    hs_style_var *v = malloc((n ? n : 1) * 4 * sizeof *v);
    char(*index)[24] = malloc((n + 1) * sizeof *index);
    hs_status st = HS_OK;
    if (v == NULL || index == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory for the incidents style");
        goto fail;
    }
    for (size_t k = 0; k <= n; k++)
        snprintf(index[k], sizeof index[k], "%zu", k);
    for (size_t k = 0; k < n; k++) {
        v[4 * k] = (hs_style_var){"VALUE", info->groups[k]};
        v[4 * k + 1] = (hs_style_var){"LABEL", info->groups[k]};
        v[4 * k + 2] = (hs_style_var){"COLOR", group_colours[k % ncol]};
        v[4 * k + 3] = (hs_style_var){"INDEX", index[k]};
    }
    hs_style_var top[] = {{"FIELD", "group_name"}, {"OTHER_INDEX", index[n]}};
    hs_style_list groups = {"GROUPS", v, n, 4};
    st = render(data_dir, "incidents.qml", top, 2, &groups, 1, qml, err);
fail:
    free(index);
    free(v);
    return st;
}

static hs_status style_kde(const char *data_dir, const hs_style_info *info, char **qml,
                           hs_error *err)
{
    if (!isfinite(info->min) || !isfinite(info->max) || info->min > info->max)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "%s style: the value range must be finite with min <= max, got "
                            "%g..%g",
                            info->layer, info->min, info->max);
    char lo[32], mid[32], hi[32];
    snprintf(lo, sizeof lo, "%.6g", info->min);
    snprintf(mid, sizeof mid, "%.6g", 0.5 * (info->min + info->max));
    snprintf(hi, sizeof hi, "%.6g", info->max);
    hs_style_var top[] = {{"MIN", lo}, {"MID", mid}, {"MAX", hi}};
    return render(data_dir, "kde.qml", top, 3, NULL, 0, qml, err);
}

static hs_status style_areas(const char *data_dir, style_kind kind, char **qml, hs_error *err)
{
    hs_style_var hot[] = {{"LINE_COLOR", "165,15,21,255"},
                          {"FILL_COLOR", "165,15,21,40"},
                          {"LINE_WIDTH", "0.6"},
                          {"LABEL", "\"group_name\" || ' hot area, PAI ' || "
                                           "to_string(round(\"pai\"))"}};
    hs_style_var patrol[] = {{"LINE_COLOR", "20,40,120,255"},
                             {"FILL_COLOR", "0,0,0,0"},
                             {"LINE_WIDTH", "0.9"},
                             {"LABEL", "\"group_name\" || ' #' || \"rank\""}};
    return render(data_dir, "areas_outline.qml", kind == STYLE_HOTSPOT ? hot : patrol, 4, NULL, 0,
                  qml, err);
}

hs_status hs_style_qml(const char *data_dir, const hs_style_info *info, char **qml, hs_error *err)
{
    *qml = NULL;
    hs_style_var field[] = {{"FIELD", "Gi_Bin"}};
    switch (kind_of(info->layer)) {
    case STYLE_GISTAR:
        return render(data_dir, "gistar.qml", field, 1, NULL, 0, qml, err);
    case STYLE_WARDS:
        return style_wards(data_dir, info, qml, err);
    case STYLE_INCIDENTS:
        return style_incidents(data_dir, info, qml, err);
    case STYLE_HOTSPOT:
    case STYLE_PATROL:
        return style_areas(data_dir, kind_of(info->layer), qml, err);
    case STYLE_KDE:
        return style_kde(data_dir, info, qml, err);
    case STYLE_NONE:
        break;
    }
    return HS_OK;
}

/* ---- layer_styles ---------------------------------------------------------------------- */

static hs_status gdal_failure(hs_error *err, const char *what, const char *layer)
{
    const char *msg = CPLGetLastErrorMsg();
    return hs_error_set(err, HS_EIO, NULL, 0, 0, "%s for layer '%s': %s", what, layer,
                        msg && *msg ? msg : "GDAL gave no message");
}

/* The table as QGIS creates it (name, type, width). */
static hs_status create_styles_layer(GDALDatasetH ds, OGRLayerH *out, hs_error *err)
{
    static const struct {
        const char *name;  /* column */
        OGRFieldType type; /* OGR type */
        int width;         /* TEXT(width); 0 = unbounded */
    } cols[] = {{"f_table_catalog", OFTString, 256},
                {"f_table_schema", OFTString, 256},
                {"f_table_name", OFTString, 256},
                {"f_geometry_column", OFTString, 256},
                {"styleName", OFTString, 30},
                {"styleQML", OFTString, 0},
                {"styleSLD", OFTString, 0},
                {"useAsDefault", OFTInteger, 0},
                {"description", OFTString, 0},
                {"owner", OFTString, 30},
                {"ui", OFTString, 30},
                {"update_time", OFTDateTime, 0}};
    char *opts[] = {"FID=id", NULL};
    CPLErrorReset();
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, "layer_styles", NULL, wkbNone, opts);
    if (lyr == NULL)
        return gdal_failure(err, "cannot create layer_styles", "layer_styles");
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(cols[i].name, cols[i].type);
        OGR_Fld_SetWidth(fd, cols[i].width);
        if (cols[i].type == OFTInteger)
            OGR_Fld_SetSubType(fd, OFSTBoolean);
        if (cols[i].type == OFTDateTime)
            OGR_Fld_SetDefault(fd, "CURRENT_TIMESTAMP");
        OGRErr e = OGR_L_CreateField(lyr, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return gdal_failure(err, "cannot add a column to layer_styles", cols[i].name);
    }
    *out = lyr;
    return HS_OK;
}

/* Remove earlier default styles of `layer`. */
static hs_status delete_defaults(OGRLayerH styles, const char *layer, hs_error *err)
{
    hs_xmlbuf where = {0};
    hs_xmlbuf_puts(&where, "useAsDefault = 1 AND f_table_name = ");
    hs_xmlbuf_sql_literal(&where, layer);
    char *filter = hs_xmlbuf_take(&where);
    if (filter == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory");
    GIntBig fids[64];
    size_t n = 0;
    OGR_L_SetAttributeFilter(styles, filter);
    OGR_L_ResetReading(styles);
    OGRFeatureH f;
    while (n < 64 && (f = OGR_L_GetNextFeature(styles)) != NULL) {
        fids[n++] = OGR_F_GetFID(f);
        OGR_F_Destroy(f);
    }
    OGR_L_SetAttributeFilter(styles, NULL);
    free(filter);
    for (size_t i = 0; i < n; i++) {
        if (OGR_L_DeleteFeature(styles, fids[i]) != OGRERR_NONE)
            return gdal_failure(err, "cannot replace the default style", layer);
    }
    return HS_OK;
}

hs_status hs_style_write_default(GDALDatasetH ds, const char *layer, const char *qml, hs_error *err)
{
    OGRLayerH target = GDALDatasetGetLayerByName(ds, layer);
    if (target == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "cannot store a style for layer '%s': no such layer", layer);
    const char *geom = OGR_L_GetGeometryColumn(target);
    OGRLayerH styles = GDALDatasetGetLayerByName(ds, "layer_styles");
    hs_status st = HS_OK;
    if (styles == NULL && (st = create_styles_layer(ds, &styles, err)) != HS_OK)
        return st;
    if ((st = delete_defaults(styles, layer, err)) != HS_OK)
        return st;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(styles));
    if (f == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory");
    const char *text[][2] = {{"f_table_catalog", ""},
                             {"f_table_schema", ""},
                             {"f_table_name", layer},
                             {"f_geometry_column", geom ? geom : ""},
                             {"styleName", layer},
                             {"styleQML", qml},
                             {"styleSLD", ""},
                             {"description", "hotspot default style"},
                             {"owner", ""}};
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, text[i][0]), text[i][1]);
    OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "useAsDefault"), 1);
    CPLErrorReset();
    OGRErr e = OGR_L_CreateFeature(styles, f);
    OGR_F_Destroy(f);
    if (e != OGRERR_NONE)
        return gdal_failure(err, "cannot store the default style", layer);
    return HS_OK;
}

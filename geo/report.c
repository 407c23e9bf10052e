/* report.c - the self-contained HTML report of a run's GeoPackage (see report.h).
 *
 * Must not compute statistics: every figure comes from the GeoPackage (run_info, the layers'
 * fields, SQL counts and sums over them); the value range of a density picture comes from
 * GDAL (GDALComputeRasterMinMax). Must not reference anything outside the file: maps are
 * inline SVG (HTML5 needs no xmlns) and the density picture is a data: URI.
 *
 * Map: EPSG:27700 metres to SVG viewBox units by x' = (x - xmin) s, y' = (ymax - y) s (SVG's y
 * grows downwards), s fixed by the wards' extent. Outlines are simplified with
 * OGR_G_SimplifyPreserveTopology to half a viewBox unit. Layers, bottom to top: ward fills
 * (Gi* class or count class), density picture, ward borders, hot areas, patrol areas with
 * their rank numbers. The Gi* palette is the seven classes of data/styles/gistar.qml (ArcGIS's
 * hot spot renderer). The hit-rate caveat follows Ratcliffe (2004), "Geocoding crime and a
 * first estimate of a minimum acceptable hit rate", IJGIS 18(1):61-72.
 */
#include "geo/report.h"

#include "geo/gpkg.h"
#include "geo/styles.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPORT_SVG_WIDTH     1000.0 /* viewBox width of a map */
#define REPORT_SVG_MAX_H     1400.0 /* tallest viewBox of a map */
#define REPORT_SVG_PAD       6.0    /* viewBox margin, so that border lines show whole */
#define REPORT_SIMPLIFY      0.5    /* outline simplification tolerance, viewBox units */
#define REPORT_PNG_MAX_PX    900    /* longest side of a density picture, pixels */
#define REPORT_TOP_WARDS     10     /* wards listed per group */
#define REPORT_TOP_REASONS   6      /* failure reasons listed */
#define REPORT_REASON_KINDS  256    /* failure reasons told apart; the rest count as "other" */
#define REPORT_REASON_LEN    200    /* longest reason kept, bytes */
#define REPORT_NAME_MAX      64     /* longest group name, bytes */
#define REPORT_COUNT_CLASSES 5      /* count classes when there is no Gi* layer */

/* The density ramp of data/styles/kde.qml (transparent light red at the minimum, through
 * red, to dark red at the maximum; RGBA, layer opacity 0.8) on a square-root stretch: kernel
 * densities of incidents are very skewed, and a linear stretch shows only the peaks. */
#define REPORT_RAMP_STOPS 3
static const double ramp[REPORT_RAMP_STOPS][4] = {
    {254.0, 229.0, 217.0, 0.0}, {251.0, 106.0, 74.0, 170.0}, {165.0, 15.0, 38.0, 255.0}};
#define REPORT_RAMP_OPACITY 0.8

/* Gi_Bin -3..3 (index bin + 3) -> fill of data/styles/gistar.qml and its words. */
static const char *const gi_colour[7] = {"#4575b5", "#7590c1", "#b5c8e0", "#f7f7f2",
                                         "#fab984", "#ed7551", "#d62f27"};
static const char *const gi_words[7] = {"Cold spot, 99% confidence", "Cold spot, 95% confidence",
                                        "Cold spot, 90% confidence", "Not significant",
                                        "Hot spot, 90% confidence",  "Hot spot, 95% confidence",
                                        "Hot spot, 99% confidence"};
static const char *const gi_none_colour = "#c8c8c8"; /* NULL Gi_Bin: no neighbours */
static const char *const gi_none_words = "No neighbours (not tested)";

/* Count classes (ColorBrewer Blues), kept apart from the red density shading. */
static const char *const count_colour[REPORT_COUNT_CLASSES] = {"#eff3ff", "#bdd7e7", "#6baed6",
                                                               "#3182bd", "#08519c"};

static const char *const page_css =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#222;"
    "margin:0 auto;max-width:1100px;padding:0 20px 40px;line-height:1.45}"
    "h1{font-size:1.7em;margin:.8em 0 .2em}h2{font-size:1.35em;margin-top:1.6em;"
    "border-bottom:2px solid #ddd;padding-bottom:.2em}h3{font-size:1.1em;margin:1.2em 0 .3em}"
    ".meta{color:#555;margin-top:0}.note{background:#f4f6f8;border-left:4px solid #8aa;"
    "padding:.6em 1em}.warn{background:#fff3f0;border-left:4px solid #c0392b;padding:.6em 1em}"
    "table{border-collapse:collapse;margin:.6em 0 1em;font-size:.93em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#eef1f4}"
    "figure.map{margin:.6em 0}svg.map{display:block;width:100%;height:auto;max-height:95vh;"
    "border:1px solid #bbb;background:#fff}"
    ".ward-line{fill:none;stroke:#555;stroke-width:.8;pointer-events:none}"
    ".hot-area{fill:none;stroke:#a50f15;stroke-width:2.2;stroke-dasharray:7 4;"
    "pointer-events:none}"
    ".patrol{fill:none;stroke:#142878;stroke-width:2.4}"
    ".rank{font:bold 17px sans-serif;fill:#142878;stroke:#fff;stroke-width:4px;"
    "paint-order:stroke;text-anchor:middle;dominant-baseline:central;pointer-events:none}"
    ".legend{list-style:none;padding:0;margin:.4em 0;display:flex;flex-wrap:wrap;"
    "gap:.3em 1.4em;font-size:.9em}.legend li{display:flex;align-items:center;gap:.4em}"
    ".sw{display:inline-block;width:1.6em;height:1em;border:1px solid #888}"
    ".sw.ramp{width:6em}.sw.hot{border:2px dashed #a50f15}"
    ".sw.patrol{border:2px solid #142878;text-align:center;font:bold 11px sans-serif;"
    "line-height:1em;color:#142878}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@page{size:A4;margin:14mm}"
    "@media print{body{max-width:none;padding:0;font-size:10pt}"
    "section.group{break-before:page}table,figure{break-inside:avoid}"
    "svg.map{max-height:none;border:none}}";

/* ---- GDAL plumbing ---------------------------------------------------------------------- */

static void gdal_enter(void)
{
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
}

static hs_status gdal_fail(hs_error *err, hs_status code, const char *file, const char *what)
{
    const char *msg = CPLGetLastErrorMsg();
    return hs_error_set(err, code, file, 0, 0, "%s: %s", what,
                        msg != NULL && msg[0] != '\0' ? msg : "GDAL gave no further detail");
}

/* ---- the report being written ------------------------------------------------------------ */

typedef struct run_info {
    char **key;   /* run_info keys, in table order */
    char **value; /* their values ("" for NULL) */
    size_t n;     /* pairs */
} run_info;

typedef struct map_frame {
    double xmin;   /* west edge of the wards' extent, metres */
    double ymax;   /* north edge of the wards' extent, metres */
    double scale;  /* viewBox units per metre */
    double width;  /* viewBox width of the extent */
    double height; /* viewBox height of the extent */
} map_frame;

typedef struct report {
    GDALDatasetH ds;                                   /* the GeoPackage, read-only */
    const char *gpkg_path;                             /* its path (rasters open by path) */
    run_info info;                                     /* its run_info table */
    char group[HS_REPORT_MAX_GROUPS][REPORT_NAME_MAX]; /* group names, from wards n_<g> */
    size_t ngroups;                                    /* number of groups */
    map_frame frame;                                   /* wards' extent -> SVG */
    hs_xmlbuf html;                                    /* the page */
} report;

static const char *info_get(const run_info *ri, const char *key)
{
    for (size_t i = 0; i < ri->n; i++)
        if (strcmp(ri->key[i], key) == 0)
            return ri->value[i];
    return NULL;
}

/* run_info value of "<prefix><group g><suffix>", or NULL. */
static const char *info_group(const report *r, const char *prefix, size_t g, const char *suffix)
{
    char key[256];
    snprintf(key, sizeof key, "%s%s%s", prefix, r->group[g], suffix);
    return info_get(&r->info, key);
}

/* A value as a number; NAN when NULL or not a number. */
static double parse_number(const char *v)
{
    char *end = NULL;
    double d = v != NULL ? strtod(v, &end) : (double)NAN;
    return (v != NULL && end != v && *end == '\0') ? d : (double)NAN;
}

static double info_number(const report *r, const char *key)
{
    return parse_number(info_get(&r->info, key));
}

static void run_info_free(run_info *ri)
{
    for (size_t i = 0; i < ri->n; i++) {
        free(ri->key[i]);
        free(ri->value[i]);
    }
    free(ri->key);
    free(ri->value);
    memset(ri, 0, sizeof *ri);
}

/* ---- formatting ---------------------------------------------------------------------------- */

/* v with thousands separators: "22,148"; one decimal when v is not whole ("1,234.5");
 * "-" when not finite. */
static char *fmt_count(char *buf, size_t n, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "-");
        return buf;
    }
    char raw[64], out[96];
    int whole = fabs(v - round(v)) < 1e-9;
    snprintf(raw, sizeof raw, whole ? "%.0f" : "%.1f", fabs(v));
    size_t digits = strcspn(raw, "."), o = 0;
    if (v < 0.0 && strspn(raw, "0.") != strlen(raw))
        out[o++] = '-';
    for (size_t i = 0; raw[i] != '\0' && o + 2 < sizeof out; i++) {
        if (i > 0 && i < digits && (digits - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    out[o] = '\0';
    snprintf(buf, n, "%s", out);
    return buf;
}

/* v with `decimals` decimals, "-" when not finite. */
static char *fmt_fixed(char *buf, size_t n, double v, int decimals)
{
    if (isfinite(v))
        snprintf(buf, n, "%.*f", decimals, v);
    else
        snprintf(buf, n, "-");
    return buf;
}

/* Append text escaped for HTML; NULL appends nothing. */
static void put_text(hs_xmlbuf *b, const char *s)
{
    if (s != NULL)
        hs_xmlbuf_escaped(b, s);
}

/* Append a table cell: <td>text</td>, right-aligned when num. */
static void put_cell(hs_xmlbuf *b, const char *text, int num)
{
    hs_xmlbuf_puts(b, num ? "<td class=\"num\">" : "<td>");
    put_text(b, text);
    hs_xmlbuf_puts(b, "</td>");
}

/* Append a header row of n headings; those whose text starts with '#' are numeric columns
 * (the '#' is not shown). */
static void put_header(hs_xmlbuf *b, const char *const *heads, size_t n)
{
    hs_xmlbuf_puts(b, "<thead><tr>");
    for (size_t i = 0; i < n; i++) {
        int num = heads[i][0] == '#';
        hs_xmlbuf_puts(b, num ? "<th class=\"num\">" : "<th>");
        put_text(b, heads[i] + num);
        hs_xmlbuf_puts(b, "</th>");
    }
    hs_xmlbuf_puts(b, "</tr></thead>\n");
}

/* A group name is used in SQL and HTML ids: letters, digits and '_' only. */
static int group_name_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < REPORT_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* ---- reading the GeoPackage ---------------------------------------------------------------- */

typedef void (*row_fn)(report *r, OGRFeatureH f, void *user);

/* Run sql on the GeoPackage (SQLite dialect) and call fn on each row, in order. */
static hs_status query_rows(report *r, const char *sql, row_fn fn, void *user, hs_error *err)
{
    CPLErrorReset();
    OGRLayerH l = GDALDatasetExecuteSQL(r->ds, sql, NULL, NULL);
    if (l == NULL) {
        hs_status st = gdal_fail(err, HS_EDATA, r->gpkg_path, "query failed");
        hs_error_prefix(err, "report: %s", sql);
        return st;
    }
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        fn(r, f, user);
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(r->ds, l);
    return HS_OK;
}

static int has_layer(const report *r, const char *name)
{
    return GDALDatasetGetLayerByName(r->ds, name) != NULL;
}

/* Field `name` of f as a number; NAN when the field is missing or NULL. */
static double field_number(OGRFeatureH f, const char *name)
{
    int i = OGR_F_GetFieldIndex(f, name);
    return (i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)) ? OGR_F_GetFieldAsDouble(f, i)
                                                        : (double)NAN;
}

/* Field `name` of f as text; "" when missing or NULL. */
static const char *field_text(OGRFeatureH f, const char *name)
{
    int i = OGR_F_GetFieldIndex(f, name);
    return (i >= 0 && OGR_F_IsFieldSetAndNotNull(f, i)) ? OGR_F_GetFieldAsString(f, i) : "";
}

/* Collect the numeric fields of one row (field i -> out[i], NAN for NULL). */
typedef struct numbers_row {
    double v[8]; /* the values */
    size_t n;    /* how many were read */
} numbers_row;

static void read_numbers(report *r, OGRFeatureH f, void *user)
{
    (void)r;
    numbers_row *row = user;
    int nf = OGR_F_GetFieldCount(f);
    row->n = 0;
    for (int i = 0; i < nf && i < 8; i++) {
        row->v[i] = OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsDouble(f, i) : (double)NAN;
        row->n++;
    }
}

/* The first row of a query of numbers (counts, sums); all NAN when it returns no row. */
static hs_status query_numbers(report *r, const char *sql, numbers_row *row, hs_error *err)
{
    for (size_t i = 0; i < 8; i++)
        row->v[i] = (double)NAN;
    row->n = 0;
    return query_rows(r, sql, read_numbers, row, err);
}

static void read_info_row(report *r, OGRFeatureH f, void *user)
{
    hs_status *st = user;
    if (*st != HS_OK)
        return;
    run_info *ri = &r->info;
    char **k = realloc(ri->key, (ri->n + 1) * sizeof *k);
    if (k != NULL)
        ri->key = k;
    char **v = realloc(ri->value, (ri->n + 1) * sizeof *v);
    if (v != NULL)
        ri->value = v;
    char *key = strdup(field_text(f, "key")), *value = strdup(field_text(f, "value"));
    if (k == NULL || v == NULL || key == NULL || value == NULL) {
        free(key);
        free(value);
        *st = HS_ENOMEM;
        return;
    }
    ri->key[ri->n] = key;
    ri->value[ri->n] = value;
    ri->n++;
}

static hs_status read_run_info(report *r, hs_error *err)
{
    hs_status row_st = HS_OK;
    hs_status st =
        query_rows(r, "SELECT key, value FROM run_info ORDER BY fid", read_info_row, &row_st, err);
    if (st == HS_OK && row_st != HS_OK)
        st = hs_error_set(err, row_st, r->gpkg_path, 0, 0, "report: out of memory for run_info");
    return st;
}

/* Groups: the wards fields n_<group> other than n_all, in field order. */
static void find_groups(report *r)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(r->ds, "wards"));
    int nf = OGR_FD_GetFieldCount(defn);
    r->ngroups = 0;
    for (int i = 0; i < nf && r->ngroups < HS_REPORT_MAX_GROUPS; i++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        if (strncmp(name, "n_", 2) != 0 || strcmp(name, "n_all") == 0 || !group_name_ok(name + 2))
            continue;
        snprintf(r->group[r->ngroups++], REPORT_NAME_MAX, "%s", name + 2);
    }
}

/* The SVG frame: the wards' extent scaled to REPORT_SVG_WIDTH units (or to REPORT_SVG_MAX_H
 * for a tall district). */
static hs_status make_frame(report *r, hs_error *err)
{
    OGREnvelope env;
    OGRLayerH wards = GDALDatasetGetLayerByName(r->ds, "wards");
    if (OGR_L_GetExtent(wards, &env, TRUE) != OGRERR_NONE)
        return gdal_fail(err, HS_EDATA, r->gpkg_path, "report: the wards layer has no extent");
    double w = env.MaxX - env.MinX, h = env.MaxY - env.MinY;
    if (!(w > 0.0 || h > 0.0) || !isfinite(w) || !isfinite(h))
        return hs_error_set(err, HS_EDATA, r->gpkg_path, 0, 0,
                            "report: the wards cover no area (extent %g x %g m)", w, h);
    double s =
        fmin(w > 0.0 ? REPORT_SVG_WIDTH / w : HUGE_VAL, h > 0.0 ? REPORT_SVG_MAX_H / h : HUGE_VAL);
    r->frame = (map_frame){
        .xmin = env.MinX, .ymax = env.MaxY, .scale = s, .width = w * s, .height = h * s};
    return HS_OK;
}

static hs_status open_report(report *r, const char *gpkg_path, hs_error *err)
{
    static const char *const drivers[] = {"GPKG", NULL};
    r->gpkg_path = gpkg_path;
    r->ds = GDALOpenEx(gpkg_path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
    if (r->ds == NULL)
        return gdal_fail(err, HS_EDATA, gpkg_path, "report: cannot open the GeoPackage");
    if (!has_layer(r, "wards") || !has_layer(r, "run_info"))
        return hs_error_set(err, HS_EDATA, gpkg_path, 0, 0,
                            "report: expected a hotspot GeoPackage with layers wards and "
                            "run_info, found %s missing",
                            has_layer(r, "wards") ? "run_info" : "wards");
    hs_status st = read_run_info(r, err);
    if (st == HS_OK)
        st = make_frame(r, err);
    if (st == HS_OK)
        find_groups(r);
    return st;
}

/* ---- SVG geometry ---------------------------------------------------------------------------- */

static double svg_x(const map_frame *f, double x)
{
    return (x - f->xmin) * f->scale;
}

static double svg_y(const map_frame *f, double y)
{
    return (f->ymax - y) * f->scale;
}

/* Path data of a ring: M x y L x y ... Z (the closing point left to Z). */
static void path_ring(hs_xmlbuf *b, OGRGeometryH ring, const map_frame *f)
{
    int n = OGR_G_GetPointCount(ring);
    if (n > 1 && OGR_G_GetX(ring, 0) == OGR_G_GetX(ring, n - 1) &&
        OGR_G_GetY(ring, 0) == OGR_G_GetY(ring, n - 1))
        n--;
    for (int i = 0; i < n; i++)
        hs_xmlbuf_printf(b, "%c%.1f %.1f", i == 0 ? 'M' : 'L', svg_x(f, OGR_G_GetX(ring, i)),
                         svg_y(f, OGR_G_GetY(ring, i)));
    if (n > 0)
        hs_xmlbuf_puts(b, "Z");
}

/* Path data of the polygons in g (polygons, multipolygons, collections; other parts are
 * skipped). */
static void path_geometry(hs_xmlbuf *b, OGRGeometryH g, const map_frame *f)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    int n = OGR_G_GetGeometryCount(g);
    if (t == wkbPolygon) {
        for (int i = 0; i < n; i++)
            path_ring(b, OGR_G_GetGeometryRef(g, i), f);
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < n; i++)
            path_geometry(b, OGR_G_GetGeometryRef(g, i), f);
    }
}

/* Path data of g simplified to REPORT_SIMPLIFY viewBox units (g itself when GEOS cannot). */
static void path_simplified(hs_xmlbuf *b, OGRGeometryH g, const map_frame *f)
{
    if (g == NULL)
        return;
    OGRGeometryH s = OGR_G_SimplifyPreserveTopology(g, REPORT_SIMPLIFY / f->scale);
    CPLErrorReset();
    path_geometry(b, s != NULL && !OGR_G_IsEmpty(s) ? s : g, f);
    if (s != NULL)
        OGR_G_DestroyGeometry(s);
}

/* ---- density picture ------------------------------------------------------------------------- */

typedef struct density_png {
    char *base64; /* the PNG in base64 (CPLFree); NULL when the raster is absent */
    double x0;    /* west edge, metres */
    double y0;    /* north edge, metres */
    double w_m;   /* width, metres */
    double h_m;   /* height, metres */
    double min;   /* value at the transparent end of the ramp */
    double max;   /* value at the red end */
} density_png;

/* RGBA of value v on the ramp: t = sqrt((v - min) / (max - min)) between the stops (transparent
 * for nodata). */
static void density_rgba(double v, int has_nodata, double nodata, double min, double max,
                         uint8_t rgba[4])
{
    memset(rgba, 0, 4);
    if (!isfinite(v) || (has_nodata && v == nodata))
        return;
    double t = max > min ? (v - min) / (max - min) : 0.0;
    t = sqrt(t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t)) * (REPORT_RAMP_STOPS - 1);
    int k = t >= REPORT_RAMP_STOPS - 1 ? REPORT_RAMP_STOPS - 2 : (int)t;
    double u = t - k, a = ramp[k][3] + (ramp[k + 1][3] - ramp[k][3]) * u;
    rgba[3] = (uint8_t)lround(a * REPORT_RAMP_OPACITY);
    if (rgba[3] == 0)
        return; /* fully transparent pixels all alike compress better */
    for (int c = 0; c < 3; c++)
        rgba[c] = (uint8_t)lround(ramp[k][c] + (ramp[k + 1][c] - ramp[k][c]) * u);
}

/* Colour nx*ny values into band-sequential RGBA bytes. */
static void density_colour(const float *v, size_t n, int has_nodata, double nodata, double min,
                           double max, uint8_t *rgba)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t px[4];
        density_rgba((double)v[i], has_nodata, nodata, min, max, px);
        for (int c = 0; c < 4; c++)
            rgba[(size_t)c * n + i] = px[c];
    }
}

/* RGBA bytes (band-sequential, nx x ny) -> PNG through a MEM dataset and /vsimem/ ->
 * base64 (CPLFree). */
static hs_status rgba_to_png_base64(const uint8_t *rgba, int nx, int ny, char **b64, hs_error *err)
{
    GDALDriverH mem_drv = GDALGetDriverByName("MEM"), png_drv = GDALGetDriverByName("PNG");
    if (mem_drv == NULL || png_drv == NULL)
        return hs_error_set(err, HS_EDEP, NULL, 0, 0,
                            "report: GDAL lacks the %s driver needed for the density picture",
                            mem_drv == NULL ? "MEM" : "PNG");
    char name[96];
    snprintf(name, sizeof name, "/vsimem/hs_report_%p.png", (const void *)rgba);
    GDALDatasetH mem = GDALCreate(mem_drv, "", nx, ny, 4, GDT_Byte, NULL);
    int ok = mem != NULL &&
             GDALDatasetRasterIO(mem, GF_Write, 0, 0, nx, ny, (void *)rgba, nx, ny, GDT_Byte, 4,
                                 NULL, 0, 0, 0) == CE_None &&
             GDALSetRasterColorInterpretation(GDALGetRasterBand(mem, 4), GCI_AlphaBand) == CE_None;
    GDALDatasetH png = ok ? GDALCreateCopy(png_drv, name, mem, FALSE, NULL, NULL, NULL) : NULL;
    ok = ok && png != NULL;
    hs_status st = ok ? HS_OK : gdal_fail(err, HS_EDEP, NULL, "report: cannot make the PNG");
    if (png != NULL)
        GDALClose(png);
    if (mem != NULL)
        GDALClose(mem);
    vsi_l_offset len = 0;
    GByte *bytes = ok ? VSIGetMemFileBuffer(name, &len, TRUE) : NULL;
    if (ok && (bytes == NULL || len > (vsi_l_offset)(INT32_MAX / 2)))
        st = hs_error_set(err, HS_EDEP, NULL, 0, 0, "report: the PNG was not written");
    *b64 = st == HS_OK ? CPLBase64Encode((int)len, bytes) : NULL;
    if (st == HS_OK && *b64 == NULL)
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "report: out of memory for the PNG");
    VSIFree(bytes);
    VSIUnlink(name);
    char aux[120];
    snprintf(aux, sizeof aux, "%s.aux.xml", name);
    VSIUnlink(aux);
    return st;
}

/* Read raster kde_<group> (at most REPORT_PNG_MAX_PX on a side: nearest-neighbour
 * decimation of a smooth surface) and make its picture. A missing raster leaves
 * out->base64 NULL and is not an error. */
static hs_status density_read(const report *r, size_t g, density_png *out, hs_error *err)
{
    static const char *const drivers[] = {"GPKG", NULL};
    memset(out, 0, sizeof *out);
    char name[1200];
    snprintf(name, sizeof name, "GPKG:%s:kde_%s", r->gpkg_path, r->group[g]);
    GDALDatasetH ds = GDALOpenEx(name, GDAL_OF_RASTER | GDAL_OF_READONLY, drivers, NULL, NULL);
    if (ds == NULL) {
        CPLErrorReset();
        return HS_OK;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
    double gt[6], mm[2] = {0.0, 0.0};
    int has_nodata = 0;
    double nodata = band != NULL ? GDALGetRasterNoDataValue(band, &has_nodata) : 0.0;
    hs_status st = HS_OK;
    if (band == NULL || GDALGetGeoTransform(ds, gt) != CE_None || gt[2] != 0.0 || gt[4] != 0.0)
        st = gdal_fail(err, HS_EDATA, name, "report: the density raster is not north-up");
    if (st == HS_OK && GDALComputeRasterMinMax(band, FALSE, mm) != CE_None) {
        CPLErrorReset(); /* no valid cell: an all-transparent picture */
        mm[0] = mm[1] = 0.0;
    }
    double f = fmin(1.0, REPORT_PNG_MAX_PX / (double)(nx > ny ? nx : ny));
    int ox = (int)fmax(1.0, round(nx * f)), oy = (int)fmax(1.0, round(ny * f));
    size_t n = (size_t)ox * (size_t)oy;
    float *v = st == HS_OK ? malloc(n * sizeof *v) : NULL;
    uint8_t *rgba = st == HS_OK ? malloc(4 * n) : NULL;
    if (st == HS_OK && (v == NULL || rgba == NULL))
        st = hs_error_set(err, HS_ENOMEM, name, 0, 0, "report: out of memory for the raster");
    if (st == HS_OK &&
        GDALRasterIO(band, GF_Read, 0, 0, nx, ny, v, ox, oy, GDT_Float32, 0, 0) != CE_None)
        st = gdal_fail(err, HS_EDATA, name, "report: cannot read the density raster");
    if (st == HS_OK) {
        density_colour(v, n, has_nodata, nodata, mm[0], mm[1], rgba);
        st = rgba_to_png_base64(rgba, ox, oy, &out->base64, err);
    }
    if (st == HS_OK) {
        out->x0 = gt[0];
        out->y0 = gt[3];
        out->w_m = gt[1] * nx;
        out->h_m = -gt[5] * ny;
        out->min = mm[0];
        out->max = mm[1];
    }
    free(rgba);
    free(v);
    GDALClose(ds);
    return st;
}

/* ---- one group's map ------------------------------------------------------------------------- */

typedef struct ward_pass {
    hs_xmlbuf *fill;  /* ward fill paths */
    hs_xmlbuf *lines; /* all ward borders, one path's data */
    int gi;           /* 1: colour by Gi_Bin; 0: by count class */
    double step;      /* count class width (count mode) */
    size_t nclass[8]; /* wards per Gi class (index bin + 3, 7 = none) or count class */
} ward_pass;

/* Count class of n: [0, s], (s, 2s], ... as the wards style in QGIS. */
static size_t count_class(double n, double step)
{
    if (!(n > 0.0))
        return 0;
    double k = ceil(n / step) - 1.0;
    return k >= REPORT_COUNT_CLASSES - 1 ? REPORT_COUNT_CLASSES - 1 : (size_t)k;
}

/* Gi class index of a Gi_Bin value: bin + 3, or 7 when NULL. */
static size_t gi_class(double bin)
{
    if (isnan(bin))
        return 7;
    return bin <= -3.0 ? 0 : (bin >= 3.0 ? 6 : (size_t)(lround(bin) + 3));
}

static void ward_map_row(report *r, OGRFeatureH f, void *user)
{
    ward_pass *p = user;
    double n = field_number(f, "n");
    size_t k = p->gi ? gi_class(field_number(f, "Gi_Bin")) : count_class(n, p->step);
    p->nclass[k]++;
    const char *colour = p->gi ? (k == 7 ? gi_none_colour : gi_colour[k]) : count_colour[k];
    OGRGeometryH geom = OGR_F_GetGeometryRef(f);
    hs_xmlbuf_printf(p->fill, "<path fill=\"%s\" d=\"", colour);
    path_simplified(p->fill, geom, &r->frame);
    path_simplified(p->lines, geom, &r->frame);
    char num[48];
    hs_xmlbuf_puts(p->fill, "\"><title>");
    put_text(p->fill, field_text(f, "ward_name"));
    hs_xmlbuf_puts(p->fill, " (");
    put_text(p->fill, field_text(f, "ward_code"));
    hs_xmlbuf_printf(p->fill, "): %s incidents", fmt_count(num, sizeof num, n));
    if (p->gi) {
        hs_xmlbuf_puts(p->fill, "; ");
        put_text(p->fill, k == 7 ? gi_none_words : gi_words[k]);
    }
    hs_xmlbuf_puts(p->fill, "</title></path>\n");
}

static void hot_area_row(report *r, OGRFeatureH f, void *user)
{
    path_simplified(user, OGR_F_GetGeometryRef(f), &r->frame);
}

typedef struct patrol_pass {
    hs_xmlbuf *paths;  /* one path per area */
    hs_xmlbuf *labels; /* rank numbers */
    size_t n;          /* areas drawn */
} patrol_pass;

static void patrol_map_row(report *r, OGRFeatureH f, void *user)
{
    patrol_pass *p = user;
    OGRGeometryH geom = OGR_F_GetGeometryRef(f);
    char num[48], share[32];
    double rank = field_number(f, "rank");
    hs_xmlbuf_puts(p->paths, "<path class=\"patrol\" d=\"");
    path_simplified(p->paths, geom, &r->frame);
    hs_xmlbuf_printf(p->paths, "\"><title>Patrol area %.0f: %s incidents (%s%%)</title></path>\n",
                     rank, fmt_count(num, sizeof num, field_number(f, "incidents")),
                     fmt_fixed(share, sizeof share, field_number(f, "share_pct"), 1));
    OGRGeometryH at = geom != NULL ? OGR_G_PointOnSurface(geom) : NULL;
    if (at != NULL && !OGR_G_IsEmpty(at))
        hs_xmlbuf_printf(p->labels, "<text class=\"rank\" x=\"%.1f\" y=\"%.1f\">%.0f</text>\n",
                         svg_x(&r->frame, OGR_G_GetX(at, 0)), svg_y(&r->frame, OGR_G_GetY(at, 0)),
                         rank);
    if (at != NULL)
        OGR_G_DestroyGeometry(at);
    CPLErrorReset();
    p->n++;
}

/* SQL of the wards of group g for the map and the top-wards table: from wards_<g> (with
 * Gi*) when present, else from wards' n_<g>. */
static int wards_sql(const report *r, size_t g, const char *tail, char *sql, size_t n)
{
    char layer[96];
    snprintf(layer, sizeof layer, "wards_%s", r->group[g]);
    int gi = has_layer(r, layer);
    if (gi)
        snprintf(sql, n,
                 "SELECT ward_code, ward_name, n, rate_per_1000, Gi_Bin, geom FROM \"%s\" %s",
                 layer, tail);
    else
        snprintf(sql, n, "SELECT ward_code, ward_name, \"n_%s\" AS n, geom FROM wards %s",
                 r->group[g], tail);
    return gi;
}

/* The legend of a map. */
static void put_legend(hs_xmlbuf *b, const ward_pass *p, const density_png *d, size_t npatrol,
                       int has_hot, const char *units)
{
    hs_xmlbuf_puts(b, "<ul class=\"legend\">");
    if (p->gi) {
        for (int k = 6; k >= 0; k--)
            hs_xmlbuf_printf(b,
                             "<li><span class=\"sw\" style=\"background:%s\"></span>%s "
                             "(%zu)</li>",
                             gi_colour[k], gi_words[k], p->nclass[k]);
        if (p->nclass[7] > 0)
            hs_xmlbuf_printf(b,
                             "<li><span class=\"sw\" style=\"background:%s\"></span>%s "
                             "(%zu)</li>",
                             gi_none_colour, gi_none_words, p->nclass[7]);
    } else {
        for (size_t k = 0; k < REPORT_COUNT_CLASSES; k++) {
            char lo[48], hi[48];
            fmt_count(lo, sizeof lo, k == 0 ? 0.0 : (double)k * p->step + 1.0);
            fmt_count(hi, sizeof hi, (double)(k + 1) * p->step);
            hs_xmlbuf_printf(b,
                             "<li><span class=\"sw\" style=\"background:%s\"></span>%s%s%s "
                             "incidents (%zu wards)</li>",
                             count_colour[k], lo,
                             k + 1 < REPORT_COUNT_CLASSES ? " to " : " or more",
                             k + 1 < REPORT_COUNT_CLASSES ? hi : "", p->nclass[k]);
        }
    }
    if (d->base64 != NULL) {
        char lo[48], hi[48];
        hs_xmlbuf_puts(b,
                       "<li><span class=\"sw ramp\" style=\"background:linear-gradient(to right");
        for (int k = 0; k < REPORT_RAMP_STOPS; k++)
            hs_xmlbuf_printf(b, ",rgba(%.0f,%.0f,%.0f,%.2f)", ramp[k][0], ramp[k][1], ramp[k][2],
                             ramp[k][3] / 255.0 * REPORT_RAMP_OPACITY);
        hs_xmlbuf_printf(b,
                         ")\"></span>Density of incidents: %s to %s %s (square-root "
                         "scale)</li>",
                         fmt_count(lo, sizeof lo, round(d->min)),
                         fmt_count(hi, sizeof hi, round(d->max)), units);
    }
    if (has_hot)
        hs_xmlbuf_puts(b, "<li><span class=\"sw hot\"></span>Hot area (densest places)</li>");
    if (npatrol > 0)
        hs_xmlbuf_puts(b, "<li><span class=\"sw patrol\">1</span>Patrol area and its rank</li>");
    hs_xmlbuf_puts(b, "</ul>\n");
}

/* Units of the density values, from the job's kde.scale. */
static const char *density_units(const report *r)
{
    const char *scale = info_get(&r->info, "param.kde.scale");
    return scale != NULL && strcmp(scale, "raw") == 0 ? "(kernel sum)" : "incidents per km²";
}

/* Largest ward count of group g (for the count classes). */
static hs_status max_ward_count(report *r, size_t g, double *max, hs_error *err)
{
    char sql[256];
    numbers_row row;
    snprintf(sql, sizeof sql, "SELECT MAX(\"n_%s\") FROM wards", r->group[g]);
    hs_status st = query_numbers(r, sql, &row, err);
    *max = isfinite(row.v[0]) ? row.v[0] : 0.0;
    return st;
}

/* The parts of one map, each drawn into its own buffer. */
typedef struct map_parts {
    hs_xmlbuf fill;   /* ward fills */
    hs_xmlbuf lines;  /* ward borders: path data */
    hs_xmlbuf hot;    /* hot areas: path data */
    hs_xmlbuf patrol; /* patrol area paths */
    hs_xmlbuf labels; /* patrol rank numbers */
    density_png d;    /* density picture */
} map_parts;

/* 1 when a part ran out of memory. */
static int map_parts_failed(const map_parts *m)
{
    return m->fill.failed || m->lines.failed || m->hot.failed || m->patrol.failed ||
           m->labels.failed;
}

static void map_parts_free(map_parts *m)
{
    free(hs_xmlbuf_take(&m->fill));
    free(hs_xmlbuf_take(&m->lines));
    free(hs_xmlbuf_take(&m->hot));
    free(hs_xmlbuf_take(&m->patrol));
    free(hs_xmlbuf_take(&m->labels));
    CPLFree(m->d.base64);
    m->d.base64 = NULL;
}

/* Append a buffer's text (nothing when empty). */
static void put_buf(hs_xmlbuf *b, const hs_xmlbuf *part)
{
    if (part->data != NULL)
        hs_xmlbuf_add(b, part->data, part->len);
}

/* Read the layers of group g's map into m. */
static hs_status draw_map_parts(report *r, size_t g, ward_pass *wp, patrol_pass *pp, map_parts *m,
                                hs_error *err)
{
    char sql[512];
    wp->gi = wards_sql(r, g, "", sql, sizeof sql);
    double max = 0.0;
    hs_status st = wp->gi ? HS_OK : max_ward_count(r, g, &max, err);
    wp->step = fmax(1.0, ceil(max / REPORT_COUNT_CLASSES));
    if (st == HS_OK)
        st = query_rows(r, sql, ward_map_row, wp, err);
    if (st == HS_OK && has_layer(r, "hotspot_areas")) {
        snprintf(sql, sizeof sql, "SELECT geom FROM hotspot_areas WHERE group_name = '%s'",
                 r->group[g]);
        st = query_rows(r, sql, hot_area_row, &m->hot, err);
    }
    if (st == HS_OK && has_layer(r, "patrol_areas")) {
        snprintf(sql, sizeof sql,
                 "SELECT rank, incidents, share_pct, geom FROM patrol_areas WHERE group_name = "
                 "'%s' ORDER BY rank",
                 r->group[g]);
        st = query_rows(r, sql, patrol_map_row, pp, err);
    }
    if (st == HS_OK)
        st = density_read(r, g, &m->d, err);
    return st;
}

/* The <svg> of group g from its parts. */
static void put_svg(report *r, size_t g, const map_parts *m)
{
    const map_frame *f = &r->frame;
    hs_xmlbuf *b = &r->html;
    hs_xmlbuf_printf(b,
                     "<svg id=\"map-%s\" class=\"map\" viewBox=\"%.1f %.1f %.1f %.1f\" "
                     "role=\"img\" aria-label=\"Map of %s\">\n<g class=\"ward-fill\">\n",
                     r->group[g], -REPORT_SVG_PAD, -REPORT_SVG_PAD, f->width + 2 * REPORT_SVG_PAD,
                     f->height + 2 * REPORT_SVG_PAD, r->group[g]);
    put_buf(b, &m->fill);
    hs_xmlbuf_puts(b, "</g>\n");
    if (m->d.base64 != NULL) {
        hs_xmlbuf_printf(b,
                         "<image class=\"density\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                         "height=\"%.1f\" preserveAspectRatio=\"none\" pointer-events=\"none\" "
                         "href=\"data:image/png;base64,",
                         svg_x(f, m->d.x0), svg_y(f, m->d.y0), m->d.w_m * f->scale,
                         m->d.h_m * f->scale);
        hs_xmlbuf_puts(b, m->d.base64);
        hs_xmlbuf_puts(b, "\"/>\n");
    }
    hs_xmlbuf_puts(b, "<path class=\"ward-line\" d=\"");
    put_buf(b, &m->lines);
    hs_xmlbuf_puts(b, "\"/>\n");
    if (m->hot.len > 0) {
        hs_xmlbuf_puts(b, "<path class=\"hot-area\" d=\"");
        put_buf(b, &m->hot);
        hs_xmlbuf_puts(b, "\"/>\n");
    }
    put_buf(b, &m->patrol);
    put_buf(b, &m->labels);
    hs_xmlbuf_puts(b, "</svg>\n");
}

/* Write the map of group g and its legend. */
static hs_status write_map(report *r, size_t g, hs_error *err)
{
    map_parts m;
    memset(&m, 0, sizeof m);
    ward_pass wp = {.fill = &m.fill, .lines = &m.lines};
    patrol_pass pp = {.paths = &m.patrol, .labels = &m.labels};
    hs_status st = draw_map_parts(r, g, &wp, &pp, &m, err);
    if (st == HS_OK && map_parts_failed(&m))
        st = hs_error_set(err, HS_ENOMEM, r->gpkg_path, 0, 0, "report: out of memory for a map");
    if (st == HS_OK) {
        hs_xmlbuf_puts(&r->html, "<figure class=\"map\">");
        put_svg(r, g, &m);
        hs_xmlbuf_puts(&r->html, "<figcaption>");
        put_legend(&r->html, &wp, &m.d, pp.n, m.hot.len > 0, density_units(r));
        hs_xmlbuf_puts(&r->html, "</figcaption></figure>\n");
    }
    map_parts_free(&m);
    return st;
}

/* ---- one group's tables ---------------------------------------------------------------------- */

static void patrol_table_row(report *r, OGRFeatureH f, void *user)
{
    (void)user;
    hs_xmlbuf *b = &r->html;
    char s[64];
    hs_xmlbuf_puts(b, "<tr>");
    put_cell(b, fmt_count(s, sizeof s, field_number(f, "rank")), 1);
    put_cell(b, fmt_count(s, sizeof s, field_number(f, "incidents")), 1);
    put_cell(b, fmt_fixed(s, sizeof s, field_number(f, "share_pct"), 1), 1);
    put_cell(b, fmt_fixed(s, sizeof s, field_number(f, "area_km2"), 3), 1);
    put_cell(b, fmt_fixed(s, sizeof s, field_number(f, "pai"), 1), 1);
    hs_xmlbuf_puts(b, "</tr>\n");
}

static hs_status write_patrol_table(report *r, size_t g, hs_error *err)
{
    static const char *const heads[] = {
        "#Rank", "#Incidents", "#Share of the group's incidents (%)", "#Area (km²)", "#PAI"};
    hs_xmlbuf *b = &r->html;
    hs_xmlbuf_puts(b, "<h3>Proposed patrol areas</h3>\n");
    if (!has_layer(r, "patrol_areas")) {
        hs_xmlbuf_puts(b, "<p>This run wrote no patrol areas.</p>\n");
        return HS_OK;
    }
    char sql[512], a[48], s[48], n[48];
    numbers_row tot;
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*), SUM(area_km2), SUM(share_pct), SUM(incidents) FROM patrol_areas "
             "WHERE group_name = '%s'",
             r->group[g]);
    hs_status st = query_numbers(r, sql, &tot, err);
    if (st != HS_OK)
        return st;
    if (!(tot.v[0] > 0.0)) {
        hs_xmlbuf_puts(b, "<p>No patrol area was proposed for this group.</p>\n");
        return HS_OK;
    }
    hs_xmlbuf_printf(b,
                     "<p>Together the %.0f areas cover %s km² and hold %s%% of the group's "
                     "incidents (%s). PAI (predictive accuracy index) is an area's share of the "
                     "incidents divided by its share of the study area: 20 means it holds 20 "
                     "times what an even spread would give it.</p>\n",
                     tot.v[0], fmt_fixed(a, sizeof a, tot.v[1], 2),
                     fmt_fixed(s, sizeof s, tot.v[2], 1), fmt_count(n, sizeof n, tot.v[3]));
    hs_xmlbuf_printf(b, "<table id=\"patrol-%s\" class=\"patrol\">", r->group[g]);
    put_header(b, heads, sizeof heads / sizeof heads[0]);
    hs_xmlbuf_puts(b, "<tbody>\n");
    snprintf(sql, sizeof sql,
             "SELECT rank, incidents, share_pct, area_km2, pai FROM patrol_areas WHERE "
             "group_name = '%s' ORDER BY rank",
             r->group[g]);
    st = query_rows(r, sql, patrol_table_row, NULL, err);
    hs_xmlbuf_puts(b, "</tbody></table>\n");
    return st;
}

static void ward_table_row(report *r, OGRFeatureH f, void *user)
{
    const int *gi = user;
    hs_xmlbuf *b = &r->html;
    char s[64];
    hs_xmlbuf_puts(b, "<tr>");
    put_cell(b, field_text(f, "ward_name"), 0);
    put_cell(b, field_text(f, "ward_code"), 0);
    put_cell(b, fmt_count(s, sizeof s, field_number(f, "n")), 1);
    if (*gi) {
        put_cell(b, fmt_fixed(s, sizeof s, field_number(f, "rate_per_1000"), 1), 1);
        size_t k = gi_class(field_number(f, "Gi_Bin"));
        put_cell(b, k == 7 ? gi_none_words : gi_words[k], 0);
    }
    hs_xmlbuf_puts(b, "</tr>\n");
}

static hs_status write_ward_table(report *r, size_t g, hs_error *err)
{
    static const char *const heads[] = {"Ward", "Code", "#Incidents", "#Per 1,000 residents",
                                        "Hot spot class (Gi*)"};
    char sql[512], tail[96];
    snprintf(tail, sizeof tail, "ORDER BY n DESC, ward_code LIMIT %d", REPORT_TOP_WARDS);
    int gi = wards_sql(r, g, tail, sql, sizeof sql);
    hs_xmlbuf *b = &r->html;
    hs_xmlbuf_printf(b, "<h3>Wards with the most incidents</h3>\n<table id=\"wards-%s\">",
                     r->group[g]);
    put_header(b, heads, gi ? 5 : 3);
    hs_xmlbuf_puts(b, "<tbody>\n");
    hs_status st = query_rows(r, sql, ward_table_row, &gi, err);
    hs_xmlbuf_puts(b, "</tbody></table>\n");
    return st;
}

static void grid_class_row(report *r, OGRFeatureH f, void *user)
{
    (void)r;
    double *count = user; /* cold, not significant, hot, no neighbours */
    double bin = field_number(f, "bin"), n = field_number(f, "n");
    size_t k = isnan(bin) ? 3 : (bin < 0.0 ? 0 : (bin > 0.0 ? 2 : 1));
    count[k] += n;
}

/* One sentence on the grid Gi* of group g, when grid_<g> is present. */
static hs_status write_grid_summary(report *r, size_t g, hs_error *err)
{
    char layer[96], sql[256];
    snprintf(layer, sizeof layer, "grid_%s", r->group[g]);
    if (!has_layer(r, layer))
        return HS_OK;
    snprintf(sql, sizeof sql, "SELECT Gi_Bin AS bin, COUNT(*) AS n FROM \"%s\" GROUP BY Gi_Bin",
             layer);
    double count[4] = {0.0, 0.0, 0.0, 0.0};
    hs_status st = query_rows(r, sql, grid_class_row, count, err);
    if (st != HS_OK)
        return st;
    char all[48], hot[48], cold[48];
    const char *cell = info_get(&r->info, "param.gistar.grid_cell");
    hs_xmlbuf *b = &r->html;
    hs_xmlbuf_puts(b, "<p>On a finer grid of square cells");
    if (cell != NULL) {
        hs_xmlbuf_puts(b, " of ");
        put_text(b, cell);
        hs_xmlbuf_puts(b, " m");
    }
    hs_xmlbuf_printf(b,
                     ", %s of %s cells are hot spots and %s are cold spots (Gi*, 90%% "
                     "confidence or more): the places to look at within the wards.</p>\n",
                     fmt_count(hot, sizeof hot, count[2]),
                     fmt_count(all, sizeof all, count[0] + count[1] + count[2] + count[3]),
                     fmt_count(cold, sizeof cold, count[0]));
    return HS_OK;
}

/* Heading, map, grid sentence and tables of group g. */
static hs_status write_group(report *r, size_t g, hs_error *err)
{
    hs_xmlbuf *b = &r->html;
    const char *cats = info_group(r, "param.group.", g, ".categories");
    hs_xmlbuf_printf(b, "<section class=\"group\" id=\"group-%s\">\n<h2>%s", r->group[g],
                     r->group[g]);
    if (cats != NULL && cats[0] != '\0') {
        hs_xmlbuf_puts(b, ": ");
        put_text(b, cats);
    }
    hs_xmlbuf_puts(b, "</h2>\n");
    hs_status st = write_map(r, g, err);
    if (st == HS_OK)
        st = write_grid_summary(r, g, err);
    if (st == HS_OK)
        st = write_patrol_table(r, g, err);
    if (st == HS_OK)
        st = write_ward_table(r, g, err);
    hs_xmlbuf_puts(b, "</section>\n");
    return st;
}

/* ---- summary, concentration ---------------------------------------------------------------------
 */

static hs_status write_summary(report *r, hs_error *err)
{
    static const char *const heads[] = {"Group", "#Incidents on the map", "#Hot spot wards",
                                        "#Patrol areas", "#Incidents in the patrol areas (%)"};
    hs_xmlbuf *b = &r->html;
    hs_xmlbuf_puts(b, "<section id=\"summary\"><h2>At a glance</h2>\n<table>");
    put_header(b, heads, sizeof heads / sizeof heads[0]);
    hs_xmlbuf_puts(b, "<tbody>\n");
    hs_status st = HS_OK;
    for (size_t g = 0; g < r->ngroups && st == HS_OK; g++) {
        char sql[512], s[48], layer[96];
        numbers_row total, hot, patrol;
        snprintf(sql, sizeof sql, "SELECT SUM(\"n_%s\") FROM wards", r->group[g]);
        st = query_numbers(r, sql, &total, err);
        snprintf(layer, sizeof layer, "wards_%s", r->group[g]);
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM \"%s\" WHERE Gi_Bin > 0", layer);
        hot.v[0] = (double)NAN;
        if (st == HS_OK && has_layer(r, layer))
            st = query_numbers(r, sql, &hot, err);
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*), SUM(share_pct) FROM patrol_areas WHERE group_name = '%s'",
                 r->group[g]);
        patrol.v[0] = patrol.v[1] = (double)NAN;
        if (st == HS_OK && has_layer(r, "patrol_areas"))
            st = query_numbers(r, sql, &patrol, err);
        hs_xmlbuf_printf(b, "<tr><td><a href=\"#group-%s\">%s</a></td>", r->group[g], r->group[g]);
        put_cell(b, fmt_count(s, sizeof s, total.v[0]), 1);
        put_cell(b, fmt_count(s, sizeof s, hot.v[0]), 1);
        put_cell(b, fmt_count(s, sizeof s, patrol.v[0]), 1);
        put_cell(b, fmt_fixed(s, sizeof s, patrol.v[1], 1), 1);
        hs_xmlbuf_puts(b, "</tr>\n");
    }
    hs_xmlbuf_puts(b, "</tbody></table></section>\n");
    return st;
}

static void write_concentration(report *r)
{
    static const char *const heads[] = {"Group", "#Busiest 1% of cells", "#Busiest 5% of cells",
                                        "#Busiest 10% of cells"};
    static const char *const keys[3] = {".top1pct_cells_share_pct", ".top5pct_cells_share_pct",
                                        ".top10pct_cells_share_pct"};
    hs_xmlbuf *b = &r->html;
    const char *cell = info_get(&r->info, "param.patrol.cell");
    hs_xmlbuf_puts(b, "<section id=\"concentration\"><h2>How concentrated is it?</h2>\n<p>The "
                      "study area is cut into square cells");
    if (cell != NULL) {
        hs_xmlbuf_puts(b, " of ");
        put_text(b, cell);
        hs_xmlbuf_puts(b, " m");
    }
    hs_xmlbuf_puts(b, ". The table gives the share of each group's incidents (%) that falls in "
                      "the busiest 1%, 5% and 10% of the cells. High shares mean that a few "
                      "small places account for much of the problem. Police.uk locations are "
                      "moved to the nearest of a fixed set of anonymous points, which "
                      "concentrates them further, so read these figures as an upper bound for "
                      "police data.</p>\n<table>");
    put_header(b, heads, 4);
    hs_xmlbuf_puts(b, "<tbody>\n");
    for (size_t g = 0; g < r->ngroups; g++) {
        char key[256], s[48];
        hs_xmlbuf_printf(b, "<tr><td>%s</td>", r->group[g]);
        for (int k = 0; k < 3; k++) {
            snprintf(key, sizeof key, "concentration.%s%s", r->group[g], keys[k]);
            put_cell(b, fmt_fixed(s, sizeof s, info_number(r, key), 1), 1);
        }
        hs_xmlbuf_puts(b, "</tr>\n");
    }
    hs_xmlbuf_puts(b, "</tbody></table></section>\n");
}

/* ---- geocoding ------------------------------------------------------------------------------- */

typedef struct reason_kind {
    char text[REPORT_REASON_LEN];    /* the reason with its values replaced by "…" */
    char example[REPORT_REASON_LEN]; /* one full reason of this kind */
    double n;                        /* rows */
} reason_kind;

typedef struct reason_tally {
    reason_kind *kind; /* REPORT_REASON_KINDS slots */
    size_t n;          /* kinds in use */
    double other;      /* rows of kinds beyond the slots */
} reason_tally;

/* Append s to out (of size n, used o) when it fits whole; returns the new length. */
static size_t append_fit(char *out, size_t n, size_t o, const char *s)
{
    size_t k = strlen(s);
    if (o + k + 1 > n)
        return o;
    memcpy(out + o, s, k + 1);
    return o + k;
}

/* The kind of a failure reason: numbers, quoted text and bracketed text replaced by "…", so
 * that "malformed row: expected 12 fields, found 7" and "... found 9" count together. */
static void reason_kind_of(const char *reason, char *out, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = reason; *p != '\0';) {
        const char *end = NULL;
        if (*p == '(' && strchr(p, ')') != NULL)
            end = strchr(p, ')') + 1;
        else if ((*p == '\'' || *p == '"') && strchr(p + 1, *p) != NULL)
            end = strchr(p + 1, *p) + 1;
        else if (*p >= '0' && *p <= '9')
            end = p + strspn(p, "0123456789.");
        if (end != NULL) {
            if (o < 3 || strcmp(out + o - 3, "\xe2\x80\xa6") != 0)
                o = append_fit(out, n, o, "\xe2\x80\xa6");
            p = end;
            continue;
        }
        char c[2] = {*p++, '\0'};
        o = append_fit(out, n, o, c);
    }
}

static void reason_row(report *r, OGRFeatureH f, void *user)
{
    (void)r;
    reason_tally *t = user;
    const char *reason = field_text(f, "reason");
    char kind[REPORT_REASON_LEN];
    reason_kind_of(reason[0] ? reason : "no reason given", kind, sizeof kind);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->kind[i].text, kind) == 0) {
            t->kind[i].n += 1.0;
            return;
        }
    }
    if (t->n == REPORT_REASON_KINDS) {
        t->other += 1.0;
        return;
    }
    reason_kind *k = &t->kind[t->n++];
    snprintf(k->text, sizeof k->text, "%s", kind);
    snprintf(k->example, sizeof k->example, "%s", reason);
    k->n = 1.0;
}

static int by_rows_desc(const void *a, const void *b)
{
    const reason_kind *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->text, y->text);
}

static hs_status write_reasons(report *r, hs_error *err)
{
    static const char *const heads[] = {"Reason", "#Rows", "Example"};
    if (!has_layer(r, "geocode_failures"))
        return HS_OK;
    reason_tally t = {.kind = calloc(REPORT_REASON_KINDS, sizeof(reason_kind))};
    if (t.kind == NULL)
        return hs_error_set(err, HS_ENOMEM, r->gpkg_path, 0, 0, "report: out of memory");
    hs_status st =
        query_rows(r, "SELECT reason FROM geocode_failures ORDER BY fid", reason_row, &t, err);
    if (st == HS_OK && t.n > 0) {
        hs_xmlbuf *b = &r->html;
        qsort(t.kind, t.n, sizeof *t.kind, by_rows_desc);
        for (size_t i = REPORT_TOP_REASONS; i < t.n; i++)
            t.other += t.kind[i].n;
        hs_xmlbuf_puts(b, "<p>The most common reasons (every failed row is listed in the "
                          "layer geocode_failures of the GeoPackage):</p>\n<table id=\"reasons\">");
        put_header(b, heads, 3);
        hs_xmlbuf_puts(b, "<tbody>\n");
        for (size_t i = 0; i < t.n && i < REPORT_TOP_REASONS; i++) {
            char s[48];
            hs_xmlbuf_puts(b, "<tr>");
            put_cell(b, t.kind[i].text, 0);
            put_cell(b, fmt_count(s, sizeof s, t.kind[i].n), 1);
            put_cell(b, t.kind[i].example, 0);
            hs_xmlbuf_puts(b, "</tr>\n");
        }
        if (t.other > 0.0) {
            char s[48];
            hs_xmlbuf_puts(b, "<tr><td>other reasons</td>");
            put_cell(b, fmt_count(s, sizeof s, t.other), 1);
            hs_xmlbuf_puts(b, "<td></td></tr>\n");
        }
        hs_xmlbuf_puts(b, "</tbody></table>\n");
    }
    free(t.kind);
    return st;
}

/* Placed rows by method (run_info placed.<method>), the non-zero ones. */
static void write_methods(report *r)
{
    hs_xmlbuf *b = &r->html;
    int any = 0;
    for (size_t i = 0; i < r->info.n; i++) {
        const char *key = r->info.key[i];
        double v = parse_number(r->info.value[i]);
        if (strncmp(key, "placed.", 7) != 0 || !(v > 0.0))
            continue;
        char s[48];
        hs_xmlbuf_puts(b, any ? ", " : "<p>How the placed rows were found: ");
        put_text(b, key + 7);
        hs_xmlbuf_printf(b, " %s", fmt_count(s, sizeof s, v));
        any = 1;
    }
    if (any)
        hs_xmlbuf_puts(b, ".</p>\n");
}

static hs_status write_geocoding(report *r, hs_error *err)
{
    hs_xmlbuf *b = &r->html;
    double rate = info_number(r, "hit_rate"), min = info_number(r, "param.job.min_hit_rate");
    double in = info_number(r, "rows_in"), placed = info_number(r, "rows_placed");
    double failed = info_number(r, "rows_failed");
    double outside = info_number(r, "rows_outside_study_area");
    char s1[48], s2[48], s3[48], s4[48], s5[48];
    if (isnan(min))
        min = 0.85;
    hs_xmlbuf_puts(b, "<section id=\"geocoding\"><h2>How complete is the map?</h2>\n");
    hs_xmlbuf_printf(b,
                     "<p><strong>Hit rate: %s%%.</strong> Of %s rows read, %s were placed on "
                     "the map, %s could not be placed and %s lie outside the study area. The hit "
                     "rate is placed / (placed + not placed); rows outside the study area are "
                     "left out of it because they belong to other districts.</p>\n",
                     fmt_fixed(s1, sizeof s1, 100.0 * rate, 1), fmt_count(s2, sizeof s2, in),
                     fmt_count(s3, sizeof s3, placed), fmt_count(s4, sizeof s4, failed),
                     fmt_count(s5, sizeof s5, outside));
    hs_xmlbuf_printf(b,
                     "<p class=\"%s\">A widely used rule of thumb (Ratcliffe, 2004) is that a "
                     "crime map needs a hit rate of at least 85%%: below it, the incidents that "
                     "could not be placed can hide or shift hot spots, all the more when they "
                     "come from the same places (new estates, addresses without postcodes, "
                     "\"no location\" records). This job's minimum is %s%%: %s</p>\n",
                     rate >= min ? "note" : "warn", fmt_fixed(s1, sizeof s1, 100.0 * min, 0),
                     isnan(rate)   ? "the run recorded no hit rate."
                     : rate >= min ? "this run meets it."
                                   : "this run falls short of it, so treat the maps with care.");
    write_methods(r);
    return write_reasons(r, err);
}

/* ---- run details ----------------------------------------------------------------------------- */

/* 1 when a run_info value means "not set". */
static int value_unset(const char *value)
{
    return value[0] == '\0' || strcmp(value, "(null)") == 0;
}

/* A table of the run_info pairs whose key starts with one of the prefixes (shown without the
 * prefix when strip); pairs without a value are left out. Returns how many were left out. */
static size_t write_info_table(report *r, const char *id, const char *const *prefixes,
                               size_t nprefixes, int strip)
{
    static const char *const heads[] = {"Setting", "Value"};
    hs_xmlbuf *b = &r->html;
    size_t unset = 0;
    hs_xmlbuf_printf(b, "<table id=\"%s\">", id);
    put_header(b, heads, 2);
    hs_xmlbuf_puts(b, "<tbody>\n");
    for (size_t p = 0; p < nprefixes; p++) {
        size_t len = strlen(prefixes[p]);
        for (size_t i = 0; i < r->info.n; i++) {
            const char *key = r->info.key[i], *value = r->info.value[i];
            if (strncmp(key, prefixes[p], len) != 0)
                continue;
            if (value_unset(value)) {
                unset++;
                continue;
            }
            hs_xmlbuf_puts(b, "<tr>");
            put_cell(b, strip ? key + len : key, 0);
            put_cell(b, value, 0);
            hs_xmlbuf_puts(b, "</tr>\n");
        }
    }
    hs_xmlbuf_puts(b, "</tbody></table>\n");
    return unset;
}

static void write_run_details(report *r)
{
    static const char *const params[] = {"param."};
    static const char *const details[] = {"job.",       "run.",   "version.", "input.",
                                          "transform.", "wards.", "time."};
    hs_xmlbuf *b = &r->html;
    hs_xmlbuf_puts(b, "<section id=\"run\"><h2>How this report was made</h2>\n<p>The settings "
                      "of the job (its job file, with defaults filled in), then the inputs, "
                      "library versions and timings of the run.</p>\n<h3>Settings</h3>\n");
    size_t unset = write_info_table(r, "parameters", params, 1, 1);
    if (unset > 0)
        hs_xmlbuf_printf(b, "<p>%zu optional settings that were not set are not listed.</p>\n",
                         unset);
    hs_xmlbuf_puts(b, "<h3>Run, inputs and versions</h3>\n");
    write_info_table(r, "details", details, sizeof details / sizeof details[0], 0);
    hs_xmlbuf_puts(b, "</section>\n");
}

/* ---- page ------------------------------------------------------------------------------------ */

static void write_head(report *r, const char *title)
{
    hs_xmlbuf *b = &r->html;
    const char *job = info_get(&r->info, "job.name");
    char fallback[256];
    snprintf(fallback, sizeof fallback, "Hot spot report: %s", job ? job : "hotspot run");
    const char *t = title != NULL ? title : fallback;
    hs_xmlbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                      "'none'; img-src data:; style-src 'unsafe-inline'\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, "
                      "initial-scale=1\">\n<title>");
    put_text(b, t);
    hs_xmlbuf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<header><h1>", page_css);
    put_text(b, t);
    hs_xmlbuf_puts(b, "</h1>\n<p class=\"meta\">");
    const char *slash = strrchr(r->gpkg_path, '/');
    put_text(b, slash ? slash + 1 : r->gpkg_path);
    const char *started = info_get(&r->info, "run.started_utc");
    if (started != NULL) {
        hs_xmlbuf_puts(b, " &middot; run started ");
        put_text(b, started);
    }
    const char *version = info_get(&r->info, "version.hotspot");
    if (version != NULL) {
        hs_xmlbuf_puts(b, " &middot; hotspot ");
        put_text(b, version);
    }
    hs_xmlbuf_puts(b, "</p></header>\n");
}

static void write_how_to_read(report *r)
{
    hs_xmlbuf_puts(
        &r->html,
        "<section id=\"how-to-read\" class=\"note\"><h2>How to read this report</h2>\n"
        "<p>Each part below covers one group of incidents, such as anti-social behaviour. Its "
        "map shows the district's wards. A ward's colour says whether it is a hot spot (red: "
        "the ward and its neighbours together have more incidents than chance would explain), "
        "a cold spot (blue: fewer), or neither (pale); the method is Getis-Ord Gi*, and the "
        "percentage is how sure the test is. The red shading shows where incidents are "
        "densest, street by street. Dashed red outlines mark the hot areas, the densest "
        "places. Numbered blue outlines are the proposed patrol areas: area 1 holds the most "
        "incidents. Hover over a ward or an area to see its figures.</p>\n"
        "<p>All figures count incidents that were recorded and could be placed on the map; "
        "the section <a href=\"#geocoding\">How complete is the map?</a> says how many could "
        "not and why. A hot spot shows where incidents were recorded, not why: read it with "
        "local knowledge.</p></section>\n");
}

/* ---- output ---------------------------------------------------------------------------------- */

/* Write len bytes to a temporary sibling of path, flush them to disk and rename it over
 * path. */
static hs_status write_atomically(const char *path, const char *data, size_t len, hs_error *err)
{
    char tmp[4200];
    hs_temp_sibling(path, ".html", tmp, sizeof tmp);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return hs_error_set(err, HS_EIO, path, 0, 0,
                            "cannot create the report's temporary file "
                            "%s: %s",
                            tmp, strerror(errno));
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        hs_status st =
            hs_error_set(err, HS_EIO, path, 0, 0, "cannot write the report: %s", strerror(errno));
        remove(tmp);
        return st;
    }
    return HS_OK;
}

static hs_status write_body(report *r, const char *title, hs_error *err)
{
    write_head(r, title);
    write_how_to_read(r);
    hs_status st = write_summary(r, err);
    for (size_t g = 0; g < r->ngroups && st == HS_OK; g++)
        st = write_group(r, g, err);
    if (st == HS_OK) {
        write_concentration(r);
        st = write_geocoding(r, err);
    }
    if (st == HS_OK) {
        write_run_details(r);
        hs_xmlbuf_puts(&r->html, "</body>\n</html>\n");
    }
    return st;
}

hs_status hs_report_write(const char *gpkg_path, const char *html_path, const char *title,
                          hs_error *err)
{
    if (gpkg_path == NULL || html_path == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "report: expected a GeoPackage path and an HTML path");
    report r;
    memset(&r, 0, sizeof r);
    gdal_enter();
    hs_status st = open_report(&r, gpkg_path, err);
    if (st == HS_OK)
        st = write_body(&r, title, err);
    size_t len = r.html.len;
    char *page = hs_xmlbuf_take(&r.html);
    if (st == HS_OK && page == NULL)
        st = hs_error_set(err, HS_ENOMEM, html_path, 0, 0, "report: out of memory");
    if (st == HS_OK)
        st = write_atomically(html_path, page, len, err);
    free(page);
    run_info_free(&r.info);
    if (r.ds != NULL)
        GDALClose(r.ds);
    CPLPopErrorHandler();
    return st;
}

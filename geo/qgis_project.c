/* qgis_project.c - the QGIS project of a run (see qgis_project.h).
 *
 * Must not do statistics. The document holds only what QGIS needs to open the layers: the
 * project CRS, the layer tree (its order is the drawing order, first = top), one <maplayer>
 * per layer with id, data source, name, CRS, provider and the embedded style (the body of the
 * layer's QML document; its root attributes, such as labelsEnabled, go on <maplayer>), and
 * relative paths. QGIS fills in the rest with its defaults when it reads the project. The .qgz
 * is made with GDAL's CPL zip writer (we link no zlib of our own).
 */
#include "geo/qgis_project.h"

#include "geo/styles.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HS_QGIS_VERSION "3.22.16" /* the QGIS whose project format this follows */

int hs_qgis_layer_order(const char *name, hs_qgis_kind kind)
{
    static const struct {
        const char *name; /* exact name, or prefix when it ends in '_' */
        int order;        /* drawing position, 0 = top */
    } known[] = {{"incidents", 0}, {"patrol_areas", 1},    {"hotspot_areas", 2},
                 {"grid_", 4},     {"wards_", 5},          {"wards", 6},
                 {"run_info", 8},  {"geocode_failures", 8}};
    /* The KDE ramp is transparent at low densities: drawn above the polygon fills (Gi*
     * wards and grid cells), it shows the heat and the classes under it at once. */
    if (kind == HS_QGIS_RASTER)
        return 3;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t n = strlen(known[i].name);
        int prefix = known[i].name[n - 1] == '_';
        if (prefix ? strncmp(name, known[i].name, n) == 0 && name[n] != '\0'
                   : strcmp(name, known[i].name) == 0)
            return known[i].order;
    }
    return 7;
}

/* ---- pieces of the document ------------------------------------------------------------ */

/* <spatialrefsys> of crs, written the way QGIS writes it (WKT2, proj string, authority). */
static hs_status crs_xml(const char *crs, hs_xmlbuf *out, hs_error *err)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    char *wkt = NULL, *proj4 = NULL;
    const char *wkt_opts[] = {"FORMAT=WKT2_2019", "MULTILINE=NO", NULL};
    hs_status st = HS_OK;
    CPLErrorReset();
    if (srs == NULL || OSRSetFromUserInput(srs, crs) != OGRERR_NONE ||
        OSRExportToWktEx(srs, &wkt, wkt_opts) != OGRERR_NONE ||
        OSRExportToProj4(srs, &proj4) != OGRERR_NONE) {
        st = hs_error_set(err, HS_EINVAL, NULL, 0, 0, "QGIS project: unknown CRS '%s': %s", crs,
                          CPLGetLastErrorMsg());
        goto fail;
    }
    const char *auth = OSRGetAuthorityName(srs, NULL), *code = OSRGetAuthorityCode(srs, NULL);
    const char *name = OSRGetName(srs);
    hs_xmlbuf_puts(out, "<spatialrefsys><wkt>");
    hs_xmlbuf_escaped(out, wkt);
    hs_xmlbuf_puts(out, "</wkt><proj4>");
    hs_xmlbuf_escaped(out, proj4);
    hs_xmlbuf_printf(out, "</proj4><srid>%s</srid><authid>", code ? code : "0");
    if (auth && code)
        hs_xmlbuf_printf(out, "%s:%s", auth, code);
    hs_xmlbuf_puts(out, "</authid><description>");
    hs_xmlbuf_escaped(out, name ? name : "");
    hs_xmlbuf_printf(out, "</description><geographicflag>%s</geographicflag></spatialrefsys>",
                     OSRIsGeographic(srs) ? "true" : "false");
fail:
    CPLFree(proj4);
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    return st;
}

/* A QML document split into its root element's attributes and its body. */
typedef struct qml_parts {
    const char *attrs; /* root attributes text (after "<qgis") */
    size_t attrs_len;  /* its length */
    const char *body;  /* inside the root element */
    size_t body_len;   /* its length */
} qml_parts;

static const char *skip_prolog(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        const char *end = NULL;
        if (strncmp(p, "<?", 2) == 0)
            end = strstr(p, "?>");
        else if (strncmp(p, "<!--", 4) == 0)
            end = strstr(p, "-->");
        else if (strncmp(p, "<!DOCTYPE", 9) == 0)
            end = strchr(p, '>');
        if (end == NULL)
            return p;
        p = end + (end[0] == '-' ? 3 : end[0] == '?' ? 2 : 1);
    }
}

static hs_status split_qml(const char *layer, const char *qml, qml_parts *out, hs_error *err)
{
    const char *root = skip_prolog(qml);
    const char *tag_end = strncmp(root, "<qgis", 5) == 0 ? strchr(root, '>') : NULL;
    const char *close = NULL;
    for (const char *p = strstr(qml, "</qgis>"); p != NULL; p = strstr(p + 1, "</qgis>"))
        close = p;
    if (tag_end == NULL || close == NULL || close < tag_end || tag_end[-1] == '/')
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "QGIS project: the style of layer '%s' is not a QML document "
                            "(<qgis ...> ... </qgis>)",
                            layer);
    out->attrs = root + 5;
    out->attrs_len = (size_t)(tag_end - out->attrs);
    out->body = tag_end + 1;
    out->body_len = (size_t)(close - out->body);
    return HS_OK;
}

/* Copy the root attributes name="value" except those that describe the QML file itself. */
static void copy_root_attrs(const qml_parts *q, hs_xmlbuf *out)
{
    const char *p = q->attrs, *end = q->attrs + q->attrs_len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL || eq + 1 >= end || (eq[1] != '"' && eq[1] != '\''))
            return;
        const char *stop = memchr(eq + 2, eq[1], (size_t)(end - eq - 2));
        if (stop == NULL)
            return;
        size_t nlen = (size_t)(eq - p);
        int skip = (nlen == 7 && memcmp(p, "version", 7) == 0) ||
                   (nlen == 15 && memcmp(p, "styleCategories", 15) == 0) ||
                   (nlen == 4 && memcmp(p, "type", 4) == 0);
        if (!skip) {
            hs_xmlbuf_puts(out, " ");
            hs_xmlbuf_add(out, p, (size_t)(stop + 1 - p));
        }
        p = stop + 1;
    }
}

/* Data source as QGIS writes it, relative to the project. */
static void datasource(hs_xmlbuf *out, const char *gpkg_name, const hs_qgis_layer *l)
{
    if (l->kind == HS_QGIS_RASTER) {
        hs_xmlbuf_puts(out, "GPKG:./");
        hs_xmlbuf_escaped(out, gpkg_name);
        hs_xmlbuf_puts(out, ":");
        hs_xmlbuf_escaped(out, l->name);
    } else {
        hs_xmlbuf_puts(out, "./");
        hs_xmlbuf_escaped(out, gpkg_name);
        hs_xmlbuf_puts(out, "|layername=");
        hs_xmlbuf_escaped(out, l->name);
    }
}

static void layer_id(hs_xmlbuf *out, const hs_qgis_layer *l)
{
    hs_xmlbuf_escaped(out, l->name);
    hs_xmlbuf_puts(out, "_hotspot");
}

static void tree_layer(hs_xmlbuf *out, const char *gpkg_name, const hs_qgis_layer *l)
{
    hs_xmlbuf_puts(out, "    <layer-tree-layer id=\"");
    layer_id(out, l);
    hs_xmlbuf_puts(out, "\" name=\"");
    hs_xmlbuf_escaped(out, l->name);
    hs_xmlbuf_puts(out, "\" source=\"");
    datasource(out, gpkg_name, l);
    hs_xmlbuf_printf(out, "\" providerKey=\"%s\" checked=\"Qt::%s\" expanded=\"%d\"/>\n",
                     l->kind == HS_QGIS_RASTER ? "gdal" : "ogr",
                     l->hidden ? "Unchecked" : "Checked", l->kind == HS_QGIS_VECTOR);
}

static hs_status map_layer(hs_xmlbuf *out, const char *gpkg_name, const hs_qgis_layer *l,
                           const char *srs, hs_error *err)
{
    qml_parts q = {0};
    if (l->qml != NULL) {
        hs_status st = split_qml(l->name, l->qml, &q, err);
        if (st != HS_OK)
            return st;
    }
    hs_xmlbuf_printf(out, "    <maplayer type=\"%s\"",
                     l->kind == HS_QGIS_RASTER ? "raster" : "vector");
    copy_root_attrs(&q, out);
    hs_xmlbuf_puts(out, ">\n      <id>");
    layer_id(out, l);
    hs_xmlbuf_puts(out, "</id>\n      <datasource>");
    datasource(out, gpkg_name, l);
    hs_xmlbuf_puts(out, "</datasource>\n      <layername>");
    hs_xmlbuf_escaped(out, l->name);
    hs_xmlbuf_printf(out, "</layername>\n      <srs>%s</srs>\n", srs);
    hs_xmlbuf_puts(out, l->kind == HS_QGIS_RASTER
                            ? "      <provider>gdal</provider>\n"
                            : "      <provider encoding=\"UTF-8\">ogr</provider>\n");
    hs_xmlbuf_add(out, q.body ? q.body : "", q.body_len);
    hs_xmlbuf_puts(out, "\n    </maplayer>\n");
    return HS_OK;
}

/* Layer indices in drawing order (stable insertion sort: n is a handful). */
static size_t *drawing_order(const hs_qgis_layer *layers, size_t n)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (idx == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        int oi = hs_qgis_layer_order(layers[i].name, layers[i].kind);
        while (j > 0 &&
               hs_qgis_layer_order(layers[idx[j - 1]].name, layers[idx[j - 1]].kind) > oi) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    return idx;
}

static void project_head(hs_xmlbuf *out, const char *title, const char *srs)
{
    hs_xmlbuf_printf(out,
                     "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                     "<qgis version=\"%s\" projectname=\"",
                     HS_QGIS_VERSION);
    hs_xmlbuf_escaped(out, title);
    hs_xmlbuf_puts(out, "\">\n  <homePath path=\"\"/>\n  <title>");
    hs_xmlbuf_escaped(out, title);
    hs_xmlbuf_printf(out, "</title>\n  <projectCrs>%s</projectCrs>\n", srs);
}

static void project_tail(hs_xmlbuf *out, const hs_qgis_layer *layers, const size_t *idx, size_t n)
{
    hs_xmlbuf_puts(out, "  <layerorder>\n");
    for (size_t k = 0; k < n; k++) {
        hs_xmlbuf_puts(out, "    <layer id=\"");
        layer_id(out, &layers[idx[k]]);
        hs_xmlbuf_puts(out, "\"/>\n");
    }
    hs_xmlbuf_puts(out, "  </layerorder>\n  <properties>\n"
                        "    <Paths><Absolute type=\"bool\">false</Absolute></Paths>\n"
                        "    <SpatialRefSys><ProjectionsEnabled type=\"int\">1"
                        "</ProjectionsEnabled></SpatialRefSys>\n"
                        "  </properties>\n</qgis>\n");
}

hs_status hs_qgis_project_xml(const char *gpkg_name, const char *crs, const char *title,
                              const hs_qgis_layer *layers, size_t n, char **xml, hs_error *err)
{
    *xml = NULL;
    hs_xmlbuf srsbuf = {0}, out = {0};
    size_t *idx = drawing_order(layers, n);
    hs_status st = idx ? crs_xml(crs, &srsbuf, err) : HS_ENOMEM;
    char *srs = st == HS_OK ? hs_xmlbuf_take(&srsbuf) : NULL;
    if (st == HS_OK && srs == NULL)
        st = HS_ENOMEM;
    if (st != HS_OK)
        goto fail;
    project_head(&out, title, srs);
    hs_xmlbuf_puts(&out, "  <layer-tree-group>\n");
    for (size_t k = 0; k < n; k++)
        tree_layer(&out, gpkg_name, &layers[idx[k]]);
    hs_xmlbuf_puts(&out, "  </layer-tree-group>\n  <projectlayers>\n");
    for (size_t k = 0; k < n && st == HS_OK; k++)
        st = map_layer(&out, gpkg_name, &layers[idx[k]], srs, err);
    hs_xmlbuf_puts(&out, "  </projectlayers>\n");
    project_tail(&out, layers, idx, n);
    if (st == HS_OK && (*xml = hs_xmlbuf_take(&out)) == NULL)
        st = HS_ENOMEM;
fail:
    if (st == HS_ENOMEM)
        hs_error_set(err, st, NULL, 0, 0, "QGIS project: out of memory");
    free(hs_xmlbuf_take(&out));
    free(hs_xmlbuf_take(&srsbuf));
    free(srs);
    free(idx);
    return st;
}

/* ---- writing --------------------------------------------------------------------------- */

hs_status hs_qgis_project_save(const char *path, const char *xml, hs_error *err)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return hs_error_set(err, HS_EIO, tmp, 0, 0, "cannot create the QGIS project file");
    size_t len = strlen(xml);
    int bad = fwrite(xml, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return hs_error_set(err, HS_EIO, path, 0, 0, "cannot write the QGIS project file");
    }
    return HS_OK;
}

/* The .qgz bytes (a zip holding NAME.qgs) via /vsimem/; *bytes is freed with VSIFree. */
static hs_status zip_project(const char *name, const char *xml, GByte **bytes, vsi_l_offset *len,
                             hs_error *err)
{
    char zpath[96], entry[600];
    snprintf(zpath, sizeof zpath, "/vsimem/hs_qgis_project_%p.qgz", (const void *)xml);
    snprintf(entry, sizeof entry, "%s.qgs", name);
    CPLErrorReset();
    void *zip = CPLCreateZip(zpath, NULL);
    int ok = zip != NULL && CPLCreateFileInZip(zip, entry, NULL) == CE_None &&
             CPLWriteFileInZip(zip, xml, (int)strlen(xml)) == CE_None &&
             CPLCloseFileInZip(zip) == CE_None;
    if (zip != NULL && CPLCloseZip(zip) != CE_None)
        ok = 0;
    *bytes = ok ? VSIGetMemFileBuffer(zpath, len, TRUE) : NULL;
    if (!ok || *bytes == NULL) {
        VSIUnlink(zpath);
        return hs_error_set(err, HS_EIO, NULL, 0, 0, "cannot zip the QGIS project: %s",
                            CPLGetLastErrorMsg());
    }
    return HS_OK;
}

/* INSERT OR REPLACE of the project row, with the zip as hexadecimal text like QGIS. */
static char *project_row_sql(const char *name, const GByte *zip, vsi_l_offset len)
{
    static const char hex[] = "0123456789abcdef";
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) != NULL)
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    hs_xmlbuf b = {0}, meta = {0};
    hs_xmlbuf_printf(
        &meta, "{\"last_modified_time\": \"%s\", \"last_modified_user\": \"hotspot\" }", when);
    char *json = hs_xmlbuf_take(&meta);
    hs_xmlbuf_puts(&b, "INSERT OR REPLACE INTO qgis_projects(name, metadata, content) VALUES (");
    hs_xmlbuf_sql_literal(&b, name);
    hs_xmlbuf_puts(&b, ", ");
    hs_xmlbuf_sql_literal(&b, json ? json : "");
    hs_xmlbuf_puts(&b, ", '");
    for (vsi_l_offset i = 0; i < len; i++) {
        char two[2] = {hex[zip[i] >> 4], hex[zip[i] & 15]};
        hs_xmlbuf_add(&b, two, 2);
    }
    hs_xmlbuf_puts(&b, "')");
    free(json);
    return hs_xmlbuf_take(&b);
}

static hs_status run_sql(GDALDatasetH ds, const char *sql, hs_error *err)
{
    CPLErrorReset();
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (res != NULL)
        GDALDatasetReleaseResultSet(ds, res);
    if (CPLGetLastErrorType() >= CE_Failure)
        return hs_error_set(err, HS_EIO, NULL, 0, 0, "cannot store the QGIS project: %s",
                            CPLGetLastErrorMsg());
    return HS_OK;
}

hs_status hs_qgis_project_store(GDALDatasetH ds, const char *name, const char *xml, hs_error *err)
{
    GByte *zip = NULL;
    vsi_l_offset len = 0;
    hs_status st = zip_project(name, xml, &zip, &len, err);
    if (st != HS_OK)
        return st;
    char *sql = project_row_sql(name, zip, len);
    VSIFree(zip);
    if (sql == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "QGIS project: out of memory");
    st = run_sql(ds,
                 "CREATE TABLE IF NOT EXISTS qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, "
                 "content BLOB)",
                 err);
    if (st == HS_OK)
        st = run_sql(ds, sql, err);
    free(sql);
    return st;
}

hs_status hs_qgis_project_write(GDALDatasetH ds, const char *gpkg_path, const char *name,
                                const char *crs, const hs_qgis_layer *layers, size_t n,
                                hs_error *err)
{
    const char *slash = strrchr(gpkg_path, '/');
    const char *file = slash ? slash + 1 : gpkg_path;
    char qgs[1100];
    snprintf(qgs, sizeof qgs, "%.*s%s.qgs", slash ? (int)(slash + 1 - gpkg_path) : 0, gpkg_path,
             name);
    char *xml = NULL;
    hs_status st = hs_qgis_project_xml(file, crs, name, layers, n, &xml, err);
    if (st == HS_OK)
        st = hs_qgis_project_save(qgs, xml, err);
    if (st == HS_OK)
        st = hs_qgis_project_store(ds, name, xml, err);
    free(xml);
    return st;
}

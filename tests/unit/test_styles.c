/* test_styles.c - QML templates: placeholders filled, XML escaping, repeated sections, errors
 * naming the placeholder and line; every shipped template fills into well-formed XML with the
 * expected renderer; layer_styles rows with QGIS's columns in a GeoPackage made from the real
 * Canterbury wards, which GDAL's validator accepts. */
#include "geo/styles.h"

#include <cpl_conv.h>
#include <cpl_minixml.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#define DATA_DIR HS_SOURCE_DIR "/data"
#define WARDS_GPKG                                                                                 \
    HS_SHARED_DATA_DIR "/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg"

static char *fill(const char *tmpl, const hs_style_var *v, size_t nv, const hs_style_list *l,
                  size_t nl, hs_status want, hs_error *err)
{
    char *out = NULL;
    assert_int_equal(hs_style_fill(tmpl, "t.qml", v, nv, l, nl, &out, err), want);
    return out;
}

static void test_fill_escapes_values(void **state)
{
    (void)state;
    hs_style_var v[] = {{"X", "Tom & \"Jerry\" <'x'>"}, {"Y_2", "plain"}};
    char *out = fill("<a v=\"{{X}}\">{{Y_2}}</a>", v, 2, NULL, 0, HS_OK, NULL);
    assert_string_equal(out,
                        "<a v=\"Tom &amp; &quot;Jerry&quot; &lt;&apos;x&apos;&gt;\">plain</a>");
    free(out);
    /* Text without placeholders is copied as is, braces that are not {{ included. */
    out = fill("a { b } c", NULL, 0, NULL, 0, HS_OK, NULL);
    assert_string_equal(out, "a { b } c");
    free(out);
}

static void test_fill_sections(void **state)
{
    (void)state;
    /* Item values first, then the outer ones: B comes from outside. */
    hs_style_var top[] = {{"B", "z"}, {"A", "outer"}};
    hs_style_var items[] = {{"A", "1"}, {"A", "2&"}};
    hs_style_list l = {"L", items, 2, 1};
    char *out = fill("<{{A}}>{{#L}}[{{A}}{{B}}]{{/L}}.", top, 2, &l, 1, HS_OK, NULL);
    assert_string_equal(out, "<outer>[1z][2&amp;z].");
    free(out);
    /* An empty list repeats nothing. */
    hs_style_list empty = {"L", NULL, 0, 1};
    out = fill("a{{#L}}x{{/L}}b", NULL, 0, &empty, 1, HS_OK, NULL);
    assert_string_equal(out, "ab");
    free(out);
}

static void test_fill_errors_name_the_placeholder(void **state)
{
    (void)state;
    hs_error err;
    hs_style_var v[] = {{"A", "1"}};
    hs_style_list l = {"L", v, 1, 1};
    assert_null(fill("line 1\nline 2 {{MISSING}}", v, 1, NULL, 0, HS_EDATA, &err));
    assert_int_equal(err.line, 2);
    assert_string_equal(err.file, "t.qml");
    assert_non_null(strstr(err.what, "'MISSING'"));
    assert_null(fill("{{#L}}never closed", v, 1, &l, 1, HS_EDATA, &err));
    assert_non_null(strstr(err.what, "not closed"));
    assert_null(fill("{{#NOLIST}}x{{/NOLIST}}", v, 1, &l, 1, HS_EDATA, &err));
    assert_non_null(strstr(err.what, "'NOLIST'"));
    assert_null(fill("{{#L}}{{#L}}x{{/L}}{{/L}}", v, 1, &l, 1, HS_EDATA, &err));
    assert_non_null(strstr(err.what, "nest"));
    assert_null(fill("{{ A }}", v, 1, NULL, 0, HS_EDATA, &err));
    assert_non_null(strstr(err.what, "malformed"));
    assert_null(fill("x{{/L}}", v, 1, &l, 1, HS_EDATA, &err));
    char *t = NULL;
    assert_int_equal(hs_style_read_template("/nonexistent", "gistar.qml", &t, &err), HS_EDEP);
    assert_non_null(strstr(err.file, "/nonexistent/styles/gistar.qml"));
}

/* Fill the style of `layer` and check it parses as XML; returns the text. */
static char *style_of(const hs_style_info *info)
{
    char *qml = NULL;
    hs_error err;
    hs_status st = hs_style_qml(DATA_DIR, info, &qml, &err);
    if (st != HS_OK)
        fail_msg("%s: %s", info->layer, err.what);
    assert_non_null(qml);
    assert_null(strstr(qml, "{{"));
    CPLXMLNode *doc = CPLParseXMLString(qml);
    assert_non_null(doc);
    CPLDestroyXMLNode(doc);
    return qml;
}

static void test_gistar_style(void **state)
{
    (void)state;
    const char *layers[] = {"wards_asb", "grid_violence"};
    /* Gi_Bin 3..-3 in the ArcGIS Hot Spot Analysis colours (r,g,b of #d62f27, #ed7551,
     * #fab984, #f7f7f2, #b5c8e0, #7590c1, #4575b5). */
    const char *colours[] = {"214,47,39,255",   "237,117,81,255",  "250,185,132,255",
                             "247,247,242,255", "181,200,224,255", "117,144,193,255",
                             "69,117,181,255"};
    for (size_t i = 0; i < 2; i++) {
        hs_style_info info = {.layer = layers[i]};
        char *qml = style_of(&info);
        assert_non_null(strstr(qml, "type=\"categorizedSymbol\" attr=\"Gi_Bin\""));
        assert_non_null(strstr(qml, "value=\"3\" label=\"Hot spot - 99% confidence\""));
        assert_non_null(strstr(qml, "value=\"-3\" label=\"Cold spot - 99% confidence\""));
        assert_non_null(strstr(qml, "value=\"0\" label=\"Not significant\""));
        for (size_t k = 0; k < 7; k++)
            assert_non_null(strstr(qml, colours[k]));
        free(qml);
    }
}

static void test_wards_style_classes(void **state)
{
    (void)state;
    /* Largest count 12 -> step ceil(12/5) = 3 -> [0,3] (3,6] (6,9] (9,12]: 4 classes. */
    hs_style_info info = {.layer = "wards", .count_field = "n_asb", .max_count = 12};
    char *qml = style_of(&info);
    assert_non_null(strstr(qml, "attr=\"n_asb\""));
    assert_non_null(strstr(qml, "lower=\"0\" upper=\"3\" label=\"0 - 3\""));
    assert_non_null(strstr(qml, "lower=\"9\" upper=\"12\" label=\"10 - 12\""));
    assert_null(strstr(qml, "upper=\"15\""));
    assert_non_null(strstr(qml, "&quot;n_asb&quot;")); /* in the label expression */
    free(qml);
    /* All zero: one class. Default field n_all. */
    hs_style_info zero = {.layer = "wards", .max_count = 0};
    qml = style_of(&zero);
    assert_non_null(strstr(qml, "attr=\"n_all\""));
    assert_non_null(strstr(qml, "label=\"0 - 1\""));
    assert_null(strstr(qml, "symbol=\"1\""));
    free(qml);
    hs_style_info bad = {.layer = "wards", .max_count = -1};
    char *none = NULL;
    assert_int_equal(hs_style_qml(DATA_DIR, &bad, &none, NULL), HS_EINVAL);
}

static void test_incidents_kde_areas_styles(void **state)
{
    (void)state;
    const char *groups[] = {"asb", "violence & \"weapons\""};
    hs_style_info inc = {.layer = "incidents", .groups = groups, .n_groups = 2};
    char *qml = style_of(&inc);
    assert_non_null(strstr(qml, "attr=\"group_name\""));
    assert_non_null(strstr(qml, "value=\"asb\" label=\"asb\" symbol=\"0\""));
    assert_non_null(strstr(qml, "value=\"violence &amp; &quot;weapons&quot;\""));
    assert_non_null(strstr(qml, "value=\"\" label=\"Other\" symbol=\"2\""));
    free(qml);

    hs_style_info kde = {.layer = "kde_asb", .min = 0, .max = 250};
    qml = style_of(&kde);
    assert_non_null(strstr(qml, "type=\"singlebandpseudocolor\""));
    assert_non_null(strstr(qml, "classificationMin=\"0\" classificationMax=\"250\""));
    assert_non_null(strstr(qml, "value=\"125\""));
    assert_non_null(strstr(qml, "alpha=\"0\"")); /* transparent at the bottom */
    free(qml);
    hs_style_info bad = {.layer = "kde_asb", .min = 2, .max = 1};
    char *none = NULL;
    assert_int_equal(hs_style_qml(DATA_DIR, &bad, &none, NULL), HS_EINVAL);

    hs_style_info patrol = {.layer = "patrol_areas"};
    qml = style_of(&patrol);
    assert_non_null(strstr(qml, "labelsEnabled=\"1\""));
    assert_non_null(strstr(qml, "&quot;rank&quot;"));
    assert_non_null(strstr(qml, "v=\"0,0,0,0\"")); /* no fill */
    free(qml);
    hs_style_info hot = {.layer = "hotspot_areas"};
    qml = style_of(&hot);
    /* Hot areas are labelled with their group and PAI. */
    assert_non_null(strstr(qml, "&quot;group_name&quot; || &apos; hot area, PAI &apos;"));
    assert_non_null(strstr(qml, "round(&quot;pai&quot;)"));
    free(qml);

    /* Attribute tables get no style. */
    const char *tables[] = {"run_info", "geocode_failures", "wards_", "something"};
    for (size_t i = 0; i < 4; i++) {
        hs_style_info t = {.layer = tables[i]};
        char *q = (char *)1;
        assert_int_equal(hs_style_qml(DATA_DIR, &t, &q, NULL), HS_OK);
        assert_null(q);
    }
}

/* A GeoPackage with the real wards as wards_asb (names with & and ') and two points. */
static GDALDatasetH make_gpkg(const char *path)
{
    GDALAllRegister();
    VSIUnlink(path);
    GDALDatasetH src = GDALOpenEx(WARDS_GPKG, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(src);
    char *argv[] = {
        "-f",       "GPKG",
        "-nln",     "wards_asb",
        "-dialect", "sqlite",
        "-sql",     "SELECT geom, WD20CD AS ward_code, WD20NM AS ward_name, 0 AS Gi_Bin FROM wards",
        NULL};
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(argv, NULL);
    int usage = 0;
    GDALDatasetH ds = GDALVectorTranslate(path, NULL, 1, &src, o, &usage);
    GDALVectorTranslateOptionsFree(o);
    GDALClose(src);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH pts = GDALDatasetCreateLayer(ds, "incidents", srs, wkbPoint, NULL);
    OSRDestroySpatialReference(srs);
    assert_non_null(pts);
    OGRFieldDefnH fd = OGR_Fld_Create("group_name", OFTString);
    OGR_L_CreateField(pts, fd, TRUE);
    OGR_Fld_Destroy(fd);
    for (int i = 0; i < 2; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(pts));
        OGR_F_SetFieldString(f, 0, i ? "violence" : "asb");
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, 614900.0 + 50.0 * i, 157800.0);
        OGR_F_SetGeometryDirectly(f, g);
        assert_int_equal(OGR_L_CreateFeature(pts, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    return ds;
}

/* A one-row SQL answer as text ("" when NULL). */
static void sql_text(GDALDatasetH ds, const char *sql, char *out, size_t n)
{
    OGRLayerH r = GDALDatasetExecuteSQL(ds, sql, NULL, "SQLITE");
    assert_non_null(r);
    OGRFeatureH f = OGR_L_GetNextFeature(r);
    assert_non_null(f);
    snprintf(out, n, "%s", OGR_F_IsFieldSetAndNotNull(f, 0) ? OGR_F_GetFieldAsString(f, 0) : "");
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, r);
}

static void test_layer_styles_rows(void **state)
{
    (void)state;
    const char *path = HS_TEST_TMP_DIR "/test_styles.gpkg";
    GDALDatasetH ds = make_gpkg(path);
    const char *groups[] = {"asb", "violence"};
    hs_style_info infos[] = {{.layer = "wards_asb"},
                             {.layer = "incidents", .groups = groups, .n_groups = 2}};
    hs_error err;
    for (int round = 0; round < 2; round++) { /* the second round replaces the first */
        for (size_t i = 0; i < 2; i++) {
            char *qml = style_of(&infos[i]);
            if (hs_style_write_default(ds, infos[i].layer, qml, &err) != HS_OK)
                fail_msg("%s", err.what);
            free(qml);
        }
    }
    assert_int_equal(hs_style_write_default(ds, "no_such_layer", "<qgis/>", &err), HS_EINVAL);
    char v[512];
    sql_text(ds, "SELECT count(*) FROM layer_styles", v, sizeof v);
    assert_string_equal(v, "2");
    sql_text(ds,
             "SELECT f_table_catalog || '|' || f_table_schema || '|' || f_geometry_column || '|' "
             "|| styleName || '|' || useAsDefault || '|' || (update_time IS NOT NULL) "
             "FROM layer_styles WHERE f_table_name = 'wards_asb'",
             v, sizeof v);
    assert_string_equal(v, "||geom|wards_asb|1|1");
    sql_text(ds,
             "SELECT instr(styleQML, 'attr=\"group_name\"') > 0 FROM layer_styles "
             "WHERE f_table_name = 'incidents'",
             v, sizeof v);
    assert_string_equal(v, "1");
    sql_text(ds, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'", v,
             sizeof v);
    assert_string_equal(v, "attributes");
    /* The column types QGIS uses. */
    sql_text(
        ds, "SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('layer_styles')",
        v, sizeof v);
    assert_string_equal(v, "id INTEGER, f_table_catalog TEXT(256), f_table_schema TEXT(256), "
                           "f_table_name TEXT(256), f_geometry_column TEXT(256), styleName "
                           "TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, "
                           "description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME");
    GDALClose(ds);

    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg --extra '%s' 1>&2", path);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_escapes_values),
        cmocka_unit_test(test_fill_sections),
        cmocka_unit_test(test_fill_errors_name_the_placeholder),
        cmocka_unit_test(test_gistar_style),
        cmocka_unit_test(test_wards_style_classes),
        cmocka_unit_test(test_incidents_kde_areas_styles),
        cmocka_unit_test(test_layer_styles_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_qgis_project.c - the QGIS project of a run: drawing order, relative data sources, the
 * embedded styles, the .qgs beside the GeoPackage and the .qgz stored in qgis_projects; then
 * the GeoPackage (every layer kind the run writes, styled) passes GDAL's validator and QGIS
 * itself opens it and both projects (tests/qgis/check_styles.py, run with Debian's python3). */
#include "geo/qgis_project.h"
#include "geo/styles.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* cmocka needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#define DATA_DIR HS_SOURCE_DIR "/data"
#define OUT_DIR  HS_TEST_TMP_DIR "/qgis_project"
#define GPKG     OUT_DIR "/hotspots.gpkg"

/* One table of the fixture: fields "name:i" (integer) or "name" (text), one WKT and one row
 * of values ("|"-separated) per feature. */
typedef struct fixture_table {
    const char *name;        /* table */
    OGRwkbGeometryType type; /* wkbNone for attribute tables */
    const char *fields[3];   /* up to 3 fields, NULL-terminated */
    const char *rows[3][2];  /* {wkt or NULL, "v1|v2|v3"} */
} fixture_table;

static const fixture_table tables[] = {
    {"wards",
     wkbPolygon,
     {"ward_name", "n_all:i", NULL},
     {{"POLYGON((614000 157000,615000 157000,615000 158000,614000 158000,614000 157000))",
       "Westgate|12"},
      {"POLYGON((615000 157000,616000 157000,616000 158000,615000 158000,615000 157000))",
       "St Stephen's & Co|3"}}},
    {"wards_asb",
     wkbPolygon,
     {"ward_name", "Gi_Bin:i", NULL},
     {{"POLYGON((614000 157000,615000 157000,615000 158000,614000 158000,614000 157000))",
       "Westgate|3"},
      {"POLYGON((615000 157000,616000 157000,616000 158000,615000 158000,615000 157000))",
       "St Stephen's & Co|-1"}}},
    {"grid_asb",
     wkbPolygon,
     {"cell_id:i", "Gi_Bin:i", NULL},
     {{"POLYGON((614000 157000,614100 157000,614100 157100,614000 157100,614000 157000))", "1|2"},
      {"POLYGON((614100 157000,614200 157000,614200 157100,614100 157100,614100 157000))", "2|0"}}},
    {"hotspot_areas",
     wkbPolygon,
     {"group_name", "method", NULL},
     {{"POLYGON((614000 157000,614200 157000,614200 157100,614000 157100,614000 157000))",
       "asb|gistar"}}},
    {"patrol_areas",
     wkbPolygon,
     {"group_name", "rank:i", NULL},
     {{"POLYGON((614000 157000,614500 157000,614500 157500,614000 157500,614000 157000))",
       "asb|1"}}},
    {"incidents",
     wkbPoint,
     {"group_name", NULL},
     {{"POINT(614050 157050)", "asb"}, {"POINT(614150 157050)", "violence"}}},
    {"geocode_failures", wkbNone, {"reason", NULL}, {{NULL, "no location"}}},
    {"run_info", wkbNone, {"key", "value", NULL}, {{NULL, "rows_in|2"}}},
};

static void add_row(OGRLayerH lyr, const char *wkt, const char *values)
{
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
    char buf[256];
    snprintf(buf, sizeof buf, "%s", values);
    int i = 0;
    for (char *save = NULL, *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
        OGR_F_SetFieldString(f, i++, tok);
    if (wkt != NULL) {
        OGRGeometryH g = NULL;
        char *w = (char *)wkt;
        assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
        OGR_F_SetGeometryDirectly(f, g);
    }
    assert_int_equal(OGR_L_CreateFeature(lyr, f), OGRERR_NONE);
    OGR_F_Destroy(f);
}

static void add_table(GDALDatasetH ds, const fixture_table *t, OGRSpatialReferenceH srs)
{
    OGRLayerH lyr =
        GDALDatasetCreateLayer(ds, t->name, t->type == wkbNone ? NULL : srs, t->type, NULL);
    assert_non_null(lyr);
    for (size_t i = 0; i < 3 && t->fields[i]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", t->fields[i]);
        char *colon = strchr(name, ':');
        if (colon)
            *colon = '\0';
        OGRFieldDefnH fd = OGR_Fld_Create(name, colon ? OFTInteger : OFTString);
        assert_int_equal(OGR_L_CreateField(lyr, fd, TRUE), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
    }
    for (size_t r = 0; r < 3 && t->rows[r][1]; r++)
        add_row(lyr, t->rows[r][0], t->rows[r][1]);
}

/* A 4 x 4 Float32 density raster appended as kde_asb, values 0..150. */
static void add_kde(OGRSpatialReferenceH srs)
{
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    char *opts[] = {"APPEND_SUBDATASET=YES", "RASTER_TABLE=kde_asb", NULL};
    GDALDatasetH r = GDALCreate(drv, GPKG, 4, 4, 1, GDT_Float32, opts);
    assert_non_null(r);
    double gt[6] = {614000, 250, 0, 158000, 0, -250};
    GDALSetGeoTransform(r, gt);
    char *wkt = NULL;
    OSRExportToWkt(srs, &wkt);
    GDALSetProjection(r, wkt);
    CPLFree(wkt);
    float px[16];
    for (int i = 0; i < 16; i++)
        px[i] = 10.0f * (float)i;
    assert_int_equal(
        GDALRasterIO(GDALGetRasterBand(r, 1), GF_Write, 0, 0, 4, 4, px, 4, 4, GDT_Float32, 0, 0),
        CE_None);
    GDALClose(r);
}

static void make_fixture(void)
{
    GDALAllRegister();
    mkdir(OUT_DIR, 0777);
    VSIUnlink(GPKG);
    VSIUnlink(OUT_DIR "/hotspots.qgs");
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), GPKG, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        add_table(ds, &tables[i], srs);
    GDALClose(ds);
    add_kde(srs);
    OSRDestroySpatialReference(srs);
}

static void test_layer_order(void **state)
{
    (void)state;
    assert_int_equal(hs_qgis_layer_order("incidents", HS_QGIS_VECTOR), 0);
    assert_int_equal(hs_qgis_layer_order("patrol_areas", HS_QGIS_VECTOR), 1);
    assert_int_equal(hs_qgis_layer_order("hotspot_areas", HS_QGIS_VECTOR), 2);
    assert_int_equal(hs_qgis_layer_order("kde_asb", HS_QGIS_RASTER), 3);
    assert_int_equal(hs_qgis_layer_order("grid_asb", HS_QGIS_VECTOR), 4);
    assert_int_equal(hs_qgis_layer_order("wards_asb", HS_QGIS_VECTOR), 5);
    assert_int_equal(hs_qgis_layer_order("wards", HS_QGIS_VECTOR), 6);
    assert_int_equal(hs_qgis_layer_order("wards_", HS_QGIS_VECTOR), 7);
    assert_int_equal(hs_qgis_layer_order("run_info", HS_QGIS_VECTOR), 8);
}

static const char *after(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    if (p == NULL)
        fail_msg("'%s' not in the project", needle);
    return p;
}

static void test_project_xml(void **state)
{
    (void)state;
    const char *qml = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<!-- c -->\n"
                      "<qgis version=\"3.22.16\" styleCategories=\"Symbology\" "
                      "labelsEnabled=\"1\"><renderer-v2 type=\"x\"/></qgis>\n";
    hs_qgis_layer layers[] = {{"kde_asb", HS_QGIS_RASTER, NULL, 0},
                              {"wards", HS_QGIS_VECTOR, NULL, 1},
                              {"incidents", HS_QGIS_VECTOR, qml, 0},
                              {"patrol_areas", HS_QGIS_VECTOR, NULL, 0}};
    char *xml = NULL;
    hs_error err;
    assert_int_equal(
        hs_qgis_project_xml("out & co.gpkg", "EPSG:27700", "hotspots", layers, 4, &xml, &err),
        HS_OK);
    /* Tree order: incidents, patrol_areas, kde_asb (above the fills), wards. */
    const char *t = after(xml, "<layer-tree-group>");
    const char *a = after(t, "name=\"incidents\""), *b = after(t, "name=\"patrol_areas\"");
    const char *c = after(t, "name=\"kde_asb\""), *d = after(t, "name=\"wards\"");
    assert_true(a < b && b < c && c < d);
    /* Hidden layers are listed unchecked, the others checked. */
    const char *wards_node = strstr(t, "name=\"wards\"");
    assert_non_null(wards_node);
    assert_true(strstr(wards_node, "Qt::Unchecked") < strstr(wards_node, "/>"));
    const char *inc_node = strstr(t, "name=\"incidents\"");
    assert_true(strstr(inc_node, "Qt::Checked") < strstr(inc_node, "/>"));
    after(xml, "<datasource>./out &amp; co.gpkg|layername=incidents</datasource>");
    after(xml, "<datasource>GPKG:./out &amp; co.gpkg:kde_asb</datasource>");
    after(xml, "<authid>EPSG:27700</authid>");
    after(xml, "<Absolute type=\"bool\">false</Absolute>");
    /* The style's root attributes move to <maplayer>, its body inside; version does not. */
    after(xml, "<maplayer type=\"vector\" labelsEnabled=\"1\">");
    after(xml, "<renderer-v2 type=\"x\"/>");
    assert_null(strstr(xml, "<!-- c -->"));
    assert_null(strstr(xml, "styleCategories"));
    free(xml);

    layers[0].qml = "not a style";
    assert_int_equal(hs_qgis_project_xml("x.gpkg", "EPSG:27700", "t", layers, 1, &xml, &err),
                     HS_EINVAL);
    assert_non_null(strstr(err.what, "kde_asb"));
    layers[0].qml = NULL;
    assert_int_equal(hs_qgis_project_xml("x.gpkg", "EPSG:999999", "t", layers, 1, &xml, &err),
                     HS_EINVAL);
}

/* Style every layer of the fixture, write the project (twice: it must replace), check the row. */
static void write_styled_project(void)
{
    GDALDatasetH ds = GDALOpenEx(GPKG, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    assert_non_null(ds);
    const char *groups[] = {"asb", "violence"};
    hs_qgis_layer layers[16];
    char *qml[16] = {0};
    size_t n = 0;
    hs_error err;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        hs_style_info info = {
            .layer = tables[i].name, .max_count = 12, .groups = groups, .n_groups = 2};
        assert_int_equal(hs_style_qml(DATA_DIR, &info, &qml[n], &err), HS_OK);
        if (qml[n] != NULL && hs_style_write_default(ds, tables[i].name, qml[n], &err) != HS_OK)
            fail_msg("%s", err.what);
        layers[n] = (hs_qgis_layer){tables[i].name, HS_QGIS_VECTOR, qml[n], 0};
        n++;
    }
    hs_style_info kde = {.layer = "kde_asb", .min = 0, .max = 150};
    assert_int_equal(hs_style_qml(DATA_DIR, &kde, &qml[n], &err), HS_OK);
    layers[n] = (hs_qgis_layer){"kde_asb", HS_QGIS_RASTER, qml[n], 0};
    n++;
    /* Stored twice: the second replaces the first. */
    for (int round = 0; round < 2; round++) {
        if (hs_qgis_project_write(ds, GPKG, "hotspots", "EPSG:27700", layers, n, &err) != HS_OK)
            fail_msg("%s", err.what);
    }
    for (size_t i = 0; i < n; i++)
        free(qml[i]);
    OGRLayerH r = GDALDatasetExecuteSQL(
        ds,
        "SELECT count(*), min(name), substr(min(content), 1, 8), min(metadata) "
        "FROM qgis_projects",
        NULL, "SQLITE");
    assert_non_null(r);
    OGRFeatureH f = OGR_L_GetNextFeature(r);
    assert_int_equal(OGR_F_GetFieldAsInteger(f, 0), 1);
    assert_string_equal(OGR_F_GetFieldAsString(f, 1), "hotspots");
    assert_string_equal(OGR_F_GetFieldAsString(f, 2), "504b0304"); /* "PK\3\4": a zip, in hex */
    assert_non_null(strstr(OGR_F_GetFieldAsString(f, 3), "\"last_modified_time\""));
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, r);
    GDALClose(ds);
}

static void test_gpkg_project_opens_in_qgis(void **state)
{
    (void)state;
    make_fixture();
    write_styled_project();
    struct stat st;
    assert_int_equal(stat(OUT_DIR "/hotspots.qgs", &st), 0);
    assert_int_not_equal(stat(OUT_DIR "/hotspots.qgs.tmp", &st), 0);
    assert_int_equal(system("/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg --extra "
                            "'" GPKG "' 1>&2"),
                     0);
    assert_int_equal(system("QT_QPA_PLATFORM=offscreen /usr/bin/python3 " HS_SOURCE_DIR
                            "/tests/qgis/check_styles.py '" GPKG "' 1>&2"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_order),
        cmocka_unit_test(test_project_xml),
        cmocka_unit_test(test_gpkg_project_opens_in_qgis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

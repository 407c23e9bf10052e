/* test_report.c - the planners' HTML report, written from small GeoPackages built here with
 * the project's own writers (geo/gpkg, geo/raster).
 *
 * Fixture (EPSG:27700): two wards side by side, North [600000,601000] x [150000,151000] and
 * South [601000,602000] x [150000,151000] (South has an extra vertex 0.4 m off its south
 * edge, which simplification must drop); 30 and 10 ASB incidents. The
 * map frame is their extent, 2000 m x 1000 m, so s = min(1000 / 2000, 1400 / 1000) = 0.5
 * viewBox units per metre: x' = (x - 600000) / 2, y' = (151000 - y) / 2. Hand-worked values:
 * - North's ring -> "M0.0 500.0L500.0 500.0L500.0 0.0L0.0 0.0Z" (closing point left to Z);
 *   South's extra vertex (601500, 150000.4) would be "L750.0 499.8".
 * - Patrol area 1 [600100,600300] x [150600,150800] has its interior point at its centre
 *   (600200, 150700) -> label at (100.0, 150.0); area 2 [601200,601400] x [150200,150400]
 *   -> (650.0, 350.0).
 * - kde_asb: 8 x 4 cells of 250 m from (600000, 151000), so the picture sits at x 0.0, y 0.0,
 *   width 8 * 250 * 0.5 = 1000.0, height 500.0. Values: 100 (max), 25, 4, 0 (min), nodata.
 *   Ramp t = sqrt((v - 0) / 100) * 2 over the stops (254,229,217,a 0), (251,106,74,a 170),
 *   (165,15,38,a 255), alpha times 0.8:
 *   v = 100: t = 2 -> (165,15,38, 255 * 0.8 = 204);
 *   v = 25: t = 1 -> (251,106,74, 170 * 0.8 = 136);
 *   v = 4: t = 0.4 -> 254 - 3 * 0.4 = 252.8 -> 253, 229 - 123 * 0.4 = 179.8 -> 180,
 *          217 - 143 * 0.4 = 159.8 -> 160, alpha 170 * 0.4 * 0.8 = 54.4 -> 54;
 *   v = 0 and nodata: (0,0,0,0).
 * - Counts without wards_asb: step = max(1, ceil(30 / 5)) = 6, classes [0,6], (6,12], ...;
 *   North 30 -> class ceil(30 / 6) - 1 = 4 (#08519c), South 10 -> class 1 (#bdd7e7).
 * - Hit rate 0.8 < the job's 0.85: the caveat is a warning; rows_in 1060 -> "1,060".
 * - grid_asb: Gi_Bin 3, 1, 0, -2, NULL -> 2 hot and 1 cold of 5 cells.
 * - Failure reasons: 5 "no location", 3 "malformed row: expected 12 fields, found N" (one
 *   kind), 2 swapped coordinates (one kind), in that order.
 */
#include "geo/gpkg.h"
#include "geo/raster.h"
#include "geo/report.h"
#include "tests/test_support.h"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FIX_X0 600000.0 /* west edge of the fixture, metres */
#define FIX_Y0 150000.0 /* south edge of the fixture, metres */

/* ---- building fixtures ----------------------------------------------------------------------- */

/* Little-endian ISO WKB of a polygon of one ring of n points (closed by the caller). */
static size_t ring_wkb(const double *xy, uint32_t n, unsigned char *out)
{
    const uint32_t type = 3, rings = 1;
    out[0] = 1;
    memcpy(out + 1, &type, 4);
    memcpy(out + 5, &rings, 4);
    memcpy(out + 9, &n, 4);
    memcpy(out + 13, xy, 16 * (size_t)n);
    return 13 + 16 * (size_t)n;
}

/* WKB of the rectangle [x0,x1] x [y0,y1], counter-clockwise from the south-west corner. */
static size_t rect_wkb(double x0, double y0, double x1, double y1, unsigned char *out)
{
    const double xy[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    return ring_wkb(xy, 5, out);
}

/* South ward: its south edge has a vertex 0.4 m off the line through its neighbours, 0.2
 * viewBox units: below the simplification tolerance, so the map must drop it. */
static size_t south_wkb(unsigned char *out)
{
    const double xy[12] = {601000, 150000, 601500, 150000.4, 602000, 150000,
                           602000, 151000, 601000, 151000,   601000, 150000};
    return ring_wkb(xy, 6, out);
}

static void add_wards(hs_gpkg *g)
{
    static const hs_field_def fields[] = {{"ward_code", HS_FIELD_STRING, NULL},
                                          {"ward_name", HS_FIELD_STRING, NULL},
                                          {"n_all", HS_FIELD_INT, NULL},
                                          {"n_asb", HS_FIELD_INT, NULL}};
    hs_gpkg_layer *l;
    unsigned char wkb[256];
    assert_int_equal(hs_gpkg_layer_create(g, "wards", HS_GEOM_POLYGON, NULL, fields, 4, &l, NULL),
                     HS_OK);
    hs_value north[4] = {{.s = "E01"}, {.s = "North"}, {.i = 35}, {.i = 30}};
    size_t n = rect_wkb(FIX_X0, FIX_Y0, FIX_X0 + 1000, FIX_Y0 + 1000, wkb);
    assert_int_equal(hs_gpkg_layer_add(l, north, 0, 0, wkb, n, NULL), HS_OK);
    hs_value south[4] = {{.s = "E02"}, {.s = "South"}, {.i = 12}, {.i = 10}};
    n = south_wkb(wkb);
    assert_int_equal(hs_gpkg_layer_add(l, south, 0, 0, wkb, n, NULL), HS_OK);
    assert_int_equal(hs_gpkg_layer_finish(l, NULL), HS_OK);
}

/* wards_asb: North a 99 % hot spot, South an island (NULL Gi*). */
static void add_wards_gi(hs_gpkg *g)
{
    static const hs_field_def fields[] = {{"ward_code", HS_FIELD_STRING, NULL},
                                          {"ward_name", HS_FIELD_STRING, NULL},
                                          {"n", HS_FIELD_INT, NULL},
                                          {"rate_per_1000", HS_FIELD_REAL, NULL},
                                          {"Gi_Bin", HS_FIELD_INT, NULL},
                                          {"NNeighbors", HS_FIELD_INT, NULL}};
    hs_gpkg_layer *l;
    unsigned char wkb[256];
    assert_int_equal(
        hs_gpkg_layer_create(g, "wards_asb", HS_GEOM_POLYGON, NULL, fields, 6, &l, NULL), HS_OK);
    hs_value north[6] = {{.s = "E01"}, {.s = "North"}, {.i = 30}, {.d = 12.5}, {.i = 3}, {.i = 1}};
    size_t n = rect_wkb(FIX_X0, FIX_Y0, FIX_X0 + 1000, FIX_Y0 + 1000, wkb);
    assert_int_equal(hs_gpkg_layer_add(l, north, 0, 0, wkb, n, NULL), HS_OK);
    hs_value south[6] = {{.s = "E02"}, {.s = "South"}, {.i = 10},
                         {.d = 4.0},   {.is_null = 1}, {.i = 0}};
    n = south_wkb(wkb);
    assert_int_equal(hs_gpkg_layer_add(l, south, 0, 0, wkb, n, NULL), HS_OK);
    assert_int_equal(hs_gpkg_layer_finish(l, NULL), HS_OK);
}

/* grid_asb: five 100 m cells with Gi_Bin 3, 1, 0, -2 and NULL. */
static void add_grid_gi(hs_gpkg *g)
{
    static const hs_field_def fields[] = {{"cell_id", HS_FIELD_INT, NULL},
                                          {"Gi_Bin", HS_FIELD_INT, NULL}};
    static const int bins[5] = {3, 1, 0, -2, 99};
    hs_gpkg_layer *l;
    unsigned char wkb[256];
    assert_int_equal(
        hs_gpkg_layer_create(g, "grid_asb", HS_GEOM_POLYGON, NULL, fields, 2, &l, NULL), HS_OK);
    for (int i = 0; i < 5; i++) {
        hs_value v[2] = {{.i = i}, {.i = bins[i], .is_null = bins[i] == 99}};
        double x = FIX_X0 + 100.0 * i;
        size_t n = rect_wkb(x, FIX_Y0, x + 100, FIX_Y0 + 100, wkb);
        assert_int_equal(hs_gpkg_layer_add(l, v, 0, 0, wkb, n, NULL), HS_OK);
    }
    assert_int_equal(hs_gpkg_layer_finish(l, NULL), HS_OK);
}

/* Two asb patrol areas and one of a group the wards do not have (must not show). */
static void add_areas(hs_gpkg *g)
{
    static const hs_field_def fields[] = {
        {"group_name", HS_FIELD_STRING, NULL}, {"rank", HS_FIELD_INT, NULL},
        {"incidents", HS_FIELD_REAL, NULL},    {"share_pct", HS_FIELD_REAL, NULL},
        {"area_km2", HS_FIELD_REAL, NULL},     {"pai", HS_FIELD_REAL, NULL}};
    hs_gpkg_layer *l;
    unsigned char wkb[256];
    assert_int_equal(
        hs_gpkg_layer_create(g, "patrol_areas", HS_GEOM_POLYGON, NULL, fields, 6, &l, NULL), HS_OK);
    hs_value a1[6] = {{.s = "asb"}, {.i = 1}, {.d = 12}, {.d = 30.0}, {.d = 0.04}, {.d = 15.0}};
    size_t n = rect_wkb(600100, 150600, 600300, 150800, wkb);
    assert_int_equal(hs_gpkg_layer_add(l, a1, 0, 0, wkb, n, NULL), HS_OK);
    hs_value a2[6] = {{.s = "asb"}, {.i = 2}, {.d = 6}, {.d = 15.0}, {.d = 0.04}, {.d = 7.5}};
    n = rect_wkb(601200, 150200, 601400, 150400, wkb);
    assert_int_equal(hs_gpkg_layer_add(l, a2, 0, 0, wkb, n, NULL), HS_OK);
    hs_value other[6] = {{.s = "burglary"}, {.i = 1},    {.d = 9},
                         {.d = 50.0},       {.d = 0.04}, {.d = 25.0}};
    n = rect_wkb(601600, 150600, 601800, 150800, wkb);
    assert_int_equal(hs_gpkg_layer_add(l, other, 0, 0, wkb, n, NULL), HS_OK);
    assert_int_equal(hs_gpkg_layer_finish(l, NULL), HS_OK);

    static const hs_field_def hot_fields[] = {{"group_name", HS_FIELD_STRING, NULL},
                                              {"method", HS_FIELD_STRING, NULL}};
    assert_int_equal(
        hs_gpkg_layer_create(g, "hotspot_areas", HS_GEOM_POLYGON, NULL, hot_fields, 2, &l, NULL),
        HS_OK);
    hs_value h[2] = {{.s = "asb"}, {.s = "sd:2"}};
    n = rect_wkb(600050, 150550, 600350, 150850, wkb);
    assert_int_equal(hs_gpkg_layer_add(l, h, 0, 0, wkb, n, NULL), HS_OK);
    assert_int_equal(hs_gpkg_layer_finish(l, NULL), HS_OK);
}

static void add_failures(hs_gpkg *g)
{
    static const hs_field_def fields[] = {{"source", HS_FIELD_STRING, NULL},
                                          {"source_row", HS_FIELD_INT, NULL},
                                          {"reason", HS_FIELD_STRING, NULL}};
    static const char *const reasons[10] = {
        "no location",
        "malformed row: expected 12 fields, found 7",
        "no location",
        "bad coordinates (51.2233, 1.04849): latitude and longitude look swapped",
        "malformed row: expected 12 fields, found 9",
        "no location",
        "bad coordinates (51.3117, 0.987387): latitude and longitude look swapped",
        "no location",
        "malformed row: expected 12 fields, found 3",
        "no location"};
    hs_gpkg_layer *l;
    assert_int_equal(
        hs_gpkg_layer_create(g, "geocode_failures", HS_GEOM_NONE, NULL, fields, 3, &l, NULL),
        HS_OK);
    for (int i = 0; i < 10; i++) {
        hs_value v[3] = {{.s = "a.csv"}, {.i = i + 1}, {.s = reasons[i]}};
        assert_int_equal(hs_gpkg_layer_add(l, v, 0, 0, NULL, 0, NULL), HS_OK);
    }
    assert_int_equal(hs_gpkg_layer_finish(l, NULL), HS_OK);
}

static void add_run_info(hs_gpkg *g)
{
    static const char *const keys[] = {"job.name",
                                       "run.started_utc",
                                       "version.hotspot",
                                       "param.job.min_hit_rate",
                                       "param.group.asb.categories",
                                       "param.incidents.x",
                                       "param.patrol.cell",
                                       "param.gistar.grid_cell",
                                       "rows_in",
                                       "rows_placed",
                                       "rows_failed",
                                       "rows_outside_study_area",
                                       "hit_rate",
                                       "placed.coordinates",
                                       "placed.postcode",
                                       "concentration.asb.top1pct_cells_share_pct",
                                       "concentration.asb.top5pct_cells_share_pct",
                                       "concentration.asb.top10pct_cells_share_pct"};
    static const char *const values[] = {"fixture",
                                         "2025-01-31T02:00:00Z",
                                         "0.1.0",
                                         "0.85",
                                         "Anti-social behaviour",
                                         "(null)",
                                         "50",
                                         "100",
                                         "1060",
                                         "40",
                                         "10",
                                         "1010",
                                         "0.800000",
                                         "35",
                                         "5",
                                         "42.50",
                                         "61.26",
                                         "77.00"};
    assert_int_equal(hs_gpkg_write_run_info(g, keys, values, sizeof keys / sizeof keys[0], NULL),
                     HS_OK);
}

/* The 8 x 4 density raster of the header comment. */
static void add_kde(hs_gpkg *g)
{
    hs_grid grid = {.xmin_m = FIX_X0, .ymax_m = FIX_Y0 + 1000, .cell_m = 250, .nx = 8, .ny = 4};
    float v[32] = {0};
    v[0] = 100.0f;
    v[1] = 25.0f;
    v[2] = 4.0f;
    v[3] = -9999.0f;
    assert_int_equal(hs_raster_append_gpkg(hs_gpkg_temp_path(g), "kde_asb", NULL, &grid, v,
                                           -9999.0f, "EPSG:27700", NULL),
                     HS_OK);
}

enum { FIX_GI = 1, FIX_KDE = 2, FIX_RUN_INFO = 4 };

/* Build a fixture GeoPackage at path with the optional parts in `parts`. */
static void build_fixture(const char *path, int parts)
{
    hs_gpkg *g;
    GDALAllRegister(); /* hs_gpkg_create leaves that to its caller */
    assert_int_equal(hs_gpkg_create(path, "EPSG:27700", &g, NULL), HS_OK);
    add_wards(g);
    if (parts & FIX_GI) {
        add_wards_gi(g);
        add_grid_gi(g);
    }
    add_areas(g);
    add_failures(g);
    if (parts & FIX_RUN_INFO)
        add_run_info(g);
    assert_int_equal(hs_gpkg_close_dataset(g, NULL), HS_OK);
    if (parts & FIX_KDE)
        add_kde(g);
    assert_int_equal(hs_gpkg_commit(g, NULL), HS_OK);
}

/* Build the fixture, write its report and return the HTML (caller frees). */
static char *report_of(int parts, const char *title, const char *name)
{
    char gpkg[512], html[512], file[128];
    snprintf(file, sizeof file, "%s.gpkg", name);
    hs_test_tmp(file, gpkg, sizeof gpkg);
    snprintf(file, sizeof file, "%s.html", name);
    hs_test_tmp(file, html, sizeof html);
    build_fixture(gpkg, parts);
    hs_error err;
    hs_status st = hs_report_write(gpkg, html, title, &err);
    if (st != HS_OK)
        fail_msg("hs_report_write: %s", err.what);
    size_t len = 0;
    char *text = (char *)hs_test_read(html, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    remove(gpkg);
    remove(html);
    return text;
}

/* ---- helpers on the HTML --------------------------------------------------------------------- */

static size_t count_of(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p != NULL; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Rows (<tr>) in the <tbody> of the table with the given id. */
static size_t body_rows(const char *html, const char *id)
{
    char open[128];
    snprintf(open, sizeof open, "<table id=\"%s\"", id);
    const char *t = strstr(html, open);
    assert_non_null(t);
    const char *body = strstr(t, "<tbody>"), *end = strstr(t, "</tbody>");
    assert_non_null(body);
    assert_non_null(end);
    size_t n = 0;
    for (const char *p = strstr(body, "<tr>"); p != NULL && p < end; p = strstr(p + 1, "<tr>"))
        n++;
    return n;
}

/* 1 when a occurs before b in s (both must occur). */
static int before(const char *s, const char *a, const char *b)
{
    const char *pa = strstr(s, a), *pb = strstr(s, b);
    assert_non_null(pa);
    assert_non_null(pb);
    return pa < pb;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_page_is_self_contained(void **state)
{
    (void)state;
    char *html = report_of(FIX_GI | FIX_KDE | FIX_RUN_INFO, NULL, "selfcontained");
    assert_memory_equal(html, "<!DOCTYPE html>", 15);
    assert_non_null(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" "
                                 "content=\"default-src 'none'; img-src data:; style-src "
                                 "'unsafe-inline'\">"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "url("));
    assert_int_equal(count_of(html, "<svg "), 1);
    assert_int_equal(count_of(html, "</svg>"), 1);
    assert_int_equal(count_of(html, "data:image/png;base64,"), 1);
    assert_non_null(strstr(html, "</html>\n"));
    /* Default title from run_info's job.name. */
    assert_non_null(strstr(html, "<title>Hot spot report: fixture</title>"));
    free(html);
}

static void test_map_geometry(void **state)
{
    (void)state;
    char *html = report_of(FIX_GI | FIX_KDE | FIX_RUN_INFO, NULL, "map");
    assert_non_null(strstr(html, "<svg id=\"map-asb\" class=\"map\" viewBox=\"-6.0 -6.0 1012.0 "
                                 "512.0\""));
    /* North, a 99 % hot spot, in the palette of gistar.qml (214,47,39). */
    assert_non_null(
        strstr(html, "<path fill=\"#d62f27\" d=\"M0.0 500.0L500.0 500.0L500.0 0.0L0.0 0.0Z\">"));
    /* South: an island, grey; its ring simplified (the vertex off by 0.2 units dropped). */
    assert_non_null(strstr(html, "<path fill=\"#c8c8c8\" d=\"M500.0 500.0L1000.0 500.0L1000.0 "
                                 "0.0L500.0 0.0Z\">"));
    assert_null(strstr(html, "L750.0 499.8"));
    /* Patrol ranks at the areas' interior points; the other group's area is not drawn. */
    assert_non_null(strstr(html, "x=\"100.0\" y=\"150.0\">1</text>"));
    assert_non_null(strstr(html, "x=\"650.0\" y=\"350.0\">2</text>"));
    assert_int_equal(count_of(html, "<path class=\"patrol\""), 2);
    /* The hot area [600050,600350] x [150550,150850] -> x 25..175, y 75..225. */
    assert_non_null(strstr(html, "<path class=\"hot-area\" d=\"M25.0 225.0L175.0 225.0L175.0 "
                                 "75.0L25.0 75.0Z\"/>"));
    /* The density picture covers the raster's extent, under the borders. */
    assert_non_null(strstr(html, "<image class=\"density\" x=\"0.0\" y=\"0.0\" width=\"1000.0\" "
                                 "height=\"500.0\""));
    assert_true(before(html, "<g class=\"ward-fill\">", "<image class=\"density\""));
    assert_true(before(html, "<image class=\"density\"", "<path class=\"ward-line\""));
    assert_true(before(html, "<path class=\"ward-line\"", "<path class=\"patrol\""));
    /* Legend: class counts, density range. */
    assert_non_null(strstr(html, "Hot spot, 99% confidence (1)"));
    assert_non_null(strstr(html, "No neighbours (not tested) (1)"));
    assert_non_null(strstr(html, "Density of incidents: 0 to 100 incidents per km²"));
    free(html);
}

/* The base64 PNG of the page, decoded into /vsimem/ and opened with GDAL. */
static GDALDatasetH open_embedded_png(const char *html, const char *vsi)
{
    const char *start = strstr(html, "data:image/png;base64,");
    assert_non_null(start);
    start += strlen("data:image/png;base64,");
    size_t len = strcspn(start, "\"");
    GByte *b64 = malloc(len + 1);
    assert_non_null(b64);
    memcpy(b64, start, len);
    b64[len] = 0;
    int n = CPLBase64DecodeInPlace(b64);
    assert_true(n > 8);
    assert_memory_equal(b64, "\x89PNG\r\n\x1a\n", 8);
    VSILFILE *f = VSIFileFromMemBuffer(vsi, b64, (vsi_l_offset)n, TRUE);
    assert_non_null(f);
    VSIFCloseL(f);
    GDALDatasetH ds = GDALOpen(vsi, GA_ReadOnly);
    assert_non_null(ds);
    return ds;
}

static void test_density_png_pixels(void **state)
{
    (void)state;
    char *html = report_of(FIX_GI | FIX_KDE | FIX_RUN_INFO, NULL, "png");
    GDALDatasetH ds = open_embedded_png(html, "/vsimem/test_report.png");
    assert_int_equal(GDALGetRasterXSize(ds), 8);
    assert_int_equal(GDALGetRasterYSize(ds), 4);
    assert_int_equal(GDALGetRasterCount(ds), 4);
    uint8_t px[4][5];
    for (int b = 0; b < 4; b++)
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, b + 1), GF_Read, 0, 0, 5, 1, px[b], 5,
                                      1, GDT_Byte, 0, 0),
                         CE_None);
    /* Cells 0..4 of row 0: 100, 25, 4, nodata, 0. */
    static const uint8_t want[5][4] = {
        {165, 15, 38, 204}, {251, 106, 74, 136}, {253, 180, 160, 54}, {0, 0, 0, 0}, {0, 0, 0, 0}};
    for (int c = 0; c < 5; c++)
        for (int b = 0; b < 4; b++)
            assert_int_equal(px[b][c], want[c][b]);
    GDALClose(ds);
    VSIUnlink("/vsimem/test_report.png");
    free(html);
}

static void test_tables(void **state)
{
    (void)state;
    char *html = report_of(FIX_GI | FIX_KDE | FIX_RUN_INFO, NULL, "tables");
    /* At a glance: 30 + 10 incidents, North the one hot ward, 2 areas holding 30 + 15 %. */
    assert_non_null(strstr(html, "<tr><td><a href=\"#group-asb\">asb</a></td><td "
                                 "class=\"num\">40</td><td class=\"num\">1</td><td "
                                 "class=\"num\">2</td><td class=\"num\">45.0</td></tr>"));
    /* Grid Gi*: bins 3 and 1 hot, -2 cold, of 5 cells. */
    assert_non_null(strstr(html, "square cells of 100 m, 2 of 5 cells are hot spots and 1 are "
                                 "cold spots"));
    /* One row per patrol area of the group, by rank. */
    assert_int_equal(body_rows(html, "patrol-asb"), 2);
    assert_non_null(strstr(html, "<tr><td class=\"num\">1</td><td class=\"num\">12</td><td "
                                 "class=\"num\">30.0</td><td class=\"num\">0.040</td><td "
                                 "class=\"num\">15.0</td></tr>"));
    assert_non_null(strstr(html, "Together the 2 areas cover 0.08 km² and hold 45.0%"));
    /* Top wards by count, with their Gi* class. */
    assert_int_equal(body_rows(html, "wards-asb"), 2);
    assert_non_null(strstr(html, "<tr><td>North</td><td>E01</td><td class=\"num\">30</td><td "
                                 "class=\"num\">12.5</td><td>Hot spot, 99% confidence</td></tr>"));
    assert_true(before(html, "<td>North</td>", "<td>South</td>"));
    /* Concentration from run_info. */
    assert_non_null(strstr(html, "<tr><td>asb</td><td class=\"num\">42.5</td><td "
                                 "class=\"num\">61.3</td><td class=\"num\">77.0</td></tr>"));
    /* Parameters: set ones listed without the prefix, unset ones left out. */
    assert_non_null(strstr(html, "<td>group.asb.categories</td><td>Anti-social behaviour</td>"));
    assert_null(strstr(html, "<td>incidents.x</td>"));
    free(html);
}

static void test_geocoding_caveat(void **state)
{
    (void)state;
    char *html = report_of(FIX_GI | FIX_RUN_INFO, NULL, "geocoding");
    assert_non_null(strstr(html, "Hit rate: 80.0%."));
    assert_non_null(strstr(html, "Of 1,060 rows read, 40 were placed on the map, 10 could not be "
                                 "placed and 1,010 lie outside the study area."));
    assert_non_null(strstr(html, "<p class=\"warn\">"));
    assert_non_null(strstr(html, "This job's minimum is 85%: this run falls short of it"));
    assert_non_null(strstr(html, "coordinates 35, postcode 5."));
    /* Reasons by kind, most rows first. */
    assert_int_equal(body_rows(html, "reasons"), 3);
    assert_non_null(strstr(html, "<tr><td>no location</td><td class=\"num\">5</td>"));
    assert_non_null(strstr(html, "<tr><td>malformed row: expected \xe2\x80\xa6 fields, found "
                                 "\xe2\x80\xa6</td><td class=\"num\">3</td>"));
    assert_non_null(strstr(html, "<tr><td>bad coordinates \xe2\x80\xa6: latitude and longitude "
                                 "look swapped</td><td class=\"num\">2</td>"));
    assert_true(before(html, "<td>no location</td>", "<td>malformed row"));
    assert_true(before(html, "<td>malformed row", "<td>bad coordinates"));
    free(html);
}

static void test_counts_without_gi_layer(void **state)
{
    (void)state;
    char *html = report_of(FIX_RUN_INFO, "Counts <only> & more", "counts");
    assert_non_null(strstr(html, "<title>Counts &lt;only&gt; &amp; more</title>"));
    assert_non_null(
        strstr(html, "<path fill=\"#08519c\" d=\"M0.0 500.0L500.0 500.0L500.0 0.0L0.0 0.0Z\">"));
    assert_non_null(strstr(html, "<path fill=\"#bdd7e7\" d=\"M500.0 500.0L1000.0 500.0L1000.0 "
                                 "0.0L500.0 0.0Z\">"));
    assert_non_null(strstr(html, "7 to 12 incidents (1 wards)"));
    assert_non_null(strstr(html, "25 or more incidents (1 wards)"));
    assert_null(strstr(html, "Hot spot class"));
    /* No raster: no picture, and the map still draws. */
    assert_null(strstr(html, "data:image/png"));
    assert_non_null(strstr(html, "<svg id=\"map-asb\""));
    assert_int_equal(body_rows(html, "patrol-asb"), 2);
    free(html);
}

/* No file in the scratch folder whose name holds `part`. */
static void assert_no_file_like(const char *dir_path, const char *part)
{
    char **names = VSIReadDir(dir_path);
    for (char **p = names; p != NULL && *p != NULL; p++)
        if (strstr(*p, part) != NULL)
            fail_msg("left behind: %s/%s", dir_path, *p);
    CSLDestroy(names);
}

static void test_failure_keeps_old_file(void **state)
{
    (void)state;
    char html[512], gpkg[512];
    hs_test_tmp("keep.html", html, sizeof html);
    hs_test_tmp("missing.gpkg", gpkg, sizeof gpkg);
    assert_int_equal(hs_test_write(html, "old", 3), 0);
    hs_error err;
    assert_int_equal(hs_report_write(gpkg, html, NULL, &err), HS_EDATA);
    assert_non_null(strstr(err.file, "missing.gpkg"));
    size_t len = 0;
    unsigned char *text = hs_test_read(html, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(text, "old", 3);
    free(text);
    /* A GeoPackage without run_info is not a run's output. */
    hs_test_tmp("noinfo.gpkg", gpkg, sizeof gpkg);
    build_fixture(gpkg, FIX_GI);
    assert_int_equal(hs_report_write(gpkg, html, NULL, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "run_info"));
    /* An output folder that does not exist: HS_EIO, nothing left behind. */
    hs_test_tmp("fine.gpkg", gpkg, sizeof gpkg);
    build_fixture(gpkg, FIX_RUN_INFO);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no/such/dir/r.html", HS_TEST_TMP_DIR);
    assert_int_equal(hs_report_write(gpkg, bad, NULL, &err), HS_EIO);
    assert_int_equal(hs_report_write(NULL, bad, NULL, &err), HS_EINVAL);
    /* A good run replaces the old file and leaves no temporary file. */
    assert_int_equal(hs_report_write(gpkg, html, NULL, &err), HS_OK);
    text = hs_test_read(html, &len);
    assert_true(len > 1000);
    assert_memory_equal(text, "<!DOCTYPE html>", 15);
    free(text);
    assert_no_file_like(HS_TEST_TMP_DIR, "keep.html.tmp-");
    remove(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_is_self_contained),
        cmocka_unit_test(test_map_geometry),
        cmocka_unit_test(test_density_png_pixels),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_geocoding_caveat),
        cmocka_unit_test(test_counts_without_gi_layer),
        cmocka_unit_test(test_failure_keeps_old_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

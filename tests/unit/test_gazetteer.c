/* test_gazetteer.c - building a gazetteer from small files of every input format
 * (tests/fixtures/gazetteer/), its report of bad rows, its lookups, and the refusal of wrong
 * files.
 *
 * Fixtures (made for these tests, coordinates invented near Canterbury):
 *   codepoint.csv          Code-Point Open, headerless, CRLF: 9 rows = 3 stored, PQI 90 and a
 *                          repeated postcode skipped, bad: QQ1 1AA (row 5), 3 fields (row 6),
 *                          easting "abc" (row 8), easting 900000 (row 9)
 *   codepoint_header.csv   Code-Point with its header line: PQI 50 and 60
 *   onspd.csv              ONSPD columns: osgrdind 1 and 4 stored, 9 and a BT (Irish Grid)
 *                          postcode skipped, 4 fields (row 5) bad
 *   open_names_header.csv  Open Names with BOM + header: 16 rows = 12 stored, CT1 2JE skipped
 *                          (Code-Point gave it first), bad: 20 fields (row 9), NAME1 with byte
 *                          0xFF (row 13), GEOMETRY_X "east" (row 16)
 *   open_names_noheader.csv  the product's headerless form (BOM kept): 2 rows
 *   police.csv             police.uk, CRLF: 12 rows = 8 learnt, "No Location" skipped, bad:
 *                          8 fields (row 10), Longitude "abc" (row 11), Location byte 0xFF (12)
 * Expected coordinates of the police points: the rows' lon/lat through GDAL's
 * CoordinateTransformation (Python osgeo, same EPSG:4326 -> 27700 operation, network off):
 *   A 614999.9991 157999.9792  B 615299.9839 158100.0155  C 614649.9847 158179.9713
 *   D 615200.0006 157800.0023  E 615499.9807 157600.0073
 * LSOA E01000001 = mean of A, B, C = (614983.3226, 158093.3220), radius 344.4158 (to C);
 * E01000002 = mean of D, E = (615349.9906, 157700.0048), radius 180.2679. Checksums: FNV-1a 64
 * of each file computed by a separate Python loop.
 */
#include "geo/gazetteer.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* clang-format off: cmocka needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

#define FIX HS_SOURCE_DIR "/tests/fixtures/gazetteer/"
#define GAZ HS_TEST_TMP_DIR "/test_gazetteer_all.sqlite"

static hs_gazetteer_report *report; /* the report of the build every test reads */

static int build_all(void **state)
{
    (void)state;
    /* Given in a mixed order: the build reads postcodes, then streets, then snap points. */
    const hs_gazetteer_input in[] = {
        {HS_GAZ_INPUT_SNAP_POINTS, FIX "police.csv"},
        {HS_GAZ_INPUT_STREETS, FIX "open_names_header.csv"},
        {HS_GAZ_INPUT_POSTCODES, FIX "codepoint.csv"},
        {HS_GAZ_INPUT_POSTCODES, FIX "codepoint_header.csv"},
        {HS_GAZ_INPUT_STREETS, FIX "open_names_noheader.csv"},
        {HS_GAZ_INPUT_POSTCODES, FIX "onspd.csv"},
    };
    report = hs_gazetteer_report_create();
    hs_error err;
    hs_status st = hs_gazetteer_build(GAZ, in, 6, report, &err);
    if (st != HS_OK) {
        char msg[1400];
        fprintf(stderr, "%s\n", hs_error_format(&err, msg, sizeof msg));
    }
    return st == HS_OK ? 0 : -1;
}

static int free_all(void **state)
{
    (void)state;
    hs_gazetteer_report_destroy(report);
    return 0;
}

static hs_gazetteer *open_gaz(const char *path)
{
    hs_gazetteer *g;
    hs_error err;
    assert_int_equal(hs_gazetteer_open(path, &g, &err), HS_OK);
    return g;
}

/* ---- the build report ------------------------------------------------------------------- */

static void assert_source(size_t i, const char *file, const char *format, size_t rows,
                          size_t loaded, size_t skipped, size_t bad, uint64_t bytes,
                          uint64_t checksum)
{
    const hs_gazetteer_source_stats *s = hs_gazetteer_report_source(report, i);
    assert_non_null(s);
    assert_string_equal(s->path, file);
    assert_string_equal(s->format, format);
    assert_int_equal(s->rows, rows);
    assert_int_equal(s->loaded, loaded);
    assert_int_equal(s->skipped, skipped);
    assert_int_equal(s->bad, bad);
    assert_int_equal(s->bytes, bytes);
    assert_int_equal(s->checksum, checksum);
}

static void test_report_counts_every_row(void **state)
{
    (void)state;
    assert_int_equal(hs_gazetteer_report_n_sources(report), 6);
    assert_source(0, FIX "codepoint.csv", "codepoint-open", 9, 3, 2, 4, 808, 0xec6d4c1ad35b5b3eull);
    assert_source(1, FIX "codepoint_header.csv", "codepoint-open", 2, 2, 0, 0, 358,
                  0x91ad2fa9bdbb3243ull);
    assert_source(2, FIX "onspd.csv", "onspd", 5, 2, 2, 1, 837, 0x1ec7af2721c4b2b5ull);
    assert_source(3, FIX "open_names_header.csv", "os-open-names", 16, 12, 1, 3, 9790,
                  0x5c0a6943bb6c2b32ull);
    assert_source(4, FIX "open_names_noheader.csv", "os-open-names", 2, 2, 0, 0, 1314,
                  0x82c4eebb9bc35843ull);
    assert_source(5, FIX "police.csv", "police.uk", 12, 8, 1, 3, 2220, 0x0544bbf29ec7f81bull);
    assert_null(hs_gazetteer_report_source(report, 6));
}

static void assert_issue(size_t i, const char *file, long row, long line, const char *what)
{
    const hs_error *e = hs_gazetteer_report_issue(report, i);
    assert_non_null(e);
    assert_int_equal(e->code, HS_EDATA);
    assert_string_equal(e->file, file);
    assert_int_equal(e->row, row);
    assert_int_equal(e->line, line);
    if (strstr(e->what, what) == NULL)
        fail_msg("issue %zu: '%s' lacks '%s'", i, e->what, what);
}

static void test_report_lists_bad_rows(void **state)
{
    (void)state;
    assert_int_equal(hs_gazetteer_report_n_issues(report), 11);
    assert_issue(0, FIX "codepoint.csv", 5, 5, "'QQ1 1AA' is not a valid UK postcode");
    assert_issue(1, FIX "codepoint.csv", 6, 6, "expected 10 fields, found 3");
    assert_issue(2, FIX "codepoint.csv", 8, 8, "'abc', '158000' are not numbers");
    assert_issue(3, FIX "codepoint.csv", 9, 9, "outside the British National Grid");
    assert_issue(4, FIX "onspd.csv", 5, 6, "expected 18 fields, found 4");
    assert_issue(5, FIX "open_names_header.csv", 9, 10, "expected 34 fields, found 20");
    assert_issue(6, FIX "open_names_header.csv", 13, 14, "NAME1 is not valid UTF-8");
    assert_issue(7, FIX "open_names_header.csv", 16, 17, "'east', 'north' are not numbers");
    assert_issue(8, FIX "police.csv", 10, 11, "expected 12 fields, found 8");
    assert_issue(9, FIX "police.csv", 11, 12, "Longitude 'abc'");
    assert_issue(10, FIX "police.csv", 12, 13,
                 "Location is not valid UTF-8 ('On or near Caf??? Street'");
    assert_null(hs_gazetteer_report_issue(report, 11));
    char line[1400];
    assert_string_equal(hs_error_format(hs_gazetteer_report_issue(report, 0), line, sizeof line),
                        FIX "codepoint.csv: row 5 (line 5): 'QQ1 1AA' is not a valid UK "
                            "postcode");
}

/* ---- lookups ------------------------------------------------------------------------------ */

static void assert_postcode_at(hs_gazetteer *g, const char *pc, double x, double y, double prec)
{
    hs_gazetteer_entry e;
    int found;
    hs_error err;
    assert_int_equal(hs_gazetteer_find_postcode(g, pc, &e, &found, &err), HS_OK);
    if (!found)
        fail_msg("postcode %s not found", pc);
    assert_int_equal(e.kind, HS_GAZ_POSTCODE);
    assert_float_equal(e.x_m, x, 0.0);
    assert_float_equal(e.y_m, y, 0.0);
    assert_float_equal(e.precision_m, prec, 0.0);
}

static void assert_no_postcode(hs_gazetteer *g, const char *pc)
{
    hs_gazetteer_entry e;
    int found = -1;
    hs_error err;
    assert_int_equal(hs_gazetteer_find_postcode(g, pc, &e, &found, &err), HS_OK);
    assert_int_equal(found, 0);
}

static void test_postcode_lookups(void **state)
{
    (void)state;
    hs_gazetteer *g = open_gaz(GAZ);
    /* Code-Point's first CT1 2JE, not its repeat nor Open Names' (615050, 158010). */
    assert_postcode_at(g, "CT1 2JE", 615000, 158000, 50);
    assert_postcode_at(g, "CT10 1AA", 635000, 168000, 50);  /* from "CT101AA" */
    assert_postcode_at(g, "CT5 1AA", 611000, 166500, 100);  /* PQI 30 */
    assert_postcode_at(g, "CT3 4AA", 622000, 159000, 250);  /* PQI 50 */
    assert_postcode_at(g, "CT3 4AB", 622100, 159100, 1000); /* PQI 60 */
    assert_postcode_at(g, "CT1 1AA", 615877, 158502, 50);   /* ONSPD osgrdind 1 */
    assert_postcode_at(g, "CT2 7NZ", 614100, 159200, 100);  /* osgrdind 4, terminated */
    assert_postcode_at(g, "CT5 1BB", 610900, 166400, 50);   /* Open Names postcode */
    assert_no_postcode(g, "CT2 9ZZ");                       /* PQI 90: no coordinates */
    assert_no_postcode(g, "CT1 9ZZ");                       /* osgrdind 9 */
    assert_no_postcode(g, "BT1 1AA");                       /* Irish Grid */
    assert_no_postcode(g, "QQ1 1AA");
    hs_gazetteer_close(g);
}

static void test_street_and_place_lookups(void **state)
{
    (void)state;
    hs_gazetteer *g = open_gaz(GAZ);
    hs_gazetteer_entry e[4];
    size_t n;
    hs_error err;
    /* Two High Streets; without a point they come in id (file) order. */
    assert_int_equal(
        hs_gazetteer_find_name(g, "high street", HS_GAZ_STREET, NULL, NULL, e, 4, &n, &err), HS_OK);
    assert_int_equal(n, 2);
    assert_float_equal(e[0].x_m, 610800, 0.0);
    assert_string_equal(e[0].place, "whitstable");
    assert_string_equal(e[0].district, "canterbury");
    assert_string_equal(e[0].county, "kent");
    assert_string_equal(e[0].postcode_district, "CT5");
    assert_float_equal(e[0].precision_m, 316.227766, 1e-6); /* half of 200 x 600 m box */
    assert_string_equal(e[1].place, "herne bay");
    /* Nearest first from a point near Herne Bay. */
    const double hb[2] = {618000, 168000};
    assert_int_equal(
        hs_gazetteer_find_name(g, "high street", HS_GAZ_STREET, NULL, hb, e, 4, &n, &err), HS_OK);
    assert_int_equal(n, 2);
    assert_float_equal(e[0].x_m, 617800, 0.0);
    /* cap limits what is written. */
    assert_int_equal(
        hs_gazetteer_find_name(g, "high street", HS_GAZ_STREET, NULL, hb, e, 1, &n, &err), HS_OK);
    assert_int_equal(n, 1);
    /* The kind mask: High Street is no place. */
    assert_int_equal(
        hs_gazetteer_find_name(g, "high street", HS_GAZ_PLACE, NULL, NULL, e, 4, &n, &err), HS_OK);
    assert_int_equal(n, 0);
    /* OS "St Dunstan's Street" stored normalised. */
    assert_int_equal(hs_gazetteer_find_name(g, "saint dunstans street", HS_GAZ_STREET, NULL, NULL,
                                            e, 4, &n, &err),
                     HS_OK);
    assert_int_equal(n, 1);
    assert_float_equal(e[0].precision_m, 111.803399, 1e-6);
    /* NAME2 (Welsh) is a second name of the same point. */
    assert_int_equal(
        hs_gazetteer_find_name(g, "heol y castell", HS_GAZ_STREET, NULL, NULL, e, 4, &n, &err),
        HS_OK);
    assert_int_equal(n, 1);
    assert_float_equal(e[0].x_m, 615500, 0.0);
    /* Places: a town, an accented name without a box (default 500 m), the headerless file. */
    assert_int_equal(
        hs_gazetteer_find_name(g, "whitstable", HS_GAZ_PLACE, NULL, NULL, e, 4, &n, &err), HS_OK);
    assert_int_equal(n, 1);
    assert_float_equal(e[0].precision_m, 1952.562419, 1e-6);
    assert_int_equal(
        hs_gazetteer_find_name(g, "cafe corner", HS_GAZ_PLACE, NULL, NULL, e, 4, &n, &err), HS_OK);
    assert_int_equal(n, 1);
    assert_float_equal(e[0].precision_m, 500, 0.0);
    assert_int_equal(
        hs_gazetteer_find_name(g, "tankerton", HS_GAZ_PLACE, NULL, NULL, e, 4, &n, &err), HS_OK);
    assert_int_equal(n, 1);
    assert_float_equal(e[0].precision_m, 707.106781, 1e-6);
    hs_gazetteer_close(g);
}

static void test_snap_points_and_lsoas(void **state)
{
    (void)state;
    hs_gazetteer *g = open_gaz(GAZ);
    hs_gazetteer_entry e[4];
    size_t n;
    hs_error err;
    /* "On or near Supermarket" in E01000001: 3 incidents at A, 1 at B; heaviest first. */
    assert_int_equal(
        hs_gazetteer_find_name(g, "supermarket", HS_GAZ_SNAP, "E01000001", NULL, e, 4, &n, &err),
        HS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(e[0].weight, 3);
    assert_float_equal(e[0].x_m, 614999.9991, 1e-3);
    assert_float_equal(e[0].y_m, 157999.9792, 1e-3);
    assert_int_equal(e[1].weight, 1);
    assert_float_equal(e[1].x_m, 615299.9839, 1e-3);
    assert_string_equal(e[0].lsoa_code, "E01000001");
    assert_float_equal(e[0].precision_m, 10.0, 0.0);
    /* police.uk "St Dunstan'S Street" learnt under the OS-style normalised name. */
    assert_int_equal(hs_gazetteer_find_name(g, "saint dunstans street", HS_GAZ_SNAP, "E01000001",
                                            NULL, e, 4, &n, &err),
                     HS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].weight, 2);
    assert_float_equal(e[0].x_m, 614649.9847, 1e-3);
    /* Nightclub belongs to E01000002 only. */
    assert_int_equal(
        hs_gazetteer_find_name(g, "nightclub", HS_GAZ_SNAP, "E01000001", NULL, e, 4, &n, &err),
        HS_OK);
    assert_int_equal(n, 0);
    double x, y, r;
    int found;
    assert_int_equal(hs_gazetteer_find_lsoa(g, "E01000001", &x, &y, &r, &found, &err), HS_OK);
    assert_int_equal(found, 1);
    assert_float_equal(x, 614983.3226, 1e-3);
    assert_float_equal(y, 158093.3220, 1e-3);
    assert_float_equal(r, 344.4158, 1e-3);
    assert_int_equal(hs_gazetteer_find_lsoa(g, "E01000002", &x, &y, &r, &found, &err), HS_OK);
    assert_float_equal(x, 615349.9906, 1e-3);
    assert_float_equal(r, 180.2679, 1e-3);
    assert_int_equal(hs_gazetteer_find_lsoa(g, "E01999999", &x, &y, &r, &found, &err), HS_OK);
    assert_int_equal(found, 0);
    hs_gazetteer_close(g);
}

static void test_find_near(void **state)
{
    (void)state;
    hs_gazetteer *g = open_gaz(GAZ);
    hs_gazetteer_entry e[8];
    size_t n;
    hs_error err;
    /* From (615000, 158000): A 0.02 m, D 282.8, B 316.2, C 393.6; E (640 m), St Dunstan's
     * Street (447 m) and Castle Road (860 m) are beyond 400 m. */
    assert_int_equal(hs_gazetteer_find_near(g, 615000, 158000, 400,
                                            HS_GAZ_STREET | HS_GAZ_PLACE | HS_GAZ_SNAP, e, 8, &n,
                                            &err),
                     HS_OK);
    assert_int_equal(n, 4);
    assert_string_equal(e[0].name, "supermarket");
    assert_float_equal(e[0].x_m, 614999.9991, 1e-3);
    assert_string_equal(e[1].name, "nightclub");
    assert_string_equal(e[2].name, "supermarket");
    assert_string_equal(e[3].name, "saint dunstans street");
    assert_int_equal(e[3].kind, HS_GAZ_SNAP);
    /* 450 m reaches St Dunstan's Street (447.2 m); streets only. */
    assert_int_equal(hs_gazetteer_find_near(g, 615000, 158000, 450, HS_GAZ_STREET, e, 8, &n, &err),
                     HS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].name, "saint dunstans street");
    hs_gazetteer_close(g);
}

static void test_meta(void **state)
{
    (void)state;
    hs_gazetteer *g = open_gaz(GAZ);
    char v[512];
    hs_error err;
    const char *expect[][2] = {
        {"schema_version", "1"}, {"application", "hotspot gazetteer"},
        {"postcodes", "8"},   /* 3 + 2 Code-Point, 2 ONSPD, 1 Open Names */
        {"streets", "11"},    /* 8 + Castle Road + its Welsh name + Saxon Road */
        {"places", "3"},      /* Whitstable, Cafe Corner, Tankerton */
        {"snap_points", "5"}, /* A, B (supermarket), C, D, E */
        {"lsoas", "2"},          {"no such key", ""},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        assert_int_equal(hs_gazetteer_meta(g, expect[i][0], v, sizeof v, &err), HS_OK);
        assert_string_equal(v, expect[i][1]);
    }
    assert_int_equal(hs_gazetteer_meta(g, "sources", v, sizeof v, &err), HS_OK);
    assert_non_null(strstr(v, "codepoint.csv (codepoint-open, 9 rows, fnv1a64 ec6d4c1ad35b5b3e)"));
    assert_non_null(strstr(v, "police.csv (police.uk, 12 rows, fnv1a64 0544bbf29ec7f81b)"));
    hs_gazetteer_close(g);
}

/* ---- wrong files ---------------------------------------------------------------------------- */

static void assert_open_fails(const char *path, const char *what)
{
    hs_gazetteer *g = (hs_gazetteer *)&g;
    hs_error err;
    assert_int_equal(hs_gazetteer_open(path, &g, &err), HS_EDATA);
    assert_null(g);
    assert_string_equal(err.file, path);
    if (strstr(err.what, what) == NULL)
        fail_msg("'%s' lacks '%s'", err.what, what);
}

static void sql(const char *path, const char *statement)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, statement, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_open_refuses_wrong_files(void **state)
{
    (void)state;
    assert_open_fails(HS_SHARED_DATA_DIR "/ons-wards-canterbury-2020-bgc/"
                                         "canterbury_wards_wd20_bgc.gpkg",
                      "this is a GeoPackage, not a gazetteer");
    assert_open_fails(FIX "not_a_gazetteer.sqlite", "not an SQLite database");
    assert_open_fails(FIX "empty.csv", "the file is empty");
    assert_open_fails(FIX "no_such_file.sqlite", "cannot open the gazetteer");
    /* Another SQLite database. */
    const char *other = HS_TEST_TMP_DIR "/test_gazetteer_other.sqlite";
    unlink(other);
    sql(other, "CREATE TABLE t(x)");
    assert_open_fails(other, "not a hotspot gazetteer (application_id 0x00000000)");
    /* A gazetteer of another schema version. */
    const char *v2 = HS_TEST_TMP_DIR "/test_gazetteer_v2.sqlite";
    const hs_gazetteer_input in[] = {{HS_GAZ_INPUT_POSTCODES, FIX "codepoint_header.csv"}};
    hs_error err;
    assert_int_equal(hs_gazetteer_build(v2, in, 1, NULL, &err), HS_OK);
    hs_gazetteer_close(open_gaz(v2));
    sql(v2, "PRAGMA user_version = 2");
    assert_open_fails(v2, "gazetteer schema version 2, expected 1");
}

static void test_open_path_with_uri_characters(void **state)
{
    (void)state;
    /* The file is opened as an SQLite URI: ?, # and % in its name must be escaped. */
    const char *odd = HS_TEST_TMP_DIR "/test gazetteer ?#%41.sqlite";
    const hs_gazetteer_input in[] = {{HS_GAZ_INPUT_POSTCODES, FIX "codepoint_header.csv"}};
    hs_error err;
    assert_int_equal(hs_gazetteer_build(odd, in, 1, NULL, &err), HS_OK);
    hs_gazetteer *g = open_gaz(odd);
    char v[16];
    assert_int_equal(hs_gazetteer_meta(g, "postcodes", v, sizeof v, &err), HS_OK);
    assert_string_equal(v, "2");
    hs_gazetteer_close(g);
    assert_int_equal(unlink(odd), 0);
}

static void assert_build_fails(hs_gazetteer_input_kind kind, const char *path, hs_status code,
                               long line, const char *what)
{
    const char *out = HS_TEST_TMP_DIR "/test_gazetteer_failed.sqlite";
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs("the previous gazetteer", f);
    fclose(f);
    hs_gazetteer_input in[] = {{HS_GAZ_INPUT_POSTCODES, FIX "codepoint_header.csv"}, {kind, path}};
    hs_error err;
    assert_int_equal(hs_gazetteer_build(out, in, 2, NULL, &err), code);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, line);
    if (strstr(err.what, what) == NULL)
        fail_msg("'%s' lacks '%s'", err.what, what);
    /* The old file is untouched and no temporary file is left behind. */
    char buf[64] = "";
    f = fopen(out, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "the previous gazetteer");
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
}

static void test_build_refuses_bad_inputs(void **state)
{
    (void)state;
    assert_build_fails(HS_GAZ_INPUT_POSTCODES, FIX "empty.csv", HS_EDATA, 0,
                       "--postcodes: the file is empty");
    assert_build_fails(HS_GAZ_INPUT_STREETS, FIX "empty.csv", HS_EDATA, 0,
                       "--streets: the file is empty");
    assert_build_fails(HS_GAZ_INPUT_SNAP_POINTS, FIX "empty.csv", HS_EDATA, 0, "--snap-points");
    assert_build_fails(HS_GAZ_INPUT_POSTCODES, FIX "no_such.csv", HS_EDATA, 0, "cannot open");
    /* A file given under the wrong flag. */
    assert_build_fails(HS_GAZ_INPUT_POSTCODES, FIX "police.csv", HS_EDATA, 1,
                       "not a postcode file: expected OS Code-Point Open rows");
    assert_build_fails(HS_GAZ_INPUT_STREETS, FIX "codepoint.csv", HS_EDATA, 1,
                       "not an OS Open Names file: expected 34 columns");
    assert_build_fails(HS_GAZ_INPUT_SNAP_POINTS, FIX "open_names_noheader.csv", HS_EDATA, 1,
                       "--snap-points: not a police.uk street-level CSV");
    /* Every row bad. */
    const char *allbad = HS_TEST_TMP_DIR "/test_gazetteer_allbad.csv";
    FILE *f = fopen(allbad, "w");
    assert_non_null(f);
    fputs("\"CT1 2JE\",10,abc,def\n\"CT1 2JF\",10,1,2,3\n", f);
    fclose(f);
    assert_build_fails(HS_GAZ_INPUT_POSTCODES, allbad, HS_EDATA, 0, "none of its 2 rows is usable");
    /* No inputs at all. */
    hs_error err;
    assert_int_equal(hs_gazetteer_build(GAZ ".none", NULL, 0, NULL, &err), HS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_counts_every_row),
        cmocka_unit_test(test_report_lists_bad_rows),
        cmocka_unit_test(test_postcode_lookups),
        cmocka_unit_test(test_street_and_place_lookups),
        cmocka_unit_test(test_snap_points_and_lsoas),
        cmocka_unit_test(test_find_near),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_open_refuses_wrong_files),
        cmocka_unit_test(test_open_path_with_uri_characters),
        cmocka_unit_test(test_build_refuses_bad_inputs),
    };
    return cmocka_run_group_tests(tests, build_all, free_all);
}

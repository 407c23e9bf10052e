/* test_ingest.c - reading police.uk, mapped CSV and OGR sources: every row kept, row and line
 * numbers, BOM, CRLF, blank lines, malformed rows with reasons, UTF-8 repair, errors. */
#include "geo/ingest.h"
#include "tests/test_support.h"

#include <gdal.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define FIXTURE(name) HS_SOURCE_DIR "/tests/fixtures/ingest/" name

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    return 0;
}

static void test_police_header_detection(void **state)
{
    (void)state;
    const char *police[] = {"\xEF\xBB\xBF"
                            "Crime ID",
                            "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                            "Location", "LSOA code", "LSOA name", "Crime type",
                            "Last outcome category", "Context"};
    assert_int_equal(hs_ingest_is_police_header(police, 12), 1);
    /* Without the trailing Context column (older files) it is still police.uk. */
    assert_int_equal(hs_ingest_is_police_header(police, 11), 1);
    const char *other[] = {"Reference", "Date", "Category", "Address", "Postcode"};
    assert_int_equal(hs_ingest_is_police_header(other, 5), 0);
}

static void test_police_rows_all_accounted(void **state)
{
    (void)state;
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_ingest_stats st;
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, FIXTURE("police_small.csv"), NULL, &st, &err), HS_OK);
    /* 5 data rows; the blank line between rows 4 and 5 is not a row. */
    assert_int_equal(t.n, 5);
    assert_int_equal(st.rows, 5);
    assert_int_equal(st.blank, 1);
    assert_int_equal(st.malformed, 2);
    assert_int_equal(st.bad_utf8, 1);
    /* Row 1: ASB with empty Crime ID, coordinates, BOM stripped from the header. */
    assert_string_equal(hs_incidents_str(&t, t.id, 0), "");
    assert_string_equal(hs_incidents_str(&t, t.category, 0), "Anti-social behaviour");
    assert_string_equal(hs_incidents_str(&t, t.month, 0), "2024-01");
    assert_string_equal(hs_incidents_str(&t, t.lsoa_name, 0), "Canterbury 015C");
    assert_float_equal(t.in_x[0], 1.0792, 1e-12);
    assert_float_equal(t.in_y[0], 51.2795, 1e-12);
    assert_int_equal(t.source_row[0], 1);
    assert_int_equal(t.source_line[0], 2);
    assert_int_equal(t.state[0], HS_ROW_PENDING);
    /* Row 2: No Location, no coordinates, pending (the geocoder decides). */
    assert_true(isnan(t.in_x[1]));
    assert_string_equal(hs_incidents_str(&t, t.location, 1), "No Location");
    assert_int_equal(t.state[1], HS_ROW_PENDING);
    /* Row 3: a longitude that is not a number: failed with a reason naming the column. */
    assert_int_equal(t.state[2], HS_ROW_FAILED);
    assert_non_null(strstr(hs_incidents_str(&t, t.reason, 2), "Longitude '1.08x'"));
    /* Row 4: ragged, failed, raw text kept. */
    assert_int_equal(t.state[3], HS_ROW_FAILED);
    assert_non_null(strstr(hs_incidents_str(&t, t.reason, 3), "expected 12 fields, found 7"));
    assert_non_null(strstr(hs_incidents_str(&t, t.raw, 3), "ghi789,2024-01"));
    /* Row 5 comes after a blank line: row 5, physical line 7; Latin-1 byte replaced. */
    assert_int_equal(t.source_row[4], 5);
    assert_int_equal(t.source_line[4], 7);
    assert_string_equal(hs_incidents_str(&t, t.location, 4), "On or near Caf\xEF\xBF\xBD Street");
    assert_int_equal(t.state[4], HS_ROW_PENDING);
    assert_string_equal(t.sources[0].format, "police.uk");
    assert_string_equal(t.sources[0].crs, "EPSG:4326");
    assert_string_equal(t.sources[0].name, "police_small.csv");
    hs_incidents_free(&t);
}

static void test_auto_mapped_csv_with_quoted_newline(void **state)
{
    (void)state;
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_ingest_stats st;
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, FIXTURE("council_small.csv"), NULL, &st, &err), HS_OK);
    assert_int_equal(t.n, 3);
    assert_string_equal(hs_incidents_str(&t, t.location, 0), "12 Church Road, Canterbury");
    assert_string_equal(hs_incidents_str(&t, t.postcode, 0), "CT1 2AB");
    /* DD/MM/YYYY and YYYY-MM-DD both become YYYY-MM. */
    assert_string_equal(hs_incidents_str(&t, t.month, 0), "2025-03");
    assert_string_equal(hs_incidents_str(&t, t.month, 1), "2025-04");
    /* The quoted address spans two lines: row 3 starts on line 5. */
    assert_string_equal(hs_incidents_str(&t, t.location, 1), "Flat 2,\nMill Lane");
    assert_int_equal(t.source_line[2], 5);
    assert_int_equal(t.source_row[2], 3);
    assert_true(isnan(t.in_x[1]));
    assert_float_equal(t.in_x[2], 615100.0, 0.0);
    /* Columns named Easting/Northing mean British National Grid. */
    assert_string_equal(t.sources[0].crs, "EPSG:27700");
    assert_string_equal(t.sources[0].format, "csv");
    hs_incidents_free(&t);
}

/* Mapping one column (here only the address) keeps the other columns recognised by name:
 * the postcode, the Easting/Northing pair (and with it British National Grid), the date. */
static void test_partial_mapping_keeps_detection(void **state)
{
    (void)state;
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    p.map.address = "Address";
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, FIXTURE("council_small.csv"), &p, NULL, &err), HS_OK);
    assert_int_equal(t.n, 3);
    assert_string_equal(hs_incidents_str(&t, t.postcode, 0), "CT1 2AB");
    assert_string_equal(hs_incidents_str(&t, t.month, 0), "2025-03");
    assert_float_equal(t.in_x[2], 615100.0, 0.0);
    assert_float_equal(t.in_y[2], 157100.0, 0.0);
    assert_string_equal(t.sources[0].crs, "EPSG:27700");
    hs_incidents_free(&t);
}

/* A mapping of some columns: messages name the detected columns by their header names, a
 * mapped column is never detected for a second role, and a mapping of only the date counts. */
static void test_partial_mapping_roles_and_messages(void **state)
{
    (void)state;
    char path[512];
    hs_test_tmp("partial.csv", path, sizeof path);
    const char *csv = "Ref,When,longitude,latitude,Location,severity\n"
                      "A1,2024-01,abc,51.2,Broad Street,1\n"
                      "A2,2024-02,1.08,51.28,High Street,2\n";
    assert_int_equal(hs_test_write(path, csv, strlen(csv)), 0);
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    p.map.weight = "severity";
    p.map.postcode = "Location";
    p.map.date = "When";
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, path, &p, NULL, &err), HS_OK);
    assert_int_equal(t.n, 2);
    /* Row 1: the bad longitude is named by its header name. */
    assert_int_equal(t.state[0], HS_ROW_FAILED);
    const char *why = hs_incidents_str(&t, t.reason, 0);
    assert_non_null(strstr(why, "longitude 'abc'"));
    assert_null(strstr(why, "(null)"));
    /* Row 2: Location is the (mapped) postcode, not also the detected address. */
    assert_string_equal(hs_incidents_str(&t, t.postcode, 1), "High Street");
    assert_string_equal(hs_incidents_str(&t, t.location, 1), "");
    assert_string_equal(hs_incidents_str(&t, t.month, 1), "2024-02");
    assert_float_equal(t.weight[1], 2.0, 0.0);
    hs_incidents_free(&t);

    /* Only the date mapped: still a mapping (the month comes from "When"). */
    hs_ingest_params_default(&p);
    p.map.date = "When";
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    assert_int_equal(hs_ingest_file(&t, path, &p, NULL, &err), HS_OK);
    assert_string_equal(hs_incidents_str(&t, t.month, 1), "2024-02");
    assert_string_equal(hs_incidents_str(&t, t.location, 1), "High Street");
    hs_incidents_free(&t);
    unlink(path);
}

/* The names the CLI checks before reading are those the reader detects (longitude first). */
static void test_detect_column(void **state)
{
    (void)state;
    const char *h[] = {"Ref", "x", "Longitude", " LATITUDE", "Crime_Type"};
    assert_string_equal(hs_ingest_detect_column(h, 5, HS_INGEST_X), "Longitude");
    assert_string_equal(hs_ingest_detect_column(h, 5, HS_INGEST_Y), " LATITUDE");
    assert_string_equal(hs_ingest_detect_column(h, 5, HS_INGEST_CATEGORY), "Crime_Type");
    assert_null(hs_ingest_detect_column(h, 1, HS_INGEST_X));
}

static void test_mapping_names_missing_column(void **state)
{
    (void)state;
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    p.map.address = "Address";
    p.map.postcode = "Post Code";
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, FIXTURE("council_small.csv"), &p, NULL, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "'Post Code'"));
    assert_non_null(strstr(err.file, "council_small.csv"));
    /* Nothing of the failed file stays in the table. */
    assert_int_equal(t.n, 0);
    assert_int_equal(t.nsources, 0);
    hs_incidents_free(&t);
}

static void test_empty_and_missing_files(void **state)
{
    (void)state;
    char path[512];
    hs_test_tmp("empty.csv", path, sizeof path);
    assert_int_equal(hs_test_write(path, "", 0), 0);
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, path, NULL, NULL, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "empty"));
    assert_int_equal(hs_ingest_file(&t, "/nonexistent/x.csv", NULL, NULL, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "cannot open"));
    /* A header that is neither police.uk nor has anything to place rows by. */
    hs_test_tmp("nothing.csv", path, sizeof path);
    const char *txt = "a,b,c\n1,2,3\n";
    assert_int_equal(hs_test_write(path, txt, strlen(txt)), 0);
    assert_int_equal(hs_ingest_file(&t, path, NULL, NULL, &err), HS_EDATA);
    assert_int_equal(err.line, 1);
    assert_int_equal(t.n, 0);
    hs_incidents_free(&t);
}

static void test_ogr_geojson_source(void **state)
{
    (void)state;
    char path[512];
    hs_test_tmp("points.geojson", path, sizeof path);
    const char *gj =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"ref\":\"A1\",\"cat\":\"Drugs\"},"
        "\"geometry\":{\"type\":\"Point\",\"coordinates\":[1.08,51.28]}},"
        "{\"type\":\"Feature\",\"properties\":{\"ref\":\"A2\",\"cat\":\"Robbery\"},"
        "\"geometry\":null}]}";
    assert_int_equal(hs_test_write(path, gj, strlen(gj)), 0);
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    p.map.id = "ref";
    p.map.category = "cat";
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, path, &p, NULL, &err), HS_OK);
    assert_int_equal(t.n, 2);
    assert_string_equal(hs_incidents_str(&t, t.id, 1), "A2");
    assert_string_equal(hs_incidents_str(&t, t.category, 0), "Drugs");
    assert_float_equal(t.in_x[0], 1.08, 1e-12);
    assert_true(isnan(t.in_x[1]));
    assert_string_equal(t.sources[0].crs, "EPSG:4326");
    assert_int_equal(t.source_row[1], 2);
    hs_incidents_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_police_header_detection),
        cmocka_unit_test(test_police_rows_all_accounted),
        cmocka_unit_test(test_auto_mapped_csv_with_quoted_newline),
        cmocka_unit_test(test_partial_mapping_keeps_detection),
        cmocka_unit_test(test_partial_mapping_roles_and_messages),
        cmocka_unit_test(test_detect_column),
        cmocka_unit_test(test_mapping_names_missing_column),
        cmocka_unit_test(test_empty_and_missing_files),
        cmocka_unit_test(test_ogr_geojson_source),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

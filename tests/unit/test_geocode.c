/* test_geocode.c - every step of the geocoder cascade and every failure reason, on a
 * gazetteer built from tests/fixtures/gazetteer/ (see test_gazetteer.c for its contents and
 * the expected coordinates of the police points A..E and LSOA centres).
 *
 * Distances worked by hand (or by the same Python as test_gazetteer.c):
 *   LSOA E01000001 centre (614983.3226, 158093.3220), radius 344.4158, so its reach is
 *   1344.4158 m with the default 1000 m margin. From that centre: Maynard Road (614800,
 *   157000) 1108.6 m (inside), Nightclub D 364.7 m (inside the 500 m cross-LSOA limit),
 *   Parking Area E 714.3 m (outside), both High Streets > 9 km (outside).
 *   Supermarket in E01000001: 3 incidents at A, 1 at B => score 3/4, precision |AB| =
 *   316.2249 m. Thanet Way sections 632.46 m apart (one road): the first is chosen (both are
 *   316.23 m from their mean), precision max(427.20 own, 316.23 half spread).
 *   Fuzzy "maynerd road" ~ "maynard road": Jaro-Winkler("maynerd", "maynard") = 0.9428571429.
 */
#include "geo/geocode.h"

#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off: cmocka needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

#define FIX HS_SOURCE_DIR "/tests/fixtures/gazetteer/"
#define GAZ HS_TEST_TMP_DIR "/test_geocode.sqlite"

static hs_geocoder *gc; /* shared by the single-thread tests */

static int setup(void **state)
{
    (void)state;
    const hs_gazetteer_input in[] = {
        {HS_GAZ_INPUT_POSTCODES, FIX "codepoint.csv"},
        {HS_GAZ_INPUT_POSTCODES, FIX "codepoint_header.csv"},
        {HS_GAZ_INPUT_POSTCODES, FIX "onspd.csv"},
        {HS_GAZ_INPUT_STREETS, FIX "open_names_header.csv"},
        {HS_GAZ_INPUT_STREETS, FIX "open_names_noheader.csv"},
        {HS_GAZ_INPUT_SNAP_POINTS, FIX "police.csv"},
    };
    hs_error err;
    if (hs_gazetteer_build(GAZ, in, 6, NULL, &err) != HS_OK)
        return -1;
    return hs_geocoder_create(GAZ, NULL, &gc, &err) == HS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hs_geocoder_destroy(gc);
    return 0;
}

static hs_geocode_result run(hs_geocode_query q)
{
    hs_geocode_result r;
    hs_error err;
    assert_int_equal(hs_geocode_one(gc, &q, &r, &err), HS_OK);
    return r;
}

static void assert_placed(hs_geocode_result r, hs_method m, double x, double y, double score,
                          double precision_m, const char *matched)
{
    if (r.method != m)
        fail_msg("method %s (reason '%s'), expected %s", hs_method_name(r.method),
                 hs_geocode_reason_str(r.reason), hs_method_name(m));
    assert_int_equal(r.reason, HS_GEOCODE_PLACED);
    assert_float_equal(r.x_m, x, 1e-3);
    assert_float_equal(r.y_m, y, 1e-3);
    assert_float_equal(r.score, score, 1e-9);
    assert_float_equal(r.precision_m, precision_m, 1e-3);
    assert_string_equal(r.matched, matched);
}

static void assert_failed(hs_geocode_result r, hs_geocode_reason why, const char *text)
{
    if (r.reason != why)
        fail_msg("reason '%s' (method %s), expected '%s'", hs_geocode_reason_str(r.reason),
                 hs_method_name(r.method), text);
    assert_int_equal(r.method, HS_METHOD_NONE);
    assert_true(isnan(r.x_m) && isnan(r.y_m) && isnan(r.precision_m));
    assert_float_equal(r.score, 0.0, 0.0);
    assert_string_equal(hs_geocode_reason_str(r.reason), text);
}

/* ---- step 1: snap points of the row's LSOA --------------------------------------------------- */

static void test_snap_point_of_the_lsoa(void **state)
{
    (void)state;
    hs_geocode_query q = {.location = "On or near Supermarket",
                          .lsoa_code = "E01000001",
                          .lsoa_name = "Canterbury 001A"};
    assert_placed(run(q), HS_METHOD_SNAP_POINT, 614999.9991, 157999.9792, 0.75, 316.2249,
                  "supermarket");
    /* OS spelling and abbreviation meet the police.uk "St Dunstan'S Street". */
    q.location = "St Dunstan's St";
    assert_placed(run(q), HS_METHOD_SNAP_POINT, 614649.9847, 158179.9713, 1.0, 10.0,
                  "saint dunstans street");
    /* A snap point beats a postcode: police.uk publishes at the snap point itself. */
    q.location = "On or near Supermarket";
    q.postcode = "CT5 1AA";
    assert_placed(run(q), HS_METHOD_SNAP_POINT, 614999.9991, 157999.9792, 0.75, 316.2249,
                  "supermarket");
}

/* ---- step 2: postcodes ------------------------------------------------------------------------
 */

static void test_postcodes(void **state)
{
    (void)state;
    assert_placed(run((hs_geocode_query){.postcode = "ct1 2je"}), HS_METHOD_POSTCODE, 615000,
                  158000, 1.0, 50, "CT1 2JE");
    assert_placed(run((hs_geocode_query){.address = "12 High Street, Canterbury CT1 2JE"}),
                  HS_METHOD_POSTCODE, 615000, 158000, 0.95, 50, "CT1 2JE");
    /* A council address mapped into the location column; Code-Point's 7-character form. */
    assert_placed(run((hs_geocode_query){.location = "Flat 1, 3 Castle Road, CT101AA"}),
                  HS_METHOD_POSTCODE, 635000, 168000, 0.95, 50, "CT10 1AA");
    /* A bad postcode field does not stop the address. */
    assert_placed(run((hs_geocode_query){.postcode = "n/a", .address = "Whitstable CT5 1AA"}),
                  HS_METHOD_POSTCODE, 611000, 166500, 0.95, 100, "CT5 1AA");
}

static void test_postcode_failures(void **state)
{
    (void)state;
    assert_failed(run((hs_geocode_query){.postcode = "XYZ 123"}), HS_GEOCODE_INVALID_POSTCODE,
                  "invalid postcode");
    assert_failed(run((hs_geocode_query){.postcode = "CT1 9ZZ"}), HS_GEOCODE_POSTCODE_NOT_FOUND,
                  "postcode not in gazetteer");
    assert_failed(run((hs_geocode_query){.address = "1 Nowhere Lane, CT2 9ZZ"}),
                  HS_GEOCODE_POSTCODE_NOT_FOUND, "postcode not in gazetteer");
    /* With a postcode, its reason is reported even when the street failed too. */
    assert_failed(run((hs_geocode_query){.postcode = "CT1 9ZZ", .location = "Nowhere Lane"}),
                  HS_GEOCODE_POSTCODE_NOT_FOUND, "postcode not in gazetteer");
    /* ... but the street still places the row when it can. */
    assert_placed(run((hs_geocode_query){.postcode = "CT1 9ZZ", .location = "Maynard Road"}),
                  HS_METHOD_STREET, 614800, 157000, 1.0, 141.421356, "maynard road");
}

/* ---- step 3: exact street and place names -----------------------------------------------------
 */

static void test_streets_and_places(void **state)
{
    (void)state;
    assert_placed(run((hs_geocode_query){.location = "Maynard Rd"}), HS_METHOD_STREET, 614800,
                  157000, 1.0, 141.421356, "maynard road");
    assert_placed(run((hs_geocode_query){.address = "14 Maynard Road, Canterbury"}),
                  HS_METHOD_STREET, 614800, 157000, 1.0, 141.421356, "maynard road");
    assert_placed(run((hs_geocode_query){.location = "Whitstable"}), HS_METHOD_PLACE, 610800,
                  166500, 1.0, 1952.562419, "whitstable");
    assert_placed(run((hs_geocode_query){.location = "CAF\xc3\x89 CORNER"}), HS_METHOD_PLACE,
                  616000, 158500, 1.0, 500, "cafe corner");
    assert_placed(run((hs_geocode_query){.location = "Heol y Castell"}), HS_METHOD_STREET, 615500,
                  157300, 1.0, 111.803399, "heol y castell");
    /* Two sections of one road, 632 m apart. */
    assert_placed(run((hs_geocode_query){.location = "Thanet Way"}), HS_METHOD_STREET, 612000,
                  165500, 0.95, 427.200187, "thanet way");
}

static void test_disambiguation(void **state)
{
    (void)state;
    /* By locality: a town, or a district (Church Lane: Swale or Canterbury). */
    assert_placed(run((hs_geocode_query){.location = "High Street", .locality = "Herne Bay"}),
                  HS_METHOD_STREET, 617800, 168200, 0.9, 141.421356, "high street");
    assert_placed(run((hs_geocode_query){.location = "Church Lane", .locality = "Swale"}),
                  HS_METHOD_STREET, 602000, 161000, 0.9, 70.710678, "church lane");
    /* The district of an LSOA name is a locality too. */
    assert_placed(run((hs_geocode_query){.location = "Church Lane", .lsoa_name = "Swale 001A"}),
                  HS_METHOD_STREET, 602000, 161000, 0.9, 70.710678, "church lane");
    /* By proximity to a hint point near Whitstable. */
    assert_placed(
        run((hs_geocode_query){
            .location = "High Street", .has_hint = 1, .hint_x_m = 611000, .hint_y_m = 166000}),
        HS_METHOD_STREET, 610800, 166600, 0.8, 316.227766, "high street");
}

static void test_street_failures(void **state)
{
    (void)state;
    assert_failed(run((hs_geocode_query){.location = "High Street"}), HS_GEOCODE_AMBIGUOUS,
                  "ambiguous street name");
    assert_failed(run((hs_geocode_query){.location = "Church Lane"}), HS_GEOCODE_AMBIGUOUS,
                  "ambiguous street name");
    assert_failed(
        run((hs_geocode_query){
            .location = "Church Lane", .has_hint = 1, .hint_x_m = 610000, .hint_y_m = 170000}),
        HS_GEOCODE_STREET_TOO_FAR, "street not found near the area");
    /* Both High Streets are > 9 km from the LSOA's learnt centre. */
    assert_failed(run((hs_geocode_query){.location = "On or near High Street",
                                         .lsoa_code = "E01000001",
                                         .lsoa_name = "Canterbury 001A"}),
                  HS_GEOCODE_STREET_TOO_FAR, "street not found near the area");
    assert_failed(run((hs_geocode_query){.location = "Nowhere Lane"}), HS_GEOCODE_STREET_NOT_FOUND,
                  "street not found");
}

/* ---- step 4: snap point of another LSOA -------------------------------------------------------
 */

static void test_snap_point_of_a_neighbouring_lsoa(void **state)
{
    (void)state;
    hs_geocode_query q = {.location = "On or near Nightclub", .lsoa_code = "E01000001"};
    assert_placed(run(q), HS_METHOD_SNAP_POINT, 615200.0006, 157800.0023, 0.6, 10.0, "nightclub");
    /* Parking Area was learnt 714 m from the centre: beyond 500 m. */
    q.location = "On or near Parking Area";
    assert_failed(run(q), HS_GEOCODE_STREET_TOO_FAR, "street not found near the area");
}

/* ---- step 5: fuzzy -----------------------------------------------------------------------------
 */

static void test_fuzzy(void **state)
{
    (void)state;
    hs_geocode_query q = {.location = "On or near Maynerd Road", .lsoa_code = "E01000001"};
    assert_placed(run(q), HS_METHOD_FUZZY, 614800, 157000, 0.9428571429, 141.421356,
                  "maynard road");
    /* A different street type is a different street. */
    q.location = "On or near Maynard Close";
    assert_failed(run(q), HS_GEOCODE_STREET_NOT_FOUND, "street not found");
    /* Fuzzy needs an area: no LSOA centre, no hint. */
    assert_failed(run((hs_geocode_query){.location = "Maynerd Road"}), HS_GEOCODE_STREET_NOT_FOUND,
                  "street not found");
    /* A stricter threshold refuses the same pair. */
    hs_geocode_params p;
    hs_geocode_params_default(&p);
    p.fuzzy_min_score = 0.95;
    hs_geocoder *strict;
    hs_error err;
    assert_int_equal(hs_geocoder_create(GAZ, &p, &strict, &err), HS_OK);
    hs_geocode_result r;
    q.location = "On or near Maynerd Road";
    assert_int_equal(hs_geocode_one(strict, &q, &r, &err), HS_OK);
    assert_failed(r, HS_GEOCODE_STREET_NOT_FOUND, "street not found");
    hs_geocoder_destroy(strict);
}

/* ---- bad or missing text ------------------------------------------------------------------------
 */

static void test_text_failures(void **state)
{
    (void)state;
    assert_failed(run((hs_geocode_query){0}), HS_GEOCODE_NO_LOCATION, "no location");
    assert_failed(run((hs_geocode_query){.location = "No Location"}), HS_GEOCODE_NO_LOCATION,
                  "no location");
    assert_failed(run((hs_geocode_query){.location = "On or near", .lsoa_code = "E01000001"}),
                  HS_GEOCODE_NO_LOCATION, "no location");
    assert_failed(run((hs_geocode_query){.location = "On or near Caf\xff Street"}),
                  HS_GEOCODE_INVALID_TEXT, "location text is not valid UTF-8");
    char longer[300];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_failed(run((hs_geocode_query){.location = longer}), HS_GEOCODE_TEXT_TOO_LONG,
                  "location text too long");
}

/* ---- cache, parameters, threads -----------------------------------------------------------------
 */

static void test_cache_returns_identical_bytes(void **state)
{
    (void)state;
    hs_geocode_params p;
    hs_geocode_params_default(&p);
    p.cache_entries = 0;
    hs_geocoder *plain;
    hs_error err;
    assert_int_equal(hs_geocoder_create(GAZ, &p, &plain, &err), HS_OK);
    p.cache_entries = 3; /* tiny: the 5th query empties it; the 4th is a hit */
    hs_geocoder *small;
    assert_int_equal(hs_geocoder_create(GAZ, &p, &small, &err), HS_OK);
    const hs_geocode_query qs[] = {
        {.location = "On or near Supermarket", .lsoa_code = "E01000001"},
        {.postcode = "CT1 9ZZ"},
        {.location = "Thanet Way"},
        {.location = "On or near Supermarket", .lsoa_code = "E01000001"},
        {.location = "On or near Supermarket", .lsoa_code = "E01000002"},
    };
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
            hs_geocode_result a, b;
            assert_int_equal(hs_geocode_one(plain, &qs[i], &a, &err), HS_OK);
            assert_int_equal(hs_geocode_one(small, &qs[i], &b, &err), HS_OK);
            assert_memory_equal(&a, &b, sizeof a);
        }
    size_t rows, hits;
    hs_geocoder_stats(plain, &rows, &hits);
    assert_int_equal(rows, 10);
    assert_int_equal(hits, 0);
    /* Capacity 3, queries 0 1 2 0' 4 twice: only the first repeat of query 0 finds it
     * (4 empties the cache; in the second pass 2 empties it before 0' comes again). */
    hs_geocoder_stats(small, &rows, &hits);
    assert_int_equal(rows, 10);
    assert_int_equal(hits, 1);
    hs_geocoder_destroy(small);
    hs_geocoder_destroy(plain);
}

static void test_create_rejects_bad_arguments(void **state)
{
    (void)state;
    hs_geocode_params p;
    hs_geocoder *g = (hs_geocoder *)&g;
    hs_error err;
    hs_geocode_params_default(&p);
    p.hint_radius_m = 0;
    assert_int_equal(hs_geocoder_create(GAZ, &p, &g, &err), HS_EINVAL);
    assert_null(g);
    hs_geocode_params_default(&p);
    p.fuzzy_min_score = 1.5;
    assert_int_equal(hs_geocoder_create(GAZ, &p, &g, &err), HS_EINVAL);
    assert_int_equal(hs_geocoder_create(FIX "not_a_gazetteer.sqlite", NULL, &g, &err), HS_EDATA);
    assert_non_null(strstr(err.what, "not an SQLite database"));
    hs_geocoder_destroy(NULL);
}

#define HS_TEST_ROWS 600

static const hs_geocode_query thread_queries[] = {
    {.location = "On or near Supermarket", .lsoa_code = "E01000001"},
    {.location = "On or near Nightclub", .lsoa_code = "E01000001"},
    {.location = "On or near Maynerd Road", .lsoa_code = "E01000001"},
    {.location = "High Street", .locality = "Herne Bay"},
    {.location = "High Street"},
    {.postcode = "CT10 1AA"},
    {.address = "12 High Street, Canterbury CT1 2JE"},
    {.location = "No Location"},
    {.location = "Thanet Way"},
    {.postcode = "bad"},
};
#define HS_NQ (sizeof thread_queries / sizeof thread_queries[0])

/* Geocode HS_TEST_ROWS rows (the queries in turn) with one geocoder per thread. */
static void geocode_rows(int threads, hs_geocode_result *out)
{
    int failed = 0;
    omp_set_num_threads(threads);
#pragma omp parallel default(none) shared(out, thread_queries, failed)
    {
        hs_geocoder *g = NULL;
        hs_error err;
        if (hs_geocoder_create(GAZ, NULL, &g, &err) != HS_OK) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 7)
        for (size_t i = 0; i < HS_TEST_ROWS; i++) {
            if (g == NULL || hs_geocode_one(g, &thread_queries[i % HS_NQ], &out[i], &err))
#pragma omp atomic write
                failed = 1;
        }
        hs_geocoder_destroy(g);
    }
    assert_int_equal(failed, 0);
}

static void test_same_bytes_at_any_thread_count(void **state)
{
    (void)state;
    hs_geocode_result *one = malloc(HS_TEST_ROWS * sizeof *one);
    hs_geocode_result *many = malloc(HS_TEST_ROWS * sizeof *many);
    assert_true(one && many);
    geocode_rows(1, one);
    assert_int_equal(one[0].method, HS_METHOD_SNAP_POINT);
    assert_int_equal(one[HS_NQ - 1].reason, HS_GEOCODE_INVALID_POSTCODE);
    const int counts[] = {2, 4};
    for (size_t k = 0; k < 2; k++) {
        memset(many, 0xA5, HS_TEST_ROWS * sizeof *many);
        geocode_rows(counts[k], many);
        assert_memory_equal(one, many, HS_TEST_ROWS * sizeof *one);
    }
    free(many);
    free(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snap_point_of_the_lsoa),
        cmocka_unit_test(test_postcodes),
        cmocka_unit_test(test_postcode_failures),
        cmocka_unit_test(test_streets_and_places),
        cmocka_unit_test(test_disambiguation),
        cmocka_unit_test(test_street_failures),
        cmocka_unit_test(test_snap_point_of_a_neighbouring_lsoa),
        cmocka_unit_test(test_fuzzy),
        cmocka_unit_test(test_text_failures),
        cmocka_unit_test(test_cache_returns_identical_bytes),
        cmocka_unit_test(test_create_rejects_bad_arguments),
        cmocka_unit_test(test_same_bytes_at_any_thread_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

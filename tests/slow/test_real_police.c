/* test_real_police.c - the real police.uk files (Kent, Jan-Mar 2024) through the same stages
 * as the job: every row accounted for, and the Canterbury rows in the 21 real wards with the
 * per-ward counts the data's README states (computed there independently). */
#include "engine/aggregate.h"
#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/place.h"
#include "geo/wards.h"

#include <gdal.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#define POLICE HS_SHARED_DATA_DIR "/police-uk-kent-street-2024q1/"
#define WARDS HS_SHARED_DATA_DIR "/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg"

static void test_every_row_accounted(void **state)
{
    (void)state;
    GDALAllRegister();
    static const char *const files[] = {POLICE "2024-01-kent-street.csv",
                                        POLICE "2024-02-kent-street.csv",
                                        POLICE "2024-03-kent-street.csv"};
    /* From the data's README: data rows and "No Location" rows per file. */
    static const size_t rows[] = {14466, 13953, 15875};
    static const size_t no_location[] = {136, 110, 162};
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_error err;
    for (size_t f = 0; f < 3; f++) {
        hs_ingest_stats st;
        hs_status s = hs_ingest_file(&t, files[f], NULL, &st, &err);
        if (s != HS_OK)
            fail_msg("%s: %s", err.file, err.what);
        assert_int_equal(st.rows, rows[f]);
        assert_int_equal(st.malformed, 0);
    }
    assert_int_equal(t.n, 14466 + 13953 + 15875);

    hs_place_stats ps;
    assert_int_equal(hs_place_by_coordinates(&t, "EPSG:27700", &ps, &err), HS_OK);
    size_t nloc[3] = {0};
    for (size_t i = 0; i < t.n; i++) {
        if (t.state[i] == HS_ROW_PENDING) {
            /* Only the "No Location" rows have no coordinates in these files. */
            assert_string_equal(hs_incidents_str(&t, t.location, i), "No Location");
            nloc[t.source[i]]++;
            assert_int_equal(hs_incidents_fail(&t, i, "no location"), HS_OK);
        }
    }
    assert_memory_equal(nloc, no_location, sizeof nloc);
    /* The force's file holds a few rows from outside Kent (longitude down to -1.0): still
     * inside the CRS's area, so placed; none rejected. */
    assert_int_equal(ps.rejected, 0);

    hs_wards w;
    hs_wards_params wp = {.layer = "wards", .code_field = "WD20CD", .name_field = "WD20NM",
                          .crs = "EPSG:27700"};
    if (hs_wards_read(WARDS, &wp, &w, &err) != HS_OK)
        fail_msg("%s", err.what);
    assert_int_equal(w.n, 21);
    /* Heron self-intersects as published: repaired and reported. */
    assert_int_equal(w.nrepaired, 1);
    assert_non_null(strstr(w.repaired, "E05010399"));
    assert_int_equal(hs_wards_assign(&w, t.x, t.y, t.n, t.ward, &err), HS_OK);

    size_t placed = 0, failed = 0, outside = 0, canterbury = 0, canterbury_in = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.state[i] == HS_ROW_PLACED && t.ward[i] < 0)
            t.state[i] = HS_ROW_OUTSIDE;
        placed += t.state[i] == HS_ROW_PLACED;
        failed += t.state[i] == HS_ROW_FAILED;
        outside += t.state[i] == HS_ROW_OUTSIDE;
        if (t.state[i] == HS_ROW_FAILED)
            assert_true(hs_incidents_str(&t, t.reason, i)[0] != '\0');
        if (strncmp(hs_incidents_str(&t, t.lsoa_name, i), "Canterbury ", 11) == 0) {
            canterbury++;
            canterbury_in += t.ward[i] >= 0;
        }
    }
    assert_int_equal(placed + failed + outside, t.n);
    assert_int_equal(failed, 136 + 110 + 162);
    /* README: 3,861 rows in Canterbury LSOAs, 100% inside the ward polygons. */
    assert_int_equal(canterbury, 1264 + 1269 + 1328);
    assert_int_equal(canterbury_in, canterbury);
    /* ... and 0-1 rows a month from other districts fall inside them. */
    assert_in_range(placed - canterbury, 0, 3);

    /* README: Jan 2024 Canterbury-LSOA rows per ward: Westgate 260, Barton 187, Heron 120,
     * Northgate 119, Tankerton 12. */
    int32_t *jan = malloc(t.n * sizeof *jan);
    assert_non_null(jan);
    for (size_t i = 0; i < t.n; i++)
        jan[i] = (t.source[i] == 0 &&
                  strncmp(hs_incidents_str(&t, t.lsoa_name, i), "Canterbury ", 11) == 0)
                     ? t.ward[i]
                     : -1;
    int64_t counts[21];
    assert_int_equal(hs_aggregate_wards(jan, NULL, t.n, w.n, 0, counts, &err), HS_OK);
    static const struct {
        const char *name;
        int64_t n;
    } expect[] = {{"Westgate", 260}, {"Barton", 187}, {"Heron", 120}, {"Northgate", 119},
                  {"Tankerton", 12}};
    for (size_t e = 0; e < 5; e++) {
        size_t k = 0;
        while (k < w.n && strcmp(w.name[k], expect[e].name) != 0)
            k++;
        assert_true(k < w.n);
        if (counts[k] != expect[e].n)
            fail_msg("%s: %lld, README says %lld", expect[e].name, (long long)counts[k],
                     (long long)expect[e].n);
    }
    free(jan);
    hs_wards_free(&w);
    hs_incidents_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_accounted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_job.c - the job file: every documented key parsed, defaults, relative paths, and
 * each kind of bad value rejected with file, line and key in the message. */
#include "cli/job.h"
#include "tests/test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const char *write_job(const char *name, const char *text, char *path, size_t n)
{
    hs_test_tmp(name, path, n);
    assert_int_equal(hs_test_write(path, text, strlen(text)), 0);
    return path;
}

static const char *const full_job =
    "[job]\n"
    "name = canterbury-nightly\n"
    "output = out/canterbury/hotspots.gpkg   ; written atomically\n"
    "crs = EPSG:27700\n"
    "min_hit_rate = 0.9\n"
    "store = state/canterbury.sqlite\n"
    "window_months = 12\n"
    "[incidents]\n"
    "path = incidents/*.csv\n"
    "[incidents.council]\n"
    "path = /data/council.csv\n"
    "id = Reference\n"
    "date = Date Reported\n"
    "category = Category\n"
    "address = Address\n"
    "postcode = Postcode\n"
    "x = Easting\n"
    "y = Northing\n"
    "source_crs = EPSG:27700\n"
    "lsoa = LSOA\n"
    "layer = reports\n"
    "[gazetteer]\n"
    "path = gazetteer.sqlite\n"
    "[wards]\n"
    "path = wards.gpkg\n"
    "layer = wards\n"
    "code = WD22CD\n"
    "name = WD22NM\n"
    "population = POP\n"
    "[group.asb]\n"
    "categories = Anti-social behaviour\n"
    "[group.violence]\n"
    "categories = Violence and sexual offences; Possession of weapons; Robbery; Public order\n"
    "[kde]\n"
    "radius = auto\n"
    "cell = 10\n"
    "kernel = Epanechnikov\n"
    "scale = raw\n"
    "edge_correction = yes\n"
    "mask = no\n"
    "hot_threshold = top:5\n"
    "[gistar]\n"
    "weights = knn:8\n"
    "grid_cell = 50\n"
    "grid_band = auto\n"
    "permutations = 9999\n"
    "seed = 42\n"
    "fdr = no\n"
    "alpha = 0.01\n"
    "[patrol]\n"
    "areas = 5\n"
    "max_area_km2 = 0.5\n"
    "cell = 25\n";

static void test_every_key_parsed(void **state)
{
    (void)state;
    char path[512];
    write_job("full.ini", full_job, path, sizeof path);
    hs_job job;
    hs_error err;
    hs_status st = hs_job_load(path, NULL, &job, &err);
    if (st != HS_OK)
        fail_msg("%s line %ld: %s", err.file, err.line, err.what);
    assert_string_equal(job.name, "canterbury-nightly");
    assert_non_null(strstr(job.output, HS_TEST_TMP_DIR "/out/canterbury/hotspots.gpkg"));
    assert_float_equal(job.min_hit_rate, 0.9, 0);
    assert_non_null(strstr(job.store, "/state/canterbury.sqlite"));
    assert_int_equal(job.window_months, 12);
    assert_int_equal(job.nsources, 2);
    assert_string_equal(job.sources[0].name, "");
    assert_non_null(strstr(job.sources[0].path, "/incidents/*.csv"));
    assert_string_equal(job.sources[1].name, "council");
    assert_string_equal(job.sources[1].path, "/data/council.csv");
    assert_string_equal(job.sources[1].date, "Date Reported");
    assert_string_equal(job.sources[1].x, "Easting");
    assert_string_equal(job.sources[1].source_crs, "EPSG:27700");
    assert_string_equal(job.sources[1].lsoa, "LSOA");
    assert_string_equal(job.sources[1].layer, "reports");
    assert_non_null(strstr(job.gazetteer, "/gazetteer.sqlite"));
    assert_string_equal(job.wards_code, "WD22CD");
    assert_string_equal(job.wards_population, "POP");
    assert_int_equal(job.ngroups, 2);
    assert_string_equal(job.groups[1].name, "violence");
    assert_int_equal(job.groups[1].ncategories, 4);
    assert_string_equal(job.groups[1].categories[3], "Public order");
    assert_float_equal(job.kde_radius_m, 0.0, 0); /* auto */
    assert_float_equal(job.kde_cell_m, 10.0, 0);
    assert_string_equal(job.kde_kernel, "epanechnikov");
    assert_string_equal(job.kde_scale, "raw");
    assert_int_equal(job.kde_edge_correction, 1);
    assert_int_equal(job.kde_mask, 0);
    assert_string_equal(job.kde_hot_threshold, "top:5");
    assert_string_equal(job.gistar_weights, "knn:8");
    assert_float_equal(job.grid_band_m, 0.0, 0);
    assert_int_equal(job.permutations, 9999);
    assert_int_equal(job.seed, 42);
    assert_int_equal(job.fdr, 0);
    assert_float_equal(job.alpha, 0.01, 0);
    assert_int_equal(job.patrol_areas, 5);
    assert_float_equal(job.patrol_max_area_km2, 0.5, 0);
    assert_float_equal(job.patrol_cell_m, 25, 0);
}

static void test_defaults(void **state)
{
    (void)state;
    char path[512];
    write_job("minimal.ini", "[incidents]\npath = a.csv\n[wards]\npath = w.gpkg\ncode = C\n", path,
              sizeof path);
    hs_job job;
    hs_error err;
    assert_int_equal(hs_job_load(path, NULL, &job, &err), HS_OK);
    /* name from the file name; output and store from the name. */
    char expect[64];
    snprintf(expect, sizeof expect, "%ld-minimal", (long)getpid());
    assert_string_equal(job.name, expect);
    assert_non_null(strstr(job.output, "/out/"));
    assert_non_null(strstr(job.store, "hotspots.gpkg.store.sqlite"));
    assert_string_equal(job.crs, "EPSG:27700");
    assert_float_equal(job.min_hit_rate, 0.85, 0);
    assert_float_equal(job.kde_radius_m, 250, 0);
    assert_float_equal(job.kde_cell_m, 25, 0);
    assert_string_equal(job.kde_kernel, "quartic");
    assert_string_equal(job.gistar_weights, "queen");
    assert_float_equal(job.grid_cell_m, 100, 0);
    assert_float_equal(job.grid_band_m, 300, 0);
    assert_int_equal(job.permutations, 999);
    assert_int_equal(job.seed, 1);
    assert_int_equal(job.fdr, 1);
    assert_float_equal(job.alpha, 0.05, 0);
    assert_int_equal(job.patrol_areas, 10);
    assert_float_equal(job.patrol_max_area_km2, 0.25, 0);
    assert_int_equal(job.ngroups, 0);
}

/* Each bad job: the expected line and a fragment of the message. */
typedef struct bad_case {
    const char *text;  /* the job */
    long line;         /* expected line (0 = whole file) */
    const char *want;  /* fragment of the message */
} bad_case;

static const char *const base = "[incidents]\npath = a.csv\n[wards]\npath = w.gpkg\ncode = C\n";

static void test_bad_values_name_file_line_key(void **state)
{
    (void)state;
    const bad_case cases[] = {
        {"[kde]\nradus = 200\n", 7, "unknown key 'radus' (did you mean 'radius'?)"},
        {"[gistr]\nfdr = yes\n", 7, "unknown section [gistr] (did you mean [gistar]?)"},
        {"[kde]\nradius = -5\n", 7, "radius: -5 is outside"},
        {"[kde]\nradius = wide\n", 7, "'wide' is not a number or auto"},
        {"[kde]\ncell = 0\n", 7, "cell: 0 is outside"},
        {"[kde]\nkernel = cosine\n", 7, "'cosine' is not one of quartic|"},
        {"[gistar]\nfdr = maybe\n", 7, "fdr: 'maybe' is not yes or no"},
        {"[gistar]\npermutations = 2.5\n", 7, "not a whole number"},
        {"[gistar]\npermutations = 100000\n", 7, "outside 0..99999"},
        {"[gistar]\nweights = hexagon\n", 7, "not queen, rook, distance:METRES or knn:K"},
        {"[gistar]\nweights = distance:-3\n", 7, "not queen, rook"},
        {"[kde]\nhot_threshold = top:200\n", 7, "top:P"},
        {"[job]\nmin_hit_rate = 1.5\n", 7, "min_hit_rate: 1.5 is outside 0..1"},
        {"[group.]\ncategories = Drugs\n", 7, "a group needs a name"},
        {"[group.asb]\ncategories = |\n", 7, "no categories given"},
        {"[group.asb]\ncategories = ;\n", 7, "a value is required"},
        {"[kde.x]\nradius = 3\n", 7, "[kde] takes no name"},
        {"this is not ini\n", 6, "not valid INI syntax"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024], path[512];
        snprintf(text, sizeof text, "%s%s", base, cases[i].text);
        write_job("bad.ini", text, path, sizeof path);
        hs_job job;
        hs_error err;
        hs_error_clear(&err);
        hs_status st = hs_job_load(path, NULL, &job, &err);
        if (st != HS_EINVAL || strstr(err.what, cases[i].want) == NULL ||
            err.line != cases[i].line || strcmp(err.file, path) != 0)
            fail_msg("case %zu: status %d, line %ld, message '%s' (wanted line %ld, '%s')", i,
                     st, err.line, err.what, cases[i].line, cases[i].want);
    }
}

static void test_missing_required_and_long_lines(void **state)
{
    (void)state;
    char path[512];
    hs_job job;
    hs_error err;
    write_job("nowards.ini", "[incidents]\npath = a.csv\n", path, sizeof path);
    assert_int_equal(hs_job_load(path, NULL, &job, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "[wards] path is required"));
    write_job("noinc.ini", "[wards]\npath = w.gpkg\ncode = C\n", path, sizeof path);
    assert_int_equal(hs_job_load(path, NULL, &job, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "no [incidents] section"));
    char text[600];
    snprintf(text, sizeof text, "%s[job]\nname = %0250d\n", base, 7);
    write_job("long.ini", text, path, sizeof path);
    assert_int_equal(hs_job_load(path, NULL, &job, &err), HS_EINVAL);
    assert_int_equal(err.line, 7);
    assert_non_null(strstr(err.what, "longer than 199"));
    assert_int_equal(hs_job_load("/nonexistent/job.ini", NULL, &job, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "cannot open"));
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(hs_edit_distance("radius", "radus"), 1);
    assert_int_equal(hs_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(hs_edit_distance("", "abc"), 3);
    assert_int_equal(hs_edit_distance("GISTAR", "gistar"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key_parsed),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad_values_name_file_line_key),
        cmocka_unit_test(test_missing_required_and_long_lines),
        cmocka_unit_test(test_edit_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

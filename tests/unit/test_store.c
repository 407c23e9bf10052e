/* test_store.c - the job's state store.
 *
 * Hand-made tables: rerunning a merge over the same rows adds nothing and hands back the
 * stored results; identical ASB rows stay separate incidents; a reused Crime ID stays two
 * incidents; corrected rows and (on request) failed rows are geocoded again; vanished rows
 * are removed only on request; the geocode cache hits and misses; rollback, a killed run
 * and a cancel request leave the previous contents; wrong files are refused untouched; the
 * rolling window; ward and cell counts worked by hand.
 * Real police.uk data (Kent, Jan-Feb 2024): duplicate counts checked against an independent
 * Python count of the files (below); an incremental run (January, then January + February)
 * gives the same analysis input as a fresh run over both; the monthly ward and cell counts
 * equal the engine's hs_aggregate_wards / hs_aggregate_grid over the same rows, and the
 * January total matches the data README (1,264 Canterbury-LSOA rows, 0-1 from elsewhere).
 */
#include "engine/aggregate.h"
#include "engine/grid.h"
#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/place.h"
#include "geo/store.h"
#include "geo/wards.h"
#include "tests/test_support.h"

#include <gdal.h>
#include <math.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs setjmp.h, stdarg.h and stddef.h first. */
#include <cmocka.h>

#define POLICE(m) HS_SHARED_DATA_DIR "/police-uk-kent-street-2024q1/2024-0" m "-kent-street.csv"
#define WARDS_GPKG                                                                                 \
    HS_SHARED_DATA_DIR "/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg"

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct row_spec {
    const char *id;       /* Crime ID, "" for ASB */
    const char *month;    /* YYYY-MM */
    const char *category; /* crime type */
    const char *location; /* "On or near ..." or "No Location" */
    double lon, lat;      /* given coordinates */
} row_spec;

/* Append rows as one source file at path (rows numbered from 1, lines from 2). */
static void fill(hs_incidents *t, const char *path, const row_spec *rows, size_t n)
{
    uint32_t src;
    assert_int_equal(hs_incidents_add_source(t, path, "EPSG:4326", "police.uk", &src), HS_OK);
    for (size_t k = 0; k < n; k++) {
        size_t i;
        assert_int_equal(hs_incidents_append(t, src, (int64_t)k + 1, (int64_t)k + 2, &i), HS_OK);
        const row_spec *r = &rows[k];
        hs_incidents_set_str(t, t->id, i, r->id, strlen(r->id));
        hs_incidents_set_str(t, t->month, i, r->month, strlen(r->month));
        hs_incidents_set_str(t, t->category, i, r->category, strlen(r->category));
        hs_incidents_set_str(t, t->location, i, r->location, strlen(r->location));
        t->in_x[i] = r->lon;
        t->in_y[i] = r->lat;
    }
}

/* Initialise t with the rows of one file. */
static void table_of(hs_incidents *t, const char *path, const row_spec *rows, size_t n)
{
    assert_int_equal(hs_incidents_init(t), HS_OK);
    fill(t, path, rows, n);
}

/* A stand-in geocoder: places every PENDING row at a point made from its text, fails
 * "No Location". Returns how many rows it had to geocode. */
static size_t fake_geocode(hs_incidents *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] != HS_ROW_PENDING)
            continue;
        n++;
        const char *loc = hs_incidents_str(t, t->location, i);
        if (strcmp(loc, "No Location") == 0) {
            assert_int_equal(hs_incidents_fail(t, i, "no location"), HS_OK);
            continue;
        }
        t->state[i] = HS_ROW_PLACED;
        t->method[i] = HS_METHOD_STREET;
        t->x[i] = 600000.0 + 10.0 * (double)strlen(loc) + 0.25;
        t->y[i] = 150000.0 + (double)t->source_row[i];
        t->score[i] = 0.9f;
        t->precision_m[i] = 50.0f;
    }
    return n;
}

static void remove_store(const char *path)
{
    char aux[4400];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

static hs_store *open_new(const char *name, char *path, size_t n)
{
    hs_test_tmp(name, path, n);
    remove_store(path);
    hs_store *s = NULL;
    hs_error err;
    hs_status st = hs_store_open(path, "EPSG:27700", &s, &err);
    if (st != HS_OK)
        fail_msg("%s: %s", err.file, err.what);
    return s;
}

static hs_store *reopen(const char *path)
{
    hs_store *s = NULL;
    hs_error err;
    hs_status st = hs_store_open(path, "EPSG:27700", &s, &err);
    if (st != HS_OK)
        fail_msg("%s: %s", err.file, err.what);
    return s;
}

/* One integer from SQL on a separate read-only connection (what an analyst would see). */
static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    long long v = -1;
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* Merge, geocode what is pending, save, commit: one complete small run. */
static void run_once(hs_store *s, hs_incidents *t, unsigned flags, hs_store_merge_stats *m,
                     size_t *geocoded)
{
    hs_error err;
    if (hs_store_begin(s, NULL, &err) != HS_OK)
        fail_msg("%s", err.what);
    if (hs_store_merge_incidents(s, t, flags, m, &err) != HS_OK)
        fail_msg("%s", err.what);
    size_t g = fake_geocode(t);
    if (geocoded)
        *geocoded = g;
    if (hs_store_save_results(s, t, &err) != HS_OK)
        fail_msg("%s", err.what);
    if (hs_store_commit(s, NULL, &err) != HS_OK)
        fail_msg("%s", err.what);
}

static const row_spec january[] = {
    {"c1", "2024-01", "Burglary", "On or near High Street", 1.08, 51.28},
    {"c2", "2024-01", "Robbery", "On or near Station Road", 1.09, 51.27},
    {"", "2024-01", "Anti-social behaviour", "On or near Parking Area", 1.07, 51.29},
    {"", "2024-01", "Anti-social behaviour", "On or near Parking Area", 1.07, 51.29},
    {"", "2024-01", "Anti-social behaviour", "On or near Supermarket", 1.06, 51.28},
    {"c3", "2024-01", "Other crime", "No Location", NAN, NAN},
};
#define N_JANUARY (sizeof january / sizeof january[0])

/* ---- incidents ----------------------------------------------------------------------- */

static void test_rerun_adds_nothing(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("rerun.sqlite", path, sizeof path);
    hs_incidents t1, t2;
    table_of(&t1, "in/2024-01-kent-street.csv", january, N_JANUARY);
    table_of(&t2, "elsewhere/2024-01-kent-street.csv", january, N_JANUARY);
    hs_store_merge_stats m;
    size_t geocoded;
    run_once(s, &t1, 0, &m, &geocoded);
    assert_int_equal(m.new_rows, 6);
    assert_int_equal(m.known_rows, 0);
    assert_int_equal(geocoded, 6);

    /* The same file again (from another folder: the key is the file name). */
    run_once(s, &t2, 0, &m, &geocoded);
    assert_int_equal(m.rows, 6);
    assert_int_equal(m.new_rows, 0);
    assert_int_equal(m.known_rows, 6);
    assert_int_equal(m.changed_rows, 0);
    assert_int_equal(geocoded, 0); /* nothing left to geocode */
    for (size_t i = 0; i < t1.n; i++) {
        assert_int_equal(t2.state[i], t1.state[i]);
        assert_int_equal(t2.method[i], t1.method[i]);
        assert_memory_equal(&t2.x[i], &t1.x[i], sizeof(double));
        assert_memory_equal(&t2.y[i], &t1.y[i], sizeof(double));
        assert_memory_equal(&t2.score[i], &t1.score[i], sizeof(float));
        assert_string_equal(hs_incidents_str(&t2, t2.reason, i),
                            hs_incidents_str(&t1, t1.reason, i));
    }
    assert_int_equal(t2.state[5], HS_ROW_FAILED);
    assert_string_equal(hs_incidents_str(&t2, t2.reason, 5), "no location");

    hs_store_summary sum;
    hs_error err;
    assert_int_equal(hs_store_summarize(s, &sum, &err), HS_OK);
    assert_int_equal(sum.incidents, 6);
    assert_int_equal(sum.placed, 5);
    assert_int_equal(sum.runs_ok, 2);
    assert_string_equal(sum.first_month, "2024-01");
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents"), 6);
    assert_int_equal(sql_int(path, "SELECT rows_known FROM runs WHERE id = 2"), 6);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM runs WHERE status = 'ok'"), 2);
    hs_incidents_free(&t1);
    hs_incidents_free(&t2);
    remove_store(path);
}

static void test_identical_asb_rows_are_separate_incidents(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("asb.sqlite", path, sizeof path);
    hs_incidents t;
    table_of(&t, "2024-01-kent-street.csv", january, N_JANUARY);
    hs_store_merge_stats m;
    run_once(s, &t, 0, &m, NULL);
    hs_store_close(s);
    /* Rows 3 and 4 are identical: one content key, occurrences 1 and 2. Row 5 differs. */
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents WHERE key_kind = 1"), 3);
    assert_int_equal(sql_int(path, "SELECT count(DISTINCT key) FROM incidents WHERE key_kind = 1"),
                     2);
    assert_int_equal(sql_int(path, "SELECT max(occurrence) FROM incidents WHERE source_row = 4"),
                     2);
    assert_int_equal(sql_int(path, "SELECT occurrence FROM incidents WHERE source_row = 5"), 1);

    /* As if the wards stage had found row 5 outside the study area. */
    sql_exec(path, "UPDATE incidents SET state = 'outside' WHERE source_row = 5");
    /* A republished file with a third identical copy: exactly one new incident. */
    const row_spec republished[] = {january[0], january[1], january[2], january[3],
                                    january[3], january[4], january[5]};
    hs_incidents t2;
    table_of(&t2, "2024-01-kent-street.csv", republished, 7);
    s = reopen(path);
    run_once(s, &t2, 0, &m, NULL);
    assert_int_equal(m.new_rows, 1);
    /* The inserted row pushed rows 5.. down one place: known, position updated. */
    assert_int_equal(m.known_rows, 6);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents"), 7);
    assert_int_equal(
        sql_int(path, "SELECT source_row FROM incidents WHERE location = 'No Location'"), 7);
    /* A moved row keeps what later stages stored about it. */
    assert_int_equal(sql_int(path, "SELECT source_row FROM incidents WHERE state = 'outside'"), 6);
    hs_incidents_free(&t);
    hs_incidents_free(&t2);
    remove_store(path);
}

/* Kent's January 2024 file reuses Crime ID a25e2f3c... for two different rows (1,353
 * "Parking Area", Canterbury and 3,483 "Freemens Way", Dover). Both are incidents; when the
 * rows swap places their stored results are not handed to the wrong row. */
static void test_reused_crime_id_is_two_incidents(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("reused.sqlite", path, sizeof path);
    const row_spec rows[] = {
        {"a25e2f3c", "2024-01", "Violence and sexual offences", "On or near Parking Area", 1.208896,
         51.323126},
        {"a25e2f3c", "2024-01", "Violence and sexual offences", "On or near Freemens Way", 1.385947,
         51.213378},
    };
    hs_incidents t;
    table_of(&t, "2024-01.csv", rows, 2);
    hs_store_merge_stats m;
    run_once(s, &t, 0, &m, NULL);
    assert_int_equal(m.new_rows, 2);

    const row_spec swapped[] = {rows[1], rows[0]};
    hs_incidents t2;
    table_of(&t2, "2024-01.csv", swapped, 2);
    size_t geocoded;
    run_once(s, &t2, 0, &m, &geocoded);
    assert_int_equal(m.changed_rows, 2); /* key (id, occurrence) now holds other content */
    assert_int_equal(geocoded, 2);
    /* Freemens Way (23 characters) is placed from its own text. */
    assert_true(t2.x[0] == 600000.0 + 230.0 + 0.25);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents"), 2);
    hs_incidents_free(&t);
    hs_incidents_free(&t2);
    remove_store(path);
}

static void test_corrected_row_is_geocoded_again(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("corrected.sqlite", path, sizeof path);
    hs_incidents t, t2;
    table_of(&t, "2024-01.csv", january, 2);
    run_once(s, &t, 0, NULL, NULL);
    row_spec fixed[] = {january[0], january[1]};
    fixed[1].location = "On or near Station Approach";
    table_of(&t2, "2024-01.csv", fixed, 2);
    hs_store_merge_stats m;
    size_t geocoded;
    run_once(s, &t2, 0, &m, &geocoded);
    assert_int_equal(m.known_rows, 1);
    assert_int_equal(m.changed_rows, 1);
    assert_int_equal(geocoded, 1);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents"), 2);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents"
                                   " WHERE location = 'On or near Station Approach'"
                                   " AND x = 600000.0 + 270.25 AND updated_run = 2"),
                     1);
    hs_incidents_free(&t);
    hs_incidents_free(&t2);
    remove_store(path);
}

static void test_retry_failed_only_on_request(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("retry.sqlite", path, sizeof path);
    hs_incidents t;
    table_of(&t, "2024-01.csv", january, N_JANUARY);
    run_once(s, &t, 0, NULL, NULL);
    hs_store_merge_stats m;
    hs_error err;
    for (int pass = 0; pass < 2; pass++) {
        hs_incidents t2;
        table_of(&t2, "2024-01.csv", january, N_JANUARY);
        assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
        unsigned flags = pass ? HS_STORE_RETRY_FAILED : 0;
        assert_int_equal(hs_store_merge_incidents(s, &t2, flags, &m, &err), HS_OK);
        assert_int_equal(m.retried_rows, pass ? 1 : 0);
        assert_int_equal(t2.state[5], pass ? HS_ROW_PENDING : HS_ROW_FAILED);
        assert_int_equal(hs_store_rollback(s, HS_ECANCELLED, &err), HS_OK);
        hs_incidents_free(&t2);
    }
    hs_store_close(s);
    hs_incidents_free(&t);
    remove_store(path);
}

static void test_replace_sources_removes_vanished_rows(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("replace.sqlite", path, sizeof path);
    hs_incidents t;
    table_of(&t, "2024-01.csv", january, N_JANUARY);
    fill(&t, "2024-02.csv", january, 2); /* same rows, other file: other incidents */
    run_once(s, &t, 0, NULL, NULL);
    /* January republished without its two identical ASB rows. */
    const row_spec shorter[] = {january[0], january[1], january[4], january[5]};
    hs_store_merge_stats m;
    for (int pass = 0; pass < 2; pass++) {
        hs_incidents t2;
        table_of(&t2, "2024-01.csv", shorter, 4);
        run_once(s, &t2, pass ? HS_STORE_REPLACE_SOURCES : 0, &m, NULL);
        assert_int_equal(m.new_rows, 0);
        assert_int_equal(m.removed_rows, pass ? 2 : 0);
        hs_incidents_free(&t2);
    }
    hs_store_close(s);
    /* 4 January rows left; February's 2 untouched. */
    assert_int_equal(
        sql_int(path, "SELECT count(*) FROM incidents_named WHERE source = '2024-01.csv'"), 4);
    assert_int_equal(
        sql_int(path, "SELECT count(*) FROM incidents_named WHERE source = '2024-02.csv'"), 2);
    hs_incidents_free(&t);
    remove_store(path);
}

static void test_key_hash_covers_content_not_position(void **state)
{
    (void)state;
    const row_spec rows[] = {january[2], january[3], january[4]};
    hs_incidents t;
    table_of(&t, "a.csv", rows, 3);
    /* Same text, different rows: same hashes. */
    assert_true(hs_store_row_key_hash(&t, 0) == hs_store_row_key_hash(&t, 1));
    assert_true(hs_store_row_content_hash(&t, 0) == hs_store_row_content_hash(&t, 1));
    assert_true(hs_store_row_key_hash(&t, 0) != hs_store_row_key_hash(&t, 2));
    /* The two hashes are independent. */
    assert_true(hs_store_row_key_hash(&t, 0) != hs_store_row_content_hash(&t, 0));
    /* Every hashed field matters: coordinates, weight, month. */
    uint64_t h = hs_store_row_key_hash(&t, 1);
    t.in_x[1] = nextafter(t.in_x[1], 2.0);
    assert_true(hs_store_row_key_hash(&t, 1) != h);
    t.in_x[1] = t.in_x[0];
    t.weight[1] = 2.0;
    assert_true(hs_store_row_key_hash(&t, 1) != h);
    t.weight[1] = 1.0;
    assert_true(hs_store_row_key_hash(&t, 1) == h);
    hs_incidents_set_str(&t, t.month, 1, "2024-02", 7);
    assert_true(hs_store_row_key_hash(&t, 1) != h);
    hs_incidents_free(&t);
}

/* ---- runs ---------------------------------------------------------------------------- */

static void test_rollback_leaves_previous_contents(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("rollback.sqlite", path, sizeof path);
    hs_incidents t;
    table_of(&t, "2024-01.csv", january, 3);
    run_once(s, &t, 0, NULL, NULL);

    hs_incidents t2;
    table_of(&t2, "2024-01.csv", january, N_JANUARY);
    hs_error err;
    int64_t run;
    assert_int_equal(hs_store_begin(s, &run, &err), HS_OK);
    assert_int_equal(run, 2);
    hs_store_merge_stats m;
    assert_int_equal(hs_store_merge_incidents(s, &t2, 0, &m, &err), HS_OK);
    assert_int_equal(m.new_rows, 3);
    fake_geocode(&t2);
    assert_int_equal(hs_store_save_results(s, &t2, &err), HS_OK);
    hs_store_geocode g = {.placed = 1, .x_m = 1, .y_m = 2, .method = HS_METHOD_POSTCODE};
    assert_int_equal(hs_store_cache_put(s, "k", &g, &err), HS_OK);
    assert_int_equal(hs_store_meta_set(s, "gazetteer.sha256", "abc", &err), HS_OK);
    assert_int_equal(hs_store_rollback(s, HS_ECANCELLED, &err), HS_OK);
    assert_int_equal(hs_store_run_id(s), 0);

    hs_store_summary sum;
    assert_int_equal(hs_store_summarize(s, &sum, &err), HS_OK);
    assert_int_equal(sum.incidents, 3);
    assert_int_equal(sum.cache_entries, 0);
    char value[64];
    int found = 1;
    assert_int_equal(hs_store_meta_get(s, "gazetteer.sha256", value, sizeof value, &found, &err),
                     HS_OK);
    assert_int_equal(found, 0);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM runs WHERE id = 2"
                                   " AND status = 'cancelled' AND finished_utc IS NOT NULL"),
                     1);

    /* Closing with an open run rolls back too, and records a failure. */
    s = reopen(path);
    assert_int_equal(hs_store_begin(s, &run, &err), HS_OK);
    assert_int_equal(hs_store_merge_incidents(s, &t2, 0, &m, &err), HS_OK);
    fake_geocode(&t2);
    assert_int_equal(hs_store_save_results(s, &t2, &err), HS_OK);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents"), 3);
    assert_int_equal(sql_int(path, "SELECT status = 'failed' FROM runs WHERE id = 3"), 1);
    hs_incidents_free(&t);
    hs_incidents_free(&t2);
    remove_store(path);
}

/* A run killed mid-transaction (the child _exits without commit, rollback or close): the
 * next open sees the old contents, and the next run marks the dead run 'interrupted'. */
static void test_killed_run_leaves_previous_contents(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("killed.sqlite", path, sizeof path);
    hs_incidents t;
    table_of(&t, "2024-01.csv", january, 2);
    run_once(s, &t, 0, NULL, NULL);
    hs_store_close(s);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hs_store *c = NULL;
        hs_incidents tc;
        table_of(&tc, "2024-01.csv", january, N_JANUARY);
        if (hs_store_open(path, "EPSG:27700", &c, NULL) != HS_OK ||
            hs_store_begin(c, NULL, NULL) != HS_OK ||
            hs_store_merge_incidents(c, &tc, 0, NULL, NULL) != HS_OK)
            _exit(10);
        fake_geocode(&tc);
        if (hs_store_save_results(c, &tc, NULL) != HS_OK)
            _exit(11);
        _exit(0); /* as if killed: no commit, no rollback, no close */
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
    s = reopen(path);
    hs_error err;
    hs_store_summary sum;
    assert_int_equal(hs_store_summarize(s, &sum, &err), HS_OK);
    assert_int_equal(sum.incidents, 2);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_OK);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT status = 'interrupted' FROM runs WHERE id = 2"), 1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents"), 2);
    hs_incidents_free(&t);
    remove_store(path);
}

static int g_polls;
static size_t g_progress_rows;

static int cancel_at_first_poll(void)
{
    return ++g_polls >= 1;
}

static void count_rows(void *user, size_t n)
{
    (void)user;
    g_progress_rows += n;
}

static void test_cancel_hook_and_progress(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("cancel.sqlite", path, sizeof path);
    /* 10,000 rows: 4 distinct rows repeated, so occurrences run up to 2,500. */
    static row_spec many[10000];
    const size_t pick[4] = {0, 1, 2, 4};
    for (size_t k = 0; k < 10000; k++)
        many[k] = january[pick[k % 4]];
    hs_incidents t;
    table_of(&t, "big.csv", many, 10000);
    hs_error err;
    hs_store_hooks h = {.cancelled = NULL, .progress = count_rows};
    hs_store_set_hooks(s, &h);
    g_progress_rows = 0;
    hs_store_merge_stats m;
    run_once(s, &t, 0, &m, NULL);
    assert_int_equal(m.new_rows, 10000);
    /* merge 10,000 + save 10,000 rows reported */
    assert_int_equal(g_progress_rows, 20000);

    hs_incidents t2;
    table_of(&t2, "big2.csv", many, 10000);
    h.cancelled = cancel_at_first_poll;
    hs_store_set_hooks(s, &h);
    g_polls = 0;
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    assert_int_equal(hs_store_merge_incidents(s, &t2, 0, &m, &err), HS_ECANCELLED);
    assert_int_equal(err.code, HS_ECANCELLED);
    assert_int_equal(hs_store_rollback(s, HS_ECANCELLED, &err), HS_OK);
    hs_store_set_hooks(s, NULL);
    hs_store_summary sum;
    assert_int_equal(hs_store_summarize(s, &sum, &err), HS_OK);
    assert_int_equal(sum.incidents, 10000);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT max(occurrence) FROM incidents"), 2500);
    hs_incidents_free(&t);
    hs_incidents_free(&t2);
    remove_store(path);
}

static void test_calls_need_an_open_run(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("norun.sqlite", path, sizeof path);
    hs_incidents t;
    table_of(&t, "a.csv", january, 2);
    hs_error err;
    assert_int_equal(hs_store_merge_incidents(s, &t, 0, NULL, &err), HS_EINVAL);
    assert_non_null(strstr(err.what, "hs_store_begin"));
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_EINVAL);
    assert_int_equal(hs_store_rollback(s, HS_EINTERNAL, &err), HS_OK); /* nothing to undo */
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_EINVAL);
    /* Saving before merging, or a still pending row, is refused. */
    assert_int_equal(hs_store_save_results(s, &t, &err), HS_EINVAL);
    assert_int_equal(hs_store_merge_incidents(s, &t, 0, NULL, &err), HS_OK);
    assert_int_equal(hs_store_save_results(s, &t, &err), HS_EINVAL);
    assert_int_equal(err.row, 1);
    assert_non_null(strstr(err.what, "pending"));
    hs_store_close(s);
    hs_incidents_free(&t);
    remove_store(path);
}

/* ---- cache --------------------------------------------------------------------------- */

static hs_status upper_norm(const char *text, size_t len, char *out, size_t n)
{
    if (len >= n)
        return HS_EINVAL;
    for (size_t k = 0; k < len; k++)
        out[k] = (char)(text[k] >= 'a' && text[k] <= 'z' ? text[k] - 32 : text[k]);
    out[len] = '\0';
    return strstr(text, "bad") ? HS_EDATA : HS_OK;
}

static void test_cache_key(void **state)
{
    (void)state;
    char key[HS_STORE_KEY_SIZE];
    const char *parts[] = {"On or near HIGH Street", "E01024048", NULL, "ct1 2je"};
    /* Verbatim by default: the geocoder may tell case or spacing apart. */
    assert_int_equal(hs_store_cache_key(parts, NULL, 4, key, sizeof key), HS_OK);
    assert_string_equal(key, "On or near HIGH Street\x1f"
                             "E01024048\x1f\x1f"
                             "ct1 2je");
    /* A normaliser for some parts only. */
    const hs_store_normalize_fn norms[] = {upper_norm, NULL, NULL, upper_norm};
    assert_int_equal(hs_store_cache_key(parts, norms, 4, key, sizeof key), HS_OK);
    assert_string_equal(key, "ON OR NEAR HIGH STREET\x1f"
                             "E01024048\x1f\x1f"
                             "CT1 2JE");
    /* A part the normaliser refuses is kept as given. */
    const char *bad[] = {"bad text", "x"};
    const hs_store_normalize_fn both[] = {upper_norm, upper_norm};
    assert_int_equal(hs_store_cache_key(bad, both, 2, key, sizeof key), HS_OK);
    assert_string_equal(key, "bad text\x1fX");
    /* Too long, or a part holding the separator: no key. */
    char tiny[8];
    assert_int_equal(hs_store_cache_key(parts, NULL, 4, tiny, sizeof tiny), HS_EINVAL);
    assert_string_equal(tiny, "");
    const char *sep[] = {"a\x1f", "b"};
    assert_int_equal(hs_store_cache_key(sep, NULL, 2, key, sizeof key), HS_EINVAL);
    assert_string_equal(key, "");
}

static void test_cache_hit_and_miss(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("cache.sqlite", path, sizeof path);
    hs_error err;
    hs_store_geocode g;
    int found = 1;
    assert_int_equal(hs_store_cache_lookup(s,
                                           "high street\x1f"
                                           "e01024048",
                                           &found, &g, &err),
                     HS_OK);
    assert_int_equal(found, 0);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    hs_store_geocode placed = {.placed = 1,
                               .x_m = 614999.5,
                               .y_m = 157801.25,
                               .method = HS_METHOD_SNAP_POINT,
                               .score = 0.75,
                               .precision_m = 20.0};
    hs_store_geocode failed = {.placed = 0, .x_m = NAN, .y_m = NAN, .precision_m = NAN};
    snprintf(failed.reason, sizeof failed.reason, "street not found in the gazetteer");
    assert_int_equal(hs_store_cache_put(s,
                                        "high street\x1f"
                                        "e01024048",
                                        &placed, &err),
                     HS_OK);
    assert_int_equal(hs_store_cache_put(s, "nowhere lane\x1f", &failed, &err), HS_OK);
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_OK);
    hs_store_close(s);

    s = reopen(path);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(hs_store_cache_lookup(s,
                                               "high street\x1f"
                                               "e01024048",
                                               &found, &g, &err),
                         HS_OK);
        assert_int_equal(found, 1);
        assert_int_equal(g.placed, 1);
        assert_true(g.x_m == 614999.5 && g.y_m == 157801.25);
        assert_int_equal(g.method, HS_METHOD_SNAP_POINT);
        assert_true(g.score == 0.75 && g.precision_m == 20.0);
        assert_string_equal(g.reason, "");
    }
    assert_int_equal(hs_store_cache_lookup(s, "nowhere lane\x1f", &found, &g, &err), HS_OK);
    assert_int_equal(found, 1);
    assert_int_equal(g.placed, 0);
    assert_true(isnan(g.x_m) && isnan(g.precision_m));
    assert_int_equal(g.method, HS_METHOD_NONE);
    assert_string_equal(g.reason, "street not found in the gazetteer");
    /* Another LSOA is another key. */
    assert_int_equal(hs_store_cache_lookup(s,
                                           "high street\x1f"
                                           "e01024049",
                                           &found, &g, &err),
                     HS_OK);
    assert_int_equal(found, 0);
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_OK);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT hits FROM geocode_cache WHERE key LIKE 'high%'"), 2);
    assert_int_equal(sql_int(path, "SELECT last_run FROM geocode_cache WHERE key LIKE 'high%'"), 2);
    assert_int_equal(sql_int(path, "SELECT first_run FROM geocode_cache WHERE key LIKE 'high%'"),
                     1);

    s = reopen(path);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    assert_int_equal(hs_store_cache_clear(s, &err), HS_OK);
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_OK);
    assert_int_equal(hs_store_cache_lookup(s, "nowhere lane\x1f", &found, &g, &err), HS_OK);
    assert_int_equal(found, 0);
    hs_store_close(s);
    remove_store(path);
}

/* ---- files that are not stores ------------------------------------------------------- */

static void expect_refused(const char *path, const char *crs, const char *text)
{
    hs_store *s = NULL;
    hs_error err;
    hs_error_clear(&err);
    assert_int_equal(hs_store_open(path, crs, &s, &err), HS_EDATA);
    assert_null(s);
    assert_string_equal(err.file, path);
    if (strstr(err.what, text) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", text, err.what);
}

static void test_wrong_files_are_refused_untouched(void **state)
{
    (void)state;
    char path[4096];
    hs_test_tmp("not-a-store.sqlite", path, sizeof path);
    remove_store(path);
    const char *text = "Crime ID,Month\nabc,2024-01\n";
    assert_int_equal(hs_test_write(path, text, strlen(text)), 0);
    expect_refused(path, "EPSG:27700", "not an SQLite database");
    size_t len;
    unsigned char *after = hs_test_read(path, &len);
    assert_non_null(after);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(after, text, len);
    free(after);
    remove_store(path);

    /* A real GeoPackage (read-only shared data). */
    expect_refused(WARDS_GPKG, "EPSG:27700", "GeoPackage");

    /* Another program's SQLite database. */
    sql_exec(path, "CREATE TABLE notes (t TEXT)");
    expect_refused(path, "EPSG:27700", "another program");
    assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master"), 1);
    remove_store(path);
    sql_exec(path, "PRAGMA application_id = 1234");
    expect_refused(path, "EPSG:27700", "application_id 0x000004D2");
    remove_store(path);

    /* A store of another schema version, and one made for another CRS. */
    hs_store *s = NULL;
    hs_error err;
    assert_int_equal(hs_store_open(path, "EPSG:27700", &s, &err), HS_OK);
    hs_store_close(s);
    expect_refused(path, "EPSG:3857",
                   "holds positions in EPSG:27700 but the job's CRS is EPSG:3857");
    assert_int_equal(hs_store_open(path, NULL, &s, &err), HS_OK); /* no check asked */
    hs_store_close(s);
    sql_exec(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    expect_refused(path, "EPSG:27700", "store schema version 99, this hotspot reads version 1");
    remove_store(path);

    /* An empty file becomes a store, in folders that did not exist. */
    char nested[4200];
    snprintf(nested, sizeof nested, "%s.d/sub/job.store.sqlite", path);
    assert_int_equal(hs_store_open(nested, "EPSG:27700", &s, &err), HS_OK);
    hs_store_close(s);
    assert_int_equal(sql_int(nested, "PRAGMA application_id"), HS_STORE_APPLICATION_ID);
    assert_int_equal(
        sql_int(nested, "SELECT count(*) FROM pragma_journal_mode() WHERE journal_mode = 'wal'"),
        1);
    remove_store(nested);
    assert_int_equal(hs_test_write(path, "", 0), 0);
    assert_int_equal(hs_store_open(path, "EPSG:27700", &s, &err), HS_OK);
    hs_store_close(s);
    remove_store(path);
}

/* ---- window, load, units, aggregates -------------------------------------------------- */

static void test_window_months(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("window.sqlite", path, sizeof path);
    const row_spec rows[] = {
        {"a", "2023-11", "Burglary", "On or near A", 1, 51},
        {"b", "2023-12", "Burglary", "x", 1, 51},
        {"c", "2024-01", "Burglary", "On or near C", 1, 51},
        {"d", "2024-02", "Burglary", "y", 1, 51},
        {"e", "2024-03", "Burglary", "On or near E", 1, 51},
        {"f", "", "Burglary", "z", 1, 51},
        {"g", "2024-13", "Burglary", "On or near G", 1, 51},
    };
    hs_incidents t;
    table_of(&t, "w.csv", rows, 7);
    run_once(s, &t, 0, NULL, NULL);
    hs_error err;
    char min[HS_STORE_MONTH_SIZE];
    /* Latest valid month 2024-03 ("2024-13" is not a month). */
    assert_int_equal(hs_store_window(s, 3, min, &err), HS_OK);
    assert_string_equal(min, "2024-01");
    assert_int_equal(hs_store_window(s, 1, min, &err), HS_OK);
    assert_string_equal(min, "2024-03");
    assert_int_equal(hs_store_window(s, 5, min, &err), HS_OK);
    assert_string_equal(min, "2023-11");
    assert_int_equal(hs_store_window(s, 12, min, &err), HS_OK);
    assert_string_equal(min, "2023-04");
    assert_int_equal(hs_store_window(s, 0, min, &err), HS_OK);
    assert_string_equal(min, "");

    /* Load the 3-month window: 2024-01..03 plus the undated "" and "2024-13" rows. */
    hs_incidents in;
    hs_incidents_init(&in);
    assert_int_equal(hs_store_load_incidents(s, "2024-01", &in, &err), HS_OK);
    assert_int_equal(in.n, 5);
    const char *ids[] = {"c", "d", "e", "f", "g"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(hs_incidents_str(&in, in.id, i), ids[i]);
    assert_int_equal(in.nsources, 1);
    assert_string_equal(in.sources[0].name, "w.csv");
    assert_int_equal(in.sources[0].rows, 5);
    assert_int_equal(in.source_row[0], 3);
    hs_incidents_free(&in);
    hs_incidents_init(&in);
    assert_int_equal(hs_store_load_incidents(s, NULL, &in, &err), HS_OK);
    assert_int_equal(in.n, 7);
    hs_incidents_free(&in);
    hs_store_close(s);
    hs_incidents_free(&t);
    remove_store(path);

    /* Across a year end: latest 2024-02, 3 months -> 2023-12. */
    s = open_new("window2.sqlite", path, sizeof path);
    table_of(&t, "w.csv", rows, 4);
    run_once(s, &t, 0, NULL, NULL);
    assert_int_equal(hs_store_window(s, 3, min, &err), HS_OK);
    assert_string_equal(min, "2023-12");
    hs_store_close(s);
    hs_incidents_free(&t);
    remove_store(path);
}

/* Hand-worked: five rows in two months, two wards, two groups, 100 m cells.
 *   row  month    state    ward  groups  x, y              cell (ix, iy)
 *   1    2024-01  placed   W1    asb     150.0, 250.0      (1, 2)
 *   2    2024-01  placed   W1    viol    199.9, 299.9      (1, 2)
 *   3    2024-02  placed   W2    asb     -50.0, 20.0       (-1, 0)
 *   4    2024-01  failed   -     asb     -
 *   5    2024-01  outside  -     viol    900.0, 900.0      not counted (outside)
 * ward_months: 2024-01 W1 all 2, asb 1, viol 1; 2024-02 W2 all 1, asb 1.
 * cell_months: 2024-01 (1,2) all 2, asb 1, viol 1; 2024-02 (-1,0) all 1, asb 1. */
static void test_units_and_aggregates_by_hand(void **state)
{
    (void)state;
    char path[4096];
    hs_store *s = open_new("agg.sqlite", path, sizeof path);
    const row_spec rows[] = {
        {"r1", "2024-01", "Anti-social behaviour", "a", 0, 0},
        {"r2", "2024-01", "Violence and sexual offences", "b", 0, 0},
        {"r3", "2024-02", "Anti-social behaviour", "c", 0, 0},
        {"r4", "2024-01", "Anti-social behaviour", "No Location", 0, 0},
        {"r5", "2024-01", "Violence and sexual offences", "e", 0, 0},
    };
    const double xy[5][2] = {{150.0, 250.0}, {199.9, 299.9}, {-50.0, 20.0}, {0, 0}, {900, 900}};
    hs_incidents t;
    table_of(&t, "agg.csv", rows, 5);
    hs_error err;
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    assert_int_equal(hs_store_merge_incidents(s, &t, 0, NULL, &err), HS_OK);
    fake_geocode(&t);
    for (size_t i = 0; i < 5; i++) {
        if (t.state[i] == HS_ROW_PLACED) {
            t.x[i] = xy[i][0];
            t.y[i] = xy[i][1];
        }
    }
    assert_int_equal(hs_store_save_results(s, &t, &err), HS_OK);

    hs_incidents in;
    hs_incidents_init(&in);
    assert_int_equal(hs_store_load_incidents(s, "", &in, &err), HS_OK);
    assert_int_equal(in.n, 5);
    const char *codes[] = {"W1", "W2"};
    const int32_t ward[5] = {0, 0, 1, -1, -1};
    const uint32_t groups[5] = {1, 2, 1, 1, 2};
    for (size_t i = 0; i < 5; i++) {
        in.ward[i] = ward[i];
        in.groups[i] = groups[i];
    }
    in.state[4] = HS_ROW_OUTSIDE;
    assert_int_equal(hs_store_update_units(s, &in, codes, 2, &err), HS_OK);
    const char *names[] = {"asb", "violence"};
    assert_int_equal(hs_store_write_aggregates(s, "", names, 2, 100.0, &err), HS_OK);
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_OK);

    assert_int_equal(sql_int(path, "SELECT count(*) FROM ward_months"), 5);
    assert_int_equal(sql_int(path, "SELECT n FROM ward_months WHERE month = '2024-01'"
                                   " AND ward_code = 'W1' AND group_name = 'all'"),
                     2);
    assert_int_equal(sql_int(path, "SELECT n FROM ward_months WHERE month = '2024-01'"
                                   " AND ward_code = 'W1' AND group_name = 'asb'"),
                     1);
    assert_int_equal(sql_int(path, "SELECT n FROM ward_months WHERE month = '2024-01'"
                                   " AND ward_code = 'W1' AND group_name = 'violence'"),
                     1);
    assert_int_equal(sql_int(path, "SELECT n FROM ward_months WHERE month = '2024-02'"
                                   " AND ward_code = 'W2' AND group_name = 'asb'"),
                     1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM cell_months"), 5);
    assert_int_equal(sql_int(path, "SELECT n FROM cell_months WHERE month = '2024-01'"
                                   " AND ix = 1 AND iy = 2 AND group_name = 'all'"),
                     2);
    assert_int_equal(sql_int(path, "SELECT n FROM cell_months WHERE month = '2024-02'"
                                   " AND ix = -1 AND iy = 0 AND group_name = 'asb'"),
                     1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM incidents WHERE state = 'outside'"), 1);
    /* Row 4 changed only its group bits (failed, no ward): written too. */
    assert_int_equal(sql_int(path, "SELECT groups FROM incidents WHERE source_row = 4"), 1);
    assert_int_equal(
        sql_int(path, "SELECT ward_code = 'W2' AND groups = 1 FROM incidents WHERE source_row = 3"),
        1);

    /* The same wards and groups again: no row is rewritten (updated_run stays 1), and the
     * counts of 2024-02 only are recomputed when the window starts there. */
    hs_store_close(s);
    s = reopen(path);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    hs_incidents in2;
    hs_incidents_init(&in2);
    assert_int_equal(hs_store_load_incidents(s, "", &in2, &err), HS_OK);
    assert_int_equal(in2.state[4], HS_ROW_PLACED); /* outside comes back placed */
    for (size_t i = 0; i < 5; i++) {
        in2.ward[i] = ward[i];
        in2.groups[i] = groups[i];
    }
    in2.state[4] = HS_ROW_OUTSIDE;
    assert_int_equal(hs_store_update_units(s, &in2, codes, 2, &err), HS_OK);
    sql_exec(path, "SELECT 1"); /* a reader alongside the writer is fine (WAL) */
    assert_int_equal(hs_store_write_aggregates(s, "2024-02", names, 2, 100.0, &err), HS_OK);
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_OK);
    hs_store_close(s);
    assert_int_equal(sql_int(path, "SELECT max(updated_run) FROM incidents"), 1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM ward_months WHERE run = 2"), 2);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM ward_months WHERE run = 1"), 3);

    /* A ward index beyond the table is refused. */
    s = reopen(path);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    hs_incidents in3;
    hs_incidents_init(&in3);
    assert_int_equal(hs_store_load_incidents(s, "", &in3, &err), HS_OK);
    in3.ward[0] = 2;
    assert_int_equal(hs_store_update_units(s, &in3, codes, 2, &err), HS_EINVAL);
    hs_store_close(s);
    hs_incidents_free(&t);
    hs_incidents_free(&in);
    hs_incidents_free(&in2);
    hs_incidents_free(&in3);
    remove_store(path);
}

/* ---- real data ----------------------------------------------------------------------- */

/* Ingest files into t. */
static void ingest(hs_incidents *t, const char *const *files, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        hs_error err;
        if (hs_ingest_file(t, files[k], NULL, NULL, &err) != HS_OK)
            fail_msg("%s: %s", err.file, err.what);
    }
}

/* Place pending rows by their coordinates (PROJ); fail the rest, as the CLI's place stage
 * does without a gazetteer. Returns the rows that were pending. */
static size_t place(hs_incidents *t)
{
    size_t pending = 0;
    for (size_t i = 0; i < t->n; i++)
        pending += t->state[i] == HS_ROW_PENDING;
    hs_place_stats ps;
    hs_error err;
    if (hs_place_by_coordinates(t, "EPSG:27700", &ps, &err) != HS_OK)
        fail_msg("%s", err.what);
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] != HS_ROW_PENDING)
            continue;
        const char *loc = hs_incidents_str(t, t->location, i);
        assert_int_equal(hs_incidents_fail(t, i,
                                           strcasecmp(loc, "No Location") == 0 ? "no location"
                                                                               : "no coordinates"),
                         HS_OK);
    }
    return pending;
}

/* One real run: merge the files' rows, place what is new, save, commit. */
static void real_run(hs_store *s, const char *const *files, size_t n, hs_store_merge_stats *m,
                     size_t *placed_now)
{
    hs_incidents t;
    hs_incidents_init(&t);
    ingest(&t, files, n);
    hs_error err;
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    if (hs_store_merge_incidents(s, &t, 0, m, &err) != HS_OK)
        fail_msg("%s", err.what);
    *placed_now = place(&t);
    if (hs_store_save_results(s, &t, &err) != HS_OK)
        fail_msg("%s", err.what);
    hs_incident_counts c;
    hs_incidents_count(&t, &c);
    assert_int_equal(hs_store_commit(s, &c, &err), HS_OK);
    hs_incidents_free(&t);
}

static void assert_same_row(const hs_incidents *a, const hs_incidents *b, size_t i)
{
    const size_t *ca[] = {a->id,        a->month,     a->category, a->location, a->postcode,
                          a->lsoa_code, a->lsoa_name, a->raw,      a->reason};
    const size_t *cb[] = {b->id,        b->month,     b->category, b->location, b->postcode,
                          b->lsoa_code, b->lsoa_name, b->raw,      b->reason};
    for (size_t c = 0; c < sizeof ca / sizeof ca[0]; c++)
        assert_string_equal(hs_incidents_str(a, ca[c], i), hs_incidents_str(b, cb[c], i));
    assert_string_equal(a->sources[a->source[i]].name, b->sources[b->source[i]].name);
    assert_int_equal(a->source_row[i], b->source_row[i]);
    assert_int_equal(a->source_line[i], b->source_line[i]);
    assert_int_equal(a->state[i], b->state[i]);
    assert_int_equal(a->method[i], b->method[i]);
    assert_memory_equal(&a->x[i], &b->x[i], sizeof(double));
    assert_memory_equal(&a->y[i], &b->y[i], sizeof(double));
    assert_memory_equal(&a->in_x[i], &b->in_x[i], sizeof(double));
    assert_memory_equal(&a->in_y[i], &b->in_y[i], sizeof(double));
    assert_memory_equal(&a->score[i], &b->score[i], sizeof(float));
    assert_memory_equal(&a->precision_m[i], &b->precision_m[i], sizeof(float));
}

/* Expected figures from an independent count of the files with Python's csv module:
 *   2024-01: 14,466 rows; 3 Crime IDs used twice; 395 ASB rows repeat an earlier identical row
 *   2024-02: 13,953 rows; no Crime ID reused;     496 ASB rows repeat an earlier identical row
 * so the store holds 28,419 incidents, 894 of them with occurrence > 1. */
static void test_real_incremental_equals_fresh(void **state)
{
    (void)state;
    const char *jan[] = {POLICE("1")};
    const char *both[] = {POLICE("1"), POLICE("2")};
    char pa[4096], pb[4096];
    hs_store_merge_stats m;
    size_t placed_now;

    hs_store *a = open_new("real-incremental.sqlite", pa, sizeof pa);
    real_run(a, jan, 1, &m, &placed_now);
    assert_int_equal(m.new_rows, 14466);
    assert_int_equal(placed_now, 14466);
    real_run(a, both, 2, &m, &placed_now);
    assert_int_equal(m.rows, 14466 + 13953);
    assert_int_equal(m.known_rows, 14466);
    assert_int_equal(m.new_rows, 13953);
    assert_int_equal(placed_now, 13953); /* only February is placed again */
    real_run(a, both, 2, &m, &placed_now);
    assert_int_equal(m.new_rows, 0);
    assert_int_equal(placed_now, 0);

    /* The fresh store meets the files in the other order: the analysis input must not
     * depend on it (sources are loaded by name). */
    const char *reversed[] = {POLICE("2"), POLICE("1")};
    hs_store *b = open_new("real-fresh.sqlite", pb, sizeof pb);
    real_run(b, reversed, 2, &m, &placed_now);
    assert_int_equal(m.new_rows, 28419);

    hs_incidents ta, tb;
    hs_incidents_init(&ta);
    hs_incidents_init(&tb);
    hs_error err;
    assert_int_equal(hs_store_load_incidents(a, NULL, &ta, &err), HS_OK);
    assert_int_equal(hs_store_load_incidents(b, NULL, &tb, &err), HS_OK);
    assert_int_equal(ta.n, 28419);
    assert_int_equal(tb.n, 28419);
    assert_int_equal(ta.nsources, 2);
    for (size_t i = 0; i < ta.n; i++)
        assert_same_row(&ta, &tb, i);
    hs_incident_counts ca, cb;
    hs_incidents_count(&ta, &ca);
    hs_incidents_count(&tb, &cb);
    assert_int_equal(ca.placed, cb.placed);
    assert_int_equal(ca.failed, 136 + 110); /* the "No Location" rows (data README) */
    hs_store_close(a);
    hs_store_close(b);
    assert_int_equal(sql_int(pa, "SELECT count(*) FROM incidents WHERE occurrence > 1"), 894);
    assert_int_equal(sql_int(pa, "SELECT count(*) FROM incidents WHERE key_kind = 0"
                                 " AND occurrence > 1"),
                     3);
    assert_int_equal(sql_int(pa, "SELECT count(*) FROM incidents WHERE first_run = 2"), 13953);
    hs_incidents_free(&ta);
    hs_incidents_free(&tb);
    remove_store(pa);
    remove_store(pb);
}

/* Monthly counts written by SQL against the engine's counting of the same loaded rows. */
static void test_real_aggregates_match_engine(void **state)
{
    (void)state;
    const char *both[] = {POLICE("1"), POLICE("2")};
    char path[4096];
    hs_store_merge_stats m;
    size_t placed_now;
    hs_store *s = open_new("real-agg.sqlite", path, sizeof path);
    real_run(s, both, 2, &m, &placed_now);

    hs_error err;
    hs_wards w;
    hs_wards_params wp = {.layer = "wards", .code_field = "WD20CD", .crs = "EPSG:27700"};
    if (hs_wards_read(WARDS_GPKG, &wp, &w, &err) != HS_OK)
        fail_msg("%s", err.what);
    assert_int_equal(w.n, 21);

    hs_incidents t;
    hs_incidents_init(&t);
    assert_int_equal(hs_store_begin(s, NULL, &err), HS_OK);
    assert_int_equal(hs_store_load_incidents(s, "", &t, &err), HS_OK);
    assert_int_equal(hs_wards_assign(&w, t.x, t.y, t.n, t.ward, &err), HS_OK);
    for (size_t i = 0; i < t.n; i++) {
        if (t.state[i] == HS_ROW_PLACED && t.ward[i] < 0)
            t.state[i] = HS_ROW_OUTSIDE;
        else if (t.state[i] != HS_ROW_PLACED)
            t.ward[i] = -1;
        const char *cat = hs_incidents_str(&t, t.category, i);
        t.groups[i] = (strcmp(cat, "Anti-social behaviour") == 0 ? 1u : 0u) |
                      (strcmp(cat, "Violence and sexual offences") == 0 ? 2u : 0u);
    }
    assert_int_equal(hs_store_update_units(s, &t, (const char *const *)w.code, w.n, &err), HS_OK);
    const char *names[] = {"asb", "violence"};
    const double cell_m = 500.0;
    assert_int_equal(hs_store_write_aggregates(s, "", names, 2, cell_m, &err), HS_OK);
    assert_int_equal(hs_store_commit(s, NULL, &err), HS_OK);

    const char *months[] = {"2024-01", "2024-02"};
    int32_t *wm = malloc(t.n * sizeof *wm);
    uint8_t *include = malloc(t.n);
    int64_t *counts = malloc(w.n * 3 * sizeof *counts);
    assert_non_null(wm);
    assert_non_null(include);
    assert_non_null(counts);
    /* The fishnet: aligned on multiples of 500 m around the placed points. */
    double xmin = INFINITY, ymin = INFINITY, xmax = -INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < t.n; i++) {
        if (t.state[i] != HS_ROW_PLACED)
            continue;
        xmin = fmin(xmin, t.x[i]);
        xmax = fmax(xmax, t.x[i]);
        ymin = fmin(ymin, t.y[i]);
        ymax = fmax(ymax, t.y[i]);
    }
    hs_grid g;
    assert_int_equal(hs_grid_aligned(xmin, ymin, xmax, ymax, 0, cell_m, 0, &g, &err), HS_OK);
    double *cells = malloc(hs_grid_size(&g) * sizeof *cells);
    assert_non_null(cells);
    long ix0 = lround(g.xmin_m / cell_m), iy_top = lround(g.ymax_m / cell_m) - 1;

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *wq = NULL, *cq = NULL, *nq = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT coalesce((SELECT n FROM ward_months WHERE month = ?1"
                           " AND ward_code = ?2 AND group_name = ?3), 0)",
                           -1, &wq, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT coalesce((SELECT n FROM cell_months WHERE"
                                        " cell_m = 500 AND month = ?1 AND ix = ?2 AND iy = ?3"
                                        " AND group_name = ?4), 0)",
                                        -1, &cq, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM cell_months WHERE cell_m = 500"
                                        " AND month = ?1 AND group_name = ?2",
                                        -1, &nq, NULL),
                     SQLITE_OK);
    const char *gnames[] = {"all", "asb", "violence"};
    for (int mo = 0; mo < 2; mo++) {
        for (size_t i = 0; i < t.n; i++) {
            int in_month = strcmp(hs_incidents_str(&t, t.month, i), months[mo]) == 0;
            wm[i] = in_month ? t.ward[i] : -1;
            include[i] = (uint8_t)(in_month && t.state[i] == HS_ROW_PLACED);
        }
        assert_int_equal(hs_aggregate_wards(wm, t.groups, t.n, w.n, 2, counts, &err), HS_OK);
        int64_t total = 0;
        for (size_t k = 0; k < w.n; k++) {
            total += counts[k * 3];
            for (int gi = 0; gi < 3; gi++) {
                sqlite3_bind_text(wq, 1, months[mo], -1, SQLITE_STATIC);
                sqlite3_bind_text(wq, 2, w.code[k], -1, SQLITE_STATIC);
                sqlite3_bind_text(wq, 3, gnames[gi], -1, SQLITE_STATIC);
                assert_int_equal(sqlite3_step(wq), SQLITE_ROW);
                assert_int_equal(sqlite3_column_int64(wq, 0), counts[k * 3 + (size_t)gi]);
                sqlite3_reset(wq);
            }
        }
        if (mo == 0) /* data README: 1,264 Canterbury-LSOA rows, 0-1 from elsewhere */
            assert_true(total >= 1264 && total <= 1265);
        for (int gi = 0; gi < 3; gi++) {
            size_t outside;
            assert_int_equal(hs_aggregate_grid(&g, t.x, t.y, NULL, t.groups, gi - 1, include, t.n,
                                               cells, &outside, &err),
                             HS_OK);
            assert_int_equal(outside, 0);
            long long nonzero = 0;
            for (size_t r = 0; r < g.ny; r++) {
                for (size_t c = 0; c < g.nx; c++) {
                    double v = cells[r * g.nx + c];
                    if (v == 0.0)
                        continue;
                    nonzero++;
                    sqlite3_bind_text(cq, 1, months[mo], -1, SQLITE_STATIC);
                    sqlite3_bind_int64(cq, 2, ix0 + (long)c);
                    sqlite3_bind_int64(cq, 3, iy_top - (long)r);
                    sqlite3_bind_text(cq, 4, gnames[gi], -1, SQLITE_STATIC);
                    assert_int_equal(sqlite3_step(cq), SQLITE_ROW);
                    assert_int_equal(sqlite3_column_int64(cq, 0), (int64_t)v);
                    sqlite3_reset(cq);
                }
            }
            sqlite3_bind_text(nq, 1, months[mo], -1, SQLITE_STATIC);
            sqlite3_bind_text(nq, 2, gnames[gi], -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(nq), SQLITE_ROW);
            assert_int_equal(sqlite3_column_int64(nq, 0), nonzero);
            sqlite3_reset(nq);
        }
    }
    sqlite3_finalize(wq);
    sqlite3_finalize(cq);
    sqlite3_finalize(nq);
    sqlite3_close(db);
    free(cells);
    free(wm);
    free(include);
    free(counts);
    hs_store_close(s);
    hs_wards_free(&w);
    hs_incidents_free(&t);
    remove_store(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rerun_adds_nothing),
        cmocka_unit_test(test_identical_asb_rows_are_separate_incidents),
        cmocka_unit_test(test_reused_crime_id_is_two_incidents),
        cmocka_unit_test(test_corrected_row_is_geocoded_again),
        cmocka_unit_test(test_retry_failed_only_on_request),
        cmocka_unit_test(test_replace_sources_removes_vanished_rows),
        cmocka_unit_test(test_key_hash_covers_content_not_position),
        cmocka_unit_test(test_rollback_leaves_previous_contents),
        cmocka_unit_test(test_killed_run_leaves_previous_contents),
        cmocka_unit_test(test_cancel_hook_and_progress),
        cmocka_unit_test(test_calls_need_an_open_run),
        cmocka_unit_test(test_cache_key),
        cmocka_unit_test(test_cache_hit_and_miss),
        cmocka_unit_test(test_wrong_files_are_refused_untouched),
        cmocka_unit_test(test_window_months),
        cmocka_unit_test(test_units_and_aggregates_by_hand),
        cmocka_unit_test(test_real_incremental_equals_fresh),
        cmocka_unit_test(test_real_aggregates_match_engine),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

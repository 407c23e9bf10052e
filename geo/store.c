/* store.c - the job's SQLite state store (see store.h for the tables, keys and call order).
 *
 * Must not: do statistics (the monthly counts are SQL GROUP BY over stored rows), print, or
 * touch a file that is not a hotspot store (the file is identified before anything is
 * written to it).
 *
 * Hashes: FNV-1a 64 (Fowler, Noll, Vo; offset basis 14695981039346656037, prime
 * 1099511628211) over the fields, finished with the fmix64 step of MurmurHash3 (A. Appleby)
 * so that every input bit reaches every output bit.
 */
#include "geo/store.h"

#include "geo/locate.h"

#include "geo/gazetteer.h"
#include "geo/gpkg.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HS_GPKG_APPLICATION_ID 0x47504B47L /* "GPKG" */
#define HS_STORE_POLL_ROWS     4096        /* rows between cancel polls */
#define HS_STORE_BUSY_MS       5000        /* wait for another writer this long */
/* SQL: col holds a valid month, YYYY-01 .. YYYY-12. */
#define HS_VALID_MONTH(col)                                                                        \
    "(" col " GLOB '[0-9][0-9][0-9][0-9]-0[1-9]' OR " col " GLOB '[0-9][0-9][0-9][0-9]-1[0-2]')"
#define HS_EXPECTED_STORE                                                                          \
    "expected a hotspot state store (SQLite, application_id 0x48535354, schema version 1), "       \
    "made by `hotspot run`; point [job] store at a new file or move this one away"

#define FNV_OFFSET   UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME    UINT64_C(0x100000001b3)
#define CONTENT_SEED (FNV_OFFSET ^ UINT64_C(0x9e3779b97f4a7c15))

/* What the last merge decided for a row of the caller's table. */
enum {
    ROW_KNOWN = 0, /* stored, same content, same position: nothing to write */
    ROW_NEW,       /* not stored: insert */
    ROW_CHANGED,   /* same key, other content: rewrite */
    ROW_RETRY,     /* stored as failed, geocoded again: rewrite */
    ROW_MOVED      /* stored, same content, other source_row/line: rewrite */
};

/* Key kinds (incidents.key_kind). */
enum { KEY_ID = 0, KEY_HASH = 1 };

struct hs_store {
    sqlite3 *db;                 /* the connection */
    char path[4096];             /* file, for messages */
    hs_store_hooks hooks;        /* cancel and progress hooks */
    int polling;                 /* 1 while a long call may be interrupted */
    int64_t run;                 /* open run id; 0 = none */
    hs_store_merge_stats merged; /* merge counts of the open run */
    /* the last merge: one entry per row of the merged table */
    size_t m_n;          /* rows */
    uint8_t *m_flag;     /* ROW_* */
    uint8_t *m_kind;     /* KEY_* */
    uint32_t *m_occ;     /* occurrence number, from 1 */
    uint64_t *m_key;     /* content key hash (KEY_HASH rows) */
    uint64_t *m_content; /* content check hash */
    int64_t *m_rowid;    /* incidents.id; 0 when not stored */
    int64_t *m_source;   /* sources.id of each of the table's sources */
    /* the last load: one entry per row of the loaded table */
    size_t l_n;         /* rows */
    int64_t *l_rowid;   /* incidents.id */
    uint8_t *l_state;   /* stored hs_row_state */
    uint64_t *l_ward;   /* hash of the stored ward code; 0 = none */
    uint32_t *l_groups; /* stored group bits */
    /* prepared statements */
    sqlite3_stmt *find;      /* incident by key */
    sqlite3_stmt *insert;    /* new incident */
    sqlite3_stmt *update;    /* rewrite an incident by id */
    sqlite3_stmt *move;      /* new source_row, source_line by id */
    sqlite3_stmt *units;     /* state, ward, groups by id */
    sqlite3_stmt *cache_get; /* cache entry by key */
    sqlite3_stmt *cache_hit; /* count a hit */
    sqlite3_stmt *cache_put; /* upsert an entry */
};

/* ---- small helpers -------------------------------------------------------------------- */

static hs_status status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return HS_EBUSY;
    case SQLITE_INTERRUPT:
        return HS_ECANCELLED;
    case SQLITE_NOMEM:
        return HS_ENOMEM;
    default:
        return HS_EIO;
    }
}

/* Fill err from the connection's last error; the status follows the SQLite code. */
static hs_status db_fail(hs_store *s, int rc, const char *what, hs_error *err)
{
    hs_status st = status_of(rc);
    if (st == HS_ECANCELLED)
        return hs_error_set(err, st, s->path, 0, 0, "%s: stopped on request", what);
    if (st == HS_EBUSY)
        return hs_error_set(err, st, s->path, 0, 0,
                            "%s: the store is locked by another program (%s)", what,
                            sqlite3_errmsg(s->db));
    return hs_error_set(err, st, s->path, 0, 0, "%s: %s", what, sqlite3_errmsg(s->db));
}

static hs_status exec_sql(hs_store *s, const char *sql, const char *what, hs_error *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? HS_OK : db_fail(s, rc, what, err);
}

/* Step a statement that returns no row, then reset it. */
static hs_status step_done(hs_store *s, sqlite3_stmt *st, const char *what, hs_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? HS_OK : db_fail(s, rc, what, err);
}

static hs_status need_run(const hs_store *s, const char *call, hs_error *err)
{
    if (s->run != 0)
        return HS_OK;
    return hs_error_set(err, HS_EINVAL, s->path, 0, 0, "%s needs an open run (hs_store_begin)",
                        call);
}

static int on_sqlite_progress(void *user)
{
    hs_store *s = user;
    return s->polling && s->hooks.cancelled != NULL && s->hooks.cancelled();
}

/* Every HS_STORE_POLL_ROWS rows of a long call: report progress, honour a cancel request. */
static hs_status poll_rows(hs_store *s, size_t rows, hs_error *err)
{
    if (s->hooks.progress != NULL && rows > 0)
        s->hooks.progress(s->hooks.user, rows);
    if (s->hooks.cancelled != NULL && s->hooks.cancelled())
        return hs_error_set(err, HS_ECANCELLED, s->path, 0, 0, "stopped on request");
    return HS_OK;
}

/* Count one row done; every HS_STORE_POLL_ROWS rows, poll (see poll_rows). */
static hs_status tick(hs_store *s, size_t *since, hs_error *err)
{
    if (++*since < HS_STORE_POLL_ROWS)
        return HS_OK;
    size_t rows = *since;
    *since = 0;
    return poll_rows(s, rows, err);
}

/* The table given to a call that continues the last merge or load must be that table. */
static hs_status same_table(const hs_store *s, const char *call, const void *remembered,
                            size_t n_remembered, size_t n, const char *made_by, hs_error *err)
{
    if (remembered != NULL && n == n_remembered)
        return HS_OK;
    return hs_error_set(err, HS_EINVAL, s->path, 0, 0,
                        "%s: the table (%zu rows) is not the one %s last (%zu rows)", call, n,
                        made_by, n_remembered);
}

static void utc_now(char buf[32])
{
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "unknown");
}

static void bind_real_or_null(sqlite3_stmt *st, int col, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

static double column_real_or_nan(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? (double)NAN
                                                       : sqlite3_column_double(st, col);
}

static const char *column_str(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* Bind text, NULL when empty. */
static void bind_text_or_null(sqlite3_stmt *st, int col, const char *text)
{
    if (text == NULL || text[0] == '\0')
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
}

/* ---- states and methods as text ------------------------------------------------------- */

static const char *state_text(hs_row_state st)
{
    switch (st) {
    case HS_ROW_PLACED:
        return "placed";
    case HS_ROW_FAILED:
        return "failed";
    case HS_ROW_OUTSIDE:
        return "outside";
    case HS_ROW_PENDING:
        break;
    }
    return "pending";
}

static hs_row_state state_from_text(const char *text)
{
    if (strcmp(text, "placed") == 0)
        return HS_ROW_PLACED;
    if (strcmp(text, "outside") == 0)
        return HS_ROW_OUTSIDE;
    if (strcmp(text, "failed") == 0)
        return HS_ROW_FAILED;
    return HS_ROW_PENDING;
}

static hs_method method_from_text(const char *text)
{
    for (int m = 1; m <= HS_METHOD_FUZZY; m++)
        if (strcmp(text, hs_method_name((hs_method)m)) == 0)
            return (hs_method)m;
    return HS_METHOD_NONE;
}

/* ---- hashes --------------------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static uint64_t hash_field(uint64_t h, const char *text)
{
    h = fnv1a(h, text, strlen(text));
    return fnv1a(h, "\x1f", 1);
}

static uint64_t hash_number(uint64_t h, double v)
{
    char buf[40] = "";
    if (!isnan(v))
        snprintf(buf, sizeof buf, "%.17g", v);
    return hash_field(h, buf);
}

static uint64_t row_hash(const hs_incidents *t, size_t i, uint64_t seed)
{
    const size_t *cols[] = {t->id,       t->month,     t->category,  t->location,
                            t->postcode, t->lsoa_code, t->lsoa_name, t->raw};
    uint64_t h = seed;
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        h = hash_field(h, hs_incidents_str(t, cols[c], i));
    h = hash_number(h, t->in_x[i]);
    h = hash_number(h, t->in_y[i]);
    h = hash_number(h, t->weight[i]);
    return fmix64(h);
}

uint64_t hs_store_row_key_hash(const hs_incidents *t, size_t i)
{
    return row_hash(t, i, FNV_OFFSET);
}

uint64_t hs_store_row_content_hash(const hs_incidents *t, size_t i)
{
    return row_hash(t, i, CONTENT_SEED);
}

/* Hash of a text that is never 0 (0 stands for "none"). */
static uint64_t text_tag(const char *text)
{
    return text == NULL || text[0] == '\0' ? 0
                                           : (fmix64(fnv1a(FNV_OFFSET, text, strlen(text))) | 1);
}

static const char *source_name(const hs_incidents *t, size_t i)
{
    return t->source[i] < t->nsources ? t->sources[t->source[i]].name : "";
}

/* ---- opening -------------------------------------------------------------------------- */

static const char *const schema_sql =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY, started_utc TEXT NOT NULL, finished_utc TEXT,"
    " status TEXT NOT NULL, rows_read INTEGER, rows_new INTEGER, rows_known INTEGER,"
    " rows_changed INTEGER, rows_retried INTEGER, rows_removed INTEGER,"
    " rows_analysed INTEGER, rows_placed INTEGER, rows_failed INTEGER, rows_outside INTEGER,"
    " hit_rate REAL);"
    "CREATE TABLE sources ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, path TEXT, crs TEXT, format TEXT,"
    " first_run INTEGER, last_run INTEGER);"
    "CREATE TABLE incidents ("
    " id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL REFERENCES sources (id),"
    " key_kind INTEGER NOT NULL, key TEXT NOT NULL, occurrence INTEGER NOT NULL,"
    " content INTEGER NOT NULL, source_row INTEGER, source_line INTEGER, month TEXT,"
    " category TEXT, location TEXT, postcode TEXT, lsoa_code TEXT, lsoa_name TEXT, raw TEXT,"
    " in_x REAL, in_y REAL, weight REAL, state TEXT NOT NULL, method TEXT, score REAL,"
    " precision_m REAL, reason TEXT, x REAL, y REAL, ward_code TEXT,"
    " groups INTEGER NOT NULL DEFAULT 0, first_run INTEGER NOT NULL,"
    " updated_run INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX incidents_key ON incidents (source_id, key_kind, key, occurrence);"
    "CREATE INDEX incidents_order ON incidents (source_id, source_row);"
    "CREATE INDEX incidents_month ON incidents (month);"
    "CREATE VIEW incidents_named AS SELECT s.name AS source, CASE i.key_kind WHEN 0 THEN"
    " i.key ELSE '' END AS incident_id, i.* FROM incidents i JOIN sources s"
    " ON s.id = i.source_id;"
    "CREATE TABLE geocode_cache ("
    " key TEXT PRIMARY KEY, placed INTEGER NOT NULL, x REAL, y REAL, method TEXT, score REAL,"
    " precision_m REAL, reason TEXT, hits INTEGER NOT NULL DEFAULT 0, first_run INTEGER,"
    " last_run INTEGER);"
    "CREATE TABLE ward_months ("
    " month TEXT NOT NULL, ward_code TEXT NOT NULL, group_name TEXT NOT NULL,"
    " n INTEGER NOT NULL, run INTEGER NOT NULL,"
    " PRIMARY KEY (month, ward_code, group_name)) WITHOUT ROWID;"
    "CREATE TABLE cell_months ("
    " cell_m REAL NOT NULL, month TEXT NOT NULL, ix INTEGER NOT NULL, iy INTEGER NOT NULL,"
    " group_name TEXT NOT NULL, n INTEGER NOT NULL, run INTEGER NOT NULL,"
    " PRIMARY KEY (cell_m, month, ix, iy, group_name)) WITHOUT ROWID;";

/* Read an integer PRAGMA; *rc receives the SQLite result code. */
static long pragma_int(sqlite3 *db, const char *sql, int *rc)
{
    sqlite3_stmt *st = NULL;
    long v = 0;
    *rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (*rc == SQLITE_OK) {
        *rc = sqlite3_step(st);
        if (*rc == SQLITE_ROW) {
            v = (long)sqlite3_column_int64(st, 0);
            *rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return v;
}

/* Decide what the file is: *fresh = 1 for a new (empty) database, 0 for a hotspot store;
 * anything else is refused before a byte is written. */
static hs_status identify(hs_store *s, int *fresh, hs_error *err)
{
    int rc;
    long app = pragma_int(s->db, "PRAGMA application_id", &rc);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return hs_error_set(err, HS_EDATA, s->path, 0, 0,
                            "not an SQLite database: " HS_EXPECTED_STORE);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot read the store", err);
    *fresh = 0;
    if (app == HS_STORE_APPLICATION_ID)
        return HS_OK;
    if (app == HS_GPKG_APPLICATION_ID)
        return hs_error_set(
            err, HS_EDATA, s->path, 0, 0,
            "this is a GeoPackage (the job's output?), not a state store: " HS_EXPECTED_STORE);
    if (app == HS_GAZETTEER_APPLICATION_ID)
        return hs_error_set(err, HS_EDATA, s->path, 0, 0,
                            "this is a hotspot gazetteer, not a state store: " HS_EXPECTED_STORE);
    if (app != 0)
        return hs_error_set(
            err, HS_EDATA, s->path, 0, 0,
            "another application's database (application_id 0x%08lX): " HS_EXPECTED_STORE,
            (unsigned long)app);
    long objects = pragma_int(s->db, "SELECT count(*) FROM sqlite_master", &rc);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot read the store", err);
    if (objects != 0)
        return hs_error_set(
            err, HS_EDATA, s->path, 0, 0,
            "an SQLite database with %ld tables or indexes of another program: " HS_EXPECTED_STORE,
            objects);
    *fresh = 1;
    return HS_OK;
}

static hs_status set_journal(hs_store *s, hs_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    int wal = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        wal = strcmp(column_str(st, 0), "wal") == 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot switch the store to WAL mode", err);
    if (!wal)
        return hs_error_set(err, HS_EIO, s->path, 0, 0,
                            "the store's folder does not support SQLite's WAL mode (shared "
                            "memory); put [job] store on a local disk");
    /* WAL + NORMAL: a crash never corrupts the file; a power cut may lose the last run.
     * A 64 MB page cache and memory-mapped reads keep the full scans (load, monthly
     * counts) fast on stores of millions of rows. */
    return exec_sql(s,
                    "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;"
                    " PRAGMA mmap_size = 1073741824",
                    "cannot configure the store", err);
}

static hs_status meta_put(hs_store *s, const char *key, const char *value, hs_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot write meta", err);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    hs_status status = step_done(s, st, "cannot write meta", err);
    sqlite3_finalize(st);
    return status;
}

static hs_status create_schema(hs_store *s, const char *crs, hs_error *err)
{
    char pragmas[128], now[32], version[16];
    snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %ld; PRAGMA user_version = %d;",
             (long)HS_STORE_APPLICATION_ID, HS_STORE_SCHEMA_VERSION);
    snprintf(version, sizeof version, "%d", HS_STORE_SCHEMA_VERSION);
    utc_now(now);
    hs_status st = exec_sql(s, "BEGIN IMMEDIATE", "cannot create the store", err);
    if (st != HS_OK)
        return st;
    st = exec_sql(s, pragmas, "cannot create the store", err);
    if (st == HS_OK)
        st = exec_sql(s, schema_sql, "cannot create the store", err);
    if (st == HS_OK)
        st = meta_put(s, "schema_version", version, err);
    if (st == HS_OK)
        st = meta_put(s, "crs", crs ? crs : "", err);
    if (st == HS_OK)
        st = meta_put(s, "created_utc", now, err);
    if (st == HS_OK)
        st = meta_put(s, "hotspot_version", HS_VERSION, err);
    if (st == HS_OK)
        st = exec_sql(s, "COMMIT", "cannot create the store", err);
    if (st != HS_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

static hs_status check_store(hs_store *s, const char *crs, hs_error *err)
{
    char version[32], stored_crs[256];
    int found = 0;
    hs_error why;
    hs_status st = hs_store_meta_get(s, "schema_version", version, sizeof version, &found, &why);
    if (st != HS_OK)
        return hs_error_set(err, HS_EDATA, s->path, 0, 0,
                            "cannot read the schema version (%s): " HS_EXPECTED_STORE, why.what);
    if (!found)
        return hs_error_set(err, HS_EDATA, s->path, 0, 0,
                            "the store has no schema version: " HS_EXPECTED_STORE);
    if (strtol(version, NULL, 10) != HS_STORE_SCHEMA_VERSION)
        return hs_error_set(err, HS_EDATA, s->path, 0, 0,
                            "store schema version %s, this hotspot reads version %d: the "
                            "store was made by another version of hotspot; move it away (the "
                            "next run builds a new one and geocodes every row again)",
                            version, HS_STORE_SCHEMA_VERSION);
    if (crs == NULL)
        return HS_OK;
    st = hs_store_meta_get(s, "crs", stored_crs, sizeof stored_crs, &found, err);
    if (st != HS_OK)
        return st;
    if (found && strcmp(stored_crs, crs) != 0)
        return hs_error_set(err, HS_EDATA, s->path, 0, 0,
                            "the store holds positions in %s but the job's CRS is %s: point "
                            "[job] store at a new file for this CRS",
                            stored_crs, crs);
    return HS_OK;
}

/* The incident columns written from a table row, in bind order (?1 .. ?N). */
static const char *const row_columns[] = {
    "source_id", "key_kind", "key",      "occurrence", "content",   "source_row", "source_line",
    "month",     "category", "location", "postcode",   "lsoa_code", "lsoa_name",  "raw",
    "in_x",      "in_y",     "weight",   "state",      "method",    "score",      "precision_m",
    "reason",    "x",        "y",        "updated_run"};
#define N_ROW_COLUMNS ((int)(sizeof row_columns / sizeof row_columns[0]))

/* INSERT (first_run = updated_run) or UPDATE ... WHERE id = ?(N+1), built from the list. */
static void build_row_sql(int insert, char *sql, size_t n)
{
    size_t o =
        (size_t)snprintf(sql, n, insert ? "INSERT INTO incidents (" : "UPDATE incidents SET ");
    for (int c = 0; c < N_ROW_COLUMNS; c++) {
        if (insert)
            o += (size_t)snprintf(sql + o, n - o, "%s, ", row_columns[c]);
        else
            o += (size_t)snprintf(sql + o, n - o, "%s%s = ?%d", c ? ", " : "", row_columns[c],
                                  c + 1);
    }
    if (!insert) {
        /* New content: the ward is unknown until the wards stage runs again. */
        snprintf(sql + o, n - o, ", ward_code = NULL WHERE id = ?%d", N_ROW_COLUMNS + 1);
        return;
    }
    o += (size_t)snprintf(sql + o, n - o, "first_run) VALUES (");
    for (int c = 0; c < N_ROW_COLUMNS; c++)
        o += (size_t)snprintf(sql + o, n - o, "?%d, ", c + 1);
    snprintf(sql + o, n - o, "?%d)", N_ROW_COLUMNS);
}

static hs_status prepare_all(hs_store *s, hs_error *err)
{
    char insert_sql[2048], update_sql[2048];
    build_row_sql(1, insert_sql, sizeof insert_sql);
    build_row_sql(0, update_sql, sizeof update_sql);
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } list[] = {
        {&s->find, "SELECT id, content, state, method, score, precision_m, reason, x, y,"
                   " source_row, source_line FROM incidents"
                   " WHERE source_id = ?1 AND key_kind = ?2 AND key = ?3 AND occurrence = ?4"},
        {&s->insert, insert_sql},
        {&s->update, update_sql},
        {&s->move, "UPDATE incidents SET source_row = ?1, source_line = ?2, updated_run = ?3"
                   " WHERE id = ?4"},
        {&s->units, "UPDATE incidents SET state = ?1, ward_code = ?2, groups = ?3,"
                    " updated_run = ?4 WHERE id = ?5"},
        {&s->cache_get, "SELECT placed, x, y, method, score, precision_m, reason"
                        " FROM geocode_cache WHERE key = ?1"},
        {&s->cache_hit, "UPDATE geocode_cache SET hits = hits + 1, last_run = ?2 WHERE key = ?1"},
        {&s->cache_put,
         "INSERT INTO geocode_cache (key, placed, x, y, method, score, precision_m, reason,"
         " hits, first_run, last_run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?9)"
         " ON CONFLICT (key) DO UPDATE SET placed = excluded.placed, x = excluded.x,"
         " y = excluded.y, method = excluded.method, score = excluded.score,"
         " precision_m = excluded.precision_m, reason = excluded.reason,"
         " last_run = excluded.last_run"},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        int rc = sqlite3_prepare_v2(s->db, list[i].sql, -1, list[i].st, NULL);
        if (rc != SQLITE_OK)
            return hs_error_set(err, HS_EDATA, s->path, 0, 0,
                                "the store's tables are incomplete (%s): " HS_EXPECTED_STORE,
                                sqlite3_errmsg(s->db));
    }
    return HS_OK;
}

static hs_status open_db(hs_store *s, hs_error *err)
{
    hs_status st = hs_make_parent_dirs(s->path, err);
    if (st != HS_OK)
        return st;
    int rc = sqlite3_open_v2(
        s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return hs_error_set(err, HS_EIO, s->path, 0, 0, "cannot open or create the store: %s",
                            s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    sqlite3_busy_timeout(s->db, HS_STORE_BUSY_MS);
    sqlite3_progress_handler(s->db, 10000, on_sqlite_progress, s);
    return HS_OK;
}

hs_status hs_store_open(const char *path, const char *crs, hs_store **out, hs_error *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "no store path given");
    hs_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return hs_error_set(err, HS_ENOMEM, path, 0, 0, "out of memory");
    if ((size_t)snprintf(s->path, sizeof s->path, "%s", path) >= sizeof s->path) {
        free(s);
        return hs_error_set(err, HS_EINVAL, path, 0, 0, "store path too long");
    }
    int fresh = 0;
    hs_status st = open_db(s, err);
    if (st == HS_OK)
        st = identify(s, &fresh, err);
    if (st == HS_OK)
        st = set_journal(s, err);
    if (st == HS_OK)
        st = fresh ? create_schema(s, crs, err) : check_store(s, crs, err);
    if (st == HS_OK)
        st = prepare_all(s, err);
    if (st != HS_OK) {
        hs_store_close(s);
        return st;
    }
    *out = s;
    return HS_OK;
}

static void free_merge(hs_store *s)
{
    free(s->m_flag);
    free(s->m_kind);
    free(s->m_occ);
    free(s->m_key);
    free(s->m_content);
    free(s->m_rowid);
    free(s->m_source);
    s->m_flag = s->m_kind = NULL;
    s->m_occ = NULL;
    s->m_key = s->m_content = NULL;
    s->m_rowid = s->m_source = NULL;
    s->m_n = 0;
}

static void free_load(hs_store *s)
{
    free(s->l_rowid);
    free(s->l_state);
    free(s->l_ward);
    free(s->l_groups);
    s->l_rowid = NULL;
    s->l_state = NULL;
    s->l_ward = NULL;
    s->l_groups = NULL;
    s->l_n = 0;
}

void hs_store_close(hs_store *s)
{
    if (s == NULL)
        return;
    if (s->run != 0)
        hs_store_rollback(s, HS_EINTERNAL, NULL);
    sqlite3_stmt *stmts[] = {s->find,  s->insert,    s->update,    s->move,
                             s->units, s->cache_get, s->cache_hit, s->cache_put};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(stmts[i]);
    sqlite3_close(s->db);
    free_merge(s);
    free_load(s);
    free(s);
}

const char *hs_store_path(const hs_store *s)
{
    return s->path;
}

void hs_store_set_hooks(hs_store *s, const hs_store_hooks *h)
{
    if (h)
        s->hooks = *h;
    else
        memset(&s->hooks, 0, sizeof s->hooks);
}

/* ---- runs ----------------------------------------------------------------------------- */

/* Record the end of run `id` (outside or inside the transaction). */
static hs_status finish_run(hs_store *s, int64_t id, const char *status,
                            const hs_incident_counts *c, hs_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        s->db,
        "UPDATE runs SET finished_utc = ?2, status = ?3, rows_read = ?4, rows_new = ?5,"
        " rows_known = ?6, rows_changed = ?7, rows_retried = ?8, rows_removed = ?9,"
        " rows_analysed = ?10, rows_placed = ?11, rows_failed = ?12, rows_outside = ?13,"
        " hit_rate = ?14 WHERE id = ?1",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot record the run", err);
    char now[32];
    utc_now(now);
    const hs_store_merge_stats *m = &s->merged;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
    int64_t merged[] = {(int64_t)m->rows,         (int64_t)m->new_rows,
                        (int64_t)m->known_rows,   (int64_t)m->changed_rows,
                        (int64_t)m->retried_rows, (int64_t)m->removed_rows};
    for (int k = 0; k < 6; k++)
        sqlite3_bind_int64(st, 4 + k, merged[k]);
    if (c != NULL) {
        sqlite3_bind_int64(st, 10, (int64_t)c->rows_in);
        sqlite3_bind_int64(st, 11, (int64_t)c->placed);
        sqlite3_bind_int64(st, 12, (int64_t)c->failed);
        sqlite3_bind_int64(st, 13, (int64_t)c->outside);
        sqlite3_bind_double(st, 14, hs_incident_counts_hit_rate(c));
    }
    hs_status status_rc = step_done(s, st, "cannot record the run", err);
    sqlite3_finalize(st);
    return status_rc;
}

hs_status hs_store_begin(hs_store *s, int64_t *run_id, hs_error *err)
{
    if (run_id)
        *run_id = 0;
    if (s->run != 0)
        return hs_error_set(err, HS_EINVAL, s->path, 0, 0, "a run is already open");
    hs_status st = exec_sql(s, "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
                            "cannot start a run", err);
    if (st != HS_OK)
        return st;
    sqlite3_stmt *ins = NULL;
    int rc = sqlite3_prepare_v2(
        s->db, "INSERT INTO runs (started_utc, status) VALUES (?1, 'running')", -1, &ins, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot start a run", err);
    char now[32];
    utc_now(now);
    sqlite3_bind_text(ins, 1, now, -1, SQLITE_STATIC);
    st = step_done(s, ins, "cannot start a run", err);
    sqlite3_finalize(ins);
    if (st != HS_OK)
        return st;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    st = exec_sql(s, "BEGIN IMMEDIATE", "cannot start the run's transaction", err);
    if (st != HS_OK) {
        finish_run(s, id, "failed", NULL, NULL);
        return st;
    }
    s->run = id;
    memset(&s->merged, 0, sizeof s->merged);
    free_merge(s);
    free_load(s);
    if (run_id)
        *run_id = id;
    return HS_OK;
}

int64_t hs_store_run_id(const hs_store *s)
{
    return s->run;
}

hs_status hs_store_commit(hs_store *s, const hs_incident_counts *c, hs_error *err)
{
    hs_status st = need_run(s, "hs_store_commit", err);
    if (st != HS_OK)
        return st;
    st = finish_run(s, s->run, "ok", c, err);
    if (st == HS_OK)
        st = exec_sql(s, "COMMIT", "cannot commit the run", err);
    if (st != HS_OK) {
        hs_store_rollback(s, st, NULL);
        return st;
    }
    s->run = 0;
    free_merge(s);
    free_load(s);
    return HS_OK;
}

hs_status hs_store_rollback(hs_store *s, hs_status why, hs_error *err)
{
    if (s->run == 0)
        return HS_OK;
    int64_t id = s->run;
    s->run = 0;
    s->polling = 0;
    free_merge(s);
    free_load(s);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return finish_run(s, id, why == HS_ECANCELLED ? "cancelled" : "failed", NULL, err);
}

/* ---- merge ---------------------------------------------------------------------------- */

/* Open-addressing table counting rows per (source name, key kind, key). */
typedef struct occ_entry {
    uint64_t h;     /* identity hash */
    size_t row;     /* first row with this identity; SIZE_MAX = empty slot */
    uint32_t count; /* rows so far */
} occ_entry;

static uint64_t identity_hash(const hs_store *s, const hs_incidents *t, size_t i)
{
    uint64_t h = hash_field(FNV_OFFSET, source_name(t, i));
    h = fnv1a(h, &s->m_kind[i], 1);
    if (s->m_kind[i] == KEY_ID)
        return fmix64(hash_field(h, hs_incidents_str(t, t->id, i)));
    unsigned char k[8];
    for (int b = 0; b < 8; b++)
        k[b] = (unsigned char)(s->m_key[i] >> (8 * b));
    return fmix64(fnv1a(h, k, 8));
}

static int same_identity(const hs_store *s, const hs_incidents *t, size_t a, size_t b)
{
    if (s->m_kind[a] != s->m_kind[b] || strcmp(source_name(t, a), source_name(t, b)) != 0)
        return 0;
    if (s->m_kind[a] == KEY_HASH)
        return s->m_key[a] == s->m_key[b];
    return strcmp(hs_incidents_str(t, t->id, a), hs_incidents_str(t, t->id, b)) == 0;
}

/* Number every row within its (source, kind, key) group, in table order. */
static hs_status number_occurrences(hs_store *s, const hs_incidents *t)
{
    size_t cap = 16;
    while (cap < 2 * t->n)
        cap *= 2;
    occ_entry *tab = malloc(cap * sizeof *tab);
    if (tab == NULL)
        return HS_ENOMEM;
    for (size_t k = 0; k < cap; k++)
        tab[k].row = SIZE_MAX;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t h = identity_hash(s, t, i);
        size_t k = (size_t)h & (cap - 1);
        while (tab[k].row != SIZE_MAX && !(tab[k].h == h && same_identity(s, t, tab[k].row, i)))
            k = (k + 1) & (cap - 1);
        if (tab[k].row == SIZE_MAX) {
            tab[k].h = h;
            tab[k].row = i;
            tab[k].count = 0;
        }
        s->m_occ[i] = ++tab[k].count;
    }
    free(tab);
    return HS_OK;
}

static hs_status alloc_merge(hs_store *s, hs_incidents *t)
{
    free_merge(s);
    size_t n = t->n ? t->n : 1;
    s->m_flag = calloc(n, 1);
    s->m_kind = calloc(n, 1);
    s->m_occ = calloc(n, sizeof *s->m_occ);
    s->m_key = calloc(n, sizeof *s->m_key);
    s->m_content = calloc(n, sizeof *s->m_content);
    s->m_rowid = calloc(n, sizeof *s->m_rowid);
    if (!s->m_flag || !s->m_kind || !s->m_occ || !s->m_key || !s->m_content || !s->m_rowid) {
        free_merge(s);
        return HS_ENOMEM;
    }
    s->m_n = t->n;
    for (size_t i = 0; i < t->n; i++) {
        s->m_kind[i] = hs_incidents_str(t, t->id, i)[0] ? KEY_ID : KEY_HASH;
        s->m_key[i] = s->m_kind[i] == KEY_HASH ? hs_store_row_key_hash(t, i) : 0;
        s->m_content[i] = hs_store_row_content_hash(t, i);
    }
    return number_occurrences(s, t);
}

/* The key text of row i: its id, or its content key hash in hex (buf: 17 bytes). */
static const char *key_text(const hs_store *s, const hs_incidents *t, size_t i, char buf[17])
{
    if (s->m_kind[i] == KEY_ID)
        return hs_incidents_str(t, t->id, i);
    snprintf(buf, 17, "%016llx", (unsigned long long)s->m_key[i]);
    return buf;
}

/* Copy the stored result (find statement's current row) into a row of t the cascade would
 * work on (PENDING, or failed at ingest with replaceable coordinates). */
static hs_status copy_result(hs_incidents *t, size_t i, sqlite3_stmt *f)
{
    hs_row_state state = state_from_text(column_str(f, 2));
    t->method[i] = (uint8_t)method_from_text(column_str(f, 3));
    t->score[i] = (float)sqlite3_column_double(f, 4);
    t->precision_m[i] = (float)column_real_or_nan(f, 5);
    t->x[i] = column_real_or_nan(f, 7);
    t->y[i] = column_real_or_nan(f, 8);
    if (state == HS_ROW_FAILED) {
        t->state[i] = HS_ROW_FAILED;
        const char *reason = column_str(f, 6);
        return hs_incidents_set_str(t, t->reason, i, reason, strlen(reason));
    }
    t->state[i] = HS_ROW_PLACED;
    t->reason[i] = 0;
    return HS_OK;
}

/* Look row i up and decide its fate (s->m_flag[i]); copies known results into t. */
static hs_status merge_row(hs_store *s, hs_incidents *t, size_t i, unsigned flags, hs_error *err)
{
    char hex[17];
    sqlite3_stmt *f = s->find;
    sqlite3_bind_int64(f, 1, s->m_source[t->source[i]]);
    sqlite3_bind_int(f, 2, s->m_kind[i]);
    sqlite3_bind_text(f, 3, key_text(s, t, i, hex), -1, SQLITE_STATIC);
    sqlite3_bind_int64(f, 4, s->m_occ[i]);
    int rc = sqlite3_step(f);
    hs_status st = HS_OK;
    if (rc == SQLITE_DONE) {
        s->m_flag[i] = ROW_NEW;
    } else if (rc != SQLITE_ROW) {
        st = db_fail(s, rc, "cannot read the stored incidents", err);
    } else {
        s->m_rowid[i] = sqlite3_column_int64(f, 0);
        int same = (uint64_t)sqlite3_column_int64(f, 1) == s->m_content[i];
        int failed = state_from_text(column_str(f, 2)) == HS_ROW_FAILED;
        int moved = sqlite3_column_int64(f, 9) != t->source_row[i] ||
                    sqlite3_column_int64(f, 10) != t->source_line[i];
        /* Rows the cascade would work on: pending, or failed at ingest with coordinates the
         * text may replace (their stored result says what the text gave). */
        int pending = t->state[i] == HS_ROW_PENDING ||
                      (t->state[i] == HS_ROW_FAILED &&
                       hs_locate_is_retryable(hs_incidents_str(t, t->reason, i)));
        if (!same)
            s->m_flag[i] = ROW_CHANGED;
        else if (failed && pending && (flags & HS_STORE_RETRY_FAILED))
            s->m_flag[i] = ROW_RETRY;
        else
            s->m_flag[i] = moved ? ROW_MOVED : ROW_KNOWN;
        if (same && pending && s->m_flag[i] != ROW_RETRY)
            st = copy_result(t, i, f);
    }
    sqlite3_reset(f);
    return st;
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Stored ids of source source_id that the merged table does not hold; *out (malloc), *n. */
static hs_status unmatched_ids(hs_store *s, int64_t source_id, const int64_t *matched,
                               size_t nmatched, int64_t **out, size_t *n, hs_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = NULL;
    int rc =
        sqlite3_prepare_v2(s->db, "SELECT id FROM incidents WHERE source_id = ?1", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot read the stored incidents", err);
    sqlite3_bind_int64(q, 1, source_id);
    size_t cap = 0;
    hs_status st = HS_OK;
    while (st == HS_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (bsearch(&id, matched, nmatched, sizeof *matched, cmp_int64) != NULL)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *p = realloc(*out, cap * sizeof *p);
            if (p == NULL) {
                st = hs_error_set(err, HS_ENOMEM, s->path, 0, 0, "out of memory");
                break;
            }
            *out = p;
        }
        (*out)[(*n)++] = id;
    }
    if (st == HS_OK && rc != SQLITE_DONE)
        st = db_fail(s, rc, "cannot read the stored incidents", err);
    sqlite3_finalize(q);
    if (st != HS_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

static hs_status delete_ids(hs_store *s, const int64_t *ids, size_t n, hs_error *err)
{
    sqlite3_stmt *d = NULL;
    int rc = sqlite3_prepare_v2(s->db, "DELETE FROM incidents WHERE id = ?1", -1, &d, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot remove stored incidents", err);
    hs_status st = HS_OK;
    for (size_t k = 0; k < n && st == HS_OK; k++) {
        sqlite3_bind_int64(d, 1, ids[k]);
        st = step_done(s, d, "cannot remove stored incidents", err);
    }
    sqlite3_finalize(d);
    return st;
}

/* HS_STORE_REPLACE_SOURCES: delete the stored rows of this table's file names that the
 * table no longer holds. */
static hs_status remove_vanished(hs_store *s, const hs_incidents *t, size_t *removed, hs_error *err)
{
    *removed = 0;
    size_t nmatched = 0;
    int64_t *matched = malloc((t->n ? t->n : 1) * sizeof *matched);
    if (matched == NULL)
        return hs_error_set(err, HS_ENOMEM, s->path, 0, 0, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        if (s->m_rowid[i] != 0)
            matched[nmatched++] = s->m_rowid[i];
    qsort(matched, nmatched, sizeof *matched, cmp_int64);
    hs_status st = HS_OK;
    for (size_t k = 0; k < t->nsources && st == HS_OK; k++) {
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = s->m_source[j] == s->m_source[k];
        if (seen)
            continue;
        int64_t *gone = NULL;
        size_t ngone = 0;
        st = unmatched_ids(s, s->m_source[k], matched, nmatched, &gone, &ngone, err);
        if (st == HS_OK)
            st = delete_ids(s, gone, ngone, err);
        if (st == HS_OK)
            *removed += ngone;
        free(gone);
    }
    free(matched);
    return st;
}

/* Record t's sources (name, path, CRS, format, runs) and fill s->m_source with their ids. */
static hs_status register_sources(hs_store *s, const hs_incidents *t, hs_error *err)
{
    s->m_source = calloc(t->nsources ? t->nsources : 1, sizeof *s->m_source);
    if (s->m_source == NULL)
        return hs_error_set(err, HS_ENOMEM, s->path, 0, 0, "out of memory");
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(
        s->db,
        "INSERT INTO sources (name, path, crs, format, first_run, last_run)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (name) DO UPDATE SET path = excluded.path,"
        " crs = excluded.crs, format = excluded.format, last_run = excluded.last_run"
        " RETURNING id",
        -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot record the sources", err);
    for (size_t k = 0; k < t->nsources; k++) {
        const hs_source *src = &t->sources[k];
        sqlite3_bind_text(q, 1, src->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, src->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, src->crs, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, src->format, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, s->run);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            s->m_source[k] = sqlite3_column_int64(q, 0);
            rc = sqlite3_step(q);
        }
        sqlite3_reset(q);
        if (rc != SQLITE_DONE)
            break;
    }
    hs_status st = rc == SQLITE_DONE || t->nsources == 0
                       ? HS_OK
                       : db_fail(s, rc, "cannot record the sources", err);
    sqlite3_finalize(q);
    return st;
}

hs_status hs_store_merge_incidents(hs_store *s, hs_incidents *t, unsigned flags,
                                   hs_store_merge_stats *stats, hs_error *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    hs_status st = need_run(s, "hs_store_merge_incidents", err);
    if (st != HS_OK)
        return st;
    for (size_t i = 0; i < t->n; i++)
        if (t->source[i] >= t->nsources)
            return hs_error_set(err, HS_EINVAL, s->path, 0, 0,
                                "row %zu names source %u of %zu: not a table from ingest", i + 1,
                                (unsigned)t->source[i], t->nsources);
    if (alloc_merge(s, t) != HS_OK)
        return hs_error_set(err, HS_ENOMEM, s->path, 0, 0, "out of memory merging %zu rows", t->n);
    st = register_sources(s, t, err);
    hs_store_merge_stats m = {.rows = t->n};
    size_t since = 0;
    for (size_t i = 0; i < t->n && st == HS_OK; i++) {
        st = merge_row(s, t, i, flags, err);
        if (st == HS_ENOMEM)
            hs_error_set(err, st, s->path, 0, 0, "out of memory");
        if (st == HS_OK)
            st = tick(s, &since, err);
    }
    if (st == HS_OK)
        st = poll_rows(s, since, err);
    if (st == HS_OK && (flags & HS_STORE_REPLACE_SOURCES))
        st = remove_vanished(s, t, &m.removed_rows, err);
    if (st != HS_OK) {
        free_merge(s);
        return st;
    }
    for (size_t i = 0; i < t->n; i++) {
        m.new_rows += s->m_flag[i] == ROW_NEW;
        m.changed_rows += s->m_flag[i] == ROW_CHANGED;
        m.retried_rows += s->m_flag[i] == ROW_RETRY;
    }
    m.known_rows = t->n - m.new_rows - m.changed_rows - m.retried_rows;
    s->merged.rows += m.rows;
    s->merged.new_rows += m.new_rows;
    s->merged.known_rows += m.known_rows;
    s->merged.changed_rows += m.changed_rows;
    s->merged.retried_rows += m.retried_rows;
    s->merged.removed_rows += m.removed_rows;
    if (stats)
        *stats = m;
    return HS_OK;
}

/* ---- save ----------------------------------------------------------------------------- */

/* Bind the row columns (?1 .. ?N, in row_columns order) of row i for insert or update. */
static void bind_row(hs_store *s, sqlite3_stmt *q, const hs_incidents *t, size_t i, char hex[17])
{
    const size_t *text_cols[] = {t->month,     t->category,  t->location, t->postcode,
                                 t->lsoa_code, t->lsoa_name, t->raw};
    sqlite3_bind_int64(q, 1, s->m_source[t->source[i]]);
    sqlite3_bind_int(q, 2, s->m_kind[i]);
    sqlite3_bind_text(q, 3, key_text(s, t, i, hex), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, s->m_occ[i]);
    sqlite3_bind_int64(q, 5, (int64_t)s->m_content[i]);
    sqlite3_bind_int64(q, 6, t->source_row[i]);
    sqlite3_bind_int64(q, 7, t->source_line[i]);
    for (int c = 0; c < 7; c++)
        sqlite3_bind_text(q, 8 + c, hs_incidents_str(t, text_cols[c], i), -1, SQLITE_STATIC);
    bind_real_or_null(q, 15, t->in_x[i]);
    bind_real_or_null(q, 16, t->in_y[i]);
    bind_real_or_null(q, 17, t->weight[i]);
    sqlite3_bind_text(q, 18, state_text((hs_row_state)t->state[i]), -1, SQLITE_STATIC);
    bind_text_or_null(q, 19, hs_method_name((hs_method)t->method[i]));
    bind_real_or_null(q, 20, (double)t->score[i]);
    bind_real_or_null(q, 21, (double)t->precision_m[i]);
    bind_text_or_null(q, 22, hs_incidents_str(t, t->reason, i));
    bind_real_or_null(q, 23, t->x[i]);
    bind_real_or_null(q, 24, t->y[i]);
    sqlite3_bind_int64(q, 25, s->run);
}

/* A known row that its file moved: only its position changes. */
static hs_status move_row(hs_store *s, const hs_incidents *t, size_t i, hs_error *err)
{
    sqlite3_bind_int64(s->move, 1, t->source_row[i]);
    sqlite3_bind_int64(s->move, 2, t->source_line[i]);
    sqlite3_bind_int64(s->move, 3, s->run);
    sqlite3_bind_int64(s->move, 4, s->m_rowid[i]);
    hs_status st = step_done(s, s->move, "cannot store an incident", err);
    if (st == HS_OK)
        s->m_flag[i] = ROW_KNOWN;
    return st;
}

/* Insert, rewrite or move row i as s->m_flag[i] says; afterwards it is known. */
static hs_status save_row(hs_store *s, const hs_incidents *t, size_t i, hs_error *err)
{
    uint8_t flag = s->m_flag[i];
    if (flag == ROW_KNOWN)
        return HS_OK;
    if (flag == ROW_MOVED)
        return move_row(s, t, i, err);
    if (t->state[i] == HS_ROW_PENDING)
        return hs_error_set(err, HS_EINVAL, t->sources[t->source[i]].path, 0,
                            (long)t->source_row[i],
                            "row is still pending: place or fail every row before "
                            "hs_store_save_results");
    char hex[17];
    sqlite3_stmt *q = flag == ROW_NEW ? s->insert : s->update;
    bind_row(s, q, t, i, hex);
    if (flag != ROW_NEW)
        sqlite3_bind_int64(q, N_ROW_COLUMNS + 1, s->m_rowid[i]);
    hs_status st = step_done(s, q, "cannot store an incident", err);
    if (st != HS_OK)
        return st;
    if (flag == ROW_NEW)
        s->m_rowid[i] = sqlite3_last_insert_rowid(s->db);
    s->m_flag[i] = ROW_KNOWN;
    return HS_OK;
}

hs_status hs_store_save_results(hs_store *s, const hs_incidents *t, hs_error *err)
{
    hs_status st = need_run(s, "hs_store_save_results", err);
    if (st != HS_OK)
        return st;
    st = same_table(s, "hs_store_save_results", s->m_flag, s->m_n, t->n, "merged", err);
    size_t since = 0;
    for (size_t i = 0; i < t->n && st == HS_OK; i++) {
        st = save_row(s, t, i, err);
        if (st == HS_OK)
            st = tick(s, &since, err);
    }
    if (st == HS_OK)
        st = poll_rows(s, since, err);
    return st;
}

/* ---- window and load ------------------------------------------------------------------ */

hs_status hs_store_window(hs_store *s, int window_months, char min_month[HS_STORE_MONTH_SIZE],
                          hs_error *err)
{
    min_month[0] = '\0';
    if (window_months <= 0)
        return HS_OK;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(
        s->db, "SELECT max(month) FROM incidents WHERE " HS_VALID_MONTH("month"), -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot read the months", err);
    rc = sqlite3_step(q);
    int year = 0, month = 0;
    int have = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL &&
               sscanf(column_str(q, 0), "%4d-%2d", &year, &month) == 2 && month >= 1 && month <= 12;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return db_fail(s, rc, "cannot read the months", err);
    if (!have)
        return HS_OK;
    int index = year * 12 + (month - 1) - (window_months - 1);
    if (index < 0)
        return HS_OK;
    snprintf(min_month, HS_STORE_MONTH_SIZE, "%04d-%02d", index / 12 % 10000, index % 12 + 1);
    return HS_OK;
}

/* SQL: incident i is in the window starting at month ?1 ('' = no limit); undated rows are. */
#define HS_IN_WINDOW "(?1 = '' OR i.month >= ?1 OR NOT " HS_VALID_MONTH("i.month") ")"

static hs_status count_window(hs_store *s, const char *min_month, size_t *n, hs_error *err)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM incidents i WHERE " HS_IN_WINDOW, -1,
                                &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot count the stored incidents", err);
    sqlite3_bind_text(q, 1, min_month, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    *n = rc == SQLITE_ROW ? (size_t)sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? HS_OK : db_fail(s, rc, "cannot count the stored incidents", err);
}

static hs_status alloc_load(hs_store *s, size_t n)
{
    free_load(s);
    size_t cap = n ? n : 1;
    s->l_rowid = calloc(cap, sizeof *s->l_rowid);
    s->l_state = calloc(cap, sizeof *s->l_state);
    s->l_ward = calloc(cap, sizeof *s->l_ward);
    s->l_groups = calloc(cap, sizeof *s->l_groups);
    if (!s->l_rowid || !s->l_state || !s->l_ward || !s->l_groups) {
        free_load(s);
        return HS_ENOMEM;
    }
    return HS_OK;
}

/* Columns of the load query. */
enum {
    L_ID,
    L_KIND,
    L_KEY,
    L_ROW,
    L_LINE,
    L_TEXT0, /* 7 text columns, month to raw */
    L_IN_X = L_TEXT0 + 7,
    L_IN_Y,
    L_WEIGHT,
    L_STATE,
    L_METHOD,
    L_SCORE,
    L_PRECISION,
    L_REASON,
    L_X,
    L_Y,
    L_WARD,
    L_GROUPS
};

/* One source's incidents in the window, in file order (the incidents_order index). */
static const char *const load_sql =
    "SELECT i.id, i.key_kind, i.key, i.source_row, i.source_line, i.month, i.category,"
    " i.location, i.postcode, i.lsoa_code, i.lsoa_name, i.raw, i.in_x, i.in_y, i.weight,"
    " i.state, i.method, i.score, i.precision_m, i.reason, i.x, i.y, i.ward_code, i.groups"
    " FROM incidents i WHERE i.source_id = ?2 AND " HS_IN_WINDOW " ORDER BY i.source_row, i.id";

/* Append the query's current row to t (source index src). */
static hs_status load_row(hs_store *s, hs_incidents *t, uint32_t src, sqlite3_stmt *q)
{
    size_t i;
    hs_status st = hs_incidents_append(t, src, sqlite3_column_int64(q, L_ROW),
                                       sqlite3_column_int64(q, L_LINE), &i);
    if (st != HS_OK)
        return st;
    if (sqlite3_column_int(q, L_KIND) == KEY_ID) {
        const char *id = column_str(q, L_KEY);
        st = hs_incidents_set_str(t, t->id, i, id, strlen(id));
    }
    size_t *text_cols[] = {t->month,     t->category,  t->location, t->postcode,
                           t->lsoa_code, t->lsoa_name, t->raw};
    for (int c = 0; c < 7 && st == HS_OK; c++) {
        const char *v = column_str(q, L_TEXT0 + c);
        st = hs_incidents_set_str(t, text_cols[c], i, v, strlen(v));
    }
    if (st != HS_OK)
        return st;
    t->in_x[i] = column_real_or_nan(q, L_IN_X);
    t->in_y[i] = column_real_or_nan(q, L_IN_Y);
    t->weight[i] =
        sqlite3_column_type(q, L_WEIGHT) == SQLITE_NULL ? 1.0 : sqlite3_column_double(q, L_WEIGHT);
    hs_row_state stored = state_from_text(column_str(q, L_STATE));
    t->method[i] = (uint8_t)method_from_text(column_str(q, L_METHOD));
    t->score[i] = (float)sqlite3_column_double(q, L_SCORE);
    t->precision_m[i] = (float)column_real_or_nan(q, L_PRECISION);
    t->x[i] = column_real_or_nan(q, L_X);
    t->y[i] = column_real_or_nan(q, L_Y);
    t->state[i] = stored == HS_ROW_FAILED ? HS_ROW_FAILED : HS_ROW_PLACED;
    if (stored == HS_ROW_FAILED) {
        const char *reason = column_str(q, L_REASON);
        st = hs_incidents_set_str(t, t->reason, i, reason, strlen(reason));
    }
    s->l_rowid[i] = sqlite3_column_int64(q, L_ID);
    s->l_state[i] = (uint8_t)stored;
    s->l_ward[i] = text_tag((const char *)sqlite3_column_text(q, L_WARD));
    s->l_groups[i] = (uint32_t)sqlite3_column_int64(q, L_GROUPS);
    return st;
}

/* Load the window's rows of the source in the current row of src_q (id, name, path, crs,
 * format); the source is added to t only when it has rows. cap bounds t->n. */
static hs_status load_source(hs_store *s, hs_incidents *t, sqlite3_stmt *src_q,
                             sqlite3_stmt *rows_q, size_t cap, size_t *since, hs_error *err)
{
    sqlite3_bind_int64(rows_q, 2, sqlite3_column_int64(src_q, 0));
    uint32_t src = 0;
    int added = 0, rc;
    hs_status st = HS_OK;
    while (st == HS_OK && (rc = sqlite3_step(rows_q)) == SQLITE_ROW) {
        if (t->n == cap) {
            st = hs_error_set(err, HS_EINTERNAL, s->path, 0, 0,
                              "the store changed while it was read (is the job lock held?)");
            break;
        }
        if (!added) {
            const char *path = sqlite3_column_type(src_q, 2) == SQLITE_NULL ? column_str(src_q, 1)
                                                                            : column_str(src_q, 2);
            st = hs_incidents_add_source(t, path, column_str(src_q, 3), column_str(src_q, 4), &src);
            added = 1;
        }
        if (st == HS_OK)
            st = load_row(s, t, src, rows_q);
        if (st == HS_ENOMEM)
            hs_error_set(err, st, s->path, 0, 0, "out of memory loading %zu rows", cap);
        if (st == HS_OK)
            st = tick(s, since, err);
    }
    if (st == HS_OK && rc != SQLITE_DONE)
        st = db_fail(s, rc, "cannot read the stored incidents", err);
    sqlite3_reset(rows_q);
    return st;
}

hs_status hs_store_load_incidents(hs_store *s, const char *min_month, hs_incidents *t,
                                  hs_error *err)
{
    if (t->n != 0 || t->nsources != 0)
        return hs_error_set(err, HS_EINVAL, s->path, 0, 0,
                            "hs_store_load_incidents needs an empty table");
    if (min_month == NULL)
        min_month = "";
    size_t n = 0;
    hs_status st = count_window(s, min_month, &n, err);
    if (st != HS_OK)
        return st;
    if (alloc_load(s, n) != HS_OK)
        return hs_error_set(err, HS_ENOMEM, s->path, 0, 0, "out of memory loading %zu rows", n);
    sqlite3_stmt *src_q = NULL, *rows_q = NULL;
    /* Sources in name order: the same order whatever order the files were first seen in. */
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, name, path, crs, format FROM sources"
                                " ORDER BY name",
                                -1, &src_q, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, load_sql, -1, &rows_q, NULL);
    if (rc != SQLITE_OK)
        st = db_fail(s, rc, "cannot read the stored incidents", err);
    else
        sqlite3_bind_text(rows_q, 1, min_month, -1, SQLITE_STATIC);
    s->polling = 1;
    size_t since = 0;
    while (st == HS_OK && (rc = sqlite3_step(src_q)) == SQLITE_ROW)
        st = load_source(s, t, src_q, rows_q, n, &since, err);
    if (st == HS_OK && rc != SQLITE_DONE)
        st = db_fail(s, rc, "cannot read the stored sources", err);
    s->polling = 0;
    sqlite3_finalize(src_q);
    sqlite3_finalize(rows_q);
    if (st == HS_OK)
        st = poll_rows(s, since, err);
    s->l_n = t->n;
    if (st != HS_OK)
        free_load(s);
    return st;
}

/* ---- units and aggregates ------------------------------------------------------------- */

/* Store row i's state, ward code and group bits when one of them changed since the load. */
static hs_status unit_row(hs_store *s, const hs_incidents *t, size_t i,
                          const char *const *ward_codes, size_t nwards, hs_error *err)
{
    int32_t w = t->ward[i];
    if (w >= 0 && (size_t)w >= nwards)
        return hs_error_set(err, HS_EINVAL, s->path, 0, (long)(i + 1),
                            "ward index %ld of row %zu is not below %zu wards", (long)w, i + 1,
                            nwards);
    if (t->state[i] == HS_ROW_PENDING)
        return hs_error_set(err, HS_EINVAL, s->path, 0, (long)(i + 1),
                            "row %zu of the loaded table is pending", i + 1);
    const char *code = w >= 0 ? ward_codes[w] : NULL;
    uint64_t tag = text_tag(code);
    if (t->state[i] == s->l_state[i] && tag == s->l_ward[i] && t->groups[i] == s->l_groups[i])
        return HS_OK;
    sqlite3_stmt *q = s->units;
    sqlite3_bind_text(q, 1, state_text((hs_row_state)t->state[i]), -1, SQLITE_STATIC);
    bind_text_or_null(q, 2, code);
    sqlite3_bind_int64(q, 3, t->groups[i]);
    sqlite3_bind_int64(q, 4, s->run);
    sqlite3_bind_int64(q, 5, s->l_rowid[i]);
    hs_status st = step_done(s, q, "cannot store the wards of incidents", err);
    if (st == HS_OK) {
        s->l_state[i] = t->state[i];
        s->l_ward[i] = tag;
        s->l_groups[i] = t->groups[i];
    }
    return st;
}

hs_status hs_store_update_units(hs_store *s, const hs_incidents *t, const char *const *ward_codes,
                                size_t nwards, hs_error *err)
{
    hs_status st = need_run(s, "hs_store_update_units", err);
    if (st != HS_OK)
        return st;
    st = same_table(s, "hs_store_update_units", s->l_rowid, s->l_n, t->n, "loaded", err);
    size_t since = 0;
    for (size_t i = 0; i < t->n && st == HS_OK; i++) {
        st = unit_row(s, t, i, ward_codes, nwards, err);
        if (st == HS_OK)
            st = tick(s, &since, err);
    }
    if (st == HS_OK)
        st = poll_rows(s, since, err);
    return st;
}

/* floor(v / ?2) in SQL without floor() (an optional SQLite function): truncate, and step
 * down for negative non-integral quotients. */
#define HS_FLOOR_DIV(v) "(CAST(" v " / ?2 AS INTEGER) - (" v " / ?2 < CAST(" v " / ?2 AS INTEGER)))"
/* Placed incidents of valid months >= ?1. "+month": a full scan beats the month index when
 * most rows are read. */
#define HS_PLACED_FROM_MONTH " state = 'placed' AND +month >= ?1 AND " HS_VALID_MONTH("month")

/* One aggregate table: the SELECT's unit columns (after month) and the INSERT. */
typedef struct agg_kind {
    const char *units;      /* unit expressions, GROUP BY with month */
    const char *where;      /* extra condition */
    int nunits;             /* unit columns */
    const char *delete_sql; /* clear the window: ?1 = min_month, ?2 = cell_m */
    const char *insert_sql; /* ?1 month, ?2.. units, then group, n, run (and cell_m) */
} agg_kind;

static const agg_kind ward_agg = {
    "ward_code", "ward_code IS NOT NULL", 1, "DELETE FROM ward_months WHERE month >= ?1",
    "INSERT INTO ward_months (month, ward_code, group_name, n, run) VALUES (?1, ?2, ?3, ?4, ?5)"};

static const agg_kind cell_agg = {
    HS_FLOOR_DIV("x") ", " HS_FLOOR_DIV("y"), "x IS NOT NULL AND y IS NOT NULL", 2,
    "DELETE FROM cell_months WHERE month >= ?1 AND cell_m = ?2",
    "INSERT INTO cell_months (month, ix, iy, group_name, n, run, cell_m)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"};

/* "SELECT month, <units>, count(*), sum((groups >> 0) & 1), ... GROUP BY month, <units>":
 * one pass over the incidents gives every group's count. */
static void build_agg_select(const agg_kind *k, size_t ngroups, char *sql, size_t n)
{
    size_t o = (size_t)snprintf(sql, n, "SELECT month, %s, count(*)", k->units);
    for (size_t g = 0; g < ngroups; g++)
        o += (size_t)snprintf(sql + o, n - o, ", sum((groups >> %zu) & 1)", g);
    o += (size_t)snprintf(sql + o, n - o, " FROM incidents WHERE %s AND" HS_PLACED_FROM_MONTH,
                          k->where);
    snprintf(sql + o, n - o, " GROUP BY 1, 2%s", k->nunits == 2 ? ", 3" : "");
}

/* Insert the non-zero counts of the SELECT's current row: "all", then each group. */
static hs_status insert_counts(hs_store *s, const agg_kind *k, sqlite3_stmt *sel, sqlite3_stmt *ins,
                               const char *const *group_names, size_t ngroups, double cell_m,
                               hs_error *err)
{
    int first_count = 1 + k->nunits;
    hs_status st = HS_OK;
    for (int g = -1; g < (int)ngroups && st == HS_OK; g++) {
        int64_t count = sqlite3_column_int64(sel, first_count + 1 + g);
        if (count == 0)
            continue;
        for (int c = 0; c <= k->nunits; c++)
            sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
        sqlite3_bind_text(ins, k->nunits + 2, g < 0 ? "all" : group_names[g], -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, k->nunits + 3, count);
        sqlite3_bind_int64(ins, k->nunits + 4, s->run);
        if (k->nunits == 2)
            sqlite3_bind_double(ins, 7, cell_m);
        st = step_done(s, ins, "cannot write the monthly counts", err);
    }
    return st;
}

/* Recompute one aggregate table for the months >= min_month. */
static hs_status aggregate_table(hs_store *s, const agg_kind *k, const char *min_month,
                                 const char *const *group_names, size_t ngroups, double cell_m,
                                 hs_error *err)
{
    char sql[2048];
    build_agg_select(k, ngroups, sql, sizeof sql);
    sqlite3_stmt *del = NULL, *sel = NULL, *ins = NULL;
    int rc = sqlite3_prepare_v2(s->db, k->delete_sql, -1, &del, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, sql, -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, k->insert_sql, -1, &ins, NULL);
    hs_status st = rc == SQLITE_OK ? HS_OK : db_fail(s, rc, "cannot write the monthly counts", err);
    if (st == HS_OK) {
        sqlite3_bind_text(del, 1, min_month, -1, SQLITE_STATIC);
        if (k->nunits == 2)
            sqlite3_bind_double(del, 2, cell_m);
        st = step_done(s, del, "cannot write the monthly counts", err);
    }
    if (st == HS_OK) {
        sqlite3_bind_text(sel, 1, min_month, -1, SQLITE_STATIC);
        if (k->nunits == 2)
            sqlite3_bind_double(sel, 2, cell_m);
    }
    /* SQLite reads the SELECT as it goes; the inserts go to another table, so both may run
     * on one connection at once. */
    while (st == HS_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW)
        st = insert_counts(s, k, sel, ins, group_names, ngroups, cell_m, err);
    if (st == HS_OK && rc != SQLITE_DONE)
        st = db_fail(s, rc, "cannot read the incidents for the monthly counts", err);
    sqlite3_finalize(del);
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    return st;
}

hs_status hs_store_write_aggregates(hs_store *s, const char *min_month,
                                    const char *const *group_names, size_t ngroups, double cell_m,
                                    hs_error *err)
{
    hs_status st = need_run(s, "hs_store_write_aggregates", err);
    if (st != HS_OK)
        return st;
    if (ngroups > 32)
        return hs_error_set(err, HS_EINVAL, s->path, 0, 0, "%zu groups, at most 32", ngroups);
    if (min_month == NULL)
        min_month = "";
    s->polling = 1;
    st = aggregate_table(s, &ward_agg, min_month, group_names, ngroups, cell_m, err);
    if (st == HS_OK && cell_m > 0.0)
        st = aggregate_table(s, &cell_agg, min_month, group_names, ngroups, cell_m, err);
    s->polling = 0;
    return st;
}

/* ---- geocode cache -------------------------------------------------------------------- */

/* Append part to the key at buf[*o] (size n), preceded by 0x1F unless first. */
static hs_status key_append(const char *part, int first, char *buf, size_t *o, size_t n)
{
    size_t len = strlen(part);
    if (memchr(part, '\x1f', len) != NULL || *o + len + 2 > n)
        return HS_EINVAL;
    if (!first)
        buf[(*o)++] = '\x1f';
    memcpy(buf + *o, part, len);
    *o += len;
    buf[*o] = '\0';
    return HS_OK;
}

hs_status hs_store_cache_key(const char *const *parts, const hs_store_normalize_fn *norms,
                             size_t nparts, char *buf, size_t n)
{
    if (n == 0)
        return HS_EINVAL;
    size_t o = 0;
    buf[0] = '\0';
    char normalised[HS_STORE_KEY_SIZE];
    hs_status st = HS_OK;
    for (size_t k = 0; k < nparts && st == HS_OK; k++) {
        const char *use = parts[k] ? parts[k] : "";
        hs_store_normalize_fn norm = norms ? norms[k] : NULL;
        /* A part the normaliser refuses is kept as given: a miss, never a wrong hit. */
        if (norm != NULL && norm(use, strlen(use), normalised, sizeof normalised) == HS_OK)
            use = normalised;
        st = key_append(use, k == 0, buf, &o, n);
    }
    if (st != HS_OK)
        buf[0] = '\0';
    return st;
}

hs_status hs_store_cache_lookup(hs_store *s, const char *key, int *found, hs_store_geocode *g,
                                hs_error *err)
{
    *found = 0;
    memset(g, 0, sizeof *g);
    sqlite3_stmt *q = s->cache_get;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *found = 1;
        g->placed = sqlite3_column_int(q, 0) != 0;
        g->x_m = column_real_or_nan(q, 1);
        g->y_m = column_real_or_nan(q, 2);
        g->method = method_from_text(column_str(q, 3));
        g->score = sqlite3_column_double(q, 4);
        g->precision_m = column_real_or_nan(q, 5);
        snprintf(g->reason, sizeof g->reason, "%s", column_str(q, 6));
    }
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(s, rc, "cannot read the geocode cache", err);
    if (!*found || s->run == 0)
        return HS_OK;
    sqlite3_bind_text(s->cache_hit, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->cache_hit, 2, s->run);
    return step_done(s, s->cache_hit, "cannot update the geocode cache", err);
}

hs_status hs_store_cache_put(hs_store *s, const char *key, const hs_store_geocode *g, hs_error *err)
{
    hs_status st = need_run(s, "hs_store_cache_put", err);
    if (st != HS_OK)
        return st;
    sqlite3_stmt *q = s->cache_put;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, g->placed != 0);
    bind_real_or_null(q, 3, g->x_m);
    bind_real_or_null(q, 4, g->y_m);
    bind_text_or_null(q, 5, hs_method_name(g->method));
    bind_real_or_null(q, 6, g->score);
    bind_real_or_null(q, 7, g->precision_m);
    bind_text_or_null(q, 8, g->reason);
    sqlite3_bind_int64(q, 9, s->run);
    return step_done(s, q, "cannot write the geocode cache", err);
}

hs_status hs_store_cache_clear(hs_store *s, hs_error *err)
{
    hs_status st = need_run(s, "hs_store_cache_clear", err);
    if (st != HS_OK)
        return st;
    return exec_sql(s, "DELETE FROM geocode_cache", "cannot clear the geocode cache", err);
}

/* ---- meta and summary ----------------------------------------------------------------- */

hs_status hs_store_meta_get(hs_store *s, const char *key, char *buf, size_t n, int *found,
                            hs_error *err)
{
    *found = 0;
    if (n > 0)
        buf[0] = '\0';
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot read meta", err);
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *found = 1;
        snprintf(buf, n, "%s", column_str(q, 0));
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? HS_OK : db_fail(s, rc, "cannot read meta", err);
}

hs_status hs_store_meta_set(hs_store *s, const char *key, const char *value, hs_error *err)
{
    hs_status st = need_run(s, "hs_store_meta_set", err);
    return st != HS_OK ? st : meta_put(s, key, value, err);
}

hs_status hs_store_summarize(hs_store *s, hs_store_summary *sum, hs_error *err)
{
    memset(sum, 0, sizeof *sum);
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(
        s->db,
        "SELECT (SELECT count(*) FROM incidents),"
        " (SELECT count(*) FROM incidents WHERE state IN ('placed', 'outside')),"
        " (SELECT count(*) FROM geocode_cache),"
        " (SELECT count(*) FROM runs WHERE status = 'ok'),"
        " (SELECT min(month) FROM incidents WHERE " HS_VALID_MONTH(
            "month") "),"
                     " (SELECT max(month) FROM incidents WHERE " HS_VALID_MONTH("month") ")",
        -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(s, rc, "cannot summarise the store", err);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        sum->incidents = (size_t)sqlite3_column_int64(q, 0);
        sum->placed = (size_t)sqlite3_column_int64(q, 1);
        sum->cache_entries = (size_t)sqlite3_column_int64(q, 2);
        sum->runs_ok = (size_t)sqlite3_column_int64(q, 3);
        snprintf(sum->first_month, sizeof sum->first_month, "%s", column_str(q, 4));
        snprintf(sum->last_month, sizeof sum->last_month, "%s", column_str(q, 5));
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? HS_OK : db_fail(s, rc, "cannot summarise the store", err);
}

/* store.h - the job's state store: what earlier runs learnt, so that the nightly run is
 * incremental (only rows never seen are geocoded), idempotent (running again over the same
 * files adds nothing) and safe to interrupt (one transaction per run; a failed or stopped
 * run leaves the store as it was).
 *
 * One SQLite file per job ([job] store, default "<output>.store.sqlite"), WAL journal,
 * synchronous=NORMAL. Plain SQLite: SpatiaLite is not loaded, as no spatial SQL is needed;
 * positions are REAL columns x, y in the job CRS, which the store records at creation and
 * checks at every open. The file is identified by PRAGMA application_id 0x48535354 ("HSST")
 * and its schema version is meta.schema_version (also PRAGMA user_version).
 *
 * Tables (analysts may read them with sqlite3 or QGIS; WAL lets them read during a run):
 *   meta(key, value)           schema_version, crs, created_utc, hotspot_version, and what
 *                              the CLI keeps with hs_store_meta_set (e.g. gazetteer checksum)
 *   runs                       id, started_utc, finished_utc, status (running, ok, failed,
 *                              cancelled, interrupted), the run's row counts
 *   sources(id, name, ...)     every file name seen: last path, CRS, format, first/last run
 *   incidents                  one row per incident ever read: source_id, key, the row's
 *                              text, given coordinates, result (state placed / outside /
 *                              failed, method, score, precision_m, reason, x, y), ward_code,
 *                              groups (bit g = job group g), first_run, updated_run
 *   incidents_named (view)     incidents with the source's file name and incident_id
 *   geocode_cache(key, ...)    geocoder answers by query key: placed, x, y, method, score,
 *                              precision_m or the failure reason; hits, first/last run
 *   ward_months                (month, ward_code, group_name) -> n
 *   cell_months                (cell_m, month, ix, iy, group_name) -> n; the cell of (x, y)
 *                              at size cell_m is ix = floor(x / cell_m), iy = floor(y / cell_m):
 *                              its south-west corner is (ix * cell_m, iy * cell_m). In an
 *                              hs_grid g of that cell size: col = ix - g.xmin_m / cell_m,
 *                              row = g.ymax_m / cell_m - 1 - iy.
 * group_name is "all" (every placed incident) or a job group; zero counts are not stored.
 *
 * Incident key: (source, key_kind, key, occurrence), where source is the file name without
 * folders (hs_source.name; the same name in two folders is one source: give every period's
 * file its own name). key_kind 0: key is the row's id (Crime ID). key_kind 1 (no id, e.g.
 * police.uk anti-social behaviour): key is a 64-bit hash of the row's content, as 16
 * lower-case hex digits. occurrence numbers the rows of one file with the same (key_kind,
 * key) in file order, from 1: two identical ASB rows in a month are two incidents, and a
 * Crime ID that a file reuses for two different rows (3 times in Kent's January 2024 file)
 * gives two incidents. The content hash covers id, month, category, location, postcode, LSOA
 * code and name, raw text, given x, y (printed "%.17g", "" when absent) and weight, each
 * followed by byte 0x1F, hashed with 64-bit FNV-1a and finished with the MurmurHash3 fmix64
 * mixer; a second hash of the same bytes with another seed (the content column) tells a
 * corrected row from the stored one. Changing either hash changes the schema version.
 *
 * What the analysis sees: every incident in the store within the rolling window (all months
 * seen so far, whether or not their files are given this run), loaded with
 * hs_store_load_incidents. So adding a month and running again geocodes only the new rows
 * and gives the same analysis input, row for row, as a fresh run over all the months.
 * Rows with no valid month (YYYY-MM) are always in the window: they cannot be dated. Rows
 * come ordered by source file name, then source_row, so the order does not depend on the
 * order in which runs met the files.
 *
 * A run, in order (every call below needs an open run, except open, close, window,
 * cache lookup, meta get and summarize):
 *   hs_store_open(job->store, job->crs)      after taking the job lock (cli/lock.h)
 *   hs_store_begin                            marks runs left 'running' as 'interrupted'
 *   hs_store_merge_incidents(this run's rows) known rows get their stored result; new or
 *                                             corrected rows stay PENDING
 *   place / geocode the PENDING rows          hs_store_cache_lookup / _put around the geocoder
 *   hs_store_save_results(the same table)     stores the results of the PENDING-at-merge rows
 *   hs_store_window(job->window_months)
 *   hs_store_load_incidents(min_month)        the analysis input (fresh table)
 *   wards + groups on that table
 *   hs_store_update_units(that table)         ward code, state, group bits of changed rows
 *   hs_store_write_aggregates(min_month)      ward_months, cell_months of the window
 *   analysis, GeoPackage written and renamed into place
 *   hs_store_commit                           (or hs_store_rollback on failure or a signal)
 *   hs_store_close
 *
 * Threads: a store is one SQLite connection, not thread-safe; use it from one thread (the
 * CLI's main thread). Long calls (merge, save, load, units, aggregates) poll the cancel hook
 * every 4,096 rows (and SQLite's progress handler during SQL) and report progress through
 * the hooks.
 */
#ifndef HS_GEO_STORE_H
#define HS_GEO_STORE_H

#include "engine/status.h"
#include "geo/incidents.h"

#include <stddef.h>
#include <stdint.h>

#define HS_STORE_SCHEMA_VERSION 1
#define HS_STORE_APPLICATION_ID 0x48535354 /* "HSST" */
#define HS_STORE_MONTH_SIZE     8          /* "YYYY-MM" and NUL */
#define HS_STORE_REASON_SIZE    256        /* failure reason text, with NUL */
#define HS_STORE_KEY_SIZE       1024       /* geocode cache key, with NUL */

typedef struct hs_store hs_store;

/* Open the store at path, creating it (and its parent folders) when the file does not exist
 * or is empty. crs (e.g. "EPSG:27700") is recorded in a new store and must equal the one
 * recorded in an existing store (NULL skips the check). Fails with HS_EDATA naming the file:
 * not an SQLite database, a GeoPackage or another application's database, a hotspot store
 * of another schema version, or one made for another CRS; HS_EIO when it cannot be created;
 * HS_EBUSY when another program holds a write lock on it for more than 5 s. */
hs_status hs_store_open(const char *path, const char *crs, hs_store **out, hs_error *err);

/* Close the store. An open run is rolled back and marked 'failed'. NULL does nothing. */
void hs_store_close(hs_store *s);

/* The path the store was opened with. */
const char *hs_store_path(const hs_store *s);

/* Hooks for long calls; both optional. */
typedef struct hs_store_hooks {
    int (*cancelled)(void);                 /* nonzero = stop with HS_ECANCELLED */
    void (*progress)(void *user, size_t n); /* n more rows done (merge, save, load, units) */
    void *user;                             /* passed to progress */
} hs_store_hooks;

/* Set the hooks (copied); NULL removes them. */
void hs_store_set_hooks(hs_store *s, const hs_store_hooks *h);

/* ---- runs ----------------------------------------------------------------------------- */

/* Start a run: records it in runs (status 'running', committed at once so that even a
 * killed run leaves a trace), marks runs still 'running' from earlier processes as
 * 'interrupted' (the caller holds the job lock, so they are dead), then opens the run's
 * write transaction. *run_id (may be NULL) receives the run's id. Fails with HS_EINVAL when
 * a run is already open, HS_EBUSY when another program is writing, HS_EIO otherwise. */
hs_status hs_store_begin(hs_store *s, int64_t *run_id, hs_error *err);

/* The open run's id, or 0 when none. */
int64_t hs_store_run_id(const hs_store *s);

/* Commit the run: everything written since hs_store_begin becomes durable at once, with the
 * run's status 'ok', its merge counts and the analysed counts c (may be NULL). Fails with
 * HS_EIO (the run is then rolled back and marked 'failed') or HS_EINVAL (no open run). */
hs_status hs_store_commit(hs_store *s, const hs_incident_counts *c, hs_error *err);

/* Roll the run back: the store holds exactly what it held before hs_store_begin; the run is
 * marked 'cancelled' when why is HS_ECANCELLED, else 'failed'. Does nothing without an open
 * run. Fails with HS_EIO only when the status cannot be recorded (the rollback itself
 * cannot leave partial writes: SQLite discards an unfinished transaction at the next open). */
hs_status hs_store_rollback(hs_store *s, hs_status why, hs_error *err);

/* ---- incidents ------------------------------------------------------------------------ */

/* hs_store_merge_incidents flags. */
#define HS_STORE_RETRY_FAILED                                                                      \
    1u /* known rows whose geocoding failed are PENDING again                                      \
          (after a gazetteer update); not rows failed at ingest */
#define HS_STORE_REPLACE_SOURCES                                                                   \
    2u /* each file given is complete: stored rows of the same                                     \
          file name that it no longer holds are deleted (a                                         \
          republished month with corrections). Off: rows are                                       \
          only ever added or corrected. */

typedef struct hs_store_merge_stats {
    size_t rows;         /* rows merged (t->n) */
    size_t new_rows;     /* not in the store: left as ingested (PENDING, or FAILED at ingest) */
    size_t known_rows;   /* stored with the same content: stored result copied into t */
    size_t changed_rows; /* same key, different content (a corrected file): left as ingested */
    size_t retried_rows; /* known, had failed, PENDING again (HS_STORE_RETRY_FAILED) */
    size_t removed_rows; /* deleted from the store (HS_STORE_REPLACE_SOURCES) */
} hs_store_merge_stats;

/* Match every row of t (this run's ingested files) against the store by its key, recording
 * t's sources. Known rows
 * that are PENDING get the stored result: state PLACED (also for rows stored as outside the
 * study area: ward assignment runs again) or FAILED with its reason, and method, score,
 * precision_m, x, y. Ward and groups are not copied. Other rows are left untouched, so the
 * caller places and geocodes exactly the rows still PENDING. Remembers, for
 * hs_store_save_results, which rows of t are new or must be rewritten (call save before
 * merging another table). stats may be NULL. Fails with HS_EINVAL (no open run), HS_ENOMEM,
 * HS_EIO, HS_ECANCELLED; t may then hold some copied results: roll the run back. */
hs_status hs_store_merge_incidents(hs_store *s, hs_incidents *t, unsigned flags,
                                   hs_store_merge_stats *stats, hs_error *err);

/* Store the rows of t that the last merge left for processing (new, changed, retried), with
 * their results, and update the stored position (source_row, source_line) of known rows
 * whose file moved them. t must be the merged table (same rows), after placement and
 * geocoding: a row still PENDING fails with HS_EINVAL naming its file and row. State
 * OUTSIDE is stored as is. Calling it twice writes nothing more. Fails with HS_EINVAL,
 * HS_EIO, HS_ECANCELLED. */
hs_status hs_store_save_results(hs_store *s, const hs_incidents *t, hs_error *err);

/* The rolling window: min_month = the latest valid month in the store minus
 * (window_months - 1) months ("2024-03" and 3 -> "2024-01"); "" when window_months <= 0 or
 * the store has no dated incident (= no limit). Fails with HS_EIO. */
hs_status hs_store_window(hs_store *s, int window_months, char min_month[HS_STORE_MONTH_SIZE],
                          hs_error *err);

/* Fill t (initialised and empty) with every stored incident whose month is >= min_month
 * (NULL or "" = all), plus those without a valid month, ordered by source file name, then
 * source_row (then insertion, for rows a republished file moved onto the same row). Sources are the
 * stored file names (path, CRS and format as last seen). Rows come back PLACED (stored placed or
 * outside) or FAILED with their reason; ward = -1 and groups = 0 (run the wards and groups stages
 * on t). Remembers the rows for hs_store_update_units. Fails with HS_EINVAL (t not empty),
 * HS_ENOMEM, HS_EIO, HS_ECANCELLED. */
hs_status hs_store_load_incidents(hs_store *s, const char *min_month, hs_incidents *t,
                                  hs_error *err);

/* After wards and groups ran on the table from hs_store_load_incidents: store each row's
 * state (placed / outside / failed), ward code (ward_codes[t->ward[i]], NULL when -1) and
 * group bits, writing only the rows where one of them changed. nwards bounds the ward
 * indices. Fails with HS_EINVAL (another table, a ward index >= nwards, no open run),
 * HS_EIO, HS_ECANCELLED. */
hs_status hs_store_update_units(hs_store *s, const hs_incidents *t, const char *const *ward_codes,
                                size_t nwards, hs_error *err);

/* Recompute the monthly counts of placed incidents (state placed, so inside a ward) for the
 * months >= min_month ("" = all) from the stored incidents: ward_months per (month, ward,
 * group) and, when cell_m > 0, cell_months per (month, cell at cell_m, group). Groups are
 * "all" (every placed incident) and group_names[g] for the incidents with bit g set (call
 * after hs_store_update_units). Counts for earlier months, and cell_months of other cell
 * sizes, are kept: they are the trend history. Fails with HS_EINVAL (ngroups > 32 or no
 * open run), HS_EIO, HS_ECANCELLED. */
hs_status hs_store_write_aggregates(hs_store *s, const char *min_month,
                                    const char *const *group_names, size_t ngroups, double cell_m,
                                    hs_error *err);

/* ---- geocode cache -------------------------------------------------------------------- */

/* A geocoder answer as the cache keeps it. */
typedef struct hs_store_geocode {
    int placed;                        /* 1 = placed; 0 = failed, see reason */
    double x_m;                        /* easting, job CRS; NaN when not placed */
    double y_m;                        /* northing, job CRS; NaN when not placed */
    hs_method method;                  /* how; HS_METHOD_NONE when not placed */
    double score;                      /* 0..1 */
    double precision_m;                /* metres; NaN when unknown */
    char reason[HS_STORE_REASON_SIZE]; /* failure reason ("" when placed) */
} hs_store_geocode;

/* A key part normaliser, with the signature of hs_name_normalize (geo/normalize.h):
 * text[0..len) into out (size n); HS_OK, or a failure, in which case the part is kept as
 * given. */
typedef hs_status (*hs_store_normalize_fn)(const char *text, size_t len, char *out, size_t n);

/* Build a cache key from the query's parts: every input the geocoder's answer depends on
 * (location, address, postcode, LSOA code, LSOA name, locality, hint point as text), always
 * in the same order; NULL parts are empty. Part k is normalised with norms[k] when norms and
 * norms[k] are not NULL, else kept verbatim; parts are joined by byte 0x1F. A normaliser may
 * only merge texts the geocoder answers alike (hs_name_normalize is NOT such a normaliser
 * for the location: it drops the commas the cascade splits addresses on); verbatim is always
 * safe. Fails with HS_EINVAL when the key does not fit in n bytes or a part holds byte 0x1F
 * (buf is then "": do not cache that row). Thread-safe. */
hs_status hs_store_cache_key(const char *const *parts, const hs_store_normalize_fn *norms,
                             size_t nparts, char *buf, size_t n);

/* Look key up: *found = 1 and *g filled on a hit (its hit count and last run are updated
 * when a run is open), else *found = 0. Fails with HS_EIO. */
hs_status hs_store_cache_lookup(hs_store *s, const char *key, int *found, hs_store_geocode *g,
                                hs_error *err);

/* Insert or replace the answer for key. Fails with HS_EINVAL (no open run), HS_EIO. */
hs_status hs_store_cache_put(hs_store *s, const char *key, const hs_store_geocode *g,
                             hs_error *err);

/* Forget every cached answer (after the gazetteer changed). HS_EINVAL without a run. */
hs_status hs_store_cache_clear(hs_store *s, hs_error *err);

/* ---- meta and summary ----------------------------------------------------------------- */

/* Read meta[key] into buf (size n, cut to fit); *found = 0 (buf "") when absent. */
hs_status hs_store_meta_get(hs_store *s, const char *key, char *buf, size_t n, int *found,
                            hs_error *err);
/* Set meta[key] = value. HS_EINVAL without an open run, HS_EIO. */
hs_status hs_store_meta_set(hs_store *s, const char *key, const char *value, hs_error *err);

typedef struct hs_store_summary {
    size_t incidents;                      /* stored incidents */
    size_t placed;                         /* of which placed (inside or outside wards) */
    size_t cache_entries;                  /* geocode cache entries */
    size_t runs_ok;                        /* runs committed */
    char first_month[HS_STORE_MONTH_SIZE]; /* earliest valid month; "" when none */
    char last_month[HS_STORE_MONTH_SIZE];  /* latest valid month; "" when none */
} hs_store_summary;

/* Counts for logs and the closing summary. Fails with HS_EIO. */
hs_status hs_store_summarize(hs_store *s, hs_store_summary *sum, hs_error *err);

/* The content hash and key hash of row i (exposed for tests and diagnostics). */
uint64_t hs_store_row_key_hash(const hs_incidents *t, size_t i);
uint64_t hs_store_row_content_hash(const hs_incidents *t, size_t i);

#endif

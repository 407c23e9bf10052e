/* gazetteer.c - build and query the geocoding gazetteer (see gazetteer.h).
 *
 * Must not: do statistics, print, or stop a build for a bad row (rows are reported). CSVs are
 * parsed with libcsv; police.uk files are read by geo/ingest (the project's police.uk reader)
 * and their lon/lat transformed by geo/transform (PROJ, network off).
 *
 * Layout of the file:
 *   named_point(id, kind, name, label, x, y, precision_m, weight, lsoa_code, place, district,
 *               county, postcode_district, source_id)   + index (name, lsoa_code) + R*Tree
 *   postcode(postcode PK, x, y, precision_m, source_id)
 *   lsoa(code PK, name, x, y, radius_m, points)
 *   meta(key PK, value), sources(id, kind, format, path, file_name, bytes, checksum_fnv1a64,
 *                                rows, loaded, skipped, bad)
 * Precision of a postcode from its positional quality indicator (our reading of the OS and
 * ONS product guides: how far the unit's addresses may lie from the centroid): building-level
 * 50 m, unit mean 100 m, imputed 250 m, sector mean 1000 m. Streets and places: half the
 * diagonal of the Open Names bounding box (at least 25 m). Snap points: 10 m (the point
 * police.uk itself publishes; the slack covers later moves of the snap point).
 */
#include "geo/gazetteer.h"

#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/transform.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A physical line longer than this means the file is not of the expected kind. */
#define HS_CSV_MAX_LINE                    (1 << 20)
#define HS_SNAP_PRECISION_M                10.0 /* see the file comment */
#define HS_STR2(x)                         #x
#define HS_STR(x)                          HS_STR2(x)
#define HS_SNAP_PRECISION_TEXT             HS_STR(HS_SNAP_PRECISION_M) /* for SQL */
#define HS_MIN_FEATURE_PRECISION_M         25.0
#define HS_STREET_DEFAULT_PRECISION_M      100.0 /* roads without a bounding box */
#define HS_PLACE_DEFAULT_PRECISION_M       500.0 /* places without a bounding box */
#define HS_OPEN_NAMES_POSTCODE_PRECISION_M 50.0
/* British National Grid extent (metres) used to reject impossible coordinates. */
#define HS_BNG_MAX_X 700000.0
#define HS_BNG_MAX_Y 1300000.0

/* ---- small helpers ---------------------------------------------------------------------- */

static uint64_t fnv1a64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}
#define HS_FNV_OFFSET 14695981039346656037ull

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Copy s without surrounding spaces into out (size n); returns 0 when it does not fit. */
static int trimmed(const char *s, char *out, size_t n)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (len >= n)
        return 0;
    memcpy(out, s, len);
    out[len] = '\0';
    return 1;
}

static int field_is(const char *s, const char *name)
{
    char t[64];
    return trimmed(s, t, sizeof t) && strcasecmp(t, name) == 0;
}

/* Parse a finite number filling the whole field (spaces allowed around). 0 when not. */
static int parse_number(const char *s, double *v)
{
    char t[64];
    if (!trimmed(s, t, sizeof t) || t[0] == '\0')
        return 0;
    char *end;
    errno = 0;
    double d = strtod(t, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(d))
        return 0;
    *v = d;
    return 1;
}

static int field_empty(const char *s)
{
    char t[8];
    return trimmed(s, t, sizeof t) && t[0] == '\0';
}

static int inside_bng(double x, double y)
{
    return x >= 0.0 && x <= HS_BNG_MAX_X && y >= 0.0 && y <= HS_BNG_MAX_Y;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static const char *kind_flag(hs_gazetteer_input_kind k)
{
    switch (k) {
    case HS_GAZ_INPUT_POSTCODES:
        return "postcodes";
    case HS_GAZ_INPUT_STREETS:
        return "streets";
    case HS_GAZ_INPUT_SNAP_POINTS:
        return "snap-points";
    }
    return "?";
}

/* ---- report ----------------------------------------------------------------------------- */

struct hs_gazetteer_report {
    hs_gazetteer_source_stats *src; /* one per input read */
    size_t n_src;                   /* inputs read */
    size_t cap_src;                 /* allocated */
    hs_error *issues;               /* the first HS_GAZETTEER_MAX_ISSUES bad rows */
    size_t n_stored;                /* issues stored */
    size_t cap_issues;              /* allocated */
    size_t n_issues;                /* all bad rows */
};

hs_gazetteer_report *hs_gazetteer_report_create(void)
{
    return calloc(1, sizeof(hs_gazetteer_report));
}

void hs_gazetteer_report_destroy(hs_gazetteer_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_src; i++)
        free((char *)r->src[i].path);
    free(r->src);
    free(r->issues);
    free(r);
}

size_t hs_gazetteer_report_n_sources(const hs_gazetteer_report *r)
{
    return r->n_src;
}

const hs_gazetteer_source_stats *hs_gazetteer_report_source(const hs_gazetteer_report *r, size_t i)
{
    return i < r->n_src ? &r->src[i] : NULL;
}

size_t hs_gazetteer_report_n_issues(const hs_gazetteer_report *r)
{
    return r->n_issues;
}

const hs_error *hs_gazetteer_report_issue(const hs_gazetteer_report *r, size_t i)
{
    return i < r->n_stored ? &r->issues[i] : NULL;
}

/* Add an input to the report; *index receives its slot. */
static hs_status report_add_source(hs_gazetteer_report *r, hs_gazetteer_input_kind kind,
                                   const char *path, size_t *index)
{
    if (r->n_src == r->cap_src) {
        size_t cap = r->cap_src ? 2 * r->cap_src : 8;
        hs_gazetteer_source_stats *s = realloc(r->src, cap * sizeof *s);
        if (s == NULL)
            return HS_ENOMEM;
        r->src = s;
        r->cap_src = cap;
    }
    hs_gazetteer_source_stats *s = &r->src[r->n_src];
    memset(s, 0, sizeof *s);
    s->path = dup_str(path);
    if (s->path == NULL)
        return HS_ENOMEM;
    s->kind = kind;
    s->format = "";
    *index = r->n_src++;
    return HS_OK;
}

/* Record a bad row of input src (counted always, kept while there is room). */
static hs_status report_bad_row(hs_gazetteer_report *r, size_t src, long row, long line,
                                const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static hs_status report_bad_row(hs_gazetteer_report *r, size_t src, long row, long line,
                                const char *fmt, ...)
{
    r->src[src].bad++;
    r->n_issues++;
    if (r->n_stored == HS_GAZETTEER_MAX_ISSUES)
        return HS_OK;
    if (r->n_stored == r->cap_issues) {
        size_t cap = r->cap_issues ? 2 * r->cap_issues : 64;
        hs_error *e = realloc(r->issues, cap * sizeof *e);
        if (e == NULL)
            return HS_ENOMEM;
        r->issues = e;
        r->cap_issues = cap;
    }
    hs_error *e = &r->issues[r->n_stored++];
    hs_error_set(e, HS_EDATA, r->src[src].path, line, row, "%s", "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->what, sizeof e->what, fmt, ap);
    va_end(ap);
    return HS_OK;
}

/* ---- CSV reading (libcsv) ---------------------------------------------------------------- */

typedef struct csv_file csv_file;
/* Called once per record with its fields; returns HS_OK or a fatal status. */
typedef hs_status (*csv_record_fn)(void *ctx, const csv_file *f, char **fields, size_t n);

struct csv_file {
    const char *path;  /* the file */
    long line;         /* physical line being parsed (1-based) */
    long record_line;  /* line where the current record's first field ended */
    uint64_t checksum; /* FNV-1a 64 so far */
    uint64_t bytes;    /* bytes read so far */
    char *buf;         /* the current record's field bytes, each NUL-terminated */
    size_t len;        /* bytes used in buf */
    size_t cap;        /* bytes allocated in buf */
    size_t *off;       /* start of each field in buf */
    char **ptr;        /* field pointers handed to the callback */
    size_t nf;         /* fields in the current record */
    size_t cap_f;      /* slots in off and ptr */
    int has_nul;       /* a field of the current record contains a NUL byte */
    csv_record_fn fn;  /* the record callback */
    void *ctx;         /* its context */
    hs_status status;  /* first failure (memory or from fn); stops the reading */
};

static int csv_grow_fields(csv_file *f)
{
    size_t cap = f->cap_f ? 2 * f->cap_f : 64;
    size_t *off = realloc(f->off, cap * sizeof *off);
    if (off == NULL)
        return 0;
    f->off = off;
    char **ptr = realloc(f->ptr, cap * sizeof *ptr);
    if (ptr == NULL)
        return 0;
    f->ptr = ptr;
    f->cap_f = cap;
    return 1;
}

static void csv_on_field(void *s, size_t len, void *data)
{
    csv_file *f = data;
    if (f->status != HS_OK)
        return;
    if (f->nf == f->cap_f && !csv_grow_fields(f)) {
        f->status = HS_ENOMEM;
        return;
    }
    if (f->len + len + 1 > f->cap) {
        size_t cap = (f->len + len + 1) * 2;
        char *b = realloc(f->buf, cap);
        if (b == NULL) {
            f->status = HS_ENOMEM;
            return;
        }
        f->buf = b;
        f->cap = cap;
    }
    if (f->nf == 0)
        f->record_line = f->line;
    if (len > 0)
        memcpy(f->buf + f->len, s, len);
    if (memchr(f->buf + f->len, '\0', len) != NULL)
        f->has_nul = 1;
    f->off[f->nf++] = f->len;
    f->len += len;
    f->buf[f->len++] = '\0';
}

static void csv_on_record(int c, void *data)
{
    (void)c;
    csv_file *f = data;
    if (f->status == HS_OK && f->nf > 0) {
        for (size_t i = 0; i < f->nf; i++)
            f->ptr[i] = f->buf + f->off[i];
        f->status = f->fn(f->ctx, f, f->ptr, f->nf);
    }
    f->nf = 0;
    f->len = 0;
    f->has_nul = 0;
}

static void csv_file_free(csv_file *f)
{
    free(f->buf);
    free(f->off);
    free(f->ptr);
}

/* Feed one physical line to the parser (the BOM is dropped from line 1). */
static hs_status csv_feed_line(csv_file *f, struct csv_parser *p, char *line, size_t len,
                               hs_error *err)
{
    f->checksum = fnv1a64(f->checksum, line, len);
    f->bytes += len;
    if (len > HS_CSV_MAX_LINE)
        return hs_error_set(err, HS_EDATA, f->path, f->line, 0,
                            "line longer than %d bytes: not a CSV of the expected kind",
                            HS_CSV_MAX_LINE);
    size_t skip = 0;
    if (f->line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
        skip = 3;
    if (csv_parse(p, line + skip, len - skip, csv_on_field, csv_on_record, f) != len - skip)
        return hs_error_set(err, HS_EDATA, f->path, f->line, 0, "CSV parse error: %s",
                            csv_strerror(csv_error(p)));
    return HS_OK;
}

/* Read the CSV at path, calling fn for each record. *checksum and *bytes describe the file.
 * Fails with HS_EDATA (cannot open, empty, too long a line), HS_ENOMEM or fn's status. */
static hs_status csv_read(const char *path, csv_record_fn fn, void *ctx, uint64_t *checksum,
                          uint64_t *bytes, hs_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open: %s", strerror(errno));
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(fp);
        return hs_error_set(err, HS_ENOMEM, path, 0, 0, "cannot create a CSV parser");
    }
    csv_file f = {.path = path, .checksum = HS_FNV_OFFSET, .fn = fn, .ctx = ctx};
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    hs_status st = HS_OK;
    while (st == HS_OK && f.status == HS_OK && (got = getline(&line, &line_cap, fp)) > 0) {
        f.line++;
        st = csv_feed_line(&f, &p, line, (size_t)got, err);
    }
    if (st == HS_OK && f.status == HS_OK && ferror(fp))
        st = hs_error_set(err, HS_EDATA, path, f.line, 0, "read error: %s", strerror(errno));
    if (st == HS_OK && f.status == HS_OK)
        csv_fini(&p, csv_on_field, csv_on_record, &f);
    if (st == HS_OK && f.status != HS_OK)
        st = f.status == HS_ENOMEM
                 ? hs_error_set(err, HS_ENOMEM, path, f.line, 0, "out of memory while reading")
                 : f.status;
    if (st == HS_OK && f.bytes == 0)
        st = hs_error_set(err, HS_EDATA, path, 0, 0, "the file is empty");
    *checksum = f.checksum;
    *bytes = f.bytes;
    free(line);
    csv_file_free(&f);
    csv_free(&p);
    fclose(fp);
    return st;
}

/* A printable excerpt of a field for messages: at most 40 bytes, anything but printable
 * ASCII shown as '?'. */
static const char *shown(const char *s, char out[48])
{
    size_t i = 0;
    for (; s[i] && i < 40; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
    out[i] = '\0';
    return out;
}

/* Checksum and size of a whole file. */
static hs_status file_checksum(const char *path, uint64_t *sum, uint64_t *bytes, hs_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open: %s", strerror(errno));
    unsigned char buf[65536];
    uint64_t h = HS_FNV_OFFSET, n = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        h = fnv1a64(h, buf, got);
        n += got;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "read error");
    *sum = h;
    *bytes = n;
    return HS_OK;
}

/* ---- the file being built ---------------------------------------------------------------- */

static const char schema_sql[] =
    "PRAGMA application_id = 1213417306;" /* HS_GAZETTEER_APPLICATION_ID */
    "PRAGMA user_version = 1;"            /* HS_GAZETTEER_SCHEMA_VERSION */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE sources(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, format TEXT NOT NULL,"
    " path TEXT NOT NULL, file_name TEXT NOT NULL, bytes INTEGER NOT NULL,"
    " checksum_fnv1a64 TEXT NOT NULL, rows INTEGER NOT NULL, loaded INTEGER NOT NULL,"
    " skipped INTEGER NOT NULL, bad INTEGER NOT NULL);"
    "CREATE TABLE postcode(postcode TEXT PRIMARY KEY, x REAL NOT NULL, y REAL NOT NULL,"
    " precision_m REAL NOT NULL, source_id INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE named_point(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " name TEXT NOT NULL, label TEXT NOT NULL, x REAL NOT NULL, y REAL NOT NULL,"
    " precision_m REAL NOT NULL, weight INTEGER NOT NULL DEFAULT 1,"
    " lsoa_code TEXT NOT NULL DEFAULT '', place TEXT NOT NULL DEFAULT '',"
    " district TEXT NOT NULL DEFAULT '', county TEXT NOT NULL DEFAULT '',"
    " postcode_district TEXT NOT NULL DEFAULT '', source_id INTEGER NOT NULL);"
    "CREATE TABLE lsoa(code TEXT PRIMARY KEY, name TEXT NOT NULL, x REAL NOT NULL,"
    " y REAL NOT NULL, radius_m REAL NOT NULL, points INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE named_point_rtree USING rtree(id, xmin, xmax, ymin, ymax);"
    "CREATE TABLE snap_raw(lsoa_code TEXT NOT NULL, lsoa_name TEXT NOT NULL,"
    " name TEXT NOT NULL, label TEXT NOT NULL, x REAL NOT NULL, y REAL NOT NULL,"
    " source_id INTEGER NOT NULL);";

/* Snap rows become one point per (LSOA, name, coordinates) with the number of incidents;
 * each LSOA gets the mean of its points and the distance of its farthest point. */
static const char finish_sql[] =
    "INSERT INTO named_point(kind, name, label, x, y, precision_m, weight, lsoa_code,"
    " source_id) SELECT 4, name, min(label), x, y, " HS_SNAP_PRECISION_TEXT ", count(*),"
    " lsoa_code, min(source_id) FROM snap_raw GROUP BY lsoa_code, name, x, y"
    " ORDER BY lsoa_code, name, x, y;"
    "INSERT INTO lsoa(code, name, x, y, radius_m, points)"
    " SELECT p.lsoa_code, n.name, avg(p.x), avg(p.y), 0.0, count(*) FROM named_point AS p"
    " JOIN (SELECT lsoa_code, min(lsoa_name) AS name FROM snap_raw GROUP BY lsoa_code) AS n"
    " ON n.lsoa_code = p.lsoa_code WHERE p.kind = 4 GROUP BY p.lsoa_code;"
    "UPDATE lsoa SET radius_m = r.radius FROM (SELECT p.lsoa_code AS code,"
    " hs_sqrt(max((p.x - l.x) * (p.x - l.x) + (p.y - l.y) * (p.y - l.y))) AS radius"
    " FROM named_point AS p JOIN lsoa AS l ON l.code = p.lsoa_code WHERE p.kind = 4"
    " GROUP BY p.lsoa_code) AS r WHERE lsoa.code = r.code;"
    "DROP TABLE snap_raw;"
    "CREATE INDEX named_point_name ON named_point(name, lsoa_code);"
    "INSERT INTO named_point_rtree SELECT id, x, x, y, y FROM named_point;"
    "INSERT INTO meta VALUES('application', 'hotspot gazetteer');"
    "INSERT INTO meta VALUES('schema_version', '1');"
    "INSERT INTO meta SELECT 'postcodes', count(*) FROM postcode;"
    "INSERT INTO meta SELECT 'streets', count(*) FROM named_point WHERE kind = 1;"
    "INSERT INTO meta SELECT 'places', count(*) FROM named_point WHERE kind = 2;"
    "INSERT INTO meta SELECT 'snap_points', count(*) FROM named_point WHERE kind = 4;"
    "INSERT INTO meta SELECT 'lsoas', count(*) FROM lsoa;"
    "INSERT INTO meta SELECT 'sources', group_concat(s, '; ') FROM (SELECT file_name || ' ('"
    " || format || ', ' || rows || ' rows, fnv1a64 ' || checksum_fnv1a64 || ')' AS s"
    " FROM sources ORDER BY id);";

typedef struct builder {
    sqlite3 *db;                 /* the file being written */
    const char *db_path;         /* its (temporary) path, for messages */
    sqlite3_stmt *ins_postcode;  /* INSERT OR IGNORE INTO postcode */
    sqlite3_stmt *ins_point;     /* INSERT INTO named_point (streets and places) */
    sqlite3_stmt *ins_snap;      /* INSERT INTO snap_raw */
    sqlite3_stmt *ins_source;    /* INSERT INTO sources */
    hs_gazetteer_report *report; /* counts and bad rows */
    size_t first_src;            /* report slot of this build's first input */
    hs_error *err;               /* where failures go */
} builder;

static hs_status sql_failed(builder *b, const char *what)
{
    return hs_error_set(b->err, HS_EIO, b->db_path, 0, 0, "SQLite cannot %s: %s", what,
                        sqlite3_errmsg(b->db));
}

static void sqlite_sqrt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_double(ctx, sqrt(sqlite3_value_double(argv[0])));
}

static hs_status builder_prepare(builder *b)
{
    static const char *const sql[] = {
        "INSERT OR IGNORE INTO postcode VALUES(?1, ?2, ?3, ?4, ?5)",
        "INSERT INTO named_point(kind, name, label, x, y, precision_m, place, district, county,"
        " postcode_district, source_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        "INSERT INTO snap_raw VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "INSERT INTO sources VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    };
    sqlite3_stmt **out[] = {&b->ins_postcode, &b->ins_point, &b->ins_snap, &b->ins_source};
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        if (sqlite3_prepare_v2(b->db, sql[i], -1, out[i], NULL) != SQLITE_OK)
            return sql_failed(b, "prepare an insert");
    return HS_OK;
}

static void builder_close(builder *b)
{
    sqlite3_finalize(b->ins_postcode);
    sqlite3_finalize(b->ins_point);
    sqlite3_finalize(b->ins_snap);
    sqlite3_finalize(b->ins_source);
    sqlite3_close(b->db);
    b->db = NULL;
}

static hs_status builder_open(builder *b, const char *tmp_path)
{
    b->db_path = tmp_path;
    unlink(tmp_path);
    if (sqlite3_open_v2(tmp_path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return hs_error_set(b->err, HS_EIO, tmp_path, 0, 0, "cannot create: %s",
                            b->db ? sqlite3_errmsg(b->db) : "out of memory");
    if (sqlite3_create_function(b->db, "hs_sqrt", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sqlite_sqrt, NULL, NULL) != SQLITE_OK)
        return sql_failed(b, "register hs_sqrt");
    if (sqlite3_exec(b->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(b->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return sql_failed(b, "create the tables");
    if (sqlite3_exec(b->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return sql_failed(b, "begin a transaction");
    return builder_prepare(b);
}

/* Run a prepared insert whose parameters are bound; *changed = rows inserted (may be NULL). */
static hs_status run_insert(builder *b, sqlite3_stmt *s, int *changed)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return sql_failed(b, "insert a row");
    if (changed)
        *changed = sqlite3_changes(b->db);
    return HS_OK;
}

/* Store a postcode; *inserted = 0 when a source read earlier already gave it. */
static hs_status insert_postcode(builder *b, const char *pc, double x, double y, double prec,
                                 long long source_id, int *inserted)
{
    sqlite3_stmt *s = b->ins_postcode;
    sqlite3_bind_text(s, 1, pc, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, x);
    sqlite3_bind_double(s, 3, y);
    sqlite3_bind_double(s, 4, prec);
    sqlite3_bind_int64(s, 5, source_id);
    return run_insert(b, s, inserted);
}

/* A street or place to store. */
typedef struct point_row {
    hs_gazetteer_kind kind;              /* HS_GAZ_STREET or HS_GAZ_PLACE */
    double x, y;                         /* EPSG:27700 metres */
    double precision_m;                  /* see the file comment */
    char place[HS_GAZ_LOCALITY_SIZE];    /* normalised populated place, or "" */
    char district[HS_GAZ_LOCALITY_SIZE]; /* normalised district, or "" */
    char county[HS_GAZ_LOCALITY_SIZE];   /* normalised county, or "" */
    char postcode_district[5];           /* outward code, or "" */
    long long source_id;                 /* sources.id */
} point_row;

static hs_status insert_point(builder *b, const point_row *p, const char *name, const char *label)
{
    sqlite3_stmt *s = b->ins_point;
    sqlite3_bind_int(s, 1, (int)p->kind);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, label, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, p->x);
    sqlite3_bind_double(s, 5, p->y);
    sqlite3_bind_double(s, 6, p->precision_m);
    sqlite3_bind_text(s, 7, p->place, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, p->district, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, p->county, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, p->postcode_district, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, p->source_id);
    return run_insert(b, s, NULL);
}

static hs_gazetteer_source_stats *stats_of(builder *b, size_t src)
{
    return &b->report->src[src];
}

/* Report a bad row; fails only when the report cannot grow. */
#define HS_BAD_ROW(b, src, row, line, ...)                                                         \
    (report_bad_row((b)->report, (src), (row), (line), __VA_ARGS__) == HS_OK                       \
         ? HS_OK                                                                                   \
         : hs_error_set((b)->err, HS_ENOMEM, NULL, 0, 0, "out of memory for the report"))

/* Parse a coordinate pair that must lie in the British National Grid. Returns 1 when good;
 * otherwise reports the row as bad and returns 0 (*st receives the report's status). */
static int parse_bng(builder *b, size_t src, long row, long line, const char *fx, const char *fy,
                     double *x, double *y, hs_status *st)
{
    char s1[48], s2[48];
    if (!parse_number(fx, x) || !parse_number(fy, y)) {
        *st = HS_BAD_ROW(b, src, row, line, "coordinates '%s', '%s' are not numbers", shown(fx, s1),
                         shown(fy, s2));
        return 0;
    }
    if (!inside_bng(*x, *y)) {
        *st = HS_BAD_ROW(b, src, row, line,
                         "coordinates (%.0f, %.0f) lie outside the British National Grid", *x, *y);
        return 0;
    }
    return 1;
}

/* ---- postcode files ---------------------------------------------------------------------- */

enum { HS_PC_UNKNOWN, HS_PC_CODEPOINT, HS_PC_ONSPD };

typedef struct postcode_loader {
    builder *b;          /* the build */
    size_t src;          /* report slot */
    long long source_id; /* sources.id */
    int format;          /* HS_PC_* */
    size_t ncols;        /* fields every row must have */
    int col_pc;          /* postcode column */
    int col_e;           /* easting column */
    int col_n;           /* northing column */
    int col_q;           /* quality indicator column; -1 when absent */
    long row;            /* data rows so far */
} postcode_loader;

/* Precision (m) from Code-Point Open's Positional_quality_indicator; 0 = no coordinates,
 * -1 = unknown value. */
static double codepoint_precision(long pqi)
{
    switch (pqi) {
    case 10:
    case 20:
        return 50.0;
    case 30:
    case 40:
        return 100.0;
    case 50:
        return 250.0;
    case 60:
        return 1000.0;
    case 90:
        return 0.0;
    default:
        return -1.0;
    }
}

/* Precision (m) from the ONSPD osgrdind; 0 = no coordinates, -1 = unknown value. */
static double onspd_precision(long ind)
{
    switch (ind) {
    case 1:
    case 2:
    case 3:
        return 50.0;
    case 4:
        return 100.0;
    case 5:
        return 250.0;
    case 6:
        return 1000.0;
    case 8:
        return 500.0;
    case 9:
        return 0.0;
    default:
        return -1.0;
    }
}

static int find_column(char **fd, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (field_is(fd[i], name))
            return (int)i;
    return -1;
}

/* Decide the format from the first record; *header = 1 when it is a header line. */
static hs_status postcode_detect(postcode_loader *L, const csv_file *f, char **fd, size_t n,
                                 int *header)
{
    char pc[HS_POSTCODE_SIZE], s[48];
    L->ncols = n;
    L->col_q = -1;
    *header = 1;
    if (find_column(fd, n, "pcds") >= 0) {
        L->format = HS_PC_ONSPD;
        L->col_pc = find_column(fd, n, "pcds");
        L->col_e = find_column(fd, n, "oseast1m");
        L->col_n = find_column(fd, n, "osnrth1m");
        L->col_q = find_column(fd, n, "osgrdind");
        if (L->col_e < 0 || L->col_n < 0)
            return hs_error_set(L->b->err, HS_EDATA, f->path, f->record_line, 0,
                                "ONS Postcode Directory header without %s: expected the "
                                "columns pcds, oseast1m and osnrth1m",
                                L->col_e < 0 ? "oseast1m" : "osnrth1m");
        return HS_OK;
    }
    L->format = HS_PC_CODEPOINT;
    L->col_pc = 0;
    L->col_q = 1;
    L->col_e = 2;
    L->col_n = 3;
    if (n >= 4 && (field_is(fd[0], "Postcode") || field_is(fd[0], "PC")))
        return HS_OK;
    *header = 0;
    if (n >= 4 && hs_postcode_normalize(fd[0], pc))
        return HS_OK;
    return hs_error_set(L->b->err, HS_EDATA, f->path, f->record_line, 0,
                        "not a postcode file: expected OS Code-Point Open rows (Postcode, "
                        "Positional_quality_indicator, Eastings, Northings, ...; no header) or "
                        "an ONS Postcode Directory header with pcds, oseast1m, osnrth1m; found "
                        "%zu field(s) starting '%s'",
                        n, shown(fd[0], s));
}

/* Precision of a row from its quality column: >0 metres, 0 no coordinates, -1 unknown. */
static double postcode_quality(const postcode_loader *L, char **fd)
{
    if (L->col_q < 0)
        return 100.0; /* ONSPD without osgrdind: a unit mean */
    double q;
    /* Both products use small whole codes (1..9, 10..90): reject anything else before the
     * cast, which would overflow for values such as 1e20. */
    if (!parse_number(fd[L->col_q], &q) || q != floor(q) || q < 0.0 || q > 1000.0)
        return -1.0;
    return L->format == HS_PC_ONSPD ? onspd_precision((long)q) : codepoint_precision((long)q);
}

static hs_status postcode_row(postcode_loader *L, const csv_file *f, char **fd, size_t n)
{
    builder *b = L->b;
    hs_gazetteer_source_stats *st = stats_of(b, L->src);
    long row = ++L->row, line = f->record_line;
    char pc[HS_POSTCODE_SIZE], s[48];
    st->rows++;
    if (n != L->ncols)
        return HS_BAD_ROW(b, L->src, row, line, "expected %zu fields, found %zu", L->ncols, n);
    if (f->has_nul)
        return HS_BAD_ROW(b, L->src, row, line, "a field contains a NUL byte");
    if (!hs_postcode_normalize(fd[L->col_pc], pc))
        return HS_BAD_ROW(b, L->src, row, line, "'%s' is not a valid UK postcode",
                          shown(fd[L->col_pc], s));
    double prec = postcode_quality(L, fd);
    if (prec < 0.0)
        return HS_BAD_ROW(b, L->src, row, line, "unknown positional quality indicator '%s'",
                          shown(fd[L->col_q], s));
    /* Northern Ireland (BT) grid references are Irish Grid, not British National Grid. */
    if (prec == 0.0 || strncmp(pc, "BT", 2) == 0 ||
        (field_empty(fd[L->col_e]) && field_empty(fd[L->col_n]))) {
        st->skipped++;
        return HS_OK;
    }
    double x, y;
    hs_status rs = HS_OK;
    if (!parse_bng(b, L->src, row, line, fd[L->col_e], fd[L->col_n], &x, &y, &rs))
        return rs;
    if (x == 0.0 && y == 0.0) {
        st->skipped++;
        return HS_OK;
    }
    int inserted;
    hs_status ss = insert_postcode(b, pc, x, y, prec, L->source_id, &inserted);
    if (ss == HS_OK) {
        st->loaded += inserted > 0;
        st->skipped += inserted == 0;
    }
    return ss;
}

static hs_status on_postcode_record(void *ctx, const csv_file *f, char **fd, size_t n)
{
    postcode_loader *L = ctx;
    if (L->format == HS_PC_UNKNOWN) {
        int header;
        hs_status st = postcode_detect(L, f, fd, n, &header);
        if (st != HS_OK || header)
            return st;
    }
    return postcode_row(L, f, fd, n);
}

/* ---- OS Open Names ----------------------------------------------------------------------- */

enum {
    ON_NAME1,
    ON_NAME2,
    ON_TYPE,
    ON_LOCAL_TYPE,
    ON_X,
    ON_Y,
    ON_XMIN,
    ON_YMIN,
    ON_XMAX,
    ON_YMAX,
    ON_PCD,
    ON_PLACE,
    ON_DISTRICT,
    ON_COUNTY,
    ON_NCOLS
};
/* Each field's header name and its position in the 34-column product without a header. */
static const struct {
    const char *name; /* header name */
    int fixed;        /* 0-based column when there is no header line */
} on_cols[ON_NCOLS] = {
    {"NAME1", 2},
    {"NAME2", 4},
    {"TYPE", 6},
    {"LOCAL_TYPE", 7},
    {"GEOMETRY_X", 8},
    {"GEOMETRY_Y", 9},
    {"MBR_XMIN", 12},
    {"MBR_YMIN", 13},
    {"MBR_XMAX", 14},
    {"MBR_YMAX", 15},
    {"POSTCODE_DISTRICT", 16},
    {"POPULATED_PLACE", 18},
    {"DISTRICT_BOROUGH", 21},
    {"COUNTY_UNITARY", 24},
};
#define HS_OPEN_NAMES_NCOLS 34

typedef struct names_loader {
    builder *b;          /* the build */
    size_t src;          /* report slot */
    long long source_id; /* sources.id */
    int decided;         /* the first record has been looked at */
    size_t ncols;        /* fields every row must have */
    int col[ON_NCOLS];   /* column of each field; -1 when absent */
    long row;            /* data rows so far */
} names_loader;

static hs_status names_detect(names_loader *L, const csv_file *f, char **fd, size_t n, int *header)
{
    char s[48];
    L->decided = 1;
    L->ncols = n;
    *header = field_is(fd[0], "ID");
    if (*header) {
        for (int k = 0; k < ON_NCOLS; k++) {
            L->col[k] = find_column(fd, n, on_cols[k].name);
            if (L->col[k] < 0 && k <= ON_Y && k != ON_NAME2)
                return hs_error_set(L->b->err, HS_EDATA, f->path, f->record_line, 0,
                                    "OS Open Names header without %s: expected NAME1, TYPE, "
                                    "LOCAL_TYPE, GEOMETRY_X and GEOMETRY_Y",
                                    on_cols[k].name);
        }
        return HS_OK;
    }
    if (n == HS_OPEN_NAMES_NCOLS && strncmp(fd[0], "osgb", 4) == 0) {
        for (int k = 0; k < ON_NCOLS; k++)
            L->col[k] = on_cols[k].fixed;
        return HS_OK;
    }
    return hs_error_set(L->b->err, HS_EDATA, f->path, f->record_line, 0,
                        "not an OS Open Names file: expected %d columns (ID, NAMES_URI, NAME1, "
                        "NAME1_LANG, NAME2, NAME2_LANG, TYPE, LOCAL_TYPE, GEOMETRY_X, ...) "
                        "with or without the header line; found %zu field(s) starting '%s'",
                        HS_OPEN_NAMES_NCOLS, n, shown(fd[0], s));
}

static const char *on_field(const names_loader *L, char **fd, int k)
{
    return L->col[k] >= 0 ? fd[L->col[k]] : "";
}

/* Half the diagonal of the row's bounding box, or the kind's default. */
static double feature_precision(const names_loader *L, char **fd, hs_gazetteer_kind kind)
{
    double x0, y0, x1, y1;
    if (!parse_number(on_field(L, fd, ON_XMIN), &x0) ||
        !parse_number(on_field(L, fd, ON_YMIN), &y0) ||
        !parse_number(on_field(L, fd, ON_XMAX), &x1) ||
        !parse_number(on_field(L, fd, ON_YMAX), &y1) || x1 < x0 || y1 < y0)
        return kind == HS_GAZ_STREET ? HS_STREET_DEFAULT_PRECISION_M : HS_PLACE_DEFAULT_PRECISION_M;
    double half = 0.5 * hypot(x1 - x0, y1 - y0);
    return half > HS_MIN_FEATURE_PRECISION_M ? half : HS_MIN_FEATURE_PRECISION_M;
}

/* Normalised locality fields; a field that does not normalise is left empty. */
static void feature_localities(const names_loader *L, char **fd, point_row *p)
{
    const char *pl = on_field(L, fd, ON_PLACE), *di = on_field(L, fd, ON_DISTRICT);
    const char *co = on_field(L, fd, ON_COUNTY);
    if (hs_name_normalize(pl, strlen(pl), p->place, sizeof p->place) != HS_OK)
        p->place[0] = '\0';
    if (hs_name_normalize(di, strlen(di), p->district, sizeof p->district) != HS_OK)
        p->district[0] = '\0';
    if (hs_name_normalize(co, strlen(co), p->county, sizeof p->county) != HS_OK)
        p->county[0] = '\0';
    char pcd[8];
    if (!trimmed(on_field(L, fd, ON_PCD), pcd, 5))
        pcd[0] = '\0';
    for (char *c = pcd; *c; c++)
        *c = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
    memcpy(p->postcode_district, pcd, strlen(pcd) + 1);
}

static int is_road(const char *type, const char *local_type)
{
    return field_is(type, "transportNetwork") && strstr(local_type, "Road") != NULL;
}

static hs_status names_postcode_row(names_loader *L, long row, long line, char **fd)
{
    builder *b = L->b;
    char pc[HS_POSTCODE_SIZE], s[48];
    if (!hs_postcode_normalize(on_field(L, fd, ON_NAME1), pc))
        return HS_BAD_ROW(b, L->src, row, line, "postcode '%s' is not a valid UK postcode",
                          shown(on_field(L, fd, ON_NAME1), s));
    double x, y;
    hs_status rs = HS_OK;
    if (!parse_bng(b, L->src, row, line, fd[L->col[ON_X]], fd[L->col[ON_Y]], &x, &y, &rs))
        return rs;
    int inserted;
    hs_status st =
        insert_postcode(b, pc, x, y, HS_OPEN_NAMES_POSTCODE_PRECISION_M, L->source_id, &inserted);
    if (st == HS_OK) {
        stats_of(b, L->src)->loaded += inserted > 0;
        stats_of(b, L->src)->skipped += inserted == 0;
    }
    return st;
}

/* Normalise a name field; on failure report the row (returns 0, *st = report status). */
static int names_normalise(names_loader *L, long row, long line, int k, char **fd, char *out,
                           hs_status *st)
{
    const char *t = on_field(L, fd, k);
    hs_status ns = hs_name_normalize(t, strlen(t), out, HS_NAME_SIZE);
    if (ns == HS_EDATA)
        *st = HS_BAD_ROW(L->b, L->src, row, line, "%s is not valid UTF-8", on_cols[k].name);
    else if (ns != HS_OK)
        *st = HS_BAD_ROW(L->b, L->src, row, line, "%s is longer than %d bytes", on_cols[k].name,
                         HS_NAME_SIZE - 1);
    else if (out[0] == '\0' && k == ON_NAME1)
        *st = HS_BAD_ROW(L->b, L->src, row, line, "NAME1 is empty");
    else
        return 1;
    return 0;
}

static hs_status names_feature_row(names_loader *L, long row, long line, char **fd)
{
    builder *b = L->b;
    char name1[HS_NAME_SIZE], name2[HS_NAME_SIZE], label[HS_NAME_SIZE];
    hs_status st = HS_OK;
    if (!names_normalise(L, row, line, ON_NAME1, fd, name1, &st) ||
        !names_normalise(L, row, line, ON_NAME2, fd, name2, &st))
        return st;
    point_row p = {.source_id = L->source_id};
    if (!parse_bng(b, L->src, row, line, fd[L->col[ON_X]], fd[L->col[ON_Y]], &p.x, &p.y, &st))
        return st;
    p.kind = is_road(fd[L->col[ON_TYPE]], fd[L->col[ON_LOCAL_TYPE]]) ? HS_GAZ_STREET : HS_GAZ_PLACE;
    p.precision_m = feature_precision(L, fd, p.kind);
    feature_localities(L, fd, &p);
    if (!trimmed(fd[L->col[ON_NAME1]], label, sizeof label))
        label[0] = '\0';
    st = insert_point(b, &p, name1, label);
    if (st == HS_OK && name2[0] != '\0' && strcmp(name1, name2) != 0) {
        if (!trimmed(on_field(L, fd, ON_NAME2), label, sizeof label))
            label[0] = '\0';
        st = insert_point(b, &p, name2, label);
    }
    if (st == HS_OK)
        stats_of(b, L->src)->loaded++;
    return st;
}

static hs_status on_names_record(void *ctx, const csv_file *f, char **fd, size_t n)
{
    names_loader *L = ctx;
    if (!L->decided) {
        int header;
        hs_status st = names_detect(L, f, fd, n, &header);
        if (st != HS_OK || header)
            return st;
    }
    long row = ++L->row, line = f->record_line;
    stats_of(L->b, L->src)->rows++;
    if (n != L->ncols)
        return HS_BAD_ROW(L->b, L->src, row, line, "expected %zu fields, found %zu", L->ncols, n);
    if (f->has_nul)
        return HS_BAD_ROW(L->b, L->src, row, line, "a field contains a NUL byte");
    if (field_is(fd[L->col[ON_LOCAL_TYPE]], "Postcode"))
        return names_postcode_row(L, row, line, fd);
    return names_feature_row(L, row, line, fd);
}

/* ---- police.uk snap points ----------------------------------------------------------------- */

/* What is wrong with police.uk row i (NULL when nothing): its normalised Location goes to
 * name. x, y are its transformed coordinates. */
static const char *snap_row_problem(const hs_incidents *t, size_t i, double x, double y,
                                    char name[HS_NAME_SIZE])
{
    const char *loc = hs_incidents_str(t, t->location, i);
    if (strstr(loc, "\xEF\xBF\xBD") != NULL) /* ingest's stand-in for invalid bytes */
        return "Location is not valid UTF-8";
    if (hs_name_normalize(loc, strlen(loc), name, HS_NAME_SIZE) != HS_OK)
        return "Location is longer than 127 bytes";
    if (name[0] == '\0')
        return "Location names nothing";
    if (strlen(hs_incidents_str(t, t->lsoa_code, i)) >= HS_GAZ_LSOA_SIZE)
        return "LSOA code is longer than 15 characters";
    if (isnan(x) || !inside_bng(x, y))
        return "Longitude, Latitude do not map into the British National Grid";
    return NULL;
}

/* 1 when police.uk row i has no place to learn: "No Location", no coordinates or no LSOA. */
static int snap_row_empty(const hs_incidents *t, size_t i)
{
    const char *loc = hs_incidents_str(t, t->location, i);
    return loc[0] == '\0' || strcasecmp(loc, "No Location") == 0 || isnan(t->in_x[i]) ||
           hs_incidents_str(t, t->lsoa_code, i)[0] == '\0';
}

static hs_status insert_snap(builder *b, const hs_incidents *t, size_t i, const char *name,
                             double x, double y, long long source_id)
{
    sqlite3_stmt *q = b->ins_snap;
    sqlite3_bind_text(q, 1, hs_incidents_str(t, t->lsoa_code, i), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, hs_incidents_str(t, t->lsoa_name, i), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, hs_incidents_str(t, t->location, i), -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 5, x);
    sqlite3_bind_double(q, 6, y);
    sqlite3_bind_int64(q, 7, source_id);
    return run_insert(b, q, NULL);
}

/* The police.uk rows of t as snap points: one snap_raw row per usable row. x, y hold the
 * transformed coordinates. */
static hs_status snap_rows(builder *b, size_t src, long long source_id, const hs_incidents *t,
                           const double *x, const double *y)
{
    hs_gazetteer_source_stats *st = stats_of(b, src);
    hs_status rs = HS_OK;
    for (size_t i = 0; i < t->n && rs == HS_OK; i++) {
        long row = (long)t->source_row[i], line = (long)t->source_line[i];
        char name[HS_NAME_SIZE], s[48];
        const char *problem;
        st->rows++;
        if (t->state[i] == HS_ROW_FAILED)
            rs = HS_BAD_ROW(b, src, row, line, "%s", hs_incidents_str(t, t->reason, i));
        else if (snap_row_empty(t, i))
            st->skipped++;
        else if ((problem = snap_row_problem(t, i, x[i], y[i], name)) != NULL)
            rs = HS_BAD_ROW(b, src, row, line, "%s ('%s' at %.6f, %.6f)", problem,
                            shown(hs_incidents_str(t, t->location, i), s), t->in_x[i], t->in_y[i]);
        else if ((rs = insert_snap(b, t, i, name, x[i], y[i], source_id)) == HS_OK)
            st->loaded++;
    }
    return rs;
}

static hs_status load_snap_points(builder *b, size_t src, long long source_id, const char *path)
{
    hs_incidents t;
    double *x = NULL, *y = NULL;
    hs_status st = hs_incidents_init(&t);
    if (st != HS_OK)
        return hs_error_set(b->err, st, path, 0, 0, "out of memory");
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    st = hs_ingest_file(&t, path, &p, NULL, b->err);
    if (st != HS_OK)
        goto fail;
    if (t.nsources != 1 || strcmp(t.sources[0].format, "police.uk") != 0) {
        st = hs_error_set(b->err, HS_EDATA, path, 1, 0,
                          "not a police.uk street-level CSV: expected the header Crime ID,"
                          "Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA "
                          "code,LSOA name,Crime type,Last outcome category,Context");
        goto fail;
    }
    x = malloc((t.n ? t.n : 1) * sizeof *x);
    y = malloc((t.n ? t.n : 1) * sizeof *y);
    if (x == NULL || y == NULL) {
        st = hs_error_set(b->err, HS_ENOMEM, path, 0, 0, "out of memory");
        goto fail;
    }
    st = hs_transform_points("EPSG:4326", "EPSG:27700", t.in_x, t.in_y, x, y, t.n, NULL, NULL,
                             b->err);
    if (st == HS_OK)
        st = snap_rows(b, src, source_id, &t, x, y);
fail:
    free(y);
    free(x);
    hs_incidents_free(&t);
    return st;
}

/* ---- the build --------------------------------------------------------------------------- */

static hs_status load_input(builder *b, const hs_gazetteer_input *in)
{
    size_t src;
    if (report_add_source(b->report, in->kind, in->path, &src) != HS_OK)
        return hs_error_set(b->err, HS_ENOMEM, in->path, 0, 0, "out of memory");
    long long source_id = (long long)(src - b->first_src) + 1;
    hs_gazetteer_source_stats *s = stats_of(b, src);
    hs_status st;
    if (in->kind == HS_GAZ_INPUT_POSTCODES) {
        postcode_loader L = {.b = b, .src = src, .source_id = source_id};
        st = csv_read(in->path, on_postcode_record, &L, &s->checksum, &s->bytes, b->err);
        s = stats_of(b, src);
        s->format = L.format == HS_PC_ONSPD ? "onspd" : "codepoint-open";
    } else if (in->kind == HS_GAZ_INPUT_STREETS) {
        names_loader L = {.b = b, .src = src, .source_id = source_id};
        st = csv_read(in->path, on_names_record, &L, &s->checksum, &s->bytes, b->err);
        s = stats_of(b, src);
        s->format = "os-open-names";
    } else {
        st = file_checksum(in->path, &s->checksum, &s->bytes, b->err);
        if (st == HS_OK)
            st = load_snap_points(b, src, source_id, in->path);
        s = stats_of(b, src);
        s->format = "police.uk";
    }
    if (st == HS_OK && s->rows == 0)
        st = hs_error_set(b->err, HS_EDATA, in->path, 0, 0, "no data rows");
    else if (st == HS_OK && s->loaded == 0 && s->bad == s->rows)
        st = hs_error_set(b->err, HS_EDATA, in->path, 0, 0,
                          "none of its %zu rows is usable (see the build report)", s->rows);
    if (st != HS_OK)
        hs_error_prefix(b->err, "--%s", kind_flag(in->kind));
    return st;
}

static hs_status insert_sources(builder *b)
{
    for (size_t i = b->first_src; i < b->report->n_src; i++) {
        const hs_gazetteer_source_stats *s = &b->report->src[i];
        char sum[17];
        snprintf(sum, sizeof sum, "%016llx", (unsigned long long)s->checksum);
        sqlite3_stmt *q = b->ins_source;
        sqlite3_bind_int64(q, 1, (long long)(i - b->first_src) + 1);
        sqlite3_bind_text(q, 2, kind_flag(s->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, s->format, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, s->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, base_name(s->path), -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 6, (long long)s->bytes);
        sqlite3_bind_text(q, 7, sum, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 8, (long long)s->rows);
        sqlite3_bind_int64(q, 9, (long long)s->loaded);
        sqlite3_bind_int64(q, 10, (long long)s->skipped);
        sqlite3_bind_int64(q, 11, (long long)s->bad);
        hs_status st = run_insert(b, q, NULL);
        if (st != HS_OK)
            return st;
    }
    return HS_OK;
}

static hs_status builder_finish(builder *b)
{
    hs_status st = insert_sources(b);
    if (st != HS_OK)
        return st;
    if (sqlite3_exec(b->db, finish_sql, NULL, NULL, NULL) != SQLITE_OK)
        return sql_failed(b, "index the gazetteer");
    char version[80];
    snprintf(version, sizeof version, "INSERT INTO meta VALUES('hotspot_version', '%s')",
             HS_VERSION);
    if (sqlite3_exec(b->db, version, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return sql_failed(b, "commit");
    if (sqlite3_exec(b->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
        return sql_failed(b, "compact the file");
    return HS_OK;
}

static hs_status check_inputs(const char *path, const hs_gazetteer_input *inputs, size_t n,
                              hs_error *err)
{
    if (path == NULL || path[0] == '\0')
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "no output path for the gazetteer");
    if (n == 0 || inputs == NULL)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "no inputs: give --postcodes, --streets or --snap-points files");
    for (size_t i = 0; i < n; i++)
        if (inputs[i].path == NULL || inputs[i].kind < HS_GAZ_INPUT_POSTCODES ||
            inputs[i].kind > HS_GAZ_INPUT_SNAP_POINTS)
            return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "gazetteer input %zu is invalid", i);
    return HS_OK;
}

hs_status hs_gazetteer_build(const char *path, const hs_gazetteer_input *inputs, size_t n,
                             hs_gazetteer_report *report, hs_error *err)
{
    hs_status st = check_inputs(path, inputs, n, err);
    if (st != HS_OK)
        return st;
    builder b = {.err = err, .report = report};
    hs_gazetteer_report *own = NULL;
    char *tmp = malloc(strlen(path) + 32);
    if (b.report == NULL)
        b.report = own = hs_gazetteer_report_create();
    if (tmp == NULL || b.report == NULL) {
        st = hs_error_set(err, HS_ENOMEM, path, 0, 0, "out of memory");
        goto fail;
    }
    b.first_src = b.report->n_src;
    sprintf(tmp, "%s.tmp-%ld", path, (long)getpid());
    st = builder_open(&b, tmp);
    for (int kind = HS_GAZ_INPUT_POSTCODES; kind <= HS_GAZ_INPUT_SNAP_POINTS; kind++)
        for (size_t i = 0; i < n && st == HS_OK; i++)
            if ((int)inputs[i].kind == kind)
                st = load_input(&b, &inputs[i]);
    if (st == HS_OK)
        st = builder_finish(&b);
    builder_close(&b);
    if (st == HS_OK && rename(tmp, path) != 0)
        st = hs_error_set(err, HS_EIO, path, 0, 0, "cannot rename %s into place: %s", tmp,
                          strerror(errno));
fail:
    if (st != HS_OK && tmp != NULL)
        unlink(tmp);
    free(tmp);
    hs_gazetteer_report_destroy(own);
    return st;
}

/* ---- opening ------------------------------------------------------------------------------ */

struct hs_gazetteer {
    sqlite3 *db;            /* read-only connection */
    sqlite3_stmt *postcode; /* postcode -> x, y, precision */
    sqlite3_stmt *lsoa;     /* LSOA code -> centre, radius */
    sqlite3_stmt *name;     /* named points by name */
    sqlite3_stmt *near;     /* named points near a point (R*Tree) */
    sqlite3_stmt *meta;     /* meta value by key */
    char path[512];         /* the file, for messages */
};

#define HS_ENTRY_COLUMNS                                                                           \
    "p.id, p.kind, p.name, p.x, p.y, p.precision_m, p.weight, p.lsoa_code, p.place, p.district,"   \
    " p.county, p.postcode_district"

static const char *const lookup_sql[] = {
    "SELECT x, y, precision_m FROM postcode WHERE postcode = ?1",
    "SELECT x, y, radius_m FROM lsoa WHERE code = ?1",
    "SELECT " HS_ENTRY_COLUMNS " FROM named_point AS p WHERE p.name = ?1 AND (p.kind & ?2) != 0"
    " AND (?3 IS NULL OR p.lsoa_code = ?3) ORDER BY CASE WHEN ?4 IS NULL THEN -p.weight ELSE"
    " (p.x - ?4) * (p.x - ?4) + (p.y - ?5) * (p.y - ?5) END, p.id LIMIT ?6",
    "SELECT " HS_ENTRY_COLUMNS " FROM named_point_rtree AS r JOIN named_point AS p"
    " ON p.id = r.id WHERE r.xmin <= ?1 + ?3 AND r.xmax >= ?1 - ?3 AND r.ymin <= ?2 + ?3"
    " AND r.ymax >= ?2 - ?3 AND (p.kind & ?4) != 0"
    " AND (p.x - ?1) * (p.x - ?1) + (p.y - ?2) * (p.y - ?2) <= ?3 * ?3"
    " ORDER BY (p.x - ?1) * (p.x - ?1) + (p.y - ?2) * (p.y - ?2), p.id LIMIT ?5",
    "SELECT value FROM meta WHERE key = ?1",
};

static hs_status db_failed(const char *path, sqlite3 *db, const char *what, hs_error *err)
{
    return hs_error_set(err, HS_EDATA, path, 0, 0, "%s: %s", what, sqlite3_errmsg(db));
}

/* Read an integer PRAGMA; *rc receives the SQLite result code. */
static long pragma_int(sqlite3 *db, const char *sql, int *rc)
{
    sqlite3_stmt *s = NULL;
    long v = 0;
    *rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (*rc == SQLITE_OK) {
        *rc = sqlite3_step(s);
        if (*rc == SQLITE_ROW) {
            v = (long)sqlite3_column_int64(s, 0);
            *rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    return v;
}

#define HS_EXPECTED_GAZETTEER                                                                      \
    "expected a hotspot gazetteer (application_id 0x4853475A, schema version 1) made by "          \
    "`hotspot gazetteer build`"

/* Check the application id and schema version of an open file. */
static hs_status check_schema(const char *path, sqlite3 *db, hs_error *err)
{
    int rc;
    long app = pragma_int(db, "PRAGMA application_id", &rc);
    if (rc == SQLITE_NOTADB)
        return hs_error_set(err, HS_EDATA, path, 0, 0,
                            "not an SQLite database: " HS_EXPECTED_GAZETTEER);
    if (rc != SQLITE_OK)
        return db_failed(path, db, "cannot read the file", err);
    if (app == 0x47504B47L)
        return hs_error_set(err, HS_EDATA, path, 0, 0,
                            "this is a GeoPackage, not a gazetteer: " HS_EXPECTED_GAZETTEER);
    if (app != HS_GAZETTEER_APPLICATION_ID)
        return hs_error_set(
            err, HS_EDATA, path, 0, 0,
            "not a hotspot gazetteer (application_id 0x%08lX): " HS_EXPECTED_GAZETTEER,
            (unsigned long)app);
    long version = pragma_int(db, "PRAGMA user_version", &rc);
    if (rc != SQLITE_OK)
        return db_failed(path, db, "cannot read the schema version", err);
    if (version != HS_GAZETTEER_SCHEMA_VERSION)
        return hs_error_set(err, HS_EDATA, path, 0, 0,
                            "gazetteer schema version %ld, expected %d: rebuild it with "
                            "`hotspot gazetteer build`",
                            version, HS_GAZETTEER_SCHEMA_VERSION);
    return HS_OK;
}

/* "file:PATH?immutable=1" with %, ? and # escaped. Immutable: SQLite takes no locks and
 * never re-checks the file, which a gazetteer never changes under a reader (a rebuild
 * renames a new file into place; open handles keep the old one). NULL when out of memory. */
static char *immutable_uri(const char *path)
{
    size_t n = strlen(path);
    char *uri = malloc(3 * n + 32);
    if (uri == NULL)
        return NULL;
    size_t o = 0;
    memcpy(uri, "file:", 5);
    o = 5;
    for (const char *c = path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#')
            o += (size_t)sprintf(uri + o, "%%%02X", (unsigned)(unsigned char)*c);
        else
            uri[o++] = *c;
    }
    memcpy(uri + o, "?immutable=1", 13);
    return uri;
}

hs_status hs_gazetteer_open(const char *path, hs_gazetteer **out, hs_error *err)
{
    *out = NULL;
    struct stat sb;
    if (path == NULL || stat(path, &sb) != 0)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open the gazetteer: %s",
                            path ? strerror(errno) : "no path");
    if (sb.st_size == 0)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "the file is empty: " HS_EXPECTED_GAZETTEER);
    hs_gazetteer *g = calloc(1, sizeof *g);
    if (g == NULL)
        return hs_error_set(err, HS_ENOMEM, path, 0, 0, "out of memory");
    snprintf(g->path, sizeof g->path, "%s", path);
    hs_status st = HS_OK;
    char *uri = immutable_uri(path);
    if (uri == NULL)
        st = hs_error_set(err, HS_ENOMEM, path, 0, 0, "out of memory");
    else if (sqlite3_open_v2(uri, &g->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                             NULL) != SQLITE_OK)
        st = db_failed(path, g->db, "cannot open the gazetteer", err);
    free(uri);
    if (st == HS_OK)
        st = check_schema(path, g->db, err);
    sqlite3_stmt **stmts[] = {&g->postcode, &g->lsoa, &g->name, &g->near, &g->meta};
    for (size_t i = 0; st == HS_OK && i < sizeof stmts / sizeof stmts[0]; i++)
        if (sqlite3_prepare_v2(g->db, lookup_sql[i], -1, stmts[i], NULL) != SQLITE_OK)
            st = hs_error_set(err, HS_EDATA, path, 0, 0,
                              "gazetteer tables incomplete (%s): " HS_EXPECTED_GAZETTEER,
                              sqlite3_errmsg(g->db));
    if (st != HS_OK) {
        hs_gazetteer_close(g);
        return st;
    }
    *out = g;
    return HS_OK;
}

void hs_gazetteer_close(hs_gazetteer *g)
{
    if (g == NULL)
        return;
    sqlite3_finalize(g->postcode);
    sqlite3_finalize(g->lsoa);
    sqlite3_finalize(g->name);
    sqlite3_finalize(g->near);
    sqlite3_finalize(g->meta);
    sqlite3_close(g->db);
    free(g);
}

/* ---- lookups ------------------------------------------------------------------------------ */

/* Copy a text column into out (size n), cut at n - 1 bytes. (A plain copy: this runs for
 * every column of every candidate, where snprintf showed up in profiles.) */
static void column_text(sqlite3_stmt *s, int col, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t len = t ? (size_t)sqlite3_column_bytes(s, col) : 0;
    if (len >= n)
        len = n - 1;
    if (len > 0)
        memcpy(out, t, len);
    out[len] = '\0';
}

static void read_entry(sqlite3_stmt *s, hs_gazetteer_entry *e)
{
    e->id = sqlite3_column_int64(s, 0);
    e->kind = (hs_gazetteer_kind)sqlite3_column_int(s, 1);
    column_text(s, 2, e->name, sizeof e->name);
    e->x_m = sqlite3_column_double(s, 3);
    e->y_m = sqlite3_column_double(s, 4);
    e->precision_m = sqlite3_column_double(s, 5);
    e->weight = (long)sqlite3_column_int64(s, 6);
    column_text(s, 7, e->lsoa_code, sizeof e->lsoa_code);
    column_text(s, 8, e->place, sizeof e->place);
    column_text(s, 9, e->district, sizeof e->district);
    column_text(s, 10, e->county, sizeof e->county);
    column_text(s, 11, e->postcode_district, sizeof e->postcode_district);
}

/* Step s to the end, reading up to cap entries. */
static hs_status read_entries(hs_gazetteer *g, sqlite3_stmt *s, hs_gazetteer_entry *out, size_t cap,
                              size_t *n, hs_error *err)
{
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (*n < cap)
            read_entry(s, &out[(*n)++]);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return db_failed(g->path, g->db, "gazetteer lookup failed", err);
    return HS_OK;
}

/* Step a single-row lookup: *found = 1 when it returned a row (left unreset for reading). */
static hs_status step_one(hs_gazetteer *g, sqlite3_stmt *s, int *found, hs_error *err)
{
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return HS_OK;
    sqlite3_reset(s);
    return db_failed(g->path, g->db, "gazetteer lookup failed", err);
}

static void finish_one(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

hs_status hs_gazetteer_meta(hs_gazetteer *g, const char *key, char *out, size_t n, hs_error *err)
{
    int found;
    sqlite3_bind_text(g->meta, 1, key, -1, SQLITE_STATIC);
    hs_status st = step_one(g, g->meta, &found, err);
    if (n > 0)
        out[0] = '\0';
    if (st == HS_OK && found && n > 0)
        column_text(g->meta, 0, out, n);
    finish_one(g->meta);
    return st;
}

hs_status hs_gazetteer_find_postcode(hs_gazetteer *g, const char *postcode, hs_gazetteer_entry *out,
                                     int *found, hs_error *err)
{
    sqlite3_bind_text(g->postcode, 1, postcode, -1, SQLITE_STATIC);
    hs_status st = step_one(g, g->postcode, found, err);
    if (st == HS_OK && *found) {
        memset(out, 0, sizeof *out);
        out->kind = HS_GAZ_POSTCODE;
        out->x_m = sqlite3_column_double(g->postcode, 0);
        out->y_m = sqlite3_column_double(g->postcode, 1);
        out->precision_m = sqlite3_column_double(g->postcode, 2);
        out->weight = 1;
        snprintf(out->name, sizeof out->name, "%s", postcode);
        hs_postcode_district(postcode, out->postcode_district);
    }
    finish_one(g->postcode);
    return st;
}

hs_status hs_gazetteer_find_lsoa(hs_gazetteer *g, const char *lsoa_code, double *x_m, double *y_m,
                                 double *radius_m, int *found, hs_error *err)
{
    sqlite3_bind_text(g->lsoa, 1, lsoa_code, -1, SQLITE_STATIC);
    hs_status st = step_one(g, g->lsoa, found, err);
    if (st == HS_OK && *found) {
        *x_m = sqlite3_column_double(g->lsoa, 0);
        *y_m = sqlite3_column_double(g->lsoa, 1);
        *radius_m = sqlite3_column_double(g->lsoa, 2);
    }
    finish_one(g->lsoa);
    return st;
}

hs_status hs_gazetteer_find_name(hs_gazetteer *g, const char *name, unsigned kinds,
                                 const char *lsoa_code, const double *near_xy,
                                 hs_gazetteer_entry *out, size_t cap, size_t *n, hs_error *err)
{
    sqlite3_stmt *s = g->name;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, (int)kinds);
    if (lsoa_code != NULL)
        sqlite3_bind_text(s, 3, lsoa_code, -1, SQLITE_STATIC);
    if (near_xy != NULL) {
        sqlite3_bind_double(s, 4, near_xy[0]);
        sqlite3_bind_double(s, 5, near_xy[1]);
    }
    sqlite3_bind_int64(s, 6, (long long)cap);
    return read_entries(g, s, out, cap, n, err);
}

hs_status hs_gazetteer_find_near(hs_gazetteer *g, double x_m, double y_m, double radius_m,
                                 unsigned kinds, hs_gazetteer_entry *out, size_t cap, size_t *n,
                                 hs_error *err)
{
    sqlite3_stmt *s = g->near;
    sqlite3_bind_double(s, 1, x_m);
    sqlite3_bind_double(s, 2, y_m);
    sqlite3_bind_double(s, 3, radius_m);
    sqlite3_bind_int(s, 4, (int)kinds);
    sqlite3_bind_int64(s, 5, (long long)cap);
    return read_entries(g, s, out, cap, n, err);
}

/* ingest.c - read incident rows from CSV and OGR sources (see ingest.h).
 *
 * Must not: drop a row, transform or judge coordinates (transform.c does), geocode.
 * Row numbering: the first non-blank record after the header is row 1; blank lines are
 * skipped and counted apart; a record spanning lines (quoted newlines) is one row.
 *
 * CSV text is read in blocks cut after a line end. Two tokenizers give the same records:
 * libcsv (RFC 4180 quoting, any CSV) and the splitter of csvsplit.h, which is only exact on
 * text without a '"'. While the blocks hold no quote character (police.uk files never quote)
 * each block is cut into byte ranges at line starts; OpenMP threads take the rows of one range
 * each into a chunk table, and the chunks are appended to the caller's table in file order
 * with row and line numbers offset by what came before: the table is byte-identical to what
 * libcsv gives, at any thread count (tests/unit/test_ingest_paths.c). From the first block
 * holding a '"' on, libcsv reads the rest of the file on the calling thread.
 *
 * Why a hand-written path at all (bench_ingest on the 2-core machine, 2 M synthetic police.uk
 * rows, 380 MB; all figures in benchmarks/RESULTS.md): libcsv alone, parsing with empty
 * callbacks, takes 0.55 s per million rows (345 MB/s) before a single row is stored, more than
 * half of the second a million rows may take end to end, and it cannot be split between
 * threads; the splitter takes 0.11 s per million rows (1.7 GB/s) on one thread. Whole ingest
 * of the 2 M rows: libcsv path 2.06 s (the code before the splitter: 2.88 s), this path
 * 0.90 s on 1 thread and 0.50 s on 2.
 */
#include "geo/ingest.h"

#include "geo/csvsplit.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HS_COL_ID, HS_COL_DATE, HS_COL_CATEGORY, HS_COL_X, HS_COL_Y, HS_COL_ADDRESS,
       HS_COL_POSTCODE, HS_COL_LSOA, HS_COL_LSOA_NAME, HS_COL_WEIGHT, HS_NCOLS };

/* Bytes read at a time; a block grows (doubling) only when a single line is longer. */
#define HS_INGEST_BLOCK ((size_t)16 << 20)
/* Smallest byte range worth a chunk of its own (below it threads cost more than they save). */
#define HS_INGEST_MIN_CHUNK ((size_t)256 << 10)
/* Chunks per thread and block: several, so that a slow range does not leave a core idle. */
#define HS_INGEST_CHUNKS_PER_THREAD 4

static const char *const police_header[] = {
    "Crime ID",  "Month",     "Reported by", "Falls within", "Longitude",           "Latitude",
    "Location",  "LSOA code", "LSOA name",   "Crime type",   "Last outcome category", "Context"};
#define HS_POLICE_NCOLS (sizeof police_header / sizeof police_header[0])

void hs_ingest_params_default(hs_ingest_params *p)
{
    memset(p, 0, sizeof *p);
}

/* 1 when header text a[0..alen) names b: a UTF-8 byte-order mark and leading spaces are
 * skipped, case is ignored, trailing spaces and CRs are allowed. */
static int name_eq(const char *a, size_t alen, const char *b)
{
    if (alen >= 3 && (unsigned char)a[0] == 0xEF && (unsigned char)a[1] == 0xBB &&
        (unsigned char)a[2] == 0xBF) {
        a += 3;
        alen -= 3;
    }
    while (alen > 0 && *a == ' ') {
        a++;
        alen--;
    }
    size_t n = strlen(b);
    if (alen < n || strncasecmp(a, b, n) != 0)
        return 0;
    for (size_t i = n; i < alen; i++)
        if (a[i] != ' ' && a[i] != '\r')
            return 0;
    return 1;
}

int hs_ingest_is_police_header(const char *const *fields, size_t n)
{
    /* The police.uk street-level header, with or without the trailing Context column. */
    if (n < HS_POLICE_NCOLS - 1)
        return 0;
    for (size_t i = 0; i < HS_POLICE_NCOLS - 1; i++)
        if (!name_eq(fields[i], strlen(fields[i]), police_header[i]))
            return 0;
    return 1;
}

/* ---- UTF-8 ----------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* 1 when s[0..len) is valid UTF-8. Eight bytes at a time while the text is ASCII. */
static int utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, u + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            break;
    }
    while (i < len) {
        size_t k = u[i] < 0x80 ? 1 : utf8_seq_len(u + i, len - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* Copy s[0..len) to out (capacity >= 3 * len + 1) replacing invalid bytes by U+FFFD.
 * Returns the output length; *bad is set when something was replaced. */
static size_t utf8_repair(const char *s, size_t len, char *out, int *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq_len(u + i, len - i);
        if (k == 0) {
            out[o++] = (char)0xEF;
            out[o++] = (char)0xBF;
            out[o++] = (char)0xBD;
            *bad = 1;
            i++;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    return o;
}

/* ---- field values ---------------------------------------------------------------------- */

/* isspace() of the C locale (the program never calls setlocale), without the table lookup
 * through the locale: trim runs on every field. */
static int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* Plain decimals ([+-]digits[.digits], at most 19 digits counting leading zeros, at most
 * 2^53 as an integer): the integer and the power of ten (at most 10^19) are exact doubles, so
 * one IEEE division gives the correctly rounded value, the same double strtod returns
 * (Clinger, "How to read floating point numbers accurately", PLDI 1990: the fast path).
 * Returns 0 for anything else, which strtod then reads. */
static int plain_decimal(const char *s, size_t len, double *v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                   1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    size_t digits = 0, decimals = 0;
    int dot = 0;
    for (; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (++digits > 19)
                return 0;
            m = 10 * m + (uint64_t)(s[i] - '0');
            decimals += (size_t)dot;
        } else if (s[i] == '.' && !dot) {
            dot = 1;
        } else {
            return 0;
        }
    }
    if (digits == 0 || m > (UINT64_C(1) << 53))
        return 0;
    double d = (double)m / pow10[decimals];
    *v = neg ? -d : d;
    return 1;
}

/* Parse a coordinate. Returns 1 with *v set (NaN when the field is empty), 0 when the
 * text is not a finite number. */
static int parse_coord(const char *s, size_t len, double *v)
{
    trim(&s, &len);
    if (len == 0) {
        *v = NAN;
        return 1;
    }
    if (plain_decimal(s, len, v))
        return 1;
    char buf[64];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(d))
        return 0;
    *v = d;
    return 1;
}

/* Normalise a date to YYYY-MM: accepts YYYY-MM[...], YYYY/MM[...] and DD/MM/YYYY[...].
 * Returns the length written to out (7), or copies the text unchanged when unknown. */
static size_t month_of(const char *s, size_t len, char *out, size_t cap)
{
    trim(&s, &len);
    if (len >= 7 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[3]) &&
        (s[4] == '-' || s[4] == '/') && isdigit((unsigned char)s[5]) &&
        isdigit((unsigned char)s[6])) {
        memcpy(out, s, 7);
        out[4] = '-';
        out[7] = '\0';
        return 7;
    }
    if (len >= 10 && s[2] == '/' && s[5] == '/' && isdigit((unsigned char)s[0]) &&
        isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[6])) {
        memcpy(out, s + 6, 4);
        out[4] = '-';
        memcpy(out + 5, s + 3, 2);
        out[7] = '\0';
        return 7;
    }
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

/* The text of a field up to its first NUL, as C-string code saw fields before views. */
static size_t text_len(const hs_csv_field *f)
{
    return strnlen(f->s, f->len);
}

/* ---- the header ------------------------------------------------------------------------- */

/* What the header decided; read-only while rows are taken (shared by the threads). */
typedef struct csv_layout {
    const char *path;          /* file being read */
    const hs_column_map *map;  /* mapping, NULL for police.uk and auto-mapped files */
    size_t nheader;            /* header field count */
    int col[HS_NCOLS];         /* header index of each column, -1 = absent */
    int x_is_degrees;          /* the x column is named as a longitude */
    int x_is_metres;           /* the x column is named easting */
    char x_name[48];           /* header names of the x/y columns, for messages */
    char y_name[48];
} csv_layout;

static int police_header_fields(const hs_csv_field *f, size_t n)
{
    if (n < HS_POLICE_NCOLS - 1)
        return 0;
    for (size_t i = 0; i < HS_POLICE_NCOLS - 1; i++)
        if (!name_eq(f[i].s, text_len(&f[i]), police_header[i]))
            return 0;
    return 1;
}

/* Find a header column by any of the given names (case-insensitive); -1 when absent. */
static int find_column(const hs_csv_field *f, size_t n, const char *const *names)
{
    for (size_t k = 0; names[k]; k++)
        for (size_t i = 0; i < n; i++)
            if (name_eq(f[i].s, text_len(&f[i]), names[k]))
                return (int)i;
    return -1;
}

/* As find_column, skipping the columns (of the first 64) marked in taken. */
static int find_column_free(const hs_csv_field *f, size_t n, const char *const *names,
                            const unsigned char *taken)
{
    for (size_t k = 0; names[k]; k++)
        for (size_t i = 0; i < n; i++)
            if (!(i < 64 && taken[i]) && name_eq(f[i].s, text_len(&f[i]), names[k]))
                return (int)i;
    return -1;
}

/* 1 when header field i is named one of names. */
static int field_named(const hs_csv_field *f, int i, const char *const *names)
{
    for (size_t k = 0; names[k]; k++)
        if (name_eq(f[i].s, text_len(&f[i]), names[k]))
            return 1;
    return 0;
}

/* Column names recognised when a non-police CSV comes without a mapping. */
static const char *const auto_id[] = {"id", "incident_id", "crime id", "reference", "ref", NULL};
static const char *const auto_date[] = {"month", "date", "date reported", "reported date",
                                         "incident date", NULL};
static const char *const auto_category[] = {"category", "crime type", "crime_type", "type",
                                            "offence",  NULL};
static const char *const auto_x[] = {"longitude", "lon", "long", "easting", "x", NULL};
static const char *const auto_y[] = {"latitude", "lat", "northing", "y", NULL};
static const char *const auto_address[] = {"address", "location", NULL};
static const char *const auto_postcode[] = {"postcode", "post code", "post_code", NULL};
static const char *const auto_lsoa[] = {"lsoa code", "lsoa", NULL};
const char *hs_ingest_detect_column(const char *const *fields, size_t n, hs_ingest_role role)
{
    const char *const *names = role == HS_INGEST_X   ? auto_x
                               : role == HS_INGEST_Y ? auto_y
                                                     : auto_category;
    for (size_t k = 0; names[k]; k++)
        for (size_t i = 0; i < n; i++)
            if (name_eq(fields[i], strlen(fields[i]), names[k]))
                return fields[i];
    return NULL;
}

static const char *const degree_names[] = {"longitude", "lon", "long", NULL};
static const char *const metre_names[] = {"easting", NULL};

static hs_status setup_columns(csv_layout *lay, const hs_csv_field *f, size_t nf, long line,
                               hs_error *err)
{
    size_t n = nf < 64 ? nf : 64;
    lay->nheader = nf;
    for (int k = 0; k < HS_NCOLS; k++)
        lay->col[k] = -1;
    if (police_header_fields(f, n)) {
        lay->map = NULL;
        lay->col[HS_COL_ID] = 0;
        lay->col[HS_COL_DATE] = 1;
        lay->col[HS_COL_X] = 4;
        lay->col[HS_COL_Y] = 5;
        lay->col[HS_COL_ADDRESS] = 6;
        lay->col[HS_COL_LSOA] = 7;
        lay->col[HS_COL_LSOA_NAME] = 8;
        lay->col[HS_COL_CATEGORY] = 9;
        snprintf(lay->x_name, sizeof lay->x_name, "Longitude");
        snprintf(lay->y_name, sizeof lay->y_name, "Latitude");
        return HS_OK;
    }
    static const char *const label[HS_NCOLS] = {"id",      "date",     "category", "x", "y",
                                                "address", "postcode", "lsoa",     "",  "weight"};
    /* Mapped columns are looked up by their exact name (an error when missing); the others
     * are recognised by their usual names, so mapping one column (say the weight) keeps the
     * rest detected. x and y go together: mapping either turns their detection off. */
    const hs_column_map *m = lay->map;
    const char *given[HS_NCOLS] = {NULL};
    if (m != NULL) {
        const char *g[HS_NCOLS] = {m->id,      m->date,     m->category, m->x, m->y,
                                   m->address, m->postcode, m->lsoa,     NULL, m->weight};
        memcpy(given, g, sizeof given);
    }
    const char *const *autos[HS_NCOLS] = {auto_id,       auto_date,     auto_category,
                                          auto_x,        auto_y,        auto_address,
                                          auto_postcode, auto_lsoa,     NULL,
                                          NULL};
    int xy_mapped =
        (given[HS_COL_X] && given[HS_COL_X][0]) || (given[HS_COL_Y] && given[HS_COL_Y][0]);
    unsigned char taken[64] = {0}; /* header columns already given a role (first 64) */
    for (int k = 0; k < HS_NCOLS; k++) {
        if (given[k] == NULL || given[k][0] == '\0')
            continue;
        const char *names[] = {given[k], NULL};
        lay->col[k] = find_column(f, nf, names);
        if (lay->col[k] < 0)
            return hs_error_set(err, HS_EDATA, lay->path, line, 0,
                                "the header has no column '%s' (mapped as %s)", given[k],
                                label[k]);
        if (lay->col[k] < 64)
            taken[lay->col[k]] = 1;
    }
    /* Detection never gives a mapped column a second role. */
    for (int k = 0; k < HS_NCOLS; k++) {
        if (lay->col[k] >= 0 || autos[k] == NULL ||
            (xy_mapped && (k == HS_COL_X || k == HS_COL_Y)))
            continue;
        int c = find_column_free(f, nf, autos[k], taken);
        lay->col[k] = c;
        if (c >= 0 && c < 64)
            taken[c] = 1;
    }
    if (lay->col[HS_COL_X] >= 0 && lay->col[HS_COL_Y] >= 0) {
        const hs_csv_field *fx = &f[lay->col[HS_COL_X]], *fy = &f[lay->col[HS_COL_Y]];
        snprintf(lay->x_name, sizeof lay->x_name, "%.*s", (int)text_len(fx), fx->s);
        snprintf(lay->y_name, sizeof lay->y_name, "%.*s", (int)text_len(fy), fy->s);
    }
    if (!xy_mapped) {
        lay->x_is_degrees =
            lay->col[HS_COL_X] >= 0 && field_named(f, lay->col[HS_COL_X], degree_names);
        lay->x_is_metres =
            lay->col[HS_COL_X] >= 0 && field_named(f, lay->col[HS_COL_X], metre_names);
    }
    if ((lay->col[HS_COL_X] < 0) != (lay->col[HS_COL_Y] < 0))
        return hs_error_set(err, HS_EDATA, lay->path, line, 0,
                            "found only one of the x/y (longitude/latitude) columns: map both "
                            "or neither");
    if (lay->col[HS_COL_X] < 0 && lay->col[HS_COL_ADDRESS] < 0 && lay->col[HS_COL_POSTCODE] < 0)
        return hs_error_set(err, HS_EDATA, lay->path, line, 0,
                            "not a police.uk street-level CSV, and nothing to place rows by: "
                            "expected x/y (or longitude/latitude, easting/northing), address "
                            "or postcode columns, or a column mapping");
    return HS_OK;
}

/* ---- rows -------------------------------------------------------------------------------- */

/* Rows being taken into one table: the caller's table, or one chunk table of a block. */
typedef struct row_sink {
    hs_incidents *t;        /* table receiving the rows */
    uint32_t source;        /* source index stored in each row */
    int64_t row;            /* data rows so far (rows of this chunk for a chunk) */
    long line;              /* current physical line (LFs since the chunk start for a chunk) */
    int prev_term;          /* terminator of the previous record: '\r', '\n' or -1 */
    int all_degrees;        /* every coordinate so far fits longitude/latitude ranges */
    hs_ingest_stats stats;  /* counts so far */
    char *scratch;          /* UTF-8 repair buffer */
    size_t scratch_cap;     /* its size */
} row_sink;

static void sink_start(row_sink *k, hs_incidents *t, uint32_t source, long line, int prev_term)
{
    k->t = t;
    k->source = source;
    k->row = 0;
    k->line = line;
    k->prev_term = prev_term;
    k->all_degrees = 1;
    memset(&k->stats, 0, sizeof k->stats);
}

/* Capacity for need entries: need itself when it is an estimate of the whole file, else
 * doubling from cap (first when empty), as the table's own growth does. */
static size_t capacity_for(size_t cap, size_t need, int exact, size_t first)
{
    if (exact)
        return need;
    size_t c = cap ? cap : first;
    while (c < need)
        c *= 2;
    return c;
}

/* Grow the byte buffer *data of *cap bytes to new_cap bytes when need is more than *cap. */
static hs_status grow_bytes(char **data, size_t *cap, size_t need, size_t new_cap)
{
    if (need <= *cap)
        return HS_OK;
    char *d = realloc(*data, new_cap);
    if (d == NULL)
        return HS_ENOMEM;
    *data = d;
    *cap = new_cap;
    return HS_OK;
}

static hs_status scratch_reserve(row_sink *k, size_t n)
{
    return grow_bytes(&k->scratch, &k->scratch_cap, n, n + 256);
}

/* Store s[0..len) in column col of row, replacing invalid UTF-8 (then *bad is set). */
static hs_status put_text(row_sink *k, size_t *col, size_t row, const char *s, size_t len,
                          int *bad)
{
    if (utf8_valid(s, len))
        return hs_incidents_set_str(k->t, col, row, s, len);
    if (scratch_reserve(k, 3 * len + 1) != HS_OK)
        return HS_ENOMEM;
    size_t n = utf8_repair(s, len, k->scratch, bad);
    return hs_incidents_set_str(k->t, col, row, k->scratch, n);
}

/* Store mapped column kc of the record (trimmed) in column col of row. */
static hs_status put_str(const csv_layout *lay, row_sink *k, const hs_csv_field *f, size_t nf,
                         size_t row, size_t *col, int kc, int *bad)
{
    if (lay->col[kc] < 0 || (size_t)lay->col[kc] >= nf)
        return HS_OK;
    const char *s = f[lay->col[kc]].s;
    size_t len = f[lay->col[kc]].len;
    trim(&s, &len);
    return put_text(k, col, row, s, len, bad);
}

/* The raw record re-joined as CSV, for malformed rows. */
static hs_status put_raw(row_sink *k, const hs_csv_field *f, size_t nf, size_t row, int *bad)
{
    size_t cap = 16;
    for (size_t i = 0; i < nf; i++)
        cap += 2 * text_len(&f[i]) + 3;
    char *raw = malloc(cap);
    if (raw == NULL)
        return HS_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < nf; i++) {
        size_t len = text_len(&f[i]);
        int quote = 0;
        for (size_t j = 0; j < len && !quote; j++)
            quote = strchr(",\"\r\n", f[i].s[j]) != NULL;
        if (i)
            raw[o++] = ',';
        if (quote)
            raw[o++] = '"';
        for (size_t j = 0; j < len; j++) {
            if (f[i].s[j] == '"')
                raw[o++] = '"';
            raw[o++] = f[i].s[j];
        }
        if (quote)
            raw[o++] = '"';
    }
    hs_status st = put_text(k, k->t->raw, row, raw, o, bad);
    free(raw);
    return st;
}

/* Fail row with "<what>: <name> '<the field, at most 40 bytes>' <expected>". */
static hs_status fail_field(row_sink *k, size_t row, const hs_csv_field *f, const char *what,
                            const char *name, const char *expected)
{
    int ignored = 0;
    char shown[3 * 40 + 1], reason[256];
    size_t len = f->len < 40 ? f->len : 40;
    utf8_repair(f->s, len, shown, &ignored);
    snprintf(reason, sizeof reason, "%s: %s '%s' %s", what, name, shown, expected);
    k->stats.malformed++;
    return hs_incidents_fail(k->t, row, reason);
}

static hs_status take_coordinates(const csv_layout *lay, row_sink *k, const hs_csv_field *f,
                                  size_t row)
{
    hs_incidents *t = k->t;
    size_t kx = (size_t)lay->col[HS_COL_X], ky = (size_t)lay->col[HS_COL_Y];
    double x, y;
    int okx = parse_coord(f[kx].s, f[kx].len, &x);
    int oky = parse_coord(f[ky].s, f[ky].len, &y);
    if (!okx || !oky) {
        const char *name = okx ? lay->y_name : lay->x_name;
        return fail_field(k, row, &f[okx ? ky : kx], "bad coordinate", name,
                          "is not a finite number");
    }
    if (isnan(x) != isnan(y)) {
        k->stats.malformed++;
        return hs_incidents_fail(t, row, "bad coordinate: only one of x/y is given");
    }
    t->in_x[row] = x;
    t->in_y[row] = y;
    if (!isnan(x) && (fabs(x) > 180.0 || fabs(y) > 90.0))
        k->all_degrees = 0;
    return HS_OK;
}

static hs_status take_record(const csv_layout *lay, row_sink *k, const hs_csv_field *f,
                             size_t nf, long record_line)
{
    hs_incidents *t = k->t;
    size_t row;
    hs_status st = hs_incidents_append(t, k->source, ++k->row, record_line, &row);
    if (st != HS_OK)
        return st;
    k->stats.rows++;
    int bad = 0;
    if (nf != lay->nheader) {
        if ((st = put_raw(k, f, nf, row, &bad)) != HS_OK)
            return st;
        char reason[256];
        snprintf(reason, sizeof reason, "malformed row: expected %zu fields, found %zu",
                 lay->nheader, nf);
        k->stats.malformed++;
        if (bad)
            k->stats.bad_utf8++;
        return hs_incidents_fail(t, row, reason);
    }
    if ((st = put_str(lay, k, f, nf, row, t->id, HS_COL_ID, &bad)) != HS_OK ||
        (st = put_str(lay, k, f, nf, row, t->category, HS_COL_CATEGORY, &bad)) != HS_OK ||
        (st = put_str(lay, k, f, nf, row, t->location, HS_COL_ADDRESS, &bad)) != HS_OK ||
        (st = put_str(lay, k, f, nf, row, t->postcode, HS_COL_POSTCODE, &bad)) != HS_OK ||
        (st = put_str(lay, k, f, nf, row, t->lsoa_code, HS_COL_LSOA, &bad)) != HS_OK ||
        (st = put_str(lay, k, f, nf, row, t->lsoa_name, HS_COL_LSOA_NAME, &bad)) != HS_OK)
        return st;
    if (lay->col[HS_COL_DATE] >= 0) {
        char m[64];
        const hs_csv_field *d = &f[lay->col[HS_COL_DATE]];
        size_t n = month_of(d->s, d->len, m, sizeof m);
        if ((st = put_text(k, t->month, row, m, n, &bad)) != HS_OK)
            return st;
    }
    if (bad)
        k->stats.bad_utf8++;
    if (lay->col[HS_COL_WEIGHT] >= 0) {
        const hs_csv_field *w = &f[lay->col[HS_COL_WEIGHT]];
        double wv;
        if (!parse_coord(w->s, w->len, &wv) || wv < 0.0)
            return fail_field(k, row, w, "bad weight",
                              lay->map && lay->map->weight ? lay->map->weight : "weight",
                              "is not a number >= 0");
        t->weight[row] = isnan(wv) ? 1.0 : wv;
    }
    if (lay->col[HS_COL_X] >= 0)
        return take_coordinates(lay, k, f, row);
    return HS_OK;
}

/* One record after the header, from either tokenizer. nf == 0: an empty record, which is a
 * blank line unless it is the LF of a CRLF pair (or the end of the text). */
static hs_status sink_record(const csv_layout *lay, row_sink *k, const hs_csv_field *f,
                             size_t nf, int term, long record_line)
{
    hs_status st = HS_OK;
    if (nf == 0) {
        if (!(term == '\n' && k->prev_term == '\r') && term != -1)
            k->stats.blank++;
    } else {
        st = take_record(lay, k, f, nf, record_line);
    }
    k->prev_term = term;
    if (term == '\n')
        k->line++;
    return st;
}

/* ---- appending chunk tables to the caller's table ------------------------------------------ */

/* Every column of hs_incidents, and those holding string-pool offsets. The static assertion
 * fails when hs_incidents changes: add the new column here. */
#define HS_INGEST_COLUMNS(X)                                                                       \
    X(source) X(source_row) X(source_line) X(id) X(month) X(category) X(location) X(postcode)      \
    X(lsoa_code) X(lsoa_name) X(raw) X(in_x) X(in_y) X(weight) X(state) X(method) X(score)         \
    X(precision_m) X(reason) X(x) X(y) X(ward) X(groups)
#define HS_INGEST_STRING_COLUMNS(X)                                                                \
    X(id) X(month) X(category) X(location) X(postcode) X(lsoa_code) X(lsoa_name) X(raw) X(reason)
_Static_assert(sizeof(hs_incidents) == 3 * sizeof(size_t) + sizeof(hs_strpool) +
                                           sizeof(hs_source *) + 23 * sizeof(void *),
               "hs_incidents changed: update HS_INGEST_COLUMNS in ingest.c");

/* Make room for rows rows in every column. */
static hs_status table_reserve(hs_incidents *t, size_t rows, int exact)
{
    if (rows <= t->cap)
        return HS_OK;
    size_t cap = capacity_for(t->cap, rows, exact, 1024);
    void *p;
#define HS_RESERVE_COLUMN(c)                                                                       \
    p = realloc(t->c, cap * sizeof *t->c);                                                         \
    if (p == NULL)                                                                                 \
        return HS_ENOMEM;                                                                          \
    t->c = p;
    HS_INGEST_COLUMNS(HS_RESERVE_COLUMN)
#undef HS_RESERVE_COLUMN
    t->cap = cap;
    return HS_OK;
}

static hs_status pool_reserve(hs_strpool *p, size_t bytes, int exact)
{
    return grow_bytes(&p->data, &p->cap, bytes, capacity_for(p->cap, bytes, exact, 4096));
}

/* Where one chunk's rows go in the caller's table. */
typedef struct chunk_place {
    size_t at;          /* first row */
    size_t pool_at;     /* where its strings start in the pool */
    int64_t row_base;   /* data rows before the chunk in the file */
    long line_base;     /* physical line the chunk starts on */
} chunk_place;

/* Copy src's rows (numbered from its start) into dst at pl; dst has the room. */
static void append_chunk(hs_incidents *dst, const hs_incidents *src, uint32_t source,
                         const chunk_place *pl)
{
    if (src->n == 0)
        return; /* nothing to copy: its columns may not even be allocated */
    size_t at = pl->at, shift = pl->pool_at - 1;
#define HS_COPY_COLUMN(c) memcpy(dst->c + at, src->c, src->n * sizeof *src->c);
    HS_INGEST_COLUMNS(HS_COPY_COLUMN)
#undef HS_COPY_COLUMN
    for (size_t j = at; j < at + src->n; j++) {
        dst->source[j] = source;
        dst->source_row[j] += pl->row_base;
        dst->source_line[j] += pl->line_base;
#define HS_SHIFT_OFFSET(c)                                                                         \
    if (dst->c[j] != 0)                                                                            \
        dst->c[j] += shift;
        HS_INGEST_STRING_COLUMNS(HS_SHIFT_OFFSET)
#undef HS_SHIFT_OFFSET
    }
    memcpy(dst->pool.data + pl->pool_at, src->pool.data + 1, src->pool.len - 1);
}

/* ---- one file ---------------------------------------------------------------------------- */

/* One byte range of a block and the rows taken from it. */
typedef struct chunk {
    size_t begin, end;  /* byte range in the block's data part */
    hs_incidents t;     /* its rows: source 0, rows and lines counted from the range start */
    int t_ready;        /* t is initialised */
    row_sink sink;      /* taking rows into t */
    hs_status status;   /* first failure */
    chunk_place place;  /* where its rows go */
} chunk;

typedef struct csv_reader {
    csv_layout lay;          /* from the header */
    row_sink main;           /* the caller's table: header, libcsv rows, file-wide counts */
    int have_header;         /* header read */
    hs_status status;        /* first failure inside libcsv callbacks */
    hs_error *err;           /* where failures go */
    /* libcsv: the record being assembled */
    char *buf;               /* field bytes, each NUL-terminated */
    size_t buf_len, buf_cap; /* bytes used / allocated */
    size_t *field_off;       /* start of each field in buf */
    size_t field_cap;        /* allocated field_off and view entries */
    size_t nfield;           /* fields in the record */
    hs_csv_field *view;      /* the record's fields (into buf, or into the block) */
    long record_line;        /* line where the current record started */
    /* splitter */
    chunk *chunks;           /* chunks of a block */
    size_t nchunks_cap;      /* allocated chunks */
    size_t file_size;        /* bytes in the file; 0 when unknown (not a regular file) */
    size_t done_bytes;       /* bytes of the file handed to the splitter so far */
    size_t first_row;        /* the table's rows before this file */
    size_t first_pool;       /* the table's string bytes before this file */
} csv_reader;

/* A header record (the first non-empty record) or a data record after it. */
static hs_status reader_record(csv_reader *r, const hs_csv_field *f, size_t nf, int term,
                               long record_line)
{
    if (r->have_header)
        return sink_record(&r->lay, &r->main, f, nf, term, record_line);
    hs_status st = HS_OK;
    if (nf > 0) {
        st = setup_columns(&r->lay, f, nf, record_line, r->err);
        r->have_header = 1;
    }
    r->main.prev_term = term;
    if (term == '\n')
        r->main.line++;
    return st;
}

static hs_status reserve_fields(csv_reader *r, size_t n)
{
    if (n <= r->field_cap)
        return HS_OK;
    size_t cap = r->field_cap ? r->field_cap : 32;
    while (cap < n)
        cap *= 2;
    size_t *off = realloc(r->field_off, cap * sizeof *off);
    if (off == NULL)
        return HS_ENOMEM;
    r->field_off = off;
    hs_csv_field *v = realloc(r->view, cap * sizeof *v);
    if (v == NULL)
        return HS_ENOMEM;
    r->view = v;
    r->field_cap = cap;
    return HS_OK;
}

static void on_field(void *s, size_t len, void *data)
{
    csv_reader *r = data;
    if (r->status != HS_OK)
        return;
    if (r->nfield == 0)
        r->record_line = r->main.line;
    if (reserve_fields(r, r->nfield + 1) != HS_OK) {
        r->status = HS_ENOMEM;
        return;
    }
    size_t need = r->buf_len + len + 1;
    if (grow_bytes(&r->buf, &r->buf_cap, need, capacity_for(r->buf_cap, need, 0, 4096)) !=
        HS_OK) {
        r->status = HS_ENOMEM;
        return;
    }
    r->field_off[r->nfield++] = r->buf_len;
    if (len)
        memcpy(r->buf + r->buf_len, s, len);
    r->buf[r->buf_len + len] = '\0';
    r->buf_len += len + 1;
    for (size_t i = 0; i < len; i++)
        if (((const char *)s)[i] == '\n')
            r->main.line++;
}

static void on_record(int ch, void *data)
{
    csv_reader *r = data;
    if (r->status == HS_OK) {
        for (size_t i = 0; i < r->nfield; i++) {
            size_t end = i + 1 < r->nfield ? r->field_off[i + 1] : r->buf_len;
            r->view[i].s = r->buf + r->field_off[i];
            r->view[i].len = end - 1 - r->field_off[i];
        }
        if (r->nfield == 0)
            r->record_line = r->main.line;
        r->status = reader_record(r, r->view, r->nfield, ch, r->record_line);
    }
    r->nfield = 0;
    r->buf_len = 0;
}

/* Split one record of text[*pos..len) into r->view (grown as needed). */
static hs_status split_next(csv_reader *r, const char *text, size_t len, size_t *pos,
                            size_t *nf, int *term)
{
    for (;;) {
        *nf = hs_csvsplit_record(text, len, pos, r->view, r->field_cap, term);
        if (*nf <= r->field_cap)
            return HS_OK;
        if (reserve_fields(r, *nf) != HS_OK)
            return HS_ENOMEM;
    }
}

/* Room in chunk c's table for all its rows before taking them, so that the table does not
 * grow (copying every column) as rows arrive: rows <= lines that are not blank (blank lines
 * give no row, and a file of them must not reserve a row each), and string bytes <= the
 * chunk's bytes (a field's text, its NUL in place of its separator). Only an estimate for
 * odd input (CR-only line ends, repaired UTF-8): the table still grows when it must. */
static hs_status chunk_reserve(chunk *c, const char *text)
{
    size_t lines = 1;
    const char *p = text + c->begin, *end = text + c->end;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        const char *q = p; /* a line of spaces, tabs and CRs is blank: no row */
        while (q < nl && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        lines += q < nl;
        p = nl + 1;
    }
    if (table_reserve(&c->t, lines, 1) != HS_OK ||
        pool_reserve(&c->t.pool, c->end - c->begin + 2, 1) != HS_OK)
        return HS_ENOMEM;
    return HS_OK;
}

/* Take the rows of chunk c of text (fields go into a local view array). */
static void chunk_rows(const csv_layout *lay, chunk *c, const char *text)
{
    hs_csv_field small[64];
    hs_csv_field *f = small;
    size_t cap = sizeof small / sizeof small[0];
    size_t pos = c->begin;
    c->status = chunk_reserve(c, text);
    while (pos < c->end && c->status == HS_OK) {
        int term;
        size_t at = pos;
        size_t nf = hs_csvsplit_record(text, c->end, &pos, f, cap, &term);
        if (nf > cap) {
            hs_csv_field *g = malloc(nf * sizeof *g);
            if (g == NULL) {
                c->status = HS_ENOMEM;
                break;
            }
            if (f != small)
                free(f);
            f = g;
            cap = nf;
            pos = at;
            continue;
        }
        c->status = sink_record(lay, &c->sink, f, nf, term, c->sink.line);
    }
    if (f != small)
        free(f);
}

/* How many chunks for n bytes: enough for every thread to take several, none tiny. */
static size_t chunk_count(const csv_reader *r, size_t n)
{
    size_t by_size = n / HS_INGEST_MIN_CHUNK + 1;
    return by_size < r->nchunks_cap ? by_size : r->nchunks_cap;
}

/* Cut text[0..len) (starting at a record start) into chunks that start at line starts. */
static hs_status chunks_prepare(csv_reader *r, const char *text, size_t len, size_t nc)
{
    size_t prev = 0;
    for (size_t k = 0; k < nc; k++) {
        chunk *c = &r->chunks[k];
        if (!c->t_ready) {
            if (hs_incidents_init(&c->t) != HS_OK)
                return HS_ENOMEM;
            c->t_ready = 1;
        }
        c->t.n = 0;
        c->t.pool.len = 1;
        size_t b = k == 0 ? 0 : hs_csvsplit_line_start(text, len, k * (len / nc));
        c->begin = b > prev ? b : prev;
        prev = c->begin;
        if (k > 0)
            r->chunks[k - 1].end = c->begin;
        /* A chunk that starts after a LF follows a LF; the first follows whatever ended the
         * record before the block's data (the header's CR of a CRLF, say). */
        sink_start(&c->sink, &c->t, 0, 0, c->begin == 0 ? r->main.prev_term : '\n');
    }
    r->chunks[nc - 1].end = len;
    return HS_OK;
}

/* What a file's rows will need in all, estimated from what its first seen bytes gave, with
 * 5 % spare; need when the file's size is unknown or nearly all seen. */
static size_t whole_file(const csv_reader *r, size_t base, size_t need, size_t seen)
{
    if (r->file_size <= seen || need <= base)
        return need;
    double scale = (double)r->file_size / (double)seen * 1.05;
    size_t est = base + (size_t)((double)(need - base) * scale);
    return est > need ? est : need;
}

/* Room for the rows and string bytes of a block of len bytes. When the table must grow, it
 * grows to what the whole file is estimated to need (re-estimated each time, from all the
 * file seen so far) rather than doubling: it then grows a few times at most, and holds
 * little unused room. */
static hs_status reserve_for(csv_reader *r, size_t rows, size_t bytes, size_t len)
{
    hs_incidents *t = r->main.t;
    size_t need_rows = t->n + rows, need_bytes = t->pool.len + bytes;
    size_t seen = r->done_bytes + len;
    int known = r->file_size > 0;
    if (need_rows > t->cap &&
        table_reserve(t, whole_file(r, r->first_row, need_rows, seen), known) != HS_OK)
        return HS_ENOMEM;
    if (need_bytes > t->pool.cap &&
        pool_reserve(&t->pool, whole_file(r, r->first_pool, need_bytes, seen), known) != HS_OK)
        return HS_ENOMEM;
    return HS_OK;
}

/* Fix where each chunk's rows go (len: the bytes they came from), and make room for them. */
static hs_status chunks_place(csv_reader *r, size_t nc, size_t len, size_t *rows,
                              size_t *bytes)
{
    hs_incidents *t = r->main.t;
    size_t at = t->n, pool_at = t->pool.len;
    int64_t row_base = r->main.row;
    long line_base = r->main.line;
    for (size_t k = 0; k < nc; k++) {
        chunk *c = &r->chunks[k];
        c->place = (chunk_place){at, pool_at, row_base, line_base};
        at += c->t.n;
        pool_at += c->t.pool.len - 1;
        row_base += c->sink.row;
        line_base += c->sink.line;
    }
    *rows = at - t->n;
    *bytes = pool_at - t->pool.len;
    return reserve_for(r, *rows, *bytes, len);
}

/* Add the chunks' counts to the file's. */
static void chunks_account(csv_reader *r, size_t nc, size_t rows, size_t bytes)
{
    row_sink *m = &r->main;
    for (size_t k = 0; k < nc; k++) {
        const chunk *c = &r->chunks[k];
        m->row += c->sink.row;
        m->line += c->sink.line;
        if (c->end > c->begin)
            m->prev_term = c->sink.prev_term;
        m->all_degrees &= c->sink.all_degrees;
        m->stats.rows += c->sink.stats.rows;
        m->stats.malformed += c->sink.stats.malformed;
        m->stats.bad_utf8 += c->sink.stats.bad_utf8;
        m->stats.blank += c->sink.stats.blank;
    }
    m->t->n += rows;
    m->t->pool.len += bytes;
    m->t->sources[m->source].rows += rows;
}

/* The data rows of text[0..len) (starting at a record start, ending after a LF or at the end
 * of the file), in parallel chunks appended in order. */
static hs_status split_rows(csv_reader *r, const char *text, size_t len)
{
    size_t nc = chunk_count(r, len);
    hs_status st = chunks_prepare(r, text, len, nc);
    if (st != HS_OK)
        return st;
    chunk *chunks = r->chunks;
    const csv_layout *lay = &r->lay;
#pragma omp parallel for default(none) shared(chunks, nc, lay, text) schedule(dynamic, 1)
    for (size_t k = 0; k < nc; k++)
        chunk_rows(lay, &chunks[k], text);
    for (size_t k = 0; k < nc; k++)
        if (chunks[k].status != HS_OK)
            return chunks[k].status;
    size_t rows, bytes;
    if ((st = chunks_place(r, nc, len, &rows, &bytes)) != HS_OK)
        return st;
    hs_incidents *t = r->main.t;
    uint32_t source = r->main.source;
#pragma omp parallel for default(none) shared(chunks, nc, t, source) schedule(dynamic, 1)
    for (size_t k = 0; k < nc; k++)
        append_chunk(t, &chunks[k].t, source, &chunks[k].place);
    chunks_account(r, nc, rows, bytes);
    return HS_OK;
}

/* One block of text without a quote character: the header first (if not read yet), then the
 * data rows. */
static hs_status split_block(csv_reader *r, const char *text, size_t len)
{
    size_t pos = 0;
    hs_status st = HS_OK;
    while (!r->have_header && pos < len && st == HS_OK) {
        size_t nf;
        int term;
        long line = r->main.line;
        if ((st = split_next(r, text, len, &pos, &nf, &term)) == HS_OK)
            st = reader_record(r, r->view, nf, term, line);
    }
    if (st != HS_OK || pos == len)
        return st;
    return split_rows(r, text + pos, len - pos);
}

/* Position just after the last LF of text[0..len), or 0. */
static size_t after_last_lf(const char *text, size_t len)
{
    while (len > 0 && text[len - 1] != '\n')
        len--;
    return len;
}

/* The file being read. A regular file is read in slices by several threads at once: the
 * copy out of the page cache is the one part of reading a block that is not parallel
 * otherwise. Anything else (a pipe) is read sequentially. */
typedef struct file_in {
    int fd;       /* descriptor */
    int regular;  /* a regular file: pread at offsets */
    off_t at;     /* bytes read so far */
    int failed;   /* a read failed */
} file_in;

/* Slices of a block read by the threads (several each, taken dynamically): at most this
 * many, of at least 1 MiB. */
#define HS_INGEST_MAX_SLICES 16
#define HS_INGEST_MIN_SLICE ((size_t)1 << 20)

/* Read want bytes at offset at (or, at < 0, from the current position); fewer only at the
 * end of the file or on failure (*failed set). */
static size_t read_full(int fd, char *dst, size_t want, off_t at, int *failed)
{
    size_t got = 0;
    while (got < want) {
        ssize_t k = at < 0 ? read(fd, dst + got, want - got)
                           : pread(fd, dst + got, want - got, at + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            *failed |= k < 0;
            break;
        }
        got += (size_t)k;
    }
    return got;
}

/* Read up to want bytes into dst; returns how many (fewer only at the end of the file).
 * *quoted is set when they hold a '"' (each thread looks through the slice it read). */
static size_t read_some(file_in *in, char *dst, size_t want, int *quoted)
{
    if (!in->regular) {
        size_t got = read_full(in->fd, dst, want, -1, &in->failed);
        *quoted |= !hs_csvsplit_unquoted(dst, got);
        return got;
    }
    size_t ns = want / HS_INGEST_MIN_SLICE + 1;
    size_t per_threads = (size_t)omp_get_max_threads() * HS_INGEST_CHUNKS_PER_THREAD;
    ns = ns < per_threads ? ns : per_threads;
    ns = ns < HS_INGEST_MAX_SLICES ? ns : HS_INGEST_MAX_SLICES;
    size_t slice = (want + ns - 1) / ns, got[HS_INGEST_MAX_SLICES];
    int bad[HS_INGEST_MAX_SLICES] = {0}, quote[HS_INGEST_MAX_SLICES] = {0};
    int fd = in->fd;
    off_t at = in->at;
#pragma omp parallel for default(none) shared(fd, at, dst, want, slice, ns, got, bad, quote)   \
    schedule(dynamic, 1)
    for (size_t k = 0; k < ns; k++) {
        size_t off = k * slice < want ? k * slice : want;
        size_t len = want - off < slice ? want - off : slice;
        got[k] = read_full(fd, dst + off, len, at + (off_t)off, &bad[k]);
        quote[k] = !hs_csvsplit_unquoted(dst + off, got[k]);
    }
    /* Only the bytes up to the first short slice follow each other in the file. */
    size_t total = 0;
    for (size_t k = 0; k < ns; k++) {
        in->failed |= bad[k];
        *quoted |= quote[k];
        total += got[k];
        if (got[k] < slice)
            break;
    }
    in->at += (off_t)total;
    return total;
}

/* Read the file block by block into r. *total receives the bytes read. */
static hs_status read_blocks(csv_reader *r, file_in *in, int force_libcsv, size_t *total)
{
    struct csv_parser parser;
    if (csv_init(&parser, CSV_APPEND_NULL | CSV_REPALL_NL) != 0)
        return HS_ENOMEM;
    size_t cap = HS_INGEST_BLOCK, have = 0;
    char *buf = malloc(cap);
    hs_status st = buf ? HS_OK : HS_ENOMEM;
    int eof = 0, use_libcsv = force_libcsv;
    *total = 0;
    while (st == HS_OK) {
        if (!eof && have < cap) {
            /* A quote anywhere: libcsv reads the rest (the bytes carried over from the last
             * block were looked through when they were read). */
            size_t got = read_some(in, buf + have, cap - have, &use_libcsv);
            eof = got < cap - have;
            have += got;
            *total += got;
            if (in->failed) {
                st = hs_error_set(r->err, HS_EDATA, r->lay.path, r->main.line, 0, "read error");
                break;
            }
        }
        if (have == 0)
            break;
        if (use_libcsv) {
            if (csv_parse(&parser, buf, have, on_field, on_record, r) != have)
                st = hs_error_set(r->err, HS_EDATA, r->lay.path, r->main.line, 0,
                                  "CSV parse error: %s", csv_strerror(csv_error(&parser)));
            have = 0;
            if (st == HS_OK)
                st = r->status;
            continue;
        }
        size_t cut = eof ? have : after_last_lf(buf, have);
        if (cut == 0) {
            /* A line longer than the block: read on into a larger one. */
            char *b = realloc(buf, 2 * cap);
            if (b == NULL) {
                st = HS_ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
            continue;
        }
        st = split_block(r, buf, cut);
        r->done_bytes += cut;
        memmove(buf, buf + cut, have - cut);
        have -= cut;
    }
    if (st == HS_OK && use_libcsv) {
        csv_fini(&parser, on_field, on_record, r);
        st = r->status;
    }
    free(buf);
    csv_free(&parser);
    return st;
}

/* Settle the source's format and CRS once the whole file is read. */
static hs_status finish_source(csv_reader *r, const hs_ingest_params *p)
{
    hs_source *src = &r->main.t->sources[r->main.source];
    src->blank = r->main.stats.blank;
    if (r->lay.col[HS_COL_LSOA_NAME] >= 0)
        return HS_OK; /* police.uk: as added */
    free(src->format);
    src->format = malloc(4);
    if (src->format)
        memcpy(src->format, "csv", 4);
    free(src->crs);
    /* CRS: as mapped; else from the column names; else from the values. */
    const char *crs = "EPSG:4326";
    if (r->lay.map != NULL && r->lay.map->source_crs)
        crs = r->lay.map->source_crs;
    else if (p && p->map.source_crs)
        crs = p->map.source_crs;
    else if (r->lay.x_is_metres || (!r->lay.x_is_degrees && !r->main.all_degrees))
        crs = "EPSG:27700";
    src->crs = malloc(strlen(crs) + 1);
    if (src->crs)
        memcpy(src->crs, crs, strlen(crs) + 1);
    if (!src->format || !src->crs)
        return HS_ENOMEM;
    return HS_OK;
}

static void reader_free(csv_reader *r)
{
    for (size_t k = 0; k < r->nchunks_cap; k++) {
        if (r->chunks[k].t_ready)
            hs_incidents_free(&r->chunks[k].t);
        free(r->chunks[k].sink.scratch);
    }
    free(r->chunks);
    free(r->main.scratch);
    free(r->buf);
    free(r->field_off);
    free(r->view);
}

/* Leave the table as it was before this file: drop its rows, strings and (when it was
 * added) its source entry. */
static void drop_file(hs_incidents *t, size_t first_row, size_t pool_len, int added)
{
    t->n = first_row;
    t->pool.len = pool_len;
    if (added) {
        hs_source *src = &t->sources[--t->nsources];
        free(src->path);
        free(src->name);
        free(src->crs);
        free(src->format);
    }
}

static hs_status read_csv(hs_incidents *t, const char *path, const hs_ingest_params *p,
                          hs_ingest_stats *stats, hs_error *err)
{
    file_in in = {.fd = open(path, O_RDONLY)};
    if (in.fd < 0)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open: %s", strerror(errno));
    csv_reader r;
    memset(&r, 0, sizeof r);
    struct stat sb;
    in.regular = fstat(in.fd, &sb) == 0 && S_ISREG(sb.st_mode);
    if (in.regular)
        r.file_size = (size_t)sb.st_size;
    r.lay.path = path;
    r.err = err;
    r.lay.map = p && (p->map.id || p->map.date || p->map.category || p->map.x || p->map.y ||
                      p->map.address || p->map.postcode || p->map.lsoa || p->map.weight)
                    ? &p->map
                    : NULL;
    size_t first_row = t->n, pool_len = t->pool.len;
    r.first_row = first_row;
    r.first_pool = pool_len;
    uint32_t source = 0;
    hs_status st = hs_incidents_add_source(t, path, "EPSG:4326", "police.uk", &source);
    int added = st == HS_OK;
    sink_start(&r.main, t, source, 1, -1);
    r.nchunks_cap = (size_t)omp_get_max_threads() * HS_INGEST_CHUNKS_PER_THREAD;
    r.chunks = calloc(r.nchunks_cap, sizeof *r.chunks);
    if (st == HS_OK && (r.chunks == NULL || reserve_fields(&r, 64) != HS_OK))
        st = HS_ENOMEM;
    size_t total = 0;
    if (st == HS_OK)
        st = read_blocks(&r, &in, p && p->tokenizer == HS_CSV_LIBCSV, &total);
    if (st == HS_OK && total == 0)
        st = hs_error_set(err, HS_EDATA, path, 0, 0, "the file is empty (expected a header "
                                                     "line and data rows)");
    if (st == HS_OK && !r.have_header)
        st = hs_error_set(err, HS_EDATA, path, 0, 0, "no header line found");
    if (st == HS_OK)
        st = finish_source(&r, p);
    if (st == HS_ENOMEM && err != NULL && err->code == HS_OK)
        hs_error_set(err, HS_ENOMEM, path, 0, 0,
                     "out of memory after reading %zu bytes; expected a file whose rows fit in "
                     "memory: free memory or read it in parts",
                     total);
    if (st != HS_OK)
        drop_file(t, first_row, pool_len, added);
    else if (stats)
        *stats = r.main.stats;
    if (r.chunks == NULL)
        r.nchunks_cap = 0;
    reader_free(&r);
    close(in.fd);
    return st;
}

/* ---- OGR sources ------------------------------------------------------------------------- */

static hs_status ogr_str(hs_incidents *t, size_t *col, size_t row, OGRFeatureH f, int idx,
                         int *bad)
{
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx))
        return HS_OK;
    const char *s = OGR_F_GetFieldAsString(f, idx);
    size_t len = strlen(s);
    trim(&s, &len);
    char *fix = malloc(3 * len + 1);
    if (fix == NULL)
        return HS_ENOMEM;
    size_t n = utf8_repair(s, len, fix, bad);
    hs_status st = hs_incidents_set_str(t, col, row, fix, n);
    free(fix);
    return st;
}

static char *srs_string(OGRSpatialReferenceH srs)
{
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    char *out = NULL;
    if (auth && code) {
        out = malloc(strlen(auth) + strlen(code) + 2);
        if (out)
            sprintf(out, "%s:%s", auth, code);
        return out;
    }
    char *wkt = NULL;
    const char *opts[] = {"FORMAT=WKT2_2019", NULL};
    if (OSRExportToWktEx(srs, &wkt, opts) == OGRERR_NONE && wkt) {
        out = malloc(strlen(wkt) + 1);
        if (out)
            memcpy(out, wkt, strlen(wkt) + 1);
    }
    CPLFree(wkt);
    return out;
}

static hs_status read_ogr(hs_incidents *t, const char *path, const hs_ingest_params *p,
                          hs_ingest_stats *stats, hs_error *err)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (ds == NULL)
        return hs_error_set(err, HS_EDATA, path, 0, 0,
                            "cannot open as a vector data source: %s", CPLGetLastErrorMsg());
    OGRLayerH layer = (p && p->layer) ? GDALDatasetGetLayerByName(ds, p->layer)
                                      : GDALDatasetGetLayer(ds, 0);
    if (layer == NULL) {
        GDALClose(ds);
        return hs_error_set(err, HS_EDATA, path, 0, 0, "no layer '%s'",
                            (p && p->layer) ? p->layer : "(first)");
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const hs_column_map *m = p ? &p->map : NULL;
    const char *names[HS_NCOLS] = {0};
    if (m) {
        names[HS_COL_ID] = m->id;
        names[HS_COL_DATE] = m->date;
        names[HS_COL_CATEGORY] = m->category;
        names[HS_COL_ADDRESS] = m->address;
        names[HS_COL_POSTCODE] = m->postcode;
        names[HS_COL_LSOA] = m->lsoa;
        names[HS_COL_WEIGHT] = m->weight;
    }
    int idx[HS_NCOLS];
    for (int k = 0; k < HS_NCOLS; k++) {
        idx[k] = -1;
        if (names[k] && names[k][0]) {
            idx[k] = OGR_FD_GetFieldIndex(defn, names[k]);
            if (idx[k] < 0) {
                GDALClose(ds);
                return hs_error_set(err, HS_EDATA, path, 0, 0, "layer '%s' has no field '%s'",
                                    OGR_L_GetName(layer), names[k]);
            }
        }
    }
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    char *crs = srs ? srs_string(srs) : NULL;
    const char *crs_use = crs ? crs : (m && m->source_crs ? m->source_crs : "EPSG:4326");
    uint32_t source;
    size_t first_row = t->n;
    hs_status st = hs_incidents_add_source(t, path, crs_use, GDALGetDriverShortName(
                                                                 GDALGetDatasetDriver(ds)),
                                           &source);
    free(crs);
    hs_ingest_stats s = {0};
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    int64_t rowno = 0;
    while (st == HS_OK && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        size_t row;
        st = hs_incidents_append(t, source, ++rowno, 0, &row);
        int bad = 0;
        if (st == HS_OK)
            st = ogr_str(t, t->id, row, f, idx[HS_COL_ID], &bad);
        if (st == HS_OK)
            st = ogr_str(t, t->category, row, f, idx[HS_COL_CATEGORY], &bad);
        if (st == HS_OK)
            st = ogr_str(t, t->location, row, f, idx[HS_COL_ADDRESS], &bad);
        if (st == HS_OK)
            st = ogr_str(t, t->postcode, row, f, idx[HS_COL_POSTCODE], &bad);
        if (st == HS_OK)
            st = ogr_str(t, t->lsoa_code, row, f, idx[HS_COL_LSOA], &bad);
        if (st == HS_OK && idx[HS_COL_DATE] >= 0 && OGR_F_IsFieldSetAndNotNull(f, idx[HS_COL_DATE])) {
            const char *d = OGR_F_GetFieldAsString(f, idx[HS_COL_DATE]);
            char mth[64], fixed[3 * 64 + 1];
            size_t n = month_of(d, strlen(d), mth, sizeof mth);
            n = utf8_repair(mth, n, fixed, &bad);
            st = hs_incidents_set_str(t, t->month, row, fixed, n);
        }
        if (st == HS_OK && idx[HS_COL_WEIGHT] >= 0 &&
            OGR_F_IsFieldSetAndNotNull(f, idx[HS_COL_WEIGHT])) {
            double wv = OGR_F_GetFieldAsDouble(f, idx[HS_COL_WEIGHT]);
            if (!isfinite(wv) || wv < 0.0) {
                char reason[128];
                snprintf(reason, sizeof reason, "bad weight: %s = %g is not a number >= 0",
                         names[HS_COL_WEIGHT], wv);
                st = hs_incidents_fail(t, row, reason);
            } else {
                t->weight[row] = wv;
            }
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (st == HS_OK && t->state[row] == HS_ROW_PENDING && g != NULL && !OGR_G_IsEmpty(g)) {
            if (wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
                t->in_x[row] = OGR_G_GetX(g, 0);
                t->in_y[row] = OGR_G_GetY(g, 0);
            } else {
                OGRGeometryH c = OGR_G_CreateGeometry(wkbPoint);
                if (c && OGR_G_Centroid(g, c) == OGRERR_NONE) {
                    t->in_x[row] = OGR_G_GetX(c, 0);
                    t->in_y[row] = OGR_G_GetY(c, 0);
                }
                OGR_G_DestroyGeometry(c);
            }
        }
        if (bad)
            s.bad_utf8++;
        s.rows++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    if (st != HS_OK) {
        t->n = first_row;
        return st;
    }
    if (s.rows == 0)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "layer '%s' has no features",
                            (p && p->layer) ? p->layer : "(first)");
    if (stats)
        *stats = s;
    return HS_OK;
}

static int has_csv_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcasecmp(dot, ".csv") == 0 || strcasecmp(dot, ".txt") == 0);
}

hs_status hs_ingest_file(hs_incidents *t, const char *path, const hs_ingest_params *p,
                         hs_ingest_stats *stats, hs_error *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (has_csv_extension(path))
        return read_csv(t, path, p, stats, err);
    return read_ogr(t, path, p, stats, err);
}

/* ingest.c - read incident rows from CSV (libcsv) and OGR sources (see ingest.h).
 *
 * Must not: drop a row, transform or judge coordinates (transform.c does), geocode.
 * Row numbering: the first non-blank record after the header is row 1; blank lines are
 * skipped and counted apart; a record spanning lines (quoted newlines) is one row.
 */
#include "geo/ingest.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { HS_COL_ID, HS_COL_DATE, HS_COL_CATEGORY, HS_COL_X, HS_COL_Y, HS_COL_ADDRESS,
       HS_COL_POSTCODE, HS_COL_LSOA, HS_COL_LSOA_NAME, HS_COL_WEIGHT, HS_NCOLS };

static const char *const police_header[] = {
    "Crime ID",  "Month",     "Reported by", "Falls within", "Longitude",           "Latitude",
    "Location",  "LSOA code", "LSOA name",   "Crime type",   "Last outcome category", "Context"};
#define HS_POLICE_NCOLS (sizeof police_header / sizeof police_header[0])

void hs_ingest_params_default(hs_ingest_params *p)
{
    memset(p, 0, sizeof *p);
}

/* Strip a UTF-8 byte-order mark and surrounding spaces for header comparisons. */
static const char *header_name(const char *s)
{
    if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
        s += 3;
    while (*s == ' ')
        s++;
    return s;
}

static int name_eq(const char *a, const char *b)
{
    a = header_name(a);
    size_t n = strlen(b);
    if (strncasecmp(a, b, n) != 0)
        return 0;
    for (a += n; *a; a++)
        if (*a != ' ' && *a != '\r')
            return 0;
    return 1;
}

int hs_ingest_is_police_header(const char *const *fields, size_t n)
{
    /* The police.uk street-level header, with or without the trailing Context column. */
    if (n < HS_POLICE_NCOLS - 1)
        return 0;
    for (size_t i = 0; i < HS_POLICE_NCOLS - 1; i++)
        if (!name_eq(fields[i], police_header[i]))
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

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
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

/* ---- CSV reading ------------------------------------------------------------------------ */

typedef struct csv_state {
    hs_incidents *t;            /* table being filled */
    const char *path;           /* file being read */
    uint32_t source;            /* its source index */
    hs_ingest_stats stats;      /* counts so far */
    /* the record being assembled */
    char *buf;                  /* field bytes, each NUL-terminated */
    size_t buf_len, buf_cap;    /* bytes used / allocated */
    size_t *field_off;          /* start of each field in buf */
    size_t nfield, field_cap;   /* fields in the record / allocated */
    long line;                  /* current physical line (1-based) */
    long record_line;           /* line where the current record started */
    /* after the header */
    int have_header;            /* header read */
    int auto_mapped;            /* columns found by name, no mapping given */
    int prev_term;              /* terminator of the previous record (CR, LF, -1) */
    int x_is_degrees;           /* the x column is named as a longitude */
    int x_is_metres;            /* the x column is named easting */
    int all_degrees;            /* every coordinate so far fits lon/lat ranges */
    size_t nheader;             /* header field count */
    int col[HS_NCOLS];          /* header index of each mapped column, -1 = absent */
    int64_t row;                /* data rows so far */
    char *scratch;              /* UTF-8 repair buffer */
    size_t scratch_cap;         /* its size */
    hs_status status;           /* first failure, stops the parse */
    const hs_column_map *map;   /* mapping, NULL for police.uk */
    hs_error *err;              /* where failures go */
} csv_state;

static void on_field(void *s, size_t len, void *data)
{
    csv_state *c = data;
    if (c->status != HS_OK)
        return;
    if (c->nfield == 0)
        c->record_line = c->line;
    if (c->nfield == c->field_cap) {
        size_t cap = c->field_cap ? c->field_cap * 2 : 32;
        size_t *f = realloc(c->field_off, cap * sizeof *f);
        if (f == NULL) {
            c->status = HS_ENOMEM;
            return;
        }
        c->field_off = f;
        c->field_cap = cap;
    }
    if (c->buf_len + len + 1 > c->buf_cap) {
        size_t cap = c->buf_cap ? c->buf_cap : 4096;
        while (c->buf_len + len + 1 > cap)
            cap *= 2;
        char *b = realloc(c->buf, cap);
        if (b == NULL) {
            c->status = HS_ENOMEM;
            return;
        }
        c->buf = b;
        c->buf_cap = cap;
    }
    c->field_off[c->nfield++] = c->buf_len;
    if (len)
        memcpy(c->buf + c->buf_len, s, len);
    c->buf[c->buf_len + len] = '\0';
    c->buf_len += len + 1;
    for (size_t i = 0; i < len; i++)
        if (((const char *)s)[i] == '\n')
            c->line++;
}

static const char *field(const csv_state *c, size_t i)
{
    return c->buf + c->field_off[i];
}

static size_t field_len(const csv_state *c, size_t i)
{
    size_t end = i + 1 < c->nfield ? c->field_off[i + 1] - 1 : c->buf_len - 1;
    return end - c->field_off[i];
}

/* Find a header column by any of the given names (case-insensitive); -1 when absent. */
static int find_column(const csv_state *c, const char *const *names)
{
    for (size_t k = 0; names[k]; k++)
        for (size_t i = 0; i < c->nfield; i++)
            if (name_eq(field(c, i), names[k]))
                return (int)i;
    return -1;
}

/* Column names recognised when a non-police CSV comes without a mapping. */
static const char *const auto_id[] = {"id", "incident_id", "crime id", "reference", "ref", NULL};
static const char *const auto_date[] = {"month", "date", "date reported", "reported date",
                                         "incident date", NULL};
static const char *const auto_category[] = {"category", "crime type", "type", "offence", NULL};
static const char *const auto_x[] = {"longitude", "lon", "long", "easting", "x", NULL};
static const char *const auto_y[] = {"latitude", "lat", "northing", "y", NULL};
static const char *const auto_address[] = {"address", "location", NULL};
static const char *const auto_postcode[] = {"postcode", "post code", "post_code", NULL};
static const char *const auto_lsoa[] = {"lsoa code", "lsoa", NULL};

static hs_status setup_columns(csv_state *c)
{
    const char *fields[64];
    size_t nf = c->nfield < 64 ? c->nfield : 64;
    for (size_t i = 0; i < nf; i++)
        fields[i] = field(c, i);
    c->nheader = c->nfield;
    for (int k = 0; k < HS_NCOLS; k++)
        c->col[k] = -1;
    if (hs_ingest_is_police_header(fields, nf)) {
        c->map = NULL;
        c->col[HS_COL_ID] = 0;
        c->col[HS_COL_DATE] = 1;
        c->col[HS_COL_X] = 4;
        c->col[HS_COL_Y] = 5;
        c->col[HS_COL_ADDRESS] = 6;
        c->col[HS_COL_LSOA] = 7;
        c->col[HS_COL_LSOA_NAME] = 8;
        c->col[HS_COL_CATEGORY] = 9;
        return HS_OK;
    }
    static const char *const label[HS_NCOLS] = {"id",      "date",     "category", "x", "y",
                                                "address", "postcode", "lsoa",     "",  "weight"};
    if (c->map != NULL) {
        const hs_column_map *m = c->map;
        const char *given[HS_NCOLS] = {m->id,      m->date,     m->category, m->x, m->y,
                                       m->address, m->postcode, m->lsoa,     NULL, m->weight};
        for (int k = 0; k < HS_NCOLS; k++) {
            if (given[k] == NULL || given[k][0] == '\0')
                continue;
            const char *names[] = {given[k], NULL};
            c->col[k] = find_column(c, names);
            if (c->col[k] < 0)
                return hs_error_set(c->err, HS_EDATA, c->path, c->record_line, 0,
                                    "the header has no column '%s' (mapped as %s)", given[k],
                                    label[k]);
        }
    } else {
        const char *const *autos[HS_NCOLS] = {auto_id,       auto_date,     auto_category,
                                              auto_x,        auto_y,        auto_address,
                                              auto_postcode, auto_lsoa,     NULL,
                                              NULL};
        for (int k = 0; k < HS_NCOLS; k++)
            if (autos[k])
                c->col[k] = find_column(c, autos[k]);
        c->auto_mapped = 1;
        c->x_is_degrees = c->col[HS_COL_X] >= 0 &&
                          (name_eq(field(c, (size_t)c->col[HS_COL_X]), "longitude") ||
                           name_eq(field(c, (size_t)c->col[HS_COL_X]), "lon") ||
                           name_eq(field(c, (size_t)c->col[HS_COL_X]), "long"));
        c->x_is_metres = c->col[HS_COL_X] >= 0 &&
                         name_eq(field(c, (size_t)c->col[HS_COL_X]), "easting");
    }
    if ((c->col[HS_COL_X] < 0) != (c->col[HS_COL_Y] < 0))
        return hs_error_set(c->err, HS_EDATA, c->path, c->record_line, 0,
                            "found only one of the x/y (longitude/latitude) columns: map both "
                            "or neither");
    if (c->col[HS_COL_X] < 0 && c->col[HS_COL_ADDRESS] < 0 && c->col[HS_COL_POSTCODE] < 0)
        return hs_error_set(c->err, HS_EDATA, c->path, c->record_line, 0,
                            "not a police.uk street-level CSV, and nothing to place rows by: "
                            "expected x/y (or longitude/latitude, easting/northing), address "
                            "or postcode columns, or a column mapping");
    return HS_OK;
}

/* Copy field k (mapped column) of the record into the table column, repairing UTF-8. */
static hs_status put_str(csv_state *c, size_t row, size_t *col, int k, int *bad)
{
    if (c->col[k] < 0 || (size_t)c->col[k] >= c->nfield)
        return HS_OK;
    const char *s = field(c, (size_t)c->col[k]);
    size_t len = field_len(c, (size_t)c->col[k]);
    trim(&s, &len);
    if (3 * len + 1 > c->scratch_cap) {
        size_t cap = 3 * len + 1 + 256;
        char *p = realloc(c->scratch, cap);
        if (p == NULL)
            return HS_ENOMEM;
        c->scratch = p;
        c->scratch_cap = cap;
    }
    size_t n = utf8_repair(s, len, c->scratch, bad);
    return hs_incidents_set_str(c->t, col, row, c->scratch, n);
}

/* The raw record re-joined as CSV, for malformed rows. */
static hs_status put_raw(csv_state *c, size_t row, int *bad)
{
    size_t cap = 4 * c->buf_len + 16;
    char *raw = malloc(cap);
    char *fix = malloc(3 * cap + 1);
    if (raw == NULL || fix == NULL) {
        free(raw);
        free(fix);
        return HS_ENOMEM;
    }
    size_t o = 0;
    for (size_t i = 0; i < c->nfield; i++) {
        const char *f = field(c, i);
        int quote = strpbrk(f, ",\"\r\n") != NULL;
        if (i)
            raw[o++] = ',';
        if (quote)
            raw[o++] = '"';
        for (; *f; f++) {
            if (*f == '"')
                raw[o++] = '"';
            raw[o++] = *f;
        }
        if (quote)
            raw[o++] = '"';
    }
    size_t n = utf8_repair(raw, o, fix, bad);
    hs_status st = hs_incidents_set_str(c->t, c->t->raw, row, fix, n);
    free(raw);
    free(fix);
    return st;
}

static hs_status take_record(csv_state *c)
{
    hs_incidents *t = c->t;
    size_t row;
    hs_status st = hs_incidents_append(t, c->source, ++c->row, c->record_line, &row);
    if (st != HS_OK)
        return st;
    c->stats.rows++;
    int bad = 0;
    char reason[256];
    if (c->nfield != c->nheader) {
        if ((st = put_raw(c, row, &bad)) != HS_OK)
            return st;
        snprintf(reason, sizeof reason, "malformed row: expected %zu fields, found %zu",
                 c->nheader, c->nfield);
        c->stats.malformed++;
        if (bad)
            c->stats.bad_utf8++;
        return hs_incidents_fail(t, row, reason);
    }
    if ((st = put_str(c, row, t->id, HS_COL_ID, &bad)) != HS_OK ||
        (st = put_str(c, row, t->category, HS_COL_CATEGORY, &bad)) != HS_OK ||
        (st = put_str(c, row, t->location, HS_COL_ADDRESS, &bad)) != HS_OK ||
        (st = put_str(c, row, t->postcode, HS_COL_POSTCODE, &bad)) != HS_OK ||
        (st = put_str(c, row, t->lsoa_code, HS_COL_LSOA, &bad)) != HS_OK ||
        (st = put_str(c, row, t->lsoa_name, HS_COL_LSOA_NAME, &bad)) != HS_OK)
        return st;
    if (c->col[HS_COL_DATE] >= 0) {
        char m[64];
        size_t k = (size_t)c->col[HS_COL_DATE];
        size_t n = month_of(field(c, k), field_len(c, k), m, sizeof m);
        int b2 = 0;
        char fixed[3 * sizeof m + 1];
        n = utf8_repair(m, n, fixed, &b2);
        bad |= b2;
        if ((st = hs_incidents_set_str(t, t->month, row, fixed, n)) != HS_OK)
            return st;
    }
    if (bad)
        c->stats.bad_utf8++;
    if (c->col[HS_COL_WEIGHT] >= 0) {
        size_t kw = (size_t)c->col[HS_COL_WEIGHT];
        double wv;
        if (!parse_coord(field(c, kw), field_len(c, kw), &wv) || wv < 0.0) {
            int b3 = 0;
            char shown[3 * 40 + 1];
            size_t len = field_len(c, kw) < 40 ? field_len(c, kw) : 40;
            utf8_repair(field(c, kw), len, shown, &b3);
            snprintf(reason, sizeof reason, "bad weight: %s '%s' is not a number >= 0",
                     c->map && c->map->weight ? c->map->weight : "weight", shown);
            c->stats.malformed++;
            return hs_incidents_fail(t, row, reason);
        }
        t->weight[row] = isnan(wv) ? 1.0 : wv;
    }
    if (c->col[HS_COL_X] >= 0) {
        size_t kx = (size_t)c->col[HS_COL_X], ky = (size_t)c->col[HS_COL_Y];
        double x, y;
        int okx = parse_coord(field(c, kx), field_len(c, kx), &x);
        int oky = parse_coord(field(c, ky), field_len(c, ky), &y);
        if (!okx || !oky) {
            int b3 = 0;
            char shown[3 * 40 + 1];
            size_t k = okx ? ky : kx;
            size_t len = field_len(c, k) < 40 ? field_len(c, k) : 40;
            utf8_repair(field(c, k), len, shown, &b3);
            snprintf(reason, sizeof reason, "bad coordinate: %s '%s' is not a finite number",
                     c->map ? (okx ? c->map->y : c->map->x) : (okx ? "Latitude" : "Longitude"),
                     shown);
            c->stats.malformed++;
            return hs_incidents_fail(t, row, reason);
        }
        if (isnan(x) != isnan(y)) {
            snprintf(reason, sizeof reason, "bad coordinate: only one of x/y is given");
            c->stats.malformed++;
            return hs_incidents_fail(t, row, reason);
        }
        t->in_x[row] = x;
        t->in_y[row] = y;
        if (!isnan(x) && (fabs(x) > 180.0 || fabs(y) > 90.0))
            c->all_degrees = 0;
    }
    return HS_OK;
}

static void on_record(int ch, void *data)
{
    csv_state *c = data;
    if (c->status == HS_OK) {
        if (c->nfield == 0) {
            /* An empty record is a blank line, except the LF of a CRLF pair. */
            int lf_of_crlf = ch == '\n' && c->prev_term == '\r';
            if (c->have_header && !lf_of_crlf && ch != -1)
                c->stats.blank++;
        } else if (!c->have_header) {
            c->status = setup_columns(c);
            c->have_header = 1;
        } else {
            c->status = take_record(c);
        }
    }
    c->prev_term = ch;
    c->nfield = 0;
    c->buf_len = 0;
    if (ch == '\n')
        c->line++;
}

static hs_status read_csv(hs_incidents *t, const char *path, const hs_ingest_params *p,
                          hs_ingest_stats *stats, hs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open: %s", strerror(errno));
    struct csv_parser parser;
    if (csv_init(&parser, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        fclose(f);
        return HS_ENOMEM;
    }
    csv_state c;
    memset(&c, 0, sizeof c);
    c.t = t;
    c.path = path;
    c.line = 1;
    c.err = err;
    c.all_degrees = 1;
    c.map = (p && (p->map.x || p->map.address || p->map.postcode || p->map.category ||
                   p->map.weight))
                ? &p->map
                : NULL;
    size_t first_row = t->n;
    hs_status st = hs_incidents_add_source(t, path, "EPSG:4326", "police.uk", &c.source);
    char *chunk = malloc(1 << 20);
    if (st == HS_OK && chunk == NULL)
        st = HS_ENOMEM;
    size_t total = 0;
    while (st == HS_OK && c.status == HS_OK) {
        size_t got = fread(chunk, 1, 1 << 20, f);
        if (got == 0)
            break;
        total += got;
        if (csv_parse(&parser, chunk, got, on_field, on_record, &c) != got) {
            st = hs_error_set(err, HS_EDATA, path, c.line, 0, "CSV parse error: %s",
                              csv_strerror(csv_error(&parser)));
        }
    }
    if (st == HS_OK && ferror(f))
        st = hs_error_set(err, HS_EDATA, path, c.line, 0, "read error");
    if (st == HS_OK)
        csv_fini(&parser, on_field, on_record, &c);
    if (st == HS_OK)
        st = c.status;
    if (st == HS_OK && total == 0)
        st = hs_error_set(err, HS_EDATA, path, 0, 0, "the file is empty (expected a header "
                                                     "line and data rows)");
    if (st == HS_OK && !c.have_header)
        st = hs_error_set(err, HS_EDATA, path, 0, 0, "no header line found");
    if (st == HS_OK) {
        hs_source *src = &t->sources[c.source];
        src->blank = c.stats.blank;
        int police = c.col[HS_COL_LSOA_NAME] >= 0;
        if (!police) {
            free(src->format);
            src->format = malloc(4);
            if (src->format)
                memcpy(src->format, "csv", 4);
            free(src->crs);
            /* CRS: as mapped; else from the column names; else from the values. */
            const char *crs = "EPSG:4326";
            if (c.map != NULL && c.map->source_crs)
                crs = c.map->source_crs;
            else if (p && p->map.source_crs)
                crs = p->map.source_crs;
            else if (c.x_is_metres || (!c.x_is_degrees && !c.all_degrees))
                crs = "EPSG:27700";
            src->crs = malloc(strlen(crs) + 1);
            if (src->crs)
                memcpy(src->crs, crs, strlen(crs) + 1);
            if (!src->format || !src->crs)
                st = HS_ENOMEM;
        }
    }
    if (st != HS_OK) {
        /* Leave the table as it was: drop this file's rows and its source entry. */
        t->n = first_row;
        if (c.source + 1 == t->nsources) {
            hs_source *src = &t->sources[--t->nsources];
            free(src->path);
            free(src->name);
            free(src->crs);
            free(src->format);
        }
    } else if (stats) {
        *stats = c.stats;
    }
    free(chunk);
    free(c.buf);
    free(c.field_off);
    free(c.scratch);
    csv_free(&parser);
    fclose(f);
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

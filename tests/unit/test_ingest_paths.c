/* test_ingest_paths.c - the two CSV tokenizers of ingest give byte-identical tables: libcsv
 * (the reference, HS_CSV_LIBCSV) and the splitter of csvsplit.h run in parallel
 * (HS_CSV_AUTO), on the real police.uk files and on tricky fixtures (CRLF, LF, CR, BOM, blank
 * and white-space lines, ragged rows, bad UTF-8, NUL bytes, no trailing newline, files larger
 * than one read block, a quote after the first block, a line longer than a block), at 1, 2
 * and 4 threads. Also: the splitter against libcsv record by record on random unquoted text;
 * coordinates parsed exactly as strtod parses them; and the point memo that placing and ward
 * assignment use: its results, and repeated points placed and assigned exactly as when each
 * point comes once. Expected values: libcsv and strtod (peer code), hand-worked wards. */
#include "geo/csvsplit.h"
#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/place.h"
#include "geo/transform.h"
#include "geo/wards.h"
#include "tests/test_support.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <math.h>
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define POLICE HS_SHARED_DATA_DIR "/police-uk-kent-street-2024q1/"

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    return 0;
}

/* ---- comparing tables -------------------------------------------------------------------- */

static void assert_sources_equal(const hs_source *a, const hs_source *b)
{
    assert_string_equal(a->path, b->path);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->crs, b->crs);
    assert_string_equal(a->format, b->format);
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->blank, b->blank);
}

/* Every column of the n rows, the string pool and the sources, byte for byte. */
static void assert_tables_equal(const hs_incidents *a, const hs_incidents *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nsources, b->nsources);
    for (size_t s = 0; s < a->nsources; s++)
        assert_sources_equal(&a->sources[s], &b->sources[s]);
    assert_int_equal(a->pool.len, b->pool.len);
    assert_memory_equal(a->pool.data, b->pool.data, a->pool.len);
    if (a->n == 0)
        return;
#define HS_SAME_COLUMN(c) assert_memory_equal(a->c, b->c, a->n * sizeof *a->c)
    HS_SAME_COLUMN(source);
    HS_SAME_COLUMN(source_row);
    HS_SAME_COLUMN(source_line);
    HS_SAME_COLUMN(id);
    HS_SAME_COLUMN(month);
    HS_SAME_COLUMN(category);
    HS_SAME_COLUMN(location);
    HS_SAME_COLUMN(postcode);
    HS_SAME_COLUMN(lsoa_code);
    HS_SAME_COLUMN(lsoa_name);
    HS_SAME_COLUMN(raw);
    HS_SAME_COLUMN(in_x);
    HS_SAME_COLUMN(in_y);
    HS_SAME_COLUMN(weight);
    HS_SAME_COLUMN(state);
    HS_SAME_COLUMN(method);
    HS_SAME_COLUMN(score);
    HS_SAME_COLUMN(precision_m);
    HS_SAME_COLUMN(reason);
    HS_SAME_COLUMN(x);
    HS_SAME_COLUMN(y);
    HS_SAME_COLUMN(ward);
    HS_SAME_COLUMN(groups);
#undef HS_SAME_COLUMN
}

/* What reading a list of files into one table gave: the table, each file's status, stats
 * and error. */
typedef struct ingest_run {
    hs_incidents t;           /* the table */
    hs_status st[4];          /* status per file */
    hs_ingest_stats stats[4]; /* stats per file */
    hs_error err[4];          /* error per file */
} ingest_run;

static void run_files(ingest_run *r, const char *const *paths, size_t nfiles,
                      const hs_ingest_params *base, hs_csv_tokenizer tok, int threads)
{
    assert_true(nfiles <= 4);
    memset(r, 0, sizeof *r);
    assert_int_equal(hs_incidents_init(&r->t), HS_OK);
    hs_ingest_params p;
    if (base)
        p = *base;
    else
        hs_ingest_params_default(&p);
    p.tokenizer = tok;
    omp_set_num_threads(threads);
    for (size_t k = 0; k < nfiles; k++) {
        hs_error_clear(&r->err[k]);
        r->st[k] = hs_ingest_file(&r->t, paths[k], &p, &r->stats[k], &r->err[k]);
    }
    omp_set_num_threads(omp_get_num_procs());
}

/* The files read with libcsv, then with the splitter at 1, 2 and 4 threads: same tables,
 * statuses, stats and errors. Returns the libcsv table's row count. */
static size_t check_paths(const char *const *paths, size_t nfiles, const hs_ingest_params *base)
{
    ingest_run *ref = malloc(sizeof *ref), *run = malloc(sizeof *run);
    assert_non_null(ref);
    assert_non_null(run);
    run_files(ref, paths, nfiles, base, HS_CSV_LIBCSV, 1);
    static const int threads[] = {1, 2, 4};
    for (size_t k = 0; k < 3; k++) {
        run_files(run, paths, nfiles, base, HS_CSV_AUTO, threads[k]);
        for (size_t f = 0; f < nfiles; f++) {
            assert_int_equal(run->st[f], ref->st[f]);
            assert_memory_equal(&run->stats[f], &ref->stats[f], sizeof ref->stats[f]);
            assert_string_equal(run->err[f].what, ref->err[f].what);
            assert_int_equal(run->err[f].line, ref->err[f].line);
        }
        assert_tables_equal(&run->t, &ref->t);
        hs_incidents_free(&run->t);
    }
    size_t n = ref->t.n;
    hs_incidents_free(&ref->t);
    free(ref);
    free(run);
    return n;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

#define POLICE_HEADER                                                                              \
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"     \
    "Crime type,Last outcome category,Context"

/* CRLF lines; the text holds a NUL byte, so its length is sizeof - 1. */
static const char police_tricky[] =
    "\xEF\xBB\xBF" POLICE_HEADER "\r\n"
    ",2024-01,Kent Police,Kent Police,1.079200,51.279500,On or near Butchery Lane,E01024081,"
    "Canterbury 015C,Anti-social behaviour,,\r\n"
    "  abc123 , 2024-01 ,Kent Police,Kent Police, 1.08 ,\t51.28\t,  On or near High Street  ,"
    "E01024081,Canterbury 015C,Shoplifting,Under investigation,\r\n"
    "\r\n"
    "   \t \r\n"
    "\n"
    "def456,2024-01,Kent Police,Kent Police,1.08x,51.28,On or near High Street,E01024081,"
    "Canterbury 015C,Shoplifting,Under investigation,\r\n"
    "ghi789,2024-01,Kent Police,Kent Police,1.08,51.28,On or near High Street\r\n"
    "jkl012,2024-01,Kent Police,Kent Police,1.08,51.28,On or near Caf\xE9 Street,E01024081,"
    "Canterbury 015C,Drugs,Local resolution,,extra\r\n"
    "mno345,2024-01,Kent Police,Kent Police,1.080000,51.280000,On or near Caf\xE9 Street,"
    "E01024081,Canterbury 015C,Drugs,Local resolution,\r\n"
    "pqr678,2024-01,Kent Police,Kent Police,,51.28,On or near X,E01024081,Canterbury 015C,"
    "Drugs,,\r\n"
    "stu901,2024/02,Kent Police,Kent Police,+1.08e0,.5e2,On or near Y,E01024081,"
    "Canterbury 015C,Drugs,,\r\n"
    "vwx234,2024-01,Kent Police,Kent Police,1.07,51.27,On or near \0Nul Lane,E01024081,"
    "Canterbury 015C,Drugs,,\r\n"
    "nul567,2024-01,Kent\0 Police,Kent Police,1.07,51.27\r\n"
    "yz,2024-01,Kent\rPolice,Kent Police,1.07,51.27,On or near Z,E01024081,Canterbury 015C,"
    "Drugs,,\r\n"
    "   ,   ,   \r\n"
    "last,2024-01,Kent Police,Kent Police,1.06,51.26,On or near End,E01024081,"
    "Canterbury 015C,Robbery,,";

/* text with each CRLF (and each lone LF) replaced by eol; returns the new length. */
static size_t with_line_ends(const char *text, size_t len, const char *eol, char *out)
{
    size_t o = 0, n = strlen(eol);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
            i++;
        else if (text[i] != '\n') {
            out[o++] = text[i];
            continue;
        }
        memcpy(out + o, eol, n);
        o += n;
    }
    return o;
}

static void write_fixture(const char *name, const char *text, size_t len, char *path, size_t n)
{
    hs_test_tmp(name, path, n);
    assert_int_equal(hs_test_write(path, text, len), 0);
}

static void test_tricky_fixtures_crlf_lf_cr(void **state)
{
    (void)state;
    size_t len = sizeof police_tricky - 1;
    char *buf = malloc(2 * len);
    assert_non_null(buf);
    static const char *const eols[] = {"\r\n", "\n", "\r"};
    static const char *const names[] = {"tricky_crlf.csv", "tricky_lf.csv", "tricky_cr.csv"};
    char paths[3][512];
    for (size_t k = 0; k < 3; k++) {
        size_t n = with_line_ends(police_tricky, len, eols[k], buf);
        write_fixture(names[k], buf, n, paths[k], sizeof paths[k]);
        const char *one[] = {paths[k]};
        /* 14 data rows (a lone CR splits one line in two), 3 blank lines (empty, white
         * space, a lone LF); CR-only text is one line to both readers. */
        assert_int_equal(check_paths(one, 1, NULL), 14);
    }
    /* All three into one table: sources, row numbers and pool offsets continue. */
    const char *all[] = {paths[0], paths[1], paths[2]};
    assert_int_equal(check_paths(all, 3, NULL), 42);
    free(buf);
}

static void test_tricky_fixture_values(void **state)
{
    (void)state;
    char path[512];
    write_fixture("tricky_values.csv", police_tricky, sizeof police_tricky - 1, path,
                  sizeof path);
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_ingest_stats st;
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, path, NULL, &st, &err), HS_OK);
    /* Hand-counted: 13 lines of rows, one of them split in two by a lone CR. */
    assert_int_equal(t.n, 14);
    assert_int_equal(st.blank, 3);
    /* Spaces and tabs around fields are not part of them. */
    assert_string_equal(hs_incidents_str(&t, t.id, 1), "abc123");
    assert_string_equal(hs_incidents_str(&t, t.location, 1), "On or near High Street");
    assert_float_equal(t.in_y[1], 51.28, 0.0);
    /* Row 3 (after three blank lines) starts on line 7. */
    assert_int_equal(t.source_row[2], 3);
    assert_int_equal(t.source_line[2], 7);
    /* The ragged long row keeps its raw text, invalid UTF-8 replaced. */
    assert_int_equal(t.state[4], HS_ROW_FAILED);
    assert_non_null(strstr(hs_incidents_str(&t, t.raw, 4), "Caf\xEF\xBF\xBD Street"));
    /* "2024/02" is a month; "+1.08e0" and ".5e2" are numbers (strtod's forms). */
    assert_string_equal(hs_incidents_str(&t, t.month, 7), "2024-02");
    assert_float_equal(t.in_x[7], 1.08, 0.0);
    assert_float_equal(t.in_y[7], 50.0, 0.0);
    /* A NUL ends a string-pool text; in a ragged row's raw text it ends that field. */
    assert_string_equal(hs_incidents_str(&t, t.location, 8), "On or near ");
    assert_non_null(strstr(hs_incidents_str(&t, t.raw, 9), "nul567,2024-01,Kent,Kent Police"));
    /* The lone CR ends a record but not a line: both halves are on line 15. */
    assert_int_equal(t.source_line[10], 15);
    assert_int_equal(t.source_line[11], 15);
    assert_int_equal(t.source_row[11], 12);
    assert_int_equal(t.state[10], HS_ROW_FAILED);
    /* "   ,   ,   " has three (empty) fields: a ragged row, not a blank line. */
    assert_non_null(strstr(hs_incidents_str(&t, t.reason, 12), "found 3"));
    assert_string_equal(hs_incidents_str(&t, t.category, 13), "Robbery");
    hs_incidents_free(&t);
}

static void test_real_police_files(void **state)
{
    (void)state;
    const char *files[] = {POLICE "2024-01-kent-street.csv", POLICE "2024-02-kent-street.csv",
                           POLICE "2024-03-kent-street.csv"};
    /* The data's README: 14,466 + 13,953 + 15,875 data rows. */
    assert_int_equal(check_paths(files, 3, NULL), 44294);
}

/* A police.uk file of nrows generated rows (about 190 bytes each) with eol line ends, a
 * blank line every 997 rows, and (quote_row > 0) a quoted location with a comma and a
 * quoted CRLF from row quote_row on. */
static char *big_police_text(size_t nrows, const char *eol, size_t quote_row, size_t *len)
{
    size_t cap = (nrows + 10) * 260;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t o = (size_t)snprintf(text, cap, "%s%s", POLICE_HEADER, eol);
    for (size_t i = 1; i <= nrows; i++) {
        const char *loc = "On or near Station Road";
        if (quote_row && i == quote_row)
            loc = "\"On or near Station Road, Canterbury\"";
        else if (quote_row && i == quote_row + 5)
            loc = "\"On or near\r\nStation Road\"";
        o += (size_t)snprintf(text + o, cap - o,
                              "%064zx,2024-%02zu,Kent Police,Kent Police,%.6f,%.6f,%s,E0102%04zu,"
                              "Canterbury %03zuA,Violence and sexual offences,Under "
                              "investigation,%s",
                              i * 2654435761u, 1 + i % 12, 0.95 + 1e-6 * (double)(i % 90001),
                              51.2 + 1e-6 * (double)(i % 70001), loc, i % 7919, i % 41, eol);
        if (i % 997 == 0)
            o += (size_t)snprintf(text + o, cap - o, "%s", eol);
    }
    *len = o;
    return text;
}

/* Both paths on a generated file of 95,000 rows (about 18 MB, more than one 16 MiB read
 * block). */
static void check_big_file(const char *name, const char *eol, size_t quote_row)
{
    size_t len;
    char path[512];
    char *text = big_police_text(95000, eol, quote_row, &len);
    assert_true(len > ((size_t)16 << 20));
    write_fixture(name, text, len, path, sizeof path);
    free(text);
    const char *one[] = {path};
    assert_int_equal(check_paths(one, 1, NULL), 95000);
}

static void test_larger_than_a_block(void **state)
{
    (void)state;
    check_big_file("big_crlf.csv", "\r\n", 0);
}

static void test_quote_after_the_first_block(void **state)
{
    (void)state;
    /* The splitter reads the first block; from the block with the quotes on, libcsv. */
    check_big_file("big_quote_late.csv", "\n", 94000);
}

static void test_line_longer_than_a_block(void **state)
{
    (void)state;
    /* CR line ends only: no LF in 18 MB, so the reader must grow its block to the file. */
    check_big_file("big_cr.csv", "\r", 0);
}

static void test_pipe_input(void **state)
{
    (void)state;
    /* A FIFO is read sequentially (no pread): same table as the regular file. */
    size_t len = sizeof police_tricky - 1;
    char file[512], fifo[512];
    write_fixture("pipe_src.csv", police_tricky, len, file, sizeof file);
    hs_test_tmp("pipe.csv", fifo, sizeof fifo);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int fd = open(fifo, O_WRONLY);
        ssize_t w = fd >= 0 ? write(fd, police_tricky, len) : -1;
        _exit(w == (ssize_t)len && close(fd) == 0 ? 0 : 1);
    }
    hs_incidents a, b;
    assert_int_equal(hs_incidents_init(&a), HS_OK);
    assert_int_equal(hs_incidents_init(&b), HS_OK);
    hs_error err;
    assert_int_equal(hs_ingest_file(&a, fifo, NULL, NULL, &err), HS_OK);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(hs_ingest_file(&b, file, NULL, NULL, &err), HS_OK);
    assert_int_equal(a.n, 14);
    /* Same rows; only the sources' paths differ. */
    free(b.sources[0].path);
    free(b.sources[0].name);
    b.sources[0].path = strdup(a.sources[0].path);
    b.sources[0].name = strdup(a.sources[0].name);
    assert_tables_equal(&a, &b);
    hs_incidents_free(&a);
    hs_incidents_free(&b);
    unlink(fifo);
}

static void test_mapped_csv_chunks_agree_on_crs(void **state)
{
    (void)state;
    /* A mapped file over several chunks: bad and empty weights, and one row in metres near
     * the end, which makes the CRS British National Grid (all chunks must see it). */
    size_t nrows = 40000, cap = nrows * 64 + 64, o = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    o += (size_t)snprintf(text, cap, "ref,date,x,y,address,harm\n");
    for (size_t i = 1; i <= nrows; i++) {
        double x = i == nrows - 3 ? 615000.0 : 1.0 + 1e-5 * (double)i;
        const char *harm = i % 101 == 0 ? "-1" : (i % 103 == 0 ? "abc" : (i % 2 ? "" : "2.5"));
        o += (size_t)snprintf(text + o, cap - o, "R%zu,2025-03-01,%.5f,51.25,%zu High St,%s\n",
                              i, x, i % 300, harm);
    }
    char path[512];
    write_fixture("mapped_big.csv", text, o, path, sizeof path);
    free(text);
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    p.map.id = "ref";
    p.map.date = "date";
    p.map.x = "x";
    p.map.y = "y";
    p.map.address = "address";
    p.map.weight = "harm";
    const char *one[] = {path};
    assert_int_equal(check_paths(one, 1, &p), nrows);
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_error err;
    omp_set_num_threads(4);
    assert_int_equal(hs_ingest_file(&t, path, &p, NULL, &err), HS_OK);
    omp_set_num_threads(omp_get_num_procs());
    assert_string_equal(t.sources[0].crs, "EPSG:27700");
    assert_int_equal(t.state[100], HS_ROW_FAILED); /* row 101: harm -1 */
    assert_float_equal(t.weight[1], 2.5, 0.0);
    assert_float_equal(t.weight[0], 1.0, 0.0);
    hs_incidents_free(&t);
}

static void test_errors_and_edge_files(void **state)
{
    (void)state;
    static const struct {
        const char *name, *text;
    } cases[] = {
        {"e_empty.csv", ""},
        {"e_blank_only.csv", "\r\n\r\n  \r\n"},
        {"e_nothing_to_place.csv", "\r\n\r\na,b,c\r\n1,2,3\r\n"},
        {"e_header_only.csv", POLICE_HEADER "\r\n\r\n\r\n"},
        {"e_header_no_eol.csv", POLICE_HEADER},
        {"e_short_header.csv", "Crime ID,Month\n1,2\n"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[512];
        write_fixture(cases[k].name, cases[k].text, strlen(cases[k].text), path, sizeof path);
        const char *one[] = {path};
        check_paths(one, 1, NULL);
    }
    /* The header after two blank lines is line 3: the error names it in both paths. */
    char path[512];
    hs_test_tmp("e_nothing_to_place.csv", path, sizeof path);
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, path, NULL, NULL, &err), HS_EDATA);
    assert_int_equal(err.line, 3);
    assert_int_equal(t.nsources, 0);
    hs_incidents_free(&t);
}

/* ---- the splitter against libcsv, record by record ---------------------------------------- */

/* Records as a flat list: for each, the field count, the terminator, then the fields. */
typedef struct record_log {
    char *text;          /* "<n>|<term>|f1|f2|...\n" per record */
    size_t len, cap;     /* bytes used / allocated */
    size_t nfield;       /* fields of the record being logged (libcsv) */
    char fields[4096];   /* its fields, '|'-separated (libcsv) */
    size_t flen;         /* bytes in fields */
} record_log;

static void log_append(record_log *g, const char *s, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        g->cap = 2 * (g->len + n + 1);
        g->text = realloc(g->text, g->cap);
        assert_non_null(g->text);
    }
    memcpy(g->text + g->len, s, n);
    g->len += n;
}

static void log_record(record_log *g, size_t nf, int term, const char *fields, size_t flen)
{
    if (nf == 0 && term == -1)
        return; /* white space after the last terminator: no record to either reader */
    char head[64];
    int n = snprintf(head, sizeof head, "%zu|%d|", nf, term);
    log_append(g, head, (size_t)n);
    log_append(g, fields, flen);
    log_append(g, "\n", 1);
}

static void on_lib_field(void *s, size_t len, void *data)
{
    record_log *g = data;
    assert_true(g->flen + len + 1 < sizeof g->fields);
    memcpy(g->fields + g->flen, s, len);
    g->flen += len;
    g->fields[g->flen++] = '|';
    g->nfield++;
}

static void on_lib_record(int ch, void *data)
{
    record_log *g = data;
    log_record(g, g->nfield, ch, g->fields, g->flen);
    g->nfield = 0;
    g->flen = 0;
}

static void split_log(const char *text, size_t len, record_log *g)
{
    size_t pos = 0;
    hs_csv_field f[64];
    while (pos < len) {
        int term;
        size_t nf = hs_csvsplit_record(text, len, &pos, f, 64, &term);
        assert_true(nf <= 64);
        char fields[4096];
        size_t flen = 0;
        for (size_t k = 0; k < nf; k++) {
            memcpy(fields + flen, f[k].s, f[k].len);
            flen += f[k].len;
            fields[flen++] = '|';
        }
        log_record(g, nf, term, fields, flen);
    }
}

static void test_splitter_matches_libcsv_on_random_text(void **state)
{
    (void)state;
    /* No quote character in the alphabet: everything else that matters to either reader. */
    static const char alphabet[] = {'a', 'b', ' ', '\t', ',', ',', '\r', '\n', '\0', '\xff'};
    uint64_t seed = 20250101;
    for (int round = 0; round < 20000; round++) {
        char text[80];
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t len = (size_t)(seed >> 33) % sizeof text;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            text[i] = alphabet[(seed >> 33) % sizeof alphabet];
        }
        assert_int_equal(hs_csvsplit_unquoted(text, len), 1);
        record_log lib = {0}, split = {0};
        struct csv_parser p;
        assert_int_equal(csv_init(&p, CSV_APPEND_NULL | CSV_REPALL_NL), 0);
        assert_int_equal(csv_parse(&p, text, len, on_lib_field, on_lib_record, &lib), len);
        csv_fini(&p, on_lib_field, on_lib_record, &lib);
        csv_free(&p);
        split_log(text, len, &split);
        assert_int_equal(split.len, lib.len);
        if (lib.len)
            assert_memory_equal(split.text, lib.text, lib.len);
        free(lib.text);
        free(split.text);
    }
    assert_int_equal(hs_csvsplit_unquoted("a,\"b\"", 5), 0);
}

static void test_splitter_line_starts_and_growing(void **state)
{
    (void)state;
    const char *t = "ab\ncd\r\nef";
    size_t n = strlen(t);
    assert_int_equal(hs_csvsplit_line_start(t, n, 0), 0);
    assert_int_equal(hs_csvsplit_line_start(t, n, 1), 3);
    assert_int_equal(hs_csvsplit_line_start(t, n, 3), 3);
    assert_int_equal(hs_csvsplit_line_start(t, n, 4), 7);
    assert_int_equal(hs_csvsplit_line_start(t, n, 8), 9);
    assert_int_equal(hs_csvsplit_line_start(t, n, 9), 9);
    /* Too small a field array: nothing moves, the count says how many are needed. */
    const char *r = "a,b,c\n";
    hs_csv_field f[2];
    size_t pos = 0;
    int term = 0;
    assert_int_equal(hs_csvsplit_record(r, 6, &pos, f, 2, &term), 3);
    assert_int_equal(pos, 0);
    hs_csv_field g[3];
    assert_int_equal(hs_csvsplit_record(r, 6, &pos, g, 3, &term), 3);
    assert_int_equal(pos, 6);
    assert_int_equal(term, '\n');
    assert_int_equal(g[2].len, 1);
    assert_int_equal(g[2].s[0], 'c');
}

/* ---- numbers ------------------------------------------------------------------------------ */

static void test_coordinates_parse_as_strtod_does(void **state)
{
    (void)state;
    /* Plain decimals of every length around the fast path's limits (15-19 digits, 2^53,
     * 22 decimals), signs, leading zeros, and forms only strtod reads. */
    static const char *const fixed[] = {
        "9007199254740992", "9007199254740993", "-9007199254740993", "0.1", "-0.0", "+5",
        ".5", "5.", ".", "-", "1e3", "0x1p3", "inf", "nan", "1.5e-400", "1e400",
        "0.0000000000000000000001", "0.00000000000000000000001", "1234567890123456789",
        "12345678901234567890", "123456789012345678.9", "00000000000000000000001.5",
        "51.279500", "-0.963526", "1..2", "1.2.3", "1,5", "  7.25  "};
    size_t nfixed = sizeof fixed / sizeof fixed[0], nrand = 20000;
    size_t cap = (nfixed + nrand) * 64 + 64, o = 0;
    char *text = malloc(cap);
    char(*values)[40] = malloc((nfixed + nrand) * sizeof *values);
    assert_non_null(text);
    assert_non_null(values);
    uint64_t seed = 7;
    for (size_t i = 0; i < nfixed + nrand; i++) {
        if (i < nfixed) {
            snprintf(values[i], sizeof values[i], "%s", fixed[i]);
        } else {
            /* sign, up to 12 integer digits, up to 24 decimals */
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned long long u = seed >> 11;
            size_t ni = u % 13, nd = (u >> 4) % 25, k = 0;
            if ((u >> 9) % 3 == 0)
                values[i][k++] = '-';
            for (size_t d = 0; d < ni; d++, u = u * 2862933555777941757ULL + 3037000493ULL)
                values[i][k++] = (char)('0' + (u >> 40) % 10);
            if (nd || ni == 0)
                values[i][k++] = '.';
            for (size_t d = 0; d < nd; d++, u = u * 2862933555777941757ULL + 3037000493ULL)
                values[i][k++] = (char)('0' + (u >> 40) % 10);
            values[i][k] = '\0';
        }
        o += (size_t)snprintf(text + o, cap - o, "%s%s,51.5,somewhere\n", i ? "" : "x,y,address\n",
                              values[i]);
    }
    char path[512];
    write_fixture("numbers.csv", text, o, path, sizeof path);
    hs_incidents t;
    assert_int_equal(hs_incidents_init(&t), HS_OK);
    hs_error err;
    assert_int_equal(hs_ingest_file(&t, path, NULL, NULL, &err), HS_OK);
    assert_int_equal(t.n, nfixed + nrand);
    for (size_t i = 0; i < t.n; i++) {
        const char *s = values[i];
        while (*s == ' ')
            s++;
        size_t len = strlen(s);
        while (len > 0 && s[len - 1] == ' ')
            len--;
        char buf[40];
        memcpy(buf, s, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        double d = strtod(buf, &end);
        int ok = end != buf && *end == '\0' && errno != ERANGE && isfinite(d);
        if (len == 0) {
            assert_true(isnan(t.in_x[i])); /* "" is no coordinate: then only y is given */
            continue;
        }
        if (!ok) {
            assert_int_equal(t.state[i], HS_ROW_FAILED);
            continue;
        }
        if (memcmp(&t.in_x[i], &d, sizeof d) != 0)
            fail_msg("'%s': read %.17g, strtod %.17g", values[i], t.in_x[i], d);
    }
    hs_incidents_free(&t);
    free(values);
    free(text);
}

/* ---- the point memo, and repeated points placed and assigned ------------------------------ */

static void test_point_memo_keeps_the_right_results(void **state)
{
    (void)state;
    hs_point_memo m;
    /* (x, y) is not (y, x), and -0.0 is not 0.0: keys are the bits. */
    assert_int_equal(hs_point_memo_init(&m, 4), HS_OK);
    int hit;
    hs_point_memo_get(&m, 0.0, 5.0, &hit)[0] = 1.0;
    assert_int_equal(hit, 0);
    hs_point_memo_get(&m, -0.0, 5.0, &hit)[0] = 2.0;
    assert_int_equal(hit, 0);
    hs_point_memo_get(&m, 5.0, 0.0, &hit)[0] = 3.0;
    assert_int_equal(hit, 0);
    assert_float_equal(hs_point_memo_get(&m, 0.0, 5.0, &hit)[0], 1.0, 0.0);
    assert_int_equal(hit, 1);
    assert_float_equal(hs_point_memo_get(&m, -0.0, 5.0, &hit)[0], 2.0, 0.0);
    assert_int_equal(hit, 1);
    hs_point_memo_free(&m);
    /* 64 slots for 1000 points: most are forgotten, none may be confused with another. */
    assert_int_equal(hs_point_memo_init(&m, 1), HS_OK);
    size_t hits = 0;
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 1000; k++) {
            double *v = hs_point_memo_get(&m, 600000.0 + k, 150000.0 - k, &hit);
            if (hit) {
                hits++;
                assert_float_equal(v[0], (double)k, 0.0);
                assert_float_equal(v[1], (double)-k, 0.0);
            }
            v[0] = k;
            v[1] = -k;
        }
    }
    assert_true(hits < 1000);
    hs_point_memo_free(&m);
    /* Room for all (2 n slots): the second round finds (nearly) every point again; a probe
     * window that fills up forgets a point now and then. */
    assert_int_equal(hs_point_memo_init(&m, 1000), HS_OK);
    hits = 0;
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 1000; k++) {
            double *v = hs_point_memo_get(&m, 1.0 + 1e-6 * k, 51.0 + 1e-6 * (k % 7), &hit);
            if (hit) {
                hits++;
                assert_float_equal(v[0], (double)k, 0.0);
            }
            v[0] = k;
        }
    }
    assert_in_range(hits, 950, 1000);
    hs_point_memo_free(&m);
    /* Points that never repeat: after a window of 4,096 look-ups without a hit the memo
     * pauses (hands out no slot) for a window, then tries a window again: failing, it pauses
     * for two. One with repeats does not pause. */
    hs_point_memo r;
    assert_int_equal(hs_point_memo_init(&m, 100000), HS_OK);
    assert_int_equal(hs_point_memo_init(&r, 100000), HS_OK);
    int k = 0;
    for (int i = 0; i < 4096; i++, k++) {
        assert_non_null(hs_point_memo_get(&m, 1.0 + 1e-7 * k, 51.0, &hit));
        assert_non_null(hs_point_memo_get(&r, 1.0 + 1e-7 * (k % 100), 51.0, &hit));
    }
    for (int i = 0; i < 4096; i++, k++)
        assert_null(hs_point_memo_get(&m, 1.0 + 1e-7 * k, 51.0, &hit));
    assert_int_equal(hit, 0);
    for (int i = 0; i < 4096; i++, k++)
        assert_non_null(hs_point_memo_get(&m, 1.0 + 1e-7 * k, 51.0, &hit));
    for (int i = 0; i < 2 * 4096; i++, k++)
        assert_null(hs_point_memo_get(&m, 1.0 + 1e-7 * k, 51.0, &hit));
    double *v = hs_point_memo_get(&m, 1.0, 51.0, &hit);
    assert_non_null(v);
    assert_int_equal(hit, 1); /* remembered from before the pauses */
    assert_non_null(hs_point_memo_get(&r, 2.0, 52.0, &hit));
    hs_point_memo_free(&m);
    hs_point_memo_free(&r);
    hs_point_memo_free(NULL);
}

static void test_unique_points_transform_alike_in_any_order(void **state)
{
    (void)state;
    /* 30,000 points that never repeat (the memo switches off): each gets the same result
     * forwards and backwards, at 1 and 2 threads. */
    enum { N = 30000 };
    static double x[N], y[N], rx[N], ry[N], a[N], b[N], ra[N], rb[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = 0.5 + 1e-5 * (double)i;
        y[i] = 51.0 + 0.5 * (double)(i % 977) / 977.0;
        rx[N - 1 - i] = x[i];
        ry[N - 1 - i] = y[i];
    }
    hs_error err;
    omp_set_num_threads(1);
    assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", x, y, a, b, N, NULL, NULL,
                                         &err),
                     HS_OK);
    omp_set_num_threads(2);
    assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", rx, ry, ra, rb, N, NULL,
                                         NULL, &err),
                     HS_OK);
    omp_set_num_threads(omp_get_num_procs());
    for (size_t i = 0; i < N; i++) {
        assert_memory_equal(&a[i], &ra[N - 1 - i], sizeof a[i]);
        assert_memory_equal(&b[i], &rb[N - 1 - i], sizeof b[i]);
    }
}

static void test_repeated_points_transform_as_single_ones(void **state)
{
    (void)state;
    /* 500 distinct longitude/latitude points, one that PROJ cannot transform, and NaNs,
     * repeated in a scrambled order. Reference: each distinct point transformed once. */
    enum { D = 501, N = 60000 };
    static double lon[D], lat[D], ex[D], ey[D];
    static double rx[N], ry[N], x1[N], y1[N], xt[N], yt[N];
    for (size_t k = 0; k < D; k++) {
        lon[k] = 0.9 + 0.4 * (double)(k % 25) / 25.0;
        lat[k] = 51.1 + 0.3 * (double)(k / 25) / 20.0;
    }
    lat[D - 1] = 95.0; /* not a latitude: PROJ fails on it */
    hs_error err;
    size_t failed = 0;
    assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", lon, lat, ex, ey, D, &failed,
                                         NULL, &err),
                     HS_OK);
    assert_int_equal(failed, 1);
    size_t expect_failed = 0;
    for (size_t i = 0; i < N; i++) {
        size_t k = (i * 7919) % (D + 3);
        rx[i] = k < D ? lon[k] : (double)NAN;
        ry[i] = k < D ? lat[k] : (double)NAN;
        expect_failed += k == D - 1;
    }
    static const int threads[] = {1, 2, 4};
    for (size_t t = 0; t < 3; t++) {
        omp_set_num_threads(threads[t]);
        double *ox = t == 0 ? x1 : xt, *oy = t == 0 ? y1 : yt;
        assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", rx, ry, ox, oy, N,
                                             &failed, NULL, &err),
                         HS_OK);
        assert_int_equal(failed, expect_failed);
        if (t > 0) {
            assert_memory_equal(xt, x1, sizeof x1);
            assert_memory_equal(yt, y1, sizeof y1);
        }
    }
    omp_set_num_threads(omp_get_num_procs());
    for (size_t i = 0; i < N; i++) {
        size_t k = (i * 7919) % (D + 3);
        if (k >= D) {
            assert_true(isnan(x1[i]) && isnan(y1[i]));
            continue;
        }
        assert_memory_equal(&x1[i], &ex[k], sizeof ex[k]);
        assert_memory_equal(&y1[i], &ey[k], sizeof ey[k]);
    }
    /* In place (input = output) gives the same. */
    memcpy(xt, rx, sizeof rx);
    memcpy(yt, ry, sizeof ry);
    assert_int_equal(hs_transform_points("EPSG:4326", "EPSG:27700", xt, yt, xt, yt, N, NULL,
                                         NULL, &err),
                     HS_OK);
    assert_memory_equal(xt, x1, sizeof x1);
    assert_memory_equal(yt, y1, sizeof y1);
}

/* Two 1 km squares sharing the edge x = 1000 (EPSG:27700). */
static const char *const two_squares =
    "{\"type\":\"FeatureCollection\","
    "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::27700\"}},"
    "\"features\":["
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"W1\"},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1000,0],[1000,1000],[0,1000],"
    "[0,0]]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"W2\"},"
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[1000,0],[2000,0],[2000,1000],"
    "[1000,1000],[1000,0]]]}}]}";

static void test_repeated_points_get_their_wards(void **state)
{
    (void)state;
    char path[512];
    write_fixture("two_squares.geojson", two_squares, strlen(two_squares), path, sizeof path);
    hs_wards w;
    hs_wards_params wp = {.code_field = "code", .crs = "EPSG:27700"};
    hs_error err;
    assert_int_equal(hs_wards_read(path, &wp, &w, &err), HS_OK);
    /* Worked by hand: inside W1, inside W2, on the shared edge (W1, the lower index), on the
     * outer edges x = 0 and x = 2000 and y = 1000 (covered), just outside the extent, far
     * outside, NaN. */
    static const double px[] = {500, 1500, 1000, 0, 2000, 1500, -1e-9, 5000, NAN};
    static const double py[] = {500, 500, 300, 700, 1000, 1000, 500, 5000, 1};
    static const int32_t expect[] = {0, 1, 0, 0, 1, 1, -1, -1, -1};
    enum { K = 9, N = 100000 };
    static double x[N], y[N];
    static int32_t a1[N], a2[N], a4[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = px[(i * 31) % K];
        y[i] = py[(i * 31) % K];
    }
    int32_t *outs[] = {a1, a2, a4};
    static const int threads[] = {1, 2, 4};
    for (size_t t = 0; t < 3; t++) {
        omp_set_num_threads(threads[t]);
        assert_int_equal(hs_wards_assign(&w, x, y, N, outs[t], &err), HS_OK);
    }
    omp_set_num_threads(omp_get_num_procs());
    assert_memory_equal(a1, a2, sizeof a1);
    assert_memory_equal(a1, a4, sizeof a1);
    for (size_t i = 0; i < N; i++)
        if (a1[i] != expect[(i * 31) % K])
            fail_msg("point (%g, %g): ward %d, expected %d", x[i], y[i], a1[i],
                     expect[(i * 31) % K]);
    hs_wards_free(&w);
}

static void test_sources_sharing_a_crs_placed_together(void **state)
{
    (void)state;
    /* Files in EPSG:4326, EPSG:27700, EPSG:4326 placed in one call give every row what
     * placing each file alone gives. */
    static const char *const texts[] = {
        "id,x,y,address\na,1.0792,51.2795,s\nb,51.2795,1.0792,s\nc,0,0,s\nd,,,s\n",
        "id,easting,northing,address\ne,615000,157000,s\nf,,,s\ng,615100,157100,s\n",
        "id,lon,lat,address\nh,1.10,51.30,s\ni,1.0792,51.2795,s\n"};
    char paths[3][512];
    hs_incidents all, one;
    assert_int_equal(hs_incidents_init(&all), HS_OK);
    hs_error err;
    for (size_t k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "crs_group_%zu.csv", k);
        write_fixture(name, texts[k], strlen(texts[k]), paths[k], sizeof paths[k]);
        assert_int_equal(hs_ingest_file(&all, paths[k], NULL, NULL, &err), HS_OK);
    }
    assert_string_equal(all.sources[1].crs, "EPSG:27700");
    hs_place_stats ps;
    assert_int_equal(hs_place_by_coordinates(&all, "EPSG:27700", &ps, &err), HS_OK);
    assert_int_equal(ps.with_coordinates, 7);
    assert_int_equal(ps.placed, 5);
    assert_int_equal(ps.rejected, 2);
    size_t row = 0;
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(hs_incidents_init(&one), HS_OK);
        assert_int_equal(hs_ingest_file(&one, paths[k], NULL, NULL, &err), HS_OK);
        hs_place_stats p1;
        assert_int_equal(hs_place_by_coordinates(&one, "EPSG:27700", &p1, &err), HS_OK);
        for (size_t i = 0; i < one.n; i++, row++) {
            assert_int_equal(all.state[row], one.state[i]);
            assert_memory_equal(&all.x[row], &one.x[i], sizeof one.x[i]);
            assert_memory_equal(&all.y[row], &one.y[i], sizeof one.y[i]);
            assert_string_equal(hs_incidents_str(&all, all.reason, row),
                                hs_incidents_str(&one, one.reason, i));
        }
        hs_incidents_free(&one);
    }
    hs_incidents_free(&all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tricky_fixtures_crlf_lf_cr),
        cmocka_unit_test(test_tricky_fixture_values),
        cmocka_unit_test(test_real_police_files),
        cmocka_unit_test(test_larger_than_a_block),
        cmocka_unit_test(test_quote_after_the_first_block),
        cmocka_unit_test(test_line_longer_than_a_block),
        cmocka_unit_test(test_pipe_input),
        cmocka_unit_test(test_mapped_csv_chunks_agree_on_crs),
        cmocka_unit_test(test_errors_and_edge_files),
        cmocka_unit_test(test_splitter_matches_libcsv_on_random_text),
        cmocka_unit_test(test_splitter_line_starts_and_growing),
        cmocka_unit_test(test_coordinates_parse_as_strtod_does),
        cmocka_unit_test(test_point_memo_keeps_the_right_results),
        cmocka_unit_test(test_repeated_points_transform_as_single_ones),
        cmocka_unit_test(test_unique_points_transform_alike_in_any_order),
        cmocka_unit_test(test_repeated_points_get_their_wards),
        cmocka_unit_test(test_sources_sharing_a_crs_placed_together),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* fuzz_ingest_run.h - one run of hs_ingest_file on the fuzz input, shared by fuzz_ingest.c
 * (no mapping: police.uk or auto-detected columns) and fuzz_ingest_mapped.c (a mapping).
 *
 * The input is written to a scratch file named .csv (so ingest takes its libcsv path, not
 * OGR) and read into a table that already holds one row from an earlier "file". Checks what
 * ingest.h and incidents.h promise:
 *  - on failure: an error record with a message, and the table as it was (the earlier row
 *    and source intact, nothing appended);
 *  - on success: one new source; one entry per data row, numbered 1..n, counted in the
 *    stats; rows are pending or failed with a reason; every string column is valid UTF-8
 *    (invalid bytes replaced); coordinates are both NaN or both finite; weights finite >= 0.
 */
#ifndef HS_FUZZ_INGEST_RUN_H
#define HS_FUZZ_INGEST_RUN_H

#include "fuzz_support.h"
#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/normalize.h"

#include <math.h>

#define HS_FUZZ_EARLIER_ID "earlier-row"

/* A table holding one row of an earlier source, so that failures can be seen to leave it. */
static inline void hs_fuzz_table_with_earlier_row(hs_incidents *t)
{
    uint32_t src;
    size_t row;
    if (hs_incidents_init(t) != HS_OK ||
        hs_incidents_add_source(t, "earlier.csv", "EPSG:27700", "csv", &src) != HS_OK ||
        hs_incidents_append(t, src, 1, 2, &row) != HS_OK ||
        hs_incidents_set_str(t, t->id, row, HS_FUZZ_EARLIER_ID, strlen(HS_FUZZ_EARLIER_ID)) !=
            HS_OK)
        hs_fuzz_fail("cannot set up the incident table", NULL);
}

static inline void hs_fuzz_check_earlier_row(const hs_incidents *t)
{
    if (t->n < 1 || t->nsources < 1 || strcmp(t->sources[0].path, "earlier.csv") != 0 ||
        strcmp(hs_incidents_str(t, t->id, 0), HS_FUZZ_EARLIER_ID) != 0 || t->source[0] != 0 ||
        t->source_row[0] != 1)
        hs_fuzz_fail("ingest changed a row appended by an earlier call", NULL);
}

static inline void hs_fuzz_check_utf8(const hs_incidents *t, const size_t *col, size_t i,
                                      const char *name)
{
    const char *s = hs_incidents_str(t, col, i);
    if (!hs_utf8_valid(s, strlen(s)))
        hs_fuzz_fail("a string column holds invalid UTF-8", name);
}

/* The promises about row i (a row of this call). */
static inline void hs_fuzz_check_row(const hs_incidents *t, size_t i, int64_t expect_row)
{
    if (t->source[i] != 1 || t->source_row[i] != expect_row)
        hs_fuzz_fail("rows are not numbered 1..n in their source", NULL);
    if (t->state[i] != HS_ROW_PENDING && t->state[i] != HS_ROW_FAILED)
        hs_fuzz_fail("ingest left a row placed or outside", NULL);
    if (t->state[i] == HS_ROW_FAILED && hs_incidents_str(t, t->reason, i)[0] == '\0')
        hs_fuzz_fail("a failed row without a reason", NULL);
    hs_fuzz_check_utf8(t, t->id, i, "id");
    hs_fuzz_check_utf8(t, t->month, i, "month");
    hs_fuzz_check_utf8(t, t->category, i, "category");
    hs_fuzz_check_utf8(t, t->location, i, "location");
    hs_fuzz_check_utf8(t, t->postcode, i, "postcode");
    hs_fuzz_check_utf8(t, t->lsoa_code, i, "lsoa_code");
    hs_fuzz_check_utf8(t, t->lsoa_name, i, "lsoa_name");
    hs_fuzz_check_utf8(t, t->raw, i, "raw");
    hs_fuzz_check_utf8(t, t->reason, i, "reason");
    if (isnan(t->in_x[i]) != isnan(t->in_y[i]) || isinf(t->in_x[i]) || isinf(t->in_y[i]))
        hs_fuzz_fail("a row with only one coordinate, or an infinite one", NULL);
    if (!isfinite(t->weight[i]) || t->weight[i] < 0.0)
        hs_fuzz_fail("a weight that is not a finite number >= 0", NULL);
}

static inline void hs_fuzz_check_ingested(const hs_incidents *t, const hs_ingest_stats *s)
{
    if (t->nsources != 2 || t->sources[1].rows != t->n - 1 || s->rows != t->n - 1)
        hs_fuzz_fail("row counts of the table, source and stats disagree", NULL);
    if (s->malformed > s->rows || s->bad_utf8 > s->rows)
        hs_fuzz_fail("more malformed or repaired rows than rows", NULL);
    for (size_t i = 1; i < t->n; i++)
        hs_fuzz_check_row(t, i, (int64_t)i);
}

/* Ingest data[0..size) as a .csv file with params p and check the outcome. */
static inline void hs_fuzz_ingest(const uint8_t *data, size_t size, const hs_ingest_params *p)
{
    char path[1024];
    hs_fuzz_tmp_path("incidents.csv", path, sizeof path);
    hs_fuzz_write_file(path, data, size);
    hs_incidents t;
    hs_fuzz_table_with_earlier_row(&t);
    hs_ingest_stats stats;
    hs_error err;
    hs_error_clear(&err);
    hs_status st = hs_ingest_file(&t, path, p, &stats, &err);
    hs_fuzz_check_error(st, &err, "hs_ingest_file");
    hs_fuzz_check_earlier_row(&t);
    if (st != HS_OK && (t.n != 1 || t.nsources != 1))
        hs_fuzz_fail("a failed ingest left rows or a source behind", NULL);
    if (st == HS_OK)
        hs_fuzz_check_ingested(&t, &stats);
    hs_incidents_free(&t);
    unlink(path);
}

#endif

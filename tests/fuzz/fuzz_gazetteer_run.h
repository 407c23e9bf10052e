/* fuzz_gazetteer_run.h - one hs_gazetteer_build from the fuzz input given as one input kind,
 * shared by fuzz_gaz_postcodes.c, fuzz_gaz_streets.c and fuzz_gaz_snap.c.
 *
 * The input is written to a scratch .csv file (snap points are read by geo/ingest, which
 * needs the extension) and built into a scratch gazetteer. Checks what gazetteer.h promises:
 *  - on failure: an error record with a message, no gazetteer and no temporary file left;
 *  - on success: one source whose size and FNV-1a 64 checksum are those of the input (the
 *    checksum recomputed here from its definition), every row counted once as loaded,
 *    skipped or bad, every bad row in the issue list (up to its cap) with a message, and a
 *    file that hs_gazetteer_open accepts with schema_version 1.
 */
#ifndef HS_FUZZ_GAZETTEER_RUN_H
#define HS_FUZZ_GAZETTEER_RUN_H

#include "fuzz_support.h"
#include "geo/gazetteer.h"

/* FNV-1a 64 (Fowler, Noll, Vo): offset basis 14695981039346656037, prime 1099511628211. */
static inline uint64_t hs_fuzz_fnv1a64(const uint8_t *data, size_t size)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    return h;
}

static inline void hs_fuzz_check_report(const hs_gazetteer_report *r, const uint8_t *data,
                                        size_t size)
{
    if (hs_gazetteer_report_n_sources(r) != 1)
        hs_fuzz_fail("the report does not list the one input", NULL);
    const hs_gazetteer_source_stats *s = hs_gazetteer_report_source(r, 0);
    if (s->bytes != size || s->checksum != hs_fuzz_fnv1a64(data, size))
        hs_fuzz_fail("the source's size or checksum is not the input's", s->format);
    if (s->rows == 0 || s->loaded + s->skipped + s->bad != s->rows)
        hs_fuzz_fail("rows are not each counted once as loaded, skipped or bad", s->format);
    if (hs_gazetteer_report_n_issues(r) != s->bad)
        hs_fuzz_fail("the issue count differs from the bad rows", s->format);
    size_t listed = s->bad < HS_GAZETTEER_MAX_ISSUES ? s->bad : HS_GAZETTEER_MAX_ISSUES;
    for (size_t i = 0; i < listed; i++) {
        const hs_error *e = hs_gazetteer_report_issue(r, i);
        if (e == NULL || e->code != HS_EDATA || e->what[0] == '\0' || e->row <= 0)
            hs_fuzz_fail("a bad row without its row number or message", s->format);
    }
    if (hs_gazetteer_report_issue(r, listed) != NULL)
        hs_fuzz_fail("an issue beyond the listed ones", s->format);
}

static inline void hs_fuzz_check_opens(const char *gaz)
{
    hs_gazetteer *g = NULL;
    hs_error err;
    char version[16];
    if (hs_gazetteer_open(gaz, &g, &err) != HS_OK ||
        hs_gazetteer_meta(g, "schema_version", version, sizeof version, &err) != HS_OK ||
        strcmp(version, "1") != 0)
        hs_fuzz_fail("a built gazetteer does not open as one", err.what);
    hs_gazetteer_close(g);
}

/* Build a gazetteer from data[0..size) given as kind, and check the outcome. */
static inline void hs_fuzz_gazetteer(hs_gazetteer_input_kind kind, const uint8_t *data, size_t size)
{
    char in_path[1024], gaz[1024], tmp[1100];
    hs_fuzz_tmp_path("gazetteer-input.csv", in_path, sizeof in_path);
    hs_fuzz_tmp_path("gazetteer.sqlite", gaz, sizeof gaz);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", gaz, (long)getpid()); /* gazetteer.c's name */
    hs_fuzz_write_file(in_path, data, size);
    unlink(gaz);
    hs_gazetteer_input in = {.kind = kind, .path = in_path};
    hs_gazetteer_report *r = hs_gazetteer_report_create();
    if (r == NULL)
        hs_fuzz_fail("out of memory for the report", NULL);
    hs_error err;
    hs_error_clear(&err);
    hs_status st = hs_gazetteer_build(gaz, &in, 1, r, &err);
    hs_fuzz_check_error(st, &err, "hs_gazetteer_build");
    if (access(tmp, F_OK) == 0)
        hs_fuzz_fail("the build left its temporary file", tmp);
    if (st != HS_OK && access(gaz, F_OK) == 0)
        hs_fuzz_fail("a failed build left a gazetteer", gaz);
    if (st == HS_OK) {
        hs_fuzz_check_report(r, data, size);
        hs_fuzz_check_opens(gaz);
    }
    hs_gazetteer_report_destroy(r);
    unlink(gaz);
    unlink(in_path);
}

#endif

/* cmd_gazetteer.c - `hotspot gazetteer build -o GAZ.sqlite [--postcodes FILE]...
 * [--streets FILE]... [--snap-points FILE]...`: one SQLite gazetteer from OS Code-Point Open
 * or the ONS Postcode Directory, OS Open Names, and past police.uk files (geo/gazetteer.h). */
#include "cli/commands_impl.h"
#include "cli/log.h"
#include "cli/opts.h"
#include "geo/gazetteer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_cmd_gazetteer(int argc, char **argv)
{
    const hs_command *self = hs_find_command("gazetteer");
    int r = hs_take_common_options(self, &argc, argv);
    if (r != 0)
        return r < 0 ? HS_EXIT_USAGE : HS_EXIT_OK;
    if (argc < 2 || strcmp(argv[1], "build") != 0) {
        hs_log_error("usage: hotspot gazetteer build -o GAZ.sqlite [--postcodes FILE]... "
                     "[--streets FILE]... [--snap-points FILE]...");
        return HS_EXIT_USAGE;
    }
    const char *out = NULL;
    hs_gazetteer_input *in = malloc((size_t)argc * sizeof *in);
    size_t n = 0;
    if (in == NULL)
        return HS_EXIT_INTERNAL;
    static const struct {
        const char *flag;
        hs_gazetteer_input_kind kind;
    } flags[] = {{"--postcodes", HS_GAZ_INPUT_POSTCODES},
                 {"--streets", HS_GAZ_INPUT_STREETS},
                 {"--snap-points", HS_GAZ_INPUT_SNAP_POINTS}};
    for (int i = 2; i < argc; i++) {
        const char *v;
        int m = hs_opt_value(argc, argv, &i, "-o", &v);
        if (m == 0)
            m = hs_opt_value(argc, argv, &i, "--output", &v);
        if (m == 1) {
            out = v;
            continue;
        }
        for (size_t f = 0; m == 0 && f < sizeof flags / sizeof flags[0]; f++) {
            m = hs_opt_value(argc, argv, &i, flags[f].flag, &v);
            if (m == 1)
                in[n++] = (hs_gazetteer_input){flags[f].kind, v};
        }
        if (m < 0) {
            free(in);
            return HS_EXIT_USAGE;
        }
        if (m == 0) {
            hs_log_error("gazetteer build: unknown argument '%s' (see `hotspot gazetteer "
                         "--help`)",
                         argv[i]);
            free(in);
            return HS_EXIT_USAGE;
        }
    }
    if (out == NULL || n == 0) {
        hs_log_error("gazetteer build needs -o GAZ.sqlite and at least one of --postcodes, "
                     "--streets, --snap-points");
        free(in);
        return HS_EXIT_USAGE;
    }
    hs_gazetteer_report *rep = hs_gazetteer_report_create();
    hs_error err;
    hs_error_clear(&err);
    double t0 = hs_now();
    hs_status st = rep ? hs_gazetteer_build(out, in, n, rep, &err) : HS_ENOMEM;
    if (rep) {
        for (size_t k = 0; k < hs_gazetteer_report_n_sources(rep); k++) {
            const hs_gazetteer_source_stats *s = hs_gazetteer_report_source(rep, k);
            hs_log_info("%s (%s): %zu rows, %zu loaded, %zu skipped, %zu bad", s->path,
                        s->format, s->rows, s->loaded, s->skipped, s->bad);
        }
        size_t ni = hs_gazetteer_report_n_issues(rep);
        for (size_t k = 0; k < ni && k < 20; k++) {
            char buf[1024];
            hs_log_warn("%s", hs_error_format(hs_gazetteer_report_issue(rep, k), buf, sizeof buf));
        }
        if (ni > 20)
            hs_log_warn("... and %zu more bad rows", ni - 20);
    }
    hs_gazetteer_report_destroy(rep);
    free(in);
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        return hs_exit_code(st);
    }
    hs_log_info("gazetteer written in %.2f s", hs_now() - t0);
    printf("%s\n", out);
    return HS_EXIT_OK;
}

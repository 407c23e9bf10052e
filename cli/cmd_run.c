/* cmd_run.c - `hotspot run [JOB.ini]`: the nightly job, or the demo job. */
#include "cli/commands_impl.h"
#include "cli/demo.h"
#include "cli/fsutil.h"
#include "cli/job.h"
#include "cli/log.h"
#include "cli/run.h"
#include "cli/signals.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hs_exit_code(hs_status st)
{
    switch (st) {
    case HS_OK:
        return HS_EXIT_OK;
    case HS_EINVAL:
        return HS_EXIT_USAGE;
    case HS_EDATA:
        return HS_EXIT_INPUT;
    case HS_EIO:
        return HS_EXIT_OUTPUT;
    case HS_EDEP:
    case HS_EBUSY:
        return HS_EXIT_DEPENDENCY;
    case HS_ENOMEM:
    case HS_ECANCELLED:
    case HS_EINTERNAL:
        return HS_EXIT_INTERNAL;
    }
    return HS_EXIT_INTERNAL;
}

int hs_take_common_options(const hs_command *c, int *argc, char **argv)
{
    hs_common common = {0};
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        int r = hs_common_option(*argc, argv, &i, &common);
        if (r < 0)
            return -1;
        if (r == 0)
            argv[out++] = argv[i];
    }
    *argc = out;
    if (common.help || common.version) {
        hs_print_command_help(c, stdout);
        return 1;
    }
    if (common.threads > 0)
        omp_set_num_threads(common.threads);
    return 0;
}

/* The demo job: data/demo/job.ini under the current folder, else the installed copy with
 * its relative paths resolved against ./data/demo (so inputs and output land here). */
static int locate_demo(char *job, size_t n, char *base, size_t nb)
{
    if (hs_path_exists("data/demo/job.ini")) {
        snprintf(job, n, "data/demo/job.ini");
        snprintf(base, nb, "data/demo");
        return 1;
    }
    snprintf(job, n, "%s/demo/job.ini", HS_DATA_INSTALL_DIR);
    snprintf(base, nb, "data/demo");
    return hs_path_exists(job);
}

/* The closing summary on stderr (quiet under -q): what came in, what was placed, the top
 * wards of each group, where the outputs are, how long it took. */
static void print_summary(const hs_job *job, const hs_run_result *r)
{
    if (hs_log_get_level() == HS_LOG_QUIET)
        return;
    FILE *e = stderr;
    fprintf(e, "\nhotspot: %s finished in %.1f s\n", job->name, r->seconds);
    fprintf(e, "  read        %zu rows: %zu new (geocoded now, %zu from the cache), %zu already "
               "stored\n",
            r->rows_read, r->rows_new, r->cache_hits, r->rows_known);
    fprintf(e, "  analysed    %zu incidents: %zu placed in the study area, %zu failed, %zu "
               "outside\n",
            r->rows_in, r->rows_placed, r->rows_failed, r->rows_outside);
    fprintf(e, "  hit rate    %.1f%% (placed / (placed + failed); minimum %.0f%%)\n",
            100.0 * r->hit_rate, 100.0 * job->min_hit_rate);
    for (size_t g = 0; g < r->ngroups; g++) {
        fprintf(e, "  %-11s top wards: %s, %s, %s\n", job->groups[g].name, r->top_wards[g][0],
                r->top_wards[g][1], r->top_wards[g][2]);
    }
    char base[4096];
    const char *dot = strrchr(r->output, '.');
    snprintf(base, sizeof base, "%.*s", (int)(dot ? dot - r->output : (long)strlen(r->output)),
             r->output);
    fprintf(e, "  output      %s\n              %s.qgs (QGIS project)\n              %s.html "
               "(report)\n",
            r->output, base, base);
}

int hs_cmd_run(int argc, char **argv)
{
    const hs_command *self = hs_find_command("run");
    int r = hs_take_common_options(self, &argc, argv);
    if (r != 0)
        return r < 0 ? HS_EXIT_USAGE : HS_EXIT_OK;
    if (argc > 2) {
        hs_log_error("run takes one job file, got %d arguments (see `hotspot run --help`)",
                     argc - 1);
        return HS_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            hs_log_error("unknown option '%s' for run (see `hotspot run --help`)", argv[i]);
            return HS_EXIT_USAGE;
        }
    }
    char job_path[4096], base[4096];
    const char *base_dir = NULL;
    hs_error err;
    hs_error_clear(&err);
    if (argc == 2) {
        snprintf(job_path, sizeof job_path, "%s", argv[1]);
    } else {
        if (!locate_demo(job_path, sizeof job_path, base, sizeof base)) {
            hs_log_error("no job file given and no demo job found (data/demo/job.ini here, or "
                         "%s/demo/job.ini)",
                         HS_DATA_INSTALL_DIR);
            return HS_EXIT_USAGE;
        }
        base_dir = base;
        hs_synth_params sp;
        hs_synth_params_default(&sp);
        int made = 0;
        double t0 = hs_now();
        hs_status st = hs_demo_ensure(base_dir, &sp, &made, &err);
        if (st != HS_OK) {
            hs_log_hs_error(&err, st);
            return hs_exit_code(st);
        }
        if (made)
            hs_log_info("demo: generated the demo inputs in %s/generated in %.2f s", base_dir,
                        hs_now() - t0);
    }
    hs_job *job = malloc(sizeof *job);
    if (job == NULL)
        return HS_EXIT_INTERNAL;
    hs_status st = hs_job_load(job_path, base_dir, job, &err);
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        free(job);
        return hs_exit_code(st);
    }
    hs_log_info("job %s (%s), %d threads", job->name, job_path, omp_get_max_threads());
    st = hs_signals_install(hs_log_get_level() != HS_LOG_QUIET, &err);
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        free(job);
        return hs_exit_code(st);
    }
    hs_run_result *res = malloc(sizeof *res);
    st = res ? hs_run_job(job, res, &err) : HS_ENOMEM;
    hs_signals_restore();
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        if (st != HS_ECANCELLED && st != HS_EBUSY)
            hs_log_error("the job failed; %s was not changed", job->output);
        int sig = hs_cancel_signal();
        free(res);
        free(job);
        if (st == HS_ECANCELLED)
            return 128 + (sig ? sig : 15);
        return hs_exit_code(st);
    }
    print_summary(job, res);
    printf("%s\n", res->output);
    int rc = HS_EXIT_OK;
    if (res->hit_rate < job->min_hit_rate) {
        hs_log_error("geocoding hit rate %.1f%% is below the job's minimum %.1f%% "
                     "(min_hit_rate); see the geocode_failures layer",
                     100.0 * res->hit_rate, 100.0 * job->min_hit_rate);
        rc = HS_EXIT_LOW_HIT_RATE;
    }
    free(res);
    free(job);
    return rc;
}

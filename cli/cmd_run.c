/* cmd_run.c - `hotspot run [JOB.ini]`: the nightly job, or the demo job. */
#include "cli/commands_impl.h"
#include "cli/demo.h"
#include "cli/fsutil.h"
#include "cli/job.h"
#include "cli/log.h"
#include "cli/run.h"

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
    hs_run_result res;
    st = hs_run_job(job, &res, &err);
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        hs_log_error("the job failed; %s was not changed", job->output);
        free(job);
        return hs_exit_code(st);
    }
    hs_log_info("done: %zu rows in, %zu placed, %zu failed, %zu outside the study area; hit "
                "rate %.1f%%",
                res.rows_in, res.rows_placed, res.rows_failed, res.rows_outside,
                100.0 * res.hit_rate);
    printf("%s\n", res.output);
    int rc = HS_EXIT_OK;
    if (res.hit_rate < job->min_hit_rate) {
        hs_log_error("geocoding hit rate %.1f%% is below the job's minimum %.1f%% "
                     "(min_hit_rate); see the geocode_failures layer",
                     100.0 * res.hit_rate, 100.0 * job->min_hit_rate);
        rc = HS_EXIT_LOW_HIT_RATE;
    }
    free(job);
    return rc;
}

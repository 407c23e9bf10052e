/* run.h - the nightly job: every stage from the incident files to the GeoPackage. */
#ifndef HS_CLI_RUN_H
#define HS_CLI_RUN_H

#include "cli/job.h"
#include "engine/status.h"

typedef struct hs_run_result {
    size_t rows_in;       /* input rows */
    size_t rows_placed;   /* placed in the study area */
    size_t rows_failed;   /* could not be placed (in geocode_failures) */
    size_t rows_outside;  /* placed outside every ward */
    double hit_rate;      /* placed / (placed + failed) */
    char output[4096];    /* GeoPackage written */
} hs_run_result;

/* Run the job; fills res. Returns HS_OK when the output was written (the caller compares
 * the hit rate with job->min_hit_rate). */
hs_status hs_run_job(const hs_job *job, hs_run_result *res, hs_error *err);

#endif

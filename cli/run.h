/* run.h - the nightly job: every stage from the incident files to the GeoPackage. */
#ifndef HS_CLI_RUN_H
#define HS_CLI_RUN_H

#include "cli/job.h"
#include "engine/status.h"

#include <stddef.h>

#define HS_RUN_TOP_WARDS 3

typedef struct hs_run_result {
    size_t rows_read;     /* rows read from this run's files */
    size_t rows_new;      /* of those, not in the store before (geocoded this run) */
    size_t rows_known;    /* of those, already in the store (results reused) */
    size_t cache_hits;    /* new rows placed from the store's geocode cache */
    size_t rows_in;       /* rows analysed (the store's, within the window) */
    size_t rows_placed;   /* placed in the study area */
    size_t rows_failed;   /* could not be placed (in geocode_failures) */
    size_t rows_outside;  /* placed outside every ward */
    double hit_rate;      /* placed / (placed + failed) */
    size_t ngroups;       /* groups, as in the job */
    char top_wards[32][HS_RUN_TOP_WARDS][128]; /* "Westgate (310)" per group */
    double seconds;       /* wall time of the run */
    char output[4096];    /* GeoPackage written */
} hs_run_result;

/* Run the job; fills res. Holds the job's lock (HS_EBUSY when another run has it), keeps the
 * state store in one transaction (rolled back on failure or cancellation), polls
 * hs_cancel_requested() between stages and before the output is committed (HS_ECANCELLED:
 * the previous output stays untouched). Returns HS_OK when the output was written (the
 * caller compares the hit rate with job->min_hit_rate). */
hs_status hs_run_job(const hs_job *job, hs_run_result *res, hs_error *err);

#endif

/* fuzz_job.c - libFuzzer target: hs_job_load on a job file (INI read by libinih), then
 * hs_job_visit over the result, as `hotspot run` and run_info do.
 *
 * Checks what job.h promises: a failure is HS_EINVAL with a message naming the file; a job
 * that loads has an [incidents] path per source, a wards path and code field, categories in
 * every group, every string NUL-terminated inside its field, numbers inside the limits of
 * the key table, and choices spelt in lower case. Seeds: tests/fuzz/corpus/job/.
 */
#include "cli/job.h"
#include "fuzz_support.h"

#include <math.h>

#define HS_FUZZ_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static void check_range(double v, double lo, double hi, const char *key)
{
    if (!(v >= lo && v <= hi))
        hs_fuzz_fail("a loaded value lies outside its key's limits", key);
}

static void check_lower(const char *s, const char *key)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            hs_fuzz_fail("a choice is not lower-cased", key);
}

static void check_sources(const hs_job *job)
{
    if (job->nsources < 1 || job->nsources > HS_JOB_MAX_SOURCES)
        hs_fuzz_fail("a loaded job without [incidents], or too many", NULL);
    for (size_t i = 0; i < job->nsources; i++) {
        const hs_job_source *s = &job->sources[i];
        if (!HS_FUZZ_TERMINATED(s->name) || !HS_FUZZ_TERMINATED(s->path) ||
            !HS_FUZZ_TERMINATED(s->layer) || !HS_FUZZ_TERMINATED(s->x) ||
            !HS_FUZZ_TERMINATED(s->weight) || !HS_FUZZ_TERMINATED(s->source_crs))
            hs_fuzz_fail("a source field is not NUL-terminated", s->name);
        if (s->path[0] == '\0')
            hs_fuzz_fail("a loaded source without a path", s->name);
    }
}

static void check_groups(const hs_job *job)
{
    if (job->ngroups > HS_JOB_MAX_GROUPS)
        hs_fuzz_fail("too many groups", NULL);
    for (size_t i = 0; i < job->ngroups; i++) {
        const hs_job_group *g = &job->groups[i];
        if (!HS_FUZZ_TERMINATED(g->name) || g->ncategories < 1 ||
            g->ncategories > HS_JOB_MAX_CATEGORIES)
            hs_fuzz_fail("a group without categories, or with too many", NULL);
        for (size_t c = 0; c < g->ncategories; c++)
            if (!HS_FUZZ_TERMINATED(g->categories[c]) || g->categories[c][0] == '\0')
                hs_fuzz_fail("an empty or unterminated category", g->name);
    }
}

static void check_job(const hs_job *job)
{
    if (!HS_FUZZ_TERMINATED(job->name) || !HS_FUZZ_TERMINATED(job->output) ||
        !HS_FUZZ_TERMINATED(job->crs) || !HS_FUZZ_TERMINATED(job->store) ||
        !HS_FUZZ_TERMINATED(job->gazetteer) || !HS_FUZZ_TERMINATED(job->wards_path) ||
        !HS_FUZZ_TERMINATED(job->kde_kernel) || !HS_FUZZ_TERMINATED(job->gistar_weights))
        hs_fuzz_fail("a job field is not NUL-terminated", NULL);
    if (job->wards_path[0] == '\0' || job->wards_code[0] == '\0' || job->output[0] == '\0' ||
        job->store[0] == '\0')
        hs_fuzz_fail("a loaded job without wards path/code, output or store", NULL);
    check_sources(job);
    check_groups(job);
    check_range(job->min_hit_rate, 0, 1, "min_hit_rate");
    check_range(job->window_months, 0, 1200, "window_months");
    if (job->kde_radius_m != 0.0)
        check_range(job->kde_radius_m, 1, 100000, "kde radius");
    check_range(job->kde_cell_m, 0.5, 100000, "kde cell");
    check_range(job->grid_cell_m, 1, 100000, "grid_cell");
    if (job->grid_band_m != 0.0)
        check_range(job->grid_band_m, 1, 1000000, "grid_band");
    check_range(job->permutations, 0, 99999, "permutations");
    check_range(job->grid_permutations, 0, 99999, "grid_permutations");
    check_range((double)job->seed, 0, 4294967295.0, "seed");
    check_range(job->alpha, 0.0001, 0.5, "alpha");
    check_range(job->patrol_areas, 0, 1000, "patrol areas");
    check_range(job->patrol_max_area_km2, 0.0001, 100, "max_area_km2");
    check_range(job->patrol_cell_m, 1, 10000, "patrol cell");
    check_lower(job->kde_kernel, "kernel");
    check_lower(job->kde_scale, "scale");
    check_lower(job->gistar_value, "value");
}

static void visit(const char *key, const char *value, void *user)
{
    size_t *n = user;
    if (key[0] == '\0' || strlen(value) >= 8192)
        hs_fuzz_fail("hs_job_visit gave an empty key or an overlong value", key);
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hs_job job; /* ~0.4 MB: not on the stack */
    char path[1024];
    hs_fuzz_tmp_path("job.ini", path, sizeof path);
    hs_fuzz_write_file(path, data, size);
    hs_error err;
    hs_error_clear(&err);
    hs_status st = hs_job_load(path, NULL, &job, &err);
    hs_fuzz_check_error(st, &err, "hs_job_load");
    if (st != HS_OK && (st != HS_EINVAL || strcmp(err.file, path) != 0))
        hs_fuzz_fail("a job-file failure that is not HS_EINVAL naming the file", err.what);
    if (st == HS_OK) {
        check_job(&job);
        size_t n = 0;
        hs_job_visit(&job, visit, &n);
        if (n == 0)
            hs_fuzz_fail("hs_job_visit visited nothing", NULL);
    }
    unlink(path);
    return 0;
}

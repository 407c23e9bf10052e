/* place.c - validate and transform given coordinates (see place.h).
 * Must not: place rows by anything but their own coordinates, do statistics.
 * Sources that share a CRS are transformed in one call (one PROJ set-up, not one per file:
 * a year of monthly files is twelve sources). */
#include "geo/place.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Margin around a CRS's area of use, degrees: points just offshore remain plausible. */
#define HS_AREA_MARGIN_DEG 0.5

static int inside(double lon, double lat, const double box[4])
{
    return lon >= box[0] - HS_AREA_MARGIN_DEG && lat >= box[1] - HS_AREA_MARGIN_DEG &&
           lon <= box[2] + HS_AREA_MARGIN_DEG && lat <= box[3] + HS_AREA_MARGIN_DEG;
}

/* Rows waiting for placement by the coordinates they carry. */
static int candidate(const hs_incidents *t, size_t i)
{
    return t->state[i] == HS_ROW_PENDING && !isnan(t->in_x[i]) && t->source[i] < t->nsources;
}

/* Candidate rows of a source marked in group. */
static int in_group(const hs_incidents *t, const unsigned char *group, size_t i)
{
    return candidate(t, i) && group[t->source[i]];
}

/* Why row i (given lon/lat or x/y, transformed to x, y) cannot be placed; NULL when it can. */
static const char *rejection(int geographic, int have_box, const double box[4], double lon,
                             double lat, double x, double y)
{
    if (geographic == 1 && (fabs(lon) > 180.0 || fabs(lat) > 90.0))
        return "not a longitude/latitude";
    if (geographic == 1 && have_box && !inside(lon, lat, box))
        return inside(lat, lon, box) ? "latitude and longitude look swapped"
                                     : "outside the area of use of the job CRS";
    if (isnan(x) || isnan(y))
        return "the coordinates could not be transformed";
    return NULL;
}

/* The job CRS's area of use, and where the first group's transformation goes. */
typedef struct place_job {
    const char *crs;    /* job CRS */
    double box[4];      /* its area of use: west, south, east, north (degrees) */
    int have_box;       /* box is known */
    int first;          /* no group placed yet: its transformation goes into the stats */
} place_job;

/* Validate and place the candidate rows of the sources marked in group (all in CRS crs), in
 * row order; x/y hold their transformed coordinates in that order. */
static hs_status place_rows(hs_incidents *t, const unsigned char *group, int geographic,
                            const place_job *job, const double *x, const double *y,
                            float precision, hs_place_stats *stats)
{
    char reason[256];
    size_t j = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!in_group(t, group, i))
            continue;
        double lon = t->in_x[i], lat = t->in_y[i];
        stats->with_coordinates++;
        const char *why = rejection(geographic, job->have_box, job->box, lon, lat, x[j], y[j]);
        if (why) {
            snprintf(reason, sizeof reason, "bad coordinates (%.6g, %.6g): %s", lon, lat, why);
            stats->rejected++;
            j++;
            hs_status st = hs_incidents_fail(t, i, reason);
            if (st != HS_OK)
                return st;
            continue;
        }
        t->x[i] = x[j];
        t->y[i] = y[j];
        j++;
        t->method[i] = HS_METHOD_COORDINATES;
        t->score[i] = 1.0f;
        t->precision_m[i] = precision;
        t->state[i] = HS_ROW_PLACED;
        stats->placed++;
    }
    return HS_OK;
}

/* Transform and place the n candidate rows of the sources marked in group, whose CRS is crs
 * (first is one of them, named in errors). One PROJ set-up for all of them. */
static hs_status place_group(hs_incidents *t, const unsigned char *group, size_t n, uint32_t first,
                             place_job *job, hs_place_stats *stats, hs_error *err)
{
    const char *crs = t->sources[first].crs;
    int geographic = hs_crs_is_geographic(crs);
    if (geographic < 0)
        return hs_error_set(err, HS_EDEP, t->sources[first].path, 0, 0,
                            "PROJ does not know the source CRS '%s'", crs);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return HS_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!in_group(t, group, i))
            continue;
        x[k] = t->in_x[i];
        y[k] = t->in_y[i];
        k++;
    }
    hs_transform_info info;
    size_t failed = 0;
    hs_status st = hs_transform_points(crs, job->crs, x, y, x, y, n, &failed, &info, err);
    if (st == HS_OK) {
        if (job->first) {
            stats->info = info;
            job->first = 0;
        }
        float precision = info.accuracy_m > 0 ? (float)info.accuracy_m : 1.0f;
        st = place_rows(t, group, geographic, job, x, y, precision, stats);
    }
    free(x);
    free(y);
    return st;
}

hs_status hs_place_by_coordinates(hs_incidents *t, const char *job_crs, hs_place_stats *stats,
                                  hs_error *err)
{
    memset(stats, 0, sizeof *stats);
    place_job job = {.crs = job_crs, .first = 1};
    job.have_box = hs_crs_area_of_use(job_crs, &job.box[0], &job.box[1], &job.box[2],
                                      &job.box[3], NULL) == HS_OK;
    /* Candidate rows per source, then the sources grouped by CRS in order of appearance:
     * one transformation set-up per CRS, however many files share it. */
    size_t ns = t->nsources;
    size_t *count = calloc(ns ? ns : 1, sizeof *count);
    unsigned char *group = calloc(ns ? ns : 1, 1), *done = calloc(ns ? ns : 1, 1);
    hs_status st = count && group && done ? HS_OK : HS_ENOMEM;
    for (size_t i = 0; st == HS_OK && i < t->n; i++)
        if (candidate(t, i))
            count[t->source[i]]++;
    for (uint32_t s = 0; st == HS_OK && s < ns; s++) {
        if (done[s] || count[s] == 0)
            continue;
        size_t n = 0;
        for (uint32_t r = s; r < ns; r++) {
            group[r] = !done[r] && strcmp(t->sources[r].crs, t->sources[s].crs) == 0;
            done[r] |= group[r];
            n += group[r] ? count[r] : 0;
        }
        st = place_group(t, group, n, s, &job, stats, err);
        memset(group, 0, ns);
    }
    free(count);
    free(group);
    free(done);
    return st;
}

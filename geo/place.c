/* place.c - validate and transform given coordinates (see place.h). */
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

hs_status hs_place_by_coordinates(hs_incidents *t, const char *job_crs, hs_place_stats *stats,
                                  hs_error *err)
{
    memset(stats, 0, sizeof *stats);
    double box[4];
    int have_box = hs_crs_area_of_use(job_crs, &box[0], &box[1], &box[2], &box[3], NULL) == HS_OK;
    int first = 1;
    for (uint32_t s = 0; s < t->nsources; s++) {
        /* Rows of this source with coordinates. */
        size_t n = 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->source[i] == s && t->state[i] == HS_ROW_PENDING && !isnan(t->in_x[i]))
                n++;
        if (n == 0)
            continue;
        const char *crs = t->sources[s].crs;
        int geographic = hs_crs_is_geographic(crs);
        if (geographic < 0)
            return hs_error_set(err, HS_EDEP, t->sources[s].path, 0, 0,
                                "PROJ does not know the source CRS '%s'", crs);
        size_t *idx = malloc(n * sizeof *idx);
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        if (!idx || !x || !y) {
            free(idx);
            free(x);
            free(y);
            return HS_ENOMEM;
        }
        size_t k = 0;
        for (size_t i = 0; i < t->n; i++) {
            if (t->source[i] != s || t->state[i] != HS_ROW_PENDING || isnan(t->in_x[i]))
                continue;
            idx[k] = i;
            x[k] = t->in_x[i];
            y[k] = t->in_y[i];
            k++;
        }
        hs_transform_info info;
        size_t failed = 0;
        hs_status st = hs_transform_points(crs, job_crs, x, y, x, y, n, &failed, &info, err);
        if (st != HS_OK) {
            free(idx);
            free(x);
            free(y);
            return st;
        }
        if (first) {
            stats->info = info;
            first = 0;
        }
        float precision = info.accuracy_m > 0 ? (float)info.accuracy_m : 1.0f;
        char reason[256];
        for (size_t j = 0; j < n && st == HS_OK; j++) {
            size_t i = idx[j];
            double lon = t->in_x[i], lat = t->in_y[i];
            stats->with_coordinates++;
            const char *why = NULL;
            if (geographic == 1 && (fabs(lon) > 180.0 || fabs(lat) > 90.0)) {
                why = "not a longitude/latitude";
            } else if (geographic == 1 && have_box && !inside(lon, lat, box)) {
                if (inside(lat, lon, box))
                    why = "latitude and longitude look swapped";
                else
                    why = "outside the area of use of the job CRS";
            } else if (isnan(x[j]) || isnan(y[j])) {
                why = "the coordinates could not be transformed";
            }
            if (why) {
                snprintf(reason, sizeof reason, "bad coordinates (%.6g, %.6g): %s", lon, lat,
                         why);
                st = hs_incidents_fail(t, i, reason);
                stats->rejected++;
                continue;
            }
            t->x[i] = x[j];
            t->y[i] = y[j];
            t->method[i] = HS_METHOD_COORDINATES;
            t->score[i] = 1.0f;
            t->precision_m[i] = precision;
            t->state[i] = HS_ROW_PLACED;
            stats->placed++;
        }
        free(idx);
        free(x);
        free(y);
        if (st != HS_OK)
            return st;
    }
    return HS_OK;
}

/* locate.c - gazetteer geocoding of an incident table in parallel (see locate.h). */
#include "geo/locate.h"

#include "geo/geocode.h"
#include "geo/normalize.h"
#include "geo/transform.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int hs_locate_is_retryable(const char *reason)
{
    return strncmp(reason, "bad coordinate", 14) == 0;
}

/* Indices of the rows to geocode. */
static size_t rows_to_geocode(const hs_incidents *t, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] == HS_ROW_PENDING ||
            (t->state[i] == HS_ROW_FAILED &&
             hs_locate_is_retryable(hs_incidents_str(t, t->reason, i))))
            idx[n++] = i;
    }
    return n;
}

/* Drop the last word of s (and the spaces before it); returns the dropped word's start. */
static char *drop_last_word(char *s)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == ' ')
        s[--len] = '\0';
    char *sp = strrchr(s, ' ');
    char *word = sp ? sp + 1 : s;
    return word;
}

/* The locality hint of a free-text address: its last comma-separated part, without a
 * trailing postcode ("12 Church Road, Whitstable CT5 1AB" -> "Whitstable"). Empty when the
 * address has a single part. */
static void address_locality(const char *address, char *out, size_t n)
{
    out[0] = '\0';
    const char *comma = strrchr(address, ',');
    if (comma == NULL)
        return;
    const char *p = comma + 1;
    while (*p == ' ')
        p++;
    snprintf(out, n, "%s", p);
    char pc[HS_POSTCODE_SIZE];
    /* "Whitstable CT51AB": one word; "Whitstable CT5 1AB": two. */
    char *w1 = drop_last_word(out);
    if (w1 != out && hs_postcode_normalize(w1, pc)) {
        *w1 = '\0';
    } else if (w1 != out) {
        char *w2 = drop_last_word((w1[-1] = '\0', out));
        char pair[64];
        snprintf(pair, sizeof pair, "%s %s", w2, w1);
        if (w2 != out && hs_postcode_normalize(pair, pc))
            *w2 = '\0';
        else
            w1[-1] = ' ';
    }
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
}

static int is_police(const hs_incidents *t, size_t i)
{
    return strcmp(t->sources[t->source[i]].format, "police.uk") == 0;
}

hs_status hs_locate_by_text(hs_incidents *t, const char *gazetteer_path, const char *job_crs,
                            const hs_locate_hooks *hooks, hs_locate_stats *stats, hs_error *err)
{
    memset(stats, 0, sizeof *stats);
    size_t *idx = malloc((t->n ? t->n : 1) * sizeof *idx);
    if (idx == NULL)
        return HS_ENOMEM;
    size_t n = rows_to_geocode(t, idx);
    stats->attempted = n;
    hs_status st = HS_OK;
    if (n == 0)
        goto done;
    if (gazetteer_path == NULL || gazetteer_path[0] == '\0') {
        for (size_t k = 0; k < n && st == HS_OK; k++) {
            size_t i = idx[k];
            const char *loc = hs_incidents_str(t, t->location, i);
            if (t->state[i] == HS_ROW_FAILED)
                continue; /* keeps its coordinates reason */
            st = hs_incidents_fail(t, i, strcasecmp(loc, "No Location") == 0
                                             ? "no location"
                                             : "no coordinates and no gazetteer configured");
        }
        stats->failed = n;
        goto done;
    }
    /* Open one geocoder serially first: a wrong gazetteer is reported once, clearly. */
    hs_geocoder *probe = NULL;
    st = hs_geocoder_create(gazetteer_path, NULL, &probe, err);
    hs_geocoder_destroy(probe);
    if (st != HS_OK)
        goto done;
    hs_geocode_result *res = malloc(n * sizeof *res);
    if (res == NULL) {
        st = HS_ENOMEM;
        goto done;
    }
    int setup_failed = 0;
    size_t hits = 0;
    /* Per-row status: the failing row with the lowest index is reported. */
    hs_status *row_st = calloc(n, sizeof *row_st);
    if (row_st == NULL) {
        free(res);
        st = HS_ENOMEM;
        goto done;
    }
    hs_locate_hooks no_hooks = {0};
    const hs_locate_hooks *hk = hooks ? hooks : &no_hooks;
#pragma omp parallel default(none) shared(t, idx, n, res, gazetteer_path, setup_failed,         \
                                              row_st, hk) reduction(+ : hits)
    {
        hs_geocoder *gc = NULL;
        hs_error terr;
        if (hs_geocoder_create(gazetteer_path, NULL, &gc, &terr) != HS_OK) {
#pragma omp atomic write
            setup_failed = 1;
        }
#pragma omp for schedule(dynamic, 256)
        for (size_t k = 0; k < n; k++) {
            if (gc == NULL) {
                row_st[k] = HS_EDEP;
                continue;
            }
            if (k % 256 == 0 && hk->cancelled && hk->cancelled()) {
                row_st[k] = HS_ECANCELLED;
                continue;
            }
            if (k % 256 == 255 && hk->progress)
                hk->progress(hk->user, 256);
            size_t i = idx[k];
            int police = is_police(t, i);
            const char *text = hs_incidents_str(t, t->location, i);
            char locality[256];
            address_locality(police ? "" : text, locality, sizeof locality);
            hs_geocode_query q = {
                .location = text,
                .address = police ? NULL : text,
                .locality = locality[0] ? locality : NULL,
                .postcode = hs_incidents_str(t, t->postcode, i),
                .lsoa_code = hs_incidents_str(t, t->lsoa_code, i),
                .lsoa_name = hs_incidents_str(t, t->lsoa_name, i),
            };
            hs_error rerr;
            row_st[k] = hs_geocode_one(gc, &q, &res[k], &rerr);
        }
        if (gc) {
            size_t rows = 0, h = 0;
            hs_geocoder_stats(gc, &rows, &h);
            hits += h;
        }
        hs_geocoder_destroy(gc);
    }
    stats->cache_hits = hits;
    if (setup_failed) {
        st = hs_error_set(err, HS_EDEP, gazetteer_path, 0, 0,
                          "could not open the gazetteer on every thread");
    }
    for (size_t k = 0; k < n && st == HS_OK; k++) {
        if (row_st[k] == HS_ECANCELLED) {
            st = HS_ECANCELLED;
        } else if (row_st[k] != HS_OK) {
            st = hs_error_set(err, row_st[k], gazetteer_path, 0, 0,
                              "the gazetteer could not be read while geocoding row %lld of %s",
                              (long long)t->source_row[idx[k]],
                              t->sources[t->source[idx[k]]].name);
        }
    }
    /* Gazetteer coordinates are EPSG:27700: bring them to the job CRS when it differs. */
    if (st == HS_OK && strcasecmp(job_crs, "EPSG:27700") != 0) {
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        if (x == NULL || y == NULL)
            st = HS_ENOMEM;
        for (size_t k = 0; k < n && st == HS_OK; k++) {
            x[k] = res[k].x_m;
            y[k] = res[k].y_m;
        }
        if (st == HS_OK)
            st = hs_transform_points("EPSG:27700", job_crs, x, y, x, y, n, NULL, NULL, err);
        for (size_t k = 0; k < n && st == HS_OK; k++) {
            res[k].x_m = x[k];
            res[k].y_m = y[k];
        }
        free(x);
        free(y);
    }
    char reason[512];
    for (size_t k = 0; k < n && st == HS_OK; k++) {
        size_t i = idx[k];
        const hs_geocode_result *r = &res[k];
        if (r->reason == HS_GEOCODE_PLACED && !isnan(r->x_m) && !isnan(r->y_m)) {
            t->x[i] = r->x_m;
            t->y[i] = r->y_m;
            t->method[i] = (uint8_t)r->method;
            t->score[i] = (float)r->score;
            t->precision_m[i] = (float)r->precision_m;
            t->state[i] = HS_ROW_PLACED;
            t->reason[i] = 0;
            stats->placed++;
            if ((size_t)r->method < 7)
                stats->by_method[r->method]++;
        } else {
            const char *why = hs_geocode_reason_str(r->reason);
            if (t->state[i] == HS_ROW_FAILED)
                snprintf(reason, sizeof reason, "%s; by text: %s",
                         hs_incidents_str(t, t->reason, i), why);
            else
                snprintf(reason, sizeof reason, "%s", why);
            st = hs_incidents_fail(t, i, reason);
            stats->failed++;
        }
    }
    free(row_st);
    free(res);
done:
    free(idx);
    return st;
}

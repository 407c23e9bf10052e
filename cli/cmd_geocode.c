/* cmd_geocode.c - `hotspot geocode INPUT... -o OUT.gpkg --gazetteer GAZ.sqlite`: the job's
 * ingest and geocoding stages on their own. Writes `incidents` (every placed row; ward_code
 * when --wards is given) and `geocode_failures`, and prints the hit rate overall and per
 * method. */
#include "cli/commands_impl.h"
#include "cli/log.h"
#include "cli/opts.h"
#include "cli/sources.h"
#include "geo/gpkg.h"
#include "geo/locate.h"
#include "geo/place.h"
#include "geo/wards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options of the command: a source mapping plus the outputs. */
typedef struct geocode_opts {
    hs_job_source src;        /* mapping, shared by every INPUT */
    const char *inputs[64];   /* input files */
    size_t ninputs;           /* how many */
    const char *output;       /* -o */
    const char *gazetteer;    /* --gazetteer */
    const char *crs;          /* --crs */
    const char *wards;        /* --wards */
    const char *ward_code;    /* --ward-code */
    const char *ward_layer;   /* --ward-layer */
    double min_hit_rate;      /* --min-hit-rate */
} geocode_opts;

static int parse(int argc, char **argv, geocode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->crs = "EPSG:27700";
    o->min_hit_rate = 0.85;
    static const struct {
        const char *flag;
        size_t offset;
        size_t size;
    } maps[] = {
#define HS_M(flag, f) {flag, offsetof(hs_job_source, f), sizeof(((hs_job_source *)0)->f)}
        HS_M("--id", id),       HS_M("--date", date),         HS_M("--category", category),
        HS_M("--x", x),         HS_M("--y", y),               HS_M("--source-crs", source_crs),
        HS_M("--address", address), HS_M("--postcode", postcode), HS_M("--lsoa", lsoa),
        HS_M("--layer", layer), HS_M("--weight", weight),
#undef HS_M
    };
    for (int i = 1; i < argc; i++) {
        const char *v;
        int m = 0;
        if ((m = hs_opt_value(argc, argv, &i, "-o", &v)) == 1 ||
            (m == 0 && (m = hs_opt_value(argc, argv, &i, "--output", &v)) == 1)) {
            o->output = v;
        } else if (m == 0 && (m = hs_opt_value(argc, argv, &i, "--gazetteer", &v)) == 1) {
            o->gazetteer = v;
        } else if (m == 0 && (m = hs_opt_value(argc, argv, &i, "--crs", &v)) == 1) {
            o->crs = v;
        } else if (m == 0 && (m = hs_opt_value(argc, argv, &i, "--wards", &v)) == 1) {
            o->wards = v;
        } else if (m == 0 && (m = hs_opt_value(argc, argv, &i, "--ward-code", &v)) == 1) {
            o->ward_code = v;
        } else if (m == 0 && (m = hs_opt_value(argc, argv, &i, "--ward-layer", &v)) == 1) {
            o->ward_layer = v;
        } else if (m == 0 && (m = hs_opt_value(argc, argv, &i, "--min-hit-rate", &v)) == 1) {
            if (!hs_opt_number("--min-hit-rate", v, &o->min_hit_rate))
                return 0;
            if (o->min_hit_rate < 0.0 || o->min_hit_rate > 1.0) {
                hs_log_error("option --min-hit-rate: %s is outside 0..1", v);
                return 0;
            }
        } else {
            for (size_t k = 0; m == 0 && k < sizeof maps / sizeof maps[0]; k++) {
                m = hs_opt_value(argc, argv, &i, maps[k].flag, &v);
                if (m == 1) {
                    if (strlen(v) >= maps[k].size) {
                        hs_log_error("option %s: value too long", maps[k].flag);
                        return 0;
                    }
                    memcpy((char *)&o->src + maps[k].offset, v, strlen(v) + 1);
                }
            }
            if (m == 0 && argv[i][0] == '-') {
                hs_log_error("geocode: unknown option '%s' (see `hotspot geocode --help`)",
                             argv[i]);
                return 0;
            }
            if (m == 0) {
                if (o->ninputs == sizeof o->inputs / sizeof o->inputs[0]) {
                    hs_log_error("geocode: too many input files (at most 64; use a glob)");
                    return 0;
                }
                o->inputs[o->ninputs++] = argv[i];
            }
        }
        if (m < 0)
            return 0;
    }
    if (o->ninputs == 0 || o->output == NULL) {
        hs_log_error("geocode needs INPUT and -o OUT.gpkg (see `hotspot geocode --help`)");
        return 0;
    }
    if (o->wards && !o->ward_code) {
        hs_log_error("option --wards needs --ward-code FIELD");
        return 0;
    }
    return 1;
}

int hs_cmd_geocode(int argc, char **argv)
{
    const hs_command *self = hs_find_command("geocode");
    int r = hs_take_common_options(self, &argc, argv);
    if (r != 0)
        return r < 0 ? HS_EXIT_USAGE : HS_EXIT_OK;
    geocode_opts *o = malloc(sizeof *o);
    hs_job_source *srcs = NULL;
    if (o == NULL)
        return HS_EXIT_INTERNAL;
    if (!parse(argc, argv, o)) {
        free(o);
        return HS_EXIT_USAGE;
    }
    hs_error err;
    hs_error_clear(&err);
    hs_incidents t;
    hs_wards w;
    memset(&w, 0, sizeof w);
    hs_status st = hs_incidents_init(&t);
    srcs = calloc(o->ninputs, sizeof *srcs);
    if (srcs == NULL)
        st = HS_ENOMEM;
    for (size_t k = 0; st == HS_OK && k < o->ninputs; k++) {
        srcs[k] = o->src;
        snprintf(srcs[k].path, sizeof srcs[k].path, "%s", o->inputs[k]);
    }
    double t0 = hs_now();
    if (st == HS_OK)
        st = hs_read_sources(srcs, o->ninputs, "command line", &t, &err);
    hs_place_stats ps;
    hs_locate_stats ls;
    if (st == HS_OK)
        st = hs_place_by_coordinates(&t, o->crs, &ps, &err);
    if (st == HS_OK)
        st = hs_locate_by_text(&t, o->gazetteer, o->crs, NULL, &ls, &err);
    if (st == HS_OK && o->wards) {
        hs_wards_params wp = {.layer = o->ward_layer, .code_field = o->ward_code, .crs = o->crs};
        st = hs_wards_read(o->wards, &wp, &w, &err);
        if (st == HS_OK)
            st = hs_wards_assign(&w, t.x, t.y, t.n, t.ward, &err);
        for (size_t i = 0; st == HS_OK && i < t.n; i++)
            if (t.state[i] == HS_ROW_PLACED && t.ward[i] < 0)
                t.state[i] = HS_ROW_OUTSIDE;
    }
    hs_incident_counts c;
    hs_incidents_count(&t, &c);
    double hit = hs_incident_counts_hit_rate(&c);
    /* run_info: counts, hit rate overall and per method. */
    char vals[16][64];
    const char *keys[16], *values[16];
    size_t nk = 0;
#define HS_KV(k, ...)                                                                              \
    do {                                                                                           \
        keys[nk] = k;                                                                              \
        snprintf(vals[nk], sizeof vals[nk], __VA_ARGS__);                                          \
        values[nk] = vals[nk];                                                                     \
        nk++;                                                                                      \
    } while (0)
    HS_KV("rows_in", "%zu", c.rows_in);
    HS_KV("rows_placed", "%zu", c.placed);
    HS_KV("rows_failed", "%zu", c.failed);
    HS_KV("rows_outside_study_area", "%zu", c.outside);
    HS_KV("hit_rate", "%.6f", hit);
    static const char *const method_keys[7] = {"",
                                               "hit_rate.coordinates",
                                               "hit_rate.postcode",
                                               "hit_rate.street",
                                               "hit_rate.place",
                                               "hit_rate.snap_point",
                                               "hit_rate.fuzzy"};
    size_t denom = c.placed + c.failed;
    for (int m = 1; m < 7; m++)
        HS_KV(method_keys[m], "%.6f", denom ? (double)c.by_method[m] / (double)denom : 0.0);
    HS_KV("gazetteer", "%s", o->gazetteer ? o->gazetteer : "");
#undef HS_KV
    hs_gpkg *gp = NULL;
    if (st == HS_OK)
        st = hs_gpkg_create(o->output, o->crs, &gp, &err);
    if (st == HS_OK)
        st = hs_gpkg_write_incidents(gp, &t, &w, NULL, 0, &err);
    if (st == HS_OK)
        st = hs_gpkg_write_failures(gp, &t, &err);
    if (st == HS_OK)
        st = hs_gpkg_write_run_info(gp, keys, values, nk, &err);
    if (st == HS_OK) {
        st = hs_gpkg_commit(gp, &err);
        gp = NULL;
    }
    hs_gpkg_abort(gp);
    int rc = HS_EXIT_OK;
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        rc = hs_exit_code(st);
    } else {
        printf("rows_in\t%zu\nplaced\t%zu\nfailed\t%zu\noutside_study_area\t%zu\nhit_rate\t%.4f\n",
               c.rows_in, c.placed, c.failed, c.outside, hit);
        for (int m = 1; m < 7; m++)
            printf("%s\t%zu\t%.4f\n", method_keys[m], c.by_method[m],
                   denom ? (double)c.by_method[m] / (double)denom : 0.0);
        hs_log_info("geocode: %s written in %.2f s; hit rate %.1f%%", o->output,
                    hs_now() - t0, 100.0 * hit);
        if (hit < o->min_hit_rate) {
            hs_log_error("geocoding hit rate %.1f%% is below --min-hit-rate %.1f%%; see the "
                         "geocode_failures layer",
                         100.0 * hit, 100.0 * o->min_hit_rate);
            rc = HS_EXIT_LOW_HIT_RATE;
        }
    }
    hs_wards_free(&w);
    hs_incidents_free(&t);
    free(srcs);
    free(o);
    return rc;
}

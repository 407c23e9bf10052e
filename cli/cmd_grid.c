/* cmd_grid.c - `hotspot grid INPUT -o OUT.gpkg --cell M --band D|auto ...`: incident points
 * counted per fishnet cell (engine/aggregate) over the study area and Getis-Ord Gi* per cell
 * with a circular distance band (engine/gistar hs_gistar_grid), the band given or chosen by
 * incremental spatial autocorrelation (engine/moran: the first peak of Moran's I z), written
 * as the styled polygon layer grid_<group> of DESIGN.md (cells outside the study area are not
 * written).
 *
 * Study area: with --wards the cells whose centre lies in a polygon (points outside the
 * polygons are counted and left out, as in the nightly job); without, every cell of the
 * points' extent. Inference as DESIGN.md: GiPValue the normal p of z, GiQValue its BH q.
 * Must not: compute statistics here; write anything but the output path on stdout.
 */
#include "cli/commands_impl.h"
#include "cli/datadir.h"
#include "cli/log.h"
#include "cli/points.h"
#include "engine/aggregate.h"
#include "engine/gistar.h"
#include "engine/moran.h"
#include "geo/gpkg.h"
#include "geo/styles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    O_OUT,
    O_CELL,
    O_BAND,
    O_GROUP,
    O_CATEGORY,
    O_CATEGORY_FIELD,
    O_WARDS,
    O_WARDS_CODE,
    O_WARDS_LAYER,
    O_PERM,
    O_SEED,
    O_FDR,
    O_ALPHA,
    O_LAYER,
    O_CRS,
    O_COUNT
};

/* Bytes per grid cell: the Gi* arrays (value, z, p, q, pseudo p, bin, neighbours, valid),
 * the study-area mask with its point-in-polygon scratch, and the engine's window sums. */
#define HS_GRID_BYTES_PER_CELL 96.0

/* The command's settings once checked. */
typedef struct grid_opts {
    const char *input;             /* INPUT */
    const char *output;            /* -o */
    double cell_m;                 /* --cell */
    double band_m;                 /* --band; 0 = auto */
    const char *group;             /* --group */
    const char *const *categories; /* --category values */
    size_t ncategories;            /* how many */
    const char *wards;             /* --wards, or NULL */
    const char *wards_code;        /* --wards-code */
    const char *wards_layer;       /* --wards-layer */
    hs_gistar_params gp;           /* permutations, seed, correction */
    double alpha;                  /* --alpha */
    const char *crs;               /* --crs */
    hs_cli_read_params rp;         /* how INPUT is read */
    char layer[80];                /* grid_<group> */
} grid_opts;

static int check_options(hs_cli_opt *o, grid_opts *g)
{
    if (hs_cli_require("grid", &o[O_OUT]) || hs_cli_require("grid", &o[O_CELL]) ||
        hs_cli_require("grid", &o[O_BAND]))
        return -1;
    g->output = o[O_OUT].value;
    if (!hs_cli_has_ext(g->output, ".gpkg")) {
        hs_log_error("-o: expected a GeoPackage file name ending in .gpkg, got '%s'", g->output);
        return -1;
    }
    if (hs_cli_number("--cell", o[O_CELL].value, 0.0, 1, 1e6, "a cell size in metres > 0",
                      &g->cell_m))
        return -1;
    if (strcasecmp(o[O_BAND].value, "auto") != 0 &&
        hs_cli_number("--band", o[O_BAND].value, g->cell_m, 0, 1e7,
                      "a distance band in metres at least the cell size (--cell), or auto",
                      &g->band_m))
        return -1;
    g->group = o[O_GROUP].value ? o[O_GROUP].value : "all";
    g->crs = o[O_CRS].value ? o[O_CRS].value : "EPSG:27700";
    if (hs_cli_check_name("--group", g->group) || hs_cli_check_crs("--crs", g->crs))
        return -1;
    snprintf(g->layer, sizeof g->layer, "grid_%s", g->group);
    g->categories = o[O_CATEGORY].values;
    g->ncategories = o[O_CATEGORY].nvalues;
    g->wards = o[O_WARDS].value;
    g->wards_code = o[O_WARDS_CODE].value;
    g->wards_layer = o[O_WARDS_LAYER].value;
    if (!g->wards && (g->wards_code || g->wards_layer)) {
        hs_log_error("%s needs --wards POLYGONS", g->wards_code ? "--wards-code" : "--wards-layer");
        return -1;
    }
    if (o[O_CATEGORY_FIELD].value && !g->ncategories) {
        hs_log_error("--category-field needs --category TEXT");
        return -1;
    }
    if (hs_cli_gi_options(o[O_PERM].value, o[O_SEED].value, o[O_FDR].value, o[O_ALPHA].value,
                          &g->gp, &g->alpha))
        return -1;
    g->rp = (hs_cli_read_params){.layer = o[O_LAYER].value,
                                 .crs = g->crs,
                                 .category_field = o[O_CATEGORY_FIELD].value,
                                 .need_category = g->ncategories > 0};
    return 0;
}

/* The points to count: placed, of the asked categories, inside the wards. */
static hs_status grid_points(const grid_opts *go, hs_incidents *t, hs_cli_xyw *pts, hs_wards *w,
                             int *have_wards, hs_error *err)
{
    size_t excluded = 0, removed = 0;
    hs_status st = hs_cli_points_read(go->input, &go->rp, t, err);
    if (st == HS_OK)
        st = hs_cli_points_arrays(t, go->categories, go->ncategories, pts, &excluded);
    if (st == HS_OK && go->ncategories)
        hs_log_info("grid: %zu placed row(s) of other categories left out, %zu kept", excluded,
                    pts->n);
    if (st == HS_OK && go->wards) {
        st = hs_cli_wards_read(go->wards, go->wards_layer, go->wards_code, go->crs, w, err);
        *have_wards = st == HS_OK;
        if (st == HS_OK)
            st = hs_cli_keep_in_wards(w, pts, &removed, err);
        if (st == HS_OK && removed)
            hs_log_info("grid: %zu point(s) outside the --wards polygons left out", removed);
    }
    if (st == HS_OK && pts->n == 0)
        st = hs_error_set(err, HS_EDATA, go->input, 0, 0,
                          "no point left to count (after --category and --wards)");
    return st;
}

/* --band auto: Moran's I z over increasing bands, the first peak chosen. */
static hs_status choose_band(const hs_grid *g, const double *counts, const unsigned char *mask,
                             double *band_m, hs_error *err)
{
    hs_gi_band_choice c;
    hs_status st = hs_gi_auto_band(g, counts, mask, &c, err);
    if (st != HS_OK) {
        hs_error_prefix(err, "--band auto");
        return st;
    }
    for (size_t b = 0; b < c.n; b++)
        hs_log_info("grid: band %8.1f m: Moran's I %.4f, z %8.3f%s", c.bands[b].band_m,
                    c.bands[b].moran.I, c.bands[b].moran.z, b == c.chosen ? "  <- chosen" : "");
    *band_m = c.bands[c.chosen].band_m;
    hs_log_info("grid: band auto = %.1f m (%s)", *band_m, hs_gi_band_reason(&c));
    return HS_OK;
}

static void log_moran(const hs_grid *g, const double *counts, const unsigned char *mask,
                      double band_m, double alpha)
{
    hs_moran_result m;
    hs_error e;
    hs_error_clear(&e);
    if (hs_moran_grid_band(g, counts, mask, band_m, HS_MORAN_RANDOMISATION, &m, &e) != HS_OK) {
        hs_log_info("grid: global Moran's I not computed: %s", e.what);
        return;
    }
    hs_log_info("grid: global Moran's I = %.6f at %.1f m, z = %.4f, p = %.4g (two-sided): %s", m.I,
                band_m, m.z, m.p_two_sided,
                hs_moran_verdict(&m, alpha));
}

static hs_status write_layer(hs_gpkg *gp, const grid_opts *go, const hs_grid *g,
                             const unsigned char *mask, const hs_gi_arrays *a, hs_error *err)
{
    hs_field_def fields[2 + HS_GI_NFIELDS] = {
        {"cell_id", HS_FIELD_INT, "Cell index: row * columns + column, row 0 north"},
        {"n", HS_FIELD_INT, "Incidents in the cell"}};
    size_t ngi = a->pseudo ? HS_GI_NFIELDS : HS_GI_NFIELDS - 1;
    memcpy(fields + 2, hs_gi_fields, ngi * sizeof *fields);
    char desc[256];
    snprintf(desc, sizeof desc, "Getis-Ord Gi* of %s over %g m cells, distance band %g m",
             go->group, g->cell_m, go->band_m);
    hs_gpkg_layer *l;
    hs_status st =
        hs_gpkg_layer_create(gp, go->layer, HS_GEOM_POLYGON, desc, fields, 2 + ngi, &l, err);
    unsigned char wkb[HS_CELL_WKB_SIZE];
    for (size_t row = 0; st == HS_OK && row < g->ny; row++) {
        for (size_t col = 0; st == HS_OK && col < g->nx; col++) {
            size_t c = row * g->nx + col;
            if (mask && !mask[c])
                continue;
            hs_value v[2 + HS_GI_NFIELDS];
            v[0] = (hs_value){.i = (int64_t)c};
            v[1] = (hs_value){.i = (int64_t)a->value[c]};
            hs_gi_values(a, c, v + 2);
            hs_grid_cell_wkb(g, row, col, wkb);
            st = hs_gpkg_layer_add(l, v, 0, 0, wkb, sizeof wkb, err);
        }
    }
    if (l != NULL) {
        hs_status fst = hs_gpkg_layer_finish(l, st == HS_OK ? err : NULL);
        st = st == HS_OK ? fst : st;
    }
    return st;
}

static hs_status write_gpkg(const grid_opts *go, const hs_grid *g, const unsigned char *mask,
                            const hs_gi_arrays *a, hs_error *err)
{
    hs_gpkg *gp;
    hs_status st = hs_gpkg_create(go->output, go->crs, &gp, err);
    if (st != HS_OK)
        return st;
    char *qml = NULL;
    st = write_layer(gp, go, g, mask, a, err);
    if (st == HS_OK)
        st = hs_style_qml(hs_data_dir(), &(hs_style_info){.layer = go->layer}, &qml, err);
    if (st == HS_OK && qml)
        st = hs_style_write_default(hs_gpkg_dataset(gp), go->layer, qml, err);
    free(qml);
    if (st != HS_OK) {
        hs_gpkg_abort(gp);
        return st;
    }
    return hs_gpkg_commit(gp, err);
}

/* Counts and Gi* on the grid g (mask NULL: every cell). */
static hs_status analyse(grid_opts *go, const hs_grid *g, const unsigned char *mask,
                         const hs_cli_xyw *pts, hs_gi_arrays *a, hs_error *err)
{
    size_t outside = 0;
    hs_status st = hs_gi_arrays_alloc(a, hs_grid_size(g), go->gp.permutations > 0);
    if (st == HS_OK)
        st = hs_aggregate_grid(g, pts->x, pts->y, NULL, NULL, -1, NULL, pts->n, a->value, &outside,
                               err);
    if (st == HS_OK && outside)
        st = hs_error_set(err, HS_EINTERNAL, NULL, 0, 0, "%zu points fell outside the grid",
                          outside);
    double edge = 0.0;
    for (size_t c = 0; st == HS_OK && mask && c < a->n; c++)
        edge += mask[c] ? 0.0 : a->value[c];
    if (edge > 0.0)
        hs_log_info("grid: %.0f point(s) inside the wards lie in edge cells whose centre is "
                    "outside them: those cells are not in the study area and not written",
                    edge);
    if (st == HS_OK && go->band_m == 0.0)
        st = choose_band(g, a->value, mask, &go->band_m, err);
    if (st == HS_OK)
        log_moran(g, a->value, mask, go->band_m, go->alpha);
    hs_gistar_out out = hs_gi_engine_out(a);
    hs_gistar_summary sum;
    if (st == HS_OK)
        st = hs_gistar_grid(g, a->value, mask, go->band_m, &go->gp, &out, &sum, err);
    if (st == HS_OK)
        st = hs_gi_finish(a, go->gp.correction == HS_GISTAR_BIN_ON_FDR, err);
    if (st == HS_OK) {
        size_t hot, cold;
        hs_gi_count(a, go->alpha, go->gp.correction == HS_GISTAR_BIN_ON_FDR, &hot, &cold);
        hs_log_info("grid: %zu points in %zu cells of %g m (%zu x %zu), band %g m, %zu "
                    "island(s); %zu hot and %zu cold cell(s) at alpha %g (%s)",
                    pts->n, sum.n_units, g->cell_m, g->nx, g->ny, go->band_m, sum.n_islands, hot,
                    cold, go->alpha,
                    go->gp.correction == HS_GISTAR_BIN_ON_FDR ? "GiQValue" : "GiPValue");
    }
    return st;
}

static hs_status run_grid(grid_opts *go, hs_error *err)
{
    hs_incidents t;
    hs_cli_xyw pts = {0};
    hs_wards w;
    memset(&w, 0, sizeof w);
    int have_wards = 0;
    unsigned char *mask = NULL;
    hs_gi_arrays a;
    memset(&a, 0, sizeof a);
    hs_grid g;
    double box[4];
    hs_status st = grid_points(go, &t, &pts, &w, &have_wards, err);
    if (st == HS_OK) {
        if (have_wards) {
            box[0] = w.xmin;
            box[1] = w.ymin;
            box[2] = w.xmax;
            box[3] = w.ymax;
        } else {
            hs_cli_bbox(pts.x, pts.y, pts.n, box);
        }
        st = hs_grid_aligned(box[0], box[1], box[2], box[3], 0.0, go->cell_m, SIZE_MAX, &g, err);
    }
    if (st == HS_OK)
        st = hs_cli_grid_fits(&g, HS_GRID_BYTES_PER_CELL, "--cell", err);
    if (st == HS_OK && have_wards)
        st = hs_study_mask(&w, &g, &mask, err);
    if (st == HS_OK)
        st = analyse(go, &g, mask, &pts, &a, err);
    if (st == HS_OK)
        st = write_gpkg(go, &g, mask, &a, err);
    hs_gi_arrays_free(&a);
    free(mask);
    if (have_wards)
        hs_wards_free(&w);
    hs_cli_xyw_free(&pts);
    hs_incidents_free(&t);
    return st;
}

int hs_cmd_grid(int argc, char **argv)
{
    const hs_command *self = hs_find_command("grid");
    int r = hs_take_common_options(self, &argc, argv);
    if (r != 0)
        return r < 0 ? HS_EXIT_USAGE : HS_EXIT_OK;
    hs_cli_opt o[O_COUNT] = {
        [O_OUT] = {"--output", "-o", "OUT.gpkg", 0},
        [O_CELL] = {"--cell", NULL, "M", 0},
        [O_BAND] = {"--band", NULL, "D|auto", 0},
        [O_GROUP] = {"--group", NULL, "NAME", 0},
        [O_CATEGORY] = {"--category", NULL, "TEXT", 1},
        [O_CATEGORY_FIELD] = {"--category-field", NULL, "FIELD", 0},
        [O_WARDS] = {"--wards", NULL, "POLYGONS", 0},
        [O_WARDS_CODE] = {"--wards-code", NULL, "FIELD", 0},
        [O_WARDS_LAYER] = {"--wards-layer", NULL, "NAME", 0},
        [O_PERM] = {"--permutations", NULL, "N", 0},
        [O_SEED] = {"--seed", NULL, "S", 0},
        [O_FDR] = {"--fdr", NULL, NULL, 0},
        [O_ALPHA] = {"--alpha", NULL, "A", 0},
        [O_LAYER] = {"--layer", NULL, "NAME", 0},
        [O_CRS] = {"--crs", NULL, "CRS", 0},
    };
    grid_opts go;
    memset(&go, 0, sizeof go);
    if (hs_cli_parse("grid", o, O_COUNT, argc, argv, &go.input) || check_options(o, &go))
        return HS_EXIT_USAGE;
    hs_error err;
    hs_error_clear(&err);
    double t0 = hs_now();
    hs_status st = run_grid(&go, &err);
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        return hs_exit_code(st);
    }
    hs_log_verbose("grid: done in %.2f s", hs_now() - t0);
    printf("%s\n", go.output);
    return HS_EXIT_OK;
}

/* cmd_kde.c - `hotspot kde INPUT -o OUT.tif|OUT.gpkg --radius M|auto --cell M ...`: a kernel
 * density surface of incident points (engine/kde), written as a Float32 GeoTIFF or as the
 * raster table kde_<group> of a GeoPackage, optionally with the hot areas drawn from it
 * (engine/hotarea: mean + k sd or top N percent, polygonised by GDAL) in hotspot_areas.
 *
 * Grid (DESIGN.md): cells of --cell metres aligned to multiples of the cell size; by default
 * the points' extent (with --mask the polygons' extent) padded by the kernel's support
 * (r, or 4 r for the gaussian) and widened outwards; --extent is taken as given, widened
 * outwards. --mask makes cells whose centre lies outside every polygon nodata and leaves out
 * the points outside them (counted and reported), as the nightly job does.
 * Must not: compute anything the engine computes, or print anything but the output path on
 * stdout. Every unplaced or unused row is counted on stderr.
 */
#include "cli/commands_impl.h"
#include "cli/datadir.h"
#include "cli/log.h"
#include "cli/points.h"
#include "engine/hotarea.h"
#include "engine/kde.h"
#include "geo/gpkg.h"
#include "geo/raster.h"
#include "geo/styles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    O_OUT,
    O_RADIUS,
    O_CELL,
    O_KERNEL,
    O_WEIGHT,
    O_SCALE,
    O_EXTENT,
    O_LAYER,
    O_CRS,
    O_GROUP,
    O_HOT,
    O_MASK,
    O_MASK_CODE,
    O_MASK_LAYER,
    O_COUNT
};

/* The command's settings once checked. */
typedef struct kde_opts {
    const char *input;      /* INPUT */
    const char *output;     /* -o */
    int gpkg;               /* 1: GeoPackage output, 0: GeoTIFF */
    hs_kde_params kp;       /* kernel, scale, radius (0 with auto_radius) */
    int auto_radius;        /* --radius auto */
    double cell_m;          /* --cell */
    int have_extent;        /* --extent given */
    double extent[4];       /* xmin, ymin, xmax, ymax */
    const char *crs;        /* --crs */
    const char *group;      /* --group */
    int hot;                /* --hot-threshold given */
    hs_hotarea_params hp;   /* its rule */
    hs_cli_read_params rp;  /* how INPUT is read */
    const char *mask;       /* --mask polygons, or NULL */
    const char *mask_code;  /* --mask-code */
    const char *mask_layer; /* --mask-layer */
} kde_opts;

static int parse_extent(const char *text, double e[4])
{
    const char *s = text;
    for (int k = 0; k < 4; k++) {
        char *end;
        e[k] = strtod(s, &end);
        if (end == s || !isfinite(e[k]) || *end != (k < 3 ? ',' : '\0'))
            goto bad;
        s = end + (k < 3);
    }
    if (e[0] < e[2] && e[1] < e[3])
        return 0;
bad:
    hs_log_error("--extent: expected XMIN,YMIN,XMAX,YMAX in metres of --crs with XMIN < XMAX and "
                 "YMIN < YMAX, got '%s'",
                 text);
    return -1;
}

static int parse_threshold(const char *text, hs_hotarea_params *hp)
{
    *hp = hs_hotarea_params_default();
    if (strncasecmp(text, "sd:", 3) == 0) {
        hp->rule = HS_HOTAREA_MEAN_SD;
        return hs_cli_number("--hot-threshold", text + 3, 0.0, 0, 1e6,
                             "sd:K with K >= 0 (mean + K standard deviations) or top:N with 0 < N "
                             "<= 100",
                             &hp->sd_multiplier);
    }
    if (strncasecmp(text, "top:", 4) == 0) {
        hp->rule = HS_HOTAREA_TOP_PERCENT;
        return hs_cli_number("--hot-threshold", text + 4, 0.0, 1, 100.0,
                             "top:N with 0 < N <= 100 (the top N percent of non-zero cells)",
                             &hp->top_percent);
    }
    hs_log_error("--hot-threshold: expected sd:K (e.g. sd:2) or top:N (e.g. top:5), got '%s'",
                 text);
    return -1;
}

static int parse_radius(const char *text, kde_opts *ko)
{
    if (strcasecmp(text, "auto") == 0) {
        ko->auto_radius = 1;
        return 0;
    }
    return hs_cli_number("--radius", text, 0.0, 1, 1e7, "a bandwidth in metres > 0, or auto",
                         &ko->kp.radius_m);
}

/* Values and cross-checks of the options. */
static int check_options(hs_cli_opt *o, kde_opts *ko)
{
    if (hs_cli_require("kde", &o[O_OUT]) || hs_cli_require("kde", &o[O_RADIUS]) ||
        hs_cli_require("kde", &o[O_CELL]))
        return -1;
    ko->output = o[O_OUT].value;
    ko->gpkg = hs_cli_has_ext(ko->output, ".gpkg");
    if (!ko->gpkg && !hs_cli_has_ext(ko->output, ".tif") && !hs_cli_has_ext(ko->output, ".tiff")) {
        hs_log_error("-o: expected a file name ending in .tif, .tiff or .gpkg, got '%s'",
                     ko->output);
        return -1;
    }
    hs_error err;
    hs_error_clear(&err);
    ko->kp = hs_kde_params_default();
    if (parse_radius(o[O_RADIUS].value, ko) ||
        hs_cli_number("--cell", o[O_CELL].value, 0.0, 1, 1e6, "a cell size in metres > 0",
                      &ko->cell_m))
        return -1;
    if (o[O_KERNEL].value &&
        hs_kde_kernel_parse(o[O_KERNEL].value, &ko->kp.kernel, &err) != HS_OK) {
        hs_log_error("--kernel: %s", err.what);
        return -1;
    }
    if (o[O_SCALE].value && hs_kde_scale_parse(o[O_SCALE].value, &ko->kp.scale, &err) != HS_OK) {
        hs_log_error("--scale: expected density or raw, got '%s'", o[O_SCALE].value);
        return -1;
    }
    ko->have_extent = o[O_EXTENT].value != NULL;
    if (ko->have_extent && parse_extent(o[O_EXTENT].value, ko->extent))
        return -1;
    ko->crs = o[O_CRS].value ? o[O_CRS].value : "EPSG:27700";
    ko->group = o[O_GROUP].value ? o[O_GROUP].value : "all";
    if (hs_cli_check_crs("--crs", ko->crs) || hs_cli_check_name("--group", ko->group))
        return -1;
    ko->hot = o[O_HOT].value != NULL;
    if (ko->hot && parse_threshold(o[O_HOT].value, &ko->hp))
        return -1;
    if (ko->hot && !ko->gpkg) {
        hs_log_error("--hot-threshold writes the hotspot_areas layer: it needs -o OUT.gpkg, not "
                     "'%s'",
                     ko->output);
        return -1;
    }
    ko->mask = o[O_MASK].value;
    ko->mask_code = o[O_MASK_CODE].value;
    ko->mask_layer = o[O_MASK_LAYER].value;
    if (!ko->mask && (ko->mask_code || ko->mask_layer)) {
        hs_log_error("%s needs --mask POLYGONS", ko->mask_code ? "--mask-code" : "--mask-layer");
        return -1;
    }
    ko->rp = (hs_cli_read_params){
        .layer = o[O_LAYER].value, .crs = ko->crs, .weight_field = o[O_WEIGHT].value};
    return 0;
}

/* The raster grid: --extent, or the polygons' / points' extent padded by the support. */
static hs_status kde_grid(const kde_opts *ko, const hs_cli_xyw *pts, const hs_wards *w, hs_grid *g,
                          hs_error *err)
{
    double box[4], pad = hs_kde_support(ko->kp.kernel) * ko->kp.radius_m;
    if (ko->have_extent) {
        memcpy(box, ko->extent, sizeof box);
        pad = 0.0;
    } else if (w != NULL) {
        box[0] = w->xmin;
        box[1] = w->ymin;
        box[2] = w->xmax;
        box[3] = w->ymax;
    } else {
        hs_cli_bbox(pts->x, pts->y, pts->n, box);
    }
    hs_status st =
        hs_grid_aligned(box[0], box[1], box[2], box[3], pad, ko->cell_m, SIZE_MAX, g, err);
    if (st != HS_OK)
        return st;
    double per_cell = sizeof(float) + (w ? 22.0 : 0.0) + (ko->hot ? 8.0 : 0.0);
    return hs_cli_grid_fits(g, per_cell, "--cell", err);
}

/* Hot areas of the surface, written as the hotspot_areas layer (styled). */
static hs_status write_hot_areas(hs_gpkg *gp, const kde_opts *ko, const hs_grid *g,
                                 const float *density, const unsigned char *mask,
                                 const hs_cli_xyw *pts, double study_km2, hs_error *err)
{
    static const hs_field_def fields[] = {
        {"group_name", HS_FIELD_STRING, "Group (--group)"},
        {"method", HS_FIELD_STRING, "Threshold on the KDE surface"},
        {"incidents", HS_FIELD_REAL, "Incidents (or weight) inside"},
        {"area_km2", HS_FIELD_REAL, "Area, km2"},
        {"pai", HS_FIELD_REAL, "Predictive accuracy index: incident share / area share"},
    };
    size_t cells = hs_grid_size(g), nl = 0;
    float min_hot;
    int32_t *labels = malloc(cells * sizeof *labels);
    hs_hotarea *areas = NULL;
    unsigned char **wkb = NULL;
    size_t *wkb_size = NULL;
    hs_status st =
        labels ? hs_hotarea_threshold(&ko->hp, density, cells, ko->kp.nodata, &min_hot, NULL, err)
               : HS_ENOMEM;
    if (st == HS_OK)
        st = hs_hotarea_label(g, density, ko->kp.nodata, min_hot, labels, &nl, err);
    if (st == HS_OK && nl > 0) {
        areas = calloc(nl, sizeof *areas);
        wkb = calloc(nl, sizeof *wkb);
        wkb_size = calloc(nl, sizeof *wkb_size);
        st = areas && wkb && wkb_size ? HS_OK : HS_ENOMEM;
        if (st == HS_OK)
            st = hs_hotarea_measure(g, labels, nl, mask, pts->x, pts->y, pts->w, pts->n, study_km2,
                                    areas, err);
        if (st == HS_OK)
            st = hs_raster_polygonize_labels(g, labels, nl, wkb, wkb_size, err);
    }
    char method[64];
    hs_hotarea_method(&ko->hp, method, sizeof method);
    hs_gpkg_layer *l = NULL;
    if (st == HS_OK)
        st = hs_gpkg_layer_create(gp, "hotspot_areas", HS_GEOM_POLYGON,
                                  "Hot areas: KDE cells above the threshold, dissolved", fields, 5,
                                  &l, err);
    for (size_t a = 0; st == HS_OK && a < nl; a++) {
        hs_value v[5] = {{.s = ko->group},
                         {.s = method},
                         {.d = areas[a].incidents},
                         {.d = areas[a].area_km2},
                         {.d = areas[a].pai}};
        st = hs_gpkg_layer_add(l, v, 0, 0, wkb[a], wkb_size[a], err);
    }
    if (l != NULL) {
        hs_status fst = hs_gpkg_layer_finish(l, st == HS_OK ? err : NULL);
        st = st == HS_OK ? fst : st;
    }
    char *qml = NULL;
    if (st == HS_OK)
        st = hs_style_qml(hs_data_dir(), &(hs_style_info){.layer = "hotspot_areas"}, &qml, err);
    if (st == HS_OK && qml)
        st = hs_style_write_default(hs_gpkg_dataset(gp), "hotspot_areas", qml, err);
    if (st == HS_OK)
        hs_log_info("kde: %zu hot area(s) by %s (threshold %.6g)", nl, method, (double)min_hot);
    free(qml);
    if (wkb)
        hs_raster_wkb_free(wkb, nl);
    free(wkb);
    free(wkb_size);
    free(areas);
    free(labels);
    return st;
}

/* The GeoPackage: hotspot_areas first (when asked), then the raster table, then commit. */
static hs_status write_gpkg(const kde_opts *ko, const hs_grid *g, const float *density,
                            const unsigned char *mask, const hs_cli_xyw *pts, double study_km2,
                            hs_error *err)
{
    hs_gpkg *gp;
    hs_status st = hs_gpkg_create(ko->output, ko->crs, &gp, err);
    if (st != HS_OK)
        return st;
    if (ko->hot)
        st = write_hot_areas(gp, ko, g, density, mask, pts, study_km2, err);
    if (st == HS_OK)
        st = hs_gpkg_close_dataset(gp, err);
    char table[80], desc[256];
    snprintf(table, sizeof table, "kde_%s", ko->group);
    snprintf(desc, sizeof desc, "Kernel density of %s, %s kernel, r = %g m, %s", ko->group,
             hs_kde_kernel_name(ko->kp.kernel), ko->kp.radius_m,
             ko->kp.scale == HS_KDE_SCALE_RAW ? "raw sum" : "incidents per km2");
    if (st == HS_OK)
        st = hs_raster_append_gpkg(hs_gpkg_temp_path(gp), table, desc, g, density, ko->kp.nodata,
                                   ko->crs, err);
    if (st != HS_OK) {
        hs_gpkg_abort(gp);
        return st;
    }
    return hs_gpkg_commit(gp, err);
}

/* Points, polygons and bandwidth: everything the surface needs. */
static hs_status prepare(kde_opts *ko, hs_incidents *t, hs_cli_xyw *pts, hs_wards *w,
                         int *have_wards, hs_error *err)
{
    hs_status st = hs_cli_points_read(ko->input, &ko->rp, t, err);
    if (st == HS_OK)
        st = hs_cli_points_arrays(t, NULL, 0, pts, NULL);
    if (st == HS_OK && ko->mask) {
        st = hs_cli_wards_read(ko->mask, ko->mask_layer, ko->mask_code, ko->crs, w, err);
        *have_wards = st == HS_OK;
        size_t removed = 0;
        if (st == HS_OK)
            st = hs_cli_keep_in_wards(w, pts, &removed, err);
        if (st == HS_OK && removed)
            hs_log_info("kde: %zu placed point(s) lie outside the --mask polygons and are not "
                        "used",
                        removed);
        if (st == HS_OK && pts->n == 0)
            st = hs_error_set(err, HS_EDATA, ko->input, 0, 0,
                              "no placed point lies inside the --mask polygons (%s)", ko->mask);
    }
    if (st == HS_OK && ko->auto_radius) {
        st = hs_kde_auto_radius(pts->x, pts->y, pts->w, pts->n, &ko->kp.radius_m, err);
        if (st != HS_OK)
            hs_error_prefix(err, "--radius auto");
        else
            hs_log_info("kde: radius auto = %.1f m (ArcGIS default-bandwidth rule on %zu points)",
                        ko->kp.radius_m, pts->n);
    }
    return st;
}

static hs_status run_kde(kde_opts *ko, hs_error *err)
{
    double t0 = hs_now();
    hs_incidents t;
    hs_cli_xyw pts = {0};
    hs_wards w;
    memset(&w, 0, sizeof w);
    int have_wards = 0;
    unsigned char *mask = NULL;
    float *density = NULL;
    hs_grid g;
    hs_status st = prepare(ko, &t, &pts, &w, &have_wards, err);
    double t1 = hs_now();
    if (st == HS_OK)
        st = kde_grid(ko, &pts, have_wards ? &w : NULL, &g, err);
    if (st == HS_OK && have_wards)
        st = hs_study_mask(&w, &g, &mask, err);
    if (st == HS_OK) {
        density = malloc(hs_grid_size(&g) * sizeof *density);
        st = density ? HS_OK : HS_ENOMEM;
    }
    if (st == HS_OK) {
        ko->kp.max_cells = hs_grid_size(&g);
        st = hs_kde_compute(&ko->kp, &g, pts.x, pts.y, pts.w, pts.n, mask, density, err);
    }
    double study_km2 = 0.0;
    for (size_t k = 0; have_wards && k < w.n; k++)
        study_km2 += w.area_km2[k];
    double t2 = hs_now();
    if (st == HS_OK) {
        float mx = 0.0f; /* a maximum is exact in any order: same at any thread count */
        const size_t ncells = hs_grid_size(&g);
#pragma omp parallel for simd reduction(max : mx) schedule(static)
        for (size_t c = 0; c < ncells; c++)
            mx = density[c] > mx ? density[c] : mx;
        hs_log_info("kde: %zu points, %s kernel r = %g m, %zu x %zu cells of %g m, maximum %.6g "
                    "%s",
                    pts.n, hs_kde_kernel_name(ko->kp.kernel), ko->kp.radius_m, g.nx, g.ny, g.cell_m,
                    (double)mx, ko->kp.scale == HS_KDE_SCALE_RAW ? "(raw)" : "per km2");
        st = ko->gpkg
                 ? write_gpkg(ko, &g, density, mask, &pts, study_km2, err)
                 : hs_raster_write_geotiff(ko->output, &g, density, ko->kp.nodata, ko->crs, err);
    }
    if (st == HS_OK)
        hs_log_verbose("kde: read and place %.3f s, grid and density %.3f s, write %.3f s", t1 - t0,
                       t2 - t1, hs_now() - t2);
    free(density);
    free(mask);
    if (have_wards)
        hs_wards_free(&w);
    hs_cli_xyw_free(&pts);
    hs_incidents_free(&t);
    return st;
}

int hs_cmd_kde(int argc, char **argv)
{
    const hs_command *self = hs_find_command("kde");
    int r = hs_take_common_options(self, &argc, argv);
    if (r != 0)
        return r < 0 ? HS_EXIT_USAGE : HS_EXIT_OK;
    hs_cli_opt o[O_COUNT] = {
        [O_OUT] = {"--output", "-o", "OUT.tif|OUT.gpkg", 0},
        [O_RADIUS] = {"--radius", NULL, "M|auto", 0},
        [O_CELL] = {"--cell", NULL, "M", 0},
        [O_KERNEL] = {"--kernel", NULL, "NAME", 0},
        [O_WEIGHT] = {"--weight", NULL, "FIELD", 0},
        [O_SCALE] = {"--scale", NULL, "density|raw", 0},
        [O_EXTENT] = {"--extent", NULL, "XMIN,YMIN,XMAX,YMAX", 0},
        [O_LAYER] = {"--layer", NULL, "NAME", 0},
        [O_CRS] = {"--crs", NULL, "CRS", 0},
        [O_GROUP] = {"--group", NULL, "NAME", 0},
        [O_HOT] = {"--hot-threshold", NULL, "sd:K|top:N", 0},
        [O_MASK] = {"--mask", NULL, "POLYGONS", 0},
        [O_MASK_CODE] = {"--mask-code", NULL, "FIELD", 0},
        [O_MASK_LAYER] = {"--mask-layer", NULL, "NAME", 0},
    };
    kde_opts ko;
    memset(&ko, 0, sizeof ko);
    if (hs_cli_parse("kde", o, O_COUNT, argc, argv, &ko.input) || check_options(o, &ko))
        return HS_EXIT_USAGE;
    hs_error err;
    hs_error_clear(&err);
    hs_status st = run_kde(&ko, &err);
    if (st != HS_OK) {
        hs_log_hs_error(&err, st);
        return hs_exit_code(st);
    }
    printf("%s\n", ko.output);
    return HS_EXIT_OK;
}

/* run_ctx.h - the state of one run of the job, shared by the stage files of cli/. Each
 * stage reads what earlier stages made and fills its own part; arrays in, arrays out. */
#ifndef HS_CLI_RUN_CTX_H
#define HS_CLI_RUN_CTX_H

#include "cli/gi_result.h"
#include "cli/job.h"
#include "engine/grid.h"
#include "engine/hotarea.h"
#include "engine/patrol.h"
#include "geo/incidents.h"
#include "geo/wards.h"

#include <stddef.h>
#include <stdint.h>

/* run_info rows, built as the run goes. */
typedef struct hs_run_info {
    char **keys;   /* keys (owned) */
    char **values; /* values (owned) */
    size_t n, cap; /* rows / allocated */
} hs_run_info;

void hs_run_info_add(hs_run_info *ri, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void hs_run_info_free(hs_run_info *ri);

/* What the surface stages make for one category group. */
typedef struct hs_group_result {
    double radius_m;            /* KDE bandwidth used */
    float *kde;                 /* density on ctx->kde_grid (nodata outside the study area) */
    double kde_min, kde_max;    /* range of the surface inside the study area */
    double kde_display_max;     /* 99th percentile of its non-zero cells: maps stretch to it */
    hs_hotarea *areas;          /* hot areas */
    unsigned char **area_wkb;   /* their polygons */
    size_t *area_wkb_size;      /* their sizes */
    size_t nareas;              /* how many */
    char method[64];            /* hot-area rule, e.g. "mean+2sd" */
    hs_patrol_area *patrol;     /* patrol areas, rank order */
    unsigned char **patrol_wkb; /* their polygons */
    size_t *patrol_wkb_size;    /* their sizes */
    size_t npatrol;             /* how many */
    double concentration[3];    /* share of incidents in the top 1, 5, 10 % of patrol cells */
    double incidents;           /* the group's placed incidents (weights) */
    hs_gi_arrays ward_gi;       /* Gi* over the wards */
    double *ward_rate;          /* rate per 1,000 residents per ward (NaN without population) */
    double moran_I, moran_z, moran_p; /* global Moran's I over the wards (randomisation) */
    hs_gi_arrays grid_gi;       /* Gi* over ctx->gi_grid cells */
    double grid_band_m;         /* distance band used on the grid */
} hs_group_result;

typedef struct hs_run_ctx {
    const hs_job *job;          /* the job */
    hs_incidents t;             /* every input row */
    hs_wards w;                 /* the study area */
    double study_area_km2;      /* sum of the wards' areas */
    int64_t *ward_counts;       /* nwards x (1 + ngroups) */
    hs_grid kde_grid;           /* grid of the KDE rasters */
    unsigned char *kde_mask;    /* KDE cells whose centre lies in a ward */
    hs_grid gi_grid;            /* fishnet of grid Gi* */
    unsigned char *gi_mask;     /* fishnet cells whose centre lies in a ward */
    hs_grid patrol_grid;        /* grid patrol areas are built from */
    unsigned char *patrol_mask; /* patrol cells whose centre lies in a ward */
    hs_group_result groups[HS_JOB_MAX_GROUPS]; /* per group */
    hs_run_info info;           /* run_info rows */
    char min_month[8];          /* first month of the analysis window; "" = all */
} hs_run_ctx;

/* mask[c] = 1 when the centre of cell c of g lies in a ward (cli/run_surfaces.c). */
hs_status hs_study_mask(const hs_wards *w, const hs_grid *g, unsigned char **mask,
                        hs_error *err);

/* Gi* over wards and the fishnet per group, and Moran's I (cli/run_gistar.c). */
hs_status hs_stage_gistar(hs_run_ctx *ctx, hs_error *err);

/* Stages (cli/run_surfaces.c): KDE, hot areas, patrol areas per group. */
hs_status hs_stage_surfaces(hs_run_ctx *ctx, hs_error *err);
/* Output (cli/run_output.c): the GeoPackage with styles and project, then the .qgs. */
hs_status hs_stage_output(hs_run_ctx *ctx, hs_error *err);
/* Free what the surface stages made. */
void hs_group_results_free(hs_run_ctx *ctx);

#endif

/* job.h - the job file (INI, read with Debian's libinih).
 *
 * One table (job.c) lists every section and key with its default, kind, limits and help; it
 * drives parsing, validation, "did you mean" suggestions and `hotspot help job`. Unknown
 * sections or keys and bad values are errors naming the file, the line and the key.
 * Relative paths are relative to the job file's folder.
 */
#ifndef HS_CLI_JOB_H
#define HS_CLI_JOB_H

#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HS_JOB_MAX_GROUPS 32
#define HS_JOB_MAX_SOURCES 16
#define HS_JOB_MAX_CATEGORIES 64

typedef struct hs_job_source {
    char name[64];          /* "" for [incidents], NAME for [incidents.NAME] */
    char path[4096];        /* file or glob, resolved against the job folder */
    char layer[256];        /* OGR layer; "" = first */
    /* column mapping; "" = not mapped */
    char id[128], date[128], category[128], x[128], y[128];
    char address[128], postcode[128], lsoa[128], weight[128];
    char source_crs[256];   /* CRS of x/y; "" = automatic */
} hs_job_source;

typedef struct hs_job_group {
    char name[64];                                /* group name: asb, violence, ... */
    char categories[HS_JOB_MAX_CATEGORIES][128];  /* categories of this group */
    size_t ncategories;                           /* how many */
} hs_job_group;

typedef struct hs_job {
    char file[4096];        /* the job file as given */
    char dir[4096];         /* its folder (for relative paths) */
    /* [job] */
    char name[128];         /* job name */
    char output[4096];      /* output GeoPackage */
    char crs[256];          /* job CRS */
    char store[4096];       /* state store (SQLite) */
    double min_hit_rate;    /* exit 6 below this */
    int window_months;      /* analyse only the last N months; 0 = all */
    /* [incidents], [incidents.NAME] */
    hs_job_source sources[HS_JOB_MAX_SOURCES];
    size_t nsources;
    /* [gazetteer] */
    char gazetteer[4096];   /* gazetteer SQLite file; "" = none */
    /* [wards] */
    char wards_path[4096];  /* ward polygons */
    char wards_layer[256];  /* layer; "" = first */
    char wards_code[128];   /* code field */
    char wards_name[128];   /* name field; "" = code */
    char wards_population[128]; /* population field; "" = none */
    /* [group.NAME] */
    hs_job_group groups[HS_JOB_MAX_GROUPS];
    size_t ngroups;
    /* [kde] */
    double kde_radius_m;    /* bandwidth; 0 = auto */
    double kde_cell_m;      /* cell size */
    char kde_kernel[32];    /* kernel name */
    char kde_scale[16];     /* density | raw */
    int kde_edge_correction;/* 1 = on */
    int kde_mask;           /* 1 = cells outside the wards are nodata */
    char kde_hot_threshold[32]; /* "sd:2" or "top:5" */
    /* [gistar] */
    char gistar_weights[64];/* queen | rook | distance:D | knn:K */
    double grid_cell_m;     /* fishnet cell */
    double grid_band_m;     /* distance band; 0 = auto */
    int permutations;       /* ward Gi* permutations; 0 = analytic only */
    int grid_permutations;  /* grid Gi* permutations; 0 = analytic only */
    uint64_t seed;          /* random seed */
    int fdr;                /* 1 = Benjamini-Hochberg */
    double alpha;           /* significance level */
    char gistar_value[16];  /* count | rate (per 1,000 residents) for wards */
    /* [patrol] */
    int patrol_areas;       /* areas per group */
    double patrol_max_area_km2; /* size cap */
    double patrol_cell_m;   /* cell size patrol areas are built from */
} hs_job;

/* Read and validate the job file. base_dir overrides the folder relative paths are resolved
 * against (NULL = the job file's folder). Fails with HS_EINVAL naming file, line and key. */
hs_status hs_job_load(const char *path, const char *base_dir, hs_job *job, hs_error *err);

/* Print every section and key with its default and help (for `hotspot help job`). */
void hs_job_print_reference(FILE *out);

/* Visit every effective setting as "section.key" = value text (for run_info). */
typedef void (*hs_job_visit_fn)(const char *key, const char *value, void *user);
void hs_job_visit(const hs_job *job, hs_job_visit_fn fn, void *user);

/* Levenshtein distance (for suggestions; exposed for tests). */
size_t hs_edit_distance(const char *a, const char *b);

#endif

/* points.h - what the stand-alone analysis commands (`hotspot kde`, `gistar`, `grid`) share:
 * a table-driven option parser whose messages name the option and what was expected, incident
 * points read with geo/ingest and placed in the job CRS with every unplaced row counted and
 * reported, study-area polygons (code field detected) and a memory check before large grids.
 * The Gi* results they write are in cli/gi_result.h.
 *
 * Must not: compute statistics itself (engine/ does), exit, or print results to stdout. Logs
 * go to stderr through cli/log.h. Not thread-safe (GDAL handles, static log state).
 */
#ifndef HS_CLI_POINTS_H
#define HS_CLI_POINTS_H

#include "cli/run_ctx.h"
#include "cli/gi_result.h"
#include "engine/grid.h"
#include "engine/status.h"
#include "geo/gpkg.h"
#include "geo/incidents.h"
#include "geo/wards.h"

#include <gdal.h>
#include <stddef.h>

/* ---- options ------------------------------------------------------------------------------ */

/* Most values one repeatable option keeps. */
#define HS_CLI_MAX_REPEAT 64

/* One option of a command. The command fills name, alias, metavar and repeatable; the parser
 * fills the rest. */
typedef struct hs_cli_opt {
    const char *name;    /* long form with its dashes, e.g. "--radius" */
    const char *alias;   /* short form ("-o") or NULL */
    const char *metavar; /* the value's name in messages ("M"); NULL for a flag */
    int repeatable;      /* 1: may be given several times, every value kept */
    const char *value;   /* set by the parser: the value ("" for a flag), NULL when absent */
    const char *values[HS_CLI_MAX_REPEAT]; /* every value of a repeatable option */
    size_t nvalues;                        /* how many of them */
} hs_cli_opt;

/* Parse argv[1..argc-1] (the common options already taken out) against opts: "--name VALUE",
 * "--name=VALUE", flags, and exactly one positional INPUT (*input). Prints a message naming
 * the option (unknown, with a suggestion; value missing; given twice) and returns -1 on a
 * usage error; 0 otherwise. */
int hs_cli_parse(const char *command, hs_cli_opt *opts, size_t nopts, int argc, char **argv,
                 const char **input);

/* -1 with "<command> needs <name> <metavar>" printed when o is absent; 0 otherwise. */
int hs_cli_require(const char *command, const hs_cli_opt *o);

/* The text as a finite number in [lo, hi] (lo itself excluded when lo_open) into *out: 0, or
 * -1 with "<opt>: expected <expect>, got '<text>'" printed. */
int hs_cli_number(const char *opt, const char *text, double lo, int lo_open, double hi,
                  const char *expect, double *out);

/* The text as a whole number in [lo, hi] into *out: 0, or -1 with a message as above. */
int hs_cli_whole(const char *opt, const char *text, unsigned long long lo, unsigned long long hi,
                 const char *expect, unsigned long long *out);

/* 0 when crs is a projected CRS in metres that PROJ/OGR know; -1 with a message naming opt. */
int hs_cli_check_crs(const char *opt, const char *crs);

/* 1 when name fits a table or layer name (letters, digits, '_', starting with a letter, at most
 * 56 characters), else 0. Prints nothing. */
int hs_cli_valid_name(const char *name);

/* 0 when name fits a table or layer name (letters, digits, '_', starting with a letter, at most
 * 56 characters); -1 with a message naming opt. */
int hs_cli_check_name(const char *opt, const char *name);

/* 1 when path ends with ext (".gpkg"), ignoring case. */
int hs_cli_has_ext(const char *path, const char *ext);

/* The inference options gistar and grid share, from their values (NULL = not given):
 * --permutations N (0..99999), --seed S, --fdr (a flag: any value = on) and --alpha A in
 * (0, 0.5]. Fills gp (defaults first) and *alpha (default 0.05). 0, or -1 with a message
 * naming the option. */
int hs_cli_gi_options(const char *permutations, const char *seed, const char *fdr,
                      const char *alpha_text, hs_gistar_params *gp, double *alpha);

/* HS_EDATA for a source GDAL could not open: "cannot open: <reason>" when the file is missing
 * or unreadable, else "cannot open as <what>: <GDAL's message>". */
hs_status hs_cli_open_failure(const char *path, const char *what, hs_error *err);

/* HS_EINVAL for a --layer the open source ds at path does not have, listing its layers. */
hs_status hs_cli_no_layer(GDALDatasetH ds, const char *path, const char *layer, hs_error *err);

/* ---- incident points ---------------------------------------------------------------------- */

typedef struct hs_cli_read_params {
    const char *layer;          /* --layer: OGR layer of INPUT; NULL = the first */
    const char *crs;            /* job CRS the points are placed in */
    const char *weight_field;   /* --weight: numeric column >= 0 (empty = 1); NULL = none */
    const char *category_field; /* category column for non-CSV sources; NULL = detect */
    int need_category;          /* 1: the category column is needed (grid --category) */
} hs_cli_read_params;

/* Placed points as arrays (x, y, w in one block). */
typedef struct hs_cli_xyw {
    double *x; /* easting, metres (job CRS) */
    double *y; /* northing, metres */
    double *w; /* weight (1 without --weight) */
    size_t n;  /* number of points */
} hs_cli_xyw;

/* Read INPUT into t (initialised here; free with hs_incidents_free even on failure) and place
 * every row with coordinates in p->crs. Rows without usable coordinates are marked failed with
 * their reason; the count and the first rows are logged (every row with -v). HS_EDATA naming
 * the file when it cannot be read or nothing is placed; HS_EINVAL when --weight or the
 * category column cannot be used with this source; HS_EDEP for an unknown source CRS. */
hs_status hs_cli_points_read(const char *path, const hs_cli_read_params *p, hs_incidents *t,
                             hs_error *err);

/* The placed rows of t as arrays; with ncat > 0 only rows whose category equals one of
 * categories (ignoring case); *excluded (may be NULL) gets the placed rows left out by that.
 * HS_ENOMEM. Free with hs_cli_xyw_free. */
hs_status hs_cli_points_arrays(const hs_incidents *t, const char *const *categories, size_t ncat,
                               hs_cli_xyw *out, size_t *excluded);

/* Free the arrays; p may be NULL. */
void hs_cli_xyw_free(hs_cli_xyw *p);

/* Bounding box of n >= 1 points: box = {xmin, ymin, xmax, ymax}. */
void hs_cli_bbox(const double *x, const double *y, size_t n, double box[4]);

/* ---- study area --------------------------------------------------------------------------- */

/* Read study-area polygons (wards) at path into w, transformed to crs. code_field NULL: the
 * first field named ward_code or code, or like an ONS code (WD20CD, LAD23CD), else the first
 * text field. Errors as hs_wards_read (HS_EDATA naming file and feature). */
hs_status hs_cli_wards_read(const char *path, const char *layer, const char *code_field,
                            const char *crs, hs_wards *w, hs_error *err);

/* Keep only the points inside a ward (compacting p in order); *removed gets how many were
 * dropped. HS_EDEP when GEOS fails, HS_ENOMEM. */
hs_status hs_cli_keep_in_wards(const hs_wards *w, hs_cli_xyw *p, size_t *removed, hs_error *err);

/* ---- memory ------------------------------------------------------------------------------- */

/* Bytes the kernel reports as available (MemAvailable in /proc/meminfo); 0 when unknown. */
size_t hs_cli_mem_available(void);

/* The most cells a grid may have when each needs bytes_per_cell bytes: 90% of the available
 * memory (HS_GRID_MAX_CELLS_DEFAULT when unknown). */
size_t hs_cli_max_cells(double bytes_per_cell);

/* HS_EINVAL with the cells and bytes the grid would need and what is available, naming
 * cell_opt, when g has more cells than hs_cli_max_cells(bytes_per_cell); HS_OK otherwise. */
hs_status hs_cli_grid_fits(const hs_grid *g, double bytes_per_cell, const char *cell_opt,
                           hs_error *err);

#endif

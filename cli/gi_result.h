/* gi_result.h - Gi* results as the job and the stand-alone commands (`gistar`, `grid`) keep
 * and write them: the arrays per unit, the inference around the engine (GiPValue analytic,
 * GiQValue its Benjamini-Hochberg q, Gi_Bin from one of them, the engine's permutation
 * pseudo p as GiPseudoP), the output fields of DESIGN.md and the hot/cold counts.
 *
 * Must not: compute the statistic itself (engine/gistar does) or do I/O. Not thread-safe
 * per hs_gi_arrays; separate arrays are independent.
 */
#ifndef HS_CLI_GI_RESULT_H
#define HS_CLI_GI_RESULT_H

#include "engine/gistar.h"
#include "engine/moran.h"
#include "engine/status.h"
#include "geo/gpkg.h"

#include <stddef.h>
#include <stdint.h>

/* Gi* results for n units (wards or grid cells). */
typedef struct hs_gi_arrays {
    size_t n;             /* units (cells for the grid, including those outside the study area) */
    double *value;        /* the analysed value (count, or rate per 1,000) */
    double *z;            /* GiZScore */
    double *p;            /* GiPValue: analytic two-sided normal p of z */
    double *q;            /* GiQValue: Benjamini-Hochberg q of p */
    double *pseudo;       /* GiPseudoP (permutations), NULL without */
    signed char *bin;     /* Gi_Bin */
    uint32_t *nn;         /* NNeighbors (not counting the unit itself) */
    unsigned char *valid; /* 1 = statistics defined (0: island, or grid cell outside) */
} hs_gi_arrays;

/* Number of Gi* fields written per unit: GiZScore, GiPValue, GiQValue, Gi_Bin, NNeighbors and
 * GiPseudoP. */
#define HS_GI_NFIELDS 6

/* Their definitions, in that order. */
extern const hs_field_def hs_gi_fields[HS_GI_NFIELDS];

/* Allocate a for n units (a->pseudo only when pseudo != 0); zeroed. HS_ENOMEM (free what was
 * allocated with hs_gi_arrays_free). */
hs_status hs_gi_arrays_alloc(hs_gi_arrays *a, size_t n, int pseudo);

/* Free the arrays and zero a; a may hold NULLs. */
void hs_gi_arrays_free(hs_gi_arrays *a);

/* Where the engine writes: z, n_neighbors, valid, q and bin as allocated; its p goes to
 * a->pseudo when there are permutations (the folded pseudo p), else to a->p. */
hs_gistar_out hs_gi_engine_out(hs_gi_arrays *a);

/* After the engine: GiPValue = erfc(|z| / sqrt 2) for valid units (1 otherwise), GiQValue its
 * Benjamini-Hochberg q over the valid units, Gi_Bin from GiPValue or, with fdr, GiQValue. */
hs_status hs_gi_finish(hs_gi_arrays *a, int fdr, hs_error *err);

/* The HS_GI_NFIELDS values of unit i into v (NULL statistics for invalid units; NULL GiPseudoP
 * without permutations). */
void hs_gi_values(const hs_gi_arrays *a, size_t i, hs_value *v);

/* Valid units whose driving p (GiQValue with fdr, else GiPValue) is <= alpha, the rule of
 * Gi_Bin: *hot those with z > 0, *cold those with z < 0. */
void hs_gi_count(const hs_gi_arrays *a, double alpha, int fdr, size_t *hot, size_t *cold);

/* Most bands hs_gi_auto_band tries. */
#define HS_GI_MAX_BANDS 64

/* A grid distance band chosen by incremental spatial autocorrelation. */
typedef struct hs_gi_band_choice {
    hs_isa_band bands[HS_GI_MAX_BANDS]; /* the bands tried, with Moran's I and its z */
    size_t n;                           /* how many */
    size_t chosen;                      /* index of the band chosen */
    int peak;                           /* 1: the first peak of z; 0: no peak, the largest z */
} hs_gi_band_choice;

/* Choose the grid's distance band for counts over the cells of g inside mask: Moran's I z
 * over increasing bands with the engine's default parameters (engine/moran), the first peak.
 * Errors as hs_moran_incremental_grid. */
hs_status hs_gi_auto_band(const hs_grid *g, const double *counts, const unsigned char *mask,
                          hs_gi_band_choice *c, hs_error *err);

/* How c's band was chosen, for logs. */
const char *hs_gi_band_reason(const hs_gi_band_choice *c);

/* The "is there clustering at all?" verdict of a global Moran's I at level alpha (two-sided). */
const char *hs_moran_verdict(const hs_moran_result *m, double alpha);

#endif

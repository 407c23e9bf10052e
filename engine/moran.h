/* moran.h - global Moran's I with its expectation, variance, z and p, and the automatic
 * grid distance band by incremental spatial autocorrelation.
 *
 * Moran's I: Cliff & Ord (1981), "Spatial processes", eqs. 1.35-1.38 (moments under the
 * normality and the randomisation assumptions); computed exactly as R spdep 1.2-7
 * moran.test(x, listw, randomisation, zero.policy = TRUE, adjust.n = TRUE):
 *   I = (n / S0) sum_i z_i sum_j w_ij z_j / sum_i z_i^2,  z = x - mean(x),
 * with n the number of units that have at least one neighbour (islands still count in the
 * mean and in the kurtosis b2 = N sum z^4 / (sum z^2)^2, N all units), S0 = sum w_ij,
 * S1 = sum_ij (w_ij^2 + w_ij w_ji), S2 = sum_i (row sum_i + column sum_i)^2, E(I) = -1/(n-1).
 * The default assumption is randomisation (spdep's and ArcGIS's default). p_greater is the
 * one-sided p for positive autocorrelation (spdep's default alternative "greater");
 * p_two_sided is 2 * (1 - Phi(|z|)).
 *
 * Incremental spatial autocorrelation (grid): Moran's I z for a series of increasing
 * distance bands (binary weights, self excluded); the chosen band is the first peak of z
 * (a band whose z >= 1.96 is above the band before and not below the band after), as
 * ArcGIS Incremental Spatial Autocorrelation / Optimized Hot Spot Analysis pick it. Bands
 * follow ArcGIS's documented defaults as far as they apply to a grid: the first band is the
 * smallest distance at which every unit cell has a neighbour, the increment is the average
 * nearest-neighbour distance (one cell on a grid), 10 bands. Without a peak, the band of
 * largest z is chosen and peak_found = 0.
 *
 * No I/O. Thread-safe on distinct outputs; serial sums in index order.
 */
#ifndef HS_ENGINE_MORAN_H
#define HS_ENGINE_MORAN_H

#include "engine/grid.h"
#include "engine/status.h"
#include "engine/weights.h"

#include <stddef.h>

typedef enum hs_moran_assumption {
    HS_MORAN_RANDOMISATION = 0, /* default: moments under randomisation */
    HS_MORAN_NORMALITY          /* moments under normality */
} hs_moran_assumption;

typedef struct hs_moran_result {
    double I;           /* Moran's I */
    double expected;    /* E(I) = -1 / (n - 1) */
    double variance;    /* Var(I) under the assumption */
    double z;           /* (I - E(I)) / sqrt(Var(I)); 0 when Var(I) <= 0 or all values equal */
    double p_greater;   /* one-sided p, alternative "greater" (positive autocorrelation) */
    double p_two_sided; /* two-sided p */
    size_t n_used;      /* n: units with at least one neighbour */
    int zero_variance;  /* 1 when all values are equal (I = z = 0, p = 1) */
} hs_moran_result;

/* Moran's I of x (hs_weights_n(w) values) on weights w, as spdep moran.test with
 * zero.policy = TRUE. Weights are used as given (build them without self). Fails with
 * HS_EINVAL (fewer than 4 units with neighbours), HS_EDATA (non-finite value; err->row =
 * unit + 1), HS_ENOMEM. */
hs_status hs_moran_global(const hs_weights *w, const double *x, hs_moran_assumption a,
                          hs_moran_result *r, hs_error *err);

/* Moran's I over a grid (x one value per cell, mask NULL = all cells) with binary
 * distance-band weights without self, without building weights: equals hs_moran_global on
 * hs_weights_build_grid_band(include_self = 0, binary) within rounding. */
hs_status hs_moran_grid_band(const hs_grid *g, const double *x, const unsigned char *mask,
                             double band_m, hs_moran_assumption a, hs_moran_result *r,
                             hs_error *err);

typedef struct hs_isa_params {
    double start_m;                 /* first band, metres; 0 = automatic (see above) */
    double increment_m;             /* band step, metres; 0 = one cell */
    size_t n_bands;                 /* number of bands, >= 3; default 10 */
    hs_moran_assumption assumption; /* default randomisation */
} hs_isa_params;

typedef struct hs_isa_band {
    double band_m;         /* the distance band */
    hs_moran_result moran; /* Moran's I at that band */
} hs_isa_band;

/* Defaults: automatic start, one-cell increment, 10 bands, randomisation. */
void hs_isa_params_default(hs_isa_params *p);

/* Incremental spatial autocorrelation over a grid. bands has p->n_bands entries (filled in
 * increasing order); *chosen = index of the chosen band, *peak_found = 1 when it is a peak.
 * HS_EINVAL for bad params or when no band up to 100 cells gives every unit a neighbour;
 * otherwise as hs_moran_grid_band. */
hs_status hs_moran_incremental_grid(const hs_grid *g, const double *x, const unsigned char *mask,
                                    const hs_isa_params *p, hs_isa_band *bands, size_t *chosen,
                                    int *peak_found, hs_error *err);

#endif

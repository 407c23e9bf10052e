/* gistar.h - Getis-Ord Gi* hot spots: z-scores, p-values (analytic or by conditional
 * permutation), FDR q-values and ArcGIS-style confidence bins, on CSR weights or on a
 * regular grid with a circular distance band.
 *
 * Formula: Getis & Ord (1992) and Ord & Getis (1995), "Local spatial autocorrelation
 * statistics", Geogr. Anal. 27(4), eq. for G*_i as a standard normal variate; the same as
 * ArcGIS Hot Spot Analysis and R spdep localG with include.self (spdep 1.2-7):
 *   z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1)))
 * with W_i = sum_j w_ij, S1_i = sum_j w_ij^2, xbar the mean of the n values and S their
 * standard deviation with divisor n. The unit is in its own neighbourhood (w_ii; weights must
 * be built with include_self). p = two-sided normal p = erfc(|z| / sqrt 2).
 * Row standardisation does not change z (W_i and S1_i scale together), as ArcGIS notes.
 *
 * Decisions (the output contract of DESIGN.md):
 *   - NNeighbors counts the neighbours of a unit NOT counting the unit itself, so that an
 *     island (no neighbour but itself) has NNeighbors = 0 as DESIGN.md requires.
 *   - An island gets valid = 0 (the writer stores NULL) and z = 0, p = q = 1, Gi_Bin = 0:
 *     never NaN or infinity. Islands still count in n, xbar and S (they are units with a
 *     value, exactly as spdep keeps them), so other units' z equal spdep's.
 *   - All values equal (S = 0, or S <= 1e-12 |xbar|, which is rounding noise around equal
 *     non-integer rates): nothing stands out, so every valid unit gets z = 0, p = 1,
 *     Gi_Bin = 0 and the summary says zero_variance = 1. The same z = 0, p = 1 is given to a
 *     unit whose neighbourhood is every unit (n S1_i = W_i^2: its Gi* has no variance).
 *   - Values are counts or rates: NaN, infinity and (unless allow_negative) negative values
 *     fail with HS_EDATA naming the unit. Fewer than 3 units fail with HS_EINVAL.
 *   - Gi_Bin: sign(z) * 3, 2 or 1 when the p-value that drives the bins is <= 0.01, 0.05 or
 *     0.10 (99, 95, 90 % confidence), else 0. That p is GiPValue, or the BH q-value (FDR),
 *     or the Bonferroni-adjusted p, as params.correction says.
 *   - GiQValue is always the Benjamini-Hochberg q-value of GiPValue over the valid units.
 *
 * Permutation inference (params.permutations = P > 0): conditional randomisation (Anselin
 * 1995, as PySAL esda G_Local): for unit i, x_i stays in place and the k_i neighbour slots
 * get values drawn without replacement from the other n - 1 units; L = the number of the P
 * permuted neighbourhood sums sum_j w_ij x_j at or above the observed one;
 * GiPValue = (min(L, P - L) + 1) / (P + 1) (a folded, one-tailed pseudo p: at most 0.5, and
 * about half the two-sided normal p). z stays analytic. Draws come from rng.h keyed by
 * (seed, unit, permutation), so results are byte-identical at any thread count.
 *
 * Grid: cells with mask 0 are outside the study area: they are not units (not in n, xbar, S),
 * not anyone's neighbour, and their outputs are valid = 0, NNeighbors = 0. Cells inside the
 * mask at the study-area edge simply have fewer neighbours (no edge correction, as with
 * spdep's dnearneigh on cell centres). The fast path sums the circular window from row
 * prefix sums (O(cells * band / cell)) and needs no weights; it equals the CSR path on
 * hs_weights_build_grid_band to 1e-12 (exactly, for integer counts).
 *
 * No I/O. OpenMP inside; same bytes at any thread count.
 */
#ifndef HS_ENGINE_GISTAR_H
#define HS_ENGINE_GISTAR_H

#include "engine/grid.h"
#include "engine/status.h"
#include "engine/weights.h"

#include <stddef.h>
#include <stdint.h>

/* Largest number of permutations. */
#define HS_GISTAR_MAX_PERMUTATIONS 99999u

typedef enum hs_gistar_correction {
    HS_GISTAR_BIN_ON_P = 0,     /* Gi_Bin from GiPValue (ArcGIS default, no correction) */
    HS_GISTAR_BIN_ON_FDR,       /* Gi_Bin from the BH q-value (job file fdr = yes) */
    HS_GISTAR_BIN_ON_BONFERRONI /* Gi_Bin from Bonferroni-adjusted p */
} hs_gistar_correction;

typedef struct hs_gistar_params {
    unsigned permutations;           /* 0: analytic normal p (default); else 1..99,999 */
    uint64_t seed;                   /* permutation seed (default 1) */
    hs_gistar_correction correction; /* which p drives Gi_Bin (default BIN_ON_P) */
    int allow_negative;              /* 0 (default): values must be >= 0 (counts, rates) */
} hs_gistar_params;

/* Per-unit outputs; the caller allocates every array with one entry per unit (per cell for
 * hs_gistar_grid). All six must be non-NULL. */
typedef struct hs_gistar_out {
    double *z;             /* GiZScore; 0 when not valid */
    double *p;             /* GiPValue (normal or pseudo p); 1 when not valid */
    double *q;             /* GiQValue, BH FDR q-value; 1 when not valid */
    signed char *bin;      /* Gi_Bin, -3..3; 0 when not valid */
    uint32_t *n_neighbors; /* NNeighbors, not counting the unit itself */
    unsigned char *valid;  /* 1: statistics defined; 0: island or not a unit (NULL) */
} hs_gistar_out;

typedef struct hs_gistar_summary {
    size_t n_units;   /* units analysed (n of the formula) */
    size_t n_valid;   /* units with statistics */
    size_t n_islands; /* units with no neighbour but themselves */
    size_t
        first_island; /* lowest index (unit, or cell for the grid) of an island; SIZE_MAX if none */
    int zero_variance; /* 1 when all values were equal (every z = 0) */
    double mean;       /* xbar */
    double sd;         /* S, divisor n */
    size_t n_hot;      /* units with Gi_Bin > 0 */
    size_t n_cold;     /* units with Gi_Bin < 0 */
} hs_gistar_summary;

/* Defaults: analytic p, seed 1, bins on p, values must be >= 0. */
void hs_gistar_params_default(hs_gistar_params *p);

/* Gi* over the n = hs_weights_n(w) units with values x (n entries). w must include self
 * (HS_EINVAL otherwise). sum may be NULL. Fails with HS_EINVAL (bad params, n < 3),
 * HS_EDATA (bad value; err->row = unit index + 1), HS_ENOMEM. Outputs are complete only on
 * HS_OK. */
hs_status hs_gistar_compute(const hs_weights *w, const double *x, const hs_gistar_params *p,
                            const hs_gistar_out *out, hs_gistar_summary *sum, hs_error *err);

/* Gi* over a grid: x has one value per cell (counts per cell, row 0 = north); mask (may be
 * NULL = every cell) marks the study area; neighbours are the unit cells whose centres are
 * within band_m of the cell's centre, the cell itself included, binary weights. Outputs
 * have one entry per cell. band_m < cell size fails with HS_EINVAL. Other failures as
 * hs_gistar_compute (err->row = cell index + 1 for a bad value). */
hs_status hs_gistar_grid(const hs_grid *g, const double *x, const unsigned char *mask,
                         double band_m, const hs_gistar_params *p, const hs_gistar_out *out,
                         hs_gistar_summary *sum, hs_error *err);

/* Rates per 1,000 residents: rates[i] = 1000 * counts[i] / population[i], for Gi* on rates
 * instead of counts. HS_EDATA when a count is negative or not finite or a population is not
 * a positive finite number (err->row = index + 1). rates may alias counts. */
hs_status hs_gistar_rates_per_1000(const double *counts, const double *population, size_t n,
                                   double *rates, hs_error *err);

/* Gi_Bin of one unit from its z and the p that drives the bins (see above). */
int hs_gistar_bin(double z, double p);

#endif

/* gi_result.c - Gi* results around the engine: arrays, analytic p, BH q, bins, fields. */
#include "cli/gi_result.h"

#include "engine/multitest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const hs_field_def hs_gi_fields[HS_GI_NFIELDS] = {
    {"GiZScore", HS_FIELD_REAL, "Getis-Ord Gi* z score (NULL: no neighbour but itself)"},
    {"GiPValue", HS_FIELD_REAL, "Two-sided normal p of GiZScore"},
    {"GiQValue", HS_FIELD_REAL, "Benjamini-Hochberg false discovery rate q of GiPValue"},
    {"Gi_Bin", HS_FIELD_INT,
     "3/2/1: hot spot at 99/95/90 % confidence; -1..-3 cold; 0 not significant"},
    {"NNeighbors", HS_FIELD_INT, "Neighbours of the unit, not counting itself"},
    {"GiPseudoP", HS_FIELD_REAL, "Folded conditional-permutation pseudo p (permutations > 0)"},
};

hs_status hs_gi_arrays_alloc(hs_gi_arrays *a, size_t n, int pseudo)
{
    memset(a, 0, sizeof *a);
    size_t m = n ? n : 1;
    a->n = n;
    a->value = calloc(m, sizeof *a->value);
    a->z = calloc(m, sizeof *a->z);
    a->p = calloc(m, sizeof *a->p);
    a->q = calloc(m, sizeof *a->q);
    a->pseudo = pseudo ? calloc(m, sizeof *a->pseudo) : NULL;
    a->bin = calloc(m, sizeof *a->bin);
    a->nn = calloc(m, sizeof *a->nn);
    a->valid = calloc(m, sizeof *a->valid);
    int ok =
        a->value && a->z && a->p && a->q && (!pseudo || a->pseudo) && a->bin && a->nn && a->valid;
    return ok ? HS_OK : HS_ENOMEM;
}

void hs_gi_arrays_free(hs_gi_arrays *a)
{
    free(a->value);
    free(a->z);
    free(a->p);
    free(a->q);
    free(a->pseudo);
    free(a->bin);
    free(a->nn);
    free(a->valid);
    memset(a, 0, sizeof *a);
}

hs_gistar_out hs_gi_engine_out(hs_gi_arrays *a)
{
    /* The engine's p goes to pseudo when permutations are asked for; q and bins are redone by
     * hs_gi_finish on the analytic p. */
    return (hs_gistar_out){.z = a->z,
                           .p = a->pseudo ? a->pseudo : a->p,
                           .q = a->q,
                           .bin = a->bin,
                           .n_neighbors = a->nn,
                           .valid = a->valid};
}

hs_status hs_gi_finish(hs_gi_arrays *a, int fdr, hs_error *err)
{
    const double rsqrt2 = 1.0 / sqrt(2.0);
    for (size_t i = 0; i < a->n; i++)
        a->p[i] = a->valid[i] ? erfc(fabs(a->z[i]) * rsqrt2) : 1.0;
    hs_status st = hs_multitest_bh(a->p, a->valid, a->n, a->q, err);
    for (size_t i = 0; st == HS_OK && i < a->n; i++)
        a->bin[i] =
            (signed char)(a->valid[i] ? hs_gistar_bin(a->z[i], fdr ? a->q[i] : a->p[i]) : 0);
    return st;
}

void hs_gi_values(const hs_gi_arrays *a, size_t i, hs_value *v)
{
    int null = !a->valid[i];
    v[0] = (hs_value){.d = a->z[i], .is_null = null};
    v[1] = (hs_value){.d = a->p[i], .is_null = null};
    v[2] = (hs_value){.d = a->q[i], .is_null = null};
    v[3] = (hs_value){.i = a->bin[i], .is_null = null};
    v[4] = (hs_value){.i = (int64_t)a->nn[i]};
    v[5] = (hs_value){.d = a->pseudo ? a->pseudo[i] : 0.0, .is_null = null || !a->pseudo};
}

void hs_gi_count(const hs_gi_arrays *a, double alpha, int fdr, size_t *hot, size_t *cold)
{
    *hot = *cold = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (!a->valid[i] || (fdr ? a->q[i] : a->p[i]) > alpha)
            continue;
        *hot += a->z[i] > 0.0;
        *cold += a->z[i] < 0.0;
    }
}

hs_status hs_gi_auto_band(const hs_grid *g, const double *counts, const unsigned char *mask,
                          hs_gi_band_choice *c, hs_error *err)
{
    hs_isa_params ip;
    hs_isa_params_default(&ip);
    if (ip.n_bands > HS_GI_MAX_BANDS)
        ip.n_bands = HS_GI_MAX_BANDS;
    c->n = ip.n_bands;
    c->chosen = 0;
    c->peak = 0;
    return hs_moran_incremental_grid(g, counts, mask, &ip, c->bands, &c->chosen, &c->peak, err);
}

const char *hs_gi_band_reason(const hs_gi_band_choice *c)
{
    return c->peak ? "first peak of Moran's I z" : "no peak: the band with the largest z";
}

const char *hs_moran_verdict(const hs_moran_result *m, double alpha)
{
    if (m->zero_variance)
        return "all values equal";
    if (m->p_two_sided > alpha)
        return "no significant clustering overall";
    return m->z > 0.0 ? "significant clustering" : "significant dispersion";
}

/* multitest.h - multiple-testing corrections of p-values: Benjamini-Hochberg false discovery
 * rate q-values and Bonferroni-adjusted p-values.
 *
 * BH: Benjamini & Hochberg (1995), "Controlling the false discovery rate", JRSS B 57(1),
 * step-up procedure; the q-value of the i-th smallest of m p-values is
 * min over j >= i of min(1, p_(j) * m / j) (the same numbers as R's p.adjust(p, "BH")).
 * Bonferroni: min(1, p * m) (R's p.adjust(p, "bonferroni")).
 * Only units with valid[i] != 0 take part (m counts them); the others get q = 1.
 * No I/O. Thread-safe (no shared state).
 */
#ifndef HS_ENGINE_MULTITEST_H
#define HS_ENGINE_MULTITEST_H

#include "engine/status.h"

#include <stddef.h>

/* BH q-values of the n p-values p into q (n entries, may not alias p). valid may be NULL (all
 * valid). HS_EINVAL for a p outside [0, 1] or NaN among the valid ones (err->row = index + 1),
 * HS_ENOMEM for the sort buffer. */
hs_status hs_multitest_bh(const double *p, const unsigned char *valid, size_t n, double *q,
                          hs_error *err);

/* Bonferroni-adjusted p-values into q (may alias p). Same rules as hs_multitest_bh. */
hs_status hs_multitest_bonferroni(const double *p, const unsigned char *valid, size_t n, double *q,
                                  hs_error *err);

#endif

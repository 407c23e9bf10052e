/* multitest.c - Benjamini-Hochberg q-values and Bonferroni (see multitest.h).
 * Ranking is by (p, index) with a stable radix sort, so equal p-values are ordered the same
 * way on every run and 1,000,000 p-values rank in milliseconds. */
#include "engine/multitest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One valid p-value and where it came from. */
typedef struct ranked_p {
    uint64_t key; /* the p-value's IEEE bits: for p >= 0 they sort as the values do */
    size_t idx;   /* its unit index */
} ranked_p;

static uint64_t p_key(double p)
{
    uint64_t k;
    double v = p == 0.0 ? 0.0 : p; /* -0.0 sorts with +0.0 */
    memcpy(&k, &v, sizeof k);
    return k;
}

/* Stable LSD radix sort by key, 16 bits a pass (passes where every key has the same digit
 * are skipped), ping-ponging between r and tmp: O(m), and ties keep index order, so the
 * ranking is unique. Returns the buffer holding the result. count has 65537 entries. */
static ranked_p *radix_sort(ranked_p *r, ranked_p *tmp, size_t m, size_t *count)
{
    for (unsigned shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < m; i++)
            count[((r[i].key >> shift) & 0xFFFF) + 1]++;
        if (count[((r[0].key >> shift) & 0xFFFF) + 1] == m)
            continue;
        for (size_t d = 0; d < 65536; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < m; i++)
            tmp[count[(r[i].key >> shift) & 0xFFFF]++] = r[i];
        ranked_p *t = r;
        r = tmp;
        tmp = t;
    }
    return r;
}

static hs_status check_p(const double *p, const unsigned char *valid, size_t n, size_t *m,
                         hs_error *err)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid != NULL && !valid[i])
            continue;
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return hs_error_set(err, HS_EINVAL, NULL, 0, (long)i + 1,
                                "p-value of unit %zu is %g; expected a number in [0, 1]", i, p[i]);
        count++;
    }
    *m = count;
    return HS_OK;
}

hs_status hs_multitest_bh(const double *p, const unsigned char *valid, size_t n, double *q,
                          hs_error *err)
{
    size_t m = 0;
    hs_status st = check_p(p, valid, n, &m, err);
    if (st != HS_OK)
        return st;
    ranked_p *buf = malloc((m ? 2 * m : 1) * sizeof *buf);
    size_t *count = malloc(65537 * sizeof *count);
    if (buf == NULL || count == NULL) {
        free(buf);
        free(count);
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "no memory to rank %zu p-values", m);
    }
    ranked_p *r = buf;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid == NULL || valid[i]) {
            r[k].key = p_key(p[i]);
            r[k].idx = i;
            k++;
        } else {
            q[i] = 1.0;
        }
    }
    if (m > 0)
        r = radix_sort(r, buf + m, m, count);
    free(count);
    /* Step up from the largest p: running minimum of p_(j) * m / j. */
    double running = 1.0;
    for (size_t j = m; j > 0; j--) {
        double v = p[r[j - 1].idx] * (double)m / (double)j;
        running = v < running ? v : running;
        q[r[j - 1].idx] = running;
    }
    free(buf);
    return HS_OK;
}

hs_status hs_multitest_bonferroni(const double *p, const unsigned char *valid, size_t n, double *q,
                                  hs_error *err)
{
    size_t m = 0;
    hs_status st = check_p(p, valid, n, &m, err);
    if (st != HS_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        if (valid != NULL && !valid[i]) {
            q[i] = 1.0;
            continue;
        }
        double v = p[i] * (double)m;
        q[i] = v < 1.0 ? v : 1.0;
    }
    return HS_OK;
}

/* harness.c - timing, peak memory and checksum helpers for the benchmarks. */
#include "benchmarks/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double hs_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double hs_bench_peak_rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1.0;
    char line[256];
    double kib = -1.0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtod(line + 6, NULL);
            break;
        }
    }
    fclose(f);
    return kib < 0.0 ? -1.0 : kib / 1024.0;
}

int hs_bench_reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL)
        return -1;
    int ok = fputs("5", f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

unsigned long long hs_bench_checksum(const void *data, size_t n)
{
    const unsigned char *p = data;
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double hs_bench_median(const double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    double *c = malloc(n * sizeof *c);
    if (c == NULL)
        return v[0];
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

void hs_bench_report(const char *name, size_t n, int threads, double median_s, double ratio,
                     unsigned long long checksum, const char *extra)
{
    printf("case=%s n=%zu threads=%d median_s=%.4f ratio=%.2f checksum=%016llx %s\n", name, n,
           threads, median_s, ratio, checksum, extra ? extra : "");
    fflush(stdout);
}

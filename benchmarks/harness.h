/* harness.h - timing, peak memory and checksum helpers shared by the benchmarks. */
#ifndef HS_BENCH_HARNESS_H
#define HS_BENCH_HARNESS_H

#include <stddef.h>

/* Monotonic wall-clock seconds. */
double hs_bench_now(void);
/* Peak resident set size of this process so far, in MiB (from /proc/self/status VmHWM). */
double hs_bench_peak_rss_mib(void);
/* Reset the peak RSS counter where the kernel allows it (writes 5 to /proc/self/clear_refs);
 * returns 0 on success. */
int hs_bench_reset_peak_rss(void);
/* FNV-1a 64-bit checksum of n bytes. */
unsigned long long hs_bench_checksum(const void *data, size_t n);
/* Median of n doubles (sorts a copy). */
double hs_bench_median(const double *v, size_t n);
/* Print the one result line every case prints:
 * "case=<name> n=<n> threads=<t> median_s=<s> ratio=<r> checksum=<hex> <extra>". */
void hs_bench_report(const char *name, size_t n, int threads, double median_s, double ratio,
                     unsigned long long checksum, const char *extra);

#endif

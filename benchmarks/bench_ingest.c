/* bench_ingest.c - ingest + placing by coordinates + ward assignment for a whole force:
 * 1, 2 and 10 million synthetic police.uk rows, at 1 and 2 threads (issue #3).
 *
 * Inputs come from the seeded generator (benchmarks/synth through cli/demo.h): one police.uk
 * CSV per size (all twelve months, CRLF, the generator's share of rows without coordinates,
 * outside the district and malformed) and the district's own wards (a 17 x 17 lattice by
 * default: 289 wards, as many as Kent and Medway), written once into a scratch folder
 * ($TMPDIR or /tmp, then hotspot-bench-ingest/) and reused by later runs; how long writing
 * them took is printed apart, on lines starting with '#'.
 *
 * Cases, one line each (harness.h), median of the repeats:
 *   read          fread of the file in 16 MiB blocks, nothing else (the I/O floor)
 *   parse_libcsv  libcsv over the same blocks with empty callbacks (parse only, no table)
 *   parse_split   the splitter of geo/csvsplit.h over the same blocks (parse only, 1 thread)
 *   ingest_libcsv hs_ingest_file forced onto libcsv (HS_CSV_LIBCSV), the reference path
 *   ingest        hs_ingest_file as the job runs it (HS_CSV_AUTO)
 *   place         hs_place_by_coordinates (PROJ EPSG:4326 -> EPSG:27700)
 *   wards         hs_wards_read + hs_wards_assign + marking rows outside (as cli/run.c does)
 *   e2e           ingest + place + wards, the sum of the three per repeat
 *   cpu_ceiling   before the 2-thread cases: the 2-thread speedup of pure integer work at
 *                 that moment (other processes share the two cores: no 2-thread ratio can
 *                 beat it)
 *   place_unique, wards_unique, e2e_unique: the same after moving every point by its own
 *                 few metres, so that no two rows share a coordinate (police.uk snaps rows
 *                 to a fixed set of points; this is the worst case for the point memo)
 * ratio: parse cases against parse_libcsv, ingest cases against ingest_libcsv (1 thread),
 * the others against the same case at 1 thread. checksum: FNV-1a of what the stage wrote
 * (equal at 1 and 2 threads, and for both ingest paths). Extra fields: cpu_s (median CPU
 * seconds of the process, all threads: on a busy machine wall times say more about the
 * neighbours than about the code), rows_per_s, coord_rows (rows carrying coordinates),
 * peak_rss_mib (VmHWM, reset per repeat), table_bytes_per_row (columns + strings as
 * allocated, over the rows), target_ratio (e2e rows per second / 1,000,000, the target).
 *
 * Usage: bench_ingest [repeats (default 3)] [sizes: bit 1 = 1M, 2 = 2M, 4 = 10M; default 7]
 *                     [wards per side (default 17)]
 */
#include "benchmarks/harness.h"
#include "benchmarks/synth/synth.h"
#include "cli/demo.h"
#include "geo/csvsplit.h"
#include "geo/incidents.h"
#include "geo/ingest.h"
#include "geo/place.h"
#include "geo/wards.h"

#include <csv.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SEED       20250101ULL
#define BLOCK      ((size_t)16 << 20)
#define TARGET_RPS 1e6
#define MAX_REPS   16

/* ---- inputs ----------------------------------------------------------------------------- */

static void district_params(hs_synth_params *p, size_t incidents, int wards_side)
{
    hs_synth_params_default(p);
    p->seed = SEED;
    p->wards_x = p->wards_y = wards_side;
    p->incidents_per_year = incidents;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* The district's wards: written by the demo writer from a small district with the same seed
 * and ward lattice (the wards do not depend on the number of incidents). */
static int ensure_wards(const char *dir, int side, char *path, size_t n)
{
    char folder[3600];
    snprintf(folder, sizeof folder, "%s/wards-%dx%d-seed%llu", dir, side, side,
             (unsigned long long)SEED);
    snprintf(path, n, "%s/wards.gpkg", folder);
    if (exists(path)) {
        printf("# reusing %s\n", path);
        return 0;
    }
    double t0 = hs_bench_now();
    hs_synth_params p;
    district_params(&p, 2000, side);
    p.council_rows = 100;
    hs_synth_district *d = NULL;
    hs_error err;
    if (hs_synth_generate(&p, &d, &err) != HS_OK || hs_demo_write(folder, d, &err) != HS_OK) {
        fprintf(stderr, "bench_ingest: wards: %s\n", err.what);
        hs_synth_free(d);
        return 1;
    }
    printf("# generated %s: %zu wards in %.1f s\n", path, d->nwards, hs_bench_now() - t0);
    hs_synth_free(d);
    return 0;
}

/* A police.uk file of about rows rows (the generator adds its 3 % of rows outside the
 * district to the incidents asked for), written under a temporary name, then renamed. */
static int ensure_police(const char *dir, size_t rows, int side, char *path, size_t n)
{
    snprintf(path, n, "%s/police-%zu-w%d-seed%llu.csv", dir, rows, side,
             (unsigned long long)SEED);
    if (exists(path)) {
        printf("# reusing %s\n", path);
        return 0;
    }
    double t0 = hs_bench_now();
    hs_synth_params p;
    district_params(&p, (size_t)((double)rows / (1.0 + 0.03)), side);
    hs_synth_district *d = NULL;
    double *lon = NULL, *lat = NULL;
    hs_error err;
    hs_status st = hs_synth_generate(&p, &d, &err);
    if (st == HS_OK)
        st = hs_demo_incident_lonlat(d, &lon, &lat, &err);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = st == HS_OK ? fopen(tmp, "wb") : NULL;
    if (st == HS_OK && f == NULL)
        st = hs_error_set(&err, HS_EIO, tmp, 0, 0, "cannot create: %s", strerror(errno));
    for (int m = 1; m <= 12 && st == HS_OK; m++)
        st = hs_demo_write_police_month(f, d, m, lon, lat, m == 1, &err);
    if (f != NULL && fclose(f) != 0 && st == HS_OK)
        st = hs_error_set(&err, HS_EIO, tmp, 0, 0, "write error");
    if (st == HS_OK && rename(tmp, path) != 0)
        st = hs_error_set(&err, HS_EIO, path, 0, 0, "cannot rename: %s", strerror(errno));
    if (st == HS_OK)
        printf("# generated %s: %zu rows in %.1f s\n", path, d->nincidents,
               hs_bench_now() - t0);
    else
        fprintf(stderr, "bench_ingest: %s: %s\n", err.file, err.what);
    free(lon);
    free(lat);
    hs_synth_free(d);
    return st == HS_OK ? 0 : 1;
}

/* ---- parse only ------------------------------------------------------------------------- */

/* What a parse-only pass counted: its checksum. */
typedef struct parse_count {
    unsigned long long bytes;   /* bytes handed to the parser */
    unsigned long long records; /* records, blank ones included (0 for read) */
    unsigned long long fields;  /* fields (0 for read) */
} parse_count;

static void count_field(void *s, size_t len, void *data)
{
    (void)s;
    (void)len;
    ((parse_count *)data)->fields++;
}

static void count_record(int ch, void *data)
{
    (void)ch;
    ((parse_count *)data)->records++;
}

/* The splitter over text[0..len): records and fields, as libcsv would report them. */
static void split_text(const char *text, size_t len, parse_count *c)
{
    hs_csv_field f[64];
    size_t pos = 0;
    while (pos < len) {
        int term;
        size_t nf = hs_csvsplit_record(text, len, &pos, f, 64, &term);
        if (nf > 64)
            break; /* not in the generated files */
        c->records++;
        c->fields += nf;
    }
}

/* Read the file in blocks cut after the last LF and hand each to the parser (0 = none,
 * 1 = libcsv, 2 = the splitter). */
static int parse_file(const char *path, int parser, parse_count *c)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(BLOCK);
    struct csv_parser p;
    if (f == NULL || buf == NULL || csv_init(&p, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
        if (f)
            fclose(f);
        free(buf);
        return 1;
    }
    memset(c, 0, sizeof *c);
    size_t have = 0, got;
    while ((got = fread(buf + have, 1, BLOCK - have, f)) > 0 || have > 0) {
        have += got;
        size_t cut = have;
        if (got > 0)
            while (cut > 0 && buf[cut - 1] != '\n')
                cut--;
        c->bytes += cut;
        if (parser == 1)
            csv_parse(&p, buf, cut, count_field, count_record, c);
        else if (parser == 2)
            split_text(buf, cut, c);
        memmove(buf, buf + cut, have - cut);
        have -= cut;
    }
    if (parser == 1)
        csv_fini(&p, count_field, count_record, c);
    csv_free(&p);
    free(buf);
    fclose(f);
    return 0;
}

static unsigned long long count_checksum(const parse_count *c)
{
    return hs_bench_checksum(c, sizeof *c);
}

/* ---- the pipeline ----------------------------------------------------------------------- */

static unsigned long long mix(unsigned long long h, const void *data, size_t n)
{
    return (h * 1099511628211ULL) ^ hs_bench_checksum(data, n);
}

/* What ingest wrote: the row numbers, coordinates as read, states and all strings. */
static unsigned long long ingest_checksum(const hs_incidents *t)
{
    unsigned long long h = hs_bench_checksum(t->source_row, t->n * sizeof *t->source_row);
    h = mix(h, t->source_line, t->n * sizeof *t->source_line);
    h = mix(h, t->in_x, t->n * sizeof *t->in_x);
    h = mix(h, t->in_y, t->n * sizeof *t->in_y);
    h = mix(h, t->state, t->n * sizeof *t->state);
    h = mix(h, t->location, t->n * sizeof *t->location);
    return mix(h, t->pool.data, t->pool.len);
}

static unsigned long long place_checksum(const hs_incidents *t)
{
    unsigned long long h = hs_bench_checksum(t->x, t->n * sizeof *t->x);
    h = mix(h, t->y, t->n * sizeof *t->y);
    return mix(h, t->state, t->n * sizeof *t->state);
}

/* Bytes the table holds per row: every column at its capacity, and the string pool. */
static double table_bytes_per_row(const hs_incidents *t)
{
    size_t row = sizeof *t->source + sizeof *t->source_row + sizeof *t->source_line +
                 9 * sizeof(size_t) + sizeof *t->in_x + sizeof *t->in_y + sizeof *t->weight +
                 sizeof *t->state + sizeof *t->method + sizeof *t->score +
                 sizeof *t->precision_m + sizeof *t->x + sizeof *t->y + sizeof *t->ward +
                 sizeof *t->groups;
    return t->n ? (double)(t->cap * row + t->pool.cap) / (double)t->n : 0.0;
}

static size_t coord_rows(const hs_incidents *t)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++)
        k += !isnan(t->in_x[i]);
    return k;
}

/* Move point i by its own offset of up to ~70 m, so that no two rows share a coordinate. */
static void make_unique(hs_incidents *t)
{
    for (size_t i = 0; i < t->n; i++) {
        t->in_x[i] += 1e-8 * (double)(i % 100003);
        t->in_y[i] += 1e-8 * (double)(i % 99991);
    }
}

/* Phases of one repeat; E2E is the sum of the other three. */
enum { PH_INGEST, PH_PLACE, PH_WARDS, PH_E2E, NPH };

/* CPU seconds of the whole process (every thread), to read the wall times on a busy
 * machine: with the cores free, wall ~ cpu / threads where the work divides evenly. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct run_times {
    double wall[NPH], cpu[NPH];  /* seconds per phase */
    double rss_mib;              /* peak RSS of the repeat */
    double bytes_per_row;        /* table bytes per row */
    size_t rows, coord_rows;     /* rows read, rows with coordinates */
    unsigned long long sum[3];   /* checksums of ingest, place, wards */
} run_times;

/* Start or stop the clocks of phase ph. */
static void phase_clock(run_times *rt, int ph, int start)
{
    double w = hs_bench_now(), c = cpu_now();
    rt->wall[ph] = start ? -w : rt->wall[ph] + w;
    rt->cpu[ph] = start ? -c : rt->cpu[ph] + c;
}

static hs_status run_place_wards(hs_incidents *t, const char *wards_path, run_times *rt,
                                 hs_error *err)
{
    phase_clock(rt, PH_PLACE, 1);
    hs_place_stats ps;
    hs_status st = hs_place_by_coordinates(t, "EPSG:27700", &ps, err);
    phase_clock(rt, PH_PLACE, 0);
    if (st != HS_OK)
        return st;
    phase_clock(rt, PH_WARDS, 1);
    hs_wards w;
    hs_wards_params wp = {.layer = "wards", .code_field = "ward_code",
                          .name_field = "ward_name", .crs = "EPSG:27700"};
    if ((st = hs_wards_read(wards_path, &wp, &w, err)) != HS_OK)
        return st;
    st = hs_wards_assign(&w, t->x, t->y, t->n, t->ward, err);
    for (size_t i = 0; i < t->n && st == HS_OK; i++) {
        if (t->state[i] == HS_ROW_PLACED && t->ward[i] < 0)
            t->state[i] = HS_ROW_OUTSIDE;
        else if (t->state[i] != HS_ROW_PLACED)
            t->ward[i] = -1;
    }
    hs_wards_free(&w);
    phase_clock(rt, PH_WARDS, 0);
    rt->sum[1] = place_checksum(t);
    rt->sum[2] = hs_bench_checksum(t->ward, t->n * sizeof *t->ward);
    return st;
}

/* One repeat: ingest with the given tokenizer, then (unless ingest_only) place and wards,
 * on the rows as read or (unique) after make_unique. */
static hs_status run_once(const char *path, const char *wards_path, hs_csv_tokenizer tok,
                          int ingest_only, int unique, run_times *rt)
{
    memset(rt, 0, sizeof *rt);
    hs_bench_reset_peak_rss();
    hs_incidents t;
    hs_error err;
    hs_status st = hs_incidents_init(&t);
    if (st != HS_OK)
        return st;
    hs_ingest_params p;
    hs_ingest_params_default(&p);
    p.tokenizer = tok;
    phase_clock(rt, PH_INGEST, 1);
    st = hs_ingest_file(&t, path, &p, NULL, &err);
    phase_clock(rt, PH_INGEST, 0);
    if (st == HS_OK) {
        rt->rows = t.n;
        rt->coord_rows = coord_rows(&t);
        rt->bytes_per_row = table_bytes_per_row(&t);
        rt->sum[0] = ingest_checksum(&t);
        if (unique)
            make_unique(&t);
        if (!ingest_only)
            st = run_place_wards(&t, wards_path, rt, &err);
    }
    if (st != HS_OK)
        fprintf(stderr, "bench_ingest: %s: %s\n", err.file, err.what);
    for (int ph = 0; ph < PH_E2E; ph++) {
        rt->wall[PH_E2E] += rt->wall[ph];
        rt->cpu[PH_E2E] += rt->cpu[ph];
    }
    rt->rss_mib = hs_bench_peak_rss_mib();
    hs_incidents_free(&t);
    return st;
}

/* Medians of repeats of one configuration. */
typedef struct medians {
    double wall[NPH], cpu[NPH]; /* median seconds per phase */
    double rss_mib;             /* peak RSS (the largest repeat's) */
    run_times last;             /* the last repeat (counts, checksums) */
} medians;

static int run_repeats(const char *path, const char *wards_path, hs_csv_tokenizer tok,
                       int ingest_only, int unique, int repeats, medians *m)
{
    double wall[NPH][MAX_REPS], cpu[NPH][MAX_REPS];
    memset(m, 0, sizeof *m);
    for (int r = 0; r < repeats; r++) {
        if (run_once(path, wards_path, tok, ingest_only, unique, &m->last) != HS_OK)
            return 1;
        for (int ph = 0; ph < NPH; ph++) {
            wall[ph][r] = m->last.wall[ph];
            cpu[ph][r] = m->last.cpu[ph];
        }
        m->rss_mib = fmax(m->rss_mib, m->last.rss_mib);
    }
    for (int ph = 0; ph < NPH; ph++) {
        m->wall[ph] = hs_bench_median(wall[ph], (size_t)repeats);
        m->cpu[ph] = hs_bench_median(cpu[ph], (size_t)repeats);
    }
    return 0;
}

/* One line for phase ph of m: ratio = base_s / its median wall time. */
static void report(const char *name, const medians *m, int ph, int threads, double base_s,
                   unsigned long long sum)
{
    char extra[360];
    double s = m->wall[ph], rps = (double)m->last.rows / s;
    int o = snprintf(extra, sizeof extra,
                     "cpu_s=%.4f rows_per_s=%.0f coord_rows=%zu peak_rss_mib=%.0f "
                     "table_bytes_per_row=%.0f",
                     m->cpu[ph], rps, m->last.coord_rows, m->rss_mib, m->last.bytes_per_row);
    if (ph == PH_E2E && o > 0 && (size_t)o < sizeof extra)
        snprintf(extra + o, sizeof extra - (size_t)o, " target_ratio=%.2f", rps / TARGET_RPS);
    hs_bench_report(name, m->last.rows, threads, s, base_s / s, sum, extra);
}

/* ---- cases ------------------------------------------------------------------------------ */

static int parse_cases(const char *path, int repeats)
{
    static const char *const names[3] = {"read", "parse_libcsv", "parse_split"};
    double med[3];
    parse_count c[3];
    for (int k = 0; k < 3; k++) {
        double times[MAX_REPS];
        for (int r = 0; r < repeats; r++) {
            double t0 = hs_bench_now();
            if (parse_file(path, k, &c[k]) != 0)
                return 1;
            times[r] = hs_bench_now() - t0;
        }
        med[k] = hs_bench_median(times, (size_t)repeats);
    }
    for (int k = 0; k < 3; k++) {
        char extra[160];
        snprintf(extra, sizeof extra, "bytes=%llu records=%llu fields=%llu mb_per_s=%.0f",
                 c[k].bytes, c[k].records, c[k].fields, (double)c[k].bytes / med[k] / 1e6);
        hs_bench_report(names[k], (size_t)c[2].records, 1, med[k], med[1] / med[k],
                        count_checksum(&c[k]), extra);
    }
    return 0;
}

/* Wall seconds of a fixed amount of pure integer work in 64 blocks at this thread count. */
static double ceiling_once(int threads, uint64_t *sums)
{
    omp_set_num_threads(threads);
    double t0 = hs_bench_now();
#pragma omp parallel for default(none) shared(sums) schedule(dynamic, 1)
    for (int b = 0; b < 64; b++) {
        uint64_t z = (uint64_t)b;
        for (int i = 0; i < 2000000; i++)
            z = z * 6364136223846793005ULL + 1442695040888963407ULL;
        sums[b] = z;
    }
    return hs_bench_now() - t0;
}

/* The 2-thread speedup the machine offers right now (other processes share the cores): the
 * ceiling for every 2-thread ratio printed after it. */
static void ceiling_case(int repeats)
{
    uint64_t sums[64];
    double one[MAX_REPS], two[MAX_REPS];
    for (int r = 0; r < repeats; r++) {
        one[r] = ceiling_once(1, sums);
        two[r] = ceiling_once(2, sums);
    }
    double m1 = hs_bench_median(one, (size_t)repeats), m2 = hs_bench_median(two, (size_t)repeats);
    hs_bench_report("cpu_ceiling", 64, 2, m2, m1 / m2, hs_bench_checksum(sums, sizeof sums),
                    "(pure integer work: 2-thread speedup available now)");
}

/* The pipeline at 1 and 2 threads, on the rows as read and on unique points. */
static int pipeline_cases(const char *path, const char *wards_path, int repeats)
{
    omp_set_num_threads(1);
    medians ref;
    if (run_repeats(path, wards_path, HS_CSV_LIBCSV, 1, 0, repeats, &ref) != 0)
        return 1;
    report("ingest_libcsv", &ref, PH_INGEST, 1, ref.wall[PH_INGEST], ref.last.sum[0]);
    static const char *const names[2][NPH] = {
        {"ingest", "place", "wards", "e2e"},
        {"ingest_u", "place_unique", "wards_unique", "e2e_unique"}};
    medians one[2];
    for (int threads = 1; threads <= 2; threads++) {
        if (threads == 2)
            ceiling_case(repeats);
        omp_set_num_threads(threads);
        for (int unique = 0; unique < 2; unique++) {
            medians m;
            if (run_repeats(path, wards_path, HS_CSV_AUTO, 0, unique, repeats, &m) != 0)
                return 1;
            if (threads == 1)
                one[unique] = m;
            const unsigned long long *sum = m.last.sum;
            unsigned long long all = sum[0] ^ sum[1] ^ sum[2];
            for (int ph = unique ? PH_PLACE : PH_INGEST; ph < NPH; ph++) {
                double base = ph == PH_INGEST ? ref.wall[PH_INGEST] : one[unique].wall[ph];
                report(names[unique][ph], &m, ph, threads, base, ph == PH_E2E ? all : sum[ph]);
            }
        }
    }
    omp_set_num_threads(omp_get_num_procs());
    return 0;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 3;
    if (repeats < 1 || repeats > MAX_REPS)
        repeats = 3;
    int sizes = argc > 2 ? atoi(argv[2]) : 7;
    int side = argc > 3 ? atoi(argv[3]) : 17;
    if (side < 1 || side > 100)
        side = 17;
    GDALAllRegister();
    const char *tmp = getenv("TMPDIR");
    char dir[3072];
    snprintf(dir, sizeof dir, "%s/hotspot-bench-ingest", tmp && tmp[0] ? tmp : "/tmp");
    mkdir(dir, 0777);
    char wards[4200];
    if (ensure_wards(dir, side, wards, sizeof wards) != 0)
        return 1;
    static const size_t millions[3] = {1, 2, 10};
    for (int k = 0; k < 3; k++) {
        if (!(sizes & (1 << k)))
            continue;
        char path[4200];
        if (ensure_police(dir, millions[k] * 1000000, side, path, sizeof path) != 0 ||
            parse_cases(path, repeats) != 0 || pipeline_cases(path, wards, repeats) != 0)
            return 1;
    }
    return 0;
}

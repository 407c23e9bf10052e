/* test_kde_real.c - KDE of the real police.uk Kent points (January-March 2024, every row with
 * coordinates, 43,886 of 44,294) against an independent brute-force evaluation.
 *
 * The CSVs are read here with a plain split (no field of these files is quoted or holds a
 * comma; lines end in CRLF), lon = column 5, lat = column 6, and transformed to EPSG:27700
 * with PROJ (network off). For every kernel the raster must equal, within 1e-6 relative, a
 * plain loop over all points at a few hundred sampled cells: the densest cell and its
 * neighbours, cells drawn among the non-zero ones and cells drawn anywhere. One weighted run
 * (violence counted 3 times) and a 1-thread vs 2-thread memcmp on the real data. */
#include "engine/grid.h"
#include "engine/kde.h"

#include <math.h>
#include <omp.h>
#include <proj.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PI        3.14159265358979323846
#define DATA_DIR  HS_SHARED_DATA_DIR "/police-uk-kent-street-2024q1/"
#define MAX_PTS   60000
#define N_SAMPLES 300

typedef struct points {
    double x[MAX_PTS]; /* easting, m */
    double y[MAX_PTS]; /* northing, m */
    double w[MAX_PTS]; /* 3 for violence and sexual offences, else 1 */
    size_t n;          /* points read */
} points;

static points pts;

/* Field i (0-based) of a comma-separated line, copied into out (size n). */
static void field(const char *line, int i, char *out, size_t n)
{
    const char *p = line;
    for (int k = 0; k < i && p != NULL; k++) {
        p = strchr(p, ',');
        if (p != NULL)
            p++;
    }
    size_t len = 0;
    while (p != NULL && p[len] != '\0' && p[len] != ',' && p[len] != '\r' && p[len] != '\n')
        len++;
    if (len >= n)
        len = n - 1;
    if (p != NULL)
        memcpy(out, p, len);
    out[len] = '\0';
}

static void read_month(const char *path, PJ *to_bng)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char line[4096], lon[64], lat[64], type[128];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    assert_non_null(strstr(line, "Longitude,Latitude"));
    while (fgets(line, sizeof line, f) != NULL) {
        field(line, 4, lon, sizeof lon);
        field(line, 5, lat, sizeof lat);
        field(line, 9, type, sizeof type);
        if (lon[0] == '\0' || lat[0] == '\0')
            continue;
        assert_true(pts.n < MAX_PTS);
        PJ_COORD c = proj_coord(strtod(lon, NULL), strtod(lat, NULL), 0, 0);
        c = proj_trans(to_bng, PJ_FWD, c);
        assert_true(isfinite(c.xy.x) && isfinite(c.xy.y));
        pts.x[pts.n] = c.xy.x;
        pts.y[pts.n] = c.xy.y;
        pts.w[pts.n] = strcmp(type, "Violence and sexual offences") == 0 ? 3.0 : 1.0;
        pts.n++;
    }
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    PJ_CONTEXT *ctx = proj_context_create();
    proj_context_set_enable_network(ctx, 0);
    PJ *raw = proj_create_crs_to_crs(ctx, "EPSG:4326", "EPSG:27700", NULL);
    PJ *to_bng = raw ? proj_normalize_for_visualization(ctx, raw) : NULL;
    if (to_bng == NULL)
        return -1;
    pts.n = 0;
    read_month(DATA_DIR "2024-01-kent-street.csv", to_bng);
    read_month(DATA_DIR "2024-02-kent-street.csv", to_bng);
    read_month(DATA_DIR "2024-03-kent-street.csv", to_bng);
    proj_destroy(to_bng);
    proj_destroy(raw);
    proj_context_destroy(ctx);
    return 0;
}

/* ---- the independent evaluation --------------------------------------------------------- */

/* K(u) of kde.h's table, written out again; gaussian: u < 4, renormalised by 1 - e^-8. */
static double kernel_at(hs_kde_kernel k, double u)
{
    double t = 1.0 - u * u;
    switch (k) {
    case HS_KDE_QUARTIC:
        return 3.0 / PI * t * t;
    case HS_KDE_TRIWEIGHT:
        return 4.0 / PI * t * t * t;
    case HS_KDE_EPANECHNIKOV:
        return 2.0 / PI * t;
    case HS_KDE_TRIANGULAR:
        return 3.0 / PI * (1.0 - u);
    case HS_KDE_UNIFORM:
        return 1.0 / PI;
    case HS_KDE_GAUSSIAN:
        return exp(-0.5 * u * u) / (2.0 * PI * (1.0 - exp(-8.0)));
    }
    return NAN;
}

/* Density per km2 at (cx, cy): every point, no index, no tiles. */
static double brute_force(hs_kde_kernel k, double r, const double *w, double cx, double cy)
{
    double cut = k == HS_KDE_GAUSSIAN ? 4.0 * r : r, s = 0.0;
    for (size_t i = 0; i < pts.n; i++) {
        double dx = cx - pts.x[i], dy = cy - pts.y[i], d2 = dx * dx + dy * dy;
        if (d2 < cut * cut)
            s += (w ? w[i] : 1.0) * kernel_at(k, sqrt(d2) / r);
    }
    return s / (r * r) * 1e6;
}

/* ---- sampling --------------------------------------------------------------------------- */

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The densest cell and its 8 neighbours, then cells drawn among the non-zero ones, then
 * cells drawn anywhere. */
static size_t sample_cells(const hs_grid *g, const float *d, size_t *out)
{
    size_t n = hs_grid_size(g), best = 0, m = 0;
    for (size_t i = 1; i < n; i++)
        if (d[i] > d[best])
            best = i;
    size_t br = best / g->nx, bc = best % g->nx;
    assert_true(br > 0 && bc > 0 && br + 1 < g->ny && bc + 1 < g->nx); /* padded by r */
    for (size_t r = br - 1; r <= br + 1; r++)
        for (size_t c = bc - 1; c <= bc + 1; c++)
            out[m++] = r * g->nx + c;
    size_t tries = 0;
    while (m < 2 * N_SAMPLES / 3 && tries < 100000000) {
        size_t i = (size_t)(mix(0x51ED + tries++) % n);
        if (d[i] > 0.0f)
            out[m++] = i;
    }
    for (uint64_t k = 0; m < N_SAMPLES; k++)
        out[m++] = (size_t)(mix(0xA11 + k) % n);
    return m;
}

static void check_kernel(hs_kde_kernel k, double r, const double *w)
{
    hs_kde_params p = hs_kde_params_default();
    p.kernel = k;
    p.radius_m = r;
    hs_grid g;
    hs_error err;
    if (hs_kde_grid_for_points(&p, 50.0, pts.x, pts.y, pts.n, &g, &err) != HS_OK)
        fail_msg("grid: %s", err.what);
    float *d = malloc(hs_grid_size(&g) * sizeof *d);
    assert_non_null(d);
    omp_set_num_threads(2);
    if (hs_kde_compute(&p, &g, pts.x, pts.y, w, pts.n, NULL, d, &err) != HS_OK)
        fail_msg("kde: %s", err.what);
    size_t cells[N_SAMPLES];
    size_t m = sample_cells(&g, d, cells);
    size_t nonzero = 0;
    for (size_t s = 0; s < m; s++) {
        size_t row = cells[s] / g.nx, col = cells[s] % g.nx;
        double want = brute_force(k, r, w, hs_grid_centre_x(&g, col), hs_grid_centre_y(&g, row));
        double got = (double)d[cells[s]];
        nonzero += want > 0.0;
        if (!(fabs(got - want) <= 1e-6 * want))
            fail_msg("%s r=%g cell (%zu, %zu): raster %.9g, brute force %.9g",
                     hs_kde_kernel_name(k), r, row, col, got, want);
    }
    /* The sample really exercises the surface: most sampled cells are non-zero. */
    assert_true(nonzero >= N_SAMPLES / 2);
    free(d);
}

static void test_points_read(void **state)
{
    (void)state;
    /* 14,466 + 13,953 + 15,875 rows less 136 + 110 + 162 "No Location" rows (README). */
    assert_int_equal(pts.n, 43886);
}

static void test_every_kernel_against_brute_force(void **state)
{
    (void)state;
    for (int k = 0; k < HS_KDE_KERNEL_COUNT; k++)
        check_kernel((hs_kde_kernel)k, k == HS_KDE_GAUSSIAN ? 100.0 : 400.0, NULL);
}

static void test_weighted_against_brute_force(void **state)
{
    (void)state;
    check_kernel(HS_KDE_QUARTIC, 250.0, pts.w);
}

static void test_real_data_same_bytes_at_1_and_2_threads(void **state)
{
    (void)state;
    hs_kde_params p = hs_kde_params_default();
    hs_grid g;
    assert_int_equal(hs_kde_grid_for_points(&p, 50.0, pts.x, pts.y, pts.n, &g, NULL), HS_OK);
    float *d1 = malloc(hs_grid_size(&g) * sizeof *d1), *d2 = malloc(hs_grid_size(&g) * sizeof *d2);
    assert_true(d1 && d2);
    omp_set_num_threads(1);
    assert_int_equal(hs_kde_compute(&p, &g, pts.x, pts.y, pts.w, pts.n, NULL, d1, NULL), HS_OK);
    omp_set_num_threads(2);
    assert_int_equal(hs_kde_compute(&p, &g, pts.x, pts.y, pts.w, pts.n, NULL, d2, NULL), HS_OK);
    assert_memory_equal(d1, d2, hs_grid_size(&g) * sizeof *d1);
    free(d2);
    free(d1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points_read),
        cmocka_unit_test(test_every_kernel_against_brute_force),
        cmocka_unit_test(test_weighted_against_brute_force),
        cmocka_unit_test(test_real_data_same_bytes_at_1_and_2_threads),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* test_gistar_spdep.c - Gi*, contiguity and Moran's I on the real Canterbury wards and
 * police.uk counts against R spdep 1.2-7 (tests/fixtures/spdep, made by make_expected.R;
 * R is not needed here).
 *
 *   - Polygons: read with OGR from HS_SHARED_DATA_DIR (the ONS BGC ward file, layer wards);
 *     Heron (E05010399) self-intersects and must be reported as repaired.
 *   - Neighbour lists from geo/contiguity: with snap 0 (exact topology) queen and rook equal
 *     poly2nb's; with the default 1 m snap queen equals GEOS "within 1 m" (sf
 *     st_is_within_distance), which adds one real pair that poly2nb misses: Little Stour &
 *     Adisham - Reculver, 0.75 m apart in this file, touching in ONS's BSC 2023 file (see
 *     make_expected.R). Rook at 1 m still equals poly2nb's rook (that pair meets at a corner).
 *   - GiZScore of every ward equals localG(x, nb2listw(include.self(nb), "B")) within 1e-9
 *     for the all, asb and violence counts, for both neighbour definitions; Moran's I
 *     equals moran.test (poly2nb weights).
 *   - Grid: 200 m cells masked to the district, band 300 m: the fast path and the CSR path
 *     (distance band on the cell centres of the fixture) equal localG with dnearneigh and
 *     include.self within 1e-9 on all 8,061 cells. */
#include "engine/gistar.h"
#include "engine/moran.h"
#include "engine/weights.h"
#include "geo/contiguity.h"

#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cmocka 1.1.5 compares floats only: doubles to a stated absolute tolerance. */
#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

#define FIXTURE(name) HS_SOURCE_DIR "/tests/fixtures/spdep/" name
#define WARDS_GPKG                                                                                 \
    HS_SHARED_DATA_DIR "/ons-wards-canterbury-2020-bgc/canterbury_wards_wd20_bgc.gpkg"
#define Z_TOL 1e-9

/* ---- a small CSV table (fixture files: no quotes, no embedded commas) ---------------- */

typedef struct table {
    char **cell;     /* rows * cols strings (owned) */
    size_t rows;     /* data rows */
    size_t cols;     /* columns */
    char head[4096]; /* the header line */
} table;

static size_t split(char *line, char **out, size_t max)
{
    size_t k = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *s = line; k < max; k++) {
        out[k] = s;
        char *c = strchr(s, ',');
        if (c == NULL) {
            k++;
            break;
        }
        *c = '\0';
        s = c + 1;
    }
    return k;
}

static table table_read(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    table t = {0};
    char line[4096], *f8[16];
    assert_non_null(fgets(line, sizeof line, f));
    snprintf(t.head, sizeof t.head, "%s", line);
    t.cols = split(line, f8, 16);
    size_t cap = 256;
    t.cell = malloc(cap * t.cols * sizeof *t.cell);
    while (fgets(line, sizeof line, f) != NULL) {
        if (t.rows == cap) {
            cap *= 2;
            t.cell = realloc(t.cell, cap * t.cols * sizeof *t.cell);
        }
        assert_int_equal(split(line, f8, 16), t.cols);
        for (size_t c = 0; c < t.cols; c++)
            t.cell[t.rows * t.cols + c] = strdup(f8[c]);
        t.rows++;
    }
    fclose(f);
    return t;
}

static size_t table_col(const table *t, const char *name)
{
    char head[4096], *f8[16];
    snprintf(head, sizeof head, "%s", t->head);
    size_t n = split(head, f8, 16);
    for (size_t c = 0; c < n; c++)
        if (strcmp(f8[c], name) == 0)
            return c;
    fail_msg("column %s not in fixture", name);
    return 0;
}

static const char *table_get(const table *t, size_t row, const char *name)
{
    return t->cell[row * t->cols + table_col(t, name)];
}

static double table_num(const table *t, size_t row, const char *name)
{
    return strtod(table_get(t, row, name), NULL);
}

static void table_free(table *t)
{
    for (size_t k = 0; k < t->rows * t->cols; k++)
        free(t->cell[k]);
    free(t->cell);
}

/* ---- the wards, read with OGR ------------------------------------------------------- */

typedef struct wards {
    unsigned char *wkb[32]; /* ISO WKB in EPSG:27700 */
    size_t size[32];        /* WKB lengths */
    char code[32][16];      /* WD20CD */
    size_t n;               /* wards */
} wards;

static wards wards_read(void)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(WARDS_GPKG, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds, "wards");
    assert_non_null(layer);
    wards w = {.n = 0};
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        assert_true(w.n < 32);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        w.size[w.n] = (size_t)OGR_G_WkbSize(g);
        w.wkb[w.n] = malloc(w.size[w.n]);
        assert_int_equal(OGR_G_ExportToIsoWkb(g, wkbNDR, w.wkb[w.n]), OGRERR_NONE);
        snprintf(w.code[w.n], sizeof w.code[0], "%s",
                 OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "WD20CD")));
        OGR_F_Destroy(f);
        w.n++;
    }
    GDALClose(ds);
    return w;
}

static void wards_free(wards *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->wkb[i]);
}

/* Neighbour lists of the wards must equal a poly2nb fixture (0-based, space-separated). */
static void assert_lists_equal_fixture(const size_t *rp, const uint32_t *cols, const wards *w,
                                       const char *path)
{
    table t = table_read(path);
    assert_int_equal(t.rows, w->n);
    for (size_t i = 0; i < w->n; i++) {
        assert_string_equal(table_get(&t, i, "code"), w->code[i]);
        char mine[256] = "";
        for (size_t e = rp[i]; e < rp[i + 1]; e++)
            snprintf(mine + strlen(mine), sizeof mine - strlen(mine), "%s%u", e > rp[i] ? " " : "",
                     (unsigned)cols[e]);
        assert_string_equal(mine, table_get(&t, i, "neighbours"));
    }
    table_free(&t);
}

static void test_ward_neighbours_equal_poly2nb(void **state)
{
    (void)state;
    wards w = wards_read();
    assert_int_equal(w.n, 21);
    const struct {
        hs_contiguity_rule rule; /* queen or rook */
        double snap_m;           /* tolerance */
        const char *fixture;     /* expected lists */
    } cases[4] = {
        {HS_CONTIGUITY_QUEEN, 0.0, FIXTURE("wards_queen_nb.csv")},
        {HS_CONTIGUITY_ROOK, 0.0, FIXTURE("wards_rook_nb.csv")},
        {HS_CONTIGUITY_QUEEN, HS_CONTIGUITY_DEFAULT_SNAP_M, FIXTURE("wards_queen_snap1_nb.csv")},
        {HS_CONTIGUITY_ROOK, HS_CONTIGUITY_DEFAULT_SNAP_M, FIXTURE("wards_rook_nb.csv")},
    };
    for (int k = 0; k < 4; k++) {
        hs_contiguity_params cp = {cases[k].rule, cases[k].snap_m};
        size_t *rp;
        uint32_t *cols;
        hs_contiguity_report rep;
        assert_int_equal(hs_contiguity_neighbours((const unsigned char *const *)w.wkb, w.size, w.n,
                                                  &cp, &rp, &cols, &rep, NULL),
                         HS_OK);
        assert_lists_equal_fixture(rp, cols, &w, cases[k].fixture);
        /* The published file has exactly one invalid polygon: Heron. */
        assert_int_equal(rep.n_repaired, 1);
        assert_string_equal(w.code[rep.first_repaired], "E05010399");
        assert_non_null(strstr(rep.repaired_reason, "Self-intersection"));
        assert_int_equal(rep.n_islands, 0);
        free(rp);
        free(cols);
    }
    wards_free(&w);
}

/* Queen weights of the wards with snap snap_m, binary, self included or not. */
static hs_weights *ward_weights(const wards *w, double snap_m, int include_self)
{
    hs_contiguity_params cp = {HS_CONTIGUITY_QUEEN, snap_m};
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    wp.include_self = include_self;
    hs_weights *weights = NULL;
    assert_int_equal(hs_contiguity_weights((const unsigned char *const *)w->wkb, w->size, w->n, &cp,
                                           &wp, &weights, NULL, NULL),
                     HS_OK);
    return weights;
}

static void test_ward_gistar_equals_localG(void **state)
{
    (void)state;
    wards w = wards_read();
    table t = table_read(FIXTURE("wards_gistar.csv"));
    assert_int_equal(t.rows, 21);
    const char *groups[3] = {"all", "asb", "violence"};
    const double snaps[2] = {0.0, HS_CONTIGUITY_DEFAULT_SNAP_M};
    const char *suffix[2] = {"", "_snap1"};
    double x[21], z[21], p[21], q[21];
    signed char bin[21];
    uint32_t nn[21];
    unsigned char valid[21];
    hs_gistar_out out = {z, p, q, bin, nn, valid};
    hs_gistar_params gp;
    hs_gistar_params_default(&gp);
    for (int s = 0; s < 2; s++) {
        hs_weights *weights = ward_weights(&w, snaps[s], 1);
        for (int g = 0; g < 3; g++) {
            char ncol[32], zcol[32];
            snprintf(ncol, sizeof ncol, "n_%s", groups[g]);
            snprintf(zcol, sizeof zcol, "z_%s%s", groups[g], suffix[s]);
            for (size_t i = 0; i < 21; i++)
                x[i] = table_num(&t, i, ncol);
            assert_int_equal(hs_gistar_compute(weights, x, &gp, &out, NULL, NULL), HS_OK);
            for (size_t i = 0; i < 21; i++) {
                assert_string_equal(table_get(&t, i, "code"), w.code[i]);
                assert_near(z[i], table_num(&t, i, zcol), Z_TOL);
                assert_int_equal(valid[i], 1);
                assert_int_equal(nn[i], hs_weights_n_neighbours(weights, i));
            }
        }
        hs_weights_destroy(weights);
    }
    table_free(&t);
    wards_free(&w);
}

static void test_ward_moran_equals_moran_test(void **state)
{
    (void)state;
    wards w = wards_read();
    hs_weights *weights = ward_weights(&w, 0.0, 0); /* poly2nb, style "B", no self */
    table counts = table_read(FIXTURE("wards_gistar.csv"));
    table mor = table_read(FIXTURE("moran.csv"));
    size_t checked = 0;
    for (size_t r = 0; r < mor.rows; r++) {
        const char *c = table_get(&mor, r, "case");
        if (strncmp(c, "wards_", 6) != 0)
            continue;
        char ncol[32];
        snprintf(ncol, sizeof ncol, "n_%s", c + 6);
        double x[21];
        for (size_t i = 0; i < 21; i++)
            x[i] = table_num(&counts, i, ncol);
        hs_moran_assumption a = strcmp(table_get(&mor, r, "assumption"), "normality") == 0
                                    ? HS_MORAN_NORMALITY
                                    : HS_MORAN_RANDOMISATION;
        hs_moran_result res;
        assert_int_equal(hs_moran_global(weights, x, a, &res, NULL), HS_OK);
        assert_near(res.I, table_num(&mor, r, "I"), 1e-12);
        assert_near(res.expected, table_num(&mor, r, "expected"), 1e-15);
        assert_near(res.variance, table_num(&mor, r, "variance"), 1e-12);
        assert_near(res.z, table_num(&mor, r, "z"), Z_TOL);
        assert_near(res.p_greater, table_num(&mor, r, "p_greater"), Z_TOL);
        checked++;
    }
    assert_int_equal(checked, 6);
    hs_weights_destroy(weights);
    table_free(&counts);
    table_free(&mor);
    wards_free(&w);
}

/* ---- grid ------------------------------------------------------------------------------ */

static void test_grid_gistar_equals_dnearneigh_localG(void **state)
{
    (void)state;
    table meta = table_read(FIXTURE("grid_meta.csv"));
    hs_grid g = {.xmin_m = table_num(&meta, 0, "xmin_m"),
                 .ymax_m = table_num(&meta, 0, "ymax_m"),
                 .cell_m = table_num(&meta, 0, "cell_m"),
                 .nx = (size_t)table_num(&meta, 0, "nx"),
                 .ny = (size_t)table_num(&meta, 0, "ny")};
    double band = table_num(&meta, 0, "band_m");
    table_free(&meta);
    table t = table_read(FIXTURE("grid_gistar.csv"));
    size_t cells = hs_grid_size(&g), n = t.rows;
    assert_int_equal(n, 8061);
    double *x = calloc(cells, sizeof *x), *cx = malloc(n * sizeof *cx);
    double *cy = malloc(n * sizeof *cy), *xu = malloc(n * sizeof *xu);
    unsigned char *mask = calloc(cells, 1);
    for (size_t u = 0; u < n; u++) {
        size_t c = (size_t)table_num(&t, u, "cell");
        x[c] = xu[u] = table_num(&t, u, "count");
        mask[c] = 1;
        cx[u] = table_num(&t, u, "x");
        cy[u] = table_num(&t, u, "y");
        assert_near(cx[u], hs_grid_centre_x(&g, (size_t)table_num(&t, u, "col")), 1e-9);
        assert_near(cy[u], hs_grid_centre_y(&g, (size_t)table_num(&t, u, "row")), 1e-9);
    }
    hs_gistar_params gp;
    hs_gistar_params_default(&gp);
    hs_gistar_out fast = {malloc(cells * sizeof(double)),   malloc(cells * sizeof(double)),
                          malloc(cells * sizeof(double)),   malloc(cells),
                          malloc(cells * sizeof(uint32_t)), malloc(cells)};
    hs_gistar_out csr = {malloc(n * sizeof(double)),   malloc(n * sizeof(double)),
                         malloc(n * sizeof(double)),   malloc(n),
                         malloc(n * sizeof(uint32_t)), malloc(n)};
    hs_gistar_summary s;
    assert_int_equal(hs_gistar_grid(&g, x, mask, band, &gp, &fast, &s, NULL), HS_OK);
    assert_int_equal(s.n_units, n);
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_weights *w = NULL;
    assert_int_equal(hs_weights_build_distance_band(cx, cy, n, band, &wp, &w, NULL), HS_OK);
    assert_int_equal(hs_gistar_compute(w, xu, &gp, &csr, NULL, NULL), HS_OK);
    size_t valid = 0;
    for (size_t u = 0; u < n; u++) {
        size_t c = (size_t)table_num(&t, u, "cell");
        double want = table_num(&t, u, "z");
        assert_near(fast.z[c], want, Z_TOL);
        assert_near(csr.z[u], want, Z_TOL);
        assert_near(fast.z[c], csr.z[u], 1e-12);
        valid += fast.valid[c];
    }
    assert_int_equal(valid, n); /* no cell of the district is an island at 300 m */
    for (size_t c = 0; c < cells; c++)
        if (!mask[c])
            assert_int_equal(fast.valid[c], 0);
    hs_weights_destroy(w);
    void *all[] = {fast.z, fast.p, fast.q,  fast.bin,        fast.n_neighbors, fast.valid, csr.z,
                   csr.p,  csr.q,  csr.bin, csr.n_neighbors, csr.valid,        x,          cx,
                   cy,     xu,     mask};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        free(all[k]);
    table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ward_neighbours_equal_poly2nb),
        cmocka_unit_test(test_ward_gistar_equals_localG),
        cmocka_unit_test(test_ward_moran_equals_moran_test),
        cmocka_unit_test(test_grid_gistar_equals_dnearneigh_localG),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_contiguity.c - queen/rook contiguity with GEOS on hand-drawn polygons (metres): a 3x3
 * block of squares, sliver gaps and overlaps narrower than the tolerance, a corner touch, a
 * detached multipolygon part, an island, a self-intersecting polygon that must be repaired,
 * and unreadable input. Expected neighbours are worked out from the drawings. The real
 * Canterbury wards are checked against spdep poly2nb in test_gistar_spdep.c. */
#include "geo/contiguity.h"

#include <geos_c.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Polygons as WKB, made from WKT with GEOS. */
typedef struct polys {
    unsigned char *wkb[16]; /* WKB of each polygon */
    size_t size[16];        /* its length */
    size_t n;               /* polygons */
} polys;

static polys polys_from_wkt(const char *const *wkt, size_t n)
{
    GEOSContextHandle_t h = GEOS_init_r();
    polys p = {.n = n};
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *g = GEOSGeomFromWKT_r(h, wkt[i]);
        assert_non_null(g);
        p.wkb[i] = GEOSGeomToWKB_buf_r(h, g, &p.size[i]);
        GEOSGeom_destroy_r(h, g);
    }
    GEOS_finish_r(h);
    return p;
}

static void polys_free(polys *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->wkb[i]); /* GEOSFree_r is free() in GEOS 3.11 */
}

/* Neighbour lists of p under rule and tol; returns row_ptr and cols (caller frees). */
static void neighbours(const polys *p, hs_contiguity_rule rule, double tol, size_t **rp,
                       uint32_t **cols, hs_contiguity_report *rep)
{
    hs_contiguity_params cp = {rule, tol};
    assert_int_equal(hs_contiguity_neighbours((const unsigned char *const *)p->wkb, p->size, p->n,
                                              &cp, rp, cols, rep, NULL),
                     HS_OK);
}

static int linked(const size_t *rp, const uint32_t *cols, size_t i, size_t j)
{
    for (size_t e = rp[i]; e < rp[i + 1]; e++)
        if (cols[e] == j)
            return 1;
    return 0;
}

static void test_block_of_nine(void **state)
{
    (void)state;
    const char *wkt[9];
    char buf[9][128];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            int x = 100 * c, y = 200 - 100 * r;
            snprintf(buf[3 * r + c], sizeof buf[0], "POLYGON((%d %d,%d %d,%d %d,%d %d,%d %d))", x,
                     y, x + 100, y, x + 100, y + 100, x, y + 100, x, y);
            wkt[3 * r + c] = buf[3 * r + c];
        }
    polys p = polys_from_wkt(wkt, 9);
    size_t *rp;
    uint32_t *cols;
    hs_contiguity_report rep;
    neighbours(&p, HS_CONTIGUITY_QUEEN, 1.0, &rp, &cols, &rep);
    assert_int_equal(rp[5] - rp[4], 8); /* centre */
    assert_int_equal(rp[1] - rp[0], 3); /* corner: 1, 3, 4 */
    assert_true(linked(rp, cols, 0, 4));
    assert_int_equal(rep.n_links, 20); /* 12 edges + 8 diagonals */
    assert_int_equal(rep.n_islands, 0);
    assert_int_equal(rep.n_repaired, 0);
    free(rp);
    free(cols);
    neighbours(&p, HS_CONTIGUITY_ROOK, 1.0, &rp, &cols, &rep);
    assert_int_equal(rp[5] - rp[4], 4);
    assert_int_equal(rp[1] - rp[0], 2);
    assert_false(linked(rp, cols, 0, 4)); /* a corner touch is not rook */
    assert_int_equal(rep.n_links, 12);
    /* Lists are sorted and symmetric. */
    for (size_t i = 0; i < 9; i++)
        for (size_t e = rp[i]; e < rp[i + 1]; e++) {
            assert_true(e == rp[i] || cols[e - 1] < cols[e]);
            assert_true(linked(rp, cols, cols[e], i));
        }
    free(rp);
    free(cols);
    polys_free(&p);
}

/* 0: square [0,100]^2. 1: east of it across a 0.5 m gap, with its west edge's vertices not
 * matching 0's (a midspan vertex 0.4 m away). 2: north-east corner 0.3 m off 0's corner
 * (diagonal). 3: west of 0, overlapping it by 0.3 m. 4: far away. */
static const char *const sliver_wkt[5] = {
    "POLYGON((0 0,100 0,100 100,0 100,0 0))",
    "POLYGON((100.5 -20,200 -20,200 100,100.5 100,100.4 50,100.5 -20))",
    "POLYGON((100.3 100.3,150 100.3,150 150,100.3 150,100.3 100.3))",
    "POLYGON((-80 0,0.3 0,0.3 100,-80 100,-80 0))",
    "POLYGON((5000 5000,5100 5000,5100 5100,5000 5100,5000 5000))",
};

static void test_slivers_gaps_and_corners(void **state)
{
    (void)state;
    polys p = polys_from_wkt(sliver_wkt, 5);
    size_t *rp;
    uint32_t *cols;
    hs_contiguity_report rep;
    neighbours(&p, HS_CONTIGUITY_ROOK, 1.0, &rp, &cols, &rep);
    assert_true(linked(rp, cols, 0, 1));  /* 0.5 m gap, 100 m of edge */
    assert_true(linked(rp, cols, 0, 3));  /* 0.3 m overlap */
    assert_false(linked(rp, cols, 0, 2)); /* corner only */
    assert_int_equal(rep.n_islands, 1);
    assert_int_equal(rep.first_island, 4);
    free(rp);
    free(cols);
    neighbours(&p, HS_CONTIGUITY_QUEEN, 1.0, &rp, &cols, &rep);
    assert_true(linked(rp, cols, 0, 2)); /* 0.42 m from corner to corner */
    assert_true(linked(rp, cols, 1, 2)); /* 2 touches 1's north edge within 0.2 m */
    free(rp);
    free(cols);
    /* Exact topology (tol 0): the gap and the corner offset no longer connect; the overlap
     * still does. */
    neighbours(&p, HS_CONTIGUITY_QUEEN, 0.0, &rp, &cols, &rep);
    assert_false(linked(rp, cols, 0, 1));
    assert_false(linked(rp, cols, 0, 2));
    assert_true(linked(rp, cols, 0, 3));
    free(rp);
    free(cols);
    polys_free(&p);
}

static void test_multipolygon_and_repair(void **state)
{
    (void)state;
    const char *wkt[3] = {
        /* A bow tie: self-intersecting at (50, 50). */
        "POLYGON((0 0,100 100,100 0,0 100,0 0))",
        /* A multipolygon whose small detached part touches the bow tie's east side. */
        "MULTIPOLYGON(((1000 0,1100 0,1100 100,1000 100,1000 0)),((100 40,120 40,120 60,100 "
        "60,100 40)))",
        "POLYGON((2000 0,2100 0,2100 100,2000 100,2000 0))",
    };
    polys p = polys_from_wkt(wkt, 3);
    size_t *rp;
    uint32_t *cols;
    hs_contiguity_report rep;
    neighbours(&p, HS_CONTIGUITY_ROOK, 1.0, &rp, &cols, &rep);
    assert_int_equal(rep.n_repaired, 1);
    assert_int_equal(rep.first_repaired, 0);
    assert_non_null(strstr(rep.repaired_reason, "Self-intersection"));
    /* The repaired bow tie's east triangle has the edge x = 100 from y 0 to 100: 20 m of it
     * is shared with the detached part. */
    assert_true(linked(rp, cols, 0, 1));
    assert_int_equal(rep.n_islands, 1);
    assert_int_equal(rep.first_island, 2);
    free(rp);
    free(cols);
    polys_free(&p);
}

static void test_weights_and_bad_input(void **state)
{
    (void)state;
    polys p = polys_from_wkt(sliver_wkt, 5);
    hs_contiguity_params cp;
    hs_contiguity_params_default(&cp);
    assert_int_equal(cp.rule, HS_CONTIGUITY_QUEEN);
    assert_true(cp.snap_tolerance_m == HS_CONTIGUITY_DEFAULT_SNAP_M);
    hs_weights_params wp;
    hs_weights_params_default(&wp);
    hs_weights *w = NULL;
    assert_int_equal(hs_contiguity_weights((const unsigned char *const *)p.wkb, p.size, 5, &cp, &wp,
                                           &w, NULL, NULL),
                     HS_OK);
    assert_int_equal(hs_weights_n(w), 5);
    assert_true(hs_weights_includes_self(w));
    assert_int_equal(hs_weights_n_neighbours(w, 0), 3);
    assert_int_equal(hs_weights_n_islands(w), 1);
    hs_weights_destroy(w);

    hs_error err;
    size_t *rp = NULL;
    uint32_t *cols = NULL;
    unsigned char junk[7] = {1, 3, 0, 0, 0, 9, 9};
    unsigned char *bad[2] = {p.wkb[0], junk};
    size_t bad_size[2] = {p.size[0], sizeof junk};
    assert_int_equal(hs_contiguity_neighbours((const unsigned char *const *)bad, bad_size, 2, &cp,
                                              &rp, &cols, NULL, &err),
                     HS_EDATA);
    assert_int_equal(err.row, 2);
    polys pt = polys_from_wkt((const char *const[]){"POINT(1 2)"}, 1);
    assert_int_equal(hs_contiguity_neighbours((const unsigned char *const *)pt.wkb, pt.size, 1, &cp,
                                              &rp, &cols, NULL, &err),
                     HS_EDATA);
    assert_non_null(strstr(err.what, "expected a polygon"));
    cp.snap_tolerance_m = -1.0;
    assert_int_equal(hs_contiguity_neighbours((const unsigned char *const *)p.wkb, p.size, 5, &cp,
                                              &rp, &cols, NULL, &err),
                     HS_EINVAL);
    assert_null(rp);
    polys_free(&pt);
    polys_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_of_nine),
        cmocka_unit_test(test_slivers_gaps_and_corners),
        cmocka_unit_test(test_multipolygon_and_repair),
        cmocka_unit_test(test_weights_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

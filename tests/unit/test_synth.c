/* test_synth.c - the demo generator: deterministic, wards tile the district exactly (areas
 * add up, every sampled point in exactly one ward), planted concentrations are where they
 * were planted, row kinds in their shares. */
#include "benchmarks/synth/synth.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static double ring_area(const hs_synth_ward *w)
{
    double a = 0.0;
    for (size_t i = 0; i + 1 < w->nring; i++)
        a += w->ring_x[i] * w->ring_y[i + 1] - w->ring_x[i + 1] * w->ring_y[i];
    return 0.5 * a;
}

static int contains(const hs_synth_ward *w, double x, double y)
{
    int in = 0;
    for (size_t i = 0, j = w->nring - 1; i < w->nring; j = i++)
        if (((w->ring_y[i] > y) != (w->ring_y[j] > y)) &&
            (x < (w->ring_x[j] - w->ring_x[i]) * (y - w->ring_y[i]) /
                         (w->ring_y[j] - w->ring_y[i]) +
                     w->ring_x[i]))
            in = !in;
    return in;
}

static void test_deterministic(void **state)
{
    (void)state;
    hs_synth_params p;
    hs_synth_params_default(&p);
    hs_synth_district *a, *b;
    assert_int_equal(hs_synth_generate(&p, &a, NULL), HS_OK);
    assert_int_equal(hs_synth_generate(&p, &b, NULL), HS_OK);
    assert_int_equal(a->nincidents, b->nincidents);
    assert_memory_equal(a->incidents, b->incidents, a->nincidents * sizeof *a->incidents);
    assert_memory_equal(a->postcodes, b->postcodes, a->npostcodes * sizeof *a->postcodes);
    p.seed++;
    hs_synth_district *c;
    assert_int_equal(hs_synth_generate(&p, &c, NULL), HS_OK);
    assert_true(c->nincidents != a->nincidents ||
                memcmp(c->incidents, a->incidents, a->nincidents * sizeof *a->incidents) != 0);
    hs_synth_free(a);
    hs_synth_free(b);
    hs_synth_free(c);
}

static void test_wards_tile_the_district(void **state)
{
    (void)state;
    hs_synth_params p;
    hs_synth_params_default(&p);
    hs_synth_district *d;
    assert_int_equal(hs_synth_generate(&p, &d, NULL), HS_OK);
    assert_int_equal(d->nwards, 20);
    /* Shared borders: ward areas add up to the district's (outer edges are noisy too, so
     * compare with the sum itself and check no gaps/overlaps by sampling). */
    double total = 0.0;
    for (size_t k = 0; k < d->nwards; k++) {
        double a = ring_area(&d->wards[k]);
        assert_true(a > 0.0); /* counter-clockwise rings */
        total += a;
    }
    assert_true(fabs(total - p.size_m * p.size_m) < 0.01 * p.size_m * p.size_m);
    /* Points well inside the district lie in exactly one ward. */
    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < 200; j++) {
            double x = p.xmin_m + 500.0 + (p.size_m - 1000.0) * (i + 0.37) / 200.0;
            double y = p.ymin_m + 500.0 + (p.size_m - 1000.0) * (j + 0.61) / 200.0;
            int hits = 0;
            for (size_t k = 0; k < d->nwards; k++)
                hits += contains(&d->wards[k], x, y);
            assert_int_equal(hits, 1);
        }
    }
    hs_synth_free(d);
}

static void test_planted_concentrations_and_row_kinds(void **state)
{
    (void)state;
    hs_synth_params p;
    hs_synth_params_default(&p);
    hs_synth_district *d;
    assert_int_equal(hs_synth_generate(&p, &d, NULL), HS_OK);
    size_t violence_near_centre = 0, planted_violence = 0, kinds[8] = {0};
    for (size_t i = 0; i < d->nincidents; i++) {
        const hs_synth_incident *inc = &d->incidents[i];
        kinds[inc->kind]++;
        if (inc->planted == 1) {
            planted_violence++;
            if (hypot(inc->x - d->centre_x, inc->y - d->centre_y) <= 500.0)
                violence_near_centre++;
        }
        assert_true(inc->month >= 1 && inc->month <= 12);
        if (i > 0)
            assert_true(inc->month >= d->incidents[i - 1].month);
    }
    assert_int_equal(planted_violence, p.incidents_per_year / 10);
    assert_int_equal(violence_near_centre, planted_violence);
    /* Shares of row kinds within a few standard errors. */
    double n = (double)p.incidents_per_year;
    assert_true(fabs((double)kinds[HS_SYNTH_ROW_NO_LOCATION] - 0.015 * n) < 5 * sqrt(0.015 * n));
    assert_true(fabs((double)kinds[HS_SYNTH_ROW_TEXT_ONLY] - 0.03 * n) < 5 * sqrt(0.03 * n));
    assert_int_equal(kinds[HS_SYNTH_ROW_OUTSIDE], (size_t)(0.03 * n));
    assert_int_equal(kinds[HS_SYNTH_ROW_RAGGED] + kinds[HS_SYNTH_ROW_BAD_NUMBER] +
                         kinds[HS_SYNTH_ROW_SWAPPED] + kinds[HS_SYNTH_ROW_BAD_UTF8],
                     12 * p.malformed_per_month);
    assert_true(d->npostcodes > 600);
    assert_int_equal(d->ncouncil, p.council_rows);
    hs_synth_free(d);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    hs_synth_params p;
    hs_synth_params_default(&p);
    p.wards_x = 0;
    hs_synth_district *d;
    hs_error err;
    assert_int_equal(hs_synth_generate(&p, &d, &err), HS_EINVAL);
    hs_synth_params_default(&p);
    p.text_only_share = 0.99;
    assert_int_equal(hs_synth_generate(&p, &d, &err), HS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_wards_tile_the_district),
        cmocka_unit_test(test_planted_concentrations_and_row_kinds),
        cmocka_unit_test(test_bad_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_multitest.c - Benjamini-Hochberg q-values and Bonferroni: a hand-worked case and the
 * 15 p-values of Benjamini & Hochberg (1995), section 4, whose q-values come from R
 * p.adjust(p, "BH") (R 4.2.2). */
#include "engine/multitest.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* cmocka 1.1.5 compares floats only: doubles to a stated absolute tolerance. */
#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void test_bh_hand_worked(void **state)
{
    (void)state;
    /* Sorted: 0.005 (j=1), 0.01 (2), 0.03 (3), 0.04 (4); p m / j = 0.02, 0.02, 0.04, 0.04;
     * running minimum from the top leaves them as they are. */
    const double p[4] = {0.01, 0.04, 0.03, 0.005};
    double q[4];
    assert_int_equal(hs_multitest_bh(p, NULL, 4, q, NULL), HS_OK);
    assert_near(q[0], 0.02, 1e-15);
    assert_near(q[1], 0.04, 1e-15);
    assert_near(q[2], 0.04, 1e-15);
    assert_near(q[3], 0.02, 1e-15);
    double b[4];
    assert_int_equal(hs_multitest_bonferroni(p, NULL, 4, b, NULL), HS_OK);
    assert_near(b[0], 0.04, 1e-15);
    assert_near(b[1], 0.16, 1e-15);
    assert_near(b[2], 0.12, 1e-15);
    assert_near(b[3], 0.02, 1e-15);
}

static void test_bh_textbook_example(void **state)
{
    (void)state;
    const double p[15] = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                          0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000};
    const double want[15] = {0.0015,
                             0.003,
                             0.0095,
                             0.035625,
                             0.0603,
                             0.063857142857142862,
                             0.063857142857142862,
                             0.0645,
                             0.0765,
                             0.486,
                             0.58118181818181813,
                             0.714875,
                             0.75323076923076926,
                             0.81321428571428567,
                             1.0};
    double q[15];
    assert_int_equal(hs_multitest_bh(p, NULL, 15, q, NULL), HS_OK);
    int rejected = 0;
    for (int i = 0; i < 15; i++) {
        assert_near(q[i], want[i], 1e-15);
        rejected += q[i] <= 0.05;
    }
    /* The paper: at q* = 0.05 the procedure rejects the four smallest. */
    assert_int_equal(rejected, 4);
}

static void test_invalid_units_take_no_part(void **state)
{
    (void)state;
    /* Unit 1 is invalid (an island): m = 3, sorted 0.005, 0.01, 0.03 -> 0.015, 0.015, 0.03. */
    const double p[4] = {0.01, 0.5, 0.03, 0.005};
    const unsigned char valid[4] = {1, 0, 1, 1};
    double q[4];
    assert_int_equal(hs_multitest_bh(p, valid, 4, q, NULL), HS_OK);
    assert_near(q[0], 0.015, 1e-15);
    assert_near(q[1], 1.0, 0.0);
    assert_near(q[2], 0.03, 1e-15);
    assert_near(q[3], 0.015, 1e-15);
    assert_int_equal(hs_multitest_bonferroni(p, valid, 4, q, NULL), HS_OK);
    assert_near(q[0], 0.03, 1e-15);
    assert_near(q[1], 1.0, 0.0);
}

static void test_ties_and_bad_p(void **state)
{
    (void)state;
    const double tied[3] = {0.02, 0.02, 0.02};
    double q[3];
    assert_int_equal(hs_multitest_bh(tied, NULL, 3, q, NULL), HS_OK);
    for (int i = 0; i < 3; i++)
        assert_near(q[i], 0.02, 1e-15);
    hs_error err;
    const double bad[3] = {0.1, NAN, 0.2};
    assert_int_equal(hs_multitest_bh(bad, NULL, 3, q, &err), HS_EINVAL);
    assert_int_equal(err.row, 2);
    const double big[2] = {0.1, 1.5};
    assert_int_equal(hs_multitest_bonferroni(big, NULL, 2, q, &err), HS_EINVAL);
    assert_int_equal(err.row, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bh_hand_worked),
        cmocka_unit_test(test_bh_textbook_example),
        cmocka_unit_test(test_invalid_units_take_no_part),
        cmocka_unit_test(test_ties_and_bad_p),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

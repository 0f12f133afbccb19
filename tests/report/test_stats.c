/* compare/stats.c: the signed-rank distribution against known tables and
 * brute force, and the Hodges-Lehmann interval against R's wilcox.test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>

#include "compare/stats.h"

static void signed_rank_cdf_matches_brute_force(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 12; n++) {
        size_t max = n * (n + 1) / 2;
        for (size_t q = 0; q <= max; q += 3) {
            unsigned below = 0;
            for (unsigned mask = 0; mask < 1u << n; mask++) {
                size_t sum = 0;
                for (size_t r = 1; r <= n; r++)
                    sum += (mask >> (r - 1) & 1) ? r : 0;
                below += sum <= q;
            }
            assert_true(fabs(zc_signed_rank_cdf(n, q) - ldexp(below, -(int)n)) < 1e-15);
        }
    }
}

static void signed_rank_quantiles_match_the_tables(void **state)
{
    (void)state;
    /* Two-sided 5% critical values of the Wilcoxon table are q - 1. */
    assert_int_equal(zc_signed_rank_quantile(5, 0.025), 0); /* no 95% interval with 5 pairs */
    assert_int_equal(zc_signed_rank_quantile(6, 0.025), 1);
    assert_int_equal(zc_signed_rank_quantile(9, 0.025), 6);
    assert_int_equal(zc_signed_rank_quantile(10, 0.025), 9);
    assert_int_equal(zc_signed_rank_quantile(20, 0.025), 53);
    assert_int_equal(zc_signed_rank_quantile(50, 0.025), 435);
    assert_int_equal(zc_signed_rank_quantile(10, 0.005), 4);
    assert_true(zc_signed_rank_cdf(10, 8) <= 0.025 && zc_signed_rank_cdf(10, 9) > 0.025);
    /* Above 50 pairs the normal approximation: exact values 454, 1956 and
     * 8445 (enumerated); the approximation may be one lower (a wider
     * interval), never higher. */
    const size_t n[] = {51, 100, 200}, exact[] = {454, 1956, 8445};
    for (int i = 0; i < 3; i++) {
        size_t q = zc_signed_rank_quantile(n[i], 0.025);
        assert_true(q <= exact[i] && q + 1 >= exact[i]);
    }
    assert_true(fabs(zc_normal_quantile(0.975) - 1.959963985) < 1e-8);
    assert_true(fabs(zc_normal_quantile(0.5)) < 1e-12);
}

static void hodges_lehmann_matches_r(void **state)
{
    (void)state;
    /* R's ?wilcox.test depression example, paired: x - y. wilcox.test(x, y,
     * paired = TRUE, conf.int = TRUE): (pseudo)median 0.46, 95% interval
     * from the 6th smallest to the 6th largest of 45 Walsh averages. */
    const double x[] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    const double y[] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    double d[9];
    for (int i = 0; i < 9; i++)
        d[i] = x[i] - y[i];
    struct zc_shift s;
    assert_int_equal(zc_hodges_lehmann(d, 9, 0.95, &s), 0);
    assert_true(fabs(s.estimate - 0.46) < 1e-9);
    assert_true(fabs(s.lo - 0.010) < 1e-9);
    assert_true(fabs(s.hi - 0.786) < 1e-9);
}

static void hodges_lehmann_edge_cases(void **state)
{
    (void)state;
    struct zc_shift s;
    const double zeros[8] = {0};
    assert_int_equal(zc_hodges_lehmann(zeros, 8, 0.95, &s), 0);
    assert_true(s.estimate == 0 && s.lo == 0 && s.hi == 0);
    /* a shift moves estimate and interval by as much */
    double d[30], e[30];
    for (int i = 0; i < 30; i++) {
        d[i] = sin(i * 1.7) * 0.1;
        e[i] = d[i] + 0.25;
    }
    struct zc_shift a, b;
    assert_int_equal(zc_hodges_lehmann(d, 30, 0.95, &a), 0);
    assert_int_equal(zc_hodges_lehmann(e, 30, 0.95, &b), 0);
    assert_true(fabs(b.estimate - a.estimate - 0.25) < 1e-12);
    assert_true(fabs(b.lo - a.lo - 0.25) < 1e-12 && fabs(b.hi - a.hi - 0.25) < 1e-12);
    assert_true(a.lo <= a.estimate && a.estimate <= a.hi);
    /* a higher confidence never narrows the interval */
    struct zc_shift wide;
    assert_int_equal(zc_hodges_lehmann(d, 30, 0.99, &wide), 0);
    assert_true(wide.lo <= a.lo && wide.hi >= a.hi);
    /* five pairs cannot reach 95% */
    assert_int_equal(zc_hodges_lehmann(d, 5, 0.95, &s), 0);
    assert_true(isinf(s.lo) && s.lo < 0 && isinf(s.hi) && s.hi > 0);
    assert_int_equal(zc_hodges_lehmann(d, 0, 0.95, &s), -1);
    assert_int_equal(zc_hodges_lehmann(d, 30, 1.0, &s), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signed_rank_cdf_matches_brute_force),
        cmocka_unit_test(signed_rank_quantiles_match_the_tables),
        cmocka_unit_test(hodges_lehmann_matches_r),
        cmocka_unit_test(hodges_lehmann_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

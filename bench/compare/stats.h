/* Internal to `zcbench compare`: the statistics behind the verdicts. */
#ifndef ZC_COMPARE_STATS_H
#define ZC_COMPARE_STATS_H

#include <stddef.h>

/* Two-sided Mann-Whitney U test, normal approximation with tie and
 * continuity correction (as scipy.stats.mannwhitneyu, which Google
 * Benchmark's compare.py uses, does for larger samples). Returns p. */
double zc_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);
double zc_median(const double *v, size_t n);

/* The centre of paired differences d[0..n) (e.g. log(new/base) of rounds
 * measured back to back): the Hodges-Lehmann estimate, the median of the
 * Walsh averages (d[i] + d[j]) / 2 for i <= j, with the distribution-free
 * interval of the Wilcoxon signed-rank test at the given confidence (the
 * method of R's wilcox.test(conf.int = TRUE)). With too few pairs for that
 * confidence, lo = -inf and hi = +inf. */
struct zc_shift {
    double estimate, lo, hi;
};
/* 0, or -1 when n is 0, confidence is not in (0, 1) or memory runs out. */
int zc_hodges_lehmann(const double *d, size_t n, double confidence, struct zc_shift *out);

/* The smallest q with P(T <= q) >= p, T the signed-rank statistic of n
 * pairs under "no shift": exact up to ZC_SIGNED_RANK_EXACT_MAX pairs, the
 * normal approximation with continuity correction above. */
#define ZC_SIGNED_RANK_EXACT_MAX 50
size_t zc_signed_rank_quantile(size_t n, double p);
/* P(T <= q) exactly (n <= ZC_SIGNED_RANK_EXACT_MAX). */
double zc_signed_rank_cdf(size_t n, size_t q);
/* x with P(Z <= x) = p for a standard normal Z, 0 < p < 1. */
double zc_normal_quantile(double p);

#endif

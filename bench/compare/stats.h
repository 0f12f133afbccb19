/* Internal to `zcbench compare`: the statistics behind the verdicts. */
#ifndef ZC_COMPARE_STATS_H
#define ZC_COMPARE_STATS_H

#include <stddef.h>

/* Two-sided Mann-Whitney U test, normal approximation with tie and
 * continuity correction (as scipy.stats.mannwhitneyu, which Google
 * Benchmark's compare.py uses, does for larger samples). Returns p. */
double zc_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);
double zc_median(const double *v, size_t n);

#endif

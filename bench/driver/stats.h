/* Order statistics of a sample set (the harness's medians and p99). */
#ifndef ZCB_STATS_H
#define ZCB_STATS_H

#include <stddef.h>

/* Linear interpolation between order statistics, q in 0..1; v unchanged.
 * Copies v on the stack: for short sets (repetitions, at most 1000). */
double zcb_quantile(const double *v, size_t n, double q);
static inline double zcb_median(const double *v, size_t n) { return zcb_quantile(v, n, 0.5); }
/* The same, sorting v: for sets of any length the caller no longer needs
 * in order (a repetition's samples, millions when they are short). */
double zcb_quantile_sorting(double *v, size_t n, double q);

#endif

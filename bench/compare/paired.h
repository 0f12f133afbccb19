/* Internal to `zcbench compare`: the --paired mode (paired.c). */
#ifndef ZC_COMPARE_PAIRED_H
#define ZC_COMPARE_PAIRED_H

#include <stdbool.h>

struct zc_paired_opts {
    double threshold;  /* new/base above 1 + threshold is a slowdown */
    double confidence; /* of the interval, e.g. 0.95 */
    bool quiet;        /* print only regressions (and the summary) */
};

/* Exit status: 0 no regression, 1 regression (named), 2 bad input. */
int zc_compare_paired(const char *path, const struct zc_paired_opts *o);

#endif

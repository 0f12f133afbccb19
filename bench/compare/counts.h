/* Internal to `zcbench compare`: the --counts mode (counts.c). */
#ifndef ZC_COMPARE_COUNTS_H
#define ZC_COMPARE_COUNTS_H

#include <stdbool.h>

/* Instruction counts per page (toolchain,case,pages,instructions; made by
 * scripts/perf-gate.sh under callgrind) of the new build against the
 * committed ones of the same toolchain, or, for a case without one,
 * against base_path (the base build counted in the same run; NULL when
 * not counted). A rise above threshold fails. Exit status: 0, 1
 * regression (named), 2 bad input. */
int zc_compare_counts(const char *committed_path, const char *new_path, const char *base_path,
                      double threshold, bool quiet);

#endif

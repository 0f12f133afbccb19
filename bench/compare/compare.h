/* `zcbench compare BASE NEW`: the regression gate (implemented in
 * bench/compare/). Returns the process exit status: 0 no regression,
 * 1 regression (cases named on stdout), 2 bad input. */
#ifndef ZC_BENCH_COMPARE_H
#define ZC_BENCH_COMPARE_H

int zc_compare_main(int argc, char **argv);

#endif

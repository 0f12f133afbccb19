/* Internal: CPUID/XGETBV feature detection (used by kernel dispatch and by
 * dsa/ for MOVDIR64B, ENQCMD, WAITPKG). */
#ifndef ZC_CPU_FEATURES_H
#define ZC_CPU_FEATURES_H

#include <stdbool.h>

enum zc_cpu_feature {
    ZC_CPU_SSE2,
    ZC_CPU_AVX2,      /* CPUID AVX2 and OS saves YMM state */
    ZC_CPU_AVX512BW,  /* CPUID AVX512F+BW and OS saves ZMM/opmask state */
    ZC_CPU_MOVDIR64B,
    ZC_CPU_ENQCMD,
    ZC_CPU_WAITPKG,
    ZC_CPU_FEATURE_COUNT
};

bool zc_cpu_has(enum zc_cpu_feature f);
/* Human name, e.g. "AVX512BW" (for "CPU lacks ..." messages). */
const char *zc_cpu_feature_name(enum zc_cpu_feature f);
/* Why f is unusable ("CPU lacks AVX2", "OS does not enable AVX state"), or NULL. */
const char *zc_cpu_why_not(enum zc_cpu_feature f);
/* The CPU brand string, e.g. "AMD EPYC 9654"; never NULL. */
const char *zc_cpu_model_name(void);

#endif

#include "cpu/features.h"

#include <cpuid.h>
#include <stdint.h>
#include <string.h>

enum support { UNKNOWN, YES, NO_CPU, NO_OS };

static const char *const feature_names[ZC_CPU_FEATURE_COUNT] = {
    [ZC_CPU_SSE2] = "SSE2",           [ZC_CPU_AVX2] = "AVX2",
    [ZC_CPU_AVX512BW] = "AVX512BW",   [ZC_CPU_MOVDIR64B] = "MOVDIR64B",
    [ZC_CPU_ENQCMD] = "ENQCMD",       [ZC_CPU_WAITPKG] = "WAITPKG",
};

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static enum support detect(enum zc_cpu_feature f)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return NO_CPU;
    bool osxsave = c & bit_OSXSAVE;
    bool avx = c & bit_AVX;
    unsigned b7 = 0, c7 = 0;
    unsigned unused_a, unused_d;
    if (__get_cpuid_max(0, NULL) >= 7)
        __cpuid_count(7, 0, unused_a, b7, c7, unused_d);
    (void)unused_a;
    (void)unused_d;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    const uint64_t ymm = 0x6, zmm = 0xe6; /* SSE|AVX; plus opmask, ZMM_Hi256, Hi16_ZMM */

    switch (f) {
    case ZC_CPU_SSE2:
        return (d & bit_SSE2) ? YES : NO_CPU;
    case ZC_CPU_AVX2:
        if (!avx || !(b7 & bit_AVX2))
            return NO_CPU;
        return (xcr0 & ymm) == ymm ? YES : NO_OS;
    case ZC_CPU_AVX512BW:
        if (!(b7 & bit_AVX512F) || !(b7 & bit_AVX512BW))
            return NO_CPU;
        return (xcr0 & zmm) == zmm ? YES : NO_OS;
    case ZC_CPU_MOVDIR64B:
        return (c7 & (1u << 28)) ? YES : NO_CPU;
    case ZC_CPU_ENQCMD:
        return (c7 & (1u << 29)) ? YES : NO_CPU;
    case ZC_CPU_WAITPKG:
        return (c7 & (1u << 5)) ? YES : NO_CPU;
    case ZC_CPU_FEATURE_COUNT:
        break;
    }
    return NO_CPU;
}

/* CPUID is slow (it serialises and traps under some hypervisors): detect
 * once per feature. Benign race: every thread computes the same value. */
static enum support cached(enum zc_cpu_feature f)
{
    static volatile enum support cache[ZC_CPU_FEATURE_COUNT];
    if (cache[f] == UNKNOWN)
        cache[f] = detect(f);
    return cache[f];
}

bool zc_cpu_has(enum zc_cpu_feature f) { return cached(f) == YES; }

const char *zc_cpu_feature_name(enum zc_cpu_feature f) { return feature_names[f]; }

const char *zc_cpu_why_not(enum zc_cpu_feature f)
{
    static const char *const cpu_lacks[ZC_CPU_FEATURE_COUNT] = {
        [ZC_CPU_SSE2] = "CPU lacks SSE2",           [ZC_CPU_AVX2] = "CPU lacks AVX2",
        [ZC_CPU_AVX512BW] = "CPU lacks AVX512F/BW", [ZC_CPU_MOVDIR64B] = "CPU lacks MOVDIR64B",
        [ZC_CPU_ENQCMD] = "CPU lacks ENQCMD",       [ZC_CPU_WAITPKG] = "CPU lacks WAITPKG",
    };
    switch (cached(f)) {
    case YES:
        return NULL;
    case NO_OS:
        return f == ZC_CPU_AVX2 ? "OS does not enable AVX (YMM) state"
                                : "OS does not enable AVX-512 (ZMM/opmask) state";
    default:
        return cpu_lacks[f];
    }
}

const char *zc_cpu_model_name(void)
{
    static char brand[49];
    if (!brand[0]) {
        unsigned regs[12] = {0};
        if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000004u) {
            for (unsigned i = 0; i < 3; i++)
                __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                            &regs[4 * i + 3]);
            memcpy(brand, regs, 48);
        }
        const char *start = brand;
        while (*start == ' ')
            start++;
        memmove(brand, start, strlen(start) + 1);
        if (!brand[0])
            strcpy(brand, "unknown x86-64");
    }
    return brand;
}

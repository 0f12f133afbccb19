/* The variant table behind <zc/cpu.h> and the runtime dispatch of "best". */
#include <zc/cpu.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/features.h"
#include "cpu/zero_kernels.h"

#define NO_FEATURE ZC_CPU_FEATURE_COUNT

struct variant_def {
    struct zc_cpu_variant pub;
    enum zc_cpu_feature needs;
    uint64_t (*read_or)(const void *, size_t);
};

/* Lowest preference first; "best" is the last usable one. Every kernel but
 * "byte" shares one layout (cpu/zero_template.h): up to one block, a few
 * overlapping loads from both ends tested once; beyond, the first vector
 * tested alone, the aligned body in unrolled blocks tested once each, the
 * last block. Why avx512_256 ranks above avx512: docs/PERFORMANCE.md, "CPU
 * kernels". */
static struct variant_def variants[] = {
    {{"byte", "one byte per step, exits at the first non-zero byte", zc_zero_byte, false, NULL},
     NO_FEATURE, zc_read_or_u64},
    {{"u64", "64-bit words, aligned blocks of 4 words tested once", zc_zero_u64, false, NULL},
     NO_FEATURE, zc_read_or_u64},
    {{"sse2", "16-byte vectors, aligned blocks of 8 tested once", zc_zero_sse2, false, NULL},
     ZC_CPU_SSE2, zc_read_or_sse2},
    {{"avx2", "32-byte vectors, aligned blocks of 8 tested once with VPTEST", zc_zero_avx2, false,
      NULL},
     ZC_CPU_AVX2, zc_read_or_avx2},
    {{"avx512", "64-byte vectors, aligned blocks of 4; one masked load below 64 B",
      zc_zero_avx512, false, NULL},
     ZC_CPU_AVX512BW, zc_read_or_avx512},
    {{"avx512_256", "32-byte vectors as avx2; one AVX-512BW masked load below 32 B",
      zc_zero_avx512_256, false, NULL},
     ZC_CPU_AVX512BW, zc_read_or_avx512_256},
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

static const struct variant_def *best;
static char best_error[256]; /* a refused ZC_CPU_BEST, "" when none */

/* ZC_CPU_BEST=NAME makes "best" the variant NAME, so a host can run what a
 * machine with fewer ISA extensions would (tests, the regression gate). */
static void apply_override(void)
{
    const char *forced = getenv("ZC_CPU_BEST");
    if (!forced || !forced[0])
        return;
    const struct variant_def *pick = NULL;
    for (size_t i = 0; i < N_VARIANTS; i++)
        if (strcmp(forced, variants[i].pub.name) == 0)
            pick = &variants[i];
    if (pick && pick->pub.usable) {
        best = pick;
        return;
    }
    size_t n = (size_t)snprintf(best_error, sizeof best_error, "ZC_CPU_BEST=%s: %s (allowed here:",
                                forced, pick ? pick->pub.why_not : "unknown variant");
    const char *sep = " ";
    for (size_t i = 0; i < N_VARIANTS && n < sizeof best_error; i++)
        if (variants[i].pub.usable) {
            n += (size_t)snprintf(best_error + n, sizeof best_error - n, "%s%s", sep,
                                  variants[i].pub.name);
            sep = ", ";
        }
    if (n < sizeof best_error)
        snprintf(best_error + n, sizeof best_error - n, ")");
}

static void detect(void)
{
    for (size_t i = 0; i < N_VARIANTS; i++) {
        struct variant_def *v = &variants[i];
        v->pub.usable = v->needs == NO_FEATURE || zc_cpu_has(v->needs);
        v->pub.why_not = v->pub.usable ? NULL : zc_cpu_why_not(v->needs);
        if (v->pub.usable)
            best = v;
    }
    apply_override();
}

static const struct variant_def *detected_best(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, detect);
    return best;
}

size_t zc_cpu_variant_count(void) { return N_VARIANTS; }

const struct zc_cpu_variant *zc_cpu_variant_at(size_t i)
{
    detected_best();
    return i < N_VARIANTS ? &variants[i].pub : NULL;
}

const char *zc_cpu_best_name(void) { return detected_best()->pub.name; }

const char *zc_cpu_best_error(void)
{
    detected_best();
    return best_error[0] ? best_error : NULL;
}

zc_zero_fn zc_cpu_find(const char *name)
{
    const struct variant_def *b = detected_best();
    if (!name)
        return NULL;
    if (strcmp(name, "best") == 0)
        return b->pub.fn;
    for (size_t i = 0; i < N_VARIANTS; i++)
        if (strcmp(name, variants[i].pub.name) == 0)
            return variants[i].pub.usable ? variants[i].pub.fn : NULL;
    return NULL;
}

/* The hot entry points skip pthread_once: a relaxed atomic load of a
 * pointer that every thread resolves to the same value. */
static _Atomic(zc_zero_fn) best_zero;
static _Atomic(uint64_t (*)(const void *, size_t)) best_read_or;

bool zc_is_zero(const void *buf, size_t len)
{
    zc_zero_fn fn = atomic_load_explicit(&best_zero, memory_order_relaxed);
    if (__builtin_expect(!fn, 0)) {
        fn = detected_best()->pub.fn;
        atomic_store_explicit(&best_zero, fn, memory_order_relaxed);
    }
    return fn(buf, len);
}

uint64_t zc_cpu_read_or(const void *buf, size_t len)
{
    uint64_t (*fn)(const void *, size_t) =
        atomic_load_explicit(&best_read_or, memory_order_relaxed);
    if (__builtin_expect(!fn, 0)) {
        fn = detected_best()->read_or;
        atomic_store_explicit(&best_read_or, fn, memory_order_relaxed);
    }
    return fn(buf, len);
}

/* Internal: the zero-check kernels and read-bandwidth references behind
 * <zc/cpu.h>. Each SIMD kernel is compiled for its own ISA (target
 * attribute), so the library builds for baseline x86-64 and variants.c only
 * calls a kernel after zc_cpu_has() said yes. */
#ifndef ZC_CPU_ZERO_KERNELS_H
#define ZC_CPU_ZERO_KERNELS_H

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

bool zc_zero_byte(const void *buf, size_t len);

/* From this length on, kernels with ZK_STREAM_UNROLL (avx512_256) read in
 * blocks of that many vectors: beyond the L2 (1 MiB there). Measured on
 * Zen 4 with 32-byte vectors: blocks of 8 win in L1 (hot 16 KiB: 1.60 x
 * ISA-L against 1.44 with 4), blocks of 4 from DRAM (hot 64 MiB: 0.97 x
 * ISA-L with 8, 0.99-1.0 with 4), and they tie in between. On the Zen 3
 * AVX2 host blocks of 4 gained nothing from DRAM and their length check
 * cost ~5% at hot 1 KiB, so avx2 keeps blocks of 8 (docs/PERFORMANCE.md,
 * "CPU kernels"). */
#define ZC_ZERO_STREAM_MIN ((size_t)1 << 20)

#define ZC_DECLARE_KERNELS(isa)                                                                   \
    bool zc_zero_##isa(const void *buf, size_t len);                                             \
    uint64_t zc_read_or_##isa(const void *buf, size_t len);
ZC_DECLARE_KERNELS(u64)
ZC_DECLARE_KERNELS(sse2)
ZC_DECLARE_KERNELS(avx2)
ZC_DECLARE_KERNELS(avx512)
ZC_DECLARE_KERNELS(avx512_256)
#undef ZC_DECLARE_KERNELS

static inline uint64_t zc_load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t zc_load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t zc_fold128(__m128i v)
{
    return (uint64_t)_mm_cvtsi128_si64(_mm_or_si128(v, _mm_unpackhi_epi64(v, v)));
}

__attribute__((target("avx2"))) static inline uint64_t zc_fold256(__m256i v)
{
    return zc_fold128(_mm_or_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

/* The first len < 64 bytes at p; the masked-off bytes are never accessed,
 * so this cannot fault whatever lies after the buffer. */
__attribute__((target("avx512f,avx512bw"))) static inline __m512i zc_masked_load(
    const unsigned char *p, size_t len)
{
    return _mm512_maskz_loadu_epi8(len ? ~0ULL >> (64 - len) : 0, p);
}

__attribute__((target("avx512f"))) static inline bool zc_testz512(__m512i v)
{
    return _mm512_test_epi64_mask(v, v) == 0;
}

/* OR of every byte of a buffer shorter than 16 bytes, from two overlapping
 * loads that stay inside it (first/middle/last byte below 4). */
static inline uint64_t zc_small_or(const unsigned char *p, size_t len)
{
    if (len >= 8)
        return zc_load64(p) | zc_load64(p + len - 8);
    if (len >= 4)
        return zc_load32(p) | zc_load32(p + len - 4);
    if (len == 0)
        return 0;
    return p[0] | p[len / 2] | p[len - 1];
}

#endif

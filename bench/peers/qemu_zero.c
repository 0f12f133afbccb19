/* Peer "qemu": see qemu_zero.h. Written from a description of QEMU's
 * algorithm, not from its code; the comments say where QEMU's choices
 * matter for the comparison. */
#include "bench/peers/qemu_zero.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include <zc/cpu.h>

#include "cpu/zero_kernels.h"

static const unsigned char *align_down(const unsigned char *p, uintptr_t bytes)
{
    return (const unsigned char *)((uintptr_t)p & ~(bytes - 1));
}

/* 4 <= len < 256: two unaligned words at the ends and every aligned word
 * strictly between them. */
static bool words_lt256(const unsigned char *p, size_t len)
{
    if (len <= 8)
        return (zc_load32(p) | zc_load32(p + len - 4)) == 0;
    uint64_t t = zc_load64(p) | zc_load64(p + len - 8);
    const unsigned char *w = align_down(p + 8, 8), *e = align_down(p + len - 1, 8);
    for (; w < e; w += 8)
        t |= zc_load64(__builtin_assume_aligned(w, 8));
    return t == 0;
}

/* QEMU keeps two OR chains apart with an empty asm so the compiler cannot
 * reassociate them into one serial chain; the peer does the same. */
#define KEEP_CHAINS_APART(a, b) __asm__("" : "+x"(a), "+x"(b))

/* The vector path, len >= 256, for one vector width: the unaligned first and
 * last vector, the 7 aligned vectors before the aligned-down end, then
 * aligned blocks of 8 vectors from the first aligned address after the
 * first vector; the accumulator is tested (compare with zero, byte mask) at
 * the top of each block, before the block's loads. Which vectors overlap
 * depends on the alignment; every load lies inside the buffer. */
#define QEMU_VECTOR_PATH(name, target, vec, bytes, loadu, loada, or, all_zero)                     \
    target static bool name(const void *buf, size_t len)                                          \
    {                                                                                             \
        const unsigned char *b = buf;                                                             \
        vec v = loadu(b), w = loadu(b + len - bytes);                                             \
        const unsigned char *p = align_down(b + bytes, bytes);                                    \
        const unsigned char *e = align_down(b + len - 1, bytes);                                  \
        v = or(v, loada(e - 1 * bytes));                                                          \
        w = or(w, loada(e - 2 * bytes));                                                          \
        KEEP_CHAINS_APART(v, w);                                                                  \
        v = or(v, loada(e - 3 * bytes));                                                          \
        w = or(w, loada(e - 4 * bytes));                                                          \
        KEEP_CHAINS_APART(v, w);                                                                  \
        v = or(v, loada(e - 5 * bytes));                                                          \
        w = or(w, loada(e - 6 * bytes));                                                          \
        KEEP_CHAINS_APART(v, w);                                                                  \
        v = or(or(v, loada(e - 7 * bytes)), w);                                                   \
        for (; p < e - 7 * bytes; p += 8 * bytes) {                                               \
            if (__builtin_expect(!all_zero(v), 0))                                                \
                return false;                                                                     \
            v = loada(p);                                                                         \
            w = loada(p + bytes);                                                                 \
            KEEP_CHAINS_APART(v, w);                                                              \
            v = or(v, loada(p + 2 * bytes));                                                      \
            w = or(w, loada(p + 3 * bytes));                                                      \
            KEEP_CHAINS_APART(v, w);                                                              \
            v = or(v, loada(p + 4 * bytes));                                                      \
            w = or(w, loada(p + 5 * bytes));                                                      \
            KEEP_CHAINS_APART(v, w);                                                              \
            v = or(v, loada(p + 6 * bytes));                                                      \
            w = or(w, loada(p + 7 * bytes));                                                      \
            KEEP_CHAINS_APART(v, w);                                                              \
            v = or(v, w);                                                                         \
        }                                                                                         \
        return all_zero(v);                                                                       \
    }

/* QEMU notes that PTEST is not profitable here: compare and byte mask. */
static inline bool all_zero_sse2(__m128i v)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) == 0xffff;
}

__attribute__((target("avx2"))) static inline bool all_zero_avx2(__m256i v)
{
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())) ==
           0xffffffffu;
}

#define LOADU128(p) _mm_loadu_si128((const __m128i *)(p))
#define LOADA128(p) _mm_load_si128((const __m128i *)(p))
#define LOADU256(p) _mm256_loadu_si256((const __m256i *)(p))
#define LOADA256(p) _mm256_load_si256((const __m256i *)(p))

QEMU_VECTOR_PATH(vector_sse2, , __m128i, 16, LOADU128, LOADA128, _mm_or_si128, all_zero_sse2)
QEMU_VECTOR_PATH(vector_avx2, __attribute__((target("avx2"))), __m256i, 32, LOADU256, LOADA256,
                 _mm256_or_si256, all_zero_avx2)

static const struct {
    const char *name;
    bool (*fn)(const void *, size_t);
} accels[] = {{"avx2", vector_avx2}, {"sse2", vector_sse2}}; /* QEMU's order of preference */

static bool (*vector_path)(const void *, size_t) = vector_sse2;
static const char *vector_name = "sse2";

/* QEMU picks its vector path in a constructor too, so its calls carry no
 * selection cost. */
__attribute__((constructor)) static void select_vector_path(void)
{
    for (size_t i = 0; i < sizeof accels / sizeof accels[0]; i++)
        if (qemu_buffer_is_zero_use(accels[i].name))
            return;
}

bool qemu_buffer_is_zero_use(const char *accel)
{
    for (size_t i = 0; accel && i < sizeof accels / sizeof accels[0]; i++)
        if (strcmp(accel, accels[i].name) == 0 && zc_cpu_find(accels[i].name)) {
            vector_path = accels[i].fn;
            vector_name = accels[i].name;
            return true;
        }
    return false;
}

const char *qemu_buffer_is_zero_accel(void) { return vector_name; }

bool qemu_buffer_is_zero(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (len == 0)
        return true;
    /* Three separate tests, not one OR: QEMU wants a non-zero first byte to
     * return before the other two cache lines are touched. */
    if (p[0] || p[len - 1] || p[len / 2])
        return false;
    if (len <= 3)
        return true;
    if (__builtin_expect(len >= 256, 1))
        return vector_path(buf, len);
    return words_lt256(p, len);
}

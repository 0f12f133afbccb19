/* "avx2": 32-byte vectors tested with VPTEST; 16..31 bytes as two
 * overlapping 16-byte loads. */
#include <immintrin.h>

#include "cpu/zero_kernels.h"

#define ZK_TARGET __attribute__((target("avx2")))

ZK_TARGET static inline uint64_t short_or32(const unsigned char *p, size_t len)
{
    if (len < 16)
        return zc_small_or(p, len);
    __m128i v = _mm_or_si128(_mm_loadu_si128((const __m128i *)p),
                             _mm_loadu_si128((const __m128i *)(p + len - 16)));
    return zc_fold128(v);
}

#define ZK_ISA avx2
#include "cpu/zero_ymm.h"
#define ZK_SHORT_OR(p, len) short_or32(p, len)
#include "cpu/zero_template.h"

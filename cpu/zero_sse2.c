/* "sse2": 16-byte vectors, baseline x86-64 (SSE2 has no PTEST: compare
 * with zero and take the byte mask). */
#include "cpu/zero_kernels.h"

static inline bool testz128(__m128i v)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) == 0xffff;
}

#define ZK_ISA sse2
#define ZK_TARGET
#define ZK_VEC __m128i
#define ZK_BYTES 16
#define ZK_UNROLL 8
#define ZK_LOADU(p) _mm_loadu_si128((const __m128i *)(p))
#define ZK_LOADA(p) _mm_load_si128((const __m128i *)(p))
#define ZK_OR(a, b) _mm_or_si128(a, b)
#define ZK_TESTZ(v) testz128(v)
#define ZK_FOLD(v) zc_fold128(v)
#define ZK_SHORT_OR(p, len) zc_small_or(p, len)
#include "cpu/zero_template.h"

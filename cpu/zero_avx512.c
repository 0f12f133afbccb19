/* "avx512": 64-byte vectors; below one vector a single masked load. */
#include <immintrin.h>

#include "cpu/zero_kernels.h"

#define ZK_TARGET __attribute__((target("avx512f,avx512bw")))

#define ZK_ISA avx512
#define ZK_VEC __m512i
#define ZK_BYTES 64
#define ZK_UNROLL 4
#define ZK_LOADU(p) _mm512_loadu_si512((const void *)(p))
#define ZK_LOADA(p) _mm512_load_si512((const void *)(p))
#define ZK_OR(a, b) _mm512_or_si512(a, b)
#define ZK_TESTZ(v) zc_testz512(v)
#define ZK_FOLD(v) ((uint64_t)_mm512_reduce_or_epi64(v))
#define ZK_SHORT_OR(p, len) ZK_FOLD(zc_masked_load(p, len))
#define ZK_SHORT_ZERO(p, len) zc_testz512(zc_masked_load(p, len))
#include "cpu/zero_template.h"

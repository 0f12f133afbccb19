/* "avx512_256": the avx2 layout on 256-bit vectors, but below one vector a
 * single AVX-512BW masked load instead of the 16/8/4/1-byte ladder, and
 * blocks of 4 vectors from ZC_ZERO_STREAM_MIN on. On the project's Zen 4
 * host 512-bit loads streamed 15-20% slower from DRAM than 256-bit ones
 * while L1 bandwidth is the same for both widths (see docs/PERFORMANCE.md),
 * so this is what "best" picks where AVX-512BW exists. */
#include <immintrin.h>

#include "cpu/zero_kernels.h"

#define ZK_TARGET __attribute__((target("avx2,avx512f,avx512bw")))

#define ZK_ISA avx512_256
#include "cpu/zero_ymm.h"
#define ZK_STREAM_UNROLL 4 /* measured on Zen 4: cpu/zero_kernels.h */
#define ZK_SHORT_OR(p, len) ((uint64_t)_mm512_reduce_or_epi64(zc_masked_load(p, len)))
#define ZK_SHORT_ZERO(p, len) zc_testz512(zc_masked_load(p, len))
#include "cpu/zero_template.h"

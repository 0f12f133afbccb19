/* Internal: the 256-bit vector operations for cpu/zero_template.h, shared
 * by the avx2 and avx512_256 kernels (which differ below one vector and
 * in ZK_STREAM_UNROLL). */
#define ZK_VEC __m256i
#define ZK_BYTES 32
#define ZK_UNROLL 8
#define ZK_LOADU(p) _mm256_loadu_si256((const __m256i *)(p))
#define ZK_LOADA(p) _mm256_load_si256((const __m256i *)(p))
#define ZK_OR(a, b) _mm256_or_si256(a, b)
#define ZK_TESTZ(v) _mm256_testz_si256(v, v)
#define ZK_FOLD(v) zc_fold256(v)

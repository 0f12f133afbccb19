/* The portable kernels: "byte" (the obvious loop, the correctness
 * reference) and "u64" (the shared kernel layout on 64-bit words). */
#include "cpu/zero_kernels.h"

bool zc_zero_byte(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

static inline uint64_t load_aligned64(const unsigned char *p)
{
    return zc_load64(__builtin_assume_aligned(p, 8));
}

#define ZK_ISA u64
#define ZK_TARGET
#define ZK_VEC uint64_t
#define ZK_BYTES 8
#define ZK_UNROLL 4
#define ZK_LOADU(p) zc_load64(p)
#define ZK_LOADA(p) load_aligned64(p)
#define ZK_OR(a, b) ((a) | (b))
#define ZK_TESTZ(v) ((v) == 0)
#define ZK_FOLD(v) (v)
#define ZK_SHORT_OR(p, len) zc_small_or(p, len)
#include "cpu/zero_template.h"

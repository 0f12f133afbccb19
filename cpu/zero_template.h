/* Internal: the zero-check kernel and its read-bandwidth twin, instantiated
 * once per ISA by cpu/zero_<isa>.c (no include guard on purpose). The
 * includer defines:
 *   ZK_ISA           suffix of the generated zc_zero_<isa>/zc_read_or_<isa>
 *   ZK_TARGET        function attribute selecting the ISA (may be empty)
 *   ZK_VEC, ZK_BYTES the vector type and its width (a power of two)
 *   ZK_UNROLL        vectors per block of the main loop: 4 or 8
 *   ZK_STREAM_UNROLL optional, 4 or 8: vectors per block instead, for buffers
 *                    of ZK_STREAM_MIN bytes and more (defaults to ZK_UNROLL)
 *   ZK_ZERO(), ZK_LOADU(p), ZK_LOADA(p), ZK_OR(a, b), ZK_TESTZ(v) (true when v == 0),
 *   ZK_FOLD(v)       (uint64_t OR of the lanes)
 *   ZK_SHORT_OR(p, len) OR of a buffer shorter than ZK_BYTES, in bounds
 *   ZK_SHORT_ZERO(p, len) optional, defaults to ZK_SHORT_OR(p, len) == 0
 *
 * Layout of a buffer of at least one vector, read front to back so the
 * hardware stream prefetchers see one ascending stream: the first vector,
 * loaded unaligned and tested alone so a non-zero start returns after one
 * load; then the aligned body from the first aligned address on, in blocks of ZK_UNROLL
 * vectors ORed as a tree and tested once per block, and single vectors for
 * the remainder; then the last vector, unaligned (it overlaps the body and is
 * in L1 by then). Every load lies inside the buffer. */
#include "cpu/zero_kernels.h"

#ifndef ZK_SHORT_ZERO
#define ZK_SHORT_ZERO(p, len) (ZK_SHORT_OR(p, len) == 0)
#endif
#ifndef ZK_STREAM_UNROLL
#define ZK_STREAM_UNROLL ZK_UNROLL
#endif
#define ZK_STREAM_MIN ZC_ZERO_STREAM_MIN

/* Every kernel starts on a cache line, so where its loops fall relative to
 * 32/64-byte fetch boundaries does not depend on link order: identical
 * avx2 and avx512_256 loops measured up to 30% apart on short hot buffers
 * before. */
#define ZK_ALIGN __attribute__((aligned(64)))
#define ZK_CAT_(a, b) a##b
#define ZK_CAT(a, b) ZK_CAT_(a, b)
#define ZK_FN(prefix) ZK_CAT(prefix, ZK_ISA)

#if (ZK_UNROLL != 4 && ZK_UNROLL != 8) || (ZK_STREAM_UNROLL != 4 && ZK_STREAM_UNROLL != 8)
#error "ZK_UNROLL and ZK_STREAM_UNROLL must be 4 or 8"
#endif

/* OR of n (4 or 8, a constant once inlined) aligned vectors as a tree. */
ZK_TARGET static inline ZK_VEC ZK_FN(zk_block_)(const unsigned char *s, unsigned n)
{
    ZK_VEC a = ZK_OR(ZK_LOADA(s), ZK_LOADA(s + ZK_BYTES));
    ZK_VEC b = ZK_OR(ZK_LOADA(s + 2 * ZK_BYTES), ZK_LOADA(s + 3 * ZK_BYTES));
    if (n == 8) {
        a = ZK_OR(a, ZK_OR(ZK_LOADA(s + 4 * ZK_BYTES), ZK_LOADA(s + 5 * ZK_BYTES)));
        b = ZK_OR(b, ZK_OR(ZK_LOADA(s + 6 * ZK_BYTES), ZK_LOADA(s + 7 * ZK_BYTES)));
    }
    return ZK_OR(a, b);
}

/* The aligned body [*s, *e) of a buffer of at least one vector: the first
 * and last vector, loaded unaligned, cover what lies outside it. */
static inline void ZK_FN(zk_body_)(const unsigned char *p, size_t len, const unsigned char **s,
                                   const unsigned char **e)
{
    const uintptr_t mask = ZK_BYTES - 1;
    *s = (const unsigned char *)(((uintptr_t)p + mask) & ~mask);
    *e = (const unsigned char *)(((uintptr_t)p + len) & ~mask);
}

ZK_TARGET ZK_ALIGN bool ZK_FN(zc_zero_)(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (len < ZK_BYTES)
        return ZK_SHORT_ZERO(p, len);
    if (!ZK_TESTZ(ZK_LOADU(p)))
        return false;
    const unsigned char *s, *e;
    ZK_FN(zk_body_)(p, len, &s, &e);
    if (ZK_STREAM_UNROLL != ZK_UNROLL && len >= ZK_STREAM_MIN)
        for (; e - s >= ZK_STREAM_UNROLL * ZK_BYTES; s += ZK_STREAM_UNROLL * ZK_BYTES)
            if (!ZK_TESTZ(ZK_FN(zk_block_)(s, ZK_STREAM_UNROLL)))
                return false;
    for (; e - s >= ZK_UNROLL * ZK_BYTES; s += ZK_UNROLL * ZK_BYTES)
        if (!ZK_TESTZ(ZK_FN(zk_block_)(s, ZK_UNROLL)))
            return false;
    ZK_VEC acc = ZK_ZERO();
    for (; s < e; s += ZK_BYTES)
        acc = ZK_OR(acc, ZK_LOADA(s));
    return ZK_TESTZ(ZK_OR(acc, ZK_LOADU(p + len - ZK_BYTES)));
}

ZK_TARGET ZK_ALIGN uint64_t ZK_FN(zc_read_or_)(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (len < ZK_BYTES)
        return ZK_SHORT_OR(p, len);
    ZK_VEC acc = ZK_LOADU(p);
    const unsigned char *s, *e;
    ZK_FN(zk_body_)(p, len, &s, &e);
    if (ZK_STREAM_UNROLL != ZK_UNROLL && len >= ZK_STREAM_MIN)
        for (; e - s >= ZK_STREAM_UNROLL * ZK_BYTES; s += ZK_STREAM_UNROLL * ZK_BYTES)
            acc = ZK_OR(acc, ZK_FN(zk_block_)(s, ZK_STREAM_UNROLL));
    for (; e - s >= ZK_UNROLL * ZK_BYTES; s += ZK_UNROLL * ZK_BYTES)
        acc = ZK_OR(acc, ZK_FN(zk_block_)(s, ZK_UNROLL));
    for (; s < e; s += ZK_BYTES)
        acc = ZK_OR(acc, ZK_LOADA(s));
    return ZK_FOLD(ZK_OR(acc, ZK_LOADU(p + len - ZK_BYTES)));
}

#undef ZK_SHORT_ZERO
#undef ZK_STREAM_UNROLL
#undef ZK_STREAM_MIN
#undef ZK_ALIGN
#undef ZK_CAT_
#undef ZK_CAT
#undef ZK_FN

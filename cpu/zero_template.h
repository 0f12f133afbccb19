/* Internal: the zero-check kernel and its read-bandwidth twin, instantiated
 * once per ISA by cpu/zero_<isa>.c (no include guard on purpose). The
 * includer defines:
 *   ZK_ISA           suffix of the generated zc_zero_<isa>/zc_read_or_<isa>
 *   ZK_TARGET        function attribute selecting the ISA (may be empty)
 *   ZK_VEC, ZK_BYTES the vector type and its width (a power of two)
 *   ZK_UNROLL        vectors per block of the main loop: 4 or 8
 *   ZK_STREAM_UNROLL optional, 4 or 8: vectors per block instead, for buffers
 *                    of ZK_STREAM_MIN bytes and more (defaults to ZK_UNROLL)
 *   ZK_LOADU(p), ZK_LOADA(p), ZK_OR(a, b), ZK_TESTZ(v) (true when v == 0),
 *   ZK_FOLD(v)       (uint64_t OR of the lanes)
 *   ZK_SHORT_OR(p, len) OR of a buffer shorter than ZK_BYTES, in bounds
 *   ZK_SHORT_ZERO(p, len) optional, defaults to ZK_SHORT_OR(p, len) == 0
 *
 * Layout, by length (B = ZK_BYTES, U = ZK_UNROLL):
 *   len < B          the includer's short path
 *   B <= len <= U*B  2, 4 or 8 unaligned vectors from the two ends,
 *                    overlapping in the middle, ORed and tested once: no
 *                    loop, no alignment arithmetic, one straight path per
 *                    size class (the hot 64-256 B cases)
 *   len > U*B        the first vector, unaligned, tested alone (the early
 *                    exit: one load); then the aligned body from the first
 *                    aligned address after it, in blocks of U vectors ORed
 *                    in one chain and tested once each, two blocks per loop
 *                    turn and one more block if it fits; then the U-1
 *                    aligned vectors below the aligned end and the last
 *                    vector, unaligned, tested once. That last group
 *                    overlaps the body instead of a loop of single vectors
 *                    finishing it (as QEMU's buffer_is_zero does).
 * Every load lies inside the buffer; the body is read front to back so the
 * hardware stream prefetchers see one ascending stream. Why this shape:
 * docs/PERFORMANCE.md, "CPU kernels". */
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

/* OR of n (4 or 8, a constant once inlined) aligned vectors in one chain,
 * each OR taking its load as a memory operand: 8 instructions for 8 loads
 * where a tree takes 11. GCC would rebalance the chain into a tree; the
 * kernels are built with -fno-tree-reassoc (cpu/CMakeLists.txt). */
ZK_TARGET static inline ZK_VEC ZK_FN(zk_block_)(const unsigned char *s, unsigned n)
{
    ZK_VEC v = ZK_LOADA(s);
    for (unsigned i = 1; i < n; i++)
        v = ZK_OR(v, ZK_LOADA(s + i * ZK_BYTES));
    return v;
}

/* OR of the U-1 aligned vectors just below e. */
ZK_TARGET static inline ZK_VEC ZK_FN(zk_below_)(const unsigned char *e)
{
    const unsigned char *s = e - 3 * ZK_BYTES;
    ZK_VEC v = ZK_OR(ZK_OR(ZK_LOADA(s), ZK_LOADA(s + ZK_BYTES)), ZK_LOADA(s + 2 * ZK_BYTES));
    return ZK_UNROLL == 8 ? ZK_OR(v, ZK_FN(zk_block_)(e - 7 * ZK_BYTES, 4)) : v;
}

/* OR of n (1, 2 or 4, a constant once inlined) unaligned vectors from
 * each end, p forwards and t (the last vector) backwards: a buffer of
 * B <= len <= 2*n*B, read with overlap in the middle and no loop. */
ZK_TARGET static inline ZK_VEC ZK_FN(zk_ends_)(const unsigned char *p, const unsigned char *t,
                                               unsigned n)
{
    ZK_VEC v = ZK_OR(ZK_LOADU(p), ZK_LOADU(t));
    for (unsigned i = 1; i < n; i++)
        v = ZK_OR(v, ZK_OR(ZK_LOADU(p + i * ZK_BYTES), ZK_LOADU(t - i * ZK_BYTES)));
    return v;
}

/* Returns finish(OR of the buffer) for B <= len <= U*B: one straight path
 * per size class, each with its own finish (no merge before the test). */
#define ZK_RETURN_ENDS(p, len, finish)                                                           \
    do {                                                                                          \
        const unsigned char *t_ = (p) + (len) - ZK_BYTES;                                         \
        if ((len) <= 2 * ZK_BYTES)                                                                \
            return finish(ZK_FN(zk_ends_)(p, t_, 1));                                             \
        if (ZK_UNROLL == 4 || (len) <= 4 * ZK_BYTES)                                              \
            return finish(ZK_FN(zk_ends_)(p, t_, 2));                                             \
        return finish(ZK_FN(zk_ends_)(p, t_, 4));                                                 \
    } while (0)

/* The aligned body of a buffer of at least U*B bytes: from *s, the first
 * aligned address after the first vector, to *e, the aligned address at or
 * below the last byte ([*e, end of buffer) lies inside the last vector). */
static inline void ZK_FN(zk_body_)(const unsigned char *p, size_t len, const unsigned char **s,
                                   const unsigned char **e)
{
    const uintptr_t mask = ZK_BYTES - 1;
    *s = (const unsigned char *)(((uintptr_t)p + ZK_BYTES) & ~mask);
    *e = (const unsigned char *)(((uintptr_t)p + len - 1) & ~mask);
}

/* True when a block of n bytes from the aligned s ends at or before the
 * aligned e. Compared as signed integers so that e - (n - B) cannot wrap:
 * user-space addresses on x86-64 lie in the lower half of the address
 * space, so they are non-negative and the difference is merely negative
 * when no block fits. Against a limit computed once, the loop costs one
 * compare per block pair (s + (n - B) < e costs two). */
#define ZK_FITS(s, e, n) ((intptr_t)(s) < (intptr_t)(e) - (intptr_t)((n) - ZK_BYTES))

#define ZK_BLOCK_BYTES (ZK_UNROLL * ZK_BYTES)
#define ZK_STREAM_BYTES (ZK_STREAM_UNROLL * ZK_BYTES)

/* After the loops less than one block is left before e; the U-1 vectors
 * below e and the last vector cover it. Large buffers are the likely case
 * (a page), so they take the fall-through path. */
ZK_TARGET ZK_ALIGN bool ZK_FN(zc_zero_)(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (__builtin_expect(len > ZK_BLOCK_BYTES, 1)) {
        if (!ZK_TESTZ(ZK_LOADU(p)))
            return false;
        const unsigned char *s, *e;
        ZK_FN(zk_body_)(p, len, &s, &e);
        if (ZK_STREAM_UNROLL != ZK_UNROLL && len >= ZK_STREAM_MIN)
            for (; ZK_FITS(s, e, ZK_STREAM_BYTES); s += ZK_STREAM_BYTES)
                if (!ZK_TESTZ(ZK_FN(zk_block_)(s, ZK_STREAM_UNROLL)))
                    return false;
        for (; ZK_FITS(s, e, 2 * ZK_BLOCK_BYTES); s += 2 * ZK_BLOCK_BYTES) {
            if (!ZK_TESTZ(ZK_FN(zk_block_)(s, ZK_UNROLL)))
                return false;
            if (!ZK_TESTZ(ZK_FN(zk_block_)(s + ZK_BLOCK_BYTES, ZK_UNROLL)))
                return false;
        }
        if (ZK_FITS(s, e, ZK_BLOCK_BYTES) && !ZK_TESTZ(ZK_FN(zk_block_)(s, ZK_UNROLL)))
            return false;
        return ZK_TESTZ(ZK_OR(ZK_FN(zk_below_)(e), ZK_LOADU(p + len - ZK_BYTES)));
    }
    if (len < ZK_BYTES)
        return ZK_SHORT_ZERO(p, len);
    ZK_RETURN_ENDS(p, len, ZK_TESTZ);
}

ZK_TARGET ZK_ALIGN uint64_t ZK_FN(zc_read_or_)(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (len < ZK_BYTES)
        return ZK_SHORT_OR(p, len);
    if (len <= ZK_BLOCK_BYTES)
        ZK_RETURN_ENDS(p, len, ZK_FOLD);
    ZK_VEC acc = ZK_LOADU(p);
    const unsigned char *s, *e;
    ZK_FN(zk_body_)(p, len, &s, &e);
    if (ZK_STREAM_UNROLL != ZK_UNROLL && len >= ZK_STREAM_MIN)
        for (; ZK_FITS(s, e, ZK_STREAM_BYTES); s += ZK_STREAM_BYTES)
            acc = ZK_OR(acc, ZK_FN(zk_block_)(s, ZK_STREAM_UNROLL));
    for (; ZK_FITS(s, e, ZK_BLOCK_BYTES); s += ZK_BLOCK_BYTES)
        acc = ZK_OR(acc, ZK_FN(zk_block_)(s, ZK_UNROLL));
    acc = ZK_OR(acc, ZK_FN(zk_below_)(e));
    return ZK_FOLD(ZK_OR(acc, ZK_LOADU(p + len - ZK_BYTES)));
}

#undef ZK_SHORT_ZERO
#undef ZK_STREAM_UNROLL
#undef ZK_STREAM_MIN
#undef ZK_ALIGN
#undef ZK_CAT_
#undef ZK_CAT
#undef ZK_FN
#undef ZK_BLOCK_BYTES
#undef ZK_STREAM_BYTES
#undef ZK_FITS
#undef ZK_RETURN_ENDS

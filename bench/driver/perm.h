/* A bijection on [0, n) that scatters consecutive indices: which pages are
 * non-zero, and the order in which migrate visits dirty pages, without a
 * per-page table (the driver's memory bound is one byte per page). */
#ifndef ZCB_PERM_H
#define ZCB_PERM_H

#include <stdint.h>

struct zcb_perm {
    uint64_t n, mul, add;
};

static inline uint64_t zcb_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static inline uint64_t zcb_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* mul is coprime with n, near n times the golden ratio so neighbours land far apart. */
static inline struct zcb_perm zcb_perm_make(uint64_t n, uint64_t seed)
{
    struct zcb_perm p = {n ? n : 1, 1, 0};
    uint64_t m = (uint64_t)((double)p.n * 0.6180339887) | 1;
    while (m > 1 && zcb_gcd(m, p.n) != 1)
        m++;
    p.mul = m % p.n ? m % p.n : 1;
    p.add = zcb_mix(seed) % p.n;
    return p;
}

static inline uint64_t zcb_perm_at(const struct zcb_perm *p, uint64_t i)
{
    return (uint64_t)(((unsigned __int128)p->mul * i + p->add) % p->n);
}

#endif

/* Buffers under test: allocated (bound per --numa), prefaulted, filled from
 * the zero ratio and --nonzero-at, with the CPU oracle's answer per page. */
#ifndef ZCB_BUFFERS_H
#define ZCB_BUFFERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zcb_fill {
    size_t len, gran;
    double zero_ratio;
    int nonzero_at;   /* enum zcb_nonzero_at */
    unsigned seed;
    char numa[32];
    int backing;      /* enum zcb_backing */
};

struct zcb_buffer {
    struct zcb_fill fill;
    uint8_t *data;
    size_t pages;
    uint64_t *oracle;   /* bit i set: page i is all zero, by the CPU oracle */
    size_t oracle_zero; /* pages the oracle found zero */
};

/* The buffer for `fill` in one of ZCB_BUFFER_SLOTS reusable slots: kept when
 * the same fill is asked again (cases differing only in backend share it),
 * else replaced. NULL + zc_last_error() on failure. */
enum { ZCB_SLOT_DATA, ZCB_SLOT_PARTNER, ZCB_BUFFER_SLOTS };
const struct zcb_buffer *zcb_buffer_get(int slot, const struct zcb_fill *fill);
/* How many of `pages` pages a fill with zero_ratio makes non-zero. */
uint64_t zcb_nonzero_pages(size_t pages, double zero_ratio);
void zcb_buffers_release(void);
/* Frees one slot's buffer (a case that does not use it). */
void zcb_buffer_release_slot(int slot);

static inline bool zcb_oracle_zero(const struct zcb_buffer *b, size_t page)
{
    return b->oracle[page / 64] >> (page % 64) & 1;
}
/* Index of the first page whose answer differs from the oracle, or SIZE_MAX. */
size_t zcb_first_mismatch(const struct zcb_buffer *b, const bool *zero);
/* Evicts [p, p+len) from every cache level (cold-cache passes). */
void zcb_flush(const void *p, size_t len);

#endif

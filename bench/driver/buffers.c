#include "buffers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <zc/cpu.h>

#include "dsa/error.h"
#include "options.h"
#include "perm.h"
#include "placement.h"

static struct zcb_buffer slots[ZCB_BUFFER_SLOTS];

static void release(struct zcb_buffer *b)
{
    zcb_free_bound(b->data, b->fill.len, b->fill.numa, b->fill.backing);
    free(b->oracle);
    memset(b, 0, sizeof *b);
}

void zcb_buffer_release_slot(int slot) { release(&slots[slot]); }

void zcb_buffers_release(void)
{
    for (int i = 0; i < ZCB_BUFFER_SLOTS; i++)
        release(&slots[i]);
}

static size_t nonzero_offset(int at, size_t gran, uint64_t h)
{
    switch (at) {
    case ZCB_NZ_FIRST: return 0;
    case ZCB_NZ_MIDDLE: return gran / 2;
    case ZCB_NZ_LAST: return gran - 1;
    default: return h % gran;
    }
}

uint64_t zcb_nonzero_pages(size_t pages, double zero_ratio)
{
    return (uint64_t)llround((1.0 - zero_ratio) * (double)pages);
}

/* Exactly zcb_nonzero_pages() pages get one non-zero byte. */
static void fill_pages(struct zcb_buffer *b)
{
    const struct zcb_fill *f = &b->fill;
    memset(b->data, 0, f->len); /* prefault: every page backed before timing */
    uint64_t nonzero = zcb_nonzero_pages(b->pages, f->zero_ratio);
    struct zcb_perm perm = zcb_perm_make(b->pages, f->seed);
    for (size_t p = 0; p < b->pages; p++) {
        if (zcb_perm_at(&perm, p) >= nonzero)
            continue;
        uint64_t h = zcb_mix(p ^ ((uint64_t)f->seed << 32));
        b->data[p * f->gran + nonzero_offset(f->nonzero_at, f->gran, h)] = (uint8_t)(1 + (h >> 8) % 255);
    }
}

static int run_oracle(struct zcb_buffer *b)
{
    zc_zero_fn oracle = zc_cpu_find("u64");
    if (!oracle)
        return zc_fail(ENOSYS, "the CPU oracle (variant u64) is not available");
    b->oracle = calloc((b->pages + 63) / 64, sizeof *b->oracle);
    if (!b->oracle)
        return zc_fail(ENOMEM, "out of memory for the oracle map of %zu pages", b->pages);
    for (size_t p = 0; p < b->pages; p++)
        if (oracle(b->data + p * b->fill.gran, b->fill.gran)) {
            b->oracle[p / 64] |= 1ull << (p % 64);
            b->oracle_zero++;
        }
    return 0;
}

static bool same_fill(const struct zcb_fill *a, const struct zcb_fill *b)
{
    return a->len == b->len && a->gran == b->gran && a->zero_ratio == b->zero_ratio &&
           a->nonzero_at == b->nonzero_at && a->seed == b->seed && strcmp(a->numa, b->numa) == 0 &&
           a->backing == b->backing;
}

const struct zcb_buffer *zcb_buffer_get(int slot, const struct zcb_fill *fill)
{
    struct zcb_buffer *b = &slots[slot];
    if (b->data && same_fill(&b->fill, fill))
        return b;
    release(b);
    b->fill = *fill;
    b->pages = fill->len / fill->gran;
    b->data = zcb_alloc_bound(fill->len, fill->numa, fill->backing);
    if (!b->data) {
        memset(b, 0, sizeof *b);
        return NULL;
    }
    fill_pages(b);
    if (run_oracle(b) != 0) {
        release(b);
        return NULL;
    }
    return b;
}

size_t zcb_first_mismatch(const struct zcb_buffer *b, const bool *zero)
{
    for (size_t p = 0; p < b->pages; p++)
        if (zero[p] != zcb_oracle_zero(b, p))
            return p;
    return SIZE_MAX;
}

void zcb_flush(const void *p, size_t len)
{
    const char *c = p;
    for (size_t off = 0; off < len; off += 64)
        _mm_clflush(c + off);
    _mm_mfence();
}

/* Differential test of the emu device model (dsa/emu/) against the
 * reference model of emu_reference.c (written from the semantics as plain
 * byte loops; the sources are named there). Random descriptors of every
 * operation the model executes: COMPVAL, COMPARE, MEMMOVE (overlapping
 * either way), FILL, DUALCAST, CRCGEN and COPY_CRC with their flags,
 * CREATE DELTA (with overflow) and APPLY DELTA (with bad records), CFLUSH,
 * NOOP, DRAIN; the check-result flag with expected results; invalid flags
 * and the other error statuses. Sizes 1 byte to 64 KiB at every alignment,
 * random patterns and mismatch positions, faults on random pages of the
 * buffers (PROT_NONE, PROT_READ, unmapped), with and without block-on-
 * fault; plain and in batches of random composition (fences, members
 * without records, unreadable or misaligned descriptor lists). Every
 * completion record is compared field by field, and every byte of the
 * buffers involved with 64 guard bytes either side (destination bytes,
 * delta records, untouched sources).
 *
 * Slices, one cmocka test each: plain (emu:engines=0, --count descriptors
 * of each operation), batch (engines=0, about count/4 members of each),
 * plain-threaded and batch-threaded (emu:engines=2,mode=shared, a tenth of
 * those). ctest runs the default seed and count; each case is generated
 * from (seed, slice, index) alone.
 *
 * Usage: dsa_test_emu_diff [--seed N|random] [--count N] [--replay SLICE:INDEX]
 *   --seed     default 1; "random" picks one and prints it
 *   --count    descriptors per operation in the plain slice (default 2000;
 *              issue 14's done-when check is --count 100000)
 *   --replay   reruns one case, printing its descriptors, both records and
 *              the first differing byte: every mismatch prints this command,
 *              e.g. dsa_test_emu_diff --seed 1 --replay plain:1234
 *   ZC_DIFF_SEED and ZC_DIFF_COUNT set seed and count too (options win).
 * Per slice it prints, for each operation, the descriptors run, how many
 * differed and in which fields. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "dsa_test_util.h"
#include "emu_reference.h"

#define MAX_LEN 65536u
#define MAX_MEMBERS 12u
#define GUARD 64u
#define SLAB_PAGES 56u /* room for two overlapping 64 KiB buffers and guard pages */
#define SLAB ((uint64_t)SLAB_PAGES * PAGE)
#define ENTRY 10u /* delta record entry: 2-byte word index, 8 data bytes */

enum slab { SA, SB, SC, SD, NSLAB }; /* four buffers per batch member */

static uint64_t opt_seed = 1, opt_count = 2000;
static const char *opt_replay_slice;
static uint64_t opt_replay_index;

/* --- random numbers --------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd(struct rng *g) { return splitmix(&g->s); }
static uint64_t below(struct rng *g, uint64_t n) { return n ? rnd(g) % n : 0; }
static bool chance(struct rng *g, unsigned percent) { return below(g, 100) < percent; }

static void random_bytes(struct rng *g, uint8_t *p, uint64_t len)
{
    for (uint64_t i = 0; i < len; i += 8) {
        uint64_t v = rnd(g);
        memcpy(p + i, &v, len - i < 8 ? len - i : 8);
    }
}

/* --- memory: the arena the device sees and its shadow ------------------
 * Every case writes its buffers in the shadow, copies them to the arena,
 * then protects or unmaps its fault pages. The emu runs on the arena, the
 * reference on the shadow; afterwards both must agree byte for byte. */

static uint8_t *arena, *shadow_mem;
static size_t arena_len;

static uint64_t slab_at(unsigned slot, enum slab s)
{
    return addr(arena) + ((uint64_t)slot * NSLAB + s) * SLAB;
}

static uint64_t list_slab(void) { return addr(arena) + (uint64_t)MAX_MEMBERS * NSLAB * SLAB; }

static uint8_t *sh(uint64_t a) { return shadow_mem + (a - addr(arena)); }
static uint8_t *mem(uint64_t a) { return (uint8_t *)(uintptr_t)a; }

static void arena_init(void)
{
    arena_len = ((size_t)MAX_MEMBERS * NSLAB + 1) * SLAB;
    arena = mmap(NULL, arena_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    shadow_mem = mmap(NULL, arena_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED || shadow_mem == MAP_FAILED) {
        fprintf(stderr, "dsa_test_emu_diff: cannot map %zu bytes\n", 2 * arena_len);
        exit(1);
    }
}

/* --- cases ---------------------------------------------------------------- */

static const char *const fault_names[] = {"prot_none", "unmapped", "read_only"};

struct window {
    uint64_t addr, len;
    unsigned owner; /* the member whose buffer it is */
};

struct kase {
    const char *slice;
    uint64_t index;
    bool batch;
    struct dsa_hw_desc bd; /* the BATCH descriptor */
    struct dsa_hw_desc m[MAX_MEMBERS];
    unsigned n, cur; /* members; the one being generated */
    struct ref_fault f[2 * MAX_MEMBERS + 1];
    unsigned nf;
    struct window w[5 * MAX_MEMBERS];
    unsigned nw;
};

/* Records: member i writes rec[i], the batch rec[MAX_MEMBERS]. */
static _Alignas(32) struct dsa_completion_record emu_rec[MAX_MEMBERS + 1];
static struct dsa_completion_record ref_rec[MAX_MEMBERS + 1];

static void add_window(struct kase *k, uint64_t a, uint64_t len)
{
    k->w[k->nw++] = (struct window){a - GUARD, len + 2 * GUARD, k->cur};
}

/* A fault on the page holding a random byte of [a, a + len). */
static void add_fault(struct kase *k, struct rng *g, uint64_t a, uint64_t len)
{
    uint64_t page = (a + below(g, len)) & ~(uint64_t)(PAGE - 1);
    for (unsigned i = 0; i < k->nf; i++)
        if (k->f[i].page == page)
            return;
    k->f[k->nf++] = (struct ref_fault){page, (enum ref_fault_kind)below(g, 3)};
}

/* --- generating cases ------------------------------------------------ */

static const unsigned plain_ops[] = {
    DSA_OPCODE_COMPVAL, DSA_OPCODE_COMPARE, DSA_OPCODE_MEMMOVE, DSA_OPCODE_MEMFILL,
    DSA_OPCODE_DUALCAST, DSA_OPCODE_CRCGEN, DSA_OPCODE_COPY_CRC, DSA_OPCODE_CR_DELTA,
    DSA_OPCODE_AP_DELTA, DSA_OPCODE_CFLUSH, DSA_OPCODE_NOOP, DSA_OPCODE_DRAIN};
#define NOPS (sizeof plain_ops / sizeof plain_ops[0])

static const char *op_name(unsigned op)
{
    switch (op) {
    case DSA_OPCODE_NOOP: return "NOOP";
    case DSA_OPCODE_BATCH: return "BATCH";
    case DSA_OPCODE_DRAIN: return "DRAIN";
    case DSA_OPCODE_MEMMOVE: return "MEMMOVE";
    case DSA_OPCODE_MEMFILL: return "FILL";
    case DSA_OPCODE_COMPARE: return "COMPARE";
    case DSA_OPCODE_COMPVAL: return "COMPVAL";
    case DSA_OPCODE_CR_DELTA: return "CREATE_DELTA";
    case DSA_OPCODE_AP_DELTA: return "APPLY_DELTA";
    case DSA_OPCODE_DUALCAST: return "DUALCAST";
    case DSA_OPCODE_CRCGEN: return "CRCGEN";
    case DSA_OPCODE_COPY_CRC: return "COPY_CRC";
    case DSA_OPCODE_CFLUSH: return "CFLUSH";
    default: return "?";
    }
}

/* 1 byte to 64 KiB: tiny, page multiples and the largest often, otherwise
 * spread evenly over the powers of two. */
static uint32_t pick_len(struct rng *g)
{
    switch (below(g, 10)) {
    case 0: return (uint32_t)(1 + below(g, 24));
    case 1: return MAX_LEN - (uint32_t)below(g, 2) * (uint32_t)below(g, 9);
    case 2: return (uint32_t)((1 + below(g, 16)) * PAGE - below(g, 9));
    default: {
        unsigned b = (unsigned)below(g, 16);
        return (1u << b) + (uint32_t)below(g, 1u << b);
    }
    }
}

/* A buffer at any alignment within the first pages of a slab (never on
 * its first or last page: those hold guard bytes only). */
static uint64_t place(struct rng *g, unsigned slot, enum slab s, bool aligned8)
{
    uint64_t off = PAGE + below(g, 3 * PAGE);
    return slab_at(slot, s) + (aligned8 ? off & ~7ull : off);
}

/* Changes 1-3 bytes, often in the last word or the last byte. */
static void spoil(struct rng *g, uint8_t *p, uint64_t len)
{
    for (unsigned n = 1 + (unsigned)below(g, 3); n--;) {
        uint64_t pos;
        switch (below(g, 4)) {
        case 0: pos = len - 1; break;
        case 1: pos = len - 1 - below(g, len < 8 ? len : 8); break;
        default: pos = below(g, len); break;
        }
        p[pos] ^= (uint8_t)(1 + below(g, 255));
    }
}

static uint64_t pick_pattern(struct rng *g)
{
    switch (below(g, 4)) {
    case 0: case 1: return 0; /* the zero check */
    case 2: return 0x0101010101010101ull * (uint8_t)rnd(g);
    default: return rnd(g);
    }
}

static void add_random(struct kase *k, struct rng *g, uint64_t a, uint64_t len)
{
    random_bytes(g, sh(a), len);
    add_window(k, a, len);
}

static void gen_compare(struct kase *k, struct rng *g, unsigned slot, struct dsa_hw_desc *d)
{
    uint64_t len = d->xfer_size;
    d->src_addr = place(g, slot, SA, false);
    uint8_t *s = sh(d->src_addr);
    if (d->opcode == DSA_OPCODE_COMPVAL) {
        d->comp_pattern = pick_pattern(g);
        uint64_t p = d->comp_pattern;
        for (uint64_t i = 0; i < len; i++)
            s[i] = ((const uint8_t *)&p)[i % 8];
    } else {
        d->src2_addr = place(g, slot, SB, false);
        random_bytes(g, s, len);
        memcpy(sh(d->src2_addr), s, len);
        add_window(k, d->src2_addr, len);
    }
    add_window(k, d->src_addr, len);
    if (chance(g, 60))
        spoil(g, d->opcode == DSA_OPCODE_COMPARE && chance(g, 50) ? sh(d->src2_addr) : s, len);
    if (chance(g, 30)) {
        d->flags |= IDXD_OP_FLAG_CR;
        d->expected_res = chance(g, 5) ? (uint8_t)rnd(g) : (uint8_t)below(g, 2);
    }
}

static void gen_memmove(struct kase *k, struct rng *g, unsigned slot, struct dsa_hw_desc *d)
{
    uint64_t len = d->xfer_size;
    if (chance(g, 40)) { /* overlapping, either way, or just touching */
        d->src_addr = slab_at(slot, SA) + 18 * PAGE + below(g, PAGE);
        int64_t shift = (int64_t)below(g, 2 * len + 3) - (int64_t)len - 1;
        d->dst_addr = (uint64_t)((int64_t)d->src_addr + shift);
    } else {
        d->src_addr = place(g, slot, SA, false);
        d->dst_addr = place(g, slot, SB, false);
    }
    add_random(k, g, d->src_addr, len);
    add_random(k, g, d->dst_addr, len);
}

static void gen_dualcast(struct kase *k, struct rng *g, unsigned slot, struct dsa_hw_desc *d)
{
    uint64_t len = d->xfer_size;
    d->src_addr = place(g, slot, SA, false);
    d->dst_addr = place(g, slot, SB, false);
    d->dest2 = slab_at(slot, SC) + (d->dst_addr - slab_at(slot, SB)); /* same bits 11:0 */
    if (chance(g, 3))
        d->dest2 += 1 + below(g, PAGE - 1); /* DCAST_ERR */
    else if (chance(g, 3) && len > PAGE)
        d->dest2 = d->dst_addr + PAGE; /* overlapping destinations */
    add_random(k, g, d->src_addr, len);
    add_random(k, g, d->dst_addr, len);
    add_random(k, g, d->dest2, len);
}

static void gen_crc(struct kase *k, struct rng *g, unsigned slot, struct dsa_hw_desc *d)
{
    uint64_t len = d->xfer_size;
    d->src_addr = place(g, slot, SA, false);
    add_random(k, g, d->src_addr, len);
    if (d->opcode == DSA_OPCODE_COPY_CRC) {
        d->dst_addr = chance(g, 3) ? d->src_addr + below(g, len) : place(g, slot, SB, false);
        add_random(k, g, d->dst_addr, len);
    }
    d->flags |= (uint32_t)below(g, 8) << 16; /* read seed, bypass inversion, bypass reflection */
    d->crc_seed = chance(g, 30) ? 0 : (uint32_t)rnd(g);
    if (d->flags & REF_CRC_READ_SEED) {
        /* On a page the fault lottery may pick; sometimes not 4-byte
         * aligned, an error. */
        uint64_t seed_page = slab_at(slot, SD) + PAGE * (1 + below(g, 2));
        d->seed_addr = seed_page + below(g, PAGE / 4) * 4 + (chance(g, 20) ? 1 + below(g, 3) : 0);
        add_random(k, g, d->seed_addr, 4);
    }
}

static void gen_create_delta(struct kase *k, struct rng *g, unsigned slot, struct dsa_hw_desc *d)
{
    uint64_t len = d->xfer_size, words = len / 8;
    d->src_addr = place(g, slot, SA, true);
    d->src2_addr = place(g, slot, SB, true);
    d->delta_addr = place(g, slot, SC, true);
    add_random(k, g, d->src_addr, len);
    memcpy(sh(d->src2_addr), sh(d->src_addr), len);
    add_window(k, d->src2_addr, len);
    uint64_t diffs = chance(g, 20) ? 0 : chance(g, 50) ? 1 + below(g, 5) : below(g, words + 1);
    for (uint64_t i = 0; i < diffs && words; i++)
        sh(d->src2_addr)[below(g, words) * 8 + below(g, 8 < len ? 8 : len)] ^= (uint8_t)(1 + below(g, 255));
    d->max_delta_size = (uint32_t)(ENTRY * (8 + below(g, diffs + 4)));
    if (chance(g, 3))
        d->max_delta_size += (uint32_t)(1 + below(g, ENTRY - 1)); /* DR_ERANGE */
    if (chance(g, 2))
        d->delta_addr = d->src_addr + 8 * below(g, words + 1); /* OVERLAP_BUFFERS, or just after */
    add_random(k, g, d->delta_addr, d->max_delta_size);
    if (chance(g, 30)) {
        d->flags |= IDXD_OP_FLAG_CR;
        d->expected_res_mask = (uint8_t)below(g, 8);
    }
}

static void gen_apply_delta(struct kase *k, struct rng *g, unsigned slot, struct dsa_hw_desc *d)
{
    uint64_t len = d->xfer_size, words = len / 8;
    d->dst_addr = place(g, slot, SB, true);
    d->src_addr = place(g, slot, SC, true); /* the delta record */
    add_random(k, g, d->dst_addr, len);
    uint64_t most = chance(g, 90) && words > 64 ? 64 : words;
    uint64_t n = 1 + below(g, most), gap = words / n;
    uint8_t *rec = sh(d->src_addr);
    for (uint64_t e = 0; e < n; e++) { /* one word index in each of n gaps: increasing */
        uint64_t w = e * gap + below(g, gap);
        rec[e * ENTRY] = (uint8_t)w;
        rec[e * ENTRY + 1] = (uint8_t)(w >> 8);
        random_bytes(g, rec + e * ENTRY + 2, 8);
    }
    if (chance(g, 4)) { /* an out-of-range or repeated index */
        uint64_t e = below(g, n), bad = chance(g, 50) ? words + below(g, 8) : 0;
        rec[e * ENTRY] = (uint8_t)bad;
        rec[e * ENTRY + 1] = (uint8_t)(bad >> 8);
    }
    d->delta_rec_size = (uint32_t)(n * ENTRY);
    add_window(k, d->src_addr, d->delta_rec_size);
    if (chance(g, 3))
        d->delta_rec_size -= (uint32_t)(1 + below(g, ENTRY - 1)); /* DR_ERANGE */
    if (chance(g, 2))
        d->src_addr = d->dst_addr; /* OVERLAP_BUFFERS */
}

static void gen_flags_lottery(struct rng *g, struct dsa_hw_desc *d)
{
    if (chance(g, 10))
        d->flags |= IDXD_OP_FLAG_BOF;
    if (chance(g, 10))
        d->flags |= IDXD_OP_FLAG_CC;
    if (chance(g, 3)) { /* a flag this opcode does not take */
        uint32_t bad[] = {0x40, IDXD_OP_FLAG_CR, 0x10000u << below(g, 8)};
        uint32_t f = bad[below(g, 3)];
        d->flags |= f & ~ref_allowed_flags(d->opcode);
    }
}

/* Member slot of the case: the descriptor, its buffers and faults. */
static void gen_member(struct kase *k, struct rng *g, unsigned slot, unsigned op)
{
    struct dsa_hw_desc *d = &k->m[slot];
    memset(d, 0, sizeof *d);
    k->cur = slot;
    d->opcode = op;
    d->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d->completion_addr = addr(&emu_rec[slot]);
    bool delta = op == DSA_OPCODE_CR_DELTA || op == DSA_OPCODE_AP_DELTA;
    uint32_t len = pick_len(g);
    if (delta && !chance(g, 3))
        len = len < 8 ? 8 : len & ~7u; /* else ADDR_ALIGN */
    d->xfer_size = chance(g, 1) ? 0 : len;
    if (d->xfer_size == 0 && op != DSA_OPCODE_NOOP && op != DSA_OPCODE_DRAIN)
        return; /* XFER_ERANGE, no buffers */
    unsigned w0 = k->nw;
    switch (op) {
    case DSA_OPCODE_COMPARE: case DSA_OPCODE_COMPVAL: gen_compare(k, g, slot, d); break;
    case DSA_OPCODE_MEMMOVE: gen_memmove(k, g, slot, d); break;
    case DSA_OPCODE_MEMFILL:
        d->pattern = pick_pattern(g);
        d->dst_addr = place(g, slot, SB, false);
        add_random(k, g, d->dst_addr, len);
        break;
    case DSA_OPCODE_DUALCAST: gen_dualcast(k, g, slot, d); break;
    case DSA_OPCODE_CRCGEN: case DSA_OPCODE_COPY_CRC: gen_crc(k, g, slot, d); break;
    case DSA_OPCODE_CR_DELTA: gen_create_delta(k, g, slot, d); break;
    case DSA_OPCODE_AP_DELTA: gen_apply_delta(k, g, slot, d); break;
    case DSA_OPCODE_CFLUSH:
        d->dst_addr = place(g, slot, SB, false);
        add_random(k, g, d->dst_addr, len);
        break;
    default: d->xfer_size = 0; break; /* NOOP, DRAIN */
    }
    if (delta && chance(g, 3))
        d->dst_addr |= 1 + below(g, 7); /* ADDR_ALIGN (or an odd source for CREATE) */
    gen_flags_lottery(g, d);
    /* Faults: a random page of one or two of the member's buffers. */
    for (unsigned tries = chance(g, 25) ? 1 + (unsigned)chance(g, 20) : 0; tries-- && k->nw > w0;) {
        const struct window *w = &k->w[w0 + below(g, k->nw - w0)];
        add_fault(k, g, w->addr + GUARD, w->len - 2 * GUARD);
    }
}

static uint64_t case_seed(const char *slice, uint64_t index)
{
    uint64_t s = opt_seed;
    for (const char *c = slice; *c; c++)
        s = s * 131 + (uint8_t)*c;
    uint64_t mix = s ^ (index * 0xd6e8feb86659fd93ull);
    return splitmix(&mix);
}

static void gen_case(struct kase *k, const char *slice, uint64_t index, bool batch)
{
    memset(k, 0, sizeof *k);
    k->slice = slice;
    k->index = index;
    k->batch = batch;
    struct rng g = {case_seed(slice, index)};
    if (!batch) {
        k->n = 1;
        gen_member(k, &g, 0, plain_ops[index % NOPS]);
        return;
    }
    k->n = 2 + (unsigned)below(&g, MAX_MEMBERS - 1);
    for (unsigned i = 0; i < k->n; i++) {
        gen_member(k, &g, i, chance(&g, 2) ? DSA_OPCODE_BATCH : plain_ops[below(&g, NOPS)]);
        if (chance(&g, 30))
            k->m[i].flags &= ~(uint32_t)IDXD_OP_FLAG_RCR;
        if (chance(&g, 10))
            k->m[i].flags |= IDXD_OP_FLAG_FENCE;
    }
    struct dsa_hw_desc *b = &k->bd;
    b->opcode = DSA_OPCODE_BATCH;
    b->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    b->completion_addr = addr(&emu_rec[MAX_MEMBERS]);
    b->desc_list_addr = list_slab() + PAGE;
    b->desc_count = k->n;
    if (chance(&g, 5)) { /* the list runs onto a page the device cannot read */
        uint64_t page = list_slab() + 2 * PAGE;
        b->desc_list_addr = page - 64 * (1 + below(&g, k->n - 1));
        k->f[k->nf++] = (struct ref_fault){page, (enum ref_fault_kind)below(&g, 2)};
    } else if (chance(&g, 2)) {
        b->desc_list_addr += 8 * (1 + below(&g, 7)); /* DESCLIST_ALIGN */
    } else if (chance(&g, 2)) {
        b->desc_count = (uint32_t)below(&g, 2); /* DESC_CNT_ERANGE */
    }
}

/* --- running a case on the model ------------------------------------------- */

static void apply_faults(const struct kase *k)
{
    for (unsigned i = 0; i < k->nf; i++) {
        void *p = mem(k->f[i].page);
        int rc = k->f[i].kind == REF_UNMAPPED ? munmap(p, PAGE)
                                            : mprotect(p, PAGE, k->f[i].kind == REF_READ_ONLY ? PROT_READ : PROT_NONE);
        if (rc)
            fail_msg("cannot protect a fault page: %s", strerror(errno));
    }
}

/* Undoes the faults and makes the arena equal to the shadow again. */
static void restore(const struct kase *k)
{
    for (unsigned i = 0; i < k->nf; i++) {
        void *p = mem(k->f[i].page);
        if (k->f[i].kind == REF_UNMAPPED) {
            if (mmap(p, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
                fail_msg("cannot map a fault page back: %s", strerror(errno));
        } else if (mprotect(p, PAGE, PROT_READ | PROT_WRITE)) {
            fail_msg("cannot unprotect a fault page: %s", strerror(errno));
        }
        memcpy(p, sh(k->f[i].page), PAGE);
    }
    for (unsigned i = 0; i < k->nw; i++)
        memcpy(mem(k->w[i].addr), sh(k->w[i].addr), k->w[i].len);
}

static void run_on_model(struct zc_dsa_wq *wq, const struct kase *k)
{
    memset(emu_rec, 0, sizeof emu_rec);
    for (unsigned i = 0; i < k->nw; i++)
        memcpy(mem(k->w[i].addr), sh(k->w[i].addr), k->w[i].len);
    if (k->batch)
        memcpy(mem(k->bd.desc_list_addr), k->m, k->n * sizeof k->m[0]);
    apply_faults(k);
    const struct dsa_hw_desc *d = k->batch ? &k->bd : &k->m[0];
    const struct dsa_completion_record *cr = k->batch ? &emu_rec[MAX_MEMBERS] : &emu_rec[0];
    if (submit(wq, d))
        fail_msg("submit: %s", zc_last_error());
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_YIELD, .timeout_ns = 10000000000ull};
    if (zc_dsa_wait(&w, cr) < 0)
        fail_msg("%s:%" PRIu64 ": no completion record within 10 s", k->slice, k->index);
}

/* --- comparing and reporting ---------------------------------------------- */

/* Per opcode; the records of BATCH descriptors themselves at BATCH_TALLY. */
struct op_tally {
    uint64_t runs, bad;
    uint64_t faults, errors, results; /* the reference's page faults, other errors, result != 0 */
    unsigned printed;
    char fields[160];
};
#define BATCH_TALLY 63
static struct op_tally tally[64];

static void describe_addr(char *out, size_t n, uint64_t a)
{
    if (a >= addr(arena) && a < addr(arena) + arena_len) {
        uint64_t off = a - addr(arena), slab = off / SLAB;
        if (slab == (uint64_t)MAX_MEMBERS * NSLAB)
            snprintf(out, n, "list+0x%" PRIx64, off % SLAB);
        else
            snprintf(out, n, "%c%" PRIu64 "+0x%" PRIx64, "ABCD"[slab % NSLAB], slab / NSLAB, off % SLAB);
    } else {
        snprintf(out, n, "0x%" PRIx64, a);
    }
}

static void print_desc(const char *who, const struct dsa_hw_desc *d)
{
    char a[4][48];
    unsigned op = d->opcode;
    printf("  %s: op=%s flags=0x%x", who, op_name(op), d->flags);
    if (op != DSA_OPCODE_BATCH)
        printf(" xfer_size=%u", d->xfer_size);
    switch (op) {
    case DSA_OPCODE_BATCH:
        describe_addr(a[0], sizeof a[0], d->desc_list_addr);
        printf(" list=%s count=%u", a[0], d->desc_count);
        break;
    case DSA_OPCODE_COMPVAL:
        describe_addr(a[0], sizeof a[0], d->src_addr);
        printf(" src=%s pattern=0x%016" PRIx64 " expected_res=%u", a[0], (uint64_t)d->comp_pattern,
               d->expected_res);
        break;
    case DSA_OPCODE_MEMFILL:
        describe_addr(a[0], sizeof a[0], d->dst_addr);
        printf(" dst=%s pattern=0x%016" PRIx64, a[0], (uint64_t)d->pattern);
        break;
    default:
        describe_addr(a[0], sizeof a[0], d->src_addr);
        describe_addr(a[1], sizeof a[1], d->dst_addr);
        describe_addr(a[2], sizeof a[2], d->delta_addr);
        describe_addr(a[3], sizeof a[3], d->seed_addr);
        printf(" src=%s dst/src2=%s", a[0], a[1]);
        if (op == DSA_OPCODE_COMPARE)
            printf(" expected_res=%u", d->expected_res);
        if (op == DSA_OPCODE_CR_DELTA)
            printf(" delta=%s max_delta_size=%u expected_res_mask=%u", a[2], d->max_delta_size,
                   d->expected_res_mask);
        if (op == DSA_OPCODE_AP_DELTA)
            printf(" delta_rec_size=%u", d->delta_rec_size);
        if (op == DSA_OPCODE_DUALCAST)
            printf(" dest2=%s", a[2]);
        if (op == DSA_OPCODE_CRCGEN || op == DSA_OPCODE_COPY_CRC)
            printf(" crc_seed=0x%x seed_addr=%s", d->crc_seed, (d->flags & REF_CRC_READ_SEED) ? a[3] : "-");
        break;
    }
    printf("\n");
}

static void print_case(const struct kase *k)
{
    printf("case %s:%" PRIu64 " (seed %" PRIu64 ")\n", k->slice, k->index, opt_seed);
    if (k->batch)
        print_desc("batch", &k->bd);
    for (unsigned i = 0; i < k->n; i++) {
        char who[24];
        snprintf(who, sizeof who, "member %u", i);
        print_desc(k->batch ? who : "descriptor", &k->m[i]);
    }
    for (unsigned i = 0; i < k->nf; i++) {
        char a[48];
        describe_addr(a, sizeof a, k->f[i].page);
        printf("  fault page %s %s\n", a, fault_names[k->f[i].kind]);
    }
}

static void print_record(const char *who, const struct dsa_completion_record *r)
{
    printf("    %-9s status=0x%02x result=%u bytes_completed=%u fault_addr=0x%" PRIx64
           " crc_val/delta_rec_size/invalid_flags=0x%" PRIx64 "\n", who, r->status, r->result,
           r->bytes_completed, (uint64_t)r->fault_addr, (uint64_t)r->crc_val);
}

/* The names of the record fields that differ ("" when none). */
static void record_diff(const struct dsa_completion_record *a, const struct dsa_completion_record *b,
                        char *out, size_t n)
{
    out[0] = 0;
    size_t used = 0;
#define FIELD(cond, name) \
    if (cond)             \
    used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s%s", used ? "," : "", name)
    FIELD(a->status != b->status, "status");
    FIELD(a->result != b->result, "result");
    FIELD(a->bytes_completed != b->bytes_completed, "bytes_completed");
    FIELD(a->fault_addr != b->fault_addr, "fault_addr");
    FIELD(a->crc_val != b->crc_val, "crc_val/delta_rec_size/invalid_flags");
    FIELD(memcmp(a, b, sizeof *a) && !used, "record bytes");
#undef FIELD
}

/* First byte where the arena and the shadow differ in window w, skipping
 * pages the case made inaccessible; -1 when none. */
static int64_t window_diff(const struct kase *k, const struct window *w)
{
    for (uint64_t a = w->addr; a < w->addr + w->len;) {
        uint64_t page = a & ~(uint64_t)(PAGE - 1), end = page + PAGE;
        end = end < w->addr + w->len ? end : w->addr + w->len;
        bool hidden = false;
        for (unsigned i = 0; i < k->nf; i++)
            hidden |= k->f[i].page == page && k->f[i].kind != REF_READ_ONLY;
        if (!hidden && memcmp(mem(a), sh(a), end - a))
            for (uint64_t b = a; b < end; b++)
                if (*mem(b) != *sh(b))
                    return (int64_t)(b - addr(arena));
        a = end;
    }
    return -1;
}

/* Adds each name of the comma-separated list to t->fields once. */
static void note(struct op_tally *t, const char *fields)
{
    char name[64];
    for (const char *p = fields; *p;) {
        size_t n = strcspn(p, ",");
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        size_t used = strlen(t->fields);
        bool seen = false;
        for (const char *q = t->fields; *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] != 0))
            seen |= strcspn(q, ",") == n && !strncmp(q, name, n);
        if (!seen && used + n + 2 < sizeof t->fields)
            snprintf(t->fields + used, sizeof t->fields - used, "%s%s", used ? "," : "", name);
        p += n + (p[n] != 0);
    }
}

/* Compares one case; true when the model agreed everywhere. */
static bool check_case(const struct kase *k, bool verbose)
{
    enum { BATCH_REC = MAX_MEMBERS };
    char diff[MAX_MEMBERS + 1][96];
    bool used[MAX_MEMBERS + 1] = {0}, any = false;
    for (unsigned i = 0; i < k->n; i++)
        used[i] = true;
    used[BATCH_REC] = k->batch;
    for (unsigned i = 0; i <= BATCH_REC; i++)
        if (used[i])
            record_diff(&emu_rec[i], &ref_rec[i], diff[i], sizeof diff[i]);
    int64_t mem_off = -1;
    unsigned mem_owner = 0;
    for (unsigned i = 0; i < k->nw && mem_off < 0; i++) {
        mem_off = window_diff(k, &k->w[i]);
        mem_owner = k->w[i].owner;
    }
    if (mem_off >= 0) {
        size_t l = strlen(diff[mem_owner]);
        snprintf(diff[mem_owner] + l, sizeof diff[0] - l, "%smemory", l ? "," : "");
    }
    for (unsigned i = 0; i <= BATCH_REC; i++) {
        if (!used[i])
            continue;
        struct op_tally *t = &tally[i == BATCH_REC ? BATCH_TALLY : k->m[i].opcode & 63];
        unsigned st = ref_rec[i].status & DSA_COMP_STATUS_MASK;
        t->runs++;
        t->faults += st == DSA_COMP_PAGE_FAULT_NOBOF || st == DSA_COMP_PAGE_FAULT_IR ||
                     st == DSA_COMP_BATCH_PAGE_FAULT;
        t->errors += st > DSA_COMP_SUCCESS_PRED && st != DSA_COMP_PAGE_FAULT_NOBOF &&
                     st != DSA_COMP_PAGE_FAULT_IR && st != DSA_COMP_BATCH_PAGE_FAULT;
        t->results += ref_rec[i].result != 0;
        if (diff[i][0]) {
            any = true;
            t->bad++;
            note(t, diff[i]);
        }
    }
    struct op_tally *first = &tally[k->m[0].opcode & 63];
    if (!verbose && (!any || first->printed++ >= 3))
        return !any;
    print_case(k);
    for (unsigned i = 0; i <= BATCH_REC; i++) {
        if (!used[i])
            continue;
        printf("  %s %u: %s\n", i == BATCH_REC ? "batch record" : "member", i,
               diff[i][0] ? diff[i] : "equal");
        if (diff[i][0] || verbose) {
            print_record("emu", &emu_rec[i]);
            print_record("reference", &ref_rec[i]);
        }
    }
    if (mem_off >= 0) {
        char a[48];
        uint64_t at = addr(arena) + (uint64_t)mem_off;
        describe_addr(a, sizeof a, at);
        printf("  memory differs first at %s: emu 0x%02x reference 0x%02x\n", a, *mem(at), *sh(at));
    }
    if (any)
        printf("  MISMATCH; replay: dsa_test_emu_diff --seed %" PRIu64 " --replay %s:%" PRIu64 "\n",
               opt_seed, k->slice, k->index);
    return !any;
}

static bool run_case(struct zc_dsa_wq *wq, const char *slice, uint64_t index, bool batch, bool verbose)
{
    static struct kase k;
    gen_case(&k, slice, index, batch);
    memset(ref_rec, 0, sizeof ref_rec);
    run_on_model(wq, &k);
    struct ref_env env = {sh, k.f, k.nf};
    if (batch)
        ref_batch(&env, &k.bd, k.m, ref_rec, &ref_rec[MAX_MEMBERS]);
    else
        ref_run(&env, &k.m[0], &ref_rec[0]);
    bool ok = check_case(&k, verbose);
    restore(&k);
    return ok;
}

/* --- slices --------------------------------------------------------------- */

struct slice {
    const char *name;
    const char *spec;
    bool batch;
    uint64_t per_op_divisor; /* cases = count * NOPS / divisor */
};

static const struct slice slices[] = {
    {"plain", "emu:engines=0,bof=1", false, 1},
    {"batch", "emu:engines=0,bof=1", true, 4 * 7}, /* 7 members on average: count/4 per op */
    {"plain-threaded", "emu:engines=2,mode=shared,bof=1", false, 10},
    {"batch-threaded", "emu:engines=2,mode=shared,bof=1", true, 10 * 4 * 7},
};

static void run_slice(const struct slice *s)
{
    struct zc_dsa_wq *wq;
    if (zc_dsa_wq_open(s->spec, &wq))
        fail_msg("open %s: %s", s->spec, zc_last_error());
    memset(tally, 0, sizeof tally);
    uint64_t cases = opt_count * NOPS / s->per_op_divisor, bad = 0;
    cases = cases ? cases : 1;
    for (uint64_t i = 0; i < cases; i++)
        bad += !run_case(wq, s->name, i, s->batch, false);
    zc_dsa_wq_close(wq);
    printf("slice %s (%s, seed %" PRIu64 "): %" PRIu64 " cases\n"
           "  %-14s %11s %8s %8s %8s %10s\n", s->name, s->spec, opt_seed, cases, "operation",
           "descriptors", "result>0", "faults", "errors", "mismatches");
    for (unsigned op = 0; op < 64; op++) {
        const struct op_tally *t = &tally[op];
        if (t->runs)
            printf("  %-14s %11" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10" PRIu64 "%s%s\n",
                   op == BATCH_TALLY ? "(batch record)" : op_name(op), t->runs, t->results,
                   t->faults, t->errors, t->bad, t->bad ? " in " : "", t->fields);
    }
    fflush(stdout);
    if (bad)
        fail_msg("slice %s: %" PRIu64 " of %" PRIu64 " cases differ from the reference", s->name, bad,
                 cases);
}

static void plain(void **state) { (void)state; run_slice(&slices[0]); }
static void batch(void **state) { (void)state; run_slice(&slices[1]); }
static void plain_threaded(void **state) { (void)state; run_slice(&slices[2]); }
static void batch_threaded(void **state) { (void)state; run_slice(&slices[3]); }

/* The reference against published values before it judges the model. */
static void reference_known_answers(void **state)
{
    (void)state;
    const uint8_t check[] = "123456789";
    assert_int_equal(ref_crc(0, 0, check, 9), 0xe3069283u); /* CRC-32C check value */
    uint32_t part = ref_crc(0, 0, check, 4); /* chainable through the seed */
    assert_int_equal(ref_crc(0, part, check + 4, 5), 0xe3069283u);
}

static int replay(void)
{
    for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++) {
        if (strcmp(slices[i].name, opt_replay_slice))
            continue;
        struct zc_dsa_wq *wq;
        if (zc_dsa_wq_open(slices[i].spec, &wq)) {
            fprintf(stderr, "dsa_test_emu_diff: open %s: %s\n", slices[i].spec, zc_last_error());
            return 1;
        }
        bool ok = run_case(wq, slices[i].name, opt_replay_index, slices[i].batch, true);
        zc_dsa_wq_close(wq);
        printf("%s\n", ok ? "match" : "MISMATCH");
        return ok ? 0 : 1;
    }
    fprintf(stderr, "dsa_test_emu_diff: --replay: unknown slice '%s' (allowed: plain, batch, "
            "plain-threaded, batch-threaded)\n", opt_replay_slice);
    return 2;
}

static bool parse_u64(const char *what, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max) {
        fprintf(stderr, "dsa_test_emu_diff: %s '%s': expected an integer 0..%" PRIu64 "\n", what, s, max);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_seed(const char *s)
{
    if (strcmp(s, "random") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        opt_seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20;
        return true;
    }
    return parse_u64("seed", s, UINT64_MAX, &opt_seed);
}

static bool parse_replay(const char *v)
{
    static char slice[32];
    const char *colon = strchr(v, ':');
    if (!colon || (size_t)(colon - v) >= sizeof slice) {
        fprintf(stderr, "dsa_test_emu_diff: --replay '%s': expected SLICE:INDEX\n", v);
        return false;
    }
    if (!parse_u64("--replay index", colon + 1, UINT64_MAX, &opt_replay_index))
        return false;
    memcpy(slice, v, (size_t)(colon - v));
    slice[colon - v] = 0;
    opt_replay_slice = slice;
    return true;
}

static bool parse_args(int argc, char **argv)
{
    const char *env = getenv("ZC_DIFF_SEED");
    if (env && !parse_seed(env))
        return false;
    env = getenv("ZC_DIFF_COUNT");
    if (env && !parse_u64("ZC_DIFF_COUNT", env, 100000000, &opt_count))
        return false;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *opt = argv[i], *v = argv[i + 1];
        bool seed = !strcmp(opt, "--seed"), count = !strcmp(opt, "--count");
        if (!seed && !count && strcmp(opt, "--replay")) {
            fprintf(stderr, "dsa_test_emu_diff: unknown option '%s' (allowed: --seed N|random, "
                    "--count N, --replay SLICE:INDEX)\n", opt);
            return false;
        }
        if (!v) {
            fprintf(stderr, "dsa_test_emu_diff: %s needs a value\n", opt);
            return false;
        }
        if (!(seed ? parse_seed(v) : count ? parse_u64("--count", v, 100000000, &opt_count) : parse_replay(v)))
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    unsetenv("ZC_EMU");
    if (!parse_args(argc, argv))
        return 2;
    arena_init();
    if (opt_replay_slice)
        return replay();
    printf("dsa_test_emu_diff: seed %" PRIu64 ", count %" PRIu64 " per operation\n", opt_seed, opt_count);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_known_answers),
        cmocka_unit_test(plain),
        cmocka_unit_test(batch),
        cmocka_unit_test(plain_threaded),
        cmocka_unit_test(batch_threaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

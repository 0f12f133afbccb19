/* The model's execution of one descriptor: validation, the page walk and
 * the operation itself, producing the completion record the device would.
 *
 * The results follow Intel DML's reference kernels (sources/core/src/
 * sw_dispatcher/ref/), which DML's job API tests expect of its hardware
 * path too: e.g. a difference's bytes_completed is byte-exact for COMPARE,
 * 8-byte granular in COMPVAL's body and exact in its tail
 * (difference_offset).
 * tests/dsa/test_emu_diff.c checks every operation against a reference
 * model written from these semantics.
 *
 * Where the public material is silent the choice is documented here:
 * - Check result (CR) flag: status DSA_COMP_SUCCESS when the result equals
 *   expected_res, DSA_COMP_SUCCESS_PRED otherwise (Intel DML, sources/core/
 *   src/compare.cpp, the software path of the same descriptors). For
 *   CR_DELTA expected_res_mask has one bit per result value (bit r set:
 *   result r expected), which agrees with DML's create_delta.cpp for every
 *   one-bit mask, 0 and 0b111.
 * - CRC: CRC-32C, seed inverted on entry and result inverted on exit with
 *   reflected data, so a CRC over A||B equals the CRC of B seeded with the
 *   CRC of A; the bypass flags drop the inversion/reversal or the data
 *   reflection as DML's crc.cpp does.
 * - Batch: every member runs and writes its own record; the batch record
 *   says DSA_COMP_BATCH_FAIL when any member's status is not SUCCESS (DML
 *   batch.cpp compares with SUCCESS) and DSA_COMP_BATCH_PAGE_FAULT only
 *   when the descriptor list itself cannot be read (accel-config's batch
 *   test, dsa_test.c: bytes_completed = descriptors completed before the
 *   list fault; result 1 with BATCH_FAIL).
 *   A member with FENCE after a member whose status was not SUCCESS is
 *   abandoned with the rest of the list (no records), the batch fails.
 *   A BATCH or DRAIN inside a batch: that member fails DSA_COMP_BAD_OPCODE.
 * - xfer_size 0: DSA_COMP_XFER_ERANGE (DML validates null sizes away; the
 *   model refuses them rather than guess).
 * - Errors no record can carry (CRAV clear, completion record not 32-byte
 *   aligned: DSA_COMP_CRA_ALIGN, or not writable: DSA_COMP_CRA_XLAT) go
 *   to the device's software error register on hardware; the model counts
 *   them in zc_dsa_wq_stats().swerr.
 * - Page faults set DSA_COMP_STATUS_WRITE in the status when the faulting
 *   access was a write. A descending (overlapping, dst > src) MEMMOVE that
 *   faults has copied the end of the buffers down to the highest faulting
 *   page: result 1, bytes_completed the bytes copied at the end.
 * - DIF opcodes are not modeled: DSA_COMP_BAD_OPCODE.
 * - BOF on a WQ whose configuration does not enable block on fault (emu
 *   key bof=0, the default, as in configs/dsa-*.conf): the flag is treated
 *   as reserved, DSA_COMP_INVALID_FLAGS (the strict reading; the public
 *   material does not say whether hardware ignores it instead). */
#include <pthread.h>
#include <string.h>

#include "dsa/emu/internal.h"

#define DELTA_ENTRY 10u             /* 2-byte word offset + 8-byte data */
#define DELTA_MAX_XFER (65536u * 8) /* 16-bit offsets of 8-byte words */
/* Operation-specific flags (bits 23:16; names as in DML specific_flags.hpp). */
#define CRC_FLAG_READ_SEED 0x10000u      /* seed read from seed_addr */
#define CRC_FLAG_BYPASS_INVERSION 0x20000u /* no seed/result inversion and bit reversal */
#define CRC_FLAG_BYPASS_DATA_REFLECTION 0x40000u
#define CRC_FLAGS (CRC_FLAG_READ_SEED | CRC_FLAG_BYPASS_INVERSION | CRC_FLAG_BYPASS_DATA_REFLECTION)
#define DUALCAST_FLAG_DEST2_TAG 0x10000u /* destination 2 steering tag selector */
#define DRAIN_FLAGS 0xf0000u             /* readback addresses valid, suppress readbacks */

#define COMMON_FLAGS                                                                      \
    (IDXD_OP_FLAG_FENCE | IDXD_OP_FLAG_BOF | IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR |      \
     IDXD_OP_FLAG_RCI | IDXD_OP_FLAG_CRSTS | IDXD_OP_FLAG_CC | IDXD_OP_FLAG_ADDR1_TCS |   \
     IDXD_OP_FLAG_ADDR2_TCS | IDXD_OP_FLAG_ADDR3_TCS | IDXD_OP_FLAG_CR_TCS |              \
     IDXD_OP_FLAG_STORD | IDXD_OP_FLAG_DRDBK | IDXD_OP_FLAG_DSTS)

typedef struct dsa_completion_record rec_t;

static void *ptr(uint64_t a) { return (void *)(uintptr_t)a; }

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* The flags an opcode accepts on top of the common ones; CR only where a
 * result can be checked. Reserved, as the references treat them: BOF on a
 * BATCH descriptor (accel-config test/dsa_prep.c: "BOF bit is reserved for
 * batch descriptor"), CC and STORD on COMPARE and COMPVAL, which write
 * nothing (dsa-perf-micros src/prep.c strips them as reserved). */
static uint32_t allowed_flags(unsigned op)
{
    switch (op) {
    case DSA_OPCODE_COMPARE:
    case DSA_OPCODE_COMPVAL:
        return (COMMON_FLAGS | IDXD_OP_FLAG_CR) & ~(uint32_t)(IDXD_OP_FLAG_CC | IDXD_OP_FLAG_STORD);
    case DSA_OPCODE_BATCH:
        return COMMON_FLAGS & ~(uint32_t)IDXD_OP_FLAG_BOF;
    case DSA_OPCODE_CR_DELTA:
        return COMMON_FLAGS | IDXD_OP_FLAG_CR;
    case DSA_OPCODE_CRCGEN:
    case DSA_OPCODE_COPY_CRC:
        return COMMON_FLAGS | CRC_FLAGS;
    case DSA_OPCODE_DUALCAST:
        return COMMON_FLAGS | DUALCAST_FLAG_DEST2_TAG;
    case DSA_OPCODE_DRAIN:
        return COMMON_FLAGS | DRAIN_FLAGS;
    default:
        return COMMON_FLAGS;
    }
}

static bool known_opcode(unsigned op)
{
    switch (op) {
    case DSA_OPCODE_NOOP: case DSA_OPCODE_BATCH: case DSA_OPCODE_DRAIN:
    case DSA_OPCODE_MEMMOVE: case DSA_OPCODE_MEMFILL: case DSA_OPCODE_COMPARE:
    case DSA_OPCODE_COMPVAL: case DSA_OPCODE_CR_DELTA: case DSA_OPCODE_AP_DELTA:
    case DSA_OPCODE_DUALCAST: case DSA_OPCODE_CRCGEN: case DSA_OPCODE_COPY_CRC:
    case DSA_OPCODE_CFLUSH:
        return true;
    default:
        return false;
    }
}

uint32_t zc_emu_opcodes(void)
{
    uint32_t ops = 0;
    for (unsigned op = 0; op < 32; op++)
        ops |= known_opcode(op) ? 1u << op : 0;
    return ops;
}

/* --- the page walk over the buffers of one descriptor ------------------ */

struct buf {
    uint64_t addr;
    enum zc_emu_access access;
};

/* Bytes [0, return) of every buffer (all len long) are accessible; on a
 * shorter prefix the fault is recorded in r. */
static uint64_t walk(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, const struct buf *b,
                     int n, uint64_t len, rec_t *r)
{
    bool bof = d->flags & IDXD_OP_FLAG_BOF;
    uint64_t limit = len;
    for (int i = 0; i < n; i++) {
        struct zc_emu_fault f = zc_emu_probe(x->tlb, x->cfg->fault, b[i].addr, limit, b[i].access, bof);
        if (f.offset < limit) {
            limit = f.offset;
            r->fault_addr = b[i].addr + f.offset;
            r->status = (f.irrecoverable ? DSA_COMP_PAGE_FAULT_IR : DSA_COMP_PAGE_FAULT_NOBOF) |
                        (b[i].access == ZC_EMU_WRITE ? DSA_COMP_STATUS_WRITE : 0);
            r->bytes_completed = (uint32_t)limit;
        }
    }
    return limit;
}

static bool faulted(const rec_t *r) { return r->status != 0; }

/* --- operations --------------------------------------------------------- */

/* Offset of the first byte where a differs; len when none. b NULL:
 * compare with the 8-byte pattern repeated from a's first byte instead.
 * Whole blocks with memcmp (an equal buffer, the zero check's common case,
 * costs nothing more), bytes only inside the block that differs. */
static uint64_t first_difference(const uint8_t *a, const uint8_t *b, uint64_t pattern, uint64_t len)
{
    enum { BLOCK = 256 };
    uint8_t pat[BLOCK];
    for (unsigned i = 0; !b && i < BLOCK; i += 8)
        memcpy(pat + i, &pattern, 8);
    for (uint64_t off = 0; off < len; off += BLOCK) {
        uint64_t n = len - off < BLOCK ? len - off : BLOCK;
        const uint8_t *other = b ? b + off : pat;
        if (memcmp(a + off, other, n) == 0)
            continue;
        uint64_t i = 0;
        while (a[off + i] == other[i])
            i++;
        return off + i;
    }
    return len;
}

/* bytes_completed of a COMPARE or COMPVAL that found its first difference
 * at byte `at` of len. COMPARE: that byte (Intel DML sources/core/src/
 * sw_dispatcher/ref/compare.c; DML's tools/tests/job_api_tests/
 * ta_compare.cpp expects it of the hardware path too). COMPVAL compares
 * 8-byte words: the differing word's offset in the body, the byte's own in
 * the last len % 8 bytes (DML ref/compare_pattern.c, ta_compare_pattern.cpp). */
static uint32_t difference_offset(unsigned op, uint64_t at, uint64_t len)
{
    bool in_body = at < len / 8 * 8;
    return (uint32_t)(op == DSA_OPCODE_COMPVAL && in_body ? at & ~7ull : at);
}

static void check_result(const struct dsa_hw_desc *d, rec_t *r)
{
    if ((d->flags & IDXD_OP_FLAG_CR) && r->result != d->expected_res)
        r->status = DSA_COMP_SUCCESS_PRED;
}

static void op_compare(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    bool two = d->opcode == DSA_OPCODE_COMPARE;
    struct buf b[2] = {{d->src_addr, ZC_EMU_READ}, {d->src2_addr, ZC_EMU_READ}};
    uint64_t limit = walk(x, d, b, two ? 2 : 1, d->xfer_size, r);
    uint64_t at = first_difference(ptr(d->src_addr), two ? ptr(d->src2_addr) : NULL,
                                   d->comp_pattern, limit);
    if (at < limit) { /* the difference is seen before the fault */
        r->status = DSA_COMP_SUCCESS;
        r->fault_addr = 0;
        r->result = 1;
        r->bytes_completed = difference_offset(d->opcode, at, d->xfer_size);
    } else if (faulted(r)) {
        return;
    } else {
        r->status = DSA_COMP_SUCCESS;
    }
    check_result(d, r);
}

/* End offset of the highest page of b's first len bytes the access
 * faults on (0: none), found from the top down as a descending copy
 * meets them. */
static uint64_t fault_top(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, const struct buf *b,
                          uint64_t len, bool *irrecoverable)
{
    for (uint64_t hi = len; hi > 0;) {
        uint64_t page = (b->addr + hi - 1) & ~4095ull;
        uint64_t lo = page > b->addr ? page - b->addr : 0;
        struct zc_emu_fault f = zc_emu_probe(x->tlb, x->cfg->fault, b->addr + lo, hi - lo, b->access,
                                             d->flags & IDXD_OP_FLAG_BOF);
        if (f.offset < hi - lo) {
            *irrecoverable = f.irrecoverable;
            return hi;
        }
        hi = lo;
    }
    return 0;
}

/* An overlapping MEMMOVE with dst > src copies from the end down, so it
 * stops below the highest faulting byte of either buffer (the source named
 * at a tie): bytes_completed counts the bytes copied at the end and result
 * 1 says so; DML (sources/middle_layer/src/partial_completion.hpp) resumes
 * with xfer_size reduced by it and the addresses kept. */
static void memmove_descending(const struct zc_emu_exec *x, const struct dsa_hw_desc *d,
                               const struct buf b[2], rec_t *r)
{
    uint64_t len = d->xfer_size, top = 0;
    bool irrecoverable[2] = {false, false};
    int who = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t t = fault_top(x, d, &b[i], len, &irrecoverable[i]);
        if (t > top) {
            top = t;
            who = i;
        }
    }
    memmove((uint8_t *)ptr(d->dst_addr) + top, (uint8_t *)ptr(d->src_addr) + top, len - top);
    if (!top) {
        r->status = DSA_COMP_SUCCESS;
        return;
    }
    r->status = (irrecoverable[who] ? DSA_COMP_PAGE_FAULT_IR : DSA_COMP_PAGE_FAULT_NOBOF) |
                (b[who].access == ZC_EMU_WRITE ? DSA_COMP_STATUS_WRITE : 0);
    r->fault_addr = b[who].addr + top - 1;
    r->bytes_completed = (uint32_t)(len - top);
    r->result = 1;
}

static void op_memmove(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    struct buf b[2] = {{d->src_addr, ZC_EMU_READ}, {d->dst_addr, ZC_EMU_WRITE}};
    if (d->dst_addr > d->src_addr && overlap(d->src_addr, d->xfer_size, d->dst_addr, d->xfer_size)) {
        memmove_descending(x, d, b, r);
        return;
    }
    uint64_t limit = walk(x, d, b, 2, d->xfer_size, r);
    memmove(ptr(d->dst_addr), ptr(d->src_addr), limit);
    if (!faulted(r))
        r->status = DSA_COMP_SUCCESS;
}

static void op_memfill(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    struct buf b = {d->dst_addr, ZC_EMU_WRITE};
    uint64_t limit = walk(x, d, &b, 1, d->xfer_size, r);
    uint8_t *dst = ptr(d->dst_addr);
    for (uint64_t off = 0; off < limit; off += 8)
        memcpy(dst + off, &d->pattern, limit - off < 8 ? limit - off : 8);
    if (!faulted(r))
        r->status = DSA_COMP_SUCCESS;
}

static void op_dualcast(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    uint64_t len = d->xfer_size;
    if ((d->dst_addr ^ d->dest2) & 0xfff) {
        r->status = DSA_COMP_DCAST_ERR;
        return;
    }
    if (overlap(d->src_addr, len, d->dst_addr, len) || overlap(d->src_addr, len, d->dest2, len) ||
        overlap(d->dst_addr, len, d->dest2, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    struct buf b[3] = {{d->src_addr, ZC_EMU_READ}, {d->dst_addr, ZC_EMU_WRITE},
                       {d->dest2, ZC_EMU_WRITE}};
    uint64_t limit = walk(x, d, b, 3, len, r);
    memcpy(ptr(d->dst_addr), ptr(d->src_addr), limit);
    memcpy(ptr(d->dest2), ptr(d->src_addr), limit);
    if (!faulted(r))
        r->status = DSA_COMP_SUCCESS;
}

static uint32_t reverse32(uint32_t v)
{
    v = (v & 0x55555555u) << 1 | (v >> 1 & 0x55555555u);
    v = (v & 0x33333333u) << 2 | (v >> 2 & 0x33333333u);
    v = (v & 0x0f0f0f0fu) << 4 | (v >> 4 & 0x0f0f0f0fu);
    return __builtin_bswap32(v);
}

/* CRC-32C with the polynomial's MSB first in the register; each byte is
 * bit-reversed first unless raw (the form DML's reference code uses). */
static uint32_t crc32c_msb_first(uint32_t c, const uint8_t *p, uint64_t len, bool reflect)
{
    for (uint64_t i = 0; i < len; i++) {
        uint32_t b = reflect ? reverse32(p[i]) >> 24 : p[i];
        c ^= b << 24;
        for (int k = 0; k < 8; k++)
            c = c & 0x80000000u ? (c << 1) ^ 0x1edc6f41u : c << 1;
    }
    return c;
}

/* The CRC the device computes under the descriptor's CRC flags; chainable
 * in every mode (the result of one part seeds the next). */
static uint32_t dsa_crc(uint32_t flags, uint32_t seed, const uint8_t *p, uint64_t len)
{
    bool raw = flags & CRC_FLAG_BYPASS_INVERSION;
    if (!raw && !(flags & CRC_FLAG_BYPASS_DATA_REFLECTION))
        return zc_emu_crc32c(seed, p, len); /* the same value, table-driven */
    uint32_t c = raw ? seed : reverse32(~seed);
    c = crc32c_msb_first(c, p, len, !(flags & CRC_FLAG_BYPASS_DATA_REFLECTION));
    return raw ? c : ~reverse32(c);
}

static void op_crc(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    bool copy = d->opcode == DSA_OPCODE_COPY_CRC;
    uint64_t len = d->xfer_size;
    if (copy && overlap(d->src_addr, len, d->dst_addr, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    uint32_t seed = d->crc_seed;
    if (d->flags & CRC_FLAG_READ_SEED) {
        if (d->seed_addr % 4) { /* DML: "crc_checksum_ptr must be 4-byte aligned" */
            r->status = DSA_COMP_ADDR_ALIGN;
            return;
        }
        struct buf s = {d->seed_addr, ZC_EMU_READ};
        if (walk(x, d, &s, 1, sizeof seed, r) < sizeof seed) {
            r->bytes_completed = 0;
            return;
        }
        memcpy(&seed, ptr(d->seed_addr), sizeof seed);
    }
    struct buf b[2] = {{d->src_addr, ZC_EMU_READ}, {d->dst_addr, ZC_EMU_WRITE}};
    uint64_t limit = walk(x, d, b, copy ? 2 : 1, len, r);
    if (copy)
        memcpy(ptr(d->dst_addr), ptr(d->src_addr), limit);
    /* On a fault, the CRC of the completed part: the seed to resume with. */
    r->crc_val = dsa_crc(d->flags, seed, ptr(d->src_addr), limit);
    if (!faulted(r))
        r->status = DSA_COMP_SUCCESS;
}

static void op_cflush(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    struct buf b = {d->dst_addr, ZC_EMU_READ};
    walk(x, d, &b, 1, d->xfer_size, r);
    if (!faulted(r))
        r->status = DSA_COMP_SUCCESS; /* coherent memory: nothing to write back */
}

/* expected_res_mask: bit r set = result r expected. */
static void check_delta_result(const struct dsa_hw_desc *d, rec_t *r)
{
    if ((d->flags & IDXD_OP_FLAG_CR) && !(d->expected_res_mask & (1u << r->result)))
        r->status = DSA_COMP_SUCCESS_PRED;
}

/* The addresses and the transfer size are 8-byte multiples (a size that is
 * not is misaligned: DML reads that status as DML_STATUS_DELTA_ALIGN_ERROR,
 * "... or length is not 8-byte aligned"); 16-bit word offsets bound the size. */
static bool delta_shape_ok(uint64_t len, uint64_t a, uint64_t b, rec_t *r)
{
    if ((a | b | len) & 7) {
        r->status = DSA_COMP_ADDR_ALIGN;
        return false;
    }
    if (len > DELTA_MAX_XFER) {
        r->status = DSA_COMP_XFER_ERANGE;
        return false;
    }
    return true;
}

/* Result 0: equal; 1: delta record written; 2: the differences do not fit
 * in max_delta_size (bytes_completed = source bytes covered). */
static void op_create_delta(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    uint64_t len = d->xfer_size, max = d->max_delta_size;
    if (!delta_shape_ok(len, d->src_addr | d->src2_addr, d->delta_addr, r))
        return;
    if (max % DELTA_ENTRY || max < 8 * DELTA_ENTRY) {
        r->status = DSA_COMP_DR_ERANGE;
        return;
    }
    if (overlap(d->delta_addr, max, d->src_addr, len) || overlap(d->delta_addr, max, d->src2_addr, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    struct buf b[2] = {{d->src_addr, ZC_EMU_READ}, {d->src2_addr, ZC_EMU_READ}};
    uint64_t limit = walk(x, d, b, 2, len, r) & ~7ull;
    rec_t dr = {0};
    struct buf db = {d->delta_addr, ZC_EMU_WRITE};
    uint64_t delta_ok = walk(x, d, &db, 1, max, &dr);
    const uint64_t *s1 = ptr(d->src_addr), *s2 = ptr(d->src2_addr);
    uint8_t *out = ptr(d->delta_addr);
    uint32_t size = 0;
    for (uint64_t w = 0; w < limit / 8; w++) {
        if (s1[w] == s2[w])
            continue;
        if (size + DELTA_ENTRY > max) { /* the answer; a source fault further on is not */
            memset(r, 0, sizeof *r);
            r->status = DSA_COMP_SUCCESS;
            r->result = 2;
            r->bytes_completed = (uint32_t)(w * 8);
            r->delta_rec_size = size;
            check_delta_result(d, r);
            return;
        }
        if (size + DELTA_ENTRY > delta_ok) {
            *r = dr;
            r->bytes_completed = (uint32_t)(w * 8);
            r->delta_rec_size = size;
            return;
        }
        uint16_t off = (uint16_t)w;
        memcpy(out + size, &off, 2);
        memcpy(out + size + 2, &s2[w], 8);
        size += DELTA_ENTRY;
    }
    r->delta_rec_size = size;
    if (faulted(r))
        return;
    r->status = DSA_COMP_SUCCESS;
    r->result = size ? 1 : 0;
    check_delta_result(d, r);
}

/* Validates the whole delta record before touching the destination
 * (hardware reports the same status codes; the model does not leave
 * half-applied records). */
static void op_apply_delta(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    uint64_t len = d->xfer_size, size = d->delta_rec_size;
    if (!delta_shape_ok(len, d->dst_addr, d->src_addr, r))
        return;
    if (size == 0 || size % DELTA_ENTRY) {
        r->status = DSA_COMP_DR_ERANGE;
        return;
    }
    if (overlap(d->src_addr, size, d->dst_addr, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    struct buf db = {d->src_addr, ZC_EMU_READ};
    if (walk(x, d, &db, 1, size, r) < size) {
        r->bytes_completed = 0;
        return;
    }
    const uint8_t *in = ptr(d->src_addr);
    int64_t prev = -1;
    for (uint64_t e = 0; e < size; e += DELTA_ENTRY) {
        uint16_t off;
        memcpy(&off, in + e, 2);
        if ((int64_t)off <= prev) {
            r->status = DSA_COMP_DR_OFFSET_NOINC;
            return;
        }
        if ((uint64_t)off * 8 >= len) {
            r->status = DSA_COMP_DR_OFFSET_ERANGE;
            return;
        }
        prev = off;
    }
    /* The destination only now (a bad record's status carries no fault),
     * and only the words the entries name: a page none names cannot fault.
     * A fault counts the record bytes applied, where software resumes. */
    uint8_t *dst = ptr(d->dst_addr);
    for (uint64_t e = 0; e < size; e += DELTA_ENTRY) {
        uint16_t off;
        memcpy(&off, in + e, 2);
        struct buf b = {d->dst_addr + (uint64_t)off * 8, ZC_EMU_WRITE};
        if (walk(x, d, &b, 1, 8, r) < 8) {
            r->bytes_completed = (uint32_t)e;
            return;
        }
        memcpy(dst + (uint64_t)off * 8, in + e + 2, 8);
    }
    r->status = DSA_COMP_SUCCESS;
}

/* --- records and dispatch ---------------------------------------------- */

/* Bytes the device moved for d: all of them, or up to a fault or to a
 * compare's first difference (where the device stops reading). */
static uint64_t moved_bytes(const struct dsa_hw_desc *d, const rec_t *r)
{
    bool sized = d->opcode != DSA_OPCODE_NOOP && d->opcode != DSA_OPCODE_DRAIN &&
                 d->opcode != DSA_OPCODE_BATCH;
    uint8_t status = r->status & DSA_COMP_STATUS_MASK;
    if (!sized || (status != DSA_COMP_SUCCESS && status != DSA_COMP_SUCCESS_PRED &&
                   status != DSA_COMP_PAGE_FAULT_NOBOF))
        return 0;
    bool compare = d->opcode == DSA_OPCODE_COMPARE || d->opcode == DSA_OPCODE_COMPVAL;
    bool stopped = status == DSA_COMP_PAGE_FAULT_NOBOF || (compare && r->result);
    return stopped ? r->bytes_completed : d->xfer_size;
}

/* The cache lines a write of n bytes at dst covers only in part: its
 * first when dst is not line aligned, its last when dst + n is not (one
 * line when both are the same). The lines between are written whole. */
static uint32_t partial_lines(uint64_t dst, uint64_t n)
{
    if (!n)
        return 0;
    bool head = dst % 64, tail = (dst + n) % 64;
    if (dst / 64 == (dst + n - 1) / 64)
        return head || tail;
    return (uint32_t)head + (uint32_t)tail;
}

struct zc_emu_work zc_emu_work_of(const struct dsa_hw_desc *d, const rec_t *r)
{
    uint64_t n = moved_bytes(d, r);
    struct zc_emu_work w = {.opcode = d->opcode, .xfer = n,
                            .fault = (r->status & DSA_COMP_STATUS_MASK) == DSA_COMP_PAGE_FAULT_NOBOF};
    switch (d->opcode) {
    case DSA_OPCODE_MEMMOVE: case DSA_OPCODE_COPY_CRC: case DSA_OPCODE_AP_DELTA:
        w.read = w.write = n;
        w.directions = 2;
        w.partial_lines = partial_lines(d->dst_addr, n);
        break;
    case DSA_OPCODE_MEMFILL: w.write = n; w.directions = 1; w.partial_lines = partial_lines(d->dst_addr, n); break;
    case DSA_OPCODE_CFLUSH: w.write = n; w.directions = 1; break;
    case DSA_OPCODE_COMPARE: w.read = 2 * n; w.directions = 1; break;
    case DSA_OPCODE_CR_DELTA: w.read = 2 * n; w.write = r->delta_rec_size; w.directions = 2; break;
    case DSA_OPCODE_DUALCAST:
        w.read = n;
        w.write = 2 * n;
        w.directions = 2;
        w.partial_lines = partial_lines(d->dst_addr, n) + partial_lines(d->dest2, n);
        break;
    case DSA_OPCODE_COMPVAL: case DSA_OPCODE_CRCGEN: w.read = n; w.directions = 1; break;
    default: break; /* NOOP, DRAIN, BATCH: no data */
    }
    return w;
}

/* Hands the descriptor to the sink, with its record's address when the
 * descriptor asked for one (RCR) or failed and has a usable record address
 * (the sink counts a record it cannot write, DSA_COMP_CRA_XLAT, in swerr). */
static void emit(struct zc_emu_exec *x, const struct dsa_hw_desc *d, const rec_t *r)
{
    bool wanted = (d->flags & IDXD_OP_FLAG_RCR) || r->status != DSA_COMP_SUCCESS;
    rec_t *where = ptr(d->completion_addr);
    if (!wanted) {
        where = NULL;
    } else if (!(d->flags & IDXD_OP_FLAG_CRAV) || d->completion_addr % 32) {
        if (r->status != DSA_COMP_SUCCESS || (d->flags & IDXD_OP_FLAG_CRAV))
            zc_dsa_wq_count(&x->wq->swerr);
        where = NULL;
    }
    if (where || x->sink->all)
        x->sink->done(x->sink, d, where, r);
}

/* Validation common to every descriptor; false when r carries an error. */
static bool valid(const struct zc_emu_exec *x, const struct dsa_hw_desc *d, bool in_batch, rec_t *r)
{
    if (!known_opcode(d->opcode) ||
        (in_batch && (d->opcode == DSA_OPCODE_BATCH || d->opcode == DSA_OPCODE_DRAIN))) {
        r->status = DSA_COMP_BAD_OPCODE;
        return false;
    }
    uint32_t allowed = allowed_flags(d->opcode);
    if (!x->cfg->bof) /* Block On Fault Enable is 0 in the WQ's configuration */
        allowed &= ~(uint32_t)IDXD_OP_FLAG_BOF;
    uint32_t bad = d->flags & ~allowed;
    if (bad) {
        r->status = DSA_COMP_INVALID_FLAGS;
        r->invalid_flags = bad;
        return false;
    }
    if (d->rsvd || d->rsvd1) {
        r->status = DSA_COMP_NOZERO_RESERVE;
        return false;
    }
    bool sized = d->opcode != DSA_OPCODE_NOOP && d->opcode != DSA_OPCODE_DRAIN &&
                 d->opcode != DSA_OPCODE_BATCH;
    if (sized && (d->xfer_size == 0 || d->xfer_size > x->cfg->max_xfer)) {
        r->status = DSA_COMP_XFER_ERANGE;
        return false;
    }
    return true;
}

static uint8_t run(struct zc_emu_exec *x, const struct dsa_hw_desc *d, bool in_batch);

/* Like the device's translation prefetch: the members' source pages in a
 * few system calls instead of one per member. Not with fault=nonresident,
 * where reading a page would make it resident before the walk sees it. */
static void prefetch_sources(struct zc_emu_exec *x, const struct dsa_hw_desc *m, uint64_t n)
{
    if (x->cfg->fault == ZC_EMU_FAULT_NONRESIDENT)
        return;
    struct zc_emu_range r[2 * 64];
    size_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        bool reads = m[i].opcode != DSA_OPCODE_MEMFILL && m[i].opcode != DSA_OPCODE_CFLUSH &&
                     m[i].opcode != DSA_OPCODE_AP_DELTA && known_opcode(m[i].opcode);
        if (!reads || m[i].xfer_size > x->cfg->max_xfer)
            continue;
        r[k++] = (struct zc_emu_range){m[i].src_addr, m[i].xfer_size};
        if (m[i].opcode == DSA_OPCODE_COMPARE || m[i].opcode == DSA_OPCODE_CR_DELTA)
            r[k++] = (struct zc_emu_range){m[i].src2_addr, m[i].xfer_size};
        if (k >= 2 * 64 - 1) {
            zc_emu_prefetch(x->tlb, r, k);
            k = 0;
        }
    }
    zc_emu_prefetch(x->tlb, r, k);
}

static void op_batch(struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    uint32_t n = d->desc_count;
    if (d->desc_list_addr % 64) {
        r->status = DSA_COMP_DESCLIST_ALIGN;
        return;
    }
    if (n < 2 || n > x->cfg->max_batch) {
        r->status = DSA_COMP_DESC_CNT_ERANGE;
        return;
    }
    struct buf list = {d->desc_list_addr, ZC_EMU_READ};
    rec_t lr = {0};
    uint64_t readable = walk(x, d, &list, 1, (uint64_t)n * 64, &lr) / 64;
    const struct dsa_hw_desc *members = ptr(d->desc_list_addr);
    prefetch_sources(x, members, readable);
    bool all_ok = true;
    uint32_t done = 0;
    for (; done < readable; done++) {
        struct dsa_hw_desc m;
        memcpy(&m, &members[done], sizeof m); /* the device reads each descriptor once */
        if ((m.flags & IDXD_OP_FLAG_FENCE) && !all_ok)
            break; /* abandoned with every later member */
        all_ok &= run(x, &m, true) == DSA_COMP_SUCCESS;
    }
    r->bytes_completed = done; /* descriptors completed */
    if (done == readable && readable < n) {
        r->status = DSA_COMP_BATCH_PAGE_FAULT;
        r->fault_addr = lr.fault_addr;
    } else {
        r->status = all_ok && done == n ? DSA_COMP_SUCCESS : DSA_COMP_BATCH_FAIL;
        r->result = r->status == DSA_COMP_BATCH_FAIL; /* as accel-config's batch test expects */
    }
}

static void execute(struct zc_emu_exec *x, const struct dsa_hw_desc *d, rec_t *r)
{
    switch (d->opcode) {
    case DSA_OPCODE_NOOP: r->status = DSA_COMP_SUCCESS; break;
    case DSA_OPCODE_DRAIN:
        x->sink->drain(x->sink);
        r->status = DSA_COMP_SUCCESS;
        break;
    case DSA_OPCODE_BATCH: op_batch(x, d, r); break;
    case DSA_OPCODE_MEMMOVE: op_memmove(x, d, r); break;
    case DSA_OPCODE_MEMFILL: op_memfill(x, d, r); break;
    case DSA_OPCODE_COMPARE:
    case DSA_OPCODE_COMPVAL: op_compare(x, d, r); break;
    case DSA_OPCODE_CR_DELTA: op_create_delta(x, d, r); break;
    case DSA_OPCODE_AP_DELTA: op_apply_delta(x, d, r); break;
    case DSA_OPCODE_DUALCAST: op_dualcast(x, d, r); break;
    case DSA_OPCODE_CRCGEN:
    case DSA_OPCODE_COPY_CRC: op_crc(x, d, r); break;
    case DSA_OPCODE_CFLUSH: op_cflush(x, d, r); break;
    }
}

static uint8_t run(struct zc_emu_exec *x, const struct dsa_hw_desc *d, bool in_batch)
{
    rec_t r;
    memset(&r, 0, sizeof r);
    if (valid(x, d, in_batch, &r))
        execute(x, d, &r);
    emit(x, d, &r);
    return r.status & DSA_COMP_STATUS_MASK;
}

void zc_emu_execute(struct zc_emu_exec *x, const struct dsa_hw_desc *d)
{
    zc_emu_tlb_flush(x->tlb);
    run(x, d, false);
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1))); /* reflected Castagnoli */
        crc_table[i] = c;
    }
}

uint32_t zc_emu_crc32c(uint32_t seed, const uint8_t *p, uint64_t len)
{
    pthread_once(&crc_once, crc_table_init);
    uint32_t crc = ~seed;
    for (uint64_t i = 0; i < len; i++)
        crc = (crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xff];
    return ~crc;
}

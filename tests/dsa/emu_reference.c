/* The reference model (emu_reference.h). Semantics and their sources:
 * - COMPARE: bytes_completed is the offset of the first differing byte
 *   (Intel DML sources/core/src/sw_dispatcher/ref/compare.c; DML's
 *   tools/tests/job_api_tests/ta_compare.cpp expects it of both paths).
 * - COMPVAL: the offset of the first differing 8-byte word in the body
 *   (xfer_size rounded down to 8), of the first differing byte in the last
 *   xfer_size % 8 bytes (DML ref/compare_pattern.c, ta_compare_pattern.cpp).
 * - MEMMOVE copies as if through a buffer (either direction), FILL repeats
 *   the 8-byte pattern, DUALCAST writes both destinations, CRC-32C with
 *   its bypass flags, CREATE DELTA (10-byte entries: 16-bit word index and
 *   src2's word; result 2 when the next entry would not fit) and APPLY
 *   DELTA: DML ref/mem_move.c, fill.c, dualcast.c, crc.c, create_delta.c,
 *   apply_delta.c and the core kernels crc.cpp, compare.cpp.
 * - CR flag: SUCCESS_PRED when result != expected_res; CREATE DELTA: bit r
 *   of expected_res_mask set means result r is expected (DSA spec; agrees
 *   with DML create_delta.cpp for one-bit masks, 0 and 0b111).
 * - Faults, errors and batches, where DML is silent, follow the choices
 *   dsa/emu/ops.c documents: the device stops at the lowest offset any of
 *   its buffers faults at, the record naming the first buffer (sources
 *   before destinations) faulting there; a difference (or a delta
 *   overflow) before a fault is the answer, with no fault in the record; a
 *   descending MEMMOVE runs from the end down to the highest faulting byte
 *   (result 1, bytes_completed the bytes copied at the end); a bad delta
 *   record is refused before anything is written; APPLY DELTA touches only
 *   the words its entries name and a fault there reports the record bytes
 *   applied (DML sources/middle_layer/src/partial_completion.hpp resumes
 *   with the record advanced by bytes_completed); the batch rules of
 *   DML batch.cpp and accel-config's batch test. */
#include "emu_reference.h"

#include <string.h>

#define ENTRY 10u /* delta record entry */

static uint8_t rev8[256];

static uint32_t rev32(uint32_t v)
{
    return (uint32_t)rev8[v & 0xff] << 24 | (uint32_t)rev8[(v >> 8) & 0xff] << 16 |
           (uint32_t)rev8[(v >> 16) & 0xff] << 8 | rev8[v >> 24];
}

/* CRC-32C (polynomial 0x1EDC6F41) shifted MSB first, as DML's reference
 * computes it: the seed inverted and bit-reversed on entry and the result
 * reversed and inverted on exit unless BYPASS_INVERSION, each data byte
 * bit-reversed unless BYPASS_DATA_REFLECTION. */
uint32_t ref_crc(uint32_t flags, uint32_t seed, const uint8_t *p, uint64_t len)
{
    if (!rev8[1])
        for (unsigned v = 0; v < 256; v++)
            for (unsigned b = 0; b < 8; b++)
                rev8[v] |= (uint8_t)(((v >> b) & 1u) << (7 - b));
    bool plain = flags & REF_CRC_BYPASS_INVERSION, reflect = !(flags & REF_CRC_BYPASS_DATA_REFLECTION);
    uint32_t c = plain ? seed : rev32(~seed);
    for (uint64_t i = 0; i < len; i++) {
        c ^= (uint32_t)(reflect ? rev8[p[i]] : p[i]) << 24;
        for (int b = 0; b < 8; b++)
            c = (c & 0x80000000u) ? (c << 1) ^ 0x1edc6f41u : c << 1;
    }
    return plain ? c : ~rev32(c);
}

/* Offset of the first byte of [a, a + len) on a page the access faults
 * on; len when none. */
static uint64_t first_bad(const struct ref_env *e, uint64_t a, uint64_t len, bool write)
{
    uint64_t at = len;
    for (unsigned i = 0; i < e->nfaults; i++) {
        const struct ref_fault *f = &e->faults[i];
        if ((f->kind == REF_READ_ONLY && !write) || f->page >= a + len || f->page + 4096 <= a)
            continue;
        uint64_t off = f->page > a ? f->page - a : 0;
        at = off < at ? off : at;
    }
    return at;
}

struct access {
    uint64_t addr;
    bool write;
};

static void fault_record(const struct dsa_hw_desc *d, uint64_t at, const struct access *a,
                         struct dsa_completion_record *r)
{
    r->status = (uint8_t)(((d->flags & IDXD_OP_FLAG_BOF) ? DSA_COMP_PAGE_FAULT_IR
                                                         : DSA_COMP_PAGE_FAULT_NOBOF) |
                          (a->write ? DSA_COMP_STATUS_WRITE : 0));
    r->fault_addr = a->addr + at;
    r->bytes_completed = (uint32_t)at;
}

/* How far the device gets through n buffers of len bytes: the lowest
 * faulting offset, the first buffer faulting there named in r. */
static uint64_t reach(const struct ref_env *e, const struct dsa_hw_desc *d, const struct access *a,
                      int n, uint64_t len, struct dsa_completion_record *r)
{
    uint64_t best = len;
    int who = -1;
    for (int i = 0; i < n; i++) {
        uint64_t at = first_bad(e, a[i].addr, len, a[i].write);
        if (at < best) {
            best = at;
            who = i;
        }
    }
    if (who >= 0)
        fault_record(d, best, &a[who], r);
    return best;
}

static bool overlapping(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static void check_result(const struct dsa_hw_desc *d, struct dsa_completion_record *r)
{
    if ((d->flags & IDXD_OP_FLAG_CR) && r->result != d->expected_res)
        r->status = DSA_COMP_SUCCESS_PRED;
}

static void compare(const struct ref_env *e, const struct dsa_hw_desc *d, struct dsa_completion_record *r)
{
    bool two = d->opcode == DSA_OPCODE_COMPARE;
    uint64_t len = d->xfer_size;
    struct access a[2] = {{d->src_addr, false}, {d->src2_addr, false}};
    uint64_t stop = reach(e, d, a, two ? 2 : 1, len, r);
    uint8_t pat[8];
    uint64_t p = d->comp_pattern;
    memcpy(pat, &p, 8);
    const uint8_t *s = e->mem(d->src_addr), *s2 = two ? e->mem(d->src2_addr) : NULL;
    for (uint64_t i = 0; i < stop; i++) {
        if (s[i] == (two ? s2[i] : pat[i % 8]))
            continue;
        memset(r, 0, sizeof *r);
        r->status = DSA_COMP_SUCCESS;
        r->result = 1;
        bool body = i < len / 8 * 8;
        r->bytes_completed = (uint32_t)(two || !body ? i : i / 8 * 8);
        check_result(d, r);
        return;
    }
    if (r->status)
        return;
    r->status = DSA_COMP_SUCCESS;
    check_result(d, r);
}

/* End offset of the highest page of [a, a + len) the access faults on; 0
 * when none. */
static uint64_t last_bad_end(const struct ref_env *e, uint64_t a, uint64_t len, bool write)
{
    uint64_t end = 0;
    for (unsigned i = 0; i < e->nfaults; i++) {
        const struct ref_fault *f = &e->faults[i];
        if ((f->kind == REF_READ_ONLY && !write) || f->page >= a + len || f->page + 4096 <= a)
            continue;
        uint64_t top = f->page + 4096 - a < len ? f->page + 4096 - a : len;
        end = top > end ? top : end;
    }
    return end;
}

static void memmove_op(const struct ref_env *e, const struct dsa_hw_desc *d,
                       struct dsa_completion_record *r)
{
    uint64_t len = d->xfer_size, src = d->src_addr, dst = d->dst_addr;
    struct access a[2] = {{src, false}, {dst, true}};
    uint8_t *out = e->mem(dst);
    const uint8_t *in = e->mem(src);
    if (dst > src && dst < src + len) { /* copied from the end down to a fault */
        uint64_t top = 0;
        int who = 0;
        for (int i = 0; i < 2; i++) {
            uint64_t t = last_bad_end(e, a[i].addr, len, a[i].write);
            if (t > top) {
                top = t;
                who = i;
            }
        }
        for (uint64_t i = len; i-- > top;)
            out[i] = in[i];
        if (top) {
            fault_record(d, top - 1, &a[who], r);
            r->bytes_completed = (uint32_t)(len - top);
            r->result = 1;
            return;
        }
    } else {
        uint64_t stop = reach(e, d, a, 2, len, r);
        for (uint64_t i = 0; i < stop; i++)
            out[i] = in[i];
    }
    if (!r->status)
        r->status = DSA_COMP_SUCCESS;
}

static void fill(const struct ref_env *e, const struct dsa_hw_desc *d, struct dsa_completion_record *r)
{
    struct access a = {d->dst_addr, true};
    uint64_t stop = reach(e, d, &a, 1, d->xfer_size, r);
    uint8_t pat[8];
    uint64_t p = d->pattern;
    memcpy(pat, &p, 8);
    uint8_t *out = e->mem(d->dst_addr);
    for (uint64_t i = 0; i < stop; i++)
        out[i] = pat[i % 8];
    if (!r->status)
        r->status = DSA_COMP_SUCCESS;
}

static void dualcast(const struct ref_env *e, const struct dsa_hw_desc *d, struct dsa_completion_record *r)
{
    uint64_t len = d->xfer_size, src = d->src_addr, d1 = d->dst_addr, d2 = d->dest2;
    if ((d1 & 0xfff) != (d2 & 0xfff)) {
        r->status = DSA_COMP_DCAST_ERR;
        return;
    }
    if (overlapping(src, len, d1, len) || overlapping(src, len, d2, len) ||
        overlapping(d1, len, d2, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    struct access a[3] = {{src, false}, {d1, true}, {d2, true}};
    uint64_t stop = reach(e, d, a, 3, len, r);
    for (uint64_t i = 0; i < stop; i++) {
        e->mem(d1)[i] = e->mem(src)[i];
        e->mem(d2)[i] = e->mem(src)[i];
    }
    if (!r->status)
        r->status = DSA_COMP_SUCCESS;
}

static void crc_op(const struct ref_env *e, const struct dsa_hw_desc *d, struct dsa_completion_record *r)
{
    bool copy = d->opcode == DSA_OPCODE_COPY_CRC;
    uint64_t len = d->xfer_size, src = d->src_addr, dst = d->dst_addr;
    if (copy && overlapping(src, len, dst, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    uint32_t seed = d->crc_seed;
    if (d->flags & REF_CRC_READ_SEED) {
        if (d->seed_addr % 4) { /* the seed address is 4-byte aligned */
            r->status = DSA_COMP_ADDR_ALIGN;
            return;
        }
        struct access s = {d->seed_addr, false};
        if (reach(e, d, &s, 1, 4, r) < 4) {
            r->bytes_completed = 0; /* no data byte was processed */
            return;
        }
        const uint8_t *b = e->mem(d->seed_addr);
        seed = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    }
    struct access a[2] = {{src, false}, {dst, true}};
    uint64_t stop = reach(e, d, a, copy ? 2 : 1, len, r);
    for (uint64_t i = 0; copy && i < stop; i++)
        e->mem(dst)[i] = e->mem(src)[i];
    r->crc_val = ref_crc(d->flags, seed, e->mem(src), stop); /* of the part done: resumable */
    if (!r->status)
        r->status = DSA_COMP_SUCCESS;
}

/* Addresses and size 8-byte multiples (else misaligned), the size within
 * the 16-bit word offsets. */
static bool delta_shape_ok(uint64_t len, uint64_t addrs, struct dsa_completion_record *r)
{
    if ((addrs | len) & 7) {
        r->status = DSA_COMP_ADDR_ALIGN;
        return false;
    }
    if (len > 65536u * 8) {
        r->status = DSA_COMP_XFER_ERANGE;
        return false;
    }
    return true;
}

static void check_mask(const struct dsa_hw_desc *d, struct dsa_completion_record *r)
{
    if ((d->flags & IDXD_OP_FLAG_CR) && !((d->expected_res_mask >> r->result) & 1))
        r->status = DSA_COMP_SUCCESS_PRED;
}

static void create_delta(const struct ref_env *e, const struct dsa_hw_desc *d,
                         struct dsa_completion_record *r)
{
    uint64_t len = d->xfer_size, max = d->max_delta_size, delta = d->delta_addr;
    uint64_t s1 = d->src_addr, s2 = d->src2_addr;
    if (!delta_shape_ok(len, s1 | s2 | delta, r))
        return;
    if (max % ENTRY || max < 8 * ENTRY) {
        r->status = DSA_COMP_DR_ERANGE;
        return;
    }
    if (overlapping(delta, max, s1, len) || overlapping(delta, max, s2, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    struct access a[2] = {{s1, false}, {s2, false}};
    uint64_t words = reach(e, d, a, 2, len, r) / 8;
    struct access out = {delta, true};
    uint64_t room = first_bad(e, delta, max, true);
    uint32_t size = 0;
    for (uint64_t w = 0; w < words; w++) {
        bool same = true;
        for (unsigned b = 0; b < 8; b++)
            same &= e->mem(s1)[w * 8 + b] == e->mem(s2)[w * 8 + b];
        if (same)
            continue;
        if (size + ENTRY > max || size + ENTRY > room) {
            memset(r, 0, sizeof *r);
            if (size + ENTRY > max) { /* overflow: the answer, not an error */
                r->status = DSA_COMP_SUCCESS;
                r->result = 2;
                check_mask(d, r);
            } else {
                fault_record(d, room, &out, r);
            }
            r->bytes_completed = (uint32_t)(w * 8); /* source bytes covered */
            r->delta_rec_size = size;
            return;
        }
        uint8_t *entry = e->mem(delta) + size;
        entry[0] = (uint8_t)w;
        entry[1] = (uint8_t)(w >> 8);
        for (unsigned b = 0; b < 8; b++)
            entry[2 + b] = e->mem(s2)[w * 8 + b];
        size += ENTRY;
    }
    r->delta_rec_size = size;
    if (r->status)
        return;
    r->status = DSA_COMP_SUCCESS;
    r->result = size ? 1 : 0;
    check_mask(d, r);
}

static unsigned entry_word(const uint8_t *entry) { return entry[0] | (unsigned)entry[1] << 8; }

static void apply_delta(const struct ref_env *e, const struct dsa_hw_desc *d,
                        struct dsa_completion_record *r)
{
    uint64_t len = d->xfer_size, size = d->delta_rec_size, rec = d->src_addr, dst = d->dst_addr;
    if (!delta_shape_ok(len, rec | dst, r))
        return;
    if (size == 0 || size % ENTRY) {
        r->status = DSA_COMP_DR_ERANGE;
        return;
    }
    if (overlapping(rec, size, dst, len)) {
        r->status = DSA_COMP_OVERLAP_BUFFERS;
        return;
    }
    struct access in = {rec, false};
    if (reach(e, d, &in, 1, size, r) < size) {
        r->bytes_completed = 0;
        return;
    }
    long prev = -1;
    for (uint64_t i = 0; i < size; i += ENTRY) {
        unsigned w = entry_word(e->mem(rec) + i);
        if ((long)w <= prev) {
            r->status = DSA_COMP_DR_OFFSET_NOINC;
            return;
        }
        if ((uint64_t)w * 8 >= len) {
            r->status = DSA_COMP_DR_OFFSET_ERANGE;
            return;
        }
        prev = w;
    }
    for (uint64_t i = 0; i < size; i += ENTRY) { /* only the named words are written */
        uint64_t at = (uint64_t)entry_word(e->mem(rec) + i) * 8;
        struct access out = {dst + at, true};
        if (reach(e, d, &out, 1, 8, r) < 8) {
            r->bytes_completed = (uint32_t)i; /* delta record bytes applied */
            return;
        }
        for (unsigned b = 0; b < 8; b++)
            e->mem(dst)[at + b] = e->mem(rec)[i + 2 + b];
    }
    r->status = DSA_COMP_SUCCESS;
}

static void cflush(const struct ref_env *e, const struct dsa_hw_desc *d, struct dsa_completion_record *r)
{
    struct access a = {d->dst_addr, false};
    reach(e, d, &a, 1, d->xfer_size, r);
    if (!r->status)
        r->status = DSA_COMP_SUCCESS;
}

/* The common flags (bits 0-5, 8-15), CR where a result can be checked,
 * and the opcode's own operation-specific ones (DSA spec). Cache control
 * and strict ordering are reserved for the compare operations and block
 * on fault for BATCH (dsa-perf-micros' resv_flags, accel-config's batch
 * test). The test's WQs enable block on fault. */
uint32_t ref_allowed_flags(unsigned op)
{
    uint32_t common = 0xff3f;
    switch (op) {
    case DSA_OPCODE_COMPARE: case DSA_OPCODE_COMPVAL:
        return (common | IDXD_OP_FLAG_CR) & ~(uint32_t)(IDXD_OP_FLAG_CC | IDXD_OP_FLAG_STORD);
    case DSA_OPCODE_BATCH: return common & ~(uint32_t)IDXD_OP_FLAG_BOF;
    case DSA_OPCODE_CR_DELTA:
        return common | IDXD_OP_FLAG_CR;
    case DSA_OPCODE_CRCGEN: case DSA_OPCODE_COPY_CRC:
        return common | REF_CRC_READ_SEED | REF_CRC_BYPASS_INVERSION | REF_CRC_BYPASS_DATA_REFLECTION;
    case DSA_OPCODE_DUALCAST: return common | 0x10000u;
    case DSA_OPCODE_DRAIN: return common | 0xf0000u;
    default: return common;
    }
}

static bool known(unsigned op)
{
    static const unsigned ops[] = {
        DSA_OPCODE_NOOP, DSA_OPCODE_BATCH, DSA_OPCODE_DRAIN, DSA_OPCODE_MEMMOVE,
        DSA_OPCODE_MEMFILL, DSA_OPCODE_COMPARE, DSA_OPCODE_COMPVAL, DSA_OPCODE_CR_DELTA,
        DSA_OPCODE_AP_DELTA, DSA_OPCODE_DUALCAST, DSA_OPCODE_CRCGEN, DSA_OPCODE_COPY_CRC,
        DSA_OPCODE_CFLUSH};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i] == op)
            return true;
    return false;
}

static unsigned run(const struct ref_env *e, const struct dsa_hw_desc *d, bool in_batch,
                    struct dsa_completion_record *seen)
{
    struct dsa_completion_record r;
    memset(&r, 0, sizeof r);
    unsigned op = d->opcode;
    uint32_t bad = d->flags & ~ref_allowed_flags(op);
    bool sized = op != DSA_OPCODE_NOOP && op != DSA_OPCODE_DRAIN && op != DSA_OPCODE_BATCH;
    if (!known(op) || (in_batch && (op == DSA_OPCODE_BATCH || op == DSA_OPCODE_DRAIN))) {
        r.status = DSA_COMP_BAD_OPCODE;
    } else if (bad) {
        r.status = DSA_COMP_INVALID_FLAGS;
        r.invalid_flags = bad;
    } else if (sized && d->xfer_size == 0) {
        r.status = DSA_COMP_XFER_ERANGE;
    } else {
        switch (op) {
        case DSA_OPCODE_COMPARE: case DSA_OPCODE_COMPVAL: compare(e, d, &r); break;
        case DSA_OPCODE_MEMMOVE: memmove_op(e, d, &r); break;
        case DSA_OPCODE_MEMFILL: fill(e, d, &r); break;
        case DSA_OPCODE_DUALCAST: dualcast(e, d, &r); break;
        case DSA_OPCODE_CRCGEN: case DSA_OPCODE_COPY_CRC: crc_op(e, d, &r); break;
        case DSA_OPCODE_CR_DELTA: create_delta(e, d, &r); break;
        case DSA_OPCODE_AP_DELTA: apply_delta(e, d, &r); break;
        case DSA_OPCODE_CFLUSH: cflush(e, d, &r); break;
        default: r.status = DSA_COMP_SUCCESS; break; /* NOOP, DRAIN; BATCH: ref_batch */
        }
    }
    if ((d->flags & IDXD_OP_FLAG_RCR) || r.status != DSA_COMP_SUCCESS)
        *seen = r;
    return r.status & DSA_COMP_STATUS_MASK;
}

unsigned ref_run(const struct ref_env *e, const struct dsa_hw_desc *d,
                 struct dsa_completion_record *seen)
{
    return run(e, d, false, seen);
}

/* Members in order; a fenced member after a failed one abandons the rest;
 * an unreadable list ends the batch where it becomes unreadable. */
void ref_batch(const struct ref_env *e, const struct dsa_hw_desc *d,
               const struct dsa_hw_desc *members, struct dsa_completion_record *member_seen,
               struct dsa_completion_record *seen)
{
    struct dsa_completion_record r;
    memset(&r, 0, sizeof r);
    uint64_t list = d->desc_list_addr;
    unsigned n = d->desc_count;
    if (list % 64) {
        r.status = DSA_COMP_DESCLIST_ALIGN;
    } else if (n < 2 || n > 1024) {
        r.status = DSA_COMP_DESC_CNT_ERANGE;
    } else {
        uint64_t at = first_bad(e, list, (uint64_t)n * 64, false);
        unsigned readable = (unsigned)(at / 64), done = 0;
        bool all_ok = true;
        for (; done < readable; done++) {
            if ((members[done].flags & IDXD_OP_FLAG_FENCE) && !all_ok)
                break;
            all_ok &= run(e, &members[done], true, &member_seen[done]) == DSA_COMP_SUCCESS;
        }
        r.bytes_completed = done; /* descriptors completed */
        if (done == readable && readable < n) {
            r.status = DSA_COMP_BATCH_PAGE_FAULT;
            r.fault_addr = list + at;
        } else {
            r.status = all_ok && done == n ? DSA_COMP_SUCCESS : DSA_COMP_BATCH_FAIL;
            r.result = r.status == DSA_COMP_BATCH_FAIL;
        }
    }
    if ((d->flags & IDXD_OP_FLAG_RCR) || r.status != DSA_COMP_SUCCESS)
        *seen = r;
}

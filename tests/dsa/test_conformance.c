/* Conformance: raw descriptors from <linux/idxd.h> through a work queue,
 * checking the completion records. Runs against the WQ spec given as
 * argv[1] (emu in both modes and several engine counts), or with "hw"
 * against ZC_DSA_TEST_WQ / auto, skipping (77) when no WQ can be opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dsa_test_util.h"

_Static_assert(sizeof(struct dsa_hw_desc) == 64, "descriptor is 64 bytes");
_Static_assert(sizeof(struct dsa_completion_record) == 32, "completion record is 32 bytes");
_Static_assert(offsetof(struct dsa_hw_desc, completion_addr) == 8, "descriptor layout");
_Static_assert(offsetof(struct dsa_hw_desc, xfer_size) == 32, "descriptor layout");
_Static_assert(offsetof(struct dsa_hw_desc, expected_res) == 40, "descriptor layout");
_Static_assert(offsetof(struct dsa_completion_record, bytes_completed) == 4, "record layout");
_Static_assert(offsetof(struct dsa_completion_record, fault_addr) == 8, "record layout");
_Static_assert(offsetof(struct dsa_completion_record, crc_val) == 16, "record layout");

static const char *wq_spec;
static struct zc_dsa_wq *wq;

static int open_wq(void **state)
{
    (void)state;
    int rc = zc_dsa_wq_open(wq_spec, &wq);
    if (rc)
        fprintf(stderr, "open %s: %s\n", wq_spec, zc_last_error());
    return rc;
}

static int close_wq(void **state)
{
    (void)state;
    zc_dsa_wq_close(wq);
    return 0;
}

static void noop_succeeds(void **state)
{
    (void)state;
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
}

static void drain_succeeds_after_earlier_work(void **state)
{
    (void)state;
    uint8_t *a = pages(16), *b = pages(16);
    memset(a, 0x5a, 16 * PAGE);
    struct job mv, dr;
    job_init(&mv, DSA_OPCODE_MEMMOVE, 0);
    mv.d.src_addr = addr(a);
    mv.d.dst_addr = addr(b);
    mv.d.xfer_size = 16 * PAGE;
    assert_int_equal(submit(wq, &mv.d), 0);
    job_init(&dr, DSA_OPCODE_DRAIN, 0);
    assert_int_equal(run_job(wq, &dr), DSA_COMP_SUCCESS);
    /* The drain completes only after the move before it. */
    assert_int_not_equal(__atomic_load_n(&mv.cr.status, __ATOMIC_ACQUIRE), 0);
    assert_memory_equal(a, b, 16 * PAGE);
    unpages(a, 16);
    unpages(b, 16);
}

static void compval_zero_and_nonzero(void **state)
{
    (void)state;
    uint8_t *p = pages(1);
    struct job j;
    job_init(&j, DSA_OPCODE_COMPVAL, 0);
    j.d.src_addr = addr(p);
    j.d.xfer_size = PAGE;
    j.d.comp_pattern = 0;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 0);
    p[1000] = 1; /* in the 8-byte word at 1000 */
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, 1000);
    p[1000] = 0;
    p[4095] = 9; /* last byte */
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, 4088);
    unpages(p, 1);
}

static void compval_pattern_repeats_every_8_bytes(void **state)
{
    (void)state;
    uint8_t *p = pages(1);
    const uint64_t pat = 0x0807060504030201ull;
    for (int i = 0; i < PAGE; i += 8)
        memcpy(p + i, &pat, 8);
    struct job j;
    job_init(&j, DSA_OPCODE_COMPVAL, 0);
    j.d.src_addr = addr(p);
    j.d.xfer_size = PAGE;
    j.d.comp_pattern = pat;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 0);
    p[13] ^= 0xff;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, 8); /* the word's offset in the body */
    /* In the last xfer_size % 8 bytes the byte's own offset (DML
     * ta_compare_pattern.cpp); the pattern still starts at src_addr. */
    p[13] ^= 0xff;
    j.d.xfer_size = PAGE - 3;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 0);
    p[PAGE - 6] ^= 0xff;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, PAGE - 6);
    unpages(p, 1);
}

static void compare_two_buffers(void **state)
{
    (void)state;
    uint8_t *a = pages(2), *b = pages(2);
    memset(a, 7, 2 * PAGE);
    memset(b, 7, 2 * PAGE);
    struct job j;
    job_init(&j, DSA_OPCODE_COMPARE, 0);
    j.d.src_addr = addr(a);
    j.d.src2_addr = addr(b);
    j.d.xfer_size = 2 * PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 0);
    b[PAGE + 17] = 8;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, PAGE + 17); /* the byte itself (DML ta_compare.cpp) */
    unpages(a, 2);
    unpages(b, 2);
}

static void check_result_flag_gives_false_predicate(void **state)
{
    (void)state;
    uint8_t *p = pages(1);
    struct job j;
    job_init(&j, DSA_OPCODE_COMPVAL, IDXD_OP_FLAG_CR);
    j.d.src_addr = addr(p);
    j.d.xfer_size = PAGE;
    j.d.expected_res = 0;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS); /* as expected */
    p[5] = 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS_PRED);
    assert_int_equal(j.cr.result, 1);
    j.d.expected_res = 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    unpages(p, 1);
}

static void memmove_memfill_dualcast(void **state)
{
    (void)state;
    uint8_t *src = pages(2), *dst = pages(2), *d2 = pages(2);
    for (int i = 0; i < 2 * PAGE; i++)
        src[i] = (uint8_t)(i * 7);
    struct job j;
    job_init(&j, DSA_OPCODE_MEMMOVE, 0);
    j.d.src_addr = addr(src + 3);
    j.d.dst_addr = addr(dst + 5);
    j.d.xfer_size = PAGE + 100;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_memory_equal(dst + 5, src + 3, PAGE + 100);

    /* Overlapping move (dst above src) copies as memmove does. */
    uint8_t ref[PAGE];
    memcpy(ref, src, PAGE);
    j.d.src_addr = addr(src);
    j.d.dst_addr = addr(src + 64);
    j.d.xfer_size = PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_memory_equal(src + 64, ref, PAGE);

    job_init(&j, DSA_OPCODE_MEMFILL, 0);
    j.d.pattern = 0x1122334455667788ull;
    j.d.dst_addr = addr(dst);
    j.d.xfer_size = 2 * PAGE - 3;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    for (int i = 0; i < 2 * PAGE - 3; i++)
        assert_int_equal(dst[i], (uint8_t)(0x88 - 0x11 * (i % 8)));

    job_init(&j, DSA_OPCODE_DUALCAST, 0);
    j.d.src_addr = addr(src);
    j.d.dst_addr = addr(dst + 8);
    j.d.dest2 = addr(d2 + 8);
    j.d.xfer_size = PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_memory_equal(dst + 8, src, PAGE);
    assert_memory_equal(d2 + 8, src, PAGE);
    j.d.dest2 = addr(d2 + 16); /* bits 11:0 differ */
    assert_int_equal(run_job(wq, &j), DSA_COMP_DCAST_ERR);
    unpages(src, 2);
    unpages(dst, 2);
    unpages(d2, 2);
}

static uint32_t bit_reverse(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++, v >>= 1)
        r = r << 1 | (v & 1);
    return r;
}

static uint32_t crc_of(const uint8_t *p, uint32_t len, uint32_t flags, uint32_t seed)
{
    struct job j;
    job_init(&j, DSA_OPCODE_CRCGEN, flags);
    j.d.src_addr = addr(p);
    j.d.xfer_size = len;
    j.d.crc_seed = seed;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    return (uint32_t)j.cr.crc_val;
}

static void crc32c_known_vectors(void **state)
{
    (void)state;
    uint8_t *p = pages(1), *dst = pages(1);
    memcpy(p, "123456789", 9);
    struct job j;
    job_init(&j, DSA_OPCODE_CRCGEN, 0);
    j.d.src_addr = addr(p);
    j.d.xfer_size = 9;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal((uint32_t)j.cr.crc_val, 0xe3069283u); /* CRC-32C check value */
    /* 32 zero bytes: iSCSI (RFC 3720 B.4) vector. */
    memset(p, 0, 32);
    j.d.xfer_size = 32;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal((uint32_t)j.cr.crc_val, 0x8a9136aau);
    /* Chaining: the CRC of the first part seeds the second (COPY_CRC). */
    memcpy(p, "123456789", 9);
    j.d.xfer_size = 4;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    uint32_t seed = (uint32_t)j.cr.crc_val;
    job_init(&j, DSA_OPCODE_COPY_CRC, 0);
    j.d.src_addr = addr(p + 4);
    j.d.dst_addr = addr(dst);
    j.d.xfer_size = 5;
    j.d.crc_seed = seed;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal((uint32_t)j.cr.crc_val, 0xe3069283u);
    assert_memory_equal(dst, "56789", 5);

    /* Bypass inversion and reversal (op flag bit 17) gives the raw
     * register: the default CRC is the raw CRC of the inverted, reversed
     * seed, inverted and reversed. Chaining holds in the raw form too. */
    const uint32_t bypass = 0x20000, seed0 = 0x1eeddeadu;
    uint32_t plain = crc_of(p, 9, 0, seed0);
    uint32_t raw = crc_of(p, 9, bypass, bit_reverse(~seed0));
    assert_int_equal(plain, ~bit_reverse(raw));
    assert_int_equal(crc_of(p + 4, 5, bypass, crc_of(p, 4, bypass, seed0)),
                     crc_of(p, 9, bypass, seed0));
    /* Without data reflection (bit 18) the bytes enter MSB first: another
     * CRC, still chainable. */
    const uint32_t noreflect = 0x40000;
    assert_int_not_equal(crc_of(p, 9, noreflect, 0), crc_of(p, 9, 0, 0));
    assert_int_equal(crc_of(p + 4, 5, noreflect, crc_of(p, 4, noreflect, 0)),
                     crc_of(p, 9, noreflect, 0));
    unpages(p, 1);
    unpages(dst, 1);
}

/* With Read CRC Seed (op flag bit 16) the seed comes from seed_addr, which
 * must be 4-byte aligned: hardware reports a misaligned address (DML maps
 * that status of a CRC to DML_STATUS_CRC_ALIGN_ERROR, "crc_checksum_ptr
 * must be 4-byte aligned"). */
static void crc_seed_address_is_4_byte_aligned(void **state)
{
    (void)state;
    uint8_t *p = pages(1);
    memcpy(p, "123456789", 9);
    uint32_t seed = 0;
    memcpy(p + 64, &seed, 4);
    struct job j;
    job_init(&j, DSA_OPCODE_CRCGEN, 0x10000);
    j.d.src_addr = addr(p);
    j.d.xfer_size = 9;
    j.d.crc_seed = 0x12345678; /* ignored: the seed is read */
    j.d.seed_addr = addr(p + 64);
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal((uint32_t)j.cr.crc_val, 0xe3069283u);
    memcpy(p + 66, &seed, 4);
    j.d.seed_addr = addr(p + 66);
    assert_int_equal(run_job(wq, &j), DSA_COMP_ADDR_ALIGN);
    unpages(p, 1);
}

static void delta_create_and_apply(void **state)
{
    (void)state;
    uint8_t *a = pages(1), *b = pages(1), *rec = pages(1), *c = pages(1);
    for (int i = 0; i < PAGE; i++)
        a[i] = b[i] = (uint8_t)i;
    b[8 * 3] ^= 1;   /* word 3 */
    b[8 * 100 + 7] ^= 2; /* word 100 */
    struct job j;
    job_init(&j, DSA_OPCODE_CR_DELTA, 0);
    j.d.src_addr = addr(a);
    j.d.src2_addr = addr(b);
    j.d.delta_addr = addr(rec);
    j.d.max_delta_size = 800;
    j.d.xfer_size = PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.delta_rec_size, 20);
    uint16_t off;
    memcpy(&off, rec, 2);
    assert_int_equal(off, 3);
    memcpy(&off, rec + 10, 2);
    assert_int_equal(off, 100);

    memcpy(c, a, PAGE);
    job_init(&j, DSA_OPCODE_AP_DELTA, 0);
    j.d.src_addr = addr(rec);
    j.d.dst_addr = addr(c);
    j.d.xfer_size = PAGE;
    j.d.delta_rec_size = 20;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_memory_equal(c, b, PAGE);

    /* Equal buffers: result 0, no record; a CR mask expecting 1 says PRED. */
    job_init(&j, DSA_OPCODE_CR_DELTA, IDXD_OP_FLAG_CR);
    j.d.src_addr = addr(a);
    j.d.src2_addr = addr(a + 0); /* same contents */
    j.d.delta_addr = addr(rec);
    j.d.max_delta_size = 80;
    j.d.xfer_size = PAGE;
    j.d.expected_res_mask = 1u << 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS_PRED);
    assert_int_equal(j.cr.result, 0);
    assert_int_equal(j.cr.delta_rec_size, 0);
    unpages(a, 1);
    unpages(b, 1);
    unpages(rec, 1);
    unpages(c, 1);
}

static void delta_errors(void **state)
{
    (void)state;
    uint8_t *a = pages(1), *b = pages(1), *rec = pages(1);
    for (int i = 0; i < PAGE; i += 8)
        b[i] = 1; /* every word differs */
    struct job j;
    job_init(&j, DSA_OPCODE_CR_DELTA, 0);
    j.d.src_addr = addr(a);
    j.d.src2_addr = addr(b);
    j.d.delta_addr = addr(rec);
    j.d.max_delta_size = 80;
    j.d.xfer_size = PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS); /* overflow: result 2 */
    assert_int_equal(j.cr.result, 2);
    assert_int_equal(j.cr.delta_rec_size, 80);
    assert_int_equal(j.cr.bytes_completed, 64); /* 8 words fit */
    j.d.flags |= IDXD_OP_FLAG_CR;
    j.d.expected_res_mask = 1u << 2; /* overflow expected */
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    j.d.expected_res_mask = 1u << 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS_PRED);
    j.d.flags &= ~IDXD_OP_FLAG_CR;
    j.d.max_delta_size = 85;
    assert_int_equal(run_job(wq, &j), DSA_COMP_DR_ERANGE);
    j.d.max_delta_size = 80;
    /* A transfer size that is not a multiple of 8 is misaligned, as the
     * addresses (DML: DML_STATUS_DELTA_ALIGN_ERROR, "pSrc1, pSrc2, pDst1 or
     * length is not 8-byte aligned", its reading of that status); past the
     * 16-bit word offsets (512 KiB) it is out of range. */
    j.d.xfer_size = PAGE - 4;
    assert_int_equal(run_job(wq, &j), DSA_COMP_ADDR_ALIGN);
    uint8_t *big = pages(129);
    j.d.src_addr = addr(big);
    j.d.src2_addr = addr(big);
    j.d.xfer_size = 65536 * 8 + 8;
    assert_int_equal(run_job(wq, &j), DSA_COMP_XFER_ERANGE);
    unpages(big, 129);
    j.d.src2_addr = addr(b);
    j.d.xfer_size = PAGE;
    j.d.src_addr = addr(a + 4);
    assert_int_equal(run_job(wq, &j), DSA_COMP_ADDR_ALIGN);

    uint8_t *dst = pages(1);
    uint16_t off[2] = {5, 5};
    memset(rec, 0, 20);
    memcpy(rec, &off[0], 2);
    memcpy(rec + 10, &off[1], 2);
    job_init(&j, DSA_OPCODE_AP_DELTA, 0);
    j.d.src_addr = addr(rec);
    j.d.dst_addr = addr(dst);
    j.d.xfer_size = PAGE;
    j.d.delta_rec_size = 20;
    assert_int_equal(run_job(wq, &j), DSA_COMP_DR_OFFSET_NOINC);
    off[1] = PAGE / 8; /* one word past the destination */
    memcpy(rec + 10, &off[1], 2);
    assert_int_equal(run_job(wq, &j), DSA_COMP_DR_OFFSET_ERANGE);
    j.d.delta_rec_size = 15;
    assert_int_equal(run_job(wq, &j), DSA_COMP_DR_ERANGE);
    unpages(a, 1);
    unpages(b, 1);
    unpages(rec, 1);
    unpages(dst, 1);
}

static void overlapping_buffers_are_refused(void **state)
{
    (void)state;
    uint8_t *p = pages(2);
    struct job j;
    job_init(&j, DSA_OPCODE_COPY_CRC, 0);
    j.d.src_addr = addr(p);
    j.d.dst_addr = addr(p + 100);
    j.d.xfer_size = 1000;
    assert_int_equal(run_job(wq, &j), DSA_COMP_OVERLAP_BUFFERS);
    job_init(&j, DSA_OPCODE_DUALCAST, 0);
    j.d.src_addr = addr(p + PAGE);
    j.d.dst_addr = addr(p);
    j.d.dest2 = addr(p + PAGE); /* same bits 11:0, overlaps the source */
    j.d.xfer_size = 64;
    assert_int_equal(run_job(wq, &j), DSA_COMP_OVERLAP_BUFFERS);
    unpages(p, 2);
}

static void cflush_succeeds(void **state)
{
    (void)state;
    uint8_t *p = pages(1);
    struct job j;
    job_init(&j, DSA_OPCODE_CFLUSH, 0);
    j.d.dst_addr = addr(p);
    j.d.xfer_size = PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    unpages(p, 1);
}

/* --- batches ------------------------------------------------------------- */

struct batch {
    _Alignas(64) struct dsa_hw_desc list[8];
    _Alignas(32) struct dsa_completion_record cr[8];
};

static void batch_member(struct batch *b, int i, unsigned op, uint32_t flags)
{
    memset(&b->list[i], 0, sizeof b->list[i]);
    memset(&b->cr[i], 0, sizeof b->cr[i]);
    b->list[i].opcode = op;
    b->list[i].flags = flags | IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    b->list[i].completion_addr = addr(&b->cr[i]);
}

static void batch_runs_members_and_reports_failures(void **state)
{
    (void)state;
    uint8_t *z = pages(1), *nz = pages(1);
    nz[100] = 1;
    struct batch *b = aligned_alloc(64, sizeof *b);
    for (int i = 0; i < 4; i++) {
        batch_member(b, i, DSA_OPCODE_COMPVAL, 0);
        b->list[i].src_addr = addr(i == 2 ? nz : z);
        b->list[i].xfer_size = PAGE;
    }
    struct job j;
    job_init(&j, DSA_OPCODE_BATCH, 0);
    j.d.desc_list_addr = addr(b->list);
    j.d.desc_count = 4;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.bytes_completed, 4); /* descriptors completed */
    assert_int_equal(j.cr.result, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(b->cr[i].status, DSA_COMP_SUCCESS);
        assert_int_equal(b->cr[i].result, i == 2);
    }

    /* A failing member fails the batch; the others still complete. */
    batch_member(b, 1, 0x3f /* no such opcode */, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_BATCH_FAIL);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, 4);
    assert_int_equal(b->cr[1].status, DSA_COMP_BAD_OPCODE);
    assert_int_equal(b->cr[0].status, DSA_COMP_SUCCESS);
    assert_int_equal(b->cr[3].status, DSA_COMP_SUCCESS);

    /* A batch inside a batch fails as a member. */
    batch_member(b, 1, DSA_OPCODE_BATCH, 0);
    b->list[1].desc_list_addr = addr(b->list);
    b->list[1].desc_count = 2;
    assert_int_equal(run_job(wq, &j), DSA_COMP_BATCH_FAIL);
    assert_int_not_equal(b->cr[1].status, DSA_COMP_SUCCESS);
    assert_int_equal(b->cr[2].status, DSA_COMP_SUCCESS);
    free(b);
    unpages(z, 1);
    unpages(nz, 1);
}

static void batch_fence_orders_members(void **state)
{
    (void)state;
    uint8_t *src = pages(1), *mid = pages(1);
    memset(src, 0x33, PAGE);
    struct batch *b = aligned_alloc(64, sizeof *b);
    batch_member(b, 0, DSA_OPCODE_MEMMOVE, 0);
    b->list[0].src_addr = addr(src);
    b->list[0].dst_addr = addr(mid);
    b->list[0].xfer_size = PAGE;
    batch_member(b, 1, DSA_OPCODE_COMPARE, IDXD_OP_FLAG_FENCE);
    b->list[1].src_addr = addr(src);
    b->list[1].src2_addr = addr(mid);
    b->list[1].xfer_size = PAGE;
    struct job j;
    job_init(&j, DSA_OPCODE_BATCH, 0);
    j.d.desc_list_addr = addr(b->list);
    j.d.desc_count = 2;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(b->cr[1].status, DSA_COMP_SUCCESS);
    assert_int_equal(b->cr[1].result, 0); /* the compare saw the finished move */
    free(b);
    unpages(src, 1);
    unpages(mid, 1);
}

static void batch_shape_errors(void **state)
{
    (void)state;
    struct batch *b = aligned_alloc(64, sizeof *b);
    for (int i = 0; i < 8; i++)
        batch_member(b, i, DSA_OPCODE_NOOP, 0);
    struct job j;
    job_init(&j, DSA_OPCODE_BATCH, 0);
    j.d.desc_list_addr = addr(b->list) + 32;
    j.d.desc_count = 2;
    assert_int_equal(run_job(wq, &j), DSA_COMP_DESCLIST_ALIGN);
    j.d.desc_list_addr = addr(b->list);
    j.d.desc_count = 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_DESC_CNT_ERANGE);
    j.d.desc_count = zc_dsa_wq_info(wq)->max_batch + 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_DESC_CNT_ERANGE);
    free(b);
}

/* --- errors -------------------------------------------------------------- */

static void descriptor_errors(void **state)
{
    (void)state;
    uint8_t *p = pages(1);
    struct job j;
    job_init(&j, 0x3e, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_BAD_OPCODE);

    job_init(&j, DSA_OPCODE_MEMMOVE, IDXD_OP_FLAG_CR); /* CR on a move */
    j.d.src_addr = addr(p);
    j.d.dst_addr = addr(p + 2048);
    j.d.xfer_size = 64;
    assert_int_equal(run_job(wq, &j), DSA_COMP_INVALID_FLAGS);
    assert_int_equal(j.cr.invalid_flags, IDXD_OP_FLAG_CR);

    job_init(&j, DSA_OPCODE_COMPVAL, 0x40); /* reserved flag bit 6 */
    j.d.src_addr = addr(p);
    j.d.xfer_size = 64;
    assert_int_equal(run_job(wq, &j), DSA_COMP_INVALID_FLAGS);
    assert_int_equal(j.cr.invalid_flags, 0x40);

    uint64_t max = zc_dsa_wq_info(wq)->max_xfer;
    if (max < UINT32_MAX) {
        job_init(&j, DSA_OPCODE_COMPVAL, 0);
        j.d.src_addr = addr(p);
        j.d.xfer_size = (uint32_t)max + 1;
        assert_int_equal(run_job(wq, &j), DSA_COMP_XFER_ERANGE);
    }
    unpages(p, 1);
}

static void success_without_rcr_writes_no_record(void **state)
{
    (void)state;
    struct job j, k;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    j.d.flags = IDXD_OP_FLAG_CRAV; /* no RCR */
    j.cr.status = 0;
    assert_int_equal(submit(wq, &j.d), 0);
    job_init(&k, DSA_OPCODE_DRAIN, 0);
    assert_int_equal(run_job(wq, &k), DSA_COMP_SUCCESS);
    assert_int_equal(__atomic_load_n(&j.cr.status, __ATOMIC_ACQUIRE), 0);
    /* But an error is always reported. */
    job_init(&j, 0x3e, 0);
    j.d.flags = IDXD_OP_FLAG_CRAV;
    assert_int_equal(run_job(wq, &j), DSA_COMP_BAD_OPCODE);
}

static void many_in_flight_all_complete(void **state)
{
    (void)state;
    enum { N = 64 };
    uint8_t *p = pages(1);
    struct job *jobs = aligned_alloc(64, N * sizeof *jobs);
    unsigned size = zc_dsa_wq_info(wq)->size;
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_YIELD, .timeout_ns = 5000000000ull};
    zc_dsa_waiter_use(&w, wq);
    for (int i = 0; i < N; i++) {
        job_init(&jobs[i], DSA_OPCODE_COMPVAL, 0);
        jobs[i].d.src_addr = addr(p);
        jobs[i].d.xfer_size = PAGE;
        /* A dedicated WQ's submitter keeps within wq_size. */
        if (i >= (int)size)
            assert_int_equal(zc_dsa_wait(&w, &jobs[i - size].cr), DSA_COMP_SUCCESS);
        assert_int_equal(submit(wq, &jobs[i].d), 0);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(zc_dsa_wait(&w, &jobs[i].cr), DSA_COMP_SUCCESS);
    assert_int_equal(w.timeouts, 0);
    free(jobs);
    unpages(p, 1);
}

int main(int argc, char **argv)
{
    wq_spec = argc > 1 ? argv[1] : "emu";
    if (strcmp(wq_spec, "hw") == 0) {
        const char *env = getenv("ZC_DSA_TEST_WQ");
        wq_spec = env && *env ? env : "auto";
        struct zc_dsa_wq *probe;
        if (zc_dsa_wq_open(wq_spec, &probe) != 0) {
            printf("SKIP: no DSA work queue (%s): %s\n", wq_spec, zc_last_error());
            return 77;
        }
        zc_dsa_wq_close(probe);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(noop_succeeds),
        cmocka_unit_test(drain_succeeds_after_earlier_work),
        cmocka_unit_test(compval_zero_and_nonzero),
        cmocka_unit_test(compval_pattern_repeats_every_8_bytes),
        cmocka_unit_test(compare_two_buffers),
        cmocka_unit_test(check_result_flag_gives_false_predicate),
        cmocka_unit_test(memmove_memfill_dualcast),
        cmocka_unit_test(crc32c_known_vectors),
        cmocka_unit_test(crc_seed_address_is_4_byte_aligned),
        cmocka_unit_test(delta_create_and_apply),
        cmocka_unit_test(delta_errors),
        cmocka_unit_test(overlapping_buffers_are_refused),
        cmocka_unit_test(cflush_succeeds),
        cmocka_unit_test(batch_runs_members_and_reports_failures),
        cmocka_unit_test(batch_fence_orders_members),
        cmocka_unit_test(batch_shape_errors),
        cmocka_unit_test(descriptor_errors),
        cmocka_unit_test(success_without_rcr_writes_no_record),
        cmocka_unit_test(many_in_flight_all_complete),
    };
    return cmocka_run_group_tests_name(wq_spec, tests, open_wq, close_wq);
}

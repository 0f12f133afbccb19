/* Page faults in the emu model: inaccessible and unmapped pages, untouched
 * memory with fault=nonresident, block-on-fault, write faults, batch
 * members and descriptor lists. Never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dsa/emu/internal.h"
#include "dsa_test_util.h"

static struct zc_dsa_wq *open_emu(const char *spec)
{
    struct zc_dsa_wq *wq;
    if (zc_dsa_wq_open(spec, &wq) != 0)
        fail_msg("open %s: %s", spec, zc_last_error());
    return wq;
}

static void compval(struct job *j, const uint8_t *src, uint32_t len, uint32_t flags)
{
    job_init(j, DSA_OPCODE_COMPVAL, flags);
    j->d.src_addr = addr(src);
    j->d.xfer_size = len;
}

static void prot_none_page_faults_with_progress(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu:bof=1");
    uint8_t *p = pages(3);
    mprotect(p + PAGE, PAGE, PROT_NONE);
    struct job j;
    compval(&j, p + 100, 3 * PAGE - 100, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_equal(j.cr.bytes_completed, PAGE - 100);
    assert_int_equal(j.cr.fault_addr, addr(p + PAGE));
    assert_int_equal(j.cr.status & DSA_COMP_STATUS_WRITE, 0);

    /* A difference before the fault is the answer: no fault reported. */
    p[200] = 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, 96);

    /* Block on fault cannot resolve an inaccessible page. */
    p[200] = 0;
    compval(&j, p, 3 * PAGE, IDXD_OP_FLAG_BOF);
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_IR);
    assert_int_equal(j.cr.fault_addr, addr(p + PAGE));
    zc_dsa_wq_close(wq);
    unpages(p, 3);
}

static void unmapped_page_faults(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu:engines=2");
    uint8_t *p = pages(4);
    munmap(p + 2 * PAGE, PAGE);
    struct job j;
    compval(&j, p, 4 * PAGE, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_equal(j.cr.bytes_completed, 2 * PAGE);
    assert_int_equal(j.cr.fault_addr, addr(p + 2 * PAGE));
    /* Resuming after the fault, as recovery code does. */
    compval(&j, p + 3 * PAGE, PAGE, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    zc_dsa_wq_close(wq);
    munmap(p, 2 * PAGE);
    munmap(p + 3 * PAGE, PAGE);
}

static void write_fault_on_read_only_destination(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu");
    uint8_t *src = pages(2), *dst = pages(2);
    memset(src, 0x42, 2 * PAGE);
    mprotect(dst + PAGE, PAGE, PROT_READ);
    struct job j;
    job_init(&j, DSA_OPCODE_MEMMOVE, 0);
    j.d.src_addr = addr(src);
    j.d.dst_addr = addr(dst);
    j.d.xfer_size = 2 * PAGE;
    int st = run_job(wq, &j);
    assert_int_equal(st, DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_not_equal(j.cr.status & DSA_COMP_STATUS_WRITE, 0);
    assert_int_equal(j.cr.bytes_completed, PAGE);
    assert_int_equal(j.cr.fault_addr, addr(dst + PAGE));
    assert_memory_equal(dst, src, PAGE); /* the completed part was written */
    assert_int_equal(dst[PAGE], 0);      /* and nothing beyond it */
    zc_dsa_wq_close(wq);
    unpages(src, 2);
    unpages(dst, 2);
}

static void nonresident_pages_fault_only_when_asked(void **state)
{
    (void)state;
    uint8_t *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    p[0] = 0; /* page 0 resident, pages 1..3 untouched */
    struct zc_dsa_wq *wq = open_emu("emu:fault=nonresident,bof=1");
    struct job j;
    compval(&j, p, 4 * PAGE, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_equal(j.cr.bytes_completed, PAGE);
    assert_int_equal(j.cr.fault_addr, addr(p + PAGE));
    /* Block on fault: the device waits for the page, then succeeds. */
    compval(&j, p, 4 * PAGE, IDXD_OP_FLAG_BOF);
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(j.cr.result, 0);
    zc_dsa_wq_close(wq);
    munmap(p, 4 * PAGE);

    /* ZC_EMU switches every emu WQ to faulting without touching its spec. */
    p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    setenv("ZC_EMU", "fault=nonresident", 1);
    wq = open_emu("emu:engines=2");
    unsetenv("ZC_EMU");
    compval(&j, p, 2 * PAGE, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_equal(j.cr.bytes_completed, 0);
    zc_dsa_wq_close(wq);
    /* The default model reads untouched memory as zeros. */
    wq = open_emu("emu");
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    zc_dsa_wq_close(wq);
    munmap(p, 2 * PAGE);
}

struct batch {
    _Alignas(64) struct dsa_hw_desc list[4];
    _Alignas(32) struct dsa_completion_record cr[4];
};

static void batch_member_fault_fails_the_batch(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu:mode=shared,engines=2");
    uint8_t *ok = pages(1), *bad = pages(1);
    mprotect(bad, PAGE, PROT_NONE);
    struct batch *b = aligned_alloc(64, sizeof *b);
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 3; i++) {
        b->list[i].opcode = DSA_OPCODE_COMPVAL;
        b->list[i].flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
        b->list[i].completion_addr = addr(&b->cr[i]);
        b->list[i].src_addr = addr(i == 1 ? bad : ok);
        b->list[i].xfer_size = PAGE;
    }
    struct job j;
    job_init(&j, DSA_OPCODE_BATCH, 0);
    j.d.desc_list_addr = addr(b->list);
    j.d.desc_count = 3;
    assert_int_equal(run_job(wq, &j), DSA_COMP_BATCH_FAIL);
    assert_int_equal(b->cr[0].status, DSA_COMP_SUCCESS);
    assert_int_equal(b->cr[1].status, DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_equal(b->cr[1].fault_addr, addr(bad));
    assert_int_equal(b->cr[2].status, DSA_COMP_SUCCESS);

    /* A fenced member after a failed one is abandoned with the rest. */
    memset(b->cr, 0, sizeof b->cr);
    b->list[2].flags |= IDXD_OP_FLAG_FENCE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_BATCH_FAIL);
    assert_int_equal(j.cr.bytes_completed, 2);
    assert_int_equal(b->cr[2].status, 0);
    free(b);
    zc_dsa_wq_close(wq);
    unpages(ok, 1);
    mprotect(bad, PAGE, PROT_READ | PROT_WRITE);
    unpages(bad, 1);
}

static void unreadable_descriptor_list_is_a_batch_page_fault(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu");
    uint8_t *p = pages(2);
    /* Two NOOPs at the end of page 0, two more on PROT_NONE page 1. */
    struct dsa_hw_desc *list = (struct dsa_hw_desc *)(p + PAGE - 2 * 64);
    _Alignas(32) struct dsa_completion_record cr[2];
    noop_list(list, cr, 2);
    mprotect(p + PAGE, PAGE, PROT_NONE);
    struct job j;
    job_init(&j, DSA_OPCODE_BATCH, 0);
    j.d.desc_list_addr = addr(list);
    j.d.desc_count = 4;
    assert_int_equal(run_job(wq, &j), DSA_COMP_BATCH_PAGE_FAULT);
    assert_int_equal(j.cr.bytes_completed, 2);
    assert_int_equal(j.cr.fault_addr, addr(p + PAGE));
    assert_int_equal(cr[0].status, DSA_COMP_SUCCESS);
    assert_int_equal(cr[1].status, DSA_COMP_SUCCESS);
    zc_dsa_wq_close(wq);
    mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE);
    unpages(p, 2);
}

static void bad_completion_records_go_to_swerr(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu");
    uint8_t *p = pages(2);
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    j.d.completion_addr = addr(p + 16); /* not 32-byte aligned: CRA_ALIGN */
    assert_int_equal(submit(wq, &j.d), 0);
    mprotect(p + PAGE, PAGE, PROT_READ);
    j.d.completion_addr = addr(p + PAGE); /* not writable: CRA_XLAT */
    assert_int_equal(submit(wq, &j.d), 0);
    job_init(&j, DSA_OPCODE_DRAIN, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    struct zc_dsa_wq_stats st;
    zc_dsa_wq_stats(wq, &st);
    assert_int_equal(st.swerr, 2);
    assert_int_equal(p[16], 0);
    zc_dsa_wq_close(wq);
    unpages(p, 2);
}

/* APPLY DELTA writes only the words its entries name: a page none of them
 * names cannot fault, and a fault reports the delta record bytes applied
 * before it (DML resumes with the record advanced by bytes_completed,
 * sources/middle_layer/src/partial_completion.hpp). */
static void apply_delta_fault_counts_record_bytes(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu");
    uint8_t *dst = pages(3), *rec = pages(1);
    const uint16_t words[3] = {0, 600, 1100}; /* on pages 0, 1 and 2 */
    for (int e = 0; e < 3; e++) {
        memcpy(rec + 10 * e, &words[e], 2);
        memset(rec + 10 * e + 2, 0x5a, 8);
    }
    struct job j;
    job_init(&j, DSA_OPCODE_AP_DELTA, 0);
    j.d.src_addr = addr(rec);
    j.d.dst_addr = addr(dst);
    j.d.xfer_size = 3 * PAGE;
    j.d.delta_rec_size = 20; /* entries on pages 0 and 1 only */
    mprotect(dst + 2 * PAGE, PAGE, PROT_READ);
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal(dst[600 * 8], 0x5a);

    memset(dst, 0, 2 * PAGE);
    mprotect(dst + PAGE, PAGE, PROT_READ);
    j.d.delta_rec_size = 30;
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_not_equal(j.cr.status & DSA_COMP_STATUS_WRITE, 0);
    assert_int_equal(j.cr.bytes_completed, 10);
    assert_int_equal(j.cr.fault_addr, addr(dst + 600 * 8));
    assert_int_equal(dst[0], 0x5a); /* the entry before the fault was applied */
    zc_dsa_wq_close(wq);
    mprotect(dst + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE);
    unpages(dst, 3);
    unpages(rec, 1);
}

/* Choices the model documents where public material is silent. */
static void model_choices(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu");
    uint8_t *p = pages(3);
    struct job j;
    compval(&j, p, 0, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_XFER_ERANGE); /* xfer_size 0 */
    job_init(&j, DSA_OPCODE_DIF_CHECK, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_BAD_OPCODE); /* DIF is not modeled */
    compval(&j, p, 64, 0);
    j.d.rsvd1 = 1;
    assert_int_equal(run_job(wq, &j), DSA_COMP_NOZERO_RESERVE);

    /* A CRC that faults reports the CRC of the completed part: resuming
     * with it as the seed gives the CRC of the whole. */
    for (int i = 0; i < 2 * PAGE; i++)
        p[i] = (uint8_t)(i * 13);
    job_init(&j, DSA_OPCODE_CRCGEN, 0);
    j.d.src_addr = addr(p);
    j.d.xfer_size = 2 * PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    uint32_t whole = (uint32_t)j.cr.crc_val;
    mprotect(p + PAGE, PAGE, PROT_NONE);
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_equal(j.cr.bytes_completed, PAGE);
    mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE);
    j.d.src_addr = addr(p + PAGE);
    j.d.xfer_size = PAGE;
    j.d.crc_seed = (uint32_t)j.cr.crc_val;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal((uint32_t)j.cr.crc_val, whole);

    /* The seed can come from memory (op-specific flag bit 16). */
    uint32_t seed = 0;
    memcpy(p + 2 * PAGE, &seed, 4);
    job_init(&j, DSA_OPCODE_CRCGEN, 0x10000);
    j.d.src_addr = addr(p);
    j.d.xfer_size = 2 * PAGE;
    j.d.seed_addr = addr(p + 2 * PAGE);
    j.d.crc_seed = 0xdeadbeef; /* ignored */
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_int_equal((uint32_t)j.cr.crc_val, whole);
    zc_dsa_wq_close(wq);
    unpages(p, 3);
}

/* An overlapping move with dst > src copies from the end down: a fault
 * leaves the end copied, result 1 (descending) and bytes_completed the
 * bytes done at the end; DML resumes with xfer_size reduced by them and the
 * addresses kept (sources/middle_layer/src/partial_completion.hpp). */
static void descending_move_fault_keeps_the_copied_end(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq = open_emu("emu");
    uint8_t *p = pages(4);
    for (int i = 0; i < 4 * PAGE; i++)
        p[i] = (uint8_t)(i / PAGE + 1); /* page k holds k + 1 */
    mprotect(p + 2 * PAGE, PAGE, PROT_READ); /* destination offsets [PAGE, 2 PAGE) */
    struct job j;
    job_init(&j, DSA_OPCODE_MEMMOVE, 0);
    j.d.src_addr = addr(p);
    j.d.dst_addr = addr(p + PAGE);
    j.d.xfer_size = 3 * PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_PAGE_FAULT_NOBOF);
    assert_int_not_equal(j.cr.status & DSA_COMP_STATUS_WRITE, 0);
    assert_int_equal(j.cr.result, 1);
    assert_int_equal(j.cr.bytes_completed, PAGE);
    assert_int_equal(j.cr.fault_addr, addr(p + 3 * PAGE - 1));
    assert_int_equal(p[3 * PAGE], 3); /* the end is copied */
    assert_int_equal(p[2 * PAGE - 1], 2);

    /* Resuming as DML does finishes the move. */
    mprotect(p + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE);
    j.d.xfer_size -= j.cr.bytes_completed;
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    for (int i = PAGE; i < 4 * PAGE; i++)
        assert_int_equal(p[i], (uint8_t)(i / PAGE));
    zc_dsa_wq_close(wq);
    unpages(p, 4);
}

int main(int argc, char **argv)
{
    unsetenv("ZC_EMU");
    if (argc > 1 && strcmp(argv[1], "pipe") == 0)
        zc_emu_probe_use_pipe(true); /* the fallback for seccomp-confined hosts */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prot_none_page_faults_with_progress),
        cmocka_unit_test(unmapped_page_faults),
        cmocka_unit_test(write_fault_on_read_only_destination),
        cmocka_unit_test(nonresident_pages_fault_only_when_asked),
        cmocka_unit_test(batch_member_fault_fails_the_batch),
        cmocka_unit_test(unreadable_descriptor_list_is_a_batch_page_fault),
        cmocka_unit_test(bad_completion_records_go_to_swerr),
        cmocka_unit_test(apply_delta_fault_counts_record_bytes),
        cmocka_unit_test(descending_move_fault_keeps_the_copied_end),
        cmocka_unit_test(model_choices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

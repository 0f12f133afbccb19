/* The emu model's own cost per descriptor: synchronous round trips
 * (submit, then wait for the record) of NOOP and 4 KiB COMPVAL, the
 * throughput of 4 KiB COMPVALs kept wq_size deep, and per page in batches
 * of 128. Not a test: run
 *   build/tests/dsa/dsa_bench_emu [spec] [iterations]
 * Numbers are the model's overhead on this host, not DSA performance. */
#include <stdio.h>
#include <stdlib.h>

#include "cpu/tsc.h"
#include "dsa_test_util.h"

static double round_trip_ns(struct zc_dsa_wq *wq, struct job *j, int iters)
{
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_PAUSE};
    for (int i = 0; i < iters / 10; i++) /* warm up */
        if (run_job(wq, j) < 0)
            return -1;
    uint64_t t0 = zc_now_ns();
    for (int i = 0; i < iters; i++) {
        j->cr.status = 0;
        if (submit(wq, &j->d) || zc_dsa_wait(&w, &j->cr) != DSA_COMP_SUCCESS)
            return -1;
    }
    return (double)(zc_now_ns() - t0) / iters;
}

static double pipelined_ns(struct zc_dsa_wq *wq, const uint8_t *page, int iters)
{
    unsigned depth = zc_dsa_wq_info(wq)->size;
    struct job *jobs = aligned_alloc(64, depth * sizeof *jobs);
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_PAUSE};
    for (unsigned i = 0; i < depth; i++) {
        job_init(&jobs[i], DSA_OPCODE_COMPVAL, 0);
        jobs[i].d.src_addr = addr(page);
        jobs[i].d.xfer_size = PAGE;
    }
    uint64_t t0 = zc_now_ns();
    for (int i = 0; i < iters; i++) {
        struct job *j = &jobs[(unsigned)i % depth];
        if (i >= (int)depth && zc_dsa_wait(&w, &j->cr) != DSA_COMP_SUCCESS)
            return -1;
        j->cr.status = 0;
        if (submit(wq, &j->d))
            return -1;
    }
    for (int i = iters; i < iters + (int)depth; i++)
        if (zc_dsa_wait(&w, &jobs[(unsigned)i % depth].cr) != DSA_COMP_SUCCESS)
            return -1;
    double ns = (double)(zc_now_ns() - t0) / iters;
    free(jobs);
    return ns;
}

/* ns per page of a 4 KiB COMPVAL batch of n (one BATCH descriptor). */
static double batch_page_ns(struct zc_dsa_wq *wq, const uint8_t *page, unsigned n, int iters)
{
    struct dsa_hw_desc *list = aligned_alloc(64, n * sizeof *list);
    struct dsa_completion_record *crs = aligned_alloc(32, n * sizeof *crs);
    memset(list, 0, n * sizeof *list);
    for (unsigned i = 0; i < n; i++) {
        list[i].opcode = DSA_OPCODE_COMPVAL;
        list[i].flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
        list[i].completion_addr = addr(&crs[i]);
        list[i].src_addr = addr(page);
        list[i].xfer_size = PAGE;
    }
    struct job j;
    job_init(&j, DSA_OPCODE_BATCH, 0);
    j.d.desc_list_addr = addr(list);
    j.d.desc_count = n;
    uint64_t t0 = zc_now_ns();
    int bad = 0;
    for (int i = 0; i < iters; i++)
        bad |= run_job(wq, &j) != DSA_COMP_SUCCESS;
    double ns = (double)(zc_now_ns() - t0) / ((double)iters * n);
    free(list);
    free(crs);
    return bad ? -1 : ns;
}

int main(int argc, char **argv)
{
    const char *spec = argc > 1 ? argv[1] : "emu:engines=1";
    int iters = argc > 2 ? atoi(argv[2]) : 20000;
    struct zc_dsa_wq *wq;
    if (zc_dsa_wq_open(spec, &wq) != 0) {
        fprintf(stderr, "dsa_bench_emu: %s\n", zc_last_error());
        return 1;
    }
    uint8_t *page = pages(1);
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    double noop = round_trip_ns(wq, &j, iters);
    job_init(&j, DSA_OPCODE_COMPVAL, 0);
    j.d.src_addr = addr(page);
    j.d.xfer_size = PAGE;
    double compval = round_trip_ns(wq, &j, iters);
    double piped = pipelined_ns(wq, page, iters);
    double batched = batch_page_ns(wq, page, 128, iters / 128 + 1);
    printf("spec=%s iterations=%d (model overhead, not DSA)\n", spec, iters);
    printf("noop_round_trip_ns=%.0f compval4k_round_trip_ns=%.0f compval4k_pipelined_ns=%.0f "
           "compval4k_in_batch128_ns=%.0f\n", noop, compval, piped, batched);
    zc_dsa_wq_close(wq);
    unpages(page, 1);
    return noop < 0 || compval < 0 || piped < 0 || batched < 0;
}

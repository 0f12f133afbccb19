/* Helpers for the DSA tests: raw descriptors, running one and reading its
 * completion record, and pages with chosen protections. */
#ifndef ZC_TESTS_DSA_UTIL_H
#define ZC_TESTS_DSA_UTIL_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <zc/dsa.h>
#include <zc/error.h>

#define PAGE 4096

/* 32-byte aligned completion record with the descriptor that uses it. */
struct job {
    _Alignas(64) struct dsa_hw_desc d;
    _Alignas(32) struct dsa_completion_record cr;
};

static inline void job_init(struct job *j, unsigned opcode, uint32_t flags)
{
    memset(j, 0, sizeof *j);
    j->d.opcode = opcode;
    j->d.flags = flags | IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    j->d.completion_addr = (uint64_t)(uintptr_t)&j->cr;
}

static inline uint64_t addr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* n NOOP batch members, each asking for its record in crs[i]. */
static inline void noop_list(struct dsa_hw_desc *list, struct dsa_completion_record *crs, int n)
{
    memset(list, 0, (size_t)n * sizeof *list);
    memset(crs, 0, (size_t)n * sizeof *crs);
    for (int i = 0; i < n; i++) {
        list[i].opcode = DSA_OPCODE_NOOP;
        list[i].flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
        list[i].completion_addr = addr(&crs[i]);
    }
}

/* Submits (retrying while a shared WQ is full) without waiting. */
static inline int submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *d)
{
    int rc;
    for (int tries = 0; (rc = zc_dsa_wq_submit(wq, d)) == -EAGAIN && tries < 1000000; tries++)
        sched_yield();
    return rc;
}

/* Runs one descriptor: its status, or a negative errno. */
static inline int run_job(struct zc_dsa_wq *wq, struct job *j)
{
    j->cr.status = 0;
    int rc = submit(wq, &j->d);
    if (rc)
        return rc;
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_PAUSE, .timeout_ns = 5000000000ull};
    zc_dsa_waiter_use(&w, wq);
    return zc_dsa_wait(&w, &j->cr);
}

/* n pages, all PROT_READ|PROT_WRITE and touched (resident). */
static inline uint8_t *pages(size_t n)
{
    uint8_t *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        abort();
    memset(p, 0, n * PAGE);
    return p;
}

static inline void unpages(uint8_t *p, size_t n) { munmap(p, n * PAGE); }

#endif

/* A case prepared for measuring, and the operations every workload provides.
 * One file per workload; the harness drives them. */
#ifndef ZCB_WORKLOAD_H
#define ZCB_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zc/backend.h>

#include "buffers.h"
#include "cases.h"

/* One timed pass over the whole buffer or guest memory. */
struct zcb_sample {
    double wall_ns;
    double cpu_ns;            /* calling thread (migrate: all senders) */
    uint64_t save_cycles;     /* savevm/migrate */
    uint64_t zerocheck_cycles;
    double sender_cpu_ns_max; /* migrate: the busiest sender */
    /* Backend statistics of the pass: read by the harness from b->be, or
     * summed by workloads with several backends (migrate). */
    struct zc_backend_stats stats;
};

struct zcb_workload_ops;

struct zcb_bench {
    const struct zcb_case *c;
    const struct zcb_workload_ops *ops;
    struct zc_backend *be;                /* NULL for the reference kernel and migrate */
    const struct zc_backend_desc *desc;   /* NULL for the reference kernel */
    const struct zcb_buffer *buf;         /* the buffer or guest memory */
    bool *answer;                         /* per page, from the last pass */
    size_t pages;
    size_t answered_zero;                 /* pages the last pass reported zero */
    void *priv;                           /* the workload's own state */
};

struct zcb_workload_ops {
    /* Allocates what the passes need, beyond the buffer and answer map. */
    int (*prepare)(struct zcb_bench *b);
    /* One timed pass; the caller flushes nothing, cold passes flush here. */
    int (*pass)(struct zcb_bench *b, struct zcb_sample *out);
    /* 0 when the last pass's answers match the oracle, else -EIO + message. */
    int (*verify)(struct zcb_bench *b);
    void (*release)(struct zcb_bench *b);
    /* The workload opens what it measures (migrate: a backend per sender;
     * the reference kernel: none); the harness opens nothing. */
    bool opens_own_backend;
    /* A failure is an outside program's, not a wrong answer: it ends this
     * case only, the others go on. */
    bool failure_is_local;
};

extern const struct zcb_workload_ops zcb_wl_zerocheck; /* op compval */
extern const struct zcb_workload_ops zcb_wl_read;      /* op read: the reference kernel */
extern const struct zcb_workload_ops zcb_wl_compare;   /* op compare (onegig) */
extern const struct zcb_workload_ops zcb_wl_savevm;
extern const struct zcb_workload_ops zcb_wl_migrate;

/* Counts b->answered_zero and compares b->answer with the oracle (shared by
 * the map-producing workloads). */
int zcb_verify_answers(struct zcb_bench *b);
/* CLOCK_THREAD_CPUTIME_ID in ns. */
uint64_t zcb_thread_cpu_ns(void);

/* Wall and calling-thread CPU time of a timed region. */
struct zcb_timer {
    uint64_t wall0, cpu0;
};
void zcb_timer_start(struct zcb_timer *t);
void zcb_timer_stop(const struct zcb_timer *t, struct zcb_sample *out);
/* Evicts the pass's buffer when the case is cold (untimed). */
void zcb_cold_flush(const struct zcb_bench *b);

#endif

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

/* What one sample (one or more passes back to back) measured. The harness
 * times the sample; the pass adds its own counters. */
struct zcb_sample {
    double wall_ns;           /* the sample's time: the host's, or simulated when projected */
    double cpu_ns;            /* calling thread, or the workload's own (own_time) */
    double host_ns;           /* the host's wall time of the sample */
    uint64_t save_cycles;     /* savevm/migrate */
    uint64_t zerocheck_cycles;
    double sender_cpu_ns_max; /* migrate: the busiest sender */
    /* Backend statistics of the sample: read by the harness from b->be, or
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
    bool projected;                       /* the backend runs on simulated time (dsa-projected) */
    size_t pages;
    size_t answered_zero;                 /* pages the last pass reported zero */
    void *priv;                           /* the workload's own state */
};

struct zcb_workload_ops {
    /* Allocates what the passes need, beyond the buffer and answer map. */
    int (*prepare)(struct zcb_bench *b);
    /* Untimed, before every sample (a cold case evicts its buffers here);
     * NULL: the harness evicts the buffer of a cold case. */
    int (*before_sample)(struct zcb_bench *b);
    /* One pass, inside the harness's timed sample; adds the workload's own
     * counters to out. */
    int (*pass)(struct zcb_bench *b, struct zcb_sample *out);
    /* 0 when the last pass's answers match the oracle, else -EIO + message. */
    int (*verify)(struct zcb_bench *b);
    void (*release)(struct zcb_bench *b);
    /* A sample may hold many passes back to back (short hot passes are
     * timed without the clock in them); else one pass per sample. */
    bool repeatable;
    /* The pass's own threads do the work: it sets out->cpu_ns, and when
     * projected out->wall_ns (their simulated span), for the harness. */
    bool own_time;
};

extern const struct zcb_workload_ops zcb_wl_zerocheck; /* op compval */
extern const struct zcb_workload_ops zcb_wl_read;      /* op read: the reference kernel */
extern const struct zcb_workload_ops zcb_wl_compare;   /* op compare (onegig) */
extern const struct zcb_workload_ops zcb_wl_savevm;
extern const struct zcb_workload_ops zcb_wl_migrate;

/* Counts b->answered_zero and compares b->answer with the oracle (shared by
 * the map-producing workloads). */
int zcb_verify_answers(struct zcb_bench *b);
/* Evicts the buffer when the case is cold (untimed). */
void zcb_cold_flush(const struct zcb_bench *b);
/* TSC cycles for a workload's own counters: the host's, or the calling
 * thread's simulated time when the case is projected. */
uint64_t zcb_cycles_now(const struct zcb_bench *b);

#endif

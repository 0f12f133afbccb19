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

/* What QEMU reports of one pass (device qemu): its own counters, and the
 * CPU time of its process and threads read from /proc. */
enum zcb_qemu_metric {
    ZCB_Q_PAGES_ZERO, ZCB_Q_PAGES_NORMAL, ZCB_Q_BYTES, /* query-migrate ram: duplicate, normal, transferred */
    ZCB_Q_TOTAL_MS, ZCB_Q_MBPS,          /* migrate: QEMU's total-time and throughput */
    ZCB_Q_CPU_USER, ZCB_Q_CPU_SYS,       /* the process, at clock-tick resolution (ns) */
    ZCB_Q_SAVE_THREAD,                   /* the thread running the save loop (ns) */
    ZCB_Q_MULTIFD, ZCB_Q_MULTIFD_MAX,    /* multifdsend_* threads: together, the busiest (ns) */
    ZCB_Q_IO,                            /* the block layer's worker threads: image writes (ns) */
    ZCB_Q_COUNT
};

/* What ran, fixed for a QEMU case. */
struct zcb_qemu_info {
    char version[64];                       /* "7.2.22" */
    const char *accel;                      /* "kvm" or "tcg" */
    unsigned channels;                      /* multifd channels, 0 when not multifd */
    bool migrate;
    char sink[ZCB_PATH_MAX + 8];            /* "qcow2:PATH" (savevm) or "socket" (the drain) */
};

/* What one sample (one or more passes back to back) measured. The harness
 * times the sample (unless the workload times its own operation,
 * own_wall_time); the pass adds its own counters. */
struct zcb_sample {
    double wall_ns;           /* the sample's time: the host's, or simulated when projected */
    double cpu_ns;            /* calling thread, or the workload's own (own_cpu_time) */
    double host_ns;           /* the host's wall time of the sample */
    uint64_t save_cycles;     /* savevm/migrate */
    uint64_t zerocheck_cycles;
    double sender_cpu_ns_max; /* migrate: the busiest sender */
    /* Backend statistics of the sample: read by the harness from b->be, or
     * summed by workloads with several backends (migrate). */
    struct zc_backend_stats stats;
    double qemu[ZCB_Q_COUNT]; /* device qemu, enum zcb_qemu_metric */
};

struct zcb_workload_ops;

struct zcb_bench {
    const struct zcb_case *c;
    const struct zcb_workload_ops *ops;
    struct zc_backend *be;                /* NULL when the workload opens its own (opens_own_backend) */
    const struct zc_backend_desc *desc;   /* NULL for the reference kernel */
    const struct zcb_buffer *buf;         /* the buffer or guest memory */
    bool *answer;                         /* per page, from the last pass */
    bool projected;                       /* the backend runs on simulated time (dsa-projected) */
    size_t pages;
    size_t answered_zero;                 /* pages the last pass reported zero */
    void *priv;                           /* the workload's own state */
    const struct zcb_qemu_info *qemu;     /* device qemu: what ran; NULL otherwise */
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
    /* Instead of pass, for a workload whose passes may run back to back in
     * one sample (short hot passes are timed without the clock in them):
     * n passes, in a loop of the workload's own (an indirect call and the
     * reloads per pass were a tenth of a hot 4 KiB check). NULL: one pass
     * per sample. */
    int (*passes)(struct zcb_bench *b, unsigned n, struct zcb_sample *out);
    /* 0 when the last pass's answers match the oracle, else -EIO + message. */
    int (*verify)(struct zcb_bench *b);
    void (*release)(struct zcb_bench *b);
    /* The pass's own threads do the work: it sets out->cpu_ns, and when
     * projected out->wall_ns (their simulated span), for the harness. */
    bool own_cpu_time;
    /* out->wall_ns is the pass's own: it times the operation it measures
     * (QEMU's savevm or migration) without the untimed bookkeeping around
     * it in the same pass (reading QEMU's counters, deleting the snapshot).
     * Such a workload is not repeatable. */
    bool own_wall_time;
    /* The workload opens what it measures (migrate: a backend per sender;
     * QEMU: no zero-check backend at all); the harness opens nothing. */
    bool opens_own_backend;
    /* A failure is an outside program's (QEMU missing, too old, crashed):
     * it ends this case only, the others go on. */
    bool failure_is_local;
};

extern const struct zcb_workload_ops zcb_wl_zerocheck; /* op compval */
extern const struct zcb_workload_ops zcb_wl_read;      /* op read: the reference kernel */
extern const struct zcb_workload_ops zcb_wl_compare;   /* op compare (onegig) */
extern const struct zcb_workload_ops zcb_wl_savevm;
extern const struct zcb_workload_ops zcb_wl_migrate;
extern const struct zcb_workload_ops zcb_wl_qemu_savevm; /* the host's QEMU (qemu_workload.c) */
extern const struct zcb_workload_ops zcb_wl_qemu_migrate;

/* Counts b->answered_zero and compares b->answer with the oracle (shared by
 * the map-producing workloads). */
int zcb_verify_answers(struct zcb_bench *b);
/* Evicts the buffer when the case is cold (untimed). */
void zcb_cold_flush(const struct zcb_bench *b);
/* TSC cycles for a workload's own counters: the host's, or the calling
 * thread's simulated time when the case is projected. */
uint64_t zcb_cycles_now(const struct zcb_bench *b);

#endif

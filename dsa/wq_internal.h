/* Internal: how a work queue implementation plugs into <zc/dsa.h> (one
 * ops table, like fio's ioengines). dsa/wq.c parses the spec, picks the
 * table, counts what the caller submitted and answers the queries; the
 * implementation (dsa/emu/, dsa/hw/) opens, submits and closes. */
#ifndef ZC_DSA_WQ_INTERNAL_H
#define ZC_DSA_WQ_INTERNAL_H

#include <stdatomic.h>

#include <zc/dsa.h>

struct zc_dsa_wq;

#define ZC_DSA_SUBMIT_DROPPED 1

struct zc_dsa_wq_ops {
    const char *name;
    /* Fills wq->info and wq->impl; 0 or -errno with zc_fail()'s message. */
    int (*open)(struct zc_dsa_wq *wq, const char *spec);
    /* 0 accepted, ZC_DSA_SUBMIT_DROPPED (dedicated WQ full: the
     * descriptor is lost, as a portal write to a full WQ is), -EAGAIN not
     * accepted (shared WQ full). */
    int (*submit)(struct zc_dsa_wq *wq, const struct dsa_hw_desc *desc);
    void (*close)(struct zc_dsa_wq *wq);
};

struct zc_dsa_clock;

struct zc_dsa_wq {
    const struct zc_dsa_wq_ops *ops; /* open may replace it with a more specific table */
    void *impl;
    const struct zc_dsa_clock *clock; /* NULL: host time (dsa/clock.h) */
    struct zc_dsa_wq_info info;
    /* Counters written by submitters and engine threads alike. */
    atomic_uint_least64_t submitted, dropped, rejected, swerr;
};

extern const struct zc_dsa_wq_ops zc_dsa_emu_ops;
extern const struct zc_dsa_wq_ops zc_dsa_hw_ops;

static inline void zc_dsa_wq_count(atomic_uint_least64_t *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

#endif

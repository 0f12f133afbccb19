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
    /* What the kernel says about the WQ now (zc_dsa_wq_check); NULL: the
     * model's counters say it. */
    int (*check)(struct zc_dsa_wq *wq, char *buf, size_t len);
};

/* The entries of a dedicated WQ, counted by every handle on it in this
 * process (zc_dsa_wq_claim). */
struct zc_dsa_credits {
    atomic_uint free;
    atomic_uint users;
    unsigned size;
};

struct zc_dsa_clock;

struct zc_dsa_wq {
    const struct zc_dsa_wq_ops *ops; /* open may replace it with a more specific table */
    void *impl;
    const struct zc_dsa_clock *clock; /* NULL: host time (dsa/clock.h) */
    struct zc_dsa_wq_info info;
    /* Counters written by submitters and engine threads alike. */
    atomic_uint_least64_t submitted, dropped, rejected, swerr;
    /* Dedicated WQs: the implementation's shared count, or own_credits. */
    struct zc_dsa_credits *credits;
    struct zc_dsa_credits own_credits;
    unsigned held;  /* entries this handle claimed (one user thread at a time) */
};

/* Sets up a count of `size` entries with no user yet. */
void zc_dsa_credits_init(struct zc_dsa_credits *c, unsigned size);

extern const struct zc_dsa_wq_ops zc_dsa_emu_ops;
extern const struct zc_dsa_wq_ops zc_dsa_hw_ops;

static inline void zc_dsa_wq_count(atomic_uint_least64_t *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

#endif

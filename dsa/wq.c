/* <zc/dsa.h> work queues: picks the implementation from the spec and keeps
 * the counters every implementation shares. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/clock.h"
#include "dsa/error.h"
#include "dsa/wq_internal.h"

static bool is_kind(const char *spec, const char *kind)
{
    size_t n = strlen(kind);
    return strncmp(spec, kind, n) == 0 && (spec[n] == '\0' || spec[n] == ':');
}

static const struct zc_dsa_wq_ops *ops_for(const char *spec)
{
    if (is_kind(spec, "emu"))
        return &zc_dsa_emu_ops;
    if (strcmp(spec, "auto") == 0 || strncmp(spec, "wq", 2) == 0 ||
        strncmp(spec, "/dev/dsa/", 9) == 0)
        return &zc_dsa_hw_ops;
    return NULL;
}

int zc_dsa_wq_open(const char *spec, struct zc_dsa_wq **out)
{
    if (!spec || !*spec)
        return zc_fail(EINVAL, "empty work queue spec (allowed: emu[:key=value,...], wqD.Q, "
                               "/dev/dsa/wqD.Q, auto)");
    const struct zc_dsa_wq_ops *ops = ops_for(spec);
    if (!ops)
        return zc_fail(EINVAL, "unknown work queue '%s' (allowed: emu[:key=value,...], wqD.Q, "
                               "/dev/dsa/wqD.Q, auto)", spec);
    struct zc_dsa_wq *wq = calloc(1, sizeof *wq);
    if (!wq)
        return zc_fail(ENOMEM, "out of memory opening work queue '%s'", spec);
    wq->ops = ops;
    wq->info.numa_node = -1;
    int rc = ops->open(wq, spec);
    if (rc) {
        free(wq);
        return rc;
    }
    if (!wq->info.timing) /* set only by the projection */
        wq->info.timing = "";
    if (wq->info.mode == ZC_DSA_DEDICATED && !wq->credits) {
        zc_dsa_credits_init(&wq->own_credits, wq->info.size);
        wq->credits = &wq->own_credits;
        atomic_fetch_add(&wq->credits->users, 1);
    }
    *out = wq;
    return 0;
}

void zc_dsa_credits_init(struct zc_dsa_credits *c, unsigned size)
{
    atomic_init(&c->free, size);
    atomic_init(&c->users, 0);
    c->size = size;
}

bool zc_dsa_wq_claim(struct zc_dsa_wq *wq)
{
    struct zc_dsa_credits *c = wq->credits;
    if (!c)
        return true;
    unsigned users = atomic_load_explicit(&c->users, memory_order_relaxed);
    unsigned share = users > 1 ? c->size / users : c->size;
    if (wq->held >= (share ? share : 1))
        return false;
    unsigned free = atomic_load_explicit(&c->free, memory_order_relaxed);
    do {
        if (!free)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&c->free, &free, free - 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    wq->held++;
    return true;
}

void zc_dsa_wq_release(struct zc_dsa_wq *wq)
{
    if (!wq->credits || !wq->held)
        return;
    wq->held--;
    atomic_fetch_add_explicit(&wq->credits->free, 1, memory_order_relaxed);
}

int zc_dsa_wq_check(struct zc_dsa_wq *wq, char *buf, size_t len)
{
    if (wq->ops->check)
        return wq->ops->check(wq, buf, len);
    struct zc_dsa_wq_stats s;
    zc_dsa_wq_stats(wq, &s);
    snprintf(buf, len, "model: %llu descriptor(s) dropped by a full dedicated WQ, %llu software "
                       "error(s)", (unsigned long long)s.dropped, (unsigned long long)s.swerr);
    return 0;
}

const char *zc_dsa_submit_path_name(enum zc_dsa_submit_path p)
{
    static const char *const names[] = {"emu", "portal-movdir64b", "portal-enqcmd", "write"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

int zc_dsa_wq_submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *desc)
{
    int rc = wq->ops->submit(wq, desc);
    if (rc == ZC_DSA_SUBMIT_DROPPED) {
        zc_dsa_wq_count(&wq->dropped);
        return 0; /* the submitter cannot tell, as with MOVDIR64B */
    }
    if (rc == 0)
        zc_dsa_wq_count(&wq->submitted);
    else if (rc == -EAGAIN)
        zc_dsa_wq_count(&wq->rejected);
    return rc;
}

void zc_dsa_wq_close(struct zc_dsa_wq *wq)
{
    if (!wq)
        return;
    wq->ops->close(wq);
    free(wq);
}

const struct zc_dsa_wq_info *zc_dsa_wq_info(const struct zc_dsa_wq *wq) { return &wq->info; }

const struct zc_dsa_clock *zc_dsa_wq_clock(const struct zc_dsa_wq *wq) { return wq->clock; }

void zc_dsa_wq_stats(const struct zc_dsa_wq *wq, struct zc_dsa_wq_stats *out)
{
    struct zc_dsa_wq *w = (struct zc_dsa_wq *)wq; /* atomics loads need non-const */
    out->submitted = atomic_load_explicit(&w->submitted, memory_order_relaxed);
    out->dropped = atomic_load_explicit(&w->dropped, memory_order_relaxed);
    out->rejected = atomic_load_explicit(&w->rejected, memory_order_relaxed);
    out->swerr = atomic_load_explicit(&w->swerr, memory_order_relaxed);
}

/* <zc/dsa.h> work queues: picks the implementation from the spec and keeps
 * the counters every implementation shares. */
#include <errno.h>
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
    wq->info.timing = "";
    int rc = ops->open(wq, spec);
    if (rc) {
        free(wq);
        return rc;
    }
    *out = wq;
    return 0;
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

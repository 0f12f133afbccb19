#include "dsa/emu/vsim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Simulated times within this of each other are the same instant
 * (transfers end at now + left / rate, computed in floating point). */
#define EPS_NS 1e-6

struct zc_vsim_job {
    struct zc_vsim_job *next; /* the WQ's queue */
    struct zc_vsim_wq *wq;
    uint64_t seq;             /* its arrival's rank in its WQ */
    bool ready, batch, drain;
    unsigned n;
    struct zc_vsim_work *m;   /* [n] */
    struct zc_vsim_rec *batch_rec;
    double last_visible;      /* the latest member record's time */
};

/* A member runs CONTROL, TRANSFER, then maybe FAULT. */
enum phase { FETCH, CONTROL, TRANSFER, FAULT, DRAINING };

struct engine {
    struct zc_vsim_job *job;  /* NULL: idle */
    unsigned member;
    enum phase phase;
    double until;             /* end of FETCH, CONTROL, FAULT */
    double left;              /* TRANSFER: bytes to move */
    double streamed_ns;       /* the previous member's transfer at the engine's rate */
    double free_at;           /* when it finished its last job */
    double merged_at;         /* done merging the partly written lines of its last member */
};

struct zc_vsim_wq {
    struct zc_vsim_dev *dev;
    struct zc_vsim_wq *next;  /* the device's */
    unsigned size, queued;
    uint64_t arrived;
    struct zc_vsim_job *head, *tail;
    double last_visible;      /* the latest record time of its finished jobs */
};

struct zc_vsim_dev {
    struct zc_vsim *sim;
    struct zc_vsim_dev *next;
    struct zc_emu_profile p;
    unsigned refs;            /* WQs, and its creator until zc_vsim_dev_put */
    struct zc_vsim_wq *wqs;
    struct zc_vsim_wq *rr;    /* the WQ served first next time */
    double engine_rate, device_rate; /* bytes per ns */
    unsigned n_engines;
    struct engine eng[];
};

struct zc_vsim {
    double now;
    struct zc_vsim_dev *devs;
    zc_vsim_done_fn done;
    void *ctx;
};

struct zc_vsim *zc_vsim_new(zc_vsim_done_fn done, void *ctx)
{
    struct zc_vsim *s = calloc(1, sizeof *s);
    if (s) {
        s->done = done;
        s->ctx = ctx;
    }
    return s;
}

void zc_vsim_free(struct zc_vsim *s) { free(s); }

double zc_vsim_now(const struct zc_vsim *s) { return s->now; }

struct zc_vsim_dev *zc_vsim_dev_new(struct zc_vsim *s, const struct zc_emu_profile *p,
                                    unsigned engines)
{
    struct zc_vsim_dev *d = calloc(1, sizeof *d + engines * sizeof d->eng[0]);
    if (!d)
        return NULL;
    d->sim = s;
    d->p = *p;
    d->refs = 1;
    d->n_engines = engines;
    d->engine_rate = p->engine_gbps > 0 ? p->engine_gbps : INFINITY;
    d->device_rate = p->device_gbps > 0 ? p->device_gbps : INFINITY;
    d->next = s->devs;
    s->devs = d;
    return d;
}

static void dev_unref(struct zc_vsim_dev *d)
{
    if (--d->refs)
        return;
    struct zc_vsim_dev **link = &d->sim->devs;
    while (*link != d)
        link = &(*link)->next;
    *link = d->next;
    free(d);
}

void zc_vsim_dev_put(struct zc_vsim_dev *d) { dev_unref(d); }

struct zc_vsim_wq *zc_vsim_wq_new(struct zc_vsim_dev *d, unsigned size)
{
    struct zc_vsim_wq *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->dev = d;
    w->size = size;
    w->next = d->wqs;
    d->wqs = w;
    d->refs++;
    return w;
}

static void free_job(struct zc_vsim_job *j)
{
    free(j->m);
    free(j);
}

/* The WQ is going away: what it still holds is dropped with it (its
 * records are the closing caller's, who stops waiting for them). */
void zc_vsim_wq_free(struct zc_vsim_wq *w)
{
    if (!w)
        return;
    struct zc_vsim_dev *d = w->dev;
    for (unsigned i = 0; i < d->n_engines; i++) {
        struct engine *e = &d->eng[i];
        if (e->job && e->job->wq == w) {
            free_job(e->job);
            e->job = NULL;
        }
    }
    while (w->head) {
        struct zc_vsim_job *j = w->head;
        w->head = j->next;
        free_job(j);
    }
    struct zc_vsim_wq **link = &d->wqs;
    while (*link != w)
        link = &(*link)->next;
    *link = w->next;
    if (d->rr == w)
        d->rr = NULL;
    free(w);
    dev_unref(d);
}

const struct zc_emu_profile *zc_vsim_wq_profile(const struct zc_vsim_wq *w) { return &w->dev->p; }

bool zc_vsim_wq_has_room(const struct zc_vsim_wq *w) { return w->queued < w->size; }

struct zc_vsim_job *zc_vsim_arrive(struct zc_vsim_wq *w)
{
    struct zc_vsim_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->wq = w;
    j->seq = w->arrived++;
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    w->queued++;
    return j;
}

int zc_vsim_job_ready(struct zc_vsim_job *j, const struct zc_vsim_work *members, unsigned n,
                      bool batch, bool drain, struct zc_vsim_rec *batch_rec)
{
    j->m = malloc((n ? n : 1) * sizeof *j->m);
    if (!j->m)
        return -ENOMEM;
    if (n)
        memcpy(j->m, members, n * sizeof *j->m);
    j->n = n;
    j->batch = batch;
    j->drain = drain;
    j->batch_rec = batch_rec;
    j->ready = true;
    return 0;
}

/* A ramp that grows with the transfer and levels off at ramp_ns. */
static double ramp(const struct zc_emu_profile *p, uint64_t bytes)
{
    if (!bytes || p->ramp_bytes <= 0)
        return 0;
    return p->ramp_ns * -expm1(-(double)bytes / p->ramp_bytes);
}

/* The larger of its read and write streams. */
static double transfer_bytes(const struct zc_emu_work *w)
{
    return (double)(w->read > w->write ? w->read : w->write);
}

/* The merge of a descriptor's last partly written line and its own
 * write-back (its transfer and the ramp) run side by side, as two
 * pipeline stages: hypot(merge, write-back) - write-back of the merge
 * shows (all of it after a short transfer, little after a long one). */
double zc_vsim_latency(const struct zc_emu_profile *p, const struct zc_emu_work *w)
{
    double t = p->lat_ns, ramps = 0;
    if (w->read)
        t += p->read_lat_ns, ramps += ramp(p, w->read);
    if (w->write)
        t += p->write_lat_ns, ramps += ramp(p, w->write);
    if (w->partial_lines) {
        double rate = p->engine_gbps > 0 ? p->engine_gbps : INFINITY;
        double write_back = ramps + transfer_bytes(w) / rate;
        t += hypot(p->partial_lat_ns, write_back) - write_back;
    }
    return t + ramps;
}

static void set_visible(struct zc_vsim *s, struct zc_vsim_rec *r, double t)
{
    if (!r)
        return;
    r->visible_ns = t;
    s->done(r, s->ctx);
}

static unsigned streaming(const struct zc_vsim_dev *d)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->n_engines; i++)
        n += d->eng[i].job && d->eng[i].phase == TRANSFER;
    return n;
}

/* Bytes per ns of each streaming engine: its own rate or an equal share of
 * the device's. */
static double share(const struct zc_vsim_dev *d)
{
    unsigned n = streaming(d);
    return fmin(d->engine_rate, d->device_rate / (n ? n : 1));
}

static void job_done(struct zc_vsim *s, struct engine *e);

/* The engine's next member (a batch whose list held none is done). Its
 * control work (decoding, setting up its read and write sides, finishing
 * the merge of the partly written lines the previous member left) overlaps
 * the previous member's transfer: entirely when one is much longer than
 * the other, and less as they near each other, as two pipeline stages
 * with little buffer between them do: the exposed part is
 * hypot(control, transfer) - transfer. */
static void start_member(struct zc_vsim *s, struct engine *e)
{
    if (e->member >= e->job->n) {
        job_done(s, e);
        return;
    }
    const struct zc_vsim_dev *d = e->job->wq->dev;
    const struct zc_emu_work *w = &e->job->m[e->member].work;
    double control = d->p.desc_ns + d->p.buffer_ns * w->directions + fmax(0, e->merged_at - s->now);
    e->phase = CONTROL;
    e->until = s->now + hypot(control, e->streamed_ns) - e->streamed_ns;
    e->streamed_ns = transfer_bytes(w) / d->engine_rate;
}

/* The member's partly written lines need a read-modify-write each: its
 * engine merges them one at a time, partial_ns each, after its transfer.
 * An idle engine merges them in the background (a lone descriptor does
 * not wait); what is left when it starts its next member is that
 * member's control work (a stream of them goes about as fast as their
 * lines merge). */
static void merge_lines(struct zc_vsim *s, struct engine *e, const struct zc_emu_profile *p,
                        uint32_t lines)
{
    if (lines)
        e->merged_at = fmax(s->now, e->merged_at) + lines * p->partial_ns;
}

static void job_done(struct zc_vsim *s, struct engine *e)
{
    struct zc_vsim_job *j = e->job;
    if (j->batch)
        set_visible(s, j->batch_rec, j->last_visible);
    j->wq->last_visible = fmax(j->wq->last_visible, j->last_visible);
    e->job = NULL;
    e->free_at = s->now;
    free_job(j);
}

static void member_done(struct zc_vsim *s, struct engine *e)
{
    struct zc_vsim_job *j = e->job;
    struct zc_vsim_work *m = &j->m[e->member];
    double visible = s->now + zc_vsim_latency(&j->wq->dev->p, &m->work);
    set_visible(s, m->rec, visible);
    j->last_visible = fmax(j->last_visible, visible);
    e->member++;
    start_member(s, e);
}

/* The phase that ended at now, and what follows it. */
static void phase_done(struct zc_vsim *s, struct engine *e)
{
    const struct zc_emu_profile *p = &e->job->wq->dev->p;
    const struct zc_emu_work *w = &e->job->m[e->member < e->job->n ? e->member : 0].work;
    switch (e->phase) {
    case FETCH:
        start_member(s, e);
        break;
    case CONTROL:
        e->phase = TRANSFER;
        e->left = transfer_bytes(w);
        break;
    case TRANSFER:
        merge_lines(s, e, p, w->partial_lines);
        if (w->fault) {
            e->phase = FAULT;
            e->until = s->now + p->fault_ns;
            e->streamed_ns = 0;
        } else {
            member_done(s, e);
        }
        break;
    case FAULT:
        member_done(s, e);
        break;
    case DRAINING: /* after every earlier record of its WQ */
        e->job->last_visible = fmax(s->now + p->lat_ns, e->job->wq->last_visible);
        set_visible(s, e->job->m[0].rec, e->job->last_visible);
        job_done(s, e);
        break;
    }
}

/* Whether an engine still holds a descriptor of the DRAIN's WQ that came
 * before it (the WQ's queue holds only later ones). */
static bool earlier_work_running(const struct zc_vsim_job *drain)
{
    const struct zc_vsim_dev *d = drain->wq->dev;
    for (unsigned i = 0; i < d->n_engines; i++) {
        const struct zc_vsim_job *j = d->eng[i].job;
        if (j && j->wq == drain->wq && j->seq < drain->seq)
            return true;
    }
    return false;
}

static bool phase_over(const struct zc_vsim *s, const struct engine *e)
{
    switch (e->phase) {
    case TRANSFER: return e->left <= 0;
    case DRAINING: return !earlier_work_running(e->job);
    default: return e->until <= s->now + EPS_NS;
    }
}

/* The next ready descriptor at the head of one of the device's WQs,
 * round robin over the WQs. */
static struct zc_vsim_job *take(struct zc_vsim_dev *d)
{
    struct zc_vsim_wq *first = d->rr ? d->rr : d->wqs;
    struct zc_vsim_wq *w = first;
    do {
        if (!w)
            return NULL;
        struct zc_vsim_job *j = w->head;
        struct zc_vsim_wq *after = w->next ? w->next : d->wqs;
        if (j && j->ready) {
            w->head = j->next;
            if (!w->head)
                w->tail = NULL;
            w->queued--;
            d->rr = after;
            return j;
        }
        w = after;
    } while (w != first);
    return NULL;
}

static void dispatch(struct zc_vsim *s, struct zc_vsim_dev *d)
{
    for (unsigned i = 0; i < d->n_engines; i++) {
        struct engine *e = &d->eng[i];
        if (e->job)
            continue;
        struct zc_vsim_job *j = take(d);
        if (!j)
            return;
        e->job = j;
        e->member = 0;
        if (e->free_at < s->now) /* idle in between: nothing to overlap */
            e->streamed_ns = 0;
        j->last_visible = s->now;
        if (j->drain) {
            e->phase = DRAINING;
        } else if (j->batch) {
            e->phase = FETCH;
            e->until = s->now + d->p.batch_ns;
        } else {
            start_member(s, e);
        }
    }
}

/* Dispatches and ends every phase due at now, until nothing more happens
 * at this instant. */
static void settle(struct zc_vsim *s)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (struct zc_vsim_dev *d = s->devs; d; d = d->next) {
            dispatch(s, d);
            for (unsigned i = 0; i < d->n_engines; i++) {
                struct engine *e = &d->eng[i];
                if (e->job && phase_over(s, e)) {
                    phase_done(s, e);
                    changed = true;
                }
            }
        }
    }
}

double zc_vsim_next_event(struct zc_vsim *s)
{
    settle(s);
    double next = ZC_VSIM_NEVER;
    for (struct zc_vsim_dev *d = s->devs; d; d = d->next) {
        double rate = share(d);
        for (unsigned i = 0; i < d->n_engines; i++) {
            const struct engine *e = &d->eng[i];
            if (!e->job || e->phase == DRAINING)
                continue;
            double at = e->phase == TRANSFER ? s->now + e->left / rate : e->until;
            next = fmin(next, at);
        }
    }
    return next;
}

void zc_vsim_advance(struct zc_vsim *s, double t, const bool *stop)
{
    for (;;) {
        double next = zc_vsim_next_event(s);
        if ((stop && *stop) || (next >= ZC_VSIM_NEVER && t >= ZC_VSIM_NEVER))
            return; /* known, or nothing in progress and no time to pass */
        double to = fmin(next, t);
        for (struct zc_vsim_dev *d = s->devs; d; d = d->next) {
            double rate = share(d), moved = rate * (to - s->now);
            for (unsigned i = 0; i < d->n_engines; i++) {
                struct engine *e = &d->eng[i];
                if (!e->job || e->phase != TRANSFER)
                    continue;
                /* Due at `to` within rounding, or so close that the time
                 * it still needs vanishes beside `to` (late in a long
                 * run, ns are coarse): done exactly then, or it would
                 * never be due. */
                double left = e->left - moved;
                e->left = isinf(moved) || left <= EPS_NS * rate || to + left / rate <= to ? 0 : left;
            }
        }
        s->now = fmax(s->now, to);
        settle(s);
        if (s->now >= t)
            return;
    }
}

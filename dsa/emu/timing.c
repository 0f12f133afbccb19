/* The model's timing: each engine serves its descriptors in order at up to
 * engine_gbps, the busy engines of a WQ share device_gbps equally, and a
 * record appears lat_ns after its descriptor is done (the pipeline latency
 * does not occupy the engine). Fitted to published SPR numbers in
 * docs/PERFORMANCE.md; a projection, never a measurement.
 *
 * The model is a fluid simulation advanced lazily to the caller's "now":
 * an engine thread executes a whole batch at once, so completion times
 * cannot be fixed when work is handed in (a later engine's work would
 * either queue behind everything booked before it or starve); they are
 * found when simulated time passes them. Until then the caller gets a
 * projection at the current sharing and asks again. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#include "cpu/tsc.h"
#include "dsa/emu/internal.h"
#include "dsa/error.h"

#define NOT_YET UINT64_MAX

struct item {
    uint64_t submit_ns, start_ns, done_ns; /* start once it heads its engine */
    double left;                           /* bytes still to move */
};

/* Items in order: [released, served) done, [served, end) still to serve. */
struct engine_work {
    struct item *items;
    size_t cap, released, served, end; /* indexes grow; the ring masks them */
};

struct zc_emu_clock {
    pthread_mutex_t lock;
    double engine_rate, device_rate; /* bytes per ns (= GB/s); INFINITY: unlimited */
    uint64_t lat_ns;
    uint64_t now_ns;                 /* simulated time */
    bool went_idle;                  /* an engine stopped: the others speed up */
    unsigned n_engines;
    struct engine_work eng[];
};

int zc_emu_clock_new(const struct zc_emu_cfg *cfg, struct zc_emu_clock **out)
{
    struct zc_emu_clock *c = calloc(1, sizeof *c + cfg->engines * sizeof c->eng[0]);
    if (!c)
        return zc_fail(ENOMEM, "emu: out of memory for the timing model");
    pthread_mutex_init(&c->lock, NULL);
    c->engine_rate = cfg->engine_gbps > 0 ? cfg->engine_gbps : INFINITY;
    c->device_rate = cfg->device_gbps > 0 ? cfg->device_gbps : INFINITY;
    c->lat_ns = cfg->lat_ns;
    c->n_engines = cfg->engines;
    *out = c;
    return 0;
}

void zc_emu_clock_free(struct zc_emu_clock *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    for (unsigned i = 0; i < c->n_engines; i++)
        free(c->eng[i].items);
    free(c);
}

static struct item *item(struct engine_work *w, size_t i) { return &w->items[i & (w->cap - 1)]; }

static struct item *head(struct engine_work *w)
{
    return w->served < w->end ? item(w, w->served) : NULL;
}

static double share(const struct zc_emu_clock *c, unsigned busy)
{
    return fmin(c->engine_rate, c->device_rate / (busy ? busy : 1));
}

static uint64_t ns_for(double bytes, double rate)
{
    return isinf(rate) ? 0 : (uint64_t)ceil(bytes / rate);
}

/* The head is done at t: the next item starts when both it and the engine
 * are there. */
static void finish_head(struct zc_emu_clock *c, struct engine_work *w, uint64_t t)
{
    struct item *h = head(w);
    h->done_ns = t;
    h->left = 0;
    w->served++;
    if ((h = head(w)) != NULL)
        h->start_ns = h->submit_ns > t ? h->submit_ns : t;
    else
        c->went_idle = true;
}

/* Runs the simulation up to `now`, event by event: an engine starting an
 * item, an engine finishing one. */
static void advance(struct zc_emu_clock *c, uint64_t now)
{
    while (c->now_ns < now) {
        unsigned busy = 0;
        uint64_t next = now;
        for (unsigned i = 0; i < c->n_engines; i++) {
            struct item *h = head(&c->eng[i]);
            if (h && h->start_ns <= c->now_ns)
                busy++;
            else if (h && h->start_ns < next)
                next = h->start_ns;
        }
        double rate = share(c, busy);
        for (unsigned i = 0; i < c->n_engines && busy; i++) {
            struct item *h = head(&c->eng[i]);
            if (h && h->start_ns <= c->now_ns) {
                uint64_t fin = c->now_ns + ns_for(h->left, rate);
                next = fin < next ? fin : next;
            }
        }
        double moved = isinf(rate) ? INFINITY : rate * (double)(next - c->now_ns);
        for (unsigned i = 0; i < c->n_engines && busy; i++) {
            struct engine_work *w = &c->eng[i];
            struct item *h = head(w);
            if (!h || h->start_ns > c->now_ns)
                continue;
            if (h->left <= moved || c->now_ns + ns_for(h->left, rate) <= next)
                finish_head(c, w, next);
            else
                h->left -= moved;
        }
        c->now_ns = next;
    }
}

int zc_emu_clock_add(struct zc_emu_clock *c, unsigned engine, uint64_t submit_ns, uint64_t bytes)
{
    struct engine_work *w = &c->eng[engine];
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    if (w->end - w->released == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct item *more = malloc(cap * sizeof *more);
        if (!more) {
            rc = -ENOMEM;
            goto out;
        }
        for (size_t i = w->released; i < w->end; i++)
            more[i & (cap - 1)] = *item(w, i);
        free(w->items);
        w->items = more;
        w->cap = cap;
    }
    /* Work handed in after simulated time passed its submission starts now:
     * the engine thread was late by real time, and the past is spent. */
    uint64_t earliest = submit_ns > c->now_ns ? submit_ns : c->now_ns;
    bool heads = w->served == w->end;
    *item(w, w->end++) = (struct item){.submit_ns = submit_ns,
                                       .start_ns = heads ? earliest : NOT_YET,
                                       .done_ns = NOT_YET,
                                       .left = (double)bytes};
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* When the engine's items up to `upto` would be done if the sharing of the
 * device stayed as it is now. */
static uint64_t projected_done(struct zc_emu_clock *c, struct engine_work *w, size_t upto)
{
    unsigned busy = 0;
    for (unsigned i = 0; i < c->n_engines; i++)
        busy += head(&c->eng[i]) != NULL;
    double rate = share(c, busy);
    uint64_t t = item(w, w->served)->start_ns;
    t = t > c->now_ns ? t : c->now_ns;
    for (size_t i = w->served; i <= upto; i++)
        t += ns_for(item(w, i)->left, rate);
    return t;
}

uint64_t zc_emu_clock_due(struct zc_emu_clock *c, unsigned engine, uint64_t now)
{
    struct engine_work *w = &c->eng[engine];
    pthread_mutex_lock(&c->lock);
    advance(c, now);
    uint64_t at = NOT_YET;
    if (w->released < w->end) {
        const struct item *oldest = item(w, w->released);
        at = oldest->done_ns != NOT_YET ? oldest->done_ns : projected_done(c, w, w->served);
        at += c->lat_ns;
    }
    pthread_mutex_unlock(&c->lock);
    return at;
}

void zc_emu_clock_release(struct zc_emu_clock *c, unsigned engine)
{
    pthread_mutex_lock(&c->lock);
    c->eng[engine].released++;
    pthread_mutex_unlock(&c->lock);
}

uint64_t zc_emu_clock_idle_at(struct zc_emu_clock *c, unsigned engine, uint64_t now)
{
    struct engine_work *w = &c->eng[engine];
    pthread_mutex_lock(&c->lock);
    advance(c, now);
    uint64_t at = w->served == w->end ? c->now_ns : projected_done(c, w, w->end - 1);
    pthread_mutex_unlock(&c->lock);
    return at;
}

bool zc_emu_clock_take_idle_news(struct zc_emu_clock *c)
{
    pthread_mutex_lock(&c->lock);
    bool news = c->went_idle;
    c->went_idle = false;
    pthread_mutex_unlock(&c->lock);
    return news;
}

/* Below this the wake-up from a sleep costs more than the wait itself. */
#define SPIN_BELOW_NS 20000u

void zc_emu_sleep_until(uint64_t deadline_ns)
{
    for (;;) {
        uint64_t now = zc_now_ns();
        if (now >= deadline_ns)
            return;
        if (deadline_ns - now > SPIN_BELOW_NS) {
            uint64_t wake = deadline_ns - SPIN_BELOW_NS / 2;
            struct timespec ts = {(time_t)(wake / 1000000000u), (long)(wake % 1000000000u)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        } else {
            _mm_pause();
        }
    }
}

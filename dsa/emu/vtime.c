#include "dsa/emu/vtime.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zc/dsa.h>

#include "cpu/tsc.h"
#include "dsa/clock.h"
#include "dsa/error.h"

struct vthread {
    /* Simulated ns: written by its thread alone, read by others (the
     * horizon) under the lock; a stale read is an earlier time, which only
     * makes them wait for its next interaction. */
    _Atomic double now;
    uint64_t tsc_mark;           /* TSC where its own work was last counted */
    uint64_t cpu_ref;            /* its CPU clock at the last read ... */
    double since_ref;            /* ... and the TSC ns accounted for since */
    bool unmeasured;             /* its own work counts only as it spends it */
    bool joined;                 /* counts in the horizon */
    bool exited;                 /* its thread ended; freed with its last WQ */
    unsigned open_wqs;           /* projected WQs it opened and has not closed */
    struct zc_vsim_rec *waiting; /* the record it waits for, NULL: running */
    bool asleep;                 /* a completion thread is to wait for its record (dsa/poller.c) */
    double asleep_floor;         /* asleep, its record served: where it wakes */
    struct zc_vsim_rec *pending; /* its records not yet published, oldest first */
    struct zc_vsim_rec *last;
    struct zc_emu_tlb tlb;       /* record pages known writable */
    pid_t tid;                   /* named when it stalls the others */
    struct vthread *next;        /* the world's */
};

static inline double now_of(const struct vthread *t)
{
    return atomic_load_explicit(&t->now, memory_order_relaxed);
}

static inline void set_now(struct vthread *t, double ns)
{
    atomic_store_explicit(&t->now, ns, memory_order_relaxed);
}


/* What a blocked thread watches: the simulation's present and the
 * horizon, and since when (host time, CLOCK_MONOTONIC) neither moved. */
struct watch {
    double sim_now, horizon;
    struct timespec since;
    bool armed;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t moved;        /* timed on CLOCK_MONOTONIC (world_init) */
    struct zc_vsim *sim;
    struct vthread *threads;
    bool floor_known;            /* a waited-for record's time became known */
    double clock_bias_ns;        /* CPU time two back-to-back clock reads count */
    double tsc_bias_ns;          /* own work an empty interaction counts */
    double patience_ns;          /* host time a stall is waited out: stall_s (nothing
                                  * waits before a projected WQ opens and sets it) */
    struct watch stall;          /* armed: the stall found last (waits in it fail at once) */
    struct vthread *server;      /* the completion thread, while in simulated time for a record */
    pthread_key_t key;
} world = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t world_once = PTHREAD_ONCE_INIT;
static _Thread_local struct vthread *self;

void vt_lock(void) { pthread_mutex_lock(&world.lock); }
struct zc_vsim *vt_sim(void) { return world.sim; }
void vt_unlock(void) { pthread_mutex_unlock(&world.lock); }
void vt_moved(void) { pthread_cond_broadcast(&world.moved); }
double vt_now(const struct vthread *t) { return now_of(t); }
void vt_spend(struct vthread *t, double ns) { set_now(t, now_of(t) + ns); }

/* r leaves for good, served at `at`: a sender asleep on it (sim_sleep_on)
 * wakes there. */
static void unhook_sleeper(struct zc_vsim_rec *r, double at)
{
    struct vthread *o = r->owner;
    if (o && o->asleep && o->waiting == r) {
        o->asleep_floor = fmax(at, now_of(o));
        o->waiting = NULL;
    }
}

/* r leaves t's pending list (prev: the record before it). */
static void detach_record(struct vthread *t, struct zc_vsim_rec *r, struct zc_vsim_rec *prev)
{
    if (prev)
        prev->next = r->next;
    else
        t->pending = r->next;
    if (t->last == r)
        t->last = prev;
}

static void unlink_record(struct vthread *t, struct zc_vsim_rec *r, struct zc_vsim_rec *prev)
{
    detach_record(t, r, prev);
    unhook_sleeper(r, r->visible_ns);
    free(r);
}

/* With the lock: once the thread ended and closed its last WQ, its records
 * go (nobody publishes them), and then the thread. The simulation still
 * holds those whose time it has not told: they, and the thread, go when it
 * tells it (record_done). */
static void release_thread(struct vthread *t)
{
    if (!t->exited || t->open_wqs)
        return;
    for (struct zc_vsim_rec *r = t->pending, *prev = NULL, *next; r; r = next) {
        next = r->next;
        if (r->visible_ns < ZC_VSIM_NEVER)
            unlink_record(t, r, prev);
        else
            prev = r;
    }
    if (t->pending)
        return;
    struct vthread **link = &world.threads;
    while (*link != t)
        link = &(*link)->next;
    *link = t->next;
    free(t);
}

/* With the lock: whether a thread other than `except` waits for r (its
 * owner, or a completion thread waiting on the owner's behalf). */
static bool awaited(const struct zc_vsim_rec *r, const struct vthread *except)
{
    for (const struct vthread *t = world.threads; t; t = t->next)
        if (t != except && t->waiting == r)
            return true;
    return false;
}

/* The simulation's last word on r: it may go now. */
static void record_done(struct zc_vsim_rec *r, void *ctx)
{
    (void)ctx;
    struct vthread *t = r->owner;
    if (awaited(r, NULL))
        world.floor_known = true;
    release_thread(t);
}

/* The thread ends (its key's destructor): it leaves the horizon, whether
 * or not it paused or closed its WQs. */
static void forget_thread(void *arg)
{
    struct vthread *t = arg;
    vt_lock();
    t->joined = false;
    t->exited = true;
    release_thread(t);
    vt_moved(); /* it no longer holds the horizon */
    vt_unlock();
    self = NULL; /* a later destructor of the thread that uses the model starts afresh */
}

static void init_moved(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&world.moved, &attr);
    pthread_condattr_destroy(&attr);
}

/* fork: the child has the forking thread alone. The lock is held across
 * the fork, so no thread the child lacks holds the child's; there the
 * others leave simulated time as if they ended (else the child's waits
 * would wait for them), the condition variable, whose waiters it lacks
 * too, starts afresh, and the forking thread takes the child's tid (a
 * stall's message names it). */
static void before_fork(void) { vt_lock(); }
static void after_fork_in_parent(void) { vt_unlock(); }

static void after_fork_in_child(void)
{
    for (struct vthread *t = world.threads, *next; t; t = next) {
        next = t->next;
        if (t != self) {
            t->joined = false;
            t->exited = true;
            release_thread(t);
        }
    }
    if (self)
        self->tid = gettid();
    world.server = NULL; /* the completion thread (busy in its wait, not forking) is not here */
    init_moved();
    world.stall.armed = false;
    vt_unlock();
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void vt_charge(struct vthread *t);

static void world_init(void)
{
    world.sim = zc_vsim_new(record_done, NULL);
    pthread_key_create(&world.key, forget_thread);
    init_moved();
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
    enum { TRIES = 101 };
    double cpu[TRIES], glue[TRIES];
    for (int i = 0; i < TRIES; i++) {
        uint64_t a = zc_thread_cpu_ns();
        cpu[i] = (double)(zc_thread_cpu_ns() - a);
    }
    qsort(cpu, TRIES, sizeof *cpu, cmp_double);
    world.clock_bias_ns = cpu[TRIES / 2];
    /* What an interaction that does nothing counts as the thread's own
     * work (the TSC reads and the calls in and out of the model on this
     * host): taken off every interval. */
    struct vthread probe = {.tsc_mark = zc_rdtsc_end()};
    void (*volatile charge)(struct vthread *) = vt_charge;
    for (int i = 0; i < TRIES; i++) {
        double before = now_of(&probe);
        charge(&probe);
        glue[i] = now_of(&probe) - before;
    }
    qsort(glue, TRIES, sizeof *glue, cmp_double);
    world.tsc_bias_ns = glue[TRIES / 2];
}

/* Own work counts from now on, nothing before. */
static void restart_own_work(struct vthread *t)
{
    t->cpu_ref = zc_thread_cpu_ns();
    t->since_ref = 0;
    t->tsc_mark = zc_rdtsc_end();
}

struct vthread *vt_self(void)
{
    if (self)
        return self;
    pthread_once(&world_once, world_init);
    struct vthread *t = calloc(1, sizeof *t);
    if (!t || !world.sim)
        abort(); /* a few hundred bytes at a thread's first use of the model */
    vt_lock();
    set_now(t, zc_vsim_now(world.sim));
    t->tid = gettid();
    t->next = world.threads;
    world.threads = t;
    vt_unlock();
    pthread_setspecific(world.key, t);
    restart_own_work(t);
    self = t;
    return t;
}

/* Own work longer than this is checked against the thread's CPU clock. */
#define CHECK_ABOVE_NS 20000.0

/* The thread's own work since its last mark, timed by the TSC, which
 * times exactly the code between the two reads and costs nanoseconds. A
 * descheduled thread's interval would count time it did not run; that
 * takes longer than CHECK_ABOVE_NS, so a longer interval is checked with
 * the thread's CPU clock (a system call): what the thread ran since the
 * clock's last read, less the intervals accounted for since. */
static void vt_charge(struct vthread *t)
{
    if (t->unmeasured)
        return;
    uint64_t begin = zc_rdtsc_begin();
    double own = fmax(0, zc_tsc_to_ns(begin - t->tsc_mark) - world.tsc_bias_ns);
    if (own > CHECK_ABOVE_NS) {
        uint64_t cpu = zc_thread_cpu_ns();
        double ran = (double)(cpu - t->cpu_ref) - t->since_ref - world.clock_bias_ns;
        own = fmin(own, fmax(0, ran));
        t->cpu_ref = cpu;
        t->since_ref = -own;
    }
    set_now(t, now_of(t) + own);
    t->tsc_mark = zc_rdtsc_end();
    t->since_ref += own + zc_tsc_to_ns(t->tsc_mark - begin);
}

/* What ran since a thread's creation is the call that created it (the
 * model's code, and whatever the host's scheduler charged to it there),
 * not the thread's own work: a thread starts at the simulation's present. */
struct vthread *vt_self_charged(void)
{
    if (!self)
        return vt_self();
    vt_charge(self);
    return self;
}

/* The model's own execution since the last charge is not the thread's. */
void vt_mark(struct vthread *t)
{
    if (t->unmeasured)
        return;
    uint64_t end = zc_rdtsc_end();
    double model_ns = zc_tsc_to_ns(end - t->tsc_mark);
    if (model_ns > CHECK_ABOVE_NS) {
        /* The thread may have been off the CPU in there (waiting for
         * other threads in simulated time, or descheduled): counted as
         * run, that time would be taken off its own work at the next
         * check of the CPU clock. The check starts again instead. */
        restart_own_work(t);
        return;
    }
    t->since_ref += model_ns;
    t->tsc_mark = end;
}

/* The earliest time at which the thread could still submit. A sender
 * asleep on a record the completion thread has not taken up yet wakes no
 * earlier than the thread takes it up: at its own clock when the thread is
 * out of simulated time (it is to take it up there, and the simulation
 * must not pass that before it does), behind the thread when the thread
 * serves another record. Once the thread waits for it, at the record's
 * time, then where the thread served it, until it wakes. */
static double floor_of(const struct vthread *t)
{
    if (t->asleep && !t->waiting)
        return t->asleep_floor;
    if (t->asleep && !awaited(t->waiting, t)) {
        const struct vthread *s = world.server;
        return s && s != t ? fmax(now_of(t), floor_of(s)) : now_of(t);
    }
    return t->waiting ? fmax(t->waiting->visible_ns, now_of(t)) : now_of(t);
}

/* The horizon: the earliest time at which a thread could still submit. */
static double horizon(void)
{
    double h = ZC_VSIM_NEVER;
    for (const struct vthread *t = world.threads; t; t = t->next)
        if (t->joined)
            h = fmin(h, floor_of(t));
    return h;
}

/* Host time a blocked thread sleeps before it looks at the clocks again: a
 * thread's clock also moves without the lock (its own work, counted at its
 * next call; zc_dsa_sim_spend), which wakes nobody. */
#define RECHECK_NS 20e6

static double ns_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

static struct timespec ns_after(struct timespec t, double ns)
{
    long long total = t.tv_nsec + (long long)ns;
    t.tv_sec += (time_t)(total / 1000000000);
    t.tv_nsec = (long)(total % 1000000000);
    return t;
}

/* The thread holding the horizon at h (0: none found). */
static pid_t holder_at(double h)
{
    for (const struct vthread *t = world.threads; t; t = t->next)
        if (t->joined && floor_of(t) <= h)
            return t->tid;
    return 0;
}

static int stalled(double idle_ns)
{
    return zc_fail(EDEADLK, "emu: simulated time stuck at %.0f ns for %.1f s, held by thread %d: a "
                            "thread using projected WQs blocked on another without "
                            "zc_dsa_sim_pause() (pause before blocking, resume after; a thread "
                            "that computes this long: raise stall_s=%g)",
                   world.stall.sim_now, idle_ns / 1e9, (int)holder_at(world.stall.horizon),
                   world.patience_ns / 1e9);
}

/* With the lock, while the horizon h holds the thread at the simulation's
 * present: waits for another thread to move it. The library cannot tell a
 * thread computing between two calls from one blocked in user code (on a
 * thread that waits here, most likely: a deadlock), so a stall is what
 * neither moving for the patience means; -EDEADLK then, and at once for
 * any wait in the same stall. */
static int wait_for_others(struct watch *w, double h)
{
    double sim_now = zc_vsim_now(world.sim);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!w->armed || w->sim_now != sim_now || w->horizon != h)
        *w = (struct watch){sim_now, h, now, true};
    const struct watch *s = &world.stall;
    if (s->armed && s->sim_now == sim_now && s->horizon == h)
        return stalled(ns_between(&s->since, &now));
    double idle = ns_between(&w->since, &now);
    if (idle >= world.patience_ns) {
        world.stall = *w;
        return stalled(idle);
    }
    struct timespec until = ns_after(now, fmin(RECHECK_NS, world.patience_ns - idle));
    /* Cancelled in the wait, the thread would end holding the lock. */
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    pthread_cond_timedwait(&world.moved, &world.lock, &until);
    pthread_setcancelstate(cancel, NULL);
    return 0;
}

/* Runs the simulation towards t (not beyond the horizon); stops early
 * when a waiting thread's record time became known (its thread now holds
 * the horizon there). */
static void advance(double t)
{
    world.floor_known = false;
    zc_vsim_advance(world.sim, t, &world.floor_known);
    vt_moved();
}

/* With the lock: a thread counts in the horizon from its first interaction
 * with the model, never behind the simulation's present (it cannot submit
 * into the past), until it pauses or closes its last projected WQ: a
 * thread that only opened one (to check a spec, say) holds nobody back. */
static void join(struct vthread *t)
{
    if (t->joined)
        return;
    set_now(t, fmax(now_of(t), zc_vsim_now(world.sim)));
    t->joined = true;
}

int vt_reach(struct vthread *t)
{
    join(t);
    struct watch w = {0};
    while (zc_vsim_now(world.sim) < now_of(t)) {
        double h = horizon();
        if (h > zc_vsim_now(world.sim))
            advance(fmin(h, now_of(t)));
        else if (wait_for_others(&w, h))
            return -EDEADLK;
    }
    return 0;
}

struct zc_vsim_rec *vt_record(struct vthread *t, const void *wq, struct dsa_completion_record *where,
                              const struct dsa_completion_record *rec)
{
    struct zc_vsim_rec *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    *r = (struct zc_vsim_rec){.visible_ns = ZC_VSIM_NEVER, .owner = t, .wq = wq, .where = where,
                              .rec = *rec};
    if (t->last)
        t->last->next = r;
    else
        t->pending = r;
    t->last = r;
    return r;
}

/* A record its thread waits for is left to the waiter, as one that never
 * comes (the wait ends at its deadline, and frees it). A thread that ended
 * and was kept only for these records goes with them. */
void vt_forget(const void *wq)
{
    for (struct vthread *t = world.threads, *next_t; t; t = next_t) {
        next_t = t->next;
        for (struct zc_vsim_rec *r = t->pending, *prev = NULL, *next; r; r = next) {
            next = r->next;
            if (r->wq != wq) {
                prev = r;
                continue;
            }
            /* Its sleeping owner waits by the completion thread. */
            unhook_sleeper(r, ZC_VSIM_NEVER);
            if (awaited(r, NULL)) {
                detach_record(t, r, prev);
                r->wq = NULL;
                r->visible_ns = ZC_VSIM_NEVER;
                r->next = NULL;
            } else {
                unlink_record(t, r, prev);
            }
        }
        release_thread(t);
    }
}

/* With the lock: writes the thread's records due by its present. Only the
 * thread itself reads them, so none appears before its time to it. */
static void publish_due(struct vthread *t)
{
    zc_emu_tlb_flush(&t->tlb);
    for (struct zc_vsim_rec *r = t->pending, *prev = NULL, *next; r; r = next) {
        next = r->next;
        if (r->visible_ns <= now_of(t)) {
            zc_emu_store_record(&t->tlb, r->where, &r->rec);
            unlink_record(t, r, prev);
        } else {
            prev = r;
        }
    }
}

/* cr's pending record, and *prev the one before it in its owner's list. */
static struct zc_vsim_rec *find_in(struct vthread *owner,
                                   const volatile struct dsa_completion_record *cr,
                                   struct zc_vsim_rec **prev)
{
    *prev = NULL;
    for (struct zc_vsim_rec *r = owner->pending; r; *prev = r, r = r->next)
        if ((const volatile struct dsa_completion_record *)r->where == cr)
            return r;
    return NULL;
}

static struct zc_vsim_rec *find(struct vthread *t, const volatile struct dsa_completion_record *cr)
{
    struct zc_vsim_rec *prev;
    return find_in(t, cr, &prev);
}

/* The thread that submitted cr, still pending, when another one did. */
static struct vthread *owner_of(const volatile struct dsa_completion_record *cr)
{
    struct zc_vsim_rec *prev;
    for (struct vthread *u = world.threads; u; u = u->next)
        if (find_in(u, cr, &prev))
            return u;
    return NULL;
}

/* With the lock: writes cr, due by t's present, for its owner (asleep:
 * out of simulated time, it publishes nothing). */
static void publish_for(struct vthread *t, struct vthread *owner,
                        const volatile struct dsa_completion_record *cr)
{
    struct zc_vsim_rec *prev, *r = find_in(owner, cr, &prev);
    if (!r || r->visible_ns > now_of(t))
        return;
    zc_emu_tlb_flush(&t->tlb);
    zc_emu_store_record(&t->tlb, r->where, &r->rec);
    unlink_record(owner, r, prev);
}

/* With the lock: lets simulated time pass until r's time is known or
 * `deadline` passed for the thread. 0, or -EDEADLK in a stall. */
static int await(struct vthread *t, struct zc_vsim_rec *r, double deadline)
{
    t->waiting = r;
    vt_moved(); /* it no longer holds the horizon at its clock */
    struct watch w = {0};
    int rc = 0;
    while (r->visible_ns >= ZC_VSIM_NEVER) {
        double h = horizon();
        double sim_now = zc_vsim_now(world.sim);
        if (h <= sim_now && h < ZC_VSIM_NEVER) {
            if ((rc = wait_for_others(&w, h)) != 0)
                break;
            continue;
        }
        double before = sim_now;
        advance(fmin(h, deadline));
        bool stuck = zc_vsim_now(world.sim) == before && !world.floor_known;
        if (r->visible_ns >= ZC_VSIM_NEVER && (zc_vsim_now(world.sim) >= deadline ||
                                               (stuck && h >= ZC_VSIM_NEVER)))
            break; /* past the deadline, or nothing left that could complete it */
    }
    t->waiting = NULL;
    vt_moved();
    return rc;
}

/* Where the thread's clock stood at its last interaction with the model:
 * cycle counters taken between interactions attribute the thread's own
 * work to the next interaction, but add up to its simulated time without
 * reading the CPU clock (a system call) each time. */
static uint64_t sim_now_cycles(void)
{
    return (uint64_t)llround(vt_self()->now * zc_tsc_hz() / 1e9);
}

/* With the lock, the thread at its present: cr's status (masked),
 * -ETIMEDOUT once `deadline` passed, or -EDEADLK in a stall (its clock
 * stays where it was, its record pending). cr is the thread's own record,
 * or (a completion thread) one of another thread's. */
static int wait_reached(struct vthread *t, const volatile struct dsa_completion_record *cr,
                        double deadline)
{
    publish_due(t);
    int status = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE);
    struct vthread *owner = status || find(t, cr) ? t : owner_of(cr);
    struct zc_vsim_rec *r = status || !owner ? NULL : find(owner, cr);
    int rc = r ? await(t, r, deadline) : 0;
    bool forgotten = r && !r->wq; /* its WQ closed while it waited (vt_forget) */
    if (rc) {
        status = rc;
    } else if (!status && (!r || r->visible_ns > deadline)) {
        set_now(t, deadline); /* never, or not within the timeout */
        status = -ETIMEDOUT;
    } else if (!status) {
        set_now(t, fmax(now_of(t), r->visible_ns));
        if (owner == t)
            publish_due(t);
        else
            publish_for(t, owner, cr);
        status = __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE);
    }
    if (forgotten) {
        unhook_sleeper(r, now_of(t));
        free(r);
    }
    return status < 0 ? status : status & DSA_COMP_STATUS_MASK;
}

static int sim_wait(const volatile struct dsa_completion_record *cr, uint64_t timeout_ns)
{
    struct vthread *t = vt_self_charged();
    vt_lock();
    int rc = vt_reach(t);
    if (!rc)
        rc = wait_reached(t, cr, now_of(t) + (double)timeout_ns);
    vt_unlock();
    vt_mark(t);
    return rc;
}

/* A completion thread's wait (dsa/poller.c): in simulated time for the
 * wait alone, from where cr's submitter left it at the earliest. */
static int sim_wait_for(const volatile struct dsa_completion_record *cr, uint64_t at_ns,
                        uint64_t timeout_ns, uint64_t *done_ns, uint64_t *busy_ns)
{
    struct vthread *t = vt_self();
    /* Since its last wait it mostly slept for work (host time a TSC
     * interval would count as its own): not counted. */
    vt_mark(t);
    vt_lock();
    world.server = t;
    set_now(t, fmax(now_of(t), (double)at_ns));
    int rc = vt_reach(t);
    double start = now_of(t);
    if (!rc)
        rc = wait_reached(t, cr, fmax(start, (double)at_ns + (double)timeout_ns));
    *done_ns = (uint64_t)ceil(now_of(t)); /* a sender resumes here: never behind (zc_dsa_sim_now_ns) */
    *busy_ns = (uint64_t)llround(now_of(t) - start);
    t->joined = false;
    world.server = NULL;
    vt_moved();
    vt_unlock();
    vt_mark(t);
    return rc;
}

/* In a stall nothing new is due: the caller's next wait or submit says why. */
static void sim_poll(void)
{
    struct vthread *t = vt_self_charged();
    vt_lock();
    if (vt_reach(t) == 0)
        publish_due(t);
    vt_unlock();
    vt_mark(t);
}

/* A sender that sleeps while a completion thread waits for cr: it stays in
 * the horizon where it could wake (floor_of), so the simulation cannot pass
 * the time the thread takes cr up, nor the time it wakes at, before the
 * host runs them (either would come later: at the simulation's present). */
static void sim_sleep_on(const volatile struct dsa_completion_record *cr)
{
    struct vthread *t = vt_self_charged();
    vt_lock();
    join(t);
    t->asleep = true;
    t->asleep_floor = ZC_VSIM_NEVER;
    t->waiting = find(t, cr);
    vt_moved();
    vt_unlock();
}

static void sim_wake_at(uint64_t at_ns)
{
    struct vthread *t = vt_self();
    vt_lock();
    t->asleep = false;
    t->waiting = NULL;
    /* Never behind the present (it submits next): a record whose WQ closed
     * under it left it out of the horizon. */
    set_now(t, fmax(fmax(now_of(t), (double)at_ns), zc_vsim_now(world.sim)));
    vt_moved();
    vt_unlock();
    vt_mark(t); /* its sleep is not its own work */
}

const struct zc_dsa_clock zc_vt_clock = {sim_now_cycles, sim_wait, sim_poll, sim_wait_for, sim_sleep_on,
                                         sim_wake_at};

/* --- <zc/dsa.h> --------------------------------------------------------- */

uint64_t zc_dsa_sim_now_ns(void)
{
    struct vthread *t = vt_self_charged();
    vt_lock();
    join(t);
    vt_unlock();
    /* Rounded up: another thread resumed at this time (a hand-off) is then
     * never behind this one, where rounding to nearest put it up to 0.5 ns
     * behind, and its submits waited for this thread. */
    return (uint64_t)ceil(now_of(t));
}

void zc_dsa_sim_pause(void)
{
    struct vthread *t = vt_self_charged();
    vt_lock();
    t->joined = false;
    vt_moved();
    vt_unlock();
}

void zc_dsa_sim_resume(uint64_t at_ns)
{
    struct vthread *t = vt_self();
    vt_lock();
    set_now(t, fmax(now_of(t), (double)at_ns));
    join(t);
    vt_unlock();
    vt_mark(t);
}

void vt_wq_opened(struct vthread *t, double stall_s)
{
    vt_lock();
    world.patience_ns = stall_s * 1e9;
    bool first = t->open_wqs++ == 0;
    vt_unlock();
    if (first) /* what it did while it had no projected WQ is not its own work here */
        restart_own_work(t);
}

void vt_wq_closed(struct vthread *t)
{
    vt_lock();
    if (--t->open_wqs == 0) {
        t->joined = false;
        vt_moved();
        release_thread(t);
    }
    vt_unlock();
}

void zc_dsa_sim_spend(uint64_t ns)
{
    struct vthread *t = vt_self_charged();
    set_now(t, now_of(t) + (double)ns);
    vt_mark(t);
}

void zc_dsa_sim_measure_own_work(bool on)
{
    struct vthread *t = vt_self_charged();
    t->unmeasured = !on;
    vt_mark(t);
}

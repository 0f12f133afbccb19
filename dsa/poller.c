/* The completion thread of ZC_WAIT_POLLER: one per process, as in QEMU's
 * multifd DSA series. Waiters register a record and sleep; the thread
 * polls the oldest registered record only (strict FIFO: a later record
 * that completed first waits behind it, as there), PAUSE between polls,
 * and wakes its waiter (a handful of senders: the queue is a list). A
 * waiter gives up by itself at its deadline, so a record that never comes
 * (a hung device, a WQ closed under it) ends its wait and never holds the
 * others for longer.
 *
 * On a projected clock the thread takes part in simulated time while it
 * waits for a record (dsa/clock.h wait_for); its simulated busy time is
 * counted as its CPU time. "Oldest" is then the earliest in simulated
 * time among those registered and not yet taken up; one registered after
 * the thread took up a later one still waits behind it (the host ran its
 * sender late). The wake-up itself (futex, scheduler) is not modeled: the
 * waiter resumes at the record's completion as the thread saw it, which
 * is optimistic by one wake-up latency per wait. */
#include "dsa/poller.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "cpu/tsc.h"
#include "dsa/error.h"

struct registration {
    const volatile struct dsa_completion_record *cr;
    const struct zc_dsa_clock *clock; /* NULL: host time */
    uint64_t at_ns, timeout_ns;       /* projected: where the waiter left, its patience */
    uint64_t done_ns;                 /* projected: where the thread saw cr complete */
    int status;
    bool taken;                       /* projected: the thread waits for it in simulated time */
    bool done;
    pthread_cond_t woken;
    struct registration *next;
};

static struct {
    pthread_mutex_t life;             /* acquire/release: start and join */
    unsigned users;
    pthread_t thread;
    clockid_t thread_cpu;
    pthread_mutex_t lock;             /* everything below */
    pthread_cond_t work;
    struct registration *head;        /* the oldest first */
    bool stop, running;
    struct zc_dsa_poller_usage used;  /* cpu_ns: threads that ended */
} poller = {.life = PTHREAD_MUTEX_INITIALIZER, .lock = PTHREAD_MUTEX_INITIALIZER,
            .work = PTHREAD_COND_INITIALIZER};

static _Thread_local uint64_t slept_ns;

uint64_t zc_dsa_sim_slept_ns(void) { return slept_ns; }

/* With the lock: r leaves the queue (wherever it is). */
static void unqueue(struct registration *r)
{
    struct registration **link = &poller.head;
    while (*link != r)
        link = &(*link)->next;
    *link = r->next;
}

/* With the lock: r joins the queue, at its end on host time. A projected
 * one goes before the waiting projected ones submitted later in simulated
 * time: the host runs the senders in another order than simulated time
 * does, and the queue is the device's submission order. */
static void enqueue(struct registration *r)
{
    struct registration **link = &poller.head;
    while (*link && (!r->clock || (*link)->taken || !(*link)->clock || (*link)->at_ns <= r->at_ns))
        link = &(*link)->next;
    r->next = *link;
    *link = r;
}

/* With the lock. */
static void finish(struct registration *r, int status)
{
    unqueue(r);
    r->status = status;
    r->done = true;
    poller.used.records++;
    pthread_cond_signal(&r->woken);
}

/* With the lock: waits for r in simulated time, the lock released meanwhile
 * (new waiters queue behind; r's waiter, asleep (sleep_on), waits for
 * the verdict). */
static void serve_projected(struct registration *r)
{
    r->taken = true;
    pthread_mutex_unlock(&poller.lock);
    uint64_t done = 0, busy = 0;
    int st = r->clock->wait_for(r->cr, r->at_ns, r->timeout_ns, &done, &busy);
    pthread_mutex_lock(&poller.lock);
    r->done_ns = done;
    poller.used.sim_busy_ns += busy;
    finish(r, st);
}

static void *poll_records(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&poller.lock);
    for (;;) {
        while (!poller.head && !poller.stop)
            pthread_cond_wait(&poller.work, &poller.lock);
        struct registration *r = poller.head;
        if (!r)
            break;
        if (r->clock) {
            serve_projected(r);
            continue;
        }
        uint8_t st = zc_dsa_record_status(r->cr);
        if (st) {
            finish(r, st & DSA_COMP_STATUS_MASK);
            continue;
        }
        /* Unlocked between polls: waiters register and give up meanwhile. */
        pthread_mutex_unlock(&poller.lock);
        _mm_pause();
        pthread_mutex_lock(&poller.lock);
    }
    poller.used.cpu_ns += zc_thread_cpu_ns();
    poller.running = false;
    pthread_mutex_unlock(&poller.lock);
    return NULL;
}

int zc_dsa_poller_acquire(void)
{
    pthread_mutex_lock(&poller.life);
    int rc = 0;
    if (poller.users == 0) {
        poller.stop = false;
        poller.running = true;
        rc = pthread_create(&poller.thread, NULL, poll_records, NULL);
        if (rc == 0)
            rc = pthread_getcpuclockid(poller.thread, &poller.thread_cpu);
        else
            poller.running = false;
    }
    if (rc == 0)
        poller.users++;
    pthread_mutex_unlock(&poller.life);
    return rc ? zc_fail(EAGAIN, "wait=poller: cannot start the completion thread (%s)",
                        strerror(rc))
              : 0;
}

void zc_dsa_poller_release(void)
{
    pthread_mutex_lock(&poller.life);
    if (poller.users && --poller.users == 0) {
        pthread_mutex_lock(&poller.lock);
        poller.stop = true;
        pthread_cond_signal(&poller.work);
        pthread_mutex_unlock(&poller.lock);
        pthread_join(poller.thread, NULL);
    }
    pthread_mutex_unlock(&poller.life);
}

void zc_dsa_poller_usage(struct zc_dsa_poller_usage *out)
{
    pthread_mutex_lock(&poller.life);
    pthread_mutex_lock(&poller.lock);
    *out = poller.used;
    struct timespec ts;
    if (poller.running && clock_gettime(poller.thread_cpu, &ts) == 0)
        out->cpu_ns += (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    pthread_mutex_unlock(&poller.lock);
    pthread_mutex_unlock(&poller.life);
}

static struct timespec monotonic_after(uint64_t ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    uint64_t total = (uint64_t)t.tv_nsec + ns;
    t.tv_sec += (time_t)(total / 1000000000u);
    t.tv_nsec = (long)(total % 1000000000u);
    return t;
}

/* With the lock: sleeps until the thread is done with r, or (host time)
 * its deadline passed before the thread took it up. */
static int sleep_until_done(struct registration *r)
{
    struct timespec deadline = monotonic_after(r->timeout_ns);
    while (!r->done) {
        /* A projected record's patience is simulated time: the thread's
         * wait for it ends by itself (at its deadline, or in a stall). */
        if (r->clock)
            pthread_cond_wait(&r->woken, &poller.lock);
        else if (pthread_cond_timedwait(&r->woken, &poller.lock, &deadline) == ETIMEDOUT &&
                 !r->done) {
            unqueue(r);
            uint8_t st = zc_dsa_record_status(r->cr); /* written while the deadline passed */
            return st ? st & DSA_COMP_STATUS_MASK : -ETIMEDOUT;
        }
    }
    return r->status;
}

int zc_dsa_poller_wait(const volatile struct dsa_completion_record *cr,
                       const struct zc_dsa_clock *clock, uint64_t timeout_ns)
{
    if (!clock && zc_dsa_record_status(cr))
        return zc_dsa_record_status(cr) & DSA_COMP_STATUS_MASK;
    int rc = zc_dsa_poller_acquire();
    if (rc)
        return rc;
    struct registration r = {.cr = cr, .clock = clock, .timeout_ns = timeout_ns};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r.woken, &attr);
    pthread_condattr_destroy(&attr);
    if (clock)
        r.at_ns = zc_dsa_sim_now_ns();
    pthread_mutex_lock(&poller.lock);
    enqueue(&r);
    pthread_cond_signal(&poller.work);
    if (clock) {
        /* Queued first, still holding the others' simulated time at its
         * clock: no record due after it can be served before it is in
         * line. Asleep, it holds them at cr's completion only. */
        pthread_mutex_unlock(&poller.lock);
        clock->sleep_on(cr);
        pthread_mutex_lock(&poller.lock);
    }
    int status = sleep_until_done(&r);
    pthread_mutex_unlock(&poller.lock);
    pthread_cond_destroy(&r.woken);
    if (clock) {
        clock->wake_at(r.done_ns);
        slept_ns += r.done_ns - r.at_ns;
        /* The thread wrote cr alone: the waiter's other records due by now
         * (a batch's members) are its own to publish. */
        zc_dsa_clock_poll(clock);
    }
    zc_dsa_poller_release();
    return status;
}

/* wait=poller: several threads sleeping on the one completion thread get
 * their own statuses (wall-clock and projected model); a record that never
 * comes times out without holding the waiters behind it; a WQ closed under
 * a registered record ends its wait; on the virtual clock a sleeping
 * sender resumes exactly where polling itself would have, its sleep out of
 * its time and in the completion thread's. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "dsa_test_util.h"

enum { SENDERS = 4, ROUNDS = 50 };

struct sender {
    pthread_t thread;
    const char *spec;
    pthread_barrier_t *joined; /* projected: all in simulated time before any submits */
    int wrong;                 /* waits that returned another status than their record's */
    int rc;
};

/* Alternates a NOOP (success) and a COMPVAL of no bytes (XFER_ERANGE), so
 * a status delivered to the wrong waiter shows. */
static void *send(void *arg)
{
    struct sender *s = arg;
    struct zc_dsa_wq *wq;
    if ((s->rc = zc_dsa_wq_open(s->spec, &wq)) != 0)
        return NULL;
    if (s->joined) {
        zc_dsa_sim_resume(0);
        pthread_barrier_wait(s->joined);
    }
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_POLLER, .timeout_ns = 5000000000ull};
    zc_dsa_waiter_use(&w, wq);
    static const uint8_t zeros[64];
    for (int i = 0; i < ROUNDS && !s->rc; i++) {
        struct job j;
        job_init(&j, i % 2 ? DSA_OPCODE_COMPVAL : DSA_OPCODE_NOOP, 0);
        j.d.src_addr = addr(zeros);
        if ((s->rc = submit(wq, &j.d)) != 0)
            break;
        int st = zc_dsa_wait(&w, &j.cr);
        if (st < 0)
            s->rc = st;
        else if (st != (i % 2 ? DSA_COMP_XFER_ERANGE : DSA_COMP_SUCCESS))
            s->wrong++;
    }
    if (s->joined)
        zc_dsa_sim_pause();
    zc_dsa_wq_close(wq);
    return NULL;
}

static void senders_get_their_statuses(const char *spec, bool projected)
{
    pthread_barrier_t joined;
    pthread_barrier_init(&joined, NULL, SENDERS);
    struct sender s[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        s[i] = (struct sender){.spec = spec, .joined = projected ? &joined : NULL};
        assert_int_equal(pthread_create(&s[i].thread, NULL, send, &s[i]), 0);
    }
    struct zc_dsa_poller_usage before, after;
    zc_dsa_poller_usage(&before);
    for (int i = 0; i < SENDERS; i++) {
        pthread_join(s[i].thread, NULL);
        assert_int_equal(s[i].rc, 0);
        assert_int_equal(s[i].wrong, 0);
    }
    zc_dsa_poller_usage(&after);
    /* Every wait but those whose record was written before it registered. */
    assert_true(after.records > before.records);
    if (!projected) /* projected: a_sleeping_sender_resumes_at_the_completion */
        assert_true(after.cpu_ns > before.cpu_ns);
    pthread_barrier_destroy(&joined);
}

static void senders_on_the_wall_clock_model(void **state)
{
    (void)state;
    senders_get_their_statuses("emu:mode=shared,dev=poller-wall,lat_ns=20000", false);
}

static void senders_on_the_virtual_clock(void **state)
{
    (void)state;
    senders_get_their_statuses("emu:clock=virtual,mode=shared,dev=poller-virtual", true);
}

/* A NOOP on a wall-clock WQ of spec, waited for through the completion
 * thread. */
static void noop_through_the_poller(const char *spec)
{
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open(spec, &wq), 0);
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    assert_int_equal(submit(wq, &j.d), 0);
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_POLLER, .timeout_ns = 5000000000ull};
    assert_int_equal(zc_dsa_wait(&w, &j.cr), DSA_COMP_SUCCESS);
    zc_dsa_wq_close(wq);
}

/* A record nobody submitted, registered first: it times out at its own
 * deadline, and a real one registered behind it completes. */
struct never {
    pthread_t thread;
    int st;
    uint64_t timeouts;
};

static void *wait_for_nothing(void *arg)
{
    struct never *n = arg;
    _Alignas(32) struct dsa_completion_record cr = {0};
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_POLLER, .timeout_ns = 50000000};
    n->st = zc_dsa_wait(&w, &cr);
    n->timeouts = w.timeouts;
    return NULL;
}

static void a_record_that_never_comes_times_out(void **state)
{
    (void)state;
    assert_int_equal(zc_dsa_poller_acquire(), 0);
    struct never n;
    assert_int_equal(pthread_create(&n.thread, NULL, wait_for_nothing, &n), 0);
    struct timespec first = {0, 10000000}; /* most likely registered by then */
    nanosleep(&first, NULL);
    noop_through_the_poller("emu:lat_ns=1000");
    pthread_join(n.thread, NULL);
    assert_int_equal(n.st, -ETIMEDOUT);
    assert_int_equal(n.timeouts, 1);
    zc_dsa_poller_release();
}

/* The same on the virtual clock: the deadline is simulated time. */
static void a_projected_record_that_never_comes_times_out(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:clock=virtual", &wq), 0);
    _Alignas(32) struct dsa_completion_record cr = {0};
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_POLLER, .timeout_ns = 3000000};
    zc_dsa_waiter_use(&w, wq);
    zc_dsa_sim_measure_own_work(false); /* only the wait counts */
    uint64_t t0 = zc_dsa_sim_now_ns();
    assert_int_equal(zc_dsa_wait(&w, &cr), -ETIMEDOUT);
    uint64_t waited = zc_dsa_sim_now_ns() - t0;
    zc_dsa_sim_measure_own_work(true);
    assert_true(waited >= 3000000 && waited < 3010000);
    assert_non_null(strstr(zc_last_error(), "no completion"));
    zc_dsa_wq_close(wq);
}

/* Another thread closes the WQ while its record is registered (before or
 * after the completion thread took it up, or, the host being late, before
 * it registered): it never comes now, and the wait ends at its deadline.
 * The closer holds simulated time back (the record is due 10 ms after its
 * submission) until it closed the WQ. */
struct closer {
    pthread_t thread;
    struct zc_dsa_wq *wq;
    pthread_barrier_t joined;
};

static void *close_under_the_wait(void *arg)
{
    struct closer *c = arg;
    zc_dsa_sim_now_ns();
    pthread_barrier_wait(&c->joined);
    struct timespec registered = {0, 20000000};
    nanosleep(&registered, NULL);
    zc_dsa_wq_close(c->wq);
    zc_dsa_sim_pause();
    return NULL;
}

static void closing_a_wq_under_a_registered_record(void **state)
{
    (void)state;
    struct closer c;
    assert_int_equal(zc_dsa_wq_open("emu:clock=virtual,lat_ns=10000000", &c.wq), 0);
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    assert_int_equal(submit(c.wq, &j.d), 0); /* the WQ is the closer's from here */
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_POLLER, .timeout_ns = 50000000};
    zc_dsa_waiter_use(&w, c.wq);
    pthread_barrier_init(&c.joined, NULL, 2);
    assert_int_equal(pthread_create(&c.thread, NULL, close_under_the_wait, &c), 0);
    pthread_barrier_wait(&c.joined);
    uint64_t t0 = zc_dsa_sim_now_ns();
    assert_int_equal(zc_dsa_wait(&w, &j.cr), -ETIMEDOUT);
    assert_true(zc_dsa_sim_now_ns() - t0 >= 50000000);
    assert_int_equal(j.cr.status, 0);
    zc_dsa_sim_pause();
    pthread_join(c.thread, NULL);
    pthread_barrier_destroy(&c.joined);
}

/* The wall-clock model: another thread closes the WQ while the record is
 * registered with the completion thread (a second from completing).
 * Closing completes what the engine took, now: the waiter wakes with its
 * status at the close, not at the record's time or its deadline, and the
 * thread serves the next wait. */
struct wall_closer {
    pthread_t thread;
    struct zc_dsa_wq *wq;
    uint64_t cpu_ns; /* the completion threads' CPU time before the wait */
};

/* Closes the WQ once the completion thread polls the record: it spins
 * only on a registered record, so its CPU time grows 20 ms past what it
 * was (far more than a thread's start) only after the waiter registered.
 * A fixed sleep raced the waiter's registration on a loaded host. */
static void *close_once_polled(void *arg)
{
    struct wall_closer *c = arg;
    struct zc_dsa_poller_usage u;
    struct timespec tick = {0, 1000000};
    do {
        nanosleep(&tick, NULL);
        zc_dsa_poller_usage(&u);
    } while (u.cpu_ns < c->cpu_ns + 20000000u);
    zc_dsa_wq_close(c->wq);
    return NULL;
}

static uint64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void closing_a_wall_clock_wq_under_a_registered_record(void **state)
{
    (void)state;
    struct wall_closer c;
    assert_int_equal(zc_dsa_wq_open("emu:lat_ns=1000000000", &c.wq), 0);
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    uint64_t t0 = monotonic_ns();
    assert_int_equal(submit(c.wq, &j.d), 0); /* the WQ is the closer's from here */
    struct zc_dsa_poller_usage before, after;
    zc_dsa_poller_usage(&before);
    c.cpu_ns = before.cpu_ns;
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_POLLER, .timeout_ns = 10000000000ull};
    assert_int_equal(pthread_create(&c.thread, NULL, close_once_polled, &c), 0);
    assert_int_equal(zc_dsa_wait(&w, &j.cr), DSA_COMP_SUCCESS);
    assert_true(monotonic_ns() - t0 < 1000000000u); /* at the close, not at the record's time */
    pthread_join(c.thread, NULL);
    zc_dsa_poller_usage(&after);
    assert_int_equal(after.records, before.records + 1); /* woken by the completion thread */
    assert_int_equal(w.timeouts, 0);
    noop_through_the_poller("emu:lat_ns=1000");
}

/* On the virtual clock the completion thread serves the registrations it
 * has not taken up in simulated-time order, not in the host's: while it
 * waits for X's record (due at 5 ms), A registers at 3 ms (its record due
 * at 20 ms), then B at 1 ms (due at 8 ms). B's record is polled first, so
 * B resumes at its own completion; served in host order, B would resume
 * at A's. */
struct ordered {
    pthread_t thread;
    const char *spec;
    uint64_t spend_ns;      /* the sender's work between its submit and its wait */
    uint64_t delay_ms;      /* host time before it submits: its place in the host's order */
    uint64_t joined_ns;     /* the same for all: none runs ahead of the others */
    pthread_barrier_t *joined;
    int st;
    uint64_t resumed_ns;    /* after joined_ns */
    bool spin;              /* waits polling itself, not on the completion thread ... */
    unsigned rounds;        /* ... this many times (0: once), moving the simulation along */
};

static void *submit_and_sleep(void *arg)
{
    struct ordered *o = arg;
    struct zc_dsa_wq *wq;
    if ((o->st = zc_dsa_wq_open(o->spec, &wq)) != 0)
        return NULL;
    zc_dsa_sim_measure_own_work(false); /* exact: only the model's and the spent times */
    zc_dsa_sim_resume(o->joined_ns);
    pthread_barrier_wait(o->joined); /* all in simulated time: X's record is not due yet */
    struct timespec late = {0, (long)o->delay_ms * 1000000L};
    nanosleep(&late, NULL); /* in simulated time: holds the completion thread back */
    unsigned rounds = o->rounds ? o->rounds : 1;
    for (unsigned round = 0; round < rounds; round++) {
        struct job j;
        job_init(&j, DSA_OPCODE_NOOP, 0);
        if ((o->st = submit(wq, &j.d)) != 0)
            break;
        zc_dsa_sim_spend(o->spend_ns);
        struct zc_dsa_waiter w = {.policy = o->spin ? ZC_WAIT_SPIN : ZC_WAIT_POLLER,
                                  .timeout_ns = 1000000000};
        zc_dsa_waiter_use(&w, wq);
        o->st = zc_dsa_wait(&w, &j.cr);
        o->resumed_ns = zc_dsa_sim_now_ns() - o->joined_ns;
        if (o->st != DSA_COMP_SUCCESS)
            break;
    }
    zc_dsa_sim_pause();
    zc_dsa_wq_close(wq);
    return NULL;
}

/* Starts the n threads of o, all to join simulated time at one base past
 * the present (earlier tests moved it); the test itself leaves it. */
static void start_ordered(struct ordered *o, unsigned n, pthread_barrier_t *joined)
{
    pthread_barrier_init(joined, NULL, n);
    uint64_t base = zc_dsa_sim_now_ns() + 1000000;
    zc_dsa_sim_pause();
    for (unsigned i = 0; i < n; i++) {
        o[i].joined = joined;
        o[i].joined_ns = base;
        assert_int_equal(pthread_create(&o[i].thread, NULL, submit_and_sleep, &o[i]), 0);
    }
}

static void join_ordered(struct ordered *o, unsigned n, pthread_barrier_t *joined)
{
    for (unsigned i = 0; i < n; i++) {
        pthread_join(o[i].thread, NULL);
        assert_int_equal(o[i].st, DSA_COMP_SUCCESS);
    }
    pthread_barrier_destroy(joined);
}

static void projected_registrations_are_served_in_simulated_time_order(void **state)
{
    (void)state;
    struct ordered o[3] = {
        {.spec = "emu:clock=virtual,dev=order-x,lat_ns=5000000", .delay_ms = 0},
        {.spec = "emu:clock=virtual,dev=order-a,lat_ns=20000000", .spend_ns = 3000000, .delay_ms = 10},
        {.spec = "emu:clock=virtual,dev=order-b,lat_ns=8000000", .spend_ns = 1000000, .delay_ms = 40},
    };
    pthread_barrier_t joined;
    start_ordered(o, 3, &joined);
    join_ordered(o, 3, &joined);
    uint64_t x = o[0].resumed_ns, a = o[1].resumed_ns, b = o[2].resumed_ns;
    if (!(x >= 5000000 && x < 6000000 && b >= 8000000 && b < 9000000 && a >= 20000000 &&
          a < 21000000))
        fail_msg("resumed after x %llu, a %llu, b %llu ns: b must resume at its own record (8 ms), "
                 "before a's (20 ms)", (unsigned long long)x, (unsigned long long)a,
                 (unsigned long long)b);
}

/* A registered sender holds simulated time at its registration until the
 * completion thread takes it up. The thread polls a wall-clock record for
 * 300 ms of host time while S registers at 0 behind it (its record due at
 * 1 ms) and D, polling its records itself, submits at 0 and, once the
 * first is due, at 50 ms. S resumes at 1 ms; had the simulation run on
 * while S slept in line, D's second submit would have carried it to 50 ms
 * first, and S would have been served there. */
static void a_registered_sender_holds_simulated_time_until_taken_up(void **state)
{
    (void)state;
    struct ordered o[2] = {
        {.spec = "emu:clock=virtual,dev=held-s,lat_ns=1000000", .delay_ms = 50},
        {.spec = "emu:clock=virtual,dev=held-d,lat_ns=50000000", .delay_ms = 50, .spin = true,
         .rounds = 2},
    };
    pthread_barrier_t joined;
    start_ordered(o, 2, &joined);
    noop_through_the_poller("emu:lat_ns=300000000");
    join_ordered(o, 2, &joined);
    uint64_t s = o[0].resumed_ns, d = o[1].resumed_ns;
    if (!(s >= 1000000 && s < 2000000 && d >= 100000000 && d < 101000000))
        fail_msg("resumed after S %llu, D %llu ns: S must resume at its record (1 ms), D at its "
                 "second (100 ms)", (unsigned long long)s, (unsigned long long)d);
}

/* One thread on the virtual clock: a wait through the completion thread
 * ends at the same simulated time as polling, and the time asleep is the
 * completion thread's busy time, not the sender's. */
static void a_sleeping_sender_resumes_at_the_completion(void **state)
{
    (void)state;
    zc_dsa_sim_measure_own_work(false); /* exact: only the model's times */
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:clock=virtual,mode=dedicated,lat_ns=5000", &wq), 0);
    static const uint8_t zeros[4096] __attribute__((aligned(64)));
    uint64_t took[2];
    enum zc_dsa_wait_policy policies[2] = {ZC_WAIT_SPIN, ZC_WAIT_POLLER};
    struct zc_dsa_poller_usage before, after;
    uint64_t slept0 = 0;
    for (int p = 0; p < 2; p++) {
        struct job j;
        job_init(&j, DSA_OPCODE_COMPVAL, 0);
        j.d.src_addr = addr(zeros);
        j.d.xfer_size = sizeof zeros;
        struct zc_dsa_waiter w = {.policy = policies[p], .timeout_ns = 1000000000};
        zc_dsa_waiter_use(&w, wq);
        zc_dsa_poller_usage(&before);
        slept0 = zc_dsa_sim_slept_ns();
        uint64_t t0 = zc_dsa_sim_now_ns();
        assert_int_equal(zc_dsa_wq_submit(wq, &j.d), 0);
        assert_int_equal(zc_dsa_wait(&w, &j.cr), DSA_COMP_SUCCESS);
        took[p] = zc_dsa_sim_now_ns() - t0;
        zc_dsa_poller_usage(&after);
    }
    /* Equal but for rounding at the hand-off (integer ns each way). */
    assert_true(took[1] + 1 >= took[0] && took[1] <= took[0] + 1);
    assert_true(took[0] > 5000);
    uint64_t slept = zc_dsa_sim_slept_ns() - slept0;
    assert_true(slept > 0 && slept <= took[1]);
    /* The completion thread's CPU: the time asleep (but for rounding). */
    uint64_t busy = after.sim_busy_ns - before.sim_busy_ns;
    assert_true(busy + 1 >= slept && busy <= slept + 1);
    zc_dsa_wq_close(wq);
    zc_dsa_sim_measure_own_work(true);
}

int main(int argc, char **argv)
{
    if (argc > 1) /* one test by name, by hand */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(senders_on_the_wall_clock_model),
        cmocka_unit_test(senders_on_the_virtual_clock),
        cmocka_unit_test(a_record_that_never_comes_times_out),
        cmocka_unit_test(a_projected_record_that_never_comes_times_out),
        cmocka_unit_test(closing_a_wq_under_a_registered_record),
        cmocka_unit_test(closing_a_wall_clock_wq_under_a_registered_record),
        cmocka_unit_test(projected_registrations_are_served_in_simulated_time_order),
        cmocka_unit_test(a_registered_sender_holds_simulated_time_until_taken_up),
        cmocka_unit_test(a_sleeping_sender_resumes_at_the_completion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* migrate: a model of QEMU multifd live migration. S sender threads, each
 * with its own backend, take packets of P dirty pages in a scattered order
 * (a permutation of the page indices), check them with zc_backend_checkv and
 * "send" them (null sink, or a copy into the sender's own bounded ring).
 * Reported: the CPU time of every sender (CLOCK_THREAD_CPUTIME_ID), summed and
 * the busiest one, as the QEMU multifd zero-page series did. With wait=poller
 * the senders sleep while the process's completion thread polls for them:
 * its CPU time joins the sum (the CPU the check costs), not the busiest. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zc/dsa.h>

#include "cpu/tsc.h"
#include "dsa/error.h"
#include "perm.h"
#include "sink.h"
#include "timer.h"
#include "workload.h"

struct sender {
    pthread_t thread;
    struct migrate *m;
    unsigned id;
    struct zc_backend *be;
    const void **pages;   /* [packet] */
    bool *zero;           /* [packet] */
    struct zcb_sink sink;
    int rc;
    char error[256];
    /* results of the last pass */
    uint64_t cpu_ns, loop_cycles, check_cycles;
    uint64_t sim_end;     /* projected: where its simulated time stopped */
    struct zc_backend_stats stats;
};

struct migrate {
    struct zcb_bench *b;
    struct zcb_perm order;
    pthread_barrier_t start, done;
    pthread_barrier_t joined;  /* projected: every sender in simulated time before any submits */
    bool quit;
    unsigned n;
    unsigned started;
    struct sender *s;
    uint64_t sim_start;   /* projected: the pass starts here for every sender */
};

static int open_sender(struct sender *s)
{
    const struct zcb_case *c = s->m->b->c;
    s->pages = calloc(c->packet, sizeof *s->pages);
    s->zero = calloc(c->packet, sizeof *s->zero);
    if (!s->pages || !s->zero)
        return zc_fail(ENOMEM, "migrate: out of memory for sender %u", s->id);
    int rc = zc_backend_open(c->backend, &s->be);
    if (!rc)
        rc = zcb_sink_open(&s->sink, c->sink);
    if (!rc && strcmp(zc_backend_describe(s->be)->device, "dsa-projected") == 0) {
        /* Between passes a sender waits for the others: it must not hold
         * their simulated time back meanwhile. */
        s->sim_end = zc_dsa_sim_now_ns();
        zc_dsa_sim_pause();
    }
    return rc;
}

/* One pass: this sender's share of the dirty pages, packet by packet. */
static int send_pages(struct sender *s)
{
    struct migrate *m = s->m;
    const struct zcb_bench *b = m->b;
    size_t gran = b->c->gran, packet = b->c->packet;
    size_t first = b->pages * s->id / m->n, end = b->pages * (s->id + 1) / m->n;
    if (b->projected) { /* a sender not yet back would hold nobody back */
        zc_dsa_sim_resume(m->sim_start);
        pthread_barrier_wait(&m->joined);
    }
    uint64_t cpu0 = zc_thread_cpu_ns(), start = zcb_cycles_now(b), in_check = 0;
    uint64_t slept0 = zc_dsa_sim_slept_ns();
    int rc = zcb_sink_rewind(&s->sink);
    zc_backend_reset_stats(s->be);
    for (size_t k = first; k < end && !rc; k += packet) {
        size_t n = end - k < packet ? end - k : packet;
        for (size_t i = 0; i < n; i++)
            s->pages[i] = b->buf->data + zcb_perm_at(&m->order, k + i) * gran;
        uint64_t c0 = zcb_cycles_now(b);
        rc = zc_backend_checkv(s->be, s->pages, n, gran, s->zero);
        in_check += zcb_cycles_now(b) - c0;
        if (rc) {
            snprintf(s->error, sizeof s->error, "%s", zc_last_error());
            break;
        }
        for (size_t i = 0; i < n && !rc; i++) {
            size_t page = zcb_perm_at(&m->order, k + i);
            b->answer[page] = s->zero[i];
            rc = zcb_sink_emit(&s->sink, page * gran, s->pages[i], gran, s->zero[i]);
        }
    }
    s->loop_cycles = zcb_cycles_now(b) - start;
    s->check_cycles = in_check;
    s->cpu_ns = zc_thread_cpu_ns() - cpu0;
    if (b->projected) { /* its simulated time is CPU time but where it slept (wait=poller) */
        s->sim_end = zc_dsa_sim_now_ns();
        s->cpu_ns = s->sim_end - m->sim_start - (zc_dsa_sim_slept_ns() - slept0);
        zc_dsa_sim_pause();
    }
    zc_backend_get_stats(s->be, &s->stats);
    s->cpu_ns += s->stats.worker_cpu_ns; /* cpu-mt: its workers check for the sender */
    return rc;
}

static void *sender_main(void *arg)
{
    struct sender *s = arg;
    struct migrate *m = s->m;
    s->rc = open_sender(s);
    if (s->rc)
        snprintf(s->error, sizeof s->error, "%s", zc_last_error());
    pthread_barrier_wait(&m->done); /* opened (or failed) */
    for (;;) {
        pthread_barrier_wait(&m->start);
        if (m->quit)
            break;
        if (!s->rc)
            s->rc = send_pages(s);
        pthread_barrier_wait(&m->done);
    }
    if (s->be)
        zc_backend_close(s->be);
    zcb_sink_close(&s->sink);
    free(s->pages);
    free(s->zero);
    return NULL;
}

static int first_error(struct migrate *m)
{
    for (unsigned i = 0; i < m->started; i++)
        if (m->s[i].rc)
            return zc_fail(m->s[i].rc < 0 ? -m->s[i].rc : EIO, "migrate: sender %u: %s", i,
                           m->s[i].error);
    return 0;
}

static int migrate_prepare(struct zcb_bench *b)
{
    struct migrate *m = calloc(1, sizeof *m);
    if (!m)
        return zc_fail(ENOMEM, "migrate: out of memory");
    b->priv = m;
    m->b = b;
    m->n = b->c->senders;
    m->order = zcb_perm_make(b->pages, b->c->seed + 1);
    m->s = calloc(m->n, sizeof *m->s);
    if (!m->s)
        return zc_fail(ENOMEM, "migrate: out of memory");
    pthread_barrier_init(&m->start, NULL, m->n + 1);
    pthread_barrier_init(&m->done, NULL, m->n + 1);
    pthread_barrier_init(&m->joined, NULL, m->n);
    for (unsigned i = 0; i < m->n; i++) {
        struct sender *s = &m->s[i];
        s->m = m;
        s->id = i;
        s->sink.fd = -1;
        if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
            return zc_fail(EAGAIN, "migrate: cannot start sender thread %u", i);
        }
        m->started++;
    }
    pthread_barrier_wait(&m->done);
    int rc = first_error(m);
    if (!rc)
        b->desc = zc_backend_describe(m->s[0].be);
    return rc;
}

static int migrate_pass(struct zcb_bench *b, struct zcb_sample *out)
{
    struct migrate *m = b->priv;
    /* Projected: every sender starts the pass at the same simulated time,
     * when the last one ended the previous pass. */
    for (unsigned i = 0; b->projected && i < m->n; i++)
        m->sim_start = m->s[i].sim_end > m->sim_start ? m->s[i].sim_end : m->sim_start;
    struct zc_dsa_poller_usage poller0, poller1;
    zc_dsa_poller_usage(&poller0);
    pthread_barrier_wait(&m->start);
    pthread_barrier_wait(&m->done);
    zc_dsa_poller_usage(&poller1);
    out->cpu_ns += b->projected ? (double)(poller1.sim_busy_ns - poller0.sim_busy_ns)
                                : (double)(poller1.cpu_ns - poller0.cpu_ns);
    if (b->projected) {
        uint64_t last = m->sim_start;
        for (unsigned i = 0; i < m->n; i++)
            last = m->s[i].sim_end > last ? m->s[i].sim_end : last;
        out->wall_ns = (double)(last - m->sim_start);
    }
    for (unsigned i = 0; i < m->n; i++) {
        const struct sender *s = &m->s[i];
        out->cpu_ns += (double)s->cpu_ns;
        if ((double)s->cpu_ns > out->sender_cpu_ns_max)
            out->sender_cpu_ns_max = (double)s->cpu_ns;
        out->save_cycles += s->loop_cycles;
        out->zerocheck_cycles += s->check_cycles;
        out->stats.pages += s->stats.pages;
        out->stats.descriptors += s->stats.descriptors;
        out->stats.batches += s->stats.batches;
        out->stats.faults_recovered += s->stats.faults_recovered;
        out->stats.retries += s->stats.retries;
        out->stats.cpu_pages += s->stats.cpu_pages;
        out->stats.submit_cycles += s->stats.submit_cycles;
        out->stats.wait_cycles += s->stats.wait_cycles;
    }
    return first_error(m);
}

static void migrate_release(struct zcb_bench *b)
{
    struct migrate *m = b->priv;
    if (!m)
        return;
    if (m->s && m->started != m->n)
        return; /* a thread failed to start: the others wait on the barrier
                   for good, so their state stays allocated until exit */
    if (m->s) {
        m->quit = true;
        pthread_barrier_wait(&m->start);
        for (unsigned i = 0; i < m->n; i++)
            pthread_join(m->s[i].thread, NULL);
    }
    if (m->s) {
        pthread_barrier_destroy(&m->start);
        pthread_barrier_destroy(&m->done);
        pthread_barrier_destroy(&m->joined);
    }
    free(m->s);
    free(m);
    b->priv = NULL;
    b->desc = NULL;
}

const struct zcb_workload_ops zcb_wl_migrate = {
    .prepare = migrate_prepare,
    .pass = migrate_pass,
    .verify = zcb_verify_answers,
    .release = migrate_release,
    .own_cpu_time = true,
    .opens_own_backend = true,
};

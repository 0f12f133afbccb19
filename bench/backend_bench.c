/* zc-backend-bench: the performance claims of the zero-check backends
 * (docs/PERFORMANCE.md, "Backends"), each measured against its reference
 * inside the same run:
 *   submit/SPEC       the submitting thread's cycles per page (prepare +
 *                     submit + read completions, not waiting), split into
 *                     our own part and the portal/queue call, next to
 *                     cpu:best's cost per page
 *   multi/W/E         dsa-multi over W emu WQs of E engines with the timing
 *                     model on (MODELED): GB/s next to the model's prediction
 *   cpu_mt/SPEC       cpu-mt:threads=2 (pinned and not) against two unpinned
 *                     threads reading the same buffer with zc_cpu_read_or
 *                     (the bandwidth ceiling), alternating pass by pass
 * Google Benchmark flags (--benchmark_filter, --benchmark_repetitions...)
 * apply. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <zc/backend.h>
#include <zc/cpu.h>
#include <zc/error.h>

#include "cpu/tsc.h"
#include "gbench.h"

#define PAGE 4096u

static uint8_t *zero_buffer(size_t len)
{
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                      -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memset(p, 0, len); /* private pages, not the shared zero page */
    return p;
}

/* One pass of zc_backend_check over buf; manual time. */
static double timed_check(struct zc_backend *be, const uint8_t *buf, size_t len, size_t gran,
                          bool *zero, int *rc)
{
    uint64_t t0 = zc_now_ns();
    *rc = zc_backend_check(be, buf, len, gran, zero);
    return (double)(zc_now_ns() - t0) * 1e-9;
}

struct submit_case {
    const char *spec;
    size_t len;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Per pass: our own cycles per page (submit_cycles - portal_cycles). On a
 * shared 2-core host a pass can be preempted inside a timed phase, so the
 * minimum and median over many short passes are reported, not the mean. */
static void bm_submit(zc_gb_state *st, void *ctx)
{
    const struct submit_case *c = ctx;
    size_t pages = c->len / PAGE, n_own = 0, cap = 1024;
    uint8_t *buf = zero_buffer(c->len);
    bool *zero = calloc(pages, sizeof *zero);
    double *own = malloc(cap * sizeof *own);
    struct zc_backend *be = NULL, *cpu = NULL;
    struct zc_backend_stats sum = {0};
    if (!buf || !zero || !own || zc_backend_open(c->spec, &be) || zc_backend_open("cpu:best", &cpu)) {
        zc_gb_skip_with_error(st, zc_last_error());
        goto out;
    }
    double cpu_s = 0, ns_per_tick = 1e9 / zc_tsc_hz();
    int rc = 0;
    while (zc_gb_keep_running(st)) {
        zc_backend_reset_stats(be);
        zc_gb_set_iteration_time(st, timed_check(be, buf, c->len, PAGE, zero, &rc));
        if (!rc)
            cpu_s += timed_check(cpu, buf, c->len, PAGE, zero, &rc);
        if (rc) {
            zc_gb_skip_with_error(st, zc_last_error());
            goto out;
        }
        struct zc_backend_stats s;
        zc_backend_get_stats(be, &s);
        if (n_own == cap) {
            double *more = realloc(own, 2 * cap * sizeof *own);
            if (!more)
                break;
            own = more;
            cap *= 2;
        }
        own[n_own++] = (double)(s.submit_cycles - s.portal_cycles) * ns_per_tick / (double)pages;
        sum.pages += s.pages;
        sum.submit_cycles += s.submit_cycles;
        sum.portal_cycles += s.portal_cycles;
        sum.wait_cycles += s.wait_cycles;
    }
    qsort(own, n_own, sizeof *own, cmp_double);
    double per_page = ns_per_tick / (double)sum.pages;
    zc_gb_set_bytes_processed(st, (int64_t)(sum.pages * PAGE));
    zc_gb_counter(st, "own_ns_pp_min", own[0], 0);
    zc_gb_counter(st, "own_ns_pp_med", own[n_own / 2], 0);
    zc_gb_counter(st, "portal_ns_pp", (double)sum.portal_cycles * per_page, 0);
    zc_gb_counter(st, "wait_ns_pp", (double)sum.wait_cycles * per_page, 0);
    zc_gb_counter(st, "cpu_check_ns_pp", cpu_s * 1e9 / (double)sum.pages, 0);
    zc_gb_set_label(st, zc_backend_describe(be)->device);
out:
    zc_backend_close(be);
    zc_backend_close(cpu);
    free(zero);
    free(own);
    if (buf)
        munmap(buf, c->len);
}

/* The timing model's keys (dsa/emu/): applied through ZC_EMU, which every
 * emu WQ opened afterwards reads. */
#define MODEL_LAT_NS 2000
#define MODEL_ENGINE_GBPS 0.25
#define MODEL_DEVICE_GBPS 0.75
/* 64 KiB per descriptor: the model's own cost per descriptor (a system
 * call probing the pages) stays far below the modeled time. */
#define MULTI_GRAN (64u << 10)

static char model[128];

struct multi_case {
    unsigned wqs, engines;
    size_t len;
    char spec[256];
};

static void bm_multi(zc_gb_state *st, void *ctx)
{
    const struct multi_case *c = ctx;
    size_t pages = c->len / MULTI_GRAN;
    uint8_t *buf = zero_buffer(c->len);
    bool *zero = calloc(pages, sizeof *zero);
    struct zc_backend *be = NULL;
    setenv("ZC_EMU", model, 1); /* read by every emu WQ at open */
    int rc = buf && zero ? zc_backend_open(c->spec, &be) : -ENOMEM;
    unsetenv("ZC_EMU");
    if (rc) {
        zc_gb_skip_with_error(st, zc_last_error());
        goto out;
    }
    double total_s = 0;
    while (zc_gb_keep_running(st)) {
        double s = timed_check(be, buf, c->len, MULTI_GRAN, zero, &rc);
        total_s += s;
        zc_gb_set_iteration_time(st, s);
        if (rc) {
            zc_gb_skip_with_error(st, zc_last_error());
            goto out;
        }
    }
    double engines = (double)c->engines * MODEL_ENGINE_GBPS;
    double per_wq = engines < MODEL_DEVICE_GBPS ? engines : MODEL_DEVICE_GBPS;
    double measured = (double)zc_gb_iterations_done(st) * (double)c->len / total_s * 1e-9;
    zc_gb_counter(st, "GBps", measured, 0);
    zc_gb_counter(st, "model_GBps", c->wqs * per_wq, 0);
    zc_gb_counter(st, "of_model", measured / (c->wqs * per_wq), 0);
    zc_gb_set_bytes_processed(st, zc_gb_iterations_done(st) * (int64_t)c->len);
    zc_gb_set_label(st, "modeled");
out:
    zc_backend_close(be);
    free(zero);
    if (buf)
        munmap(buf, c->len);
}

/* Two persistent threads reading halves of the buffer: the ceiling. */
struct reader {
    pthread_t tid;
    pthread_barrier_t *start, *done;
    const uint8_t *p;
    size_t len;
    volatile uint64_t sink;
    volatile bool stop;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    for (;;) {
        pthread_barrier_wait(r->start);
        if (r->stop)
            return NULL;
        r->sink = zc_cpu_read_or(r->p, r->len);
        pthread_barrier_wait(r->done);
    }
}

static void bm_cpu_mt(zc_gb_state *st, void *ctx)
{
    const char *spec = ctx;
    size_t len = 256u << 20, pages = len / PAGE;
    uint8_t *buf = zero_buffer(len);
    bool *zero = calloc(pages, sizeof *zero);
    struct zc_backend *be = NULL;
    if (!buf || !zero || zc_backend_open(spec, &be)) {
        zc_gb_skip_with_error(st, zc_last_error());
        free(zero);
        if (buf)
            munmap(buf, len);
        return;
    }
    pthread_barrier_t start, done;
    pthread_barrier_init(&start, NULL, 3);
    pthread_barrier_init(&done, NULL, 3);
    struct reader r[2];
    for (int i = 0; i < 2; i++) {
        r[i] = (struct reader){.start = &start, .done = &done, .p = buf + i * len / 2, .len = len / 2};
        pthread_create(&r[i].tid, NULL, reader_main, &r[i]);
    }
    double read_s = 0, check_s = 0;
    int rc = 0;
    while (zc_gb_keep_running(st) && !rc) {
        double s = timed_check(be, buf, len, PAGE, zero, &rc);
        check_s += s;
        zc_gb_set_iteration_time(st, s);
        uint64_t t0 = zc_now_ns();
        pthread_barrier_wait(&start);
        pthread_barrier_wait(&done);
        read_s += (double)(zc_now_ns() - t0) * 1e-9;
    }
    r[0].stop = r[1].stop = true;
    pthread_barrier_wait(&start);
    for (int i = 0; i < 2; i++)
        pthread_join(r[i].tid, NULL);
    if (rc)
        zc_gb_skip_with_error(st, zc_last_error());
    double iters = (double)zc_gb_iterations_done(st);
    zc_gb_set_bytes_processed(st, (int64_t)(iters * (double)len));
    zc_gb_counter(st, "GBps", iters * (double)len / check_s * 1e-9, 0);
    zc_gb_counter(st, "read2_GBps", iters * (double)len / read_s * 1e-9, 0);
    zc_gb_counter(st, "of_read2", read_s / check_s, 0);
    zc_gb_set_label(st, zc_backend_describe(be)->note[0] ? zc_backend_describe(be)->note
                                                        : zc_backend_describe(be)->spec);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&done);
    zc_backend_close(be);
    free(zero);
    munmap(buf, len);
}

int main(int argc, char **argv)
{
    if (!zc_gb_initialize(&argc, argv))
        return 2;
    if (zc_cpu_best_error()) {
        fprintf(stderr, "%s: %s\n", argv[0], zc_cpu_best_error());
        return 2;
    }
    if (argc > 1) {
        fprintf(stderr, "%s: unknown argument '%s' (only --benchmark_* flags)\n", argv[0], argv[1]);
        return 2;
    }
    /* engines=0: the model runs inside the portal call, so "own" is our code
     * alone; with an engine thread, the model also reads the descriptor
     * lines and writes the record lines from the other core, and their
     * transfers between the cores land in "own" too. */
    static const struct submit_case submits[] = {
        {"dsa-batch:wq={emu:engines=0},batch=32", 1u << 20},
        {"dsa-batch:wq={emu:engines=0},batch=128", 1u << 20},
        {"dsa-multi:wq={emu:engines=0},qd=4,batch=32", 1u << 20},
        {"dsa-multi:wq={emu:engines=0},qd=4,batch=256", 4u << 20},
        {"dsa-single:wq=emu", 256u << 10},
        {"dsa-batch:wq=emu,batch=32", 1u << 20},
        {"dsa-batch:wq=emu,batch=128", 1u << 20},
        {"dsa-multi:wq=emu,qd=4,batch=32", 1u << 20},
        {"dsa-multi:wq=emu,qd=4,batch=256", 4u << 20},
    };
    for (size_t i = 0; i < sizeof submits / sizeof submits[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "submit/%s", submits[i].spec);
        zc_gb_use_manual_time(zc_gb_register(name, bm_submit, (void *)&submits[i]));
    }

    snprintf(model, sizeof model, "lat_ns=%d,engine_gbps=%g,device_gbps=%g", MODEL_LAT_NS,
             MODEL_ENGINE_GBPS, MODEL_DEVICE_GBPS);
    static struct multi_case multis[] = {
        {.wqs = 1, .engines = 1}, {.wqs = 1, .engines = 2}, {.wqs = 1, .engines = 4},
        {.wqs = 2, .engines = 1}, {.wqs = 2, .engines = 2}, {.wqs = 2, .engines = 4},
    };
    for (size_t i = 0; i < sizeof multis / sizeof multis[0]; i++) {
        struct multi_case *m = &multis[i];
        /* 32 MiB per engine (~134 ms modeled): the engine threads' wake-ups at
         * the start of a pass stay below 1% of it. */
        m->len = (size_t)(32u << 20) * m->wqs * m->engines;
        int used = snprintf(m->spec, sizeof m->spec, "dsa-multi:wq={emu:engines=%u}", m->engines);
        for (unsigned w = 1; w < m->wqs; w++)
            used += snprintf(m->spec + used, sizeof m->spec - used, "+{emu:engines=%u}", m->engines);
        snprintf(m->spec + used, sizeof m->spec - used, ",qd=%u,batch=32", 4 * m->wqs * m->engines);
        char name[320];
        snprintf(name, sizeof name, "multi/wqs:%u/engines:%u/%s", m->wqs, m->engines, model);
        zc_gb_use_manual_time(zc_gb_register(name, bm_multi, m));
    }

    static const char *const cpu_mt[] = {"cpu-mt:threads=2,pin=core", "cpu-mt:threads=2,pin=none"};
    for (size_t i = 0; i < 2; i++) {
        char name[128];
        snprintf(name, sizeof name, "cpu_mt/%s/256MiB", cpu_mt[i]);
        zc_gb_use_manual_time(zc_gb_register(name, bm_cpu_mt, (void *)cpu_mt[i]));
    }
    return zc_gb_run(NULL, NULL, NULL, false, NULL) < 0;
}

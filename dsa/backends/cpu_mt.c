/* cpu-mt:threads=N,variant=V,pin=core|none - N persistent worker threads,
 * each pinned to one core with hwloc, check contiguous page ranges; the
 * caller hands a job over and sleeps until the last worker is done. Idle
 * workers sleep on a condition variable: an idle backend burns no CPU. */
#include <errno.h>
#include <hwloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsa/backend_impl.h"
#include "dsa/backends/cpu_variant.h"
#include "dsa/error.h"

enum { PIN_CORE, PIN_NONE };
static const char *const pin_choices[] = {"core", "none", NULL};

struct mt_cfg {
    unsigned threads;
    char variant[ZC_BE_VARIANT_MAX];
    int pin;
};

static const struct zc_opt mt_opts[] = {
    {.name = "threads", .type = ZC_OPT_UINT, .offset = offsetof(struct mt_cfg, threads), .min = 1,
     .max = 256, .def = "2", .help = "worker threads"},
    {.name = "variant", .type = ZC_OPT_STRING, .offset = offsetof(struct mt_cfg, variant),
     .size = ZC_BE_VARIANT_MAX, .def = "best", .help = "<zc/cpu.h> kernel of every worker"},
    {.name = "pin", .type = ZC_OPT_ENUM, .offset = offsetof(struct mt_cfg, pin),
     .choices = pin_choices, .def = "core", .help = "bind worker i to core i mod cores (hwloc)"},
    {0},
};

struct mt;

struct worker {
    struct mt *mt;
    unsigned index;
    pthread_t tid;
    clockid_t cpu_clock;   /* the thread's CPU time */
    hwloc_cpuset_t cpuset; /* NULL: not pinned */
};

struct mt {
    zc_zero_fn fn;
    unsigned n_workers;
    unsigned started;            /* workers whose thread was created */
    hwloc_topology_t topo;
    pthread_mutex_t lock;
    pthread_cond_t go, done;
    /* Under lock: */
    unsigned long generation;    /* bumped for every job (and for stop) */
    const struct zc_be_job *job;
    unsigned pending;            /* workers not done with the current generation */
    bool stop;
    char pin_failure[160];       /* first binding failure, "" if none */
    struct worker workers[];
};

static void pin_self(struct worker *w)
{
    if (!w->cpuset)
        return;
    if (hwloc_set_cpubind(w->mt->topo, w->cpuset, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) == 0)
        return;
    int err = errno;
    pthread_mutex_lock(&w->mt->lock);
    if (!w->mt->pin_failure[0])
        snprintf(w->mt->pin_failure, sizeof w->mt->pin_failure,
                 "cpu-mt: pinning worker %u failed (%s); workers float", w->index, strerror(err));
    pthread_mutex_unlock(&w->mt->lock);
}

static void check_range(const struct mt *mt, const struct zc_be_job *job, unsigned index)
{
    size_t first = job->n * index / mt->n_workers, end = job->n * (index + 1) / mt->n_workers;
    for (size_t i = first; i < end; i++)
        job->out[i] = zc_be_cpu_answer(job, i, 0, job->gran, mt->fn);
}

static void finished(struct mt *mt)
{
    if (--mt->pending == 0)
        pthread_cond_signal(&mt->done);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct mt *mt = w->mt;
    pin_self(w);
    pthread_mutex_lock(&mt->lock);
    unsigned long seen = mt->generation;
    finished(mt); /* started (and pinned) */
    for (;;) {
        while (mt->generation == seen)
            pthread_cond_wait(&mt->go, &mt->lock);
        seen = mt->generation;
        if (mt->stop)
            break;
        const struct zc_be_job *job = mt->job;
        pthread_mutex_unlock(&mt->lock);
        check_range(mt, job, w->index);
        pthread_mutex_lock(&mt->lock);
        finished(mt);
    }
    pthread_mutex_unlock(&mt->lock);
    return NULL;
}

/* Hands the current generation to every worker and sleeps until all are done. */
static void dispatch(struct mt *mt, const struct zc_be_job *job, bool stop)
{
    pthread_mutex_lock(&mt->lock);
    mt->job = job;
    mt->stop = stop;
    mt->pending = mt->started;
    mt->generation++;
    pthread_cond_broadcast(&mt->go);
    while (!stop && mt->pending)
        pthread_cond_wait(&mt->done, &mt->lock);
    pthread_mutex_unlock(&mt->lock);
}

static void mt_destroy(struct mt *mt)
{
    dispatch(mt, NULL, true);
    for (unsigned i = 0; i < mt->started; i++)
        pthread_join(mt->workers[i].tid, NULL);
    for (unsigned i = 0; i < mt->n_workers; i++)
        hwloc_bitmap_free(mt->workers[i].cpuset);
    if (mt->topo)
        hwloc_topology_destroy(mt->topo);
    pthread_cond_destroy(&mt->go);
    pthread_cond_destroy(&mt->done);
    pthread_mutex_destroy(&mt->lock);
    free(mt);
}

/* One singlified core cpuset per worker; false (with a note) when the
 * topology cannot say, and the workers then float. */
static bool plan_pinning(struct mt *mt, char *note, size_t len)
{
    if (hwloc_topology_init(&mt->topo) != 0 || hwloc_topology_load(mt->topo) != 0) {
        snprintf(note, len, "cpu-mt: hwloc topology unavailable; workers float");
        return false;
    }
    int cores = hwloc_get_nbobjs_by_type(mt->topo, HWLOC_OBJ_CORE);
    if (cores <= 0) {
        snprintf(note, len, "cpu-mt: hwloc found no cores; workers float");
        return false;
    }
    for (unsigned i = 0; i < mt->n_workers; i++) {
        hwloc_obj_t core = hwloc_get_obj_by_type(mt->topo, HWLOC_OBJ_CORE, i % (unsigned)cores);
        mt->workers[i].cpuset = hwloc_bitmap_dup(core->cpuset);
        if (mt->workers[i].cpuset)
            hwloc_bitmap_singlify(mt->workers[i].cpuset);
    }
    if (mt->n_workers > (unsigned)cores)
        snprintf(note, len, "cpu-mt: %u threads share %d cores", mt->n_workers, cores);
    return true;
}

static int mt_open(struct zc_backend *be, void *cfg)
{
    struct mt_cfg *c = cfg;
    zc_zero_fn fn;
    int rc = zc_be_cpu_variant("cpu-mt", c->variant, &fn);
    if (rc)
        return rc;
    struct mt *mt = calloc(1, sizeof *mt + c->threads * sizeof mt->workers[0]);
    if (!mt)
        return zc_fail(ENOMEM, "cpu-mt: out of memory for %u workers", c->threads);
    mt->fn = fn;
    mt->n_workers = c->threads;
    pthread_mutex_init(&mt->lock, NULL);
    pthread_cond_init(&mt->go, NULL);
    pthread_cond_init(&mt->done, NULL);
    if (c->pin == PIN_CORE)
        plan_pinning(mt, be->note, sizeof be->note);
    pthread_mutex_lock(&mt->lock);
    mt->pending = mt->n_workers;
    for (unsigned i = 0; i < mt->n_workers; i++) {
        struct worker *w = &mt->workers[i];
        w->mt = mt;
        w->index = i;
        rc = pthread_create(&w->tid, NULL, worker_main, w);
        if (rc) {
            mt->pending -= mt->n_workers - i;
            break;
        }
        mt->started++;
        rc = pthread_getcpuclockid(w->tid, &w->cpu_clock);
        if (rc) {
            mt->pending -= mt->n_workers - i - 1;
            break;
        }
    }
    while (mt->pending)
        pthread_cond_wait(&mt->done, &mt->lock);
    pthread_mutex_unlock(&mt->lock);
    if (rc) {
        mt_destroy(mt);
        return zc_fail(rc, "cpu-mt: cannot start worker thread (%s)", strerror(rc));
    }
    if (mt->pin_failure[0])
        snprintf(be->note, sizeof be->note, "%s", mt->pin_failure);
    be->impl = mt;
    be->desc.threads = mt->n_workers;
    return 0;
}

static int mt_run(struct zc_backend *be, const struct zc_be_job *job)
{
    dispatch(be->impl, job, false);
    return 0;
}

static void mt_close(struct zc_backend *be) { mt_destroy(be->impl); }

/* Read from the caller, between jobs: the workers pay nothing per job. */
static uint64_t mt_workers_cpu_ns(const struct zc_backend *be)
{
    const struct mt *mt = be->impl;
    uint64_t sum = 0;
    for (unsigned i = 0; i < mt->started; i++) {
        struct timespec ts;
        if (clock_gettime(mt->workers[i].cpu_clock, &ts) == 0)
            sum += (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    return sum;
}

const struct zc_backend_ops zc_backend_cpu_mt = {
    .kind = {.name = "cpu-mt", .summary = "N pinned worker threads over contiguous page ranges",
             .example = "cpu-mt:threads=2"},
    .opts = mt_opts,
    .cfg_size = sizeof(struct mt_cfg),
    .open = mt_open,
    .run = mt_run,
    .close = mt_close,
    .workers_cpu_ns = mt_workers_cpu_ns,
};

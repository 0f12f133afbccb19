#include "harness.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zc/dsa.h>
#include <zc/error.h>

#include "cpu/tsc.h"
#include "dsa/error.h"
#include "dsa/spec.h"
#include "gbench.h"
#include "interrupt.h"
#include "owned_file.h"
#include "placement.h"
#include "progress.h"
#include "qemu_workload.h"
#include "stats.h"
#include "timer.h"
#include "workload.h"

/* A sample of a repeatable hot case lasts at least this long, so the
 * clock's own cost (tens of ns of TSC reads, about a microsecond of system
 * calls for the thread CPU clock) vanishes in it. */
#define SAMPLE_TARGET_NS 100000.0
#define MAX_PASSES_PER_SAMPLE (1u << 24)

/* A repetition's values, each the median per pass over its samples, reach
 * the report callback as Google Benchmark counters of its run: Google
 * Benchmark reports a case's repetitions together after the last one, so
 * values kept beside it would all be the last repetition's. */
enum metric {
    M_CPU_NS, M_SUBMIT_CPP, M_WAIT_CPP, M_DESC_PP, M_BATCHES, M_RETRIES, M_CPU_PAGES, M_FAULTS,
    M_SAVE_CYC, M_ZC_CYC, M_SENDER_MAX, M_HOST_NS,
    M_QEMU_FIRST, /* device qemu: enum zcb_qemu_metric from here */
    M_COUNT = M_QEMU_FIRST + ZCB_Q_COUNT
};
static const char *const metric_names[] = {
    "cpu_ns", "submit_cpp", "wait_cpp", "desc_pp", "batches", "retries", "cpu_pages", "faults",
    "save_cycles", "zc_cycles", "sender_cpu_max", "host_ns", "qemu_pages_zero",
    "qemu_pages_normal", "qemu_bytes", "qemu_total_ms", "qemu_mbps", "qemu_cpu_user_ns",
    "qemu_cpu_sys_ns", "qemu_save_thread_ns", "qemu_multifd_ns", "qemu_multifd_max_ns", "qemu_io_ns",
};
_Static_assert(sizeof metric_names / sizeof *metric_names == M_COUNT, "a name for every metric");
static const char LATENCY_COUNTER[] = "latency_ns"; /* wall time per pass */

static const char MSG_INTERRUPTED[] = "interrupted";
static const char MSG_SKIPPED[] = "skipped after an earlier failure";

/* What the run knows about the case being measured. */
struct current {
    const struct zcb_case *c;
    struct zcb_bench bench;
    bool prepared;
    char backend[ZC_BACKEND_SPEC_MAX]; /* canonical spec */
    char device[16], wait[16];
    char note[512];             /* what the backend degraded at open, or what is modeled */
    char wq[256], wq_mode[256], submit_path[256];
    unsigned batch, queue_depth, n_wq, threads;
    unsigned passes;            /* per sample */
    /* Per pass, each sample of the current call: the metrics and the wall
     * time (at M_COUNT); their medians are the repetition's values. */
    double *per_pass[M_COUNT + 1];
    size_t n_pass, cap_pass;
    unsigned n_samples;
    bool written;               /* its row is in the CSV */
    double *latency;            /* [reps] */
    double *metrics[M_COUNT];   /* [reps] each */
};

static struct {
    const struct zcb_harness *h;
    struct current cur;
    size_t done;
    int status;  /* exit status so far */
    bool stop;   /* a failure that skips every later case */
} run;

static const struct zcb_workload_ops *workload_of(const struct zcb_case *c)
{
    if (zcb_qemu_spec(c->backend))
        return c->op == ZCB_OP_SAVEVM ? &zcb_wl_qemu_savevm : &zcb_wl_qemu_migrate;
    switch (c->op) {
    case ZCB_OP_READ: return &zcb_wl_read;
    case ZCB_OP_COMPARE: return &zcb_wl_compare;
    case ZCB_OP_SAVEVM: return &zcb_wl_savevm;
    case ZCB_OP_MIGRATE: return &zcb_wl_migrate;
    default: return &zcb_wl_zerocheck;
    }
}

static void release_current(void)
{
    struct current *cur = &run.cur;
    struct zcb_bench *b = &cur->bench;
    if (b->ops) /* also after a failed prepare: release copes with partial state */
        b->ops->release(b);
    if (b->be)
        zc_backend_close(b->be);
    free(b->answer);
    for (int m = 0; m <= M_COUNT; m++)
        free(cur->per_pass[m]);
    free(cur->latency);
    for (int m = 0; m < M_COUNT; m++)
        free(cur->metrics[m]);
    memset(cur, 0, sizeof *cur);
}

static void describe(struct current *cur)
{
    const struct zc_backend_desc *d = cur->bench.desc;
    snprintf(cur->wq, sizeof cur->wq, "%s", d && d->wq ? d->wq : "-");
    snprintf(cur->wq_mode, sizeof cur->wq_mode, "%s", d && d->wq_mode ? d->wq_mode : "-");
    snprintf(cur->submit_path, sizeof cur->submit_path, "%s", d && d->submit_path ? d->submit_path : "-");
    if (!d) {
        snprintf(cur->backend, sizeof cur->backend, "%s", ZCB_REF_BACKEND);
        snprintf(cur->device, sizeof cur->device, "cpu");
        snprintf(cur->wait, sizeof cur->wait, "-");
        cur->batch = cur->queue_depth = cur->threads = 1;
        return;
    }
    snprintf(cur->backend, sizeof cur->backend, "%s", d->spec);
    snprintf(cur->note, sizeof cur->note, "%s", d->note ? d->note : "");
    if (cur->note[0]) /* never a silent fallback: say what ran */
        fprintf(stderr, "zcbench: note: %s: %s\n", d->spec, cur->note);
    snprintf(cur->device, sizeof cur->device, "%s", d->device);
    cur->batch = d->batch;
    cur->queue_depth = d->queue_depth;
    cur->n_wq = d->n_wq;
    cur->threads = d->threads * (cur->bench.ops == &zcb_wl_migrate ? cur->c->senders : 1);
    snprintf(cur->wait, sizeof cur->wait, "-");
    struct zc_spec spec;
    if (strcmp(d->device, "cpu") != 0 && zc_spec_parse(d->spec, &spec) == 0) {
        const char *w = zc_spec_get(&spec, "wait");
        snprintf(cur->wait, sizeof cur->wait, "%s", w ? w : "-");
        zc_spec_free(&spec);
    }
}

/* One timed sample of `passes` passes back to back, the backend's
 * statistics of the sample in out->stats. */
static int run_sample(struct zcb_bench *b, unsigned passes, struct zcb_sample *out)
{
    memset(out, 0, sizeof *out);
    if (b->be)
        zc_backend_reset_stats(b->be);
    int rc = 0;
    /* Samples of one pass can be short (a cold 4 KiB page: 0.5 us) beside
     * the drift of the clock's cost: theirs is measured beside them. */
    bool measure_cpu = !b->ops->own_cpu_time && !b->projected;
    double clock_cpu = measure_cpu && passes == 1 ? zcb_clock_reference() : zcb_clock_cost()->cpu_ns;
    if (b->ops->before_sample)
        rc = b->ops->before_sample(b);
    else
        zcb_cold_flush(b);
    if (rc)
        return rc;
    struct zcb_timer t;
    double cpu_ns;
    /* Projected: the thread's simulated time (its own work counted as its
     * CPU time, its waits as the model's time), all of it CPU time: it
     * polls (but for wait=poller, below). Workloads whose own threads work
     * time them themselves. */
    bool sim = b->projected && !b->ops->own_cpu_time;
    uint64_t sim0 = 0, sim1 = 0;
    /* wait=poller: the thread sleeps while the completion thread polls for
     * it; that thread's CPU is the check's too (its busy simulated time
     * when projected, where the sleep is not the thread's). */
    struct zc_dsa_poller_usage poller0, poller1;
    zc_dsa_poller_usage(&poller0);
    uint64_t slept0 = zc_dsa_sim_slept_ns();
    zcb_timer_start(&t);
    if (sim) /* inside the host timer: its clock reads are not the thread's work */
        sim0 = zc_dsa_sim_now_ns();
    rc = b->ops->passes ? b->ops->passes(b, passes, out) : b->ops->pass(b, out);
    if (sim)
        sim1 = zc_dsa_sim_now_ns();
    zcb_timer_stop(&t, &out->host_ns, &cpu_ns);
    if (b->ops->own_wall_time) /* the operation it measures, without its bookkeeping */
        out->host_ns = out->wall_ns;
    if (sim)
        out->wall_ns = out->cpu_ns = (double)(sim1 - sim0);
    else if (!b->projected && !b->ops->own_wall_time)
        out->wall_ns = out->host_ns;
    /* Half of each read of the thread CPU clock (a system call) counts
     * inside the sample: hundreds of ns in a VM, more than a cold 4 KiB
     * pass. What the reads add is taken off, and the rest is bounded by
     * the sample's wall time: one thread cannot run longer than that (the
     * bound holds the clock's jitter, +-100 ns here, off short samples). */
    if (b->be)
        zc_backend_get_stats(b->be, &out->stats);
    /* cpu-mt: the workers check while the caller sleeps; the check's CPU is theirs too. */
    if (measure_cpu)
        out->cpu_ns = fmin(fmax(0, cpu_ns - clock_cpu), out->host_ns) + (double)out->stats.worker_cpu_ns;
    zc_dsa_poller_usage(&poller1);
    if (sim)
        out->cpu_ns += (double)(poller1.sim_busy_ns - poller0.sim_busy_ns) -
                       (double)(zc_dsa_sim_slept_ns() - slept0);
    else if (measure_cpu)
        out->cpu_ns += (double)(poller1.cpu_ns - poller0.cpu_ns);
    return rc;
}

/* Passes per sample: one for cold cases (the eviction between passes must
 * stay untimed) and for workloads whose passes cannot run back to back;
 * else enough that a sample lasts SAMPLE_TARGET_NS. Found by doubling
 * (which also warms the case up), then from the fastest of a few samples at
 * that count: a sample that spanned a preemption must not set it. */
static int choose_passes(struct current *cur)
{
    struct zcb_bench *b = &cur->bench;
    cur->passes = 1;
    struct zcb_sample s;
    /* One untimed pass warms a projection's submitting code up (its own
     * work is part of the projection). Simulated time has no clock cost to
     * hide, but a sample's bookkeeping on the host is the same: samples of
     * SAMPLE_TARGET_NS of simulated time keep their number bounded. */
    if (b->projected) {
        int rc = run_sample(b, 1, &s);
        if (rc)
            return rc;
    }
    if (cur->c->cache == ZCB_CACHE_COLD || !b->ops->passes)
        return 0;
    unsigned k = 1;
    for (;; k *= 2) {
        int rc = run_sample(b, k, &s);
        if (rc)
            return rc;
        if (k == 1 && s.wall_ns >= 2 * SAMPLE_TARGET_NS)
            return 0; /* one pass is long enough whatever the noise */
        if (s.wall_ns >= SAMPLE_TARGET_NS / 2 || k >= MAX_PASSES_PER_SAMPLE)
            break;
    }
    double fastest = s.wall_ns;
    for (int i = 0; i < 3; i++) {
        int rc = run_sample(b, k, &s);
        if (rc)
            return rc;
        fastest = fmin(fastest, s.wall_ns);
    }
    double want = ceil(SAMPLE_TARGET_NS * k / fmax(fastest, 1));
    cur->passes = want > MAX_PASSES_PER_SAMPLE ? MAX_PASSES_PER_SAMPLE : want < 1 ? 1 : (unsigned)want;
    return 0;
}

static int prepare(const struct zcb_case *c)
{
    release_current();
    struct current *cur = &run.cur;
    struct zcb_bench *b = &cur->bench;
    cur->c = c;
    b->c = c;
    b->ops = workload_of(c);
    cur->latency = calloc(c->reps, sizeof *cur->latency);
    for (int m = 0; m < M_COUNT; m++)
        cur->metrics[m] = calloc(c->reps, sizeof(double));
    b->pages = c->buf_bytes / c->gran;
    b->answer = calloc(b->pages, sizeof *b->answer);
    if (!cur->latency || !cur->metrics[M_COUNT - 1] || !b->answer)
        return zc_fail(ENOMEM, "out of memory preparing case %u", c->index);
    int rc = zcb_pin_thread(c->cpu);
    if (rc)
        return rc;
    /* Only compare holds two buffers: the memory check of every other case
     * counts one. */
    if (c->op != ZCB_OP_COMPARE)
        zcb_buffer_release_slot(ZCB_SLOT_PARTNER);
    struct zcb_fill fill = {c->buf_bytes, c->gran, c->zero_ratio, c->nonzero_at, c->seed, "", c->backing};
    rc = zcb_numa_for_case(c->numa, c->backend, fill.numa, sizeof fill.numa);
    if (rc)
        return rc;
    b->buf = zcb_buffer_get(ZCB_SLOT_DATA, &fill);
    if (!b->buf)
        return -ENOMEM;
    if (!b->ops->opens_own_backend) {
        rc = zc_backend_open(c->backend, &b->be);
        if (rc)
            return rc;
        b->desc = zc_backend_describe(b->be);
    }
    rc = b->ops->prepare(b); /* migrate opens its backends here */
    b->projected = b->desc && strcmp(b->desc->device, "dsa-projected") == 0;
    if (!rc)
        rc = choose_passes(cur);
    cur->prepared = rc == 0;
    if (!rc)
        describe(cur);
    return rc;
}

/* The per-pass wall time (at M_COUNT) and metrics of one sample. */
static void sample_values(const struct zcb_sample *s, double pages, unsigned passes,
                          double v[M_COUNT + 1])
{
    v[M_CPU_NS] = s->cpu_ns;
    v[M_SUBMIT_CPP] = (double)s->stats.submit_cycles / pages;
    v[M_WAIT_CPP] = (double)s->stats.wait_cycles / pages;
    v[M_DESC_PP] = (double)s->stats.descriptors / pages;
    v[M_BATCHES] = (double)s->stats.batches;
    v[M_RETRIES] = (double)s->stats.retries;
    v[M_CPU_PAGES] = (double)s->stats.cpu_pages;
    v[M_FAULTS] = (double)s->stats.faults_recovered;
    v[M_SAVE_CYC] = (double)s->save_cycles;
    v[M_ZC_CYC] = (double)s->zerocheck_cycles;
    v[M_SENDER_MAX] = s->sender_cpu_ns_max;
    v[M_HOST_NS] = s->host_ns;
    for (int m = 0; m < ZCB_Q_COUNT; m++)
        v[M_QEMU_FIRST + m] = s->qemu[m];
    v[M_COUNT] = s->wall_ns;
    for (int m = 0; m <= M_COUNT; m++)
        v[m] /= passes;
}

/* A repetition's values are the medians over its samples, not their means
 * (Google Benchmark's): on a shared host a sample that spans a preemption
 * or a stolen vCPU lasts milliseconds (and the guest counts stolen time as
 * the thread's CPU time), so a few such samples would double a mean of
 * 100 us samples. */
static int keep_sample(struct current *cur, const double v[M_COUNT + 1])
{
    if (cur->n_pass == cur->cap_pass) {
        size_t cap = cur->cap_pass ? 2 * cur->cap_pass : 256;
        for (int m = 0; m <= M_COUNT; m++) {
            double *more = realloc(cur->per_pass[m], cap * sizeof *more);
            if (!more)
                return zc_fail(ENOMEM, "out of memory for the samples of case %u", cur->c->index);
            cur->per_pass[m] = more;
        }
        cur->cap_pass = cap;
    }
    for (int m = 0; m <= M_COUNT; m++)
        cur->per_pass[m][cur->n_pass] = v[m];
    cur->n_pass++;
    return 0;
}

/* A repetition that measures nothing more runs its loop out empty before it
 * says why: Google Benchmark aborts the whole run when the repetitions of a
 * case report different iteration counts, and one left early reports fewer
 * than those that finished. */
static void skip(zc_gb_state *st, const struct zcb_case *c, const char *why)
{
    unsigned passes = run.cur.c == c && run.cur.passes ? run.cur.passes : 1;
    while (zc_gb_keep_running_batch(st, passes))
        ;
    zc_gb_skip_with_error(st, why);
}

static void bench_fn(zc_gb_state *st, void *ctx)
{
    const struct zcb_case *c = ctx;
    struct current *cur = &run.cur;
    if (run.stop) {
        skip(st, c, MSG_SKIPPED);
        return;
    }
    if (cur->c == c && !cur->prepared) {
        skip(st, c, MSG_SKIPPED);
        return;
    }
    if (cur->c != c) {
        if (zcb_interrupted()) {
            skip(st, c, MSG_INTERRUPTED);
            return;
        }
        if (prepare(c) != 0) {
            skip(st, c, zcb_interrupted() ? MSG_INTERRUPTED : zc_last_error());
            return;
        }
    }
    struct zcb_bench *b = &cur->bench;
    int64_t passes = 0;
    cur->n_pass = 0;
    while (zc_gb_keep_running_batch(st, cur->passes)) {
        struct zcb_sample s;
        double v[M_COUNT + 1];
        if (run_sample(b, cur->passes, &s) != 0 || b->ops->verify(b) != 0) {
            cur->prepared = false; /* the case's later repetitions are skipped */
            /* a pass that gave up at a Ctrl-C (QEMU's) is not a failure */
            skip(st, c, zcb_interrupted() ? MSG_INTERRUPTED : zc_last_error());
            return;
        }
        sample_values(&s, (double)b->pages, cur->passes, v);
        if (keep_sample(cur, v) != 0) {
            skip(st, c, zc_last_error());
            return;
        }
        zc_gb_set_iteration_time(st, s.wall_ns * 1e-9);
        passes += cur->passes;
    }
    /* QEMU's counters only where QEMU ran. */
    for (int m = 0; m < (b->qemu ? M_COUNT : M_QEMU_FIRST); m++)
        zc_gb_counter(st, metric_names[m], zcb_quantile_sorting(cur->per_pass[m], cur->n_pass, 0.5),
                      ZC_GB_COUNTER_DEFAULT);
    zc_gb_counter(st, LATENCY_COUNTER, zcb_quantile_sorting(cur->per_pass[M_COUNT], cur->n_pass, 0.5),
                  ZC_GB_COUNTER_DEFAULT);
    zc_gb_set_bytes_processed(st, passes * (int64_t)c->buf_bytes);
}

static void fill_qemu(const struct zcb_qemu_info *q, const double *med, struct zcb_row *r)
{
    r->qemu = true;
    r->qemu_version = q->version;
    r->qemu_accel = q->accel;
    r->qemu_migrate = q->migrate;
    r->sink = q->sink;
    r->qemu_channels = q->channels;
    r->qemu_pages_zero = (uint64_t)llround(med[ZCB_Q_PAGES_ZERO]);
    r->qemu_pages_normal = (uint64_t)llround(med[ZCB_Q_PAGES_NORMAL]);
    r->qemu_bytes = (uint64_t)llround(med[ZCB_Q_BYTES]);
    r->qemu_total_ms = med[ZCB_Q_TOTAL_MS];
    r->qemu_mbps = med[ZCB_Q_MBPS];
    r->qemu_cpu_user_ns = med[ZCB_Q_CPU_USER];
    r->qemu_cpu_sys_ns = med[ZCB_Q_CPU_SYS];
    r->qemu_save_thread_cpu_ns = med[ZCB_Q_SAVE_THREAD];
    r->qemu_multifd_cpu_ns = med[ZCB_Q_MULTIFD];
    r->qemu_multifd_cpu_ns_max = med[ZCB_Q_MULTIFD_MAX];
    r->qemu_io_cpu_ns = med[ZCB_Q_IO];
}

static void fill_row(const struct current *cur, struct zcb_row *r)
{
    const struct zcb_case *c = cur->c;
    const struct zcb_bench *b = &cur->bench;
    size_t n = cur->n_samples;
    double med[M_COUNT];
    for (int m = 0; m < M_COUNT; m++)
        med[m] = zcb_median(cur->metrics[m], n);
    memset(r, 0, sizeof *r);
    r->run_id = run.h->run_id;
    r->workload = zcb_workload_names[c->workload];
    r->op = zcb_op_names[c->op];
    r->backend = cur->backend;
    r->device = cur->device;
    r->buf_bytes = c->buf_bytes;
    r->gran_bytes = c->gran;
    r->batch = cur->batch;
    r->queue_depth = cur->queue_depth;
    r->n_wq = cur->n_wq;
    r->threads = cur->threads;
    r->zero_ratio = c->zero_ratio;
    r->cache = zcb_cache_names[c->cache];
    r->reps = n;
    r->latency_ns = zcb_median(cur->latency, n);
    r->latency_ns_p99 = zcb_quantile(cur->latency, n, 0.99);
    r->throughput_gbps = r->latency_ns > 0 ? (double)c->buf_bytes / r->latency_ns : 0;
    r->cpu_ns_per_page = med[M_CPU_NS] / (double)b->pages;
    r->submit_cycles_per_page = med[M_SUBMIT_CPP];
    r->wait_cycles_per_page = med[M_WAIT_CPP];
    r->pages = b->pages;
    r->pages_zero = b->answered_zero;
    r->verified = 1; /* a row exists only when every pass matched the oracle */
    r->nonzero_at = zcb_nonzero_names[c->nonzero_at];
    r->wait = cur->wait;
    r->guest = c->op == ZCB_OP_SAVEVM || c->op == ZCB_OP_MIGRATE;
    r->mem_bytes = c->mem_bytes;
    r->save_cycles = (uint64_t)llround(med[M_SAVE_CYC]);
    r->zerocheck_cycles = (uint64_t)llround(med[M_ZC_CYC]);
    r->zerocheck_share = med[M_SAVE_CYC] > 0 ? med[M_ZC_CYC] / med[M_SAVE_CYC] : 0;
    r->tsc_hz = zc_tsc_hz();
    r->sweep = c->sweep;
    r->sink = r->guest ? c->sink : "-";
    r->numa = c->numa;
    r->backing = zcb_backing_names[c->backing];
    r->cpu = c->cpu;
    r->migrate = b->ops == &zcb_wl_migrate;
    r->packet_pages = c->packet;
    r->sender_cpu_ns = med[M_CPU_NS];
    r->sender_cpu_ns_max = med[M_SENDER_MAX];
    r->descriptors_per_page = med[M_DESC_PP];
    r->batches_per_pass = med[M_BATCHES];
    r->retries_per_pass = med[M_RETRIES];
    r->cpu_pages_per_pass = med[M_CPU_PAGES];
    r->faults_per_pass = med[M_FAULTS];
    r->note = cur->note;
    r->passes_per_sample = cur->passes;
    r->clock_ns = zcb_clock_cost()->wall_ns;
    r->target = c->target;
    r->wq = cur->wq;
    r->wq_mode = cur->wq_mode;
    r->submit_path = cur->submit_path;
    r->timing = b->desc && b->desc->timing && b->desc->timing[0] ? b->desc->timing : "-";
    r->wall_ns = med[M_HOST_NS];
    if (b->qemu)
        fill_qemu(b->qemu, med + M_QEMU_FIRST, r);
}

static void case_finished(const struct zcb_case *c)
{
    char key[ZCB_CASE_KEY_MAX];
    zcb_case_key(c, NULL, key, sizeof key);
    zcb_progress_case_done(++run.done, key);
}

static void write_case(struct current *cur)
{
    struct zcb_row row;
    fill_row(cur, &row);
    char key[ZCB_CASE_KEY_MAX];
    zcb_case_key(cur->c, cur->backend, key, sizeof key);
    int rc = zcb_csv_write_row(run.h->results, &row);
    if (!rc && run.h->used && strcmp(cur->wq, "-") != 0)
        zcb_wqs_used_add(run.h->used, cur->wq, cur->wq_mode, cur->submit_path, cur->device);
    for (unsigned i = 0; !rc && run.h->samples && i < cur->n_samples; i++)
        rc = zcb_csv_write_sample(run.h->samples, run.h->run_id, key, i, cur->latency[i],
                                  cur->metrics[M_CPU_NS][i]);
    if (rc) { /* the results cannot be kept: no later case is measured */
        fprintf(stderr, "zcbench: %s\n", zc_last_error());
        run.status = 1;
        run.stop = true;
    }
}

/* Google Benchmark's name of a case: stable across runs (no index), so its
 * JSON compares across sweeps; "SWEEP/workload/op/backend/...". */
static void gb_name(const struct zcb_case *c, char *buf, size_t len)
{
    char key[ZCB_CASE_KEY_MAX];
    zcb_case_key(c, NULL, key, sizeof key);
    snprintf(buf, len, "%s/%s", c->sweep, key);
}

/* Whether a reported run belongs to case c (Google Benchmark appends
 * "/iterations:1/repeats:N/manual_time" and the like). */
static bool run_of(const struct zc_gb_result *r, const struct zcb_case *c)
{
    char name[ZCB_SWEEP_NAME_MAX + ZCB_CASE_KEY_MAX];
    gb_name(c, name, sizeof name);
    size_t n = strlen(name);
    return strncmp(r->run_name, name, n) == 0 && (r->run_name[n] == '/' || !r->run_name[n]);
}

/* A counter the run set (0 where it set none: QEMU's outside device qemu). */
static double counter_of(const struct zc_gb_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_counters; i++)
        if (strcmp(r->counter_names[i], name) == 0)
            return r->counter_values[i];
    return 0;
}

/* The repetitions a case finished before it failed are kept: its row says
 * how many (reps) and why no more (note). */
static void keep_finished_repetitions(struct current *cur, const struct zc_gb_result *r)
{
    const struct zcb_case *c = cur->c;
    if (!c || cur->written || !cur->n_samples || !run_of(r, c))
        return;
    size_t used = strlen(cur->note);
    snprintf(cur->note + used, sizeof cur->note - used, "%s%u of %u repetitions, then: %s", used ? "; " : "",
             cur->n_samples, c->reps, r->error_message);
    write_case(cur);
    cur->written = true;
}

/* Repetitions arrive while their case is current: the harness measures one
 * case at a time, and Google Benchmark reports a case's runs before it starts
 * the next. */
static void on_report(const struct zc_gb_result *r, void *ctx)
{
    (void)ctx;
    struct current *cur = &run.cur;
    if (r->aggregate[0])
        return;
    if (r->error) {
        bool quiet = strcmp(r->error_message, MSG_INTERRUPTED) == 0 ||
                     strcmp(r->error_message, MSG_SKIPPED) == 0;
        if (!quiet && !run.stop) {
            fprintf(stderr, "zcbench: case %s failed: %s\n", r->run_name, r->error_message);
            run.status = 1;
            /* An outside program's failure spares the other cases; ours stops the run. */
            const struct zcb_workload_ops *ops = cur->bench.ops;
            run.stop = !(ops && ops->failure_is_local);
        }
        keep_finished_repetitions(cur, r);
        return;
    }
    const struct zcb_case *c = cur->c;
    if (!c || !run_of(r, c) || cur->n_samples >= c->reps)
        return;
    unsigned i = cur->n_samples++;
    cur->latency[i] = counter_of(r, LATENCY_COUNTER);
    for (int m = 0; m < M_COUNT; m++)
        cur->metrics[m][i] = counter_of(r, metric_names[m]);
    if (cur->n_samples == c->reps) {
        write_case(cur);
        cur->written = true;
        case_finished(c);
    }
}

/* A one-pass cold sample of a small buffer lasts under a microsecond
 * beside several of eviction, clock and verification: --min-time of them
 * would be 100,000 samples of a 4 KiB page, where a thousand give the same
 * median. Estimated at a fast memory rate, so the cap errs low. */
#define COLD_SAMPLES_MAX 1000.0
#define COLD_ESTIMATE_BYTES_PER_S 20e9
/* A projection's repetition: --min-time counts simulated time, which the
 * model takes 10-20 times as long to execute on the host, for a result
 * that varies far less than a measurement does. */
#define PROJECTED_MIN_TIME_S 0.005

static bool is_projection(const struct zcb_case *c)
{
    return strcmp(c->target, "projected") == 0 || strstr(c->backend, "clock=virtual");
}

/* Google Benchmark's min_time of a case: --min-time, capped as above. */
static double min_time_of(const struct zcb_case *c)
{
    double t = c->min_time;
    if (c->cache == ZCB_CACHE_COLD)
        t = fmin(t, COLD_SAMPLES_MAX * (double)c->buf_bytes / COLD_ESTIMATE_BYTES_PER_S);
    if (is_projection(c))
        t = fmin(t, PROJECTED_MIN_TIME_S);
    return t;
}

static int register_cases(const struct zcb_case_list *cases)
{
    for (size_t i = 0; i < cases->n; i++) {
        const struct zcb_case *c = &cases->v[i];
        char name[ZCB_SWEEP_NAME_MAX + ZCB_CASE_KEY_MAX];
        gb_name(c, name, sizeof name);
        zc_gb_bench *b = zc_gb_register(name, bench_fn, (void *)c);
        if (!b)
            return zc_fail(EINVAL, "Google Benchmark refused case %zu", i);
        zc_gb_repetitions(b, (int)c->reps);
        if (c->min_time > 0)
            zc_gb_min_time(b, min_time_of(c));
        else
            zc_gb_iterations(b, 1); /* --min-time 0: one sample per repetition */
        zc_gb_use_manual_time(b);
        zc_gb_report_aggregates_only(b, false);
        zc_gb_unit(b, ZC_GB_US);
    }
    return 0;
}

int zcb_harness_run(const struct zcb_harness *h)
{
    memset(&run, 0, sizeof run);
    run.h = h;
    if (register_cases(h->cases) != 0) {
        fprintf(stderr, "zcbench: %s\n", zc_last_error());
        return 1;
    }
    zcb_progress_start(h->cases->n, h->progress);
    long n = zc_gb_run(NULL, on_report, NULL, true, h->gbench_json);
    release_current();
    zcb_buffers_release();
    zc_gb_clear();
    zcb_progress_end();
    if (n < 0 && !run.status) {
        fprintf(stderr, "zcbench: --gbench-json %s: cannot write\n", h->gbench_json);
        run.status = 1;
    }
    /* An interrupted run's image files are of no use, and big. */
    size_t removed = zcb_interrupted() ? zcb_owned_remove_all() : 0;
    if (removed)
        fprintf(stderr, "zcbench: removed the %zu image file(s) this run wrote\n", removed);
    if (run.status)
        return run.status;
    if (zcb_interrupted()) {
        fprintf(stderr, "zcbench: interrupted after %zu of %zu cases; finished rows kept\n", run.done,
                h->cases->n);
        return 130;
    }
    return 0;
}

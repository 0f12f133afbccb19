/* The emu device model's work queue: a ring of wq_size descriptor slots
 * served by `engines` threads. A slot is freed when an engine takes its
 * descriptor (as the device frees the entry at dispatch); engines sleep
 * on a condition variable when the ring is empty, so an idle model burns
 * no CPU. Completion records are written with the status byte last
 * (release store); with a timing model they appear no earlier than the
 * modeled completion time. engines=0 runs each descriptor inside submit
 * instead: no thread hand-off, so the fastest model, but never full and
 * never overlapping the submitter. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <x86intrin.h>

#include "cpu/tsc.h"
#include "dsa/emu/internal.h"
#include "dsa/error.h"
#include "dsa/spec.h"

static const char *const mode_choices[] = {"dedicated", "shared", NULL};
static const char *const fault_choices[] = {"unmapped", "nonresident", NULL};
static const char *const timing_choices[] = {"off", "spr", NULL};
static const char *const clock_choices[] = {"wall", "virtual", NULL};

/* A timing profile parameter of the projection: 0 = the profile's. */
#define PROFILE_KEY(field, max, text)                                                          \
    {.name = #field, .type = ZC_OPT_DOUBLE,                                                    \
     .offset = offsetof(struct zc_emu_cfg, prof) + offsetof(struct zc_emu_profile, field),    \
     .dmin = 0, .dmax = max, .def = "0", .help = "clock=virtual: " text " (0: the profile's)"}

static const struct zc_opt emu_opts[] = {
    {.name = "engines", .type = ZC_OPT_UINT, .offset = offsetof(struct zc_emu_cfg, engines),
     .min = 0, .max = 16, .def = "1",
     .help = "engine threads serving the WQ; 0: the submitting thread executes each "
             "descriptor inside submit (no wake-ups: fastest, never full, no timing)"},
    {.name = "wq_size", .type = ZC_OPT_UINT, .offset = offsetof(struct zc_emu_cfg, wq_size),
     .min = 1, .max = 4096, .def = "128", .help = "WQ entries"},
    {.name = "mode", .type = ZC_OPT_ENUM, .offset = offsetof(struct zc_emu_cfg, mode),
     .choices = mode_choices, .def = "dedicated",
     .help = "dedicated: overflow is dropped; shared: submit says -EAGAIN when full"},
    {.name = "max_batch", .type = ZC_OPT_UINT, .offset = offsetof(struct zc_emu_cfg, max_batch),
     .min = 2, .max = 4096, .def = "1024", .help = "largest BATCH descriptor count"},
    {.name = "max_xfer", .type = ZC_OPT_SIZE, .offset = offsetof(struct zc_emu_cfg, max_xfer),
     .min = 1, .max = 1ull << 31, .def = "2M",
     .help = "largest transfer size (2M: the WQ max_transfer_size of real configurations)"},
    {.name = "bof", .type = ZC_OPT_UINT, .offset = offsetof(struct zc_emu_cfg, bof), .min = 0,
     .max = 1, .def = "0",
     .help = "the WQ enables block on fault (0, as configs/dsa-*.conf: the BOF flag is refused)"},
    {.name = "fault", .type = ZC_OPT_ENUM, .offset = offsetof(struct zc_emu_cfg, fault),
     .choices = fault_choices, .def = "unmapped",
     .help = "which pages fault without block-on-fault: inaccessible only, or also non-resident"},
    {.name = "poll_us", .type = ZC_OPT_UINT, .offset = offsetof(struct zc_emu_cfg, poll_us),
     .min = 0, .max = 10000, .def = "0",
     .help = "an idle engine polls this long before it sleeps (saves the wake-up)"},
    {.name = "clock", .type = ZC_OPT_ENUM, .offset = offsetof(struct zc_emu_cfg, clock),
     .choices = clock_choices, .def = "wall",
     .help = "wall: engine threads on host time; virtual: the projection, on simulated time "
             "(needs a timing profile; timing=spr is its default; engines default to 4)"},
    {.name = "dev", .type = ZC_OPT_STRING, .offset = offsetof(struct zc_emu_cfg, dev), .size = 32,
     .def = "", .help = "clock=virtual: WQs naming the same device share its engines and "
                        "bandwidth (default: a device of its own)"},
    /* 30 s: far above what a thread of zcbench works between two calls
     * into the model under valgrind (milliseconds), and a deadlock still
     * ends well inside a test's timeout. */
    {.name = "stall_s", .type = ZC_OPT_DOUBLE, .offset = offsetof(struct zc_emu_cfg, stall_s),
     .dmin = 0.001, .dmax = 86400, .def = "30",
     .help = "clock=virtual: a submit or wait fails with EDEADLK once simulated time stood still "
             "this many seconds of host time while it waited (a thread blocked without "
             "zc_dsa_sim_pause); the WQ opened last sets it"},
    {.name = "timing", .type = ZC_OPT_ENUM, .offset = offsetof(struct zc_emu_cfg, timing),
     .choices = timing_choices, .def = "off",
     .help = "spr: the profile fitted to published Sapphire Rapids numbers (docs/PERFORMANCE.md); "
             "clock=wall takes its latency and bandwidths for the keys left at 0"},
    {.name = "lat_ns", .type = ZC_OPT_U64, .offset = offsetof(struct zc_emu_cfg, lat_ns),
     .min = 0, .max = 1000000000, .def = "0",
     .help = "timing model: latency per descriptor (0 with no bandwidths = as fast as possible; "
             "with timing=spr or clock=virtual, 0 = the profile's)"},
    {.name = "engine_gbps", .type = ZC_OPT_DOUBLE, .offset = offsetof(struct zc_emu_cfg, engine_gbps),
     .dmin = 0, .dmax = 10000, .def = "0",
     .help = "timing model: GB/s per engine, 0 = unlimited (with timing=spr or clock=virtual: "
             "the profile's)"},
    {.name = "device_gbps", .type = ZC_OPT_DOUBLE, .offset = offsetof(struct zc_emu_cfg, device_gbps),
     .dmin = 0, .dmax = 10000, .def = "0",
     .help = "timing model: GB/s per device, 0 = unlimited (with timing=spr or clock=virtual: "
             "the profile's)"},
    PROFILE_KEY(enqcmd_ns, 1e6, "submitting core's stall per ENQCMD (shared WQ)"),
    PROFILE_KEY(movdir_ns, 1e6, "submitting core's cost per MOVDIR64B (dedicated WQ)"),
    PROFILE_KEY(desc_ns, 1e6, "engine time per work descriptor before its transfer"),
    PROFILE_KEY(buffer_ns, 1e6, "engine time per side (read, write) a descriptor streams"),
    PROFILE_KEY(batch_ns, 1e6, "engine time per BATCH descriptor"),
    PROFILE_KEY(read_lat_ns, 1e6, "record latency added when a descriptor reads memory"),
    PROFILE_KEY(write_lat_ns, 1e6, "record latency added when a descriptor writes memory"),
    PROFILE_KEY(ramp_ns, 1e6, "record latency growing with the transfer, up to this"),
    PROFILE_KEY(ramp_bytes, 1e12, "transfer size at which the ramp reaches 63%"),
    PROFILE_KEY(fault_ns, 1e9, "engine time per page fault"),
    PROFILE_KEY(partial_ns, 1e6, "engine time to merge one partly written cache line (one at a time)"),
    PROFILE_KEY(partial_lat_ns, 1e6, "record latency added by partly written lines"),
    {.name = NULL},
};

void zc_dsa_emu_help(FILE *out) { zc_opts_help(emu_opts, out); }

struct slot {
    struct dsa_hw_desc desc;
    uint64_t submit_ns;
    uint64_t seq;
};

/* A completion record waiting for its modeled time (the clock keeps the
 * engine's descriptors in the same order). */
struct pending {
    uint64_t seq;
    struct dsa_completion_record *where;
    struct dsa_completion_record rec;
};

struct emu;

struct engine {
    struct zc_emu_sink sink; /* first: the executor's callbacks get the engine back */
    struct emu *emu;
    pthread_t thread;
    unsigned id;
    uint64_t seq;            /* descriptor being executed */
    uint64_t submit_ns;
    struct pending *pend;    /* FIFO */
    size_t pend_head, pend_n, pend_cap;
    struct zc_emu_tlb tlb;
    /* Oldest descriptor not yet completed (UINT64_MAX: none), for DRAIN. */
    atomic_uint_least64_t oldest;
};

struct emu {
    struct zc_emu_cfg cfg;
    struct zc_dsa_wq *wq;
    struct zc_emu_clock *clock;
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct slot *ring;
    unsigned head, count;
    atomic_uint_least64_t submits; /* polled by idle engines without the lock */
    atomic_uint inline_running;    /* engines=0: descriptors executing in submitters */
    uint64_t next_seq;
    bool stop;
    unsigned started;
    struct engine engines[];
};

/* t: the engine's translations, only while the descriptor still runs. */
static void publish(struct emu *m, struct zc_emu_tlb *t, struct dsa_completion_record *where,
                    const struct dsa_completion_record *rec)
{
    if (!zc_emu_store_record(t, where, rec))
        zc_dsa_wq_count(&m->wq->swerr); /* DSA_COMP_CRA_XLAT: no record to report it in */
}

/* Pending records are older than the descriptor being executed. */
static void update_oldest(struct engine *e, bool executing)
{
    uint64_t v = e->pend_n ? e->pend[e->pend_head].seq : executing ? e->seq : UINT64_MAX;
    atomic_store_explicit(&e->oldest, v, memory_order_release);
}

static int pend_push(struct engine *e, const struct pending *p)
{
    if (e->pend_n == e->pend_cap) {
        size_t cap = e->pend_cap ? 2 * e->pend_cap : 64;
        struct pending *n = malloc(cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        for (size_t i = 0; i < e->pend_n; i++)
            n[i] = e->pend[(e->pend_head + i) % e->pend_cap];
        free(e->pend);
        e->pend = n;
        e->pend_head = 0;
        e->pend_cap = cap;
    }
    e->pend[(e->pend_head + e->pend_n++) % e->pend_cap] = *p;
    return 0;
}

/* Writes the oldest pending record and forgets it. */
static void publish_oldest(struct engine *e)
{
    publish(e->emu, NULL, e->pend[e->pend_head].where, &e->pend[e->pend_head].rec);
    e->pend_head = (e->pend_head + 1) % e->pend_cap;
    e->pend_n--;
}

/* Writes every pending record due by now; returns when the next one is
 * (UINT64_MAX: none left). */
static uint64_t publish_due(struct engine *e, bool executing)
{
    struct emu *m = e->emu;
    uint64_t now = e->pend_n ? zc_now_ns() : 0, next = UINT64_MAX;
    while (e->pend_n && (next = zc_emu_clock_due(m->clock, e->id, now)) <= now) {
        zc_emu_clock_release(m->clock, e->id);
        publish_oldest(e);
        next = UINT64_MAX;
    }
    update_oldest(e, executing);
    if (m->clock && zc_emu_clock_take_idle_news(m->clock))
        pthread_cond_broadcast(&m->work); /* sleeping engines: your share grew */
    return next;
}

static void sink_done(struct zc_emu_sink *s, const struct dsa_hw_desc *d,
                      struct dsa_completion_record *where, const struct dsa_completion_record *rec)
{
    struct engine *e = (struct engine *)s;
    struct emu *m = e->emu;
    struct pending p = {.seq = e->seq, .where = where, .rec = *rec};
    if (!m->clock || pend_push(e, &p) != 0) {
        publish(m, &e->tlb, where, rec); /* untimed, or out of memory: late is better than lost */
        return;
    }
    if (zc_emu_clock_add(m->clock, e->id, e->submit_ns, zc_emu_work_of(d, rec).xfer) != 0) {
        e->pend_n--;
        publish(m, &e->tlb, where, rec);
    }
}

/* DRAIN: every descriptor submitted before this one has completed. */
static void sink_drain(struct zc_emu_sink *s)
{
    struct engine *e = (struct engine *)s;
    struct emu *m = e->emu;
    for (uint64_t next; (next = publish_due(e, true)) != UINT64_MAX;)
        zc_emu_sleep_until(next);
    for (unsigned i = 0; i < m->cfg.engines; i++) {
        if (i == e->id)
            continue;
        while (atomic_load_explicit(&m->engines[i].oldest, memory_order_acquire) < e->seq) {
            struct timespec ts = {0, 2000};
            nanosleep(&ts, NULL);
        }
    }
    if (m->clock) /* the drain completes after everything it waited for */
        e->submit_ns = zc_now_ns();
}

static void timed_wait(struct emu *m, uint64_t until_ns)
{
    struct timespec ts = {(time_t)(until_ns / 1000000000u), (long)(until_ns % 1000000000u)};
    pthread_cond_timedwait(&m->work, &m->lock, &ts);
}

/* Called and returns with the lock held: true when a submission arrived
 * while polling (a wake-up from the condition variable costs tens of
 * microseconds on a busy host; the device never sleeps). */
static bool poll_for_work(struct emu *m)
{
    if (!m->cfg.poll_us)
        return false;
    uint64_t seen = atomic_load_explicit(&m->submits, memory_order_relaxed);
    pthread_mutex_unlock(&m->lock);
    uint64_t end = zc_now_ns() + 1000ull * m->cfg.poll_us;
    bool more = false;
    for (unsigned spins = 0; !more; spins++) {
        more = atomic_load_explicit(&m->submits, memory_order_relaxed) != seen;
        if ((spins & 255) == 255 && zc_now_ns() >= end)
            break;
        _mm_pause();
    }
    pthread_mutex_lock(&m->lock);
    return more || m->count || m->stop; /* also what arrived while relocking */
}

/* A timed engine takes its next descriptor this long before the model
 * frees it, as the device's engines fetch ahead: the thread's wake-up and
 * execution then overlap the model serving the previous one, and the
 * model does not charge this host's scheduling delays as device time. */
#define TAKE_AHEAD_NS 50000u

static void *engine_main(void *arg)
{
    struct engine *e = arg;
    struct emu *m = e->emu;
    char name[16];
    snprintf(name, sizeof name, "zc-emu-e%u", e->id);
    pthread_setname_np(pthread_self(), name);
    prctl(PR_SET_TIMERSLACK, 1000UL); /* modeled deadlines: wake within ~1 us */
    struct zc_emu_exec x = {.cfg = &m->cfg, .tlb = &e->tlb, .wq = m->wq, .sink = &e->sink};

    pthread_mutex_lock(&m->lock);
    for (;;) {
        uint64_t now = m->clock ? zc_now_ns() : 0;
        /* A timed engine takes the next descriptor only when it could soon
         * start it, so the WQ fills up under load as on the device. */
        uint64_t take_at = 0;
        if (m->clock && m->count) {
            take_at = zc_emu_clock_idle_at(m->clock, e->id, now);
            take_at = take_at > TAKE_AHEAD_NS ? take_at - TAKE_AHEAD_NS : 0;
        }
        bool ready = take_at <= now;
        if (m->count && ready) {
            struct slot s = m->ring[m->head];
            m->head = (m->head + 1) % m->cfg.wq_size;
            m->count--;
            e->seq = s.seq;
            e->submit_ns = s.submit_ns;
            update_oldest(e, true);
            pthread_mutex_unlock(&m->lock);
            zc_emu_execute(&x, &s.desc);
            publish_due(e, false);
            pthread_mutex_lock(&m->lock);
            continue;
        }
        if (m->stop)
            break;
        if (e->pend_n || (m->count && !ready)) {
            uint64_t until = m->count && !ready ? take_at : UINT64_MAX;
            uint64_t due = e->pend_n ? zc_emu_clock_due(m->clock, e->id, now) : UINT64_MAX;
            until = due < until ? due : until;
            if (until > now + 20000) {
                timed_wait(m, until);
            } else {
                pthread_mutex_unlock(&m->lock);
                zc_emu_sleep_until(until);
                publish_due(e, false);
                pthread_mutex_lock(&m->lock);
            }
            continue;
        }
        if (poll_for_work(m))
            continue;
        pthread_cond_wait(&m->work, &m->lock);
    }
    pthread_mutex_unlock(&m->lock);
    while (e->pend_n) /* closing: what was executed completes now */
        publish_oldest(e);
    return NULL;
}

/* engines=0: the descriptor runs in the submitter's thread, its record is
 * written before submit returns. */
struct inline_sink {
    struct zc_emu_sink sink; /* first */
    struct emu *emu;
    struct zc_emu_tlb *tlb;
};

static void inline_done(struct zc_emu_sink *s, const struct dsa_hw_desc *d,
                        struct dsa_completion_record *where, const struct dsa_completion_record *rec)
{
    (void)d;
    struct inline_sink *is = (struct inline_sink *)s;
    publish(is->emu, is->tlb, where, rec);
}

/* Every descriptor other threads are executing has completed. */
static void inline_drain(struct zc_emu_sink *s)
{
    struct emu *m = ((struct inline_sink *)s)->emu;
    while (atomic_load_explicit(&m->inline_running, memory_order_acquire) > 1) {
        struct timespec ts = {0, 2000};
        nanosleep(&ts, NULL);
    }
}

static int emu_submit_inline(struct emu *m, const struct dsa_hw_desc *desc)
{
    static _Thread_local struct zc_emu_tlb tlb;
    struct dsa_hw_desc d;
    memcpy(&d, desc, sizeof d); /* the portal write copies 64 bytes */
    struct inline_sink is = {{inline_done, inline_drain, false}, m, &tlb};
    struct zc_emu_exec x = {.cfg = &m->cfg, .tlb = &tlb, .wq = m->wq, .sink = &is.sink};
    atomic_fetch_add_explicit(&m->inline_running, 1, memory_order_acq_rel);
    zc_emu_execute(&x, &d);
    atomic_fetch_sub_explicit(&m->inline_running, 1, memory_order_acq_rel);
    return 0;
}

static int emu_submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *desc)
{
    struct emu *m = wq->impl;
    if (m->cfg.engines == 0)
        return emu_submit_inline(m, desc);
    uint64_t now = m->clock ? zc_now_ns() : 0;
    pthread_mutex_lock(&m->lock);
    if (m->count == m->cfg.wq_size) {
        pthread_mutex_unlock(&m->lock);
        return m->cfg.mode == ZC_DSA_DEDICATED ? ZC_DSA_SUBMIT_DROPPED : -EAGAIN;
    }
    struct slot *s = &m->ring[(m->head + m->count) % m->cfg.wq_size];
    memcpy(&s->desc, desc, sizeof *desc); /* the portal write copies 64 bytes */
    s->submit_ns = now;
    s->seq = m->next_seq++;
    m->count++;
    atomic_fetch_add_explicit(&m->submits, 1, memory_order_relaxed);
    /* Timed engines also wait for their own deadlines: one that is busy
     * until later must not swallow the wake-up an idle one needs. */
    if (m->clock)
        pthread_cond_broadcast(&m->work);
    else
        pthread_cond_signal(&m->work);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

static void emu_stop(struct emu *m)
{
    pthread_mutex_lock(&m->lock);
    m->stop = true;
    pthread_cond_broadcast(&m->work);
    pthread_mutex_unlock(&m->lock);
    for (unsigned i = 0; i < m->started; i++)
        pthread_join(m->engines[i].thread, NULL);
}

static void emu_free(struct emu *m)
{
    for (unsigned i = 0; i < m->cfg.engines; i++)
        free(m->engines[i].pend);
    zc_emu_clock_free(m->clock);
    pthread_cond_destroy(&m->work);
    pthread_mutex_destroy(&m->lock);
    free(m->ring);
    free(m);
}

static void emu_close(struct zc_dsa_wq *wq)
{
    struct emu *m = wq->impl;
    emu_stop(m);
    emu_free(m);
}

static bool given(const struct zc_spec *spec, const struct zc_spec *env, const char *key)
{
    return zc_spec_get(spec, key) || zc_spec_get(env, key);
}

/* clock=virtual: the profile's parameters for the keys left at 0, the
 * layout of a real device (4 engines) unless the keys say otherwise. */
static int virtual_config(const struct zc_spec *s, const struct zc_spec *env, struct zc_emu_cfg *cfg)
{
    if (given(s, env, "timing") && cfg->timing == ZC_EMU_TIMING_OFF)
        return zc_fail(EINVAL, "emu: clock=virtual needs a timing profile (allowed: timing=spr)");
    cfg->timing = ZC_EMU_TIMING_SPR;
    if (!given(s, env, "engines"))
        cfg->engines = 4;
    struct zc_emu_profile *p = &cfg->prof;
    const struct zc_emu_profile *d = zc_emu_profile_of(cfg->timing);
#define FROM_PROFILE(f) p->f = p->f > 0 ? p->f : d->f
    FROM_PROFILE(enqcmd_ns);
    FROM_PROFILE(movdir_ns);
    FROM_PROFILE(desc_ns);
    FROM_PROFILE(buffer_ns);
    FROM_PROFILE(batch_ns);
    FROM_PROFILE(read_lat_ns);
    FROM_PROFILE(write_lat_ns);
    FROM_PROFILE(ramp_ns);
    FROM_PROFILE(ramp_bytes);
    FROM_PROFILE(fault_ns);
    FROM_PROFILE(partial_ns);
    FROM_PROFILE(partial_lat_ns);
#undef FROM_PROFILE
    p->lat_ns = cfg->lat_ns ? (double)cfg->lat_ns : d->lat_ns;
    p->engine_gbps = cfg->engine_gbps > 0 ? cfg->engine_gbps : d->engine_gbps;
    p->device_gbps = cfg->device_gbps > 0 ? cfg->device_gbps : d->device_gbps;
    return 0;
}

/* Defaults, then ZC_EMU from the environment, then the spec's own keys. */
static int emu_config(const char *spec, struct zc_emu_cfg *cfg)
{
    struct zc_spec s, env = {0};
    int rc = zc_spec_parse(spec, &s);
    if (rc)
        return rc;
    struct zc_spec none = {0};
    rc = zc_opts_apply(emu_opts, &none, cfg, "emu");
    const char *env_text = getenv("ZC_EMU");
    if (!rc && env_text && *env_text && (rc = zc_spec_parse_kv(env_text, &env)) == 0)
        rc = zc_opts_apply_keys(emu_opts, &env, cfg, "ZC_EMU");
    if (!rc)
        rc = zc_opts_apply_keys(emu_opts, &s, cfg, "emu");
    if (!rc && cfg->clock == ZC_EMU_CLOCK_VIRTUAL)
        rc = virtual_config(&s, &env, cfg);
    zc_spec_free(&s);
    zc_spec_free(&env);
    if (!rc && cfg->clock == ZC_EMU_CLOCK_WALL && cfg->timing == ZC_EMU_TIMING_SPR) {
        /* One latency for every record: a descriptor that reads (the zero check). */
        const struct zc_emu_profile *p = zc_emu_profile_of(cfg->timing);
        cfg->lat_ns = cfg->lat_ns ? cfg->lat_ns : (uint64_t)(p->lat_ns + p->read_lat_ns);
        cfg->engine_gbps = cfg->engine_gbps > 0 ? cfg->engine_gbps : p->engine_gbps;
        cfg->device_gbps = cfg->device_gbps > 0 ? cfg->device_gbps : p->device_gbps;
    }
    return rc;
}

static void describe_wq(struct zc_dsa_wq *wq, const struct zc_emu_cfg *cfg)
{
    struct zc_dsa_wq_info *info = &wq->info;
    snprintf(info->device, sizeof info->device, "emu");
    snprintf(info->name, sizeof info->name, "emu");
    info->mode = (enum zc_dsa_mode)cfg->mode;
    info->size = cfg->wq_size;
    info->max_batch = cfg->max_batch;
    info->max_xfer = cfg->max_xfer;
    info->numa_node = -1;
    info->engines = cfg->engines;
    info->is_model = true;
    info->timed = cfg->clock == ZC_EMU_CLOCK_VIRTUAL;
    info->path = ZC_DSA_PATH_EMU;
    info->ops = zc_emu_opcodes();
    info->block_on_fault = cfg->bof;
    info->device_bof = true;
    info->timing = cfg->clock == ZC_EMU_CLOCK_VIRTUAL ? timing_choices[cfg->timing] : "";
}

static int emu_open(struct zc_dsa_wq *wq, const char *spec)
{
    struct zc_emu_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = emu_config(spec, &cfg);
    if (rc)
        return rc;
    if (cfg.clock == ZC_EMU_CLOCK_VIRTUAL && (rc = zc_emu_virtual_open(wq, &cfg)) != 0)
        return rc;
    if (cfg.clock == ZC_EMU_CLOCK_VIRTUAL) {
        describe_wq(wq, &cfg);
        return 0;
    }
    struct emu *m = calloc(1, sizeof *m + cfg.engines * sizeof m->engines[0]);
    struct slot *ring = calloc(cfg.wq_size, sizeof *ring);
    if (!m || !ring) {
        free(m);
        free(ring);
        return zc_fail(ENOMEM, "emu: out of memory for a WQ of %u entries", cfg.wq_size);
    }
    m->cfg = cfg;
    m->wq = wq;
    m->ring = ring;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->work, &ca);
    pthread_condattr_destroy(&ca);
    if (cfg.engines == 0 && zc_emu_timed(&cfg)) {
        emu_free(m);
        return zc_fail(EINVAL, "emu: engines=0 runs descriptors inside submit and cannot model "
                               "timing (lat_ns, engine_gbps, device_gbps, timing): use engines>=1");
    }
    if (zc_emu_timed(&cfg) && (rc = zc_emu_clock_new(&cfg, &m->clock)) != 0) {
        emu_free(m);
        return rc;
    }
    for (unsigned i = 0; i < cfg.engines; i++) {
        struct engine *e = &m->engines[i];
        e->sink.done = sink_done;
        e->sink.drain = sink_drain;
        e->emu = m;
        e->id = i;
        atomic_init(&e->oldest, UINT64_MAX);
    }
    for (; m->started < cfg.engines; m->started++) {
        rc = pthread_create(&m->engines[m->started].thread, NULL, engine_main,
                            &m->engines[m->started]);
        if (rc) {
            unsigned failed = m->started;
            emu_stop(m);
            emu_free(m);
            return zc_fail(rc, "emu: cannot start engine thread %u: %s", failed, strerror(rc));
        }
    }
    wq->impl = m;
    describe_wq(wq, &cfg);
    wq->info.timed = m->clock != NULL;
    return 0;
}

const struct zc_dsa_wq_ops zc_dsa_emu_ops = {
    .name = "emu",
    .open = emu_open,
    .submit = emu_submit,
    .close = emu_close,
};

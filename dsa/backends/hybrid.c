/* hybrid:wq=...,cpu_share=F|auto - the calling thread checks the last
 * cpu_share of the pages on the CPU while the DSA engine works on the rest
 * (polled between CPU chunks so its queue stays fed). auto sets the share
 * so both sides finish together: an EWMA of each side's measured cost per
 * byte, share = dsa_cost / (cpu_cost + dsa_cost). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/backends/cpu_variant.h"
#include "dsa/backends/dsa_pipe.h"
#include "dsa/error.h"

struct hybrid_cfg {
    struct zc_dsa_pipe_cfg pipe; /* first: the batch/qd entries use its offsets */
    char cpu_share[16];
    char variant[ZC_BE_VARIANT_MAX];
};
_Static_assert(offsetof(struct hybrid_cfg, pipe) == 0, "pipe keys at the pipe's offsets");

static const struct zc_opt hybrid_opts[] = {
    ZC_DSA_WQ_OPT(struct hybrid_cfg, pipe.common),
    ZC_DSA_BATCH_OPT(2, "32", ZC_DSA_BATCH_HELP),
    ZC_DSA_QD_OPT("4"),
    {.name = "cpu_share", .type = ZC_OPT_STRING, .offset = offsetof(struct hybrid_cfg, cpu_share),
     .size = 16, .def = "auto",
     .help = "share of the pages checked on the calling thread: 0..1 or auto"},
    {.name = "variant", .type = ZC_OPT_STRING, .offset = offsetof(struct hybrid_cfg, variant),
     .size = ZC_BE_VARIANT_MAX, .def = "best", .help = "<zc/cpu.h> kernel of the CPU share"},
    ZC_DSA_COMMON_OPTS(struct hybrid_cfg, pipe.common),
    {0},
};

/* The CPU polls the engine after about this many bytes of its own work. */
#define POLL_BYTES (64u * 1024)
#define EWMA_WEIGHT 0.25
/* auto keeps both sides busy enough to keep measuring them. */
#define MIN_SHARE (1.0 / 64)

struct hybrid {
    struct zc_dsa_engine *engine;
    zc_zero_fn fn;
    bool automatic;
    double share;
    double cpu_cost, dsa_cost;   /* TSC cycles per byte, EWMA; 0 = not measured yet */
};

static int parse_share(struct hybrid_cfg *c, struct hybrid *h)
{
    if (strcmp(c->cpu_share, "auto") == 0) {
        h->automatic = true;
        h->share = 0.5;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(c->cpu_share, &end);
    if (errno || end == c->cpu_share || *end || !(v >= 0 && v <= 1))
        return zc_fail(EINVAL, "hybrid: bad value '%s' for cpu_share (allowed: a number 0..1 or auto)",
                       c->cpu_share);
    h->share = v;
    snprintf(c->cpu_share, sizeof c->cpu_share, "%g", v);
    return 0;
}

static int hybrid_open(struct zc_backend *be, void *cfg)
{
    struct hybrid_cfg *c = cfg;
    struct hybrid *h = calloc(1, sizeof *h);
    if (!h)
        return zc_fail(ENOMEM, "hybrid: out of memory");
    int rc = parse_share(c, h);
    if (!rc)
        rc = zc_be_cpu_variant("hybrid", c->variant, &h->fn);
    if (!rc)
        rc = zc_dsa_engine_open("hybrid", &c->pipe.common, c->pipe.batch, c->pipe.qd, h->fn, be,
                                &h->engine);
    if (rc) {
        free(h);
        return rc;
    }
    be->impl = h;
    return 0;
}

static double ewma(double old, double sample)
{
    return old ? old + EWMA_WEIGHT * (sample - old) : sample;
}

static void retune(struct hybrid *h, uint64_t cpu_cycles, uint64_t dsa_cycles, size_t cpu_bytes,
                   size_t dsa_bytes)
{
    if (!cpu_bytes || !dsa_bytes)
        return;
    h->cpu_cost = ewma(h->cpu_cost, (double)cpu_cycles / (double)cpu_bytes);
    h->dsa_cost = ewma(h->dsa_cost, (double)dsa_cycles / (double)dsa_bytes);
    double share = h->dsa_cost / (h->cpu_cost + h->dsa_cost);
    h->share = share < MIN_SHARE ? MIN_SHARE : share > 1 - MIN_SHARE ? 1 - MIN_SHARE : share;
}

static int hybrid_run(struct zc_backend *be, const struct zc_be_job *job)
{
    struct hybrid *h = be->impl;
    size_t n_cpu = (size_t)(h->share * (double)job->n + 0.5);
    size_t n_dsa = job->n - n_cpu;
    uint64_t t0 = zc_dsa_engine_now_cycles(h->engine);
    int rc = n_dsa ? zc_dsa_engine_start(h->engine, job, 0, n_dsa, &be->stats) : 0;
    if (rc)
        return rc;
    size_t since_poll = 0;
    for (size_t i = n_dsa; i < job->n; i++) {
        job->out[i] = zc_be_cpu_answer(job, i, 0, job->gran, h->fn);
        since_poll += job->gran;
        if (n_dsa && since_poll >= POLL_BYTES) {
            zc_dsa_engine_poll(h->engine);
            since_poll = 0;
        }
    }
    uint64_t cpu_cycles = zc_dsa_engine_now_cycles(h->engine) - t0;
    be->stats.cpu_pages += n_cpu;
    if (!n_dsa)
        return 0;
    rc = zc_dsa_engine_finish(h->engine);
    if (!rc && h->automatic)
        retune(h, cpu_cycles, zc_dsa_engine_last_completion(h->engine) - t0, n_cpu * job->gran,
               n_dsa * job->gran);
    return rc;
}

static void hybrid_close(struct zc_backend *be)
{
    struct hybrid *h = be->impl;
    zc_dsa_engine_close(h->engine);
    free(h);
}

const struct zc_backend_ops zc_backend_hybrid = {
    .kind = {.name = "hybrid",
             .summary = "the calling thread checks a share on the CPU while DSA checks the rest",
             .example = "hybrid:wq=emu,cpu_share=auto"},
    .opts = hybrid_opts,
    .cfg_size = sizeof(struct hybrid_cfg),
    .open = hybrid_open,
    .run = hybrid_run,
    .close = hybrid_close,
};

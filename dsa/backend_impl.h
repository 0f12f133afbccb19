/* Internal: how a zero-check backend plugs into <zc/backend.h> (fio
 * ioengine style). Adding a backend = one file in dsa/backends/ defining a
 * `const struct zc_backend_ops` + one registration line in dsa/backend.c.
 *
 * The core (dsa/backend.c) parses the spec with the backend's option table
 * into a zeroed config block of cfg_size bytes, validates the arguments of
 * every call, counts answered pages and writes the canonical spec from the
 * same option table; the backend only opens, runs jobs and closes. */
#ifndef ZC_DSA_BACKEND_IMPL_H
#define ZC_DSA_BACKEND_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zc/backend.h>
#include <zc/cpu.h>

#include "dsa/spec.h"

/* One call's work: n pages of gran bytes; out[i] is "all zero" (ZERO) or
 * "equal to the second buffer" (COMPARE) for page i. */
enum zc_be_op { ZC_BE_ZERO, ZC_BE_COMPARE };

struct zc_be_job {
    enum zc_be_op op;
    size_t n, gran;
    const uint8_t *base;       /* page i at base + i * gran ... */
    const void *const *vec;    /* ... or at vec[i] (checkv) when not NULL */
    const uint8_t *base2;      /* COMPARE: page i of the second buffer at base2 + i * gran */
    bool *out;
};

static inline const uint8_t *zc_be_page(const struct zc_be_job *j, size_t i)
{
    return j->vec ? (const uint8_t *)j->vec[i] : j->base + i * j->gran;
}

static inline const uint8_t *zc_be_page2(const struct zc_be_job *j, size_t i)
{
    return j->base2 + i * j->gran;
}

/* The CPU's answer for bytes [off, off + len) of page i. */
static inline bool zc_be_cpu_answer(const struct zc_be_job *j, size_t i, size_t off, size_t len,
                                    zc_zero_fn zero)
{
    const uint8_t *a = zc_be_page(j, i) + off;
    return j->op == ZC_BE_ZERO ? zero(a, len) : memcmp(a, zc_be_page2(j, i) + off, len) == 0;
}

#define ZC_BE_NOTE_MAX 512

struct zc_backend_ops;

/* Visible to backends; opaque to users of <zc/backend.h>. */
struct zc_backend {
    const struct zc_backend_ops *ops;
    void *impl;                        /* the backend's state */
    void *cfg;                         /* parsed options (cfg_size bytes) */
    /* open() may set it when a page is checked by one plain call on the
     * calling thread: a one-page zc_backend_check (QEMU's kind of call)
     * then skips the job and the table's run, a tenth of a 4 KiB check. */
    zc_zero_fn page_check;
    struct zc_backend_stats stats;     /* backends add their counters; the core counts pages */
    uint64_t workers_cpu_at_reset;     /* ops->workers_cpu_ns at the last zc_backend_reset_stats */
    struct zc_backend_desc desc;       /* open() sets device, batch, queue_depth, n_wq, threads */
    char spec[ZC_BACKEND_SPEC_MAX];         /* canonical spec */
    char note[ZC_BE_NOTE_MAX];         /* open() may explain a degraded setup */
};

struct zc_backend_ops {
    struct zc_backend_kind kind;       /* name, summary, example (first: kind_at returns it) */
    const struct zc_opt *opts;         /* the spec's keys, NULL-terminated */
    size_t cfg_size;
    const char *positional;            /* key taken by "kind:VALUE" (cpu:avx2), or NULL */
    /* May normalize cfg (e.g. "best" -> the variant it resolves to): the
     * canonical spec is written from cfg after open. 0 or -errno + zc_fail. */
    int  (*open)(struct zc_backend *be, void *cfg);
    /* Arguments already validated, job->n >= 1. 0 or -errno + zc_fail. */
    int  (*run)(struct zc_backend *be, const struct zc_be_job *job);
    void (*close)(struct zc_backend *be);
    /* Optional, for a backend that checks on threads of its own: the CPU
     * time they have run so far, in ns (stats.worker_cpu_ns is its growth). */
    uint64_t (*workers_cpu_ns)(const struct zc_backend *be);
};

#endif

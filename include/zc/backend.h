/* <zc/backend.h>: per-page zero maps through interchangeable backends
 * (CPU, CPU threads, DSA single/batch/async multi-WQ, hybrid). */
#ifndef ZC_BACKEND_H
#define ZC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zc_backend;

/* spec: "cpu:VARIANT", "cpu-mt:threads=N[,variant=V]", "dsa-single:wq=WQ",
 * "dsa-batch:wq=WQ,batch=N", "dsa-multi:wq=WQ+WQ,qd=N,batch=N",
 * "hybrid:wq=...,cpu_share=F|auto"; common key wait=spin|pause|umwait|yield.
 * 0 or -errno; zc_last_error() names the bad part. */
int  zc_backend_open(const char *spec, struct zc_backend **out);
/* zero_out[i] for each gran-sized page of buf; -EINVAL when len % gran != 0
 * or gran is not a multiple of 8. */
int  zc_backend_check(struct zc_backend *be, const void *buf, size_t len, size_t gran,
                      bool *zero_out);
/* Scattered pages, as a QEMU multifd packet hands them over. */
int  zc_backend_checkv(struct zc_backend *be, const void *const *pages, size_t n, size_t gran,
                       bool *zero_out);
/* Compare two buffers gran by gran (the seed letter's 1 GB experiment):
 * equal_out[i] for each page; DSA backends use COMPARE, CPU ones memcmp. */
int  zc_backend_compare(struct zc_backend *be, const void *a, const void *b, size_t len,
                        size_t gran, bool *equal_out);
void zc_backend_close(struct zc_backend *be);

struct zc_backend_stats {
    uint64_t pages;            /* pages answered */
    uint64_t descriptors;      /* work descriptors submitted (batch members included) */
    uint64_t batches;          /* BATCH descriptors submitted */
    uint64_t faults_recovered; /* partial completions recovered */
    uint64_t retries;          /* ENQCMD not-accepted retries, resubmissions */
    uint64_t cpu_pages;        /* pages finished on the CPU instead of the device */
    uint64_t submit_cycles;    /* TSC cycles preparing, submitting, reading completions */
    uint64_t wait_cycles;      /* TSC cycles waiting for completions */
    uint64_t portal_cycles;    /* part of submit_cycles inside zc_dsa_wq_submit (the portal
                                  write on hardware, the model's queue on emu) */
    uint64_t worker_cpu_ns;    /* CPU time of the backend's own worker threads (cpu-mt), which
                                  check while the calling thread sleeps */
};
void zc_backend_get_stats(const struct zc_backend *be, struct zc_backend_stats *out);
void zc_backend_reset_stats(struct zc_backend *be);

/* The longest canonical spec (zc_backend_desc.spec), its NUL included. */
#define ZC_BACKEND_SPEC_MAX 512

/* What the CSV needs to describe a run. */
struct zc_backend_desc {
    const char *kind;      /* "cpu", "cpu-mt", "dsa-single", ... */
    const char *spec;      /* canonical spec, all defaults spelled out */
    const char *device;    /* "cpu", "dsa" (hardware), "dsa-emu" (the emu model on host time),
                              "dsa-projected" (the emu model on simulated time:
                              zc_dsa_sim_now_ns) or "dsa-kmodel" (the hardware path over
                              the kernel model) */
    const char *timing;    /* dsa-projected: the timing profile ("spr"); "" otherwise */
    unsigned batch;        /* 1 when not batching */
    unsigned queue_depth;  /* descriptors or batches in flight, 1 when sync */
    unsigned n_wq;         /* 0 for CPU backends */
    unsigned threads;      /* CPU threads doing checks */
    const char *note;      /* "" or what was degraded at open, e.g. "cpu-mt: pinning failed: ...",
                              or what is modeled */
    const char *wq;        /* WQs used, '+'-joined ("wq0.0+wq0.1", "emu"); "-" for CPU */
    const char *wq_mode;   /* "dedicated", "shared", '+'-joined per WQ; "-" for CPU */
    const char *submit_path; /* "portal-movdir64b", "portal-enqcmd", "write", "emu"; "-" for CPU */
};
const struct zc_backend_desc *zc_backend_describe(const struct zc_backend *be);

/* The registered backend kinds, for --list-backends. */
struct zc_backend_kind {
    const char *name;      /* "cpu", "cpu-mt", ... */
    const char *summary;
    const char *example;   /* a spec that opens on this host when usable */
};
size_t zc_backend_kind_count(void);
const struct zc_backend_kind *zc_backend_kind_at(size_t i);
/* Whether the kind can run here with default settings; *why set when not. */
bool zc_backend_kind_usable(const struct zc_backend_kind *k, const char **why);
/* One line per key of the kind's spec: name, allowed values, default, help. */
void zc_backend_kind_help(const struct zc_backend_kind *k, FILE *out);

#ifdef __cplusplus
}
#endif
#endif

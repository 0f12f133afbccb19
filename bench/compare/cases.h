/* Internal to `zcbench compare`: a run read from our CSV or from Google
 * Benchmark JSON, reduced to what the gate compares. */
#ifndef ZC_COMPARE_CASES_H
#define ZC_COMPARE_CASES_H

#include <stdbool.h>
#include <stddef.h>

#include "compare/hostmeta.h"

struct zc_case {
    char *key;            /* workload/op/backend/buf_bytes/gran_bytes/zero_ratio/cache, or a gbench name */
    char *ref_key;        /* key of the read-ceiling row of the same point; NULL when none */
    double latency_ns;    /* median */
    double throughput;    /* GB/s; 0 when unknown (JSON) */
    double *samples;      /* per-repetition latency_ns */
    size_t n_samples;
    bool samples_complete; /* a second series for the same key (another sweep) is ignored */
};

struct zc_run {
    char *path;
    struct zc_case *cases;
    size_t n;
    struct zc_host host; /* what the run says about the machine it ran on */
};

/* Reads a results CSV (and its .samples.csv beside it when present) or a
 * Google Benchmark JSON file, chosen by content. 0 or -1 with a one-line
 * message in err. */
int  zc_run_load(const char *path, struct zc_run *run, char *err, size_t errlen);
void zc_run_free(struct zc_run *run);
const struct zc_case *zc_run_find(const struct zc_run *run, const char *key);

/* Adds a case taking ownership of nothing: strings and samples are copied. */
struct zc_case *zc_run_add(struct zc_run *run, const char *key);
int zc_case_add_sample(struct zc_case *c, double latency_ns);

/* Whole file as a NUL-terminated string (free it); NULL + message in err. */
char *zc_read_text(const char *path, char *err, size_t errlen);

/* Parsers behind zc_run_load. */
int zc_run_load_csv(const char *path, const char *text, struct zc_run *run, char *err, size_t errlen);
int zc_run_load_gbench_json(const char *path, const char *text, struct zc_run *run, char *err,
                            size_t errlen);

#endif

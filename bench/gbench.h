/* Google Benchmark behind a small C API (implemented in gbench.cc). */
#ifndef ZC_GBENCH_H
#define ZC_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct zc_gb_state zc_gb_state;   /* benchmark::State */
typedef struct zc_gb_bench zc_gb_bench;   /* benchmark::internal::Benchmark */
typedef void (*zc_gb_fn)(zc_gb_state *st, void *ctx);

/* Registers fn under name; ctx is passed back on every call and must live
 * until zc_gb_run returns. */
zc_gb_bench *zc_gb_register(const char *name, zc_gb_fn fn, void *ctx);
/* Builder calls; each returns b. */
zc_gb_bench *zc_gb_args(zc_gb_bench *b, const int64_t *args, size_t n);
zc_gb_bench *zc_gb_arg_names(zc_gb_bench *b, const char *const *names, size_t n);
zc_gb_bench *zc_gb_repetitions(zc_gb_bench *b, int n);
zc_gb_bench *zc_gb_min_time(zc_gb_bench *b, double seconds);
zc_gb_bench *zc_gb_iterations(zc_gb_bench *b, int64_t n);
zc_gb_bench *zc_gb_use_manual_time(zc_gb_bench *b);
zc_gb_bench *zc_gb_report_aggregates_only(zc_gb_bench *b, bool only);
/* Extra statistic over repetitions, e.g. "p99" computed by fn. */
zc_gb_bench *zc_gb_statistic(zc_gb_bench *b, const char *name,
                             double (*fn)(const double *values, size_t n));
enum zc_gb_unit { ZC_GB_NS, ZC_GB_US, ZC_GB_MS, ZC_GB_S };
zc_gb_bench *zc_gb_unit(zc_gb_bench *b, enum zc_gb_unit u);

/* Inside a benchmark function. */
bool    zc_gb_keep_running(zc_gb_state *st);   /* the state loop */
/* The state loop, n iterations at a time (one manual-time sample of n
 * iterations; the last batch may exceed the planned count). */
bool    zc_gb_keep_running_batch(zc_gb_state *st, int64_t n);
int64_t zc_gb_range(const zc_gb_state *st, size_t i);
int64_t zc_gb_iterations_done(const zc_gb_state *st);
void    zc_gb_pause(zc_gb_state *st);
void    zc_gb_resume(zc_gb_state *st);
void    zc_gb_set_bytes_processed(zc_gb_state *st, int64_t bytes);
void    zc_gb_set_items_processed(zc_gb_state *st, int64_t items);
void    zc_gb_set_iteration_time(zc_gb_state *st, double seconds); /* manual time */
void    zc_gb_skip_with_error(zc_gb_state *st, const char *msg);
void    zc_gb_set_label(zc_gb_state *st, const char *label);
enum zc_gb_counter_flags {
    ZC_GB_COUNTER_DEFAULT = 0,
    ZC_GB_COUNTER_RATE = 1,          /* divided by elapsed time */
    ZC_GB_COUNTER_AVG_ITERATIONS = 2 /* divided by iterations */
};
void zc_gb_counter(zc_gb_state *st, const char *name, double value, unsigned flags);

/* One finished run, as Google Benchmark reports it. */
struct zc_gb_result {
    const char *name;            /* full benchmark name with args */
    const char *run_name;        /* name without the aggregate suffix */
    const char *aggregate;       /* "" for a repetition, else "mean", "median", "stddev", "cv", ... */
    int64_t repetition_index;    /* -1 for aggregates */
    int64_t repetitions;
    int64_t iterations;
    double real_time_ns;         /* per iteration */
    double cpu_time_ns;          /* per iteration */
    bool error;
    const char *error_message;
    size_t n_counters;
    const char *const *counter_names;
    const double *counter_values; /* already finalized (rates divided) */
};
typedef void (*zc_gb_report_fn)(const struct zc_gb_result *r, void *ctx);

/* Consumes Google Benchmark's own flags from argc/argv (--benchmark_*),
 * leaving the rest. Returns false on a bad flag. */
bool zc_gb_initialize(int *argc, char **argv);
/* Runs the registered benchmarks matching the filter (NULL: the
 * --benchmark_filter flag, default all). Every run is passed to report (may
 * be NULL) as soon as it finishes, and also printed by the display reporter
 * selected with --benchmark_format unless quiet. json_path, when not NULL,
 * also receives Google Benchmark's native JSON. Returns the number of
 * benchmarks run, or -1 when json_path cannot be written. */
long zc_gb_run(const char *filter, zc_gb_report_fn report, void *ctx, bool quiet,
               const char *json_path);
/* Unregisters everything (between sweeps). */
void zc_gb_clear(void);

#ifdef __cplusplus
}
#endif
#endif

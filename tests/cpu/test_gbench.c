/* The Google Benchmark C wrapper (bench/gbench.h): registration, the state
 * loop, counters, statistics, errors, the JSON file and flag handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gbench.h"

#define MAX_RESULTS 32

struct seen {
    int n;
    char name[MAX_RESULTS][128];
    char aggregate[MAX_RESULTS][32];
    int64_t repetition_index[MAX_RESULTS];
    int64_t iterations[MAX_RESULTS];
    double real_ns[MAX_RESULTS];
    bool error[MAX_RESULTS];
    char error_message[MAX_RESULTS][64];
    double rate[MAX_RESULTS], avg[MAX_RESULTS], bytes_per_second[MAX_RESULTS];
};

static double counter_or_nan(const struct zc_gb_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_counters; i++)
        if (strcmp(r->counter_names[i], name) == 0)
            return r->counter_values[i];
    return NAN;
}

static void collect(const struct zc_gb_result *r, void *ctx)
{
    struct seen *s = ctx;
    assert_true(s->n < MAX_RESULTS);
    int i = s->n++;
    snprintf(s->name[i], sizeof s->name[i], "%s", r->name);
    snprintf(s->aggregate[i], sizeof s->aggregate[i], "%s", r->aggregate);
    snprintf(s->error_message[i], sizeof s->error_message[i], "%s", r->error_message);
    s->repetition_index[i] = r->repetition_index;
    s->iterations[i] = r->iterations;
    s->real_ns[i] = r->real_time_ns;
    s->error[i] = r->error;
    s->rate[i] = counter_or_nan(r, "rate");
    s->avg[i] = counter_or_nan(r, "avg");
    s->bytes_per_second[i] = counter_or_nan(r, "bytes_per_second");
}

struct bench_ctx {
    int64_t calls;
    int64_t last_range;
};

/* Every iteration "takes" 1 ms of manual time, so the finalized numbers are
 * exact: 10 iterations = 10 ms, 4096 bytes per iteration. */
static void manual_fn(zc_gb_state *st, void *ctx)
{
    struct bench_ctx *c = ctx;
    c->last_range = zc_gb_range(st, 0);
    while (zc_gb_keep_running(st)) {
        zc_gb_pause(st);
        zc_gb_resume(st);
        zc_gb_set_iteration_time(st, 0.001);
        c->calls++;
    }
    int64_t iters = zc_gb_iterations_done(st);
    zc_gb_set_bytes_processed(st, iters * 4096);
    zc_gb_set_items_processed(st, iters);
    zc_gb_counter(st, "rate", 100.0, ZC_GB_COUNTER_RATE);
    zc_gb_counter(st, "avg", 50.0, ZC_GB_COUNTER_AVG_ITERATIONS);
    zc_gb_set_label(st, "label");
}

/* Samples of 4 iterations each "taking" 1 ms of manual time in all. */
static void batch_fn(zc_gb_state *st, void *ctx)
{
    struct bench_ctx *c = ctx;
    while (zc_gb_keep_running_batch(st, 4)) {
        zc_gb_set_iteration_time(st, 0.001);
        c->calls++;
    }
}

static void failing_fn(zc_gb_state *st, void *ctx)
{
    (void)ctx;
    zc_gb_skip_with_error(st, "deliberate failure");
    while (zc_gb_keep_running(st))
        fail_msg("the loop must not run after skip_with_error");
}

static double max_of(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static int find(const struct seen *s, const char *aggregate)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->aggregate[i], aggregate) == 0)
            return i;
    return -1;
}

static void test_repetitions_counters_statistics(void **unused)
{
    (void)unused;
    struct bench_ctx c = {0};
    zc_gb_bench *b = zc_gb_register("manual", manual_fn, &c);
    assert_non_null(b);
    const int64_t args[] = {4096};
    const char *const names[] = {"bytes"};
    zc_gb_arg_names(zc_gb_args(b, args, 1), names, 1);
    zc_gb_iterations(b, 10);
    zc_gb_repetitions(b, 3);
    zc_gb_use_manual_time(b);
    zc_gb_unit(b, ZC_GB_US);
    zc_gb_statistic(b, "max", max_of);
    zc_gb_args(zc_gb_register("other", manual_fn, &c), args, 1); /* filtered out below */

    struct seen s = {0};
    assert_int_equal(zc_gb_run("^manual", collect, &s, true, NULL), 1);
    assert_int_equal(c.calls, 30);
    assert_int_equal(c.last_range, 4096);
    /* 3 repetitions, then mean, median, stddev, cv and the custom max. */
    assert_int_equal(s.n, 8);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(s.name[i], "manual/bytes:4096/iterations:10/repeats:3/manual_time");
        assert_string_equal(s.aggregate[i], "");
        assert_int_equal(s.repetition_index[i], i);
        assert_int_equal(s.iterations[i], 10);
        assert_false(s.error[i]);
        /* Unit is microseconds, yet the C side always sees ns. */
        assert_true(fabs(s.real_ns[i] - 1e6) < 1.0);
        /* Finalized: 100 / 10 ms, 50 / 10 iterations, 40960 B / 10 ms. */
        assert_true(fabs(s.rate[i] - 10000.0) < 1e-6);
        assert_true(fabs(s.avg[i] - 5.0) < 1e-9);
        assert_true(fabs(s.bytes_per_second[i] - 4096e3) < 1e-3);
    }
    int mean = find(&s, "mean"), max = find(&s, "max"), cv = find(&s, "cv");
    assert_true(mean >= 0 && max >= 0 && cv >= 0);
    assert_string_equal(s.name[max], "manual/bytes:4096/iterations:10/repeats:3/manual_time_max");
    assert_int_equal(s.repetition_index[max], -1);
    assert_true(fabs(s.real_ns[mean] - 1e6) < 1.0);
    assert_true(fabs(s.real_ns[max] - 1e6) < 1.0);
    assert_true(fabs(s.rate[max] - 10000.0) < 1e-6);
    assert_true(s.real_ns[cv] >= 0 && s.real_ns[cv] < 1e-6); /* identical samples */
    zc_gb_clear();
}

/* A batch of n iterations is one manual-time sample: the time per
 * iteration is the sample's over n, and a fixed iteration count smaller
 * than the batch still runs one whole batch. */
static void test_batches(void **unused)
{
    (void)unused;
    struct bench_ctx c = {0};
    zc_gb_use_manual_time(zc_gb_iterations(zc_gb_register("batched", batch_fn, &c), 8));
    zc_gb_use_manual_time(zc_gb_iterations(zc_gb_register("short", batch_fn, &c), 1));
    struct seen s = {0};
    assert_int_equal(zc_gb_run("^(batched|short)/", collect, &s, true, NULL), 2);
    assert_int_equal(s.n, 2);
    assert_int_equal(c.calls, 2 + 1);
    assert_int_equal(s.iterations[0], 8);
    assert_true(fabs(s.real_ns[0] - 0.25e6) < 1.0);
    assert_int_equal(s.iterations[1], 4);
    assert_true(fabs(s.real_ns[1] - 0.25e6) < 1.0);
    zc_gb_clear();
}

static void test_skip_with_error(void **unused)
{
    (void)unused;
    zc_gb_repetitions(zc_gb_register("failing", failing_fn, NULL), 2);
    struct seen s = {0};
    assert_int_equal(zc_gb_run("failing", collect, &s, true, NULL), 1);
    assert_true(s.n >= 1);
    for (int i = 0; i < s.n; i++) {
        if (s.aggregate[i][0])
            continue;
        assert_true(s.error[i]);
        assert_string_equal(s.error_message[i], "deliberate failure");
    }
    zc_gb_clear();
}

static void test_clear_and_no_match(void **unused)
{
    (void)unused;
    struct bench_ctx c = {0};
    const int64_t args[] = {1};
    zc_gb_iterations(zc_gb_args(zc_gb_register("gone", manual_fn, &c), args, 1), 1);
    zc_gb_clear();
    struct seen s = {0};
    assert_int_equal(zc_gb_run("gone", collect, &s, true, NULL), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(c.calls, 0);
    assert_null(zc_gb_register(NULL, manual_fn, NULL));
    assert_null(zc_gb_register("x", NULL, NULL));
}

static void test_json_file_and_display(void **unused)
{
    (void)unused;
    struct bench_ctx c = {0};
    zc_gb_bench *b = zc_gb_register("jsoned", manual_fn, &c);
    const int64_t args[] = {1};
    zc_gb_use_manual_time(zc_gb_iterations(zc_gb_args(b, args, 1), 2));
    char path[] = "/tmp/zc-gbench-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    /* Not quiet: the console reporter prints too (into the test log). */
    assert_int_equal(zc_gb_run("jsoned", NULL, NULL, false, path), 1);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    assert_non_null(strstr(text, "\"benchmarks\""));
    assert_non_null(strstr(text, "\"name\": \"jsoned/1/iterations:2/manual_time\""));
    assert_non_null(strstr(text, "\"label\": \"label\""));
    assert_int_equal(zc_gb_run("jsoned", NULL, NULL, true, "/nonexistent-dir/x.json"), -1);
    zc_gb_clear();
}

static void test_initialize_flags(void **unused)
{
    (void)unused;
    char prog[] = "prog", keep[] = "--other", filter[] = "--benchmark_filter=none";
    char *argv_ok[] = {prog, filter, keep, NULL};
    int argc = 3;
    assert_true(zc_gb_initialize(&argc, argv_ok));
    assert_int_equal(argc, 2);
    assert_string_equal(argv_ok[1], "--other");

    char bad_format[] = "--benchmark_format=xml";
    char *argv_format[] = {prog, bad_format, NULL};
    argc = 2;
    assert_false(zc_gb_initialize(&argc, argv_format));

    char bad_value[] = "--benchmark_repetitions=abc";
    char *argv_value[] = {prog, bad_value, NULL};
    argc = 2;
    assert_false(zc_gb_initialize(&argc, argv_value));

    char unknown[] = "--benchmark_no_such_flag=1";
    char *argv_unknown[] = {prog, unknown, NULL};
    argc = 2;
    assert_false(zc_gb_initialize(&argc, argv_unknown));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repetitions_counters_statistics),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_skip_with_error),
        cmocka_unit_test(test_clear_and_no_match),
        cmocka_unit_test(test_json_file_and_display),
        cmocka_unit_test(test_initialize_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

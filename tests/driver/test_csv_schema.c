/* The CSV contract: the results header is exactly the column list of
 * docs/csv-schema.md, in order; the Done-when command writes eight
 * verified rows plus the ref:read rows; samples and metadata sit beside. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_main.h"

static struct run_result r;

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* "schema_version,run_id,..." from the doc's results table. */
static void doc_header(char *buf, size_t len)
{
    char *doc = read_file(arg2, NULL);
    assert_non_null(doc);
    char *section = strstr(doc, "## Results CSV");
    assert_non_null(section);
    char *end = strstr(section + 3, "\n## ");
    if (end)
        *end = '\0';
    size_t used = 0;
    buf[0] = '\0';
    for (char *line = strtok(section, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (sscanf(line, "| %127[a-z0-9_] |", name) != 1 || strcmp(name, "column") == 0)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", name);
    }
    free(doc);
}

static void done_when_command_writes_verified_rows_under_the_documented_header(void **state)
{
    (void)state;
    unlink("schema.csv");
    unlink("schema.samples.csv");
    run_zcbench(bin, ARGS("--workload", "zerocheck", "--backend", "cpu:best", "--backend",
                          "dsa-batch:wq=emu,batch=32", "--size", "64K,1M", "--zero-ratio", "1,0.5",
                          "--reps", "3", "--min-time", "0", "--output", "schema.csv"), &r);
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);

    char expected[4096];
    doc_header(expected, sizeof expected);
    char *text = read_file("schema.csv", NULL);
    assert_non_null(text);
    *strchr(text, '\n') = '\0';
    assert_string_equal(text, expected);
    free(text);

    struct csv *c = csv_read("schema.csv");
    assert_non_null(c);
    assert_true(c->last_line_complete);
    assert_int_equal(c->n_rows, 1 + 8 + 4);
    for (size_t i = 1; i < c->n_rows; i++)
        assert_int_equal(c->n_cols[i], c->n_cols[0]);
    assert_int_equal(csv_count(c, "op", "compval"), 8);
    assert_int_equal(csv_count(c, "op", "read"), 4);
    assert_int_equal(csv_count(c, "backend", "ref:read"), 4);
    assert_int_equal(csv_count(c, "verified", "1"), 12);
    assert_int_equal(csv_count(c, "schema_version", "4"), 12);
    assert_int_equal(csv_count(c, "backing", "anon"), 12);
    assert_int_equal(csv_count(c, "device", "dsa-emu"), 4);
    /* D9: where each DSA row ran; an explicit WQ spec has no target */
    assert_int_equal(csv_count(c, "wq", "emu"), 4);
    assert_int_equal(csv_count(c, "wq_mode", "dedicated"), 4);
    assert_int_equal(csv_count(c, "submit_path", "emu"), 4);
    assert_int_equal(csv_count(c, "target", "-"), 12);
    assert_int_equal(csv_count(c, "submit_path", "-"), 8); /* cpu and ref:read rows */
    assert_int_equal(csv_count(c, "reps", "3"), 12);
    /* half of the 16 pages of a 64K buffer are zero at ratio 0.5 */
    int ratio = csv_col(c, "zero_ratio"), pages = csv_col(c, "pages"), zero = csv_col(c, "pages_zero");
    for (size_t i = 1; i < c->n_rows; i++) {
        long p = atol(c->cell[i][pages]);
        long z = atol(c->cell[i][zero]);
        assert_int_equal(z, strcmp(c->cell[i][ratio], "1") == 0 ? p : p / 2);
        assert_true(atof(c->cell[i][csv_col(c, "latency_ns")]) > 0);
        assert_true(atof(c->cell[i][csv_col(c, "latency_ns_p99")]) >=
                    atof(c->cell[i][csv_col(c, "latency_ns")]));
    }
    char run_id[160];
    snprintf(run_id, sizeof run_id, "%s", c->cell[1][csv_col(c, "run_id")]);
    csv_free(c);

    struct csv *s = csv_read("schema.samples.csv");
    assert_non_null(s);
    assert_string_equal(s->cell[0][2], "case");
    assert_int_equal(s->n_rows, 1 + 12 * 3);
    csv_free(s);

    char meta[256];
    snprintf(meta, sizeof meta, "%s.meta.json", run_id);
    char *json = read_file(meta, NULL);
    assert_non_null(json);
    static const char *const keys[] = {"\"run_id\"", "\"zcbench_version\"", "\"git_hash\"",
                                       "\"command_line\"", "\"cpu_model\"", "\"cpu_flags\"",
                                       "\"kernel\"", "\"hwloc\"", "\"dsa\"", "\"tsc_hz\"",
                                       "\"wqs_used\": [{\"wq\": \"emu\"",
                                       "\"wqs_used_complete\": true", "\"auto_choices\"",
                                       "\"cpu_best_variant\"", "\"cpu_best_override\""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(json, keys[i]))
            fail_msg("metadata lacks %s", keys[i]);
    free(json);
    unlink(meta);
}

/* Google Benchmark reports a case's repetitions together after the last
 * one: each must still keep its own values, and the row's latency is their
 * median (every repetition once held the last one's values). */
static void every_repetition_keeps_its_own_values(void **state)
{
    (void)state;
    enum { REPS = 5 };
    unlink("reps.csv");
    unlink("reps.samples.csv");
    run_zcbench(bin, ARGS("--backend", "cpu:best", "--size", "1M", "--cache", "cold", "--ref", "0",
                          "--reps", "5", "--min-time", "0", "--output", "reps.csv"), &r);
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);
    struct csv *s = csv_read("reps.samples.csv");
    assert_non_null(s);
    assert_int_equal(s->n_rows, 1 + REPS);
    double lat[REPS];
    int distinct = 0;
    for (int i = 0; i < REPS; i++) {
        lat[i] = atof(s->cell[1 + i][csv_col(s, "latency_ns")]);
        int below = 0;
        for (int j = 0; j < i; j++)
            below += lat[j] != lat[i];
        distinct += below == i;
    }
    csv_free(s);
    assert_true(distinct >= 3);
    /* the median: the value with as many repetitions below as above */
    struct csv *c = csv_read("reps.csv");
    assert_non_null(c);
    assert_int_equal(c->n_rows, 2);
    double median = atof(c->cell[1][csv_col(c, "latency_ns")]);
    csv_free(c);
    int below = 0, above = 0;
    for (int i = 0; i < REPS; i++) {
        below += lat[i] < median * (1 - 1e-5);
        above += lat[i] > median * (1 + 1e-5);
    }
    assert_int_equal(below, REPS / 2);
    assert_int_equal(above, REPS / 2);
}

/* Two WQ specs with every key make a canonical spec of over 255
 * characters: rows and samples carry it whole (it was cut at 255, before
 * the value of its last key). */
static void a_long_backend_spec_is_written_whole(void **state)
{
    (void)state;
#define LONG_WQ "{emu:engines=0,dev=dsa0,mode=dedicated,wq_size=128,max_batch=1024,max_xfer=2M,lat_ns=0,device_gbps=0}"
    unlink("long.csv");
    unlink("long.samples.csv");
    run_zcbench(bin, ARGS("--backend", "dsa-multi:wq=" LONG_WQ "+" LONG_WQ ",qd=8,batch=32", "--size", "64K",
                          "--ref", "0", "--reps", "1", "--min-time", "0", "--output", "long.csv"), &r);
#undef LONG_WQ
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);
    struct csv *c = csv_read("long.csv");
    assert_non_null(c);
    assert_int_equal(c->n_rows, 2);
    const char *backend = c->cell[1][csv_col(c, "backend")];
    assert_true(strlen(backend) > 255);
    assert_non_null(strstr(backend, ",timeout_ms=1000"));
    csv_free(c);
    struct csv *s = csv_read("long.samples.csv");
    assert_non_null(s);
    assert_non_null(strstr(s->cell[1][csv_col(s, "case")], ",timeout_ms=1000/65536/4096/1/hot"));
    csv_free(s);
}

static void appending_keeps_one_header(void **state)
{
    (void)state;
    unlink("append.csv");
    for (int i = 0; i < 2; i++) {
        run_zcbench(bin, ARGS("--size", "4K", "--reps", "1", "--min-time", "0", "--ref", "0",
                              "--output", "append.csv"), &r);
        assert_int_equal(r.status, 0);
    }
    struct csv *c = csv_read("append.csv");
    assert_int_equal(c->n_rows, 3);
    assert_int_equal(csv_count(c, "schema_version", "schema_version"), 0);
    csv_free(c);
    write_file("foreign.csv", "a,b,c\n1,2,3\n");
    run_zcbench(bin, ARGS("--size", "4K", "--output", "foreign.csv"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "different header"));
}

static void gbench_json_holds_every_case(void **state)
{
    (void)state;
    unlink("schema-gb.json");
    unlink("schema-gb.csv");
    unlink("schema-gb.samples.csv");
    run_zcbench(bin, ARGS("--size", "4K,8K", "--reps", "2", "--min-time", "0", "--gbench-json",
                          "schema-gb.json", "--output", "schema-gb.csv"), &r);
    assert_int_equal(r.status, 0);
    char *json = read_file("schema-gb.json", NULL);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"benchmarks\""));
    assert_non_null(strstr(json, "\"cli/zerocheck/compval/cpu:best/8192/4096/1/hot/"));
    assert_non_null(strstr(json, "\"cli/zerocheck/read/ref:read/4096/4096/1/hot/"));
    free(json);
}

ZCB_TEST_MAIN(cmocka_unit_test(done_when_command_writes_verified_rows_under_the_documented_header),
              cmocka_unit_test(appending_keeps_one_header),
              cmocka_unit_test(every_repetition_keeps_its_own_values),
              cmocka_unit_test(a_long_backend_spec_is_written_whole),
              cmocka_unit_test(gbench_json_holds_every_case))

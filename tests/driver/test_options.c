/* The option table: defaults, lists, scopes, and every kind of bad value. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <zc/error.h>

#include "driver/backend_axes.h"
#include "driver/options.h"

static int set(struct zcb_options *o, const char *name, const char *value, unsigned scope)
{
    struct zcb_assign a = {name, value, "--test"};
    return zcb_options_set(o, &a, scope, false);
}

static void defaults_are_the_documented_ones(void **state)
{
    (void)state;
    struct zcb_options o;
    zcb_options_defaults(&o);
    assert_int_equal(o.workload, ZCB_WL_ZEROCHECK);
    assert_int_equal(o.backends.n, 1);
    assert_string_equal(o.backends.v[0], "cpu:best");
    assert_int_equal(o.grans.n, 1);
    assert_int_equal(o.grans.v[0], 4096);
    assert_int_equal(o.zero_ratios.n, 1);
    assert_true(o.zero_ratios.v[0] == 1.0);
    assert_int_equal(o.sizes.n, 0); /* the workload decides */
    assert_int_equal(o.reps, 5);
    assert_int_equal(o.packet, 128);
    assert_int_equal(o.cpu, -1);
    assert_string_equal(o.numa, "any");
    assert_string_equal(o.sink, "null");
    assert_true(o.ref);
    assert_int_equal(o.ops.n, 2);
}

static void lists_parse_and_scopes_replace(void **state)
{
    (void)state;
    struct zcb_options o;
    zcb_options_defaults(&o);
    assert_int_equal(set(&o, "size", "4K,64KiB,1M,1G", 3), 0);
    assert_int_equal(o.sizes.n, 4);
    assert_int_equal(o.sizes.v[1], 65536);
    assert_int_equal(o.sizes.v[3], 1ull << 30);
    /* a new scope replaces the default backend, the same scope appends */
    assert_int_equal(set(&o, "backend", "dsa-batch:wq=emu,batch=32", 3), 0);
    assert_int_equal(set(&o, "backend", "cpu:avx2", 3), 0);
    assert_int_equal(o.backends.n, 2);
    assert_string_equal(o.backends.v[0], "dsa-batch:wq=emu,batch=32");
    assert_int_equal(set(&o, "zero-ratio", "0,0.5,1", 3), 0);
    assert_int_equal(o.zero_ratios.n, 3);
    assert_true(o.zero_ratios.v[1] == 0.5);
    assert_int_equal(set(&o, "zero-ratio", "-0", 4), 0); /* 0, written "0" (it was "-0") */
    assert_false(signbit(o.zero_ratios.v[0]));
    assert_int_equal(set(&o, "cache", "hot,cold", 3), 0);
    assert_int_equal(o.caches.v[1], ZCB_CACHE_COLD);
    assert_int_equal(set(&o, "op", "compval", 3), 0);
    assert_int_equal(o.ops.n, 1);
    assert_int_equal(o.ops.v[0], ZCB_OP_COMPVAL);
    assert_int_equal(set(&o, "threads", "4", 3), 0); /* alias of senders */
    assert_int_equal(o.senders, 4);
    assert_int_equal(set(&o, "ref", "0", 3), 0);
    assert_false(o.ref);
}

struct bad {
    const char *name, *value, *expect;
};

static void bad_values_name_the_value_and_what_is_allowed(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"size", "0", "'0'"},          {"size", "4X", "'4X'"},
        {"size", "4K,,8K", "empty"},   {"gran", "4", "'4'"},
        {"zero-ratio", "1.5", "0..1"}, {"zero-ratio", "nan", "'nan'"},
        {"reps", "0", "1..1000"},      {"reps", "-3", "'-3'"},
        {"workload", "foo", "zerocheck|onegig|savevm|migrate"},
        {"nonzero-at", "end", "first|middle|last|random"},
        {"cache", "warm", "hot|cold"}, {"packet", "1025", "1..1024"},
        {"min-time", "-1", "'-1'"},    {"cpu", "-2", "'-2'"},
        {"op", "read", "compare|compval"},
        {"nosuch", "1", "unknown option 'nosuch'"},
        {"dry-run", "1", "takes no value"},
        {"size", NULL, "needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct zcb_options o;
        zcb_options_defaults(&o);
        assert_int_not_equal(set(&o, cases[i].name, cases[i].value, 3), 0);
        const char *msg = zc_last_error();
        if (!strstr(msg, cases[i].expect))
            fail_msg("%s=%s: message '%s' lacks '%s'", cases[i].name, cases[i].value, msg,
                     cases[i].expect);
    }
}

/* A value of kilobytes is quoted cut short, so what is allowed still fits. */
static void a_long_bad_value_leaves_room_for_what_is_allowed(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"reps", NULL, "' for reps (allowed: an integer 1..1000)"},
        {"size", NULL, "' for size (allowed: comma-separated sizes"},
        {"sink", NULL, "' for sink (allowed: text of at most"},
        {"backend", NULL, "' (a spec of at most 255 characters"},
        {NULL, "1", "' (allowed: workload, backend"},
        {"dry-run", NULL, "')"},
    };
    static char long_text[5000];
    memset(long_text, '7', sizeof long_text - 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct zcb_options o;
        zcb_options_defaults(&o);
        const char *name = cases[i].name ? cases[i].name : long_text;
        const char *value = cases[i].value ? cases[i].value : long_text;
        assert_int_not_equal(set(&o, name, value, 3), 0);
        const char *msg = zc_last_error();
        if (!strstr(msg, cases[i].expect) || !strstr(msg, "7..."))
            fail_msg("%.20s: message '%s' lacks '...' and '%s'", name, msg, cases[i].expect);
    }
}

static void sweep_files_refuse_command_line_options(void **state)
{
    (void)state;
    struct zcb_options o;
    zcb_options_defaults(&o);
    struct zcb_assign a = {"output", "x.csv", "f:3"};
    assert_int_not_equal(zcb_options_set(&o, &a, 1, true), 0);
    assert_non_null(strstr(zc_last_error(), "f:3"));
    assert_false(zcb_option_in_sweep("output"));
    assert_true(zcb_option_in_sweep("backend"));
}

/* A value given twice where one replaces the other (same scope) would drop
 * the first unseen; across scopes (file, section, command line) the later
 * one wins by design, and lists and flags may repeat. */
static void a_single_value_given_twice_in_one_scope_is_refused(void **state)
{
    (void)state;
    struct zcb_options o;
    zcb_options_defaults(&o);
    assert_int_equal(set(&o, "reps", "3", ZCB_SCOPE_FILE), 0);
    assert_int_equal(set(&o, "reps", "4", ZCB_SCOPE_SECTION), 0);
    assert_int_not_equal(set(&o, "reps", "7", ZCB_SCOPE_SECTION), 0);
    assert_non_null(strstr(zc_last_error(), "--test: reps given twice"));
    assert_int_equal(set(&o, "reps", "9", ZCB_SCOPE_CLI), 0);
    assert_int_equal(o.reps, 9);
    assert_int_equal(set(&o, "senders", "2", ZCB_SCOPE_CLI), 0);
    assert_int_not_equal(set(&o, "threads", "3", ZCB_SCOPE_CLI), 0); /* its alias */
    assert_int_equal(set(&o, "config", "b.conf", ZCB_SCOPE_CLI), 0);
    assert_int_not_equal(set(&o, "config", "c.conf", ZCB_SCOPE_CLI), 0);
    assert_int_equal(set(&o, "size", "4K", ZCB_SCOPE_CLI), 0);
    assert_int_equal(set(&o, "size", "8K", ZCB_SCOPE_CLI), 0);
    assert_int_equal(o.sizes.n, 2);
    assert_int_equal(set(&o, "dry-run", NULL, ZCB_SCOPE_CLI), 0);
    assert_int_equal(set(&o, "dry-run", NULL, ZCB_SCOPE_CLI), 0);
}

/* A value equal to one already in the list (after parsing: 4K is 4096) would
 * run the same case twice and write its row twice. */
static void a_list_value_given_twice_is_refused(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"size", "4K,4096", "--test: size 4096 given twice (4K is in the list already; allowed: each value once)"},
        {"gran", "4K,4KiB", "gran 4KiB given twice (4K is"},
        {"mem", "1M,64M,1024K", "mem 1024K given twice (1M is"},
        {"zero-ratio", "0.5,1,0.50", "zero-ratio 0.50 given twice (0.5 is"},
        {"zero-ratio", "1,1e0", "zero-ratio 1e0 given twice (1 is"},
        /* the earlier value as it reads back, not rounded to one it is not */
        {"zero-ratio", "0.5,0.5000001,0.50000010", "zero-ratio 0.50000010 given twice (0.5000001 is"},
        {"cache", "hot,cold,hot", "cache hot given twice (hot is"},
        {"op", "compval,compval", "op compval given twice"},
        {"batch", "8,16,08", "batch 08 given twice (8 is"},
        {"qd", "4,4", "qd 4 given twice"},
        {"cpu-threads", "1,2,1", "cpu-threads 1 given twice"},
        {"dsa-targets", "hw,projected,hw", "dsa-targets hw given twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct zcb_options o;
        zcb_options_defaults(&o);
        assert_int_not_equal(set(&o, cases[i].name, cases[i].value, ZCB_SCOPE_CLI), 0);
        if (!strstr(zc_last_error(), cases[i].expect))
            fail_msg("%s=%s: message '%s' lacks '%s'", cases[i].name, cases[i].value, zc_last_error(),
                     cases[i].expect);
    }
    /* across two assignments of one scope, and a backend given twice */
    struct zcb_options o;
    zcb_options_defaults(&o);
    assert_int_equal(set(&o, "size", "4K", ZCB_SCOPE_CLI), 0);
    assert_int_not_equal(set(&o, "size", "8K,4096", ZCB_SCOPE_CLI), 0);
    assert_non_null(strstr(zc_last_error(), "size 4096 given twice"));
    assert_int_equal(set(&o, "backend", "dsa-batch:wq=emu,batch=32", ZCB_SCOPE_CLI), 0);
    assert_int_not_equal(set(&o, "backend", "dsa-batch:wq=emu,batch=32", ZCB_SCOPE_CLI), 0);
    assert_non_null(strstr(zc_last_error(), "--test: backend dsa-batch:wq=emu,batch=32 given twice"));
    assert_int_not_equal(set(&o, "backend", "dsa-batch:batch=32,wq=emu", ZCB_SCOPE_CLI), 0); /* key order */
    assert_non_null(strstr(zc_last_error(), "(dsa-batch:wq=emu,batch=32 is in the list already"));

    /* distinct values that look alike are kept; a new scope starts afresh */
    zcb_options_defaults(&o);
    assert_int_equal(set(&o, "size", "4K,4100,4M", ZCB_SCOPE_CLI), 0);
    assert_int_equal(set(&o, "zero-ratio", "0.5,0.5000001,0.05", ZCB_SCOPE_CLI), 0);
    assert_int_equal(o.zero_ratios.n, 3);
    assert_int_equal(set(&o, "backend", "dsa-batch:wq=emu,batch=32", ZCB_SCOPE_CLI), 0);
    assert_int_equal(set(&o, "backend", "dsa-batch:wq={emu:engines=2},batch=32", ZCB_SCOPE_CLI), 0);
    assert_int_equal(set(&o, "backend", "dsa-batch:wq=emu,batch=320", ZCB_SCOPE_CLI), 0);
    assert_int_equal(set(&o, "size", "4K", ZCB_SCOPE_FILE), 0);
    assert_int_equal(set(&o, "size", "4K", ZCB_SCOPE_SECTION), 0);
    assert_int_equal(o.sizes.n, 1);
}

static void argv_forms(void **state)
{
    (void)state;
    char a0[] = "--size=4K", a1[] = "--backend", a2[] = "cpu:best", a3[] = "--dry-run";
    char *argv[] = {a0, a1, a2, a3};
    struct zcb_assign as[8];
    size_t n;
    assert_int_equal(zcb_options_scan_argv(4, argv, as, 8, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(as[0].name, "size");
    assert_string_equal(as[0].value, "4K");
    assert_string_equal(as[1].value, "cpu:best");
    assert_null(as[2].value);

    char b0[] = "--reps";
    char *missing[] = {b0};
    assert_int_not_equal(zcb_options_scan_argv(1, missing, as, 8, &n), 0);
    assert_non_null(strstr(zc_last_error(), "missing value"));
    char c0[] = "stray";
    char *stray[] = {c0};
    assert_int_not_equal(zcb_options_scan_argv(1, stray, as, 8, &n), 0);
    assert_non_null(strstr(zc_last_error(), "'stray'"));
}

static void spec_keys_are_replaced_or_appended_at_the_top_level(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(zcb_spec_with("dsa-batch:wq=emu,batch=32", "batch", 8, out, sizeof out), 0);
    assert_string_equal(out, "dsa-batch:wq=emu,batch=8");
    assert_int_equal(zcb_spec_with("dsa-multi:wq={emu:batch=2}+{emu}", "batch", 16, out, sizeof out), 0);
    assert_string_equal(out, "dsa-multi:wq={emu:batch=2}+{emu},batch=16");
    assert_int_equal(zcb_spec_with("cpu-mt", "threads", 2, out, sizeof out), 0);
    assert_string_equal(out, "cpu-mt:threads=2");
    assert_int_equal(zcb_spec_with("dsa-multi:qd=4,wq=emu", "qd", 1, out, sizeof out), 0);
    assert_string_equal(out, "dsa-multi:qd=1,wq=emu");
    assert_int_not_equal(zcb_spec_with("cpu-mt", "threads", 2, out, 8), 0);
}

static void backend_axes_multiply_only_the_kinds_that_take_them(void **state)
{
    (void)state;
    struct zcb_options o;
    zcb_options_defaults(&o);
    assert_int_equal(set(&o, "batch", "8,64", 3), 0);
    assert_int_equal(set(&o, "qd", "1,2,4", 3), 0);
    struct zcb_spec_list l = {0};
    assert_int_equal(zcb_backend_axes_expand(&o, "cpu:best", &l), 0);
    assert_int_equal(zcb_backend_axes_expand(&o, "dsa-batch:wq=emu", &l), 0);
    assert_int_equal(zcb_backend_axes_expand(&o, "dsa-multi:wq=emu+emu", &l), 0);
    assert_int_equal(l.n, 1 + 2 + 6);
    assert_string_equal(l.v[0], "cpu:best");
    assert_string_equal(l.v[2], "dsa-batch:wq=emu,batch=64");
    assert_string_equal(l.v[8], "dsa-multi:wq=emu+emu,batch=64,qd=4");
    zcb_spec_list_free(&l);
    assert_int_not_equal(set(&o, "batch", "0", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_documented_ones),
        cmocka_unit_test(lists_parse_and_scopes_replace),
        cmocka_unit_test(bad_values_name_the_value_and_what_is_allowed),
        cmocka_unit_test(a_long_bad_value_leaves_room_for_what_is_allowed),
        cmocka_unit_test(sweep_files_refuse_command_line_options),
        cmocka_unit_test(a_single_value_given_twice_in_one_scope_is_refused),
        cmocka_unit_test(a_list_value_given_twice_is_refused),
        cmocka_unit_test(argv_forms),
        cmocka_unit_test(spec_keys_are_replaced_or_appended_at_the_top_level),
        cmocka_unit_test(backend_axes_multiply_only_the_kinds_that_take_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* <zc/backend.h> core: spec errors, argument validation, canonical specs,
 * the kind table, and the CPU backends against the oracle. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zc/backend.h>
#include <zc/cpu.h>
#include <zc/error.h>

#include "equiv.h"

static void expect_open_fails(const char *spec, int err, const char *needle)
{
    struct zc_backend *be = (struct zc_backend *)0x1;
    int rc = zc_backend_open(spec, &be);
    if (rc != -err || !strstr(zc_last_error(), needle))
        fail_msg("open '%s': rc %d, message '%s'; want %d and a message naming '%s'", spec, rc,
                 zc_last_error(), -err, needle);
    assert_ptr_equal(be, (struct zc_backend *)0x1); /* untouched on failure */
}

static void bad_specs_name_the_bad_part(void **state)
{
    (void)state;
    expect_open_fails("", EINVAL, "empty");
    expect_open_fails("nope", EINVAL, "unknown backend kind 'nope'");
    expect_open_fails("nope:x=1", EINVAL, "allowed: cpu, cpu-mt");
    expect_open_fails("cpu:avx9", EINVAL, "'avx9'");
    expect_open_fails("cpu:variant=avx9", EINVAL, "'avx9'");
    expect_open_fails("cpu:color=red", EINVAL, "unknown key 'color'");
    expect_open_fails("cpu-mt:threads=0", EINVAL, "threads");
    expect_open_fails("cpu-mt:threads=many", EINVAL, "'many'");
    expect_open_fails("cpu-mt:threads=2,pin=tight", EINVAL, "'tight'");
    expect_open_fails("cpu-mt:threads=2,threads=3", EINVAL, "twice");
    expect_open_fails("cpu-mt:foo=1", EINVAL, "unknown key 'foo'");
    expect_open_fails("dsa-batch:wq=emu,batch=1", EINVAL, "batch");
    expect_open_fails("dsa-batch:wq=emu,batch=99999", EINVAL, "'99999' for batch");
    expect_open_fails("dsa-multi:wq=emu,qd=0", EINVAL, "'0' for qd");
    expect_open_fails("dsa-single:wq=emu,batch=4", EINVAL, "unknown key 'batch'");
    expect_open_fails("dsa-single:wq=emu,wait=never", EINVAL, "'never' for wait");
    expect_open_fails("dsa-single:wq=emu,recover=pray", EINVAL, "'pray' for recover");
    expect_open_fails("dsa-single:wq=emu,bof=2", EINVAL, "'2' for bof");
    expect_open_fails("hybrid:wq=emu,cpu_share=2", EINVAL, "'2' for cpu_share");
    expect_open_fails("hybrid:wq=emu,cpu_share=-0.5", EINVAL, "cpu_share");
    expect_open_fails("hybrid:wq=emu,cpu_share=half", EINVAL, "'half'");
    expect_open_fails("dsa-multi:wq=emu+,qd=2", EINVAL, "empty item");
    expect_open_fails("dsa-multi:wq={emu+emu,qd=2", EINVAL, "unbalanced");
}

static void bad_arguments_are_refused(void **state)
{
    (void)state;
    struct zc_backend *be;
    assert_int_equal(zc_backend_open("cpu:byte", &be), 0);
    static uint8_t buf[4096], other[4096];
    bool out[64];
    const void *pages[2] = {buf, NULL};
    assert_int_equal(zc_backend_check(be, buf, 4096, 100, out), -EINVAL); /* gran % 8 */
    assert_non_null(strstr(zc_last_error(), "granularity 100"));
    assert_int_equal(zc_backend_check(be, buf, 4096, 0, out), -EINVAL);
    assert_int_equal(zc_backend_check(be, buf, 4000, 64, out), -EINVAL); /* len % gran */
    assert_non_null(strstr(zc_last_error(), "length 4000"));
    assert_int_equal(zc_backend_check(be, NULL, 4096, 64, out), -EINVAL);
    assert_int_equal(zc_backend_check(be, buf, 4096, 64, NULL), -EINVAL);
    assert_int_equal(zc_backend_check(NULL, buf, 4096, 64, out), -EINVAL);
    assert_int_equal(zc_backend_checkv(be, pages, 2, 64, out), -EINVAL);
    assert_non_null(strstr(zc_last_error(), "pages[1]"));
    assert_int_equal(zc_backend_checkv(be, NULL, 2, 64, out), -EINVAL);
    assert_int_equal(zc_backend_checkv(be, pages, 1, 12, out), -EINVAL);
    assert_int_equal(zc_backend_compare(be, buf, NULL, 4096, 64, out), -EINVAL);
    assert_int_equal(zc_backend_compare(be, buf, other, 4096, 24, out), -EINVAL);
    /* nothing to do is not an error */
    assert_int_equal(zc_backend_check(be, buf, 0, 64, out), 0);
    assert_int_equal(zc_backend_checkv(be, pages, 0, 64, out), 0);
    struct zc_backend_stats s;
    zc_backend_get_stats(be, &s);
    assert_int_equal(s.pages, 0);
    /* an odd multiple of 8 is a valid granularity */
    buf[72 + 71] = 1;
    assert_int_equal(zc_backend_check(be, buf, 72 * 3, 72, out), 0);
    assert_true(out[0] && !out[1] && out[2]);
    zc_backend_get_stats(be, &s);
    assert_int_equal(s.pages, 3);
    /* one page, the direct path: answered and counted like the rest */
    assert_int_equal(zc_backend_check(be, buf + 72, 72, 72, out), 0);
    assert_false(out[0]);
    assert_int_equal(zc_backend_check(be, buf, 72, 72, out), 0);
    assert_true(out[0]);
    zc_backend_get_stats(be, &s);
    assert_int_equal(s.pages, 5);
    zc_backend_reset_stats(be);
    zc_backend_get_stats(be, &s);
    assert_int_equal(s.pages, 0);
    zc_backend_close(be);
    zc_backend_close(NULL);
}

static void canonical_specs_spell_out_defaults_and_reopen(void **state)
{
    (void)state;
    struct zc_backend *be;
    assert_int_equal(zc_backend_open("cpu:best", &be), 0);
    const struct zc_backend_desc *d = zc_backend_describe(be);
    char want[64];
    snprintf(want, sizeof want, "cpu:%s", zc_cpu_best_name());
    assert_string_equal(d->spec, want);
    assert_string_equal(d->kind, "cpu");
    assert_string_equal(d->device, "cpu");
    assert_int_equal(d->batch, 1);
    assert_int_equal(d->queue_depth, 1);
    assert_int_equal(d->n_wq, 0);
    assert_int_equal(d->threads, 1);
    zc_backend_close(be);

    assert_int_equal(zc_backend_open("cpu-mt:threads=3,variant=u64", &be), 0);
    d = zc_backend_describe(be);
    assert_string_equal(d->spec, "cpu-mt:threads=3,variant=u64,pin=core");
    assert_int_equal(d->threads, 3);
    assert_non_null(d->note);
    zc_backend_close(be);
}

static void every_kind_is_listed_with_an_example(void **state)
{
    (void)state;
    static const char *const names[] = {"cpu", "cpu-mt", "dsa-single", "dsa-batch", "dsa-multi",
                                        "hybrid"};
    assert_int_equal(zc_backend_kind_count(), 6);
    for (size_t i = 0; i < 6; i++) {
        const struct zc_backend_kind *k = zc_backend_kind_at(i);
        assert_non_null(k);
        assert_string_equal(k->name, names[i]);
        assert_true(strlen(k->summary) > 10);
        assert_int_equal(strncmp(k->example, k->name, strlen(k->name)), 0);
    }
    assert_null(zc_backend_kind_at(6));
    const char *why = "unset";
    assert_true(zc_backend_kind_usable(zc_backend_kind_at(0), &why));
    assert_null(why);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    zc_backend_kind_help(zc_backend_kind_at(1), f);
    fclose(f);
    assert_non_null(strstr(text, "threads"));
    assert_non_null(strstr(text, "pin"));
    free(text);
}

static void cpu_variants_match_the_oracle(void **state)
{
    (void)state;
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        if (!v->usable)
            continue;
        char spec[64];
        snprintf(spec, sizeof spec, "cpu:%s", v->name);
        equiv_all_sizes(spec, 11 + i);
    }
}

static void cpu_mt_matches_the_oracle(void **state)
{
    (void)state;
    equiv_all_sizes("cpu-mt:threads=2", 21);
    equiv_all_sizes("cpu-mt:threads=3,variant=u64,pin=none", 22);
    /* more threads than pages: some workers get empty ranges */
    equiv_run("cpu-mt:threads=5", 2u << 20, 3, 23);
    struct zc_backend_stats s = equiv_run("cpu-mt:threads=1", 4096, 10, 24);
    assert_int_equal(s.descriptors, 0);
    assert_int_equal(s.cpu_pages, 0);
}

/* The workers check while the caller sleeps: their CPU time is in the
 * stats (the check's cost), counted from the last reset; the one-thread
 * backend has no workers. */
static void cpu_mt_counts_its_workers_cpu_time(void **state)
{
    (void)state;
    size_t len = 16u << 20;
    uint8_t *buf = malloc(len);
    bool *out = calloc(len / 4096, sizeof *out);
    assert_non_null(buf);
    assert_non_null(out);
    memset(buf, 0, len); /* pages of its own, not the kernel's one zero page */
    struct zc_backend *mt, *one;
    struct zc_backend_stats s;
    assert_int_equal(zc_backend_open("cpu-mt:threads=2,pin=none", &mt), 0);
    assert_int_equal(zc_backend_open("cpu", &one), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(zc_backend_check(mt, buf, len, 4096, out), 0);
    zc_backend_get_stats(mt, &s);
    /* 64 MiB read from memory: over 0.1 ms of CPU even at 200 GB/s */
    assert_true(s.worker_cpu_ns > 100000);
    zc_backend_reset_stats(mt); /* the workers sleep from here on */
    zc_backend_get_stats(mt, &s);
    assert_true(s.worker_cpu_ns < 100000);
    assert_int_equal(zc_backend_check(one, buf, len, 4096, out), 0);
    zc_backend_get_stats(one, &s);
    assert_int_equal(s.worker_cpu_ns, 0);
    zc_backend_close(mt);
    zc_backend_close(one);
    free(buf);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_specs_name_the_bad_part),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(canonical_specs_spell_out_defaults_and_reopen),
        cmocka_unit_test(every_kind_is_listed_with_an_example),
        cmocka_unit_test(cpu_variants_match_the_oracle),
        cmocka_unit_test(cpu_mt_matches_the_oracle),
        cmocka_unit_test(cpu_mt_counts_its_workers_cpu_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

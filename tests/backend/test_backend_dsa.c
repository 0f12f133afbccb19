/* The DSA backends on the emu device model: equivalence with the oracle
 * over engine counts, both WQ modes, several WQs, batch sizes that leave
 * 1-page tails, segments split by a small max transfer, and page-fault
 * recovery (ctest also runs this binary with ZC_EMU=fault=nonresident, so
 * untouched pages fault in every case). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>
#include <zc/backend.h>
#include <zc/dsa.h>
#include <zc/error.h>

#include "equiv.h"

static const char *const specs[] = {
    "dsa-single:wq=emu",
    "dsa-single:wq={emu:mode=shared,engines=2},wait=yield,recover=resubmit",
    "dsa-batch:wq=emu,batch=32",
    "dsa-batch:wq={emu:engines=0},batch=16", /* the model runs inside submit */
    "dsa-batch:wq={emu:engines=2,mode=shared},batch=7,wait=spin",
    "dsa-batch:wq={emu:max_xfer=4K},batch=5,recover=resubmit",
    "dsa-multi:wq=emu+emu,qd=4,batch=32",
    "dsa-multi:wq={emu:engines=4}+{emu:engines=1,wq_size=2},qd=8,batch=3",
    "dsa-multi:wq={emu:mode=shared,engines=2,wq_size=2}+{emu:mode=shared},qd=6,batch=2,recover=resubmit",
    "hybrid:wq=emu,cpu_share=auto",
    "hybrid:wq={emu:engines=2}+{emu:mode=shared},cpu_share=0.3,qd=2,batch=4",
    "hybrid:wq=emu,cpu_share=0",
    "hybrid:wq=emu,cpu_share=1",
};
#define N_SPECS (sizeof specs / sizeof specs[0])

static void every_dsa_backend_matches_the_oracle(void **state)
{
    (void)state;
    const char *env = getenv("ZC_EMU");
    bool faulting = env && strstr(env, "fault=nonresident");
    for (size_t i = 0; i < N_SPECS; i++) {
        struct zc_backend_stats s = equiv_all_sizes(specs[i], 100 + 10 * i);
        bool all_cpu = strstr(specs[i], "cpu_share=1") != NULL;
        if (!all_cpu)
            assert_true(s.descriptors > 0);
        /* untouched pages are in every pattern: recovery must have run */
        if (faulting && !all_cpu && s.faults_recovered == 0)
            fail_msg("%s: no partial completion recovered under ZC_EMU=%s", specs[i], env);
    }
}

static void untouched_pages_fault_and_are_recovered(void **state)
{
    (void)state;
    static const char *const fault_specs[] = {
        "dsa-batch:wq={emu:fault=nonresident},batch=8,recover=cpu",
        "dsa-batch:wq={emu:fault=nonresident},batch=8,recover=resubmit",
        "dsa-single:wq={emu:fault=nonresident,mode=shared},recover=resubmit",
    };
    const size_t gran = 4096, n = 16;
    for (size_t s = 0; s < 3; s++) {
        struct zc_backend *be;
        assert_int_equal(equiv_open(fault_specs[s], &be), 0);
        uint8_t *buf = mmap(NULL, n * gran, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(buf != MAP_FAILED);
        buf[5 * gran + 100] = 7; /* one resident non-zero page among untouched ones */
        bool zero[16];
        int rc = zc_backend_check(be, buf, n * gran, gran, zero);
        if (rc)
            fail_msg("%s: %d %s", fault_specs[s], rc, zc_last_error());
        for (size_t i = 0; i < n; i++)
            assert_int_equal(zero[i], i != 5);
        struct zc_backend_stats st;
        zc_backend_get_stats(be, &st);
        assert_int_equal(st.pages, n);
        assert_true(st.faults_recovered >= n - 1);
        if (strstr(fault_specs[s], "recover=cpu")) {
            assert_int_equal(st.cpu_pages, st.faults_recovered);
        } else {
            assert_true(st.retries >= n - 1); /* touched and resubmitted */
            assert_true(st.cpu_pages < n - 1);
        }
        /* now resident: no more faults */
        zc_backend_reset_stats(be);
        assert_int_equal(zc_backend_check(be, buf, n * gran, gran, zero), 0);
        zc_backend_get_stats(be, &st);
        assert_int_equal(st.faults_recovered, 0);
        munmap(buf, n * gran);
        zc_backend_close(be);
    }
}

/* COMPARE with the second buffer 3 bytes past a page boundary: the device
 * faults at offset 4093 of a page (bytes_completed is byte-exact, not a
 * multiple of 8) and recovery resumes there, on the device or the CPU.
 * Differences sit just before, at and after the fault offset. */
static void compare_resumes_at_an_unaligned_fault_offset(void **state)
{
    (void)state;
    static const char *const fault_specs[] = {
        "dsa-single:wq={emu:fault=nonresident},recover=resubmit",
        "dsa-single:wq={emu:fault=nonresident},recover=cpu",
        "dsa-batch:wq={emu:fault=nonresident},batch=4,recover=resubmit",
        "dsa-multi:wq={emu:fault=nonresident}+{emu:fault=nonresident},qd=2,batch=2,recover=resubmit",
    };
    enum { N = 8, GRAN = 4096, SHIFT = 3 };
    static const int diff_at[N] = {GRAN - SHIFT, GRAN - 1, GRAN - SHIFT - 1, -1, GRAN - 2, -1, 0, -1};
    for (size_t s = 0; s < sizeof fault_specs / sizeof fault_specs[0]; s++) {
        uint8_t *a = mmap(NULL, N * GRAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uint8_t *bmap = mmap(NULL, (N + 1) * GRAN, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(a != MAP_FAILED && bmap != MAP_FAILED);
        madvise(bmap, (N + 1) * GRAN, MADV_NOHUGEPAGE);
        memset(a, 0, N * GRAN);
        bmap[0] = 0; /* only b's first OS page is resident */
        for (int i = 0; i < N; i++)
            if (diff_at[i] >= 0)
                a[i * GRAN + diff_at[i]] = 1;
        struct zc_backend *be;
        assert_int_equal(equiv_open(fault_specs[s], &be), 0);
        bool equal[N];
        int rc = zc_backend_compare(be, a, bmap + SHIFT, N * GRAN, GRAN, equal);
        if (rc)
            fail_msg("%s: %d %s", fault_specs[s], rc, zc_last_error());
        for (int i = 0; i < N; i++)
            if (equal[i] != (diff_at[i] < 0))
                fail_msg("%s: page %d answered %s", fault_specs[s], i, equal[i] ? "equal" : "different");
        struct zc_backend_stats st;
        zc_backend_get_stats(be, &st);
        assert_true(st.faults_recovered >= 1);
        if (strstr(fault_specs[s], "resubmit"))
            assert_true(st.retries >= 1);
        zc_backend_close(be);
        munmap(a, N * GRAN);
        munmap(bmap, (N + 1) * GRAN);
    }
}

/* A page the device faults on and the CPU cannot read either: an error
 * naming the page, never a crash in recovery. */
static void unreadable_pages_are_an_error_not_a_crash(void **state)
{
    (void)state;
    static const char *const fault_specs[] = {
        "dsa-batch:wq=emu,batch=4,recover=cpu",
        "dsa-multi:wq=emu+emu,batch=2,qd=2,recover=resubmit",
        "hybrid:wq=emu,cpu_share=0",
    };
    const size_t gran = 4096, n = 8;
    for (size_t s = 0; s < 3; s++) {
        struct zc_backend *be;
        assert_int_equal(equiv_open(fault_specs[s], &be), 0);
        uint8_t *buf = mmap(NULL, n * gran, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(buf != MAP_FAILED);
        memset(buf, 0, n * gran);
        assert_int_equal(mprotect(buf + 6 * gran, gran, PROT_NONE), 0);
        bool zero[8];
        assert_int_equal(zc_backend_check(be, buf, n * gran, gran, zero), -EFAULT);
        if (!strstr(zc_last_error(), "page 6 ") || !strstr(zc_last_error(), "not readable"))
            fail_msg("%s: message '%s'", fault_specs[s], zc_last_error());
        /* the backend stays usable for readable memory */
        assert_int_equal(zc_backend_check(be, buf, 6 * gran, gran, zero), 0);
        munmap(buf, n * gran);
        zc_backend_close(be);
    }
}

static void statistics_count_descriptors_and_batches(void **state)
{
    (void)state;
    struct zc_backend *be;
    assert_int_equal(equiv_open("dsa-batch:wq=emu,batch=4", &be), 0);
    static uint8_t buf[9 * 4096];
    bool zero[9];
    assert_int_equal(zc_backend_check(be, buf, sizeof buf, 4096, zero), 0);
    struct zc_backend_stats st;
    zc_backend_get_stats(be, &st);
    assert_int_equal(st.pages, 9);
    assert_int_equal(st.descriptors, 9);
    assert_int_equal(st.batches, 2); /* 4 + 4 + a plain 1-page tail */
    assert_true(st.submit_cycles > 0);
    zc_backend_close(be);

    assert_int_equal(equiv_open("dsa-single:wq={emu:max_xfer=1K}", &be), 0);
    assert_int_equal(zc_backend_check(be, buf, 2 * 4096, 4096, zero), 0);
    zc_backend_get_stats(be, &st);
    assert_int_equal(st.descriptors, 8); /* pages split at the max transfer size */
    assert_int_equal(st.batches, 0);
    zc_backend_close(be);
}

/* A device that does not answer in time is an error, never a hang, and the
 * backend refuses further work (the device may still write its records). */
static void a_hung_device_times_out(void **state)
{
    (void)state;
    struct zc_backend *be;
    /* The records come 50x later than the deadline (1 s, the model's longest): a
     * waiter that a loaded host (valgrind runs one thread at a time) ran only
     * after they came would find them done, not time out. */
    assert_int_equal(zc_backend_open("dsa-batch:wq={emu:lat_ns=1000000000},batch=4,timeout_ms=20", &be), 0);
    static uint8_t buf[8 * 4096];
    bool zero[8];
    assert_int_equal(zc_backend_check(be, buf, sizeof buf, 4096, zero), -ETIMEDOUT);
    assert_non_null(strstr(zc_last_error(), "within 20 ms"));
    assert_int_equal(zc_backend_check(be, buf, sizeof buf, 4096, zero), -EIO);
    assert_non_null(strstr(zc_last_error(), "reopen"));
    zc_backend_close(be);
}

static void describe_names_the_model(void **state)
{
    (void)state;
    struct zc_backend *be;
    assert_int_equal(zc_backend_open("dsa-multi:wq={emu:engines=2}+{emu:engines=2},qd=8", &be), 0);
    const struct zc_backend_desc *d = zc_backend_describe(be);
    assert_string_equal(d->device, "dsa-emu");
    assert_string_equal(d->kind, "dsa-multi");
    assert_int_equal(d->batch, 32);
    assert_int_equal(d->queue_depth, 8);
    assert_int_equal(d->n_wq, 2);
    assert_string_equal(d->spec, "dsa-multi:wq={emu:engines=2}+{emu:engines=2},batch=32,qd=8,"
                                 "wait=pause,recover=cpu,bof=0,timeout_ms=1000");
    zc_backend_close(be);
    assert_int_equal(zc_backend_open("dsa-single:wq={emu:engines=2,mode=shared}", &be), 0);
    assert_string_equal(zc_backend_describe(be)->spec,
                        "dsa-single:wq={emu:engines=2,mode=shared},wait=pause,recover=cpu,bof=0,"
                        "timeout_ms=1000");
    assert_int_equal(zc_backend_describe(be)->queue_depth, 1);
    zc_backend_close(be);
}

/* Every kind's example opens here, and its canonical spec reopens to itself. */
static void canonical_specs_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < zc_backend_kind_count(); i++) {
        const struct zc_backend_kind *k = zc_backend_kind_at(i);
        const char *why;
        if (!zc_backend_kind_usable(k, &why))
            fail_msg("%s not usable: %s", k->name, why);
        struct zc_backend *a, *b;
        assert_int_equal(zc_backend_open(k->example, &a), 0);
        int rc = zc_backend_open(zc_backend_describe(a)->spec, &b);
        if (rc)
            fail_msg("reopen '%s': %s", zc_backend_describe(a)->spec, zc_last_error());
        assert_string_equal(zc_backend_describe(a)->spec, zc_backend_describe(b)->spec);
        zc_backend_close(a);
        zc_backend_close(b);
    }
}

static void bad_dsa_specs_name_the_bad_part(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *needle;
    } cases[] = {
        {"dsa-single:wq=bogus", "bogus"},
        {"dsa-single:wq={emu:engines=lots}", "engines"},
        {"dsa-multi:wq=emu+{emu:nokey=1},qd=2", "nokey"},
        {"dsa-batch:wq={emu:max_batch=16},batch=32", "max batch 16"},
        {"dsa-multi:wq=emu+{emu:max_batch=8},batch=16", "max batch 8"},
        {"hybrid:wq=emu,cpu_share=2", "cpu_share"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct zc_backend *be = NULL;
        int rc = zc_backend_open(cases[i].spec, &be);
        if (rc != -EINVAL || !strstr(zc_last_error(), cases[i].needle))
            fail_msg("open '%s': rc %d, message '%s'; want -EINVAL naming '%s'", cases[i].spec, rc,
                     zc_last_error(), cases[i].needle);
        assert_null(be);
    }
    /* umwait needs WAITPKG: refused at open, not at the first wait */
    struct zc_backend *be = NULL;
    int rc = zc_backend_open("dsa-single:wq=emu,wait=umwait", &be);
    if (zc_dsa_cpu_has_waitpkg()) {
        assert_int_equal(rc, 0);
        zc_backend_close(be);
    } else {
        assert_int_equal(rc, -ENOTSUP);
        assert_non_null(strstr(zc_last_error(), "wait=umwait"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_dsa_specs_name_the_bad_part),
        cmocka_unit_test(describe_names_the_model),
        cmocka_unit_test(a_hung_device_times_out),
        cmocka_unit_test(canonical_specs_round_trip),
        cmocka_unit_test(statistics_count_descriptors_and_batches),
        cmocka_unit_test(untouched_pages_fault_and_are_recovered),
        cmocka_unit_test(compare_resumes_at_an_unaligned_fault_offset),
        cmocka_unit_test(unreadable_pages_are_an_error_not_a_crash),
        cmocka_unit_test(every_dsa_backend_matches_the_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* zc_dsa_wait: every policy sees a completion, a missing completion is a
 * timeout (never a hang), cycles are counted, names parse both ways. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "cpu/features.h"
#include "dsa_test_util.h"

static void policies_parse_and_print(void **state)
{
    (void)state;
    const char *names[] = {"spin", "pause", "umwait", "yield", "poller"};
    for (int i = 0; i < 5; i++) {
        enum zc_dsa_wait_policy p = ZC_WAIT_SPIN;
        int rc = zc_dsa_wait_policy_parse(names[i], &p);
        if (i == ZC_WAIT_UMWAIT && !zc_cpu_has(ZC_CPU_WAITPKG)) {
            assert_int_equal(rc, -ENOTSUP);
            assert_non_null(strstr(zc_last_error(), "WAITPKG"));
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(p, i);
        assert_string_equal(zc_dsa_wait_policy_name(p), names[i]);
    }
    enum zc_dsa_wait_policy p;
    assert_int_equal(zc_dsa_wait_policy_parse("busy", &p), -EINVAL);
    assert_non_null(strstr(zc_last_error(), "busy"));
    assert_non_null(strstr(zc_last_error(), "spin, pause, umwait, yield, poller"));
}

static void timeout_is_an_error_not_a_hang(void **state)
{
    (void)state;
    _Alignas(32) struct dsa_completion_record cr = {0};
    for (int p = ZC_WAIT_SPIN; p <= ZC_WAIT_YIELD; p++) {
        if (p == ZC_WAIT_UMWAIT && !zc_cpu_has(ZC_CPU_WAITPKG))
            continue;
        struct zc_dsa_waiter w = {.policy = p, .timeout_ns = 20000000};
        assert_int_equal(zc_dsa_wait(&w, &cr), -ETIMEDOUT);
        assert_int_equal(w.timeouts, 1);
        assert_int_equal(w.waits, 1);
        assert_true(w.wait_cycles > 0);
        assert_non_null(strstr(zc_last_error(), "no completion"));
    }
}

static void umwait_without_waitpkg_is_refused(void **state)
{
    (void)state;
    if (zc_cpu_has(ZC_CPU_WAITPKG))
        skip();
    _Alignas(32) struct dsa_completion_record cr = {.status = DSA_COMP_SUCCESS};
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_UMWAIT};
    assert_int_equal(zc_dsa_wait(&w, &cr), -ENOTSUP);
}

static void every_policy_sees_the_model_complete(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:lat_ns=100000", &wq), 0);
    for (int p = ZC_WAIT_SPIN; p <= ZC_WAIT_YIELD; p++) {
        if (p == ZC_WAIT_UMWAIT && !zc_cpu_has(ZC_CPU_WAITPKG))
            continue;
        struct job j;
        job_init(&j, DSA_OPCODE_NOOP, 0);
        assert_int_equal(zc_dsa_wq_submit(wq, &j.d), 0);
        struct zc_dsa_waiter w = {.policy = p};
        assert_int_equal(zc_dsa_wait(&w, &j.cr), DSA_COMP_SUCCESS);
        assert_int_equal(w.timeouts, 0);
        assert_true(w.wait_cycles > 0); /* it waited ~100 us */
    }
    zc_dsa_wq_close(wq);
}

static void status_is_masked(void **state)
{
    (void)state;
    _Alignas(32) struct dsa_completion_record cr = {
        .status = DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE};
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_SPIN};
    assert_int_equal(zc_dsa_wait(&w, &cr), DSA_COMP_PAGE_FAULT_NOBOF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policies_parse_and_print),
        cmocka_unit_test(timeout_is_an_error_not_a_hang),
        cmocka_unit_test(umwait_without_waitpkg_is_refused),
        cmocka_unit_test(every_policy_sees_the_model_complete),
        cmocka_unit_test(status_is_masked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

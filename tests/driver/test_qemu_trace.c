/* QEMU's state save read from its trace log (bench/qemu/trace.c), on logs
 * written here: the last savevm's setup-to-cleanup time, each call reading
 * only what QEMU logged since the previous one, a line QEMU has not
 * finished left for later, and a log without the events an error naming
 * what QEMU needs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zc/error.h>

#include "qemu/trace.h"

#define LOG "qemu-trace-test.log"

static FILE *log_file;

static int start(void **state)
{
    (void)state;
    log_file = fopen(LOG, "w");
    return log_file ? 0 : -1;
}

static int stop(void **state)
{
    (void)state;
    if (log_file)
        fclose(log_file);
    unlink(LOG);
    return 0;
}

static void qemu_logs(const char *text)
{
    fputs(text, log_file);
    fflush(log_file);
}

static void each_call_times_the_savevm_logged_since_the_last(void **state)
{
    (void)state;
    struct zcq_trace t;
    assert_int_equal(zcq_trace_open(&t, LOG), 0);
    assert_int_equal(access(LOG, F_OK), -1); /* unlinked, still readable */
    qemu_logs("qemu-system-x86_64: a warning without a timestamp\n"
              "4242@1795987087.805334:savevm_state_setup \n"
              "4242@1795987087.808162:savevm_section_start ram, section_id 2\n"
              "4242@1795987087.816188:savevm_state_cleanup \n");
    double ms = 0;
    assert_int_equal(zcq_trace_state_save_ms(&t, &ms), 0);
    assert_float_equal(ms, 10.854, 0.001);
    /* The next savevm, its last line not finished yet. */
    qemu_logs("4242@1795987090.000000:savevm_state_setup \n4242@1795987090.025");
    assert_int_equal(zcq_trace_state_save_ms(&t, &ms), -ENOENT);
    qemu_logs("500:savevm_state_cleanup \n");
    assert_int_equal(zcq_trace_state_save_ms(&t, &ms), 0);
    assert_float_equal(ms, 25.5, 0.001);
    /* Nothing new: no savevm to time. */
    assert_int_equal(zcq_trace_state_save_ms(&t, &ms), -ENOENT);
    zcq_trace_close(&t);
}

static void a_log_without_the_events_names_what_qemu_needs(void **state)
{
    (void)state;
    struct zcq_trace t;
    assert_int_equal(zcq_trace_open(&t, "no-such-qemu-trace.log"), -ENOENT);
    assert_non_null(strstr(zc_last_error(), "log trace backend"));
    assert_int_equal(zcq_trace_open(&t, LOG), 0);
    qemu_logs("4242@1795987087.805334:savevm_state_cleanup \n"); /* a cleanup without its setup */
    double ms = -1;
    assert_int_equal(zcq_trace_state_save_ms(&t, &ms), -ENOENT);
    assert_non_null(strstr(zc_last_error(), "savevm_state_setup and savevm_state_cleanup"));
    assert_true(ms == -1);
    zcq_trace_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_call_times_the_savevm_logged_since_the_last, start, stop),
        cmocka_unit_test_setup_teardown(a_log_without_the_events_names_what_qemu_needs, start, stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

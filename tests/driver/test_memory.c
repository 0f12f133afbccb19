/* The driver's memory bound: beyond the buffers under test, at most 64 MiB
 * plus one byte per page checked (peak RSS of the child, getrusage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_main.h"

static struct run_result r;

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define MIB (1024.0 * 1024.0)

static void check_bound(const char *what, double buffers)
{
    if (r.status != 0)
        fail_msg("%s: zcbench exited %d: %s", what, r.status, r.err);
    double pages = buffers / 4096, peak = (double)r.usage.ru_maxrss * 1024;
    double bound = buffers + 64 * MIB + pages;
    printf("%s: peak RSS %.1f MiB, buffers %.1f MiB, bound %.1f MiB\n", what, peak / MIB,
           buffers / MIB, bound / MIB);
    assert_true(peak <= bound);
}

static void zerocheck_256m_stays_within_the_bound(void **state)
{
    (void)state;
    unlink("mem-zc.csv");
    unlink("mem-zc.samples.csv");
    run_zcbench(bin, ARGS("--size", "256M", "--zero-ratio", "0.5", "--reps", "2", "--min-time", "0",
                          "--backend", "cpu:best", "--output", "mem-zc.csv"), &r);
    check_bound("zerocheck 256M", 256 * MIB);
}

static void savevm_256m_streams_without_copying(void **state)
{
    (void)state;
    unlink("mem-savevm.csv");
    unlink("mem-savevm.samples.csv");
    run_zcbench(bin, ARGS("--workload", "savevm", "--mem", "256M", "--zero-ratio", "0.5", "--reps", "2",
                          "--min-time", "0", "--sink", "mem", "--backend", "cpu:best", "--output",
                          "mem-savevm.csv"), &r);
    check_bound("savevm 256M", 256 * MIB);
}

ZCB_TEST_MAIN(cmocka_unit_test(zerocheck_256m_stays_within_the_bound),
              cmocka_unit_test(savevm_256m_streams_without_copying))

/* The emu model's work queue: dedicated overflow is dropped and counted,
 * shared overflow is refused, idle engines burn no CPU, timing is a
 * floor, ZC_EMU layering and bad specs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "cpu/tsc.h"
#include "dsa_test_util.h"

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#define FILL_PATTERN 0xa5a5a5a5a5a5a5a5ull

/* A MEMFILL that keeps the single engine busy for ~5 x size microseconds
 * of modeled time at engine_gbps=0.0002 (0.2 bytes per microsecond). */
static void busy_fill(struct job *j, uint8_t *buf, uint32_t size)
{
    job_init(j, DSA_OPCODE_MEMFILL, 0);
    j->d.pattern = FILL_PATTERN;
    j->d.dst_addr = addr(buf);
    j->d.xfer_size = size;
}

/* The engine writes a fill's bytes when it takes the descriptor and its
 * record only at the modeled end: the last byte written says the
 * descriptor has left the WQ, whenever the host ran the engine. */
static void wait_until_taken(const uint8_t *buf, uint32_t size)
{
    uint64_t deadline = zc_now_ns() + 10000000000ull;
    while (__atomic_load_n(&buf[size - 1], __ATOMIC_ACQUIRE) != (uint8_t)FILL_PATTERN)
        assert_true(zc_now_ns() < deadline);
}

static void overflow(const char *spec, bool dedicated)
{
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open(spec, &wq), 0);
    uint8_t *buf = pages(64);
    struct job fill, noop[6];
    busy_fill(&fill, buf, 200000); /* 1 s of engine time: the margin for submitting the six */
    assert_int_equal(zc_dsa_wq_submit(wq, &fill.d), 0);
    wait_until_taken(buf, 200000);
    for (int i = 0; i < 6; i++) {
        job_init(&noop[i], DSA_OPCODE_NOOP, 0);
        int rc = zc_dsa_wq_submit(wq, &noop[i].d);
        assert_int_equal(rc, i < 4 || dedicated ? 0 : -EAGAIN);
    }
    struct zc_dsa_wq_stats st;
    zc_dsa_wq_stats(wq, &st);
    assert_int_equal(st.submitted, 5);
    assert_int_equal(st.dropped, dedicated ? 2 : 0);
    assert_int_equal(st.rejected, dedicated ? 0 : 2);
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_YIELD, .timeout_ns = 10000000000ull};
    assert_int_equal(zc_dsa_wait(&w, &fill.cr), DSA_COMP_SUCCESS);
    for (int i = 0; i < 4; i++)
        assert_int_equal(zc_dsa_wait(&w, &noop[i].cr), DSA_COMP_SUCCESS);
    struct job drain;
    job_init(&drain, DSA_OPCODE_DRAIN, 0);
    assert_int_equal(run_job(wq, &drain), DSA_COMP_SUCCESS);
    for (int i = 4; i < 6; i++) /* dropped or refused: never completes */
        assert_int_equal(__atomic_load_n(&noop[i].cr.status, __ATOMIC_ACQUIRE), 0);
    zc_dsa_wq_close(wq);
    unpages(buf, 64);
}

static void dedicated_overflow_is_dropped_and_counted(void **state)
{
    (void)state;
    overflow("emu:mode=dedicated,wq_size=4,engine_gbps=0.0002", true);
}

static void shared_overflow_is_refused(void **state)
{
    (void)state;
    overflow("emu:mode=shared,wq_size=4,engine_gbps=0.0002", false);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void idle_engines_burn_no_cpu(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:engines=4", &wq), 0);
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    double before = cpu_seconds();
    sleep_ms(200);
    double used = cpu_seconds() - before;
    zc_dsa_wq_close(wq);
    /* Four spinning engines would use ~0.4 s (2 cores): sleeping ones ~0. */
    assert_true(used < 0.05);
}

static void timing_model_is_a_floor(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:lat_ns=3000000", &wq), 0);
    const struct zc_dsa_wq_info *info = zc_dsa_wq_info(wq);
    assert_true(info->is_model);
    assert_true(info->timed);
    struct job j;
    job_init(&j, DSA_OPCODE_NOOP, 0);
    uint64_t t0 = zc_now_ns();
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_true(zc_now_ns() - t0 >= 3000000); /* never before the modeled time */
    zc_dsa_wq_close(wq);

    /* Bandwidth: 1 MiB at 1 GB/s takes at least ~1 ms. */
    assert_int_equal(zc_dsa_wq_open("emu:engine_gbps=1", &wq), 0);
    uint8_t *p = pages(256);
    job_init(&j, DSA_OPCODE_COMPVAL, 0);
    j.d.src_addr = addr(p);
    j.d.xfer_size = 256 * PAGE;
    t0 = zc_now_ns();
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_true(zc_now_ns() - t0 >= 1048576);
    zc_dsa_wq_close(wq);

    /* The device's bandwidth is shared: two engines, 1 GB/s in all. */
    assert_int_equal(zc_dsa_wq_open("emu:engines=2,device_gbps=1", &wq), 0);
    struct job k;
    k = j;
    k.d.completion_addr = addr(&k.cr);
    j.cr.status = k.cr.status = 0;
    t0 = zc_now_ns();
    assert_int_equal(zc_dsa_wq_submit(wq, &j.d), 0);
    assert_int_equal(zc_dsa_wq_submit(wq, &k.d), 0);
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_YIELD, .timeout_ns = 5000000000ull};
    assert_int_equal(zc_dsa_wait(&w, &j.cr), DSA_COMP_SUCCESS);
    assert_int_equal(zc_dsa_wait(&w, &k.cr), DSA_COMP_SUCCESS);
    assert_true(zc_now_ns() - t0 >= 2 * 1048576);
    zc_dsa_wq_close(wq);

    /* The SPR preset: 140 ns + 1 MiB at 20 GB/s per engine. */
    assert_int_equal(zc_dsa_wq_open("emu:timing=spr", &wq), 0);
    assert_true(zc_dsa_wq_info(wq)->timed);
    t0 = zc_now_ns();
    assert_int_equal(run_job(wq, &j), DSA_COMP_SUCCESS);
    assert_true(zc_now_ns() - t0 >= 140 + 1048576 / 20);
    zc_dsa_wq_close(wq);
    unpages(p, 256);
}

static void timed_drain_waits_for_every_engine(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:engines=3,lat_ns=2000000", &wq), 0);
    struct job j[4];
    for (int i = 0; i < 4; i++) {
        job_init(&j[i], DSA_OPCODE_NOOP, 0);
        assert_int_equal(zc_dsa_wq_submit(wq, &j[i].d), 0);
    }
    struct job drain;
    job_init(&drain, DSA_OPCODE_DRAIN, 0);
    assert_int_equal(run_job(wq, &drain), DSA_COMP_SUCCESS);
    for (int i = 0; i < 4; i++)
        assert_int_equal(__atomic_load_n(&j[i].cr.status, __ATOMIC_ACQUIRE), DSA_COMP_SUCCESS);
    zc_dsa_wq_close(wq);
}

static void untimed_model_says_so(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu", &wq), 0);
    const struct zc_dsa_wq_info *info = zc_dsa_wq_info(wq);
    assert_true(info->is_model);
    assert_false(info->timed);
    assert_string_equal(info->device, "emu");
    assert_int_equal(info->mode, ZC_DSA_DEDICATED);
    assert_int_equal(info->max_batch, 1024);
    /* D12: the max transfer of real WQ configurations (2 MiB), not 2 GiB:
     * a 1 GiB page takes 512 descriptors on hardware and on the model. */
    assert_int_equal(info->max_xfer, 2u << 20);
    assert_false(info->block_on_fault); /* D6: off, as in configs/dsa-*.conf */
    assert_int_equal(info->path, ZC_DSA_PATH_EMU);
    assert_int_equal(info->engines, 1);
    zc_dsa_wq_close(wq);
}

static void zc_emu_sets_defaults_and_spec_wins(void **state)
{
    (void)state;
    setenv("ZC_EMU", "engines=2,mode=shared,wq_size=7", 1);
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:wq_size=9", &wq), 0);
    const struct zc_dsa_wq_info *info = zc_dsa_wq_info(wq);
    assert_int_equal(info->engines, 2);
    assert_int_equal(info->mode, ZC_DSA_SHARED);
    assert_int_equal(info->size, 9);
    zc_dsa_wq_close(wq);

    setenv("ZC_EMU", "bogus=1", 1);
    struct zc_dsa_wq *untouched = (struct zc_dsa_wq *)&wq;
    wq = untouched;
    assert_int_equal(zc_dsa_wq_open("emu", &wq), -EINVAL);
    assert_ptr_equal(wq, untouched);
    assert_non_null(strstr(zc_last_error(), "ZC_EMU"));
    assert_non_null(strstr(zc_last_error(), "bogus"));
    unsetenv("ZC_EMU");
}

static void expect_einval(const char *spec, const char *word1, const char *word2)
{
    struct zc_dsa_wq *wq = NULL;
    assert_int_equal(zc_dsa_wq_open(spec, &wq), -EINVAL);
    assert_null(wq);
    const char *msg = zc_last_error();
    if (!strstr(msg, word1) || (word2 && !strstr(msg, word2)))
        fail_msg("spec '%s': message '%s' lacks '%s'/'%s'", spec, msg, word1, word2 ? word2 : "");
}

static void bad_specs_name_the_problem(void **state)
{
    (void)state;
    expect_einval("emu:engine=2", "engine", "allowed");
    expect_einval("emu:engines=17", "engines", "0..16");
    expect_einval("emu:engines=two", "two", "engines");
    expect_einval("emu:mode=fast", "fast", "dedicated|shared");
    expect_einval("emu:fault=always", "always", "unmapped|nonresident");
    expect_einval("emu:max_xfer=3G", "3G", "max_xfer");
    expect_einval("emu:max_batch=1", "max_batch", NULL);
    expect_einval("emu:wq_size=8,wq_size=9", "twice", NULL);
    expect_einval("emu:lat_ns=-5", "lat_ns", NULL);
    expect_einval("emu:engines=0,lat_ns=5", "engines=0", "timing");
    expect_einval("emux", "emux", "allowed");
    expect_einval("", "empty", NULL);
    expect_einval("wq0", "wq0", "wqD.Q");
    expect_einval("/dev/dsa/wqx.1", "wqx.1", "wqD.Q");
}

static void close_with_work_in_flight(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:engines=2,lat_ns=1000000", &wq), 0);
    struct job j[8];
    for (int i = 0; i < 8; i++) {
        job_init(&j[i], DSA_OPCODE_NOOP, 0);
        assert_int_equal(zc_dsa_wq_submit(wq, &j[i].d), 0);
    }
    zc_dsa_wq_close(wq); /* joins the engines; nothing touches j afterwards */
}

int main(void)
{
    unsetenv("ZC_EMU");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dedicated_overflow_is_dropped_and_counted),
        cmocka_unit_test(shared_overflow_is_refused),
        cmocka_unit_test(idle_engines_burn_no_cpu),
        cmocka_unit_test(timing_model_is_a_floor),
        cmocka_unit_test(timed_drain_waits_for_every_engine),
        cmocka_unit_test(untimed_model_says_so),
        cmocka_unit_test(zc_emu_sets_defaults_and_spec_wins),
        cmocka_unit_test(bad_specs_name_the_problem),
        cmocka_unit_test(close_with_work_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* dsa/emu/timing.c: the model's clock as a pure simulation (no threads,
 * times given by the test): engines serve in order, busy engines share the
 * device fairly whatever order their work was handed in, and a record
 * appears lat_ns after its descriptor is done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dsa/emu/internal.h"

#define KIB 1024u
#define FAR 1000000000000ull /* simulate to the end */

static struct zc_emu_clock *clock_of(unsigned engines, double engine_gbps, double device_gbps,
                                     uint64_t lat_ns)
{
    struct zc_emu_cfg cfg = {.engines = engines, .engine_gbps = engine_gbps,
                             .device_gbps = device_gbps, .lat_ns = lat_ns};
    struct zc_emu_clock *c = NULL;
    assert_int_equal(zc_emu_clock_new(&cfg, &c), 0);
    return c;
}

static void add_n(struct zc_emu_clock *c, unsigned engine, unsigned n, uint64_t submit, uint64_t bytes)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(zc_emu_clock_add(c, engine, submit, bytes), 0);
}

/* Releases the engine's records one by one; the last one's due time. */
static uint64_t last_due(struct zc_emu_clock *c, unsigned engine, unsigned n)
{
    uint64_t due = 0;
    for (unsigned i = 0; i < n; i++) {
        due = zc_emu_clock_due(c, engine, FAR);
        assert_true(due <= FAR);
        zc_emu_clock_release(c, engine);
    }
    assert_int_equal(zc_emu_clock_due(c, engine, FAR), UINT64_MAX);
    return due;
}

static void busy_engines_share_the_device_fairly(void **state)
{
    (void)state;
    /* 4 engines of 0.25 GB/s on a 0.75 GB/s device; each engine's whole
     * batch is handed in at once, engine after engine. */
    struct zc_emu_clock *c = clock_of(4, 0.25, 0.75, 0);
    for (unsigned e = 0; e < 4; e++)
        add_n(c, e, 32, 0, 64 * KIB);
    uint64_t all = (uint64_t)(4 * 32 * 64 * KIB / 0.75); /* the device full to the end */
    for (unsigned e = 0; e < 4; e++) {
        uint64_t done = last_due(c, e, 32);
        assert_true(done >= all - 2 && done <= all + 64);
    }
    zc_emu_clock_free(c);
}

static void engines_below_the_device_limit_do_not_wait(void **state)
{
    (void)state;
    struct zc_emu_clock *c = clock_of(2, 0.25, 0.75, 0);
    add_n(c, 0, 32, 0, 64 * KIB);
    add_n(c, 1, 32, 0, 64 * KIB);
    assert_int_equal(last_due(c, 0, 32), 32 * 262144);
    assert_int_equal(last_due(c, 1, 32), 32 * 262144);
    zc_emu_clock_free(c);
}

static void a_slow_device_limits_one_engine(void **state)
{
    (void)state;
    struct zc_emu_clock *c = clock_of(1, 1, 0.5, 0);
    add_n(c, 0, 1, 0, 1024 * KIB);
    assert_int_equal(last_due(c, 0, 1), 2097152);
    zc_emu_clock_free(c);
}

static void an_idle_engine_leaves_its_share_to_the_others(void **state)
{
    (void)state;
    /* Both at 0.25 until engine 0 is done at 262144 ns; engine 1 then has
     * 192 KiB left at 0.5 GB/s: 393216 ns more. */
    struct zc_emu_clock *c = clock_of(2, 0.5, 0.5, 0);
    add_n(c, 0, 1, 0, 64 * KIB);
    add_n(c, 1, 1, 0, 256 * KIB);
    assert_false(zc_emu_clock_take_idle_news(c));
    assert_int_equal(last_due(c, 0, 1), 262144);
    assert_true(zc_emu_clock_take_idle_news(c));
    assert_false(zc_emu_clock_take_idle_news(c)); /* told once */
    assert_int_equal(last_due(c, 1, 1), 262144 + 393216);
    zc_emu_clock_free(c);
}

static void records_appear_lat_ns_after_done(void **state)
{
    (void)state;
    struct zc_emu_clock *c = clock_of(1, 0.25, 0, 1000);
    add_n(c, 0, 2, 5000, 64 * KIB);
    /* Before: a projection beyond now, nothing to release. */
    assert_int_equal(zc_emu_clock_due(c, 0, 6000), 5000 + 262144 + 1000);
    assert_int_equal(zc_emu_clock_idle_at(c, 0, 6000), 5000 + 2 * 262144);
    assert_int_equal(zc_emu_clock_due(c, 0, 5000 + 262144 + 999), 5000 + 262144 + 1000);
    assert_int_equal(zc_emu_clock_due(c, 0, 5000 + 262144 + 1000), 5000 + 262144 + 1000);
    zc_emu_clock_release(c, 0);
    assert_int_equal(zc_emu_clock_due(c, 0, FAR), 5000 + 2 * 262144 + 1000);
    zc_emu_clock_release(c, 0);
    assert_true(zc_emu_clock_idle_at(c, 0, FAR) <= FAR);
    zc_emu_clock_free(c);

    c = clock_of(1, 0, 0, 140); /* latency only */
    add_n(c, 0, 1, 100, 1 << 20);
    assert_int_equal(zc_emu_clock_due(c, 0, 100), 240);
    zc_emu_clock_free(c);
}

static void work_handed_in_late_starts_at_the_model_now(void **state)
{
    (void)state;
    struct zc_emu_clock *c = clock_of(1, 0.25, 0, 0);
    assert_int_equal(zc_emu_clock_due(c, 0, 1000000), UINT64_MAX); /* runs the model to 1 ms */
    add_n(c, 0, 1, 0, 64 * KIB);                                    /* submitted at 0 */
    assert_int_equal(last_due(c, 0, 1), 1000000 + 262144);
    zc_emu_clock_free(c);
}

static void many_items_grow_the_queue(void **state)
{
    (void)state;
    struct zc_emu_clock *c = clock_of(1, 1, 0, 0);
    add_n(c, 0, 1000, 0, 4 * KIB);
    assert_int_equal(last_due(c, 0, 1000), 1000 * 4096);
    zc_emu_clock_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(busy_engines_share_the_device_fairly),
        cmocka_unit_test(engines_below_the_device_limit_do_not_wait),
        cmocka_unit_test(a_slow_device_limits_one_engine),
        cmocka_unit_test(an_idle_engine_leaves_its_share_to_the_others),
        cmocka_unit_test(records_appear_lat_ns_after_done),
        cmocka_unit_test(work_handed_in_late_starts_at_the_model_now),
        cmocka_unit_test(many_items_grow_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

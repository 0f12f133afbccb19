/* The peers zc-microbench re-implements (bench/peers/) under the checks our
 * kernels pass: every length and alignment, every byte position, guard
 * pages. A peer that misread would make every comparison with it wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bench/peers/qemu_zero.h"
#include "zero_checks.h"

static const char *const qemu_vector_paths[] = {"sse2", "avx2"};

/* Each of QEMU's vector paths this host can run, through the same entry
 * point (the path is what serves 256 bytes and more). */
static void for_each_qemu_path(void (*check)(const char *, zc_zero_fn))
{
    const char *selected = qemu_buffer_is_zero_accel();
    for (size_t i = 0; i < sizeof qemu_vector_paths / sizeof qemu_vector_paths[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "qemu/%s", qemu_vector_paths[i]);
        if (!qemu_buffer_is_zero_use(qemu_vector_paths[i])) {
            printf("skipping %s: this host cannot run it\n", name);
            continue;
        }
        assert_string_equal(qemu_buffer_is_zero_accel(), qemu_vector_paths[i]);
        check(name, qemu_buffer_is_zero);
    }
    assert_true(qemu_buffer_is_zero_use(selected));
}

static void test_qemu_lengths_alignments_bits(void **unused)
{
    (void)unused;
    for_each_qemu_path(check_lengths_alignments_bits);
}

static void test_qemu_guard_pages(void **unused)
{
    (void)unused;
    for_each_qemu_path(check_guard_pages);
}

/* The startup choice is the widest path the host runs; bad names change nothing. */
static void test_qemu_selection(void **unused)
{
    (void)unused;
    const char *selected = qemu_buffer_is_zero_accel();
    const char *widest = qemu_buffer_is_zero_use("avx2") ? "avx2" : "sse2";
    assert_true(qemu_buffer_is_zero_use(selected));
    assert_string_equal(selected, widest);
    assert_false(qemu_buffer_is_zero_use("avx512"));
    assert_false(qemu_buffer_is_zero_use(""));
    assert_false(qemu_buffer_is_zero_use(NULL));
    assert_string_equal(qemu_buffer_is_zero_accel(), selected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_selection),
        cmocka_unit_test(test_qemu_lengths_alignments_bits),
        cmocka_unit_test(test_qemu_guard_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

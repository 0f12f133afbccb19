/* Every compiled-in zero-check kernel (and the read-bandwidth references)
 * against lengths, alignments, single non-zero bits, guard pages and large
 * buffers; plus the dispatch of "best". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zc/cpu.h>

#include "cpu/zero_kernels.h"
#include "zero_checks.h"

static bool zero_fn_ok(const struct zc_cpu_variant *v)
{
    if (v->usable)
        return true;
    printf("skipping variant %s: %s\n", v->name, v->why_not);
    return false;
}

static void test_lengths_alignments_bits(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        if (zero_fn_ok(v))
            check_lengths_alignments_bits(v->name, v->fn);
    }
}

static void test_guard_pages(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        if (zero_fn_ok(v))
            check_guard_pages(v->name, v->fn);
    }
}

static void test_large_buffer(void **unused)
{
    (void)unused;
    const size_t len = 64u << 20;
    unsigned char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(buf != MAP_FAILED);
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        if (!zero_fn_ok(v))
            continue;
        assert_true(v->fn(buf, len));
        buf[len - 1] = 4;
        assert_false(v->fn(buf, len));
        assert_false(v->fn(buf + 1, len - 1));
        buf[len - 1] = 0;
        buf[len / 2 + 13] = 0x10;
        assert_false(v->fn(buf, len));
        buf[len / 2 + 13] = 0;
    }
    munmap(buf, len);
}

/* Around ZC_ZERO_STREAM_MIN, where the ymm kernels switch to their
 * streaming blocks: a byte in the first vectors, anywhere in the middle
 * (a prime stride) or in the last few blocks is found by every kernel and
 * every read_or, at several alignments. */
static void test_stream_lengths(void **unused)
{
    (void)unused;
    static const size_t lens[] = {ZC_ZERO_STREAM_MIN - 1, ZC_ZERO_STREAM_MIN, ZC_ZERO_STREAM_MIN + 300};
    static const size_t aligns[] = {0, 1, 33};
    static uint64_t (*const read_ors[])(const void *, size_t) = {
        zc_read_or_u64, zc_read_or_sse2, zc_read_or_avx2, zc_read_or_avx512, zc_read_or_avx512_256};
    static const char *const read_or_isa[] = {"u64", "sse2", "avx2", "avx512", "avx512_256"};
    size_t cap = ZC_ZERO_STREAM_MIN + 400;
    unsigned char *map = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            unsigned char *buf = map + aligns[a];
            size_t len = lens[l];
            for (size_t pos = 0; pos < len; pos += pos < 40 || pos + 200 >= len ? 1 : 16411) {
                buf[pos] = (unsigned char)(1u << (pos & 7));
                for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
                    const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
                    if (zero_fn_ok(v) && v->fn(buf, len))
                        fail_msg("%s: len %zu align %zu byte %zu missed", v->name, len, aligns[a], pos);
                }
                for (size_t r = 0; r < sizeof read_ors / sizeof read_ors[0]; r++)
                    if (zc_cpu_find(read_or_isa[r]) && read_ors[r](buf, len) == 0)
                        fail_msg("read_or %s: len %zu align %zu byte %zu missed", read_or_isa[r], len,
                                 aligns[a], pos);
                buf[pos] = 0;
            }
        }
    munmap(map, cap);
}

static void test_dispatch(void **unused)
{
    (void)unused;
    zc_zero_fn best = zc_cpu_find("best");
    assert_non_null(best);
    const char *best_name = zc_cpu_best_name();
    assert_ptr_equal(zc_cpu_find(best_name), best);
    bool found = false;
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        assert_non_null(v->summary);
        if (v->usable) {
            assert_null(v->why_not);
            assert_ptr_equal(zc_cpu_find(v->name), v->fn);
        } else {
            assert_non_null(v->why_not);
            assert_null(zc_cpu_find(v->name));
        }
        if (strcmp(v->name, best_name) == 0)
            found = v->usable;
    }
    assert_true(found);
    assert_null(zc_cpu_variant_at(zc_cpu_variant_count()));
    assert_null(zc_cpu_find("nonsense"));
    assert_null(zc_cpu_find(""));
    assert_null(zc_cpu_find(NULL));
    assert_non_null(zc_cpu_find("byte"));

    static unsigned char page[4096];
    assert_true(zc_is_zero(page, sizeof page));
    assert_true(zc_is_zero(page, 0));
    page[4095] = 1;
    assert_false(zc_is_zero(page, sizeof page));
    assert_true(zc_is_zero(page, 4095));
    page[4095] = 0;
}

#define MAX_LEN 1024
#define MAX_ALIGN 64
#define SENTINEL 0xff

/* Sentinel bytes on both sides of the buffer, as in check_lengths_alignments_bits. */
static unsigned char arena[MAX_LEN + 4 * MAX_ALIGN] __attribute__((aligned(64)));

static void check_read_or(const char *name, uint64_t (*fn)(const void *, size_t))
{
    memset(arena, SENTINEL, sizeof arena);
    for (size_t align = 0; align < MAX_ALIGN; align += 7) {
        unsigned char *buf = arena + 2 * MAX_ALIGN + align;
        for (size_t len = 0; len <= MAX_LEN; len += len < 300 ? 1 : 37) {
            memset(buf, 0, len);
            if (fn(buf, len) != 0)
                fail_msg("read_or %s: zero len %zu align %zu gave non-zero", name, len, align);
            for (size_t pos = 0; pos < len; pos += len < 300 ? 1 : 5) {
                buf[pos] = (unsigned char)(1u << (pos & 7));
                if (fn(buf, len) == 0)
                    fail_msg("read_or %s: len %zu byte %zu missed", name, len, pos);
                buf[pos] = 0;
            }
            memset(buf, SENTINEL, len);
        }
    }
}

static void test_read_or(void **unused)
{
    (void)unused;
    static const struct {
        const char *name;
        uint64_t (*fn)(const void *, size_t);
    } refs[] = {{"u64", zc_read_or_u64},
                {"sse2", zc_read_or_sse2},
                {"avx2", zc_read_or_avx2},
                {"avx512", zc_read_or_avx512},
                {"avx512_256", zc_read_or_avx512_256}};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        zc_zero_fn usable = zc_cpu_find(refs[i].name);
        if (usable)
            check_read_or(refs[i].name, refs[i].fn);
        else
            printf("skipping read_or %s: not usable here\n", refs[i].name);
    }
    check_read_or("dispatched", zc_cpu_read_or);

    struct guarded g = guarded_map(2);
    for (size_t len = 0; len <= 8192; len += 1 + len / 64) {
        assert_int_equal(zc_cpu_read_or(g.hi - len, len), 0);
        assert_int_equal(zc_cpu_read_or(g.lo, len), 0);
    }
    munmap(g.map, g.map_len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_lengths_alignments_bits),
        cmocka_unit_test(test_guard_pages),
        cmocka_unit_test(test_large_buffer),
        cmocka_unit_test(test_stream_lengths),
        cmocka_unit_test(test_read_or),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

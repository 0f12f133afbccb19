/* Verification in-process: the fill gives exactly the asked zero ratio, the
 * oracle agrees with it, and one wrong page is an error naming that page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zc/error.h>

#include "driver/placement.h"
#include "driver/workload.h"

static const struct zcb_buffer *make(size_t len, size_t gran, double ratio, int at)
{
    struct zcb_fill f = {len, gran, ratio, at, 7, "any", ZCB_BACKING_ANON};
    const struct zcb_buffer *b = zcb_buffer_get(ZCB_SLOT_DATA, &f);
    assert_non_null(b);
    return b;
}

static void fill_matches_the_zero_ratio_at_every_position(void **state)
{
    (void)state;
    for (int at = ZCB_NZ_FIRST; at <= ZCB_NZ_RANDOM; at++) {
        const struct zcb_buffer *b = make(1 << 20, 4096, 0.25, at);
        assert_int_equal(b->pages, 256);
        assert_int_equal(b->oracle_zero, 64);
        for (size_t p = 0; p < b->pages; p++) {
            size_t nonzero = 0, where = 0;
            for (size_t i = 0; i < 4096; i++)
                if (b->data[p * 4096 + i]) {
                    nonzero++;
                    where = i;
                }
            assert_int_equal(nonzero == 0, zcb_oracle_zero(b, p));
            assert_true(nonzero <= 1);
            if (nonzero && at == ZCB_NZ_FIRST)
                assert_int_equal(where, 0);
            if (nonzero && at == ZCB_NZ_LAST)
                assert_int_equal(where, 4095);
            if (nonzero && at == ZCB_NZ_MIDDLE)
                assert_int_equal(where, 2048);
        }
    }
    /* the same fill is the same buffer; another one replaces it */
    const struct zcb_buffer *a = make(65536, 512, 0.5, ZCB_NZ_RANDOM);
    assert_ptr_equal(make(65536, 512, 0.5, ZCB_NZ_RANDOM), a);
    assert_int_equal(make(65536, 512, 1.0, ZCB_NZ_RANDOM)->oracle_zero, 128);
    zcb_buffers_release();
}

static void a_wrong_page_is_an_error_naming_it(void **state)
{
    (void)state;
    const struct zcb_buffer *buf = make(65536, 4096, 0.5, ZCB_NZ_LAST);
    struct zcb_case c = {.backend = "cpu:test"};
    bool answer[16];
    for (size_t p = 0; p < 16; p++)
        answer[p] = zcb_oracle_zero(buf, p);
    struct zcb_bench b = {.c = &c, .buf = buf, .answer = answer, .pages = 16};
    assert_int_equal(zcb_verify_answers(&b), 0);
    assert_int_equal(b.answered_zero, 8);
    answer[11] = !answer[11];
    assert_int_not_equal(zcb_verify_answers(&b), 0);
    assert_non_null(strstr(zc_last_error(), "wrong answer from cpu:test: page 11"));
    zcb_buffers_release();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fill_matches_the_zero_ratio_at_every_position),
        cmocka_unit_test(a_wrong_page_is_an_error_naming_it),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    zcb_placement_shutdown();
    return failed;
}

/* The migration bitmap savevm walks: a save visits every page once, in
 * address order, and a page's bit is gone once it is taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "driver/dirty_bitmap.h"

/* Page counts around the word size: none, within one word, exactly one
 * word, one past it, several words and a tail. */
static const size_t sizes[] = {0, 1, 63, 64, 65, 130, 1000};

static void a_save_walk_visits_every_page_once_in_order(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        struct zcb_dirty_bitmap d;
        assert_int_equal(zcb_dirty_bitmap_init(&d, sizes[k]), 0);
        for (int pass = 0; pass < 2; pass++) {
            zcb_dirty_bitmap_mark_all(&d);
            assert_int_equal(d.dirty, sizes[k]);
            size_t visited = 0;
            for (size_t p = zcb_dirty_bitmap_next(&d, 0); p < d.pages; p = zcb_dirty_bitmap_next(&d, p)) {
                assert_int_equal(p, visited);
                assert_true(zcb_dirty_bitmap_test_and_clear(&d, p));
                visited++;
            }
            assert_int_equal(visited, sizes[k]);
            assert_int_equal(d.dirty, 0);
        }
        zcb_dirty_bitmap_free(&d);
    }
}

static void next_skips_clean_pages_across_words(void **state)
{
    (void)state;
    struct zcb_dirty_bitmap d;
    assert_int_equal(zcb_dirty_bitmap_init(&d, 300), 0);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 0), 300); /* clean at start */
    zcb_dirty_bitmap_mark_all(&d);
    for (size_t p = 0; p < 300; p++)
        if (p != 5 && p != 64 && p != 299)
            zcb_dirty_bitmap_test_and_clear(&d, p);
    assert_int_equal(d.dirty, 3);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 0), 5);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 5), 5);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 6), 64);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 65), 299);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 300), 300);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 5000), 300);
    assert_false(zcb_dirty_bitmap_test_and_clear(&d, 6));
    assert_true(zcb_dirty_bitmap_test_and_clear(&d, 64));
    assert_false(zcb_dirty_bitmap_test_and_clear(&d, 64));
    assert_int_equal(d.dirty, 2);
    assert_int_equal(zcb_dirty_bitmap_next(&d, 6), 299);
    zcb_dirty_bitmap_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_save_walk_visits_every_page_once_in_order),
        cmocka_unit_test(next_skips_clean_pages_across_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The migration bitmap QEMU's RAM save loop walks (migration/ram.c: the
 * RAMBlock's bmap): one bit per guest page, every bit set for the first
 * pass of a save, and per page the loop finds the next dirty page from where
 * it stands and clears that page's bit before it sends it. savevm walks it
 * the same way, so the model's loop carries that per-page work beside the
 * zero check (it stays on the CPU when the check goes to a device). */
#ifndef ZCB_DIRTY_BITMAP_H
#define ZCB_DIRTY_BITMAP_H

#include <stdbool.h>
#include <stddef.h>

struct zcb_dirty_bitmap {
    unsigned long *words;
    size_t pages;
    size_t dirty; /* bits set (QEMU's migration_dirty_pages) */
};

/* All clean; -ENOMEM. */
int zcb_dirty_bitmap_init(struct zcb_dirty_bitmap *d, size_t pages);
void zcb_dirty_bitmap_free(struct zcb_dirty_bitmap *d);
/* Every page dirty: the start of a save. */
void zcb_dirty_bitmap_mark_all(struct zcb_dirty_bitmap *d);
/* The first dirty page at or after `from`; d->pages when there is none. */
size_t zcb_dirty_bitmap_next(const struct zcb_dirty_bitmap *d, size_t from);
/* Clears the page's bit; whether it was set. */
bool zcb_dirty_bitmap_test_and_clear(struct zcb_dirty_bitmap *d, size_t page);

#endif

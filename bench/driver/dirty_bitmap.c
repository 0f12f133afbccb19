#include "dirty_bitmap.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define WORD_BITS (sizeof(unsigned long) * CHAR_BIT)

static size_t words_of(size_t pages)
{
    return (pages + WORD_BITS - 1) / WORD_BITS;
}

int zcb_dirty_bitmap_init(struct zcb_dirty_bitmap *d, size_t pages)
{
    *d = (struct zcb_dirty_bitmap){.pages = pages};
    d->words = calloc(words_of(pages) ? words_of(pages) : 1, sizeof *d->words);
    return d->words ? 0 : -ENOMEM;
}

void zcb_dirty_bitmap_free(struct zcb_dirty_bitmap *d)
{
    free(d->words);
    *d = (struct zcb_dirty_bitmap){0};
}

void zcb_dirty_bitmap_mark_all(struct zcb_dirty_bitmap *d)
{
    size_t n = words_of(d->pages);
    if (!n)
        return;
    memset(d->words, 0xff, n * sizeof *d->words);
    /* Bits past the last page stay clear, so next() never finds them. */
    size_t tail = d->pages % WORD_BITS;
    if (tail)
        d->words[n - 1] = (1UL << tail) - 1;
    d->dirty = d->pages;
}

size_t zcb_dirty_bitmap_next(const struct zcb_dirty_bitmap *d, size_t from)
{
    if (from >= d->pages)
        return d->pages;
    size_t w = from / WORD_BITS;
    unsigned long bits = d->words[w] & (~0UL << (from % WORD_BITS));
    for (size_t n = words_of(d->pages); !bits; bits = d->words[w])
        if (++w == n)
            return d->pages;
    return w * WORD_BITS + (size_t)__builtin_ctzl(bits);
}

bool zcb_dirty_bitmap_test_and_clear(struct zcb_dirty_bitmap *d, size_t page)
{
    unsigned long mask = 1UL << (page % WORD_BITS), *word = &d->words[page / WORD_BITS];
    bool was = *word & mask;
    *word &= ~mask;
    d->dirty -= was;
    return was;
}

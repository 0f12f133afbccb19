/* Growable arrays (the driver's lists, the model's records, discovered WQs). */
#ifndef ZC_GROW_H
#define ZC_GROW_H

#include <stdlib.h>

/* Room for element n of an array of elem-sized elements with *cap slots,
 * doubling from `first`: the array (moved or not), or NULL when out of
 * memory (the old array stays valid). */
static inline void *zc_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return v;
    size_t more = *cap ? 2 * *cap : first;
    void *p = realloc(v, more * elem);
    if (p)
        *cap = more;
    return p;
}

#endif

/* The bit fields the idxd driver prints in sysfs (op_cap, op_config,
 * errors), read into 32-bit words. */
#include <errno.h>
#include <stdio.h>

#include "dsa/hw/internal.h"

int zc_dsa_bitmap_parse(const char *text, uint32_t words[8])
{
    unsigned w[8];
    int end = 0;
    if (sscanf(text, "%8x,%8x,%8x,%8x,%8x,%8x,%8x,%8x%n", &w[7], &w[6], &w[5], &w[4], &w[3],
               &w[2], &w[1], &w[0], &end) != 8 || text[end] != '\0')
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        words[i] = w[i];
    return 0;
}

/* --list-backends: every backend kind and CPU variant, usable or why not,
 * and what DSA discovery found. */
#ifndef ZCB_LISTING_H
#define ZCB_LISTING_H

#include <stdio.h>

void zcb_list_backends(FILE *out);

#endif

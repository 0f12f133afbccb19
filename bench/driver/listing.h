/* --list-backends: every backend kind and CPU variant, usable or why not,
 * what DSA discovery found, and whether the host's QEMU (the program
 * `qemu`) can run. */
#ifndef ZCB_LISTING_H
#define ZCB_LISTING_H

#include <stdio.h>

void zcb_list_backends(FILE *out, const char *qemu);

#endif

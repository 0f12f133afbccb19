/* Internal to the hardware WQ path (dsa/hw*.c). */
#ifndef ZC_DSA_HW_INTERNAL_H
#define ZC_DSA_HW_INTERNAL_H

#include <zc/dsa.h>

struct zc_dsa_hw_wq {
    struct zc_dsa_wq_info info;
    char path[128]; /* /dev/dsa/wqD.Q */
};

/* Finds WQ `want` ("wqD.Q"), or with want NULL the first enabled user WQ,
 * preferring NUMA node `numa` (-1: any). -errno with an actionable message
 * (the command that fixes it) when there is none. */
int zc_dsa_hw_find(const char *want, int numa, struct zc_dsa_hw_wq *out);

#endif

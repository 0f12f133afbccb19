/* Internal to the hardware WQ path (dsa/hw/). */
#ifndef ZC_DSA_HW_INTERNAL_H
#define ZC_DSA_HW_INTERNAL_H

#include <stdbool.h>

#include <zc/dsa.h>

/* The fix for "no usable WQ" (run_all.sh --configure-dsa loads the same). */
#define ZC_DSA_LOAD_CONFIG_HINT "accel-config load-config -c configs/dsa-1dev-1dwq-4eng.conf -e"

struct zc_dsa_hw_wq {
    struct zc_dsa_wq_info info;
    char path[128]; /* /dev/dsa/wqD.Q */
};

/* Finds WQ `want` ("wqD.Q"), or with want NULL the first enabled user WQ,
 * preferring NUMA node `numa` (-1: any). -errno with an actionable message
 * (the command that fixes it) when there is none. */
int zc_dsa_hw_find(const char *want, int numa, struct zc_dsa_hw_wq *out);

/* What discovery saw, for the message that names the fix. */
struct zc_dsa_hw_scan {
    bool driver;              /* /sys/bus/dsa exists (idxd loaded) */
    bool cpu_lacks_movdir64b;
    int devices;              /* DSA devices, enabled or not */
    int kernel_wqs;           /* enabled WQs of kernel type */
    bool named_seen, named_enabled, named_user; /* the WQ asked for by name */
};
/* The -errno and message for a failed search (want NULL: "auto"). */
int zc_dsa_hw_explain(const char *want, const struct zc_dsa_hw_scan *s);

/* The CPU instruction the WQ's mode needs, or -ENOTSUP naming it. */
int zc_dsa_hw_check_cpu(const struct zc_dsa_wq_info *info);
/* open() of the WQ device with actionable errors (permission, missing). */
int zc_dsa_hw_open_device(const char *path);

#endif

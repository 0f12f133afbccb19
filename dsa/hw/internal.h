/* Internal to the hardware WQ path (dsa/hw/). */
#ifndef ZC_DSA_HW_INTERNAL_H
#define ZC_DSA_HW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zc/dsa.h>

#include "dsa/hw/kernel.h"

#ifndef ZC_CONFIG_DIR
#define ZC_CONFIG_DIR "configs"
#endif
/* The fix for "no usable WQ": load-config with -f applies the layout even
 * over an enabled device (it disables it first), as run_all.sh does. */
#define ZC_DSA_LOAD_CONFIG_HINT                                                          \
    "sudo ./run_all.sh --configure-dsa in the zcbench tree, or 'sudo accel-config load-config " \
    "-f -e -c " ZC_CONFIG_DIR "/dsa-1dev-1dwq-4eng.conf'"

/* Finds WQ `want` ("wqD.Q") in the kernel's enumeration: 0 and *out, or
 * -errno with the message that names the fix. */
int zc_dsa_hw_find(const char *want, struct zc_dsa_kwq *out);

/* What discovery saw, for the message that names the fix. */
struct zc_dsa_hw_scan {
    bool driver;              /* /sys/bus/dsa exists (idxd loaded) */
    bool cpu_lacks_movdir64b;
    int devices;              /* DSA devices, enabled or not */
    int kernel_wqs;           /* enabled WQs of kernel type */
    bool named_seen, named_enabled, named_user; /* the WQ asked for by name */
    char no_pasid[32];        /* a device whose pasid_enabled reads 0 */
};
/* The -errno and message for a failed search (want NULL: "auto"). */
int zc_dsa_hw_explain(const char *want, const struct zc_dsa_hw_scan *s);

/* What the device and the kernel allow on a WQ, read from sysfs. */
struct zc_dsa_hw_caps {
    uint32_t ops;       /* opcodes 0..31 in the device's op_cap and the WQ's op_config */
    bool device_bof;    /* gen_cap bit 0 */
    unsigned version;   /* 0x100: DSA 1.0 */
};
/* -errno naming the WQ when the device is of a version this code does not know. */
int zc_dsa_hw_read_caps(const struct zc_dsa_kwq *wq, struct zc_dsa_hw_caps *out);
/* A 256-bit sysfs field (op_cap, op_config, errors) in the format of any
 * kernel (sysfs_bits.c): words[0] holds bits 0..31. 0, or -EINVAL. */
int zc_dsa_bitmap_parse(const char *text, uint32_t words[8]);
/* What device's errors attribute (text) says, in buf: 1 an error is
 * recorded, 0 none, -EINVAL the text is not in a known format. */
int zc_dsa_swerr_describe(const char *device, const char *text, char *buf, size_t len);

/* The CPU instruction the WQ's mode needs on the portal path, and for
 * shared WQs the kernel's enqcmd support, or -ENOTSUP naming what is missing. */
int zc_dsa_hw_check_cpu(const struct zc_dsa_wq_info *info);
/* open() of the WQ device through the kernel table, with actionable
 * errors (permission, missing, busy: clients says how many files hold it). */
int zc_dsa_hw_open_device(const char *name, const char *path, int clients);

/* Whether this process already has hardware WQ `name` open (wq.c). */
bool zc_dsa_hw_in_use(const char *name);

#endif

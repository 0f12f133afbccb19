/* Hardware DSA discovery through libaccel-config, and the diagnosis that
 * turns "it does not work" into the command that fixes it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <accel-config/libaccel_config.h>

#include "cpu/features.h"
#include "dsa/error.h"
#include "dsa/hw/internal.h"

static const char *type_name(enum accfg_wq_type t)
{
    return t == ACCFG_WQT_USER ? "user" : t == ACCFG_WQT_KERNEL ? "kernel" : "none";
}

static const char *state_name(enum accfg_wq_state s)
{
    switch (s) {
    case ACCFG_WQ_ENABLED: return "enabled";
    case ACCFG_WQ_DISABLED: return "disabled";
    case ACCFG_WQ_QUIESCING: return "quiescing";
    case ACCFG_WQ_LOCKED: return "locked";
    default: return "unknown";
    }
}

static unsigned group_engines(struct accfg_device *dev, int group_id)
{
    unsigned n = 0;
    struct accfg_engine *e;
    accfg_engine_foreach(dev, e)
        n += accfg_engine_get_group_id(e) == group_id;
    return n;
}

static void fill_info(struct accfg_device *dev, struct accfg_wq *wq, struct zc_dsa_wq_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->device, sizeof info->device, "%s", accfg_device_get_devname(dev));
    snprintf(info->name, sizeof info->name, "%s", accfg_wq_get_devname(wq));
    info->mode = accfg_wq_get_mode(wq) == ACCFG_WQ_SHARED ? ZC_DSA_SHARED : ZC_DSA_DEDICATED;
    info->size = (unsigned)accfg_wq_get_size(wq);
    info->max_batch = accfg_wq_get_max_batch_size(wq);
    info->max_xfer = accfg_wq_get_max_transfer_size(wq);
    info->numa_node = accfg_device_get_numa_node(dev);
    info->engines = group_engines(dev, accfg_wq_get_group_id(wq));
}

/* Whether idxd is there at all (else the error that says how to load it). */
static int check_driver(void)
{
    struct stat st;
    if (stat("/sys/bus/dsa", &st) == 0)
        return 0;
    struct zc_dsa_hw_scan none = {.cpu_lacks_movdir64b = !zc_cpu_has(ZC_CPU_MOVDIR64B)};
    return zc_dsa_hw_explain(NULL, &none);
}

static int open_ctx(struct accfg_ctx **ctx)
{
    int rc = check_driver();
    if (rc)
        return rc;
    rc = accfg_new(ctx);
    if (rc < 0)
        return zc_fail(-rc > 0 ? -rc : EIO, "libaccel-config: cannot read the idxd sysfs tree: %s",
                       strerror(-rc > 0 ? -rc : EIO));
    return 0;
}

static bool is_dsa(struct accfg_device *dev)
{
    const char *name = accfg_device_get_devname(dev);
    return name && strncmp(name, "dsa", 3) == 0;
}

int zc_dsa_discover(zc_dsa_wq_visit_fn fn, void *ctx)
{
    struct accfg_ctx *ac;
    int rc = open_ctx(&ac);
    if (rc)
        return rc;
    int count = 0;
    struct accfg_device *dev;
    accfg_device_foreach(ac, dev) {
        if (!is_dsa(dev) || accfg_device_get_state(dev) != ACCFG_DEVICE_ENABLED)
            continue;
        struct accfg_wq *wq;
        accfg_wq_foreach(dev, wq) {
            if (accfg_wq_get_state(wq) != ACCFG_WQ_ENABLED)
                continue;
            struct zc_dsa_wq_info info;
            fill_info(dev, wq, &info);
            if (fn)
                fn(&info, type_name(accfg_wq_get_type(wq)), state_name(accfg_wq_get_state(wq)), ctx);
            count++;
        }
    }
    accfg_unref(ac);
    return count;
}

int zc_dsa_hw_explain(const char *want, const struct zc_dsa_hw_scan *s)
{
    if (!s->driver)
        return zc_fail(ENODEV, "idxd module not loaded (no /sys/bus/dsa): run 'modprobe idxd' "
                               "(needs a Xeon with DSA, VT-d on and intel_iommu=on,sm_on)%s",
                       s->cpu_lacks_movdir64b ? "; note: this CPU also lacks MOVDIR64B, so no DSA "
                                                "is reachable from it" : "");
    if (s->devices == 0)
        return zc_fail(ENODEV, "no DSA device found (idxd is loaded but /sys/bus/dsa/devices has "
                               "no dsaN): check that DSA is enabled in the BIOS and the kernel "
                               "booted with intel_iommu=on,sm_on");
    if (want && !s->named_seen)
        return zc_fail(ENODEV, "no WQ named %s on this host: list them with 'accel-config list', "
                               "or configure one with '%s'", want, ZC_DSA_LOAD_CONFIG_HINT);
    if (want && !s->named_enabled)
        return zc_fail(ENODEV, "%s is not enabled: enable it with '%s'", want, ZC_DSA_LOAD_CONFIG_HINT);
    if (want && !s->named_user)
        return zc_fail(EINVAL, "%s is a kernel-type WQ (owned by the kernel's dmaengine driver), "
                               "not a user WQ: reconfigure it with '%s'", want, ZC_DSA_LOAD_CONFIG_HINT);
    return zc_fail(ENODEV, "no enabled user WQ on %d DSA device(s)%s: configure one with '%s'",
                   s->devices, s->kernel_wqs ? " (only kernel-type WQs are enabled)" : "",
                   ZC_DSA_LOAD_CONFIG_HINT);
}

/* want: "wqD.Q", or NULL for the first enabled user WQ, preferring numa. */
int zc_dsa_hw_find(const char *want, int numa, struct zc_dsa_hw_wq *out)
{
    struct zc_dsa_hw_scan scan = {.cpu_lacks_movdir64b = !zc_cpu_has(ZC_CPU_MOVDIR64B)};
    struct stat st;
    scan.driver = stat("/sys/bus/dsa", &st) == 0;
    struct accfg_ctx *ac;
    if (!scan.driver)
        return zc_dsa_hw_explain(want, &scan);
    int rc = open_ctx(&ac);
    if (rc)
        return rc;
    bool found = false;
    struct accfg_device *dev;
    accfg_device_foreach(ac, dev) {
        if (!is_dsa(dev))
            continue;
        scan.devices++;
        bool dev_on = accfg_device_get_state(dev) == ACCFG_DEVICE_ENABLED;
        struct accfg_wq *wq;
        accfg_wq_foreach(dev, wq) {
            bool named = want && strcmp(accfg_wq_get_devname(wq), want) == 0;
            if (want && !named)
                continue;
            bool on = dev_on && accfg_wq_get_state(wq) == ACCFG_WQ_ENABLED;
            bool user = accfg_wq_get_type(wq) == ACCFG_WQT_USER;
            scan.named_seen |= named;
            scan.named_enabled |= named && on;
            scan.named_user |= named && user;
            scan.kernel_wqs += on && !user;
            if (!on || !user)
                continue;
            int node = accfg_device_get_numa_node(dev);
            if (found && !(numa >= 0 && node == numa && out->info.numa_node != numa))
                continue;
            fill_info(dev, wq, &out->info);
            if (accfg_wq_get_user_dev_path(wq, out->path, sizeof out->path) < 0)
                snprintf(out->path, sizeof out->path, "/dev/dsa/%s", accfg_wq_get_devname(wq));
            found = true;
        }
    }
    accfg_unref(ac);
    return found ? 0 : zc_dsa_hw_explain(want, &scan);
}

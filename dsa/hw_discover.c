/* Hardware DSA discovery through libaccel-config, and the diagnosis that
 * turns "it does not work" into the command that fixes it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <accel-config/libaccel_config.h>

#include "cpu/features.h"
#include "dsa/error.h"
#include "dsa/hw_internal.h"

#define LOAD_CONFIG_HINT "accel-config load-config -c configs/dsa-1dev-1dwq-4eng.conf -e"

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

/* Why DSA cannot be reached at all, or 0. */
static int check_driver(void)
{
    struct stat st;
    if (stat("/sys/bus/dsa", &st) != 0)
        return zc_fail(ENODEV, "idxd module not loaded (no /sys/bus/dsa): run 'modprobe idxd' "
                               "(needs a Xeon with DSA, VT-d on and intel_iommu=on,sm_on)%s",
                       zc_cpu_has(ZC_CPU_MOVDIR64B) ? "" : "; note: this CPU also lacks MOVDIR64B, "
                                                          "so no DSA is reachable from it");
    return 0;
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

/* want: "wqD.Q", or NULL for the first enabled user WQ, preferring numa. */
int zc_dsa_hw_find(const char *want, int numa, struct zc_dsa_hw_wq *out)
{
    struct accfg_ctx *ac;
    int rc = open_ctx(&ac);
    if (rc)
        return rc;
    int devices = 0, found = 0;
    struct accfg_device *dev;
    rc = -1;
    accfg_device_foreach(ac, dev) {
        if (!is_dsa(dev))
            continue;
        devices++;
        struct accfg_wq *wq;
        accfg_wq_foreach(dev, wq) {
            bool named = want && strcmp(accfg_wq_get_devname(wq), want) == 0;
            if (want && !named)
                continue;
            if (named && (accfg_device_get_state(dev) != ACCFG_DEVICE_ENABLED ||
                          accfg_wq_get_state(wq) != ACCFG_WQ_ENABLED)) {
                rc = zc_fail(ENODEV, "%s is %s (device %s %s): enable it with '%s'", want,
                             state_name(accfg_wq_get_state(wq)), accfg_device_get_devname(dev),
                             accfg_device_get_state(dev) == ACCFG_DEVICE_ENABLED ? "enabled"
                                                                                 : "disabled",
                             LOAD_CONFIG_HINT);
                goto out;
            }
            if (accfg_wq_get_state(wq) != ACCFG_WQ_ENABLED)
                continue;
            if (accfg_wq_get_type(wq) != ACCFG_WQT_USER) {
                if (named) {
                    rc = zc_fail(EINVAL, "%s is a %s-type WQ (owned by the kernel's dmaengine "
                                         "driver), not a user WQ: reconfigure it with '%s'",
                                 want, type_name(accfg_wq_get_type(wq)), LOAD_CONFIG_HINT);
                    goto out;
                }
                continue;
            }
            int node = accfg_device_get_numa_node(dev);
            if (found && !(numa >= 0 && node == numa && out->info.numa_node != numa))
                continue;
            fill_info(dev, wq, &out->info);
            if (accfg_wq_get_user_dev_path(wq, out->path, sizeof out->path) < 0)
                snprintf(out->path, sizeof out->path, "/dev/dsa/%s", accfg_wq_get_devname(wq));
            found = 1;
        }
    }
    if (found)
        rc = 0;
    else if (devices == 0)
        rc = zc_fail(ENODEV, "no DSA device found (idxd is loaded but /sys/bus/dsa/devices has no "
                             "dsaN): check that DSA is enabled in the BIOS and the kernel booted "
                             "with intel_iommu=on,sm_on");
    else if (want)
        rc = zc_fail(ENODEV, "no WQ named %s on this host: list them with 'accel-config list', "
                             "or configure one with '%s'", want, LOAD_CONFIG_HINT);
    else
        rc = zc_fail(ENODEV, "no enabled user WQ on %d DSA device(s): configure one with '%s'",
                     devices, LOAD_CONFIG_HINT);
out:
    accfg_unref(ac);
    return rc;
}

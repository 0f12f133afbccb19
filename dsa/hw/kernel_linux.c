/* The real kernel: Linux idxd (the WQ character device, its portal, sysfs),
 * libaccel-config for enumeration, and the two store instructions. */
#include <errno.h>
#include <fcntl.h>
#include <immintrin.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <accel-config/libaccel_config.h>

#include "dsa/error.h"
#include "dsa/hw/kernel.h"

#define PORTAL_SIZE 4096
#define SYSFS "/sys/bus/dsa/devices"

static unsigned group_engines(struct accfg_device *dev, int group_id)
{
    unsigned n = 0;
    struct accfg_engine *e;
    accfg_engine_foreach(dev, e)
        n += accfg_engine_get_group_id(e) == group_id;
    return n;
}

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

static void fill_wq(struct accfg_device *dev, bool dev_on, struct accfg_wq *wq, struct zc_dsa_kwq *out)
{
    memset(out, 0, sizeof *out);
    struct zc_dsa_wq_info *info = &out->info;
    snprintf(info->device, sizeof info->device, "%s", accfg_device_get_devname(dev));
    snprintf(info->name, sizeof info->name, "%s", accfg_wq_get_devname(wq));
    info->mode = accfg_wq_get_mode(wq) == ACCFG_WQ_SHARED ? ZC_DSA_SHARED : ZC_DSA_DEDICATED;
    info->size = (unsigned)accfg_wq_get_size(wq);
    info->max_batch = accfg_wq_get_max_batch_size(wq);
    info->max_xfer = accfg_wq_get_max_transfer_size(wq);
    info->numa_node = accfg_device_get_numa_node(dev);
    info->engines = group_engines(dev, accfg_wq_get_group_id(wq));
    enum accfg_wq_state st = accfg_wq_get_state(wq);
    out->enabled = dev_on && st == ACCFG_WQ_ENABLED;
    out->user = accfg_wq_get_type(wq) == ACCFG_WQT_USER;
    out->block_on_fault = accfg_wq_get_block_on_fault(wq) > 0;
    out->clients = accfg_wq_get_clients(wq);
    snprintf(out->type, sizeof out->type, "%s", type_name(accfg_wq_get_type(wq)));
    snprintf(out->state, sizeof out->state, "%s", state_name(st));
    if (accfg_wq_get_user_dev_path(wq, out->path, sizeof out->path) < 0)
        snprintf(out->path, sizeof out->path, "/dev/dsa/%s", info->name);
}

static int linux_enumerate(zc_dsa_kvisit_fn fn, void *ctx)
{
    struct stat st;
    if (stat("/sys/bus/dsa", &st) != 0)
        return -ENODEV; /* discovery names the fix (modprobe idxd) */
    struct accfg_ctx *ac;
    int rc = accfg_new(&ac);
    if (rc < 0)
        return zc_fail(-rc > 0 ? -rc : EIO, "libaccel-config: cannot read the idxd sysfs tree: %s",
                       strerror(-rc > 0 ? -rc : EIO));
    int count = 0;
    struct accfg_device *dev;
    accfg_device_foreach(ac, dev) {
        const char *name = accfg_device_get_devname(dev);
        if (!name || strncmp(name, "dsa", 3) != 0) /* IAX shares the bus */
            continue;
        struct zc_dsa_kdev d = {.numa_node = accfg_device_get_numa_node(dev)};
        snprintf(d.name, sizeof d.name, "%s", name);
        d.enabled = accfg_device_get_state(dev) == ACCFG_DEVICE_ENABLED;
        fn(&d, NULL, ctx);
        struct accfg_wq *wq;
        accfg_wq_foreach(dev, wq) {
            struct zc_dsa_kwq w;
            fill_wq(dev, d.enabled, wq, &w);
            fn(&d, &w, ctx);
            count++;
        }
    }
    accfg_unref(ac);
    return count;
}

static int linux_read_attr(const char *obj, const char *attr, char *buf, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, SYSFS "/%s/%s", obj, attr);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static bool linux_cpuinfo_flag(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return false;
    char line[8192]; /* the flags line is long */
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        char *save = NULL, *colon = strchr(line, ':');
        for (char *tok = colon ? strtok_r(colon + 1, " \t\n", &save) : NULL; tok && !found;
             tok = strtok_r(NULL, " \t\n", &save))
            found = strcmp(tok, flag) == 0;
        break;
    }
    fclose(f);
    return found;
}

static int linux_open(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

static void linux_close(int fd) { close(fd); }

static int linux_mmap_portal(int fd, void **portal)
{
    void *p = mmap(NULL, PORTAL_SIZE, PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    *portal = p;
    return 0;
}

static void linux_munmap_portal(void *portal) { munmap(portal, PORTAL_SIZE); }

static int linux_write_desc(int fd, const struct dsa_hw_desc *d)
{
    ssize_t n = write(fd, d, sizeof *d);
    if (n == (ssize_t)sizeof *d)
        return 0;
    return n < 0 ? -errno : -EIO;
}

static int linux_poll_error(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 0);
    if (n < 0)
        return -errno;
    return n > 0 && (p.revents & POLLIN);
}

__attribute__((target("movdir64b"))) static void linux_movdir64b(void *portal,
                                                                  const struct dsa_hw_desc *d)
{
    _movdir64b(portal, d);
}

__attribute__((target("enqcmd"))) static int linux_enqcmd(void *portal, const struct dsa_hw_desc *d)
{
    return _enqcmd(portal, d); /* ZF: 1 = not accepted */
}

const struct zc_dsa_kernel zc_dsa_kernel_linux = {
    .name = "linux",
    .is_model = false,
    .enumerate = linux_enumerate,
    .read_attr = linux_read_attr,
    .cpuinfo_flag = linux_cpuinfo_flag,
    .cpu_has = zc_cpu_has,
    .open = linux_open,
    .close = linux_close,
    .mmap_portal = linux_mmap_portal,
    .munmap_portal = linux_munmap_portal,
    .write_desc = linux_write_desc,
    .poll_error = linux_poll_error,
    .movdir64b = linux_movdir64b,
    .enqcmd = linux_enqcmd,
};

/* Hardware work queues: the WQ character device, its 4 KiB portal, and
 * the two submission instructions. MOVDIR64B (dedicated WQ) is a posted
 * 64-byte write: the device drops it when the WQ is full, so the caller
 * must count free entries. ENQCMD (shared WQ) is non-posted: ZF=1 means
 * "not accepted, retry". Kernels that refuse the portal mmap to
 * unprivileged processes accept write() of descriptors on the same fd. */
#include <errno.h>
#include <fcntl.h>
#include <immintrin.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/features.h"
#include "dsa/error.h"
#include "dsa/hw/internal.h"
#include "dsa/wq_internal.h"

#define PORTAL_SIZE 4096

struct hw {
    int fd;
    void *portal; /* NULL: submit with write() */
    bool shared;
};

__attribute__((target("movdir64b"))) static void submit_movdir64b(void *portal, const void *desc)
{
    _movdir64b(portal, desc);
}

__attribute__((target("enqcmd"))) static int submit_enqcmd(void *portal, const void *desc)
{
    return _enqcmd(portal, desc); /* ZF: 1 = not accepted */
}

static int parse_name(const char *spec, char *name, size_t len)
{
    const char *n = strncmp(spec, "/dev/dsa/", 9) == 0 ? spec + 9 : spec;
    unsigned d, q;
    int end = 0;
    if (sscanf(n, "wq%u.%u%n", &d, &q, &end) != 2 || n[end] != '\0')
        return zc_fail(EINVAL, "bad work queue '%s' (allowed: wqD.Q or /dev/dsa/wqD.Q, e.g. wq0.0)",
                       spec);
    snprintf(name, len, "wq%u.%u", d, q);
    return 0;
}

int zc_dsa_hw_check_cpu(const struct zc_dsa_wq_info *info)
{
    enum zc_cpu_feature need = info->mode == ZC_DSA_SHARED ? ZC_CPU_ENQCMD : ZC_CPU_MOVDIR64B;
    if (!zc_cpu_has(need))
        return zc_fail(ENOTSUP, "%s is a %s WQ but this CPU lacks %s, needed to submit to it: "
                                "run on a Xeon with DSA (Sapphire Rapids or later), or use the "
                                "model (wq=emu)", info->name,
                       info->mode == ZC_DSA_SHARED ? "shared" : "dedicated",
                       zc_cpu_feature_name(need));
    return 0;
}

int zc_dsa_hw_open_device(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int err = errno;
    if (err == EACCES || err == EPERM)
        return zc_fail(err, "permission denied on %s: run as root, or give your user access "
                            "(e.g. 'chown $USER %s' or a udev rule for /dev/dsa)", path, path);
    if (err == ENOENT)
        return zc_fail(err, "%s does not exist: the WQ is not enabled as a user WQ; run '%s'", path,
                       ZC_DSA_LOAD_CONFIG_HINT);
    return zc_fail(err, "cannot open %s: %s", path, strerror(err));
}

static int hw_open(struct zc_dsa_wq *wq, const char *spec)
{
    char name[32];
    bool any = strcmp(spec, "auto") == 0;
    if (!any) {
        int rc = parse_name(spec, name, sizeof name);
        if (rc)
            return rc;
    }
    struct zc_dsa_hw_wq found;
    unsigned cpu, node;
    bool local = getcpu(&cpu, &node) == 0; /* prefer a WQ on the caller's node */
    int rc = zc_dsa_hw_find(any ? NULL : name, local ? (int)node : -1, &found);
    if (rc)
        return rc;
    if ((rc = zc_dsa_hw_check_cpu(&found.info)) != 0)
        return rc;
    struct hw *h = calloc(1, sizeof *h);
    if (!h)
        return zc_fail(ENOMEM, "out of memory opening %s", found.path);
    h->fd = zc_dsa_hw_open_device(found.path);
    if (h->fd < 0) {
        rc = h->fd;
        free(h);
        return rc;
    }
    h->shared = found.info.mode == ZC_DSA_SHARED;
    void *p = mmap(NULL, PORTAL_SIZE, PROT_WRITE, MAP_SHARED | MAP_POPULATE, h->fd, 0);
    h->portal = p == MAP_FAILED ? NULL : p; /* refused: write() the descriptors instead */
    wq->impl = h;
    wq->info = found.info;
    return 0;
}

static int hw_submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *desc)
{
    struct hw *h = wq->impl;
    _Alignas(64) struct dsa_hw_desc d;
    memcpy(&d, desc, sizeof d);
    /* The descriptor, and the buffers and records it points to, must be
     * globally visible before the device can read them. */
    _mm_sfence();
    if (!h->portal) {
        ssize_t n = write(h->fd, &d, sizeof d);
        if (n == (ssize_t)sizeof d)
            return 0;
        if (n < 0 && (errno == EAGAIN || errno == EBUSY))
            return -EAGAIN;
        return zc_fail(n < 0 ? errno : EIO, "write() of a descriptor to %s failed: %s", wq->info.name,
                       n < 0 ? strerror(errno) : "short write");
    }
    if (h->shared)
        return submit_enqcmd(h->portal, &d) ? -EAGAIN : 0;
    submit_movdir64b(h->portal, &d);
    return 0;
}

static void hw_close(struct zc_dsa_wq *wq)
{
    struct hw *h = wq->impl;
    if (h->portal)
        munmap(h->portal, PORTAL_SIZE);
    close(h->fd);
    free(h);
}

const struct zc_dsa_wq_ops zc_dsa_hw_ops = {
    .name = "hardware",
    .open = hw_open,
    .submit = hw_submit,
    .close = hw_close,
};

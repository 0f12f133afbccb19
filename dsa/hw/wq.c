/* Hardware work queues: the WQ character device, its 4 KiB portal, and
 * the two submission instructions, all through the kernel table. MOVDIR64B
 * (dedicated WQ) is a posted 64-byte write: the device drops it when the
 * WQ is full, so submitters count free entries (zc_dsa_wq_claim). ENQCMD
 * (shared WQ) is non-posted: ZF=1 means "not accepted, retry".
 *
 * A WQ is opened once per process and shared by every handle that names
 * it (the kernel admits one open file per dedicated WQ: a second is
 * EBUSY); its entries are counted once for all of them.
 *
 * Kernels with the INTEL-SA-01084 fix map the portal only for processes
 * with CAP_SYS_RAWIO; without it descriptors go through write() on the
 * same file, one system call each, which refuses BATCH on DSA 1.0. That
 * path is taken only after a NOOP proved it works, and it is labeled
 * (info.path, info.path_note): never a silent fallback. */
#include <errno.h>
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsa/error.h"
#include "dsa/hw/internal.h"
#include "dsa/wq_internal.h"

#define PROBE_TIMEOUT_NS 1000000000ull

/* One open file of a WQ device, shared by the process's handles on it. */
struct hw_file {
    struct hw_file *next;
    int fd;
    void *portal; /* NULL: write() */
    struct zc_dsa_wq_info info;
    struct zc_dsa_credits credits;
    unsigned users;
    /* The write() probe's record: a NOOP that outlives the probe's timeout
     * may still write it, until the file's close drains the WQ. */
    _Alignas(32) struct dsa_completion_record probe_cr;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hw_file *registry;

/* Memory a caller gave up on while the device may still write into it,
 * kept until no WQ file of the process is open: closing the last one is
 * the kernel's drain (files close under registry_lock, so an empty
 * registry means every file open when the memory was handed in is closed). */
struct orphan {
    struct orphan *next;
    void *mem;
};
static struct orphan *orphans;

static struct hw_file *registered(const char *name)
{
    for (struct hw_file *f = registry; f; f = f->next)
        if (strcmp(f->info.name, name) == 0)
            return f;
    return NULL;
}

bool zc_dsa_hw_in_use(const char *name)
{
    pthread_mutex_lock(&registry_lock);
    bool used = registered(name) != NULL;
    pthread_mutex_unlock(&registry_lock);
    return used;
}

unsigned zc_dsa_hw_open_files(void)
{
    unsigned n = 0;
    pthread_mutex_lock(&registry_lock);
    for (struct hw_file *f = registry; f; f = f->next)
        n++;
    pthread_mutex_unlock(&registry_lock);
    return n;
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
    const struct zc_dsa_kernel *k = zc_dsa_kernel();
    bool shared = info->mode == ZC_DSA_SHARED;
    enum zc_cpu_feature need = shared ? ZC_CPU_ENQCMD : ZC_CPU_MOVDIR64B;
    if (!k->cpu_has(need))
        return zc_fail(ENOTSUP, "%s is a %s WQ but this CPU lacks %s, needed to submit to it: "
                                "run on a Xeon with DSA (Sapphire Rapids or later), or use the "
                                "model (wq=emu)", info->name, shared ? "shared" : "dedicated",
                       zc_cpu_feature_name(need));
    if (shared && !k->cpuinfo_flag("enqcmd"))
        return zc_fail(ENOTSUP, "%s is a shared WQ but the kernel does not list enqcmd in "
                                "/proc/cpuinfo: it does not let processes use ENQCMD (needs PASID "
                                "support: Linux 5.18 or later, intel_iommu=on,sm_on); use a "
                                "dedicated WQ", info->name);
    return 0;
}

int zc_dsa_hw_open_device(const char *name, const char *path, int clients)
{
    int fd = zc_dsa_kernel()->open(path);
    if (fd >= 0)
        return fd;
    int err = -fd;
    if (err == EACCES || err == EPERM)
        return zc_fail(err, "permission denied on %s (%s): run as root, or give your user the WQ "
                            "devices with a udev rule (docs/HARDWARE.md: SUBSYSTEM==\"dsa\", "
                            "GROUP=..., MODE=\"0660\")", path, name);
    if (err == ENOENT)
        return zc_fail(err, "%s does not exist: %s is not enabled as a user WQ; run %s", path, name,
                       ZC_DSA_LOAD_CONFIG_HINT);
    if (err == EBUSY)
        return zc_fail(err, "%s is a dedicated WQ another process has open (%d client(s); the "
                            "kernel admits one open file per dedicated WQ: EBUSY): use another WQ "
                            "(wq=auto picks a free one) or a shared WQ", name, clients);
    return zc_fail(err, "cannot open %s (%s): %s", path, name, strerror(err));
}

/* write() works on this kernel: a NOOP goes through and completes (as
 * DTO's test_write_syscall proves before using it). */
static int probe_write(struct hw_file *f)
{
    _Alignas(64) struct dsa_hw_desc d;
    memset(&d, 0, sizeof d);
    memset(&f->probe_cr, 0, sizeof f->probe_cr);
    d.opcode = DSA_OPCODE_NOOP;
    d.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d.completion_addr = (uintptr_t)&f->probe_cr;
    int rc;
    for (int tries = 0; (rc = zc_dsa_kernel()->write_desc(f->fd, &d)) == -EAGAIN && tries < 1000;
         tries++)
        sched_yield();
    if (rc)
        return rc;
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_YIELD, .timeout_ns = PROBE_TIMEOUT_NS};
    int st = zc_dsa_wait(&w, &f->probe_cr);
    return st == DSA_COMP_SUCCESS ? 0 : st < 0 ? st : -EIO;
}

#define RAWIO_HINT                                                                          \
    "the kernel maps WQ portals only for processes with CAP_SYS_RAWIO (the INTEL-SA-01084 " \
    "fix, Linux 6.9.1 and later and stable backports): run as root, or 'sudo setcap "       \
    "cap_sys_rawio+ep' on the zcbench binary (docs/HARDWARE.md)"

/* The portal, or write() when the kernel refuses the mapping for lack of
 * CAP_SYS_RAWIO and write() proves to work. */
static int choose_path(struct hw_file *f, const struct zc_dsa_hw_caps *caps)
{
    struct zc_dsa_wq_info *i = &f->info;
    int rc = zc_dsa_kernel()->mmap_portal(f->fd, &f->portal);
    if (rc == 0) {
        i->path = i->mode == ZC_DSA_SHARED ? ZC_DSA_PATH_ENQCMD : ZC_DSA_PATH_MOVDIR64B;
        /* op_cap hides BATCH on kernels with the fix; the portal takes it. */
        if (i->max_batch >= 2)
            i->ops |= 1u << DSA_OPCODE_BATCH;
        return zc_dsa_hw_check_cpu(i);
    }
    f->portal = NULL;
    if (rc != -EPERM)
        return zc_fail(-rc, "cannot map the portal of %s: %s", i->name, strerror(-rc));
    int probe = probe_write(f);
    if (probe)
        return zc_fail(EPERM, "portal mmap of %s refused (EPERM): %s; and write() submission "
                              "does not work here either (%s)", i->name, RAWIO_HINT,
                       strerror(-probe));
    i->path = ZC_DSA_PATH_WRITE;
    bool batch = caps->ops & (1u << DSA_OPCODE_BATCH);
    snprintf(i->path_note, sizeof i->path_note,
             "portal mmap of %s refused (EPERM): %s; descriptors go through write(), one system "
             "call each%s", i->name, RAWIO_HINT,
             batch ? "" : ", which refuses BATCH descriptors (op_cap lists no BATCH)");
    return 0;
}

static void close_file(struct hw_file *f)
{
    const struct zc_dsa_kernel *k = zc_dsa_kernel();
    if (f->portal)
        k->munmap_portal(f->portal);
    if (f->fd >= 0)
        k->close(f->fd);
    free(f);
}

/* Opens WQ `name` for this process: its capabilities, its file, its
 * submission path. Called with the registry locked. */
static int open_file(const char *name, struct hw_file **out)
{
    struct zc_dsa_kwq w;
    int rc = zc_dsa_hw_find(name, &w);
    struct zc_dsa_hw_caps caps;
    if (!rc)
        rc = zc_dsa_hw_read_caps(&w, &caps);
    if (rc)
        return rc;
    struct hw_file *f = aligned_alloc(_Alignof(struct hw_file), sizeof *f);
    if (!f)
        return zc_fail(ENOMEM, "out of memory opening %s", name);
    memset(f, 0, sizeof *f);
    f->info = w.info;
    f->info.ops = caps.ops;
    f->info.device_bof = caps.device_bof;
    f->info.block_on_fault = w.block_on_fault && caps.device_bof;
    f->info.is_model = f->info.kernel_model = zc_dsa_kernel()->is_model;
    f->fd = zc_dsa_hw_open_device(name, w.path, w.clients);
    rc = f->fd < 0 ? f->fd : choose_path(f, &caps);
    if (rc) {
        close_file(f);
        return rc;
    }
    zc_dsa_credits_init(&f->credits, f->info.size);
    *out = f;
    return 0;
}

static int hw_open(struct zc_dsa_wq *wq, const char *spec)
{
    char name[32];
    int rc;
    if (strcmp(spec, "auto") == 0) {
        unsigned cpu, node;
        bool local = getcpu(&cpu, &node) == 0; /* prefer a WQ on the caller's node */
        struct zc_dsa_wq_info chosen;
        rc = zc_dsa_auto_choose(local ? (int)node : -1, NULL, 0, &chosen, NULL, 0);
        if (!rc)
            snprintf(name, sizeof name, "%s", chosen.name);
    } else {
        rc = parse_name(spec, name, sizeof name);
    }
    if (rc)
        return rc;
    pthread_mutex_lock(&registry_lock);
    struct hw_file *f = registered(name);
    if (!f && (rc = open_file(name, &f)) == 0) {
        f->next = registry;
        registry = f;
    }
    if (!rc) {
        f->users++;
        atomic_fetch_add(&f->credits.users, 1);
        wq->impl = f;
        wq->info = f->info;
        if (f->info.mode == ZC_DSA_DEDICATED)
            wq->credits = &f->credits;
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

static int hw_submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *desc)
{
    struct hw_file *f = wq->impl;
    const struct zc_dsa_kernel *k = zc_dsa_kernel();
    _Alignas(64) struct dsa_hw_desc d;
    memcpy(&d, desc, sizeof d);
    /* The descriptor, and the buffers and records it points to, must be
     * globally visible before the device can read them. */
    _mm_sfence();
    if (f->info.path == ZC_DSA_PATH_WRITE) {
        int rc = k->write_desc(f->fd, &d);
        if (rc == 0 || rc == -EAGAIN)
            return rc;
        return zc_fail(-rc, "write() of a descriptor (opcode %u) to %s failed: %s", d.opcode,
                       f->info.name, strerror(-rc));
    }
    if (f->info.path == ZC_DSA_PATH_ENQCMD)
        return k->enqcmd(f->portal, &d) ? -EAGAIN : 0;
    k->movdir64b(f->portal, &d);
    return 0;
}

static void hw_close(struct zc_dsa_wq *wq)
{
    struct hw_file *f = wq->impl;
    while (wq->held) /* a handle that gave up on lost descriptors returns their entries */
        zc_dsa_wq_release(wq);
    pthread_mutex_lock(&registry_lock);
    atomic_fetch_sub(&f->credits.users, 1);
    if (--f->users == 0) {
        for (struct hw_file **p = &registry; *p; p = &(*p)->next)
            if (*p == f) {
                *p = f->next;
                break;
            }
        close_file(f); /* the kernel's release drains what is still in the WQ */
    }
    struct orphan *drained = registry ? NULL : orphans;
    if (drained)
        orphans = NULL;
    pthread_mutex_unlock(&registry_lock);
    while (drained) {
        struct orphan *next = drained->next;
        free(drained->mem);
        free(drained);
        drained = next;
    }
}

void zc_dsa_free_after_drain(void *mem)
{
    pthread_mutex_lock(&registry_lock);
    bool drained = registry == NULL;
    struct orphan *o = drained ? NULL : malloc(sizeof *o);
    if (o) {
        *o = (struct orphan){orphans, mem};
        orphans = o;
    }
    pthread_mutex_unlock(&registry_lock);
    if (drained)
        free(mem);
    /* Out of memory for the note: mem is never freed, rather than freed
     * under the device. */
}

/* What the kernel exposes: the WQ's state, a software error the device
 * reported (poll() on the fd: POLLIN), the device's error register. */
static int hw_check(struct zc_dsa_wq *wq, char *buf, size_t len)
{
    struct hw_file *f = wq->impl;
    const struct zc_dsa_kernel *k = zc_dsa_kernel();
    char state[32] = "unknown", errors[160] = "unreadable", swerr[200];
    k->read_attr(f->info.name, "state", state, sizeof state);
    /* Decoded when its format is known; else as the kernel printed it. */
    bool decoded = k->read_attr(f->info.device, "errors", errors, sizeof errors) == 0 &&
                   zc_dsa_swerr_describe(f->info.device, errors, swerr, sizeof swerr) >= 0;
    int polled = k->poll_error(f->fd);
    snprintf(buf, len, "%s state %s; poll() on its file: %s; %s/errors: %s", f->info.name, state,
             polled > 0 ? "software error reported (POLLIN)" : polled == 0 ? "no error" : "failed",
             f->info.device, decoded ? swerr : errors);
    if (strcmp(state, "enabled") != 0)
        return -ENODEV;
    return 0;
}

const struct zc_dsa_wq_ops zc_dsa_hw_ops = {
    .name = "hardware",
    .open = hw_open,
    .submit = hw_submit,
    .close = hw_close,
    .check = hw_check,
};

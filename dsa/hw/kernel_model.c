/* The kernel model: a stand-in for Linux idxd and libaccel-config that
 * behaves as the cited kernels do (docs/HARDWARE.md, hw-review.md), so the
 * hardware path above the store instruction runs on a machine without DSA.
 * Its portal store hands the descriptor to an emu model WQ (dsa/emu/),
 * which executes it; everything the process sees of the kernel follows
 * drivers/dma/idxd:
 * - open of the WQ device: -EBUSY when a dedicated WQ already has an open
 *   file (idxd_cdev_open), -ENOENT for WQs without a user device;
 * - kernels with the INTEL-SA-01084 fix (6.9.1 and later; `fixed=1` for a
 *   stable backport): mmap of the portal is -EPERM without CAP_SYS_RAWIO
 *   (`rawio=1` grants it), write() of descriptors exists and refuses BATCH
 *   on DSA 1.0 devices (-EINVAL) and completion records not 32-byte aligned,
 *   and op_cap / op_config hide BATCH on DSA 1.0 (op_cap_show_common).
 *   Earlier kernels have no write() (the VFS answers -EINVAL); a security
 *   policy may refuse the mmap with EPERM on any kernel (`mmap_eperm=1`);
 * - pasid_enabled (`pasid=0`: no shared virtual addressing): from 6.1 on
 *   the kernel enables no user WQ (idxd_user_drv_probe), before it does;
 * - op_config of a WQ exists from 6.3 on (`drop_op=N` leaves opcode N out
 *   of it); gen_cap bit 0 says whether the device supports block on fault
 *   (`dev_bof=0`: it does not); CPUID may lack MOVDIR64B and ENQCMD
 *   (`cpu_submit=0`), which only the portal needs;
 * - a WQ disabled under the process (`disable_after=N` descriptors, or
 *   zc_dsa_kmodel_disable_wq): it reads "disabled" in sysfs, a dedicated
 *   WQ's portal drops what it receives and the device records a software
 *   error (poll() on the fd says POLLIN, dsaN/errors has the valid bit), a
 *   shared WQ's ENQCMD is never accepted again; descriptors already queued
 *   complete (the kernel drains the WQ);
 * - completion records of batch members that the device fails to write
 *   (`lose_records=N`: after N BATCH descriptors; a record write that
 *   fails translation goes to SWERR instead), while the batch's own
 *   record still reports: the case the engine's clearing of member
 *   records guards against (hw-review D7);
 * - a fault reading a batch's descriptor list (`list_fault=N`: the N-th
 *   BATCH descriptor) after half its members (0x06, descriptors completed
 *   in bytes_completed): the case the engine resubmits the unread tail of;
 * - a WQ whose every descriptor completes with an error status
 *   (`fail_wq=wqD.Q`: the device sees a reserved field set), to check
 *   that errors name the WQ that failed;
 * - a slow device (`lat_us=N`: each record appears N us after its
 *   descriptor ran), whose records outlive a short wait's timeout.
 * - dsaN/errors and op_cap in the format of the kernel modeled: a bitmap
 *   from 6.3 (errors) and 6.1 (op_cap), 64-bit words before; the error
 *   recorded is the first one (a record write that failed translation:
 *   0x1a, DSA_COMP_CRA_XLAT, its WQ and opcode; a descriptor a disabled WQ dropped: its WQ
 *   and opcode, code 0, as the code hardware reports there is not known here). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dsa/error.h"
#include "dsa/hw/kernel.h"
#include "dsa/spec.h"

#define MAX_DEVS 8
#define WQS_PER_DEV 8
#define MAX_FILES 64
#define FD_BASE 1000      /* model descriptors, only ever passed back to the model */
#define DEV_ENTRIES 128   /* WQ entries of an SPR device */
#define ENQCMDS_RETRIES 32 /* the kernel's default wq enqcmds_retries */

static const char *const fixed_choices[] = {"auto", "0", "1", NULL};

struct kcfg {
    char kernel[16];
    char fail_wq[16];
    int fixed;                 /* index into fixed_choices */
    unsigned rawio;
    unsigned devices, nodes, dwq, swq, kwq, wq_size, engines, emu_engines, max_batch;
    uint64_t max_xfer;
    unsigned bof, dev_bof, version, enqcmd, pasid, disable_after, lose_records, list_fault, lat_us,
        drop_op,
        cpu_submit, mmap_eperm;
};

#define KOPT(n, field, lo, hi, d, h)                                                       \
    {.name = n, .type = ZC_OPT_UINT, .offset = offsetof(struct kcfg, field), .min = lo,    \
     .max = hi, .def = d, .help = h}
static const struct zc_opt kopts[] = {
    {.name = "kernel", .type = ZC_OPT_STRING, .offset = offsetof(struct kcfg, kernel), .size = 16,
     .def = "6.1", .help = "Linux version whose idxd behaviour is modeled (6.1, 6.9.1, ...)"},
    {.name = "fixed", .type = ZC_OPT_ENUM, .offset = offsetof(struct kcfg, fixed),
     .choices = fixed_choices, .def = "auto",
     .help = "INTEL-SA-01084 fix present (auto: from 6.9.1 on; 1: a stable backport)"},
    KOPT("rawio", rawio, 0, 1, "0", "the process has CAP_SYS_RAWIO (root, or setcap)"),
    KOPT("devices", devices, 1, MAX_DEVS, "1", "DSA devices (dsa0, dsa2, ...), each with the WQs below"),
    KOPT("nodes", nodes, 1, MAX_DEVS, "1", "NUMA nodes the devices spread over (device d on node d % nodes)"),
    KOPT("dwq", dwq, 0, WQS_PER_DEV, "1", "enabled dedicated user WQs per device"),
    KOPT("swq", swq, 0, WQS_PER_DEV, "0", "enabled shared user WQs per device"),
    KOPT("kwq", kwq, 0, WQS_PER_DEV, "0", "enabled kernel-type WQs per device (no user device)"),
    KOPT("wq_size", wq_size, 0, DEV_ENTRIES, "0", "entries per WQ; 0: the device's 128 split evenly"),
    KOPT("engines", engines, 1, 4, "4", "engines in the WQs' group"),
    KOPT("emu_engines", emu_engines, 0, 4, "1", "engine threads of the emu WQ behind each portal"),
    KOPT("max_batch", max_batch, 2, 1024, "1024", "WQ max_batch_size"),
    {.name = "max_xfer", .type = ZC_OPT_SIZE, .offset = offsetof(struct kcfg, max_xfer), .min = 8,
     .max = 1ull << 31, .def = "2M", .help = "WQ max_transfer_size"},
    KOPT("bof", bof, 0, 1, "0", "WQ block_on_fault attribute"),
    KOPT("dev_bof", dev_bof, 0, 1, "1", "the device supports block on fault (gen_cap bit 0)"),
    KOPT("version", version, 1, 3, "1", "DSA version (1: Sapphire Rapids; 3: unknown to zcbench)"),
    KOPT("enqcmd", enqcmd, 0, 1, "1", "the kernel lists enqcmd in /proc/cpuinfo"),
    KOPT("pasid", pasid, 0, 1, "1",
         "the devices' pasid_enabled (0: no shared virtual addressing; from 6.1 on no user WQ is "
         "enabled then)"),
    KOPT("cpu_submit", cpu_submit, 0, 1, "1",
         "the CPU has MOVDIR64B and ENQCMD (0: it lacks both, as hosts without DSA do)"),
    KOPT("mmap_eperm", mmap_eperm, 0, 1, "0",
         "the portal mmap is refused with EPERM whatever the kernel (a security policy)"),
    KOPT("drop_op", drop_op, 0, 32, "32",
         "an opcode the WQs' op_config leaves out (kernels from 6.3; 32: none)"),
    KOPT("disable_after", disable_after, 0, 1000000000, "0",
         "a WQ is disabled after accepting this many descriptors (0: never)"),
    {.name = "fail_wq", .type = ZC_OPT_STRING, .offset = offsetof(struct kcfg, fail_wq), .size = 16,
     .def = NULL, .help = "a WQ (wqD.Q) whose every descriptor completes with an error status"},
    KOPT("lose_records", lose_records, 0, 1000000000, "0",
         "batch members' completion records are lost after this many BATCH descriptors (0: never)"),
    KOPT("list_fault", list_fault, 0, 1000000000, "0",
         "the device faults reading the list of this BATCH descriptor (1: the first) after half "
         "its members, at most 64 (0: never)"),
    KOPT("lat_us", lat_us, 0, 1000000, "0",
         "each record appears this long after its descriptor ran (a slow device: a short "
         "timeout_ms gives up on descriptors that still complete)"),
    {.name = NULL},
};

struct kdev {
    struct zc_dsa_kdev d;
    unsigned id;
    atomic_uint_least64_t swerr; /* word 0 of the software error register */
};

struct kwq {
    struct zc_dsa_kwq d;       /* as enumerated while enabled */
    struct kdev *dev;
    unsigned idx;              /* Q of wqD.Q: the WQ index the device reports */
    atomic_bool disabled;
    atomic_uint_least64_t stores;
    unsigned opens;            /* under the model's lock */
    struct zc_dsa_wq *emu;     /* the device behind the portal while open */
    /* lose_records: the lists the device runs instead and where their
     * members' records go (one of each per WQ entry: never reused while queued). */
    struct dsa_hw_desc *lists;
    struct dsa_completion_record *scratch;
    atomic_uint next_list;
    atomic_uint_least64_t batches;
    /* list_fault: a readable page, then an inaccessible one; the batches
     * the WQ received. */
    uint8_t *fault_pages;
    atomic_uint_least64_t listed;
};

struct kfile {
    bool used;
    struct kwq *wq;
};

struct kmodel {
    struct zc_dsa_kernel ops;
    char name[256];
    struct kcfg cfg;
    bool fixed, has_op_config;
    bool u64_op_cap, u64_errors; /* the format of kernels before 6.1 / 6.3 */
    bool user_wq_needs_pasid;    /* 0ec8ce073944, 6.1 */
    pthread_mutex_t lock;
    unsigned n_devs, n_wqs;
    struct kdev devs[MAX_DEVS];
    struct kwq wqs[MAX_DEVS * WQS_PER_DEV];
    struct kfile files[MAX_FILES];
};

static struct kmodel *model; /* the one in use; replaced only while no file is open */

/* --- what the kernel shows ------------------------------------------- */

static void kmodel_visit_all(zc_dsa_kvisit_fn fn, void *ctx)
{
    for (unsigned d = 0; d < model->n_devs; d++) {
        fn(&model->devs[d].d, NULL, ctx);
        for (unsigned i = 0; i < model->n_wqs; i++) {
            struct kwq *w = &model->wqs[i];
            if (w->dev != &model->devs[d])
                continue;
            struct zc_dsa_kwq now = w->d;
            pthread_mutex_lock(&model->lock);
            now.clients = (int)w->opens;
            pthread_mutex_unlock(&model->lock);
            if (atomic_load(&w->disabled)) {
                now.enabled = false;
                snprintf(now.state, sizeof now.state, "disabled");
            }
            fn(&model->devs[d].d, &now, ctx);
        }
    }
}

static int kmodel_enumerate(zc_dsa_kvisit_fn fn, void *ctx)
{
    kmodel_visit_all(fn, ctx);
    return (int)model->n_wqs;
}

static struct kwq *wq_named(const char *name)
{
    for (unsigned i = 0; i < model->n_wqs; i++)
        if (strcmp(model->wqs[i].d.info.name, name) == 0)
            return &model->wqs[i];
    return NULL;
}

static struct kdev *dev_named(const char *name)
{
    for (unsigned d = 0; d < model->n_devs; d++)
        if (strcmp(model->devs[d].d.name, name) == 0)
            return &model->devs[d];
    return NULL;
}

/* 256 bits as the kernel's %*pb prints them: 8 words, most significant first. */
static void bitmap_text(const uint32_t words[8], char *buf, size_t len)
{
    size_t used = 0;
    for (int i = 7; i >= 0 && used < len; i--)
        used += (size_t)snprintf(buf + used, len - used, "%08x%s", words[i], i ? "," : "");
}

/* Four 64-bit words, least significant first, as kernels before the
 * bitmap format print op_cap ("%#llx") and errors ("%#018llx"). */
static void u64_text(const uint32_t words[8], bool padded, char *buf, size_t len)
{
    size_t used = 0;
    for (int i = 0; i < 4 && used < len; i++) {
        unsigned long long v = (unsigned long long)words[2 * i + 1] << 32 | words[2 * i];
        used += (size_t)snprintf(buf + used, len - used, padded ? "%#018llx%s" : "%#llx%s", v,
                                 i < 3 ? " " : "");
    }
}

/* The device records a software error: the first one stays, later ones
 * set the overflow bit (idxd's union sw_err_reg: valid, overflow, WQ
 * index valid, error code, WQ index, opcode). */
static void record_swerr(struct kwq *w, unsigned code, unsigned opcode)
{
    uint64_t first = 1u | 1u << 3 | (uint64_t)code << 8 | (uint64_t)w->idx << 16 |
                     (uint64_t)opcode << 32;
    uint_least64_t none = 0;
    if (!atomic_compare_exchange_strong(&w->dev->swerr, &none, first))
        atomic_fetch_or(&w->dev->swerr, 2u);
}

/* The opcodes of DSA 1.0: NOOP..DUALCAST, CRCGEN, COPY_CRC, the DIF ops, CFLUSH. */
static void op_cap_words(uint32_t words[8])
{
    memset(words, 0, 8 * sizeof *words);
    words[0] = 0x3ffu | 0x1f0000u;
    words[1] = 1u; /* CFLUSH, 0x20 */
    if (model->fixed && model->cfg.version == 1)
        words[0] &= ~(1u << DSA_OPCODE_BATCH); /* op_cap_show_common */
}

static int kmodel_read_attr(const char *obj, const char *attr, char *buf, size_t len)
{
    struct kdev *dev = dev_named(obj);
    struct kwq *wq = dev ? NULL : wq_named(obj);
    uint32_t words[8] = {0};
    if (dev && strcmp(attr, "op_cap") == 0) {
        op_cap_words(words);
        if (model->u64_op_cap)
            u64_text(words, false, buf, len);
        else
            bitmap_text(words, buf, len);
    } else if (dev && strcmp(attr, "gen_cap") == 0) {
        snprintf(buf, len, "%#llx", 0x40915f0106ull | model->cfg.dev_bof);
    } else if (dev && strcmp(attr, "version") == 0) {
        snprintf(buf, len, "%#x", model->cfg.version << 8);
    } else if (dev && strcmp(attr, "errors") == 0) {
        uint64_t swerr = atomic_load(&dev->swerr);
        words[0] = (uint32_t)swerr;
        words[1] = (uint32_t)(swerr >> 32);
        if (model->u64_errors)
            u64_text(words, true, buf, len);
        else
            bitmap_text(words, buf, len);
    } else if (dev && strcmp(attr, "pasid_enabled") == 0) {
        snprintf(buf, len, "%u", model->cfg.pasid);
    } else if (dev && strcmp(attr, "state") == 0) {
        snprintf(buf, len, "%s", dev->d.enabled ? "enabled" : "disabled");
    } else if (wq && strcmp(attr, "state") == 0) {
        snprintf(buf, len, "%s", atomic_load(&wq->disabled) ? "disabled" : wq->d.state);
    } else if (wq && strcmp(attr, "op_config") == 0 && model->has_op_config) {
        op_cap_words(words);
        if (model->cfg.drop_op < 32)
            words[0] &= ~(1u << model->cfg.drop_op);
        bitmap_text(words, buf, len);
    } else if (wq && strcmp(attr, "block_on_fault") == 0) {
        snprintf(buf, len, "%d", wq->d.block_on_fault);
    } else if (wq && strcmp(attr, "clients") == 0) {
        pthread_mutex_lock(&model->lock);
        snprintf(buf, len, "%u", wq->opens);
        pthread_mutex_unlock(&model->lock);
    } else {
        return -ENOENT;
    }
    return 0;
}

static bool kmodel_cpuinfo_flag(const char *flag)
{
    return strcmp(flag, "enqcmd") == 0 ? model->cfg.enqcmd != 0 : false;
}

static bool kmodel_cpu_has(enum zc_cpu_feature f)
{
    /* The model's portal needs neither instruction: it stands in for a CPU that has them. */
    if (f == ZC_CPU_MOVDIR64B || f == ZC_CPU_ENQCMD)
        return model->cfg.cpu_submit != 0;
    return zc_cpu_has(f);
}

/* --- the WQ file ------------------------------------------------------ */

/* The open file of fd (its slot is not reused before the caller closes fd). */
static struct kfile *file_of(int fd)
{
    unsigned i = (unsigned)(fd - FD_BASE);
    pthread_mutex_lock(&model->lock);
    struct kfile *f = fd >= FD_BASE && i < MAX_FILES && model->files[i].used ? &model->files[i] : NULL;
    pthread_mutex_unlock(&model->lock);
    return f;
}

static void *alloc_aligned(size_t align, size_t bytes)
{
    bytes = (bytes + align - 1) / align * align;
    void *p = aligned_alloc(align, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static void close_device(struct kwq *w)
{
    zc_dsa_wq_close(w->emu); /* the release path drains the WQ */
    if (w->fault_pages)
        munmap(w->fault_pages, 2 * 4096);
    w->fault_pages = NULL;
    free(w->lists);
    free(w->scratch);
    w->emu = NULL;
    w->lists = NULL;
    w->scratch = NULL;
}

static int open_device(struct kwq *w)
{
    const struct zc_dsa_wq_info *i = &w->d.info;
    if (model->cfg.lose_records) {
        w->lists = alloc_aligned(64, (size_t)i->size * i->max_batch * sizeof *w->lists);
        w->scratch = alloc_aligned(32, (size_t)i->size * i->max_batch * sizeof *w->scratch);
        if (!w->lists || !w->scratch) {
            close_device(w);
            return -ENOMEM;
        }
    }
    if (model->cfg.list_fault) {
        void *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || mprotect((char *)p + 4096, 4096, PROT_NONE) != 0) {
            if (p != MAP_FAILED)
                munmap(p, 2 * 4096);
            close_device(w);
            return -ENOMEM;
        }
        w->fault_pages = p;
    }
    char spec[240];
    snprintf(spec, sizeof spec, "emu:mode=%s,wq_size=%u,max_batch=%u,max_xfer=%llu,engines=%u,bof=%u,"
             "lat_ns=%llu", i->mode == ZC_DSA_SHARED ? "shared" : "dedicated", i->size, i->max_batch,
             (unsigned long long)i->max_xfer, model->cfg.emu_engines,
             w->d.block_on_fault && model->cfg.dev_bof, /* WQCFG.bof as idxd programs it */
             model->cfg.lat_us * 1000ull);
    int rc = zc_dsa_wq_open(spec, &w->emu);
    if (rc)
        close_device(w);
    return rc;
}

static int kmodel_open(const char *path)
{
    struct kwq *w = NULL;
    for (unsigned i = 0; i < model->n_wqs && !w; i++)
        if (strcmp(model->wqs[i].d.path, path) == 0)
            w = &model->wqs[i];
    if (!w || !w->d.user || !w->d.enabled || atomic_load(&w->disabled))
        return -ENOENT; /* no character device */
    pthread_mutex_lock(&model->lock);
    int rc = 0;
    unsigned slot = 0;
    while (slot < MAX_FILES && model->files[slot].used)
        slot++;
    if (w->opens && w->d.info.mode == ZC_DSA_DEDICATED)
        rc = -EBUSY;
    else if (slot == MAX_FILES)
        rc = -EMFILE;
    else if (!w->opens && open_device(w) != 0)
        rc = -EIO;
    if (!rc) {
        w->opens++;
        model->files[slot] = (struct kfile){.used = true, .wq = w};
    }
    pthread_mutex_unlock(&model->lock);
    return rc ? rc : FD_BASE + (int)slot;
}

static void kmodel_close(int fd)
{
    struct kfile *f = file_of(fd);
    if (!f)
        return;
    pthread_mutex_lock(&model->lock);
    struct kwq *w = f->wq;
    f->used = false;
    if (--w->opens == 0)
        close_device(w);
    pthread_mutex_unlock(&model->lock);
}

static int kmodel_mmap_portal(int fd, void **portal)
{
    struct kfile *f = file_of(fd);
    if (!f)
        return -EBADF;
    if ((model->fixed && !model->cfg.rawio) || model->cfg.mmap_eperm)
        return -EPERM; /* idxd_cdev_mmap: !user_submission_safe && !capable(CAP_SYS_RAWIO) */
    *portal = f;
    return 0;
}

static void kmodel_munmap_portal(void *portal) { (void)portal; }

/* lose_records: the batch as the device will run it, its members' record
 * writes failing (sent to scratch, the device's error register set). */
static const struct dsa_hw_desc *losing_records(struct kwq *w, const struct dsa_hw_desc *d,
                                                struct dsa_hw_desc *redirected)
{
    if (d->opcode != DSA_OPCODE_BATCH || d->desc_count > w->d.info.max_batch ||
        atomic_fetch_add(&w->batches, 1) < model->cfg.lose_records)
        return d;
    unsigned slot = atomic_fetch_add(&w->next_list, 1) % w->d.info.size;
    struct dsa_hw_desc *list = w->lists + (size_t)slot * w->d.info.max_batch;
    struct dsa_completion_record *lost = w->scratch + (size_t)slot * w->d.info.max_batch;
    memcpy(list, (const void *)(uintptr_t)d->desc_list_addr, (size_t)d->desc_count * sizeof *list);
    for (uint32_t m = 0; m < d->desc_count; m++)
        list[m].completion_addr = (uintptr_t)&lost[m];
    *redirected = *d;
    redirected->desc_list_addr = (uintptr_t)list;
    record_swerr(w, DSA_COMP_CRA_XLAT, list[0].opcode);
    return redirected;
}

/* list_fault: the batch as the device will run it, its list copied to
 * end where the readable page does: the device runs the members before
 * that, then faults reading the list (DSA_COMP_BATCH_PAGE_FAULT, the
 * members it completed in bytes_completed), as when a list page was
 * migrated or swapped out under the process. */
static const struct dsa_hw_desc *faulting_list(struct kwq *w, const struct dsa_hw_desc *d,
                                               struct dsa_hw_desc *redirected)
{
    if (d->opcode != DSA_OPCODE_BATCH || d->desc_count < 2 || d->desc_count > w->d.info.max_batch ||
        atomic_fetch_add(&w->listed, 1) + 1 != model->cfg.list_fault)
        return d;
    uint32_t readable = d->desc_count / 2 < 64 ? d->desc_count / 2 : 64;
    uint8_t *list = w->fault_pages + 4096 - (size_t)readable * sizeof *d;
    memcpy(list, (const void *)(uintptr_t)d->desc_list_addr, (size_t)readable * sizeof *d);
    *redirected = *d;
    redirected->desc_list_addr = (uintptr_t)list;
    return redirected;
}

/* The device receives a descriptor at the WQ's portal: 0 accepted (or, on
 * a dedicated WQ, silently dropped), 1 not accepted (shared WQ full or disabled). */
static int device_receives(struct kwq *w, const struct dsa_hw_desc *d)
{
    if (atomic_load(&w->disabled)) {
        if (w->d.info.mode == ZC_DSA_SHARED)
            return 1;
        record_swerr(w, 0, d->opcode); /* the code a disabled WQ's drop reports is not modeled */
        return 0;
    }
    struct dsa_hw_desc redirected;
    if (w->lists)
        d = losing_records(w, d, &redirected);
    if (w->fault_pages)
        d = faulting_list(w, d, &redirected);
    if (strcmp(w->d.info.name, model->cfg.fail_wq) == 0) {
        if (d != &redirected)
            redirected = *d;
        redirected.rsvd = 1; /* DSA_COMP_NOZERO_RESERVE */
        d = &redirected;
    }
    int rc = zc_dsa_wq_submit(w->emu, d);
    if (rc)
        return 1;
    uint64_t n = atomic_fetch_add(&w->stores, 1) + 1;
    if (model->cfg.disable_after && n >= model->cfg.disable_after)
        atomic_store(&w->disabled, true);
    return 0;
}

static void kmodel_movdir64b(void *portal, const struct dsa_hw_desc *d)
{
    struct kfile *f = portal;
    device_receives(f->wq, d);
}

static int kmodel_enqcmd(void *portal, const struct dsa_hw_desc *d)
{
    struct kfile *f = portal;
    return device_receives(f->wq, d);
}

/* idxd_cdev_write / idxd_submit_user_descriptor. */
static int kmodel_write_desc(int fd, const struct dsa_hw_desc *d)
{
    struct kfile *f = file_of(fd);
    if (!f)
        return -EBADF;
    if (!model->fixed)
        return -EINVAL; /* no .write in the file operations */
    if (d->opcode == DSA_OPCODE_BATCH && model->cfg.version == 1)
        return -EINVAL;
    if (d->completion_addr % 32)
        return -EINVAL;
    if (f->wq->d.info.mode == ZC_DSA_DEDICATED) {
        device_receives(f->wq, d); /* posted: a full WQ drops it unseen */
        return 0;
    }
    for (unsigned i = 0; i <= ENQCMDS_RETRIES; i++)
        if (device_receives(f->wq, d) == 0)
            return 0;
    return -EAGAIN;
}

static int kmodel_poll_error(int fd)
{
    struct kfile *f = file_of(fd);
    return f ? (int)(atomic_load(&f->wq->dev->swerr) & 1) : -EBADF;
}

/* --- building a model ------------------------------------------------- */

static int parse_version(const char *text, unsigned v[3])
{
    v[0] = v[1] = v[2] = 0;
    int end = 0;
    int n = sscanf(text, "%u%n.%u%n.%u%n", &v[0], &end, &v[1], &end, &v[2], &end);
    if (n < 2 || text[end] != '\0')
        return zc_fail(EINVAL, "kernel model: bad value '%s' for kernel (allowed: a Linux version "
                               "such as 6.1 or 6.9.1)", text);
    return 0;
}

static void add_wqs(struct kmodel *m, struct kdev *dev, unsigned size)
{
    const struct kcfg *c = &m->cfg;
    unsigned n = c->dwq + c->swq + c->kwq;
    for (unsigned q = 0; q < n; q++) {
        struct kwq *w = &m->wqs[m->n_wqs++];
        struct zc_dsa_wq_info *i = &w->d.info;
        w->dev = dev;
        w->idx = q;
        _Static_assert(sizeof i->device == sizeof dev->d.name, "device names");
        memcpy(i->device, dev->d.name, sizeof i->device);
        snprintf(i->name, sizeof i->name, "wq%u.%u", dev->id, q);
        i->mode = q >= c->dwq && q < c->dwq + c->swq ? ZC_DSA_SHARED : ZC_DSA_DEDICATED;
        i->size = size;
        i->max_batch = c->max_batch;
        i->max_xfer = c->max_xfer;
        i->numa_node = dev->d.numa_node;
        i->engines = c->engines;
        i->is_model = i->kernel_model = true;
        w->d.user = q < c->dwq + c->swq;
        w->d.enabled = !(w->d.user && m->user_wq_needs_pasid && !c->pasid);
        w->d.block_on_fault = c->bof;
        snprintf(w->d.type, sizeof w->d.type, "%s", w->d.user ? "user" : "kernel");
        snprintf(w->d.state, sizeof w->d.state, "%s", w->d.enabled ? "enabled" : "disabled");
        snprintf(w->d.path, sizeof w->d.path, "/dev/dsa/wq%u.%u", dev->id, q);
    }
}

static int build(struct kmodel *m)
{
    const struct kcfg *c = &m->cfg;
    unsigned v[3];
    int rc = parse_version(c->kernel, v);
    if (rc)
        return rc;
    unsigned long version = v[0] * 10000ul + v[1] * 100ul + v[2];
    m->fixed = c->fixed == 0 ? version >= 60901 : c->fixed == 2;
    m->has_op_config = version >= 60300;
    m->user_wq_needs_pasid = version >= 60100;
    m->u64_op_cap = version < 60100;  /* a8563a33a5e2: op_cap as a bitmap */
    m->u64_errors = version < 60300;  /* "reformat swerror output to standard Linux bitmap" */
    unsigned per_dev = c->dwq + c->swq + c->kwq;
    unsigned size = c->wq_size ? c->wq_size : per_dev ? DEV_ENTRIES / per_dev : 0;
    if ((unsigned long)size * per_dev > DEV_ENTRIES)
        return zc_fail(EINVAL, "kernel model: %u WQs of %u entries exceed a device's %u (allowed: "
                               "wq_size <= %u)", per_dev, size, DEV_ENTRIES,
                       DEV_ENTRIES / (per_dev ? per_dev : 1));
    for (unsigned d = 0; d < c->devices; d++) {
        struct kdev *dev = &m->devs[m->n_devs++];
        dev->id = 2 * d; /* SPR numbers DSA devices dsa0, dsa2, ... (IAX in between) */
        snprintf(dev->d.name, sizeof dev->d.name, "dsa%u", dev->id);
        dev->d.enabled = true;
        dev->d.numa_node = (int)(d % c->nodes);
        add_wqs(m, dev, size);
    }
    return 0;
}

static int parse(const char *spec, struct kcfg *cfg)
{
    struct zc_spec s;
    int rc = zc_spec_parse(spec, &s);
    if (rc)
        return rc;
    if (strcmp(s.kind, "model") != 0)
        rc = zc_fail(EINVAL, "unknown kernel '%s' (allowed: linux, model:key=value,...)", spec);
    else
        rc = zc_opts_apply(kopts, &s, cfg, "kernel model");
    zc_spec_free(&s);
    return rc;
}

static void release(struct kmodel *m)
{
    pthread_mutex_destroy(&m->lock);
    free(m);
}

int zc_dsa_kmodel_new(const char *spec, const struct zc_dsa_kernel **out)
{
    struct kmodel *m = calloc(1, sizeof *m);
    if (!m)
        return zc_fail(ENOMEM, "kernel model: out of memory");
    int rc = parse(spec, &m->cfg);
    if (!rc)
        rc = build(m);
    if (rc) {
        free(m);
        return rc;
    }
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->name, sizeof m->name, "%s", spec);
    m->ops = (struct zc_dsa_kernel){
        .name = m->name,
        .is_model = true,
        .enumerate = kmodel_enumerate,
        .read_attr = kmodel_read_attr,
        .cpuinfo_flag = kmodel_cpuinfo_flag,
        .cpu_has = kmodel_cpu_has,
        .open = kmodel_open,
        .close = kmodel_close,
        .mmap_portal = kmodel_mmap_portal,
        .munmap_portal = kmodel_munmap_portal,
        .write_desc = kmodel_write_desc,
        .poll_error = kmodel_poll_error,
        .movdir64b = kmodel_movdir64b,
        .enqcmd = kmodel_enqcmd,
    };
    if (model)
        release(model);
    model = m;
    *out = &m->ops;
    return 0;
}

void zc_dsa_kmodel_free(const struct zc_dsa_kernel *k)
{
    if (model && k == &model->ops) {
        release(model);
        model = NULL;
    }
}

int zc_dsa_kmodel_disable_wq(const char *name)
{
    struct kwq *w = model ? wq_named(name) : NULL;
    if (!w)
        return zc_fail(ENODEV, "kernel model: no WQ named %s", name ? name : "(null)");
    atomic_store(&w->disabled, true);
    return 0;
}

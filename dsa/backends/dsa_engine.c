#include "dsa/backends/dsa_engine.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zc/dsa.h>

#include "dsa/clock.h"
#include "dsa/error.h"
#include "dsa/spec.h"

const char *const zc_dsa_wait_choices[] = {"spin", "pause", "umwait", "yield", "poller", NULL};
const char *const zc_dsa_recover_choices[] = {"cpu", "resubmit", NULL};

/* Resubmissions of one faulting segment before it is finished on the CPU. */
#define MAX_RESUBMITS 3
/* ENQCMD refusals in a row, with nothing of ours in flight to wait for,
 * before a slot's segments are finished on the CPU. */
#define MAX_ENQCMD_RETRIES 1024
#define PAGE 4096u

/* A polled completion record (a BATCH's, a resubmission's) gets its own
 * cache line, so the device's write never lands in a line another record
 * is polled in. Member records of a batch are read once, after the
 * batch's record says done: packed two per line (32-byte aligned), half
 * the lines to pull in per page. */
struct cr_line {
    struct dsa_completion_record cr;
    uint8_t pad[64 - sizeof(struct dsa_completion_record)];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct cr_line) == 64, "one completion record per line");
_Static_assert(sizeof(struct dsa_hw_desc) == 64, "64-byte descriptors");

/* Preallocated at open, reused: descriptor list, records, page of each member. */
struct slot {
    struct dsa_hw_desc *list;   /* batch entries, 64-byte aligned */
    struct dsa_completion_record *crs; /* one per list entry, 32-byte aligned */
    struct dsa_hw_desc *batch;  /* the BATCH descriptor pointing at list */
    struct cr_line *batch_cr;
    size_t *page;               /* page index of each member */
    void *mem;
    unsigned count;             /* members in flight (0: free) */
    unsigned wq;
    uint64_t seq;               /* submission order: the oldest is waited for */
};

struct zc_dsa_engine {
    const char *who;
    struct zc_dsa_wq *wq[ZC_DSA_MAX_WQS];
    unsigned n_wq, rr;
    unsigned batch, qd;
    uint32_t seg_max;                  /* bytes per descriptor */
    uint32_t member_flags;
    enum zc_dsa_recover recover;
    zc_zero_fn cpu_fn;
    const struct zc_dsa_clock *clock;  /* the WQs' (NULL: host time) */
    struct zc_dsa_waiter waiter;
    bool holds_poller;                 /* wait=poller: the completion thread runs for it */
    struct slot *slots;
    struct dsa_hw_desc *redo;          /* resubmission of a faulted remainder */
    struct cr_line *redo_cr;
    void *redo_mem;
    int broken;                        /* a wait failed (its -errno): the device, or the
                                        * projection, may still write */
    /* What the rows say: names, modes and submission paths, '+'-joined. */
    char wq_names[ZC_DSA_WQ_SPEC_MAX], wq_modes[ZC_DSA_WQ_SPEC_MAX], paths[ZC_DSA_WQ_SPEC_MAX];

    /* The job in progress. */
    const struct zc_be_job *job;
    struct zc_backend_stats *stats;
    uint32_t hdr;                      /* flags | opcode << 24 of every member */
    size_t next_page, end_page;
    uint64_t next_off;                 /* within next_page */
    unsigned busy;                     /* slots in flight */
    uint64_t seq;
    uint64_t wait_base;                /* waiter.wait_cycles at start */
    uint64_t last_done;
    int error;                         /* first failure of the job; drains, then returned */
};

static inline uint8_t status_of(const struct dsa_completion_record *cr)
{
    return __atomic_load_n(&cr->status, __ATOMIC_ACQUIRE) & DSA_COMP_STATUS_MASK;
}

static inline void clear_status(struct dsa_completion_record *cr)
{
    __atomic_store_n(&cr->status, 0, __ATOMIC_RELAXED);
}

/* Status and result: a record the device does not write (a member that
 * never ran) then reads as "not run", never as an earlier job's answer. */
static inline void clear_record(struct dsa_completion_record *cr)
{
    clear_status(cr);
    cr->result = 0;
}

static const char *status_name(unsigned s)
{
    switch (s) {
    case DSA_COMP_NONE: return "none";
    case DSA_COMP_SUCCESS: return "success";
    case DSA_COMP_SUCCESS_PRED: return "success with false predicate";
    case DSA_COMP_PAGE_FAULT_NOBOF: return "page fault without block-on-fault";
    case DSA_COMP_PAGE_FAULT_IR: return "page fault (IR)";
    case DSA_COMP_BATCH_FAIL: return "batch failed";
    case DSA_COMP_BATCH_PAGE_FAULT: return "page fault reading the batch list";
    case DSA_COMP_BAD_OPCODE: return "bad opcode";
    case DSA_COMP_INVALID_FLAGS: return "invalid flags";
    case DSA_COMP_NOZERO_RESERVE: return "non-zero reserved field";
    case DSA_COMP_XFER_ERANGE: return "transfer size out of range";
    case DSA_COMP_DESC_CNT_ERANGE: return "descriptor count out of range";
    case DSA_COMP_DESCLIST_ALIGN: return "misaligned descriptor list";
    case DSA_COMP_CRA_XLAT: return "completion record address translation failed";
    case DSA_COMP_CRA_ALIGN: return "misaligned completion record";
    case DSA_COMP_ADDR_ALIGN: return "misaligned address";
    case DSA_COMP_TRANSLATION_FAIL: return "address translation failed";
    default: return "unexpected status";
    }
}

static int failed_status(struct zc_dsa_engine *e, unsigned w, const char *what, unsigned status)
{
    return zc_fail(EIO, "%s: %s completed with status 0x%02x (%s) on %s", e->who, what, status,
                   status_name(status), zc_dsa_wq_info(e->wq[w])->name);
}

/* After WQ w kept refusing or stayed silent: -ENODEV when the kernel says
 * it is no longer enabled (disabled or reset under us), else 0 with what
 * the kernel exposes in why. */
static int wq_gone(struct zc_dsa_engine *e, unsigned w, char *why, size_t len)
{
    int rc = zc_dsa_wq_check(e->wq[w], why, len);
    if (rc != -ENODEV)
        return 0;
    char what[400];
    snprintf(what, sizeof what, "%s", why);
    return zc_fail(ENODEV, "%s: WQ %s was disabled while in use (%s); the pages it did not "
                           "answer are not finished on the CPU", e->who,
                   zc_dsa_wq_info(e->wq[w])->name, what);
}

/* --- opening ------------------------------------------------------------ */

static int open_wqs(struct zc_dsa_engine *e, const char *spec)
{
    char copy[ZC_DSA_WQ_SPEC_MAX];
    char *items[ZC_DSA_MAX_WQS];
    size_t n;
    snprintf(copy, sizeof copy, "%s", spec);
    int rc = zc_spec_split(copy, '+', items, ZC_DSA_MAX_WQS, &n);
    if (rc) {
        char why[400];
        snprintf(why, sizeof why, "%s", zc_last_error());
        return zc_fail(EINVAL, "%s: bad wq '%s': %s", e->who, spec, why);
    }
    for (size_t i = 0; i < n; i++) {
        rc = zc_dsa_wq_open(items[i], &e->wq[i]);
        if (rc) {
            char why[400];
            snprintf(why, sizeof why, "%s", zc_last_error());
            return zc_fail(-rc, "%s: bad wq '%s': %s", e->who, items[i], why);
        }
        e->n_wq++;
        const struct zc_dsa_clock *clock = zc_dsa_wq_clock(e->wq[i]);
        if (i && clock != e->clock)
            return zc_fail(EINVAL, "%s: wq '%s' mixes projected WQs (emu:clock=virtual) with "
                           "others: their times cannot be compared", e->who, spec);
        e->clock = clock;
    }
    return 0;
}

/* What the WQs must accept: COMPVAL (every zero check), BATCH when
 * batching, BOF when asked for. Refused here, naming the WQ and the fix,
 * rather than failing at the first submission. */
static int check_capabilities(struct zc_dsa_engine *e, bool bof)
{
    for (unsigned i = 0; i < e->n_wq; i++) {
        const struct zc_dsa_wq_info *info = zc_dsa_wq_info(e->wq[i]);
        if (!(info->ops & (1u << DSA_OPCODE_COMPVAL)))
            return zc_fail(ENOTSUP, "%s: WQ %s does not accept COMPVAL (opcode 0x06 is not in its "
                                    "device's op_cap or its op_config)", e->who, info->name);
        if (e->batch > 1 && !(info->ops & (1u << DSA_OPCODE_BATCH)))
            return zc_fail(ENOTSUP, "%s: batch=%u needs BATCH descriptors, which WQ %s does not "
                                    "accept: %s", e->who, e->batch, info->name,
                           info->path_note[0] ? info->path_note
                                              : "BATCH is not in its op_cap or op_config");
        if (bof && !info->device_bof)
            return zc_fail(ENOTSUP, "%s: bof=1 but device %s does not support block on fault "
                                    "(gen_cap bit 0 is clear): use bof=0", e->who, info->device);
        if (bof && !info->block_on_fault)
            return zc_fail(ENOTSUP, "%s: bof=1 but WQ %s does not enable block on fault: set "
                                    "\"block_on_fault\": 1 in its accel-config configuration (or "
                                    "emu:bof=1 on the model), or use bof=0", e->who, info->name);
    }
    return 0;
}

static void join(char *buf, size_t len, unsigned i, const char *item)
{
    size_t used = strlen(buf);
    if (used < len)
        snprintf(buf + used, len - used, "%s%s", i ? "+" : "", item);
}

/* Fills the description every row carries: device label, WQs, modes,
 * submission paths, and a note for what is not plain hardware. */
static void describe(struct zc_dsa_engine *e, struct zc_backend *be)
{
    bool emu = false, kmodel = false;
    char notes[ZC_BE_NOTE_MAX] = "";
    for (unsigned i = 0; i < e->n_wq; i++) {
        const struct zc_dsa_wq_info *info = zc_dsa_wq_info(e->wq[i]);
        emu |= info->is_model && !info->kernel_model;
        kmodel |= info->kernel_model;
        join(e->wq_names, sizeof e->wq_names, i, info->name);
        join(e->wq_modes, sizeof e->wq_modes, i,
             info->mode == ZC_DSA_SHARED ? "shared" : "dedicated");
        join(e->paths, sizeof e->paths, i, zc_dsa_submit_path_name(info->path));
        if (info->path == ZC_DSA_PATH_WRITE && !strstr(notes, info->name)) {
            size_t used = strlen(notes);
            snprintf(notes + used, sizeof notes - used,
                     "%s%s: write() submission, one system call per descriptor (portal mmap "
                     "refused: EPERM, needs CAP_SYS_RAWIO)", used ? "; " : "", info->name);
        }
    }
    if (kmodel) {
        size_t used = strlen(notes);
        snprintf(notes + used, sizeof notes - used, "%skernel model (ZC_DSA_KERNEL=%s): the "
                 "hardware path over a modeled kernel and device, not hardware", used ? "; " : "",
                 zc_dsa_kernel_model() ? zc_dsa_kernel_model() : "?");
    }
    snprintf(be->note, sizeof be->note, "%s", notes);
    struct zc_backend_desc *desc = &be->desc;
    /* Rows of the projection (simulated time) are never read as the
     * model's host speed, nor either as hardware. */
    desc->device = e->clock ? "dsa-projected" : emu ? "dsa-emu" : kmodel ? "dsa-kmodel" : "dsa";
    desc->timing = zc_dsa_wq_info(e->wq[0])->timing;
    desc->wq = e->wq_names;
    desc->wq_mode = e->wq_modes;
    desc->submit_path = e->paths;
    desc->batch = e->batch;
    desc->queue_depth = e->qd;
    desc->n_wq = e->n_wq;
}

/* Batch within every WQ's limit; segments within every WQ's max transfer. */
static int fit_limits(struct zc_dsa_engine *e)
{
    uint64_t seg_max = 1u << 31; /* xfer_size is 32 bits; keep segments 8-byte multiples */
    for (unsigned i = 0; i < e->n_wq; i++) {
        const struct zc_dsa_wq_info *info = zc_dsa_wq_info(e->wq[i]);
        if (e->batch > 1 && (e->batch > info->max_batch || info->max_batch < 2))
            return zc_fail(EINVAL, "%s: batch=%u exceeds the max batch %u of WQ %s (allowed: 2..%u)",
                           e->who, e->batch, info->max_batch, info->name, info->max_batch);
        if (info->max_xfer < seg_max)
            seg_max = info->max_xfer & ~(uint64_t)7;
        if (info->size == 0)
            return zc_fail(EINVAL, "%s: WQ %s has size 0", e->who, info->name);
    }
    if (seg_max < 8)
        return zc_fail(EINVAL, "%s: max transfer size of the WQs is below 8 bytes", e->who);
    e->seg_max = (uint32_t)seg_max;
    return 0;
}

static void *alloc_zeroed(size_t bytes)
{
    bytes = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, bytes);
    if (p)
        memset(p, 0, bytes); /* also faults the memory in before the device sees it */
    return p;
}

static int alloc_slots(struct zc_dsa_engine *e)
{
    e->slots = calloc(e->qd, sizeof *e->slots);
    e->redo_mem = alloc_zeroed(2 * 64);
    if (!e->slots || !e->redo_mem)
        return zc_fail(ENOMEM, "%s: out of memory", e->who);
    e->redo = e->redo_mem;
    e->redo_cr = (struct cr_line *)((char *)e->redo_mem + 64);
    e->redo->completion_addr = (uintptr_t)&e->redo_cr->cr;
    for (unsigned s = 0; s < e->qd; s++) {
        struct slot *sl = &e->slots[s];
        sl->mem = alloc_zeroed((size_t)e->batch * (64 + 32) + 128 + 64);
        sl->page = calloc(e->batch, sizeof *sl->page);
        if (!sl->mem || !sl->page)
            return zc_fail(ENOMEM, "%s: out of memory for %u x %u descriptors", e->who, e->qd,
                           e->batch);
        sl->list = sl->mem;
        sl->crs = (struct dsa_completion_record *)(sl->list + e->batch);
        /* after the records, rounded up to a line */
        sl->batch = (struct dsa_hw_desc *)((char *)sl->list + (size_t)e->batch * 64 +
                                           ((size_t)e->batch * 32 + 63) / 64 * 64);
        sl->batch_cr = (struct cr_line *)(sl->batch + 1);
        for (unsigned m = 0; m < e->batch; m++)
            sl->list[m].completion_addr = (uintptr_t)&sl->crs[m];
        sl->batch->opcode = DSA_OPCODE_BATCH;
        sl->batch->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
        sl->batch->completion_addr = (uintptr_t)&sl->batch_cr->cr;
        sl->batch->desc_list_addr = (uintptr_t)sl->list;
    }
    return 0;
}

int zc_dsa_engine_open(const char *who, const struct zc_dsa_common_cfg *cfg, unsigned batch,
                       unsigned qd, zc_zero_fn cpu_fn, struct zc_backend *be,
                       struct zc_dsa_engine **out)
{
    enum zc_dsa_wait_policy policy;
    int rc = zc_dsa_wait_policy_parse(zc_dsa_wait_choices[cfg->wait], &policy);
    if (rc) {
        char why[400];
        snprintf(why, sizeof why, "%s", zc_last_error());
        return zc_fail(-rc, "%s: wait=%s: %s", who, zc_dsa_wait_choices[cfg->wait], why);
    }
    struct zc_dsa_engine *e = calloc(1, sizeof *e);
    if (!e)
        return zc_fail(ENOMEM, "%s: out of memory", who);
    e->who = who;
    e->batch = batch;
    e->qd = qd;
    e->cpu_fn = cpu_fn;
    e->recover = (enum zc_dsa_recover)cfg->recover;
    e->member_flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR | (cfg->bof ? IDXD_OP_FLAG_BOF : 0);
    e->waiter.policy = policy;
    e->waiter.timeout_ns = (uint64_t)cfg->timeout_ms * 1000000u;
    /* Held from open to close: a completion thread per wait would cost
     * more than the wait. */
    if (policy == ZC_WAIT_POLLER && (rc = zc_dsa_poller_acquire()) == 0)
        e->holds_poller = true;
    if (!rc)
        rc = open_wqs(e, cfg->wq);
    e->waiter.clock = e->clock;
    if (!rc)
        rc = fit_limits(e);
    if (!rc)
        rc = check_capabilities(e, cfg->bof);
    if (!rc)
        rc = alloc_slots(e);
    if (rc) {
        zc_dsa_engine_close(e);
        return rc;
    }
    describe(e, be);
    *out = e;
    return 0;
}

void zc_dsa_engine_close(struct zc_dsa_engine *e)
{
    if (!e)
        return;
    /* WQs first: once closed, nothing writes into the records below,
     * unless a wait timed out and another handle of the process keeps a
     * WQ's file open: then they are kept until it is drained. */
    for (unsigned i = 0; i < e->n_wq; i++)
        zc_dsa_wq_close(e->wq[i]);
    void (*release)(void *) = e->broken ? zc_dsa_free_after_drain : free;
    for (unsigned s = 0; e->slots && s < e->qd; s++) {
        release(e->slots[s].mem);
        free(e->slots[s].page);
    }
    free(e->slots);
    release(e->redo_mem);
    if (e->holds_poller)
        zc_dsa_poller_release();
    free(e);
}

/* --- recovery ----------------------------------------------------------- */

/* Reads one byte of every page of [addr, addr + len) through the kernel
 * (process_vm_readv on ourselves): faults the pages in like a CPU touch
 * would, but an unreadable page becomes false instead of a crash. Where
 * the call itself is refused (seccomp), the pages are touched directly:
 * the caller's buffer is readable by contract. */
static bool touch_readable(uint64_t addr, uint64_t len)
{
    enum { CHUNK = 64 };
    uint8_t sink[CHUNK];
    struct iovec remote[CHUNK];
    for (uint64_t p = addr, end = addr + len; p < end;) {
        size_t k = 0;
        uint64_t first = p;
        for (; k < CHUNK && p < end; k++, p = (p & ~(uint64_t)(PAGE - 1)) + PAGE)
            remote[k] = (struct iovec){(void *)(uintptr_t)p, 1};
        struct iovec local = {sink, k};
        ssize_t got = process_vm_readv(getpid(), &local, 1, remote, k, 0);
        if (got < 0 && (errno == EPERM || errno == ENOSYS)) {
            for (uint64_t q = first; q < p; q = (q & ~(uint64_t)(PAGE - 1)) + PAGE)
                (void)*(const volatile uint8_t *)(uintptr_t)q;
        } else if (got != (ssize_t)k) {
            return false;
        }
    }
    return true;
}

static bool inside(uint64_t addr, uint64_t start, uint64_t len)
{
    return addr >= (start & ~(uint64_t)(PAGE - 1)) && addr < start + len;
}

/* Submits d to WQ w; shared WQs refuse when full: retried, bounded.
 * -EAGAIN when still refused after the bound. */
static int submit_bounded(struct zc_dsa_engine *e, unsigned w, const struct dsa_hw_desc *d)
{
    for (unsigned tries = 0;; tries++) {
        int rc = zc_dsa_wq_submit(e->wq[w], d);
        if (rc != -EAGAIN || tries == MAX_ENQCMD_RETRIES)
            return rc;
        e->stats->retries++;
        _mm_pause();
    }
}

static void on_cpu(struct zc_dsa_engine *e, size_t page, uint64_t src, uint64_t src2, uint32_t len)
{
    const void *a = (const void *)(uintptr_t)src;
    bool same = e->job->op == ZC_BE_ZERO ? e->cpu_fn(a, len)
                                         : memcmp(a, (const void *)(uintptr_t)src2, len) == 0;
    if (!same)
        e->job->out[page] = false;
    e->stats->cpu_pages++;
}

/* The status of what was resubmitted on WQ w (`what`: descriptor, batch),
 * or its failure: a timeout naming the WQ and what the kernel says of it,
 * the WQ disabled, or a projection's stall (its message says why). The
 * engine is unusable after one. */
static int wait_resubmitted(struct zc_dsa_engine *e, unsigned w, const struct dsa_completion_record *cr,
                            const char *what)
{
    int st = zc_dsa_wait(&e->waiter, cr);
    if (st >= 0)
        return st;
    e->broken = st;
    if (st != -ETIMEDOUT)
        return st;
    char why[400];
    int rc = wq_gone(e, w, why, sizeof why);
    if (rc)
        return rc;
    return zc_fail(ETIMEDOUT, "%s: resubmitted %s did not complete on %s within %llu ms (%s)", e->who,
                   what, zc_dsa_wq_info(e->wq[w])->name,
                   (unsigned long long)(e->waiter.timeout_ns / 1000000), why);
}

/* Answers the part of a segment the device did not finish: the device said
 * `status` for [src, src + len) (src2: COMPARE's second buffer). */
static int finish_segment(struct zc_dsa_engine *e, unsigned w, size_t page, uint64_t src,
                          uint64_t src2, uint32_t len, const struct dsa_completion_record *cr,
                          unsigned status)
{
    const struct zc_be_job *job = e->job;
    for (unsigned attempt = 0;; attempt++) {
        if (status == DSA_COMP_SUCCESS) {
            if (cr->result)
                job->out[page] = false;
            return 0;
        }
        uint32_t done = 0;
        if (status == DSA_COMP_PAGE_FAULT_NOBOF) {
            e->stats->faults_recovered++;
            if (cr->result) { /* a difference within bytes_completed: answer known */
                job->out[page] = false;
                return 0;
            }
            done = cr->bytes_completed;
            if (done > len)
                return zc_fail(EIO, "%s: page fault record claims %u of %u bytes done", e->who,
                               done, len);
            if (done == len) /* nothing left: no difference in the whole segment */
                return 0;
            bool ours = inside(cr->fault_addr, src + done, len - done) ||
                        (job->op == ZC_BE_COMPARE && inside(cr->fault_addr, src2 + done, len - done));
            if (!ours)
                return zc_fail(EFAULT, "%s: page fault at 0x%llx outside page %zu of the caller's "
                               "buffer (backends need readable input)", e->who,
                               (unsigned long long)cr->fault_addr, page);
        } else if (status != DSA_COMP_NONE) { /* NONE: a batch member never ran */
            return failed_status(e, w, "descriptor", status);
        }
        src += done;
        src2 += done;
        len -= done;
        if (!touch_readable(src, len) || (job->op == ZC_BE_COMPARE && !touch_readable(src2, len)))
            return zc_fail(EFAULT, "%s: page %zu of the caller's buffer is not readable (the "
                           "device faulted at 0x%llx; backends need readable input)", e->who, page,
                           (unsigned long long)cr->fault_addr);
        if (e->recover == ZC_DSA_RECOVER_CPU || attempt == MAX_RESUBMITS) {
            on_cpu(e, page, src, src2, len);
            return 0;
        }
        memcpy((char *)e->redo + 4, &e->hdr, sizeof e->hdr);
        e->redo->src_addr = src;
        e->redo->src2_addr = job->op == ZC_BE_COMPARE ? src2 : 0;
        e->redo->xfer_size = len;
        clear_record(&e->redo_cr->cr);
        /* The slot's WQ entry, still claimed, carries the resubmission. */
        int rc = submit_bounded(e, w, e->redo);
        char why[400];
        if (rc == -EAGAIN && (rc = wq_gone(e, w, why, sizeof why)) == 0) { /* stays full */
            on_cpu(e, page, src, src2, len);
            return 0;
        }
        if (rc)
            return rc;
        e->stats->retries++;
        e->stats->descriptors++;
        int st = wait_resubmitted(e, w, &e->redo_cr->cr, "descriptor");
        if (st < 0)
            return st;
        status = (unsigned)st;
        cr = &e->redo_cr->cr;
    }
}

/* --- the pipeline ------------------------------------------------------- */

/* Fills sl with up to batch segments from the cursor. */
static void prepare(struct zc_dsa_engine *e, struct slot *sl)
{
    const struct zc_be_job *job = e->job;
    bool cmp = job->op == ZC_BE_COMPARE;
    unsigned m = 0;
    size_t p = e->next_page;
    uint64_t off = e->next_off;
    while (m < e->batch && p < e->end_page) {
        uint64_t left = job->gran - off;
        uint32_t len = left < e->seg_max ? (uint32_t)left : e->seg_max;
        struct dsa_hw_desc *d = &sl->list[m];
        memcpy((char *)d + 4, &e->hdr, sizeof e->hdr);
        d->src_addr = (uintptr_t)(zc_be_page(job, p) + off);
        d->src2_addr = cmp ? (uintptr_t)(zc_be_page2(job, p) + off) : 0; /* COMPVAL: pattern 0 */
        d->xfer_size = len;
        sl->page[m++] = p;
        off += len;
        if (off == job->gran) {
            p++;
            off = 0;
        }
    }
    /* Every member's record is cleared, as every reference does (QEMU,
     * accel-config, dsa-perf-micros, the kernel's own descriptors): a member
     * whose record is not written by the time the batch's is (a record
     * write that failed translation, a WQ disabled under us, a fault record
     * the kernel writes later) then reads "not run" and is answered again,
     * never with an earlier job's result. Its cost: docs/PERFORMANCE.md. */
    for (unsigned k = 0; k < m; k++)
        clear_record(&sl->crs[k]);
    sl->count = m;
    e->next_page = p;
    e->next_off = off;
}

static const struct dsa_completion_record *watched(const struct slot *sl)
{
    return sl->count == 1 ? &sl->crs[0] : &sl->batch_cr->cr;
}

/* The next WQ round-robin with a free entry for us, now claimed; -1 none. */
static int pick_wq(struct zc_dsa_engine *e)
{
    for (unsigned k = 0; k < e->n_wq; k++) {
        unsigned w = (e->rr + k) % e->n_wq;
        if (zc_dsa_wq_claim(e->wq[w])) {
            e->rr = w + 1;
            return (int)w;
        }
    }
    return -1;
}

/* With nothing of ours in flight, only other users of the same dedicated
 * WQs (other backends or threads of this process) hold its entries: wait
 * for one of them to return one, bounded by the wait timeout. */
static int wait_for_entry(struct zc_dsa_engine *e)
{
    uint64_t deadline = zc_rdtsc() + zc_ns_to_tsc(e->waiter.timeout_ns);
    for (;;) {
        int w = pick_wq(e);
        if (w >= 0)
            return w;
        if (zc_rdtsc() >= deadline)
            return zc_fail(ETIMEDOUT, "%s: no free entry on %s within %llu ms: other users of the "
                                      "same dedicated WQ in this process hold all of them",
                           e->who, e->wq_names, (unsigned long long)(e->waiter.timeout_ns / 1000000));
        sched_yield();
    }
}

static struct slot *free_slot(struct zc_dsa_engine *e)
{
    for (unsigned s = 0; s < e->qd; s++)
        if (!e->slots[s].count)
            return &e->slots[s];
    return NULL;
}

/* Answers a prepared slot on the CPU (the WQ kept refusing it). */
static void slot_on_cpu(struct zc_dsa_engine *e, struct slot *sl)
{
    zc_dsa_wq_release(e->wq[sl->wq]);
    for (unsigned m = 0; m < sl->count; m++)
        on_cpu(e, sl->page[m], sl->list[m].src_addr, sl->list[m].src2_addr, sl->list[m].xfer_size);
    sl->count = 0;
}

/* Submits slots while there are pages, free slots and WQ credits. */
static int submit_more(struct zc_dsa_engine *e)
{
    while (e->next_page < e->end_page && !e->error) {
        struct slot *sl = free_slot(e);
        int w = sl ? pick_wq(e) : -1;
        if (w < 0 && sl && !e->busy)
            w = wait_for_entry(e);
        if (w < 0)
            return sl && !e->busy ? w : 0;
        sl->wq = (unsigned)w;
        uint64_t t0 = zc_dsa_clock_now(e->clock);
        size_t page = e->next_page;
        uint64_t off = e->next_off;
        prepare(e, sl);
        const struct dsa_hw_desc *d = sl->list;
        if (sl->count > 1) {
            clear_status(&sl->batch_cr->cr);
            sl->batch->desc_count = sl->count;
            d = sl->batch;
        }
        uint64_t t1 = zc_dsa_clock_now(e->clock);
        int rc = e->busy ? zc_dsa_wq_submit(e->wq[w], d) : submit_bounded(e, (unsigned)w, d);
        uint64_t t2 = zc_dsa_clock_now(e->clock);
        e->stats->submit_cycles += t2 - t0;
        e->stats->portal_cycles += t2 - t1;
        if (rc == -EAGAIN && e->busy) { /* full: wait for one of ours, then retry */
            zc_dsa_wq_release(e->wq[w]);
            e->stats->retries++;
            e->next_page = page;
            e->next_off = off;
            sl->count = 0;
            return 0;
        }
        char why[400];
        if (rc == -EAGAIN && (rc = wq_gone(e, (unsigned)w, why, sizeof why)) == 0) {
            slot_on_cpu(e, sl); /* counted in cpu_pages: the row shows it */
            continue;
        }
        if (rc) {
            zc_dsa_wq_release(e->wq[w]);
            sl->count = 0;
            return rc;
        }
        sl->seq = e->seq++;
        e->busy++;
        e->stats->descriptors += sl->count;
        e->stats->batches += sl->count > 1;
    }
    return 0;
}

/* The device faulted reading a batch's list (0x06) after running its
 * first members (descriptors completed, in bytes_completed); the members
 * it did not read go again as one batch, as accel-config's
 * dsa_reprep_batch does, once the list's pages are faulted in. Members
 * are cleared before each submission, so whatever did not run reads
 * "not run" afterwards and finish_segment answers it. */
static int resubmit_tail(struct zc_dsa_engine *e, struct slot *sl, unsigned n)
{
    unsigned first = 0;
    for (unsigned attempt = 0; attempt < MAX_RESUBMITS; attempt++) {
        uint32_t completed = sl->batch_cr->cr.bytes_completed;
        if (completed > n - first)
            return zc_fail(EIO, "%s: batch record on %s claims %u of %u descriptors completed",
                           e->who, zc_dsa_wq_info(e->wq[sl->wq])->name, completed, n - first);
        first += completed;
        if (n - first < 2 || !touch_readable((uintptr_t)(sl->list + first), (n - first) * 64ull))
            return 0; /* a lone member goes alone */
        sl->batch->desc_list_addr = (uintptr_t)(sl->list + first);
        sl->batch->desc_count = n - first;
        clear_status(&sl->batch_cr->cr);
        /* The slot's WQ entry, still claimed, carries it; the portal copies the descriptor. */
        int rc = submit_bounded(e, sl->wq, sl->batch);
        sl->batch->desc_list_addr = (uintptr_t)sl->list;
        char why[400];
        if (rc == -EAGAIN && (rc = wq_gone(e, sl->wq, why, sizeof why)) == 0)
            return 0; /* stays full: the members go one by one */
        if (rc)
            return rc;
        e->stats->retries++;
        e->stats->batches++;
        e->stats->descriptors += n - first;
        int st = wait_resubmitted(e, sl->wq, &sl->batch_cr->cr, "batch");
        if (st < 0)
            return st;
        if (st != DSA_COMP_BATCH_PAGE_FAULT)
            return st == DSA_COMP_SUCCESS || st == DSA_COMP_BATCH_FAIL
                       ? 0 : failed_status(e, sl->wq, "resubmitted BATCH descriptor", (unsigned)st);
        e->stats->faults_recovered++;
    }
    return 0;
}

/* Reads a completed slot's records into the job's answers. */
static int complete(struct zc_dsa_engine *e, struct slot *sl, unsigned status)
{
    const struct zc_be_job *job = e->job;
    e->busy--;
    unsigned n = sl->count;
    sl->count = 0;
    int rc = 0;
    if (n > 1 && status != DSA_COMP_SUCCESS && status != DSA_COMP_BATCH_FAIL &&
        status != DSA_COMP_BATCH_PAGE_FAULT)
        rc = failed_status(e, sl->wq, "BATCH descriptor", status);
    if (n > 1 && status == DSA_COMP_BATCH_PAGE_FAULT) {
        e->stats->faults_recovered++;
        if (e->recover == ZC_DSA_RECOVER_RESUBMIT)
            rc = resubmit_tail(e, sl, n);
    }
    uint64_t t0 = zc_dsa_clock_now(e->clock);
    for (unsigned m = 0; m < n && !rc; m++) {
        const struct dsa_completion_record *cr = &sl->crs[m];
        unsigned st = status_of(cr); /* cleared before submission: 0 is "not run" */
        if (st == DSA_COMP_SUCCESS) {
            if (cr->result)
                job->out[sl->page[m]] = false;
            continue;
        }
        e->stats->submit_cycles += zc_dsa_clock_now(e->clock) - t0;
        const struct dsa_hw_desc *d = &sl->list[m];
        rc = finish_segment(e, sl->wq, sl->page[m], d->src_addr, d->src2_addr, d->xfer_size, cr, st);
        t0 = zc_dsa_clock_now(e->clock);
    }
    e->stats->submit_cycles += zc_dsa_clock_now(e->clock) - t0;
    zc_dsa_wq_release(e->wq[sl->wq]); /* after any resubmission on it */
    return rc;
}

/* Reaps every completed slot; a failure is kept and new submissions stop,
 * so the job drains before the error is returned. */
static void reap(struct zc_dsa_engine *e)
{
    zc_dsa_clock_poll(e->clock);
    for (unsigned s = 0; s < e->qd && e->busy; s++) {
        struct slot *sl = &e->slots[s];
        if (!sl->count)
            continue;
        unsigned status = status_of(watched(sl));
        if (!status)
            continue;
        e->last_done = zc_dsa_clock_now(e->clock);
        int rc = complete(e, sl, status);
        if (rc && !e->error)
            e->error = rc;
    }
}

static int wait_oldest(struct zc_dsa_engine *e)
{
    struct slot *oldest = NULL;
    for (unsigned s = 0; s < e->qd; s++)
        if (e->slots[s].count && (!oldest || e->slots[s].seq < oldest->seq))
            oldest = &e->slots[s];
    int st = zc_dsa_wait(&e->waiter, watched(oldest));
    if (st >= 0)
        return 0;
    e->broken = st;
    if (st != -ETIMEDOUT) /* a projection's stall: its message says why */
        return st;
    char why[400];
    int rc = wq_gone(e, oldest->wq, why, sizeof why);
    if (rc)
        return rc;
    return zc_fail(ETIMEDOUT, "%s: no completion from WQ %s within %llu ms: %s", e->who,
                   zc_dsa_wq_info(e->wq[oldest->wq])->name,
                   (unsigned long long)(e->waiter.timeout_ns / 1000000), why);
}

int zc_dsa_engine_start(struct zc_dsa_engine *e, const struct zc_be_job *job, size_t first,
                        size_t count, struct zc_backend_stats *stats)
{
    if (e->broken)
        return zc_fail(EIO, "%s: unusable after %s; reopen the backend", e->who,
                       e->broken == -EDEADLK ? "a stall of the projection's simulated time"
                                             : "a device timeout");
    for (unsigned i = 0; job->op == ZC_BE_COMPARE && i < e->n_wq; i++)
        if (!(zc_dsa_wq_info(e->wq[i])->ops & (1u << DSA_OPCODE_COMPARE)))
            return zc_fail(ENOTSUP, "%s: WQ %s does not accept COMPARE (opcode 0x05 is not in its "
                                    "device's op_cap or its op_config)", e->who,
                           zc_dsa_wq_info(e->wq[i])->name);
    e->job = job;
    e->stats = stats;
    e->hdr = e->member_flags |
             (uint32_t)(job->op == ZC_BE_ZERO ? DSA_OPCODE_COMPVAL : DSA_OPCODE_COMPARE) << 24;
    e->next_page = first;
    e->end_page = first + count;
    e->next_off = 0;
    e->error = 0;
    e->wait_base = e->waiter.wait_cycles;
    e->last_done = zc_dsa_clock_now(e->clock);
    for (size_t i = first; i < first + count; i++)
        job->out[i] = true; /* a segment with a difference clears its page */
    int rc = submit_more(e);
    if (rc && !e->error)
        e->error = rc;
    return 0;
}

int zc_dsa_engine_poll(struct zc_dsa_engine *e)
{
    reap(e);
    int rc = submit_more(e);
    if (rc && !e->error)
        e->error = rc;
    return 0;
}

int zc_dsa_engine_finish(struct zc_dsa_engine *e)
{
    int rc = 0;
    for (;;) {
        zc_dsa_engine_poll(e);
        if (!e->busy) {
            if (e->next_page < e->end_page && !e->error) /* cannot happen: no silent gaps */
                rc = zc_fail(EIO, "%s: pipeline stalled at page %zu", e->who, e->next_page);
            break;
        }
        rc = wait_oldest(e);
        if (rc)
            break;
    }
    e->stats->wait_cycles += e->waiter.wait_cycles - e->wait_base;
    e->wait_base = e->waiter.wait_cycles;
    if (!rc)
        rc = e->error; /* its zc_fail message stands */
    e->job = NULL;
    return rc;
}

int zc_dsa_engine_run(struct zc_dsa_engine *e, const struct zc_be_job *job, size_t first,
                      size_t count, struct zc_backend_stats *stats)
{
    int rc = zc_dsa_engine_start(e, job, first, count, stats);
    return rc ? rc : zc_dsa_engine_finish(e);
}

uint64_t zc_dsa_engine_last_completion(const struct zc_dsa_engine *e) { return e->last_done; }

uint64_t zc_dsa_engine_now_cycles(const struct zc_dsa_engine *e) { return zc_dsa_clock_now(e->clock); }

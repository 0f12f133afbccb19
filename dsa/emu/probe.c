/* The model's page walk: which page of a buffer the device could not
 * access. Probing never raises a signal: process_vm_readv/writev on our own
 * process return at the first inaccessible page (PROT_NONE, unmapped,
 * read-only for writes), and mincore says which pages are not resident.
 *
 * Where a seccomp policy refuses process_vm_*, a per-thread pipe does the
 * same one location at a time (write() from an address that cannot be
 * read, or read() into one that cannot be written, fails with EFAULT).
 *
 * System calls are the model's main cost, so a small translation cache
 * (like the device's) remembers the pages found accessible while one
 * descriptor (a whole batch included) runs, and a batch prefetches the
 * translations of all its members' sources in a few calls. The cache is
 * emptied before each descriptor: memory the application remaps between
 * descriptors is probed afresh. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dsa/emu/internal.h"

#define PAGE 4096ull
#define CHUNK 64        /* pages per call on the walk */
#define PREFETCH 1024   /* IOV_MAX: pages per prefetch call */

static uint64_t page_of(uint64_t addr) { return addr & ~(PAGE - 1); }

/* getpid() is a system call in current glibc; engine threads never change
 * process (the model does not survive fork). */
static pid_t self(void)
{
    static _Thread_local pid_t pid;
    if (!pid)
        pid = getpid();
    return pid;
}

void zc_emu_tlb_flush(struct zc_emu_tlb *t)
{
    if (++t->gen == 0) { /* wrapped: stale tags could match again */
        memset(t->tag, 0, sizeof t->tag);
        t->gen = 1;
    }
}

static unsigned slot_of(uint64_t page) { return (unsigned)(page / PAGE) % ZC_EMU_TLB_SLOTS; }

static bool tlb_hit(const struct zc_emu_tlb *t, uint64_t page, enum zc_emu_access access)
{
    if (!t)
        return false;
    unsigned s = slot_of(page);
    return t->tag[s] == page && t->gen_of[s] == t->gen &&
           (access == ZC_EMU_READ || t->writable[s]);
}

static void tlb_fill(struct zc_emu_tlb *t, uint64_t page, enum zc_emu_access access)
{
    if (!t)
        return;
    unsigned s = slot_of(page);
    bool same = t->tag[s] == page && t->gen_of[s] == t->gen;
    t->writable[s] = access == ZC_EMU_WRITE || (same && t->writable[s]);
    t->tag[s] = page;
    t->gen_of[s] = t->gen;
}

/* Index of the first non-resident page among n pages from first. */
static uint64_t first_nonresident(uint64_t first, uint64_t n)
{
    unsigned char vec[CHUNK];
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < CHUNK ? n - done : CHUNK;
        if (mincore((void *)(uintptr_t)(first + done * PAGE), k * PAGE, vec) != 0)
            return done; /* unmapped: the access probe reports it */
        for (uint64_t i = 0; i < k; i++)
            if (!(vec[i] & 1))
                return done + i;
        done += k;
    }
    return n;
}

/* --- the two ways to touch memory without a signal ------------------------
 * process_vm_readv/writev on ourselves (one call for many locations), or,
 * where a seccomp policy refuses those, a pipe: write() from an address
 * fails with EFAULT when it cannot be read, read() into one when it cannot
 * be written. */

static atomic_int use_pipe = -1; /* -1: not decided yet */

void zc_emu_probe_use_pipe(bool on) { atomic_store(&use_pipe, on); }

static bool pipe_mode(void)
{
    int v = atomic_load_explicit(&use_pipe, memory_order_relaxed);
    if (v < 0) {
        unsigned char here = 1, got;
        struct iovec l = {&got, 1}, r = {&here, 1};
        v = process_vm_readv(self(), &l, 1, &r, 1, 0) != 1;
        atomic_store(&use_pipe, v);
    }
    return v;
}

static pthread_key_t pipe_key;
static pthread_once_t pipe_key_once = PTHREAD_ONCE_INIT;
static _Thread_local int pipe_fd[2] = {-1, -1};

static void pipe_close(void *unused)
{
    (void)unused;
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    pipe_fd[0] = pipe_fd[1] = -1;
}

static void pipe_key_init(void) { pthread_key_create(&pipe_key, pipe_close); }

/* This thread's pipe (closed when the thread exits); false if none. */
static bool pipe_ready(void)
{
    if (pipe_fd[0] >= 0)
        return true;
    pthread_once(&pipe_key_once, pipe_key_init);
    if (pipe2(pipe_fd, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    pthread_setspecific(pipe_key, pipe_fd);
    return true;
}

/* Copies len bytes from src to dst through the pipe; false when either
 * side faults (nothing is left in the pipe). */
static bool pipe_copy(void *dst, const void *src, size_t len)
{
    if (!pipe_ready())
        return false;
    if (write(pipe_fd[1], src, len) == (ssize_t)len && read(pipe_fd[0], dst, len) == (ssize_t)len)
        return true;
    unsigned char drain[64]; /* a partial write or a refused read leaves bytes */
    while (read(pipe_fd[0], drain, sizeof drain) > 0)
        ;
    return false;
}

/* How many of the k one-byte locations can be read (and, for writes,
 * written back unchanged), stopping at the first that cannot. A written-
 * back byte lies in the range the operation itself writes before any later
 * fault, so the probe never changes memory the operation would not. */
static uint64_t probe_bytes(struct iovec *remote, uint64_t k, enum zc_emu_access access)
{
    unsigned char bytes[PREFETCH];
    if (pipe_mode()) {
        uint64_t ok = 0;
        for (; ok < k; ok++) {
            if (!pipe_copy(&bytes[0], remote[ok].iov_base, 1))
                break;
            if (access == ZC_EMU_WRITE && !pipe_copy(remote[ok].iov_base, &bytes[0], 1))
                break;
        }
        return ok;
    }
    struct iovec local = {bytes, k};
    ssize_t got = process_vm_readv(self(), &local, 1, remote, k, 0);
    uint64_t ok = got < 0 ? 0 : (uint64_t)got;
    if (access == ZC_EMU_WRITE && ok > 0) {
        local.iov_len = ok;
        ssize_t put = process_vm_writev(self(), &local, 1, remote, ok, 0);
        ok = put < 0 ? 0 : (uint64_t)put;
    }
    return ok;
}

/* Writes len bytes at dst unless its page is not writable. */
static bool checked_write(void *dst, const void *src, size_t len)
{
    if (pipe_mode())
        return pipe_copy(dst, src, len);
    struct iovec local = {(void *)src, len}, remote = {dst, len};
    return process_vm_writev(self(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* Index of the first page among n pages from first that is not accessible. */
static uint64_t first_inaccessible(struct zc_emu_tlb *t, uint64_t first, uint64_t start,
                                   uint64_t n, enum zc_emu_access access)
{
    struct iovec remote[CHUNK];
    uint64_t index[CHUNK];
    uint64_t k = 0;
    for (uint64_t i = 0; i <= n; i++) {
        if (i < n) {
            uint64_t page = first + i * PAGE;
            if (tlb_hit(t, page, access))
                continue;
            remote[k].iov_base = (void *)(uintptr_t)(page < start ? start : page);
            remote[k].iov_len = 1;
            index[k++] = i;
        }
        if (k == CHUNK || (i == n && k)) {
            uint64_t ok = probe_bytes(remote, k, access);
            for (uint64_t j = 0; j < ok; j++)
                tlb_fill(t, page_of((uint64_t)(uintptr_t)remote[j].iov_base), access);
            if (ok < k)
                return index[ok];
            k = 0;
        }
    }
    return n;
}

struct zc_emu_fault zc_emu_probe(struct zc_emu_tlb *t, int fault_mode, uint64_t addr, uint64_t len,
                                 enum zc_emu_access access, bool bof)
{
    struct zc_emu_fault f = {.offset = len};
    if (len == 0)
        return f;
    uint64_t first = page_of(addr);
    uint64_t n = (page_of(addr + len - 1) - first) / PAGE + 1;
    /* Residency first: the access probe itself would fault pages in. */
    uint64_t limit = n;
    if (fault_mode == ZC_EMU_FAULT_NONRESIDENT && !bof)
        limit = first_nonresident(first, n);
    uint64_t bad = first_inaccessible(t, first, addr, limit, access);
    if (bad == n)
        return f;
    uint64_t at = first + bad * PAGE;
    f.offset = at < addr ? 0 : at - addr;
    f.irrecoverable = bof;
    return f;
}

/* Probes k one-byte locations into the cache, past any that fail (the
 * walk of the member that owns a failing page reports it). */
static void prefetch_chunk(struct zc_emu_tlb *t, struct iovec *remote, uint64_t k)
{
    for (uint64_t off = 0; off < k;) {
        uint64_t ok = probe_bytes(remote + off, k - off, ZC_EMU_READ);
        for (uint64_t j = off; j < off + ok; j++)
            tlb_fill(t, page_of((uint64_t)(uintptr_t)remote[j].iov_base), ZC_EMU_READ);
        off += ok + 1;
    }
}

void zc_emu_prefetch(struct zc_emu_tlb *t, const struct zc_emu_range *r, size_t n)
{
    struct iovec remote[PREFETCH];
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!r[i].len)
            continue;
        uint64_t last = page_of(r[i].addr + r[i].len - 1);
        for (uint64_t page = page_of(r[i].addr); page <= last; page += PAGE) {
            if (tlb_hit(t, page, ZC_EMU_READ))
                continue;
            remote[k].iov_base = (void *)(uintptr_t)(page < r[i].addr ? r[i].addr : page);
            remote[k++].iov_len = 1;
            if (k == PREFETCH) {
                prefetch_chunk(t, remote, k);
                k = 0;
            }
        }
    }
    prefetch_chunk(t, remote, k);
}

bool zc_emu_store_record(struct zc_emu_tlb *t, struct dsa_completion_record *where,
                         const struct dsa_completion_record *rec)
{
    /* 32-byte aligned: one page. The record's body goes first; its write
     * is the probe when the page is not known writable. */
    uint64_t page = page_of((uint64_t)(uintptr_t)where);
    const uint8_t *body = (const uint8_t *)rec + 1;
    size_t len = sizeof *rec - 1;
    if (tlb_hit(t, page, ZC_EMU_WRITE)) {
        memcpy((uint8_t *)where + 1, body, len);
    } else {
        if (!checked_write((uint8_t *)where + 1, body, len))
            return false;
        tlb_fill(t, page, ZC_EMU_WRITE);
    }
    /* Release: a poller that sees the status (acquire) sees the record. */
    __atomic_store_n((uint8_t *)&where->status, rec->status, __ATOMIC_RELEASE);
    return true;
}

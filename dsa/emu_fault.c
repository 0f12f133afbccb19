/* The model's page walk: which page of a buffer the device could not
 * access. Probing never raises a signal: process_vm_readv/writev on our own
 * process return at the first inaccessible page (PROT_NONE, unmapped,
 * read-only for writes), and mincore says which pages are not resident.
 * Each page of the range is probed once per descriptor. */
#include <stddef.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dsa/emu_internal.h"

#define PAGE 4096ull
#define CHUNK 64 /* pages per system call */

static uint64_t page_of(uint64_t addr) { return addr & ~(PAGE - 1); }

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

/* Index of the first page among n pages from first that cannot be read
 * (or written back unchanged, for writes). The written-back byte lies in
 * the range the operation itself writes before any later fault, so the
 * probe never changes memory the operation would not. */
static uint64_t first_inaccessible(uint64_t first, uint64_t start, uint64_t n,
                                   enum zc_emu_access access)
{
    pid_t self = getpid();
    unsigned char bytes[CHUNK];
    struct iovec remote[CHUNK];
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < CHUNK ? n - done : CHUNK;
        for (uint64_t i = 0; i < k; i++) {
            uint64_t page = first + (done + i) * PAGE;
            remote[i].iov_base = (void *)(uintptr_t)(page < start ? start : page);
            remote[i].iov_len = 1;
        }
        struct iovec local = {bytes, k};
        ssize_t got = process_vm_readv(self, &local, 1, remote, k, 0);
        uint64_t ok = got < 0 ? 0 : (uint64_t)got;
        if (access == ZC_EMU_WRITE && ok > 0) {
            local.iov_len = ok;
            ssize_t put = process_vm_writev(self, &local, 1, remote, ok, 0);
            ok = put < 0 ? 0 : (uint64_t)put;
        }
        if (ok < k)
            return done + ok;
        done += k;
    }
    return n;
}

struct zc_emu_fault zc_emu_probe(int fault_mode, uint64_t addr, uint64_t len,
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
    uint64_t bad = first_inaccessible(first, addr, limit, access);
    if (bad == n)
        return f;
    uint64_t at = first + bad * PAGE;
    f.offset = at < addr ? 0 : at - addr;
    f.irrecoverable = bof;
    return f;
}

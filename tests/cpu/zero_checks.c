/* See zero_checks.h. */
#include "zero_checks.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_LEN 1024
#define MAX_ALIGN 64
#define SENTINEL 0xff

/* The buffer under test sits inside an arena filled with SENTINEL: a kernel
 * that reads even one byte outside [buf, buf+len) sees non-zero and answers
 * false for a zero buffer. Guard pages (below) catch reads further away. */
static unsigned char arena[MAX_LEN + 4 * MAX_ALIGN] __attribute__((aligned(64)));

static void check_one(const char *name, zc_zero_fn fn, unsigned char *buf, size_t len,
                      size_t align, size_t pos, unsigned char bit)
{
    buf[pos] = bit;
    if (fn(buf, len))
        fail_msg("%s: len %zu align %zu byte %zu = 0x%02x reported zero", name, len, align, pos,
                 bit);
    buf[pos] = 0;
}

/* Coverage: every length 0..1024 at every alignment 0..63; a zero buffer
 * must be zero with non-zero bytes on both sides, and a single non-zero byte
 * at EVERY position must be found. Testing all 8 bit values at every
 * (len, align, pos) would be 8x the calls for nothing: a kernel sees a byte
 * either through a whole-vector OR (all bits alike) or through a scalar load,
 * so what can break is which byte is covered, not which bit. Still, every
 * bit is covered everywhere: the bit rotates with pos + len + align, so each
 * position of each length sees all 8 bits over 8 consecutive alignments,
 * and the first, middle and last byte get all 8 bits at every (len, align). */
void check_lengths_alignments_bits(const char *name, zc_zero_fn fn)
{
    memset(arena, SENTINEL, sizeof arena);
    for (size_t align = 0; align < MAX_ALIGN; align++) {
        unsigned char *buf = arena + 2 * MAX_ALIGN + align;
        for (size_t len = 0; len <= MAX_LEN; len++) {
            memset(buf, 0, len);
            if (!fn(buf, len))
                fail_msg("%s: zero buffer len %zu align %zu reported non-zero", name, len, align);
            for (size_t pos = 0; pos < len; pos++)
                check_one(name, fn, buf, len, align, pos,
                          (unsigned char)(1u << ((pos + len + align) & 7)));
            for (unsigned b = 0; len && b < 8; b++) {
                check_one(name, fn, buf, len, align, 0, (unsigned char)(1u << b));
                check_one(name, fn, buf, len, align, len / 2, (unsigned char)(1u << b));
                check_one(name, fn, buf, len, align, len - 1, (unsigned char)(1u << b));
            }
            memset(buf, SENTINEL, len);
        }
    }
}

struct guarded guarded_map(size_t pages)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    struct guarded g = {.map_len = (pages + 2) * pg};
    g.map = mmap(NULL, g.map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g.map != MAP_FAILED);
    g.lo = g.map + pg;
    g.hi = g.lo + pages * pg;
    assert_int_equal(mprotect(g.lo, pages * pg, PROT_READ | PROT_WRITE), 0);
    return g;
}

static void check_flush(const char *name, zc_zero_fn fn, unsigned char *buf, size_t len)
{
    if (!fn(buf, len))
        fail_msg("%s: guarded zero buffer of %zu reported non-zero", name, len);
    if (!len)
        return;
    buf[0] = 1;
    if (fn(buf, len))
        fail_msg("%s: guarded buffer of %zu, first byte 1, reported zero", name, len);
    buf[0] = 0;
    buf[len - 1] = 0x80;
    if (fn(buf, len))
        fail_msg("%s: guarded buffer of %zu, last byte 0x80, reported zero", name, len);
    buf[len - 1] = 0;
}

/* Flush against the guard after the buffer and against the one before it:
 * lengths 0..4096+64 cover every offset of the start (or end) within a page
 * for both placements, then a few large odd lengths. */
void check_guard_pages(const char *name, zc_zero_fn fn)
{
    struct guarded g = guarded_map(300);
    static const size_t large[] = {65536 + 1, 1048576 - 3, 1048576 + 63};
    for (size_t len = 0; len <= 4096 + 64; len++) {
        check_flush(name, fn, g.hi - len, len);
        check_flush(name, fn, g.lo, len);
    }
    for (size_t k = 0; k < sizeof large / sizeof large[0]; k++) {
        check_flush(name, fn, g.hi - large[k], large[k]);
        check_flush(name, fn, g.lo, large[k]);
    }
    munmap(g.map, g.map_len);
}

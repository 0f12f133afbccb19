/* Peer "qemu": QEMU's buffer_is_zero(), the check QEMU runs on every page
 * during savevm and live migration, re-implemented here from its algorithm
 * (QEMU 9.x, util/bufferiszero.c and include/qemu/cutils.h) so that
 * zc-microbench can measure "best" against the incumbent. Not our kernel:
 * it lives with the benchmark, not in cpu/. */
#ifndef ZC_BENCH_PEERS_QEMU_ZERO_H
#define ZC_BENCH_PEERS_QEMU_ZERO_H

#include <stdbool.h>
#include <stddef.h>

/* QEMU's buffer_is_zero_ool(): len 0 is zero; the first, last and middle
 * byte, each tested on its own; lengths 4..255 with 64-bit words; 256 and
 * more with the vector path selected at startup (AVX2 where the CPU and OS
 * support it, else SSE2), called through a function pointer as QEMU does.
 * Reads only inside [buf, buf+len). */
bool qemu_buffer_is_zero(const void *buf, size_t len);

/* Selects the vector path ("avx2" or "sse2"), as QEMU's
 * test_buffer_is_zero_next_accel() does for its unit test; false, and
 * nothing changes, when the name is unknown or this host cannot run it. */
bool qemu_buffer_is_zero_use(const char *accel);

/* The vector path in use: "avx2" or "sse2". */
const char *qemu_buffer_is_zero_accel(void);

#endif

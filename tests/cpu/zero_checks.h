/* Correctness checks shared by every zero check under test, ours (the
 * cpu/ variants) and the benchmark's peers: each fails the running cmocka
 * test with a message naming the function, length, alignment and byte. */
#ifndef ZC_TESTS_CPU_ZERO_CHECKS_H
#define ZC_TESTS_CPU_ZERO_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include <zc/cpu.h>

/* Every length 0..1024 at every alignment 0..63, a single non-zero byte at
 * every position, sentinel bytes on both sides of the buffer. */
void check_lengths_alignments_bits(const char *name, zc_zero_fn fn);

/* PROT_NONE pages on both sides of `pages` read-write pages [lo, hi). */
struct guarded {
    unsigned char *map, *lo, *hi;
    size_t map_len;
};
struct guarded guarded_map(size_t pages);

/* Buffers flush against PROT_NONE pages on either side (lengths 0..4160 and
 * a few large odd ones): a read outside the buffer faults. */
void check_guard_pages(const char *name, zc_zero_fn fn);

#endif

/* Randomized equivalence of a backend against an oracle computed from how
 * the buffers were written (never by reading them, so untouched pages stay
 * untouched until the backend under test sees them). */
#ifndef ZC_TESTS_BACKEND_EQUIV_H
#define ZC_TESTS_BACKEND_EQUIV_H

#include <stddef.h>
#include <stdint.h>

#include <zc/backend.h>

/* zc_backend_open, with the wait timeout of the DSA kinds widened to
 * ZC_TEST_TIMEOUT_MS when set (the valgrind stage): there the model's
 * engine threads are serialized with a spinning waiter, so a healthy device
 * can miss the default 1 s timeout. For specs that set no timeout_ms. */
int equiv_open(const char *spec, struct zc_backend **be);

/* Runs check, checkv and compare of the backend opened from spec over
 * fresh mmap'ed buffers of n pages of gran bytes (patterns: untouched
 * memory, touched zero pages, one non-zero byte at the first, last or a
 * random byte of a page); fails the cmocka test on any wrong answer.
 * Returns the backend's statistics summed over the three calls. */
struct zc_backend_stats equiv_run(const char *spec, size_t gran, size_t n, uint64_t seed);

/* The grans every backend is checked at, with their page counts. */
struct equiv_size {
    size_t gran, n;
};
extern const struct equiv_size equiv_sizes[];
extern const size_t equiv_n_sizes;

/* equiv_run over every equiv_sizes entry; the statistics summed. */
struct zc_backend_stats equiv_all_sizes(const char *spec, uint64_t seed);
void equiv_add(struct zc_backend_stats *sum, const struct zc_backend_stats *s);

#endif

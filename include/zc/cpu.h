/* <zc/cpu.h>: CPU zero-check kernels with runtime dispatch. */
#ifndef ZC_CPU_H
#define ZC_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True when every byte of [buf, buf+len) is zero; len 0 is zero. Any
 * alignment; never reads a byte outside the buffer. */
typedef bool (*zc_zero_fn)(const void *buf, size_t len);

/* "byte", "u64", "sse2", "avx2", "avx512", "avx512_256" or "best"; NULL if
 * the name is unknown or the variant is not supported by this CPU and OS. */
zc_zero_fn zc_cpu_find(const char *name);

/* The "best" variant. */
bool zc_is_zero(const void *buf, size_t len);

struct zc_cpu_variant {
    const char *name;     /* as accepted by zc_cpu_find */
    const char *summary;  /* one line: what the kernel does */
    zc_zero_fn fn;
    bool usable;          /* CPU and OS support it here */
    const char *why_not;  /* NULL when usable, else e.g. "CPU lacks AVX512BW" */
};

/* Every compiled-in variant (not "best"), in order of preference, lowest
 * first; i >= zc_cpu_variant_count() gives NULL. */
size_t zc_cpu_variant_count(void);
const struct zc_cpu_variant *zc_cpu_variant_at(size_t i);
/* Name of the variant "best" resolves to on this host: the last usable one,
 * or the one named by the environment variable ZC_CPU_BEST (e.g.
 * ZC_CPU_BEST=u64 runs as a machine without SIMD would). */
const char *zc_cpu_best_name(void);
/* NULL, or why ZC_CPU_BEST was refused (unknown name, or a variant this
 * CPU cannot run), naming the variants allowed here; "best" is then the
 * detected one. Programs check it at start and exit with this message. */
const char *zc_cpu_best_error(void);

/* Read-bandwidth reference: loads every byte of [buf, buf+len) and ORs it
 * together with no early exit. Defines the ceiling a zero check can reach. */
uint64_t zc_cpu_read_or(const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif

/* zc-microbench: every usable CPU zero-check variant, the read-bandwidth
 * ceilings and the peers (ISA-L, memcmp against a zero page, the
 * memcmp(p, p+16) trick, QEMU's buffer_is_zero), side by side under Google
 * Benchmark.
 *
 * Benchmark names: <mode>/<bytes>/<kernel>, so one filter such as
 * 'hot/4096/' runs every kernel on the same case back to back. Modes:
 *   hot       the same buffer every call (cache-resident up to the LLC)
 *   cold      each call on the next buffer of a 1 GiB zero arena (32x the
 *             LLC here), so data comes from DRAM as in a migration scan
 *   pages4k   one iteration = every 4 KiB page of the first <bytes> of the
 *             arena checked with its own call (QEMU's per-page pattern)
 *   first_nonzero  a buffer whose first byte is 1 (the early exit)
 * Hot cases below 64 KiB repeat the call in a batch per iteration so Google
 * Benchmark's loop overhead does not dominate; items_per_second counts
 * calls, bytes_per_second bytes checked. Every answer is verified (a wrong
 * one fails the case with an error). */
#include <isa-l/mem_routines.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <zc/cpu.h>

#include "bench/gbench.h"
#include "bench/peers/qemu_zero.h"
#include "cpu/tsc.h"
#include "cpu/zero_kernels.h"

#define ARENA_BYTES (1ull << 30)
#define SLACK_BYTES 4096 /* ISA-L's zero detect may read past the end (ISA-L issue 413) */
#define PAGE 4096
#define HOT_BATCH_BYTES 65536
#define EARLY_BATCH 256

enum kind { ZERO_FN, READ_OR, ISAL };

struct kernel {
    char name[32];
    enum kind kind;
    zc_zero_fn zero;
    uint64_t (*read_or)(const void *, size_t);
};

enum mode { HOT, COLD, PAGES4K, FIRST_NONZERO };
static const char *const mode_names[] = {"hot", "cold", "pages4k", "first_nonzero"};

struct bench_case {
    const struct kernel *k;
    enum mode mode;
    size_t len;
};

static unsigned char *arena; /* ARENA_BYTES of zeros, prefaulted, then SLACK_BYTES */
static unsigned char *early; /* ARENA_BYTES, first byte 1, the rest untouched */

static const unsigned char zero_page[PAGE];

/* Peer: memcmp against a static zero page, one page-sized chunk at a time. */
static bool memcmp_zero_page(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    for (size_t off = 0; off < len; off += PAGE) {
        size_t n = len - off < PAGE ? len - off : PAGE;
        if (memcmp(p + off, zero_page, n) != 0)
            return false;
    }
    return true;
}

/* Peer: the first 16 bytes are zero and the buffer equals itself shifted by
 * 16, so every byte equals the one 16 before it, hence zero. */
static bool memcmp_shift16(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    if (len < 16)
        return zc_small_or(p, len) == 0;
    return (zc_load64(p) | zc_load64(p + 8)) == 0 && memcmp(p, p + 16, len - 16) == 0;
}

/* True when the kernel gave the answer expected for buf. */
static inline bool answer_ok(const struct kernel *k, const unsigned char *p, size_t len,
                             bool expect_zero)
{
    switch (k->kind) {
    case ZERO_FN:
        return k->zero(p, len) == expect_zero;
    case READ_OR:
        return (k->read_or(p, len) == 0) == expect_zero;
    case ISAL:
        return (isal_zero_detect((void *)p, len) == 0) == expect_zero;
    }
    return false;
}

static bool run_batch(const struct kernel *k, const unsigned char *p, size_t len, int64_t n,
                      bool expect_zero)
{
    for (int64_t i = 0; i < n; i++)
        if (!answer_ok(k, p, len, expect_zero))
            return false;
    return true;
}

/* Calls per iteration: hot cases below 64 KiB are batched, pages4k checks
 * every page, first_nonzero repeats the early exit. */
static int64_t calls_per_iteration(enum mode mode, size_t len)
{
    switch (mode) {
    case HOT:
        return len < HOT_BATCH_BYTES ? (int64_t)(HOT_BATCH_BYTES / len) : 1;
    case PAGES4K:
        return (int64_t)(len / PAGE);
    case FIRST_NONZERO:
        return EARLY_BATCH;
    case COLD:
        break;
    }
    return 1;
}

/* One iteration of the case with kernel k; false on a wrong answer. A cold
 * call takes the next buffer of the arena (*cold_off). */
static bool run_iteration(const struct kernel *k, enum mode mode, size_t len, int64_t calls,
                          size_t *cold_off)
{
    bool ok = true;
    switch (mode) {
    case HOT:
        return run_batch(k, arena, len, calls, true);
    case COLD:
        ok = answer_ok(k, arena + *cold_off, len, true);
        *cold_off = *cold_off + 2 * len <= ARENA_BYTES ? *cold_off + len : 0;
        return ok;
    case PAGES4K:
        for (size_t off = 0; ok && off < len; off += PAGE)
            ok = answer_ok(k, arena + off, PAGE, true);
        return ok;
    case FIRST_NONZERO:
        return run_batch(k, early, len, calls, false);
    }
    return false;
}

static int64_t bytes_per_call(enum mode mode, size_t len) { return mode == PAGES4K ? PAGE : (int64_t)len; }

static void bench(zc_gb_state *st, void *ctx)
{
    const struct bench_case *c = ctx;
    size_t cold_off = 0;
    int64_t calls_per_iter = calls_per_iteration(c->mode, c->len);
    bool ok = true;
    while (ok && zc_gb_keep_running(st))
        ok = run_iteration(c->k, c->mode, c->len, calls_per_iter, &cold_off);
    if (!ok) {
        zc_gb_skip_with_error(st, "wrong answer");
        return;
    }
    int64_t calls = zc_gb_iterations_done(st) * calls_per_iter;
    zc_gb_set_items_processed(st, calls);
    if (c->mode != FIRST_NONZERO)
        zc_gb_set_bytes_processed(st, calls * bytes_per_call(c->mode, c->len));
}

/* paired/<mode>/<bytes>/<ours>:<peer>: both kernels on the same case in
 * alternating slices (ours first in even rounds, the peer first in odd
 * ones), each slice timed on its own. This host's throughput drifts by
 * 25% within seconds, so two cases measured one after the other cannot
 * resolve a 5% difference; the ratio of two slices a few microseconds to
 * milliseconds apart can. Counters: of_peer_med (median over rounds of
 * peer time / our time: above 1, ours is faster), its quartiles, and both
 * throughputs; the Time column is ours. */
struct pair_case {
    const struct kernel *ours, *peer;
    enum mode mode;
    size_t len;
};

#define PAIR_SLICE_BYTES (256u << 10) /* a slice lasts well beyond the timer's cost */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_pair(zc_gb_state *st, void *ctx)
{
    const struct pair_case *c = ctx;
    int64_t calls = calls_per_iteration(c->mode, c->len);
    int64_t slice_bytes = calls * bytes_per_call(c->mode, c->len);
    int64_t repeats = slice_bytes < PAIR_SLICE_BYTES ? PAIR_SLICE_BYTES / slice_bytes : 1;
    size_t cold_off = 0, rounds = 0, cap = 0;
    double *ratio = NULL, sum[2] = {0, 0}, sec_per_tick = 1.0 / zc_tsc_hz();
    /* One untimed slice each first: a first pass over a GiB has stalled for
     * 1.5 s here, and a 1 GiB case runs only a few rounds. */
    bool ok = true;
    for (int64_t r = 0; ok && r < 2 * repeats; r++)
        ok = run_iteration(r < repeats ? c->ours : c->peer, c->mode, c->len, calls, &cold_off);
    while (ok && zc_gb_keep_running(st)) {
        double t[2];
        for (unsigned j = 0; j < 2; j++) {
            unsigned which = j ^ (unsigned)(rounds & 1); /* 0: ours, 1: the peer */
            const struct kernel *k = which ? c->peer : c->ours;
            uint64_t t0 = zc_rdtsc();
            for (int64_t r = 0; ok && r < repeats; r++)
                ok = run_iteration(k, c->mode, c->len, calls, &cold_off);
            t[which] = (double)(zc_rdtsc() - t0) * sec_per_tick;
            sum[which] += t[which];
        }
        zc_gb_set_iteration_time(st, t[0]);
        if (rounds == cap) {
            cap = cap ? 2 * cap : 256;
            double *more = realloc(ratio, cap * sizeof *more);
            if (!more) {
                zc_gb_skip_with_error(st, "out of memory for the rounds");
                free(ratio);
                return;
            }
            ratio = more;
        }
        ratio[rounds++] = t[1] / t[0];
    }
    if (!ok || !rounds) {
        zc_gb_skip_with_error(st, ok ? "no rounds ran" : "wrong answer");
        free(ratio);
        return;
    }
    qsort(ratio, rounds, sizeof *ratio, cmp_double);
    double bytes = (double)rounds * (double)repeats * (double)slice_bytes;
    zc_gb_counter(st, "of_peer_med", ratio[rounds / 2], 0);
    zc_gb_counter(st, "of_peer_q1", ratio[rounds / 4], 0);
    zc_gb_counter(st, "of_peer_q3", ratio[3 * rounds / 4], 0);
    zc_gb_counter(st, "GBps", bytes / sum[0] * 1e-9, 0);
    zc_gb_counter(st, "peer_GBps", bytes / sum[1] * 1e-9, 0);
    free(ratio);
}

static void *map_or_die(size_t len, int extra_flags)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags,
                   -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "zc-microbench: cannot map %zu bytes\n", len);
        exit(1);
    }
    return p;
}

static void map_buffers(void)
{
    arena = map_or_die(ARENA_BYTES + SLACK_BYTES, 0);
    /* Guest RAM is usually THP-backed; all kernels get the same TLB reach. */
    madvise(arena, ARENA_BYTES, MADV_HUGEPAGE);
    memset(arena, 0, ARENA_BYTES + SLACK_BYTES); /* prefault with real pages */
    early = map_or_die(ARENA_BYTES + SLACK_BYTES, MAP_NORESERVE);
    early[0] = 1;
}

#define MAX_KERNELS 24
static struct kernel kernels[MAX_KERNELS];
static size_t n_kernels;

static void add_kernel(const char *name, enum kind kind, zc_zero_fn zero,
                       uint64_t (*read_or)(const void *, size_t))
{
    struct kernel *k = &kernels[n_kernels++];
    snprintf(k->name, sizeof k->name, "%s", name);
    k->kind = kind;
    k->zero = zero;
    k->read_or = read_or;
}

/* Our variants (unusable ones are listed and left out), "best", the read
 * ceilings (read_or_<isa>) of every usable ISA and the peers. "read_or", the ceiling "best"
 * is judged against, is best's own read kernel called directly as "best" is:
 * zc_cpu_read_or would add its dispatch (an atomic load and an indirect
 * call, ~1 ns) and flatter "best" on short buffers. */
static void collect_kernels(void)
{
    static const struct {
        const char *isa;
        uint64_t (*fn)(const void *, size_t);
    } ceilings[] = {{"avx512", zc_read_or_avx512},
                    {"avx512_256", zc_read_or_avx512_256},
                    {"avx2", zc_read_or_avx2},
                    {"sse2", zc_read_or_sse2},
                    {"u64", zc_read_or_u64}};
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        fprintf(stderr, "variant %-7s %s%s\n", v->name, v->usable ? "usable" : "unusable: ",
                v->usable ? "" : v->why_not);
        if (v->usable)
            add_kernel(v->name, ZERO_FN, v->fn, NULL);
    }
    const char *best = zc_cpu_best_name();
    fprintf(stderr, "best = %s\n", best);
    add_kernel("best", ZERO_FN, zc_cpu_find("best"), NULL);
    uint64_t (*best_read_or)(const void *, size_t) = zc_cpu_read_or;
    for (size_t i = 0; i < sizeof ceilings / sizeof ceilings[0]; i++)
        if (strcmp(ceilings[i].isa, best) == 0)
            best_read_or = ceilings[i].fn;
    add_kernel("read_or", READ_OR, NULL, best_read_or);
    for (size_t i = 0; i < sizeof ceilings / sizeof ceilings[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "read_or_%s", ceilings[i].isa);
        if (zc_cpu_find(ceilings[i].isa))
            add_kernel(name, READ_OR, NULL, ceilings[i].fn);
    }
    add_kernel("isal", ISAL, NULL, NULL);
    add_kernel("memcmp_zero_page", ZERO_FN, memcmp_zero_page, NULL);
    add_kernel("memcmp_shift16", ZERO_FN, memcmp_shift16, NULL);
    fprintf(stderr, "qemu = buffer_is_zero with its %s vector path\n", qemu_buffer_is_zero_accel());
    add_kernel("qemu", ZERO_FN, qemu_buffer_is_zero, NULL);
}

#define N_SIZES 13 /* 64 B .. 1 GiB, powers of 4 */
#define MAX_CASES (MAX_KERNELS * N_SIZES * 4)
static struct bench_case cases[MAX_CASES];
static size_t n_cases;

static void add_case(enum mode mode, size_t len, const struct kernel *k)
{
    struct bench_case *c = &cases[n_cases++];
    *c = (struct bench_case){.k = k, .mode = mode, .len = len};
    char name[96];
    snprintf(name, sizeof name, "%s/%zu/%.31s", mode_names[mode], len, k->name);
    zc_gb_register(name, bench, c);
}

static const struct kernel *find_kernel(const char *name)
{
    for (size_t i = 0; i < n_kernels; i++)
        if (strcmp(kernels[i].name, name) == 0)
            return &kernels[i];
    fprintf(stderr, "zc-microbench: no kernel '%s'\n", name);
    exit(1);
}

#define N_PAIRED_PEERS 6
#define MAX_PAIRS ((2 * N_SIZES + 1) * N_PAIRED_PEERS)
static struct pair_case pairs[MAX_PAIRS];
static size_t n_pairs;

static void add_pair(enum mode mode, size_t len, const struct kernel *ours, const struct kernel *peer)
{
    struct pair_case *c = &pairs[n_pairs++];
    *c = (struct pair_case){.ours = ours, .peer = peer, .mode = mode, .len = len};
    char name[128];
    snprintf(name, sizeof name, "paired/%s/%zu/%.31s:%.31s", mode_names[mode], len, ours->name,
             peer->name);
    zc_gb_use_manual_time(zc_gb_register(name, bench_pair, c));
}

static void register_cases(void)
{
    for (enum mode m = HOT; m <= COLD; m++)
        for (size_t len = 64; len <= ARENA_BYTES; len *= 4)
            for (size_t i = 0; i < n_kernels; i++)
                add_case(m, len, &kernels[i]);
    for (size_t i = 0; i < n_kernels; i++)
        add_case(PAGES4K, ARENA_BYTES, &kernels[i]);
    static const size_t early_lens[] = {64, 4096, 1 << 20, ARENA_BYTES};
    for (size_t j = 0; j < sizeof early_lens / sizeof early_lens[0]; j++)
        for (size_t i = 0; i < n_kernels; i++)
            if (kernels[i].kind != READ_OR) /* no early exit by design */
                add_case(FIRST_NONZERO, early_lens[j], &kernels[i]);
    /* "best" against the ceiling and each peer: hot and cold at every size,
     * and the 1 GiB page by page. best:best is the control: the spread of
     * its ratio around 1 is what the method can resolve in that case. */
    const struct kernel *best = find_kernel("best");
    static const char *const peers[N_PAIRED_PEERS] = {"read_or", "isal", "memcmp_zero_page",
                                                      "memcmp_shift16", "qemu", "best"};
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
        for (enum mode m = HOT; m <= COLD; m++)
            for (size_t len = 64; len <= ARENA_BYTES; len *= 4)
                add_pair(m, len, best, find_kernel(peers[i]));
        add_pair(PAGES4K, ARENA_BYTES, best, find_kernel(peers[i]));
    }
}

int main(int argc, char **argv)
{
    if (!zc_gb_initialize(&argc, argv))
        return 2;
    if (zc_cpu_best_error()) {
        fprintf(stderr, "zc-microbench: %s\n", zc_cpu_best_error());
        return 2;
    }
    if (argc > 1) {
        fprintf(stderr,
                "zc-microbench: unexpected argument '%s' (only Google Benchmark's "
                "--benchmark_* flags are accepted)\n",
                argv[1]);
        return 2;
    }
    collect_kernels();
    register_cases();
    map_buffers();
    long n = zc_gb_run(NULL, NULL, NULL, false, NULL);
    zc_gb_clear();
    return n > 0 ? 0 : 1;
}

/* zc-gate-run: the instrument of the regression gate (scripts/perf-gate.sh).
 * It loads libzc built as a shared object (base and new build of one run,
 * or one build) and drives the zero-check backends through the public API
 * only, so the same instrument measures any commit's library:
 *   zc-gate-run time [--rounds N] [--sample-us U] BASE.so NEW.so
 *       rounds of the base and the new library measured back to back in
 *       one process, written as the pairs CSV of `zcbench compare --paired`
 *   zc-gate-run count LIB.so
 *       under valgrind --tool=callgrind --collect-atstart=no: the
 *       instructions of each case collected alone and dumped as "CASE|PAGES"
 *   zc-gate-run cases LIB.so     the count cases this host runs natively
 *   zc-gate-run toolchain        compiler, build type and C library
 * Exit status: 0, 1 a library failed (wrong answer, open error), 2 bad input. */
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zc/backend.h>
#include <zc/cpu.h>
#include <zc/error.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#else
#define HAVE_CALLGRIND 0
#endif

#ifndef ZC_GATE_TOOLCHAIN
#define ZC_GATE_TOOLCHAIN "unknown compiler"
#endif

#define PAGE 4096u
#define DSA_SPEC "dsa-batch:wq={emu:engines=0},batch=32"

/* A library's entry points, typed by the public headers. */
struct lib {
    const char *path;
    __typeof__(&zc_backend_open) open;
    __typeof__(&zc_backend_check) check;
    __typeof__(&zc_backend_close) close;
    __typeof__(&zc_cpu_variant_count) variant_count;
    __typeof__(&zc_cpu_variant_at) variant_at;
    __typeof__(&zc_cpu_best_name) best_name;
    __typeof__(&zc_cpu_best_error) best_error; /* NULL in builds before ZC_CPU_BEST */
    __typeof__(&zc_last_error) last_error;
};

static int load(const char *path, struct lib *l)
{
    /* A name without '/' would be searched for in the library path. */
    char local[4096];
    snprintf(local, sizeof local, "%s%s", strchr(path, '/') ? "" : "./", path);
    /* RTLD_LOCAL: two builds of libzc side by side, each resolving its own symbols. */
    void *h = dlopen(local, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "zc-gate-run: cannot load '%s': %s\n", path, dlerror());
        return -1;
    }
    l->path = path;
#define SYM(field, name, required)                                                                 \
    do {                                                                                           \
        *(void **)&l->field = dlsym(h, name);                                                      \
        if (required && !l->field) {                                                               \
            fprintf(stderr, "zc-gate-run: '%s' lacks %s: not a libzc build\n", path, name);        \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    SYM(open, "zc_backend_open", true);
    SYM(check, "zc_backend_check", true);
    SYM(close, "zc_backend_close", true);
    SYM(variant_count, "zc_cpu_variant_count", true);
    SYM(variant_at, "zc_cpu_variant_at", true);
    SYM(best_name, "zc_cpu_best_name", true);
    SYM(best_error, "zc_cpu_best_error", false);
    SYM(last_error, "zc_last_error", true);
#undef SYM
    if (l->best_error && l->best_error()) {
        fprintf(stderr, "zc-gate-run: %s\n", l->best_error());
        return -1;
    }
    return 0;
}

/* The specs the gate measures: every CPU variant usable here up to the one
 * "best" resolves to (ZC_CPU_BEST=avx2 gates as a machine without AVX-512
 * would) but the plain byte loop (the correctness reference), then the DSA
 * submit path on the device model executing inside submit (no engine
 * thread to wait for). */
enum { MAX_SPECS = 16 };
static size_t gate_specs(const struct lib *l, char specs[][64])
{
    size_t n = 0;
    const char *best = l->best_name();
    for (size_t i = 0; i < l->variant_count() && n + 1 < MAX_SPECS; i++) {
        const struct zc_cpu_variant *v = l->variant_at(i);
        if (v->usable && strcmp(v->name, "byte") != 0)
            snprintf(specs[n++], 64, "cpu:%s", v->name);
        if (strcmp(v->name, best) == 0)
            break; /* the variants are listed in order of preference */
    }
    snprintf(specs[n++], 64, "%s", DSA_SPEC);
    return n;
}

static void *zero_buffer(size_t len)
{
    void *p = aligned_alloc(PAGE, len);
    if (p)
        memset(p, 0, len);
    return p;
}

/* One pass; every page of the zero buffer must be answered zero. */
static int check_pass(const struct lib *l, struct zc_backend *be, const char *name, const void *buf,
                      size_t len, bool *answers)
{
    int rc = l->check(be, buf, len, PAGE, answers);
    if (rc) {
        fprintf(stderr, "zc-gate-run: %s: %s: check failed: %s\n", l->path, name, l->last_error());
        return -1;
    }
    for (size_t i = 0; i < len / PAGE; i++)
        if (!answers[i]) {
            fprintf(stderr, "zc-gate-run: %s: %s: zero page %zu answered non-zero\n", l->path, name, i);
            return -1;
        }
    return 0;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- time ------------------------------------------------------------- */

static const size_t sizes[] = {4096, 64u << 10, 1u << 20};
enum { N_SIZES = sizeof sizes / sizeof sizes[0] };

struct timed_case {
    char name[96];
    const char *spec;
    size_t size_index;
    unsigned passes;             /* per sample */
    struct zc_backend *be[2];    /* [0] base, [1] new */
};

struct timing {
    struct lib libs[2];
    struct timed_case cases[MAX_SPECS * N_SIZES];
    size_t n_cases;
    void *buf[N_SIZES];
    bool *answers;
};

static int open_all(struct timing *t, int first)
{
    for (size_t c = 0; c < t->n_cases; c++)
        for (int k = 0; k < 2; k++) {
            int side = k ? 1 - first : first;
            struct timed_case *tc = &t->cases[c];
            if (t->libs[side].open(tc->spec, &tc->be[side]) != 0) {
                fprintf(stderr, "zc-gate-run: %s: cannot open %s: %s\n", t->libs[side].path, tc->spec,
                        t->libs[side].last_error());
                return -1;
            }
        }
    return 0;
}

static void close_all(struct timing *t)
{
    for (size_t c = 0; c < t->n_cases; c++)
        for (int side = 0; side < 2; side++)
            if (t->cases[c].be[side]) {
                t->libs[side].close(t->cases[c].be[side]);
                t->cases[c].be[side] = NULL;
            }
}

/* ns per pass of one sample: an untimed pass (verified) brings the buffer
 * back into the cache after the other cases, then `passes` timed ones. */
static int sample(struct timing *t, struct timed_case *tc, int side, double *ns)
{
    const struct lib *l = &t->libs[side];
    size_t len = sizes[tc->size_index];
    const void *buf = t->buf[tc->size_index];
    if (check_pass(l, tc->be[side], tc->name, buf, len, t->answers) != 0)
        return -1;
    double t0 = now_ns();
    for (unsigned i = 0; i < tc->passes; i++)
        l->check(tc->be[side], buf, len, PAGE, t->answers);
    *ns = (now_ns() - t0) / tc->passes;
    return 0;
}

/* Passes per sample so that one lasts about sample_ns on the base build. */
static int calibrate(struct timing *t, double sample_ns)
{
    for (size_t c = 0; c < t->n_cases; c++) {
        struct timed_case *tc = &t->cases[c];
        tc->passes = 1;
        double best = INFINITY, ns;
        for (int i = 0; i < 3; i++) {
            if (sample(t, tc, 0, &ns) != 0)
                return -1;
            best = ns < best ? ns : best;
        }
        double passes = ceil(sample_ns / best);
        tc->passes = passes < 1 ? 1 : passes > 1e6 ? 1000000 : (unsigned)passes;
    }
    return 0;
}

/* Memory placement makes one of two identical builds a few percent faster
 * depending on which opened its backends first (measured: up to 6% on the
 * DSA model path): the order flips every quarter of the rounds, and within
 * a block which build runs first alternates every round. */
enum { ORDER_BLOCKS = 4 };

static int run_rounds(struct timing *t, unsigned rounds, double sample_ns)
{
    unsigned per_block = (rounds + ORDER_BLOCKS - 1) / ORDER_BLOCKS;
    printf("case,round,first,base_ns,new_ns\n");
    for (unsigned r = 0; r < rounds; r++) {
        if (r % per_block == 0) {
            close_all(t);
            if (open_all(t, (int)(r / per_block) % 2) != 0)
                return -1;
            if (r == 0 && calibrate(t, sample_ns) != 0)
                return -1;
        }
        int first = (int)(r % 2);
        for (size_t c = 0; c < t->n_cases; c++) {
            double ns[2];
            if (sample(t, &t->cases[c], first, &ns[first]) != 0 ||
                sample(t, &t->cases[c], 1 - first, &ns[1 - first]) != 0)
                return -1;
            printf("\"%s\",%u,%s,%.6g,%.6g\n", t->cases[c].name, r, first ? "new" : "base", ns[0], ns[1]);
        }
    }
    close_all(t);
    return fflush(stdout) == 0 ? 0 : -1;
}

static bool opens(const struct lib *l, const char *spec)
{
    struct zc_backend *be;
    if (l->open(spec, &be) != 0)
        return false;
    l->close(be);
    return true;
}

static int time_main(const char *base, const char *next, unsigned rounds, double sample_us)
{
    static struct timing t;
    if (load(base, &t.libs[0]) != 0 || load(next, &t.libs[1]) != 0)
        return 2;
    char specs[MAX_SPECS][64];
    size_t n_specs = gate_specs(&t.libs[1], specs);
    static char kept[MAX_SPECS][64];
    for (size_t s = 0; s < n_specs; s++) {
        if (!opens(&t.libs[0], specs[s])) {
            fprintf(stderr, "zc-gate-run: %s: not in the base build (%s): not compared\n", specs[s],
                    t.libs[0].last_error());
            continue;
        }
        memcpy(kept[s], specs[s], sizeof kept[s]);
        for (size_t z = 0; z < N_SIZES; z++) {
            struct timed_case *tc = &t.cases[t.n_cases++];
            snprintf(tc->name, sizeof tc->name, "%s/%zu", kept[s], sizes[z]);
            tc->spec = kept[s];
            tc->size_index = z;
        }
    }
    for (size_t z = 0; z < N_SIZES; z++)
        if (!(t.buf[z] = zero_buffer(sizes[z])))
            return 1;
    if (!(t.answers = calloc(sizes[N_SIZES - 1] / PAGE, sizeof *t.answers)))
        return 1;
    int rc = run_rounds(&t, rounds, sample_us * 1e3);
    close_all(&t);
    for (size_t z = 0; z < N_SIZES; z++)
        free(t.buf[z]);
    free(t.answers);
    return rc ? 1 : 0;
}

/* ---- count ------------------------------------------------------------ */

/* Pages per counted check: CPU variants check page by page, the DSA path
 * in batches of 32 descriptors. */
static unsigned count_pages(const char *spec) { return strcmp(spec, DSA_SPEC) == 0 ? 256 : 64; }

static int count_main(const char *path)
{
#if HAVE_CALLGRIND
    if (!RUNNING_ON_VALGRIND) {
        fprintf(stderr, "zc-gate-run: count runs under valgrind --tool=callgrind --collect-atstart=no\n");
        return 2;
    }
    struct lib l;
    if (load(path, &l) != 0)
        return 2;
    char specs[MAX_SPECS][64];
    size_t n = gate_specs(&l, specs);
    size_t max_len = 256 * PAGE;
    void *buf = zero_buffer(max_len);
    bool *answers = calloc(max_len / PAGE, sizeof *answers);
    if (!buf || !answers)
        return 1;
    printf("best %s\n", l.best_name());
    int rc = 0;
    for (size_t s = 0; s < n && rc == 0; s++) {
        struct zc_backend *be;
        size_t len = count_pages(specs[s]) * PAGE;
        if (l.open(specs[s], &be) != 0) {
            fprintf(stderr, "zc-gate-run: %s: cannot open %s: %s\n", path, specs[s], l.last_error());
            rc = 1;
            break;
        }
        /* First pass uncounted: lazy resolution and first-touch paths. */
        rc = check_pass(&l, be, specs[s], buf, len, answers);
        CALLGRIND_TOGGLE_COLLECT;
        l.check(be, buf, len, PAGE, answers);
        CALLGRIND_TOGGLE_COLLECT;
        char name[96];
        snprintf(name, sizeof name, "%s|%u", specs[s], count_pages(specs[s]));
        CALLGRIND_DUMP_STATS_AT(name);
        l.close(be);
    }
    free(buf);
    free(answers);
    return rc;
#else
    (void)path;
    fprintf(stderr, "zc-gate-run: built without valgrind/callgrind.h: install valgrind and rebuild\n");
    return 2;
#endif
}

static int cases_main(const char *path)
{
    struct lib l;
    if (load(path, &l) != 0)
        return 2;
    char specs[MAX_SPECS][64];
    size_t n = gate_specs(&l, specs);
    for (size_t s = 0; s < n; s++)
        printf("%s\n", specs[s]);
    return 0;
}

/* ---- command line ----------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: zc-gate-run time [--rounds N] [--sample-us U] BASE.so NEW.so\n"
                    "       zc-gate-run count LIB.so   (under callgrind)\n"
                    "       zc-gate-run cases LIB.so\n"
                    "       zc-gate-run toolchain\n");
    return 2;
}

static bool parse_number(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : NAN;
    if (!text || errno || *end || end == text || !(v >= lo && v <= hi)) {
        fprintf(stderr, "zc-gate-run: bad value '%s' for %s (allowed: %g..%g)\n",
                text ? text : "(missing)", opt, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (!strcmp(cmd, "toolchain") && argc == 2) {
        printf("%s; glibc %s\n", ZC_GATE_TOOLCHAIN, gnu_get_libc_version());
        return 0;
    }
    if ((!strcmp(cmd, "count") || !strcmp(cmd, "cases")) && argc == 3)
        return cmd[1] == 'o' ? count_main(argv[2]) : cases_main(argv[2]);
    if (strcmp(cmd, "time") != 0)
        return usage();
    double rounds = 200, sample_us = 100;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--rounds")) {
            if (!parse_number("--rounds", argv[++i], 6, 100000, &rounds))
                return 2;
            if (rounds != floor(rounds)) {
                fprintf(stderr, "zc-gate-run: bad value '%s' for --rounds (allowed: an integer)\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--sample-us")) {
            if (!parse_number("--sample-us", argv[++i], 1, 1e6, &sample_us))
                return 2;
        } else {
            fprintf(stderr, "zc-gate-run: unknown option '%s' (allowed: --rounds N, --sample-us U)\n",
                    argv[i]);
            return 2;
        }
    }
    if (argc - i != 2)
        return usage();
    return time_main(argv[i], argv[i + 1], (unsigned)rounds, sample_us);
}

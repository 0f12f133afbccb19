#include "equiv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>
#include <zc/error.h>

#define OS_PAGE 4096u

const struct equiv_size equiv_sizes[] = {
    {64, 300}, {72, 200}, {4096, 96}, {64 * 1024, 9}, {2u << 20, 3},
};
const size_t equiv_n_sizes = sizeof equiv_sizes / sizeof equiv_sizes[0];

static uint64_t next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* A fresh mapping whose pages are never touched by the allocation itself;
 * untouched[p] marks the OS pages the pattern must leave alone. */
struct region {
    uint8_t *mem;
    size_t len;
    bool *untouched;
};

static struct region region_new(size_t len, uint64_t *rng)
{
    struct region r = {.len = len};
    size_t map = (len + OS_PAGE - 1) / OS_PAGE * OS_PAGE;
    r.mem = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(r.mem != MAP_FAILED);
    madvise(r.mem, map, MADV_NOHUGEPAGE); /* keep "untouched" at 4 KiB */
    r.untouched = calloc(map / OS_PAGE, sizeof *r.untouched);
    assert_non_null(r.untouched);
    for (size_t p = 0; p < map / OS_PAGE; p++)
        r.untouched[p] = next(rng) % 3 == 0;
    return r;
}

static void region_free(struct region *r)
{
    munmap(r->mem, (r->len + OS_PAGE - 1) / OS_PAGE * OS_PAGE);
    free(r->untouched);
}

/* The one byte a pattern leaves non-zero in a page (val 0: none). */
struct mark {
    size_t pos;
    uint8_t val;
};

/* Writes one pattern into page i; returns what it left non-zero. */
static struct mark write_pattern(struct region *r, size_t gran, size_t i, uint64_t *rng)
{
    struct mark m = {0, 0};
    size_t base = i * gran;
    switch (next(rng) % 5) {
    case 0: return m;                                            /* left as mapped */
    case 1: m.pos = base + next(rng) % gran; break;              /* touched, stays zero */
    case 2: m.pos = base; m.val = 1; break;                      /* first byte */
    case 3: m.pos = base + gran - 1; m.val = 0x80; break;        /* last byte */
    default: m.pos = base + next(rng) % gran; m.val = (uint8_t)(1 + next(rng) % 255); break;
    }
    if (r->untouched[m.pos / OS_PAGE])
        return (struct mark){0, 0};
    r->mem[m.pos] = m.val;
    if (!m.val)
        m.pos = 0;
    return m;
}

void equiv_add(struct zc_backend_stats *sum, const struct zc_backend_stats *s)
{
    sum->pages += s->pages;
    sum->descriptors += s->descriptors;
    sum->batches += s->batches;
    sum->faults_recovered += s->faults_recovered;
    sum->retries += s->retries;
    sum->cpu_pages += s->cpu_pages;
    sum->submit_cycles += s->submit_cycles;
    sum->wait_cycles += s->wait_cycles;
    sum->portal_cycles += s->portal_cycles;
}

static void add_and_reset(struct zc_backend_stats *sum, struct zc_backend *be)
{
    struct zc_backend_stats s;
    zc_backend_get_stats(be, &s);
    equiv_add(sum, &s);
    zc_backend_reset_stats(be);
}

static void expect_answers(const char *what, const char *spec, size_t gran, const bool *got,
                           const bool *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("%s: %s gran %zu: page %zu of %zu answered %d, oracle %d", spec, what, gran, i, n,
                     got[i], want[i]);
}

static void run_check(struct zc_backend *be, const char *spec, size_t gran, size_t n, uint64_t *rng)
{
    struct region r = region_new(n * gran, rng);
    bool *want = calloc(n, sizeof *want), *got = calloc(n, sizeof *got);
    assert_true(want && got);
    for (size_t i = 0; i < n; i++) {
        want[i] = write_pattern(&r, gran, i, rng).val == 0;
        got[i] = !want[i]; /* the backend must write every answer */
    }
    int rc = zc_backend_check(be, r.mem, n * gran, gran, got);
    if (rc)
        fail_msg("%s: check gran %zu: %d %s", spec, gran, rc, zc_last_error());
    expect_answers("check", spec, gran, got, want, n);
    free(want);
    free(got);
    region_free(&r);
}

static void run_checkv(struct zc_backend *be, const char *spec, size_t gran, size_t n, uint64_t *rng)
{
    struct region r = region_new(n * gran, rng);
    bool *zero = calloc(n, sizeof *zero), *want = calloc(n, sizeof *want), *got = calloc(n, sizeof *got);
    const void **pages = calloc(n, sizeof *pages);
    size_t *order = calloc(n, sizeof *order);
    assert_true(zero && want && got && pages && order);
    for (size_t i = 0; i < n; i++) {
        zero[i] = write_pattern(&r, gran, i, rng).val == 0;
        order[i] = i;
    }
    for (size_t i = n; i > 1; i--) { /* scattered, as a multifd packet */
        size_t j = next(rng) % i, t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        pages[i] = r.mem + order[i] * gran;
        want[i] = zero[order[i]];
        got[i] = !want[i];
    }
    int rc = zc_backend_checkv(be, pages, n, gran, got);
    if (rc)
        fail_msg("%s: checkv gran %zu: %d %s", spec, gran, rc, zc_last_error());
    expect_answers("checkv", spec, gran, got, want, n);
    free(zero);
    free(want);
    free(got);
    free(pages);
    free(order);
    region_free(&r);
}

static void run_compare(struct zc_backend *be, const char *spec, size_t gran, size_t n, uint64_t *rng)
{
    struct region a = region_new(n * gran, rng), b = region_new(n * gran, rng);
    bool *want = calloc(n, sizeof *want), *got = calloc(n, sizeof *got);
    assert_true(want && got);
    for (size_t i = 0; i < n; i++) {
        struct mark ma = write_pattern(&a, gran, i, rng), mb;
        if (next(rng) % 2 && (!ma.val || !b.untouched[ma.pos / OS_PAGE])) {
            mb = ma; /* the same content in b */
            if (mb.val)
                b.mem[mb.pos] = mb.val;
        } else {
            mb = write_pattern(&b, gran, i, rng);
        }
        want[i] = ma.val == mb.val && (!ma.val || ma.pos == mb.pos);
        got[i] = !want[i];
    }
    int rc = zc_backend_compare(be, a.mem, b.mem, n * gran, gran, got);
    if (rc)
        fail_msg("%s: compare gran %zu: %d %s", spec, gran, rc, zc_last_error());
    expect_answers("compare", spec, gran, got, want, n);
    free(want);
    free(got);
    region_free(&a);
    region_free(&b);
}

int equiv_open(const char *spec, struct zc_backend **be)
{
    const char *timeout = getenv("ZC_TEST_TIMEOUT_MS");
    bool dsa_kind = strncmp(spec, "dsa-", 4) == 0 || strncmp(spec, "hybrid:", 7) == 0;
    if (!timeout || !dsa_kind)
        return zc_backend_open(spec, be);
    char widened[1024];
    snprintf(widened, sizeof widened, "%s,timeout_ms=%s", spec, timeout);
    return zc_backend_open(widened, be);
}

struct zc_backend_stats equiv_run(const char *spec, size_t gran, size_t n, uint64_t seed)
{
    struct zc_backend *be;
    int rc = equiv_open(spec, &be);
    if (rc)
        fail_msg("open %s: %d %s", spec, rc, zc_last_error());
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + gran + 1;
    struct zc_backend_stats sum = {0};
    run_check(be, spec, gran, n, &rng);
    add_and_reset(&sum, be);
    run_checkv(be, spec, gran, n, &rng);
    add_and_reset(&sum, be);
    run_compare(be, spec, gran, n, &rng);
    add_and_reset(&sum, be);
    zc_backend_close(be);
    assert_int_equal(sum.pages, 3 * n);
    return sum;
}

struct zc_backend_stats equiv_all_sizes(const char *spec, uint64_t seed)
{
    struct zc_backend_stats sum = {0};
    for (size_t s = 0; s < equiv_n_sizes; s++) {
        struct zc_backend_stats one = equiv_run(spec, equiv_sizes[s].gran, equiv_sizes[s].n, seed + s);
        equiv_add(&sum, &one);
    }
    return sum;
}

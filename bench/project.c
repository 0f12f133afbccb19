/* zc-project: runs DSA benchmark scenarios on the projection (emu
 * clock=virtual) and prints what they take in simulated time. It stands in
 * for the programs that published DSA measurements: scripts/calibrate.py
 * feeds it one scenario per line (the rows of configs/dsa-calibration.csv)
 * and compares. Its own loop's work is not measured; the modeled
 * program's software cost per descriptor is given (harness_ns).
 *
 * A scenario: key=value words on one line.
 *   op=compval|compare|memmove|memfill  size=BYTES  mode=sync|qd|batch|ooo
 *   engines=N  wq=shared|dedicated  qd=N (qd: descriptors in flight)
 *   batch=N inflight=N (batch: N per BATCH, up to inflight BATCHes)
 *   align=N (a power of two up to 4096: below 64, every buffer is N-byte
 *   aligned and no more, as LightDSA's alignment runs place them; 64 and
 *   up, line aligned: the model's time depends on cache lines only)
 *   harness_ns=NS
 *   count=N (descriptors; 0: chosen)  emu=KEYS (emu:... keys, e.g. a profile)
 * Output per line: sync: latency in us; qd and batch: throughput in GB/s
 * (10^9 bytes); ooo (a first descriptor of `size`, then batches of 1 KiB
 * descriptors): the batches done before it; a scenario that fails prints
 * nan. Exit status: 0, 1 a scenario failed, 2 bad input (a word, or emu=
 * keys the model refuses). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zc/dsa.h>
#include <zc/error.h>

#include "dsa/emu/internal.h"
#include "dsa/error.h"
#include "dsa/spec.h"

#define LINE_MAX_LEN 1024
#define OOO_MEMBER 1024u
#define OOO_BATCHES 1250u /* LightDSA's 40000 descriptors */

enum mode { SYNC, QD, BATCH, OOO };

struct scenario {
    int op_index;
    uint64_t size;
    int mode;             /* enum mode */
    int wq;               /* index into wq_choices */
    unsigned engines, qd, batch, inflight, align;
    double harness_ns;
    uint64_t count;
    char emu[512];
    unsigned op;          /* the opcode of op_index */
    bool shared;
};

struct bufs {
    uint8_t *mem;
    uint8_t *src, *src2, *dst;
    struct dsa_hw_desc *desc;            /* [slots * (batch + 1)] */
    struct dsa_completion_record *recs;  /* one per descriptor, 32-byte aligned */
    size_t slots, per_slot;
};

static const char *const op_choices[] = {"compval", "compare", "memmove", "memfill", NULL};
static const unsigned op_codes[] = {DSA_OPCODE_COMPVAL, DSA_OPCODE_COMPARE, DSA_OPCODE_MEMMOVE,
                                    DSA_OPCODE_MEMFILL};
static const char *const mode_choices[] = {"sync", "qd", "batch", "ooo", NULL};
static const char *const wq_choices[] = {"shared", "dedicated", NULL};

/* The bounds keep a scenario's buffers and descriptors in memory (batch:
 * the max_batch of the WQ run() opens). */
static const struct zc_opt scenario_opts[] = {
    {.name = "op", .type = ZC_OPT_ENUM, .offset = offsetof(struct scenario, op_index),
     .choices = op_choices, .def = "compval"},
    {.name = "size", .type = ZC_OPT_SIZE, .offset = offsetof(struct scenario, size), .min = 1,
     .max = 1u << 30},
    {.name = "mode", .type = ZC_OPT_ENUM, .offset = offsetof(struct scenario, mode),
     .choices = mode_choices, .def = "sync"},
    {.name = "wq", .type = ZC_OPT_ENUM, .offset = offsetof(struct scenario, wq), .choices = wq_choices,
     .def = "shared"},
    {.name = "engines", .type = ZC_OPT_UINT, .offset = offsetof(struct scenario, engines), .min = 1,
     .max = 16, .def = "1"},
    {.name = "qd", .type = ZC_OPT_UINT, .offset = offsetof(struct scenario, qd), .min = 1, .max = 4096,
     .def = "32"},
    {.name = "batch", .type = ZC_OPT_UINT, .offset = offsetof(struct scenario, batch), .min = 2,
     .max = 1024, .def = "32"},
    {.name = "inflight", .type = ZC_OPT_UINT, .offset = offsetof(struct scenario, inflight), .min = 1,
     .max = 1024, .def = "80"},
    {.name = "align", .type = ZC_OPT_UINT, .offset = offsetof(struct scenario, align), .min = 1,
     .max = 4096, .def = "64"},
    {.name = "harness_ns", .type = ZC_OPT_DOUBLE, .offset = offsetof(struct scenario, harness_ns),
     .dmin = 0, .dmax = 1e9, .def = "0"},
    {.name = "count", .type = ZC_OPT_U64, .offset = offsetof(struct scenario, count), .min = 0,
     .max = 1000000000, .def = "0"},
    {.name = "emu", .type = ZC_OPT_STRING, .offset = offsetof(struct scenario, emu),
     .size = sizeof(((struct scenario *)0)->emu), .def = ""},
    {0},
};

/* The line's key=value words (the emu value holds commas: not a spec). */
static int split_words(char *line, struct zc_spec *words, const char *where)
{
    words->n = 0;
    for (char *save, *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        char *v = strchr(w, '=');
        if (!v || v == w)
            return zc_fail(EINVAL, "%s: '%s' is not key=value", where, w);
        *v++ = '\0';
        if (zc_spec_get(words, w))
            return zc_fail(EINVAL, "%s: key '%s' given twice", where, w);
        if (words->n == ZC_SPEC_MAX_KEYS)
            return zc_fail(EINVAL, "%s: more than %d words", where, ZC_SPEC_MAX_KEYS);
        words->kv[words->n++] = (struct zc_spec_kv){w, v};
    }
    return 0;
}

static int parse(char *line, unsigned line_no, struct scenario *s)
{
    char where[32];
    snprintf(where, sizeof where, "line %u", line_no);
    struct zc_spec words = {0};
    memset(s, 0, sizeof *s);
    int rc = split_words(line, &words, where);
    if (!rc)
        rc = zc_opts_apply(scenario_opts, &words, s, where);
    if (rc)
        return rc;
    if (!zc_spec_get(&words, "size"))
        return zc_fail(EINVAL, "%s: no size (allowed: size=BYTES, 1..1G)", where);
    if (s->align & (s->align - 1))
        return zc_fail(EINVAL, "%s: bad value '%u' for align (allowed: a power of two up to 4096)", where,
                       s->align);
    s->op = op_codes[s->op_index];
    s->shared = s->wq == 0;
    if (!s->count) { /* long enough for a steady state, short enough to run quickly */
        uint64_t n = (32u << 20) / s->size;
        s->count = s->mode == SYNC ? 16 : n < 64 ? 64 : n > 8192 ? 8192 : n;
    }
    return 0;
}

/* One buffer set reused by every descriptor: the model's time does not
 * depend on addresses, only on sizes and alignment. */
static int alloc_bufs(const struct scenario *s, struct bufs *b)
{
    b->per_slot = s->mode == SYNC ? 1 : s->mode == QD ? 1 : s->batch + 1;
    b->slots = s->mode == SYNC ? 1 : s->mode == QD ? s->qd : s->mode == OOO ? OOO_BATCHES : s->inflight + 1;
    size_t data = (size_t)s->size + 64, recs = b->slots * b->per_slot;
    size_t total = 3 * data + recs * 64 + recs * 32 + 4096;
    b->mem = aligned_alloc(4096, (total + 4095) & ~(size_t)4095);
    if (!b->mem)
        return zc_fail(ENOMEM, "%zu bytes of buffers and descriptors: out of memory", total);
    memset(b->mem, 0, total);
    uint8_t *p = b->mem;
    size_t off = s->align % 64; /* the buffers' offset from a cache line */
    b->src = p + off, p += data + 64;
    b->src2 = p + off, p += data + 64;
    b->dst = p + off, p += data + 64;
    p = (uint8_t *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
    b->desc = (struct dsa_hw_desc *)p, p += recs * 64;
    b->recs = (struct dsa_completion_record *)p;
    return 0;
}

static void fill_desc(const struct scenario *s, const struct bufs *b, struct dsa_hw_desc *d,
                      struct dsa_completion_record *cr, uint64_t size, unsigned op)
{
    memset(d, 0, sizeof *d);
    d->opcode = op;
    d->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d->completion_addr = (uintptr_t)cr;
    d->xfer_size = (uint32_t)size;
    switch (op) {
    case DSA_OPCODE_MEMMOVE: d->src_addr = (uintptr_t)b->src; d->dst_addr = (uintptr_t)b->dst; break;
    case DSA_OPCODE_MEMFILL: d->dst_addr = (uintptr_t)b->dst; break;
    case DSA_OPCODE_COMPARE: d->src_addr = (uintptr_t)b->src; d->src2_addr = (uintptr_t)b->src2; break;
    default: d->src_addr = (uintptr_t)b->src; break; /* COMPVAL, pattern 0 over zeros */
    }
    (void)s;
    cr->status = 0;
}

/* Submits; a shared WQ that refuses is retried after one of ours completes. */
static int submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *d, struct zc_dsa_waiter *w,
                  const struct dsa_completion_record *oldest)
{
    for (;;) {
        int rc = zc_dsa_wq_submit(wq, d);
        if (rc != -EAGAIN)
            return rc;
        if (!oldest || zc_dsa_wait(w, oldest) < 0)
            return -EAGAIN;
    }
}

/* Slot i's descriptors (a plain one, or a BATCH and its members). */
static struct dsa_hw_desc *slot_desc(const struct bufs *b, size_t i) { return b->desc + i * b->per_slot; }
static struct dsa_completion_record *slot_rec(const struct bufs *b, size_t i)
{
    return b->recs + i * b->per_slot;
}

/* Fills slot i with one plain descriptor, or a BATCH of n members of size
 * bytes (the slot's first record is the one to wait for). */
static void fill_slot(const struct scenario *s, const struct bufs *b, size_t i, unsigned n,
                      uint64_t size, unsigned op)
{
    struct dsa_hw_desc *d = slot_desc(b, i);
    struct dsa_completion_record *cr = slot_rec(b, i);
    if (n == 1) {
        fill_desc(s, b, d, cr, size, op);
        zc_dsa_sim_spend((uint64_t)s->harness_ns);
        return;
    }
    for (unsigned m = 0; m < n; m++) {
        fill_desc(s, b, d + 1 + m, cr + 1 + m, size, op);
        zc_dsa_sim_spend((uint64_t)s->harness_ns);
    }
    memset(d, 0, sizeof *d);
    d->opcode = DSA_OPCODE_BATCH;
    d->flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d->completion_addr = (uintptr_t)cr;
    d->desc_list_addr = (uintptr_t)(d + 1);
    d->desc_count = n;
    cr->status = 0;
}

/* Keeps up to `slots` descriptors (plain or BATCH) in flight, oldest waited
 * for first, until `total` have completed; the simulated time it took. */
static int pipeline(const struct scenario *s, const struct bufs *b, struct zc_dsa_wq *wq,
                    struct zc_dsa_waiter *w, unsigned per, uint64_t total, double *ns)
{
    uint64_t t0 = zc_dsa_sim_now_ns();
    size_t slots = b->slots, head = 0, busy = 0;
    for (uint64_t sent = 0; sent < total || busy;) {
        if (busy == slots || sent == total) {
            if (zc_dsa_wait(w, slot_rec(b, head)) != DSA_COMP_SUCCESS)
                return -1;
            head = (head + 1) % slots;
            busy--;
            continue;
        }
        size_t i = (head + busy) % slots;
        fill_slot(s, b, i, per, s->size, s->op);
        if (submit(wq, slot_desc(b, i), w, busy ? slot_rec(b, head) : NULL) != 0)
            return -1;
        busy++;
        sent++;
    }
    *ns = (double)(zc_dsa_sim_now_ns() - t0);
    return 0;
}

/* LightDSA's out-of-order test: a BATCH of one descriptor of `size` and
 * 1 KiB ones, then BATCHes of 1 KiB descriptors submitted back to back
 * (prepared beforehand); how many of those completed when the first BATCH
 * is seen complete. */
static int out_of_order(const struct scenario *s, const struct bufs *b, struct zc_dsa_wq *wq,
                        struct zc_dsa_waiter *w, double *batches)
{
    struct zc_dsa_waiter peek = *w;
    peek.timeout_ns = 1; /* a look at a record, not a wait */
    fill_slot(s, b, 0, s->batch, OOO_MEMBER, s->op);
    fill_desc(s, b, slot_desc(b, 0) + 1, slot_rec(b, 0) + 1, s->size, s->op);
    for (size_t i = 1; i < b->slots; i++)
        fill_slot(s, b, i, s->batch, OOO_MEMBER, s->op);
    size_t sent = 0, oldest = 1;
    while (zc_dsa_wait(&peek, slot_rec(b, 0)) < 0 && sent < b->slots) {
        int rc = zc_dsa_wq_submit(wq, slot_desc(b, sent));
        if (rc == -EAGAIN) { /* the WQ is full: the device takes the next in time */
            while (oldest < sent && zc_dsa_wait(&peek, slot_rec(b, oldest)) >= 0)
                oldest++;
            if (oldest < sent && zc_dsa_wait(w, slot_rec(b, oldest)) < 0)
                return -1;
            continue;
        }
        if (rc)
            return -1;
        sent++;
    }
    uint64_t before = 0;
    for (size_t i = 1; i < sent; i++)
        before += zc_dsa_wait(&peek, slot_rec(b, i)) >= 0;
    for (size_t i = 0; i < sent; i++)
        if (zc_dsa_wait(w, slot_rec(b, i)) != DSA_COMP_SUCCESS)
            return -1;
    *batches = (double)before;
    return 0;
}

static int run(const struct scenario *s, double *value)
{
    char spec[768];
    snprintf(spec, sizeof spec, "emu:clock=virtual,engines=%u,mode=%s,max_batch=1024,max_xfer=1G%s%s",
             s->engines, s->shared ? "shared" : "dedicated", s->emu[0] ? "," : "", s->emu);
    struct zc_dsa_wq *wq;
    int open_rc = zc_dsa_wq_open(spec, &wq);
    if (open_rc != 0) {
        fprintf(stderr, "zc-project: %s\n", zc_last_error());
        return open_rc; /* -EINVAL: the scenario's emu= keys, bad input */
    }
    struct bufs b;
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_SPIN, .timeout_ns = 10000000000ull};
    zc_dsa_waiter_use(&w, wq);
    int rc = alloc_bufs(s, &b);
    double ns = 0;
    if (!rc && s->mode == SYNC) {
        rc = pipeline(s, &b, wq, &w, 1, 2, &ns); /* warm-up */
        if (!rc)
            rc = pipeline(s, &b, wq, &w, 1, s->count, &ns);
        *value = ns / (double)s->count / 1e3;
    } else if (!rc && s->mode == OOO) {
        rc = out_of_order(s, &b, wq, &w, value);
    } else if (!rc) {
        unsigned per = s->mode == BATCH ? s->batch : 1;
        uint64_t n = (s->count + per - 1) / per;
        rc = pipeline(s, &b, wq, &w, per, n, &ns);
        *value = (double)(n * per) * (double)s->size / ns;
    }
    if (rc)
        fprintf(stderr, "zc-project: a descriptor failed or timed out: %s\n", zc_last_error());
    free(b.mem);
    zc_dsa_wq_close(wq);
    return rc;
}

/* The spr profile as emu keys: where a fit starts. */
static void print_profile(void)
{
    const struct zc_emu_profile *p = zc_emu_profile_of(ZC_EMU_TIMING_SPR);
    printf("enqcmd_ns=%g\nmovdir_ns=%g\ndesc_ns=%g\nbuffer_ns=%g\nbatch_ns=%g\nengine_gbps=%g\n"
           "device_gbps=%g\nlat_ns=%g\nread_lat_ns=%g\nwrite_lat_ns=%g\nramp_ns=%g\nramp_bytes=%g\n"
           "fault_ns=%g\npartial_ns=%g\npartial_lat_ns=%g\n",
           p->enqcmd_ns, p->movdir_ns, p->desc_ns, p->buffer_ns, p->batch_ns, p->engine_gbps,
           p->device_gbps, p->lat_ns, p->read_lat_ns, p->write_lat_ns, p->ramp_ns, p->ramp_bytes,
           p->fault_ns, p->partial_ns, p->partial_lat_ns);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--profile") == 0) {
        print_profile();
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "zc-project: unexpected argument '%s' (allowed: --profile, or none: scenarios on "
                        "stdin, key=value words a line; see bench/project.c)\n", argv[1]);
        return 2;
    }
    zc_dsa_sim_measure_own_work(false);
    char line[LINE_MAX_LEN];
    int status = 0;
    for (unsigned line_no = 1; fgets(line, sizeof line, stdin); line_no++) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') { /* the rest would read as a scenario */
            fprintf(stderr, "zc-project: line %u: longer than %d characters\n", line_no, LINE_MAX_LEN - 2);
            return 2;
        }
        const char *first = line + strspn(line, " \t\r\n");
        if (*first == '\0' || *first == '#')
            continue;
        struct scenario s;
        double v = 0;
        int rc;
        if (parse(line, line_no, &s) != 0) {
            fprintf(stderr, "zc-project: %s\n", zc_last_error());
            status = 2;
            printf("nan\n");
        } else if ((rc = run(&s, &v)) != 0) {
            if (status != 2)
                status = rc == -EINVAL ? 2 : 1;
            printf("nan\n");
        } else {
            printf("%.6g\n", v);
        }
        fflush(stdout);
    }
    return status;
}

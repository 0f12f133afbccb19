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
 * descriptors): the batches done before it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zc/dsa.h>
#include <zc/error.h>

#include "dsa/emu/internal.h"

#define LINE_MAX_LEN 1024
#define OOO_MEMBER 1024u
#define OOO_BATCHES 1250u /* LightDSA's 40000 descriptors */

enum mode { SYNC, QD, BATCH, OOO };

struct scenario {
    unsigned op;
    uint64_t size;
    enum mode mode;
    unsigned engines, qd, batch, inflight, align;
    bool shared;
    double harness_ns;
    uint64_t count;
    char emu[512];
};

struct bufs {
    uint8_t *mem;
    uint8_t *src, *src2, *dst;
    struct dsa_hw_desc *desc;            /* [slots * (batch + 1)] */
    struct dsa_completion_record *recs;  /* one per descriptor, 32-byte aligned */
    size_t slots, per_slot;
};

static int fail(const char *line, const char *why)
{
    fprintf(stderr, "zc-project: bad scenario '%s': %s\n", line, why);
    return -1;
}

static int parse(char *line, struct scenario *s)
{
    *s = (struct scenario){.op = DSA_OPCODE_COMPVAL, .mode = SYNC, .engines = 1, .qd = 32,
                           .batch = 32, .inflight = 80, .align = 64, .shared = true};
    char copy[LINE_MAX_LEN];
    snprintf(copy, sizeof copy, "%s", line);
    for (char *save, *w = strtok_r(line, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        char *v = strchr(w, '=');
        if (!v)
            return fail(copy, "a word is not key=value");
        *v++ = '\0';
        if (!strcmp(w, "op")) {
            s->op = !strcmp(v, "compval") ? DSA_OPCODE_COMPVAL : !strcmp(v, "compare") ? DSA_OPCODE_COMPARE
                  : !strcmp(v, "memmove") ? DSA_OPCODE_MEMMOVE : !strcmp(v, "memfill") ? DSA_OPCODE_MEMFILL
                  : 0;
            if (!s->op)
                return fail(copy, "op is compval, compare, memmove or memfill");
        } else if (!strcmp(w, "mode")) {
            s->mode = !strcmp(v, "sync") ? SYNC : !strcmp(v, "qd") ? QD : !strcmp(v, "batch") ? BATCH
                    : !strcmp(v, "ooo") ? OOO : (enum mode)-1;
            if ((int)s->mode < 0)
                return fail(copy, "mode is sync, qd, batch or ooo");
        } else if (!strcmp(w, "wq")) {
            s->shared = !strcmp(v, "shared");
        } else if (!strcmp(w, "emu")) {
            snprintf(s->emu, sizeof s->emu, "%s", v);
        } else {
            char *end;
            double d = strtod(v, &end);
            if (*end || end == v || d < 0)
                return fail(copy, "a number is not a non-negative number");
            if (!strcmp(w, "size")) s->size = (uint64_t)d;
            else if (!strcmp(w, "engines")) s->engines = (unsigned)d;
            else if (!strcmp(w, "qd")) s->qd = (unsigned)d;
            else if (!strcmp(w, "batch")) s->batch = (unsigned)d;
            else if (!strcmp(w, "inflight")) s->inflight = (unsigned)d;
            else if (!strcmp(w, "align")) s->align = (unsigned)d;
            else if (!strcmp(w, "harness_ns")) s->harness_ns = d;
            else if (!strcmp(w, "count")) s->count = (uint64_t)d;
            else return fail(copy, "unknown key");
        }
    }
    if (!s->size || s->size > (1u << 30) || !s->engines || !s->qd || s->batch < 2 || !s->inflight ||
        !s->align || s->align > 4096 || (s->align & (s->align - 1)))
        return fail(copy, "size 1..1G, engines/qd/inflight >= 1, batch >= 2, align a power of two up to 4096");
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
        return -1;
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
    if (zc_dsa_wq_open(spec, &wq) != 0) {
        fprintf(stderr, "zc-project: %s\n", zc_last_error());
        return -1;
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
        fprintf(stderr, "zc-project: unexpected argument '%s'\nusage: zc-project < SCENARIOS  (one scenario of key=value words per line; "
                        "see bench/project.c)\n", argv[1]);
        return 2;
    }
    zc_dsa_sim_measure_own_work(false);
    char line[LINE_MAX_LEN];
    int status = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (line[strspn(line, " \t\r\n")] == '\0' || line[0] == '#')
            continue;
        struct scenario s;
        double v = 0;
        if (parse(line, &s) != 0) {
            status = 2;
            printf("nan\n");
        } else if (run(&s, &v) != 0) {
            status = 1;
            printf("nan\n");
        } else {
            printf("%.6g\n", v);
        }
        fflush(stdout);
    }
    return status;
}

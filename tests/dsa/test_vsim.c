/* The projection's timing (dsa/emu/vsim.c, dsa/emu/vtime.c, dsa/emu/vwq.c)
 * with given times: a synchronous chain, a pipeline of plain descriptors,
 * batches, engines sharing the device's rate, a full WQ, partly written
 * lines, a fault, a DRAIN, ENQCMD serialization on the submitting core and
 * a compare that stops at its first difference. The simulation is
 * deterministic: times are checked to the nanosecond where the model's
 * arithmetic is exact. Then threads that break the projection's rule (a
 * thread blocked without pausing, one that ends, is cancelled or forked
 * from) never make the others hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <zc/backend.h>
#include <zc/dsa.h>
#include <zc/error.h>

#include "dsa/clock.h"
#include "dsa/emu/vsim.h"

/* Round numbers: 1 byte per ns per engine (1 GB/s), 2 per device. */
static const struct zc_emu_profile prof = {
    .enqcmd_ns = 100, .movdir_ns = 10, .desc_ns = 20, .buffer_ns = 5, .batch_ns = 50,
    .engine_gbps = 1, .device_gbps = 2, .lat_ns = 300, .read_lat_ns = 100,
    .write_lat_ns = 40, .ramp_ns = 0, .ramp_bytes = 0, .fault_ns = 500,
    .partial_ns = 500, .partial_lat_ns = 60,
};

/* The same, through a projected WQ's spec (a ramp too short to count). */
#define ROUND_WQ                                                                                  \
    "emu:clock=virtual,engines=1,enqcmd_ns=100,movdir_ns=10,desc_ns=20,buffer_ns=5,"              \
    "engine_gbps=1,device_gbps=2,lat_ns=300,read_lat_ns=100,ramp_ns=0.001,ramp_bytes=1e-9"

static void nothing(struct zc_vsim_rec *r, void *ctx) { (void)r, (void)ctx; }

/* Whether the thread's simulated time moved by `ns` since t0. Its clock
 * carries fractions of a ns (own work measured on the host, the profile's
 * ramp) and each read rounds: two reads differ by the span +-1. */
static bool took_ns(uint64_t t0, uint64_t ns)
{
    uint64_t span = zc_dsa_sim_now_ns() - t0;
    return span + 1 >= ns && span <= ns + 1;
}

static struct zc_vsim_work compval(uint64_t bytes, struct zc_vsim_rec *rec)
{
    return (struct zc_vsim_work){{.opcode = DSA_OPCODE_COMPVAL, .directions = 1, .xfer = bytes,
                                  .read = bytes}, rec};
}

static struct zc_vsim_rec *rec(void)
{
    struct zc_vsim_rec *r = calloc(1, sizeof *r);
    r->visible_ns = ZC_VSIM_NEVER;
    return r;
}

static void arrive(struct zc_vsim_wq *w, const struct zc_vsim_work *m, unsigned n, bool batch,
                   struct zc_vsim_rec *batch_rec)
{
    assert_true(zc_vsim_wq_has_room(w));
    struct zc_vsim_job *j = zc_vsim_arrive(w);
    assert_non_null(j);
    assert_int_equal(zc_vsim_job_ready(j, m, n, batch, false, batch_rec), 0);
}

static void arrive_drain(struct zc_vsim_wq *w, struct zc_vsim_rec *rec)
{
    struct zc_vsim_job *j = zc_vsim_arrive(w);
    assert_non_null(j);
    struct zc_vsim_work none = {.rec = rec};
    assert_int_equal(zc_vsim_job_ready(j, &none, 1, false, true, NULL), 0);
}

/* A simulation of one device with one WQ, and the records its test frees
 * with it. */
struct one_wq {
    struct zc_vsim *s;
    struct zc_vsim_dev *d;
    struct zc_vsim_wq *w;
};

static struct one_wq one_wq_new(unsigned engines, unsigned wq_size)
{
    struct one_wq o = {zc_vsim_new(nothing, NULL), NULL, NULL};
    o.d = zc_vsim_dev_new(o.s, &prof, engines);
    o.w = zc_vsim_wq_new(o.d, wq_size);
    return o;
}

static void one_wq_free(struct one_wq *o, struct zc_vsim_rec **recs, unsigned n)
{
    zc_vsim_wq_free(o->w);
    zc_vsim_dev_put(o->d);
    zc_vsim_free(o->s);
    for (unsigned i = 0; i < n; i++)
        free(recs[i]);
}

/* One descriptor: its control (decode + one buffer), its transfer, then
 * the record's latency (base + a reading descriptor's). */
static void a_lone_descriptor_is_control_transfer_latency(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(1, 8);
    struct zc_vsim_rec *r = rec();
    struct zc_vsim_work m = compval(4000, r);
    arrive(o.w, &m, 1, false, NULL);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    assert_true(r->visible_ns == 25 + 4000 + 400);
    one_wq_free(&o, &r, 1);
}

/* Back to back on one engine, a descriptor's control overlaps the previous
 * transfer: hypot(25, 4000) - 4000 of it shows (0.08 ns). */
static void a_pipeline_hides_the_next_control(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(1, 8);
    struct zc_vsim_rec *r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = rec();
        struct zc_vsim_work m = compval(4000, r[i]);
        arrive(o.w, &m, 1, false, NULL);
    }
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    double exposed = 4000.0 * (sqrt(1 + (25.0 / 4000) * (25.0 / 4000)) - 1);
    for (int i = 1; i < 4; i++)
        assert_true(fabs(r[i]->visible_ns - r[i - 1]->visible_ns - (4000 + exposed)) < 1e-6);
    one_wq_free(&o, r, 4);
}

/* A BATCH reads its list, then runs its members on one engine; its record
 * follows the last member's. */
static void a_batch_runs_on_one_engine_after_its_list(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(4, 8);
    struct zc_vsim_rec *mr[3] = {rec(), rec(), rec()}, *br = rec();
    struct zc_vsim_work m[3] = {compval(1000, mr[0]), compval(1000, mr[1]), compval(1000, mr[2])};
    arrive(o.w, m, 3, true, br);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    double step = hypot(25, 1000) - 1000 + 1000;
    assert_true(fabs(mr[0]->visible_ns - (50 + 25 + 1000 + 400)) < 1e-6);
    assert_true(fabs(mr[2]->visible_ns - (50 + 25 + 1000 + 2 * step + 400)) < 1e-6);
    assert_true(br->visible_ns == mr[2]->visible_ns);
    one_wq_free(&o, (struct zc_vsim_rec *[]){mr[0], mr[1], mr[2], br}, 4);
}

/* Three engines streaming share the device's 2 bytes/ns: 2/3 each, not
 * their own 1; alone, one runs at its own rate. */
static void streaming_engines_share_the_device(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(3, 8);
    struct zc_vsim_rec *r[3];
    for (int i = 0; i < 3; i++) {
        r[i] = rec();
        struct zc_vsim_work m = compval(6000, r[i]);
        arrive(o.w, &m, 1, false, NULL);
    }
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(r[i]->visible_ns - (25 + 6000 / (2.0 / 3) + 400)) < 1e-6);
    one_wq_free(&o, r, 3);
}

/* A WQ holds what engines have not taken: full at its size. */
static void a_wq_is_full_at_its_size(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(1, 2);
    struct zc_vsim_work m = compval(4000, NULL);
    arrive(o.w, &m, 1, false, NULL);
    arrive(o.w, &m, 1, false, NULL);
    assert_false(zc_vsim_wq_has_room(o.w));
    zc_vsim_advance(o.s, 1, NULL); /* the engine takes the first at 0 */
    assert_true(zc_vsim_wq_has_room(o.w));
    one_wq_free(&o, NULL, 0);
}

/* A fault ends the transfer where it faulted and costs fault_ns. */
static void a_fault_costs_device_time(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(1, 8);
    struct zc_vsim_rec *rf = rec();
    struct zc_vsim_work f = compval(1000, rf);
    f.work.fault = true;
    arrive(o.w, &f, 1, false, NULL);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    assert_true(rf->visible_ns == 25 + 1000 + 500 + 400);
    one_wq_free(&o, &rf, 1);
}

static struct zc_vsim_work fill_partly(uint64_t bytes, struct zc_vsim_rec *rec)
{
    return (struct zc_vsim_work){{.opcode = DSA_OPCODE_MEMFILL, .directions = 1, .xfer = bytes,
                                  .write = bytes, .partial_lines = 2}, rec};
}

static uint32_t lines_written_in_part(uint8_t opcode, uint64_t dst, uint64_t dest2, uint32_t size)
{
    struct dsa_hw_desc d = {.opcode = opcode, .dst_addr = dst, .dest2 = dest2, .xfer_size = size};
    struct dsa_completion_record r = {.status = DSA_COMP_SUCCESS};
    return zc_emu_work_of(&d, &r).partial_lines;
}

/* What the timing counts as partly written: a destination's first line
 * when it starts inside one, its last when it ends inside one (one line
 * when both are the same); the lines between are whole. */
static void partly_written_lines_are_a_destinations_ends(void **state)
{
    (void)state;
    assert_int_equal(lines_written_in_part(DSA_OPCODE_MEMMOVE, 4096, 0, 4096), 0);
    assert_int_equal(lines_written_in_part(DSA_OPCODE_MEMMOVE, 4096 + 8, 0, 4096), 2);
    assert_int_equal(lines_written_in_part(DSA_OPCODE_MEMFILL, 4096 + 8, 0, 64), 2);
    assert_int_equal(lines_written_in_part(DSA_OPCODE_MEMFILL, 4096 + 8, 0, 56), 1);
    assert_int_equal(lines_written_in_part(DSA_OPCODE_MEMFILL, 4096 + 8, 0, 16), 1);
    assert_int_equal(lines_written_in_part(DSA_OPCODE_MEMFILL, 4096, 0, 100), 1);
    assert_int_equal(lines_written_in_part(DSA_OPCODE_DUALCAST, 4096 + 8, 8192 + 8, 4096), 4);
    assert_int_equal(lines_written_in_part(DSA_OPCODE_COMPVAL, 4096 + 8, 0, 4096), 0);
}

/* Partly written lines (a head and a tail): a lone descriptor's engine
 * merges them in the background, its record shows the merge's latency
 * beside its own write-back (hypot(60, 3000) - 3000 of it); back to back,
 * the next member first finishes the merge (2 x 500 ns) as control work,
 * overlapping the previous transfer (100 ns) by the hypot rule. */
static void partly_written_lines_merge_one_at_a_time(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(1, 8);
    struct zc_vsim_rec *lone = rec(), *r[2] = {rec(), rec()};
    struct zc_vsim_work p = fill_partly(3000, lone);
    arrive(o.w, &p, 1, false, NULL);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    assert_true(fabs(lone->visible_ns - (25 + 3000 + 340 + hypot(60, 3000) - 3000)) < 1e-6);
    zc_vsim_advance(o.s, 1e6, NULL); /* long idle: the merge is over */
    struct zc_vsim_work m[2] = {fill_partly(100, r[0]), fill_partly(100, r[1])};
    arrive(o.w, m, 1, false, NULL);
    arrive(o.w, m + 1, 1, false, NULL);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    double latency = 340 + hypot(60, 100) - 100;
    assert_true(fabs(r[0]->visible_ns - (1e6 + 25 + 100 + latency)) < 1e-6);
    double second = hypot(25 + 1000, 100) - 100 + 100;
    assert_true(fabs(r[1]->visible_ns - (1e6 + 25 + 100 + second + latency)) < 1e-6);
    one_wq_free(&o, (struct zc_vsim_rec *[]){lone, r[0], r[1]}, 3);
}

/* Late in a long run simulated ns are coarse (at 2e11 ns a double holds
 * 3e-5 ns): engines sharing the device at a rate with no exact binary
 * fraction must still finish their transfers, each record after the last
 * (the simulation once spun here forever, 188 s into a full profile). */
static void transfers_end_late_in_a_long_run(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(3, 64);
    zc_vsim_advance(o.s, 2e11, NULL);
    assert_true(zc_vsim_now(o.s) == 2e11);
    enum { N = 48 };
    struct zc_vsim_rec *r[N];
    for (int i = 0; i < N; i++) {
        r[i] = rec();
        struct zc_vsim_work m = compval(4093 + 7 * (uint64_t)i, r[i]);
        arrive(o.w, &m, 1, false, NULL);
    }
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    double last = 2e11;
    for (int i = 0; i < N; i++) {
        assert_true(r[i]->visible_ns > 2e11 && r[i]->visible_ns < 2e11 + 1e6);
        last = fmax(last, r[i]->visible_ns);
        free(r[i]);
    }
    /* 3 engines at 2/3 B/ns each: about 48 x 4.25 KB / 2 B/ns in all. */
    assert_true(last - 2e11 > 48 * 4093 / 2.0 && last - 2e11 < 48 * 4500 / 2.0 + 5000);
    one_wq_free(&o, NULL, 0);
}

/* Two DRAINs of one WQ taken by two engines at once: each waits only for
 * the descriptors before it, so neither waits for the other (they once
 * held their engines forever). */
static void drains_taken_together_both_complete(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(3, 8);
    struct zc_vsim_rec *r = rec(), *dr[2] = {rec(), rec()}, *after = rec();
    struct zc_vsim_work m = compval(4000, r);
    arrive(o.w, &m, 1, false, NULL);
    arrive_drain(o.w, dr[0]);
    arrive_drain(o.w, dr[1]);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    assert_true(r->visible_ns == 25 + 4000 + 400);
    for (int i = 0; i < 2; i++)
        assert_true(dr[i]->visible_ns == r->visible_ns);
    /* Their engines are free again: a later descriptor runs on one. */
    zc_vsim_advance(o.s, 1e5, NULL);
    m = compval(1000, after);
    arrive(o.w, &m, 1, false, NULL);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    assert_true(fabs(after->visible_ns - (1e5 + 25 + 1000 + 400)) < 1e-6);
    one_wq_free(&o, (struct zc_vsim_rec *[]){r, dr[0], dr[1], after}, 4);
}

/* A BATCH whose middle member faults half way: that member ends at the
 * fault and costs fault_ns, the next one starts afresh (nothing streamed
 * to overlap its control with), the BATCH's record follows the last
 * member's, and a DRAIN another engine took meanwhile completes with it. */
static void a_drain_follows_a_batch_whose_member_faults(void **state)
{
    (void)state;
    struct one_wq o = one_wq_new(2, 8);
    struct zc_vsim_rec *mr[3] = {rec(), rec(), rec()}, *br = rec(), *dr = rec();
    struct zc_vsim_work m[3] = {compval(1000, mr[0]), compval(500, mr[1]), compval(1000, mr[2])};
    m[1].work.fault = true;
    arrive(o.w, m, 3, true, br);
    arrive_drain(o.w, dr);
    zc_vsim_advance(o.s, ZC_VSIM_NEVER, NULL);
    double hidden = hypot(25, 1000) - 1000; /* the faulting member's control */
    assert_true(fabs(mr[0]->visible_ns - (50 + 25 + 1000 + 400)) < 1e-6);
    assert_true(fabs(mr[1]->visible_ns - (50 + 25 + 1000 + hidden + 500 + 500 + 400)) < 1e-6);
    double last = 50 + 25 + 1000 + hidden + 500 + 500 + 25 + 1000 + 400;
    assert_true(fabs(mr[2]->visible_ns - last) < 1e-6);
    assert_true(br->visible_ns == mr[2]->visible_ns);
    assert_true(dr->visible_ns == br->visible_ns);
    one_wq_free(&o, (struct zc_vsim_rec *[]){mr[0], mr[1], mr[2], br, dr}, 5);
}

/* Through the projected WQ, on simulated time with the test's own work not
 * counted: ENQCMD stalls the submitting core per descriptor; a DRAIN
 * completes after everything before it; a compare that finds a difference
 * early completes early. */
static void the_projected_wq_on_simulated_time(void **state)
{
    (void)state;
    zc_dsa_sim_measure_own_work(false);
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open(ROUND_WQ ",mode=shared,wq_size=64", &wq),
                     0);
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, wq);
    uint8_t *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(buf, 0, 8192);
    static struct dsa_completion_record cr[8] __attribute__((aligned(32)));
    struct dsa_hw_desc d;
    memset(&d, 0, sizeof d);
    d.opcode = DSA_OPCODE_COMPVAL;
    d.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d.src_addr = (uintptr_t)buf;
    d.xfer_size = 4000;
    uint64_t t0 = zc_dsa_sim_now_ns();
    for (int i = 0; i < 4; i++) {
        d.completion_addr = (uintptr_t)&cr[i];
        assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    }
    assert_int_equal(zc_dsa_sim_now_ns() - t0, 4 * 100); /* the core waited per ENQCMD */
    /* Not visible before its time: polled at once, the first is pending. */
    assert_int_equal(cr[0].status, 0);
    struct dsa_hw_desc drain;
    memset(&drain, 0, sizeof drain);
    drain.opcode = DSA_OPCODE_DRAIN;
    drain.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    drain.completion_addr = (uintptr_t)&cr[4];
    assert_int_equal(zc_dsa_wq_submit(wq, &drain), 0);
    assert_int_equal(zc_dsa_wait(&wt, &cr[4]), DSA_COMP_SUCCESS);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cr[i].status, DSA_COMP_SUCCESS);
    uint64_t after = zc_dsa_sim_now_ns();
    assert_true(after - t0 >= 4 * 4000 + 400);
    /* A difference at byte 800: the engine stops reading there. */
    buf[800] = 1;
    d.completion_addr = (uintptr_t)&cr[5];
    uint64_t t1 = zc_dsa_sim_now_ns();
    assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    assert_int_equal(zc_dsa_wait(&wt, &cr[5]), DSA_COMP_SUCCESS);
    assert_int_equal(cr[5].result, 1);
    uint64_t took = zc_dsa_sim_now_ns() - t1;
    assert_true(took >= 25 + 800 + 400 && took <= 25 + 800 + 400 + 2);
    zc_dsa_wq_close(wq);
    munmap(buf, 8192);
    zc_dsa_sim_measure_own_work(true);
}

/* A thread's own work counts while it has a projected WQ open: what it
 * did between two cases (30 ms of CPU here) is not part of the next. */
static void own_work_counts_only_with_a_projected_wq_open(void **state)
{
    (void)state;
    static uint8_t buf[4096];
    static struct dsa_completion_record cr __attribute__((aligned(32)));
    struct dsa_hw_desc d;
    memset(&d, 0, sizeof d);
    d.opcode = DSA_OPCODE_COMPVAL;
    d.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d.src_addr = (uintptr_t)buf;
    d.xfer_size = sizeof buf;
    d.completion_addr = (uintptr_t)&cr;
    uint64_t start = 0, end = 0;
    for (int round = 0; round < 2; round++) {
        struct zc_dsa_wq *wq;
        assert_int_equal(zc_dsa_wq_open("emu:clock=virtual", &wq), 0);
        struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
        zc_dsa_waiter_use(&wt, wq);
        memset(&cr, 0, sizeof cr);
        assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
        assert_int_equal(zc_dsa_wait(&wt, &cr), DSA_COMP_SUCCESS);
        *(round ? &end : &start) = zc_dsa_sim_now_ns();
        zc_dsa_wq_close(wq);
        struct timespec t0, t;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
        do
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        while (round == 0 &&
               (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 30000000L);
    }
    assert_true(end - start < 1000000); /* one 4 KiB check: a few us */
}

/* Two submitting threads on one single-engine device (dev=): in
 * simulated time the engine serves them one descriptor after the other,
 * so together they take as long as one thread doing both shares, however
 * the host schedules the two threads. */
struct sharer {
    pthread_t thread;
    pthread_barrier_t *joined;
    uint64_t start, end;
    int rc;
};

static void *share_device(void *arg)
{
    struct sharer *sh = arg;
    zc_dsa_sim_measure_own_work(false);
    struct zc_dsa_wq *wq;
    sh->rc = zc_dsa_wq_open("emu:clock=virtual,dev=shared-test,mode=dedicated,engines=1,"
                            "desc_ns=20,buffer_ns=5,engine_gbps=1,device_gbps=2,lat_ns=300,"
                            "read_lat_ns=100,ramp_ns=0.001,ramp_bytes=1e-9,movdir_ns=10",
                            &wq);
    if (sh->rc)
        return NULL;
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, wq);
    static const uint8_t zeros[4096] __attribute__((aligned(64)));
    struct dsa_completion_record cr __attribute__((aligned(32)));
    struct dsa_hw_desc d;
    memset(&d, 0, sizeof d);
    d.opcode = DSA_OPCODE_COMPVAL;
    d.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d.src_addr = (uintptr_t)zeros;
    d.xfer_size = 4000;
    d.completion_addr = (uintptr_t)&cr;
    /* Both in simulated time before either submits: a thread that has not
     * joined yet holds nobody back. */
    zc_dsa_sim_resume(0);
    pthread_barrier_wait(sh->joined);
    sh->start = zc_dsa_sim_now_ns();
    for (int i = 0; i < 5 && !sh->rc; i++) {
        cr.status = 0;
        sh->rc = zc_dsa_wq_submit(wq, &d);
        if (!sh->rc && zc_dsa_wait(&wt, &cr) != DSA_COMP_SUCCESS)
            sh->rc = -1;
    }
    sh->end = zc_dsa_sim_now_ns();
    zc_dsa_sim_pause();
    zc_dsa_wq_close(wq);
    return NULL;
}

static void threads_share_a_device_in_simulated_time(void **state)
{
    (void)state;
    pthread_barrier_t joined;
    pthread_barrier_init(&joined, NULL, 2);
    struct sharer sh[2] = {{.joined = &joined}, {.joined = &joined}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&sh[i].thread, NULL, share_device, &sh[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(sh[i].thread, NULL);
        assert_int_equal(sh[i].rc, 0);
    }
    uint64_t start = sh[0].start < sh[1].start ? sh[0].start : sh[1].start;
    uint64_t end = sh[0].end > sh[1].end ? sh[0].end : sh[1].end;
    uint64_t alone = 5 * (10 + 25 + 4000 + 400); /* one thread's five round trips */
    /* Neither measures its own work (it stops in the call that creates
     * the thread), so both join at the simulation's present, which nothing
     * moves before both joined: they start together however the host ran
     * them. */
    assert_int_equal(sh[0].start, sh[1].start);
    /* The engine is busy 4025 ns per descriptor, ten of them; each thread
     * waits its records' latency after the engine is done. */
    assert_true(end - start >= 10 * 4025);
    assert_true(end - start <= 10 * 4025 + 2 * (400 + 10 + 25));
    assert_true(sh[0].end - sh[0].start > alone && sh[1].end - sh[1].start > alone);
    pthread_barrier_destroy(&joined);
}

static struct dsa_hw_desc compval_desc(const void *src, uint32_t bytes,
                                       struct dsa_completion_record *cr)
{
    struct dsa_hw_desc d;
    memset(&d, 0, sizeof d);
    d.opcode = DSA_OPCODE_COMPVAL;
    d.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
    d.src_addr = (uintptr_t)src;
    d.xfer_size = bytes;
    d.completion_addr = (uintptr_t)cr;
    return d;
}

/* What the descriptors of the tests below compare against zero. */
static const uint8_t zeros[4000];

/* A projected WQ of the round profile; the test's own work is not counted
 * (it measures simulated time alone). */
static struct zc_dsa_wq *open_round(const char *keys)
{
    zc_dsa_sim_measure_own_work(false);
    char spec[512];
    snprintf(spec, sizeof spec, ROUND_WQ ",%s", keys);
    struct zc_dsa_wq *wq = NULL;
    assert_int_equal(zc_dsa_wq_open(spec, &wq), 0);
    return wq;
}

/* A full WQ in simulated time (one entry, its engine busy 4 us): a
 * dedicated one loses the descriptor, whose record then never comes and
 * the wait ends at its simulated deadline; a shared one refuses it
 * (ENQCMD's retry), each try costing the core its round trip, until the
 * engine takes the one before. */
static void a_full_wq_drops_or_refuses_in_simulated_time(void **state)
{
    (void)state;
    static struct dsa_completion_record cr[3] __attribute__((aligned(32)));
    struct zc_dsa_wq *wq = open_round("mode=dedicated,wq_size=1");
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000};
    zc_dsa_waiter_use(&wt, wq);
    for (int i = 0; i < 3; i++) { /* the engine takes the first, the WQ holds the second */
        struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &cr[i]);
        assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    }
    struct zc_dsa_wq_stats st;
    zc_dsa_wq_stats(wq, &st);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(zc_dsa_wait(&wt, &cr[1]), DSA_COMP_SUCCESS);
    assert_int_equal(cr[0].status, DSA_COMP_SUCCESS);
    uint64_t before = zc_dsa_sim_now_ns();
    assert_int_equal(zc_dsa_wait(&wt, &cr[2]), -ETIMEDOUT);
    assert_int_equal(zc_dsa_sim_now_ns() - before, 1000000);
    assert_int_equal(cr[2].status, 0);
    zc_dsa_wq_close(wq);

    memset(cr, 0, sizeof cr);
    wq = open_round("mode=shared,wq_size=1");
    zc_dsa_waiter_use(&wt, wq);
    uint64_t t0 = zc_dsa_sim_now_ns();
    unsigned refused = 0;
    for (int i = 0; i < 3; i++) {
        struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &cr[i]);
        int rc;
        while ((rc = zc_dsa_wq_submit(wq, &d)) == -EAGAIN)
            refused++;
        assert_int_equal(rc, 0);
    }
    /* The third goes in once the engine takes the second, 4025 ns after
     * the first: about 40 tries of 100 ns. */
    uint64_t submitted = zc_dsa_sim_now_ns() - t0;
    assert_true(submitted >= 4025 && submitted <= 4025 + 2 * 100);
    assert_int_equal(refused, submitted / 100 - 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(zc_dsa_wait(&wt, &cr[i]), DSA_COMP_SUCCESS);
    zc_dsa_wq_close(wq);
    zc_dsa_sim_measure_own_work(true);
}

/* A record read before its modeled time is not complete, however long the
 * host took; at its time it is, and a wait returns exactly then. One
 * COMPVAL on an idle engine: visible 25 + 4000 + 400 ns after it arrives
 * (the ramp adds a thousandth of a ns). */
static void a_record_is_complete_at_its_time_not_before(void **state)
{
    (void)state;
    static struct dsa_completion_record cr[2] __attribute__((aligned(32)));
    struct zc_dsa_wq *wq = open_round("mode=shared");
    const struct zc_dsa_clock *clock = zc_dsa_wq_clock(wq);
    uint64_t t0 = zc_dsa_sim_now_ns();
    struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &cr[0]);
    assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    struct timespec nap = {0, 2000000}; /* host time is not simulated time */
    nanosleep(&nap, NULL);
    zc_dsa_clock_poll(clock);
    assert_int_equal(cr[0].status, 0);
    zc_dsa_sim_spend(4424 - (zc_dsa_sim_now_ns() - t0));
    zc_dsa_clock_poll(clock);
    assert_int_equal(cr[0].status, 0);
    zc_dsa_sim_spend(2);
    zc_dsa_clock_poll(clock);
    assert_int_equal(cr[0].status, DSA_COMP_SUCCESS);
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000};
    zc_dsa_waiter_use(&wt, wq);
    uint64_t t1 = zc_dsa_sim_now_ns();
    d.completion_addr = (uintptr_t)&cr[1];
    assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    assert_int_equal(zc_dsa_wait(&wt, &cr[1]), DSA_COMP_SUCCESS);
    assert_true(took_ns(t1, 4425));
    zc_dsa_wq_close(wq);
    zc_dsa_sim_measure_own_work(true);
}

/* One thread submits to a WQ another opened and ends before its
 * descriptor is done: the device still runs it (the other thread's
 * descriptor queues behind it) and nothing of the ended thread is touched
 * afterwards (its records were once freed under the simulation). */
struct submitter {
    struct zc_dsa_wq *wq;
    const uint8_t *src;
    uint32_t bytes;
    struct dsa_completion_record *cr;
    uint64_t at;                  /* simulated time it submits at */
    pthread_barrier_t *submitted; /* NULL: it ends once it submitted */
    int rc;
};

/* A thread's COMPVAL; given a barrier, it meets the test there after
 * submitting, then waits for its record (10 ms of simulated time). Past
 * the barrier the test may have closed sb->wq (freed): the waiter takes
 * the WQ's clock before it. */
static void *submit_at(void *arg)
{
    struct submitter *sb = arg;
    zc_dsa_sim_measure_own_work(false);
    zc_dsa_sim_resume(sb->at);
    struct dsa_hw_desc d = compval_desc(sb->src, sb->bytes, sb->cr);
    sb->rc = zc_dsa_wq_submit(sb->wq, &d);
    if (!sb->submitted)
        return NULL;
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 10000000};
    zc_dsa_waiter_use(&wt, sb->wq);
    pthread_barrier_wait(sb->submitted);
    if (!sb->rc)
        sb->rc = zc_dsa_wait(&wt, sb->cr);
    return NULL;
}

static void a_thread_may_end_before_its_descriptors(void **state)
{
    (void)state;
    static struct dsa_completion_record theirs, mine __attribute__((aligned(32)));
    memset(&mine, 0, sizeof mine);
    struct zc_dsa_wq *wq = open_round("mode=shared");
    uint64_t t0 = zc_dsa_sim_now_ns();
    struct submitter sb = {.wq = wq, .src = zeros, .bytes = sizeof zeros, .cr = &theirs, .at = t0};
    zc_dsa_sim_pause(); /* it waits for the other thread, which must not wait for it */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, submit_at, &sb), 0);
    pthread_join(th, NULL);
    assert_int_equal(sb.rc, 0);
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, wq);
    struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &mine);
    assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    assert_int_equal(zc_dsa_wait(&wt, &mine), DSA_COMP_SUCCESS);
    assert_true(zc_dsa_sim_now_ns() - t0 >= 2 * 4000 + 400); /* after theirs */
    zc_dsa_wq_close(wq);
    zc_dsa_sim_measure_own_work(true);
}

/* A thread waits for a record whose WQ another thread closes: the record
 * will never come, so the wait ends at its simulated deadline with
 * -ETIMEDOUT (the record was once freed under the waiter). The closing
 * thread holds simulated time where the record is not known yet (a 1 MB
 * compare takes 1 ms), so the waiter is blocked when it closes. */
static void a_wait_on_a_wq_closed_meanwhile_times_out(void **state)
{
    (void)state;
    static struct dsa_completion_record cr __attribute__((aligned(32)));
    uint8_t *src = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(src != MAP_FAILED);
    memset(src, 0, 1 << 20);
    struct zc_dsa_wq *wq = open_round("mode=shared");
    uint64_t t0 = zc_dsa_sim_now_ns(); /* in simulated time from here ... */
    zc_dsa_sim_spend(100000); /* ... and 100 us on */
    pthread_barrier_t submitted;
    pthread_barrier_init(&submitted, NULL, 2);
    struct submitter wa = {.wq = wq, .src = src, .bytes = 1 << 20, .cr = &cr, .at = t0,
                           .submitted = &submitted};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, submit_at, &wa), 0);
    pthread_barrier_wait(&submitted);
    /* The waiter most likely waits by now; if the host ran it later, its
     * wait starts after the close and times out all the same. */
    struct timespec nap = {0, 50000000};
    nanosleep(&nap, NULL);
    zc_dsa_wq_close(wq);
    pthread_join(th, NULL);
    assert_int_equal(wa.rc, -ETIMEDOUT);
    pthread_barrier_destroy(&submitted);
    munmap(src, 1 << 20);
    zc_dsa_sim_measure_own_work(true);
}

/* Host seconds (the stall bound is host time). */
static double host_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A second thread in simulated time at `at`, for the tests below. */
struct other {
    struct zc_dsa_wq *wq;         /* NULL: it opens one of its own and uses none */
    uint64_t at;
    pthread_barrier_t *joined;    /* meets the test once in simulated time */
    pthread_barrier_t *released;  /* NULL: it ends 50 ms after joining */
    pthread_mutex_t *held;        /* it blocks on this (held by the test) */
    struct dsa_completion_record *cr;
    int rc;
};

/* A COMPVAL of zeros on wq, waited for: its status, or the submit's or the
 * wait's failure. */
static int compval_and_wait(struct zc_dsa_wq *wq, struct dsa_completion_record *cr)
{
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, wq);
    struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, cr);
    int rc = zc_dsa_wq_submit(wq, &d);
    return rc ? rc : zc_dsa_wait(&wt, cr);
}

/* Blocks on a mutex the test holds without pausing (the hazard), then
 * runs a COMPVAL of its own, and ends without pausing. */
static void *block_without_pausing(void *arg)
{
    struct other *o = arg;
    zc_dsa_sim_measure_own_work(false);
    zc_dsa_sim_resume(o->at);
    pthread_barrier_wait(o->joined);
    pthread_mutex_lock(o->held);
    pthread_mutex_unlock(o->held);
    o->rc = compval_and_wait(o->wq, o->cr);
    return NULL;
}

/* A thread in simulated time that blocks on another one, here on a mutex
 * the test holds, without zc_dsa_sim_pause() holds the test's simulated
 * time back for good: the test's wait fails with EDEADLK once stall_s of
 * host time passed, saying what to do, rather than hanging; a second wait
 * in the same stall fails at once. Once the test pauses and lets the
 * other thread go, both complete. */
static void a_thread_blocked_without_pausing_fails_the_waiter(void **state)
{
    (void)state;
    static struct dsa_completion_record mine, theirs __attribute__((aligned(32)));
    memset(&mine, 0, sizeof mine);
    memset(&theirs, 0, sizeof theirs);
    struct zc_dsa_wq *wq = open_round("mode=shared,stall_s=0.5");
    pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
    pthread_barrier_t joined;
    pthread_barrier_init(&joined, NULL, 2);
    pthread_mutex_lock(&held);
    /* t0 is the test's clock rounded up to a ns: the other thread joins
     * there, never behind the test, or the submit below would wait for it
     * and stall, not the wait. */
    uint64_t t0 = zc_dsa_sim_now_ns();
    struct other o = {.wq = wq, .at = t0, .joined = &joined, .held = &held, .cr = &theirs,
                      .rc = -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, block_without_pausing, &o), 0);
    pthread_barrier_wait(&joined);
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, wq);
    struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &mine);
    assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    double start = host_s();
    assert_int_equal(zc_dsa_wait(&wt, &mine), -EDEADLK);
    double waited = host_s() - start;
    assert_true(waited >= 0.5 && waited < 10);
    assert_non_null(strstr(zc_last_error(), "zc_dsa_sim_pause()"));
    assert_non_null(strstr(zc_last_error(), "stall_s"));
    start = host_s();
    assert_int_equal(zc_dsa_wait(&wt, &mine), -EDEADLK);
    assert_true(host_s() - start < 0.4);
    assert_int_equal(mine.status, 0);
    zc_dsa_sim_pause(); /* what the thread should have done: now it lets the other go */
    pthread_mutex_unlock(&held);
    pthread_join(th, NULL);
    assert_int_equal(o.rc, DSA_COMP_SUCCESS);
    assert_int_equal(zc_dsa_wait(&wt, &mine), DSA_COMP_SUCCESS);
    assert_true(zc_dsa_sim_now_ns() - t0 + 1 >= 4425); /* each read rounds up (took_ns) */
    zc_dsa_wq_close(wq);
    pthread_barrier_destroy(&joined);
    zc_dsa_sim_measure_own_work(true);
}

/* Joins simulated time at o->at, meets the test, and then either ends 50 ms
 * later without pausing (the test waits meanwhile) or, having opened a
 * projected WQ of its own that it never uses, waits for the test. */
static void *join_and_idle(void *arg)
{
    struct other *o = arg;
    zc_dsa_sim_measure_own_work(false);
    struct zc_dsa_wq *own = NULL;
    if (!o->wq)
        o->rc = zc_dsa_wq_open("emu:clock=virtual", &own);
    else
        zc_dsa_sim_resume(o->at);
    pthread_barrier_wait(o->joined);
    if (o->released) {
        pthread_barrier_wait(o->released);
    } else {
        struct timespec nap = {0, 50000000};
        nanosleep(&nap, NULL);
    }
    if (own)
        zc_dsa_wq_close(own);
    return NULL;
}

/* The test and another thread in simulated time at the test's clock t0,
 * on a shared WQ of the round profile; the other ends 50 ms of host time
 * after they meet, without pausing (join_and_idle). */
struct idler {
    struct zc_dsa_wq *wq;
    uint64_t t0;
    pthread_barrier_t joined;
    struct other o;
    pthread_t thread;
};

static void idler_start(struct idler *i)
{
    i->wq = open_round("mode=shared,stall_s=20");
    pthread_barrier_init(&i->joined, NULL, 2);
    i->t0 = zc_dsa_sim_now_ns();
    i->o = (struct other){.wq = i->wq, .at = i->t0, .joined = &i->joined};
    assert_int_equal(pthread_create(&i->thread, NULL, join_and_idle, &i->o), 0);
    pthread_barrier_wait(&i->joined);
}

static void idler_end(struct idler *i)
{
    pthread_join(i->thread, NULL);
    zc_dsa_wq_close(i->wq);
    pthread_barrier_destroy(&i->joined);
}

/* The test waits for a record while another thread holds its simulated
 * time back, and that thread ends without pausing or closing anything: it
 * leaves simulated time as it ends (its key's destructor), so the wait
 * completes at the record's time instead of stalling. */
static void a_thread_that_ends_without_pausing_holds_nobody_back(void **state)
{
    (void)state;
    static struct dsa_completion_record cr __attribute__((aligned(32)));
    memset(&cr, 0, sizeof cr);
    struct idler i;
    idler_start(&i);
    assert_int_equal(compval_and_wait(i.wq, &cr), DSA_COMP_SUCCESS);
    assert_true(took_ns(i.t0, 4425));
    idler_end(&i);
    zc_dsa_sim_measure_own_work(true);
}

/* The test's submit waits about 50 ms of host time, off the CPU, for
 * another thread that holds simulated time back: that is the model's time,
 * not the test's. The test's own work after it (2 ms of CPU, long enough
 * to be checked against its CPU clock) counts in full; the wait, counted
 * as run, was once taken off it and left it nothing. */
static void own_work_after_a_wait_for_another_thread_counts(void **state)
{
    (void)state;
    static struct dsa_completion_record cr __attribute__((aligned(32)));
    memset(&cr, 0, sizeof cr);
    struct idler i;
    double start = host_s();
    idler_start(&i);
    zc_dsa_sim_spend(1000); /* ahead of the other thread: the submit waits for it */
    zc_dsa_sim_measure_own_work(true);
    assert_int_equal(compval_and_wait(i.wq, &cr), DSA_COMP_SUCCESS);
    assert_true(host_s() - start >= 0.05); /* the other's nap: nothing else ends it */
    uint64_t before = zc_dsa_sim_now_ns();
    uint64_t cpu0 = zc_thread_cpu_ns();
    while (zc_thread_cpu_ns() - cpu0 < 2000000)
        ;
    uint64_t own = zc_dsa_sim_now_ns() - before;
    if (own < 1000000 || own > 40000000)
        fail_msg("2 ms of own work counted as %llu ns", (unsigned long long)own);
    idler_end(&i);
}

/* A thread that opened a projected WQ and blocks before using it is not in
 * simulated time yet: the test's wait does not wait for it. */
static void a_thread_that_only_opened_a_wq_holds_nobody_back(void **state)
{
    (void)state;
    static struct dsa_completion_record cr __attribute__((aligned(32)));
    memset(&cr, 0, sizeof cr);
    pthread_barrier_t opened, released;
    pthread_barrier_init(&opened, NULL, 2);
    pthread_barrier_init(&released, NULL, 2);
    struct other o = {.joined = &opened, .released = &released};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, join_and_idle, &o), 0);
    pthread_barrier_wait(&opened);
    assert_int_equal(o.rc, 0);
    struct zc_dsa_wq *wq = open_round("mode=shared,stall_s=20");
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, wq);
    struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &cr);
    assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    assert_int_equal(zc_dsa_wait(&wt, &cr), DSA_COMP_SUCCESS);
    pthread_barrier_wait(&released);
    pthread_join(th, NULL);
    zc_dsa_wq_close(wq);
    pthread_barrier_destroy(&opened);
    pthread_barrier_destroy(&released);
    zc_dsa_sim_measure_own_work(true);
}

/* Submits at o->at, meets the test, and waits (held back by the test). */
__attribute__((noinline)) static void submit_meet_wait(struct other *o)
{
    zc_dsa_sim_measure_own_work(false);
    zc_dsa_sim_resume(o->at);
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, o->wq);
    struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, o->cr);
    o->rc = zc_dsa_wq_submit(o->wq, &d);
    pthread_barrier_wait(o->joined);
    if (!o->rc)
        o->rc = zc_dsa_wait(&wt, o->cr);
}

/* ... and then reaches a cancellation point, in a frame of no locals
 * (ASan would take those the cancellation unwinds for still in scope). */
static void *wait_then_test_cancel(void *arg)
{
    submit_meet_wait(arg);
    pthread_testcancel();
    return NULL;
}

/* A thread cancelled while it waits for others in simulated time is
 * cancelled once the wait is over, not inside it (where it would end
 * holding the model's lock, and every other thread would wait for good). */
static void a_thread_cancelled_in_a_wait_leaves_after_it(void **state)
{
    (void)state;
    static struct dsa_completion_record mine, theirs __attribute__((aligned(32)));
    memset(&mine, 0, sizeof mine);
    memset(&theirs, 0, sizeof theirs);
    struct zc_dsa_wq *wq = open_round("mode=shared,stall_s=20");
    pthread_barrier_t submitted;
    pthread_barrier_init(&submitted, NULL, 2);
    /* The other thread submits at t0 and then waits, held back by the test
     * at t0 + 1 us. */
    uint64_t t0 = zc_dsa_sim_now_ns();
    zc_dsa_sim_spend(1000);
    struct other o = {.wq = wq, .at = t0, .joined = &submitted, .cr = &theirs, .rc = -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_then_test_cancel, &o), 0);
    pthread_barrier_wait(&submitted);
    struct timespec nap = {0, 50000000}; /* it most likely waits by now */
    nanosleep(&nap, NULL);
    assert_int_equal(pthread_cancel(th), 0);
    nanosleep(&nap, NULL);
    zc_dsa_sim_pause();
    void *ended;
    pthread_join(th, &ended);
    assert_ptr_equal(ended, PTHREAD_CANCELED);
    assert_int_equal(o.rc, DSA_COMP_SUCCESS);
    struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
    zc_dsa_waiter_use(&wt, wq);
    struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &mine);
    assert_int_equal(zc_dsa_wq_submit(wq, &d), 0);
    assert_int_equal(zc_dsa_wait(&wt, &mine), DSA_COMP_SUCCESS);
    zc_dsa_wq_close(wq);
    pthread_barrier_destroy(&submitted);
    zc_dsa_sim_measure_own_work(true);
}

/* Waits at the test's barrier twice, in simulated time at o->at between. */
static void *hold_until_released(void *arg)
{
    struct other *o = arg;
    zc_dsa_sim_measure_own_work(false);
    zc_dsa_sim_resume(o->at);
    pthread_barrier_wait(o->joined);
    pthread_barrier_wait(o->released);
    zc_dsa_sim_pause();
    return NULL;
}

/* A child forked while another thread is in simulated time (holding it
 * back) has the forking thread alone: its wait completes at the record's
 * time, neither stalling on a thread it does not have nor blocking on a
 * lock such a thread held. */
static void a_forked_child_waits_for_no_thread_it_lacks(void **state)
{
    (void)state;
    static struct dsa_completion_record cr __attribute__((aligned(32)));
    memset(&cr, 0, sizeof cr);
    struct zc_dsa_wq *wq = open_round("mode=shared,stall_s=20");
    pthread_barrier_t joined, released;
    pthread_barrier_init(&joined, NULL, 2);
    pthread_barrier_init(&released, NULL, 2);
    uint64_t t0 = zc_dsa_sim_now_ns();
    struct other o = {.wq = wq, .at = t0, .joined = &joined, .released = &released};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, hold_until_released, &o), 0);
    pthread_barrier_wait(&joined);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct zc_dsa_waiter wt = {.policy = ZC_WAIT_SPIN, .timeout_ns = 1000000000};
        zc_dsa_waiter_use(&wt, wq);
        struct dsa_hw_desc d = compval_desc(zeros, sizeof zeros, &cr);
        bool done = zc_dsa_wq_submit(wq, &d) == 0 && zc_dsa_wait(&wt, &cr) == DSA_COMP_SUCCESS &&
                    took_ns(t0, 4425);
        _exit(done ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    pthread_barrier_wait(&released);
    pthread_join(th, NULL);
    zc_dsa_wq_close(wq);
    pthread_barrier_destroy(&joined);
    pthread_barrier_destroy(&released);
    zc_dsa_sim_measure_own_work(true);
}

/* Waits, in simulated time at o->at, for a record the thread that made it
 * holds back; keeps what the wait said. */
struct held_back {
    struct zc_dsa_wq *wq;
    uint64_t at;
    struct dsa_completion_record *cr;
    int rc;
    char said[512];
};

static void *wait_held_back(void *arg)
{
    struct held_back *o = arg;
    zc_dsa_sim_measure_own_work(false);
    zc_dsa_sim_resume(o->at);
    o->rc = compval_and_wait(o->wq, o->cr);
    snprintf(o->said, sizeof o->said, "%s", zc_last_error());
    return NULL;
}

/* In a forked child, the forking thread (now the child's main thread, its
 * tid the child's pid) joins a thread of the child without pausing: the
 * stall's message names that thread by the child's tid, not by the tid it
 * had in the parent. */
static void a_forked_childs_stall_names_the_childs_thread(void **state)
{
    (void)state;
    static struct dsa_completion_record cr __attribute__((aligned(32)));
    memset(&cr, 0, sizeof cr);
    struct zc_dsa_wq *wq = open_round("mode=shared,stall_s=0.2");
    zc_dsa_sim_measure_own_work(false);
    uint64_t t0 = zc_dsa_sim_now_ns();
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct held_back o = {.wq = wq, .at = t0, .cr = &cr, .rc = -1};
        pthread_t th;
        if (pthread_create(&th, NULL, wait_held_back, &o) != 0)
            _exit(2);
        pthread_join(th, NULL); /* without zc_dsa_sim_pause(): the hazard */
        char holder[64];
        snprintf(holder, sizeof holder, "held by thread %d:", (int)getpid());
        if (o.rc != -EDEADLK)
            _exit(3);
        _exit(strstr(o.said, holder) ? 0 : 4);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    zc_dsa_wq_close(wq);
    zc_dsa_sim_measure_own_work(true);
}

/* Joins simulated time at o->at, meets the test, and blocks on a mutex the
 * test holds without pausing (the hazard). */
static void *join_then_block(void *arg)
{
    struct other *o = arg;
    zc_dsa_sim_measure_own_work(false);
    zc_dsa_sim_resume(o->at);
    pthread_barrier_wait(o->joined);
    pthread_mutex_lock(o->held);
    pthread_mutex_unlock(o->held);
    return NULL;
}

/* A DSA backend whose wait stalled (EDEADLK) is unusable afterwards, as
 * after a device timeout (its descriptors are still in the model); its
 * next check says it was a stall, not a timeout. */
static void a_backend_after_a_stall_says_so(void **state)
{
    (void)state;
    static const uint8_t page[4096] __attribute__((aligned(4096)));
    static bool zero[1];
    struct zc_backend *be = NULL;
    assert_int_equal(zc_backend_open("dsa-single:wq={emu:clock=virtual,mode=shared,stall_s=0.2},wait=spin",
                                     &be), 0);
    zc_dsa_sim_measure_own_work(false);
    pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
    pthread_barrier_t joined;
    pthread_barrier_init(&joined, NULL, 2);
    pthread_mutex_lock(&held);
    struct other o = {.at = zc_dsa_sim_now_ns(), .joined = &joined, .held = &held};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, join_then_block, &o), 0);
    pthread_barrier_wait(&joined);
    assert_int_equal(zc_backend_check(be, page, sizeof page, sizeof page, zero), -EDEADLK);
    assert_int_not_equal(zc_backend_check(be, page, sizeof page, sizeof page, zero), 0);
    if (!strstr(zc_last_error(), "stall"))
        fail_msg("after a stall: '%s'", zc_last_error());
    zc_dsa_sim_pause();
    pthread_mutex_unlock(&held);
    pthread_join(th, NULL);
    zc_backend_close(be);
    pthread_barrier_destroy(&joined);
    zc_dsa_sim_measure_own_work(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_lone_descriptor_is_control_transfer_latency),
        cmocka_unit_test(a_pipeline_hides_the_next_control),
        cmocka_unit_test(a_batch_runs_on_one_engine_after_its_list),
        cmocka_unit_test(streaming_engines_share_the_device),
        cmocka_unit_test(a_wq_is_full_at_its_size),
        cmocka_unit_test(a_fault_costs_device_time),
        cmocka_unit_test(partly_written_lines_are_a_destinations_ends),
        cmocka_unit_test(partly_written_lines_merge_one_at_a_time),
        cmocka_unit_test(transfers_end_late_in_a_long_run),
        cmocka_unit_test(drains_taken_together_both_complete),
        cmocka_unit_test(a_drain_follows_a_batch_whose_member_faults),
        cmocka_unit_test(the_projected_wq_on_simulated_time),
        cmocka_unit_test(own_work_counts_only_with_a_projected_wq_open),
        cmocka_unit_test(threads_share_a_device_in_simulated_time),
        cmocka_unit_test(a_full_wq_drops_or_refuses_in_simulated_time),
        cmocka_unit_test(a_record_is_complete_at_its_time_not_before),
        cmocka_unit_test(a_thread_may_end_before_its_descriptors),
        cmocka_unit_test(a_wait_on_a_wq_closed_meanwhile_times_out),
        cmocka_unit_test(a_thread_blocked_without_pausing_fails_the_waiter),
        cmocka_unit_test(a_thread_that_ends_without_pausing_holds_nobody_back),
        cmocka_unit_test(own_work_after_a_wait_for_another_thread_counts),
        cmocka_unit_test(a_thread_that_only_opened_a_wq_holds_nobody_back),
        cmocka_unit_test(a_thread_cancelled_in_a_wait_leaves_after_it),
        cmocka_unit_test(a_forked_child_waits_for_no_thread_it_lacks),
        cmocka_unit_test(a_forked_childs_stall_names_the_childs_thread),
        cmocka_unit_test(a_backend_after_a_stall_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The hardware path over the kernel model (dsa/hw/kernel_model.c): what the
 * cited kernels do to it, and what it does in return. Each test names the
 * defect of the review (/work/shared/design/hw-review.md, D1-D12) it
 * covers; every one of them fails on the code the review read. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zc/backend.h>

#include "dsa/hw/internal.h"
#include "dsa/hw/kernel.h"
#include "dsa_test_util.h"

#define N_PAGES 64

static void use(const char *kernel)
{
    if (zc_dsa_kernel_select(kernel) != 0)
        fail_msg("select %s: %s", kernel, zc_last_error());
}

static int teardown(void **state)
{
    (void)state;
    return zc_dsa_kernel_select("linux");
}

static void says(int rc, int err, const char *a, const char *b)
{
    const char *msg = zc_last_error();
    if (rc != -err)
        fail_msg("returned %d, not -%d (%s): %s", rc, err, strerror(err), msg);
    if (!strstr(msg, a) || (b && !strstr(msg, b)))
        fail_msg("message '%s' lacks '%s' / '%s'", msg, a, b ? b : "");
}

/* Pages of which every third is non-zero. */
static uint8_t *pattern(void)
{
    uint8_t *p = pages(N_PAGES);
    for (size_t i = 0; i < N_PAGES; i += 3)
        p[i * PAGE + 100] = 1;
    return p;
}

static void check_answers(struct zc_backend *be, const uint8_t *p)
{
    bool zero[N_PAGES];
    if (zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero) != 0)
        fail_msg("check: %s", zc_last_error());
    for (size_t i = 0; i < N_PAGES; i++)
        assert_int_equal(zero[i], i % 3 != 0);
}

/* The status of one COMPVAL of page p with extra flags on wq. */
static int compval_status(struct zc_dsa_wq *wq, const uint8_t *p, uint32_t flags, struct job *j)
{
    job_init(j, DSA_OPCODE_COMPVAL, flags);
    j->d.src_addr = addr(p);
    j->d.xfer_size = PAGE;
    return run_job(wq, j);
}

/* Backends here wait with yield: under valgrind (threads serialized) a
 * spinning waiter would starve the model's engine thread past a timeout. */
static struct zc_backend *open_ok(const char *spec)
{
    struct zc_backend *be;
    if (zc_backend_open(spec, &be) != 0)
        fail_msg("%s: %s", spec, zc_last_error());
    return be;
}

/* D2: on a kernel with the INTEL-SA-01084 fix a user without CAP_SYS_RAWIO
 * gets no portal; BATCH is refused at open with the fix, never at the
 * first submission; single descriptors still run, through write(). */
static void d2_fixed_kernel_refuses_batch_at_open_naming_cap_sys_rawio(void **state)
{
    (void)state;
    use("model:kernel=6.9.1,dwq=1");
    struct zc_backend *be;
    says(zc_backend_open("dsa-batch:wq=wq0.0,batch=32", &be), ENOTSUP, "batch=32 needs BATCH",
         "CAP_SYS_RAWIO");
    assert_non_null(strstr(zc_last_error(), "setcap cap_sys_rawio+ep"));
    says(zc_backend_open("dsa-multi:wq=auto,qd=2", &be), ENOTSUP, "needs BATCH", "CAP_SYS_RAWIO");
    uint8_t *p = pattern();
    be = open_ok("dsa-single:wq=wq0.0,wait=yield");
    check_answers(be, p);
    zc_backend_close(be);
    /* With CAP_SYS_RAWIO the same kernel maps the portal, and BATCH goes through it. */
    use("model:kernel=6.9.1,dwq=1,rawio=1");
    be = open_ok("dsa-batch:wq=wq0.0,batch=32,wait=yield");
    assert_string_equal(zc_backend_describe(be)->submit_path, "portal-movdir64b");
    check_answers(be, p);
    zc_backend_close(be);
    unpages(p, N_PAGES);
}

/* D3: the submission path is never silent: write() is labeled in the WQ
 * info, the row's submit_path and its note; the portal paths are named. */
static void d3_submission_path_is_labeled(void **state)
{
    (void)state;
    use("model:kernel=6.9.1,dwq=1");
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("wq0.0", &wq), 0);
    const struct zc_dsa_wq_info *info = zc_dsa_wq_info(wq);
    assert_int_equal(info->path, ZC_DSA_PATH_WRITE);
    assert_non_null(strstr(info->path_note, "EPERM"));
    assert_false(info->ops & (1u << DSA_OPCODE_BATCH)); /* op_cap hides it */
    zc_dsa_wq_close(wq);
    struct zc_backend *be = open_ok("dsa-single:wq=wq0.0,wait=yield");
    assert_string_equal(zc_backend_describe(be)->submit_path, "write");
    assert_string_equal(zc_backend_describe(be)->device, "dsa-kmodel");
    assert_non_null(strstr(zc_backend_describe(be)->note, "write() submission"));
    zc_backend_close(be);

    use("model:kernel=6.1,dwq=1,swq=1"); /* before the fix: the portal for everyone, no write() */
    be = open_ok("dsa-multi:wq=wq0.0+wq0.1,qd=2,batch=4,wait=yield");
    const struct zc_backend_desc *d = zc_backend_describe(be);
    assert_string_equal(d->wq, "wq0.0+wq0.1");
    assert_string_equal(d->wq_mode, "dedicated+shared");
    assert_string_equal(d->submit_path, "portal-movdir64b+portal-enqcmd");
    assert_null(strstr(d->note, "write()"));
    assert_non_null(strstr(d->note, "kernel model"));
    uint8_t *p = pattern();
    check_answers(be, p);
    zc_backend_close(be);
    unpages(p, N_PAGES);
    /* A portal refused (EPERM) where write() does not work either: said
     * at open, not at the first submission (write() is used only once a
     * NOOP went through it). */
    use("model:kernel=6.1,dwq=1,mmap_eperm=1");
    says(zc_dsa_wq_open("wq0.0", &wq), EPERM, "portal mmap of wq0.0 refused (EPERM)",
         "write() submission does not work here either (Invalid argument)");
    use("model:kernel=6.1,dwq=1");
    _Alignas(64) struct dsa_hw_desc noop = {.opcode = DSA_OPCODE_NOOP};
    int fd = zc_dsa_kernel()->open("/dev/dsa/wq0.0");
    assert_true(fd >= 0);
    assert_int_equal(zc_dsa_kernel()->write_desc(fd, &noop), -EINVAL); /* no .write on 6.1 */
    zc_dsa_kernel()->close(fd);
}

struct sender {
    pthread_t thread;
    const uint8_t *p;
    int rc;
};

static void *send(void *arg)
{
    struct sender *s = arg;
    struct zc_backend *be;
    s->rc = zc_backend_open("dsa-batch:wq=wq0.0,batch=4,wait=yield", &be);
    bool zero[N_PAGES];
    for (int pass = 0; !s->rc && pass < 20; pass++) {
        s->rc = zc_backend_check(be, s->p, N_PAGES * PAGE, PAGE, zero);
        for (size_t i = 0; !s->rc && i < N_PAGES; i++)
            s->rc = zero[i] == (i % 3 != 0) ? 0 : -EIO;
    }
    if (be)
        zc_backend_close(be);
    return NULL;
}

/* D4: a dedicated WQ is opened once per process; every backend and thread
 * naming it shares the file and its entries (the kernel's second open
 * would be EBUSY); one held by another process is refused naming the WQ
 * and the reason, and auto passes it by. */
static void d4_dedicated_wq_is_shared_in_process_and_refused_when_held_elsewhere(void **state)
{
    (void)state;
    use("model:kernel=6.1,dwq=2,swq=1,wq_size=16");
    struct zc_dsa_wq *a, *b;
    assert_int_equal(zc_dsa_wq_open("wq0.0", &a), 0);
    assert_int_equal(zc_dsa_wq_open("/dev/dsa/wq0.0", &b), 0);
    char clients[16];
    assert_int_equal(zc_dsa_kernel()->read_attr("wq0.0", "clients", clients, sizeof clients), 0);
    assert_string_equal(clients, "1");
    unsigned got_a = 0, got_b = 0; /* each user up to its share of the 16 entries */
    while (zc_dsa_wq_claim(a))
        got_a++;
    while (zc_dsa_wq_claim(b))
        got_b++;
    assert_int_equal(got_a, 8);
    assert_int_equal(got_b, 8);
    while (got_a--)
        zc_dsa_wq_release(a);
    while (got_b--)
        zc_dsa_wq_release(b);

    /* wq0.1 is held by another process; auto takes the shared WQ instead
     * of it, and of wq0.0 which this process already uses. */
    int other = zc_dsa_kernel()->open("/dev/dsa/wq0.1");
    assert_true(other >= 0);
    struct zc_dsa_wq *c;
    says(zc_dsa_wq_open("wq0.1", &c), EBUSY, "wq0.1 is a dedicated WQ another process has open",
         "(1 client(s); the kernel admits one open file per dedicated WQ: EBUSY)");
    struct zc_dsa_wq_info chosen;
    char why[640];
    assert_int_equal(zc_dsa_auto_choose(-1, NULL, 0, &chosen, why, sizeof why), 0);
    assert_string_equal(chosen.name, "wq0.2");
    /* Its clients count ranks the held WQ last: not even tried. */
    assert_null(strstr(why, "skipped"));
    const char *const mine[] = {"wq0.0", "wq0.2"};
    says(zc_dsa_auto_choose(-1, mine, 2, &chosen, why, sizeof why), EBUSY, "wq0.1", "EBUSY");
    zc_dsa_kernel()->close(other);

    uint8_t *p = pattern();
    struct sender s[2] = {{.p = p}, {.p = p}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&s[i].thread, NULL, send, &s[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(s[i].thread, NULL);
        if (s[i].rc)
            fail_msg("sender %d: %s", i, zc_last_error());
    }
    zc_dsa_wq_close(a);
    zc_dsa_wq_close(b);
    assert_int_equal(zc_dsa_hw_open_files(), 0);
    assert_int_equal(zc_dsa_auto_choose(-1, NULL, 0, &chosen, why, sizeof why), 0);
    assert_string_equal(chosen.name, "wq0.0"); /* free again: the first free dedicated WQ */
    assert_non_null(strstr(why, "nobody has open"));
    unpages(p, N_PAGES);
}

/* D6: block on fault only where the WQ enables it and the device supports
 * it; the emu model refuses the flag the same way. */
static void d6_bof_only_where_wq_and_device_allow_it(void **state)
{
    (void)state;
    struct zc_backend *be;
    use("model:kernel=6.1,dwq=1");
    says(zc_backend_open("dsa-single:wq=wq0.0,bof=1", &be), ENOTSUP,
         "WQ wq0.0 does not enable block on fault", NULL);
    use("model:kernel=6.1,dwq=1,bof=1,dev_bof=0");
    says(zc_backend_open("dsa-single:wq=wq0.0,bof=1", &be), ENOTSUP,
         "device dsa0 does not support block on fault", NULL);
    use("model:kernel=6.1,dwq=1,bof=1");
    uint8_t *p = pattern();
    be = open_ok("dsa-batch:wq=wq0.0,batch=8,bof=1,wait=yield");
    check_answers(be, p);
    zc_backend_close(be);
    says(zc_backend_open("dsa-single:wq=emu,bof=1", &be), ENOTSUP, "WQ emu", "emu:bof=1");
    be = open_ok("dsa-single:wq={emu:bof=1},bof=1,wait=yield");
    check_answers(be, p);
    zc_backend_close(be);
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu", &wq), 0);
    struct job j;
    assert_int_equal(compval_status(wq, p, IDXD_OP_FLAG_BOF, &j), DSA_COMP_INVALID_FLAGS);
    assert_int_equal(j.cr.invalid_flags, IDXD_OP_FLAG_BOF);
    zc_dsa_wq_close(wq);
    unpages(p, N_PAGES);
}

/* D7: batch members' records are cleared before each submission: a
 * member whose record the device does not write reads "not run" and is
 * answered again, not with the previous job's result. */
static void d7_member_records_cleared_before_each_batch(void **state)
{
    (void)state;
    use("model:kernel=6.1,dwq=1,lose_records=2"); /* the first job's 2 batches write theirs */
    struct zc_backend *be = open_ok("dsa-batch:wq=wq0.0,batch=32,wait=yield");
    uint8_t *p = pages(N_PAGES);
    bool zero[N_PAGES];
    for (size_t i = 0; i < N_PAGES; i++)
        p[i * PAGE + 7] = 1;
    assert_int_equal(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), 0);
    for (size_t i = 0; i < N_PAGES; i++)
        assert_false(zero[i]);
    memset(p, 0, N_PAGES * PAGE);
    zc_backend_reset_stats(be);
    assert_int_equal(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), 0);
    for (size_t i = 0; i < N_PAGES; i++)
        if (!zero[i])
            fail_msg("page %zu: the previous job's answer was read from a record the device "
                     "did not write", i);
    struct zc_backend_stats s;
    zc_backend_get_stats(be, &s);
    assert_int_equal(s.cpu_pages, N_PAGES); /* every lost member answered again */
    zc_backend_close(be);
    unpages(p, N_PAGES);
}

/* D10: errors name the WQ that failed; a WQ disabled under the process
 * is an error saying so with what the kernel exposes (poll(), the
 * device's errors), never a silent finish on the CPU. */
static void d10_errors_name_the_failing_wq(void **state)
{
    (void)state;
    use("model:kernel=6.1,dwq=2,fail_wq=wq0.1");
    struct zc_backend *be = open_ok("dsa-multi:wq=wq0.0+wq0.1,qd=2,batch=4,wait=yield");
    uint8_t *p = pattern();
    bool zero[N_PAGES];
    says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), EIO, "status 0x", "on wq0.1");
    zc_backend_close(be);

    use("model:kernel=6.1,dwq=1,disable_after=5");
    be = open_ok("dsa-single:wq=wq0.0,timeout_ms=200,wait=yield");
    says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), ENODEV,
         "WQ wq0.0 was disabled while in use", "wq0.0 state disabled");
    assert_non_null(strstr(zc_last_error(), "poll() on its file: software error reported"));
    assert_non_null(strstr(zc_last_error(), "dsa0/errors: "));
    zc_backend_close(be);

    use("model:kernel=6.1,dwq=0,swq=1,disable_after=5"); /* ENQCMD refuses a disabled shared WQ */
    be = open_ok("dsa-batch:wq=wq0.0,batch=2,timeout_ms=200,wait=yield");
    says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), ENODEV, "wq0.0 was disabled",
         "not finished on the CPU");
    zc_backend_close(be);

    use("model:kernel=6.1,dwq=1");
    be = open_ok("dsa-batch:wq=wq0.0,batch=8,timeout_ms=200,wait=yield");
    check_answers(be, p);
    assert_int_equal(zc_dsa_kmodel_disable_wq("wq0.0"), 0);
    says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), ENODEV, "wq0.0 was disabled", NULL);
    zc_backend_close(be);
    unpages(p, N_PAGES);
}

/* wait=poller on the hardware path: the completion thread of dsa/poller.c
 * polls records the kernel model's device writes, and gives each sleeping
 * waiter its own status (a NOOP, a COMPVAL of no bytes, a WQ whose every
 * descriptor fails), through backends as through a raw WQ. */
static void poller_waits_get_their_statuses_on_the_hardware_path(void **state)
{
    (void)state;
    use("model:kernel=6.1,dwq=1,swq=1,lat_us=200");
    struct zc_dsa_poller_usage before, after;
    zc_dsa_poller_usage(&before);
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("wq0.1", &wq), 0);
    struct zc_dsa_waiter w = {.policy = ZC_WAIT_POLLER, .timeout_ns = 5000000000ull};
    zc_dsa_waiter_use(&w, wq);
    assert_null(w.clock);
    static const uint8_t zeros[64];
    for (int i = 0; i < 6; i++) {
        struct job j;
        job_init(&j, i % 2 ? DSA_OPCODE_COMPVAL : DSA_OPCODE_NOOP, 0);
        j.d.src_addr = addr(zeros);
        assert_int_equal(submit(wq, &j.d), 0);
        assert_int_equal(zc_dsa_wait(&w, &j.cr), i % 2 ? DSA_COMP_XFER_ERANGE : DSA_COMP_SUCCESS);
    }
    zc_dsa_wq_close(wq);
    zc_dsa_poller_usage(&after);
    assert_true(after.records > before.records); /* 200 us each: not done at registration */

    uint8_t *p = pattern();
    struct zc_backend *be = open_ok("dsa-batch:wq=wq0.0,batch=8,wait=poller");
    check_answers(be, p);
    zc_backend_close(be);
    be = open_ok("dsa-multi:wq=wq0.0+wq0.1,qd=2,batch=4,wait=poller");
    check_answers(be, p);
    zc_backend_close(be);

    use("model:kernel=6.1,dwq=2,fail_wq=wq0.1");
    be = open_ok("dsa-multi:wq=wq0.0+wq0.1,qd=2,batch=4,wait=poller");
    bool zero[N_PAGES];
    says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), EIO, "status 0x", "on wq0.1");
    zc_backend_close(be);
    unpages(p, N_PAGES);
    assert_int_equal(zc_dsa_hw_open_files(), 0);
}

/* A record the device writes only after the waiter's deadline: the wait
 * through the completion thread times out naming the WQ; the late write
 * lands in records kept until the WQ drained (ASan: not in freed memory),
 * and the thread serves the next backend's waits. */
static void poller_wait_for_a_late_record_times_out_naming_the_wq(void **state)
{
    (void)state;
    use("model:kernel=6.1,dwq=1,lat_us=500000");
    struct zc_backend *quick = open_ok("dsa-single:wq=wq0.0,timeout_ms=10,wait=poller");
    struct zc_backend *other = open_ok("dsa-single:wq=wq0.0,timeout_ms=5000,wait=poller");
    uint8_t *p = pages(2);
    bool zero[2];
    /* At its own deadline, not at the record's 500 ms: a waiter that had
     * waited for the record would have read its status, not timed out. No
     * wall-clock bound, and the record far later than the deadline:
     * valgrind runs this 20-50x slower and one thread at a time, and a
     * waiter it ran only after a record at 150 ms had come found it done. */
    says(zc_backend_check(quick, p, 2 * PAGE, PAGE, zero), ETIMEDOUT,
         "no completion from WQ wq0.0 within 10 ms", "wq0.0 state enabled");
    zc_backend_close(quick); /* wq0.0 stays open: other uses it */
    p[PAGE + 5] = 1;
    assert_int_equal(zc_backend_check(other, p, 2 * PAGE, PAGE, zero), 0);
    assert_true(zero[0]);
    assert_false(zero[1]);
    zc_backend_close(other);
    assert_int_equal(zc_dsa_hw_open_files(), 0);
    unpages(p, 2);
}

/* Disables wq0.0 after the waiter went to sleep on its record. */
static void *disable_wq00_soon(void *arg)
{
    (void)arg;
    struct timespec asleep = {0, 20000000};
    nanosleep(&asleep, NULL);
    return (void *)(intptr_t)zc_dsa_kmodel_disable_wq("wq0.0");
}

/* A WQ disabled under a waiter asleep on the completion thread: the
 * descriptors it drops never complete, the wait ends at its deadline and
 * the error names the WQ and what the kernel says of it; never a hang. A
 * waiter on a healthy WQ behind the dead record (strict FIFO) is served
 * once that record's wait gave up. */
static void poller_waiter_on_a_wq_disabled_under_it_names_the_wq(void **state)
{
    (void)state;
    uint8_t *p = pattern();
    bool zero[N_PAGES];
    /* 1 s deadlines: the four records before the disable come at once, but
     * under valgrind the completion thread's spin starves the model's
     * threads, and one took 0.26 s there (10 of 200 over 150 ms). */
    use("model:kernel=6.1,dwq=1,disable_after=5");
    struct zc_backend *be = open_ok("dsa-single:wq=wq0.0,timeout_ms=1000,wait=poller");
    says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), ENODEV,
         "WQ wq0.0 was disabled while in use", "wq0.0 state disabled");
    assert_non_null(strstr(zc_last_error(), "poll() on its file: software error reported"));
    zc_backend_close(be);

    /* Disabled by another thread while the waiter sleeps (50 ms records):
     * the record in flight is drained, the next one dropped. */
    use("model:kernel=6.1,dwq=2,lat_us=50000");
    be = open_ok("dsa-single:wq=wq0.0,timeout_ms=1000,wait=poller");
    struct zc_backend *healthy = open_ok("dsa-batch:wq=wq0.1,batch=4,timeout_ms=2000,wait=poller");
    pthread_t disabler;
    assert_int_equal(pthread_create(&disabler, NULL, disable_wq00_soon, NULL), 0);
    says(zc_backend_check(be, p, 8 * PAGE, PAGE, zero), ENODEV, "WQ wq0.0 was disabled while in use",
         "wq0.0 state disabled");
    void *disabled;
    pthread_join(disabler, &disabled);
    assert_int_equal((intptr_t)disabled, 0);
    check_answers(healthy, p);
    zc_backend_close(healthy);
    zc_backend_close(be);

    use("model:kernel=6.1,dwq=0,swq=1,disable_after=5"); /* ENQCMD refuses: no wait at all */
    be = open_ok("dsa-batch:wq=wq0.0,batch=2,timeout_ms=200,wait=poller");
    says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), ENODEV, "wq0.0 was disabled",
         "not finished on the CPU");
    zc_backend_close(be);
    assert_int_equal(zc_dsa_hw_open_files(), 0);
    unpages(p, N_PAGES);
}

/* D4 with a slow device: a backend that timed out gives up on descriptors
 * the device still completes. When another backend of the process keeps
 * the WQ's file open, the kernel has not drained them when the first one
 * closes: its records must outlive that close (ASan reports the device's
 * late write into freed memory; the pattern check below, where the
 * allocator reuses the block). */
static void late_completions_after_a_timeout_never_land_in_freed_memory(void **state)
{
    (void)state;
    /* 500 ms: far past the 10 ms deadline, for the reason of the poller's
     * late-record test above (a waiter run late would find it done). */
    use("model:kernel=6.1,dwq=1,lat_us=500000");
    struct zc_backend *quick = open_ok("dsa-single:wq=wq0.0,timeout_ms=10,wait=yield");
    struct zc_backend *other = open_ok("dsa-single:wq=wq0.0,wait=yield");
    uint8_t *p = pattern();
    bool zero[N_PAGES];
    says(zc_backend_check(quick, p, N_PAGES * PAGE, PAGE, zero), ETIMEDOUT, "no completion from "
         "WQ wq0.0", NULL);
    zc_backend_close(quick); /* wq0.0 stays open: other uses it */
    enum { BLOCKS = 64, BYTES = 320 }; /* a dsa-single slot: one descriptor, its record, a batch line */
    uint8_t *reuse[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        reuse[i] = malloc(BYTES);
        assert_non_null(reuse[i]);
        memset(reuse[i], 0xa5, BYTES);
    }
    struct timespec late = {0, 800 * 1000000L}; /* past the device's late completion */
    nanosleep(&late, NULL);
    for (int i = 0; i < BLOCKS; i++) {
        for (int b = 0; b < BYTES; b++)
            if (reuse[i][b] != 0xa5)
                fail_msg("the device wrote into memory freed by the backend that gave up on it");
        free(reuse[i]);
    }
    zc_backend_close(other);
    assert_int_equal(zc_dsa_hw_open_files(), 0);
    unpages(p, N_PAGES);
}

/* D12: the model's limits and flag checks follow the references: 2 MiB
 * transfers (a 4 MiB page takes two descriptors, as on a real WQ), BOF
 * reserved on BATCH, CC and STORD reserved on COMPARE/COMPVAL. */
static void d12_model_limits_and_reserved_flags(void **state)
{
    (void)state;
    uint8_t *p = pages(1024);
    struct zc_backend *be = open_ok("dsa-single:wq=emu,wait=yield");
    bool zero;
    assert_int_equal(zc_backend_check(be, p, 1024 * PAGE, 1024 * PAGE, &zero), 0);
    assert_true(zero);
    struct zc_backend_stats s;
    zc_backend_get_stats(be, &s);
    assert_int_equal(s.descriptors, 2);
    zc_backend_close(be);

    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open("emu:bof=1", &wq), 0);
    struct job j;
    assert_int_equal(compval_status(wq, p, IDXD_OP_FLAG_CC, &j), DSA_COMP_INVALID_FLAGS);
    job_init(&j, DSA_OPCODE_COMPARE, IDXD_OP_FLAG_STORD);
    j.d.src_addr = addr(p);
    j.d.src2_addr = addr(p + PAGE);
    j.d.xfer_size = PAGE;
    assert_int_equal(run_job(wq, &j), DSA_COMP_INVALID_FLAGS);
    _Alignas(64) struct dsa_hw_desc list[2];
    _Alignas(32) struct dsa_completion_record crs[2];
    noop_list(list, crs, 2);
    job_init(&j, DSA_OPCODE_BATCH, IDXD_OP_FLAG_BOF);
    j.d.desc_list_addr = addr(list);
    j.d.desc_count = 2;
    assert_int_equal(run_job(wq, &j), DSA_COMP_INVALID_FLAGS);
    assert_int_equal(j.cr.invalid_flags, IDXD_OP_FLAG_BOF);
    zc_dsa_wq_close(wq);
    unpages(p, 1024);
}

/* Capability checks at open: device version, the kernel's enqcmd for
 * shared WQs, op_config where the kernel has it; discovery and the
 * kernel-type WQ diagnosis through the table. */
static void capabilities_are_checked_at_open(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    use("model:kernel=6.1,dwq=1,version=3");
    says(zc_dsa_wq_open("wq0.0", &wq), ENOTSUP, "DSA version 0x300", "wq0.0");
    use("model:kernel=6.1,dwq=0,swq=1,enqcmd=0");
    says(zc_dsa_wq_open("wq0.0", &wq), ENOTSUP, "does not list enqcmd in /proc/cpuinfo", "wq0.0");
    char text[160];
    assert_int_equal(zc_dsa_kernel()->read_attr("wq0.0", "op_config", text, sizeof text), -ENOENT);
    use("model:kernel=6.6,dwq=1,kwq=1");
    assert_int_equal(zc_dsa_kernel()->read_attr("wq0.0", "op_config", text, sizeof text), 0);
    assert_int_equal(zc_dsa_discover(NULL, NULL), 2);
    says(zc_dsa_wq_open("wq0.1", &wq), EINVAL, "kernel-type WQ", "load-config -f");
    says(zc_dsa_kernel_select("model:kernel=6.1,dqw=1"), EINVAL, "unknown key 'dqw'", "dwq");
    says(zc_dsa_kernel_select("bogus"), EINVAL, "unknown kernel 'bogus'", "model:");
    assert_int_equal(zc_dsa_wq_open("wq0.0", &wq), 0);
    says(zc_dsa_kernel_select("linux"), EBUSY, "still open", NULL);
    zc_dsa_wq_close(wq);
}

/* What the WQ accepts is read at open: an opcode left out of the WQ's
 * op_config (6.3+) is refused naming it, before any submission; a kernel
 * without op_config has nothing to leave out. */
static void op_config_is_checked_at_open(void **state)
{
    (void)state;
    struct zc_backend *be;
    use("model:kernel=6.6,dwq=1,drop_op=6");
    says(zc_backend_open("dsa-single:wq=wq0.0,wait=yield", &be), ENOTSUP,
         "WQ wq0.0 does not accept COMPVAL", "op_config");
    use("model:kernel=6.1,dwq=1,drop_op=6");
    zc_backend_close(open_ok("dsa-single:wq=wq0.0,wait=yield"));
    use("model:kernel=6.6,dwq=1,drop_op=5");
    uint8_t *p = pattern();
    be = open_ok("dsa-batch:wq=wq0.0,batch=4,wait=yield");
    check_answers(be, p); /* COMPVAL is still there */
    bool equal[N_PAGES / 2];
    says(zc_backend_compare(be, p, p + N_PAGES / 2 * PAGE, N_PAGES / 2 * PAGE, PAGE, equal),
         ENOTSUP, "WQ wq0.0 does not accept COMPARE", "op_config");
    zc_backend_close(be);
    unpages(p, N_PAGES);
}

/* D3: MOVDIR64B and ENQCMD are needed on the portal only: through write()
 * the kernel stores the descriptor, so a CPU without them still submits. */
static void submission_instructions_are_needed_on_the_portal_only(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    use("model:kernel=6.1,dwq=1,swq=1,cpu_submit=0");
    says(zc_dsa_wq_open("wq0.0", &wq), ENOTSUP, "lacks MOVDIR64B", "wq0.0");
    says(zc_dsa_wq_open("wq0.1", &wq), ENOTSUP, "lacks ENQCMD", "wq0.1");
    use("model:kernel=6.9.1,dwq=1,swq=1,cpu_submit=0");
    uint8_t *p = pattern();
    struct zc_backend *be = open_ok("dsa-multi:wq=wq0.0+wq0.1,batch=1,qd=4,wait=yield");
    assert_string_equal(zc_backend_describe(be)->submit_path, "write+write");
    check_answers(be, p);
    zc_backend_close(be);
    unpages(p, N_PAGES);
}

/* The sysfs fields in the format of every kernel: op_cap as 64-bit words
 * before 6.1 (a WQ on 5.19 or 6.0 opens and runs), errors before 6.3; the
 * software error register decoded in both (its WQ, code and opcode). */
static void sysfs_fields_in_the_format_of_every_kernel(void **state)
{
    (void)state;
    uint32_t w[8];
    assert_int_equal(zc_dsa_bitmap_parse("00000000,00000000,00000000,00000000,00000000,00000000,"
                                         "00000001,001f03ff", w), 0);
    assert_int_equal(w[0], 0x001f03ff);
    assert_int_equal(w[1], 1);
    memset(w, 0xff, sizeof w);
    assert_int_equal(zc_dsa_bitmap_parse("0x1001f03ff 0 0 0x8", w), 0); /* op_cap "%#llx" x4 */
    assert_int_equal(w[0], 0x001f03ff);
    assert_int_equal(w[1], 1);
    assert_int_equal(w[2], 0);
    assert_int_equal(w[6], 8);
    assert_int_equal(zc_dsa_bitmap_parse("0x1001f03ff", w), 0); /* the first kernels: one word */
    assert_int_equal(w[0], 0x001f03ff);
    assert_int_equal(w[7], 0);
    const char *bad[] = {"", "zz", "0x", "0x1 0x2 0x3 0x4 0x5", "0x10000000000000000", "1,2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (zc_dsa_bitmap_parse(bad[i], w) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);

    char d[200];
    const char *zero18 = "000000000000000000";
    char old[128];
    snprintf(old, sizeof old, "%s %s %s %s", zero18, zero18, zero18, zero18); /* "%#018llx" of 0 */
    assert_int_equal(zc_dsa_swerr_describe("dsa2", old, d, sizeof d), 0);
    snprintf(old, sizeof old, "0x0000000600011309 %s %s %s", zero18, zero18, zero18);
    assert_int_equal(zc_dsa_swerr_describe("dsa2", old, d, sizeof d), 1);
    assert_non_null(strstr(d, "SWERR valid: error 0x13 on wq2.1, opcode 0x06"));
    assert_int_equal(zc_dsa_swerr_describe("dsa2", "00000000,00000000,00000000,00000000,00000000,"
                                           "00000000,00000006,00011309", d, sizeof d), 1);
    assert_non_null(strstr(d, "SWERR valid: error 0x13 on wq2.1, opcode 0x06"));
    assert_int_equal(zc_dsa_swerr_describe("dsa2", "garbage", d, sizeof d), -EINVAL);

    uint8_t *p = pattern();
    const char *kernels[] = {"5.19", "6.1", "6.6"};
    const char *op_caps[] = {"0x1001f03ff 0 0 0", NULL, NULL};
    for (size_t k = 0; k < 3; k++) {
        char spec[96], text[160];
        snprintf(spec, sizeof spec, "model:kernel=%s,dwq=1,lose_records=1", kernels[k]);
        use(spec);
        assert_int_equal(zc_dsa_kernel()->read_attr("dsa0", "op_cap", text, sizeof text), 0);
        if (op_caps[k])
            assert_string_equal(text, op_caps[k]);
        struct zc_backend *be = open_ok("dsa-batch:wq=wq0.0,batch=32,timeout_ms=200,wait=yield");
        check_answers(be, p); /* the second batch's member records are lost: SWERR */
        assert_int_equal(zc_dsa_kmodel_disable_wq("wq0.0"), 0);
        bool zero[N_PAGES];
        says(zc_backend_check(be, p, N_PAGES * PAGE, PAGE, zero), ENODEV, "wq0.0 was disabled",
             "dsa0/errors: SWERR valid: error 0x1a on wq0.0, opcode 0x06, more errors since "
             "(overflow)");
        zc_backend_close(be);
    }
    unpages(p, N_PAGES);
}

/* pasid_enabled: a device that does not translate user addresses is
 * refused at open naming the fix (before 6.1 the kernel enables its user
 * WQs anyway); from 6.1 it enables none, and discovery says why. */
static void a_device_without_pasid_is_refused_naming_the_fix(void **state)
{
    (void)state;
    struct zc_dsa_wq *wq;
    struct zc_backend *be;
    use("model:kernel=5.19,dwq=1,pasid=0");
    says(zc_dsa_wq_open("wq0.0", &wq), ENOTSUP, "device dsa0 has pasid_enabled=0",
         "intel_iommu=on,sm_on");
    says(zc_backend_open("dsa-single:wq=auto", &be), ENOTSUP, "pasid_enabled=0", "VT-d");
    use("model:kernel=6.6,dwq=1,pasid=0");
    says(zc_dsa_wq_open("auto", &wq), ENODEV, "no enabled user WQ",
         "dsa0 has pasid_enabled=0: user WQs need shared virtual addressing");
    says(zc_dsa_wq_open("wq0.0", &wq), ENODEV, "wq0.0 is not enabled (dsa0 has pasid_enabled=0",
         "intel_iommu=on,sm_on");
    /* a WQ asked for by name: its own device is named, not the first one */
    use("model:kernel=6.6,dwq=1,pasid=0,devices=2");
    says(zc_dsa_wq_open("wq2.0", &wq), ENODEV, "wq2.0 is not enabled (dsa2 has pasid_enabled=0", NULL);
    use("model:kernel=5.19,dwq=1");
    assert_int_equal(zc_dsa_wq_open("wq0.0", &wq), 0);
    zc_dsa_wq_close(wq);
}

/* The stats of one check of pattern p by `backend` on a device whose
 * first BATCH faults reading its list after half its members. */
static struct zc_backend_stats after_list_fault(const char *backend, const uint8_t *p)
{
    use("model:kernel=6.1,dwq=1,list_fault=1");
    struct zc_backend *be = open_ok(backend);
    check_answers(be, p);
    struct zc_backend_stats s;
    zc_backend_get_stats(be, &s);
    zc_backend_close(be);
    return s;
}

/* A fault reading a batch's list (0x06): the members the device ran are
 * answered from their records; only the unread tail goes again, as one
 * batch (recover=resubmit, as accel-config's dsa_reprep_batch) or on the
 * CPU (recover=cpu). Everything was redone before. */
static void batch_list_fault_redoes_only_the_unread_tail(void **state)
{
    (void)state;
    uint8_t *p = pattern();
    /* 64 pages in two batches of 32; the first faults after 16 members. */
    struct zc_backend_stats s =
        after_list_fault("dsa-batch:wq=wq0.0,batch=32,recover=resubmit,wait=yield", p);
    assert_int_equal(s.faults_recovered, 1);
    assert_int_equal(s.batches, 3);           /* the tail as one batch */
    assert_int_equal(s.descriptors, 64 + 16); /* 16 members sent again, not 32 */
    assert_int_equal(s.cpu_pages, 0);

    s = after_list_fault("dsa-batch:wq=wq0.0,batch=32,recover=cpu,wait=yield", p);
    assert_int_equal(s.cpu_pages, 16); /* the unread tail only */
    assert_int_equal(s.descriptors, 64);

    /* A tail of one member goes alone (a batch of 2 faulted after 1). */
    s = after_list_fault("dsa-batch:wq=wq0.0,batch=2,recover=resubmit,wait=yield", p);
    assert_int_equal(s.cpu_pages, 0);
    assert_int_equal(s.batches, 32);
    assert_int_equal(s.descriptors, 64 + 1);
    unpages(p, N_PAGES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(d2_fixed_kernel_refuses_batch_at_open_naming_cap_sys_rawio, teardown),
        cmocka_unit_test_teardown(d3_submission_path_is_labeled, teardown),
        cmocka_unit_test_teardown(d4_dedicated_wq_is_shared_in_process_and_refused_when_held_elsewhere,
                                  teardown),
        cmocka_unit_test_teardown(d6_bof_only_where_wq_and_device_allow_it, teardown),
        cmocka_unit_test_teardown(d7_member_records_cleared_before_each_batch, teardown),
        cmocka_unit_test_teardown(d10_errors_name_the_failing_wq, teardown),
        cmocka_unit_test_teardown(late_completions_after_a_timeout_never_land_in_freed_memory,
                                  teardown),
        cmocka_unit_test_teardown(poller_waits_get_their_statuses_on_the_hardware_path, teardown),
        cmocka_unit_test_teardown(poller_wait_for_a_late_record_times_out_naming_the_wq, teardown),
        cmocka_unit_test_teardown(poller_waiter_on_a_wq_disabled_under_it_names_the_wq, teardown),
        cmocka_unit_test_teardown(d12_model_limits_and_reserved_flags, teardown),
        cmocka_unit_test_teardown(capabilities_are_checked_at_open, teardown),
        cmocka_unit_test_teardown(op_config_is_checked_at_open, teardown),
        cmocka_unit_test_teardown(submission_instructions_are_needed_on_the_portal_only, teardown),
        cmocka_unit_test_teardown(sysfs_fields_in_the_format_of_every_kernel, teardown),
        cmocka_unit_test_teardown(a_device_without_pasid_is_refused_naming_the_fix, teardown),
        cmocka_unit_test_teardown(batch_list_fault_redoes_only_the_unread_tail, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

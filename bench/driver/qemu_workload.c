/* savevm and migrate on the host's own QEMU. Per case: the guest RAM file
 * (in a private directory on /dev/shm, as QEMU's own guest RAM is shared
 * memory) gets exactly the model's pages, QEMU starts stopped on it with no
 * devices (-machine none: the only RAM it saves is that guest RAM), and each
 * pass is one `savevm` into a qcow2 (then deleted, untimed) or one migration
 * to a drain that keeps nothing. A pass times its own operation (the
 * harness's sample would also time the bookkeeping around it), so a row's
 * latency is the savevm command or the migration from `migrate` to its
 * completion. QEMU's page counts are checked against the fill every pass.
 * Both files are files zcbench owns (owned_file.h): the image is never
 * written over a file zcbench did not create unless the user says
 * overwrite, and an interrupted run removes them. QEMU holds them open, so
 * both are unlinked as soon as it runs, and so is the trace log savevm
 * reads QEMU's own timing from: nothing is left behind if zcbench is
 * killed. */
#include "qemu_workload.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/tsc.h"
#include "dsa/error.h"
#include "dsa/spec.h"
#include "buffers.h"
#include "qemu/drain.h"
#include "qemu/files.h"
#include "qemu/proc.h"
#include "qemu/trace.h"
#include "qemu/vm.h"
#include "interrupt.h"
#include "owned_file.h"
#include "timer.h"
#include "workload.h"

#define QEMU_PKG "apt-get install qemu-system-x86"
#define QEMU_IMG_PKG "apt-get install qemu-utils"
#define SNAPSHOT "zcbench"
#define SAMPLE_MS 5 /* thread CPU sampling during a pass */
#define IMAGE_OPTION "--qemu-image "
/* A savevm image beyond the stream it holds: qcow2's header and its L1, L2
 * and refcount tables (64 KiB clusters: about 160 KiB per GiB of guest). */
#define IMAGE_TABLE_BYTES (4u << 20)

enum { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };
static const char *const accel_choices[] = {"auto", "kvm", "tcg", NULL};

struct qemu_cfg {
    int accel;
    unsigned multifd;
};

static const struct zc_opt qemu_opts[] = {
    {.name = "accel", .type = ZC_OPT_ENUM, .offset = offsetof(struct qemu_cfg, accel),
     .choices = accel_choices, .def = "auto",
     .help = "auto: KVM when /dev/kvm is usable, else TCG (the row says which)"},
    {.name = "multifd", .type = ZC_OPT_UINT, .offset = offsetof(struct qemu_cfg, multifd), .min = 0,
     .max = 1, .def = "0", .help = "migrate: 1 = multifd with --senders channels, 0 = one channel"},
    {0},
};

bool zcb_qemu_spec(const char *spec)
{
    return strcmp(spec, "qemu") == 0 || strncmp(spec, "qemu:", 5) == 0;
}

static int parse(const char *text, struct qemu_cfg *cfg)
{
    struct zc_spec s;
    int rc = zc_spec_parse(text, &s);
    if (rc)
        return zc_fail(-rc, "--backend %s: %s", text, zc_last_error());
    char what[ZCB_SPEC_MAX + 16];
    snprintf(what, sizeof what, "--backend %s", text);
    rc = zc_opts_apply(qemu_opts, &s, cfg, what);
    zc_spec_free(&s);
    return rc;
}

int zcb_qemu_check_spec(const char *spec, int workload)
{
    struct qemu_cfg cfg;
    int rc = parse(spec, &cfg);
    if (rc)
        return rc;
    if (workload != ZCB_WL_SAVEVM && workload != ZCB_WL_MIGRATE)
        return zc_fail(EINVAL, "--backend %s: QEMU runs the savevm and migrate workloads (allowed with "
                               "--workload savevm or migrate)", spec);
    if (cfg.multifd && workload != ZCB_WL_MIGRATE)
        return zc_fail(EINVAL, "--backend %s: multifd is a migration setting (allowed with --workload "
                               "migrate)", spec);
    return 0;
}

/* --qemu-image PATH[,overwrite] as an owned-file request (a qcow2: not
 * stamped, and no file zcbench left can be told apart from the user's). */
static int image_request(const char *text, char *path, size_t len, struct zcb_owned_option *o)
{
    bool overwrite;
    if (!zcb_owned_parse_path(text, path, len, &overwrite))
        return zc_fail(EINVAL, "--qemu-image: bad value '%s' (allowed: PATH, PATH%s)", text,
                       ZCB_OWNED_OVERWRITE_KEY);
    zcb_owned_option(o, IMAGE_OPTION, path, NULL, overwrite);
    return 0;
}

/* The image's peak size: QEMU's stream of the guest (a header per page, a
 * byte per zero page, the non-zero pages), qcow2's tables. */
static uint64_t image_bytes(const struct zcb_case *c)
{
    uint64_t pages = c->mem_bytes / c->gran, nonzero = zcb_nonzero_pages(pages, c->zero_ratio);
    return pages * sizeof(uint64_t) + (pages - nonzero) + nonzero * c->gran + IMAGE_TABLE_BYTES;
}

int zcb_qemu_check_case(const struct zcb_case *c)
{
    char s[32];
    if (c->gran != 4096) {
        zc_format_size(c->gran, s, sizeof s);
        return zc_fail(EINVAL, "--gran %s: QEMU saves 4 KiB pages (allowed with --backend %s: 4K)", s,
                       c->backend);
    }
    if (c->mem_bytes % (1u << 20)) {
        zc_format_size(c->mem_bytes, s, sizeof s);
        return zc_fail(EINVAL, "--mem %s: QEMU's guest RAM is whole MiB (allowed with --backend %s: "
                               "multiples of 1M)", s, c->backend);
    }
    if (c->op != ZCB_OP_SAVEVM)
        return 0;
    char path[ZCB_PATH_MAX];
    struct zcb_owned_option o;
    int rc = image_request(c->qemu_image, path, sizeof path, &o);
    return rc ? rc : zcb_owned_preflight(&o.r, image_bytes(c));
}

void zcb_qemu_default_image(const char *output, char *buf, size_t len)
{
    char dir[ZCB_PATH_MAX] = ".";
    if (output[0] && strcmp(output, "-") != 0)
        snprintf(dir, sizeof dir, "%s", output);
    const char *d = strcmp(dir, ".") == 0 ? "." : dirname(dir);
    snprintf(buf, len, "%s/zcbench-qemu-%d.qcow2", d, (int)getpid());
}

struct guest {
    struct qemu_cfg cfg;
    struct zcb_qemu_info info;
    struct zc_backend_desc desc;
    char spec[64], note[256];
    char qemu[ZCB_PATH_MAX], image[ZCB_PATH_MAX];
    char dir[128], ram[160], qmp[160], sock[160], trace_log[160];
    struct zcq_trace trace;                    /* savevm: QEMU's own time of its state save */
    bool ram_on_disk, image_on_disk, dir_made; /* what zcbench created and must remove */
    struct zcq_vm vm;
    struct zcq_drain *drain;
    struct zcq_threads threads;
    int timeout_ms;                            /* of one pass */
    double zero, normal;                       /* QEMU's counts in the last pass */
};

/* A case's working directory, DIR_PARENT/DIR_PREFIX-..., and what it holds. */
#define DIR_PARENT "/dev/shm"
#define DIR_PREFIX "zcbench-qemu"
enum { DIR_RAM, DIR_QMP, DIR_SOCK, DIR_TRACE };
static const char *const dir_files[] = {"guest.ram", "qmp.sock", "migrate.sock", "trace.log", NULL};

/* A zcbench killed by SIGKILL could not remove its directory (nor, early
 * enough, the guest RAM file in it, the size of the guest): the first case
 * of a later run removes those whose owner is dead, once. */
static void remove_stale_dirs(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    size_t n = zcq_remove_stale_dirs(DIR_PARENT, DIR_PREFIX, dir_files);
    if (n)
        fprintf(stderr, "zcbench: removed %zu working director%s of killed runs from %s\n", n,
                n == 1 ? "y" : "ies", DIR_PARENT);
}

/* The case whose working directory a second Ctrl-C removes (one case runs
 * at a time): the image and the guest RAM file are owned files, removed
 * with the others, but the directory and the sockets in it are not. */
static struct guest *volatile live;

static void remove_live_dir(void)
{
    struct guest *g = live;
    if (!g)
        return;
    unlink(g->ram);
    unlink(g->qmp);
    unlink(g->sock);
    unlink(g->trace_log);
    rmdir(g->dir);
}

static int write_guest_ram(struct guest *g, const struct zcb_buffer *buf)
{
    struct zcb_owned_request r = {g->ram, NULL /* not stamped */, NULL, false, "guest RAM file", NULL};
    struct zcb_owned_file f;
    int rc = zcb_owned_open(&r, &f);
    if (rc)
        return rc;
    int fd = f.fd;
    g->ram_on_disk = true;
    const uint8_t *p = buf->data;
    size_t left = buf->fill.len;
    while (left) {
        ssize_t n = write(fd, p, left < (64u << 20) ? left : (64u << 20));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : ENOSPC;
            close(fd);
            return zc_fail(err, "guest RAM file %s: write failed: %s (allowed: enough room in /dev/shm)",
                           g->ram, strerror(err));
        }
        p += n;
        left -= (size_t)n;
    }
    close(fd);
    return 0;
}

/* qemu-img beside the QEMU program when it was given as a path, else in PATH. */
static int create_image(struct guest *g, const char *image)
{
    char qemu_img[ZCB_PATH_MAX], near[ZCB_PATH_MAX];
    snprintf(near, sizeof near, "%s", g->qemu);
    int n = snprintf(qemu_img, sizeof qemu_img, "%s/qemu-img", dirname(near));
    int rc = n > 0 && (size_t)n < sizeof qemu_img && access(qemu_img, X_OK) == 0
                 ? 0
                 : zcq_find_program("qemu-img", QEMU_IMG_PKG, qemu_img, sizeof qemu_img);
    if (rc)
        return rc;
    /* The file is created (or taken over) by the owned-file rule, then
     * qemu-img writes the qcow2 over it. */
    struct zcb_owned_option o;
    struct zcb_owned_file f;
    rc = image_request(image, g->image, sizeof g->image, &o);
    if (!rc)
        rc = zcb_owned_open(&o.r, &f);
    if (rc)
        return rc;
    close(f.fd);
    g->image_on_disk = true;
    return zcq_image_create(qemu_img, g->image);
}

static int migration_settings(struct guest *g, unsigned channels)
{
    json_object *caps = json_object_new_array(), *args = json_object_new_object();
    static const char *const names[] = {"events", "multifd"};
    for (int i = 0; i < 2; i++) {
        json_object *cap = json_object_new_object();
        json_object_object_add(cap, "capability", json_object_new_string(names[i]));
        json_object_object_add(cap, "state", json_object_new_boolean(i == 0 || g->cfg.multifd));
        json_object_array_add(caps, cap);
    }
    json_object_object_add(args, "capabilities", caps);
    int rc = zcq_qmp_call(&g->vm.qmp, "migrate-set-capabilities", args, NULL, 5000);
    if (rc)
        return rc;
    args = json_object_new_object();
    json_object_object_add(args, "max-bandwidth", json_object_new_int64(0)); /* 0: no limit */
    if (g->cfg.multifd)
        json_object_object_add(args, "multifd-channels", json_object_new_int((int)channels));
    return zcq_qmp_call(&g->vm.qmp, "migrate-set-parameters", args, NULL, 5000);
}

static void describe(struct guest *g, const struct zcb_case *c, bool migrate)
{
    g->info.accel = g->vm.kvm ? "kvm" : "tcg";
    g->info.channels = migrate && g->cfg.multifd ? c->senders : 0;
    g->info.migrate = migrate;
    if (migrate)
        snprintf(g->info.sink, sizeof g->info.sink, "socket");
    else
        snprintf(g->info.sink, sizeof g->info.sink, "qcow2:%s", g->image);
    if (migrate)
        snprintf(g->spec, sizeof g->spec, "qemu:accel=%s,multifd=%u", g->info.accel, g->cfg.multifd);
    else
        snprintf(g->spec, sizeof g->spec, "qemu:accel=%s", g->info.accel);
    if (g->cfg.accel == ACCEL_AUTO && !g->vm.kvm)
        snprintf(g->note, sizeof g->note, "qemu: KVM not usable here (/dev/kvm: %s): QEMU ran on TCG",
                 access("/dev/kvm", R_OK | W_OK) == 0 ? "QEMU could not use it" : strerror(errno));
    g->desc = (struct zc_backend_desc){.kind = "qemu", .spec = g->spec, .device = "qemu", .batch = 1,
                                       .queue_depth = 1, .threads = g->info.channels ? g->info.channels : 1,
                                       .note = g->note};
}

static int prepare(struct zcb_bench *b, bool migrate)
{
    const struct zcb_case *c = b->c;
    struct guest *g = calloc(1, sizeof *g);
    if (!g)
        return zc_fail(ENOMEM, "qemu: out of memory");
    g->vm.qmp.fd = -1; /* release stops what prepare got to start, nothing else */
    g->trace.fd = -1;
    b->priv = g;
    int rc = parse(c->backend, &g->cfg);
    if (!rc)
        rc = zcq_find_program(c->qemu, QEMU_PKG, g->qemu, sizeof g->qemu);
    struct zcq_version v;
    if (!rc)
        rc = zcq_qemu_version(g->qemu, &v);
    if (!rc) {
        snprintf(g->info.version, sizeof g->info.version, "%s", v.text);
        remove_stale_dirs();
        rc = zcq_create_private_dir(DIR_PARENT, DIR_PREFIX, g->dir, sizeof g->dir);
    }
    if (rc)
        return rc;
    g->dir_made = true;
    snprintf(g->ram, sizeof g->ram, "%s/%s", g->dir, dir_files[DIR_RAM]);
    snprintf(g->qmp, sizeof g->qmp, "%s/%s", g->dir, dir_files[DIR_QMP]);
    snprintf(g->sock, sizeof g->sock, "%s/%s", g->dir, dir_files[DIR_SOCK]);
    snprintf(g->trace_log, sizeof g->trace_log, "%s/%s", g->dir, dir_files[DIR_TRACE]);
    live = g;
    zcb_interrupt_on_kill(remove_live_dir);
    rc = write_guest_ram(g, b->buf);
    if (!rc && !migrate)
        rc = create_image(g, c->qemu_image);
    if (rc)
        return rc;
    double gib = (double)c->mem_bytes / (1u << 30);
    struct zcq_vm_config cfg = {.qemu = g->qemu, .ram_bytes = c->mem_bytes, .ram_path = g->ram,
                                .image = migrate ? NULL : g->image, .qmp_path = g->qmp,
                                .trace_log = migrate ? NULL : g->trace_log,
                                .accel = accel_choices[g->cfg.accel], .cancelled = zcb_interrupted,
                                .timeout_ms = (int)(60000 + 10000 * gib)};
    g->timeout_ms = (int)(120000 + 60000 * gib);
    rc = zcq_vm_start(&g->vm, &cfg);
    if (rc)
        return rc;
    /* QEMU holds them open from here on. */
    unlink(g->qmp);
    if (!migrate)
        rc = zcq_trace_open(&g->trace, g->trace_log);
    g->ram_on_disk = zcb_owned_remove(g->ram) != 0;
    g->image_on_disk = g->image_on_disk && zcb_owned_remove(g->image) != 0;
    if (migrate) {
        rc = zcq_drain_open(&g->drain, g->sock);
        if (!rc)
            rc = migration_settings(g, c->senders);
    }
    if (rc)
        return rc;
    describe(g, c, migrate);
    b->desc = &g->desc;
    b->qemu = &g->info;
    return 0;
}

static int savevm_prepare(struct zcb_bench *b) { return prepare(b, false); }
static int migrate_prepare(struct zcb_bench *b) { return prepare(b, true); }

static void sample_threads(void *ctx) { zcq_threads_sample(ctx); }

static int begin(struct guest *g, struct zcq_proc_cpu *cpu0)
{
    zcq_qmp_drop_events(&g->vm.qmp);
    zcq_threads_start(&g->threads, g->vm.pid);
    g->vm.qmp.tick = sample_threads;
    g->vm.qmp.tick_ctx = &g->threads;
    g->vm.qmp.tick_ms = SAMPLE_MS;
    return zcq_proc_cpu_read(g->vm.pid, cpu0);
}

/* Ends the timed part: CPU time of the process and its threads. */
static int finish(struct guest *g, const struct zcq_proc_cpu *cpu0, struct zcb_sample *out)
{
    struct zcq_proc_cpu cpu1;
    zcq_threads_sample(&g->threads);
    g->vm.qmp.tick = NULL;
    int rc = zcq_proc_cpu_read(g->vm.pid, &cpu1);
    if (rc)
        return rc;
    out->cpu_ns = (double)(cpu1.total_ns - cpu0->total_ns);
    out->qemu[ZCB_Q_CPU_USER] = (double)(cpu1.user_ns - cpu0->user_ns);
    out->qemu[ZCB_Q_CPU_SYS] = (double)(cpu1.sys_ns - cpu0->sys_ns);
    uint64_t max = 0;
    out->qemu[ZCB_Q_MULTIFD] = (double)zcq_threads_cpu(&g->threads, "multifdsend_", &max);
    out->qemu[ZCB_Q_MULTIFD_MAX] = (double)max;
    out->qemu[ZCB_Q_IO] = (double)zcq_threads_cpu(&g->threads, "worker", NULL);
    out->qemu[ZCB_Q_SAVE_THREAD] = g->info.migrate ? (double)zcq_threads_cpu(&g->threads, "live_migration", NULL)
                                               : (double)zcq_thread_cpu(&g->threads, g->vm.pid);
    return 0;
}

static double number(json_object *obj, const char *key)
{
    json_object *v;
    return obj && json_object_object_get_ex(obj, key, &v) ? json_object_get_double(v) : 0;
}

/* QEMU's counters of the last savevm or migration (query-migrate). */
static int read_counters(struct guest *g, struct zcb_sample *out)
{
    json_object *ret = NULL, *ram = NULL;
    int rc = zcq_qmp_call(&g->vm.qmp, "query-migrate", NULL, &ret, 5000);
    if (rc)
        return rc;
    if (!json_object_object_get_ex(ret, "ram", &ram)) {
        json_object_put(ret);
        return zc_fail(EPROTO, "qemu: query-migrate has no ram statistics");
    }
    g->zero = out->qemu[ZCB_Q_PAGES_ZERO] = number(ram, "duplicate");
    g->normal = out->qemu[ZCB_Q_PAGES_NORMAL] = number(ram, "normal");
    out->qemu[ZCB_Q_BYTES] = number(ram, "transferred");
    out->qemu[ZCB_Q_MBPS] = number(ram, "mbps");
    out->qemu[ZCB_Q_TOTAL_MS] = number(ret, "total-time");
    json_object_put(ret);
    return 0;
}

/* QEMU saw every page zcbench filled, each exactly once, zero where the
 * fill left it zero. */
static int check_counts(struct zcb_bench *b)
{
    const struct guest *g = b->priv;
    double zero = (double)b->buf->oracle_zero, normal = (double)(b->pages - b->buf->oracle_zero);
    b->answered_zero = (size_t)g->zero;
    if (g->zero == zero && g->normal == normal)
        return 0;
    return zc_fail(EIO, "qemu: QEMU counted %.0f zero and %.0f normal pages; zcbench filled %.0f zero and "
                        "%.0f non-zero pages", g->zero, g->normal, zero, normal);
}

static int savevm_pass(struct zcb_bench *b, struct zcb_sample *out)
{
    struct guest *g = b->priv;
    struct zcq_proc_cpu cpu0;
    struct zcb_timer t;
    int rc = begin(g, &cpu0);
    if (rc)
        return rc;
    double own_cpu_ns; /* zcbench's: QEMU's is read from /proc */
    zcb_timer_start(&t);
    uint64_t start = zc_rdtsc();
    rc = zcq_qmp_hmp(&g->vm.qmp, "savevm " SNAPSHOT, g->timeout_ms);
    out->save_cycles = zc_rdtsc() - start;
    zcb_timer_stop(&t, &out->wall_ns, &own_cpu_ns);
    g->vm.qmp.tick = NULL;
    if (!rc)
        rc = finish(g, &cpu0, out);
    if (!rc)
        rc = read_counters(g, out);
    if (!rc)
        rc = check_counts(b);
    if (!rc)
        rc = zcq_trace_state_save_ms(&g->trace, &out->qemu[ZCB_Q_TOTAL_MS]);
    if (!rc) /* untimed: every pass saves into the same empty image */
        rc = zcq_qmp_hmp(&g->vm.qmp, "delvm " SNAPSHOT, g->timeout_ms);
    return rc;
}

/* Waits for the migration's end; its error when it did not complete. */
static int await_migration(struct guest *g)
{
    for (;;) {
        json_object *data = NULL, *status;
        int rc = zcq_qmp_wait_event(&g->vm.qmp, "MIGRATION", &data, g->timeout_ms);
        if (rc)
            return rc;
        char s[32] = "";
        if (json_object_object_get_ex(data, "status", &status))
            snprintf(s, sizeof s, "%s", json_object_get_string(status));
        json_object_put(data);
        if (strcmp(s, "completed") == 0)
            return 0;
        if (strcmp(s, "failed") == 0 || strcmp(s, "cancelled") == 0) {
            json_object *ret = NULL, *desc;
            char why[300] = "no reason given";
            if (zcq_qmp_call(&g->vm.qmp, "query-migrate", NULL, &ret, 5000) == 0 &&
                json_object_object_get_ex(ret, "error-desc", &desc))
                snprintf(why, sizeof why, "%s", json_object_get_string(desc));
            json_object_put(ret);
            return zc_fail(EIO, "qemu: migration %s: %s", s, why);
        }
    }
}

/* QEMU announces "completed" before it computes the migration's total time
 * and throughput; the VM's run state turns "postmigrate" after that. */
static int await_statistics(struct guest *g)
{
    uint64_t deadline = zc_now_ns() + 10000000000ull;
    for (;;) {
        json_object *ret = NULL, *status;
        int rc = zcq_qmp_call(&g->vm.qmp, "query-status", NULL, &ret, 5000);
        if (rc)
            return rc;
        bool done = json_object_object_get_ex(ret, "status", &status) &&
                    strcmp(json_object_get_string(status), "postmigrate") == 0;
        json_object_put(ret);
        if (done)
            return 0;
        if (zc_now_ns() > deadline)
            return zc_fail(ETIMEDOUT, "qemu: the migration completed but the VM never turned postmigrate");
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

static int migrate_pass(struct zcb_bench *b, struct zcb_sample *out)
{
    struct guest *g = b->priv;
    struct zcq_proc_cpu cpu0;
    struct zcb_timer t;
    char uri[200];
    snprintf(uri, sizeof uri, "unix:%s", g->sock);
    zcq_drain_arm(g->drain, 1 + g->info.channels);
    int rc = begin(g, &cpu0);
    if (rc)
        return rc;
    json_object *args = json_object_new_object();
    json_object_object_add(args, "uri", json_object_new_string(uri));
    double own_cpu_ns; /* zcbench's: QEMU's is read from /proc */
    zcb_timer_start(&t);
    uint64_t start = zc_rdtsc();
    rc = zcq_qmp_call(&g->vm.qmp, "migrate", args, NULL, 5000);
    if (!rc)
        rc = await_migration(g);
    out->save_cycles = zc_rdtsc() - start;
    zcb_timer_stop(&t, &out->wall_ns, &own_cpu_ns);
    g->vm.qmp.tick = NULL;
    if (!rc)
        rc = finish(g, &cpu0, out);
    if (!rc)
        rc = await_statistics(g);
    if (!rc)
        rc = read_counters(g, out);
    uint64_t drained;
    if (!rc)
        rc = zcq_drain_wait(g->drain, g->timeout_ms, &drained);
    if (!rc)
        rc = check_counts(b);
    /* untimed: a migrated VM stays paused in "postmigrate", which QEMU
     * refuses to migrate again; resuming and stopping it (no vCPU runs)
     * makes it an ordinary paused VM. */
    if (!rc)
        rc = zcq_qmp_call(&g->vm.qmp, "cont", NULL, NULL, 5000);
    if (!rc)
        rc = zcq_qmp_call(&g->vm.qmp, "stop", NULL, NULL, 5000);
    return rc;
}

static int verify(struct zcb_bench *b) { return check_counts(b); }

static void release(struct zcb_bench *b)
{
    struct guest *g = b->priv;
    if (!g)
        return;
    zcq_vm_stop(&g->vm);
    zcq_drain_close(g->drain);
    if (g->ram_on_disk)
        zcb_owned_remove(g->ram);
    if (g->image_on_disk)
        zcb_owned_remove(g->image);
    if (g->dir_made) {
        unlink(g->qmp);
        unlink(g->trace_log);
        rmdir(g->dir);
    }
    /* only now: a second Ctrl-C while QEMU stops still finds the directory */
    zcb_interrupt_on_kill(NULL);
    live = NULL;
    zcq_trace_close(&g->trace);
    free(g);
    b->priv = NULL;
    b->desc = NULL;
    b->qemu = NULL;
}

const struct zcb_workload_ops zcb_wl_qemu_savevm = {
    .prepare = savevm_prepare,
    .pass = savevm_pass,
    .verify = verify,
    .release = release,
    .own_cpu_time = true,
    .own_wall_time = true,
    .opens_own_backend = true,
    .failure_is_local = true,
};

const struct zcb_workload_ops zcb_wl_qemu_migrate = {
    .prepare = migrate_prepare,
    .pass = migrate_pass,
    .verify = verify,
    .release = release,
    .own_cpu_time = true,
    .own_wall_time = true,
    .opens_own_backend = true,
    .failure_is_local = true,
};

void zcb_qemu_list(FILE *out, const char *qemu)
{
    char path[ZCB_PATH_MAX], why[512] = "";
    struct zcq_version v;
    int rc = zcq_find_program(qemu, QEMU_PKG, path, sizeof path);
    if (!rc)
        rc = zcq_qemu_version(path, &v);
    if (rc)
        snprintf(why, sizeof why, "%s", zc_last_error());
    fprintf(out, "\nThe host's QEMU (--backend qemu, workloads savevm and migrate; device qemu):\n");
    if (rc)
        fprintf(out, "  qemu        no     -- not usable: %s\n", why);
    else
        fprintf(out, "  qemu        yes    QEMU %s at %s, %s\n", v.text, path,
                access("/dev/kvm", R_OK | W_OK) == 0 ? "KVM (/dev/kvm usable)" : "TCG (/dev/kvm not usable)");
    zc_opts_help(qemu_opts, out);
}

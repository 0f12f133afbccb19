/* The main job against DSA work queues (review D1, D4, D8, D9): the sweep
 * files' wq=auto specs become the host's WQs (target hw) and their
 * projection, on a host the kernel model makes "DSA present: two enabled
 * dedicated WQs and one shared WQ"; a short sweep runs end to end through
 * the model's portal; the 6.9.1 kernel refuses dsa-batch at open. Runs the
 * zcbench binary (argv[1]) with ZC_DSA_KERNEL, and the driver's placement
 * and projection in-process; argv[2] is the source tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench/driver/dsa_targets.h"
#include "bench/driver/placement.h"
#include "dsa/hw/kernel.h"
#include "run_util.h"
#include "test_main.h"

#define PRESENT "model:kernel=6.1,dwq=2,swq=1"
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static struct run_result r;

static bool is_dsa(const char *backend)
{
    return strncmp(backend, "dsa-", 4) == 0 || strncmp(backend, "hybrid", 6) == 0;
}

/* Sweeps whose specs name emu WQs on purpose (the model itself). */
static bool explicit_emu(const char *sweep)
{
    return strcmp(sweep, "functional") == 0 || strncmp(sweep, "scaling", 7) == 0;
}

struct counts {
    unsigned dsa, hw, projected, as_written;
};

/* The --dry-run lines of one config under the kernel model. */
static struct counts expand(const char *config, const char *kernel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/%s", arg2, config);
    setenv("ZC_DSA_KERNEL", kernel, 1);
    run_zcbench(bin, ARGS("--config", path, "--dry-run"), &r);
    unsetenv("ZC_DSA_KERNEL");
    if (r.status != 0)
        fail_msg("%s: zcbench exited %d: %s", config, r.status, r.err);
    struct counts c = {0};
    char *save = NULL, *lines = strdup(r.out); /* r.out stays whole for the callers */
    for (char *line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char sweep[64], key[512], backend[512];
        const char *target = strstr(line, " target=");
        if (line[0] == '#' || !target || sscanf(line, "%*u %63s %511s", sweep, key) != 2)
            continue;
        target += 8;
        /* key: workload/op/backend/...: the backend holds no '/' here */
        const char *b = strchr(strchr(key, '/') + 1, '/') + 1;
        snprintf(backend, sizeof backend, "%.*s", (int)(strchr(b, '/') - b), b);
        if (!is_dsa(backend))
            continue;
        c.dsa++;
        if (strncmp(target, "hw", 2) == 0) {
            c.hw++;
            if (!strstr(backend, "wq=wq0."))
                fail_msg("%s: hw case without a hardware WQ: %s", config, line);
        } else if (strncmp(target, "projected", 9) == 0) {
            c.projected++;
            if (!strstr(backend, "emu:clock=virtual"))
                fail_msg("%s: projection is not the simulated-time model twin: %s", config, line);
        } else {
            c.as_written++;
            /* A spec naming its own projection (a layout of its own) is
             * fine anywhere; the model on host time only where asked. */
            if (!explicit_emu(sweep) && !strstr(backend, "emu:clock=virtual"))
                fail_msg("%s: DSA case outside the explicit emu sweeps without a target: %s",
                         config, line);
        }
    }
    free(lines);
    return c;
}

/* D1 (done when, part 1): every DSA case of the main job's sweeps has a
 * hardware spec and its projection when the host has DSA. On the code the
 * review read every one was wq=emu: no hw case at all. */
static void d1_every_dsa_case_gets_hw_and_projection(void **state)
{
    (void)state;
    static const char *const configs[] = {"sweep-quick.conf", "sweep-full.conf",
                                          "sweep-seed-onegig.conf", "sweep-seed-savevm.conf"};
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        struct counts c = expand(configs[i], PRESENT);
        assert_true(c.hw > 0);
        assert_int_equal(c.hw, c.projected);
        assert_int_equal(c.hw + c.projected + c.as_written, c.dsa);
        assert_non_null(strstr(r.err, "wq=auto -> wq0.0"));
    }
    /* The host's WQs are chosen distinct for auto+auto (the full profile's dsa-multi). */
    expand("sweep-full.conf", PRESENT);
    assert_non_null(strstr(r.out, "dsa-multi:wq=wq0.0+wq0.1"));
    /* Without DSA: the projection alone, and one line saying why. */
    struct counts c = expand("sweep-quick.conf", "linux");
    assert_int_equal(c.hw, 0);
    assert_true(c.projected > 0);
    char *first = strstr(r.err, "no usable DSA work queue");
    assert_non_null(first);
    assert_null(strstr(first + 1, "no usable DSA work queue"));
}

static const char short_sweep[] =
    "reps = 2\nmin-time = 0\nref = 0\n"
    "[sweep sizes]\nworkload = zerocheck\nsize = 64K,1M\n"
    "backend = dsa-single:wq=auto\nbackend = dsa-batch:wq=auto,batch=32\n"
    "backend = dsa-multi:wq=auto+auto,qd=4,batch=16\n"
    "[sweep migrate]\nworkload = migrate\nmem = 16M\nsenders = 2\nzero-ratio = 0.5\n"
    "backend = dsa-batch:wq=auto,batch=128\n";

static int col(const struct csv *c, const char *name)
{
    int i = csv_col(c, name);
    assert_true(i >= 0);
    return i;
}

/* D1 (done when, part 2), D4, D9: a short sweep end to end through the
 * model's portal: hw rows on the host's WQs (two migrate senders sharing
 * one dedicated WQ), their projections beside them, each row naming its
 * target, WQs, modes and path; the metadata the choices and WQs used. */
static void d1_short_sweep_runs_end_to_end_through_the_portal(void **state)
{
    (void)state;
    write_file("targets.conf", short_sweep);
    unlink("targets.csv");
    setenv("ZC_DSA_KERNEL", PRESENT, 1);
    run_zcbench(bin, ARGS("--config", "targets.conf", "--output", "targets.csv", "--quiet"), &r);
    unsetenv("ZC_DSA_KERNEL");
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);
    struct csv *c = csv_read("targets.csv");
    assert_non_null(c);
    assert_int_equal(c->n_rows, 1 + 2 * (2 * 3 + 1));
    int target = col(c, "target"), device = col(c, "device"), wq = col(c, "wq");
    int path = col(c, "submit_path"), mode = col(c, "wq_mode"), note = col(c, "note");
    for (size_t i = 1; i < c->n_rows; i++) {
        assert_string_equal(c->cell[i][col(c, "verified")], "1");
        if (strcmp(c->cell[i][target], "hw") == 0) {
            assert_string_equal(c->cell[i][device], "dsa-kmodel"); /* never plain dsa */
            assert_non_null(strstr(c->cell[i][path], "portal-movdir64b"));
            assert_non_null(strstr(c->cell[i][note], "kernel model"));
            assert_int_equal(strncmp(c->cell[i][wq], "wq0.", 4), 0);
        } else {
            assert_string_equal(c->cell[i][target], "projected");
            assert_string_equal(c->cell[i][device], "dsa-projected");
            assert_string_equal(c->cell[i][col(c, "timing")], "spr");
            assert_string_equal(c->cell[i][path] + strlen(c->cell[i][path]) - 3, "emu");
        }
    }
    assert_int_equal(csv_count(c, "target", "hw"), 7);
    assert_int_equal(csv_count(c, "wq", "wq0.0+wq0.1"), 2);
    assert_int_equal(csv_count(c, "wq_mode", "dedicated+dedicated"), 4);
    assert_int_equal(csv_count(c, "workload", "migrate"), 2);
    char meta[256];
    snprintf(meta, sizeof meta, "%s.meta.json", c->cell[1][col(c, "run_id")]);
    (void)mode;
    csv_free(c);
    char *json = read_file(meta, NULL);
    assert_non_null(json);
    static const char *const keys[] = {
        "\"kernel\": \"" PRESENT "\"", "\"auto_choices\": [", "\"sweep\": \"migrate\"",
        "a dedicated WQ nobody has open", "\"wqs_used\": [{\"wq\": \"wq0.0\"",
        "\"submit_path\": \"portal-movdir64b\", \"device\": \"dsa-kmodel\"",
        "\"wqs_used_complete\": true", "\"modeled\": true"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(json, keys[i]))
            fail_msg("metadata lacks %s:\n%s", keys[i], json);
    free(json);
    unlink(meta);
}

/* D2 (done when, part 3): with the 6.9.1 kernel a user's dsa-batch
 * refuses at open with the CAP_SYS_RAWIO message; in a sweep its hw target
 * is dropped saying so while dsa-single runs through write(), labeled. */
static void d2_fixed_kernel_refuses_dsa_batch_at_open(void **state)
{
    (void)state;
    setenv("ZC_DSA_KERNEL", "model:kernel=6.9.1,dwq=2,swq=1", 1);
    run_zcbench(bin, ARGS("--backend", "dsa-batch:wq=auto", "--size", "64K"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "batch=32 needs BATCH descriptors"));
    assert_non_null(strstr(r.err, "CAP_SYS_RAWIO"));
    unlink("fixed.csv");
    run_zcbench(bin, ARGS("--config", "targets.conf", "--output", "fixed.csv", "--quiet"), &r);
    unsetenv("ZC_DSA_KERNEL");
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);
    assert_non_null(strstr(r.err, "hw target dropped"));
    struct csv *c = csv_read("fixed.csv");
    assert_non_null(c);
    assert_int_equal(csv_count(c, "submit_path", "write"), 2); /* dsa-single at 64K and 1M */
    assert_int_equal(csv_count(c, "target", "hw"), 2);
    for (size_t i = 1; i < c->n_rows; i++)
        if (strcmp(c->cell[i][col(c, "submit_path")], "write") == 0)
            assert_non_null(strstr(c->cell[i][col(c, "note")], "CAP_SYS_RAWIO"));
    char meta[256];
    snprintf(meta, sizeof meta, "%s.meta.json", c->cell[1][col(c, "run_id")]);
    csv_free(c);
    /* The metadata's choices are those of rows that ran: the dropped hw
     * targets (every batching spec) are not listed as chosen. */
    char *json = read_file(meta, NULL);
    assert_non_null(json);
    const char *choices = strstr(json, "\"auto_choices\": [");
    assert_non_null(choices);
    assert_non_null(strstr(choices, "\"backend\": \"dsa-single:wq=wq0.0\""));
    if (strstr(choices, "batch="))
        fail_msg("a dropped hw target is listed as chosen:\n%s", json);
    free(json);
    unlink(meta);
}

/* A backend typed on the command line means what it says: wq=auto is a
 * hardware WQ, and fails clearly without one. */
static void typed_auto_means_hardware(void **state)
{
    (void)state;
    setenv("ZC_DSA_KERNEL", "model:kernel=6.1,dwq=0", 1);
    run_zcbench(bin, ARGS("--backend", "dsa-single:wq=auto", "--size", "4K"), &r);
    unsetenv("ZC_DSA_KERNEL");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no enabled user WQ"));
    run_zcbench(bin, ARGS("--backend", "dsa-single:wq=auto", "--size", "4K", "--dsa-targets",
                          "projected,model", "--dry-run"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "target=projected"));
    assert_non_null(strstr(r.out, "dsa-single:wq=emu/"));
}

/* D8: --numa local binds to the node of the WQ under test, not the first
 * device found (dsa0 on node 0, dsa2 on node 1). */
static void d8_numa_local_follows_the_wq_under_test(void **state)
{
    (void)state;
    assert_int_equal(zc_dsa_kernel_select("model:kernel=6.1,devices=2,nodes=2,dwq=1"), 0);
    char node[16];
    assert_int_equal(zcb_numa_for_case("local", "dsa-batch:wq=wq2.0,batch=8", node, sizeof node), 0);
    assert_string_equal(node, "1");
    assert_int_equal(zcb_numa_for_case("local", "dsa-single:wq=/dev/dsa/wq0.0", node, sizeof node), 0);
    assert_string_equal(node, "0");
    assert_int_equal(zcb_backend_wq_node("dsa-multi:wq=wq2.0+wq0.0"), 1);
    assert_int_equal(zcb_backend_wq_node("dsa-single:wq=emu"), -1);
    assert_int_equal(zcb_numa_for_case("any", "dsa-single:wq=wq2.0", node, sizeof node), 0);
    assert_string_equal(node, "any");
    assert_int_equal(zc_dsa_kernel_select("linux"), 0);
    zcb_placement_shutdown();
}

/* The projection's interface: the model twin of a hardware WQ, or of the
 * real configuration when the host has none. */
static void projection_copies_the_wq_layout(void **state)
{
    (void)state;
    char spec[256];
    zcb_projected_wq(NULL, spec, sizeof spec);
    assert_string_equal(spec, "emu:clock=virtual,dev=dsa0,mode=dedicated,wq_size=128,"
                              "max_batch=1024,max_xfer=2M,engines=4");
    struct zc_dsa_wq_info shared = {.device = "dsa2", .mode = ZC_DSA_SHARED, .size = 64,
                                    .max_batch = 256, .max_xfer = 1u << 20, .engines = 2};
    zcb_projected_wq(&shared, spec, sizeof spec);
    assert_string_equal(spec, "emu:clock=virtual,dev=dsa2,mode=shared,wq_size=64,max_batch=256,"
                              "max_xfer=1M,engines=2");
    struct zc_dsa_wq *wq;
    assert_int_equal(zc_dsa_wq_open(spec, &wq), 0); /* a spec the model opens */
    assert_true(zc_dsa_wq_info(wq)->timed);
    assert_string_equal(zc_dsa_wq_info(wq)->timing, "spr");
    zc_dsa_wq_close(wq);
}

ZCB_TEST_MAIN(cmocka_unit_test(d1_every_dsa_case_gets_hw_and_projection),
              cmocka_unit_test(d1_short_sweep_runs_end_to_end_through_the_portal),
              cmocka_unit_test(d2_fixed_kernel_refuses_dsa_batch_at_open),
              cmocka_unit_test(typed_auto_means_hardware),
              cmocka_unit_test(d8_numa_local_follows_the_wq_under_test),
              cmocka_unit_test(projection_copies_the_wq_layout))

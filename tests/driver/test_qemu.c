/* The host's QEMU end to end on a 64 MiB guest: savevm into a qcow2 and
 * migration (plain and multifd) to the drain, QEMU's page counts equal to
 * the pages zcbench filled, and nothing left behind. Skips (77) when QEMU
 * cannot run here. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_util.h"

static const char *bin;
static struct run_result r;

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define PAGES 16384 /* 64 MiB of 4 KiB pages */

static const char *cell(const struct csv *c, size_t row, const char *col)
{
    int i = csv_col(c, col);
    if (i < 0)
        fail_msg("no column %s", col);
    return c->cell[row][i];
}

static double num(const struct csv *c, size_t row, const char *col) { return atof(cell(c, row, col)); }

/* zcbench's working directories on /dev/shm now. */
static int shm_dirs(void)
{
    DIR *d = opendir("/dev/shm");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strncmp(e->d_name, "zcbench-qemu-", 13) == 0;
    if (d)
        closedir(d);
    return n;
}

static struct csv *run_csv(const char *const *args, const char *out, int status)
{
    unlink(out);
    int dirs = shm_dirs();
    run_zcbench(bin, args, &r);
    if (r.status != status)
        fail_msg("zcbench exited %d (expected %d): %s", r.status, status, r.err);
    assert_int_equal(shm_dirs(), dirs); /* its guest RAM directory is gone */
    struct csv *c = csv_read(out);
    assert_non_null(c);
    return c;
}

/* QEMU's counts are the fill's: llround((1 - ratio) * pages) non-zero pages. */
static void assert_counts_match_fill(const struct csv *c, size_t row)
{
    double ratio = num(c, row, "zero_ratio");
    double nonzero = (double)llround((1.0 - ratio) * PAGES);
    assert_true(num(c, row, "pages") == PAGES);
    assert_true(num(c, row, "qemu_pages_normal") == nonzero);
    assert_true(num(c, row, "qemu_pages_zero") == PAGES - nonzero);
    assert_true(num(c, row, "pages_zero") == PAGES - nonzero);
    assert_true(num(c, row, "qemu_bytes") >= nonzero * 4096);
}

static void assert_qemu_row(const struct csv *c, size_t row)
{
    assert_string_equal(cell(c, row, "device"), "qemu");
    assert_string_equal(cell(c, row, "verified"), "1");
    assert_true(strcmp(cell(c, row, "qemu_accel"), "kvm") == 0 || strcmp(cell(c, row, "qemu_accel"), "tcg") == 0);
    assert_true(strlen(cell(c, row, "qemu_version")) >= 3);
    assert_true(num(c, row, "latency_ns") > 0);
    assert_true(num(c, row, "cpu_ns_per_page") > 0);
    assert_true(num(c, row, "qemu_save_thread_cpu_ns") > 0);
    assert_string_equal(cell(c, row, "zerocheck_cycles"), ""); /* not timed apart in QEMU */
    assert_counts_match_fill(c, row);
}

static void savevm_writes_the_fill_into_a_qcow2_and_removes_it(void **state)
{
    (void)state;
    struct csv *c = run_csv(ARGS("--workload", "savevm", "--backend", "cpu:best", "--backend", "qemu",
                                 "--mem", "64M", "--zero-ratio", "0.5", "--reps", "2", "--min-time", "0",
                                 "--qemu-image", "q-savevm.qcow2", "--output", "q-savevm.csv"),
                            "q-savevm.csv", 0);
    assert_int_equal(c->n_rows, 1 + 2);
    assert_string_equal(cell(c, 2, "backend"), strcmp(cell(c, 2, "qemu_accel"), "kvm") == 0
                                                   ? "qemu:accel=kvm" : "qemu:accel=tcg");
    assert_qemu_row(c, 2);
    assert_string_equal(cell(c, 2, "sink"), "qcow2:q-savevm.qcow2");
    /* QEMU's own state save, from its trace: inside the savevm command's time. */
    assert_true(num(c, 2, "qemu_total_ms") > 0);
    assert_true(num(c, 2, "qemu_total_ms") < num(c, 2, "latency_ns") / 1e6);
    /* the model's row of the same guest */
    assert_true(num(c, 1, "pages_zero") == num(c, 2, "qemu_pages_zero"));
    assert_int_equal(access("q-savevm.qcow2", F_OK), -1);
    csv_free(c);
}

static void migration_counts_every_filled_page_plain_and_multifd(void **state)
{
    (void)state;
    struct csv *c = run_csv(ARGS("--workload", "migrate", "--backend", "qemu", "--backend", "qemu:multifd=1",
                                 "--mem", "64M", "--zero-ratio", "0,0.9", "--senders", "2", "--reps", "2",
                                 "--min-time", "0", "--output", "q-migrate.csv"),
                            "q-migrate.csv", 0);
    assert_int_equal(c->n_rows, 1 + 4);
    for (size_t i = 1; i < c->n_rows; i++) {
        assert_qemu_row(c, i);
        assert_string_equal(cell(c, i, "sink"), "socket");
        assert_true(num(c, i, "qemu_total_ms") > 0);
        bool multifd = strstr(cell(c, i, "backend"), "multifd=1") != NULL;
        assert_true(num(c, i, "qemu_channels") == (multifd ? 2 : 0));
        assert_true(num(c, i, "threads") == (multifd ? 2 : 1));
        if (multifd)
            assert_true(num(c, i, "qemu_multifd_cpu_ns") >= num(c, i, "qemu_multifd_cpu_ns_max"));
        else
            assert_string_equal(cell(c, i, "qemu_multifd_cpu_ns"), "");
    }
    csv_free(c);
}

/* The owned-file rule (owned_file.h): a qcow2 is not stamped, so an
 * existing path is refused before any work unless the user says overwrite;
 * then it is taken over and removed after. */
static void an_existing_image_is_refused_unless_overwrite(void **state)
{
    (void)state;
    write_file("q-keep.qcow2", "not zcbench's");
    unlink("q-keep.csv");
    run_zcbench(bin, ARGS("--workload", "savevm", "--backend", "qemu", "--backend", "cpu:best", "--mem", "4M",
                          "--reps", "1", "--min-time", "0", "--qemu-image", "q-keep.qcow2", "--output",
                          "q-keep.csv"),
                &r);
    if (r.status != 2)
        fail_msg("zcbench exited %d (expected 2): %s", r.status, r.err);
    assert_non_null(strstr(r.err, "--qemu-image q-keep.qcow2: q-keep.qcow2 exists and zcbench did not "
                                  "create it"));
    assert_non_null(strstr(r.err, "--qemu-image q-keep.qcow2,overwrite"));
    assert_int_equal(access("q-keep.csv", F_OK), -1); /* refused before any work */
    char *kept = read_file("q-keep.qcow2", NULL);
    assert_string_equal(kept, "not zcbench's");
    free(kept);
    struct csv *c = run_csv(ARGS("--workload", "savevm", "--backend", "qemu", "--mem", "4M", "--reps", "1",
                                 "--min-time", "0", "--qemu-image", "q-keep.qcow2,overwrite", "--output",
                                 "q-keep.csv"),
                            "q-keep.csv", 0);
    assert_int_equal(c->n_rows, 1 + 1);
    assert_string_equal(cell(c, 1, "sink"), "qcow2:q-keep.qcow2");
    assert_int_equal(access("q-keep.qcow2", F_OK), -1);
    unlink("q-keep.qcow2");
    csv_free(c);
}

/* The reason QEMU cannot run here, or NULL when it can start. */
static const char *cannot_run(void)
{
    static char why[600];
    run_zcbench(bin, ARGS("--list-backends"), &r);
    const char *line = strstr(r.out, "\n  qemu ");
    if (!line)
        return "zcbench --list-backends has no qemu line";
    char usable[8] = "";
    if (sscanf(line, " qemu %7s", usable) != 1 || strcmp(usable, "yes") != 0) {
        snprintf(why, sizeof why, "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
        return why;
    }
    /* It exists; whether it starts (a sandbox may forbid it). */
    run_zcbench(bin, ARGS("--workload", "migrate", "--backend", "qemu", "--mem", "4M", "--reps", "1",
                          "--min-time", "0", "--quiet"), &r);
    if (r.status != 0 && strstr(r.err, "at startup")) {
        snprintf(why, sizeof why, "QEMU does not start here: %.500s", r.err);
        return why;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ZCBENCH\n", argv[0]);
        return 2;
    }
    bin = argv[1];
    const char *why = cannot_run();
    if (why) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(savevm_writes_the_fill_into_a_qcow2_and_removes_it),
        cmocka_unit_test(migration_counts_every_filled_page_plain_and_multifd),
        cmocka_unit_test(an_existing_image_is_refused_unless_overwrite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

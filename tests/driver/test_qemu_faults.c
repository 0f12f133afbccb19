/* A QEMU that fails, played by fake_qemu.py (argv[2]; FAKE_QEMU says how):
 * its case ends with one line naming the failure, the other cases go on,
 * zcbench neither crashes nor hangs, and nothing is left behind. Needs no
 * real QEMU. */
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_main.h"

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static struct run_result r;

#define DIRS_LOG "qf-dirs.log"

/* The fake logs zcbench's working directories (FAKE_QEMU_DIRS): each is
 * gone. Other runs of zcbench on the host have theirs on /dev/shm too. */
static void start_dirs_log(void)
{
    unlink(DIRS_LOG);
    setenv("FAKE_QEMU_DIRS", DIRS_LOG, 1);
}

static void assert_dirs_gone(void)
{
    unsetenv("FAKE_QEMU_DIRS");
    char *log = read_file(DIRS_LOG, NULL);
    for (char *dir = log ? strtok(log, "\n") : NULL; dir; dir = strtok(NULL, "\n"))
        if (access(dir, F_OK) == 0)
            fail_msg("zcbench left %s behind", dir);
    free(log);
}

/* A migrate run of QEMU (the fake, FAKE_QEMU=mode) and the model beside it. */
static struct csv *run_fake(const char *mode, const char *reps, int status, const char *expect)
{
    setenv("FAKE_QEMU", mode, 1);
    unlink("qf.csv");
    unlink("qf.samples.csv");
    start_dirs_log();
    run_zcbench(bin, ARGS("--workload", "migrate", "--backend", "qemu", "--backend", "cpu:u64", "--mem", "4M",
                          "--zero-ratio", "0.5", "--reps", reps, "--min-time", "0", "--qemu", arg2, "--quiet",
                          "--output", "qf.csv"),
                &r);
    unsetenv("FAKE_QEMU");
    if (r.status != status || (expect && !strstr(r.err, expect)))
        fail_msg("FAKE_QEMU=%s: zcbench exited %d (expected %d and '%s'): %s", mode, r.status, status,
                 expect ? expect : "", r.err);
    assert_dirs_gone();
    struct csv *c = csv_read("qf.csv");
    assert_non_null(c);
    return c;
}

static void the_fake_behaving_gives_a_row(void **state)
{
    (void)state;
    struct csv *c = run_fake("ok", "2", 0, NULL);
    assert_int_equal(c->n_rows, 1 + 2);
    assert_int_equal(csv_count(c, "device", "qemu"), 1);
    csv_free(c);
}

/* Google Benchmark aborted the run when a case's later repetition failed
 * after two had finished: their iteration counts differed. */
static void a_qemu_dying_mid_case_ends_only_that_case(void **state)
{
    (void)state;
    struct csv *c = run_fake("die-at=3", "4", 1, "failed: QMP: QEMU closed the connection");
    assert_int_equal(c->n_rows, 1 + 2);
    assert_int_equal(csv_count(c, "backend", "cpu:u64"), 1);
    /* the two repetitions it finished, kept and said to be two */
    assert_int_equal(csv_count(c, "device", "qemu"), 1);
    assert_int_equal(csv_count(c, "reps", "2"), 1);
    size_t row = strcmp(c->cell[1][csv_col(c, "device")], "qemu") == 0 ? 1 : 2;
    assert_non_null(strstr(c->cell[row][csv_col(c, "note")], "2 of 4 repetitions, then: QMP: QEMU closed"));
    csv_free(c);
    struct csv *s = csv_read("qf.samples.csv");
    assert_non_null(s);
    assert_int_equal(s->n_rows, 1 + 2 + 4);
    csv_free(s);
}

static void a_qemu_failing_at_startup_is_named(void **state)
{
    (void)state;
    char expect[600];
    snprintf(expect, sizeof expect, "failed: %s exited with status 3 at startup", arg2);
    struct csv *c = run_fake("exit", "1", 1, expect);
    assert_int_equal(csv_count(c, "backend", "cpu:u64"), 1);
    csv_free(c);
}

/* The message under "waiting for QEMU's greeting" was lost; QEMU was
 * waited for 10 s after it did not answer quit. */
static void a_qemu_speaking_no_qmp_is_named_and_stopped(void **state)
{
    (void)state;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct csv *c = run_fake("garbage", "1", 1, "failed: QMP: QEMU sent a line that is not JSON (waiting for "
                                                "QEMU's greeting)");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 8);
    assert_int_equal(csv_count(c, "backend", "cpu:u64"), 1);
    csv_free(c);
}

/* zcbench kept it all, waiting for the line's end, until the startup
 * timeout (a minute; hundreds of MiB from this script). */
static void a_qemu_sending_an_endless_line_is_cut_off(void **state)
{
    (void)state;
    struct csv *c = run_fake("endless", "1", 1, "failed: QMP: QEMU sent a line longer than 1 MiB (not QMP) "
                                                "(waiting for QEMU's greeting)");
    assert_int_equal(csv_count(c, "backend", "cpu:u64"), 1);
    csv_free(c);
}

/* It hung zcbench for good. */
static void a_qemu_not_answering_version_is_given_up(void **state)
{
    (void)state;
    struct csv *c = run_fake("version-hang", "1", 1, "--version did not answer in 10 s");
    assert_int_equal(csv_count(c, "backend", "cpu:u64"), 1);
    csv_free(c);
}

/* Whether the working directory the fake logged holds the migration
 * socket (QEMU is up and the drain listening). */
static bool migration_socket_up(void)
{
    char *log = read_file(DIRS_LOG, NULL), path[300] = "";
    if (log && strchr(log, '\n'))
        snprintf(path, sizeof path, "%.*s/migrate.sock", (int)strcspn(log, "\n"), log);
    free(log);
    return path[0] && access(path, F_OK) == 0;
}

/* zcbench migrating through the fake, stuck in the pass `hang` says; once
 * it is (well) into it. */
static pid_t spawn_stuck(const char *hang, const char *reps)
{
    unlink("qf-stuck.csv");
    unlink("qf-stuck.samples.csv");
    start_dirs_log();
    setenv("FAKE_QEMU", hang, 1);
    pid_t pid = spawn_zcbench(bin, ARGS("--workload", "migrate", "--backend", "qemu", "--mem", "4M", "--reps",
                                        reps, "--min-time", "0", "--qemu", arg2, "--output", "qf-stuck.csv"));
    unsetenv("FAKE_QEMU");
    assert_true(pid > 0);
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && !migration_socket_up(); i++)
        nanosleep(&pause, NULL);
    assert_true(migration_socket_up());
    nanosleep(&(struct timespec){0, 500 * 1000 * 1000}, NULL); /* into the pass */
    return pid;
}

/* The first signal waited for the stuck pass's timeout (two minutes and
 * more); now the pass gives up, the finished repetitions are kept. */
static void a_signal_in_a_stuck_migration_ends_it_keeping_what_finished(void **state)
{
    (void)state;
    pid_t pid = spawn_stuck("hang-at=3", "4");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_status(pid, NULL), 130);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 8);
    assert_dirs_gone();
    struct csv *c = csv_read("qf-stuck.csv");
    assert_non_null(c);
    assert_int_equal(c->n_rows, 1 + 1);
    assert_string_equal(c->cell[1][csv_col(c, "reps")], "2");
    assert_non_null(strstr(c->cell[1][csv_col(c, "note")], "2 of 4 repetitions, then: interrupted"));
    csv_free(c);
}

/* The second signal kills zcbench at once: the working directory and the
 * migration socket in it were left on /dev/shm. */
static void a_second_signal_in_a_stuck_migration_leaves_nothing(void **state)
{
    (void)state;
    pid_t pid = spawn_stuck("hang-at=1", "1");
    struct timespec pause = {0, 10 * 1000 * 1000};
    assert_int_equal(kill(pid, SIGTERM), 0);
    nanosleep(&pause, NULL);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_status(pid, NULL), 128 + SIGTERM);
    assert_dirs_gone();
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZCBENCH FAKE_QEMU\n", argv[0]);
        return 2;
    }
    bin = argv[1];
    arg2 = argv[2];
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("SKIP: the fake QEMU needs /usr/bin/python3\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_fake_behaving_gives_a_row),
        cmocka_unit_test(a_qemu_dying_mid_case_ends_only_that_case),
        cmocka_unit_test(a_qemu_failing_at_startup_is_named),
        cmocka_unit_test(a_qemu_speaking_no_qmp_is_named_and_stopped),
        cmocka_unit_test(a_qemu_not_answering_version_is_given_up),
        cmocka_unit_test(a_qemu_sending_an_endless_line_is_cut_off),
        cmocka_unit_test(a_second_signal_in_a_stuck_migration_leaves_nothing),
        cmocka_unit_test(a_signal_in_a_stuck_migration_ends_it_keeping_what_finished),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

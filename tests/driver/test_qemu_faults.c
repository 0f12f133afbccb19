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
#include <fcntl.h>
#include <sys/stat.h>
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
 * migration socket in it were left on /dev/shm. The QEMU answers nothing
 * once stuck, so the stop the first signal starts waits 2 s for its quit:
 * the second signal comes within it however late the host runs this
 * test (a QEMU that quits stops in ~40 ms, and a second signal after that
 * found zcbench gone, status 130). */
static void a_second_signal_in_a_stuck_migration_leaves_nothing(void **state)
{
    (void)state;
    pid_t pid = spawn_stuck("deaf-at=1", "1");
    struct timespec pause = {0, 10 * 1000 * 1000};
    assert_int_equal(kill(pid, SIGTERM), 0);
    nanosleep(&pause, NULL);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_status(pid, NULL), 128 + SIGTERM);
    assert_dirs_gone();
}

static void make_dir(const char *path, const char *file_inside)
{
    assert_int_equal(mkdir(path, 0700), 0);
    if (file_inside) {
        char f[600];
        snprintf(f, sizeof f, "%s/%s", path, file_inside);
        write_file(f, "x");
    }
}

static void remove_dir(const char *path, const char *file_inside)
{
    if (file_inside) {
        char f[600];
        snprintf(f, sizeof f, "%s/%s", path, file_inside);
        unlink(f);
    }
    rmdir(path);
}

/* A pid that was a process and is no more (reaped). */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(wait_status(pid, NULL), 0);
    return pid;
}

/* The directories the next test plants beside a killed run's. */
static char live[400], foreign[400], others[400], link_path[400], other_kind[400];
static bool made;

/* SIGKILL leaves zcbench's working directory (and whatever of the guest RAM
 * file and sockets was still in it) on /dev/shm: the next QEMU run removes
 * it, and only what is a dead zcbench's: a live process's directory, one
 * holding a file zcbench never makes, another user's, a link, and a name
 * of another kind stay. */
static void a_killed_runs_directory_is_removed_by_the_next_run(void **state)
{
    (void)state;
    pid_t pid = spawn_stuck("hang-at=1", "1");
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(wait_status(pid, NULL), 128 + SIGKILL);
    char *log = read_file(DIRS_LOG, NULL), killed[300];
    assert_non_null(log);
    snprintf(killed, sizeof killed, "%.*s", (int)strcspn(log, "\n"), log);
    free(log);
    assert_int_equal(access(killed, F_OK), 0); /* what SIGKILL leaves */

    /* .../zcbench-qemu-NS-PID-XXXXXX: the same NS, other pids */
    char *pid_at = strrchr(killed, '-');
    assert_non_null(pid_at);
    while (pid_at > killed && pid_at[-1] != '-')
        pid_at--;
    int ns_len = (int)(pid_at - killed);
    pid_t gone = dead_pid();
    snprintf(live, sizeof live, "%.*s%ld-aaaaaa", ns_len, killed, (long)getpid());
    snprintf(foreign, sizeof foreign, "%.*s%ld-bbbbbb", ns_len, killed, (long)gone);
    snprintf(others, sizeof others, "%.*s%ld-cccccc", ns_len, killed, (long)gone);
    snprintf(link_path, sizeof link_path, "%.*s%ld-dddddd", ns_len, killed, (long)gone);
    snprintf(other_kind, sizeof other_kind, "%.*s%ld-eeeeeeX", ns_len, killed, (long)gone);
    made = true;
    make_dir(live, "guest.ram");
    make_dir(foreign, "notes.txt");
    make_dir(others, NULL);
    bool as_root = geteuid() == 0;
    if (as_root)
        assert_int_equal(chown(others, 65534, 65534), 0);
    assert_int_equal(symlink(live, link_path), 0);
    make_dir(other_kind, NULL);

    struct csv *c = run_fake("ok", "1", 0, "zcbench: removed ");
    csv_free(c);
    if (access(killed, F_OK) == 0)
        fail_msg("%s (its zcbench killed) is still there", killed);
    const char *kept[] = {live, foreign, link_path, other_kind, as_root ? others : NULL};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (kept[i] && faccessat(AT_FDCWD, kept[i], F_OK, AT_SYMLINK_NOFOLLOW) != 0)
            fail_msg("%s was removed", kept[i]);
    /* the link (a dead pid's name) was not followed into the live directory */
    char live_ram[600];
    snprintf(live_ram, sizeof live_ram, "%s/guest.ram", live);
    if (access(live_ram, F_OK) != 0)
        fail_msg("%s was removed (through %s)", live_ram, link_path);
}

/* The test's own directories go even when it fails half way (they would
 * stay on /dev/shm for good: the next run keeps them, as it should). */
static int remove_planted(void **state)
{
    (void)state;
    if (made) {
        remove_dir(live, "guest.ram");
        remove_dir(foreign, "notes.txt");
        remove_dir(others, NULL);
        unlink(link_path);
        remove_dir(other_kind, NULL);
    }
    made = false;
    return 0;
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
        cmocka_unit_test_teardown(a_killed_runs_directory_is_removed_by_the_next_run, remove_planted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Ctrl-C in the middle of a run: exit 130, every finished row complete, the
 * rest not started, and the save image the run wrote removed. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_main.h"


#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static size_t lines_in(const char *path)
{
    char *text = read_file(path, NULL);
    size_t n = 0;
    for (char *p = text; p && *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

static void sigint_keeps_every_finished_row_whole(void **state)
{
    (void)state;
    unlink("intr.csv");
    unlink("intr.samples.csv");
    /* 2 x 11 x 2 = 44 cases of about 0.1 s each */
    pid_t pid = spawn_zcbench(bin, ARGS("--size", "1M,2M", "--zero-ratio",
                                        "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1", "--reps", "5",
                                        "--min-time", "0.02", "--backend", "cpu:best", "--output",
                                        "intr.csv"));
    assert_true(pid > 0);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 3000 && lines_in("intr.csv") < 4; i++)
        nanosleep(&pause, NULL);
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(wait_status(pid, NULL), 130);

    struct csv *c = csv_read("intr.csv");
    assert_non_null(c);
    assert_true(c->last_line_complete);
    assert_true(c->n_rows >= 4);
    assert_true(c->n_rows < 1 + 44);
    for (size_t i = 1; i < c->n_rows; i++) {
        assert_int_equal(c->n_cols[i], c->n_cols[0]);
        assert_string_equal(c->cell[i][csv_col(c, "verified")], "1");
    }
    struct csv *s = csv_read("intr.samples.csv");
    assert_non_null(s);
    assert_true(s->last_line_complete);
    assert_int_equal(s->n_rows - 1, (c->n_rows - 1) * 5);
    csv_free(s);
    csv_free(c);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void wait_for(const char *path, size_t lines)
{
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 3000 && (!exists(path) || (lines && lines_in(path) < lines)); i++)
        nanosleep(&pause, NULL);
}

/* 2 x 3 = 6 savevm cases of 20 passes, each pass writing the image anew. */
static pid_t spawn_savevm(void)
{
    unlink("intr-save.csv");
    unlink("intr-save.samples.csv");
    unlink("intr-image.bin");
    return spawn_zcbench(bin, ARGS("--workload", "savevm", "--mem", "8M,16M", "--zero-ratio",
                                   "0,0.5,0.9", "--reps", "20", "--min-time", "0", "--backend",
                                   "cpu:best", "--sink", "file:intr-image.bin", "--output",
                                   "intr-save.csv"));
}

static void signal_removes_the_image_and_keeps_the_rows(int sig)
{
    pid_t pid = spawn_savevm();
    assert_true(pid > 0);
    wait_for("intr-save.csv", 2);
    assert_true(exists("intr-image.bin"));
    assert_int_equal(kill(pid, sig), 0);
    assert_int_equal(wait_status(pid, NULL), 130);
    assert_false(exists("intr-image.bin"));
    struct csv *c = csv_read("intr-save.csv");
    assert_non_null(c);
    assert_true(c->last_line_complete);
    assert_true(c->n_rows >= 2 && c->n_rows < 1 + 6);
    for (size_t i = 1; i < c->n_rows; i++)
        assert_string_equal(c->cell[i][csv_col(c, "verified")], "1");
    csv_free(c);
}

static void sigterm_removes_the_image_and_keeps_the_rows(void **state)
{
    (void)state;
    signal_removes_the_image_and_keeps_the_rows(SIGTERM);
}

/* A closed terminal (SIGHUP) is a stop as well, not a kill that leaves the image. */
static void sighup_removes_the_image_and_keeps_the_rows(void **state)
{
    (void)state;
    signal_removes_the_image_and_keeps_the_rows(SIGHUP);
}

/* Two signals sent before the first is delivered are one; this waits until
 * the process has taken it (no longer pending in /proc/PID/status). */
static void wait_delivered(pid_t pid, int sig)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    struct timespec pause = {0, 1000 * 1000};
    for (int i = 0; i < 5000; i++) {
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        unsigned long long pending = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "ShdPnd: %llx", &pending) == 1)
                break;
        fclose(f);
        if (!(pending >> (sig - 1) & 1))
            return;
        nanosleep(&pause, NULL);
    }
    fail_msg("signal %d still pending in process %d", sig, (int)pid);
}

static void a_second_signal_stops_at_once_and_removes_the_image(void **state)
{
    (void)state;
    pid_t pid = spawn_savevm();
    assert_true(pid > 0);
    wait_for("intr-image.bin", 0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    wait_delivered(pid, SIGTERM);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_status(pid, NULL), 128 + SIGTERM);
    assert_false(exists("intr-image.bin"));
}

/* A background job of a script ignores SIGINT (the script passes Ctrl-C on
 * as SIGTERM); zcbench keeps it ignored rather than count one Ctrl-C twice. */
static void an_ignored_sigint_stays_ignored(void **state)
{
    (void)state;
    signal(SIGINT, SIG_IGN);
    pid_t pid = spawn_savevm();
    signal(SIGINT, SIG_DFL);
    assert_true(pid > 0);
    wait_for("intr-save.csv", 2);
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_status(pid, NULL), 130);
    assert_false(exists("intr-image.bin"));
}

ZCB_TEST_MAIN(cmocka_unit_test(sigint_keeps_every_finished_row_whole),
              cmocka_unit_test(sigterm_removes_the_image_and_keeps_the_rows),
              cmocka_unit_test(sighup_removes_the_image_and_keeps_the_rows),
              cmocka_unit_test(a_second_signal_stops_at_once_and_removes_the_image),
              cmocka_unit_test(an_ignored_sigint_stays_ignored))

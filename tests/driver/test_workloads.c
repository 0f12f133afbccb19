/* Every workload on small sizes, verified against the oracle, with its own
 * columns filled; savevm's file sink holds exactly the stream QEMU would write. */
#include <setjmp.h>
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_main.h"

static struct run_result r;

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define EMU_BATCH "dsa-batch:wq=emu,batch=32"

static struct csv *run_ok(const char *const *args, const char *out)
{
    unlink(out);
    run_zcbench(bin, args, &r);
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);
    struct csv *c = csv_read(out);
    assert_non_null(c);
    assert_true(c->last_line_complete);
    for (size_t i = 1; i < c->n_rows; i++) {
        assert_int_equal(c->n_cols[i], c->n_cols[0]);
        assert_string_equal(c->cell[i][csv_col(c, "verified")], "1");
    }
    return c;
}

static double num(const struct csv *c, size_t row, const char *col)
{
    int i = csv_col(c, col);
    assert_true(i >= 0);
    return atof(c->cell[row][i]);
}

static void onegig_compares_and_checks(void **state)
{
    (void)state;
    struct csv *c = run_ok(ARGS("--workload", "onegig", "--size", "4M", "--zero-ratio", "0.5",
                                "--backend", "cpu:best", "--backend", EMU_BATCH, "--reps", "2",
                                "--min-time", "0", "--output", "wl-onegig.csv"),
                           "wl-onegig.csv");
    assert_int_equal(c->n_rows, 1 + 1 + 2 + 2);
    assert_int_equal(csv_count(c, "op", "read"), 1);
    assert_int_equal(csv_count(c, "op", "compare"), 2);
    assert_int_equal(csv_count(c, "op", "compval"), 2);
    assert_int_equal(csv_count(c, "workload", "onegig"), 5);
    for (size_t i = 1; i < c->n_rows; i++) {
        assert_true(num(c, i, "pages") == 1024);
        assert_true(num(c, i, "pages_zero") == 512);
    }
    csv_free(c);
}

static void savevm_reports_the_cycle_split(void **state)
{
    (void)state;
    struct csv *c = run_ok(ARGS("--workload", "savevm", "--mem", "4M,16M", "--zero-ratio", "0.5",
                                "--backend", "cpu:best", "--backend", EMU_BATCH, "--sink", "mem",
                                "--reps", "2", "--min-time", "0", "--output", "wl-savevm.csv"),
                           "wl-savevm.csv");
    assert_int_equal(c->n_rows, 1 + 4); /* no reference rows for savevm */
    for (size_t i = 1; i < c->n_rows; i++) {
        double save = num(c, i, "save_cycles"), zc = num(c, i, "zerocheck_cycles");
        double share = num(c, i, "zerocheck_share");
        assert_true(zc > 0 && zc < save);
        assert_true(share > 0 && share < 1);
        assert_true(num(c, i, "mem_bytes") == num(c, i, "buf_bytes"));
        assert_true(num(c, i, "pages_zero") * 2 == num(c, i, "pages"));
        assert_string_equal(c->cell[i][csv_col(c, "sink")], "mem");
    }
    csv_free(c);
}

static void savevm_file_sink_holds_the_stream(void **state)
{
    (void)state;
    struct csv *c = run_ok(ARGS("--workload", "savevm", "--mem", "4M", "--zero-ratio", "0.25",
                                "--backend", "cpu:best", "--sink", "file:wl-stream.bin", "--reps", "1",
                                "--min-time", "0", "--output", "wl-file.csv"),
                           "wl-file.csv");
    /* The stamp, then 1024 pages: an 8-byte header each, then a fill byte
     * for the 256 zero pages and the page for the 768 others. */
    size_t len, at = 32, zero = 0;
    unsigned char *stream = (unsigned char *)read_file("wl-stream.bin", &len);
    assert_non_null(stream);
    assert_int_equal(len, 32 + 1024 * 8 + 256 * 1 + 768 * 4096);
    assert_memory_equal(stream, "zcbench savevm-image           \n", 32);
    /* Records in page order, headers big-endian as QEMU writes them. */
    for (uint64_t page = 0; page < 1024; page++) {
        uint64_t header = 0;
        for (int i = 0; i < 8; i++)
            header = header << 8 | stream[at++];
        assert_true(header >> 12 == page);
        if ((header & 0xfff) == 0x02) { /* RAM_SAVE_FLAG_ZERO and its fill byte */
            assert_int_equal(stream[at++], 0);
            zero++;
        } else {
            assert_int_equal(header & 0xfff, 0x08); /* RAM_SAVE_FLAG_PAGE and the page */
            at += 4096;
        }
    }
    assert_int_equal(at, len);
    assert_int_equal(zero, 256);
    free(stream);
    unlink("wl-stream.bin");
    csv_free(c);
}

#define SHM_PAGES "zcbench-pages-"

/* zcbench's page files still linked in /dev/shm. */
static unsigned shm_page_files_linked(void)
{
    DIR *d = opendir("/dev/shm");
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strncmp(e->d_name, SHM_PAGES, strlen(SHM_PAGES)) == 0;
    closedir(d);
    return n;
}

/* Page files process pid maps, linked or not (0 once it has ended). */
static unsigned shm_page_files_mapped(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    unsigned n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, SHM_PAGES) != NULL;
    fclose(f);
    return n;
}

/* --backing shm: the guest's pages are a file on /dev/shm mapped shared
 * (as QEMU's guest RAM), unlinked at once so that nothing is left behind,
 * even by a run killed outright; the rows say so. */
static void shm_backing_maps_a_dev_shm_file_and_leaves_none(void **state)
{
    (void)state;
    unsigned before = shm_page_files_linked();
    unlink("wl-shm.csv");
    pid_t pid = spawn_zcbench(bin, ARGS("--workload", "savevm", "--mem", "64M", "--zero-ratio", "0.5",
                                        "--backing", "shm", "--backend", "cpu:best", "--reps", "1000",
                                        "--min-time", "0", "--output", "wl-shm.csv"));
    unsigned mapped = 0;
    for (int i = 0; i < 20000 && !mapped; i++) { /* up to 20 s: the mapping comes before the first pass */
        mapped = shm_page_files_mapped(pid);
        usleep(1000);
    }
    kill(pid, SIGKILL); /* no handler runs: only the unlink at creation cleans up */
    assert_int_equal(wait_status(pid, NULL), 128 + SIGKILL);
    assert_int_equal(mapped, 1);
    assert_int_equal(shm_page_files_linked(), before);
    struct csv *c = run_ok(ARGS("--workload", "savevm", "--mem", "4M", "--zero-ratio", "0.5", "--backing", "shm",
                                "--backend", "cpu:best", "--reps", "1", "--min-time", "0", "--output", "wl-shm.csv"),
                           "wl-shm.csv");
    assert_int_equal(csv_count(c, "backing", "shm"), 1);
    assert_int_equal(csv_count(c, "pages_zero", "512"), 1);
    csv_free(c);
    c = run_ok(ARGS("--size", "64K", "--reps", "1", "--min-time", "0", "--output", "wl-shm.csv"), "wl-shm.csv");
    assert_int_equal(csv_count(c, "backing", "anon"), 2); /* the default */
    csv_free(c);
    setenv("ZC_TEST_FREE_BYTES", "1000", 1); /* /dev/shm full: refused before any work */
    run_zcbench(bin, ARGS("--workload", "savevm", "--mem", "4M", "--backing", "shm", "--output", "wl-shm.csv"), &r);
    unsetenv("ZC_TEST_FREE_BYTES");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--backing shm: /dev/shm has 1000 bytes free, the pages need 4194304"));
    assert_int_equal(shm_page_files_linked(), before);
}

static void migrate_reports_sender_cpu_time(void **state)
{
    (void)state;
    struct csv *c = run_ok(ARGS("--workload", "migrate", "--mem", "8M", "--zero-ratio", "0.5",
                                "--senders", "2", "--packet", "64", "--backend", "cpu:best",
                                "--backend", EMU_BATCH, "--sink", "mem", "--reps", "2",
                                "--min-time", "0", "--output", "wl-migrate.csv"),
                           "wl-migrate.csv");
    assert_int_equal(c->n_rows, 1 + 2);
    for (size_t i = 1; i < c->n_rows; i++) {
        assert_true(num(c, i, "packet_pages") == 64);
        assert_true(num(c, i, "sender_cpu_ns") > 0);
        assert_true(num(c, i, "sender_cpu_ns_max") <= num(c, i, "sender_cpu_ns"));
        assert_true(num(c, i, "threads") >= 2);
        assert_true(num(c, i, "pages_zero") == 1024);
        assert_true(num(c, i, "zerocheck_cycles") > 0);
    }
    csv_free(c);
}

/* cpu-mt's workers check while the calling thread sleeps: a row's CPU
 * time is theirs too, about what one thread doing the check costs (it
 * was the sleeping caller's alone, under 1% of it). */
static void cpu_mt_rows_count_the_workers(void **state)
{
    (void)state;
    struct csv *c = run_ok(ARGS("--size", "16M", "--backend", "cpu:u64", "--backend",
                                "cpu-mt:threads=1,variant=u64,pin=none", "--ref", "0", "--reps", "2",
                                "--min-time", "0", "--output", "wl-mt.csv"),
                           "wl-mt.csv");
    assert_int_equal(c->n_rows, 1 + 2);
    assert_true(num(c, 2, "cpu_ns_per_page") > 0.5 * num(c, 1, "cpu_ns_per_page"));
    csv_free(c);
    c = run_ok(ARGS("--workload", "migrate", "--mem", "16M", "--senders", "1", "--backend", "cpu:u64",
                    "--backend", "cpu-mt:threads=1,variant=u64,pin=none", "--sink", "null", "--reps", "2",
                    "--min-time", "0", "--output", "wl-mt-migrate.csv"),
               "wl-mt-migrate.csv");
    assert_int_equal(c->n_rows, 1 + 2);
    assert_true(num(c, 2, "sender_cpu_ns") > 0.5 * num(c, 1, "sender_cpu_ns"));
    csv_free(c);
}

static void cold_cache_and_nonzero_positions(void **state)
{
    (void)state;
    static const char *const positions[] = {"first", "middle", "last", "random"};
    for (size_t i = 0; i < 4; i++) {
        struct csv *c = run_ok(ARGS("--size", "256K", "--gran", "512", "--zero-ratio", "0.9,0",
                                    "--nonzero-at", positions[i], "--cache", "hot,cold", "--reps", "1",
                                    "--min-time", "0", "--backend", "cpu:best", "--output", "wl-cold.csv"),
                               "wl-cold.csv");
        assert_int_equal(c->n_rows, 1 + 2 * 2 * 2);
        assert_int_equal(csv_count(c, "cache", "cold"), 4);
        assert_int_equal(csv_count(c, "nonzero_at", positions[i]), 8);
        csv_free(c);
    }
}

/* A hot 4 KiB pass lasts tens of ns: it is timed in samples of many passes
 * (so the clock's own cost vanishes); a cold pass evicts its buffer
 * untimed first and a savevm pass rewinds its sink, so both take one pass
 * per sample. Every row carries the clock's cost. */
static void short_hot_passes_are_timed_in_samples(void **state)
{
    (void)state;
    struct csv *c = run_ok(ARGS("--size", "4K", "--cache", "hot,cold", "--backend", "cpu:u64",
                                "--reps", "2", "--min-time", "0", "--output", "wl-samples.csv"),
                           "wl-samples.csv");
    assert_int_equal(c->n_rows, 1 + 4);
    for (size_t i = 1; i < c->n_rows; i++) {
        bool hot = strcmp(c->cell[i][csv_col(c, "cache")], "hot") == 0;
        double passes = num(c, i, "passes_per_sample");
        if (hot)
            assert_true(passes > 1);
        else
            assert_true(passes == 1);
        assert_true(num(c, i, "clock_ns") > 0);
        assert_true(num(c, i, "latency_ns") > 0 && num(c, i, "cpu_ns_per_page") > 0);
    }
    csv_free(c);
    c = run_ok(ARGS("--workload", "savevm", "--mem", "64K", "--backend", "cpu:u64", "--sink", "mem",
                    "--reps", "1", "--min-time", "0", "--output", "wl-samples-savevm.csv"),
               "wl-samples-savevm.csv");
    assert_true(num(c, 1, "passes_per_sample") == 1);
    csv_free(c);
}

static void config_runs_every_section_into_one_file(void **state)
{
    (void)state;
    write_file("wl.sweep", "reps = 1\nmin-time = 0\nbackend = cpu:best\n"
                           "[sweep small]\nsize = 4K,8K\n"
                           "[sweep save]\nworkload = savevm\nmem = 1M\n");
    struct csv *c = run_ok(ARGS("--config", "wl.sweep", "--output", "wl-config.csv"), "wl-config.csv");
    assert_int_equal(c->n_rows, 1 + 4 + 1);
    assert_int_equal(csv_count(c, "sweep", "small"), 4);
    assert_int_equal(csv_count(c, "sweep", "save"), 1);
    csv_free(c);
    unlink("wl.sweep");
}

static void placement_pins_and_binds(void **state)
{
    (void)state;
    struct csv *c = run_ok(ARGS("--size", "64K", "--cpu", "0", "--numa", "0", "--reps", "1", "--min-time",
                                "0", "--backend", "cpu:best", "--output", "wl-place.csv"),
                           "wl-place.csv");
    assert_int_equal(csv_count(c, "cpu", "0"), 2);
    assert_int_equal(csv_count(c, "numa", "0"), 2);
    csv_free(c);
    c = run_ok(ARGS("--size", "64K", "--numa", "local", "--reps", "1", "--min-time", "0", "--backend",
                    "dsa-batch:wq=emu,batch=4", "--output", "wl-place.csv"),
               "wl-place.csv");
    assert_int_equal(csv_count(c, "numa", "local"), 2);
    csv_free(c);
}

ZCB_TEST_MAIN(cmocka_unit_test(onegig_compares_and_checks),
              cmocka_unit_test(savevm_reports_the_cycle_split),
              cmocka_unit_test(savevm_file_sink_holds_the_stream),
              cmocka_unit_test(shm_backing_maps_a_dev_shm_file_and_leaves_none),
              cmocka_unit_test(migrate_reports_sender_cpu_time),
              cmocka_unit_test(cpu_mt_rows_count_the_workers),
              cmocka_unit_test(cold_cache_and_nonzero_positions),
              cmocka_unit_test(short_hot_passes_are_timed_in_samples),
              cmocka_unit_test(config_runs_every_section_into_one_file),
              cmocka_unit_test(placement_pins_and_binds))

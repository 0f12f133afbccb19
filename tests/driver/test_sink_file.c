/* zcbench --sink file:PATH never writes over a file it did not create: an
 * existing file is refused before any work and left byte for byte as it was,
 * unless file:PATH,overwrite; its own image is reused; a case that would not
 * fit on the file system is refused naming the path, the need and the room.
 * --gbench-json follows the same rule. */
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
#include "test_main.h"

static struct run_result r;

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define STAMP "zcbench savevm-image           \n"
/* --mem 4M at zero ratio 0.25: 1024 headers of 8 bytes, a fill byte for each
 * of the 256 zero pages and 768 pages of 4 KiB after the 32-byte stamp. */
#define IMAGE_BYTES (32 + 1024 * 8 + 256 + 768 * 4096)
#define IMAGE_BYTES_TEXT "3154208"

static void savevm(const char *sink, const char *out)
{
    unlink(out);
    run_zcbench(bin, ARGS("--workload", "savevm", "--mem", "4M", "--zero-ratio", "0.25", "--backend",
                          "cpu:best", "--sink", sink, "--reps", "2", "--min-time", "0", "--quiet",
                          "--output", out),
                &r);
}

static off_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void an_existing_file_is_refused_and_left_unchanged(void **state)
{
    (void)state;
    static const char precious[] = "precious\n";
    write_file("sink-precious.txt", precious);
    savevm("file:sink-precious.txt", "sink-refused.csv");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--sink file:sink-precious.txt: sink-precious.txt exists and "
                                  "zcbench did not create it"));
    assert_non_null(strstr(r.err, "--sink file:sink-precious.txt,overwrite"));
    const char *nl = strchr(r.err, '\n');
    assert_true(nl && !nl[1]); /* one line */
    size_t len;
    char *text = read_file("sink-precious.txt", &len);
    assert_int_equal(len, sizeof precious - 1);
    assert_memory_equal(text, precious, len);
    free(text);
    assert_int_equal(size_of("sink-refused.csv"), -1); /* refused before any work */
    unlink("sink-precious.txt");
}

static void overwrite_takes_the_file_over(void **state)
{
    (void)state;
    write_file("sink-precious.txt", "precious\n");
    savevm("file:sink-precious.txt,overwrite", "sink-overwrite.csv");
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);
    assert_int_equal(size_of("sink-precious.txt"), IMAGE_BYTES);
    char *text = read_file("sink-precious.txt", NULL);
    assert_memory_equal(text, STAMP, 32);
    free(text);
    unlink("sink-precious.txt");
}

static void its_own_image_is_reused(void **state)
{
    (void)state;
    unlink("sink-own.bin");
    for (int run = 0; run < 2; run++) {
        savevm("file:sink-own.bin", "sink-own.csv");
        if (r.status != 0)
            fail_msg("run %d: zcbench exited %d: %s", run, r.status, r.err);
        assert_int_equal(size_of("sink-own.bin"), IMAGE_BYTES);
    }
    struct csv *c = csv_read("sink-own.csv");
    assert_non_null(c);
    assert_int_equal(c->n_rows, 2);
    assert_string_equal(c->cell[1][csv_col(c, "sink")], "file:sink-own.bin");
    csv_free(c);
    unlink("sink-own.bin");
}

static void a_case_that_does_not_fit_is_refused(void **state)
{
    (void)state;
    unlink("sink-room.bin");
    setenv("ZC_TEST_FREE_BYTES", "3153951", 1); /* one byte short */
    savevm("file:sink-room.bin", "sink-room.csv");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--sink file:sink-room.bin: sink-room.bin needs " IMAGE_BYTES_TEXT
                                  " bytes (3.0 MiB) but its file system has 3153951 bytes"));
    assert_int_equal(size_of("sink-room.bin"), -1);
    assert_int_equal(size_of("sink-room.csv"), -1);

    setenv("ZC_TEST_FREE_BYTES", IMAGE_BYTES_TEXT, 1); /* exactly enough */
    savevm("file:sink-room.bin", "sink-room.csv");
    unsetenv("ZC_TEST_FREE_BYTES");
    if (r.status != 0)
        fail_msg("zcbench exited %d: %s", r.status, r.err);
    assert_int_equal(size_of("sink-room.bin"), IMAGE_BYTES);
    unlink("sink-room.bin");
}

static void a_path_that_is_not_a_regular_file_is_refused(void **state)
{
    (void)state;
    savevm("file:.,overwrite", "sink-dir.csv");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--sink file:.: . exists and is not a regular file"));
    savevm("file:no-such-dir/image.bin", "sink-dir.csv");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "directory no-such-dir: No such file or directory"));
}

static void gbench_json_is_written_over_only_when_zcbench_wrote_it(void **state)
{
    (void)state;
    static const char precious[] = "{\"executable\": \"/usr/bin/otherbench\"}\n";
    write_file("sink-other.json", precious);
    run_zcbench(bin, ARGS("--size", "4K", "--reps", "1", "--min-time", "0", "--quiet", "--gbench-json",
                          "sink-other.json"),
                &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--gbench-json sink-other.json: sink-other.json exists and zcbench "
                                  "did not create it"));
    char *text = read_file("sink-other.json", NULL);
    assert_string_equal(text, precious);
    free(text);
    unlink("sink-other.json");

    unlink("sink-own.json");
    for (int run = 0; run < 2; run++) {
        run_zcbench(bin, ARGS("--size", "4K", "--reps", "1", "--min-time", "0", "--quiet",
                              "--gbench-json", "sink-own.json"),
                    &r);
        if (r.status != 0)
            fail_msg("run %d: zcbench exited %d: %s", run, r.status, r.err);
    }
    text = read_file("sink-own.json", NULL);
    assert_non_null(strstr(text, "\"benchmarks\""));
    free(text);
    unlink("sink-own.json");
}

/* Two options naming one file: the later file wrote over the rows of the
 * first (the JSON over the CSV, an image with overwrite over the CSV) and the
 * run ended 0. Refused before anything is written. */
static void two_outputs_naming_one_file_are_refused(void **state)
{
    (void)state;
    struct {
        const char *const *args;
        const char *expect;
    } cases[] = {
        {ARGS("--output", "sink-same.csv", "--gbench-json", "sink-same.csv"),
         "--gbench-json sink-same.csv: the file of --output sink-same.csv"},
        {ARGS("--output", "sink-same.csv", "--gbench-json", "./sink-same.csv"),
         "--gbench-json ./sink-same.csv: the file of --output sink-same.csv"},
        {ARGS("--output", "sink-same.csv", "--samples", "sink-same.csv"),
         "--samples sink-same.csv: the file of --output sink-same.csv"},
        {ARGS("--output", "sink-same.csv", "--gbench-json", "sink-same.samples.csv"),
         "--gbench-json sink-same.samples.csv: the file of --samples sink-same.samples.csv"},
        {ARGS("--output", "sink-same.csv", "--workload", "savevm", "--mem", "4M", "--sink",
              "file:sink-same.csv,overwrite"),
         "--sink file:sink-same.csv: the file of --output sink-same.csv"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unlink("sink-same.csv");
        unlink("sink-same.samples.csv");
        char *args[24];
        size_t n = 0;
        for (const char *const *a = cases[i].args; *a; a++)
            args[n++] = (char *)*a;
        static const char *const quick[] = {"--reps", "1", "--min-time", "0", "--quiet", NULL};
        for (const char *const *a = quick; *a; a++)
            args[n++] = (char *)*a;
        args[n] = NULL;
        run_zcbench(bin, (const char *const *)args, &r);
        if (r.status != 2 || !strstr(r.err, cases[i].expect))
            fail_msg("case %zu: status %d, stderr '%s'; expected 2 and '%s'", i, r.status, r.err,
                     cases[i].expect);
        assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1); /* one line */
        assert_int_not_equal(access("sink-same.csv", F_OK), 0);         /* nothing written */
    }
}

ZCB_TEST_MAIN(cmocka_unit_test(an_existing_file_is_refused_and_left_unchanged),
              cmocka_unit_test(gbench_json_is_written_over_only_when_zcbench_wrote_it),
              cmocka_unit_test(two_outputs_naming_one_file_are_refused),
              cmocka_unit_test(overwrite_takes_the_file_over),
              cmocka_unit_test(its_own_image_is_reused),
              cmocka_unit_test(a_case_that_does_not_fit_is_refused),
              cmocka_unit_test(a_path_that_is_not_a_regular_file_is_refused))

/* The zcbench command line as a user meets it: bad input exits 2 with one
 * line naming the value and what is allowed, writing nothing; --help,
 * --dry-run and --list-backends work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_util.h"
#include "test_main.h"

static struct run_result r;

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

struct bad {
    const char *const *args;
    const char *expect; /* in stderr */
};

static void bad_input_exits_2_naming_the_value(void **state)
{
    (void)state;
    const struct bad cases[] = {
        {ARGS("--bogus"), "unknown option 'bogus'"},
        {ARGS("--bogus", "1"), "unknown option 'bogus'"}, /* not "unexpected argument '1'" */
        {ARGS("--size"), "--size: missing value"},
        {ARGS("--size", "0"), "bad value '0' for size"},
        {ARGS("--gran", "12", "--size", "4K"), "--gran 12: not a multiple of 8"},
        {ARGS("--gran", "8K", "--size", "4K"), "--gran 8K: larger than --size 4K"},
        {ARGS("--size", "6K"), "--size 6K: not a multiple of --gran 4K"},
        {ARGS("--zero-ratio", "1.5"), "bad value '1.5' for zero-ratio (allowed: comma-separated numbers 0..1)"},
        {ARGS("--reps", "0"), "bad value '0' for reps (allowed: an integer 1..1000)"},
        {ARGS("--backend", "bad:spec"), "--backend bad:spec:"},
        {ARGS("--config", "/nonexistent.sweep"), "--config /nonexistent.sweep"},
        {ARGS("--size", "1T"), "--size 1T: needs"},
        {ARGS("--workload", "savevm", "--mem", "1T"), "--mem 1T: needs"},
        {ARGS("--numa", "7"), "--numa: bad value '7'"},
        {ARGS("--backing", "hugetlb"), "--backing: bad value 'hugetlb' for backing (allowed: anon|shm)"},
        {ARGS("--backing", "shm", "--numa", "0"), "--numa 0 with --backing shm (allowed: --numa any"},
        {ARGS("--cpu", "100000"), "'100000'"},
        {ARGS("--sink", "pipe:x", "--workload", "savevm"), "--sink: bad value 'pipe:x'"},
        {ARGS("--workload", "migrate", "--sink", "file:/tmp/x"), "--sink file:/tmp/x"},
        {ARGS("--packet", "2000"), "bad value '2000' for packet (allowed: an integer 1..1024)"},
        {ARGS("stray"), "unexpected argument 'stray'"},
        {ARGS("compare", "base.csv"), "zcbench compare: missing NEW (give exactly BASE and NEW"},
        {ARGS("compare"), "zcbench compare: missing BASE and NEW"},
        {ARGS("compare", "--threshold", "0.1", "--threshold", "0.2", "a.csv", "b.csv"),
         "zcbench compare: --threshold given twice (allowed: once)"},
        {ARGS("--backend", "qemu"), "--backend qemu: QEMU runs the savevm and migrate workloads"},
        {ARGS("--workload", "savevm", "--backend", "qemu:multifd=1"), "multifd is a migration setting"},
        {ARGS("--workload", "migrate", "--backend", "qemu:accel=xen"), "bad value 'xen' for accel"},
        /* a message that quotes the one under it says each once */
        {ARGS("--workload", "migrate", "--backend", "qemu:a=b=c,,,"),
         "zcbench: --backend qemu:a=b=c,,,: bad spec 'qemu:a=b=c,,,': empty item"},
        {ARGS("--workload", "savevm", "--backend", "qemu", "--mem", "64M", "--gran", "8K"),
         "--gran 8K: QEMU saves 4 KiB pages"},
        {ARGS("--workload", "savevm", "--backend", "qemu", "--mem", "1028K"), "--mem 1028K: QEMU's guest RAM is whole MiB"},
        /* an axis the workload does not have: it ran the workload's default sizes unsaid */
        {ARGS("--workload", "savevm", "--size", "4K"),
         "--size: not used by workload savevm (its guest memory is --mem; allowed: --size with zerocheck and onegig)"},
        {ARGS("--workload", "migrate", "--size", "1M"), "--size: not used by workload migrate"},
        {ARGS("--mem", "1M"), "--mem: not used by workload zerocheck (its buffers are --size; allowed: --mem with savevm and migrate)"},
        {ARGS("--workload", "savevm", "--op", "compare"), "--op: not used by workload savevm (allowed: --op with onegig)"},
        /* Google Benchmark's own case choice and timing would override zcbench's unsaid */
        {ARGS("--benchmark_filter=nothing"), "--benchmark_filter=nothing: zcbench chooses and times its cases"},
        {ARGS("--size", "4K", "--benchmark_min_time=0.5"), "(allowed: --backend, --size and the other case"},
        {ARGS("--benchmark_format=xml"), "'--benchmark_format=xml': unknown format (allowed: console, json, csv)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_zcbench(bin, cases[i].args, &r);
        if (r.status != 2 || !strstr(r.err, cases[i].expect) || r.out[0])
            fail_msg("case %zu (%s): status %d, stderr '%s', stdout '%.80s'; expected 2 and '%s'", i,
                     cases[i].args[0], r.status, r.err, r.out, cases[i].expect);
        /* one line */
        assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    }
}

static void bad_input_writes_no_file(void **state)
{
    (void)state;
    unlink("cli-bad.csv");
    run_zcbench(bin, ARGS("--output", "cli-bad.csv", "--zero-ratio", "2"), &r);
    assert_int_equal(r.status, 2);
    assert_int_not_equal(access("cli-bad.csv", F_OK), 0);
    assert_int_not_equal(access("cli-bad.samples.csv", F_OK), 0);
}

static void malformed_sweep_file_exits_2_with_file_line(void **state)
{
    (void)state;
    write_file("cli-bad.sweep", "reps = 1\n[sweep a]\nsize = 4K\nthis is not a key\n");
    run_zcbench(bin, ARGS("--config", "cli-bad.sweep"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "cli-bad.sweep:4: 'this is not a key' is not `key = value`"));
    /* nothing in it: not the default sweep run unasked, no CSV written */
    write_file("cli-bad.sweep", "# to do\n\n");
    unlink("cli-bad.csv");
    run_zcbench(bin, ARGS("--config", "cli-bad.sweep", "--output", "cli-bad.csv"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "zcbench: cli-bad.sweep: defines no cases"));
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    assert_int_not_equal(access("cli-bad.csv", F_OK), 0);
    /* a section with nothing in it: refused before its neighbours run */
    write_file("cli-bad.sweep", "[sweep a]\nsize = 4K\n[sweep b]\n# to do\n");
    run_zcbench(bin, ARGS("--config", "cli-bad.sweep", "--output", "cli-bad.csv"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "zcbench: cli-bad.sweep:3: sweep 'b' has no `key = value` line"));
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    assert_int_not_equal(access("cli-bad.csv", F_OK), 0);
    unlink("cli-bad.sweep");
}

/* The largest sweep file allowed (1 MiB), all blank lines but one sweep:
 * what it costs to read stays small (each line once cost 1 KiB of memory). */
static void a_long_sweep_file_costs_little_memory(void **state)
{
    (void)state;
    static const char head[] = "[sweep a]\nbackend = cpu:best\nsize = 4K\n";
    static char text[(1 << 20) + 1];
    memset(text, '\n', sizeof text - 1);
    memcpy(text, head, sizeof head - 1);
    write_file("cli-long.sweep", text);
    run_zcbench(bin, ARGS("--config", "cli-long.sweep", "--dry-run"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "# 2 cases"));
    if (r.usage.ru_maxrss > 256 * 1024)
        fail_msg("reading a 1 MiB sweep file took %ld KiB of memory", r.usage.ru_maxrss);
    unlink("cli-long.sweep");
}

/* 32 sizes x 32 zero ratios x 2 caches x (ref + 32 cpu-mt thread counts)
 * = 67584 cases, past the 65536 a run may hold (each costs 3.5 KiB before
 * anything runs; a few million took all memory). */
static void a_sweep_of_too_many_cases_is_refused(void **state)
{
    (void)state;
    char text[1024], *p = text;
    p += sprintf(p, "[sweep huge]\nbackend = cpu-mt\ncache = hot,cold\ncpu-threads = 1");
    for (int i = 2; i <= 32; i++)
        p += sprintf(p, ",%d", i);
    p += sprintf(p, "\nsize = 64K");
    for (int i = 2; i <= 32; i++)
        p += sprintf(p, ",%dK", 64 * i);
    p += sprintf(p, "\nzero-ratio = 0");
    for (int i = 1; i < 32; i++)
        p += sprintf(p, ",0.%02d", 3 * i);
    sprintf(p, "\n");
    write_file("cli-huge.sweep", text);
    run_zcbench(bin, ARGS("--config", "cli-huge.sweep", "--dry-run"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "sweep huge: more than 65536 cases (allowed: at most 65536 in one run"));
    unlink("cli-huge.sweep");
}

static void help_lists_every_option(void **state)
{
    (void)state;
    run_zcbench(bin, ARGS("--help"), &r);
    assert_int_equal(r.status, 0);
    static const char *const names[] = {"--workload", "--backend", "--size", "--gran", "--zero-ratio",
                                        "--nonzero-at", "--cache", "--reps", "--min-time", "--mem",
                                        "--cpu", "--numa", "--config", "--output", "--list-backends",
                                        "--dry-run", "--gbench-json", "--sink", "--packet"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(r.out, names[i]))
            fail_msg("--help lacks %s", names[i]);
}

static void dry_run_prints_the_cases(void **state)
{
    (void)state;
    run_zcbench(bin, ARGS("--dry-run", "--backend", "cpu:best", "--backend", "cpu:u64", "--size",
                          "4K,64K", "--zero-ratio", "1,0.5,0"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "# 18 cases")); /* 2 sizes x 3 ratios x (ref + 2 backends) */
    assert_non_null(strstr(r.out, "zerocheck/compval/cpu:u64/65536/4096/0.5/hot"));
    assert_non_null(strstr(r.out, "zerocheck/read/ref:read/4096/4096/0/hot"));

    write_file("cli-dry.sweep",
               "backend = cpu:best\n[sweep one]\nsize = 4K\n[sweep two]\nworkload = savevm\nmem = 1M\n");
    run_zcbench(bin, ARGS("--config", "cli-dry.sweep", "--dry-run"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "# 3 cases"));
    assert_non_null(strstr(r.out, "one zerocheck/read/ref:read/4096/"));
    assert_non_null(strstr(r.out, "two savevm/savevm/cpu:best/1048576/"));
    unlink("cli-dry.sweep");

    /* a section's axis its workload does not have is refused; the file's
     * defaults and the command line serve every section, each takes its own */
    write_file("cli-dry.sweep",
               "size = 4K\nmem = 1M\n[sweep one]\nworkload = zerocheck\n[sweep two]\nworkload = savevm\n");
    run_zcbench(bin, ARGS("--config", "cli-dry.sweep", "--dry-run", "--size", "8K"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "one zerocheck/compval/cpu:best/8192/"));
    assert_non_null(strstr(r.out, "two savevm/savevm/cpu:best/1048576/"));
    write_file("cli-dry.sweep", "[sweep one]\nsize = 4K\n[sweep two]\nworkload = savevm\nsize = 4K\n");
    run_zcbench(bin, ARGS("--config", "cli-dry.sweep", "--dry-run"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "zcbench: sweep two: size is not used by workload savevm (its guest memory is mem"));
    unlink("cli-dry.sweep");
}

static void backend_all_is_every_usable_kind(void **state)
{
    (void)state;
    run_zcbench(bin, ARGS("--dry-run", "--backend", "all", "--size", "4K", "--ref", "0"), &r);
    assert_int_equal(r.status, 0);
    static const char *const kinds[] = {"/cpu:", "/cpu-mt:", "/dsa-single:", "/dsa-batch:",
                                        "/dsa-multi:", "/hybrid:"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strstr(r.out, kinds[i]))
            fail_msg("--backend all lacks %s in:\n%s", kinds[i], r.out);
    run_zcbench(bin, ARGS("--dry-run", "--backend", "dsa-batch:wq=emu", "--batch", "8,16", "--size",
                          "64K", "--ref", "0"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "# 2 cases"));
    assert_non_null(strstr(r.out, "dsa-batch:wq=emu,batch=16/65536/"));
}

/* Two specs spelled differently that this host runs as one backend (cpu:best
 * is cpu:u64 here; batch=32 is dsa-batch's default; an axis sets both
 * batches alike) make one case, said on stderr, not two identical rows; a
 * spec given twice as written is refused. */
static void one_backend_spelled_twice_is_measured_once(void **state)
{
    (void)state;
    setenv("ZC_CPU_BEST", "u64", 1);
    run_zcbench(bin, ARGS("--dry-run", "--backend", "cpu:u64", "--backend", "cpu:best", "--backend", "cpu",
                          "--backend", "dsa-batch:wq=emu", "--backend", "dsa-batch:wq=emu,batch=32",
                          "--size", "64K", "--ref", "0"), &r);
    unsetenv("ZC_CPU_BEST");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "# 2 cases"));
    assert_non_null(strstr(r.err, "zcbench: sweep cli: --backend cpu:best runs as cpu:u64 here, as --backend "
                                  "cpu:u64 does: measured once\n"));
    assert_non_null(strstr(r.err, "--backend dsa-batch:wq=emu,batch=32 runs as dsa-batch:wq=emu,batch=32,"));
    run_zcbench(bin, ARGS("--dry-run", "--backend", "dsa-batch:wq=emu,batch=16", "--backend",
                          "dsa-batch:wq=emu", "--batch", "8,32", "--size", "64K", "--ref", "0"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "# 2 cases"));
    /* alike, yet distinct: another engine count, another target, another sweep */
    write_file("cli-alike.sweep", "size = 64K\nref = 0\n[sweep a]\nbackend = dsa-batch:wq=emu\n"
                                  "backend = dsa-batch:wq={emu:engines=2}\n[sweep b]\nbackend = dsa-batch:wq=emu\n"
                                  "[sweep c]\nbackend = dsa-batch:wq=auto\ndsa-targets = projected,model\n");
    run_zcbench(bin, ARGS("--config", "cli-alike.sweep", "--dry-run"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "# 5 cases"));
    assert_null(strstr(r.err, "measured once"));
    unlink("cli-alike.sweep");
    /* ratios that differ past %.6g: two cases, two rows told apart */
    unlink("cli-alike.csv");
    run_zcbench(bin, ARGS("--backend", "cpu:u64", "--zero-ratio", "0.5,0.5000001", "--size", "4K", "--ref", "0",
                          "--reps", "1", "--min-time", "0", "--quiet", "--output", "cli-alike.csv"), &r);
    assert_int_equal(r.status, 0);
    struct csv *c = csv_read("cli-alike.csv");
    assert_non_null(c);
    assert_int_equal(csv_count(c, "zero_ratio", "0.5"), 1);
    assert_int_equal(csv_count(c, "zero_ratio", "0.5000001"), 1);
    csv_free(c);
    unlink("cli-alike.csv");
    unlink("cli-alike.samples.csv");
    run_zcbench(bin, ARGS("--dry-run", "--backend", "cpu:u64", "--backend", "cpu:u64"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--backend: backend cpu:u64 given twice"));
    run_zcbench(bin, ARGS("--dry-run", "--size", "4K,4096"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "zcbench: --size: size 4096 given twice (4K is in the list already"));
}

static void cpu_best_override_is_applied_or_refused(void **state)
{
    (void)state;
    setenv("ZC_CPU_BEST", "u64", 1);
    run_zcbench(bin, ARGS("--list-backends"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "best = u64"));
    setenv("ZC_CPU_BEST", "avx9", 1);
    run_zcbench(bin, ARGS("--dry-run"), &r);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "ZC_CPU_BEST=avx9: unknown variant (allowed here: byte, u64"));
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    /* a variant the CPU may lack: taken, or refused saying why */
    setenv("ZC_CPU_BEST", "avx512", 1);
    run_zcbench(bin, ARGS("--list-backends"), &r);
    if (r.status == 0)
        assert_non_null(strstr(r.out, "best = avx512"));
    else if (r.status != 2 || !strstr(r.err, "ZC_CPU_BEST=avx512: ") || !strstr(r.err, "(allowed here: "))
        fail_msg("ZC_CPU_BEST=avx512: status %d, stderr '%s'", r.status, r.err);
    unsetenv("ZC_CPU_BEST");
}

static void list_backends_says_what_is_usable(void **state)
{
    (void)state;
    run_zcbench(bin, ARGS("--list-backends"), &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "cpu"));
    assert_non_null(strstr(r.out, "dsa-batch"));
    assert_non_null(strstr(r.out, "CPU variants"));
    /* the emu keys a wq= spec takes (an unknown one's error points here) */
    assert_non_null(strstr(r.out, "The emu device model"));
    assert_non_null(strstr(r.out, "\n  clock "));
    assert_non_null(strstr(r.out, "\n  engines "));
    assert_non_null(strstr(r.out, "DSA hardware"));
    assert_non_null(strstr(r.out, "\n  qemu "));
}

/* Without QEMU the QEMU case fails with one line naming what is missing;
 * the model's case of the same guest still gets its row. */
static void a_missing_qemu_ends_only_its_case(void **state)
{
    (void)state;
    unlink("cli-noqemu.csv");
    run_zcbench(bin, ARGS("--workload", "savevm", "--backend", "qemu", "--backend", "cpu:best", "--mem", "1M",
                          "--reps", "1", "--min-time", "0", "--qemu", "/nonexistent/qemu-system-x86_64",
                          "--output", "cli-noqemu.csv"), &r);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "/nonexistent/qemu-system-x86_64: not an executable program "
                                  "(apt-get install qemu-system-x86)"));
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    struct csv *c = csv_read("cli-noqemu.csv");
    assert_non_null(c);
    assert_int_equal(c->n_rows, 1 + 1);
    assert_int_equal(csv_count(c, "device", "cpu"), 1);
    csv_free(c);
    unlink("cli-noqemu.csv");
}

/* --output /dev/null (here a link to it, in a folder of its own): the rows
 * go there, and no samples file or sidecar lands beside it (in /dev). */
static void output_to_a_device_leaves_nothing_beside_it(void **state)
{
    (void)state;
    char dir[] = "cli-devnull-XXXXXX", link[64];
    assert_non_null(mkdtemp(dir));
    snprintf(link, sizeof link, "%s/out.csv", dir);
    assert_int_equal(symlink("/dev/null", link), 0);
    run_zcbench(bin, ARGS("--size", "4K", "--reps", "1", "--min-time", "0", "--quiet", "--output", link), &r);
    assert_int_equal(r.status, 0);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "out.csv"))
            fail_msg("%s/%s written beside an output that is a device", dir, e->d_name);
    closedir(d);
    unlink(link);
    rmdir(dir);
}

ZCB_TEST_MAIN(cmocka_unit_test(bad_input_exits_2_naming_the_value),
              cmocka_unit_test(output_to_a_device_leaves_nothing_beside_it),
              cmocka_unit_test(bad_input_writes_no_file),
              cmocka_unit_test(malformed_sweep_file_exits_2_with_file_line),
              cmocka_unit_test(a_long_sweep_file_costs_little_memory),
              cmocka_unit_test(a_sweep_of_too_many_cases_is_refused),
              cmocka_unit_test(help_lists_every_option),
              cmocka_unit_test(dry_run_prints_the_cases),
              cmocka_unit_test(backend_all_is_every_usable_kind),
              cmocka_unit_test(one_backend_spelled_twice_is_measured_once),
              cmocka_unit_test(cpu_best_override_is_applied_or_refused),
              cmocka_unit_test(list_backends_says_what_is_usable),
              cmocka_unit_test(a_missing_qemu_ends_only_its_case))

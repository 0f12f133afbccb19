/* zcbench: parameter sweeps over zero-check backends, written as tidy CSV
 * (docs/csv-schema.md); `zcbench compare` is the regression gate. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zc/cpu.h>
#include <zc/error.h>

#include "cases.h"
#include "compare/compare.h"
#include "csv.h"
#include "dsa/error.h"
#include "dsa_targets.h"
#include "gbench.h"
#include "harness.h"
#include "interrupt.h"
#include "listing.h"
#include "meta.h"
#include "options.h"
#include "owned_file.h"
#include "placement.h"
#include "sink.h"
#include "sweep.h"

#define EXIT_BAD_INPUT 2
#define MAX_CLI_ASSIGNS 256

static int bad_input(void)
{
    fprintf(stderr, "zcbench: %s\n", zc_last_error());
    return EXIT_BAD_INPUT;
}

static void join_command_line(int argc, char **argv, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", argv[i]);
}

/* The Google Benchmark flags that only change how its output looks; the
 * others choose, repeat or time the cases (or aggregate the repetitions the
 * harness reads one by one), which zcbench's own options do, or write a
 * file (--gbench-json does, never over one zcbench did not write). */
static const char *const display_flags[] = {"format", "color", "counters_tabular", "context", NULL};

static bool display_flag(const char *arg)
{
    const char *name = arg + strlen("--benchmark_");
    for (const char *const *f = display_flags; *f; f++) {
        size_t n = strlen(*f);
        if (strncmp(name, *f, n) == 0 && (name[n] == '=' || name[n] == '\0'))
            return true;
    }
    return false;
}

/* Google Benchmark sees only its own --benchmark_* flags (it would take
 * --help for itself); they are removed from argv. False: refused, said. */
static bool init_gbench(int *argc, char **argv)
{
    char *gb_argv[MAX_CLI_ASSIGNS + 1] = {argv[0]};
    int gb_argc = 1, kept = 1;
    for (int i = 1; i < *argc; i++) {
        bool gb_flag = strncmp(argv[i], "--benchmark_", 12) == 0;
        if (gb_flag && !display_flag(argv[i])) {
            fprintf(stderr, "zcbench: %s: zcbench chooses and times its cases itself (allowed: --backend, "
                            "--size and the other case options, --min-time, --reps; of Google Benchmark's "
                            "flags only --benchmark_format, _color, _counters_tabular, _context)\n", argv[i]);
            return false;
        }
        if (gb_flag && gb_argc < MAX_CLI_ASSIGNS)
            gb_argv[gb_argc++] = argv[i];
        else
            argv[kept++] = argv[i];
    }
    *argc = kept;
    argv[kept] = NULL;
    gb_argv[gb_argc] = NULL;
    return zc_gb_initialize(&gb_argc, gb_argv) && gb_argc == 1; /* it names a bad one */
}

/* Every sweep's cases: the --config sections, or the command line alone. */
static int expand(const struct zcb_options *cli_opts, const struct zcb_assign *cli, size_t n_cli,
                  struct zcb_case_list *cases)
{
    if (!cli_opts->config[0])
        return zcb_cases_expand(cli_opts, "cli", cases);
    struct zcb_sweep sweep;
    int rc = zcb_sweep_load(cli_opts->config, &sweep);
    for (size_t i = 0; !rc && i < sweep.n_sections; i++) {
        struct zcb_options o;
        rc = zcb_sweep_options(&sweep, i, cli, n_cli, &o);
        if (!rc)
            rc = zcb_cases_expand(&o, sweep.sections[i].name, cases);
    }
    zcb_sweep_free(&sweep);
    return rc;
}

static void samples_path(const struct zcb_options *o, char *buf, size_t len)
{
    if (o->samples[0]) {
        snprintf(buf, len, "%s", o->samples);
        return;
    }
    size_t n = strlen(o->output);
    if (n > 4 && strcmp(o->output + n - 4, ".csv") == 0)
        snprintf(buf, len, "%.*s.samples.csv", (int)(n - 4), o->output);
    else
        snprintf(buf, len, "%s.samples.csv", o->output);
}

/* A Google Benchmark JSON that zcbench wrote names zcbench as its executable;
 * another program's JSON, or any other file, is someone else's. */
static bool gbench_json_by_zcbench(int fd)
{
    static const char exe_key[] = "\"executable\": \"", exe_end[] = "zcbench\"";
    char head[2048];
    ssize_t n = pread(fd, head, sizeof head - 1, 0);
    if (n <= 0)
        return false;
    head[n] = '\0';
    const char *exe = strstr(head, exe_key);
    if (head[0] != '{' || !exe)
        return false;
    const char *value = exe + strlen(exe_key), *end = strchr(value, '"');
    const char *name = end ? end - (strlen(exe_end) - 1) : NULL; /* ".../zcbench" */
    return name && name >= value && (name == value || name[-1] == '/') &&
           memcmp(name, exe_end, strlen(exe_end)) == 0;
}

/* Google Benchmark truncates the file it writes: the owned-file rule first. */
static int check_gbench_json(const char *path)
{
    char what[ZCB_PATH_MAX + 16];
    snprintf(what, sizeof what, "--gbench-json %s", path);
    struct zcb_owned_request r = {path, NULL, gbench_json_by_zcbench, false, what, NULL};
    return zcb_owned_preflight(&r, 0);
}

/* The path of a file that may not exist yet: its directory resolved, its name. */
static bool resolved_path(const char *path, char *buf, size_t len)
{
    char dir_copy[ZCB_PATH_MAX + 16], name_copy[ZCB_PATH_MAX + 16], dir[PATH_MAX];
    snprintf(dir_copy, sizeof dir_copy, "%s", path);
    snprintf(name_copy, sizeof name_copy, "%s", path);
    return realpath(dirname(dir_copy), dir) &&
           (size_t)snprintf(buf, len, "%s/%s", dir, basename(name_copy)) < len;
}

/* Whether two paths name one regular file, or will once it is created (a
 * device such as /dev/null takes any number of writers). */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    bool has_a = stat(a, &sa) == 0, has_b = stat(b, &sb) == 0;
    if (has_a || has_b)
        return has_a && has_b && S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ra[PATH_MAX + ZCB_PATH_MAX], rb[PATH_MAX + ZCB_PATH_MAX];
    return resolved_path(a, ra, sizeof ra) && resolved_path(b, rb, sizeof rb) && strcmp(ra, rb) == 0;
}

struct output {
    const char *what, *path;
};

/* Each file of a run is its own: a second option naming the file of another
 * wrote over its rows (Google Benchmark truncates its JSON, a sink with
 * overwrite truncates its image) and the run ended 0. */
static int check_distinct_outputs(const struct output *out, size_t n, const struct zcb_case_list *cases)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (same_file(out[i].path, out[j].path))
                return zc_fail(EINVAL, "%s %s: the file of %s %s (allowed: a file of its own)",
                               out[i].what, out[i].path, out[j].what, out[j].path);
    for (size_t c = 0; c < cases->n; c++) {
        struct zcb_sink_spec sink;
        if ((c && strcmp(cases->v[c].sink, cases->v[c - 1].sink) == 0) ||
            zcb_sink_parse(cases->v[c].sink, &sink) != 0 || sink.kind != ZCB_SINK_FILE)
            continue;
        for (size_t j = 0; j < n; j++)
            if (same_file(sink.path, out[j].path))
                return zc_fail(EINVAL, "--sink file:%s: the file of %s %s (allowed: a file of its own)",
                               sink.path, out[j].what, out[j].path);
    }
    return 0;
}

/* --output /dev/null or a pipe: the rows go there, but a samples file
 * and a sidecar beside it would land in /dev or wherever the pipe is. */
static bool is_device_or_pipe(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static int run(const struct zcb_options *o, const struct zcb_case_list *cases, const char *command_line)
{
    char run_id[160], samples[ZCB_PATH_MAX + 16];
    bool to_file = o->output[0] && strcmp(o->output, "-") != 0;
    bool beside_output = to_file && !is_device_or_pipe(o->output);
    bool with_samples = beside_output || o->samples[0];
    struct zcb_csv results, sample_csv;
    zcb_make_run_id(run_id, sizeof run_id);
    struct output out[3];
    size_t n_out = 0;
    if (to_file)
        out[n_out++] = (struct output){"--output", o->output};
    if (with_samples) {
        samples_path(o, samples, sizeof samples);
        out[n_out++] = (struct output){"--samples", samples};
    }
    if (o->gbench_json[0])
        out[n_out++] = (struct output){"--gbench-json", o->gbench_json};
    if (check_distinct_outputs(out, n_out, cases) != 0)
        return bad_input();
    if (o->gbench_json[0] && check_gbench_json(o->gbench_json) != 0)
        return bad_input();
    if (zcb_csv_open_results(&results, o->output) != 0)
        return bad_input();
    if (with_samples) {
        if (zcb_csv_open_samples(&sample_csv, samples) != 0) {
            zcb_csv_close(&results);
            return bad_input();
        }
    }
    static struct zcb_wqs_used used;
    char out_copy[ZCB_PATH_MAX];
    snprintf(out_copy, sizeof out_copy, "%s", o->output);
    const char *dir = dirname(out_copy);
    if (beside_output && zcb_meta_write(dir, run_id, command_line, &used) != 0)
        fprintf(stderr, "zcbench: warning: %s\n", zc_last_error());
    zcb_interrupt_install();
    struct zcb_harness h = {
        .run_id = run_id,
        .cases = cases,
        .results = &results,
        .samples = with_samples ? &sample_csv : NULL,
        .gbench_json = o->gbench_json[0] ? o->gbench_json : NULL,
        .progress = !o->quiet,
        .used = &used,
    };
    int status = zcb_harness_run(&h);
    used.complete = true; /* the WQs the rows ran on, now final */
    if (beside_output && zcb_meta_write(dir, run_id, command_line, &used) != 0)
        fprintf(stderr, "zcbench: warning: %s\n", zc_last_error());
    zcb_csv_close(&results);
    if (with_samples)
        zcb_csv_close(&sample_csv);
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return zc_compare_main(argc - 1, argv + 1);
    if (zc_cpu_best_error()) {
        fprintf(stderr, "zcbench: %s\n", zc_cpu_best_error());
        return EXIT_BAD_INPUT;
    }
    char command_line[4096];
    join_command_line(argc, argv, command_line, sizeof command_line);
    if (!init_gbench(&argc, argv))
        return EXIT_BAD_INPUT;
    static struct zcb_assign cli[MAX_CLI_ASSIGNS];
    static struct zcb_options opts;
    size_t n_cli;
    zcb_options_defaults(&opts);
    if (zcb_options_scan_argv(argc - 1, argv + 1, cli, MAX_CLI_ASSIGNS, &n_cli) != 0)
        return bad_input();
    for (size_t i = 0; i < n_cli; i++)
        if (zcb_options_set(&opts, &cli[i], ZCB_SCOPE_CLI, false) != 0)
            return bad_input();
    if (opts.help) {
        zcb_options_help(stdout);
        return 0;
    }
    if (opts.list_backends) {
        zcb_list_backends(stdout, opts.qemu);
        return 0;
    }
    struct zcb_case_list cases = {0};
    int status = 0;
    if (expand(&opts, cli, n_cli, &cases) != 0)
        status = bad_input();
    else if (opts.dry_run)
        zcb_cases_print(&cases, stdout);
    else
        status = run(&opts, &cases, command_line);
    zcb_cases_free(&cases);
    zcb_dsa_targets_reset();
    zcb_placement_shutdown();
    return status;
}

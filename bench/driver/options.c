#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/error.h"
#include "dsa/spec.h"

const char *const zcb_workload_names[] = {"zerocheck", "onegig", "savevm", "migrate", NULL};
const char *const zcb_nonzero_names[] = {"first", "middle", "last", "random", NULL};
const char *const zcb_cache_names[] = {"hot", "cold", NULL};
const char *const zcb_backing_names[] = {"anon", "shm", NULL};
const char *const zcb_op_names[] = {"compare", "compval", "read", "savevm", "migrate", NULL};
static const char *const op_choices[] = {"compare", "compval", NULL};
const char *const zcb_target_names[] = {"hw", "projected", "model", NULL};
static const char *const bool_choices[] = {"0", "1", NULL};

enum kind {
    K_FLAG,    /* bool, no value on the command line */
    K_BOOL,    /* bool from 0|1 */
    K_UINT,    /* unsigned in min..max */
    K_INT,     /* int in min..max */
    K_DOUBLE,  /* double in min..max */
    K_ENUM,    /* int index into choices */
    K_STRING,  /* char[ZCB_PATH_MAX] or smaller (size) */
    K_SIZES,   /* zcb_u64_list of sizes in min..max, comma separated */
    K_RATIOS,  /* zcb_dbl_list in min..max, comma separated */
    K_ENUMS,   /* zcb_u64_list of choice indices, comma separated */
    K_UINTS,   /* zcb_u64_list of integers in min..max, comma separated */
    K_SPECS,   /* zcb_str_list, one spec per assignment (commas belong to the spec) */
};

struct opt {
    const char *name;
    enum kind kind;
    size_t offset;
    double min, max;
    const char *const *choices;
    size_t size;        /* K_STRING capacity */
    const char *def;    /* default as text; NULL = zero/empty */
    bool cli_only;      /* refused in sweep files */
    const char *help;
};

#define F(field) offsetof(struct zcb_options, field)
#define S(field) sizeof(((struct zcb_options *)0)->field)
static const double SIZE_MAX_D = 1099511627776.0 * 64; /* 64T */

static const struct opt table[] = {
    {"workload", K_ENUM, F(workload), 0, 0, zcb_workload_names, 0, "zerocheck", false,
     "what to measure"},
    {"backend", K_SPECS, F(backends), 0, 0, NULL, 0, "cpu:best", false,
     "backend spec (repeatable); 'all' = every backend usable here"},
    {"size", K_SIZES, F(sizes), 8, SIZE_MAX_D, NULL, 0, NULL, false,
     "buffer sizes (zerocheck default 4K,64K,1M,16M; onegig default 1G)"},
    {"gran", K_SIZES, F(grans), 8, 1 << 30, NULL, 0, "4K", false,
     "check granularity (page size), a multiple of 8 not above the size"},
    {"zero-ratio", K_RATIOS, F(zero_ratios), 0, 1, NULL, 0, "1", false,
     "fractions of pages that are all zero"},
    {"nonzero-at", K_ENUM, F(nonzero_at), 0, 0, zcb_nonzero_names, 0, "random", false,
     "where the non-zero byte of a non-zero page sits"},
    {"cache", K_ENUMS, F(caches), 0, 0, zcb_cache_names, 0, "hot", false,
     "hot: buffer left in cache; cold: flushed (CLFLUSH, untimed) before every pass"},
    {"op", K_ENUMS, F(ops), 0, 0, op_choices, 0, "compare,compval", false,
     "onegig: COMPARE of two buffers (memcmp on CPU) and/or zero check"},
    {"reps", K_UINT, F(reps), 1, 1000, NULL, 0, "5", false, "repetitions per case"},
    {"min-time", K_DOUBLE, F(min_time), 0, 60, NULL, 0, "0.05", false,
     "minimum seconds per repetition (Google Benchmark min_time); 0 = one sample per repetition"},
    {"mem", K_SIZES, F(mems), 4096, SIZE_MAX_D, NULL, 0, "64M,256M", false,
     "savevm/migrate guest memory sizes"},
    {"batch", K_UINTS, F(batches), 2, 4096, NULL, 0, NULL, false,
     "sweep axis: batch= of every dsa-batch/dsa-multi/hybrid backend (others run once)"},
    {"qd", K_UINTS, F(qds), 1, 128, NULL, 0, NULL, false,
     "sweep axis: qd= of every dsa-multi/hybrid backend (others run once)"},
    {"cpu-threads", K_UINTS, F(cpu_threads), 1, 256, NULL, 0, NULL, false,
     "sweep axis: threads= of every cpu-mt backend (others run once)"},
    {"dsa-targets", K_ENUMS, F(dsa_targets), 0, 0, zcb_target_names, 0, "hw,projected", false,
     "what a DSA spec with wq=auto becomes: hw = the host's WQs (chosen automatically; dropped "
     "when there are none), projected = the model twin of the same WQs, model = the functional "
     "emu model"},
    {"sink", K_STRING, F(sink), 0, 0, NULL, S(sink), "null", false,
     "savevm/migrate page sink: null | mem (bounded ring) | file:PATH (savevm; an existing file "
     "zcbench did not create is refused, unless file:PATH,overwrite)"},
    {"qemu", K_STRING, F(qemu), 0, 0, NULL, S(qemu), "qemu-system-x86_64", false,
     "backend qemu: the QEMU program (a path, or a name looked up in PATH)"},
    {"qemu-image", K_STRING, F(qemu_image), 0, 0, NULL, S(qemu_image), NULL, false,
     "backend qemu, savevm: the qcow2 image QEMU saves into, removed after; an existing file "
     "zcbench did not create is refused, unless PATH,overwrite; default zcbench-qemu-PID.qcow2 "
     "beside --output"},
    {"senders", K_UINT, F(senders), 1, 64, NULL, 0, "2", false,
     "migrate: sender threads, each with its own backend"},
    {"threads", K_UINT, F(senders), 1, 64, NULL, 0, NULL, false, "alias of senders"},
    {"packet", K_UINT, F(packet), 1, 1024, NULL, 0, "128", false,
     "migrate: pages per multifd packet"},
    {"cpu", K_INT, F(cpu), -1, 4095, NULL, 0, "-1", false,
     "pin the measuring thread to this PU (logical index), -1 = not pinned"},
    {"numa", K_STRING, F(numa), 0, 0, NULL, S(numa), "any", false,
     "bind buffers: any | N | local | remote (relative to the DSA device)"},
    {"backing", K_ENUM, F(backing), 0, 0, zcb_backing_names, 0, "anon", false,
     "where the pages live: anon (private anonymous memory, transparent huge pages where the host "
     "gives them) | shm (a file on /dev/shm mapped shared, as backend qemu's guest RAM: the model "
     "beside QEMU on the same memory)"},
    {"seed", K_UINT, F(seed), 0, 4294967295.0, NULL, 0, "1", false,
     "seed of the page patterns"},
    {"ref", K_BOOL, F(ref), 0, 0, bool_choices, 0, "1", false,
     "also measure the read-ceiling reference rows (ref:read)"},
    {"config", K_STRING, F(config), 0, 0, NULL, S(config), NULL, true,
     "sweep file: run every [sweep NAME] section"},
    {"output", K_STRING, F(output), 0, 0, NULL, S(output), NULL, true,
     "results CSV (default stdout); samples and metadata go beside it"},
    {"samples", K_STRING, F(samples), 0, 0, NULL, S(samples), NULL, true,
     "samples CSV (default: --output with .csv -> .samples.csv)"},
    {"gbench-json", K_STRING, F(gbench_json), 0, 0, NULL, S(gbench_json), NULL, true,
     "also write Google Benchmark's native JSON (never over a file zcbench did not write)"},
    {"list-backends", K_FLAG, F(list_backends), 0, 0, NULL, 0, NULL, true,
     "what is usable here, and why not for the rest"},
    {"dry-run", K_FLAG, F(dry_run), 0, 0, NULL, 0, NULL, true, "print the expanded cases"},
    {"quiet", K_FLAG, F(quiet), 0, 0, NULL, 0, NULL, true, "no progress on stderr"},
    {"help", K_FLAG, F(help), 0, 0, NULL, 0, NULL, true, "this text"},
    {0},
};

_Static_assert(sizeof table / sizeof table[0] <= 64, "zcb_options.given has a bit per option");

static const struct opt *find(const char *name)
{
    for (const struct opt *o = table; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

bool zcb_option_in_sweep(const char *name)
{
    const struct opt *o = find(name);
    return o && !o->cli_only;
}

static void allowed(const struct opt *o, char *buf, size_t len)
{
    char lo[32], hi[32];
    switch (o->kind) {
    case K_FLAG:
        snprintf(buf, len, "no value");
        return;
    case K_UINT:
    case K_INT:
        snprintf(buf, len, "an integer %.0f..%.0f", o->min, o->max);
        return;
    case K_DOUBLE:
        snprintf(buf, len, "a number %g..%g", o->min, o->max);
        return;
    case K_RATIOS:
        snprintf(buf, len, "comma-separated numbers %g..%g", o->min, o->max);
        return;
    case K_UINTS:
        snprintf(buf, len, "comma-separated integers %.0f..%.0f", o->min, o->max);
        return;
    case K_SIZES:
        zc_format_size((uint64_t)o->min, lo, sizeof lo);
        zc_format_size((uint64_t)o->max, hi, sizeof hi);
        snprintf(buf, len, "comma-separated sizes %s..%s (suffixes K, M, G, T)", lo, hi);
        return;
    case K_STRING:
        snprintf(buf, len, "text of at most %zu characters", o->size - 1);
        return;
    case K_SPECS:
        snprintf(buf, len, "a backend spec (see --list-backends) or 'all'");
        return;
    case K_BOOL:
    case K_ENUM:
    case K_ENUMS: {
        size_t used = 0;
        buf[0] = '\0';
        for (const char *const *c = o->choices; *c && used < len; c++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", c == o->choices ? "" : "|", *c);
        if (o->kind == K_ENUMS && used < len)
            snprintf(buf + used, len - used, ", comma separated");
        return;
    }
    }
}

const char *zcb_quote_tail(const char *text)
{
    return strnlen(text, ZCB_QUOTE_MAX + 1) > ZCB_QUOTE_MAX ? "..." : "";
}

static int bad(const struct opt *o, const struct zcb_assign *a, const char *value)
{
    char what[256];
    allowed(o, what, sizeof what);
    return zc_fail(EINVAL, "%s: bad value '%.*s%s' for %s (allowed: %s)", a->where,
                   ZCB_QUOTE(value), o->name, what);
}

static bool parse_double(const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(d) || d < lo || d > hi)
        return false;
    *out = d;
    return true;
}

static bool parse_int(const char *text, double lo, double hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || (double)v < lo || (double)v > hi)
        return false;
    *out = v;
    return true;
}

static int enum_index(const char *const *choices, const char *value)
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(choices[i], value) == 0)
            return i;
    return -1;
}

/* Splits a comma list into items (modified in place); false on an empty item. */
static bool split_commas(char *text, char **items, size_t max, size_t *n)
{
    *n = 0;
    for (char *tok = text;;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (!*tok || *n == max)
            return false;
        items[(*n)++] = tok;
        if (!comma)
            return true;
        tok = comma + 1;
    }
}

void zcb_format_ratio(double ratio, char *buf, size_t len)
{
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, ratio);
        if (strtod(buf, NULL) == ratio)
            return;
    }
}

/* A list value as the messages show it: sizes with their suffix, ratios
 * as they read back (0.5000001 is not 0.5). */
static void format_item(const struct opt *o, const void *field, size_t i, char *buf, size_t len)
{
    if (o->kind == K_RATIOS) {
        zcb_format_ratio(((const struct zcb_dbl_list *)field)->v[i], buf, len);
        return;
    }
    uint64_t v = ((const struct zcb_u64_list *)field)->v[i];
    if (o->kind == K_SIZES)
        zc_format_size(v, buf, len);
    else if (o->kind == K_ENUMS)
        snprintf(buf, len, "%s", o->choices[v]);
    else
        snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* The same value twice in a list would run the same cases twice and write
 * their rows twice: refused, naming the earlier spelling it equals. */
static int given_twice(const struct opt *o, const struct zcb_assign *a, const char *text,
                       const char *earlier)
{
    return zc_fail(EINVAL, "%s: %s %.*s%s given twice (%.*s%s is in the list already; allowed: each "
                           "value once)",
                   a->where, o->name, ZCB_QUOTE(text), ZCB_QUOTE(earlier));
}

static bool same_item(const struct opt *o, const void *field, size_t i, size_t j)
{
    if (o->kind == K_RATIOS) {
        const struct zcb_dbl_list *l = field;
        return l->v[i] == l->v[j];
    }
    const struct zcb_u64_list *l = field;
    return l->v[i] == l->v[j];
}

/* Item n (parsed from text, not counted yet) against the list before it. */
static int check_new_item(const struct opt *o, const struct zcb_assign *a, const void *field, size_t n,
                          const char *text)
{
    for (size_t i = 0; i < n; i++)
        if (same_item(o, field, i, n)) {
            char earlier[64];
            format_item(o, field, i, earlier, sizeof earlier);
            return given_twice(o, a, text, earlier);
        }
    return 0;
}

static int set_list(const struct opt *o, const struct zcb_assign *a, void *field, unsigned scope)
{
    char copy[ZCB_PATH_MAX];
    char *items[ZCB_LIST_MAX];
    size_t n;
    if (strlen(a->value) >= sizeof copy)
        return bad(o, a, a->value);
    strcpy(copy, a->value);
    if (!split_commas(copy, items, ZCB_LIST_MAX, &n))
        return zc_fail(EINVAL, "%s: bad list '%.*s%s' for %s (empty item or more than %d items)",
                       a->where, ZCB_QUOTE(a->value), o->name, ZCB_LIST_MAX);
    if (o->kind == K_RATIOS) {
        struct zcb_dbl_list *l = field;
        if (l->scope != scope)
            *l = (struct zcb_dbl_list){.scope = scope};
        for (size_t i = 0; i < n; i++) {
            if (l->n == ZCB_LIST_MAX || !parse_double(items[i], o->min, o->max, &l->v[l->n]))
                return bad(o, a, items[i]);
            l->v[l->n] += 0.0; /* -0 is 0: the CSV would write "-0" */
            int rc = check_new_item(o, a, l, l->n, items[i]);
            if (rc)
                return rc;
            l->n++;
        }
        return 0;
    }
    struct zcb_u64_list *l = field;
    if (l->scope != scope)
        *l = (struct zcb_u64_list){.scope = scope};
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        long long iv;
        if (o->kind == K_SIZES) {
            if (zc_parse_size(items[i], &v) != 0 || (double)v < o->min || (double)v > o->max)
                return bad(o, a, items[i]);
        } else if (o->kind == K_UINTS) {
            if (!parse_int(items[i], o->min, o->max, &iv))
                return bad(o, a, items[i]);
            v = (uint64_t)iv;
        } else {
            int idx = enum_index(o->choices, items[i]);
            if (idx < 0)
                return bad(o, a, items[i]);
            v = (uint64_t)idx;
        }
        if (l->n == ZCB_LIST_MAX)
            return bad(o, a, items[i]);
        l->v[l->n] = v;
        int rc = check_new_item(o, a, l, l->n, items[i]);
        if (rc)
            return rc;
        l->n++;
    }
    return 0;
}

/* Two specs of one kind with the same keys and values, in any order. A spec
 * that does not parse is left to the backend to refuse with its own words. */
static bool same_spec(const char *x, const char *y)
{
    struct zc_spec a, b;
    if (zc_spec_parse(x, &a) != 0)
        return false;
    bool same = false;
    if (zc_spec_parse(y, &b) == 0) {
        same = strcmp(a.kind, b.kind) == 0 && a.n == b.n;
        for (size_t i = 0; same && i < a.n; i++) {
            const char *v = zc_spec_get(&b, a.kv[i].key);
            same = v && strcmp(v, a.kv[i].value) == 0;
        }
        zc_spec_free(&b);
    }
    zc_spec_free(&a);
    return same;
}

static int add_spec(const struct opt *o, const struct zcb_assign *a, struct zcb_str_list *l, unsigned scope)
{
    const char *v = a->value;
    if (l->scope != scope)
        *l = (struct zcb_str_list){.scope = scope};
    if (!*v || strlen(v) >= ZCB_SPEC_MAX || l->n == ZCB_BACKENDS_MAX)
        return zc_fail(EINVAL, "%s: bad backend '%.*s%s' (a spec of at most %d characters, at most %d backends)",
                       a->where, ZCB_QUOTE(v), ZCB_SPEC_MAX - 1, ZCB_BACKENDS_MAX);
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], v) == 0 || same_spec(l->v[i], v))
            return given_twice(o, a, v, l->v[i]);
    strcpy(l->v[l->n++], v);
    return 0;
}

static int apply(const struct opt *o, const struct zcb_assign *a, struct zcb_options *opts,
                 unsigned scope)
{
    void *field = (char *)opts + o->offset;
    const char *v = a->value;
    long long i;
    switch (o->kind) {
    case K_FLAG:
        *(bool *)field = true;
        return 0;
    case K_BOOL:
    case K_ENUM: {
        int idx = enum_index(o->choices, v);
        if (idx < 0)
            return bad(o, a, v);
        if (o->kind == K_BOOL)
            *(bool *)field = idx == 1;
        else
            *(int *)field = idx;
        return 0;
    }
    case K_UINT:
        if (!parse_int(v, o->min, o->max, &i))
            return bad(o, a, v);
        *(unsigned *)field = (unsigned)i;
        return 0;
    case K_INT:
        if (!parse_int(v, o->min, o->max, &i))
            return bad(o, a, v);
        *(int *)field = (int)i;
        return 0;
    case K_DOUBLE:
        if (!parse_double(v, o->min, o->max, (double *)field))
            return bad(o, a, v);
        return 0;
    case K_STRING:
        if (!*v || strlen(v) >= o->size)
            return bad(o, a, v);
        strcpy(field, v);
        return 0;
    case K_SPECS:
        return add_spec(o, a, field, scope);
    case K_SIZES:
    case K_RATIOS:
    case K_ENUMS:
    case K_UINTS:
        return set_list(o, a, field, scope);
    }
    return bad(o, a, v);
}

static void names_of_table(char *buf, size_t len, bool sweep_only)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const struct opt *o = table; o->name && used < len; o++)
        if (!sweep_only || !o->cli_only)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", o->name);
}

static int unknown_option(const char *where, const char *name, bool from_file)
{
    char names[1024];
    names_of_table(names, sizeof names, from_file);
    return zc_fail(EINVAL, "%.*s%s: unknown option '%.*s%s' (allowed: %s)", ZCB_QUOTE(where),
                   ZCB_QUOTE(name), names);
}

/* A second value in the same scope would replace the first unseen: refused.
 * Lists add up and flags repeat harmlessly; an alias shares its option's bit. */
static int check_given_once(struct zcb_options *opts, const struct opt *o, const struct zcb_assign *a,
                            unsigned scope)
{
    bool single = o->kind != K_FLAG && o->kind != K_SIZES && o->kind != K_RATIOS &&
                  o->kind != K_ENUMS && o->kind != K_UINTS && o->kind != K_SPECS;
    if (!single)
        return 0;
    const struct opt *first = table;
    while (first->offset != o->offset)
        first++;
    uint64_t bit = 1ull << (first - table);
    if (opts->given_scope != scope) {
        opts->given_scope = scope;
        opts->given = 0;
    }
    if (opts->given & bit)
        return zc_fail(EINVAL, "%s: %s given twice (allowed: once per sweep section, file defaults "
                               "or command line; the command line overrides the file)",
                       a->where, o->name);
    opts->given |= bit;
    return 0;
}

int zcb_options_set(struct zcb_options *opts, const struct zcb_assign *a, unsigned scope,
                    bool from_file)
{
    const struct opt *o = find(a->name);
    if (!o || (from_file && o->cli_only))
        return unknown_option(a->where, a->name, from_file);
    if (o->kind == K_FLAG) {
        if (a->value)
            return zc_fail(EINVAL, "%s: option %s takes no value (got '%.*s%s')", a->where, o->name,
                           ZCB_QUOTE(a->value));
    } else if (!a->value) {
        char what[256];
        allowed(o, what, sizeof what);
        return zc_fail(EINVAL, "%s: option %s needs a value (%s)", a->where, o->name, what);
    }
    int rc = check_given_once(opts, o, a, scope);
    return rc ? rc : apply(o, a, opts, scope);
}

void zcb_options_defaults(struct zcb_options *opts)
{
    memset(opts, 0, sizeof *opts);
    for (const struct opt *o = table; o->name; o++) {
        if (!o->def)
            continue;
        struct zcb_assign a = {o->name, o->def, "default"};
        int rc = apply(o, &a, opts, ZCB_SCOPE_DEFAULT);
        (void)rc; /* the table's defaults are valid (tests run --help and defaults) */
    }
}

int zcb_options_scan_argv(int argc, char **argv, struct zcb_assign *out, size_t max, size_t *n)
{
    *n = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || !arg[2])
            return zc_fail(EINVAL, "unexpected argument '%.*s%s' (options start with --; see --help)",
                           ZCB_QUOTE(arg));
        if (*n == max)
            return zc_fail(EINVAL, "too many options (at most %zu)", max);
        struct zcb_assign *a = &out[(*n)++];
        a->where = arg;
        const char *eq = strchr(arg, '=');
        const struct opt *o;
        if (eq) {
            /* --name=value: the name is copied into argv's own storage. */
            argv[i][eq - arg] = '\0';
            a->name = arg + 2;
            a->value = eq + 1;
            a->where = arg;
            continue;
        }
        a->name = arg + 2;
        a->value = NULL;
        o = find(a->name);
        if (!o) /* now, or its value would be blamed as a stray argument */
            return unknown_option(arg, a->name, false);
        if (o->kind != K_FLAG) {
            if (i + 1 >= argc) {
                char what[256];
                allowed(o, what, sizeof what);
                return zc_fail(EINVAL, "%s: missing value (%s)", arg, what);
            }
            a->value = argv[++i];
        }
    }
    return 0;
}

void zcb_options_help(FILE *out)
{
    fprintf(out,
            "usage: zcbench [OPTIONS]            run a sweep, write CSV\n"
            "       zcbench compare BASE NEW     regression gate (see zcbench compare --help)\n"
            "\nOptions (--name VALUE or --name=VALUE; in sweep files `name = value`, except\n"
            "those marked [command line]):\n");
    for (const struct opt *o = table; o->name; o++) {
        char what[256];
        allowed(o, what, sizeof what);
        fprintf(out, "  --%-14s %s\n  %16s allowed: %s%s%s%s\n", o->name, o->help, "", what,
                o->def ? "; default " : "", o->def ? o->def : "", o->cli_only ? " [command line]" : "");
    }
    fprintf(out, "\nGoogle Benchmark's display flags pass through: --benchmark_format,\n"
                 "--benchmark_color, --benchmark_counters_tabular, --benchmark_context; its\n"
                 "others are zcbench's own options above (--gbench-json for its JSON file).\n");
    fprintf(out, "\nExit status: 0 done, 1 a case failed (wrong answer, backend error),\n"
                 "2 bad input, 130 interrupted (finished rows kept, the image of --sink file: removed).\n");
}

/* The zcbench command line and sweep-file keys: one typed option table
 * drives parsing, validation, the sweep files and --help. */
#ifndef ZCB_OPTIONS_H
#define ZCB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZCB_LIST_MAX 32
#define ZCB_BACKENDS_MAX 32
#define ZCB_SPEC_MAX 256
#define ZCB_PATH_MAX 1024

enum zcb_workload { ZCB_WL_ZEROCHECK, ZCB_WL_ONEGIG, ZCB_WL_SAVEVM, ZCB_WL_MIGRATE };
enum zcb_nonzero_at { ZCB_NZ_FIRST, ZCB_NZ_MIDDLE, ZCB_NZ_LAST, ZCB_NZ_RANDOM };
enum zcb_cache { ZCB_CACHE_HOT, ZCB_CACHE_COLD };
/* Where the pages under test live (placement.h). */
enum zcb_backing { ZCB_BACKING_ANON, ZCB_BACKING_SHM };
/* What a DSA spec written with wq=auto becomes (bench/driver/dsa_targets.c). */
enum zcb_target { ZCB_TARGET_HW, ZCB_TARGET_PROJECTED, ZCB_TARGET_MODEL };
/* Operations a case measures; the first two are what --op accepts. */
enum zcb_op { ZCB_OP_COMPARE, ZCB_OP_COMPVAL, ZCB_OP_READ, ZCB_OP_SAVEVM, ZCB_OP_MIGRATE };

extern const char *const zcb_workload_names[];
extern const char *const zcb_nonzero_names[];
extern const char *const zcb_cache_names[];
extern const char *const zcb_backing_names[];
extern const char *const zcb_op_names[];
extern const char *const zcb_target_names[];

/* A list option; `scope` makes the first assignment in a new scope (sweep
 * defaults, a [sweep] section, the command line) replace rather than append. */
enum { ZCB_SCOPE_DEFAULT, ZCB_SCOPE_FILE, ZCB_SCOPE_SECTION, ZCB_SCOPE_CLI };
struct zcb_u64_list {
    unsigned scope;
    size_t n;
    uint64_t v[ZCB_LIST_MAX];
};
struct zcb_dbl_list {
    unsigned scope;
    size_t n;
    double v[ZCB_LIST_MAX];
};
struct zcb_str_list {
    unsigned scope;
    size_t n;
    char v[ZCB_BACKENDS_MAX][ZCB_SPEC_MAX];
};

struct zcb_options {
    int workload;                 /* enum zcb_workload */
    struct zcb_str_list backends; /* specs, "all" expanded by cases.c */
    struct zcb_u64_list sizes;    /* empty: the workload's default */
    struct zcb_u64_list grans;
    struct zcb_dbl_list zero_ratios;
    int nonzero_at;               /* enum zcb_nonzero_at */
    struct zcb_u64_list caches;   /* enum zcb_cache values */
    struct zcb_u64_list ops;      /* onegig: enum zcb_op values */
    unsigned reps;
    double min_time;
    struct zcb_u64_list mems;     /* savevm/migrate guest memory sizes */
    /* Sweep axes applied to the backend specs that take the key. */
    struct zcb_u64_list batches;  /* batch= of dsa-batch, dsa-multi, hybrid */
    struct zcb_u64_list qds;      /* qd= of dsa-multi, hybrid */
    struct zcb_u64_list cpu_threads; /* threads= of cpu-mt */
    struct zcb_u64_list dsa_targets; /* enum zcb_target: what wq=auto specs become */
    char sink[ZCB_PATH_MAX];      /* null | mem | file:PATH[,overwrite] */
    char qemu[ZCB_PATH_MAX];      /* backend qemu: the qemu-system-x86_64 program */
    char qemu_image[ZCB_PATH_MAX]; /* backend qemu, savevm: PATH[,overwrite] of its qcow2; "" = default */
    unsigned senders;             /* migrate sender threads */
    unsigned packet;              /* migrate pages per packet */
    int cpu;                      /* PU to pin the measuring thread, -1 none */
    char numa[32];                /* any | N | local | remote */
    int backing;                  /* enum zcb_backing */
    unsigned seed;
    bool ref;                     /* measure the ref:read rows */
    /* command line only */
    char config[ZCB_PATH_MAX];
    char output[ZCB_PATH_MAX];
    char samples[ZCB_PATH_MAX];
    char gbench_json[ZCB_PATH_MAX];
    bool list_backends, dry_run, help, quiet;
    /* The single-value options given in given_scope (a bit per option), so
     * that one given twice there is refused rather than silently replaced. */
    unsigned given_scope;
    uint64_t given;
};

/* One `name = value` (or --name value) assignment, kept so that the command
 * line can be layered over each sweep section. */
struct zcb_assign {
    const char *name;  /* option name without "--" */
    const char *value; /* NULL for flags */
    const char *where; /* "--name" or "FILE:LINE" for messages */
};

/* Text quoted in a message is cut after ZCB_QUOTE_MAX characters and "..."
 * follows, so that what is allowed still fits in the message: "'%.*s%s'"
 * with ZCB_QUOTE(text). */
#define ZCB_QUOTE_MAX 80
#define ZCB_QUOTE(text) ZCB_QUOTE_MAX, (text), zcb_quote_tail(text)
const char *zcb_quote_tail(const char *text);

void zcb_options_defaults(struct zcb_options *o);
/* Applies one assignment in `scope`. from_file refuses command-line-only
 * options. -EINVAL with zc_last_error() set ("WHERE: ..."). */
int zcb_options_set(struct zcb_options *o, const struct zcb_assign *a, unsigned scope,
                    bool from_file);
/* Splits argv (after the program name) into assignments; `out` holds at most
 * max. -EINVAL on an unknown option or a missing value. */
int zcb_options_scan_argv(int argc, char **argv, struct zcb_assign *out, size_t max, size_t *n);
void zcb_options_help(FILE *out);
/* Whether `name` is an option a sweep file may set. */
bool zcb_option_in_sweep(const char *name);

/* A zero ratio as the rows and case keys write it: "%.6g" like every float,
 * or with the digits it takes to read back as itself, so that two ratios a
 * sweep runs as two cases (0.5 and 0.5000001) never write alike rows. */
void zcb_format_ratio(double ratio, char *buf, size_t len);

#endif

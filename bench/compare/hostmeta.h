/* Internal to `zcbench compare`: the host a run was measured on, from the
 * results CSV (run_id, tsc_hz) and the metadata sidecar RUN_ID.meta.json
 * beside it (cpu_model, cpu_best_variant; docs/csv-schema.md). */
#ifndef ZC_COMPARE_HOSTMETA_H
#define ZC_COMPARE_HOSTMETA_H

#include <stdbool.h>
#include <stddef.h>

struct zc_host {
    char run_id[128];    /* "" unknown */
    char cpu_model[128]; /* "" unknown */
    char best[32];       /* the ISA of cpu:best; "" unknown */
    double tsc_hz;       /* 0 unknown */
};

/* From the first results row; either field may be NULL (column absent). */
void zc_host_from_row(struct zc_host *h, const char *run_id, const char *tsc_hz);
/* Adds what DIR(csv_path)/RUN_ID.meta.json says, when it exists. */
void zc_host_read_sidecar(const char *csv_path, struct zc_host *h);
/* True when a and b are known to be different hosts: a one-line account
 * of every difference goes to why. */
bool zc_host_differ(const struct zc_host *a, const struct zc_host *b, char *why, size_t len);
/* True when h lacks the CPU model, the ISA of best or the TSC frequency. */
bool zc_host_incomplete(const struct zc_host *h);

#endif

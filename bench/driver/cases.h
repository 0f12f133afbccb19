/* Expands options into the list of cases to measure, validating every value
 * that depends on another (gran vs size, memory available, backend specs). */
#ifndef ZCB_CASES_H
#define ZCB_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <zc/backend.h>

#include "options.h"
#include "sweep.h"

#define ZCB_REF_BACKEND "ref:read"
/* A case key (zcb_case_key) with the longest canonical backend spec. */
#define ZCB_CASE_KEY_MAX (ZC_BACKEND_SPEC_MAX + 128)

struct zcb_case {
    unsigned index;               /* position in the run, 0-based */
    char sweep[ZCB_SWEEP_NAME_MAX];
    int workload;                 /* enum zcb_workload */
    int op;                       /* enum zcb_op */
    char backend[ZCB_SPEC_MAX];   /* as given (wq=auto resolved), or ZCB_REF_BACKEND */
    char target[16];              /* DSA specs written wq=auto: hw, projected or model; else "-" */
    uint64_t buf_bytes;           /* bytes checked per pass (guest memory for savevm/migrate) */
    uint64_t gran;
    double zero_ratio;
    int nonzero_at;
    int cache;
    unsigned reps;
    double min_time;
    uint64_t mem_bytes;           /* savevm/migrate, else 0 */
    char sink[ZCB_PATH_MAX];
    char qemu[ZCB_PATH_MAX];       /* backend qemu: the program */
    char qemu_image[ZCB_PATH_MAX]; /* backend qemu, savevm: the new qcow2 */
    unsigned senders, packet;
    int cpu;
    char numa[32];
    int backing;                  /* enum zcb_backing */
    unsigned seed;
};

/* Cases one run may hold: each costs its struct before anything runs, and
 * a mistyped sweep of millions would take all memory. */
#define ZCB_CASES_MAX 65536

struct zcb_case_list {
    struct zcb_case *v;
    size_t n, cap;
};

/* Appends the cases of one sweep. -EINVAL (message names the value and what
 * is allowed) on an inconsistent combination, a bad backend spec or a size
 * that does not fit in available memory; -E2BIG past ZCB_CASES_MAX cases. */
int zcb_cases_expand(const struct zcb_options *o, const char *sweep_name, struct zcb_case_list *out);
void zcb_cases_free(struct zcb_case_list *l);
/* Bytes of buffers a case allocates (checked against available memory). */
uint64_t zcb_case_buffer_bytes(const struct zcb_case *c);
/* "workload/op/backend/buf_bytes/gran_bytes/zero_ratio/cache[/shm]" (/shm:
 * --backing shm, and every backend qemu case), the key of
 * the samples CSV (with the canonical backend spec) and of Google Benchmark's
 * name (backend NULL: as given). */
void zcb_case_key(const struct zcb_case *c, const char *backend, char *buf, size_t len);
void zcb_cases_print(const struct zcb_case_list *l, FILE *out);
/* Bytes of memory available now (MemAvailable, else _SC_AVPHYS_PAGES). */
uint64_t zcb_mem_available(void);

#endif

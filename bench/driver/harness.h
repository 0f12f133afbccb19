/* Runs every case as a Google Benchmark benchmark (bench/gbench.h):
 * repetitions, min time, manual time = wall time of one pass; per-repetition
 * samples collected through the report callback; median and p99 computed
 * here; each finished case written as one row. */
#ifndef ZCB_HARNESS_H
#define ZCB_HARNESS_H

#include <stdbool.h>

#include "cases.h"
#include "csv.h"
#include "meta.h"

struct zcb_harness {
    const char *run_id;
    const struct zcb_case_list *cases;
    struct zcb_csv *results;
    struct zcb_csv *samples;   /* NULL: no samples CSV */
    const char *gbench_json;   /* NULL: none */
    bool progress;
    struct zcb_wqs_used *used; /* filled with the WQs each written row ran on; NULL: not kept */
};

/* Exit status: 0 every case written, 1 a case failed (wrong answer or
 * backend error; message on stderr), 130 interrupted (finished rows kept). */
int zcb_harness_run(const struct zcb_harness *h);

#endif

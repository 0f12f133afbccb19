/* libFuzzer: the gate's readers (our results CSV, Google Benchmark JSON)
 * on arbitrary bytes: a run or a one-line error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[512];
    struct zc_run run;
    for (int json = 0; json < 2; json++) {
        memset(&run, 0, sizeof run);
        err[0] = '\0';
        run.path = strdup("fuzz-input-without-samples.csv");
        int rc = json ? zc_run_load_gbench_json(run.path, text, &run, err, sizeof err)
                      : zc_run_load_csv(run.path, text, &run, err, sizeof err);
        if (rc != 0 && err[0] == '\0')
            abort(); /* an error always says what was wrong */
        zc_run_free(&run);
    }
    free(text);
    return 0;
}

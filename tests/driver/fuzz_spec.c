/* libFuzzer: backend specs (zc_spec_parse) applied to a typed option table
 * (zc_opts_apply), the path every --backend string takes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/spec.h"

struct target {
    unsigned batch;
    uint64_t count;
    uint64_t size;
    double share;
    int wait;
    char wq[64];
};

static const char *const waits[] = {"spin", "pause", "umwait", "yield", "poller", NULL};
static const struct zc_opt table[] = {
    {"batch", ZC_OPT_UINT, offsetof(struct target, batch), 1, 1024, 0, 0, NULL, 0, "32", "pages per batch"},
    {"count", ZC_OPT_U64, offsetof(struct target, count), 0, UINT64_MAX, 0, 0, NULL, 0, NULL, "a count"},
    {"size", ZC_OPT_SIZE, offsetof(struct target, size), 8, 1ull << 40, 0, 0, NULL, 0, "4K", "a size"},
    {"cpu_share", ZC_OPT_DOUBLE, offsetof(struct target, share), 0, 0, 0, 1, NULL, 0, NULL, "a share"},
    {"wait", ZC_OPT_ENUM, offsetof(struct target, wait), 0, 0, 0, 0, waits, 0, "spin", "policy"},
    {"wq", ZC_OPT_STRING, offsetof(struct target, wq), 0, 0, 0, 0, NULL, 64, "emu", "work queue"},
    {0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct zc_spec spec;
    if (zc_spec_parse(text, &spec) == 0) {
        struct target t;
        zc_opts_apply(table, &spec, &t, "fuzz");
        const char *wq = zc_spec_get(&spec, "wq");
        if (wq) {
            char copy[256], *items[8];
            size_t n;
            snprintf(copy, sizeof copy, "%s", wq);
            zc_spec_split(copy, '+', items, 8, &n);
        }
        zc_spec_free(&spec);
    }
    uint64_t bytes;
    zc_parse_size(text, &bytes);
    free(text);
    return 0;
}

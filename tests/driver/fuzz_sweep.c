/* libFuzzer: sweep files (parse, then build the options of every section). */
#include <stddef.h>
#include <stdint.h>

#include "driver/sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct zcb_sweep s;
    if (zcb_sweep_parse((const char *)data, size, "fuzz.sweep", &s) != 0)
        return 0;
    for (size_t i = 0; i < s.n_sections; i++) {
        struct zcb_options o;
        zcb_sweep_options(&s, i, NULL, 0, &o);
    }
    zcb_sweep_free(&s);
    return 0;
}

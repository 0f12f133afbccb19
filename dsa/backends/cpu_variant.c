#include "dsa/backends/cpu_variant.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dsa/error.h"

int zc_be_cpu_variant(const char *who, char name[ZC_BE_VARIANT_MAX], zc_zero_fn *fn)
{
    *fn = zc_cpu_find(name);
    if (!*fn) {
        char allowed[256] = "best";
        size_t used = strlen(allowed);
        for (size_t i = 0; i < zc_cpu_variant_count() && used < sizeof allowed; i++) {
            const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
            if (v->usable)
                used += (size_t)snprintf(allowed + used, sizeof allowed - used, ", %s", v->name);
        }
        return zc_fail(EINVAL, "%s: unknown or unusable CPU variant '%s' (usable here: %s)", who,
                       name, allowed);
    }
    if (strcmp(name, "best") == 0)
        snprintf(name, ZC_BE_VARIANT_MAX, "%s", zc_cpu_best_name());
    return 0;
}

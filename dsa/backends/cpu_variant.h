/* Internal: the <zc/cpu.h> variant a CPU-side backend runs, from its spec. */
#ifndef ZC_BACKENDS_CPU_VARIANT_H
#define ZC_BACKENDS_CPU_VARIANT_H

#include <stddef.h>

#include <zc/cpu.h>

#define ZC_BE_VARIANT_MAX 16

/* Resolves name (rewritten in place: "best" becomes the variant it runs,
 * so canonical specs name the kernel). -EINVAL naming the usable variants
 * when the name is unknown or unusable here; who prefixes the message. */
int zc_be_cpu_variant(const char *who, char name[ZC_BE_VARIANT_MAX], zc_zero_fn *fn);

#endif

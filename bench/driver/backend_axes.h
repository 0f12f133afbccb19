/* Sweep axes over backend parameters (--batch, --qd, --cpu-threads): each
 * backend spec whose kind takes the key becomes one spec per value; the
 * others stay as they are. */
#ifndef ZCB_BACKEND_AXES_H
#define ZCB_BACKEND_AXES_H

#include <stddef.h>

#include "options.h"

struct zcb_spec_list {
    size_t n, cap;
    char (*v)[ZCB_SPEC_MAX];
};

/* Appends the variants of spec to out. -EINVAL when a variant would not fit. */
int zcb_backend_axes_expand(const struct zcb_options *o, const char *spec, struct zcb_spec_list *out);
/* spec with key=value set at the top level (replaced or appended). */
int zcb_spec_with(const char *spec, const char *key, unsigned long long value, char *out, size_t len);
/* The same with a text value (put in braces when it holds a comma). */
int zcb_spec_with_text(const char *spec, const char *key, const char *value, char *out, size_t len);
void zcb_spec_list_free(struct zcb_spec_list *l);

#endif

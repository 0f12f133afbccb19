#include "backend_axes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/error.h"
#include "dsa/grow.h"

struct axis {
    const char *key;
    const char *const kinds[4];
    size_t field; /* offset of the zcb_u64_list in zcb_options */
};

static const struct axis axes[] = {
    {"batch", {"dsa-batch", "dsa-multi", "hybrid", NULL}, offsetof(struct zcb_options, batches)},
    {"qd", {"dsa-multi", "hybrid", NULL}, offsetof(struct zcb_options, qds)},
    {"threads", {"cpu-mt", NULL}, offsetof(struct zcb_options, cpu_threads)},
};

/* Length of the kind: up to the first ':' outside braces. */
static size_t kind_length(const char *spec)
{
    int depth = 0;
    for (size_t i = 0; spec[i]; i++) {
        if (spec[i] == '{')
            depth++;
        else if (spec[i] == '}')
            depth--;
        else if (spec[i] == ':' && depth == 0)
            return i;
    }
    return strlen(spec);
}

static bool takes(const struct axis *a, const char *spec)
{
    size_t n = kind_length(spec);
    for (const char *const *k = a->kinds; *k; k++)
        if (strlen(*k) == n && strncmp(spec, *k, n) == 0)
            return true;
    return false;
}

int zcb_spec_with_text(const char *spec, const char *key, const char *value, char *out, size_t len)
{
    size_t kind = kind_length(spec), klen = strlen(key);
    bool brace = strchr(value, ',') && value[0] != '{';
    const char *open = brace ? "{" : "", *close = brace ? "}" : "";
    int n;
    if (!spec[kind]) {
        n = snprintf(out, len, "%s:%s=%s%s%s", spec, key, open, value, close);
        return n >= 0 && (size_t)n < len ? 0 : zc_fail(EINVAL, "backend spec '%s' grows too long", spec);
    }
    /* Find key= at the start of a top-level item. */
    int depth = 0;
    const char *item = spec + kind + 1, *found = NULL, *end = NULL;
    for (const char *p = item;; p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}')
            depth--;
        if ((*p == ',' && depth == 0) || !*p) {
            if (!found && strncmp(item, key, klen) == 0 && item[klen] == '=') {
                found = item;
                end = p;
            }
            if (!*p)
                break;
            item = p + 1;
        }
    }
    if (found)
        n = snprintf(out, len, "%.*s%s=%s%s%s%s", (int)(found - spec), spec, key, open, value, close,
                     end);
    else
        n = snprintf(out, len, "%s,%s=%s%s%s", spec, key, open, value, close);
    return n >= 0 && (size_t)n < len ? 0 : zc_fail(EINVAL, "backend spec '%s' grows too long", spec);
}

int zcb_spec_with(const char *spec, const char *key, unsigned long long value, char *out, size_t len)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", value);
    return zcb_spec_with_text(spec, key, text, out, len);
}

static int push(struct zcb_spec_list *l, const char *spec)
{
    void *v = zc_grow(l->v, &l->cap, l->n, sizeof *l->v, 16);
    if (!v)
        return zc_fail(ENOMEM, "out of memory expanding backends");
    l->v = v;
    snprintf(l->v[l->n++], ZCB_SPEC_MAX, "%s", spec);
    return 0;
}

int zcb_backend_axes_expand(const struct zcb_options *o, const char *spec, struct zcb_spec_list *out)
{
    struct zcb_spec_list cur = {0}, next = {0};
    int rc = push(&cur, spec);
    for (size_t a = 0; !rc && a < sizeof axes / sizeof axes[0]; a++) {
        const struct zcb_u64_list *values = (const void *)((const char *)o + axes[a].field);
        if (!values->n || !takes(&axes[a], spec))
            continue;
        next.n = 0;
        for (size_t i = 0; !rc && i < cur.n; i++)
            for (size_t v = 0; !rc && v < values->n; v++) {
                char varied[ZCB_SPEC_MAX];
                rc = zcb_spec_with(cur.v[i], axes[a].key, (unsigned long long)values->v[v], varied,
                                   sizeof varied);
                if (!rc)
                    rc = push(&next, varied);
            }
        struct zcb_spec_list t = cur;
        cur = next;
        next = t;
    }
    for (size_t i = 0; !rc && i < cur.n; i++)
        rc = push(out, cur.v[i]);
    zcb_spec_list_free(&cur);
    zcb_spec_list_free(&next);
    return rc;
}

void zcb_spec_list_free(struct zcb_spec_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

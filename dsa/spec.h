/* Internal: "kind:key=value,..." specs and a typed option table (one table
 * per consumer drives parsing, defaults, validation and help text).
 *
 * A value may be wrapped in braces to hold commas or '+':
 *   dsa-multi:wq={emu:engines=2,mode=shared}+{emu},qd=8
 */
#ifndef ZC_DSA_SPEC_H
#define ZC_DSA_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZC_SPEC_MAX_KEYS 24

struct zc_spec_kv {
    const char *key;
    const char *value;
};

struct zc_spec {
    char *buf;          /* owned copy of the text; kind/keys/values point in it */
    const char *kind;   /* text before the first ':' at brace depth 0; "" when none */
    size_t n;
    struct zc_spec_kv kv[ZC_SPEC_MAX_KEYS];
};

/* "kind", "kind:k=v,k=v". -EINVAL (message via zc_last_error) on an empty
 * spec, a key without '=', an empty key, a duplicate key, too many keys or
 * unbalanced braces. */
int  zc_spec_parse(const char *text, struct zc_spec *out);
/* "k=v,k=v" with no kind (environment variables such as ZC_EMU). */
int  zc_spec_parse_kv(const char *text, struct zc_spec *out);
void zc_spec_free(struct zc_spec *s);
const char *zc_spec_get(const struct zc_spec *s, const char *key);

/* Splits text in place at sep outside braces, strips one pair of outer
 * braces from each item. -EINVAL when more than max items or empty ones. */
int zc_spec_split(char *text, char sep, char **items, size_t max, size_t *n);

/* "4096", "4K", "64KiB", "2M", "1G", "1T" (binary multiples). -EINVAL on
 * anything else, -ERANGE on overflow. */
int zc_parse_size(const char *text, uint64_t *out);
/* Formats bytes the way zc_parse_size reads them back ("4K", "1G", "1000"). */
void zc_format_size(uint64_t bytes, char *buf, size_t len);

enum zc_opt_type {
    ZC_OPT_UINT,    /* unsigned, min..max, stored as unsigned */
    ZC_OPT_U64,     /* uint64_t, min..max */
    ZC_OPT_SIZE,    /* uint64_t bytes with binary suffixes, min..max */
    ZC_OPT_DOUBLE,  /* double, dmin..dmax */
    ZC_OPT_ENUM,    /* int index into choices */
    ZC_OPT_STRING,  /* char[size] */
};

struct zc_opt {
    const char *name;
    enum zc_opt_type type;
    size_t offset;              /* into the destination struct */
    uint64_t min, max;          /* UINT, U64, SIZE */
    double dmin, dmax;          /* DOUBLE */
    const char *const *choices; /* ENUM: NULL-terminated */
    size_t size;                /* STRING: capacity of the char array */
    const char *def;            /* default, as text; NULL = leave as is */
    const char *help;
};
/* A table ends with an entry whose name is NULL. */

/* Applies every default, then every key of spec. Unknown key or bad value:
 * -EINVAL, and a message "WHAT: unknown key 'k' (allowed: a, b)" or
 * "WHAT: bad value 'v' for k (allowed: ...)". */
int zc_opts_apply(const struct zc_opt *table, const struct zc_spec *spec, void *dst,
                  const char *what);
/* Only the keys of spec, no defaults (layering, e.g. spec over ZC_EMU). */
int zc_opts_apply_keys(const struct zc_opt *table, const struct zc_spec *spec, void *dst,
                       const char *what);
/* One line per option: name, allowed values, default, help. */
void zc_opts_help(const struct zc_opt *table, FILE *out);

#endif

#include "dsa/spec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/error.h"

/* Strips one pair of braces only when they enclose the whole item: the '{'
 * of "{a}+{b}" closes before the end, so that list keeps its braces. */
static char *strip_braces(char *s)
{
    size_t len = strlen(s);
    if (len < 2 || s[0] != '{' || s[len - 1] != '}')
        return s;
    int depth = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        depth += s[i] == '{' ? 1 : s[i] == '}' ? -1 : 0;
        if (depth == 0)
            return s;
    }
    s[len - 1] = '\0';
    return s + 1;
}

int zc_spec_split(char *text, char sep, char **items, size_t max, size_t *n)
{
    size_t count = 0;
    int depth = 0;
    char *start = text;
    for (char *p = text;; p++) {
        if (*p == '{') {
            depth++;
        } else if (*p == '}') {
            if (--depth < 0)
                return zc_fail(EINVAL, "unbalanced '}' in '%s'", text);
        } else if ((*p == sep && depth == 0) || *p == '\0') {
            if (depth != 0)
                return zc_fail(EINVAL, "unbalanced '{' in '%s'", text);
            bool end = *p == '\0';
            *p = '\0';
            if (*start == '\0')
                return zc_fail(EINVAL, "empty item in list (separator '%c')", sep);
            if (count == max)
                return zc_fail(EINVAL, "too many items in list (at most %zu)", max);
            items[count++] = strip_braces(start);
            if (end)
                break;
            start = p + 1;
        }
    }
    *n = count;
    return 0;
}

static int parse_pairs(char *text, struct zc_spec *out)
{
    char *items[ZC_SPEC_MAX_KEYS + 1];
    size_t n;
    int rc = zc_spec_split(text, ',', items, ZC_SPEC_MAX_KEYS, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(items[i], '=');
        if (!eq)
            return zc_fail(EINVAL, "'%s' is not key=value", items[i]);
        if (eq == items[i])
            return zc_fail(EINVAL, "empty key in '%s'", items[i]);
        *eq = '\0';
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->kv[j].key, items[i]) == 0)
                return zc_fail(EINVAL, "key '%s' given twice", items[i]);
        out->kv[i].key = items[i];
        out->kv[i].value = strip_braces(eq + 1);
    }
    out->n = n;
    return 0;
}

static char *kind_separator(char *text)
{
    int depth = 0;
    for (char *p = text; *p; p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}')
            depth--;
        else if (*p == ':' && depth == 0)
            return p;
    }
    return NULL;
}

static int parse(const char *text, struct zc_spec *out, bool with_kind)
{
    memset(out, 0, sizeof *out);
    if (!text || !*text)
        return zc_fail(EINVAL, "empty spec");
    out->buf = strdup(text);
    if (!out->buf)
        return zc_fail(ENOMEM, "out of memory parsing '%s'", text);
    char *pairs = out->buf;
    out->kind = "";
    if (with_kind) {
        char *colon = kind_separator(out->buf);
        out->kind = out->buf;
        pairs = NULL;
        if (colon) {
            *colon = '\0';
            pairs = colon + 1;
        }
        if (!*out->kind) {
            zc_spec_free(out);
            return zc_fail(EINVAL, "spec '%s' has no kind before ':'", text);
        }
    }
    int rc = pairs ? parse_pairs(pairs, out) : 0;
    if (rc) {
        char why[400];
        snprintf(why, sizeof why, "%s", zc_last_error());
        zc_spec_free(out);
        return zc_fail(EINVAL, "bad spec '%s': %s", text, why);
    }
    return 0;
}

int zc_spec_parse(const char *text, struct zc_spec *out) { return parse(text, out, true); }

int zc_spec_parse_kv(const char *text, struct zc_spec *out) { return parse(text, out, false); }

void zc_spec_free(struct zc_spec *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}

const char *zc_spec_get(const struct zc_spec *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->kv[i].key, key) == 0)
            return s->kv[i].value;
    return NULL;
}

int zc_parse_size(const char *text, uint64_t *out)
{
    if (!text || !isdigit((unsigned char)text[0]))
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    case 'B': break;
    default: return -EINVAL;
    }
    if (shift && (*end == 'i' || *end == 'I'))
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0')
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = (uint64_t)v << shift;
    return 0;
}

void zc_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char suffix[] = "KMGT";
    int unit = -1;
    while (unit < 3 && bytes && bytes % 1024 == 0) {
        bytes /= 1024;
        unit++;
    }
    if (unit < 0)
        snprintf(buf, len, "%" PRIu64, bytes);
    else
        snprintf(buf, len, "%" PRIu64 "%c", bytes, suffix[unit]);
}

static void describe_allowed(const struct zc_opt *o, char *buf, size_t len)
{
    char lo[32], hi[32];
    switch (o->type) {
    case ZC_OPT_UINT:
    case ZC_OPT_U64:
        snprintf(buf, len, "an integer %" PRIu64 "..%" PRIu64, o->min, o->max);
        break;
    case ZC_OPT_SIZE:
        zc_format_size(o->min, lo, sizeof lo);
        zc_format_size(o->max, hi, sizeof hi);
        snprintf(buf, len, "a size %s..%s (suffixes K, M, G, T)", lo, hi);
        break;
    case ZC_OPT_DOUBLE:
        snprintf(buf, len, "a number %g..%g", o->dmin, o->dmax);
        break;
    case ZC_OPT_ENUM: {
        size_t used = 0;
        buf[0] = '\0';
        for (const char *const *c = o->choices; *c && used < len; c++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", c == o->choices ? "" : "|", *c);
        break;
    }
    case ZC_OPT_STRING:
        snprintf(buf, len, "text of at most %zu characters", o->size - 1);
        break;
    }
}

static int bad_value(const struct zc_opt *o, const char *value, const char *what)
{
    char allowed[256];
    describe_allowed(o, allowed, sizeof allowed);
    return zc_fail(EINVAL, "%s: bad value '%s' for %s (allowed: %s)", what, value, o->name, allowed);
}

static bool parse_u64(const char *text, uint64_t *out)
{
    if (!isdigit((unsigned char)text[0]))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int set_option(const struct zc_opt *o, const char *value, void *dst, const char *what)
{
    char *field = (char *)dst + o->offset;
    uint64_t u;
    switch (o->type) {
    case ZC_OPT_UINT:
    case ZC_OPT_U64:
    case ZC_OPT_SIZE:
        if (o->type == ZC_OPT_SIZE ? zc_parse_size(value, &u) != 0 : !parse_u64(value, &u))
            return bad_value(o, value, what);
        if (u < o->min || u > o->max)
            return bad_value(o, value, what);
        if (o->type == ZC_OPT_UINT)
            *(unsigned *)field = (unsigned)u;
        else
            *(uint64_t *)field = u;
        return 0;
    case ZC_OPT_DOUBLE: {
        char *end;
        errno = 0;
        double d = strtod(value, &end);
        if (errno || *end || end == value || !isfinite(d) || d < o->dmin || d > o->dmax)
            return bad_value(o, value, what);
        *(double *)field = d;
        return 0;
    }
    case ZC_OPT_ENUM:
        for (int i = 0; o->choices[i]; i++)
            if (strcmp(o->choices[i], value) == 0) {
                *(int *)field = i;
                return 0;
            }
        return bad_value(o, value, what);
    case ZC_OPT_STRING:
        if (strlen(value) >= o->size)
            return bad_value(o, value, what);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    return bad_value(o, value, what);
}

static const struct zc_opt *find_option(const struct zc_opt *table, const char *name)
{
    for (const struct zc_opt *o = table; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

int zc_opts_apply_keys(const struct zc_opt *table, const struct zc_spec *spec, void *dst,
                       const char *what)
{
    for (size_t i = 0; i < spec->n; i++) {
        const struct zc_opt *o = find_option(table, spec->kv[i].key);
        if (!o) {
            char allowed[512];
            size_t used = 0;
            allowed[0] = '\0';
            for (const struct zc_opt *t = table; t->name && used < sizeof allowed; t++)
                used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s",
                                         t == table ? "" : ", ", t->name);
            return zc_fail(EINVAL, "%s: unknown key '%s' (allowed: %s)", what, spec->kv[i].key,
                           allowed);
        }
        int rc = set_option(o, spec->kv[i].value, dst, what);
        if (rc)
            return rc;
    }
    return 0;
}

int zc_opts_apply(const struct zc_opt *table, const struct zc_spec *spec, void *dst,
                  const char *what)
{
    for (const struct zc_opt *o = table; o->name; o++)
        if (o->def) {
            int rc = set_option(o, o->def, dst, what);
            if (rc)
                return rc;
        }
    return zc_opts_apply_keys(table, spec, dst, what);
}

void zc_opts_help(const struct zc_opt *table, FILE *out)
{
    for (const struct zc_opt *o = table; o->name; o++) {
        char allowed[256];
        describe_allowed(o, allowed, sizeof allowed);
        fprintf(out, "  %-14s %s [%s]%s%s\n", o->name, o->help, allowed,
                o->def ? " default " : "", o->def ? o->def : "");
    }
}

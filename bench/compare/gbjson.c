/* Google Benchmark's JSON (--benchmark_format=json, --benchmark_out,
 * zcbench --gbench-json): just enough of JSON to read benchmarks[] entries
 * (flat objects); anything else is skipped structurally. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"
#include "compare/stats.h"

struct scanner {
    const char *p;
};

static void skip_ws(struct scanner *s)
{
    while (isspace((unsigned char)*s->p))
        s->p++;
}

static bool eat(struct scanner *s, char c)
{
    skip_ws(s);
    if (*s->p != c)
        return false;
    s->p++;
    return true;
}

/* Reads a string into out (escapes kept simple: \" \\ \/ and \uXXXX as '?'). */
static bool read_string(struct scanner *s, char *out, size_t len)
{
    if (!eat(s, '"'))
        return false;
    size_t n = 0;
    while (*s->p && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\') {
            c = *s->p++;
            if (c == 'u') {
                for (int i = 0; i < 4 && isxdigit((unsigned char)*s->p); i++)
                    s->p++;
                c = '?';
            } else if (c == 'n') {
                c = '\n';
            } else if (c == 't') {
                c = '\t';
            } else if (!c) {
                return false;
            }
        }
        if (n + 1 < len)
            out[n++] = c;
    }
    if (len)
        out[n] = '\0';
    return eat(s, '"');
}

static bool skip_value(struct scanner *s, int depth)
{
    char scratch[8];
    skip_ws(s);
    if (depth > 64)
        return false;
    if (*s->p == '"')
        return read_string(s, scratch, 0);
    if (*s->p == '{' || *s->p == '[') {
        char close = *s->p == '{' ? '}' : ']';
        bool object = *s->p == '{';
        s->p++;
        if (eat(s, close))
            return true;
        do {
            if (object && (!read_string(s, scratch, 0) || !eat(s, ':')))
                return false;
            if (!skip_value(s, depth + 1))
                return false;
        } while (eat(s, ','));
        return eat(s, close);
    }
    const char *start = s->p;
    while (*s->p && (isalnum((unsigned char)*s->p) || strchr("+-.", *s->p)))
        s->p++;
    return s->p != start;
}

struct entry {
    char name[512], run_name[512], run_type[32], aggregate[32], unit[8];
    double real_time;
    bool has_time;
};

static bool read_entry(struct scanner *s, struct entry *e)
{
    memset(e, 0, sizeof *e);
    strcpy(e->unit, "ns");
    if (!eat(s, '{'))
        return false;
    if (eat(s, '}'))
        return true;
    do {
        char key[64];
        if (!read_string(s, key, sizeof key) || !eat(s, ':'))
            return false;
        skip_ws(s);
        char *dst = !strcmp(key, "name") ? e->name
                    : !strcmp(key, "run_name") ? e->run_name
                    : !strcmp(key, "run_type") ? e->run_type
                    : !strcmp(key, "aggregate_name") ? e->aggregate
                    : !strcmp(key, "time_unit") ? e->unit : NULL;
        size_t cap = dst == e->name || dst == e->run_name ? 512 : dst == e->unit ? 8 : 32;
        if (dst && *s->p == '"') {
            if (!read_string(s, dst, cap))
                return false;
        } else if (!strcmp(key, "real_time")) {
            char *end;
            e->real_time = strtod(s->p, &end);
            if (end == s->p)
                return false;
            e->has_time = true;
            s->p = end;
        } else if (!skip_value(s, 1)) {
            return false;
        }
    } while (eat(s, ','));
    return eat(s, '}');
}

static double unit_to_ns(const char *unit)
{
    return !strcmp(unit, "us") ? 1e3 : !strcmp(unit, "ms") ? 1e6 : !strcmp(unit, "s") ? 1e9 : 1.0;
}

int zc_run_load_gbench_json(const char *path, const char *text, struct zc_run *run, char *err,
                            size_t errlen)
{
    struct scanner s = {text};
    if (!eat(&s, '{'))
        goto malformed;
    do {
        char key[64];
        if (!read_string(&s, key, sizeof key) || !eat(&s, ':'))
            goto malformed;
        if (strcmp(key, "benchmarks") != 0) {
            if (!skip_value(&s, 1))
                goto malformed;
            continue;
        }
        if (!eat(&s, '['))
            goto malformed;
        if (eat(&s, ']'))
            continue;
        do {
            struct entry e;
            if (!read_entry(&s, &e))
                goto malformed;
            const char *name = e.run_name[0] ? e.run_name : e.name;
            if (!e.has_time || !name[0])
                continue;
            double ns = e.real_time * unit_to_ns(e.unit);
            bool aggregate = strcmp(e.run_type, "aggregate") == 0;
            if (aggregate && strcmp(e.aggregate, "median") != 0)
                continue;
            struct zc_case *c = (struct zc_case *)zc_run_find(run, name);
            if (!c && !(c = zc_run_add(run, name)))
                goto oom;
            if (aggregate)
                c->latency_ns = ns; /* Google Benchmark's own median wins */
            else if (zc_case_add_sample(c, ns) != 0)
                goto oom;
        } while (eat(&s, ','));
        if (!eat(&s, ']'))
            goto malformed;
    } while (eat(&s, ','));
    if (!eat(&s, '}'))
        goto malformed;
    for (size_t i = 0; i < run->n; i++)
        if (run->cases[i].latency_ns == 0)
            run->cases[i].latency_ns = zc_median(run->cases[i].samples, run->cases[i].n_samples);
    return 0;
malformed:
    snprintf(err, errlen, "'%s': malformed Google Benchmark JSON near byte %ld", path,
             (long)(s.p - text));
    return -1;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

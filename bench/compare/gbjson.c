/* Google Benchmark's JSON (--benchmark_format=json, --benchmark_out,
 * zcbench --gbench-json): the benchmarks[] entries (flat objects); anything
 * else is skipped structurally. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"
#include "compare/json.h"
#include "compare/stats.h"

struct entry {
    char name[512], run_name[512], run_type[32], aggregate[32], unit[8];
    double real_time;
    bool has_time;
};

static bool read_entry(struct zc_json *s, struct entry *e)
{
    memset(e, 0, sizeof *e);
    strcpy(e->unit, "ns");
    if (!zc_json_eat(s, '{'))
        return false;
    if (zc_json_eat(s, '}'))
        return true;
    do {
        char key[64];
        if (!zc_json_string(s, key, sizeof key) || !zc_json_eat(s, ':'))
            return false;
        zc_json_skip_ws(s);
        char *dst = !strcmp(key, "name") ? e->name
                    : !strcmp(key, "run_name") ? e->run_name
                    : !strcmp(key, "run_type") ? e->run_type
                    : !strcmp(key, "aggregate_name") ? e->aggregate
                    : !strcmp(key, "time_unit") ? e->unit : NULL;
        size_t cap = dst == e->name || dst == e->run_name ? 512 : dst == e->unit ? 8 : 32;
        if (dst && *s->p == '"') {
            if (!zc_json_string(s, dst, cap))
                return false;
        } else if (!strcmp(key, "real_time")) {
            char *end;
            e->real_time = strtod(s->p, &end);
            if (end == s->p)
                return false;
            e->has_time = true;
            s->p = end;
        } else if (!zc_json_skip(s, 1)) {
            return false;
        }
    } while (zc_json_eat(s, ','));
    return zc_json_eat(s, '}');
}

/* Google Benchmark's time units; 0 for any other. */
static double unit_to_ns(const char *unit)
{
    return !strcmp(unit, "ns") ? 1.0 : !strcmp(unit, "us") ? 1e3 : !strcmp(unit, "ms") ? 1e6
           : !strcmp(unit, "s") ? 1e9 : 0;
}

int zc_run_load_gbench_json(const char *path, const char *text, struct zc_run *run, char *err,
                            size_t errlen)
{
    struct zc_json s = {text};
    if (!zc_json_eat(&s, '{'))
        goto malformed;
    do {
        char key[64];
        if (!zc_json_string(&s, key, sizeof key) || !zc_json_eat(&s, ':'))
            goto malformed;
        if (strcmp(key, "benchmarks") != 0) {
            if (!zc_json_skip(&s, 1))
                goto malformed;
            continue;
        }
        if (!zc_json_eat(&s, '['))
            goto malformed;
        if (zc_json_eat(&s, ']'))
            continue;
        do {
            struct entry e;
            if (!read_entry(&s, &e))
                goto malformed;
            const char *name = e.run_name[0] ? e.run_name : e.name;
            if (!e.has_time || !name[0])
                continue;
            double ns = e.real_time * unit_to_ns(e.unit);
            if (!(ns > 0) || !isfinite(ns)) {
                snprintf(err, errlen, "'%s': benchmark %s: bad real_time %g %s (allowed: a finite time > 0 "
                         "in ns, us, ms or s)", path, name, e.real_time, e.unit);
                return -1;
            }
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
        } while (zc_json_eat(&s, ','));
        if (!zc_json_eat(&s, ']'))
            goto malformed;
    } while (zc_json_eat(&s, ','));
    if (!zc_json_eat(&s, '}'))
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

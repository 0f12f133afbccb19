/* `zcbench compare --paired FILE`: the gate's A/B of one run. FILE holds
 * rounds of the base and the new build measured back to back on the same
 * host (bench/gate/gate_run.c); per case, the ratio new/base is estimated
 * from the rounds' log ratios (Hodges-Lehmann) with its signed-rank
 * interval, and a case regresses only when the whole interval lies above
 * 1 + threshold. */
#include "compare/paired.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"
#include "compare/csvread.h"
#include "compare/stats.h"

struct pair_case {
    char *name;
    double *base, *next; /* ns per pass, one per round */
    size_t n;
};

struct pairs {
    const char *path;
    struct pair_case *cases;
    size_t n;
};

static struct pair_case *find_or_add(struct pairs *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cases[i].name, name) == 0)
            return &p->cases[i];
    struct pair_case *grown = realloc(p->cases, (p->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    p->cases = grown;
    struct pair_case *c = &p->cases[p->n];
    memset(c, 0, sizeof *c);
    if (!(c->name = strdup(name)))
        return NULL;
    p->n++;
    return c;
}

enum { P_CASE, P_BASE, P_NEW, P_COUNT };

static int add_round(const struct zc_csv_row *row, const int *cols, void *ctx, char *err,
                     size_t errlen)
{
    struct pairs *p = ctx;
    const char *name = row->fields[cols[P_CASE]];
    double b, n;
    const char *bad = !zc_csv_positive(row->fields[cols[P_BASE]], &b)  ? "base_ns"
                      : !zc_csv_positive(row->fields[cols[P_NEW]], &n) ? "new_ns"
                                                                : NULL;
    if (bad) {
        snprintf(err, errlen, "%s: case %s: bad %s '%s' (allowed: a number > 0)", p->path, name, bad,
                 row->fields[cols[bad[0] == 'b' ? P_BASE : P_NEW]]);
        return -1;
    }
    struct pair_case *c = find_or_add(p, name);
    double *gb = c ? realloc(c->base, (c->n + 1) * sizeof *gb) : NULL;
    if (gb)
        c->base = gb;
    double *gn = gb ? realloc(c->next, (c->n + 1) * sizeof *gn) : NULL;
    if (!gn) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->next = gn;
    c->base[c->n] = b;
    c->next[c->n++] = n;
    return 0;
}

static void free_pairs(struct pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->cases[i].name);
        free(p->cases[i].base);
        free(p->cases[i].next);
    }
    free(p->cases);
}

/* 1 regressed, 0 not, -1 out of memory. */
static int judge(const struct pair_case *c, const struct zc_paired_opts *o)
{
    double *logs = malloc(c->n * sizeof *logs);
    if (!logs)
        return -1;
    for (size_t i = 0; i < c->n; i++)
        logs[i] = log(c->next[i] / c->base[i]);
    struct zc_shift s;
    int rc = zc_hodges_lehmann(logs, c->n, o->confidence, &s);
    free(logs);
    if (rc)
        return -1;
    double ratio = exp(s.estimate), lo = exp(s.lo), hi = exp(s.hi);
    bool regressed = lo > 1 + o->threshold;
    if (regressed || !o->quiet) {
        const char *verdict = regressed                  ? "REGRESSION"
                              : isinf(s.lo)              ? "ok (too few rounds for an interval)"
                              : ratio > 1 + o->threshold ? "ok (not significant)"
                                                         : "ok";
        printf("%-56s %12.6g %12.6g %8.4f [%.4f, %.4f]  %s\n", c->name, zc_median(c->base, c->n),
               zc_median(c->next, c->n), ratio, lo, hi, verdict);
    }
    return regressed;
}

int zc_compare_paired(const char *path, const struct zc_paired_opts *o)
{
    char err[512];
    char *text = zc_read_text(path, err, sizeof err);
    if (!text) {
        fprintf(stderr, "zcbench compare: %s\n", err);
        return 2;
    }
    static const char *const names[P_COUNT] = {"case", "base_ns", "new_ns"};
    struct pairs p = {.path = path};
    int rc = zc_csv_for_each(path, text, "a gate pairs CSV (case,round,first,base_ns,new_ns)", "case",
                             names, P_COUNT, P_COUNT, add_round, &p, err, sizeof err);
    free(text);
    if (rc == 0 && p.n == 0) {
        snprintf(err, sizeof err, "'%s' holds no rounds", path);
        rc = -1;
    }
    if (rc) {
        fprintf(stderr, "zcbench compare: %s\n", err);
        free_pairs(&p);
        return 2;
    }
    if (!o->quiet)
        printf("%-56s %12s %12s %8s %-18s  %s\n", "case", "base ns", "new ns", "new/base",
               "interval", "verdict");
    size_t regressions = 0;
    int status = 0;
    for (size_t i = 0; i < p.n && status == 0; i++) {
        int r = judge(&p.cases[i], o);
        if (r < 0) {
            fprintf(stderr, "zcbench compare: out of memory\n");
            status = 2;
        }
        regressions += r > 0;
    }
    if (status == 0) {
        printf("compare: %zu cases, %zu regressions (a case fails when the %.0f%% interval of "
               "new/base lies above %.2f)\n",
               p.n, regressions, 100 * o->confidence, 1 + o->threshold);
        status = regressions ? 1 : 0;
    }
    free_pairs(&p);
    return status;
}

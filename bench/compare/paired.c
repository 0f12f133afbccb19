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

/* The rounds as two runs: case i of each holds its per-round ns per pass
 * as samples, in round order. */
struct pairs {
    const char *path;
    struct zc_run base, next;
};

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
    struct zc_case *cb = (struct zc_case *)zc_run_find(&p->base, name);
    struct zc_case *cn = (struct zc_case *)zc_run_find(&p->next, name);
    if (!cb && (!(cb = zc_run_add(&p->base, name)) || !(cn = zc_run_add(&p->next, name)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (zc_case_add_sample(cb, b) != 0 || zc_case_add_sample(cn, n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* 1 regressed, 0 not, -1 out of memory. */
static int judge(const struct zc_case *b, const struct zc_case *n, const struct zc_paired_opts *o)
{
    double *logs = malloc(b->n_samples * sizeof *logs);
    if (!logs)
        return -1;
    for (size_t i = 0; i < b->n_samples; i++)
        logs[i] = log(n->samples[i] / b->samples[i]);
    struct zc_shift s;
    int rc = zc_hodges_lehmann(logs, b->n_samples, o->confidence, &s);
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
        printf("%-56s %12.6g %12.6g %8.4f [%.4f, %.4f]  %s\n", b->key,
               zc_median(b->samples, b->n_samples), zc_median(n->samples, n->n_samples), ratio, lo, hi,
               verdict);
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
    if (rc == 0 && p.base.n == 0) {
        snprintf(err, sizeof err, "'%s' holds no rounds", path);
        rc = -1;
    }
    int status = 2;
    if (rc) {
        fprintf(stderr, "zcbench compare: %s\n", err);
        goto out;
    }
    if (!o->quiet)
        printf("%-56s %12s %12s %8s %-18s  %s\n", "case", "base ns", "new ns", "new/base",
               "interval", "verdict");
    size_t regressions = 0;
    for (size_t i = 0; i < p.base.n; i++) {
        int r = judge(&p.base.cases[i], &p.next.cases[i], o);
        if (r < 0) {
            fprintf(stderr, "zcbench compare: out of memory\n");
            goto out;
        }
        regressions += r > 0;
    }
    printf("compare: %zu cases, %zu regressions (a case fails when the %.0f%% interval of "
           "new/base lies above %.2f)\n",
           p.base.n, regressions, 100 * o->confidence, 1 + o->threshold);
    status = regressions ? 1 : 0;
out:
    zc_run_free(&p.base);
    zc_run_free(&p.next);
    return status;
}

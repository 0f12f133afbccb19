/* `zcbench compare [options] BASE NEW`: the regression gate. */
#include "compare/compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"
#include "compare/counts.h"
#include "compare/paired.h"
#include "compare/stats.h"

/* compare.py's rule: the U test needs this many repetitions a side. */
enum { MIN_SAMPLES_FOR_U_TEST = 9 };

/* Instruction counts are exact: a small rise is a real one. */
#define DEFAULT_COUNTS_THRESHOLD 0.02

struct gate {
    bool paired;      /* one file of A/B rounds instead of two runs */
    bool counts;      /* instruction counts instead of timings */
    bool threshold_set;
    double confidence; /* of the --paired interval */
    bool ratios;
    bool best;        /* --stat min: the fastest repetition instead of the median */
    double threshold; /* relative change that counts as a regression */
    double alpha;     /* U-test significance */
    bool cross_host;  /* call regressions between runs of different hosts */
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: zcbench compare [--ratios] [--stat median|min] [--threshold F] [--alpha A]\n"
            "                       [--cross-host] [--quiet] BASE NEW\n"
            "       zcbench compare --paired [--threshold F] [--confidence C] [--quiet] PAIRS\n"
            "       zcbench compare --counts [--threshold F] [--quiet] COMMITTED NEW [BASE]\n"
            "  BASE, NEW      zcbench results CSV (with FILE.samples.csv beside it when present)\n"
            "                 or Google Benchmark JSON\n"
            "  --threshold F  relative slowdown that fails, 0 < F < 10 (default 0.10)\n"
            "  --alpha A      Mann-Whitney U significance when both sides have >= %d samples,\n"
            "                 0 < A < 1 (default 0.05)\n"
            "  --ratios       compare each case's throughput relative to the read-ceiling\n"
            "                 reference (ref:read) of the same run: machine independent (CSV only)\n"
            "  --stat S       median (default) or min: the fastest repetition of the samples\n"
            "                 (least disturbed by other load; cases without samples use the median)\n"
            "  --cross-host   call regressions even when BASE and NEW come from different hosts\n"
            "                 (CPU model, ISA of cpu:best or TSC frequency differ: from the CSV and\n"
            "                 the RUN_ID.meta.json beside it); without it they are only listed\n"
            "  --paired       PAIRS holds rounds of a base and a new build measured back to back\n"
            "                 (case,round,first,base_ns,new_ns, from scripts/perf-gate.sh): a case\n"
            "                 fails when the interval of new/base lies above 1 + F\n"
            "  --confidence C of that interval (Hodges-Lehmann, signed rank), 0 < C < 1 (default 0.95)\n"
            "  --counts       instruction counts per page (toolchain,case,pages,instructions) of NEW\n"
            "                 against COMMITTED rows of the same toolchain, else against BASE (the\n"
            "                 base build counted in the same run); a rise above F fails (default %.2f)\n"
            "  --quiet        print only regressions\n"
            "exit status: 0 no regression, 1 regression (cases named), 2 bad input\n",
            MIN_SAMPLES_FOR_U_TEST, DEFAULT_COUNTS_THRESHOLD);
}

static int parse_fraction(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : NAN;
    if (!text || errno || *end || end == text || !(v > lo && v < hi)) {
        fprintf(stderr, "zcbench compare: bad value '%s' for %s (allowed: a number between %g and %g)\n",
                text ? text : "(missing)", opt, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static double latency(const struct zc_case *c, bool best)
{
    if (!best || c->n_samples == 0)
        return c->latency_ns;
    double m = c->samples[0];
    for (size_t i = 1; i < c->n_samples; i++)
        m = c->samples[i] < m ? c->samples[i] : m;
    return m;
}

/* Higher is better for ratios, lower for latencies; change > 0 = slower.
 * A case and its reference check the same bytes, so the throughput ratio
 * is the inverse latency ratio. */
static bool metric(const struct gate *g, const struct zc_run *run, const struct zc_case *c, double *out)
{
    if (!g->ratios) {
        *out = latency(c, g->best);
        return true;
    }
    const struct zc_case *ref = c->ref_key ? zc_run_find(run, c->ref_key) : NULL;
    if (!ref || !(ref->throughput > 0) || !(c->throughput > 0))
        return false;
    *out = g->best ? latency(ref, true) / latency(c, true) : c->throughput / ref->throughput;
    return true;
}

/* Whether slowdowns count: not between different hosts unless asked. */
static bool same_host_or_asked(const struct gate *g, const struct zc_run *base, const struct zc_run *next)
{
    char why[512];
    if (zc_host_differ(&base->host, &next->host, why, sizeof why)) {
        printf("compare: BASE and NEW come from different hosts (%s): %s\n", why,
               g->cross_host ? "gating anyway (--cross-host)"
                             : "slower cases are listed, not called regressions (--cross-host to gate)");
        return g->cross_host;
    }
    if (!g->quiet && (zc_host_incomplete(&base->host) || zc_host_incomplete(&next->host)))
        printf("compare: host metadata incomplete (CSV without tsc_hz or without its RUN_ID.meta.json, "
               "or JSON): whether both runs come from one host is not known\n");
    return true;
}

static int compare_runs(const struct gate *g, const struct zc_run *base, const struct zc_run *next)
{
    size_t compared = 0, regressions = 0, elsewhere = 0;
    bool gate_it = same_host_or_asked(g, base, next);
    if (!g->quiet)
        printf("%-70s %14s %14s %8s %8s  %s\n", "case", g->ratios ? "base ratio" : "base ns",
               g->ratios ? "new ratio" : "new ns", "change", "p", "verdict");
    for (size_t i = 0; i < base->n; i++) {
        const struct zc_case *b = &base->cases[i];
        const struct zc_case *n = zc_run_find(next, b->key);
        double mb, mn;
        if (!n) {
            if (!g->quiet)
                printf("%-70s only in BASE\n", b->key);
            continue;
        }
        if (g->ratios && !b->ref_key)
            continue; /* the reference rows themselves, and workloads without one */
        if (!metric(g, base, b, &mb) || !metric(g, next, n, &mn)) {
            if (!g->quiet)
                printf("%-70s no ref:read row to divide by: skipped\n", b->key);
            continue;
        }
        compared++;
        double slowdown = g->ratios ? mb / mn - 1 : mn / mb - 1;
        bool use_u = !g->ratios && b->n_samples >= MIN_SAMPLES_FOR_U_TEST &&
                     n->n_samples >= MIN_SAMPLES_FOR_U_TEST;
        double p = use_u ? zc_mann_whitney_p(b->samples, b->n_samples, n->samples, n->n_samples) : NAN;
        bool slower = slowdown > g->threshold && (!use_u || p < g->alpha);
        bool regressed = slower && gate_it;
        regressions += regressed;
        elsewhere += slower && !gate_it;
        if (slower || !g->quiet) {
            char ptext[16] = "-";
            if (use_u)
                snprintf(ptext, sizeof ptext, "%.4f", p);
            const char *verdict = regressed                  ? "REGRESSION"
                                  : slower                   ? "slower (other host: not gated)"
                                  : slowdown > g->threshold ? "ok (not significant)"
                                                            : "ok";
            printf("%-70s %14.6g %14.6g %+7.1f%% %8s  %s\n", b->key, mb, mn, 100 * slowdown, ptext,
                   verdict);
        }
    }
    for (size_t i = 0; i < next->n && !g->quiet; i++)
        if (!zc_run_find(base, next->cases[i].key))
            printf("%-70s only in NEW\n", next->cases[i].key);
    if (compared == 0) {
        fprintf(stderr, "zcbench compare: no case of '%s' can be compared with '%s'%s\n", base->path,
                next->path, g->ratios ? " (--ratios needs ref:read rows in both)" : "");
        return 2;
    }
    printf("compare: %zu cases compared, %zu regressions (threshold %.0f%%, %s%s)", compared,
           regressions, 100 * g->threshold, g->best ? "fastest repetition" : "medians",
           g->ratios ? ", ratios to ref:read" : "");
    if (!gate_it)
        printf(", %zu slower on the other host", elsewhere);
    printf("\n");
    return regressions ? 1 : 0;
}

int zc_compare_main(int argc, char **argv)
{
    struct gate g = {.paired = false, .counts = false, .threshold_set = false, .confidence = 0.95,
                     .ratios = false, .best = false, .threshold = 0.10, .alpha = 0.05,
                     .cross_host = false, .quiet = false};
    const char *paths[3], *seen[16];
    int n_paths = 0, n_seen = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* as the driver: a second value would silently win */
        for (int k = 0; a[0] == '-' && a[1] && k < n_seen; k++)
            if (!strcmp(seen[k], a)) {
                fprintf(stderr, "zcbench compare: %s given twice (allowed: once)\n", a);
                return 2;
            }
        if (a[0] == '-' && a[1] && n_seen < (int)(sizeof seen / sizeof seen[0]))
            seen[n_seen++] = a;
        if (!strcmp(a, "--ratios")) {
            g.ratios = true;
        } else if (!strcmp(a, "--paired")) {
            g.paired = true;
        } else if (!strcmp(a, "--counts")) {
            g.counts = true;
        } else if (!strcmp(a, "--confidence")) {
            if (parse_fraction(a, i + 1 < argc ? argv[++i] : NULL, 0, 1, &g.confidence))
                return 2;
        } else if (!strcmp(a, "--stat")) {
            const char *v = i + 1 < argc ? argv[++i] : "(missing)";
            if (strcmp(v, "median") != 0 && strcmp(v, "min") != 0) {
                fprintf(stderr, "zcbench compare: bad value '%s' for --stat (allowed: median, min)\n", v);
                return 2;
            }
            g.best = !strcmp(v, "min");
        } else if (!strcmp(a, "--quiet")) {
            g.quiet = true;
        } else if (!strcmp(a, "--cross-host")) {
            g.cross_host = true;
        } else if (!strcmp(a, "--threshold")) {
            if (parse_fraction(a, i + 1 < argc ? argv[++i] : NULL, 0, 10, &g.threshold))
                return 2;
            g.threshold_set = true;
        } else if (!strcmp(a, "--alpha")) {
            if (parse_fraction(a, i + 1 < argc ? argv[++i] : NULL, 0, 1, &g.alpha))
                return 2;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "zcbench compare: unknown option '%s' (allowed: --ratios, --stat median|min, --threshold F, --alpha A, --cross-host, --paired, --confidence C, --counts, --quiet, --help)\n", a);
            return 2;
        } else if (n_paths < 3) {
            paths[n_paths++] = a;
        } else {
            fprintf(stderr, "zcbench compare: unexpected argument '%s' (too many files)\n", a);
            return 2;
        }
    }
    if (g.paired + g.counts + (g.ratios || g.best) > 1) {
        fprintf(stderr, "zcbench compare: --paired, --counts and --ratios/--stat are separate modes: choose one\n");
        return 2;
    }
    if (g.counts) {
        if (n_paths < 2) {
            fprintf(stderr, "zcbench compare: --counts takes COMMITTED NEW [BASE]\n");
            return 2;
        }
        return zc_compare_counts(paths[0], paths[1], n_paths == 3 ? paths[2] : NULL,
                                 g.threshold_set ? g.threshold : DEFAULT_COUNTS_THRESHOLD, g.quiet);
    }
    if (g.paired) {
        if (n_paths != 1) {
            fprintf(stderr, "zcbench compare: --paired takes one PAIRS file\n");
            return 2;
        }
        struct zc_paired_opts o = {g.threshold, g.confidence, g.quiet};
        return zc_compare_paired(paths[0], &o);
    }
    if (n_paths == 3) {
        fprintf(stderr, "zcbench compare: unexpected argument '%s' (give exactly BASE and NEW)\n", paths[2]);
        return 2;
    }
    if (n_paths != 2) {
        fprintf(stderr, "zcbench compare: missing %s (give exactly BASE and NEW; see zcbench compare --help)\n",
                n_paths ? "NEW" : "BASE and NEW");
        return 2;
    }
    struct zc_run base, next;
    char err[512];
    if (zc_run_load(paths[0], &base, err, sizeof err) != 0) {
        fprintf(stderr, "zcbench compare: %s\n", err);
        return 2;
    }
    if (zc_run_load(paths[1], &next, err, sizeof err) != 0) {
        fprintf(stderr, "zcbench compare: %s\n", err);
        zc_run_free(&base);
        return 2;
    }
    int status = compare_runs(&g, &base, &next);
    zc_run_free(&base);
    zc_run_free(&next);
    return status;
}

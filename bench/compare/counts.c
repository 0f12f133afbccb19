/* `zcbench compare --counts COMMITTED NEW [BASE]`: exact instruction counts
 * per page. Counts depend on the compiler, the C library and the counting
 * tool, so a committed count only applies to the toolchain that made it;
 * other toolchains fall back to the base build counted in the same run. */
#include "compare/counts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"
#include "compare/csvread.h"

struct count {
    char *toolchain, *name;
    double per_page;
};

struct counts {
    const char *path;
    struct count *rows;
    size_t n;
};

enum { K_TOOLCHAIN, K_CASE, K_PAGES, K_INSNS, K_COUNT };

static int add_count(const struct zc_csv_row *row, const int *cols, void *ctx, char *err,
                     size_t errlen)
{
    struct counts *c = ctx;
    const char *pages_text = row->fields[cols[K_PAGES]], *insns_text = row->fields[cols[K_INSNS]];
    double pages, insns;
    const char *bad = !zc_csv_positive(pages_text, &pages) || pages < 1 ? "pages"
                      : !zc_csv_positive(insns_text, &insns)            ? "instructions"
                                                                        : NULL;
    if (bad) {
        snprintf(err, errlen, "%s: case %s: bad %s '%s' (allowed: a number > 0)", c->path,
                 row->fields[cols[K_CASE]], bad, bad[0] == 'p' ? pages_text : insns_text);
        return -1;
    }
    struct count *grown = realloc(c->rows, (c->n + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->rows = grown;
    struct count *k = &c->rows[c->n];
    k->toolchain = strdup(row->fields[cols[K_TOOLCHAIN]]);
    k->name = strdup(row->fields[cols[K_CASE]]);
    k->per_page = insns / pages;
    c->n++;
    if (!k->toolchain || !k->name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void free_counts(struct counts *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->rows[i].toolchain);
        free(c->rows[i].name);
    }
    free(c->rows);
}

static int load_counts(const char *path, struct counts *c)
{
    static const char *const names[K_COUNT] = {"toolchain", "case", "pages", "instructions"};
    char err[512];
    memset(c, 0, sizeof *c);
    c->path = path;
    char *text = zc_read_text(path, err, sizeof err);
    int rc = text ? zc_csv_for_each(path, text, "an instruction counts CSV (toolchain,case,pages,instructions)",
                                    "toolchain", names, K_COUNT, K_COUNT, add_count, c, err, sizeof err)
                  : -1;
    free(text);
    if (rc) {
        fprintf(stderr, "zcbench compare: %s\n", err);
        free_counts(c);
    }
    return rc;
}

/* toolchain NULL: any. */
static const struct count *find(const struct counts *c, const char *toolchain, const char *name)
{
    for (size_t i = 0; c && i < c->n; i++)
        if ((!toolchain || strcmp(c->rows[i].toolchain, toolchain) == 0) &&
            strcmp(c->rows[i].name, name) == 0)
            return &c->rows[i];
    return NULL;
}

static bool has_toolchain(const struct counts *c, const char *toolchain)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->rows[i].toolchain, toolchain) == 0)
            return true;
    return false;
}

static int compare_counts(const struct counts *committed, const struct counts *next,
                          const struct counts *base, double threshold, bool quiet)
{
    const char *toolchain = next->rows[0].toolchain;
    for (size_t i = 1; i < next->n; i++)
        if (strcmp(next->rows[i].toolchain, toolchain) != 0) {
            fprintf(stderr, "zcbench compare: %s mixes toolchains ('%s', '%s'): one run has one\n",
                    next->path, toolchain, next->rows[i].toolchain);
            return 2;
        }
    printf("counts: toolchain '%s'\n", toolchain);
    if (!has_toolchain(committed, toolchain))
        printf("counts: %s holds no counts of this toolchain: %s\n", committed->path,
               base ? "comparing with the base build counted in this run" : "no base counted, not gated");
    if (!quiet)
        printf("%-48s %-9s %14s %14s %8s  %s\n", "case", "against", "ref insns/pg", "new insns/pg",
               "change", "verdict");
    size_t compared = 0, regressions = 0;
    for (size_t i = 0; i < next->n; i++) {
        const struct count *n = &next->rows[i];
        const struct count *ref = find(committed, toolchain, n->name);
        const char *source = "committed";
        if (!ref && (ref = find(base, NULL, n->name)))
            source = "base";
        if (!ref) {
            printf("%-48s no committed count for this toolchain and no base count: not gated\n", n->name);
            continue;
        }
        compared++;
        double change = n->per_page / ref->per_page - 1;
        bool regressed = change > threshold;
        regressions += regressed;
        if (regressed || !quiet)
            printf("%-48s %-9s %14.2f %14.2f %+7.2f%%  %s\n", n->name, source, ref->per_page,
                   n->per_page, 100 * change,
                   regressed                ? "REGRESSION"
                   : change < -threshold    ? "ok (fewer: update the committed counts)"
                                            : "ok");
    }
    for (size_t i = 0; i < committed->n && !quiet; i++) {
        const struct count *c = &committed->rows[i];
        if (strcmp(c->toolchain, toolchain) == 0 && !find(next, NULL, c->name))
            printf("%-48s committed but not counted here (this host or the counter cannot run it): skipped\n",
                   c->name);
    }
    printf("compare: %zu of %zu counts compared, %zu regressions (threshold +%.1f%% instructions per page)\n",
           compared, next->n, regressions, 100 * threshold);
    return regressions ? 1 : 0;
}

int zc_compare_counts(const char *committed_path, const char *new_path, const char *base_path,
                      double threshold, bool quiet)
{
    struct counts committed, next, base;
    if (load_counts(committed_path, &committed) != 0)
        return 2;
    if (load_counts(new_path, &next) != 0) {
        free_counts(&committed);
        return 2;
    }
    int status = 2;
    if (base_path && load_counts(base_path, &base) != 0)
        goto out;
    if (next.n == 0)
        fprintf(stderr, "zcbench compare: '%s' holds no counts\n", new_path);
    else
        status = compare_counts(&committed, &next, base_path ? &base : NULL, threshold, quiet);
    if (base_path)
        free_counts(&base);
out:
    free_counts(&committed);
    free_counts(&next);
    return status;
}

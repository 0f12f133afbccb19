#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/stats.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double zc_median(const double *v, size_t n)
{
    if (n == 0)
        return NAN;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NAN;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

struct ranked {
    double value;
    int from_a;
};

static int cmp_ranked(const void *a, const void *b)
{
    return cmp_double(&((const struct ranked *)a)->value, &((const struct ranked *)b)->value);
}

double zc_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    size_t n = na + nb;
    if (na == 0 || nb == 0)
        return 1.0;
    struct ranked *all = malloc(n * sizeof *all);
    if (!all)
        return 1.0;
    for (size_t i = 0; i < na; i++)
        all[i] = (struct ranked){a[i], 1};
    for (size_t i = 0; i < nb; i++)
        all[na + i] = (struct ranked){b[i], 0};
    qsort(all, n, sizeof *all, cmp_ranked);

    /* Ranks with ties averaged; tie term sum(t^3 - t) for the variance. */
    double rank_sum_a = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && all[j].value == all[i].value)
            j++;
        double avg_rank = (double)(i + 1 + j) / 2.0;
        double t = (double)(j - i);
        tie_term += t * t * t - t;
        for (size_t k = i; k < j; k++)
            if (all[k].from_a)
                rank_sum_a += avg_rank;
        i = j;
    }
    free(all);

    double n1 = (double)na, n2 = (double)nb, nt = (double)n;
    double u1 = rank_sum_a - n1 * (n1 + 1) / 2;
    double mu = n1 * n2 / 2;
    double sigma2 = n1 * n2 / 12 * ((nt + 1) - tie_term / (nt * (nt - 1)));
    if (sigma2 <= 0)
        return 1.0; /* every value equal: no evidence of a difference */
    double z = (fabs(u1 - mu) - 0.5) / sqrt(sigma2);
    if (z < 0)
        z = 0;
    double p = erfc(z / sqrt(2.0));
    return p > 1 ? 1 : p;
}

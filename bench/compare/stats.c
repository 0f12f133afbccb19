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

double zc_normal_quantile(double p)
{
    /* Bisection on the CDF: 100 halvings of [-40, 40] reach double precision. */
    double lo = -40, hi = 40;
    for (int i = 0; i < 100; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

/* ways[s] = number of subsets of {1..n} whose sum is s, s in [0, n(n+1)/2]:
 * each subset is one equally likely set of positive ranks. */
static double *signed_rank_ways(size_t n)
{
    size_t max = n * (n + 1) / 2;
    double *ways = calloc(max + 1, sizeof *ways);
    if (!ways)
        return NULL;
    ways[0] = 1;
    for (size_t r = 1; r <= n; r++)
        for (size_t s = r * (r + 1) / 2; s >= r; s--)
            ways[s] += ways[s - r];
    return ways;
}

double zc_signed_rank_cdf(size_t n, size_t q)
{
    double *ways = signed_rank_ways(n);
    if (!ways)
        return NAN;
    size_t max = n * (n + 1) / 2;
    double below = 0;
    for (size_t s = 0; s <= q && s <= max; s++)
        below += ways[s];
    free(ways);
    return ldexp(below, -(int)n);
}

size_t zc_signed_rank_quantile(size_t n, double p)
{
    size_t max = n * (n + 1) / 2;
    if (n > ZC_SIGNED_RANK_EXACT_MAX) {
        double mean = (double)max / 2;
        double sd = sqrt((double)n * (double)(n + 1) * (double)(2 * n + 1) / 24);
        double q = ceil(mean + sd * zc_normal_quantile(p) - 0.5);
        return q < 0 ? 0 : (size_t)q;
    }
    double *ways = signed_rank_ways(n);
    if (!ways)
        return 0;
    double need = ldexp(p, (int)n), below = 0;
    size_t q = 0;
    for (; q < max; q++) {
        below += ways[q];
        if (below >= need)
            break;
    }
    free(ways);
    return q;
}

int zc_hodges_lehmann(const double *d, size_t n, double confidence, struct zc_shift *out)
{
    if (n == 0 || !(confidence > 0 && confidence < 1))
        return -1;
    size_t m = n * (n + 1) / 2;
    double *walsh = malloc(m * sizeof *walsh);
    if (!walsh)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++)
            walsh[k++] = (d[i] + d[j]) / 2;
    qsort(walsh, m, sizeof *walsh, cmp_double);
    out->estimate = m % 2 ? walsh[m / 2] : (walsh[m / 2 - 1] + walsh[m / 2]) / 2;
    /* The q-th smallest and q-th largest Walsh averages bound the interval;
     * q = 0 means even the extremes miss the confidence. */
    size_t q = zc_signed_rank_quantile(n, (1 - confidence) / 2);
    out->lo = q == 0 ? -INFINITY : walsh[q - 1];
    out->hi = q == 0 ? INFINITY : walsh[m - q];
    free(walsh);
    return 0;
}

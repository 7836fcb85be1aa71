/* bench_stats — see bench_stats.h. */
#include "harness/bench_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bstat_add(struct bstat *s, double v)
{
    if (s->n < BSTAT_MAX_RUNS)
        s->v[s->n++] = v;
}

/* A sorted copy of the runs, in out; returns the count. */
static int sorted(const struct bstat *s, double out[BSTAT_MAX_RUNS])
{
    memcpy(out, s->v, (size_t)s->n * sizeof out[0]);
    qsort(out, (size_t)s->n, sizeof out[0], cmp_d);
    return s->n;
}

double bstat_median(const struct bstat *s)
{
    double v[BSTAT_MAX_RUNS];
    int n = sorted(s, v);
    if (!n)
        return 0;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bstat_min(const struct bstat *s)
{
    double v[BSTAT_MAX_RUNS];
    return sorted(s, v) ? v[0] : 0;
}

double bstat_max(const struct bstat *s)
{
    double v[BSTAT_MAX_RUNS];
    int n = sorted(s, v);
    return n ? v[n - 1] : 0;
}

double bstat_quartile(const struct bstat *s, double q)
{
    double v[BSTAT_MAX_RUNS];
    return bstat_quantile(v, (size_t)sorted(s, v), q);
}

json_t *bstat_json(const struct bstat *s)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:i}", "median", bstat_median(s), "min", bstat_min(s), "max",
                     bstat_max(s), "iqr", bstat_quartile(s, 0.75) - bstat_quartile(s, 0.25), "runs",
                     s->n);
}

const char *bstat_str(const struct bstat *s, const char *fmt, char *buf, size_t len)
{
    char a[32], b[32], c[32];
    snprintf(a, sizeof a, fmt, bstat_median(s));
    snprintf(b, sizeof b, fmt, bstat_min(s));
    snprintf(c, sizeof c, fmt, bstat_max(s));
    snprintf(buf, len, "%s (%s..%s)", a, b, c);
    return buf;
}

double bstat_quantile(double *v, size_t n, double q)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

struct bstat_pct bstat_pct_of(double *v, size_t n)
{
    struct bstat_pct p = {bstat_quantile(v, n, 0.5), 0, 0};
    p.p99 = bstat_quantile(v, n, 0.99);
    p.max = bstat_quantile(v, n, 1.0);
    return p;
}

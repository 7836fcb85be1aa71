/* bench_stats — the statistics every `usbsim bench` reports, in one place.
 *
 * Contract: a figure measured once per run goes into a struct bstat (at most BSTAT_MAX_RUNS values;
 * later ones are ignored); it is reported as its median (mean of the two middle values for an even
 * count) with its spread over the runs: min, max and the interquartile range. Quantiles of a
 * sample set (latencies) are nearest-rank on a sorted copy. Nothing here allocates except
 * bstat_json (a jansson object the caller owns). All values are plain doubles in the unit the
 * caller chose.
 * Prefix: bstat_.
 */
#ifndef USBSIM_HARNESS_BENCH_STATS_H
#define USBSIM_HARNESS_BENCH_STATS_H

#include <jansson.h>
#include <stddef.h>

#define BSTAT_MAX_RUNS 64

struct bstat {
    double v[BSTAT_MAX_RUNS];
    int n;
};

/* p50, p99 and max of one sample set. */
struct bstat_pct {
    double p50, p99, max;
};

void bstat_add(struct bstat *s, double v);
double bstat_median(const struct bstat *s);
double bstat_min(const struct bstat *s);
double bstat_max(const struct bstat *s);
/* Quartile q1 (q = 0.25) or q3 (0.75) of the runs, nearest rank; 0 for an empty series. */
double bstat_quartile(const struct bstat *s, double q);
/* {"median":M,"min":A,"max":B,"iqr":Q3-Q1,"runs":N}. */
json_t *bstat_json(const struct bstat *s);
/* "M (A..B)": median, min and max, each with printf format fmt, into buf; returns buf. */
const char *bstat_str(const struct bstat *s, const char *fmt, char *buf, size_t len);

/* Nearest-rank quantile q in [0,1] of v[0..n); sorts v in place. 0 when n == 0. */
double bstat_quantile(double *v, size_t n, double q);
/* p50/p99/max of v[0..n) (sorted in place). */
struct bstat_pct bstat_pct_of(double *v, size_t n);

#endif

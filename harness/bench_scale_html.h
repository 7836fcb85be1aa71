/* bench_scale_html — the page of `usbsim bench scale --html FILE`: the points as a table and three
 * SVG charts (harness/svg.h) against the rate on a log scale: CPU per packet of each process,
 * latency p50/p99, the device's period error p50/p99 (log scale). The 112-byte points are joined
 * by lines; the 1 KiB bulk point is a separate marker; a point not sustained is a red row.
 * Self-contained: no script, no network.
 * Prefix: bench_scale_.
 */
#ifndef USBSIM_HARNESS_BENCH_SCALE_HTML_H
#define USBSIM_HARNESS_BENCH_SCALE_HTML_H

#include "harness/bench_run.h"

#define BENCH_SCALE_MAX_RUNS 15

/* One measured point of `bench scale`: its runs, and their medians. */
struct bench_scale_point {
    double rate;        /* target, packets/s */
    uint32_t bytes;
    int bulk, ramp, ran;
    int sustained;      /* more than half of the runs sustained the rate (bench_scale.h) */
    int runs, runs_sustained, runs_lost; /* runs_lost: runs that lost a packet or failed */
    struct brun_fig f;      /* the median of each figure over the runs */
    struct brun_fig lo, hi; /* the min and the max of each figure over the runs */
    struct brun_fig run[BENCH_SCALE_MAX_RUNS];
    int run_sustained[BENCH_SCALE_MAX_RUNS];
};

/* Writes the page: the n points (fixed, then the ramp) and the highest rate sustained.
 * 0, or -1 with errno. */
int bench_scale_html(const char *path, const struct bench_scale_point *p, int n, double max_rate);

#endif

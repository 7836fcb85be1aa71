/* html_fig — the figures the HTML page draws, computed from a run's records, its verdict and its
 * scenario. Pure functions: no output, nothing kept between calls.
 *
 * Contract:
 *  - Page time: every x is scenario milliseconds from the device start (the frame's t0: the
 *    run's start_ns, or the earliest due time in the device log when that is 0). Real times
 *    are converted with the scenario's time scale x (scenario = real * x); event times of the
 *    scenario as run (already divided by x) are multiplied back. The frame's end_ms is the
 *    right end of every time axis: the later of the last receive and the scenario's duration.
 *  - Buckets: a time series is reduced to HTML_MAX_BUCKETS equal buckets over [0, end_ms]
 *    (times outside go to the first or last), each keeping its minimum, maximum and count.
 *  - Losses are the verifier's (vfy_result.lost); a result without them (n_lost 0, e.g. read
 *    back from JSON) has no per-packet losses to show. A ring loss with no ring-drop row naming
 *    its seq was evicted from the ring (drop-oldest): it was in the ring from its produce time
 *    to the eviction, the evictions paired with those packets oldest first.
 *  - Times of any value never overflow (differences saturate: vfy_sub_ns); a negative
 *    latency (the verifier's integrity failure) is not drawn.
 *  - Functions returning int give 0, or -1 when out of memory.
 * Prefix: hfig_.
 */
#ifndef USBSIM_HARNESS_HTML_FIG_H
#define USBSIM_HARNESS_HTML_FIG_H

#include <stddef.h>
#include <stdint.h>

#include "harness/html.h"
#include "harness/records.h"
#include "harness/verify.h"
#include "sim/scenario.h"

#define HFIG_NB HTML_MAX_BUCKETS
#define HFIG_HIST_PER_DECADE 8 /* inter-arrival histogram: log bins per decade */
#define HFIG_HIST_LO (-3.0)    /* its first bin's upper edge: 1 µs, in log10(ms) */

struct hfig_frame {
    double x;      /* time scale: scenario ns = real ns * x */
    int64_t t0;    /* real ns of the device start */
    double end_ms; /* right end of every time axis, > 0 */
};

struct hfig_buckets {
    double lo[HFIG_NB], hi[HFIG_NB];
    uint64_t n[HFIG_NB];
};

/* A device or consumer event of the scenario, in page time. */
struct hfig_band {
    double a_ms, b_ms; /* b_ms == a_ms for a point event (burst, corrupt) */
    int point;
    int device;        /* 0: a consumer stall */
    const char *cls;   /* "ev-hold", "ev-drop", "ev-halt", "ev-disc", "ev-burst", "ev-corrupt",
                          "ev-cons" */
    const char *what;  /* the event's name; "consumer stall" */
};
#define HFIG_MAX_BANDS (2 * SCN_MAX_EVENTS)

/* Inter-arrival histogram at the application: bin 0 below 1 µs, bin k >= 1 from
 * hfig_hist_edge(k - 1) to hfig_hist_edge(k); the last bin also takes what is above. */
struct hfig_hist {
    int nb;
    double hi_log;  /* log10 of the last bin's upper edge, ms (>= 1) */
    uint64_t top;   /* the largest count, >= 1 */
    uint64_t *cnt;  /* nb counts, owned */
};

void hfig_frame(struct hfig_frame *fr, const struct scn_scenario *sc, const struct rec_run *run);
double hfig_ms(const struct hfig_frame *fr, int64_t real_ns);   /* a real time stamp */
double hfig_run_ms(const struct hfig_frame *fr, int64_t run_ns); /* an event time, as run */

int hfig_bucket_of(const struct hfig_frame *fr, double ms);
double hfig_bucket_ms(const struct hfig_frame *fr, int b); /* the bucket's middle */
void hfig_bk_reset(struct hfig_buckets *b);
void hfig_bk_add(const struct hfig_frame *fr, struct hfig_buckets *b, double ms, double v);

/* Ring occupancy: packets ingressed and not yet received (app rows), plus evicted packets;
 * capped at the ring's slots; each bucket with the level at its events, quiet buckets
 * carrying the level on. *peak: the highest level. */
int hfig_occupancy(const struct hfig_frame *fr, const struct scn_scenario *sc,
                   const struct rec_run *run, const struct vfy_result *res,
                   struct hfig_buckets *b, double *peak);
/* Packets lost at `place`, counted at their due time. */
void hfig_lost(const struct hfig_frame *fr, const struct rec_run *run,
               const struct vfy_result *res, enum vfy_place place, struct hfig_buckets *b);
/* Driver rows of status st, counted at their ingress time. */
void hfig_driver_rows(const struct hfig_frame *fr, const struct rec_run *run, enum rec_status st,
                      struct hfig_buckets *b);
/* Latency of one stage per app row, ms, at its produce time: stage 0 device->driver,
 * 1 driver->application. */
void hfig_latency(const struct hfig_frame *fr, const struct rec_run *run, int stage,
                  struct hfig_buckets *b);
/* The largest device->application latency, ms, at least 0.01. */
double hfig_latency_max_ms(const struct hfig_frame *fr, const struct rec_run *run);

int hfig_interarrival(const struct hfig_frame *fr, const struct rec_run *run,
                      struct hfig_hist *h);
void hfig_hist_free(struct hfig_hist *h);
double hfig_hist_edge(int k);  /* upper edge of bin k, ms */
/* x on the histogram, in bins, of the time 10^log_ms ms (the upper edge of bin k: k + 1). */
double hfig_hist_pos(double log_ms);

/* The scenario's device events, then its consumer stalls; returns their number. */
size_t hfig_bands(const struct hfig_frame *fr, const struct scn_scenario *sc,
                  struct hfig_band out[HFIG_MAX_BANDS]);

/* 1, 2 or 5 times a power of ten, near range / n. */
double hfig_nice_step(double range, int n);
/* The top of a linear axis from 0 showing top with some headroom (a factor, e.g. 1.1): a
 * multiple of hfig_nice_step(top, 4). */
double hfig_axis_top(double top, double headroom);
/* The time axis' tick step, ms, and the unit of its labels (1 ms, or 1000 from 2 s on). */
double hfig_time_step(double end_ms, double *unit);
/* The top of the ring chart's y axis (hfig_axis_top, 8% headroom) over the peak, backlog_max,
 * and the ring's slots when they are within 4 times the rest. */
double hfig_ring_top(const struct scn_scenario *sc, double peak);
/* The top of the rate chart's y axis (10% headroom) over the busiest window and rate_hz.max. */
double hfig_rate_top(const struct scn_scenario *sc, const struct vfy_result *res);

/* "850 µs", "12.3 ms", "1.50 s" from ms. Returns buf. */
const char *hfig_dur(double ms, char *buf, size_t len);

#endif

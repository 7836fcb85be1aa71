/* bench_scale — `usbsim bench scale [--json] [--html FILE] [--seconds S] [--max-rate R] [--runs N]`:
 * the whole path end to end on the default backend (bench_run.h: device over USB/IP on loopback,
 * driver, application) from 100 to 10000 packets/s, and how far it goes past that.
 *
 * Contract: runs, S seconds each (default 3), N times each (default 3), the fixed points 100, 1000,
 * 4000, 8000 and 10000 packets/s of 112 bytes (interrupt endpoint) and 1 KiB bulk at 10000/s;
 * then the ramp: 112-byte bulk at 15000, 20000, 25000, 33333, 40000, 50000, 66666 and 100000
 * packets/s (periods 66 down to 10 us), stopping at the first rate the path does not sustain or
 * past --max-rate R (default 100000; 10000 or less: no ramp). Every point uses a device FIFO
 * of 10 ms of packets (at least 16) and a ring of 1024 slots, so a scheduling hiccup of a few ms
 * on a busy machine is absorbed as it would be by a real device's buffer. A run sustains its
 * rate when it passes (lost 0, in order, intact), every produced packet is delivered and the
 * rate at the application is within 1% of the target; a point is sustained when more than half
 * of its runs are, and counts as lost when more than half of its runs lost a packet or failed.
 * For each point, as the median and min..max of its runs: delivered/lost, each process's CPU in
 * us per packet and % of one core, latency p50/p99, the device's period error p50/p99; and how
 * many runs sustained it. Prints the highest rate the usbip backend sustains and where it stops;
 * the other backends are named with why they were not measured. --json: one object (each point's
 * figures are medians, its "spread" the min..max); --html FILE: a self-contained page with the
 * medians as SVG charts (bench_scale_html.h). Exit 0 when no fixed point counts as lost, 1
 * otherwise, 3 when a run cannot start. About three minutes with 3 runs.
 * Prefix: bench_scale_.
 */
#ifndef USBSIM_HARNESS_BENCH_SCALE_H
#define USBSIM_HARNESS_BENCH_SCALE_H

#include <stdio.h>

#include "harness/bench_scale_html.h"
#include "harness/cli.h"

enum bench_scale_opt { BENCH_SCALE_JSON, BENCH_SCALE_HTML, BENCH_SCALE_SECONDS, BENCH_SCALE_MAX_RATE,
                       BENCH_SCALE_RUNS, BENCH_SCALE_COUNT };
extern const struct cli_cmd bench_scale_cmd;
int bench_scale_main(struct cli_opts *o);
/* From p->run[0..p->runs) and p->run_sustained: the median (p->f), min (p->lo) and max (p->hi) of
 * every figure, runs_sustained, runs_lost, and the point's verdicts: sustained when more than half
 * of its runs sustained the rate, f.pass when more than half passed with no loss. p->f's produced,
 * delivered and lost are those of the run with the median loss (the lower median for an even
 * count), so that they add up. */
void bench_scale_merge(struct bench_scale_point *p);

#endif

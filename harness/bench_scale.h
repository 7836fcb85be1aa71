/* bench_scale — `usbsim bench scale [--json] [--html FILE] [--seconds S] [--max-rate R]`: the whole path end to
 * end on the default backend (bench_run.h: device over USB/IP on loopback, driver, application)
 * from 100 to 10000 packets/s, and how far it goes past that.
 *
 * Contract: runs, S seconds each (default 3), the fixed points 100, 1000, 4000, 8000 and 10000
 * packets/s of 112 bytes (interrupt endpoint) and 1 KiB bulk at 10000/s; then the ramp: 112-byte
 * bulk at 15000, 20000, 25000, 33333, 40000, 50000, 66666 and 100000 packets/s (periods 66 down
 * to 10 us), stopping at the first rate the path does not sustain or past --max-rate R (default
 * 100000; 10000 or less: no ramp). Every point uses a device FIFO
 * of 10 ms of packets (at least 16) and a ring of 1024 slots, so a scheduling hiccup of a few ms
 * on a busy machine is absorbed as it would be by a real device's buffer. A point is sustained
 * when the run passes (lost 0, in order, intact), every produced packet is delivered and the
 * rate at the application is within 1% of the target. For each point: delivered/lost, each
 * process's CPU in us per packet and % of one core, latency p50/p99, the device's period error
 * p50/p99. Prints the highest rate the usbip backend sustains and where it stops; the other
 * backends are named with why they were not measured. --json: one object; --html FILE: a
 * self-contained page with the figures as SVG charts (bench_scale_html.h). Exit 0 when every fixed
 * point lost nothing, 1 otherwise, 3 when a run cannot start. About a minute.
 * Prefix: bench_scale_.
 */
#ifndef USBSIM_HARNESS_BENCH_SCALE_H
#define USBSIM_HARNESS_BENCH_SCALE_H

#include <stdio.h>

#include "harness/bench_scale_html.h"
#include "harness/cli.h"

enum bench_scale_opt { BENCH_SCALE_JSON, BENCH_SCALE_HTML, BENCH_SCALE_SECONDS, BENCH_SCALE_MAX_RATE,
                       BENCH_SCALE_COUNT };
extern const struct cli_cmd bench_scale_cmd;
int bench_scale_main(struct cli_opts *o);

#endif

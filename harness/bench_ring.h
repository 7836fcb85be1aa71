/* bench_ring — `usbsim bench ring [--json] [--runs N]`: the transport measured between two
 * processes, side by side with its baselines in the same run.
 *
 * Contract: bench_ring_main() forks a consumer process per measurement, as in real use, and runs,
 * interleaved, N times each: our ring at saturation with the suppressed doorbell armed (and with
 * mode `always`), Concurrency Kit's ck_ring SPSC on the same 112-byte packets in the same kind of
 * shared memory (it has no doorbell: its consumer polls), and one SOCK_SEQPACKET message per
 * packet; then our ring at 100 packets/s (10 ms period, 1 s runs) in both doorbell modes, with the
 * consumer asleep between packets. It reports medians (ratios are medians of the per-run ratios)
 * and enqueue-to-dequeue latency at 100 packets/s. Text by default, one JSON object with --json.
 * Returns 0, 1 when a run lost or corrupted a packet, 2 on bad usage, 3 when the machine cannot
 * run it. Never asserts on timing; a few seconds to ~20 s of run time.
 * Prefix: bench_ring_.
 */
#ifndef USBSIM_HARNESS_BENCH_RING_H
#define USBSIM_HARNESS_BENCH_RING_H

#include "harness/cli.h"

/* Its own options, by index in bench_ring_cmd.opts; the declaration is a sub-command of bench. */
enum bench_ring_opt { BENCH_RING_JSON, BENCH_RING_RUNS, BENCH_RING_COUNT };
extern const struct cli_cmd bench_ring_cmd;
int bench_ring_main(struct cli_opts *o);

#endif

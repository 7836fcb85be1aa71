/* bench_ring — `usbsim bench ring [--json] [--runs N] [--packets N]`: the transport measured between
 * two processes, like for like against its anchors, each pair side by side in every run.
 *
 * Contract: bench_ring_main() runs N times each, interleaved, with a forked consumer per transfer
 * (bench_xfer.h; the anchors in bench_anchor.h): our ring at burst 32 (producer commits 32,
 * consumer takes up to 32, suppressed doorbell) and DPDK's rte_ring SP/SC at burst 32; the plain
 * 112-byte copy between the two caches (the limit); our ring one packet per commit and per
 * release, and ck_ring one packet per enqueue/dequeue; the ring with doorbell `always`; one
 * SOCK_SEQPACKET message per packet. Then at 100 packets/s, N runs of 200 packets: the ring's
 * enqueue-to-dequeue latency with the consumer asleep and, in the same seconds, a bare eventfd
 * woken the same way half a period after each packet (the floor, bench_floor.h); then the ring
 * with doorbell `always` (wake-ups per packet). Every figure
 * is the median over the runs with its spread (min, max, IQR); a ratio is the median of the
 * per-run ratios of a pair measured in the same run. The goals (ring >= 1.0x rte_ring at burst
 * 32, >= 1.2x ck_ring at batch 1, wake-up p99 <= 1.1x the floor, ns/packet <= 2x the copy) are
 * printed as holding or missed, never enforced. Text by default, one JSON object with --json.
 * Returns 0, 1 when a run lost or corrupted a packet, 2 on bad usage, 3 when the machine cannot
 * run it. About 20 s with the defaults.
 * Prefix: bench_ring_.
 */
#ifndef USBSIM_HARNESS_BENCH_RING_H
#define USBSIM_HARNESS_BENCH_RING_H

#include "harness/cli.h"

/* Its own options, by index in bench_ring_cmd.opts; the declaration is a sub-command of bench. */
enum bench_ring_opt { BENCH_RING_JSON, BENCH_RING_RUNS, BENCH_RING_PACKETS, BENCH_RING_COUNT };
extern const struct cli_cmd bench_ring_cmd;
int bench_ring_main(struct cli_opts *o);

#endif

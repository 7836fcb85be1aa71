/* bench_floor — the machine's own floors under the benches' latency figures, measured in the same
 * run as the figure they bound:
 *   bfloor_timer    how late a bare timed sleep (ppoll, 1 ns timer slack, as the device's loop
 *                   uses) wakes after its deadline, over n periods: the floor under the device's
 *                   period error in timer mode.
 *   bfloor_eventfd  how long a process blocked in read() on a bare eventfd takes to run after
 *                   another process writes it, woken n times once per period: the floor under any
 *                   doorbell's wake-up latency. The reader is a proc_start child (dies with us);
 *                   when it finds several wake-ups in one read (it was late by more than a
 *                   period), each counts as late as it was; a reader that does not end within a
 *                   second of the last wake-up is killed, never waited for.
 *   bfloor_wake_*   the same reader driven by the caller (one bfloor_wake_ring() per wake-up), so
 *                   the floor can be measured interleaved with the figure it bounds, in the same
 *                   seconds (bench_xfer rings it half a period before each of its packets).
 * They fill a struct bstat_pct in microseconds and return 0, or -1 when they cannot run.
 * Prefix: bfloor_.
 */
#ifndef USBSIM_HARNESS_BENCH_FLOOR_H
#define USBSIM_HARNESS_BENCH_FLOOR_H

#include <stdint.h>

#include "harness/bench_stats.h"

int bfloor_timer(int n, int64_t period_ns, struct bstat_pct *out);
int bfloor_eventfd(int n, int64_t period_ns, struct bstat_pct *out);

struct bfloor_wake;
/* Starts a reader for n wake-ups (1..4096); NULL when it cannot. */
struct bfloor_wake *bfloor_wake_start(int n);
/* Wakes the reader once, timestamped now. 0, or -1 (more than n, or the write failed). */
int bfloor_wake_ring(struct bfloor_wake *w);
/* Waits for the reader (it must have been rung n times), fills *out, frees w. 0 or -1. */
int bfloor_wake_finish(struct bfloor_wake *w, struct bstat_pct *out);

#endif

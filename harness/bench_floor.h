/* bench_floor — the machine's own floors under the benches' latency figures, measured in the same
 * run as the figure they bound:
 *   bfloor_timer    how late a bare timed sleep (ppoll, 1 ns timer slack, as the device's loop
 *                   uses) wakes after its deadline, over n periods: the floor under the device's
 *                   period error in timer mode.
 *   bfloor_eventfd  how long a process blocked in read() on a bare eventfd takes to run after
 *                   another process writes it, woken n times once per period: the floor under any
 *                   doorbell's wake-up latency. The reader is a proc_start child (dies with us).
 * Both fill a struct bstat_pct in microseconds and return 0, or -1 when they cannot run.
 * Prefix: bfloor_.
 */
#ifndef USBSIM_HARNESS_BENCH_FLOOR_H
#define USBSIM_HARNESS_BENCH_FLOOR_H

#include <stdint.h>

#include "harness/bench_stats.h"

int bfloor_timer(int n, int64_t period_ns, struct bstat_pct *out);
int bfloor_eventfd(int n, int64_t period_ns, struct bstat_pct *out);

#endif

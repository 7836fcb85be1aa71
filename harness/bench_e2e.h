/* bench_e2e — `usbsim bench e2e [--json] [--runs N] [--seconds S]`: the steady scenario end to end
 * at 100 packets/s on the default backend (three processes over USB/IP on loopback, bench_run.h)
 * in three modes side by side in the same invocation: the suppressed doorbell with the device's
 * default timing (device.timing: timer), the same with device.timing: precise (the device spins
 * the last stretch before each deadline, sim/deadline.h), and the one-wake-per-packet design
 * (doorbell: always) as the baseline. Runs alternate between the modes; every figure is the
 * median over the runs (with min..max for the period error p99 and the device's CPU):
 *   period_error_us  {p50,p99,max}   the device's produce time against its schedule
 *   latency_us       {p50,p99,max}   device produce -> application receive
 *   cpu_percent      {device,driver,app}  CPU time of each process / wall time of the run
 *   timer_floor_us   {p50,p99,max}   how late a bare timed sleep wakes on this machine, measured
 *                                   between the runs: the floor under the timer mode's period error
 * JSON: the timer mode at the top level (names as before), `precise` and `baseline` (always)
 * objects of the same shape, `ratio_period_p99_timer_vs_precise`.
 * Targets (printed with the figures, not enforced): period error p99 <= 100 us in timer mode,
 * <= 20 us precise, latency p99 <= 1 ms, the three processes together <= 2% of one core (timer).
 * Exit 0 when every run was judged and passed its scenario, 1 otherwise, 2 for bad usage.
 * Prefix: bench_e2e_.
 */
#ifndef USBSIM_HARNESS_BENCH_E2E_H
#define USBSIM_HARNESS_BENCH_E2E_H

#include "harness/cli.h"

/* Its own options, by index in bench_e2e_cmd.opts; the declaration is a sub-command of bench. */
enum bench_e2e_opt { BENCH_E2E_JSON, BENCH_E2E_RUNS, BENCH_E2E_SECONDS, BENCH_E2E_COUNT };
extern const struct cli_cmd bench_e2e_cmd;
int bench_e2e_main(struct cli_opts *o);

#endif

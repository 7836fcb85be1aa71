/* fuzz — `usbsim fuzz`: random timing scenarios from a seed, run end to end, checked against the
 * invariants that hold for every scenario; each failure is kept as a runnable file and shrunk.
 *
 * The parts, each its own module (this header includes them all):
 *  - fuzz_gen.h     scenario i of a campaign (a pure function of the seed and i), summaries,
 *                   shards (--shard K/N);
 *  - fuzz_inv.h     the invariants and which of them a verified run breaks, by failure kind;
 *  - fuzz_shrink.h  shrink candidates, their cost, the greedy shrink.
 * Contract of the campaign (this module):
 *  - Scenario i for i = K-1, K-1+N, ... (shard K of N) while --runs or --budget-s last, each run
 *    once at --time-scale on --backend and judged by fz_violations.
 *  - Failures: DIR/fail-<seed>-<i>.yaml (a comment with seed, index, invariant, reason and the
 *    command that reproduces it, then the scenario), then fz_shrink (each candidate run up to
 *    twice, kept only if it still breaks the SAME invariant, at most --shrink-runs runs) whose
 *    result is DIR/fail-<seed>-<i>.min.yaml.
 *  - Exit: 0 no failure, 1 a failure (or interrupted), 2 bad usage (nothing run), 3 the backend
 *    cannot run here. Never leaves a process running (run_one's guarantee).
 * Prefix: fz_.
 */
#ifndef USBSIM_HARNESS_FUZZ_H
#define USBSIM_HARNESS_FUZZ_H

#include "harness/fuzz_gen.h"
#include "harness/fuzz_inv.h"
#include "harness/fuzz_shrink.h"
#include "harness/cli.h"

/* `usbsim fuzz`: its own options, by index in fz_cmd.opts (o->own[FZ_OPT_...]). */
enum fz_opt {
    FZ_OPT_RUNS, FZ_OPT_BUDGET, FZ_OPT_SHARD, FZ_OPT_OUT, FZ_OPT_JSON, FZ_OPT_SHRINK,
    FZ_OPT_MAXFAIL, FZ_OPT_LIST, FZ_OPT_APP, FZ_OPT_EXEC, FZ_OPT_PRECISE, FZ_OPT_OUT_SHOWN,
    FZ_OPT_COUNT
};
/* The command's declaration, in cli.c's table. */
extern const struct cli_cmd fz_cmd;
/* `usbsim fuzz` with its parsed options; returns the exit code. */
int fz_main(struct cli_opts *o);

#endif

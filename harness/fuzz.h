/* fuzz — `usbsim fuzz`: random timing scenarios from a seed, run end to end, checked against the
 * invariants that hold for every scenario; each failure is kept as a runnable file and shrunk.
 *
 * Contract:
 *  - Generation: scenario i of the campaign of seed S is a pure function of (S, i) (its own
 *    sub-stream rng_derive(rng_derive(S, RNG_TAG_FUZZ), i)), the same on every machine. It covers
 *    the scenario language of the SPEC: jitter (none, uniform, normal, pareto) and its size,
 *    device stalls (hold, drop), bursts, halts, disconnects, corruption, consumer work (every
 *    distribution) and stalls, ring sizes 8..1024, the three overflow policies, both doorbell
 *    modes, packet sizes 32..1024, bulk and interrupt endpoints, periods 1..20 ms, durations
 *    1..4 s. Every time is a whole number of its key's unit, so the scenario passes scn_check()
 *    and round-trips through scn_write_yaml(). `expect` stays at its defaults: the invariants
 *    below are what is checked.
 *  - Shards: --shard K/N runs the indices i with i mod N == K-1 (K in 1..N), so N shards of one
 *    campaign run every index exactly once.
 *  - Invariants (fz_violations, on every run, regardless of expect), in scenario time:
 *      process     no process crashed, hung (watchdog) or failed, records exist
 *      loss        no packet lost without being accounted where it was dropped
 *      accounting  the driver's counters and rows agree and match lost packets
 *      duplicate   no packet delivered twice
 *      reorder     no packet delivered after a later one
 *      corruption  every corrupted packet rejected by the driver (crc_errors 0)
 *      integrity   nothing delivered that the device never produced or dropped
 *      backlog     ring occupancy never above ring_slots
 *      wakeups     wake-ups <= doorbells + 1 and <= packets put in the ring + 1 (the +1 is the
 *                  driver's end-of-run kick)
 *      drain       after each consumer stall, drain <= (backlog_max + 1) x per-packet bound
 *                  + FZ_MARGIN_REAL_NS x time scale
 *      latency     driver->application latency <= total consumer stall time + (ring_slots + 1) x
 *                  per-packet bound + FZ_MARGIN_REAL_NS x time scale (a missed wake-up leaves a
 *                  packet waiting for the application's 100 ms wait slice)
 *      other       any other failure the verifier reports (none is expected with an empty expect)
 *    where per-packet bound = the largest consumer work the distribution can draw (uniform max,
 *    10 stddev, 100 scale) + FZ_PACKET_REAL_NS x time scale.
 *  - Failures: DIR/fail-<seed>-<i>.yaml (a comment with seed, index, invariant, reason and the
 *    command that reproduces it, then the scenario), then a greedy shrink (fz_shrink_step
 *    candidates, each run up to twice, kept only if it still breaks the SAME invariant, at most
 *    --shrink-runs runs) whose result is DIR/fail-<seed>-<i>.min.yaml.
 *  - Exit: 0 no failure, 1 a failure (or interrupted), 2 bad usage (nothing run), 3 the backend
 *    cannot run here. Never leaves a process running (run_one's guarantee).
 * Prefix: fz_.
 */
#ifndef USBSIM_HARNESS_FUZZ_H
#define USBSIM_HARNESS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/cli.h"
#include "harness/verify.h"
#include "sim/scenario.h"

/* Slack for the scheduler of a busy machine, in real time (multiplied by the time scale to
 * compare with scenario-time figures): 30 ms is over ten times the worst driver->application
 * latency seen on a loaded 2-core machine, and well under the application's 100 ms wait slice
 * that a missed wake-up costs. */
#define FZ_MARGIN_REAL_NS 30000000LL
/* Per-packet cost of the application besides its scenario work (take, record, release). */
#define FZ_PACKET_REAL_NS 20000LL

enum fz_inv {
    FZ_INV_PROCESS, FZ_INV_LOSS, FZ_INV_ACCOUNTING, FZ_INV_DUPLICATE, FZ_INV_REORDER,
    FZ_INV_CORRUPTION, FZ_INV_INTEGRITY, FZ_INV_BACKLOG, FZ_INV_WAKEUPS, FZ_INV_DRAIN,
    FZ_INV_LATENCY, FZ_INV_OTHER, FZ_INV_COUNT
};

const char *fz_inv_name(enum fz_inv v);

/* Scenario `index` of the campaign of `seed`, in scenario time (time_scale 1), named
 * "fz-<seed>-<index>". Pure. */
void fz_generate(uint64_t seed, uint64_t index, struct scn_scenario *out);
/* One line describing s (no newline), deterministic. */
void fz_summary(const struct scn_scenario *s, char *buf, size_t len);
/* Is index in shard k of n (1 <= k <= n)? */
bool fz_in_shard(uint64_t index, unsigned k, unsigned n);

/* Which invariants result r (a run of sc after scn_time_scale; sc->time_scale says by how much)
 * breaks: a bit mask of 1u << enum fz_inv. why receives the reason of the first one (by enum
 * order), "" when none. */
unsigned fz_violations(const struct scn_scenario *sc, const struct vfy_result *r, char *why,
                       size_t len);
/* The first invariant in mask (FZ_INV_COUNT when mask is 0). */
enum fz_inv fz_first(unsigned mask);

/* Shrink candidate k of cur: 1 and *out filled (valid by scn_check, fz_cost smaller than cur's),
 * 0 when candidate k does not apply to cur, -1 when k is past the last candidate. */
int fz_shrink_step(const struct scn_scenario *cur, unsigned k, struct scn_scenario *out);
/* How big a scenario is, for shrinking: events dominate, then times, sizes and settings that
 * differ from the defaults. */
double fz_cost(const struct scn_scenario *s);

/* `usbsim fuzz`: its own options, by index in fz_cmd.opts (o->own[FZ_OPT_...]). */
enum fz_opt {
    FZ_OPT_RUNS, FZ_OPT_BUDGET, FZ_OPT_SHARD, FZ_OPT_OUT, FZ_OPT_JSON, FZ_OPT_SHRINK,
    FZ_OPT_MAXFAIL, FZ_OPT_LIST, FZ_OPT_COUNT
};
/* The command's declaration, in cli.c's table. */
extern const struct cli_cmd fz_cmd;
/* `usbsim fuzz` with its parsed options; returns the exit code. */
int fz_main(struct cli_opts *o);

#endif

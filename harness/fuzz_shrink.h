/* fuzz_shrink — making a failing scenario smaller while it still fails the same way.
 *
 * Contract:
 *  - fz_shrink_step(cur, k): candidate k of cur, by families in this order: halve the
 *    duration (never below FZ_MIN_DURATION_MS), drop a device event, drop a consumer event,
 *    halve the jitter, halve the consumer work, halve a device event's duration, halve a consumer
 *    stall, halve a burst or corruption count, move a device event earlier, move a consumer
 *    event earlier, put one setting back to its default. Every candidate passes scn_check() and
 *    costs less than cur (fz_cost), so following candidates always ends.
 *  - fz_shrink(): greedy. It takes each candidate the caller's predicate says still fails; after
 *    a taken one it tries the same slot again (the next event moved into it, or the value can
 *    halve once more). It stops after a full pass with nothing taken, when the predicate has
 *    spent the run budget (*left reaches 0), or when the predicate says stop (interrupted).
 * Prefix: fz_.
 */
#ifndef USBSIM_HARNESS_FUZZ_SHRINK_H
#define USBSIM_HARNESS_FUZZ_SHRINK_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/scenario.h"

#define FZ_MIN_DURATION_MS 100 /* shrinking never goes below this: a run needs a few packets */

/* Shrink candidate k of cur: 1 and *out filled (valid by scn_check, fz_cost smaller than cur's),
 * 0 when candidate k does not apply to cur, -1 when k is past the last candidate. */
int fz_shrink_step(const struct scn_scenario *cur, unsigned k, struct scn_scenario *out);
/* How big a scenario is, for shrinking: events dominate, then times, sizes and settings that
 * differ from the defaults. */
double fz_cost(const struct scn_scenario *s);

/* Does candidate cand still fail the same way? 1 yes (why gets the reason), 0 no, -1 stop
 * shrinking now. It may run cand, taking each run from *left. */
typedef int (*fz_still_fails)(void *ctx, const struct scn_scenario *cand, unsigned *left,
                              char *why, size_t len);
/* Shrinks *cur greedily with a budget of `budget` predicate runs; *used gets the runs spent,
 * why the reason of the last candidate taken (unchanged when none was). */
void fz_shrink(struct scn_scenario *cur, unsigned budget, fz_still_fails still, void *ctx,
               unsigned *used, char *why, size_t len);

#endif

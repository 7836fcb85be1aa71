/* fuzz_gen — the fuzzer's scenarios: scenario i of a campaign, its one-line summary, and which
 * shard of the campaign runs it.
 *
 * Contract:
 *  - Generation: scenario i of the campaign of seed S is a pure function of (S, i) (its own
 *    sub-stream rng_derive(rng_derive(S, RNG_TAG_FUZZ), i)), the same on every machine. It covers
 *    the scenario language (docs/scenario-format.md): jitter (none, uniform, normal, pareto) and its size,
 *    device stalls (hold, drop), bursts, halts, disconnects, corruption, consumer work (every
 *    distribution) and stalls, ring sizes 8..1024, the three overflow policies, both doorbell
 *    modes, packet sizes 32..1024, bulk and interrupt endpoints, periods 1..20 ms, durations
 *    1..4 s. Every time is a whole number of its key's unit, so the scenario passes scn_check()
 *    and round-trips through scn_write_yaml(). `expect` stays at its defaults: the invariants
 *    (fuzz_inv.h) are what is checked.
 *  - Shards: --shard K/N runs the indices i with i mod N == K-1 (K in 1..N), so N shards of one
 *    campaign run every index exactly once.
 * Prefix: fz_ (every fuzz module).
 */
#ifndef USBSIM_HARNESS_FUZZ_GEN_H
#define USBSIM_HARNESS_FUZZ_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/scenario.h"

#define FZ_MS 1000000LL /* ns */
#define FZ_US 1000LL    /* ns */

/* Scenario `index` of the campaign of `seed`, in scenario time (time_scale 1), named
 * "fz-<seed>-<index>". Pure. */
void fz_generate(uint64_t seed, uint64_t index, struct scn_scenario *out);
/* One line describing s (no newline), deterministic. */
void fz_summary(const struct scn_scenario *s, char *buf, size_t len);
/* Is index in shard k of n (1 <= k <= n)? */
bool fz_in_shard(uint64_t index, unsigned k, unsigned n);

/* Whether a device event of this kind lasts (stall, halt, disconnect) rather than counts. */
bool fz_is_window(enum scn_dev_event_kind k);
/* The largest draw distribution d can give (the clamps of scenario.h), in ns: uniform max,
 * 10 stddev, 100 scale; 0 for none. */
int64_t fz_dist_bound(const struct scn_dist *d);

#endif

/* rng — deterministic random numbers, identical on every machine.
 *
 * Contract: a stream is a pure function of its 64-bit seed (splitmix64 to seed, xoshiro256**
 * to draw); rng_derive(seed, tag) gives independent sub-streams (jitter, payload, consumer work,
 * fuzzer) so adding draws to one never shifts another. Distribution draws return delays in ns,
 * never negative, with the clamps documented in scenario.h. No global state.
 * Prefix: rng_.
 */
#ifndef USBSIM_SIM_RNG_H
#define USBSIM_SIM_RNG_H

#include <stdint.h>

#include "scenario.h"

struct rng {
    uint64_t s[4];
};

/* Tags for rng_derive(): one independent sub-stream per use of the scenario seed. */
#define RNG_TAG_JITTER 1u  /* device sample jitter (schedule.c) */
#define RNG_TAG_PAYLOAD 2u /* packet payloads: derived again with the seq (packet.c) */
#define RNG_TAG_WORK 3u    /* consumer per-packet work */
#define RNG_TAG_FUZZ 4u    /* the timing fuzzer */
#define RNG_TAG_EP 5u      /* another IN endpoint's own stream: derived again with its address */

uint64_t rng_derive(uint64_t seed, uint64_t tag);
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) without modulo bias; n == 0 returns 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double rng_unit(struct rng *r);
/* One draw of a scenario distribution, in ns (>= 0). */
int64_t rng_dist_ns(struct rng *r, const struct scn_dist *d);

#endif

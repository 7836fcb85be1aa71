/* rng — deterministic random numbers (contract in rng.h).
 *
 * splitmix64 expands a 64-bit seed into the 256-bit xoshiro256** state; rng_derive() hashes
 * (seed, tag) through two splitmix64 finalisations so that nearby seeds and tags give unrelated
 * sub-streams. Everything is integer arithmetic except the normal and pareto draws, which use
 * libm (log, cos, pow) and are rounded to whole ns.
 */
#include "sim/rng.h"

#include <math.h>

#define GOLDEN 0x9E3779B97F4A7C15ull

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x)
{
    *x += GOLDEN;
    return mix64(*x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_derive(uint64_t seed, uint64_t tag)
{
    return mix64(mix64(seed + GOLDEN) ^ (tag * GOLDEN + 0x632BE59BD9B4E019ull));
}

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Rejection sampling: accept draws at or above 2^64 mod n, so every residue is equally likely. */
uint64_t rng_below(struct rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Round a non-negative delay to whole ns, clamped to [0, max]. */
static int64_t clamp_ns(double v, int64_t max)
{
    if (!(v > 0.0))
        return 0;
    if (v >= (double)max)
        return max;
    return (int64_t)(v + 0.5); /* v < max, so this is <= max */
}

static int64_t mul_sat(int64_t a, int64_t k)
{
    return a > INT64_MAX / k ? INT64_MAX : a * k;
}

static int64_t draw_normal(struct rng *r, int64_t sd)
{
    if (sd <= 0)
        return 0;
    double u1 = 1.0 - rng_unit(r); /* (0, 1]: log() stays finite */
    double u2 = rng_unit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
    return clamp_ns(fabs(z) * (double)sd, mul_sat(sd, 10));
}

static int64_t draw_pareto(struct rng *r, int64_t scale, double alpha)
{
    if (scale <= 0 || !(alpha > 0.0))
        return 0;
    double u = 1.0 - rng_unit(r); /* (0, 1] */
    return clamp_ns((double)scale * (pow(u, -1.0 / alpha) - 1.0), mul_sat(scale, 100));
}

int64_t rng_dist_ns(struct rng *r, const struct scn_dist *d)
{
    switch (d->kind) {
    case SCN_DIST_UNIFORM:
        return d->max_ns > 0 ? (int64_t)rng_below(r, (uint64_t)d->max_ns + 1) : 0;
    case SCN_DIST_NORMAL:
        return draw_normal(r, d->stddev_ns);
    case SCN_DIST_PARETO:
        return draw_pareto(r, d->scale_ns, d->alpha);
    case SCN_DIST_NONE:
    default:
        return 0;
    }
}

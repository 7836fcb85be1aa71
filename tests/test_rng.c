/* Tests for sim/rng: pinned values (the same on every machine), sub-stream independence,
 * unbiased rng_below, and the bounds and rough means of every distribution (fixed seeds). */
#include <math.h>
#include <stdint.h>

#include "sim/rng.h"
#include "tests/cu.h"

/* rng_seed() expands the seed with splitmix64: its published first outputs for seed 1234567. */
static void test_seed_is_splitmix64(void)
{
    struct rng r;
    rng_seed(&r, 1234567);
    CU_ASSERT_EQUAL(r.s[0], 6457827717110365317ull);
    CU_ASSERT_EQUAL(r.s[1], 3203168211198807973ull);
    CU_ASSERT_EQUAL(r.s[2], 9817491932198370423ull);
    CU_ASSERT_EQUAL(r.s[3], 4593380528125082431ull);
}

/* Pinned: any change here changes every scenario's timeline and payloads. */
static void test_pinned_values(void)
{
    static const uint64_t want[] = {0xb3f2af6d0fc710c5ull, 0x853b559647364ceaull,
                                    0x92f89756082a4514ull, 0x642e1c7bc266a3a7ull};
    struct rng r;
    rng_seed(&r, 1);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(rng_next(&r), want[i]);
    CU_ASSERT_EQUAL(rng_derive(1, RNG_TAG_JITTER), 0x63e865f6d6a616bfull);
    CU_ASSERT_EQUAL(rng_derive(0, 0), 0x1094db8bb4b47185ull);
}

static void test_same_seed_same_stream(void)
{
    struct rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL_FATAL(rng_next(&a), rng_next(&b));
}

/* Mean number of differing bits between two streams: 32 when they are unrelated. */
static double mean_bit_difference(uint64_t seed_a, uint64_t seed_b)
{
    struct rng a, b;
    rng_seed(&a, seed_a);
    rng_seed(&b, seed_b);
    double sum = 0;
    for (int i = 0; i < 4000; i++)
        sum += __builtin_popcountll(rng_next(&a) ^ rng_next(&b));
    return sum / 4000;
}

static void test_derive_independent(void)
{
    uint64_t seen[64];
    int n = 0;
    for (uint64_t seed = 0; seed < 4; seed++)
        for (uint64_t tag = 0; tag < 16; tag++)
            seen[n++] = rng_derive(seed, tag);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            CU_ASSERT_NOT_EQUAL(seen[i], seen[j]);
    /* neighbouring tags and neighbouring seeds give unrelated streams */
    CU_ASSERT_DOUBLE_EQUAL(mean_bit_difference(rng_derive(7, 1), rng_derive(7, 2)), 32.0, 0.5);
    CU_ASSERT_DOUBLE_EQUAL(mean_bit_difference(rng_derive(7, 1), rng_derive(8, 1)), 32.0, 0.5);
    CU_ASSERT_DOUBLE_EQUAL(mean_bit_difference(rng_derive(7, 1), 7), 32.0, 0.5);
}

static void test_below_range(void)
{
    static const uint64_t ns[] = {1, 2, 3, 7, 10, 1000, (1ull << 63) + 1, UINT64_MAX};
    struct rng r;
    rng_seed(&r, 3);
    CU_ASSERT_EQUAL(rng_below(&r, 0), 0);
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int i = 0; i < 2000; i++)
            CU_ASSERT_FATAL(rng_below(&r, ns[k]) < ns[k]);
}

static void test_below_chi_square(void)
{
    enum { N = 10, DRAWS = 100000 };
    unsigned count[N] = {0};
    struct rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < DRAWS; i++)
        count[rng_below(&r, N)]++;
    double chi = 0, expect = (double)DRAWS / N;
    for (int i = 0; i < N; i++)
        chi += (count[i] - expect) * (count[i] - expect) / expect;
    CU_ASSERT(chi < 40.0); /* 9 degrees of freedom: p = 0.001 at 27.9 */
}

/* n = 3 * 2^62: a plain modulo would give [0, 2^62) half the time instead of a third. */
static void test_below_no_modulo_bias(void)
{
    const uint64_t n = 3ull << 62;
    struct rng r;
    rng_seed(&r, 5);
    int low = 0;
    for (int i = 0; i < 30000; i++)
        low += rng_below(&r, n) < (1ull << 62);
    CU_ASSERT_DOUBLE_EQUAL(low / 30000.0, 1.0 / 3, 0.02);
}

static void test_unit_range(void)
{
    struct rng r;
    rng_seed(&r, 9);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = rng_unit(&r);
        CU_ASSERT_FATAL(u >= 0.0 && u < 1.0);
        sum += u;
    }
    CU_ASSERT_DOUBLE_EQUAL(sum / 100000, 0.5, 0.01);
}

struct draws {
    int64_t min, max;
    double mean;
    int at_max; /* how many equal the given clamp */
};

static struct draws draw_many(const struct scn_dist *d, int n, int64_t clamp)
{
    struct rng r;
    rng_seed(&r, rng_derive(1, 99));
    struct draws s = {INT64_MAX, INT64_MIN, 0, 0};
    for (int i = 0; i < n; i++) {
        int64_t v = rng_dist_ns(&r, d);
        s.min = v < s.min ? v : s.min;
        s.max = v > s.max ? v : s.max;
        s.mean += (double)v / n;
        s.at_max += v == clamp;
    }
    return s;
}

static void test_dist_none(void)
{
    struct scn_dist d = {.kind = SCN_DIST_NONE, .max_ns = 5000};
    struct draws s = draw_many(&d, 1000, 0);
    CU_ASSERT_EQUAL(s.min, 0);
    CU_ASSERT_EQUAL(s.max, 0);
}

static void test_dist_uniform(void)
{
    const int64_t max = 2000000;
    struct scn_dist d = {.kind = SCN_DIST_UNIFORM, .max_ns = max};
    struct draws s = draw_many(&d, 100000, max);
    CU_ASSERT(s.min >= 0 && s.min < max / 100);
    CU_ASSERT(s.max <= max && s.max > max - max / 100);
    CU_ASSERT_DOUBLE_EQUAL(s.mean, max / 2.0, max * 0.01);
    struct scn_dist tiny = {.kind = SCN_DIST_UNIFORM, .max_ns = 1};
    s = draw_many(&tiny, 1000, 1);
    CU_ASSERT(s.min == 0 && s.max == 1 && s.at_max > 400 && s.at_max < 600);
    struct scn_dist zero = {.kind = SCN_DIST_UNIFORM, .max_ns = 0};
    s = draw_many(&zero, 100, 0);
    CU_ASSERT(s.min == 0 && s.max == 0);
}

static void test_dist_normal(void)
{
    const int64_t sd = 1000000;
    struct scn_dist d = {.kind = SCN_DIST_NORMAL, .stddev_ns = sd};
    struct draws s = draw_many(&d, 100000, 10 * sd);
    CU_ASSERT(s.min >= 0);
    CU_ASSERT(s.max <= 10 * sd && s.max > 3 * sd);
    CU_ASSERT_DOUBLE_EQUAL(s.mean, sd * sqrt(2.0 / M_PI), sd * 0.02); /* E|N(0, sd)| */
}

static void test_dist_pareto(void)
{
    const int64_t scale = 1000000;
    struct scn_dist d = {.kind = SCN_DIST_PARETO, .scale_ns = scale, .alpha = 3.0};
    struct draws s = draw_many(&d, 100000, 100 * scale);
    CU_ASSERT(s.min >= 0 && s.min < scale / 100);
    CU_ASSERT(s.max <= 100 * scale);
    CU_ASSERT_DOUBLE_EQUAL(s.mean, scale / 2.0, scale * 0.05); /* scale / (alpha - 1) */
    /* heavy tail: P(draw >= 100 scale) = 101^-0.5, about 10%, all clamped to exactly 100 scale */
    struct scn_dist heavy = {.kind = SCN_DIST_PARETO, .scale_ns = scale, .alpha = 0.5};
    s = draw_many(&heavy, 20000, 100 * scale);
    CU_ASSERT(s.max == 100 * scale);
    CU_ASSERT(s.at_max > 1600 && s.at_max < 2400);
}

static CU_TestInfo tests[] = {
    {"seed is splitmix64", test_seed_is_splitmix64},
    {"pinned values", test_pinned_values},
    {"same seed, same stream", test_same_seed_same_stream},
    {"derive gives independent streams", test_derive_independent},
    {"below stays in range", test_below_range},
    {"below chi-square", test_below_chi_square},
    {"below has no modulo bias", test_below_no_modulo_bias},
    {"unit in [0, 1)", test_unit_range},
    {"dist none", test_dist_none},
    {"dist uniform", test_dist_uniform},
    {"dist normal", test_dist_normal},
    {"dist pareto", test_dist_pareto},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("rng", tests);
}

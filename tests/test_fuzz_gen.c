/* Tests of harness/fuzz_gen: generation, summaries, shards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/fuzz_gen.h"
#include "sim/scenario.h"
#include "tests/cu.h"

#define N_VALID 10000

static void generation_is_a_pure_function(void)
{
    static struct scn_scenario a, b;
    for (uint64_t i = 0; i < 200; i++) {
        fz_generate(42, i, &a);
        fz_generate(42, i, &b);
        CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof a), 0);
    }
    char name[64];
    fz_generate(42, 17, &a);
    snprintf(name, sizeof name, "fz-%d-%d", 42, 17);
    CU_ASSERT_STRING_EQUAL(a.name, name);
    fz_generate(43, 17, &b); /* another seed: another scenario */
    CU_ASSERT_NOT_EQUAL(a.seed, b.seed);
    fz_generate(42, 18, &b); /* another index: another scenario */
    CU_ASSERT_NOT_EQUAL(a.seed, b.seed);
}

static void summaries_are_deterministic(void)
{
    static struct scn_scenario a;
    char x[1024], y[1024];
    fz_generate(5, 3, &a);
    fz_summary(&a, x, sizeof x);
    fz_generate(5, 3, &a);
    fz_summary(&a, y, sizeof y);
    CU_ASSERT_STRING_EQUAL(x, y);
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "fz-5-3 "));
    char tiny[8];
    fz_summary(&a, tiny, sizeof tiny); /* truncates, never overflows */
    CU_ASSERT_EQUAL(strlen(tiny), sizeof tiny - 1);
}

/* What the generated scenarios cover, to show the whole space is reached. */
struct cover {
    unsigned jitter[4], work[4], event[5], mode[2], overflow[3], doorbell[2], endpoint[2];
    unsigned ring8, ring1024, con_events, period_lo, period_hi;
};

static void tally(struct cover *c, const struct scn_scenario *s)
{
    c->jitter[s->device.jitter.kind]++;
    c->work[s->consumer.work.kind]++;
    for (size_t i = 0; i < s->device.n_events; i++) {
        c->event[s->device.events[i].kind]++;
        if (s->device.events[i].kind == SCN_EV_STALL)
            c->mode[s->device.events[i].mode]++;
    }
    c->overflow[s->transport.overflow]++;
    c->doorbell[s->transport.doorbell]++;
    c->endpoint[s->device.endpoint]++;
    c->ring8 += s->transport.ring_slots == 8;
    c->ring1024 += s->transport.ring_slots == 1024;
    c->con_events += s->consumer.n_events > 0;
    c->period_lo += s->device.period_ns < 2000000;
    c->period_hi += s->device.period_ns > 19000000;
}

static void all_seen(const unsigned *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CU_ASSERT(v[i] > 0);
}

static void generated_scenarios_are_valid_and_cover_the_space(void)
{
    static struct scn_scenario s;
    struct cover c;
    memset(&c, 0, sizeof c);
    char err[SCN_ERR_MAX];
    unsigned bad = 0;
    for (uint64_t i = 0; i < N_VALID; i++) {
        fz_generate(1, i, &s);
        if (scn_check(&s, err) != 0 && bad++ < 3)
            fprintf(stderr, "scenario %llu: %s\n", (unsigned long long)i, err);
        CU_ASSERT(s.duration_ns >= 1000000000LL && s.duration_ns <= 4000000000LL);
        CU_ASSERT(s.device.period_ns >= 1000000 && s.device.period_ns <= 20000000);
        tally(&c, &s);
    }
    CU_ASSERT_EQUAL(bad, 0);
    all_seen(c.jitter, 4);
    all_seen(c.work, 4);
    all_seen(c.event, 5);
    all_seen(c.mode, 2);
    all_seen(c.overflow, 3);
    all_seen(c.doorbell, 2);
    all_seen(c.endpoint, 2);
    CU_ASSERT(c.ring8 > 0 && c.ring1024 > 0 && c.con_events > 0);
    CU_ASSERT(c.period_lo > 0 && c.period_hi > 0);
}

/* A generated scenario written as YAML loads back to the same scenario. */
static void generated_scenarios_round_trip_through_yaml(void)
{
    static struct scn_scenario s, back;
    char err[SCN_ERR_MAX];
    for (uint64_t i = 0; i < 300; i++) {
        fz_generate(9, i, &s);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        CU_ASSERT_FATAL(f != NULL);
        CU_ASSERT_EQUAL(scn_write_yaml(&s, f), 0);
        fclose(f);
        int rc = scn_parse(s.name, text, len, &back, err);
        if (rc != 0)
            fprintf(stderr, "%s\n", err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(back.duration_ns, s.duration_ns);
        CU_ASSERT_EQUAL(back.device.n_events, s.device.n_events);
        CU_ASSERT_EQUAL(back.consumer.n_events, s.consumer.n_events);
        CU_ASSERT_EQUAL(back.seed, s.seed);
        CU_ASSERT_EQUAL(back.device.jitter.alpha, s.device.jitter.alpha);
        CU_ASSERT_EQUAL(back.consumer.work.scale_ns, s.consumer.work.scale_ns);
        free(text);
    }
}

static void shards_partition_a_campaign(void)
{
    for (unsigned n = 1; n <= 7; n++)
        for (uint64_t i = 0; i < 1000; i++) {
            unsigned owners = 0;
            for (unsigned k = 1; k <= n; k++)
                owners += fz_in_shard(i, k, n);
            CU_ASSERT_EQUAL(owners, 1);
        }
    CU_ASSERT_FALSE(fz_in_shard(0, 0, 2)); /* K starts at 1 */
    CU_ASSERT_FALSE(fz_in_shard(0, 3, 2));
    CU_ASSERT_FALSE(fz_in_shard(0, 1, 0));
}

static void distribution_bounds(void)
{
    struct scn_dist d = {.kind = SCN_DIST_NONE};
    CU_ASSERT_EQUAL(fz_dist_bound(&d), 0);
    d = (struct scn_dist){.kind = SCN_DIST_UNIFORM, .max_ns = 300 * FZ_US};
    CU_ASSERT_EQUAL(fz_dist_bound(&d), 300 * FZ_US);
    d = (struct scn_dist){.kind = SCN_DIST_NORMAL, .stddev_ns = 40 * FZ_US};
    CU_ASSERT_EQUAL(fz_dist_bound(&d), 400 * FZ_US);
    d = (struct scn_dist){.kind = SCN_DIST_PARETO, .scale_ns = 10 * FZ_US, .alpha = 2};
    CU_ASSERT_EQUAL(fz_dist_bound(&d), 1000 * FZ_US);
    CU_ASSERT_TRUE(fz_is_window(SCN_EV_STALL) && fz_is_window(SCN_EV_HALT) &&
                   fz_is_window(SCN_EV_DISCONNECT));
    CU_ASSERT_FALSE(fz_is_window(SCN_EV_BURST) || fz_is_window(SCN_EV_CORRUPT));
}

static CU_TestInfo tests[] = {
    {"generation is a pure function of (seed, index)", generation_is_a_pure_function},
    {"summaries are deterministic and bounded", summaries_are_deterministic},
    {"10^4 generated scenarios are valid and cover the space",
     generated_scenarios_are_valid_and_cover_the_space},
    {"generated scenarios round-trip through YAML", generated_scenarios_round_trip_through_yaml},
    {"shards partition a campaign", shards_partition_a_campaign},
    {"distribution bounds", distribution_bounds},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("fuzz_gen", tests);
}

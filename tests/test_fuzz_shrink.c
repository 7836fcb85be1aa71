/* Tests of harness/fuzz_shrink: candidates, cost, the greedy shrink. */
#include <stdio.h>
#include <string.h>

#include "harness/fuzz_gen.h"
#include "harness/fuzz_shrink.h"
#include "sim/scenario.h"
#include "tests/cu.h"

static void shrink_candidates_are_valid_and_smaller(void)
{
    static struct scn_scenario s, c;
    char err[SCN_ERR_MAX];
    unsigned with_candidates = 0, total = 0;
    for (uint64_t i = 0; i < 300; i++) {
        fz_generate(3, i, &s);
        double cost = fz_cost(&s);
        unsigned n = 0;
        int st;
        for (unsigned k = 0; (st = fz_shrink_step(&s, k, &c)) >= 0; k++) {
            CU_ASSERT_FATAL(k < 100000);
            if (st == 0)
                continue;
            n++;
            CU_ASSERT_EQUAL(scn_check(&c, err), 0);
            CU_ASSERT(fz_cost(&c) < cost);
            CU_ASSERT(c.device.n_events + c.consumer.n_events <=
                      s.device.n_events + s.consumer.n_events);
            CU_ASSERT(c.duration_ns <= s.duration_ns);
        }
        with_candidates += n > 0;
        total += n;
    }
    CU_ASSERT_EQUAL(with_candidates, 300); /* every generated scenario can shrink */
    CU_ASSERT(total > 300 * 5);
}

/* Following the first candidate again and again ends: the cost falls every time. */
static void shrinking_terminates_at_a_fixed_point(void)
{
    static struct scn_scenario s, c;
    fz_generate(11, 4, &s);
    unsigned steps = 0;
    for (;;) {
        unsigned k = 0;
        int st;
        while ((st = fz_shrink_step(&s, k, &c)) == 0)
            k++;
        if (st < 0)
            break;
        s = c;
        CU_ASSERT_FATAL(++steps < 10000);
    }
    CU_ASSERT_EQUAL(s.device.n_events + s.consumer.n_events, 0);
    CU_ASSERT_EQUAL(s.device.jitter.kind, SCN_DIST_NONE);
    CU_ASSERT_EQUAL(s.transport.ring_slots, 256);
    CU_ASSERT(s.duration_ns < 200000000LL); /* halved down to the floor */
}

/* A stand-in for running a candidate: it "fails" while a burst of at least 3 packets is left. */
struct fake {
    unsigned calls;
    bool interrupt_at_3;
};

static int has_burst(void *ctx, const struct scn_scenario *s, unsigned *left, char *why,
                     size_t len)
{
    struct fake *f = ctx;
    if (f->interrupt_at_3 && f->calls == 3)
        return -1;
    f->calls++;
    --*left;
    for (size_t i = 0; i < s->device.n_events; i++)
        if (s->device.events[i].kind == SCN_EV_BURST && s->device.events[i].count >= 3) {
            snprintf(why, len, "burst of %u", s->device.events[i].count);
            return 1;
        }
    return 0;
}

static void burst_scenario(struct scn_scenario *s)
{
    fz_generate(2, 7, s);
    s->device.n_events = 0;
    s->device.events[s->device.n_events++] =
        (struct scn_dev_event){.kind = SCN_EV_STALL, .at_ns = 100 * FZ_MS, .dur_ns = 50 * FZ_MS};
    s->device.events[s->device.n_events++] =
        (struct scn_dev_event){.kind = SCN_EV_BURST, .at_ns = 600 * FZ_MS, .count = 40};
    s->consumer.n_events = 1;
    s->consumer.events[0] = (struct scn_con_event){.at_ns = 200 * FZ_MS, .dur_ns = 300 * FZ_MS};
}

/* The greedy shrink keeps only what the failure needs, and stops at its budget. */
static void greedy_shrink_keeps_what_fails(void)
{
    static struct scn_scenario s;
    char err[SCN_ERR_MAX], why[64] = "unchanged";
    burst_scenario(&s);
    CU_ASSERT_EQUAL_FATAL(scn_check(&s, err), 0);
    struct fake f = {0};
    unsigned used = 0;
    fz_shrink(&s, 100000, has_burst, &f, &used, why, sizeof why);
    CU_ASSERT_EQUAL(used, f.calls);
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    CU_ASSERT_EQUAL_FATAL(s.device.n_events, 1);
    CU_ASSERT_EQUAL(s.device.events[0].kind, SCN_EV_BURST);
    CU_ASSERT(s.device.events[0].count >= 3 && s.device.events[0].count < 6);
    CU_ASSERT_EQUAL(s.device.events[0].at_ns, 0);
    CU_ASSERT_EQUAL(s.consumer.n_events, 0);
    CU_ASSERT_EQUAL(s.device.jitter.kind, SCN_DIST_NONE);
    CU_ASSERT(s.duration_ns >= FZ_MIN_DURATION_MS * FZ_MS &&
              s.duration_ns < 2 * FZ_MIN_DURATION_MS * FZ_MS);
    char want[64];
    snprintf(want, sizeof want, "burst of %u", s.device.events[0].count);
    CU_ASSERT_STRING_EQUAL(why, want);

    /* a budget of 5 runs: 5 runs spent, the scenario smaller but not minimal */
    burst_scenario(&s);
    double cost = fz_cost(&s);
    f = (struct fake){0};
    fz_shrink(&s, 5, has_burst, &f, &used, why, sizeof why);
    CU_ASSERT_EQUAL(used, 5);
    CU_ASSERT_EQUAL(f.calls, 5);
    CU_ASSERT(fz_cost(&s) < cost);

    /* the predicate says stop (an interrupt) after 3 runs: it ends at once */
    burst_scenario(&s);
    f = (struct fake){.interrupt_at_3 = true};
    fz_shrink(&s, 100, has_burst, &f, &used, why, sizeof why);
    CU_ASSERT_EQUAL(f.calls, 3);
    CU_ASSERT_EQUAL(used, 3);

    /* nothing fails: nothing taken, why untouched */
    burst_scenario(&s);
    s.device.events[1].count = 2;
    struct scn_scenario before = s;
    snprintf(why, sizeof why, "unchanged");
    f = (struct fake){0};
    fz_shrink(&s, 100000, has_burst, &f, &used, why, sizeof why);
    CU_ASSERT_EQUAL(memcmp(&s, &before, sizeof s), 0);
    CU_ASSERT_STRING_EQUAL(why, "unchanged");
    CU_ASSERT(used > 0 && used == f.calls);
}

static CU_TestInfo tests[] = {
    {"shrink candidates are valid and smaller", shrink_candidates_are_valid_and_smaller},
    {"shrinking terminates at a fixed point", shrinking_terminates_at_a_fixed_point},
    {"the greedy shrink keeps what fails, within its budget", greedy_shrink_keeps_what_fails},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("fuzz_shrink", tests);
}

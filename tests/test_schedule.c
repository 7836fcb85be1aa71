/* Tests for sim/schedule: the steady timeline, determinism, jitter without drift, every gate
 * (hold stall with FIFO overflow, drop stall, halt, disconnect), burst numbering, corruption,
 * the counts adding up on random scenarios, window lookup, refusals and the printed plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/packet.h"
#include "sim/rng.h"
#include "sim/schedule.h"
#include "tests/cu.h"

#define MS 1000000ll

static struct scn_scenario base(int64_t duration_ms)
{
    struct scn_scenario sc;
    scn_defaults(&sc);
    snprintf(sc.name, sizeof sc.name, "test");
    sc.duration_ns = duration_ms * MS;
    return sc;
}

static void add_event(struct scn_scenario *sc, enum scn_dev_event_kind kind, int64_t at_ms,
                      int64_t dur_ms, uint32_t count, enum scn_stall_mode mode)
{
    CU_ASSERT_FATAL(sc->device.n_events < SCN_MAX_EVENTS);
    struct scn_dev_event *e = &sc->device.events[sc->device.n_events++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->at_ns = at_ms * MS;
    e->dur_ns = dur_ms * MS;
    e->count = count;
    e->mode = mode;
}

static void build(const struct scn_scenario *sc, struct sched *s)
{
    char err[SCN_ERR_MAX] = "";
    int rc = sched_build(sc, s, err);
    if (rc != 0)
        fprintf(stderr, "sched_build: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Invariants every plan keeps; returns the number of violations. */
static int check_invariants(const struct sched *s)
{
    int bad = 0;
    uint64_t sent = 0, held = 0, drop[SCHED_DROP_COUNT] = {0}, corrupt = 0, burst = 0;
    int64_t last_send = INT64_MIN;
    for (size_t i = 0; i < s->n; i++) {
        const struct sched_sample *x = &s->samples[i];
        bad += x->seq != i;
        bad += i > 0 && x->due_ns < s->samples[i - 1].due_ns;
        bad += x->send_ns < x->due_ns;
        int w = sched_window_at(s, x->due_ns);
        if (x->fate == SCHED_DROPPED) {
            drop[x->drop]++;
            bad += w < 0 || x->drop == SCHED_DROP_NONE;
            continue;
        }
        bad += x->send_ns < last_send;
        last_send = x->send_ns;
        if (x->fate == SCHED_SENT) {
            sent++;
            bad += x->send_ns != x->due_ns || w >= 0;
        } else {
            held++;
            bad += w < 0 || x->send_ns != s->windows[w].end_ns;
        }
        corrupt += (x->flags & PKT_F_CORRUPT) != 0;
        burst += (x->flags & PKT_F_BURST) != 0;
    }
    for (size_t i = 0; i < s->n; i++)
        burst += s->samples[i].fate == SCHED_DROPPED && (s->samples[i].flags & PKT_F_BURST);
    for (size_t w = 1; w < s->n_windows; w++)
        bad += s->windows[w].start_ns < s->windows[w - 1].end_ns;
    bad += s->produced != s->n || s->sent != sent || s->held != held || s->corrupt != corrupt ||
           s->burst != burst;
    uint64_t total = sent + held;
    for (int d = 0; d < SCHED_DROP_COUNT; d++) {
        bad += s->dropped[d] != drop[d];
        total += drop[d];
    }
    bad += total != s->produced;
    return bad;
}

static void test_steady(void)
{
    struct scn_scenario sc = base(1000);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.n, 100);
    CU_ASSERT_EQUAL(s.sent, 100);
    CU_ASSERT_EQUAL(s.end_ns, 1000 * MS);
    CU_ASSERT_EQUAL(s.n_windows, 0);
    for (size_t k = 0; k < s.n; k++) {
        CU_ASSERT_EQUAL(s.samples[k].due_ns, (int64_t)k * 10 * MS);
        CU_ASSERT(s.samples[k].fate == SCHED_SENT && s.samples[k].flags == 0);
    }
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
    sc.duration_ns = 1000 * MS + 1; /* k * period < duration: one more */
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.n, 101);
    sched_free(&s);
    sc.duration_ns = 0;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.n, 0);
    sched_free(&s);
}

static struct scn_scenario busy(uint64_t seed)
{
    struct scn_scenario sc = base(3000);
    sc.seed = seed;
    sc.device.jitter = (struct scn_dist){.kind = SCN_DIST_UNIFORM, .max_ns = 2 * MS};
    add_event(&sc, SCN_EV_STALL, 500, 300, 0, SCN_STALL_HOLD);
    add_event(&sc, SCN_EV_BURST, 1000, 0, 20, 0);
    add_event(&sc, SCN_EV_HALT, 1500, 50, 0, 0);
    add_event(&sc, SCN_EV_DISCONNECT, 2000, 300, 0, 0);
    add_event(&sc, SCN_EV_CORRUPT, 2500, 0, 2, 0);
    return sc;
}

static void test_deterministic(void)
{
    struct scn_scenario sc = busy(7);
    struct sched a, b;
    build(&sc, &a);
    build(&sc, &b);
    CU_ASSERT_EQUAL_FATAL(a.n, b.n);
    CU_ASSERT_EQUAL(memcmp(a.samples, b.samples, a.n * sizeof a.samples[0]), 0);
    CU_ASSERT_EQUAL(memcmp(a.windows, b.windows, sizeof a.windows), 0);
    CU_ASSERT(a.sent == b.sent && a.held == b.held && a.corrupt == b.corrupt);
    CU_ASSERT_EQUAL(memcmp(a.dropped, b.dropped, sizeof a.dropped), 0);
    CU_ASSERT_EQUAL(check_invariants(&a), 0);
    sched_free(&b);
    sc.seed = 8; /* another seed: other jitter */
    build(&sc, &b);
    CU_ASSERT_EQUAL_FATAL(a.n, b.n);
    CU_ASSERT_NOT_EQUAL(memcmp(a.samples, b.samples, a.n * sizeof a.samples[0]), 0);
    sched_free(&a);
    sched_free(&b);
}

/* Due times never go backwards and stay within [k * period, k * period + max jitter]. */
static void check_jitter(const struct scn_dist *d, int64_t max_jitter)
{
    struct scn_scenario sc = base(1000);
    sc.device.jitter = *d;
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 100);
    int jittered = 0;
    for (size_t k = 0; k < s.n; k++) {
        int64_t nominal = (int64_t)k * 10 * MS, due = s.samples[k].due_ns;
        CU_ASSERT_FATAL(due >= nominal && due <= nominal + max_jitter);
        CU_ASSERT_FATAL(k == 0 || due >= s.samples[k - 1].due_ns);
        jittered += due != nominal;
    }
    CU_ASSERT(jittered > 50);
    CU_ASSERT(s.samples[99].due_ns <= 990 * MS + max_jitter);
    sched_free(&s);
}

static void test_jitter_no_drift(void)
{
    struct scn_dist uni = {.kind = SCN_DIST_UNIFORM, .max_ns = 2 * MS};
    check_jitter(&uni, 2 * MS);
    struct scn_dist normal = {.kind = SCN_DIST_NORMAL, .stddev_ns = 5 * MS}; /* > period / 2 */
    check_jitter(&normal, 50 * MS);
    struct scn_dist pareto = {.kind = SCN_DIST_PARETO, .scale_ns = 1 * MS, .alpha = 1.0};
    check_jitter(&pareto, 100 * MS);
}

/* Over 10^5 jittered samples the mean period is the nominal one to within one jitter draw spread
 * over the whole run: due times are absolute, so error never accumulates. */
static void test_mean_period_exact(void)
{
    struct scn_scenario sc = base(1000000); /* 1000 s at 10 ms: 10^5 samples */
    sc.device.jitter = (struct scn_dist){.kind = SCN_DIST_UNIFORM, .max_ns = 2 * MS};
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 100000);
    int64_t span = s.samples[s.n - 1].due_ns - s.samples[0].due_ns;
    int64_t nominal = (int64_t)(s.n - 1) * 10 * MS;
    CU_ASSERT_TRUE(span >= nominal - 2 * MS && span <= nominal + 2 * MS);
    sched_free(&s);
}

static void test_hold_stall_fifo_overflow(void)
{
    struct scn_scenario sc = base(2000);
    add_event(&sc, SCN_EV_STALL, 1000, 300, 0, SCN_STALL_HOLD);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 200);
    CU_ASSERT_EQUAL(s.held, 16); /* samples 100..115 fill the FIFO */
    CU_ASSERT_EQUAL(s.dropped[SCHED_DROP_FIFO], 14); /* 116..129: newest dropped */
    CU_ASSERT_EQUAL(s.sent, 170);
    for (size_t k = 100; k < 116; k++)
        CU_ASSERT(s.samples[k].fate == SCHED_HELD && s.samples[k].send_ns == 1300 * MS);
    for (size_t k = 116; k < 130; k++)
        CU_ASSERT(s.samples[k].fate == SCHED_DROPPED && s.samples[k].drop == SCHED_DROP_FIFO);
    CU_ASSERT(s.samples[130].fate == SCHED_SENT && s.samples[130].send_ns == 1300 * MS);
    CU_ASSERT(s.samples[99].fate == SCHED_SENT);
    CU_ASSERT_EQUAL(s.samples[100].flags, PKT_F_AFTER_GAP);
    CU_ASSERT_EQUAL(s.samples[101].flags, 0);
    CU_ASSERT_EQUAL(s.samples[130].flags, 0);
    CU_ASSERT_EQUAL(s.n_windows, 1);
    CU_ASSERT_EQUAL(s.windows[0].kind, SCHED_W_STALL_HOLD);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
    sc.device.fifo_packets = 64; /* big enough: nothing lost */
    build(&sc, &s);
    CU_ASSERT(s.held == 30 && s.dropped[SCHED_DROP_FIFO] == 0 && s.sent == 170);
    sched_free(&s);
}

static void test_drop_stall(void)
{
    struct scn_scenario sc = base(1000);
    add_event(&sc, SCN_EV_STALL, 500, 100, 0, SCN_STALL_DROP);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.dropped[SCHED_DROP_STALL], 10);
    CU_ASSERT_EQUAL(s.sent, 90);
    CU_ASSERT_EQUAL(s.held, 0);
    for (size_t k = 50; k < 60; k++)
        CU_ASSERT(s.samples[k].fate == SCHED_DROPPED && s.samples[k].drop == SCHED_DROP_STALL);
    CU_ASSERT(s.samples[60].fate == SCHED_SENT && s.samples[60].flags == PKT_F_AFTER_GAP);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
}

static void test_halt(void)
{
    struct scn_scenario sc = base(1000);
    add_event(&sc, SCN_EV_HALT, 200, 50, 0, 0);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.held, 5);
    CU_ASSERT_EQUAL(s.sent, 95);
    for (size_t k = 20; k < 25; k++)
        CU_ASSERT(s.samples[k].fate == SCHED_HELD && s.samples[k].send_ns == 250 * MS);
    CU_ASSERT_EQUAL(s.samples[20].flags, PKT_F_AFTER_GAP);
    CU_ASSERT(s.samples[25].fate == SCHED_SENT && s.samples[25].flags == 0);
    CU_ASSERT_EQUAL(s.windows[0].kind, SCHED_W_HALT);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
}

static void test_disconnect(void)
{
    struct scn_scenario sc = base(1000);
    add_event(&sc, SCN_EV_DISCONNECT, 300, 500, 0, 0);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.dropped[SCHED_DROP_DISCONNECT], 50);
    CU_ASSERT_EQUAL(s.sent, 50);
    CU_ASSERT(s.samples[29].fate == SCHED_SENT);
    CU_ASSERT(s.samples[30].fate == SCHED_DROPPED && s.samples[79].fate == SCHED_DROPPED);
    CU_ASSERT(s.samples[80].fate == SCHED_SENT && s.samples[80].flags == PKT_F_AFTER_GAP);
    CU_ASSERT_EQUAL(s.windows[0].kind, SCHED_W_DISCONNECT);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
}

static void test_burst_numbering(void)
{
    struct scn_scenario sc = base(1000);
    add_event(&sc, SCN_EV_BURST, 505, 0, 20, 0);
    add_event(&sc, SCN_EV_BURST, 0, 0, 2, 0); /* at the same time as sample 0: after it */
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 122);
    CU_ASSERT_EQUAL(s.burst, 22);
    CU_ASSERT(s.samples[0].flags == 0 && s.samples[0].due_ns == 0);
    CU_ASSERT(s.samples[1].flags == PKT_F_BURST && s.samples[2].flags == PKT_F_BURST);
    CU_ASSERT(s.samples[3].flags == 0 && s.samples[3].due_ns == 10 * MS);
    CU_ASSERT_EQUAL(s.samples[52].due_ns, 500 * MS); /* regular sample 50 */
    for (size_t i = 53; i < 73; i++)
        CU_ASSERT(s.samples[i].flags == PKT_F_BURST && s.samples[i].due_ns == 505 * MS);
    CU_ASSERT(s.samples[73].flags == 0 && s.samples[73].due_ns == 510 * MS);
    CU_ASSERT_EQUAL(s.samples[121].due_ns, 990 * MS);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
}

static uint64_t corrupt_mask(const struct sched *s, size_t from, size_t to)
{
    uint64_t m = 0;
    for (size_t i = from; i < to && i - from < 64; i++)
        m |= (uint64_t)((s->samples[i].flags & PKT_F_CORRUPT) != 0) << (i - from);
    return m;
}

static void test_corrupt(void)
{
    struct scn_scenario sc = base(1000);
    add_event(&sc, SCN_EV_CORRUPT, 995, 0, 3, 0); /* after the last sample: nothing */
    add_event(&sc, SCN_EV_CORRUPT, 0, 0, 3, 0);
    add_event(&sc, SCN_EV_CORRUPT, 10, 0, 2, 0); /* overlaps the first: adds two more */
    add_event(&sc, SCN_EV_CORRUPT, 501, 0, 2, 0);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.corrupt, 7);
    CU_ASSERT_EQUAL(corrupt_mask(&s, 0, 50), 0x1Full);   /* 0..4 */
    CU_ASSERT_EQUAL(corrupt_mask(&s, 50, 64), 0x6ull);   /* 51, 52 */
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);

    /* during a hold stall the next packets to leave are the held ones; dropped ones are skipped */
    sc = base(1000);
    add_event(&sc, SCN_EV_STALL, 200, 100, 0, SCN_STALL_HOLD);
    add_event(&sc, SCN_EV_CORRUPT, 250, 0, 4, 0);
    add_event(&sc, SCN_EV_STALL, 500, 100, 0, SCN_STALL_DROP);
    add_event(&sc, SCN_EV_CORRUPT, 550, 0, 1, 0);
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.corrupt, 5);
    CU_ASSERT_EQUAL(corrupt_mask(&s, 0, 50), 0xFull << 20); /* held 20..23, leaving at 300 */
    CU_ASSERT_EQUAL(corrupt_mask(&s, 50, 64), 1ull << 10); /* 60: first after the drop stall */
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
}

/* Random scenarios built in code: non-overlapping windows, every kind of event. */
static struct scn_scenario random_scenario(struct rng *r)
{
    struct scn_scenario sc = base(500 + (int64_t)rng_below(r, 3000));
    sc.seed = rng_next(r);
    sc.device.period_ns = (1 + (int64_t)rng_below(r, 20)) * MS / 2;
    sc.device.fifo_packets = 1 + (uint32_t)rng_below(r, 32);
    sc.device.jitter = (struct scn_dist){.kind = (enum scn_dist_kind)rng_below(r, 4),
                                         .max_ns = 3 * MS, .stddev_ns = MS, .scale_ns = MS,
                                         .alpha = 1.5};
    int64_t t = 0;
    while (sc.device.n_events < 12) {
        t += (int64_t)rng_below(r, 400);
        int64_t dur = 1 + (int64_t)rng_below(r, 200);
        enum scn_dev_event_kind k = (enum scn_dev_event_kind)rng_below(r, 5);
        uint32_t count = (uint32_t)rng_below(r, 30);
        add_event(&sc, k, t, dur, count, (enum scn_stall_mode)rng_below(r, 2));
        t += dur;
    }
    return sc;
}

static void test_counts_add_up_random(void)
{
    struct rng r;
    rng_seed(&r, 2024);
    for (int i = 0; i < 40; i++) {
        struct scn_scenario sc = random_scenario(&r);
        struct sched s;
        build(&sc, &s);
        CU_ASSERT_EQUAL(check_invariants(&s), 0);
        uint64_t bursts = 0, corrupt = 0;
        for (size_t e = 0; e < sc.device.n_events; e++) {
            bursts += sc.device.events[e].kind == SCN_EV_BURST ? sc.device.events[e].count : 0;
            corrupt += sc.device.events[e].kind == SCN_EV_CORRUPT ? sc.device.events[e].count : 0;
        }
        CU_ASSERT_EQUAL(s.burst, bursts);
        CU_ASSERT(s.corrupt <= corrupt);
        sched_free(&s);
    }
}

static void test_window_at(void)
{
    struct scn_scenario sc = base(1000);
    add_event(&sc, SCN_EV_DISCONNECT, 700, 100, 0, 0); /* listed out of order */
    add_event(&sc, SCN_EV_BURST, 150, 0, 3, 0);
    add_event(&sc, SCN_EV_HALT, 100, 50, 0, 0);
    add_event(&sc, SCN_EV_STALL, 300, 0, 0, SCN_STALL_DROP); /* zero length: covers nothing */
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n_windows, 3);
    CU_ASSERT(s.windows[0].kind == SCHED_W_HALT && s.windows[0].start_ns == 100 * MS &&
              s.windows[0].end_ns == 150 * MS);
    CU_ASSERT_EQUAL(s.windows[1].kind, SCHED_W_STALL_DROP);
    CU_ASSERT(s.windows[2].kind == SCHED_W_DISCONNECT && s.windows[2].end_ns == 800 * MS);
    CU_ASSERT_EQUAL(sched_window_at(&s, 100 * MS - 1), -1);
    CU_ASSERT_EQUAL(sched_window_at(&s, 100 * MS), 0);
    CU_ASSERT_EQUAL(sched_window_at(&s, 150 * MS - 1), 0);
    CU_ASSERT_EQUAL(sched_window_at(&s, 150 * MS), -1);
    CU_ASSERT_EQUAL(sched_window_at(&s, 300 * MS), -1);
    CU_ASSERT_EQUAL(sched_window_at(&s, 750 * MS), 2);
    CU_ASSERT_EQUAL(sched_window_at(&s, 800 * MS), -1);
    CU_ASSERT_EQUAL(sched_window_at(&s, INT64_MIN), -1);
    CU_ASSERT_EQUAL(sched_window_at(&s, INT64_MAX), -1);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    sched_free(&s);
}

static void test_refusals(void)
{
    char err[SCN_ERR_MAX];
    struct sched s;
    struct scn_scenario sc = base(100000000); /* 1e8 ms at 1 us per sample: 1e11 samples */
    sc.device.period_ns = 1000;
    err[0] = '\0';
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "limit"));
    CU_ASSERT_PTR_NULL(s.samples);
    sc = base(1000);
    add_event(&sc, SCN_EV_BURST, 0, 0, SCHED_MAX_SAMPLES, 0); /* 100 + the limit */
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    sc = base(1000);
    add_event(&sc, SCN_EV_STALL, 100, 100, 0, SCN_STALL_HOLD);
    add_event(&sc, SCN_EV_HALT, 150, 10, 0, 0);
    err[0] = '\0';
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "overlap"));
    sc = base(1000);
    sc.device.period_ns = 0;
    err[0] = '\0';
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    CU_ASSERT_NOT_EQUAL(err[0], '\0');
}

/* Prints into memory; returns the text (free it) and its line count. */
static char *print_plan(const struct sched *s, int csv, int *lines)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(sched_print(s, f, csv), 0);
    fclose(f);
    *lines = 0;
    for (size_t i = 0; i < len; i++)
        *lines += text[i] == '\n';
    return text;
}

static void test_print(void)
{
    struct scn_scenario sc = base(100);
    add_event(&sc, SCN_EV_STALL, 20, 20, 0, SCN_STALL_HOLD);
    add_event(&sc, SCN_EV_BURST, 55, 0, 1, 0);
    struct sched s;
    build(&sc, &s);
    int lines;
    char *csv = print_plan(&s, 1, &lines);
    CU_ASSERT_EQUAL(lines, (int)s.n + 2);
    CU_ASSERT_EQUAL(strncmp(csv, "seq,due_us,send_us,fate,drop,flags\n0,0.000,0.000,sent,none,-\n",
                            61), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(csv, "\n2,20000.000,40000.000,held,none,after_gap\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(csv, "\n6,55000.000,55000.000,sent,none,burst\n"));
    char *summary = strstr(csv, "\n# produced 11 sent 9 held 2 dropped 0 ");
    CU_ASSERT_PTR_NOT_NULL(summary);
    free(csv);

    char *table = print_plan(&s, 0, &lines);
    CU_ASSERT_EQUAL(lines, (int)s.n + 2);
    int aligned = 0; /* the fate column starts at the same place on every row */
    for (char *line = table; *line != '#'; line = strchr(line, '\n') + 1)
        aligned += line[40] == ' ' && line[41] != ' ';
    CU_ASSERT_EQUAL(aligned, (int)s.n + 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(table, "\n# produced 11 "));
    free(table);
    sched_free(&s);

    CU_ASSERT_STRING_EQUAL(sched_fate_name(SCHED_HELD), "held");
    CU_ASSERT_STRING_EQUAL(sched_drop_name(SCHED_DROP_FIFO), "fifo");
    CU_ASSERT_STRING_EQUAL(sched_drop_name((enum sched_drop)42), "?");
}

static CU_TestInfo tests[] = {
    {"steady 1 s", test_steady},
    {"deterministic", test_deterministic},
    {"mean period exact over 10^5 samples", test_mean_period_exact},
    {"jitter never drifts or goes back", test_jitter_no_drift},
    {"hold stall and FIFO overflow", test_hold_stall_fifo_overflow},
    {"drop stall", test_drop_stall},
    {"halt", test_halt},
    {"disconnect", test_disconnect},
    {"burst numbering", test_burst_numbering},
    {"corrupt flags", test_corrupt},
    {"counts add up on random scenarios", test_counts_add_up_random},
    {"window lookup", test_window_at},
    {"refusals", test_refusals},
    {"printed plan", test_print},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("schedule", tests);
}

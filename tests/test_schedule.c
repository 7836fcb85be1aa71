/* Tests for sim/schedule: the steady timeline, determinism, jitter without drift, every gate
 * (hold stall with FIFO overflow, drop stall, halt, disconnect), burst numbering, corruption,
 * the counts adding up on random scenarios, window lookup, refusals and the printed plan; framing
 * raw: the generators' bytes (sched_payload), and replay (recordings written to a temporary
 * folder): recorded times and bytes, loop, time scale, events on top, refusals. */
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


/* ---- framing raw: generators ---- */

static struct scn_scenario raw_gen(enum scn_generator g, uint32_t size, int64_t duration_ms)
{
    struct scn_scenario sc = base(duration_ms);
    sc.device.framing = SCN_FRAMING_RAW;
    sc.device.has_framing = true;
    sc.device.payload.generator = g;
    sc.device.payload.has_generator = true;
    sc.device.packet_size = size;
    return sc;
}

static void test_generator_counter(void)
{
    struct scn_scenario sc = raw_gen(SCN_GEN_COUNTER, 10, 700);
    sc.device.period_ns = 10000; /* 10 us: 70000 samples, seq 0x010203 among them */
    add_event(&sc, SCN_EV_BURST, 300, 0, 2, 0);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.raw, 1);
    CU_ASSERT_EQUAL(s.max_len, 10);
    uint8_t b[16];
    memset(b, 0xee, sizeof b);
    CU_ASSERT_EQUAL(sched_payload(&s, 0x010203, b, sizeof b), 10);
    const uint8_t want[16] = {0x03, 0x02, 0x01, 0x00, 0x03, 0x02, 0x01, 0x00, 0x03, 0x02,
                              0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
    CU_ASSERT_EQUAL(memcmp(b, want, sizeof b), 0);
    CU_ASSERT_EQUAL(sched_payload(&s, 5, b, 3), 10); /* the full length; 3 bytes written */
    CU_ASSERT(b[0] == 5 && b[1] == 0 && b[2] == 0 && b[3] == 0x00);
    CU_ASSERT_EQUAL(sched_payload(&s, 7, NULL, 0), 10);
    /* a burst's packets carry their own seq */
    size_t burst = 0;
    while (burst < s.n && !(s.samples[burst].flags & PKT_F_BURST))
        burst++;
    CU_ASSERT_FATAL(burst < s.n);
    CU_ASSERT_EQUAL(sched_payload(&s, (uint32_t)burst, b, sizeof b), 10);
    CU_ASSERT(b[0] == (uint8_t)burst && b[1] == (uint8_t)(burst >> 8) &&
              b[2] == (uint8_t)(burst >> 16) && b[4] == (uint8_t)burst);
    CU_ASSERT_EQUAL(sched_payload(&s, (uint32_t)s.n, b, sizeof b), 0); /* not in the plan */
    sched_free(&s);
    /* seq 0x01020304 is past the largest plan (SCHED_MAX_SAMPLES): not in any plan */
    CU_ASSERT(0x01020304u > SCHED_MAX_SAMPLES);
}

static void test_generator_random(void)
{
    struct scn_scenario sc = raw_gen(SCN_GEN_RANDOM, 100, 100);
    sc.seed = 42;
    struct sched a, b, c;
    build(&sc, &a);
    build(&sc, &b);
    sc.seed = 43;
    build(&sc, &c);
    uint8_t x[100], y[100], z[100], w[100];
    CU_ASSERT_EQUAL(sched_payload(&a, 3, x, sizeof x), 100);
    CU_ASSERT_EQUAL(sched_payload(&b, 3, y, sizeof y), 100);
    CU_ASSERT_EQUAL(sched_payload(&c, 3, z, sizeof z), 100);
    CU_ASSERT_EQUAL(memcmp(x, y, sizeof x), 0);   /* deterministic */
    CU_ASSERT_NOT_EQUAL(memcmp(x, z, sizeof x), 0); /* the seed changes it */
    pkt_payload(42, 3, w, sizeof w);                 /* packet.h's payload bytes */
    CU_ASSERT_EQUAL(memcmp(x, w, sizeof x), 0);
    CU_ASSERT_EQUAL(sched_payload(&a, 4, y, sizeof y), 100);
    CU_ASSERT_NOT_EQUAL(memcmp(x, y, sizeof x), 0); /* and the seq */
    CU_ASSERT_EQUAL(sched_payload(&a, 3, y, 5), 100); /* a prefix when cut */
    CU_ASSERT_EQUAL(memcmp(x, y, 5), 0);
    sched_free(&a);
    sched_free(&b);
    sched_free(&c);
}

static void test_generator_pattern(void)
{
    struct scn_scenario sc = raw_gen(SCN_GEN_PATTERN, 8, 100);
    const uint8_t pat[3] = {0xaa, 0x00, 0x04};
    CU_ASSERT_FATAL(scn_bytes_add(&sc, &sc.device.payload.pattern, pat, sizeof pat) == 0);
    struct sched s;
    build(&sc, &s);
    sc.device.payload.pattern.off = 0; /* the plan keeps its own copy */
    memset(sc.device.bytes, 0, sizeof sc.device.bytes);
    uint8_t b[8];
    const uint8_t want[8] = {0xaa, 0x00, 0x04, 0xaa, 0x00, 0x04, 0xaa, 0x00};
    for (uint32_t seq = 0; seq < s.n; seq++) {
        CU_ASSERT_EQUAL(sched_payload(&s, seq, b, sizeof b), 8);
        CU_ASSERT_EQUAL(memcmp(b, want, sizeof b), 0);
    }
    sched_free(&s);
    /* usbsim framing: the bytes are pkt_encode's */
    sc = base(100);
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.raw, 0);
    CU_ASSERT_EQUAL(s.max_len, 112);
    CU_ASSERT_EQUAL(sched_payload(&s, 0, b, sizeof b), 0);
    sched_free(&s);
}

/* ---- framing raw: replay ---- */

static char rec_dir[64];

/* Writes text to rec_dir/name. */
static void put_file(const char *name, const char *text)
{
    char path[160];
    cu_write_file(rec_dir, name, text, path, sizeof path);
}

/* A replay of rec_dir/name by a scenario file in rec_dir. */
static struct scn_scenario replay_of(const char *name, int64_t duration_ms, int loop)
{
    struct scn_scenario sc = base(duration_ms);
    snprintf(sc.file, sizeof sc.file, "%s/s.yaml", rec_dir);
    snprintf(sc.device.replay.file, sizeof sc.device.replay.file, "%s", name);
    sc.device.replay.loop = (uint8_t)loop;
    sc.device.replay.has_loop = true;
    sc.device.framing = SCN_FRAMING_RAW;
    sc.device.has_framing = true;
    return sc;
}

/* Three stream packets (2, 3 and 0 bytes) and one of another endpoint. */
static const char *const rec3 = "# usbsim recording 1\n"
                                "1000 0x81 0102\n"
                                "2000 0x82 ffff\n"
                                "4000 0x81 030405\n"
                                "7000 0x81 -\n";

static int setup_recs(void)
{
    snprintf(rec_dir, sizeof rec_dir, "/tmp/usbsim-sched-XXXXXX");
    return mkdtemp(rec_dir) ? 0 : -1;
}

static void test_replay_times_and_bytes(void)
{
    put_file("three.rec", rec3);
    struct scn_scenario sc = replay_of("three.rec", 100, 0);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 3); /* 0x82's packet is not played */
    CU_ASSERT_EQUAL(s.raw, 1);
    CU_ASSERT_EQUAL(s.max_len, 3);
    const int64_t t[3] = {1000, 4000, 7000};
    const size_t len[3] = {2, 3, 0};
    for (size_t k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL(s.samples[k].due_ns, t[k] * 1000);
        CU_ASSERT_EQUAL(s.samples[k].fate, SCHED_SENT);
        CU_ASSERT_EQUAL(sched_payload(&s, (uint32_t)k, NULL, 0), len[k]);
    }
    uint8_t b[8] = {0};
    CU_ASSERT_EQUAL(sched_payload(&s, 1, b, sizeof b), 3);
    CU_ASSERT(b[0] == 3 && b[1] == 4 && b[2] == 5);
    CU_ASSERT_EQUAL(sched_payload(&s, 1, b, 1), 3);
    CU_ASSERT_EQUAL(sched_payload(&s, 3, b, sizeof b), 0);
    CU_ASSERT_EQUAL(s.end_ns, 100 * MS);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    int lines;
    char *csv = print_plan(&s, 1, &lines); /* raw: a len column */
    CU_ASSERT_EQUAL(strncmp(csv, "seq,due_us,send_us,fate,drop,flags,len\n"
                                 "0,1000.000,1000.000,sent,none,-,2\n", 73), 0);
    free(csv);
    sched_free(&s);
    /* the duration cuts it: nominal times before it */
    sc.duration_ns = 7 * MS;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.n, 2);
    sched_free(&s);
    /* time scale 2: every recorded time halved */
    sc = replay_of("three.rec", 100, 0);
    scn_time_scale(&sc, 2);
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    for (size_t k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(s.samples[k].due_ns, t[k] * 500);
    CU_ASSERT_EQUAL(s.end_ns, 50 * MS);
    sched_free(&s);
    /* an absolute path as is; a scenario without a file: the path as given */
    char abs[128];
    snprintf(abs, sizeof abs, "%s/three.rec", rec_dir);
    sc = replay_of(abs, 100, 0);
    sc.file[0] = '\0';
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.n, 3);
    sched_free(&s);
}

static void test_replay_loop(void)
{
    put_file("three.rec", rec3);
    /* stream packets at 1, 4, 7 ms: span 6 ms, mean interval 3 ms, a round of 9 ms */
    struct scn_scenario sc = replay_of("three.rec", 30, 1);
    struct sched s;
    build(&sc, &s);
    const int64_t want[] = {1, 4, 7, 10, 13, 16, 19, 22, 25, 28};
    CU_ASSERT_EQUAL_FATAL(s.n, sizeof want / sizeof want[0]);
    for (size_t k = 0; k < s.n; k++) {
        CU_ASSERT_EQUAL(s.samples[k].due_ns, want[k] * MS);
        CU_ASSERT_EQUAL(sched_payload(&s, (uint32_t)k, NULL, 0), (size_t)(k % 3 == 0   ? 2
                                                                         : k % 3 == 1 ? 3
                                                                                      : 0));
    }
    sched_free(&s);
    /* at time scale 2 */
    scn_time_scale(&sc, 2);
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, sizeof want / sizeof want[0]);
    for (size_t k = 0; k < s.n; k++)
        CU_ASSERT_EQUAL(s.samples[k].due_ns, want[k] * MS / 2);
    sched_free(&s);
    /* one packet: a round is one period (10 ms by default) */
    put_file("one.rec", "# usbsim recording 1\n0 0x81 aa\n");
    sc = replay_of("one.rec", 35, 1);
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    for (size_t k = 0; k < s.n; k++)
        CU_ASSERT_EQUAL(s.samples[k].due_ns, (int64_t)k * 10 * MS);
    sched_free(&s);
    sc.device.replay.loop = 0;
    build(&sc, &s);
    CU_ASSERT_EQUAL(s.n, 1); /* without loop: once */
    sched_free(&s);
}

static void test_replay_with_events(void)
{
    put_file("ten.rec", "# usbsim recording 1\n0 0x81 00\n10000 0x81 0101\n20000 0x81 020202\n"
                        "30000 0x81 03\n40000 0x81 04\n50000 0x81 05\n60000 0x81 06\n"
                        "70000 0x81 07\n80000 0x81 08\n90000 0x81 09\n");
    struct scn_scenario sc = replay_of("ten.rec", 100, 0);
    sc.seed = 9;
    sc.device.jitter = (struct scn_dist){.kind = SCN_DIST_UNIFORM, .max_ns = 2 * MS};
    add_event(&sc, SCN_EV_STALL, 35, 20, 0, SCN_STALL_HOLD); /* 40, 50 held to 55 */
    add_event(&sc, SCN_EV_BURST, 25, 0, 2, 0);              /* after 20 (its bytes) */
    add_event(&sc, SCN_EV_CORRUPT, 75, 0, 1, 0);
    struct sched s;
    build(&sc, &s);
    CU_ASSERT_EQUAL_FATAL(s.n, 12);
    CU_ASSERT_EQUAL(check_invariants(&s), 0);
    /* the jitter: the same draws as a synthetic plan, on the recorded times */
    struct rng r;
    rng_seed(&r, rng_derive(9, RNG_TAG_JITTER));
    int64_t prev = INT64_MIN;
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++) {
        const struct sched_sample *x = &s.samples[i];
        if (x->flags & PKT_F_BURST) {
            CU_ASSERT_EQUAL(x->due_ns, 25 * MS);
            uint8_t b[4];
            CU_ASSERT_EQUAL(sched_payload(&s, x->seq, b, sizeof b), 3); /* a copy of 02 02 02 */
            CU_ASSERT(b[0] == 2 && b[2] == 2);
            continue;
        }
        int64_t due = (int64_t)k * 10 * MS + rng_dist_ns(&r, &sc.device.jitter);
        due = prev = due < prev ? prev : due;
        CU_ASSERT_EQUAL(x->due_ns, due);
        uint8_t b[4];
        CU_ASSERT_EQUAL(sched_payload(&s, x->seq, b, sizeof b), k == 1 ? 2 : k == 2 ? 3 : 1);
        CU_ASSERT_EQUAL(b[0], (uint8_t)k);
        k++;
    }
    CU_ASSERT_EQUAL(k, 10);
    CU_ASSERT_EQUAL(s.burst, 2);
    CU_ASSERT_EQUAL(s.held, 2);
    CU_ASSERT_EQUAL(s.samples[6].fate, SCHED_HELD); /* 0, 10, 20, b, b, 30, 40 */
    CU_ASSERT_EQUAL(s.samples[6].send_ns, 55 * MS);
    CU_ASSERT_EQUAL(s.corrupt, 1);
    CU_ASSERT(s.samples[10].flags & PKT_F_CORRUPT); /* the first to leave at or after 75 ms: 80 */
    sched_free(&s);
}

static void test_replay_refusals(void)
{
    char err[SCN_ERR_MAX], want[SCN_ERR_MAX];
    struct sched s;
    put_file("empty.rec", "# usbsim recording 1\n# nothing\n");
    struct scn_scenario sc = replay_of("empty.rec", 100, 0);
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    snprintf(want, sizeof want, "%s/empty.rec: the recording has no packet; allowed: a recording "
             "with packets on the stream endpoint 0x81", rec_dir);
    CU_ASSERT_STRING_EQUAL(err, want);
    CU_ASSERT_PTR_NULL(s.samples);
    CU_ASSERT_PTR_NULL(s.rec);

    put_file("other.rec", "# usbsim recording 1\n0 0x82 01\n");
    sc = replay_of("other.rec", 100, 0);
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    snprintf(want, sizeof want, "%s/other.rec: no packet on the stream endpoint 0x81; allowed: a "
             "recording with packets on it (the other endpoints' packets play on those endpoints)", rec_dir);
    CU_ASSERT_STRING_EQUAL(err, want);

    char big[2 * 1025 + 64];
    int n = snprintf(big, sizeof big, "# usbsim recording 1\n0 0x81 01\n5 0x81 ");
    for (int i = 0; i < 1025; i++)
        n += snprintf(big + n, sizeof big - (size_t)n, "ab");
    snprintf(big + n, sizeof big - (size_t)n, "\n");
    put_file("big.rec", big);
    sc = replay_of("big.rec", 100, 0);
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    snprintf(want, sizeof want, "%s/big.rec: packet 2 (at 5 us) on the stream endpoint 0x81 is "
             "1025 bytes; allowed: at most 1024 bytes a packet", rec_dir);
    CU_ASSERT_STRING_EQUAL(err, want);

    sc = replay_of("missing.rec", 100, 0);
    err[0] = '\0';
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing.rec"));

    put_file("one.rec", "# usbsim recording 1\n0 0x81 aa\n");
    sc = replay_of("one.rec", 3600000, 1); /* a packet every 100 us for an hour: 3.6e7 */
    sc.device.period_ns = 100000;
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    CU_ASSERT_STRING_EQUAL(err, "the plan has more than 10000000 samples (the recording played in "
                           "a loop for duration_ms, plus burst packets); allowed: at most "
                           "10000000: shorten duration_ms or set loop: false");
    CU_ASSERT_PTR_NULL(s.samples);

    sc = replay_of("one.rec", 100, 0);
    sc.device.framing = SCN_FRAMING_USBSIM;
    CU_ASSERT_EQUAL(sched_build(&sc, &s, err), -1);
    CU_ASSERT_STRING_EQUAL(err, "replay with framing usbsim; allowed: replay with framing raw");
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
    {"raw: the counter generator's bytes", test_generator_counter},
    {"raw: the random generator, deterministic and seeded", test_generator_random},
    {"raw: the pattern generator; usbsim framing has no bytes here", test_generator_pattern},
    {"replay: recorded times and bytes, duration, time scale, paths", test_replay_times_and_bytes},
    {"replay: loop, at time scale 2, a one-packet recording", test_replay_loop},
    {"replay: jitter, stall, burst and corrupt on top", test_replay_with_events},
    {"replay: refusals with one clear line", test_replay_refusals},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    if (setup_recs() != 0)
        return 1;
    int rc = cu_main("schedule", tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", rec_dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}

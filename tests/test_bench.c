/* Tests for the benches' parts (harness/bench_stats, bench_xfer, bench_anchor, bench_floor,
 * bench_ring): each path runs, moves every packet, and reports well-formed JSON. Small counts;
 * no figure is judged (speed is `usbsim bench`'s business, not a unit test's). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench_anchor.h"
#include "harness/bench_floor.h"
#include "harness/bench_scale.h"
#include "harness/bench_stats.h"
#include "harness/bench_xfer.h"
#include "harness/cli.h"
#include "tests/cu.h"

static void test_stats(void)
{
    struct bstat s = {0};
    CU_ASSERT_EQUAL(bstat_median(&s), 0);
    double v[] = {5, 1, 4, 2, 3};
    for (int i = 0; i < 5; i++)
        bstat_add(&s, v[i]);
    CU_ASSERT_EQUAL(bstat_median(&s), 3);
    CU_ASSERT_EQUAL(bstat_min(&s), 1);
    CU_ASSERT_EQUAL(bstat_max(&s), 5);
    CU_ASSERT_EQUAL(bstat_quartile(&s, 0.25), 2);
    CU_ASSERT_EQUAL(bstat_quartile(&s, 0.75), 4);
    CU_ASSERT_EQUAL(s.v[0], 5); /* the runs keep their order */
    bstat_add(&s, 6);
    CU_ASSERT_EQUAL(bstat_median(&s), 3.5);
    char buf[64];
    CU_ASSERT_STRING_EQUAL(bstat_str(&s, "%.1f", buf, sizeof buf), "3.5 (1.0..6.0)");
    json_t *j = bstat_json(&s);
    CU_ASSERT_EQUAL(json_real_value(json_object_get(j, "median")), 3.5);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "runs")), 6);
    json_decref(j);
    double w[100];
    for (int i = 0; i < 100; i++)
        w[i] = 100 - i;
    struct bstat_pct p = bstat_pct_of(w, 100);
    CU_ASSERT_EQUAL(p.p50, 51);
    CU_ASSERT_EQUAL(p.p99, 99);
    CU_ASSERT_EQUAL(p.max, 100);
}

/* bench scale's point over its runs: medians, min..max, and the majority verdicts. */
static void test_scale_merge(void)
{
    static struct bench_scale_point p;
    memset(&p, 0, sizeof p);
    const double dev[] = {30, 10, 20}, p99[] = {100, 900, 300};
    const uint64_t lost[] = {0, 7, 0};
    for (int k = 0; k < 3; k++) {
        p.run[k] = (struct brun_fig){.pass = lost[k] == 0, .produced = 1000, .delivered = 1000 - lost[k],
                                     .lost = lost[k], .rate_hz = 1000 - (double)lost[k]};
        p.run[k].cpu_us_pp[BRUN_DEVICE] = dev[k];
        p.run[k].latency_us[BRUN_P99] = p99[k];
        p.run_sustained[k] = lost[k] == 0;
    }
    p.runs = 3;
    bench_scale_merge(&p);
    CU_ASSERT_EQUAL(p.f.cpu_us_pp[BRUN_DEVICE], 20);
    CU_ASSERT_EQUAL(p.lo.cpu_us_pp[BRUN_DEVICE], 10);
    CU_ASSERT_EQUAL(p.hi.cpu_us_pp[BRUN_DEVICE], 30);
    CU_ASSERT_EQUAL(p.f.latency_us[BRUN_P99], 300);
    CU_ASSERT_EQUAL(p.hi.latency_us[BRUN_P99], 900);
    CU_ASSERT_EQUAL(p.f.lost, 0);
    CU_ASSERT_EQUAL(p.hi.lost, 7);
    CU_ASSERT_EQUAL(p.f.delivered, 1000);
    CU_ASSERT_EQUAL(p.lo.delivered, 993);
    CU_ASSERT_EQUAL(p.runs_sustained, 2);
    CU_ASSERT_EQUAL(p.runs_lost, 1);
    CU_ASSERT_TRUE(p.sustained); /* two of three */
    CU_ASSERT_TRUE(p.f.pass);
    p.run_sustained[2] = 0, p.run[2].lost = 1, p.run[2].delivered = 999, p.run[2].pass = 0; /* now two of three lost */
    bench_scale_merge(&p);
    CU_ASSERT_FALSE(p.sustained);
    CU_ASSERT_FALSE(p.f.pass);
    CU_ASSERT_EQUAL(p.runs_lost, 2);
    CU_ASSERT_EQUAL(p.f.lost, 1); /* the run with the median loss: 0, 1, 7 */
    CU_ASSERT_EQUAL(p.f.delivered + p.f.lost, p.f.produced);
    p.runs = 2; /* an even count: half is not more than half; the median is the middle mean */
    p.run_sustained[1] = 0;
    bench_scale_merge(&p);
    CU_ASSERT_FALSE(p.sustained);
    CU_ASSERT_EQUAL(p.f.cpu_us_pp[BRUN_DEVICE], 20);
    CU_ASSERT_EQUAL(p.f.lost, 0); /* the lower of the two middle losses: the counts add up */
    CU_ASSERT_EQUAL(p.f.delivered, 1000);
    p.runs = 1;
    bench_scale_merge(&p);
    CU_ASSERT_TRUE(p.sustained);
    CU_ASSERT_EQUAL(p.lo.cpu_us_pp[BRUN_DEVICE], 30);
    CU_ASSERT_EQUAL(p.hi.cpu_us_pp[BRUN_DEVICE], 30);
}

/* The floor's reader counts every wake-up even when several arrive in one read (it was late by
 * more than a period): it ends, with one latency per wake-up. */
static void test_floor_coalesced(void)
{
    struct bfloor_wake *w = bfloor_wake_start(4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (int i = 0; i < 4; i++) /* back to back: the reader finds several in one read */
        CU_ASSERT_EQUAL(bfloor_wake_ring(w), 0);
    CU_ASSERT_EQUAL(bfloor_wake_ring(w), -1); /* more than n */
    struct bstat_pct fl;
    CU_ASSERT_EQUAL(bfloor_wake_finish(w, &fl), 0);
    CU_ASSERT(fl.max >= fl.p50);
}

/* Runs n packets through ops; every packet arrives, in order, intact. */
static void moves_all(const struct bxfer_ops *ops, enum usbsim_doorbell_mode mode, uint32_t batch,
                      uint64_t n, int64_t period)
{
    struct bxfer x = {.mode = mode, .batch = batch, .n = n, .period_ns = period, .sock = {-1, -1}};
    struct bxfer_sample s;
    int rc = bxfer_measure(ops, &x, &s);
    if (rc != 0)
        printf("\n%s batch %u: rc %d\n", ops->name, batch, rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x.sh);
    CU_ASSERT_EQUAL(x.sh->got, n);
    CU_ASSERT_EQUAL(x.sh->bad, 0);
    CU_ASSERT(s.mpps > 0);
    CU_ASSERT_EQUAL(x.sh->nlat, period ? n : 0);
    bxfer_release(&x);
}

static void test_transports(void)
{
    const enum usbsim_doorbell_mode SUP = USBSIM_DOORBELL_SUPPRESSED;
    moves_all(&bxfer_ring_ops, SUP, 32, 20000, 0);
    moves_all(&bxfer_ring_ops, SUP, 1, 20000, 0);
    moves_all(&bxfer_ring_ops, USBSIM_DOORBELL_ALWAYS, 1, 2000, 0);
    moves_all(&banchor_rte, SUP, 32, 20000, 0);
    moves_all(&banchor_rte, SUP, 1, 3000, 0);
    moves_all(&banchor_ck, SUP, 1, 20000, 0);
    moves_all(&banchor_sock, SUP, 1, 2000, 0);
    moves_all(&banchor_copy, SUP, 32, 20000 + 7, 0); /* not a whole number of halves */
}

static void test_paced(void)
{
    moves_all(&bxfer_ring_ops, USBSIM_DOORBELL_SUPPRESSED, 1, 20, 1000000);
    moves_all(&banchor_ck, USBSIM_DOORBELL_SUPPRESSED, 1, 20, 1000000);
}

static void test_floors(void)
{
    struct bstat_pct p;
    CU_ASSERT_EQUAL(bfloor_eventfd(20, 1000000, &p), 0);
    CU_ASSERT(p.p50 > 0 && p.p50 <= p.p99 && p.p99 <= p.max);
    CU_ASSERT_EQUAL(bfloor_timer(20, 1000000, &p), 0);
    CU_ASSERT(p.p50 <= p.p99 && p.p99 <= p.max);
    CU_ASSERT_EQUAL(bfloor_eventfd(0, 1000000, &p), -1);
}

/* Runs `usbsim ARGS...` in this process; its standard output, parsed as JSON, into *out. */
static int cli_json(json_t **out, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    char name[] = "/tmp/test_bench_out.XXXXXX";
    int fd = mkstemp(name);
    CU_ASSERT_FATAL(fd >= 0);
    fflush(stdout);
    int so = dup(1);
    dup2(fd, 1);
    int rc = cli_main(argc, argv);
    fflush(stdout);
    dup2(so, 1);
    close(so);
    close(fd);
    json_error_t err;
    *out = json_load_file(name, 0, &err);
    if (!*out)
        printf("\n%s: %s (line %d)\n", name, err.text, err.line);
    unlink(name);
    return rc;
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    CU_ASSERT(json_is_number(v));
    if (!json_is_number(v))
        printf("\nmissing or not a number: %s\n", key);
    return json_number_value(v);
}

static void test_bench_ring_json(void)
{
    json_t *o;
    char *argv[] = {"usbsim", "bench", "ring", "--json", "--runs", "1", "--packets", "500", NULL};
    CU_ASSERT_EQUAL(cli_json(&o, argv), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    const char *ratios[] = {"ratio_vs_ck_ring_batch1", "ratio_vs_rte_ring", "ratio_vs_socket",
                            "ratio_vs_ck_ring", "ratio_wake_p99_vs_floor", "ratio_ns_vs_copy_limit"};
    for (size_t i = 0; i < sizeof ratios / sizeof ratios[0]; i++) {
        CU_ASSERT(num(o, ratios[i]) > 0);
        json_t *sp = json_object_get(json_object_get(o, "spread"), ratios[i]);
        CU_ASSERT(json_is_object(sp));
        CU_ASSERT(num(sp, "min") <= num(sp, "median") && num(sp, "median") <= num(sp, "max"));
    }
    const char *figs[] = {"ring_mpps", "rte_ring_mpps", "ring_batch1_mpps", "ck_ring_mpps", "socket_mpps",
                          "ns_per_packet", "copy_limit_ns_per_packet", "ring_always_mpps"};
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++)
        CU_ASSERT(num(o, figs[i]) > 0);
    const char *pcts[] = {"latency_us_100hz", "wake_floor_us"};
    for (int i = 0; i < 2; i++) {
        json_t *p = json_object_get(o, pcts[i]);
        CU_ASSERT(num(p, "p50") > 0 && num(p, "p50") <= num(p, "p99") && num(p, "p99") <= num(p, "max"));
    }
    CU_ASSERT_EQUAL(json_object_size(json_object_get(o, "goals")), 4);
    CU_ASSERT_EQUAL(num(o, "failures"), 0);
    json_decref(o);
}

static void test_bench_e2e_json(void)
{
    json_t *o;
    char *argv[] = {"usbsim", "bench", "e2e", "--json", "--runs", "1", "--seconds", "1", NULL};
    CU_ASSERT_EQUAL(cli_json(&o, argv), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    json_t *modes[] = {o, json_object_get(o, "precise"), json_object_get(o, "baseline")};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(modes[i]);
        json_t *pe = json_object_get(modes[i], "period_error_us");
        CU_ASSERT(num(pe, "p50") <= num(pe, "p99") && num(pe, "p99") <= num(pe, "max"));
        CU_ASSERT(num(json_object_get(modes[i], "cpu_percent"), "device") > 0);
        CU_ASSERT(num(modes[i], "cpu_percent_total") > 0);
        CU_ASSERT_EQUAL(num(modes[i], "failed_runs"), 0);
    }
    CU_ASSERT(num(json_object_get(o, "timer_floor_us"), "p99") >= 0);
    CU_ASSERT(num(o, "ratio_period_p99_timer_vs_precise") > 0);
    CU_ASSERT(json_is_boolean(json_object_get(o, "precise_period_p99_le_20us")));
    json_decref(o);
}

static void test_bench_scale_json(void)
{
    json_t *o;
    char html[] = "/tmp/test_bench_scale.XXXXXX";
    int fd = mkstemp(html);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char *argv[] = {"usbsim", "bench", "scale", "--json", "--seconds", "1", "--max-rate", "15152",
                    "--runs", "2", "--html", html, NULL};
    int rc = cli_json(&o, argv);
    CU_ASSERT(rc == 0 || rc == 1); /* 1: a fixed point lost packets (a busy machine) */
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    json_t *pts = json_object_get(o, "points");
    CU_ASSERT_EQUAL(json_array_size(pts), 6);
    const double rate[] = {100, 1000, 4000, 8000, 10000, 10000};
    for (size_t i = 0; i < json_array_size(pts); i++) {
        json_t *p = json_array_get(pts, i);
        CU_ASSERT_DOUBLE_EQUAL(num(p, "rate_hz_target"), rate[i], 1);
        CU_ASSERT_EQUAL(num(p, "packet_bytes"), i == 5 ? 1024 : 112);
        CU_ASSERT_DOUBLE_EQUAL(num(p, "produced"), rate[i], 1); /* one second */
        CU_ASSERT_EQUAL(num(p, "delivered") + num(p, "lost"), num(p, "produced"));
        CU_ASSERT(num(json_object_get(p, "cpu_us_per_packet"), "device") > 0);
        CU_ASSERT(num(json_object_get(p, "latency_us"), "p50") > 0);
        CU_ASSERT(json_is_object(json_object_get(p, "period_error_us")));
        CU_ASSERT_EQUAL(num(p, "runs"), 2);
        CU_ASSERT(num(p, "runs_sustained") <= 2);
        json_t *sp = json_object_get(json_object_get(p, "spread"), "cpu_us_per_packet.device");
        CU_ASSERT(num(sp, "min") <= num(sp, "median") && num(sp, "median") <= num(sp, "max"));
    }
    CU_ASSERT_EQUAL(num(o, "runs_per_point"), 2);
    CU_ASSERT(json_is_object(json_object_get(json_object_get(o, "spread"),
                                             "ratio_cpu_per_packet_10000_vs_100")));
    CU_ASSERT(json_array_size(json_object_get(o, "ramp")) <= 1); /* 15152/s at most */
    CU_ASSERT(json_is_object(json_object_get(o, "max_rate_no_loss")));
    CU_ASSERT(num(o, "ratio_cpu_per_packet_10000_vs_100") > 0);
    json_decref(o);
    FILE *f = fopen(html, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char page[65536];
    size_t len = fread(page, 1, sizeof page - 1, f);
    page[len] = 0;
    fclose(f);
    unlink(html);
    int svgs = 0;
    for (const char *s = page; (s = strstr(s, "<svg")); s++)
        svgs++;
    CU_ASSERT_EQUAL(svgs, 3);
    CU_ASSERT(strstr(page, "</html>") != NULL);
    CU_ASSERT(strstr(page, "<script") == NULL);
}

/* make bench's comparison script (python3, standard library): its own check of the rule. */
static void test_compare_script(void)
{
    CU_ASSERT_EQUAL(system("python3 bench/compare.py --self-test >/dev/null"), 0);
}

static CU_TestInfo tests[] = {
    {"statistics: median, spread, quantiles", test_stats},
    {"bench scale: a point's runs merged into medians and min..max", test_scale_merge},
    {"the floor's reader counts wake-ups that arrive together", test_floor_coalesced},
    {"every transport moves every packet", test_transports},
    {"paced transfers record each latency", test_paced},
    {"the eventfd and timer floors run", test_floors},
    {"bench ring --json: every figure, spread and goal", test_bench_ring_json},
    {"bench e2e --json: timer, precise and always, each judged", test_bench_e2e_json},
    {"bench scale --json --html: every point, the ramp, the page", test_bench_scale_json},
    {"bench/compare.py: same passes, worse beyond the spread fails", test_compare_script},
    CU_TEST_INFO_NULL};

int main(void)
{
    return cu_main("bench", tests);
}

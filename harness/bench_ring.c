/* bench_ring — see bench_ring.h. */
#include "harness/bench_ring.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench_anchor.h"
#include "harness/bench_floor.h"
#include "harness/bench_stats.h"
#include "harness/bench_xfer.h"
#include "sim/exitcode.h"

#define BATCH 32
#define MAX_RUNS 51
#define PERIOD_NS 10000000 /* 100 packets/s */

struct results {
    /* saturation, per run */
    struct bstat ring, rte, ring1, ck, sock, ring_always, copy_ns, ring_ns;
    struct bstat r_rte, r_ck1, r_ck, r_sock, r_copy;
    struct bstat wk_sat, wk_sat_always;
    /* 100 packets/s, per run */
    struct bstat wk_100, wk_100_always, db_100, lat[3], floor[3], r_wake;
    int failures, runs;
};

/* One transfer; its latencies (us) into *lat when lat != NULL. -1: cannot run. */
static int xfer_with(struct results *R, const struct bxfer_ops *ops, enum usbsim_doorbell_mode mode,
                     uint32_t batch, uint64_t n, int64_t period, struct bxfer_sample *s,
                     struct bstat_pct *lat, struct bfloor_wake *companion)
{
    struct bxfer x = {.mode = mode, .batch = batch, .n = n, .period_ns = period, .sock = {-1, -1},
                      .companion = companion};
    int rc = bxfer_measure(ops, &x, s);
    if (rc > 0)
        R->failures++, fprintf(stderr, "bench ring: a %s run lost or corrupted packets\n", ops->name);
    if (rc == 0 && lat) {
        double *us = malloc((x.sh->nlat ? x.sh->nlat : 1) * sizeof *us);
        for (uint32_t i = 0; us && i < x.sh->nlat; i++)
            us[i] = (double)x.sh->lat[i] / 1e3;
        *lat = us ? bstat_pct_of(us, x.sh->nlat) : (struct bstat_pct){0, 0, 0};
        free(us);
    }
    bxfer_release(&x);
    return rc < 0 ? -1 : 0;
}

static int xfer(struct results *R, const struct bxfer_ops *ops, enum usbsim_doorbell_mode mode,
                uint32_t batch, uint64_t n, int64_t period, struct bxfer_sample *s, struct bstat_pct *lat)
{
    return xfer_with(R, ops, mode, batch, n, period, s, lat, NULL);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void add_pct(struct bstat s[3], const struct bstat_pct *p)
{
    bstat_add(&s[0], p->p50), bstat_add(&s[1], p->p99), bstat_add(&s[2], p->max);
}

static int run_all(struct results *R, uint64_t n, int hz_n)
{
    const enum usbsim_doorbell_mode SUP = USBSIM_DOORBELL_SUPPRESSED, ALW = USBSIM_DOORBELL_ALWAYS;
    for (int i = 0; i < R->runs; i++) {
        struct bxfer_sample a, e, b, c, s, d, cp;
        if (xfer(R, &bxfer_ring_ops, SUP, BATCH, n, 0, &a, NULL) ||
            xfer(R, &banchor_rte, SUP, BATCH, n, 0, &e, NULL) ||
            xfer(R, &bxfer_ring_ops, SUP, 1, n / 2, 0, &b, NULL) ||
            xfer(R, &banchor_ck, SUP, 1, n / 2, 0, &c, NULL) ||
            xfer(R, &banchor_sock, SUP, 1, n / 20, 0, &s, NULL) ||
            xfer(R, &bxfer_ring_ops, ALW, 1, n / 20, 0, &d, NULL) ||
            xfer(R, &banchor_copy, SUP, BATCH, n, 0, &cp, NULL))
            return -1;
        bstat_add(&R->ring, a.mpps), bstat_add(&R->rte, e.mpps), bstat_add(&R->ring1, b.mpps);
        bstat_add(&R->ck, c.mpps), bstat_add(&R->sock, s.mpps), bstat_add(&R->ring_always, d.mpps);
        bstat_add(&R->ring_ns, ratio(1e3, a.mpps)), bstat_add(&R->copy_ns, ratio(1e3, cp.mpps));
        bstat_add(&R->r_rte, ratio(a.mpps, e.mpps)), bstat_add(&R->r_ck1, ratio(b.mpps, c.mpps));
        bstat_add(&R->r_ck, ratio(a.mpps, c.mpps)), bstat_add(&R->r_sock, ratio(a.mpps, s.mpps));
        bstat_add(&R->r_copy, ratio(cp.mpps, a.mpps)); /* ring ns/packet over the copy's */
        bstat_add(&R->wk_sat, a.wakeups_pp), bstat_add(&R->wk_sat_always, d.wakeups_pp);
    }
    /* At 100 packets/s: the ring's wake-up latency and, interleaved with it in the same seconds
     * (half a period apart), a bare eventfd woken the same way: the floor. */
    for (int i = 0; i < R->runs; i++) {
        struct bxfer_sample a, d;
        struct bstat_pct lat, fl;
        struct bfloor_wake *w = bfloor_wake_start(hz_n);
        if (!w)
            return -1;
        int rc = xfer_with(R, &bxfer_ring_ops, SUP, 1, (uint64_t)hz_n, PERIOD_NS, &a, &lat, w);
        if (bfloor_wake_finish(w, &fl) != 0 || rc ||
            xfer(R, &bxfer_ring_ops, ALW, 1, (uint64_t)hz_n, PERIOD_NS, &d, NULL))
            return -1;
        add_pct(R->lat, &lat), add_pct(R->floor, &fl);
        bstat_add(&R->r_wake, ratio(lat.p99, fl.p99));
        bstat_add(&R->wk_100, a.wakeups_pp), bstat_add(&R->wk_100_always, d.wakeups_pp);
        bstat_add(&R->db_100, a.doorbells_pp);
    }
    return 0;
}

/* The goals, each judged on the medians. */
enum { G_RTE, G_CK1, G_WAKE, G_COPY, GOALS };
static const char *const goal_name[GOALS] = {"ring_ge_1.0x_rte_ring_burst32", "ring_ge_1.2x_ck_ring_batch1",
                                             "wake_p99_le_1.1x_floor", "ns_per_packet_le_2x_copy_limit"};

static void goals(struct results *R, int g[GOALS])
{
    g[G_RTE] = bstat_median(&R->r_rte) >= 1.0;
    g[G_CK1] = bstat_median(&R->r_ck1) >= 1.2;
    g[G_WAKE] = bstat_median(&R->r_wake) <= 1.1;
    g[G_COPY] = bstat_median(&R->r_copy) <= 2.0;
}

/* "median (min..max)", from a few rotating buffers: several in one printf. */
static const char *S(const struct bstat *s, const char *f)
{
    static char b[8][96];
    static unsigned k;
    k = (k + 1) % 8;
    return bstat_str(s, f, b[k], sizeof b[k]);
}

static void print_text(struct results *R)
{
    printf("ring transport, two processes, %d-byte packets, %u slots; medians (min..max) of %d runs,\n"
           "each pair measured side by side in every run; every consumer copies each packet out\n",
           BXFER_PKT, BXFER_SLOTS, R->runs);
    printf("burst %d (producer commits %d, consumer takes up to %d):\n", BATCH, BATCH, BATCH);
    printf("  %-30s %s Mpkt/s  %s ns/packet  wake-ups/packet %.5f\n", "ring (suppressed doorbell)",
           S(&R->ring, "%.2f"), S(&R->ring_ns, "%.1f"), bstat_median(&R->wk_sat));
    printf("  %-30s %s Mpkt/s  ratio ring/rte_ring %s\n", "DPDK rte_ring SP/SC burst",
           S(&R->rte, "%.2f"), S(&R->r_rte, "%.2f"));
    printf("  %-30s %s ns/packet  ratio ring/copy %s (ns per packet)\n", "plain 112-byte copy (limit)",
           S(&R->copy_ns, "%.1f"), S(&R->r_copy, "%.2f"));
    printf("one packet per operation (producer and consumer):\n");
    printf("  %-30s %s Mpkt/s\n", "ring, batch 1", S(&R->ring1, "%.2f"));
    printf("  %-30s %s Mpkt/s  ratio ring/ck_ring %s\n", "ck_ring SPSC (polling)", S(&R->ck, "%.2f"),
           S(&R->r_ck1, "%.2f"));
    printf("  %-30s %s Mpkt/s  wake-ups/packet %.5f\n", "ring, doorbell always",
           S(&R->ring_always, "%.2f"), bstat_median(&R->wk_sat_always));
    printf("  %-30s %s Mpkt/s  ratio ring(burst %d)/socket %s\n", "SOCK_SEQPACKET, 1 msg/packet",
           S(&R->sock, "%.2f"), BATCH, S(&R->r_sock, "%.1f"));
    printf("  (ring burst %d / ck_ring: %s, not like for like)\n", BATCH, S(&R->r_ck, "%.2f"));
    printf("at 100 packets/s (consumer asleep between packets):\n");
    printf("  wake-ups/packet: suppressed %.3f, always %.3f (doorbells/packet %.3f)\n",
           bstat_median(&R->wk_100), bstat_median(&R->wk_100_always), bstat_median(&R->db_100));
    printf("  ring enqueue->dequeue  p50 %s  p99 %s  max %s us\n", S(&R->lat[0], "%.1f"),
           S(&R->lat[1], "%.1f"), S(&R->lat[2], "%.1f"));
    printf("  bare eventfd (floor)   p50 %s  p99 %s  max %s us\n", S(&R->floor[0], "%.1f"),
           S(&R->floor[1], "%.1f"), S(&R->floor[2], "%.1f"));
    printf("  ratio ring p99 / floor p99 %s\n", S(&R->r_wake, "%.2f"));
    int g[GOALS];
    goals(R, g);
    printf("goals:");
    for (int i = 0; i < GOALS; i++)
        printf(" %s %s%s", goal_name[i], g[i] ? "holds" : "MISSED", i + 1 < GOALS ? "," : "\n");
    if (R->failures)
        printf("FAILED: %d run(s) lost or corrupted packets\n", R->failures);
}

static json_t *pct_json(struct bstat s[3])
{
    return json_pack("{s:f,s:f,s:f}", "p50", bstat_median(&s[0]), "p99", bstat_median(&s[1]), "max",
                     bstat_median(&s[2]));
}

static int print_json(struct results *R)
{
    const struct {
        const char *name;
        struct bstat *s;
    } fig[] = {
        {"ring_mpps", &R->ring}, {"rte_ring_mpps", &R->rte}, {"ring_batch1_mpps", &R->ring1},
        {"ck_ring_mpps", &R->ck}, {"socket_mpps", &R->sock}, {"ring_always_mpps", &R->ring_always},
        {"ratio_vs_rte_ring", &R->r_rte}, {"ratio_vs_ck_ring_batch1", &R->r_ck1},
        {"ratio_vs_ck_ring", &R->r_ck}, {"ratio_vs_socket", &R->r_sock},
        {"ns_per_packet", &R->ring_ns}, {"copy_limit_ns_per_packet", &R->copy_ns},
        {"ratio_ns_vs_copy_limit", &R->r_copy}, {"ratio_wake_p99_vs_floor", &R->r_wake},
        {"wakeups_per_packet_saturated", &R->wk_sat}, {"wakeups_per_packet_100hz", &R->wk_100},
        {"wakeups_per_packet_saturated_always", &R->wk_sat_always},
        {"wakeups_per_packet_100hz_always", &R->wk_100_always},
        {"latency_us_100hz.p50", &R->lat[0]}, {"latency_us_100hz.p99", &R->lat[1]},
        {"latency_us_100hz.max", &R->lat[2]}, {"wake_floor_us.p50", &R->floor[0]},
        {"wake_floor_us.p99", &R->floor[1]}, {"wake_floor_us.max", &R->floor[2]},
    };
    json_t *o = json_object(), *spread = json_object(), *gj = json_object();
    for (size_t i = 0; i < sizeof fig / sizeof fig[0]; i++) {
        if (!strchr(fig[i].name, '.'))
            json_object_set_new(o, fig[i].name, json_real(bstat_median(fig[i].s)));
        json_object_set_new(spread, fig[i].name, bstat_json(fig[i].s));
    }
    int g[GOALS];
    goals(R, g);
    for (int i = 0; i < GOALS; i++)
        json_object_set_new(gj, goal_name[i], json_boolean(g[i]));
    json_object_set_new(o, "latency_us_100hz", pct_json(R->lat));
    json_object_set_new(o, "wake_floor_us", pct_json(R->floor));
    json_object_set_new(o, "spread", spread);
    json_object_set_new(o, "goals", gj);
    json_object_set_new(o, "burst", json_integer(BATCH));
    json_object_set_new(o, "runs", json_integer(R->runs));
    json_object_set_new(o, "packet_bytes", json_integer(BXFER_PKT));
    json_object_set_new(o, "slots", json_integer(BXFER_SLOTS));
    json_object_set_new(o, "failures", json_integer(R->failures));
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    printf("\n");
    json_decref(o);
    return rc;
}

int bench_ring_main(struct cli_opts *o)
{
    int json = o->own[BENCH_RING_JSON].set;
    struct results R = {.runs = o->own[BENCH_RING_RUNS].set ? (int)o->own[BENCH_RING_RUNS].u : 5};
    uint64_t n = o->own[BENCH_RING_PACKETS].set ? o->own[BENCH_RING_PACKETS].u : 2000000;
    if (run_all(&R, n, n >= 1000 ? 200 : 10) != 0) {
        fprintf(stderr, "usbsim bench ring: cannot set up the transfer (fork, mmap or socket)\n");
        return XC_ENV;
    }
    if (json)
        print_json(&R);
    else
        print_text(&R);
    return R.failures ? 1 : 0;
}

static const struct arg_opt bench_ring_opts[BENCH_RING_COUNT] = {
    [BENCH_RING_JSON] = {.name = "json", .kind = ARG_FLAG,
                         .help = "print the figures as one JSON object on standard output"},
    [BENCH_RING_RUNS] = {.name = "runs", .kind = ARG_U64, .lo = 1, .hi = MAX_RUNS,
                         .help = "runs of each measurement; medians are reported (default 5)"},
    [BENCH_RING_PACKETS] = {.name = "packets", .kind = ARG_U64, .lo = 100, .hi = 100000000,
                            .help = "packets per saturation run (default 2000000); fewer than 1000\n"
                                    "also shortens the 100 packets/s runs from 200 to 10 packets"},
};

const struct cli_cmd bench_ring_cmd = {
    .name = "ring",
    .help = "Measure the ring transport between two processes, like for like against its anchors\n"
            "in the same run: at burst 32 against DPDK's rte_ring (SP/SC) and a plain 112-byte\n"
            "copy (the limit); one packet per operation against ck_ring; one SOCK_SEQPACKET\n"
            "message per packet; at 100 packets/s, the wake-up latency against a bare eventfd\n"
            "woken the same way (the floor). Medians and min..max over the runs, and the goals.\n",
    .opts = bench_ring_opts, .nopts = BENCH_RING_COUNT, .run = bench_ring_main};

/* Tests of harness/html_fig: every figure of the page, exact, on small synthetic runs. The
 * device starts at T0; a 1000 ms scenario gives 1 ms buckets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/html_fig.h"
#include "tests/cu.h"

#define MS 1000000LL
#define T0 (1000 * MS)

static void scenario(struct scn_scenario *sc, int64_t duration_ms)
{
    scn_defaults(sc);
    snprintf(sc->name, sizeof sc->name, "fig");
    sc->duration_ns = duration_ms * MS;
    sc->transport.ring_slots = 4;
}

/* Device rows seq 0..n-1 due (and produced) every 10 ms from T0. */
static void run_init(struct rec_run *r, size_t n)
{
    rec_init(r);
    r->start_ns = T0;
    r->device = calloc(n, sizeof *r->device);
    r->app = calloc(n, sizeof *r->app);
    r->driver = calloc(n, sizeof *r->driver);
    CU_ASSERT_FATAL(r->device && r->app && r->driver);
    for (size_t i = 0; i < n; i++) {
        int64_t due = T0 + (int64_t)i * 10 * MS;
        r->device[r->n_device++] = (struct rec_device_row){.seq = (uint32_t)i, .due_ns = due,
                                                           .produce_ns = due};
    }
}

static void app(struct rec_run *r, uint32_t seq, double produce_ms, double ingress_ms,
                double recv_ms)
{
    r->app[r->n_app++] = (struct rec_app_row){.seq = seq,
                                              .produce_ns = T0 + llround(produce_ms * MS),
                                              .ingress_ns = T0 + llround(ingress_ms * MS),
                                              .recv_ns = T0 + llround(recv_ms * MS)};
}

static void driver(struct rec_run *r, int64_t seq, enum rec_status st, double ingress_ms)
{
    r->driver[r->n_driver++] = (struct rec_driver_row){
        .seq = seq, .status = (uint8_t)st, .ingress_ns = T0 + llround(ingress_ms * MS)};
}

static void test_frame(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct hfig_frame fr;
    scenario(&sc, 1000);
    run_init(&r, 3);
    app(&r, 0, 0, 1, 1200); /* received after the duration: the axis goes on to it */
    hfig_frame(&fr, &sc, &r);
    CU_ASSERT_EQUAL(fr.t0, T0);
    CU_ASSERT_DOUBLE_EQUAL(fr.x, 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(fr.end_ms, 1200.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(hfig_ms(&fr, T0 + 10 * MS), 10.0, 1e-9);
    r.start_ns = 0; /* unknown: the earliest due time */
    r.device[0].due_ns = T0 + 5 * MS;
    hfig_frame(&fr, &sc, &r);
    CU_ASSERT_EQUAL(fr.t0, T0 + 5 * MS);
    CU_ASSERT_DOUBLE_EQUAL(fr.end_ms, 1195.0, 1e-9);
    hfig_frame(&fr, &sc, NULL); /* no records: the scenario's duration */
    CU_ASSERT_EQUAL(fr.t0, 0);
    CU_ASSERT_DOUBLE_EQUAL(fr.end_ms, 1000.0, 1e-9);
    scn_time_scale(&sc, 2); /* run in 500 ms: the page still shows 1000 scenario ms */
    r.start_ns = T0;
    r.n_app = 0;
    hfig_frame(&fr, &sc, &r);
    CU_ASSERT_DOUBLE_EQUAL(fr.x, 2.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(fr.end_ms, 1000.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(hfig_ms(&fr, T0 + 10 * MS), 20.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(hfig_run_ms(&fr, 5 * MS), 10.0, 1e-9);
    rec_free(&r);
}

static void test_buckets(void)
{
    struct hfig_frame fr = {.x = 1, .t0 = 0, .end_ms = 1000};
    static struct hfig_buckets b;
    CU_ASSERT_EQUAL(hfig_bucket_of(&fr, 0), 0);
    CU_ASSERT_EQUAL(hfig_bucket_of(&fr, 2.5), 2);
    CU_ASSERT_EQUAL(hfig_bucket_of(&fr, 999.9), 999);
    CU_ASSERT_EQUAL(hfig_bucket_of(&fr, 1000), 999); /* the last takes the end */
    CU_ASSERT_EQUAL(hfig_bucket_of(&fr, -5), 0);
    CU_ASSERT_EQUAL(hfig_bucket_of(&fr, 5000), 999);
    CU_ASSERT_DOUBLE_EQUAL(hfig_bucket_ms(&fr, 2), 2.5, 1e-12);
    hfig_bk_reset(&b);
    hfig_bk_add(&fr, &b, 2.1, 7);
    hfig_bk_add(&fr, &b, 2.9, -3);
    hfig_bk_add(&fr, &b, 2.5, 4);
    CU_ASSERT_EQUAL(b.n[2], 3);
    CU_ASSERT_DOUBLE_EQUAL(b.lo[2], -3, 0);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[2], 7, 0);
    CU_ASSERT_EQUAL(b.n[1] + b.n[3], 0);
}

static void test_lost_by_place(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct hfig_frame fr;
    static struct hfig_buckets b;
    scenario(&sc, 1000);
    run_init(&r, 6);
    hfig_frame(&fr, &sc, &r);
    struct vfy_lost lost[] = {{1, 10 * MS, VFY_PLACE_RING},
                              {3, 30 * MS, VFY_PLACE_UNEXPLAINED},
                              {4, 30 * MS + MS / 2, VFY_PLACE_UNEXPLAINED}};
    struct vfy_result res = {.lost = lost, .n_lost = 3};
    hfig_lost(&fr, &r, &res, VFY_PLACE_UNEXPLAINED, &b);
    CU_ASSERT_EQUAL(b.n[30], 2);
    hfig_lost(&fr, &r, &res, VFY_PLACE_RING, &b);
    CU_ASSERT_EQUAL(b.n[10], 1);
    CU_ASSERT_EQUAL(b.n[30], 0);
    hfig_lost(&fr, &r, &res, VFY_PLACE_DEVICE, &b);
    uint64_t all = 0;
    for (int i = 0; i < HFIG_NB; i++)
        all += b.n[i];
    CU_ASSERT_EQUAL(all, 0);
    /* the verifier's device start unknown (0): its due times are from 0, the page's from the
     * earliest due time */
    r.start_ns = 0;
    hfig_frame(&fr, &sc, &r);
    lost[0].due_ns = T0 + 40 * MS;
    hfig_lost(&fr, &r, &res, VFY_PLACE_RING, &b);
    CU_ASSERT_EQUAL(b.n[40], 1);
    res.n_lost = 0; /* a result read back from JSON: nothing to mark */
    hfig_lost(&fr, &r, &res, VFY_PLACE_RING, &b);
    CU_ASSERT_EQUAL(b.n[40], 0);
    rec_free(&r);
}

/* Occupancy: 0 in at 10 ms, 1 in at 20, both out at 30; 2 in and out within bucket 50; 3
 * evicted (anonymous ring-drop row at 70 ms, produced at 60 ms); 4 dropped by its own row. */
static void test_occupancy(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct hfig_frame fr;
    static struct hfig_buckets b;
    double peak;
    scenario(&sc, 1000);
    run_init(&r, 5);
    app(&r, 0, 0, 10, 30);
    app(&r, 1, 10, 20, 30);
    app(&r, 2, 20, 50, 50.5);
    driver(&r, -1, REC_ST_RING_DROP, 70);
    driver(&r, 4, REC_ST_RING_DROP, 75);
    struct vfy_lost lost[] = {{3, 30 * MS, VFY_PLACE_RING}, {4, 40 * MS, VFY_PLACE_RING}};
    struct vfy_result res = {.lost = lost, .n_lost = 2};
    r.device[3].produce_ns = T0 + 60 * MS;
    hfig_frame(&fr, &sc, &r);
    CU_ASSERT_EQUAL_FATAL(hfig_occupancy(&fr, &sc, &r, &res, &b, &peak), 0);
    CU_ASSERT_DOUBLE_EQUAL(peak, 2, 0);
    struct {
        int bucket;
        uint64_t n;
        double lo, hi;
    } want[] = {{9, 0, 0, 0},  {10, 1, 1, 1}, {15, 1, 1, 1}, {20, 1, 2, 2}, {25, 1, 2, 2},
                {30, 2, 0, 1}, {31, 1, 0, 0}, {50, 2, 0, 1}, {55, 1, 0, 0}, {60, 1, 1, 1},
                {65, 1, 1, 1}, {70, 1, 0, 0}, {71, 0, 0, 0}, {75, 0, 0, 0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int k = want[i].bucket;
        CU_ASSERT_EQUAL(b.n[k], want[i].n);
        if (want[i].n) {
            CU_ASSERT_DOUBLE_EQUAL(b.lo[k], want[i].lo, 0);
            CU_ASSERT_DOUBLE_EQUAL(b.hi[k], want[i].hi, 0);
        }
    }
    /* no produce time: in the ring from its due time, 30 ms */
    r.device[3].produce_ns = 0;
    CU_ASSERT_EQUAL_FATAL(hfig_occupancy(&fr, &sc, &r, &res, &b, &peak), 0);
    CU_ASSERT_EQUAL(b.n[30], 3);
    CU_ASSERT_DOUBLE_EQUAL(b.lo[40], 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[50], 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[69], 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(peak, 2, 0);
    /* without the verifier's losses: only what the application saw */
    res.n_lost = 0;
    CU_ASSERT_EQUAL_FATAL(hfig_occupancy(&fr, &sc, &r, &res, &b, &peak), 0);
    CU_ASSERT_EQUAL(b.n[60], 0);
    CU_ASSERT_EQUAL(b.n[50], 2);
    /* capped at the ring's slots */
    sc.transport.ring_slots = 1;
    CU_ASSERT_EQUAL_FATAL(hfig_occupancy(&fr, &sc, &r, &res, &b, &peak), 0);
    CU_ASSERT_DOUBLE_EQUAL(peak, 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[20], 1, 0);
    rec_free(&r);
}

static void test_rows_and_latency(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct hfig_frame fr;
    static struct hfig_buckets b;
    scenario(&sc, 1000);
    run_init(&r, 3);
    app(&r, 0, 0, 0.5, 2);
    app(&r, 1, 0.2, 3.2, 3.5);
    app(&r, 2, 10, 10.1, 40);
    driver(&r, 5, REC_ST_CRC, 7.5);
    driver(&r, -1, REC_ST_CRC, 7.9);
    driver(&r, 6, REC_ST_RING_DROP, 8);
    hfig_frame(&fr, &sc, &r);
    hfig_driver_rows(&fr, &r, REC_ST_CRC, &b);
    CU_ASSERT_EQUAL(b.n[7], 2);
    CU_ASSERT_EQUAL(b.n[8], 0);
    hfig_latency(&fr, &r, 0, &b); /* device -> driver, at the produce time */
    CU_ASSERT_EQUAL(b.n[0], 2);
    CU_ASSERT_DOUBLE_EQUAL(b.lo[0], 0.5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[0], 3.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[10], 0.1, 1e-9);
    hfig_latency(&fr, &r, 1, &b); /* driver -> application */
    CU_ASSERT_DOUBLE_EQUAL(b.lo[0], 0.3, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[0], 1.5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[10], 29.9, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(hfig_latency_max_ms(&fr, &r), 30.0, 1e-9);
    scn_time_scale(&sc, 2); /* in scenario time: twice the real durations */
    hfig_frame(&fr, &sc, &r);
    hfig_latency(&fr, &r, 1, &b);
    CU_ASSERT_DOUBLE_EQUAL(b.hi[20], 59.8, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(hfig_latency_max_ms(&fr, &r), 60.0, 1e-9);
    r.n_app = 0;
    CU_ASSERT_DOUBLE_EQUAL(hfig_latency_max_ms(&fr, &r), 0.01, 0);
    rec_free(&r);
}

static void test_interarrival(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct hfig_frame fr;
    struct hfig_hist h;
    scenario(&sc, 1000);
    run_init(&r, 5);
    app(&r, 0, 0, 0, 0);
    app(&r, 1, 0, 0, 10);  /* 10 ms */
    app(&r, 2, 0, 0, 20);  /* 10 ms */
    app(&r, 3, 0, 0, 20);  /* 0: bin 0 */
    app(&r, 4, 0, 0, 120); /* 100 ms: the top decade's edge, in the last bin */
    hfig_frame(&fr, &sc, &r);
    CU_ASSERT_EQUAL_FATAL(hfig_interarrival(&fr, &r, &h), 0);
    CU_ASSERT_DOUBLE_EQUAL(h.hi_log, 2, 0);
    CU_ASSERT_EQUAL_FATAL(h.nb, 41);
    CU_ASSERT_EQUAL(h.top, 2);
    uint64_t sum = 0;
    for (int k = 0; k < h.nb; k++)
        sum += h.cnt[k];
    CU_ASSERT_EQUAL(sum, 4);
    CU_ASSERT_EQUAL(h.cnt[0], 1);
    CU_ASSERT_EQUAL(h.cnt[33], 2); /* [10 ms, 13.3 ms) */
    CU_ASSERT_EQUAL(h.cnt[40], 1);
    hfig_hist_free(&h);
    CU_ASSERT_PTR_NULL(h.cnt);
    CU_ASSERT_DOUBLE_EQUAL(hfig_hist_edge(0), 0.001, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(hfig_hist_edge(32), 10, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hfig_hist_edge(4), sqrt(10) / 1000, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(hfig_hist_pos(-3), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(hfig_hist_pos(1), 33, 0);
    r.n_app = 1; /* nothing between: one decade above 1 ms */
    CU_ASSERT_EQUAL_FATAL(hfig_interarrival(&fr, &r, &h), 0);
    CU_ASSERT_EQUAL(h.nb, 33);
    CU_ASSERT_EQUAL(h.top, 1);
    hfig_hist_free(&h);
    rec_free(&r);
}

/* A negative latency (received before produced) is not drawn; times at the ends of int64 never
 * overflow (the ASan+UBSan build aborts on one). */
static void test_extreme_times(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct hfig_frame fr;
    static struct hfig_buckets b;
    struct vfy_result res;
    scenario(&sc, 1000);
    run_init(&r, 3);
    app(&r, 0, 5, 4, 3); /* ingressed and received before it was produced */
    app(&r, 1, 10, 11, 12);
    hfig_frame(&fr, &sc, &r);
    for (int stage = 0; stage < 2; stage++) {
        hfig_latency(&fr, &r, stage, &b);
        uint64_t n = 0;
        for (int i = 0; i < HFIG_NB; i++) {
            n += b.n[i];
            CU_ASSERT(b.n[i] == 0 || b.lo[i] >= 0);
        }
        CU_ASSERT_EQUAL(n, 1);
    }
    CU_ASSERT_DOUBLE_EQUAL(hfig_latency_max_ms(&fr, &r), 2.0, 1e-9);
    rec_free(&r);
    const int64_t far[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
    const size_t nf = sizeof far / sizeof far[0];
    for (size_t a = 0; a < nf; a++)
        for (size_t k = 0; k < nf; k++) {
            run_init(&r, 3);
            r.start_ns = far[a];
            for (size_t i = 0; i < 3; i++) {
                r.device[i].due_ns = far[(k + i) % nf];
                r.device[i].produce_ns = far[(a + i) % nf];
                r.app[r.n_app++] = (struct rec_app_row){
                    .seq = (uint32_t)i, .produce_ns = far[(a + 2 * i) % nf],
                    .ingress_ns = far[(k + i) % nf], .recv_ns = far[(a + k + i) % nf]};
                r.driver[r.n_driver++] = (struct rec_driver_row){
                    .seq = i ? -1 : 2, .status = REC_ST_RING_DROP, .ingress_ns = far[k]};
            }
            vfy_check(&sc, &r, &res);
            hfig_frame(&fr, &sc, &r);
            CU_ASSERT(fr.end_ms > 0 && isfinite(fr.end_ms));
            double peak;
            CU_ASSERT(hfig_occupancy(&fr, &sc, &r, &res, &b, &peak) == 0);
            hfig_lost(&fr, &r, &res, VFY_PLACE_RING, &b);
            hfig_driver_rows(&fr, &r, REC_ST_RING_DROP, &b);
            hfig_latency(&fr, &r, 0, &b);
            hfig_latency(&fr, &r, 1, &b);
            CU_ASSERT(hfig_latency_max_ms(&fr, &r) >= 0.01);
            struct hfig_hist h;
            CU_ASSERT(hfig_interarrival(&fr, &r, &h) == 0);
            CU_ASSERT(h.nb >= 1 && h.nb < 200);
            hfig_hist_free(&h);
            vfy_free(&res);
            rec_free(&r);
        }
}

static void test_bands(void)
{
    struct scn_scenario sc;
    struct hfig_frame fr;
    struct hfig_band b[HFIG_MAX_BANDS];
    scenario(&sc, 1000);
    sc.device.events[0] = (struct scn_dev_event){.kind = SCN_EV_STALL, .at_ns = 100 * MS,
                                                 .dur_ns = 50 * MS, .mode = SCN_STALL_DROP};
    sc.device.events[1] = (struct scn_dev_event){.kind = SCN_EV_BURST, .at_ns = 300 * MS,
                                                 .count = 5};
    sc.device.n_events = 2;
    sc.consumer.events[0] = (struct scn_con_event){.at_ns = 400 * MS, .dur_ns = 100 * MS};
    sc.consumer.n_events = 1;
    scn_time_scale(&sc, 2);
    hfig_frame(&fr, &sc, NULL);
    CU_ASSERT_EQUAL_FATAL(hfig_bands(&fr, &sc, b), 3);
    CU_ASSERT_DOUBLE_EQUAL(b[0].a_ms, 100, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b[0].b_ms, 150, 1e-9);
    CU_ASSERT(!b[0].point && b[0].device);
    CU_ASSERT_STRING_EQUAL(b[0].cls, "ev-drop");
    CU_ASSERT_STRING_EQUAL(b[0].what, "stall");
    CU_ASSERT_DOUBLE_EQUAL(b[1].a_ms, 300, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b[1].b_ms, 300, 1e-9);
    CU_ASSERT(b[1].point && b[1].device);
    CU_ASSERT_STRING_EQUAL(b[1].cls, "ev-burst");
    CU_ASSERT_DOUBLE_EQUAL(b[2].a_ms, 400, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b[2].b_ms, 500, 1e-9);
    CU_ASSERT(!b[2].point && !b[2].device);
    CU_ASSERT_STRING_EQUAL(b[2].cls, "ev-cons");
    CU_ASSERT_STRING_EQUAL(b[2].what, "consumer stall");
}

static void test_axes(void)
{
    CU_ASSERT_DOUBLE_EQUAL(hfig_nice_step(100, 4), 20, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hfig_nice_step(1000, 8), 100, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hfig_nice_step(7, 4), 2, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hfig_nice_step(3.6, 4), 1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hfig_nice_step(0, 4), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(hfig_axis_top(16, 1.08), 20, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hfig_axis_top(100, 1.1), 120, 1e-12);
    double unit;
    CU_ASSERT_DOUBLE_EQUAL(hfig_time_step(4000, &unit), 500, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(unit, 1000, 0);
    CU_ASSERT_DOUBLE_EQUAL(hfig_time_step(500, &unit), 50, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(unit, 1, 0);
    struct scn_scenario sc;
    scenario(&sc, 1000);
    sc.transport.ring_slots = 16;
    sc.expect.has_backlog_max = true;
    sc.expect.backlog_max = 12;
    CU_ASSERT_DOUBLE_EQUAL(hfig_ring_top(&sc, 5), 20, 1e-12); /* the ring is near: shown */
    sc.transport.ring_slots = 256;
    sc.expect.has_backlog_max = false;
    CU_ASSERT_DOUBLE_EQUAL(hfig_ring_top(&sc, 5), 6, 1e-12);  /* far: not */
    struct vfy_result res = {.window_max_hz = 101};
    sc.expect.has_rate_max = true;
    sc.expect.rate_max_hz = 90;
    CU_ASSERT_DOUBLE_EQUAL(hfig_rate_top(&sc, &res), 120, 1e-12);
    res.window_max_hz = 0;
    sc.expect.has_rate_max = false;
    CU_ASSERT_DOUBLE_EQUAL(hfig_rate_top(&sc, &res), 1.2, 1e-12);
}

static void test_durations(void)
{
    char b[32];
    CU_ASSERT_STRING_EQUAL(hfig_dur(0, b, sizeof b), "0 µs");
    CU_ASSERT_STRING_EQUAL(hfig_dur(0.85, b, sizeof b), "850 µs");
    CU_ASSERT_STRING_EQUAL(hfig_dur(5.5, b, sizeof b), "5.50 ms");
    CU_ASSERT_STRING_EQUAL(hfig_dur(12.34, b, sizeof b), "12.3 ms");
    CU_ASSERT_STRING_EQUAL(hfig_dur(1500, b, sizeof b), "1.50 s");
    CU_ASSERT_STRING_EQUAL(hfig_dur(-2.5, b, sizeof b), "-2.50 ms");
}

static CU_TestInfo tests[] = {
    {"time frame: device start, axis end, time scale", test_frame},
    {"buckets keep min, max and count", test_buckets},
    {"losses by place from the verifier, at their due time", test_lost_by_place},
    {"ring occupancy, evictions, the ring's cap", test_occupancy},
    {"driver rows and latency per stage", test_rows_and_latency},
    {"inter-arrival histogram, log bins", test_interarrival},
    {"event bands in page time", test_bands},
    {"negative latencies not drawn; int64 extremes", test_extreme_times},
    {"axis steps and tops", test_axes},
    {"durations", test_durations},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("html_fig", tests); }

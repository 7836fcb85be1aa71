/* Tests of harness/verify: synthetic runs built in code, each breaking one thing. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/verify.h"
#include "sim/packet.h"
#include "tests/cu.h"

#define MS 1000000LL
#define START (1000 * MS) /* device t0, CLOCK_MONOTONIC */

static void scenario(struct scn_scenario *sc)
{
    memset(sc, 0, sizeof(*sc));
    strcpy(sc->name, "synthetic");
    sc->seed = 7;
    sc->duration_ns = 5000 * MS;
    sc->device.period_ns = 10 * MS;
    sc->time_scale = 1.0;
}

/* n packets, every period_ns, produced on time (due_ns absolute, as in the device log), ingress
 * 0.1 ms and receive 0.3 ms after production. */
static void perfect_run(struct rec_run *r, size_t n, int64_t period_ns)
{
    rec_init(r);
    r->start_ns = START;
    r->backend = "usbip";
    r->device = calloc(n, sizeof(*r->device));
    r->app = calloc(n, sizeof(*r->app));
    r->driver = calloc(n, sizeof(*r->driver)); /* room for added rows */
    CU_ASSERT_FATAL(r->device && r->app && r->driver);
    r->n_device = r->n_app = n;
    for (size_t i = 0; i < n; i++) {
        int64_t due = (int64_t)i * period_ns;
        r->device[i] = (struct rec_device_row){.seq = (uint32_t)i, .due_ns = START + due,
                                               .produce_ns = START + due};
        r->app[i] = (struct rec_app_row){.seq = (uint32_t)i, .produce_ns = START + due,
                                         .ingress_ns = START + due + MS / 10,
                                         .recv_ns = START + due + 3 * MS / 10, .batch = i};
    }
}

static void drop_app(struct rec_run *r, uint32_t seq)
{
    for (size_t i = 0; i < r->n_app; i++)
        if (r->app[i].seq == seq) {
            memmove(&r->app[i], &r->app[i + 1], (r->n_app - i - 1) * sizeof(r->app[0]));
            r->n_app--;
            return;
        }
    CU_FAIL("no such app row");
}

static void add_driver(struct rec_run *r, int64_t seq, enum rec_status st)
{
    r->driver[r->n_driver++] = (struct rec_driver_row){.seq = seq, .status = (uint8_t)st};
}

/* Whether some failure of the given kind contains text. */
static int has_failure(const struct vfy_result *v, enum vfy_kind kind, const char *text)
{
    for (size_t i = 0; i < v->n_failures; i++)
        if (strstr(v->failures[i], text) && v->failure_kinds[i] == kind)
            return 1;
    return 0;
}

#define HAS(kind, text) has_failure(&v, VFY_KIND_##kind, text)

/* Whether every failure is of one of the kinds in mask (a bit per kind, K(NAME)). */
#define K(kind) (1u << VFY_KIND_##kind)
static int only(const struct vfy_result *v, unsigned mask)
{
    int ok = 1;
    for (size_t i = 0; i < v->n_failures; i++)
        if (!(mask & (1u << v->failure_kinds[i]))) {
            fprintf(stderr, "\n  unexpected kind %s: %s", vfy_kind_name(v->failure_kinds[i]),
                    v->failures[i]);
            ok = 0;
        }
    return ok;
}

static void dump(const struct vfy_result *v)
{
    for (size_t i = 0; i < v->n_failures; i++)
        fprintf(stderr, "\n  failure: %s", v->failures[i]);
}

static void test_perfect(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.expect.has_lost_max = true;
    sc.expect.has_rate_min = sc.expect.has_rate_max = true;
    sc.expect.rate_min_hz = 99;
    sc.expect.rate_max_hz = 101;
    sc.expect.has_latency_p99_max = true;
    sc.expect.latency_p99_max_ns = 20 * MS;
    sc.expect.has_delivered_min_ratio = true;
    sc.expect.delivered_min_ratio = 1.0;
    perfect_run(&r, 500, 10 * MS);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_TRUE(v.pass);
    CU_ASSERT_EQUAL(v.n_failures, 0);
    CU_ASSERT_EQUAL(v.produced, 500);
    CU_ASSERT_EQUAL(v.delivered, 500);
    CU_ASSERT_EQUAL(v.lost_unexplained + v.duplicates + v.reordered + v.crc_errors, 0);
    CU_ASSERT_DOUBLE_EQUAL(v.rate_hz, 100.0, 1e-9);
    CU_ASSERT_EQUAL(v.n_windows, 5);
    for (size_t k = 0; k < v.n_windows; k++) {
        CU_ASSERT_EQUAL(v.windows[k].packets, 100);
        CU_ASSERT_TRUE(v.windows[k].checked);
        CU_ASSERT_EQUAL(v.windows[k].start_ns, (int64_t)k * 1000 * MS);
    }
    CU_ASSERT_EQUAL(v.latency.p99_ns, 3 * MS / 10);
    CU_ASSERT_EQUAL(v.lat_dev_drv.max_ns, MS / 10);
    CU_ASSERT_EQUAL(v.lat_drv_app.p50_ns, 2 * MS / 10);
    CU_ASSERT_TRUE(v.backlog_from_records);
    CU_ASSERT_EQUAL(v.backlog_max, 1);
    CU_ASSERT_EQUAL(v.doorbells, VFY_MISSING);
    CU_ASSERT_STRING_EQUAL(v.backend, "usbip");
    CU_ASSERT_STRING_EQUAL(vfy_verdict(&v), "pass");
    vfy_add_failure(&v, VFY_KIND_PROCESS_CRASH, "driver killed by signal %d", 11);
    CU_ASSERT_FALSE(v.pass);
    CU_ASSERT_TRUE(HAS(PROCESS_CRASH, "driver killed by signal 11"));
    vfy_free(&v);
    rec_free(&r);
}

static void test_missing_seq(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 500, 10 * MS);
    drop_app(&r, 17);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.lost_unexplained, 1);
    CU_ASSERT_EQUAL(v.delivered, 499);
    CU_ASSERT_TRUE(HAS(UNEXPLAINED_LOSS, "missing: seq 17 (not accounted anywhere)"));
    CU_ASSERT_TRUE(only(&v, K(UNEXPLAINED_LOSS)));
    vfy_free(&v);
    for (uint32_t s = 100; s < 115; s++)
        drop_app(&r, s);
    vfy_check(&sc, &r, &v);
    CU_ASSERT_EQUAL(v.lost_unexplained, 16);
    CU_ASSERT_TRUE(HAS(UNEXPLAINED_LOSS, "16 packets lost unexplained, missing: seq 17, 100, 101, "
                                         "102, 103, 104, 105, 106, 107, 108 and 6 more"));
    CU_ASSERT_TRUE(only(&v, K(UNEXPLAINED_LOSS)));
    vfy_free(&v);
    rec_free(&r);
}

static void test_device_drop_accounted(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 500, 10 * MS);
    r.device[17].fate = REC_DROPPED;
    r.device[17].drop = REC_DROP_FIFO;
    drop_app(&r, 17);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    CU_ASSERT_EQUAL(v.lost_accounted.device, 1);
    CU_ASSERT_EQUAL(v.lost_unexplained, 0);
    vfy_free(&v);
    sc.expect.has_lost_max = true;
    sc.expect.lost_max = 0;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(LOSS, "lost 1 packets with lost_max 0 (device 1, ring 0, crc 0; "
                             "unexplained 0)"));
    CU_ASSERT_TRUE(only(&v, K(LOSS)));
    vfy_free(&v);
    sc.expect.lost_max = 1;
    sc.expect.has_delivered_min_ratio = true;
    sc.expect.delivered_min_ratio = 1.0;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.n_failures, 1);
    CU_ASSERT_TRUE(HAS(LOSS, "delivered 499/500 = 0.9980 below delivered_min_ratio 1"));
    CU_ASSERT_TRUE(only(&v, K(LOSS)));
    vfy_free(&v);
    rec_free(&r);
}

/* lost_behind: FIFO drops the plan does not have, beyond what a host taking 1 ms per packet
 * would lose. A reader pausing 0.5 s loses 50 packets behind; a burst of 8 into a FIFO of 4
 * loses 5 packets (all 9 due at once, one read under way) that any host loses too. */
static void test_lost_behind(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.device.fifo_packets = 4;
    perfect_run(&r, 500, 10 * MS);
    for (uint32_t k = 100; k < 150; k++) {
        r.device[k].fate = REC_DROPPED;
        r.device[k].drop = REC_DROP_FIFO;
        drop_app(&r, k);
    }
    r.device[200].fate = REC_DROPPED; /* a disconnect the plan does not have: not the FIFO */
    r.device[200].drop = REC_DROP_DISCONNECT;
    drop_app(&r, 200);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    CU_ASSERT_EQUAL(v.lost_accounted.device, 51);
    CU_ASSERT_EQUAL(v.lost_behind, 50);
    CU_ASSERT_FALSE(v.exec_run);
    vfy_free(&v);
    rec_free(&r);

    sc.device.n_events = 1;
    sc.device.events[0] = (struct scn_dev_event){.kind = SCN_EV_BURST, .at_ns = 1000 * MS,
                                                 .count = 8};
    perfect_run(&r, 508, 10 * MS);
    r.exec_run = 1;
    for (uint32_t k = 104; k < 109; k++) { /* seq 100 and the burst's 101..108, due at once */
        r.device[k].fate = REC_DROPPED;
        r.device[k].drop = REC_DROP_FIFO;
        drop_app(&r, k);
    }
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    CU_ASSERT_EQUAL(v.lost_accounted.device, 5);
    CU_ASSERT_EQUAL(v.lost_behind, 0);
    CU_ASSERT_TRUE(v.exec_run);
    vfy_free(&v);
    rec_free(&r);
}

static void test_ring_and_anonymous(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 500, 10 * MS);
    drop_app(&r, 20);
    drop_app(&r, 21);
    add_driver(&r, 20, REC_ST_RING_DROP);
    add_driver(&r, -1, REC_ST_RING_DROP);
    add_driver(&r, 5, REC_ST_OK);
    r.counters.ring_drops = 2;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_EQUAL(v.lost_accounted.ring, 2);
    CU_ASSERT_EQUAL(v.lost_unexplained, 0);
    vfy_free(&v);
    add_driver(&r, -1, REC_ST_RING_DROP); /* one more than was lost */
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(ACCOUNTING, "driver log: 0 crc and 1 ring-drop rows match no lost packet"));
    CU_ASSERT_TRUE(HAS(ACCOUNTING, "the driver counted 2 ring drops, its log lists 3"));
    CU_ASSERT_TRUE(only(&v, K(ACCOUNTING)));
    vfy_free(&v);
    rec_free(&r);
}

/* Loss in every place: each lost seq listed once, by seq, with its place and its due time in
 * scenario time from the device start; the counts by place are the accounted figures. */
static void test_lost_places(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.time_scale = 2.0;
    perfect_run(&r, 20, 10 * MS);
    r.device[2].fate = REC_DROPPED;
    r.device[7].flags = r.device[11].flags = PKT_F_CORRUPT;
    uint32_t gone[] = {2, 5, 7, 9, 11, 13};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        drop_app(&r, gone[i]);
    add_driver(&r, 5, REC_ST_RING_DROP);
    add_driver(&r, 7, REC_ST_CRC);
    add_driver(&r, -1, REC_ST_RING_DROP); /* 9: the ring, after the corrupted packets */
    add_driver(&r, -1, REC_ST_CRC);       /* 11: corrupted, goes first */
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1); /* 13 is unexplained */
    const struct vfy_lost want[] = {
        {2, 40 * MS, VFY_PLACE_DEVICE}, {5, 100 * MS, VFY_PLACE_RING},
        {7, 140 * MS, VFY_PLACE_CRC},   {9, 180 * MS, VFY_PLACE_RING},
        {11, 220 * MS, VFY_PLACE_CRC},  {13, 260 * MS, VFY_PLACE_UNEXPLAINED}};
    CU_ASSERT_EQUAL_FATAL(v.n_lost, sizeof want / sizeof want[0]);
    uint64_t by[VFY_PLACE_COUNT] = {0};
    for (size_t i = 0; i < v.n_lost; i++) {
        CU_ASSERT_EQUAL(v.lost[i].seq, want[i].seq);
        CU_ASSERT_EQUAL(v.lost[i].due_ns, want[i].due_ns);
        CU_ASSERT_EQUAL(v.lost[i].place, want[i].place);
        by[v.lost[i].place]++;
    }
    CU_ASSERT_EQUAL(by[VFY_PLACE_DEVICE], v.lost_accounted.device);
    CU_ASSERT_EQUAL(by[VFY_PLACE_RING], v.lost_accounted.ring);
    CU_ASSERT_EQUAL(by[VFY_PLACE_CRC], v.lost_accounted.crc);
    CU_ASSERT_EQUAL(by[VFY_PLACE_UNEXPLAINED], v.lost_unexplained);
    CU_ASSERT_EQUAL(v.lost_accounted.device + v.lost_accounted.ring + v.lost_accounted.crc +
                        v.lost_unexplained, 6);
    CU_ASSERT_STRING_EQUAL(vfy_place_name(VFY_PLACE_DEVICE), "device");
    CU_ASSERT_STRING_EQUAL(vfy_place_name(VFY_PLACE_RING), "ring");
    CU_ASSERT_STRING_EQUAL(vfy_place_name(VFY_PLACE_CRC), "crc");
    CU_ASSERT_STRING_EQUAL(vfy_place_name(VFY_PLACE_UNEXPLAINED), "unexplained");
    vfy_free(&v);
    CU_ASSERT_PTR_NULL(v.lost);
    CU_ASSERT_EQUAL(v.n_lost, 0);
    rec_free(&r);
}

static void test_duplicate(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 500, 10 * MS);
    r.app[499].seq = 29; /* seq 499 never arrives, 29 arrives twice */
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.duplicates, 1);
    CU_ASSERT_EQUAL(v.reordered, 0);
    CU_ASSERT_EQUAL(v.lost_unexplained, 1);
    CU_ASSERT_TRUE(HAS(DUPLICATE, "duplicated: seq 29"));
    CU_ASSERT_TRUE(HAS(UNEXPLAINED_LOSS, "missing: seq 499"));
    CU_ASSERT_TRUE(only(&v, K(DUPLICATE) | K(UNEXPLAINED_LOSS)));
    vfy_free(&v);
    rec_free(&r);
}

static void test_reorder(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 500, 10 * MS);
    struct rec_app_row t = r.app[41];
    r.app[41] = r.app[42];
    r.app[42] = t;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.reordered, 1);
    CU_ASSERT_EQUAL(v.duplicates, 0);
    CU_ASSERT_EQUAL(v.lost_unexplained, 0);
    CU_ASSERT_TRUE(HAS(REORDER, "reordered: seq 41 after 42"));
    CU_ASSERT_TRUE(only(&v, K(REORDER)));
    CU_ASSERT_EQUAL(v.n_failures, 1);
    vfy_free(&v);
    rec_free(&r);
}

static void test_corrupt(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 500, 10 * MS);
    r.device[60].flags = PKT_F_CORRUPT; /* rejected, seq known */
    r.device[70].flags = PKT_F_CORRUPT; /* rejected, seq unreadable */
    drop_app(&r, 60);
    drop_app(&r, 70);
    add_driver(&r, 60, REC_ST_CRC);
    add_driver(&r, -1, REC_ST_CRC);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_EQUAL(v.lost_accounted.crc, 2);
    CU_ASSERT_EQUAL(v.crc_errors, 0);
    vfy_free(&v);
    r.device[50].flags = PKT_F_CORRUPT; /* delivered: a failure */
    r.device[80].flags = PKT_F_CORRUPT; /* lost without a crc row */
    drop_app(&r, 80);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.crc_errors, 1);
    CU_ASSERT_EQUAL(v.lost_unexplained, 1);
    CU_ASSERT_TRUE(HAS(CORRUPTION, "corrupted packet delivered (crc_errors): seq 50"));
    CU_ASSERT_TRUE(HAS(CORRUPTION, "corrupted packet not rejected by the driver (no crc row): "
                                   "seq 80"));
    CU_ASSERT_TRUE(only(&v, K(CORRUPTION) | K(UNEXPLAINED_LOSS)));
    CU_ASSERT_TRUE(HAS(UNEXPLAINED_LOSS, "missing: seq 80"));
    vfy_free(&v);
    rec_free(&r);
}

/* A raw stream: the application's rows carry no produce time, the driver checks nothing, and
 * the corrupted packets are the ones the application could not identify (counters.unknown). */
static void raw_run(struct rec_run *r, size_t n)
{
    perfect_run(r, n, 10 * MS);
    r->raw = 1;
    r->counters.unknown = 0;
    for (size_t i = 0; i < r->n_app; i++)
        r->app[i].produce_ns = 0;
}

static void test_raw_stream(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.expect.has_latency_p99_max = true;
    sc.expect.latency_p99_max_ns = 20 * MS;
    raw_run(&r, 500);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_TRUE(v.raw);
    CU_ASSERT_EQUAL(v.endpoint, 0x81);
    /* latency from the device log's produce times */
    CU_ASSERT_EQUAL(v.latency.n, 500);
    CU_ASSERT_EQUAL(v.latency.p99_ns, 3 * MS / 10);
    CU_ASSERT_EQUAL(v.lat_dev_drv.max_ns, MS / 10);
    vfy_free(&v);

    /* three corrupted, each one counted unknown by the application: detected, lost at crc */
    for (uint32_t s = 100; s < 103; s++) {
        r.device[s].flags = PKT_F_CORRUPT;
        drop_app(&r, s);
    }
    r.counters.unknown = 3;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_EQUAL(v.lost_accounted.crc, 3);
    CU_ASSERT_EQUAL(v.lost_unexplained + v.crc_errors, 0);
    vfy_free(&v);

    /* one corrupted packet not counted: not detected */
    r.counters.unknown = 2;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(CORRUPTION, "corrupted packet not detected (the application identified "
                                   "no unknown packet for it): seq 102"));
    CU_ASSERT_TRUE(only(&v, K(CORRUPTION) | K(UNEXPLAINED_LOSS)));
    vfy_free(&v);

    /* unknown packets first explain the corrupted ones, then other losses, then are extra */
    r.counters.unknown = 4;
    drop_app(&r, 200); /* its bytes changed on the way: unknown too */
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_EQUAL(v.lost_accounted.crc, 4);
    vfy_free(&v);
    r.counters.unknown = 6;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(ACCOUNTING, "2 packets the application could not identify (content the "
                                   "device never planned) match no lost packet"));
    CU_ASSERT_TRUE(only(&v, K(ACCOUNTING)));
    vfy_free(&v);

    /* a corrupted packet taken as good (identified): a failure */
    r.counters.unknown = 4;
    r.device[300].flags = PKT_F_CORRUPT;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(CORRUPTION, "corrupted packet delivered (crc_errors): seq 300"));
    vfy_free(&v);
    r.device[300].flags = 0;

    /* unknown not measured: the corrupted packets are not known to be detected */
    r.counters.unknown = REC_MISSING;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(CORRUPTION, "corrupted packet not detected"));
    vfy_free(&v);

    /* a duplicate, a reorder: by seq as for framed streams */
    r.counters.unknown = 4;
    r.app[10].seq = 9;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.duplicates, 1);
    CU_ASSERT_TRUE(HAS(DUPLICATE, "duplicated: seq 9"));
    vfy_free(&v);
    rec_free(&r);

    /* a row whose seq the device log lacks and whose produce time is 0: no latency figure */
    raw_run(&r, 5);
    r.app[4].seq = 77;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.latency.n, 4);
    CU_ASSERT_TRUE(HAS(INTEGRITY, "delivered but never produced by the device: seq 77"));
    vfy_free(&v);
    /* the records filled in for the figures of a page */
    rec_fill_produce(&r);
    CU_ASSERT_EQUAL(r.app[3].produce_ns, r.device[3].produce_ns);
    CU_ASSERT_EQUAL(r.app[4].produce_ns, 0);
    rec_free(&r);
}

/* Alike packets placed by the application among the plan's samples are placed again among the
 * ones the device really sent: a drop the plan did not foresee moves the labels after it. */
static void test_raw_place(void)
{
    static const char *const yaml[] = {
        "name: p\nduration_ms: 1000\ndevice: {framing: raw, packet_size: 4, payload: "
        "{generator: pattern, pattern: \"01 02\"}}\n",
        "name: c\nduration_ms: 1000\ndevice: {framing: raw, packet_size: 4}\n"};
    for (int k = 0; k < 2; k++) {
        struct scn_scenario sc;
        char err[SCN_ERR_MAX];
        CU_ASSERT_EQUAL_FATAL(scn_parse("t.yaml", yaml[k], strlen(yaml[k]), &sc, err), 0);
        struct rec_run r;
        raw_run(&r, 100);
        r.device[5].fate = REC_DROPPED; /* the device's own, not in the plan */
        r.device[5].drop = REC_DROP_FIFO;
        r.device[5].produce_ns = 0;
        /* the application got 99 packets; alike ones it labelled 0..98 by place */
        memmove(&r.app[5], &r.app[6], 94 * sizeof r.app[0]); /* the times of 6..99 */
        r.n_app = 99;
        for (uint32_t i = 0; i < 99; i++)
            r.app[i].seq = k == 0 ? i : i + (i >= 5);
        char perr[256];
        CU_ASSERT_EQUAL_FATAL(vfy_raw_place(&sc, &r, perr, sizeof perr), 0);
        CU_ASSERT_EQUAL(r.app[4].seq, 4);
        CU_ASSERT_EQUAL(r.app[5].seq, 6);
        CU_ASSERT_EQUAL(r.app[98].seq, 99);
        struct vfy_result v;
        CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
        dump(&v);
        CU_ASSERT_EQUAL(v.lost_accounted.device, 1);
        vfy_free(&v);
        /* a packet whose content the device sent under no other seq keeps its seq */
        if (k == 1) {
            r.app[5].seq = 5;
            CU_ASSERT_EQUAL(vfy_raw_place(&sc, &r, perr, sizeof perr), 0);
            CU_ASSERT_EQUAL(r.app[5].seq, 5);
            CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
            CU_ASSERT_TRUE(HAS(INTEGRITY, "delivered but the device log says dropped: seq 5"));
            vfy_free(&v);
        }
        rec_free(&r);
    }
}

/* Alike packets the ring lost (ring-drop rows without a seq) take their places by time: the
 * ones after them are placed after them, as they came. */
static void test_raw_place_ring(void)
{
    static const char yaml[] = "name: p\nduration_ms: 1000\ndevice: {framing: raw, packet_size: "
                               "4, payload: {generator: pattern, pattern: \"01 02\"}}\n";
    for (int oldest = 0; oldest < 2; oldest++) {
        struct scn_scenario sc;
        char err[SCN_ERR_MAX];
        CU_ASSERT_EQUAL_FATAL(scn_parse("t.yaml", yaml, strlen(yaml), &sc, err), 0);
        sc.transport.overflow = oldest ? SCN_OVF_DROP_OLDEST : SCN_OVF_DROP_NEWEST;
        struct rec_run r;
        raw_run(&r, 100);
        /* 10..14 lost in the ring; the application took the rest, late, labelled by place */
        for (uint32_t s = 10; s < 15; s++) {
            int64_t t = oldest ? r.app[s + 5].ingress_ns : r.app[s].ingress_ns;
            r.driver[r.n_driver++] = (struct rec_driver_row){.seq = -1, .ingress_ns = t,
                                                             .status = REC_ST_RING_DROP};
        }
        for (uint32_t s = 15; s < 100; s++)
            r.app[s].recv_ns += 500 * MS; /* a consumer stall: received after every eviction */
        memmove(&r.app[10], &r.app[15], 85 * sizeof r.app[0]);
        r.n_app = 95;
        for (uint32_t i = 0; i < 95; i++)
            r.app[i].seq = i;
        char perr[256];
        CU_ASSERT_EQUAL_FATAL(vfy_raw_place(&sc, &r, perr, sizeof perr), 0);
        CU_ASSERT_EQUAL(r.app[9].seq, 9);
        CU_ASSERT_EQUAL(r.app[10].seq, 15);
        CU_ASSERT_EQUAL(r.app[94].seq, 99);
        struct vfy_result v;
        CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
        dump(&v);
        CU_ASSERT_EQUAL(v.lost_accounted.ring, 5);
        CU_ASSERT_EQUAL(v.latency.max_ns, 500 * MS + 3 * MS / 10);
        vfy_free(&v);
        rec_free(&r);
    }
}

/* Empty samples are not judged (one corrupted goes out unchanged: nothing to detect); placing
 * the stream leaves their rows out. */
static void test_raw_place_empty_corrupt(void)
{
    char dir[] = "/tmp/usbsim-vfy-XXXXXX", rec[96], yaml[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    cu_write_file(dir, "d.rec", "# usbsim recording 1\n0 0x81 -\n10000 0x81 0102\n20000 0x81 -\n"
                  "30000 0x81 03\n", rec, sizeof rec);
    snprintf(yaml, sizeof yaml, "name: rp\nduration_ms: 40\ndevice:\n  framing: raw\n"
             "  replay: {file: %s}\n  events:\n    - {at_ms: 0, corrupt: 2}\n", rec);
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    CU_ASSERT_EQUAL_FATAL(scn_parse("t.yaml", yaml, strlen(yaml), &sc, err), 0);
    struct rec_run r;
    raw_run(&r, 4);
    r.device[0].flags = r.device[1].flags = PKT_F_CORRUPT;
    drop_app(&r, 1);
    r.counters.unknown = 1;
    struct vfy_result v;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(CORRUPTION, "corrupted packet delivered (crc_errors): seq 0"));
    vfy_free(&v);
    char perr[256];
    CU_ASSERT_EQUAL_FATAL(vfy_raw_place(&sc, &r, perr, sizeof perr), 0);
    CU_ASSERT_EQUAL(r.n_device, 2); /* the empty packets (seq 0, 2) are not judged */
    CU_ASSERT_EQUAL(r.device[0].seq, 1);
    CU_ASSERT_EQUAL(r.device[0].flags, PKT_F_CORRUPT);
    CU_ASSERT_EQUAL(r.device[1].seq, 3);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_EQUAL(v.lost_accounted.crc, 1);
    vfy_free(&v);
    rec_free(&r);
    unlink(rec);
    rmdir(dir);
}

static void test_rate_bounds(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.expect.has_rate_min = true;
    sc.expect.rate_min_hz = 101;
    perfect_run(&r, 500, 10 * MS);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(RATE, "rate 100.0 Hz below min 101"));
    CU_ASSERT_FALSE(HAS(RATE_WINDOW, "windows of 1 s")); /* 100 + 1 packet of tolerance */
    CU_ASSERT_TRUE(only(&v, K(RATE)));
    vfy_free(&v);
    sc.expect.rate_min_hz = 99;
    sc.expect.has_rate_max = true;
    sc.expect.rate_max_hz = 99.5;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(RATE, "rate 100.0 Hz above max 99.5"));
    CU_ASSERT_TRUE(only(&v, K(RATE)));
    vfy_free(&v);
    /* window 2 s..3 s loses 10 packets: only the window check sees it clearly */
    sc.expect.rate_max_hz = 101;
    for (uint32_t s = 200; s < 210; s++) {
        r.device[s].fate = REC_DROPPED;
        r.device[s].drop = REC_DROP_STALL;
        drop_app(&r, s);
    }
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_DOUBLE_EQUAL(v.window_min_hz, 90, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(v.window_max_hz, 100, 1e-9);
    CU_ASSERT_TRUE(HAS(RATE_WINDOW, "rate below min 99 Hz in 1 windows of 1 s (1 packet of "
                                    "tolerance): 2 s (90)"));
    CU_ASSERT_TRUE(only(&v, K(RATE) | K(RATE_WINDOW)));
    vfy_free(&v);
    /* the same loss inside a device event's window (and the second after) is not checked */
    sc.expect.rate_min_hz = 97; /* long-run 489 / 4.99 s = 98.0 Hz */
    sc.device.n_events = 1;
    sc.device.events[0] = (struct scn_dev_event){.kind = SCN_EV_STALL, .at_ns = 2000 * MS,
                                                 .dur_ns = 100 * MS, .mode = SCN_STALL_DROP};
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_TRUE(v.windows[1].checked);
    CU_ASSERT_FALSE(v.windows[2].checked);
    CU_ASSERT_FALSE(v.windows[3].checked);
    CU_ASSERT_TRUE(v.windows[4].checked);
    vfy_free(&v);
    rec_free(&r);
}

static void test_latency_percentiles(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.expect.has_latency_p99_max = sc.expect.has_latency_max = true;
    sc.expect.latency_p99_max_ns = 50 * MS;
    sc.expect.latency_max_ns = 100 * MS;
    perfect_run(&r, 200, 10 * MS);
    /* latencies 1..200 ms, in a scrambled order (7 is coprime with 200) */
    for (size_t i = 0; i < 200; i++) {
        int64_t lat = (int64_t)((i * 7) % 200 + 1) * MS;
        r.app[i].ingress_ns = r.app[i].produce_ns + lat / 4;
        r.app[i].recv_ns = r.app[i].produce_ns + lat;
    }
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.latency.n, 200);
    CU_ASSERT_EQUAL(v.latency.p50_ns, 100 * MS);
    CU_ASSERT_EQUAL(v.latency.p99_ns, 198 * MS);
    CU_ASSERT_EQUAL(v.latency.max_ns, 200 * MS);
    CU_ASSERT_EQUAL(v.lat_dev_drv.p50_ns, 25 * MS);
    CU_ASSERT_EQUAL(v.lat_drv_app.max_ns, 150 * MS);
    CU_ASSERT_TRUE(HAS(LATENCY, "latency p99 198.000 ms above p99_max 50 ms"));
    CU_ASSERT_TRUE(HAS(LATENCY, "latency max 200.000 ms above max 100 ms"));
    CU_ASSERT_TRUE(only(&v, K(LATENCY)));
    vfy_free(&v);
    rec_free(&r);
}

/* The device built its last 5 packets 50 ms late (a busy machine): they are received after 5 s,
 * but the 4 s window counts them where they would have arrived: the consumer kept its pace. */
static void test_window_device_late(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.expect.has_rate_min = true;
    sc.expect.rate_min_hz = 98;
    perfect_run(&r, 500, 10 * MS);
    for (size_t k = 495; k < 500; k++) {
        r.device[k].produce_ns += 50 * MS;
        r.app[k].produce_ns += 50 * MS;
        r.app[k].ingress_ns += 50 * MS;
        r.app[k].recv_ns += 50 * MS;
    }
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_EQUAL(v.n_windows, 5);
    CU_ASSERT_EQUAL(v.windows[4].packets, 100);
    vfy_free(&v);
    for (size_t k = 495; k < 500; k++) /* the same lateness after the device: the consumer's */
        r.device[k].produce_ns -= 50 * MS;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.windows[4].packets, 95);
    vfy_free(&v);
    rec_free(&r);
}

/* A consumer stall 1.0 s .. 1.4 s; afterwards the app drains one packet per ms. */
static void stalled_run(struct rec_run *r, int64_t x)
{
    perfect_run(r, 500, 10 * MS / x);
    int64_t end = START + 1400 * MS / x, next = end;
    for (size_t i = 0; i < r->n_app; i++) {
        struct rec_app_row *a = &r->app[i];
        if (a->ingress_ns < START + 1000 * MS / x)
            continue;
        if (a->ingress_ns < end || a->recv_ns <= next) {
            next += MS / x;
            a->recv_ns = next;
        }
    }
}

static void test_drain(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.consumer.n_events = 1;
    sc.consumer.events[0] = (struct scn_con_event){.at_ns = 1000 * MS, .dur_ns = 400 * MS};
    sc.expect.has_drain_max = true;
    sc.expect.drain_max_ns = 30 * MS;
    stalled_run(&r, 1);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.n_drains, 1);
    CU_ASSERT_EQUAL(v.drains[0].stall_end_ns, 1400 * MS);
    CU_ASSERT_EQUAL(v.drains[0].drain_ns, 40 * MS); /* seqs 100..139, one per ms */
    CU_ASSERT_EQUAL(v.drain_max_ns, 40 * MS);
    CU_ASSERT_TRUE(HAS(DRAIN, "drain 40.000 ms after the consumer stall ending at "
                              "1400.000 ms above drain_ms_max 30"));
    CU_ASSERT_TRUE(only(&v, K(DRAIN)));
    CU_ASSERT_EQUAL(v.backlog_max, 41); /* 100..140 in the ring at 1400.1 ms */
    CU_ASSERT_FALSE(v.windows[1].checked);
    CU_ASSERT_FALSE(v.windows[2].checked);
    CU_ASSERT_TRUE(v.windows[3].checked);
    vfy_free(&v);
    r.counters.ring_high_water = 64;
    sc.expect.has_drain_max = false;
    sc.expect.has_backlog_max = true;
    sc.expect.backlog_max = 50;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_FALSE(v.backlog_from_records);
    CU_ASSERT_TRUE(HAS(BACKLOG, "backlog 64 above backlog_max 50"));
    CU_ASSERT_TRUE(only(&v, K(BACKLOG)));
    vfy_free(&v);
    rec_free(&r);
}

/* A device hold stall 1000..1050 ms: seqs 100..104 wait in the device and enter the ring at
 * 1050.1 ms. handler_ms 0: the application takes them at once (batches); else it takes one
 * packet per wake-up and is busy handler_ms after each (the one-callback-per-packet design). */
static void held_run(struct rec_run *r, int64_t handler_ms)
{
    perfect_run(r, 500, 10 * MS);
    for (uint32_t k = 100; k < 105; k++) {
        r->device[k].fate = REC_HELD;
        r->device[k].due_ns = START + k * 10 * MS;
        r->app[k].ingress_ns = START + 1050 * MS + MS / 10 + (k - 100) * 10000;
        r->app[k].recv_ns = r->app[k].ingress_ns + MS / 5;
    }
    int64_t free_at = START + 1051 * MS; /* busy with seq 99 until then */
    for (size_t k = 100; handler_ms && k < r->n_app; k++) {
        int64_t t = r->app[k].ingress_ns > free_at ? r->app[k].ingress_ns : free_at;
        r->app[k].recv_ns = t;
        free_at = t + handler_ms * MS;
    }
}

static void test_drain_after_device_stall(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.device.n_events = 2;
    sc.device.events[0] = (struct scn_dev_event){.kind = SCN_EV_STALL, .at_ns = 1000 * MS,
                                                 .dur_ns = 50 * MS, .mode = SCN_STALL_HOLD};
    sc.device.events[1] = (struct scn_dev_event){.kind = SCN_EV_STALL, .at_ns = 3000 * MS,
                                                 .dur_ns = 50 * MS, .mode = SCN_STALL_DROP};
    sc.expect.has_drain_max = true;
    sc.expect.drain_max_ns = 100 * MS;
    held_run(&r, 0);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_EQUAL(v.n_drains, 1); /* a drop stall holds nothing */
    CU_ASSERT_TRUE(v.drains[0].device);
    CU_ASSERT_EQUAL(v.drains[0].stall_end_ns, 1050 * MS);
    CU_ASSERT_EQUAL(v.drains[0].drain_ns, 140000 + MS / 5); /* the last held one, taken at once */
    vfy_free(&v);
    rec_free(&r);
    /* One packet per wake-up, 9 ms each: the ring first empties when seq 141 is taken at
     * 1051 + 41 * 9 = 1420 ms, before seq 142 enters at 1420.1 ms. */
    held_run(&r, 9);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.drains[0].drain_ns, 370 * MS);
    CU_ASSERT_EQUAL(v.drain_max_ns, 370 * MS);
    CU_ASSERT_TRUE(HAS(DRAIN, "backlog drained 370.000 ms after the device stall ending at "
                              "1050.000 ms, above drain_ms_max 100 (the application fell behind "
                              "the packets it held)"));
    vfy_free(&v);
    rec_free(&r);
}

/* The same run at --time-scale 10: records 10x faster, figures in scenario time unchanged. */
static void test_time_scale(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.time_scale = 10;
    sc.duration_ns = 500 * MS;
    sc.consumer.n_events = 1;
    sc.consumer.events[0] = (struct scn_con_event){.at_ns = 100 * MS, .dur_ns = 40 * MS};
    sc.expect.has_rate_min = sc.expect.has_rate_max = true;
    sc.expect.rate_min_hz = 99;
    sc.expect.rate_max_hz = 101;
    sc.expect.has_drain_max = true;
    sc.expect.drain_max_ns = 5 * MS; /* 50 ms in scenario time */
    stalled_run(&r, 10);
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    dump(&v);
    CU_ASSERT_DOUBLE_EQUAL(v.time_scale, 10, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(v.rate_hz, 100.0, 0.5);
    CU_ASSERT_EQUAL(v.n_windows, 5);
    CU_ASSERT_EQUAL(v.windows[4].start_ns, 4000 * MS);
    CU_ASSERT_EQUAL(v.windows[0].packets, 100);
    CU_ASSERT_EQUAL(v.drains[0].stall_end_ns, 1400 * MS);
    CU_ASSERT_EQUAL(v.drains[0].drain_ns, 40 * MS);
    CU_ASSERT_EQUAL(v.lat_dev_drv.p50_ns, MS); /* 0.1 ms real */
    vfy_free(&v);
    sc.expect.drain_max_ns = 3 * MS; /* 30 ms in scenario time */
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(DRAIN, "drain 40.000 ms after the consumer stall ending at "
                              "1400.000 ms above drain_ms_max 30"));
    CU_ASSERT_TRUE(only(&v, K(DRAIN)));
    vfy_free(&v);
    rec_free(&r);
}

static void test_inconsistent_records(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 100, 10 * MS);
    r.device[3].fate = REC_DROPPED; /* but delivered */
    r.device[3].drop = REC_DROP_DISCONNECT;
    r.app[99].seq = 5000; /* never produced; 99 missing */
    add_driver(&r, 7, REC_ST_CRC); /* delivered anyway */
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(INTEGRITY, "delivered but the device log says dropped: seq 3"));
    CU_ASSERT_TRUE(HAS(INTEGRITY, "delivered but never produced by the device: seq 5000"));
    CU_ASSERT_TRUE(HAS(ACCOUNTING, "delivered but also counted lost by the driver: seq 7"));
    CU_ASSERT_TRUE(HAS(UNEXPLAINED_LOSS, "missing: seq 99"));
    CU_ASSERT_TRUE(only(&v, K(INTEGRITY) | K(ACCOUNTING) | K(UNEXPLAINED_LOSS)));
    vfy_free(&v);
    rec_free(&r);
    rec_init(&r); /* nothing recorded at all */
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0);
    CU_ASSERT_EQUAL(v.produced, 0);
    vfy_free(&v);
}

/* A packet received before it was produced (or ingressed before it was produced, received before
 * it was ingressed) is an integrity failure, and its latency is no figure. */
static void test_negative_latency(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 100, 10 * MS);
    r.app[4].recv_ns = r.app[4].produce_ns - 5 * MS;
    r.app[4].ingress_ns = r.app[4].produce_ns - 6 * MS;
    r.app[9].recv_ns = r.app[9].ingress_ns - 1;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_TRUE(HAS(INTEGRITY, "received before it was produced: seq 4"));
    CU_ASSERT_TRUE(HAS(INTEGRITY, "ingressed before it was produced: seq 4"));
    CU_ASSERT_TRUE(HAS(INTEGRITY, "received before it was ingressed: seq 9"));
    CU_ASSERT_TRUE(only(&v, K(INTEGRITY)));
    CU_ASSERT_EQUAL(v.latency.n, 99); /* the figures are of the other packets */
    CU_ASSERT_EQUAL(v.latency.p50_ns, 3 * MS / 10);
    CU_ASSERT_EQUAL(v.lat_dev_drv.n, 99);
    CU_ASSERT_EQUAL(v.lat_drv_app.n, 99);
    CU_ASSERT(v.lat_drv_app.p50_ns >= 0 && v.latency.p50_ns >= 0 && v.lat_dev_drv.p50_ns >= 0);
    vfy_free(&v);
    rec_free(&r);
}

/* Times at the ends of int64 never overflow (the ASan+UBSan build aborts on one): records built
 * in code may hold anything; the verdict is a failure, never a crash or a wrapped figure. */
static void test_extreme_times(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    sc.consumer.n_events = 1;
    sc.consumer.events[0] = (struct scn_con_event){.at_ns = 100 * MS, .dur_ns = 10 * MS};
    const int64_t far[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
    const size_t nf = sizeof far / sizeof far[0];
    for (size_t a = 0; a < nf; a++)
        for (size_t b = 0; b < nf; b++) {
            perfect_run(&r, 20, 10 * MS);
            r.start_ns = far[a];
            for (size_t i = 0; i < r.n_app; i++) {
                r.app[i].produce_ns = i % 2 ? far[a] : far[b];
                r.app[i].ingress_ns = far[(a + i) % nf];
                r.app[i].recv_ns = i % 3 ? far[b] : far[a];
                r.device[i].due_ns = far[(b + i) % nf];
            }
            add_driver(&r, -1, REC_ST_CRC);
            r.driver[0].ingress_ns = far[b];
            vfy_check(&sc, &r, &v);
            CU_ASSERT(v.latency.p50_ns >= 0 && v.latency.max_ns >= 0);
            CU_ASSERT(v.lat_dev_drv.max_ns >= 0 && v.lat_drv_app.max_ns >= 0);
            CU_ASSERT(v.drain_max_ns >= 0);
            for (size_t i = 0; i < v.n_lost; i++)
                CU_ASSERT(v.lost[i].due_ns >= INT64_MIN); /* read them all */
            vfy_free(&v);
            rec_free(&r);
        }
    /* and at a time scale that takes them further */
    sc.time_scale = 1000;
    perfect_run(&r, 20, 10 * MS);
    r.start_ns = INT64_MIN;
    r.app[3].recv_ns = INT64_MAX;
    r.app[3].produce_ns = INT64_MIN;
    vfy_check(&sc, &r, &v);
    CU_ASSERT_TRUE(HAS(INTEGRITY, "received before it was produced") == 0);
    CU_ASSERT(v.latency.max_ns == INT64_MAX);
    vfy_free(&v);
    rec_free(&r);
}

static void test_missed_wakeups(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 100, 10 * MS);
    r.counters.missed_wakeups = 2;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 1);
    CU_ASSERT_EQUAL(v.missed_wakeups, 2);
    CU_ASSERT_TRUE(HAS(MISSED_WAKEUP, "lost wake-ups: 2 time(s)"));
    CU_ASSERT_TRUE(only(&v, K(MISSED_WAKEUP)));
    vfy_free(&v);
    rec_free(&r);
}

static void test_kind_names(void)
{
    for (int k = 0; k < VFY_KIND_COUNT; k++) {
        const char *name = vfy_kind_name((enum vfy_kind)k);
        enum vfy_kind back = VFY_KIND_COUNT;
        CU_ASSERT_EQUAL(vfy_kind_parse(name, &back), 0);
        CU_ASSERT_EQUAL(back, k);
        CU_ASSERT(*name && strspn(name, "abcdefghijklmnopqrstuvwxyz_") == strlen(name));
        CU_ASSERT(strlen(vfy_kind_doc((enum vfy_kind)k)) > 10);
        for (int j = 0; j < k; j++)
            CU_ASSERT(strcmp(name, vfy_kind_name((enum vfy_kind)j)) != 0);
    }
    CU_ASSERT_STRING_EQUAL(vfy_kind_name(VFY_KIND_LOSS), "loss");
    CU_ASSERT_STRING_EQUAL(vfy_kind_name(VFY_KIND_PROCESS_STOPPED), "process_stopped");
    CU_ASSERT_STRING_EQUAL(vfy_kind_name(VFY_KIND_OTHER), "other");
    CU_ASSERT_STRING_EQUAL(vfy_kind_name(VFY_KIND_COUNT), "?");
    enum vfy_kind k = VFY_KIND_LOSS;
    CU_ASSERT_EQUAL(vfy_kind_parse("Loss", &k), -1);
    CU_ASSERT_EQUAL(vfy_kind_parse("", &k), -1);
    CU_ASSERT_EQUAL(k, VFY_KIND_LOSS); /* untouched on failure */
    /* a kind out of range is kept as "other" */
    struct scn_scenario sc;
    struct vfy_result v;
    scenario(&sc);
    vfy_init(&v, &sc, NULL);
    vfy_add_failure(&v, (enum vfy_kind)VFY_KIND_COUNT, "odd");
    CU_ASSERT_TRUE(HAS(OTHER, "odd"));
    vfy_free(&v);
}

/* Scenario sc (meant to fail with `failure`) judged on run r: xfail, ok. */
static void judge_expect(struct scn_scenario *sc, const struct rec_run *r, const char *failure,
                         struct vfy_result *v)
{
    sc->expect.verdict = SCN_VERDICT_FAIL;
    snprintf(sc->expect.failure, sizeof sc->expect.failure, "%s", failure);
    vfy_check(sc, r, v);
    vfy_apply_expect(sc, v);
}

static void test_expected_failure(void)
{
    struct scn_scenario sc;
    struct rec_run r;
    struct vfy_result v;
    scenario(&sc);
    perfect_run(&r, 100, 10 * MS);
    drop_app(&r, 17); /* "1 packets lost unexplained, ..." of kind unexplained_loss */
    const char *xfails[] = {"lost unexplained", "unexplained_loss", ""};
    for (size_t i = 0; i < sizeof xfails / sizeof xfails[0]; i++) {
        judge_expect(&sc, &r, xfails[i], &v);
        CU_ASSERT_TRUE(v.xfail);
        CU_ASSERT_FALSE(v.pass);
        CU_ASSERT_TRUE(vfy_ok(&v));
        CU_ASSERT_STRING_EQUAL(vfy_verdict(&v), "fail");
        CU_ASSERT_TRUE(only(&v, K(UNEXPLAINED_LOSS)));
        vfy_free(&v);
    }
    /* failing for another reason stays a failure; a kind name must match whole */
    const char *others[] = {"duplicated", "duplicate", "loss"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        judge_expect(&sc, &r, others[i], &v);
        CU_ASSERT_FALSE(v.xfail);
        CU_ASSERT_FALSE(vfy_ok(&v));
        CU_ASSERT_TRUE(only(&v, K(UNEXPLAINED_LOSS)));
        vfy_free(&v);
    }
    rec_free(&r);
    /* meant to fail, but passed */
    perfect_run(&r, 100, 10 * MS);
    judge_expect(&sc, &r, "lost", &v);
    CU_ASSERT_FALSE(v.pass);
    CU_ASSERT_FALSE(v.xfail);
    CU_ASSERT_FALSE(vfy_ok(&v));
    CU_ASSERT_EQUAL(v.n_failures, 1);
    CU_ASSERT_TRUE(HAS(UNEXPECTED_PASS, "meant to fail with 'lost'"));
    vfy_apply_expect(&sc, &v); /* once more: the unexpected pass is not an expected failure */
    CU_ASSERT_FALSE(v.xfail);
    vfy_free(&v);
    /* an ordinary scenario is left alone */
    sc.expect.verdict = SCN_VERDICT_PASS;
    vfy_check(&sc, &r, &v);
    vfy_apply_expect(&sc, &v);
    CU_ASSERT_TRUE(v.pass && vfy_ok(&v) && !v.xfail);
    vfy_free(&v);
    rec_free(&r);
}

static CU_TestInfo tests[] = {
    {"perfect run passes", test_perfect},
    {"missing seq is unexplained and named", test_missing_seq},
    {"device drop accounted; lost_max; ratio", test_device_drop_accounted},
    {"the packets a reader fell behind on", test_lost_behind},
    {"ring drops by seq and anonymous", test_ring_and_anonymous},
    {"every lost seq with its place and due time", test_lost_places},
    {"duplicate", test_duplicate},
    {"reorder", test_reorder},
    {"corrupt packets", test_corrupt},
    {"a raw stream: unknown packets, latency from the device log", test_raw_stream},
    {"a raw stream's alike packets placed again", test_raw_place},
    {"a raw stream's empty packets are not judged (a corrupted one has nothing to detect)",
     test_raw_place_empty_corrupt},
    {"a raw stream's alike packets lost in the ring, placed by time", test_raw_place_ring},
    {"rate bounds, long-run and windows", test_rate_bounds},
    {"latency percentiles exact", test_latency_percentiles},
    {"a window discounts the device's own lateness", test_window_device_late},
    {"drain time and backlog", test_drain},
    {"the backlog's drain after a device hold stall", test_drain_after_device_stall},
    {"time scale", test_time_scale},
    {"inconsistent records", test_inconsistent_records},
    {"a negative latency is an integrity failure, not a figure", test_negative_latency},
    {"times at the ends of int64 never overflow", test_extreme_times},
    {"lost wake-ups", test_missed_wakeups},
    {"kind names are stable and parse back", test_kind_names},
    {"expected failures (XFAIL) and unexpected passes", test_expected_failure},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("verify", tests); }

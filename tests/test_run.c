/* End-to-end tests of harness/run: the three real processes over USB/IP on loopback.
 * No assertion depends on timing beyond one packet at a window's edge. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/run.h"
#include "sim/schedule.h"
#include "tests/cu.h"

static void load(const char *yaml, struct scn_scenario *sc)
{
    char err[SCN_ERR_MAX];
    int rc = scn_parse("t.yaml", yaml, strlen(yaml), sc, err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static bool has_failure(const struct vfy_result *r, const char *text)
{
    for (size_t i = 0; i < r->n_failures; i++)
        if (strstr(r->failures[i], text))
            return true;
    return false;
}

static void test_steady_passes(void)
{
    struct scn_scenario sc;
    load("name: t\nduration_ms: 1000\nexpect: {lost_max: 0, order: strict}\n", &sc);
    struct run_opts o = {.backend = "usbip"};
    struct vfy_result r;
    CU_ASSERT_EQUAL_FATAL(run_one(&sc, &o, &r), 0);
    CU_ASSERT_TRUE(r.pass);
    CU_ASSERT_EQUAL(r.produced, 100);
    CU_ASSERT_EQUAL(r.delivered, 100);
    CU_ASSERT_EQUAL(r.lost_unexplained, 0);
    vfy_free(&r);
}

/* A consumer stall longer than the ring: the packets due during the stall, less what the ring
 * holds, are lost in the ring, and counted there (not unexplained). */
static void test_ring_loss_is_the_arithmetic(void)
{
    struct scn_scenario sc;
    load("name: t\nduration_ms: 2000\ntransport: {ring_slots: 16, overflow: drop-newest}\n"
         "consumer:\n  events:\n    - {at_ms: 500, stall_ms: 1000}\n",
         &sc);
    struct sched plan;
    char err[SCN_ERR_MAX];
    CU_ASSERT_EQUAL_FATAL(sched_build(&sc, &plan, err), 0);
    long due_in_stall = 0;
    for (size_t i = 0; i < plan.n; i++)
        due_in_stall += plan.samples[i].due_ns >= 500000000 && plan.samples[i].due_ns < 1500000000;
    sched_free(&plan);
    long expected = due_in_stall - 16; /* 100 due, 16 fit */

    struct run_opts o = {.backend = "usbip"};
    struct vfy_result r;
    CU_ASSERT_EQUAL_FATAL(run_one(&sc, &o, &r), 0);
    CU_ASSERT_TRUE(r.pass); /* no expectation, and every loss is accounted */
    CU_ASSERT_EQUAL(r.lost_unexplained, 0);
    CU_ASSERT_EQUAL(r.lost_accounted.device, 0);
    long ring = (long)r.lost_accounted.ring;
    if (ring < expected - 1 || ring > expected + 1)
        fprintf(stderr, "ring lost %ld, arithmetic says %ld\n", ring, expected);
    CU_ASSERT_TRUE(ring >= expected - 1 && ring <= expected + 1); /* one packet at each edge */
    CU_ASSERT_EQUAL(r.delivered + r.lost_accounted.ring, r.produced);
    CU_ASSERT_EQUAL(r.backlog_max, 16);
    vfy_free(&r);
}

/* A raw stream end to end: no header, the driver checks nothing, the application identifies each
 * packet by content; corrupted packets are the ones it cannot identify (lost at crc), the
 * plan's drops are lost at the device, latency comes from the device log. Every generator,
 * alike packets (pattern) included. */
static void test_raw_stream(void)
{
    static const char *const gens[] = {"counter", "random", "pattern, pattern: \"55 aa\""};
    for (size_t g = 0; g < 3; g++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml, "name: raw\nduration_ms: 1500\ndevice:\n  framing: raw\n"
                 "  packet_size: 40\n  payload: {generator: %s}\n  events:\n"
                 "    - {at_ms: 300, corrupt: 3}\n"
                 "    - {at_ms: 700, stall_ms: 100, mode: drop}\n"
                 "expect: {order: strict, latency_ms: {p99_max: 500}}\n", gens[g]);
        struct scn_scenario sc;
        load(yaml, &sc);
        struct sched plan;
        char err[SCN_ERR_MAX];
        CU_ASSERT_EQUAL_FATAL(sched_build(&sc, &plan, err), 0);
        uint64_t planned_drops = plan.dropped[SCHED_DROP_STALL];
        sched_free(&plan);
        struct run_opts o = {.backend = "usbip"};
        struct vfy_result r;
        CU_ASSERT_EQUAL_FATAL(run_one(&sc, &o, &r), 0);
        for (size_t i = 0; i < r.n_failures; i++)
            fprintf(stderr, "\n  %s: %s", gens[g], r.failures[i]);
        CU_ASSERT_TRUE(r.pass);
        CU_ASSERT_TRUE(r.raw);
        CU_ASSERT_EQUAL(r.endpoint, 0x81);
        CU_ASSERT_EQUAL(r.lost_accounted.crc, 3);
        CU_ASSERT_EQUAL(r.lost_accounted.device, planned_drops);
        CU_ASSERT_EQUAL(r.lost_unexplained + r.duplicates + r.reordered + r.crc_errors, 0);
        CU_ASSERT_EQUAL(r.delivered + 3 + planned_drops, r.produced);
        CU_ASSERT_EQUAL(r.latency.n, r.delivered);
        vfy_free(&r);
    }
}

static void test_expect_that_cannot_hold_names_the_figure(void)
{
    struct scn_scenario sc;
    load("name: t\nduration_ms: 1000\nexpect: {rate_hz: {min: 150, max: 200}}\n", &sc);
    struct run_opts o = {.backend = "usbip"};
    struct vfy_result r;
    CU_ASSERT_EQUAL_FATAL(run_one(&sc, &o, &r), 0);
    CU_ASSERT_FALSE(r.pass);
    CU_ASSERT_TRUE(has_failure(&r, "rate"));
    CU_ASSERT_TRUE(has_failure(&r, "150"));
    vfy_free(&r);
}

/* Each process's pid, as run_one tells it (run_opts.on_start). */
static _Atomic pid_t started[3];

static void on_start(void *ctx, const char *name, pid_t pid)
{
    (void)ctx;
    int i = strcmp(name, "device") == 0 ? 0 : strcmp(name, "driver") == 0 ? 1 : 2;
    CU_ASSERT_STRING_EQUAL(name, i == 0 ? "device" : i == 1 ? "driver" : "app");
    atomic_store(&started[i], pid);
}

/* Kills the application by its pid once it has run a while. */
static void *crash_app(void *arg)
{
    (void)arg;
    while (atomic_load(&started[2]) == 0)
        usleep(10000);
    usleep(700000);
    kill(atomic_load(&started[2]), SIGKILL);
    return NULL;
}

static void test_crashed_child_is_reported(void)
{
    struct scn_scenario sc;
    load("name: t\nduration_ms: 1500\n", &sc);
    for (int i = 0; i < 3; i++)
        atomic_store(&started[i], 0);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, crash_app, NULL), 0);
    struct run_opts o = {.backend = "usbip", .on_start = on_start};
    struct vfy_result r;
    int rc = run_one(&sc, &o, &r);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_FALSE(r.pass);
    CU_ASSERT_TRUE(has_failure(&r, "app: crashed: signal 9"));
    for (int i = 0; i < 3; i++) { /* each one started, and none is left running (or a zombie) */
        pid_t pid = atomic_load(&started[i]);
        CU_ASSERT_TRUE(pid > 0);
        CU_ASSERT_TRUE(pid > 0 && kill(pid, 0) == -1 && errno == ESRCH);
    }
    vfy_free(&r);
}

static CU_TestInfo tests[] = {
    {"steady passes, every packet delivered", test_steady_passes},
    {"ring loss matches the arithmetic", test_ring_loss_is_the_arithmetic},
    {"a raw stream: identified by content, corruption detected", test_raw_stream},
    {"an expectation that cannot hold names the figure",
     test_expect_that_cannot_hold_names_the_figure},
    {"a crashed child is reported, not hung on", test_crashed_child_is_reported},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("run", tests);
}

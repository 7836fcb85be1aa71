/* Tests of harness/fuzz_inv: the invariants, and the verifier's kinds mapped to them. */
#include <stdio.h>
#include <string.h>

#include "harness/fuzz_inv.h"
#include "sim/scenario.h"
#include "tests/cu.h"

static void clean_result(struct vfy_result *r, const struct scn_scenario *s)
{
    vfy_init(r, s, "usbip");
    r->produced = r->delivered = 100;
    r->doorbells = 40;
    r->wakeups = 41;
    r->backlog_max = 5;
    r->lat_drv_app.n = 100;
    r->lat_drv_app.max_ns = 2000000;
}

static unsigned check(const struct scn_scenario *s, const struct vfy_result *r, char *why)
{
    return fz_violations(s, r, why, 256);
}

static void invariants_name_what_broke(void)
{
    static struct scn_scenario s;
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "x");
    s.duration_ns = 1000000000LL;
    struct vfy_result r;
    char why[256];
    clean_result(&r, &s);
    CU_ASSERT_EQUAL(check(&s, &r, why), 0);
    CU_ASSERT_STRING_EQUAL(why, "");

    r.lost_unexplained = 1;
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_LOSS);
    clean_result(&r, &s);
    r.lost_behind = 3; /* the built-in driver: a blocked ring may hold the device back */
    CU_ASSERT_EQUAL(check(&s, &r, why), 0);
    r.exec_run = true; /* the user's program reads the device itself */
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_LOSS);
    CU_ASSERT_STRING_EQUAL(why, "the program fell behind: 3 packets dropped at the device's "
                                "FIFO that a host reading on time receives");
    clean_result(&r, &s);
    r.backlog_max = 257;
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_BACKLOG);
    clean_result(&r, &s);
    r.wakeups = 42; /* one more than the doorbells and the end-of-run kick */
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_WAKEUPS);
    clean_result(&r, &s);
    r.lat_drv_app.max_ns = 100000000; /* a 100 ms wait slice: a missed wake-up */
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_LATENCY);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "wake-up"));
    clean_result(&r, &s);
    r.n_drains = 1;
    r.drains[0] = (struct vfy_drain){.stall_end_ns = 300000000, .drain_ns = 100000000};
    s.consumer.n_events = 1;
    s.consumer.events[0] = (struct scn_con_event){.at_ns = 100000000, .dur_ns = 200000000};
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_DRAIN);
    /* a second stall right after the first one: the drain may wait for it too */
    s.consumer.n_events = 2;
    s.consumer.events[1] = (struct scn_con_event){.at_ns = 310000000, .dur_ns = 100000000};
    CU_ASSERT_EQUAL(check(&s, &r, why), 0);
    s.consumer.n_events = 0;

    clean_result(&r, &s);
    vfy_add_failure(&r, VFY_KIND_PROCESS_FAILED, "app: exited 1");
    vfy_add_failure(&r, VFY_KIND_DUPLICATE, "duplicated: seq 4");
    unsigned m = check(&s, &r, why);
    CU_ASSERT_EQUAL(m, (1u << FZ_INV_PROCESS) | (1u << FZ_INV_DUPLICATE));
    CU_ASSERT_EQUAL(fz_first(m), FZ_INV_PROCESS);
    CU_ASSERT_STRING_EQUAL(why, "app: exited 1");
    vfy_free(&r);
    CU_ASSERT_EQUAL(fz_first(0), FZ_INV_COUNT);
    CU_ASSERT_STRING_EQUAL(fz_inv_name(FZ_INV_LATENCY), "latency");
}

/* At time scale 20 the bounds grow with it: the same real-time slack is 20 times more
 * scenario time. */
static void bounds_follow_the_time_scale(void)
{
    static struct scn_scenario s;
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "x");
    s.duration_ns = 1000000000LL;
    struct vfy_result r;
    char why[256];
    clean_result(&r, &s);
    r.lat_drv_app.max_ns = 2 * FZ_MARGIN_REAL_NS;
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_LATENCY);
    scn_time_scale(&s, 20);
    CU_ASSERT_EQUAL(check(&s, &r, why), 0);
    vfy_free(&r);
}

static void one_failure(struct vfy_result *r, const struct scn_scenario *s, enum vfy_kind kind,
                        const char *text)
{
    clean_result(r, s);
    vfy_add_failure(r, kind, "%s", text);
}

/* Every kind the verifier can report lands on an invariant, the process kinds on process and
 * no other kind there (a kind forgotten in the table would land on process, entry 0). */
static void every_kind_maps_to_an_invariant(void)
{
    for (int k = 0; k < VFY_KIND_COUNT; k++) {
        enum fz_inv v = fz_inv_of_kind((enum vfy_kind)k);
        CU_ASSERT(v < FZ_INV_COUNT);
        bool process = strncmp(vfy_kind_name((enum vfy_kind)k), "process_", 8) == 0;
        CU_ASSERT_EQUAL(v == FZ_INV_PROCESS, process);
    }
    static const struct {
        enum vfy_kind kind;
        enum fz_inv inv;
    } want[] = {
        {VFY_KIND_UNEXPLAINED_LOSS, FZ_INV_LOSS}, {VFY_KIND_DUPLICATE, FZ_INV_DUPLICATE},
        {VFY_KIND_REORDER, FZ_INV_REORDER}, {VFY_KIND_CORRUPTION, FZ_INV_CORRUPTION},
        {VFY_KIND_INTEGRITY, FZ_INV_INTEGRITY}, {VFY_KIND_ACCOUNTING, FZ_INV_ACCOUNTING},
        {VFY_KIND_MISSED_WAKEUP, FZ_INV_WAKEUPS}, {VFY_KIND_PROCESS_CRASH, FZ_INV_PROCESS},
        {VFY_KIND_PROCESS_HANG, FZ_INV_PROCESS}, {VFY_KIND_PROCESS_FAILED, FZ_INV_PROCESS},
        {VFY_KIND_PROCESS_STOPPED, FZ_INV_PROCESS}, {VFY_KIND_OTHER, FZ_INV_OTHER},
        {VFY_KIND_UNEXPECTED_PASS, FZ_INV_OTHER},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CU_ASSERT_EQUAL(fz_inv_of_kind(want[i].kind), want[i].inv);
    CU_ASSERT_EQUAL(fz_inv_of_kind(VFY_KIND_COUNT), FZ_INV_OTHER);
}

/* The mapping reads kinds only: a failure reworded, or worded like another one, still goes
 * where its kind says. */
static void reworded_failures_map_by_kind(void)
{
    static struct scn_scenario s;
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "x");
    s.duration_ns = 1000000000LL;
    struct vfy_result r;
    char why[256];
    one_failure(&r, &s, VFY_KIND_DUPLICATE, "app: exited 1 (worded like a process failure)");
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_DUPLICATE);
    vfy_free(&r);
    one_failure(&r, &s, VFY_KIND_PROCESS_CRASH, "the application went away");
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_PROCESS);
    CU_ASSERT_STRING_EQUAL(why, "the application went away");
    vfy_free(&r);
    one_failure(&r, &s, VFY_KIND_UNEXPLAINED_LOSS, "seq 17 vanished");
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_LOSS);
    vfy_free(&r);
    one_failure(&r, &s, VFY_KIND_MISSED_WAKEUP, "slept through 2 doorbells");
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_WAKEUPS);
    vfy_free(&r);
    one_failure(&r, &s, VFY_KIND_OTHER, "lost unexplained (but only words)");
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_OTHER);
    vfy_free(&r);
}

/* A process stopped because another failed is a consequence: the culprit gives the reason,
 * whatever the order of the failures. */
static void culprits_come_first(void)
{
    static struct scn_scenario s;
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "x");
    s.duration_ns = 1000000000LL;
    struct vfy_result r;
    char why[256];
    clean_result(&r, &s);
    vfy_add_failure(&r, VFY_KIND_PROCESS_STOPPED, "device: stopped (another process failed)");
    vfy_add_failure(&r, VFY_KIND_PROCESS_CRASH, "driver: crashed: signal 11");
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_PROCESS);
    CU_ASSERT_STRING_EQUAL(why, "driver: crashed: signal 11");
    char want[256];
    CU_ASSERT_EQUAL(fz_violations_of(&s, &r, FZ_INV_PROCESS, want, sizeof want),
                    1u << FZ_INV_PROCESS);
    CU_ASSERT_STRING_EQUAL(want, "driver: crashed: signal 11");
    vfy_free(&r);
    /* only a consequence (an interrupt): it is still a process failure */
    one_failure(&r, &s, VFY_KIND_PROCESS_STOPPED, "app: stopped (interrupt)");
    CU_ASSERT_EQUAL(check(&s, &r, why), 1u << FZ_INV_PROCESS);
    CU_ASSERT_STRING_EQUAL(why, "app: stopped (interrupt)");
    vfy_free(&r);
}

static void reason_of_the_wanted_invariant(void)
{
    static struct scn_scenario s;
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "x");
    s.duration_ns = 1000000000LL;
    struct vfy_result r;
    char why[256];
    clean_result(&r, &s);
    vfy_add_failure(&r, VFY_KIND_PROCESS_FAILED, "app: exited 1");
    vfy_add_failure(&r, VFY_KIND_REORDER, "reordered: seq 9 after 10");
    unsigned m = fz_violations_of(&s, &r, FZ_INV_REORDER, why, sizeof why);
    CU_ASSERT_EQUAL(m, (1u << FZ_INV_PROCESS) | (1u << FZ_INV_REORDER));
    CU_ASSERT_STRING_EQUAL(why, "reordered: seq 9 after 10");
    CU_ASSERT_EQUAL(fz_violations_of(&s, &r, FZ_INV_DRAIN, why, sizeof why), m);
    CU_ASSERT_STRING_EQUAL(why, ""); /* not broken: no reason */
    vfy_free(&r);
}

static CU_TestInfo tests[] = {
    {"invariants name what broke", invariants_name_what_broke},
    {"bounds follow the time scale", bounds_follow_the_time_scale},
    {"every verifier kind maps to an invariant", every_kind_maps_to_an_invariant},
    {"reworded failures map by their kind", reworded_failures_map_by_kind},
    {"culprits come first", culprits_come_first},
    {"the reason of the wanted invariant", reason_of_the_wanted_invariant},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("fuzz_inv", tests);
}

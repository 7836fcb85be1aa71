/* Tests for sim/deadline (waiting until a deadline, timer or precise) and the scenario key that
 * chooses it (device.timing). Timing is never judged here beyond "not before the deadline". */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sim/clock.h"
#include "sim/deadline.h"
#include "sim/scenario.h"
#include "tests/cu.h"

static void test_timer_mode(void)
{
    struct dl_wait w;
    dl_init(&w);
    int64_t now = clk_mono_ns(), wake = now + 2000000;
    CU_ASSERT_EQUAL(dl_ppoll(&w, NULL, 0, now, wake, 0, NULL), 0);
    CU_ASSERT(clk_mono_ns() >= wake);
    CU_ASSERT_EQUAL(w.spins, 0); /* a plain sleep */
    CU_ASSERT_EQUAL(dl_ppoll(&w, NULL, 0, clk_mono_ns(), now, 0, NULL), 0); /* already past */
}

static void test_precise_mode(void)
{
    struct dl_wait w;
    dl_init(&w);
    for (int i = 0; i < 5; i++) {
        int64_t now = clk_mono_ns(), wake = now + 1000000;
        CU_ASSERT_EQUAL(dl_ppoll(&w, NULL, 0, now, wake, 1, NULL), 0);
        CU_ASSERT(clk_mono_ns() >= wake);
    }
    CU_ASSERT(w.spins > 0);
    CU_ASSERT(w.spin_ns > 0);
    CU_ASSERT(w.margin_ns >= DL_MARGIN_MIN_NS && w.margin_ns <= DL_MARGIN_MAX_NS);
    /* a deadline shorter than the margin: spins the whole wait */
    int64_t now = clk_mono_ns(), wake = now + DL_MARGIN_MIN_NS / 2;
    CU_ASSERT_EQUAL(dl_ppoll(&w, NULL, 0, now, wake, 1, NULL), 0);
    CU_ASSERT(clk_mono_ns() >= wake);
}

static void test_precise_serves_events(void)
{
    struct dl_wait w;
    dl_init(&w);
    int fd = eventfd(1, EFD_CLOEXEC); /* readable at once */
    CU_ASSERT_FATAL(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    int64_t now = clk_mono_ns();
    /* inside the margin (spinning) and before it (sleeping): the event ends the wait at once */
    CU_ASSERT_EQUAL(dl_ppoll(&w, &p, 1, now, now + DL_MARGIN_MIN_NS / 2, 1, NULL), 1);
    CU_ASSERT(p.revents & POLLIN);
    now = clk_mono_ns();
    CU_ASSERT_EQUAL(dl_ppoll(&w, &p, 1, now, now + 1000000000, 1, NULL), 1);
    CU_ASSERT(clk_mono_ns() - now < 500000000);
    close(fd);
}

static void test_margin_adapts(void)
{
    struct dl_wait w;
    dl_init(&w);
    for (int i = 0; i < 200; i++) {
        int64_t now = clk_mono_ns();
        dl_ppoll(&w, NULL, 0, now, now + 500000, 1, NULL);
    }
    CU_ASSERT(w.margin_ns >= DL_MARGIN_MIN_NS && w.margin_ns <= DL_MARGIN_MAX_NS);
}

static void test_scenario_key(void)
{
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    const char *dflt = "name: t\nduration_ms: 100\n";
    CU_ASSERT_EQUAL_FATAL(scn_parse("t", dflt, strlen(dflt), &sc, err), 0);
    CU_ASSERT_EQUAL(sc.device.timing, SCN_TIMING_TIMER);
    const char *prec = "name: t\nduration_ms: 100\ndevice:\n  timing: precise\n";
    CU_ASSERT_EQUAL_FATAL(scn_parse("t", prec, strlen(prec), &sc, err), 0);
    CU_ASSERT_EQUAL(sc.device.timing, SCN_TIMING_PRECISE);
    const char *bad = "name: t\nduration_ms: 100\ndevice:\n  timing: exact\n";
    CU_ASSERT_NOT_EQUAL(scn_parse("t", bad, strlen(bad), &sc, err), 0);
    CU_ASSERT(strstr(err, "timer") && strstr(err, "precise"));
    /* written back and read again, it stays precise */
    CU_ASSERT_EQUAL_FATAL(scn_parse("t", prec, strlen(prec), &sc, err), 0);
    char buf[8192];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_EQUAL(scn_write_yaml(&sc, f), 0);
    fclose(f);
    struct scn_scenario back;
    CU_ASSERT_EQUAL_FATAL(scn_parse("t", buf, strlen(buf), &back, err), 0);
    CU_ASSERT_EQUAL(back.device.timing, SCN_TIMING_PRECISE);
}

static CU_TestInfo tests[] = {
    {"timer: one sleep, never before the deadline", test_timer_mode},
    {"precise: sleeps, then spins to the deadline", test_precise_mode},
    {"precise: an event ends the wait", test_precise_serves_events},
    {"precise: the margin stays in its bounds", test_margin_adapts},
    {"device.timing: timer by default, precise, refused otherwise, written back", test_scenario_key},
    CU_TEST_INFO_NULL};

int main(void)
{
    return cu_main("deadline", tests);
}

/* Tests of harness/proc: every way a child can end is seen, described, and cleaned up. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/proc.h"
#include "tests/cu.h"

static int ok_fn(void *arg) { (void)arg; return 0; }
static int fail_fn(void *arg) { return *(int *)arg; }
static int crash_fn(void *arg)
{
    (void)arg;
    signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn the crash into an exit */
    raise(SIGSEGV);
    return 0;
}
static int hang_fn(void *arg) { (void)arg; for (;;) pause(); return 0; }

/* Starts a grandchild that would run forever, writes its pid to the pipe, then hangs. */
static int family_fn(void *arg)
{
    int *fd = arg;
    pid_t g = fork();
    if (g == 0)
        for (;;) pause();
    if (write(fd[1], &g, sizeof g) != (ssize_t)sizeof g)
        return 9;
    for (;;) pause();
    return 0;
}

static int64_t in_ms(int ms) { return proc_now_ns() + (int64_t)ms * 1000000; }

static void test_exit_codes(void)
{
    struct proc p[2];
    int three = 3;
    CU_ASSERT_EQUAL_FATAL(proc_start(&p[0], "a", ok_fn, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(proc_start(&p[1], "b", fail_fn, &three), 0);
    CU_ASSERT_EQUAL(proc_wait_all(p, 2, in_ms(20000), false), 1);
    CU_ASSERT_TRUE(proc_ok(&p[0]));
    CU_ASSERT_FALSE(proc_ok(&p[1]));
    char buf[128];
    CU_ASSERT_STRING_EQUAL(proc_describe(&p[1], 1, buf, sizeof buf), "b: exited 3");
    CU_ASSERT_EQUAL(proc_kind(&p[1]), VFY_KIND_PROCESS_FAILED);
}

static void test_crash_is_named(void)
{
    struct proc p;
    CU_ASSERT_EQUAL_FATAL(proc_start(&p, "driver", crash_fn, NULL), 0);
    CU_ASSERT_EQUAL(proc_wait_all(&p, 1, in_ms(20000), false), 1);
    char buf[128];
    proc_describe(&p, 1, buf, sizeof buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "driver: crashed: signal 11"));
    CU_ASSERT_EQUAL(proc_kind(&p), VFY_KIND_PROCESS_CRASH);
}

static void test_hang_is_stopped_by_watchdog(void)
{
    struct proc p;
    CU_ASSERT_EQUAL_FATAL(proc_start(&p, "app", hang_fn, NULL), 0);
    CU_ASSERT_EQUAL(proc_wait_all(&p, 1, in_ms(50), false), 1);
    CU_ASSERT_TRUE(p.done && p.killed);
    char buf[128];
    CU_ASSERT_STRING_EQUAL(proc_describe(&p, 0.05, buf, sizeof buf),
                           "app: hung: stopped after the 0.1 s watchdog");
    CU_ASSERT_EQUAL(proc_kind(&p), VFY_KIND_PROCESS_HANG);
    CU_ASSERT_EQUAL(kill(p.pid, 0), -1); /* reaped: the pid is gone */
}

static void test_failure_stops_the_others(void)
{
    struct proc p[2];
    int two = 2;
    CU_ASSERT_EQUAL_FATAL(proc_start(&p[0], "device", hang_fn, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(proc_start(&p[1], "driver", fail_fn, &two), 0);
    /* The deadline is far away: only the failure can end the wait early. */
    CU_ASSERT_EQUAL(proc_wait_all(p, 2, in_ms(60000), true), 2);
    char buf[128];
    CU_ASSERT_STRING_EQUAL(proc_describe(&p[0], 60, buf, sizeof buf),
                           "device: stopped (another process failed)");
    CU_ASSERT_STRING_EQUAL(proc_describe(&p[1], 60, buf, sizeof buf), "driver: exited 2");
    CU_ASSERT_EQUAL(proc_kind(&p[0]), VFY_KIND_PROCESS_STOPPED); /* a consequence */
    CU_ASSERT_EQUAL(proc_kind(&p[1]), VFY_KIND_PROCESS_FAILED);  /* the culprit */
}

static void test_grandchildren_go_too(void)
{
    int fd[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fd), 0);
    struct proc p;
    CU_ASSERT_EQUAL_FATAL(proc_start(&p, "device", family_fn, fd), 0);
    pid_t g = 0;
    CU_ASSERT_EQUAL_FATAL(read(fd[0], &g, sizeof g), (ssize_t)sizeof g);
    proc_wait_all(&p, 1, in_ms(10), false);
    /* The grandchild is not ours to reap; it must be dead or dying (a zombie of init). */
    int gone = 0;
    for (int i = 0; i < 2000 && !gone; i++) {
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)g);
        FILE *f = fopen(path, "r");
        if (!f || fscanf(f, "%*d %*s %c", &state) != 1 || state == 'Z')
            gone = 1;
        if (f)
            fclose(f);
        if (!gone)
            usleep(1000);
    }
    CU_ASSERT_TRUE(gone);
    close(fd[0]);
    close(fd[1]);
}

static CU_TestInfo tests[] = {
    {"exit codes", test_exit_codes},
    {"a crash is named with its signal", test_crash_is_named},
    {"a hang is stopped by the watchdog", test_hang_is_stopped_by_watchdog},
    {"one failure stops the others", test_failure_stops_the_others},
    {"grandchildren are stopped with their parent", test_grandchildren_go_too},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("proc", tests);
}

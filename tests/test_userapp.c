/* Tests of a user's application under test (run --app): what libusbsim-ring records by itself
 * when USBSIM_RECORD is set (driver/record.h), the verifier's loss place `app`, and
 * harness/userapp.h's refusals and wording. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/client.h"
#include "driver/dataqueue.h"
#include "harness/records.h"
#include "harness/userapp.h"
#include "harness/verify.h"
#include "sim/packet.h"
#include "tests/cu.h"

#define SIZE 112
static char dir[64], sock[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/usbsim-tua-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/ring.sock", dir);
}

static void teardown(void)
{
    const char *files[] = {"app.csv", "app-counters.csv", "ring.sock", "ring.sock.lock"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* A driver in a child process: n packets with seq 100.. (produce time 1000 + seq), then close. */
static pid_t driver(int n)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char rerr[USBSIM_RING_ERR_MAX];
    struct usbsim_ring_config cfg = {64, SIZE, USBSIM_RING_BLOCK, 5000000000ull, 0, NULL};
    struct usbsim_ring *r = usbsim_ring_create(&cfg, rerr);
    struct usbsim_doorbell d;
    struct usbsim_server s;
    if (!r || usbsim_doorbell_open(&d, USBSIM_DOORBELL_SUPPRESSED, NULL) != 0 ||
        usbsim_server_listen(&s, sock, r, &d) != 0 || usbsim_server_accept(&s, 5000) != 0)
        _exit(10);
    for (int i = 0; i < n; i++) {
        uint8_t b[SIZE];
        struct pkt_fields f = {.seq = 100 + (uint32_t)i, .produce_ns = 1000 + 100 + (uint64_t)i};
        pkt_encode(b, SIZE, 1, &f, 0);
        if (usbsim_doorbell_push(&d, r, b, SIZE, 0, 5000 + (uint64_t)i) != USBSIM_OK)
            _exit(11);
    }
    usbsim_ring_close(r);
    usbsim_doorbell_kick(&d, r);
    for (int i = 0; i < 500 && usbsim_server_check(&s) == 0; i++)
        usleep(10000);
    usbsim_server_close(&s);
    _exit(0);
}

static void load(struct rec_run *run)
{
    char p[160], err[REC_ERR_MAX];
    rec_init(run);
    snprintf(p, sizeof p, "%s/app.csv", dir);
    CU_ASSERT_EQUAL_FATAL(rec_load_app(p, run, err), 0);
    snprintf(p, sizeof p, "%s/app-counters.csv", dir);
    CU_ASSERT_EQUAL(rec_load_counters(p, &run->counters, err), 0);
    CU_ASSERT_EQUAL(run->counters.missed_wakeups, 0);
}

/* The batch API: each packet once (looked at twice), its seq and times from the bytes, batches. */
static void t_batch_api_recorded(void)
{
    setup();
    setenv("USBSIM_RECORD", dir, 1);
    pid_t pid = driver(20);
    char err[USBSIM_CLIENT_ERR_MAX];
    struct usbsim_client *c = usbsim_client_connect(sock, 5000, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int n, batches = 0;
    while ((n = usbsim_client_wait(c, 1000)) > 0) {
        n = usbsim_client_peek(c, 8);
        struct usbsim_ring_pkt p;
        for (int i = 0; i < n; i++)
            CU_ASSERT_EQUAL(usbsim_client_get(c, (uint32_t)i, &p), 0);
        if (n > 0) { /* looked at again: still one row */
            CU_ASSERT_EQUAL(usbsim_client_get(c, 0, &p), 0);
            usbsim_client_release(c, (uint32_t)n);
            batches++;
        }
    }
    usbsim_client_close(c);
    unsetenv("USBSIM_RECORD");
    int st;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    struct rec_run run;
    load(&run);
    CU_ASSERT_EQUAL(run.n_app, 20);
    for (size_t i = 0; i < run.n_app && i < 20; i++) {
        CU_ASSERT_EQUAL(run.app[i].seq, 100 + i);
        CU_ASSERT_EQUAL(run.app[i].produce_ns, 1100 + (int64_t)i);
        CU_ASSERT_EQUAL(run.app[i].ingress_ns, 5000 + (int64_t)i);
        CU_ASSERT_TRUE(run.app[i].recv_ns > 0);
    }
    CU_ASSERT_TRUE(run.n_app == 20 && run.app[19].batch <= (uint64_t)batches &&
                   run.app[19].batch >= 3); /* 8 at most a batch */
    rec_free(&run);
    teardown();
}

static void take(const void *data, size_t size, void *ctx)
{
    (void)data, (void)size;
    ++*(int *)ctx;
}

static void on_data(struct usbsim_dq *q, void *ctx)
{
    usbsim_dq_dequeue(q, take, ctx);
}

/* The dataqueue API: one entry per wake-up, each recorded once. */
static void t_dataqueue_recorded(void)
{
    setup();
    setenv("USBSIM_RECORD", dir, 1);
    pid_t pid = driver(10);
    char err[USBSIM_CLIENT_ERR_MAX], qerr[USBSIM_DQ_ERR_MAX];
    struct usbsim_client *c = usbsim_client_connect(sock, 5000, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct usbsim_dq *q = usbsim_dq_consumer_new(c, -1, qerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    int got = 0;
    usbsim_dq_set_data_available_handler(q, on_data, &got);
    while (usbsim_dq_dispatch(q, 1000) > 0)
        ;
    usbsim_dq_free(q);
    usbsim_client_close(c);
    unsetenv("USBSIM_RECORD");
    int st;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT_EQUAL(got, 10);
    struct rec_run run;
    load(&run);
    CU_ASSERT_EQUAL(run.n_app, 10);
    for (size_t i = 0; i < run.n_app && i < 10; i++)
        CU_ASSERT_EQUAL(run.app[i].seq, 100 + i);
    rec_free(&run);
    teardown();
}

/* Put into the ring (a driver ok row) and never taken: lost at the app, not unexplained. */
static void t_app_place(void)
{
    struct scn_scenario sc;
    memset(&sc, 0, sizeof sc);
    strcpy(sc.name, "app-place");
    sc.duration_ns = 100000000;
    sc.device.period_ns = 10000000;
    sc.time_scale = 1.0;
    struct rec_run r;
    rec_init(&r);
    r.device = calloc(10, sizeof *r.device);
    r.app = calloc(10, sizeof *r.app);
    r.driver = calloc(10, sizeof *r.driver);
    CU_ASSERT_FATAL(r.device && r.app && r.driver);
    for (uint32_t i = 0; i < 10; i++) {
        r.device[r.n_device++] = (struct rec_device_row){.seq = i, .due_ns = i * 10000000LL,
                                                         .produce_ns = 1 + i * 10000000LL};
        r.driver[r.n_driver++] = (struct rec_driver_row){.seq = i, .status = REC_ST_OK};
        if (i < 7) /* the application took 0..6; 7, 8, 9 stayed in the ring */
            r.app[r.n_app++] = (struct rec_app_row){.seq = i, .recv_ns = 2 + i * 10000000LL,
                                                    .produce_ns = 1 + i * 10000000LL,
                                                    .ingress_ns = 1 + i * 10000000LL};
    }
    struct vfy_result v;
    CU_ASSERT_EQUAL(vfy_check(&sc, &r, &v), 0); /* no expect: accounted loss passes */
    CU_ASSERT_EQUAL(v.lost_accounted.app, 3);
    CU_ASSERT_EQUAL(v.lost_unexplained, 0);
    CU_ASSERT_EQUAL(v.n_lost, 3);
    CU_ASSERT_TRUE(v.n_lost == 3 && v.lost[0].seq == 7 && v.lost[0].place == VFY_PLACE_APP);
    CU_ASSERT_STRING_EQUAL(vfy_place_name(VFY_PLACE_APP), "app");
    vfy_free(&v);
    rec_free(&r);
}

/* A program on a real USB stack: never completed -> host, completed but not in its trace ->
 * program, a corrupted one it did not take -> crc (rightly rejected). */
static void t_exec_places(void)
{
    struct scn_scenario sc;
    memset(&sc, 0, sizeof sc);
    strcpy(sc.name, "exec-places");
    sc.duration_ns = 100000000;
    sc.device.period_ns = 10000000;
    sc.time_scale = 1.0;
    struct rec_run r;
    rec_init(&r);
    r.exec_run = 1;
    r.device = calloc(10, sizeof *r.device);
    r.app = calloc(10, sizeof *r.app);
    r.driver = calloc(10, sizeof *r.driver);
    CU_ASSERT_FATAL(r.device && r.app && r.driver);
    for (uint32_t i = 0; i < 10; i++) {
        r.device[r.n_device++] = (struct rec_device_row){
            .seq = i, .due_ns = i * 10000000LL, .produce_ns = 1 + i * 10000000LL,
            .flags = i == 5 ? PKT_F_CORRUPT : 0};
        if (i != 8) /* the host stack never completed 8 */
            r.driver[r.n_driver++] = (struct rec_driver_row){.seq = i, .status = REC_ST_OK};
        if (i != 5 && i != 7 && i != 8) /* 7 completed, missing from the trace */
            r.app[r.n_app++] = (struct rec_app_row){.seq = i, .recv_ns = 2 + i * 10000000LL,
                                                    .produce_ns = 1 + i * 10000000LL,
                                                    .ingress_ns = 1 + i * 10000000LL};
    }
    struct vfy_result v;
    vfy_check(&sc, &r, &v);
    CU_ASSERT_EQUAL(v.lost_accounted.host, 1);
    CU_ASSERT_EQUAL(v.lost_accounted.program, 1);
    CU_ASSERT_EQUAL(v.lost_accounted.crc, 1);
    CU_ASSERT_EQUAL(v.lost_unexplained, 0);
    CU_ASSERT_TRUE(v.pass); /* no expect: every loss accounted */
    for (size_t i = 0; i < v.n_failures; i++)
        fprintf(stderr, "\n  failure: %s", v.failures[i]);
    vfy_free(&v);
    rec_free(&r);
}

static void t_refusals_and_words(void)
{
    struct scn_scenario sc;
    memset(&sc, 0, sizeof sc);
    strcpy(sc.name, "x");
    char why[256];
    CU_ASSERT_EQUAL(uapp_refuses(&sc, why, sizeof why), 0);
    sc.device.framing = SCN_FRAMING_RAW; /* libusbsim-ring reads the seq from the packet */
    CU_ASSERT_EQUAL(uapp_refuses(&sc, why, sizeof why), -1);
    CU_ASSERT_STRING_EQUAL(why, "--app judges usbsim-framed streams; scenario 'x' has framing raw "
                                "(use the built-in application or --exec)");
    sc.device.framing = SCN_FRAMING_USBSIM;
    sc.consumer.n_events = 1;
    CU_ASSERT_EQUAL(uapp_refuses(&sc, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "consumer.events"));
    sc.consumer.work.kind = SCN_DIST_UNIFORM;
    CU_ASSERT_EQUAL(uapp_refuses(&sc, why, sizeof why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "consumer.work_us and consumer.events"));
    CU_ASSERT_PTR_NOT_NULL(strstr(uapp_hint(127), "not found"));
    CU_ASSERT_PTR_NOT_NULL(strstr(uapp_hint(126), "not executable"));
    CU_ASSERT_STRING_EQUAL(uapp_hint(1), "");
}

/* uapp_shell in a child: how the child ended (waitpid status). */
static int shell_status(const char *command)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(uapp_shell(command));
    int st = -1;
    waitpid(pid, &st, 0);
    return st;
}

/* The shell's status, its signal, and what it left running waited for. */
static void t_shell(void)
{
    int st = shell_status("exit 3");
    CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    st = shell_status("kill -SEGV $$");
    CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    st = shell_status("no-such-command-usbsim 2>/dev/null");
    CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 127);
    setup();
    char cmd[256], path[160];
    snprintf(path, sizeof path, "%s/app.csv", dir);
    snprintf(cmd, sizeof cmd, "(sleep 0.3; echo late > %s) & exit 0", path);
    st = shell_status(cmd);
    CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_EQUAL(access(path, F_OK), 0); /* the background writer finished first */
    teardown();
}

static CU_TestInfo tests[] = {
    {"uapp_shell: status, signal, what the shell left is waited for", t_shell},
    {"batch API: the library records what was taken", t_batch_api_recorded},
    {"dataqueue API: recorded the same way", t_dataqueue_recorded},
    {"put into the ring and never taken: lost at app", t_app_place},
    {"--exec: lost at host, at program, corrupted rejected", t_exec_places},
    {"consumer work/stalls refused; exit statuses worded", t_refusals_and_words},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("userapp", tests); }

/* `usbsim driver` as a user runs it (cli_main in a child process, stderr to a file): it says what
 * it waits for, ends by itself with exit 0 when the USB/IP server (usbsim gadget's code, in
 * another child) ends its timeline, stops cleanly on SIGTERM while waiting, and says at once that
 * a libusb device is not there (exit 3). The application is this process, through the client
 * API. No assertion depends on timing; each wait has a generous bound so a bug fails, not hangs. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/client.h"
#include "driver/drv.h"
#include "harness/cli.h"
#include "sim/gadget.h"
#include "tests/cu.h"

#define BOUND_NS 60000000000LL /* any wait here: a safeguard, far beyond what is needed */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct driver_child {
    pid_t pid;
    char dir[64], sock[96], err[96];
};

/* Starts `usbsim driver --socket DIR/ring.sock ARGS...` with its stderr in DIR/stderr. */
static void start_driver(struct driver_child *d, const char *const *args, int n)
{
    snprintf(d->dir, sizeof d->dir, "/tmp/usbsim-drv-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d->dir));
    snprintf(d->sock, sizeof d->sock, "%s/ring.sock", d->dir);
    snprintf(d->err, sizeof d->err, "%s/stderr", d->dir);
    fflush(NULL);
    d->pid = fork();
    CU_ASSERT_TRUE_FATAL(d->pid >= 0);
    if (d->pid == 0) {
        int fd = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(99);
        setvbuf(stderr, NULL, _IONBF, 0);
        char *argv[16] = {"usbsim", "driver", "--socket", d->sock};
        for (int i = 0; i < n && i < 11; i++)
            argv[4 + i] = (char *)args[i];
        _exit(cli_main(4 + n, argv));
    }
}

/* The child's exit code, or -1 when it did not end within the bound (then it is killed). */
static int wait_child(pid_t pid)
{
    int st;
    for (int64_t end = mono_ns() + BOUND_NS; mono_ns() < end;) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static int file_has(const char *path, const char *text)
{
    char buf[8192] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* Waits until path says text (within the bound). */
static int await_text(const char *path, const char *text)
{
    for (int64_t end = mono_ns() + BOUND_NS; mono_ns() < end; usleep(20000))
        if (file_has(path, text))
            return 1;
    return 0;
}

static void remove_dir(struct driver_child *d)
{
    unlink(d->sock);
    unlink(d->err);
    rmdir(d->dir);
}

/* usbsim gadget's USB/IP server for a short scenario, in a child; its port. */
static pid_t start_gadget_of(const char *yaml, uint16_t *port)
{
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    int pfd[2];
    CU_ASSERT_EQUAL_FATAL(scn_parse("t.yaml", yaml, strlen(yaml), &sc, err), 0);
    CU_ASSERT_EQUAL_FATAL(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        struct gadget_opts go = {.sc = &sc, .backend = "usbip", .listen = "127.0.0.1:0",
                                 .quiet = 1, .ready_fd = pfd[1]};
        _exit(gadget_run(&go));
    }
    close(pfd[1]);
    char line[32] = "";
    ssize_t got = read(pfd[0], line, sizeof line - 1);
    close(pfd[0]);
    unsigned p = 0;
    CU_ASSERT_TRUE(got > 0 && sscanf(line, "port=%u", &p) == 1);
    *port = (uint16_t)p;
    return pid;
}

static pid_t start_gadget(uint16_t *port)
{
    return start_gadget_of("name: t\nduration_ms: 500\n", port);
}

static void test_ends_with_the_usbip_timeline(void)
{
    uint16_t port = 0;
    pid_t gadget = start_gadget(&port);
    CU_ASSERT_TRUE_FATAL(port != 0);
    char connect[32], waiting[160];
    snprintf(connect, sizeof connect, "127.0.0.1:%u", port);
    const char *args[] = {"--connect", connect};
    struct driver_child d;
    start_driver(&d, args, 2);
    /* The application: this process maps the ring and reads it until the driver closes it. */
    snprintf(waiting, sizeof waiting, "waiting for an application on %s", d.sock);
    CU_ASSERT_TRUE(await_text(d.err, waiting));
    char err[USBSIM_CLIENT_ERR_MAX];
    struct usbsim_client *c = usbsim_client_connect(d.sock, 10000, err);
    CU_ASSERT_PTR_NOT_NULL(c);
    uint32_t got = 0, next = 0, out_of_order = 0;
    int64_t end = mono_ns() + BOUND_NS;
    while (c && mono_ns() < end && usbsim_client_wait(c, 1000) >= 0) {
        int n = usbsim_client_peek(c, 64);
        for (int i = 0; i < n; i++) {
            struct usbsim_ring_pkt p;
            if (usbsim_client_get(c, (uint32_t)i, &p) < 0 || p.len < 8)
                continue;
            uint32_t seq = p.bytes[4] | p.bytes[5] << 8 | p.bytes[6] << 16 |
                           (uint32_t)p.bytes[7] << 24;
            out_of_order += seq != next;
            next = seq + 1;
            got++;
        }
        usbsim_client_release(c, n > 0 ? (uint32_t)n : 0);
    }
    if (c)
        usbsim_client_close(c);
    /* Nobody stops it: it ends by itself once the server has ended. */
    CU_ASSERT_EQUAL(wait_child(d.pid), 0);
    CU_ASSERT_EQUAL(wait_child(gadget), 0);
    CU_ASSERT_EQUAL(got, 50);
    CU_ASSERT_EQUAL(out_of_order, 0);
    snprintf(waiting, sizeof waiting, "waiting for the device at 127.0.0.1:%u bus 1-1", port);
    CU_ASSERT_TRUE(file_has(d.err, waiting));
    CU_ASSERT_TRUE(file_has(d.err, "the device is gone for good"));
    remove_dir(&d);
}

/* drv_run in a child, raw or not, against a gadget that corrupts 3 of its 50 packets: this
 * process is the application. Packets taken and the driver's log rows by status. */
struct drv_seen {
    uint32_t got, crc_rows, other_rows, rows_without_seq;
    char counters[160];
};

static void run_driver_raw(int raw, struct drv_seen *seen)
{
    uint16_t port = 0;
    pid_t gadget = start_gadget_of("name: t\nduration_ms: 500\ndevice:\n  events:\n"
                                   "    - {at_ms: 200, corrupt: 3}\n", &port);
    CU_ASSERT_TRUE_FATAL(port != 0);
    char dir[] = "/tmp/usbsim-drvraw-XXXXXX", sock[96], log[96], counters[96];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(sock, sizeof sock, "%s/ring.sock", dir);
    snprintf(log, sizeof log, "%s/driver.csv", dir);
    snprintf(counters, sizeof counters, "%s/counters.csv", dir);
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_TRUE_FATAL(pid >= 0);
    if (pid == 0) {
        static volatile sig_atomic_t stop;
        struct drv_opts o = {.source = "usbip", .src = {.usbip = {.port = port}}, .slots = 256,
                             .policy = USBSIM_RING_BLOCK, .raw = raw,
                             .doorbell = USBSIM_DOORBELL_SUPPRESSED, .socket_path = sock,
                             .accept_timeout_ms = 10000, .open_timeout_ms = 10000,
                             .source_first = 1, .end_with_source = 1, .linger_timeout_ms = 1000,
                             .log_path = log, .counters_path = counters, .stop = &stop,
                             .quiet = 1};
        o.src.refused_is_gone = 1;
        _exit(drv_run(&o));
    }
    char err[USBSIM_CLIENT_ERR_MAX];
    struct usbsim_client *c = usbsim_client_connect(sock, 10000, err);
    CU_ASSERT_PTR_NOT_NULL(c);
    int64_t end = mono_ns() + BOUND_NS;
    while (c && mono_ns() < end && usbsim_client_wait(c, 1000) >= 0) {
        int n = usbsim_client_peek(c, 64);
        seen->got += n > 0 ? (uint32_t)n : 0;
        usbsim_client_release(c, n > 0 ? (uint32_t)n : 0);
    }
    if (c)
        usbsim_client_close(c);
    CU_ASSERT_EQUAL(wait_child(pid), 0);
    CU_ASSERT_EQUAL(wait_child(gadget), 0);
    FILE *f = fopen(log, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[128];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "seq,", 4) == 0)
            continue;
        seen->rows_without_seq += strncmp(line, "-1,", 3) == 0;
        if (strstr(line, ",crc\n"))
            seen->crc_rows++;
        else
            seen->other_rows++;
    }
    fclose(f);
    f = fopen(counters, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t k = fread(seen->counters, 1, sizeof seen->counters - 1, f);
    seen->counters[k] = '\0';
    fclose(f);
    unlink(sock);
    unlink(log);
    unlink(counters);
    rmdir(dir);
}

/* A raw stream: nothing is checked at ingress, so the corrupted packets reach the application
 * (the framed stream has them rejected as crc rows). */
static void test_raw_checks_nothing_at_ingress(void)
{
    struct drv_seen framed = {0}, raw = {0};
    run_driver_raw(0, &framed);
    CU_ASSERT_EQUAL(framed.got, 47);
    CU_ASSERT_EQUAL(framed.crc_rows, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(framed.counters, ",3\n")); /* crc_rejects, the last column */
    run_driver_raw(1, &raw);
    CU_ASSERT_EQUAL(raw.got, 50);
    CU_ASSERT_EQUAL(raw.crc_rows + raw.other_rows, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(raw.counters, ",0\n"));
}

/* `usbsim driver --raw`: the corrupted packets reach the application too. */
static void test_driver_command_raw(void)
{
    uint16_t port = 0;
    pid_t gadget = start_gadget_of("name: t\nduration_ms: 500\ndevice:\n  events:\n"
                                   "    - {at_ms: 200, corrupt: 3}\n", &port);
    CU_ASSERT_TRUE_FATAL(port != 0);
    char connect[32], waiting[160];
    snprintf(connect, sizeof connect, "127.0.0.1:%u", port);
    const char *args[] = {"--connect", connect, "--raw"};
    struct driver_child d;
    start_driver(&d, args, 3);
    snprintf(waiting, sizeof waiting, "waiting for an application on %s", d.sock);
    CU_ASSERT_TRUE(await_text(d.err, waiting));
    char err[USBSIM_CLIENT_ERR_MAX];
    struct usbsim_client *c = usbsim_client_connect(d.sock, 10000, err);
    CU_ASSERT_PTR_NOT_NULL(c);
    uint32_t got = 0;
    int64_t end = mono_ns() + BOUND_NS;
    while (c && mono_ns() < end && usbsim_client_wait(c, 1000) >= 0) {
        int n = usbsim_client_peek(c, 64);
        got += n > 0 ? (uint32_t)n : 0;
        usbsim_client_release(c, n > 0 ? (uint32_t)n : 0);
    }
    if (c)
        usbsim_client_close(c);
    CU_ASSERT_EQUAL(wait_child(d.pid), 0);
    CU_ASSERT_EQUAL(wait_child(gadget), 0);
    CU_ASSERT_EQUAL(got, 50);
    remove_dir(&d);
}

/* A port nobody listens on: bound, then closed. */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void test_says_it_waits_for_the_device_and_stops_cleanly(void)
{
    uint16_t port = free_port();
    CU_ASSERT_TRUE_FATAL(port != 0);
    char connect[32], waiting[160];
    snprintf(connect, sizeof connect, "127.0.0.1:%u", port);
    snprintf(waiting, sizeof waiting, "waiting for the device at 127.0.0.1:%u bus 1-1", port);
    const char *args[] = {"--connect", connect};
    struct driver_child d;
    start_driver(&d, args, 2);
    CU_ASSERT_TRUE(await_text(d.err, waiting));
    kill(d.pid, SIGTERM);
    CU_ASSERT_EQUAL(wait_child(d.pid), 0);
    remove_dir(&d);
}

static void test_libusb_without_the_device_says_so(void)
{
    const char *args[] = {"--source", "libusb", "--device", "1209:0001"};
    struct driver_child d;
    start_driver(&d, args, 4);
    CU_ASSERT_EQUAL(wait_child(d.pid), 3);
    CU_ASSERT_TRUE(file_has(d.err, "no USB device 1209:0001 found"));
    CU_ASSERT_FALSE(file_has(d.err, "waiting for an application")); /* it did not wait first */
    remove_dir(&d);
}

static CU_TestInfo tests[] = {
    {"ends by itself (exit 0) when the USB/IP server ends its timeline",
     test_ends_with_the_usbip_timeline},
    {"says it waits for the device; SIGTERM then is a clean end",
     test_says_it_waits_for_the_device_and_stops_cleanly},
    {"libusb: no such device is said at once, exit 3", test_libusb_without_the_device_says_so},
    {"raw: nothing checked at ingress, every packet into the ring",
     test_raw_checks_nothing_at_ingress},
    {"usbsim driver --raw", test_driver_command_raw},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("drv", tests);
}

/* Integration: the USB/IP device server (gadget_run, in a child process, ephemeral port) and the
 * USB/IP client source in this process. Every packet the device log says was sent must arrive
 * once, in order, with a good CRC unless the device corrupted it on purpose. No timing asserts. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/source.h"
#include "sim/gadget.h"
#include "sim/packet.h"
#include "sim/usbip_proto.h"
#include "tests/cu.h"

#define MAX_SEQ 4096

struct rx {
    uint32_t seqs[MAX_SEQ];
    size_t n, bad_crc, bad_other;
    unsigned events[SRC_EV_ERROR + 1];
    int garbage_fd; /* bad peer opened mid-run (-1: none) */
    int64_t lat_sum, lat_max; /* produce -> ingress, printed for information only */
    uint16_t port;
};

struct dev_log {
    size_t n;
    char fate[MAX_SEQ];  /* 's' sent (or held, then sent), 'd' dropped */
    unsigned flags[MAX_SEQ];
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int connect_local(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void on_packet(void *ctx, const uint8_t *buf, size_t len, uint64_t ingress_ns)
{
    struct rx *rx = ctx;
    struct pkt_fields f;
    enum pkt_status st = pkt_decode(buf, len, 112, 1, 1, &f);
    if (st == PKT_ERR_CRC)
        rx->bad_crc++;
    else if (st != PKT_OK)
        rx->bad_other++;
    if ((st == PKT_OK || st == PKT_ERR_CRC) && rx->n < MAX_SEQ) {
        rx->seqs[rx->n++] = f.seq;
        int64_t lat = (int64_t)(ingress_ns - f.produce_ns);
        rx->lat_sum += lat;
        rx->lat_max = lat > rx->lat_max ? lat : rx->lat_max;
    }
    if (rx->n == 100 && rx->garbage_fd == -2) { /* a bad peer joins while we read */
        rx->garbage_fd = connect_local(rx->port);
        const char junk[] = "GET / HTTP/1.0\r\n\r\n";
        if (rx->garbage_fd >= 0 && send(rx->garbage_fd, junk, sizeof junk - 1, 0) < 0)
            rx->garbage_fd = -1;
    }
}

static void on_event(void *ctx, enum src_event ev, const char *detail)
{
    struct rx *rx = ctx;
    (void)detail;
    rx->events[ev]++;
}

static int read_log(const char *path, struct dev_log *lg)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    memset(lg, 0, sizeof *lg);
    if (!fgets(line, sizeof line, f) || strcmp(line, "seq,due_ns,produce_ns,fate,drop,flags\n")) {
        fclose(f);
        return -1;
    }
    unsigned long seq;
    long long due, prod;
    char fate[16], drop[16];
    unsigned flags;
    while (fgets(line, sizeof line, f) && lg->n < MAX_SEQ) {
        if (sscanf(line, "%lu,%lld,%lld,%15[^,],%15[^,],%u", &seq, &due, &prod, fate, drop,
                   &flags) != 6 || seq != lg->n)
            break;
        lg->fate[lg->n] = fate[0] == 'h' ? 's' : fate[0];
        lg->flags[lg->n++] = flags;
    }
    fclose(f);
    return 0;
}

struct run {
    struct rx rx;
    struct dev_log log;
    int gadget_rc;
};

/* Starts `usbsim gadget`'s code on the scenario in a child process on an ephemeral port; the
 * child's pid, or -1. log_path: the device log (NULL: none). */
static pid_t start_gadget(const char *yaml, const char *log_path, uint16_t *port)
{
    static struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    if (scn_parse("it", yaml, strlen(yaml), &sc, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        struct gadget_opts go = {.sc = &sc, .backend = "usbip", .listen = "127.0.0.1:0",
                                 .log_path = log_path, .quiet = 1, .ready_fd = pfd[1]};
        _exit(gadget_run(&go));
    }
    close(pfd[1]);
    char line[32] = "";
    ssize_t got = pid > 0 ? read(pfd[0], line, sizeof line - 1) : -1;
    close(pfd[0]);
    unsigned p = 0;
    if (got <= 0 || sscanf(line, "port=%u", &p) != 1) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        return -1;
    }
    *port = (uint16_t)p;
    return pid;
}

/* Runs the scenario end to end; 0 when both sides finished and the log was read. */
static int run_scenario(const char *yaml, int with_garbage, struct run *r)
{
    char err[SRC_ERR_MAX];
    char dir[] = "/tmp/usbsim-usbip-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/device.csv", dir);
    memset(r, 0, sizeof *r);
    r->gadget_rc = -1;
    r->rx.garbage_fd = with_garbage ? -2 : -1;
    int rc = -1, status;
    pid_t pid = start_gadget(yaml, path, &r->rx.port);
    if (pid > 0) {
        volatile sig_atomic_t stop = 0;
        struct src_config cfg = {.usbip = {.port = r->rx.port}, .stop = &stop};
        struct src *s = src_open("usbip", &cfg, err);
        if (!s)
            fprintf(stderr, "src_open: %s\n", err);
        struct src_sink sink = {&r->rx, on_packet, on_event};
        int64_t end = mono_ns() + 15000000000LL;
        while (s && mono_ns() < end && src_run(s, &sink, 50000000LL) == 0) {
            if (waitpid(pid, &status, WNOHANG) == pid) {
                r->gadget_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
                pid = 0;
                break;
            }
        }
        if (s) {
            stop = 1;
            src_run(s, &sink, 0);
            src_close(s);
        }
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
        r->gadget_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    }
    if (r->gadget_rc == 0 && read_log(path, &r->log) == 0)
        rc = 0;
    unlink(path);
    /* the OUT log beside it: its header, no row (the reader sends no OUT data) */
    snprintf(path, sizeof path, "%s/device-out.csv", dir);
    FILE *f = fopen(path, "r");
    char text[128] = "";
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    if (rc == 0 && strcmp(text, "t_ns,endpoint,len,bytes_hex\n") != 0) {
        fprintf(stderr, "device-out.csv: '%s'\n", text);
        rc = -1;
    }
    unlink(path);
    rmdir(dir);
    return rc;
}

/* Every sent packet arrived once, in order, and nothing else did. */
static void check_delivery(const struct run *r)
{
    size_t k = 0, sent = 0;
    for (size_t seq = 0; seq < r->log.n; seq++) {
        if (r->log.fate[seq] != 's')
            continue;
        sent++;
        CU_ASSERT_FATAL(k < r->rx.n);
        CU_ASSERT_EQUAL_FATAL(r->rx.seqs[k], seq);
        k++;
    }
    CU_ASSERT_EQUAL(k, r->rx.n);
    CU_ASSERT_TRUE(sent > 0);
    CU_ASSERT_EQUAL(r->rx.bad_other, 0);
}

static size_t count_fate(const struct run *r, char fate)
{
    size_t n = 0;
    for (size_t i = 0; i < r->log.n; i++)
        n += r->log.fate[i] == fate;
    return n;
}

static void test_steady_delivers_everything(void)
{
    static struct run r;
    CU_ASSERT_EQUAL_FATAL(run_scenario("name: s\nduration_ms: 1000\n"
                                       "device: {period_us: 1000, fifo_packets: 256}\n", 0, &r), 0);
    CU_ASSERT_EQUAL(r.log.n, 1000);
    check_delivery(&r);
    CU_ASSERT_EQUAL(count_fate(&r, 's'), 1000);
    CU_ASSERT_EQUAL(r.rx.bad_crc, 0);
    CU_ASSERT_EQUAL(r.rx.events[SRC_EV_CONNECTED], 1);
    if (r.rx.n)
        printf("[produce->ingress over loopback: mean %.0f us, max %.0f us] ",
               (double)r.rx.lat_sum / (double)r.rx.n / 1e3, (double)r.rx.lat_max / 1e3);
}

static void test_halt_recovers(void)
{
    static struct run r;
    CU_ASSERT_EQUAL_FATAL(run_scenario("name: h\nduration_ms: 600\n"
                                       "device:\n  period_us: 2000\n  fifo_packets: 256\n"
                                       "  events:\n    - {at_ms: 200, halt_ms: 100}\n"
                                       "    - {at_ms: 400, corrupt: 2}\n", 0, &r), 0);
    check_delivery(&r);
    CU_ASSERT_EQUAL(count_fate(&r, 's'), r.log.n); /* held, not lost */
    CU_ASSERT_TRUE(r.rx.events[SRC_EV_HALTED] >= 1);
    CU_ASSERT_EQUAL(r.rx.events[SRC_EV_HALTED], r.rx.events[SRC_EV_HALT_CLEARED]);
    CU_ASSERT_EQUAL(r.rx.bad_crc, 2);
}

static void test_disconnect_reconnects(void)
{
    static struct run r;
    CU_ASSERT_EQUAL_FATAL(run_scenario("name: d\nduration_ms: 600\n"
                                       "device:\n  period_us: 2000\n  fifo_packets: 256\n"
                                       "  events:\n    - {at_ms: 200, disconnect_ms: 150}\n",
                                       0, &r), 0);
    check_delivery(&r);
    CU_ASSERT_TRUE(r.rx.events[SRC_EV_DISCONNECTED] >= 1); /* + the end of the run */
    CU_ASSERT_EQUAL(r.rx.events[SRC_EV_RECONNECTED], 1);
    CU_ASSERT_TRUE(count_fate(&r, 'd') > 0);
    CU_ASSERT_TRUE(r.rx.seqs[r.rx.n - 1] == r.log.n - 1); /* reading went on to the end */
}

/* The integration run: 1000 packets with a halt and a disconnect in the middle; every
 * packet the device sent arrives once, in order, with a valid CRC; the rest are the device's. */
static void test_halt_and_disconnect_in_one_run(void)
{
    static struct run r;
    CU_ASSERT_EQUAL_FATAL(run_scenario("name: hd\nduration_ms: 1000\n"
                                       "device:\n  period_us: 1000\n  fifo_packets: 256\n"
                                       "  events:\n    - {at_ms: 300, halt_ms: 50}\n"
                                       "    - {at_ms: 600, disconnect_ms: 100}\n",
                                       0, &r), 0);
    CU_ASSERT_EQUAL(r.log.n, 1000);
    check_delivery(&r);
    CU_ASSERT_EQUAL(r.rx.bad_crc, 0);
    CU_ASSERT_EQUAL(count_fate(&r, 's') + count_fate(&r, 'd'), 1000);
    CU_ASSERT_TRUE(r.rx.events[SRC_EV_HALTED] >= 1);
    CU_ASSERT_EQUAL(r.rx.events[SRC_EV_RECONNECTED], 1);
    CU_ASSERT_TRUE(r.rx.seqs[r.rx.n - 1] == r.log.n - 1);
}

static void test_bad_peer_dropped_server_serves_on(void)
{
    static struct run r;
    CU_ASSERT_EQUAL_FATAL(run_scenario("name: g\nduration_ms: 500\n"
                                       "device: {period_us: 1000, fifo_packets: 256}\n", 1, &r), 0);
    check_delivery(&r);
    CU_ASSERT_EQUAL(count_fate(&r, 's'), 500);
    CU_ASSERT_TRUE_FATAL(r.rx.garbage_fd >= 0);
    char c;
    CU_ASSERT_EQUAL(recv(r.rx.garbage_fd, &c, 1, MSG_DONTWAIT), 0); /* server hung up on it */
    close(r.rx.garbage_fd);
}

/* More idle peers than the server has slots, each having sent one byte and holding on: a real
 * client still imports and reads at once (a newcomer takes an idle peer's slot), and every idle
 * peer is dropped within the server's bound (2 s by default; waited for up to 8 s). */
#define IDLE_PEERS 9
static void test_idle_peers_do_not_lock_out_the_client(void)
{
    uint16_t port = 0;
    pid_t pid = start_gadget("name: idle\nduration_ms: 20000\n"
                             "device: {period_us: 1000, fifo_packets: 256}\n", NULL, &port);
    CU_ASSERT_TRUE_FATAL(pid > 0);
    int idle[IDLE_PEERS];
    for (int i = 0; i < IDLE_PEERS; i++) {
        idle[i] = connect_local(port);
        CU_ASSERT_TRUE(idle[i] >= 0 && send(idle[i], "\x01", 1, 0) == 1);
    }
    struct rx rx;
    memset(&rx, 0, sizeof rx);
    rx.garbage_fd = -1;
    char err[SRC_ERR_MAX];
    volatile sig_atomic_t stop = 0;
    struct src_config cfg = {.usbip = {.port = port}, .stop = &stop};
    int64_t t0 = mono_ns();
    struct src *s = src_open("usbip", &cfg, err);
    if (!s)
        fprintf(stderr, "src_open: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(s);
    struct src_sink sink = {&rx, on_packet, on_event};
    while (s && rx.n < 50 && mono_ns() - t0 < 10000000000LL && src_run(s, &sink, 50000000LL) == 0)
        ;
    printf("[import and 50 packets beside %d idle peers: %.0f ms] ", IDLE_PEERS,
           (double)(mono_ns() - t0) / 1e6);
    CU_ASSERT_TRUE(rx.n >= 50);
    CU_ASSERT_EQUAL(rx.bad_crc + rx.bad_other, 0);
    if (s) {
        stop = 1;
        src_run(s, &sink, 0);
        src_close(s);
    }
    /* Every idle peer is hung up on: evicted for the client, or its time is up. */
    int closed = 0;
    for (int i = 0; i < IDLE_PEERS; i++) {
        struct timeval tv = {8, 0};
        setsockopt(idle[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char c;
        ssize_t n = idle[i] >= 0 ? recv(idle[i], &c, 1, 0) : -1;
        closed += n == 0 || (n < 0 && errno == ECONNRESET);
        if (idle[i] >= 0)
            close(idle[i]);
    }
    CU_ASSERT_EQUAL(closed, IDLE_PEERS);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* A server that lists the device, then accepts imports and never answers them: the client says
 * so (an error event naming the import) and gives up within its bounds instead of waiting. */
static void silent_server(int lfd)
{
    int64_t end = mono_ns() + 15000000000LL;
    int n = 0;
    while (mono_ns() < end) {
        struct pollfd p = {lfd, POLLIN, 0};
        if (poll(&p, 1, 100) != 1)
            continue;
        int fd = accept(lfd, NULL, NULL);
        if (fd >= 0 && n++ == 0) { /* the device list */
            uint8_t b[1024], req[8];
            struct uip_device d = {.busid = "1-1", .path = "/x", .num_ifaces = 1, .speed = 3};
            if (read(fd, req, sizeof req) == (ssize_t)sizeof req &&
                write(fd, b, uip_rep_devlist_encode(b, &d, 1)) < 0)
                break;
            close(fd);
        } /* later ones are kept open, unanswered, until the end */
    }
    _exit(0);
}

static void on_event_text(void *ctx, enum src_event ev, const char *detail)
{
    if (ev == SRC_EV_ERROR && strstr(detail, "did not answer the import request"))
        ++*(int *)ctx;
}

static void test_client_bounds_an_unanswered_import(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CU_ASSERT_EQUAL_FATAL(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    CU_ASSERT_EQUAL_FATAL(listen(lfd, 8), 0);
    getsockname(lfd, (struct sockaddr *)&a, &al);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        silent_server(lfd);
    close(lfd);
    int unanswered = 0;
    char err[SRC_ERR_MAX];
    struct src_config cfg = {.usbip = {.port = ntohs(a.sin_port)}, .give_up_ns = 1000000000LL};
    struct src *s = src_open("usbip", &cfg, err);
    CU_ASSERT_PTR_NOT_NULL(s);
    struct src_sink sink = {&unanswered, NULL, on_event_text};
    int64_t t0 = mono_ns();
    int rc = s ? src_run(s, &sink, 20000000000LL) : 0;
    double took = (double)(mono_ns() - t0) / 1e9;
    printf("[gave up after %.1f s] ", took);
    CU_ASSERT_EQUAL(rc, -1);        /* gave up: a fatal error, not a timeout of the caller's */
    CU_ASSERT_TRUE(unanswered >= 1);
    CU_ASSERT_TRUE(took < 19.0);
    if (s)
        src_close(s);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_gadget_exit_codes(void)
{
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    const char *y = "name: x\nduration_ms: 100\n";
    CU_ASSERT_EQUAL_FATAL(scn_parse("x", y, strlen(y), &sc, err), 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    CU_ASSERT_EQUAL_FATAL(listen(fd, 1), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    char listen_on[32];
    snprintf(listen_on, sizeof listen_on, "127.0.0.1:%u", ntohs(a.sin_port));
    struct gadget_opts go = {.sc = &sc, .listen = listen_on, .quiet = 1};
    CU_ASSERT_EQUAL(gadget_run(&go), XC_ENV); /* address in use */
    close(fd);
    go.listen = "nonsense";
    CU_ASSERT_EQUAL(gadget_run(&go), XC_USAGE);
    go.backend = "ffs";
    CU_ASSERT_EQUAL(gadget_run(&go), XC_USAGE); /* ffs does not take --listen */
    go.listen = NULL;
    CU_ASSERT_EQUAL(gadget_run(&go), XC_ENV); /* no gadget support on this machine */
    go.backend = "carrier-pigeon";
    CU_ASSERT_EQUAL(gadget_run(&go), XC_USAGE);
}

static void test_source_open_errors(void)
{
    char err[SRC_ERR_MAX];
    struct src_config cfg = {.usbip = {.port = 1}};
    CU_ASSERT_PTR_NULL(src_open("usbip", &cfg, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot connect"));
    CU_ASSERT_PTR_NULL(src_open("serial", &cfg, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown source"));
    cfg.libusb.vid = 0x1209;
    cfg.libusb.pid = 0x0001;
    CU_ASSERT_PTR_NULL(src_open("libusb", &cfg, err)); /* no USB device on this machine */
    CU_ASSERT_TRUE(strstr(err, "no USB device") || strstr(err, "libusb"));
}

static CU_TestInfo tests[] = {
    {"steady: 1000 packets in order", test_steady_delivers_everything},
    {"halt recovers, corrupt counted", test_halt_recovers},
    {"disconnect reconnects", test_disconnect_reconnects},
    {"1000 packets with a halt and a disconnect", test_halt_and_disconnect_in_one_run},
    {"bad peer dropped, server serves on", test_bad_peer_dropped_server_serves_on},
    {"idle peers do not lock out the client", test_idle_peers_do_not_lock_out_the_client},
    {"client bounds an unanswered import", test_client_bounds_an_unanswered_import},
    {"gadget exit codes", test_gadget_exit_codes},
    {"source open errors", test_source_open_errors},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(120);
    return cu_main("usbip", tests);
}

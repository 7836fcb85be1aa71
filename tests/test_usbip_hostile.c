/* Hostile USB/IP peers against the device server: one table of cases (slow, truncated, malformed,
 * out-of-order, floods, resets, peers that never read). Each case runs in a child process
 * against one server (usbip_server in a child of its own, a 1 s peer bound), and for each:
 * the server hangs up on the peer (or the peer leaves as its case says), logs a line about that
 * peer with the expected reason, stays up, and a real client (driver/src_usbip) imports the
 * device and reads packets, while the hostile peer is still there when the case allows it.
 * Every wait is bounded; no timing is asserted beyond those bounds. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/source.h"
#include "sim/packet.h"
#include "sim/usb_device.h"
#include "sim/usbip_server.h"
#include "tests/cu.h"

#define PEER_TIMEOUT_NS 1000000000LL
#define CLOSE_WAIT_MS 10000 /* a hostile peer waits this long at most for the server to hang up */
#define DEVID 0x00010002u
#define WANT_PACKETS 20

static pid_t srv_pid = -1;
static uint16_t srv_port;
static char log_path[64];

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the server, in a child process ---- */

static volatile sig_atomic_t srv_stop;
static void on_term(int sig)
{
    (void)sig;
    srv_stop = 1;
}

static int server_child(int ready_fd)
{
    static struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    scn_defaults(&sc);
    snprintf(sc.name, sizeof sc.name, "hostile");
    sc.duration_ns = 600000000000LL;
    sc.device.period_ns = 500000LL;
    sc.device.fifo_packets = 256;
    struct usbdev *dev = usbdev_new(&sc, err);
    FILE *log = fopen(log_path, "w");
    if (!dev || !log)
        return 3;
    signal(SIGTERM, on_term);
    struct usrv_opts o = {.listen = "127.0.0.1:0", .log = log, .stop = {&srv_stop, NULL},
                          .peer_timeout_ns = PEER_TIMEOUT_NS};
    int env;
    char serr[USRV_ERR_MAX];
    struct usrv *s = usrv_new(dev, &o, 1, &env, serr);
    if (!s)
        return 3;
    dprintf(ready_fd, "port=%u\n", usrv_port(s));
    close(ready_fd);
    int rc = usrv_run(s);
    usrv_free(s);
    usbdev_free(dev);
    fclose(log);
    return rc == 0 ? 0 : 1;
}

static int start_server(void)
{
    snprintf(log_path, sizeof log_path, "/tmp/usbsim-hostile-%d.log", (int)getpid());
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fflush(NULL);
    srv_pid = fork();
    if (srv_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(300);
        close(pfd[0]);
        _exit(server_child(pfd[1]));
    }
    close(pfd[1]);
    char line[32] = "";
    ssize_t got = srv_pid > 0 ? read(pfd[0], line, sizeof line - 1) : -1;
    close(pfd[0]);
    unsigned p = 0;
    if (got <= 0 || sscanf(line, "port=%u", &p) != 1)
        return -1;
    srv_port = (uint16_t)p;
    return 0;
}

static int server_alive(void)
{
    return srv_pid > 0 && waitpid(srv_pid, NULL, WNOHANG) == 0;
}

/* ---- a peer's tools ---- */

static int dial(int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(srv_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static unsigned local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t l = sizeof a;
    return getsockname(fd, (struct sockaddr *)&a, &l) == 0 ? ntohs(a.sin_port) : 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An op request: version, code, status, then an optional bus id field. */
static size_t op_req(uint8_t *b, uint16_t version, uint16_t code, uint32_t status, const char *busid)
{
    b[0] = (uint8_t)(version >> 8), b[1] = (uint8_t)version;
    b[2] = (uint8_t)(code >> 8), b[3] = (uint8_t)code;
    put32(b + 4, status);
    if (!busid)
        return 8;
    memset(b + 8, 0, 32);
    memcpy(b + 8, busid, strnlen(busid, 32));
    return 40;
}

/* One 48-byte URB header as a hostile peer writes it: any value in any field. */
struct urb {
    uint32_t cmd, seq, devid, dir, ep;
    int32_t length, npk;
    uint8_t setup[8];
    size_t data;   /* bytes sent after the header (0xEE) */
};

static size_t urb_bytes(uint8_t *b, const struct urb *u)
{
    memset(b, 0, 48);
    uint32_t f[10] = {u->cmd, u->seq ? u->seq : 1, u->devid ? u->devid : DEVID, u->dir, u->ep,
                      0, (uint32_t)u->length, 0, (uint32_t)u->npk, 1};
    for (int i = 0; i < 10; i++)
        put32(b + 4 * i, f[i]);
    memcpy(b + 40, u->setup, 8);
    memset(b + 48, 0xEE, u->data);
    return 48 + u->data;
}

static int send_all(int fd, const void *b, size_t n)
{
    return send(fd, b, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* Exactly n bytes within ms; 0 or -1. */
static int recv_n(int fd, uint8_t *b, size_t n, int ms)
{
    size_t got = 0;
    int64_t end = mono_ns() + (int64_t)ms * 1000000LL;
    while (got < n && mono_ns() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t k = recv(fd, b + got, n - got, 0);
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return got == n ? 0 : -1;
}

/* Imports busid on fd: the reply's status, or -1 when there is no well-formed reply. */
static int import(int fd, const char *busid)
{
    uint8_t b[320];
    if (send_all(fd, b, op_req(b, 0x0111, 0x8003, 0, busid)) != 0 || recv_n(fd, b, 8, 3000) != 0)
        return -1;
    if (get32(b + 4) != 0)
        return (int)get32(b + 4);
    return recv_n(fd, b + 8, 312, 3000) == 0 ? 0 : -1;
}

/* Imports 1-1 and configures the device (SET_CONFIGURATION 1): 0 when both were answered. */
static int import_configured(int fd)
{
    uint8_t b[48];
    struct urb u = {.cmd = 1, .seq = 0x7ffffff0, .setup = {0x00, 0x09, 0x01, 0, 0, 0, 0, 0}};
    if (import(fd, "1-1") != 0 || send_all(fd, b, urb_bytes(b, &u)) != 0 ||
        recv_n(fd, b, 48, 3000) != 0)
        return -1;
    return get32(b) == 3 && get32(b + 20) == 0 ? 0 : -1; /* RET_SUBMIT status 0 */
}

/* 1 when the server hangs up on fd (EOF or reset) within ms, reading and dropping the rest. */
static int server_hangs_up(int fd, int ms)
{
    static uint8_t junk[65536];
    int64_t end = mono_ns() + (int64_t)ms * 1000000LL;
    while (mono_ns() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t k = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
            return 1;
    }
    return 0;
}

static void reset(int fd)
{
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

/* ---- the cases ---- */

enum finish {
    F_HOLD,  /* the peer keeps the connection; the server must hang up */
    F_CLOSE, /* the peer shuts its side down; the server must close */
    F_RESET, /* the peer resets the connection */
};

struct hcase;
/* A case's own action on its connected fd: 0 = done (then the case's finish), -1 = the setup
 * itself failed. May call ready() early (before a slow part), and may name another connection
 * as the one the log must speak of (*subject). */
typedef int (*act_fn)(int fd, const struct hcase *k, unsigned *subject);

struct hcase {
    const char *name;
    const char *reason; /* in the server's line about the peer */
    int import;         /* import 1-1 first */
    const char *raw;    /* bytes sent (after the import) */
    size_t raw_len;
    struct urb urb;     /* a URB header sent after that, when urb.cmd != 0 */
    enum finish fin;
    act_fn act;         /* instead of raw/urb */
    int rcvbuf;         /* the peer's receive buffer (0 = default) */
};

static int ready_fd = -1;
static void ready(unsigned subject)
{
    if (ready_fd < 0)
        return;
    dprintf(ready_fd, "port=%u\n", subject);
    close(ready_fd);
    ready_fd = -1;
}

static int dribble(int fd, const uint8_t *b, size_t n, unsigned subject)
{
    ready(subject);
    for (size_t i = 0; i < n; i++) {
        if (send(fd, b + i, 1, MSG_NOSIGNAL) != 1)
            return 0; /* hung up on */
        msleep(100);
    }
    return 0;
}

static int act_dribble_op(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k;
    uint8_t b[40];
    return dribble(fd, b, op_req(b, 0x0111, 0x8003, 0, "1-1"), *subject);
}

static int act_dribble_urb(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k;
    uint8_t b[48];
    struct urb u = {.cmd = 1, .dir = 1, .ep = 1, .length = 112};
    return dribble(fd, b, urb_bytes(b, &u), *subject);
}

static int act_wrong_busid(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k, (void)subject;
    return import(fd, "9-9") == 4 ? 0 : -1; /* NODEV */
}

static int act_second_importer(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k;
    int fd2 = dial(0);
    if (import(fd, "1-1") != 0 || fd2 < 0)
        return -1;
    *subject = local_port(fd2);
    int st = import(fd2, "1-1"); /* DEV_BUSY, then the server closes fd2 */
    int hung = server_hangs_up(fd2, CLOSE_WAIT_MS);
    close(fd2);
    return st == 2 && hung ? 0 : -1;
}

/* RET_UNLINK of `n` CMD_UNLINKs of unknown sequence numbers, read while sending: all status 0. */
static int unlinks(int fd, size_t n)
{
    static uint8_t out[20000 * 48], in[4096];
    if (n > sizeof out / 48)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct urb u = {.cmd = 2, .seq = (uint32_t)(1000 + i), .length = (int32_t)(900000 + i)};
        urb_bytes(out + 48 * i, &u); /* length's place is the unlinked seqnum: unknown */
    }
    size_t sent = 0, got = 0, held = 0;
    int64_t end = mono_ns() + 10000000000LL;
    while (got < n * 48 && mono_ns() < end) {
        struct pollfd p = {fd, (short)(POLLIN | (sent < n * 48 ? POLLOUT : 0)), 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        if (p.revents & POLLOUT) {
            ssize_t k = send(fd, out + sent, n * 48 - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            sent += k > 0 ? (size_t)k : 0;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t k = recv(fd, in + held, sizeof in - held, MSG_DONTWAIT);
            if (k == 0 || (k < 0 && errno != EAGAIN))
                return -1;
            held += k > 0 ? (size_t)k : 0;
            size_t off = 0;
            for (; held - off >= 48; off += 48, got += 48)
                if (get32(in + off) != 4 || get32(in + off + 20) != 0)
                    return -1; /* not RET_UNLINK status 0 */
            memmove(in, in + off, held - off);
            held -= off;
        }
    }
    return got == n * 48 ? 0 : -1;
}

static int act_unlink_unknown(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k, (void)subject;
    return import(fd, "1-1") == 0 ? unlinks(fd, 1) : -1;
}

static int act_unlink_storm(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k, (void)subject;
    return import(fd, "1-1") == 0 ? unlinks(fd, 20000) : -1;
}

/* Connect/close cycles: paced (each waits for the server to close its side), or a flood of
 * peers that send one byte and close at once. */
static int act_cycles(int fd, const struct hcase *k, unsigned *subject)
{
    int one_byte = k->raw_len > 0, n = one_byte ? 200 : 1000;
    close(fd);
    for (int i = 0; i < n; i++) {
        int c = dial(0);
        if (c < 0)
            return -1;
        *subject = local_port(c);
        if (one_byte && send_all(c, k->raw, 1) != 0)
            return -1;
        if (!one_byte && (shutdown(c, SHUT_WR) != 0 || !server_hangs_up(c, CLOSE_WAIT_MS)))
            return -1;
        close(c);
    }
    return 1; /* nothing left to finish */
}

/* Imports and keeps IN requests coming, never reading a reply: the server's output backs up. */
static int act_never_reads(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k;
    if (import_configured(fd) != 0)
        return -1;
    ready(*subject);
    uint32_t seq = 1;
    int64_t end = mono_ns() + 20000000000LL;
    while (mono_ns() < end) {
        uint8_t b[100 * 48];
        for (int i = 0; i < 100; i++) {
            struct urb u = {.cmd = 1, .seq = seq++, .dir = 1, .ep = 1, .length = 112};
            urb_bytes(b + 48 * i, &u);
        }
        ssize_t n = send(fd, b, sizeof b, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN)
            return 0; /* hung up on */
        if (n >= 0 && n < (ssize_t)sizeof b)
            break; /* the server stopped taking requests: wait for its verdict */
        msleep(50);
    }
    return 0;
}

static int act_many_ins(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k, (void)subject;
    static uint8_t b[1000 * 48];
    if (import_configured(fd) != 0)
        return -1;
    for (uint32_t i = 0; i < 1000; i++) {
        struct urb u = {.cmd = 1, .seq = i + 1, .dir = 1, .ep = 1, .length = 112};
        urb_bytes(b + 48 * i, &u);
    }
    send(fd, b, sizeof b, MSG_NOSIGNAL); /* the server may hang up midway */
    return 0;
}

static int act_idle_flood(int fd, const struct hcase *k, unsigned *subject)
{
    (void)k;
    int more[9];
    if (send_all(fd, "\x01", 1) != 0)
        return -1;
    for (int i = 0; i < 9; i++)
        if ((more[i] = dial(0)) < 0 || send_all(more[i], "\x01", 1) != 0)
            return -1;
    ready(*subject); /* the first one: evicted when the ninth comes */
    int hung = 0;
    for (int i = 0; i < 9; i++) {
        hung += server_hangs_up(more[i], CLOSE_WAIT_MS);
        close(more[i]);
    }
    return hung == 9 ? 0 : -1;
}

#define RAW(s) s, sizeof s - 1
#define SETUP_SET_CONFIG {0x00, 0x09, 0x01, 0, 0, 0, 0, 0}
#define SETUP_GET_DEVICE {0x80, 0x06, 0x00, 0x01, 0, 0, 18, 0}

static const struct hcase cases[] = {
    /* slowloris */
    {"one byte then silence", "no complete request within", 0, RAW("\x01"), {0}, F_HOLD, 0, 0},
    {"connects and says nothing", "no complete request within", 0, NULL, 0, {0}, F_HOLD, 0, 0},
    {"import request dribbled a byte per 100 ms", "no complete request within", 0, NULL, 0, {0},
     F_HOLD, act_dribble_op, 0},
    {"URB header dribbled a byte per 100 ms", "request left incomplete", 1, NULL, 0, {0}, F_HOLD,
     act_dribble_urb, 0},
    /* truncated or wrong op requests */
    {"truncated OP_REQ_DEVLIST, then closes", "closed the connection mid-request", 0,
     RAW("\x01\x11\x80\x05"), {0}, F_CLOSE, 0, 0},
    {"truncated OP_REQ_IMPORT, then holds", "no complete request within", 0,
     RAW("\x01\x11\x80\x03\0\0\0\0" "1-"), {0}, F_HOLD, 0, 0},
    {"truncated OP_REQ_IMPORT, then closes", "closed the connection mid-request", 0,
     RAW("\x01\x11\x80\x03\0\0\0\0" "1-"), {0}, F_CLOSE, 0, 0},
    {"wrong version", "unsupported protocol version", 0, RAW("\x01\x06\x80\x05\0\0\0\0"), {0},
     F_HOLD, 0, 0},
    {"unknown op code", "unknown operation code", 0, RAW("\x01\x11\x80\x99\0\0\0\0"), {0},
     F_HOLD, 0, 0},
    {"reply op code as a request", "reply code sent as a request", 0,
     RAW("\x01\x11\x00\x03\0\0\0\0"), {0}, F_HOLD, 0, 0},
    {"unknown op status", "unknown operation status", 0, RAW("\x01\x11\x80\x05\0\0\0\x77"), {0},
     F_HOLD, 0, 0},
    {"bus id not terminated", "bus id not terminated", 0,
     RAW("\x01\x11\x80\x03\0\0\0\0" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), {0}, F_HOLD, 0, 0},
    {"import of a wrong bus id", "import of '9-9' refused", 0, NULL, 0, {0}, F_HOLD,
     act_wrong_busid, 0},
    {"HTTP request", "unsupported protocol version", 0, RAW("GET / HTTP/1.0\r\n\r\n"), {0},
     F_HOLD, 0, 0},
    {"CMD_SUBMIT before any import", "unsupported protocol version", 0, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 1, .length = 112}, F_HOLD, 0, 0},
    /* CMD_SUBMIT with huge or negative numbers */
    {"transfer_buffer_length 2^31-1", "transfer length out of range", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 1, .length = 0x7fffffff}, F_HOLD, 0, 0},
    {"transfer_buffer_length -1", "transfer length out of range", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 1, .length = -1}, F_HOLD, 0, 0},
    {"OUT transfer_buffer_length 2^31-1", "transfer length out of range", 1, NULL, 0,
     {.cmd = 1, .dir = 0, .ep = 0, .length = 0x7fffffff, .setup = SETUP_SET_CONFIG}, F_HOLD, 0, 0},
    {"number_of_packets 5 (iso descriptors)", "isochronous", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 1, .length = 112, .npk = 5, .data = 5 * 16}, F_HOLD, 0, 0},
    {"number_of_packets -7", "isochronous", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 1, .length = 112, .npk = -7}, F_HOLD, 0, 0},
    {"number_of_packets 2^31-1", "isochronous", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 1, .length = 112, .npk = 0x7fffffff}, F_HOLD, 0, 0},
    /* OUT data that does not match its length */
    {"OUT submit with more data than announced", "unknown command", 1, NULL, 0,
     {.cmd = 1, .dir = 0, .ep = 0, .length = 8, .setup = SETUP_SET_CONFIG, .data = 8 + 48},
     F_HOLD, 0, 0},
    {"OUT submit with less data than announced", "request left incomplete", 1, NULL, 0,
     {.cmd = 1, .dir = 0, .ep = 0, .length = 64, .setup = SETUP_SET_CONFIG, .data = 10}, F_HOLD,
     0, 0},
    {"OUT submit announcing 64 KiB, sending 100 bytes", "request left incomplete", 1, NULL, 0,
     {.cmd = 1, .dir = 0, .ep = 0, .length = 65536, .setup = SETUP_SET_CONFIG, .data = 100},
     F_HOLD, 0, 0},
    /* fields that name nothing the device has */
    {"OUT request on the IN endpoint", "OUT request on the IN endpoint", 1, NULL, 0,
     {.cmd = 1, .dir = 0, .ep = 1, .length = 4, .data = 4}, F_HOLD, 0, 0},
    {"wrong device id", "wrong device id", 1, NULL, 0,
     {.cmd = 1, .devid = 0x00050005, .dir = 1, .ep = 1, .length = 112}, F_HOLD, 0, 0},
    {"endpoint the device lacks", "no such endpoint", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 5, .length = 112}, F_HOLD, 0, 0},
    {"direction 7", "bad direction", 1, NULL, 0, {.cmd = 1, .dir = 7, .ep = 1, .length = 112},
     F_HOLD, 0, 0},
    {"endpoint 99", "bad endpoint number", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 99, .length = 112}, F_HOLD, 0, 0},
    {"control direction against its setup packet", "control direction does not match", 1, NULL,
     0, {.cmd = 1, .dir = 0, .ep = 0, .length = 0, .setup = SETUP_GET_DEVICE}, F_HOLD, 0, 0},
    {"RET_SUBMIT sent by the client", "reply command sent by the host", 1, NULL, 0,
     {.cmd = 3, .dir = 0, .ep = 0}, F_HOLD, 0, 0},
    {"RET_UNLINK sent by the client", "reply command sent by the host", 1, NULL, 0,
     {.cmd = 4, .dir = 0, .ep = 0}, F_HOLD, 0, 0},
    /* order and repetition */
    {"double import on one connection", "unknown command", 1,
     RAW("\x01\x11\x80\x03\0\0\0\0" "1-1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
     {0}, F_HOLD, 0, 0},
    {"second importer while one holds the device", "import of '1-1' refused (status 2)", 0, NULL,
     0, {0}, F_CLOSE, act_second_importer, 0},
    {"UNLINK of an unknown seqnum, then leaves", "closed the connection", 0, NULL, 0, {0},
     F_CLOSE, act_unlink_unknown, 0},
    {"UNLINK storm (20000), then leaves", "closed the connection", 0, NULL, 0, {0}, F_CLOSE,
     act_unlink_storm, 0},
    {"1000 IN requests at once", "too many requests queued", 0, NULL, 0, {0}, F_HOLD,
     act_many_ins, 0},
    {"garbage after a valid OP_REQ_DEVLIST", "bytes it sent after its request ignored", 0,
     RAW("\x01\x11\x80\x05\0\0\0\0" "garbage garbage garbage"), {0}, F_HOLD, 0, 0},
    {"garbage after a valid import", "unknown command", 1, RAW("\xde\xad\xbe\xef garbage "
     "garbage garbage garbage garbage garbage"), {0}, F_HOLD, 0, 0},
    /* connections that end badly */
    {"reset in the middle of OP_REQ_IMPORT", "connection failed", 0,
     RAW("\x01\x11\x80\x03\0\0\0\0" "1-"), {0}, F_RESET, 0, 0},
    {"reset in the middle of a URB header", "connection failed", 1, RAW("\0\0\0\x01\0\0\0\x07"),
     {0}, F_RESET, 0, 0},
    {"reset with IN requests queued", "connection failed", 1, NULL, 0,
     {.cmd = 1, .dir = 1, .ep = 1, .length = 112}, F_RESET, 0, 0},
    {"1000 connect/close cycles", "closed the connection without a request", 0, NULL, 0, {0},
     F_HOLD, act_cycles, 0},
    {"200 cycles of connect, one byte, close", "closed the connection mid-request", 0, RAW("\x01"),
     {0}, F_HOLD, act_cycles, 0},
    /* resource holders */
    {"importer that never reads while packets are due", "has not read its replies", 0, NULL, 0,
     {0}, F_HOLD, act_never_reads, 4096},
    {"ten idle peers (more than the slots)", "its slot went to a new peer", 0, NULL, 0, {0},
     F_HOLD, act_idle_flood, 0},
};

#define N_CASES (sizeof cases / sizeof cases[0])

/* The hostile peer: exit 0 when the case went as it says (the server hung up when it had to),
 * 1 when the server never hung up, 2 when the case's own setup failed. */
static int peer_child(const struct hcase *k)
{
    int fd = dial(k->rcvbuf);
    if (fd < 0)
        return 2;
    unsigned subject = local_port(fd);
    if (k->import && import(fd, "1-1") != 0)
        return 2;
    int r = 0;
    if (k->act)
        r = k->act(fd, k, &subject);
    else {
        uint8_t b[48 + 65536];
        if (k->raw_len)
            send(fd, k->raw, k->raw_len, MSG_NOSIGNAL);
        if (k->urb.cmd)
            send(fd, b, urb_bytes(b, &k->urb), MSG_NOSIGNAL);
    }
    if (r < 0)
        return 2;
    ready(subject);
    if (r == 1)
        return 0;
    if (k->fin == F_RESET) {
        msleep(50); /* the server has the bytes */
        reset(fd);
        return 0;
    }
    if (k->fin == F_CLOSE)
        shutdown(fd, SHUT_WR);
    return server_hangs_up(fd, CLOSE_WAIT_MS) ? 0 : 1;
}

/* ---- the real client ---- */

static void on_packet(void *ctx, const uint8_t *buf, size_t len, uint64_t t)
{
    (void)t;
    struct pkt_fields f;
    if (pkt_decode(buf, len, 112, 1, 1, &f) == PKT_OK)
        ++*(size_t *)ctx;
}

/* Imports through driver/src_usbip and reads; the number of good packets (bounded: 15 s). */
static size_t client_reads(size_t want)
{
    char err[SRC_ERR_MAX];
    volatile sig_atomic_t stop = 0;
    struct src_config cfg = {.usbip = {.port = srv_port}, .stop = &stop};
    struct src *s = src_open("usbip", &cfg, err);
    if (!s) {
        fprintf(stderr, "src_open: %s\n", err);
        return 0;
    }
    size_t n = 0;
    struct src_sink sink = {&n, on_packet, NULL};
    int64_t end = mono_ns() + 15000000000LL;
    while (n < want && mono_ns() < end && src_run(s, &sink, 50000000LL) == 0)
        ;
    stop = 1;
    src_run(s, &sink, 0);
    src_close(s);
    return n;
}

/* 1 when the server's log has a line about 127.0.0.1:port that contains reason (waits 5 s). */
static int logged(unsigned port, const char *reason, long from)
{
    char who[64], line[512];
    snprintf(who, sizeof who, "usbip server: 127.0.0.1:%u", port);
    int64_t end = mono_ns() + 5000000000LL;
    do {
        FILE *f = fopen(log_path, "r");
        if (f && fseek(f, from, SEEK_SET) == 0)
            while (fgets(line, sizeof line, f))
                if (strncmp(line, who, strlen(who)) == 0 &&
                    (line[strlen(who)] == ' ' || line[strlen(who)] == ':') &&
                    strstr(line, reason)) {
                    fclose(f);
                    return 1;
                }
        if (f)
            fclose(f);
        msleep(20);
    } while (mono_ns() < end);
    return 0;
}

/* ---- the table, run ---- */

static void case_failed(const struct hcase *k, const char *what, int line)
{
    char msg[256];
    snprintf(msg, sizeof msg, "case '%s': %s", k->name, what);
    CU_assertImplementation(CU_FALSE, (unsigned)line, msg, __FILE__, "", CU_FALSE);
    fprintf(stderr, "\n  FAIL %s\n", msg);
}

/* Runs one case; 0 when every check held. */
static int run_case(const struct hcase *k)
{
    int64_t t_case = mono_ns();
    FILE *f = fopen(log_path, "r");
    long from = 0;
    if (f && fseek(f, 0, SEEK_END) == 0)
        from = ftell(f);
    if (f)
        fclose(f);
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(60);
        close(pfd[0]);
        ready_fd = pfd[1];
        _exit(peer_child(k));
    }
    close(pfd[1]);
    char line[32] = "";
    struct pollfd p = {pfd[0], POLLIN, 0};
    ssize_t got = poll(&p, 1, 20000) == 1 ? read(pfd[0], line, sizeof line - 1) : -1;
    close(pfd[0]);
    unsigned subject = 0;
    int ok = 1;
    if (got <= 0 || sscanf(line, "port=%u", &subject) != 1) {
        case_failed(k, "the hostile peer could not set itself up", __LINE__);
        ok = 0;
    }
    /* The real client, beside the hostile peer (it waits its turn if that one holds the
     * device, until the server drops it). */
    int64_t tc = mono_ns();
    size_t n = client_reads(WANT_PACKETS);
    if (getenv("USBSIM_HOSTILE_CASE"))
        printf("[setup %.0f ms, client %.0f ms] ", (double)(tc - t_case) / 1e6,
               (double)(mono_ns() - tc) / 1e6);
    if (n < WANT_PACKETS) {
        case_failed(k, "the real client did not import and read", __LINE__);
        ok = 0;
    }
    int status = -1;
    int64_t end = mono_ns() + 30000000000LL;
    while (waitpid(pid, &status, WNOHANG) == 0 && mono_ns() < end)
        msleep(10);
    if (mono_ns() >= end) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
    if (code == 1)
        case_failed(k, "the server never hung up on the peer", __LINE__);
    else if (code != 0)
        case_failed(k, "the hostile peer's own steps failed", __LINE__);
    ok = ok && code == 0;
    if (subject && !logged(subject, k->reason, from)) {
        case_failed(k, "no log line about the peer with the expected reason", __LINE__);
        ok = 0;
    }
    if (!server_alive()) {
        case_failed(k, "the server is gone", __LINE__);
        ok = 0;
    }
    return ok ? 0 : -1;
}

static void test_hostile_peers(void)
{
    CU_ASSERT_EQUAL_FATAL(start_server(), 0);
    int64_t t_all = mono_ns();
    size_t passed = 0;
    const char *only = getenv("USBSIM_HOSTILE_CASE"); /* run the cases whose name has this */
    for (size_t i = 0; i < N_CASES && server_alive(); i++) {
        if (only && !strstr(cases[i].name, only)) {
            passed++;
            continue;
        }
        int64_t t0 = mono_ns();
        int r = run_case(&cases[i]);
        passed += r == 0;
        printf("\n    %-50s %s %6.0f ms", cases[i].name, r == 0 ? "ok  " : "FAIL",
               (double)(mono_ns() - t0) / 1e6);
    }
    printf("\n    %zu/%zu cases held, %.1f s in all\n", passed, N_CASES,
           (double)(mono_ns() - t_all) / 1e9);
    CU_ASSERT_EQUAL(passed, N_CASES);
    /* The server is still up after all of them and ends cleanly when told. */
    CU_ASSERT_TRUE(server_alive());
    kill(srv_pid, SIGTERM);
    int status = -1;
    int64_t end = mono_ns() + 10000000000LL;
    while (waitpid(srv_pid, &status, WNOHANG) == 0 && mono_ns() < end)
        msleep(10);
    if (mono_ns() >= end) {
        kill(srv_pid, SIGKILL);
        waitpid(srv_pid, &status, 0);
    }
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    unlink(log_path);
}

static CU_TestInfo tests[] = {
    {"hostile peers: the table", test_hostile_peers},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(240);
    return cu_main("usbip_hostile", tests);
}

/* libFuzzer target: the USB/IP client source's whole path (src_open's device list, then src_run:
 * connect, import, the enumeration's GET_DESCRIPTORs, SET_CONFIGURATION, IN requests, halts,
 * reconnects, give-up) against a server on
 * loopback that answers with the fuzz input. Whatever the server says, the client must end with
 * an error or packets: never a crash, never a hang (src_run must give up long before the bound
 * given to it), never unbounded memory (libFuzzer's limits).
 *
 * The input is a script of records, each [flags][length hi][length lo][bytes...]: the server sends
 * the bytes on its current connection (accepting the next one first when it has none); flags bit
 * 0: close the connection after sending, bit 1: first wait (20 ms at most) for the client to send
 * something, bit 2: reset instead of closing. When the script ends (or after 1 s) the server
 * closes everything,
 * its listener too, so the client's reconnects are refused and it must give up. The seeds
 * (tests/fuzz/gen_usbip_client_seeds.py) answer every request of the client's in turn, the
 * enumeration's too, so that mutations reach the stream's phase. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "driver/source.h"

#define RUN_BOUND_NS 5000000000LL /* src_run's own bound: reaching it means the client hung */

struct script {
    const uint8_t *d;
    size_t n;
    int lfd, quit[2];
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits up to ms for fd to be readable; 0 as well when told to quit. */
static int wait_in(struct script *sc, int fd, int ms)
{
    struct pollfd p[2] = {{fd, POLLIN, 0}, {sc->quit[0], POLLIN, 0}};
    return poll(p, 2, ms) > 0 && !p[1].revents && (p[0].revents & (POLLIN | POLLHUP | POLLERR));
}

static void drain(int fd)
{
    uint8_t junk[4096];
    while (recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0)
        ;
}

static void end_conn(int fd, int reset)
{
    if (reset) {
        struct linger l = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(fd);
}

static void *serve(void *arg)
{
    struct script *sc = arg;
    int cfd = -1;
    size_t off = 0;
    int64_t script_end = mono_ns() + 1000000000LL; /* the whole script plays within 1 s */
    while (off + 3 <= sc->n && mono_ns() < script_end) {
        uint8_t flags = sc->d[off];
        size_t len = (size_t)sc->d[off + 1] << 8 | sc->d[off + 2];
        off += 3;
        if (len > sc->n - off)
            len = sc->n - off;
        if (cfd < 0) {
            if (!wait_in(sc, sc->lfd, 500))
                break;
            cfd = accept(sc->lfd, NULL, NULL);
            if (cfd < 0)
                break;
        }
        if ((flags & 2) && wait_in(sc, cfd, 20))
            drain(cfd);
        size_t sent = 0;
        int64_t until = mono_ns() + 200000000LL;
        while (sent < len && mono_ns() < until) {
            ssize_t k = send(cfd, sc->d + off + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k < 0 && errno != EAGAIN)
                break;
            if (k > 0)
                sent += (size_t)k;
            else
                wait_in(sc, cfd, 5), drain(cfd);
        }
        off += len;
        drain(cfd);
        if (flags & 1) {
            end_conn(cfd, flags & 4);
            cfd = -1;
        }
    }
    if (cfd >= 0)
        close(cfd);
    close(sc->lfd);
    return NULL;
}

static void on_packet(void *ctx, const uint8_t *buf, size_t len, uint64_t t)
{
    (void)t;
    size_t *sum = ctx;
    for (size_t i = 0; i < len; i++) /* touch every byte: ASan checks the bounds */
        *sum += buf[i];
}

static void on_event(void *ctx, enum src_event ev, const char *detail)
{
    (void)ctx;
    if ((unsigned)ev > SRC_EV_ERROR || strlen(detail) > 4096)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct script sc = {.d = data, .n = size};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    sc.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sc.lfd < 0 || bind(sc.lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(sc.lfd, 8) != 0 ||
        getsockname(sc.lfd, (struct sockaddr *)&a, &al) != 0 || pipe(sc.quit) != 0)
        abort();
    pthread_t th;
    if (pthread_create(&th, NULL, serve, &sc) != 0)
        abort();
    volatile sig_atomic_t stop = 0;
    struct src_config cfg = {.usbip = {.port = ntohs(a.sin_port)}, .inflight = 4,
                             .max_packet = 112, .reconnect_min_ns = 1000000LL,
                             .reconnect_max_ns = 2000000LL, .give_up_ns = 20000000LL,
                             .cancel_wait_ns = 20000000LL, .stop = &stop};
    char err[SRC_ERR_MAX];
    struct src *s = src_open("usbip", &cfg, err);
    if (s) {
        size_t sum = 0;
        struct src_sink sink = {&sum, on_packet, on_event};
        int64_t t0 = mono_ns();
        int rc = src_run(s, &sink, RUN_BOUND_NS);
        if (rc == 0 || mono_ns() - t0 >= RUN_BOUND_NS) {
            fprintf(stderr, "the client did not give up on a server that went away\n");
            abort();
        }
        if (getenv("FUZZ_NET_VERBOSE")) /* what a seed reaches */
            fprintf(stderr, "packets %llu, halts %llu, clears %llu, errors %llu\n",
                    (unsigned long long)src_stats(s)->packets,
                    (unsigned long long)src_stats(s)->halts,
                    (unsigned long long)src_stats(s)->clears,
                    (unsigned long long)src_stats(s)->errors);
        stop = 1;
        src_close(s);
    }
    if (write(sc.quit[1], "q", 1) != 1)
        abort();
    pthread_join(th, NULL);
    close(sc.quit[0]);
    close(sc.quit[1]);
    return 0;
}

/* client — see client.h. */
#include "driver/client.h"

#include "driver/fdio.h"
#include "driver/record.h"
#include "sim/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct usbsim_client {
    int sock;
    struct usbsim_ring *ring;
    struct usbsim_doorbell db;
    struct usbsim_hello hello;
    int serviced_fd; /* the producer's data-serviced eventfd, or -1 */
    struct rcd *rec; /* what the application takes, when the harness asks (record.h), or NULL */
    char err[USBSIM_CLIENT_ERR_MAX];
};

static int failf(char *err, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, USBSIM_CLIENT_ERR_MAX, fmt, ap);
    va_end(ap);
    return status;
}

static int make_addr(struct sockaddr_un *a, const char *path, char *err)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a->sun_path)
        return failf(err, USBSIM_ESYS, "socket path too long (%zu bytes, at most %zu): %s",
                     strlen(path), sizeof a->sun_path - 1, path);
    strcpy(a->sun_path, path);
    return 0;
}

/* The peer must run as our user, or as root. */
static int cred_check(int fd, const char *who, char *err)
{
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
        return failf(err, USBSIM_ESYS, "SO_PEERCRED: %s", strerror(errno));
    if (uc.uid != geteuid() && uc.uid != 0)
        return failf(err, USBSIM_ECRED, "%s (pid %ld) runs as uid %u, not uid %u or root: refused",
                     who, (long)uc.pid, (unsigned)uc.uid, (unsigned)geteuid());
    return 0;
}

/* ---- driver side ---- */
/* PATH.lock, held with flock while this driver serves: a second driver on the same path learns it
 * is not alone before it touches the socket. */
static int lock_path(struct usbsim_server *s, const char *path)
{
    char lock[sizeof s->path + 8];
    snprintf(lock, sizeof lock, "%s.lock", path);
    s->lockfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (s->lockfd < 0)
        return failf(s->err, USBSIM_ESYS, "cannot create %s: %s", lock, strerror(errno));
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(s->lockfd);
        s->lockfd = -1;
        return failf(s->err, USBSIM_ESYS, e == EWOULDBLOCK
                     ? "another driver is serving on %s" : "cannot lock %s: %s", path, strerror(e));
    }
    return 0;
}

int usbsim_server_listen(struct usbsim_server *s, const char *path, struct usbsim_ring *r, struct usbsim_doorbell *d)
{
    struct sockaddr_un a;
    *s = (struct usbsim_server){.lfd = -1, .cfd = -1, .lockfd = -1, .ring = r, .db = d,
                                .serviced_fd = -1};
    if (make_addr(&a, path, s->err) != 0 || strlen(path) + 5 >= sizeof s->path)
        return failf(s->err, USBSIM_ESYS, "socket path too long: %s", path);
    if (lock_path(s, path) != 0)
        return USBSIM_ESYS;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* stale: its driver no longer holds the lock */
    s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    /* Nobody can connect before listen(): 0600 is set in between, whatever the umask. */
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 || chmod(path, 0600) != 0 ||
        listen(s->lfd, 4) != 0) {
        int e = errno;
        usbsim_server_close(s);
        return failf(s->err, USBSIM_ESYS, "cannot listen on %s: %s", path, strerror(e));
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    return 0;
}

void usbsim_server_set_serviced(struct usbsim_server *s, int fd)
{
    s->serviced_fd = fd;
}

static int send_hello(struct usbsim_server *s, int fd)
{
    uint32_t nfds = s->serviced_fd >= 0 ? 3 : 2;
    struct usbsim_hello h = {USBSIM_HELLO_MAGIC, USBSIM_HELLO_VERSION, usbsim_ring_slots(s->ring), usbsim_ring_payload(s->ring),
                          (uint32_t)usbsim_ring_policy(s->ring), (uint32_t)s->db->mode, nfds, 0, 0};
    int fds[3] = {usbsim_ring_fd(s->ring), s->db->rfd, s->serviced_fd};
    union {
        char buf[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {&h, sizeof h};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof fds[0]);
    m.msg_controllen = CMSG_SPACE(nfds * sizeof fds[0]);
    memcpy(CMSG_DATA(c), fds, nfds * sizeof fds[0]);
    if (sendmsg(fd, &m, MSG_NOSIGNAL) != (ssize_t)sizeof h)
        return failf(s->err, USBSIM_ESYS, "cannot send the ring to the application: %s",
                     strerror(errno));
    return 0;
}

static int peer_state(int fd, char *err, const char *who);

static int server_gone(void *ctx)
{
    struct usbsim_server *s = ctx;
    return peer_state(s->cfd, s->err, "application") != 0;
}

int usbsim_server_accept(struct usbsim_server *s, int timeout_ms)
{
    int64_t end = timeout_ms < 0 ? INT64_MAX : clk_mono_ms() + timeout_ms;
    unsigned refused = 0;
    for (;;) {
        int64_t left = end == INT64_MAX ? -1 : end - clk_mono_ms();
        if (end != INT64_MAX && left < 0)
            left = 0;
        struct pollfd p = {s->lfd, POLLIN, 0};
        int n = poll(&p, 1, left < 0 || left > INT32_MAX ? -1 : (int)left);
        if (n < 0 && errno == EINTR) /* a signal: the caller looks at its stop request */
            return failf(s->err, USBSIM_ESTOPPED, "interrupted while waiting for an application");
        if (n == 0)
            return refused ? USBSIM_ECRED
                           : failf(s->err, USBSIM_ETIMEDOUT, "no application connected within %d ms",
                                   timeout_ms);
        int fd = n > 0 ? accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC) : -1;
        if (fd < 0)
            return failf(s->err, USBSIM_ESYS, "accept on %s: %s", s->path, strerror(errno));
        int st = cred_check(fd, "application", s->err);
        if (st == 0)
            st = send_hello(s, fd);
        if (st != 0) { /* refused, or gone before its hello: wait for the next one */
            close(fd);
            if (st == USBSIM_ECRED)
                refused++, s->refused++;
            continue;
        }
        if (s->cfd >= 0)
            close(s->cfd);
        s->cfd = fd;
        /* A blocking producer must not wait for room from an application that is gone. */
        usbsim_ring_set_wait_check(s->ring, server_gone, s);
        return 0;
    }
}

/* 0 while the peer is there, USBSIM_EPEER once it closed (or anything unexpected arrived). */
static int peer_state(int fd, char *err, const char *who)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (fd < 0)
        return failf(err, USBSIM_EPEER, "no %s connected", who);
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
        return 0;
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return failf(err, USBSIM_EPEER, "the %s closed the connection (it exited or died)%s", who,
                 n > 0 ? " after an unexpected message" : "");
}

int usbsim_server_check(struct usbsim_server *s)
{
    return peer_state(s->cfd, s->err, "application");
}

void usbsim_server_close(struct usbsim_server *s)
{
    if (s->ring)
        usbsim_ring_set_wait_check(s->ring, NULL, NULL);
    if (s->cfd >= 0)
        close(s->cfd);
    if (s->lfd >= 0) {
        close(s->lfd);
        if (s->path[0])
            unlink(s->path);
    }
    if (s->lockfd >= 0) { /* the lock file goes while still held: the next driver makes its own */
        char lock[sizeof s->path + 8];
        snprintf(lock, sizeof lock, "%s.lock", s->path);
        if (s->path[0])
            unlink(lock);
        close(s->lockfd);
    }
    s->cfd = s->lfd = s->lockfd = -1;
}

/* ---- application side ---- */
static int dial(const char *path, int timeout_ms, char *err)
{
    struct sockaddr_un a;
    if (make_addr(&a, path, err) != 0)
        return -1;
    for (int waited = 0;; waited += 10) {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return failf(err, -1, "socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
        int e = errno;
        close(fd);
        if ((e != ENOENT && e != ECONNREFUSED) || waited >= timeout_ms)
            return failf(err, -1, "cannot connect to the driver at %s: %s", path, strerror(e));
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

/* Receives the hello and exactly the descriptors it announces: the ring and the doorbell, and
 * optionally the data-serviced eventfd (closes whatever else came). */
static int recv_hello(int sock, struct usbsim_hello *h, int fds[3], char *err)
{
    union {
        char buf[CMSG_SPACE(8 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {h, sizeof *h};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
    struct pollfd p = {sock, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0)
        return failf(err, USBSIM_EPROTO, "the driver sent no hello within 5 s");
    ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    int got = 0;
    fds[0] = fds[1] = fds[2] = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (got < 3)
                fds[got] = fd;
            else
                close(fd);
            got++;
        }
    }
    if (n == 0)
        return failf(err, USBSIM_EPEER, "the driver closed the connection before its hello");
    if (n != (ssize_t)sizeof *h || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
        return failf(err, USBSIM_EPROTO, "hello of %zd bytes, expected %zu", n, sizeof *h);
    if (h->magic != USBSIM_HELLO_MAGIC || h->version != USBSIM_HELLO_VERSION)
        return failf(err, USBSIM_EPROTO, "hello with magic 0x%08x version %u, expected 0x%08x %u",
                     h->magic, h->version, USBSIM_HELLO_MAGIC, USBSIM_HELLO_VERSION);
    if ((h->nfds != 2 && h->nfds != 3) || (uint32_t)got != h->nfds)
        return failf(err, USBSIM_EPROTO, "hello carried %d descriptors (announced %u), expected 2 or 3",
                     got, h->nfds);
    if (h->db_mode > USBSIM_DOORBELL_ALWAYS)
        return failf(err, USBSIM_EPROTO, "hello: unknown doorbell mode %u", h->db_mode);
    /* What arrived must be what the hello says: a doorbell is an eventfd or a pipe (never a device
     * or a file that is always readable), the serviced signal an eventfd. The ring is checked by
     * usbsim_ring_attach_consumer (a sealed memfd). */
    enum fdio_kind bell = fdio_kind(fds[1]);
    if (bell == FDIO_OTHER)
        return failf(err, USBSIM_EPROTO, "the doorbell the driver sent is not an eventfd or a pipe");
    if (bell == FDIO_PIPE)
        fdio_nonblock(fds[1]);
    if (h->nfds == 3 && fdio_kind(fds[2]) != FDIO_ANON)
        return failf(err, USBSIM_EPROTO, "the serviced signal the driver sent is not an eventfd");
    return 0;
}

static struct usbsim_client *client_fail(struct usbsim_client *c, char *err)
{
    snprintf(err, USBSIM_CLIENT_ERR_MAX, "%s", c->err);
    usbsim_client_close(c);
    return NULL;
}

struct usbsim_client *usbsim_client_connect(const char *path, int timeout_ms, char err[USBSIM_CLIENT_ERR_MAX])
{
    char derr[USBSIM_CLIENT_ERR_MAX];
    int sock = dial(path, timeout_ms, derr);
    if (sock < 0) {
        snprintf(err, USBSIM_CLIENT_ERR_MAX, "%s", derr);
        return NULL;
    }
    return usbsim_client_from_socket(sock, err);
}

struct usbsim_client *usbsim_client_from_socket(int sock, char err[USBSIM_CLIENT_ERR_MAX])
{
    struct usbsim_client *c = calloc(1, sizeof *c);
    if (!c) {
        close(sock);
        failf(err, USBSIM_ESYS, "out of memory");
        return NULL;
    }
    c->db.rfd = c->db.wfd = -1;
    c->serviced_fd = -1;
    c->sock = sock;
    if (cred_check(c->sock, "driver", c->err) != 0)
        return client_fail(c, err);
    int fds[3] = {-1, -1, -1};
    int st = recv_hello(c->sock, &c->hello, fds, c->err);
    c->serviced_fd = fds[2];
    if (st != 0 && fds[2] >= 0) {
        close(fds[2]);
        c->serviced_fd = -1;
    }
    if (st == 0) {
        char rerr[USBSIM_RING_ERR_MAX];
        c->ring = usbsim_ring_attach_consumer(fds[0], rerr);
        if (!c->ring)
            failf(c->err, USBSIM_EPROTO, "%s", rerr);
        else if (usbsim_ring_slots(c->ring) != c->hello.slots ||
                 usbsim_ring_payload(c->ring) != c->hello.slot_payload)
            failf(c->err, st = USBSIM_EPROTO, "hello geometry %u x %u differs from the ring's %u x %u",
                  c->hello.slots, c->hello.slot_payload, usbsim_ring_slots(c->ring),
                  usbsim_ring_payload(c->ring));
    }
    if (fds[0] >= 0)
        close(fds[0]); /* the mapping stays */
    /* usbsim_doorbell_pipe's drain reads what is there: right for an eventfd and for a pipe */
    usbsim_doorbell_adopt(&c->db, fds[1], -1, (enum usbsim_doorbell_mode)c->hello.db_mode,
                          &usbsim_doorbell_pipe);
    c->db.owned = 1;
    if (st != 0 || !c->ring)
        return client_fail(c, err);
    c->rec = rcd_from_env();
    return c;
}

int usbsim_client_wait(struct usbsim_client *c, int timeout_ms)
{
    rcd_mark(c->rec); /* a wait ends a batch */
    int w = usbsim_doorbell_wait(&c->db, c->ring, timeout_ms, c->sock);
    rcd_missed(c->rec, c->db.missed);
    if (w > 0)
        return w;
    if (w == USBSIM_ECLOSED)
        return failf(c->err, USBSIM_ECLOSED, "the driver closed the ring; every packet was read");
    if (w < 0 && w != USBSIM_EWATCH) {
        snprintf(c->err, sizeof c->err, "%s", w == USBSIM_ESYS ? "poll failed" : usbsim_ring_error(c->ring));
        return w;
    }
    if (usbsim_ring_producer_closed(c->ring))
        return failf(c->err, USBSIM_ECLOSED, "the driver closed the ring; every packet was read");
    if (w == USBSIM_EWATCH)
        return peer_state(c->sock, c->err, "driver") ? USBSIM_EPEER : 0;
    return 0;
}

static int ring_status(struct usbsim_client *c, int st)
{
    if (st < 0)
        snprintf(c->err, sizeof c->err, "%s", usbsim_ring_error(c->ring));
    return st;
}

void usbsim_client_set_spin(struct usbsim_client *c, uint32_t polls) { usbsim_doorbell_set_spin(&c->db, polls); }
int usbsim_client_peek(struct usbsim_client *c, uint32_t max) { return ring_status(c, usbsim_ring_peek(c->ring, max)); }

int usbsim_client_get(struct usbsim_client *c, uint32_t i, struct usbsim_ring_pkt *out)
{
    int st = ring_status(c, usbsim_ring_get(c->ring, i, out));
    if (st == 0)
        rcd_take(c->rec, out);
    return st;
}

int usbsim_client_release(struct usbsim_client *c, uint32_t n)
{
    int st = ring_status(c, usbsim_ring_release(c->ring, n));
    rcd_mark(c->rec); /* a release ends a batch */
    return st;
}
void usbsim_client_stats(const struct usbsim_client *c, struct usbsim_ring_stats *s) { usbsim_ring_stats(c->ring, s); }

uint64_t usbsim_client_missed_wakeups(const struct usbsim_client *c) { return c->db.missed; }
const struct usbsim_hello *usbsim_client_hello(const struct usbsim_client *c) { return &c->hello; }
const char *usbsim_client_error(const struct usbsim_client *c) { return c->err; }
struct usbsim_ring *usbsim_client_ring(struct usbsim_client *c) { return c->ring; }

void usbsim_client_close(struct usbsim_client *c)
{
    if (!c)
        return;
    rcd_missed(c->rec, c->db.missed);
    rcd_close(c->rec);
    usbsim_ring_destroy(c->ring);
    usbsim_doorbell_close(&c->db);
    if (c->serviced_fd >= 0)
        close(c->serviced_fd);
    if (c->sock >= 0)
        close(c->sock);
    free(c);
}

int usbsim_client_serviced_fd(const struct usbsim_client *c)
{
    return c->serviced_fd;
}

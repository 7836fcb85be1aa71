/* client — sharing a ring across processes: the driver serves it over a UNIX socket, an
 * application connects and drains it.
 *
 * Contract: the server (usbsim_server_*, driver side) listens on a path, accepts one application at a
 * time, checks its credentials (SO_PEERCRED: the same user, or root) and sends, in one
 * SOCK_SEQPACKET message, a hello (magic, version, geometry, policy, doorbell mode) with the ring's
 * memory object and the doorbell's read end attached by SCM_RIGHTS (and, when the driver set one,
 * its data-serviced eventfd for dataqueue.h: the hello announces 2 or 3). The client (usbsim_client_connect,
 * application side) checks the server's credentials the same way, checks the hello against the
 * shared header, and maps the ring as its consumer: slots and producer fields read-only, only its
 * own page writable (see ring.h). Nothing the other side writes is trusted: a bad hello, header or
 * index gives an error code and a message (usbsim_client_error()), never a crash. A producer that goes away
 * is reported by usbsim_client_wait() as USBSIM_EPEER once every packet it committed has been read; a consumer
 * that goes away is reported to the driver by usbsim_server_check().
 * Prefix: usbsim_client_ (application side), usbsim_server_ (driver side).
 */
#ifndef USBSIM_DRIVER_CLIENT_H
#define USBSIM_DRIVER_CLIENT_H

#include <stdint.h>

#include "driver/doorbell.h"
#include "driver/ring.h"

#define USBSIM_HELLO_MAGIC 0x4C4C4548u /* "HELL" */
#define USBSIM_HELLO_VERSION 1u
#define USBSIM_CLIENT_ERR_MAX 256

/* The hello message, fixed size, host byte order (both ends are on the same machine). */
struct usbsim_hello {
    uint32_t magic, version, slots, slot_payload, policy, db_mode, nfds, reserved;
    uint64_t total_size;
};

struct usbsim_server {
    int lfd, cfd;
    int lockfd;        /* PATH.lock, held (flock) while serving: one driver per socket path */
    unsigned refused;  /* applications refused by usbsim_server_accept (another user) */
    struct usbsim_ring *ring;
    struct usbsim_doorbell *db;
    char path[108];
    int serviced_fd; /* sent with the hello when >= 0 (usbsim_server_set_serviced) */
    char err[USBSIM_CLIENT_ERR_MAX];
};

/* Driver side. listen: 0 or USBSIM_ESYS (message in s->err). One driver per path: the driver holds
 * an flock on PATH.lock while it serves, so a second one is refused ("another driver is serving
 * on PATH") and never removes a live socket; a stale socket (its driver gone) is replaced. The
 * socket is created 0600 whatever the umask. */
int usbsim_server_listen(struct usbsim_server *s, const char *path, struct usbsim_ring *r, struct usbsim_doorbell *d);
/* Accepts one application (timeout_ms < 0: no limit) and hands it the ring: 0, USBSIM_ETIMEDOUT,
 * USBSIM_ECRED (the time ran out after refusing a client of another user: s->err names it),
 * USBSIM_ESTOPPED (a signal interrupted the wait), USBSIM_ESYS. A refused client (another user, or one that is gone before its hello) is
 * disconnected, counted in s->refused, and the wait goes on: it never ends the server. */
int usbsim_server_accept(struct usbsim_server *s, int timeout_ms);
/* 0 while the application is connected, USBSIM_EPEER once it closed or died (then the driver should
 * usbsim_ring_stop() a blocking producer). Never blocks. */
int usbsim_server_check(struct usbsim_server *s);
void usbsim_server_close(struct usbsim_server *s); /* closes sockets, removes the path */
/* Driver side, optional: also hand the application the producer's data-serviced eventfd
 * (dataqueue.h, usbsim_dq_serviced_fd), as a third descriptor of the hello. Not taken over. */
void usbsim_server_set_serviced(struct usbsim_server *s, int fd);

/* Application side. */
struct usbsim_client;
/* Connects (retrying for up to timeout_ms while the path does not exist yet). NULL + err. */
struct usbsim_client *usbsim_client_connect(const char *path, int timeout_ms, char err[USBSIM_CLIENT_ERR_MAX]);
/* The same over a SOCK_SEQPACKET socket already connected to the driver (inherited from a
 * launcher, say), which it takes over (closed by usbsim_client_close, or at once on failure). */
struct usbsim_client *usbsim_client_from_socket(int sock, char err[USBSIM_CLIENT_ERR_MAX]);
/* Waits for packets: > 0 pending, 0 timeout, USBSIM_EPEER (producer gone, nothing left), USBSIM_ECLOSED
 * (producer closed the ring, nothing left), or a negative ring status (corrupt shared memory). */
int usbsim_client_wait(struct usbsim_client *c, int timeout_ms);
void usbsim_client_set_spin(struct usbsim_client *c, uint32_t polls);             /* see usbsim_doorbell_set_spin */
int usbsim_client_peek(struct usbsim_client *c, uint32_t max);                    /* see usbsim_ring_peek */
int usbsim_client_get(struct usbsim_client *c, uint32_t i, struct usbsim_ring_pkt *out); /* see usbsim_ring_get */
int usbsim_client_release(struct usbsim_client *c, uint32_t n);                   /* see usbsim_ring_release */
void usbsim_client_stats(const struct usbsim_client *c, struct usbsim_ring_stats *s);
/* Lost wake-ups this application saw (doorbell.h, struct usbsim_doorbell's missed): 0 if the protocol holds. */
uint64_t usbsim_client_missed_wakeups(const struct usbsim_client *c);
const struct usbsim_hello *usbsim_client_hello(const struct usbsim_client *c);
const char *usbsim_client_error(const struct usbsim_client *c);
struct usbsim_ring *usbsim_client_ring(struct usbsim_client *c);
void usbsim_client_close(struct usbsim_client *c);
/* The producer's data-serviced eventfd when the driver sent one (pass it to usbsim_dq_consumer_new),
 * else -1. Owned by the client: closed by usbsim_client_close(). */
int usbsim_client_serviced_fd(const struct usbsim_client *c);

#endif

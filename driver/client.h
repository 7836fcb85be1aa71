/* client — sharing a ring across processes: the driver serves it over a UNIX socket, an
 * application connects and drains it.
 *
 * Contract: the server (rcl_server_*, driver side) listens on a path, accepts one application at a
 * time, checks its credentials (SO_PEERCRED: the same user, or root) and sends, in one
 * SOCK_SEQPACKET message, a hello (magic, version, geometry, policy, doorbell mode) with the ring's
 * memory object and the doorbell's read end attached by SCM_RIGHTS (and, when the driver set one,
 * its data-serviced eventfd for dataqueue.h: the hello announces 2 or 3). The client (rcl_connect,
 * application side) checks the server's credentials the same way, checks the hello against the
 * shared header, and maps the ring as its consumer: slots and producer fields read-only, only its
 * own page writable (see ring.h). Nothing the other side writes is trusted: a bad hello, header or
 * index gives an error code and a message (rcl_error()), never a crash. A producer that goes away
 * is reported by rcl_wait() as RCL_EPEER once every packet it committed has been read; a consumer
 * that goes away is reported to the driver by rcl_server_check().
 * Prefix: rcl_.
 */
#ifndef USBSIM_DRIVER_CLIENT_H
#define USBSIM_DRIVER_CLIENT_H

#include <stdint.h>

#include "driver/doorbell.h"
#include "driver/ring.h"

#define RCL_HELLO_MAGIC 0x4C4C4548u /* "HELL" */
#define RCL_VERSION 1u
#define RCL_ERR_MAX 256

enum rcl_status {
    RCL_EPEER = -30,     /* the other side closed the connection or died */
    RCL_ECRED = -31,     /* the peer runs as another (non-root) user */
    RCL_EPROTO = -32,    /* bad hello message or missing descriptors */
    RCL_ESYS = -33,      /* a system call failed */
    RCL_ECLOSED = -34,   /* the producer closed the ring cleanly and everything was read */
    RCL_ETIMEDOUT = -35, /* rcl_server_accept: no client within the timeout */
};

/* The hello message, fixed size, host byte order (both ends are on the same machine). */
struct rcl_hello {
    uint32_t magic, version, slots, slot_payload, policy, db_mode, nfds, reserved;
    uint64_t total_size;
};

struct rcl_server {
    int lfd, cfd;
    struct ring *ring;
    struct db *db;
    char path[108];
    int serviced_fd; /* sent with the hello when >= 0 (rcl_server_set_serviced) */
    char err[RCL_ERR_MAX];
};

/* Driver side. listen: 0 or RCL_ESYS (message in s->err). Any stale socket at path is replaced. */
int rcl_server_listen(struct rcl_server *s, const char *path, struct ring *r, struct db *d);
/* Accepts one application (timeout_ms < 0: no limit) and hands it the ring: 0, RCL_ETIMEDOUT,
 * RCL_ECRED (that client was refused and disconnected), RCL_ESYS. */
int rcl_server_accept(struct rcl_server *s, int timeout_ms);
/* 0 while the application is connected, RCL_EPEER once it closed or died (then the driver should
 * ring_stop() a blocking producer). Never blocks. */
int rcl_server_check(struct rcl_server *s);
void rcl_server_close(struct rcl_server *s); /* closes sockets, removes the path */
/* Driver side, optional: also hand the application the producer's data-serviced eventfd
 * (dataqueue.h, dq_serviced_fd), as a third descriptor of the hello. Not taken over. */
void rcl_server_set_serviced(struct rcl_server *s, int fd);

/* Application side. */
struct rcl_client;
/* Connects (retrying for up to timeout_ms while the path does not exist yet). NULL + err. */
struct rcl_client *rcl_connect(const char *path, int timeout_ms, char err[RCL_ERR_MAX]);
/* Waits for packets: > 0 pending, 0 timeout, RCL_EPEER (producer gone, nothing left), RCL_ECLOSED
 * (producer closed the ring, nothing left), or a negative ring status (corrupt shared memory). */
int rcl_wait(struct rcl_client *c, int timeout_ms);
void rcl_set_spin(struct rcl_client *c, uint32_t polls);             /* see db_set_spin */
int rcl_peek(struct rcl_client *c, uint32_t max);                    /* see ring_peek */
int rcl_get(struct rcl_client *c, uint32_t i, struct ring_pkt *out); /* see ring_get */
int rcl_release(struct rcl_client *c, uint32_t n);                   /* see ring_release */
void rcl_stats(const struct rcl_client *c, struct ring_stats *s);
/* Lost wake-ups this application saw (doorbell.h, struct db's missed): 0 if the protocol holds. */
uint64_t rcl_missed_wakeups(const struct rcl_client *c);
const struct rcl_hello *rcl_hello(const struct rcl_client *c);
const char *rcl_error(const struct rcl_client *c);
struct ring *rcl_ring(struct rcl_client *c);
void rcl_close(struct rcl_client *c);
/* The producer's data-serviced eventfd when the driver sent one (pass it to dq_consumer_new),
 * else -1. Owned by the client: closed by rcl_close. */
int rcl_serviced_fd(const struct rcl_client *c);

#endif

/* usbip_server — the emulated device served over USB/IP (TCP), single-threaded, one poll loop.
 *
 * Contract:
 *  - Serves one device (a usbdev) under one bus id (default "1-1") on ADDR:PORT (default
 *    127.0.0.1:3240; port 0 = an ephemeral port, read it back with usrv_port()), to at most 8
 *    peers at once. The listener is always watched: when every slot is taken, a newcomer gets
 *    the slot of the oldest peer that has not imported the device (dropped, reason logged); the
 *    importer is never dropped for a newcomer. Speaks
 *    OP_REQ_DEVLIST (reply, then close) and OP_REQ_IMPORT (one importer at a time), then
 *    CMD_SUBMIT / CMD_UNLINK: control transfers on endpoint 0 go to usbdev_control_data() (IN
 *    data up to wLength, an OUT data stage passed on); IN transfers on the stream endpoint
 *    (usbdev_stream_ep(), 0x81 by default) queue in arrival order and complete when
 *    usbdev_in_request() says READY (status 0), STALL (-EPIPE: every queued IN request fails at
 *    once) or OVERFLOW (-EOVERFLOW). IN transfers on another IN endpoint of the configuration
 *    are held (NAK) until unlinked (64 per peer at most); OUT transfers on an OUT endpoint
 *    complete at once with their length (usbdev_out_data counts them); any other endpoint is a
 *    protocol error. CMD_UNLINK of a queued or held request: RET_UNLINK status -ECONNRESET and
 *    no RET_SUBMIT for it; of an unknown or completed one: status 0.
 *  - The device record (devlist and import) carries the scenario's speed (high or full), device
 *    class/subclass/protocol and, in the devlist, each interface's class triple (alt 0).
 *  - Every peer has a bound (opts.peer_timeout_ns, 2 s by default, real time) on each step:
 *    completing its first request (OP_REQ_DEVLIST / OP_REQ_IMPORT) from the moment it
 *    connected, completing any request it has begun (a partial header, OUT data announced but
 *    not sent), and reading the replies waiting for it (its socket's send buffer full with no
 *    progress). A peer that overstays one is disconnected with the reason logged, so idle or
 *    slow peers can never lock the device or the slots. A peer that closes or resets its
 *    connection mid-request or before any request is logged as a problem too; a peer that
 *    leaves cleanly is an informational line.
 *  - Disconnect windows: the importer's socket is closed at the window's start and imports are
 *    refused (status NA) until the window ends.
 *  - A peer that sends a malformed header, an unknown or server-only command, an oversize
 *    length, a wrong direction, a wrong device id, a duplicate sequence number, an endpoint the
 *    device does not have, or more than max_urbs queued requests is disconnected with the reason
 *    logged; the server keeps serving everybody else. It never reads or writes out of bounds and
 *    never blocks on one peer (non-blocking sockets, bounded buffers, back-pressure on input).
 *  - usrv_run() returns when a stop flag becomes non-zero, on SIGINT/SIGTERM delivered while it
 *    waits (when the caller passes the mask in which they are unblocked), or at the end of the
 *    timeline + grace once the host has drained the device (or at end + linger regardless).
 *  - With opts.cap, every URB the device sees is captured (capture.h): the submit ('S') of
 *    each CMD_SUBMIT (control with its setup bytes, IN requests) and its completion ('C') as
 *    RET_SUBMIT carries it (IN data, -EPIPE for stalls, -EOVERFLOW), -ECONNRESET for an unlinked
 *    request, -ESHUTDOWN for requests still queued when the importer goes away. The URB id is
 *    the USB/IP sequence number. The caller ends the capture (cap_close) after usrv_free().
 *  - usrv_conn_*: one connection's protocol state machine without a socket (fd -1), so that tests
 *    and the fuzzer can drive it with bytes and a fake clock.
 * Prefix: usrv_.
 */
#ifndef USBSIM_SIM_USBIP_SERVER_H
#define USBSIM_SIM_USBIP_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/usb_device.h"

struct cap;

#define USRV_DEFAULT_LISTEN "127.0.0.1:3240"
#define USRV_DEFAULT_BUSID "1-1"
#define USRV_ERR_MAX 256

struct usrv_opts {
    const char *listen;   /* "ADDR:PORT", "[V6ADDR]:PORT"; NULL = USRV_DEFAULT_LISTEN */
    const char *busid;    /* NULL = USRV_DEFAULT_BUSID */
    int64_t grace_ns;     /* after the end once drained; 0 = 200 ms */
    int64_t linger_ns;    /* after the end at most; 0 = 5 s */
    unsigned max_urbs;    /* queued IN requests per peer; 0 = 128 */
    int quiet;            /* no informational lines (problems are still logged) */
    FILE *log;            /* where lines go; NULL = stderr */
    volatile sig_atomic_t *stop[2]; /* either one non-zero ends usrv_run(); NULL = unused */
    const sigset_t *wait_mask; /* signal mask while waiting (ppoll); NULL = unchanged */
    struct cap *cap;           /* capture every URB here (not owned: the caller opens and
                                  closes it, capture.h); NULL = none */
    int64_t peer_timeout_ns;   /* a peer's bound on each step (below); 0 = 2 s */
};

struct usrv_stats {
    uint64_t accepted, imports, refused_imports, devlists, bad_peers, urbs, unlinks;
    uint64_t unlinked_pending, ret_submits, stalls, closed_for_disconnect;
    uint64_t evicted, timed_out; /* peers dropped for a newcomer; for overstaying a bound */
    char last_reason[128];
};

struct usrv;
struct usrv_conn;

/* Creates a server for dev (not owned). With listen_now, binds and listens; on failure returns
 * NULL, *env_error = 1 when the environment is at fault (address in use, no permission) or 0 for
 * a bad address, and a message in err. */
struct usrv *usrv_new(struct usbdev *dev, const struct usrv_opts *o, int listen_now, int *env_error,
                      char err[USRV_ERR_MAX]);
uint16_t usrv_port(const struct usrv *s);
int usrv_run(struct usrv *s);
void usrv_free(struct usrv *s);
const struct usrv_stats *usrv_stats(const struct usrv *s);

/* The protocol state machine of one peer. input: -1 when the peer must be dropped (the reason
 * is in usrv_conn_reason()), 0 to go on, 1 when the server is done with it (devlist answered,
 * import refused) once its output is sent. */
struct usrv_conn *usrv_conn_new(struct usrv *s, int fd);
/* Free input space (0 while the peer's unsent output is above the high-water mark). */
size_t usrv_conn_room(const struct usrv_conn *c);
/* Takes at most usrv_conn_room() bytes. */
int usrv_conn_input(struct usrv *s, struct usrv_conn *c, const uint8_t *data, size_t n,
                    int64_t now);
/* Completes queued IN requests that the device can answer at `now`. */
void usrv_conn_tick(struct usrv *s, struct usrv_conn *c, int64_t now);
/* -1 when the peer has overstayed a bound at `now` (usrv_conn_reason() says which), else 0 and
 * *next = when to check again. */
int usrv_conn_overdue(const struct usrv *s, struct usrv_conn *c, int64_t now, int64_t *next);
/* Output waiting to be sent; usrv_conn_consume() drops the first n bytes of it. */
const uint8_t *usrv_conn_output(const struct usrv_conn *c, size_t *len);
void usrv_conn_consume(struct usrv_conn *c, size_t n);
const char *usrv_conn_reason(const struct usrv_conn *c);
void usrv_conn_free(struct usrv *s, struct usrv_conn *c);

#endif

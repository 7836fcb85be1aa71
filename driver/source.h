/* source — where the driver's packets come from: one small interface over USB transports.
 *
 * Contract:
 *  - src_open(kind, cfg) opens a source of kind "usbip" (a direct USB/IP client) or "libusb"
 *    (libusb-1.0); the driver process never needs to know which one it has.
 *  - src_run() keeps cfg->inflight IN requests queued on endpoint 0x81 and hands every packet
 *    that arrives to sink->packet, in arrival order, with its ingress time (CLOCK_MONOTONIC ns,
 *    taken when the transfer completed). It clears a halted endpoint and resumes, reconnects
 *    after a disconnect with bounded exponential backoff, and reports each of these through
 *    sink->event. It returns when *cfg->stop becomes non-zero (after cancelling every queued
 *    request and waiting, bounded, for the answers: packets that still arrive are delivered),
 *    when timeout_ns has passed (requests stay queued; call src_run again), or on a fatal error
 *    (reconnection given up, device never found): 0 = stopped or timed out, -1 = fatal (an
 *    SRC_EV_ERROR or SRC_EV_GONE event said why).
 *  - The sink is called on the caller's thread, from inside src_run only.
 * Prefix: src_.
 */
#ifndef USBSIM_DRIVER_SOURCE_H
#define USBSIM_DRIVER_SOURCE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define SRC_ERR_MAX 256
#define SRC_DEFAULT_INFLIGHT 4
#define SRC_MAX_INFLIGHT 64
#define SRC_USBIP_HOST "127.0.0.1" /* the usbip source's defaults */
#define SRC_USBIP_PORT 3240
#define SRC_USBIP_BUSID "1-1"

enum src_event {
    SRC_EV_CONNECTED,    /* first time the device is configured and reading */
    SRC_EV_HALTED,       /* the IN endpoint stalled */
    SRC_EV_HALT_CLEARED, /* the first packet after a halt */
    SRC_EV_DISCONNECTED, /* the device went away */
    SRC_EV_RECONNECTED,  /* configured and reading again */
    SRC_EV_ERROR,        /* a problem (fatal when src_run then returns -1) */
    SRC_EV_GONE,         /* the device is gone for good (src_run then returns -1) */
};

struct src_sink {
    void *ctx;
    void (*packet)(void *ctx, const uint8_t *buf, size_t len, uint64_t ingress_ns);
    void (*event)(void *ctx, enum src_event ev, const char *detail);
};

struct src_config {
    struct {
        const char *host;  /* NULL = SRC_USBIP_HOST */
        uint16_t port;     /* 0 = SRC_USBIP_PORT */
        const char *busid; /* NULL = SRC_USBIP_BUSID */
    } usbip;
    struct {
        uint16_t vid, pid;
        int bus, address;  /* 0 = any */
    } libusb;
    uint8_t in_ep;             /* the IN endpoint read (its interface claimed, its alternate
                                  setting selected); 0 = 0x81 */
    unsigned inflight;         /* IN requests kept queued; 0 = SRC_DEFAULT_INFLIGHT */
    size_t max_packet;         /* request length; 0 = 1024 */
    int64_t reconnect_min_ns;  /* backoff bounds; 0 = 10 ms .. 500 ms */
    int64_t reconnect_max_ns;
    int64_t give_up_ns;        /* stop reconnecting after this long without success; 0 = 10 s */
    int64_t cancel_wait_ns;    /* bound on waiting for cancelled requests; 0 = 500 ms */
    /* A control request with no data stage sent right after SET_CONFIGURATION, before reading:
     * the device's start request (a scenario with `start: on_request`). on = 0: none. */
    struct {
        int on;
        uint8_t setup[8];
    } start_request;
    int refused_is_gone;       /* usbip: a refused connection after a session means the server
                                  ended (its timeline is over): SRC_EV_GONE at once instead of
                                  retrying until give_up_ns */
    volatile sig_atomic_t *stop;
};

struct src_stats {
    uint64_t packets, bytes, halts, clears, disconnects, reconnects, cancelled, errors;
};

struct src_ops {
    const char *name;
    void *(*open)(const struct src_config *cfg, char err[SRC_ERR_MAX]);
    int (*run)(void *impl, const struct src_sink *sink, int64_t timeout_ns);
    const struct src_stats *(*stats)(const void *impl);
    void (*close)(void *impl);
};

struct src;

/* NULL with a message in err when kind is unknown or the source cannot be opened. */
struct src *src_open(const char *kind, const struct src_config *cfg, char err[SRC_ERR_MAX]);
int src_run(struct src *s, const struct src_sink *sink, int64_t timeout_ns);
const struct src_stats *src_stats(const struct src *s);
const char *src_name(const struct src *s);
void src_close(struct src *s);
const char *src_event_name(enum src_event ev);
/* What the source reads, in words, into buf: "the device at 127.0.0.1:3240 bus 1-1",
 * "USB device 1209:0001". Returns buf. */
const char *src_describe(const char *kind, const struct src_config *cfg, char *buf, size_t len);

#endif

/* drv — the driver process: a USB source feeding the shared ring, served to one application.
 *
 * Contract:
 *  - drv_run() creates the ring (slots, packet size, overflow policy) and the doorbell, listens on
 *    a UNIX socket, waits for the application, opens the USB source (source_first: the source
 *    first, so a missing device is said at once) and runs it until *stop becomes non-zero (or the
 *    source gives up). Unless quiet, it says on stderr what it waits for ("driver: waiting for
 *    the device at 127.0.0.1:3240 bus 1-1", "driver: waiting for an application on PATH").
 *    Every packet that arrives is checked (size, magic, CRC-32) at ingress: a bad one is
 *    counted as a CRC reject and never enters the ring (raw: a stream without usbsim's header,
 *    whose format the driver cannot know: only a packet longer than packet_size is
 *    rejected; every other one enters the ring, and its rows name no seq: -1); a good one is pushed with its ingress
 *    time and the doorbell is rung only if the application may sleep.
 *    Every packet is delivered, or counted where it was lost (crc, ring overflow by cause).
 *  - At the end it closes the ring (the application reads what is left, then sees it closed),
 *    waits (bounded) for the application to go, and writes, when paths are given:
 *      the driver log   seq,ingress_ns,status   (status crc | ring-drop; seq -1 when not known,
 *                                                e.g. a packet evicted by drop-oldest; with
 *                                                log_delivered also ok: put into the ring)
 *      the counters     doorbells,wakeups,ring_high_water,ring_drops,crc_rejects  (one row)
 *  - An application that dies ends a blocking wait for room (usbsim_ring_stop) instead of hanging.
 *  - end_with_source: a source that ends for good (the device gone and not back, the USB/IP
 *    server ended its timeline) ends the driver cleanly, and it says so; otherwise that is a
 *    failure. A stop while waiting for the application or the device is a clean end.
 *  - Returns 0 on a clean end, 1 on a failure (said on stderr), 3 when the source cannot be
 *    opened at all (e.g. "no USB device 1209:0001 found").
 * Prefix: drv_.
 */
#ifndef USBSIM_DRIVER_DRV_H
#define USBSIM_DRIVER_DRV_H

#include <signal.h>
#include <stdint.h>

#include "driver/doorbell.h"
#include "driver/ring.h"
#include "driver/source.h"


struct drv_opts {
    const char *source;          /* "usbip" | "libusb" */
    struct src_config src;       /* its stop flag is set by drv_run to `stop` */
    uint32_t slots;              /* ring size, power of two */
    uint32_t packet_size;        /* expected packet size (0: any, up to 1024); raw: the
                                    longest packet, and the ring's slot size */
    int raw;                     /* a raw stream (no usbsim header): nothing is checked at
                                    ingress but the length (at most packet_size, an empty
                                    packet included); rows say seq -1 */
    enum usbsim_ring_policy policy;
    enum usbsim_doorbell_mode doorbell;
    const char *socket_path;
    int accept_timeout_ms;       /* wait for the application */
    int open_timeout_ms;         /* keep trying to open the source this long (0: once; < 0:
                                    until *stop) */
    int source_first;            /* open the source before waiting for the application */
    int end_with_source;         /* the source's end is the driver's clean end (exit 0) */
    int linger_timeout_ms;       /* after closing the ring, wait for the application to finish */
    const char *log_path;        /* driver.csv, or NULL */
    const char *counters_path;   /* counters, or NULL */
    int log_delivered;           /* also log every packet put into the ring (status ok), so a
                                    packet the application never took is placed there */
    volatile sig_atomic_t *stop;
    int quiet;
};

int drv_run(const struct drv_opts *o);

#endif

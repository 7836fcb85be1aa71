/* usb_device — the emulated USB device, independent of the transport that carries it.
 *
 * Contract:
 *  - Descriptors: by default (no device.interfaces in the scenario) one high-speed USB 2.0 device
 *    (VID/PID from the scenario), one configuration (value 1), one vendor-class interface (0xFF)
 *    with one IN endpoint 0x81, interrupt or bulk as the scenario says. Interrupt:
 *    wMaxPacketSize = packet_size (high speed allows up to 1024), bInterval the largest
 *    power-of-two microframe count not above the period. Bulk: 512 (the only legal high-speed
 *    value); a packet is one transfer. Strings: 1 manufacturer, 2 product, 3 serial (derived from
 *    the seed), language 0x0409.
 *  - The scenario's own device (device.* keys, docs/scenario-format.md): the device descriptor
 *    carries its bcdUSB, class/subclass/protocol, bMaxPacketSize0, VID/PID, bcdDevice; its
 *    strings (index 1, 2, 3 fixed; a string given as "" has index 0 and no descriptor; interface
 *    names take 4, 5, ... in entry order). The configuration is written in entry order: for each
 *    interface entry its interface descriptor, its extra bytes, then each endpoint descriptor
 *    followed by its extra bytes; wTotalLength computed, bNumInterfaces = the number of distinct
 *    interface numbers, bmAttributes and bMaxPower (mA / 2) from device.config. An endpoint with
 *    no interval: bulk 0, the stream's interrupt endpoint derived from the period as above (full
 *    speed: the period in 1 ms frames), another interrupt endpoint 1. speed: full has no device
 *    qualifier (GET_DESCRIPTOR of it stalls); the default interface at full speed uses 64-byte
 *    bulk packets. Configuration descriptors up to 65535 bytes.
 *  - Endpoints: the stream plays on device.stream_endpoint (0x81 by default). Another IN
 *    endpoint (usbdev_in_request_ep) answers from its own FIFO (fifo_packets deep; a packet that
 *    finds it full is dropped, the newest: usbdev_ep_stats dropped_fifo) and NAK while it is
 *    empty. Its FIFO is fed by:
 *      - its own stream (the endpoint's `stream:`): sample k (seq k, from 0) due at t0 +
 *        k * period (no jitter) while that is before the duration, packet_size raw bytes of
 *        sched_gen_bytes (counter, random with the seed rng_derive(rng_derive(seed,
 *        RNG_TAG_EP), address): two endpoints differ, pattern);
 *      - with device.replay and no `stream:` on it: the recording's packets of its address, at
 *        their recorded times (sched_rec_time_ns) from t0, looping as the stream does (loop:
 *        true; the same round, rec_round_ns) while before the duration, bytes as recorded;
 *      - the replies an OUT endpoint's on_data queues on it (at once, started or not).
 *    t0 is the stream's (the first IN request on the stream endpoint after SET_CONFIGURATION,
 *    or the start action); a request on another endpoint never sets it. A disconnect is the
 *    whole device's: every FIFO's content is lost at its start (dropped_disconnect) and samples
 *    due inside are lost; stall, halt, burst, corrupt and the stop action are the stream
 *    endpoint's only. An OUT endpoint (usbdev_out_transfer) accepts its data, counted in
 *    usbdev_stats (out_transfers, out_bytes) and logged (the OUT log below); its on_data, if
 *    any, queues its reply on its IN endpoint or does its action (as the control table's).
 *  - Control: the scenario's control table first, matched in order on bmRequestType, bRequest
 *    and, when the entry gives them, wValue and wIndex: reply (IN: the bytes, cut to wLength as
 *    USB does; OUT: accepted, a data stage counted), stall, or action start/stop (accepted, no
 *    data). Then the standard requests: GET_DESCRIPTOR (device, configuration, string, device
 *    qualifier), SET_CONFIGURATION, GET_CONFIGURATION, SET_INTERFACE (to an interface number and
 *    alternate setting the configuration lists; it remembers it for GET_INTERFACE), GET_INTERFACE,
 *    GET_STATUS, CLEAR_FEATURE(ENDPOINT_HALT) (SET_CONFIGURATION and SET_INTERFACE also clear a
 *    halt). Anything else, any other request with an OUT data stage, and every request while the
 *    device is absent is answered with a stall, never an error of the model.
 *  - Actions: start sets t0 = now if the stream has not started (with device.start: on_request
 *    IN requests answer NAK until then; with immediate, the first IN request after
 *    SET_CONFIGURATION starts it as below). stop: the device keeps its timeline but stops
 *    producing: every sample due while stopped is dropped at the device (logged dropped/stall,
 *    counted in stats.dropped[SCHED_DROP_STALL]: a verifier accounts it as a device loss); what is
 *    already in the FIFO is still sent; the next packet after a start carries PKT_F_AFTER_GAP.
 *  - Runtime follows sched_build()'s plan in real time. Every call takes `now` (CLOCK_MONOTONIC ns,
 *    or a fake clock in tests); the module never reads a clock itself. t0 = the first IN request
 *    after SET_CONFIGURATION (or the start action, above); sample k is built (produce_ns = the `now` at which the model first
 *    sees it due) at t0 + due_ns and enters the device FIFO; a full FIFO drops the newest (fate
 *    dropped/fifo). An IN request takes the oldest FIFO packet (READY) or waits (NAK); it gets
 *    STALL while the device is unconfigured or absent, and OVERFLOW when the buffer is smaller
 *    than a packet (the packet stays in the FIFO).
 *    Stall windows gate the endpoint (hold: packets wait; drop: packets made inside are lost).
 *    Halt windows halt the endpoint at their start: IN answers STALL until the window has ended
 *    AND the host has cleared the halt (a clear inside the window is accepted but changes
 *    nothing). Disconnect windows: the device is absent (usbdev_present() == 0) from start to end;
 *    the FIFO content is lost at the start (dropped/disconnect), samples due inside are lost, and
 *    the device comes back unconfigured.
 *  - framing usbsim: packets go out through pkt_encode(), packet_size bytes: dropped_before =
 *    the seq gap right before this packet, PKT_F_AFTER_GAP on the first packet after a window,
 *    a bad CRC for the plan's corrupt samples (PKT_F_CORRUPT stays in the device log only).
 *  - framing raw: a packet is sched_payload()'s bytes for its seq, as long as that says (a
 *    generator's packet_size, or the recorded packet's length: it may be shorter than the
 *    endpoint's max packet, which ends the transfer, or for bulk longer, still one transfer);
 *    a corrupt sample goes out with every byte XOR USBDEV_RAW_CORRUPT (a receiver sees it
 *    differ from the expected bytes; a zero-length packet has no byte to change). Nothing else
 *    is added: the seq, flags and times are in the device log only (usbdev_last_sent() says
 *    which seq a READY answer carried). OVERFLOW when the buffer is smaller than that packet.
 *    The descriptors are the same as with usbsim framing (wMaxPacketSize from packet_size or
 *    the interfaces).
 *  - The log (usbdev_write_log) is sim/logfmt.h's device log: the header
 *        seq,due_ns,produce_ns,fate,drop,flags
 *    then one row per planned seq that was produced or dropped (a sample never reached because
 *    the device stopped first has no row). due_ns = t0 + planned due (absolute CLOCK_MONOTONIC;
 *    the planned offset when never started), produce_ns = when it was built (0 if never),
 *    fate = sent|held (sent, after waiting in a gate as planned)|dropped, drop = none (exactly
 *    when not dropped)|stall|fifo|disconnect|end (built, still in the FIFO or in flight when the
 *    device stopped), flags = PKT_F_* bits in decimal. usbdev_fate_of() / usbdev_fate_name()
 *    give the model's own fates: unproduced, unsent (in the FIFO), sent, dropped.
 * Prefix: usbdev_ (not udev_: libudev, which libusb loads, owns that prefix).
 */
#ifndef USBSIM_SIM_USB_DEVICE_H
#define USBSIM_SIM_USB_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/scenario.h"
#include "sim/schedule.h"

#define USBDEV_EP_IN 0x81
#define USBDEV_EP0_SIZE 64
#define USBDEV_NEVER INT64_MAX
#define USBDEV_RAW_CORRUPT 0xA5 /* framing raw: a corrupt packet's bytes are each XOR this */

struct usbdev;

enum usbdev_in { USBDEV_IN_READY, USBDEV_IN_NAK, USBDEV_IN_STALL, USBDEV_IN_OVERFLOW };
enum usbdev_ctrl { USBDEV_CTRL_OK, USBDEV_CTRL_STALL };
enum usbdev_fate { USBDEV_FATE_UNPRODUCED, USBDEV_FATE_QUEUED, USBDEV_FATE_SENT, USBDEV_FATE_DROPPED,
                   USBDEV_FATE_COUNT };

struct usbdev_stats {
    uint64_t produced, sent, in_fifo, fifo_max;
    uint64_t dropped[SCHED_DROP_COUNT]; /* by enum sched_drop */
    uint64_t stalls_answered, halts_cleared, ctrl_stalls, disconnects;
    uint64_t ctrl_table, actions;       /* control-table matches, start/stop actions done */
    uint64_t out_transfers, out_bytes;  /* data the host sent (OUT endpoints, control OUT stages) */
    uint64_t out_log_dropped;           /* OUT transfers past USBDEV_OUT_LOG_MAX: not logged */
};

/* An IN endpoint other than the stream endpoint. produced: its own stream's or the recording's
 * samples that came due; replies: on_data replies queued for it; every produced sample and
 * reply is sent, in_fifo, or dropped (fifo: its FIFO was full; disconnect; end: a transport
 * had taken it and the host never read it, usbdev_ep_lost_in_flight). */
struct usbdev_ep_stats {
    uint8_t address;
    uint64_t produced, replies, sent, in_fifo, dropped_fifo, dropped_disconnect, dropped_end;
};

#define USBDEV_OUT_LOG_MAX 65536u /* OUT transfers logged (the rest counted: out_log_dropped) */
#define USBDEV_OUT_LOG_BYTES 64   /* bytes of each logged */

enum usbdev_ep_kind { USBDEV_EPK_NONE, USBDEV_EPK_STREAM, USBDEV_EPK_IDLE_IN, USBDEV_EPK_OUT };

/* Builds the schedule of sc; NULL with a message in err. */
struct usbdev *usbdev_new(const struct scn_scenario *sc, char err[SCN_ERR_MAX]);
void usbdev_free(struct usbdev *u);

/* The USB/IP device record needs these. */
uint16_t usbdev_vid(const struct usbdev *u);
uint16_t usbdev_pid(const struct usbdev *u);
uint16_t usbdev_bcd_device(const struct usbdev *u);
uint32_t usbdev_packet_size(const struct usbdev *u);
/* The scenario the device was built from (its identity and interfaces, for the transports). */
const struct scn_scenario *usbdev_scenario(const struct usbdev *u);
/* The IN endpoint that plays the stream (0x81 for the default interface). */
uint8_t usbdev_stream_ep(const struct usbdev *u);
int usbdev_full_speed(const struct usbdev *u);
/* What endpoint addr is: the stream's, another IN endpoint (usbdev_in_request_ep: its own
 * stream, recorded packets, replies, or NAK), an OUT endpoint (usbdev_out_transfer), or none. */
enum usbdev_ep_kind usbdev_ep_kind(const struct usbdev *u, uint8_t addr);
/* Counts len bytes the host sent to addr (out_transfers, out_bytes) and nothing else. */
void usbdev_out_data(struct usbdev *u, uint8_t addr, size_t len);
/* An OUT transfer on endpoint addr carrying len bytes (data: NULL when the transport does not
 * have them): counted as usbdev_out_data, logged (device-out.csv), then the endpoint's on_data
 * done: its reply queued on its IN endpoint, or its action (start | stop) done at now. */
void usbdev_out_transfer(struct usbdev *u, int64_t now, uint8_t addr, const uint8_t *data,
                         size_t len);

/* Copies descriptor (type, index) into buf (at most cap bytes); returns its full length, or -1
 * when the device has no such descriptor. */
int usbdev_descriptor(const struct usbdev *u, uint8_t type, uint8_t index, uint8_t *buf, size_t cap);

/* A control transfer on endpoint 0. setup = the 8 setup bytes (little-endian fields). IN data
 * (at most min(wLength, cap)) goes to in_buf, its length to *in_len; OUT data stages are not
 * supported (any request with one stalls). */
enum usbdev_ctrl usbdev_control(struct usbdev *u, int64_t now, const uint8_t setup[8], uint8_t *in_buf,
                            size_t cap, size_t *in_len);
/* The same with the OUT data stage the host sent (out_len bytes; a control-table entry accepts
 * and counts it, anything else with an OUT data stage stalls). */
enum usbdev_ctrl usbdev_control_data(struct usbdev *u, int64_t now, const uint8_t setup[8],
                                     const uint8_t *out_data, size_t out_len, uint8_t *in_buf,
                                     size_t cap, size_t *in_len);

/* Brings the model up to `now`: produces due samples, opens and closes windows. Every other
 * runtime call does this first. */
void usbdev_advance(struct usbdev *u, int64_t now);
/* An IN request on the stream endpoint with a buffer of cap bytes. READY: *len bytes in buf (one packet). */
enum usbdev_in usbdev_in_request(struct usbdev *u, int64_t now, uint8_t *buf, size_t cap, size_t *len);
/* An IN request on endpoint addr: the stream endpoint's is usbdev_in_request; another IN
 * endpoint answers READY with the oldest packet of its FIFO, NAK when it is empty, OVERFLOW when
 * cap is smaller than that packet (it stays), STALL while the device is unconfigured or absent
 * (and for an address that is no IN endpoint of the device). It never sets t0. */
enum usbdev_in usbdev_in_request_ep(struct usbdev *u, uint8_t addr, int64_t now, uint8_t *buf,
                                    size_t cap, size_t *len);
/* The counters of IN endpoint addr other than the stream endpoint (NULL for any other). */
const struct usbdev_ep_stats *usbdev_ep_stats(const struct usbdev *u, uint8_t addr);
/* With replay: the recorded packets IN endpoint addr (not the stream endpoint) plays per round;
 * 0 for any other endpoint or without replay. */
size_t usbdev_ep_recorded(const struct usbdev *u, uint8_t addr);
/* The earliest time after `now` at which the model's state changes (a sample becomes due, a
 * window opens or closes), or USBDEV_NEVER. */
int64_t usbdev_next_deadline(struct usbdev *u, int64_t now);

int usbdev_present(struct usbdev *u, int64_t now);  /* 0 inside a disconnect window */
/* A packet the transport took (sent) that the host never received, because the device went away
 * (disconnected: logged dropped/disconnect) or stopped (logged dropped/end) with it still queued,
 * e.g. a FunctionFS write that failed with ESHUTDOWN. Every loss stays accounted. */
void usbdev_lost_in_flight(struct usbdev *u, uint32_t seq, int disconnected);
/* The same for a packet of IN endpoint addr other than the stream endpoint (usbdev_in_request_ep
 * answered READY, the host never read it): one of its usbdev_ep_stats sent becomes
 * dropped_disconnect (disconnected) or dropped_end. Nothing for any other address or when
 * nothing was sent. */
void usbdev_ep_lost_in_flight(struct usbdev *u, uint8_t addr, int disconnected);
int usbdev_configured(const struct usbdev *u);
int usbdev_started(const struct usbdev *u);          /* t0 is set */
/* The seq of the packet the last READY answer carried (-1 before the first): with framing raw
 * the packet's bytes do not say it. */
int64_t usbdev_last_sent(const struct usbdev *u);
/* device.timing is precise: the transport spins the last stretch before each deadline (sim/deadline.h). */
int usbdev_precise(const struct usbdev *u);
/* The host went away (bus reset): back to unconfigured; the FIFO is kept. */
void usbdev_host_reset(struct usbdev *u);
/* Absolute end of the planned timeline (t0 + duration), USBDEV_NEVER before t0. */
int64_t usbdev_end_time(const struct usbdev *u);
/* 1 when every sample of the stream has been built and its FIFO is empty (the other IN
 * endpoints do not count). */
int usbdev_drained(struct usbdev *u, int64_t now);

const struct usbdev_stats *usbdev_stats(const struct usbdev *u);
const struct sched *usbdev_sched(const struct usbdev *u);
enum usbdev_fate usbdev_fate_of(const struct usbdev *u, uint32_t seq, uint8_t *drop, uint16_t *flags);
int usbdev_write_log(const struct usbdev *u, FILE *f);
/* Writes the log to path (created or truncated); 0 or -1 with errno set. */
int usbdev_save_log(const struct usbdev *u, const char *path);
/* The OUT log: the header t_ns,endpoint,len,bytes_hex then one row per OUT transfer in the
 * order received (t_ns: the `now` it came at; endpoint 0x0N; len: its bytes; bytes_hex: its
 * first USBDEV_OUT_LOG_BYTES bytes as lowercase hex pairs, empty when the transport did not
 * have them). usbdev_save_out_log writes it next to the device log at log_path, named by
 * usbdev_out_log_path (".csv" replaced by "-out.csv": device.csv -> device-out.csv). */
int usbdev_write_out_log(const struct usbdev *u, FILE *f);
void usbdev_out_log_path(const char *log_path, char *out, size_t cap);
int usbdev_save_out_log(const struct usbdev *u, const char *log_path);
const char *usbdev_fate_name(enum usbdev_fate f);

#endif

/* src_usbip — the USB/IP client source: imports a device from a USB/IP server over TCP.
 *
 * Contract (plus everything source.h promises):
 *  - open checks, with OP_REQ_DEVLIST, that the server answers and exports the bus id; run
 *    imports it (OP_REQ_IMPORT) and enumerates it as Linux does, one request at a time:
 *    GET_DESCRIPTOR device (18 bytes), configuration 0 (9 bytes, then wTotalLength), and when the
 *    device descriptor names strings, string 0 (the language list, 255 bytes) and each string
 *    named (iManufacturer, iProduct, iSerialNumber; each index once, 255 bytes) in the first
 *    language; then SET_CONFIGURATION with the configuration's bConfigurationValue, and keeps
 *    `inflight` CMD_SUBMITs queued on endpoint 1 IN (a capture of the session thus holds the
 *    device's enumeration); a -EPIPE answer halts reading until every queued request has come
 *    back, then CLEAR_FEATURE(ENDPOINT_HALT) is sent (again after a growing pause, 1..64 ms,
 *    while the device keeps stalling) and reading resumes; a closed connection or a refused import is
 *    retried with backoff (reconnect_min..max, doubling) until give_up_ns has passed without
 *    success; on stop every queued request gets a CMD_UNLINK and the answers are awaited
 *    (cancel_wait_ns at most).
 *  - Every wait is bounded: the import reply, and the answer to each GET_DESCRIPTOR,
 *    SET_CONFIGURATION or CLEAR_FEATURE, must come within 2 s (else an SRC_EV_ERROR event naming
 *    what was not answered, and the connection is dropped and retried as above); the device list
 *    at open within 2 s; IN requests wait for the device as long as it takes.
 *  - Every reply is validated (srcu_session_input): header fields, a sequence number that matches
 *    a request in flight, lengths within what was asked; each descriptor's length, bLength and
 *    type, a configuration's wTotalLength (at least its bLength, and the second read exactly that
 *    long), a bConfigurationValue other than 0, a string's even bLength. A stalled device or
 *    configuration descriptor is an error; a stalled language list or string is skipped (a
 *    stalled language list: no string is read). A bad reply drops the connection with
 *    an SRC_EV_ERROR event naming the reason, then the source reconnects.
 * Prefix: srcu_.
 */
#ifndef USBSIM_DRIVER_SRC_USBIP_H
#define USBSIM_DRIVER_SRC_USBIP_H

#include <stddef.h>
#include <stdint.h>

#include "driver/source.h"

extern const struct src_ops srcu_ops;

struct srcu;

/* A client with no socket whose import request is on its way (tests, fuzzer): feed it server
 * bytes; what it would send is discarded. */
struct srcu *srcu_session_new(const struct src_config *cfg);
/* 0 = fine, -1 = the server broke the protocol (srcu_reason says how). */
int srcu_session_input(struct srcu *c, const uint8_t *data, size_t n, int64_t now,
                       const struct src_sink *sink);
const char *srcu_reason(const struct srcu *c);
void srcu_session_free(struct srcu *c);

#endif

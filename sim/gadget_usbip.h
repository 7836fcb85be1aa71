/* gadget_usbip — the USB/IP backend of `usbsim gadget` (gadget.h's ops table over
 * usbip_server.h).
 *
 * Contract: gadget_usbip_backend honours --listen, --pcap and the ready descriptor (its TCP
 * port). check_env: always 0 (USB/IP on loopback needs no privilege; an address in use is found
 * by open). open: listens on opts->listen (default USRV_DEFAULT_LISTEN; port 0 = any), returns
 * XC_USAGE for a bad address and XC_ENV when it cannot listen; does not wait for a peer.
 * serve: the server's poll loop (usrv_run), blocks until the timeline is over and drained (plus
 * opts->grace_ns), a stop flag or a signal in the wait mask; XC_ENV when the loop fails.
 * close: stops listening, drops every peer (their queued requests complete with -ESHUTDOWN in
 * the capture).
 * Prefix: gadget_usbip_.
 */
#ifndef USBSIM_SIM_GADGET_USBIP_H
#define USBSIM_SIM_GADGET_USBIP_H

#include "sim/gadget.h"

extern const struct gadget_backend gadget_usbip_backend;

#endif

/* gadget_ffs — the emulated device as a Linux FunctionFS gadget (dummy_hcd or a real UDC).
 *
 * Contract:
 *  - ffs_backend is gadget.h's ops table for this backend; it honours --udc only. open builds the
 *    gadget in configfs (sim/ffs_configfs.h: VID/PID, strings, one configuration, one FunctionFS
 *    function), mounts functionfs on a fresh directory under /tmp, writes full- and high-speed
 *    descriptors (v2 format) and one string to ep0, opens the endpoint files, then binds the
 *    UDC (opts->udc, default "dummy_udc.0"). In that order: the kernel refuses a bind before the
 *    descriptors are written. It does not wait for the host.
 *  - A scenario with interfaces of its own (device.interfaces): the model's configuration body
 *    (interfaces, class descriptors, endpoints) is written as the one speed's descriptor set
 *    (high, or full with max_speed full-speed in configfs), with FUNCTIONFS_ALL_CTRL_RECIP so
 *    device-recipient vendor/class requests reach the gadget; the strings are the interfaces'
 *    names. FunctionFS accepts interface, endpoint, HID (0x21, in a HID-class interface) and a
 *    few other class descriptors; a descriptor it refuses fails open with a message. The UDC
 *    picks the bus endpoint addresses (dummy_hcd: the first IN 0x81, the first OUT 0x02, ...);
 *    the stream plays on the file of the stream endpoint; every other IN endpoint file is written
 *    as below; every OUT endpoint file is read with AIO (2 reads in flight each). The
 *    device-level identity (class, bcdUSB, strings, config attributes and power) goes to
 *    configfs; the composite layer sets bMaxPacketSize0 and iConfiguration itself. ep0 SETUP
 *    events go to usbdev_control_data() (an endpoint-recipient wIndex mapped back to the
 *    scenario's address).
 *  - The device's behaviour is usb_device.h's model (usbdev_), driven in real time: ENABLE is the
 *    host's SET_CONFIGURATION, DISABLE a bus reset; the model's packets are written to the IN
 *    endpoint with AIO (sim/ffs_aio.h), at most 8 queued in the kernel (a request completes
 *    when the host has read it), so the model keeps producing into its FIFO while the host does not read; those 8
 *    count as sent and add to the FIFO's depth. Before the first packet the device sends two
 *    zero-length packets: their completion is the host's first IN requests, which starts the
 *    timeline (t0), as on the USB/IP backend (two, because dummy_hcd completes a short IN request
 *    at once when its queue is empty). A host driver must ignore zero-length packets.
 *  - Endpoints: the stream endpoint's packets are written as above; an OUT endpoint's transfers
 *    are read (AIO) and go to usbdev_out_transfer with their bytes (counted, logged, its on_data
 *    done: a reply queued on its IN endpoint, or an action). Every other IN endpoint plays what
 *    the model has for it (usbdev_in_request_ep: its own `stream:`, a replay's packets of its
 *    address, on_data replies), written with AIO as soon as the model has it, at most 8 queued
 *    in the kernel per endpoint (counted as sent; the rest wait in its FIFO); the loop wakes at
 *    the model's next due time (usbdev_next_deadline covers them). No ZLPs, halt or stall
 *    there: those are the stream endpoint's. A write the host never read (the host or the
 *    device went away) is lost at the device (usbdev_ep_lost_in_flight) and counted on stderr
 *    at close, one line per endpoint (unless quiet).
 *  - Halt windows: the IN endpoint is halted (a read() on the IN file) at the window's start; the
 *    host sees STALL and must clear it. The host's clear is invisible to a FunctionFS gadget, so the
 *    model is told "cleared" when the window ends; the next packet then waits in the kernel until
 *    the host has cleared the halt and reads.
 *  - Disconnect windows: the UDC is unbound at the start and bound again at the end; the host
 *    re-enumerates. A packet the host had not read when the device went away is lost and reported
 *    on stderr (the model counts it as sent).
 *  - serve runs until the timeline is over and the FIFO is drained (plus opts->grace_ns at most,
 *    default 2 s, when the host stops reading), or until a stop flag is set or a signal lands in
 *    the wait. close removes the gadget on every path (unbind, close, unmount, rmdir); gadget.c
 *    then writes the device log.
 *  - check_env (ffs_check_env) returns 3 when the environment cannot run it (not root, no
 *    configfs gadget support, no such UDC, no functionfs) with one line that says what is
 *    missing and how to get it; open returns 3 when the kernel refuses a step.
 *  - Never leaves the gadget behind on a path it controls; a gadget left by a killed process
 *    (SIGKILL) is named usbsim-PID and can be removed by hand.
 * Prefix: ffs_.
 */
#ifndef USBSIM_SIM_GADGET_FFS_H
#define USBSIM_SIM_GADGET_FFS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/gadget.h"
#include "sim/scenario.h"

#define FFS_DEFAULT_UDC "dummy_udc.0"

extern const struct gadget_backend ffs_backend;

/* 0 when this machine can run the gadget on udc (NULL = default); else 3 and one line in err
 * saying what is missing. */
int ffs_check_env(const char *udc, char *err, size_t cap);

/* The FunctionFS descriptor block (v2: header, full-speed then high-speed interface + IN
 * endpoint) written to ep0 for sc; its length, or -1 with a message in err. Full speed caps the
 * endpoint at 64 bytes (bulk 64; interrupt min(packet_size, 64), bInterval in ms); high speed is
 * the model's own configuration. */
int ffs_descriptors(const struct scn_scenario *sc, void *buf, size_t cap, char err[SCN_ERR_MAX]);

#endif

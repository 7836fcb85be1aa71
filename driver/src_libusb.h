/* src_libusb — the libusb-1.0 source: real devices, FunctionFS gadgets on dummy_hcd, and devices
 * attached through the kernel's vhci-hcd.
 *
 * Contract (plus everything source.h promises):
 *  - open finds the device by VID:PID (and bus/address when non-zero), opens it, selects
 *    configuration 1, claims interface 0 (detaching a kernel driver) and reads endpoint 0x81's
 *    type (interrupt or bulk); with no such device it fails with a message listing what it saw.
 *  - run keeps `inflight` asynchronous transfers on 0x81 and drives libusb's events itself;
 *    LIBUSB_TRANSFER_STALL: once every transfer is back, libusb_clear_halt() and resubmit;
 *    LIBUSB_TRANSFER_NO_DEVICE: close, then rescan with a fresh libusb context and backoff
 *    until the device is back or give_up_ns has passed; stop: libusb_cancel_transfer() on each
 *    and wait (bounded) for their callbacks.
 * Prefix: srcl_.
 */
#ifndef USBSIM_DRIVER_SRC_LIBUSB_H
#define USBSIM_DRIVER_SRC_LIBUSB_H

#include "driver/source.h"

extern const struct src_ops srcl_ops;

#endif

#!/usr/bin/env python3
"""recv_pyusb - a receiver of the emulated device in Python with pyusb (Debian: python3-usb),
written as for the physical one: IN endpoint 0x81 of interface 0. It clears a halted endpoint,
finds the device again after a disconnect, skips zero-length packets, rejects a packet whose
CRC-32 (its last 4 bytes, over the rest) is wrong, and writes the receive
log usbsim judges (docs/trace-format.md: seq,recv_ns) when USBSIM_TRACE names a file. Ends on
SIGTERM.
    usbsim run scenarios/steady.yaml --exec 'python3 examples/recv_pyusb.py'
--size N: the device's packet size, what one transfer asks for (default 112; a receiver knows
its device's). --raw: the device's packets are raw bytes (framing: raw, a replayed recording):
nothing is checked and no receive log is written (usbsim judges them from what the host's USB
stack completed, by place and content).
"""
import errno
import os
import signal
import sys
import time
import zlib

import usb.backend.libusb1
import usb.core
import usb.util

stop = False


def on_term(_sig, _frame):
    global stop
    stop = True


def fresh_backend():
    """A new libusb context: without udev, a context may not see a device that came back (a
    disconnect). pyusb keeps one context; its _LibUSB class makes another on the same library."""
    usb.backend.libusb1.get_backend()
    return usb.backend.libusb1._LibUSB(usb.backend.libusb1._lib)


def main():
    vid, pid = (int(x, 16) for x in os.environ["USBSIM_DEVICE"].split(":"))
    # one packet, no more (more would babble or merge packets)
    size = int(sys.argv[sys.argv.index("--size") + 1]) if "--size" in sys.argv else 112
    raw = "--raw" in sys.argv
    path = None if raw else os.environ.get("USBSIM_TRACE")
    trace = open(path, "w", buffering=1 << 16) if path else None
    if trace:
        trace.write("seq,recv_ns\n")
    signal.signal(signal.SIGTERM, on_term)
    dev, got, halts, reopens = None, 0, 0, 0
    while not stop:
        if dev is None:
            dev = usb.core.find(idVendor=vid, idProduct=pid, backend=fresh_backend())
            if dev is None:
                time.sleep(0.02)
                continue
            try:
                usb.util.claim_interface(dev, 0)

            except usb.core.USBError:
                usb.util.dispose_resources(dev)
                dev = None
                time.sleep(0.02)
                continue
        try:
            data = dev.read(0x81, size, timeout=200)
        except usb.core.USBTimeoutError:
            continue
        except usb.core.USBError as e:
            if e.errno == errno.EPIPE:  # the endpoint halted: clear it, read on
                halts += 1
                dev.clear_halt(0x81)
            else:  # gone (disconnect): find it again
                usb.util.dispose_resources(dev)
                dev, reopens = None, reopens + 1
            continue
        if len(data) == 0:
            continue  # a zero-length packet
        if raw:
            got += 1
            continue
        if len(data) < 8:
            continue  # too short for usbsim's header
        pkt = bytes(data)
        if zlib.crc32(pkt[:-4]) != int.from_bytes(pkt[-4:], "little"):
            continue  # corrupted: rejected
        seq = int.from_bytes(bytes(data[4:8]), "little")
        if trace:
            trace.write(f"{seq},{time.monotonic_ns()}\n")
        got += 1
    if trace:
        trace.close()
    print(f"recv_pyusb: {got} packets, {halts} halts cleared, {reopens} reopens", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

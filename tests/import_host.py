#!/usr/bin/env python3
"""A USB/IP host that enumerates a device the way Linux does, for tests/import.sh.

Connects to a USB/IP server (usbsim gadget --backend usbip), imports bus id 1-1, reads the
device descriptor, the configuration descriptor (9 bytes, then wTotalLength), the language
list and every string the device and configuration descriptors name, sets configuration 1, then keeps 4 IN
requests queued on endpoint EP (default 0x81) until the server ends the connection or COUNT
packets came (a zero-length packet counts). Prints what it read, one line each:
  device HEX / config HEX / string INDEX HEX / packet HEX T_NS
(a packet's HEX is "-" when it is empty; T_NS: when it arrived, CLOCK_MONOTONIC ns).
Usage: import_host.py HOST PORT COUNT [EP]
"""
import socket
import struct
import sys
import time


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ep = int(sys.argv[4], 0) & 0x0f if len(sys.argv) > 4 else 1
    for attempt in range(100):  # the server may still be starting
        try:
            s = socket.create_connection((host, port), timeout=20)
            break
        except ConnectionRefusedError:
            if attempt == 99:
                raise
            time.sleep(0.05)
    s.sendall(struct.pack(">HHI", 0x0111, 0x8003, 0) + b"1-1".ljust(32, b"\0"))
    _, code, status = struct.unpack(">HHI", recv_exact(s, 8))
    if code != 0x0003 or status != 0:
        sys.exit("import refused")
    dev = recv_exact(s, 312)
    busnum, devnum = struct.unpack(">II", dev[288:296])
    devid = busnum << 16 | devnum
    seq = [0]
    dirs = {}  # a RET_SUBMIT's direction field is 0: the request's is kept here

    def submit(direction, ep, length, setup=b"\0" * 8):
        seq[0] += 1
        dirs[seq[0]] = direction
        s.sendall(struct.pack(">IIIIIIIIII", 1, seq[0], devid, direction, ep, 0, length, 0, 0, 0)
                  + setup)
        return seq[0]

    def answer():
        h = recv_exact(s, 48)
        _, sq, _, _, _, st, actual = struct.unpack(">IIIIIiI", h[:28])
        data = recv_exact(s, actual) if dirs.pop(sq, 0) == 1 and actual else b""
        return sq, st, data

    def control(rt, req, value, index, length):
        submit(1 if rt & 0x80 else 0, 0, length, struct.pack("<BBHHH", rt, req, value, index, length))
        _, st, data = answer()
        return st, data

    _, d = control(0x80, 6, 0x0100, 0, 18)
    print("device", d.hex())
    _, c9 = control(0x80, 6, 0x0200, 0, 9)
    total = struct.unpack("<H", c9[2:4])[0]
    _, cfg = control(0x80, 6, 0x0200, 0, total)
    print("config", cfg.hex())
    st, langs = control(0x80, 6, 0x0300, 0, 255)
    names = {d[14], d[15], d[16], cfg[6]}  # and every interface's iInterface
    o = 0
    while o + 2 <= len(cfg) and cfg[o] >= 2:
        if cfg[o + 1] == 4 and cfg[o] >= 9:
            names.add(cfg[o + 8])
        o += cfg[o]
    for i in sorted(names - {0}):
        st, sd = control(0x80, 6, 0x0300 | i, 0x0409, 255)
        if st == 0:
            print("string", i, sd.hex())
    control(0x00, 9, 1, 0, 0)
    got, queued = 0, 0
    try:
        while got < count:
            while queued < 4:
                submit(1, ep, 1024)
                queued += 1
            _, st, data = answer()
            queued -= 1
            if st == 0:
                print("packet", data.hex() or "-", time.monotonic_ns())
                got += 1
    except (EOFError, ConnectionResetError, socket.timeout):
        pass
    s.close()


main()

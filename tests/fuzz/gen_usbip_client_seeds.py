#!/usr/bin/env python3
"""Writes the seed corpora of the USB/IP client's fuzz targets: what a server answers to the
client's requests, in the order the client sends them (import, the enumeration: device,
configuration head and whole, language list, each named string, then SET_CONFIGURATION, then
IN requests), with the client's sequence numbers (1 for its first request, counting on across
reconnects).

  tests/fuzz/corpus/fuzz_usbip_client/      the server's bytes, one stream (a session)
  tests/fuzz/corpus/fuzz_usbip_client_net/  records [flags][length hi][length lo][bytes] (see
                                            tests/fuzz/fuzz_usbip_client_net.c); flags 2: wait
                                            for the client's request first, 1: close after, 4: reset

Usage: tests/fuzz/gen_usbip_client_seeds.py   (from the repository's top; rewrites the seeds)
"""
import os
import struct

EPIPE, ECONNRESET = 32, 104

# usbsim's vendor device: strings 1, 2, 3 named; configuration 1, interface 0, endpoint 0x81.
DEVICE = struct.pack('<BBHBBBBHHHBBBB', 18, 1, 0x0200, 0, 0, 0, 64, 0x1209, 0x0001, 0x0100,
                     1, 2, 3, 1)
CONFIG = (struct.pack('<BBHBBBBB', 9, 2, 25, 1, 1, 0, 0x80, 50)
          + struct.pack('<BBBBBBBBB', 9, 4, 0, 0, 1, 0xff, 0, 0, 0)
          + struct.pack('<BBBBHB', 7, 5, 0x81, 3, 112, 5))
LANGS = bytes([4, 3, 0x09, 0x04])


def string(text):
    b = text.encode('utf-16-le')
    return bytes([2 + len(b), 3]) + b


STRINGS = [string('usbsim'), string('usbsim steady'), string('0000000000000001')]
PACKET = bytes(range(112))


def device_record():
    path = b'/sys/devices/usbsim/1-1'.ljust(256, b'\0')
    busid = b'1-1'.ljust(32, b'\0')
    return path + busid + struct.pack('>IIIHHHBBBBBB', 1, 2, 3, 0x1209, 0x0001, 0x0100,
                                      0, 0, 0, 1, 1, 1)


def op(code, status):
    return struct.pack('>HHI', 0x0111, code, status)


DEVLIST = op(0x0005, 0) + struct.pack('>I', 1) + device_record() + bytes([0xff, 0, 0, 0])
IMPORT_OK = op(0x0003, 0) + device_record()


def ret_submit(seq, status=0, data=b''):
    return struct.pack('>IIIIIiiiii', 3, seq, 0, 0, 0, -status if status else 0, len(data),
                       0, 0, 0) + bytes(8) + data


def ret_unlink(seq, status):
    return struct.pack('>IIIIIi', 4, seq, 0, 0, 0, -status if status else 0) + bytes(24)


def enumeration(first=1):
    """The answers to the enumeration and to SET_CONFIGURATION; the next sequence number."""
    answers = [DEVICE, CONFIG[:9], CONFIG, LANGS] + STRINGS
    out = [ret_submit(first + i, 0, a) for i, a in enumerate(answers)]
    out.append(ret_submit(first + len(answers)))  # SET_CONFIGURATION
    return out, first + len(answers) + 1


def record(flags, data):
    return bytes([flags, len(data) >> 8, len(data) & 0xff]) + data


def write(target, name, data):
    d = os.path.join('tests/fuzz/corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def main():
    enum, s = enumeration()
    # ---- the session target: one stream of server bytes ----
    write('fuzz_usbip_client', 'refused', op(0x0003, 1))
    write('fuzz_usbip_client', 'run', IMPORT_OK + b''.join(enum) + ret_submit(s, 0, PACKET)
          + ret_submit(s + 1, 0, PACKET[:40]) + ret_submit(s + 2, EPIPE) + ret_submit(s + 3, EPIPE))
    write('fuzz_usbip_client', 'halt_clear', IMPORT_OK + b''.join(enum)
          + b''.join(ret_submit(s + i, EPIPE) for i in range(4)) + ret_submit(s + 4)
          + ret_submit(s + 5, 0, PACKET))
    write('fuzz_usbip_client', 'unlink', IMPORT_OK + b''.join(enum)
          + ret_unlink(s + 4, ECONNRESET) + ret_unlink(s + 5, 0))
    # strings named, the language list stalled: no string read, SET_CONFIGURATION is request 5
    write('fuzz_usbip_client', 'langs_stalled', IMPORT_OK + ret_submit(1, 0, DEVICE)
          + ret_submit(2, 0, CONFIG[:9]) + ret_submit(3, 0, CONFIG) + ret_submit(4, EPIPE)
          + ret_submit(5) + ret_submit(6, 0, PACKET))
    # ---- the network target: records, each after the client's request ----
    head = record(3, DEVLIST) + record(2, IMPORT_OK)
    steps = b''.join(record(2, a) for a in enum)
    write('fuzz_usbip_client_net', 'session', head + steps
          + record(2, b''.join(ret_submit(s + i, 0, PACKET) for i in range(4))))
    write('fuzz_usbip_client_net', 'halt_clear', head + steps
          + record(2, b''.join(ret_submit(s + i, EPIPE) for i in range(4)))
          + record(2, ret_submit(s + 4)) + record(2, ret_submit(s + 5, 0, PACKET)))
    write('fuzz_usbip_client_net', 'refused_then_reset', record(3, DEVLIST)
          + record(3, op(0x0003, 2)) + record(2, IMPORT_OK) + steps
          + record(5, ret_submit(s, 0, PACKET)))
    # a string stalled (skipped), then the stream
    stalled = [ret_submit(1, 0, DEVICE), ret_submit(2, 0, CONFIG[:9]), ret_submit(3, 0, CONFIG),
               ret_submit(4, 0, LANGS), ret_submit(5, 0, STRINGS[0]), ret_submit(6, EPIPE),
               ret_submit(7, 0, STRINGS[2]), ret_submit(8)]
    write('fuzz_usbip_client_net', 'string_stalled', head
          + b''.join(record(2, a) for a in stalled) + record(2, ret_submit(9, 0, PACKET)))


main()

/* recv_libusb — a receiver of the emulated device written as for the physical one: libusb-1.0,
 * interface 0, IN endpoint 0x81. It clears a halted endpoint, reopens the device after a
 * disconnect, skips zero-length packets, rejects a packet whose CRC-32 (its last 4 bytes, over
 * the rest) is wrong, and writes the receive log usbsim judges
 * (docs/trace-format.md: seq,recv_ns) when USBSIM_TRACE names a file. Ends on SIGTERM.
 * The loop is recv_loop.h's (shared with recv_vendor_start.c).
 *   cc -o recv_libusb recv_libusb.c $(pkg-config --cflags --libs libusb-1.0 zlib)
 *   usbsim run scenarios/steady.yaml --exec ./recv_libusb
 * --size N: the device's packet size, what one transfer asks for (default 112; a receiver knows
 * its device's); --pause-ms MS stops reading for MS once, after 100 packets: a receiver with a
 * hiccup of its own (the device's FIFO then overflows and usbsim places the loss there). */
#include "recv_loop.h"

int main(int argc, char **argv)
{
    struct recv_opts o = {.name = "recv_libusb", .size = 112};
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--pause-ms") == 0)
            o.pause_ms = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--size") == 0)
            o.size = atol(argv[i + 1]);
    if (o.size < 8 || o.size > 1024)
        return fprintf(stderr, "recv_libusb: --size takes 8 to 1024\n"), 2;
    const char *dev = getenv("USBSIM_DEVICE");
    if (!dev || sscanf(dev, "%x:%x", &o.vid, &o.pid) != 2)
        return fprintf(stderr, "recv_libusb: USBSIM_DEVICE (VID:PID) is not set\n"), 2;
    return recv_run(&o);
}

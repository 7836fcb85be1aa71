/* recv_vendor_start — a receiver of a device that streams only after a vendor request, as many
 * real devices do (scenarios/vendor-start.yaml): it opens the device (USBSIM_DEVICE, VID:PID, or
 * 1209:0001), claims interface 0, sends the vendor OUT request bmRequestType 0x40, bRequest 0x01,
 * wValue 1, wIndex 0, no data (START), reads the 4-byte status with 0xc0/0x02, writes a 6-byte
 * hello to its bulk OUT endpoint 0x02 (the device counts what it receives), then reads IN
 * endpoint 0x81 as recv_libusb does (recv_loop.h: halts, reopening, CRC check, the USBSIM_TRACE
 * receive log). Each reopen sends START again.
 *   cc -o recv_vendor_start recv_vendor_start.c $(pkg-config --cflags --libs libusb-1.0 zlib)
 *   usbsim run scenarios/vendor-start.yaml --exec ./recv_vendor_start
 * --size N: the device's packet size (default 64). */
#include "recv_loop.h"

#define VENDOR_OUT (LIBUSB_REQUEST_TYPE_VENDOR | LIBUSB_RECIPIENT_DEVICE | LIBUSB_ENDPOINT_OUT)
#define VENDOR_IN (LIBUSB_REQUEST_TYPE_VENDOR | LIBUSB_RECIPIENT_DEVICE | LIBUSB_ENDPOINT_IN)
#define REQ_START 0x01
#define REQ_STATUS 0x02

static int send_start(libusb_device_handle *h)
{
    int rc = libusb_control_transfer(h, VENDOR_OUT, REQ_START, 1, 0, NULL, 0, 1000);
    if (rc < 0) {
        fprintf(stderr, "recv_vendor_start: START: %s\n", libusb_error_name(rc));
        return -1;
    }
    unsigned char st[4];
    rc = libusb_control_transfer(h, VENDOR_IN, REQ_STATUS, 0, 0, st, sizeof st, 1000);
    if (rc == (int)sizeof st)
        fprintf(stderr, "recv_vendor_start: started, status %02x %02x %02x %02x\n", st[0], st[1],
                st[2], st[3]);
    unsigned char hello[6] = "usbsim";
    int n = 0;
    rc = libusb_bulk_transfer(h, 0x02, hello, sizeof hello, &n, 1000);
    fprintf(stderr, "recv_vendor_start: OUT 0x02: %s, %d bytes\n", rc ? libusb_error_name(rc) : "sent",
            n);
    return 0;
}

int main(int argc, char **argv)
{
    struct recv_opts o = {.name = "recv_vendor_start", .vid = 0x1209, .pid = 0x0001, .size = 64,
                          .on_open = send_start};
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--size") == 0)
            o.size = atol(argv[i + 1]);
    if (o.size < 8 || o.size > 1024)
        return fprintf(stderr, "recv_vendor_start: --size takes 8 to 1024\n"), 2;
    const char *dev = getenv("USBSIM_DEVICE");
    if (dev && sscanf(dev, "%x:%x", &o.vid, &o.pid) != 2)
        return fprintf(stderr, "recv_vendor_start: USBSIM_DEVICE is not VID:PID\n"), 2;
    return recv_run(&o);
}

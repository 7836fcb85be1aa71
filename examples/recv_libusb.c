/* recv_libusb — a receiver of the emulated device written as for the physical one: libusb-1.0,
 * interface 0, IN endpoint 0x81. It clears a halted endpoint, reopens the device after a
 * disconnect, skips zero-length packets, rejects a packet whose CRC-32 (its last 4 bytes, over
 * the rest) is wrong, and writes the receive log usbsim judges
 * (docs/trace-format.md: seq,recv_ns) when USBSIM_TRACE names a file. Ends on SIGTERM.
 *   cc -o recv_libusb recv_libusb.c $(pkg-config --cflags --libs libusb-1.0 zlib)
 *   usbsim run scenarios/steady.yaml --exec ./recv_libusb
 * --size N: the device's packet size, what one transfer asks for (default 112; a receiver knows
 * its device's); --pause-ms MS stops reading for MS once, after 100 packets: a receiver with a
 * hiccup of its own (the device's FIFO then overflows and usbsim places the loss there). */
#include <libusb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* A fresh context each time: without udev a context may not see a device that came back. */
static libusb_device_handle *open_dev(libusb_context **ctx, unsigned vid, unsigned pid)
{
    while (!stop) {
        if (libusb_init(ctx) == 0) {
            libusb_device_handle *h = libusb_open_device_with_vid_pid(*ctx, vid, pid);
            if (h) {
                libusb_set_auto_detach_kernel_driver(h, 1);
                if (libusb_claim_interface(h, 0) == 0)
                    return h;
                libusb_close(h);
            }
            libusb_exit(*ctx);
        }
        *ctx = NULL;
        nap_ms(20);
    }
    return NULL;
}

/* Is IN endpoint 0x81 of interface 0 a bulk endpoint (else interrupt)? */
static int is_bulk(libusb_device_handle *h)
{
    struct libusb_config_descriptor *c;
    int bulk = 0;
    if (libusb_get_active_config_descriptor(libusb_get_device(h), &c) != 0)
        return 0;
    if (c->bNumInterfaces > 0 && c->interface[0].num_altsetting > 0) {
        const struct libusb_interface_descriptor *d = &c->interface[0].altsetting[0];
        for (int i = 0; i < d->bNumEndpoints; i++)
            if (d->endpoint[i].bEndpointAddress == 0x81)
                bulk = (d->endpoint[i].bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_BULK;
    }
    libusb_free_config_descriptor(c);
    return bulk;
}

int main(int argc, char **argv)
{
    long pause_ms = 0, size = 112;
    for (int i = 1; i + 1 < argc; i += 2)
        if (strcmp(argv[i], "--pause-ms") == 0)
            pause_ms = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--size") == 0)
            size = atol(argv[i + 1]);
    if (size < 8 || size > 1024)
        return fprintf(stderr, "recv_libusb: --size takes 8 to 1024\n"), 2;
    const char *dev = getenv("USBSIM_DEVICE"), *path = getenv("USBSIM_TRACE");
    unsigned vid, pid;
    if (!dev || sscanf(dev, "%x:%x", &vid, &pid) != 2)
        return fprintf(stderr, "recv_libusb: USBSIM_DEVICE (VID:PID) is not set\n"), 2;
    struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    FILE *trace = path ? fopen(path, "w") : NULL;
    if (trace)
        fprintf(trace, "seq,recv_ns\n");
    libusb_context *ctx = NULL;
    libusb_device_handle *h = NULL;
    unsigned char buf[1024];
    int want = (int)size; /* one packet, no more (more would babble or merge packets) */
    int bulk = 0; /* the endpoint's type: bulk or interrupt */
    unsigned long long got = 0, halts = 0, reopens = 0;
    int errors = 0; /* transfer errors in a row */
    while (!stop) {
        if (!h && !(h = open_dev(&ctx, vid, pid)))
            break;
        bulk = is_bulk(h);
        int n = 0;
        int rc = bulk ? libusb_bulk_transfer(h, 0x81, buf, want, &n, 200)
                      : libusb_interrupt_transfer(h, 0x81, buf, want, &n, 200);
        if (rc == LIBUSB_ERROR_PIPE) { /* the endpoint halted: clear it, read on */
            halts++;
            libusb_clear_halt(h, 0x81);
            continue;
        }
        errors = rc != 0 && rc != LIBUSB_ERROR_TIMEOUT ? errors + 1 : 0;
        if (errors && rc != LIBUSB_ERROR_NO_DEVICE && errors < 50) {
            nap_ms(2); /* an endpoint not enabled yet, a transfer cut short: try again */
            continue;
        }
        if (errors) { /* gone (disconnect): open it again */
            if (!reopens)
                fprintf(stderr, "recv_libusb: %s: opening the device again\n",
                        libusb_error_name(rc));
            errors = 0;
            libusb_close(h);
            libusb_exit(ctx);
            h = NULL, ctx = NULL;
            reopens++;
            continue;
        }
        if (n < 8)
            continue; /* nothing, or a zero-length packet */
        unsigned crc = buf[n - 4] | buf[n - 3] << 8 | buf[n - 2] << 16 | (unsigned)buf[n - 1] << 24;
        if (crc != (unsigned)crc32(0, buf, (unsigned)n - 4))
            continue; /* corrupted: rejected */
        unsigned seq = buf[4] | buf[5] << 8 | buf[6] << 16 | (unsigned)buf[7] << 24;
        if (trace)
            fprintf(trace, "%u,%lld\n", seq, now_ns());
        if (++got == 100 && pause_ms > 0)
            nap_ms(pause_ms); /* the receiver's own hiccup */
    }
    if (h) {
        libusb_release_interface(h, 0);
        libusb_close(h);
    }
    if (ctx)
        libusb_exit(ctx);
    if (trace && fclose(trace) != 0)
        return perror("recv_libusb: trace"), 1;
    fprintf(stderr, "recv_libusb: %llu packets, %llu halts cleared, %llu reopens\n", got, halts,
            reopens);
    return 0;
}

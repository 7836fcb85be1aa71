/* recv_loop — the read loop of the libusb examples (recv_libusb.c, recv_vendor_start.c), in a
 * header so each example stays one file to compile: open the device (interface 0), read IN
 * endpoint 0x81 one packet per transfer, clear a halt, reopen after a disconnect, skip
 * zero-length packets, reject a packet whose CRC-32 (its last 4 bytes, over the rest) is wrong,
 * and write the receive log usbsim judges (docs/trace-format.md: seq,recv_ns) when USBSIM_TRACE
 * names a file. Ends on SIGTERM or SIGINT.
 * recv_run(): o->on_open (may be NULL) runs each time the device is opened, before reading (a
 * device that streams after a request of its own gets it there); nonzero: close and retry. */
#ifndef USBSIM_EXAMPLES_RECV_LOOP_H
#define USBSIM_EXAMPLES_RECV_LOOP_H

#include <libusb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

struct recv_opts {
    const char *name;  /* for messages */
    unsigned vid, pid;
    long size;         /* one transfer asks for one packet: the device's packet size */
    long pause_ms;     /* stop reading this long once, after 100 packets (0: never) */
    int (*on_open)(libusb_device_handle *h);
};

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
static libusb_device_handle *open_dev(libusb_context **ctx, const struct recv_opts *o)
{
    while (!stop) {
        if (libusb_init(ctx) == 0) {
            libusb_device_handle *h = libusb_open_device_with_vid_pid(*ctx, o->vid, o->pid);
            if (h) {
                libusb_set_auto_detach_kernel_driver(h, 1);
                if (libusb_claim_interface(h, 0) == 0) {
                    if (!o->on_open || o->on_open(h) == 0)
                        return h;
                    libusb_release_interface(h, 0);
                }
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

static int recv_run(const struct recv_opts *o)
{
    const char *path = getenv("USBSIM_TRACE");
    struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    FILE *trace = path ? fopen(path, "w") : NULL;
    if (trace)
        fprintf(trace, "seq,recv_ns\n");
    libusb_context *ctx = NULL;
    libusb_device_handle *h = NULL;
    unsigned char buf[1024];
    int want = (int)o->size; /* one packet, no more (more would babble or merge packets) */
    int bulk = 0; /* the endpoint's type: bulk or interrupt */
    unsigned long long got = 0, halts = 0, reopens = 0;
    int errors = 0; /* transfer errors in a row */
    while (!stop) {
        if (!h && !(h = open_dev(&ctx, o)))
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
                fprintf(stderr, "%s: %s: opening the device again\n", o->name,
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
        if (++got == 100 && o->pause_ms > 0)
            nap_ms(o->pause_ms); /* the receiver's own hiccup */
    }
    if (h) {
        libusb_release_interface(h, 0);
        libusb_close(h);
    }
    if (ctx)
        libusb_exit(ctx);
    if (trace && fclose(trace) != 0)
        return fprintf(stderr, "%s: trace: cannot write it\n", o->name), 1;
    fprintf(stderr, "%s: %llu packets, %llu halts cleared, %llu reopens\n", o->name, got,
            halts, reopens);
    return 0;
}

#endif

/* ep_probe — reads a device's other IN endpoints and answers through libusb-1.0 directly, for the
 * VM test of the FunctionFS gadget's endpoints (tests/vm/ffs_endpoints.sh, on
 * scenarios/status-endpoint.yaml). The endpoints are named by their place in interface 0's
 * descriptors (the UDC picks the bus addresses): the stream (read all along: it starts the
 * device's timeline), a status endpoint whose packets must be a 4-byte little-endian counter
 * 0, 1, 2, ... arriving about --period-ms apart, and an OUT endpoint whose transfer must bring
 * --reply on the reply endpoint.
 *
 *   ep_probe [--vid V] [--pid P] [--stream I] [--status I] [--out I] [--reply I] [--count N]
 *            [--period-ms MS] [--send HEX] [--want HEX] [--seconds S]
 *
 * Defaults: 0x1209:0x0001; endpoints #0 stream, #1 status, #2 reply, #3 out (status-endpoint's
 * 0x81, 0x83, 0x84, 0x02); 8 status packets, 100 ms apart; sends a5, wants 06; 15 s.
 * Prints one verdict line (ep_probe: PASS|FAIL ...); exit 0 pass, 1 fail, 2 bad usage, 3 when
 * the device could not be opened in time.
 */
#include <libusb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STATUS 64
#define STREAM_XFERS 2

struct probe {
    int count;              /* status packets wanted */
    int n_status;           /* arrived */
    int64_t st_t[MAX_STATUS];
    uint8_t st_b[MAX_STATUS][8];
    int st_len[MAX_STATUS];
    uint64_t stream_pkts, zlps;
    int reply_len, reply_done, out_done, out_status, reply_status;
    int64_t out_t, reply_t;
    uint8_t reply[64];
    int stopping, in_flight;
    char err[160];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fail_xfer(struct probe *p, const char *what, struct libusb_transfer *t)
{
    if (!p->err[0] && t->status != LIBUSB_TRANSFER_CANCELLED)
        snprintf(p->err, sizeof p->err, "%s transfer ended with status %d", what, (int)t->status);
}

static void resubmit(struct probe *p, struct libusb_transfer *t)
{
    if (!p->stopping && libusb_submit_transfer(t) == 0)
        return;
    p->in_flight--;
}

static void stream_cb(struct libusb_transfer *t)
{
    struct probe *p = t->user_data;
    if (t->status == LIBUSB_TRANSFER_COMPLETED) {
        if (t->actual_length)
            p->stream_pkts++;
        else
            p->zlps++;
    } else {
        fail_xfer(p, "a stream", t);
        p->in_flight--;
        return;
    }
    resubmit(p, t);
}

static void status_cb(struct libusb_transfer *t)
{
    struct probe *p = t->user_data;
    if (t->status != LIBUSB_TRANSFER_COMPLETED) {
        fail_xfer(p, "a status", t);
        p->in_flight--;
        return;
    }
    if (p->n_status < MAX_STATUS) {
        int i = p->n_status++;
        p->st_t[i] = now_ns();
        p->st_len[i] = t->actual_length;
        memcpy(p->st_b[i], t->buffer, t->actual_length < 8 ? (size_t)t->actual_length : 8);
    }
    if (p->n_status >= p->count) {
        p->in_flight--;
        return;
    }
    resubmit(p, t);
}

static void out_cb(struct libusb_transfer *t)
{
    struct probe *p = t->user_data;
    p->out_done = 1;
    p->out_status = t->status;
    p->out_t = now_ns();
    p->in_flight--;
}

static void reply_cb(struct libusb_transfer *t)
{
    struct probe *p = t->user_data;
    p->reply_done = 1;
    p->reply_status = t->status;
    p->reply_t = now_ns();
    p->reply_len = t->actual_length;
    memcpy(p->reply, t->buffer, (size_t)t->actual_length < sizeof p->reply ? (size_t)t->actual_length
                                                                           : sizeof p->reply);
    p->in_flight--;
}

static int hex_bytes(const char *s, uint8_t *out, int cap)
{
    int n = 0;
    while (s[0] && s[1] && n < cap) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            return -1;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return s[0] ? -1 : n;
}

static void hex_str(const uint8_t *b, int n, char *out)
{
    out[0] = 0;
    for (int i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static int usage(void)
{
    fprintf(stderr, "usage: ep_probe [--vid V] [--pid P] [--stream I] [--status I] [--out I] "
                    "[--reply I] [--count N] [--period-ms MS] [--send HEX] [--want HEX] "
                    "[--seconds S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    unsigned vid = 0x1209, pid = 0x0001;
    int ix_stream = 0, ix_status = 1, ix_reply = 2, ix_out = 3, seconds = 15;
    double period_ms = 100;
    uint8_t send[64] = {0xa5}, want[64] = {0x06};
    int n_send = 1, n_want = 1;
    static struct probe p;
    p.count = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--vid"))
            vid = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--pid"))
            pid = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--stream"))
            ix_stream = atoi(v);
        else if (!strcmp(a, "--status"))
            ix_status = atoi(v);
        else if (!strcmp(a, "--out"))
            ix_out = atoi(v);
        else if (!strcmp(a, "--reply"))
            ix_reply = atoi(v);
        else if (!strcmp(a, "--count"))
            p.count = atoi(v);
        else if (!strcmp(a, "--period-ms"))
            period_ms = atof(v);
        else if (!strcmp(a, "--seconds"))
            seconds = atoi(v);
        else if (!strcmp(a, "--send"))
            n_send = hex_bytes(v, send, sizeof send);
        else if (!strcmp(a, "--want"))
            n_want = hex_bytes(v, want, sizeof want);
        else
            return usage();
    }
    if (p.count < 3 || p.count > MAX_STATUS || period_ms <= 0 || n_send < 0 || n_want < 0 ||
        seconds < 1)
        return usage();

    /* a fresh context each try: without udev, a context does not see devices that come later */
    libusb_context *ctx = NULL;
    libusb_device_handle *h = NULL;
    int64_t deadline = now_ns() + (int64_t)seconds * 1000000000LL;
    while (now_ns() < deadline) {
        if (libusb_init(&ctx) != 0) {
            printf("ep_probe: FAIL libusb_init\n");
            return 3;
        }
        if ((h = libusb_open_device_with_vid_pid(ctx, (uint16_t)vid, (uint16_t)pid)))
            break;
        libusb_exit(ctx);
        ctx = NULL;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    if (!h) {
        printf("ep_probe: FAIL no %04x:%04x device within %d s\n", vid, pid, seconds);
        return 3;
    }
    struct libusb_config_descriptor *cfg = NULL;
    const struct libusb_interface_descriptor *id = NULL;
    if (libusb_get_active_config_descriptor(libusb_get_device(h), &cfg) == 0 &&
        cfg->bNumInterfaces > 0 && cfg->interface[0].num_altsetting > 0)
        id = &cfg->interface[0].altsetting[0];
    int ix[4] = {ix_stream, ix_status, ix_reply, ix_out};
    uint8_t ep[4];
    for (int i = 0; i < 4; i++) {
        if (!id || ix[i] < 0 || ix[i] >= id->bNumEndpoints) {
            printf("ep_probe: FAIL interface 0 has no endpoint #%d\n", ix[i]);
            return 1;
        }
        ep[i] = id->endpoint[ix[i]].bEndpointAddress;
    }
    uint16_t st_mps = id->endpoint[ix_status].wMaxPacketSize;
    uint16_t rp_mps = id->endpoint[ix_reply].wMaxPacketSize;
    libusb_free_config_descriptor(cfg);
    printf("ep_probe: bus addresses: stream 0x%02x, status 0x%02x, reply 0x%02x, out 0x%02x\n",
           ep[0], ep[1], ep[2], ep[3]);
    libusb_set_auto_detach_kernel_driver(h, 1);
    int rc = libusb_claim_interface(h, 0);
    if (rc != 0) {
        printf("ep_probe: FAIL cannot claim interface 0: %s\n", libusb_error_name(rc));
        return 1;
    }

    /* the status endpoint first, so that its first packet (due at the stream's start) finds a
     * request waiting; then the stream, which starts the timeline */
    static uint8_t sbuf[STREAM_XFERS][512], stbuf[64], rbuf[64], obuf[64];
    struct libusb_transfer *st = libusb_alloc_transfer(0), *sx[STREAM_XFERS];
    libusb_fill_interrupt_transfer(st, h, ep[1], stbuf, st_mps < sizeof stbuf ? st_mps : 64,
                                   status_cb, &p, 0);
    if (libusb_submit_transfer(st) == 0)
        p.in_flight++;
    for (int i = 0; i < STREAM_XFERS; i++) {
        sx[i] = libusb_alloc_transfer(0);
        libusb_fill_bulk_transfer(sx[i], h, ep[0], sbuf[i], sizeof sbuf[i], stream_cb, &p, 0);
        if (libusb_submit_transfer(sx[i]) == 0)
            p.in_flight++;
    }
    struct libusb_transfer *rx = libusb_alloc_transfer(0), *ox = libusb_alloc_transfer(0);
    int sent_out = 0;
    while (now_ns() < deadline && !p.err[0] && !(p.n_status >= p.count && p.reply_done)) {
        struct timeval tv = {0, 100000};
        libusb_handle_events_timeout_completed(ctx, &tv, NULL);
        if (!sent_out && p.n_status >= 3) { /* mid-stream: the reply request waits, then OUT */
            sent_out = 1;
            libusb_fill_interrupt_transfer(rx, h, ep[2], rbuf, rp_mps < sizeof rbuf ? rp_mps : 64,
                                           reply_cb, &p, 0);
            memcpy(obuf, send, (size_t)n_send);
            libusb_fill_bulk_transfer(ox, h, ep[3], obuf, n_send, out_cb, &p, 2000);
            if (libusb_submit_transfer(rx) == 0)
                p.in_flight++;
            if (libusb_submit_transfer(ox) == 0)
                p.in_flight++;
        }
    }
    /* cancel what is left and wait for it */
    p.stopping = 1;
    libusb_cancel_transfer(st);
    for (int i = 0; i < STREAM_XFERS; i++)
        libusb_cancel_transfer(sx[i]);
    if (sent_out) {
        libusb_cancel_transfer(rx);
        libusb_cancel_transfer(ox);
    }
    for (int i = 0; i < 30 && p.in_flight > 0; i++) {
        struct timeval tv = {0, 100000};
        libusb_handle_events_timeout_completed(ctx, &tv, NULL);
    }

    /* the verdict */
    char why[256] = "", line[64];
    int ok = !p.err[0];
    if (!ok)
        snprintf(why, sizeof why, "%s", p.err);
    if (ok && p.n_status < p.count) {
        ok = 0;
        snprintf(why, sizeof why, "%d of %d status packets arrived", p.n_status, p.count);
    }
    for (int i = 0; ok && i < p.n_status; i++) {
        uint8_t w[4] = {(uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), (uint8_t)(i >> 24)};
        if (p.st_len[i] != 4 || memcmp(p.st_b[i], w, 4) != 0) {
            ok = 0;
            hex_str(p.st_b[i], p.st_len[i] < 8 ? p.st_len[i] : 8, line);
            snprintf(why, sizeof why, "status packet %d is %s (%d bytes), not the counter %d", i,
                     line, p.st_len[i], i);
        }
    }
    double gmin = 1e9, gmax = 0, mean = 0;
    for (int i = 1; i < p.n_status; i++) {
        double g = (double)(p.st_t[i] - p.st_t[i - 1]) / 1e6;
        gmin = g < gmin ? g : gmin;
        gmax = g > gmax ? g : gmax;
    }
    if (p.n_status > 1)
        mean = (double)(p.st_t[p.n_status - 1] - p.st_t[0]) / 1e6 / (p.n_status - 1);
    /* about period apart: on average within 10 %, none back to back (a burst of queued
     * packets) and none more than 2.5 periods late */
    if (ok && (mean < 0.9 * period_ms || mean > 1.1 * period_ms || gmin < 0.2 * period_ms ||
               gmax > 2.5 * period_ms)) {
        ok = 0;
        snprintf(why, sizeof why, "status packets not %.0f ms apart: mean %.1f ms, min %.1f, "
                 "max %.1f", period_ms, mean, gmin, gmax);
    }
    hex_str(p.reply, p.reply_len < 16 ? p.reply_len : 16, line);
    if (ok && (!p.out_done || p.out_status != LIBUSB_TRANSFER_COMPLETED)) {
        ok = 0;
        snprintf(why, sizeof why, "the OUT transfer on 0x%02x %s", ep[3],
                 p.out_done ? "failed" : "did not complete");
    }
    if (ok && (!p.reply_done || p.reply_status != LIBUSB_TRANSFER_COMPLETED ||
               p.reply_len != n_want || memcmp(p.reply, want, (size_t)n_want) != 0)) {
        ok = 0;
        snprintf(why, sizeof why, "the reply on 0x%02x: %s%s", ep[2],
                 p.reply_done && p.reply_status == LIBUSB_TRANSFER_COMPLETED ? "got " :
                 "none arrived", p.reply_done ? line : "");
    }
    double lat = p.reply_done && p.out_done ? (double)(p.reply_t - p.out_t) / 1e6 : -1;
    if (ok && lat > 200) {
        ok = 0;
        snprintf(why, sizeof why, "the reply came %.1f ms after the OUT transfer", lat);
    }
    printf("ep_probe: %s: %d status packets on 0x%02x (counter 0..%d, %.1f ms apart: min %.1f, "
           "max %.1f), OUT on 0x%02x answered %s on 0x%02x %.1f ms later, %llu stream packets "
           "(%llu ZLPs)%s%s\n", ok ? "PASS" : "FAIL", p.n_status, ep[1], p.n_status - 1, mean,
           gmin, gmax, ep[3], p.reply_done ? line : "-", ep[2], lat,
           (unsigned long long)p.stream_pkts, (unsigned long long)p.zlps, ok ? "" : ": ", why);
    libusb_release_interface(h, 0);
    libusb_free_transfer(st);
    for (int i = 0; i < STREAM_XFERS; i++)
        libusb_free_transfer(sx[i]);
    libusb_free_transfer(rx);
    libusb_free_transfer(ox);
    libusb_close(h);
    libusb_exit(ctx);
    return ok ? 0 : 1;
}

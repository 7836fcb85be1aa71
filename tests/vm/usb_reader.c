/* usb_reader — reads the emulated device through the driver's sources (libusb or USB/IP) and
 * checks what arrives: every packet decodes with a valid CRC and payload, sequence numbers
 * strictly increase, and (with --expect N) exactly seq 0..N-1 arrive. Used by the VM tests.
 *
 *   usb_reader [--source libusb|usbip] [--vid V] [--pid P] [--port N] [--busid B] [--size S]
 *              [--seed N] [--expect N] [--seconds S] [--idle-ms MS] [--json FILE]
 *
 * Zero-length packets are not data (the FunctionFS device sends one first) and are only counted.
 * Prints one summary line; exit 0 when every check passed, 1 when one failed, 2 on bad usage,
 * 3 when the source could not be opened in time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver/source.h"
#include "sim/packet.h"

struct check {
    size_t size;
    uint64_t seed;
    uint64_t packets, zlps, crc_errors, bad, reordered, gaps, missing;
    int64_t last_seq;
    int64_t last_arrival;
    int64_t opened, first_zlp, first_pkt, lat_first;
    int64_t max_gap_ns, max_gap_at_seq; /* longest time between two arrivals, and where */
    uint64_t halts, disconnects, reconnects;
    int64_t *lat;
    size_t n_lat, cap_lat;
};

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_packet(void *ctx, const uint8_t *buf, size_t len, uint64_t ingress)
{
    struct check *c = ctx;
    int64_t gap = c->last_arrival ? (int64_t)ingress - c->last_arrival : 0;
    c->last_arrival = (int64_t)ingress;
    if (len == 0) {
        c->first_zlp = c->first_zlp ? c->first_zlp : (int64_t)ingress;
        c->zlps++;
        return;
    }
    struct pkt_fields f;
    enum pkt_status st = pkt_decode(buf, len, c->size, c->seed, 1, &f);
    c->packets++;
    if (!c->first_pkt) {
        c->first_pkt = (int64_t)ingress;
        c->lat_first = (int64_t)ingress - (int64_t)f.produce_ns;
    }
    if (st == PKT_ERR_CRC)
        c->crc_errors++;
    else if (st != PKT_OK) {
        c->bad++;
        return;
    }
    if (gap > c->max_gap_ns)
        c->max_gap_ns = gap, c->max_gap_at_seq = f.seq;
    if ((int64_t)f.seq <= c->last_seq)
        c->reordered++;
    else if ((int64_t)f.seq != c->last_seq + 1)
        c->gaps++, c->missing += (uint64_t)((int64_t)f.seq - c->last_seq - 1);
    c->last_seq = f.seq > c->last_seq ? (int64_t)f.seq : c->last_seq;
    if (c->n_lat == c->cap_lat) {
        c->cap_lat = c->cap_lat ? c->cap_lat * 2 : 1024;
        c->lat = realloc(c->lat, c->cap_lat * sizeof *c->lat);
        if (!c->lat)
            exit(3);
    }
    c->lat[c->n_lat++] = (int64_t)ingress - (int64_t)f.produce_ns;
}

static void on_event(void *ctx, enum src_event ev, const char *detail)
{
    struct check *c = ctx;
    c->halts += ev == SRC_EV_HALTED;
    c->disconnects += ev == SRC_EV_DISCONNECTED;
    c->reconnects += ev == SRC_EV_RECONNECTED;
    fprintf(stderr, "usb_reader: %s: %s\n", src_event_name(ev), detail ? detail : "");
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_us(const struct check *c, double p)
{
    if (!c->n_lat)
        return 0;
    size_t i = (size_t)(p * (double)(c->n_lat - 1) + 0.5);
    return (double)c->lat[i] / 1000.0;
}

static int report(struct check *c, long expect, const char *json)
{
    qsort(c->lat, c->n_lat, sizeof *c->lat, cmp64);
    int ok = c->bad == 0 && c->crc_errors == 0 && c->reordered == 0 && c->packets > 0;
    if (expect > 0)
        ok = ok && c->packets == (uint64_t)expect && c->gaps == 0 && c->last_seq == expect - 1;
    char line[800];
    snprintf(line, sizeof line,
             "{\"verdict\":\"%s\",\"packets\":%llu,\"expected\":%ld,\"zlps\":%llu,"
             "\"crc_errors\":%llu,\"bad\":%llu,\"reordered\":%llu,\"gaps\":%llu,\"missing\":%llu,"
             "\"last_seq\":%lld,\"halts\":%llu,\"disconnects\":%llu,\"reconnects\":%llu,"
             "\"zlp_after_open_ms\":%.1f,\"first_after_open_ms\":%.1f,\"first_latency_ms\":%.1f,"
             "\"max_gap_ms\":%.1f,\"max_gap_before_seq\":%lld,"
             "\"latency_us\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}}",
             ok ? "pass" : "fail", (unsigned long long)c->packets, expect,
             (unsigned long long)c->zlps, (unsigned long long)c->crc_errors,
             (unsigned long long)c->bad, (unsigned long long)c->reordered,
             (unsigned long long)c->gaps, (unsigned long long)c->missing, (long long)c->last_seq,
             (unsigned long long)c->halts, (unsigned long long)c->disconnects,
             (unsigned long long)c->reconnects,
             c->first_zlp ? (double)(c->first_zlp - c->opened) / 1e6 : -1.0,
             c->first_pkt ? (double)(c->first_pkt - c->opened) / 1e6 : -1.0,
             (double)c->lat_first / 1e6, (double)c->max_gap_ns / 1e6,
             (long long)c->max_gap_at_seq, pct_us(c, 0.5), pct_us(c, 0.99), pct_us(c, 1.0));
    printf("usb_reader: %s\n", line);
    FILE *f = json ? fopen(json, "w") : NULL;
    if (f) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
    return ok ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: usb_reader [--source libusb|usbip] [--vid V] [--pid P] [--port N] "
                    "[--busid B] [--size S] [--seed N] [--expect N] [--seconds S] [--idle-ms MS] "
                    "[--json FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *kind = "libusb", *json = NULL;
    struct src_config cfg = {.libusb = {.vid = 0x1209, .pid = 0x0001}};
    struct check c = {.size = 112, .seed = 1, .last_seq = -1};
    long expect = 0;
    double seconds = 30, idle_ms = 1500;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--source")) kind = v;
        else if (!strcmp(a, "--vid")) cfg.libusb.vid = (uint16_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--pid")) cfg.libusb.pid = (uint16_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--port")) cfg.usbip.port = (uint16_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--busid")) cfg.usbip.busid = v;
        else if (!strcmp(a, "--size")) c.size = strtoul(v, NULL, 0);
        else if (!strcmp(a, "--seed")) c.seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--expect")) expect = strtol(v, NULL, 0);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--idle-ms")) idle_ms = atof(v);
        else if (!strcmp(a, "--json")) json = v;
        else return usage();
    }
    /* One packet per request: a longer request on an endpoint whose wMaxPacketSize equals the
     * packet size would gather several packets and overflow. */
    cfg.max_packet = c.size;
    int64_t start = mono(), end = start + (int64_t)(seconds * 1e9);
    char err[SRC_ERR_MAX];
    struct src *s = NULL;
    while (!(s = src_open(kind, &cfg, err)) && mono() < end)
        usleep(50000); /* the device is not there yet (enumeration, usbip attach) */
    if (!s) {
        fprintf(stderr, "usb_reader: %s\n", err);
        return 3;
    }
    c.opened = mono();
    fprintf(stderr, "usb_reader: opened after %.0f ms\n", (double)(mono() - start) / 1e6);
    struct src_sink sink = {.ctx = &c, .packet = on_packet, .event = on_event};
    int64_t idle_ns = (int64_t)(idle_ms * 1e6);
    while (mono() < end) {
        if (src_run(s, &sink, 100000000LL) != 0)
            break;
        if (expect > 0 && c.packets >= (uint64_t)expect)
            break;
        if (c.packets > 0 && mono() - c.last_arrival > idle_ns)
            break;
    }
    src_close(s);
    int rc = report(&c, expect, json);
    free(c.lat);
    return rc;
}

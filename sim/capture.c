/* capture — see capture.h. */
#include "sim/capture.h"

#include "sim/clock.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cap {
    pcap_t *dead;
    pcap_dumper_t *dump;
    char path[200];
    int64_t mono_to_real; /* add to a CLOCK_MONOTONIC ns to get CLOCK_REALTIME ns */
    uint64_t count;
    uint8_t rec[CAP_HDR_SIZE + CAP_SNAPLEN];
};

struct cap *cap_open(const char *path, char err[CAP_ERR_MAX])
{
    struct cap *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, CAP_ERR_MAX, "%s: out of memory", path);
        return NULL;
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    c->mono_to_real = clk_ns(CLOCK_REALTIME) - clk_ns(CLOCK_MONOTONIC);
    c->dead = pcap_open_dead(DLT_USB_LINUX_MMAPPED, CAP_SNAPLEN);
    if (c->dead)
        c->dump = pcap_dump_open(c->dead, path);
    if (!c->dump) {
        snprintf(err, CAP_ERR_MAX, "%s: %s", path,
                 c->dead ? pcap_geterr(c->dead) : "cannot start a capture");
        if (c->dead)
            pcap_close(c->dead);
        free(c);
        return NULL;
    }
    return c;
}

static void put(uint8_t *p, size_t off, const void *v, size_t n) { memcpy(p + off, v, n); }

/* usbmon's data flag: 0 when data follows, else why not ('<' IN submit, '>' OUT completion). */
static uint8_t data_flag(const struct cap_urb *u, uint32_t cap_len)
{
    int in = (u->ep & 0x80) != 0;
    if (cap_len)
        return 0;
    if (u->type == 'S' && in)
        return '<';
    return u->type == 'C' && !in ? '>' : 0;
}

static size_t encode(uint8_t *p, const struct cap_urb *u, int64_t real_ns)
{
    uint32_t cap_len = u->data ? u->data_len : 0;
    if (cap_len > CAP_SNAPLEN)
        cap_len = CAP_SNAPLEN;
    int64_t sec = real_ns / 1000000000LL;
    int32_t usec = (int32_t)(real_ns % 1000000000LL / 1000);
    int32_t start_frame = 0;
    uint32_t ndesc = 0;
    memset(p, 0, CAP_HDR_SIZE);
    put(p, 0, &u->id, 8);
    p[8] = (uint8_t)u->type;
    p[9] = u->xfer;
    p[10] = u->ep;
    p[11] = u->devnum;
    put(p, 12, &u->busnum, 2);
    p[14] = u->has_setup ? 0 : '-';
    p[15] = data_flag(u, cap_len);
    put(p, 16, &sec, 8);
    put(p, 24, &usec, 4);
    put(p, 28, &u->status, 4);
    put(p, 32, &u->length, 4);
    put(p, 36, &cap_len, 4);
    if (u->has_setup)
        put(p, 40, u->setup, 8);
    put(p, 48, &u->interval, 4);
    put(p, 52, &start_frame, 4);
    put(p, 56, &u->xfer_flags, 4);
    put(p, 60, &ndesc, 4);
    if (cap_len)
        memcpy(p + CAP_HDR_SIZE, u->data, cap_len);
    return CAP_HDR_SIZE + cap_len;
}

int cap_urb(struct cap *c, const struct cap_urb *u)
{
    if (!c)
        return 0;
    int64_t real = u->ts_ns + c->mono_to_real;
    size_t n = encode(c->rec, u, real);
    struct pcap_pkthdr h = {.ts = {.tv_sec = real / 1000000000LL,
                                   .tv_usec = real % 1000000000LL / 1000},
                            .caplen = (bpf_u_int32)n, .len = (bpf_u_int32)n};
    pcap_dump((u_char *)c->dump, &h, c->rec);
    c->count++;
    return 0;
}

uint64_t cap_count(const struct cap *c) { return c ? c->count : 0; }

int cap_close(struct cap *c, char err[CAP_ERR_MAX])
{
    if (!c)
        return 0;
    int bad = pcap_dump_flush(c->dump) != 0 || ferror(pcap_dump_file(c->dump));
    int e = errno;
    pcap_dump_close(c->dump);
    pcap_close(c->dead);
    if (bad)
        snprintf(err, CAP_ERR_MAX, "%s: write failed: %s", c->path, strerror(e ? e : EIO));
    free(c);
    return bad ? -1 : 0;
}

static void get(const uint8_t *p, size_t off, void *v, size_t n) { memcpy(v, p + off, n); }

int cap_decode(const uint8_t *buf, size_t len, struct cap_urb *u)
{
    if (len < CAP_HDR_SIZE)
        return -1;
    memset(u, 0, sizeof *u);
    int64_t sec;
    int32_t usec;
    get(buf, 0, &u->id, 8);
    u->type = (char)buf[8];
    u->xfer = buf[9];
    u->ep = buf[10];
    u->devnum = buf[11];
    get(buf, 12, &u->busnum, 2);
    u->has_setup = buf[14] == 0;
    get(buf, 16, &sec, 8);
    get(buf, 24, &usec, 4);
    get(buf, 28, &u->status, 4);
    get(buf, 32, &u->length, 4);
    get(buf, 36, &u->data_len, 4);
    get(buf, 40, u->setup, 8);
    get(buf, 48, &u->interval, 4);
    get(buf, 56, &u->xfer_flags, 4);
    if (u->data_len > len - CAP_HDR_SIZE)
        return -1;
    u->ts_ns = sec * 1000000000LL + (int64_t)usec * 1000;
    u->data = u->data_len ? buf + CAP_HDR_SIZE : NULL;
    return 0;
}

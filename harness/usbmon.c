/* usbmon — see usbmon.h. */
#include "harness/usbmon.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pcap/usb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/clock.h"
#include "sim/logfmt.h"
#include "sim/packet.h"
#include "sim/rawmatch.h"

#define UMON_EP_IN 0x81
#define UMON_TIMEOUT_MS 50
#define UMON_ROOT_HUB 1 /* Linux gives every bus's root hub address 1 */

struct umon {
    FILE *log;
    int busnum;
    uint8_t ep;           /* the stream's IN endpoint */
    struct rm *match;     /* a raw stream's matcher, or NULL */
    int64_t real_to_mono; /* add to a capture time (CLOCK_REALTIME) */
    int bad;
};

int umon_row(FILE *log, struct rm *match, const uint8_t *d, size_t len, uint64_t t)
{
    int64_t seq;
    const char *status = lf_status_names[LF_ST_OK];
    if (match) {
        int dup;
        seq = rm_match(match, d, len, &dup);
        if (seq < 0)
            status = lf_status_names[LF_ST_CRC];
    } else {
        if (len < PKT_HEADER_SIZE ||
            ((uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
             (uint32_t)d[3] << 24) != PKT_MAGIC)
            return 0;
        seq = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 |
              (uint32_t)d[7] << 24;
    }
    return fprintf(log, LF_DRIVER_ROW, seq, t, status) < 0 ? -1 : 0;
}

static void on_urb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct umon *m = (struct umon *)user;
    const pcap_usb_header_mmapped *u = (const void *)bytes;
    if (h->caplen < sizeof *u || u->event_type != 'C' || u->bus_id != m->busnum ||
        u->endpoint_number != m->ep || u->data_len == 0 || u->status != 0 ||
        u->device_address == UMON_ROOT_HUB)
        return; /* a transfer that failed delivered nothing; the root hub's status endpoint is
                   0x81 too (its port-change bitmaps) */
    size_t got = h->caplen - sizeof *u; /* raw: the whole packet is its identity */
    if (m->match ? got < u->data_len : got < 8)
        return;
    int64_t t = (int64_t)u->ts_sec * 1000000000LL + (int64_t)u->ts_usec * 1000 + m->real_to_mono;
    if (umon_row(m->log, m->match, bytes + sizeof *u, m->match ? u->data_len : got,
                 (uint64_t)t) != 0)
        m->bad = 1;
}

int umon_capture(int busnum, size_t packet_size, const char *log_path, int ready_fd,
                 volatile sig_atomic_t *stop)
{
    return umon_capture_stream(busnum, packet_size, UMON_EP_IN, NULL, log_path, ready_fd, stop);
}

int umon_capture_stream(int busnum, size_t packet_size, uint8_t ep, struct rm *match,
                        const char *log_path, int ready_fd, volatile sig_atomic_t *stop)
{
    char dev[32], err[PCAP_ERRBUF_SIZE];
    snprintf(dev, sizeof dev, "usbmon%d", busnum);
    pcap_t *p = pcap_create(dev, err);
    if (!p || pcap_set_snaplen(p, (int)(sizeof(pcap_usb_header_mmapped) + PKT_MAX_SIZE)) != 0 ||
        pcap_set_timeout(p, UMON_TIMEOUT_MS) != 0 || pcap_set_immediate_mode(p, 1) != 0 ||
        pcap_activate(p) < 0 || pcap_datalink(p) != DLT_USB_LINUX_MMAPPED) {
        fprintf(stderr, "usbmon: cannot capture %s (%s): load the usbmon module (modprobe "
                "usbmon), as root\n", dev, p ? pcap_geterr(p) : err);
        if (p)
            pcap_close(p);
        return 3;
    }
    (void)packet_size;
    struct umon m = {.busnum = busnum, .ep = ep, .match = match,
                     .real_to_mono = clk_mono_ns() - clk_ns(CLOCK_REALTIME)};
    m.log = fopen(log_path, "w");
    if (!m.log) {
        fprintf(stderr, "usbmon: cannot write %s: %s\n", log_path, strerror(errno));
        pcap_close(p);
        return 1;
    }
    fprintf(m.log, "%s\n", LF_DRIVER_HEADER);
    if (ready_fd >= 0 && write(ready_fd, "ready\n", 6) != 6)
        m.bad = 1;
    /* Non-blocking, with our own poll: usbmon's fetch does not honour the capture timeout. */
    int fd = pcap_get_selectable_fd(p);
    if (pcap_setnonblock(p, 1, err) != 0 || fd < 0)
        fd = -1;
    while (!*stop) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (fd >= 0 && poll(&pf, 1, UMON_TIMEOUT_MS) < 0 && errno != EINTR)
            break;
        if (pcap_dispatch(p, -1, on_urb, (u_char *)&m) < 0)
            break;
    }
    pcap_dispatch(p, -1, on_urb, (u_char *)&m); /* what is still buffered */
    pcap_close(p);
    if (fclose(m.log) != 0 || m.bad) {
        fprintf(stderr, "usbmon: cannot write %s\n", log_path);
        return 1;
    }
    return 0;
}

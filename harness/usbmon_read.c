/* usbmon_read — see usbmon_read.h. */
#include "harness/usbmon_read.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct umr_pending {
    uint64_t id;
    struct umr_xfer x; /* what the submit said */
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static int say(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, UMR_ERR_MAX, fmt, ap);
    va_end(ap);
    return -1;
}

void umr_free(struct umr_capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->x[i].data);
    for (size_t i = 0; i < c->npend; i++)
        free(c->pend[i].x.data);
    free(c->x);
    free(c->pend);
    int hdr = c->hdr_size;
    memset(c, 0, sizeof *c);
    c->hdr_size = hdr;
}

static uint8_t *copy(const uint8_t *d, uint32_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (p && n)
        memcpy(p, d, n);
    return p;
}

static int append(struct umr_capture *c, const struct umr_xfer *x)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct umr_xfer *p = realloc(c->x, cap * sizeof *p);
        if (!p)
            return -1;
        c->x = p;
        c->cap = cap;
    }
    c->x[c->n++] = *x;
    return 0;
}

int umr_feed(struct umr_capture *c, const uint8_t *rec, size_t caplen, size_t wirelen,
             char err[UMR_ERR_MAX])
{
    size_t no = ++c->records;
    size_t hdr = c->hdr_size == UMR_HDR_LEGACY ? UMR_HDR_LEGACY : UMR_HDR_MMAPPED;
    if (!c->pend && !(c->pend = calloc(UMR_MAX_PENDING, sizeof *c->pend)))
        return say(err, "out of memory");
    if (caplen < hdr)
        return say(err, "record %zu is %zu bytes, shorter than the %zu-byte usbmon header", no,
                   caplen, hdr);
    char type = (char)rec[8];
    if (type != 'S' && type != 'C' && type != 'E')
        return say(err, "record %zu: event type 0x%02x is not a usbmon event (S, C or E)", no,
                   rec[8]);
    struct umr_xfer x = {.bus = le16(rec + 12), .dev = rec[11], .ep = rec[10], .type = rec[9] & 3,
                         .has_setup = rec[14] == 0, .status = (int32_t)le32(rec + 28),
                         .length = le32(rec + 32), .record = no};
    memcpy(x.setup, rec + 40, 8);
    int64_t sec = (int64_t)le64(rec + 16);
    int32_t usec = (int32_t)le32(rec + 24);
    if (sec < 0 || sec > 1000000000000LL || usec < 0 || usec > 999999)
        return say(err, "record %zu: time %lld s %d us is not a time", no, (long long)sec, usec);
    int64_t t = sec * 1000000 + usec;
    uint32_t len_cap = le32(rec + 36);
    size_t avail = caplen - hdr, skip = 0;
    if (hdr == UMR_HDR_MMAPPED && x.type == UMR_ISO) {
        uint32_t ndesc = le32(rec + 60);
        if (ndesc > avail / 16) {
            if (caplen == wirelen)
                return say(err, "record %zu says %u isochronous descriptors follow its header, "
                           "it holds %zu bytes", no, ndesc, avail);
            ndesc = (uint32_t)(avail / 16);
        }
        skip = (size_t)ndesc * 16;
        /* the captured length counts the descriptors too */
        if (len_cap < skip)
            return say(err, "record %zu says %u captured bytes, fewer than its %u isochronous "
                       "descriptors", no, len_cap, ndesc);
        len_cap -= (uint32_t)skip;
    }
    avail -= skip;
    uint32_t have = len_cap;
    if (len_cap > avail) {
        if (caplen == wirelen)
            return say(err, "record %zu says %u data bytes follow its header, it holds %zu", no,
                       len_cap, avail);
        have = (uint32_t)avail;
    }
    const uint8_t *data = rec + hdr + skip;
    int in = (x.ep & 0x80) != 0;
    uint64_t id = le64(rec);
    if (type == 'S') {
        x.has_submit = 1;
        x.t_submit_us = t;
        if (!in && have) {
            x.data_len = have;
            if (!(x.data = copy(data, have)))
                return say(err, "out of memory");
        }
        if (!in && have < x.length && (have || rec[15] == 0)) {
            x.fragment = 1, x.frag_record = no, x.frag_have = have, x.frag_want = x.length;
        }
        if (c->npend == UMR_MAX_PENDING) { /* forget the oldest: it never completed */
            free(c->pend[0].x.data);
            memmove(c->pend, c->pend + 1, (UMR_MAX_PENDING - 1) * sizeof *c->pend);
            c->npend--;
        }
        c->pend[c->npend++] = (struct umr_pending){.id = id, .x = x};
        return 0;
    }
    /* a completion ('C'), or a submit that failed at once ('E') */
    struct umr_xfer done = x;
    done.has_setup = 0;
    for (size_t i = c->npend; i-- > 0;) {
        struct umr_pending *p = &c->pend[i];
        if (p->id != id || p->x.bus != x.bus)
            continue;
        done = p->x;
        memmove(p, p + 1, (c->npend - i - 1) * sizeof *p);
        c->npend--;
        break;
    }
    done.t_us = t;
    done.status = x.status;
    done.length = x.length;
    done.record = no;
    if (in) {
        free(done.data);
        done.data = NULL;
        done.data_len = 0;
        if (have && !(done.data = copy(data, have)))
            return say(err, "out of memory");
        done.data_len = have;
        if (have < x.length && x.status == 0 && !done.fragment)
            done.fragment = 1, done.frag_record = no, done.frag_have = have,
            done.frag_want = x.length;
    }
    if (append(c, &done) != 0) {
        free(done.data);
        return say(err, "out of memory");
    }
    return 0;
}

/* libpcap's words for a file that ends too soon. */
static int truncated(const char *msg) { return strstr(msg, "truncated") != NULL; }

int umr_read(const char *path, struct umr_capture *c, char err[UMR_ERR_MAX])
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f)
        return say(err, "%s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode) || st.st_size == 0) {
        int dir = S_ISDIR(st.st_mode);
        fclose(f);
        return say(err, dir ? "is a folder, not a capture"
                            : "empty file: not a pcap or pcapng capture");
    }
    pcap_t *p = pcap_fopen_offline(f, perr); /* p owns f from here; a failure leaves it ours */
    if (!p) {
        fclose(f);
        if (truncated(perr))
            return say(err, "truncated capture (the file ends inside its file header)");
        return say(err, "not a pcap or pcapng capture (%s)", perr);
    }
    int link = pcap_datalink(p);
    if (link != UMR_LINK_MMAPPED && link != UMR_LINK_LEGACY) {
        const char *name = pcap_datalink_val_to_name(link);
        pcap_close(p);
        return say(err, "link type %d (%s) is not a usbmon capture (expected USB_LINUX 189 or "
                   "USB_LINUX_MMAPPED 220)", link, name ? name : "unknown");
    }
    c->hdr_size = link == UMR_LINK_MMAPPED ? UMR_HDR_MMAPPED : UMR_HDR_LEGACY;
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int rc = 0, r;
    while ((r = pcap_next_ex(p, &h, &bytes)) == 1) {
        if (umr_feed(c, bytes, h->caplen, h->len < h->caplen ? h->caplen : h->len, err) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && r == PCAP_ERROR) {
        const char *m = pcap_geterr(p);
        if (truncated(m))
            rc = say(err, "truncated capture (the file ends inside record %zu)", c->records + 1);
        else
            rc = say(err, "cannot read record %zu (%s)", c->records + 1, m);
    }
    pcap_close(p);
    if (rc != 0)
        umr_free(c);
    return rc;
}

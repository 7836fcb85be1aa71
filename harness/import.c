/* import — see import.h. */
#include "harness/import.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/exitcode.h"

#define STD_GET_DESCRIPTOR 6
#define DT_DEVICE 1
#define DT_CONFIG 2
#define DT_STRING 3
#define DT_INTERFACE 4
#define DT_ENDPOINT 5
#define LANG_EN_US 0x0409

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int is_ctrl(const struct umr_xfer *x) { return x->type == UMR_CTRL; }
static int is_in_data(const struct umr_xfer *x)
{
    return !is_ctrl(x) && (x->ep & 0x80) && (x->ep & 0x0F) && x->status == 0;
}
static int hub_request(const struct umr_xfer *x)
{
    return is_ctrl(x) && x->has_setup && (x->setup[0] & 0x7F) == 0x23; /* class, to a port */
}
/* A standard GET_DESCRIPTOR of the device, configuration or a string, addressed to the device. */
static int std_descriptor(const uint8_t *s, int type)
{
    return s[0] == 0x80 && s[1] == STD_GET_DESCRIPTOR && s[3] == type;
}

/* ---- strings --------------------------------------------------------------------------------- */

static size_t put_utf8(char *out, size_t at, size_t cap, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    if (at + n >= cap)
        return at;
    memcpy(out + at, b, n);
    return at + n;
}

/* A string descriptor's UTF-16LE text into UTF-8 (unpaired surrogates: U+FFFD). */
static char *string_utf8(const uint8_t *d, uint32_t len)
{
    uint32_t n = d[0] < len ? d[0] : len;
    size_t cap = (size_t)n * 2 + 1, at = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    for (uint32_t i = 2; i + 1 < n; i += 2) {
        uint32_t u = le16(d + i);
        if (u >= 0xD800 && u < 0xDC00 && i + 3 < n && le16(d + i + 2) >= 0xDC00 &&
            le16(d + i + 2) < 0xE000) {
            u = 0x10000 + ((u - 0xD800) << 10) + (le16(d + i + 2) - 0xDC00u);
            i += 2;
        } else if (u >= 0xD800 && u < 0xE000) {
            u = 0xFFFD;
        }
        at = put_utf8(s, at, cap, u);
    }
    s[at] = 0;
    return s;
}

/* Text from the capture for a terminal or a comment line: control characters become '?'. */
static void put_printable(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        putc(*p < 0x20 || *p == 0x7F ? '?' : *p, f);
}

/* ---- the devices ----------------------------------------------------------------------------- */

static const struct umr_xfer *find_string(const struct umr_capture *c, uint16_t bus, uint8_t dev,
                                          uint8_t index)
{
    const struct umr_xfer *best = NULL;
    for (size_t i = 0; index && i < c->n; i++) {
        const struct umr_xfer *x = &c->x[i];
        if (x->bus != bus || x->dev != dev || !is_ctrl(x) || !x->has_setup || x->status != 0 ||
            !std_descriptor(x->setup, DT_STRING) || x->setup[2] != index || x->data_len < 2 ||
            x->data[1] != DT_STRING || x->fragment)
            continue;
        if (!best || (le16(x->setup + 4) == LANG_EN_US && le16(best->setup + 4) != LANG_EN_US))
            best = x;
    }
    return best;
}

size_t imp_devices(const struct umr_capture *c, struct imp_dev *out, size_t max)
{
    struct imp_dev all[IMP_MAX_DEVICES];
    uint8_t iproduct[IMP_MAX_DEVICES] = {0};
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct umr_xfer *x = &c->x[i];
        if (x->dev == 0)
            continue;
        size_t k = 0;
        while (k < n && !(all[k].bus == x->bus && all[k].dev == x->dev))
            k++;
        if (k == n) {
            if (n == IMP_MAX_DEVICES)
                continue;
            memset(&all[n], 0, sizeof all[n]);
            all[n].bus = x->bus;
            all[n].dev = x->dev;
            n++;
        }
        struct imp_dev *d = &all[k];
        if (is_in_data(x) && x->data_len)
            d->packets++;
        d->hub |= hub_request(x);
        if (is_ctrl(x) && x->has_setup && x->status == 0 && std_descriptor(x->setup, DT_DEVICE) &&
            x->data_len >= 12 && x->data[1] == DT_DEVICE) {
            d->has_ids = 1;
            d->vid = le16(x->data + 8);
            d->pid = le16(x->data + 10);
            d->hub |= x->data[4] == 9;
            if (x->data_len >= 18)
                iproduct[k] = x->data[15];
        }
    }
    for (size_t k = 0; k < n; k++) { /* once per device: the capture may repeat descriptors */
        const struct umr_xfer *s = find_string(c, all[k].bus, all[k].dev, iproduct[k]);
        char *p = s ? string_utf8(s->data, s->data_len) : NULL;
        if (p)
            snprintf(all[k].product, sizeof all[k].product, "%s", p);
        free(p);
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (!all[k].hub && m < max)
            out[m++] = all[k];
    return m;
}

/* ---- one device ------------------------------------------------------------------------------ */

void imp_desc_free(struct imp_desc *d)
{
    free(d->config);
    for (int i = 0; i < 256; i++)
        free(d->strings[i]);
    for (size_t i = 0; i < d->nctrl; i++)
        free(d->ctrl[i].reply);
    rec_file_free(&d->rec);
    memset(d, 0, sizeof *d);
}

int imp_enumerated(const struct imp_desc *d) { return d->has_device && d->config; }

static int say(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, IMP_ERR_MAX, fmt, ap);
    va_end(ap);
    return -1;
}

/* A standard request the device answers by itself (not in the control table). */
static int standard(const uint8_t *s)
{
    if ((s[0] & 0x60) != 0)
        return 0;
    if (s[1] != STD_GET_DESCRIPTOR)
        return 1;
    return s[0] == 0x80 && (s[3] == DT_DEVICE || s[3] == DT_CONFIG || s[3] == DT_STRING);
}

static void add_control(struct imp_desc *d, const struct umr_xfer *x)
{
    int stall = x->status == UMR_EPIPE, in = (x->setup[0] & 0x80) != 0;
    if (x->status != 0 && !stall)
        return; /* cancelled, or an error of the bus: says nothing of the device */
    struct imp_ctrl *e = NULL;
    for (size_t i = 0; i < d->nctrl && !e; i++)
        if (memcmp(d->ctrl[i].setup, x->setup, 6) == 0)
            e = &d->ctrl[i];
    if (e) { /* the same request again: keep the fuller answer */
        if (stall || (!e->stall && (!in || x->data_len <= e->reply_len)))
            return;
        free(e->reply);
    } else if (d->nctrl == IMP_MAX_CTRL) {
        d->ctrl_dropped++;
        return;
    } else {
        e = &d->ctrl[d->nctrl++];
    }
    memset(e, 0, sizeof *e);
    memcpy(e->setup, x->setup, 8);
    e->stall = stall;
    e->in = in;
    if (!stall && in && x->data_len) {
        e->reply = malloc(x->data_len);
        if (e->reply) {
            memcpy(e->reply, x->data, x->data_len);
            e->reply_len = x->data_len;
        }
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The stream endpoint's packet size (most common length) and period (median gap). */
static int stream_figures(struct imp_desc *d)
{
    size_t counts[16] = {0};
    for (size_t i = 0; i < d->rec.n; i++)
        counts[d->rec.p[i].ep & 0x0F]++;
    size_t best = 0;
    for (int k = 1; k < 16; k++)
        if (counts[k] > counts[best])
            best = (size_t)k;
    if (!counts[best])
        return 0;
    d->stream_ep = (uint8_t)(0x80 | best);
    size_t n = counts[best], m = 0;
    int64_t *v = malloc(n * sizeof *v);
    if (!v)
        return -1;
    /* the most common length (the longer on a tie): sorted, the longest run */
    for (size_t i = 0; i < d->rec.n; i++)
        if (d->rec.p[i].ep == d->stream_ep)
            v[m++] = d->rec.p[i].len;
    qsort(v, n, sizeof *v, cmp_i64);
    size_t run = 0, best_run = 0;
    for (size_t i = 0; i < n; i++) {
        run = i && v[i] == v[i - 1] ? run + 1 : 1;
        if (run >= best_run) {
            best_run = run;
            d->packet_size = (uint32_t)v[i];
        }
    }
    /* the median time between two packets */
    int64_t prev = -1;
    m = 0;
    for (size_t i = 0; i < d->rec.n; i++)
        if (d->rec.p[i].ep == d->stream_ep) {
            if (prev >= 0)
                v[m++] = d->rec.p[i].t_us - prev;
            prev = d->rec.p[i].t_us;
        }
    if (m) {
        qsort(v, m, sizeof *v, cmp_i64);
        d->period_us = v[(m - 1) / 2];
    }
    if (d->period_us <= 0) /* one packet: the scenario's default; bursts: 1 us */
        d->period_us = m ? 1 : 10000;
    d->duration_ms = (d->rec.p[d->rec.n - 1].t_us + d->period_us + 999) / 1000;
    free(v);
    return 0;
}

int imp_describe(const struct umr_capture *c, uint16_t bus, uint8_t dev, struct imp_desc *d,
                 char err[IMP_ERR_MAX])
{
    memset(d, 0, sizeof *d);
    d->bus = bus;
    d->dev = dev;
    uint16_t lang[256] = {0};
    int64_t t0 = 0;
    uint64_t text = 64; /* the recording's size, bounded above as packets are added */
    size_t first_data = SIZE_MAX, last_ctrl = SIZE_MAX;
    for (size_t i = 0; i < c->n; i++) {
        const struct umr_xfer *x = &c->x[i];
        if (x->bus != bus || x->dev != dev)
            continue;
        if (x->fragment) {
            imp_desc_free(d);
            return say(err, "URB fragment in record %zu: %u of the %u data bytes of a transfer "
                       "on endpoint 0x%02x of device %u.%u were captured (capture whole "
                       "transfers: no snap length)", x->frag_record, x->frag_have, x->frag_want,
                       x->ep, bus, dev);
        }
        if (is_ctrl(x) && x->has_setup) {
            const uint8_t *s = x->setup;
            if (first_data == SIZE_MAX)
                last_ctrl = i;
            if (std_descriptor(s, DT_DEVICE) && x->status == 0 && x->data_len >= 18 &&
                x->data[0] >= 18 && x->data[1] == DT_DEVICE) {
                memcpy(d->device, x->data, 18);
                d->has_device = 1;
            } else if (std_descriptor(s, DT_CONFIG) && s[2] == 0 && x->status == 0 &&
                       x->data_len >= 9 && x->data[1] == DT_CONFIG && !d->config) {
                uint16_t total = le16(x->data + 2);
                if (total >= 9 && x->data_len >= total && (d->config = malloc(total))) {
                    memcpy(d->config, x->data, total);
                    d->config_len = total;
                }
            } else if (std_descriptor(s, DT_STRING) && s[2] != 0 && x->status == 0 &&
                       x->data_len >= 2 && x->data[1] == DT_STRING) {
                uint16_t l = le16(s + 4);
                if (!d->strings[s[2]] || (l == LANG_EN_US && lang[s[2]] != LANG_EN_US)) {
                    char *u = string_utf8(x->data, x->data_len);
                    if (u) {
                        free(d->strings[s[2]]);
                        d->strings[s[2]] = u;
                        lang[s[2]] = l;
                    }
                }
            } else if (!standard(s)) {
                add_control(d, x);
            }
            continue;
        }
        if (!is_in_data(x))
            continue;
        int ep = x->ep & 0x0F;
        if (x->data_len > d->ep_max[ep])
            d->ep_max[ep] = x->data_len;
        d->ep_type[ep] = x->type;
        if (first_data == SIZE_MAX) {
            first_data = i;
            t0 = x->t_us;
        }
        int64_t t = x->t_us - t0;
        if (t < 0)
            t = 0;
        if (d->rec.n && t < d->rec.p[d->rec.n - 1].t_us) /* out of order in the file */
            t = d->rec.p[d->rec.n - 1].t_us;
        if (x->data_len > REC_MAX_PACKET || d->rec.n >= REC_MAX_PACKETS) {
            imp_desc_free(d);
            return say(err, "record %zu: more than the recording holds (%u packets of at most %u "
                       "bytes)", x->record, REC_MAX_PACKETS, REC_MAX_PACKET);
        }
        text += 2ull * x->data_len + 32; /* the packet's line in the recording, at most */
        if (text > REC_MAX_FILE) {
            imp_desc_free(d);
            return say(err, "record %zu: device %u.%u's packets up to here make a recording "
                       "larger than %llu MiB: capture a shorter stretch", x->record, bus, dev,
                       (unsigned long long)(REC_MAX_FILE >> 20));
        }
        if (rec_add(&d->rec, t, x->ep, x->data, x->data_len) != 0) {
            imp_desc_free(d);
            return say(err, "out of memory");
        }
    }
    /* the request that started the stream: a vendor OUT request, the last control transfer
     * before the first IN data */
    if (first_data != SIZE_MAX && last_ctrl != SIZE_MAX) {
        const struct umr_xfer *x = &c->x[last_ctrl];
        if ((x->setup[0] & 0xE0) == 0x40 && x->status == 0) {
            for (size_t i = 0; i < d->nctrl; i++)
                if (memcmp(d->ctrl[i].setup, x->setup, 6) == 0) {
                    d->ctrl[i].start = 1;
                    d->start_on_request = 1;
                }
        }
    }
    if (stream_figures(d) != 0) {
        imp_desc_free(d);
        return say(err, "out of memory");
    }
    if (d->stream_ep)
        d->stream_type = d->ep_type[d->stream_ep & 0x0F];
    return 0;
}

/* ---- the scenario's text --------------------------------------------------------------------- */

static void yaml_string(FILE *f, const char *s)
{
    putc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(f, "\\x%02x", *p);
        else
            putc(*p, f);
    }
    putc('"', f);
}

static void hex_bytes(FILE *f, const uint8_t *b, size_t n)
{
    putc('"', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%02x", i ? " " : "", b[i]);
    putc('"', f);
}

static const char *ep_type_name(int t)
{
    static const char *const names[] = {"control", "isochronous", "bulk", "interrupt"};
    return names[t & 3];
}

/* usbmon's transfer type to the descriptor's bmAttributes type. */
static int umr_to_attr(int t) { return t == UMR_ISO ? 1 : t == UMR_BULK ? 2 : t == UMR_CTRL ? 0 : 3; }

static const char *speed_name(const struct imp_desc *d)
{
    const uint8_t *c = d->config;
    for (size_t o = 0; c && o + 7 <= d->config_len && c[o] >= 2; o += c[o])
        if (c[o + 1] == DT_ENDPOINT && c[o] >= 7) {
            unsigned mp = le16(c + o + 4) & 0x7FF, type = c[o + 3] & 3;
            if ((type == 1 && mp > 1023) || (type >= 2 && mp > 64))
                return "high";
        }
    if (!c)
        for (int k = 1; k < 16; k++)
            if (d->ep_max[k] > (d->ep_type[k] == UMR_ISO ? 1023u : 64u))
                return "high";
    return "full";
}

static const char *str_at(const struct imp_desc *d, uint8_t index)
{
    return index && d->strings[index] ? d->strings[index] : "";
}

static void write_endpoint(FILE *f, const uint8_t *e, const uint8_t *extra, size_t nextra)
{
    fprintf(f, "        - {address: 0x%02x, type: %s, max_packet: %u, interval: %u, extra: ",
            e[2], ep_type_name(e[3] & 3), le16(e + 4) & 0x7FF, e[6]);
    hex_bytes(f, extra, nextra);
    fprintf(f, "}\n");
}

/* The configuration descriptor, split: interfaces (with the bytes after each up to its first
 * endpoint) and endpoints (with the bytes after each). */
static void write_interfaces(FILE *f, const struct imp_desc *d)
{
    const uint8_t *c = d->config;
    size_t n = d->config_len, o = c[0] >= 9 && c[0] <= n ? c[0] : 9;
    int in_iface = 0;
    size_t dropped = 0;
    fprintf(f, "  interfaces:\n");
    while (o + 2 <= n) {
        size_t len = c[o];
        if (len < 2 || o + len > n) {
            fprintf(f, "  # the configuration descriptor ends in a malformed descriptor at byte "
                       "%zu: the rest is left out\n", o);
            break;
        }
        if (c[o + 1] == DT_INTERFACE && len >= 9) {
            in_iface = 1;
            const uint8_t *i = c + o;
            fprintf(f, "    - number: %u\n      alt: %u\n      class: 0x%02x\n      subclass: "
                       "0x%02x\n      protocol: 0x%02x\n", i[2], i[3], i[5], i[6], i[7]);
            if (i[8] && d->strings[i[8]]) {
                fprintf(f, "      name: ");
                yaml_string(f, d->strings[i[8]]);
                putc('\n', f);
            }
            size_t e = o + len;
            while (e + 2 <= n && c[e] >= 2 && e + c[e] <= n && c[e + 1] != DT_INTERFACE &&
                   c[e + 1] != DT_ENDPOINT)
                e += c[e];
            fprintf(f, "      extra: ");
            hex_bytes(f, c + o + len, e - o - len);
            fprintf(f, "\n      endpoints:%s\n",
                    e + 2 <= n && c[e + 1] == DT_ENDPOINT ? "" : " []");
            o = e;
            continue;
        }
        if (c[o + 1] == DT_ENDPOINT && len >= 7 && in_iface) {
            size_t e = o + len;
            while (e + 2 <= n && c[e] >= 2 && e + c[e] <= n && c[e + 1] != DT_INTERFACE &&
                   c[e + 1] != DT_ENDPOINT)
                e += c[e];
            write_endpoint(f, c + o, c + o + len, e - o - len);
            o = e;
            continue;
        }
        dropped += len; /* before the first interface (e.g. an interface association) */
        o += len;
    }
    if (dropped)
        fprintf(f, "  # %zu bytes of descriptors before the first interface have no place in a "
                   "scenario: left out\n", dropped);
}

/* Without the configuration descriptor: one interface with the endpoints the traffic shows. */
static void write_inferred_interfaces(FILE *f, const struct imp_desc *d)
{
    fprintf(f, "  interfaces:   # fill in: inferred from the traffic (max_packet: the largest "
               "transfer seen)\n    - number: 0\n      alt: 0\n      class: 0xff\n      subclass: "
               "0x00\n      protocol: 0x00\n      extra: \"\"\n      endpoints:");
    int any = 0;
    for (int k = 1; k < 16; k++) {
        if (!d->ep_max[k] && !d->ep_type[k])
            continue;
        uint8_t e[7] = {7, DT_ENDPOINT, (uint8_t)(0x80 | k), (uint8_t)umr_to_attr(d->ep_type[k]),
                        (uint8_t)(d->ep_max[k] & 0xFF), (uint8_t)(d->ep_max[k] >> 8 & 0x07), 1};
        if (!any++)
            putc('\n', f);
        write_endpoint(f, e, NULL, 0);
    }
    if (!any)
        fprintf(f, " []\n");
}

int imp_write_yaml(const struct imp_desc *d, const char *name, const char *rec_file,
                   const char *source, FILE *f)
{
    int enumerated = imp_enumerated(d);
    const uint8_t *v = d->device;
    fprintf(f, "# Imported by usbsim import from ");
    put_printable(f, source);
    fprintf(f, " (device %u.%u).\n", d->bus, d->dev);
    if (!enumerated)
        fprintf(f, "# The capture has no enumeration of this device (it was plugged in before the"
                   " capture\n# began): the lines marked 'fill in' are guesses, to replace with "
                   "the device's own\n# descriptors (lsusb -v shows them).\n");
    fprintf(f, "name: %s\nseed: 1\nduration_ms: %" PRId64 "\ndevice:\n", name,
            d->duration_ms > 0 ? d->duration_ms : 1);
    const char *fill = d->has_device ? "" : "   # fill in";
    fprintf(f, "  vid: 0x%04x%s\n  pid: 0x%04x%s\n  bcd_device: 0x%04x%s\n  bcd_usb: 0x%04x%s\n",
            d->has_device ? le16(v + 8) : 0x1209, fill, d->has_device ? le16(v + 10) : 0x0001,
            fill, d->has_device ? le16(v + 12) : 0x0100, fill,
            d->has_device ? le16(v + 2) : 0x0200, fill);
    fprintf(f, "  class: %u%s\n  subclass: %u%s\n  protocol: %u%s\n  max_packet0: %u%s\n",
            d->has_device ? v[4] : 0, fill, d->has_device ? v[5] : 0, fill,
            d->has_device ? v[6] : 0, fill, d->has_device ? v[7] : 64, fill);
    fprintf(f, "  speed: %s%s\n", speed_name(d), enumerated ? "" : "   # fill in");
    const char *labels[3] = {"manufacturer", "product", "serial"};
    for (int i = 0; i < 3; i++) {
        fprintf(f, "  %s: ", labels[i]);
        yaml_string(f, d->has_device ? str_at(d, v[14 + i]) : "");
        fprintf(f, "%s\n", fill);
    }
    if (d->config)
        fprintf(f, "  config: {attributes: 0x%02x, max_power_ma: %u}\n", d->config[7],
                d->config[8] * 2u);
    else
        fprintf(f, "  config: {attributes: 0x80, max_power_ma: 100}   # fill in\n");
    if (d->config)
        write_interfaces(f, d);
    else
        write_inferred_interfaces(f, d);
    if (d->stream_ep) {
        fprintf(f, "  stream_endpoint: 0x%02x\n  packet_size: %u\n  period_us: %" PRId64 "\n",
                d->stream_ep, d->packet_size, d->period_us);
    }
    if (d->ctrl_dropped)
        fprintf(f, "  # %zu more control requests were captured: the table keeps the first %d\n",
                d->ctrl_dropped, IMP_MAX_CTRL);
    fprintf(f, "  control:%s\n", d->nctrl ? "" : " []");
    for (size_t i = 0; i < d->nctrl; i++) {
        const struct imp_ctrl *e = &d->ctrl[i];
        uint16_t index = le16(e->setup + 4);
        fprintf(f, "    - {request_type: 0x%02x, request: %u, value: 0x%04x, index: ", e->setup[0],
                e->setup[1], le16(e->setup + 2));
        fprintf(f, index < 256 ? "%u" : "0x%04x", index);
        if (e->stall)
            fprintf(f, ", stall: true}\n");
        else if (e->start)
            fprintf(f, ", action: start}\n");
        else {
            fprintf(f, ", reply: ");
            hex_bytes(f, e->reply, e->reply_len);
            fprintf(f, "}\n");
        }
    }
    fprintf(f, "  start: %s\n", d->start_on_request ? "on_request" : "immediate");
    fprintf(f, "  framing: raw\n  replay: {file: ");
    yaml_string(f, rec_file);
    fprintf(f, ", loop: false}\n");
    return ferror(f) ? -1 : 0;
}

/* ---- the command ----------------------------------------------------------------------------- */

enum { IMP_OPT_DEVICE, IMP_OPT_OUTPUT, IMP_OPT_COUNT };

/* "BUS.ADDR", decimal: 0, or -1. */
static int parse_busaddr(const char *s, uint16_t *bus, uint8_t *dev)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s)
        return -1;
    char b[8];
    size_t bl = (size_t)(dot - s);
    if (bl >= sizeof b)
        return -1;
    memcpy(b, s, bl);
    b[bl] = 0;
    uint64_t vb, vd;
    if (arg_u64(b, 1, 65535, &vb) != 0 || arg_u64(dot + 1, 1, 127, &vd) != 0)
        return -1;
    *bus = (uint16_t)vb;
    *dev = (uint8_t)vd;
    return 0;
}

static void list_devices(const char *cap, const struct imp_dev *v, size_t n)
{
    fprintf(stderr, "usbsim import: %s: %zu devices in the capture; choose one with --device "
                    "BUS.ADDR:\n", cap, n);
    for (size_t i = 0; i < n; i++) {
        char ids[16] = "????:????";
        if (v[i].has_ids)
            snprintf(ids, sizeof ids, "%04x:%04x", v[i].vid, v[i].pid);
        char addr[16];
        snprintf(addr, sizeof addr, "%u.%u", v[i].bus, v[i].dev);
        char product[128];
        snprintf(product, sizeof product, "%s",
                 v[i].product[0] ? v[i].product : "(no product string)");
        for (char *p = product; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7F)
                *p = '?';
        fprintf(stderr, "  %-7s %s  %-24s %zu packets\n", addr, ids, product, v[i].packets);
    }
}

/* The scenario's name from the output file's base name: [A-Za-z0-9._-], at most 64. */
static void name_from(const char *path, char *out, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(b + n - 4, ".yml") == 0)
        n -= 4;
    size_t m = 0;
    for (size_t i = 0; i < n && m + 1 < cap && m < 64; i++) {
        char ch = b[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        out[m++] = ok ? ch : '-';
    }
    out[m] = 0;
    if (!m)
        snprintf(out, cap, "imported");
}

static int cmd_import(struct cli_opts *o)
{
    const char *cap = o->files[0];
    char err[IMP_ERR_MAX > UMR_ERR_MAX ? IMP_ERR_MAX : UMR_ERR_MAX];
    uint16_t want_bus = 0;
    uint8_t want_dev = 0;
    const struct arg_val *dv = &o->own[IMP_OPT_DEVICE];
    if (dv->set && parse_busaddr(dv->s, &want_bus, &want_dev) != 0)
        return arg_usage("import", "--device takes BUS.ADDR, decimal, as lsusb numbers them (1.2 "
                                   "for Bus 001 Device 002), not '%s'", dv->s);
    struct umr_capture c;
    if (umr_read(cap, &c, err) != 0) {
        fprintf(stderr, "usbsim import: %s: %s\n", cap, err);
        return XC_USAGE;
    }
    static struct imp_dev devs[IMP_MAX_DEVICES];
    size_t n = imp_devices(&c, devs, IMP_MAX_DEVICES);
    const struct imp_dev *pick = NULL;
    for (size_t i = 0; dv->set && i < n; i++)
        if (devs[i].bus == want_bus && devs[i].dev == want_dev)
            pick = &devs[i];
    if (n == 0) {
        fprintf(stderr, "usbsim import: %s: no USB device moved data in the capture\n", cap);
        umr_free(&c);
        return XC_USAGE;
    }
    if (dv->set && !pick) {
        fprintf(stderr, "usbsim import: %s: no device %s in the capture (it has", cap, dv->s);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "%s %u.%u", i ? "," : "", devs[i].bus, devs[i].dev);
        fprintf(stderr, ")\n");
        umr_free(&c);
        return XC_USAGE;
    }
    if (!pick && n > 1) {
        list_devices(cap, devs, n);
        umr_free(&c);
        return XC_USAGE;
    }
    if (!pick)
        pick = &devs[0];
    struct imp_desc *d = calloc(1, sizeof *d);
    if (!d) {
        umr_free(&c);
        return fprintf(stderr, "usbsim import: out of memory\n"), XC_FAIL;
    }
    if (imp_describe(&c, pick->bus, pick->dev, d, err) != 0) {
        fprintf(stderr, "usbsim import: %s: %s\n", cap, err);
        umr_free(&c);
        free(d);
        return XC_USAGE;
    }
    umr_free(&c);
    /* the files: FILE.yaml (default imported-VID-PID.yaml) and FILE.rec beside it */
    char yaml[4096], rec[4096], name[80], recname[4096];
    if (o->own[IMP_OPT_OUTPUT].set)
        snprintf(yaml, sizeof yaml, "%s", o->own[IMP_OPT_OUTPUT].s);
    else if (d->has_device)
        snprintf(yaml, sizeof yaml, "imported-%04x-%04x.yaml", le16(d->device + 8),
                 le16(d->device + 10));
    else
        snprintf(yaml, sizeof yaml, "imported-%u-%u.yaml", d->bus, d->dev);
    name_from(yaml, name, sizeof name);
    size_t yl = strlen(yaml);
    size_t stem = yl > 5 && strcmp(yaml + yl - 5, ".yaml") == 0 ? yl - 5
                : yl > 4 && strcmp(yaml + yl - 4, ".yml") == 0 ? yl - 4 : yl;
    snprintf(rec, sizeof rec, "%.*s.rec", (int)stem, yaml);
    const char *slash = strrchr(rec, '/');
    snprintf(recname, sizeof recname, "%s", slash ? slash + 1 : rec);
    char rerr[REC_FILE_ERR_MAX];
    int rc = XC_OK;
    if (rec_save(rec, &d->rec, rerr) != 0) {
        fprintf(stderr, "usbsim import: %s\n", rerr);
        rc = XC_FAIL;
    } else {
        FILE *f = fopen(yaml, "w");
        const char *src = strrchr(cap, '/');
        int bad = !f || imp_write_yaml(d, name, recname, src ? src + 1 : cap, f) != 0;
        int e = errno;
        if (f && fclose(f) != 0 && !bad)
            bad = 1, e = errno;
        if (bad) {
            fprintf(stderr, "usbsim import: %s: cannot write: %s\n", yaml, strerror(e ? e : EIO));
            rc = XC_FAIL;
        }
    }
    if (rc == XC_OK && !imp_enumerated(d)) {
        fprintf(stderr, "usbsim import: %s: no enumeration of device %u.%u in the capture "
                        "(plug the device in while capturing): %s and %s are written, their "
                        "descriptors marked 'fill in'\n", cap, d->bus, d->dev, yaml, rec);
        rc = XC_USAGE;
    } else if (rc == XC_OK && !o->quiet) {
        const uint8_t *v = d->device;
        fprintf(o->out, "device %u.%u (%04x:%04x ", d->bus, d->dev, le16(v + 8), le16(v + 10));
        put_printable(o->out, v[15] && d->strings[v[15]] ? d->strings[v[15]] : "no product string");
        fprintf(o->out, "): ");
        if (d->stream_ep)
            fprintf(o->out, "%zu packets, stream 0x%02x: %u B every %" PRId64 " us; ", d->rec.n,
                    d->stream_ep, d->packet_size, d->period_us);
        else
            fprintf(o->out, "no IN data; ");
        fprintf(o->out, "%zu control requests -> %s, %s\n", d->nctrl, yaml, rec);
    }
    imp_desc_free(d);
    free(d);
    return rc;
}

static const struct arg_opt imp_opts[IMP_OPT_COUNT] = {
    [IMP_OPT_DEVICE] = {.name = "device", .kind = ARG_TEXT, .meta = "BUS.ADDR",
                        .help = "the device to import when the capture has several (bus and\n"
                                "address, decimal, as lsusb numbers them: 1.2)"},
    [IMP_OPT_OUTPUT] = {.name = "output", .letter = 'o', .kind = ARG_PATH, .meta = "FILE.yaml",
                        .writes = true,
                        .help = "the scenario to write (default imported-VID-PID.yaml); the\n"
                                "recording goes beside it, FILE.rec"},
};

const struct cli_cmd imp_cmd = {
    .name = "import", .args = "CAPTURE", .min_args = 1, .max_args = 1,
    .help = "Turn a usbmon capture of a real device (pcap or pcapng, link type USB_LINUX_MMAPPED\n"
            "220 or USB_LINUX 189: Wireshark, tshark, dumpcap, usbsim --pcap) into a scenario that\n"
            "replays it: the device's descriptors and strings from the captured enumeration, the\n"
            "control table from the other control transfers, and every IN endpoint's packets with\n"
            "their bytes and times in a recording beside the scenario (docs/recording-format.md).\n"
            "Exit 2 with one line for a capture that is truncated, of another link type, holds a\n"
            "transfer in fragments, or has several devices and no --device (they are listed);\n"
            "without the enumeration the files are written with the descriptors to fill in, and\n"
            "exit 2.\n",
    .common = CLI_O(CLI_QUIET),
    .shared_help = (const char *const[CLI_COMMON_COUNT]){
        [CLI_QUIET] = "print nothing when the import succeeds"},
    .opts = imp_opts, .nopts = IMP_OPT_COUNT, .run = cmd_import};

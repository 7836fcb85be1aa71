/* src_libusb — see src_libusb.h. */
#include "driver/src_libusb.h"

#include "sim/clock.h"

#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The IN endpoint read: the configured one, 0x81 by default. */
#define EP_IN in_ep(s)
#define EVENT_WAIT_US 100000

struct srcl {
    struct src_config cfg;
    libusb_context *ctx;
    libusb_device_handle *h;
    struct libusb_transfer *x[SRC_MAX_INFLIGHT];
    uint8_t *buf[SRC_MAX_INFLIGHT];
    int busy[SRC_MAX_INFLIGHT];
    unsigned n_busy;
    uint8_t ep_type;
    int iface, alt; /* where the IN endpoint is: claimed, and selected when alt is not 0 */
    int halted, halt_reported, gone, connected_once, cancelling;
    int64_t down_since, reconnect_at, reconnect_delay;
    const struct src_sink *sink;
    struct src_stats st;
    /* Contexts of earlier scans. libusb may still destroy objects of a context after its device
     * went away, so a context is ended only when the source closes. */
    libusb_context *retired[16];
    unsigned n_retired;
};

static uint8_t in_ep(const struct srcl *s) { return s->cfg.in_ep ? s->cfg.in_ep : 0x81; }

static void emit(struct srcl *s, enum src_event ev, const char *detail)
{
    if (s->sink && s->sink->event)
        s->sink->event(s->sink->ctx, ev, detail);
}

static int matches(const struct srcl *s, libusb_device *d)
{
    struct libusb_device_descriptor dd;
    if (libusb_get_device_descriptor(d, &dd) != 0)
        return 0;
    if (dd.idVendor != s->cfg.libusb.vid || dd.idProduct != s->cfg.libusb.pid)
        return 0;
    if (s->cfg.libusb.bus && libusb_get_bus_number(d) != s->cfg.libusb.bus)
        return 0;
    return !s->cfg.libusb.address || libusb_get_device_address(d) == s->cfg.libusb.address;
}

/* Finds the IN endpoint in the active configuration (the first alternate setting that has it):
 * its transfer type, interface and alternate setting; -1 if it has no such endpoint. */
static int endpoint_type(struct srcl *s, libusb_device *d, uint8_t *type)
{
    struct libusb_config_descriptor *cd;
    if (libusb_get_active_config_descriptor(d, &cd) != 0)
        return -1;
    int found = -1;
    for (int i = 0; i < cd->bNumInterfaces && found < 0; i++)
        for (int a = 0; a < cd->interface[i].num_altsetting && found < 0; a++) {
            const struct libusb_interface_descriptor *id = &cd->interface[i].altsetting[a];
            for (int e = 0; e < id->bNumEndpoints; e++)
                if (id->endpoint[e].bEndpointAddress == EP_IN) {
                    *type = id->endpoint[e].bmAttributes & 3;
                    s->iface = id->bInterfaceNumber;
                    s->alt = id->bAlternateSetting;
                    found = 0;
                }
        }
    libusb_free_config_descriptor(cd);
    return found;
}

static int claim(struct srcl *s, libusb_device *d, char *err, size_t errlen)
{
    int r = libusb_open(d, &s->h);
    if (r != 0) {
        snprintf(err, errlen, "cannot open %04x:%04x: %s", s->cfg.libusb.vid, s->cfg.libusb.pid,
                 libusb_strerror(r));
        return -1;
    }
    libusb_set_auto_detach_kernel_driver(s->h, 1);
    int cur = 0;
    if (libusb_get_configuration(s->h, &cur) != 0 || cur != 1)
        libusb_set_configuration(s->h, 1);
    s->iface = s->alt = 0;
    r = endpoint_type(s, d, &s->ep_type) != 0 ? LIBUSB_ERROR_NOT_FOUND
                                              : libusb_claim_interface(s->h, s->iface);
    if (r == 0 && s->alt)
        r = libusb_set_interface_alt_setting(s->h, s->iface, s->alt);
    if (r != 0) {
        snprintf(err, errlen, "cannot use interface %d / endpoint 0x%02x of %04x:%04x: %s",
                 s->iface, EP_IN, s->cfg.libusb.vid, s->cfg.libusb.pid, libusb_strerror(r));
        libusb_close(s->h);
        s->h = NULL;
        return -1;
    }
    if (s->cfg.start_request.on) { /* the device streams after its start request */
        const uint8_t *q = s->cfg.start_request.setup;
        r = libusb_control_transfer(s->h, q[0], q[1], (uint16_t)(q[2] | q[3] << 8),
                                    (uint16_t)(q[4] | q[5] << 8), NULL, 0, 2000);
        if (r < 0) {
            snprintf(err, errlen, "the start request %02x/%02x to %04x:%04x failed: %s", q[0],
                     q[1], s->cfg.libusb.vid, s->cfg.libusb.pid, libusb_strerror(r));
            libusb_release_interface(s->h, s->iface);
            libusb_close(s->h);
            s->h = NULL;
            return -1;
        }
    }
    return 0;
}

/* A fresh context (no hotplug without udev: a new scan sees devices that came back). */
static void retire_context(struct srcl *s)
{
    if (!s->ctx)
        return;
    if (s->n_retired == sizeof s->retired / sizeof s->retired[0]) {
        libusb_exit(s->retired[0]);
        memmove(s->retired, s->retired + 1, (s->n_retired - 1) * sizeof s->retired[0]);
        s->n_retired--;
    }
    s->retired[s->n_retired++] = s->ctx;
    s->ctx = NULL;
}

static int find_device(struct srcl *s, char *err, size_t errlen)
{
    retire_context(s);
    int r = libusb_init(&s->ctx);
    if (r != 0) {
        snprintf(err, errlen, "libusb cannot start: %s", libusb_strerror(r));
        return -1;
    }
    libusb_device **list;
    ssize_t n = libusb_get_device_list(s->ctx, &list);
    if (n < 0) {
        snprintf(err, errlen, "cannot list USB devices: %s", libusb_strerror((int)n));
        return -1;
    }
    r = -1;
    snprintf(err, errlen, "no USB device %04x:%04x%s found (%zd USB device(s) visible%s)",
             s->cfg.libusb.vid, s->cfg.libusb.pid,
             s->cfg.libusb.bus || s->cfg.libusb.address ? " at the given bus/address" : "", n,
             n == 0 ? "; is this machine's USB stack present?" : "");
    for (ssize_t i = 0; i < n && r != 0; i++)
        if (matches(s, list[i]))
            r = claim(s, list[i], err, errlen);
    libusb_free_device_list(list, 1);
    return r;
}

static void submit_one(struct srcl *s, int i);

static void on_transfer(struct libusb_transfer *t)
{
    struct srcl *s = t->user_data;
    int i = 0;
    while (i < SRC_MAX_INFLIGHT && s->x[i] != t)
        i++;
    if (i == SRC_MAX_INFLIGHT)
        return; /* not one of ours (cannot happen with libusb's contract) */
    s->busy[i] = 0;
    s->n_busy--;
    switch (t->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        if (t->actual_length == 0)
            break; /* a zero-length packet carries no sample (a device may send one to sync) */
        if (s->halt_reported) {
            s->halt_reported = 0;
            emit(s, SRC_EV_HALT_CLEARED, "IN endpoint reading again");
        }
        s->st.packets++;
        s->st.bytes += (uint64_t)t->actual_length;
        if (s->sink && s->sink->packet)
            s->sink->packet(s->sink->ctx, t->buffer, (size_t)t->actual_length,
                            (uint64_t)clk_mono_ns());
        break;
    case LIBUSB_TRANSFER_STALL:
        s->halted = 1;
        if (!s->halt_reported) {
            s->halt_reported = 1;
            s->st.halts++;
            emit(s, SRC_EV_HALTED, "IN endpoint stalled");
        }
        return;
    case LIBUSB_TRANSFER_NO_DEVICE:
        s->gone = 1;
        return;
    case LIBUSB_TRANSFER_CANCELLED:
        return;
    default:
        s->st.errors++;
        char what[64];
        snprintf(what, sizeof what, "IN transfer failed: %s", libusb_error_name((int)t->status));
        emit(s, SRC_EV_ERROR, what);
        break;
    }
    submit_one(s, i);
}

static void submit_one(struct srcl *s, int i)
{
    if (s->halted || s->gone || s->cancelling || !s->h)
        return;
    struct libusb_transfer *t = s->x[i];
    int len = (int)s->cfg.max_packet;
    if (s->ep_type == LIBUSB_TRANSFER_TYPE_BULK)
        libusb_fill_bulk_transfer(t, s->h, EP_IN, s->buf[i], len, on_transfer, s, 0);
    else
        libusb_fill_interrupt_transfer(t, s->h, EP_IN, s->buf[i], len, on_transfer, s, 0);
    int r = libusb_submit_transfer(t);
    if (r == 0) {
        s->busy[i] = 1;
        s->n_busy++;
    } else if (r == LIBUSB_ERROR_NO_DEVICE) {
        s->gone = 1;
    }
}

static void fill(struct srcl *s)
{
    for (unsigned i = 0; i < s->cfg.inflight; i++)
        if (!s->busy[i])
            submit_one(s, (int)i);
}

static void srcl_close(void *impl);

static void *srcl_open(const struct src_config *cfg, char err[SRC_ERR_MAX])
{
    struct srcl *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, SRC_ERR_MAX, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    if (!s->cfg.inflight)
        s->cfg.inflight = SRC_DEFAULT_INFLIGHT;
    if (s->cfg.inflight > SRC_MAX_INFLIGHT)
        s->cfg.inflight = SRC_MAX_INFLIGHT;
    if (!s->cfg.max_packet)
        s->cfg.max_packet = 1024;
    if (!s->cfg.reconnect_min_ns)
        s->cfg.reconnect_min_ns = 10000000LL;
    if (!s->cfg.reconnect_max_ns)
        s->cfg.reconnect_max_ns = 500000000LL;
    if (!s->cfg.give_up_ns)
        s->cfg.give_up_ns = 10000000000LL;
    if (!s->cfg.cancel_wait_ns)
        s->cfg.cancel_wait_ns = 500000000LL;
    s->reconnect_delay = s->cfg.reconnect_min_ns;
    for (unsigned i = 0; i < s->cfg.inflight; i++) {
        s->x[i] = libusb_alloc_transfer(0);
        s->buf[i] = malloc(s->cfg.max_packet);
        if (!s->x[i] || !s->buf[i]) {
            snprintf(err, SRC_ERR_MAX, "out of memory");
            srcl_close(s);
            return NULL;
        }
    }
    if (find_device(s, err, SRC_ERR_MAX) != 0) {
        srcl_close(s);
        return NULL;
    }
    return s;
}

static void release_device(struct srcl *s)
{
    if (!s->h)
        return;
    libusb_release_interface(s->h, s->iface);
    libusb_close(s->h);
    s->h = NULL;
    /* libusb_free_transfer() looks at the transfer's handle: it must not see the closed one. */
    for (unsigned i = 0; i < SRC_MAX_INFLIGHT; i++)
        if (s->x[i] && !s->busy[i])
            s->x[i]->dev_handle = NULL;
}

/* Halt recovery and device loss, once no transfer is outstanding. */
static int recover(struct srcl *s, int64_t now)
{
    if (s->halted && s->n_busy == 0 && !s->gone && s->h) {
        int r = libusb_clear_halt(s->h, EP_IN);
        s->st.clears++;
        if (r == LIBUSB_ERROR_NO_DEVICE)
            s->gone = 1;
        else
            s->halted = 0;
    }
    if (s->gone && s->n_busy == 0 && s->h) {
        release_device(s);
        s->st.disconnects++;
        s->down_since = now;
        s->reconnect_at = now + s->reconnect_delay;
        emit(s, SRC_EV_DISCONNECTED, "device gone");
    }
    if (!s->h && now >= s->reconnect_at) {
        char err[SRC_ERR_MAX];
        if (find_device(s, err, sizeof err) == 0) {
            s->gone = s->halted = 0;
            s->reconnect_delay = s->cfg.reconnect_min_ns;
            s->st.reconnects++;
            emit(s, SRC_EV_RECONNECTED, "device back");
        } else if (now - s->down_since > s->cfg.give_up_ns) {
            emit(s, SRC_EV_ERROR, err);
            return -1;
        } else {
            s->reconnect_at = now + s->reconnect_delay;
            s->reconnect_delay = s->reconnect_delay * 2 > s->cfg.reconnect_max_ns
                                     ? s->cfg.reconnect_max_ns : s->reconnect_delay * 2;
        }
    }
    return 0;
}

static void cancel_all(struct srcl *s)
{
    s->cancelling = 1;
    for (unsigned i = 0; i < s->cfg.inflight; i++)
        if (s->busy[i]) {
            libusb_cancel_transfer(s->x[i]);
            s->st.cancelled++;
        }
}

static void pump(struct srcl *s, int64_t wait_ns)
{
    struct timeval tv = {0, (suseconds_t)(wait_ns / 1000 > EVENT_WAIT_US ? EVENT_WAIT_US
                                                                         : wait_ns / 1000)};
    if (s->ctx)
        libusb_handle_events_timeout_completed(s->ctx, &tv, NULL);
}

static int srcl_run(void *impl, const struct src_sink *sink, int64_t timeout_ns)
{
    struct srcl *s = impl;
    s->sink = sink;
    s->cancelling = 0;
    int64_t now = clk_mono_ns();
    int64_t deadline = timeout_ns > 0 ? now + timeout_ns : INT64_MAX, cancel_end = INT64_MAX;
    if (!s->connected_once && s->h) {
        s->connected_once = 1;
        emit(s, SRC_EV_CONNECTED, "device opened");
    }
    int rc = 0;
    for (;;) {
        now = clk_mono_ns();
        if (s->cfg.stop && *s->cfg.stop && !s->cancelling) {
            cancel_all(s);
            cancel_end = now + s->cfg.cancel_wait_ns;
        }
        if (s->cancelling ? (s->n_busy == 0 || now >= cancel_end) : now >= deadline)
            break;
        if (!s->cancelling && recover(s, now) != 0) {
            rc = -1;
            break;
        }
        if (!s->cancelling)
            fill(s);
        if (s->h || s->n_busy)
            pump(s, (s->cancelling ? cancel_end : deadline) - now);
        else {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    s->sink = NULL;
    return rc;
}

static const struct src_stats *srcl_stats(const void *impl)
{
    return &((const struct srcl *)impl)->st;
}

static void srcl_close(void *impl)
{
    struct srcl *s = impl;
    if (!s)
        return;
    if (s->n_busy) {
        volatile sig_atomic_t stop = 1;
        s->cfg.stop = &stop;
        srcl_run(s, NULL, 0);
    }
    release_device(s);
    for (unsigned i = 0; i < SRC_MAX_INFLIGHT; i++) {
        if (s->busy[i])
            continue; /* never came back: leave it rather than free memory libusb may write */
        libusb_free_transfer(s->x[i]);
        free(s->buf[i]);
    }
    if (s->ctx)
        libusb_exit(s->ctx);
    while (s->n_retired > 0)
        libusb_exit(s->retired[--s->n_retired]);
    free(s);
}

const struct src_ops srcl_ops = {"libusb", srcl_open, srcl_run, srcl_stats, srcl_close};

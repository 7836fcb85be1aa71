/* usbip_server — see usbip_server.h. */
#include "sim/usbip_server.h"

#include "sim/clock.h"

#include <errno.h>
#include <poll.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sim/capture.h"
#include "sim/deadline.h"
#include "sim/packet.h"
#include "sim/usbip_peers.h"
#include "sim/usbip_proto.h"

#define MAX_CONNS 8
#define IN_CAP (UIP_HDR_SIZE + UIP_MAX_TRANSFER)
#define OUT_HIGH (64 * 1024) /* stop reading a peer whose unsent output is above this */
#define BUSNUM 1
#define DEVNUM 2
#define WAIT_MAX_NS 100000000LL /* re-check the stop flag at least this often */
#define MAX_PARKED 64 /* IN requests held on IN endpoints other than the stream's */

enum cstate { C_OP, C_URB, C_DONE };

struct urb {
    uint32_t seqnum;
    uint32_t length;
};

struct usrv_conn {
    int fd;
    enum cstate state;
    char peer[64];
    char reason[128];
    struct upeer_clock clk;
    size_t in_len, out_len, out_cap;
    uint8_t *out;
    struct urb *urbs;
    size_t n_urbs;
    struct { uint32_t seqnum, length; uint8_t ep; } parked[MAX_PARKED]; /* in arrival order */
    size_t n_parked;
    uint8_t in[IN_CAP];
};

struct usrv {
    struct usbdev *dev;
    struct usrv_opts o;
    char busid[UIP_BUSID_SIZE];
    int lfd;
    uint16_t port;
    struct usrv_conn *conns[MAX_CONNS];
    struct usrv_conn *importer;
    int64_t drained_at;
    struct usrv_stats st;
    struct cap *cap;          /* NULL: no capture */
    uint8_t in_xfer;          /* enum cap_xfer of the IN endpoint */
    int32_t in_interval;      /* its bInterval */
};

static void say(const struct usrv *s, int problem, const char *fmt, ...)
{
    if (s->o.quiet && !problem)
        return;
    FILE *f = s->o.log ? s->o.log : stderr;
    va_list ap;
    va_start(ap, fmt);
    fputs("usbip server: ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fflush(f);
}

static uint32_t devid(void) { return (uint32_t)BUSNUM << 16 | DEVNUM; }

static void device_record(const struct usrv *s, struct uip_device *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "/sys/devices/usbsim/%s", s->busid);
    snprintf(d->busid, sizeof d->busid, "%s", s->busid);
    d->busnum = BUSNUM;
    d->devnum = DEVNUM;
    d->speed = usbdev_full_speed(s->dev) ? UIP_SPEED_FULL : UIP_SPEED_HIGH;
    d->vid = usbdev_vid(s->dev);
    d->pid = usbdev_pid(s->dev);
    d->bcd_device = usbdev_bcd_device(s->dev);
    d->config_value = (uint8_t)usbdev_configured(s->dev);
    d->num_configs = 1;
    const struct scn_scenario *sc = usbdev_scenario(s->dev);
    d->dev_class = sc->device.dev_class;
    d->dev_subclass = sc->device.dev_subclass;
    d->dev_protocol = sc->device.dev_protocol;
    if (!sc->device.n_ifaces) {
        d->num_ifaces = 1;
        d->ifaces[0] = (struct uip_iface){0xFF, 0, 0};
        return;
    }
    /* One triple per interface: its alternate setting 0, in number order. */
    for (size_t i = 0; i < sc->device.n_ifaces && i < SCN_MAX_IFACES; i++) {
        const struct scn_iface *f = &sc->device.ifaces[i];
        if (f->alt == 0 && f->number < UIP_MAX_IFACES) {
            d->ifaces[f->number] = (struct uip_iface){f->cls, f->subclass, f->protocol};
            if (f->number >= d->num_ifaces)
                d->num_ifaces = (uint8_t)(f->number + 1);
        }
    }
}

/* ---- capture ---- */

/* The stream endpoint's transfer type and interval, from the configuration descriptor. */
static void capture_endpoint(struct usrv *s)
{
    int n = usbdev_descriptor(s->dev, 2, 0, NULL, 0);
    uint8_t *cfg = n > 0 ? malloc((size_t)n) : NULL;
    s->in_xfer = CAP_INTR;
    if (!cfg)
        return;
    usbdev_descriptor(s->dev, 2, 0, cfg, (size_t)n);
    for (int i = 0; i + 7 <= n && cfg[i] >= 2; i += cfg[i])
        if (cfg[i + 1] == 5 && cfg[i + 2] == usbdev_stream_ep(s->dev)) {
            s->in_xfer = (cfg[i + 3] & 3) == 2 ? CAP_BULK : CAP_INTR;
            s->in_interval = s->in_xfer == CAP_INTR ? cfg[i + 6] : 0;
        }
    free(cfg);
}

/* One usbmon event for URB seqnum on endpoint ep (0x80 | n for IN; control: 0 or 0x80). */
static void capture(struct usrv *s, char type, uint32_t seqnum, uint8_t ep, const uint8_t *setup,
                    int32_t status, uint32_t length, const uint8_t *data, size_t len, int64_t now)
{
    if (!s->cap)
        return;
    int ctrl = (ep & 0x0F) == 0;
    struct cap_urb u = {.id = seqnum, .type = type, .xfer = ctrl ? CAP_CTRL : s->in_xfer,
                        .ep = ep, .devnum = DEVNUM, .busnum = BUSNUM, .has_setup = setup != NULL,
                        .ts_ns = now, .status = status, .length = length, .data = data,
                        .data_len = (uint32_t)len, .interval = ctrl ? 0 : s->in_interval,
                        .xfer_flags = (ep & 0x80) ? CAP_URB_DIR_IN : 0};
    if (setup)
        memcpy(u.setup, setup, 8);
    cap_urb(s->cap, &u);
}

static void capture_submit(struct usrv *s, const struct uip_hdr *h, const uint8_t *out_data,
                           int64_t now)
{
    uint8_t ep = (uint8_t)(h->ep | (h->direction == UIP_DIR_IN ? 0x80 : 0));
    size_t out_len = h->direction == UIP_DIR_IN ? 0 : uip_payload_len(h, 0);
    capture(s, 'S', h->seqnum, ep, h->ep == 0 ? h->u.submit.setup : NULL, CAP_EINPROGRESS,
            (uint32_t)h->u.submit.length, out_data, out_len, now);
}

/* ---- one connection ---- */

struct usrv_conn *usrv_conn_new(struct usrv *s, int fd)
{
    struct usrv_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->urbs = calloc(s->o.max_urbs, sizeof *c->urbs);
    if (!c->urbs) {
        free(c);
        return NULL;
    }
    c->fd = fd;
    snprintf(c->peer, sizeof c->peer, "peer");
    return c;
}

void usrv_conn_free(struct usrv *s, struct usrv_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->state == C_URB && i < c->n_urbs; i++)
        capture(s, 'C', c->urbs[i].seqnum, usbdev_stream_ep(s->dev), NULL, -ESHUTDOWN, 0, NULL, 0,
                clk_mono_ns());
    if (s->importer == c) {
        s->importer = NULL;
        usbdev_host_reset(s->dev);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c->urbs);
    free(c->out);
    free(c);
}

const char *usrv_conn_reason(const struct usrv_conn *c) { return c->reason; }

const uint8_t *usrv_conn_output(const struct usrv_conn *c, size_t *len)
{
    *len = c->out_len;
    return c->out;
}

void usrv_conn_consume(struct usrv_conn *c, size_t n)
{
    if (n > c->out_len)
        n = c->out_len;
    if (n == 0)
        return;
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
}

static int bad_peer(struct usrv *s, struct usrv_conn *c, const char *why)
{
    snprintf(c->reason, sizeof c->reason, "%s", why);
    snprintf(s->st.last_reason, sizeof s->st.last_reason, "%s", why);
    s->st.bad_peers++;
    return -1;
}

/* Reserves n bytes at the end of the output; NULL when out of memory. */
static uint8_t *out_reserve(struct usrv_conn *c, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (!p)
            return NULL;
        c->out = p;
        c->out_cap = cap;
    }
    uint8_t *p = c->out + c->out_len;
    c->out_len += n;
    return p;
}

/* Answers URB seqnum on endpoint ep (0x80 | n for IN; control: 0 or 0x80), and captures it. */
static int ret_submit(struct usrv *s, struct usrv_conn *c, uint32_t seqnum, uint8_t ep,
                      int32_t status, const uint8_t *data, size_t len, int64_t now)
{
    capture(s, 'C', seqnum, ep, NULL, status, (uint32_t)len, data, len, now);
    struct uip_hdr h = {.command = UIP_RET_SUBMIT, .seqnum = seqnum};
    h.u.ret_submit.status = status;
    h.u.ret_submit.actual_length = (int32_t)len;
    uint8_t *p = out_reserve(c, UIP_HDR_SIZE + len);
    if (!p)
        return bad_peer(s, c, "out of memory");
    uip_hdr_encode(p, &h);
    if (len)
        memcpy(p + UIP_HDR_SIZE, data, len);
    s->st.ret_submits++;
    return 0;
}

/* Answers an OUT URB: actual_length n, no data on the wire. */
static int ret_out(struct usrv *s, struct usrv_conn *c, uint32_t seqnum, uint8_t ep,
                   int32_t status, size_t n, int64_t now)
{
    capture(s, 'C', seqnum, ep, NULL, status, (uint32_t)n, NULL, 0, now);
    struct uip_hdr h = {.command = UIP_RET_SUBMIT, .seqnum = seqnum};
    h.u.ret_submit.status = status;
    h.u.ret_submit.actual_length = (int32_t)n;
    uint8_t *p = out_reserve(c, UIP_HDR_SIZE);
    if (!p)
        return bad_peer(s, c, "out of memory");
    uip_hdr_encode(p, &h);
    s->st.ret_submits++;
    return 0;
}

static void pop_urb(struct usrv_conn *c, size_t i)
{
    memmove(&c->urbs[i], &c->urbs[i + 1], (c->n_urbs - i - 1) * sizeof *c->urbs);
    c->n_urbs--;
}

static void pop_parked(struct usrv_conn *c, size_t i)
{
    memmove(&c->parked[i], &c->parked[i + 1], (c->n_parked - i - 1) * sizeof c->parked[0]);
    c->n_parked--;
}

/* The requests held on the other IN endpoints: each endpoint's oldest first, completed when the
 * device has a packet for it (or stalls it). */
static void tick_parked(struct usrv *s, struct usrv_conn *c, int64_t now)
{
    uint8_t small[PKT_MAX_SIZE];
    uint16_t waiting = 0; /* endpoints whose oldest request got NAK: the later ones wait too */
    for (size_t i = 0; c->state == C_URB && i < c->n_parked;) {
        uint8_t ep = c->parked[i].ep;
        if (waiting & 1u << (ep & 0x0F)) {
            i++;
            continue;
        }
        size_t len, cap = c->parked[i].length;
        if (cap > UIP_MAX_TRANSFER)
            cap = UIP_MAX_TRANSFER;
        uint8_t *buf = cap <= sizeof small ? small : malloc(cap);
        if (!buf) {
            bad_peer(s, c, "out of memory");
            return;
        }
        enum usbdev_in r = usbdev_in_request_ep(s->dev, ep, now, buf, cap, &len);
        int32_t status = r == USBDEV_IN_READY ? 0 : r == USBDEV_IN_STALL ? -EPIPE : -EOVERFLOW;
        int rc = r == USBDEV_IN_NAK ? 0 : ret_submit(s, c, c->parked[i].seqnum, ep, status, buf,
                                                      r == USBDEV_IN_READY ? len : 0, now);
        if (buf != small)
            free(buf);
        if (rc != 0)
            return;
        if (r == USBDEV_IN_NAK) {
            waiting |= (uint16_t)(1u << (ep & 0x0F));
            i++;
            continue;
        }
        s->st.stalls += r == USBDEV_IN_STALL;
        pop_parked(c, i);
    }
}

void usrv_conn_tick(struct usrv *s, struct usrv_conn *c, int64_t now)
{
    uint8_t buf[PKT_MAX_SIZE];
    tick_parked(s, c, now);
    while (c->state == C_URB && c->n_urbs > 0) {
        size_t len, cap = c->urbs[0].length < sizeof buf ? c->urbs[0].length : sizeof buf;
        enum usbdev_in r = usbdev_in_request(s->dev, now, buf, cap, &len);
        if (r == USBDEV_IN_NAK)
            return;
        if (r == USBDEV_IN_STALL) {
            s->st.stalls++;
            while (c->n_urbs > 0) {
                if (ret_submit(s, c, c->urbs[0].seqnum, usbdev_stream_ep(s->dev), -EPIPE, NULL, 0,
                               now) != 0)
                    return;
                pop_urb(c, 0);
            }
            return;
        }
        int32_t status = r == USBDEV_IN_READY ? 0 : -EOVERFLOW;
        if (ret_submit(s, c, c->urbs[0].seqnum, usbdev_stream_ep(s->dev), status, buf, len, now) != 0)
            return;
        pop_urb(c, 0);
    }
}

static int answer_devlist(struct usrv *s, struct usrv_conn *c)
{
    struct uip_device d;
    device_record(s, &d);
    size_t n = uip_rep_devlist_size(&d, 1);
    uint8_t *p = out_reserve(c, n);
    if (!p)
        return bad_peer(s, c, "out of memory");
    uip_rep_devlist_encode(p, &d, 1);
    s->st.devlists++;
    c->state = C_DONE;
    return UIP_OP_HDR_SIZE;
}

static int answer_import(struct usrv *s, struct usrv_conn *c, int64_t now)
{
    char busid[UIP_BUSID_SIZE];
    const char *why;
    int r = uip_req_import_decode(c->in, c->in_len, busid, &why);
    if (r <= 0)
        return r < 0 ? bad_peer(s, c, why) : 0;
    uint32_t status = UIP_ST_OK;
    if (strcmp(busid, s->busid) != 0)
        status = UIP_ST_NODEV;
    else if (!usbdev_present(s->dev, now))
        status = UIP_ST_NA;
    else if (s->importer)
        status = UIP_ST_DEV_BUSY;
    struct uip_device d;
    device_record(s, &d);
    uint8_t *p = out_reserve(c, UIP_REP_IMPORT_SIZE);
    if (!p)
        return bad_peer(s, c, "out of memory");
    c->out_len -= UIP_REP_IMPORT_SIZE - uip_rep_import_encode(p, status, &d);
    if (status != UIP_ST_OK) {
        s->st.refused_imports++;
        say(s, 0, "%s: import of '%s' refused (status %u)", c->peer, busid, status);
        c->state = C_DONE;
        return r;
    }
    s->importer = c;
    s->st.imports++;
    c->state = C_URB;
    say(s, 0, "%s imported %s", c->peer, busid);
    return r;
}

static int op_message(struct usrv *s, struct usrv_conn *c, int64_t now)
{
    struct uip_op op;
    const char *why;
    int r = uip_op_decode(c->in, c->in_len, &op, &why);
    if (r <= 0)
        return r < 0 ? bad_peer(s, c, why) : 0;
    if (op.code == UIP_OP_REQ_DEVLIST)
        return answer_devlist(s, c);
    if (op.code == UIP_OP_REQ_IMPORT)
        return answer_import(s, c, now);
    return bad_peer(s, c, "reply code sent as a request");
}

static int control(struct usrv *s, struct usrv_conn *c, const struct uip_hdr *h, int64_t now)
{
    if ((h->direction == UIP_DIR_IN) != ((h->u.submit.setup[0] & 0x80) != 0))
        return bad_peer(s, c, "control direction does not match its setup packet");
    size_t cap = h->direction == UIP_DIR_IN ? (size_t)h->u.submit.length : 0;
    size_t out_len = h->direction == UIP_DIR_OUT ? (size_t)h->u.submit.length : 0;
    size_t len = 0;
    if (cap > 0xFFFF)
        cap = 0xFFFF;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        return bad_peer(s, c, "out of memory");
    enum usbdev_ctrl r = usbdev_control_data(s->dev, now, h->u.submit.setup, c->in + UIP_HDR_SIZE,
                                             out_len, buf, cap, &len);
    int rc;
    if (h->direction == UIP_DIR_IN)
        rc = ret_submit(s, c, h->seqnum, 0x80, r == USBDEV_CTRL_OK ? 0 : -EPIPE, buf, len, now);
    else
        rc = ret_out(s, c, h->seqnum, 0, r == USBDEV_CTRL_OK ? 0 : -EPIPE,
                     r == USBDEV_CTRL_OK ? out_len : 0, now);
    free(buf);
    return rc;
}

/* An IN request on another IN endpoint: held until the device has a packet for it (its own
 * stream, recorded packets, a reply) or the host unlinks it. */
static int park_in(struct usrv *s, struct usrv_conn *c, const struct uip_hdr *h, int64_t now)
{
    if (c->n_parked == MAX_PARKED)
        return bad_peer(s, c, "too many requests queued on the other IN endpoints");
    c->parked[c->n_parked].seqnum = h->seqnum;
    c->parked[c->n_parked].length = (uint32_t)h->u.submit.length;
    c->parked[c->n_parked++].ep = (uint8_t)(0x80 | h->ep);
    tick_parked(s, c, now);
    return 0;
}

/* Data on an OUT endpoint: accepted, counted and logged; its on_data may queue a reply, which
 * a held request then carries at once. */
static int take_out(struct usrv *s, struct usrv_conn *c, const struct uip_hdr *h, int64_t now)
{
    size_t n = (size_t)h->u.submit.length;
    usbdev_out_transfer(s->dev, now, (uint8_t)h->ep, c->in + UIP_HDR_SIZE, n);
    if (ret_out(s, c, h->seqnum, (uint8_t)h->ep, 0, n, now) != 0)
        return -1;
    usrv_conn_tick(s, c, now);
    return 0;
}

static int queue_in(struct usrv *s, struct usrv_conn *c, const struct uip_hdr *h, int64_t now)
{
    if (h->direction != UIP_DIR_IN)
        return bad_peer(s, c, "OUT request on the IN endpoint");
    if (c->n_urbs == s->o.max_urbs)
        return bad_peer(s, c, "too many requests queued");
    for (size_t i = 0; i < c->n_urbs; i++)
        if (c->urbs[i].seqnum == h->seqnum)
            return bad_peer(s, c, "sequence number already queued");
    c->urbs[c->n_urbs++] = (struct urb){h->seqnum, (uint32_t)h->u.submit.length};
    usrv_conn_tick(s, c, now);
    return 0;
}

static int unlink_urb(struct usrv *s, struct usrv_conn *c, const struct uip_hdr *h, int64_t now)
{
    int32_t status = 0;
    s->st.unlinks++;
    for (size_t i = 0; i < c->n_urbs; i++)
        if (c->urbs[i].seqnum == h->u.unlink.seqnum) {
            capture(s, 'C', c->urbs[i].seqnum, usbdev_stream_ep(s->dev), NULL, -ECONNRESET, 0,
                    NULL, 0, now);
            pop_urb(c, i);
            status = -ECONNRESET;
            s->st.unlinked_pending++;
            break;
        }
    for (size_t i = 0; !status && i < c->n_parked; i++)
        if (c->parked[i].seqnum == h->u.unlink.seqnum) {
            capture(s, 'C', c->parked[i].seqnum, c->parked[i].ep, NULL, -ECONNRESET, 0, NULL, 0,
                    now);
            pop_parked(c, i);
            status = -ECONNRESET;
            break;
        }
    struct uip_hdr r = {.command = UIP_RET_UNLINK, .seqnum = h->seqnum};
    r.u.ret_unlink.status = status;
    uint8_t *p = out_reserve(c, UIP_HDR_SIZE);
    if (!p)
        return bad_peer(s, c, "out of memory");
    uip_hdr_encode(p, &r);
    return 0;
}

static int urb_message(struct usrv *s, struct usrv_conn *c, int64_t now)
{
    struct uip_hdr h;
    const char *why;
    int r = uip_hdr_decode(c->in, c->in_len, &h, &why);
    if (r <= 0)
        return r < 0 ? bad_peer(s, c, why) : 0;
    if (h.command != UIP_CMD_SUBMIT && h.command != UIP_CMD_UNLINK)
        return bad_peer(s, c, "reply command sent by the host");
    if (h.devid != devid())
        return bad_peer(s, c, "wrong device id");
    size_t need = UIP_HDR_SIZE + uip_payload_len(&h, 0);
    if (c->in_len < need)
        return 0;
    int rc;
    uint8_t addr = (uint8_t)((h.direction == UIP_DIR_IN ? 0x80 : 0) | (h.ep & 0x0F));
    enum usbdev_ep_kind kind = h.ep > 15 ? USBDEV_EPK_NONE : usbdev_ep_kind(s->dev, addr);
    int stream_num = h.ep == (usbdev_stream_ep(s->dev) & 0x0Fu);
    int known_ep = h.ep == 0 || kind != USBDEV_EPK_NONE;
    if (h.command == UIP_CMD_SUBMIT && known_ep)
        capture_submit(s, &h, c->in + UIP_HDR_SIZE, now);
    if (h.command == UIP_CMD_UNLINK)
        rc = unlink_urb(s, c, &h, now);
    else if (h.ep == 0)
        rc = control(s, c, &h, now);
    else if (kind == USBDEV_EPK_STREAM || (stream_num && kind == USBDEV_EPK_NONE))
        rc = queue_in(s, c, &h, now);
    else if (kind == USBDEV_EPK_IDLE_IN)
        rc = park_in(s, c, &h, now);
    else if (kind == USBDEV_EPK_OUT)
        rc = take_out(s, c, &h, now);
    else
        rc = bad_peer(s, c, "no such endpoint");
    if (rc == 0)
        s->st.urbs++;
    return rc < 0 ? -1 : (int)need;
}

/* Handles every complete message in the input buffer while output has room, then notes on the
 * peer's clock whether it owes the rest of a request it has begun. */
static int process(struct usrv *s, struct usrv_conn *c, int64_t now)
{
    int progressed = 0;
    while (c->state != C_DONE && c->out_len < OUT_HIGH && c->in_len > 0) {
        int r = c->state == C_OP ? op_message(s, c, now) : urb_message(s, c, now);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        progressed = 1;
        memmove(c->in, c->in + r, c->in_len - (size_t)r);
        c->in_len -= (size_t)r;
    }
    int owed = c->state != C_DONE && c->out_len < OUT_HIGH;
    upeer_note_input(&c->clk, owed ? c->in_len : 0, progressed, now);
    return c->state == C_DONE ? 1 : 0;
}

size_t usrv_conn_room(const struct usrv_conn *c)
{
    return c->out_len >= OUT_HIGH || c->state == C_DONE ? 0 : IN_CAP - c->in_len;
}

int usrv_conn_input(struct usrv *s, struct usrv_conn *c, const uint8_t *data, size_t n,
                    int64_t now)
{
    if (n > IN_CAP - c->in_len)
        n = IN_CAP - c->in_len;
    if (n)
        memcpy(c->in + c->in_len, data, n);
    c->in_len += n;
    return process(s, c, now);
}

int usrv_conn_overdue(const struct usrv *s, struct usrv_conn *c, int64_t now, int64_t *next)
{
    upeer_note_output(&c->clk, c->out_len, 0, now);
    if (!upeer_overdue(&c->clk, s->o.peer_timeout_ns, now, next, c->reason, sizeof c->reason))
        return 0;
    return -1;
}

/* ---- the socket side ---- */

struct usrv *usrv_new(struct usbdev *dev, const struct usrv_opts *o, int listen_now, int *env_error,
                      char err[USRV_ERR_MAX])
{
    struct usrv *s = calloc(1, sizeof *s);
    *env_error = 0;
    if (!s) {
        snprintf(err, USRV_ERR_MAX, "out of memory");
        return NULL;
    }
    s->dev = dev;
    s->o = *o;
    s->lfd = -1;
    if (!s->o.listen)
        s->o.listen = USRV_DEFAULT_LISTEN;
    if (!s->o.grace_ns)
        s->o.grace_ns = 200000000LL;
    if (!s->o.linger_ns)
        s->o.linger_ns = 5000000000LL;
    if (!s->o.max_urbs)
        s->o.max_urbs = 128;
    if (s->o.peer_timeout_ns <= 0)
        s->o.peer_timeout_ns = UPEER_TIMEOUT_NS;
    snprintf(s->busid, sizeof s->busid, "%s", o->busid ? o->busid : USRV_DEFAULT_BUSID);
    if (listen_now && (s->lfd = upeer_listen(s->o.listen, &s->port, env_error, err,
                                             USRV_ERR_MAX)) < 0) {
        free(s);
        return NULL;
    }
    s->cap = o->cap;
    if (s->cap)
        capture_endpoint(s);
    return s;
}

uint16_t usrv_port(const struct usrv *s) { return s->port; }
const struct usrv_stats *usrv_stats(const struct usrv *s) { return &s->st; }

/* Closes slot i; why: NULL = silently (the end of the run), else the line logged, as a problem
 * unless the peer simply left or was done. */
static void drop_conn(struct usrv *s, int i, const char *why, int problem)
{
    struct usrv_conn *c = s->conns[i];
    if (why && *why) {
        say(s, problem, "%s disconnected: %s", c->peer, why);
        if (problem)
            snprintf(s->st.last_reason, sizeof s->st.last_reason, "%s", why);
    }
    usrv_conn_free(s, c);
    s->conns[i] = NULL;
}

void usrv_free(struct usrv *s)
{
    if (!s)
        return;
    for (int i = 0; i < MAX_CONNS; i++)
        if (s->conns[i])
            drop_conn(s, i, NULL, 0);
    if (s->lfd >= 0)
        close(s->lfd);
    free(s);
}

/* A free slot, or the oldest peer's that has not imported the device (dropped, reason logged);
 * -1 when every slot holds a peer that may not be dropped. */
static int make_room(struct usrv *s)
{
    int64_t since[MAX_CONNS];
    int may[MAX_CONNS];
    for (int i = 0; i < MAX_CONNS; i++) {
        if (!s->conns[i])
            return i;
        since[i] = s->conns[i]->clk.connected;
        may[i] = s->conns[i] != s->importer;
    }
    int v = upeer_victim(since, may, MAX_CONNS);
    if (v >= 0) {
        char why[128];
        snprintf(why, sizeof why, "its slot went to a new peer (all %d taken; it had not "
                 "imported the device)", MAX_CONNS);
        s->st.evicted++;
        drop_conn(s, v, why, 1);
    }
    return v;
}

/* Accepts what is pending (a bounded number per call): a full table makes room. */
static void accept_some(struct usrv *s, int64_t now)
{
    for (int k = 0; k < MAX_CONNS; k++) {
        char name[64];
        int fd = upeer_accept(s->lfd, name, sizeof name);
        if (fd < 0)
            return;
        int slot = make_room(s);
        struct usrv_conn *c = slot >= 0 ? usrv_conn_new(s, fd) : NULL;
        if (!c) {
            say(s, 1, "%s refused: no slot can be freed for it", name);
            close(fd);
            continue;
        }
        snprintf(c->peer, sizeof c->peer, "%s", name);
        c->clk.connected = now;
        s->conns[slot] = c;
        s->st.accepted++;
    }
}

/* Reads what the peer sent and runs the state machine; -1 = drop (c->reason says why, and
 * *problem whether the peer misbehaved rather than left). */
static int conn_read(struct usrv *s, struct usrv_conn *c, int64_t now, int *problem)
{
    size_t room = usrv_conn_room(c);
    if (room == 0)
        return 0;
    ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
    if (n > 0) {
        c->in_len += (size_t)n;
        return process(s, c, now) < 0 ? -1 : 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    const char *how = n == 0 ? "closed the connection" : "connection failed";
    const char *err = n == 0 ? "" : strerror(errno);
    *problem = c->in_len > 0 || !c->clk.greeted || n < 0;
    if (c->in_len > 0)
        snprintf(c->reason, sizeof c->reason, "%s%s%s mid-request (%zu bytes of it received)",
                 how, *err ? ": " : "", err, c->in_len);
    else
        snprintf(c->reason, sizeof c->reason, "%s%s%s%s", how, *err ? ": " : "", err,
                 c->clk.greeted ? "" : " without a request");
    return -1;
}

static int conn_write(struct usrv *s, struct usrv_conn *c, int64_t now)
{
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            snprintf(c->reason, sizeof c->reason, "send failed: %s", strerror(errno));
            return -1;
        }
        usrv_conn_consume(c, (size_t)n);
        upeer_note_output(&c->clk, c->out_len, 1, now);
    }
    return process(s, c, now) < 0 ? -1 : 0;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* The device goes away: what it already sent still reaches the host (as on a real link, where a
 * completed transfer is the host's), so the output is flushed and the connection shut down in
 * order, never reset with data in flight. Bounded: at most GRACE_CLOSE_NS. */
#define GRACE_CLOSE_NS 200000000LL
static void close_in_order(struct usrv_conn *c)
{
    int64_t until = clk_mono_ns() + GRACE_CLOSE_NS;
    struct pollfd p = {.fd = c->fd, .events = POLLOUT};
    while (c->out_len > 0 && clk_mono_ns() < until && poll(&p, 1, 10) >= 0) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (n > 0)
            usrv_conn_consume(c, (size_t)n);
    }
    shutdown(c->fd, SHUT_WR);
    /* Read (and drop) the host's last requests until it closes: closing with unread input would
     * reset the connection and could destroy data the host has not read yet. */
    p.events = POLLIN;
    char junk[4096];
    while (clk_mono_ns() < until && poll(&p, 1, 10) >= 0) {
        ssize_t n = recv(c->fd, junk, sizeof junk, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
    }
}

/* Device-side changes: a disconnect window closes the importer; queued requests complete. */
static void device_tick(struct usrv *s, int64_t now)
{
    for (int i = 0; i < MAX_CONNS && s->importer && !usbdev_present(s->dev, now); i++)
        if (s->conns[i] == s->importer) {
            s->st.closed_for_disconnect++;
            say(s, 0, "device disconnect (scenario): closing %s", s->importer->peer);
            close_in_order(s->importer);
            drop_conn(s, i, NULL, 0);
        }
    if (s->importer)
        usrv_conn_tick(s, s->importer, now);
}

/* Drops every peer that has overstayed a bound (usbip_peers.h); *wake = the next bound due. */
static void sweep(struct usrv *s, int64_t now, int64_t *wake)
{
    for (int i = 0; i < MAX_CONNS; i++) {
        int64_t next = INT64_MAX;
        if (!s->conns[i])
            continue;
        if (usrv_conn_overdue(s, s->conns[i], now, &next) != 0) {
            s->st.timed_out++;
            drop_conn(s, i, s->conns[i]->reason, 1);
        } else {
            *wake = min64(*wake, next);
        }
    }
}

/* 1 when the run is over (timeline done and drained + grace, or linger spent). */
static int finished(struct usrv *s, int64_t now, int64_t *wake)
{
    int64_t end = usbdev_end_time(s->dev);
    if (end == USBDEV_NEVER || now < end) {
        *wake = end;
        return 0;
    }
    if (!s->drained_at && usbdev_drained(s->dev, now))
        s->drained_at = now;
    int64_t stop_at = end + s->o.linger_ns;
    if (s->drained_at)
        stop_at = min64(stop_at, s->drained_at + s->o.grace_ns);
    *wake = s->drained_at ? stop_at : min64(stop_at, now + 10000000LL);
    return now >= stop_at;
}

/* The listener is always watched: a full table makes room for a newcomer (accept_some). */
/* How soon the next packet must be due for queued requests to leave their input unread. */
#define LAZY_MAX_NS 1000000LL

static int build_pollset(struct usrv *s, struct pollfd *p, int *idx, int lazy_ok)
{
    int n = 0;
    for (int i = 0; i < MAX_CONNS; i++) {
        struct usrv_conn *c = s->conns[i];
        if (!c)
            continue;
        /* An importer with requests queued needs none of its input before the next packet is
         * due, when that is soon (lazy_ok: within LAZY_MAX_NS): it is read when the loop wakes
         * for it, which saves a wake-up per packet at high rates. A control request or OUT data
         * is then answered at most LAZY_MAX_NS late; with the next packet further away, input
         * wakes the loop at once. A hang-up always does. */
        int lazy = lazy_ok && c == s->importer && c->state == C_URB && c->n_urbs > 0;
        short ev = (short)((usrv_conn_room(c) && !lazy ? POLLIN : 0) | (c->out_len ? POLLOUT : 0));
        p[n] = (struct pollfd){c->fd, ev, 0};
        idx[n++] = i;
    }
    p[n] = (struct pollfd){s->lfd, POLLIN, 0};
    idx[n] = -1;
    return n + 1;
}

static void service(struct usrv *s, struct pollfd *p, int *idx, int n, int64_t now)
{
    for (int k = 0; k < n; k++) {
        if (idx[k] < 0)
            continue;
        struct usrv_conn *c = s->conns[idx[k]];
        if (!c)
            continue;
        int bad = 0, problem = 1, lazy = !(p[k].events & POLLIN) && usrv_conn_room(c);
        if (lazy || (p[k].revents & (POLLIN | POLLHUP | POLLERR)))
            bad = conn_read(s, c, now, &problem);
        if (!bad && (p[k].revents & POLLOUT))
            bad = conn_write(s, c, now);
        if (!bad && c->state == C_DONE && c->out_len == 0) {
            if (c->in_len > 0) /* the rest of its input is never read */
                say(s, 1, "%s disconnected: answered; %zu bytes it sent after its request "
                    "ignored", c->peer, c->in_len);
            drop_conn(s, idx[k], NULL, 0);
        } else if (bad) {
            drop_conn(s, idx[k], c->reason[0] ? c->reason : "connection lost", problem);
        }
    }
    /* New peers last: a slot freed above is theirs, and a newcomer never displaces a peer whose
     * events of this round were not handled yet. */
    if (p[n - 1].revents & POLLIN)
        accept_some(s, now);
}

static int stop_requested(const struct usrv *s)
{
    return (s->o.stop[0] && *s->o.stop[0]) || (s->o.stop[1] && *s->o.stop[1]);
}

int usrv_run(struct usrv *s)
{
    struct pollfd p[MAX_CONNS + 1];
    int idx[MAX_CONNS + 1];
    /* Packets are due to the microsecond: wake at the deadline, not up to 50 us after it. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    struct dl_wait dl;
    dl_init(&dl);
    while (!stop_requested(s)) {
        int64_t now = clk_mono_ns(), wake;
        device_tick(s, now);
        if (finished(s, now, &wake))
            break;
        sweep(s, now, &wake);
        int64_t due = usbdev_next_deadline(s->dev, now);
        int n = build_pollset(s, p, idx, due - now <= LAZY_MAX_NS);
        wake = min64(min64(wake, due), now + WAIT_MAX_NS);
        /* device.timing: precise spins the last stretch before a deadline of the device's */
        int r = dl_ppoll(&dl, p, (nfds_t)n, now, wake, wake == due && usbdev_precise(s->dev),
                         s->o.wait_mask);
        if (r < 0 && errno != EINTR) {
            say(s, 1, "poll failed: %s", strerror(errno));
            return -1;
        }
        service(s, p, idx, n, clk_mono_ns());
    }
    return 0;
}

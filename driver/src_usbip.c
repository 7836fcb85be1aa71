/* src_usbip — see src_usbip.h. */
#include "driver/src_usbip.h"

#include "sim/clock.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sim/usbip_proto.h"

#define IN_CAP (UIP_HDR_SIZE + UIP_MAX_TRANSFER)
#define OUT_CAP 8192
#define MAX_PENDING (2 * SRC_MAX_INFLIGHT + 4)
#define CONNECT_WAIT_MS 1000
#define WAIT_MAX_NS 100000000LL
#define CLEAR_PAUSE_MIN 1000000LL
#define CLEAR_PAUSE_MAX 64000000LL
#define ANSWER_WAIT_NS 2000000000LL /* the import and control requests are answered within this */

#define STRING_ASK 255 /* a string descriptor is read with this length, as Linux does */

enum state { S_DOWN, S_IMPORT, S_ENUM, S_CONFIG, S_RUN };
enum pkind { P_FREE, P_IN, P_DESC, P_CONFIG, P_CLEAR, P_START, P_UNLINK };
/* The enumeration's steps (S_ENUM), one GET_DESCRIPTOR each, in this order. */
enum estep { E_DEVICE, E_CONFIG_HEAD, E_CONFIG, E_LANGS, E_STRING };

struct pending {
    enum pkind kind;
    uint32_t seqnum;
    uint32_t target; /* P_UNLINK: the request it cancels */
    int unlinking;   /* P_IN: an unlink was sent */
    size_t want;     /* P_DESC: the bytes asked for */
};

struct srcu {
    struct src_config cfg;
    char host[128], busid[UIP_BUSID_SIZE], port[8];
    int fd;
    enum state state;
    uint32_t devid, next_seq;
    struct pending p[MAX_PENDING];
    unsigned n_in;       /* P_IN entries */
    int halted, halt_reported, clear_sent, connected_once, cancelling;
    int gone; /* the server refused a connection after a session: it ended */
    int64_t clear_pause, next_clear_at, reconnect_at, reconnect_delay, down_since;
    int64_t answer_by;    /* the awaited answer's deadline (0 = none awaited) */
    enum estep step;      /* S_ENUM: the descriptor awaited */
    uint8_t strings[3];   /* S_ENUM: the string indexes the device descriptor names, once each */
    unsigned n_strings, next_string;
    uint16_t lang, total; /* the first language; the configuration's wTotalLength */
    uint8_t config_value; /* the configuration's bConfigurationValue */
    const char *awaited;  /* what it answers */
    size_t in_len, out_len;
    char reason[128];
    struct src_stats st;
    uint8_t out[OUT_CAP];
    uint8_t in[IN_CAP];
};

static void emit(const struct src_sink *sink, enum src_event ev, const char *detail)
{
    if (sink && sink->event)
        sink->event(sink->ctx, ev, detail);
}

static int violation(struct srcu *c, const char *why)
{
    snprintf(c->reason, sizeof c->reason, "%s", why);
    return -1;
}

static void apply_defaults(struct srcu *c, const struct src_config *cfg)
{
    c->cfg = *cfg;
    if (!c->cfg.inflight)
        c->cfg.inflight = SRC_DEFAULT_INFLIGHT;
    if (c->cfg.inflight > SRC_MAX_INFLIGHT)
        c->cfg.inflight = SRC_MAX_INFLIGHT;
    if (!c->cfg.max_packet || c->cfg.max_packet > UIP_MAX_TRANSFER)
        c->cfg.max_packet = 1024;
    if (!c->cfg.reconnect_min_ns)
        c->cfg.reconnect_min_ns = 10000000LL;
    if (!c->cfg.reconnect_max_ns)
        c->cfg.reconnect_max_ns = 500000000LL;
    if (!c->cfg.give_up_ns)
        c->cfg.give_up_ns = 10000000000LL;
    if (!c->cfg.cancel_wait_ns)
        c->cfg.cancel_wait_ns = 500000000LL;
    snprintf(c->host, sizeof c->host, "%s", cfg->usbip.host ? cfg->usbip.host : SRC_USBIP_HOST);
    snprintf(c->busid, sizeof c->busid, "%s",
             cfg->usbip.busid ? cfg->usbip.busid : SRC_USBIP_BUSID);
    snprintf(c->port, sizeof c->port, "%u", cfg->usbip.port ? cfg->usbip.port : SRC_USBIP_PORT);
    c->fd = -1;
    c->next_seq = 1;
    c->reconnect_delay = c->cfg.reconnect_min_ns;
}

/* ---- requests ---- */

static void queue_out(struct srcu *c, const uint8_t *b, size_t n)
{
    if (c->fd < 0 || c->out_len + n > OUT_CAP)
        return; /* no socket (session mode); OUT_CAP holds MAX_PENDING headers */
    memcpy(c->out + c->out_len, b, n);
    c->out_len += n;
}

static struct pending *slot(struct srcu *c, enum pkind kind)
{
    for (size_t i = 0; i < MAX_PENDING; i++)
        if (c->p[i].kind == P_FREE) {
            c->p[i] = (struct pending){.kind = kind, .seqnum = c->next_seq++};
            if (c->next_seq == 0)
                c->next_seq = 1;
            return &c->p[i];
        }
    return NULL;
}

static struct pending *find(struct srcu *c, uint32_t seqnum)
{
    for (size_t i = 0; i < MAX_PENDING; i++)
        if (c->p[i].kind != P_FREE && c->p[i].seqnum == seqnum)
            return &c->p[i];
    return NULL;
}

static void release(struct srcu *c, struct pending *p)
{
    if (p->kind == P_IN)
        c->n_in--;
    p->kind = P_FREE;
}

static int submit(struct srcu *c, enum pkind kind, const uint8_t setup[8])
{
    struct pending *p = slot(c, kind);
    if (!p)
        return -1;
    struct uip_hdr h = {.command = UIP_CMD_SUBMIT, .seqnum = p->seqnum, .devid = c->devid};
    if (kind == P_IN) {
        h.direction = UIP_DIR_IN;
        h.ep = (c->cfg.in_ep ? c->cfg.in_ep : 0x81) & 0x0F;
        h.u.submit.length = (int32_t)c->cfg.max_packet;
        h.u.submit.interval = 1; /* Linux usbip-host refuses an interrupt URB with interval 0 */
        c->n_in++;
    } else {
        memcpy(h.u.submit.setup, setup, 8);
        if (kind == P_DESC) { /* a control read: its data stage is as long as the setup says */
            h.direction = UIP_DIR_IN;
            p->want = (size_t)setup[6] | (size_t)setup[7] << 8;
            h.u.submit.length = (int32_t)p->want;
        }
    }
    h.u.submit.n_packets = 0;
    uint8_t b[UIP_HDR_SIZE];
    queue_out(c, b, uip_hdr_encode(b, &h));
    return 0;
}

static void fill_in_requests(struct srcu *c)
{
    while (c->state == S_RUN && !c->halted && !c->cancelling && c->n_in < c->cfg.inflight)
        if (submit(c, P_IN, NULL) != 0)
            return;
}

static void await_answer(struct srcu *c, const char *what, int64_t now)
{
    c->awaited = what;
    c->answer_by = now + ANSWER_WAIT_NS;
}

static void send_clear_halt(struct srcu *c, int64_t now)
{
    const uint8_t clear[8] = {0x02, 0x01, 0x00, 0x00, c->cfg.in_ep ? c->cfg.in_ep : 0x81, 0x00, 0x00,
                              0x00};
    submit(c, P_CLEAR, clear);
    await_answer(c, "CLEAR_FEATURE(ENDPOINT_HALT)", now);
    c->clear_sent = 1;
    c->st.clears++;
}

static void cancel_all(struct srcu *c)
{
    c->cancelling = 1;
    for (size_t i = 0; i < MAX_PENDING; i++) {
        if (c->p[i].kind != P_IN || c->p[i].unlinking)
            continue;
        uint32_t target = c->p[i].seqnum;
        c->p[i].unlinking = 1;
        struct pending *u = slot(c, P_UNLINK);
        if (!u)
            return;
        u->target = target;
        struct uip_hdr h = {.command = UIP_CMD_UNLINK, .seqnum = u->seqnum, .devid = c->devid};
        h.u.unlink.seqnum = target;
        uint8_t b[UIP_HDR_SIZE];
        queue_out(c, b, uip_hdr_encode(b, &h));
        c->st.cancelled++;
    }
}

/* ---- replies ---- */

static void got_packet(struct srcu *c, const uint8_t *data, size_t len, int64_t now,
                       const struct src_sink *sink)
{
    if (c->halt_reported) {
        c->halt_reported = 0;
        emit(sink, SRC_EV_HALT_CLEARED, "IN endpoint reading again");
    }
    c->clear_pause = 0;
    c->st.packets++;
    c->st.bytes += len;
    if (sink && sink->packet)
        sink->packet(sink->ctx, data, len, (uint64_t)now);
}

static void got_stall(struct srcu *c, int64_t now, const struct src_sink *sink)
{
    if (!c->halted && c->clear_pause)
        c->next_clear_at = now + c->clear_pause; /* stalled again right after a clear */
    c->halted = 1;
    if (!c->halt_reported) {
        c->halt_reported = 1;
        c->st.halts++;
        emit(sink, SRC_EV_HALTED, "IN endpoint stalled (-EPIPE)");
    }
}

static int in_done(struct srcu *c, struct pending *p, const struct uip_hdr *h,
                   const uint8_t *data, int64_t now, const struct src_sink *sink)
{
    int32_t status = h->u.ret_submit.status;
    release(c, p);
    if (status == 0)
        got_packet(c, data, (size_t)h->u.ret_submit.actual_length, now, sink);
    else if (status == -EPIPE)
        got_stall(c, now, sink);
    else if (status != -ECONNRESET && status != -ENOENT) {
        c->st.errors++;
        char msg[64];
        snprintf(msg, sizeof msg, "IN request failed with status %d", status);
        emit(sink, SRC_EV_ERROR, msg);
    }
    return 0;
}

static void config_done(struct srcu *c, const struct src_sink *sink)
{
    c->state = S_RUN;
    c->halted = c->clear_sent = 0;
    c->answer_by = 0;
    c->reconnect_delay = c->cfg.reconnect_min_ns;
    if (c->connected_once) {
        c->st.reconnects++;
        emit(sink, SRC_EV_RECONNECTED, c->busid);
    } else {
        emit(sink, SRC_EV_CONNECTED, c->busid);
    }
    c->connected_once = 1;
}

/* ---- enumeration: the descriptors Linux reads before it configures a device ---- */

#define DT_DEVICE 1
#define DT_CONFIG 2
#define DT_STRING 3

static uint16_t le16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }

static void get_descriptor(struct srcu *c, enum estep step, uint8_t type, uint8_t index,
                           uint16_t lang, uint16_t len, const char *what, int64_t now)
{
    const uint8_t setup[8] = {0x80, 0x06, index, type, (uint8_t)lang, (uint8_t)(lang >> 8),
                              (uint8_t)len, (uint8_t)(len >> 8)};
    c->step = step;
    await_answer(c, what, now);
    submit(c, P_DESC, setup);
}

static void start_enum(struct srcu *c, int64_t now)
{
    c->state = S_ENUM;
    c->n_strings = c->next_string = 0;
    c->lang = c->total = 0;
    c->config_value = 0;
    get_descriptor(c, E_DEVICE, DT_DEVICE, 0, 0, 18, "GET_DESCRIPTOR(device)", now);
}

static void start_config(struct srcu *c, int64_t now)
{
    const uint8_t set_config[8] = {0x00, 0x09, c->config_value, 0x00, 0x00, 0x00, 0x00, 0x00};
    await_answer(c, "SET_CONFIGURATION", now);
    c->state = S_CONFIG;
    submit(c, P_CONFIG, set_config);
}

/* The next string the device descriptor names (in the first language), or SET_CONFIGURATION
 * once none is left. */
static void next_string(struct srcu *c, int64_t now)
{
    if (c->lang && c->next_string < c->n_strings)
        get_descriptor(c, E_STRING, DT_STRING, c->strings[c->next_string++], c->lang, STRING_ASK,
                       "GET_DESCRIPTOR(string)", now);
    else
        start_config(c, now);
}

static int refused(struct srcu *c, const char *what, int32_t status)
{
    if (status == -EPIPE)
        snprintf(c->reason, sizeof c->reason, "%s stalled", what);
    else
        snprintf(c->reason, sizeof c->reason, "%s failed with status %d", what, (int)status);
    return -1;
}

/* A descriptor's answer: at least min bytes, its bLength within them (and at least min), its
 * type as asked. 0, or -1 with the reason. */
static int check_desc(struct srcu *c, const char *what, const uint8_t *d, size_t len, size_t min,
                      uint8_t type)
{
    if (len < min)
        snprintf(c->reason, sizeof c->reason, "%s too short: %zu bytes (at least %zu)", what, len,
                 min);
    else if (d[1] != type)
        snprintf(c->reason, sizeof c->reason, "%s of type %u (expected %u)", what, d[1], type);
    else if (d[0] < min || d[0] > len)
        snprintf(c->reason, sizeof c->reason, "%s with bLength %u in %zu bytes", what, d[0], len);
    else
        return 0;
    return -1;
}

static void add_string(struct srcu *c, uint8_t index)
{
    for (unsigned i = 0; i < c->n_strings; i++)
        if (c->strings[i] == index)
            return;
    if (index && c->n_strings < sizeof c->strings)
        c->strings[c->n_strings++] = index;
}

/* The answer to the enumeration's current GET_DESCRIPTOR, validated; the next request sent. */
static int desc_done(struct srcu *c, int32_t status, const uint8_t *d, size_t len, int64_t now)
{
    char what[32];
    switch (c->step) {
    case E_DEVICE:
        if (status != 0)
            return refused(c, "GET_DESCRIPTOR(device)", status);
        if (check_desc(c, "the device descriptor", d, len, 18, DT_DEVICE) != 0)
            return -1;
        if (d[17] == 0)
            return violation(c,
                             "the device descriptor has no configuration (bNumConfigurations 0)");
        for (int i = 14; i <= 16; i++) /* iManufacturer, iProduct, iSerialNumber */
            add_string(c, d[i]);
        get_descriptor(c, E_CONFIG_HEAD, DT_CONFIG, 0, 0, 9, "GET_DESCRIPTOR(configuration)", now);
        return 0;
    case E_CONFIG_HEAD:
    case E_CONFIG:
        if (status != 0)
            return refused(c, "GET_DESCRIPTOR(configuration)", status);
        if (check_desc(c, "the configuration descriptor", d, len, 9, DT_CONFIG) != 0)
            return -1;
        if (c->step == E_CONFIG_HEAD) {
            c->total = le16(d + 2);
            if (c->total < d[0]) {
                snprintf(c->reason, sizeof c->reason,
                         "the configuration descriptor's wTotalLength %u is shorter than its "
                         "bLength %u", c->total, d[0]);
                return -1;
            }
            get_descriptor(c, E_CONFIG, DT_CONFIG, 0, 0, c->total, "GET_DESCRIPTOR(configuration)",
                           now);
            return 0;
        }
        if (le16(d + 2) != c->total || len != c->total) {
            snprintf(c->reason, sizeof c->reason,
                     "the configuration descriptor: %zu bytes with wTotalLength %u, after "
                     "wTotalLength %u", len, le16(d + 2), c->total);
            return -1;
        }
        if (d[5] == 0)
            return violation(c, "the configuration's bConfigurationValue is 0 (unconfigured)");
        c->config_value = d[5];
        if (c->n_strings)
            get_descriptor(c, E_LANGS, DT_STRING, 0, 0, STRING_ASK, "GET_DESCRIPTOR(string 0)",
                           now);
        else
            start_config(c, now);
        return 0;
    case E_LANGS:
        if (status == 0) {
            if (check_desc(c, "string descriptor 0", d, len, 2, DT_STRING) != 0)
                return -1;
            c->lang = d[0] >= 4 ? le16(d + 2) : 0; /* none listed: no string is read */
        }
        next_string(c, now); /* a stalled language list: no string is read */
        return 0;
    case E_STRING:
        if (status == 0) { /* a stalled string is skipped */
            snprintf(what, sizeof what, "string descriptor %u", c->strings[c->next_string - 1]);
            if (check_desc(c, what, d, len, 2, DT_STRING) != 0)
                return -1;
            if (d[0] % 2)
                return violation(c, "a string descriptor of odd length (not UTF-16)");
        }
        next_string(c, now);
        return 0;
    }
    return violation(c, "descriptor answered out of turn");
}

static int ctrl_done(struct srcu *c, struct pending *p, int32_t status, const uint8_t *data,
                     size_t len, int64_t now, const struct src_sink *sink)
{
    enum pkind kind = p->kind;
    release(c, p);
    if (kind == P_DESC)
        return desc_done(c, status, data, len, now);
    if (kind == P_CONFIG) {
        if (status != 0)
            return violation(c, "SET_CONFIGURATION refused");
        if (c->cfg.start_request.on) { /* the device streams after its start request */
            await_answer(c, "the start request", now);
            submit(c, P_START, c->cfg.start_request.setup);
            return 0;
        }
        config_done(c, sink);
    } else if (kind == P_START) {
        if (status != 0)
            return violation(c, "the start request refused");
        config_done(c, sink);
    } else {
        c->answer_by = 0;
        c->clear_sent = 0;
        c->halted = 0;
        c->clear_pause = c->clear_pause ? c->clear_pause * 2 : CLEAR_PAUSE_MIN;
        if (c->clear_pause > CLEAR_PAUSE_MAX)
            c->clear_pause = CLEAR_PAUSE_MAX;
        (void)now;
    }
    return 0;
}

static int ret_submit(struct srcu *c, const struct uip_hdr *h, const uint8_t *data, int64_t now,
                      const struct src_sink *sink)
{
    struct pending *p = find(c, h->seqnum);
    if (!p || p->kind == P_UNLINK)
        return violation(c, "reply to a request that is not in flight");
    if (p->kind == P_IN)
        return in_done(c, p, h, data, now, sink);
    return ctrl_done(c, p, h->u.ret_submit.status, data, (size_t)h->u.ret_submit.actual_length,
                     now, sink);
}

static int ret_unlink(struct srcu *c, const struct uip_hdr *h)
{
    struct pending *u = find(c, h->seqnum);
    if (!u || u->kind != P_UNLINK)
        return violation(c, "unlink reply to no unlink request");
    struct pending *target = find(c, u->target);
    release(c, u);
    if (target && target->kind == P_IN && h->u.ret_unlink.status == -ECONNRESET)
        release(c, target);
    return 0;
}

/* Size of the next complete message at the start of the input, 0 if incomplete, -1 if bad. */
static int import_reply(struct srcu *c, int64_t now)
{
    uint32_t status;
    struct uip_device d;
    const char *why;
    int r = uip_rep_import_decode(c->in, c->in_len, &status, &d, &why);
    if (r <= 0)
        return r < 0 ? violation(c, why) : 0;
    if (status != UIP_ST_OK) {
        snprintf(c->reason, sizeof c->reason, "import of %s refused (status %u)", c->busid,
                 status);
        return -2;
    }
    if (strcmp(d.busid, c->busid) != 0)
        return violation(c, "imported a different bus id");
    c->devid = d.busnum << 16 | (d.devnum & 0xFFFF);
    start_enum(c, now);
    return r;
}

static int urb_reply(struct srcu *c, int64_t now, const struct src_sink *sink)
{
    struct uip_hdr h;
    const char *why;
    int r = uip_hdr_decode(c->in, c->in_len, &h, &why);
    if (r <= 0)
        return r < 0 ? violation(c, why) : 0;
    if (h.command == UIP_RET_UNLINK)
        return ret_unlink(c, &h) < 0 ? -1 : UIP_HDR_SIZE;
    if (h.command != UIP_RET_SUBMIT)
        return violation(c, "request command sent by the server");
    struct pending *p = find(c, h.seqnum);
    int reads = p && (p->kind == P_IN || p->kind == P_DESC);
    size_t len = (size_t)h.u.ret_submit.actual_length;
    if (p && !reads && len != 0)
        return violation(c, "data on a control request that reads nothing");
    if (reads && len > (p->kind == P_IN ? c->cfg.max_packet : p->want))
        return violation(c, "more data than requested");
    size_t need = UIP_HDR_SIZE + (reads ? len : 0);
    if (c->in_len < need)
        return 0;
    return ret_submit(c, &h, c->in + UIP_HDR_SIZE, now, sink) < 0 ? -1 : (int)need;
}

static int consume(struct srcu *c, int64_t now, const struct src_sink *sink)
{
    while (c->in_len > 0) {
        int r = c->state == S_IMPORT ? import_reply(c, now) : urb_reply(c, now, sink);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        memmove(c->in, c->in + r, c->in_len - (size_t)r);
        c->in_len -= (size_t)r;
    }
    fill_in_requests(c);
    return 0;
}

int srcu_session_input(struct srcu *c, const uint8_t *data, size_t n, int64_t now,
                       const struct src_sink *sink)
{
    while (n > 0) {
        size_t k = IN_CAP - c->in_len < n ? IN_CAP - c->in_len : n;
        memcpy(c->in + c->in_len, data, k);
        c->in_len += k;
        data += k;
        n -= k;
        if (consume(c, now, sink) != 0)
            return -1;
    }
    return 0;
}

struct srcu *srcu_session_new(const struct src_config *cfg)
{
    struct srcu *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    apply_defaults(c, cfg);
    c->state = S_IMPORT;
    return c;
}

const char *srcu_reason(const struct srcu *c) { return c->reason; }
void srcu_session_free(struct srcu *c) { free(c); }

/* ---- the socket side ---- */

static int tcp_connect(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int rc = fd < 0 ? -1 : connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && fd >= 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        int e = 0;
        socklen_t el = sizeof e;
        rc = poll(&p, 1, CONNECT_WAIT_MS) == 1 &&
                     getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0 ? 0 : -1;
        if (rc != 0)
            errno = e ? e : ETIMEDOUT;
    }
    freeaddrinfo(ai);
    if (rc != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, strerror(e));
        if (fd >= 0)
            close(fd);
        errno = e;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Blocking exchange used once at open: sends req, reads the whole devlist reply. */
static int check_devlist(struct srcu *c, char err[SRC_ERR_MAX])
{
    int fd = tcp_connect(c->host, c->port, err, SRC_ERR_MAX);
    if (fd < 0)
        return -1;
    uint8_t req[UIP_OP_HDR_SIZE];
    struct uip_op op = {UIP_VERSION, UIP_OP_REQ_DEVLIST, 0};
    uip_op_encode(req, &op);
    int rc = send(fd, req, sizeof req, MSG_NOSIGNAL) == (ssize_t)sizeof req ? 0 : -1;
    static uint8_t buf[UIP_OP_HDR_SIZE + 4 + UIP_MAX_DEVICES * (UIP_DEVICE_SIZE + 4 * UIP_MAX_IFACES)];
    struct uip_device devs[UIP_MAX_DEVICES];
    size_t len = 0, n = 0;
    const char *why = "no reply";
    int r = 0;
    int64_t end = clk_mono_ns() + 2000000000LL;
    while (rc == 0 && r == 0 && len < sizeof buf && clk_mono_ns() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) < 0)
            break;
        ssize_t k = recv(fd, buf + len, sizeof buf - len, 0);
        if (k == 0)
            break;
        if (k > 0)
            len += (size_t)k;
        r = uip_rep_devlist_decode(buf, len, devs, UIP_MAX_DEVICES, &n, &why);
    }
    close(fd);
    if (r <= 0) {
        snprintf(err, SRC_ERR_MAX, "%s:%s did not answer the device list: %s", c->host, c->port,
                 r < 0 ? why : "incomplete reply");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(devs[i].busid, c->busid) == 0)
            return 0;
    snprintf(err, SRC_ERR_MAX, "%s:%s exports no device with bus id %s (%zu device(s) listed)",
             c->host, c->port, c->busid, n);
    return -1;
}

static void *srcu_open(const struct src_config *cfg, char err[SRC_ERR_MAX])
{
    struct srcu *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, SRC_ERR_MAX, "out of memory");
        return NULL;
    }
    apply_defaults(c, cfg);
    if (check_devlist(c, err) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

static void go_down(struct srcu *c, int64_t now, const struct src_sink *sink, const char *why)
{
    int was_up = c->state == S_RUN || c->state == S_CONFIG || c->state == S_ENUM;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = S_DOWN;
    c->in_len = c->out_len = 0;
    memset(c->p, 0, sizeof c->p);
    c->n_in = 0;
    c->halted = c->clear_sent = 0;
    c->answer_by = 0;
    if (!c->down_since)
        c->down_since = now;
    c->reconnect_at = now + c->reconnect_delay;
    c->reconnect_delay *= 2;
    if (c->reconnect_delay > c->cfg.reconnect_max_ns)
        c->reconnect_delay = c->cfg.reconnect_max_ns;
    if (was_up) {
        c->st.disconnects++;
        emit(sink, SRC_EV_DISCONNECTED, why);
    }
}

static void try_connect(struct srcu *c, int64_t now, const struct src_sink *sink)
{
    char err[SRC_ERR_MAX];
    c->fd = tcp_connect(c->host, c->port, err, sizeof err);
    if (c->fd < 0) {
        c->gone = c->connected_once && c->cfg.refused_is_gone && errno == ECONNREFUSED;
        go_down(c, now, sink, err);
        return;
    }
    c->state = S_IMPORT;
    await_answer(c, "the import request", now);
    uint8_t b[UIP_REQ_IMPORT_SIZE];
    queue_out(c, b, uip_req_import_encode(b, c->busid));
}

static int flush_out(struct srcu *c)
{
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (n < 0)
            return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    return 0;
}

static int read_in(struct srcu *c, const struct src_sink *sink)
{
    ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
    if (n == 0) {
        snprintf(c->reason, sizeof c->reason, "server closed the connection");
        return -2;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        snprintf(c->reason, sizeof c->reason, "receive failed: %s", strerror(errno));
        return -2;
    }
    c->in_len += (size_t)n;
    return consume(c, clk_mono_ns(), sink);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* One pass of the client's own timers; 1 when run must return, with *rc set. */
static int housekeeping(struct srcu *c, int64_t now, int64_t deadline, int64_t *cancel_end,
                        const struct src_sink *sink, int *rc)
{
    if (c->cfg.stop && *c->cfg.stop && !c->cancelling) {
        cancel_all(c);
        *cancel_end = now + c->cfg.cancel_wait_ns;
    }
    if (c->cancelling && (c->n_in == 0 || c->fd < 0 || now >= *cancel_end)) {
        *rc = 0;
        return 1;
    }
    if (!c->cancelling && now >= deadline) {
        *rc = 0;
        return 1;
    }
    if (c->gone) {
        emit(sink, SRC_EV_GONE, "the USB/IP server has ended (connection refused)");
        *rc = -1;
        return 1;
    }
    if (c->fd < 0 && c->down_since && now - c->down_since > c->cfg.give_up_ns) {
        emit(sink, SRC_EV_ERROR, "device did not come back; gave up reconnecting");
        *rc = -1;
        return 1;
    }
    if (c->fd < 0 && now >= c->reconnect_at && !c->cancelling)
        try_connect(c, now, sink);
    if (c->state == S_RUN && c->halted && c->n_in == 0 && !c->clear_sent &&
        now >= c->next_clear_at)
        send_clear_halt(c, now);
    if (c->fd >= 0 && c->answer_by && now >= c->answer_by) {
        snprintf(c->reason, sizeof c->reason, "the server did not answer %s within %.0f s",
                 c->awaited, (double)ANSWER_WAIT_NS / 1e9);
        c->st.errors++;
        emit(sink, SRC_EV_ERROR, c->reason);
        go_down(c, now, sink, c->reason);
    }
    return 0;
}

static int srcu_run(void *impl, const struct src_sink *sink, int64_t timeout_ns)
{
    struct srcu *c = impl;
    int64_t start = clk_mono_ns();
    int64_t deadline = timeout_ns > 0 ? start + timeout_ns : INT64_MAX, cancel_end = INT64_MAX;
    int rc = 0;
    c->cancelling = 0;
    if (c->fd < 0 && !c->connected_once)
        c->reconnect_at = start;
    for (;;) {
        int64_t now = clk_mono_ns();
        if (housekeeping(c, now, deadline, &cancel_end, sink, &rc))
            return rc;
        if (c->fd >= 0 && flush_out(c) != 0) {
            go_down(c, now, sink, "send failed");
            continue;
        }
        int64_t wake = min64(min64(deadline, cancel_end), now + WAIT_MAX_NS);
        if (c->answer_by)
            wake = min64(wake, c->answer_by);
        if (c->fd < 0)
            wake = min64(wake, c->reconnect_at);
        else if (c->halted && c->n_in == 0 && !c->clear_sent)
            wake = min64(wake, c->next_clear_at);
        int ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
        struct pollfd p = {c->fd, (short)(POLLIN | (c->out_len ? POLLOUT : 0)), 0};
        if (c->fd < 0) {
            if (ms > 0)
                poll(NULL, 0, ms);
            continue;
        }
        if (poll(&p, 1, ms) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        int r = read_in(c, sink);
        if (r == -1) {
            c->st.errors++;
            emit(sink, SRC_EV_ERROR, c->reason);
        }
        if (r < 0)
            go_down(c, clk_mono_ns(), sink, c->reason);
        else if (c->state == S_RUN)
            c->down_since = 0;
    }
}

static const struct src_stats *srcu_stats(const void *impl)
{
    return &((const struct srcu *)impl)->st;
}

static void srcu_close(void *impl)
{
    struct srcu *c = impl;
    if (!c)
        return;
    if (c->fd >= 0 && c->n_in > 0) {
        volatile sig_atomic_t stop = 1;
        c->cfg.stop = &stop;
        srcu_run(c, NULL, 0);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

const struct src_ops srcu_ops = {"usbip", srcu_open, srcu_run, srcu_stats, srcu_close};

/* usb_device — see usb_device.h. */
#include "sim/usb_device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/logfmt.h"
#include "sim/packet.h"
#include "sim/rng.h"

#define DESC_DEVICE 1
#define DESC_CONFIG 2
#define DESC_STRING 3
#define DESC_INTERFACE 4
#define DESC_ENDPOINT 5
#define DESC_QUALIFIER 6
#define DESC_HID_REPORT 0x22
#define V1_CFG_LEN (9 + 9 + 7)
/* The strings at their indexes (scn_strings); index 0 is the language list. */
#define HS_BULK_MAX 512
#define FS_MAX_PACKET 64

enum { REQ_GET_STATUS = 0, REQ_CLEAR_FEATURE = 1, REQ_GET_DESCRIPTOR = 6, REQ_GET_CONFIGURATION = 8,
       REQ_SET_CONFIGURATION = 9, REQ_GET_INTERFACE = 10, REQ_SET_INTERFACE = 11 };
enum { WIN_PENDING, WIN_OPEN, WIN_CLOSED };

struct log_row {
    int64_t produce_ns;
    uint8_t fate, drop;
    uint16_t flags;
};

/* A packet waiting on another IN endpoint: a generator's (v = its seq), a recorded one (v = its
 * index in the recording) or an OUT endpoint's reply (v = its offset in the byte pool). */
enum { SEC_GEN, SEC_REC, SEC_REPLY };
struct sec_pkt {
    uint8_t kind;
    uint16_t len; /* SEC_REPLY */
    uint32_t v;
};

/* An IN endpoint other than the stream endpoint. */
struct sec_ep {
    uint8_t addr;
    const struct scn_ep *e;  /* its entry in u->sc */
    uint64_t seed;           /* its generator's (random) */
    uint64_t n_gen;          /* its own stream: the samples due before the duration */
    uint32_t *ridx;          /* replay: its packets' indexes in the recording */
    int64_t *rt;             /* and their times (scaled) */
    size_t rn;
    uint64_t next;           /* the next sample (generator seq, or replay k) */
    struct sec_pkt *fifo;
    uint32_t head, count;
    struct usbdev_ep_stats st;
};

/* One OUT transfer, as device-out.csv writes it. */
struct out_row {
    int64_t t_ns;
    uint32_t len;
    uint8_t ep, n;
    uint8_t b[USBDEV_OUT_LOG_BYTES];
};

struct usbdev {
    struct scn_scenario sc;
    struct sched plan;
    uint8_t dev_desc[18], qual_desc[10];
    uint8_t *cfg_desc;
    size_t cfg_len;
    struct scn_strings strs;
    uint8_t lang_desc[4];
    uint8_t str_desc[SCN_N_STRS][256];
    uint8_t alt[SCN_MAX_IFACES]; /* the current alternate setting of each interface number */
    uint8_t stream_ep;
    int stopped;                 /* a control `action: stop` is in force */
    struct log_row *log;
    uint32_t *fifo;
    uint32_t fifo_cap, fifo_head, fifo_count;
    int started, configured, present, halted, halt_open, gate, drop_gate, gap_pending;
    int64_t t0;
    size_t next_seq;
    int64_t last_sent_seq;
    uint8_t win_state[SCN_MAX_EVENTS];
    struct usbdev_stats st;
    struct sec_ep sec[15];
    size_t n_sec;
    struct out_row *out_log;
    size_t out_n, out_cap;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- descriptors ---- */

static uint8_t interrupt_interval(int64_t period_ns)
{
    int64_t uframes = period_ns / 125000; /* high speed: 2^(bInterval-1) microframes */
    uint8_t b = 1;
    while (b < 16 && ((int64_t)1 << b) <= uframes)
        b++;
    return b;
}

/* Full speed: bInterval in 1 ms frames. */
static uint8_t frame_interval(int64_t period_ns)
{
    int64_t ms = period_ns / 1000000;
    return (uint8_t)(ms < 1 ? 1 : ms > 255 ? 255 : ms);
}

static void build_string(uint8_t *d, const char *s)
{
    size_t n = strlen(s);
    if (n > 126)
        n = 126;
    d[0] = (uint8_t)(2 + 2 * n);
    d[1] = DESC_STRING;
    for (size_t i = 0; i < n; i++)
        put16(d + 2 + 2 * i, (uint8_t)s[i]);
}

static int full_speed(const struct usbdev *u) { return u->sc.device.speed == SCN_SPEED_FULL; }

/* bInterval of endpoint e as the descriptor carries it. */
static uint8_t ep_interval(const struct usbdev *u, const struct scn_ep *e)
{
    if (e->has_interval)
        return e->interval;
    if (e->type == SCN_EP_BULK)
        return 0;
    if (e->address != u->stream_ep)
        return 1;
    return full_speed(u) ? frame_interval(u->sc.device.period_ns)
                         : interrupt_interval(u->sc.device.period_ns);
}

static size_t put_bytes(uint8_t *d, const struct scn_scenario *sc, const struct scn_bytes *b)
{
    const uint8_t *p = scn_bytes_of(sc, b);
    if (!p || !b->len)
        return 0;
    if (d)
        memcpy(d, p, b->len);
    return b->len;
}

/* The configuration descriptor into c (NULL: only its length). */
static size_t build_config(const struct usbdev *u, uint8_t *c)
{
    const struct scn_scenario *sc = &u->sc;
    size_t n = 9;
    unsigned numbers = 0;
    if (!sc->device.n_ifaces) {
        if (c) {
            int bulk = sc->device.endpoint == SCN_EP_BULK;
            uint8_t *i = c + 9, *e = c + 18;
            i[0] = 9; i[1] = DESC_INTERFACE; i[2] = 0; i[3] = 0; i[4] = 1; i[5] = 0xFF; i[6] = 0;
            i[7] = 0; i[8] = 0;
            e[0] = 7; e[1] = DESC_ENDPOINT; e[2] = USBDEV_EP_IN; e[3] = bulk ? 2 : 3;
            if (full_speed(u)) {
                put16(e + 4, (uint16_t)(bulk ? FS_MAX_PACKET : sc->device.packet_size));
                e[6] = bulk ? 0 : frame_interval(sc->device.period_ns);
            } else {
                put16(e + 4, (uint16_t)(bulk ? HS_BULK_MAX : sc->device.packet_size));
                e[6] = bulk ? 0 : interrupt_interval(sc->device.period_ns);
            }
        }
        n = V1_CFG_LEN;
        numbers = 1;
    }
    for (size_t k = 0; k < sc->device.n_ifaces; k++) {
        const struct scn_iface *f = &sc->device.ifaces[k];
        numbers |= 1u << (f->number & 7);
        if (c) {
            uint8_t *i = c + n;
            i[0] = 9; i[1] = DESC_INTERFACE; i[2] = f->number; i[3] = f->alt;
            i[4] = (uint8_t)f->n_eps; i[5] = f->cls; i[6] = f->subclass; i[7] = f->protocol;
            i[8] = u->strs.index[SCN_STR_IFACE0 + k];
        }
        n += 9;
        n += put_bytes(c ? c + n : NULL, sc, &f->extra);
        for (size_t j = 0; j < f->n_eps; j++) {
            const struct scn_ep *ep = &f->eps[j];
            if (c) {
                uint8_t *e = c + n;
                e[0] = 7; e[1] = DESC_ENDPOINT; e[2] = ep->address;
                e[3] = ep->type == SCN_EP_BULK ? 2 : 3;
                put16(e + 4, ep->max_packet);
                e[6] = ep_interval(u, ep);
            }
            n += 7;
            n += put_bytes(c ? c + n : NULL, sc, &ep->extra);
        }
    }
    if (c) {
        unsigned count = 0;
        for (; numbers; numbers &= numbers - 1)
            count++;
        c[0] = 9; c[1] = DESC_CONFIG; put16(c + 2, (uint16_t)n); c[4] = (uint8_t)count; c[5] = 1;
        c[6] = u->strs.index[SCN_STR_CONFIG]; c[7] = sc->device.cfg_attributes; c[8] = (uint8_t)(sc->device.max_power_ma / 2);
    }
    return n;
}

static int build_descriptors(struct usbdev *u)
{
    const struct scn_scenario *sc = &u->sc;
    uint8_t *d = u->dev_desc;
    d[0] = 18; d[1] = DESC_DEVICE; put16(d + 2, sc->device.bcd_usb);
    d[4] = sc->device.dev_class; d[5] = sc->device.dev_subclass; d[6] = sc->device.dev_protocol;
    d[7] = sc->device.max_packet0;
    put16(d + 8, sc->device.vid); put16(d + 10, sc->device.pid);
    put16(d + 12, sc->device.bcd_device);
    char err[SCN_ERR_MAX];
    if (scn_strings(sc, &u->strs, err) != 0)
        return -1;
    d[14] = u->strs.index[SCN_STR_MANUFACTURER]; d[15] = u->strs.index[SCN_STR_PRODUCT];
    d[16] = u->strs.index[SCN_STR_SERIAL]; d[17] = 1;

    uint8_t *q = u->qual_desc;
    q[0] = 10; q[1] = DESC_QUALIFIER; put16(q + 2, sc->device.bcd_usb);
    q[4] = d[4]; q[5] = d[5]; q[6] = d[6]; q[7] = d[7]; q[8] = 1; q[9] = 0;

    u->cfg_len = build_config(u, NULL);
    if (u->cfg_len > 0xFFFF || !(u->cfg_desc = calloc(1, u->cfg_len)))
        return -1;
    build_config(u, u->cfg_desc);

    uint8_t *l = u->lang_desc;
    l[0] = 4; l[1] = DESC_STRING; put16(l + 2, 0x0409);
    for (int i = 0; i < SCN_N_STRS; i++)
        if (u->strs.index[i])
            build_string(u->str_desc[i], u->strs.text[i]);
    return 0;
}

int usbdev_descriptor(const struct usbdev *u, uint8_t type, uint8_t index, uint8_t *buf, size_t cap)
{
    const uint8_t *d = NULL;
    size_t n = 0;
    if (type == DESC_DEVICE && index == 0)
        d = u->dev_desc, n = sizeof u->dev_desc;
    else if (type == DESC_CONFIG && index == 0)
        d = u->cfg_desc, n = u->cfg_len;
    else if (type == DESC_QUALIFIER && index == 0 && !full_speed(u))
        d = u->qual_desc, n = sizeof u->qual_desc;
    else if (type == DESC_STRING && index == 0)
        d = u->lang_desc, n = sizeof u->lang_desc;
    else if (type == DESC_STRING)
        for (int i = 0; i < SCN_N_STRS && !d; i++)
            if (u->strs.index[i] == index)
                d = u->str_desc[i], n = u->str_desc[i][0];
    if (!d)
        return -1;
    if (buf && cap)
        memcpy(buf, d, n < cap ? n : cap);
    return (int)n;
}

/* ---- life cycle ---- */

/* Replay: the recording's packets of x's endpoint, unless it has its own stream. */
static int sec_replay(struct usbdev *u, struct sec_ep *x, char *err)
{
    const struct rec_file *r = u->plan.rec;
    if (!r || x->e->stream.set)
        return 0;
    for (size_t i = 0; i < r->n; i++)
        x->rn += r->p[i].ep == x->addr;
    if (!x->rn)
        return 0;
    x->ridx = malloc(x->rn * sizeof x->ridx[0]);
    x->rt = malloc(x->rn * sizeof x->rt[0]);
    if (!x->ridx || !x->rt) {
        snprintf(err, SCN_ERR_MAX, "out of memory for the %zu recorded packets of endpoint 0x%02x",
                 x->rn, x->addr);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->p[i].ep == x->addr) {
            x->ridx[j] = (uint32_t)i;
            x->rt[j++] = sched_rec_time_ns(&u->plan, i);
        }
    return 0;
}

/* Every IN endpoint listed other than the stream endpoint (the first entry of an address). */
static int build_secondaries(struct usbdev *u, char *err)
{
    const struct scn_scenario *sc = &u->sc;
    for (size_t i = 0; i < sc->device.n_ifaces; i++)
        for (size_t j = 0; j < sc->device.ifaces[i].n_eps; j++) {
            const struct scn_ep *e = &sc->device.ifaces[i].eps[j];
            if (!(e->address & 0x80) || e->address == u->stream_ep ||
                scn_find_ep(sc, e->address, NULL) != e || u->n_sec == 15)
                continue;
            struct sec_ep *x = &u->sec[u->n_sec++];
            x->addr = e->address;
            x->e = e;
            x->st.address = e->address;
            x->seed = rng_derive(rng_derive(sc->seed, RNG_TAG_EP), e->address);
            if (e->stream.set && e->stream.period_ns > 0 && sc->duration_ns > 0)
                x->n_gen = (uint64_t)((sc->duration_ns - 1) / e->stream.period_ns) + 1;
            if (!(x->fifo = calloc(u->fifo_cap, sizeof x->fifo[0]))) {
                snprintf(err, SCN_ERR_MAX, "out of memory for endpoint 0x%02x", e->address);
                return -1;
            }
            if (sec_replay(u, x, err) != 0)
                return -1;
        }
    return 0;
}

struct usbdev *usbdev_new(const struct scn_scenario *sc, char err[SCN_ERR_MAX])
{
    struct usbdev *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, SCN_ERR_MAX, "out of memory");
        return NULL;
    }
    u->sc = *sc;
    if (sched_build(sc, &u->plan, err) != 0) {
        free(u);
        return NULL;
    }
    u->fifo_cap = sc->device.fifo_packets ? sc->device.fifo_packets : 1;
    u->log = calloc(u->plan.n ? u->plan.n : 1, sizeof *u->log);
    u->fifo = calloc(u->fifo_cap, sizeof *u->fifo);
    if (!u->log || !u->fifo) {
        snprintf(err, SCN_ERR_MAX, "out of memory for %zu samples", u->plan.n);
        usbdev_free(u);
        return NULL;
    }
    for (size_t k = 0; k < u->plan.n; k++)
        u->log[k].flags = u->plan.samples[k].flags;
    u->present = 1;
    u->last_sent_seq = -1;
    u->stream_ep = scn_stream_ep(sc);
    if (build_secondaries(u, err) != 0) {
        usbdev_free(u);
        return NULL;
    }
    if (build_descriptors(u) != 0) {
        snprintf(err, SCN_ERR_MAX, "the configuration descriptor (%zu bytes) does not fit: at most "
                 "65535 bytes", u->cfg_len);
        usbdev_free(u);
        return NULL;
    }
    return u;
}

void usbdev_free(struct usbdev *u)
{
    if (!u)
        return;
    sched_free(&u->plan);
    for (size_t i = 0; i < u->n_sec; i++) {
        free(u->sec[i].ridx);
        free(u->sec[i].rt);
        free(u->sec[i].fifo);
    }
    free(u->out_log);
    free(u->cfg_desc);
    free(u->log);
    free(u->fifo);
    free(u);
}

uint16_t usbdev_vid(const struct usbdev *u) { return u->sc.device.vid; }
uint16_t usbdev_pid(const struct usbdev *u) { return u->sc.device.pid; }
uint16_t usbdev_bcd_device(const struct usbdev *u) { return get16(u->dev_desc + 12); }
uint32_t usbdev_packet_size(const struct usbdev *u) { return u->sc.device.packet_size; }
const struct scn_scenario *usbdev_scenario(const struct usbdev *u) { return &u->sc; }
uint8_t usbdev_stream_ep(const struct usbdev *u) { return u->stream_ep; }
int usbdev_full_speed(const struct usbdev *u) { return full_speed(u); }

enum usbdev_ep_kind usbdev_ep_kind(const struct usbdev *u, uint8_t addr)
{
    if (addr == u->stream_ep)
        return USBDEV_EPK_STREAM;
    if (!scn_find_ep(&u->sc, addr, NULL))
        return USBDEV_EPK_NONE;
    return (addr & 0x80) ? USBDEV_EPK_IDLE_IN : USBDEV_EPK_OUT;
}

void usbdev_out_data(struct usbdev *u, uint8_t addr, size_t len)
{
    (void)addr;
    u->st.out_transfers++;
    u->st.out_bytes += len;
}

int usbdev_configured(const struct usbdev *u) { return u->configured; }
int usbdev_started(const struct usbdev *u) { return u->started; }
int64_t usbdev_last_sent(const struct usbdev *u) { return u->last_sent_seq; }
int usbdev_precise(const struct usbdev *u) { return u->sc.device.timing == SCN_TIMING_PRECISE; }
const struct usbdev_stats *usbdev_stats(const struct usbdev *u) { return &u->st; }
const struct sched *usbdev_sched(const struct usbdev *u) { return &u->plan; }

void usbdev_host_reset(struct usbdev *u) { u->configured = 0; }

int64_t usbdev_end_time(const struct usbdev *u)
{
    return u->started ? u->t0 + u->plan.end_ns : USBDEV_NEVER;
}

/* ---- timeline ---- */

static void drop(struct usbdev *u, uint32_t seq, enum sched_drop why)
{
    u->log[seq].fate = USBDEV_FATE_DROPPED;
    u->log[seq].drop = (uint8_t)why;
    u->st.dropped[why]++;
}

void usbdev_lost_in_flight(struct usbdev *u, uint32_t seq, int disconnected)
{
    if (seq >= u->plan.n || u->log[seq].fate != USBDEV_FATE_SENT)
        return;
    u->st.sent--;
    if (disconnected) {
        drop(u, seq, SCHED_DROP_DISCONNECT);
    } else {
        u->log[seq].fate = USBDEV_FATE_QUEUED; /* logged as dropped at the end */
        u->st.in_fifo++;
    }
}

static void lose_fifo(struct usbdev *u)
{
    for (; u->fifo_count; u->fifo_count--) {
        drop(u, u->fifo[u->fifo_head], SCHED_DROP_DISCONNECT);
        u->fifo_head = (u->fifo_head + 1) % u->fifo_cap;
    }
    u->st.in_fifo = 0;
    for (size_t i = 0; i < u->n_sec; i++) { /* a disconnect is the whole device's */
        u->sec[i].st.dropped_disconnect += u->sec[i].count;
        u->sec[i].head = u->sec[i].count = 0;
        u->sec[i].st.in_fifo = 0;
    }
}

/* Another IN endpoint's FIFO takes p, or drops it (the newest) when full. */
static void sec_push(struct usbdev *u, struct sec_ep *x, struct sec_pkt p)
{
    if (!u->present) {
        x->st.dropped_disconnect++;
        return;
    }
    if (x->count == u->fifo_cap) {
        x->st.dropped_fifo++;
        return;
    }
    x->fifo[(x->head + x->count++) % u->fifo_cap] = p;
    x->st.in_fifo = x->count;
}

/* Sample x->next of another IN endpoint: its time from t0, or USBDEV_NEVER when there is none
 * before the duration. */
static int64_t sec_due(const struct usbdev *u, const struct sec_ep *x)
{
    if (x->n_gen)
        return x->next < x->n_gen ? (int64_t)x->next * x->e->stream.period_ns : USBDEV_NEVER;
    if (!x->rn || (!u->plan.rec_loop && x->next >= x->rn))
        return USBDEV_NEVER;
    uint64_t round = x->next / x->rn;
    int64_t r = u->plan.rec_round_ns;
    if (round > 0 && (uint64_t)r > (uint64_t)(INT64_MAX - x->rt[x->rn - 1]) / round)
        return USBDEV_NEVER;
    int64_t t = (int64_t)round * r + x->rt[x->next % x->rn];
    return t < u->plan.end_ns ? t : USBDEV_NEVER;
}

static void sec_produce(struct usbdev *u, struct sec_ep *x)
{
    uint64_t k = x->next++;
    x->st.produced++;
    if (x->n_gen)
        sec_push(u, x, (struct sec_pkt){SEC_GEN, 0, (uint32_t)k});
    else
        sec_push(u, x, (struct sec_pkt){SEC_REC, 0, x->ridx[k % x->rn]});
}

static void produce(struct usbdev *u, int64_t now)
{
    uint32_t seq = (uint32_t)u->next_seq++;
    u->log[seq].produce_ns = now;
    u->st.produced++;
    if (!u->present)
        drop(u, seq, SCHED_DROP_DISCONNECT);
    else if (u->drop_gate || u->stopped)
        drop(u, seq, SCHED_DROP_STALL);
    else if (u->fifo_count == u->fifo_cap)
        drop(u, seq, SCHED_DROP_FIFO);
    else {
        u->fifo[(u->fifo_head + u->fifo_count) % u->fifo_cap] = seq;
        u->fifo_count++;
        u->log[seq].fate = USBDEV_FATE_QUEUED;
        u->st.in_fifo = u->fifo_count;
        if (u->fifo_count > u->st.fifo_max)
            u->st.fifo_max = u->fifo_count;
    }
}

static void window_edge(struct usbdev *u, size_t w, int opening)
{
    enum sched_window_kind k = u->plan.windows[w].kind;
    int d = opening ? 1 : -1;
    u->win_state[w] = opening ? WIN_OPEN : WIN_CLOSED;
    if (opening)
        u->gap_pending = 1;
    switch (k) {
    case SCHED_W_STALL_DROP:
        u->drop_gate += d;
        /* fall through */
    case SCHED_W_STALL_HOLD:
        u->gate += d;
        break;
    case SCHED_W_HALT:
        u->halt_open = opening;
        if (opening)
            u->halted = 1;
        break;
    case SCHED_W_DISCONNECT:
        u->present = !opening;
        if (opening) {
            lose_fifo(u);
            u->configured = 0;
            u->halted = 0;
            u->st.disconnects++;
        }
        break;
    }
}

/* The next pending thing on the timeline (relative time); *w = window index, -1 for a sample,
 * -2 - i for a sample of another IN endpoint u->sec[i]. */
static int64_t next_edge(const struct usbdev *u, int *w)
{
    int64_t best = USBDEV_NEVER;
    *w = -1;
    for (size_t i = 0; i < u->plan.n_windows; i++) {
        int64_t t = u->win_state[i] == WIN_PENDING ? u->plan.windows[i].start_ns
                    : u->win_state[i] == WIN_OPEN  ? u->plan.windows[i].end_ns
                                                   : USBDEV_NEVER;
        if (t < best)
            best = t, *w = (int)i;
    }
    if (u->next_seq < u->plan.n && u->plan.samples[u->next_seq].due_ns < best)
        best = u->plan.samples[u->next_seq].due_ns, *w = -1;
    for (size_t i = 0; i < u->n_sec; i++) {
        int64_t t = sec_due(u, &u->sec[i]);
        if (t < best)
            best = t, *w = -2 - (int)i;
    }
    return best;
}

void usbdev_advance(struct usbdev *u, int64_t now)
{
    if (!u->started)
        return;
    int64_t rel = now - u->t0;
    for (;;) {
        int w;
        int64_t t = next_edge(u, &w);
        if (t == USBDEV_NEVER || t > rel)
            return;
        if (w >= 0)
            window_edge(u, (size_t)w, u->win_state[w] == WIN_PENDING);
        else if (w == -1)
            produce(u, now);
        else
            sec_produce(u, &u->sec[-2 - w]);
    }
}

int64_t usbdev_next_deadline(struct usbdev *u, int64_t now)
{
    usbdev_advance(u, now);
    if (!u->started)
        return USBDEV_NEVER;
    int w;
    int64_t t = next_edge(u, &w);
    return t == USBDEV_NEVER ? USBDEV_NEVER : u->t0 + t;
}

int usbdev_present(struct usbdev *u, int64_t now)
{
    usbdev_advance(u, now);
    return u->present;
}

int usbdev_drained(struct usbdev *u, int64_t now)
{
    usbdev_advance(u, now);
    return u->started && u->next_seq == u->plan.n && u->fifo_count == 0;
}

/* The bytes of sample seq's packet. */
static size_t packet_len(const struct usbdev *u, uint32_t seq)
{
    return u->plan.raw ? sched_payload(&u->plan, seq, NULL, 0) : u->sc.device.packet_size;
}

static size_t send_packet(struct usbdev *u, uint8_t *buf, size_t cap)
{
    uint32_t seq = u->fifo[u->fifo_head];
    u->fifo_head = (u->fifo_head + 1) % u->fifo_cap;
    u->st.in_fifo = --u->fifo_count;
    struct log_row *r = &u->log[seq];
    int64_t gap = (int64_t)seq - u->last_sent_seq - 1;
    if (u->gap_pending)
        r->flags |= PKT_F_AFTER_GAP;
    struct pkt_fields f = {
        .seq = seq,
        .produce_ns = (uint64_t)r->produce_ns,
        .dropped_before = (uint16_t)(gap > 0xFFFF ? 0xFFFF : gap),
        .flags = (uint16_t)(r->flags & ~PKT_F_CORRUPT),
        .stream_id = (uint32_t)u->sc.seed,
    };
    size_t n = u->sc.device.packet_size;
    if (u->plan.raw) { /* the plan's bytes; a corrupt one changed where a receiver sees it */
        n = sched_payload(&u->plan, seq, buf, cap);
        for (size_t i = 0; (r->flags & PKT_F_CORRUPT) && i < n && i < cap; i++)
            buf[i] ^= USBDEV_RAW_CORRUPT;
    } else {
        pkt_encode(buf, n, u->sc.seed, &f, (r->flags & PKT_F_CORRUPT) != 0);
    }
    r->fate = USBDEV_FATE_SENT;
    u->last_sent_seq = seq;
    u->gap_pending = 0;
    u->st.sent++;
    return n;
}

enum usbdev_in usbdev_in_request(struct usbdev *u, int64_t now, uint8_t *buf, size_t cap, size_t *len)
{
    *len = 0;
    usbdev_advance(u, now);
    if (!u->configured || !u->present)
        return USBDEV_IN_STALL;
    if (!u->started) {
        if (u->sc.device.start == SCN_START_ON_REQUEST)
            return USBDEV_IN_NAK; /* waits for the control table's action: start */
        u->started = 1;
        u->t0 = now;
        usbdev_advance(u, now);
    }
    if (u->halted) {
        u->st.stalls_answered++;
        return USBDEV_IN_STALL;
    }
    if (u->gate || u->fifo_count == 0)
        return USBDEV_IN_NAK;
    if (cap < packet_len(u, u->fifo[u->fifo_head]))
        return USBDEV_IN_OVERFLOW;
    *len = send_packet(u, buf, cap);
    return USBDEV_IN_READY;
}

static struct sec_ep *find_sec(struct usbdev *u, uint8_t addr)
{
    for (size_t i = 0; i < u->n_sec; i++)
        if (u->sec[i].addr == addr)
            return &u->sec[i];
    return NULL;
}

/* The bytes of p (at most cap into buf, buf NULL: none); its length. */
static size_t sec_bytes(const struct usbdev *u, const struct sec_ep *x, struct sec_pkt p,
                        uint8_t *buf, size_t cap)
{
    const struct scn_ep_stream *st = &x->e->stream;
    size_t n;
    switch (p.kind) {
    case SEC_GEN:
        n = st->packet_size;
        if (buf)
            sched_gen_bytes(st->payload.generator, x->seed, p.v,
                            scn_bytes_of(&u->sc, &st->payload.pattern), st->payload.pattern.len,
                            buf, n < cap ? n : cap);
        return n;
    case SEC_REC:
        n = u->plan.rec->p[p.v].len;
        if (buf)
            memcpy(buf, rec_bytes(u->plan.rec, p.v), n < cap ? n : cap);
        return n;
    default:
        n = p.len;
        if (buf)
            memcpy(buf, u->sc.device.bytes + p.v, n < cap ? n : cap);
        return n;
    }
}

enum usbdev_in usbdev_in_request_ep(struct usbdev *u, uint8_t addr, int64_t now, uint8_t *buf,
                                    size_t cap, size_t *len)
{
    if (addr == u->stream_ep)
        return usbdev_in_request(u, now, buf, cap, len);
    *len = 0;
    usbdev_advance(u, now);
    struct sec_ep *x = find_sec(u, addr);
    if (!x || !u->configured || !u->present)
        return USBDEV_IN_STALL;
    if (!x->count)
        return USBDEV_IN_NAK;
    struct sec_pkt p = x->fifo[x->head];
    if (cap < sec_bytes(u, x, p, NULL, 0))
        return USBDEV_IN_OVERFLOW;
    *len = sec_bytes(u, x, p, buf, cap);
    x->head = (x->head + 1) % u->fifo_cap;
    x->st.in_fifo = --x->count;
    x->st.sent++;
    return USBDEV_IN_READY;
}

static void out_log_add(struct usbdev *u, int64_t now, uint8_t addr, const uint8_t *data,
                        size_t len)
{
    if (u->out_n == USBDEV_OUT_LOG_MAX) {
        u->st.out_log_dropped++;
        return;
    }
    if (u->out_n == u->out_cap) {
        size_t cap = u->out_cap ? u->out_cap * 2 : 64;
        struct out_row *p = realloc(u->out_log, cap * sizeof *p);
        if (!p) {
            u->st.out_log_dropped++;
            return;
        }
        u->out_log = p;
        u->out_cap = cap;
    }
    struct out_row *r = &u->out_log[u->out_n++];
    r->t_ns = now;
    r->ep = addr;
    r->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    r->n = (uint8_t)(data ? (len < USBDEV_OUT_LOG_BYTES ? len : USBDEV_OUT_LOG_BYTES) : 0);
    if (r->n)
        memcpy(r->b, data, r->n);
}

static void do_action(struct usbdev *u, enum scn_action a, int64_t now);

void usbdev_out_transfer(struct usbdev *u, int64_t now, uint8_t addr, const uint8_t *data,
                         size_t len)
{
    usbdev_advance(u, now);
    usbdev_out_data(u, addr, len);
    out_log_add(u, now, addr, data, len);
    const struct scn_ep *e = (addr & 0x80) ? NULL : scn_find_ep(&u->sc, addr, NULL);
    if (!e || !e->on_data.set)
        return;
    if (e->on_data.has_action) {
        do_action(u, e->on_data.action, now);
        return;
    }
    struct sec_ep *x = find_sec(u, e->on_data.endpoint);
    if (!x)
        return; /* the loader allows only a listed IN endpoint other than the stream's */
    x->st.replies++;
    sec_push(u, x, (struct sec_pkt){SEC_REPLY, e->on_data.reply.len, e->on_data.reply.off});
}

void usbdev_ep_lost_in_flight(struct usbdev *u, uint8_t addr, int disconnected)
{
    struct sec_ep *x = find_sec(u, addr);
    if (!x || !x->st.sent)
        return;
    x->st.sent--;
    if (disconnected)
        x->st.dropped_disconnect++;
    else
        x->st.dropped_end++;
}

size_t usbdev_ep_recorded(const struct usbdev *u, uint8_t addr)
{
    for (size_t i = 0; i < u->n_sec; i++)
        if (u->sec[i].addr == addr)
            return u->sec[i].rn;
    return 0;
}

const struct usbdev_ep_stats *usbdev_ep_stats(const struct usbdev *u, uint8_t addr)
{
    for (size_t i = 0; i < u->n_sec; i++)
        if (u->sec[i].addr == addr)
            return &u->sec[i].st;
    return NULL;
}

/* ---- control ---- */

static void clear_halt(struct usbdev *u)
{
    if (u->halted && !u->halt_open) {
        u->halted = 0;
        u->st.halts_cleared++;
    }
}

static int iface_exists(const struct usbdev *u, uint16_t idx)
{
    if (!u->sc.device.n_ifaces)
        return idx == 0;
    for (size_t k = 0; k < u->sc.device.n_ifaces; k++)
        if (u->sc.device.ifaces[k].number == idx)
            return 1;
    return 0;
}

static enum usbdev_ctrl reply(const void *data, size_t n, uint16_t wlength, uint8_t *buf,
                            size_t cap, size_t *len)
{
    if (n > wlength)
        n = wlength;
    if (n > cap)
        n = cap;
    memcpy(buf, data, n);
    *len = n;
    return USBDEV_CTRL_OK;
}

/* Is addr an endpoint of the configuration (0x81 alone for the default interface)? */
static int known_ep(const struct usbdev *u, uint16_t addr)
{
    return addr <= 0xFF && usbdev_ep_kind(u, (uint8_t)addr) != USBDEV_EPK_NONE;
}

static enum usbdev_ctrl get_status(struct usbdev *u, uint8_t rt, uint16_t idx, uint16_t wl,
                                 uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t st[2] = {0, 0};
    if (rt == 0x80 && (u->sc.device.cfg_attributes & 0x40))
        st[0] = 1; /* self-powered */
    if (rt == 0x81 && (!u->configured || !iface_exists(u, idx)))
        return USBDEV_CTRL_STALL;
    if (rt == 0x82) {
        if (idx != 0 && (!u->configured || !known_ep(u, idx)))
            return USBDEV_CTRL_STALL;
        if (idx == u->stream_ep)
            st[0] = (uint8_t)u->halted;
    }
    return reply(st, 2, wl, buf, cap, len);
}

static enum usbdev_ctrl set_config(struct usbdev *u, uint16_t value)
{
    if (value > 1)
        return USBDEV_CTRL_STALL;
    u->configured = value;
    memset(u->alt, 0, sizeof u->alt);
    if (value)
        clear_halt(u);
    return USBDEV_CTRL_OK;
}

static enum usbdev_ctrl set_interface(struct usbdev *u, uint16_t idx, uint16_t val)
{
    const struct scn_scenario *sc = &u->sc;
    int ok = !sc->device.n_ifaces && idx == 0 && val == 0;
    for (size_t k = 0; k < sc->device.n_ifaces; k++)
        ok |= sc->device.ifaces[k].number == idx && sc->device.ifaces[k].alt == val;
    if (!ok || !u->configured)
        return USBDEV_CTRL_STALL;
    if (idx < SCN_MAX_IFACES)
        u->alt[idx] = (uint8_t)val;
    clear_halt(u);
    return USBDEV_CTRL_OK;
}

static enum usbdev_ctrl standard_request(struct usbdev *u, const uint8_t s[8], uint8_t *buf,
                                       size_t cap, size_t *len)
{
    uint8_t rt = s[0], req = s[1];
    uint16_t val = get16(s + 2), idx = get16(s + 4), wl = get16(s + 6);
    uint8_t one;
    switch (req) {
    case REQ_GET_STATUS:
        if (rt == 0x80 || rt == 0x81 || rt == 0x82)
            return get_status(u, rt, idx, wl, buf, cap, len);
        break;
    case REQ_CLEAR_FEATURE:
        if (rt == 0x02 && val == 0 && (idx == 0 || (known_ep(u, idx) && u->configured))) {
            if (idx == u->stream_ep)
                clear_halt(u);
            return USBDEV_CTRL_OK;
        }
        break;
    case REQ_GET_DESCRIPTOR: {
        if (rt != 0x80)
            break;
        int n = usbdev_descriptor(u, (uint8_t)(val >> 8), (uint8_t)val, NULL, 0);
        if (n < 0)
            break;
        size_t want = (size_t)n < wl ? (size_t)n : wl;
        usbdev_descriptor(u, (uint8_t)(val >> 8), (uint8_t)val, buf, want < cap ? want : cap);
        *len = want < cap ? want : cap;
        return USBDEV_CTRL_OK;
    }
    case REQ_GET_CONFIGURATION:
        one = (uint8_t)u->configured;
        if (rt == 0x80)
            return reply(&one, 1, wl, buf, cap, len);
        break;
    case REQ_SET_CONFIGURATION:
        if (rt == 0x00)
            return set_config(u, val);
        break;
    case REQ_GET_INTERFACE:
        if (rt == 0x81 && u->configured && iface_exists(u, idx)) {
            one = idx < SCN_MAX_IFACES ? u->alt[idx] : 0;
            return reply(&one, 1, wl, buf, cap, len);
        }
        break;
    case REQ_SET_INTERFACE:
        if (rt == 0x01)
            return set_interface(u, idx, val);
        break;
    }
    return USBDEV_CTRL_STALL;
}

/* The first control-table entry that matches the setup packet, or NULL. */
static const struct scn_ctl *table_match(const struct usbdev *u, const uint8_t s[8])
{
    uint16_t val = get16(s + 2), idx = get16(s + 4);
    for (size_t k = 0; k < u->sc.device.n_control && k < SCN_MAX_CONTROL; k++) {
        const struct scn_ctl *c = &u->sc.device.control[k];
        if (c->request_type == s[0] && c->request == s[1] && (!c->has_value || c->value == val) &&
            (!c->has_index || c->index == idx))
            return c;
    }
    return NULL;
}

static void do_action(struct usbdev *u, enum scn_action a, int64_t now)
{
    u->st.actions++;
    if (a == SCN_ACT_START) {
        if (u->stopped)
            u->gap_pending = 1;
        u->stopped = 0;
        if (!u->started) {
            u->started = 1;
            u->t0 = now;
            usbdev_advance(u, now);
        }
    } else {
        u->stopped = 1;
    }
}

static enum usbdev_ctrl table_request(struct usbdev *u, const struct scn_ctl *c, int64_t now,
                                      const uint8_t s[8], size_t out_len, uint8_t *buf,
                                      size_t cap, size_t *len)
{
    u->st.ctrl_table++;
    if (!(s[0] & 0x80) && out_len)
        usbdev_out_data(u, 0, out_len);
    if (c->has_stall)
        return USBDEV_CTRL_STALL;
    if (c->has_action) {
        do_action(u, c->action, now);
        return USBDEV_CTRL_OK;
    }
    const uint8_t *d = scn_bytes_of(&u->sc, &c->reply);
    if ((s[0] & 0x80) && d)
        return reply(d, c->reply.len, get16(s + 6), buf, cap, len);
    return USBDEV_CTRL_OK;
}

enum usbdev_ctrl usbdev_control_data(struct usbdev *u, int64_t now, const uint8_t setup[8],
                                     const uint8_t *out_data, size_t out_len, uint8_t *in_buf,
                                     size_t cap, size_t *in_len)
{
    (void)out_data;
    *in_len = 0;
    usbdev_advance(u, now);
    int out_stage = !(setup[0] & 0x80) && get16(setup + 6) != 0;
    enum usbdev_ctrl r = USBDEV_CTRL_STALL;
    const struct scn_ctl *c = u->present ? table_match(u, setup) : NULL;
    if (c)
        r = table_request(u, c, now, setup, out_stage ? out_len : 0, in_buf, cap, in_len);
    else if (u->present && (setup[0] & 0x60) == 0 && !out_stage)
        r = standard_request(u, setup, in_buf, cap, in_len);
    if (r == USBDEV_CTRL_STALL)
        u->st.ctrl_stalls++;
    return r;
}

enum usbdev_ctrl usbdev_control(struct usbdev *u, int64_t now, const uint8_t setup[8], uint8_t *in_buf,
                            size_t cap, size_t *in_len)
{
    return usbdev_control_data(u, now, setup, NULL, 0, in_buf, cap, in_len);
}

/* ---- log ---- */

enum usbdev_fate usbdev_fate_of(const struct usbdev *u, uint32_t seq, uint8_t *drop_kind, uint16_t *flags)
{
    if (seq >= u->plan.n)
        return USBDEV_FATE_UNPRODUCED;
    if (drop_kind)
        *drop_kind = u->log[seq].drop;
    if (flags)
        *flags = u->log[seq].flags;
    return (enum usbdev_fate)u->log[seq].fate;
}

const char *usbdev_fate_name(enum usbdev_fate f)
{
    static const char *const names[] = {"unproduced", "unsent", "sent", "dropped"};
    _Static_assert(sizeof names / sizeof names[0] == USBDEV_FATE_COUNT, "every fate named");
    return (unsigned)f < USBDEV_FATE_COUNT ? names[f] : "?";
}

_Static_assert((int)SCHED_DROP_COUNT == (int)LF_DROP_END &&
                   (int)SCHED_DROP_FIFO == (int)LF_DROP_FIFO &&
                   (int)SCHED_DROP_DISCONNECT == (int)LF_DROP_DISCONNECT,
               "the model's drop causes are the log's words, then end");

int usbdev_write_log(const struct usbdev *u, FILE *f)
{
    int64_t base = u->started ? u->t0 : 0;
    if (fprintf(f, "%s\n", LF_DEVICE_HEADER) < 0)
        return -1;
    for (size_t k = 0; k < u->plan.n; k++) {
        const struct log_row *r = &u->log[k];
        const char *fate = lf_fate_names[LF_FATE_DROPPED];
        const char *drop = lf_name(lf_drop_names, LF_DROP_COUNT, r->drop);
        if (r->fate == USBDEV_FATE_UNPRODUCED)
            continue; /* the device stopped before it was due: never produced */
        int held = u->plan.samples[k].fate == SCHED_HELD;
        if (r->fate == USBDEV_FATE_QUEUED) /* still in the device FIFO when the device stopped */
            drop = lf_drop_names[LF_DROP_END];
        else if (r->fate == USBDEV_FATE_SENT)
            fate = lf_fate_names[held ? LF_FATE_HELD : LF_FATE_SENT];
        if (fprintf(f, LF_DEVICE_ROW, k,
                    (long long)(base + u->plan.samples[k].due_ns), (long long)r->produce_ns, fate,
                    drop, (unsigned)r->flags) < 0)
            return -1;
    }
    return fflush(f) == 0 ? 0 : -1;
}

int usbdev_write_out_log(const struct usbdev *u, FILE *f)
{
    if (fprintf(f, "%s\n", LF_DEVICE_OUT_HEADER) < 0)
        return -1;
    for (size_t i = 0; i < u->out_n; i++) {
        const struct out_row *r = &u->out_log[i];
        char hex[2 * USBDEV_OUT_LOG_BYTES + 1];
        for (size_t k = 0; k < r->n; k++)
            snprintf(hex + 2 * k, 3, "%02x", r->b[k]);
        hex[2 * r->n] = '\0';
        if (fprintf(f, "%lld,0x%02x,%u,%s\n", (long long)r->t_ns, r->ep, r->len, hex) < 0)
            return -1;
    }
    return fflush(f) == 0 ? 0 : -1;
}

void usbdev_out_log_path(const char *log_path, char *out, size_t cap)
{
    size_t n = strlen(log_path);
    if (n >= 4 && strcmp(log_path + n - 4, ".csv") == 0)
        n -= 4;
    snprintf(out, cap, "%.*s%s", (int)n, log_path, LF_DEVICE_OUT_SUFFIX);
}

static int save_with(const struct usbdev *u, const char *path,
                     int (*write)(const struct usbdev *, FILE *))
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = write(u, f);
    int e = errno;
    if (fclose(f) != 0 && rc == 0)
        return -1;
    errno = e;
    return rc;
}

int usbdev_save_out_log(const struct usbdev *u, const char *log_path)
{
    char path[4096];
    usbdev_out_log_path(log_path, path, sizeof path);
    return save_with(u, path, usbdev_write_out_log);
}

int usbdev_save_log(const struct usbdev *u, const char *path)
{
    return save_with(u, path, usbdev_write_log);
}

/* usb_device — see usb_device.h. */
#include "sim/usb_device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/logfmt.h"
#include "sim/packet.h"

#define DESC_DEVICE 1
#define DESC_CONFIG 2
#define DESC_STRING 3
#define DESC_INTERFACE 4
#define DESC_ENDPOINT 5
#define DESC_QUALIFIER 6
#define CFG_LEN (9 + 9 + 7)
#define N_STRINGS 4 /* 0 = language list, 1..3 */
#define HS_BULK_MAX 512

enum { REQ_GET_STATUS = 0, REQ_CLEAR_FEATURE = 1, REQ_GET_DESCRIPTOR = 6, REQ_GET_CONFIGURATION = 8,
       REQ_SET_CONFIGURATION = 9, REQ_GET_INTERFACE = 10, REQ_SET_INTERFACE = 11 };
enum { WIN_PENDING, WIN_OPEN, WIN_CLOSED };

struct log_row {
    int64_t produce_ns;
    uint8_t fate, drop;
    uint16_t flags;
};

struct usbdev {
    struct scn_scenario sc;
    struct sched plan;
    uint8_t dev_desc[18], cfg_desc[CFG_LEN], qual_desc[10];
    uint8_t str_desc[N_STRINGS][256];
    struct log_row *log;
    uint32_t *fifo;
    uint32_t fifo_cap, fifo_head, fifo_count;
    int started, configured, present, halted, halt_open, gate, drop_gate, gap_pending;
    int64_t t0;
    size_t next_seq;
    int64_t last_sent_seq;
    uint8_t win_state[SCN_MAX_EVENTS];
    struct usbdev_stats st;
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

static void build_descriptors(struct usbdev *u)
{
    const struct scn_scenario *sc = &u->sc;
    uint8_t *d = u->dev_desc;
    d[0] = 18; d[1] = DESC_DEVICE; put16(d + 2, 0x0200);
    d[4] = 0; d[5] = 0; d[6] = 0; d[7] = USBDEV_EP0_SIZE;
    put16(d + 8, sc->device.vid); put16(d + 10, sc->device.pid); put16(d + 12, 0x0100);
    d[14] = 1; d[15] = 2; d[16] = 3; d[17] = 1;

    uint8_t *q = u->qual_desc;
    q[0] = 10; q[1] = DESC_QUALIFIER; put16(q + 2, 0x0200);
    q[4] = 0; q[5] = 0; q[6] = 0; q[7] = USBDEV_EP0_SIZE; q[8] = 1; q[9] = 0;

    uint8_t *c = u->cfg_desc;
    int bulk = sc->device.endpoint == SCN_EP_BULK;
    c[0] = 9; c[1] = DESC_CONFIG; put16(c + 2, CFG_LEN); c[4] = 1; c[5] = 1; c[6] = 0;
    c[7] = 0x80; c[8] = 50;
    uint8_t *i = c + 9;
    i[0] = 9; i[1] = DESC_INTERFACE; i[2] = 0; i[3] = 0; i[4] = 1; i[5] = 0xFF; i[6] = 0; i[7] = 0;
    i[8] = 0;
    uint8_t *e = c + 18;
    e[0] = 7; e[1] = DESC_ENDPOINT; e[2] = USBDEV_EP_IN; e[3] = bulk ? 2 : 3;
    put16(e + 4, (uint16_t)(bulk ? HS_BULK_MAX : sc->device.packet_size));
    e[6] = bulk ? 0 : interrupt_interval(sc->device.period_ns);

    uint8_t *l = u->str_desc[0];
    l[0] = 4; l[1] = DESC_STRING; put16(l + 2, 0x0409);
    char text[128];
    build_string(u->str_desc[1], "usbsim");
    snprintf(text, sizeof text, "usbsim %s", sc->name[0] ? sc->name : "device");
    build_string(u->str_desc[2], text);
    snprintf(text, sizeof text, "%016llX", (unsigned long long)sc->seed);
    build_string(u->str_desc[3], text);
}

int usbdev_descriptor(const struct usbdev *u, uint8_t type, uint8_t index, uint8_t *buf, size_t cap)
{
    const uint8_t *d = NULL;
    size_t n = 0;
    if (type == DESC_DEVICE && index == 0)
        d = u->dev_desc, n = sizeof u->dev_desc;
    else if (type == DESC_CONFIG && index == 0)
        d = u->cfg_desc, n = sizeof u->cfg_desc;
    else if (type == DESC_QUALIFIER && index == 0)
        d = u->qual_desc, n = sizeof u->qual_desc;
    else if (type == DESC_STRING && index < N_STRINGS)
        d = u->str_desc[index], n = u->str_desc[index][0];
    if (!d)
        return -1;
    memcpy(buf, d, n < cap ? n : cap);
    return (int)n;
}

/* ---- life cycle ---- */

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
    build_descriptors(u);
    return u;
}

void usbdev_free(struct usbdev *u)
{
    if (!u)
        return;
    sched_free(&u->plan);
    free(u->log);
    free(u->fifo);
    free(u);
}

uint16_t usbdev_vid(const struct usbdev *u) { return u->sc.device.vid; }
uint16_t usbdev_pid(const struct usbdev *u) { return u->sc.device.pid; }
uint16_t usbdev_bcd_device(const struct usbdev *u) { return get16(u->dev_desc + 12); }
uint32_t usbdev_packet_size(const struct usbdev *u) { return u->sc.device.packet_size; }
int usbdev_configured(const struct usbdev *u) { return u->configured; }
int usbdev_started(const struct usbdev *u) { return u->started; }
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
}

static void produce(struct usbdev *u, int64_t now)
{
    uint32_t seq = (uint32_t)u->next_seq++;
    u->log[seq].produce_ns = now;
    u->st.produced++;
    if (!u->present)
        drop(u, seq, SCHED_DROP_DISCONNECT);
    else if (u->drop_gate)
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

/* The next pending thing on the timeline (relative time); *w = window index or -1 for a sample. */
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
        else
            produce(u, now);
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

static size_t send_packet(struct usbdev *u, uint8_t *buf)
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
    pkt_encode(buf, n, u->sc.seed, &f, (r->flags & PKT_F_CORRUPT) != 0);
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
    if (cap < u->sc.device.packet_size)
        return USBDEV_IN_OVERFLOW;
    *len = send_packet(u, buf);
    return USBDEV_IN_READY;
}

/* ---- control ---- */

static void clear_halt(struct usbdev *u)
{
    if (u->halted && !u->halt_open) {
        u->halted = 0;
        u->st.halts_cleared++;
    }
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

static enum usbdev_ctrl get_status(struct usbdev *u, uint8_t rt, uint16_t idx, uint16_t wl,
                                 uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t st[2] = {0, 0};
    if (rt == 0x81 && (idx != 0 || !u->configured))
        return USBDEV_CTRL_STALL;
    if (rt == 0x82) {
        if (idx == USBDEV_EP_IN && u->configured)
            st[0] = (uint8_t)u->halted;
        else if (idx != 0)
            return USBDEV_CTRL_STALL;
    }
    return reply(st, 2, wl, buf, cap, len);
}

static enum usbdev_ctrl set_config(struct usbdev *u, uint16_t value)
{
    if (value > 1)
        return USBDEV_CTRL_STALL;
    u->configured = value;
    if (value)
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
        if (rt == 0x02 && val == 0 && (idx == 0 || (idx == USBDEV_EP_IN && u->configured))) {
            if (idx == USBDEV_EP_IN)
                clear_halt(u);
            return USBDEV_CTRL_OK;
        }
        break;
    case REQ_GET_DESCRIPTOR: {
        uint8_t tmp[256];
        int n = rt == 0x80 ? usbdev_descriptor(u, (uint8_t)(val >> 8), (uint8_t)val, tmp, sizeof tmp) : -1;
        if (n >= 0)
            return reply(tmp, (size_t)n, wl, buf, cap, len);
        break;
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
        one = 0;
        if (rt == 0x81 && idx == 0 && u->configured)
            return reply(&one, 1, wl, buf, cap, len);
        break;
    case REQ_SET_INTERFACE:
        if (rt == 0x01 && idx == 0 && val == 0 && u->configured) {
            clear_halt(u);
            return USBDEV_CTRL_OK;
        }
        break;
    }
    return USBDEV_CTRL_STALL;
}

enum usbdev_ctrl usbdev_control(struct usbdev *u, int64_t now, const uint8_t setup[8], uint8_t *in_buf,
                            size_t cap, size_t *in_len)
{
    *in_len = 0;
    usbdev_advance(u, now);
    int out_data = !(setup[0] & 0x80) && get16(setup + 6) != 0;
    enum usbdev_ctrl r = USBDEV_CTRL_STALL;
    if (u->present && (setup[0] & 0x60) == 0 && !out_data)
        r = standard_request(u, setup, in_buf, cap, in_len);
    if (r == USBDEV_CTRL_STALL)
        u->st.ctrl_stalls++;
    return r;
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

int usbdev_save_log(const struct usbdev *u, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = usbdev_write_log(u, f);
    int e = errno;
    if (fclose(f) != 0 && rc == 0)
        return -1;
    errno = e;
    return rc;
}

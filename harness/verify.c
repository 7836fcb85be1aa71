/* verify — see verify.h. */
#include "harness/verify.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/packet.h"
#include "sim/rawmatch.h"
#include "sim/schedule.h"

#define NS_PER_S 1000000000LL

/* Up to VFY_LIST_MAX named items, and how many there were in all. */
struct list {
    uint64_t n;
    char items[VFY_LIST_MAX][48];
};

__attribute__((format(printf, 2, 3))) static void list_add(struct list *l, const char *fmt, ...)
{
    if (l->n < VFY_LIST_MAX) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->items[l->n], sizeof(l->items[0]), fmt, ap);
        va_end(ap);
    }
    l->n++;
}

/* "17, 19, 23" or "17, ..., 40 and 5 more" */
static const char *list_text(const struct list *l, char *buf, size_t len)
{
    size_t shown = l->n < VFY_LIST_MAX ? (size_t)l->n : VFY_LIST_MAX;
    buf[0] = '\0';
    for (size_t i = 0; i < shown; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", l->items[i]);
    if (l->n > shown)
        snprintf(buf + strlen(buf), len - strlen(buf), " and %llu more",
                 (unsigned long long)(l->n - shown));
    return buf;
}

/* One failure per non-empty list: "<head>: seq <items><tail>". */
static void list_fail(struct vfy_result *out, enum vfy_kind kind, const struct list *l,
                      const char *head, const char *tail)
{
    char buf[VFY_LIST_MAX * 50];
    if (l->n)
        vfy_add_failure(out, kind, "%s: seq %s%s", head, list_text(l, buf, sizeof(buf)), tail);
}

/* ---- kinds ---- */

#define KIND_NAME_(e, name, doc) [VFY_KIND_##e] = name,
#define KIND_DOC_(e, name, doc) [VFY_KIND_##e] = doc,
static const char *const kind_names[VFY_KIND_COUNT] = {VFY_KIND_MAP(KIND_NAME_)};
static const char *const kind_docs[VFY_KIND_COUNT] = {VFY_KIND_MAP(KIND_DOC_)};
#undef KIND_NAME_
#undef KIND_DOC_

const char *vfy_kind_name(enum vfy_kind kind)
{
    return (unsigned)kind < VFY_KIND_COUNT ? kind_names[kind] : "?";
}

const char *vfy_kind_doc(enum vfy_kind kind)
{
    return (unsigned)kind < VFY_KIND_COUNT ? kind_docs[kind] : "?";
}

int vfy_kind_parse(const char *name, enum vfy_kind *out)
{
    for (int k = 0; name && k < VFY_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (enum vfy_kind)k;
            return 0;
        }
    return -1;
}

/* ---- result life cycle ---- */

void vfy_init(struct vfy_result *out, const struct scn_scenario *sc, const char *backend)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", sc->name);
    snprintf(out->backend, sizeof(out->backend), "%s", backend ? backend : "");
    out->seed = sc->seed;
    out->time_scale = sc->time_scale > 0 ? sc->time_scale : 1.0;
    out->endpoint = scn_stream_ep(sc);
    out->raw = sc->device.framing == SCN_FRAMING_RAW;
    out->pass = true;
    out->doorbells = out->wakeups = out->missed_wakeups = VFY_MISSING;
}

void vfy_add_failure(struct vfy_result *out, enum vfy_kind kind, const char *fmt, ...)
{
    out->pass = false;
    char **f = realloc(out->failures, (out->n_failures + 1) * sizeof(*f));
    if (!f)
        return;
    out->failures = f;
    enum vfy_kind *k = realloc(out->failure_kinds, (out->n_failures + 1) * sizeof(*k));
    if (!k)
        return;
    out->failure_kinds = k;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&f[out->n_failures], fmt, ap) >= 0)
        k[out->n_failures++] = (unsigned)kind < VFY_KIND_COUNT ? kind : VFY_KIND_OTHER;
    va_end(ap);
}

/* Does failure i match what the scenario says it should fail with ("" matches any)? */
static bool matches(const struct vfy_result *r, size_t i, const char *want)
{
    return !*want || strstr(r->failures[i], want) ||
           strcmp(vfy_kind_name(r->failure_kinds[i]), want) == 0;
}

void vfy_apply_expect(const struct scn_scenario *sc, struct vfy_result *r)
{
    const struct scn_expect *e = &sc->expect;
    r->xfail = false;
    if (e->verdict != SCN_VERDICT_FAIL)
        return;
    if (r->pass) {
        vfy_add_failure(r, VFY_KIND_UNEXPECTED_PASS, "meant to fail%s%s%s (expect.verdict: fail), "
                        "but passed", *e->failure ? " with '" : "", e->failure,
                        *e->failure ? "'" : "");
        return;
    }
    for (size_t i = 0; i < r->n_failures && !r->xfail; i++)
        r->xfail = r->failure_kinds[i] != VFY_KIND_UNEXPECTED_PASS && matches(r, i, e->failure);
}

bool vfy_ok(const struct vfy_result *r) { return r->pass || r->xfail; }

void vfy_free(struct vfy_result *out)
{
    for (size_t i = 0; i < out->n_failures; i++)
        free(out->failures[i]);
    free(out->failures);
    free(out->failure_kinds);
    free(out->windows);
    free(out->lost);
    out->failures = NULL;
    out->failure_kinds = NULL;
    out->windows = NULL;
    out->lost = NULL;
    out->n_failures = out->n_windows = out->n_lost = 0;
}

const char *vfy_verdict(const struct vfy_result *r) { return r->pass ? "pass" : "fail"; }

const char *vfy_place_name(enum vfy_place p)
{
    static const char *const name[VFY_PLACE_COUNT] = {"device", "ring", "crc", "unexplained",
                                                      "app", "host", "program"};
    return (unsigned)p < VFY_PLACE_COUNT ? name[p] : "?";
}

/* ---- the check ---- */

enum lost_at { AT_NONE, AT_DEVICE, AT_CRC, AT_RING, AT_UNEXPLAINED, AT_APP, AT_HOST, AT_PROGRAM };

struct seq_state {
    uint32_t delivered, crc_rows, ring_rows, ok_rows;
    uint8_t lost_at; /* enum lost_at */
};

struct ctx {
    const struct scn_scenario *sc;
    const struct rec_run *run;
    struct vfy_result *out;
    struct seq_state *st; /* one per device row */
    uint64_t anon_crc, anon_ring; /* driver rows not tied to a produced seq */
    uint64_t anon_unknown;        /* raw: packets the application could not identify (of anon_crc) */
    double x;                     /* time scale */
};

int64_t vfy_sub_ns(int64_t a, int64_t b)
{
    int64_t d;
    return !__builtin_sub_overflow(a, b, &d) ? d : b < 0 ? INT64_MAX : INT64_MIN;
}

int64_t vfy_add_ns(int64_t a, int64_t b)
{
    int64_t d;
    return !__builtin_add_overflow(a, b, &d) ? d : b > 0 ? INT64_MAX : INT64_MIN;
}

/* Real ns to scenario ns, saturated. */
static int64_t scn_ns(const struct ctx *c, int64_t real_ns)
{
    double v = (double)real_ns * c->x;
    return v >= 0x1p63 ? INT64_MAX : v <= -0x1p63 ? INT64_MIN : llround(v);
}
static double ms(int64_t ns) { return ns / 1e6; }

/* Index of seq in the device log (strictly increasing), or -1. */
static long find_seq(const struct rec_run *r, int64_t seq)
{
    if (r->n_device == 0 || seq < 0)
        return -1;
    int64_t i = seq - r->device[0].seq;
    if (i >= 0 && (size_t)i < r->n_device && r->device[i].seq == seq)
        return (long)i;
    size_t lo = 0, hi = r->n_device;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->device[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_device && r->device[lo].seq == seq ? (long)lo : -1;
}

static void scan_driver(struct ctx *c)
{
    uint64_t unknown = c->run->counters.unknown;
    if (c->run->raw && unknown != REC_MISSING) /* unidentified: rejected, seq unknown */
        c->anon_crc += c->anon_unknown = unknown;
    for (size_t i = 0; i < c->run->n_driver; i++) {
        const struct rec_driver_row *d = &c->run->driver[i];
        long k = find_seq(c->run, d->seq);
        if (d->status == REC_ST_CRC) {
            if (k >= 0)
                c->st[k].crc_rows++;
            else
                c->anon_crc++;
        } else if (d->status == REC_ST_RING_DROP) {
            if (k >= 0)
                c->st[k].ring_rows++;
            else
                c->anon_ring++;
        } else if (d->status == REC_ST_OK && k >= 0) {
            c->st[k].ok_rows++;
        }
    }
}

static void scan_app(struct ctx *c)
{
    struct list unknown = {0}, dup = {0}, reord = {0}, corrupt = {0}, dropped = {0};
    int64_t top = -1;
    for (size_t i = 0; i < c->run->n_app; i++) {
        uint32_t seq = c->run->app[i].seq;
        long k = find_seq(c->run, seq);
        if (k < 0)
            list_add(&unknown, "%u", seq);
        else if (c->st[k].delivered++)
            list_add(&dup, "%u", seq);
        else if ((int64_t)seq < top)
            list_add(&reord, "%u after %lld", seq, (long long)top);
        if (k >= 0 && (c->run->device[k].flags & PKT_F_CORRUPT))
            list_add(&corrupt, "%u", seq);
        if (k >= 0 && c->run->device[k].fate == REC_DROPPED && c->st[k].delivered == 1)
            list_add(&dropped, "%u", seq);
        if ((int64_t)seq > top)
            top = seq;
    }
    c->out->duplicates = dup.n;
    c->out->reordered = reord.n;
    c->out->crc_errors = corrupt.n;
    list_fail(c->out, VFY_KIND_DUPLICATE, &dup, "duplicated", "");
    list_fail(c->out, VFY_KIND_REORDER, &reord, "reordered", "");
    list_fail(c->out, VFY_KIND_CORRUPTION, &corrupt, "corrupted packet delivered (crc_errors)",
              "");
    list_fail(c->out, VFY_KIND_INTEGRITY, &unknown, "delivered but never produced by the device",
              "");
    list_fail(c->out, VFY_KIND_INTEGRITY, &dropped, "delivered but the device log says dropped",
              "");
}

/* Where produced-but-not-delivered row k was lost; pass 0 gives anonymous crc rows to
 * corrupted packets only, pass 1 to the rest. */
static enum lost_at lost_where(struct ctx *c, size_t k, int pass)
{
    const struct seq_state *s = &c->st[k];
    if (c->run->device[k].fate == REC_DROPPED)
        return AT_DEVICE;
    if (s->crc_rows)
        return AT_CRC;
    if (s->ring_rows)
        return AT_RING;
    int corrupt = (c->run->device[k].flags & PKT_F_CORRUPT) != 0;
    if (c->anon_crc && (pass == 1 || corrupt)) {
        c->anon_crc--;
        return AT_CRC;
    }
    if (pass == 1 && c->anon_ring) {
        c->anon_ring--;
        return AT_RING;
    }
    if (pass == 1 && c->run->exec_run) /* rejected by the program, completed, or never */
        return corrupt ? AT_CRC : s->ok_rows ? AT_PROGRAM : AT_HOST;
    if (pass == 1 && s->ok_rows)
        return AT_APP;
    return pass == 1 ? AT_UNEXPLAINED : AT_NONE;
}

static void account_loss(struct ctx *c)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < c->run->n_device; k++)
            if (!c->st[k].delivered && c->st[k].lost_at == AT_NONE)
                c->st[k].lost_at = (uint8_t)lost_where(c, k, pass);
}

/* The packets a host that takes read_ns to read each packet (starting no earlier than the packet
 * may leave the device, nor within `reenum` after a disconnect ends: the host finds the device
 * again)
 * loses at the device's FIFO beyond the plan's own drops: the plan's samples enter the FIFO at
 * their due time, a full FIFO drops the newest. */
static uint64_t fifo_drops_at(const struct sched *plan, uint32_t fifo, int64_t read_ns,
                              int64_t reenum)
{
    int64_t *read = malloc((plan->n + 1) * sizeof *read), last = INT64_MIN;
    size_t head = 0, n = 0;
    uint64_t drops = 0;
    for (size_t k = 0; read && k < plan->n; k++) {
        const struct sched_sample *p = &plan->samples[k];
        if (p->fate == SCHED_DROPPED)
            continue;
        while (head < n && read[head] <= p->due_ns)
            head++;
        if (n - head >= fifo) {
            drops++;
            continue;
        }
        /* The read starts once the host is free and the packet may leave; it takes read_ns. */
        int64_t t = last > p->send_ns ? last : p->send_ns;
        for (size_t w = 0; w < plan->n_windows; w++) {
            const struct sched_window *win = &plan->windows[w];
            if (win->kind == SCHED_W_DISCONNECT && t >= win->start_ns &&
                t < vfy_add_ns(win->end_ns, reenum))
                t = vfy_add_ns(win->end_ns, reenum);
        }
        last = read[n++] = vfy_add_ns(t, read_ns);
    }
    free(read);
    return drops;
}

/* Of the packets lost at the device, those dropped from its FIFO beyond what a host reading one
 * packet every VFY_READ_REAL_NS would lose: the reader fell behind. */
static void behind(struct ctx *c)
{
    struct sched plan;
    char err[SCN_ERR_MAX];
    if (c->run->n_device == 0 || sched_build(c->sc, &plan, err) != 0)
        return;
    uint64_t unplanned = 0;
    for (size_t k = 0; k < c->run->n_device; k++) {
        const struct rec_device_row *d = &c->run->device[k];
        if (c->st[k].lost_at == AT_DEVICE && d->fate == REC_DROPPED && d->drop == REC_DROP_FIFO &&
            d->seq < plan.n && plan.samples[d->seq].fate != SCHED_DROPPED)
            unplanned++;
    }
    /* c->sc is the scenario as run (time-scaled): its plan is in real time. */
    uint64_t host = fifo_drops_at(&plan, c->sc->device.fifo_packets, VFY_READ_REAL_NS,
                                  VFY_REENUM_REAL_NS);
    c->out->lost_behind = unplanned > host ? unplanned - host : 0;
    sched_free(&plan);
}

/* Tallies the loss places and the seq-level failures that go with them. */
static void tally_loss(struct ctx *c)
{
    struct list missing = {0}, unrejected = {0}, extra = {0};
    struct vfy_result *o = c->out;
    for (size_t k = 0; k < c->run->n_device; k++) {
        const struct seq_state *s = &c->st[k];
        uint32_t seq = c->run->device[k].seq;
        int corrupt = (c->run->device[k].flags & PKT_F_CORRUPT) != 0;
        o->lost_accounted.device += s->lost_at == AT_DEVICE;
        o->lost_accounted.crc += s->lost_at == AT_CRC;
        o->lost_accounted.ring += s->lost_at == AT_RING;
        o->lost_accounted.app += s->lost_at == AT_APP;
        o->lost_accounted.host += s->lost_at == AT_HOST;
        o->lost_accounted.program += s->lost_at == AT_PROGRAM;
        if (s->lost_at == AT_UNEXPLAINED)
            list_add(&missing, "%u", seq);
        if (corrupt && s->lost_at != AT_CRC && s->lost_at != AT_DEVICE && !s->delivered)
            list_add(&unrejected, "%u", seq);
        if (s->delivered && (s->crc_rows || s->ring_rows))
            list_add(&extra, "%u", seq);
    }
    o->lost_unexplained = missing.n;
    o->delivered = 0;
    for (size_t k = 0; k < c->run->n_device; k++)
        o->delivered += c->st[k].delivered > 0;
    char head[96];
    snprintf(head, sizeof(head), "%llu packets lost unexplained, missing",
             (unsigned long long)missing.n);
    list_fail(o, VFY_KIND_UNEXPLAINED_LOSS, &missing, head, " (not accounted anywhere)");
    list_fail(o, VFY_KIND_CORRUPTION, &unrejected, c->run->raw ?
              "corrupted packet not detected (the application identified no unknown packet "
              "for it)" : "corrupted packet not rejected by the driver (no crc row)", "");
    list_fail(o, VFY_KIND_ACCOUNTING, &extra, "delivered but also counted lost by the driver",
              "");
    /* Unknown packets were counted into anon_crc last: what is left of it is theirs first. */
    uint64_t unknown = c->anon_crc < c->anon_unknown ? c->anon_crc : c->anon_unknown;
    uint64_t crc = c->anon_crc - unknown;
    if (unknown)
        vfy_add_failure(o, VFY_KIND_ACCOUNTING,
                        "%llu packets the application could not identify (content the device "
                        "never planned) match no lost packet", (unsigned long long)unknown);
    if (crc || c->anon_ring)
        vfy_add_failure(o, VFY_KIND_ACCOUNTING,
                        "driver log: %llu crc and %llu ring-drop rows match no lost packet",
                        (unsigned long long)crc, (unsigned long long)c->anon_ring);
}

/* out->lost: every lost seq with its place and due time, in device-log (seq) order. */
static void list_lost(struct ctx *c)
{
    static const enum vfy_place place[] = {[AT_DEVICE] = VFY_PLACE_DEVICE,
                                           [AT_CRC] = VFY_PLACE_CRC, [AT_RING] = VFY_PLACE_RING,
                                           [AT_UNEXPLAINED] = VFY_PLACE_UNEXPLAINED,
                                           [AT_APP] = VFY_PLACE_APP, [AT_HOST] = VFY_PLACE_HOST,
                                           [AT_PROGRAM] = VFY_PLACE_PROGRAM};
    const struct rec_run *r = c->run;
    size_t n = 0;
    for (size_t k = 0; k < r->n_device; k++)
        n += c->st[k].lost_at != AT_NONE;
    if (n == 0)
        return;
    struct vfy_lost *l = calloc(n, sizeof(*l));
    if (!l) {
        vfy_add_failure(c->out, VFY_KIND_OTHER, "out of memory for %zu lost packets", n);
        return;
    }
    c->out->lost = l;
    for (size_t k = 0; k < r->n_device; k++)
        if (c->st[k].lost_at != AT_NONE)
            c->out->lost[c->out->n_lost++] = (struct vfy_lost){
                .seq = r->device[k].seq,
                .due_ns = scn_ns(c, vfy_sub_ns(r->device[k].due_ns, r->start_ns)),
                .place = place[c->st[k].lost_at]};
}

static uint64_t count_status(const struct rec_run *r, enum rec_status st)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n_driver; i++)
        n += r->driver[i].status == st;
    return n;
}

static void check_counter(struct vfy_result *o, const char *what, uint64_t counter, uint64_t rows)
{
    if (counter != REC_MISSING && counter != rows)
        vfy_add_failure(o, VFY_KIND_ACCOUNTING, "the driver counted %llu %s, its log lists %llu",
                        (unsigned long long)counter, what, (unsigned long long)rows);
}

static void check_loss(struct ctx *c)
{
    struct vfy_result *o = c->out;
    const struct scn_expect *e = &c->sc->expect;
    uint64_t lost = o->lost_accounted.device + o->lost_accounted.ring + o->lost_accounted.crc +
                    o->lost_accounted.app + o->lost_accounted.host + o->lost_accounted.program +
                    o->lost_unexplained;
    char app[96] = ""; /* the places of a user's program, when it lost any */
    if (o->lost_accounted.app)
        snprintf(app, sizeof app, ", app %llu", (unsigned long long)o->lost_accounted.app);
    if (c->run->exec_run)
        snprintf(app, sizeof app, ", host %llu, program %llu",
                 (unsigned long long)o->lost_accounted.host,
                 (unsigned long long)o->lost_accounted.program);
    if (e->has_lost_max && lost > e->lost_max)
        vfy_add_failure(o, VFY_KIND_LOSS, "lost %llu packets with lost_max %llu (device %llu, "
                        "ring %llu, crc %llu%s; unexplained %llu)", (unsigned long long)lost,
                        (unsigned long long)e->lost_max,
                        (unsigned long long)o->lost_accounted.device,
                        (unsigned long long)o->lost_accounted.ring,
                        (unsigned long long)o->lost_accounted.crc, app,
                        (unsigned long long)o->lost_unexplained);
    double ratio = o->produced ? (double)o->delivered / (double)o->produced : 0.0;
    if (e->has_delivered_min_ratio && ratio < e->delivered_min_ratio)
        vfy_add_failure(o, VFY_KIND_LOSS, "delivered %llu/%llu = %.4f below delivered_min_ratio %g",
                        (unsigned long long)o->delivered, (unsigned long long)o->produced, ratio,
                        e->delivered_min_ratio);
    check_counter(o, "ring drops", c->run->counters.ring_drops,
                  count_status(c->run, REC_ST_RING_DROP));
    check_counter(o, "crc rejects", c->run->counters.crc_rejects,
                  count_status(c->run, REC_ST_CRC));
}

/* ---- rate ---- */

static void check_rate_value(struct vfy_result *o, const struct scn_expect *e, double hz)
{
    if (e->has_rate_min && hz < e->rate_min_hz)
        vfy_add_failure(o, VFY_KIND_RATE, "rate %.1f Hz below min %g", hz, e->rate_min_hz);
    if (e->has_rate_max && hz > e->rate_max_hz)
        vfy_add_failure(o, VFY_KIND_RATE, "rate %.1f Hz above max %g", hz, e->rate_max_hz);
}

static void long_run_rate(struct ctx *c)
{
    const struct rec_run *r = c->run;
    const struct scn_expect *e = &c->sc->expect;
    if (r->n_app < 2) {
        if (e->has_rate_min || e->has_rate_max)
            vfy_add_failure(c->out, VFY_KIND_RATE, "rate unknown: %zu packets delivered", r->n_app);
        return;
    }
    int64_t first = r->app[0].recv_ns, last = r->app[0].recv_ns;
    for (size_t i = 1; i < r->n_app; i++) {
        first = r->app[i].recv_ns < first ? r->app[i].recv_ns : first;
        last = r->app[i].recv_ns > last ? r->app[i].recv_ns : last;
    }
    int64_t span = scn_ns(c, vfy_sub_ns(last, first));
    c->out->rate_hz = span > 0 ? (double)(r->n_app - 1) * NS_PER_S / (double)span : 0.0;
    check_rate_value(c->out, e, c->out->rate_hz);
}

/* Whether a device or consumer event is active in [a, b), or ended less than 1 s before a
 * (times from the device start, in the scenario as run). */
static bool disturbed(const struct ctx *c, int64_t a, int64_t b)
{
    int64_t settle = llround(NS_PER_S / c->x);
    for (size_t i = 0; i < c->sc->device.n_events; i++) {
        const struct scn_dev_event *ev = &c->sc->device.events[i];
        if (ev->at_ns < b && vfy_add_ns(vfy_add_ns(ev->at_ns, ev->dur_ns), settle) > a)
            return true;
    }
    for (size_t i = 0; i < c->sc->consumer.n_events; i++) {
        const struct scn_con_event *ev = &c->sc->consumer.events[i];
        if (ev->at_ns < b && vfy_add_ns(vfy_add_ns(ev->at_ns, ev->dur_ns), settle) > a)
            return true;
    }
    return false;
}

static void check_windows(struct ctx *c)
{
    const struct scn_expect *e = &c->sc->expect;
    struct list low = {0}, high = {0};
    for (size_t k = 0; k < c->out->n_windows; k++) {
        const struct vfy_window *w = &c->out->windows[k];
        double hz = (double)w->packets;
        if (w->checked && e->has_rate_min && hz + 1 < e->rate_min_hz)
            list_add(&low, "%lld s (%llu)", (long long)(w->start_ns / NS_PER_S),
                     (unsigned long long)w->packets);
        if (w->checked && e->has_rate_max && hz - 1 > e->rate_max_hz)
            list_add(&high, "%lld s (%llu)", (long long)(w->start_ns / NS_PER_S),
                     (unsigned long long)w->packets);
    }
    char buf[VFY_LIST_MAX * 50];
    if (low.n)
        vfy_add_failure(c->out, VFY_KIND_RATE_WINDOW, "rate below min %g Hz in %llu windows "
                        "of 1 s (1 packet of tolerance): %s", e->rate_min_hz,
                        (unsigned long long)low.n, list_text(&low, buf, sizeof(buf)));
    if (high.n)
        vfy_add_failure(c->out, VFY_KIND_RATE_WINDOW, "rate above max %g Hz in %llu windows "
                        "of 1 s (1 packet of tolerance): %s", e->rate_max_hz,
                        (unsigned long long)high.n, list_text(&high, buf, sizeof(buf)));
}

static void window_rates(struct ctx *c)
{
    double w_real = NS_PER_S / c->x; /* one scenario second, in real ns */
    size_t n = (size_t)floor((double)c->sc->duration_ns / w_real + 1e-9);
    if (n == 0)
        return;
    struct vfy_window *w = calloc(n, sizeof(*w));
    if (!w) {
        vfy_add_failure(c->out, VFY_KIND_OTHER, "out of memory for %zu rate windows", n);
        return;
    }
    for (size_t i = 0; i < c->run->n_app; i++) {
        /* The device's own lateness (built after its due time: the emulator's, on a busy
         * machine) is not the consumer's: a packet counts where it would have arrived. */
        const struct rec_app_row *a = &c->run->app[i];
        long k = find_seq(c->run, a->seq);
        int64_t late = k >= 0 ? vfy_sub_ns(c->run->device[k].produce_ns,
                                            c->run->device[k].due_ns) : 0;
        double rel = (double)vfy_sub_ns(vfy_sub_ns(a->recv_ns, late > 0 ? late : 0),
                                        c->run->start_ns);
        if (rel >= 0 && rel < (double)n * w_real)
            w[(size_t)(rel / w_real)].packets++;
    }
    c->out->windows = w;
    c->out->n_windows = n;
    c->out->window_min_hz = c->out->window_max_hz = (double)w[0].packets;
    for (size_t k = 0; k < n; k++) {
        w[k].start_ns = (int64_t)k * NS_PER_S;
        w[k].checked = !disturbed(c, llround(k * w_real), llround((k + 1) * w_real));
        c->out->window_min_hz = fmin(c->out->window_min_hz, (double)w[k].packets);
        c->out->window_max_hz = fmax(c->out->window_max_hz, (double)w[k].packets);
    }
    check_windows(c);
}

/* ---- latency ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p% of the samples at or below it. */
static int64_t rank(const int64_t *v, size_t n, unsigned p)
{
    size_t r = (p * n + 99) / 100;
    return v[r ? r - 1 : 0];
}

void vfy_summarize(struct vfy_latency *l, int64_t *v, size_t n)
{
    memset(l, 0, sizeof(*l));
    l->n = n;
    if (n == 0)
        return;
    qsort(v, n, sizeof(*v), cmp_i64);
    l->p50_ns = rank(v, n, 50);
    l->p99_ns = rank(v, n, 99);
    l->max_ns = v[n - 1];
}

enum stage { DEV_APP, DEV_DRV, DRV_APP };

/* produce: the row's produce time, or the device log's when the row has none (a raw stream). */
static int64_t stage_ns(const struct rec_app_row *a, int64_t produce, enum stage s)
{
    switch (s) {
    case DEV_DRV:
        return vfy_sub_ns(a->ingress_ns, produce);
    case DRV_APP:
        return vfy_sub_ns(a->recv_ns, a->ingress_ns);
    default:
        return vfy_sub_ns(a->recv_ns, produce);
    }
}

/* The produce time of app row a: carried with the packet, else the device log's (0: unknown). */
static int64_t produce_of(const struct rec_run *r, const struct rec_app_row *a)
{
    if (a->produce_ns != 0)
        return a->produce_ns;
    long k = find_seq(r, a->seq);
    return k >= 0 ? r->device[k].produce_ns : 0;
}

/* Each stage over the rows whose latency is >= 0; a negative one is an integrity failure. */
static void latencies(struct ctx *c)
{
    static const char *const before[] = {[DEV_APP] = "received before it was produced",
                                         [DEV_DRV] = "ingressed before it was produced",
                                         [DRV_APP] = "received before it was ingressed"};
    size_t n = c->run->n_app;
    int64_t *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v) {
        vfy_add_failure(c->out, VFY_KIND_OTHER, "out of memory for %zu latencies", n);
        return;
    }
    struct vfy_latency *dst[] = {&c->out->latency, &c->out->lat_dev_drv, &c->out->lat_drv_app};
    for (int s = DEV_APP; s <= DRV_APP; s++) {
        struct list neg = {0};
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const struct rec_app_row *a = &c->run->app[i];
            int64_t produce = s == DRV_APP ? a->produce_ns : produce_of(c->run, a);
            if (s != DRV_APP && produce == 0)
                continue; /* no produce time anywhere: no figure */
            int64_t lat = stage_ns(a, produce, (enum stage)s);
            if (lat < 0)
                list_add(&neg, "%u", c->run->app[i].seq);
            else
                v[m++] = scn_ns(c, lat);
        }
        vfy_summarize(dst[s], v, m);
        list_fail(c->out, VFY_KIND_INTEGRITY, &neg, before[s],
                  " (a negative latency: the times are wrong; left out of the figures)");
    }
    free(v);
    const struct scn_expect *e = &c->sc->expect;
    const struct vfy_latency *l = &c->out->latency;
    if (e->has_latency_p99_max && l->p99_ns > scn_ns(c, e->latency_p99_max_ns))
        vfy_add_failure(c->out, VFY_KIND_LATENCY, "latency p99 %.3f ms above p99_max %g ms",
                        ms(l->p99_ns), ms(scn_ns(c, e->latency_p99_max_ns)));
    if (e->has_latency_max && l->max_ns > scn_ns(c, e->latency_max_ns))
        vfy_add_failure(c->out, VFY_KIND_LATENCY, "latency max %.3f ms above max %g ms",
                        ms(l->max_ns), ms(scn_ns(c, e->latency_max_ns)));
}

/* ---- backlog and drain ---- */

struct step {
    int64_t t;
    int d; /* +1 ingress, -1 receive */
};

static int cmp_step(const void *a, const void *b)
{
    const struct step *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return x->d - y->d; /* receives first at the same instant */
}

static uint64_t backlog_from_records(struct ctx *c)
{
    size_t n = c->run->n_app;
    struct step *s = malloc((2 * n + 1) * sizeof(*s));
    if (!s) {
        vfy_add_failure(c->out, VFY_KIND_OTHER, "out of memory for the backlog of %zu packets", n);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = (struct step){c->run->app[i].ingress_ns, +1};
        s[2 * i + 1] = (struct step){c->run->app[i].recv_ns, -1};
    }
    qsort(s, 2 * n, sizeof(*s), cmp_step);
    int64_t level = 0, top = 0;
    for (size_t i = 0; i < 2 * n; i++) {
        level += s[i].d;
        top = level > top ? level : top;
    }
    free(s);
    return (uint64_t)top;
}

static void backlog(struct ctx *c)
{
    struct vfy_result *o = c->out;
    o->backlog_from_records = c->run->counters.ring_high_water == REC_MISSING;
    o->backlog_max = o->backlog_from_records ? backlog_from_records(c)
                                             : c->run->counters.ring_high_water;
    const struct scn_expect *e = &c->sc->expect;
    if (e->has_backlog_max && o->backlog_max > e->backlog_max)
        vfy_add_failure(o, VFY_KIND_BACKLOG, "backlog %llu above backlog_max %llu%s",
                        (unsigned long long)o->backlog_max, (unsigned long long)e->backlog_max,
                        o->backlog_from_records ? " (from the records)" : "");
}

/* Real ns from the stall's end until the last packet ingressed before it was received. */
static int64_t drain_after(const struct ctx *c, int64_t end_abs)
{
    const struct rec_app_row *last = NULL;
    for (size_t i = 0; i < c->run->n_app; i++) {
        const struct rec_app_row *a = &c->run->app[i];
        if (a->ingress_ns < end_abs && (!last || a->ingress_ns > last->ingress_ns))
            last = a;
    }
    return last && last->recv_ns > end_abs ? vfy_sub_ns(last->recv_ns, end_abs) : 0;
}

/* Real ns from the end of a device hold stall until the application has caught up with the
 * packets it released: the first instant, once every delivered packet held in the window
 * [from, to) (absolute) has entered the ring, at which none waits there (0 when none was held). */
static int64_t drain_after_hold(const struct ctx *c, int64_t from, int64_t to)
{
    const struct rec_run *r = c->run;
    int64_t in = INT64_MIN;
    for (size_t i = 0; i < r->n_app; i++) {
        long k = find_seq(r, r->app[i].seq);
        if (k >= 0 && r->device[k].fate == REC_HELD && r->device[k].due_ns >= from &&
            r->device[k].due_ns < to && r->app[i].ingress_ns > in)
            in = r->app[i].ingress_ns;
    }
    if (in == INT64_MIN)
        return 0;
    /* Waiting at `in` = ingressed by then and received after it; then each later receive that
     * empties the ring, taken in time order. */
    int64_t level = 0, done = INT64_MAX;
    for (size_t i = 0; i < r->n_app; i++)
        if (r->app[i].ingress_ns <= in && r->app[i].recv_ns > in)
            level++;
    if (level == 0)
        return in > to ? vfy_sub_ns(in, to) : 0;
    struct step *s = malloc(2 * r->n_app * sizeof(*s));
    size_t n = 0;
    if (!s)
        return 0;
    for (size_t i = 0; i < r->n_app; i++) {
        if (r->app[i].ingress_ns > in)
            s[n++] = (struct step){r->app[i].ingress_ns, +1};
        if (r->app[i].recv_ns > in)
            s[n++] = (struct step){r->app[i].recv_ns, -1};
    }
    qsort(s, n, sizeof(*s), cmp_step);
    for (size_t i = 0; i < n && done == INT64_MAX; i++)
        if ((level += s[i].d) == 0)
            done = s[i].t;
    free(s);
    return done == INT64_MAX || done <= to ? 0 : vfy_sub_ns(done, to);
}

static void add_drain(struct ctx *c, bool device, int64_t end, int64_t drain_real_ns)
{
    struct vfy_result *o = c->out;
    const struct scn_expect *e = &c->sc->expect;
    if (o->n_drains >= VFY_MAX_DRAINS)
        return;
    struct vfy_drain *d = &o->drains[o->n_drains++];
    d->device = device;
    d->stall_end_ns = scn_ns(c, end);
    d->drain_ns = scn_ns(c, drain_real_ns);
    if (d->drain_ns > o->drain_max_ns)
        o->drain_max_ns = d->drain_ns;
    if (e->has_drain_max && d->drain_ns > scn_ns(c, e->drain_max_ns))
        vfy_add_failure(o, VFY_KIND_DRAIN, device ?
                        "backlog drained %.3f ms after the device stall ending at %.3f ms, above "
                        "drain_ms_max %g (the application fell behind the packets it held)" :
                        "drain %.3f ms after the consumer stall ending at %.3f ms above "
                        "drain_ms_max %g", ms(d->drain_ns), ms(d->stall_end_ns),
                        ms(scn_ns(c, e->drain_max_ns)));
}

/* Consumer stalls first (drains[k] is consumer stall k), then the device's hold stalls. */
static void drains(struct ctx *c)
{
    int64_t t0 = c->run->start_ns;
    for (size_t i = 0; i < c->sc->consumer.n_events && i < SCN_MAX_EVENTS; i++) {
        const struct scn_con_event *ev = &c->sc->consumer.events[i];
        int64_t end = vfy_add_ns(ev->at_ns, ev->dur_ns);
        add_drain(c, false, end, drain_after(c, vfy_add_ns(t0, end)));
    }
    for (size_t i = 0; i < c->sc->device.n_events && i < SCN_MAX_EVENTS; i++) {
        const struct scn_dev_event *ev = &c->sc->device.events[i];
        if (ev->kind != SCN_EV_STALL || ev->mode != SCN_STALL_HOLD)
            continue;
        int64_t end = vfy_add_ns(ev->at_ns, ev->dur_ns);
        add_drain(c, true, end,
                  drain_after_hold(c, vfy_add_ns(t0, ev->at_ns), vfy_add_ns(t0, end)));
    }
}

int vfy_check(const struct scn_scenario *sc, const struct rec_run *run, struct vfy_result *out)
{
    vfy_init(out, sc, run->backend);
    struct ctx c = {.sc = sc, .run = run, .out = out, .x = out->time_scale};
    out->produced = run->n_device;
    out->exec_run = run->exec_run != 0;
    out->raw = run->raw != 0;
    out->doorbells = run->counters.doorbells;
    out->wakeups = run->counters.wakeups;
    out->missed_wakeups = run->counters.missed_wakeups;
    if (out->missed_wakeups != VFY_MISSING && out->missed_wakeups > 0)
        vfy_add_failure(out, VFY_KIND_MISSED_WAKEUP, "lost wake-ups: %" PRIu64 " time(s) the "
                        "application slept with packets waiting and no doorbell came (the "
                        "transport must never do this)",
                        out->missed_wakeups);
    c.st = calloc(run->n_device ? run->n_device : 1, sizeof(*c.st));
    if (!c.st) {
        vfy_add_failure(out, VFY_KIND_OTHER, "out of memory for %zu device rows", run->n_device);
        return 1;
    }
    scan_driver(&c);
    scan_app(&c);
    account_loss(&c);
    tally_loss(&c);
    behind(&c);
    list_lost(&c);
    free(c.st);
    check_loss(&c);
    long_run_rate(&c);
    window_rates(&c);
    latencies(&c);
    backlog(&c);
    drains(&c);
    return out->pass ? 0 : 1;
}

/* ---- a raw stream placed again ---- */

struct intact {
    const struct sched *plan;
    const uint8_t *sent; /* per seq: 1 when the device log says sent intact */
};

static size_t intact_bytes(void *ctx, uint32_t seq, uint8_t *out, size_t cap)
{
    const struct intact *in = ctx;
    return in->sent[seq] ? sched_payload(in->plan, seq, out, cap) : RM_ABSENT;
}

/* The seq a packet of seq's planned bytes is placed at among the intact ones (seq when none). */
static int64_t again(struct rm *m, const struct sched *plan, uint8_t *b, int64_t seq)
{
    size_t n = (uint64_t)seq < plan->n ? sched_payload(plan, (uint32_t)seq, b, RM_MAX_LEN)
                                       : RM_ABSENT;
    int dup;
    int64_t to = n <= RM_MAX_LEN ? rm_match(m, b, n, &dup) : -1;
    return to >= 0 ? to : seq;
}

/* The application's rows in their order, with the packets the ring lost among them: each took a
 * place in the stream (rm_skip). A packet dropped when it arrived (drop-newest, block's call
 * off) came before every packet ingressed after it; one evicted (drop-oldest, logged when the
 * packet that evicted it arrived) before every packet received after that. */
static void place_app(const struct scn_scenario *sc, struct rec_run *run, struct rm *m,
                      const struct sched *plan, uint8_t *b)
{
    int64_t *drop = malloc((run->n_driver + 1) * sizeof *drop);
    size_t nd = 0, j = 0;
    for (size_t i = 0; drop && i < run->n_driver; i++)
        if (run->driver[i].status == REC_ST_RING_DROP && run->driver[i].seq < 0)
            drop[nd++] = run->driver[i].ingress_ns;
    if (drop)
        qsort(drop, nd, sizeof *drop, cmp_i64);
    bool oldest = sc->transport.overflow == SCN_OVF_DROP_OLDEST;
    for (size_t i = 0; i < run->n_app; i++) {
        int64_t t = oldest ? run->app[i].recv_ns : run->app[i].ingress_ns;
        for (; j < nd && drop[j] < t; j++)
            rm_skip(m);
        run->app[i].seq = (uint32_t)again(m, plan, b, run->app[i].seq);
    }
    free(drop);
}

/* Zero-length packets are sent at their times but not judged: a host stack may or may not hand
 * an empty transfer to the program (libusb's source and usbmon's rows skip them, a FunctionFS
 * device sends its own). Every row of an empty sample goes. */
static void drop_empty(const struct sched *plan, struct rec_run *run)
{
    size_t k = 0;
#define EMPTY(seq) ((uint64_t)(seq) < plan->n && sched_payload(plan, (uint32_t)(seq), NULL, 0) == 0)
    for (size_t i = 0; i < run->n_device; i++)
        if (!EMPTY(run->device[i].seq))
            run->device[k++] = run->device[i];
    run->n_device = k;
    k = 0;
    for (size_t i = 0; i < run->n_driver; i++)
        if (run->driver[i].seq < 0 || !EMPTY(run->driver[i].seq))
            run->driver[k++] = run->driver[i];
    run->n_driver = k;
    k = 0;
    for (size_t i = 0; i < run->n_app; i++)
        if (!EMPTY(run->app[i].seq))
            run->app[k++] = run->app[i];
    run->n_app = k;
#undef EMPTY
}

int vfy_raw_place(const struct scn_scenario *sc, struct rec_run *run, char *err, size_t len)
{
    struct sched plan;
    char serr[SCN_ERR_MAX];
    if (sched_build(sc, &plan, serr) != 0) {
        snprintf(err, len, "%s", serr);
        return -1;
    }
    uint8_t *sent = calloc(plan.n ? plan.n : 1, 1);
    struct intact in = {.plan = &plan, .sent = sent};
    char rerr[RM_ERR_MAX] = "out of memory";
    struct rm *m = NULL;
    if (sent) {
        for (size_t k = 0; k < run->n_device; k++) {
            struct rec_device_row *d = &run->device[k];
            if (d->seq >= plan.n || d->fate == REC_DROPPED)
                continue;
            if ((d->flags & PKT_F_CORRUPT) && sched_payload(&plan, d->seq, NULL, 0) == 0)
                d->flags &= (uint16_t)~PKT_F_CORRUPT; /* empty: no byte changed, nothing to detect */
            if (!(d->flags & PKT_F_CORRUPT))
                sent[d->seq] = 1;
        }
        m = plan.n < UINT32_MAX ? rm_new((uint32_t)plan.n, intact_bytes, &in, rerr) : NULL;
    }
    struct rm *d = m ? rm_new((uint32_t)plan.n, intact_bytes, &in, rerr) : NULL;
    uint8_t *b = malloc(RM_MAX_LEN);
    int rc = -1;
    if (m && d && b) {
        /* The driver's rows with a seq (usbmon's, for --exec), then the application's: each in
         * its own order. */
        for (size_t i = 0; i < run->n_driver; i++)
            if (run->driver[i].status == REC_ST_OK && run->driver[i].seq >= 0)
                run->driver[i].seq = again(d, &plan, b, run->driver[i].seq);
        place_app(sc, run, m, &plan, b);
        drop_empty(&plan, run);
        rc = 0;
    } else {
        snprintf(err, len, "%s", b ? rerr : "out of memory");
    }
    free(b);
    rm_free(m);
    rm_free(d);
    free(sent);
    sched_free(&plan);
    return rc;
}

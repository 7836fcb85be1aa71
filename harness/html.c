/* html — see html.h. */
#include "harness/html.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/packet.h"

/* Chart geometry, in viewBox units. */
#define W 720.0
#define ML 72.0
#define MR 22.0
#define MT 14.0
#define MB 30.0
#define PW (W - ML - MR)
#define NB HTML_MAX_BUCKETS

/* P_EVICTED: lost at the ring to an anonymous ring-drop row (drop-oldest evicts the oldest). */
enum place { P_NONE, P_DEVICE, P_RING, P_CRC, P_UNEXPLAINED, P_EVICTED, P_COUNT };
static const char *const place_name[P_COUNT] = {"", "device", "ring", "crc", "unexplained",
                                                "ring"};

struct page {
    FILE *f;
    const struct scn_scenario *sc;
    const struct rec_run *run;
    const struct vfy_result *res;
    double x;         /* time scale: scenario ns = real ns * x */
    int64_t t0;       /* real ns of the device start */
    double end_ms;    /* right end of every time axis, scenario ms */
    uint8_t *place;   /* per device row: enum place */
};

struct chart {
    double y0, y1; /* data range (log10 values when logy) */
    int logy;
    double h;      /* total height */
};

/* ---- small helpers ---- */

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
        }
    }
}

/* real absolute ns -> scenario ms from the start */
static double t_ms(const struct page *p, int64_t real_ns)
{
    return (double)(real_ns - p->t0) * p->x / 1e6;
}

/* scenario-as-run ns (event times, already divided by x) -> scenario ms */
static double ev_ms(const struct page *p, int64_t run_ns) { return (double)run_ns * p->x / 1e6; }

static double px(const struct page *p, double ms)
{
    double v = ML + ms / (p->end_ms > 0 ? p->end_ms : 1) * PW;
    return v < ML ? ML : v > ML + PW ? ML + PW : v;
}

static double py(const struct chart *c, double v)
{
    if (c->logy)
        v = log10(v > 0 ? v : pow(10, c->y0));
    double ph = c->h - MT - MB, r = (v - c->y0) / (c->y1 - c->y0);
    r = r < 0 ? 0 : r > 1 ? 1 : r;
    return MT + ph * (1 - r);
}

static int bucket_of(const struct page *p, double ms)
{
    int b = (int)(ms / (p->end_ms > 0 ? p->end_ms : 1) * NB);
    return b < 0 ? 0 : b >= NB ? NB - 1 : b;
}

static double bucket_ms(const struct page *p, int b) { return (b + 0.5) * p->end_ms / NB; }

/* 1, 2 or 5 times a power of ten, near range/n. */
static double nice_step(double range, int n)
{
    double raw = range / n, mag = pow(10, floor(log10(raw > 0 ? raw : 1)));
    double r = raw / mag;
    return mag * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
}

/* "850 µs", "12.3 ms", "1.50 s" from ms */
static const char *dur(double ms, char *buf, size_t len)
{
    if (fabs(ms) < 1)
        snprintf(buf, len, "%.0f µs", ms * 1000);
    else if (fabs(ms) < 1000)
        snprintf(buf, len, "%.*f ms", fabs(ms) < 10 ? 2 : 1, ms);
    else
        snprintf(buf, len, "%.2f s", ms / 1000);
    return buf;
}

static const char *ns_dur(int64_t ns, char *buf, size_t len) { return dur(ns / 1e6, buf, len); }

/* ---- chart frame ---- */

static void band(const struct page *p, const struct chart *c, double a_ms, double b_ms,
                 const char *cls, const char *what)
{
    char d1[32], d2[32];
    double x0 = px(p, a_ms), x1 = px(p, b_ms);
    fprintf(p->f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
            "<title>%s %s – %s</title></rect>\n", cls, x0, MT, x1 - x0 > 1 ? x1 - x0 : 1,
            c->h - MT - MB, what, dur(a_ms, d1, sizeof d1), dur(b_ms, d2, sizeof d2));
}

static void marker(const struct page *p, const struct chart *c, double ms, const char *cls,
                   const char *what)
{
    char d[32];
    double x = px(p, ms);
    fprintf(p->f, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\">"
            "<title>%s at %s</title></line>\n", cls, x, x, MT, c->h - MB, what,
            dur(ms, d, sizeof d));
}

static const char *dev_event_class(const struct scn_dev_event *e)
{
    switch (e->kind) {
    case SCN_EV_STALL: return e->mode == SCN_STALL_HOLD ? "ev-hold" : "ev-drop";
    case SCN_EV_HALT: return "ev-halt";
    case SCN_EV_DISCONNECT: return "ev-disc";
    case SCN_EV_BURST: return "ev-burst";
    default: return "ev-corrupt";
    }
}

static void event_shading(const struct page *p, const struct chart *c)
{
    for (size_t i = 0; i < p->sc->device.n_events; i++) {
        const struct scn_dev_event *e = &p->sc->device.events[i];
        const char *what = scn_event_name(e->kind);
        if (e->kind == SCN_EV_BURST || e->kind == SCN_EV_CORRUPT)
            marker(p, c, ev_ms(p, e->at_ns), dev_event_class(e), what);
        else
            band(p, c, ev_ms(p, e->at_ns), ev_ms(p, e->at_ns + e->dur_ns), dev_event_class(e),
                 what);
    }
    for (size_t i = 0; i < p->sc->consumer.n_events; i++) {
        const struct scn_con_event *e = &p->sc->consumer.events[i];
        band(p, c, ev_ms(p, e->at_ns), ev_ms(p, e->at_ns + e->dur_ns), "ev-cons",
             "consumer stall");
    }
}

static void time_axis(const struct page *p, const struct chart *c)
{
    double unit = p->end_ms >= 2000 ? 1000 : 1, step = nice_step(p->end_ms / unit, 8) * unit;
    for (double t = 0; t <= p->end_ms + 1e-9; t += step) {
        double x = px(p, t);
        fprintf(p->f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%g%s</text>\n",
                x, x, MT, c->h - MB, x, c->h - MB + 16, x > ML + PW - 20 ? "end" : "middle",
                t / unit, t == 0 ? "" : unit > 1 ? " s" : " ms");
    }
}

static void y_tick(const struct page *p, const struct chart *c, double v, const char *label)
{
    double y = py(c, v);
    fprintf(p->f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
            ML, ML + PW, y, y, ML - 6, y + 4, label);
}

static void linear_y_axis(const struct page *p, const struct chart *c)
{
    double step = nice_step(c->y1 - c->y0, 4);
    for (double v = c->y0; v <= c->y1 + 1e-9; v += step) {
        char l[32];
        snprintf(l, sizeof l, "%g", v);
        y_tick(p, c, v, l);
    }
}

static void chart_begin(const struct page *p, const char *id, const char *title,
                        const char *desc, const struct chart *c, int with_events)
{
    fprintf(p->f, "<figure id=\"%s\"><figcaption>%s <span class=\"sub\">%s</span></figcaption>\n"
            "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
            "%.0f\" role=\"img\" aria-label=\"%s\">\n", id, title, desc, W, c->h, title);
    fprintf(p->f, "<rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
            ML, MT, PW, c->h - MT - MB);
    if (with_events)
        event_shading(p, c);
}

/* legend: "cls|label" pairs */
static void chart_end(const struct page *p, const char *const *legend, size_t n)
{
    fputs("</svg></div>\n<p class=\"legend\">", p->f);
    for (size_t i = 0; i < n; i++) {
        const char *bar = strchr(legend[i], '|');
        fprintf(p->f, "<span><i class=\"sw %.*s\"></i>%s</span>", (int)(bar - legend[i]),
                legend[i], bar + 1);
    }
    fputs("</p></figure>\n", p->f);
}

/* A horizontal line at v, labelled at the left (right == 0) or right end. */
static void hline(const struct page *p, const struct chart *c, double v, const char *cls,
                  const char *label, int right)
{
    double y = py(c, v);
    fprintf(p->f, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"lbl %s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", cls, ML,
            ML + PW, y, y, cls, right ? ML + PW - 4 : ML + 4, y - 4, right ? "end" : "start");
    esc(p->f, label);
    fputs("</text>\n", p->f);
}

/* ---- bucketed series ---- */

struct buckets {
    double lo[NB], hi[NB];
    uint64_t n[NB];
};

static void bk_reset(struct buckets *b)
{
    for (int i = 0; i < NB; i++) {
        b->lo[i] = INFINITY;
        b->hi[i] = -INFINITY;
        b->n[i] = 0;
    }
}

static void bk_add(const struct page *p, struct buckets *b, double ms, double v)
{
    int i = bucket_of(p, ms);
    b->lo[i] = fmin(b->lo[i], v);
    b->hi[i] = fmax(b->hi[i], v);
    b->n[i]++;
}

/* Per bucket a vertical stroke from min to max: an envelope that keeps every spike. */
static void bk_envelope(const struct page *p, const struct chart *c, const struct buckets *b,
                        const char *cls)
{
    fprintf(p->f, "<path class=\"%s\" d=\"", cls);
    for (int i = 0; i < NB; i++)
        if (b->n[i]) {
            double y0 = py(c, b->lo[i]), y1 = py(c, b->hi[i]);
            fprintf(p->f, "M%.1f %.1fV%.1f", px(p, bucket_ms(p, i)), y0 + 0.6,
                    y1 - 0.6 < y0 ? y1 - 0.6 : y0 - 0.6);
        }
    fputs("\"/>\n", p->f);
}

/* Ticks along the top (row 0) or bottom band of a chart, one per bucket that has any. */
static void bk_ticks(const struct page *p, const struct chart *c, const struct buckets *b,
                     double y, double len, const char *cls, const char *what)
{
    for (int i = 0; i < NB; i++)
        if (b->n[i]) {
            char d[32];
            double x = px(p, bucket_ms(p, i));
            fprintf(p->f, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\">"
                    "<title>%" PRIu64 " %s near %s</title></line>\n", cls, x, x, y, y + len,
                    b->n[i], what, dur(bucket_ms(p, i), d, sizeof d));
        }
    (void)c;
}

/* ---- losses, seq by seq (the same rules as verify) ---- */

static long find_seq(const struct rec_run *r, int64_t seq)
{
    size_t lo = 0, hi = r->n_device;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((int64_t)r->device[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return seq >= 0 && lo < r->n_device && r->device[lo].seq == seq ? (long)lo : -1;
}

/* place[k] for every device row k: where it was lost, P_NONE when delivered. */
static uint8_t *loss_places(const struct rec_run *r)
{
    uint8_t *pl = calloc(r->n_device + 1, 1), *got = calloc(r->n_device + 1, 1);
    uint64_t anon[P_COUNT] = {0};
    if (!pl || !got) {
        free(pl);
        free(got);
        return NULL;
    }
    for (size_t i = 0; i < r->n_app; i++) {
        long k = find_seq(r, r->app[i].seq);
        if (k >= 0)
            got[k] = 1;
    }
    for (size_t i = 0; i < r->n_driver; i++) {
        const struct rec_driver_row *d = &r->driver[i];
        enum place at = d->status == REC_ST_CRC ? P_CRC : d->status == REC_ST_RING_DROP ? P_RING
                                                                                        : P_NONE;
        long k = find_seq(r, d->seq);
        if (at == P_NONE)
            continue;
        if (k >= 0 && !got[k] && (pl[k] == P_NONE || at == P_CRC))
            pl[k] = (uint8_t)at;
        else if (k < 0)
            anon[at]++;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < r->n_device; k++) {
            if (got[k] || pl[k] != P_NONE)
                continue;
            int corrupt = (r->device[k].flags & PKT_F_CORRUPT) != 0;
            if (r->device[k].fate == REC_DROPPED)
                pl[k] = P_DEVICE;
            else if (anon[P_CRC] && (pass == 1 || corrupt))
                anon[P_CRC]--, pl[k] = P_CRC;
            else if (pass == 1 && anon[P_RING])
                anon[P_RING]--, pl[k] = P_EVICTED;
            else if (pass == 1)
                pl[k] = P_UNEXPLAINED;
        }
    free(got);
    return pl;
}

/* ---- the charts ---- */

static void chart_timeline(const struct page *p, struct buckets *b)
{
    const struct rec_run *r = p->run;
    struct chart c = {.y0 = 0, .y1 = 1, .h = 150};
    chart_begin(p, "timeline", "Timeline",
                "scenario events, and every lost packet at its due time", &c, 0);
    double lane[3] = {MT + 4, MT + 40, MT + 76}; /* device, consumer, losses */
    const char *lane_name[3] = {"device", "consumer", "lost"};
    for (int i = 0; i < 3; i++)
        fprintf(p->f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                ML - 6, lane[i] + 18, lane_name[i]);
    for (size_t i = 0; i < p->sc->device.n_events; i++) {
        const struct scn_dev_event *e = &p->sc->device.events[i];
        double a = px(p, ev_ms(p, e->at_ns)), z = px(p, ev_ms(p, e->at_ns + e->dur_ns));
        int point = e->kind == SCN_EV_BURST || e->kind == SCN_EV_CORRUPT;
        char d[32];
        fprintf(p->f, "<rect class=\"%s lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"28\"><title>%s at %s</title></rect>", dev_event_class(e),
                point ? a - 1.5 : a, lane[0], point ? 3 : fmax(z - a, 1),
                scn_event_name(e->kind), dur(ev_ms(p, e->at_ns), d, sizeof d));
        fprintf(p->f, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", a + 4,
                lane[0] + 18, scn_event_name(e->kind));
    }
    for (size_t i = 0; i < p->sc->consumer.n_events; i++) {
        const struct scn_con_event *e = &p->sc->consumer.events[i];
        double a = px(p, ev_ms(p, e->at_ns)), z = px(p, ev_ms(p, e->at_ns + e->dur_ns));
        fprintf(p->f, "<rect class=\"ev-cons lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"28\"/><text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">stall</text>\n", a,
                lane[1], fmax(z - a, 1), a + 4, lane[1] + 18);
    }
    for (int place = P_DEVICE; place < P_EVICTED; place++) {
        bk_reset(b);
        for (size_t k = 0; k < r->n_device; k++)
            if (p->place[k] == place || (place == P_RING && p->place[k] == P_EVICTED))
                bk_add(p, b, t_ms(p, r->device[k].due_ns), 1);
        char what[48];
        snprintf(what, sizeof what, "lost (%s)", place_name[place]);
        bk_ticks(p, &c, b, lane[2] + (place == P_UNEXPLAINED ? 0 : 6),
                 place == P_UNEXPLAINED ? 34 : 22, place == P_UNEXPLAINED ? "loss-unexpl"
                 : place == P_RING ? "loss-ring" : place == P_CRC ? "loss-crc" : "loss-dev", what);
    }
    time_axis(p, &c);
    static const char *const legend[] = {
        "ev-hold|device stall (hold)", "ev-drop|device stall (drop)", "ev-halt|halt",
        "ev-disc|disconnect", "ev-burst|burst", "ev-corrupt|corrupt", "ev-cons|consumer stall",
        "loss-dev|lost at device", "loss-ring|lost at ring", "loss-crc|lost at crc",
        "loss-unexpl|lost unexplained"};
    chart_end(p, legend, sizeof legend / sizeof legend[0]);
}

struct step {
    int64_t t;
    int d;
};

static int cmp_step(const void *a, const void *b)
{
    const struct step *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return x->d - y->d;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Packets evicted from the ring: in it from (about) their produce time to an eviction row,
 * paired oldest seq first with the earliest eviction. Appends the steps; returns their count. */
static size_t eviction_steps(const struct page *p, struct step *s)
{
    const struct rec_run *r = p->run;
    size_t n = 0, m = 0;
    int64_t *ev = malloc((r->n_driver + 1) * sizeof *ev);
    if (!ev)
        return 0;
    for (size_t i = 0; i < r->n_driver; i++)
        if (r->driver[i].status == REC_ST_RING_DROP && r->driver[i].seq < 0)
            ev[m++] = r->driver[i].ingress_ns;
    qsort(ev, m, sizeof *ev, cmp_i64);
    for (size_t k = 0, j = 0; k < r->n_device && j < m; k++)
        if (p->place[k] == P_EVICTED) {
            const struct rec_device_row *d = &r->device[k];
            int64_t in = d->produce_ns > 0 ? d->produce_ns : d->due_ns;
            s[n++] = (struct step){in < ev[j] ? in : ev[j], +1};
            s[n++] = (struct step){ev[j++], -1};
        }
    free(ev);
    return n;
}

/* Ring occupancy per bucket (min/max), the level carried through quiet buckets. */
static int occupancy(const struct page *p, struct buckets *b, double *peak)
{
    const struct rec_run *r = p->run;
    struct step *s = malloc((2 * r->n_app + 2 * r->n_driver + 1) * sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < r->n_app; i++) {
        s[2 * i] = (struct step){r->app[i].ingress_ns, +1};
        s[2 * i + 1] = (struct step){r->app[i].recv_ns, -1};
    }
    size_t n = 2 * r->n_app + eviction_steps(p, s + 2 * r->n_app);
    qsort(s, n, sizeof *s, cmp_step);
    bk_reset(b);
    long level = 0;
    int last = -1;
    *peak = 0;
    /* The estimated ingress of an evicted packet may overlap its successor's by a moment. */
    double cap = (double)p->sc->transport.ring_slots, v = 0;
    for (size_t i = 0; i < n; i++) {
        int k = bucket_of(p, t_ms(p, s[i].t));
        for (int j = last + 1; last >= 0 && j < k; j++)
            bk_add(p, b, bucket_ms(p, j), v);
        level += s[i].d;
        v = fmin((double)level, cap);
        bk_add(p, b, t_ms(p, s[i].t), v);
        last = k;
        *peak = fmax(*peak, v);
    }
    free(s);
    return 0;
}

static void driver_ticks(const struct page *p, const struct chart *c, struct buckets *b,
                         enum rec_status st, const char *cls, const char *what)
{
    bk_reset(b);
    for (size_t i = 0; i < p->run->n_driver; i++)
        if (p->run->driver[i].status == st)
            bk_add(p, b, t_ms(p, p->run->driver[i].ingress_ns), 1);
    bk_ticks(p, c, b, c->h - MB - 14, 14, cls, what);
}

static int chart_ring(const struct page *p, struct buckets *b)
{
    double peak;
    if (occupancy(p, b, &peak) != 0)
        return -1;
    const struct scn_scenario *sc = p->sc;
    double top = fmax(peak, 1);
    if (sc->expect.has_backlog_max)
        top = fmax(top, (double)sc->expect.backlog_max);
    if (sc->transport.ring_slots <= 4 * top)
        top = fmax(top, (double)sc->transport.ring_slots);
    struct chart c = {.y0 = 0, .h = 220};
    c.y1 = ceil(top * 1.08 / nice_step(top, 4)) * nice_step(top, 4);
    chart_begin(p, "ring", "Ring occupancy",
                "packets ingressed by the driver and not yet received by the application", &c, 1);
    linear_y_axis(p, &c);
    char l[64];
    if (sc->transport.ring_slots <= c.y1) {
        snprintf(l, sizeof l, "ring %u slots", sc->transport.ring_slots);
        hline(p, &c, sc->transport.ring_slots, "cap", l, 0);
    }
    if (sc->expect.has_backlog_max) {
        snprintf(l, sizeof l, "backlog_max %" PRIu64, sc->expect.backlog_max);
        hline(p, &c, (double)sc->expect.backlog_max, "limit", l, 1);
    }
    bk_envelope(p, &c, b, "s-occ");
    driver_ticks(p, &c, b, REC_ST_RING_DROP, "loss-ring", "ring-drop rows");
    driver_ticks(p, &c, b, REC_ST_CRC, "loss-crc", "crc rows");
    time_axis(p, &c);
    static const char *const legend[] = {("s-occ|in the ring (evicted packets: from their "
                                          "produce time to their eviction)"),
                                         "loss-ring|ring drop", "loss-crc|crc reject",
                                         "ev-cons|consumer stall", "ev-hold|device event"};
    chart_end(p, legend, sizeof legend / sizeof legend[0]);
    return 0;
}

static void log_axis(const struct page *p, const struct chart *c)
{
    for (double e = ceil(c->y0); e <= c->y1 + 1e-9; e++) {
        char l[32];
        y_tick(p, c, pow(10, e), dur(pow(10, e), l, sizeof l));
    }
}

static void chart_latency(const struct page *p, struct buckets *b)
{
    const struct rec_run *r = p->run;
    double hi = 0.01;
    for (size_t i = 0; i < r->n_app; i++)
        hi = fmax(hi, (double)(r->app[i].recv_ns - r->app[i].produce_ns) * p->x / 1e6);
    struct chart c = {.logy = 1, .y0 = -2, .y1 = fmax(ceil(log10(hi)), -1), .h = 240};
    chart_begin(p, "latency", "Latency",
                "per packet, by its produce time (log scale)", &c, 1);
    log_axis(p, &c);
    const struct scn_expect *e = &p->sc->expect;
    char l[64], d[32];
    if (e->has_latency_p99_max) {
        snprintf(l, sizeof l, "p99_max %s (device→app)", ns_dur(e->latency_p99_max_ns, d, 32));
        hline(p, &c, ev_ms(p, e->latency_p99_max_ns), "limit", l, 0);
    }
    if (e->has_latency_max) {
        snprintf(l, sizeof l, "max %s (device→app)", ns_dur(e->latency_max_ns, d, 32));
        hline(p, &c, ev_ms(p, e->latency_max_ns), "limit", l, 1);
    }
    for (int stage = 0; stage < 2; stage++) {
        bk_reset(b);
        for (size_t i = 0; i < r->n_app; i++) {
            const struct rec_app_row *a = &r->app[i];
            int64_t v = stage == 0 ? a->ingress_ns - a->produce_ns : a->recv_ns - a->ingress_ns;
            bk_add(p, b, t_ms(p, a->produce_ns), (double)v * p->x / 1e6);
        }
        bk_envelope(p, &c, b, stage == 0 ? "s-dd" : "s-da");
    }
    time_axis(p, &c);
    static const char *const legend[] = {"s-dd|device → driver", "s-da|driver → application",
                                         "limit|expect (device → application)"};
    chart_end(p, legend, sizeof legend / sizeof legend[0]);
}

static void chart_rate(const struct page *p)
{
    const struct vfy_result *res = p->res;
    const struct scn_expect *e = &p->sc->expect;
    double top = fmax(res->window_max_hz, 1);
    if (e->has_rate_max)
        top = fmax(top, e->rate_max_hz);
    struct chart c = {.y0 = 0, .h = 180};
    c.y1 = ceil(top * 1.1 / nice_step(top, 4)) * nice_step(top, 4);
    chart_begin(p, "rate", "Rate", "packets received per 1 s window", &c, 1);
    linear_y_axis(p, &c);
    for (size_t k = 0; k < res->n_windows; k++) {
        const struct vfy_window *w = &res->windows[k];
        double a = px(p, w->start_ns / 1e6), z = px(p, w->start_ns / 1e6 + 1000);
        double y = py(&c, (double)w->packets);
        fprintf(p->f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                "<title>%" PRIu64 " Hz from %.0f s%s</title></rect>\n",
                w->checked ? "s-rate" : "s-rate-unchecked", a + 1, y, fmax(z - a - 2, 1),
                py(&c, 0) - y, w->packets, w->start_ns / 1e9,
                w->checked ? "" : " (not checked: an event is near)");
    }
    char l[48];
    if (e->has_rate_min) {
        snprintf(l, sizeof l, "min %g Hz", e->rate_min_hz);
        hline(p, &c, e->rate_min_hz, "limit", l, 0);
    }
    if (e->has_rate_max) {
        snprintf(l, sizeof l, "max %g Hz", e->rate_max_hz);
        hline(p, &c, e->rate_max_hz, "limit", l, 1);
    }
    time_axis(p, &c);
    static const char *const legend[] = {"s-rate|window checked against rate_hz",
                                         "s-rate-unchecked|window near an event (not checked)"};
    chart_end(p, legend, sizeof legend / sizeof legend[0]);
}

#define HB_PER_DECADE 8
#define HB_LO (-3.0) /* 1 µs in log10(ms) */

static void chart_histogram(const struct page *p)
{
    const struct rec_run *r = p->run;
    double hi_log = 1;
    for (size_t i = 1; i < r->n_app; i++) {
        double ms = (double)(r->app[i].recv_ns - r->app[i - 1].recv_ns) * p->x / 1e6;
        if (ms > 0)
            hi_log = fmax(hi_log, ceil(log10(ms)));
    }
    int nb = (int)((hi_log - HB_LO) * HB_PER_DECADE) + 1; /* bin 0: below 1 µs */
    uint64_t *cnt = calloc((size_t)nb, sizeof *cnt), top = 1;
    if (!cnt)
        return;
    for (size_t i = 1; i < r->n_app; i++) {
        double ms = (double)(r->app[i].recv_ns - r->app[i - 1].recv_ns) * p->x / 1e6;
        int k = ms <= 0 ? 0 : (int)floor((log10(ms) - HB_LO) * HB_PER_DECADE) + 1;
        k = k < 0 ? 0 : k >= nb ? nb - 1 : k;
        if (++cnt[k] > top)
            top = cnt[k];
    }
    struct chart c = {.y0 = 0, .h = 200};
    c.y1 = ceil((double)top * 1.1 / nice_step((double)top, 4)) * nice_step((double)top, 4);
    chart_begin(p, "interarrival", "Inter-arrival at the application",
                "time between consecutive packets taken from the ring (log bins)", &c, 0);
    linear_y_axis(p, &c);
    double bw = PW / nb;
    for (int k = 0; k < nb; k++) {
        double y = py(&c, (double)cnt[k]);
        char d1[32], d2[32];
        fprintf(p->f, "<rect class=\"s-hist\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\"><title>%" PRIu64 " between %s and %s</title></rect>\n",
                ML + k * bw + 0.5, y, fmax(bw - 1, 0.5), py(&c, 0) - y, cnt[k],
                k ? dur(pow(10, HB_LO + (k - 1.0) / HB_PER_DECADE), d1, 32) : "0",
                dur(pow(10, HB_LO + (double)k / HB_PER_DECADE), d2, 32));
    }
    for (double e = HB_LO; e <= hi_log + 1e-9; e++) {
        double x = ML + ((e - HB_LO) * HB_PER_DECADE + 1) * bw;
        char l[32];
        fprintf(p->f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, x, MT, c.h - MB, x, c.h - MB + 16, dur(pow(10, e), l, sizeof l));
    }
    double period = ev_ms(p, p->sc->device.period_ns);
    double xp = ML + ((log10(period) - HB_LO) * HB_PER_DECADE + 1) * bw;
    fprintf(p->f, "<line class=\"limit\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"lbl limit\" x=\"%.1f\" y=\"%.1f\">period</text>\n", xp, xp, MT,
            c.h - MB, xp + 4, MT + 12);
    free(cnt);
    static const char *const legend[] = {"s-hist|packets", "limit|the device's period"};
    chart_end(p, legend, sizeof legend / sizeof legend[0]);
}

/* ---- the top of the page ---- */

static const char CSS[] =
    ":root{--ok:#1a7f37;--bad:#c62828;--ink:#1f2328;--mute:#57606a;--line:#d0d7de}"
    "*{box-sizing:border-box}"
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);"
    "margin:0 auto;max-width:980px;padding:12px}"
    "h1{font-size:1.4em;margin:.2em 0}.sub{color:var(--mute);font-weight:normal;font-size:.9em}"
    ".verdict{border-radius:8px;padding:10px 14px;color:#fff;display:flex;flex-wrap:wrap;"
    "gap:4px 16px;align-items:baseline}"
    ".verdict b{font-size:1.6em;letter-spacing:.05em}.pass{background:var(--ok)}"
    ".fail{background:var(--bad)}"
    ".failures{border:2px solid var(--bad);background:#fdecea;border-radius:8px;margin:10px 0;"
    "padding:8px 14px 8px 30px}.failures li{margin:2px 0;overflow-wrap:anywhere}"
    ".figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;"
    "margin:12px 0}"
    ".fig{border:1px solid var(--line);border-radius:8px;padding:6px 10px}"
    ".fig .k{color:var(--mute);font-size:.8em}.fig .v{font-size:1.15em;font-weight:600}"
    ".fig .l{color:var(--mute);font-size:.75em}"
    ".fig.bad{border:2px solid var(--bad);background:#fdecea}.fig.bad .v{color:var(--bad)}"
    "figure{margin:14px 0;border:1px solid var(--line);border-radius:8px;padding:8px}"
    "figcaption{font-weight:600}.scroll{overflow-x:auto}"
    "svg{display:block;width:100%;min-width:520px;height:auto}"
    "svg text{font:12px system-ui,sans-serif;fill:var(--ink)}"
    ".tick{fill:var(--mute)}.lbl{font-size:11px}"
    ".plot{fill:#fff;stroke:var(--line)}.grid{stroke:#eaeef2}"
    ".ev-hold{fill:#f9a825;fill-opacity:.25}.ev-drop{fill:#ef6c00;fill-opacity:.3}"
    ".ev-halt{fill:#8e24aa;fill-opacity:.25}.ev-disc{fill:#546e7a;fill-opacity:.35}"
    ".ev-cons{fill:#1e88e5;fill-opacity:.2}"
    "line.ev-burst{stroke:#00897b;stroke-width:2;stroke-dasharray:4 3}"
    "line.ev-corrupt{stroke:#d81b60;stroke-width:2;stroke-dasharray:2 2}"
    "rect.ev-burst{fill:#00897b}rect.ev-corrupt{fill:#d81b60}"
    ".lane{stroke:none}"
    ".loss-dev{stroke:#ef6c00;stroke-width:2}.loss-ring{stroke:#6a1b9a;stroke-width:2}"
    ".loss-crc{stroke:#d81b60;stroke-width:2}.loss-unexpl{stroke:var(--bad);stroke-width:3}"
    ".s-occ{stroke:#1565c0;stroke-width:1.2;fill:none}"
    ".s-dd{stroke:#2e7d32;stroke-width:1.2;fill:none;stroke-opacity:.8}"
    ".s-da{stroke:#1565c0;stroke-width:1.2;fill:none;stroke-opacity:.8}"
    ".s-rate{fill:#90caf9}.s-rate-unchecked{fill:#e0e0e0}.s-hist{fill:#64b5f6}"
    "line.cap{stroke:#6a1b9a;stroke-dasharray:6 4}text.cap{fill:#6a1b9a}"
    "line.limit{stroke:var(--bad);stroke-dasharray:6 4}text.limit{fill:var(--bad)}"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.8em;color:var(--mute);"
    "margin:6px 0 0}"
    ".sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;"
    "vertical-align:-1px}"
    ".sw.ev-hold{background:#f9a825;opacity:.5}.sw.ev-drop{background:#ef6c00;opacity:.6}"
    ".sw.ev-halt{background:#8e24aa;opacity:.5}.sw.ev-disc{background:#546e7a;opacity:.6}"
    ".sw.ev-cons{background:#1e88e5;opacity:.4}.sw.ev-burst{background:#00897b}"
    ".sw.ev-corrupt{background:#d81b60}.sw.loss-dev{background:#ef6c00}"
    ".sw.loss-ring{background:#6a1b9a}.sw.loss-crc{background:#d81b60}"
    ".sw.loss-unexpl{background:var(--bad)}.sw.s-occ,.sw.s-da{background:#1565c0}"
    ".sw.s-dd{background:#2e7d32}.sw.limit{background:var(--bad)}"
    ".sw.s-rate{background:#90caf9}.sw.s-rate-unchecked{background:#e0e0e0}"
    ".sw.s-hist{background:#64b5f6}"
    "table{border-collapse:collapse;font-size:.9em}td,th{border-bottom:1px solid var(--line);"
    "padding:3px 10px;text-align:left}"
    "@media (max-width:600px){body{font-size:14px;padding:6px}"
    ".figs{grid-template-columns:repeat(2,1fr)}}"
    "@media print{body{max-width:none;font-size:11pt}*{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}figure,.fig,.failures{break-inside:avoid}.scroll{overflow:visible}"
    "svg{min-width:0}}";

static void fig(const struct page *p, const char *key, const char *value, const char *limit,
                int bad)
{
    fprintf(p->f, "<div class=\"fig%s\"><div class=\"k\">%s</div><div class=\"v\">%s</div>",
            bad ? " bad" : "", key, value);
    if (limit && *limit)
        fprintf(p->f, "<div class=\"l\">%s</div>", limit);
    fputs("</div>\n", p->f);
}

/* An expect limit in scenario units, and whether v breaks it. */
static int over(int has, int64_t limit_run_ns, int64_t v_ns, const struct page *p, char *l,
                size_t len)
{
    char d[32];
    l[0] = 0;
    if (!has)
        return 0;
    int64_t lim = (int64_t)llround((double)limit_run_ns * p->x);
    snprintf(l, len, "limit %s", ns_dur(lim, d, sizeof d));
    return v_ns > lim;
}

static void figures_counts(const struct page *p)
{
    const struct vfy_result *r = p->res;
    const struct scn_expect *e = &p->sc->expect;
    char v[96], l[64] = "";
    double ratio = r->produced ? (double)r->delivered / (double)r->produced : 0;
    snprintf(v, sizeof v, "%" PRIu64 " / %" PRIu64, r->delivered, r->produced);
    if (e->has_delivered_min_ratio)
        snprintf(l, sizeof l, "ratio %.4f, min %g", ratio, e->delivered_min_ratio);
    fig(p, "delivered / produced", v, l,
        e->has_delivered_min_ratio && ratio < e->delivered_min_ratio);
    uint64_t lost = r->lost_accounted.device + r->lost_accounted.ring + r->lost_accounted.crc +
                    r->lost_unexplained;
    snprintf(v, sizeof v, "%" PRIu64 " · %" PRIu64 " · %" PRIu64, r->lost_accounted.device,
             r->lost_accounted.ring, r->lost_accounted.crc);
    l[0] = 0;
    if (e->has_lost_max)
        snprintf(l, sizeof l, "%" PRIu64 " lost, lost_max %" PRIu64, lost, e->lost_max);
    fig(p, "lost at device · ring · crc", v, l, e->has_lost_max && lost > e->lost_max);
    const char *names[] = {"lost unexplained", "duplicates", "reordered", "crc errors"};
    uint64_t vals[] = {r->lost_unexplained, r->duplicates, r->reordered, r->crc_errors};
    for (int i = 0; i < 4; i++) {
        snprintf(v, sizeof v, "%" PRIu64, vals[i]);
        fig(p, names[i], v, "must be 0", vals[i] > 0);
    }
}

static void figures_times(const struct page *p)
{
    const struct vfy_result *r = p->res;
    const struct scn_expect *e = &p->sc->expect;
    char v[96], l[64] = "", d1[32], d2[32], d3[32];
    snprintf(v, sizeof v, "%.1f Hz", r->rate_hz);
    if (e->has_rate_min || e->has_rate_max)
        snprintf(l, sizeof l, "expect %g – %g Hz", e->has_rate_min ? e->rate_min_hz : 0,
                 e->has_rate_max ? e->rate_max_hz : INFINITY);
    fig(p, "rate at the application", v, l,
        (e->has_rate_min && r->rate_hz < e->rate_min_hz) ||
            (e->has_rate_max && r->rate_hz > e->rate_max_hz));
    const struct vfy_latency *t = &r->latency;
    fig(p, "latency p50", ns_dur(t->p50_ns, d1, 32), "device → application", 0);
    int bad = over(e->has_latency_p99_max, e->latency_p99_max_ns, t->p99_ns, p, l, sizeof l);
    fig(p, "latency p99", ns_dur(t->p99_ns, d1, 32), l, bad);
    bad = over(e->has_latency_max, e->latency_max_ns, t->max_ns, p, l, sizeof l);
    fig(p, "latency max", ns_dur(t->max_ns, d1, 32), l, bad);
    snprintf(v, sizeof v, "%s · %s", ns_dur(r->lat_dev_drv.p99_ns, d1, 32),
             ns_dur(r->lat_drv_app.p99_ns, d2, 32));
    fig(p, "p99 device→driver · driver→app", v, "", 0);
    snprintf(v, sizeof v, "%" PRIu64, r->backlog_max);
    l[0] = 0;
    if (e->has_backlog_max)
        snprintf(l, sizeof l, "limit %" PRIu64 "%s", e->backlog_max,
                 r->backlog_from_records ? " (from records)" : "");
    fig(p, "backlog max", v, l, e->has_backlog_max && r->backlog_max > e->backlog_max);
    bad = over(e->has_drain_max, e->drain_max_ns, r->drain_max_ns, p, l, sizeof l);
    fig(p, "drain max", ns_dur(r->drain_max_ns, d3, 32), l, bad);
    if (r->doorbells != VFY_MISSING && r->wakeups != VFY_MISSING) {
        snprintf(v, sizeof v, "%" PRIu64 " · %" PRIu64, r->doorbells, r->wakeups);
        fig(p, "doorbells · wakeups", v, "", 0);
    }
}

static void head(const struct page *p)
{
    const struct vfy_result *r = p->res;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          p->f);
    fprintf(p->f, "%s ", r->pass ? "PASS" : "FAIL");
    esc(p->f, r->name);
    fprintf(p->f, " — usbsim</title>\n<style>%s</style></head><body>\n", CSS);
    fprintf(p->f, "<header class=\"verdict %s\"><b>%s</b><span>", r->pass ? "pass" : "fail",
            r->pass ? "PASS" : "FAIL");
    esc(p->f, r->name);
    fprintf(p->f, "</span><span>backend %s · seed %" PRIu64 " · time scale %g · %.1f s</span>"
            "</header>\n", r->backend[0] ? r->backend : "?", r->seed, r->time_scale,
            (double)p->sc->duration_ns * p->x / 1e9);
    if (p->sc->file[0]) {
        fputs("<p class=\"sub\">scenario ", p->f);
        esc(p->f, p->sc->file);
        fputs(". Every time on this page is scenario time from the device's start.</p>\n", p->f);
    }
    if (r->n_failures) {
        fputs("<ul class=\"failures\" id=\"failures\">\n", p->f);
        for (size_t i = 0; i < r->n_failures; i++) {
            fputs("<li>", p->f);
            esc(p->f, r->failures[i]);
            fputs("</li>\n", p->f);
        }
        fputs("</ul>\n", p->f);
    }
    fputs("<section class=\"figs\">\n", p->f);
    figures_counts(p);
    figures_times(p);
    fputs("</section>\n", p->f);
}

static void events_table(const struct page *p)
{
    const struct scn_scenario *sc = p->sc;
    if (!sc->device.n_events && !sc->consumer.n_events)
        return;
    fputs("<figure><figcaption>Events</figcaption><div class=\"scroll\"><table><tr><th>at</th>"
          "<th>where</th><th>what</th></tr>\n", p->f);
    char d1[32], d2[32];
    for (size_t i = 0; i < sc->device.n_events; i++) {
        const struct scn_dev_event *e = &sc->device.events[i];
        fprintf(p->f, "<tr><td>%s</td><td>device</td><td>%s", dur(ev_ms(p, e->at_ns), d1, 32),
                scn_event_name(e->kind));
        if (e->kind == SCN_EV_BURST || e->kind == SCN_EV_CORRUPT)
            fprintf(p->f, " %u packets", e->count);
        else
            fprintf(p->f, " for %s%s", dur(ev_ms(p, e->dur_ns), d2, 32),
                    e->kind == SCN_EV_STALL ? e->mode == SCN_STALL_HOLD ? " (hold)" : " (drop)"
                                            : "");
        fputs("</td></tr>\n", p->f);
    }
    for (size_t i = 0; i < sc->consumer.n_events; i++)
        fprintf(p->f, "<tr><td>%s</td><td>consumer</td><td>stall for %s</td></tr>\n",
                dur(ev_ms(p, sc->consumer.events[i].at_ns), d1, 32),
                dur(ev_ms(p, sc->consumer.events[i].dur_ns), d2, 32));
    fputs("</table></div></figure>\n", p->f);
}

/* The device start and the right end of the time axes. */
static void time_frame(struct page *p)
{
    const struct rec_run *r = p->run;
    int64_t t0 = r ? r->start_ns : 0, end = 0;
    if (r && t0 == 0) {
        t0 = INT64_MAX;
        for (size_t i = 0; i < r->n_device; i++)
            t0 = r->device[i].due_ns < t0 ? r->device[i].due_ns : t0;
        if (t0 == INT64_MAX)
            t0 = r->n_app ? r->app[0].recv_ns : 0;
    }
    for (size_t i = 0; r && i < r->n_app; i++)
        end = r->app[i].recv_ns - t0 > end ? r->app[i].recv_ns - t0 : end;
    p->t0 = t0;
    p->end_ms = fmax((double)end * p->x / 1e6, ev_ms(p, p->sc->duration_ns));
    if (p->end_ms <= 0)
        p->end_ms = 1;
}

static int body(struct page *p)
{
    static struct buckets b; /* large: not on the stack */
    head(p);
    time_frame(p);
    events_table(p);
    if (!p->run) {
        fputs("<p>No records: nothing to chart.</p>\n", p->f);
        return 0;
    }
    p->place = loss_places(p->run);
    if (!p->place)
        return -1;
    chart_timeline(p, &b);
    int rc = chart_ring(p, &b);
    free(p->place);
    if (rc != 0)
        return -1;
    chart_latency(p, &b);
    chart_rate(p);
    chart_histogram(p);
    fputs("<p class=\"sub\">usbsim report. Charts keep the minimum and maximum of every pixel "
          "column; hover a mark for its figures.</p>\n</body></html>\n", p->f);
    return 0;
}

int html_write(const char *path, const struct scn_scenario *sc, const struct rec_run *run,
               const struct vfy_result *res, char err[HTML_ERR_MAX])
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, HTML_ERR_MAX, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct page p = {.f = f, .sc = sc, .run = run, .res = res,
                     .x = sc->time_scale > 0 ? sc->time_scale : 1.0};
    if (body(&p) != 0) {
        snprintf(err, HTML_ERR_MAX, "%s: out of memory", path);
        fclose(f);
        return -1;
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, HTML_ERR_MAX, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

int html_path_for(const char *path, const char *name, size_t n, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
        dot = path + strlen(path);
    int w = n == 1 ? snprintf(out, cap, "%s", path)
                   : snprintf(out, cap, "%.*s-%s%s", (int)(dot - path), path, name, dot);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}

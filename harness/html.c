/* html — see html.h. The figures come from html_fig, the drawing from svg. */
#include "harness/html.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/html_fig.h"
#include "harness/svg.h"
#include "harness/xml.h"

struct page {
    FILE *f;
    const struct scn_scenario *sc;
    const struct rec_run *run;
    const struct vfy_result *res;
    struct hfig_frame fr;
    struct hfig_buckets *b; /* one series at a time */
};

static const char *ns_dur(int64_t ns, char *buf, size_t len)
{
    return hfig_dur(ns / 1e6, buf, len);
}

/* A time chart: x in page ms up to the frame's end. */
static struct svg_chart time_chart(const struct page *p, double h)
{
    return (struct svg_chart){.f = p->f, .x_end = p->fr.end_ms, .y0 = 0, .y1 = 1, .h = h};
}

/* ---- chart parts ---- */

static void event_shading(const struct page *p, const struct svg_chart *c)
{
    struct hfig_band bands[HFIG_MAX_BANDS];
    size_t n = hfig_bands(&p->fr, p->sc, bands);
    for (size_t i = 0; i < n; i++) {
        const struct hfig_band *e = &bands[i];
        char d1[32], d2[32], t[96];
        if (e->point) {
            snprintf(t, sizeof t, "%s at %s", e->what, hfig_dur(e->a_ms, d1, sizeof d1));
            svg_marker(c, e->a_ms, e->cls, t);
        } else {
            snprintf(t, sizeof t, "%s %s – %s", e->what, hfig_dur(e->a_ms, d1, sizeof d1),
                     hfig_dur(e->b_ms, d2, sizeof d2));
            svg_band(c, e->a_ms, e->b_ms, e->cls, t);
        }
    }
}

static void time_axis(const struct page *p, const struct svg_chart *c)
{
    double unit, step = hfig_time_step(p->fr.end_ms, &unit);
    for (double t = 0; t <= p->fr.end_ms + 1e-9; t += step) {
        char l[32];
        snprintf(l, sizeof l, "%g%s", t / unit, t == 0 ? "" : unit > 1 ? " s" : " ms");
        svg_x_tick(c, t, l, NULL);
    }
}

static void log_axis(const struct svg_chart *c)
{
    for (double e = ceil(c->y0); e <= c->y1 + 1e-9; e++) {
        char l[32];
        svg_y_tick(c, pow(10, e), hfig_dur(pow(10, e), l, sizeof l));
    }
}

/* Per bucket a vertical stroke from min to max: an envelope that keeps every spike. */
static void envelope(const struct page *p, const struct svg_chart *c, const char *cls)
{
    svg_path_begin(c, cls);
    for (int i = 0; i < HFIG_NB; i++)
        if (p->b->n[i])
            svg_path_stroke(c, hfig_bucket_ms(&p->fr, i), p->b->lo[i], p->b->hi[i]);
    svg_path_end(c);
}

/* Per bucket that has any, a tick from y to y + len (viewBox units) titled with its count. */
static void bucket_ticks(const struct page *p, const struct svg_chart *c, double y, double len,
                         const char *cls, const char *what)
{
    for (int i = 0; i < HFIG_NB; i++)
        if (p->b->n[i]) {
            char d[32], t[96];
            double ms = hfig_bucket_ms(&p->fr, i), x = svg_x(c, ms);
            snprintf(t, sizeof t, "%" PRIu64 " %s near %s", p->b->n[i], what,
                     hfig_dur(ms, d, sizeof d));
            svg_line(c, cls, x, x, y, y + len, t);
        }
}

/* ---- the charts ---- */

static void chart_timeline(struct page *p)
{
    struct svg_chart c = time_chart(p, 150);
    svg_begin(&c, "timeline", "Timeline", "scenario events, and every lost packet at its due time");
    double lane[3] = {SVG_MT + 4, SVG_MT + 40, SVG_MT + 76}; /* device, consumer, losses */
    const char *lane_name[3] = {"device", "consumer", "lost"};
    for (int i = 0; i < 3; i++)
        svg_text(&c, "tick", SVG_ML - 6, lane[i] + 18, "end", lane_name[i]);
    struct hfig_band bands[HFIG_MAX_BANDS];
    size_t n = hfig_bands(&p->fr, p->sc, bands);
    for (size_t i = 0; i < n; i++) {
        const struct hfig_band *e = &bands[i];
        double a = svg_x(&c, e->a_ms), z = svg_x(&c, e->b_ms);
        char cls[32], d[32], t[96];
        snprintf(cls, sizeof cls, "%s lane", e->cls);
        snprintf(t, sizeof t, "%s at %s", e->what, hfig_dur(e->a_ms, d, sizeof d));
        double y = lane[e->device ? 0 : 1], w = e->point ? 3 : fmax(z - a, 1);
        svg_rect(&c, cls, e->point ? a - 1.5 : a, y, w, 28, e->device ? t : NULL);
        svg_text(&c, "lbl", a + 4, y + 18, NULL, e->device ? e->what : "stall");
    }
    static const char *const cls[VFY_PLACE_COUNT] = {"loss-dev", "loss-ring", "loss-crc",
                                                     "loss-unexpl", "loss-app", "loss-app",
                                                     "loss-app"};
    for (int place = 0; place < VFY_PLACE_COUNT; place++) {
        int unexpl = place == VFY_PLACE_UNEXPLAINED;
        char what[48];
        hfig_lost(&p->fr, p->run, p->res, (enum vfy_place)place, p->b);
        snprintf(what, sizeof what, "lost (%s)", vfy_place_name((enum vfy_place)place));
        bucket_ticks(p, &c, lane[2] + (unexpl ? 0 : 6), unexpl ? 34 : 22, cls[place], what);
    }
    time_axis(p, &c);
    static const char *const legend[] = {
        "ev-hold|device stall (hold)", "ev-drop|device stall (drop)", "ev-halt|halt",
        "ev-disc|disconnect", "ev-burst|burst", "ev-corrupt|corrupt", "ev-cons|consumer stall",
        "loss-dev|lost at device", "loss-ring|lost at ring", "loss-crc|lost at crc",
        "loss-unexpl|lost unexplained", "loss-app|lost at your program (app, host, program)"};
    svg_end(&c, legend, sizeof legend / sizeof legend[0]);
}

static int chart_ring(struct page *p)
{
    double peak;
    if (hfig_occupancy(&p->fr, p->sc, p->run, p->res, p->b, &peak) != 0)
        return -1;
    const struct scn_scenario *sc = p->sc;
    struct svg_chart c = time_chart(p, 220);
    c.y1 = hfig_ring_top(sc, peak);
    svg_begin(&c, "ring", "Ring occupancy",
              "packets ingressed by the driver and not yet received by the application");
    event_shading(p, &c);
    svg_y_linear(&c, hfig_nice_step(c.y1 - c.y0, 4));
    char l[64];
    if (sc->transport.ring_slots <= c.y1) {
        snprintf(l, sizeof l, "ring %u slots", sc->transport.ring_slots);
        svg_hline(&c, sc->transport.ring_slots, "cap", l, 0);
    }
    if (sc->expect.has_backlog_max) {
        snprintf(l, sizeof l, "backlog_max %" PRIu64, sc->expect.backlog_max);
        svg_hline(&c, (double)sc->expect.backlog_max, "limit", l, 1);
    }
    envelope(p, &c, "s-occ");
    hfig_driver_rows(&p->fr, p->run, REC_ST_RING_DROP, p->b);
    bucket_ticks(p, &c, c.h - SVG_MB - 14, 14, "loss-ring", "ring-drop rows");
    hfig_driver_rows(&p->fr, p->run, REC_ST_CRC, p->b);
    bucket_ticks(p, &c, c.h - SVG_MB - 14, 14, "loss-crc", "crc rows");
    time_axis(p, &c);
    static const char *const legend[] = {("s-occ|in the ring (evicted packets: from their "
                                          "produce time to their eviction)"),
                                         "loss-ring|ring drop", "loss-crc|crc reject",
                                         "ev-cons|consumer stall", "ev-hold|device event"};
    svg_end(&c, legend, sizeof legend / sizeof legend[0]);
    return 0;
}

static void chart_latency(struct page *p)
{
    struct svg_chart c = time_chart(p, 240);
    c.logy = 1;
    c.y0 = -2;
    c.y1 = fmax(ceil(log10(hfig_latency_max_ms(&p->fr, p->run))), -1);
    svg_begin(&c, "latency", "Latency", "per packet, by its produce time (log scale)");
    event_shading(p, &c);
    log_axis(&c);
    const struct scn_expect *e = &p->sc->expect;
    char l[64], d[32];
    if (e->has_latency_p99_max) {
        snprintf(l, sizeof l, "p99_max %s (device→app)", ns_dur(e->latency_p99_max_ns, d, 32));
        svg_hline(&c, hfig_run_ms(&p->fr, e->latency_p99_max_ns), "limit", l, 0);
    }
    if (e->has_latency_max) {
        snprintf(l, sizeof l, "max %s (device→app)", ns_dur(e->latency_max_ns, d, 32));
        svg_hline(&c, hfig_run_ms(&p->fr, e->latency_max_ns), "limit", l, 1);
    }
    for (int stage = 0; stage < 2; stage++) {
        hfig_latency(&p->fr, p->run, stage, p->b);
        envelope(p, &c, stage == 0 ? "s-dd" : "s-da");
    }
    time_axis(p, &c);
    static const char *const legend[] = {"s-dd|device → driver", "s-da|driver → application",
                                         "limit|expect (device → application)"};
    svg_end(&c, legend, sizeof legend / sizeof legend[0]);
}

static void chart_rate(const struct page *p)
{
    const struct vfy_result *res = p->res;
    const struct scn_expect *e = &p->sc->expect;
    struct svg_chart c = time_chart(p, 180);
    c.y1 = hfig_rate_top(p->sc, res);
    svg_begin(&c, "rate", "Rate", "packets received per 1 s window");
    event_shading(p, &c);
    svg_y_linear(&c, hfig_nice_step(c.y1 - c.y0, 4));
    for (size_t k = 0; k < res->n_windows; k++) {
        const struct vfy_window *w = &res->windows[k];
        char t[96];
        snprintf(t, sizeof t, "%" PRIu64 " Hz from %.0f s%s", w->packets, w->start_ns / 1e9,
                 w->checked ? "" : " (not checked: an event is near)");
        svg_bar(&c, w->start_ns / 1e6, w->start_ns / 1e6 + 1000, (double)w->packets, 1,
                w->checked ? "s-rate" : "s-rate-unchecked", t);
    }
    char l[48];
    if (e->has_rate_min) {
        snprintf(l, sizeof l, "min %g Hz", e->rate_min_hz);
        svg_hline(&c, e->rate_min_hz, "limit", l, 0);
    }
    if (e->has_rate_max) {
        snprintf(l, sizeof l, "max %g Hz", e->rate_max_hz);
        svg_hline(&c, e->rate_max_hz, "limit", l, 1);
    }
    time_axis(p, &c);
    static const char *const legend[] = {"s-rate|window checked against rate_hz",
                                         "s-rate-unchecked|window near an event (not checked)"};
    svg_end(&c, legend, sizeof legend / sizeof legend[0]);
}

static int chart_histogram(const struct page *p)
{
    struct hfig_hist h;
    if (hfig_interarrival(&p->fr, p->run, &h) != 0)
        return -1;
    struct svg_chart c = {.f = p->f, .x_end = h.nb, .y0 = 0, .h = 200};
    c.y1 = hfig_axis_top((double)h.top, 1.1);
    svg_begin(&c, "interarrival", "Inter-arrival at the application",
              "time between consecutive packets taken from the ring (log bins)");
    svg_y_linear(&c, hfig_nice_step(c.y1 - c.y0, 4));
    for (int k = 0; k < h.nb; k++) {
        char d1[32], d2[32], t[96];
        snprintf(t, sizeof t, "%" PRIu64 " between %s and %s", h.cnt[k],
                 k ? hfig_dur(hfig_hist_edge(k - 1), d1, 32) : "0",
                 hfig_dur(hfig_hist_edge(k), d2, 32));
        svg_bar(&c, k, k + 1, (double)h.cnt[k], 0.5, "s-hist", t);
    }
    for (double e = HFIG_HIST_LO; e <= h.hi_log + 1e-9; e++) {
        char l[32];
        svg_x_tick(&c, hfig_hist_pos(e), hfig_dur(pow(10, e), l, sizeof l), "middle");
    }
    double xp = svg_x(&c, hfig_hist_pos(log10(hfig_run_ms(&p->fr, p->sc->device.period_ns))));
    svg_line(&c, "limit", xp, xp, SVG_MT, c.h - SVG_MB, NULL);
    svg_text(&c, "lbl limit", xp + 4, SVG_MT + 12, NULL, "period");
    hfig_hist_free(&h);
    static const char *const legend[] = {"s-hist|packets", "limit|the device's period"};
    svg_end(&c, legend, sizeof legend / sizeof legend[0]);
    return 0;
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
    ".loss-crc{stroke:#d81b60;stroke-width:2}.loss-app{stroke:#00838f;stroke-width:2}"
    ".loss-unexpl{stroke:var(--bad);stroke-width:3}"
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
    ".sw.loss-app{background:#00838f}"
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
    int64_t lim = (int64_t)llround((double)limit_run_ns * p->fr.x);
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
                    r->lost_accounted.app + r->lost_accounted.host + r->lost_accounted.program +
                    r->lost_unexplained;
    snprintf(v, sizeof v, "%" PRIu64 " · %" PRIu64 " · %" PRIu64 " · %" PRIu64,
             r->lost_accounted.device, r->lost_accounted.ring, r->lost_accounted.crc,
             r->lost_accounted.app + r->lost_accounted.host + r->lost_accounted.program);
    l[0] = 0;
    if (e->has_lost_max)
        snprintf(l, sizeof l, "%" PRIu64 " lost, lost_max %" PRIu64, lost, e->lost_max);
    fig(p, "lost at device · ring · crc · your program (app, host, program)", v, l, e->has_lost_max && lost > e->lost_max);
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
    xml_text(p->f, r->name);
    fprintf(p->f, " — usbsim</title>\n<style>%s</style></head><body>\n", CSS);
    fprintf(p->f, "<header class=\"verdict %s\"><b>%s</b><span>", r->pass ? "pass" : "fail",
            r->pass ? "PASS" : "FAIL");
    xml_text(p->f, r->name);
    fputs("</span><span>", p->f);
    if (r->endpoint)
        fprintf(p->f, "%sstream 0x%02x · ", r->raw ? "raw " : "", r->endpoint);
    fputs("backend ", p->f);
    xml_text(p->f, r->backend[0] ? r->backend : "?");
    fprintf(p->f, " · seed %" PRIu64 " · time scale %g · %.1f s</span></header>\n", r->seed,
            r->time_scale, (double)p->sc->duration_ns * p->fr.x / 1e9);
    if (p->sc->file[0]) {
        fputs("<p class=\"sub\">scenario ", p->f);
        xml_text(p->f, p->sc->file);
        fputs(". Every time on this page is scenario time from the device's start.</p>\n", p->f);
    }
    if (r->n_failures) {
        fputs("<ul class=\"failures\" id=\"failures\">\n", p->f);
        for (size_t i = 0; i < r->n_failures; i++) {
            fputs("<li>", p->f);
            xml_text(p->f, r->failures[i]);
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
        fprintf(p->f, "<tr><td>%s</td><td>device</td><td>%s",
                hfig_dur(hfig_run_ms(&p->fr, e->at_ns), d1, 32), scn_event_name(e->kind));
        if (e->kind == SCN_EV_BURST || e->kind == SCN_EV_CORRUPT)
            fprintf(p->f, " %u packets", e->count);
        else
            fprintf(p->f, " for %s%s", hfig_dur(hfig_run_ms(&p->fr, e->dur_ns), d2, 32),
                    e->kind == SCN_EV_STALL ? e->mode == SCN_STALL_HOLD ? " (hold)" : " (drop)"
                                            : "");
        fputs("</td></tr>\n", p->f);
    }
    for (size_t i = 0; i < sc->consumer.n_events; i++)
        fprintf(p->f, "<tr><td>%s</td><td>consumer</td><td>stall for %s</td></tr>\n",
                hfig_dur(hfig_run_ms(&p->fr, sc->consumer.events[i].at_ns), d1, 32),
                hfig_dur(hfig_run_ms(&p->fr, sc->consumer.events[i].dur_ns), d2, 32));
    fputs("</table></div></figure>\n", p->f);
}


static int body(struct page *p)
{
    hfig_frame(&p->fr, p->sc, p->run);
    head(p);
    events_table(p);
    if (!p->run) {
        fputs("<p>No records: nothing to chart.</p>\n", p->f);
        return 0;
    }
    p->b = malloc(sizeof *p->b); /* large: not on the stack */
    if (!p->b)
        return -1;
    chart_timeline(p);
    int rc = chart_ring(p);
    if (rc == 0) {
        chart_latency(p);
        chart_rate(p);
        rc = chart_histogram(p);
    }
    free(p->b);
    if (rc != 0)
        return -1;
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
    struct page p = {.f = f, .sc = sc, .run = run, .res = res};
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


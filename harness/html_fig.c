/* html_fig — see html_fig.h. */
#include "harness/html_fig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- time ---- */

double hfig_ms(const struct hfig_frame *fr, int64_t real_ns)
{
    return (double)vfy_sub_ns(real_ns, fr->t0) * fr->x / 1e6;
}

double hfig_run_ms(const struct hfig_frame *fr, int64_t run_ns)
{
    return (double)run_ns * fr->x / 1e6;
}

void hfig_frame(struct hfig_frame *fr, const struct scn_scenario *sc, const struct rec_run *run)
{
    int64_t t0 = run ? run->start_ns : 0, end = 0;
    if (run && t0 == 0) {
        t0 = INT64_MAX;
        for (size_t i = 0; i < run->n_device; i++)
            t0 = run->device[i].due_ns < t0 ? run->device[i].due_ns : t0;
        if (t0 == INT64_MAX)
            t0 = run->n_app ? run->app[0].recv_ns : 0;
    }
    for (size_t i = 0; run && i < run->n_app; i++) {
        int64_t e = vfy_sub_ns(run->app[i].recv_ns, t0);
        end = e > end ? e : end;
    }
    fr->x = sc->time_scale > 0 ? sc->time_scale : 1.0;
    fr->t0 = t0;
    fr->end_ms = fmax((double)end * fr->x / 1e6, hfig_run_ms(fr, sc->duration_ns));
    if (fr->end_ms <= 0)
        fr->end_ms = 1;
}

/* ---- buckets ---- */

int hfig_bucket_of(const struct hfig_frame *fr, double ms)
{
    int b = (int)(ms / (fr->end_ms > 0 ? fr->end_ms : 1) * HFIG_NB);
    return b < 0 ? 0 : b >= HFIG_NB ? HFIG_NB - 1 : b;
}

double hfig_bucket_ms(const struct hfig_frame *fr, int b)
{
    return (b + 0.5) * fr->end_ms / HFIG_NB;
}

void hfig_bk_reset(struct hfig_buckets *b)
{
    for (int i = 0; i < HFIG_NB; i++) {
        b->lo[i] = INFINITY;
        b->hi[i] = -INFINITY;
        b->n[i] = 0;
    }
}

void hfig_bk_add(const struct hfig_frame *fr, struct hfig_buckets *b, double ms, double v)
{
    int i = hfig_bucket_of(fr, ms);
    b->lo[i] = fmin(b->lo[i], v);
    b->hi[i] = fmax(b->hi[i], v);
    b->n[i]++;
}

/* ---- ring occupancy ---- */

struct step {
    int64_t t;
    int d; /* +1 into the ring, -1 out of it */
};

static int cmp_step(const void *a, const void *b)
{
    const struct step *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return x->d - y->d; /* out first at the same instant */
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorted: the ring-drop rows' times (named 0: seq -1) or seqs (named 1: seq >= 0). */
static int64_t *ring_drops(const struct rec_run *r, int named, size_t *m)
{
    int64_t *v = malloc((r->n_driver + 1) * sizeof *v);
    *m = 0;
    for (size_t i = 0; v && i < r->n_driver; i++) {
        const struct rec_driver_row *d = &r->driver[i];
        if (d->status == REC_ST_RING_DROP && (d->seq >= 0) == named)
            v[(*m)++] = named ? d->seq : d->ingress_ns;
    }
    if (v)
        qsort(v, *m, sizeof *v, cmp_i64);
    return v;
}

/* Packets evicted from the ring: in it from (about) their produce time to an eviction row,
 * paired oldest seq first with the earliest eviction. Appends the steps to s; returns their
 * count, or -1 when out of memory. */
static long eviction_steps(const struct rec_run *r, const struct vfy_result *res, struct step *s)
{
    size_t m, nn;
    int64_t *ev = ring_drops(r, 0, &m), *named = ring_drops(r, 1, &nn);
    long n = ev && named ? 0 : -1;
    size_t k = 0, j = 0;
    for (size_t i = 0; n >= 0 && i < res->n_lost && j < m; i++) {
        const struct vfy_lost *l = &res->lost[i];
        int64_t seq = (int64_t)l->seq;
        if (l->place != VFY_PLACE_RING || bsearch(&seq, named, nn, sizeof *named, cmp_i64))
            continue;
        while (k < r->n_device && r->device[k].seq < l->seq)
            k++;
        if (k == r->n_device || r->device[k].seq != l->seq)
            continue;
        const struct rec_device_row *d = &r->device[k];
        int64_t in = d->produce_ns > 0 ? d->produce_ns : d->due_ns;
        s[n++] = (struct step){in < ev[j] ? in : ev[j], +1};
        s[n++] = (struct step){ev[j++], -1};
    }
    free(ev);
    free(named);
    return n;
}

int hfig_occupancy(const struct hfig_frame *fr, const struct scn_scenario *sc,
                   const struct rec_run *run, const struct vfy_result *res,
                   struct hfig_buckets *b, double *peak)
{
    struct step *s = malloc((2 * run->n_app + 2 * run->n_driver + 1) * sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < run->n_app; i++) {
        s[2 * i] = (struct step){run->app[i].ingress_ns, +1};
        s[2 * i + 1] = (struct step){run->app[i].recv_ns, -1};
    }
    long ev = eviction_steps(run, res, s + 2 * run->n_app);
    if (ev < 0) {
        free(s);
        return -1;
    }
    size_t n = 2 * run->n_app + (size_t)ev;
    qsort(s, n, sizeof *s, cmp_step);
    hfig_bk_reset(b);
    long level = 0;
    int last = -1;
    *peak = 0;
    /* The estimated ingress of an evicted packet may overlap its successor's by a moment. */
    double cap = (double)sc->transport.ring_slots, v = 0;
    for (size_t i = 0; i < n; i++) {
        int k = hfig_bucket_of(fr, hfig_ms(fr, s[i].t));
        for (int j = last + 1; last >= 0 && j < k; j++)
            hfig_bk_add(fr, b, hfig_bucket_ms(fr, j), v);
        level += s[i].d;
        v = fmin((double)level, cap);
        hfig_bk_add(fr, b, hfig_ms(fr, s[i].t), v);
        last = k;
        *peak = fmax(*peak, v);
    }
    free(s);
    return 0;
}

/* ---- per-packet series ---- */

void hfig_lost(const struct hfig_frame *fr, const struct rec_run *run,
               const struct vfy_result *res, enum vfy_place place, struct hfig_buckets *b)
{
    double start_ms = hfig_ms(fr, run->start_ns); /* the verifier's device start */
    hfig_bk_reset(b);
    for (size_t i = 0; i < res->n_lost; i++)
        if (res->lost[i].place == place)
            hfig_bk_add(fr, b, start_ms + (double)res->lost[i].due_ns / 1e6, 1);
}

void hfig_driver_rows(const struct hfig_frame *fr, const struct rec_run *run, enum rec_status st,
                      struct hfig_buckets *b)
{
    hfig_bk_reset(b);
    for (size_t i = 0; i < run->n_driver; i++)
        if (run->driver[i].status == st)
            hfig_bk_add(fr, b, hfig_ms(fr, run->driver[i].ingress_ns), 1);
}

void hfig_latency(const struct hfig_frame *fr, const struct rec_run *run, int stage,
                  struct hfig_buckets *b)
{
    hfig_bk_reset(b);
    for (size_t i = 0; i < run->n_app; i++) {
        const struct rec_app_row *a = &run->app[i];
        int64_t v = stage == 0 ? vfy_sub_ns(a->ingress_ns, a->produce_ns)
                               : vfy_sub_ns(a->recv_ns, a->ingress_ns);
        if (v >= 0) /* a negative latency is the verifier's integrity failure, not a point */
            hfig_bk_add(fr, b, hfig_ms(fr, a->produce_ns), (double)v * fr->x / 1e6);
    }
}

double hfig_latency_max_ms(const struct hfig_frame *fr, const struct rec_run *run)
{
    double hi = 0.01;
    for (size_t i = 0; i < run->n_app; i++)
        hi = fmax(hi, (double)vfy_sub_ns(run->app[i].recv_ns, run->app[i].produce_ns) * fr->x /
                          1e6);
    return hi;
}

/* ---- inter-arrival histogram ---- */

double hfig_hist_edge(int k) { return pow(10, HFIG_HIST_LO + (double)k / HFIG_HIST_PER_DECADE); }

double hfig_hist_pos(double log_ms)
{
    return (log_ms - HFIG_HIST_LO) * HFIG_HIST_PER_DECADE + 1;
}

int hfig_interarrival(const struct hfig_frame *fr, const struct rec_run *run,
                      struct hfig_hist *h)
{
    h->hi_log = 1;
    for (size_t i = 1; i < run->n_app; i++) {
        double ms = (double)vfy_sub_ns(run->app[i].recv_ns, run->app[i - 1].recv_ns) * fr->x / 1e6;
        if (ms > 0)
            h->hi_log = fmax(h->hi_log, ceil(log10(ms)));
    }
    h->nb = (int)((h->hi_log - HFIG_HIST_LO) * HFIG_HIST_PER_DECADE) + 1;
    h->top = 1;
    h->cnt = calloc((size_t)h->nb, sizeof *h->cnt);
    if (!h->cnt)
        return -1;
    for (size_t i = 1; i < run->n_app; i++) {
        double ms = (double)vfy_sub_ns(run->app[i].recv_ns, run->app[i - 1].recv_ns) * fr->x / 1e6;
        int k = ms <= 0 ? 0 : (int)floor((log10(ms) - HFIG_HIST_LO) * HFIG_HIST_PER_DECADE) + 1;
        k = k < 0 ? 0 : k >= h->nb ? h->nb - 1 : k;
        if (++h->cnt[k] > h->top)
            h->top = h->cnt[k];
    }
    return 0;
}

void hfig_hist_free(struct hfig_hist *h)
{
    free(h->cnt);
    h->cnt = NULL;
    h->nb = 0;
}

/* ---- events ---- */

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

size_t hfig_bands(const struct hfig_frame *fr, const struct scn_scenario *sc,
                  struct hfig_band out[HFIG_MAX_BANDS])
{
    size_t n = 0;
    for (size_t i = 0; i < sc->device.n_events && n < HFIG_MAX_BANDS; i++) {
        const struct scn_dev_event *e = &sc->device.events[i];
        int point = e->kind == SCN_EV_BURST || e->kind == SCN_EV_CORRUPT;
        int64_t end = vfy_add_ns(e->at_ns, point ? 0 : e->dur_ns);
        out[n++] = (struct hfig_band){.a_ms = hfig_run_ms(fr, e->at_ns),
                                      .b_ms = hfig_run_ms(fr, end),
                                      .point = point, .device = 1, .cls = dev_event_class(e),
                                      .what = scn_event_name(e->kind)};
    }
    for (size_t i = 0; i < sc->consumer.n_events && n < HFIG_MAX_BANDS; i++) {
        const struct scn_con_event *e = &sc->consumer.events[i];
        out[n++] = (struct hfig_band){.a_ms = hfig_run_ms(fr, e->at_ns),
                                      .b_ms = hfig_run_ms(fr, vfy_add_ns(e->at_ns, e->dur_ns)),
                                      .cls = "ev-cons", .what = "consumer stall"};
    }
    return n;
}

/* ---- axes ---- */

double hfig_nice_step(double range, int n)
{
    double raw = range / n, mag = pow(10, floor(log10(raw > 0 ? raw : 1)));
    double r = raw / mag;
    return mag * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
}

double hfig_axis_top(double top, double headroom)
{
    double step = hfig_nice_step(top, 4);
    return ceil(top * headroom / step) * step;
}

double hfig_time_step(double end_ms, double *unit)
{
    *unit = end_ms >= 2000 ? 1000 : 1;
    return hfig_nice_step(end_ms / *unit, 8) * *unit;
}

double hfig_ring_top(const struct scn_scenario *sc, double peak)
{
    double top = fmax(peak, 1);
    if (sc->expect.has_backlog_max)
        top = fmax(top, (double)sc->expect.backlog_max);
    if (sc->transport.ring_slots <= 4 * top)
        top = fmax(top, (double)sc->transport.ring_slots);
    return hfig_axis_top(top, 1.08);
}

double hfig_rate_top(const struct scn_scenario *sc, const struct vfy_result *res)
{
    double top = fmax(res->window_max_hz, 1);
    if (sc->expect.has_rate_max)
        top = fmax(top, sc->expect.rate_max_hz);
    return hfig_axis_top(top, 1.1);
}

/* ---- text ---- */

const char *hfig_dur(double ms, char *buf, size_t len)
{
    if (fabs(ms) < 1)
        snprintf(buf, len, "%.0f µs", ms * 1000);
    else if (fabs(ms) < 1000)
        snprintf(buf, len, "%.*f ms", fabs(ms) < 10 ? 2 : 1, ms);
    else
        snprintf(buf, len, "%.2f s", ms / 1000);
    return buf;
}

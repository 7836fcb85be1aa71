/* fuzz_gen — see fuzz_gen.h. */
#include "harness/fuzz_gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/rng.h"

/* ---- generation ------------------------------------------------------------------------------ */

static int64_t pick(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo + 1));
}

static const double alphas[] = {1.0, 1.5, 2.0, 2.5, 3.0, 5.0};

/* A distribution of any kind; sizes in us: uniform max, normal stddev, pareto scale. */
static void gen_dist(struct rng *r, struct scn_dist *d, int64_t max_us, int64_t sd_us,
                     int64_t scale_us)
{
    memset(d, 0, sizeof *d);
    d->kind = (enum scn_dist_kind)rng_below(r, 4);
    if (d->kind == SCN_DIST_UNIFORM)
        d->max_ns = pick(r, 1, max_us) * FZ_US;
    else if (d->kind == SCN_DIST_NORMAL)
        d->stddev_ns = pick(r, 1, sd_us) * FZ_US;
    else if (d->kind == SCN_DIST_PARETO) {
        d->scale_ns = pick(r, 1, scale_us) * FZ_US;
        d->alpha = alphas[rng_below(r, sizeof alphas / sizeof alphas[0])];
    }
}

bool fz_is_window(enum scn_dev_event_kind k)
{
    return k == SCN_EV_STALL || k == SCN_EV_HALT || k == SCN_EV_DISCONNECT;
}

/* Device events in time order, windows disjoint: each starts after the previous one ends. */
static void gen_dev_events(struct rng *r, struct scn_scenario *s)
{
    int64_t end_ms = s->duration_ns / FZ_MS, t = pick(r, 0, 400);
    unsigned n = (unsigned)rng_below(r, 7);
    for (unsigned i = 0; i < n && t < end_ms; i++) {
        struct scn_dev_event *e = &s->device.events[s->device.n_events++];
        memset(e, 0, sizeof *e);
        e->kind = (enum scn_dev_event_kind)rng_below(r, 5);
        e->at_ns = t * FZ_MS;
        switch (e->kind) {
        case SCN_EV_STALL:
            e->dur_ns = pick(r, 1, 500) * FZ_MS;
            e->mode = (enum scn_stall_mode)rng_below(r, 2);
            break;
        case SCN_EV_BURST: e->count = (uint32_t)pick(r, 1, 64); break;
        case SCN_EV_HALT: e->dur_ns = pick(r, 1, 200) * FZ_MS; break;
        case SCN_EV_DISCONNECT: e->dur_ns = pick(r, 1, 500) * FZ_MS; break;
        case SCN_EV_CORRUPT: e->count = (uint32_t)pick(r, 1, 8); break;
        }
        t += e->dur_ns / FZ_MS + pick(r, 0, 600);
    }
}

static void gen_con_events(struct rng *r, struct scn_scenario *s)
{
    int64_t end_ms = s->duration_ns / FZ_MS, t = pick(r, 0, 800);
    unsigned n = (unsigned)rng_below(r, 4);
    for (unsigned i = 0; i < n && t < end_ms; i++) {
        struct scn_con_event *e = &s->consumer.events[s->consumer.n_events++];
        memset(e, 0, sizeof *e);
        e->at_ns = t * FZ_MS;
        e->dur_ns = pick(r, 1, 800) * FZ_MS;
        t += e->dur_ns / FZ_MS + pick(r, 0, 800);
    }
}

void fz_generate(uint64_t seed, uint64_t index, struct scn_scenario *s)
{
    struct rng r;
    rng_seed(&r, rng_derive(rng_derive(seed, RNG_TAG_FUZZ), index));
    scn_defaults(s);
    snprintf(s->name, sizeof s->name, "fz-%" PRIu64 "-%" PRIu64, seed, index);
    s->seed = rng_next(&r);
    s->duration_ns = pick(&r, 1000, 4000) * FZ_MS;
    int64_t period_us = pick(&r, 1000, 20000);
    s->device.period_ns = period_us * FZ_US;
    s->device.packet_size = (uint32_t)pick(&r, 32, 1024);
    s->device.endpoint = (enum scn_endpoint)rng_below(&r, 2);
    s->device.fifo_packets = 1u << rng_below(&r, 8);
    gen_dist(&r, &s->device.jitter, period_us, period_us / 4, period_us / 10);
    s->transport.ring_slots = 8u << rng_below(&r, 8);
    s->transport.overflow = (enum scn_overflow)rng_below(&r, 3);
    s->transport.doorbell = rng_below(&r, 4) == 0 ? SCN_DB_ALWAYS : SCN_DB_SUPPRESSED;
    s->consumer.batch_max = 1u << rng_below(&r, 9);
    gen_dist(&r, &s->consumer.work, 300, 40, 10);
    gen_dev_events(&r, s);
    gen_con_events(&r, s);
}

bool fz_in_shard(uint64_t index, unsigned k, unsigned n)
{
    return n > 0 && k >= 1 && k <= n && index % n == k - 1;
}

/* ---- summaries ------------------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void put(struct buf *b, const char *fmt, ...)
{
    if (b->used >= b->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
    va_end(ap);
    b->used += n > 0 ? (size_t)n : 0;
}

static void put_dist(struct buf *b, const char *what, const struct scn_dist *d)
{
    switch (d->kind) {
    case SCN_DIST_UNIFORM:
        put(b, " %s=uniform:%lldus", what, (long long)(d->max_ns / FZ_US));
        break;
    case SCN_DIST_NORMAL:
        put(b, " %s=normal:%lldus", what, (long long)(d->stddev_ns / FZ_US));
        break;
    case SCN_DIST_PARETO:
        put(b, " %s=pareto:%lldus/a%g", what, (long long)(d->scale_ns / FZ_US), d->alpha);
        break;
    default: put(b, " %s=none", what);
    }
}

static void put_events(struct buf *b, const struct scn_scenario *s)
{
    put(b, " dev[");
    for (size_t i = 0; i < s->device.n_events; i++) {
        const struct scn_dev_event *e = &s->device.events[i];
        put(b, "%s%s@%lld", i ? " " : "", scn_event_name(e->kind), (long long)(e->at_ns / FZ_MS));
        if (fz_is_window(e->kind))
            put(b, "+%lld%s", (long long)(e->dur_ns / FZ_MS),
                e->kind == SCN_EV_STALL ? (e->mode == SCN_STALL_HOLD ? "hold" : "drop") : "");
        else
            put(b, "x%u", e->count);
    }
    put(b, "] con[");
    for (size_t i = 0; i < s->consumer.n_events; i++)
        put(b, "%sstall@%lld+%lld", i ? " " : "", (long long)(s->consumer.events[i].at_ns / FZ_MS),
            (long long)(s->consumer.events[i].dur_ns / FZ_MS));
    put(b, "]");
}

void fz_summary(const struct scn_scenario *s, char *p, size_t len)
{
    struct buf b = {p, len, 0};
    if (len)
        p[0] = 0;
    put(&b, "%s %lldms %lldus/%uB/%s fifo%u", s->name, (long long)(s->duration_ns / FZ_MS),
        (long long)(s->device.period_ns / FZ_US), s->device.packet_size,
        s->device.endpoint == SCN_EP_BULK ? "bulk" : "int", s->device.fifo_packets);
    put_dist(&b, "jitter", &s->device.jitter);
    put(&b, " ring=%u/%s/%s batch%u", s->transport.ring_slots,
        scn_overflow_name(s->transport.overflow), scn_doorbell_name(s->transport.doorbell),
        s->consumer.batch_max);
    put_dist(&b, "work", &s->consumer.work);
    put_events(&b, s);
}

int64_t fz_dist_bound(const struct scn_dist *d)
{
    switch (d->kind) {
    case SCN_DIST_UNIFORM: return d->max_ns;
    case SCN_DIST_NORMAL: return 10 * d->stddev_ns;
    case SCN_DIST_PARETO: return 100 * d->scale_ns;
    default: return 0;
    }
}

/* fuzz — see fuzz.h. */
#include "harness/fuzz.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/fault.h"
#include "harness/args.h"
#include "harness/backend.h"
#include "harness/proc.h"
#include "harness/run.h"
#include "harness/vmrun.h"
#include "sim/rng.h"

#define MS 1000000LL
#define US 1000LL
#define MIN_DURATION_MS 100 /* shrinking never goes below this: a run needs a few packets */

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
        d->max_ns = pick(r, 1, max_us) * US;
    else if (d->kind == SCN_DIST_NORMAL)
        d->stddev_ns = pick(r, 1, sd_us) * US;
    else if (d->kind == SCN_DIST_PARETO) {
        d->scale_ns = pick(r, 1, scale_us) * US;
        d->alpha = alphas[rng_below(r, sizeof alphas / sizeof alphas[0])];
    }
}

static bool is_window(enum scn_dev_event_kind k)
{
    return k == SCN_EV_STALL || k == SCN_EV_HALT || k == SCN_EV_DISCONNECT;
}

/* Device events in time order, windows disjoint: each starts after the previous one ends. */
static void gen_dev_events(struct rng *r, struct scn_scenario *s)
{
    int64_t end_ms = s->duration_ns / MS, t = pick(r, 0, 400);
    unsigned n = (unsigned)rng_below(r, 7);
    for (unsigned i = 0; i < n && t < end_ms; i++) {
        struct scn_dev_event *e = &s->device.events[s->device.n_events++];
        memset(e, 0, sizeof *e);
        e->kind = (enum scn_dev_event_kind)rng_below(r, 5);
        e->at_ns = t * MS;
        switch (e->kind) {
        case SCN_EV_STALL:
            e->dur_ns = pick(r, 1, 500) * MS;
            e->mode = (enum scn_stall_mode)rng_below(r, 2);
            break;
        case SCN_EV_BURST: e->count = (uint32_t)pick(r, 1, 64); break;
        case SCN_EV_HALT: e->dur_ns = pick(r, 1, 200) * MS; break;
        case SCN_EV_DISCONNECT: e->dur_ns = pick(r, 1, 500) * MS; break;
        case SCN_EV_CORRUPT: e->count = (uint32_t)pick(r, 1, 8); break;
        }
        t += e->dur_ns / MS + pick(r, 0, 600);
    }
}

static void gen_con_events(struct rng *r, struct scn_scenario *s)
{
    int64_t end_ms = s->duration_ns / MS, t = pick(r, 0, 800);
    unsigned n = (unsigned)rng_below(r, 4);
    for (unsigned i = 0; i < n && t < end_ms; i++) {
        struct scn_con_event *e = &s->consumer.events[s->consumer.n_events++];
        memset(e, 0, sizeof *e);
        e->at_ns = t * MS;
        e->dur_ns = pick(r, 1, 800) * MS;
        t += e->dur_ns / MS + pick(r, 0, 800);
    }
}

void fz_generate(uint64_t seed, uint64_t index, struct scn_scenario *s)
{
    struct rng r;
    rng_seed(&r, rng_derive(rng_derive(seed, RNG_TAG_FUZZ), index));
    scn_defaults(s);
    snprintf(s->name, sizeof s->name, "fz-%" PRIu64 "-%" PRIu64, seed, index);
    s->seed = rng_next(&r);
    s->duration_ns = pick(&r, 1000, 4000) * MS;
    int64_t period_us = pick(&r, 1000, 20000);
    s->device.period_ns = period_us * US;
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
    case SCN_DIST_UNIFORM: put(b, " %s=uniform:%lldus", what, (long long)(d->max_ns / US)); break;
    case SCN_DIST_NORMAL: put(b, " %s=normal:%lldus", what, (long long)(d->stddev_ns / US)); break;
    case SCN_DIST_PARETO:
        put(b, " %s=pareto:%lldus/a%g", what, (long long)(d->scale_ns / US), d->alpha);
        break;
    default: put(b, " %s=none", what);
    }
}

static void put_events(struct buf *b, const struct scn_scenario *s)
{
    put(b, " dev[");
    for (size_t i = 0; i < s->device.n_events; i++) {
        const struct scn_dev_event *e = &s->device.events[i];
        put(b, "%s%s@%lld", i ? " " : "", scn_event_name(e->kind), (long long)(e->at_ns / MS));
        if (is_window(e->kind))
            put(b, "+%lld%s", (long long)(e->dur_ns / MS),
                e->kind == SCN_EV_STALL ? (e->mode == SCN_STALL_HOLD ? "hold" : "drop") : "");
        else
            put(b, "x%u", e->count);
    }
    put(b, "] con[");
    for (size_t i = 0; i < s->consumer.n_events; i++)
        put(b, "%sstall@%lld+%lld", i ? " " : "", (long long)(s->consumer.events[i].at_ns / MS),
            (long long)(s->consumer.events[i].dur_ns / MS));
    put(b, "]");
}

void fz_summary(const struct scn_scenario *s, char *p, size_t len)
{
    struct buf b = {p, len, 0};
    if (len)
        p[0] = 0;
    put(&b, "%s %lldms %lldus/%uB/%s fifo%u", s->name, (long long)(s->duration_ns / MS),
        (long long)(s->device.period_ns / US), s->device.packet_size,
        s->device.endpoint == SCN_EP_BULK ? "bulk" : "int", s->device.fifo_packets);
    put_dist(&b, "jitter", &s->device.jitter);
    put(&b, " ring=%u/%s/%s batch%u", s->transport.ring_slots,
        scn_overflow_name(s->transport.overflow), scn_doorbell_name(s->transport.doorbell),
        s->consumer.batch_max);
    put_dist(&b, "work", &s->consumer.work);
    put_events(&b, s);
}

/* ---- invariants ------------------------------------------------------------------------------ */

static const char *const inv_names[FZ_INV_COUNT] = {
    "process", "loss", "accounting", "duplicate", "reorder", "corruption",
    "integrity", "backlog", "wakeups", "drain", "latency", "other"};

const char *fz_inv_name(enum fz_inv v)
{
    return (unsigned)v < FZ_INV_COUNT ? inv_names[v] : "?";
}

enum fz_inv fz_first(unsigned mask)
{
    for (int v = 0; v < FZ_INV_COUNT; v++)
        if (mask & (1u << v))
            return (enum fz_inv)v;
    return FZ_INV_COUNT;
}

/* Which invariant a verifier failure text belongs to. */
static enum fz_inv classify(const char *f)
{
    static const struct {
        const char *prefix;
        enum fz_inv inv;
    } map[] = {
        {"device: ", FZ_INV_PROCESS}, {"driver: ", FZ_INV_PROCESS}, {"app: ", FZ_INV_PROCESS},
        {"no records", FZ_INV_PROCESS}, {"duplicated", FZ_INV_DUPLICATE},
        {"reordered", FZ_INV_REORDER}, {"corrupted packet", FZ_INV_CORRUPTION},
        {"delivered but never", FZ_INV_INTEGRITY}, {"delivered but the device", FZ_INV_INTEGRITY},
        {"delivered but also", FZ_INV_ACCOUNTING}, {"driver log:", FZ_INV_ACCOUNTING},
        {"the driver counted", FZ_INV_ACCOUNTING}, {"lost wake-ups", FZ_INV_WAKEUPS},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(f, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].inv;
    return strstr(f, "lost unexplained") ? FZ_INV_LOSS : FZ_INV_OTHER;
}

/* The largest draw a distribution can give (the clamps of scenario.h), in ns. */
static int64_t dist_bound(const struct scn_dist *d)
{
    switch (d->kind) {
    case SCN_DIST_UNIFORM: return d->max_ns;
    case SCN_DIST_NORMAL: return 10 * d->stddev_ns;
    case SCN_DIST_PARETO: return 100 * d->scale_ns;
    default: return 0;
    }
}

struct judge {
    unsigned mask;
    int want; /* the invariant whose reason goes to why; -1: the first one broken */
    char *why;
    size_t len;
};

__attribute__((format(printf, 3, 4))) static void violate(struct judge *j, enum fz_inv v,
                                                          const char *fmt, ...)
{
    bool first = j->want < 0 ? fz_first(j->mask) > v : (int)v == j->want && !(j->mask & (1u << v));
    if (first && j->len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(j->why, j->len, fmt, ap);
        va_end(ap);
    }
    j->mask |= 1u << v;
}

static void check_wakeups(struct judge *j, const struct vfy_result *r)
{
    if (r->wakeups == VFY_MISSING)
        return;
    uint64_t packets = r->delivered + r->lost_accounted.ring;
    if (r->doorbells != VFY_MISSING && r->wakeups > r->doorbells + 1)
        violate(j, FZ_INV_WAKEUPS, "%" PRIu64 " wake-ups for %" PRIu64 " doorbells (+1 at the end)",
                r->wakeups, r->doorbells);
    else if (r->wakeups > packets + 1)
        violate(j, FZ_INV_WAKEUPS, "%" PRIu64 " wake-ups for %" PRIu64 " packets put in the ring "
                "(+1 at the end)", r->wakeups, packets);
}

/* The drain bound after consumer stall k: base, plus every later stall that begins before the
 * drain may have ended (the application stops draining again). Scenario time. */
static int64_t drain_bound(const struct scn_scenario *sc, size_t k, int64_t base, double x)
{
    const struct scn_con_event *e = sc->consumer.events;
    int64_t end = llround((double)(e[k].at_ns + e[k].dur_ns) * x), bound = base;
    for (size_t i = k + 1; i < sc->consumer.n_events; i++)
        if (llround((double)e[i].at_ns * x) < end + bound)
            bound += llround((double)e[i].dur_ns * x);
    return bound;
}

/* Drain and driver->application latency against their bounds (scenario time). */
static void check_times(struct judge *j, const struct scn_scenario *sc, const struct vfy_result *r)
{
    double x = sc->time_scale > 0 ? sc->time_scale : 1.0;
    int64_t per_packet = llround((double)(dist_bound(&sc->consumer.work) + FZ_PACKET_REAL_NS) * x);
    int64_t margin = llround((double)FZ_MARGIN_REAL_NS * x), stalls = 0;
    for (size_t i = 0; i < sc->consumer.n_events; i++)
        stalls += llround((double)sc->consumer.events[i].dur_ns * x);
    int64_t base = (int64_t)(r->backlog_max + 1) * per_packet + margin;
    for (size_t k = 0; k < r->n_drains && k < sc->consumer.n_events; k++) {
        int64_t max = drain_bound(sc, k, base, x);
        if (r->drains[k].drain_ns > max)
            violate(j, FZ_INV_DRAIN, "drain %.3f ms after the consumer stall ending at %.3f ms "
                    "above its bound %.3f ms ((backlog %" PRIu64 " + 1) x %.3f ms + margin %.3f ms"
                    " + later stalls)", r->drains[k].drain_ns / 1e6,
                    r->drains[k].stall_end_ns / 1e6, max / 1e6, r->backlog_max, per_packet / 1e6,
                    margin / 1e6);
    }
    int64_t lat_max = stalls + (int64_t)(sc->transport.ring_slots + 1) * per_packet + margin;
    if (r->lat_drv_app.n && r->lat_drv_app.max_ns > lat_max)
        violate(j, FZ_INV_LATENCY, "driver->application latency %.3f ms above its bound %.3f ms "
                "(stalls %.3f ms + (%u slots + 1) x %.3f ms + margin %.3f ms): a late wake-up",
                r->lat_drv_app.max_ns / 1e6, lat_max / 1e6, stalls / 1e6,
                sc->transport.ring_slots, per_packet / 1e6, margin / 1e6);
}

static unsigned violations(const struct scn_scenario *sc, const struct vfy_result *r, int want,
                           char *why, size_t len)
{
    struct judge j = {0, want, why, len};
    if (len)
        why[0] = 0;
    /* Culprits first: "device: stopped (another process failed)" only follows another one. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n_failures; i++)
            if ((strstr(r->failures[i], "(another process failed)") != NULL) == pass)
                violate(&j, classify(r->failures[i]), "%s", r->failures[i]);
    if (r->lost_unexplained)
        violate(&j, FZ_INV_LOSS, "%" PRIu64 " packets lost unexplained", r->lost_unexplained);
    if (r->duplicates)
        violate(&j, FZ_INV_DUPLICATE, "%" PRIu64 " duplicates", r->duplicates);
    if (r->reordered)
        violate(&j, FZ_INV_REORDER, "%" PRIu64 " reordered", r->reordered);
    if (r->crc_errors)
        violate(&j, FZ_INV_CORRUPTION, "%" PRIu64 " corrupted packets delivered", r->crc_errors);
    if (r->backlog_max > sc->transport.ring_slots)
        violate(&j, FZ_INV_BACKLOG, "backlog %" PRIu64 " above the ring's %u slots",
                r->backlog_max, sc->transport.ring_slots);
    check_wakeups(&j, r);
    check_times(&j, sc, r);
    return j.mask;
}

unsigned fz_violations(const struct scn_scenario *sc, const struct vfy_result *r, char *why,
                       size_t len)
{
    return violations(sc, r, -1, why, len);
}

/* ---- shrinking ------------------------------------------------------------------------------- */

double fz_cost(const struct scn_scenario *s)
{
    struct scn_scenario d;
    scn_defaults(&d);
    double c = 1e6 * (double)(s->device.n_events + s->consumer.n_events);
    c += (double)s->duration_ns / MS;
    for (size_t i = 0; i < s->device.n_events; i++) {
        const struct scn_dev_event *e = &s->device.events[i];
        c += (double)(e->at_ns + e->dur_ns) / MS + e->count;
    }
    for (size_t i = 0; i < s->consumer.n_events; i++)
        c += (double)(s->consumer.events[i].at_ns + s->consumer.events[i].dur_ns) / MS;
    const struct scn_dist *dd[] = {&s->device.jitter, &s->consumer.work};
    for (int i = 0; i < 2; i++)
        c += (dd[i]->kind != SCN_DIST_NONE) + (double)dist_bound(dd[i]) / 1e6;
    c += 10.0 * ((s->transport.ring_slots != d.transport.ring_slots) +
                 (s->transport.overflow != d.transport.overflow) +
                 (s->transport.doorbell != d.transport.doorbell) +
                 (s->consumer.batch_max != d.consumer.batch_max) +
                 (s->device.fifo_packets != d.device.fifo_packets) +
                 (s->device.packet_size != d.device.packet_size) +
                 (s->device.period_ns != d.device.period_ns) +
                 (s->device.endpoint != d.device.endpoint));
    return c;
}

static int64_t half_ms(int64_t ns)
{
    return ns / MS / 2 * MS;
}

/* Halves a distribution's size (whole us, at least 1 us); 0 when it cannot shrink. */
static int halve_dist(struct scn_dist *d)
{
    int64_t *v = d->kind == SCN_DIST_UNIFORM ? &d->max_ns
                 : d->kind == SCN_DIST_NORMAL ? &d->stddev_ns
                 : d->kind == SCN_DIST_PARETO ? &d->scale_ns
                                              : NULL;
    if (!v || *v < 2 * US)
        return 0;
    *v = *v / US / 2 * US;
    return 1;
}

static void drop_dev(struct scn_scenario *s, size_t j)
{
    memmove(&s->device.events[j], &s->device.events[j + 1],
            (s->device.n_events - j - 1) * sizeof s->device.events[0]);
    s->device.n_events--;
}

static void drop_con(struct scn_scenario *s, size_t j)
{
    memmove(&s->consumer.events[j], &s->consumer.events[j + 1],
            (s->consumer.n_events - j - 1) * sizeof s->consumer.events[0]);
    s->consumer.n_events--;
}

static int halve_duration(struct scn_scenario *s)
{
    int64_t d = half_ms(s->duration_ns);
    if (d < MIN_DURATION_MS * MS)
        return 0;
    s->duration_ns = d;
    while (s->device.n_events && s->device.events[s->device.n_events - 1].at_ns >= d)
        s->device.n_events--;
    while (s->consumer.n_events && s->consumer.events[s->consumer.n_events - 1].at_ns >= d)
        s->consumer.n_events--;
    return 1;
}

static int halve_time(int64_t *t, int64_t min)
{
    int64_t h = half_ms(*t);
    if (h < min || h == *t)
        return 0;
    *t = h;
    return 1;
}

static int halve_count(struct scn_dev_event *e)
{
    if (is_window(e->kind) || e->count < 2)
        return 0;
    e->count /= 2;
    return 1;
}

/* Setting j back to its default; 0 when it already is. */
static int reset_setting(struct scn_scenario *s, size_t j)
{
    struct scn_scenario d;
    scn_defaults(&d);
    struct scn_scenario before = *s;
    switch (j) {
    case 0: s->device.jitter = d.device.jitter; break;
    case 1: s->consumer.work = d.consumer.work; break;
    case 2: s->transport.overflow = d.transport.overflow; break;
    case 3: s->transport.doorbell = d.transport.doorbell; break;
    case 4: s->transport.ring_slots = d.transport.ring_slots; break;
    case 5: s->consumer.batch_max = d.consumer.batch_max; break;
    case 6: s->device.fifo_packets = d.device.fifo_packets; break;
    case 7: s->device.packet_size = d.device.packet_size; break;
    case 8: s->device.period_ns = d.device.period_ns; break;
    case 9: s->device.endpoint = d.device.endpoint; break;
    default: return 0;
    }
    return memcmp(&before, s, sizeof before) != 0;
}

enum shrink_family {
    SH_DURATION, SH_DROP_DEV, SH_DROP_CON, SH_JITTER, SH_WORK, SH_DEV_DUR, SH_CON_DUR,
    SH_COUNT, SH_DEV_AT, SH_CON_AT, SH_DEFAULTS, SH_FAMILIES
};

/* Applies candidate j of family f to s; 0 when it does not apply. */
static int shrink_apply(struct scn_scenario *s, enum shrink_family f, size_t j)
{
    size_t nd = s->device.n_events, nc = s->consumer.n_events;
    struct scn_dev_event *de = j < nd ? &s->device.events[j] : NULL;
    struct scn_con_event *ce = j < nc ? &s->consumer.events[j] : NULL;
    switch (f) {
    case SH_DROP_DEV: return de ? (drop_dev(s, j), 1) : 0;
    case SH_DROP_CON: return ce ? (drop_con(s, j), 1) : 0;
    case SH_DURATION: return j == 0 && halve_duration(s);
    case SH_JITTER: return j == 0 && halve_dist(&s->device.jitter);
    case SH_WORK: return j == 0 && halve_dist(&s->consumer.work);
    case SH_DEV_DUR: return de && is_window(de->kind) && halve_time(&de->dur_ns, MS);
    case SH_CON_DUR: return ce && halve_time(&ce->dur_ns, MS);
    case SH_COUNT: return de && halve_count(de);
    case SH_DEV_AT: return de && halve_time(&de->at_ns, 0);
    case SH_CON_AT: return ce && halve_time(&ce->at_ns, 0);
    case SH_DEFAULTS: return reset_setting(s, j);
    default: return 0;
    }
}

int fz_shrink_step(const struct scn_scenario *cur, unsigned k, struct scn_scenario *out)
{
    unsigned f = k / SCN_MAX_EVENTS, j = k % SCN_MAX_EVENTS;
    if (f >= SH_FAMILIES)
        return -1;
    *out = *cur;
    char err[SCN_ERR_MAX];
    if (!shrink_apply(out, (enum shrink_family)f, j) || scn_check(out, err) != 0 ||
        !(fz_cost(out) < fz_cost(cur)))
        return 0;
    return 1;
}

/* ---- the campaign ---------------------------------------------------------------------------- */

struct fz_fail {
    uint64_t index, found_after; /* found_after: campaign runs done when it failed */
    enum fz_inv inv;
    char why[512];
    char file[512], min_file[512];
    unsigned shrink_runs;
    size_t events[2];      /* before, after shrinking */
    int64_t duration_ms[2];
};

struct fz {
    uint64_t seed, runs;
    double budget_s, scale;
    unsigned shard_k, shard_n, shrink_runs, max_failures;
    const char *out, *json, *backend;
    bool quiet, list, tty, has_runs;
    /* progress */
    int64_t t0;
    uint64_t done, total_runs;
    size_t nfail;
    struct fz_fail *fails;
};

static double elapsed_s(const struct fz *z)
{
    return (double)(proc_now_ns() - z->t0) / 1e9;
}

/* Runs sc (scenario time) once at the campaign's time scale. 0, or 3 when the backend cannot
 * run; *mask gets the invariants broken, why the reason of `want` (-1: of the first). */
static int run_once(struct fz *z, const struct scn_scenario *sc, int want, unsigned *mask,
                    char *why, size_t len)
{
    struct scn_scenario x = *sc;
    if (z->scale != 1.0)
        scn_time_scale(&x, z->scale);
    struct run_opts o = {.backend = z->backend};
    struct vfy_result r;
    memset(&r, 0, sizeof r);
    int rc = run_one(&x, &o, &r);
    z->total_runs++;
    if (rc != 0)
        return rc;
    *mask = violations(&x, &r, want, why, len);
    vfy_free(&r);
    return 0;
}

/* Does sc still break invariant inv? Up to two runs (timing is noisy), within *left runs.
 * why: the reason, as that run gave it. */
static bool still_fails(struct fz *z, const struct scn_scenario *sc, enum fz_inv inv,
                        unsigned *left, char *why, size_t len)
{
    for (int tries = 0; tries < 2 && *left > 0 && !proc_interrupted(); tries++) {
        unsigned mask = 0;
        --*left;
        if (run_once(z, sc, (int)inv, &mask, why, len) != 0)
            return false;
        if (mask & (1u << inv))
            return true;
    }
    return false;
}

/* Greedy: take each candidate that still fails; after a taken one, try the same slot again
 * (the next event moved into it, or the value can halve once more). Stops after a full pass
 * with nothing taken, or when the run budget is spent. */
static void shrink(struct fz *z, struct scn_scenario *cur, enum fz_inv inv, unsigned *used,
                   char *why, size_t len)
{
    unsigned left = z->shrink_runs;
    bool taken = false;
    struct scn_scenario cand;
    char reason[512];
    for (unsigned k = 0; left > 0 && !proc_interrupted();) {
        int st = fz_shrink_step(cur, k, &cand);
        if (st < 0) {
            if (!taken)
                break;
            taken = false;
            k = 0;
            continue;
        }
        if (st == 1 && still_fails(z, &cand, inv, &left, reason, sizeof reason)) {
            *cur = cand;
            snprintf(why, len, "%s", reason);
            taken = true;
            continue;
        }
        k++;
    }
    *used = z->shrink_runs - left;
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

static int write_case(const struct fz *z, const char *path, const struct scn_scenario *sc,
                      const struct fz_fail *f, const char *why, const char *note)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "usbsim fuzz: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(out, "# usbsim fuzz: seed %" PRIu64 ", index %" PRIu64 ", time scale %g%s\n", z->seed,
            f->index, z->scale, note);
    fprintf(out, "# violated invariant: %s: %s\n", fz_inv_name(f->inv), why);
    if (z->scale != 1.0)
        fprintf(out, "# reproduce: usbsim run %s --time-scale %g\n", path, z->scale);
    else
        fprintf(out, "# reproduce: usbsim run %s\n", path);
    scn_write_yaml(sc, out);
    if (fclose(out) != 0) {
        fprintf(stderr, "usbsim fuzz: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static struct fz_fail *new_fail(struct fz *z)
{
    struct fz_fail *f = realloc(z->fails, (z->nfail + 1) * sizeof *f);
    if (!f)
        return NULL;
    z->fails = f;
    f = &z->fails[z->nfail++];
    memset(f, 0, sizeof *f);
    return f;
}

static void print_fail(const struct fz *z, const char *name, const struct fz_fail *f)
{
    if (z->tty && !z->quiet)
        fputs("\r\033[K", stderr);
    printf("FAIL %s (run %" PRIu64 ") [%s] %s\n    kept %s; shrunk in %u runs to %s (events %zu "
           "-> %zu, duration %" PRId64 " -> %" PRId64 " ms)\n", name, f->found_after,
           fz_inv_name(f->inv), f->why, f->file, f->shrink_runs, f->min_file, f->events[0],
           f->events[1], f->duration_ms[0], f->duration_ms[1]);
    fflush(stdout);
}

/* Keeps a failing scenario, shrinks it, keeps the smallest one. */
static void on_failure(struct fz *z, uint64_t i, const struct scn_scenario *sc, unsigned mask,
                       const char *why)
{
    struct fz_fail *f = new_fail(z);
    if (!f)
        return;
    f->index = i;
    f->found_after = z->done;
    f->inv = fz_first(mask);
    snprintf(f->why, sizeof f->why, "%s", why);
    one_line(f->why);
    mkdir(z->out, 0777);
    snprintf(f->file, sizeof f->file, "%s/fail-%" PRIu64 "-%" PRIu64 ".yaml", z->out, z->seed, i);
    snprintf(f->min_file, sizeof f->min_file, "%s/fail-%" PRIu64 "-%" PRIu64 ".min.yaml", z->out,
             z->seed, i);
    write_case(z, f->file, sc, f, f->why, "");
    struct scn_scenario cur = *sc;
    char why_min[512];
    snprintf(why_min, sizeof why_min, "%s", f->why);
    shrink(z, &cur, f->inv, &f->shrink_runs, why_min, sizeof why_min);
    one_line(why_min);
    f->events[0] = sc->device.n_events + sc->consumer.n_events;
    f->events[1] = cur.device.n_events + cur.consumer.n_events;
    f->duration_ms[0] = sc->duration_ns / MS;
    f->duration_ms[1] = cur.duration_ns / MS;
    char note[96];
    snprintf(note, sizeof note, ", shrunk in %u runs", f->shrink_runs);
    write_case(z, f->min_file, &cur, f, why_min, note);
    print_fail(z, sc->name, f);
}

static void progress(const struct fz *z)
{
    if (!z->tty || z->quiet)
        return;
    double t = elapsed_s(z), rate = t > 0 ? (double)z->total_runs / t : 0;
    uint64_t mine = z->runs > z->shard_k - 1 ? (z->runs - z->shard_k) / z->shard_n + 1 : 0;
    double left = z->has_runs ? (rate > 0 && mine > z->done ? (double)(mine - z->done) / rate : 0)
                              : z->budget_s - t;
    fprintf(stderr, "\r\033[Kfuzz: %" PRIu64 " runs, %zu failures, %.1f runs/s, %.0f s left",
            z->done, z->nfail, rate, left > 0 ? left : 0);
}

static bool more(const struct fz *z, uint64_t i)
{
    if (proc_interrupted() || (z->max_failures && z->nfail >= z->max_failures))
        return false;
    return z->has_runs ? i < z->runs : elapsed_s(z) < z->budget_s;
}

static int campaign(struct fz *z)
{
    for (uint64_t i = z->shard_k - 1; more(z, i); i += z->shard_n) {
        struct scn_scenario sc;
        fz_generate(z->seed, i, &sc);
        unsigned mask = 0;
        char why[512];
        if (run_once(z, &sc, -1, &mask, why, sizeof why) != 0)
            return 3;
        z->done++;
        if (mask)
            on_failure(z, i, &sc, mask, why);
        progress(z);
    }
    if (z->tty && !z->quiet)
        fputs("\r\033[K", stderr);
    return 0;
}

static int list(const struct fz *z)
{
    for (uint64_t i = z->shard_k - 1; i < z->runs; i += z->shard_n) {
        struct scn_scenario sc;
        char line[1024];
        fz_generate(z->seed, i, &sc);
        fz_summary(&sc, line, sizeof line);
        printf("%" PRIu64 " %s\n", i, line);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static int write_json(const struct fz *z, double wall)
{
    json_t *fails = json_array();
    for (size_t i = 0; i < z->nfail; i++) {
        const struct fz_fail *f = &z->fails[i];
        json_array_append_new(
            fails, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:i,s:{s:I,s:I},s:{s:I,s:I}}", "index",
                             (json_int_t)f->index, "found_after_runs", (json_int_t)f->found_after,
                             "invariant", fz_inv_name(f->inv), "reason", f->why, "file", f->file,
                             "min_file", f->min_file, "shrink_runs", (int)f->shrink_runs,
                             "events", "before", (json_int_t)f->events[0], "after",
                             (json_int_t)f->events[1], "duration_ms", "before",
                             (json_int_t)f->duration_ms[0], "after",
                             (json_int_t)f->duration_ms[1]));
    }
    char seed[24], shard[32];
    snprintf(seed, sizeof seed, "%" PRIu64, z->seed);
    snprintf(shard, sizeof shard, "%u/%u", z->shard_k, z->shard_n);
    json_t *o = json_pack("{s:s,s:i,s:s,s:s,s:f,s:I,s:I,s:i,s:o,s:f,s:f,s:s*}", "format",
                          "usbsim-fuzz", "version", 1, "seed", seed, "shard", shard,
                          "time_scale", z->scale, "runs", (json_int_t)z->done, "total_runs",
                          (json_int_t)z->total_runs, "failed", (int)z->nfail, "failures", fails,
                          "wall_s", wall, "runs_per_s",
                          wall > 0 ? (double)z->total_runs / wall : 0.0, "fault", fault_active());
    int rc = o ? json_dump_file(o, z->json, JSON_INDENT(2)) : -1;
    json_decref(o);
    if (rc != 0)
        fprintf(stderr, "usbsim fuzz: cannot write %s\n", z->json);
    return rc;
}

/* ---- options --------------------------------------------------------------------------------- */

#define SYNOPSIS                                                                                 \
    "usbsim fuzz [--seed S] [--runs N | --budget-s T] [--time-scale X] [--shard K/N]\n"          \
    "                   [--out DIR] [--json FILE] [--shrink-runs N] [--max-failures N]\n"       \
    "                   [--list] [--quiet]"                                                      \
    " [--backend usbip|kernel|vm]"

static const char help_text[] =
    "Generate timing scenarios from a seed (jitter, device stalls, bursts, halts, disconnects,\n"
    "corruption, consumer work and stalls, ring sizes, overflow policies, doorbell modes), run\n"
    "each end to end and check the invariants that hold for every scenario: no unexplained\n"
    "loss, no duplicate, no reorder, every corrupted packet caught, no crash or hang, ring\n"
    "occupancy within its slots, wake-ups within packets, drain and wake-up latency bounded.\n"
    "A failure is kept as DIR/fail-SEED-I.yaml, then shrunk to DIR/fail-SEED-I.min.yaml.\n"
    "Exit 0 no failure, 1 a failure, 2 bad usage, 3 backend unusable.\n"
    "  --seed S          campaign seed (default 1); same seed and shard, same scenarios\n"
    "  --runs N          run N scenarios (indices 0..N-1; default 100)\n"
    "  --budget-s T      instead of --runs: keep going for T seconds\n"
    "  --time-scale X    divide every time by X (e.g. 20 for fast campaigns)\n"
    "  --shard K/N       run only the indices i with i mod N == K-1 (split a campaign)\n"
    "  --out DIR         where failures are written (default fuzz-out)\n"
    "  --json FILE       write a summary: runs, failures with files and invariants, runs/s\n"
    "  --shrink-runs N   runs spent shrinking each failure (default 40, 0: no shrinking)\n"
    "  --max-failures N  stop the campaign after N failures (default 0: never)\n"
    "  --list            print the scenarios (index and one-line summary), run nothing\n"
    "  --quiet           no progress line, only failures and the summary\n"
    "  --backend B       usbip (default); kernel: FunctionFS gadget + libusb (root, the USB\n"
    "                    gadget modules); vm: the kernel backend inside a Debian kernel in qemu,\n"
    "                    failures and the summary brought back to --out\n";

static int usage(const char *fmt, const char *arg)
{
    return arg_usage("fuzz", fmt, arg);
}



static int parse_shard(const char *s, unsigned *k, unsigned *n)
{
    unsigned a, b;
    char tail;
    if (sscanf(s, "%u/%u%c", &a, &b, &tail) != 2 || b < 1 || b > 1000000 || a < 1 || a > b)
        return -1;
    *k = a;
    *n = b;
    return 0;
}

static int check_backend(struct fz *z, const char *b)
{
    const struct be_backend *be = be_find(b);
    char why[256];
    if (!be) {
        snprintf(why, sizeof why, "--backend is %s, not '%s'", be_names(), b);
        return usage("%s", why);
    }
    if (be->check(be, NULL, why, sizeof why) != 0) {
        fprintf(stderr, "usbsim fuzz: backend %s: %s\n", be->name, why);
        return 3;
    }
    z->backend = be->name;
    return 0;
}

/* A backend that is not local (vm): the same campaign, with the user's own option words (argv,
 * options only: fuzz takes no file), on the kernel backend inside the VM in one boot; failures
 * and the JSON summary come back to --out. */
static int campaign_in_vm(const struct fz *z, int argc, char **argv)
{
    static const char *const dropped[] = {"backend", "out", "json", NULL};
    static const char *const extra[] = {"--out", "/out", "--json", "/out/fuzz.json", NULL};
    struct vmr_cmd c = {.command = "fuzz", .inner_backend = be_find(z->backend)->inner,
                        .words = argv + 1, .n_words = argc > 1 ? (size_t)argc - 1 : 0,
                        .dropped = dropped, .extra = extra};
    if (mkdir(z->out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "usbsim fuzz: cannot make %s: %s\n", z->out, strerror(errno));
        return 2;
    }
    /* The VM's own watchdog: generous, from the campaign's size (TCG is slow). */
    char timeout[32], from[4096];
    snprintf(timeout, sizeof timeout, "%.0f",
             (z->budget_s > 0 ? z->budget_s : (double)z->runs * 10.0) + 300);
    setenv("VM_TIMEOUT", timeout, 0);
    int rc = vmr_command(&c, z->out, NULL);
    snprintf(from, sizeof from, "%s/fuzz.json", z->out);
    if (rc >= 0 && rc != 3 && z->json && rename(from, z->json) != 0)
        fprintf(stderr, "usbsim fuzz: no summary came back from the VM (%s)\n", from);
    return proc_interrupted() ? 128 + proc_interrupt_signal() : rc < 0 ? 1 : rc;
}

enum { O_SEED = 256, O_RUNS, O_BUDGET, O_SCALE, O_SHARD, O_OUT, O_JSON, O_SHRINK, O_MAXFAIL,
       O_LIST, O_BACKEND };

static int parse_one(struct fz *z, int ch, const char *arg, bool *has_budget)
{
    uint64_t v;
    switch (ch) {
    case O_SEED:
        if (arg_u64(arg, 0, UINT64_MAX, &z->seed) != 0)
            return usage("--seed takes a whole number from 0 to 2^64-1, not '%s'", arg);
        return 0;
    case O_RUNS:
        if (arg_u64(arg, 1, 100000000, &z->runs) != 0)
            return usage("--runs takes 1..100000000, not '%s'", arg);
        z->has_runs = true;
        return 0;
    case O_BUDGET:
        *has_budget = true;
        return arg_double(arg, 1, 1e7, &z->budget_s) ? usage("--budget-s takes 1..1e7 seconds, "
                                                               "not '%s'", arg) : 0;
    case O_SCALE:
        return arg_double(arg, 0.001, 10000, &z->scale)
                   ? usage("--time-scale takes a number from 0.001 to 10000, not '%s'", arg) : 0;
    case O_SHARD:
        return parse_shard(arg, &z->shard_k, &z->shard_n)
                   ? usage("--shard takes K/N with 1 <= K <= N, not '%s'", arg) : 0;
    case O_SHRINK:
        if (arg_u64(arg, 0, 100000, &v) != 0)
            return usage("--shrink-runs takes 0..100000, not '%s'", arg);
        z->shrink_runs = (unsigned)v;
        return 0;
    case O_MAXFAIL:
        if (arg_u64(arg, 0, 1000000, &v) != 0)
            return usage("--max-failures takes 0..1000000, not '%s'", arg);
        z->max_failures = (unsigned)v;
        return 0;
    case O_OUT: z->out = arg; return 0;
    case O_JSON: z->json = arg; return 0;
    case O_LIST: z->list = true; return 0;
    case 'q': z->quiet = true; return 0;
    case O_BACKEND: return check_backend(z, arg);
    default: return usage("bad option '%s'", arg ? arg : "?");
    }
}

static int parse_args(struct fz *z, int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, O_SEED}, {"runs", required_argument, NULL, O_RUNS},
        {"budget-s", required_argument, NULL, O_BUDGET},
        {"time-scale", required_argument, NULL, O_SCALE},
        {"shard", required_argument, NULL, O_SHARD}, {"out", required_argument, NULL, O_OUT},
        {"json", required_argument, NULL, O_JSON},
        {"shrink-runs", required_argument, NULL, O_SHRINK},
        {"max-failures", required_argument, NULL, O_MAXFAIL}, {"list", no_argument, NULL, O_LIST},
        {"quiet", no_argument, NULL, 'q'}, {"backend", required_argument, NULL, O_BACKEND},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool has_budget = false;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":hq", opts, NULL)) != -1;) {
        if (ch == 'h') {
            printf("usage: %s\n\n%s", SYNOPSIS, help_text);
            return -1;
        }
        if (ch == '?')
            return usage("unknown option '%s'", argv[optind - 1]);
        if (ch == ':')
            return usage("option '%s' needs a value", argv[optind - 1]);
        int rc = parse_one(z, ch, optarg, &has_budget);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return usage("takes no file, not '%s'", argv[optind]);
    if (has_budget && z->has_runs)
        return usage("%sgive --runs or --budget-s, not both", "");
    if (has_budget && z->list)
        return usage("%s--list needs --runs (a budget has no fixed list)", "");
    if (!has_budget)
        z->has_runs = true;
    return 0;
}

static void summary(const struct fz *z, double wall)
{
    printf("fuzz seed %" PRIu64 " shard %u/%u at time scale %g: %" PRIu64 " runs, %zu failures, "
           "%" PRIu64 " runs in all (shrinking included) in %.1f s, %.2f runs/s%s%s\n", z->seed,
           z->shard_k, z->shard_n, z->scale, z->done, z->nfail, z->total_runs, wall,
           wall > 0 ? (double)z->total_runs / wall : 0.0, fault_active() ? ", planted fault: " : "",
           fault_active() ? fault_active() : "");
}

int fz_main(int argc, char **argv)
{
    struct fz z = {.seed = 1, .runs = 100, .scale = 1.0, .shard_k = 1, .shard_n = 1,
                   .shrink_runs = 40, .out = "fuzz-out", .backend = "usbip"};
    int rc = parse_args(&z, argc, argv);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (z.list)
        return list(&z);
    if (!be_is_local(be_find(z.backend)))
        return campaign_in_vm(&z, argc, argv);
    z.tty = isatty(STDERR_FILENO);
    z.t0 = proc_now_ns();
    proc_catch_signals();
    rc = campaign(&z);
    double wall = elapsed_s(&z);
    if (rc == 0) {
        summary(&z, wall);
        rc = z.nfail || proc_interrupted() ? 1 : 0;
    }
    if (z.json && rc != 3 && write_json(&z, wall) != 0)
        rc = 1;
    free(z.fails);
    return rc;
}

/* fuzz_inv — see fuzz_inv.h. */
#include "harness/fuzz_inv.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "harness/fuzz_gen.h"

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

/* The invariant each verifier kind breaks: kinds only, never the failure's text. Kinds that
 * only an expect limit produces (none with the fuzzer's empty expect) go to the invariant of the
 * same figure, or to other. */
static const enum fz_inv kind_inv[] = {
    [VFY_KIND_LOSS] = FZ_INV_LOSS,
    [VFY_KIND_UNEXPLAINED_LOSS] = FZ_INV_LOSS,
    [VFY_KIND_DUPLICATE] = FZ_INV_DUPLICATE,
    [VFY_KIND_REORDER] = FZ_INV_REORDER,
    [VFY_KIND_CORRUPTION] = FZ_INV_CORRUPTION,
    [VFY_KIND_INTEGRITY] = FZ_INV_INTEGRITY,
    [VFY_KIND_ACCOUNTING] = FZ_INV_ACCOUNTING,
    [VFY_KIND_RATE] = FZ_INV_OTHER,
    [VFY_KIND_RATE_WINDOW] = FZ_INV_OTHER,
    [VFY_KIND_LATENCY] = FZ_INV_LATENCY,
    [VFY_KIND_BACKLOG] = FZ_INV_BACKLOG,
    [VFY_KIND_DRAIN] = FZ_INV_DRAIN,
    [VFY_KIND_MISSED_WAKEUP] = FZ_INV_WAKEUPS,
    [VFY_KIND_PROCESS_CRASH] = FZ_INV_PROCESS,
    [VFY_KIND_PROCESS_HANG] = FZ_INV_PROCESS,
    [VFY_KIND_PROCESS_FAILED] = FZ_INV_PROCESS,
    [VFY_KIND_PROCESS_STOPPED] = FZ_INV_PROCESS,
    [VFY_KIND_UNEXPECTED_PASS] = FZ_INV_OTHER,
    [VFY_KIND_OTHER] = FZ_INV_OTHER,
};
_Static_assert(sizeof kind_inv / sizeof kind_inv[0] == VFY_KIND_COUNT,
               "every verifier kind needs its invariant in kind_inv");

enum fz_inv fz_inv_of_kind(enum vfy_kind kind)
{
    return (unsigned)kind < VFY_KIND_COUNT ? kind_inv[kind] : FZ_INV_OTHER;
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
    int64_t work = fz_dist_bound(&sc->consumer.work);
    int64_t per_packet = llround((double)(work + FZ_PACKET_REAL_NS) * x);
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
    /* Culprits first: a process stopped because another one failed is only a consequence. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n_failures; i++) {
            enum vfy_kind k = r->failure_kinds ? r->failure_kinds[i] : VFY_KIND_OTHER;
            if ((k == VFY_KIND_PROCESS_STOPPED) == pass)
                violate(&j, fz_inv_of_kind(k), "%s", r->failures[i]);
        }
    if (r->lost_unexplained)
        violate(&j, FZ_INV_LOSS, "%" PRIu64 " packets lost unexplained", r->lost_unexplained);
    if (r->exec_run && r->lost_behind)
        violate(&j, FZ_INV_LOSS, "the program fell behind: %" PRIu64 " packets dropped at the "
                "device's FIFO that a host reading on time receives", r->lost_behind);
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

unsigned fz_violations_of(const struct scn_scenario *sc, const struct vfy_result *r,
                          enum fz_inv want, char *why, size_t len)
{
    return violations(sc, r, (int)want, why, len);
}

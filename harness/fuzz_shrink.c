/* fuzz_shrink — see fuzz_shrink.h. */
#include "harness/fuzz_shrink.h"

#include <stdio.h>
#include <string.h>

#include "harness/fuzz_gen.h"

double fz_cost(const struct scn_scenario *s)
{
    struct scn_scenario d;
    scn_defaults(&d);
    double c = 1e6 * (double)(s->device.n_events + s->consumer.n_events);
    c += (double)s->duration_ns / FZ_MS;
    for (size_t i = 0; i < s->device.n_events; i++) {
        const struct scn_dev_event *e = &s->device.events[i];
        c += (double)(e->at_ns + e->dur_ns) / FZ_MS + e->count;
    }
    for (size_t i = 0; i < s->consumer.n_events; i++)
        c += (double)(s->consumer.events[i].at_ns + s->consumer.events[i].dur_ns) / FZ_MS;
    const struct scn_dist *dd[] = {&s->device.jitter, &s->consumer.work};
    for (int i = 0; i < 2; i++)
        c += (dd[i]->kind != SCN_DIST_NONE) + (double)fz_dist_bound(dd[i]) / 1e6;
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
    return ns / FZ_MS / 2 * FZ_MS;
}

/* Halves a distribution's size (whole us, at least 1 us); 0 when it cannot shrink. */
static int halve_dist(struct scn_dist *d)
{
    int64_t *v = d->kind == SCN_DIST_UNIFORM ? &d->max_ns
                 : d->kind == SCN_DIST_NORMAL ? &d->stddev_ns
                 : d->kind == SCN_DIST_PARETO ? &d->scale_ns
                                              : NULL;
    if (!v || *v < 2 * FZ_US)
        return 0;
    *v = *v / FZ_US / 2 * FZ_US;
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
    if (d < FZ_MIN_DURATION_MS * FZ_MS)
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
    if (fz_is_window(e->kind) || e->count < 2)
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
    case SH_DEV_DUR: return de && fz_is_window(de->kind) && halve_time(&de->dur_ns, FZ_MS);
    case SH_CON_DUR: return ce && halve_time(&ce->dur_ns, FZ_MS);
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

void fz_shrink(struct scn_scenario *cur, unsigned budget, fz_still_fails still, void *ctx,
               unsigned *used, char *why, size_t len)
{
    unsigned left = budget;
    bool taken = false;
    struct scn_scenario cand;
    char reason[512];
    for (unsigned k = 0; left > 0;) {
        int st = fz_shrink_step(cur, k, &cand);
        if (st < 0) {
            if (!taken)
                break;
            taken = false;
            k = 0;
            continue;
        }
        int fails = st == 1 ? still(ctx, &cand, &left, reason, sizeof reason) : 0;
        if (fails < 0)
            break;
        if (fails) {
            *cur = cand;
            snprintf(why, len, "%s", reason);
            taken = true;
            continue;
        }
        k++;
    }
    *used = budget - left;
}

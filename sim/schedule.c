/* schedule — build the device's deterministic timeline (contract in schedule.h).
 *
 * Rules, in the order sched_build() applies them:
 *  1. Regular sample k (k = 0.. while k * period < duration) is due at k * period + one jitter draw
 *     from the stream rng_derive(seed, RNG_TAG_JITTER), raised to the previous regular due time if
 *     it would go backwards. A burst event adds `count` samples due at at_ns, flagged PKT_F_BURST,
 *     placed after every regular sample due at or before at_ns. seq numbers follow due order.
 *  2. Windows are the stall, halt and disconnect events as [at, at + dur), sorted by start; they
 *     must not overlap (scn_check rejects that; sched_build refuses it too).
 *  3. A sample due inside a hold stall or a halt waits in the device FIFO (empty when the gate
 *     closes: the ideal host drained it) and is HELD until the window's end; once fifo_packets
 *     samples wait, each newer one is DROPPED (fifo). Inside a drop stall: DROPPED (stall); inside
 *     a disconnect: DROPPED (disconnect).
 *  4. Leaving samples (SENT, HELD) leave in seq order, since send times never decrease. A corrupt
 *     event flags the next `count` leaving samples with send_ns >= at_ns that are not flagged yet
 *     (two events corrupt count1 + count2 packets). The first sample to leave at or after a
 *     window's end gets PKT_F_AFTER_GAP.
 * A DROPPED sample keeps send_ns == due_ns (it never leaves).
 * Printed plan: one row per sample, columns seq, due_us, send_us, fate (sent|held|dropped),
 * drop (none|stall|fifo|disconnect), flags (burst|corrupt|after_gap joined by '|', "-" if none);
 * times are microseconds with 3 decimals (exact ns). Then one summary line starting with '#'.
 */
#include "sim/schedule.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/packet.h"
#include "sim/rng.h"

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

static int is_window_event(enum scn_dev_event_kind k)
{
    return k == SCN_EV_STALL || k == SCN_EV_HALT || k == SCN_EV_DISCONNECT;
}

static enum sched_window_kind window_kind(const struct scn_dev_event *e)
{
    if (e->kind == SCN_EV_HALT)
        return SCHED_W_HALT;
    if (e->kind == SCN_EV_DISCONNECT)
        return SCHED_W_DISCONNECT;
    return e->mode == SCN_STALL_DROP ? SCHED_W_STALL_DROP : SCHED_W_STALL_HOLD;
}

static int cmp_window(const void *a, const void *b)
{
    const struct sched_window *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return x->end_ns < y->end_ns ? -1 : x->end_ns > y->end_ns;
}

/* Events of one kind sorted by time (ties keep file order). */
static size_t sorted_events(const struct scn_scenario *sc, enum scn_dev_event_kind kind,
                            const struct scn_dev_event **out)
{
    size_t n = 0;
    for (size_t i = 0; i < sc->device.n_events && i < SCN_MAX_EVENTS; i++) {
        const struct scn_dev_event *e = &sc->device.events[i];
        if (e->kind != kind)
            continue;
        size_t j = n++;
        for (; j > 0 && out[j - 1]->at_ns > e->at_ns; j--)
            out[j] = out[j - 1];
        out[j] = e;
    }
    return n;
}

static int build_windows(const struct scn_scenario *sc, struct sched *s, char *err)
{
    s->n_windows = 0;
    for (size_t i = 0; i < sc->device.n_events && i < SCN_MAX_EVENTS; i++) {
        const struct scn_dev_event *e = &sc->device.events[i];
        if (!is_window_event(e->kind))
            continue;
        struct sched_window *w = &s->windows[s->n_windows++];
        w->kind = window_kind(e);
        w->start_ns = e->at_ns;
        w->end_ns = add_sat(e->at_ns, e->dur_ns > 0 ? e->dur_ns : 0);
    }
    qsort(s->windows, s->n_windows, sizeof s->windows[0], cmp_window);
    for (size_t i = 1; i < s->n_windows; i++) {
        if (s->windows[i].start_ns < s->windows[i - 1].end_ns) {
            snprintf(err, SCN_ERR_MAX,
                     "device events overlap: a stall, halt or disconnect starts at %" PRId64
                     " ns, before the previous one ends at %" PRId64 " ns",
                     s->windows[i].start_ns, s->windows[i - 1].end_ns);
            return -1;
        }
    }
    return 0;
}

static int count_samples(const struct scn_scenario *sc, uint64_t *n_regular, uint64_t *n_total,
                         char *err)
{
    int64_t dur = sc->duration_ns, period = sc->device.period_ns;
    if (period <= 0 || dur < 0) {
        snprintf(err, SCN_ERR_MAX, "period (%" PRId64 " ns) must be > 0 and duration (%" PRId64
                 " ns) >= 0", period, dur);
        return -1;
    }
    *n_total = scn_samples(sc, n_regular);
    if (*n_total > SCHED_MAX_SAMPLES) {
        snprintf(err, SCN_ERR_MAX, "the plan has %" PRIu64 " samples, more than the limit of %u;"
                 " shorten duration_ms, lengthen period_us or use fewer burst packets",
                 *n_total, SCHED_MAX_SAMPLES);
        return -1;
    }
    return 0;
}

static void push_sample(struct sched *s, int64_t due, uint16_t flags)
{
    struct sched_sample *x = &s->samples[s->n];
    x->seq = (uint32_t)s->n;
    x->due_ns = due;
    x->send_ns = due;
    x->flags = flags;
    s->n++;
}

/* Rule 1: regular samples with jitter, bursts merged in by due time. */
static void build_due_times(const struct scn_scenario *sc, struct sched *s, uint64_t n_regular)
{
    const struct scn_dev_event *bursts[SCN_MAX_EVENTS];
    size_t nb = sorted_events(sc, SCN_EV_BURST, bursts), bi = 0;
    struct rng r;
    rng_seed(&r, rng_derive(sc->seed, RNG_TAG_JITTER));
    int64_t prev = INT64_MIN;
    for (uint64_t k = 0; k <= n_regular; k++) {
        int64_t due = INT64_MAX;
        if (k < n_regular) {
            due = add_sat((int64_t)k * sc->device.period_ns, rng_dist_ns(&r, &sc->device.jitter));
            due = prev = due < prev ? prev : due;
        }
        for (; bi < nb && (bursts[bi]->at_ns < due || k == n_regular); bi++)
            for (uint32_t c = 0; c < bursts[bi]->count; c++)
                push_sample(s, bursts[bi]->at_ns, PKT_F_BURST);
        if (k < n_regular)
            push_sample(s, due, 0);
    }
}

/* Rule 3: gate every sample by the window its due time falls in. */
static void apply_windows(const struct scn_scenario *sc, struct sched *s)
{
    size_t wi = 0;
    uint32_t queued = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct sched_sample *x = &s->samples[i];
        for (; wi < s->n_windows && s->windows[wi].end_ns <= x->due_ns; wi++)
            queued = 0;
        const struct sched_window *w = wi < s->n_windows ? &s->windows[wi] : NULL;
        if (w == NULL || x->due_ns < w->start_ns)
            continue;
        if (w->kind == SCHED_W_STALL_DROP || w->kind == SCHED_W_DISCONNECT) {
            x->fate = SCHED_DROPPED;
            x->drop = w->kind == SCHED_W_STALL_DROP ? SCHED_DROP_STALL : SCHED_DROP_DISCONNECT;
        } else if (queued >= sc->device.fifo_packets) {
            x->fate = SCHED_DROPPED;
            x->drop = SCHED_DROP_FIFO;
        } else {
            queued++;
            x->fate = SCHED_HELD;
            x->send_ns = w->end_ns;
        }
    }
}

/* Index of the first leaving sample at or after position i with send_ns >= t (s->n if none). */
static size_t first_leaving(const struct sched *s, size_t i, int64_t t)
{
    while (i < s->n && (s->samples[i].fate == SCHED_DROPPED || s->samples[i].send_ns < t))
        i++;
    return i;
}

/* Rule 4. */
static void apply_flags(const struct scn_scenario *sc, struct sched *s)
{
    const struct scn_dev_event *cor[SCN_MAX_EVENTS];
    size_t nc = sorted_events(sc, SCN_EV_CORRUPT, cor), from = 0, next_free = 0;
    for (size_t c = 0; c < nc; c++) {
        from = first_leaving(s, from, cor[c]->at_ns); /* events sorted, send times too */
        size_t i = from > next_free ? from : next_free;
        for (uint32_t left = cor[c]->count; left > 0 && (i = first_leaving(s, i, INT64_MIN)) < s->n;
             left--, i++)
            s->samples[i].flags |= PKT_F_CORRUPT;
        next_free = i;
    }
    size_t i = 0;
    for (size_t w = 0; w < s->n_windows; w++) {
        i = first_leaving(s, i, s->windows[w].end_ns);
        if (i < s->n)
            s->samples[i].flags |= PKT_F_AFTER_GAP;
    }
}

static void tally(struct sched *s)
{
    s->produced = s->n;
    for (size_t i = 0; i < s->n; i++) {
        const struct sched_sample *x = &s->samples[i];
        s->sent += x->fate == SCHED_SENT;
        s->held += x->fate == SCHED_HELD;
        if (x->fate == SCHED_DROPPED)
            s->dropped[x->drop]++;
        s->corrupt += (x->flags & PKT_F_CORRUPT) != 0;
        s->burst += (x->flags & PKT_F_BURST) != 0;
    }
}

int sched_build(const struct scn_scenario *sc, struct sched *out, char err[SCN_ERR_MAX])
{
    memset(out, 0, sizeof *out);
    uint64_t n_regular, n_total;
    if (count_samples(sc, &n_regular, &n_total, err) != 0 || build_windows(sc, out, err) != 0)
        return -1;
    out->samples = calloc(n_total ? n_total : 1, sizeof out->samples[0]);
    if (out->samples == NULL) {
        snprintf(err, SCN_ERR_MAX, "out of memory for a plan of %" PRIu64 " samples", n_total);
        return -1;
    }
    build_due_times(sc, out, n_regular);
    apply_windows(sc, out);
    apply_flags(sc, out);
    tally(out);
    out->end_ns = sc->duration_ns;
    return 0;
}

void sched_free(struct sched *s)
{
    free(s->samples);
    s->samples = NULL;
    s->n = 0;
}

int sched_window_at(const struct sched *s, int64_t t_ns)
{
    size_t lo = 0, hi = s->n_windows; /* first window with start > t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->windows[mid].start_ns <= t_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && t_ns < s->windows[lo - 1].end_ns ? (int)(lo - 1) : -1;
}

const char *sched_fate_name(enum sched_fate f)
{
    static const char *const names[] = {"sent", "held", "dropped"};
    _Static_assert(sizeof names / sizeof names[0] == SCHED_FATE_COUNT, "every fate named");
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

const char *sched_drop_name(enum sched_drop d)
{
    static const char *const names[] = {"none", "stall", "fifo", "disconnect"};
    _Static_assert(sizeof names / sizeof names[0] == SCHED_DROP_COUNT, "every drop cause named");
    return (unsigned)d < sizeof names / sizeof names[0] ? names[d] : "?";
}

/* ns as microseconds with 3 decimals, exact. */
static const char *fmt_us(int64_t ns, char buf[32])
{
    uint64_t a = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    snprintf(buf, 32, "%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", a / 1000, (unsigned)(a % 1000));
    return buf;
}

/* Flag names joined by '|', "-" when none. */
static const char *fmt_flags(uint16_t flags, char buf[32])
{
    buf[0] = '\0';
    if (flags & PKT_F_BURST)
        strcat(buf, "|burst");
    if (flags & PKT_F_CORRUPT)
        strcat(buf, "|corrupt");
    if (flags & PKT_F_AFTER_GAP)
        strcat(buf, "|after_gap");
    return buf[0] ? buf + 1 : "-";
}

int sched_print(const struct sched *s, FILE *f, int csv)
{
    const char *row = csv ? "%s,%s,%s,%s,%s,%s\n" : "%10s %14s %14s %-8s %-10s %s\n";
    fprintf(f, row, "seq", "due_us", "send_us", "fate", "drop", "flags");
    for (size_t i = 0; i < s->n; i++) {
        const struct sched_sample *x = &s->samples[i];
        char seq[16], due[32], send[32], fl[32];
        snprintf(seq, sizeof seq, "%" PRIu32, x->seq);
        fprintf(f, row, seq, fmt_us(x->due_ns, due), fmt_us(x->send_ns, send),
                sched_fate_name(x->fate), sched_drop_name(x->drop), fmt_flags(x->flags, fl));
    }
    char end[32];
    fprintf(f, "# produced %" PRIu64 " sent %" PRIu64 " held %" PRIu64 " dropped %" PRIu64
            " (stall %" PRIu64 " fifo %" PRIu64 " disconnect %" PRIu64 ") corrupt %" PRIu64
            " burst %" PRIu64 " windows %zu end_us %s\n",
            s->produced, s->sent, s->held,
            s->dropped[SCHED_DROP_STALL] + s->dropped[SCHED_DROP_FIFO] +
                s->dropped[SCHED_DROP_DISCONNECT],
            s->dropped[SCHED_DROP_STALL], s->dropped[SCHED_DROP_FIFO],
            s->dropped[SCHED_DROP_DISCONNECT], s->corrupt, s->burst, s->n_windows,
            fmt_us(s->end_ns, end));
    return ferror(f) ? -1 : 0;
}

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
 * Replay: rule 1's nominal time of regular sample k is round r = k / n, packet j = k % n of the
 * n stream packets: r * round + t_j, each time divided by the time scale (nearest ns); the
 * regular samples are those whose nominal time is before the duration (all rounds with loop,
 * the first without).
 * Printed plan: one row per sample, columns seq, due_us, send_us, fate (sent|held|dropped),
 * drop (none|stall|fifo|disconnect), flags (burst|corrupt|after_gap joined by '|', "-" if none),
 * and with framing raw only a last column len (the packet's bytes); times are microseconds with
 * 3 decimals (exact ns). Then one summary line starting with '#'.
 */
#include "sim/schedule.h"

#include <inttypes.h>
#include <math.h>
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

_Static_assert(sizeof(struct sched_sample) == 32, "a plan of 10^7 samples stays 320 MB");

/* The recorded stream packets a replay plays: their indexes in the recording and their scaled
 * times (ns), and the length of one round when looping. */
struct replay_src {
    uint32_t *idx;
    int64_t *t;
    size_t n;
    int loop;
    int64_t round_ns;
};

/* t / time scale, to the nearest ns (exact at time scale 1). */
static int64_t scale_ns(int64_t t, double ts)
{
    if (ts == 1.0)
        return t;
    double v = nearbyint((double)t / ts);
    return v >= 9e18 ? INT64_MAX : v < 0 ? 0 : (int64_t)v;
}

/* Regular sample k's nominal time and the recorded packet it plays. */
static int64_t nominal(const struct scn_scenario *sc, const struct replay_src *rp, uint64_t k,
                       uint32_t *src)
{
    if (!rp) {
        *src = 0;
        return (int64_t)k * sc->device.period_ns;
    }
    uint64_t round = k / rp->n;
    size_t j = (size_t)(k % rp->n);
    *src = rp->idx[j];
    if (round > 0 && (uint64_t)rp->round_ns > (uint64_t)INT64_MAX / round)
        return INT64_MAX;
    return add_sat((int64_t)round * rp->round_ns, rp->t[j]);
}

static void push_sample(struct sched *s, int64_t due, uint16_t flags, uint32_t src)
{
    struct sched_sample *x = &s->samples[s->n];
    x->seq = (uint32_t)s->n;
    x->due_ns = due;
    x->send_ns = due;
    x->flags = flags;
    x->src = src;
    s->n++;
}

/* Rule 1: regular samples with jitter, bursts merged in by due time. */
static void build_due_times(const struct scn_scenario *sc, struct sched *s, uint64_t n_regular,
                            const struct replay_src *rp)
{
    const struct scn_dev_event *bursts[SCN_MAX_EVENTS];
    size_t nb = sorted_events(sc, SCN_EV_BURST, bursts), bi = 0;
    struct rng r;
    rng_seed(&r, rng_derive(sc->seed, RNG_TAG_JITTER));
    int64_t prev = INT64_MIN;
    uint32_t last_src = rp ? rp->idx[0] : 0; /* a burst repeats the packet before it */
    for (uint64_t k = 0; k <= n_regular; k++) {
        int64_t due = INT64_MAX;
        uint32_t src = 0;
        if (k < n_regular) {
            due = add_sat(nominal(sc, rp, k, &src), rng_dist_ns(&r, &sc->device.jitter));
            due = prev = due < prev ? prev : due;
        }
        for (; bi < nb && (bursts[bi]->at_ns < due || k == n_regular); bi++)
            for (uint32_t c = 0; c < bursts[bi]->count; c++)
                push_sample(s, bursts[bi]->at_ns, PKT_F_BURST, last_src);
        if (k < n_regular) {
            push_sample(s, due, 0, src);
            last_src = src;
        }
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

/* The recording's path: relative to the scenario's directory, absolute as is, as given when the
 * scenario has no file. */
static void replay_path(const struct scn_scenario *sc, char *full, size_t n)
{
    const char *f = sc->device.replay.file;
    const char *slash = strrchr(sc->file, '/');
    if (f[0] == '/' || !sc->file[0] || !slash)
        snprintf(full, n, "%s", f);
    else
        snprintf(full, n, "%.*s/%s", (int)(slash - sc->file), sc->file, f);
}

/* Loads the recording into s->rec and lists its stream packets in *rp. */
static int load_replay(const struct scn_scenario *sc, struct sched *s, struct replay_src *rp,
                       char *err)
{
    char path[4096], rerr[REC_FILE_ERR_MAX];
    replay_path(sc, path, sizeof path);
    if (!(s->rec = calloc(1, sizeof *s->rec))) {
        snprintf(err, SCN_ERR_MAX, "out of memory for the recording %.200s", path);
        return -1;
    }
    if (rec_load(path, s->rec, rerr) != 0) {
        snprintf(err, SCN_ERR_MAX, "%s", rerr);
        return -1;
    }
    const struct rec_file *r = s->rec;
    uint8_t ep = scn_stream_ep(sc);
    if (r->n == 0) {
        snprintf(err, SCN_ERR_MAX, "%.200s: the recording has no packet; allowed: a recording "
                 "with packets on the stream endpoint 0x%02x", path, ep);
        return -1;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (r->p[i].ep != ep)
            continue;
        if (r->p[i].len > PKT_MAX_SIZE) {
            snprintf(err, SCN_ERR_MAX, "%.200s: packet %zu (at %" PRId64 " us) on the stream "
                     "endpoint 0x%02x is %" PRIu32 " bytes; allowed: at most %d bytes a packet",
                     path, i + 1, r->p[i].t_us, ep, r->p[i].len, PKT_MAX_SIZE);
            return -1;
        }
        rp->n++;
    }
    if (rp->n == 0) {
        snprintf(err, SCN_ERR_MAX, "%.200s: no packet on the stream endpoint 0x%02x; allowed: a "
                 "recording with packets on it (the other endpoints' packets play on those endpoints)", path, ep);
        return -1;
    }
    rp->idx = malloc(rp->n * sizeof rp->idx[0]);
    rp->t = malloc(rp->n * sizeof rp->t[0]);
    if (!rp->idx || !rp->t) {
        snprintf(err, SCN_ERR_MAX, "out of memory for the %zu packets of %.200s", rp->n, path);
        return -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->p[i].ep == ep) {
            rp->idx[j] = (uint32_t)i;
            rp->t[j++] = scale_ns(r->p[i].t_us * 1000, sc->time_scale);
        }
    /* One round: from the first stream packet to one mean interval after the last. */
    int64_t first = r->p[rp->idx[0]].t_us * 1000, span = r->p[rp->idx[rp->n - 1]].t_us * 1000 - first;
    rp->loop = sc->device.replay.loop;
    rp->round_ns = rp->n > 1 && span > 0 ? scale_ns(span + span / (int64_t)(rp->n - 1),
                                                    sc->time_scale)
                                         : sc->device.period_ns;
    if (rp->round_ns < 1)
        rp->round_ns = 1;
    s->rec_loop = rp->loop;
    s->rec_round_ns = rp->round_ns;
    s->time_scale = sc->time_scale;
    return 0;
}

/* The regular samples of a replay: nominal time before the duration; -1 when over the limit. */
static int count_replay(const struct scn_scenario *sc, const struct replay_src *rp,
                        uint64_t *n_regular, uint64_t *n_total, char *err)
{
    uint64_t bursts = scn_samples(sc, NULL), periodic;
    scn_samples(sc, &periodic);
    bursts -= periodic;
    uint64_t k = 0;
    uint32_t src;
    while (k <= SCHED_MAX_SAMPLES && (rp->loop || k < rp->n) &&
           nominal(sc, rp, k, &src) < sc->duration_ns)
        k++;
    *n_regular = k;
    *n_total = k + bursts;
    if (*n_total > SCHED_MAX_SAMPLES) {
        snprintf(err, SCN_ERR_MAX, "the plan has more than %u samples (the recording played %s "
                 "for duration_ms, plus burst packets); allowed: at most %u: shorten duration_ms%s",
                 SCHED_MAX_SAMPLES, rp->loop ? "in a loop" : "once", SCHED_MAX_SAMPLES,
                 rp->loop ? " or set loop: false" : "");
        return -1;
    }
    return 0;
}

/* What sched_payload needs, copied from the scenario (the plan outlives it). */
static int keep_payload(const struct scn_scenario *sc, struct sched *s, char *err)
{
    s->raw = sc->device.framing == SCN_FRAMING_RAW;
    s->gen = sc->device.payload.generator;
    s->seed = sc->seed;
    s->size = sc->device.packet_size;
    s->max_len = s->size;
    const uint8_t *p = scn_bytes_of(sc, &sc->device.payload.pattern);
    if (!s->raw || s->rec || s->gen != SCN_GEN_PATTERN)
        return 0;
    if (!p || sc->device.payload.pattern.len == 0) {
        snprintf(err, SCN_ERR_MAX, "payload: generator pattern without pattern bytes");
        return -1;
    }
    if (!(s->pattern = malloc(sc->device.payload.pattern.len))) {
        snprintf(err, SCN_ERR_MAX, "out of memory for the payload pattern");
        return -1;
    }
    memcpy(s->pattern, p, sc->device.payload.pattern.len);
    s->pattern_len = sc->device.payload.pattern.len;
    return 0;
}

int sched_build(const struct scn_scenario *sc, struct sched *out, char err[SCN_ERR_MAX])
{
    memset(out, 0, sizeof *out);
    uint64_t n_regular, n_total;
    struct replay_src rs = {0}, *rp = NULL;
    int rc = -1;
    if (sc->device.replay.file[0]) {
        if (sc->device.framing != SCN_FRAMING_RAW) {
            snprintf(err, SCN_ERR_MAX, "replay with framing usbsim; allowed: replay with framing "
                     "raw");
            return -1;
        }
        rp = &rs;
        if (sc->device.period_ns <= 0 || sc->duration_ns < 0) {
            snprintf(err, SCN_ERR_MAX, "period (%" PRId64 " ns) must be > 0 and duration (%"
                     PRId64 " ns) >= 0", sc->device.period_ns, sc->duration_ns);
            goto out;
        }
        if (load_replay(sc, out, rp, err) != 0 ||
            count_replay(sc, rp, &n_regular, &n_total, err) != 0)
            goto out;
    } else if (count_samples(sc, &n_regular, &n_total, err) != 0) {
        goto out;
    }
    if (build_windows(sc, out, err) != 0 || keep_payload(sc, out, err) != 0)
        goto out;
    out->samples = calloc(n_total ? n_total : 1, sizeof out->samples[0]);
    if (out->samples == NULL) {
        snprintf(err, SCN_ERR_MAX, "out of memory for a plan of %" PRIu64 " samples", n_total);
        goto out;
    }
    build_due_times(sc, out, n_regular, rp);
    apply_windows(sc, out);
    apply_flags(sc, out);
    tally(out);
    out->end_ns = sc->duration_ns;
    if (out->rec) {
        out->max_len = 0;
        for (size_t i = 0; i < out->n; i++)
            if (out->rec->p[out->samples[i].src].len > out->max_len)
                out->max_len = out->rec->p[out->samples[i].src].len;
    }
    rc = 0;
out:
    free(rs.idx);
    free(rs.t);
    if (rc != 0)
        sched_free(out);
    return rc;
}

void sched_free(struct sched *s)
{
    free(s->samples);
    s->samples = NULL;
    s->n = 0;
    free(s->pattern);
    s->pattern = NULL;
    s->pattern_len = 0;
    if (s->rec) {
        rec_file_free(s->rec);
        free(s->rec);
        s->rec = NULL;
    }
}

size_t sched_payload(const struct sched *s, uint32_t seq, uint8_t *out, size_t cap)
{
    if (!s->raw || seq >= s->n)
        return 0;
    const struct sched_sample *x = &s->samples[seq];
    if (s->rec) {
        const struct rec_packet *p = &s->rec->p[x->src];
        if (out && cap)
            memcpy(out, rec_bytes(s->rec, x->src), p->len < cap ? p->len : cap);
        return p->len;
    }
    size_t len = s->size, n = len < cap ? len : cap;
    if (!out)
        return len;
    sched_gen_bytes(s->gen, s->seed, seq, s->pattern, s->pattern_len, out, n);
    return len;
}

void sched_gen_bytes(enum scn_generator g, uint64_t seed, uint32_t seq, const uint8_t *pattern,
                     size_t pattern_len, uint8_t *out, size_t n)
{
    switch (g) {
    case SCN_GEN_RANDOM:
        pkt_payload(seed, seq, out, n);
        break;
    case SCN_GEN_PATTERN:
        for (size_t i = 0; i < n; i++)
            out[i] = pattern_len ? pattern[i % pattern_len] : 0;
        break;
    default: /* counter */
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(seq >> (8 * (i % 4)));
        break;
    }
}

int64_t sched_rec_time_ns(const struct sched *s, size_t i)
{
    if (!s->rec || i >= s->rec->n)
        return 0;
    return scale_ns(s->rec->p[i].t_us * 1000, s->time_scale);
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
    /* framing raw: a last column, the packet's length (usbsim plans print as they always did) */
    const char *row = csv ? (s->raw ? "%s,%s,%s,%s,%s,%s,%s\n" : "%s,%s,%s,%s,%s,%s\n")
                          : (s->raw ? "%10s %14s %14s %-8s %-10s %-16s %s\n"
                                    : "%10s %14s %14s %-8s %-10s %s\n");
    fprintf(f, row, "seq", "due_us", "send_us", "fate", "drop", "flags", "len");
    for (size_t i = 0; i < s->n; i++) {
        const struct sched_sample *x = &s->samples[i];
        char seq[16], due[32], send[32], fl[32], len[16];
        snprintf(seq, sizeof seq, "%" PRIu32, x->seq);
        snprintf(len, sizeof len, "%zu", sched_payload(s, x->seq, NULL, 0));
        fprintf(f, row, seq, fmt_us(x->due_ns, due), fmt_us(x->send_ns, send),
                sched_fate_name(x->fate), sched_drop_name(x->drop), fmt_flags(x->flags, fl), len);
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

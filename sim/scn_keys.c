/* scn_keys — see scn_keys.h. The tables of the scenario format, the value rules, and the walk
 * over the keys for the generated reference (scn_keys()).
 */
#include "sim/scn_keys.h"

#include "sim/packet.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scn_scenario SC;

_Static_assert(sizeof(enum scn_dist_kind) == sizeof(uint32_t), "enums are stored as 32 bits");
_Static_assert(sizeof(enum scn_overflow) == sizeof(uint32_t), "enums are stored as 32 bits");

#define FLD(T, fld) .off = offsetof(T, fld), .size = sizeof(((T *)0)->fld)
#define HAS(T, fld) .has = offsetof(T, fld) + 1
#define NAMES(a) .names = a, .nnames = (int)(sizeof(a) / sizeof(a[0]))
#define KEYS(a) .keys = a, .n = (int)(sizeof(a) / sizeof(a[0]))

static const char *const dist_names[] = {"none", "uniform", "normal", "pareto"};
static const char *const ep_names[] = {"interrupt", "bulk"};
static const char *const mode_names[] = {"hold", "drop"};
static const char *const ovf_names[] = {"block", "drop-newest", "drop-oldest"};
static const char *const db_names[] = {"suppressed", "always"};
static const char *const timing_names[] = {"timer", "precise"};
static const char *const verdict_names[] = {"pass", "fail"};
static const char *const order_names[] = {NULL, "strict"};
static const char *const event_names[] = {"stall", "burst", "halt", "disconnect", "corrupt"};
static const char *const speed_names[] = {"high", "full"};
static const char *const start_names[] = {"immediate", "on_request"};
static const char *const action_names[] = {"start", "stop"};
static const char *const true_names[] = {NULL, "true"};
static const char *const bool_names[] = {"false", "true"};
static const char *const framing_names[] = {"usbsim", "raw"};
static const char *const generator_names[] = {"counter", "random", "pattern"};

#define NAMED(a, n) _Static_assert(sizeof a / sizeof a[0] == n, #a " names every value")
NAMED(dist_names, SCN_DIST_COUNT);
NAMED(ep_names, SCN_EP_COUNT);
NAMED(mode_names, SCN_STALL_COUNT);
NAMED(ovf_names, SCN_OVF_COUNT);
NAMED(db_names, SCN_DB_COUNT);
NAMED(timing_names, SCN_TIMING_COUNT);
NAMED(verdict_names, SCN_VERDICT_COUNT);
NAMED(order_names, 2); /* order: absent (not strict) or strict */
NAMED(event_names, SCN_EV_COUNT);
NAMED(speed_names, SCN_SPEED_COUNT);
NAMED(start_names, SCN_START_COUNT);
NAMED(action_names, SCN_ACT_COUNT);
NAMED(framing_names, SCN_FRAMING_COUNT);
NAMED(generator_names, SCN_GEN_COUNT);

int scnk_failf(struct scnk_fail *f, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    f->line = line;
    f->col = col;
    return -1;
}

void scnk_put(void *p, size_t size, uint64_t v)
{
    uint8_t a = (uint8_t)v;
    uint16_t b = (uint16_t)v;
    uint32_t c = (uint32_t)v;
    memcpy(p, size == 1 ? (void *)&a : size == 2 ? (void *)&b : size == 4 ? (void *)&c : (void *)&v,
           size);
}

uint64_t scnk_get(const void *p, size_t size)
{
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint64_t d;
    switch (size) {
    case 1: memcpy(&a, p, 1); return a;
    case 2: memcpy(&b, p, 2); return b;
    case 4: memcpy(&c, p, 4); return c;
    default: memcpy(&d, p, 8); return d;
    }
}

const char *scnk_name(const char *const *names, int n, unsigned v)
{
    return v < (unsigned)n && names[v] ? names[v] : "?";
}
/* ---- schema helpers ------------------------------------------------------------------------- */

enum scnk_need scnk_need_of(const struct scnk_table *t, const void *base, int i)
{
    if (t->need)
        return t->need(base, i);
    return (t->keys[i].flags & SCNK_REQ) ? SCNK_NEED_REQ : SCNK_NEED_OPT;
}

/* Is key i present in a struct (so it is checked, scaled and written)? */
bool scnk_present(const struct scnk_table *t, const void *base, int i)
{
    const struct scnk_key *k = &t->keys[i];
    const char *b = base;
    if (scnk_need_of(t, base, i) == SCNK_NEED_NO)
        return false;
    if (k->has)
        return scnk_get(b + k->has - 1, 1) != 0;
    if (k->type == SCNK_T_STR && !(k->flags & SCNK_REQ))
        return b[k->off] != 0;
    return true;
}

void scnk_key_list(const struct scnk_table *t, const void *base, enum scnk_list m, char *o,
                   size_t n)
{
    size_t len = 0;
    o[0] = 0;
    for (int i = 0; i < t->n && len < n; i++) {
        enum scnk_need nd = m == SCNK_L_ALL ? SCNK_NEED_OPT : scnk_need_of(t, base, i);
        if ((m == SCNK_L_ALLOWED && nd == SCNK_NEED_NO) || (m == SCNK_L_REQ && nd != SCNK_NEED_REQ))
            continue;
        int w = snprintf(o + len, n - len, "%s%s", len ? ", " : "", t->keys[i].name);
        len += w > 0 ? (size_t)w : 0;
    }
}

static void names_list(const struct scnk_key *k, char *o, size_t n)
{
    size_t len = 0;
    o[0] = 0;
    for (int i = 0; i < k->nnames && len < n; i++) {
        if (!k->names[i])
            continue;
        int w = snprintf(o + len, n - len, "%s%s", len ? ", " : "", k->names[i]);
        len += w > 0 ? (size_t)w : 0;
    }
}

/* What a key accepts, in words. */
void scnk_allowed(const struct scnk_key *k, char *o, size_t n)
{
    char l[384]; /* the device mapping lists 27 keys */
    switch (k->type) {
    case SCNK_T_UINT:
        snprintf(o, n, "%s %llu..%llu%s", (k->flags & SCNK_POW2) ? "a power of two" : "an integer",
                 (unsigned long long)k->lo, (unsigned long long)k->hi,
                 (k->flags & SCNK_HEX) ? " (decimal or 0x hex)" : "");
        break;
    case SCNK_T_TIME:
        snprintf(o, n, "an integer %llu..%llu (%s)", (unsigned long long)k->lo,
                 (unsigned long long)k->hi, k->unit == SCNK_MS ? "ms" : "us");
        break;
    case SCNK_T_DOUBLE: snprintf(o, n, "a number %g..%g", k->dlo, k->dhi); break;
    case SCNK_T_ENUM:
        names_list(k, l, sizeof l);
        snprintf(o, n, "one of %s", l);
        break;
    case SCNK_T_STR:
        snprintf(o, n, "%llu..%llu %s", (unsigned long long)k->lo, (unsigned long long)k->hi,
                 (k->flags & SCNK_NAME) ? "characters of [A-Za-z0-9._-]"
                                        : "printable ASCII characters");
        break;
    case SCNK_T_MAP:
        scnk_key_list(k->sub, NULL, SCNK_L_ALL, l, sizeof l);
        snprintf(o, n, "a mapping with keys %s", l);
        break;
    case SCNK_T_LIST:
        scnk_key_list(k->sub, NULL, SCNK_L_ALL, l, sizeof l);
        snprintf(o, n, "a list of at most %llu mappings with keys %s",
                 (unsigned long long)k->hi, l);
        break;
    case SCNK_T_BYTES:
        snprintf(o, n, "hex bytes: pairs of hex digits, spaces between pairs optional, at most %d "
                 "bytes (\"\" = none)", SCN_MAX_BYTES);
        break;
    }
}

static int hex_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

int scnk_parse_hex(const struct scnk_key *k, const char *t, size_t n, uint8_t *out, size_t *len,
                   struct scnk_fail *f)
{
    char a[300];
    size_t digits = 0;
    *len = 0;
    scnk_allowed(k, a, sizeof a);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (ch == ' ')
            continue;
        if (hex_digit(ch) < 0)
            return scnk_failf(f, 0, 0, ch >= 0x20 && ch < 0x7f
                                           ? "%s: character %zu ('%c') is not a hex digit; allowed: %s"
                                           : "%s: character %zu (byte 0x%02x) is not a hex digit; "
                                             "allowed: %s",
                              k->name, i + 1, ch, a);
        digits++;
    }
    if (digits % 2)
        return scnk_failf(f, 0, 0, "%s: an odd number of hex digits (%zu); allowed: %s", k->name,
                          digits, a);
    if (digits / 2 > SCN_MAX_BYTES)
        return scnk_failf(f, 0, 0, "%s: %zu bytes is too long; allowed: %s", k->name, digits / 2, a);
    for (size_t i = 0; i < n; i++) {
        if (t[i] == ' ')
            continue;
        if (i + 1 >= n || t[i + 1] == ' ')
            return scnk_failf(f, 0, 0, "%s: a space inside a byte at character %zu; allowed: %s",
                              k->name, i + 2, a);
        out[(*len)++] = (uint8_t)(hex_digit((unsigned char)t[i]) << 4 |
                                  hex_digit((unsigned char)t[i + 1]));
        i++;
    }
    return 0;
}

const char *scnk_ctx(const struct scnk_table *t, const void *base)
{
    return t->ctx ? t->ctx(base) : t->what;
}

/* ---- value rules shared by parsing and checking --------------------------------------------- */

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

int scnk_check_uint(const struct scnk_key *k, uint64_t v, struct scnk_fail *f)
{
    char a[300];
    if (v >= k->lo && v <= k->hi && (!(k->flags & SCNK_POW2) || is_pow2(v)))
        return 0;
    scnk_allowed(k, a, sizeof a);
    return scnk_failf(f, 0, 0, "%s: %llu is %s; allowed: %s", k->name, (unsigned long long)v,
                 (v < k->lo || v > k->hi) ? "out of range" : "not a power of two", a);
}

int scnk_check_double(const struct scnk_key *k, double v, struct scnk_fail *f)
{
    char a[300];
    if (isfinite(v) && v >= k->dlo && v <= k->dhi)
        return 0;
    scnk_allowed(k, a, sizeof a);
    return scnk_failf(f, 0, 0, "%s: %g is out of range; allowed: %s", k->name, v, a);
}

int scnk_check_str(const struct scnk_key *k, const char *t, size_t n, struct scnk_fail *f)
{
    char a[300];
    const char *bad = NULL;
    for (size_t i = 0; i < n && !bad; i++) {
        unsigned char ch = (unsigned char)t[i];
        bool ok = (k->flags & SCNK_NAME) ? (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                            (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
                                            ch == '-'
                                      : ch >= 0x20 && ch < 0x7f;
        if (!ok)
            bad = "has a character that is not allowed";
    }
    if (n < k->lo || n > k->hi)
        bad = "has a length out of range";
    if (!bad)
        return 0;
    scnk_allowed(k, a, sizeof a);
    return scnk_failf(f, 0, 0, "%s: the text (%zu characters) %s; allowed: %s", k->name, n, bad, a);
}

/* The range of a time key, in ns, at time scale ts (rounding may move a bound by 1 ns). */
static void time_range(const struct scnk_key *k, double ts, int64_t *lo, int64_t *hi)
{
    double l = (double)k->lo * (double)k->unit / ts, h = (double)k->hi * (double)k->unit / ts;
    *lo = (int64_t)floor(l);
    if (k->lo > 0 && *lo < 1)
        *lo = 1;
    *hi = h > 9e18 ? INT64_MAX : (int64_t)ceil(h);
}

int scnk_check_time(const struct scnk_key *k, int64_t v, double ts, struct scnk_fail *f)
{
    int64_t lo, hi;
    time_range(k, ts, &lo, &hi);
    if (v < lo || v > hi)
        return scnk_failf(f, 0, 0, "%s: %lld ns is out of range at time scale %g; allowed: "
                          "%lld..%lld ns",
                     k->name, (long long)v, ts, (long long)lo, (long long)hi);
    if (ts == 1.0 && v % k->unit)
        return scnk_failf(f, 0, 0, "%s: %lld ns is not a whole number of %s; allowed: "
                          "multiples of %lld ns",
                     k->name, (long long)v, k->unit == SCNK_MS ? "ms" : "us", (long long)k->unit);
    return 0;
}

int scnk_locate(struct scnk_fail *f, int line, int col)
{
    if (f->line == 0) {
        f->line = line;
        f->col = col;
    }
    return -1;
}

/* ---- tables --------------------------------------------------------------------------------- */

enum { DIST_KIND, DIST_MAX, DIST_STDDEV, DIST_SCALE, DIST_ALPHA };

static enum scnk_need dist_need(const void *base, int i)
{
    static const enum scn_dist_kind owner[] = {
        [DIST_MAX] = SCN_DIST_UNIFORM, [DIST_STDDEV] = SCN_DIST_NORMAL,
        [DIST_SCALE] = SCN_DIST_PARETO, [DIST_ALPHA] = SCN_DIST_PARETO};
    const struct scn_dist *d = base;
    if (i == DIST_KIND)
        return SCNK_NEED_REQ;
    return d->kind == owner[i] ? SCNK_NEED_REQ : SCNK_NEED_NO;
}

static const char *dist_ctx(const void *base)
{
    static const char *const w[] = {"distribution none", "distribution uniform",
                                    "distribution normal", "distribution pareto"};
    NAMED(w, SCN_DIST_COUNT);
    return scnk_name(w, SCN_DIST_COUNT, ((const struct scn_dist *)base)->kind);
}

#define DIST_TIME(nm, fld) \
    {.name = nm, .type = SCNK_T_TIME, .lo = 1, .hi = 10000000, .unit = SCNK_US, \
     FLD(struct scn_dist, fld)}
static const struct scnk_key dist_keys[] = {
    [DIST_KIND] = {.name = "distribution", .type = SCNK_T_ENUM, .flags = SCNK_REQ,
                   NAMES(dist_names), FLD(struct scn_dist, kind)},
    [DIST_MAX] = DIST_TIME("max_us", max_ns),
    [DIST_STDDEV] = DIST_TIME("stddev_us", stddev_ns),
    [DIST_SCALE] = DIST_TIME("scale_us", scale_ns),
    [DIST_ALPHA] = {.name = "alpha", .type = SCNK_T_DOUBLE, .dlo = 0.5, .dhi = 10,
                    FLD(struct scn_dist, alpha)},
};
static const struct scnk_table dist_t = {.what = "distribution", KEYS(dist_keys), .flow = true,
                                    .need = dist_need, .ctx = dist_ctx};

enum { EV_AT, EV_STALL, EV_MODE, EV_BURST, EV_HALT, EV_DISC, EV_CORRUPT };
static const int ev_key[] = {[SCN_EV_STALL] = EV_STALL, [SCN_EV_BURST] = EV_BURST,
                             [SCN_EV_HALT] = EV_HALT, [SCN_EV_DISCONNECT] = EV_DISC,
                             [SCN_EV_CORRUPT] = EV_CORRUPT};
#define N_EV_KINDS SCN_EV_COUNT
NAMED(ev_key, SCN_EV_COUNT);

static enum scnk_need devev_need(const void *base, int i)
{
    const struct scn_dev_event *ev = base;
    if (i == EV_AT)
        return SCNK_NEED_REQ;
    if (i == EV_MODE)
        return ev->kind == SCN_EV_STALL ? SCNK_NEED_OPT : SCNK_NEED_NO;
    return (unsigned)ev->kind < N_EV_KINDS && ev_key[ev->kind] == i ? SCNK_NEED_REQ : SCNK_NEED_NO;
}

static const char *devev_ctx(const void *base)
{
    static const char *const w[] = {"a stall event", "a burst event", "a halt event",
                                    "a disconnect event", "a corrupt event"};
    NAMED(w, SCN_EV_COUNT);
    return scnk_name(w, N_EV_KINDS, ((const struct scn_dev_event *)base)->kind);
}

static const struct scnk_key devev_keys[];

/* An event's kind is the one kind key it has. */
static int devev_kind(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                      struct scnk_fail *f)
{
    struct scn_dev_event *ev = base;
    int found = -1;
    for (int k = 0; k < N_EV_KINDS; k++) {
        const struct scnk_seen *b = &seen[ev_key[k]];
        if (!b->on)
            continue;
        if (found >= 0) {
            const struct scnk_seen *a = &seen[ev_key[found]];
            int first = a->key.index < b->key.index ? ev_key[found] : ev_key[k];
            int second = first == ev_key[k] ? ev_key[found] : ev_key[k];
            return scnk_failf(f, seen[second].key.line, seen[second].key.col,
                         "%s and %s in one event; allowed: exactly one of stall_ms, burst, "
                         "halt_ms, disconnect_ms, corrupt",
                         devev_keys[first].name, devev_keys[second].name);
        }
        found = k;
    }
    if (found < 0)
        return scnk_failf(f, map.line, map.col,
                     "device event has none of stall_ms, burst, halt_ms, disconnect_ms, corrupt; "
                     "allowed: at_ms with exactly one of them");
    ev->kind = (enum scn_dev_event_kind)found;
    return 0;
}

static int devev_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)s;
    const struct scn_dev_event *ev = base;
    if ((unsigned)ev->kind >= N_EV_KINDS)
        return scnk_failf(f, 0, 0, "device event kind %u is unknown; allowed: stall, burst, halt, "
                              "disconnect, corrupt", (unsigned)ev->kind);
    return 0;
}

#define EV_TIME(nm, T, fld, lo_) \
    {.name = nm, .type = SCNK_T_TIME, .lo = lo_, .hi = 3600000, .unit = SCNK_MS, FLD(T, fld)}
#define EV_COUNT(nm) \
    {.name = nm, .type = SCNK_T_UINT, .lo = 1, .hi = 65536, FLD(struct scn_dev_event, count)}
static const struct scnk_key devev_keys[] = {
    [EV_AT] = {.name = "at_ms", .type = SCNK_T_TIME, .flags = SCNK_REQ, .hi = 3600000,
               .unit = SCNK_MS, FLD(struct scn_dev_event, at_ns)},
    [EV_STALL] = EV_TIME("stall_ms", struct scn_dev_event, dur_ns, 1),
    [EV_MODE] = {.name = "mode", .type = SCNK_T_ENUM, NAMES(mode_names),
                 FLD(struct scn_dev_event, mode)},
    [EV_BURST] = EV_COUNT("burst"),
    [EV_HALT] = EV_TIME("halt_ms", struct scn_dev_event, dur_ns, 1),
    [EV_DISC] = EV_TIME("disconnect_ms", struct scn_dev_event, dur_ns, 1),
    [EV_CORRUPT] = EV_COUNT("corrupt"),
};
static const struct scnk_table devev_t = {.what = "device event", KEYS(devev_keys), .flow = true,
                                     .need = devev_need, .ctx = devev_ctx, .kind = devev_kind,
                                     .rule = devev_rule};

static const struct scnk_key conev_keys[] = {
    {.name = "at_ms", .type = SCNK_T_TIME, .flags = SCNK_REQ, .lo = 0, .hi = 3600000,
     .unit = SCNK_MS, FLD(struct scn_con_event, at_ns)},
    {.name = "stall_ms", .type = SCNK_T_TIME, .flags = SCNK_REQ, .lo = 1, .hi = 3600000,
     .unit = SCNK_MS, FLD(struct scn_con_event, dur_ns)},
};
static const struct scnk_table conev_t = {.what = "consumer event", KEYS(conev_keys), .flow = true};

#define LIST(T, arr, cnt, item) \
    .type = SCNK_T_LIST, .hi = SCN_MAX_EVENTS, .off = offsetof(T, arr), \
    .count_off = offsetof(T, cnt), .item_size = sizeof(item), .lc = offsetof(item, line)
_Static_assert(offsetof(struct scn_dev_event, col) ==
                   offsetof(struct scn_dev_event, line) + sizeof(int),
               "line, col adjacent");
_Static_assert(offsetof(struct scn_con_event, col) ==
                   offsetof(struct scn_con_event, line) + sizeof(int),
               "line, col adjacent");

/* ---- the device's own descriptors (v2) ---- */

#define IFACE_EX                                                                                \
    "device:\n  packet_size: 64\n  interfaces:\n    - number: 0\n      alt: 0\n"              \
    "      class: 0x03\n      subclass: 0x00\n      protocol: 0x00\n      name: \"Sensor\"\n" \
    "      name_index: 4\n      extra: \"09 21 11 01 00 01 22 20 00\"\n      endpoints:\n"                          \
    "        - {address: 0x81, type: interrupt, max_packet: 64, interval: 4, extra: \"\"}\n"
#define CTL_EX                                                                                  \
    "device:\n  control:\n    - {request_type: 0xc0, request: 0x01, value: 0, index: 0, "      \
    "reply: \"01 02 03 04\"}\n    - {request_type: 0x40, request: 0x02, action: start}\n"     \
    "    - {request_type: 0xc0, request: 0x03, stall: true}\n"

#define U8HEX(nm, T, fld) \
    {.name = nm, .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xff, FLD(T, fld)}

/* device.payload: the generator of framing raw's bytes (without replay). The table's base is a
 * struct scn_payload (an endpoint's own stream has one too: ep_stream_t). */
enum { PAY_GENERATOR, PAY_PATTERN };
#define PAYLOAD_EX "device:\n  framing: raw\n  packet_size: 8\n  period_us: 8000\n" \
                   "  payload: {generator: pattern, pattern: \"00 00 04 00 00 00 00 00\"}\n"

static enum scnk_need pattern_need(const struct scn_payload *p)
{
    return p->generator == SCN_GEN_PATTERN ? SCNK_NEED_REQ : SCNK_NEED_NO;
}

static enum scnk_need payload_need(const void *base, int i)
{
    return i == PAY_PATTERN ? pattern_need(base) : SCNK_NEED_OPT;
}

static const char *generator_ctx(const char *const w[SCN_GEN_COUNT], const struct scn_payload *p)
{
    return scnk_name(w, SCN_GEN_COUNT, p->generator);
}

static const char *payload_ctx(const void *base)
{
    static const char *const w[] = {"payload generator counter", "payload generator random",
                                    "payload generator pattern"};
    NAMED(w, SCN_GEN_COUNT);
    return generator_ctx(w, base);
}

/* pattern goes with generator pattern, and generator pattern needs it (clearer words than the
 * generic "does not apply" / "missing"). pat: where pattern was seen. */
static int pattern_kind(const struct scn_payload *p, const struct scnk_seen *pat,
                        struct scnk_mark map, struct scnk_fail *f)
{
    enum scn_generator g = p->generator;
    if (pat->on && g != SCN_GEN_PATTERN)
        return scnk_failf(f, pat->key.line, pat->key.col,
                          "pattern: given with generator %s; allowed: pattern only with "
                          "generator: pattern", scnk_name(generator_names, SCN_GEN_COUNT, g));
    if (!pat->on && g == SCN_GEN_PATTERN)
        return scnk_failf(f, map.line, map.col, "generator: pattern without pattern; allowed: "
                          "generator: pattern with pattern: \"hex bytes\" (repeated to the packet's "
                          "length)");
    return 0;
}

static int payload_kind(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                        struct scnk_fail *f)
{
    return pattern_kind(base, &seen[PAY_PATTERN], map, f);
}

#define GENERATOR_DOC                                                                          \
    "The bytes of each packet with `framing: raw` (without `replay`), "                        \
    "packet_size bytes, a pure function of the scenario and the sample's seq. "                \
    "`counter`: seq as 4 bytes little-endian, repeated (seq 0x01020304: 04 03 "                \
    "02 01 04 03 02 01 ...). `random`: pkt_payload(seed, seq) of sim/packet.h "                \
    "(the bytes a usbsim packet's payload carries). `pattern`: the bytes of "                  \
    "`pattern`, repeated and cut to the packet's length."

static const struct scnk_key payload_keys[] = {
    [PAY_GENERATOR] = {.name = "generator", .type = SCNK_T_ENUM, NAMES(generator_names),
                       FLD(struct scn_payload, generator), HAS(struct scn_payload, has_generator),
                       .doc = GENERATOR_DOC, .example = PAYLOAD_EX},
    [PAY_PATTERN] = {.name = "pattern", .type = SCNK_T_BYTES, FLD(struct scn_payload, pattern),
                     HAS(struct scn_payload, pattern.set), .doc = "With `generator: pattern` (and "
                     "only then, required): at least one byte.", .example = PAYLOAD_EX},
};
static const struct scnk_table payload_t = {.what = "payload", KEYS(payload_keys), .flow = true,
                                            .need = payload_need, .ctx = payload_ctx,
                                            .kind = payload_kind};

/* An endpoint's own stream (an IN endpoint other than the stream endpoint). The table's base is
 * a struct scn_ep_stream; `set` says the mapping was written (its keys apply only then). */
enum { EPS_PERIOD, EPS_SIZE, EPS_GENERATOR, EPS_PATTERN };
#define EP_STREAM_EX                                                                            \
    "device:\n  packet_size: 64\n  interfaces:\n    - number: 0\n      endpoints:\n"          \
    "        - {address: 0x81, type: interrupt, max_packet: 64}\n"                             \
    "        - address: 0x83\n          type: interrupt\n          max_packet: 8\n"            \
    "          stream: {period_us: 100000, packet_size: 4, generator: counter}\n"              \
    "        - address: 0x02\n          type: bulk\n          max_packet: 512\n"              \
    "          on_data: {reply: \"06\", endpoint: 0x83}\n"

static enum scnk_need ep_stream_need(const void *base, int i)
{
    const struct scn_ep_stream *st = base;
    if (!st->set)
        return SCNK_NEED_NO;
    if (i == EPS_PATTERN)
        return pattern_need(&st->payload);
    return i == EPS_GENERATOR ? SCNK_NEED_OPT : SCNK_NEED_REQ;
}

static const char *ep_stream_ctx(const void *base)
{
    static const char *const w[] = {"stream generator counter", "stream generator random",
                                    "stream generator pattern"};
    NAMED(w, SCN_GEN_COUNT);
    return generator_ctx(w, &((const struct scn_ep_stream *)base)->payload);
}

static int ep_stream_kind(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                          struct scnk_fail *f)
{
    struct scn_ep_stream *st = base;
    st->set = true;
    return pattern_kind(&st->payload, &seen[EPS_PATTERN], map, f);
}

static int ep_stream_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)s;
    const struct scn_ep_stream *st = base;
    if (st->set && st->payload.generator == SCN_GEN_PATTERN && st->payload.pattern.set &&
        st->payload.pattern.len == 0)
        return scnk_failf(f, 0, 0, "pattern: \"\" has no byte; allowed: at least 1 byte");
    return 0;
}

static const struct scnk_key ep_stream_keys[] = {
    [EPS_PERIOD] = {.name = "period_us", .type = SCNK_T_TIME, .flags = SCNK_REQ, .lo = 10,
                    .hi = 10000000, .unit = SCNK_US, FLD(struct scn_ep_stream, period_ns),
                    .doc = "A packet every period_us from the stream's t0 (the one the stream "
                    "endpoint starts at), for duration_ms; no jitter, no events but disconnect.",
                    .example = EP_STREAM_EX},
    [EPS_SIZE] = {.name = "packet_size", .type = SCNK_T_UINT, .flags = SCNK_REQ, .lo = 1,
                  .hi = 1024, FLD(struct scn_ep_stream, packet_size), .doc = "The bytes of each "
                  "packet: 1..max_packet for an interrupt endpoint, 1..1024 for bulk (one "
                  "transfer).", .example = EP_STREAM_EX},
    [EPS_GENERATOR] = {.name = "generator", .type = SCNK_T_ENUM, NAMES(generator_names),
                       FLD(struct scn_ep_stream, payload.generator),
                       HAS(struct scn_ep_stream, payload.has_generator),
                       .doc = "As device.payload's generator (default counter); `random` is "
                       "derived from the seed and the endpoint's address, so two endpoints "
                       "differ.", .example = EP_STREAM_EX},
    [EPS_PATTERN] = {.name = "pattern", .type = SCNK_T_BYTES,
                     FLD(struct scn_ep_stream, payload.pattern),
                     HAS(struct scn_ep_stream, payload.pattern.set), .doc = "With `generator: "
                     "pattern` (and only then, required): at least one byte.",
                     .example = EP_STREAM_EX},
};
static const struct scnk_table ep_stream_t = {.what = "stream", KEYS(ep_stream_keys),
                                              .flow = true, .need = ep_stream_need,
                                              .ctx = ep_stream_ctx, .kind = ep_stream_kind,
                                              .rule = ep_stream_rule};

/* What an OUT endpoint does with each transfer: its base is a struct scn_on_data. */
enum { OND_REPLY, OND_ENDPOINT, OND_ACTION };

static enum scnk_need on_data_need(const void *base, int i)
{
    const struct scn_on_data *o = base;
    if (!o->set)
        return SCNK_NEED_NO;
    if (i == OND_ENDPOINT)
        return o->reply.set ? SCNK_NEED_REQ : SCNK_NEED_NO;
    return SCNK_NEED_OPT;
}

static int on_data_kind(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                        struct scnk_fail *f)
{
    struct scn_on_data *o = base;
    o->set = true;
    if (seen[OND_REPLY].on && seen[OND_ACTION].on) {
        const struct scnk_seen *second = seen[OND_REPLY].key.index > seen[OND_ACTION].key.index
                                             ? &seen[OND_REPLY] : &seen[OND_ACTION];
        return scnk_failf(f, second->key.line, second->key.col, "reply and action in one on_data; "
                          "allowed: exactly one of reply (with endpoint), action");
    }
    if (!seen[OND_REPLY].on && !seen[OND_ACTION].on)
        return scnk_failf(f, map.line, map.col, "on_data has none of reply, action; allowed: "
                          "exactly one of reply (with endpoint), action");
    return 0;
}

static int on_data_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)s;
    const struct scn_on_data *o = base;
    if (o->set && o->reply.set + o->has_action != 1)
        return scnk_failf(f, 0, 0, "on_data has %d of reply, action; allowed: exactly one of "
                          "reply (with endpoint), action", o->reply.set + o->has_action);
    return 0;
}

static const struct scnk_key on_data_keys[] = {
    [OND_REPLY] = {.name = "reply", .type = SCNK_T_BYTES, FLD(struct scn_on_data, reply),
                   HAS(struct scn_on_data, reply.set), .doc = "Each OUT transfer received queues "
                   "these bytes on the IN endpoint `endpoint`, which answers its next IN request "
                   "with them (at most its max_packet for an interrupt endpoint, 1024 for bulk).",
                   .example = EP_STREAM_EX},
    [OND_ENDPOINT] = {.name = "endpoint", .type = SCNK_T_UINT, .flags = SCNK_HEX,
                      .lo = 0x81, .hi = 0x8f, FLD(struct scn_on_data, endpoint),
                      HAS(struct scn_on_data, has_endpoint), .doc = "With reply (required): a "
                      "listed IN endpoint other than the stream endpoint.",
                      .example = EP_STREAM_EX},
    [OND_ACTION] = {.name = "action", .type = SCNK_T_ENUM, NAMES(action_names),
                    FLD(struct scn_on_data, action), HAS(struct scn_on_data, has_action),
                    .doc = "Each OUT transfer received does the control table's action: start "
                    "sets t0 if the stream has not started; stop pauses the stream endpoint.",
                    .example = "device:\n  packet_size: 64\n  start: on_request\n  control:\n    - {request_type: "
                    "0x40, request: 0x02, action: start}\n  interfaces:\n    - number: 0\n"
                    "      endpoints:\n        - {address: 0x81, type: interrupt, max_packet: "
                    "64}\n        - address: 0x01\n          type: bulk\n          max_packet: "
                    "512\n          on_data: {action: start}\n"},
};
static const struct scnk_table on_data_t = {.what = "on_data", KEYS(on_data_keys), .flow = true,
                                            .need = on_data_need, .kind = on_data_kind,
                                            .rule = on_data_rule};

static bool ep_addr_ok(unsigned a) { return (a & 0x70) == 0 && (a & 0x0f) != 0; }

/* The largest wMaxPacketSize the speed allows for the type; bulk at high speed: exactly 512. */
static int ep_size_rule(const struct scn_ep *e, enum scn_speed sp, struct scnk_fail *f)
{
    if (sp == SCN_SPEED_FULL && e->max_packet > 64)
        return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: max_packet %u is over the full-speed "
                          "limit; allowed: 1..64 at full speed", e->address, e->max_packet);
    if (sp == SCN_SPEED_HIGH && e->type == SCN_EP_BULK && e->max_packet != 512)
        return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: max_packet %u for a bulk endpoint at "
                          "high speed; allowed: exactly 512 (bulk at high speed)", e->address,
                          e->max_packet);
    return 0;
}

/* Class-specific bytes are whole descriptors: each starts with its length (at least 2) and the
 * last one ends where the bytes end. */
static int chain_rule(const SC *s, const struct scn_bytes *b, const char *what, int line, int col,
                      struct scnk_fail *f)
{
    const uint8_t *d = scn_bytes_of(s, b);
    size_t i = 0;
    while (d && i < b->len && d[i] >= 2 && d[i] <= b->len - i)
        i += d[i];
    if (!d || i == b->len)
        return 0;
    return scnk_failf(f, line, col, "extra of %s: the descriptor at byte %zu has bLength %u, %s; "
                      "allowed: whole descriptors, each starting with its length (at least 2)",
                      what, i, d[i], d[i] < 2 ? "too short" : "past the end of the bytes");
}

static int ep_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    const struct scn_ep *e = base;
    char what[32];
    snprintf(what, sizeof what, "endpoint 0x%02x", e->address);
    if (chain_rule(s, &e->extra, what, e->line, e->col, f))
        return -1;
    if (!ep_addr_ok(e->address))
        return scnk_failf(f, e->line, e->col, "address: 0x%02x is not an endpoint address; allowed: "
                          "0x01..0x0f (OUT) or 0x81..0x8f (IN)", e->address);
    if (ep_size_rule(e, s->device.speed, f))
        return -1;
    if (e->type == SCN_EP_INTERRUPT && e->has_interval) {
        unsigned hi = s->device.speed == SCN_SPEED_HIGH ? 16 : 255;
        if (e->interval < 1 || e->interval > hi)
            return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: interval %u; allowed: 1..%u for "
                              "an interrupt endpoint at %s speed (%s)", e->address, e->interval, hi,
                              s->device.speed == SCN_SPEED_HIGH ? "high" : "full",
                              s->device.speed == SCN_SPEED_HIGH
                                  ? "2^(interval-1) microframes of 125 us"
                                  : "frames of 1 ms");
    }
    return 0;
}

static const struct scnk_key ep_keys[] = {
    {.name = "address", .type = SCNK_T_UINT, .flags = SCNK_HEX | SCNK_REQ, .lo = 1, .hi = 0x8f,
     FLD(struct scn_ep, address), .doc = "bEndpointAddress: bit 7 set is IN (0x81..0x8f), clear is "
     "OUT (0x01..0x0f).", .example = IFACE_EX},
    {.name = "type", .type = SCNK_T_ENUM, NAMES(ep_names), FLD(struct scn_ep, type),
     .example = IFACE_EX},
    {.name = "max_packet", .type = SCNK_T_UINT, .flags = SCNK_REQ, .lo = 1, .hi = 1024,
     FLD(struct scn_ep, max_packet), .doc = "wMaxPacketSize. Full speed: at most 64. High speed: "
     "interrupt at most 1024, bulk exactly 512.", .example = IFACE_EX},
    {.name = "interval", .type = SCNK_T_UINT, .hi = 255, FLD(struct scn_ep, interval),
     HAS(struct scn_ep, has_interval), .doc = "bInterval as written in the descriptor (interrupt: "
     "high speed 1..16, 2^(interval-1) microframes; full speed 1..255 ms). Absent: bulk 0; the "
     "stream's interrupt endpoint derives it from period_us; another interrupt endpoint 1.",
     .example = IFACE_EX},
    {.name = "extra", .type = SCNK_T_BYTES, FLD(struct scn_ep, extra),
     HAS(struct scn_ep, extra.set), .doc = "Class-specific descriptor bytes written right after the "
     "endpoint descriptor.", .example = IFACE_EX},
    {.name = "stream", .type = SCNK_T_MAP, .sub = &ep_stream_t, .off = offsetof(struct scn_ep, stream),
     .doc = "An IN endpoint other than the stream endpoint plays its own raw packets "
     "(usb_device.h): otherwise it answers NAK (or, with `replay`, plays the recording's packets "
     "of its address; `stream` wins over them). Its FIFO holds fifo_packets (the newest dropped "
     "when full); a disconnect clears it; stall, halt, burst and corrupt events apply to the "
     "stream endpoint only. The harness's verdicts look at the stream endpoint only.",
     .example = EP_STREAM_EX},
    {.name = "on_data", .type = SCNK_T_MAP, .sub = &on_data_t, .off = offsetof(struct scn_ep, on_data),
     .doc = "An OUT endpoint answers each transfer it receives: `reply` on an IN endpoint, or a "
     "start/stop `action`. Every OUT transfer is logged (device-out.csv next to the device log) "
     "with or without on_data.", .example = EP_STREAM_EX},
};
static const struct scnk_table ep_t = {.what = "endpoint", KEYS(ep_keys), .rule = ep_rule};

static const struct scnk_key iface_keys[] = {
    {.name = "number", .type = SCNK_T_UINT, .hi = SCN_MAX_IFACES - 1,
     FLD(struct scn_iface, number), .doc = "bInterfaceNumber. The numbers used must be 0..n-1.",
     .example = IFACE_EX},
    {.name = "alt", .type = SCNK_T_UINT, .hi = 255, FLD(struct scn_iface, alt),
     .doc = "bAlternateSetting. Several entries with the same number are its alternate settings; "
     "every number needs alt 0.", .example = IFACE_EX},
    {.name = "class", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xff,
     FLD(struct scn_iface, cls), .doc = "bInterfaceClass (0x03 HID, 0x02 CDC, 0xff vendor...).",
     .example = IFACE_EX},
    {.name = "subclass", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xff,
     FLD(struct scn_iface, subclass), .example = IFACE_EX},
    {.name = "protocol", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xff,
     FLD(struct scn_iface, protocol), .example = IFACE_EX},
    {.name = "name", .type = SCNK_T_STR, .hi = SCN_MAX_TEXT, FLD(struct scn_iface, name),
     .doc = "The iInterface string; absent or \"\": none.", .example = IFACE_EX},
    {.name = "name_index", .type = SCNK_T_UINT, .lo = 1, .hi = 255,
     FLD(struct scn_iface, name_index), HAS(struct scn_iface, has_name_index),
     .doc = "The name's string index (iInterface). Absent: the lowest index from 4 up that no "
     "other string has, in entry order after the configuration's name. Strings with the same "
     "text may share an index.", .example = IFACE_EX},
    {.name = "extra", .type = SCNK_T_BYTES, FLD(struct scn_iface, extra),
     HAS(struct scn_iface, extra.set), .doc = "Class-specific descriptor bytes written right after "
     "the interface descriptor (a HID descriptor, CDC functional descriptors...).",
     .example = IFACE_EX},
    {.name = "endpoints", .type = SCNK_T_LIST, .hi = SCN_MAX_EPS, .sub = &ep_t,
     .off = offsetof(struct scn_iface, eps), .count_off = offsetof(struct scn_iface, n_eps),
     .item_size = sizeof(struct scn_ep), .lc = offsetof(struct scn_ep, line), .example = IFACE_EX},
};
static int iface_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    const struct scn_iface *i = base;
    char what[48];
    snprintf(what, sizeof what, "interface %u alt %u", i->number, i->alt);
    return chain_rule(s, &i->extra, what, i->line, i->col, f);
}

static const struct scnk_table iface_t = {.what = "interface", KEYS(iface_keys),
                                          .rule = iface_rule};

enum { CTL_RT, CTL_REQ, CTL_VALUE, CTL_INDEX, CTL_REPLY, CTL_STALL, CTL_ACTION };
static const struct scnk_key ctl_keys[];

static int ctl_kind(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                    struct scnk_fail *f)
{
    (void)base;
    static const int answer[] = {CTL_REPLY, CTL_STALL, CTL_ACTION};
    int first = -1;
    for (int i = 0; i < 3; i++) {
        const struct scnk_seen *b = &seen[answer[i]];
        if (!b->on)
            continue;
        if (first >= 0) {
            int a = seen[first].key.index < b->key.index ? first : answer[i];
            int second = a == first ? answer[i] : first;
            return scnk_failf(f, seen[second].key.line, seen[second].key.col,
                              "%s and %s in one control entry; allowed: exactly one of reply, "
                              "stall, action", ctl_keys[a].name, ctl_keys[second].name);
        }
        first = answer[i];
    }
    if (first < 0)
        return scnk_failf(f, map.line, map.col, "control entry has none of reply, stall, action; "
                          "allowed: exactly one of them");
    return 0;
}

static int ctl_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)s;
    const struct scn_ctl *c = base;
    int n = c->reply.set + c->has_stall + c->has_action;
    if (n != 1)
        return scnk_failf(f, c->line, c->col, "control entry has %d of reply, stall, action; "
                          "allowed: exactly one of them", n);
    if (c->reply.set && !(c->request_type & 0x80) && c->reply.len)
        return scnk_failf(f, c->line, c->col, "reply: %u bytes for an OUT request (request_type "
                          "0x%02x, bit 7 clear); allowed: reply: \"\" (an OUT request gets no "
                          "data back)", c->reply.len, c->request_type);
    return 0;
}

static const struct scnk_key ctl_keys[] = {
    [CTL_RT] = {.name = "request_type", .type = SCNK_T_UINT, .flags = SCNK_HEX | SCNK_REQ,
                .hi = 0xff, FLD(struct scn_ctl, request_type), .doc = "bmRequestType, matched "
                "exactly.", .example = CTL_EX},
    [CTL_REQ] = {.name = "request", .type = SCNK_T_UINT, .flags = SCNK_HEX | SCNK_REQ, .hi = 0xff,
                 FLD(struct scn_ctl, request), .doc = "bRequest, matched exactly.",
     .example = CTL_EX},
    [CTL_VALUE] = {.name = "value", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xffff,
                   FLD(struct scn_ctl, value), HAS(struct scn_ctl, has_value),
                   .doc = "wValue; absent: any.", .example = CTL_EX},
    [CTL_INDEX] = {.name = "index", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xffff,
                   FLD(struct scn_ctl, index), HAS(struct scn_ctl, has_index),
                   .doc = "wIndex; absent: any.", .example = CTL_EX},
    [CTL_REPLY] = {.name = "reply", .type = SCNK_T_BYTES, FLD(struct scn_ctl, reply),
                   HAS(struct scn_ctl, reply.set), .doc = "The IN data stage (cut to wLength, as USB "
                   "does); for an OUT request only \"\": the request is accepted (its data, if any, "
                   "counted).", .example = CTL_EX},
    [CTL_STALL] = {.name = "stall", .type = SCNK_T_ENUM, NAMES(true_names),
                   FLD(struct scn_ctl, stall), HAS(struct scn_ctl, has_stall),
                   .doc = "The request is answered with a stall.", .example = CTL_EX},
    [CTL_ACTION] = {.name = "action", .type = SCNK_T_ENUM, NAMES(action_names),
                    FLD(struct scn_ctl, action), HAS(struct scn_ctl, has_action),
                    .doc = "The request is accepted (an IN request gets no data) and starts or "
                    "stops the stream: start sets t0 if the stream has not started; stop pauses "
                    "it (see usb_device.h).", .example = CTL_EX},
};
static const struct scnk_table ctl_t = {.what = "control entry", KEYS(ctl_keys), .flow = true,
                                        .kind = ctl_kind, .rule = ctl_rule};

static const struct scnk_key config_keys[] = {
    U8HEX("attributes", SC, device.cfg_attributes),
    {.name = "max_power_ma", .type = SCNK_T_UINT, .hi = 500, FLD(SC, device.max_power_ma)},
    {.name = "name", .type = SCNK_T_STR, .hi = SCN_MAX_TEXT, FLD(SC, device.config_name),
     .doc = "The iConfiguration string; absent or \"\": none (the FunctionFS gadget then names "
     "its configuration after the scenario)."},
    {.name = "name_index", .type = SCNK_T_UINT, .lo = 1, .hi = 255,
     FLD(SC, device.config_name_index), HAS(SC, device.has_config_name_index),
     .doc = "The name's string index. Absent: the lowest index from 4 up that no other string "
     "has.", .example = "device:\n  config: {attributes: 0x80, max_power_ma: 100, name: \"Default\", "
     "name_index: 4}\n"},
};
static const struct scnk_table config_t = {.what = "config", KEYS(config_keys), .flow = true};

#define REPLAY_EX "device:\n  framing: raw\n  replay: {file: dev.rec, loop: true}\n"

/* The replay mapping's place, for the check that its file exists (scn_load). */
static int replay_kind(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                       struct scnk_fail *f)
{
    (void)seen;
    (void)f;
    SC *s = base; /* the replay table's fields are the scenario's */
    s->device.replay.line = map.line;
    s->device.replay.col = map.col;
    return 0;
}

static const struct scnk_key replay_keys[] = {
    {.name = "file", .type = SCNK_T_STR, .lo = 1, .hi = SCN_MAX_PATH,
     FLD(SC, device.replay.file), .doc = "A recording (docs/recording-format.md), relative to the "
     "scenario's directory; it must exist. The stream plays its packets of the stream endpoint, "
     "each at its recorded time (divided by the time scale), with the scenario's jitter and "
     "events on top; every other IN endpoint listed plays its own packets at their times "
     "(docs/recording-format.md). Needs `framing: raw` (the "
     "default when `replay` is given). The recording is read when the plan is built (`usbsim "
     "plan`, `run`): there a packet over 1024 bytes, an empty recording or one with no packet on "
     "the stream endpoint is refused.", .example = REPLAY_EX},
    {.name = "loop", .type = SCNK_T_ENUM, NAMES(bool_names), FLD(SC, device.replay.loop),
     HAS(SC, device.replay.has_loop), .doc = "`true`: the recording plays again and again until "
     "`duration_ms`, each time starting one mean inter-packet interval after the previous last "
     "packet (a recording of one packet, or whose packets share one time: `period_us` after "
     "it). `false` (default): the stream ends with the recording, or at `duration_ms` if that "
     "comes first.", .example = REPLAY_EX},
};
/* file is required once the mapping says anything. */
static enum scnk_need replay_need(const void *base, int i)
{
    const SC *s = base;
    if (i == 0 && (s->device.replay.file[0] || s->device.replay.has_loop))
        return SCNK_NEED_REQ;
    return SCNK_NEED_OPT;
}

static const struct scnk_table replay_t = {.what = "replay", KEYS(replay_keys), .flow = true,
                                           .kind = replay_kind, .need = replay_need};


/* Each interface number has alt 0 and is one of 0..n-1; (number, alt) pairs are unique. */
static int ifaces_rule(const SC *s, struct scnk_fail *f)
{
    const struct scn_iface *v = s->device.ifaces;
    size_t n = s->device.n_ifaces < SCN_MAX_IFACES ? s->device.n_ifaces : SCN_MAX_IFACES;
    unsigned used = 0, with_alt0 = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (v[j].number == v[i].number && v[j].alt == v[i].alt)
                return scnk_failf(f, v[i].line, v[i].col, "interface %u alt %u is listed twice "
                                  "(first at line %d); allowed: each number and alt once",
                                  v[i].number, v[i].alt, v[j].line);
        used |= 1u << (v[i].number & 7);
        if (v[i].alt == 0)
            with_alt0 |= 1u << (v[i].number & 7);
    }
    for (size_t i = 0; i < n; i++)
        if (!(with_alt0 & 1u << (v[i].number & 7)))
            return scnk_failf(f, v[i].line, v[i].col, "interface %u has no alt 0; allowed: "
                              "alternate settings of an interface that has alt 0", v[i].number);
    if (used & (used + 1)) {
        unsigned gap = 0;
        while (used & 1u << gap)
            gap++;
        return scnk_failf(f, v[0].line, v[0].col, "interface numbers skip %u; allowed: numbers 0..n-1 "
                          "for n interfaces", gap);
    }
    /* Endpoint addresses: unique, except in alternate settings of one interface. */
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < v[i].n_eps && a < SCN_MAX_EPS; a++) {
            const struct scn_ep *e = &v[i].eps[a];
            for (size_t j = 0; j <= i; j++)
                for (size_t b = 0; b < (j == i ? a : v[j].n_eps) && b < SCN_MAX_EPS; b++)
                    if (v[j].eps[b].address == e->address && (j == i || v[j].number != v[i].number))
                        return scnk_failf(f, e->line, e->col, "endpoint address 0x%02x is listed "
                                          "twice (first at line %d); allowed: each address once "
                                          "(alternate settings of one interface may repeat it)",
                                          e->address, v[j].eps[b].line);
        }
    return 0;
}

/* The first IN endpoint listed (0 when none). */
uint8_t scn_first_in(const SC *s)
{
    for (size_t i = 0; i < s->device.n_ifaces && i < SCN_MAX_IFACES; i++)
        for (size_t a = 0; a < s->device.ifaces[i].n_eps && a < SCN_MAX_EPS; a++)
            if (s->device.ifaces[i].eps[a].address & 0x80)
                return s->device.ifaces[i].eps[a].address;
    return 0;
}

static const struct scnk_key device_keys[];
static int device_key(const char *name);

/* After the device mapping: framing is raw when absent and replay is given; the stream endpoint
 * defaults to the first IN endpoint listed, and the stream's transfer type is that endpoint's. */
static int device_kind(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                       struct scnk_fail *f)
{
    (void)map;
    SC *s = base; /* the device table's fields are the scenario's */
    const struct scnk_seen *fr = &seen[device_key("framing")], *rp = &seen[device_key("replay")];
    if (fr->on && rp->on && s->device.replay.file[0] && s->device.framing != SCN_FRAMING_RAW) {
        const struct scnk_seen *second = fr->key.index > rp->key.index ? fr : rp;
        return scnk_failf(f, second->key.line, second->key.col, "replay and framing: usbsim in one "
                          "device; allowed: replay with framing: raw (or no framing key): a "
                          "recording plays its own bytes");
    }
    if (!s->device.has_framing && s->device.replay.file[0]) {
        s->device.framing = SCN_FRAMING_RAW;
        s->device.has_framing = true;
    }
    if (!s->device.n_ifaces)
        return 0;
    if (!s->device.has_stream_endpoint) {
        s->device.stream_endpoint = scn_first_in(s);
        s->device.has_stream_endpoint = s->device.stream_endpoint != 0;
    }
    const struct scn_ep *e = scn_find_ep(s, s->device.stream_endpoint, NULL);
    if (e && (e->address & 0x80))
        s->device.endpoint = e->type;
    return 0;
}

/* framing, payload, replay and packet_size together. */
static int framing_rule(const SC *s, struct scnk_fail *f)
{
    bool raw = s->device.framing == SCN_FRAMING_RAW, replay = s->device.replay.file[0] != 0;
    bool payload = s->device.payload.has_generator || s->device.payload.pattern.set;
    if (replay && !raw)
        return scnk_failf(f, s->device.replay.line, s->device.replay.col, "replay with framing "
                          "usbsim; allowed: replay with framing raw (a recording plays its own "
                          "bytes)");
    if (payload && !raw)
        return scnk_failf(f, 0, 0, "payload: given with framing usbsim (its packets carry "
                          "packet.h's payload); allowed: payload only with framing: raw");
    if (payload && replay)
        return scnk_failf(f, 0, 0, "payload and replay in one device; allowed: one of them "
                          "(with replay the bytes are the recording's)");
    if (s->device.payload.generator == SCN_GEN_PATTERN && s->device.payload.pattern.set &&
        s->device.payload.pattern.len == 0)
        return scnk_failf(f, 0, 0, "pattern: \"\" has no byte; allowed: at least 1 byte");
    if (!raw && s->device.packet_size < PKT_MIN_SIZE)
        return scnk_failf(f, 0, 0, "packet_size: %u is too small for framing usbsim (a %d-byte "
                          "header and a 4-byte CRC); allowed: %d..%d with framing usbsim, 1..%d "
                          "with framing raw", s->device.packet_size, PKT_HEADER_SIZE,
                          PKT_MIN_SIZE, PKT_MAX_SIZE, PKT_MAX_SIZE);
    return 0;
}

/* stream: on an IN endpoint other than the stream endpoint, its packets within max_packet for
 * interrupt; on_data: on an OUT endpoint, its reply for a listed IN endpoint that is not the
 * stream endpoint, within that endpoint's packet. se: the stream endpoint. */
static int ep_roles_rule(const SC *s, uint8_t se, struct scnk_fail *f)
{
    for (size_t i = 0; i < s->device.n_ifaces && i < SCN_MAX_IFACES; i++)
        for (size_t a = 0; a < s->device.ifaces[i].n_eps && a < SCN_MAX_EPS; a++) {
            const struct scn_ep *e = &s->device.ifaces[i].eps[a];
            const struct scn_on_data *o = &e->on_data;
            if (e->stream.set && !(e->address & 0x80))
                return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: stream on an OUT "
                                  "endpoint; allowed: stream on an IN endpoint other than the "
                                  "stream endpoint 0x%02x", e->address, se);
            if (e->stream.set && e->address == se)
                return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: stream on the stream "
                                  "endpoint (it plays the device's period_us, packet_size, "
                                  "payload); allowed: stream on another IN endpoint", e->address);
            if (e->stream.set && e->type == SCN_EP_INTERRUPT &&
                e->stream.packet_size > e->max_packet)
                return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: stream packet_size %u is "
                                  "larger than its max_packet %u; allowed: 1..max_packet for an "
                                  "interrupt endpoint", e->address, e->stream.packet_size,
                                  e->max_packet);
            if (e->stream.set && e->stream.period_ns > 0 && s->duration_ns > 0 &&
                (uint64_t)((s->duration_ns - 1) / e->stream.period_ns) + 1 > SCN_MAX_SAMPLES)
                return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: its stream has more than "
                                  "%u packets; allowed: at most %u: shorten duration_ms or "
                                  "lengthen its period_us", e->address, SCN_MAX_SAMPLES,
                                  SCN_MAX_SAMPLES);
            if (!o->set)
                continue;
            if (e->address & 0x80)
                return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: on_data on an IN endpoint; "
                                  "allowed: on_data on an OUT endpoint (0x01..0x0f)", e->address);
            if (!o->reply.set)
                continue;
            const struct scn_ep *t = scn_find_ep(s, o->endpoint, NULL);
            if (!t || !(o->endpoint & 0x80) || o->endpoint == se)
                return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: on_data endpoint 0x%02x "
                                  "is %s; allowed: a listed IN endpoint other than the stream "
                                  "endpoint 0x%02x", e->address, o->endpoint,
                                  o->endpoint == se ? "the stream endpoint" : "not a listed IN "
                                  "endpoint", se);
            unsigned max = t->type == SCN_EP_INTERRUPT ? t->max_packet : PKT_MAX_SIZE;
            if (o->reply.len > max)
                return scnk_failf(f, e->line, e->col, "endpoint 0x%02x: on_data reply of %u bytes "
                                  "is longer than endpoint 0x%02x can send in one packet; "
                                  "allowed: at most %u bytes (%s)", e->address, o->reply.len,
                                  o->endpoint, max, t->type == SCN_EP_INTERRUPT
                                  ? "its max_packet" : "one bulk transfer");
        }
    return 0;
}

static int device_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)base;
    const struct scn_ep *e = NULL;
    if (framing_rule(s, f))
        return -1;
    struct scn_strings strs;
    char why[SCN_ERR_MAX];
    if (scn_strings(s, &strs, why) != 0)
        return scnk_failf(f, 0, 0, "%s", why);
    uint8_t se = scn_stream_ep(s);
    bool have_start = false;
    for (size_t i = 0; i < s->device.n_control && i < SCN_MAX_CONTROL; i++)
        have_start |= s->device.control[i].has_action &&
                      s->device.control[i].action == SCN_ACT_START;
    for (size_t i = 0; i < s->device.n_ifaces && i < SCN_MAX_IFACES; i++)
        for (size_t a = 0; a < s->device.ifaces[i].n_eps && a < SCN_MAX_EPS; a++)
            have_start |= s->device.ifaces[i].eps[a].on_data.has_action &&
                          s->device.ifaces[i].eps[a].on_data.action == SCN_ACT_START;
    if (s->device.start == SCN_START_ON_REQUEST && !have_start)
        return scnk_failf(f, 0, 0, "start: on_request but no control entry has action: start; "
                          "allowed: start: on_request with a control entry {..., action: start} "
                          "or an OUT endpoint's on_data: {action: start}");
    if (!s->device.n_ifaces) {
        if (s->device.has_stream_endpoint && se != SCN_V1_STREAM_EP)
            return scnk_failf(f, 0, 0, "stream_endpoint: 0x%02x without interfaces; allowed: "
                              "0x81 (the only endpoint of the default interface)", se);
        if (s->device.speed == SCN_SPEED_FULL && s->device.endpoint == SCN_EP_INTERRUPT &&
            s->device.packet_size > 64)
            return scnk_failf(f, 0, 0, "packet_size: %u is over the full-speed limit of the "
                              "interrupt endpoint; allowed: at most 64 at full speed (or bulk)",
                              s->device.packet_size);
        return 0;
    }
    if (ifaces_rule(s, f))
        return -1;
    if (!scn_first_in(s))
        return scnk_failf(f, s->device.ifaces[0].line, s->device.ifaces[0].col, "interfaces list "
                          "no IN endpoint; allowed: at least one IN endpoint (bit 7 of address "
                          "set) to play the stream");
    if (!(e = scn_find_ep(s, se, NULL)) || !(se & 0x80))
        return scnk_failf(f, 0, 0, "stream_endpoint: 0x%02x is not an IN endpoint of the "
                          "interfaces; allowed: the address of an IN endpoint listed (default: "
                          "the first)", se);
    if (e->type == SCN_EP_INTERRUPT && s->device.packet_size > e->max_packet)
        return scnk_failf(f, 0, 0, "packet_size: %u is larger than the stream endpoint 0x%02x's "
                          "max_packet %u; allowed: packet_size <= max_packet for an interrupt "
                          "stream endpoint", s->device.packet_size, se, e->max_packet);
    return ep_roles_rule(s, se, f);
}

static const struct scnk_key device_keys[] = {
    {.name = "vid", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xffff, FLD(SC, device.vid)},
    {.name = "pid", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xffff, FLD(SC, device.pid)},
    {.name = "packet_size", .type = SCNK_T_UINT, .lo = 1, .hi = 1024, FLD(SC, device.packet_size),
     .doc = "The bytes of each packet: 32..1024 with `framing: usbsim` (its header and CRC take "
     "28), 1..1024 with `framing: raw`. With `replay` each packet is as long as recorded; "
     "packet_size still sizes the default interface's interrupt endpoint (wMaxPacketSize)."},
    {.name = "period_us", .type = SCNK_T_TIME, .lo = 10, .hi = 10000000, .unit = SCNK_US,
     FLD(SC, device.period_ns),
     .doc = "Down to 10 us (100000 packets/s, what high-speed bulk can carry in small packets); "
            "`usbsim bench scale` measures the highest rate the path sustains on your machine."},
    {.name = "endpoint", .type = SCNK_T_ENUM, NAMES(ep_names), FLD(SC, device.endpoint)},
    {.name = "fifo_packets", .type = SCNK_T_UINT, .lo = 1, .hi = 65536,
     FLD(SC, device.fifo_packets)},
    {.name = "timing", .type = SCNK_T_ENUM, NAMES(timing_names), FLD(SC, device.timing),
     .doc = "How the device waits for each packet's due time. `timer`: one timed sleep, so each "
            "packet also leaves as late as the machine's timer wakes it (tens of microseconds, "
            "hundreds on a busy machine; `usbsim bench e2e` measures this floor). `precise`: it "
            "sleeps until shortly before the due time and spins the rest, so its period error "
            "stays within about 20 us: the jitter of a precise scenario is then what the scenario "
            "says (`jitter`, `events`), not what the machine adds. It costs CPU: the spin, about "
            "the timer's lateness per packet (`usbsim bench e2e` shows both modes' CPU). "
            "`usbsim run --precise` and `usbsim fuzz --precise` set it for every scenario. Only "
            "the USB/IP device (the default backend) spins; the FunctionFS gadget keeps the timer."},
    {.name = "jitter", .type = SCNK_T_MAP, .sub = &dist_t, .off = offsetof(SC, device.jitter)},
    {.name = "events", .sub = &devev_t,
     LIST(SC, device.events, device.n_events, struct scn_dev_event)},
    {.name = "bcd_device", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xffff,
     FLD(SC, device.bcd_device), .doc = "bcdDevice, the device's release number."},
    {.name = "bcd_usb", .type = SCNK_T_UINT, .flags = SCNK_HEX, .hi = 0xffff,
     FLD(SC, device.bcd_usb), .doc = "bcdUSB."},
    U8HEX("class", SC, device.dev_class),
    U8HEX("subclass", SC, device.dev_subclass),
    U8HEX("protocol", SC, device.dev_protocol),
    {.name = "max_packet0", .type = SCNK_T_UINT, .flags = SCNK_POW2, .lo = 8, .hi = 64,
     FLD(SC, device.max_packet0), .doc = "bMaxPacketSize0 of endpoint 0."},
    {.name = "speed", .type = SCNK_T_ENUM, NAMES(speed_names), FLD(SC, device.speed),
     .doc = "`full`: every max packet at most 64, interrupt intervals in 1 ms frames, no device "
     "qualifier. `high`: intervals in 125 us microframes (2^(interval-1))."},
    {.name = "manufacturer", .type = SCNK_T_STR, .hi = SCN_MAX_TEXT,
     FLD(SC, device.manufacturer), HAS(SC, device.has_manufacturer),
     .doc = "The iManufacturer string. Absent: \"usbsim\"; \"\": no string (index 0)."},
    {.name = "product", .type = SCNK_T_STR, .hi = SCN_MAX_TEXT, FLD(SC, device.product),
     HAS(SC, device.has_product), .doc = "The iProduct string. Absent: \"usbsim NAME\"; \"\": no "
     "string."},
    {.name = "serial", .type = SCNK_T_STR, .hi = SCN_MAX_TEXT, FLD(SC, device.serial),
     HAS(SC, device.has_serial), .doc = "The iSerialNumber string. Absent: the seed in 16 hex "
     "digits; \"\": no string."},
    {.name = "manufacturer_index", .type = SCNK_T_UINT, .lo = 1, .hi = 255,
     FLD(SC, device.manufacturer_index), HAS(SC, device.has_manufacturer_index),
     .doc = "The manufacturer string's index (iManufacturer). Absent: 1. Over USB/IP the device "
     "answers at the indexes given (a captured device's own); the FunctionFS gadget's indexes "
     "are the kernel's.", .example = "device:\n  manufacturer: \"Acme\"\n  manufacturer_index: 1\n"
     "  product: \"Sensor\"\n  product_index: 2\n  serial: \"A1\"\n  serial_index: 3\n"},
    {.name = "product_index", .type = SCNK_T_UINT, .lo = 1, .hi = 255,
     FLD(SC, device.product_index), HAS(SC, device.has_product_index),
     .doc = "The product string's index (iProduct). Absent: 2.", .example = "device:\n  product: "
     "\"Sensor\"\n  product_index: 2\n"},
    {.name = "serial_index", .type = SCNK_T_UINT, .lo = 1, .hi = 255,
     FLD(SC, device.serial_index), HAS(SC, device.has_serial_index),
     .doc = "The serial string's index (iSerialNumber). Absent: 3.", .example = "device:\n  "
     "serial: \"A1\"\n  serial_index: 3\n"},
    {.name = "config", .type = SCNK_T_MAP, .sub = &config_t,
     .doc = "The configuration's bmAttributes, power (bMaxPower = max_power_ma / 2) and name."},
    {.name = "interfaces", .type = SCNK_T_LIST, .hi = SCN_MAX_IFACES, .sub = &iface_t,
     .off = offsetof(SC, device.ifaces), .count_off = offsetof(SC, device.n_ifaces),
     .item_size = sizeof(struct scn_iface), .lc = offsetof(struct scn_iface, line),
     .doc = "The configuration's interfaces, in descriptor order: each entry's interface "
     "descriptor, its extra bytes, then each endpoint descriptor and its extra bytes. Absent: one "
     "vendor interface (0xff) with one IN endpoint 0x81 of type `endpoint`."},
    {.name = "stream_endpoint", .type = SCNK_T_UINT, .flags = SCNK_HEX, .lo = 0x81, .hi = 0x8f,
     FLD(SC, device.stream_endpoint), HAS(SC, device.has_stream_endpoint),
     .doc = "The IN endpoint that plays the stream (packet_size, period_us, jitter, events, "
     "fifo_packets); its type sets `endpoint`. Default: the first IN endpoint listed. Other IN "
     "endpoints answer NAK unless they have a `stream`, replayed packets or `on_data` replies; "
     "OUT endpoints accept, count and log their data (`on_data`)."},
    {.name = "control", .type = SCNK_T_LIST, .hi = SCN_MAX_CONTROL, .sub = &ctl_t,
     .off = offsetof(SC, device.control), .count_off = offsetof(SC, device.n_control),
     .item_size = sizeof(struct scn_ctl), .lc = offsetof(struct scn_ctl, line),
     .doc = "Control requests answered before the standard ones, matched in order on "
     "request_type, request and (when given) value and index. A request no entry matches is "
     "handled as a standard request, else stalled."},
    {.name = "start", .type = SCNK_T_ENUM, NAMES(start_names), FLD(SC, device.start),
     .doc = "`immediate`: the stream starts at the first IN request after SET_CONFIGURATION. "
     "`on_request`: at a control entry's `action: start`."},
    {.name = "framing", .type = SCNK_T_ENUM, NAMES(framing_names), FLD(SC, device.framing),
     HAS(SC, device.has_framing),
     .doc = "What a packet is. `usbsim`: sim/packet.h's packet (a 24-byte header with seq and "
     "produce time, a payload, a CRC-32), which a receiver checks byte by byte. `raw`: only the "
     "bytes of `payload` (a generator) or of `replay` (a recording), nothing added: what a real "
     "device of that kind sends, e.g. 8-byte keyboard reports. A corrupt event changes a raw "
     "packet's bytes (each XOR 0xa5). Default: `raw` when `replay` is given, else `usbsim`.",
     .example = PAYLOAD_EX},
    {.name = "payload", .type = SCNK_T_MAP, .sub = &payload_t, .off = offsetof(SC, device.payload),
     .doc = "With `framing: raw` and no `replay`: how the bytes are made (absent: counter)."},
    {.name = "replay", .type = SCNK_T_MAP, .sub = &replay_t},
};
_Static_assert(sizeof device_keys / sizeof device_keys[0] <= SCNK_MAX_KEYS, "SCNK_MAX_KEYS");
static const struct scnk_table device_t = {.what = "device", KEYS(device_keys),
                                           .kind = device_kind, .rule = device_rule};

static int device_key(const char *name)
{
    for (int i = 0; i < device_t.n; i++)
        if (strcmp(device_keys[i].name, name) == 0)
            return i;
    return 0; /* not reached: the names are the table's */
}

static const struct scnk_key transport_keys[] = {
    {.name = "ring_slots", .type = SCNK_T_UINT, .flags = SCNK_POW2, .lo = 8, .hi = 1048576,
     FLD(SC, transport.ring_slots)},
    {.name = "overflow", .type = SCNK_T_ENUM, NAMES(ovf_names), FLD(SC, transport.overflow)},
    {.name = "doorbell", .type = SCNK_T_ENUM, NAMES(db_names), FLD(SC, transport.doorbell)},
};
static const struct scnk_table transport_t = {.what = "transport", KEYS(transport_keys)};

static const struct scnk_key consumer_keys[] = {
    {.name = "batch_max", .type = SCNK_T_UINT, .lo = 1, .hi = 65536, FLD(SC, consumer.batch_max)},
    {.name = "work_us", .type = SCNK_T_MAP, .sub = &dist_t, .off = offsetof(SC, consumer.work)},
    {.name = "events", .sub = &conev_t,
     LIST(SC, consumer.events, consumer.n_events, struct scn_con_event)},
};
static const struct scnk_table consumer_t = {.what = "consumer", KEYS(consumer_keys)};

static int rate_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)base;
    const struct scn_expect *e = &s->expect;
    if (e->has_rate_min && e->has_rate_max && e->rate_min_hz > e->rate_max_hz)
        return scnk_failf(f, 0, 0, "rate_hz: min %g is greater than max %g; allowed: min <= max",
                     e->rate_min_hz, e->rate_max_hz);
    return 0;
}

static int latency_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)base;
    const struct scn_expect *e = &s->expect;
    if (e->has_latency_p99_max && e->has_latency_max && e->latency_p99_max_ns > e->latency_max_ns)
        return scnk_failf(f, 0, 0, "latency_ms: p99_max %g ms is greater than max %g ms; allowed: "
                              "p99_max <= max",
                     (double)e->latency_p99_max_ns / SCNK_MS, (double)e->latency_max_ns / SCNK_MS);
    return 0;
}

static int expect_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)base;
    if (s->expect.failure[0] && s->expect.verdict != SCN_VERDICT_FAIL)
        return scnk_failf(f, 0, 0, "failure: given while verdict is pass; allowed: failure only "
                                    "with verdict: fail");
    return 0;
}

#define EXP_TIME(nm, fld, hfld) \
    {.name = nm, .type = SCNK_T_TIME, .lo = 1, .hi = 3600000, .unit = SCNK_MS, \
     FLD(SC, expect.fld), HAS(SC, expect.hfld)}
static const struct scnk_key rate_keys[] = {
    {.name = "min", .type = SCNK_T_DOUBLE, .dhi = 1e6, FLD(SC, expect.rate_min_hz),
     HAS(SC, expect.has_rate_min)},
    {.name = "max", .type = SCNK_T_DOUBLE, .dhi = 1e6, FLD(SC, expect.rate_max_hz),
     HAS(SC, expect.has_rate_max)},
};
static const struct scnk_table rate_t = {.what = "rate_hz", KEYS(rate_keys), .flow = true,
                                    .rule = rate_rule};
static const struct scnk_key latency_keys[] = {
    EXP_TIME("p99_max", latency_p99_max_ns, has_latency_p99_max),
    EXP_TIME("max", latency_max_ns, has_latency_max),
};
static const struct scnk_table latency_t = {.what = "latency_ms", KEYS(latency_keys), .flow = true,
                                       .rule = latency_rule};

static const struct scnk_key expect_keys[] = {
    {.name = "delivered_min_ratio", .type = SCNK_T_DOUBLE, .dhi = 1,
     FLD(SC, expect.delivered_min_ratio), HAS(SC, expect.has_delivered_min_ratio)},
    {.name = "lost_max", .type = SCNK_T_UINT, .hi = UINT64_MAX, FLD(SC, expect.lost_max),
     HAS(SC, expect.has_lost_max)},
    {.name = "order", .type = SCNK_T_ENUM, NAMES(order_names), FLD(SC, expect.order_strict),
     HAS(SC, expect.order_strict)},
    {.name = "rate_hz", .type = SCNK_T_MAP, .sub = &rate_t},
    {.name = "latency_ms", .type = SCNK_T_MAP, .sub = &latency_t},
    {.name = "backlog_max", .type = SCNK_T_UINT, .hi = 1048576, FLD(SC, expect.backlog_max),
     HAS(SC, expect.has_backlog_max)},
    {.name = "drain_ms_max", .type = SCNK_T_TIME, .lo = 1, .hi = 3600000, .unit = SCNK_MS,
     FLD(SC, expect.drain_max_ns), HAS(SC, expect.has_drain_max),
     .doc = "The longest the ring may take to empty after a stall. After a consumer stall: from "
            "its end until the last packet that entered the ring before that end is taken. After "
            "a device `hold` stall (the device releases what it held at once): from its end "
            "until the application has caught up, i.e. every held packet has entered the ring "
            "and the ring is empty for the first time."},
    {.name = "verdict", .type = SCNK_T_ENUM, NAMES(verdict_names), FLD(SC, expect.verdict)},
    {.name = "failure", .type = SCNK_T_STR, .lo = 1, .hi = 127, FLD(SC, expect.failure)},
};
static const struct scnk_table expect_t = {.what = "expect", KEYS(expect_keys),
                                           .rule = expect_rule};

/* One event list in time order, inside the run, its windows disjoint. */
struct span {
    int64_t at, dur; /* dur 0: not a window */
    int line, col;
    const char *key;
};

static double ms_of(int64_t ns) { return (double)ns / SCNK_MS; }

static int spans_rule(const struct span *v, size_t n, int64_t duration, const char *list,
                      struct scnk_fail *f)
{
    const struct span *win = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct span *e = &v[i];
        if (e->at < 0 || e->at >= duration)
            return scnk_failf(f, e->line, e->col, "%s: at_ms %.10g is outside the run; allowed: "
                              "0 <= at_ms < duration_ms (%.10g)", list, ms_of(e->at),
                              ms_of(duration));
        if (i && e->at < v[i - 1].at)
            return scnk_failf(f, e->line, e->col, "%s: at_ms %.10g comes before at_ms %.10g of the "
                         "event at line %d; allowed: events in time order", list, ms_of(e->at),
                         ms_of(v[i - 1].at), v[i - 1].line);
        if (!e->dur)
            continue;
        if (win && e->at - win->at < win->dur)
            return scnk_failf(f, e->line, e->col, "%s: %s window [%.10g, %.10g) ms overlaps the %s "
                         "window [%.10g, %.10g) ms of the event at line %d; allowed: stall, halt "
                         "and disconnect windows that do not overlap", list, e->key, ms_of(e->at),
                         ms_of(e->at) + ms_of(e->dur), win->key, ms_of(win->at),
                         ms_of(win->at) + ms_of(win->dur), win->line);
        win = e;
    }
    return 0;
}

static int top_rule(const void *base, const SC *s, struct scnk_fail *f)
{
    (void)base;
    struct span v[SCN_MAX_EVENTS];
    size_t n = s->device.n_events < SCN_MAX_EVENTS ? s->device.n_events : SCN_MAX_EVENTS;
    for (size_t i = 0; i < n; i++) {
        const struct scn_dev_event *e = &s->device.events[i];
        bool win = e->kind == SCN_EV_STALL || e->kind == SCN_EV_HALT ||
                   e->kind == SCN_EV_DISCONNECT;
        v[i] = (struct span){e->at_ns, win ? e->dur_ns : 0, e->line, e->col,
                             devev_keys[ev_key[(unsigned)e->kind % N_EV_KINDS]].name};
    }
    if (spans_rule(v, n, s->duration_ns, "device event", f))
        return -1;
    n = s->consumer.n_events < SCN_MAX_EVENTS ? s->consumer.n_events : SCN_MAX_EVENTS;
    for (size_t i = 0; i < n; i++) {
        const struct scn_con_event *e = &s->consumer.events[i];
        v[i] = (struct span){e->at_ns, e->dur_ns, e->line, e->col, "stall_ms"};
    }
    if (spans_rule(v, n, s->duration_ns, "consumer event", f))
        return -1;
    uint64_t samples = scn_samples(s, NULL);
    if (samples > SCN_MAX_SAMPLES && !s->device.replay.file[0]) /* replay: sched_build counts */
        return scnk_failf(f, 0, 0, "the plan has %llu samples (duration_ms / period_us, plus "
                          "burst packets); allowed: at most %u", (unsigned long long)samples,
                          SCN_MAX_SAMPLES);
    return 0;
}

static const struct scnk_key top_keys[] = {
    {.name = "name", .type = SCNK_T_STR, .flags = SCNK_REQ | SCNK_NAME, .lo = 1, .hi = SCN_MAX_NAME,
     FLD(SC, name)},
    {.name = "seed", .type = SCNK_T_UINT, .hi = UINT64_MAX, FLD(SC, seed)},
    {.name = "duration_ms", .type = SCNK_T_TIME, .flags = SCNK_REQ, .lo = 1, .hi = 3600000,
     .unit = SCNK_MS, FLD(SC, duration_ns)},
    {.name = "device", .type = SCNK_T_MAP, .sub = &device_t},
    {.name = "transport", .type = SCNK_T_MAP, .sub = &transport_t},
    {.name = "consumer", .type = SCNK_T_MAP, .sub = &consumer_t},
    {.name = "expect", .type = SCNK_T_MAP, .sub = &expect_t},
};
const struct scnk_table scnk_top = {.what = "the top level", KEYS(top_keys), .rule = top_rule};

/* ---- a value as a file writes it ------------------------------------------------------------ */

static void fmt_double(double v, char *o, size_t n)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(o, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(o, n, "%.*g", prec, v);
        if (strtod(o, NULL) == v)
            return;
    }
}

/* A time in the key's unit, in scenario time: rate expectations are never scaled, times are
 * multiplied back by the time scale so the file describes the scenario as written. */
void scnk_format(const struct scnk_key *k, const char *p, double ts, char *o, size_t n)
{
    uint64_t v = k->type == SCNK_T_DOUBLE || k->type == SCNK_T_STR
                     ? 0
                     : scnk_get(p, k->type == SCNK_T_TIME ? 8 : k->size);
    switch (k->type) {
    case SCNK_T_UINT:
        snprintf(o, n, !(k->flags & SCNK_HEX) ? "%llu" : k->size == 1 ? "0x%02llx" : "0x%04llx",
                 (unsigned long long)v);
        break;
    case SCNK_T_TIME:
        snprintf(o, n, "%lld", (long long)llround((double)(int64_t)v * ts / (double)k->unit));
        break;
    case SCNK_T_DOUBLE: {
        double d;
        memcpy(&d, p, sizeof d);
        fmt_double(d, o, n);
        break;
    }
    case SCNK_T_ENUM: snprintf(o, n, "%s", scnk_name(k->names, k->nnames, (unsigned)v)); break;
    case SCNK_T_STR: {
        size_t len = 0;
        o[len++] = '"';
        for (size_t i = 0; i < k->size && p[i] && len + 3 < n; i++) {
            if (p[i] == '"' || p[i] == '\\')
                o[len++] = '\\';
            o[len++] = p[i];
        }
        o[len++] = '"';
        o[len] = 0;
        break;
    }
    default: o[0] = 0;
    }
}

/* ---- the keys, for documentation ------------------------------------------------------------ */

static void keys_walk(const struct scnk_table *t, const char *base, const char *prefix, int depth,
                      scn_key_fn fn, void *ctx)
{
    static const enum scn_key_type types[] = {
        [SCNK_T_UINT] = SCN_KEY_INT, [SCNK_T_TIME] = SCN_KEY_TIME, [SCNK_T_DOUBLE] = SCN_KEY_NUMBER,
        [SCNK_T_ENUM] = SCN_KEY_ENUM, [SCNK_T_STR] = SCN_KEY_TEXT, [SCNK_T_MAP] = SCN_KEY_MAP,
        [SCNK_T_LIST] = SCN_KEY_LIST, [SCNK_T_BYTES] = SCN_KEY_BYTES};
    static const char zero_item[sizeof(struct scn_iface)];
    _Static_assert(sizeof(struct scn_iface) >= sizeof(struct scn_dev_event) &&
                       sizeof(struct scn_iface) >= sizeof(struct scn_con_event) &&
                       sizeof(struct scn_iface) >= sizeof(struct scn_ctl),
                   "zero_item holds any list item");
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        struct scn_key_info info = {.name = k->name, .context = t->what, .type = types[k->type],
                                    .depth = depth, .required = (k->flags & SCNK_REQ) != 0,
                                    .conditional = t->need != NULL, .flow = t->flow, .lo = k->lo,
                                    .hi = k->hi, .dlo = k->dlo, .dhi = k->dhi, .names = k->names,
                                    .nnames = k->nnames};
        snprintf(info.path, sizeof info.path, "%s%s%s", prefix, *prefix ? "." : "", k->name);
        info.conditional = t->need && !info.required; /* SCNK_REQ: needed whatever the siblings */
        scnk_allowed(k, info.allowed, sizeof info.allowed);
        info.doc = k->doc;
        info.example = k->example;
        if (k->type != SCNK_T_MAP && k->type != SCNK_T_LIST && !info.required &&
            scnk_need_of(t, base, i) == SCNK_NEED_OPT && scnk_present(t, base, i))
            scnk_format(k, base + k->off, 1.0, info.deflt, sizeof info.deflt);
        fn(&info, ctx);
        if (k->type == SCNK_T_MAP) {
            keys_walk(k->sub, base + k->off, info.path, depth + 1, fn, ctx);
        } else if (k->type == SCNK_T_LIST) {
            char item[sizeof info.path + 2];
            snprintf(item, sizeof item, "%s[]", info.path);
            keys_walk(k->sub, zero_item, item, depth + 1, fn, ctx);
        }
    }
}

void scn_keys(scn_key_fn fn, void *ctx)
{
    SC d;
    scn_defaults(&d);
    keys_walk(&scnk_top, (const char *)&d, "", 0, fn, ctx);
}

const char *scn_dist_name(enum scn_dist_kind k) { return scnk_name(dist_names, SCN_DIST_COUNT, k); }
const char *scn_event_name(enum scn_dev_event_kind k)
{
    return scnk_name(event_names, SCN_EV_COUNT, k);
}
const char *scn_overflow_name(enum scn_overflow o)
{
    return scnk_name(ovf_names, SCN_OVF_COUNT, o);
}
const char *scn_doorbell_name(enum scn_doorbell d) { return scnk_name(db_names, SCN_DB_COUNT, d); }

const uint8_t *scn_bytes_of(const SC *s, const struct scn_bytes *b)
{
    if (!b->set || b->off > SCN_BYTES_POOL || b->len > SCN_BYTES_POOL - b->off)
        return NULL;
    return s->device.bytes + b->off;
}

int scn_bytes_add(SC *s, struct scn_bytes *b, const uint8_t *data, size_t n)
{
    if (s->device.n_bytes > SCN_BYTES_POOL || n > SCN_MAX_BYTES ||
        n > SCN_BYTES_POOL - s->device.n_bytes)
        return -1;
    b->off = s->device.n_bytes;
    b->len = (uint16_t)n;
    b->set = true;
    if (n)
        memcpy(s->device.bytes + b->off, data, n);
    s->device.n_bytes += (uint32_t)n;
    return 0;
}

uint8_t scn_stream_ep(const SC *s)
{
    if (!s->device.n_ifaces)
        return SCN_V1_STREAM_EP;
    return s->device.has_stream_endpoint ? s->device.stream_endpoint : scn_first_in(s);
}

const struct scn_ep *scn_find_ep(const SC *s, uint8_t addr, const struct scn_iface **iface)
{
    for (size_t i = 0; i < s->device.n_ifaces && i < SCN_MAX_IFACES; i++)
        for (size_t a = 0; a < s->device.ifaces[i].n_eps && a < SCN_MAX_EPS; a++)
            if (s->device.ifaces[i].eps[a].address == addr) {
                if (iface)
                    *iface = &s->device.ifaces[i];
                return &s->device.ifaces[i].eps[a];
            }
    return NULL;
}

static const char *const str_what[SCN_STR_IFACE0] = {"manufacturer", "product", "serial",
                                                    "config name"};

/* "the product", "interface entry 2's name". */
static void str_role(size_t i, char *out, size_t cap)
{
    if (i < SCN_STR_IFACE0)
        snprintf(out, cap, "the %s", str_what[i]);
    else
        snprintf(out, cap, "interface entry %zu's name", i - SCN_STR_IFACE0 + 1);
}

int scn_strings(const SC *s, struct scn_strings *out, char err[SCN_ERR_MAX])
{
    const char *const *what = str_what;
    memset(out, 0, sizeof *out);
    snprintf(out->text[SCN_STR_MANUFACTURER], sizeof out->text[0], "%s",
             s->device.has_manufacturer ? s->device.manufacturer : "usbsim");
    if (s->device.has_product)
        snprintf(out->text[SCN_STR_PRODUCT], sizeof out->text[0], "%s", s->device.product);
    else
        snprintf(out->text[SCN_STR_PRODUCT], sizeof out->text[0], "usbsim %.60s",
                 s->name[0] ? s->name : "device");
    if (s->device.has_serial)
        snprintf(out->text[SCN_STR_SERIAL], sizeof out->text[0], "%s", s->device.serial);
    else
        snprintf(out->text[SCN_STR_SERIAL], sizeof out->text[0], "%016llX",
                 (unsigned long long)s->seed);
    snprintf(out->text[SCN_STR_CONFIG], sizeof out->text[0], "%s", s->device.config_name);
    size_t n = SCN_STR_IFACE0;
    for (size_t k = 0; k < s->device.n_ifaces && k < SCN_MAX_IFACES; k++, n++)
        snprintf(out->text[n], sizeof out->text[0], "%s", s->device.ifaces[k].name);
    /* Explicit indexes first, then the defaults. */
    bool given[SCN_N_STRS] = {0};
    uint8_t want[SCN_N_STRS] = {0};
    const bool has[SCN_STR_IFACE0] = {s->device.has_manufacturer_index, s->device.has_product_index,
                                      s->device.has_serial_index, s->device.has_config_name_index};
    const uint8_t idx[SCN_STR_IFACE0] = {s->device.manufacturer_index, s->device.product_index,
                                         s->device.serial_index, s->device.config_name_index};
    for (size_t i = 0; i < n; i++) {
        given[i] = i < SCN_STR_IFACE0 ? has[i] : s->device.ifaces[i - SCN_STR_IFACE0].has_name_index;
        want[i] = i < SCN_STR_IFACE0 ? idx[i] : s->device.ifaces[i - SCN_STR_IFACE0].name_index;
        if (given[i] && !out->text[i][0]) {
            if (i < SCN_STR_IFACE0)
                snprintf(err, SCN_ERR_MAX, "%s_index: %u given to an empty %s; allowed: an "
                         "index only for a string that has a text", i == SCN_STR_CONFIG ?
                         "config name" : what[i], want[i], what[i]);
            else
                snprintf(err, SCN_ERR_MAX, "name_index: %u given to interface entry %zu, which "
                         "has no name; allowed: an index only with a name", want[i],
                         i - SCN_STR_IFACE0 + 1);
            return -1;
        }
        if (given[i])
            out->index[i] = want[i];
        else if (i < SCN_STR_CONFIG && out->text[i][0])
            out->index[i] = (uint8_t)(i + 1);
    }
    for (size_t i = SCN_STR_CONFIG; i < n; i++) {
        if (given[i] || !out->text[i][0])
            continue;
        for (unsigned c = 4; c <= 255 && !out->index[i]; c++) {
            bool used = false;
            for (size_t j = 0; j < n && !used; j++)
                used = out->index[j] == c;
            if (!used)
                out->index[i] = (uint8_t)c;
        }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (out->index[i] && out->index[i] == out->index[j] &&
                strcmp(out->text[i], out->text[j]) != 0) {
                char a[48], b[48];
                str_role(i, a, sizeof a);
                str_role(j, b, sizeof b);
                snprintf(err, SCN_ERR_MAX, "string index %u is both %s (\"%.40s\") and %s "
                         "(\"%.40s\"); allowed: one text per index (strings with the same text "
                         "may share one)", out->index[i], a, out->text[i], b, out->text[j]);
                return -1;
            }
    return 0;
}

/* scenario — see scenario.h.
 *
 * The schema is data: one table of keys per mapping (name, type, range, unit, where the value is
 * stored, which flag says it is present). The same tables drive the four walks over a scenario:
 * parsing (libyaml events, one pass, first error wins), checking a struct built in code,
 * scaling time and writing YAML back. A table may add a `need` function (which keys a mapping
 * needs or forbids given what it holds, e.g. the parameter of a distribution), a `kind` function
 * (derives an event's kind from the keys written) and a `rule` (a cross-field rule).
 *
 * Safety: the file is scanned for tabs and its size bounded before libyaml sees it; anchors,
 * aliases and tags are refused at the first event that carries one, so no alias is ever expanded
 * (no "billion laughs"); the schema bounds nesting, so the walk's recursion is at most 4 deep.
 */
#include "sim/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define MS 1000000LL
#define US 1000LL
#define MAX_KEYS 16
#define SHOW_MAX 40

typedef struct scn_scenario SC;

_Static_assert(sizeof(enum scn_dist_kind) == sizeof(uint32_t), "enums are stored as 32 bits");
_Static_assert(sizeof(enum scn_overflow) == sizeof(uint32_t), "enums are stored as 32 bits");

enum kt { KT_UINT, KT_TIME, KT_DOUBLE, KT_ENUM, KT_STR, KT_MAP, KT_LIST };
/* K_REQ: always required (in a table with a need function, that function decides and the flag
 * only documents it). */
enum { K_REQ = 1, K_HEX = 2, K_POW2 = 4, K_NAME = 8 };
enum need { NEED_NO, NEED_OPT, NEED_REQ };

struct table;

struct key {
    const char *name;
    enum kt type;
    unsigned flags;
    uint64_t lo, hi;         /* UINT, TIME (in the key's unit), STR (length), LIST (count) */
    double dlo, dhi;         /* DOUBLE */
    int64_t unit;            /* TIME: ns per unit of the key */
    const char *const *names; /* ENUM: value i is names[i] (NULL: not writable) */
    int nnames;
    size_t off, size;        /* the field, from the table's base; MAP: the sub-table's base */
    size_t has;              /* 1 + offset of the bool saying the key is present; 0: none */
    const struct table *sub; /* MAP, LIST items */
    size_t count_off, item_size, lc; /* LIST: count (size_t), item stride, item's line/col */
};

struct seen {
    bool on;
    yaml_mark_t key;
};

/* An error: message, and where (line 0: the caller's default place). */
struct fail {
    char msg[SCN_ERR_MAX];
    int line, col;
};

struct table {
    const char *what;
    const struct key *keys;
    int n;
    bool flow; /* written as {k: v, ...} */
    enum need (*need)(const void *base, int i);
    const char *(*ctx)(const void *base);
    int (*kind)(void *base, const struct seen *seen, yaml_mark_t map, struct fail *f);
    int (*rule)(const void *base, const SC *s, struct fail *f);
};

#define AT(m) (int)(m).line + 1, (int)(m).column + 1
#define FLD(T, fld) .off = offsetof(T, fld), .size = sizeof(((T *)0)->fld)
#define HAS(T, fld) .has = offsetof(T, fld) + 1
#define NAMES(a) .names = a, .nnames = (int)(sizeof(a) / sizeof(a[0]))
#define KEYS(a) .keys = a, .n = (int)(sizeof(a) / sizeof(a[0]))

static const char *const dist_names[] = {"none", "uniform", "normal", "pareto"};
static const char *const ep_names[] = {"interrupt", "bulk"};
static const char *const mode_names[] = {"hold", "drop"};
static const char *const ovf_names[] = {"block", "drop-newest", "drop-oldest"};
static const char *const db_names[] = {"suppressed", "always"};
static const char *const verdict_names[] = {"pass", "fail"};
static const char *const order_names[] = {NULL, "strict"};
static const char *const event_names[] = {"stall", "burst", "halt", "disconnect", "corrupt"};

static int failf(struct fail *f, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int failf(struct fail *f, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    f->line = line;
    f->col = col;
    return -1;
}

static void put_u(void *p, size_t size, uint64_t v)
{
    uint8_t a = (uint8_t)v;
    uint16_t b = (uint16_t)v;
    uint32_t c = (uint32_t)v;
    memcpy(p, size == 1 ? (void *)&a : size == 2 ? (void *)&b : size == 4 ? (void *)&c : (void *)&v,
           size);
}

static uint64_t get_u(const void *p, size_t size)
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

static const char *name_of(const char *const *names, int n, unsigned v)
{
    return v < (unsigned)n && names[v] ? names[v] : "?";
}

/* ---- schema helpers ---------------------------------------------------------------------- */

static enum need need_of(const struct table *t, const void *base, int i)
{
    if (t->need)
        return t->need(base, i);
    return (t->keys[i].flags & K_REQ) ? NEED_REQ : NEED_OPT;
}

/* Is key i present in a struct (so it is checked, scaled and written)? */
static bool present(const struct table *t, const void *base, int i)
{
    const struct key *k = &t->keys[i];
    const char *b = base;
    if (need_of(t, base, i) == NEED_NO)
        return false;
    if (k->has)
        return get_u(b + k->has - 1, 1) != 0;
    if (k->type == KT_STR && !(k->flags & K_REQ))
        return b[k->off] != 0;
    return true;
}

enum list_mode { L_ALL, L_ALLOWED, L_REQ };

static void key_list(const struct table *t, const void *base, enum list_mode m, char *o, size_t n)
{
    size_t len = 0;
    o[0] = 0;
    for (int i = 0; i < t->n && len < n; i++) {
        enum need nd = m == L_ALL ? NEED_OPT : need_of(t, base, i);
        if ((m == L_ALLOWED && nd == NEED_NO) || (m == L_REQ && nd != NEED_REQ))
            continue;
        int w = snprintf(o + len, n - len, "%s%s", len ? ", " : "", t->keys[i].name);
        len += w > 0 ? (size_t)w : 0;
    }
}

static void names_list(const struct key *k, char *o, size_t n)
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
static void allowed(const struct key *k, char *o, size_t n)
{
    char l[256];
    switch (k->type) {
    case KT_UINT:
        snprintf(o, n, "%s %llu..%llu%s", (k->flags & K_POW2) ? "a power of two" : "an integer",
                 (unsigned long long)k->lo, (unsigned long long)k->hi,
                 (k->flags & K_HEX) ? " (decimal or 0x hex)" : "");
        break;
    case KT_TIME:
        snprintf(o, n, "an integer %llu..%llu (%s)", (unsigned long long)k->lo,
                 (unsigned long long)k->hi, k->unit == MS ? "ms" : "us");
        break;
    case KT_DOUBLE: snprintf(o, n, "a number %g..%g", k->dlo, k->dhi); break;
    case KT_ENUM:
        names_list(k, l, sizeof l);
        snprintf(o, n, "one of %s", l);
        break;
    case KT_STR:
        snprintf(o, n, "1..%llu %s", (unsigned long long)k->hi,
                 (k->flags & K_NAME) ? "characters of [A-Za-z0-9._-]" : "printable ASCII characters");
        break;
    case KT_MAP:
        key_list(k->sub, NULL, L_ALL, l, sizeof l);
        snprintf(o, n, "a mapping with keys %s", l);
        break;
    case KT_LIST:
        key_list(k->sub, NULL, L_ALL, l, sizeof l);
        snprintf(o, n, "a list of at most %llu mappings with keys %s", (unsigned long long)k->hi, l);
        break;
    }
}

static const char *ctx_of(const struct table *t, const void *base)
{
    return t->ctx ? t->ctx(base) : t->what;
}

/* ---- value rules shared by parsing and checking --------------------------------------------- */

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

static int check_uint(const struct key *k, uint64_t v, struct fail *f)
{
    char a[300];
    if (v >= k->lo && v <= k->hi && (!(k->flags & K_POW2) || is_pow2(v)))
        return 0;
    allowed(k, a, sizeof a);
    return failf(f, 0, 0, "%s: %llu is %s; allowed: %s", k->name, (unsigned long long)v,
                 (v < k->lo || v > k->hi) ? "out of range" : "not a power of two", a);
}

static int check_double(const struct key *k, double v, struct fail *f)
{
    char a[300];
    if (isfinite(v) && v >= k->dlo && v <= k->dhi)
        return 0;
    allowed(k, a, sizeof a);
    return failf(f, 0, 0, "%s: %g is out of range; allowed: %s", k->name, v, a);
}

static int check_str(const struct key *k, const char *t, size_t n, struct fail *f)
{
    char a[300];
    const char *bad = NULL;
    for (size_t i = 0; i < n && !bad; i++) {
        unsigned char ch = (unsigned char)t[i];
        bool ok = (k->flags & K_NAME) ? (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
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
    allowed(k, a, sizeof a);
    return failf(f, 0, 0, "%s: the text (%zu characters) %s; allowed: %s", k->name, n, bad, a);
}

/* The range of a time key, in ns, at time scale ts (rounding may move a bound by 1 ns). */
static void time_range(const struct key *k, double ts, int64_t *lo, int64_t *hi)
{
    double l = (double)k->lo * (double)k->unit / ts, h = (double)k->hi * (double)k->unit / ts;
    *lo = (int64_t)floor(l);
    if (k->lo > 0 && *lo < 1)
        *lo = 1;
    *hi = h > 9e18 ? INT64_MAX : (int64_t)ceil(h);
}

static int check_time(const struct key *k, int64_t v, double ts, struct fail *f)
{
    int64_t lo, hi;
    time_range(k, ts, &lo, &hi);
    if (v < lo || v > hi)
        return failf(f, 0, 0, "%s: %lld ns is out of range at time scale %g; allowed: %lld..%lld ns",
                     k->name, (long long)v, ts, (long long)lo, (long long)hi);
    if (ts == 1.0 && v % k->unit)
        return failf(f, 0, 0, "%s: %lld ns is not a whole number of %s; allowed: multiples of %lld ns",
                     k->name, (long long)v, k->unit == MS ? "ms" : "us", (long long)k->unit);
    return 0;
}

/* The value of a present key in a struct built in code. */
static int check_field(const struct key *k, const char *p, double ts, struct fail *f)
{
    switch (k->type) {
    case KT_UINT: return check_uint(k, get_u(p, k->size), f);
    case KT_TIME: return check_time(k, (int64_t)get_u(p, 8), ts, f);
    case KT_DOUBLE: {
        double d;
        memcpy(&d, p, sizeof d);
        return check_double(k, d, f);
    }
    case KT_ENUM: {
        uint64_t v = get_u(p, k->size);
        if (v < (uint64_t)k->nnames && k->names[v])
            return 0;
        char a[300];
        allowed(k, a, sizeof a);
        return failf(f, 0, 0, "%s: value %llu has no name; allowed: %s", k->name,
                     (unsigned long long)v, a);
    }
    case KT_STR: {
        size_t n = strnlen(p, k->size);
        if (n == k->size)
            return failf(f, 0, 0, "%s: the text is not terminated; allowed: at most %zu bytes",
                         k->name, k->size - 1);
        return check_str(k, p, n, f);
    }
    default: return 0;
    }
}

/* A key that is absent or does not apply must hold 0 (what a load would give), unless a key
 * that applies shares its field. */
static int check_zero(const struct table *t, const void *base, int i, struct fail *f)
{
    const struct key *k = &t->keys[i];
    const char *p = (const char *)base + k->off;
    for (int j = 0; j < t->n; j++)
        if (j != i && t->keys[j].off == k->off && present(t, base, j))
            return 0;
    for (size_t b = 0; b < k->size; b++)
        if (p[b])
            return failf(f, 0, 0, "%s is set but is absent or does not apply to %s; allowed: 0",
                         k->name, ctx_of(t, base));
    return 0;
}

static int locate(struct fail *f, int line, int col)
{
    if (f->line == 0) {
        f->line = line;
        f->col = col;
    }
    return -1;
}

static int check_map(const struct table *t, const void *base, const SC *s, struct fail *f, int line,
                     int col);

static int check_list(const struct key *k, const char *base, const SC *s, struct fail *f, int line,
                      int col)
{
    size_t n = (size_t)get_u(base + k->count_off, sizeof(size_t));
    if (n > k->hi)
        return failf(f, line, col, "%s: %zu items; allowed: at most %llu", k->name, n,
                     (unsigned long long)k->hi);
    for (size_t i = 0; i < n; i++) {
        const char *item = base + k->off + i * k->item_size;
        int lc[2];
        memcpy(lc, item + k->lc, sizeof lc);
        if (check_map(k->sub, item, s, f, lc[0] > 0 ? lc[0] : line, lc[0] > 0 ? lc[1] : col))
            return -1;
    }
    return 0;
}

static int check_map(const struct table *t, const void *base, const SC *s, struct fail *f, int line,
                     int col)
{
    for (int i = 0; i < t->n; i++) {
        const struct key *k = &t->keys[i];
        const char *p = (const char *)base + k->off;
        int rc;
        if (k->type == KT_MAP)
            rc = check_map(k->sub, p, s, f, line, col);
        else if (k->type == KT_LIST)
            rc = check_list(k, base, s, f, line, col);
        else if (present(t, base, i))
            rc = check_field(k, p, s->time_scale, f);
        else
            rc = check_zero(t, base, i, f);
        if (rc)
            return locate(f, line, col);
    }
    if (t->rule && t->rule(base, s, f))
        return locate(f, line, col);
    return 0;
}

/* ---- tables ------------------------------------------------------------------------------------ */

enum { DIST_KIND, DIST_MAX, DIST_STDDEV, DIST_SCALE, DIST_ALPHA };

static enum need dist_need(const void *base, int i)
{
    static const enum scn_dist_kind owner[] = {
        [DIST_MAX] = SCN_DIST_UNIFORM, [DIST_STDDEV] = SCN_DIST_NORMAL,
        [DIST_SCALE] = SCN_DIST_PARETO, [DIST_ALPHA] = SCN_DIST_PARETO};
    const struct scn_dist *d = base;
    if (i == DIST_KIND)
        return NEED_REQ;
    return d->kind == owner[i] ? NEED_REQ : NEED_NO;
}

static const char *dist_ctx(const void *base)
{
    static const char *const w[] = {"distribution none", "distribution uniform",
                                    "distribution normal", "distribution pareto"};
    return name_of(w, 4, ((const struct scn_dist *)base)->kind);
}

#define DIST_TIME(nm, fld) \
    {.name = nm, .type = KT_TIME, .lo = 1, .hi = 10000000, .unit = US, FLD(struct scn_dist, fld)}
static const struct key dist_keys[] = {
    [DIST_KIND] = {.name = "distribution", .type = KT_ENUM, .flags = K_REQ, NAMES(dist_names),
                   FLD(struct scn_dist, kind)},
    [DIST_MAX] = DIST_TIME("max_us", max_ns),
    [DIST_STDDEV] = DIST_TIME("stddev_us", stddev_ns),
    [DIST_SCALE] = DIST_TIME("scale_us", scale_ns),
    [DIST_ALPHA] = {.name = "alpha", .type = KT_DOUBLE, .dlo = 0.5, .dhi = 10,
                    FLD(struct scn_dist, alpha)},
};
static const struct table dist_t = {.what = "distribution", KEYS(dist_keys), .flow = true,
                                    .need = dist_need, .ctx = dist_ctx};

enum { EV_AT, EV_STALL, EV_MODE, EV_BURST, EV_HALT, EV_DISC, EV_CORRUPT };
static const int ev_key[] = {[SCN_EV_STALL] = EV_STALL, [SCN_EV_BURST] = EV_BURST,
                             [SCN_EV_HALT] = EV_HALT, [SCN_EV_DISCONNECT] = EV_DISC,
                             [SCN_EV_CORRUPT] = EV_CORRUPT};
#define N_EV_KINDS 5

static enum need devev_need(const void *base, int i)
{
    const struct scn_dev_event *ev = base;
    if (i == EV_AT)
        return NEED_REQ;
    if (i == EV_MODE)
        return ev->kind == SCN_EV_STALL ? NEED_OPT : NEED_NO;
    return (unsigned)ev->kind < N_EV_KINDS && ev_key[ev->kind] == i ? NEED_REQ : NEED_NO;
}

static const char *devev_ctx(const void *base)
{
    static const char *const w[] = {"a stall event", "a burst event", "a halt event",
                                    "a disconnect event", "a corrupt event"};
    return name_of(w, N_EV_KINDS, ((const struct scn_dev_event *)base)->kind);
}

static const struct key devev_keys[];

/* An event's kind is the one kind key it has. */
static int devev_kind(void *base, const struct seen *seen, yaml_mark_t map, struct fail *f)
{
    struct scn_dev_event *ev = base;
    int found = -1;
    for (int k = 0; k < N_EV_KINDS; k++) {
        const struct seen *b = &seen[ev_key[k]];
        if (!b->on)
            continue;
        if (found >= 0) {
            const struct seen *a = &seen[ev_key[found]];
            int first = a->key.index < b->key.index ? ev_key[found] : ev_key[k];
            int second = first == ev_key[k] ? ev_key[found] : ev_key[k];
            return failf(f, AT(seen[second].key),
                         "%s and %s in one event; allowed: exactly one of stall_ms, burst, "
                         "halt_ms, disconnect_ms, corrupt",
                         devev_keys[first].name, devev_keys[second].name);
        }
        found = k;
    }
    if (found < 0)
        return failf(f, AT(map),
                     "device event has none of stall_ms, burst, halt_ms, disconnect_ms, corrupt; "
                     "allowed: at_ms with exactly one of them");
    ev->kind = (enum scn_dev_event_kind)found;
    return 0;
}

static int devev_rule(const void *base, const SC *s, struct fail *f)
{
    (void)s;
    const struct scn_dev_event *ev = base;
    if ((unsigned)ev->kind >= N_EV_KINDS)
        return failf(f, 0, 0, "device event kind %u is unknown; allowed: stall, burst, halt, "
                              "disconnect, corrupt", (unsigned)ev->kind);
    return 0;
}

#define EV_TIME(nm, T, fld, lo_) \
    {.name = nm, .type = KT_TIME, .lo = lo_, .hi = 3600000, .unit = MS, FLD(T, fld)}
#define EV_COUNT(nm) \
    {.name = nm, .type = KT_UINT, .lo = 1, .hi = 65536, FLD(struct scn_dev_event, count)}
static const struct key devev_keys[] = {
    [EV_AT] = {.name = "at_ms", .type = KT_TIME, .flags = K_REQ, .hi = 3600000, .unit = MS,
               FLD(struct scn_dev_event, at_ns)},
    [EV_STALL] = EV_TIME("stall_ms", struct scn_dev_event, dur_ns, 1),
    [EV_MODE] = {.name = "mode", .type = KT_ENUM, NAMES(mode_names),
                 FLD(struct scn_dev_event, mode)},
    [EV_BURST] = EV_COUNT("burst"),
    [EV_HALT] = EV_TIME("halt_ms", struct scn_dev_event, dur_ns, 1),
    [EV_DISC] = EV_TIME("disconnect_ms", struct scn_dev_event, dur_ns, 1),
    [EV_CORRUPT] = EV_COUNT("corrupt"),
};
static const struct table devev_t = {.what = "device event", KEYS(devev_keys), .flow = true,
                                     .need = devev_need, .ctx = devev_ctx, .kind = devev_kind,
                                     .rule = devev_rule};

static const struct key conev_keys[] = {
    {.name = "at_ms", .type = KT_TIME, .flags = K_REQ, .lo = 0, .hi = 3600000, .unit = MS,
     FLD(struct scn_con_event, at_ns)},
    {.name = "stall_ms", .type = KT_TIME, .flags = K_REQ, .lo = 1, .hi = 3600000, .unit = MS,
     FLD(struct scn_con_event, dur_ns)},
};
static const struct table conev_t = {.what = "consumer event", KEYS(conev_keys), .flow = true};

#define LIST(T, arr, cnt, item) \
    .type = KT_LIST, .hi = SCN_MAX_EVENTS, .off = offsetof(T, arr), .count_off = offsetof(T, cnt), \
    .item_size = sizeof(item), .lc = offsetof(item, line)
_Static_assert(offsetof(struct scn_dev_event, col) == offsetof(struct scn_dev_event, line) + sizeof(int),
               "line, col adjacent");
_Static_assert(offsetof(struct scn_con_event, col) == offsetof(struct scn_con_event, line) + sizeof(int),
               "line, col adjacent");

static const struct key device_keys[] = {
    {.name = "vid", .type = KT_UINT, .flags = K_HEX, .hi = 0xffff, FLD(SC, device.vid)},
    {.name = "pid", .type = KT_UINT, .flags = K_HEX, .hi = 0xffff, FLD(SC, device.pid)},
    {.name = "packet_size", .type = KT_UINT, .lo = 32, .hi = 1024, FLD(SC, device.packet_size)},
    {.name = "period_us", .type = KT_TIME, .lo = 100, .hi = 10000000, .unit = US,
     FLD(SC, device.period_ns)},
    {.name = "endpoint", .type = KT_ENUM, NAMES(ep_names), FLD(SC, device.endpoint)},
    {.name = "fifo_packets", .type = KT_UINT, .lo = 1, .hi = 65536, FLD(SC, device.fifo_packets)},
    {.name = "jitter", .type = KT_MAP, .sub = &dist_t, .off = offsetof(SC, device.jitter)},
    {.name = "events", .sub = &devev_t,
     LIST(SC, device.events, device.n_events, struct scn_dev_event)},
};
static const struct table device_t = {.what = "device", KEYS(device_keys)};

static const struct key transport_keys[] = {
    {.name = "ring_slots", .type = KT_UINT, .flags = K_POW2, .lo = 8, .hi = 1048576,
     FLD(SC, transport.ring_slots)},
    {.name = "overflow", .type = KT_ENUM, NAMES(ovf_names), FLD(SC, transport.overflow)},
    {.name = "doorbell", .type = KT_ENUM, NAMES(db_names), FLD(SC, transport.doorbell)},
};
static const struct table transport_t = {.what = "transport", KEYS(transport_keys)};

static const struct key consumer_keys[] = {
    {.name = "batch_max", .type = KT_UINT, .lo = 1, .hi = 65536, FLD(SC, consumer.batch_max)},
    {.name = "work_us", .type = KT_MAP, .sub = &dist_t, .off = offsetof(SC, consumer.work)},
    {.name = "events", .sub = &conev_t,
     LIST(SC, consumer.events, consumer.n_events, struct scn_con_event)},
};
static const struct table consumer_t = {.what = "consumer", KEYS(consumer_keys)};

static int rate_rule(const void *base, const SC *s, struct fail *f)
{
    (void)base;
    const struct scn_expect *e = &s->expect;
    if (e->has_rate_min && e->has_rate_max && e->rate_min_hz > e->rate_max_hz)
        return failf(f, 0, 0, "rate_hz: min %g is greater than max %g; allowed: min <= max",
                     e->rate_min_hz, e->rate_max_hz);
    return 0;
}

static int latency_rule(const void *base, const SC *s, struct fail *f)
{
    (void)base;
    const struct scn_expect *e = &s->expect;
    if (e->has_latency_p99_max && e->has_latency_max && e->latency_p99_max_ns > e->latency_max_ns)
        return failf(f, 0, 0, "latency_ms: p99_max %g ms is greater than max %g ms; allowed: "
                              "p99_max <= max",
                     (double)e->latency_p99_max_ns / MS, (double)e->latency_max_ns / MS);
    return 0;
}

static int expect_rule(const void *base, const SC *s, struct fail *f)
{
    (void)base;
    if (s->expect.failure[0] && s->expect.verdict != SCN_VERDICT_FAIL)
        return failf(f, 0, 0, "failure: given while verdict is pass; allowed: failure only with "
                              "verdict: fail");
    return 0;
}

#define EXP_TIME(nm, fld, hfld) \
    {.name = nm, .type = KT_TIME, .lo = 1, .hi = 3600000, .unit = MS, FLD(SC, expect.fld), \
     HAS(SC, expect.hfld)}
static const struct key rate_keys[] = {
    {.name = "min", .type = KT_DOUBLE, .dhi = 1e6, FLD(SC, expect.rate_min_hz),
     HAS(SC, expect.has_rate_min)},
    {.name = "max", .type = KT_DOUBLE, .dhi = 1e6, FLD(SC, expect.rate_max_hz),
     HAS(SC, expect.has_rate_max)},
};
static const struct table rate_t = {.what = "rate_hz", KEYS(rate_keys), .flow = true,
                                    .rule = rate_rule};
static const struct key latency_keys[] = {
    EXP_TIME("p99_max", latency_p99_max_ns, has_latency_p99_max),
    EXP_TIME("max", latency_max_ns, has_latency_max),
};
static const struct table latency_t = {.what = "latency_ms", KEYS(latency_keys), .flow = true,
                                       .rule = latency_rule};

static const struct key expect_keys[] = {
    {.name = "delivered_min_ratio", .type = KT_DOUBLE, .dhi = 1,
     FLD(SC, expect.delivered_min_ratio), HAS(SC, expect.has_delivered_min_ratio)},
    {.name = "lost_max", .type = KT_UINT, .hi = UINT64_MAX, FLD(SC, expect.lost_max),
     HAS(SC, expect.has_lost_max)},
    {.name = "order", .type = KT_ENUM, NAMES(order_names), FLD(SC, expect.order_strict),
     HAS(SC, expect.order_strict)},
    {.name = "rate_hz", .type = KT_MAP, .sub = &rate_t},
    {.name = "latency_ms", .type = KT_MAP, .sub = &latency_t},
    {.name = "backlog_max", .type = KT_UINT, .hi = 1048576, FLD(SC, expect.backlog_max),
     HAS(SC, expect.has_backlog_max)},
    EXP_TIME("drain_ms_max", drain_max_ns, has_drain_max),
    {.name = "verdict", .type = KT_ENUM, NAMES(verdict_names), FLD(SC, expect.verdict)},
    {.name = "failure", .type = KT_STR, .lo = 1, .hi = 127, FLD(SC, expect.failure)},
};
static const struct table expect_t = {.what = "expect", KEYS(expect_keys), .rule = expect_rule};

/* One event list in time order, inside the run, its windows disjoint. */
struct span {
    int64_t at, dur; /* dur 0: not a window */
    int line, col;
    const char *key;
};

static double ms_of(int64_t ns) { return (double)ns / MS; }

static int spans_rule(const struct span *v, size_t n, int64_t duration, const char *list,
                      struct fail *f)
{
    const struct span *win = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct span *e = &v[i];
        if (e->at < 0 || e->at >= duration)
            return failf(f, e->line, e->col, "%s: at_ms %.10g is outside the run; allowed: 0 <= "
                         "at_ms < duration_ms (%.10g)", list, ms_of(e->at), ms_of(duration));
        if (i && e->at < v[i - 1].at)
            return failf(f, e->line, e->col, "%s: at_ms %.10g comes before at_ms %.10g of the "
                         "event at line %d; allowed: events in time order", list, ms_of(e->at),
                         ms_of(v[i - 1].at), v[i - 1].line);
        if (!e->dur)
            continue;
        if (win && e->at - win->at < win->dur)
            return failf(f, e->line, e->col, "%s: %s window [%.10g, %.10g) ms overlaps the %s "
                         "window [%.10g, %.10g) ms of the event at line %d; allowed: stall, halt "
                         "and disconnect windows that do not overlap", list, e->key, ms_of(e->at),
                         ms_of(e->at) + ms_of(e->dur), win->key, ms_of(win->at),
                         ms_of(win->at) + ms_of(win->dur), win->line);
        win = e;
    }
    return 0;
}

static int top_rule(const void *base, const SC *s, struct fail *f)
{
    (void)base;
    struct span v[SCN_MAX_EVENTS];
    size_t n = s->device.n_events < SCN_MAX_EVENTS ? s->device.n_events : SCN_MAX_EVENTS;
    for (size_t i = 0; i < n; i++) {
        const struct scn_dev_event *e = &s->device.events[i];
        bool win = e->kind == SCN_EV_STALL || e->kind == SCN_EV_HALT || e->kind == SCN_EV_DISCONNECT;
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
    return spans_rule(v, n, s->duration_ns, "consumer event", f);
}

static const struct key top_keys[] = {
    {.name = "name", .type = KT_STR, .flags = K_REQ | K_NAME, .lo = 1, .hi = SCN_MAX_NAME,
     FLD(SC, name)},
    {.name = "seed", .type = KT_UINT, .hi = UINT64_MAX, FLD(SC, seed)},
    {.name = "duration_ms", .type = KT_TIME, .flags = K_REQ, .lo = 1, .hi = 3600000, .unit = MS,
     FLD(SC, duration_ns)},
    {.name = "device", .type = KT_MAP, .sub = &device_t},
    {.name = "transport", .type = KT_MAP, .sub = &transport_t},
    {.name = "consumer", .type = KT_MAP, .sub = &consumer_t},
    {.name = "expect", .type = KT_MAP, .sub = &expect_t},
};
static const struct table top_t = {.what = "the top level", KEYS(top_keys), .rule = top_rule};

/* ---- parsing ----------------------------------------------------------------------------------- */

struct ctx {
    yaml_parser_t p;
    const SC *s;
    yaml_event_t ev;
    bool have;
    const char *buf;
    size_t len;
    struct fail f;
};

/* 1-based line and column (in characters) of byte offset off. */
static void pos_at(const char *buf, size_t len, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\n' || (ch == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
            ++*line;
            *col = 1;
        } else if ((ch & 0xc0) != 0x80 && ch != '\r') {
            ++*col;
        }
    }
}

static const char *show(const yaml_event_t *e, char out[SHOW_MAX + 4])
{
    size_t n = e->data.scalar.length;
    snprintf(out, SHOW_MAX + 4, "%.*s%s", (int)(n > SHOW_MAX ? SHOW_MAX : n),
             (const char *)e->data.scalar.value, n > SHOW_MAX ? "..." : "");
    return out;
}

static const char *node_kind(const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_SCALAR_EVENT: return e->data.scalar.length ? "a single value" : "an empty value";
    case YAML_SEQUENCE_START_EVENT: return "a list";
    case YAML_MAPPING_START_EVENT: return "a mapping";
    default: return "nothing";
    }
}

static int syntax_error(struct ctx *c)
{
    yaml_parser_t *p = &c->p;
    int line, col;
    if (p->error == YAML_READER_ERROR) {
        pos_at(c->buf, c->len, p->problem_offset, &line, &col);
    } else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
    }
    return failf(&c->f, line, col, "YAML syntax error: %s%s%s; allowed: valid YAML",
                 p->problem ? p->problem : "out of memory", p->context ? " " : "",
                 p->context ? p->context : "");
}

/* The next event; refuses anchors, aliases and tags where they appear. */
static int next(struct ctx *c)
{
    if (c->have)
        yaml_event_delete(&c->ev);
    c->have = false;
    if (!yaml_parser_parse(&c->p, &c->ev))
        return syntax_error(c);
    c->have = true;
    const yaml_event_t *e = &c->ev;
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (e->type) {
    case YAML_ALIAS_EVENT:
        return failf(&c->f, AT(e->start_mark), "alias '*%.40s' is not supported; allowed: each "
                     "value written out (no anchors or aliases)", (const char *)e->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        anchor = e->data.scalar.anchor;
        tag = e->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = e->data.sequence_start.anchor;
        tag = e->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = e->data.mapping_start.anchor;
        tag = e->data.mapping_start.tag;
        break;
    default: break;
    }
    if (anchor)
        return failf(&c->f, AT(e->start_mark), "anchor '&%.40s' is not supported; allowed: each "
                     "value written out (no anchors or aliases)", (const char *)anchor);
    if (tag)
        return failf(&c->f, AT(e->start_mark), "tag '%.40s' is not supported; allowed: untagged "
                     "values", (const char *)tag);
    return 0;
}

static int value_error(struct ctx *c, const struct key *k, const char *what)
{
    char a[300];
    allowed(k, a, sizeof a);
    return failf(&c->f, AT(c->ev.start_mark), "%s: %s; allowed: %s", k->name, what, a);
}

enum { NUM_OK, NUM_NOT, NUM_HEX, NUM_ZERO, NUM_RANGE };

static int parse_uint(const char *t, size_t n, bool hex_ok, uint64_t *v)
{
    size_t i = 0;
    bool neg = false;
    unsigned base = 10;
    if (n && (t[0] == '+' || t[0] == '-')) {
        neg = t[0] == '-';
        i = 1;
    }
    if (n - i > 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X')) {
        if (!hex_ok)
            return NUM_HEX;
        if (i)
            return NUM_NOT;
        base = 16;
        i += 2;
    }
    if (i == n)
        return NUM_NOT;
    if (base == 10 && n - i > 1 && t[i] == '0')
        return NUM_ZERO;
    bool big = false;
    for (*v = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        unsigned d = ch >= '0' && ch <= '9' ? ch - (unsigned)'0'
                     : base == 16 && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10u
                     : base == 16 && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10u : 99u;
        if (d == 99u)
            return NUM_NOT;
        if (*v > (UINT64_MAX - d) / base)
            big = true;
        *v = *v * base + d;
    }
    return big || (neg && *v) ? NUM_RANGE : NUM_OK;
}

static bool parse_double(const char *t, size_t n, double *v)
{
    char b[64];
    if (n == 0 || n >= sizeof b || strspn(t, "0123456789.eE+-") < n)
        return false;
    memcpy(b, t, n);
    b[n] = 0;
    char *end;
    errno = 0;
    *v = strtod(b, &end);
    return end == b + n && isfinite(*v) && errno != ERANGE;
}

static int parse_number(struct ctx *c, const struct key *k, char *p)
{
    const yaml_event_t *e = &c->ev;
    const char *t = (const char *)e->data.scalar.value;
    size_t n = e->data.scalar.length;
    char sh[SHOW_MAX + 4], what[128];
    if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        snprintf(what, sizeof what, "'%s' is a quoted string, not a number", show(e, sh));
        return value_error(c, k, what);
    }
    if (k->type == KT_DOUBLE) {
        double d;
        if (!parse_double(t, n, &d)) {
            snprintf(what, sizeof what, "'%s' is not a number", show(e, sh));
            return value_error(c, k, what);
        }
        if (check_double(k, d, &c->f))
            return locate(&c->f, AT(e->start_mark));
        memcpy(p, &d, sizeof d);
        return 0;
    }
    uint64_t v = 0;
    static const char *const why[] = {
        [NUM_NOT] = "is not an integer", [NUM_HEX] = "is hex, allowed only for vid and pid",
        [NUM_ZERO] = "has a leading zero", [NUM_RANGE] = "is out of range"};
    int rc = parse_uint(t, n, (k->flags & K_HEX) != 0, &v);
    if (rc != NUM_OK) {
        snprintf(what, sizeof what, "'%s' %s", show(e, sh), why[rc]);
        return value_error(c, k, what);
    }
    if (check_uint(k, v, &c->f))
        return locate(&c->f, AT(e->start_mark));
    put_u(p, k->type == KT_TIME ? 8 : k->size, k->type == KT_TIME ? v * (uint64_t)k->unit : v);
    return 0;
}

static int parse_scalar(struct ctx *c, const struct key *k, char *p)
{
    const yaml_event_t *e = &c->ev;
    const char *t = (const char *)e->data.scalar.value;
    size_t n = e->data.scalar.length;
    char sh[SHOW_MAX + 4], what[128];
    if (k->type == KT_ENUM) {
        for (int i = 0; i < k->nnames; i++) {
            if (k->names[i] && strlen(k->names[i]) == n && memcmp(k->names[i], t, n) == 0) {
                put_u(p, k->size, (uint64_t)i);
                return 0;
            }
        }
        snprintf(what, sizeof what, "'%s' is not a known value", show(e, sh));
        return value_error(c, k, what);
    }
    if (k->type == KT_STR) {
        if (check_str(k, t, n, &c->f))
            return locate(&c->f, AT(e->start_mark));
        memcpy(p, t, n);
        p[n] = 0;
        return 0;
    }
    return parse_number(c, k, p);
}

static int parse_map(struct ctx *c, const struct table *t, void *base, const char *what);

static int parse_list(struct ctx *c, const struct key *k, char *base)
{
    char a[300];
    size_t n = 0;
    for (;;) {
        if (next(c))
            return -1;
        const yaml_event_t *e = &c->ev;
        if (e->type == YAML_SEQUENCE_END_EVENT)
            return 0;
        allowed(k, a, sizeof a);
        if (e->type != YAML_MAPPING_START_EVENT)
            return failf(&c->f, AT(e->start_mark), "%s: an item is %s, not a mapping; allowed: %s",
                         k->name, node_kind(e), a);
        if (n >= k->hi)
            return failf(&c->f, AT(e->start_mark), "%s: more than %llu items; allowed: %s",
                         k->name, (unsigned long long)k->hi, a);
        char *item = base + k->off + n * k->item_size;
        int lc[2] = {AT(e->start_mark)};
        memcpy(item + k->lc, lc, sizeof lc);
        if (parse_map(c, k->sub, item, k->sub->what))
            return -1;
        put_u(base + k->count_off, sizeof(size_t), ++n);
    }
}

static int parse_value(struct ctx *c, const struct key *k, char *base)
{
    const yaml_event_t *e = &c->ev;
    char *p = base + k->off;
    yaml_event_type_t want = k->type == KT_MAP    ? YAML_MAPPING_START_EVENT
                             : k->type == KT_LIST ? YAML_SEQUENCE_START_EVENT
                                                  : YAML_SCALAR_EVENT;
    if (e->type != want) {
        char what[96];
        snprintf(what, sizeof what, "%s where %s is needed", node_kind(e),
                 want == YAML_MAPPING_START_EVENT ? "a mapping"
                 : want == YAML_SEQUENCE_START_EVENT ? "a list" : "a single value");
        return value_error(c, k, what);
    }
    int rc = k->type == KT_MAP ? parse_map(c, k->sub, p, k->name)
             : k->type == KT_LIST ? parse_list(c, k, base)
                                  : parse_scalar(c, k, p);
    if (rc == 0 && k->has)
        put_u(base + k->has - 1, 1, 1);
    return rc;
}

static int find_key(const struct table *t, const char *s, size_t n)
{
    for (int i = 0; i < t->n; i++)
        if (strlen(t->keys[i].name) == n && memcmp(t->keys[i].name, s, n) == 0)
            return i;
    return -1;
}

/* After a mapping: its kind, keys it needs or forbids, its cross-field rule. */
static int map_done(struct ctx *c, const struct table *t, void *base, const char *what,
                    const struct seen *seen, yaml_mark_t map)
{
    char l[256];
    if (t->kind && t->kind(base, seen, map, &c->f))
        return -1;
    for (int i = 0; i < t->n; i++) {
        enum need nd = need_of(t, base, i);
        if (seen[i].on && nd == NEED_NO) {
            key_list(t, base, L_ALLOWED, l, sizeof l);
            return failf(&c->f, AT(seen[i].key), "%s does not apply to %s; allowed: %s",
                         t->keys[i].name, ctx_of(t, base), l);
        }
        if (!seen[i].on && nd == NEED_REQ) {
            key_list(t, base, L_REQ, l, sizeof l);
            return failf(&c->f, AT(map), "missing required key '%s' in %s; required: %s",
                         t->keys[i].name, what, l);
        }
    }
    if (t->rule && t->rule(base, c->s, &c->f))
        return locate(&c->f, AT(map));
    return 0;
}

static int parse_map(struct ctx *c, const struct table *t, void *base, const char *what)
{
    struct seen seen[MAX_KEYS] = {{0}};
    yaml_mark_t map = c->ev.start_mark;
    char l[256], sh[SHOW_MAX + 4];
    for (;;) {
        if (next(c))
            return -1;
        const yaml_event_t *e = &c->ev;
        if (e->type == YAML_MAPPING_END_EVENT)
            break;
        key_list(t, NULL, L_ALL, l, sizeof l);
        if (e->type != YAML_SCALAR_EVENT)
            return failf(&c->f, AT(e->start_mark), "a key in %s is %s, not a name; allowed: %s",
                         what, node_kind(e), l);
        int i = find_key(t, (const char *)e->data.scalar.value, e->data.scalar.length);
        if (i < 0)
            return failf(&c->f, AT(e->start_mark), "unknown key '%s' in %s; allowed: %s",
                         show(e, sh), what, l);
        if (seen[i].on)
            return failf(&c->f, AT(e->start_mark), "duplicate key '%s' in %s (first at line %d); "
                         "allowed: each key once", t->keys[i].name, what, (int)seen[i].key.line + 1);
        seen[i] = (struct seen){true, e->start_mark};
        if (next(c) || parse_value(c, &t->keys[i], base))
            return -1;
    }
    return map_done(c, t, base, what, seen, map);
}

static const char *const top_allowed = "a mapping with at least name and duration_ms";

static int parse_doc(struct ctx *c, SC *s)
{
    if (next(c) || next(c)) /* stream start, then the document (or the end) */
        return -1;
    if (c->ev.type == YAML_STREAM_END_EVENT)
        return failf(&c->f, 1, 1, "the file is empty; allowed: %s", top_allowed);
    if (next(c))
        return -1;
    if (c->ev.type != YAML_MAPPING_START_EVENT)
        return failf(&c->f, AT(c->ev.start_mark), "the top level is %s; allowed: %s",
                     node_kind(&c->ev), top_allowed);
    if (parse_map(c, &top_t, s, top_t.what) || next(c) || next(c)) /* document end, stream end */
        return -1;
    if (c->ev.type != YAML_STREAM_END_EVENT)
        return failf(&c->f, AT(c->ev.start_mark), "a second YAML document; allowed: one document "
                     "per file");
    return 0;
}

static void report(char err[SCN_ERR_MAX], const char *file, const struct fail *f)
{
    int n = snprintf(err, SCN_ERR_MAX, "%s:%d:%d: ", file, f->line, f->col);
    size_t at = n < 0 ? 0 : (size_t)n < SCN_ERR_MAX ? (size_t)n : SCN_ERR_MAX - 1;
    size_t m = strnlen(f->msg, SCN_ERR_MAX - 1 - at);
    memcpy(err + at, f->msg, m);
    err[at + m] = 0;
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

static void set_file(SC *s, const char *name)
{
    size_t n = strnlen(name, sizeof s->file - 1);
    memcpy(s->file, name, n);
    s->file[n] = 0;
}

static int check_all(const SC *s, struct fail *f)
{
    if (!isfinite(s->time_scale) || s->time_scale <= 0)
        return failf(f, 1, 1, "time_scale %g; allowed: a finite number > 0", s->time_scale);
    return check_map(&top_t, s, s, f, 1, 1);
}

int scn_parse(const char *name, const char *buf, size_t len, SC *out, char err[SCN_ERR_MAX])
{
    struct ctx c = {.s = out, .buf = buf ? buf : "", .len = buf ? len : 0};
    const char *tab = memchr(c.buf, '\t', c.len);
    int rc = -1;
    name = name ? name : "(scenario)";
    scn_defaults(out);
    if (len > SCN_MAX_FILE_BYTES) {
        failf(&c.f, 1, 1, "the file is %zu bytes; allowed: at most %d bytes", len,
              SCN_MAX_FILE_BYTES);
    } else if (tab) {
        int line, col;
        pos_at(c.buf, c.len, (size_t)(tab - c.buf), &line, &col);
        failf(&c.f, line, col, "a tab character; allowed: spaces (YAML indents with spaces only)");
    } else if (!yaml_parser_initialize(&c.p)) {
        failf(&c.f, 1, 1, "out of memory; allowed: a smaller file");
    } else {
        yaml_parser_set_input_string(&c.p, (const unsigned char *)c.buf, c.len);
        yaml_parser_set_encoding(&c.p, YAML_UTF8_ENCODING);
        rc = parse_doc(&c, out);
        if (c.have)
            yaml_event_delete(&c.ev);
        yaml_parser_delete(&c.p);
        if (rc == 0) /* the parse applied every rule already; this keeps the two in step */
            rc = check_all(out, &c.f);
    }
    if (rc) {
        report(err, name, &c.f);
        scn_defaults(out);
        return -1;
    }
    set_file(out, name);
    return 0;
}

int scn_load(const char *path, SC *out, char err[SCN_ERR_MAX])
{
    struct stat st;
    const char *why = NULL;
    char *buf = NULL;
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (!(buf = malloc(SCN_MAX_FILE_BYTES + 1)))
        why = "out of memory";
    while (!why && len <= SCN_MAX_FILE_BYTES) {
        ssize_t r = read(fd, buf + len, SCN_MAX_FILE_BYTES + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            why = strerror(errno);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    if (fd >= 0)
        close(fd);
    int rc = -1;
    scn_defaults(out);
    if (why)
        snprintf(err, SCN_ERR_MAX, "%s:1:1: cannot read the file: %s; allowed: a readable "
                 "scenario file", path, why);
    else if (len > SCN_MAX_FILE_BYTES)
        snprintf(err, SCN_ERR_MAX, "%s:1:1: the file is over %d bytes; allowed: at most %d bytes",
                 path, SCN_MAX_FILE_BYTES, SCN_MAX_FILE_BYTES);
    else
        rc = scn_parse(path, buf, len, out, err);
    free(buf);
    return rc;
}

/* ---- defaults, check, scale ------------------------------------------------------------------- */

void scn_defaults(SC *s)
{
    memset(s, 0, sizeof *s);
    s->seed = 1;
    s->device.vid = 0x1209;
    s->device.pid = 0x0001;
    s->device.packet_size = 112;
    s->device.period_ns = 10000 * US;
    s->device.endpoint = SCN_EP_INTERRUPT;
    s->device.fifo_packets = 16;
    s->device.jitter.kind = SCN_DIST_NONE;
    s->transport.ring_slots = 256;
    s->transport.overflow = SCN_OVF_BLOCK;
    s->transport.doorbell = SCN_DB_SUPPRESSED;
    s->consumer.batch_max = 64;
    s->consumer.work.kind = SCN_DIST_NONE;
    s->expect.verdict = SCN_VERDICT_PASS;
    s->time_scale = 1.0;
}

/* Errors name s->file (or "(scenario)") and the event's line:col when known, else 1:1. */
int scn_check(const SC *s, char err[SCN_ERR_MAX])
{
    struct fail f = {{0}, 0, 0};
    if (check_all(s, &f) == 0)
        return 0;
    size_t n = strnlen(s->file, sizeof s->file);
    char file[sizeof s->file];
    memcpy(file, s->file, n);
    file[n] = 0;
    report(err, n ? file : "(scenario)", &f);
    return -1;
}

static int64_t scaled(int64_t t, double x, int64_t min)
{
    double v = nearbyint((double)t / x);
    int64_t r = v >= 9e18 ? INT64_MAX : (int64_t)v;
    return r < min ? min : r;
}

static void scale_map(const struct table *t, char *base, double x)
{
    for (int i = 0; i < t->n; i++) {
        const struct key *k = &t->keys[i];
        if (k->type == KT_MAP) {
            scale_map(k->sub, base + k->off, x);
        } else if (k->type == KT_LIST) {
            size_t n = (size_t)get_u(base + k->count_off, sizeof(size_t));
            for (size_t j = 0; j < n && j < k->hi; j++)
                scale_map(k->sub, base + k->off + j * k->item_size, x);
        } else if (k->type == KT_TIME && present(t, base, i)) {
            int64_t v = (int64_t)get_u(base + k->off, 8);
            put_u(base + k->off, 8, (uint64_t)scaled(v, x, k->lo ? 1 : 0));
        }
    }
}

/* Rounding must not break the rules: events stay inside the run, windows stay disjoint. */
static void fix_span(int64_t *at, int64_t *dur, int64_t duration, int64_t **win_at,
                     int64_t **win_dur)
{
    if (*at >= duration)
        *at = duration - 1;
    if (*dur <= 0)
        return;
    if (*win_at && **win_at + **win_dur > *at && *at > **win_at)
        **win_dur = *at - **win_at;
    *win_at = at;
    *win_dur = dur;
}

void scn_time_scale(SC *s, double x)
{
    if (!(x > 0) || !isfinite(x))
        return;
    scale_map(&top_t, (char *)s, x);
    int64_t *wa = NULL, *wd = NULL;
    for (size_t i = 0; i < s->device.n_events && i < SCN_MAX_EVENTS; i++) {
        struct scn_dev_event *e = &s->device.events[i];
        bool win = e->kind == SCN_EV_STALL || e->kind == SCN_EV_HALT || e->kind == SCN_EV_DISCONNECT;
        int64_t zero = 0;
        fix_span(&e->at_ns, win ? &e->dur_ns : &zero, s->duration_ns, &wa, &wd);
    }
    wa = wd = NULL;
    for (size_t i = 0; i < s->consumer.n_events && i < SCN_MAX_EVENTS; i++)
        fix_span(&s->consumer.events[i].at_ns, &s->consumer.events[i].dur_ns, s->duration_ns,
                 &wa, &wd);
    s->time_scale *= x;
}

/* ---- writing ----------------------------------------------------------------------------------- */

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
static void fmt_value(const struct key *k, const char *p, double ts, char *o, size_t n)
{
    uint64_t v = k->type == KT_DOUBLE || k->type == KT_STR ? 0 : get_u(p, k->type == KT_TIME ? 8 : k->size);
    switch (k->type) {
    case KT_UINT:
        snprintf(o, n, (k->flags & K_HEX) ? "0x%04llx" : "%llu", (unsigned long long)v);
        break;
    case KT_TIME:
        snprintf(o, n, "%lld", (long long)llround((double)(int64_t)v * ts / (double)k->unit));
        break;
    case KT_DOUBLE: {
        double d;
        memcpy(&d, p, sizeof d);
        fmt_double(d, o, n);
        break;
    }
    case KT_ENUM: snprintf(o, n, "%s", name_of(k->names, k->nnames, (unsigned)v)); break;
    case KT_STR: {
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

static bool any_present(const struct table *t, const char *base)
{
    for (int i = 0; i < t->n; i++)
        if (t->keys[i].type == KT_MAP ? any_present(t->keys[i].sub, base + t->keys[i].off)
                                      : present(t, base, i))
            return true;
    return false;
}

static void write_flow(FILE *f, const struct table *t, const char *base, double ts)
{
    char v[300];
    const char *sep = "";
    fputc('{', f);
    for (int i = 0; i < t->n; i++) {
        const struct key *k = &t->keys[i];
        if (k->type == KT_MAP || k->type == KT_LIST || !present(t, base, i))
            continue;
        fmt_value(k, base + k->off, ts, v, sizeof v);
        fprintf(f, "%s%s: %s", sep, k->name, v);
        sep = ", ";
    }
    fputc('}', f);
}

static void write_block(FILE *f, const struct table *t, const char *base, double ts, int ind)
{
    char v[300];
    for (int i = 0; i < t->n; i++) {
        const struct key *k = &t->keys[i];
        const char *p = base + k->off;
        if (k->type == KT_MAP) {
            if (!any_present(k->sub, p))
                continue;
            fprintf(f, "%*s%s:%s", ind, "", k->name, k->sub->flow ? " " : "\n");
            if (k->sub->flow) {
                write_flow(f, k->sub, p, ts);
                fputc('\n', f);
            } else {
                write_block(f, k->sub, p, ts, ind + 2);
            }
        } else if (k->type == KT_LIST) {
            size_t n = (size_t)get_u(base + k->count_off, sizeof(size_t));
            fprintf(f, "%*s%s:%s\n", ind, "", k->name, n ? "" : " []");
            for (size_t j = 0; j < n && j < k->hi; j++) {
                fprintf(f, "%*s  - ", ind, "");
                write_flow(f, k->sub, p + j * k->item_size, ts);
                fputc('\n', f);
            }
        } else if (present(t, base, i)) {
            fmt_value(k, p, ts, v, sizeof v);
            fprintf(f, "%*s%s: %s\n", ind, "", k->name, v);
        }
    }
}

int scn_write_yaml(const SC *s, FILE *f)
{
    fprintf(f, "# scenario %s, every default written out\n", s->name);
    if (s->time_scale != 1.0)
        fprintf(f, "# loaded at time scale %.17g: times are written back in scenario time\n",
                s->time_scale);
    write_block(f, &top_t, (const char *)s, s->time_scale, 0);
    return ferror(f) ? -1 : 0;
}

/* ---- the keys, for documentation -------------------------------------------------------------- */

static void keys_walk(const struct table *t, const char *base, const char *prefix, int depth,
                      scn_key_fn fn, void *ctx)
{
    static const enum scn_key_type types[] = {
        [KT_UINT] = SCN_KEY_INT, [KT_TIME] = SCN_KEY_TIME, [KT_DOUBLE] = SCN_KEY_NUMBER,
        [KT_ENUM] = SCN_KEY_ENUM, [KT_STR] = SCN_KEY_TEXT, [KT_MAP] = SCN_KEY_MAP,
        [KT_LIST] = SCN_KEY_LIST};
    static const char zero_item[sizeof(struct scn_dev_event) > sizeof(struct scn_con_event)
                                    ? sizeof(struct scn_dev_event)
                                    : sizeof(struct scn_con_event)];
    for (int i = 0; i < t->n; i++) {
        const struct key *k = &t->keys[i];
        struct scn_key_info info = {.name = k->name, .context = t->what, .type = types[k->type],
                                    .depth = depth, .required = (k->flags & K_REQ) != 0,
                                    .conditional = t->need != NULL, .flow = t->flow, .lo = k->lo,
                                    .hi = k->hi, .dlo = k->dlo, .dhi = k->dhi, .names = k->names,
                                    .nnames = k->nnames};
        snprintf(info.path, sizeof info.path, "%s%s%s", prefix, *prefix ? "." : "", k->name);
        info.conditional = t->need && !info.required; /* K_REQ: needed whatever the siblings */
        allowed(k, info.allowed, sizeof info.allowed);
        if (k->type != KT_MAP && k->type != KT_LIST && !info.required &&
            need_of(t, base, i) == NEED_OPT && present(t, base, i))
            fmt_value(k, base + k->off, 1.0, info.deflt, sizeof info.deflt);
        fn(&info, ctx);
        if (k->type == KT_MAP) {
            keys_walk(k->sub, base + k->off, info.path, depth + 1, fn, ctx);
        } else if (k->type == KT_LIST) {
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
    keys_walk(&top_t, (const char *)&d, "", 0, fn, ctx);
}

const char *scn_dist_name(enum scn_dist_kind k) { return name_of(dist_names, 4, k); }
const char *scn_event_name(enum scn_dev_event_kind k) { return name_of(event_names, 5, k); }
const char *scn_overflow_name(enum scn_overflow o) { return name_of(ovf_names, 3, o); }
const char *scn_doorbell_name(enum scn_doorbell d) { return name_of(db_names, 2, d); }

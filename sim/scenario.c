/* scenario — see scenario.h.
 *
 * The schema is data (scn_keys.h): one table of keys per mapping. The same tables drive the
 * four walks over a scenario: parsing (scn_yaml.c: libyaml events, one pass, first error wins),
 * checking a struct built in code and scaling time (here), and writing YAML back (scn_write.c).
 */
#include "sim/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scn_keys.h"
#include "sim/scn_yaml.h"

typedef struct scn_scenario SC;

/* ---- checking a struct built in code -------------------------------------------------------- */

/* The value of a present key in a struct built in code. */
static int check_field(const struct scnk_key *k, const char *p, const SC *s, struct scnk_fail *f)
{
    double ts = s->time_scale;
    switch (k->type) {
    case SCNK_T_BYTES: {
        struct scn_bytes b;
        memcpy(&b, p, sizeof b);
        if (b.len > SCN_MAX_BYTES || b.off > s->device.n_bytes ||
            b.len > s->device.n_bytes - b.off || s->device.n_bytes > SCN_BYTES_POOL)
            return scnk_failf(f, 0, 0, "%s: %u bytes at %u are outside the %u bytes of the pool; "
                              "allowed: at most %d bytes inside device.bytes[0..n_bytes)", k->name,
                              b.len, b.off, s->device.n_bytes, SCN_MAX_BYTES);
        return 0;
    }
    case SCNK_T_UINT: return scnk_check_uint(k, scnk_get(p, k->size), f);
    case SCNK_T_TIME: return scnk_check_time(k, (int64_t)scnk_get(p, 8), ts, f);
    case SCNK_T_DOUBLE: {
        double d;
        memcpy(&d, p, sizeof d);
        return scnk_check_double(k, d, f);
    }
    case SCNK_T_ENUM: {
        uint64_t v = scnk_get(p, k->size);
        if (v < (uint64_t)k->nnames && k->names[v])
            return 0;
        char a[300];
        scnk_allowed(k, a, sizeof a);
        return scnk_failf(f, 0, 0, "%s: value %llu has no name; allowed: %s", k->name,
                     (unsigned long long)v, a);
    }
    case SCNK_T_STR: {
        size_t n = strnlen(p, k->size);
        if (n == k->size)
            return scnk_failf(f, 0, 0, "%s: the text is not terminated; allowed: at most %zu bytes",
                         k->name, k->size - 1);
        return scnk_check_str(k, p, n, f);
    }
    default: return 0;
    }
}

/* A key that is absent or does not apply must hold 0 (what a load would give), unless a key
 * that applies shares its field. */
static int check_zero(const struct scnk_table *t, const void *base, int i, struct scnk_fail *f)
{
    const struct scnk_key *k = &t->keys[i];
    const char *p = (const char *)base + k->off;
    for (int j = 0; j < t->n; j++)
        if (j != i && t->keys[j].off == k->off && scnk_present(t, base, j))
            return 0;
    for (size_t b = 0; b < k->size; b++)
        if (p[b])
            return scnk_failf(f, 0, 0,
                              "%s is set but is absent or does not apply to %s; allowed: 0",
                              k->name, scnk_ctx(t, base));
    return 0;
}

static int check_map(const struct scnk_table *t, const void *base, const SC *s, struct scnk_fail *f,
                     int line, int col);

static int check_list(const struct scnk_key *k, const char *base, const SC *s, struct scnk_fail *f,
                      int line, int col)
{
    size_t n = (size_t)scnk_get(base + k->count_off, sizeof(size_t));
    if (n > k->hi)
        return scnk_failf(f, line, col, "%s: %zu items; allowed: at most %llu", k->name, n,
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

static int check_map(const struct scnk_table *t, const void *base, const SC *s, struct scnk_fail *f,
                     int line, int col)
{
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        const char *p = (const char *)base + k->off;
        int rc;
        if (k->type == SCNK_T_MAP)
            rc = check_map(k->sub, p, s, f, line, col);
        else if (k->type == SCNK_T_LIST)
            rc = check_list(k, base, s, f, line, col);
        else if (scnk_present(t, base, i))
            rc = check_field(k, p, s, f);
        else
            rc = check_zero(t, base, i, f);
        if (rc)
            return scnk_locate(f, line, col);
    }
    if (t->rule && t->rule(base, s, f))
        return scnk_locate(f, line, col);
    return 0;
}

static void report(char err[SCN_ERR_MAX], const char *file, const struct scnk_fail *f)
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

static int check_all(const SC *s, struct scnk_fail *f)
{
    if (!isfinite(s->time_scale) || s->time_scale <= 0)
        return scnk_failf(f, 1, 1, "time_scale %g; allowed: a finite number > 0", s->time_scale);
    return check_map(&scnk_top, s, s, f, 1, 1);
}

int scn_parse(const char *name, const char *buf, size_t len, SC *out,
              char err[SCN_ERR_MAX])
{
    struct scnk_fail f = {{0}, 0, 0};
    name = name ? name : "(scenario)";
    scn_defaults(out);
    int rc = scny_read(buf, len, out, &f);
    if (rc == 0) /* the parse applied every rule already; this keeps the two in step */
        rc = check_all(out, &f);
    if (rc) {
        report(err, name, &f);
        scn_defaults(out);
        return -1;
    }
    set_file(out, name);
    return 0;
}

/* device.replay.file, relative to the scenario's directory, must be a readable file. */
static int replay_missing(const char *path, const SC *s, char err[SCN_ERR_MAX])
{
    char full[4096];
    const char *slash = strrchr(path, '/');
    const char *f = s->device.replay.file;
    if (f[0] == '/' || !slash)
        snprintf(full, sizeof full, "%s", f);
    else
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - path), path, f);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, R_OK) == 0)
        return 0;
    snprintf(err, SCN_ERR_MAX, "%.160s:%d:%d: replay: file '%.80s' (%.100s) %s; allowed: a "
             "readable recording, relative to the scenario's directory", path, s->device.replay.line,
             s->device.replay.col, f, full, stat(full, &st) == 0 ? "is not a readable file"
                                                                   : "does not exist");
    return -1;
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
    if (rc == 0 && out->device.replay.file[0] && replay_missing(path, out, err)) {
        scn_defaults(out);
        return -1;
    }
    return rc;
}

/* ---- defaults, check, scale ----------------------------------------------------------------- */

void scn_defaults(SC *s)
{
    memset(s, 0, sizeof *s);
    s->seed = 1;
    s->device.vid = 0x1209;
    s->device.pid = 0x0001;
    s->device.packet_size = 112;
    s->device.period_ns = 10000 * SCNK_US;
    s->device.endpoint = SCN_EP_INTERRUPT;
    s->device.fifo_packets = 16;
    s->device.jitter.kind = SCN_DIST_NONE;
    s->device.bcd_device = 0x0100;
    s->device.bcd_usb = 0x0200;
    s->device.max_packet0 = 64;
    s->device.speed = SCN_SPEED_HIGH;
    s->device.cfg_attributes = 0x80;
    s->device.max_power_ma = 100;
    s->device.start = SCN_START_IMMEDIATE;
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
    struct scnk_fail f = {{0}, 0, 0};
    if (check_all(s, &f) == 0)
        return 0;
    size_t n = strnlen(s->file, sizeof s->file);
    char file[sizeof s->file];
    memcpy(file, s->file, n);
    file[n] = 0;
    report(err, n ? file : "(scenario)", &f);
    return -1;
}

uint64_t scn_samples(const SC *s, uint64_t *regular)
{
    int64_t dur = s->duration_ns, period = s->device.period_ns;
    uint64_t n = dur > 0 && period > 0 ? (uint64_t)(dur - 1) / (uint64_t)period + 1 : 0;
    if (regular)
        *regular = n;
    for (size_t i = 0; i < s->device.n_events && i < SCN_MAX_EVENTS; i++)
        if (s->device.events[i].kind == SCN_EV_BURST)
            n += s->device.events[i].count;
    return n;
}

static int64_t scaled(int64_t t, double x, int64_t min)
{
    double v = nearbyint((double)t / x);
    int64_t r = v >= 9e18 ? INT64_MAX : (int64_t)v;
    return r < min ? min : r;
}

static void scale_map(const struct scnk_table *t, char *base, double x)
{
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        if (k->type == SCNK_T_MAP) {
            scale_map(k->sub, base + k->off, x);
        } else if (k->type == SCNK_T_LIST) {
            size_t n = (size_t)scnk_get(base + k->count_off, sizeof(size_t));
            for (size_t j = 0; j < n && j < k->hi; j++)
                scale_map(k->sub, base + k->off + j * k->item_size, x);
        } else if (k->type == SCNK_T_TIME && scnk_present(t, base, i)) {
            int64_t v = (int64_t)scnk_get(base + k->off, 8);
            scnk_put(base + k->off, 8, (uint64_t)scaled(v, x, k->lo ? 1 : 0));
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
    uint64_t before = scn_samples(s, NULL);
    scale_map(&scnk_top, (char *)s, x);
    int64_t *wa = NULL, *wd = NULL;
    for (size_t i = 0; i < s->device.n_events && i < SCN_MAX_EVENTS; i++) {
        struct scn_dev_event *e = &s->device.events[i];
        bool win = e->kind == SCN_EV_STALL || e->kind == SCN_EV_HALT ||
                   e->kind == SCN_EV_DISCONNECT;
        int64_t zero = 0;
        fix_span(&e->at_ns, win ? &e->dur_ns : &zero, s->duration_ns, &wa, &wd);
    }
    wa = wd = NULL;
    for (size_t i = 0; i < s->consumer.n_events && i < SCN_MAX_EVENTS; i++)
        fix_span(&s->consumer.events[i].at_ns, &s->consumer.events[i].dur_ns, s->duration_ns,
                 &wa, &wd);
    /* Rounding the period down may add samples: lengthen it to the shortest that fits. */
    uint64_t regular, bursts = scn_samples(s, &regular) - regular;
    if (regular + bursts > SCN_MAX_SAMPLES && bursts < SCN_MAX_SAMPLES && s->duration_ns > 0 &&
        before <= SCN_MAX_SAMPLES)
        s->device.period_ns = (s->duration_ns - 1) / (int64_t)(SCN_MAX_SAMPLES - bursts) + 1;
    s->time_scale *= x;
}


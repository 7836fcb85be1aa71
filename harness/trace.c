/* trace — see trace.h. */
#include "harness/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/args.h"
#include "harness/html.h"
#include "harness/report.h"
#include "sim/packet.h"
#include "sim/schedule.h"
#include "sim/exitcode.h"

#define CLIP(n) ((int)((n) < 40 ? (n) : 40)) /* quote at most 40 characters */
#define SAME_CLOCK_MAX_NS 1000000000LL /* fastest packet later than this: another clock */

/* One packet line, kept until t0 is known. */
struct line {
    uint32_t seq;
    int64_t recv_ns, produce_ns; /* produce_ns: from the bytes, 0 without */
    uint16_t dropped_before;
    uint8_t status; /* 0 good, 1 rejected (crc row), 2 wrong payload */
};

struct parse {
    const char *path;
    const struct scn_scenario *sc;
    char *err;
    long lineno;
    struct line *v;
    size_t n, cap;
    struct trace_info *info;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p, const char *fmt, ...)
{
    int k = p->lineno > 0 ? snprintf(p->err, TRACE_ERR_MAX, "%s:%ld: ", p->path, p->lineno)
                          : snprintf(p->err, TRACE_ERR_MAX, "%s: ", p->path);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && k < TRACE_ERR_MAX)
        vsnprintf(p->err + k, TRACE_ERR_MAX - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

/* A plain decimal of at most max. */
static int decimal(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int bytes(struct parse *p, const char *s, size_t len, struct line *l)
{
    uint8_t buf[PKT_MAX_SIZE];
    if (len == 0 || len % 2 || len / 2 > sizeof buf)
        return fail(p, "bytes_hex has %zu hex digits; expected an even number, at most %d",
                    len, 2 * PKT_MAX_SIZE);
    for (size_t i = 0; i < len; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return fail(p, "bytes_hex: '%c%c' is not a hex byte", s[i], s[i + 1]);
        buf[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    struct pkt_fields f;
    enum pkt_status st = pkt_decode(buf, len / 2, p->sc->device.packet_size, p->sc->seed, 1, &f);
    if (st != PKT_OK && st != PKT_ERR_PAYLOAD) {
        l->status = 1;
        return 0;
    }
    if (f.seq != l->seq)
        return fail(p, "seq %" PRIu32 " but the packet's bytes say seq %" PRIu32, l->seq, f.seq);
    l->status = st == PKT_OK ? 0 : 2;
    l->produce_ns = (int64_t)(f.produce_ns & INT64_MAX);
    l->dropped_before = f.dropped_before;
    return 0;
}

static int add_line(struct parse *p, const struct line *l)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 1024;
        struct line *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return fail(p, "out of memory");
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = *l;
    return 0;
}

static int parse_line(struct parse *p, char *s, size_t len)
{
    char *c1 = memchr(s, ',', len);
    char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - s)) : NULL;
    size_t fields = !c1 ? 1 : !c2 ? 2 : 3;
    if (fields != (p->info->has_bytes ? 3u : 2u))
        return fail(p, "%zu fields; expected %s", fields,
                    p->info->has_bytes ? TRACE_HEADER_BYTES : TRACE_HEADER);
    char *end2 = c2 ? c2 : s + len;
    struct line l = {0};
    uint64_t v;
    if (decimal(s, (size_t)(c1 - s), UINT32_MAX, &v) != 0)
        return fail(p, "seq '%.*s' is not a decimal 0..4294967295", CLIP(c1 - s), s);
    l.seq = (uint32_t)v;
    if (decimal(c1 + 1, (size_t)(end2 - c1 - 1), INT64_MAX, &v) != 0)
        return fail(p, "recv_ns '%.*s' is not a decimal number of ns", CLIP(end2 - c1 - 1),
                    c1 + 1);
    l.recv_ns = (int64_t)v;
    if (p->n && l.recv_ns < p->v[p->n - 1].recv_ns)
        return fail(p, "recv_ns %" PRId64 " is before the line above's %" PRId64, l.recv_ns,
                    p->v[p->n - 1].recv_ns);
    if (c2 && bytes(p, c2 + 1, len - (size_t)(c2 + 1 - s), &l) != 0)
        return -1;
    return add_line(p, &l);
}

#define BOM "\xef\xbb\xbf" /* UTF-8 byte order mark: skipped before the header */

static int parse_file(struct parse *p, struct rec_reader *rd)
{
    long got;
    int rc = 0;
    while (rc == 0) {
        p->lineno++;
        if ((got = rec_reader_next(rd)) < 0) {
            rc = fail(p, "%s", rd->why);
            break;
        }
        char *buf = rd->line;
        size_t len = (size_t)got;
        if (p->lineno == 1 && len >= 3 && memcmp(buf, BOM, 3) == 0) {
            buf += 3;
            len -= 3;
        }
        if (len == 0) { /* the end of the file */
            p->lineno--;
            break;
        }
        if (buf[len - 1] != '\n') {
            rc = fail(p, "the last line has no newline (a truncated trace?)");
            break;
        }
        len -= 1 + (len >= 2 && buf[len - 2] == '\r');
        if (memchr(buf, '\0', len))
            rc = fail(p, "a NUL byte in the line");
        else if (p->lineno == 1) {
            p->info->has_bytes = len == strlen(TRACE_HEADER_BYTES) &&
                                 memcmp(buf, TRACE_HEADER_BYTES, len) == 0;
            if (!p->info->has_bytes && (len != strlen(TRACE_HEADER) ||
                                        memcmp(buf, TRACE_HEADER, len) != 0))
                rc = fail(p, "the header is '%.*s'; expected '" TRACE_HEADER "' or '"
                          TRACE_HEADER_BYTES "'", (int)(len < 60 ? len : 60), buf);
        } else if (p->n == TRACE_MAX_PACKETS)
            rc = fail(p, "more than %llu packet lines", (unsigned long long)TRACE_MAX_PACKETS);
        else
            rc = parse_line(p, buf, len);
    }
    if (rc == 0 && p->lineno == 0)
        rc = fail(p, "empty; expected the header '" TRACE_HEADER "[,bytes_hex]'");
    return rc;
}

/* ---- records from the plan and the lines ---- */

static int64_t planned_due(const struct sched *plan, uint32_t seq, int *known)
{
    *known = seq < plan->n;
    return *known ? plan->samples[seq].due_ns : 0;
}

/* Line i's produce time shifted by lat_min onto the trace's clock, keeping its latency
 * representable. 0, or -1 (err set, at its line) on an overflow. */
static int shift(struct parse *p, size_t i, int64_t lat_min)
{
    struct line *l = &p->v[i];
    int64_t shifted, lat;
    if (!__builtin_add_overflow(l->produce_ns, lat_min, &shifted) &&
        !__builtin_sub_overflow(l->recv_ns, shifted, &lat)) {
        l->produce_ns = shifted;
        return 0;
    }
    p->lineno = (long)i + 2;
    return fail(p, "seq %" PRIu32 ": its produce time cannot be shifted onto the trace's clock "
                "without overflow (its latency and the fastest packet's are 2^63 ns or more "
                "apart)", l->seq);
}

/* t0 on the trace's clock, and produce times shifted onto it when the clocks differ. 0, or -1
 * (err set) when the times cannot be put on one clock without overflowing int64. */
static int start_time(struct parse *p, const struct sched *plan, int64_t *t0_out)
{
    int64_t t0 = INT64_MAX, lat_min = INT64_MAX, d;
    int known;
    for (size_t i = 0; p->info->has_bytes && i < p->n; i++) /* both in 0..INT64_MAX */
        if (p->v[i].status != 1)
            lat_min = p->v[i].recv_ns - p->v[i].produce_ns < lat_min
                          ? p->v[i].recv_ns - p->v[i].produce_ns : lat_min;
    int use_bytes = lat_min != INT64_MAX;
    p->info->same_clock = use_bytes && lat_min >= 0 && lat_min <= SAME_CLOCK_MAX_NS;
    for (size_t i = 0; i < p->n; i++) {
        struct line *l = &p->v[i];
        int64_t due = planned_due(plan, l->seq, &known);
        if (use_bytes && l->status != 1 && !p->info->same_clock && shift(p, i, lat_min) != 0)
            return -1;
        int64_t at = use_bytes ? (l->status != 1 ? l->produce_ns : INT64_MAX) : l->recv_ns;
        if (!known || at == INT64_MAX)
            continue;
        if (__builtin_sub_overflow(at, due, &d)) {
            p->lineno = (long)i + 2;
            return fail(p, "seq %" PRIu32 ": the device's start (%" PRId64 " ns minus its due "
                        "time) is before the earliest time int64 holds (overflow)", l->seq, at);
        }
        t0 = d < t0 ? d : t0;
    }
    t0 = t0 == INT64_MAX ? (p->n ? p->v[0].recv_ns : 0) : t0;
    int64_t last = 0; /* the plan's times are >= 0: it fits when its latest one does */
    for (size_t k = 0; k < plan->n; k++) {
        last = plan->samples[k].due_ns > last ? plan->samples[k].due_ns : last;
        last = plan->samples[k].send_ns > last ? plan->samples[k].send_ns : last;
    }
    if (__builtin_add_overflow(t0, last, &d))
        return fail(p, "the device's plan cannot be placed on the trace's clock without overflow: "
                    "it would start at %" PRId64 " ns and end %" PRId64 " ns later", t0, last);
    *t0_out = t0;
    return 0;
}

static int device_rows(struct parse *p, const struct sched *plan, int64_t t0, struct rec_run *r)
{
    r->device = calloc(plan->n ? plan->n : 1, sizeof *r->device);
    if (!r->device)
        return fail(p, "out of memory");
    for (size_t k = 0; k < plan->n; k++) {
        const struct sched_sample *s = &plan->samples[k];
        r->device[k] = (struct rec_device_row){
            .seq = s->seq, .fate = s->fate, .drop = s->drop, .flags = s->flags,
            .due_ns = t0 + s->due_ns, .produce_ns = s->fate == SCHED_DROPPED ? 0 : t0 + s->due_ns};
    }
    r->n_device = plan->n;
    for (size_t i = 0; i < p->n; i++) /* what the packets say the device dropped */
        for (uint32_t d = 1; p->v[i].status != 1 && d <= p->v[i].dropped_before; d++) {
            uint32_t seq = p->v[i].seq - d;
            if (seq >= p->v[i].seq || seq >= plan->n || r->device[seq].fate == REC_DROPPED)
                continue;
            r->device[seq].fate = REC_DROPPED;
            r->device[seq].drop = REC_DROP_FIFO;
            r->device[seq].produce_ns = 0;
        }
    return 0;
}

static int other_rows(struct parse *p, const struct sched *plan, int64_t t0, struct rec_run *r)
{
    size_t n_corrupt = 0;
    for (size_t k = 0; k < plan->n; k++)
        n_corrupt += (plan->samples[k].flags & PKT_F_CORRUPT) != 0;
    r->app = calloc(p->n + 1, sizeof *r->app);
    r->driver = calloc(p->n + n_corrupt + 1, sizeof *r->driver);
    uint8_t *seen = calloc(plan->n + 1, 1);
    if (!r->app || !r->driver || !seen) {
        free(seen);
        return fail(p, "out of memory");
    }
    int known;
    for (size_t i = 0; i < p->n; i++) {
        const struct line *l = &p->v[i];
        if (l->seq < plan->n)
            seen[l->seq] = 1;
        if (l->status == 1) {
            r->driver[r->n_driver++] = (struct rec_driver_row){l->seq, l->recv_ns, REC_ST_CRC};
            continue;
        }
        int64_t due = planned_due(plan, l->seq, &known);
        int64_t produce = p->info->has_bytes ? l->produce_ns : known ? t0 + due : l->recv_ns;
        r->app[r->n_app++] = (struct rec_app_row){.seq = l->seq, .batch = i + 1,
                                                  .recv_ns = l->recv_ns, .produce_ns = produce,
                                                  .ingress_ns = produce};
        if (l->status == 2 && p->info->payload_bad++ < VFY_LIST_MAX)
            p->info->payload_seq[p->info->payload_bad - 1] = l->seq;
    }
    for (size_t k = 0; k < plan->n; k++) /* corrupted on purpose and absent: rejected */
        if ((plan->samples[k].flags & PKT_F_CORRUPT) && !seen[k])
            r->driver[r->n_driver++] =
                (struct rec_driver_row){(int64_t)k, t0 + plan->samples[k].send_ns, REC_ST_CRC};
    free(seen);
    return 0;
}

int trace_load(const char *path, const struct scn_scenario *sc, struct rec_run *run,
               struct trace_info *info, char err[TRACE_ERR_MAX])
{
    memset(info, 0, sizeof *info);
    rec_init(run);
    if (sc->device.framing == SCN_FRAMING_RAW) {
        snprintf(err, TRACE_ERR_MAX, "%s: a trace names each packet's seq (bytes 4..7 of a "
                 "usbsim-framed packet); scenario '%s' has framing raw, whose packets carry none "
                 "(judge it with usbsim run and the built-in application)", path, sc->name);
        return -1;
    }
    struct parse p = {.path = path, .sc = sc, .err = err, .info = info};
    struct rec_reader rd;
    char rerr[REC_ERR_MAX];
    if (rec_reader_open(&rd, path, TRACE_MAX_LINE, TRACE_MAX_BYTES, rerr) != 0) {
        snprintf(err, TRACE_ERR_MAX, "%s", rerr);
        return -1;
    }
    int rc = parse_file(&p, &rd);
    rec_reader_close(&rd);
    struct sched plan;
    char serr[SCN_ERR_MAX];
    if (rc == 0 && sched_build(sc, &plan, serr) != 0) {
        p.lineno = 0;
        rc = fail(&p, "the scenario's plan: %s", serr);
    } else if (rc == 0) {
        info->lines = p.n;
        int64_t t0 = 0;
        p.lineno = 0;
        rc = start_time(&p, &plan, &t0);
        run->start_ns = t0;
        run->backend = "trace";
        p.lineno = 0;
        if (rc == 0)
            rc = device_rows(&p, &plan, t0, run);
        if (rc == 0)
            rc = other_rows(&p, &plan, t0, run);
        sched_free(&plan);
    }
    free(p.v);
    if (rc != 0)
        rec_free(run);
    return rc;
}

int trace_judge(const struct scn_scenario *sc, const struct rec_run *run,
                const struct trace_info *info, struct vfy_result *out)
{
    vfy_check(sc, run, out);
    if (info->payload_bad) {
        char list[VFY_LIST_MAX * 12] = "";
        size_t shown = info->payload_bad < VFY_LIST_MAX ? info->payload_bad : VFY_LIST_MAX;
        for (size_t i = 0; i < shown; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%" PRIu32,
                     i ? ", " : "", info->payload_seq[i]);
        vfy_add_failure(out, VFY_KIND_INTEGRITY,
                        "payload is not the scenario's (seed %" PRIu64 "?): seq %s%s", sc->seed,
                        list, info->payload_bad > shown ? " and more" : "");
    }
    vfy_apply_expect(sc, out);
    return vfy_ok(out) ? 0 : 1;
}

/* ---- usbsim verify ---- */

struct verify_opts {
    const char *scenario, *trace, *json, *junit, *html;
    int quiet, has_seed;
    uint64_t seed;
    double time_scale;
};

static int usage(const char *fmt, const char *arg)
{
    return arg_usage("verify", fmt, arg);
}

/* The command's options into verify_opts; 0, or the exit code of bad usage. */
static int parse_args(const struct cli_opts *c, struct verify_opts *o)
{
    *o = (struct verify_opts){.scenario = c->own[TRACE_OPT_SCENARIO].s,
                              .trace = c->own[TRACE_OPT_TRACE].s, .json = c->json,
                              .junit = c->junit, .html = c->html, .quiet = c->quiet,
                              .has_seed = c->has_seed, .seed = c->seed,
                              .time_scale = c->time_scale};
    if (!o->scenario || !o->trace)
        return usage("%s", "--scenario FILE and --trace FILE are both required");
    return 0;
}

static int write_outputs(const struct verify_opts *o, const struct scn_scenario *sc,
                         const struct rec_run *run, const struct vfy_result *res)
{
    char err[RPT_ERR_MAX > HTML_ERR_MAX ? RPT_ERR_MAX : HTML_ERR_MAX];
    int bad = 0;
    if (o->json && rpt_json_write(o->json, res, 1, err) != 0)
        bad = fprintf(stderr, "usbsim verify: %s\n", err) > 0;
    if (o->junit && rpt_junit_write(o->junit, res, 1, err) != 0)
        bad = fprintf(stderr, "usbsim verify: %s\n", err) > 0;
    if (o->html && html_write(o->html, sc, run, res, err) != 0)
        bad = fprintf(stderr, "usbsim verify: %s\n", err) > 0;
    return bad;
}

int trace_main(struct cli_opts *c)
{
    struct verify_opts o;
    int rc = parse_args(c, &o);
    if (rc != 0)
        return rc;
    struct scn_scenario sc;
    char err[TRACE_ERR_MAX > SCN_ERR_MAX ? TRACE_ERR_MAX : SCN_ERR_MAX];
    if (scn_load(o.scenario, &sc, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return XC_USAGE;
    }
    if (o.has_seed)
        sc.seed = o.seed;
    if (o.time_scale != 1.0)
        scn_time_scale(&sc, o.time_scale);
    struct rec_run run;
    struct trace_info info;
    if (trace_load(o.trace, &sc, &run, &info, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return XC_USAGE;
    }
    if (info.has_bytes && !info.same_clock && !o.quiet)
        fprintf(stderr, "usbsim verify: the trace's clock is not the device's: latencies are "
                        "relative to the fastest packet\n");
    struct vfy_result res;
    rc = trace_judge(&sc, &run, &info, &res);
    if (!o.quiet || !vfy_ok(&res))
        rpt_line(c->out, &res, c->color);
    fflush(stdout);
    if (write_outputs(&o, &sc, &run, &res))
        rc = 1;
    vfy_free(&res);
    rec_free(&run);
    return rc;
}

static const struct arg_opt trace_opts[TRACE_OPT_COUNT] = {
    [TRACE_OPT_SCENARIO] = {.name = "scenario", .kind = ARG_PATH, .meta = "FILE.yaml",
                            .required = true, .help = "the scenario the device ran"},
    [TRACE_OPT_TRACE] = {.name = "trace", .kind = ARG_PATH, .meta = "TRACE.csv", .required = true,
                         .help = "the receive log (docs/trace-format.md)"},
};

const struct cli_cmd trace_cmd = {
    .name = "verify",
    .help = "Judge a receive log written by another driver or application against the scenario:\n"
            "same verdict, reports and exit codes as 'usbsim run'. TRACE is CSV with the header\n"
            "'seq,recv_ns' or 'seq,recv_ns,bytes_hex' (see docs/trace-format.md). Give --seed and\n"
            "--time-scale the device ran with.\n",
    .common = CLI_O(CLI_SEED) | CLI_O(CLI_TIME_SCALE) | CLI_O(CLI_JSON) | CLI_O(CLI_JUNIT) |
              CLI_O(CLI_HTML) | CLI_O(CLI_QUIET),
    .opts = trace_opts, .nopts = TRACE_OPT_COUNT, .run = trace_main};

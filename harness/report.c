/* report — see report.h. */
#include "harness/report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/xml.h"

#define REPORT_FORMAT "usbsim-report"
#define REPORT_VERSION 1

static uint64_t lost_total(const struct vfy_result *r)
{
    return r->lost_accounted.device + r->lost_accounted.ring + r->lost_accounted.crc +
           r->lost_accounted.app + r->lost_accounted.host + r->lost_accounted.program +
           r->lost_unexplained;
}

/* ---- one line per scenario ---- */

static void put_ms(FILE *f, int64_t ns)
{
    if (ns < 1000000 && ns > -1000000)
        fprintf(f, "%.0f us", ns / 1e3);
    else
        fprintf(f, "%.1f ms", ns / 1e6);
}

void rpt_line(FILE *f, const struct vfy_result *r, int color)
{
    const char *word = r->pass ? "PASS" : r->xfail ? "XFAIL" : "FAIL";
    if (color)
        fprintf(f, "\033[1;%dm%s\033[0m", r->pass ? 32 : r->xfail ? 33 : 31, word);
    else
        fputs(word, f);
    fprintf(f, " %s  %" PRIu64 "/%" PRIu64 " delivered, lost %" PRIu64, r->name, r->delivered,
            r->produced, lost_total(r));
    if (lost_total(r)) {
        fprintf(f, " (device %" PRIu64 ", ring %" PRIu64 ", crc %" PRIu64,
                r->lost_accounted.device, r->lost_accounted.ring, r->lost_accounted.crc);
        if (r->lost_accounted.app) /* only a user's application (--app) is placed there */
            fprintf(f, ", app %" PRIu64, r->lost_accounted.app);
        if (r->lost_accounted.host || r->lost_accounted.program) /* a user's program (--exec) */
            fprintf(f, ", host %" PRIu64 ", program %" PRIu64, r->lost_accounted.host,
                    r->lost_accounted.program);
        fprintf(f, ", unexplained %" PRIu64 ")", r->lost_unexplained);
    }
    fprintf(f, ", %.1f Hz, latency ", r->rate_hz);
    if (r->latency.n) {
        fputs("p50 ", f);
        put_ms(f, r->latency.p50_ns);
        fputs(" p99 ", f);
        put_ms(f, r->latency.p99_ns);
        fputs(" max ", f);
        put_ms(f, r->latency.max_ns);
    } else {
        fputs("-", f);
    }
    fprintf(f, ", backlog %" PRIu64, r->backlog_max);
    if (r->endpoint)
        fprintf(f, ", %sstream 0x%02x", r->raw ? "raw " : "", r->endpoint);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_failures; i++)
        fprintf(f, "    - %s\n", r->failures[i]);
}

/* ---- JSON out ---- */

/* "-" names standard output: written, flushed, never closed. */
static int is_stdout(const char *path) { return strcmp(path, "-") == 0; }

static int dump_stdout(const json_t *root, size_t flags)
{
    int rc = json_dumpf(root, stdout, flags);
    if (rc == 0 && (fputc('\n', stdout) == EOF || fflush(stdout) != 0))
        rc = -1;
    return rc;
}

static json_t *ju64(uint64_t v)
{
    if (v == VFY_MISSING)
        return json_null();
    return json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v));
}

static json_t *jlat(const struct vfy_latency *l)
{
    return json_pack("{s:f, s:f, s:f, s:I}", "p50", l->p50_ns / 1e3, "p99", l->p99_ns / 1e3,
                     "max", l->max_ns / 1e3, "n", (json_int_t)l->n);
}

static json_t *jseed(uint64_t seed)
{
    if (seed <= INT64_MAX)
        return json_integer((json_int_t)seed);
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRIu64, seed);
    return json_string(buf);
}

static json_t *jwindows(const struct vfy_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_windows; i++)
        json_array_append_new(a, json_pack("{s:f, s:I, s:b}", "start_s",
                                           r->windows[i].start_ns / 1e9, "hz",
                                           (json_int_t)r->windows[i].packets, "checked",
                                           r->windows[i].checked));
    return a;
}

static json_t *jdrains(const struct vfy_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_drains; i++)
        json_array_append_new(a, json_pack("{s:s, s:f, s:f}", "after",
                                           r->drains[i].device ? "device" : "consumer",
                                           "stall_end_ms", r->drains[i].stall_end_ns / 1e6,
                                           "drain_ms", r->drains[i].drain_ns / 1e6));
    return a;
}

static json_t *jfailures(const struct vfy_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_failures; i++)
        json_array_append_new(a, json_string(r->failures[i]));
    return a;
}

static json_t *jkinds(const struct vfy_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_failures; i++)
        json_array_append_new(a, json_string(vfy_kind_name(r->failure_kinds[i])));
    return a;
}

static json_t *jresult(const struct vfy_result *r)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:o, s:f, s:o, s:o, "
        "s:f, s:o, s:o, s:o, s:s, s:o, s:f, s:{s:o, s:o}, s:{s:f, s:f, s:o}, s:s, s:o, s:f}",
        "name", r->name, "verdict", vfy_verdict(r), "xfail", r->xfail,
        "failures", jfailures(r), "failure_kinds", jkinds(r),
        "produced", ju64(r->produced), "delivered", ju64(r->delivered),
        "lost_accounted", "device", ju64(r->lost_accounted.device),
        "ring", ju64(r->lost_accounted.ring), "crc", ju64(r->lost_accounted.crc),
        "app", ju64(r->lost_accounted.app), "host", ju64(r->lost_accounted.host),
        "program", ju64(r->lost_accounted.program), "lost_unexplained", ju64(r->lost_unexplained), "duplicates", ju64(r->duplicates),
        "reordered", ju64(r->reordered), "crc_errors", ju64(r->crc_errors),
        "rate_hz", r->rate_hz, "latency_us", jlat(&r->latency),
        "backlog_max", ju64(r->backlog_max), "drain_ms_max", r->drain_max_ns / 1e6,
        "doorbells", ju64(r->doorbells), "wakeups", ju64(r->wakeups),
        "missed_wakeups", ju64(r->missed_wakeups), "backend", r->backend,
        "seed", jseed(r->seed), "time_scale", r->time_scale,
        "latency_stage_us", "device_driver", jlat(&r->lat_dev_drv),
        "driver_app", jlat(&r->lat_drv_app),
        "rate_window_hz", "min", r->window_min_hz, "max", r->window_max_hz,
        "windows", jwindows(r),
        "backlog_source", r->backlog_from_records ? "records" : "counter",
        "drains", jdrains(r), "wall_s", r->wall_s);
    if (o) {
        json_object_set_new(o, "lost_behind", ju64(r->lost_behind));
        char ep[8];
        snprintf(ep, sizeof ep, "0x%02x", r->endpoint);
        json_object_set_new(o, "endpoint", r->endpoint ? json_string(ep) : json_null());
        json_object_set_new(o, "framing", json_string(r->raw ? "raw" : "usbsim"));
    }
    return o;
}

int rpt_json_write(const char *path, const struct vfy_result *results, size_t n,
                   char err[RPT_ERR_MAX])
{
    json_t *list = json_array();
    size_t passed = 0, xfailed = 0;
    for (size_t i = 0; list && i < n; i++) {
        json_t *o = jresult(&results[i]);
        if (!o || json_array_append_new(list, o) != 0) {
            json_decref(list);
            list = NULL;
        }
        passed += results[i].pass;
        xfailed += !results[i].pass && results[i].xfail;
    }
    json_t *root = list ? json_pack("{s:s, s:i, s:I, s:I, s:I, s:o}", "format", REPORT_FORMAT,
                                    "version", REPORT_VERSION, "passed", (json_int_t)passed,
                                    "failed", (json_int_t)(n - passed - xfailed), "xfailed",
                                    (json_int_t)xfailed, "scenarios", list)
                        : NULL;
    if (!root) {
        snprintf(err, RPT_ERR_MAX, "%s: cannot build the report (out of memory or a number "
                 "JSON cannot hold)", path);
        return -1;
    }
    errno = 0;
    size_t flags = JSON_INDENT(2) | JSON_REAL_PRECISION(17);
    int rc = is_stdout(path) ? dump_stdout(root, flags) : json_dump_file(root, path, flags);
    json_decref(root);
    if (rc != 0)
        snprintf(err, RPT_ERR_MAX, "%s: cannot write: %s", path,
                 errno ? strerror(errno) : "error");
    return rc ? -1 : 0;
}

/* ---- JSON in ---- */

struct rd {
    const char *file;
    char *err;
    int failed;
};

__attribute__((format(printf, 2, 3))) static void rd_fail(struct rd *rd, const char *fmt, ...)
{
    if (rd->failed++)
        return;
    int k = snprintf(rd->err, RPT_ERR_MAX, "%s: ", rd->file);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->err + k, RPT_ERR_MAX - (size_t)k, fmt, ap);
    va_end(ap);
}

/* The member key of obj (at path where) if it has the wanted kind, else NULL and an error. */
static json_t *rd_get(struct rd *rd, json_t *obj, const char *where, const char *key,
                      int (*is)(const json_t *), const char *kind)
{
    json_t *v = json_object_get(obj, key);
    if (!v || !is(v)) {
        rd_fail(rd, "%s.%s: %s, expected %s", where, key, v ? "wrong type" : "missing", kind);
        return NULL;
    }
    return v;
}

static int is_object(const json_t *v) { return json_is_object(v); }
static int is_array(const json_t *v) { return json_is_array(v); }
static int is_string(const json_t *v) { return json_is_string(v); }
static int is_number(const json_t *v) { return json_is_number(v); }
static int is_bool(const json_t *v) { return json_is_boolean(v); }
static int is_count(const json_t *v) { return json_is_integer(v) && json_integer_value(v) >= 0; }
static int is_count_or_null(const json_t *v) { return json_is_null(v) || is_count(v); }
static int is_seed(const json_t *v) { return is_count(v) || json_is_string(v); }

static uint64_t rd_u64(struct rd *rd, json_t *o, const char *where, const char *key)
{
    json_t *v = rd_get(rd, o, where, key, is_count_or_null, "a count (integer >= 0)");
    return !v || json_is_null(v) ? VFY_MISSING : (uint64_t)json_integer_value(v);
}

static double rd_num(struct rd *rd, json_t *o, const char *where, const char *key)
{
    json_t *v = rd_get(rd, o, where, key, is_number, "a number");
    return v ? json_number_value(v) : 0.0;
}

static int64_t rd_scaled(struct rd *rd, json_t *o, const char *where, const char *key,
                         double unit_ns)
{
    return llround(rd_num(rd, o, where, key) * unit_ns);
}

static void rd_str(struct rd *rd, json_t *o, const char *where, const char *key, char *buf,
                   size_t len)
{
    json_t *v = rd_get(rd, o, where, key, is_string, "a string");
    snprintf(buf, len, "%s", v ? json_string_value(v) : "");
}

static void rd_lat(struct rd *rd, json_t *o, const char *where, const char *key,
                   struct vfy_latency *l)
{
    char path[128];
    snprintf(path, sizeof(path), "%s.%s", where, key);
    json_t *v = rd_get(rd, o, where, key, is_object, "an object");
    l->p50_ns = rd_scaled(rd, v, path, "p50", 1e3);
    l->p99_ns = rd_scaled(rd, v, path, "p99", 1e3);
    l->max_ns = rd_scaled(rd, v, path, "max", 1e3);
    l->n = rd_u64(rd, v, path, "n");
}

static void rd_seed(struct rd *rd, json_t *o, const char *where, uint64_t *seed)
{
    json_t *v = rd_get(rd, o, where, "seed", is_seed, "an integer or a decimal string");
    char *end = NULL;
    if (v && json_is_string(v)) {
        errno = 0;
        *seed = strtoull(json_string_value(v), &end, 10);
        if (errno || *end || !*json_string_value(v))
            rd_fail(rd, "%s.seed: '%s' is not a decimal number", where, json_string_value(v));
    } else if (v) {
        *seed = (uint64_t)json_integer_value(v);
    }
}

/* The kind of failure i: from failure_kinds when the file has it (same length as failures,
 * known names), else "other" (a report written before kinds). */
static enum vfy_kind rd_kind(struct rd *rd, json_t *kinds, const char *where, size_t i)
{
    enum vfy_kind k = VFY_KIND_OTHER;
    json_t *v = json_array_get(kinds, i);
    if (kinds && !json_is_string(v))
        rd_fail(rd, "%s.failure_kinds[%zu]: expected a string", where, i);
    else if (kinds && vfy_kind_parse(json_string_value(v), &k) != 0)
        rd_fail(rd, "%s.failure_kinds[%zu]: unknown kind '%s'", where, i, json_string_value(v));
    return k;
}

static void rd_failures(struct rd *rd, json_t *o, const char *where, struct vfy_result *r)
{
    json_t *a = rd_get(rd, o, where, "failures", is_array, "an array of strings");
    json_t *kinds = json_object_get(o, "failure_kinds");
    if (kinds && !json_is_array(kinds))
        rd_fail(rd, "%s.failure_kinds: wrong type, expected an array of strings", where);
    else if (kinds && json_array_size(kinds) != json_array_size(a))
        rd_fail(rd, "%s.failure_kinds: %zu kinds for %zu failures", where,
                json_array_size(kinds), json_array_size(a));
    size_t i;
    json_t *s;
    json_array_foreach(a, i, s)
    {
        enum vfy_kind k = rd_kind(rd, kinds, where, i);
        if (!json_is_string(s))
            rd_fail(rd, "%s.failures[%zu]: expected a string", where, i);
        else
            vfy_add_failure(r, k, "%s", json_string_value(s));
    }
}

static void rd_windows(struct rd *rd, json_t *o, const char *where, struct vfy_result *r)
{
    char path[128];
    snprintf(path, sizeof(path), "%s.rate_window_hz", where);
    json_t *rw = rd_get(rd, o, where, "rate_window_hz", is_object, "an object");
    r->window_min_hz = rd_num(rd, rw, path, "min");
    r->window_max_hz = rd_num(rd, rw, path, "max");
    json_t *a = rd_get(rd, rw, path, "windows", is_array, "an array");
    size_t n = json_array_size(a);
    r->windows = n ? calloc(n, sizeof(*r->windows)) : NULL;
    if (n && !r->windows) {
        rd_fail(rd, "%s: out of memory", path);
        return;
    }
    r->n_windows = n;
    for (size_t i = 0; i < n; i++) {
        char wp[160];
        snprintf(wp, sizeof(wp), "%s.windows[%zu]", path, i);
        json_t *w = json_array_get(a, i);
        r->windows[i].start_ns = rd_scaled(rd, w, wp, "start_s", 1e9);
        r->windows[i].packets = rd_u64(rd, w, wp, "hz");
        json_t *b = rd_get(rd, w, wp, "checked", is_bool, "true or false");
        r->windows[i].checked = b && json_is_true(b);
    }
}

static void rd_drains(struct rd *rd, json_t *o, const char *where, struct vfy_result *r)
{
    json_t *a = rd_get(rd, o, where, "drains", is_array, "an array");
    if (json_array_size(a) > VFY_MAX_DRAINS) {
        rd_fail(rd, "%s.drains: more than %d", where, VFY_MAX_DRAINS);
        return;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        char dp[160];
        snprintf(dp, sizeof(dp), "%s.drains[%zu]", where, i);
        r->drains[i].stall_end_ns = rd_scaled(rd, json_array_get(a, i), dp, "stall_end_ms", 1e6);
        r->drains[i].drain_ns = rd_scaled(rd, json_array_get(a, i), dp, "drain_ms", 1e6);
        /* "after" is optional: a file without it holds consumer stalls only. */
        json_t *after = json_object_get(json_array_get(a, i), "after");
        if (after && !(json_is_string(after) && (!strcmp(json_string_value(after), "device") ||
                                                 !strcmp(json_string_value(after), "consumer"))))
            rd_fail(rd, "%s.after: not \"consumer\" or \"device\"", dp);
        r->drains[i].device = after && json_is_string(after) &&
                              !strcmp(json_string_value(after), "device");
        r->n_drains = i + 1;
    }
}

/* endpoint ("0x81", or null) and framing ("usbsim" | "raw"): both absent from older reports. */
static void rd_stream(struct rd *rd, json_t *o, const char *w, struct vfy_result *r)
{
    json_t *ep = json_object_get(o, "endpoint"), *fr = json_object_get(o, "framing");
    unsigned v = 0;
    int used = 0;
    if (ep && !json_is_null(ep) &&
        (!json_is_string(ep) || sscanf(json_string_value(ep), "0x%2x%n", &v, &used) != 1 ||
         (size_t)used != strlen(json_string_value(ep)) || v == 0))
        rd_fail(rd, "%s.endpoint: expected an endpoint such as \"0x81\", or null", w);
    r->endpoint = (uint8_t)v;
    if (fr && (!json_is_string(fr) || (strcmp(json_string_value(fr), "raw") != 0 &&
                                       strcmp(json_string_value(fr), "usbsim") != 0)))
        rd_fail(rd, "%s.framing: expected \"usbsim\" or \"raw\"", w);
    r->raw = fr && json_is_string(fr) && strcmp(json_string_value(fr), "raw") == 0;
}

static void rd_result(struct rd *rd, json_t *o, const char *w, struct vfy_result *r)
{
    char verdict[8], source[16], path[128];
    rd_str(rd, o, w, "name", r->name, sizeof(r->name));
    rd_str(rd, o, w, "verdict", verdict, sizeof(verdict));
    rd_failures(rd, o, w, r);
    r->pass = strcmp(verdict, "pass") == 0;
    if (!r->pass && strcmp(verdict, "fail") != 0)
        rd_fail(rd, "%s.verdict: '%s', expected pass or fail", w, verdict);
    json_t *xf = json_object_get(o, "xfail"); /* absent before expected failures: false */
    if (xf && !json_is_boolean(xf))
        rd_fail(rd, "%s.xfail: wrong type, expected true or false", w);
    r->xfail = json_is_true(xf);
    if (r->xfail && r->pass)
        rd_fail(rd, "%s.xfail: true with the verdict pass", w);
    r->produced = rd_u64(rd, o, w, "produced");
    r->delivered = rd_u64(rd, o, w, "delivered");
    snprintf(path, sizeof(path), "%s.lost_accounted", w);
    json_t *la = rd_get(rd, o, w, "lost_accounted", is_object, "an object");
    r->lost_accounted.device = rd_u64(rd, la, path, "device");
    r->lost_accounted.ring = rd_u64(rd, la, path, "ring");
    r->lost_accounted.crc = rd_u64(rd, la, path, "crc");
    if (json_object_get(la, "app")) /* a report with the places of a user's program */
        r->lost_accounted.app = rd_u64(rd, la, path, "app");
    if (json_object_get(la, "host"))
        r->lost_accounted.host = rd_u64(rd, la, path, "host");
    if (json_object_get(la, "program"))
        r->lost_accounted.program = rd_u64(rd, la, path, "program");
    r->lost_unexplained = rd_u64(rd, o, w, "lost_unexplained");
    if (json_object_get(o, "lost_behind")) /* absent from older reports */
        r->lost_behind = rd_u64(rd, o, w, "lost_behind");
    rd_stream(rd, o, w, r);
    r->duplicates = rd_u64(rd, o, w, "duplicates");
    r->reordered = rd_u64(rd, o, w, "reordered");
    r->crc_errors = rd_u64(rd, o, w, "crc_errors");
    r->rate_hz = rd_num(rd, o, w, "rate_hz");
    rd_lat(rd, o, w, "latency_us", &r->latency);
    r->backlog_max = rd_u64(rd, o, w, "backlog_max");
    r->drain_max_ns = rd_scaled(rd, o, w, "drain_ms_max", 1e6);
    r->doorbells = rd_u64(rd, o, w, "doorbells");
    r->wakeups = rd_u64(rd, o, w, "wakeups");
    r->missed_wakeups = rd_u64(rd, o, w, "missed_wakeups");
    rd_str(rd, o, w, "backend", r->backend, sizeof(r->backend));
    rd_seed(rd, o, w, &r->seed);
    r->time_scale = rd_num(rd, o, w, "time_scale");
    snprintf(path, sizeof(path), "%s.latency_stage_us", w);
    json_t *ls = rd_get(rd, o, w, "latency_stage_us", is_object, "an object");
    rd_lat(rd, ls, path, "device_driver", &r->lat_dev_drv);
    rd_lat(rd, ls, path, "driver_app", &r->lat_drv_app);
    rd_windows(rd, o, w, r);
    rd_str(rd, o, w, "backlog_source", source, sizeof(source));
    r->backlog_from_records = strcmp(source, "records") == 0;
    rd_drains(rd, o, w, r);
    r->wall_s = rd_num(rd, o, w, "wall_s");
}

static json_t *rd_list(struct rd *rd, json_t *root)
{
    if (json_is_array(root))
        return root;
    if (!json_is_object(root)) {
        rd_fail(rd, "expected an object with \"scenarios\" or an array");
        return NULL;
    }
    return rd_get(rd, root, "report", "scenarios", is_array, "an array");
}

#define RPT_JSON_MAX_BYTES (256LL << 20)

int rpt_json_read(const char *path, struct vfy_result **out, size_t *n, char err[RPT_ERR_MAX])
{
    struct rd rd = {path, err, 0};
    json_error_t je;
    *out = NULL;
    *n = 0;
    /* A regular file of sane size only: a FIFO would hang the reader, /dev/zero fill memory. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, RPT_ERR_MAX, "%s: cannot open: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > RPT_JSON_MAX_BYTES) {
        snprintf(err, RPT_ERR_MAX, "%s: %s", path, !S_ISREG(st.st_mode)
                 ? "not a regular file" : "larger than a report can be (256 MiB)");
        close(fd);
        return -1;
    }
    json_t *root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
    close(fd);
    if (!root) {
        snprintf(err, RPT_ERR_MAX, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return -1;
    }
    json_t *list = rd_list(&rd, root);
    size_t count = json_array_size(list);
    struct vfy_result *r = calloc(count ? count : 1, sizeof(*r));
    if (!r)
        rd_fail(&rd, "out of memory for %zu scenarios", count);
    for (size_t i = 0; r && i < count && !rd.failed; i++) {
        char where[40];
        snprintf(where, sizeof(where), "scenarios[%zu]", i);
        json_t *o = json_array_get(list, i);
        if (!json_is_object(o))
            rd_fail(&rd, "%s: expected an object", where);
        else
            rd_result(&rd, o, where, &r[i]);
    }
    json_decref(root);
    if (rd.failed) {
        rpt_results_free(r, count);
        return -1;
    }
    *out = r;
    *n = count;
    return 0;
}

void rpt_results_free(struct vfy_result *results, size_t n)
{
    for (size_t i = 0; results && i < n; i++)
        vfy_free(&results[i]);
    free(results);
}

/* ---- JUnit ---- */

/* Every reason joined by "; ", as an attribute value. */
static void junit_message(FILE *f, const struct vfy_result *r)
{
    for (size_t i = 0; i < r->n_failures; i++) {
        fputs(i ? "; " : "", f);
        xml_attr(f, r->failures[i]);
    }
}

static void junit_case(FILE *f, const struct vfy_result *r)
{
    fputs("    <testcase classname=\"usbsim\" name=\"", f);
    xml_attr(f, r->name);
    fprintf(f, "\" time=\"%.3f\"", r->wall_s);
    if (r->endpoint) /* the stream judged, as properties of the case (read by most CI tools) */
        fprintf(f, ">\n      <properties><property name=\"endpoint\" value=\"0x%02x\"/>"
                "<property name=\"framing\" value=\"%s\"/></properties", r->endpoint,
                r->raw ? "raw" : "usbsim");
    if (r->pass) {
        fputs(r->endpoint ? ">\n    </testcase>\n" : "/>\n", f);
        return;
    }
    if (r->xfail) { /* an expected failure is a skipped test (pytest's xfail convention) */
        fputs(">\n      <skipped message=\"expected failure: ", f);
        junit_message(f, r);
        fputs("\"/>\n    </testcase>\n", f);
        return;
    }
    fprintf(f, ">\n      <failure type=\"%s\" message=\"",
            vfy_kind_name(r->n_failures ? r->failure_kinds[0] : VFY_KIND_OTHER));
    junit_message(f, r);
    fputs("\">", f);
    for (size_t i = 0; i < r->n_failures; i++) {
        fprintf(f, "[%s] ", vfy_kind_name(r->failure_kinds[i]));
        xml_text(f, r->failures[i]);
        fputc('\n', f);
    }
    fputs("</failure>\n    </testcase>\n", f);
}

int rpt_junit_write(const char *path, const struct vfy_result *results, size_t n,
                    char err[RPT_ERR_MAX])
{
    FILE *f = is_stdout(path) ? stdout : fopen(path, "w");
    if (!f) {
        snprintf(err, RPT_ERR_MAX, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t failed = 0, skipped = 0;
    double time = 0;
    for (size_t i = 0; i < n; i++) {
        skipped += !results[i].pass && results[i].xfail;
        failed += !results[i].pass && !results[i].xfail;
        time += results[i].wall_s;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f, "<testsuites name=\"usbsim\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
               "time=\"%.3f\">\n", n, failed, time);
    fprintf(f, "  <testsuite name=\"usbsim\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
               "skipped=\"%zu\" time=\"%.3f\">\n", n, failed, skipped, time);
    for (size_t i = 0; i < n; i++)
        junit_case(f, &results[i]);
    fputs("  </testsuite>\n</testsuites>\n", f);
    int bad = fflush(f) != 0 || ferror(f);
    if ((f != stdout && fclose(f) != 0) || bad) {
        snprintf(err, RPT_ERR_MAX, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int rpt_junit_error(const char *path, const char *name, int exit_code, const char *why,
                    char err[RPT_ERR_MAX])
{
    FILE *f = is_stdout(path) ? stdout : fopen(path, "w");
    if (!f) {
        snprintf(err, RPT_ERR_MAX, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<testsuites name=\"usbsim\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
          "  <testsuite name=\"usbsim\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
          "    <testcase classname=\"usbsim\" name=\"", f);
    xml_attr(f, name);
    fputs("\" time=\"0\">\n      <error message=\"", f);
    xml_attr(f, why);
    fprintf(f, "\" type=\"%s\">", exit_code == 3 ? "environment" : "usage");
    xml_text(f, why);
    fputs("</error>\n    </testcase>\n  </testsuite>\n</testsuites>\n", f);
    int bad = fflush(f) != 0 || ferror(f);
    if ((f != stdout && fclose(f) != 0) || bad) {
        snprintf(err, RPT_ERR_MAX, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

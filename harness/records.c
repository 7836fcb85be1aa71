/* records — see records.h. */
#include "harness/records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/logfmt.h"

#define MAX_FIELDS 6

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert((int)REC_DROPPED == (int)LF_FATE_DROPPED && (int)REC_HELD == (int)LF_FATE_HELD,
               "fates as logged");
_Static_assert((int)REC_DROP_END == (int)LF_DROP_END &&
                   (int)REC_DROP_DISCONNECT == (int)LF_DROP_DISCONNECT,
               "drop causes as logged");
_Static_assert((int)REC_ST_RING_DROP == (int)LF_ST_RING_DROP && (int)REC_ST_CRC == (int)LF_ST_CRC,
               "statuses as logged");
_Static_assert(LF_DEVICE_COLS <= MAX_FIELDS && LF_APP_COLS <= MAX_FIELDS, "columns");

const char *rec_fate_name(enum rec_fate f) { return lf_name(lf_fate_names, LF_FATE_COUNT, f); }
const char *rec_drop_name(enum rec_drop d) { return lf_name(lf_drop_names, LF_DROP_COUNT, d); }
const char *rec_status_name(enum rec_status s)
{
    return lf_name(lf_status_names, LF_ST_COUNT, s);
}

void rec_fill_produce(struct rec_run *run)
{
    for (size_t i = 0; i < run->n_app; i++) {
        struct rec_app_row *a = &run->app[i];
        size_t lo = 0, hi = run->n_device; /* device rows: strictly increasing seqs */
        while (a->produce_ns == 0 && lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (run->device[mid].seq < a->seq)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (a->produce_ns == 0 && lo < run->n_device && run->device[lo].seq == a->seq)
            a->produce_ns = run->device[lo].produce_ns;
    }
}

void rec_counters_init(struct rec_counters *c)
{
    c->doorbells = c->wakeups = c->ring_high_water = REC_MISSING;
    c->ring_drops = c->crc_rejects = c->missed_wakeups = c->unknown = REC_MISSING;
}

void rec_init(struct rec_run *run)
{
    memset(run, 0, sizeof(*run));
    rec_counters_init(&run->counters);
}

void rec_free(struct rec_run *run)
{
    free(run->device);
    free(run->driver);
    free(run->app);
    run->device = NULL;
    run->driver = NULL;
    run->app = NULL;
    run->n_device = run->n_driver = run->n_app = 0;
}

/* ---- the bounded reader ---- */

int rec_reader_open(struct rec_reader *r, const char *path, size_t max_line, uint64_t max_bytes,
                    char err[REC_ERR_MAX])
{
    *r = (struct rec_reader){.max_line = max_line, .max_bytes = max_bytes};
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block the open */
    if (fd < 0) {
        int e = errno;
        snprintf(err, REC_ERR_MAX, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = S_ISDIR(st.st_mode) ? "not a regular file (a directory)"
              : S_ISFIFO(st.st_mode) ? "not a regular file (a FIFO)"
              : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "not a regular file (a device)"
                                                             : "not a regular file";
    if (why) {
        snprintf(err, REC_ERR_MAX, "%s: %s", path, why);
    } else if ((uint64_t)st.st_size > max_bytes) {
        snprintf(err, REC_ERR_MAX, "%s: the file is %llu bytes; at most %llu", path,
                 (unsigned long long)st.st_size, (unsigned long long)max_bytes);
    } else if (!(r->line = malloc(max_line + 1)) || !(r->f = fdopen(fd, "r"))) {
        snprintf(err, REC_ERR_MAX, "%s: out of memory", path);
    } else {
        return 0;
    }
    free(r->line);
    r->line = NULL;
    close(fd);
    errno = 0;
    return -1;
}

long rec_reader_next(struct rec_reader *r)
{
    size_t n = 0;
    int c = 0;
    while (c != '\n' && (c = getc_unlocked(r->f)) != EOF) {
        if (++r->bytes > r->max_bytes) {
            snprintf(r->why, sizeof r->why, "the file is over %llu bytes",
                     (unsigned long long)r->max_bytes);
            return -1;
        }
        if (n == r->max_line) {
            snprintf(r->why, sizeof r->why, "the line is longer than %zu bytes", r->max_line);
            return -1;
        }
        r->line[n++] = (char)c;
    }
    r->line[n] = '\0';
    if (c == EOF && ferror(r->f)) {
        snprintf(r->why, sizeof r->why, "read error: %s", strerror(errno));
        return -1;
    }
    return (long)n;
}

void rec_reader_close(struct rec_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->line);
    r->f = NULL;
    r->line = NULL;
}

/* ---- one field ---- */

/* A plain decimal integer in [min, max] ('-' allowed only when min < 0). */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    const char *p = s + (*s == '-' && min < 0);
    if (*p == '\0')
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_name(const char *s, const char *const *names, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (uint8_t)i;
            return 0;
        }
    return -1;
}

/* Where a row parser says what is wrong. */
struct why {
    char text[200];
};

static int bad(struct why *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof(w->text), fmt, ap);
    va_end(ap);
    return -1;
}

static int num(struct why *w, const char *field, const char *s, int64_t min, int64_t max,
               int64_t *out)
{
    if (parse_int(s, min, max, out) == 0)
        return 0;
    return bad(w, "%s '%.40s' is not an integer in %lld..%lld", field, s, (long long)min,
               (long long)max);
}

static int word(struct why *w, const char *field, const char *s, const char *const *names,
                size_t n, uint8_t *out)
{
    if (parse_name(s, names, n, out) == 0)
        return 0;
    char allowed[64] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
                 i ? "|" : "", names[i]);
    return bad(w, "%s '%.40s' is not one of %s", field, s, allowed);
}

/* ---- one row per table ---- */

static int device_row(char **f, void *out, struct why *w)
{
    struct rec_device_row *r = out;
    int64_t seq, due, prod, flags;
    if (num(w, "seq", f[0], 0, UINT32_MAX, &seq) || num(w, "due_ns", f[1], 0, INT64_MAX, &due) ||
        num(w, "produce_ns", f[2], 0, INT64_MAX, &prod) ||
        word(w, "fate", f[3], lf_fate_names, LF_FATE_COUNT, &r->fate) ||
        word(w, "drop", f[4], lf_drop_names, LF_DROP_COUNT, &r->drop) ||
        num(w, "flags", f[5], 0, UINT16_MAX, &flags))
        return -1;
    if ((r->fate == REC_DROPPED) != (r->drop != REC_DROP_NONE))
        return bad(w, "fate %s with drop %s (drop is none exactly when fate is not dropped)",
                   f[3], f[4]);
    r->seq = (uint32_t)seq;
    r->due_ns = due;
    r->produce_ns = prod;
    r->flags = (uint16_t)flags;
    return 0;
}

static int driver_row(char **f, void *out, struct why *w)
{
    struct rec_driver_row *r = out;
    if (num(w, "seq", f[0], -1, UINT32_MAX, &r->seq) ||
        num(w, "ingress_ns", f[1], 0, INT64_MAX, &r->ingress_ns) ||
        word(w, "status", f[2], lf_status_names, LF_ST_COUNT, &r->status))
        return -1;
    return 0;
}

static int app_row(char **f, void *out, struct why *w)
{
    struct rec_app_row *r = out;
    int64_t seq, batch;
    if (num(w, "seq", f[0], 0, UINT32_MAX, &seq) ||
        num(w, "recv_ns", f[1], 0, INT64_MAX, &r->recv_ns) ||
        num(w, "produce_ns", f[2], 0, INT64_MAX, &r->produce_ns) ||
        num(w, "ingress_ns", f[3], 0, INT64_MAX, &r->ingress_ns) ||
        num(w, "batch", f[4], 0, INT64_MAX, &batch))
        return -1;
    r->seq = (uint32_t)seq;
    r->batch = (uint64_t)batch;
    return 0;
}

/* ---- the generic table reader ---- */

struct table {
    const char *header;
    size_t nfields;
    size_t elem;
    int (*row)(char **f, void *out, struct why *w);
};

static const struct table device_table = {LF_DEVICE_HEADER, LF_DEVICE_COLS,
                                          sizeof(struct rec_device_row), device_row};
static const struct table driver_table = {LF_DRIVER_HEADER, LF_DRIVER_COLS,
                                          sizeof(struct rec_driver_row), driver_row};
static const struct table app_table = {LF_APP_HEADER, LF_APP_COLS, sizeof(struct rec_app_row),
                                       app_row};

struct vec {
    void **p;
    size_t *n;
    size_t cap;
    size_t elem;
};

/* Room for one more element; NULL when out of memory. */
static void *vec_push(struct vec *v)
{
    if (*v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        void *p = realloc(*v->p, cap * v->elem);
        if (!p)
            return NULL;
        *v->p = p;
        v->cap = cap;
    }
    return (char *)*v->p + (*v->n)++ * v->elem;
}

/* Splits line in place at commas; returns the number of fields (at most max + 1). */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n <= max; p++)
        if (*p == ',') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

/* Checks one line (len bytes) and strips its '\n'. "" when fine, else what is wrong. */
static const char *line_problem(char *line, long len)
{
    if ((size_t)len != strlen(line))
        return "contains a NUL byte";
    if (len == 0 || line[len - 1] != '\n')
        return "does not end with a newline (truncated file?)";
    line[len - 1] = '\0';
    if (len == 1)
        return "empty line";
    return "";
}

static int parse_line(const struct table *t, char *line, struct vec *v, unsigned long lineno,
                      struct why *w)
{
    char *f[MAX_FIELDS + 1];
    size_t n = split(line, f, t->nfields);
    if (n != t->nfields)
        return bad(w, "%s%zu fields, expected %zu (%s)", n > t->nfields ? "more than " : "",
                   n > t->nfields ? t->nfields : n, t->nfields, t->header);
    void *row = vec_push(v);
    if (!row)
        return bad(w, "out of memory after %lu rows", lineno - 2);
    if (t->row(f, row, w) != 0) {
        (*v->n)--;
        return -1;
    }
    return 0;
}

static int read_table(struct rec_reader *rd, const struct table *t, struct vec *v,
                      unsigned long *lineno, struct why *w)
{
    long len;
    int rc = 0;
    *lineno = 0;
    while (rc == 0) {
        ++*lineno;
        if ((len = rec_reader_next(rd)) <= 0)
            break;
        const char *p = line_problem(rd->line, len);
        if (*p)
            rc = bad(w, "%s", p);
        else if (*lineno == 1 && strcmp(rd->line, t->header) != 0)
            rc = bad(w, "header is '%.60s', expected '%s'", rd->line, t->header);
        else if (*lineno > REC_MAX_ROWS + 1)
            rc = bad(w, "more than %llu rows", (unsigned long long)REC_MAX_ROWS);
        else if (*lineno > 1)
            rc = parse_line(t, rd->line, v, *lineno, w);
    }
    if (rc == 0 && len < 0)
        rc = bad(w, "%s", rd->why);
    else if (rc == 0)
        --*lineno;
    if (rc == 0 && *lineno == 0) {
        *lineno = 1;
        rc = bad(w, "empty file, expected the header '%s'", t->header);
    }
    return rc;
}

static int load_table(const char *path, const struct table *t, void **rows, size_t *n,
                      char err[REC_ERR_MAX])
{
    struct rec_reader rd;
    if (rec_reader_open(&rd, path, REC_MAX_LINE, REC_MAX_FILE_BYTES, err) != 0)
        return -1;
    struct vec v = {rows, n, *n, t->elem};
    struct why w;
    unsigned long lineno;
    int rc = read_table(&rd, t, &v, &lineno, &w);
    rec_reader_close(&rd);
    if (rc != 0)
        snprintf(err, REC_ERR_MAX, "%s:%lu: %s", path, lineno, w.text);
    return rc;
}

int rec_load_device(const char *path, struct rec_run *run, char err[REC_ERR_MAX])
{
    size_t first = run->n_device;
    if (load_table(path, &device_table, (void **)&run->device, &run->n_device, err) != 0)
        return -1;
    for (size_t i = first ? first : 1; i < run->n_device; i++)
        if (run->device[i].seq <= run->device[i - 1].seq) {
            snprintf(err, REC_ERR_MAX, "%s:%zu: seq %u after %u: the device log must be in "
                     "strictly increasing seq order", path, i - first + 2, run->device[i].seq,
                     run->device[i - 1].seq);
            return -1;
        }
    return 0;
}

int rec_load_driver(const char *path, struct rec_run *run, char err[REC_ERR_MAX])
{
    return load_table(path, &driver_table, (void **)&run->driver, &run->n_driver, err);
}

int rec_load_app(const char *path, struct rec_run *run, char err[REC_ERR_MAX])
{
    return load_table(path, &app_table, (void **)&run->app, &run->n_app, err);
}

int rec_load_dir(const char *dir, struct rec_run *run, char err[REC_ERR_MAX])
{
    static const struct {
        const char *file;
        int (*load)(const char *, struct rec_run *, char *);
    } files[] = {{REC_DEVICE_CSV, rec_load_device},
                 {REC_DRIVER_CSV, rec_load_driver},
                 {REC_APP_CSV, rec_load_app}};
    rec_init(run);
    for (size_t i = 0; i < COUNT(files); i++) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, files[i].file) >= sizeof(path)) {
            snprintf(err, REC_ERR_MAX, "%.200s: directory name too long", dir);
            rec_free(run);
            return -1;
        }
        if (files[i].load(path, run, err) != 0) {
            rec_free(run);
            return -1;
        }
    }
    return 0;
}

/* ---- counters ---- */

static uint64_t *counter_field(struct rec_counters *c, enum lf_counter k)
{
    uint64_t *const f[LF_C_COUNT] = {
        [LF_C_DOORBELLS] = &c->doorbells, [LF_C_WAKEUPS] = &c->wakeups,
        [LF_C_RING_HIGH_WATER] = &c->ring_high_water, [LF_C_RING_DROPS] = &c->ring_drops,
        [LF_C_CRC_REJECTS] = &c->crc_rejects, [LF_C_MISSED_WAKEUPS] = &c->missed_wakeups,
        [LF_C_UNKNOWN] = &c->unknown};
    return f[k];
}

/* The next line of a counters file into rd->line (its '\n' stripped); "" when fine, else what
 * is wrong. */
static const char *counters_line(struct rec_reader *rd)
{
    long len = rec_reader_next(rd);
    return len < 0 ? rd->why : len == 0 ? "missing (truncated file?)" : line_problem(rd->line, len);
}

/* The names on line 1 as counters: key[i] for names[i]. */
static int counter_keys(char **names, size_t n, int *key, struct why *w)
{
    for (size_t i = 0; i < n; i++) {
        key[i] = -1;
        for (int k = 0; k < LF_C_COUNT; k++)
            if (strcmp(names[i], lf_counter_names[k]) == 0)
                key[i] = k;
        if (key[i] < 0)
            return bad(w, "unknown counter '%.40s'", names[i]);
        for (size_t j = 0; j < i; j++)
            if (key[j] == key[i])
                return bad(w, "counter '%.40s' appears twice", names[i]);
    }
    return 0;
}

/* Line 1: the names; line 2: the values. Sets the counters only when the whole file is good. */
static int read_counters(struct rec_reader *rd, struct rec_counters *c, unsigned long *lineno,
                         struct why *w)
{
    char first[REC_MAX_LINE + 1], *names[LF_C_COUNT + 1], *vals[LF_C_COUNT + 1];
    size_t n = 0, nv = 0;
    int key[LF_C_COUNT];
    int64_t v[LF_C_COUNT];
    const char *p = counters_line(rd);
    int rc = *p ? bad(w, "%s", p) : 0;
    *lineno = 1;
    if (rc == 0) {
        snprintf(first, sizeof first, "%s", rd->line);
        if ((n = split(first, names, LF_C_COUNT)) > LF_C_COUNT)
            rc = bad(w, "more than %d counters", LF_C_COUNT);
    }
    if (rc == 0)
        rc = counter_keys(names, n, key, w);
    if (rc == 0) {
        *lineno = 2;
        p = counters_line(rd);
        rc = *p ? bad(w, "%s", p) : 0;
    }
    if (rc == 0 && (nv = split(rd->line, vals, LF_C_COUNT)) != n)
        rc = nv > LF_C_COUNT ? bad(w, "more than %d values", LF_C_COUNT)
                             : bad(w, "%zu values for %zu counters", nv, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = num(w, names[i], vals[i], 0, INT64_MAX, &v[i]);
    if (rc == 0 && rec_reader_next(rd) != 0) {
        *lineno = 3;
        rc = bad(w, "more than two lines (names, then values)");
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        *counter_field(c, (enum lf_counter)key[i]) = (uint64_t)v[i];
    return rc;
}

int rec_load_counters(const char *path, struct rec_counters *c, char err[REC_ERR_MAX])
{
    struct rec_reader rd;
    if (rec_reader_open(&rd, path, REC_MAX_LINE, REC_MAX_LINE * 2, err) != 0)
        return errno == ENOENT ? 0 : -1;
    struct why w;
    unsigned long lineno;
    int rc = read_counters(&rd, c, &lineno, &w);
    rec_reader_close(&rd);
    if (rc != 0)
        snprintf(err, REC_ERR_MAX, "%s:%lu: %s", path, lineno, w.text);
    return rc;
}

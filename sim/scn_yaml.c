/* scn_yaml — see scn_yaml.h.
 *
 * Safety: the file is scanned for tabs and its size bounded before libyaml sees it; anchors,
 * aliases and tags are refused at the first event that carries one, so no alias is ever expanded
 * (no "billion laughs"); the schema bounds nesting, so the walk's recursion is at most 4 deep.
 */
#include "sim/scn_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct scn_scenario SC;

#define SHOW_MAX 40
#define AT(m) (int)(m).line + 1, (int)(m).column + 1

struct ctx {
    yaml_parser_t p;
    SC *s;
    yaml_event_t ev;
    bool have;
    const char *buf;
    size_t len;
    struct scnk_fail f;
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

static struct scnk_mark mark_of(yaml_mark_t m)
{
    return (struct scnk_mark){m.index, (int)m.line + 1, (int)m.column + 1};
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
    return scnk_failf(&c->f, line, col, "YAML syntax error: %s%s%s; allowed: valid YAML",
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
        return scnk_failf(&c->f, AT(e->start_mark),
                          "alias '*%.40s' is not supported; allowed: each "
                          "value written out (no anchors or aliases)",
                          (const char *)e->data.alias.anchor);
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
        return scnk_failf(&c->f, AT(e->start_mark),
                          "anchor '&%.40s' is not supported; allowed: each "
                          "value written out (no anchors or aliases)",
                          (const char *)anchor);
    if (tag)
        return scnk_failf(&c->f, AT(e->start_mark),
                          "tag '%.40s' is not supported; allowed: untagged values",
                          (const char *)tag);
    return 0;
}

static int value_error(struct ctx *c, const struct scnk_key *k, const char *what)
{
    char a[300];
    scnk_allowed(k, a, sizeof a);
    return scnk_failf(&c->f, AT(c->ev.start_mark), "%s: %s; allowed: %s", k->name, what, a);
}

enum { NUM_OK, NUM_NOT, NUM_HEX, NUM_ZERO, NUM_RANGE, NUM_COUNT };

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

static int parse_number(struct ctx *c, const struct scnk_key *k, char *p)
{
    const yaml_event_t *e = &c->ev;
    const char *t = (const char *)e->data.scalar.value;
    size_t n = e->data.scalar.length;
    char sh[SHOW_MAX + 4], what[128];
    if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        snprintf(what, sizeof what, "'%s' is a quoted string, not a number", show(e, sh));
        return value_error(c, k, what);
    }
    if (k->type == SCNK_T_DOUBLE) {
        double d;
        if (!parse_double(t, n, &d)) {
            snprintf(what, sizeof what, "'%s' is not a number", show(e, sh));
            return value_error(c, k, what);
        }
        if (scnk_check_double(k, d, &c->f))
            return scnk_locate(&c->f, AT(e->start_mark));
        memcpy(p, &d, sizeof d);
        return 0;
    }
    uint64_t v = 0;
    static const char *const why[] = {
        [NUM_NOT] = "is not an integer", [NUM_HEX] = "is hex, not allowed for this key",
        [NUM_ZERO] = "has a leading zero", [NUM_RANGE] = "is out of range"};
    _Static_assert(sizeof why / sizeof why[0] == NUM_COUNT, "a reason for every outcome");
    int rc = parse_uint(t, n, (k->flags & SCNK_HEX) != 0, &v);
    if (rc != NUM_OK) {
        snprintf(what, sizeof what, "'%s' %s", show(e, sh), why[rc]);
        return value_error(c, k, what);
    }
    if (scnk_check_uint(k, v, &c->f))
        return scnk_locate(&c->f, AT(e->start_mark));
    scnk_put(p, k->type == SCNK_T_TIME ? 8 : k->size,
             k->type == SCNK_T_TIME ? v * (uint64_t)k->unit : v);
    return 0;
}

static int parse_scalar(struct ctx *c, const struct scnk_key *k, char *p)
{
    const yaml_event_t *e = &c->ev;
    const char *t = (const char *)e->data.scalar.value;
    size_t n = e->data.scalar.length;
    char sh[SHOW_MAX + 4], what[128];
    if (k->type == SCNK_T_ENUM) {
        for (int i = 0; i < k->nnames; i++) {
            if (k->names[i] && strlen(k->names[i]) == n && memcmp(k->names[i], t, n) == 0) {
                scnk_put(p, k->size, (uint64_t)i);
                return 0;
            }
        }
        snprintf(what, sizeof what, "'%s' is not a known value", show(e, sh));
        return value_error(c, k, what);
    }
    if (k->type == SCNK_T_BYTES) {
        uint8_t tmp[SCN_MAX_BYTES];
        size_t len;
        if (scnk_parse_hex(k, t, n, tmp, &len, &c->f))
            return scnk_locate(&c->f, AT(e->start_mark));
        if (scn_bytes_add(c->s, (struct scn_bytes *)(void *)p, tmp, len))
            return scnk_failf(&c->f, AT(e->start_mark), "%s: the hex strings of the scenario "
                              "together are over %d bytes; allowed: at most %d bytes in all",
                              k->name, SCN_BYTES_POOL, SCN_BYTES_POOL);
        return 0;
    }
    if (k->type == SCNK_T_STR) {
        if (scnk_check_str(k, t, n, &c->f))
            return scnk_locate(&c->f, AT(e->start_mark));
        memcpy(p, t, n);
        p[n] = 0;
        return 0;
    }
    return parse_number(c, k, p);
}

static int parse_map(struct ctx *c, const struct scnk_table *t, void *base, const char *what);

static int parse_list(struct ctx *c, const struct scnk_key *k, char *base)
{
    char a[300];
    size_t n = 0;
    for (;;) {
        if (next(c))
            return -1;
        const yaml_event_t *e = &c->ev;
        if (e->type == YAML_SEQUENCE_END_EVENT)
            return 0;
        scnk_allowed(k, a, sizeof a);
        if (e->type != YAML_MAPPING_START_EVENT)
            return scnk_failf(&c->f, AT(e->start_mark),
                              "%s: an item is %s, not a mapping; allowed: %s", k->name,
                              node_kind(e), a);
        if (n >= k->hi)
            return scnk_failf(&c->f, AT(e->start_mark), "%s: more than %llu items; allowed: %s",
                         k->name, (unsigned long long)k->hi, a);
        char *item = base + k->off + n * k->item_size;
        int lc[2] = {AT(e->start_mark)};
        memcpy(item + k->lc, lc, sizeof lc);
        if (parse_map(c, k->sub, item, k->sub->what))
            return -1;
        scnk_put(base + k->count_off, sizeof(size_t), ++n);
    }
}

static int parse_value(struct ctx *c, const struct scnk_key *k, char *base)
{
    const yaml_event_t *e = &c->ev;
    char *p = base + k->off;
    yaml_event_type_t want = k->type == SCNK_T_MAP    ? YAML_MAPPING_START_EVENT
                             : k->type == SCNK_T_LIST ? YAML_SEQUENCE_START_EVENT
                                                  : YAML_SCALAR_EVENT;
    if (e->type != want) {
        char what[96];
        snprintf(what, sizeof what, "%s where %s is needed", node_kind(e),
                 want == YAML_MAPPING_START_EVENT ? "a mapping"
                 : want == YAML_SEQUENCE_START_EVENT ? "a list" : "a single value");
        return value_error(c, k, what);
    }
    int rc = k->type == SCNK_T_MAP ? parse_map(c, k->sub, p, k->name)
             : k->type == SCNK_T_LIST ? parse_list(c, k, base)
                                  : parse_scalar(c, k, p);
    if (rc == 0 && k->has)
        scnk_put(base + k->has - 1, 1, 1);
    return rc;
}

static int find_key(const struct scnk_table *t, const char *s, size_t n)
{
    for (int i = 0; i < t->n; i++)
        if (strlen(t->keys[i].name) == n && memcmp(t->keys[i].name, s, n) == 0)
            return i;
    return -1;
}

/* After a mapping: its kind, keys it needs or forbids, its cross-field rule. */
static int map_done(struct ctx *c, const struct scnk_table *t, void *base, const char *what,
                    const struct scnk_seen *seen, yaml_mark_t map)
{
    char l[384];
    if (t->kind && t->kind(base, seen, mark_of(map), &c->f))
        return -1;
    for (int i = 0; i < t->n; i++) {
        enum scnk_need nd = scnk_need_of(t, base, i);
        if (seen[i].on && nd == SCNK_NEED_NO) {
            scnk_key_list(t, base, SCNK_L_ALLOWED, l, sizeof l);
            return scnk_failf(&c->f, seen[i].key.line, seen[i].key.col,
                              "%s does not apply to %s; allowed: %s", t->keys[i].name,
                              scnk_ctx(t, base), l);
        }
        if (!seen[i].on && nd == SCNK_NEED_REQ) {
            scnk_key_list(t, base, SCNK_L_REQ, l, sizeof l);
            return scnk_failf(&c->f, AT(map), "missing required key '%s' in %s; required: %s",
                         t->keys[i].name, what, l);
        }
    }
    if (t->rule && t->rule(base, c->s, &c->f))
        return scnk_locate(&c->f, AT(map));
    return 0;
}

static int parse_map(struct ctx *c, const struct scnk_table *t, void *base, const char *what)
{
    struct scnk_seen seen[SCNK_MAX_KEYS] = {{0}};
    yaml_mark_t map = c->ev.start_mark;
    char l[384], sh[SHOW_MAX + 4];
    for (;;) {
        if (next(c))
            return -1;
        const yaml_event_t *e = &c->ev;
        if (e->type == YAML_MAPPING_END_EVENT)
            break;
        scnk_key_list(t, NULL, SCNK_L_ALL, l, sizeof l);
        if (e->type != YAML_SCALAR_EVENT)
            return scnk_failf(&c->f, AT(e->start_mark),
                              "a key in %s is %s, not a name; allowed: %s", what, node_kind(e), l);
        int i = find_key(t, (const char *)e->data.scalar.value, e->data.scalar.length);
        if (i < 0)
            return scnk_failf(&c->f, AT(e->start_mark), "unknown key '%s' in %s; allowed: %s",
                         show(e, sh), what, l);
        if (seen[i].on)
            return scnk_failf(&c->f, AT(e->start_mark),
                              "duplicate key '%s' in %s (first at line %d); "
                              "allowed: each key once",
                              t->keys[i].name, what, seen[i].key.line);
        seen[i] = (struct scnk_seen){true, mark_of(e->start_mark)};
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
        return scnk_failf(&c->f, 1, 1, "the file is empty; allowed: %s", top_allowed);
    if (next(c))
        return -1;
    if (c->ev.type != YAML_MAPPING_START_EVENT)
        return scnk_failf(&c->f, AT(c->ev.start_mark), "the top level is %s; allowed: %s",
                     node_kind(&c->ev), top_allowed);
    /* the mapping, then the document end and the stream end */
    if (parse_map(c, &scnk_top, s, scnk_top.what) || next(c) || next(c))
        return -1;
    if (c->ev.type != YAML_STREAM_END_EVENT)
        return scnk_failf(&c->f, AT(c->ev.start_mark),
                          "a second YAML document; allowed: one document per file");
    return 0;
}


int scny_read(const char *buf, size_t len, SC *out, struct scnk_fail *f)
{
    struct ctx c = {.s = out, .buf = buf ? buf : "", .len = buf ? len : 0};
    if (c.len >= 3 && memcmp(c.buf, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 BOM: skipped */
        c.buf += 3;
        c.len -= 3;
    }
    const char *tab = memchr(c.buf, '\t', c.len);
    int rc = -1;
    if (len > SCN_MAX_FILE_BYTES) {
        scnk_failf(&c.f, 1, 1, "the file is %zu bytes; allowed: at most %d bytes", len,
                   SCN_MAX_FILE_BYTES);
    } else if (tab) {
        int line, col;
        pos_at(c.buf, c.len, (size_t)(tab - c.buf), &line, &col);
        scnk_failf(&c.f, line, col,
                   "a tab character; allowed: spaces (YAML indents with spaces only)");
    } else if (!yaml_parser_initialize(&c.p)) {
        scnk_failf(&c.f, 1, 1, "out of memory; allowed: a smaller file");
    } else {
        yaml_parser_set_input_string(&c.p, (const unsigned char *)c.buf, c.len);
        yaml_parser_set_encoding(&c.p, YAML_UTF8_ENCODING);
        rc = parse_doc(&c, out);
        if (c.have)
            yaml_event_delete(&c.ev);
        yaml_parser_delete(&c.p);
    }
    *f = c.f;
    return rc;
}

/* recording — see recording.h. */
#include "sim/recording.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void rec_file_free(struct rec_file *r)
{
    free(r->p);
    free(r->bytes);
    memset(r, 0, sizeof *r);
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*buf, n * elem);
    if (!p)
        return -1;
    *buf = p;
    *cap = n;
    return 0;
}

static int ep_ok(uint8_t ep) { return ep >= 0x81 && ep <= 0x8f; }

int rec_add(struct rec_file *r, int64_t t_us, uint8_t ep, const uint8_t *data, uint32_t len)
{
    if (!ep_ok(ep) || len > REC_MAX_PACKET || r->n >= REC_MAX_PACKETS || t_us < 0 ||
        t_us > REC_MAX_TIME_US || (r->n && t_us < r->p[r->n - 1].t_us) || (len && !data))
        return -1;
    if (grow((void **)&r->p, &r->cap, r->n + 1, sizeof *r->p) != 0 ||
        grow((void **)&r->bytes, &r->bytes_cap, r->nbytes + len + 1, 1) != 0)
        return -1;
    r->p[r->n++] = (struct rec_packet){.t_us = t_us, .ep = ep, .len = len, .off = r->nbytes};
    if (len)
        memcpy(r->bytes + r->nbytes, data, len);
    r->nbytes += len;
    return 0;
}

static int fail(char *err, const char *name, size_t line, const char *fmt, ...)
{
    char msg[180];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line)
        snprintf(err, REC_FILE_ERR_MAX, "%.100s:%zu: %.180s", name, line, msg);
    else
        snprintf(err, REC_FILE_ERR_MAX, "%.100s: %.180s", name, msg);
    return -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One packet line [s, e): 0, or -1 with the message (no position) in msg. */
static int parse_line(struct rec_file *r, const char *s, const char *e, uint8_t *scratch,
                      char *msg, size_t mlen)
{
    const char *p = s;
    int64_t t = 0;
    if (p == e || *p < '0' || *p > '9')
        return snprintf(msg, mlen, "expected a time in microseconds (decimal) first"), -1;
    while (p < e && *p >= '0' && *p <= '9') {
        if (t > REC_MAX_TIME_US / 10)
            return snprintf(msg, mlen, "the time is beyond a year (%" PRId64 " us)",
                            (int64_t)REC_MAX_TIME_US), -1;
        t = t * 10 + (*p++ - '0');
    }
    if (t > REC_MAX_TIME_US)
        return snprintf(msg, mlen, "the time is beyond a year (%" PRId64 " us)",
                        (int64_t)REC_MAX_TIME_US), -1;
    if (p == e || *p != ' ')
        return snprintf(msg, mlen, "expected one space after the time"), -1;
    p++;
    if (e - p < 4 || p[0] != '0' || p[1] != 'x' || hexval(p[2]) < 0 || hexval(p[3]) < 0)
        return snprintf(msg, mlen, "expected an endpoint address as 0x81..0x8f after the time"),
               -1;
    uint8_t ep = (uint8_t)(hexval(p[2]) << 4 | hexval(p[3]));
    p += 4;
    if (!ep_ok(ep))
        return snprintf(msg, mlen, "endpoint 0x%02x is not an IN endpoint (0x81..0x8f)", ep), -1;
    if (p == e || *p != ' ')
        return snprintf(msg, mlen, "expected one space after the endpoint"), -1;
    p++;
    uint32_t n = 0;
    if (e - p == 1 && *p == '-') {
        p++;
    } else {
        if (p == e)
            return snprintf(msg, mlen, "expected the packet's bytes in hexadecimal (or - for none)"),
                   -1;
        if ((size_t)(e - p) > 2u * REC_MAX_PACKET)
            return snprintf(msg, mlen, "a packet is at most %u bytes", REC_MAX_PACKET), -1;
        for (; p < e; p += 2) {
            int hi = hexval(p[0]), lo = p + 1 < e ? hexval(p[1]) : -1;
            if (hi < 0 || lo < 0) {
                if (p + 1 >= e && hi >= 0)
                    return snprintf(msg, mlen, "odd number of hexadecimal digits"), -1;
                return snprintf(msg, mlen, "'%c' in the packet's bytes: hexadecimal pairs only",
                                hi < 0 ? p[0] : p[1]), -1;
            }
            scratch[n++] = (uint8_t)(hi << 4 | lo);
        }
    }
    if (r->n && t < r->p[r->n - 1].t_us)
        return snprintf(msg, mlen, "time %" PRId64 " us is before the previous packet's (%" PRId64
                        " us)", t, r->p[r->n - 1].t_us), -1;
    if (r->n >= REC_MAX_PACKETS)
        return snprintf(msg, mlen, "more than %u packets", REC_MAX_PACKETS), -1;
    if (rec_add(r, t, ep, scratch, n) != 0)
        return snprintf(msg, mlen, "out of memory"), -1;
    return 0;
}

int rec_parse(const char *name, const char *text, size_t len, struct rec_file *r,
              char err[REC_FILE_ERR_MAX])
{
    memset(r, 0, sizeof *r);
    if (len > REC_MAX_FILE)
        return fail(err, name, 0, "larger than %llu bytes", (unsigned long long)REC_MAX_FILE);
    uint8_t *scratch = malloc(REC_MAX_PACKET);
    if (!scratch)
        return fail(err, name, 0, "out of memory");
    size_t line = 0, pos = 0;
    int rc = 0;
    char msg[200];
    while (pos < len) {
        line++;
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        const char *e = nl ? nl : text + len;
        pos = (size_t)(e - text) + (nl ? 1 : 0);
        if (e > s && e[-1] == '\r')
            e--;
        if (memchr(s, '\0', (size_t)(e - s))) {
            rc = fail(err, name, line, "a NUL byte: this is not a text file");
            break;
        }
        if (line == 1) {
            size_t hl = strlen(REC_HEADER);
            int ok = (size_t)(e - s) > hl + 1 && memcmp(s, REC_HEADER " ", hl + 1) == 0;
            unsigned long v = 0;
            const char *p = s + hl + 1;
            for (; ok && p < e && *p >= '0' && *p <= '9' && v < 1000000; p++)
                v = v * 10 + (unsigned long)(*p - '0');
            if (!ok || p != e || p == s + hl + 1) {
                rc = fail(err, name, line, "not a usbsim recording: the first line must be '"
                          REC_HEADER " %d'", REC_VERSION);
                break;
            }
            if (v != REC_VERSION) {
                rc = fail(err, name, line, "recording format version %lu; this usbsim reads "
                          "version %d", v, REC_VERSION);
                break;
            }
            continue;
        }
        if (s == e || *s == '#')
            continue;
        if (parse_line(r, s, e, scratch, msg, sizeof msg) != 0) {
            rc = fail(err, name, line, "%s", msg);
            break;
        }
    }
    if (rc == 0 && line == 0)
        rc = fail(err, name, 0, "empty: not a usbsim recording");
    free(scratch);
    if (rc != 0)
        rec_file_free(r);
    return rc;
}

int rec_load(const char *path, struct rec_file *r, char err[REC_FILE_ERR_MAX])
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, path, 0, "%s", strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (grow((void **)&buf, &cap, n + 65536, 1) != 0) {
            rc = fail(err, path, 0, "out of memory");
            break;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > REC_MAX_FILE) {
            rc = fail(err, path, 0, "larger than %llu bytes", (unsigned long long)REC_MAX_FILE);
            break;
        }
        if (got == 0) {
            if (ferror(f))
                rc = fail(err, path, 0, "cannot read: %s", strerror(errno ? errno : EIO));
            break;
        }
    }
    fclose(f);
    if (rc == 0)
        rc = rec_parse(path, buf ? buf : "", n, r, err);
    free(buf);
    return rc;
}

int rec_write(const struct rec_file *r, FILE *f)
{
    static const char hex[] = "0123456789abcdef";
    fprintf(f, "%s %d\n", REC_HEADER, REC_VERSION);
    for (size_t i = 0; i < r->n; i++) {
        const struct rec_packet *p = &r->p[i];
        fprintf(f, "%" PRId64 " 0x%02x ", p->t_us, p->ep);
        const uint8_t *b = rec_bytes(r, i);
        for (uint32_t k = 0; k < p->len; k++) {
            putc(hex[b[k] >> 4], f);
            putc(hex[b[k] & 15], f);
        }
        fputs(p->len ? "\n" : "-\n", f);
    }
    return ferror(f) ? -1 : 0;
}

int rec_save(const char *path, const struct rec_file *r, char err[REC_FILE_ERR_MAX])
{
    FILE *f = fopen(path, "w");
    if (!f)
        return fail(err, path, 0, "cannot write: %s", strerror(errno));
    int bad = rec_write(r, f) != 0;
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad)
        return fail(err, path, 0, "write failed: %s", strerror(e ? e : EIO));
    return 0;
}

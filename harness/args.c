/* args — see args.h. */
#include "harness/args.h"
#include "sim/exitcode.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int arg_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !all_digits(s, strlen(s)))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* digits [. digits] [e|E [+|-] digits], at least one digit before the exponent. */
static bool decimal_number(const char *s)
{
    size_t int_digits = strspn(s, "0123456789");
    s += int_digits;
    size_t frac_digits = 0;
    if (*s == '.') {
        frac_digits = strspn(s + 1, "0123456789");
        s += 1 + frac_digits;
    }
    if (int_digits + frac_digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        size_t exp_digits = strspn(s, "0123456789");
        if (exp_digits == 0)
            return false;
        s += exp_digits;
    }
    return *s == '\0';
}

int arg_double(const char *s, double lo, double hi, double *out)
{
    if (!s || !decimal_number(s))
        return -1;
    errno = 0;
    double v = strtod(s, NULL);
    if (errno || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int hex16(const char *s, size_t n, uint64_t *out)
{
    if (n < 1 || n > 4 || strspn(s, "0123456789abcdefABCDEF") < n)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        v = v * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    *out = v;
    return 0;
}

static int read_value(const struct arg_opt *o, const char *s, struct arg_val *v)
{
    const char *sep;
    switch (o->kind) {
    case ARG_FLAG: return -1;
    case ARG_U64: return arg_u64(s, o->lo, o->hi, &v->u);
    case ARG_POW2:
        return arg_u64(s, o->lo, o->hi, &v->u) != 0 || (v->u & (v->u - 1)) != 0 ? -1 : 0;
    case ARG_DOUBLE: return arg_double(s, o->min, o->max, &v->d);
    case ARG_ENUM:
        for (size_t i = 0; o->values && o->values[i]; i++)
            if (strcmp(s, o->values[i]) == 0)
                return v->u = i, 0;
        return -1;
    case ARG_PATH: return *s && strcmp(s, "-") != 0 ? 0 : -1;
    case ARG_OUTPUT:
    case ARG_TEXT: return *s ? 0 : -1;
    case ARG_VIDPID:
        sep = strchr(s, ':');
        return sep && hex16(s, (size_t)(sep - s), &v->u) == 0 &&
                       hex16(sep + 1, strlen(sep + 1), &v->u2) == 0
                   ? 0 : -1;
    case ARG_HOSTPORT:
        sep = strrchr(s, ':');
        if (!sep || sep == s || arg_u64(sep + 1, 1, 65535, &v->u) != 0)
            return -1;
        v->u2 = (uint64_t)(sep - s);
        return 0;
    case ARG_SHARD: {
        sep = strchr(s, '/');
        char k[24];
        if (!sep || (size_t)(sep - s) >= sizeof k)
            return -1;
        memcpy(k, s, (size_t)(sep - s));
        k[sep - s] = '\0';
        if (arg_u64(sep + 1, 1, 1000000, &v->u2) != 0 || arg_u64(k, 1, v->u2, &v->u) != 0)
            return -1;
        return 0;
    }
    }
    return -1;
}

/* What option o takes, as a phrase: "a whole number from 1 to 50". */
static void takes(const struct arg_opt *o, char *buf, size_t len)
{
    size_t n = 0;
    switch (o->kind) {
    case ARG_FLAG: snprintf(buf, len, "no value"); break;
    case ARG_U64:
    case ARG_POW2:
        if (o->hi == UINT64_MAX)
            snprintf(buf, len, "a whole number from %llu to 18446744073709551615",
                     (unsigned long long)o->lo);
        else
            snprintf(buf, len, "%s from %llu to %llu",
                     o->kind == ARG_POW2 ? "a power of two" : "a whole number",
                     (unsigned long long)o->lo, (unsigned long long)o->hi);
        break;
    case ARG_DOUBLE: snprintf(buf, len, "a number from %g to %g", o->min, o->max); break;
    case ARG_ENUM:
        buf[0] = '\0';
        for (size_t i = 0; o->values && o->values[i] && n < len; i++)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", i == 0 ? "" : o->values[i + 1] ? ", "
                                                                                      : " or ",
                                  o->values[i]);
        break;
    case ARG_PATH: snprintf(buf, len, "a file name"); break;
    case ARG_OUTPUT: snprintf(buf, len, "a file name or - (standard output)"); break;
    case ARG_TEXT: snprintf(buf, len, "%s", o->meta ? o->meta : "a value"); break;
    case ARG_VIDPID: snprintf(buf, len, "VID:PID in hexadecimal (e.g. 1209:0001)"); break;
    case ARG_HOSTPORT: snprintf(buf, len, "HOST:PORT with a port from 1 to 65535"); break;
    case ARG_SHARD: snprintf(buf, len, "K/N with 1 <= K <= N <= 1000000"); break;
    }
}

int arg_value(const struct arg_opt *o, const char *s, struct arg_val *v, char *err, size_t len)
{
    struct arg_val x = {.set = true, .s = s};
    if (read_value(o, s, &x) != 0) {
        char what[160];
        takes(o, what, sizeof what);
        snprintf(err, len, "--%s takes %s, not '%s'", o->name, what, s);
        return -1;
    }
    char why[128];
    if (o->writes && strcmp(s, "-") != 0 && arg_writable(s, why, sizeof why) != 0) {
        snprintf(err, len, "--%s %s: %s", o->name, s, why);
        return -1;
    }
    *v = x;
    return 0;
}

int arg_writable(const char *path, char *why, size_t len)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return snprintf(why, len, "is a folder, not a file"), -1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    if (stat(dir, &st) != 0)
        return snprintf(why, len, "no folder %s", dir), -1;
    if (!S_ISDIR(st.st_mode))
        return snprintf(why, len, "%s is not a folder", dir), -1;
    if (access(dir, W_OK | X_OK) != 0)
        return snprintf(why, len, "cannot write in %s: %s", dir, strerror(errno)), -1;
    return 0;
}

static int find(const struct arg_opt *const *opts, size_t n, const char *name, size_t nlen,
                char letter)
{
    for (size_t i = 0; i < n; i++)
        if (letter ? opts[i]->letter == letter
                   : strlen(opts[i]->name) == nlen && memcmp(opts[i]->name, name, nlen) == 0)
            return (int)i;
    return -1;
}

int arg_parse(const struct arg_opt *const *opts, size_t n, int argc, char **argv,
              struct arg_val *vals, char **pos, int *npos, char *err, size_t len)
{
    bool only_pos = false;
    *npos = 0;
    for (size_t i = 0; i < n; i++)
        vals[i] = (struct arg_val){0};
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (only_pos || w[0] != '-' || w[1] == '\0') {
            pos[(*npos)++] = argv[i];
            continue;
        }
        if (strcmp(w, "--") == 0) {
            only_pos = true;
            continue;
        }
        const char *eq = w[1] == '-' ? strchr(w, '=') : NULL;
        int k = w[1] == '-' ? find(opts, n, w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2), 0)
                : w[2] == '\0' ? find(opts, n, NULL, 0, w[1]) : -1;
        if (k < 0) {
            snprintf(err, len, "unknown option '%.*s'", eq ? (int)(eq - w) : (int)strlen(w), w);
            return -1;
        }
        const struct arg_opt *o = opts[k];
        if (o->kind == ARG_FLAG) {
            if (eq) {
                snprintf(err, len, "--%s takes no value, not '%s'", o->name, eq + 1);
                return -1;
            }
            vals[k] = (struct arg_val){.set = true};
            continue;
        }
        const char *value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!value) {
            char what[160];
            takes(o, what, sizeof what);
            snprintf(err, len, "--%s needs a value: %s", o->name, what);
            return -1;
        }
        if (arg_value(o, value, &vals[k], err, len) != 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (opts[i]->required && !vals[i].set) {
            snprintf(err, len, "needs --%s %s", opts[i]->name, opts[i]->meta ? opts[i]->meta : "");
            return -1;
        }
    return 0;
}

/* The value's name in help: meta, or the enumeration "a|b|c", or one from the kind. */
static void meta(const struct arg_opt *o, char *buf, size_t len)
{
    static const char *const by_kind[] = {
        [ARG_FLAG] = "", [ARG_U64] = "N", [ARG_POW2] = "N", [ARG_DOUBLE] = "X", [ARG_ENUM] = "",
        [ARG_PATH] = "FILE", [ARG_OUTPUT] = "FILE", [ARG_TEXT] = "TEXT", [ARG_VIDPID] = "VID:PID",
        [ARG_HOSTPORT] = "HOST:PORT", [ARG_SHARD] = "K/N"};
    size_t n = 0;
    buf[0] = '\0';
    if (o->meta)
        snprintf(buf, len, "%s", o->meta);
    else if (o->kind == ARG_ENUM)
        for (size_t i = 0; o->values && o->values[i] && n < len; i++)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "|" : "", o->values[i]);
    else
        snprintf(buf, len, "%s", by_kind[o->kind]);
}

void arg_synopsis(FILE *f, const char *lead, size_t indent, const struct arg_opt *const *opts,
                  size_t n)
{
    size_t col = (size_t)fprintf(f, "%s", lead);
    for (size_t i = 0; i < n; i++) {
        char m[128], word[192];
        if (opts[i]->hidden)
            continue;
        meta(opts[i], m, sizeof m);
        int len = snprintf(word, sizeof word, "%s--%s%s%s%s", opts[i]->required ? "" : "[",
                           opts[i]->name, *m ? " " : "", m, opts[i]->required ? "" : "]");
        if (col + 1 + (size_t)len > 100) {
            col = (size_t)fprintf(f, "\n%*s", (int)indent, "") - 1;
        } else {
            col += (size_t)fprintf(f, " ");
        }
        col += (size_t)fprintf(f, "%s", word);
    }
    fputc('\n', f);
}

void arg_help(FILE *f, const struct arg_opt *const *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char m[128], head[192];
        if (opts[i]->hidden)
            continue;
        meta(opts[i], m, sizeof m);
        int len = opts[i]->letter
                      ? snprintf(head, sizeof head, "  -%c, --%s%s%s", opts[i]->letter,
                                 opts[i]->name, *m ? " " : "", m)
                      : snprintf(head, sizeof head, "      --%s%s%s", opts[i]->name,
                                 *m ? " " : "", m);
        fputs(head, f);
        const int col = 24;
        if (len >= col - 1)
            fprintf(f, "\n%*s", col, "");
        else
            fprintf(f, "%*s", col - len, "");
        for (const char *p = opts[i]->help ? opts[i]->help : ""; *p; p++) {
            fputc(*p, f);
            if (*p == '\n' && p[1])
                fprintf(f, "%*s", col, "");
        }
        fputc('\n', f);
    }
}

int arg_usage(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "usbsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'usbsim %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
    return XC_USAGE;
}

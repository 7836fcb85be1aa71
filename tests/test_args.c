/* Tests for harness/args: every value kind (exact messages), the argv walker, help text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/args.h"
#include "tests/cu.h"

static char err[ARG_ERR_MAX];

/* arg_value of o on s: 0 with *v, or -1 with the message in err. */
static int value(const struct arg_opt *o, const char *s, struct arg_val *v)
{
    err[0] = '\0';
    struct arg_val dummy;
    return arg_value(o, s, v ? v : &dummy, err, sizeof err);
}

static void test_u64_decimal_only(void)
{
    uint64_t v = 7;
    CU_ASSERT(arg_u64("0", 0, 10, &v) == 0 && v == 0);
    CU_ASSERT(arg_u64("010", 0, 100, &v) == 0 && v == 10); /* decimal, not octal */
    CU_ASSERT(arg_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
    v = 7;
    CU_ASSERT(arg_u64("18446744073709551616", 0, UINT64_MAX, &v) == -1); /* overflow */
    CU_ASSERT(arg_u64("0x10", 0, 100, &v) == -1);
    CU_ASSERT(arg_u64(" 1", 0, 100, &v) == -1);
    CU_ASSERT(arg_u64(" -1", 0, UINT64_MAX, &v) == -1);
    CU_ASSERT(arg_u64("-1", 0, UINT64_MAX, &v) == -1);
    CU_ASSERT(arg_u64("+1", 0, 100, &v) == -1);
    CU_ASSERT(arg_u64("1 ", 0, 100, &v) == -1);
    CU_ASSERT(arg_u64("", 0, 100, &v) == -1);
    CU_ASSERT(arg_u64("1e3", 0, 10000, &v) == -1);
    CU_ASSERT(arg_u64("11", 0, 10, &v) == -1);
    CU_ASSERT(arg_u64("4", 5, 10, &v) == -1);
    CU_ASSERT(v == 7); /* untouched on failure */
}

static void test_double_decimal_only(void)
{
    double d = -1;
    CU_ASSERT(arg_double("20", 0.001, 10000, &d) == 0 && d == 20);
    CU_ASSERT(arg_double("0.5", 0.001, 10000, &d) == 0 && d == 0.5);
    CU_ASSERT(arg_double(".5", 0.001, 10000, &d) == 0 && d == 0.5);
    CU_ASSERT(arg_double("5.", 0.001, 10000, &d) == 0 && d == 5);
    CU_ASSERT(arg_double("1e7", 1, 1e7, &d) == 0 && d == 1e7);
    CU_ASSERT(arg_double("2.5E-1", 0.001, 10, &d) == 0 && d == 0.25);
    d = -1;
    CU_ASSERT(arg_double("0x10", 0, 100, &d) == -1);
    CU_ASSERT(arg_double("inf", 0, 1e300, &d) == -1);
    CU_ASSERT(arg_double("nan", 0, 100, &d) == -1);
    CU_ASSERT(arg_double(" 1", 0, 100, &d) == -1);
    CU_ASSERT(arg_double("-1", -10, 100, &d) == -1);
    CU_ASSERT(arg_double("1e", 0, 100, &d) == -1);
    CU_ASSERT(arg_double(".", 0, 100, &d) == -1);
    CU_ASSERT(arg_double("1.2.3", 0, 100, &d) == -1);
    CU_ASSERT(arg_double("0.0001", 0.001, 100, &d) == -1);
    CU_ASSERT(arg_double("", 0, 100, &d) == -1);
    CU_ASSERT(d == -1);
}

static void test_number_messages(void)
{
    const struct arg_opt seed = {.name = "seed", .kind = ARG_U64, .hi = UINT64_MAX};
    const struct arg_opt runs = {.name = "runs", .kind = ARG_U64, .lo = 1, .hi = 50};
    const struct arg_opt slots = {.name = "slots", .kind = ARG_POW2, .lo = 8, .hi = 1048576};
    const struct arg_opt scale = {.name = "time-scale", .kind = ARG_DOUBLE, .min = 0.001,
                                  .max = 10000};
    struct arg_val v;
    CU_ASSERT(value(&seed, "010", &v) == 0 && v.set && v.u == 10 && strcmp(v.s, "010") == 0);
    CU_ASSERT(value(&seed, " -1", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--seed takes a whole number from 0 to 18446744073709551615, "
                                "not ' -1'");
    CU_ASSERT(value(&runs, "0", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--runs takes a whole number from 1 to 50, not '0'");
    CU_ASSERT(value(&slots, "256", &v) == 0 && v.u == 256);
    CU_ASSERT(value(&slots, "7", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--slots takes a power of two from 8 to 1048576, not '7'");
    CU_ASSERT(value(&slots, "24", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--slots takes a power of two from 8 to 1048576, not '24'");
    CU_ASSERT(value(&scale, "20", &v) == 0 && v.d == 20);
    CU_ASSERT(value(&scale, "0", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--time-scale takes a number from 0.001 to 10000, not '0'");
}

static void test_enumeration(void)
{
    static const char *const three[] = {"block", "drop-newest", "drop-oldest", NULL};
    static const char *const two[] = {"usbip", "ffs", NULL};
    const struct arg_opt overflow = {.name = "overflow", .kind = ARG_ENUM, .values = three};
    const struct arg_opt backend = {.name = "backend", .kind = ARG_ENUM, .values = two};
    struct arg_val v;
    CU_ASSERT(value(&overflow, "drop-oldest", &v) == 0 && v.u == 2);
    CU_ASSERT(value(&overflow, "Block", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--overflow takes block, drop-newest or drop-oldest, not 'Block'");
    CU_ASSERT(value(&backend, "", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--backend takes usbip or ffs, not ''");
}

static void test_vid_pid_is_hex(void)
{
    const struct arg_opt dev = {.name = "device", .kind = ARG_VIDPID};
    struct arg_val v;
    CU_ASSERT(value(&dev, "1209:0001", &v) == 0 && v.u == 0x1209 && v.u2 == 0x0001);
    CU_ASSERT(value(&dev, "ffff:A", &v) == 0 && v.u == 0xffff && v.u2 == 0xa);
    const char *bad[] = {"1209", "1209:", ":1", "12345:1", "12g9:1", "0x12:1", " 12:1", "12:1 ",
                         "-1:1", "12:1:3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT(value(&dev, bad[i], NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--device takes VID:PID in hexadecimal (e.g. 1209:0001), "
                                "not '12:1:3'");
}

static void test_host_port(void)
{
    const struct arg_opt c = {.name = "connect", .kind = ARG_HOSTPORT};
    struct arg_val v;
    CU_ASSERT(value(&c, "127.0.0.1:3240", &v) == 0 && v.u == 3240 && v.u2 == 9);
    CU_ASSERT(value(&c, "::1:80", &v) == 0 && v.u == 80 && v.u2 == 3); /* the last ':' splits */
    const char *bad[] = {"host", ":80", "host:", "host:0", "host:65536", "host:0x50", "host: 80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT(value(&c, bad[i], NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--connect takes HOST:PORT with a port from 1 to 65535, "
                                "not 'host: 80'");
}

static void test_shard(void)
{
    const struct arg_opt s = {.name = "shard", .kind = ARG_SHARD};
    struct arg_val v;
    CU_ASSERT(value(&s, "2/4", &v) == 0 && v.u == 2 && v.u2 == 4);
    CU_ASSERT(value(&s, "1/1", &v) == 0 && v.u == 1 && v.u2 == 1);
    CU_ASSERT(value(&s, "1000000/1000000", &v) == 0);
    const char *bad[] = {"0/4", "5/4", "1/0", "1/1000001", "1", "1/", "/1", "01/4x", " 1/4",
                         "1/4/4", "-1/4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT(value(&s, bad[i], NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--shard takes K/N with 1 <= K <= N <= 1000000, not '-1/4'");
}

static void test_paths_and_text(void)
{
    const struct arg_opt path = {.name = "html", .kind = ARG_PATH};
    const struct arg_opt out = {.name = "json", .kind = ARG_OUTPUT};
    const struct arg_opt text = {.name = "udc", .kind = ARG_TEXT};
    struct arg_val v;
    CU_ASSERT(value(&out, "-", &v) == 0 && strcmp(v.s, "-") == 0);
    CU_ASSERT(value(&out, "r.json", &v) == 0);
    CU_ASSERT(value(&out, "", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--json takes a file name or - (standard output), not ''");
    CU_ASSERT(value(&path, "a.html", &v) == 0);
    CU_ASSERT(value(&path, "-", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--html takes a file name, not '-'");
    CU_ASSERT(value(&text, "dummy_udc.0", &v) == 0);
    CU_ASSERT(value(&text, "", NULL) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--udc takes a value, not ''");
}

/* A small command: --seed N, --json FILE, -q/--quiet, --socket PATH (required). */
static const struct arg_opt o_seed = {.name = "seed", .kind = ARG_U64, .hi = UINT64_MAX,
                                      .help = "the seed"};
static const struct arg_opt o_json = {.name = "json", .kind = ARG_OUTPUT, .help = "report"};
static const struct arg_opt o_quiet = {.name = "quiet", .letter = 'q', .kind = ARG_FLAG,
                                       .help = "less"};
static const struct arg_opt o_socket = {.name = "socket", .kind = ARG_PATH, .meta = "PATH",
                                        .required = true, .help = "where\nthe socket is"};
static const struct arg_opt *const opts[] = {&o_socket, &o_seed, &o_json, &o_quiet};
#define NOPTS 4

static struct arg_val vals[NOPTS];
static char *pos[16];
static int npos;

static int parse(int argc, char **argv)
{
    err[0] = '\0';
    return arg_parse(opts, NOPTS, argc, argv, vals, pos, &npos, err, sizeof err);
}

static void test_parse_forms(void)
{
    char *a[] = {"cmd", "x.yaml", "--seed", "5", "--json=-", "-q", "-", "--socket", "s",
                 "--", "--seed", NULL};
    CU_ASSERT_FATAL(parse(11, a) == 0);
    CU_ASSERT(vals[1].set && vals[1].u == 5);
    CU_ASSERT(vals[2].set && strcmp(vals[2].s, "-") == 0);
    CU_ASSERT(vals[3].set);
    CU_ASSERT(vals[0].set && strcmp(vals[0].s, "s") == 0);
    CU_ASSERT_FATAL(npos == 3);
    CU_ASSERT_STRING_EQUAL(pos[0], "x.yaml");
    CU_ASSERT_STRING_EQUAL(pos[1], "-");
    CU_ASSERT_STRING_EQUAL(pos[2], "--seed"); /* after "--", a word */

    char *b[] = {"cmd", "--socket", "s", "--json", "-", "--seed", "1", "--seed", "2", NULL};
    CU_ASSERT(parse(9, b) == 0 && strcmp(vals[2].s, "-") == 0 && vals[1].u == 2); /* last wins */
    CU_ASSERT(npos == 0 && !vals[3].set);
}

static void test_parse_errors(void)
{
    char *a[] = {"cmd", "--socket", "s", "--bogus", NULL};
    CU_ASSERT(parse(4, a) == -1);
    CU_ASSERT_STRING_EQUAL(err, "unknown option '--bogus'");
    char *b[] = {"cmd", "--socket", "s", "--bogus=1", NULL};
    CU_ASSERT(parse(4, b) == -1);
    CU_ASSERT_STRING_EQUAL(err, "unknown option '--bogus'");
    char *c[] = {"cmd", "--socket", "s", "-x", NULL};
    CU_ASSERT(parse(4, c) == -1);
    CU_ASSERT_STRING_EQUAL(err, "unknown option '-x'");
    char *d[] = {"cmd", "--socket", "s", "--seed", NULL};
    CU_ASSERT(parse(4, d) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--seed needs a value: a whole number from 0 to "
                                "18446744073709551615");
    char *e[] = {"cmd", "--socket", "s", "--quiet=yes", NULL};
    CU_ASSERT(parse(4, e) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--quiet takes no value, not 'yes'");
    char *f[] = {"cmd", "--seed", "1", NULL};
    CU_ASSERT(parse(3, f) == -1);
    CU_ASSERT_STRING_EQUAL(err, "needs --socket PATH");
    char *g[] = {"cmd", "--socket", "s", "--seed", "010x", NULL};
    CU_ASSERT(parse(5, g) == -1);
    CU_ASSERT_STRING_EQUAL(err, "--seed takes a whole number from 0 to 18446744073709551615, "
                                "not '010x'");
    char *h[] = {"cmd", "--sock", "s", NULL}; /* no abbreviations */
    CU_ASSERT(parse(3, h) == -1);
    CU_ASSERT_STRING_EQUAL(err, "unknown option '--sock'");
}

/* What f printed, via a temporary file. */
static char *printed(void (*print)(FILE *f))
{
    static char buf[4096];
    FILE *f = tmpfile();
    CU_ASSERT_FATAL(f != NULL);
    print(f);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void print_synopsis(FILE *f)
{
    arg_synopsis(f, "usage: usbsim x FILE", 15, opts, NOPTS);
}

static void print_help(FILE *f)
{
    arg_help(f, opts, NOPTS);
}

static void test_synopsis_and_help(void)
{
    CU_ASSERT_STRING_EQUAL(printed(print_synopsis),
                           "usage: usbsim x FILE --socket PATH [--seed N] [--json FILE] "
                           "[--quiet]\n");
    CU_ASSERT_STRING_EQUAL(printed(print_help),
                           "      --socket PATH     where\n"
                           "                        the socket is\n"
                           "      --seed N          the seed\n"
                           "      --json FILE       report\n"
                           "  -q, --quiet           less\n");
}

static CU_TestInfo tests[] = {
    {"u64: decimal only, no space, no sign, range", test_u64_decimal_only},
    {"double: decimal only, no hex/inf/nan, range", test_double_decimal_only},
    {"numbers: messages name the option", test_number_messages},
    {"enumerations", test_enumeration},
    {"VID:PID is hexadecimal", test_vid_pid_is_hex},
    {"HOST:PORT", test_host_port},
    {"K/N shard", test_shard},
    {"paths, '-' and text", test_paths_and_text},
    {"argv: --o V, --o=V, -L, '-', '--', last wins", test_parse_forms},
    {"argv: errors, exact messages", test_parse_errors},
    {"synopsis and help from the declarations", test_synopsis_and_help},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("args", tests); }

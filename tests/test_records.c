/* Tests of harness/records: CSV round trips through temporary files and strict errors. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/records.h"
#include "tests/cu.h"

static char dir[64];

static int setup(void)
{
    strcpy(dir, "/tmp/usbsim-test-records-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static void path_of(char *out, size_t len, const char *file)
{
    snprintf(out, len, "%s/%s", dir, file);
}

/* Writes text (length len, may hold NUL bytes) to dir/file. */
static void put_file(const char *file, const char *text, size_t len)
{
    char p[128];
    path_of(p, sizeof(p), file);
    FILE *f = fopen(p, "w");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT(fwrite(text, 1, len, f) == len);
    fclose(f);
}

static void put(const char *file, const char *text) { put_file(file, text, strlen(text)); }

static void remove_all(void)
{
    const char *files[] = {REC_DEVICE_CSV, REC_DRIVER_CSV, REC_APP_CSV, "x.csv"};
    for (size_t i = 0; i < 4; i++) {
        char p[128];
        path_of(p, sizeof(p), files[i]);
        unlink(p);
    }
}

static void test_round_trip(void)
{
    char p[128];
    path_of(p, sizeof(p), REC_DEVICE_CSV);
    FILE *f = fopen(p, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "%s\n", REC_CSV_HEADER_DEVICE);
    for (unsigned i = 0; i < 4; i++)
        fprintf(f, "%u,%u,%llu,%s,%s,%u\n", i * 2, i * 10000000u,
                i == 2 ? 0ULL : 5000000000000ULL + i, rec_fate_name(i == 2 ? REC_DROPPED : i % 2),
                rec_drop_name(i == 2 ? REC_DROP_FIFO : REC_DROP_NONE), i == 3 ? 7u : 0u);
    fclose(f);
    put(REC_DRIVER_CSV, REC_CSV_HEADER_DRIVER "\n-1,42,crc\n4294967295,9223372036854775807,"
                        "ring-drop\n3,7,ok\n");
    put(REC_APP_CSV, REC_CSV_HEADER_APP "\n0,100,50,70,0\n6,200,150,170,1\n");
    struct rec_run r;
    char err[REC_ERR_MAX];
    int rc = rec_load_dir(dir, &r, err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(r.n_device, 4);
    CU_ASSERT_EQUAL(r.device[1].seq, 2);
    CU_ASSERT_EQUAL(r.device[1].due_ns, 10000000);
    CU_ASSERT_EQUAL(r.device[1].produce_ns, 5000000000001LL);
    CU_ASSERT_EQUAL(r.device[1].fate, REC_HELD);
    CU_ASSERT_EQUAL(r.device[2].fate, REC_DROPPED);
    CU_ASSERT_EQUAL(r.device[2].drop, REC_DROP_FIFO);
    CU_ASSERT_EQUAL(r.device[2].produce_ns, 0);
    CU_ASSERT_EQUAL(r.device[3].flags, 7);
    CU_ASSERT_EQUAL(r.n_driver, 3);
    CU_ASSERT_EQUAL(r.driver[0].seq, -1);
    CU_ASSERT_EQUAL(r.driver[0].status, REC_ST_CRC);
    CU_ASSERT_EQUAL(r.driver[1].seq, 4294967295LL);
    CU_ASSERT_EQUAL(r.driver[1].ingress_ns, INT64_MAX);
    CU_ASSERT_EQUAL(r.driver[1].status, REC_ST_RING_DROP);
    CU_ASSERT_EQUAL(r.driver[2].status, REC_ST_OK);
    CU_ASSERT_EQUAL(r.n_app, 2);
    CU_ASSERT_EQUAL(r.app[1].seq, 6);
    CU_ASSERT_EQUAL(r.app[1].recv_ns, 200);
    CU_ASSERT_EQUAL(r.app[1].produce_ns, 150);
    CU_ASSERT_EQUAL(r.app[1].ingress_ns, 170);
    CU_ASSERT_EQUAL(r.app[1].batch, 1);
    CU_ASSERT_EQUAL(r.counters.ring_high_water, REC_MISSING);
    rec_free(&r);
    CU_ASSERT_EQUAL(r.n_device + r.n_driver + r.n_app, 0);
    CU_ASSERT_PTR_NULL(r.device);
    remove_all();
}

/* Loads text as a file of the given kind and checks the error is exactly "PATH:want". */
static void expect_error(int (*load)(const char *, struct rec_run *, char *), const char *text,
                         size_t len, const char *want)
{
    char p[128], full[REC_ERR_MAX], err[REC_ERR_MAX] = "";
    path_of(p, sizeof(p), "x.csv");
    put_file("x.csv", text, len);
    struct rec_run r;
    rec_init(&r);
    CU_ASSERT_EQUAL(load(p, &r, err), -1);
    snprintf(full, sizeof(full), "%s:%s", p, want);
    if (strcmp(err, full) != 0)
        fprintf(stderr, "\n  got  '%s'\n  want '%s'\n", err, full);
    CU_ASSERT_STRING_EQUAL(err, full);
    rec_free(&r);
    remove_all();
}

#define DEV REC_CSV_HEADER_DEVICE "\n"
#define BAD(load, text, want) expect_error(load, text, sizeof(text) - 1, want)

static void test_malformed(void)
{
    BAD(rec_load_device, "", "1: empty file, expected the header '" REC_CSV_HEADER_DEVICE "'");
    BAD(rec_load_device, "seq,due\n",
        "1: header is 'seq,due', expected '" REC_CSV_HEADER_DEVICE "'");
    BAD(rec_load_device, DEV "0,0,1,sent,none,0\n1,0,1,sent,none\n",
        "3: 5 fields, expected 6 (" REC_CSV_HEADER_DEVICE ")");
    BAD(rec_load_device, DEV "0,0,1,sent,none,0,9,9\n",
        "2: more than 6 fields, expected 6 (" REC_CSV_HEADER_DEVICE ")");
    BAD(rec_load_device, DEV "0,0,1,lost,none,0\n",
        "2: fate 'lost' is not one of sent|held|dropped");
    BAD(rec_load_device, DEV "0,0,1,sent,gone,0\n",
        "2: drop 'gone' is not one of none|stall|fifo|disconnect|end");
    BAD(rec_load_device, DEV "0,0,1,dropped,none,0\n",
        "2: fate dropped with drop none (drop is none exactly when fate is not dropped)");
    BAD(rec_load_device, DEV "0, 5,1,sent,none,0\n",
        "2: due_ns ' 5' is not an integer in 0..9223372036854775807");
    BAD(rec_load_device, DEV "-1,5,1,sent,none,0\n",
        "2: seq '-1' is not an integer in 0..4294967295");
    BAD(rec_load_device, DEV "4294967296,5,1,sent,none,0\n",
        "2: seq '4294967296' is not an integer in 0..4294967295");
    BAD(rec_load_device, DEV "0,5,1,sent,none,65536\n",
        "2: flags '65536' is not an integer in 0..65535");
    BAD(rec_load_device, DEV "0,5,1,sent,none,0\n1,5,99999999999999999999,sent,none,0\n",
        "3: produce_ns '99999999999999999999' is not an integer in 0..9223372036854775807");
    BAD(rec_load_device, DEV "0,0,1,sent,none,0\n3,0,1,sent,none,0\n3,0,1,sent,none,0\n",
        "4: seq 3 after 3: the device log must be in strictly increasing seq order");
    BAD(rec_load_device, DEV "0,0,1,sent,none,0\n\n", "3: empty line");
    BAD(rec_load_device, DEV "0,0,1,sent,none,0\n1,0,1,sent,none,0",
        "3: does not end with a newline (truncated file?)");
    BAD(rec_load_device, DEV "0,0,1,s\0nt,none,0\n", "2: contains a NUL byte");
    BAD(rec_load_device, DEV "0,,1,sent,none,0\n",
        "2: due_ns '' is not an integer in 0..9223372036854775807");
    BAD(rec_load_driver, REC_CSV_HEADER_DRIVER "\n-2,5,ok\n",
        "2: seq '-2' is not an integer in -1..4294967295");
    BAD(rec_load_driver, REC_CSV_HEADER_DRIVER "\n1,5,OK\n",
        "2: status 'OK' is not one of ok|crc|ring-drop");
    BAD(rec_load_driver, REC_CSV_HEADER_DRIVER "\r\n1,5,ok\r\n",
        "1: header is '" REC_CSV_HEADER_DRIVER "\r', expected '" REC_CSV_HEADER_DRIVER "'");
    BAD(rec_load_app, REC_CSV_HEADER_APP "\n1,2,3,4,x5\n",
        "2: batch 'x5' is not an integer in 0..9223372036854775807");
    BAD(rec_load_app, REC_CSV_HEADER_APP "\n1,+2,3,4,5\n",
        "2: recv_ns '+2' is not an integer in 0..9223372036854775807");
}

static void test_missing_file(void)
{
    struct rec_run r;
    char err[REC_ERR_MAX], want[256];
    put(REC_DEVICE_CSV, DEV "0,0,1,sent,none,0\n");
    put(REC_DRIVER_CSV, REC_CSV_HEADER_DRIVER "\n");
    CU_ASSERT_EQUAL(rec_load_dir(dir, &r, err), -1);
    snprintf(want, sizeof(want), "%s/%s: cannot open: No such file or directory", dir,
             REC_APP_CSV);
    CU_ASSERT_STRING_EQUAL(err, want);
    CU_ASSERT_EQUAL(r.n_device, 0);
    CU_ASSERT_PTR_NULL(r.device);
    remove_all();
}

/* 10^6 rows load, in order, with geometric growth. */
static void test_large(void)
{
    char p[128];
    path_of(p, sizeof(p), REC_APP_CSV);
    FILE *f = fopen(p, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, "%s\n", REC_CSV_HEADER_APP);
    for (unsigned i = 0; i < 1000000; i++)
        fprintf(f, "%u,%u,%u,%u,%u\n", i, 3 * i + 2, 3 * i, 3 * i + 1, i / 64);
    fclose(f);
    struct rec_run r;
    char err[REC_ERR_MAX];
    rec_init(&r);
    CU_ASSERT_EQUAL_FATAL(rec_load_app(p, &r, err), 0);
    CU_ASSERT_EQUAL(r.n_app, 1000000);
    CU_ASSERT_EQUAL(r.app[999999].seq, 999999);
    CU_ASSERT_EQUAL(r.app[999999].recv_ns, 3 * 999999 + 2);
    CU_ASSERT_EQUAL(r.app[999999].batch, 999999 / 64);
    rec_free(&r);
    remove_all();
}


/* Counters: a good file sets what it names; an absent file or counter is "not measured"; a
 * malformed file is an error naming FILE:LINE and changes nothing. */
static void counters_bad(const char *text, const char *want_tail)
{
    struct rec_counters c;
    char p[128], err[REC_ERR_MAX] = "", want[256];
    rec_counters_init(&c);
    put("counters.csv", text);
    path_of(p, sizeof p, "counters.csv");
    CU_ASSERT_EQUAL(rec_load_counters(p, &c, err), -1);
    snprintf(want, sizeof want, "%s:%s", p, want_tail);
    CU_ASSERT_STRING_EQUAL(err, want);
    CU_ASSERT_EQUAL(c.doorbells, REC_MISSING);
    CU_ASSERT_EQUAL(c.wakeups, REC_MISSING);
    unlink(p);
}

static void test_counters(void)
{
    struct rec_counters c;
    char p[128], err[REC_ERR_MAX] = "";
    rec_counters_init(&c);
    path_of(p, sizeof p, "counters.csv");
    CU_ASSERT_EQUAL(rec_load_counters(p, &c, err), 0); /* absent: not measured */
    CU_ASSERT_EQUAL(c.doorbells, REC_MISSING);
    put("counters.csv", LF_DRIVER_COUNTERS_HEADER "\n3,4,5,6,7\n");
    CU_ASSERT_EQUAL_FATAL(rec_load_counters(p, &c, err), 0);
    CU_ASSERT_EQUAL(c.doorbells, 3);
    CU_ASSERT_EQUAL(c.wakeups, 4);
    CU_ASSERT_EQUAL(c.ring_high_water, 5);
    CU_ASSERT_EQUAL(c.ring_drops, 6);
    CU_ASSERT_EQUAL(c.crc_rejects, 7);
    CU_ASSERT_EQUAL(c.missed_wakeups, REC_MISSING); /* not in this file */
    put("counters.csv", LF_APP_COUNTERS_HEADER "\n0\n");
    CU_ASSERT_EQUAL_FATAL(rec_load_counters(p, &c, err), 0);
    CU_ASSERT_EQUAL(c.missed_wakeups, 0);
    CU_ASSERT_EQUAL(c.doorbells, 3);
    CU_ASSERT_EQUAL(c.unknown, REC_MISSING); /* measured only for a raw stream */
    put("counters.csv", LF_APP_COUNTERS_RAW_HEADER "\n1,4\n");
    CU_ASSERT_EQUAL_FATAL(rec_load_counters(p, &c, err), 0);
    CU_ASSERT_EQUAL(c.missed_wakeups, 1);
    CU_ASSERT_EQUAL(c.unknown, 4);
    unlink(p);
    counters_bad("doorbells,wakeups\n1,x2\n",
                 "2: wakeups 'x2' is not an integer in 0..9223372036854775807");
    counters_bad("doorbells,bogus\n1,2\n", "1: unknown counter 'bogus'");
    counters_bad("doorbells,doorbells\n1,2\n", "1: counter 'doorbells' appears twice");
    counters_bad("doorbells,wakeups\n1\n", "2: 1 values for 2 counters");
    counters_bad("doorbells,wakeups\n1,2", "2: does not end with a newline (truncated file?)");
    counters_bad("doorbells,wakeups\n", "2: missing (truncated file?)");
    counters_bad("", "1: missing (truncated file?)");
    counters_bad("doorbells\n1\n2\n", "3: more than two lines (names, then values)");
    counters_bad("doorbells,wakeups,ring_high_water,ring_drops,crc_rejects,missed_wakeups,"
                 "unknown,x\n1\n",
                 "1: more than 7 counters");
    counters_bad("doorbells\n1,2\n", "2: 2 values for 1 counters");
    counters_bad("doorbells\n-1\n", "2: doorbells '-1' is not an integer in 0..9223372036854775807");
}

/* Only regular files are read (a FIFO would block, a device never end), a line is at most
 * REC_MAX_LINE bytes and a file at most REC_MAX_FILE_BYTES: over a bound, FILE:LINE and -1. */
static void test_bounds(void)
{
    char p[128], err[REC_ERR_MAX] = "", want[256];
    struct rec_run r;
    struct rec_counters c;
    rec_init(&r);
    rec_counters_init(&c);
    const char *specials[] = {"/dev/zero", "/dev/null", dir};
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(rec_load_app(specials[i], &r, err), -1);
        snprintf(want, sizeof want, "%s: not a regular file", specials[i]);
        CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
        CU_ASSERT_EQUAL(rec_load_counters(specials[i], &c, err), -1);
        CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    }
    path_of(p, sizeof p, "fifo.csv");
    CU_ASSERT_FATAL(mkfifo(p, 0600) == 0);
    int keep = open(p, O_RDWR | O_NONBLOCK); /* a writer that never writes: a read would block */
    CU_ASSERT_FATAL(keep >= 0);
    alarm(20);
    CU_ASSERT_EQUAL(rec_load_device(p, &r, err), -1);
    CU_ASSERT_EQUAL(rec_load_counters(p, &c, err), -1);
    alarm(0);
    snprintf(want, sizeof want, "%s: not a regular file", p);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    close(keep);
    unlink(p);
    CU_ASSERT_EQUAL(r.n_device + r.n_app, 0);
    CU_ASSERT_EQUAL(c.doorbells, REC_MISSING);

    /* a line of REC_MAX_LINE bytes is read; one byte more is an error on its line */
    static char text[REC_MAX_LINE * 2 + 256];
    size_t n = (size_t)snprintf(text, sizeof text, "%s\n0,", REC_CSV_HEADER_APP);
    size_t pad = REC_MAX_LINE - strlen("0,1,1,1,1\n");
    memset(text + n, '0', pad);
    n += pad;
    n += (size_t)snprintf(text + n, sizeof text - n, "1,1,1,1\n");
    char f[128];
    path_of(f, sizeof f, REC_APP_CSV);
    put_file(REC_APP_CSV, text, n);
    CU_ASSERT_EQUAL(rec_load_app(f, &r, err), 0);
    CU_ASSERT_EQUAL(r.n_app, 1);
    rec_free(&r);
    memmove(text + n - 8, "01,1,1,1\n", 9);
    put_file(REC_APP_CSV, text, n + 1);
    CU_ASSERT_EQUAL(rec_load_app(f, &r, err), -1);
    snprintf(want, sizeof want, "%s:2: the line is longer than %d bytes", f, REC_MAX_LINE);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    /* a huge line without a newline: an error at once, not a buffer as big as the file */
    memset(text, '7', sizeof text);
    put_file(REC_APP_CSV, text, sizeof text);
    CU_ASSERT_EQUAL(rec_load_app(f, &r, err), -1);
    snprintf(want, sizeof want, "%s:1: the line is longer than", f);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    put_file("counters.csv", text, REC_MAX_LINE + 2);
    path_of(p, sizeof p, "counters.csv");
    CU_ASSERT_EQUAL(rec_load_counters(p, &c, err), -1);
    snprintf(want, sizeof want, "%s:1: the line is longer than", p);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    unlink(p);
    /* a file over the size bound (sparse: nothing is written) */
    put(REC_APP_CSV, REC_CSV_HEADER_APP "\n");
    CU_ASSERT_FATAL(truncate(f, (off_t)REC_MAX_FILE_BYTES + 1) == 0);
    CU_ASSERT_EQUAL(rec_load_app(f, &r, err), -1);
    snprintf(want, sizeof want, "%s: the file is %llu bytes; at most %llu", f,
             (unsigned long long)REC_MAX_FILE_BYTES + 1, (unsigned long long)REC_MAX_FILE_BYTES);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    CU_ASSERT_EQUAL(r.n_app, 0);
    remove_all();
}

static void test_cleanup(void) { CU_ASSERT_EQUAL(rmdir(dir), 0); }

static CU_TestInfo tests[] = {
    {"round trip", test_round_trip},
    {"malformed rows name FILE:LINE", test_malformed},
    {"missing file", test_missing_file},
    {"10^6 rows", test_large},
    {"counters: strict, absent is not measured", test_counters},
    {"regular files only, lines and files bounded", test_bounds},
    {"no files left behind", test_cleanup},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    if (setup() != 0) {
        perror("mkdtemp");
        return 1;
    }
    return cu_main("records", tests);
}

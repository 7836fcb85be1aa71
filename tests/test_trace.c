/* Tests of harness/trace on synthetic traces built from the scenario's plan: a full trace
 * passes, a missing line fails naming its seq, bad bytes fail, malformed lines are reported
 * as FILE:LINE, and `usbsim verify` gives run's exit codes. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/trace.h"
#include "sim/packet.h"
#include "sim/schedule.h"
#include "tests/cu.h"

static char dir[64], file[128], out[128];

static const char STEADY[] = "name: t\nduration_ms: 1000\nexpect:\n  delivered_min_ratio: 1.0\n"
                             "  lost_max: 0\n  order: strict\n  rate_hz: {min: 98, max: 102}\n";
static const char CORRUPT[] = "name: c\nduration_ms: 1000\ndevice:\n  events:\n"
                              "    - {at_ms: 300, corrupt: 2}\nexpect:\n  lost_max: 2\n"
                              "  order: strict\n";

struct gen {
    int bytes;          /* write bytes_hex */
    long skip;          /* seq left out, -1 none */
    long flip;          /* seq whose bytes get one bit flipped, -1 none */
    long gap_from;      /* seqs gap_from.. gap_from+4 left out, the next says dropped_before 5 */
    uint64_t seed_xor;  /* payload seed changed */
    int64_t clock_off;  /* added to produce times in the bytes (another clock) */
};

static void setup_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/usbsim-trace-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(file, sizeof file, "%s/trace.csv", dir);
    snprintf(out, sizeof out, "%s/out", dir);
}

static void cleanup_dir(void)
{
    unlink(file);
    unlink(out);
    rmdir(dir);
}

static void scenario(const char *yaml, struct scn_scenario *sc)
{
    char err[SCN_ERR_MAX];
    CU_ASSERT_FATAL(scn_parse("t.yaml", yaml, strlen(yaml), sc, err) == 0);
}

/* What an ideal receiver would log: every packet the plan sends, 1 ms after it leaves. */
static void write_trace(const struct scn_scenario *sc, const struct gen *g)
{
    struct sched plan;
    char err[SCN_ERR_MAX];
    CU_ASSERT_FATAL(sched_build(sc, &plan, err) == 0);
    FILE *f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f, g->bytes ? "seq,recv_ns,bytes_hex\n" : "seq,recv_ns\n");
    int64_t t0 = 5000000000LL;
    uint32_t next = 0; /* the device's next seq after the last one it sent */
    for (size_t k = 0; k < plan.n; k++) {
        const struct sched_sample *s = &plan.samples[k];
        int gap = g->gap_from >= 0 && (long)k >= g->gap_from && (long)k < g->gap_from + 5;
        if (s->fate == SCHED_DROPPED || gap)
            continue;
        uint32_t before = (uint32_t)k - next;
        next = (uint32_t)k + 1;
        if ((long)k == g->skip || (!g->bytes && (s->flags & PKT_F_CORRUPT)))
            continue;
        fprintf(f, "%zu,%lld", k, (long long)(t0 + s->send_ns + 1000000));
        if (g->bytes) {
            uint8_t b[PKT_MAX_SIZE];
            struct pkt_fields pf = {.seq = (uint32_t)k,
                                    .produce_ns = (uint64_t)(t0 + s->due_ns + g->clock_off),
                                    .dropped_before = (uint16_t)before};
            pkt_encode(b, sc->device.packet_size, sc->seed ^ g->seed_xor, &pf,
                       (s->flags & PKT_F_CORRUPT) != 0);
            if ((long)k == g->flip)
                b[30] ^= 1;
            fputc(',', f);
            for (uint32_t i = 0; i < sc->device.packet_size; i++)
                fprintf(f, "%02x", b[i]);
        }
        fputc('\n', f);
    }
    fclose(f);
    sched_free(&plan);
}

/* Loads and judges the trace; returns the verdict (0 pass) and keeps the result. */
static int judge(const struct scn_scenario *sc, struct vfy_result *res, struct trace_info *info)
{
    struct rec_run run;
    char err[TRACE_ERR_MAX];
    int rc = trace_load(file, sc, &run, info, err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_FATAL(rc == 0);
    int v = trace_judge(sc, &run, info, res);
    rec_free(&run);
    return v;
}

static int has_failure(const struct vfy_result *r, const char *text)
{
    for (size_t i = 0; i < r->n_failures; i++)
        if (strstr(r->failures[i], text))
            return 1;
    return 0;
}

static const struct gen FULL = {.skip = -1, .flip = -1, .gap_from = -1};

static void test_full_trace_passes(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    for (int bytes = 0; bytes < 2; bytes++) {
        struct gen g = FULL;
        g.bytes = bytes;
        write_trace(&sc, &g);
        struct vfy_result res;
        struct trace_info info;
        CU_ASSERT(judge(&sc, &res, &info) == 0);
        CU_ASSERT(res.produced == 100 && res.delivered == 100 && res.n_failures == 0);
        CU_ASSERT(info.has_bytes == bytes && info.lines == 100);
        CU_ASSERT(!bytes || info.same_clock);
        /* 1 ms after it left the device; without bytes, relative to the fastest packet */
        CU_ASSERT(res.latency.p50_ns == (bytes ? 1000000 : 0));
        CU_ASSERT(res.rate_hz > 99.9 && res.rate_hz < 100.1);
        vfy_free(&res);
    }
    cleanup_dir();
}

static void test_missing_line_fails_naming_it(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    for (int bytes = 0; bytes < 2; bytes++) {
        struct gen g = FULL;
        g.bytes = bytes;
        g.skip = 42;
        write_trace(&sc, &g);
        struct vfy_result res;
        struct trace_info info;
        CU_ASSERT(judge(&sc, &res, &info) == 1);
        CU_ASSERT(res.lost_unexplained == 1);
        CU_ASSERT(has_failure(&res, "missing: seq 42 "));
        vfy_free(&res);
    }
    cleanup_dir();
}

static void test_bad_bytes_fail(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    struct gen g = FULL;
    g.bytes = 1;
    g.flip = 10; /* a payload bit: the CRC no longer matches */
    write_trace(&sc, &g);
    struct vfy_result res;
    struct trace_info info;
    CU_ASSERT(judge(&sc, &res, &info) == 1);
    CU_ASSERT(res.lost_accounted.crc == 1 && res.delivered == 99);
    CU_ASSERT(has_failure(&res, "lost_max 0"));
    vfy_free(&res);
    g.flip = -1;
    g.seed_xor = 1; /* sound CRC, another payload */
    write_trace(&sc, &g);
    CU_ASSERT(judge(&sc, &res, &info) == 1);
    CU_ASSERT(info.payload_bad == 100);
    CU_ASSERT(has_failure(&res, "payload is not the scenario's"));
    CU_ASSERT(res.failure_kinds[res.n_failures - 1] == VFY_KIND_INTEGRITY);
    vfy_free(&res);
    cleanup_dir();
}

static void test_corrupt_gap_and_clock(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(CORRUPT, &sc);
    struct vfy_result res;
    struct trace_info info;
    for (int bytes = 0; bytes < 2; bytes++) { /* corrupted packets: absent, or bad CRC */
        struct gen g = FULL;
        g.bytes = bytes;
        write_trace(&sc, &g);
        CU_ASSERT(judge(&sc, &res, &info) == 0);
        CU_ASSERT(res.lost_accounted.crc == 2 && res.crc_errors == 0);
        vfy_free(&res);
    }
    /* the receiver's clock is another machine's: still judged, latency from the fastest */
    struct gen g = FULL;
    g.bytes = 1;
    g.clock_off = 777000000000LL;
    write_trace(&sc, &g);
    CU_ASSERT(judge(&sc, &res, &info) == 0);
    CU_ASSERT(!info.same_clock && res.latency.p50_ns == 0);
    vfy_free(&res);
    /* five packets the device dropped, as the next packet's dropped_before says */
    scenario(STEADY, &sc);
    g = FULL;
    g.bytes = 1;
    g.gap_from = 50;
    write_trace(&sc, &g);
    CU_ASSERT(judge(&sc, &res, &info) == 1);
    CU_ASSERT(res.lost_accounted.device == 5 && res.lost_unexplained == 0);
    vfy_free(&res);
    cleanup_dir();
}

static void expect_error(const struct scn_scenario *sc, const char *text, const char *where)
{
    FILE *f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
    struct rec_run run;
    struct trace_info info;
    char err[TRACE_ERR_MAX] = "", want[256];
    snprintf(want, sizeof want, "%s%s", file, where);
    CU_ASSERT(trace_load(file, sc, &run, &info, err) == -1);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
    if (strncmp(err, want, strlen(want)) != 0)
        fprintf(stderr, "\n  got '%s', want '%s...'\n", err, want);
    CU_ASSERT(run.n_app == 0 && run.n_device == 0 && strchr(err, '\n') == NULL);
}

static void test_malformed_lines(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    expect_error(&sc, "", ": empty");
    expect_error(&sc, "seq,recv\n0,1\n", ":1: the header");
    expect_error(&sc, "seq,recv_ns\n0,100\n1,x00\n", ":3: recv_ns");
    expect_error(&sc, "seq,recv_ns\n0,100\n-1,200\n", ":3: seq");
    expect_error(&sc, "seq,recv_ns\n4294967296,100\n", ":2: seq");
    expect_error(&sc, "seq,recv_ns\n0,100\n1\n", ":3: 1 fields");
    expect_error(&sc, "seq,recv_ns\n0,100\n1,200,ab\n", ":3: 3 fields");
    expect_error(&sc, "seq,recv_ns\n0,100\n\n", ":3: 1 fields");
    expect_error(&sc, "seq,recv_ns\n0,100\n1,50\n", ":3: recv_ns 50 is before");
    expect_error(&sc, "seq,recv_ns\n0,100\n1,200", ":3: the last line has no newline");
    expect_error(&sc, "seq,recv_ns,bytes_hex\n0,100,abc\n", ":2: bytes_hex has 3");
    expect_error(&sc, "seq,recv_ns,bytes_hex\n0,100,zz\n", ":2: bytes_hex: 'zz'");
    expect_error(&sc, "seq,recv_ns,bytes_hex\n0,100,\n", ":2: bytes_hex has 0");
    /* the seq column disagrees with a sound packet */
    struct gen g = FULL;
    g.bytes = 1;
    write_trace(&sc, &g);
    FILE *f = fopen(file, "r+");
    CU_ASSERT_FATAL(f != NULL);
    fseek(f, (long)strlen("seq,recv_ns,bytes_hex\n"), SEEK_SET);
    fputc('7', f); /* "0,..." becomes "7,..." */
    fclose(f);
    struct rec_run run;
    struct trace_info info;
    char err[TRACE_ERR_MAX];
    CU_ASSERT(trace_load(file, &sc, &run, &info, err) == -1);
    CU_ASSERT(strstr(err, ":2: seq 7 but the packet's bytes say seq 0") != NULL);
    CU_ASSERT(trace_load("/nonexistent/t.csv", &sc, &run, &info, err) == -1);
    CU_ASSERT(strncmp(err, "/nonexistent/t.csv: ", 20) == 0);
    cleanup_dir();
}

static int verify(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
                  const char *a6)
{
    char *argv[] = {"usbsim", "verify", (char *)a1, (char *)a2, (char *)a3, (char *)a4,
                    (char *)a5, (char *)a6, NULL};
    int argc = 2;
    while (argv[argc])
        argc++;
    fflush(stdout);
    return cli_main(argc, argv);
}

static void test_verify_command(void)
{
    setup_dir();
    char yaml[128];
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    FILE *f = fopen(yaml, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(STEADY, f);
    fclose(f);
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    struct gen g = FULL;
    write_trace(&sc, &g);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--json", out) == 0);
    CU_ASSERT(access(out, R_OK) == 0);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--html", out) == 0);
    g.skip = 7;
    write_trace(&sc, &g);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--quiet", NULL) == 1);
    CU_ASSERT(verify("--scenario", yaml, NULL, NULL, NULL, NULL) == 2);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--bogus", NULL) == 2);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "extra", NULL) == 2);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--seed", "x") == 2);
    CU_ASSERT(verify("--scenario", file, "--trace", file, NULL, NULL) == 2); /* not YAML */
    CU_ASSERT(verify("--scenario", yaml, "--trace", yaml, NULL, NULL) == 2); /* not a trace */
    /* a raw stream's packets carry no seq: a trace cannot name them */
    f = fopen(yaml, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("name: r\nduration_ms: 1000\ndevice: {framing: raw, packet_size: 8}\n", f);
    fclose(f);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, NULL, NULL) == 2);
    struct rec_run run;
    struct trace_info info;
    char err[TRACE_ERR_MAX];
    scenario("name: r\nduration_ms: 1000\ndevice: {framing: raw, packet_size: 8}\n", &sc);
    CU_ASSERT_EQUAL(trace_load(file, &sc, &run, &info, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "scenario 'r' has framing raw, whose packets carry none"));
    unlink(yaml);
    cleanup_dir();
}

/* A scenario meant to fail: failing as it says is an expected failure (exit 0); passing is not. */
static void test_expected_failure(void)
{
    setup_dir();
    char yaml[128], text[512];
    snprintf(yaml, sizeof yaml, "%s/x.yaml", dir);
    snprintf(text, sizeof text, "%s  verdict: fail\n  failure: unexplained_loss\n", STEADY);
    FILE *f = fopen(yaml, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
    struct scn_scenario sc;
    scenario(text, &sc);
    struct gen g = FULL;
    g.skip = 7;
    write_trace(&sc, &g);
    struct vfy_result res;
    struct trace_info info;
    CU_ASSERT(judge(&sc, &res, &info) == 0);
    CU_ASSERT(res.xfail && !res.pass);
    vfy_free(&res);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--quiet", NULL) == 0);
    g.skip = -1; /* nothing lost: meant to fail, but passes */
    write_trace(&sc, &g);
    CU_ASSERT(judge(&sc, &res, &info) == 1);
    CU_ASSERT(!res.xfail && !res.pass && res.n_failures == 1);
    CU_ASSERT(res.failure_kinds[0] == VFY_KIND_UNEXPECTED_PASS);
    vfy_free(&res);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--quiet", NULL) == 1);
    unlink(yaml);
    cleanup_dir();
}

/* Only a regular file is read: a device, a directory or a FIFO is refused at once (nothing
 * blocks, nothing grows); a line over TRACE_MAX_LINE bytes or a file over TRACE_MAX_BYTES is
 * refused with FILE:LINE or FILE; `usbsim verify` exits 2 on each. */
static void test_not_regular_and_bounds(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    struct rec_run run;
    struct trace_info info;
    char err[TRACE_ERR_MAX], want[256], fifo[160];
    const char *specials[] = {"/dev/zero", "/dev/null", dir};
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT(trace_load(specials[i], &sc, &run, &info, err) == -1);
        snprintf(want, sizeof want, "%s: not a regular file", specials[i]);
        CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
        CU_ASSERT(strchr(err, '\n') == NULL);
    }
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
    int keep = open(fifo, O_RDWR | O_NONBLOCK); /* a writer that never writes */
    CU_ASSERT_FATAL(keep >= 0);
    alarm(20);
    CU_ASSERT(trace_load(fifo, &sc, &run, &info, err) == -1);
    alarm(0);
    snprintf(want, sizeof want, "%s: not a regular file", fifo);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
    close(keep);
    unlink(fifo);
    /* a line one byte over the bound, then a file of one endless line */
    static char text[TRACE_MAX_LINE * 3];
    size_t n = (size_t)snprintf(text, sizeof text, "seq,recv_ns\n0,100\n1,");
    memset(text + n, '1', TRACE_MAX_LINE);
    n += TRACE_MAX_LINE;
    text[n++] = '\n';
    FILE *f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fwrite(text, 1, n, f);
    fclose(f);
    CU_ASSERT(trace_load(file, &sc, &run, &info, err) == -1);
    snprintf(want, sizeof want, "%s:3: the line is longer than %d bytes", file, TRACE_MAX_LINE);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
    memset(text, '0', sizeof text);
    f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fwrite(text, 1, sizeof text, f);
    fclose(f);
    CU_ASSERT(trace_load(file, &sc, &run, &info, err) == -1);
    snprintf(want, sizeof want, "%s:1: the line is longer than", file);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
    /* over the size bound (a sparse file: refused before anything is read) */
    f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("seq,recv_ns\n0,100\n", f);
    fclose(f);
    CU_ASSERT_FATAL(truncate(file, (off_t)TRACE_MAX_BYTES + 1) == 0);
    CU_ASSERT(trace_load(file, &sc, &run, &info, err) == -1);
    snprintf(want, sizeof want, "%s: the file is %llu bytes; at most %llu", file,
             (unsigned long long)TRACE_MAX_BYTES + 1, (unsigned long long)TRACE_MAX_BYTES);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
    CU_ASSERT(run.n_app == 0 && run.n_device == 0);
    /* usbsim verify: exit 2 */
    char yaml[128];
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    f = fopen(yaml, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(STEADY, f);
    fclose(f);
    CU_ASSERT(verify("--scenario", yaml, "--trace", "/dev/zero", NULL, NULL) == 2);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, NULL, NULL) == 2);
    unlink(yaml);
    cleanup_dir();
}

/* A UTF-8 BOM before the header is skipped; anywhere else it is what it is. */
static void test_bom(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    struct gen g = FULL;
    write_trace(&sc, &g);
    FILE *f = fopen(file, "r");
    CU_ASSERT_FATAL(f != NULL);
    static char text[1 << 16];
    size_t n = fread(text + 3, 1, sizeof text - 3, f);
    fclose(f);
    memcpy(text, "\xef\xbb\xbf", 3);
    f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fwrite(text, 1, n + 3, f);
    fclose(f);
    struct vfy_result res;
    struct trace_info info;
    CU_ASSERT(judge(&sc, &res, &info) == 0);
    CU_ASSERT(info.lines == 100 && res.delivered == 100);
    vfy_free(&res);
    expect_error(&sc, "\xef\xbb\xbf", ": empty");
    expect_error(&sc, "\xef\xbb\xbf\xef\xbb\xbfseq,recv_ns\n", ":1: the header");
    expect_error(&sc, "seq,recv_ns\n\xef\xbb\xbf" "0,100\n", ":2: seq");
    cleanup_dir();
}

/* One line with bytes: packet seq produced at produce_ns (the device's clock), received at recv. */
static void put_packet(FILE *f, const struct scn_scenario *sc, uint32_t seq, uint64_t produce_ns,
                       int64_t recv_ns)
{
    uint8_t b[PKT_MAX_SIZE];
    struct pkt_fields pf = {.seq = seq, .produce_ns = produce_ns};
    pkt_encode(b, sc->device.packet_size, sc->seed, &pf, 0);
    fprintf(f, "%" PRIu32 ",%" PRId64 ",", seq, recv_ns);
    for (uint32_t i = 0; i < sc->device.packet_size; i++)
        fprintf(f, "%02x", b[i]);
    fputc('\n', f);
}

/* Loads the trace and, when it loads, judges it and writes every report: 0 or -1 (err set). */
static int load_and_judge(const struct scn_scenario *sc, char err[TRACE_ERR_MAX])
{
    struct rec_run run;
    struct trace_info info;
    if (trace_load(file, sc, &run, &info, err) != 0)
        return -1;
    struct vfy_result res;
    trace_judge(sc, &run, &info, &res);
    CU_ASSERT(res.latency.p50_ns >= 0 && res.latency.max_ns >= 0 && res.drain_max_ns >= 0);
    vfy_free(&res);
    rec_free(&run);
    return 0;
}

/* Crafted times at the ends of int64 (the ASan+UBSan build aborts on an overflow): a trace whose
 * times cannot be put on one clock without overflow is refused, with FILE:LINE or FILE and the
 * word overflow; the others are judged and reported. */
static void test_extreme_times(void)
{
    setup_dir();
    struct scn_scenario sc;
    scenario(STEADY, &sc);
    char err[TRACE_ERR_MAX] = "", want[256];
    /* produced at INT64_MAX, received at 0; then produced at 0, received at 10 */
    FILE *f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(TRACE_HEADER_BYTES "\n", f);
    put_packet(f, &sc, 0, INT64_MAX, 0);
    put_packet(f, &sc, 1, 0, 10);
    fclose(f);
    CU_ASSERT(load_and_judge(&sc, err) == -1);
    snprintf(want, sizeof want, "%s:3: ", file);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0 && strstr(err, "overflow") != NULL);
    if (!strstr(err, "overflow"))
        fprintf(stderr, "\n  got '%s'\n", err);
    /* the whole uint64 of a produce time, and times close to INT64_MAX */
    const uint64_t prod[] = {0, 1, (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX,
                             (uint64_t)1 << 62};
    const int64_t recv[] = {0, 1, INT64_MAX / 2, INT64_MAX - 1000000000, INT64_MAX};
    for (size_t a = 0; a < 6; a++)
        for (size_t k = 0; k < 5; k++) {
            f = fopen(file, "w");
            CU_ASSERT_FATAL(f != NULL);
            fputs(TRACE_HEADER_BYTES "\n", f);
            put_packet(f, &sc, 0, prod[a], recv[k]);
            put_packet(f, &sc, 5, prod[(a + 1) % 6], recv[k]);
            put_packet(f, &sc, 99, prod[(a + k) % 6], recv[4]);
            fclose(f);
            if (load_and_judge(&sc, err) != 0)
                CU_ASSERT(strstr(err, "overflow") != NULL && strchr(err, '\n') == NULL);
            f = fopen(file, "w");
            CU_ASSERT_FATAL(f != NULL);
            fprintf(f, "seq,recv_ns\n%zu,%" PRId64 "\n99,%" PRId64 "\n", k * 20, recv[k],
                    recv[(k + a) % 5 > k ? (k + a) % 5 : k]);
            fclose(f);
            if (load_and_judge(&sc, err) != 0)
                CU_ASSERT(strstr(err, "overflow") != NULL && strchr(err, '\n') == NULL);
        }
    /* without bytes, seq 0 at INT64_MAX: the rest of the plan would be after the end of time */
    f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("seq,recv_ns\n0,9223372036854775807\n", f);
    fclose(f);
    CU_ASSERT(load_and_judge(&sc, err) == -1);
    snprintf(want, sizeof want, "%s: ", file);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0 && strstr(err, "overflow") != NULL);
    /* received at 0 and at INT64_MAX: judged (a huge latency), and written as HTML and JSON */
    f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("seq,recv_ns\n0,0\n99,9223372036854775807\n", f);
    fclose(f);
    CU_ASSERT(load_and_judge(&sc, err) == 0);
    char yaml[128];
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    f = fopen(yaml, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(STEADY, f);
    fclose(f);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--html", out) == 1);
    CU_ASSERT(verify("--scenario", yaml, "--trace", file, "--json", out) == 1);
    unlink(yaml);
    cleanup_dir();
}

static CU_TestInfo tests[] = {
    {"a full trace passes (with and without bytes)", test_full_trace_passes},
    {"a missing line fails naming its seq", test_missing_line_fails_naming_it},
    {"bad bytes fail", test_bad_bytes_fail},
    {"corruption, device drops and another clock", test_corrupt_gap_and_clock},
    {"malformed lines give FILE:LINE errors", test_malformed_lines},
    {"usbsim verify exit codes", test_verify_command},
    {"an expected failure exits 0, an unexpected pass 1", test_expected_failure},
    {"regular files only, lines and files bounded", test_not_regular_and_bounds},
    {"a UTF-8 BOM before the header is skipped", test_bom},
    {"times at the ends of int64: refused or judged, never an overflow", test_extreme_times},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("trace", tests); }

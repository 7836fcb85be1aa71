/* Tests of the scenario loader: defaults, every file in scenarios/, malformed input with exact
 * positions, the write/parse round trip, time scaling, scn_check, and hostile input (size, tabs,
 * alias bombs). Run from the repo root. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "sim/scenario.h"
#include "sim/schedule.h"
#include "tests/cu.h"

#define MINI "name: t\nduration_ms: 1000\n"

static int parse(const char *text, struct scn_scenario *s, char *err)
{
    return scn_parse("t.yaml", text, strlen(text), s, err);
}

/* Moves b's bytes to the end of the new pool. */
static void repack(struct scn_scenario *s, uint8_t *pool, uint32_t *used, struct scn_bytes *b)
{
    if (!b->set)
        return;
    memcpy(pool + *used, s->device.bytes + b->off, b->len);
    b->off = *used;
    *used += b->len;
}

/* Forgets where things were written (and in which order the hex strings came), so two loads of
 * the same scenario compare equal. */
static void normalize(struct scn_scenario *s)
{
    static uint8_t pool[SCN_BYTES_POOL];
    uint32_t used = 0;
    memset(s->file, 0, sizeof s->file);
    for (size_t i = 0; i < SCN_MAX_EVENTS; i++) {
        s->device.events[i].line = s->device.events[i].col = 0;
        s->consumer.events[i].line = s->consumer.events[i].col = 0;
    }
    memset(pool, 0, sizeof pool);
    for (size_t i = 0; i < SCN_MAX_IFACES; i++) {
        struct scn_iface *f = &s->device.ifaces[i];
        f->line = f->col = 0;
        repack(s, pool, &used, &f->extra);
        for (size_t j = 0; j < SCN_MAX_EPS; j++) {
            f->eps[j].line = f->eps[j].col = 0;
            repack(s, pool, &used, &f->eps[j].extra);
            repack(s, pool, &used, &f->eps[j].stream.payload.pattern);
            repack(s, pool, &used, &f->eps[j].on_data.reply);
        }
    }
    for (size_t i = 0; i < SCN_MAX_CONTROL; i++) {
        s->device.control[i].line = s->device.control[i].col = 0;
        repack(s, pool, &used, &s->device.control[i].reply);
    }
    s->device.replay.line = s->device.replay.col = 0;
    repack(s, pool, &used, &s->device.payload.pattern);
    memcpy(s->device.bytes, pool, sizeof pool);
    s->device.n_bytes = used;
}

/* Writes s, parses it back, and asserts the two are identical. */
static void assert_round_trip(const struct scn_scenario *s)
{
    char *buf = NULL, err[SCN_ERR_MAX] = "";
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT(scn_write_yaml(s, f) == 0);
    fclose(f);
    struct scn_scenario a = *s, b;
    int rc = scn_parse("again.yaml", buf, len, &b, err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "\nround trip of %s: %s\n%s", s->name, err, buf);
    normalize(&a);
    normalize(&b);
    CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    free(buf);
}

static void test_defaults(void)
{
    struct scn_scenario s;
    char err[SCN_ERR_MAX];
    CU_ASSERT_EQUAL_FATAL(parse(MINI, &s, err), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "t");
    CU_ASSERT_STRING_EQUAL(s.file, "t.yaml");
    CU_ASSERT_EQUAL(s.duration_ns, 1000000000LL);
    CU_ASSERT_EQUAL(s.seed, 1);
    CU_ASSERT_EQUAL(s.device.vid, 0x1209);
    CU_ASSERT_EQUAL(s.device.pid, 0x0001);
    CU_ASSERT_EQUAL(s.device.packet_size, 112);
    CU_ASSERT_EQUAL(s.device.period_ns, 10000000LL);
    CU_ASSERT_EQUAL(s.device.endpoint, SCN_EP_INTERRUPT);
    CU_ASSERT_EQUAL(s.device.fifo_packets, 16);
    CU_ASSERT_EQUAL(s.device.jitter.kind, SCN_DIST_NONE);
    CU_ASSERT_EQUAL(s.device.n_events, 0);
    CU_ASSERT_EQUAL(s.transport.ring_slots, 256);
    CU_ASSERT_EQUAL(s.transport.overflow, SCN_OVF_BLOCK);
    CU_ASSERT_EQUAL(s.transport.doorbell, SCN_DB_SUPPRESSED);
    CU_ASSERT_EQUAL(s.consumer.batch_max, 64);
    CU_ASSERT_EQUAL(s.consumer.work.kind, SCN_DIST_NONE);
    CU_ASSERT_EQUAL(s.consumer.n_events, 0);
    CU_ASSERT_FALSE(s.expect.has_delivered_min_ratio || s.expect.has_lost_max ||
                    s.expect.order_strict || s.expect.has_rate_min || s.expect.has_rate_max ||
                    s.expect.has_latency_p99_max || s.expect.has_latency_max ||
                    s.expect.has_backlog_max || s.expect.has_drain_max);
    CU_ASSERT_EQUAL(s.expect.verdict, SCN_VERDICT_PASS);
    CU_ASSERT_STRING_EQUAL(s.expect.failure, "");
    CU_ASSERT_DOUBLE_EQUAL(s.time_scale, 1.0, 0);
    /* scn_defaults alone is not yet valid: no name, no duration. */
    struct scn_scenario d;
    scn_defaults(&d);
    CU_ASSERT_NOT_EQUAL(scn_check(&d, err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "name"));
}

static void test_every_key(void)
{
    const char *text =
        "name: all.keys_1-x\nseed: 18446744073709551615\nduration_ms: 5000\n"
        "device:\n  vid: 0xCafe\n  pid: 7\n  packet_size: 1024\n  period_us: 250\n"
        "  endpoint: bulk\n  fifo_packets: 65536\n"
        "  jitter: {distribution: normal, stddev_us: 300}\n"
        "  events:\n"
        "    - {at_ms: 0, stall_ms: 10}\n"
        "    - {at_ms: 10, burst: 5}\n"
        "    - {at_ms: 10, halt_ms: 5, }\n"
        "    - at_ms: 20\n      disconnect_ms: 30\n"
        "    - {at_ms: 50, corrupt: 2}\n"
        "    - {at_ms: 60, stall_ms: 1, mode: drop}\n"
        "transport: {ring_slots: 1048576, overflow: drop-oldest, doorbell: always}\n"
        "consumer:\n  batch_max: 1\n  work_us: {distribution: pareto, scale_us: 10, alpha: 2.5}\n"
        "  events: [{at_ms: 100, stall_ms: 100}, {at_ms: 200, stall_ms: 1}]\n"
        "expect:\n  delivered_min_ratio: 0.95\n  lost_max: 3\n  order: strict\n"
        "  rate_hz: {min: 1e1, max: 100.5}\n  latency_ms: {p99_max: 20, max: 20}\n"
        "  backlog_max: 0\n  drain_ms_max: 7\n  verdict: fail\n  failure: \"rate \\\"low\\\"\"\n";
    struct scn_scenario s;
    char err[SCN_ERR_MAX] = "";
    int rc = parse(text, &s, err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    if (rc)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_EQUAL(s.seed, UINT64_MAX);
    CU_ASSERT_EQUAL(s.device.vid, 0xcafe);
    CU_ASSERT_EQUAL(s.device.pid, 7);
    CU_ASSERT_EQUAL(s.device.period_ns, 250000);
    CU_ASSERT_EQUAL(s.device.jitter.stddev_ns, 300000);
    CU_ASSERT_EQUAL_FATAL(s.device.n_events, 6);
    CU_ASSERT_EQUAL(s.device.events[1].kind, SCN_EV_BURST);
    CU_ASSERT_EQUAL(s.device.events[1].count, 5);
    CU_ASSERT_EQUAL(s.device.events[3].kind, SCN_EV_DISCONNECT);
    CU_ASSERT_EQUAL(s.device.events[3].dur_ns, 30000000);
    CU_ASSERT_EQUAL(s.device.events[3].line, 16);
    CU_ASSERT_EQUAL(s.device.events[3].col, 7);
    CU_ASSERT_EQUAL(s.device.events[5].mode, SCN_STALL_DROP);
    CU_ASSERT_EQUAL(s.device.events[0].mode, SCN_STALL_HOLD);
    CU_ASSERT_EQUAL(s.transport.ring_slots, 1048576);
    CU_ASSERT_EQUAL(s.transport.overflow, SCN_OVF_DROP_OLDEST);
    CU_ASSERT_EQUAL(s.consumer.work.kind, SCN_DIST_PARETO);
    CU_ASSERT_DOUBLE_EQUAL(s.consumer.work.alpha, 2.5, 0);
    CU_ASSERT_EQUAL(s.consumer.n_events, 2);
    CU_ASSERT_DOUBLE_EQUAL(s.expect.rate_min_hz, 10, 0);
    CU_ASSERT_EQUAL(s.expect.latency_p99_max_ns, 20000000);
    CU_ASSERT(s.expect.has_backlog_max && s.expect.backlog_max == 0);
    CU_ASSERT_EQUAL(s.expect.drain_max_ns, 7000000);
    CU_ASSERT_EQUAL(s.expect.verdict, SCN_VERDICT_FAIL);
    CU_ASSERT_STRING_EQUAL(s.expect.failure, "rate \"low\"");
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    assert_round_trip(&s);
}

/* Every file under scenarios/ loads, passes scn_check and survives the round trip. */
static void test_scenario_files(void)
{
    DIR *d = opendir("scenarios");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct dirent *e;
    int n = 0;
    bool steady = false, fail = false;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[PATH_MAX], err[SCN_ERR_MAX] = "";
        snprintf(path, sizeof path, "scenarios/%s", e->d_name);
        struct scn_scenario s;
        int rc = scn_load(path, &s, err);
        CU_ASSERT_EQUAL(rc, 0);
        if (rc) {
            fprintf(stderr, "\n%s\n", err);
            continue;
        }
        n++;
        CU_ASSERT_STRING_EQUAL(s.file, path);
        CU_ASSERT_EQUAL(strncmp(s.name, e->d_name, len - 5), 0); /* name matches the file */
        CU_ASSERT(s.duration_ns >= 2000 * 1000000LL && s.duration_ns <= 5000 * 1000000LL);
        CU_ASSERT_EQUAL(scn_check(&s, err), 0);
        assert_round_trip(&s);
        steady |= strcmp(s.name, "steady") == 0;
        if (s.expect.verdict == SCN_VERDICT_FAIL)
            fail = strcmp(s.expect.failure, "lost") == 0;
    }
    closedir(d);
    CU_ASSERT(n >= 17);
    CU_ASSERT(steady);
    CU_ASSERT(fail);
}

struct bad {
    const char *text;
    int line, col;
    const char *phrase;
};

static const struct bad bad_cases[] = {
    {"", 1, 1, "empty"},
    {"# only a comment\n", 1, 1, "empty"},
    {"- a\n- b\n", 1, 1, "top level is a list"},
    {"just text\n", 1, 1, "top level is a single value"},
    {"name: t\n", 1, 1, "missing required key 'duration_ms'"},
    {"\n\nduration_ms: 5\n", 3, 1, "missing required key 'name'"},
    {MINI "colour: red\n", 3, 1, "unknown key 'colour' in the top level; allowed: name, seed"},
    {MINI "device:\n  perod_us: 100\n", 4, 3, "allowed: vid, pid, packet_size, period_us"},
    {MINI "name: u\n", 3, 1, "duplicate key 'name'"},
    {MINI "device:\n  vid: 1\n  vid: 2\n", 5, 3, "first at line 4"},
    {"name: bad\nduration_ms: 100\ndevice:\n  period_us: ten\n", 4, 14, "'ten' is not an integer"},
    {MINI "device:\n  period_us: 10.5\n", 4, 14, "'10.5' is not an integer"},
    {MINI "device:\n  period_us: 9\n", 4, 14, "out of range; allowed: an integer 10..10000000"},
    {MINI "device:\n  packet_size: 0x70\n", 4, 16, "is hex, not allowed for this key"},
    {MINI "device:\n  packet_size: 1025\n", 4, 16, "allowed: an integer 1..1024"},
    {MINI "device:\n  packet_size: 31\n", 4, 3, "packet_size: 31 is too small for framing usbsim "
     "(a 24-byte header and a 4-byte CRC); allowed: 32..1024 with framing usbsim, 1..1024 with "
     "framing raw"},
    {MINI "device:\n  packet_size: \"112\"\n", 4, 16, "quoted string, not a number"},
    {MINI "device:\n  packet_size: [112]\n", 4, 16, "a list where a single value is needed"},
    {MINI "device: 5\n", 3, 9, "a single value where a mapping is needed"},
    {MINI "device:\n", 3, 8, "an empty value where a mapping is needed"},
    {MINI "device:\n  vid: 0x10000\n", 4, 8, "out of range"},
    {MINI "device:\n  vid: -1\n", 4, 8, "out of range"},
    {MINI "device:\n  fifo_packets: 016\n", 4, 17, "leading zero"},
    {MINI "device:\n  endpoint: iso\n", 4, 13, "allowed: one of interrupt, bulk"},
    {MINI "transport:\n  ring_slots: 300\n", 4, 15, "not a power of two"},
    {MINI "transport:\n  ring_slots: 4\n", 4, 15, "out of range; allowed: a power of two 8..1048576"},
    {MINI "transport: {overflow: drop}\n", 3, 23, "block, drop-newest, drop-oldest"},
    {MINI "consumer:\n  batch_max: 0\n", 4, 14, "1..65536"},
    {"name: t\nduration_ms: 0\n", 2, 14, "1..3600000"},
    {"name: t\nduration_ms: 3600001\n", 2, 14, "out of range"},
    {"name: a b\nduration_ms: 5\n", 1, 7, "[A-Za-z0-9._-]"},
    {"name: ''\nduration_ms: 5\n", 1, 7, "length out of range"},
    {"name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nduration_ms: 5\n", 1,
     7, "1..64 characters"},
    {MINI "seed: 18446744073709551616\n", 3, 7, "out of range"},
    {MINI "device:\n  jitter: {distribution: uniform}\n", 4, 11, "missing required key 'max_us'"},
    {MINI "device:\n  jitter: {distribution: uniform, max_us: 5, stddev_us: 3}\n", 4, 46,
     "stddev_us does not apply to distribution uniform; allowed: distribution, max_us"},
    {MINI "device:\n  jitter: {max_us: 5}\n", 4, 11, "missing required key 'distribution'"},
    {MINI "consumer:\n  work_us: {distribution: pareto, scale_us: 5}\n", 4, 12,
     "missing required key 'alpha'"},
    {MINI "consumer:\n  work_us: {distribution: pareto, scale_us: 5, alpha: 0.4}\n", 4, 55,
     "0.5..10"},
    {MINI "device:\n  jitter: {distribution: gauss}\n", 4, 26, "none, uniform, normal, pareto"},
    {MINI "device:\n  events: {at_ms: 1}\n", 4, 11, "a mapping where a list is needed"},
    {MINI "device:\n  events:\n    - 5\n", 5, 7, "an item is a single value, not a mapping"},
    {MINI "device:\n  events:\n    - {stall_ms: 5}\n", 5, 7, "missing required key 'at_ms'"},
    {MINI "device:\n  events:\n    - {at_ms: 5}\n", 5, 7, "none of stall_ms, burst"},
    {MINI "device:\n  events:\n    - {at_ms: 5, burst: 2, halt_ms: 3}\n", 5, 28,
     "burst and halt_ms in one event"},
    {MINI "device:\n  events:\n    - {at_ms: 5, mode: drop, burst: 1}\n", 5, 18,
     "mode does not apply to a burst event"},
    {MINI "device:\n  events:\n    - {at_ms: 5, stall_ms: 3, mode: later}\n", 5, 37, "hold, drop"},
    {MINI "device:\n  events:\n    - {at_ms: 1000, burst: 1}\n", 5, 7,
     "outside the run; allowed: 0 <= at_ms < duration_ms (1000)"},
    {MINI "device:\n  events:\n    - {at_ms: 500, burst: 1}\n    - {at_ms: 400, burst: 1}\n", 6,
     7, "comes before at_ms 500 of the event at line 5"},
    {MINI "device:\n  events:\n    - {at_ms: 100, stall_ms: 300}\n    - {at_ms: 200, burst: 1}\n"
          "    - {at_ms: 350, halt_ms: 10}\n",
     7, 7, "halt_ms window [350, 360) ms overlaps the stall_ms window [100, 400) ms of the event at line 5"},
    {MINI "consumer:\n  events:\n    - {at_ms: 100, stall_ms: 100}\n    - {at_ms: 150, stall_ms: 1}\n",
     6, 7, "overlaps the stall_ms window [100, 200) ms of the event at line 5"},
    {MINI "consumer:\n  events:\n    - {at_ms: 100}\n", 5, 7, "missing required key 'stall_ms'"},
    {MINI "expect:\n  rate_hz: {min: 102, max: 98}\n", 4, 12, "min 102 is greater than max 98"},
    {MINI "expect:\n  rate_hz: {min: fast}\n", 4, 18, "'fast' is not a number"},
    {MINI "expect:\n  latency_ms: {p99_max: 50, max: 20}\n", 4, 15, "p99_max <= max"},
    {MINI "expect:\n  delivered_min_ratio: 1.5\n", 4, 24, "0..1"},
    {MINI "expect:\n  order: loose\n", 4, 10, "allowed: one of strict"},
    {MINI "expect:\n  verdict: maybe\n", 4, 12, "one of pass, fail"},
    {MINI "expect:\n  failure: lost\n", 4, 3, "failure only with verdict: fail"},
    {MINI "expect:\n  verdict: fail\n  failure: \"a\\nb\"\n", 5, 12, "printable ASCII"},
    {MINI "expect:\n  lost_max: 1\n  lost_max: 1\n", 5, 3, "duplicate key 'lost_max' in expect"},
    {MINI "expect:\n  backlog: 5\n", 4, 3, "delivered_min_ratio, lost_max, order, rate_hz, "
                                            "latency_ms, backlog_max, drain_ms_max, verdict, failure"},
    {MINI "device:\n\tvid: 1\n", 4, 1, "tab character"},
    {MINI "name: \"x\ty\"\n", 3, 9, "tab character"},
    {MINI "device: {vid: 1\n", 4, 1, "YAML syntax error"},
    {"name: a: b\nduration_ms: 5\n", 1, 8, "YAML syntax error: mapping values are not allowed"},
    {MINI "---\nname: u\n", 3, 1, "a second YAML document"},
    {"name: &n t\nduration_ms: 5\n", 1, 7, "anchor '&n' is not supported"},
    {"name: t\nduration_ms: 5\nseed: *x\n", 3, 7, "alias '*x' is not supported"},
    {"name: t\nduration_ms: !!int 5\n", 2, 14, "tag 'tag:yaml.org,2002:int' is not supported"},
    {MINI "? [a]\n: 1\n", 3, 3, "a key in the top level is a list, not a name"},
    {"name: t\nduration_ms: 5\nseed: \"\xff\"\n", 3, 8, "YAML syntax error: invalid"},
};

static void test_malformed(void)
{
    int n = (int)(sizeof bad_cases / sizeof bad_cases[0]);
    CU_ASSERT(n >= 30);
    for (int i = 0; i < n; i++) {
        const struct bad *b = &bad_cases[i];
        struct scn_scenario s;
        char err[SCN_ERR_MAX] = "", want[64];
        snprintf(want, sizeof want, "t.yaml:%d:%d: ", b->line, b->col);
        int rc = parse(b->text, &s, err);
        bool ok = rc == -1 && strncmp(err, want, strlen(want)) == 0 && strstr(err, b->phrase) &&
                  !strchr(err, '\n');
        CU_ASSERT(ok);
        if (!ok)
            fprintf(stderr, "\ncase %d: want %s...%s\n        got %s\n", i, want, b->phrase, err);
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 16);
    *len = buf ? fread(buf, 1, 1 << 16, f) : 0;
    fclose(f);
    return buf;
}

static void test_time_scale(void)
{
    struct scn_scenario s, orig;
    char err[SCN_ERR_MAX];
    const char *text = MINI "device:\n  period_us: 10000\n  jitter: {distribution: uniform, max_us: 3}\n"
                            "  events: [{at_ms: 0, stall_ms: 1}, {at_ms: 1, halt_ms: 333}]\n"
                            "consumer:\n  events: [{at_ms: 999, stall_ms: 2}]\n"
                            "expect:\n  rate_hz: {min: 99, max: 101}\n  latency_ms: {p99_max: 20}\n"
                            "  drain_ms_max: 200\n";
    CU_ASSERT_EQUAL_FATAL(parse(text, &s, err), 0);
    orig = s;
    scn_time_scale(&s, 10);
    CU_ASSERT_DOUBLE_EQUAL(s.time_scale, 10, 0);
    CU_ASSERT_EQUAL(s.duration_ns, 100000000);
    CU_ASSERT_EQUAL(s.device.period_ns, 1000000);
    CU_ASSERT_EQUAL(s.device.jitter.max_ns, 300);
    CU_ASSERT_EQUAL(s.device.events[1].at_ns, 100000);
    CU_ASSERT_EQUAL(s.device.events[1].dur_ns, 33300000);
    CU_ASSERT_EQUAL(s.consumer.events[0].at_ns, 99900000);
    CU_ASSERT_EQUAL(s.expect.latency_p99_max_ns, 2000000);
    CU_ASSERT_EQUAL(s.expect.drain_max_ns, 20000000);
    /* Rates stay in scenario time: the verifier converts them. */
    CU_ASSERT_DOUBLE_EQUAL(s.expect.rate_min_hz, 99, 0);
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    /* Written back in scenario time: loads to the unscaled scenario. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    scn_write_yaml(&s, f);
    fclose(f);
    struct scn_scenario back;
    CU_ASSERT_EQUAL(scn_parse("back.yaml", buf, len, &back, err), 0);
    normalize(&back);
    normalize(&orig);
    CU_ASSERT(memcmp(&back, &orig, sizeof back) == 0);
    free(buf);
    /* A huge factor: times never go below 1 ns (at may be 0), the result stays valid. */
    s = orig;
    scn_time_scale(&s, 1e9);
    CU_ASSERT_EQUAL(s.duration_ns, 1);
    CU_ASSERT_EQUAL(s.device.period_ns, 1);
    CU_ASSERT_EQUAL(s.device.jitter.max_ns, 1);
    CU_ASSERT_EQUAL(s.device.events[0].at_ns, 0);
    CU_ASSERT(s.device.events[0].dur_ns >= 1);
    CU_ASSERT_EQUAL(s.expect.drain_max_ns, 1);
    /* Bad factors change nothing. */
    s = orig;
    scn_time_scale(&s, 0);
    scn_time_scale(&s, -2);
    CU_ASSERT(memcmp(&s, &orig, sizeof s) == 0);
    /* Every scenario file, scaled by 100, stays valid. */
    const char *files[] = {"scenarios/steady.yaml", "scenarios/consumer-stall.yaml",
                           "scenarios/device-stall-hold.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(scn_load(files[i], &s, err), 0);
        scn_time_scale(&s, 100);
        CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    }
}

static void test_check_in_code(void)
{
    struct scn_scenario s, ok;
    char err[SCN_ERR_MAX];
    scn_defaults(&ok);
    strcpy(ok.name, "code");
    ok.duration_ns = 1000000000LL;
    CU_ASSERT_EQUAL_FATAL(scn_check(&ok, err), 0);
    assert_round_trip(&ok);

    s = ok;
    s.transport.ring_slots = 100;
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a power of two"));
    CU_ASSERT_EQUAL(strncmp(err, "(scenario):1:1: ", 16), 0);

    s = ok;
    s.device.period_ns = 100500; /* not a whole number of us */
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "whole number of us"));

    s = ok;
    s.device.jitter.kind = SCN_DIST_UNIFORM; /* max_ns missing */
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "max_us"));
    s.device.jitter.max_ns = 2000000;
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    s.device.jitter.alpha = 2; /* not a parameter of uniform */
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "alpha is set but"));

    s = ok;
    s.device.n_events = 2;
    s.device.events[0] = (struct scn_dev_event){.kind = SCN_EV_STALL, .at_ns = 100000000,
                                                .dur_ns = 200000000, .line = 7, .col = 5};
    s.device.events[1] = (struct scn_dev_event){.kind = SCN_EV_DISCONNECT, .at_ns = 200000000,
                                                .dur_ns = 1000000, .line = 8, .col = 5};
    strcpy(s.file, "x.yaml");
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_EQUAL(strncmp(err, "x.yaml:8:5: ", 12), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 7"));
    s.device.events[1].at_ns = 300000000; /* touching windows are fine */
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    assert_round_trip(&s);
    s.device.events[1].kind = SCN_EV_BURST; /* a burst has a count, not a duration */
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    s.device.events[1].kind = (enum scn_dev_event_kind)9;
    s.device.events[1].dur_ns = 0;
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown"));
    s.device.n_events = SCN_MAX_EVENTS + 1;
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);

    s = ok;
    s.expect.has_rate_min = s.expect.has_rate_max = true;
    s.expect.rate_min_hz = 5;
    s.expect.rate_max_hz = 4;
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    s.expect.rate_max_hz = 0.1 + 0.2 + 5; /* an awkward double survives the round trip */
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    assert_round_trip(&s);

    s = ok;
    memset(s.name, 'n', sizeof s.name); /* not terminated */
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    s = ok;
    s.time_scale = 0;
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
}

static void test_limits(void)
{
    struct scn_scenario s;
    char err[SCN_ERR_MAX];
    /* A valid file padded with a comment to exactly the limit loads; one byte more does not. */
    size_t max = SCN_MAX_FILE_BYTES;
    char *buf = malloc(max + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    size_t head = strlen(MINI "#");
    memcpy(buf, MINI "#", head);
    memset(buf + head, 'x', max - head - 1);
    buf[max - 1] = '\n';
    CU_ASSERT_EQUAL(scn_parse("big.yaml", buf, max, &s, err), 0);
    buf[max] = '\n';
    CU_ASSERT_EQUAL(scn_parse("big.yaml", buf, max + 1, &s, err), -1);
    CU_ASSERT_EQUAL(strncmp(err, "big.yaml:1:1: ", 14), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 1048576 bytes"));

    /* The same through scn_load, from a temporary directory. */
    char dir[] = "/tmp/test_scenario.XXXXXX", path[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(buf, 1, max + 1, f);
    fclose(f);
    CU_ASSERT_EQUAL(scn_load(path, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "over 1048576 bytes"));
    CU_ASSERT_EQUAL(strncmp(err, path, strlen(path)), 0);
    unlink(path);
    CU_ASSERT_EQUAL(scn_load(path, &s, err), -1); /* gone */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1:1: cannot read the file"));
    CU_ASSERT_EQUAL(scn_load(dir, &s, err), -1); /* a directory */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
    rmdir(dir);
    free(buf);

    /* At most SCN_MAX_EVENTS events. */
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text, "name: t\nduration_ms: 100000\ndevice:\n  events:\n");
    for (int i = 0; i <= SCN_MAX_EVENTS; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "    - {at_ms: %d, burst: 1}\n", i);
    CU_ASSERT_EQUAL(scn_parse("many.yaml", text, n, &s, err), -1);
    CU_ASSERT_EQUAL(strncmp(err, "many.yaml:69:7: ", 16), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 64 items"));
    text[n - 29] = 0; /* drop the last line: exactly 64 */
    CU_ASSERT_EQUAL(scn_parse("many.yaml", text, strlen(text), &s, err), 0);
    CU_ASSERT_EQUAL(s.device.n_events, SCN_MAX_EVENTS);
    assert_round_trip(&s);
}

/* `usbsim validate FILE` with stderr caught in a file: the exit code, and what it printed. */
static int validate(const char *path, char *msg, size_t cap)
{
    char log[] = "/tmp/test_scenario_err.XXXXXX";
    int fd = mkstemp(log);
    CU_ASSERT_FATAL(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    char *argv[] = {"usbsim", "validate", "--quiet", (char *)path, NULL};
    int rc = cli_main(4, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, msg, cap - 1, 0);
    msg[n > 0 ? n : 0] = 0;
    close(fd);
    unlink(log);
    return rc;
}

/* The plan's sample limit is the loader's: a scenario the device could not build is refused by
 * scn_parse, scn_check and `usbsim validate` (exit 2), at the top mapping, before anything runs. */
static void test_sample_limit(void)
{
    struct scn_scenario s, ok;
    char err[SCN_ERR_MAX];
    CU_ASSERT_EQUAL(SCHED_MAX_SAMPLES, SCN_MAX_SAMPLES);
    /* 1000000 ms every 100 us: exactly the limit */
    CU_ASSERT_EQUAL_FATAL(parse("name: t\nduration_ms: 1000000\ndevice:\n  period_us: 100\n", &ok,
                                err), 0);
    CU_ASSERT_EQUAL(scn_samples(&ok, NULL), SCN_MAX_SAMPLES);
    /* one more ms: 10 samples over */
    CU_ASSERT_EQUAL(parse("name: t\nduration_ms: 1000001\ndevice:\n  period_us: 100\n", &s, err),
                    -1);
    CU_ASSERT_STRING_EQUAL(err, "t.yaml:1:1: the plan has 10000010 samples (duration_ms / "
                                "period_us, plus burst packets); allowed: at most 10000000");
    /* burst packets count too */
    const char *burst = "name: t\nduration_ms: 1000000\ndevice:\n  period_us: 100\n"
                        "  events: [{at_ms: 5, burst: 1}]\n";
    CU_ASSERT_EQUAL(parse(burst, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "10000001 samples"));
    /* a struct built in code */
    s = ok;
    s.duration_ns += 1000000;
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "allowed: at most 10000000"));
    /* time scaling keeps a scenario at the limit within it (rounding never adds samples) */
    for (double x = 1.3; x < 2e6; x *= 7.77) {
        s = ok;
        scn_time_scale(&s, x);
        CU_ASSERT(scn_samples(&s, NULL) <= SCN_MAX_SAMPLES);
        CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    }
    s = ok;
    scn_time_scale(&s, 66666.7); /* 100 us -> 1.49999 ns: would round to 1 ns, 1.5e7 samples */
    CU_ASSERT(scn_samples(&s, NULL) <= SCN_MAX_SAMPLES);
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    /* what validate accepts, the device builds; over the limit, validate exits 2 */
    struct sched plan;
    CU_ASSERT_EQUAL(sched_build(&s, &plan, err), 0);
    sched_free(&plan);
    char dir[] = "/tmp/test_scenario.XXXXXX", path[64], msg[1024];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("name: big\nduration_ms: 3600000\ndevice:\n  period_us: 100\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(validate(path, msg, sizeof msg), 2);
    CU_ASSERT_EQUAL(strncmp(msg, path, strlen(path)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, ":1:1: the plan has 36000000 samples"));
    unlink(path);
    rmdir(dir);
}

/* A UTF-8 byte order mark at the very start is skipped: the file loads as without it, and
 * line:col count from the first character after it. Anywhere else it is not a BOM. */
static void test_bom(void)
{
    struct scn_scenario s, plain;
    char err[SCN_ERR_MAX];
    CU_ASSERT_EQUAL_FATAL(parse(MINI, &plain, err), 0);
    CU_ASSERT_EQUAL(parse("\xef\xbb\xbf" MINI, &s, err), 0);
    CU_ASSERT(memcmp(&s, &plain, sizeof s) == 0);
    CU_ASSERT_EQUAL(parse("\xef\xbb\xbfname: a b\nduration_ms: 5\n", &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:1:7: name:"));
    CU_ASSERT_EQUAL(parse("\xef\xbb\xbf", &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:1:1: the file is empty"));
    /* a second one is a character of line 1: the mapping starts after it, at column 2 */
    CU_ASSERT_EQUAL(parse("\xef\xbb\xbf\xef\xbb\xbf" MINI, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:1:2: missing required key 'duration_ms'"));
    /* through scn_load */
    char dir[] = "/tmp/test_scenario.XXXXXX", path[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/bom.yaml", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("\xef\xbb\xbf" MINI, f);
    fclose(f);
    CU_ASSERT_EQUAL(scn_load(path, &s, err), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "t");
    CU_ASSERT_EQUAL(s.duration_ns, 1000000000LL);
    unlink(path);
    rmdir(dir);
}

/* The classic alias bomb, and a deep nesting bomb: refused at once, nothing expanded. */
static void test_bombs(void)
{
    struct scn_scenario s;
    char err[SCN_ERR_MAX];
    const char *lol = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    CU_ASSERT_EQUAL(parse(lol, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:1:1: unknown key 'a'"));
    char *deep = malloc(300001);
    CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
    memcpy(deep, MINI "seed: ", strlen(MINI "seed: "));
    size_t at = strlen(MINI "seed: ");
    memset(deep + at, '[', 300000 - at);
    deep[300000] = 0;
    CU_ASSERT_EQUAL(parse(deep, &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:3:7: seed: a list where a single value is needed"));
    /* Anchors inside the schema are refused before any alias is seen. */
    CU_ASSERT_EQUAL(parse(MINI "device: &d {vid: 1}\nconsumer: *d\n", &s, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.yaml:3:9: anchor '&d'"));
    free(deep);
}

/* Arbitrary byte soup never crashes and always names file, line and column. */
static void test_garbage(void)
{
    size_t len = 0;
    char *seed = read_all("scenarios/consumer-stall.yaml", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(seed);
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 3000; round++) {
        char buf[2048];
        size_t n = len < sizeof buf ? len : sizeof buf;
        memcpy(buf, seed, n);
        for (int k = 0; k < 1 + round % 8; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[x % n] = (char)(x >> 32);
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t cut = round % 3 ? n : x % n;
        struct scn_scenario s;
        char err[SCN_ERR_MAX];
        if (scn_parse("g.yaml", buf, cut, &s, err) == 0) {
            CU_ASSERT_EQUAL(scn_check(&s, err), 0);
            assert_round_trip(&s);
        } else {
            CU_ASSERT_EQUAL(strncmp(err, "g.yaml:", 7), 0);
            CU_ASSERT_PTR_NULL(strchr(err, '\n'));
        }
    }
    free(seed);
}

static void test_names(void)
{
    CU_ASSERT_STRING_EQUAL(scn_dist_name(SCN_DIST_PARETO), "pareto");
    CU_ASSERT_STRING_EQUAL(scn_dist_name((enum scn_dist_kind)42), "?");
    CU_ASSERT_STRING_EQUAL(scn_event_name(SCN_EV_DISCONNECT), "disconnect");
    CU_ASSERT_STRING_EQUAL(scn_event_name(SCN_EV_CORRUPT), "corrupt");
    CU_ASSERT_STRING_EQUAL(scn_overflow_name(SCN_OVF_DROP_NEWEST), "drop-newest");
    CU_ASSERT_STRING_EQUAL(scn_doorbell_name(SCN_DB_ALWAYS), "always");
    CU_ASSERT_STRING_EQUAL(scn_doorbell_name((enum scn_doorbell)7), "?");
}

static CU_TestInfo tests[] = {
    {"defaults", test_defaults},
    {"every key", test_every_key},
    {"scenario files load and round-trip", test_scenario_files},
    {"malformed input: exact line:col and message", test_malformed},
    {"time scale", test_time_scale},
    {"scn_check on structs built in code", test_check_in_code},
    {"size limit, unreadable files, event limit", test_limits},
    {"the plan's sample limit is checked by the loader", test_sample_limit},
    {"a UTF-8 BOM at the start is skipped", test_bom},
    {"alias and nesting bombs", test_bombs},
    {"mutated input never crashes", test_garbage},
    {"names", test_names},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("scenario", tests); }

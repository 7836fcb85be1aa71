/* Tests for sim/rawmatch: packets of a raw stream identified by place and content — in order,
 * with loss placed, duplicates, reordering, corruption, all-identical and periodic contents,
 * varying lengths, samples never on the wire, CRC collisions told apart by the bytes, the
 * look-ahead, bad input, and a plan of 10^7 samples. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/packet.h"
#include "sim/rawmatch.h"
#include "sim/schedule.h"
#include "tests/cu.h"

enum gen { G_COUNTER, G_SAME, G_PERIODIC, G_LENGTHS, G_TABLE, G_ZLP };

struct plan {
    enum gen gen;
    uint32_t period;         /* G_PERIODIC */
    const uint32_t *absent;  /* seqs never on the wire */
    size_t n_absent;
    size_t too_long_at;      /* a sample of RM_MAX_LEN + 1 bytes at this seq (+1; 0: none) */
    const uint8_t (*table)[8]; /* G_TABLE: 8 bytes per seq */
    uint64_t calls;
};

/* Sample seq's bytes: a little-endian counter (4..63 bytes, varying), always "idle", one byte
 * seq % period, zeros of length 1 + seq % 5, or a table row. */
static size_t content(struct plan *p, uint32_t seq, uint8_t *out)
{
    for (size_t i = 0; i < p->n_absent; i++)
        if (p->absent[i] == seq)
            return RM_ABSENT;
    if (p->too_long_at && seq + 1 == p->too_long_at)
        return RM_MAX_LEN + 1;
    switch (p->gen) {
    case G_COUNTER: {
        size_t len = 4 + seq % 60;
        memset(out, 0xA5, len);
        for (int i = 0; i < 4; i++)
            out[i] = (uint8_t)(seq >> (8 * i));
        return len;
    }
    case G_SAME:
        memcpy(out, "idle", 4);
        return 4;
    case G_PERIODIC:
        out[0] = (uint8_t)(seq % p->period);
        out[1] = (uint8_t)(seq % p->period >> 8);
        out[2] = (uint8_t)(seq % p->period >> 16);
        return 3;
    case G_LENGTHS:
        memset(out, 0, 1 + seq % 5);
        return 1 + seq % 5;
    case G_TABLE:
        memcpy(out, p->table[seq], 8);
        return 8;
    case G_ZLP: /* every even sample is empty, every odd one a 4-byte counter */
        memcpy(out, &seq, 4);
        return seq % 2 ? 4 : 0;
    }
    return 0;
}

static size_t get(void *ctx, uint32_t seq, uint8_t *out, size_t cap)
{
    struct plan *p = ctx;
    uint8_t b[RM_MAX_LEN + 1];
    p->calls++;
    size_t len = content(p, seq, b);
    if (len != RM_ABSENT)
        memcpy(out, b, len < cap ? len : cap);
    return len;
}

/* Sends sample seq's bytes (as the plan has them) to the matcher. */
static int64_t send(struct rm *m, struct plan *p, uint32_t seq, int *dup)
{
    uint8_t b[RM_MAX_LEN + 1];
    size_t len = content(p, seq, b);
    return rm_match(m, b, len, dup);
}

static struct rm *make(struct plan *p, uint32_t n)
{
    char err[RM_ERR_MAX] = "";
    struct rm *m = rm_new(n, get, p, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(err, "");
    return m;
}

static void test_in_order(void)
{
    struct plan p = {.gen = G_COUNTER};
    struct rm *m = make(&p, 500);
    int dup = -1;
    for (uint32_t s = 0; s < 500; s++) {
        CU_ASSERT_EQUAL(send(m, &p, s, &dup), s);
        CU_ASSERT_EQUAL(dup, 0);
        CU_ASSERT_EQUAL(rm_cursor(m), s + 1);
    }
    struct rm_stats st;
    rm_stats(m, &st);
    CU_ASSERT_EQUAL(st.matched, 500);
    CU_ASSERT_EQUAL(st.late + st.duplicates + st.unknown, 0);
    rm_free(m);
}

/* Lost packets are skipped: each later packet is still itself. */
static void test_loss_placed(void)
{
    struct plan p = {.gen = G_COUNTER};
    struct rm *m = make(&p, 100);
    int dup;
    for (uint32_t s = 0; s < 100; s++) {
        if (s == 3 || s == 7 || (s >= 40 && s < 60))
            continue;
        CU_ASSERT_EQUAL(send(m, &p, s, &dup), s);
    }
    CU_ASSERT_EQUAL(rm_cursor(m), 100);
    struct rm_stats st;
    rm_stats(m, &st);
    CU_ASSERT_EQUAL(st.matched, 78);
    CU_ASSERT_EQUAL(st.unknown, 0);
    rm_free(m);
}

static void test_duplicates(void)
{
    struct plan p = {.gen = G_COUNTER};
    struct rm *m = make(&p, 20);
    int dup;
    for (uint32_t s = 0; s <= 5; s++)
        CU_ASSERT_EQUAL(send(m, &p, s, &dup), s);
    CU_ASSERT_EQUAL(send(m, &p, 5, &dup), 5);
    CU_ASSERT_EQUAL(dup, 1);
    CU_ASSERT_EQUAL(send(m, &p, 2, &dup), 2); /* an old one again */
    CU_ASSERT_EQUAL(dup, 1);
    CU_ASSERT_EQUAL(rm_cursor(m), 6);
    CU_ASSERT_EQUAL(send(m, &p, 6, &dup), 6);
    CU_ASSERT_EQUAL(dup, 0);
    struct rm_stats st;
    rm_stats(m, &st);
    CU_ASSERT_EQUAL(st.duplicates, 2);
    CU_ASSERT_EQUAL(st.matched, 7);
    rm_free(m);
}

/* 0 1 3 2 4: 3 moves the cursor, 2 comes late, 4 is next. */
static void test_reordering(void)
{
    struct plan p = {.gen = G_COUNTER};
    struct rm *m = make(&p, 10);
    int dup;
    static const uint32_t order[] = {0, 1, 3, 2, 4, 9, 5};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        CU_ASSERT_EQUAL(send(m, &p, order[i], &dup), order[i]);
        CU_ASSERT_EQUAL(dup, 0);
    }
    CU_ASSERT_EQUAL(rm_cursor(m), 10);
    struct rm_stats st;
    rm_stats(m, &st);
    CU_ASSERT_EQUAL(st.late, 2); /* 2, then 5 */
    CU_ASSERT_EQUAL(st.matched, 7);
    rm_free(m);
}

/* A corrupted packet is content never planned: -1, and it takes its place in the stream. */
static void test_corruption(void)
{
    struct plan p = {.gen = G_COUNTER};
    struct rm *m = make(&p, 10);
    int dup;
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 0);
    uint8_t b[RM_MAX_LEN];
    size_t len = content(&p, 1, b);
    b[len - 1] ^= 0x10;
    CU_ASSERT_EQUAL(rm_match(m, b, len, &dup), -1);
    CU_ASSERT_EQUAL(dup, 0);
    CU_ASSERT_EQUAL(rm_cursor(m), 2);
    CU_ASSERT_EQUAL(rm_match(m, b, len - 1, &dup), -1); /* shortened: also never planned */
    CU_ASSERT_EQUAL(rm_match(m, b, 0, &dup), -1);
    CU_ASSERT_EQUAL(rm_match(m, b, RM_MAX_LEN + 1, &dup), -1);
    CU_ASSERT_EQUAL(send(m, &p, 2, &dup), 2);
    struct rm_stats st;
    rm_stats(m, &st);
    CU_ASSERT_EQUAL(st.unknown, 4);
    CU_ASSERT_EQUAL(st.matched, 2);
    rm_free(m);
}

/* Every packet alike: matched by place; a corrupted one leaves the next ones in their places;
 * past the end of the plan, one more is a duplicate of the last. */
static void test_all_identical(void)
{
    struct plan p = {.gen = G_SAME};
    struct rm *m = make(&p, 1000);
    int dup;
    for (uint32_t s = 0; s < 1000; s++) {
        if (s == 500) {
            CU_ASSERT_EQUAL(rm_match(m, (const uint8_t *)"idlE", 4, &dup), -1);
            continue;
        }
        CU_ASSERT_EQUAL(send(m, &p, s, &dup), s);
        CU_ASSERT_EQUAL(dup, 0);
    }
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 500); /* the one place left, late */
    CU_ASSERT_EQUAL(dup, 0);
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 999);
    CU_ASSERT_EQUAL(dup, 1);
    CU_ASSERT_EQUAL(rm_match(m, (const uint8_t *)"idle!", 5, &dup), -1);
    rm_free(m);
}

/* One byte... three bytes repeating with a period: a repeat within the look-ahead is the next
 * one; an old content whose next instance is beyond the look-ahead is a duplicate; a content
 * seen nowhere before and due only beyond the look-ahead is taken (a long gap). */
static void test_periodic_and_lookahead(void)
{
    uint32_t period = RM_LOOKAHEAD + 1000;
    struct plan p = {.gen = G_PERIODIC, .period = period};
    struct rm *m = make(&p, 3 * period);
    int dup;
    for (uint32_t s = 0; s < 10; s++)
        CU_ASSERT_EQUAL(send(m, &p, s, &dup), s);
    CU_ASSERT_EQUAL(send(m, &p, 3, &dup), 3); /* 3 + period is beyond the look-ahead */
    CU_ASSERT_EQUAL(dup, 1);
    CU_ASSERT_EQUAL(send(m, &p, 500, &dup), 500); /* within: a gap of 490 */
    CU_ASSERT_EQUAL(dup, 0);
    CU_ASSERT_EQUAL(send(m, &p, period - 1, &dup), period - 1);
    CU_ASSERT_EQUAL(dup, 0);
    CU_ASSERT_EQUAL(rm_cursor(m), period);
    CU_ASSERT_EQUAL(send(m, &p, 3, &dup), period + 3); /* now the next 3 is near */
    CU_ASSERT_EQUAL(dup, 0);
    rm_free(m);

    /* far ahead, never seen: taken, and the cursor jumps */
    struct plan c = {.gen = G_COUNTER};
    m = make(&c, 2 * RM_LOOKAHEAD);
    CU_ASSERT_EQUAL(send(m, &c, 0, &dup), 0);
    CU_ASSERT_EQUAL(send(m, &c, RM_LOOKAHEAD + 50, &dup), RM_LOOKAHEAD + 50);
    CU_ASSERT_EQUAL(dup, 0);
    CU_ASSERT_EQUAL(rm_cursor(m), RM_LOOKAHEAD + 51);
    CU_ASSERT_EQUAL(send(m, &c, 1, &dup), 1); /* late */
    rm_free(m);
}

/* Contents that differ only in length are different contents. */
static void test_varying_lengths(void)
{
    struct plan p = {.gen = G_LENGTHS};
    struct rm *m = make(&p, 50);
    int dup;
    uint8_t zeros[8] = {0};
    CU_ASSERT_EQUAL(rm_match(m, zeros, 3, &dup), 2);  /* 0 and 1 lost */
    CU_ASSERT_EQUAL(rm_match(m, zeros, 1, &dup), 5);  /* the next of length 1 */
    CU_ASSERT_EQUAL(rm_match(m, zeros, 1, &dup), 10);
    CU_ASSERT_EQUAL(rm_match(m, zeros, 2, &dup), 11);
    /* ahead is taken before behind: 16, not 1 (skipped) */
    CU_ASSERT_EQUAL(rm_match(m, zeros, 2, &dup), 16);
    CU_ASSERT_EQUAL(dup, 0);
    CU_ASSERT_EQUAL(rm_match(m, zeros, 6, &dup), -1); /* no sample is 6 bytes */
    rm_free(m);
}

/* Samples never on the wire (RM_ABSENT) are never matched; empty packets are a content; a
 * sample over RM_MAX_LEN is refused. */
static void test_absent_and_bad_plan(void)
{
    static const uint32_t absent[] = {1, 2};
    struct plan p = {.gen = G_SAME, .absent = absent, .n_absent = 2};
    struct rm *m = make(&p, 5);
    int dup;
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 0);
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 3);
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 4);
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 4);
    CU_ASSERT_EQUAL(dup, 1);
    rm_free(m);

    /* a packet of unknown content takes the next place on the wire (1 and 2 are not on it) */
    m = make(&p, 5);
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 0);
    rm_skip(m);
    CU_ASSERT_EQUAL(rm_cursor(m), 4);
    CU_ASSERT_EQUAL(send(m, &p, 0, &dup), 4);
    rm_skip(m);
    CU_ASSERT_EQUAL(rm_cursor(m), 5); /* the end: stays */
    rm_free(m);

    struct plan z = {.gen = G_ZLP};
    m = make(&z, 10);
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 0);
    CU_ASSERT_EQUAL(send(m, &z, 3, &dup), 3); /* 1 and 2 lost */
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 4);
    CU_ASSERT_EQUAL(send(m, &z, 1, &dup), 1);  /* late */
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 6);
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 8);
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 2); /* the one left behind */
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 8);
    CU_ASSERT_EQUAL(dup, 1);
    rm_free(m);

    struct plan bad = {.gen = G_COUNTER, .too_long_at = 8};
    char err[RM_ERR_MAX] = "";
    CU_ASSERT_PTR_NULL(rm_new(10, get, &bad, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "sample 7 is 1025 bytes"));

    struct plan none = {.gen = G_COUNTER};
    m = make(&none, 0);
    CU_ASSERT_EQUAL(rm_match(m, (const uint8_t *)"abcd", 4, &dup), -1);
    CU_ASSERT_EQUAL(rm_cursor(m), 0);
    rm_free(m);
}

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Two 8-byte contents with the same CRC-32 (a birthday search): the bytes tell them apart. */
static void test_crc_collision(void)
{
    enum { N = 300000 };
    uint64_t *v = malloc(N * sizeof *v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    for (uint32_t i = 0; i < N; i++) {
        uint64_t x = mix(i);
        v[i] = (uint64_t)pkt_crc32((const uint8_t *)&x, 8) << 32 | i;
    }
    qsort(v, N, sizeof *v, cmp_u64);
    uint64_t a = 0, b = 0;
    int found = 0;
    for (size_t i = 1; i < N && !found; i++)
        if (v[i] >> 32 == v[i - 1] >> 32) {
            a = mix((uint32_t)v[i - 1]);
            b = mix((uint32_t)v[i]);
            found = 1;
        }
    free(v);
    CU_ASSERT_FATAL(found);
    CU_ASSERT_EQUAL(pkt_crc32((const uint8_t *)&a, 8), pkt_crc32((const uint8_t *)&b, 8));
    uint8_t table[4][8];
    memcpy(table[0], &a, 8);
    memcpy(table[1], &b, 8);
    memcpy(table[2], &a, 8);
    memcpy(table[3], &b, 8);
    struct plan p = {.gen = G_TABLE, .table = (const uint8_t (*)[8])table};
    struct rm *m = make(&p, 4);
    int dup;
    CU_ASSERT_EQUAL(rm_match(m, table[1], 8, &dup), 1); /* b: 0 is a, not b */
    CU_ASSERT_EQUAL(rm_match(m, table[0], 8, &dup), 2); /* a, after the cursor */
    CU_ASSERT_EQUAL(rm_match(m, table[0], 8, &dup), 0); /* a, late */
    CU_ASSERT_EQUAL(rm_match(m, table[1], 8, &dup), 3);
    CU_ASSERT_EQUAL(rm_match(m, table[1], 8, &dup), 3);
    CU_ASSERT_EQUAL(dup, 1);
    CU_ASSERT_EQUAL(rm_match(m, table[0], 8, &dup), 2);
    CU_ASSERT_EQUAL(dup, 1);
    rm_free(m);
}

static void plan_of(const char *yaml, struct sched *plan)
{
    struct scn_scenario *sc = malloc(sizeof *sc);
    char err[SCN_ERR_MAX] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL_FATAL(scn_parse("t.yaml", yaml, strlen(yaml), sc, err), 0);
    CU_ASSERT_EQUAL_FATAL(sched_build(sc, plan, err), 0);
    free(sc);
}

/* A plan's own bytes (sched_payload), every generator: each sample sent is itself, the samples
 * the plan drops at the device are never matched; a usbsim-framed plan is refused. */
static void test_from_sched(void)
{
    static const char *const gens[] = {"counter", "random",
                                       "pattern, pattern: \"01 02 03\""};
    for (size_t g = 0; g < 3; g++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml, "name: r\nduration_ms: 1000\ndevice:\n  framing: raw\n"
                 "  packet_size: 16\n  payload: {generator: %s}\n  events:\n"
                 "    - {at_ms: 300, stall_ms: 100, mode: drop}\n"
                 "    - {at_ms: 600, corrupt: 2}\n", gens[g]);
        struct sched plan;
        plan_of(yaml, &plan);
        CU_ASSERT_TRUE(plan.raw);
        char err[RM_ERR_MAX] = "";
        struct rm *m = rm_from_sched(&plan, err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        size_t dropped = 0, ok = 0;
        int dup;
        for (uint32_t s = 0; s < plan.n; s++) {
            if (plan.samples[s].fate == SCHED_DROPPED) {
                dropped++;
                continue;
            }
            uint8_t b[RM_MAX_LEN];
            size_t len = sched_payload(&plan, s, b, sizeof b);
            CU_ASSERT_EQUAL(len, 16);
            if (plan.samples[s].flags & PKT_F_CORRUPT) { /* as the device sends it */
                for (size_t i = 0; i < len; i++)
                    b[i] ^= 0xA5;
                ok += rm_match(m, b, len, &dup) == -1;
                continue;
            }
            ok += rm_match(m, b, len, &dup) == s && !dup;
        }
        CU_ASSERT_EQUAL(ok + dropped, plan.n);
        CU_ASSERT_TRUE(dropped >= 9); /* the stall drops 10 samples at 100 Hz */
        struct rm_stats st;
        rm_stats(m, &st);
        CU_ASSERT_EQUAL(st.unknown, 2);
        rm_free(m);
        sched_free(&plan);
    }
    struct sched plan;
    plan_of("name: f\nduration_ms: 100\n", &plan);
    char err[RM_ERR_MAX] = "";
    CU_ASSERT_PTR_NULL(rm_from_sched(&plan, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "framing is usbsim, not raw"));
    sched_free(&plan);
}

/* A replayed recording with empty packets: a corrupted empty one goes out as it is (no byte to
 * change) and is itself; a corrupted one with bytes is never matched. */
static void test_from_replay(void)
{
    char dir[] = "/tmp/usbsim-rm-XXXXXX", rec[96], yaml[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    cu_write_file(dir, "d.rec", "# usbsim recording 1\n0 0x81 -\n10000 0x81 0102\n20000 0x81 -\n"
                  "30000 0x81 0102\n40000 0x81 03\n", rec, sizeof rec);
    snprintf(yaml, sizeof yaml, "name: rp\nduration_ms: 50\ndevice:\n  framing: raw\n"
             "  replay: {file: %s}\n  events:\n    - {at_ms: 0, corrupt: 2}\n", rec);
    struct sched plan;
    plan_of(yaml, &plan);
    CU_ASSERT_EQUAL_FATAL(plan.n, 5);
    CU_ASSERT(plan.samples[0].flags & PKT_F_CORRUPT);
    CU_ASSERT(plan.samples[1].flags & PKT_F_CORRUPT);
    char err[RM_ERR_MAX];
    struct rm *m = rm_from_sched(&plan, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    int dup;
    static const uint8_t x[] = {0x01 ^ 0xA5, 0x02 ^ 0xA5}, ab[] = {1, 2}, c[] = {3};
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 0); /* corrupted, but empty: unchanged */
    CU_ASSERT_EQUAL(rm_match(m, x, 2, &dup), -1);   /* corrupted: unknown */
    CU_ASSERT_EQUAL(rm_match(m, NULL, 0, &dup), 2);
    CU_ASSERT_EQUAL(rm_match(m, ab, 2, &dup), 3);   /* never 1: its bytes were changed */
    CU_ASSERT_EQUAL(rm_match(m, c, 1, &dup), 4);
    CU_ASSERT_EQUAL(rm_match(m, ab, 2, &dup), 3);
    CU_ASSERT_EQUAL(dup, 1);
    rm_free(m);
    sched_free(&plan);
    unlink(rec);
    rmdir(dir);
}

/* The largest plan a scenario may have: built in O(n), each match a few binary searches. */
static void test_large(void)
{
    struct plan p = {.gen = G_COUNTER};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct rm *m = make(&p, 10000000);
    int dup, ok = 1;
    for (uint32_t s = 0; s < 10000000 && ok; s += 7)
        ok = send(m, &p, s, &dup) == s && !dup;
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(rm_cursor(m), 9999998); /* 9999997 was the last sent */
    rm_free(m);
    /* all alike, a million: by place, no quadratic scan */
    struct plan q = {.gen = G_SAME};
    m = make(&q, 1000000);
    for (uint32_t s = 0; s < 1000000 && ok; s++)
        ok = send(m, &q, 0, &dup) == s;
    for (uint32_t s = 0; s < 1000 && ok; s++)
        ok = send(m, &q, 0, &dup) == 999999 && dup;
    CU_ASSERT(ok);
    rm_free(m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CU_ASSERT((t1.tv_sec - t0.tv_sec) < 120); /* a sanity bound, even under a sanitizer */
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"in order", test_in_order},
        {"loss placed", test_loss_placed},
        {"duplicates", test_duplicates},
        {"reordering", test_reordering},
        {"corruption", test_corruption},
        {"all identical", test_all_identical},
        {"periodic, look-ahead", test_periodic_and_lookahead},
        {"varying lengths", test_varying_lengths},
        {"absent samples, bad plan", test_absent_and_bad_plan},
        {"crc collision", test_crc_collision},
        {"a plan's own bytes", test_from_sched},
        {"a replayed recording, empty packets", test_from_replay},
        {"large", test_large},
        CU_TEST_INFO_NULL,
    };
    return cu_main("rawmatch", tests);
}

/* Tests for sim/packet: byte layout, round trips at every size class, each error, every
 * single-bit flip caught, payload determinism, and no read past the given length. */
#include <stdlib.h>
#include <string.h>

#include "sim/packet.h"
#include "tests/cu.h"

static const struct pkt_fields sample = {
    .seq = 0x01020304u, .produce_ns = 0x1122334455667788ull, .dropped_before = 0xA1B2,
    .flags = PKT_F_BURST | PKT_F_AFTER_GAP, .stream_id = 0xCAFEF00Du};

/* A packet in a heap block of exactly size bytes, so ASan sees any read past the end. */
static uint8_t *make(size_t size, uint64_t seed, const struct pkt_fields *f, int corrupt)
{
    uint8_t *p = malloc(size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    pkt_encode(p, size, seed, f, corrupt);
    return p;
}

static void assert_fields_equal(const struct pkt_fields *a, const struct pkt_fields *b)
{
    CU_ASSERT_EQUAL(a->seq, b->seq);
    CU_ASSERT_EQUAL(a->produce_ns, b->produce_ns);
    CU_ASSERT_EQUAL(a->dropped_before, b->dropped_before);
    CU_ASSERT_EQUAL(a->flags, b->flags);
    CU_ASSERT_EQUAL(a->stream_id, b->stream_id);
}

static void test_crc_is_ieee(void)
{
    CU_ASSERT_EQUAL(pkt_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
}

static void test_layout_little_endian(void)
{
    uint8_t *p = make(112, 1, &sample, 0);
    static const uint8_t head[24] = {0x55, 0x53, 0x49, 0x4D, 0x04, 0x03, 0x02, 0x01,
                                     0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                                     0xB2, 0xA1, 0x05, 0x00, 0x0D, 0xF0, 0xFE, 0xCA};
    CU_ASSERT_EQUAL(memcmp(p, head, sizeof head), 0);
    uint8_t pay[84];
    pkt_payload(1, sample.seq, pay, sizeof pay);
    CU_ASSERT_EQUAL(memcmp(p + 24, pay, sizeof pay), 0);
    uint32_t crc = pkt_crc32(p, 108);
    CU_ASSERT(p[108] == (uint8_t)crc && p[109] == (uint8_t)(crc >> 8) &&
              p[110] == (uint8_t)(crc >> 16) && p[111] == (uint8_t)(crc >> 24));
    free(p);
}

/* Pinned: the CRC of the default packet (seed 1, all fields 0) fixes the payload on every
 * machine; so do its first payload bytes. */
static void test_pinned_packet(void)
{
    struct pkt_fields zero = {0};
    uint8_t *p = make(112, 1, &zero, 0);
    static const uint8_t pay[8] = {0xb6, 0x12, 0xf0, 0xf7, 0x76, 0x05, 0xf1, 0xf9};
    CU_ASSERT_EQUAL(memcmp(p + 24, pay, 8), 0);
    CU_ASSERT_EQUAL(p[108] | p[109] << 8 | p[110] << 16 | (uint32_t)p[111] << 24, 0xa0b391eau);
    free(p);
}

static void test_round_trip_sizes(void)
{
    static const size_t sizes[] = {32, 33, 37, 100, 112, 113, 999, 1023, 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (uint64_t seed = 0; seed < 3; seed++) {
            uint8_t *p = make(sizes[i], seed, &sample, 0);
            struct pkt_fields f;
            memset(&f, 0xEE, sizeof f);
            CU_ASSERT_EQUAL(pkt_decode(p, sizes[i], sizes[i], seed, 1, &f), PKT_OK);
            assert_fields_equal(&f, &sample);
            CU_ASSERT_EQUAL(pkt_decode(p, sizes[i], 0, seed, 1, NULL), PKT_OK);
            free(p);
        }
    }
}

static void test_size_errors(void)
{
    uint8_t *p = make(112, 1, &sample, 0);
    struct pkt_fields f;
    CU_ASSERT_EQUAL(pkt_decode(p, 112, 113, 1, 1, &f), PKT_ERR_SHORT);
    CU_ASSERT_EQUAL(pkt_decode(p, 31, 0, 1, 1, &f), PKT_ERR_SHORT);
    CU_ASSERT_EQUAL(pkt_decode(p, 0, 0, 1, 1, &f), PKT_ERR_SHORT);
    CU_ASSERT_EQUAL(pkt_decode(NULL, 112, 0, 1, 1, &f), PKT_ERR_SHORT);
    uint8_t big[PKT_MAX_SIZE + 1] = {0};
    CU_ASSERT_EQUAL(pkt_decode(big, sizeof big, 0, 1, 1, &f), PKT_ERR_SHORT);
    /* a truncated packet, in a block of exactly its length: the CRC no longer matches */
    uint8_t *cut = malloc(111);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
    memcpy(cut, p, 111);
    CU_ASSERT_EQUAL(pkt_decode(cut, 111, 0, 1, 1, &f), PKT_ERR_CRC);
    free(cut);
    free(p);
    /* encode refuses sizes out of range: nothing written */
    uint8_t buf[40];
    memset(buf, 0x5A, sizeof buf);
    pkt_encode(buf, 31, 1, &sample, 0);
    CU_ASSERT_EQUAL(buf[0], 0x5A);
}

static void test_magic_crc_payload_errors(void)
{
    struct pkt_fields f;
    uint8_t *p = make(112, 1, &sample, 0);
    p[0] ^= 0x01;
    CU_ASSERT_EQUAL(pkt_decode(p, 112, 112, 1, 1, &f), PKT_ERR_MAGIC);
    free(p);

    p = make(112, 1, &sample, 1); /* the device's corruption event */
    memset(&f, 0, sizeof f);
    CU_ASSERT_EQUAL(pkt_decode(p, 112, 112, 1, 1, &f), PKT_ERR_CRC);
    assert_fields_equal(&f, &sample); /* filled: magic and size were right */
    free(p);

    p = make(112, 1, &sample, 0);
    CU_ASSERT_EQUAL(pkt_decode(p, 112, 112, 2, 1, &f), PKT_ERR_PAYLOAD); /* other seed */
    CU_ASSERT_EQUAL(pkt_decode(p, 112, 112, 2, 0, &f), PKT_OK);          /* check skipped */
    p[50] ^= 0x80;
    uint32_t crc = pkt_crc32(p, 108);
    for (int i = 0; i < 4; i++)
        p[108 + i] = (uint8_t)(crc >> (8 * i));
    CU_ASSERT_EQUAL(pkt_decode(p, 112, 112, 1, 1, &f), PKT_ERR_PAYLOAD);
    free(p);
}

static void test_every_bit_flip_caught(void)
{
    static const size_t sizes[] = {32, 112};
    for (size_t s = 0; s < 2; s++) {
        size_t n = sizes[s];
        uint8_t *p = make(n, 7, &sample, 0);
        for (size_t bit = 0; bit < n * 8; bit++) {
            p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            enum pkt_status st = pkt_decode(p, n, n, 7, 1, NULL);
            CU_ASSERT_FATAL(st == (bit < 32 ? PKT_ERR_MAGIC : PKT_ERR_CRC));
            p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        CU_ASSERT_EQUAL(pkt_decode(p, n, n, 7, 1, NULL), PKT_OK);
        free(p);
    }
}

static void test_payload_pure_function(void)
{
    uint8_t a[1000], b[1000];
    pkt_payload(5, 10, a, sizeof a);
    pkt_payload(5, 10, b, sizeof b);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    pkt_payload(5, 11, b, sizeof b);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof a), 0);
    pkt_payload(6, 10, b, sizeof b);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof a), 0);
    /* byte i does not depend on the length asked for */
    uint8_t c[13];
    pkt_payload(5, 10, c, sizeof c);
    CU_ASSERT_EQUAL(memcmp(a, c, sizeof c), 0);
    /* and it is not constant: most bytes differ from their neighbour */
    int same = 0;
    for (size_t i = 1; i < sizeof a; i++)
        same += a[i] == a[i - 1];
    CU_ASSERT(same < 20);
}

static void test_status_strings(void)
{
    const char *seen[5];
    for (int s = PKT_OK; s <= PKT_ERR_PAYLOAD; s++) {
        seen[s] = pkt_status_str((enum pkt_status)s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(seen[s]);
        for (int t = 0; t < s; t++)
            CU_ASSERT_STRING_NOT_EQUAL(seen[s], seen[t]);
    }
    CU_ASSERT_PTR_NOT_NULL(pkt_status_str((enum pkt_status)99));
}

static CU_TestInfo tests[] = {
    {"crc is CRC-32 IEEE", test_crc_is_ieee},
    {"layout is little-endian", test_layout_little_endian},
    {"pinned packet", test_pinned_packet},
    {"round trip at every size", test_round_trip_sizes},
    {"size errors", test_size_errors},
    {"magic, crc, payload errors", test_magic_crc_payload_errors},
    {"every single-bit flip is caught", test_every_bit_flip_caught},
    {"payload is a pure function", test_payload_pure_function},
    {"status strings", test_status_strings},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("packet", tests);
}

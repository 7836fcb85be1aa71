/* packet — encode and verify the device's packets (contract in packet.h).
 *
 * Every multi-byte field is written and read one byte at a time, little-endian, so the layout
 * never depends on the host or on struct padding. The payload of sample seq is the xoshiro256**
 * stream seeded with rng_derive(rng_derive(seed, RNG_TAG_PAYLOAD), seq), 8 little-endian bytes
 * per draw. Flags are written exactly as given: the device keeps PKT_F_CORRUPT in its own log
 * and off the wire (a corrupted packet is told apart only by its CRC).
 */
#include "sim/packet.h"

#include <string.h>
#include <zlib.h>

#include "sim/rng.h"

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint32_t pkt_crc32(const uint8_t *buf, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) { /* zlib takes uInt lengths */
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, buf, chunk);
        buf += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

void pkt_payload(uint64_t seed, uint32_t seq, uint8_t *out, size_t n)
{
    struct rng r;
    rng_seed(&r, rng_derive(rng_derive(seed, RNG_TAG_PAYLOAD), seq));
    for (size_t i = 0; i < n; i += 8) {
        uint8_t word[8];
        put_le(word, rng_next(&r), 8);
        memcpy(out + i, word, n - i < 8 ? n - i : 8);
    }
}

/* Writes nothing when size is outside PKT_MIN_SIZE..PKT_MAX_SIZE (a caller bug). */
void pkt_encode(uint8_t *buf, size_t size, uint64_t seed, const struct pkt_fields *f, int corrupt)
{
    if (size < PKT_MIN_SIZE || size > PKT_MAX_SIZE)
        return;
    put_le(buf + 0, PKT_MAGIC, 4);
    put_le(buf + 4, f->seq, 4);
    put_le(buf + 8, f->produce_ns, 8);
    put_le(buf + 16, f->dropped_before, 2);
    put_le(buf + 18, f->flags, 2);
    put_le(buf + 20, f->stream_id, 4);
    pkt_payload(seed, f->seq, buf + PKT_HEADER_SIZE, size - PKT_HEADER_SIZE - 4);
    uint32_t crc = pkt_crc32(buf, size - 4);
    put_le(buf + size - 4, corrupt ? ~crc : crc, 4);
}

static void read_fields(const uint8_t *buf, struct pkt_fields *f)
{
    f->seq = (uint32_t)get_le(buf + 4, 4);
    f->produce_ns = get_le(buf + 8, 8);
    f->dropped_before = (uint16_t)get_le(buf + 16, 2);
    f->flags = (uint16_t)get_le(buf + 18, 2);
    f->stream_id = (uint32_t)get_le(buf + 20, 4);
}

static int payload_matches(const uint8_t *buf, size_t len, uint64_t seed, uint32_t seq)
{
    uint8_t want[PKT_MAX_SIZE];
    size_t n = len - PKT_HEADER_SIZE - 4;
    pkt_payload(seed, seq, want, n);
    return memcmp(want, buf + PKT_HEADER_SIZE, n) == 0;
}

enum pkt_status pkt_decode(const uint8_t *buf, size_t len, size_t expect_size, uint64_t seed,
                           int check_payload, struct pkt_fields *f)
{
    if (buf == NULL || len < PKT_MIN_SIZE || len > PKT_MAX_SIZE ||
        (expect_size != 0 && len != expect_size))
        return PKT_ERR_SHORT;
    if (get_le(buf, 4) != PKT_MAGIC)
        return PKT_ERR_MAGIC;
    struct pkt_fields tmp;
    read_fields(buf, f ? f : &tmp);
    if (get_le(buf + len - 4, 4) != pkt_crc32(buf, len - 4))
        return PKT_ERR_CRC;
    if (check_payload && !payload_matches(buf, len, seed, (uint32_t)get_le(buf + 4, 4)))
        return PKT_ERR_PAYLOAD;
    return PKT_OK;
}

const char *pkt_status_str(enum pkt_status s)
{
    switch (s) {
    case PKT_OK: return "ok";
    case PKT_ERR_SHORT: return "wrong size";
    case PKT_ERR_MAGIC: return "bad magic";
    case PKT_ERR_CRC: return "CRC mismatch";
    case PKT_ERR_PAYLOAD: return "payload mismatch";
    }
    return "unknown packet status";
}

/* packet — the device's packet format (this header is its reference; docs/trace-format.md says how
 * a receiver's trace is checked against it), little-endian on the wire.
 *
 *   0..3 magic 0x4D495355 | 4..7 seq | 8..15 produce time ns (CLOCK_MONOTONIC) |
 *   16..17 samples dropped at the device just before this one | 18..19 flags | 20..23 stream id |
 *   24..n-5 payload = pkt_payload(seed, seq) | n-4..n-1 CRC-32 (IEEE, zlib) of bytes 0..n-5
 *
 * Contract: pkt_encode() writes exactly `size` bytes (PKT_MIN_SIZE..PKT_MAX_SIZE); pkt_decode()
 * reads at most `len` bytes, never trusts a field, and says precisely what is wrong (checks in
 * this order: size, magic, CRC, then the payload when asked).
 * Prefix: pkt_.
 */
#ifndef USBSIM_SIM_PACKET_H
#define USBSIM_SIM_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAGIC 0x4D495355u
#define PKT_MIN_SIZE 32
#define PKT_MAX_SIZE 1024
#define PKT_HEADER_SIZE 24

/* flags */
#define PKT_F_BURST 0x0001u   /* an extra packet of a burst event */
#define PKT_F_CORRUPT 0x0002u /* the device sent this with a bad CRC on purpose (not on the wire
                                 in the CRC-covered bytes: it is only in the device's own log) */
#define PKT_F_AFTER_GAP 0x0004u /* first packet after a halt, stall or reconnect */

struct pkt_fields {
    uint32_t seq;
    uint64_t produce_ns;
    uint16_t dropped_before;
    uint16_t flags;
    uint32_t stream_id;
};

enum pkt_status {
    PKT_OK = 0,
    PKT_ERR_SHORT,   /* len outside PKT_MIN_SIZE..PKT_MAX_SIZE, or != expect_size (not 0) */
    PKT_ERR_MAGIC,
    PKT_ERR_CRC,
    PKT_ERR_PAYLOAD, /* CRC fine but payload is not pkt_payload(seed, seq) */
};

/* Encode; corrupt != 0 writes a CRC that does not match (the device's corruption event). */
void pkt_encode(uint8_t *buf, size_t size, uint64_t seed, const struct pkt_fields *f, int corrupt);
/* Decode and verify. expect_size 0 accepts any size in range. seed is used for the payload check
 * (pass check_payload 0 to skip it). Fills *f whenever the magic and size are right. */
enum pkt_status pkt_decode(const uint8_t *buf, size_t len, size_t expect_size, uint64_t seed,
                           int check_payload, struct pkt_fields *f);
const char *pkt_status_str(enum pkt_status s);
/* The payload byte i (0-based within the payload) of sample seq: a pure function. */
void pkt_payload(uint64_t seed, uint32_t seq, uint8_t *out, size_t n);
uint32_t pkt_crc32(const uint8_t *buf, size_t n);

#endif

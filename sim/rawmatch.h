/* rawmatch — identifies the packets of a raw stream (no usbsim header: framing raw) by their place
 * in the stream and their content, against the bytes the plan says each sample seq carries.
 *
 * Contract:
 *  - rm_new(n, get, ctx, err) learns samples 0..n-1: get(ctx, seq, out, cap) gives the bytes
 *    sample seq carries (it writes at most cap bytes and returns the full length, 0..RM_MAX_LEN:
 *    an empty packet is a content too), or RM_ABSENT: the sample is never on the wire (the plan
 *    drops it at the device).
 *    The key of a content is its CRC-32 (pkt_crc32, zlib's) continued over its length; the
 *    matcher keeps one (key, seq) pair per sample in one array sorted by key then seq, a
 *    next-unmatched index per pair and a bit per seq: about 12 bytes per sample (n up to
 *    SCN_MAX_SAMPLES = 10^7 is about 120 MB), no allocation per sample; building is a radix
 *    sort, O(n).
 *    get is called again while matching (to compare the bytes of a candidate), so ctx must live
 *    as long as the matcher; get must give the same bytes every time.
 *  - rm_match(m, b, len, &dup) is stateful. A cursor stands at the next expected seq (0 at the
 *    start). A packet is the sample whose content is exactly b[0..len) (key, then every byte),
 *    chosen in this order:
 *      1. the smallest seq not yet matched at or after the cursor, at most RM_LOOKAHEAD past it:
 *         the cursor moves past it (the seqs it skipped were lost, or come late);
 *      2. else the smallest seq not yet matched before the cursor (a late, reordered packet): the
 *         cursor stays;
 *      3. else, when a seq with that content before the cursor was matched already: a duplicate;
 *         the largest such seq is returned with *dup = 1 (nothing changes);
 *      4. else the smallest seq not yet matched further than RM_LOOKAHEAD past the cursor (a long
 *         gap in the stream: the cursor moves past it);
 *      5. else -1: content the device never planned (a corrupted packet, or garbage). Such a
 *         packet takes the cursor's place: the cursor moves one seq on (a corrupted packet of a
 *         stream whose packets all look alike leaves the ones after it where they belong).
 *    Identical contents (a pattern generator, a keyboard's idle reports) are thus matched by
 *    place, in order; a content seen before and due again within RM_LOOKAHEAD is taken as the
 *    next one rather than as a duplicate. Each call costs a binary search (O(log n)) and one
 *    get per candidate compared (one, unless CRC keys collide).
 *  - rm_skip(m): a packet whose content is not known (lost after it was sent: a ring overflow)
 *    took the next place: the cursor moves past the first seq on the wire at or after it.
 *  - rm_skip(m): a packet whose content is not known (lost after it was sent: a ring overflow)
 *    took the next place: the cursor moves past the first seq on the wire at or after it.
 *  - rm_stats() counts what rm_match said: matched, late (case 2), duplicates, unknown.
 * Prefix: rm_.
 */
#ifndef USBSIM_SIM_RAWMATCH_H
#define USBSIM_SIM_RAWMATCH_H

#include <stddef.h>
#include <stdint.h>

#define RM_MAX_LEN 1024u
#define RM_LOOKAHEAD ((1u << 16) + 256u) /* seqs past the cursor a packet is taken in at once */
#define RM_ERR_MAX 160
#define RM_ABSENT SIZE_MAX /* get: this sample never goes on the wire */

typedef size_t (*rm_get_fn)(void *ctx, uint32_t seq, uint8_t *out, size_t cap);

struct rm;
struct sched;

struct rm_stats {
    uint64_t matched, late, duplicates, unknown;
};

/* The matcher of samples 0..n-1, or NULL with one line in err (out of memory; a length over
 * RM_MAX_LEN; n over UINT32_MAX - 1). */
struct rm *rm_new(uint32_t n, rm_get_fn get, void *ctx, char err[RM_ERR_MAX]);
/* The matcher of a plan whose framing is raw: each sample's bytes are sched_payload's; a sample
 * the plan drops at the device is never on the wire, nor is one it corrupts (its bytes are
 * changed on the way: it can only be unknown), unless it is empty (no byte to change). sched must outlive the matcher. NULL with
 * one line in err when the plan is not raw, or as rm_new. */
struct rm *rm_from_sched(const struct sched *s, char err[RM_ERR_MAX]);
/* The seq packet b[0..len) is (see the top), or -1; *dup is set to 1 for a duplicate, else 0. */
int64_t rm_match(struct rm *m, const uint8_t *b, size_t len, int *dup);
/* The cursor: the next seq expected. */
uint32_t rm_cursor(const struct rm *m);
void rm_skip(struct rm *m);
void rm_skip(struct rm *m);
void rm_stats(const struct rm *m, struct rm_stats *out);
void rm_free(struct rm *m);

#endif

/* rawmatch — see rawmatch.h. */
#include "sim/rawmatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/packet.h"
#include "sim/schedule.h"

struct rm {
    uint32_t n;      /* samples 0..n-1 */
    size_t m;        /* of them on the wire: pairs in ks */
    uint64_t *ks;    /* key << 32 | seq, sorted */
    uint32_t *next;  /* m + 1: next[i] is a position >= i that may be unmatched (i: unmatched) */
    uint32_t cursor; /* the next seq expected */
    uint8_t *present; /* bit per seq: on the wire (get gave bytes) */
    rm_get_fn get;
    void *ctx;
    struct rm_stats st;
    uint8_t buf[RM_MAX_LEN];
};

/* CRC-32 of the bytes, continued over the length (little-endian, 2 bytes). */
static uint32_t key_of(const uint8_t *b, size_t len)
{
    uint8_t l[2] = {(uint8_t)len, (uint8_t)(len >> 8)};
    return (uint32_t)crc32(pkt_crc32(b, len), l, 2);
}

/* Stable LSD radix sort of v[0..m) by its upper 32 bits, 8 bits a pass (a pass whose digit is
 * the same everywhere is skipped). */
static void sort_by_key(uint64_t *v, uint64_t *tmp, size_t m)
{
    for (int shift = 32; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < m; i++)
            count[((v[i] >> shift) & 0xFF) + 1]++;
        int spread = 0;
        for (int d = 1; d <= 256; d++)
            spread += count[d] != 0;
        if (spread <= 1)
            continue;
        for (int d = 1; d <= 256; d++)
            count[d] += count[d - 1];
        for (size_t i = 0; i < m; i++)
            tmp[count[(v[i] >> shift) & 0xFF]++] = v[i];
        memcpy(v, tmp, m * sizeof *v);
    }
}

struct rm *rm_new(uint32_t n, rm_get_fn get, void *ctx, char err[RM_ERR_MAX])
{
    if (n == UINT32_MAX) {
        snprintf(err, RM_ERR_MAX, "raw stream: %u samples is too many to match", n);
        return NULL;
    }
    struct rm *m = calloc(1, sizeof *m);
    uint64_t *tmp = NULL;
    if (!m || !(m->ks = malloc((n ? n : 1) * sizeof *m->ks)) ||
        !(m->present = calloc(n / 8 + 1, 1)))
        goto oom;
    m->n = n;
    m->get = get;
    m->ctx = ctx;
    for (uint32_t seq = 0; seq < n; seq++) {
        size_t len = get(ctx, seq, m->buf, sizeof m->buf);
        if (len == RM_ABSENT)
            continue;
        if (len > RM_MAX_LEN) {
            snprintf(err, RM_ERR_MAX, "raw stream: sample %u is %zu bytes, over %u", seq, len,
                     RM_MAX_LEN);
            rm_free(m);
            return NULL;
        }
        m->ks[m->m++] = (uint64_t)key_of(m->buf, len) << 32 | seq;
        m->present[seq / 8] |= (uint8_t)(1u << seq % 8);
    }
    if (!(tmp = malloc((m->m ? m->m : 1) * sizeof *tmp)))
        goto oom;
    sort_by_key(m->ks, tmp, m->m);
    free(tmp);
    tmp = NULL;
    if (!(m->next = malloc((m->m + 1) * sizeof *m->next)))
        goto oom;
    for (size_t i = 0; i <= m->m; i++)
        m->next[i] = (uint32_t)i;
    return m;
oom:
    free(tmp);
    rm_free(m);
    snprintf(err, RM_ERR_MAX, "raw stream: out of memory for the contents of %u samples", n);
    return NULL;
}

void rm_free(struct rm *m)
{
    if (!m)
        return;
    free(m->ks);
    free(m->next);
    free(m->present);
    free(m);
}

uint32_t rm_cursor(const struct rm *m) { return m->cursor; }

void rm_skip(struct rm *m)
{
    while (m->cursor < m->n && !(m->present[m->cursor / 8] & (1u << m->cursor % 8)))
        m->cursor++;
    if (m->cursor < m->n)
        m->cursor++;
}

void rm_stats(const struct rm *m, struct rm_stats *out) { *out = m->st; }

/* The first position at or after i not yet matched (m->m: none). */
static size_t find(struct rm *m, size_t i)
{
    while (m->next[i] != i) {
        m->next[i] = m->next[m->next[i]];
        i = m->next[i];
    }
    return i;
}

static int matched(const struct rm *m, size_t i) { return m->next[i] != i; }

static uint32_t seq_at(const struct rm *m, size_t i) { return (uint32_t)m->ks[i]; }

/* The first position whose pair is >= v. */
static size_t lower(const struct rm *m, uint64_t v)
{
    size_t lo = 0, hi = m->m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ks[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Is the content of the sample at position i exactly b[0..len)? */
static int same(struct rm *m, size_t i, const uint8_t *b, size_t len)
{
    size_t l = m->get(m->ctx, seq_at(m, i), m->buf, sizeof m->buf);
    return l == len && (len == 0 || memcmp(m->buf, b, len) == 0);
}

static int64_t take(struct rm *m, size_t i, int moves)
{
    uint32_t seq = seq_at(m, i);
    m->next[i] = (uint32_t)(i + 1);
    m->st.matched++;
    if (moves)
        m->cursor = seq + 1;
    else
        m->st.late++;
    return seq;
}

int64_t rm_match(struct rm *m, const uint8_t *b, size_t len, int *dup)
{
    *dup = 0;
    if (len <= RM_MAX_LEN && (len == 0 || b)) {
        uint64_t k = (uint64_t)key_of(b, len) << 32;
        size_t g0 = lower(m, k), g1 = lower(m, k | UINT32_MAX), p = lower(m, k | m->cursor);
        /* 1. at or after the cursor, within the look-ahead (all unmatched: the cursor only
         *    moves past what it matched) */
        size_t i = find(m, p);
        for (; i < g1 && seq_at(m, i) - m->cursor <= RM_LOOKAHEAD; i = find(m, i + 1))
            if (same(m, i, b, len))
                return take(m, i, 1);
        size_t far = i;
        /* 2. late: before the cursor, not yet matched */
        for (size_t j = find(m, g0); j < p; j = find(m, j + 1))
            if (same(m, j, b, len))
                return take(m, j, 0);
        /* 3. a duplicate of one matched before the cursor, the latest */
        for (size_t j = p; j > g0; j--)
            if (matched(m, j - 1) && same(m, j - 1, b, len)) {
                *dup = 1;
                m->st.duplicates++;
                return seq_at(m, j - 1);
            }
        /* 4. far ahead: a long gap */
        for (i = far; i < g1; i = find(m, i + 1))
            if (same(m, i, b, len))
                return take(m, i, 1);
    }
    m->st.unknown++;
    if (m->cursor < m->n)
        m->cursor++;
    return -1;
}

/* ---- the plan's bytes (sim/schedule.h) ---- */

static size_t plan_bytes(void *ctx, uint32_t seq, uint8_t *out, size_t cap)
{
    const struct sched *s = ctx;
    if (seq >= s->n || s->samples[seq].fate == SCHED_DROPPED)
        return RM_ABSENT;
    size_t len = sched_payload(s, seq, out, cap);
    /* a corrupted sample's bytes are changed on the way (an empty one has none to change) */
    return (s->samples[seq].flags & PKT_F_CORRUPT) && len > 0 ? RM_ABSENT : len;
}

struct rm *rm_from_sched(const struct sched *s, char err[RM_ERR_MAX])
{
    if (!s->raw) {
        snprintf(err, RM_ERR_MAX, "the plan's framing is usbsim, not raw: its packets say their "
                 "seq");
        return NULL;
    }
    if (s->n >= UINT32_MAX) {
        snprintf(err, RM_ERR_MAX, "raw stream: %zu samples is too many to match", s->n);
        return NULL;
    }
    return rm_new((uint32_t)s->n, plan_bytes, (void *)s, err);
}

/* ring — a single-producer / single-consumer packet ring in one shared memory object.
 *
 * Contract: the producer (the driver) creates the ring and is trusted with all of it; the consumer
 * (an application, usually in another process) attaches to the same memory object and maps the
 * producer-written part read-only, its own page read-write. The consumer treats every shared field
 * as untrusted: a wrong magic, version or geometry, an index out of range, a slot length beyond the
 * slot or a slot that does not carry the expected position give an error code and a message
 * (usbsim_ring_error()), never a crash or a read outside the mapping. Every packet offered to the producer
 * is either committed or counted in the header as dropped, by cause; nothing is lost silently.
 * The ring never allocates after creation, never takes a lock and never makes a system call on the
 * data path except while a `block` producer waits for room. Each side keeps a copy of the other's
 * index and reads the shared one only when its copy says full (producer) or not enough to claim
 * (consumer); outside drop-oldest, the data path has no read-modify-write instruction.
 * Prefix: usbsim_ring_ (constants USBSIM_RING_). Status codes: status.h.
 *
 * Memory layout (ABI, version USBSIM_RING_VERSION; P = the system page size, all integers little-endian
 * host order, indices are free-running uint32 positions that wrap at 2^32; slot = pos & (slots-1)):
 *
 *   page 0 — written by the producer only (the consumer maps it PROT_READ):
 *     +0    u32 magic USBSIM_RING_MAGIC        +4  u32 version       +8  u32 header_size (= 2*P)
 *     +12   u32 slots (power of two)    +16 u32 slot_size     +20 u32 slot_payload
 *     +24   u32 policy (enum usbsim_ring_policy) +28 u32 page_size (P)  +32 u64 total_size
 *     +64   u32 prod: next position the producer will publish (store-release)   [own cache line]
 *     +128  u64 produced, u64 dropped[USBSIM_RING_DROP_CAUSES], u64 doorbells, u32 closed  [own line]
 *   page 1 — written by the consumer (mapped PROT_READ|PROT_WRITE by both sides):
 *     +0    u64 cons word: low 32 bits = cons, the first position not yet released (slots before
 *           it are free); high 32 bits = head, the end of the batch the consumer has claimed
 *           (cons <= head <= prod). Under drop-oldest it is updated by compare-and-swap (below);
 *           under block and drop-newest only the consumer writes it, with a plain store-release
 *           at each release, head = cons (the claim matters only to an eviction). [own cache line]
 *     +64   u32 wake: the event index — "ring the doorbell when prod passes this position"
 *     +128  u64 wakeups, u64 consumed                                        [own cache line]
 *   from header_size: slots * slot_size bytes of slots; each slot (slot_size = 16 + slot_payload
 *   rounded up to 64) is: +0 u16 len | +2 u16 flags | +4 u32 seq (the ring position it was written
 *   at) | +8 u64 ingress_ns | +16 bytes[slot_payload].
 *
 * Drop-oldest in a single-producer/single-consumer ring: the producer may take the oldest slot back
 * only when the consumer has no batch claimed (head == cons), by one compare-and-swap of the cons
 * word from {c,c} to {c+k,c+k}; the consumer claims a batch by a compare-and-swap from {c,c} to
 * {c,c+n} before it reads a slot. Exactly one of the two wins, so the producer never overwrites a
 * slot the consumer reads, and each evicted packet is counted once (USBSIM_RING_DROP_EVICTED). When the
 * oldest slot is claimed, the new packet is dropped instead and counted as USBSIM_RING_DROP_OLDEST_BUSY.
 */
#ifndef USBSIM_DRIVER_RING_H
#define USBSIM_DRIVER_RING_H

#include <stddef.h>
#include <stdint.h>

#include "driver/status.h"

#define USBSIM_RING_MAGIC 0x474E4952u /* "RING" */
#define USBSIM_RING_VERSION 1u
#define USBSIM_RING_SLOT_HDR 16u
#define USBSIM_RING_MIN_SLOTS 2u
#define USBSIM_RING_MAX_SLOTS (1u << 20)
#define USBSIM_RING_MAX_PAYLOAD 65535u
#define USBSIM_RING_ERR_MAX 192

enum usbsim_ring_policy { USBSIM_RING_BLOCK = 0, USBSIM_RING_DROP_NEWEST = 1, USBSIM_RING_DROP_OLDEST = 2 };

enum usbsim_ring_drop_cause {
    USBSIM_RING_DROP_FULL = 0,        /* drop-newest: the ring was full, the new packet was dropped */
    USBSIM_RING_DROP_EVICTED = 1,     /* drop-oldest: the oldest unread packet was evicted */
    USBSIM_RING_DROP_OLDEST_BUSY = 2, /* drop-oldest, but the consumer was reading the oldest: new dropped */
    USBSIM_RING_DROP_BLOCK_ABORT = 3, /* block: the wait for room was stopped or timed out */
    USBSIM_RING_DROP_CAUSES = 4
};

struct usbsim_ring;

/* How the shared memory object is made. The consumer maps only a memfd sealed against shrinking
 * (usbsim_ring_attach_consumer), so every backend must make one; memfd is the one there is. */
struct usbsim_ring_shm_ops {
    const char *name;
    int (*create)(const char *tag); /* returns a new read-write fd of size 0, or -1 with errno */
};
extern const struct usbsim_ring_shm_ops usbsim_ring_shm_memfd;

struct usbsim_ring_config {
    uint32_t slots;           /* power of two, USBSIM_RING_MIN_SLOTS..USBSIM_RING_MAX_SLOTS */
    uint32_t slot_payload;    /* bytes per packet, 1..USBSIM_RING_MAX_PAYLOAD */
    enum usbsim_ring_policy policy;
    uint64_t block_timeout_ns; /* block: give up after this long (0 = wait until usbsim_ring_stop) */
    uint32_t first_index;      /* initial position (tests use values near 2^32 to test wrap) */
    const struct usbsim_ring_shm_ops *shm; /* NULL = usbsim_ring_shm_memfd */
};

/* One packet as the consumer sees it: fields copied out of the slot once, validated. */
struct usbsim_ring_pkt {
    uint32_t seq;          /* ring position the packet was written at */
    uint16_t len, flags;
    uint64_t ingress_ns;
    const uint8_t *bytes;  /* len bytes inside the (read-only) mapping */
};

struct usbsim_ring_stats {
    uint64_t produced, dropped[USBSIM_RING_DROP_CAUSES], doorbells, wakeups, consumed;
    uint32_t prod, cons, slots;
    int closed;
};

/* ---- both sides ---- */
struct usbsim_ring *usbsim_ring_create(const struct usbsim_ring_config *cfg, char err[USBSIM_RING_ERR_MAX]);
/* Maps fd (not taken over: the caller still closes it) as the consumer; validates the header.
 * The object must be a memfd sealed against shrinking (usbsim_ring_create seals it), so the
 * producer cannot pull memory from under the mapping; anything else (a file, a POSIX shm object,
 * a device) is refused with USBSIM_EGEOMETRY, decided by fstat and F_GET_SEALS. */
struct usbsim_ring *usbsim_ring_attach_consumer(int fd, char err[USBSIM_RING_ERR_MAX]);
void usbsim_ring_destroy(struct usbsim_ring *r);
int usbsim_ring_fd(const struct usbsim_ring *r);               /* the memory object, for passing to a peer */
const char *usbsim_ring_error(const struct usbsim_ring *r);    /* the message of the last error on r */
const char *usbsim_ring_policy_name(enum usbsim_ring_policy p);
int usbsim_ring_policy_parse(const char *s, enum usbsim_ring_policy *out);
void usbsim_ring_stats(const struct usbsim_ring *r, struct usbsim_ring_stats *s);
uint32_t usbsim_ring_slots(const struct usbsim_ring *r);
uint32_t usbsim_ring_payload(const struct usbsim_ring *r);
enum usbsim_ring_policy usbsim_ring_policy(const struct usbsim_ring *r);

/* ---- producer ---- */
/* Makes room for up to `want` packets under the policy; *got = slots reserved (0..want).
 * block: waits until at least one is free (or stop/timeout: returns that status, *got = 0).
 * drop-oldest: evicts as needed (counted). drop-newest: *got may be < want; the caller must report
 * what it could not place with usbsim_ring_discard(). */
int usbsim_ring_reserve(struct usbsim_ring *r, uint32_t want, uint32_t *got);
/* Fills the k-th reserved slot (k < *got). len <= usbsim_ring_payload(). */
void usbsim_ring_fill(struct usbsim_ring *r, uint32_t k, const void *bytes, uint16_t len, uint16_t flags,
               uint64_t ingress_ns);
uint8_t *usbsim_ring_slot_bytes(struct usbsim_ring *r, uint32_t k); /* zero-copy alternative to usbsim_ring_fill */
void usbsim_ring_slot_meta(struct usbsim_ring *r, uint32_t k, uint16_t len, uint16_t flags, uint64_t ingress_ns);
/* Publishes the first n reserved slots (store-release). Returns the previous producer position. */
uint32_t usbsim_ring_commit(struct usbsim_ring *r, uint32_t n);
/* usbsim_ring_commit(n) and usbsim_ring_need_wake() for what it published, in one step: the
 * producer index is stored by an atomic exchange, which is also the full fence, so the check
 * costs one locked instruction instead of a store and a separate fence. *wake = 1 when the
 * doorbell must ring (0 when nothing was published). Returns the previous producer position. */
uint32_t usbsim_ring_commit_wake(struct usbsim_ring *r, uint32_t n, int *wake);
/* Counts n packets the producer could not place, under the policy's cause. */
void usbsim_ring_discard(struct usbsim_ring *r, uint32_t n);
/* One packet: reserve + fill + commit. USBSIM_OK, USBSIM_DROPPED (counted) or an error. *old (may be
 * NULL) receives the position before the commit, for the doorbell. */
int usbsim_ring_push(struct usbsim_ring *r, const void *bytes, uint16_t len, uint16_t flags, uint64_t ingress_ns,
              uint32_t *old);
/* Block policy: while the producer waits for room, the ring calls check(ctx) about once a
 * millisecond; a non-zero return ends the wait with USBSIM_EPEER (the packet is counted as
 * USBSIM_RING_DROP_BLOCK_ABORT), so a producer never waits forever for a consumer that is gone.
 * usbsim_server_accept() installs one that watches the application's connection; a driver may
 * install its own (e.g. that also looks at its stop request). NULL removes it. */
typedef int (*usbsim_ring_wait_check_fn)(void *ctx);
void usbsim_ring_set_wait_check(struct usbsim_ring *r, usbsim_ring_wait_check_fn check, void *ctx);
void usbsim_ring_stop(struct usbsim_ring *r);   /* async-signal-safe; ends any current and later block waits */
void usbsim_ring_close(struct usbsim_ring *r);  /* the producer says it will publish nothing more */
/* Event index, producer half: full fence, then "did publishing old..new cross the consumer's wake
 * index?" (virtio's vring_need_event). */
int usbsim_ring_need_wake(struct usbsim_ring *r, uint32_t old, uint32_t new_pos);
void usbsim_ring_count_doorbell(struct usbsim_ring *r);
uint32_t usbsim_ring_prod_index(const struct usbsim_ring *r);

/* ---- consumer ---- */
/* Claims up to max published packets, from the first one not yet released (a second peek
 * without a release starts again at the same packet); returns how many (>= 0) or a negative
 * status. */
int usbsim_ring_peek(struct usbsim_ring *r, uint32_t max);
/* Validates and describes the i-th claimed packet (i < count of the last peek). */
int usbsim_ring_get(struct usbsim_ring *r, uint32_t i, struct usbsim_ring_pkt *out);
/* Releases the first n claimed packets (their slots go back to the producer). */
int usbsim_ring_release(struct usbsim_ring *r, uint32_t n);
/* Published packets not yet claimed, or a negative status. */
int usbsim_ring_pending(struct usbsim_ring *r);
/* Event index, consumer half: publishes "wake me when prod passes cons", full fence, re-checks.
 * Returns the packets pending (> 0: do not sleep), 0 (safe to sleep) or a negative status. */
int usbsim_ring_arm_wake(struct usbsim_ring *r);
void usbsim_ring_count_wakeup(struct usbsim_ring *r);
int usbsim_ring_producer_closed(const struct usbsim_ring *r);

#endif

/* bench_xfer — one measured transfer of 112-byte packets between two processes, for `usbsim bench
 * ring`: the producer is this process, the consumer a proc_start child (it dies with us).
 *
 * Contract: a transport is a struct bxfer_ops (set up shared state before the fork, produce in
 * the parent, consume in the child, tear down after); bxfer_ring_ops is our ring, the anchors are in
 * bench_anchor.h. bxfer_measure() runs x->n packets through ops, as fast as the transport goes
 * (period_ns 0) or one every period_ns (a timed sleep per packet, absolute deadlines), and fills a
 * struct bxfer_sample. Every consumer copies each packet into its own memory and checks its
 * sequence number (the first 8 bytes), so every transport does the same work per packet; a run
 * that loses, reorders or corrupts a packet counts as failed. With a period, each packet's
 * enqueue-to-dequeue latency is recorded (up to BXFER_MAX_LAT); at saturation no producer reads
 * the clock (bxfer_ingress_ns), so no transport pays for a time it does not need. No timing is
 * asserted.
 * Prefix: bxfer_.
 */
#ifndef USBSIM_HARNESS_BENCH_XFER_H
#define USBSIM_HARNESS_BENCH_XFER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/doorbell.h"
#include "harness/bench_floor.h"
#include "driver/ring.h"

#define BXFER_PKT 112
#define BXFER_SLOTS 1024
#define BXFER_MAX_LAT 4096

/* What the consumer hands back, in memory shared with the producer. */
struct bxfer_shared {
    _Atomic int ready;
    uint64_t t_end, got, bad;
    uint32_t nlat;
    uint64_t lat[BXFER_MAX_LAT]; /* ns, enqueue -> dequeue */
};

struct bxfer {
    enum usbsim_doorbell_mode mode; /* ring only */
    uint32_t batch;                 /* packets per enqueue (producer) and per dequeue (consumer) */
    uint64_t n;                     /* packets */
    int64_t period_ns;              /* 0: saturation */
    /* set up by the transport's setup() */
    struct usbsim_ring *r;
    struct usbsim_doorbell d;
    void *mem;                      /* the transport's shared memory */
    size_t mem_size;
    int sock[2];
    struct bxfer_shared *sh;
    struct bfloor_wake *companion;  /* with a period: rung half a period before each packet */
};

struct bxfer_ops {
    const char *name;
    int (*setup)(struct bxfer *x);                 /* 0 or -1 */
    void (*teardown)(struct bxfer *x);
    int (*produce)(struct bxfer *x, uint64_t t0);  /* parent; 0 or -1 */
    int (*consume)(struct bxfer *x);               /* child; 0 or 1 */
    void (*after_produce)(struct bxfer *x);        /* parent, before waiting for the child; may be NULL */
};

struct bxfer_sample {
    double mpps;          /* packets / (consumer's last dequeue - producer's start) */
    double wakeups_pp, doorbells_pp; /* ring only */
};

extern const struct bxfer_ops bxfer_ring_ops;

/* Runs one transfer; 0 ok, 1 lost/reordered/corrupt, -1 cannot run (fork, mmap, ...).
 * On return x->sh still holds the consumer's record (latencies); bxfer_release() frees it. */
int bxfer_measure(const struct bxfer_ops *ops, struct bxfer *x, struct bxfer_sample *s);
void bxfer_release(struct bxfer *x);

/* ---- for transports ---- */
void *bxfer_shared_alloc(size_t n); /* MAP_SHARED anonymous, zeroed; NULL on failure */
void bxfer_template(uint8_t b[BXFER_PKT]); /* a packet's fixed bytes */
void bxfer_set_seq(uint8_t *b, uint64_t seq);
/* Consumer: the packet just copied to `copy` arrived; `ingress_ns` its enqueue time (period > 0). */
void bxfer_note(struct bxfer *x, const uint8_t *copy, uint64_t ingress_ns);
/* Producer: sleeps until packet i's deadline (t0 + i * period); nothing at saturation. With a
 * companion floor, wakes it half a period before the deadline. */
void bxfer_pace(const struct bxfer *x, uint64_t t0, uint64_t i);
uint64_t bxfer_now_ns(void);
/* Producer: the ingress time to give a packet: now with a period (its latency is measured), 0 at
 * saturation (no transport reads the clock there: none is measured). */
uint64_t bxfer_ingress_ns(const struct bxfer *x);

#endif

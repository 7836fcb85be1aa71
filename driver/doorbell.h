/* doorbell — wakes a sleeping ring consumer; rung only when the consumer may be asleep.
 *
 * Contract (the event-index protocol of virtio, checked by driver/doorbell.pml):
 *   consumer, before sleeping: publish "wake me when prod passes X" (X = its next position), full
 *   fence, re-check the ring; sleep only if it is still empty.
 *   producer, after each commit: full fence, read the wake index, ring only if the new producer
 *   position crossed it.
 * With both fences, a consumer never sleeps while a packet is pending (no lost wake-up); the
 * producer rings at most once per sleep, so at saturation it almost never rings. Mode `always`
 * rings after every commit, for comparison. Doorbells rung and wake-ups are counted in the ring
 * header. Backends (eventfd, or a pipe where there is none) sit behind struct db_ops.
 * Never blocks the producer; the consumer's wait is always bounded by its timeout.
 * Prefix: db_.
 */
#ifndef USBSIM_DRIVER_DOORBELL_H
#define USBSIM_DRIVER_DOORBELL_H

#include <stdint.h>

#include "driver/ring.h"

enum db_mode { DB_SUPPRESSED = 0, DB_ALWAYS = 1 };

/* How long a consumer that woke by its timeout and found packets waits for the doorbell before
 * it counts a lost wake-up (the producer may be between its commit and its ring). */
#define DB_MISSED_GRACE_MS 50

enum db_status {
    DB_TIMEOUT = 0,    /* db_wait: nothing arrived within the timeout */
    DB_EWATCH = -20,   /* db_wait: the watched fd became readable or hung up (peer gone?) */
    DB_ESYS = -21,     /* a system call failed */
    DB_CLOSED = -22,   /* db_wait: the producer closed the ring (ring_close) and it is empty */
};

struct db_ops {
    const char *name;
    int (*open)(int fds[2]);    /* fds[0] read end, fds[1] write end (may be the same fd) */
    void (*ring)(int wfd);
    void (*drain)(int rfd);
};
extern const struct db_ops db_eventfd;
extern const struct db_ops db_pipe;

struct db {
    int rfd, wfd, owned;
    enum db_mode mode;
    const struct db_ops *ops;
    uint32_t spin; /* consumer: look at the ring this many times before arming and sleeping */
    uint64_t timeouts; /* consumer: sleeps that ended by their timeout, not by the doorbell */
    uint64_t missed;   /* consumer: lost wake-ups: a sleep ended by its timeout with packets
                          pending and no doorbell even DB_MISSED_GRACE_MS later (never, if the
                          protocol holds) */
};

/* Producer side: makes the doorbell (ops NULL = eventfd, falling back to a pipe). 0 or -1. */
int db_open(struct db *d, enum db_mode mode, const struct db_ops *ops);
/* Consumer side: uses fds received from the producer (not closed by db_close). */
void db_adopt(struct db *d, int rfd, int wfd, enum db_mode mode, const struct db_ops *ops);
void db_close(struct db *d);
/* Consumer: poll the ring up to `polls` times (a few ns each) before sleeping; 0 (the default)
 * sleeps at once. Spinning trades CPU for fewer wake-ups when packets come back to back. */
void db_set_spin(struct db *d, uint32_t polls);
const char *db_mode_name(enum db_mode m);
int db_mode_parse(const char *s, enum db_mode *out);

/* Producer: after publishing old..new_pos, ring if needed (counted). Returns 1 if it rang. */
int db_notify(struct db *d, struct ring *r, uint32_t old, uint32_t new_pos);
/* Producer: rings unconditionally (counted), e.g. after ring_close() so a sleeping consumer
 * learns the end at once. */
void db_kick(struct db *d, struct ring *r);
/* Producer: ring_push + db_notify. Same returns as ring_push. */
int db_push(struct db *d, struct ring *r, const void *bytes, uint16_t len, uint16_t flags,
            uint64_t ingress_ns);
/* Producer: ring_commit(n) + db_notify. */
void db_commit(struct db *d, struct ring *r, uint32_t n);

/* Consumer: returns the number of packets pending (> 0) as soon as there are some, DB_TIMEOUT
 * after timeout_ms (< 0: no limit) with none, DB_CLOSED when the ring is empty and closed by the
 * producer (which then calls db_kick), DB_EWATCH when watch_fd (>= 0) is readable or hung
 * up, or a negative ring status when the shared indices are invalid. */
int db_wait(struct db *d, struct ring *r, int timeout_ms, int watch_fd);

#endif

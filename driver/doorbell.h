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
 * header. Backends (eventfd, or a pipe where there is none) sit behind struct usbsim_doorbell_ops.
 * Never blocks the producer; the consumer's wait is always bounded by its timeout.
 * Prefix: usbsim_doorbell_ (constants USBSIM_DOORBELL_).
 */
#ifndef USBSIM_DRIVER_DOORBELL_H
#define USBSIM_DRIVER_DOORBELL_H

#include <stdint.h>

#include "driver/ring.h"

enum usbsim_doorbell_mode { USBSIM_DOORBELL_SUPPRESSED = 0, USBSIM_DOORBELL_ALWAYS = 1 };

/* How long a consumer that woke by its timeout and found packets waits for the doorbell before
 * it counts a lost wake-up (the producer may be between its commit and its ring). */
#define USBSIM_DOORBELL_MISSED_GRACE_MS 50

/* usbsim_doorbell_wait: nothing arrived within the timeout (see status.h for the errors). */
#define USBSIM_DOORBELL_TIMEOUT 0

struct usbsim_doorbell_ops {
    const char *name;
    int (*open)(int fds[2]);    /* fds[0] read end, fds[1] write end (may be the same fd) */
    void (*ring)(int wfd);
    void (*drain)(int rfd);
};
extern const struct usbsim_doorbell_ops usbsim_doorbell_eventfd;
extern const struct usbsim_doorbell_ops usbsim_doorbell_pipe;

struct usbsim_doorbell {
    int rfd, wfd, owned;
    enum usbsim_doorbell_mode mode;
    const struct usbsim_doorbell_ops *ops;
    uint32_t spin; /* consumer: look at the ring this many times before arming and sleeping */
    uint64_t timeouts; /* consumer: sleeps that ended by their timeout, not by the doorbell */
    uint64_t missed;   /* consumer: lost wake-ups: a sleep ended by its timeout with packets
                          pending and no doorbell even USBSIM_DOORBELL_MISSED_GRACE_MS later (never, if the
                          protocol holds) */
};

/* Producer side: makes the doorbell (ops NULL = eventfd, falling back to a pipe). 0 or -1. */
int usbsim_doorbell_open(struct usbsim_doorbell *d, enum usbsim_doorbell_mode mode, const struct usbsim_doorbell_ops *ops);
/* Consumer side: uses fds received from the producer (not closed by usbsim_doorbell_close). */
void usbsim_doorbell_adopt(struct usbsim_doorbell *d, int rfd, int wfd, enum usbsim_doorbell_mode mode, const struct usbsim_doorbell_ops *ops);
void usbsim_doorbell_close(struct usbsim_doorbell *d);
/* Consumer: poll the ring up to `polls` times (a few ns each) before sleeping; 0 (the default)
 * sleeps at once. Spinning trades CPU for fewer wake-ups when packets come back to back. */
void usbsim_doorbell_set_spin(struct usbsim_doorbell *d, uint32_t polls);
const char *usbsim_doorbell_mode_name(enum usbsim_doorbell_mode m);
int usbsim_doorbell_mode_parse(const char *s, enum usbsim_doorbell_mode *out);

/* Producer: after publishing old..new_pos, ring if needed (counted). Returns 1 if it rang. */
int usbsim_doorbell_notify(struct usbsim_doorbell *d, struct usbsim_ring *r, uint32_t old, uint32_t new_pos);
/* Producer: rings unconditionally (counted), e.g. after usbsim_ring_close() so a sleeping consumer
 * learns the end at once. */
void usbsim_doorbell_kick(struct usbsim_doorbell *d, struct usbsim_ring *r);
/* Producer: usbsim_ring_push + db_notify. Same returns as ring_push. */
int usbsim_doorbell_push(struct usbsim_doorbell *d, struct usbsim_ring *r, const void *bytes, uint16_t len, uint16_t flags,
            uint64_t ingress_ns);
/* Producer: usbsim_ring_commit(n) + db_notify. */
void usbsim_doorbell_commit(struct usbsim_doorbell *d, struct usbsim_ring *r, uint32_t n);

/* Consumer: returns the number of packets pending (> 0) as soon as there are some, USBSIM_DOORBELL_TIMEOUT
 * after timeout_ms (< 0: no limit) with none, USBSIM_ECLOSED when the ring is empty and closed by the
 * producer (which then calls usbsim_doorbell_kick), USBSIM_EWATCH when watch_fd (>= 0) is readable or hung
 * up, or a negative ring status when the shared indices are invalid. */
int usbsim_doorbell_wait(struct usbsim_doorbell *d, struct usbsim_ring *r, int timeout_ms, int watch_fd);

#endif

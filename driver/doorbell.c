/* doorbell — see doorbell.h. */
#include "driver/doorbell.h"

#include "driver/fault.h"
#include "driver/fdio.h"
#include "sim/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int efd_open(int fds[2])
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    fds[0] = fds[1] = fd;
    return fd < 0 ? -1 : 0;
}

/* The eventfd is one open file description shared with the consumer, which could make it
 * blocking and saturate it: never a blocking write or read (fdio.h). */
static void efd_ring(int wfd)
{
    uint64_t one = 1;
    ssize_t n = fdio_write_nowait(wfd, &one, sizeof one); /* EAGAIN: saturated, so awake anyway */
    (void)n;
}

static void efd_drain(int rfd)
{
    uint64_t v;
    ssize_t n = fdio_read_nowait(rfd, &v, sizeof v);
    (void)n;
}

static int pipe_open(int fds[2])
{
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

static void pipe_ring(int wfd)
{
    char c = 1;
    ssize_t n = fdio_write_nowait(wfd, &c, 1); /* EAGAIN: the pipe is full, so the consumer wakes */
    (void)n;
}

/* Reads what is there, in a bounded number of reads: a peer that keeps writing cannot hold us.
 * A read that returns less than asked emptied the pipe (or read an eventfd's counter, which
 * also drains it), so the usual wake-up costs one read, not a second one that finds nothing. */
static void pipe_drain(int rfd)
{
    char buf[256];
    for (int i = 0; i < 16 && fdio_read_nowait(rfd, buf, sizeof buf) == (ssize_t)sizeof buf; i++) {
    }
}

const struct usbsim_doorbell_ops usbsim_doorbell_eventfd = {"eventfd", efd_open, efd_ring, efd_drain};
const struct usbsim_doorbell_ops usbsim_doorbell_pipe = {"pipe", pipe_open, pipe_ring, pipe_drain};

int usbsim_doorbell_open(struct usbsim_doorbell *d, enum usbsim_doorbell_mode mode, const struct usbsim_doorbell_ops *ops)
{
    int fds[2];
    const struct usbsim_doorbell_ops *o = ops ? ops : &usbsim_doorbell_eventfd;
    if (o->open(fds) != 0) {
        if (ops)
            return -1;
        o = &usbsim_doorbell_pipe;
        if (o->open(fds) != 0)
            return -1;
    }
    *d = (struct usbsim_doorbell){.rfd = fds[0], .wfd = fds[1], .owned = 1, .mode = mode, .ops = o};
    return 0;
}

void usbsim_doorbell_adopt(struct usbsim_doorbell *d, int rfd, int wfd, enum usbsim_doorbell_mode mode, const struct usbsim_doorbell_ops *ops)
{
    *d = (struct usbsim_doorbell){.rfd = rfd, .wfd = wfd, .mode = mode, .ops = ops ? ops : &usbsim_doorbell_eventfd};
}

void usbsim_doorbell_set_spin(struct usbsim_doorbell *d, uint32_t polls)
{
    d->spin = polls;
}

static int spin_for_data(struct usbsim_doorbell *d, struct usbsim_ring *r)
{
    for (uint32_t i = 0; i < d->spin; i++) {
        int pending = usbsim_ring_pending(r);
        if (pending != 0)
            return pending;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    return 0;
}

void usbsim_doorbell_close(struct usbsim_doorbell *d)
{
    if (d->owned) {
        close(d->rfd);
        if (d->wfd != d->rfd)
            close(d->wfd);
    }
    d->rfd = d->wfd = -1;
    d->owned = 0;
}

const char *usbsim_doorbell_mode_name(enum usbsim_doorbell_mode m)
{
    return m == USBSIM_DOORBELL_ALWAYS ? "always" : "suppressed";
}

int usbsim_doorbell_mode_parse(const char *s, enum usbsim_doorbell_mode *out)
{
    if (strcmp(s, "suppressed") == 0)
        return *out = USBSIM_DOORBELL_SUPPRESSED, 0;
    if (strcmp(s, "always") == 0)
        return *out = USBSIM_DOORBELL_ALWAYS, 0;
    return -1;
}

void usbsim_doorbell_kick(struct usbsim_doorbell *d, struct usbsim_ring *r)
{
    d->ops->ring(d->wfd);
    usbsim_ring_count_doorbell(r);
}

/* Planted bug (fault.h, FAULT_MISSED_WAKEUP): one needed ring in eight is skipped. */
static int fault_skip_ring(void)
{
    static _Atomic unsigned crossings;
    return atomic_fetch_add_explicit(&crossings, 1, memory_order_relaxed) % 8 == 7;
}

int usbsim_doorbell_notify(struct usbsim_doorbell *d, struct usbsim_ring *r, uint32_t old, uint32_t new_pos)
{
    if (new_pos == old)
        return 0;
    if (d->mode != USBSIM_DOORBELL_ALWAYS && !usbsim_ring_need_wake(r, old, new_pos))
        return 0;
    if (d->mode != USBSIM_DOORBELL_ALWAYS && fault_on(FAULT_MISSED_WAKEUP) && fault_skip_ring())
        return 0;
    usbsim_doorbell_kick(d, r);
    return 1;
}

int usbsim_doorbell_push(struct usbsim_doorbell *d, struct usbsim_ring *r, const void *bytes, uint16_t len, uint16_t flags,
            uint64_t ingress_ns)
{
    uint32_t old;
    int st = usbsim_ring_push(r, bytes, len, flags, ingress_ns, &old);
    if (st == USBSIM_OK)
        usbsim_doorbell_notify(d, r, old, old + 1);
    return st;
}

void usbsim_doorbell_commit(struct usbsim_doorbell *d, struct usbsim_ring *r, uint32_t n)
{
    if (d->mode == USBSIM_DOORBELL_ALWAYS) {
        uint32_t old = usbsim_ring_commit(r, n);
        usbsim_doorbell_notify(d, r, old, usbsim_ring_prod_index(r));
        return;
    }
    int wake;
    usbsim_ring_commit_wake(r, n, &wake); /* publish, fence and look at the wake index at once */
    if (!wake || (fault_on(FAULT_MISSED_WAKEUP) && fault_skip_ring()))
        return;
    usbsim_doorbell_kick(d, r);
}

static int64_t ms_left(int64_t deadline_ms)
{
    int64_t ms = deadline_ms - clk_mono_ms();
    return ms < 0 ? 0 : ms;
}

/* Packets were found after a timeout: did the producer ring after all (within the grace)? */
static int db_late_bell(struct usbsim_doorbell *d, struct usbsim_ring *r)
{
    struct pollfd p = {d->rfd, POLLIN, 0};
    if (poll(&p, 1, USBSIM_DOORBELL_MISSED_GRACE_MS) <= 0 || !p.revents)
        return 0;
    d->ops->drain(d->rfd);
    usbsim_ring_count_wakeup(r);
    return 1;
}

int usbsim_doorbell_wait(struct usbsim_doorbell *d, struct usbsim_ring *r, int timeout_ms, int watch_fd)
{
    int64_t deadline = clk_mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    int pending = spin_for_data(d, r);
    if (pending != 0)
        return pending;
    /* Wake-ups that found nothing: a few happen (a late bell); a flood (a peer that rings
     * without publishing, or a descriptor that is always readable) is slowed to one look a
     * millisecond, so it cannot spin this process. */
    unsigned empty_wakes = 0;
    for (;;) {
        if (++empty_wakes > 64) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
        pending = usbsim_ring_arm_wake(r);
        if (pending != 0)
            return pending;
        if (usbsim_ring_producer_closed(r))
            return usbsim_ring_pending(r) ? usbsim_ring_pending(r) : USBSIM_ECLOSED;
        struct pollfd p[2] = {{d->rfd, POLLIN, 0}, {watch_fd, POLLIN, 0}};
        int left = timeout_ms < 0 ? -1 : (int)ms_left(deadline);
        int n = poll(p, watch_fd >= 0 ? 2 : 1, left);
        if (n < 0 && errno != EINTR)
            return USBSIM_ESYS;
        if (p[0].revents) {
            d->ops->drain(d->rfd);
            usbsim_ring_count_wakeup(r);
        }
        if (n > 0 && p[1].revents) { /* the peer's socket: gone, or talking out of turn */
            pending = usbsim_ring_pending(r);
            return pending != 0 ? pending : USBSIM_EWATCH;
        }
        if (n == 0) {
            d->timeouts++;
            pending = usbsim_ring_pending(r);
            if (pending > 0 && !db_late_bell(d, r))
                d->missed++;
            return pending != 0 ? pending : USBSIM_DOORBELL_TIMEOUT;
        }
        if (timeout_ms >= 0 && ms_left(deadline) == 0) { /* woken until the end: a flood */
            pending = usbsim_ring_pending(r);
            return pending != 0 ? pending : USBSIM_DOORBELL_TIMEOUT;
        }
    }
}

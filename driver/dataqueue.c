/* dataqueue — see dataqueue.h.
 *
 * The serviced signal without a lost notification: the producer, finding the ring full, makes a
 * full fence and looks at the consumer's index again before it reports USBSIM_EFULL; the consumer,
 * after releasing a slot, makes a full fence and reads the producer's index. If the producer's
 * second look missed the release, the consumer's read sees the producer's index, finds that the
 * ring was full before its release, and writes the serviced eventfd (a counter: the signal stays
 * until the producer reads it, even if it is not waiting yet).
 */
#include "driver/dataqueue.h"

#include "sim/clock.h"

#include "driver/fdio.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct usbsim_dq {
    int producer;
    struct usbsim_ring *ring;
    struct usbsim_doorbell *db;            /* producer */
    struct usbsim_client *client; /* consumer */
    int svc, svc_owned;
    bool waiting;             /* producer: got USBSIM_EFULL, not serviced yet */
    usbsim_dq_handler_fn available, serviced;
    void *available_ctx, *serviced_ctx;
    struct usbsim_dq_stats st;
    char err[USBSIM_DQ_ERR_MAX];
};

static int failf(struct usbsim_dq *q, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, sizeof q->err, fmt, ap);
    va_end(ap);
    return status;
}

static int ring_failed(struct usbsim_dq *q, int status)
{
    return failf(q, status, "%s", usbsim_ring_error(q->ring));
}

static struct usbsim_dq *make(struct usbsim_ring *r, int producer, char err[USBSIM_DQ_ERR_MAX])
{
    struct usbsim_dq *q = r ? calloc(1, sizeof *q) : NULL;
    if (!q) {
        snprintf(err, USBSIM_DQ_ERR_MAX, "dataqueue: %s", r ? "out of memory" : "no ring");
        return NULL;
    }
    q->ring = r;
    q->producer = producer;
    q->svc = -1;
    return q;
}

/* Entries published and not yet released, as the shared indices say. */
static uint32_t used(const struct usbsim_dq *q, struct usbsim_ring_stats *s)
{
    usbsim_ring_stats(q->ring, s);
    return s->prod - s->cons;
}

static bool room(const struct usbsim_dq *q)
{
    struct usbsim_ring_stats s;
    return used(q, &s) < s.slots;
}

/* A full fence: the two sides' checks of each other's index (see the top of this file). */
__attribute__((noinline)) static void full_fence(void)
{
    atomic_thread_fence(memory_order_seq_cst);
}

/* ---- producer ---- */
struct usbsim_dq *usbsim_dq_producer_new(struct usbsim_ring *r, struct usbsim_doorbell *d, char err[USBSIM_DQ_ERR_MAX])
{
    if (!d) {
        snprintf(err, USBSIM_DQ_ERR_MAX, "dataqueue: no doorbell");
        return NULL;
    }
    struct usbsim_dq *q = make(r, 1, err);
    if (!q)
        return NULL;
    q->db = d;
    q->svc = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->svc < 0) {
        snprintf(err, USBSIM_DQ_ERR_MAX, "dataqueue: eventfd: %s", strerror(errno));
        free(q);
        return NULL;
    }
    q->svc_owned = 1;
    return q;
}

int usbsim_dq_serviced_fd(const struct usbsim_dq *q) { return q->svc; }

void usbsim_dq_set_data_serviced_handler(struct usbsim_dq *q, usbsim_dq_handler_fn fn, void *ctx)
{
    q->serviced = fn;
    q->serviced_ctx = ctx;
}

int usbsim_dq_enqueue(struct usbsim_dq *q, size_t size, usbsim_dq_fill_fn fill, void *ctx)
{
    if (!q->producer)
        return failf(q, USBSIM_EINVAL, "dataqueue: enqueue on a consumer handle");
    if (size == 0 || size > usbsim_ring_payload(q->ring) || !fill)
        return failf(q, USBSIM_EINVAL, "dataqueue: entry of %zu bytes; allowed: 1..%u bytes", size,
                     usbsim_ring_payload(q->ring));
    if (!room(q)) {
        q->waiting = true;
        full_fence(); /* pairs with the one in signal_serviced */
        if (!room(q)) {
            q->st.overruns++;
            return failf(q, USBSIM_EFULL, "dataqueue: the ring is full");
        }
    }
    uint32_t got = 0;
    int st = usbsim_ring_reserve(q->ring, 1, &got);
    if (st < 0)
        return ring_failed(q, st);
    if (got == 0) { /* not expected with room seen above: treated as full, nothing lost */
        q->waiting = true;
        q->st.overruns++;
        return failf(q, USBSIM_EFULL, "dataqueue: the ring is full");
    }
    fill(usbsim_ring_slot_bytes(q->ring, 0), size, ctx);
    usbsim_ring_slot_meta(q->ring, 0, (uint16_t)size, 0, (uint64_t)clk_mono_ns());
    usbsim_doorbell_commit(q->db, q->ring, 1);
    q->waiting = false;
    q->st.enqueued++;
    return USBSIM_OK;
}

static void copy_fill(void *data, size_t size, void *ctx)
{
    memcpy(data, ctx, size);
}

int usbsim_dq_enqueue_copy(struct usbsim_dq *q, const void *data, size_t size)
{
    if (!data)
        return failf(q, USBSIM_EINVAL, "dataqueue: no data");
    return usbsim_dq_enqueue(q, size, copy_fill, (void *)data);
}

int usbsim_dq_dispatch_serviced(struct usbsim_dq *q)
{
    if (!q->producer)
        return failf(q, USBSIM_EINVAL, "dataqueue: serviced dispatch on a consumer handle");
    uint64_t v;
    for (int i = 0; i < 4 && fdio_read_nowait(q->svc, &v, sizeof v) == (ssize_t)sizeof v; i++) {
    } /* one read takes the whole count; bounded against a consumer that keeps writing */
    if (!q->waiting || !room(q))
        return 0;
    q->waiting = false;
    q->st.serviced_calls++;
    if (q->serviced)
        q->serviced(q, q->serviced_ctx);
    return 1;
}

int usbsim_dq_wait_serviced(struct usbsim_dq *q, int timeout_ms)
{
    int64_t t0 = clk_mono_ms();
    for (;;) {
        int rc = usbsim_dq_dispatch_serviced(q);
        if (rc != 0 || !q->waiting)
            return rc;
        int left = -1;
        if (timeout_ms >= 0) {
            int64_t spent = clk_mono_ms() - t0;
            if (spent >= timeout_ms)
                return 0;
            left = (int)(timeout_ms - spent);
        }
        struct pollfd p = {q->svc, POLLIN, 0};
        if (poll(&p, 1, left) < 0 && errno != EINTR)
            return failf(q, USBSIM_ESYS, "dataqueue: poll: %s", strerror(errno));
    }
}

/* ---- consumer ---- */
struct usbsim_dq *usbsim_dq_consumer_new(struct usbsim_client *c, int serviced_fd, char err[USBSIM_DQ_ERR_MAX])
{
    struct usbsim_dq *q = make(c ? usbsim_client_ring(c) : NULL, 0, err);
    if (!q)
        return NULL;
    q->client = c;
    q->svc = serviced_fd;
    return q;
}

void usbsim_dq_set_data_available_handler(struct usbsim_dq *q, usbsim_dq_handler_fn fn, void *ctx)
{
    q->available = fn;
    q->available_ctx = ctx;
}

int usbsim_dq_dispatch(struct usbsim_dq *q, int timeout_ms)
{
    if (q->producer)
        return failf(q, USBSIM_EINVAL, "dataqueue: dispatch on a producer handle");
    int n = usbsim_client_wait(q->client, timeout_ms);
    if (n < 0)
        return failf(q, n, "%s", usbsim_client_error(q->client));
    if (n > 0) {
        q->st.available_calls++;
        if (q->available)
            q->available(q, q->available_ctx);
    }
    return n;
}

bool usbsim_dq_is_data_available(struct usbsim_dq *q)
{
    struct usbsim_ring_stats s;
    return used(q, &s) != 0;
}

/* Claims the oldest entry and describes it. */
static int oldest(struct usbsim_dq *q, struct usbsim_ring_pkt *p)
{
    if (q->producer)
        return failf(q, USBSIM_EINVAL, "dataqueue: consumer call on a producer handle");
    /* Through the client, so what is taken is recorded when the harness asks (record.h). */
    int n = usbsim_client_peek(q->client, 1);
    if (n < 0)
        return ring_failed(q, n);
    if (n == 0)
        return USBSIM_EEMPTY;
    int st = usbsim_client_get(q->client, 0, p);
    return st < 0 ? ring_failed(q, st) : USBSIM_OK;
}

int usbsim_dq_peek(struct usbsim_dq *q, usbsim_dq_entry_fn use, void *ctx)
{
    struct usbsim_ring_pkt p;
    int st = oldest(q, &p);
    if (st == USBSIM_OK && use)
        use(p.bytes, p.len, ctx);
    return st;
}

/* After a release: was the ring full just before it? Then the producer may wait for room. */
static void signal_serviced(struct usbsim_dq *q)
{
    full_fence(); /* pairs with the one in usbsim_dq_enqueue */
    struct usbsim_ring_stats s;
    if (q->svc < 0 || used(q, &s) + 1 < s.slots)
        return;
    uint64_t one = 1;
    if (fdio_write_nowait(q->svc, &one, sizeof one) == (ssize_t)sizeof one) /* never blocks */
        q->st.serviced_sent++;
}

int usbsim_dq_dequeue(struct usbsim_dq *q, usbsim_dq_entry_fn use, void *ctx)
{
    struct usbsim_ring_pkt p;
    int st = oldest(q, &p);
    if (st != USBSIM_OK)
        return st;
    if (use)
        use(p.bytes, p.len, ctx);
    st = usbsim_client_release(q->client, 1);
    if (st < 0)
        return ring_failed(q, st);
    q->st.dequeued++;
    signal_serviced(q);
    return USBSIM_OK;
}

/* ---- both ---- */
void usbsim_dq_stats(const struct usbsim_dq *q, struct usbsim_dq_stats *s) { *s = q->st; }
const char *usbsim_dq_error(const struct usbsim_dq *q) { return q->err; }

void usbsim_dq_free(struct usbsim_dq *q)
{
    if (!q)
        return;
    if (q->svc_owned && q->svc >= 0)
        close(q->svc);
    free(q);
}

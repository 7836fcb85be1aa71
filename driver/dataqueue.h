/* dataqueue — the ring seen through an API shaped like DriverKit's IODataQueueDispatchSource:
 * entries of their own size, a data-available handler called once per doorbell (the handler
 * drains in a loop), and a data-serviced handler that tells the producer when room came back
 * after it found the queue full.
 *
 * Contract:
 *  - One producer handle (dq_producer_new, on the ring and doorbell the producer created) and one
 *    consumer handle (dq_consumer_new, on a ring mapped with rcl_connect); each is used by one
 *    thread at a time, like the ring under it. Either side may be in its own process.
 *  - Entries keep their size: what dq_enqueue() is given (1..ring_payload() bytes) is what the
 *    consumer's callback receives, in order. An entry is either published or refused with DQ_FULL;
 *    this layer never drops one (the producer keeps it and tries again when serviced).
 *  - dq_enqueue() never blocks and never evicts, whatever the ring's overflow policy: on a full ring
 *    it returns DQ_FULL and marks the producer as waiting. The consumer, after each dequeue that
 *    freed a slot of a ring that was full, writes to the serviced eventfd; the producer's
 *    dq_dispatch_serviced() then calls its data-serviced handler once. Both sides check with a
 *    full fence (the same pattern as the doorbell's event index), so a producer that saw the ring
 *    full is always notified once room frees: no serviced notification is lost. The consumer
 *    cannot tell whether the producer tried, so it signals after every release from a full ring;
 *    a producer that is not waiting drains the signal without calling its handler. A consumer that
 *    was given no serviced fd (-1) sends nothing; the producer's dq_dispatch_serviced() still finds
 *    the room when it is called (e.g. on a timer).
 *  - No allocation after creation; the only system calls on the data path are the doorbell and
 *    the serviced eventfd write, and the latter only after the ring was full.
 *  - The ring's shared memory layout (ring.h, RING_VERSION 1) is unchanged: the serviced signal
 *    is one more eventfd, created by the producer and handed to the consumer beside the ring.
 *
 * The serviced eventfd reaches the consumer as a descriptor: inherited (fork), passed in the same
 * process (threads), or by SCM_RIGHTS over any UNIX socket the two share.
 *
 * DriverKit name (IODataQueueDispatchSource)      here
 *   Create(queueByteCapacity, queue, &source)      dq_producer_new() / dq_consumer_new()
 *   SetDataAvailableHandler(action)                dq_set_data_available_handler()
 *   DataAvailable (the handler runs on its queue)  dq_dispatch(): waits for one doorbell, calls it once
 *   SetDataServicedHandler(action)                 dq_set_data_serviced_handler()
 *   DataServiced (runs on the producer's queue)    dq_dispatch_serviced() / dq_wait_serviced()
 *   Enqueue(dataSize, ^(data, size){fill})         dq_enqueue(q, size, fill, ctx), dq_enqueue_copy()
 *   Dequeue(^(data, size){use})                    dq_dequeue(q, use, ctx)
 *   Peek(^(data, size){use})                       dq_peek(q, use, ctx)
 *   IsDataAvailable()                              dq_is_data_available()
 *   SendDataAvailable() / SendDataServiced()       done by dq_enqueue() / dq_dequeue() when needed
 *   kIOReturnOverrun (Enqueue on a full queue)     DQ_FULL
 *   kIOReturnUnderrun (Dequeue on an empty queue)  DQ_EMPTY
 *
 * Prefix: dq_.
 */
#ifndef USBSIM_DRIVER_DATAQUEUE_H
#define USBSIM_DRIVER_DATAQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/client.h"
#include "driver/doorbell.h"
#include "driver/ring.h"

#define DQ_ERR_MAX 256

enum dq_status {
    DQ_OK = 0,
    DQ_EMPTY = -40,  /* dq_dequeue/dq_peek: nothing published (kIOReturnUnderrun) */
    DQ_FULL = -41,   /* dq_enqueue: the ring is full; retry when serviced (kIOReturnOverrun) */
    DQ_EINVAL = -42, /* bad argument, or a producer call on a consumer handle (or the reverse) */
    DQ_ESYS = -43,   /* a system call failed (message in dq_error) */
};
/* Other negative values are passed through from rcl_wait() and the ring (see client.h, ring.h). */

struct dq;

typedef void (*dq_handler_fn)(struct dq *q, void *ctx);
typedef void (*dq_fill_fn)(void *data, size_t size, void *ctx);
typedef void (*dq_entry_fn)(const void *data, size_t size, void *ctx);

struct dq_stats {
    uint64_t enqueued, overruns;       /* producer: entries published, DQ_FULL returns */
    uint64_t serviced_calls;           /* producer: data-serviced handler calls */
    uint64_t dequeued, serviced_sent;  /* consumer: entries dequeued, serviced signals written */
    uint64_t available_calls;          /* consumer: data-available handler calls */
};

/* ---- producer ---- */
/* A producer handle on ring r (made by ring_create) and its doorbell d (db_open); neither is
 * taken over. Creates the serviced eventfd. NULL + err on failure. */
struct dq *dq_producer_new(struct ring *r, struct db *d, char err[DQ_ERR_MAX]);
/* Producer: the eventfd that becomes readable when the consumer serviced a full ring (poll it
 * in the producer's event loop, hand it to the consumer). Consumer: the fd it writes to, or -1. */
int dq_serviced_fd(const struct dq *q);
void dq_set_data_serviced_handler(struct dq *q, dq_handler_fn fn, void *ctx);
/* Publishes one entry of `size` bytes (1..ring_payload()): fill(data, size, ctx) writes it in
 * place, then the doorbell rings if the consumer may sleep. DQ_OK, DQ_FULL, DQ_EINVAL. */
int dq_enqueue(struct dq *q, size_t size, dq_fill_fn fill, void *ctx);
int dq_enqueue_copy(struct dq *q, const void *data, size_t size);
/* After a DQ_FULL: reads the serviced eventfd and, once there is room, calls the data-serviced
 * handler (once per overrun episode). Returns 1 if it called it, 0 if not, DQ_EINVAL. Never
 * blocks. */
int dq_dispatch_serviced(struct dq *q);
/* Waits up to timeout_ms (< 0: no limit) for the serviced signal, then dq_dispatch_serviced().
 * Returns 1 (handler called), 0 (timeout or not waiting for room), DQ_ESYS, DQ_EINVAL. */
int dq_wait_serviced(struct dq *q, int timeout_ms);

/* ---- consumer ---- */
/* A consumer handle on an application's connection c (not taken over); serviced_fd is the
 * producer's dq_serviced_fd() as received: rcl_serviced_fd(c) when the driver sent it with
 * rcl_server_set_serviced (not taken over; -1: no serviced signal). */
struct dq *dq_consumer_new(struct rcl_client *c, int serviced_fd, char err[DQ_ERR_MAX]);
void dq_set_data_available_handler(struct dq *q, dq_handler_fn fn, void *ctx);
/* Waits for data (one doorbell, or data already there) up to timeout_ms (< 0: no limit) and then
 * calls the data-available handler once. Returns the entries pending when it was called (> 0),
 * 0 on timeout (handler not called), or rcl_wait's negative status (RCL_EPEER, RCL_ECLOSED,
 * a ring error). */
int dq_dispatch(struct dq *q, int timeout_ms);
bool dq_is_data_available(struct dq *q);
/* Calls use(data, size, ctx) with the oldest entry without removing it (a later peek or dequeue
 * sees it again). DQ_OK, DQ_EMPTY or a negative ring status. While peeked, the entry is claimed:
 * a drop-oldest producer cannot evict it. */
int dq_peek(struct dq *q, dq_entry_fn use, void *ctx);
/* Calls use(data, size, ctx) (use may be NULL) with the oldest entry, then frees its slot and,
 * if the ring was full, signals the producer. The data is valid only during the call. DQ_OK,
 * DQ_EMPTY or a negative ring status. */
int dq_dequeue(struct dq *q, dq_entry_fn use, void *ctx);

/* ---- both ---- */
void dq_stats(const struct dq *q, struct dq_stats *s);
const char *dq_error(const struct dq *q);
const char *dq_strerror(int status);
void dq_free(struct dq *q);

#endif

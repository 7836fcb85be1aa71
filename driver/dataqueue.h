/* dataqueue — the ring seen through an API shaped like DriverKit's IODataQueueDispatchSource:
 * entries of their own size, a data-available handler called once per doorbell (the handler
 * drains in a loop), and a data-serviced handler that tells the producer when room came back
 * after it found the queue full.
 *
 * Contract:
 *  - One producer handle (usbsim_dq_producer_new, on the ring and doorbell the producer created) and one
 *    consumer handle (usbsim_dq_consumer_new, on a ring mapped with usbsim_client_connect); each is used by one
 *    thread at a time, like the ring under it. Either side may be in its own process.
 *  - Entries keep their size: what usbsim_dq_enqueue() is given (1..ring_payload() bytes) is what the
 *    consumer's callback receives, in order. An entry is either published or refused with USBSIM_EFULL;
 *    this layer never drops one (the producer keeps it and tries again when serviced).
 *  - usbsim_dq_enqueue() never blocks and never evicts, whatever the ring's overflow policy: on a full ring
 *    it returns USBSIM_EFULL and marks the producer as waiting. The consumer, after each dequeue that
 *    freed a slot of a ring that was full, writes to the serviced eventfd; the producer's
 *    usbsim_dq_dispatch_serviced() then calls its data-serviced handler once. Both sides check with a
 *    full fence (the same pattern as the doorbell's event index), so a producer that saw the ring
 *    full is always notified once room frees: no serviced notification is lost. The consumer
 *    cannot tell whether the producer tried, so it signals after every release from a full ring;
 *    a producer that is not waiting drains the signal without calling its handler. A consumer that
 *    was given no serviced fd (-1) sends nothing; the producer's usbsim_dq_dispatch_serviced() still finds
 *    the room when it is called (e.g. on a timer).
 *  - No allocation after creation; the only system calls on the data path are the doorbell and
 *    the serviced eventfd write, and the latter only after the ring was full.
 *  - The ring's shared memory layout (ring.h, USBSIM_RING_VERSION 1) is unchanged: the serviced signal
 *    is one more eventfd, created by the producer and handed to the consumer beside the ring.
 *
 * The serviced eventfd reaches the consumer as a descriptor: inherited (fork), passed in the same
 * process (threads), or by SCM_RIGHTS over any UNIX socket the two share.
 *
 * DriverKit name (IODataQueueDispatchSource)      here
 *   Create(queueByteCapacity, queue, &source)      usbsim_dq_producer_new() / usbsim_dq_consumer_new()
 *   SetDataAvailableHandler(action)                usbsim_dq_set_data_available_handler()
 *   DataAvailable (the handler runs on its queue)  usbsim_dq_dispatch(): waits for one doorbell, calls it once
 *   SetDataServicedHandler(action)                 usbsim_dq_set_data_serviced_handler()
 *   DataServiced (runs on the producer's queue)    usbsim_dq_dispatch_serviced() / usbsim_dq_wait_serviced()
 *   Enqueue(dataSize, ^(data, size){fill})         usbsim_dq_enqueue(q, size, fill, ctx), usbsim_dq_enqueue_copy()
 *   Dequeue(^(data, size){use})                    usbsim_dq_dequeue(q, use, ctx)
 *   Peek(^(data, size){use})                       usbsim_dq_peek(q, use, ctx)
 *   IsDataAvailable()                              usbsim_dq_is_data_available()
 *   SendDataAvailable() / SendDataServiced()       done by usbsim_dq_enqueue() / usbsim_dq_dequeue() when needed
 *   kIOReturnOverrun (Enqueue on a full queue)     USBSIM_EFULL
 *   kIOReturnUnderrun (Dequeue on an empty queue)  USBSIM_EEMPTY
 *
 * Prefix: usbsim_dq_.
 */
#ifndef USBSIM_DRIVER_DATAQUEUE_H
#define USBSIM_DRIVER_DATAQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/client.h"
#include "driver/doorbell.h"
#include "driver/ring.h"

#define USBSIM_DQ_ERR_MAX 256

/* Every status is an enum usbsim_status (status.h): USBSIM_EEMPTY is kIOReturnUnderrun,
 * USBSIM_EFULL kIOReturnOverrun; the errors of usbsim_client_wait() and the ring pass through. */

struct usbsim_dq;

typedef void (*usbsim_dq_handler_fn)(struct usbsim_dq *q, void *ctx);
typedef void (*usbsim_dq_fill_fn)(void *data, size_t size, void *ctx);
typedef void (*usbsim_dq_entry_fn)(const void *data, size_t size, void *ctx);

struct usbsim_dq_stats {
    uint64_t enqueued, overruns;       /* producer: entries published, USBSIM_EFULL returns */
    uint64_t serviced_calls;           /* producer: data-serviced handler calls */
    uint64_t dequeued, serviced_sent;  /* consumer: entries dequeued, serviced signals written */
    uint64_t available_calls;          /* consumer: data-available handler calls */
};

/* ---- producer ---- */
/* A producer handle on ring r (made by usbsim_ring_create) and its doorbell d (usbsim_doorbell_open); neither is
 * taken over. Creates the serviced eventfd. NULL + err on failure. */
struct usbsim_dq *usbsim_dq_producer_new(struct usbsim_ring *r, struct usbsim_doorbell *d, char err[USBSIM_DQ_ERR_MAX]);
/* Producer: the eventfd that becomes readable when the consumer serviced a full ring (poll it
 * in the producer's event loop, hand it to the consumer). Consumer: the fd it writes to, or -1. */
int usbsim_dq_serviced_fd(const struct usbsim_dq *q);
void usbsim_dq_set_data_serviced_handler(struct usbsim_dq *q, usbsim_dq_handler_fn fn, void *ctx);
/* Publishes one entry of `size` bytes (1..ring_payload()): fill(data, size, ctx) writes it in
 * place, then the doorbell rings if the consumer may sleep. USBSIM_OK, USBSIM_EFULL, USBSIM_EINVAL. */
int usbsim_dq_enqueue(struct usbsim_dq *q, size_t size, usbsim_dq_fill_fn fill, void *ctx);
int usbsim_dq_enqueue_copy(struct usbsim_dq *q, const void *data, size_t size);
/* After a USBSIM_EFULL: reads the serviced eventfd and, once there is room, calls the data-serviced
 * handler (once per overrun episode). Returns 1 if it called it, 0 if not, USBSIM_EINVAL. Never
 * blocks. */
int usbsim_dq_dispatch_serviced(struct usbsim_dq *q);
/* Waits up to timeout_ms (< 0: no limit) for the serviced signal, then usbsim_dq_dispatch_serviced().
 * Returns 1 (handler called), 0 (timeout or not waiting for room), USBSIM_ESYS, USBSIM_EINVAL. */
int usbsim_dq_wait_serviced(struct usbsim_dq *q, int timeout_ms);

/* ---- consumer ---- */
/* A consumer handle on an application's connection c (not taken over); serviced_fd is the
 * producer's usbsim_dq_serviced_fd() as received: usbsim_client_serviced_fd(c) when the driver sent it with
 * usbsim_server_set_serviced (not taken over; -1: no serviced signal). */
struct usbsim_dq *usbsim_dq_consumer_new(struct usbsim_client *c, int serviced_fd, char err[USBSIM_DQ_ERR_MAX]);
void usbsim_dq_set_data_available_handler(struct usbsim_dq *q, usbsim_dq_handler_fn fn, void *ctx);
/* Waits for data (one doorbell, or data already there) up to timeout_ms (< 0: no limit) and then
 * calls the data-available handler once. Returns the entries pending when it was called (> 0),
 * 0 on timeout (handler not called), or usbsim_client_wait's negative status (USBSIM_EPEER, USBSIM_ECLOSED,
 * a ring error). */
int usbsim_dq_dispatch(struct usbsim_dq *q, int timeout_ms);
bool usbsim_dq_is_data_available(struct usbsim_dq *q);
/* Calls use(data, size, ctx) with the oldest entry without removing it (a later peek or dequeue
 * sees it again). USBSIM_OK, USBSIM_EEMPTY or a negative ring status. While peeked, the entry is claimed:
 * a drop-oldest producer cannot evict it. */
int usbsim_dq_peek(struct usbsim_dq *q, usbsim_dq_entry_fn use, void *ctx);
/* Calls use(data, size, ctx) (use may be NULL) with the oldest entry, then frees its slot and,
 * if the ring was full, signals the producer. The data is valid only during the call. USBSIM_OK,
 * USBSIM_EEMPTY or a negative ring status. */
int usbsim_dq_dequeue(struct usbsim_dq *q, usbsim_dq_entry_fn use, void *ctx);

/* ---- both ---- */
void usbsim_dq_stats(const struct usbsim_dq *q, struct usbsim_dq_stats *s);
const char *usbsim_dq_error(const struct usbsim_dq *q);
void usbsim_dq_free(struct usbsim_dq *q);

#endif

/* ffs_aio — a queue of IN packets handed to the kernel with Linux AIO (io_submit on a FunctionFS
 * endpoint file), completions signalled on an eventfd.
 *
 * Contract:
 *  - ffsa_open() sets up an AIO context of FFSA_DEPTH requests on the endpoint fd and an eventfd
 *    (q->efd, non-blocking) rung on each completion: poll it for POLLIN. 0, or -1 with errno.
 *    Before ffsa_open(), set q->efd = -1 and q->ctx = 0 so that ffsa_close() is safe.
 *  - ffsa_submit() copies len bytes (0: a zero-length packet; at most PKT_MAX_SIZE) and queues
 *    one write tagged seq; -1 with errno when FFSA_DEPTH are in flight or the kernel refuses.
 *    A request completes when the host has read the packet. Never blocks.
 *  - ffsa_submit_read() queues one read of at most len bytes (at most PKT_MAX_SIZE) tagged seq on
 *    an OUT endpoint file: it completes when the host has sent data (res = the bytes read, into
 *    the queue's buffer: inside done(), q->buf[q->done_slot] holds them). Same errors as
 *    ffsa_submit().
 *  - ffsa_reap() waits up to timeout_ns (0: does not wait) for completions and calls done()
 *    for each with its seq and result (bytes written, or -errno: -ESHUTDOWN when the host went
 *    away or the UDC was unbound).
 *  - ffsa_close() waits (at most about 1 s) for what is in flight, reporting each through done(),
 *    then cancels the rest and releases the context and the eventfd.
 * Prefix: ffsa_ / FFSA_.
 */
#ifndef USBSIM_SIM_FFS_AIO_H
#define USBSIM_SIM_FFS_AIO_H

#include <linux/aio_abi.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/packet.h"

#define FFSA_DEPTH 8 /* packets handed to the kernel at once */

typedef void (*ffsa_done_fn)(void *ctx, uint32_t seq, int64_t res);

struct ffsa_queue {
    aio_context_t ctx;
    int efd, fd, n;                /* eventfd rung on completion; IN endpoint; in flight */
    struct iocb cb[FFSA_DEPTH];
    int used[FFSA_DEPTH];
    uint32_t seq[FFSA_DEPTH];
    int done_slot;                 /* inside done(): the slot reported (a read's bytes: buf[it]) */
    uint8_t buf[FFSA_DEPTH][PKT_MAX_SIZE];
};

int ffsa_open(struct ffsa_queue *q, int fd);
int ffsa_submit(struct ffsa_queue *q, const uint8_t *data, size_t len, uint32_t seq);
int ffsa_submit_read(struct ffsa_queue *q, size_t len, uint32_t seq);
void ffsa_reap(struct ffsa_queue *q, int64_t timeout_ns, ffsa_done_fn done, void *ctx);
void ffsa_close(struct ffsa_queue *q, ffsa_done_fn done, void *ctx);

#endif

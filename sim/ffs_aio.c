/* ffs_aio — see ffs_aio.h. */
#include "sim/ffs_aio.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int ffsa_open(struct ffsa_queue *q, int fd)
{
    q->fd = fd;
    q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0 || syscall(SYS_io_setup, FFSA_DEPTH, &q->ctx) != 0)
        return -1;
    return 0;
}

static int submit(struct ffsa_queue *q, const uint8_t *data, size_t len, uint32_t seq,
                  uint16_t op)
{
    int i = 0;
    while (i < FFSA_DEPTH && q->used[i])
        i++;
    if (i == FFSA_DEPTH || len > PKT_MAX_SIZE) {
        errno = i == FFSA_DEPTH ? EAGAIN : EINVAL;
        return -1;
    }
    if (data)
        memcpy(q->buf[i], data, len);
    struct iocb *cb = &q->cb[i];
    memset(cb, 0, sizeof *cb);
    cb->aio_data = (uint64_t)i;
    cb->aio_lio_opcode = op;
    cb->aio_fildes = (uint32_t)q->fd;
    cb->aio_buf = (uint64_t)(uintptr_t)q->buf[i];
    cb->aio_nbytes = len;
    cb->aio_flags = IOCB_FLAG_RESFD;
    cb->aio_resfd = (uint32_t)q->efd;
    struct iocb *list[1] = {cb};
    if (syscall(SYS_io_submit, q->ctx, 1L, list) != 1)
        return -1;
    q->used[i] = 1;
    q->seq[i] = seq;
    q->n++;
    return 0;
}

int ffsa_submit(struct ffsa_queue *q, const uint8_t *data, size_t len, uint32_t seq)
{
    return submit(q, data, len, seq, IOCB_CMD_PWRITE);
}

int ffsa_submit_read(struct ffsa_queue *q, size_t len, uint32_t seq)
{
    return submit(q, NULL, len, seq, IOCB_CMD_PREAD);
}

void ffsa_reap(struct ffsa_queue *q, int64_t timeout_ns, ffsa_done_fn done, void *ctx)
{
    uint64_t rung;
    if (read(q->efd, &rung, sizeof rung) < 0 && timeout_ns == 0)
        return;
    struct io_event ev[FFSA_DEPTH];
    struct timespec ts = {timeout_ns / 1000000000LL, timeout_ns % 1000000000LL};
    long n = syscall(SYS_io_getevents, q->ctx, 0L, (long)FFSA_DEPTH, ev, &ts);
    for (long k = 0; k < n; k++) {
        int i = (int)ev[k].data;
        if (i < 0 || i >= FFSA_DEPTH || !q->used[i])
            continue;
        q->used[i] = 0;
        q->n--;
        q->done_slot = i;
        done(ctx, q->seq[i], ev[k].res);
    }
}

void ffsa_close(struct ffsa_queue *q, ffsa_done_fn done, void *ctx)
{
    for (int i = 0; q->ctx && q->n > 0 && i < 20; i++)
        ffsa_reap(q, 50000000LL, done, ctx);
    if (q->ctx)
        syscall(SYS_io_destroy, q->ctx); /* cancels what is left */
    if (q->efd >= 0)
        close(q->efd);
    q->ctx = 0;
    q->efd = -1;
}

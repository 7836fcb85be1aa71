/* fdio — reading and writing a descriptor another process handed us, without trusting it.
 *
 * Contract: a descriptor received by SCM_RIGHTS shares its open file description with the peer,
 * which can switch it back to blocking at any time, or fill it so a write would block. These never
 * block whatever the descriptor's mode: fdio_read_nowait() asks the kernel for a non-blocking read
 * of this one call (preadv2 RWF_NOWAIT), falling back to O_NONBLOCK where the kernel does not
 * support that; fdio_write_nowait() writes only when poll says there is room, with O_NONBLOCK set
 * just before. Both return what read/write return (-1 with errno EAGAIN when nothing could be
 * done). fdio_kind() tells an eventfd-like anonymous inode from a pipe and from anything else by
 * fstat alone. Internal to libusbsim-ring (static inline: no exported symbol).
 * Prefix: fdio_.
 */
#ifndef USBSIM_DRIVER_FDIO_H
#define USBSIM_DRIVER_FDIO_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

enum fdio_kind { FDIO_OTHER, FDIO_ANON /* eventfd (an anonymous inode) */, FDIO_PIPE };

static inline enum fdio_kind fdio_kind(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return FDIO_OTHER;
    if (S_ISFIFO(st.st_mode))
        return FDIO_PIPE;
    return (st.st_mode & S_IFMT) == 0 ? FDIO_ANON : FDIO_OTHER;
}

static inline void fdio_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static inline ssize_t fdio_read_nowait(int fd, void *buf, size_t len)
{
    struct iovec v = {buf, len};
    ssize_t n = preadv2(fd, &v, 1, -1, RWF_NOWAIT);
    if (n >= 0 || (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS))
        return n;
    fdio_nonblock(fd);
    return read(fd, buf, len);
}

static inline ssize_t fdio_write_nowait(int fd, const void *buf, size_t len)
{
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
        errno = EAGAIN;
        return -1;
    }
    fdio_nonblock(fd);
    return write(fd, buf, len);
}

#endif

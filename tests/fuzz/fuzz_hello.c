/* libFuzzer target: the application's side of the hello, against a hostile driver. The first
 * input byte chooses which descriptors ride with the message (a real ring's memfd, an eventfd, a
 * pipe, /dev/null, the socket itself, or none, up to four); the rest is the hello message itself.
 * The client must refuse what is wrong with an error and accept what is right; when it accepts,
 * a wait, a peek and a release must answer (packets or errors), never crash or block. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver/client.h"
#include "driver/doorbell.h"
#include "driver/ring.h"

static struct usbsim_ring *ring; /* a real one, so a hello can be right */

static int make_fd(unsigned kind, int sock)
{
    int p[2];
    switch (kind % 6) {
    case 0: return dup(usbsim_ring_fd(ring));
    case 1: return eventfd(0, EFD_CLOEXEC);
    case 2:
        if (pipe(p) != 0)
            return -1;
        close(p[1]);
        return p[0];
    case 3: return open("/dev/null", O_RDWR | O_CLOEXEC);
    case 4: return dup(sock);
    default: return -1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ring) {
        char err[USBSIM_RING_ERR_MAX];
        struct usbsim_ring_config cfg = {8, 112, USBSIM_RING_DROP_NEWEST, 0, 0, NULL};
        if (!(ring = usbsim_ring_create(&cfg, err)))
            abort();
    }
    if (size < 1 || size > 256)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    unsigned pick = data[0], n = pick >> 6; /* 0..3 descriptors, kinds from the low bits */
    int fds[4];
    unsigned nfds = 0;
    for (unsigned i = 0; i <= n && i < 4; i++) {
        int fd = make_fd((pick >> (i * 2)) + i, sv[0]);
        if (fd >= 0)
            fds[nfds++] = fd;
    }
    union {
        char buf[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)(data + 1), size - 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds) {
        m.msg_control = ctl.buf;
        m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    if (sendmsg(sv[0], &m, MSG_NOSIGNAL) < 0)
        abort();
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    char err[USBSIM_CLIENT_ERR_MAX];
    struct usbsim_client *c = usbsim_client_from_socket(sv[1], err);
    if (c) {
        usbsim_client_wait(c, 0);
        int k = usbsim_client_peek(c, 8);
        for (int i = 0; i < k; i++) {
            struct usbsim_ring_pkt p;
            usbsim_client_get(c, (uint32_t)i, &p);
        }
        usbsim_client_release(c, k > 0 ? (uint32_t)k : 0);
        usbsim_client_close(c);
    } else if (!err[0]) {
        abort(); /* a refusal always says why */
    }
    close(sv[0]);
    return 0;
}

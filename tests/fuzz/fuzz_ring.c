/* libFuzzer target: the consumer's view of a ring whose shared memory a hostile producer wrote.
 * The input is the whole memory object (header pages and slots); it is sealed as a driver's would
 * be, attached as a consumer, and drained: every answer must be a packet or an error, never a
 * crash or a read outside the mapping. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "driver/ring.h"

#define MAX_OBJECT (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_OBJECT)
        return 0;
    int fd = memfd_create("fuzz-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        abort();
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = size < 2 * page ? 2 * page : size;
    if (ftruncate(fd, (off_t)len) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
        abort();
    char err[USBSIM_RING_ERR_MAX];
    struct usbsim_ring *r = usbsim_ring_attach_consumer(fd, err);
    for (int round = 0; r && round < 4; round++) {
        int n = usbsim_ring_peek(r, 64);
        if (n <= 0)
            break;
        uint64_t sum = 0;
        for (int i = 0; i < n; i++) {
            struct usbsim_ring_pkt p;
            if (usbsim_ring_get(r, (uint32_t)i, &p) != 0)
                break;
            for (uint16_t k = 0; k < p.len; k++) /* every byte it hands out must be readable */
                sum += p.bytes[k];
        }
        if (usbsim_ring_release(r, (uint32_t)n) < 0 || sum == UINT64_MAX)
            break;
    }
    usbsim_ring_destroy(r);
    close(fd);
    return 0;
}

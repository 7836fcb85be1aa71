/* ring_producer — a stand-in driver for tests/install.sh, built against the installed
 * usbsim-ring: serves a ring on SOCKET, waits (5 s at most) for one application, then publishes
 * COUNT seqs as 112-byte packets (seq in bytes 4-7), leaving out every seq with seq % 100 == 99
 * on purpose so the consumer has gaps to count; closes the ring and waits (5 s at most) for the
 * application to go. Usage: ring_producer SOCKET COUNT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <usbsim/client.h>

int main(int argc, char **argv)
{
    char err[USBSIM_RING_ERR_MAX];
    struct usbsim_ring_config cfg = {256, 112, USBSIM_RING_BLOCK, 5000000000ull, 0, NULL};
    struct usbsim_ring *r = argc == 3 ? usbsim_ring_create(&cfg, err) : NULL;
    struct usbsim_doorbell d;
    struct usbsim_server s;
    if (!r || usbsim_doorbell_open(&d, USBSIM_DOORBELL_SUPPRESSED, NULL) != 0 || usbsim_server_listen(&s, argv[1], r, &d) != 0 ||
        usbsim_server_accept(&s, 5000) != 0) {
        fprintf(stderr, "ring_producer: cannot serve %s\n", argc == 3 ? argv[1] : "(usage: SOCKET COUNT)");
        return 1;
    }
    unsigned long count = strtoul(argv[2], NULL, 10);
    uint8_t pkt[112] = {0x55, 0x53, 0x49, 0x4d};
    for (uint32_t seq = 0; seq < count; seq++) {
        if (seq % 100 == 99)
            continue;
        memcpy(pkt + 4, &seq, 4); /* little-endian host */
        if (usbsim_doorbell_push(&d, r, pkt, sizeof pkt, 0, seq) < 0) {
            fprintf(stderr, "ring_producer: %s\n", usbsim_ring_error(r));
            return 1;
        }
    }
    usbsim_ring_close(r);
    usbsim_doorbell_kick(&d, r);
    for (int i = 0; i < 500 && usbsim_server_check(&s) == 0; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    usbsim_server_close(&s);
    usbsim_doorbell_close(&d);
    usbsim_ring_destroy(r);
    return 0;
}

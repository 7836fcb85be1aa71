/* app_batch — an application that drains the driver's ring in batches (usbsim-ring's batch API):
 * one wake-up, then everything that is there, up to 64 packets, released together. The design
 * that keeps up after a hiccup: the backlog goes in one wake-up.
 *   cc -o app_batch app_batch.c $(pkg-config --cflags --libs usbsim-ring)
 *   usbsim run examples/apps/hiccup.yaml --app ./app_batch
 * It needs no code for the harness: usbsim gives it USBSIM_RING_SOCKET, and the library records
 * what it takes when usbsim asks (USBSIM_RECORD). Ends when the driver closes the ring. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <usbsim/client.h>

int main(void)
{
    const char *sock = getenv("USBSIM_RING_SOCKET");
    char err[USBSIM_CLIENT_ERR_MAX];
    struct usbsim_client *c = sock ? usbsim_client_connect(sock, 5000, err) : NULL;
    if (!c)
        return fprintf(stderr, "app_batch: %s\n", sock ? err : "USBSIM_RING_SOCKET is not set"), 1;
    unsigned long long got = 0, sum = 0;
    int n;
    while ((n = usbsim_client_wait(c, 1000)) >= 0) {
        n = usbsim_client_peek(c, 64);
        for (int i = 0; i < n; i++) {
            struct usbsim_ring_pkt p;
            if (usbsim_client_get(c, (uint32_t)i, &p) == 0)
                for (uint16_t k = 0; k < p.len; k++) /* the work: a checksum of the packet */
                    sum += p.bytes[k];
        }
        if (n > 0 && usbsim_client_release(c, (uint32_t)n) < 0)
            break;
        got += n > 0 ? (unsigned)n : 0;
    }
    int clean = n == USBSIM_ECLOSED || n == USBSIM_EPEER;
    fprintf(stderr, "app_batch: %llu packets (checksum %llu); end: %s\n", got, sum,
            usbsim_client_error(c));
    usbsim_client_close(c);
    return clean ? 0 : 1;
}

/* consumer — maps a running driver's ring (usbsim-ring's client) and prints the rate and the loss
 * it sees, from gaps in the packets' seq (bytes 4-7, little-endian), once a second and at the end.
 *   cc -o consumer consumer.c $(pkg-config --cflags --libs usbsim-ring)
 *   ./consumer /run/mydriver/ring.sock */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <usbsim/client.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char err[USBSIM_CLIENT_ERR_MAX];
    struct usbsim_client *c = argc == 2 ? usbsim_client_connect(argv[1], 5000, err) : NULL;
    if (!c)
        return fprintf(stderr, "usage: consumer SOCKET (%s)\n", argc == 2 ? err : "no socket"), 1;
    unsigned long long got = 0, lost = 0, last_got = 0;
    uint32_t next = 0;
    double t0 = now(), tick = t0;
    int n;
    while ((n = usbsim_client_wait(c, 1000)) >= 0) {
        n = usbsim_client_peek(c, 64);
        for (int i = 0; i < n; i++) {
            struct usbsim_ring_pkt p;
            if (usbsim_client_get(c, (uint32_t)i, &p) < 0 || p.len < 8)
                continue;
            uint32_t seq = p.bytes[4] | p.bytes[5] << 8 | p.bytes[6] << 16 | (uint32_t)p.bytes[7] << 24;
            lost += got++ ? (uint32_t)(seq - next) : 0;
            next = seq + 1;
        }
        usbsim_client_release(c, n > 0 ? (uint32_t)n : 0);
        if (now() - tick >= 1.0) {
            printf("%.0f packets/s, %llu lost so far\n", (double)(got - last_got) / (now() - tick), lost);
            tick = now(), last_got = got;
        }
    }
    printf("received %llu packets in %.2f s, %llu lost (seq gaps); end: %s\n", got, now() - t0, lost,
           usbsim_client_error(c));
    usbsim_client_close(c);
    return 0;
}

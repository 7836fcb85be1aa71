/* app_percall — the one-callback-per-packet design, on usbsim-ring's DriverKit-shaped API
 * (usbsim/dataqueue.h): its data-available handler takes ONE entry per wake-up and handles it
 * with a slow handler (9 ms: a blocking call per packet). At 100 packets/s it keeps up while
 * nothing happens; after a 50 ms hiccup the backlog drains at 1 ms per 10 ms and latency grows.
 * `usbsim run examples/apps/hiccup.yaml --app ./app_percall` FAILS, naming the latency and
 * the backlog; examples/app_batch.c passes the same scenario.
 *   cc -o app_percall app_percall.c $(pkg-config --cflags --libs usbsim-ring) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <usbsim/dataqueue.h>

#define HANDLER_MS 9

static void handle(const void *data, size_t size, void *ctx)
{
    (void)data, (void)size;
    ++*(unsigned long long *)ctx;
    struct timespec t = {0, HANDLER_MS * 1000000L}; /* the slow part of the callback */
    nanosleep(&t, NULL);
}

static void on_data(struct usbsim_dq *q, void *ctx)
{
    usbsim_dq_dequeue(q, handle, ctx); /* one entry per wake-up: the design under test */
}

int main(void)
{
    const char *sock = getenv("USBSIM_RING_SOCKET");
    char err[USBSIM_CLIENT_ERR_MAX], qerr[USBSIM_DQ_ERR_MAX];
    struct usbsim_client *c = sock ? usbsim_client_connect(sock, 5000, err) : NULL;
    if (!c)
        return fprintf(stderr, "app_percall: %s\n", sock ? err : "USBSIM_RING_SOCKET is not set"),
               1;
    struct usbsim_dq *q = usbsim_dq_consumer_new(c, usbsim_client_serviced_fd(c), qerr);
    if (!q)
        return fprintf(stderr, "app_percall: %s\n", qerr), usbsim_client_close(c), 1;
    unsigned long long got = 0;
    usbsim_dq_set_data_available_handler(q, on_data, &got);
    int n;
    while ((n = usbsim_dq_dispatch(q, 1000)) >= 0)
        ;
    fprintf(stderr, "app_percall: %llu packets; end: %s\n", got, usbsim_dq_error(q));
    usbsim_dq_free(q);
    usbsim_client_close(c);
    return n == USBSIM_ECLOSED || n == USBSIM_EPEER ? 0 : 1;
}

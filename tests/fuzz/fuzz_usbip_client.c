/* libFuzzer target: bytes from a USB/IP server into the client source's reply parser (import
 * reply, then RET_SUBMIT / RET_UNLINK for the requests it has in flight: the enumeration's
 * descriptors, SET_CONFIGURATION, IN requests). Seeds: tests/fuzz/gen_usbip_client_seeds.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/src_usbip.h"

static void on_packet(void *ctx, const uint8_t *buf, size_t len, uint64_t t)
{
    (void)t;
    size_t *sum = ctx;
    for (size_t i = 0; i < len; i++) /* touch every byte: ASan checks the bounds */
        *sum += buf[i];
}

static void on_event(void *ctx, enum src_event ev, const char *detail)
{
    (void)ctx;
    (void)ev;
    if (strlen(detail) > 4096)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct src_config cfg = {.inflight = 4, .max_packet = 112};
    struct srcu *c = srcu_session_new(&cfg);
    if (!c)
        abort();
    size_t sum = 0;
    struct src_sink sink = {&sum, on_packet, on_event};
    size_t off = 0;
    while (off < size) {
        size_t n = size - off < 53 ? size - off : 53;
        if (srcu_session_input(c, data + off, n, 1, &sink) != 0)
            break;
        off += n;
    }
    srcu_session_free(c);
    return 0;
}

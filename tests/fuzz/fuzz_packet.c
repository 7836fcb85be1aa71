/* libFuzzer target: packet decode on arbitrary bytes, and encode/decode agreement. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pkt_fields f;
    enum pkt_status st = pkt_decode(data, size, 0, 1, 1, &f);
    if (st == PKT_OK) {
        /* A packet that decodes cleanly must re-encode to the same bytes. */
        uint8_t again[PKT_MAX_SIZE];
        pkt_encode(again, size, 1, &f, 0);
        if (memcmp(again, data, size) != 0)
            abort();
    }
    return 0;
}

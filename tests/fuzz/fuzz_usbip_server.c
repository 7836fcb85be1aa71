/* libFuzzer target: bytes from a USB/IP peer into the server's per-connection state machine
 * (op requests, then URB headers), with a fake clock that advances as the bytes arrive; the
 * peer's bounds (usrv_conn_overdue) are checked after every piece, as the server's loop does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/usbip_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    scn_defaults(&sc);
    strcpy(sc.name, "fuzz");
    sc.duration_ns = 100000000LL;
    sc.device.period_ns = 1000000LL;
    sc.device.fifo_packets = 8;
    struct usbdev *dev = usbdev_new(&sc, err);
    if (!dev)
        abort();
    struct usrv_opts o = {.quiet = 1, .max_urbs = 16};
    int env;
    char serr[USRV_ERR_MAX];
    struct usrv *s = usrv_new(dev, &o, 0, &env, serr);
    struct usrv_conn *c = s ? usrv_conn_new(s, -1) : NULL;
    if (!c)
        abort();
    int64_t now = 1000000000LL;
    size_t off = 0;
    while (off < size) {
        /* Feed in pieces of up to 61 bytes so messages split across reads. */
        size_t room = usrv_conn_room(c), n = size - off < 61 ? size - off : 61;
        if (room == 0)
            break; /* done (devlist answered, import refused) */
        if (n > room)
            n = room;
        int r = usrv_conn_input(s, c, data + off, n, now);
        off += n;
        now += 700000; /* 0.7 ms per piece: samples become due */
        usrv_conn_tick(s, c, now);
        size_t len;
        usrv_conn_output(c, &len);
        usrv_conn_consume(c, len);
        int64_t next;
        if (r != 0 || usrv_conn_overdue(s, c, now, &next) != 0)
            break;
        if (next <= now)
            abort(); /* a bound not spent is due later */
    }
    usrv_conn_free(s, c);
    usrv_free(s);
    usbdev_free(dev);
    return 0;
}

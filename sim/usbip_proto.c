/* usbip_proto — see usbip_proto.h. */
#include "sim/usbip_proto.h"

#include <string.h>

static void be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int fail(const char **why, const char *msg)
{
    *why = msg;
    return -1;
}

/* Copies a fixed-size string field; -1 unless it is NUL-terminated inside the field. */
static int get_str(char *dst, const uint8_t *src, size_t size)
{
    const void *nul = memchr(src, 0, size);
    if (!nul)
        return -1;
    memcpy(dst, src, (size_t)((const uint8_t *)nul - src) + 1);
    return 0;
}

static void put_str(uint8_t *dst, const char *s, size_t size)
{
    memset(dst, 0, size);
    size_t n = strnlen(s, size - 1);
    memcpy(dst, s, n);
}

size_t uip_op_encode(uint8_t *b, const struct uip_op *op)
{
    be16(b, op->version);
    be16(b + 2, op->code);
    be32(b + 4, op->status);
    return UIP_OP_HDR_SIZE;
}

int uip_op_decode(const uint8_t *b, size_t len, struct uip_op *op, const char **why)
{
    *why = "";
    if (len >= 2 && len < UIP_OP_HDR_SIZE && rd16(b) != UIP_VERSION)
        return fail(why, "unsupported protocol version"); /* no need to wait for the rest */
    if (len < UIP_OP_HDR_SIZE)
        return 0;
    op->version = rd16(b);
    op->code = rd16(b + 2);
    op->status = rd32(b + 4);
    if (op->version != UIP_VERSION)
        return fail(why, "unsupported protocol version");
    if (op->code != UIP_OP_REQ_DEVLIST && op->code != UIP_OP_REP_DEVLIST &&
        op->code != UIP_OP_REQ_IMPORT && op->code != UIP_OP_REP_IMPORT)
        return fail(why, "unknown operation code");
    if (op->status > UIP_ST_ERROR)
        return fail(why, "unknown operation status");
    return UIP_OP_HDR_SIZE;
}

size_t uip_req_import_encode(uint8_t *b, const char *busid)
{
    struct uip_op op = {UIP_VERSION, UIP_OP_REQ_IMPORT, 0};
    uip_op_encode(b, &op);
    put_str(b + UIP_OP_HDR_SIZE, busid, UIP_BUSID_SIZE);
    return UIP_REQ_IMPORT_SIZE;
}

int uip_req_import_decode(const uint8_t *b, size_t len, char busid[UIP_BUSID_SIZE],
                          const char **why)
{
    struct uip_op op;
    int r = uip_op_decode(b, len, &op, why);
    if (r <= 0)
        return r;
    if (op.code != UIP_OP_REQ_IMPORT)
        return fail(why, "not an import request");
    if (len < UIP_REQ_IMPORT_SIZE)
        return 0;
    if (get_str(busid, b + UIP_OP_HDR_SIZE, UIP_BUSID_SIZE) != 0)
        return fail(why, "bus id not terminated");
    return UIP_REQ_IMPORT_SIZE;
}

size_t uip_device_encode(uint8_t *b, const struct uip_device *d)
{
    put_str(b, d->path, UIP_PATH_SIZE);
    put_str(b + 256, d->busid, UIP_BUSID_SIZE);
    be32(b + 288, d->busnum);
    be32(b + 292, d->devnum);
    be32(b + 296, d->speed);
    be16(b + 300, d->vid);
    be16(b + 302, d->pid);
    be16(b + 304, d->bcd_device);
    uint8_t tail[6] = {d->dev_class, d->dev_subclass, d->dev_protocol, d->config_value,
                       d->num_configs, d->num_ifaces};
    memcpy(b + 306, tail, 6);
    return UIP_DEVICE_SIZE;
}

int uip_device_decode(const uint8_t *b, size_t len, struct uip_device *d, const char **why)
{
    *why = "";
    if (len < UIP_DEVICE_SIZE)
        return 0;
    memset(d, 0, sizeof *d);
    if (get_str(d->path, b, UIP_PATH_SIZE) != 0 || get_str(d->busid, b + 256, UIP_BUSID_SIZE) != 0)
        return fail(why, "device path or bus id not terminated");
    d->busnum = rd32(b + 288);
    d->devnum = rd32(b + 292);
    d->speed = rd32(b + 296);
    d->vid = rd16(b + 300);
    d->pid = rd16(b + 302);
    d->bcd_device = rd16(b + 304);
    d->dev_class = b[306];
    d->dev_subclass = b[307];
    d->dev_protocol = b[308];
    d->config_value = b[309];
    d->num_configs = b[310];
    d->num_ifaces = b[311];
    if (d->speed > 6)
        return fail(why, "unknown device speed");
    if (d->num_ifaces > UIP_MAX_IFACES)
        return fail(why, "too many interfaces");
    return UIP_DEVICE_SIZE;
}

size_t uip_rep_import_encode(uint8_t *b, uint32_t status, const struct uip_device *d)
{
    struct uip_op op = {UIP_VERSION, UIP_OP_REP_IMPORT, status};
    uip_op_encode(b, &op);
    if (status != UIP_ST_OK)
        return UIP_OP_HDR_SIZE;
    return UIP_OP_HDR_SIZE + uip_device_encode(b + UIP_OP_HDR_SIZE, d);
}

int uip_rep_import_decode(const uint8_t *b, size_t len, uint32_t *status, struct uip_device *d,
                          const char **why)
{
    struct uip_op op;
    int r = uip_op_decode(b, len, &op, why);
    if (r <= 0)
        return r;
    if (op.code != UIP_OP_REP_IMPORT)
        return fail(why, "not an import reply");
    *status = op.status;
    if (op.status != UIP_ST_OK)
        return UIP_OP_HDR_SIZE;
    r = uip_device_decode(b + UIP_OP_HDR_SIZE, len - UIP_OP_HDR_SIZE, d, why);
    return r <= 0 ? r : UIP_REP_IMPORT_SIZE;
}

size_t uip_rep_devlist_size(const struct uip_device *devs, size_t n)
{
    size_t s = UIP_OP_HDR_SIZE + 4;
    for (size_t i = 0; i < n; i++)
        s += UIP_DEVICE_SIZE + UIP_IFACE_SIZE * (size_t)devs[i].num_ifaces;
    return s;
}

size_t uip_rep_devlist_encode(uint8_t *b, const struct uip_device *devs, size_t n)
{
    struct uip_op op = {UIP_VERSION, UIP_OP_REP_DEVLIST, UIP_ST_OK};
    size_t off = uip_op_encode(b, &op);
    be32(b + off, (uint32_t)n);
    off += 4;
    for (size_t i = 0; i < n; i++) {
        off += uip_device_encode(b + off, &devs[i]);
        for (size_t k = 0; k < devs[i].num_ifaces; k++, off += UIP_IFACE_SIZE) {
            const struct uip_iface *f = &devs[i].ifaces[k];
            uint8_t rec[UIP_IFACE_SIZE] = {f->cls, f->subclass, f->protocol, 0};
            memcpy(b + off, rec, UIP_IFACE_SIZE);
        }
    }
    return off;
}

int uip_rep_devlist_decode(const uint8_t *b, size_t len, struct uip_device *devs, size_t max,
                           size_t *n, const char **why)
{
    struct uip_op op;
    int r = uip_op_decode(b, len, &op, why);
    if (r <= 0)
        return r;
    if (op.code != UIP_OP_REP_DEVLIST)
        return fail(why, "not a devlist reply");
    if (op.status != UIP_ST_OK)
        return fail(why, "devlist refused");
    if (len < UIP_OP_HDR_SIZE + 4)
        return 0;
    uint32_t count = rd32(b + UIP_OP_HDR_SIZE);
    if (count > max || count > UIP_MAX_DEVICES)
        return fail(why, "too many devices");
    size_t off = UIP_OP_HDR_SIZE + 4;
    for (uint32_t i = 0; i < count; i++) {
        r = uip_device_decode(b + off, len - off, &devs[i], why);
        if (r <= 0)
            return r;
        off += UIP_DEVICE_SIZE;
        if (len - off < UIP_IFACE_SIZE * (size_t)devs[i].num_ifaces)
            return 0;
        for (size_t k = 0; k < devs[i].num_ifaces; k++, off += UIP_IFACE_SIZE)
            devs[i].ifaces[k] = (struct uip_iface){b[off], b[off + 1], b[off + 2]};
    }
    *n = count;
    return (int)off;
}

size_t uip_hdr_encode(uint8_t *b, const struct uip_hdr *h)
{
    memset(b, 0, UIP_HDR_SIZE);
    uint32_t base[5] = {h->command, h->seqnum, h->devid, h->direction, h->ep};
    for (int i = 0; i < 5; i++)
        be32(b + 4 * i, base[i]);
    uint8_t *p = b + 20;
    switch (h->command) {
    case UIP_CMD_SUBMIT:
        be32(p, h->u.submit.flags);
        be32(p + 4, (uint32_t)h->u.submit.length);
        be32(p + 8, (uint32_t)h->u.submit.start_frame);
        be32(p + 12, (uint32_t)h->u.submit.n_packets);
        be32(p + 16, (uint32_t)h->u.submit.interval);
        memcpy(p + 20, h->u.submit.setup, 8);
        break;
    case UIP_RET_SUBMIT:
        be32(p, (uint32_t)h->u.ret_submit.status);
        be32(p + 4, (uint32_t)h->u.ret_submit.actual_length);
        be32(p + 8, (uint32_t)h->u.ret_submit.start_frame);
        be32(p + 12, (uint32_t)h->u.ret_submit.n_packets);
        be32(p + 16, (uint32_t)h->u.ret_submit.error_count);
        break;
    case UIP_CMD_UNLINK:
        be32(p, h->u.unlink.seqnum);
        break;
    case UIP_RET_UNLINK:
        be32(p, (uint32_t)h->u.ret_unlink.status);
        break;
    }
    return UIP_HDR_SIZE;
}

static int check_length(int32_t v) { return v >= 0 && v <= UIP_MAX_TRANSFER; }
static int check_npackets(int32_t v) { return v == 0 || v == -1; }

static int decode_body(const uint8_t *p, struct uip_hdr *h, const char **why)
{
    switch (h->command) {
    case UIP_CMD_SUBMIT:
        h->u.submit.flags = rd32(p);
        h->u.submit.length = (int32_t)rd32(p + 4);
        h->u.submit.start_frame = (int32_t)rd32(p + 8);
        h->u.submit.n_packets = (int32_t)rd32(p + 12);
        h->u.submit.interval = (int32_t)rd32(p + 16);
        memcpy(h->u.submit.setup, p + 20, 8);
        if (!check_length(h->u.submit.length))
            return fail(why, "transfer length out of range");
        if (!check_npackets(h->u.submit.n_packets))
            return fail(why, "isochronous transfers are not supported");
        return 0;
    case UIP_RET_SUBMIT:
        h->u.ret_submit.status = (int32_t)rd32(p);
        h->u.ret_submit.actual_length = (int32_t)rd32(p + 4);
        h->u.ret_submit.start_frame = (int32_t)rd32(p + 8);
        h->u.ret_submit.n_packets = (int32_t)rd32(p + 12);
        h->u.ret_submit.error_count = (int32_t)rd32(p + 16);
        if (!check_length(h->u.ret_submit.actual_length))
            return fail(why, "actual length out of range");
        if (!check_npackets(h->u.ret_submit.n_packets))
            return fail(why, "isochronous transfers are not supported");
        if (h->u.ret_submit.status > 0 || h->u.ret_submit.status < -4095)
            return fail(why, "status is not 0 or a negative errno");
        return 0;
    case UIP_CMD_UNLINK:
        h->u.unlink.seqnum = rd32(p);
        return 0;
    case UIP_RET_UNLINK:
        h->u.ret_unlink.status = (int32_t)rd32(p);
        if (h->u.ret_unlink.status > 0 || h->u.ret_unlink.status < -4095)
            return fail(why, "status is not 0 or a negative errno");
        return 0;
    }
    return fail(why, "unknown command");
}

int uip_hdr_decode(const uint8_t *b, size_t len, struct uip_hdr *h, const char **why)
{
    *why = "";
    if (len >= 4 && len < UIP_HDR_SIZE && (rd32(b) < UIP_CMD_SUBMIT || rd32(b) > UIP_RET_UNLINK))
        return fail(why, "unknown command"); /* no need to wait for the rest */
    if (len < UIP_HDR_SIZE)
        return 0;
    memset(h, 0, sizeof *h);
    h->command = rd32(b);
    h->seqnum = rd32(b + 4);
    h->devid = rd32(b + 8);
    h->direction = rd32(b + 12);
    h->ep = rd32(b + 16);
    if (h->command < UIP_CMD_SUBMIT || h->command > UIP_RET_UNLINK)
        return fail(why, "unknown command");
    if (h->direction > UIP_DIR_IN)
        return fail(why, "bad direction");
    if (h->ep > 15)
        return fail(why, "bad endpoint number");
    if (decode_body(b + 20, h, why) != 0)
        return -1;
    return UIP_HDR_SIZE;
}

size_t uip_payload_len(const struct uip_hdr *h, int ret_is_in)
{
    if (h->command == UIP_CMD_SUBMIT && h->direction == UIP_DIR_OUT)
        return (size_t)h->u.submit.length;
    if (h->command == UIP_RET_SUBMIT && ret_is_in)
        return (size_t)h->u.ret_submit.actual_length;
    return 0;
}

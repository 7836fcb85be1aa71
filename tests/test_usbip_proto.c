/* Tests of sim/usbip_proto against byte sequences written by hand from the protocol document. */
#include <errno.h>
#include <string.h>

#include "sim/usbip_proto.h"
#include "tests/cu.h"

static void test_op_devlist_request(void)
{
    const uint8_t wire[8] = {0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0};
    struct uip_op op;
    const char *why;
    CU_ASSERT_EQUAL(uip_op_decode(wire, 7, &op, &why), 0); /* needs more */
    CU_ASSERT_EQUAL(uip_op_decode(wire, 8, &op, &why), 8);
    CU_ASSERT_EQUAL(op.version, 0x0111);
    CU_ASSERT_EQUAL(op.code, UIP_OP_REQ_DEVLIST);
    uint8_t b[8];
    CU_ASSERT_EQUAL(uip_op_encode(b, &op), 8);
    CU_ASSERT_EQUAL(memcmp(b, wire, 8), 0);
}

static void test_op_rejects(void)
{
    struct uip_op op;
    const char *why;
    const uint8_t old_version[8] = {0x01, 0x06, 0x80, 0x05, 0, 0, 0, 0};
    const uint8_t bad_code[8] = {0x01, 0x11, 0x80, 0x07, 0, 0, 0, 0};
    const uint8_t bad_status[8] = {0x01, 0x11, 0x00, 0x03, 0, 0, 0, 9};
    CU_ASSERT_EQUAL(uip_op_decode(old_version, 8, &op, &why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "version"));
    CU_ASSERT_EQUAL(uip_op_decode(bad_code, 8, &op, &why), -1);
    CU_ASSERT_EQUAL(uip_op_decode(bad_status, 8, &op, &why), -1);
}

static void test_import_request(void)
{
    uint8_t wire[40] = {0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, '1', '-', '1'};
    uint8_t b[40];
    CU_ASSERT_EQUAL(uip_req_import_encode(b, "1-1"), 40);
    CU_ASSERT_EQUAL(memcmp(b, wire, 40), 0);
    char busid[UIP_BUSID_SIZE];
    const char *why;
    CU_ASSERT_EQUAL(uip_req_import_decode(wire, 39, busid, &why), 0);
    CU_ASSERT_EQUAL(uip_req_import_decode(wire, 40, busid, &why), 40);
    CU_ASSERT_STRING_EQUAL(busid, "1-1");
    memset(wire + 8, 'x', 32); /* no NUL inside the field */
    CU_ASSERT_EQUAL(uip_req_import_decode(wire, 40, busid, &why), -1);
    wire[3] = 0x05; /* a devlist request is not an import */
    CU_ASSERT_EQUAL(uip_req_import_decode(wire, 40, busid, &why), -1);
}

static struct uip_device sample_device(void)
{
    struct uip_device d;
    memset(&d, 0, sizeof d);
    strcpy(d.path, "/sys/devices/x/1-1");
    strcpy(d.busid, "1-1");
    d.busnum = 1;
    d.devnum = 2;
    d.speed = UIP_SPEED_HIGH;
    d.vid = 0x1209;
    d.pid = 0x0001;
    d.bcd_device = 0x0100;
    d.num_configs = 1;
    d.num_ifaces = 1;
    d.ifaces[0] = (struct uip_iface){0xFF, 0, 0};
    return d;
}

static void test_import_reply(void)
{
    struct uip_device d = sample_device(), e;
    uint8_t b[UIP_REP_IMPORT_SIZE];
    CU_ASSERT_EQUAL(uip_rep_import_encode(b, 0, &d), 320);
    const uint8_t head[8] = {0x01, 0x11, 0x00, 0x03, 0, 0, 0, 0};
    CU_ASSERT_EQUAL(memcmp(b, head, 8), 0);
    const uint8_t tail[24] = {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x12, 0x09, 0x00, 0x01,
                              0x01, 0x00, 0, 0, 0, 0, 1, 1};
    CU_ASSERT_EQUAL(memcmp(b + 8 + 288, tail, 24), 0);
    CU_ASSERT_STRING_EQUAL((char *)b + 8 + 256, "1-1");
    uint32_t st;
    const char *why;
    CU_ASSERT_EQUAL(uip_rep_import_decode(b, 319, &st, &e, &why), 0);
    CU_ASSERT_EQUAL(uip_rep_import_decode(b, 320, &st, &e, &why), 320);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_EQUAL(e.vid, 0x1209);
    CU_ASSERT_EQUAL(e.devnum, 2);
    CU_ASSERT_STRING_EQUAL(e.path, d.path);
    CU_ASSERT_EQUAL(uip_rep_import_encode(b, UIP_ST_NA, &d), 8); /* refusal: header only */
    CU_ASSERT_EQUAL(uip_rep_import_decode(b, 8, &st, &e, &why), 8);
    CU_ASSERT_EQUAL(st, UIP_ST_NA);
}

static void test_devlist_reply(void)
{
    struct uip_device d[2] = {sample_device(), sample_device()}, e[2];
    strcpy(d[1].busid, "1-2");
    d[1].num_ifaces = 2;
    d[1].ifaces[1] = (struct uip_iface){3, 1, 2};
    size_t size = uip_rep_devlist_size(d, 2);
    CU_ASSERT_EQUAL(size, 8 + 4 + 312 + 4 + 312 + 8);
    uint8_t b[1024];
    CU_ASSERT_EQUAL(uip_rep_devlist_encode(b, d, 2), size);
    size_t n;
    const char *why;
    CU_ASSERT_EQUAL(uip_rep_devlist_decode(b, size - 1, e, 2, &n, &why), 0);
    CU_ASSERT_EQUAL(uip_rep_devlist_decode(b, size, e, 2, &n, &why), (int)size);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_STRING_EQUAL(e[1].busid, "1-2");
    CU_ASSERT_EQUAL(e[1].ifaces[1].cls, 3);
    CU_ASSERT_EQUAL(e[1].ifaces[1].protocol, 2);
    CU_ASSERT_EQUAL(uip_rep_devlist_decode(b, size, e, 1, &n, &why), -1); /* too many */
    b[8 + 4 + 311] = 200; /* num_ifaces out of range */
    CU_ASSERT_EQUAL(uip_rep_devlist_decode(b, size, e, 2, &n, &why), -1);
}

static void test_cmd_submit(void)
{
    /* IN interrupt request: seq 5, devid 0x00010002, ep 1, 112 bytes. */
    const uint8_t wire[48] = {0, 0, 0, 1, 0, 0, 0, 5, 0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1,
                              0, 0, 0, 0, 0, 0, 0, 112, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8,
                              0, 0, 0, 0, 0, 0, 0, 0};
    struct uip_hdr h;
    const char *why;
    CU_ASSERT_EQUAL(uip_hdr_decode(wire, 47, &h, &why), 0);
    CU_ASSERT_EQUAL(uip_hdr_decode(wire, 48, &h, &why), 48);
    CU_ASSERT_EQUAL(h.command, UIP_CMD_SUBMIT);
    CU_ASSERT_EQUAL(h.seqnum, 5);
    CU_ASSERT_EQUAL(h.devid, 0x00010002);
    CU_ASSERT_EQUAL(h.direction, UIP_DIR_IN);
    CU_ASSERT_EQUAL(h.ep, 1);
    CU_ASSERT_EQUAL(h.u.submit.length, 112);
    CU_ASSERT_EQUAL(h.u.submit.interval, 8);
    CU_ASSERT_EQUAL(uip_payload_len(&h, 0), 0); /* IN: nothing follows */
    uint8_t b[48];
    uip_hdr_encode(b, &h);
    CU_ASSERT_EQUAL(memcmp(b, wire, 48), 0);
}

static void test_control_submit(void)
{
    /* GET_DESCRIPTOR(device, 18) on ep 0 with its setup packet. */
    struct uip_hdr h = {.command = UIP_CMD_SUBMIT, .seqnum = 1, .devid = 0x10002,
                        .direction = UIP_DIR_IN, .ep = 0};
    h.u.submit.length = 18;
    const uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    memcpy(h.u.submit.setup, setup, 8);
    uint8_t b[48], again[48];
    uip_hdr_encode(b, &h);
    CU_ASSERT_EQUAL(memcmp(b + 40, setup, 8), 0);
    struct uip_hdr d;
    const char *why;
    CU_ASSERT_EQUAL(uip_hdr_decode(b, 48, &d, &why), 48);
    uip_hdr_encode(again, &d);
    CU_ASSERT_EQUAL(memcmp(b, again, 48), 0);
    h.direction = UIP_DIR_OUT; /* OUT data follows the header */
    h.u.submit.length = 4;
    uip_hdr_encode(b, &h);
    uip_hdr_decode(b, 48, &d, &why);
    CU_ASSERT_EQUAL(uip_payload_len(&d, 0), 4);
}

static void test_ret_submit_stall_and_short(void)
{
    const uint8_t stall[48] = {0, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                               0xff, 0xff, 0xff, 0xe0}; /* status -EPIPE (-32) */
    struct uip_hdr h;
    const char *why;
    CU_ASSERT_EQUAL(uip_hdr_decode(stall, 48, &h, &why), 48);
    CU_ASSERT_EQUAL(h.command, UIP_RET_SUBMIT);
    CU_ASSERT_EQUAL(h.u.ret_submit.status, -EPIPE);
    CU_ASSERT_EQUAL(uip_payload_len(&h, 1), 0);
    uint8_t shortp[48] = {0, 0, 0, 3, 0, 0, 0, 10};
    shortp[27] = 40; /* actual_length 40: a short packet of a 112-byte request */
    CU_ASSERT_EQUAL(uip_hdr_decode(shortp, 48, &h, &why), 48);
    CU_ASSERT_EQUAL(h.u.ret_submit.actual_length, 40);
    CU_ASSERT_EQUAL(uip_payload_len(&h, 1), 40);
    CU_ASSERT_EQUAL(uip_payload_len(&h, 0), 0);
}

static void test_unlink(void)
{
    const uint8_t cmd[48] = {0, 0, 0, 2, 0, 0, 0, 12, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
                             0, 0, 0, 7};
    struct uip_hdr h;
    const char *why;
    CU_ASSERT_EQUAL(uip_hdr_decode(cmd, 48, &h, &why), 48);
    CU_ASSERT_EQUAL(h.command, UIP_CMD_UNLINK);
    CU_ASSERT_EQUAL(h.u.unlink.seqnum, 7);
    struct uip_hdr r = {.command = UIP_RET_UNLINK, .seqnum = 12};
    r.u.ret_unlink.status = -ECONNRESET;
    uint8_t b[48];
    uip_hdr_encode(b, &r);
    const uint8_t want[24] = {0, 0, 0, 4, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              0xff, 0xff, 0xff, 0x98}; /* -104 */
    CU_ASSERT_EQUAL(memcmp(b, want, 24), 0);
    for (int i = 24; i < 48; i++)
        CU_ASSERT_EQUAL(b[i], 0);
}

/* One valid submit header, then each field broken in turn. */
static void test_header_rejects(void)
{
    struct uip_hdr h = {.command = UIP_CMD_SUBMIT, .seqnum = 1, .devid = 0x10002,
                        .direction = UIP_DIR_IN, .ep = 1};
    h.u.submit.length = 112;
    uint8_t good[48], b[48];
    uip_hdr_encode(good, &h);
    struct uip_hdr d;
    const char *why;
    CU_ASSERT_EQUAL(uip_hdr_decode(good, 48, &d, &why), 48);
    struct { int off; uint8_t val; const char *what; } cases[] = {
        {3, 0, "unknown command"},             /* command 0 */
        {3, 5, "unknown command"},             /* command 5 */
        {0, 0x80, "unknown command"},          /* huge command */
        {15, 2, "bad direction"},
        {19, 16, "bad endpoint number"},
        {24, 0x80, "transfer length out of range"}, /* negative */
        {25, 0x01, "transfer length out of range"}, /* 65536 + 112 */
        {35, 1, "isochronous"},                  /* 1 iso packet */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(b, good, 48);
        b[cases[i].off] = cases[i].val;
        CU_ASSERT_EQUAL(uip_hdr_decode(b, 48, &d, &why), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, cases[i].what));
    }
    memcpy(b, good, 48);
    memset(b + 32, 0xff, 4); /* number_of_packets = -1: the non-iso marker, accepted */
    CU_ASSERT_EQUAL(uip_hdr_decode(b, 48, &d, &why), 48);
    struct uip_hdr r = {.command = UIP_RET_SUBMIT, .seqnum = 1};
    r.u.ret_submit.status = 5; /* positive status is never sent */
    uip_hdr_encode(b, &r);
    CU_ASSERT_EQUAL(uip_hdr_decode(b, 48, &d, &why), -1);
    r.u.ret_submit.status = 0;
    r.u.ret_submit.actual_length = UIP_MAX_TRANSFER + 1;
    uip_hdr_encode(b, &r);
    CU_ASSERT_EQUAL(uip_hdr_decode(b, 48, &d, &why), -1);
}

static CU_TestInfo tests[] = {
    {"OP_REQ_DEVLIST bytes", test_op_devlist_request},
    {"op header rejects", test_op_rejects},
    {"OP_REQ_IMPORT bytes", test_import_request},
    {"OP_REP_IMPORT bytes and refusal", test_import_reply},
    {"OP_REP_DEVLIST round trip", test_devlist_reply},
    {"CMD_SUBMIT bytes", test_cmd_submit},
    {"control submit round trip", test_control_submit},
    {"RET_SUBMIT stall and short packet", test_ret_submit_stall_and_short},
    {"CMD_UNLINK / RET_UNLINK bytes", test_unlink},
    {"malformed headers rejected", test_header_rejects},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("usbip_proto", tests); }

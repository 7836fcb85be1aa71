/* Tests of sim/usb_device with a device of the scenario's own: the HID example's descriptor bytes,
 * strings, the control table (order, wValue/wIndex matching, truncation to wLength, stall, OUT
 * data), SET_INTERFACE to listed alternate settings, full speed, start/stop actions gating the
 * stream; the other IN endpoints (their own streams, replayed packets, replies to OUT data) and
 * the OUT log, on a fake clock; and over USB/IP (the server's connection state machine, driven
 * with the protocol codec the client uses): the device record and every descriptor equal to the
 * model's, byte for byte, and requests on the other endpoints completed as the model says. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/packet.h"
#include "sim/rng.h"
#include "sim/schedule.h"
#include "sim/usb_device.h"
#include "sim/usbip_proto.h"
#include "sim/usbip_server.h"
#include "tests/cu.h"

#define MS 1000000LL

static struct scn_scenario sc;

static struct usbdev *make_file(const char *path)
{
    char err[SCN_ERR_MAX];
    if (scn_load(path, &sc, err) != 0) {
        fprintf(stderr, "scenario: %s\n", err);
        return NULL;
    }
    struct usbdev *u = usbdev_new(&sc, err);
    if (!u)
        fprintf(stderr, "usbdev_new: %s\n", err);
    return u;
}

static struct usbdev *make(const char *yaml)
{
    char err[SCN_ERR_MAX];
    if (scn_parse("test", yaml, strlen(yaml), &sc, err) != 0) {
        fprintf(stderr, "scenario: %s\n", err);
        return NULL;
    }
    return usbdev_new(&sc, err);
}

static enum usbdev_ctrl ctrl(struct usbdev *u, int64_t now, uint8_t rt, uint8_t req, uint16_t val,
                             uint16_t idx, uint16_t len, uint8_t *buf, size_t *got)
{
    uint8_t s[8] = {rt, req, (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)idx, (uint8_t)(idx >> 8),
                    (uint8_t)len, (uint8_t)(len >> 8)};
    return usbdev_control_data(u, now, s, NULL, (rt & 0x80) ? 0 : len, buf, 4096, got);
}

static const uint8_t hid_dev[18] = {0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x09,
                                    0x12, 0x01, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01};
static const uint8_t hid_cfg[34] = {
    0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32,       /* configuration */
    0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x04,       /* interface 0: HID boot keyboard */
    0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00,       /* HID descriptor */
    0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x07};                  /* 0x81 interrupt, 8 B, 8 ms */

static void test_hid_descriptors(void)
{
    struct usbdev *u = make_file("scenarios/hid-keyboard.yaml");
    CU_ASSERT_FATAL(u != NULL);
    uint8_t b[4096];
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 1, 0, b, sizeof b), 18);
    CU_ASSERT(memcmp(b, hid_dev, 18) == 0);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 2, 0, b, sizeof b), (int)sizeof hid_cfg);
    CU_ASSERT(memcmp(b, hid_cfg, sizeof hid_cfg) == 0);
    static const uint8_t kbd[] = {18, 3, 'K', 0, 'e', 0, 'y', 0, 'b', 0, 'o', 0, 'a', 0, 'r', 0,
                                  'd', 0};
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 4, b, sizeof b), (int)sizeof kbd);
    CU_ASSERT(memcmp(b, kbd, sizeof kbd) == 0);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 2, b, sizeof b), 2 + 2 * 19); /* "usbsim HID keyboard" */
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 5, b, sizeof b), -1);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 6, 0, b, sizeof b), 10); /* qualifier: high speed */
    /* The report descriptor through the control table, whole and cut to wLength. */
    size_t n;
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x81, 6, 0x2200, 0, 0xff, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(n, 0x3f);
    CU_ASSERT(memcmp(b, scn_bytes_of(&sc, &sc.device.control[0].reply), n) == 0);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x81, 6, 0x2200, 0, 10, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(n, 10);
    /* wIndex is given in the entry: interface 1 is not it; that request is a standard
     * GET_DESCRIPTOR to an interface, which stalls. */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x81, 6, 0x2200, 1, 0xff, b, &n), USBDEV_CTRL_STALL);
    /* SET_IDLE (no wValue in the entry: any) is accepted */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x21, 0x0a, 0x0400, 0, 0, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(n, 0);
    /* a class request not in the table stalls, as today */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0xa1, 0x01, 0x0100, 0, 8, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(usbdev_stats(u)->ctrl_table, 3);
    CU_ASSERT_EQUAL(usbdev_stream_ep(u), 0x81);
    CU_ASSERT_EQUAL(usbdev_ep_kind(u, 0x81), USBDEV_EPK_STREAM);
    CU_ASSERT_EQUAL(usbdev_ep_kind(u, 0x82), USBDEV_EPK_NONE);
    usbdev_free(u);
}

#define DEV "name: t\nduration_ms: 100\ndevice:\n  packet_size: 64\n  period_us: 10000\n"
#define IFACES                                                                                 \
    "  interfaces:\n"                                                                          \
    "    - {number: 0, class: 0xff}\n"                                                         \
    "    - number: 0\n      alt: 1\n      class: 0xff\n      name: \"alt one\"\n"               \
    "      endpoints:\n        - {address: 0x81, type: bulk, max_packet: 512}\n"              \
    "        - {address: 0x02, type: bulk, max_packet: 512}\n"                                \
    "        - {address: 0x83, type: interrupt, max_packet: 8, interval: 4}\n"

static void test_table_order_and_kinds(void)
{
    struct usbdev *u = make(DEV IFACES
                            "  control:\n"
                            "    - {request_type: 0xc0, request: 1, value: 7, reply: \"aa\"}\n"
                            "    - {request_type: 0xc0, request: 1, reply: \"bb bb\"}\n"
                            "    - {request_type: 0xc0, request: 1, reply: \"cc\"}\n"
                            "    - {request_type: 0xc0, request: 2, index: 5, stall: true}\n"
                            "    - {request_type: 0xc0, request: 2, reply: \"01 02 03 04\"}\n"
                            "    - {request_type: 0x41, request: 3, reply: \"\"}\n"
                            "    - {request_type: 0x80, request: 6, value: 0x0100, "
                            "reply: \"12 01\"}\n");
    CU_ASSERT_FATAL(u != NULL);
    uint8_t b[4096];
    size_t n;
    CU_ASSERT_EQUAL(ctrl(u, 0, 0xc0, 1, 7, 0, 8, b, &n), USBDEV_CTRL_OK); /* the first that matches */
    CU_ASSERT(n == 1 && b[0] == 0xaa);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0xc0, 1, 8, 0, 8, b, &n), USBDEV_CTRL_OK); /* then the next */
    CU_ASSERT(n == 2 && b[0] == 0xbb);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0xc0, 1, 8, 0, 1, b, &n), USBDEV_CTRL_OK); /* cut to wLength */
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0xc0, 2, 0, 5, 8, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0xc0, 2, 0, 4, 8, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(n, 4);
    /* an OUT request with a data stage: accepted by its entry, its bytes counted */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x41, 3, 0, 0, 6, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(usbdev_stats(u)->out_bytes, 6);
    /* with a data stage and no entry: stall, as today */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x40, 3, 0, 0, 6, b, &n), USBDEV_CTRL_STALL);
    /* the table comes before the standard requests */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x80, 6, 0x0100, 0, 18, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT(n == 2 && b[0] == 0x12 && b[1] == 0x01);
    /* unknown: stall */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0xc0, 9, 0, 0, 8, b, &n), USBDEV_CTRL_STALL);
    /* the configuration: both alternate settings, endpoints, the interface's string */
    int len = usbdev_descriptor(u, 2, 0, b, sizeof b);
    CU_ASSERT_EQUAL(len, 9 + 9 + 9 + 7 + 7 + 7);
    CU_ASSERT_EQUAL(b[4], 1); /* one interface number */
    CU_ASSERT(b[18 + 3] == 1 && b[18 + 4] == 3 && b[18 + 8] == 4); /* alt 1, 3 endpoints, string 4 */
    CU_ASSERT(b[27 + 2] == 0x81 && b[27 + 3] == 2 && b[27 + 4] == 0x00 && b[27 + 5] == 0x02);
    CU_ASSERT(b[41 + 2] == 0x83 && b[41 + 3] == 3 && b[41 + 6] == 4);
    /* SET_INTERFACE: listed alt settings only; GET_INTERFACE answers the current one */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x00, 9, 1, 0, 0, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x01, 11, 1, 0, 0, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x81, 10, 0, 0, 1, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT(n == 1 && b[0] == 1);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x01, 11, 2, 0, 0, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x01, 11, 0, 1, 0, b, &n), USBDEV_CTRL_STALL);
    /* endpoints: the stream's, an idle IN one, an OUT one */
    CU_ASSERT_EQUAL(usbdev_ep_kind(u, 0x83), USBDEV_EPK_IDLE_IN);
    CU_ASSERT_EQUAL(usbdev_ep_kind(u, 0x02), USBDEV_EPK_OUT);
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x82, 0, 0, 0x83, 2, b, &n), USBDEV_CTRL_OK); /* GET_STATUS */
    CU_ASSERT_EQUAL(ctrl(u, 0, 0x82, 0, 0, 0x84, 2, b, &n), USBDEV_CTRL_STALL);
    usbdev_free(u);
}

static void test_full_speed(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 100\ndevice:\n  speed: full\n  packet_size: 32\n"
                            "  period_us: 4000\n  manufacturer: \"\"\n  serial: \"x\"\n");
    CU_ASSERT_FATAL(u != NULL);
    uint8_t b[256];
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 6, 0, b, sizeof b), -1); /* no qualifier */
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 1, 0, b, sizeof b), 18);
    CU_ASSERT(b[14] == 0 && b[15] == 2 && b[16] == 3); /* "" manufacturer: index 0 */
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 1, b, sizeof b), -1);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 2, 0, b, sizeof b), 25);
    CU_ASSERT(b[18 + 4] == 32 && b[18 + 6] == 4); /* 32 B every 4 frames (ms) */
    CU_ASSERT(usbdev_full_speed(u));
    usbdev_free(u);
}

/* Reads the stream at t; seq, -1 NAK, -2 STALL. */
static long in_at(struct usbdev *u, int64_t t)
{
    uint8_t buf[PKT_MAX_SIZE];
    size_t len;
    enum usbdev_in r = usbdev_in_request(u, t, buf, sizeof buf, &len);
    if (r != USBDEV_IN_READY)
        return r == USBDEV_IN_NAK ? -1 : -2;
    struct pkt_fields f;
    return pkt_decode(buf, len, 64, sc.seed, sc.seed, &f) == PKT_OK ? (long)f.seq : -3;
}

static void test_start_stop(void)
{
    struct usbdev *u = make_file("scenarios/vendor-start.yaml"); /* 64 B every 10 ms, 3 s */
    CU_ASSERT_FATAL(u != NULL);
    uint8_t b[64];
    size_t n;
    int64_t t = 1000 * MS;
    CU_ASSERT_EQUAL(ctrl(u, t, 0x00, 9, 1, 0, 0, b, &n), USBDEV_CTRL_OK);
    for (int i = 0; i < 10; i++, t += 10 * MS) /* IN requests alone do not start it */
        CU_ASSERT_EQUAL(in_at(u, t), -1);
    CU_ASSERT_FALSE(usbdev_started(u));
    CU_ASSERT_EQUAL(ctrl(u, t, 0xc0, 3, 0, 0, 4, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, t, 0xc0, 2, 0, 0, 4, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT(n == 4 && b[0] == 0x55);
    CU_ASSERT_EQUAL(ctrl(u, t, 0x40, 1, 1, 0, 0, b, &n), USBDEV_CTRL_OK); /* START: t0 = t */
    CU_ASSERT(usbdev_started(u));
    CU_ASSERT_EQUAL(usbdev_end_time(u), t + 3000 * MS);
    CU_ASSERT_EQUAL(in_at(u, t), 0);
    CU_ASSERT_EQUAL(in_at(u, t + 10 * MS), 1);
    CU_ASSERT_EQUAL(ctrl(u, t + 12 * MS, 0x40, 1, 0, 0, 0, b, &n), USBDEV_CTRL_OK); /* STOP */
    CU_ASSERT_EQUAL(in_at(u, t + 60 * MS), -1); /* samples 2..6 were due while stopped */
    CU_ASSERT_EQUAL(usbdev_stats(u)->dropped[SCHED_DROP_STALL], 5);
    CU_ASSERT_EQUAL(ctrl(u, t + 61 * MS, 0x40, 1, 1, 0, 0, b, &n), USBDEV_CTRL_OK); /* START */
    CU_ASSERT_EQUAL(usbdev_end_time(u), t + 3000 * MS); /* t0 kept: the timeline goes on */
    CU_ASSERT_EQUAL(in_at(u, t + 70 * MS), 7);
    uint8_t drop = 0;
    CU_ASSERT_EQUAL(usbdev_fate_of(u, 3, &drop, NULL), USBDEV_FATE_DROPPED);
    CU_ASSERT_EQUAL(drop, SCHED_DROP_STALL);
    CU_ASSERT_EQUAL(usbdev_stats(u)->actions, 3);
    usbdev_free(u);
}

/* ---- the other IN endpoints, OUT answers ---- */

static void configure(struct usbdev *u, int64_t t)
{
    uint8_t b[8];
    size_t n;
    CU_ASSERT_EQUAL(ctrl(u, t, 0x00, 9, 1, 0, 0, b, &n), USBDEV_CTRL_OK);
}

/* An IN request on ep at t: the packet's length, or -1 NAK, -2 STALL, -3 OVERFLOW. */
static long in_ep(struct usbdev *u, uint8_t ep, int64_t t, uint8_t *buf, size_t cap)
{
    size_t len;
    enum usbdev_in r = usbdev_in_request_ep(u, ep, t, buf, cap, &len);
    return r == USBDEV_IN_READY ? (long)len : r == USBDEV_IN_NAK ? -1
           : r == USBDEV_IN_STALL ? -2 : -3;
}

#define RAW8 "name: t\nduration_ms: 200\ndevice:\n  framing: raw\n  packet_size: 8\n" \
             "  period_us: 10000\n"

static void test_secondary_stream(void)
{
    struct usbdev *u = make(RAW8 "  fifo_packets: 2\n  events:\n    - {at_ms: 100, disconnect_ms: 20}\n"
                            "  interfaces:\n    - number: 0\n      endpoints:\n"
                            "        - {address: 0x81, type: interrupt, max_packet: 8}\n"
                            "        - {address: 0x83, type: interrupt, max_packet: 8, stream: "
                            "{period_us: 20000, packet_size: 4}}\n"
                            "        - {address: 0x84, type: interrupt, max_packet: 8, stream: "
                            "{period_us: 20000, packet_size: 4, generator: random}}\n"
                            "        - {address: 0x85, type: interrupt, max_packet: 8, stream: "
                            "{period_us: 20000, packet_size: 4, generator: random}}\n");
    CU_ASSERT_FATAL(u != NULL);
    const int64_t T = 1000 * MS;
    uint8_t b[64], c[64], want[4];
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T, b, sizeof b), -2); /* unconfigured */
    configure(u, T);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T, b, sizeof b), -1); /* t0 is the stream's: not yet */
    CU_ASSERT_FALSE(usbdev_started(u));
    CU_ASSERT_EQUAL(in_ep(u, 0x81, T, b, sizeof b), 8);  /* starts the stream: t0 = T */
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T, b, sizeof b), 4);
    CU_ASSERT(memcmp(b, "\0\0\0\0", 4) == 0);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 19 * MS, b, sizeof b), -1);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 20 * MS, b, sizeof b), 4); /* seq 1 at t0 + 20 ms */
    CU_ASSERT(memcmp(b, "\1\0\0\0", 4) == 0);
    /* random: from the seed and the endpoint, so 0x84 and 0x85 differ */
    CU_ASSERT_EQUAL(in_ep(u, 0x84, T + 20 * MS, b, sizeof b), 4);
    CU_ASSERT_EQUAL(in_ep(u, 0x85, T + 20 * MS, c, sizeof c), 4);
    sched_gen_bytes(SCN_GEN_RANDOM, rng_derive(rng_derive(sc.seed, RNG_TAG_EP), 0x84), 0, NULL, 0,
                    want, 4);
    CU_ASSERT(memcmp(b, want, 4) == 0);
    CU_ASSERT(memcmp(b, c, 4) != 0);
    /* unread: seq 2 (40 ms) and 3 (60 ms) fill the FIFO of 2, seq 4 (80 ms) is dropped */
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 85 * MS, b, 2), -3); /* overflow: the packet stays */
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 85 * MS, b, sizeof b), 4);
    CU_ASSERT(memcmp(b, "\2\0\0\0", 4) == 0);
    const struct usbdev_ep_stats *st = usbdev_ep_stats(u, 0x83);
    CU_ASSERT_FATAL(st != NULL);
    CU_ASSERT_EQUAL(st->produced, 5);
    CU_ASSERT_EQUAL(st->dropped_fifo, 1);
    CU_ASSERT_EQUAL(st->in_fifo, 1); /* seq 3 */
    /* the disconnect at 100 ms: the FIFO's seq 3 and seq 5 (due at 100 ms) are lost */
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 110 * MS, b, sizeof b), -2);
    CU_ASSERT_EQUAL(st->dropped_disconnect, 2);
    CU_ASSERT_EQUAL(st->in_fifo, 0);
    /* back unconfigured at 120 ms; seq 6 (120 ms) waits for the host */
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 121 * MS, b, sizeof b), -2);
    configure(u, T + 121 * MS);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 121 * MS, b, sizeof b), 4);
    CU_ASSERT(memcmp(b, "\6\0\0\0", 4) == 0);
    /* unread again: seq 7 and 8 wait, seq 9 (180 ms, the last before the duration) dropped */
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 500 * MS, b, sizeof b), 4);
    CU_ASSERT(memcmp(b, "\7\0\0\0", 4) == 0);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 500 * MS, b, sizeof b), 4);
    CU_ASSERT(memcmp(b, "\x08\0\0\0", 4) == 0);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 500 * MS, b, sizeof b), -1);
    CU_ASSERT_EQUAL(st->produced, 10);
    CU_ASSERT_EQUAL(st->dropped_fifo, 2);
    CU_ASSERT_EQUAL(st->sent + st->dropped_fifo + st->dropped_disconnect + st->in_fifo,
                    st->produced);
    CU_ASSERT_PTR_NULL(usbdev_ep_stats(u, 0x81)); /* the stream endpoint's are usbdev_stats */
    CU_ASSERT_EQUAL(in_ep(u, 0x86, T + 500 * MS, b, sizeof b), -2); /* not an endpoint */
    usbdev_free(u);
}

/* The next deadline counts the other endpoints' samples too. */
static void test_secondary_deadline(void)
{
    struct usbdev *u = make(RAW8 "  interfaces:\n    - number: 0\n      endpoints:\n"
                            "        - {address: 0x81, type: interrupt, max_packet: 8}\n"
                            "        - {address: 0x82, type: bulk, max_packet: 512, stream: "
                            "{period_us: 3000, packet_size: 600, generator: pattern, pattern: "
                            "\"5a\"}}\n");
    CU_ASSERT_FATAL(u != NULL);
    uint8_t b[1024];
    configure(u, 0);
    CU_ASSERT_EQUAL(in_ep(u, 0x81, 0, b, sizeof b), 8);
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, 1 * MS), 3 * MS);
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, 3 * MS), 6 * MS);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, 3 * MS, b, sizeof b), 600); /* bulk: one transfer */
    CU_ASSERT(b[0] == 0x5a && b[599] == 0x5a);
    usbdev_free(u);
}

static void test_replay_endpoints(void)
{
    char dir[] = "/tmp/usbsim-test-XXXXXX", rec[64], yaml[1024];
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    cu_write_file(dir, "two.rec", "# usbsim recording 1\n0 0x81 01\n1000 0x82 aa\n2000 0x83 ff\n"
                  "3000 0x81 02\n5000 0x82 bbcc\n", rec, sizeof rec);
    snprintf(yaml, sizeof yaml, "name: t\nduration_ms: 20\ndevice:\n  packet_size: 8\n"
             "  period_us: 1000\n  replay: {file: %s, loop: true}\n  interfaces:\n"
             "    - number: 0\n      endpoints:\n"
             "        - {address: 0x81, type: interrupt, max_packet: 8}\n"
             "        - {address: 0x82, type: interrupt, max_packet: 8}\n"
             "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: "
             "10000, packet_size: 2}}\n", rec);
    struct usbdev *u = make(yaml);
    CU_ASSERT_FATAL(u != NULL);
    const int64_t T = 50 * MS;
    uint8_t b[64];
    configure(u, T);
    CU_ASSERT_EQUAL(in_ep(u, 0x81, T, b, sizeof b), 1);
    CU_ASSERT_EQUAL(b[0], 0x01);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + MS / 2, b, sizeof b), -1);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 1 * MS, b, sizeof b), 1); /* at its recorded time */
    CU_ASSERT_EQUAL(b[0], 0xaa);
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, T + 4 * MS), T + 5 * MS);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 4999 * MS / 1000, b, sizeof b), -1);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 5 * MS, b, sizeof b), 2);
    CU_ASSERT(b[0] == 0xbb && b[1] == 0xcc);
    /* loop: the stream's round is 6 ms (0 and 3 ms, one mean interval after): 7, 11, 13 ms */
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 7 * MS - 1, b, sizeof b), -1);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 7 * MS, b, sizeof b), 1);
    CU_ASSERT_EQUAL(b[0], 0xaa);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 11 * MS, b, sizeof b), 2);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 13 * MS, b, sizeof b), 1);
    /* its own stream wins over the recording's packets of 0x83 */
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 13 * MS, b, sizeof b), 2);
    CU_ASSERT(b[0] == 0 && b[1] == 0);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 13 * MS, b, sizeof b), 2);
    CU_ASSERT(b[0] == 1 && b[1] == 0);
    CU_ASSERT_EQUAL(in_ep(u, 0x83, T + 100 * MS, b, sizeof b), -1);
    /* 17 and 19 ms are before the 20 ms duration, 23 ms is not */
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 100 * MS, b, sizeof b), 2);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 100 * MS, b, sizeof b), 1);
    CU_ASSERT_EQUAL(in_ep(u, 0x82, T + 100 * MS, b, sizeof b), -1);
    CU_ASSERT_EQUAL(usbdev_ep_stats(u, 0x82)->produced, 7);
    CU_ASSERT_EQUAL(usbdev_ep_stats(u, 0x82)->sent, 7);
    usbdev_free(u);
    unlink(rec);
    rmdir(dir);
}

static void test_out_answers(void)
{
    struct usbdev *u = make(RAW8 "  start: on_request\n  interfaces:\n    - number: 0\n"
                            "      endpoints:\n"
                            "        - {address: 0x81, type: interrupt, max_packet: 8}\n"
                            "        - {address: 0x84, type: interrupt, max_packet: 8}\n"
                            "        - {address: 0x02, type: bulk, max_packet: 512, on_data: "
                            "{reply: \"06 07\", endpoint: 0x84}}\n"
                            "        - {address: 0x03, type: bulk, max_packet: 512, on_data: "
                            "{action: start}}\n");
    CU_ASSERT_FATAL(u != NULL);
    const int64_t T = 7 * MS;
    uint8_t b[128];
    configure(u, T);
    CU_ASSERT_EQUAL(in_ep(u, 0x81, T, b, sizeof b), -1); /* on_request */
    CU_ASSERT_EQUAL(in_ep(u, 0x84, T, b, sizeof b), -1);
    usbdev_out_transfer(u, T + 1 * MS, 0x02, (const uint8_t *)"hello", 5);
    CU_ASSERT_EQUAL(in_ep(u, 0x84, T + 1 * MS, b, sizeof b), 2); /* the reply, before t0 too */
    CU_ASSERT(b[0] == 6 && b[1] == 7);
    CU_ASSERT_EQUAL(in_ep(u, 0x84, T + 1 * MS, b, sizeof b), -1);
    CU_ASSERT_EQUAL(usbdev_ep_stats(u, 0x84)->replies, 1);
    CU_ASSERT_FALSE(usbdev_started(u));
    uint8_t big[100];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    usbdev_out_transfer(u, T + 2 * MS, 0x03, big, sizeof big); /* action: start */
    CU_ASSERT(usbdev_started(u));
    CU_ASSERT_EQUAL(usbdev_end_time(u), T + 2 * MS + 200 * MS);
    CU_ASSERT_EQUAL(in_ep(u, 0x81, T + 2 * MS, b, sizeof b), 8);
    CU_ASSERT_EQUAL(usbdev_stats(u)->actions, 1);
    CU_ASSERT_EQUAL(usbdev_stats(u)->out_transfers, 2);
    CU_ASSERT_EQUAL(usbdev_stats(u)->out_bytes, 105);
    usbdev_out_transfer(u, T + 3 * MS, 0x02, NULL, 0); /* a zero-length transfer answers too */
    CU_ASSERT_EQUAL(in_ep(u, 0x84, T + 3 * MS, b, 1), -3);
    CU_ASSERT_EQUAL(in_ep(u, 0x84, T + 3 * MS, b, sizeof b), 2);
    /* a transport's write the host never read: sent becomes dropped (end, or disconnect) */
    const struct usbdev_ep_stats *st = usbdev_ep_stats(u, 0x84);
    CU_ASSERT_EQUAL(st->sent, 2);
    usbdev_ep_lost_in_flight(u, 0x84, 0);
    usbdev_ep_lost_in_flight(u, 0x84, 1);
    usbdev_ep_lost_in_flight(u, 0x84, 1); /* nothing sent is left: nothing changes */
    usbdev_ep_lost_in_flight(u, 0x81, 1); /* the stream's are usbdev_lost_in_flight's */
    usbdev_ep_lost_in_flight(u, 0x02, 1);
    CU_ASSERT_EQUAL(st->sent, 0);
    CU_ASSERT_EQUAL(st->dropped_end, 1);
    CU_ASSERT_EQUAL(st->dropped_disconnect, 1);
    CU_ASSERT_EQUAL(st->sent + st->in_fifo + st->dropped_fifo + st->dropped_disconnect +
                    st->dropped_end, st->replies);
    CU_ASSERT_EQUAL(usbdev_stats(u)->sent, 1); /* the stream's one packet, untouched */
    /* the OUT log: every transfer, its first 64 bytes */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_EQUAL(usbdev_write_out_log(u, f), 0);
    fclose(f);
    char want[512];
    int n = snprintf(want, sizeof want, "t_ns,endpoint,len,bytes_hex\n%lld,0x02,5,68656c6c6f\n"
                     "%lld,0x03,100,", (long long)(T + 1 * MS), (long long)(T + 2 * MS));
    for (int i = 0; i < 64; i++)
        n += snprintf(want + n, sizeof want - (size_t)n, "%02x", i);
    snprintf(want + n, sizeof want - (size_t)n, "\n%lld,0x02,0,\n", (long long)(T + 3 * MS));
    CU_ASSERT_STRING_EQUAL(text, want);
    free(text);
    char path[64];
    usbdev_out_log_path("run/device.csv", path, sizeof path);
    CU_ASSERT_STRING_EQUAL(path, "run/device-out.csv");
    usbdev_out_log_path("dev.log", path, sizeof path);
    CU_ASSERT_STRING_EQUAL(path, "dev.log-out.csv");
    /* bounded: past USBDEV_OUT_LOG_MAX rows the transfers are counted, not logged */
    for (unsigned i = 3; i < USBDEV_OUT_LOG_MAX + 5; i++)
        usbdev_out_transfer(u, T + 4 * MS, 0x02, big, 1);
    CU_ASSERT_EQUAL(usbdev_stats(u)->out_log_dropped, 5);
    CU_ASSERT_EQUAL(usbdev_stats(u)->out_transfers, USBDEV_OUT_LOG_MAX + 5);
    CU_ASSERT_EQUAL(usbdev_ep_stats(u, 0x84)->dropped_fifo,
                    USBDEV_OUT_LOG_MAX + 2 - sc.device.fifo_packets); /* nobody read 0x84 */
    usbdev_free(u);
}

/* ---- over USB/IP ---- */

struct peer {
    struct usrv *s;
    struct usrv_conn *c;
    uint32_t seq;
};

static size_t take(struct peer *p, uint8_t *out, size_t cap)
{
    size_t n;
    const uint8_t *o = usrv_conn_output(p->c, &n);
    if (n > cap)
        n = cap;
    memcpy(out, o, n);
    usrv_conn_consume(p->c, n);
    return n;
}

/* A control IN request; returns the status, the data in buf (*len). */
static int32_t urb_ctrl_in(struct peer *p, const uint8_t setup[8], uint16_t wlen, uint8_t *buf,
                           size_t *len)
{
    struct uip_hdr h = {.command = UIP_CMD_SUBMIT, .seqnum = ++p->seq, .devid = 0x00010002u,
                        .direction = UIP_DIR_IN, .ep = 0};
    h.u.submit.length = wlen;
    memcpy(h.u.submit.setup, setup, 8);
    uint8_t b[UIP_HDR_SIZE];
    uip_hdr_encode(b, &h);
    if (usrv_conn_input(p->s, p->c, b, sizeof b, 0) < 0)
        return -1000;
    static uint8_t out[UIP_HDR_SIZE + 65536];
    size_t n = take(p, out, sizeof out);
    struct uip_hdr r;
    const char *why;
    if (n < UIP_HDR_SIZE || uip_hdr_decode(out, n, &r, &why) <= 0 || r.seqnum != h.seqnum)
        return -1001;
    *len = (size_t)r.u.ret_submit.actual_length;
    if (*len > n - UIP_HDR_SIZE)
        return -1002;
    memcpy(buf, out + UIP_HDR_SIZE, *len);
    return r.u.ret_submit.status;
}

static void test_usbip_descriptors(void)
{
    struct usbdev *u = make_file("scenarios/hid-keyboard.yaml");
    CU_ASSERT_FATAL(u != NULL);
    struct usrv_opts o = {.quiet = 1};
    int env;
    char err[USRV_ERR_MAX];
    struct peer p = {.s = usrv_new(u, &o, 0, &env, err)};
    CU_ASSERT_FATAL(p.s != NULL);
    p.c = usrv_conn_new(p.s, -1);
    CU_ASSERT_FATAL(p.c != NULL);
    uint8_t b[UIP_REP_IMPORT_SIZE + 64];
    size_t n = uip_req_import_encode(b, "1-1");
    CU_ASSERT_FATAL(usrv_conn_input(p.s, p.c, b, n, 0) >= 0);
    n = take(&p, b, sizeof b);
    uint32_t status = 99;
    struct uip_device d;
    const char *why = "";
    CU_ASSERT_FATAL(uip_rep_import_decode(b, n, &status, &d, &why) > 0);
    CU_ASSERT_EQUAL(status, 0);
    CU_ASSERT_EQUAL(d.speed, UIP_SPEED_HIGH);
    CU_ASSERT_EQUAL(d.vid, 0x1209);
    CU_ASSERT_EQUAL(d.bcd_device, 0x0100);
    CU_ASSERT_EQUAL(d.num_ifaces, 1);
    CU_ASSERT_EQUAL(d.dev_class, 0);
    /* every descriptor, as the host reads it, equals the model's and the scenario's */
    static uint8_t got[65536], want[4096];
    size_t len = 0;
    struct { uint8_t rt, type, index; uint16_t windex; } q[] = {
        {0x80, 1, 0, 0}, {0x80, 2, 0, 0}, {0x80, 3, 0, 0}, {0x80, 3, 1, 0x409}, {0x80, 3, 2, 0x409},
        {0x80, 3, 3, 0x409}, {0x80, 3, 4, 0x409}, {0x80, 6, 0, 0}};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        uint8_t s[8] = {q[i].rt, 6, q[i].index, q[i].type, (uint8_t)q[i].windex,
                        (uint8_t)(q[i].windex >> 8), 0xff, 0x00};
        int w = usbdev_descriptor(u, q[i].type, q[i].index, want, sizeof want);
        CU_ASSERT_EQUAL(urb_ctrl_in(&p, s, 0xff, got, &len), 0);
        CU_ASSERT_EQUAL(len, (size_t)w);
        CU_ASSERT(w > 0 && memcmp(got, want, (size_t)w) == 0);
    }
    uint8_t s[8] = {0x80, 6, 0, 2, 0, 0, 0xff, 0};
    CU_ASSERT_EQUAL(urb_ctrl_in(&p, s, 0xff, got, &len), 0);
    CU_ASSERT(len == sizeof hid_cfg && memcmp(got, hid_cfg, sizeof hid_cfg) == 0);
    uint8_t r[8] = {0x81, 6, 0x00, 0x22, 0, 0, 0xff, 0}; /* the HID report descriptor */
    CU_ASSERT_EQUAL(urb_ctrl_in(&p, r, 0xff, got, &len), 0);
    CU_ASSERT_EQUAL(len, 0x3f);
    CU_ASSERT(memcmp(got, scn_bytes_of(&sc, &sc.device.control[0].reply), len) == 0);
    uint8_t x[8] = {0xc0, 0x33, 0, 0, 0, 0, 4, 0}; /* not in the table: stall */
    CU_ASSERT_EQUAL(urb_ctrl_in(&p, x, 4, got, &len), -32);
    usrv_conn_free(p.s, p.c);
    usrv_free(p.s);
    usbdev_free(u);
}

/* Sends one URB header (plus OUT data) at now; returns what the server answered (0 bytes:
 * nothing). */
static size_t urb_at(struct peer *p, const struct uip_hdr *h, const uint8_t *out, size_t n,
                     uint8_t *reply, size_t cap, int64_t now)
{
    uint8_t b[UIP_HDR_SIZE + 64];
    uip_hdr_encode(b, h);
    if (n)
        memcpy(b + UIP_HDR_SIZE, out, n);
    if (usrv_conn_input(p->s, p->c, b, UIP_HDR_SIZE + n, now) < 0)
        return 0;
    return take(p, reply, cap);
}

static struct uip_hdr submit(uint32_t seqnum, int in, uint32_t ep, int32_t length)
{
    struct uip_hdr h = {.command = UIP_CMD_SUBMIT, .seqnum = seqnum, .devid = 0x00010002u,
                        .direction = in ? UIP_DIR_IN : UIP_DIR_OUT, .ep = ep};
    h.u.submit.length = length;
    return h;
}

/* The answer at *r (*n bytes left) to seqnum: its status; an IN answer's data (*len bytes) to
 * data. Moves past it. -1000 when it is not there. */
static int32_t answer(const uint8_t **r, size_t *n, uint32_t seqnum, int in, uint8_t *data,
                      size_t *len)
{
    struct uip_hdr a;
    const char *why;
    if (*n < UIP_HDR_SIZE || uip_hdr_decode(*r, *n, &a, &why) <= 0 ||
        a.command != UIP_RET_SUBMIT || a.seqnum != seqnum)
        return -1000;
    size_t d = in ? (size_t)a.u.ret_submit.actual_length : 0;
    if (*n < UIP_HDR_SIZE + d)
        return -1000;
    if (len)
        *len = (size_t)a.u.ret_submit.actual_length;
    if (data)
        memcpy(data, *r + UIP_HDR_SIZE, d);
    *r += UIP_HDR_SIZE + d;
    *n -= UIP_HDR_SIZE + d;
    return a.u.ret_submit.status;
}

static void test_usbip_other_endpoints(void)
{
    struct usbdev *u = make(DEV "  interfaces:\n    - number: 0\n      endpoints:\n"
                            "        - {address: 0x81, type: bulk, max_packet: 512}\n"
                            "        - {address: 0x02, type: bulk, max_packet: 512, on_data: "
                            "{reply: \"aa bb\", endpoint: 0x84}}\n"
                            "        - {address: 0x83, type: interrupt, max_packet: 8, interval: 4, "
                            "stream: {period_us: 20000, packet_size: 4}}\n"
                            "        - {address: 0x84, type: interrupt, max_packet: 8}\n");
    CU_ASSERT_FATAL(u != NULL);
    struct usrv_opts o = {.quiet = 1};
    int env;
    char err[USRV_ERR_MAX];
    struct peer p = {.s = usrv_new(u, &o, 0, &env, err)};
    CU_ASSERT_FATAL(p.s != NULL);
    p.c = usrv_conn_new(p.s, -1);
    static uint8_t b[UIP_REP_IMPORT_SIZE + 64], r[4096], d[512];
    size_t n = uip_req_import_encode(b, "1-1"), len = 0;
    const uint8_t *q;
    CU_ASSERT_FATAL(usrv_conn_input(p.s, p.c, b, n, 0) >= 0);
    n = take(&p, b, sizeof b);
    uint32_t status = 99;
    struct uip_device dv;
    const char *why = "";
    CU_ASSERT_FATAL(uip_rep_import_decode(b, n, &status, &dv, &why) > 0);
    CU_ASSERT_EQUAL(dv.dev_class, 0);
    /* before SET_CONFIGURATION another IN endpoint stalls, as the stream's does */
    struct uip_hdr h = submit(5, 1, 3, 8);
    q = r, n = urb_at(&p, &h, NULL, 0, r, sizeof r, 0);
    CU_ASSERT_EQUAL(answer(&q, &n, 5, 1, d, &len), -32);
    h = submit(6, 0, 0, 0);
    h.u.submit.setup[1] = 9, h.u.submit.setup[2] = 1; /* SET_CONFIGURATION 1 */
    q = r, n = urb_at(&p, &h, NULL, 0, r, sizeof r, 0);
    CU_ASSERT_EQUAL(answer(&q, &n, 6, 0, NULL, NULL), 0);
    /* OUT data on 0x02: accepted at once, counted, logged; its reply waits on 0x84 */
    h = submit(10, 0, 2, 6);
    q = r, n = urb_at(&p, &h, (const uint8_t *)"usbsim", 6, r, sizeof r, 1 * MS);
    CU_ASSERT_EQUAL(answer(&q, &n, 10, 0, NULL, &len), 0);
    CU_ASSERT_EQUAL(len, 6);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(usbdev_stats(u)->out_bytes, 6);
    h = submit(11, 1, 4, 8);
    q = r, n = urb_at(&p, &h, NULL, 0, r, sizeof r, 1 * MS);
    CU_ASSERT_EQUAL(answer(&q, &n, 11, 1, d, &len), 0);
    CU_ASSERT(len == 2 && d[0] == 0xaa && d[1] == 0xbb);
    /* a request held on 0x84 completes when the next OUT transfer comes */
    h = submit(20, 1, 4, 8);
    CU_ASSERT_EQUAL(urb_at(&p, &h, NULL, 0, r, sizeof r, 1 * MS), 0);
    h = submit(21, 0, 2, 1);
    q = r, n = urb_at(&p, &h, (const uint8_t *)"x", 1, r, sizeof r, 1 * MS);
    CU_ASSERT_EQUAL(answer(&q, &n, 21, 0, NULL, NULL), 0);
    CU_ASSERT_EQUAL(answer(&q, &n, 20, 1, d, &len), 0);
    CU_ASSERT(len == 2 && d[0] == 0xaa);
    /* 0x83's own stream: held until the stream's t0, then a packet every 20 ms */
    h = submit(30, 1, 3, 8);
    CU_ASSERT_EQUAL(urb_at(&p, &h, NULL, 0, r, sizeof r, 2 * MS), 0);
    h = submit(31, 1, 1, 512);
    q = r, n = urb_at(&p, &h, NULL, 0, r, sizeof r, 2 * MS); /* t0 = 2 ms */
    CU_ASSERT_EQUAL(answer(&q, &n, 31, 1, d, &len), 0);
    CU_ASSERT_EQUAL(len, 64);
    usrv_conn_tick(p.s, p.c, 2 * MS);
    q = r, n = take(&p, r, sizeof r);
    CU_ASSERT_EQUAL(answer(&q, &n, 30, 1, d, &len), 0);
    CU_ASSERT(len == 4 && memcmp(d, "\0\0\0\0", 4) == 0);
    h = submit(32, 1, 3, 8);
    CU_ASSERT_EQUAL(urb_at(&p, &h, NULL, 0, r, sizeof r, 3 * MS), 0);
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, 21 * MS), 22 * MS);
    usrv_conn_tick(p.s, p.c, 21 * MS);
    CU_ASSERT_EQUAL(take(&p, r, sizeof r), 0);
    usrv_conn_tick(p.s, p.c, 22 * MS);
    q = r, n = take(&p, r, sizeof r);
    CU_ASSERT_EQUAL(answer(&q, &n, 32, 1, d, &len), 0);
    CU_ASSERT(len == 4 && memcmp(d, "\1\0\0\0", 4) == 0);
    /* a held request's unlink answers -ECONNRESET; the packet then waits for the next one */
    h = submit(33, 1, 3, 8);
    CU_ASSERT_EQUAL(urb_at(&p, &h, NULL, 0, r, sizeof r, 23 * MS), 0);
    h = (struct uip_hdr){.command = UIP_CMD_UNLINK, .seqnum = 34, .devid = 0x00010002u};
    h.u.unlink.seqnum = 33;
    n = urb_at(&p, &h, NULL, 0, r, sizeof r, 23 * MS);
    struct uip_hdr a;
    CU_ASSERT_FATAL(n == UIP_HDR_SIZE && uip_hdr_decode(r, n, &a, &why) > 0);
    CU_ASSERT_EQUAL(a.command, UIP_RET_UNLINK);
    CU_ASSERT_EQUAL(a.u.ret_unlink.status, -104); /* -ECONNRESET */
    usrv_conn_tick(p.s, p.c, 45 * MS);
    CU_ASSERT_EQUAL(take(&p, r, sizeof r), 0);
    h = submit(35, 1, 3, 8);
    q = r, n = urb_at(&p, &h, NULL, 0, r, sizeof r, 45 * MS);
    CU_ASSERT_EQUAL(answer(&q, &n, 35, 1, d, &len), 0);
    CU_ASSERT(len == 4 && d[0] == 2);
    /* an endpoint the configuration does not have: the peer is dropped */
    h = submit(36, 1, 5, 8);
    uint8_t hb[UIP_HDR_SIZE];
    uip_hdr_encode(hb, &h);
    CU_ASSERT_EQUAL(usrv_conn_input(p.s, p.c, hb, sizeof hb, 0), -1);
    CU_ASSERT_STRING_EQUAL(usrv_conn_reason(p.c), "no such endpoint");
    usrv_conn_free(p.s, p.c);
    usrv_free(p.s);
    usbdev_free(u);
}

/* A captured device's string indexes: explicit ones kept, the rest from 4 up, one shared. */
static void test_string_indexes(void)
{
    struct usbdev *u = make("name: s\nduration_ms: 100\ndevice:\n  manufacturer: \"M\"\n"
                            "  product: \"P\"\n  product_index: 9\n  serial: \"\"\n"
                            "  config: {name: \"C\"}\n  interfaces:\n"
                            "    - {number: 0, name: \"I\", endpoints: [{address: 0x81, type: "
                            "bulk, max_packet: 512}]}\n"
                            "    - {number: 1, name: \"P\", name_index: 9}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    uint8_t b[512];
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 1, 0, b, sizeof b), 18);
    CU_ASSERT_EQUAL(b[14], 1); /* iManufacturer */
    CU_ASSERT_EQUAL(b[15], 9); /* iProduct, as given */
    CU_ASSERT_EQUAL(b[16], 0); /* no serial */
    int n = usbdev_descriptor(u, 2, 0, b, sizeof b);
    CU_ASSERT_EQUAL(n, 9 + 9 + 7 + 9);
    CU_ASSERT_EQUAL(b[6], 4);      /* iConfiguration: the first free from 4 */
    CU_ASSERT_EQUAL(b[9 + 8], 5);  /* interface 0's name next */
    CU_ASSERT_EQUAL(b[25 + 8], 9); /* interface 1 shares the product's string */
    const struct { uint8_t index; char text; } want[] = {{1, 'M'}, {9, 'P'}, {4, 'C'}, {5, 'I'}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, want[i].index, b, sizeof b), 4);
        CU_ASSERT_EQUAL(b[2], want[i].text);
    }
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 2, b, sizeof b), -1);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 3, b, sizeof b), -1);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 0, b, sizeof b), 4); /* the language list */
    usbdev_free(u);
}

static CU_TestInfo tests[] = {
    {"string indexes: given, assigned from 4, shared by equal texts", test_string_indexes},
    {"the HID example: descriptor bytes, strings, report descriptor", test_hid_descriptors},
    {"control table: order, matching, truncation, stall, OUT data; alt settings",
     test_table_order_and_kinds},
    {"full speed: no qualifier, frames, a string left out", test_full_speed},
    {"start and stop actions gate the stream", test_start_stop},
    {"another IN endpoint's stream: bytes, times, FIFO drop, disconnect", test_secondary_stream},
    {"another IN endpoint's samples are deadlines; bulk packets of one transfer",
     test_secondary_deadline},
    {"replay: each endpoint its packets at its times, looped; stream wins", test_replay_endpoints},
    {"OUT transfers: a reply on an IN endpoint, an action, the OUT log", test_out_answers},
    {"over USB/IP: the device record and every descriptor, byte for byte", test_usbip_descriptors},
    {"over USB/IP: OUT data answered on an IN endpoint, another endpoint's stream, unlink",
     test_usbip_other_endpoints},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("usb_device_own", tests); }

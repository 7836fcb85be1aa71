/* Tests of sim/usb_device: descriptor bytes, standard requests, and the runtime (FIFO, halt,
 * disconnect, corruption, log) driven by a fake clock; framing raw: a generator's and a
 * recording's bytes and lengths, a corrupt packet's bytes changed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/packet.h"
#include "sim/usb_device.h"
#include "tests/cu.h"

#define MS 1000000LL
#define T0 (5000 * MS) /* the fake clock's reading at the first IN request */

static struct usbdev *make(const char *yaml)
{
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    if (scn_parse("test", yaml, strlen(yaml), &sc, err) != 0) {
        fprintf(stderr, "scenario: %s\n", err);
        return NULL;
    }
    struct usbdev *u = usbdev_new(&sc, err);
    if (!u)
        fprintf(stderr, "usbdev_new: %s\n", err);
    return u;
}

static enum usbdev_ctrl ctrl(struct usbdev *u, uint8_t rt, uint8_t req, uint16_t val, uint16_t idx,
                           uint16_t len, uint8_t *buf, size_t *got)
{
    uint8_t s[8] = {rt, req, (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)idx, (uint8_t)(idx >> 8),
                    (uint8_t)len, (uint8_t)(len >> 8)};
    return usbdev_control(u, 0, s, buf, 256, got);
}

static void configure(struct usbdev *u)
{
    uint8_t b[8];
    size_t n;
    CU_ASSERT_EQUAL(ctrl(u, 0x00, 9, 1, 0, 0, b, &n), USBDEV_CTRL_OK);
}

/* Reads one IN packet at time t; returns its seq or -1 (NAK), -2 (STALL), -3 (bad packet). */
static long read_in(struct usbdev *u, int64_t t, struct pkt_fields *out)
{
    uint8_t buf[PKT_MAX_SIZE];
    size_t len;
    enum usbdev_in r = usbdev_in_request(u, t, buf, sizeof buf, &len);
    if (r == USBDEV_IN_NAK)
        return -1;
    if (r == USBDEV_IN_STALL)
        return -2;
    struct pkt_fields f;
    enum pkt_status st = pkt_decode(buf, len, 112, 1, 1, &f);
    if (out)
        *out = f;
    return st == PKT_OK ? (long)f.seq : (st == PKT_ERR_CRC ? 1000000 + (long)f.seq : -3);
}

static const char *steady = "name: t\nduration_ms: 1000\n";

static void test_device_descriptor(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 100\ndevice: {vid: 0x1234, pid: 0xabcd}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    uint8_t d[64];
    const uint8_t want[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x34, 0x12, 0xcd, 0xab,
                              0x00, 0x01, 1, 2, 3, 1};
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 1, 0, d, sizeof d), 18);
    CU_ASSERT_EQUAL(memcmp(d, want, 18), 0);
    const uint8_t lang[4] = {4, 3, 0x09, 0x04};
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 0, d, sizeof d), 4);
    CU_ASSERT_EQUAL(memcmp(d, lang, 4), 0);
    const uint8_t manu[14] = {14, 3, 'u', 0, 's', 0, 'b', 0, 's', 0, 'i', 0, 'm', 0};
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 1, d, sizeof d), 14);
    CU_ASSERT_EQUAL(memcmp(d, manu, 14), 0);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 3, 4, d, sizeof d), -1);
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 2, 1, d, sizeof d), -1);
    usbdev_free(u);
}

static void test_config_descriptor_interrupt(void)
{
    struct usbdev *u = make(steady); /* 112 bytes every 10 ms */
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    uint8_t d[64];
    const uint8_t want[25] = {9, 2, 25, 0, 1, 1, 0, 0x80, 50,
                              9, 4, 0, 0, 1, 0xFF, 0, 0, 0,
                              7, 5, 0x81, 3, 112, 0, 7}; /* 2^(7-1) uframes = 8 ms <= 10 ms */
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 2, 0, d, sizeof d), 25);
    CU_ASSERT_EQUAL(memcmp(d, want, 25), 0);
    usbdev_free(u);
}

static void test_config_descriptor_bulk(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 100\ndevice: {endpoint: bulk, packet_size: 1024}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    uint8_t d[64];
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 2, 0, d, sizeof d), 25);
    const uint8_t ep[7] = {7, 5, 0x81, 2, 0x00, 0x02, 0}; /* high-speed bulk: 512 */
    CU_ASSERT_EQUAL(memcmp(d + 18, ep, 7), 0);
    usbdev_free(u);
}

static void test_control_requests(void)
{
    struct usbdev *u = make(steady);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    uint8_t b[256];
    size_t n;
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 6, 0x0100, 0, 8, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(n, 8); /* truncated to wLength */
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 6, 0x0200, 0, 255, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(n, 25);
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 6, 0x0600, 0, 10, b, &n), USBDEV_CTRL_OK); /* qualifier */
    CU_ASSERT_EQUAL(n, 10);
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 6, 0x0700, 0, 10, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 8, 0, 0, 1, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(b[0], 0);
    CU_ASSERT_EQUAL(ctrl(u, 0x00, 9, 2, 0, 0, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, 0x01, 11, 0, 0, 0, b, &n), USBDEV_CTRL_STALL); /* not configured */
    configure(u);
    CU_ASSERT_TRUE(usbdev_configured(u));
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 8, 0, 0, 1, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(b[0], 1);
    CU_ASSERT_EQUAL(ctrl(u, 0x01, 11, 0, 0, 0, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(ctrl(u, 0x01, 11, 1, 0, 0, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 0, 0, 0, 2, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(ctrl(u, 0x82, 0, 0, 0x81, 2, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(b[0], 0);
    CU_ASSERT_EQUAL(ctrl(u, 0x82, 0, 0, 0x02, 2, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, 0x02, 1, 0, 0x81, 0, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(ctrl(u, 0x02, 1, 0, 0x05, 0, b, &n), USBDEV_CTRL_STALL);
    CU_ASSERT_EQUAL(ctrl(u, 0x00, 5, 7, 0, 0, b, &n), USBDEV_CTRL_STALL);    /* SET_ADDRESS */
    CU_ASSERT_EQUAL(ctrl(u, 0x40, 1, 0, 0, 0, b, &n), USBDEV_CTRL_STALL);    /* vendor */
    CU_ASSERT_EQUAL(ctrl(u, 0x00, 7, 0x0100, 0, 18, b, &n), USBDEV_CTRL_STALL); /* OUT data */
    CU_ASSERT_EQUAL(ctrl(u, 0x80, 6, 0x0309, 0, 255, b, &n), USBDEV_CTRL_STALL);
    usbdev_free(u);
}

static void test_in_follows_schedule(void)
{
    struct usbdev *u = make(steady);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_EQUAL(read_in(u, T0, NULL), -2); /* not configured: stall */
    CU_ASSERT_FALSE(usbdev_started(u));
    configure(u);
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, T0), USBDEV_NEVER);
    struct pkt_fields f;
    CU_ASSERT_EQUAL(read_in(u, T0, &f), 0); /* t0 = first IN request; sample 0 due at 0 */
    CU_ASSERT_EQUAL(f.produce_ns, (uint64_t)T0);
    CU_ASSERT_EQUAL(read_in(u, T0 + 5 * MS, NULL), -1); /* NAK until due */
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, T0 + 5 * MS), T0 + 10 * MS);
    CU_ASSERT_EQUAL(read_in(u, T0 + 10 * MS, &f), 1);
    CU_ASSERT_EQUAL(f.dropped_before, 0);
    CU_ASSERT_EQUAL(usbdev_end_time(u), T0 + 1000 * MS);
    CU_ASSERT_FALSE(usbdev_drained(u, T0 + 10 * MS));
    for (long k = 2; k < 100; k++)
        CU_ASSERT_EQUAL(read_in(u, T0 + k * 10 * MS, NULL), k);
    CU_ASSERT_TRUE(usbdev_drained(u, T0 + 1000 * MS));
    CU_ASSERT_EQUAL(usbdev_stats(u)->sent, 100);
    usbdev_free(u);
}

static void test_fifo_drops_newest(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 1000\ndevice: {fifo_packets: 4}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    configure(u);
    CU_ASSERT_EQUAL(read_in(u, T0, NULL), 0);
    usbdev_advance(u, T0 + 100 * MS); /* samples 1..10 made, nobody reads */
    CU_ASSERT_EQUAL(usbdev_stats(u)->in_fifo, 4);
    CU_ASSERT_EQUAL(usbdev_stats(u)->dropped[SCHED_DROP_FIFO], 6);
    for (long k = 1; k <= 4; k++)
        CU_ASSERT_EQUAL(read_in(u, T0 + 100 * MS, NULL), k);
    CU_ASSERT_EQUAL(read_in(u, T0 + 100 * MS, NULL), -1);
    struct pkt_fields f;
    CU_ASSERT_EQUAL(read_in(u, T0 + 110 * MS, &f), 11);
    CU_ASSERT_EQUAL(f.dropped_before, 6);
    uint8_t why;
    CU_ASSERT_EQUAL(usbdev_fate_of(u, 7, &why, NULL), USBDEV_FATE_DROPPED);
    CU_ASSERT_EQUAL(why, SCHED_DROP_FIFO);
    CU_ASSERT_EQUAL(usbdev_fate_of(u, 4, NULL, NULL), USBDEV_FATE_SENT);
    usbdev_free(u);
}

static void test_halt_needs_window_end_and_clear(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 1000\ndevice:\n  events:\n"
                          "    - {at_ms: 50, halt_ms: 30}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    uint8_t b[8];
    size_t n;
    configure(u);
    for (long k = 0; k < 5; k++)
        CU_ASSERT_EQUAL(read_in(u, T0 + k * 10 * MS, NULL), k);
    CU_ASSERT_EQUAL(read_in(u, T0 + 55 * MS, NULL), -2);
    CU_ASSERT_EQUAL(ctrl(u, 0x82, 0, 0, 0x81, 2, b, &n), USBDEV_CTRL_OK);
    CU_ASSERT_EQUAL(b[0], 1); /* GET_STATUS says halted */
    CU_ASSERT_EQUAL(ctrl(u, 0x02, 1, 0, 0x81, 0, b, &n), USBDEV_CTRL_OK); /* clear in window */
    CU_ASSERT_EQUAL(read_in(u, T0 + 60 * MS, NULL), -2);
    CU_ASSERT_EQUAL(read_in(u, T0 + 85 * MS, NULL), -2); /* window over, not cleared yet */
    usbdev_advance(u, T0 + 85 * MS);
    CU_ASSERT_EQUAL(ctrl(u, 0x02, 1, 0, 0x81, 0, b, &n), USBDEV_CTRL_OK);
    struct pkt_fields f;
    CU_ASSERT_EQUAL(read_in(u, T0 + 85 * MS, &f), 5); /* held samples come out in order */
    CU_ASSERT_TRUE(f.flags & PKT_F_AFTER_GAP);
    CU_ASSERT_EQUAL(f.dropped_before, 0);
    for (long k = 6; k <= 8; k++)
        CU_ASSERT_EQUAL(read_in(u, T0 + 85 * MS, NULL), k);
    CU_ASSERT_EQUAL(read_in(u, T0 + 85 * MS, NULL), -1);
    CU_ASSERT_EQUAL(usbdev_stats(u)->halts_cleared, 1);
    usbdev_free(u);
}

static void test_disconnect_loses_fifo(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 1000\ndevice:\n  events:\n"
                          "    - {at_ms: 50, disconnect_ms: 30}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    configure(u);
    CU_ASSERT_EQUAL(read_in(u, T0, NULL), 0);
    CU_ASSERT_TRUE(usbdev_present(u, T0 + 40 * MS)); /* 1..4 wait in the FIFO */
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, T0 + 45 * MS), T0 + 50 * MS);
    CU_ASSERT_FALSE(usbdev_present(u, T0 + 55 * MS));
    CU_ASSERT_FALSE(usbdev_configured(u));
    CU_ASSERT_EQUAL(read_in(u, T0 + 60 * MS, NULL), -2);
    CU_ASSERT_EQUAL(usbdev_next_deadline(u, T0 + 75 * MS), T0 + 80 * MS);
    CU_ASSERT_TRUE(usbdev_present(u, T0 + 80 * MS));
    const struct usbdev_stats *st = usbdev_stats(u);
    CU_ASSERT_EQUAL(st->dropped[SCHED_DROP_DISCONNECT], 4 + 3); /* FIFO 1..4 + 5,6,7 inside */
    configure(u);
    struct pkt_fields f;
    CU_ASSERT_EQUAL(read_in(u, T0 + 80 * MS, &f), 8);
    CU_ASSERT_EQUAL(f.dropped_before, 7);
    CU_ASSERT_TRUE(f.flags & PKT_F_AFTER_GAP);
    usbdev_free(u);
}

static void test_corrupt_and_log(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 50\ndevice:\n  events:\n"
                          "    - {at_ms: 20, corrupt: 1}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    configure(u);
    long got[5];
    for (long k = 0; k < 5; k++)
        got[k] = read_in(u, T0 + k * 10 * MS, NULL);
    CU_ASSERT_EQUAL(got[0], 0);
    CU_ASSERT_EQUAL(got[1], 1);
    CU_ASSERT_EQUAL(got[2], 1000000 + 2); /* bad CRC on purpose */
    CU_ASSERT_EQUAL(got[3], 3);
    uint16_t flags;
    usbdev_fate_of(u, 2, NULL, &flags);
    CU_ASSERT_TRUE(flags & PKT_F_CORRUPT);
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(usbdev_write_log(u, f), 0);
    fclose(f);
    CU_ASSERT_TRUE(strncmp(text, "seq,due_ns,produce_ns,fate,drop,flags\n", 38) == 0);
    char row[128];
    snprintf(row, sizeof row, "\n2,%lld,%lld,sent,none,%u\n", (long long)(T0 + 20 * MS),
             (long long)(T0 + 20 * MS), (unsigned)flags);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, row));
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    CU_ASSERT_EQUAL(lines, 1 + 5);
    free(text);
    usbdev_free(u);
}

static void test_stall_hold_gates(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 1000\ndevice:\n  events:\n"
                          "    - {at_ms: 30, stall_ms: 30, mode: hold}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    configure(u);
    for (long k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(read_in(u, T0 + k * 10 * MS, NULL), k);
    CU_ASSERT_EQUAL(read_in(u, T0 + 45 * MS, NULL), -1); /* gated: NAK although 3, 4 wait */
    CU_ASSERT_EQUAL(read_in(u, T0 + 60 * MS, NULL), 3);
    CU_ASSERT_EQUAL(read_in(u, T0 + 60 * MS, NULL), 4);
    CU_ASSERT_EQUAL(read_in(u, T0 + 60 * MS, NULL), 5);
    CU_ASSERT_EQUAL(read_in(u, T0 + 60 * MS, NULL), 6);
    usbdev_free(u);
}


/* Reads one raw IN packet at time t into buf; its length, or -1 (NAK), -2 (STALL), -4 (overflow). */
static long read_raw(struct usbdev *u, int64_t t, uint8_t *buf, size_t cap)
{
    size_t len;
    enum usbdev_in r = usbdev_in_request(u, t, buf, cap, &len);
    return r == USBDEV_IN_READY ? (long)len : r == USBDEV_IN_NAK ? -1 : r == USBDEV_IN_STALL ? -2
                                                                                         : -4;
}

static void test_raw_generator(void)
{
    struct usbdev *u = make("name: t\nduration_ms: 50\ndevice:\n  framing: raw\n  packet_size: 6\n"
                            "  payload: {generator: counter}\n  events:\n"
                            "    - {at_ms: 20, corrupt: 1}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_EQUAL(usbdev_last_sent(u), -1);
    configure(u);
    uint8_t b[PKT_MAX_SIZE];
    for (long k = 0; k < 5; k++) {
        CU_ASSERT_EQUAL(read_raw(u, T0 + k * 10 * MS, b, sizeof b), 6);
        CU_ASSERT_EQUAL(usbdev_last_sent(u), k);
        uint8_t want[6] = {(uint8_t)k, 0, 0, 0, (uint8_t)k, 0};
        if (k == 2) /* corrupt: every byte XOR 0xa5 */
            for (int i = 0; i < 6; i++)
                want[i] ^= USBDEV_RAW_CORRUPT;
        CU_ASSERT_EQUAL(memcmp(b, want, 6), 0);
    }
    uint16_t flags;
    CU_ASSERT_EQUAL(usbdev_fate_of(u, 2, NULL, &flags), USBDEV_FATE_SENT);
    CU_ASSERT_TRUE(flags & PKT_F_CORRUPT); /* the log says it, the packet does not */
    usbdev_free(u);
    /* a buffer smaller than the packet: OVERFLOW, the packet stays */
    u = make("name: t\nduration_ms: 50\ndevice:\n  framing: raw\n  packet_size: 6\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    configure(u);
    CU_ASSERT_EQUAL(read_raw(u, T0, b, 5), -4);
    CU_ASSERT_EQUAL(read_raw(u, T0, b, 6), 6);
    CU_ASSERT_EQUAL(usbdev_last_sent(u), 0);
    /* the descriptor's wMaxPacketSize is packet_size, as with usbsim framing */
    CU_ASSERT_EQUAL(usbdev_descriptor(u, 2, 0, b, sizeof b), 25);
    CU_ASSERT_EQUAL(b[18 + 4], 6);
    usbdev_free(u);
}

static void test_raw_replay(void)
{
    char dir[] = "/tmp/usbsim-dev-XXXXXX", path[96], yaml[96];
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/dev.rec", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    /* bulk: 700 bytes (over the 512-byte max packet), 1 byte, 0 bytes, 2 bytes */
    fputs("# usbsim recording 1\n0 0x81 ", f);
    for (int i = 0; i < 700; i++)
        fprintf(f, "%02x", i & 0xff);
    fputs("\n10000 0x81 7f\n20000 0x81 -\n30000 0x81 0102\n", f);
    fclose(f);
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    const char *text = "name: t\nduration_ms: 40\ndevice:\n  endpoint: bulk\n"
                       "  replay: {file: dev.rec}\n  events:\n    - {at_ms: 25, corrupt: 1}\n";
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    CU_ASSERT_EQUAL_FATAL(scn_parse(yaml, text, strlen(text), &sc, err), 0);
    CU_ASSERT_EQUAL(sc.device.framing, SCN_FRAMING_RAW);
    struct usbdev *u = usbdev_new(&sc, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_EQUAL(usbdev_sched(u)->max_len, 700);
    configure(u);
    uint8_t b[PKT_MAX_SIZE];
    CU_ASSERT_EQUAL(read_raw(u, T0, b, 699), -4);
    CU_ASSERT_EQUAL(read_raw(u, T0, b, sizeof b), 700); /* one transfer, over max packet */
    int same = 0;
    for (int i = 0; i < 700; i++)
        same += b[i] == (uint8_t)i;
    CU_ASSERT_EQUAL(same, 700);
    CU_ASSERT_EQUAL(read_raw(u, T0 + 10 * MS, b, sizeof b), 1);
    CU_ASSERT_EQUAL(b[0], 0x7f);
    CU_ASSERT_EQUAL(read_raw(u, T0 + 20 * MS, b, sizeof b), 0); /* a zero-length packet */
    CU_ASSERT_EQUAL(usbdev_last_sent(u), 2);
    CU_ASSERT_EQUAL(read_raw(u, T0 + 30 * MS, b, sizeof b), 2);
    CU_ASSERT(b[0] == (0x01 ^ USBDEV_RAW_CORRUPT) && b[1] == (0x02 ^ USBDEV_RAW_CORRUPT));
    CU_ASSERT_EQUAL(usbdev_stats(u)->sent, 4);
    usbdev_free(u);
    remove(path);
    rmdir(dir);
}

static CU_TestInfo tests[] = {
    {"device and string descriptors", test_device_descriptor},
    {"configuration descriptor, interrupt", test_config_descriptor_interrupt},
    {"configuration descriptor, bulk", test_config_descriptor_bulk},
    {"standard control requests", test_control_requests},
    {"IN follows the schedule", test_in_follows_schedule},
    {"full FIFO drops the newest", test_fifo_drops_newest},
    {"halt needs window end and clear", test_halt_needs_window_end_and_clear},
    {"disconnect loses the FIFO", test_disconnect_loses_fifo},
    {"corrupt sample and the log", test_corrupt_and_log},
    {"hold stall gates the endpoint", test_stall_hold_gates},
    {"framing raw: a generator's bytes, a corrupt one changed, overflow", test_raw_generator},
    {"framing raw: a replayed recording's packets, their lengths", test_raw_replay},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("usb_device", tests); }

/* Tests of the scenario keys for the device's own descriptors (device.bcd_device ... replay,
 * framing, payload):
 * what they load into, their defaults (a v1 file keeps its meaning), each loader error with its
 * exact line:col and message, and the write/parse round trip of every new key. Run from the repo
 * root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/scenario.h"
#include "tests/cu.h"

#define HEAD "name: t\nduration_ms: 1000\ndevice:\n"

static int parse(const char *text, struct scn_scenario *s, char *err)
{
    return scn_parse("t.yaml", text, strlen(text), s, err);
}

/* The scenario as scn_write_yaml() writes it (malloc'ed; *len its length). */
static char *written(const struct scn_scenario *s, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(scn_write_yaml(s, f), 0);
    CU_ASSERT_EQUAL(fclose(f), 0);
    return buf;
}

static void test_defaults_keep_v1(void)
{
    struct scn_scenario s;
    char err[SCN_ERR_MAX];
    CU_ASSERT_EQUAL_FATAL(parse("name: t\nduration_ms: 1000\n", &s, err), 0);
    CU_ASSERT_EQUAL(s.device.bcd_device, 0x0100);
    CU_ASSERT_EQUAL(s.device.bcd_usb, 0x0200);
    CU_ASSERT_EQUAL(s.device.dev_class, 0);
    CU_ASSERT_EQUAL(s.device.max_packet0, 64);
    CU_ASSERT_EQUAL(s.device.speed, SCN_SPEED_HIGH);
    CU_ASSERT_FALSE(s.device.has_manufacturer || s.device.has_product || s.device.has_serial);
    CU_ASSERT_EQUAL(s.device.cfg_attributes, 0x80);
    CU_ASSERT_EQUAL(s.device.max_power_ma, 100);
    CU_ASSERT_EQUAL(s.device.n_ifaces, 0);
    CU_ASSERT_EQUAL(s.device.n_control, 0);
    CU_ASSERT_FALSE(s.device.has_stream_endpoint);
    CU_ASSERT_EQUAL(s.device.start, SCN_START_IMMEDIATE);
    CU_ASSERT_EQUAL(s.device.replay.file[0], 0);
    CU_ASSERT_EQUAL(s.device.n_bytes, 0);
}

static void test_hid_example(void)
{
    static struct scn_scenario s;
    char err[SCN_ERR_MAX] = "";
    CU_ASSERT_EQUAL_FATAL(scn_load("scenarios/hid-keyboard.yaml", &s, err), 0);
    CU_ASSERT_EQUAL_FATAL(s.device.n_ifaces, 1);
    const struct scn_iface *f = &s.device.ifaces[0];
    CU_ASSERT_EQUAL(f->cls, 3);
    CU_ASSERT_EQUAL(f->subclass, 1);
    CU_ASSERT_EQUAL(f->protocol, 1);
    CU_ASSERT_STRING_EQUAL(f->name, "Keyboard");
    static const uint8_t hid[] = {0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00};
    CU_ASSERT_EQUAL_FATAL(f->extra.len, sizeof hid);
    CU_ASSERT(memcmp(scn_bytes_of(&s, &f->extra), hid, sizeof hid) == 0);
    CU_ASSERT_EQUAL_FATAL(f->n_eps, 1);
    CU_ASSERT_EQUAL(f->eps[0].address, 0x81);
    CU_ASSERT_EQUAL(f->eps[0].max_packet, 8);
    CU_ASSERT_EQUAL(f->eps[0].interval, 7);
    CU_ASSERT(f->eps[0].has_interval);
    CU_ASSERT_EQUAL(s.device.stream_endpoint, 0x81); /* the first IN endpoint */
    CU_ASSERT_EQUAL_FATAL(s.device.n_control, 4);
    const struct scn_ctl *c = &s.device.control[0];
    CU_ASSERT_EQUAL(c->request_type, 0x81);
    CU_ASSERT_EQUAL(c->request, 6);
    CU_ASSERT(c->has_value && c->value == 0x2200);
    CU_ASSERT(c->has_index && c->index == 0);
    CU_ASSERT_EQUAL(c->reply.len, 0x3f); /* the length the HID descriptor announces */
    CU_ASSERT(s.device.control[1].reply.set && s.device.control[1].reply.len == 0);
    CU_ASSERT_FALSE(s.device.control[1].has_value);
}

static void test_vendor_example(void)
{
    static struct scn_scenario s;
    char err[SCN_ERR_MAX] = "";
    CU_ASSERT_EQUAL_FATAL(scn_load("scenarios/vendor-start.yaml", &s, err), 0);
    CU_ASSERT_EQUAL(s.device.start, SCN_START_ON_REQUEST);
    CU_ASSERT_EQUAL(s.device.endpoint, SCN_EP_BULK); /* the stream endpoint's type */
    CU_ASSERT(s.device.control[0].has_action && s.device.control[0].action == SCN_ACT_START);
    CU_ASSERT(s.device.control[1].has_action && s.device.control[1].action == SCN_ACT_STOP);
    CU_ASSERT(s.device.control[3].has_stall);
    CU_ASSERT_EQUAL(s.device.ifaces[0].eps[1].address, 0x02);
}

struct bad {
    const char *text;
    const char *msg; /* the whole message after "t.yaml:" */
};

#define HEX_ALLOWED "allowed: hex bytes: pairs of hex digits, spaces between pairs optional, at " \
                    "most 4096 bytes (\"\" = none)"

/* An endpoint's own stream and an OUT endpoint's on_data. */
#define EPS HEAD "  packet_size: 8\n  framing: raw\n  interfaces:\n    - number: 0\n      endpoints:\n" \
            "        - {address: 0x81, type: interrupt, max_packet: 8}\n"
#define EP83 "        - {address: 0x83, type: interrupt, max_packet: 8}\n"

static const struct bad bad[] = {
    {EPS "        - {address: 0x02, type: bulk, max_packet: 512, stream: {period_us: 1000,"
          " packet_size: 4}}\n",
     "10:11: endpoint 0x02: stream on an OUT endpoint; allowed: stream on an IN endpoint"
     " other than the stream endpoint 0x81"},
    {EPS "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: 1000,"
          " packet_size: 9}}\n",
     "10:11: endpoint 0x83: stream packet_size 9 is larger than its max_packet 8; allowed:"
     " 1..max_packet for an interrupt endpoint"},
    {EPS "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: 1000}}\n",
     "10:67: missing required key 'packet_size' in stream; required: period_us, packet_size"},
    {EPS "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: 1000,"
          " packet_size: 4, generator: pattern}}\n",
     "10:67: generator: pattern without pattern; allowed: generator: pattern with pattern:"
     " \"hex bytes\" (repeated to the packet's length)"},
    {EPS "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: 1000,"
          " packet_size: 4, pattern: \"01\"}}\n",
     "10:101: pattern: given with generator counter; allowed: pattern only with generator:"
     " pattern"},
    {EPS "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: 1000,"
          " packet_size: 4, generator: pattern, pattern: \"\"}}\n",
     "10:67: pattern: \"\" has no byte; allowed: at least 1 byte"},
    {EPS "        - {address: 0x83, type: interrupt, max_packet: 8, on_data: {action: start}}\n",
     "10:11: endpoint 0x83: on_data on an IN endpoint; allowed: on_data on an OUT endpoint"
     " (0x01..0x0f)"},
    {EPS "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {reply: \"01\"}}\n",
     "10:65: missing required key 'endpoint' in on_data; required: endpoint"},
    {EPS EP83 "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {reply: \"01\","
          " endpoint: 0x83, action: stop}}\n",
     "11:95: reply and action in one on_data; allowed: exactly one of reply (with"
     " endpoint), action"},
    {EPS "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {}}\n",
     "10:65: on_data has none of reply, action; allowed: exactly one of reply (with"
     " endpoint), action"},
    {EPS "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {reply: \"01\","
          " endpoint: 0x81}}\n",
     "10:11: endpoint 0x02: on_data endpoint 0x81 is the stream endpoint; allowed: a listed"
     " IN endpoint other than the stream endpoint 0x81"},
    {EPS "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {reply: \"01\","
          " endpoint: 0x84}}\n",
     "10:11: endpoint 0x02: on_data endpoint 0x84 is not a listed IN endpoint; allowed: a"
     " listed IN endpoint other than the stream endpoint 0x81"},
    {EPS "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {reply: \"01\","
          " endpoint: 0x03}}\n",
     "10:89: endpoint: 3 is out of range; allowed: an integer 129..143 (decimal or 0x hex)"},
    {EPS "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {action: start,"
          " endpoint: 0x83}}\n",
     "10:81: endpoint does not apply to on_data; allowed: reply, action"},
    {EPS EP83 "        - {address: 0x02, type: bulk, max_packet: 512, on_data: {reply: \"01 02 03 04"
          " 05 06 07 08 09\", endpoint: 0x83}}\n",
     "11:11: endpoint 0x02: on_data reply of 9 bytes is longer than endpoint 0x83 can send"
     " in one packet; allowed: at most 8 bytes (its max_packet)"},
    {EPS "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: 5,"
          " packet_size: 4}}\n",
     "10:79: period_us: 5 is out of range; allowed: an integer 10..10000000 (us)"},
    {"name: t\nduration_ms: 3600000\ndevice:\n  packet_size: 8\n  framing: raw\n"
     "  interfaces:\n    - number: 0\n      endpoints:\n"
     "        - {address: 0x81, type: interrupt, max_packet: 8}\n"
     "        - {address: 0x83, type: interrupt, max_packet: 8, stream: {period_us: 100, "
     "packet_size: 4}}\n",
     "10:11: endpoint 0x83: its stream has more than 10000000 packets; allowed: at most 10000000: "
     "shorten duration_ms or lengthen its period_us"},
    {HEAD "  packet_size: 8\n  framing: raw\n  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: interrupt, max_packet: 8, stream: {period_us: 1000, "
          "packet_size: 4}}\n",
     "9:11: endpoint 0x81: stream on the stream endpoint (it plays the device's period_us, "
     "packet_size, payload); allowed: stream on another IN endpoint"},
    {HEAD "  product: \"A\"\n  config: {name: \"B\", name_index: 2}\n",
     "4:3: string index 2 is both the product (\"A\") and the config name (\"B\"); allowed: one "
     "text per index (strings with the same text may share one)"},
    {HEAD "  interfaces:\n    - {number: 0, name_index: 5}\n",
     "4:3: name_index: 5 given to interface entry 1, which has no name; allowed: an index only "
     "with a name"},
    {HEAD "  manufacturer: \"\"\n  manufacturer_index: 7\n",
     "4:3: manufacturer_index: 7 given to an empty manufacturer; allowed: an index only for a "
     "string that has a text"},
    {HEAD "  product_index: 0\n", "4:18: product_index: 0 is out of range; allowed: an integer 1..255"},
    {HEAD "  interfaces:\n    - {number: 0, extra: \"09 2\"}\n",
     "5:26: extra: an odd number of hex digits (3); " HEX_ALLOWED},
    {HEAD "  interfaces:\n    - {number: 0, extra: \"09 zz\"}\n",
     "5:26: extra: character 4 ('z') is not a hex digit; " HEX_ALLOWED},
    {HEAD "  control:\n    - {request_type: 0xc0, request: 1, reply: \"0 9\"}\n",
     "5:47: reply: a space inside a byte at character 2; " HEX_ALLOWED},
    {HEAD "  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: interrupt, max_packet: 64}\n"
          "        - {address: 0x81, type: bulk, max_packet: 512}\n",
     "8:11: endpoint address 0x81 is listed twice (first at line 7); allowed: each address once "
     "(alternate settings of one interface may repeat it)"},
    {HEAD "  speed: full\n  packet_size: 32\n  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: interrupt, max_packet: 65}\n",
     "9:11: endpoint 0x81: max_packet 65 is over the full-speed limit; allowed: 1..64 at full "
     "speed"},
    {HEAD "  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: bulk, max_packet: 64}\n",
     "7:11: endpoint 0x81: max_packet 64 for a bulk endpoint at high speed; allowed: exactly 512 "
     "(bulk at high speed)"},
    {HEAD "  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: interrupt, max_packet: 2000}\n",
     "7:56: max_packet: 2000 is out of range; allowed: an integer 1..1024"},
    {HEAD "  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: interrupt, max_packet: 64}\n",
     "4:3: packet_size: 112 is larger than the stream endpoint 0x81's max_packet 64; allowed: "
     "packet_size <= max_packet for an interrupt stream endpoint"},
    {HEAD "  control:\n    - {request_type: 0x40, request: 1, reply: \"\", stall: true}\n",
     "5:51: reply and stall in one control entry; allowed: exactly one of reply, stall, action"},
    {HEAD "  control:\n    - {request_type: 0x40, request: 1}\n",
     "5:7: control entry has none of reply, stall, action; allowed: exactly one of them"},
    {HEAD "  control:\n    - {request_type: 0x40, request: 1, reply: \"01\"}\n",
     "5:7: reply: 1 bytes for an OUT request (request_type 0x40, bit 7 clear); allowed: reply: "
     "\"\" (an OUT request gets no data back)"},
    {HEAD "  start: on_request\n",
     "4:3: start: on_request but no control entry has action: start; allowed: start: on_request "
     "with a control entry {..., action: start} or an OUT endpoint's on_data: {action: start}"},
    {HEAD "  stream_endpoint: 0x82\n  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: interrupt, max_packet: 512}\n",
     "4:3: stream_endpoint: 0x82 is not an IN endpoint of the interfaces; allowed: the address of "
     "an IN endpoint listed (default: the first)"},
    {HEAD "  interfaces:\n    - {number: 0, alt: 1}\n",
     "5:7: interface 0 has no alt 0; allowed: alternate settings of an interface that has alt 0"},
    {HEAD "  interfaces:\n    - {number: 1}\n",
     "5:7: interface numbers skip 0; allowed: numbers 0..n-1 for n interfaces"},
    {HEAD "  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x02, type: bulk, max_packet: 512}\n",
     "5:7: interfaces list no IN endpoint; allowed: at least one IN endpoint (bit 7 of address "
     "set) to play the stream"},
    {HEAD "  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x21, type: bulk, max_packet: 512}\n",
     "7:11: address: 0x21 is not an endpoint address; allowed: 0x01..0x0f (OUT) or 0x81..0x8f "
     "(IN)"},
    {HEAD "  packet_size: 32\n  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, type: interrupt, max_packet: 32, interval: 17}\n",
     "8:11: endpoint 0x81: interval 17; allowed: 1..16 for an interrupt endpoint at high speed "
     "(2^(interval-1) microframes of 125 us)"},
    {HEAD "  interfaces:\n    - {number: 0, extra: \"09 21 11\"}\n",
     "5:7: extra of interface 0 alt 0: the descriptor at byte 0 has bLength 9, past the end of the "
     "bytes; allowed: whole descriptors, each starting with its length (at least 2)"},
    {HEAD "  packet_size: 32\n  interfaces:\n    - number: 0\n      endpoints:\n"
          "        - {address: 0x81, max_packet: 32, extra: \"02 25 00\"}\n",
     "8:11: extra of endpoint 0x81: the descriptor at byte 2 has bLength 0, too short; allowed: "
     "whole descriptors, each starting with its length (at least 2)"},
    {HEAD "  speed: fast\n",
     "4:10: speed: 'fast' is not a known value; allowed: one of high, full"},
    {HEAD "  control:\n    - {request_type: 0x40, request: 1, stall: false}\n",
     "5:47: stall: 'false' is not a known value; allowed: one of true"},
    {HEAD "  replay: {loop: true}\n",
     "4:11: missing required key 'file' in replay; required: file"},
    /* framing, payload, replay */
    {HEAD "  replay: {file: d.rec}\n  framing: usbsim\n",
     "5:3: replay and framing: usbsim in one device; allowed: replay with framing: raw (or no "
     "framing key): a recording plays its own bytes"},
    {HEAD "  framing: usbsim\n  replay: {file: d.rec}\n",
     "5:3: replay and framing: usbsim in one device; allowed: replay with framing: raw (or no "
     "framing key): a recording plays its own bytes"},
    {HEAD "  payload: {generator: random}\n",
     "4:3: payload: given with framing usbsim (its packets carry packet.h's payload); allowed: "
     "payload only with framing: raw"},
    {HEAD "  replay: {file: d.rec}\n  payload: {generator: counter}\n",
     "4:3: payload and replay in one device; allowed: one of them (with replay the bytes are the "
     "recording's)"},
    {HEAD "  framing: raw\n  payload: {generator: pattern}\n",
     "5:12: generator: pattern without pattern; allowed: generator: pattern with pattern: \"hex "
     "bytes\" (repeated to the packet's length)"},
    {HEAD "  framing: raw\n  payload: {pattern: \"00 04\"}\n",
     "5:13: pattern: given with generator counter; allowed: pattern only with generator: pattern"},
    {HEAD "  framing: raw\n  payload: {generator: random, pattern: \"00\"}\n",
     "5:32: pattern: given with generator random; allowed: pattern only with generator: pattern"},
    {HEAD "  framing: raw\n  payload: {generator: pattern, pattern: \"\"}\n",
     "4:3: pattern: \"\" has no byte; allowed: at least 1 byte"},
    {HEAD "  packet_size: 8\n",
     "4:3: packet_size: 8 is too small for framing usbsim (a 24-byte header and a 4-byte CRC); "
     "allowed: 32..1024 with framing usbsim, 1..1024 with framing raw"},
    {HEAD "  framing: raw\n  packet_size: 0\n",
     "5:16: packet_size: 0 is out of range; allowed: an integer 1..1024"},
    {HEAD "  framing: framed\n",
     "4:12: framing: 'framed' is not a known value; allowed: one of usbsim, raw"},
    {HEAD "  framing: raw\n  payload: {generator: noise}\n",
     "5:24: generator: 'noise' is not a known value; allowed: one of counter, random, pattern"},
};

/* framing and payload: what they load into; replay without framing is raw. */
static void test_framing_keys(void)
{
    static struct scn_scenario s;
    char err[SCN_ERR_MAX] = "";
    CU_ASSERT_EQUAL_FATAL(parse("name: t\nduration_ms: 1000\n", &s, err), 0);
    CU_ASSERT_EQUAL(s.device.framing, SCN_FRAMING_USBSIM); /* v1: as it was */
    CU_ASSERT_FALSE(s.device.has_framing || s.device.payload.has_generator);
    CU_ASSERT_EQUAL(s.device.payload.generator, SCN_GEN_COUNTER);
    CU_ASSERT_EQUAL_FATAL(parse(HEAD "  replay: {file: d.rec, loop: true}\n", &s, err), 0);
    CU_ASSERT_EQUAL(s.device.framing, SCN_FRAMING_RAW);
    CU_ASSERT(s.device.has_framing);
    CU_ASSERT_EQUAL_FATAL(parse(HEAD "  framing: raw\n  packet_size: 1\n", &s, err), 0);
    CU_ASSERT_EQUAL(s.device.framing, SCN_FRAMING_RAW);
    CU_ASSERT_EQUAL(s.device.packet_size, 1);
    CU_ASSERT_FALSE(s.device.payload.has_generator); /* counter by default */
    CU_ASSERT_EQUAL_FATAL(parse(HEAD "  framing: raw\n  packet_size: 8\n  payload: {generator: "
                                "pattern, pattern: \"00 00 04\"}\n", &s, err), 0);
    CU_ASSERT_EQUAL(s.device.payload.generator, SCN_GEN_PATTERN);
    const uint8_t *p = scn_bytes_of(&s, &s.device.payload.pattern);
    CU_ASSERT_FATAL(p != NULL && s.device.payload.pattern.len == 3);
    CU_ASSERT(p[0] == 0 && p[1] == 0 && p[2] == 4);
    /* written back: loads the same (framing written as the loader resolved it) */
    size_t len = 0;
    char *buf = written(&s, &len);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  framing: raw\n  payload: {generator: pattern, pattern: "
                                       "\"00 00 04\"}\n"));
    static struct scn_scenario back;
    CU_ASSERT_EQUAL(scn_parse("t.yaml", buf, len, &back, err), 0);
    CU_ASSERT(back.device.framing == SCN_FRAMING_RAW && back.device.payload.pattern.len == 3);
    free(buf);
    /* usbsim framing is not written when absent: v1 files write back as they did */
    CU_ASSERT_EQUAL_FATAL(parse("name: t\nduration_ms: 1000\n", &s, err), 0);
    buf = written(&s, &len);
    CU_ASSERT_PTR_NULL(strstr(buf, "framing"));
    CU_ASSERT_PTR_NULL(strstr(buf, "payload"));
    free(buf);
    /* built in code: replay without framing raw is refused by scn_check */
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "code");
    s.duration_ns = 1000000000LL;
    snprintf(s.device.replay.file, sizeof s.device.replay.file, "d.rec");
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_STRING_EQUAL(err, "(scenario):1:1: replay with framing usbsim; allowed: replay with "
                                "framing raw (a recording plays its own bytes)");
    s.device.framing = SCN_FRAMING_RAW;
    s.device.has_framing = true;
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
}

/* With replay the loader does not count samples from the period (sched_build counts them). */
static void test_replay_not_counted_by_loader(void)
{
    static struct scn_scenario s;
    char err[SCN_ERR_MAX] = "";
    const char *t = "name: t\nduration_ms: 3600000\ndevice:\n  period_us: 10\n";
    CU_ASSERT_EQUAL(parse(t, &s, err), -1); /* 3.6e8 samples */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "allowed: at most 10000000"));
    t = "name: t\nduration_ms: 3600000\ndevice:\n  period_us: 10\n  replay: {file: d.rec}\n";
    CU_ASSERT_EQUAL(parse(t, &s, err), 0);
}

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        static struct scn_scenario s;
        char err[SCN_ERR_MAX] = "", want[SCN_ERR_MAX];
        snprintf(want, sizeof want, "t.yaml:%s", bad[i].msg);
        CU_ASSERT_EQUAL(parse(bad[i].text, &s, err), -1);
        CU_ASSERT_STRING_EQUAL(err, want);
        if (strcmp(err, want) != 0)
            fprintf(stderr, "\ncase %zu:\n got  %s\n want %s\n", i, err, want);
    }
}

static void test_too_long_and_pool(void)
{
    size_t cap = 200000;
    char *t = malloc(cap);
    CU_ASSERT_FATAL(t != NULL);
    int n = snprintf(t, cap, HEAD "  control:\n    - {request_type: 0xc0, request: 1, reply: \"");
    for (int i = 0; i < 4097; i++)
        n += snprintf(t + n, cap - (size_t)n, "00");
    snprintf(t + n, cap - (size_t)n, "\"}\n");
    static struct scn_scenario s;
    char err[SCN_ERR_MAX] = "";
    CU_ASSERT_EQUAL(parse(t, &s, err), -1);
    CU_ASSERT_STRING_EQUAL(err, "t.yaml:5:47: reply: 4097 bytes is too long; " HEX_ALLOWED);
    /* 9 strings of 4096 bytes: over the 32768 bytes of the pool */
    n = snprintf(t, cap, HEAD "  control:\n");
    for (int k = 0; k < 9; k++) {
        n += snprintf(t + n, cap - (size_t)n, "    - {request_type: 0xc0, request: %d, reply: \"", k);
        for (int i = 0; i < 4096; i++)
            n += snprintf(t + n, cap - (size_t)n, "ab");
        n += snprintf(t + n, cap - (size_t)n, "\"}\n");
    }
    CU_ASSERT_EQUAL(parse(t, &s, err), -1);
    if (strncmp(err, "t.yaml:13:47", 12) != 0)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_STRING_EQUAL(err, "t.yaml:13:47: reply: the hex strings of the scenario together are "
                                "over 32768 bytes; allowed: at most 32768 bytes in all");
    free(t);
}

static void test_replay_file(void)
{
    static struct scn_scenario s;
    char err[SCN_ERR_MAX] = "", dir[] = "/tmp/usbsim-replay-XXXXXX", path[128], rec[128];
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    snprintf(rec, sizeof rec, "%s/rec.txt", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(HEAD "  replay: {file: rec.txt, loop: true}\n", f);
    fclose(f);
    char want[SCN_ERR_MAX];
    snprintf(want, sizeof want, "%s:4:11: replay: file 'rec.txt' (%s) does not exist; allowed: a "
             "readable recording, relative to the scenario's directory", path, rec);
    CU_ASSERT_EQUAL(scn_load(path, &s, err), -1);
    CU_ASSERT_STRING_EQUAL(err, want);
    f = fopen(rec, "w");
    CU_ASSERT_FATAL(f != NULL);
    fclose(f);
    CU_ASSERT_EQUAL(scn_load(path, &s, err), 0);
    CU_ASSERT_STRING_EQUAL(s.device.replay.file, "rec.txt");
    CU_ASSERT(s.device.replay.has_loop && s.device.replay.loop == 1);
    unlink(rec);
    unlink(path);
    rmdir(dir);
}

/* Every new key written back and loaded again gives the same scenario (the control table comes
 * before the interfaces in the file, the writer puts it after: the pool is compared by content). */
static void test_round_trip(void)
{
    static const char text[] =
        HEAD "  bcd_device: 0x0234\n  bcd_usb: 0x0210\n  class: 0xef\n  subclass: 2\n"
        "  protocol: 1\n  max_packet0: 16\n  speed: full\n  manufacturer: \"Maker \\\"q\\\"\"\n"
        "  product: \"\"\n  serial: \"SN-1\"\n  config: {attributes: 0xc0, max_power_ma: 250}\n"
        "  packet_size: 64\n  period_us: 4000\n"
        "  control:\n    - {request_type: 0xc0, request: 2, index: 3, reply: \"01 02 03\"}\n"
        "    - {request_type: 0x40, request: 1, value: 1, action: start}\n"
        "    - {request_type: 0x40, request: 1, value: 0, action: stop}\n"
        "    - {request_type: 0x21, request: 9, stall: true}\n"
        "  interfaces:\n"
        "    - number: 0\n      class: 2\n      name: \"Control\"\n"
        "      extra: \"05 24 00 10 01\"\n"
        "      endpoints:\n        - {address: 0x83, type: interrupt, max_packet: 16, "
        "interval: 32, extra: \"03 25 01\"}\n"
        "    - {number: 1, alt: 0, class: 10}\n"
        "    - number: 1\n      alt: 1\n      class: 10\n      endpoints:\n"
        "        - {address: 0x81, type: bulk, max_packet: 64}\n"
        "        - {address: 0x02, type: bulk, max_packet: 64}\n"
        "  stream_endpoint: 0x81\n  start: on_request\n";
    static struct scn_scenario a, b;
    char err[SCN_ERR_MAX] = "";
    int rc = parse(text, &a, err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    if (rc)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_STRING_EQUAL(a.device.manufacturer, "Maker \"q\"");
    CU_ASSERT(a.device.has_product && a.device.product[0] == 0);
    CU_ASSERT_EQUAL(a.device.endpoint, SCN_EP_BULK);
    size_t len = 0;
    char *buf = written(&a, &len);
    rc = scn_parse("again.yaml", buf, len, &b, err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "\n%s\n%s", err, buf);
    /* the same content, hex strings compared by value */
    CU_ASSERT_EQUAL(a.device.n_ifaces, b.device.n_ifaces);
    CU_ASSERT_EQUAL(a.device.n_control, b.device.n_control);
    for (size_t i = 0; i < a.device.n_control; i++) {
        struct scn_ctl x = a.device.control[i], y = b.device.control[i];
        CU_ASSERT_EQUAL(x.reply.len, y.reply.len);
        if (x.reply.len)
            CU_ASSERT(memcmp(scn_bytes_of(&a, &x.reply), scn_bytes_of(&b, &y.reply),
                             x.reply.len) == 0);
        x.reply.off = y.reply.off = 0;
        x.line = y.line = x.col = y.col = 0;
        CU_ASSERT(memcmp(&x, &y, sizeof x) == 0);
    }
    for (size_t i = 0; i < a.device.n_ifaces; i++) {
        struct scn_iface x = a.device.ifaces[i], y = b.device.ifaces[i];
        CU_ASSERT_EQUAL(x.extra.len, y.extra.len);
        if (x.extra.len)
            CU_ASSERT(memcmp(scn_bytes_of(&a, &x.extra), scn_bytes_of(&b, &y.extra),
                             x.extra.len) == 0);
        x.extra.off = y.extra.off = 0;
        x.line = y.line = x.col = y.col = 0;
        for (size_t j = 0; j < SCN_MAX_EPS; j++) {
            CU_ASSERT_EQUAL(x.eps[j].extra.len, y.eps[j].extra.len);
            if (x.eps[j].extra.len)
                CU_ASSERT(memcmp(scn_bytes_of(&a, &x.eps[j].extra),
                                 scn_bytes_of(&b, &y.eps[j].extra), x.eps[j].extra.len) == 0);
            x.eps[j].extra.off = y.eps[j].extra.off = 0;
            x.eps[j].line = y.eps[j].line = x.eps[j].col = y.eps[j].col = 0;
        }
        CU_ASSERT(memcmp(&x, &y, sizeof x) == 0);
    }
    CU_ASSERT_EQUAL(a.device.n_bytes, b.device.n_bytes);
    /* the rest of the device section is compared as a whole */
    memcpy(b.device.ifaces, a.device.ifaces, sizeof a.device.ifaces);
    memcpy(b.device.control, a.device.control, sizeof a.device.control);
    memcpy(b.device.bytes, a.device.bytes, sizeof a.device.bytes);
    memcpy(b.file, a.file, sizeof a.file);
    CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    /* the writer's text loads to itself again: a fixed point */
    size_t len2 = 0;
    scn_parse("again.yaml", buf, len, &b, err);
    char *buf2 = written(&b, &len2);
    CU_ASSERT(len == len2 && memcmp(buf, buf2, len) == 0);
    free(buf);
    free(buf2);
}

/* A struct built in code (as `usbsim import` may build one): no stream_endpoint given, the
 * default `endpoint`: scn_check accepts it, the stream is on the first IN endpoint. */
static void test_built_in_code(void)
{
    static struct scn_scenario s;
    char err[SCN_ERR_MAX] = "";
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "code");
    s.duration_ns = 1000000000LL;
    s.device.packet_size = 64;
    s.device.n_ifaces = 1;
    struct scn_iface *f = &s.device.ifaces[0];
    f->cls = 0xff;
    f->n_eps = 2;
    f->eps[0] = (struct scn_ep){.address = 0x01, .type = SCN_EP_BULK, .max_packet = 512};
    f->eps[1] = (struct scn_ep){.address = 0x82, .type = SCN_EP_BULK, .max_packet = 512};
    static const uint8_t cs[] = {0x05, 0x24, 0x00, 0x10, 0x01};
    CU_ASSERT_EQUAL(scn_bytes_add(&s, &f->extra, cs, sizeof cs), 0);
    CU_ASSERT_EQUAL(scn_check(&s, err), 0);
    if (err[0])
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL(scn_stream_ep(&s), 0x82);
    s.device.ifaces[0].eps[1].address = 0x02; /* no IN endpoint left */
    CU_ASSERT_EQUAL(scn_check(&s, err), -1);
    CU_ASSERT_STRING_EQUAL(err, "(scenario):1:1: interfaces list no IN endpoint; allowed: at "
                                "least one IN endpoint (bit 7 of address set) to play the stream");
}

/* stream and on_data load as written, and survive write then load. */
static void test_ep_roles_round_trip(void)
{
    static const char text[] =
        HEAD "  framing: raw\n  packet_size: 8\n  start: on_request\n  interfaces:\n"
        "    - number: 0\n      endpoints:\n"
        "        - {address: 0x81, type: interrupt, max_packet: 8}\n"
        "        - address: 0x83\n          type: interrupt\n          max_packet: 8\n"
        "          stream: {period_us: 2500, packet_size: 3, generator: pattern, pattern: \"0a 0b\"}\n"
        "        - {address: 0x84, type: bulk, max_packet: 512}\n"
        "        - address: 0x02\n          type: bulk\n          max_packet: 512\n"
        "          on_data: {reply: \"06 07\", endpoint: 0x84}\n"
        "        - {address: 0x03, type: bulk, max_packet: 512, on_data: {action: start}}\n";
    static struct scn_scenario a, b;
    char err[SCN_ERR_MAX] = "";
    int rc = parse(text, &a, err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const struct scn_ep *e = scn_find_ep(&a, 0x83, NULL), *o = scn_find_ep(&a, 0x02, NULL);
    CU_ASSERT_FATAL(e && o);
    CU_ASSERT(e->stream.set && e->stream.period_ns == 2500000 && e->stream.packet_size == 3);
    CU_ASSERT_EQUAL(e->stream.payload.generator, SCN_GEN_PATTERN);
    CU_ASSERT(memcmp(scn_bytes_of(&a, &e->stream.payload.pattern), "\x0a\x0b", 2) == 0);
    CU_ASSERT(o->on_data.set && o->on_data.reply.len == 2 && o->on_data.endpoint == 0x84);
    CU_ASSERT_FALSE(o->on_data.has_action || o->stream.set);
    CU_ASSERT(scn_find_ep(&a, 0x03, NULL)->on_data.has_action);
    CU_ASSERT_FALSE(scn_find_ep(&a, 0x84, NULL)->stream.set);
    CU_ASSERT_EQUAL(scn_check(&a, err), 0);
    size_t len = 0;
    char *buf = written(&a, &len);
    rc = scn_parse("again.yaml", buf, len, &b, err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const struct scn_ep *e2 = scn_find_ep(&b, 0x83, NULL), *o2 = scn_find_ep(&b, 0x02, NULL);
    CU_ASSERT(e2->stream.set && e2->stream.period_ns == 2500000 && e2->stream.packet_size == 3);
    CU_ASSERT(e2->stream.payload.generator == SCN_GEN_PATTERN && e2->stream.payload.pattern.len == 2);
    CU_ASSERT(o2->on_data.set && o2->on_data.endpoint == 0x84 && o2->on_data.reply.len == 2);
    CU_ASSERT(memcmp(scn_bytes_of(&b, &o2->on_data.reply), "\x06\x07", 2) == 0);
    CU_ASSERT(scn_find_ep(&b, 0x03, NULL)->on_data.action == SCN_ACT_START);
    free(buf);
}

static CU_TestInfo tests[] = {
    {"a v1 file keeps its meaning (the defaults)", test_defaults_keep_v1},
    {"the HID example loads as written", test_hid_example},
    {"the vendor-start example loads as written", test_vendor_example},
    {"each loader error: exact line:col and message", test_errors},
    {"hex strings: too long, the pool full", test_too_long_and_pool},
    {"replay: the file must exist beside the scenario", test_replay_file},
    {"framing and payload load; replay alone means raw", test_framing_keys},
    {"replay: the loader leaves counting samples to the plan", test_replay_not_counted_by_loader},
    {"every new key survives write then load", test_round_trip},
    {"stream and on_data: loaded, written, loaded again", test_ep_roles_round_trip},
    {"a struct built in code: the stream on the first IN endpoint", test_built_in_code},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("scenario_device", tests); }

/* Tests of `usbsim import` (harness/usbmon_read, harness/import): captures built here record by
 * record (pcap through libpcap's dump API, pcapng by hand, both usbmon link types), imported
 * through the command line; malformed captures each with their exact message; and a round trip
 * through usbsim's own device: its USB/IP server, driven in process the way Linux enumerates a
 * device, captured with --pcap's writer, imported back to the same descriptors and packets. */
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/import.h"
#include "harness/usbmon_read.h"
#include "sim/capture.h"
#include "sim/packet.h"
#include "sim/recording.h"
#include "sim/usb_device.h"
#include "sim/usbip_proto.h"
#include "sim/usbip_server.h"
#include "tests/cu.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/usbsim-imp-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CU_ASSERT(system(cmd) == 0);
}

static char *path_in(const char *name)
{
    static char p[256][160];
    static int k;
    k = (k + 1) % 256;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 22);
    size_t n = buf ? fread(buf, 1, (1 << 22) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* ---- building captures ----------------------------------------------------------------------- */

#define MAX_RECS 512
struct capture {
    int hdr;               /* 64 or 48 */
    size_t n;
    uint8_t *rec[MAX_RECS];
    size_t len[MAX_RECS];
    size_t wire[MAX_RECS]; /* 0: = len */
    int64_t t_us;          /* the clock of the next record */
    uint64_t next_id;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* One usbmon record; len_cap may be below data_len's truth (a fragment) when len_cap != n. */
static void event(struct capture *c, uint64_t id, char type, uint8_t xfer, uint8_t ep, uint8_t dev,
                  uint16_t bus, const uint8_t *setup, int32_t status, uint32_t length,
                  const uint8_t *data, uint32_t n, uint32_t len_cap)
{
    CU_ASSERT_FATAL(c->n < MAX_RECS);
    uint8_t *r = calloc(1, (size_t)c->hdr + n);
    put64(r, id);
    r[8] = (uint8_t)type;
    r[9] = xfer;
    r[10] = ep;
    r[11] = dev;
    put16(r + 12, bus);
    r[14] = setup ? 0 : '-';
    r[15] = n ? 0 : (type == 'S' && (ep & 0x80)) ? '<' : '>';
    put64(r + 16, (uint64_t)(c->t_us / 1000000));
    put32(r + 24, (uint32_t)(c->t_us % 1000000));
    put32(r + 28, (uint32_t)status);
    put32(r + 32, length);
    put32(r + 36, len_cap);
    if (setup)
        memcpy(r + 40, setup, 8);
    if (n)
        memcpy(r + c->hdr, data, n);
    c->rec[c->n] = r;
    c->len[c->n] = (size_t)c->hdr + n;
    c->wire[c->n++] = 0;
}

/* A control transfer: submit, then its completion 100 us later. */
static void control(struct capture *c, uint8_t dev, const uint8_t setup[8], const uint8_t *reply,
                    uint32_t n, int32_t status)
{
    uint64_t id = c->next_id++;
    int in = setup[0] & 0x80;
    uint16_t wlen = (uint16_t)(setup[6] | setup[7] << 8);
    event(c, id, 'S', 2, in ? 0x80 : 0x00, dev, 1, setup, -115, wlen, in ? NULL : reply,
          in ? 0 : n, in ? 0 : n);
    c->t_us += 100;
    event(c, id, 'C', 2, in ? 0x80 : 0x00, dev, 1, NULL, status, in ? n : wlen, in ? reply : NULL,
          in ? n : 0, in ? n : 0);
    c->t_us += 100;
}

static void get_descriptor(struct capture *c, uint8_t dev, uint8_t rt, uint16_t value,
                           uint16_t index, const uint8_t *reply, uint16_t n)
{
    uint8_t s[8] = {rt, 6, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)index,
                    (uint8_t)(index >> 8), (uint8_t)n, (uint8_t)(n >> 8)};
    control(c, dev, s, reply, n, 0);
}

/* An IN transfer on ep completing with n bytes at the current time (its submit 10 us before). */
static void in_packet(struct capture *c, uint8_t dev, uint8_t ep, const uint8_t *d, uint32_t n)
{
    uint64_t id = c->next_id++;
    c->t_us -= 10;
    event(c, id, 'S', 1, ep, dev, 1, NULL, -115, 64, NULL, 0, 0);
    c->t_us += 10;
    event(c, id, 'C', 1, ep, dev, 1, NULL, 0, n, d, n, n);
}

static int write_pcap(const struct capture *c, int linktype, const char *path)
{
    pcap_t *p = pcap_open_dead(linktype, 65535);
    pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;
    if (!d)
        return -1;
    for (size_t i = 0; i < c->n; i++) {
        int64_t t = (int64_t)c->rec[i][16] | (int64_t)c->rec[i][17] << 8; /* seconds < 65536 */
        struct pcap_pkthdr h = {.ts = {.tv_sec = t, .tv_usec = 0}, .caplen = (bpf_u_int32)c->len[i],
                                .len = (bpf_u_int32)(c->wire[i] ? c->wire[i] : c->len[i])};
        pcap_dump((u_char *)d, &h, c->rec[i]);
    }
    pcap_dump_close(d);
    pcap_close(p);
    return 0;
}

/* The capture as a big-endian host writes it: the file's headers and each usbmon header's
 * fields in big-endian order (libpcap reads it back in this host's order). */
static void swap(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
}

static int write_pcap_big_endian(const struct capture *c, int linktype, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint8_t h[24] = {0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
                     0, 0, 0xff, 0xff, 0, 0, 0, (uint8_t)linktype};
    fwrite(h, 1, sizeof h, f);
    static const uint8_t fields[][2] = {{0, 8}, {12, 2}, {16, 8}, {24, 4}, {28, 4}, {32, 4},
                                        {36, 4}, {48, 4}, {52, 4}, {56, 4}, {60, 4}};
    for (size_t i = 0; i < c->n; i++) {
        uint8_t *r = malloc(c->len[i]);
        memcpy(r, c->rec[i], c->len[i]);
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if (fields[k][0] + fields[k][1] <= (size_t)c->hdr)
                swap(r + fields[k][0], fields[k][1]);
        uint8_t ph[16];
        put32(ph, r[23]); /* a time (the usbmon header's is the one read), caplen, len */
        swap(ph, 4);
        put32(ph + 4, 0);
        put32(ph + 8, (uint32_t)c->len[i]);
        swap(ph + 8, 4);
        memcpy(ph + 12, ph + 8, 4);
        fwrite(ph, 1, sizeof ph, f);
        fwrite(r, 1, c->len[i], f);
        free(r);
    }
    return fclose(f);
}

/* pcapng, by hand (libpcap writes only pcap): a section header, one interface, one enhanced
 * packet block per record. */
static void ng_block(FILE *f, uint32_t type, const uint8_t *body, size_t n)
{
    uint8_t h[8];
    size_t pad = (4 - n % 4) % 4;
    uint32_t total = (uint32_t)(12 + n + pad);
    put32(h, type);
    put32(h + 4, total);
    fwrite(h, 1, 8, f);
    fwrite(body, 1, n, f);
    fwrite("\0\0\0", 1, pad, f);
    put32(h, total);
    fwrite(h, 1, 4, f);
}

static int write_pcapng(const struct capture *c, int linktype, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint8_t shb[16], idb[8];
    put32(shb, 0x1A2B3C4D);
    put16(shb + 4, 1);
    put16(shb + 6, 0);
    put64(shb + 8, UINT64_MAX);
    ng_block(f, 0x0A0D0D0A, shb, sizeof shb);
    put16(idb, (uint16_t)linktype);
    put16(idb + 2, 0);
    put32(idb + 4, 65535);
    ng_block(f, 1, idb, sizeof idb);
    for (size_t i = 0; i < c->n; i++) {
        uint8_t *b = malloc(20 + c->len[i]);
        uint64_t t = (uint64_t)((int64_t)c->rec[i][16] | (int64_t)c->rec[i][17] << 8) * 1000000;
        put32(b, 0);
        put32(b + 4, (uint32_t)(t >> 32));
        put32(b + 8, (uint32_t)t);
        put32(b + 12, (uint32_t)c->len[i]);
        put32(b + 16, (uint32_t)c->len[i]);
        memcpy(b + 20, c->rec[i], c->len[i]);
        ng_block(f, 6, b, 20 + c->len[i]);
        free(b);
    }
    return fclose(f);
}

static void free_capture(struct capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->rec[i]);
    c->n = 0;
}

/* A HID-like device at 1.dev: its enumeration as Linux does it (64 bytes of the device
 * descriptor at address 0 first), a HID report descriptor, a vendor request that starts it, then
 * `packets` 8-byte reports on 0x81 every 8 ms and two on 0x82. */
static const uint8_t hid_device[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x09, 0x12, 0x34, 0x12,
                                       0x00, 0x01, 1, 2, 3, 1};
static const uint8_t hid_config[9 + 9 + 9 + 7 + 7] = {
    9, 2, 41, 0, 1, 1, 0, 0xA0, 50,
    9, 4, 0, 0, 2, 3, 1, 2, 4,
    9, 0x21, 0x11, 0x01, 0, 1, 0x22, 4, 0,
    7, 5, 0x81, 3, 8, 0, 8,
    7, 5, 0x82, 2, 0x40, 0, 0};
static const uint8_t report[4] = {0x05, 0x01, 0x09, 0x02};

static void utf16(uint8_t *out, const char *s)
{
    size_t n = strlen(s);
    out[0] = (uint8_t)(2 + 2 * n);
    out[1] = 3;
    for (size_t i = 0; i < n; i++)
        out[2 + 2 * i] = (uint8_t)s[i], out[3 + 2 * i] = 0;
}

static void enumerate(struct capture *c, uint8_t dev)
{
    get_descriptor(c, 0, 0x80, 0x0100, 0, hid_device, 18); /* at address 0 */
    uint8_t set_addr[8] = {0, 5, dev, 0, 0, 0, 0, 0};
    control(c, 0, set_addr, NULL, 0, 0);
    get_descriptor(c, dev, 0x80, 0x0100, 0, hid_device, 18);
    get_descriptor(c, dev, 0x80, 0x0200, 0, hid_config, 9);
    get_descriptor(c, dev, 0x80, 0x0200, 0, hid_config, sizeof hid_config);
    uint8_t langs[4] = {4, 3, 0x09, 0x04}, s[64];
    get_descriptor(c, dev, 0x80, 0x0300, 0, langs, 4);
    utf16(s, "Acme \"Labs\"");
    get_descriptor(c, dev, 0x80, 0x0301, 0x0409, s, s[0]);
    utf16(s, "Pointer");
    get_descriptor(c, dev, 0x80, 0x0302, 0x0407, s, s[0]); /* another language first */
    utf16(s, "Mouse");
    get_descriptor(c, dev, 0x80, 0x0302, 0x0409, s, s[0]);
    utf16(s, "SN1");
    get_descriptor(c, dev, 0x80, 0x0303, 0x0409, s, s[0]);
    utf16(s, "Boot");
    get_descriptor(c, dev, 0x80, 0x0304, 0x0409, s, s[0]);
    uint8_t set_config[8] = {0, 9, 1, 0, 0, 0, 0, 0};
    control(c, dev, set_config, NULL, 0, 0);
    uint8_t set_idle[8] = {0x21, 0x0A, 0, 0, 0, 0, 0, 0};
    control(c, dev, set_idle, NULL, 0, -32); /* stalled */
    get_descriptor(c, dev, 0x81, 0x2200, 0, report, sizeof report);
    uint8_t vendor_in[8] = {0xC0, 0x33, 0, 0, 0, 0, 2, 0}, v[2] = {0xBE, 0xEF};
    control(c, dev, vendor_in, v, 2, 0);
    uint8_t start[8] = {0x40, 1, 1, 0, 0, 0, 0, 0};
    control(c, dev, start, NULL, 0, 0);
}

static void stream(struct capture *c, uint8_t dev, int packets)
{
    for (int i = 0; i < packets; i++) {
        c->t_us += 8000;
        uint8_t d[8] = {(uint8_t)i, 1, 2, 3, 4, 5, 6, (uint8_t)(0xF0 + dev)};
        in_packet(c, dev, 0x81, d, i == 3 ? 4 : 8); /* one short report */
        if (i == 1 || i == 5)
            in_packet(c, dev, 0x82, d, 2);
    }
}

static void hid_capture(struct capture *c, int hdr)
{
    memset(c, 0, sizeof *c);
    c->hdr = hdr;
    c->t_us = 1000LL * 1000000 + 5;
    c->next_id = 0xffff8880000000ull;
    enumerate(c, 5);
    stream(c, 5, 10);
}

/* ---- running the command --------------------------------------------------------------------- */

static char out_text[8192], err_text[8192];

/* Runs `usbsim ARGS...` in process; its stdout and stderr land in out_text and err_text. */
static int run(const char *a0, ...)
{
    char *argv[16] = {"usbsim", (char *)a0};
    int argc = 2;
    va_list ap;
    va_start(ap, a0);
    for (char *a; argc < 15 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    char *po = path_in("stdout"), *pe = path_in("stderr");
    int so = dup(1), se = dup(2);
    int fo = open(po, O_CREAT | O_TRUNC | O_WRONLY, 0600),
        fe = open(pe, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so), close(se), close(fo), close(fe);
    char *o = slurp(po, NULL), *e = slurp(pe, NULL);
    snprintf(out_text, sizeof out_text, "%s", o ? o : "");
    snprintf(err_text, sizeof err_text, "%s", e ? e : "");
    free(o);
    free(e);
    return rc;
}

static void expect_err(const char *want)
{
    if (strcmp(err_text, want) != 0) {
        printf("\n  stderr: '%s'\n  wanted: '%s'\n", err_text, want);
        CU_FAIL("the error message");
    }
}

static const char hid_yaml_body[] =
    "name: hid\n"
    "seed: 1\n"
    "duration_ms: 80\n"
    "device:\n"
    "  vid: 0x1209\n"
    "  pid: 0x1234\n"
    "  bcd_device: 0x0100\n"
    "  bcd_usb: 0x0200\n"
    "  class: 0\n"
    "  subclass: 0\n"
    "  protocol: 0\n"
    "  max_packet0: 64\n"
    "  speed: full\n"
    "  manufacturer: \"Acme \\\"Labs\\\"\"\n"
    "  product: \"Mouse\"\n"
    "  serial: \"SN1\"\n"
    "  config: {attributes: 0xa0, max_power_ma: 100}\n"
    "  interfaces:\n"
    "    - number: 0\n"
    "      alt: 0\n"
    "      class: 0x03\n"
    "      subclass: 0x01\n"
    "      protocol: 0x02\n"
    "      name: \"Boot\"\n"
    "      name_index: 4\n"
    "      extra: \"09 21 11 01 00 01 22 04 00\"\n"
    "      endpoints:\n"
    "        - {address: 0x81, type: interrupt, max_packet: 8, interval: 8, extra: \"\"}\n"
    "        - {address: 0x82, type: bulk, max_packet: 64, interval: 0, extra: \"\"}\n"
    "  stream_endpoint: 0x81\n"
    "  packet_size: 8\n"
    "  period_us: 8000\n"
    "  control:\n"
    "    - {request_type: 0x21, request: 10, value: 0x0000, index: 0, stall: true}\n"
    "    - {request_type: 0x81, request: 6, value: 0x2200, index: 0, reply: \"05 01 09 02\"}\n"
    "    - {request_type: 0xc0, request: 51, value: 0x0000, index: 0, reply: \"be ef\"}\n"
    "    - {request_type: 0x40, request: 1, value: 0x0001, index: 0, action: start}\n"
    "  start: on_request\n"
    "  framing: raw\n"
    "  replay: {file: \"hid.rec\", loop: false}\n";

/* The HID capture imported: the scenario's text exactly, and the recording's packets. */
static void check_hid_import(const char *capture_name)
{
    char *yaml = path_in("hid.yaml");
    int rc = run("import", path_in(capture_name), "-o", yaml, NULL);
    CU_ASSERT(rc == 0);
    expect_err("");
    char want_out[512];
    snprintf(want_out, sizeof want_out, "device 1.5 (1209:1234 Mouse): 12 packets, stream 0x81: "
             "8 B every 8000 us; 4 control requests -> %s, %s/hid.rec\n", yaml, dir);
    CU_ASSERT_STRING_EQUAL(out_text, want_out);
    char *text = slurp(yaml, NULL);
    CU_ASSERT_FATAL(text != NULL);
    const char *body = strstr(text, "name: ");
    CU_ASSERT_FATAL(body != NULL);
    if (strcmp(body, hid_yaml_body) != 0)
        printf("\n--- got\n%s--- want\n%s", body, hid_yaml_body);
    CU_ASSERT_STRING_EQUAL(body, hid_yaml_body);
    char head[128];
    snprintf(head, sizeof head, "# Imported by usbsim import from %s (device 1.5).\nname: ",
             capture_name);
    CU_ASSERT(strncmp(text, head, strlen(head)) == 0);
    free(text);
    struct rec_file r;
    char err[REC_FILE_ERR_MAX];
    CU_ASSERT_FATAL(rec_load(path_in("hid.rec"), &r, err) == 0);
    CU_ASSERT_FATAL(r.n == 12);
    size_t k = 0;
    for (int i = 0; i < 10; i++) {
        CU_ASSERT(r.p[k].ep == 0x81 && r.p[k].t_us == 8000LL * i);
        CU_ASSERT(r.p[k].len == (i == 3 ? 4u : 8u) && rec_bytes(&r, k)[0] == i);
        k++;
        if (i == 1 || i == 5) {
            CU_ASSERT(r.p[k].ep == 0x82 && r.p[k].len == 2 && r.p[k].t_us == 8000LL * i);
            k++;
        }
    }
    rec_file_free(&r);
}

static void test_import_pcap_mmapped(void)
{
    make_dir();
    struct capture c;
    hid_capture(&c, 64);
    CU_ASSERT_FATAL(write_pcap(&c, 220, path_in("hid.pcap")) == 0);
    check_hid_import("hid.pcap");
    free_capture(&c);
    remove_dir();
}

static void test_import_pcap_legacy(void)
{
    make_dir();
    struct capture c;
    hid_capture(&c, 48);
    CU_ASSERT_FATAL(write_pcap(&c, 189, path_in("hid48.pcap")) == 0);
    check_hid_import("hid48.pcap");
    free_capture(&c);
    remove_dir();
}

static void test_import_big_endian(void)
{
    make_dir();
    struct capture c;
    hid_capture(&c, 64);
    CU_ASSERT_FATAL(write_pcap_big_endian(&c, 220, path_in("hid-be.pcap")) == 0);
    check_hid_import("hid-be.pcap");
    free_capture(&c);
    hid_capture(&c, 48);
    CU_ASSERT_FATAL(write_pcap_big_endian(&c, 189, path_in("hid48-be.pcap")) == 0);
    check_hid_import("hid48-be.pcap");
    free_capture(&c);
    remove_dir();
}

static void test_import_pcapng(void)
{
    make_dir();
    struct capture c;
    hid_capture(&c, 64);
    CU_ASSERT_FATAL(write_pcapng(&c, 220, path_in("hid.pcapng")) == 0);
    check_hid_import("hid.pcapng");
    free_capture(&c);
    hid_capture(&c, 48);
    CU_ASSERT_FATAL(write_pcapng(&c, 189, path_in("hid48.pcapng")) == 0);
    check_hid_import("hid48.pcapng");
    free_capture(&c);
    remove_dir();
}

/* ---- malformed captures ---------------------------------------------------------------------- */

static void test_truncated(void)
{
    make_dir();
    struct capture c;
    hid_capture(&c, 64);
    char *cap = path_in("cut.pcap");
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    struct stat st;
    CU_ASSERT_FATAL(stat(cap, &st) == 0);
    /* inside the last record's data */
    CU_ASSERT_FATAL(truncate(cap, st.st_size - 3) == 0);
    char want[256];
    snprintf(want, sizeof want, "usbsim import: %s: truncated capture (the file ends inside "
             "record %zu)\n", cap, c.n);
    CU_ASSERT(run("import", cap, "-o", path_in("x.yaml"), NULL) == 2);
    expect_err(want);
    /* inside a record's header */
    CU_ASSERT_FATAL(truncate(cap, 24 + 16 + (off_t)c.len[0] + 5) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: truncated capture (the file ends inside "
             "record 2)\n", cap);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    /* inside the file header */
    CU_ASSERT_FATAL(truncate(cap, 10) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: truncated capture (the file ends inside "
             "its file header)\n", cap);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    /* pcapng, cut inside a block */
    cap = path_in("cut.pcapng");
    CU_ASSERT_FATAL(write_pcapng(&c, 220, cap) == 0);
    CU_ASSERT_FATAL(stat(cap, &st) == 0);
    CU_ASSERT_FATAL(truncate(cap, st.st_size - 7) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: truncated capture (the file ends inside "
             "record %zu)\n", cap, c.n);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    free_capture(&c);
    CU_ASSERT(access(path_in("x.yaml"), F_OK) != 0); /* nothing written */
    remove_dir();
}

static void test_wrong_link_type(void)
{
    make_dir();
    struct capture c;
    hid_capture(&c, 64);
    char *cap = path_in("eth.pcap"), want[256];
    CU_ASSERT_FATAL(write_pcap(&c, DLT_EN10MB, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: link type 1 (EN10MB) is not a usbmon capture "
             "(expected USB_LINUX 189 or USB_LINUX_MMAPPED 220)\n", cap);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    cap = path_in("usbpcap.pcapng"); /* Windows' USBPcap */
    CU_ASSERT_FATAL(write_pcapng(&c, 249, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: link type 249 (USBPCAP) is not a usbmon "
             "capture (expected USB_LINUX 189 or USB_LINUX_MMAPPED 220)\n", cap);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    cap = path_in("text.pcap");
    FILE *f = fopen(cap, "w");
    fputs("this is not a capture at all\n", f);
    fclose(f);
    CU_ASSERT(run("import", cap, NULL) == 2);
    snprintf(want, sizeof want, "usbsim import: %s: not a pcap or pcapng capture (", cap);
    CU_ASSERT(strncmp(err_text, want, strlen(want)) == 0);
    CU_ASSERT(strchr(err_text, '\n') == err_text + strlen(err_text) - 1); /* one line */
    /* no such file, a folder, an empty file */
    snprintf(want, sizeof want, "usbsim import: %s/none.pcap: No such file or directory\n", dir);
    CU_ASSERT(run("import", path_in("none.pcap"), NULL) == 2);
    expect_err(want);
    snprintf(want, sizeof want, "usbsim import: %s: is a folder, not a capture\n", dir);
    CU_ASSERT(run("import", dir, NULL) == 2);
    expect_err(want);
    cap = path_in("empty.pcap");
    fclose(fopen(cap, "w"));
    snprintf(want, sizeof want, "usbsim import: %s: empty file: not a pcap or pcapng capture\n",
             cap);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    free_capture(&c);
    remove_dir();
}

static void test_fragments(void)
{
    make_dir();
    struct capture c = {.hdr = 64, .t_us = 5000000, .next_id = 1};
    enumerate(&c, 3);
    /* an IN completion that says 64 bytes were transferred, with 16 captured */
    uint8_t d[64] = {1};
    event(&c, 99, 'S', 3, 0x81, 3, 1, NULL, -115, 64, NULL, 0, 0);
    event(&c, 99, 'C', 3, 0x81, 3, 1, NULL, 0, 64, d, 16, 16);
    char *cap = path_in("frag.pcap"), want[400];
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: URB fragment in record %zu: 16 of the 64 data "
             "bytes of a transfer on endpoint 0x81 of device 1.3 were captured (capture whole "
             "transfers: no snap length)\n", cap, c.n);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    /* the record cut by the capture's snap length: pcap's length above what it holds */
    c.n--;
    free(c.rec[c.n]);
    event(&c, 99, 'C', 3, 0x81, 3, 1, NULL, 0, 64, d, 20, 64);
    c.wire[c.n - 1] = 64 + 64;
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: URB fragment in record %zu: 20 of the 64 data "
             "bytes of a transfer on endpoint 0x81 of device 1.3 were captured (capture whole "
             "transfers: no snap length)\n", cap, c.n);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    /* a record that says more data than it holds, not cut by a snap length: malformed */
    c.wire[c.n - 1] = 0;
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: record %zu says 64 data bytes follow its "
             "header, it holds 20\n", cap, c.n);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    /* a record shorter than the usbmon header */
    c.len[c.n - 1] = 20;
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: record %zu is 20 bytes, shorter than the "
             "64-byte usbmon header\n", cap, c.n);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    c.len[c.n - 1] = 47;
    CU_ASSERT_FATAL(write_pcap(&c, 189, cap) == 0);
    CU_ASSERT(run("import", cap, NULL) == 2);
    /* the 64-byte records read as 48-byte ones hold 16 bytes more than they say, which is
     * allowed; the short one is refused */
    snprintf(want, sizeof want, "usbsim import: %s: record %zu is 47 bytes, shorter than the "
             "48-byte usbmon header\n", cap, c.n);
    expect_err(want);
    /* an OUT control submit whose data was cut */
    free_capture(&c);
    c = (struct capture){.hdr = 64, .t_us = 5000000, .next_id = 1};
    enumerate(&c, 3);
    uint8_t out_setup[8] = {0x40, 2, 0, 0, 0, 0, 8, 0};
    event(&c, 77, 'S', 2, 0x00, 3, 1, out_setup, -115, 8, d, 3, 3);
    event(&c, 77, 'C', 2, 0x00, 3, 1, NULL, 0, 8, NULL, 0, 0);
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: URB fragment in record %zu: 3 of the 8 data "
             "bytes of a transfer on endpoint 0x00 of device 1.3 were captured (capture whole "
             "transfers: no snap length)\n", cap, c.n - 1);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    /* an unknown event type */
    c.rec[0][8] = 'X';
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: record 1: event type 0x58 is not a usbmon "
             "event (S, C or E)\n", cap);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    free_capture(&c);
    remove_dir();
}

static void test_no_enumeration(void)
{
    make_dir();
    struct capture c = {.hdr = 64, .t_us = 7000000, .next_id = 1};
    stream(&c, 4, 6);
    char *cap = path_in("late.pcap"), *yaml = path_in("late.yaml"), want[512];
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: no enumeration of device 1.4 in the capture "
             "(plug the device in while capturing): %s and %s/late.rec are written, their "
             "descriptors marked 'fill in'\n", cap, yaml, dir);
    CU_ASSERT(run("import", cap, "-o", yaml, NULL) == 2);
    expect_err(want);
    CU_ASSERT_STRING_EQUAL(out_text, "");
    char *text = slurp(yaml, NULL);
    CU_ASSERT_FATAL(text != NULL);
    CU_ASSERT(strstr(text, "  vid: 0x1209   # fill in\n") != NULL);
    CU_ASSERT(strstr(text, "  speed: full   # fill in\n") != NULL);
    CU_ASSERT(strstr(text, "        - {address: 0x81, type: interrupt, max_packet: 8, interval: 1, "
                           "extra: \"\"}\n        - {address: 0x82, type: interrupt, max_packet: 2,"
                           " interval: 1, extra: \"\"}\n") != NULL);
    CU_ASSERT(strstr(text, "  stream_endpoint: 0x81\n  packet_size: 8\n  period_us: 8000\n") != NULL);
    CU_ASSERT(strstr(text, "  framing: raw\n  replay: {file: \"late.rec\", loop: false}\n") != NULL);
    free(text);
    struct rec_file r;
    char err[REC_FILE_ERR_MAX];
    CU_ASSERT(rec_load(path_in("late.rec"), &r, err) == 0 && r.n == 8);
    rec_file_free(&r);
    free_capture(&c);
    remove_dir();
}

static void test_two_devices(void)
{
    make_dir();
    struct capture c = {.hdr = 64, .t_us = 9000000, .next_id = 1};
    enumerate(&c, 5);
    stream(&c, 7, 3); /* a device plugged in before the capture */
    stream(&c, 5, 4);
    /* the root hub: port status requests, not a device to import */
    uint8_t port[8] = {0xA3, 0, 0, 0, 1, 0, 4, 0}, st[4] = {0};
    control(&c, 1, port, st, 4, 0);
    char *cap = path_in("two.pcap"), want[600];
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want,
             "usbsim import: %s: 2 devices in the capture; choose one with --device BUS.ADDR:\n"
             "  1.5     1209:1234  Mouse                    5 packets\n"
             "  1.7     ????:????  (no product string)      4 packets\n", cap);
    CU_ASSERT(run("import", cap, "-o", path_in("two.yaml"), NULL) == 2);
    expect_err(want);
    CU_ASSERT(access(path_in("two.yaml"), F_OK) != 0);
    CU_ASSERT(run("import", cap, "--device", "1.5", "-o", path_in("two.yaml"), NULL) == 0);
    expect_err("");
    struct rec_file r;
    char err[REC_FILE_ERR_MAX];
    CU_ASSERT(rec_load(path_in("two.rec"), &r, err) == 0 && r.n == 5);
    for (size_t i = 0; i < r.n; i++)
        CU_ASSERT(rec_bytes(&r, i)[r.p[i].len - 1] == 0xF5 || r.p[i].len < 8);
    rec_file_free(&r);
    snprintf(want, sizeof want, "usbsim import: %s: no device 1.9 in the capture (it has 1.5, "
             "1.7)\n", cap);
    CU_ASSERT(run("import", cap, "--device", "1.9", NULL) == 2);
    expect_err(want);
    CU_ASSERT(run("import", cap, "--device", "5", NULL) == 2);
    expect_err("usbsim import: --device takes BUS.ADDR, decimal, as lsusb numbers them (1.2 for "
               "Bus 001 Device 002), not '5' (try 'usbsim import --help')\n");
    CU_ASSERT(run("import", cap, "--device", "1.7", "-o", path_in("seven.yaml"), NULL) == 2);
    CU_ASSERT(strstr(err_text, "no enumeration of device 1.7") != NULL);
    free_capture(&c);
    /* nothing but the hub */
    c = (struct capture){.hdr = 64, .t_us = 9000000, .next_id = 1};
    control(&c, 1, port, st, 4, 0);
    CU_ASSERT_FATAL(write_pcap(&c, 220, cap) == 0);
    snprintf(want, sizeof want, "usbsim import: %s: no USB device moved data in the capture\n",
             cap);
    CU_ASSERT(run("import", cap, NULL) == 2);
    expect_err(want);
    free_capture(&c);
    remove_dir();
}

/* Records fed straight in: pairing by URB id, a completion without its submit, hostile lengths. */
static void test_feed(void)
{
    struct umr_capture u = {.hdr_size = 64};
    struct capture c = {.hdr = 64, .t_us = 1000000, .next_id = 1};
    uint8_t d[4] = {9, 8, 7, 6};
    event(&c, 1, 'S', 1, 0x81, 2, 1, NULL, -115, 4, NULL, 0, 0);
    event(&c, 2, 'S', 1, 0x81, 2, 1, NULL, -115, 4, NULL, 0, 0);
    event(&c, 2, 'C', 1, 0x81, 2, 1, NULL, 0, 4, d, 4, 4);
    event(&c, 3, 'C', 1, 0x81, 2, 1, NULL, 0, 4, d, 4, 4); /* submitted before the capture */
    event(&c, 1, 'C', 1, 0x81, 2, 1, NULL, -2, 0, NULL, 0, 0);
    char err[UMR_ERR_MAX];
    for (size_t i = 0; i < c.n; i++)
        CU_ASSERT(umr_feed(&u, c.rec[i], c.len[i], c.len[i], err) == 0);
    CU_ASSERT_FATAL(u.n == 3);
    CU_ASSERT(u.x[0].has_submit && u.x[0].data_len == 4 && u.x[0].record == 3);
    CU_ASSERT(!u.x[1].has_submit && u.x[1].data_len == 4);
    CU_ASSERT(u.x[2].has_submit && u.x[2].status == -2 && u.npend == 0);
    /* isochronous, 64-byte header: two 16-byte descriptors before the data, counted in the
     * captured length */
    uint8_t iso[32 + 4] = {0};
    memcpy(iso + 32, d, 4);
    event(&c, 4, 'C', 0, 0x83, 2, 1, NULL, 0, 4, iso, sizeof iso, sizeof iso);
    put32(c.rec[c.n - 1] + 60, 2);
    CU_ASSERT(umr_feed(&u, c.rec[c.n - 1], c.len[c.n - 1], c.len[c.n - 1], err) == 0);
    CU_ASSERT_FATAL(u.n == 4);
    CU_ASSERT(u.x[3].data_len == 4 && memcmp(u.x[3].data, d, 4) == 0 && !u.x[3].fragment);
    put32(c.rec[c.n - 1] + 60, 3); /* more descriptors than the record holds */
    CU_ASSERT(umr_feed(&u, c.rec[c.n - 1], c.len[c.n - 1], c.len[c.n - 1], err) == -1);
    CU_ASSERT_STRING_EQUAL(err, "record 7 says 3 isochronous descriptors follow its header, it "
                           "holds 36 bytes");
    put32(c.rec[c.n - 1] + 60, 2);
    put32(c.rec[c.n - 1] + 36, 20);
    CU_ASSERT(umr_feed(&u, c.rec[c.n - 1], c.len[c.n - 1], c.len[c.n - 1], err) == -1);
    CU_ASSERT_STRING_EQUAL(err, "record 8 says 20 captured bytes, fewer than its 2 isochronous "
                           "descriptors");
    /* a hostile time */
    put64(c.rec[0] + 16, UINT64_MAX);
    CU_ASSERT(umr_feed(&u, c.rec[0], c.len[0], c.len[0], err) == -1);
    CU_ASSERT_STRING_EQUAL(err, "record 9: time -1 s 0 us is not a time");
    /* more submits than are kept waiting: the oldest are forgotten, nothing grows */
    for (int i = 0; i < UMR_MAX_PENDING + 10; i++)
        CU_ASSERT(umr_feed(&u, c.rec[1], c.len[1], c.len[1], err) == 0);
    CU_ASSERT(u.npend == UMR_MAX_PENDING);
    umr_free(&u);
    free_capture(&c);
}

/* ---- the round trip through usbsim's own device ---------------------------------------------- */

static size_t submit(uint8_t *b, uint32_t seqnum, uint32_t dir, uint32_t ep,
                     const uint8_t setup[8], int len)
{
    struct uip_hdr h = {.command = UIP_CMD_SUBMIT, .seqnum = seqnum, .devid = 1u << 16 | 2,
                        .direction = dir, .ep = ep};
    h.u.submit.length = len;
    if (setup)
        memcpy(h.u.submit.setup, setup, 8);
    return uip_hdr_encode(b, &h);
}

/* Counts the IN data completions in the connection's output, and consumes it. */
static size_t drain(struct usrv_conn *c)
{
    size_t len, off = 0, n = 0;
    const uint8_t *out = usrv_conn_output(c, &len);
    while (off < len) {
        struct uip_hdr h;
        const char *why;
        if (uip_hdr_decode(out + off, len - off, &h, &why) <= 0)
            break;
        size_t pl = uip_payload_len(&h, 1);
        n += h.command == UIP_RET_SUBMIT && pl == 112; /* the stream's packets */
        off += UIP_HDR_SIZE + pl;
    }
    usrv_conn_consume(c, len);
    return n;
}

static void test_round_trip_usbsim_device(void)
{
    make_dir();
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    scn_defaults(&sc);
    strcpy(sc.name, "trip");
    sc.duration_ns = 300000000LL;
    sc.device.period_ns = 10000000LL;
    struct usbdev *dev = usbdev_new(&sc, err);
    CU_ASSERT_FATAL(dev != NULL);
    char cerr[CAP_ERR_MAX], *cap_path = path_in("trip.pcap");
    struct cap *cap = cap_open(cap_path, cerr);
    CU_ASSERT_FATAL(cap != NULL);
    struct usrv_opts o = {.quiet = 1, .cap = cap};
    int env;
    char serr[USRV_ERR_MAX];
    struct usrv *s = usrv_new(dev, &o, 0, &env, serr);
    CU_ASSERT_FATAL(s != NULL);
    struct usrv_conn *c = usrv_conn_new(s, -1);
    CU_ASSERT_FATAL(c != NULL);
    int64_t now = 1000000000LL;
    uint8_t b[UIP_HDR_SIZE * 2];
    size_t n = uip_req_import_encode(b, "1-1");
    CU_ASSERT_FATAL(usrv_conn_input(s, c, b, n, now) == 0);
    drain(c);
    /* what Linux reads before it configures a device */
    uint8_t cfg9[9];
    CU_ASSERT_FATAL(usbdev_descriptor(dev, 2, 0, cfg9, sizeof cfg9) >= 9);
    uint16_t total = (uint16_t)(cfg9[2] | cfg9[3] << 8);
    uint8_t dev_desc[18];
    CU_ASSERT_FATAL(usbdev_descriptor(dev, 1, 0, dev_desc, sizeof dev_desc) == 18);
    const uint8_t reads[][8] = {
        {0x80, 6, 0, 1, 0, 0, 18, 0}, {0x80, 6, 0, 2, 0, 0, 9, 0},
        {0x80, 6, 0, 2, 0, 0, (uint8_t)total, (uint8_t)(total >> 8)},
        {0x80, 6, 0, 3, 0, 0, 255, 0}, {0x80, 6, dev_desc[14], 3, 0x09, 0x04, 255, 0},
        {0x80, 6, dev_desc[15], 3, 0x09, 0x04, 255, 0},
        {0x80, 6, dev_desc[16], 3, 0x09, 0x04, 255, 0}, {0x00, 9, 1, 0, 0, 0, 0, 0}};
    uint32_t seq = 1;
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        if (reads[i][0] == 0x80 && reads[i][2] == 0 && reads[i][3] == 3 && i > 3)
            continue; /* no such string */
        n = submit(b, seq++, reads[i][0] & 0x80 ? UIP_DIR_IN : UIP_DIR_OUT, 0, reads[i],
                   reads[i][6] | reads[i][7] << 8);
        CU_ASSERT_FATAL(usrv_conn_input(s, c, b, n, now) == 0);
        now += 100000;
        drain(c);
    }
    size_t submits = 0, done = 0;
    for (int step = 0; step < 400; step++, now += 1000000) {
        while (submits - done < 4) {
            n = submit(b, seq++, UIP_DIR_IN, 1, NULL, 112);
            CU_ASSERT_FATAL(usrv_conn_input(s, c, b, n, now) == 0);
            submits++;
        }
        usrv_conn_tick(s, c, now);
        done += drain(c);
    }
    usrv_conn_free(s, c);
    usrv_free(s);
    CU_ASSERT_FATAL(cap_close(cap, cerr) == 0);
    CU_ASSERT(done == 30);

    /* imported back */
    char *yaml = path_in("trip.yaml");
    CU_ASSERT(run("import", cap_path, "-o", yaml, "-q", NULL) == 0);
    expect_err("");
    CU_ASSERT_STRING_EQUAL(out_text, "");
    struct umr_capture u;
    char uerr[UMR_ERR_MAX], ierr[IMP_ERR_MAX];
    CU_ASSERT_FATAL(umr_read(cap_path, &u, uerr) == 0);
    struct imp_dev devs[4];
    CU_ASSERT_FATAL(imp_devices(&u, devs, 4) == 1);
    CU_ASSERT(devs[0].vid == usbdev_vid(dev) && devs[0].pid == usbdev_pid(dev));
    CU_ASSERT(devs[0].packets == 30);
    static struct imp_desc d;
    CU_ASSERT_FATAL(imp_describe(&u, devs[0].bus, devs[0].dev, &d, ierr) == 0);
    CU_ASSERT(imp_enumerated(&d));
    /* the descriptors are the device's own, byte for byte */
    CU_ASSERT(memcmp(d.device, dev_desc, 18) == 0);
    uint8_t cfg[512];
    CU_ASSERT_FATAL(usbdev_descriptor(dev, 2, 0, cfg, sizeof cfg) == total);
    CU_ASSERT_FATAL(d.config_len == total);
    CU_ASSERT(memcmp(d.config, cfg, total) == 0);
    for (int k = 0; k < 3; k++) {
        uint8_t sd[256];
        int sl = dev_desc[14 + k] ? usbdev_descriptor(dev, 3, dev_desc[14 + k], sd, sizeof sd) : 0;
        if (sl > 2) {
            CU_ASSERT_FATAL(d.strings[dev_desc[14 + k]] != NULL);
            CU_ASSERT(strlen(d.strings[dev_desc[14 + k]]) == (size_t)(sl - 2) / 2);
        }
    }
    CU_ASSERT(d.nctrl == 0 && !d.start_on_request);
    CU_ASSERT(d.stream_ep == 0x81 && d.packet_size == 112 && d.period_us == 10000);
    /* every packet's bytes, in order: the device's packets, seq 0.. */
    CU_ASSERT_FATAL(d.rec.n == 30);
    for (size_t i = 0; i < d.rec.n; i++) {
        struct pkt_fields f;
        CU_ASSERT(pkt_decode(rec_bytes(&d.rec, i), d.rec.p[i].len, 112, sc.seed, 1, &f) == PKT_OK);
        CU_ASSERT(f.seq == i);
        CU_ASSERT(d.rec.p[i].t_us == (int64_t)i * 10000);
    }
    struct rec_file r;
    char rerr[REC_FILE_ERR_MAX];
    CU_ASSERT_FATAL(rec_load(path_in("trip.rec"), &r, rerr) == 0);
    CU_ASSERT_FATAL(r.n == d.rec.n);
    CU_ASSERT(memcmp(r.bytes, d.rec.bytes, d.rec.nbytes) == 0);
    rec_file_free(&r);
    imp_desc_free(&d);
    umr_free(&u);
    usbdev_free(dev);
    remove_dir();
}

static CU_TestInfo tests[] = {
    {"pcap, usbmon 64-byte header (220)", test_import_pcap_mmapped},
    {"pcap, usbmon 48-byte header (189)", test_import_pcap_legacy},
    {"pcapng, both link types", test_import_pcapng},
    {"pcap written by a big-endian host", test_import_big_endian},
    {"truncated capture: exact messages", test_truncated},
    {"another link type, not a capture", test_wrong_link_type},
    {"URB fragments and malformed records", test_fragments},
    {"no enumeration: streams written, exit 2", test_no_enumeration},
    {"two devices: listed, --device chooses", test_two_devices},
    {"records fed straight in", test_feed},
    {"round trip through usbsim's device and capture", test_round_trip_usbsim_device},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("import", tests); }

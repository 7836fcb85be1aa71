/* Tests of sim/capture: records read back through libpcap, and the USB/IP server's capture of a
 * driven connection (fake clock, no socket). */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/capture.h"
#include "sim/packet.h"
#include "sim/usbip_proto.h"
#include "sim/usbip_server.h"
#include "tests/cu.h"

#define MAX_RECS 4096

struct recs {
    size_t n;
    struct cap_urb u[MAX_RECS];
    uint8_t *bytes[MAX_RECS];
    int linktype;
};

static char dir[64];
static char file[128];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/usbsim-cap-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(file, sizeof file, "%s/x.pcap", dir);
}

static void remove_dir(void)
{
    unlink(file);
    rmdir(dir);
}

/* Reads every record of file back with libpcap. 0 or -1. */
static int read_back(struct recs *r)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(file, err);
    if (!p)
        return -1;
    r->linktype = pcap_datalink(p);
    r->n = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = 0;
    while (r->n < MAX_RECS && pcap_next_ex(p, &h, &data) == 1) {
        r->bytes[r->n] = malloc(h->caplen);
        memcpy(r->bytes[r->n], data, h->caplen);
        if (h->caplen != h->len || cap_decode(r->bytes[r->n], h->caplen, &r->u[r->n]) != 0)
            rc = -1;
        r->n++;
    }
    pcap_close(p);
    return rc;
}

static void free_recs(struct recs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->bytes[i]);
    r->n = 0;
}

static void test_records_read_back(void)
{
    make_dir();
    char err[CAP_ERR_MAX];
    struct cap *c = cap_open(file, err);
    CU_ASSERT_FATAL(c != NULL);
    uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 18, 0}, desc[18] = {18, 1}, pkt[112];
    memset(pkt, 0xA5, sizeof pkt);
    int64_t t = 5000000000LL;
    struct cap_urb in[] = {
        {.id = 1, .type = 'S', .xfer = CAP_CTRL, .ep = 0x80, .devnum = 2, .busnum = 1,
         .has_setup = 1, .ts_ns = t, .status = CAP_EINPROGRESS, .length = 18},
        {.id = 1, .type = 'C', .xfer = CAP_CTRL, .ep = 0x80, .devnum = 2, .busnum = 1,
         .ts_ns = t + 1000, .length = 18, .data = desc, .data_len = 18},
        {.id = 2, .type = 'S', .xfer = CAP_INTR, .ep = 0x81, .devnum = 2, .busnum = 1,
         .ts_ns = t + 2000000, .status = CAP_EINPROGRESS, .length = 112, .interval = 7},
        {.id = 2, .type = 'C', .xfer = CAP_INTR, .ep = 0x81, .devnum = 2, .busnum = 1,
         .ts_ns = t + 12000000, .length = 112, .data = pkt, .data_len = 112},
        {.id = 3, .type = 'C', .xfer = CAP_INTR, .ep = 0x81, .devnum = 2, .busnum = 1,
         .ts_ns = t + 13000000, .status = -32},
    };
    memcpy(in[0].setup, setup, 8);
    size_t n = sizeof in / sizeof in[0];
    for (size_t i = 0; i < n; i++)
        CU_ASSERT(cap_urb(c, &in[i]) == 0);
    CU_ASSERT(cap_count(c) == n);
    CU_ASSERT_FATAL(cap_close(c, err) == 0);

    static struct recs r;
    CU_ASSERT_FATAL(read_back(&r) == 0);
    CU_ASSERT(r.linktype == DLT_USB_LINUX_MMAPPED);
    CU_ASSERT_FATAL(r.n == n);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT(r.u[i].id == in[i].id && r.u[i].type == in[i].type);
        CU_ASSERT(r.u[i].xfer == in[i].xfer && r.u[i].ep == in[i].ep);
        CU_ASSERT(r.u[i].devnum == 2 && r.u[i].busnum == 1);
        CU_ASSERT(r.u[i].status == in[i].status && r.u[i].length == in[i].length);
        CU_ASSERT(r.u[i].data_len == in[i].data_len);
        CU_ASSERT(r.u[i].has_setup == in[i].has_setup);
        /* Realtime stamps keep the monotonic spacing (to the microsecond). */
        int64_t d = (r.u[i].ts_ns - r.u[0].ts_ns) - (in[i].ts_ns - in[0].ts_ns);
        CU_ASSERT(d > -1000 && d < 1000);
    }
    CU_ASSERT(memcmp(r.u[0].setup, setup, 8) == 0);
    CU_ASSERT(r.bytes[2][15] == '<');  /* IN submit: no data yet */
    CU_ASSERT(r.bytes[0][14] == 0);    /* setup valid */
    CU_ASSERT(r.bytes[2][14] == '-');
    CU_ASSERT(r.u[2].interval == 7 && r.u[2].xfer_flags == 0);
    CU_ASSERT(memcmp(r.u[3].data, pkt, sizeof pkt) == 0);
    CU_ASSERT(r.u[1].data != NULL && memcmp(r.u[1].data, desc, 18) == 0);
    free_recs(&r);
    remove_dir();
}

static void test_open_and_decode_errors(void)
{
    char err[CAP_ERR_MAX] = "";
    CU_ASSERT(cap_open("/nonexistent-dir/x.pcap", err) == NULL);
    CU_ASSERT(strstr(err, "/nonexistent-dir/x.pcap") != NULL);
    CU_ASSERT(cap_close(NULL, err) == 0);
    CU_ASSERT(cap_urb(NULL, &(struct cap_urb){0}) == 0);
    uint8_t rec[CAP_HDR_SIZE + 4] = {0};
    struct cap_urb u;
    CU_ASSERT(cap_decode(rec, 10, &u) == -1);
    uint32_t len_cap = 5; /* more than the 4 bytes there are */
    memcpy(rec + 36, &len_cap, 4);
    CU_ASSERT(cap_decode(rec, sizeof rec, &u) == -1);
    len_cap = 4;
    memcpy(rec + 36, &len_cap, 4);
    CU_ASSERT(cap_decode(rec, sizeof rec, &u) == 0 && u.data == rec + CAP_HDR_SIZE);
}

/* ---- the server's capture ---- */

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

/* Counts the RET_SUBMITs in the connection's output: with data, and stalls. */
static void drain_output(struct usrv_conn *c, size_t *with_data, size_t *stalls)
{
    size_t len;
    const uint8_t *out = usrv_conn_output(c, &len);
    size_t off = 0;
    while (off < len) {
        struct uip_hdr h;
        const char *why;
        if (uip_hdr_decode(out + off, len - off, &h, &why) <= 0) {
            off = len; /* the import reply (op header + device) comes first */
            break;
        }
        size_t pl = uip_payload_len(&h, 1);
        if (h.command == UIP_RET_SUBMIT && h.ep == 0 && pl > 0)
            (*with_data)++;
        if (h.command == UIP_RET_SUBMIT && h.u.ret_submit.status == -32)
            (*stalls)++;
        off += UIP_HDR_SIZE + pl;
    }
    usrv_conn_consume(c, len);
}

static void test_server_captures_urbs(void)
{
    make_dir();
    struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    scn_defaults(&sc);
    strcpy(sc.name, "cap");
    sc.duration_ns = 200000000LL;
    sc.device.period_ns = 10000000LL;
    struct usbdev *dev = usbdev_new(&sc, err);
    CU_ASSERT_FATAL(dev != NULL);
    char cerr[CAP_ERR_MAX];
    struct cap *cap = cap_open(file, cerr);
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
    size_t out_len;
    usrv_conn_output(c, &out_len);
    usrv_conn_consume(c, out_len);
    const uint8_t set_config[8] = {0x00, 9, 1, 0, 0, 0, 0, 0};
    n = submit(b, 1, UIP_DIR_OUT, 0, set_config, 0);
    CU_ASSERT_FATAL(usrv_conn_input(s, c, b, n, now) == 0);
    size_t with_data = 0, stalls = 0, submits = 1;
    drain_output(c, &with_data, &stalls);
    /* Keep 4 IN requests queued while 300 ms pass: every due packet completes one. */
    uint32_t seqnum = 2;
    for (int step = 0; step < 300; step++, now += 1000000) {
        size_t queued = submits - 1 - with_data;
        while (queued++ < 4) {
            n = submit(b, seqnum++, UIP_DIR_IN, 1, NULL, 112);
            CU_ASSERT_FATAL(usrv_conn_input(s, c, b, n, now) == 0);
            submits++;
        }
        usrv_conn_tick(s, c, now);
        drain_output(c, &with_data, &stalls);
    }
    size_t pending = submits - 1 - with_data;
    usrv_conn_free(s, c); /* pending requests complete with -ESHUTDOWN */
    usrv_free(s);
    CU_ASSERT(cap_close(cap, cerr) == 0);
    usbdev_free(dev);
    CU_ASSERT(with_data == 20); /* 200 ms at 10 ms */

    static struct recs r;
    CU_ASSERT_FATAL(read_back(&r) == 0);
    size_t s_in = 0, c_in_data = 0, c_ctrl = 0, s_ctrl = 0, shutdown = 0;
    for (size_t i = 0; i < r.n; i++) {
        const struct cap_urb *u = &r.u[i];
        s_in += u->type == 'S' && u->ep == 0x81;
        s_ctrl += u->type == 'S' && u->ep == 0 && u->has_setup && u->setup[1] == 9;
        c_ctrl += u->type == 'C' && u->ep == 0 && u->status == 0;
        shutdown += u->type == 'C' && u->status == -108;
        if (u->type == 'C' && u->ep == 0x81 && u->data_len == 112) {
            struct pkt_fields f;
            CU_ASSERT(pkt_decode(u->data, u->data_len, 112, sc.seed, 1, &f) == PKT_OK);
            CU_ASSERT(f.seq == c_in_data);
            CU_ASSERT(u->xfer == CAP_INTR && u->id >= 2);
            c_in_data++;
        }
    }
    CU_ASSERT(s_in == submits - 1);
    CU_ASSERT(c_in_data == with_data);
    CU_ASSERT(s_ctrl == 1 && c_ctrl == 1);
    CU_ASSERT(shutdown == pending);
    CU_ASSERT(stalls == 0);
    free_recs(&r);
    remove_dir();
}

static CU_TestInfo tests[] = {
    {"records read back through libpcap", test_records_read_back},
    {"open and decode errors", test_open_and_decode_errors},
    {"server captures submits and completions", test_server_captures_urbs},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("capture", tests); }

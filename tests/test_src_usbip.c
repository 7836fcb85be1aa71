/* Tests of driver/src_usbip's enumeration: the requests it sends before reading (checked on the
 * wire against a scripted server on loopback), and every answer it must refuse or skip (fed to a
 * session, src_usbip.h's socketless client, whose sequence numbers are known: 1 the device
 * descriptor, 2 and 3 the configuration, then the language list and the strings, then
 * SET_CONFIGURATION, then the IN requests). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "driver/src_usbip.h"
#include "sim/usbip_proto.h"
#include "tests/cu.h"

/* A device naming strings 1, 2 and 3; its configuration's value is 3 (not 1). */
static const uint8_t DEV[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x09, 0x12, 0x01, 0x00,
                                0x00, 0x01, 1, 2, 3, 1};
static const uint8_t CFG[25] = {9, 2, 25, 0, 1, 3, 0, 0x80, 50,
                                9, 4, 0, 0, 1, 0xff, 0, 0, 0,
                                7, 5, 0x81, 3, 112, 0, 1};
static const uint8_t LANGS[6] = {6, 3, 0x07, 0x04, 0x09, 0x04}; /* German first */
static const uint8_t STR[8] = {8, 3, 'a', 0, 'b', 0, 'c', 0};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct seen {
    unsigned packets, connected, errors;
    char last_error[SRC_ERR_MAX];
};

static void on_packet(void *ctx, const uint8_t *buf, size_t len, uint64_t t)
{
    (void)buf, (void)len, (void)t;
    ((struct seen *)ctx)->packets++;
}

static void on_event(void *ctx, enum src_event ev, const char *detail)
{
    struct seen *s = ctx;
    s->connected += ev == SRC_EV_CONNECTED;
    if (ev == SRC_EV_ERROR) {
        s->errors++;
        snprintf(s->last_error, sizeof s->last_error, "%s", detail);
    }
}

/* ---- the session: answers by sequence number ---- */

struct step {
    int32_t status;
    const uint8_t *d;
    size_t n;
};

#define OK(x) {0, x, sizeof x}
#define STALL {-EPIPE, NULL, 0}
#define DONE {0, NULL, 0}

static int feed_import(struct srcu *c, struct seen *s)
{
    struct uip_device d = {.busid = "1-1", .path = "/x", .busnum = 1, .devnum = 2, .speed = 3};
    uint8_t b[UIP_REP_IMPORT_SIZE];
    struct src_sink sink = {s, on_packet, on_event};
    return srcu_session_input(c, b, uip_rep_import_encode(b, UIP_ST_OK, &d), 1, &sink);
}

static int feed_answer(struct srcu *c, struct seen *s, uint32_t seq, const struct step *st)
{
    static uint8_t b[UIP_HDR_SIZE + 512];
    struct uip_hdr h = {.command = UIP_RET_SUBMIT, .seqnum = seq};
    h.u.ret_submit.status = st->status;
    h.u.ret_submit.actual_length = (int32_t)st->n;
    size_t n = uip_hdr_encode(b, &h);
    if (st->n)
        memcpy(b + n, st->d, st->n);
    struct src_sink sink = {s, on_packet, on_event};
    return srcu_session_input(c, b, n + st->n, 1, &sink);
}

/* Imports, then answers sequence numbers 1.. with the steps. The index of the first step the
 * client refused (its reason in reason), or n when it took them all. */
static size_t play(const struct step *steps, size_t n, struct seen *s, char *reason, size_t rlen)
{
    struct src_config cfg = {.inflight = 2, .max_packet = 112};
    struct srcu *c = srcu_session_new(&cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    memset(s, 0, sizeof *s);
    size_t i = 0;
    CU_ASSERT_EQUAL(feed_import(c, s), 0);
    while (i < n && feed_answer(c, s, (uint32_t)(i + 1), &steps[i]) == 0)
        i++;
    snprintf(reason, rlen, "%s", i < n ? srcu_reason(c) : "");
    srcu_session_free(c);
    return i;
}

static const uint8_t PACKET[112] = {1, 2, 3};

static void test_session_reads_then_streams(void)
{
    /* Strings 1, 2, 1 named: 1 and 2 read once each; string 2 stalls and is skipped. */
    static const uint8_t dev[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x09, 0x12, 0x01, 0x00,
                                    0x00, 0x01, 1, 2, 1, 1};
    const struct step steps[] = {OK(dev), {0, CFG, 9}, OK(CFG), OK(LANGS), OK(STR), STALL, DONE,
                                 OK(PACKET)};
    struct seen s;
    char why[128];
    CU_ASSERT_EQUAL(play(steps, 8, &s, why, sizeof why), 8);
    CU_ASSERT_EQUAL(s.connected, 1);
    CU_ASSERT_EQUAL(s.packets, 1);
}

static void test_session_without_strings(void)
{
    static const uint8_t dev[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x09, 0x12, 0x01, 0x00,
                                    0x00, 0x01, 0, 0, 0, 1};
    static const uint8_t no_langs[2] = {2, 3};
    struct seen s;
    char why[128];
    /* No string named: no language list either; SET_CONFIGURATION is request 4. */
    const struct step none[] = {OK(dev), {0, CFG, 9}, OK(CFG), DONE, OK(PACKET)};
    CU_ASSERT_EQUAL(play(none, 5, &s, why, sizeof why), 5);
    CU_ASSERT_EQUAL(s.packets, 1);
    /* A stalled language list, or one listing no language: no string is read. */
    const struct step stalled[] = {OK(DEV), {0, CFG, 9}, OK(CFG), STALL, DONE, OK(PACKET)};
    CU_ASSERT_EQUAL(play(stalled, 6, &s, why, sizeof why), 6);
    CU_ASSERT_EQUAL(s.packets, 1);
    const struct step empty[] = {OK(DEV), {0, CFG, 9}, OK(CFG), OK(no_langs), DONE, OK(PACKET)};
    CU_ASSERT_EQUAL(play(empty, 6, &s, why, sizeof why), 6);
    CU_ASSERT_EQUAL(s.packets, 1);
    /* Every string stalled: the stream still starts. */
    const struct step all_stall[] = {OK(DEV), {0, CFG, 9}, OK(CFG), OK(LANGS), STALL, STALL,
                                     STALL, DONE, OK(PACKET)};
    CU_ASSERT_EQUAL(play(all_stall, 9, &s, why, sizeof why), 9);
    CU_ASSERT_EQUAL(s.packets, 1);
}

/* ---- hostile answers: each refused with its reason ---- */

static uint8_t dev_type2[18], dev_blen9[18], dev_nocfg[18], dev_long[19], cfg_type4[9],
    cfg_total4[9], cfg_short[20], cfg_changed[25], cfg_value0[25], langs_type2[4], str_blen[8],
    str_odd[8], str_long[256];

static void make_hostile(void)
{
    memcpy(dev_type2, DEV, 18), dev_type2[1] = 2;
    memcpy(dev_blen9, DEV, 18), dev_blen9[0] = 9;
    memcpy(dev_nocfg, DEV, 18), dev_nocfg[17] = 0;
    memcpy(dev_long, DEV, 18);
    memcpy(cfg_type4, CFG, 9), cfg_type4[1] = 4;
    memcpy(cfg_total4, CFG, 9), cfg_total4[2] = 4;
    memcpy(cfg_short, CFG, 20);
    memcpy(cfg_changed, CFG, 25), cfg_changed[2] = 30;
    memcpy(cfg_value0, CFG, 25), cfg_value0[5] = 0;
    memcpy(langs_type2, LANGS, 4), langs_type2[1] = 2, langs_type2[0] = 4;
    memcpy(str_blen, STR, 8), str_blen[0] = 10;
    memcpy(str_odd, STR, 8), str_odd[0] = 7;
    memset(str_long, 0, sizeof str_long), str_long[0] = 254, str_long[1] = 3;
}

struct hostile {
    const char *name, *reason;
    size_t n; /* the last step is the one refused */
    struct step steps[6];
};

#define HEAD {0, CFG, 9}
static const struct hostile hostile[] = {
    {"device descriptor stalled", "GET_DESCRIPTOR(device) stalled", 1, {STALL}},
    {"device descriptor failed", "GET_DESCRIPTOR(device) failed with status -71", 1,
     {{-71, NULL, 0}}},
    {"device descriptor short", "the device descriptor too short: 12 bytes", 1, {{0, DEV, 12}}},
    {"device descriptor of type 2", "the device descriptor of type 2 (expected 1)", 1,
     {{0, dev_type2, 18}}},
    {"device descriptor with bLength 9", "the device descriptor with bLength 9", 1,
     {{0, dev_blen9, 18}}},
    {"device descriptor longer than asked", "more data than requested", 1, {{0, dev_long, 19}}},
    {"no configuration", "bNumConfigurations 0", 1, {{0, dev_nocfg, 18}}},
    {"configuration stalled", "GET_DESCRIPTOR(configuration) stalled", 2, {OK(DEV), STALL}},
    {"configuration of type 4", "the configuration descriptor of type 4", 2,
     {OK(DEV), {0, cfg_type4, 9}}},
    {"configuration head short", "the configuration descriptor too short: 5 bytes", 2,
     {OK(DEV), {0, CFG, 5}}},
    {"wTotalLength 4", "wTotalLength 4 is shorter than its bLength 9", 2,
     {OK(DEV), {0, cfg_total4, 9}}},
    {"configuration shorter than wTotalLength",
     "the configuration descriptor: 20 bytes with wTotalLength 25, after wTotalLength 25", 3,
     {OK(DEV), HEAD, {0, cfg_short, 20}}},
    {"wTotalLength changed between the reads", "with wTotalLength 30, after wTotalLength 25", 3,
     {OK(DEV), HEAD, {0, cfg_changed, 25}}},
    {"full configuration stalled", "GET_DESCRIPTOR(configuration) stalled", 3,
     {OK(DEV), HEAD, STALL}},
    {"bConfigurationValue 0", "bConfigurationValue is 0", 3, {OK(DEV), HEAD, {0, cfg_value0, 25}}},
    {"language list of type 2", "string descriptor 0 of type 2", 4,
     {OK(DEV), HEAD, OK(CFG), {0, langs_type2, 4}}},
    {"language list of one byte", "string descriptor 0 too short: 1 bytes", 4,
     {OK(DEV), HEAD, OK(CFG), {0, LANGS, 1}}},
    {"string bLength past its bytes", "string descriptor 1 with bLength 10 in 8 bytes", 5,
     {OK(DEV), HEAD, OK(CFG), OK(LANGS), OK(str_blen)}},
    {"string of odd length", "odd length", 5, {OK(DEV), HEAD, OK(CFG), OK(LANGS), OK(str_odd)}},
    {"string longer than 255 bytes", "more data than requested", 5,
     {OK(DEV), HEAD, OK(CFG), OK(LANGS), {0, str_long, 256}}},
    {"data on SET_CONFIGURATION", "data on a control request that reads nothing", 4,
     {OK(DEV), HEAD, {0, CFG, 25}, {0, STR, 2}}},
};

static void test_session_refuses_hostile_answers(void)
{
    make_hostile();
    /* "data on SET_CONFIGURATION": no strings named, so request 4 is SET_CONFIGURATION. */
    static uint8_t dev_nostr[18];
    memcpy(dev_nostr, DEV, 18);
    dev_nostr[14] = dev_nostr[15] = dev_nostr[16] = 0;
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        const struct hostile *k = &hostile[i];
        struct step steps[6];
        memcpy(steps, k->steps, sizeof steps);
        if (strstr(k->name, "SET_CONFIGURATION"))
            steps[0] = (struct step){0, dev_nostr, 18};
        struct seen s;
        char why[128];
        size_t at = play(steps, k->n, &s, why, sizeof why);
        if (at != k->n - 1 || !strstr(why, k->reason)) {
            fprintf(stderr, "\n  case '%s': %s at step %zu of %zu: '%s' (expected '%s')",
                    k->name, at == k->n ? "accepted, refused nothing" : "refused", at + 1, k->n,
                    why, k->reason);
            CU_FAIL("a hostile answer was not refused with its reason");
        }
        CU_ASSERT_EQUAL(s.connected, 0);
    }
}

static void test_session_reply_out_of_turn(void)
{
    const struct step early[] = {OK(DEV)}; /* answered as request 1 ... */
    struct src_config cfg = {0};
    struct srcu *c = srcu_session_new(&cfg);
    struct seen s = {0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(feed_import(c, &s), 0);
    CU_ASSERT_EQUAL(feed_answer(c, &s, 2, &early[0]), -1); /* ... but request 2 is not sent yet */
    CU_ASSERT_PTR_NOT_NULL(strstr(srcu_reason(c), "not in flight"));
    srcu_session_free(c);
}

/* ---- on the wire: a scripted server ---- */

#define MAX_CTRL 16

struct server {
    int lfd;
    volatile int quit;
    uint8_t setups[MAX_CTRL][8];
    uint32_t dirs[MAX_CTRL];
    int32_t lengths[MAX_CTRL];
    size_t n_ctrl;
    unsigned packets_sent;
    int64_t first_request_ns, first_packet_ns;
};

static int recv_n(struct server *sv, int fd, uint8_t *b, size_t n)
{
    size_t got = 0;
    int64_t end = mono_ns() + 5000000000LL;
    while (got < n && !sv->quit && mono_ns() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t k = recv(fd, b + got, n - got, 0);
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return got == n ? 0 : -1;
}

static int accept_one(struct server *sv)
{
    int64_t end = mono_ns() + 5000000000LL;
    while (!sv->quit && mono_ns() < end) {
        struct pollfd p = {sv->lfd, POLLIN, 0};
        if (poll(&p, 1, 20) == 1)
            return accept(sv->lfd, NULL, NULL);
    }
    return -1;
}

static void reply(int fd, uint32_t cmd, uint32_t seq, int32_t status, const uint8_t *d, size_t n)
{
    uint8_t b[UIP_HDR_SIZE + 256];
    struct uip_hdr h = {.command = cmd, .seqnum = seq};
    if (cmd == UIP_RET_UNLINK)
        h.u.ret_unlink.status = status;
    else {
        h.u.ret_submit.status = status;
        h.u.ret_submit.actual_length = (int32_t)n;
    }
    size_t k = uip_hdr_encode(b, &h);
    if (n)
        memcpy(b + k, d, n);
    if (send(fd, b, k + n, MSG_NOSIGNAL) < 0)
        return;
}

/* The answer to a GET_DESCRIPTOR: string 2 stalls; strings only in the first language. */
static void answer_descriptor(int fd, uint32_t seq, const uint8_t *s)
{
    size_t want = (size_t)(s[6] | s[7] << 8), n = 0;
    const uint8_t *d = NULL;
    unsigned lang = (unsigned)(s[4] | s[5] << 8);
    if (s[3] == 1 && s[2] == 0)
        d = DEV, n = sizeof DEV;
    else if (s[3] == 2 && s[2] == 0)
        d = CFG, n = sizeof CFG;
    else if (s[3] == 3 && s[2] == 0)
        d = LANGS, n = sizeof LANGS;
    else if (s[3] == 3 && (s[2] == 1 || s[2] == 3) && lang == 0x0407)
        d = STR, n = sizeof STR;
    if (!d)
        reply(fd, UIP_RET_SUBMIT, seq, -EPIPE, NULL, 0);
    else
        reply(fd, UIP_RET_SUBMIT, seq, 0, d, n < want ? n : want);
}

static void *serve(void *arg)
{
    struct server *sv = arg;
    uint8_t b[UIP_REP_IMPORT_SIZE + 64];
    struct uip_device d = {.busid = "1-1", .path = "/x", .busnum = 1, .devnum = 2, .speed = 3,
                           .num_ifaces = 1};
    int fd = accept_one(sv); /* the device list, at open */
    if (fd < 0 || recv_n(sv, fd, b, UIP_OP_HDR_SIZE) != 0 ||
        send(fd, b, uip_rep_devlist_encode(b, &d, 1), MSG_NOSIGNAL) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    close(fd);
    fd = accept_one(sv); /* the import, then the session */
    if (fd < 0 || recv_n(sv, fd, b, UIP_REQ_IMPORT_SIZE) != 0 ||
        send(fd, b, uip_rep_import_encode(b, UIP_ST_OK, &d), MSG_NOSIGNAL) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    while (recv_n(sv, fd, b, UIP_HDR_SIZE) == 0) {
        struct uip_hdr h;
        const char *why;
        if (uip_hdr_decode(b, UIP_HDR_SIZE, &h, &why) <= 0)
            break;
        if (!sv->first_request_ns)
            sv->first_request_ns = mono_ns();
        if (h.command == UIP_CMD_UNLINK) {
            reply(fd, UIP_RET_UNLINK, h.seqnum, -ECONNRESET, NULL, 0);
            continue;
        }
        if (h.ep == 0) {
            if (sv->n_ctrl < MAX_CTRL) {
                memcpy(sv->setups[sv->n_ctrl], h.u.submit.setup, 8);
                sv->dirs[sv->n_ctrl] = h.direction;
                sv->lengths[sv->n_ctrl++] = h.u.submit.length;
            }
            if (h.u.submit.setup[1] == 6)
                answer_descriptor(fd, h.seqnum, h.u.submit.setup);
            else
                reply(fd, UIP_RET_SUBMIT, h.seqnum, 0, NULL, 0);
        } else if (sv->packets_sent < 5) { /* then IN requests are held until unlinked */
            if (!sv->first_packet_ns)
                sv->first_packet_ns = mono_ns();
            reply(fd, UIP_RET_SUBMIT, h.seqnum, 0, PACKET, sizeof PACKET);
            sv->packets_sent++;
        }
    }
    close(fd);
    return NULL;
}

static void test_wire_requests_in_linux_order(void)
{
    static struct server sv;
    memset(&sv, 0, sizeof sv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    sv.lfd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_EQUAL_FATAL(bind(sv.lfd, (struct sockaddr *)&a, sizeof a), 0);
    CU_ASSERT_EQUAL_FATAL(listen(sv.lfd, 4), 0);
    getsockname(sv.lfd, (struct sockaddr *)&a, &al);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, serve, &sv), 0);
    volatile sig_atomic_t stop = 0;
    struct src_config cfg = {.usbip = {.port = ntohs(a.sin_port)}, .max_packet = 112,
                             .cancel_wait_ns = 200000000LL, .stop = &stop};
    char err[SRC_ERR_MAX];
    struct src *s = src_open("usbip", &cfg, err);
    if (!s)
        fprintf(stderr, "src_open: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(s);
    struct seen seen = {0};
    struct src_sink sink = {&seen, on_packet, on_event};
    int64_t end = mono_ns() + 5000000000LL;
    while (s && seen.packets < 5 && mono_ns() < end && src_run(s, &sink, 20000000LL) == 0)
        ;
    if (s) {
        stop = 1;
        src_run(s, &sink, 0);
        src_close(s);
    }
    sv.quit = 1;
    pthread_join(th, NULL);
    close(sv.lfd);
    CU_ASSERT_EQUAL(seen.packets, 5);
    CU_ASSERT_EQUAL(seen.connected, 1);
    CU_ASSERT_EQUAL(seen.errors, 0);
    static const uint8_t want[][8] = {
        {0x80, 6, 0, 1, 0, 0, 18, 0},          /* device */
        {0x80, 6, 0, 2, 0, 0, 9, 0},           /* configuration head */
        {0x80, 6, 0, 2, 0, 0, 25, 0},          /* configuration, wTotalLength */
        {0x80, 6, 0, 3, 0, 0, 255, 0},         /* language list */
        {0x80, 6, 1, 3, 0x07, 0x04, 255, 0},   /* iManufacturer, in the first language */
        {0x80, 6, 2, 3, 0x07, 0x04, 255, 0},   /* iProduct (stalls: skipped) */
        {0x80, 6, 3, 3, 0x07, 0x04, 255, 0},   /* iSerialNumber */
        {0x00, 9, 3, 0, 0, 0, 0, 0},           /* SET_CONFIGURATION(bConfigurationValue) */
    };
    size_t n = sizeof want / sizeof want[0];
    CU_ASSERT_EQUAL(sv.n_ctrl, n);
    for (size_t i = 0; i < n && i < sv.n_ctrl; i++) {
        CU_ASSERT_EQUAL(memcmp(sv.setups[i], want[i], 8), 0);
        CU_ASSERT_EQUAL(sv.dirs[i], i + 1 < n ? UIP_DIR_IN : UIP_DIR_OUT);
        CU_ASSERT_EQUAL(sv.lengths[i], (int32_t)(want[i][6] | want[i][7] << 8));
    }
    if (sv.first_packet_ns)
        printf("[enumeration to first IN request on loopback: %.0f us] ",
               (double)(sv.first_packet_ns - sv.first_request_ns) / 1e3);
}

static CU_TestInfo tests[] = {
    {"session: descriptors read, then the stream", test_session_reads_then_streams},
    {"session: no strings, stalled or empty language list", test_session_without_strings},
    {"session: hostile answers refused with their reason", test_session_refuses_hostile_answers},
    {"session: a reply out of turn", test_session_reply_out_of_turn},
    {"wire: requests in Linux's order, SET_CONFIGURATION's value",
     test_wire_requests_in_linux_order},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(60);
    return cu_main("src_usbip", tests);
}

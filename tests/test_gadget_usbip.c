/* Tests for sim/gadget_usbip: the backend's open listens on a free port and says where and how
 * to attach, a bad address is bad usage (2), a port in use is the environment (3), and close
 * undoes open (the port is free again). serve is exercised end to end by test_usbip/test_run. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim/gadget_usbip.h"
#include "sim/usb_device.h"
#include "tests/cu.h"

static struct usbdev *device(void)
{
    static struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    scn_defaults(&sc);
    snprintf(sc.name, sizeof sc.name, "u");
    sc.duration_ns = 100000000;
    return usbdev_new(&sc, err);
}

static int port_free(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void test_open_and_close(void)
{
    const struct gadget_backend *b = &gadget_usbip_backend;
    struct usbdev *u = device();
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    struct gadget_opts o = {.listen = "127.0.0.1:0", .quiet = 1};
    struct gadget_link l = {.dev = u};
    struct gadget_where w;
    memset(&w, 0, sizeof w);
    void *st = NULL;
    char err[256] = "", want[96];
    CU_ASSERT_EQUAL(b->check_env(&o, err, sizeof err), XC_OK);
    CU_ASSERT_EQUAL_FATAL(b->open(&o, NULL, &l, &st, &w, err, sizeof err), XC_OK);
    CU_ASSERT_PTR_NOT_NULL(st);
    CU_ASSERT(w.port > 0);
    snprintf(want, sizeof want, "served over USB/IP on 127.0.0.1:%u, bus id 1-1", w.port);
    CU_ASSERT_STRING_EQUAL(w.where, want);
    snprintf(want, sizeof want, "  attach with: usbip --tcp-port %u attach -r 127.0.0.1 -b 1-1\n",
             w.port);
    CU_ASSERT_PTR_NOT_NULL(strstr(w.how, want));
    CU_ASSERT_FALSE(port_free(w.port));
    b->close(st);
    CU_ASSERT(port_free(w.port));
    b->close(NULL); /* close without a state is a no-op */
    usbdev_free(u);
}

static void test_open_refusals(void)
{
    const struct gadget_backend *b = &gadget_usbip_backend;
    struct usbdev *u = device();
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    struct gadget_link l = {.dev = u};
    struct gadget_where w;
    void *st = NULL;
    char err[256] = "";
    struct gadget_opts o = {.listen = "nonsense", .quiet = 1};
    CU_ASSERT_EQUAL(b->open(&o, NULL, &l, &st, &w, err, sizeof err), XC_USAGE);
    CU_ASSERT_PTR_NULL(st);
    CU_ASSERT(strlen(err) > 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    CU_ASSERT_EQUAL_FATAL(listen(fd, 1), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    char busy[32];
    snprintf(busy, sizeof busy, "127.0.0.1:%u", ntohs(a.sin_port));
    o.listen = busy;
    CU_ASSERT_EQUAL(b->open(&o, NULL, &l, &st, &w, err, sizeof err), XC_ENV);
    b->close(st);
    close(fd);
    usbdev_free(u);
}

static CU_TestInfo tests[] = {
    {"open listens and says how to attach; close frees the port", test_open_and_close},
    {"bad address is usage, a busy port the environment", test_open_refusals},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("gadget_usbip", tests); }

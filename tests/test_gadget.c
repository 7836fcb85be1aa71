/* Tests for sim/gadget: the backend table, and options a backend does not honour refused with
 * exit 2 before anything is loaded or opened (no scenario is read, no capture file made). The
 * FunctionFS gadget's endpoints are tested in the VM (tests/vm/ffs_endpoints.sh). */
#include <stdio.h>
#include <unistd.h>

#include "sim/gadget.h"
#include "tests/cu.h"

static char pcap_file[64];

static struct scn_scenario scenario(void)
{
    struct scn_scenario s;
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "g");
    s.duration_ns = 100000000;
    return s;
}

static void test_backends_found_by_name(void)
{
    const struct gadget_backend *u = gadget_backend_find("usbip");
    const struct gadget_backend *f = gadget_backend_find("ffs");
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_STRING_EQUAL(u->name, "usbip");
    CU_ASSERT_STRING_EQUAL(f->name, "ffs");
    CU_ASSERT(u->options & GADGET_OPT_LISTEN);
    CU_ASSERT(u->options & GADGET_OPT_PCAP);
    CU_ASSERT_FALSE(u->options & GADGET_OPT_UDC);
    CU_ASSERT(f->options & GADGET_OPT_UDC);
    CU_ASSERT_FALSE(f->options & (GADGET_OPT_LISTEN | GADGET_OPT_PCAP | GADGET_OPT_READY_FD));
    CU_ASSERT_PTR_NULL(gadget_backend_find("nope"));
}

static void test_unknown_backend_is_usage(void)
{
    struct scn_scenario s = scenario();
    struct gadget_opts o = {.sc = &s, .backend = "nope", .quiet = 1};
    CU_ASSERT_EQUAL(gadget_run(&o), XC_USAGE);
}

static void test_ffs_refuses_listen(void)
{
    struct scn_scenario s = scenario();
    struct gadget_opts o = {.sc = &s, .backend = "ffs", .listen = "127.0.0.1:0", .quiet = 1};
    CU_ASSERT_EQUAL(gadget_run(&o), XC_USAGE);
}

static void test_ffs_refuses_pcap_before_opening_it(void)
{
    struct scn_scenario s = scenario();
    unlink(pcap_file);
    struct gadget_opts o = {.sc = &s, .backend = "ffs", .pcap_path = pcap_file, .quiet = 1};
    CU_ASSERT_EQUAL(gadget_run(&o), XC_USAGE);
    CU_ASSERT_NOT_EQUAL(access(pcap_file, F_OK), 0);
}

static void test_ffs_refuses_ready_fd(void)
{
    struct scn_scenario s = scenario();
    struct gadget_opts o = {.sc = &s, .backend = "ffs", .ready_fd = 1, .quiet = 1};
    CU_ASSERT_EQUAL(gadget_run(&o), XC_USAGE);
}

/* Refused before the scenario is loaded: a path that does not exist is never read. */
static void test_usbip_refuses_udc_before_loading(void)
{
    unlink(pcap_file);
    struct gadget_opts o = {.scenario_path = "/nonexistent/usbsim.yaml", .backend = "usbip",
                            .udc = "dummy_udc.0", .pcap_path = pcap_file, .quiet = 1};
    CU_ASSERT_EQUAL(gadget_run(&o), XC_USAGE);
    CU_ASSERT_NOT_EQUAL(access(pcap_file, F_OK), 0);
    o.backend = NULL; /* the default backend is usbip */
    CU_ASSERT_EQUAL(gadget_run(&o), XC_USAGE);
}

static CU_TestInfo tests[] = {
    {"backends found by name, with their options", test_backends_found_by_name},
    {"unknown backend: exit 2", test_unknown_backend_is_usage},
    {"ffs refuses --listen: exit 2", test_ffs_refuses_listen},
    {"ffs refuses --pcap before opening the file", test_ffs_refuses_pcap_before_opening_it},
    {"ffs refuses a ready descriptor", test_ffs_refuses_ready_fd},
    {"usbip refuses --udc before loading the scenario", test_usbip_refuses_udc_before_loading},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    snprintf(pcap_file, sizeof pcap_file, "/tmp/usbsim-test-gadget-%ld.pcap", (long)getpid());
    int rc = cu_main("gadget", tests);
    unlink(pcap_file);
    return rc;
}

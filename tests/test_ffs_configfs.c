/* Tests for sim/ffs_configfs that need no gadget support: on a machine without configfs the
 * gadget cannot be built, the message names the directory, nothing is recorded as made, and
 * removing a half-made or zeroed gadget is safe. (Building a real one runs in the VM.) */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/ffs_configfs.h"
#include "tests/cu.h"

static void test_refused_without_configfs(void)
{
    if (access(FFSC_ROOT, W_OK) == 0) {
        /* a machine with gadget support and the right to use it: nothing to refuse here */
        CU_PASS("gadget support present: refusal not testable here");
        return;
    }
    struct scn_scenario sc;
    char err[SCN_ERR_MAX] = "", msg[256] = "";
    scn_defaults(&sc);
    snprintf(sc.name, sizeof sc.name, "c");
    sc.duration_ns = 100000000;
    struct usbdev *u = usbdev_new(&sc, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    struct ffsc g;
    memset(&g, 0, sizeof g);
    CU_ASSERT_EQUAL(ffsc_create(&g, "usbsim-test", "dummy_udc.0", u, "c", msg, sizeof msg), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "cannot build the gadget in " FFSC_ROOT "/usbsim-test"));
    CU_ASSERT_EQUAL(g.made, 0);
    CU_ASSERT_EQUAL(g.linked, 0);
    CU_ASSERT_EQUAL(g.bound, 0);
    ffsc_remove(&g); /* nothing to undo */
    CU_ASSERT_NOT_EQUAL(access(FFSC_ROOT "/usbsim-test", F_OK), 0);
    usbdev_free(u);
}

static void test_zeroed_gadget(void)
{
    struct ffsc g;
    memset(&g, 0, sizeof g);
    CU_ASSERT_EQUAL(ffsc_bind(&g, 0), 0); /* already unbound */
    ffsc_remove(&g);
    CU_ASSERT_EQUAL(g.made, 0);
}

static CU_TestInfo tests[] = {
    {"refused without configfs, nothing made", test_refused_without_configfs},
    {"a zeroed gadget unbinds and removes as a no-op", test_zeroed_gadget},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("ffs_configfs", tests); }

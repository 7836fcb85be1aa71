/* Tests for sim/gadget_ffs that need no USB stack: the descriptor block written to ep0 (layout,
 * full-speed limits, high speed from the device model) and the environment check (on a machine
 * without the named UDC it refuses with exit 3, one line that says what is missing, and creates
 * nothing). The gadget itself is exercised in the VM (tests/vm/). */
#include <dirent.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#include "sim/ffs_configfs.h"
#include "sim/gadget_ffs.h"
#include "tests/cu.h"

#define BOGUS_UDC "usbsim-test-no-such-udc"

static struct scn_scenario scenario(uint32_t size, enum scn_endpoint ep, int64_t period_ns)
{
    struct scn_scenario s;
    scn_defaults(&s);
    snprintf(s.name, sizeof s.name, "t");
    s.duration_ns = 100000000;
    s.device.packet_size = size;
    s.device.endpoint = ep;
    s.device.period_ns = period_ns;
    return s;
}

static uint32_t le32_at(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static uint16_t le16_at(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }

/* Offsets in the block: 12-byte header, two counts, then FS intf, FS ep, HS intf, HS ep. */
enum { FS_INTF = 20, FS_EP = FS_INTF + 9, HS_INTF = FS_EP + 7, HS_EP = HS_INTF + 9, TOTAL = HS_EP + 7 };

static int block(const struct scn_scenario *s, uint8_t *b)
{
    char err[SCN_ERR_MAX] = "";
    int n = ffs_descriptors(s, b, 256, err);
    CU_ASSERT_EQUAL(n, TOTAL);
    return n;
}

static void test_header_and_counts(void)
{
    struct scn_scenario s = scenario(112, SCN_EP_INTERRUPT, 10000000);
    uint8_t b[256];
    if (block(&s, b) != TOTAL)
        return;
    CU_ASSERT_EQUAL(le32_at(b), FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
    CU_ASSERT_EQUAL(le32_at(b + 4), TOTAL);
    CU_ASSERT_EQUAL(le32_at(b + 8), FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC);
    CU_ASSERT_EQUAL(le32_at(b + 12), 2);
    CU_ASSERT_EQUAL(le32_at(b + 16), 2);
    for (int off = FS_INTF; off <= HS_INTF; off += HS_INTF - FS_INTF) {
        CU_ASSERT_EQUAL(b[off], USB_DT_INTERFACE_SIZE);
        CU_ASSERT_EQUAL(b[off + 1], USB_DT_INTERFACE);
        CU_ASSERT_EQUAL(b[off + 4], 1);    /* one endpoint */
        CU_ASSERT_EQUAL(b[off + 5], 0xFF); /* vendor class */
        CU_ASSERT_EQUAL(b[off + 9], USB_DT_ENDPOINT_SIZE); /* its endpoint follows */
    }
}

static void test_interrupt_full_speed_capped_high_speed_full(void)
{
    struct scn_scenario s = scenario(112, SCN_EP_INTERRUPT, 10000000);
    uint8_t b[256];
    if (block(&s, b) != TOTAL)
        return;
    CU_ASSERT_EQUAL(b[FS_EP + 2], 0x81);
    CU_ASSERT_EQUAL(b[FS_EP + 3], USB_ENDPOINT_XFER_INT);
    CU_ASSERT_EQUAL(le16_at(b + FS_EP + 4), 64);  /* full speed: at most 64 */
    CU_ASSERT_EQUAL(b[FS_EP + 6], 10);            /* 10 ms in frames */
    CU_ASSERT_EQUAL(le16_at(b + HS_EP + 4), 112); /* high speed carries the whole packet */
    CU_ASSERT(b[HS_EP + 6] >= 1 && b[HS_EP + 6] <= 16);
}

static void test_small_interrupt_and_bulk(void)
{
    struct scn_scenario s = scenario(32, SCN_EP_INTERRUPT, 500000);
    uint8_t b[256];
    if (block(&s, b) == TOTAL) {
        CU_ASSERT_EQUAL(le16_at(b + FS_EP + 4), 32);
        CU_ASSERT_EQUAL(b[FS_EP + 6], 1); /* below 1 ms: the shortest full-speed interval */
    }
    s = scenario(112, SCN_EP_BULK, 10000000);
    if (block(&s, b) == TOTAL) {
        CU_ASSERT_EQUAL(b[FS_EP + 3], USB_ENDPOINT_XFER_BULK);
        CU_ASSERT_EQUAL(le16_at(b + FS_EP + 4), 64);
        CU_ASSERT_EQUAL(b[FS_EP + 6], 0);
        CU_ASSERT_EQUAL(le16_at(b + HS_EP + 4), 512);
    }
}

static void test_descriptors_no_room(void)
{
    struct scn_scenario s = scenario(112, SCN_EP_INTERRUPT, 10000000);
    uint8_t b[16];
    char err[SCN_ERR_MAX] = "";
    CU_ASSERT_EQUAL(ffs_descriptors(&s, b, sizeof b, err), -1);
    CU_ASSERT(err[0] != 0);
}

/* Whatever is missing on this machine (root, configfs, the UDC), the answer is 3 with a message
 * naming it and the VM alternative. */
static void test_env_refused_with_reason(void)
{
    char err[512] = "";
    CU_ASSERT_EQUAL(ffs_check_env(BOGUS_UDC, err, sizeof err), 3);
    CU_ASSERT(strstr(err, "root") || strstr(err, FFSC_ROOT) || strstr(err, BOGUS_UDC));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--backend vm"));
}

static int gadget_dir_exists(void)
{
    char p[128];
    snprintf(p, sizeof p, FFSC_ROOT "/usbsim-%ld", (long)getpid());
    return access(p, F_OK) == 0;
}

static void test_run_refused_creates_nothing(void)
{
    struct scn_scenario s = scenario(112, SCN_EP_INTERRUPT, 10000000);
    struct gadget_opts o = {.sc = &s, .backend = "ffs", .udc = BOGUS_UDC, .quiet = 1};
    int rc = gadget_run(&o); /* prints the refusal line */
    CU_ASSERT_EQUAL(rc, 3);
    CU_ASSERT_FALSE(gadget_dir_exists());
}

static CU_TestInfo tests[] = {
    {"descriptor block header and counts", test_header_and_counts},
    {"interrupt: full speed capped at 64, high speed whole", test_interrupt_full_speed_capped_high_speed_full},
    {"small interrupt and bulk endpoints", test_small_interrupt_and_bulk},
    {"descriptors: no room is an error", test_descriptors_no_room},
    {"environment check refuses with the reason", test_env_refused_with_reason},
    {"refused run creates nothing", test_run_refused_creates_nothing},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("gadget_ffs", tests); }

/* Tests of harness/usbmon's row logic (umon_row; the capture itself needs root and usbmon, and
 * is exercised by the VM's exec checks): a framed transfer gives its header's seq, one without
 * the magic no row; a raw one is identified by place and content, and one never planned is a
 * crc row without a seq. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/usbmon.h"
#include "sim/packet.h"
#include "sim/rawmatch.h"
#include "tests/cu.h"

static char text[4096];

/* What umon_row wrote for these bytes. */
static const char *row(struct rm *m, const uint8_t *d, size_t len, uint64_t t)
{
    memset(text, 0, sizeof text);
    FILE *f = fmemopen(text, sizeof text, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(umon_row(f, m, d, len, t), 0);
    fclose(f);
    return text;
}

static void test_framed(void)
{
    uint8_t p[64];
    struct pkt_fields f = {.seq = 4242, .produce_ns = 9};
    pkt_encode(p, sizeof p, 1, &f, 1); /* a bad CRC: the program's business, still completed */
    CU_ASSERT_STRING_EQUAL(row(NULL, p, sizeof p, 77), "4242,77,ok\n");
    p[0] ^= 1;
    CU_ASSERT_STRING_EQUAL(row(NULL, p, sizeof p, 77), ""); /* not a device packet */
    CU_ASSERT_STRING_EQUAL(row(NULL, p, 8, 77), "");
}

/* Four samples: "aa", "bb", "aa", "cc". */
static size_t four(void *ctx, uint32_t seq, uint8_t *out, size_t cap)
{
    (void)ctx;
    static const char *const s[] = {"aa", "bb", "aa", "cc"};
    if (cap >= 2)
        memcpy(out, s[seq], 2);
    return 2;
}

static void test_raw(void)
{
    char err[RM_ERR_MAX];
    struct rm *m = rm_new(4, four, NULL, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(row(m, (const uint8_t *)"aa", 2, 5), "0,5,ok\n");
    CU_ASSERT_STRING_EQUAL(row(m, (const uint8_t *)"aa", 2, 6), "2,6,ok\n"); /* by place */
    CU_ASSERT_STRING_EQUAL(row(m, (const uint8_t *)"zz", 2, 7), "-1,7,crc\n");
    CU_ASSERT_STRING_EQUAL(row(m, (const uint8_t *)"bb", 2, 8), "1,8,ok\n"); /* late */
    CU_ASSERT_STRING_EQUAL(row(m, (const uint8_t *)"aa", 2, 9), "2,9,ok\n"); /* again */
    rm_free(m);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"framed: the header's seq, or no row", test_framed},
        {"raw: by place and content, unknown as crc", test_raw},
        CU_TEST_INFO_NULL,
    };
    return cu_main("usbmon", tests);
}

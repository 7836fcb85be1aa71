/* Tests of sim/recording: the format written and read back, and every malformed line refused
 * with its exact FILE:LINE message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/recording.h"
#include "tests/cu.h"

static int parse(const char *text, struct rec_file *r, char *err)
{
    return rec_parse("t.rec", text, strlen(text), r, err);
}

static void test_write_and_read_back(void)
{
    struct rec_file r = {0}, back;
    uint8_t a[3] = {0x00, 0xab, 0xff}, big[1024];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    CU_ASSERT(rec_add(&r, 0, 0x81, a, 3) == 0);
    CU_ASSERT(rec_add(&r, 8000, 0x82, NULL, 0) == 0);
    CU_ASSERT(rec_add(&r, 8000, 0x81, big, sizeof big) == 0);
    CU_ASSERT(rec_add(&r, 7999, 0x81, a, 1) == -1); /* backwards */
    CU_ASSERT(rec_add(&r, 9000, 0x01, a, 1) == -1); /* OUT */
    CU_ASSERT(rec_add(&r, 9000, 0x80, a, 1) == -1); /* control */
    CU_ASSERT(r.n == 3);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT(rec_write(&r, f) == 0);
    fclose(f);
    CU_ASSERT(strncmp(text, "# usbsim recording 1\n0 0x81 00abff\n8000 0x82 -\n8000 0x81 0001", 60)
              == 0);
    char err[REC_FILE_ERR_MAX];
    CU_ASSERT_FATAL(rec_parse("x", text, len, &back, err) == 0);
    CU_ASSERT_FATAL(back.n == 3);
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT(back.p[i].t_us == r.p[i].t_us && back.p[i].ep == r.p[i].ep);
        CU_ASSERT(back.p[i].len == r.p[i].len);
        CU_ASSERT(memcmp(rec_bytes(&back, i), rec_bytes(&r, i), r.p[i].len) == 0);
    }
    /* through a file */
    char path[] = "/tmp/usbsim-rec-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    CU_ASSERT(rec_save(path, &r, err) == 0);
    rec_file_free(&back);
    CU_ASSERT(rec_load(path, &back, err) == 0 && back.n == 3);
    rec_file_free(&back);
    unlink(path);
    CU_ASSERT(rec_load(path, &back, err) == -1);
    CU_ASSERT(strstr(err, "No such file") != NULL);
    rec_file_free(&back);
    rec_file_free(&r);
    free(text);
}

static void test_comments_and_crlf(void)
{
    struct rec_file r;
    char err[REC_FILE_ERR_MAX];
    CU_ASSERT_FATAL(parse("# usbsim recording 1\r\n# from a capture\r\n\r\n5 0x8f 0A0b\r\n", &r,
                          err) == 0);
    CU_ASSERT(r.n == 1 && r.p[0].t_us == 5 && r.p[0].ep == 0x8f && r.p[0].len == 2);
    CU_ASSERT(rec_bytes(&r, 0)[0] == 0x0a && rec_bytes(&r, 0)[1] == 0x0b);
    rec_file_free(&r);
}

static void test_errors(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"", "t.rec: empty: not a usbsim recording"},
        {"0 0x81 00\n", "t.rec:1: not a usbsim recording: the first line must be "
                        "'# usbsim recording 1'"},
        {"# usbsim recording 2\n", "t.rec:1: recording format version 2; this usbsim reads "
                                   "version 1"},
        {"# usbsim recording 1x\n", "t.rec:1: not a usbsim recording: the first line must be "
                                    "'# usbsim recording 1'"},
        {"# usbsim recording 1\nx 0x81 00\n",
         "t.rec:2: expected a time in microseconds (decimal) first"},
        {"# usbsim recording 1\n-1 0x81 00\n",
         "t.rec:2: expected a time in microseconds (decimal) first"},
        {"# usbsim recording 1\n99999999999999999999 0x81 00\n",
         "t.rec:2: the time is beyond a year (31536000000000 us)"},
        {"# usbsim recording 1\n0  0x81 00\n",
         "t.rec:2: expected an endpoint address as 0x81..0x8f after the time"},
        {"# usbsim recording 1\n0 0x01 00\n",
         "t.rec:2: endpoint 0x01 is not an IN endpoint (0x81..0x8f)"},
        {"# usbsim recording 1\n0 0x81\n", "t.rec:2: expected one space after the endpoint"},
        {"# usbsim recording 1\n0 0x81 \n",
         "t.rec:2: expected the packet's bytes in hexadecimal (or - for none)"},
        {"# usbsim recording 1\n0 0x81 abc\n", "t.rec:2: odd number of hexadecimal digits"},
        {"# usbsim recording 1\n0 0x81 0g\n",
         "t.rec:2: 'g' in the packet's bytes: hexadecimal pairs only"},
        {"# usbsim recording 1\n0 0x81 00 11\n",
         "t.rec:2: ' ' in the packet's bytes: hexadecimal pairs only"},
        {"# usbsim recording 1\n10 0x81 00\n9 0x81 00\n",
         "t.rec:3: time 9 us is before the previous packet's (10 us)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rec_file r;
        char err[REC_FILE_ERR_MAX] = "";
        CU_ASSERT(parse(cases[i].text, &r, err) == -1);
        CU_ASSERT(r.n == 0 && r.p == NULL);
        if (strcmp(err, cases[i].msg) != 0) {
            printf("\ncase %zu: got '%s'\n   want '%s'\n", i, err, cases[i].msg);
            CU_FAIL("message");
        }
    }
    /* a NUL byte, and a packet over the limit */
    struct rec_file r;
    char err[REC_FILE_ERR_MAX];
    const char nul[] = "# usbsim recording 1\n0 0x81 0\0\n";
    CU_ASSERT(rec_parse("t.rec", nul, sizeof nul - 1, &r, err) == -1);
    CU_ASSERT_STRING_EQUAL(err, "t.rec:2: a NUL byte: this is not a text file");
    size_t n = 2 * REC_MAX_PACKET + 2 + 40;
    char *big = malloc(n + 1);
    CU_ASSERT_FATAL(big != NULL);
    int h = snprintf(big, n, "# usbsim recording 1\n0 0x81 ");
    memset(big + h, 'a', n - (size_t)h);
    big[n] = 0;
    CU_ASSERT(rec_parse("t.rec", big, n, &r, err) == -1);
    CU_ASSERT_STRING_EQUAL(err, "t.rec:2: a packet is at most 65536 bytes");
    free(big);
}

static CU_TestInfo tests[] = {
    {"written and read back", test_write_and_read_back},
    {"comments, empty lines, CRLF", test_comments_and_crlf},
    {"malformed recordings: exact messages", test_errors},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("recording", tests); }

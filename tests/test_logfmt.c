/* Tests for sim/logfmt: each row format writes as many columns as its header names, the words
 * are distinct, and lf_name() answers "?" outside a table. */
#include <stdio.h>
#include <string.h>

#include "sim/logfmt.h"
#include "tests/cu.h"

static size_t columns(const char *line)
{
    size_t n = 1;
    for (; *line && *line != '\n'; line++)
        n += *line == ',';
    return n;
}

static void test_rows_match_headers(void)
{
    char row[256];
    CU_ASSERT_EQUAL(columns(LF_DEVICE_HEADER), LF_DEVICE_COLS);
    CU_ASSERT_EQUAL(columns(LF_DRIVER_HEADER), LF_DRIVER_COLS);
    CU_ASSERT_EQUAL(columns(LF_APP_HEADER), LF_APP_COLS);
    snprintf(row, sizeof row, LF_DEVICE_ROW, (size_t)7, 1LL, 2LL, lf_fate_names[LF_FATE_SENT],
             lf_drop_names[LF_DROP_NONE], 4u);
    CU_ASSERT_STRING_EQUAL(row, "7,1,2,sent,none,4\n");
    CU_ASSERT_EQUAL(columns(row), LF_DEVICE_COLS);
    snprintf(row, sizeof row, LF_DRIVER_ROW, (int64_t)-1, (uint64_t)9, lf_status_names[LF_ST_CRC]);
    CU_ASSERT_STRING_EQUAL(row, "-1,9,crc\n");
    snprintf(row, sizeof row, LF_APP_ROW, (uint32_t)1, (int64_t)2, (int64_t)3, (int64_t)4,
             (uint64_t)5);
    CU_ASSERT_STRING_EQUAL(row, "1,2,3,4,5\n");
    CU_ASSERT_EQUAL(columns(row), LF_APP_COLS);
    snprintf(row, sizeof row, LF_DRIVER_COUNTERS_ROW, (uint64_t)1, (uint64_t)2, (uint64_t)3,
             (uint64_t)4, (uint64_t)5);
    CU_ASSERT_EQUAL(columns(row), columns(LF_DRIVER_COUNTERS_HEADER));
    snprintf(row, sizeof row, LF_APP_COUNTERS_ROW, (uint64_t)0);
    CU_ASSERT_EQUAL(columns(row), columns(LF_APP_COUNTERS_HEADER));
}

/* Every name in a counters header is a known counter. */
static void test_counter_headers_use_known_names(void)
{
    const char *headers[] = {LF_DRIVER_COUNTERS_HEADER, LF_APP_COUNTERS_HEADER};
    for (size_t h = 0; h < 2; h++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", headers[h]);
        for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            int known = 0;
            for (int k = 0; k < LF_C_COUNT; k++)
                known += strcmp(w, lf_counter_names[k]) == 0;
            CU_ASSERT_EQUAL(known, 1);
        }
    }
}

static void test_words(void)
{
    for (int i = 0; i < LF_DROP_COUNT; i++)
        for (int j = 0; j < i; j++)
            CU_ASSERT(strcmp(lf_drop_names[i], lf_drop_names[j]) != 0);
    CU_ASSERT_STRING_EQUAL(lf_name(lf_status_names, LF_ST_COUNT, LF_ST_RING_DROP), "ring-drop");
    CU_ASSERT_STRING_EQUAL(lf_name(lf_fate_names, LF_FATE_COUNT, LF_FATE_COUNT), "?");
}

static CU_TestInfo tests[] = {
    {"rows have the columns of their headers", test_rows_match_headers},
    {"counters headers use known names", test_counter_headers_use_known_names},
    {"words distinct, unknown is ?", test_words},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("logfmt", tests); }

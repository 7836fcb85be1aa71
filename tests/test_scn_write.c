/* Tests for sim/scn_write: scn_write_yaml writes every default, block mappings as blocks and the
 * small ones as flow mappings, times back in scenario time, and what it writes loads again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"
#include "tests/cu.h"

static char *written(const struct scn_scenario *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int rc = scn_write_yaml(s, f);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void test_every_default_written(void)
{
    struct scn_scenario s, back;
    char err[SCN_ERR_MAX];
    const char *y = "name: w\nduration_ms: 1000\n";
    CU_ASSERT_EQUAL_FATAL(scn_parse("w.yaml", y, strlen(y), &s, err), 0);
    char *out = written(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "# scenario w, every default written out\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "name: \"w\"\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "device:\n  vid: 0x1209\n  pid: 0x0001\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  jitter: {distribution: none}\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  events: []\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "transport:\n  ring_slots: 256\n"));
    CU_ASSERT_EQUAL(scn_parse("again.yaml", out, strlen(out), &back, err), 0);
    CU_ASSERT_EQUAL(back.device.fifo_packets, s.device.fifo_packets);
    free(out);
}

static void test_scaled_written_in_scenario_time(void)
{
    struct scn_scenario s;
    char err[SCN_ERR_MAX];
    const char *y = "name: w\nduration_ms: 1000\ndevice:\n  events:\n"
                    "    - {at_ms: 100, halt_ms: 50}\n";
    CU_ASSERT_EQUAL_FATAL(scn_parse("w.yaml", y, strlen(y), &s, err), 0);
    scn_time_scale(&s, 10);
    char *out = written(&s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "# loaded at time scale 10:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "duration_ms: 1000\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "    - {at_ms: 100, halt_ms: 50}\n"));
    free(out);
}

static CU_TestInfo tests[] = {
    {"every default written, and loads again", test_every_default_written},
    {"a scaled scenario is written in scenario time", test_scaled_written_in_scenario_time},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("scn_write", tests); }

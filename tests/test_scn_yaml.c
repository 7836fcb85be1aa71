/* Tests for sim/scn_yaml: the reader alone (no cross-field check after it): values land in the
 * struct the caller filled with defaults, errors carry 1-based line:col in characters, and
 * hostile input (tabs, oversize, anchors, tags, a second document) is refused at its place. */
#include <string.h>

#include "sim/scn_yaml.h"
#include "tests/cu.h"

static int read_text(const char *text, struct scn_scenario *s, struct scnk_fail *f)
{
    scn_defaults(s);
    memset(f, 0, sizeof *f);
    return scny_read(text, strlen(text), s, f);
}

static void test_values(void)
{
    struct scn_scenario s;
    struct scnk_fail f;
    const char *y = "name: y\nduration_ms: 250\ndevice:\n  vid: 0xbeef\n  period_us: 500\n"
                    "  jitter: {distribution: uniform, max_us: 20}\n";
    CU_ASSERT_EQUAL_FATAL(read_text(y, &s, &f), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "y");
    CU_ASSERT_EQUAL(s.duration_ns, 250000000LL);
    CU_ASSERT_EQUAL(s.device.vid, 0xbeef);
    CU_ASSERT_EQUAL(s.device.pid, 0x0001); /* the default stays */
    CU_ASSERT_EQUAL(s.device.period_ns, 500000LL);
    CU_ASSERT_EQUAL(s.device.jitter.kind, SCN_DIST_UNIFORM);
    CU_ASSERT_EQUAL(s.device.jitter.max_ns, 20000LL);
}

static void test_places(void)
{
    struct scn_scenario s;
    struct scnk_fail f;
    CU_ASSERT_EQUAL(read_text("name: y\nduration_ms: 1\nbogus: 1\n", &s, &f), -1);
    CU_ASSERT_EQUAL(f.line, 3);
    CU_ASSERT_EQUAL(f.col, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "unknown key 'bogus' in the top level"));
    /* columns count characters: the e-acute before the tab is one column */
    CU_ASSERT_EQUAL(read_text("name: \xc3\xa9\t\n", &s, &f), -1);
    CU_ASSERT_EQUAL(f.line, 1);
    CU_ASSERT_EQUAL(f.col, 8);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "a tab character"));
    CU_ASSERT_EQUAL(read_text("name: &a y\nduration_ms: 1\n", &s, &f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "anchor '&a' is not supported"));
    CU_ASSERT_EQUAL(read_text("name: !!str y\nduration_ms: 1\n", &s, &f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "is not supported; allowed: untagged values"));
    CU_ASSERT_EQUAL(read_text("name: y\nduration_ms: 1\n---\nname: z\n", &s, &f), -1);
    CU_ASSERT_EQUAL(f.line, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "a second YAML document"));
    CU_ASSERT_EQUAL(read_text("", &s, &f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "the file is empty"));
}

static void test_size_bound(void)
{
    struct scn_scenario s;
    struct scnk_fail f = {{0}, 0, 0};
    static char big[SCN_MAX_FILE_BYTES + 2];
    memset(big, '#', sizeof big);
    scn_defaults(&s);
    CU_ASSERT_EQUAL(scny_read(big, sizeof big, &s, &f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "allowed: at most"));
    CU_ASSERT_EQUAL(scny_read(NULL, 0, &s, &f), -1); /* no buffer: an empty file */
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "the file is empty"));
}

/* A UTF-8 BOM at the start is skipped; columns on line 1 count from after it. */
static void test_bom(void)
{
    struct scn_scenario s;
    struct scnk_fail f;
    CU_ASSERT_EQUAL(read_text("\xef\xbb\xbfname: y\nduration_ms: 250\n", &s, &f), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "y");
    CU_ASSERT_EQUAL(s.duration_ns, 250000000LL);
    CU_ASSERT_EQUAL(read_text("\xef\xbb\xbfname: y\t\n", &s, &f), -1);
    CU_ASSERT_EQUAL(f.line, 1);
    CU_ASSERT_EQUAL(f.col, 8);
    CU_ASSERT_EQUAL(read_text("\xef\xbb\xbf# nothing\n", &s, &f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "the file is empty"));
}

static CU_TestInfo tests[] = {
    {"values land over the defaults", test_values},
    {"errors at their line:col", test_places},
    {"size bound and no buffer", test_size_bound},
    {"a BOM at the start is skipped", test_bom},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("scn_yaml", tests); }

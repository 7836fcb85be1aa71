/* Tests of harness/xml: what text and attributes become, byte by byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/xml.h"
#include "tests/cu.h"

/* What xml_text (attr 0) or xml_attr (attr 1) writes for s. */
static char *escaped(const char *s, int attr)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_FATAL(f != NULL);
    if (attr)
        xml_attr(f, s);
    else
        xml_text(f, s);
    fclose(f);
    return buf;
}

static void expect(const char *s, int attr, const char *want)
{
    char *got = escaped(s, attr);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static void test_markup(void)
{
    expect("a<b>&\"c\"'d'", 0, "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
    expect("a<b>&\"c\"'d'", 1, "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
    expect("&amp;", 0, "&amp;amp;");
    expect("plain text 123", 0, "plain text 123");
    expect("", 0, "");
    expect(NULL, 1, "");
}

static void test_newline_and_tab(void)
{
    expect("a\nb\tc", 0, "a\nb\tc");
    expect("a\nb\tc", 1, "a&#10;b&#9;c");
}

static void test_control_characters(void)
{
    expect("a\rb\x01" "c\x1f" "d\x7f" "e\x1b[31m", 0, "a?b?c?d?e?[31m");
    expect("\r\x02", 1, "??");
}

static void test_bytes_above_ascii_unchanged(void)
{
    expect("\xc2\xb5s \xe2\x86\x92 \xff\xfe", 0, "\xc2\xb5s \xe2\x86\x92 \xff\xfe");
    expect("\xc3\xa9t\xc3\xa9", 1, "\xc3\xa9t\xc3\xa9");
}

static CU_TestInfo tests[] = {
    {"markup characters", test_markup},
    {"newline and tab: kept in text, references in attributes", test_newline_and_tab},
    {"control characters become '?'", test_control_characters},
    {"bytes 0x80 and above are copied", test_bytes_above_ascii_unchanged},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("xml", tests); }

/* Tests of harness/svg: the mapping of data to the viewBox, and the exact text of every
 * primitive on a small chart (x 0..100, y 0..10, 100 units high: plot x 72..698, y 14..70). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/svg.h"
#include "tests/cu.h"

static char *buf;
static size_t len;

static struct svg_chart open_chart(void)
{
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_FATAL(f != NULL);
    return (struct svg_chart){.f = f, .x_end = 100, .y0 = 0, .y1 = 10, .h = 100};
}

/* Closes the chart's stream and checks what was written. */
static void expect(struct svg_chart *c, const char *want)
{
    fclose(c->f);
    CU_ASSERT_STRING_EQUAL(buf, want);
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "\n  got:  %s\n  want: %s\n", buf, want);
    free(buf);
    buf = NULL;
}

static void test_mapping(void)
{
    struct svg_chart c = {.x_end = 100, .y0 = 0, .y1 = 10, .h = 100};
    CU_ASSERT_DOUBLE_EQUAL(svg_x(&c, 0), 72.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_x(&c, 50), 385.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_x(&c, 100), 698.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_x(&c, -5), 72.0, 1e-9);  /* clamped */
    CU_ASSERT_DOUBLE_EQUAL(svg_x(&c, 250), 698.0, 1e-9); /* clamped */
    CU_ASSERT_DOUBLE_EQUAL(svg_y(&c, 0), 70.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_y(&c, 5), 42.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_y(&c, 20), 14.0, 1e-9); /* clamped */
    c.logy = 1;
    c.y0 = -2;
    c.y1 = 2;
    CU_ASSERT_DOUBLE_EQUAL(svg_y(&c, 1), 42.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_y(&c, 100), 14.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_y(&c, 0.01), 70.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(svg_y(&c, 0), 70.0, 1e-9); /* no log of 0: the bottom */
    c.x_end = 0;                                      /* an empty axis does not divide by 0 */
    CU_ASSERT_DOUBLE_EQUAL(svg_x(&c, 0.5), 385.0, 1e-9);
}

static void test_frame_and_legend(void)
{
    struct svg_chart c = open_chart();
    svg_begin(&c, "ring", "Ring <x>", "a & b");
    const char *legend[] = {"s-occ|in <ring>", "limit|the device's"};
    svg_end(&c, legend, 2);
    expect(&c, "<figure id=\"ring\"><figcaption>Ring &lt;x&gt; <span class=\"sub\">a &amp; b"
               "</span></figcaption>\n<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/"
               "svg\" viewBox=\"0 0 720 100\" role=\"img\" aria-label=\"Ring &lt;x&gt;\">\n"
               "<rect class=\"plot\" x=\"72.0\" y=\"14.0\" width=\"626.0\" height=\"56.0\"/>\n"
               "</svg></div>\n<p class=\"legend\"><span><i class=\"sw s-occ\"></i>in &lt;ring&gt;"
               "</span><span><i class=\"sw limit\"></i>the device&apos;s</span></p></figure>\n");
}

static void test_elements(void)
{
    struct svg_chart c = open_chart();
    svg_rect(&c, "r", 1, 2, 3, 4, NULL);
    svg_rect(&c, "r", 1, 2, 3, 4, "t");
    svg_line(&c, "l", 1, 2, 3, 4, NULL);
    svg_line(&c, "l", 1, 2, 3, 4, "t&");
    svg_text(&c, "lbl", 1, 2, NULL, "a&b");
    svg_text(&c, "tick", 1, 2, "end", "x");
    expect(&c, "<rect class=\"r\" x=\"1.0\" y=\"2.0\" width=\"3.0\" height=\"4.0\"/>\n"
               "<rect class=\"r\" x=\"1.0\" y=\"2.0\" width=\"3.0\" height=\"4.0\"><title>t"
               "</title></rect>\n"
               "<line class=\"l\" x1=\"1.0\" x2=\"2.0\" y1=\"3.0\" y2=\"4.0\"/>"
               "<line class=\"l\" x1=\"1.0\" x2=\"2.0\" y1=\"3.0\" y2=\"4.0\"><title>t&amp;"
               "</title></line>\n"
               "<text class=\"lbl\" x=\"1.0\" y=\"2.0\">a&amp;b</text>\n"
               "<text class=\"tick\" x=\"1.0\" y=\"2.0\" text-anchor=\"end\">x</text>\n");
}

static void test_bands_markers_bars(void)
{
    struct svg_chart c = open_chart();
    svg_band(&c, 10, 20, "ev-hold", "stall <1>");
    svg_band(&c, 10, 10, "ev-cons", "0 wide"); /* at least 1 unit */
    svg_marker(&c, 50, "ev-burst", "burst at 5");
    svg_bar(&c, 0, 10, 5, 1, "s-rate", "5 Hz");
    svg_bar(&c, 0, 0, 10, 0.5, "s-hist", "thin"); /* at least `inset` wide */
    expect(&c, "<rect class=\"ev-hold\" x=\"134.6\" y=\"14.0\" width=\"62.6\" height=\"56.0\">"
               "<title>stall &lt;1&gt;</title></rect>\n"
               "<rect class=\"ev-cons\" x=\"134.6\" y=\"14.0\" width=\"1.0\" height=\"56.0\">"
               "<title>0 wide</title></rect>\n"
               "<line class=\"ev-burst\" x1=\"385.0\" x2=\"385.0\" y1=\"14.0\" y2=\"70.0\">"
               "<title>burst at 5</title></line>\n"
               "<rect class=\"s-rate\" x=\"73.0\" y=\"42.0\" width=\"60.6\" height=\"28.0\">"
               "<title>5 Hz</title></rect>\n"
               "<rect class=\"s-hist\" x=\"72.5\" y=\"14.0\" width=\"0.5\" height=\"56.0\">"
               "<title>thin</title></rect>\n");
}

static void test_axes(void)
{
    struct svg_chart c = open_chart();
    svg_x_tick(&c, 0, "0", NULL);
    svg_x_tick(&c, 100, "1 s", NULL); /* near the right edge: anchored at its end */
    svg_x_tick(&c, 100, "x", "middle");
    svg_y_linear(&c, 5);
    expect(&c, "<line class=\"grid\" x1=\"72.0\" x2=\"72.0\" y1=\"14.0\" y2=\"70.0\"/>"
               "<text class=\"tick\" x=\"72.0\" y=\"86.0\" text-anchor=\"middle\">0</text>\n"
               "<line class=\"grid\" x1=\"698.0\" x2=\"698.0\" y1=\"14.0\" y2=\"70.0\"/>"
               "<text class=\"tick\" x=\"698.0\" y=\"86.0\" text-anchor=\"end\">1 s</text>\n"
               "<line class=\"grid\" x1=\"698.0\" x2=\"698.0\" y1=\"14.0\" y2=\"70.0\"/>"
               "<text class=\"tick\" x=\"698.0\" y=\"86.0\" text-anchor=\"middle\">x</text>\n"
               "<line class=\"grid\" x1=\"72.0\" x2=\"698.0\" y1=\"70.0\" y2=\"70.0\"/>"
               "<text class=\"tick\" x=\"66.0\" y=\"74.0\" text-anchor=\"end\">0</text>\n"
               "<line class=\"grid\" x1=\"72.0\" x2=\"698.0\" y1=\"42.0\" y2=\"42.0\"/>"
               "<text class=\"tick\" x=\"66.0\" y=\"46.0\" text-anchor=\"end\">5</text>\n"
               "<line class=\"grid\" x1=\"72.0\" x2=\"698.0\" y1=\"14.0\" y2=\"14.0\"/>"
               "<text class=\"tick\" x=\"66.0\" y=\"18.0\" text-anchor=\"end\">10</text>\n");
}

static void test_hline_and_path(void)
{
    struct svg_chart c = open_chart();
    svg_hline(&c, 5, "limit", "max <5>", 1);
    svg_hline(&c, 10, "cap", "ring 16 slots", 0);
    svg_path_begin(&c, "s-occ");
    svg_path_stroke(&c, 50, 0, 10);
    svg_path_stroke(&c, 100, 5, 5); /* a flat bucket still shows */
    svg_path_end(&c);
    expect(&c, "<line class=\"limit\" x1=\"72.0\" x2=\"698.0\" y1=\"42.0\" y2=\"42.0\"/>"
               "<text class=\"lbl limit\" x=\"694.0\" y=\"38.0\" text-anchor=\"end\">max &lt;5&gt;"
               "</text>\n"
               "<line class=\"cap\" x1=\"72.0\" x2=\"698.0\" y1=\"14.0\" y2=\"14.0\"/>"
               "<text class=\"lbl cap\" x=\"76.0\" y=\"10.0\" text-anchor=\"start\">ring 16 slots"
               "</text>\n"
               "<path class=\"s-occ\" d=\"M385.0 70.6V13.4M698.0 42.6V41.4\"/>\n");
}

static CU_TestInfo tests[] = {
    {"data to viewBox units, clamped", test_mapping},
    {"chart frame and legend, escaped", test_frame_and_legend},
    {"rect, line, text", test_elements},
    {"bands, markers, bars", test_bands_markers_bars},
    {"x and y ticks", test_axes},
    {"horizontal lines and envelope paths", test_hline_and_path},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("svg", tests); }

/* svg — drawing primitives for the charts of the HTML page: one inline SVG chart at a time,
 * written to a FILE*.
 *
 * Contract:
 *  - A chart is SVG_W wide in viewBox units and c->h high; its plot area has the margins
 *    SVG_ML, SVG_MR, SVG_MT, SVG_MB. Data x runs from 0 (left edge of the plot) to c->x_end
 *    (right edge); data y from c->y0 (bottom) to c->y1 (top), in log10 units when c->logy.
 *    svg_x() and svg_y() map data to viewBox units, clamped to the plot area (a value <= 0 on
 *    a log axis goes to the bottom).
 *  - svg_begin() opens the chart (an HTML figure with its caption, a sideways-scrolling box, the
 *    svg element, the plot's background); svg_end() closes it with its legend.
 *  - Functions named with pixel arguments (svg_rect, svg_line, svg_text) take viewBox units;
 *    every other function takes data units.
 *  - Every coordinate is written with one decimal. A rect ends its line; a line with a title ends
 *    its line, a bare line does not (its label follows on the same line); a text ends its line.
 *  - Class names and ids are the page's own and are written as given; every other text (titles,
 *    labels, captions, legend entries) is escaped with xml_text/xml_attr.
 * Prefix: svg_.
 */
#ifndef USBSIM_HARNESS_SVG_H
#define USBSIM_HARNESS_SVG_H

#include <stddef.h>
#include <stdio.h>

#define SVG_W 720.0
#define SVG_ML 72.0
#define SVG_MR 22.0
#define SVG_MT 14.0
#define SVG_MB 30.0
#define SVG_PW (SVG_W - SVG_ML - SVG_MR) /* plot width */

struct svg_chart {
    FILE *f;
    double x_end;  /* data x at the right edge of the plot (x starts at 0) */
    double y0, y1; /* data y range (log10 values when logy) */
    int logy;
    double h; /* total height, viewBox units */
};

double svg_x(const struct svg_chart *c, double x);
double svg_y(const struct svg_chart *c, double y);

/* <figure id=ID> with caption "TITLE DESC", the svg element and the plot background. */
void svg_begin(const struct svg_chart *c, const char *id, const char *title, const char *desc);
/* Closes the svg and the figure; legend: n entries "class|label", each a swatch and its label. */
void svg_end(const struct svg_chart *c, const char *const *legend, size_t n);

/* Elements in viewBox units; title NULL: none. */
void svg_rect(const struct svg_chart *c, const char *cls, double x, double y, double w, double h,
              const char *title);
void svg_line(const struct svg_chart *c, const char *cls, double x1, double x2, double y1,
              double y2, const char *title);
/* anchor: "start", "middle", "end", or NULL for none (SVG's default, start). */
void svg_text(const struct svg_chart *c, const char *cls, double x, double y,
              const char *anchor, const char *text);

/* Full plot height between data x a and b (at least 1 unit wide). */
void svg_band(const struct svg_chart *c, double a, double b, const char *cls, const char *title);
/* Full plot height at data x. */
void svg_marker(const struct svg_chart *c, double x, const char *cls, const char *title);
/* A bar from y = 0 up to data y, between data x a and b, inset on both sides (and at least
 * `inset` wide). */
void svg_bar(const struct svg_chart *c, double a, double b, double y, double inset,
             const char *cls, const char *title);
/* A vertical grid line at data x and its label below the plot; anchor NULL: "middle", or "end"
 * within 20 units of the right edge. */
void svg_x_tick(const struct svg_chart *c, double x, const char *label, const char *anchor);
/* A horizontal grid line at data y and its label left of the plot. */
void svg_y_tick(const struct svg_chart *c, double y, const char *label);
/* svg_y_tick at y0, y0 + step, ... up to y1, labelled "%g". */
void svg_y_linear(const struct svg_chart *c, double step);
/* A horizontal line across the plot at data y, its label above it at the left (right == 0) or
 * right end, in class "lbl CLS". */
void svg_hline(const struct svg_chart *c, double y, const char *cls, const char *label,
               int right);
/* One path of vertical strokes, each from data y lo to hi at data x (a min/max envelope). */
void svg_path_begin(const struct svg_chart *c, const char *cls);
void svg_path_stroke(const struct svg_chart *c, double x, double lo, double hi);
void svg_path_end(const struct svg_chart *c);

#endif

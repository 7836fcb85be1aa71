/* svg — see svg.h. */
#include "harness/svg.h"

#include <math.h>
#include <string.h>

#include "harness/xml.h"

double svg_x(const struct svg_chart *c, double x)
{
    double v = SVG_ML + x / (c->x_end > 0 ? c->x_end : 1) * SVG_PW;
    return v < SVG_ML ? SVG_ML : v > SVG_ML + SVG_PW ? SVG_ML + SVG_PW : v;
}

double svg_y(const struct svg_chart *c, double y)
{
    if (c->logy)
        y = log10(y > 0 ? y : pow(10, c->y0));
    double ph = c->h - SVG_MT - SVG_MB, r = (y - c->y0) / (c->y1 - c->y0);
    r = r < 0 ? 0 : r > 1 ? 1 : r;
    return SVG_MT + ph * (1 - r);
}

static double bottom(const struct svg_chart *c) { return c->h - SVG_MB; }

void svg_begin(const struct svg_chart *c, const char *id, const char *title, const char *desc)
{
    fprintf(c->f, "<figure id=\"%s\"><figcaption>", id);
    xml_text(c->f, title);
    fputs(" <span class=\"sub\">", c->f);
    xml_text(c->f, desc);
    fprintf(c->f, "</span></figcaption>\n<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/"
            "2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", SVG_W, c->h);
    xml_attr(c->f, title);
    fputs("\">\n", c->f);
    svg_rect(c, "plot", SVG_ML, SVG_MT, SVG_PW, c->h - SVG_MT - SVG_MB, NULL);
}

void svg_end(const struct svg_chart *c, const char *const *legend, size_t n)
{
    fputs("</svg></div>\n<p class=\"legend\">", c->f);
    for (size_t i = 0; i < n; i++) {
        const char *bar = strchr(legend[i], '|');
        int len = bar ? (int)(bar - legend[i]) : (int)strlen(legend[i]);
        fprintf(c->f, "<span><i class=\"sw %.*s\"></i>", len, legend[i]);
        xml_text(c->f, bar ? bar + 1 : "");
        fputs("</span>", c->f);
    }
    fputs("</p></figure>\n", c->f);
}

static void title_end(const struct svg_chart *c, const char *elem, const char *title)
{
    if (!title) {
        fputs("/>", c->f);
        return;
    }
    fputs("><title>", c->f);
    xml_text(c->f, title);
    fprintf(c->f, "</title></%s>\n", elem);
}

void svg_rect(const struct svg_chart *c, const char *cls, double x, double y, double w, double h,
              const char *title)
{
    fprintf(c->f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", cls,
            x, y, w, h);
    title_end(c, "rect", title);
    if (!title)
        fputc('\n', c->f);
}

void svg_line(const struct svg_chart *c, const char *cls, double x1, double x2, double y1,
              double y2, const char *title)
{
    fprintf(c->f, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"", cls, x1,
            x2, y1, y2);
    title_end(c, "line", title);
}

void svg_text(const struct svg_chart *c, const char *cls, double x, double y,
              const char *anchor, const char *text)
{
    fprintf(c->f, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\"", cls, x, y);
    if (anchor)
        fprintf(c->f, " text-anchor=\"%s\"", anchor);
    fputc('>', c->f);
    xml_text(c->f, text);
    fputs("</text>\n", c->f);
}

void svg_band(const struct svg_chart *c, double a, double b, const char *cls, const char *title)
{
    double x0 = svg_x(c, a), x1 = svg_x(c, b);
    svg_rect(c, cls, x0, SVG_MT, x1 - x0 > 1 ? x1 - x0 : 1, c->h - SVG_MT - SVG_MB, title);
}

void svg_marker(const struct svg_chart *c, double x, const char *cls, const char *title)
{
    double v = svg_x(c, x);
    svg_line(c, cls, v, v, SVG_MT, bottom(c), title);
}

void svg_bar(const struct svg_chart *c, double a, double b, double y, double inset,
             const char *cls, const char *title)
{
    double x0 = svg_x(c, a), x1 = svg_x(c, b), top = svg_y(c, y);
    svg_rect(c, cls, x0 + inset, top, fmax(x1 - x0 - 2 * inset, inset), svg_y(c, 0) - top,
             title);
}

void svg_x_tick(const struct svg_chart *c, double x, const char *label, const char *anchor)
{
    double v = svg_x(c, x);
    svg_line(c, "grid", v, v, SVG_MT, bottom(c), NULL);
    svg_text(c, "tick", v, bottom(c) + 16,
             anchor ? anchor : v > SVG_ML + SVG_PW - 20 ? "end" : "middle", label);
}

void svg_y_tick(const struct svg_chart *c, double y, const char *label)
{
    double v = svg_y(c, y);
    svg_line(c, "grid", SVG_ML, SVG_ML + SVG_PW, v, v, NULL);
    svg_text(c, "tick", SVG_ML - 6, v + 4, "end", label);
}

void svg_y_linear(const struct svg_chart *c, double step)
{
    for (double v = c->y0; v <= c->y1 + 1e-9; v += step) {
        char l[32];
        snprintf(l, sizeof l, "%g", v);
        svg_y_tick(c, v, l);
    }
}

void svg_hline(const struct svg_chart *c, double y, const char *cls, const char *label,
               int right)
{
    char lbl[64];
    double v = svg_y(c, y);
    snprintf(lbl, sizeof lbl, "lbl %s", cls);
    svg_line(c, cls, SVG_ML, SVG_ML + SVG_PW, v, v, NULL);
    svg_text(c, lbl, right ? SVG_ML + SVG_PW - 4 : SVG_ML + 4, v - 4, right ? "end" : "start",
             label);
}

void svg_path_begin(const struct svg_chart *c, const char *cls)
{
    fprintf(c->f, "<path class=\"%s\" d=\"", cls);
}

void svg_path_stroke(const struct svg_chart *c, double x, double lo, double hi)
{
    double y0 = svg_y(c, lo), y1 = svg_y(c, hi);
    fprintf(c->f, "M%.1f %.1fV%.1f", svg_x(c, x), y0 + 0.6, y1 - 0.6 < y0 ? y1 - 0.6 : y0 - 0.6);
}

void svg_path_end(const struct svg_chart *c) { fputs("\"/>\n", c->f); }

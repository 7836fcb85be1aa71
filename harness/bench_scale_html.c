/* bench_scale_html — see bench_scale_html.h. */
#include "harness/bench_scale_html.h"

#include <math.h>
#include <stdio.h>

#include "harness/svg.h"
#include "harness/xml.h"

static const char CSS[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1f2328;margin:0 auto;max-width:980px;"
    "padding:12px}h1{font-size:1.4em}.sub{color:#57606a;font-weight:normal;font-size:.9em}"
    "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #d0d7de;padding:2px 6px;"
    "text-align:right}.bad{background:#fdecea;color:#c62828}"
    "figure{margin:14px 0;border:1px solid #d0d7de;border-radius:8px;padding:8px}"
    "figcaption{font-weight:600}.scroll{overflow-x:auto}"
    "svg{display:block;width:100%;min-width:520px;height:auto}"
    "svg text{font:12px system-ui,sans-serif;fill:#1f2328}.tick{fill:#57606a}"
    ".plot{fill:#fff;stroke:#d0d7de}.grid{stroke:#eaeef2}"
    ".s0{stroke:#1565c0;stroke-width:2;fill:#1565c0}.s1{stroke:#2e7d32;stroke-width:2;fill:#2e7d32}"
    ".s2{stroke:#ef6c00;stroke-width:2;fill:#ef6c00}.kib{fill:#6a1b9a;stroke:#6a1b9a}"
    ".legend span{margin-right:14px}.sw{display:inline-block;width:14px;height:4px;"
    "vertical-align:middle;margin-right:4px}i.s0{background:#1565c0}i.s1{background:#2e7d32}"
    "i.s2{background:#ef6c00}i.kib{background:#6a1b9a}";

/* x: log10(rate / 100), 100..100000 packets/s */
static double xr(double rate)
{
    return rate > 0 ? log10(rate / 100.0) : 0;
}

struct series {
    const char *cls;
    double (*y)(const struct brun_fig *f);
};

static double cpu_dev(const struct brun_fig *f) { return f->cpu_us_pp[BRUN_DEVICE]; }
static double cpu_drv(const struct brun_fig *f) { return f->cpu_us_pp[BRUN_DRIVER]; }
static double cpu_app(const struct brun_fig *f) { return f->cpu_us_pp[BRUN_APP]; }
static double lat50(const struct brun_fig *f) { return f->latency_us[BRUN_P50]; }
static double lat99(const struct brun_fig *f) { return f->latency_us[BRUN_P99]; }
static double per50(const struct brun_fig *f) { return f->period_us[BRUN_P50]; }
static double per99(const struct brun_fig *f) { return f->period_us[BRUN_P99]; }

/* One chart: the series against the rate; logy: on a log scale (values below 0.1 drawn at 0.1). */
static void chart(FILE *f, const char *id, const char *title, const char *desc,
                  const struct bench_scale_point *p, int n, const struct series *s, int ns,
                  const char *const *legend, int logy)
{
    double top = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ns; k++)
            top = fmax(top, s[k].y(&p[i].f));
    struct svg_chart c = {f, 3.0, 0, 1, logy, 240};
    if (logy) {
        c.y0 = -1;
        c.y1 = ceil(log10(fmax(top, 1)));
    } else {
        double step = top > 0 ? pow(10, floor(log10(top))) : 1;
        c.y1 = ceil(top / step) * step;
        if (c.y1 <= 0)
            c.y1 = 1;
    }
    svg_begin(&c, id, title, desc);
    const double rates[] = {100, 1000, 10000, 100000};
    const char *const labels[] = {"100/s", "1000/s", "10000/s", "100000/s"};
    for (int i = 0; i < 4; i++)
        svg_x_tick(&c, xr(rates[i]), labels[i], NULL);
    if (logy) {
        for (double e = c.y0; e <= c.y1; e++) {
            char l[32];
            snprintf(l, sizeof l, "%g", pow(10, e));
            svg_y_tick(&c, pow(10, e), l); /* svg_y takes values; y0, y1 are log10 */
        }
    } else {
        svg_y_linear(&c, c.y1 / 4);
    }
    for (int k = 0; k < ns; k++) {
        double px = 0, py = 0;
        int have = 0;
        for (int i = 0; i < n; i++) {
            if (!p[i].ran)
                continue;
            double v = s[k].y(&p[i].f), y = logy ? fmax(v, 0.1) : v;
            double x = svg_x(&c, xr(p[i].rate)), yy = svg_y(&c, y);
            char t[160];
            snprintf(t, sizeof t, "%.0f/s %u B %s: %.2f%s", p[i].rate, p[i].bytes,
                     p[i].bulk ? "bulk" : "interrupt", v, p[i].sustained ? "" : " (not sustained)");
            if (p[i].bytes != 112) { /* the 1 KiB point: its own marker, not on the line */
                svg_rect(&c, "kib", x - 4, yy - 4, 8, 8, t);
                continue;
            }
            if (have)
                svg_line(&c, s[k].cls, px, x, py, yy, NULL);
            svg_rect(&c, s[k].cls, x - 2.5, yy - 2.5, 5, 5, t);
            px = x, py = yy, have = 1;
        }
    }
    svg_end(&c, legend, (size_t)ns + 1);
}

int bench_scale_html(const char *path, const struct bench_scale_point *p, int n, double max_rate)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>usbsim bench "
               "scale</title><style>%s</style></head><body>\n<h1>usbsim bench scale <span "
               "class=\"sub\">end to end on the usbip backend; highest rate sustained with no loss: "
               "%.0f packets/s (112 B)</span></h1>\n<table><tr><th>rate/s</th><th>bytes</th>"
               "<th>endpoint</th><th>delivered</th><th>lost</th><th>cpu us/pkt device</th>"
               "<th>driver</th><th>app</th><th>latency p50 us</th><th>p99</th>"
               "<th>period error p50 us</th><th>p99</th></tr>\n", CSS, max_rate);
    for (int i = 0; i < n; i++) {
        const struct brun_fig *g = &p[i].f;
        fprintf(f, "<tr%s><td>%.0f</td><td>%u</td><td>%s</td><td>%llu/%llu</td><td>%llu</td>"
                   "<td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
                   "<td>%.1f</td></tr>\n",
                p[i].sustained ? "" : " class=\"bad\"", p[i].rate, p[i].bytes,
                p[i].bulk ? "bulk" : "interrupt", (unsigned long long)g->delivered,
                (unsigned long long)g->produced, (unsigned long long)g->lost,
                g->cpu_us_pp[BRUN_DEVICE], g->cpu_us_pp[BRUN_DRIVER], g->cpu_us_pp[BRUN_APP],
                g->latency_us[BRUN_P50], g->latency_us[BRUN_P99], g->period_us[BRUN_P50],
                g->period_us[BRUN_P99]);
    }
    fputs("</table>\n", f);
    const struct series cpu[] = {{"s0", cpu_dev}, {"s1", cpu_drv}, {"s2", cpu_app}};
    const char *const cpu_leg[] = {"s0|device", "s1|driver", "s2|application", "kib|1 KiB bulk"};
    chart(f, "cpu", "CPU per packet", "us of CPU per delivered packet, each process", p, n, cpu, 3,
          cpu_leg, 0);
    const struct series lat[] = {{"s0", lat50}, {"s2", lat99}};
    const char *const lat_leg[] = {"s0|p50", "s2|p99", "kib|1 KiB bulk"};
    chart(f, "latency", "Latency", "device -> application, us (log scale)", p, n, lat, 2, lat_leg, 1);
    const struct series per[] = {{"s0", per50}, {"s2", per99}};
    chart(f, "period", "Period error", "the device's produce time against its schedule, us (log "
          "scale)", p, n, per, 2, lat_leg, 1);
    fputs("<p class=\"sub\">Rates on a log scale. A red row or a point marked not sustained lost "
          "packets or fell behind.</p></body></html>\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

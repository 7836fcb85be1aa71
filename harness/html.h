/* html — one run as a self-contained HTML page people look at.
 *
 * Contract:
 *  - html_write() writes ONE file: HTML5 with inline CSS and inline SVG charts drawn here; no
 *    script, no external resource of any kind (no network, fonts, images or links). The only
 *    URL-like text is the SVG namespace.
 *  - Top: the verdict (PASS/FAIL), the scenario's identity, the reasons it failed (highlighted),
 *    then the figures of the report, each next to its expect limit, highlighted when it breaks it.
 *  - Charts (x: scenario time from the device start, ms; see verify.h on time_scale):
 *      timeline   the scenario's device events (stall, halt, disconnect as bands; burst and
 *                 corrupt as markers), consumer stalls, and every lost packet at its due time,
 *                 by place (device, ring, crc, unexplained — the last in red), as the
 *                 verifier accounted it (res->lost; none shown when res has none, e.g. a
 *                 result read back from JSON);
 *      ring       occupancy: packets ingressed by the driver and not yet received by the
 *                 application (from app rows), ring capacity and backlog_max, ring-drop and
 *                 crc rows marked where they happened;
 *      latency    device->driver and driver->application per packet (log scale, by produce time);
 *      rate       packets per 1 s window, against expect.rate_hz;
 *      histogram  inter-arrival times at the application (log bins), the period marked.
 *    Every time chart shades the event windows. Each series is reduced to at most
 *    HTML_MAX_BUCKETS buckets (min and max kept), so the file stays small for any run length.
 *  - Readable on a phone (viewBox + width 100%, charts scroll sideways below a minimum width,
 *    responsive grid) and in print (@media print). Every text from the inputs is escaped
 *    (xml.h).
 *  - The figures are computed in html_fig.h, drawn with svg.h; this module lays out the page.
 *  - run may be NULL (no records): the page then has the verdict and figures only.
 *  - Returns 0, or -1 with "PATH: why" in err (a partial file may remain).
 * Prefix: html_.
 */
#ifndef USBSIM_HARNESS_HTML_H
#define USBSIM_HARNESS_HTML_H

#include <stddef.h>

#include "harness/records.h"
#include "harness/verify.h"
#include "sim/scenario.h"

#define HTML_ERR_MAX 512
#define HTML_MAX_BUCKETS 1000

int html_write(const char *path, const struct scn_scenario *sc, const struct rec_run *run,
               const struct vfy_result *res, char err[HTML_ERR_MAX]);

/* The file for scenario `name` when one option names one file for n scenarios: path itself
 * when n == 1, else the name inserted before the extension ("out.html" -> "out-steady.html").
 * Returns 0, or -1 when it does not fit in cap. */
int html_path_for(const char *path, const char *name, size_t n, char *out, size_t cap);

#endif

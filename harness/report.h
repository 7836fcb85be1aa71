/* report — verification results as people and CI read them.
 *
 * Contract:
 *  - rpt_line(): one line per scenario, e.g.
 *      "PASS steady  500/500 delivered, lost 0, 100.0 Hz, latency p50 300 us p99 1.2 ms max 4.0 ms,
 *       backlog 3, stream 0x81" (a loss is broken down: "lost 20 (device 11, ring 5, crc 3,
 *       unexplained 1)"; the stream judged ends it: "stream 0x81", "raw stream 0x81" for a raw
 *       one, nothing when the endpoint is not known)
 *    then, when it failed, one line per reason indented by four spaces ("    - reason").
 *    An expected failure (xfail) starts with "XFAIL" instead of "FAIL" (yellow, not red).
 *    ANSI colour only when color != 0 (the caller decides, e.g. isatty()).
 *  - rpt_json_write(): the report of README.md (Reports) as ONE JSON OBJECT
 *      {"format": "usbsim-report", "version": 1, "passed": P, "failed": F, "xfailed": X,
 *       "scenarios": [ {...}, ... ]}
 *    (P + F + X scenarios: an expected failure counts in X only.)
 *    Each scenario object has every documented key: name, verdict ("pass"|"fail"; "fail" for an
 *    expected failure too), xfail (true|false), failures [strings], failure_kinds [the kind
 *    names (vfy_kind_name), same order as failures],
 *    produced, delivered, lost_accounted {device, ring, crc}, lost_unexplained, duplicates,
 *    reordered, crc_errors, rate_hz, latency_us {p50, p99, max}, backlog_max, drain_ms_max,
 *    doorbells, wakeups (null when not measured), backend, seed, time_scale; and also:
 *    latency_stage_us {device_driver {p50,p99,max}, driver_app {p50,p99,max}},
 *    rate_window_hz {min, max, windows: [{start_s, hz, checked}]}, backlog_source
 *    ("counter"|"records"), drains: [{stall_end_ms, drain_ms}], wall_s, endpoint ("0x81", null
 *    when not known) and framing ("usbsim"|"raw"): these two optional when read (absent in
 *    older reports: not known, usbsim).
 *    Every time is in scenario time (see verify.h); latencies in microseconds, as numbers that
 *    read back to the same nanosecond. A seed above 2^63-1 is written as a decimal string.
 *  - rpt_json_read(): reads such a file back (a regular file of at most 256 MiB) (a bare array of scenario objects is accepted too)
 *    into a new array of results; each key of the list above is required with its type, except
 *    failure_kinds (absent in older reports: every kind is "other"; an unknown name is an
 *    error) and xfail (absent: false; true with verdict pass is an error); on error
 *    -1 and one line in err, "FILE: what is wrong" (with the JSON line:column when it does not
 *    parse, or the key path, e.g. "scenarios[1].latency_us.p99: expected a number").
 *  - rpt_junit_write(): JUnit XML: <testsuites> with one <testsuite name="usbsim"> holding
 *    tests/failures/errors/skipped/time counts, one <testcase classname="usbsim"
 *    name=SCENARIO time=S> per scenario, holding (when the endpoint is known) <properties> with
 *    the properties endpoint ("0x81") and framing ("usbsim"|"raw"), and for a failure <failure message="reasons joined by
 *    '; '" type=KIND-OF-THE-FIRST-REASON> with one reason per line as text, each prefixed by
 *    its kind in brackets ("[loss] lost 180 packets ..."). An expected failure is skipped
 *    (pytest's xfail convention): <skipped message="expected failure: reasons joined by '; '"/>,
 *    counted in skipped, not in failures. Everything XML-escaped; control characters that
 *    XML 1.0 cannot carry become '?'.
 *  - Writers: the path "-" is standard output (flushed, never closed). They return 0, or -1
 *    with an errno-based message in err ("FILE: ...").
 * Prefix: rpt_.
 */
#ifndef USBSIM_HARNESS_REPORT_H
#define USBSIM_HARNESS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "harness/verify.h"

#define RPT_ERR_MAX 512

void rpt_line(FILE *f, const struct vfy_result *r, int color);
int rpt_json_write(const char *path, const struct vfy_result *results, size_t n,
                   char err[RPT_ERR_MAX]);
/* *out: a new array of *n results; free with rpt_results_free. */
int rpt_json_read(const char *path, struct vfy_result **out, size_t *n, char err[RPT_ERR_MAX]);
void rpt_results_free(struct vfy_result *results, size_t n);
int rpt_junit_write(const char *path, const struct vfy_result *results, size_t n,
                    char err[RPT_ERR_MAX]);
/* JUnit XML for a run that could not start (exit 2 or 3): one testcase NAME holding
 * <error message=WHY type="usage"|"environment">WHY</error>, so CI shows why. "-": stdout. */
int rpt_junit_error(const char *path, const char *name, int exit_code, const char *why,
                    char err[RPT_ERR_MAX]);

#endif

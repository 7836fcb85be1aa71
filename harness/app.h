/* app — the application of an end-to-end run: maps the driver's ring from its own process and
 * drains it in batches, as a real application does, applying the scenario's consumer behaviour.
 *
 * Contract:
 *  - app_run() connects to the driver's UNIX socket, then loops: sleep on the doorbell, take up to
 *    consumer.batch_max packets, spend consumer.work (one draw per packet, busy, as real
 *    processing would) on each, release them. During each consumer stall event it does not drain.
 *    Event times are measured from the device's start, which the application learns from the
 *    first packet it receives (its produce time minus its due time in the device's plan).
 *  - Every packet taken is recorded (seq, receive time, produce time, ingress time, batch) and
 *    written to the app log (records.h, REC_CSV_HEADER_APP) when the run ends: when the driver
 *    closes the ring and everything was read, or the driver goes away.
 *  - A packet too short to carry a seq is recorded as a failure on stderr and counted, never
 *    dropped silently. Returns 0 on a clean end, 1 when the ring or the driver failed.
 *  - A raw stream (the plan's framing raw: no header, no seq in the packet): each packet is
 *    identified by its place and content against the plan's bytes (sim/rawmatch.h); its row
 *    holds that seq (a duplicate's again) and produce_ns 0 (the packet does not carry it). A
 *    packet it cannot identify (content the device never planned: corrupted) gets no row and is
 *    counted: the counters file then holds `unknown` too (sim/logfmt.h). The device's start is
 *    estimated from the first packet identified: its ingress time less its planned send time.
 * Prefix: app_.
 */
#ifndef USBSIM_HARNESS_APP_H
#define USBSIM_HARNESS_APP_H

#include <signal.h>

#include "sim/scenario.h"

struct app_opts {
    const struct scn_scenario *sc; /* as run (after --time-scale) */
    const char *socket_path;
    const char *log_path;          /* app.csv */
    const char *counters_path;     /* its counters (missed_wakeups; unknown for a raw stream), or
                                      NULL */
    int connect_timeout_ms;
    volatile sig_atomic_t *stop;   /* optional: stop draining and write the log */
};

int app_run(const struct app_opts *o);

#endif

/* verify — judges one end-to-end run (its records) against its scenario's expect and the
 * invariants every run must hold (README.md, "usbsim run"), and says why it fails, with the numbers.
 *
 * Time: every figure in struct vfy_result is in SCENARIO time. The scenario passed in is the one
 * that was run, i.e. after scn_time_scale(X): its event times and expect limits were divided by
 * X, and the records are in real time. Real time t corresponds to scenario time t * X
 * (X = sc->time_scale), so durations are multiplied by X and rates divided by X; expect limits
 * are compared after multiplying them back by X. With X = 1 nothing changes.
 *
 * What is computed (see vfy_check):
 *  - produced: device rows; delivered: distinct produced seqs the application received
 *    (duplicates and seqs the device never produced are counted apart).
 *  - loss, seq by seq: a produced seq not delivered is accounted at the device (fate dropped),
 *    at crc (a driver crc row with its seq), at the ring (a ring-drop row with its seq), or by a
 *    driver row with seq -1 (crc rows first go to corrupted packets, then crc, then ring-drop);
 *    at the application (a driver ok row with its seq: put into the ring, never taken; only
 *    --app runs log ok rows), what is left is lost_unexplained. So produced == delivered +
 *    lost_accounted.{device,ring,crc,app} + lost_unexplained. lost[] names each of these packets with its place (one place each).
 *  - duplicates; reordered (a seq lower than the highest one before it); crc_errors (packets the
 *    device corrupted on purpose that reached the application); every corrupted packet must have
 *    been rejected by the driver.
 *  - A raw stream (rec_run.raw: no usbsim header, each packet identified by the application by
 *    place and content): the driver checks nothing, so a corrupted packet reaches the
 *    application, which cannot identify it (content the device never planned) and counts it
 *    (counters.unknown). Those packets stand for crc rows without a seq: they go first to the
 *    corrupted packets lost (lost at crc: detected), then to other lost packets; every corrupted
 *    packet must have been detected (an unknown count for it), none taken as good (delivered);
 *    unknown packets beyond every lost packet are an accounting failure. An application row
 *    without a produce time (0) takes the device log's for its seq (latency).
 *  - rate_hz: (rows - 1) / (last recv - first recv); per 1 s window from the device start (only
 *    windows wholly inside duration_ms): min/max of all, checked against expect.rate_hz only where
 *    no device or consumer event is active within the window or ended less than 1 s before it,
 *    with 1 packet of tolerance for the window edges. A packet counts in the window of its
 *    receive time less the device's own lateness (produce - due when positive: the emulator
 *    built it late, which is not the consumer's doing).
 *  - latency device->app (recv - produce), device->driver (ingress - produce), driver->app
 *    (recv - ingress): p50/p99/max by nearest rank over every application row whose latency
 *    of that stage is >= 0. A negative one (received before it was produced, ...) is no
 *    figure: it is an integrity failure naming its seqs. Differences of record times saturate
 *    at the ends of int64 (vfy_sub_ns), so records holding any times never overflow.
 *  - backlog_max: the ring's high-water counter, or, when it is REC_MISSING, the most packets
 *    ingressed and not yet received at any time according to app.csv (a lower bound: packets
 *    evicted from the ring are not seen there).
 *  - drain after each consumer stall: from the stall's end to the receive time of the last
 *    delivered packet ingressed before that end (0 when the ring was already empty). After
 *    each device hold stall: from its end until the application has caught up with the packets
 *    it released: the first instant, once every delivered packet held in the window has
 *    entered the ring, at which no packet waits in the ring. drains[] holds the consumer
 *    stalls first, in order, then the device's hold stalls.
 *  - doorbells, wakeups: copied from the counters (VFY_MISSING when not measured).
 * Failures regardless of expect: a lost wake-up (the application slept with packets waiting and
 * no doorbell came), unexplained loss, duplicates, reordering, a corrupted packet
 * delivered or not rejected, a delivered packet the device dropped or never produced, a
 * negative latency of any stage, driver
 * rows or counters that match no loss. expect.verdict / expect.failure are used only by
 * vfy_apply_expect(), after the verdict is known.
 *
 * Failures are data: each one has a kind (enum vfy_kind, VFY_KIND_MAP below) besides its text,
 * in the parallel array failure_kinds. Programs decide by the kind, never by the text; the kind's
 * name is stable (reports, the fuzzer's invariants, expect.failure).
 *
 * Expected failures (XFAIL): a scenario with expect.verdict: fail is meant to fail. When it fails
 * and one of its failures' text contains expect.failure, or its kind's name equals it (an empty
 * expect.failure matches any failure), the result is an expected failure: xfail is set, pass
 * stays false. When it passes, a failure of kind unexpected_pass is added. When it fails for
 * another reason, it stays a plain failure. vfy_ok() is what an exit code is made of.
 *
 * Never crashes on inconsistent records: they become failures. Out of memory becomes a failure.
 * Prefix: vfy_.
 */
#ifndef USBSIM_HARNESS_VERIFY_H
#define USBSIM_HARNESS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/records.h"
#include "sim/scenario.h"

#define VFY_MISSING UINT64_MAX

/* X(ENUM, "name", "what it means"): every kind of failure, in a stable order; names are lower
 * case and never change (reports carry them). */
#define VFY_KIND_MAP(X)                                                                           \
    X(LOSS, "loss", "more packets lost than expect.lost_max, or delivered below "                 \
      "expect.delivered_min_ratio")                                                               \
    X(UNEXPLAINED_LOSS, "unexplained_loss", "a packet lost and accounted nowhere")                \
    X(DUPLICATE, "duplicate", "a packet delivered twice")                                         \
    X(REORDER, "reorder", "a packet delivered after a later one")                                 \
    X(CORRUPTION, "corruption", "a corrupted packet delivered, or not rejected by the driver")    \
    X(INTEGRITY, "integrity", "a packet delivered that the device never produced or dropped, "    \
      "or whose payload is not the scenario's")                                                   \
    X(ACCOUNTING, "accounting", "driver rows or counters that match no loss")                     \
    X(RATE, "rate", "the long-run rate outside expect.rate_hz")                                   \
    X(RATE_WINDOW, "rate_window", "the rate of 1 s windows outside expect.rate_hz")               \
    X(LATENCY, "latency", "latency above expect.latency_ms")                                      \
    X(BACKLOG, "backlog", "the ring's high-water mark above expect.backlog_max")                  \
    X(DRAIN, "drain", "the drain after a stall above expect.drain_ms_max")               \
    X(MISSED_WAKEUP, "missed_wakeup", "the application slept with packets waiting and no "        \
      "doorbell came")                                                                            \
    X(PROCESS_CRASH, "process_crash", "a process was killed by a signal")                         \
    X(PROCESS_HANG, "process_hang", "a process was stopped by the watchdog")                      \
    X(PROCESS_FAILED, "process_failed", "a process exited non-zero, or left no records")          \
    X(PROCESS_STOPPED, "process_stopped", "a process was stopped because another one failed "     \
      "(a consequence, not a culprit)")                                                           \
    X(UNEXPECTED_PASS, "unexpected_pass", "a scenario meant to fail passed")                      \
    X(OTHER, "other", "anything else (out of memory; a report written without kinds)")

#define VFY_KIND_ENUM_(e, name, doc) VFY_KIND_##e,
enum vfy_kind { VFY_KIND_MAP(VFY_KIND_ENUM_) VFY_KIND_COUNT };
#undef VFY_KIND_ENUM_

/* The kind's stable name ("loss"), or "?" out of range. */
const char *vfy_kind_name(enum vfy_kind kind);
/* One sentence saying what the kind means, or "?" out of range. */
const char *vfy_kind_doc(enum vfy_kind kind);
/* The kind named name: 0 and *out set, or -1 when no kind has that name. */
int vfy_kind_parse(const char *name, enum vfy_kind *out);
#define VFY_LIST_MAX 10 /* seqs named in one failure, then "and N more" */

struct vfy_latency {
    int64_t p50_ns, p99_ns, max_ns;
    uint64_t n; /* samples */
};

struct vfy_window {
    int64_t start_ns; /* from the device start */
    uint64_t packets; /* received in [start, start + 1 s): the rate in Hz */
    bool checked;     /* compared with expect.rate_hz */
};

struct vfy_drain {
    int64_t stall_end_ns; /* from the device start */
    int64_t drain_ns;
    bool device;          /* after a device hold stall; else after a consumer stall */
};
/* One drain per consumer stall and per device hold stall. */
#define VFY_MAX_DRAINS (2 * SCN_MAX_EVENTS)

/* Where a lost packet is accounted (lost_accounted.device/.ring/.crc, lost_unexplained). */
/* app: put into the ring by the driver (a driver row with status ok) and never taken by the
 * application (a user's application, `run --app`, whose driver logs what it put in the ring). */
/* host, program: a run of a user's program on a real USB stack (rec_run.exec_run): a packet the
 * device sent that the host stack never completed to the program is lost at host; one it
 * completed (a driver ok row, from usbmon) that is missing from the program's trace at program;
 * a corrupted one the program did not take was rightly rejected: crc. */
enum vfy_place { VFY_PLACE_DEVICE, VFY_PLACE_RING, VFY_PLACE_CRC, VFY_PLACE_UNEXPLAINED,
                 VFY_PLACE_APP, VFY_PLACE_HOST, VFY_PLACE_PROGRAM, VFY_PLACE_COUNT };
/* "device", "ring", "crc", "unexplained", "app", "host", "program" */
const char *vfy_place_name(enum vfy_place p);
/* due_ns: the packet's due time from the device start (device log), in scenario time. */
struct vfy_lost { uint64_t seq; int64_t due_ns; enum vfy_place place; };

/* The reading pace lost_behind allows for: one packet per ms (real time), well within what a
 * program on a real USB stack reads, even a Python one under an emulated CPU. */
#define VFY_READ_REAL_NS 1000000LL
/* ... and the time it allows the host to find the device again after a disconnect (enumeration,
 * the program opening it anew): 1 s real. */
#define VFY_REENUM_REAL_NS 1000000000LL

struct vfy_result {
    char name[SCN_MAX_NAME + 1];
    char backend[32];
    uint64_t seed;
    double time_scale;
    double wall_s; /* real duration of the run, set by the caller (JUnit time); 0 if unknown */
    uint8_t endpoint; /* the stream's IN endpoint (scn_stream_ep), e.g. 0x81; 0: not known */
    bool raw;         /* the stream is raw (rec_run.raw): identified by place and content */
    bool pass;
    bool xfail; /* failed as its scenario said it would (see vfy_apply_expect); pass is false */

    uint64_t produced, delivered;
    struct {
        uint64_t device, ring, crc, app, host, program;
    } lost_accounted;
    /* Of lost_accounted.device: dropped from the device's FIFO where the plan (sched_build) has
     * them leave the device, beyond what a host reading one packet every VFY_READ_REAL_NS
     * (and back VFY_REENUM_REAL_NS after a disconnect) would lose there: the reader (the driver, or the user's program with --exec) fell
     * behind. */
    uint64_t lost_behind;
    bool exec_run; /* the reader is the user's program on a real USB stack (rec_run.exec_run) */
    uint64_t lost_unexplained, duplicates, reordered, crc_errors;
    struct vfy_lost *lost; size_t n_lost; /* owned; every lost seq with its place, by seq */

    double rate_hz;                     /* long-run, at the application */
    double window_min_hz, window_max_hz; /* over every window; 0 when there is none */
    size_t n_windows;
    struct vfy_window *windows; /* owned */

    struct vfy_latency latency;       /* device -> application */
    struct vfy_latency lat_dev_drv;   /* device -> driver */
    struct vfy_latency lat_drv_app;   /* driver -> application */

    uint64_t backlog_max;
    bool backlog_from_records; /* the counter was missing */
    size_t n_drains;
    struct vfy_drain drains[VFY_MAX_DRAINS];
    int64_t drain_max_ns; /* 0 without a stall */

    uint64_t doorbells, wakeups; /* VFY_MISSING when not measured */
    uint64_t missed_wakeups;     /* lost wake-ups seen by the application; VFY_MISSING if unknown */

    size_t n_failures;
    char **failures; /* owned */
    enum vfy_kind *failure_kinds; /* owned; failure_kinds[i] is the kind of failures[i] */
};

/* Empty result for scenario sc: pass, zero figures, identity (name, seed, time_scale, backend
 * ("" when NULL), endpoint) filled in. Use it when a run produced no records at all. */
void vfy_init(struct vfy_result *out, const struct scn_scenario *sc, const char *backend);
/* vfy_init(out, sc, run->backend), then compute and check everything. Returns 0 when the
 * verdict is pass, 1 when fail. Free with vfy_free. */
int vfy_check(const struct scn_scenario *sc, const struct rec_run *run, struct vfy_result *out);
/* Appends a failure of the given kind (printf format) and makes the verdict fail, e.g. for a
 * process that crashed: vfy_add_failure(&r, VFY_KIND_PROCESS_CRASH, "driver: crashed: ..."). */
void vfy_add_failure(struct vfy_result *out, enum vfy_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Once the verdict is known: applies sc's expect.verdict / expect.failure (see the top). */
void vfy_apply_expect(const struct scn_scenario *sc, struct vfy_result *r);
/* Passed, or failed as expected: what counts as success for an exit code. */
bool vfy_ok(const struct vfy_result *r);
void vfy_free(struct vfy_result *out);
/* A raw stream (run->raw): the application identified each packet by place and content as it
 * came, knowing only the plan; packets that look alike (a pattern generator, idle reports) were
 * placed in order among the samples the plan sends. Once the device log is known, this places
 * them again, in the same order, among the samples the device really sent intact (not dropped,
 * not corrupted, produced): each application row's seq becomes the one sim/rawmatch.h picks for
 * the plan's bytes of its seq with the device's real losses taken out; so does each driver row
 * with status ok and a seq (usbmon's, for --exec), in the driver log's own order. The packets
 * the ring lost (ring-drop rows without a seq: their contents are gone) take their places among
 * the application's rows by time: one dropped as it arrived before every row ingressed after it,
 * one evicted (drop-oldest: logged when the packet that evicted it arrived) before every row
 * received after that. A corrupted
 * sample of no bytes went out unchanged (no byte to change): its device row loses the corrupt
 * flag (there was nothing to detect). A row whose content the
 * device sent under no other seq keeps its seq (the verdict then names it). Rows of a stream
 * whose contents all differ keep their seqs. 0, or -1 with one line in err (the plan cannot be
 * built, out of memory): the rows are then left as they were. */
int vfy_raw_place(const struct scn_scenario *sc, struct rec_run *run, char *err, size_t len);
/* a - b and a + b for times in ns, saturated to the int64 range: never a signed overflow. Every
 * difference of two record times here and in html_fig is taken with them. */
int64_t vfy_sub_ns(int64_t a, int64_t b);
int64_t vfy_add_ns(int64_t a, int64_t b);
/* p50/p99/max by nearest rank of n values (sorts v in place); all zero when n is 0. */
void vfy_summarize(struct vfy_latency *l, int64_t *v, size_t n);
const char *vfy_verdict(const struct vfy_result *r); /* "pass" | "fail" */

#endif

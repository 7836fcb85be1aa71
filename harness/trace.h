/* trace — judge a receive log written by any other driver or application against a scenario.
 *
 * The trace format (docs/trace-format.md): a CSV text file,
 *   - first line, exactly:  seq,recv_ns   or   seq,recv_ns,bytes_hex
 *   - then one line per packet the application received, in the order it received them:
 *       seq       the packet's seq (bytes 4..7 of the packet), decimal, 0..4294967295
 *       recv_ns   when it was received, decimal ns of any monotonic clock (CLOCK_MONOTONIC is
 *                 best); never decreasing from one line to the next
 *       bytes_hex the whole packet as hex digits (2 per byte, either case), when the header has it
 *   - every line ends in '\n' ("\r\n" is accepted); no spaces, no empty lines, no comments;
 *     a UTF-8 byte order mark before the header is skipped.
 *   - bounds: a regular file (not a FIFO, a device or a directory) of at most TRACE_MAX_BYTES
 *     bytes, lines of at most TRACE_MAX_LINE bytes (the '\n' included), at most
 *     TRACE_MAX_PACKETS packet lines; over one, the file is refused (memory stays bounded).
 * With bytes, each packet is checked as the driver would: a packet whose CRC, magic or size is
 * wrong counts as rejected for its CRC (lost at crc, not delivered); a packet whose CRC is right
 * but whose payload is not the scenario's (wrong seed?) is a failure. Without bytes, the packets
 * the scenario corrupts are expected to be missing (rejected): they count as lost at crc.
 *
 * How the records are rebuilt (then vfy_check judges them exactly as for `usbsim run`):
 *  - device rows: the scenario's plan (sched_build: seqs, fates, flags), due_ns = t0 + the
 *    planned due time. With bytes, each packet's dropped_before also marks the seqs just before
 *    it as dropped at the device (the device's FIFO overflowed under a slow host).
 *  - t0 (the device's start on the trace's clock): with bytes, min(produce - planned due) over
 *    the good packets, produce times taken from the packets; when the trace's clock is not the
 *    device's (some receive time before its produce time, or the fastest packet over 1 s late),
 *    produce times are shifted so that the fastest packet has latency 0. Without bytes,
 *    t0 = min(recv - planned due) and produce times are the planned ones: latencies are then
 *    relative to the fastest packet.
 *    Times are int64 ns: a trace whose produce times cannot be shifted so (a latency 2^63 ns or
 *    more from the fastest one), or whose t0 would put the plan outside int64, is refused.
 *  - application rows: the trace's lines (batch = line number). The receiver is one stage:
 *    ingress_ns = produce_ns, so "device->driver" latency is 0, backlog is the packets produced
 *    and not yet received, and drain is measured from the device to the receiver.
 *  - driver rows: one crc row per rejected packet. Counters: not measured.
 *
 * A scenario whose framing is raw (packets without usbsim's header: no seq in them) is refused:
 * a trace keyed by seq cannot be written for it.
 *
 * Contract: trace_load() never crashes on any input and fails with exactly one line in err,
 * "FILE:LINE: what is wrong" (or "FILE: ..."). trace_main() is `usbsim verify`: same verdict
 * line, --json/--junit reports and exit codes as `usbsim run` (0 pass or expected failure,
 * 1 fail, 2 bad usage, scenario or trace: one line on stderr).
 * Prefix: trace_.
 */
#ifndef USBSIM_HARNESS_TRACE_H
#define USBSIM_HARNESS_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "harness/cli.h"
#include "harness/records.h"
#include "harness/verify.h"
#include "sim/scenario.h"

#define TRACE_ERR_MAX 512
#define TRACE_MAX_LINE 4096               /* bytes in one line, its '\n' included */
#define TRACE_MAX_BYTES (32ULL << 30)     /* bytes in the file */
#define TRACE_MAX_PACKETS (2ULL * SCN_MAX_SAMPLES) /* packet lines */
#define TRACE_HEADER "seq,recv_ns"
#define TRACE_HEADER_BYTES "seq,recv_ns,bytes_hex"

struct trace_info {
    bool has_bytes;
    bool same_clock;       /* with bytes: produce times were used as they are */
    uint64_t lines;        /* packet lines */
    uint64_t payload_bad;  /* good CRC, wrong payload */
    uint32_t payload_seq[VFY_LIST_MAX];
};

/* Reads trace `path` for scenario sc (seed and time scale applied) into *run (rec_init first;
 * backend "trace"). 0, or -1 with err set and *run empty. */
int trace_load(const char *path, const struct scn_scenario *sc, struct rec_run *run,
               struct trace_info *info, char err[TRACE_ERR_MAX]);
/* vfy_check plus what only a trace can show (wrong payloads), then vfy_apply_expect. 0 when
 * vfy_ok (passed, or failed as the scenario expects), 1 otherwise. */
int trace_judge(const struct scn_scenario *sc, const struct rec_run *run,
                const struct trace_info *info, struct vfy_result *out);
/* `usbsim verify --scenario FILE --trace TRACE [--seed N] [--time-scale X] [--json F]
 * [--junit F] [--html F] [--quiet]`: its own options by index in trace_cmd.opts, the command's
 * declaration in cli.c's table. trace_main() takes the parsed options; returns the exit code. */
enum trace_opt { TRACE_OPT_SCENARIO, TRACE_OPT_TRACE, TRACE_OPT_COUNT };
extern const struct cli_cmd trace_cmd;
int trace_main(struct cli_opts *o);

#endif

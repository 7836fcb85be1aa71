/* record — what an application took from the ring, recorded by the library itself when the
 * harness asks for it, so a user's application needs no code for it.
 *
 * Contract:
 *  - rcd_from_env() looks at USBSIM_RECORD: unset or empty, it returns NULL and nothing is ever
 *    recorded (every rcd_* call takes NULL and does nothing). Set to a directory DIR, it opens
 *    DIR/app.csv for appending (writing its header when the file is empty) and returns a
 *    recorder; when that fails it says so once on stderr and returns NULL (the application runs
 *    on, unrecorded). The formats are sim/logfmt.h's application log and counters, the same the
 *    harness's own application writes (harness/records.h says what the columns mean).
 *  - rcd_take() records one packet taken from the ring: its seq (packet bytes 4-7, sim/packet.h),
 *    the receive time (CLOCK_MONOTONIC, now), the produce time (bytes 8-15), the ingress time
 *    the driver gave it, and its batch. Each ring position is recorded once, however often it is
 *    looked at. A packet too short to carry the header is not recorded. A batch is what the
 *    application takes between two rcd_mark() calls (a release, a wait).
 *  - Rows are buffered and written with whole lines: at every rcd_mark(), when the buffer fills,
 *    and by rcd_close(); so an application killed between batches leaves every batch it finished
 *    on disk, and never a partial line.
 *  - rcd_missed() keeps DIR/app-counters.csv (missed_wakeups) up to date: written at once, then
 *    rewritten whenever the count changes.
 *  - Nothing blocks beyond a local file write; no allocation after rcd_from_env().
 * Internal to libusbsim-ring (not installed, not exported: the version script keeps only
 * usbsim_* names).
 * Prefix: rcd_.
 */
#ifndef USBSIM_DRIVER_RECORD_H
#define USBSIM_DRIVER_RECORD_H

#include <stdint.h>

#include "driver/ring.h"

#define RCD_ENV "USBSIM_RECORD"

struct rcd;

struct rcd *rcd_from_env(void);
void rcd_take(struct rcd *r, const struct usbsim_ring_pkt *p);
void rcd_mark(struct rcd *r);
void rcd_missed(struct rcd *r, uint64_t missed);
void rcd_close(struct rcd *r);

#endif

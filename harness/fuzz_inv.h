/* fuzz_inv — the invariants every fuzzed run must keep, whatever its scenario, and which of them
 * a verified run breaks.
 *
 * Contract:
 *  - Invariants (fz_violations, on every run, regardless of expect), in scenario time:
 *      process     no process crashed, hung (watchdog) or failed, records exist
 *      loss        no packet lost without being accounted where it was dropped; with the
 *                  user's program reading the device (--exec), no packet dropped at the device's
 *                  FIFO that a host reading on time receives (vfy_result.lost_behind)
 *      accounting  the driver's counters and rows agree and match lost packets
 *      duplicate   no packet delivered twice
 *      reorder     no packet delivered after a later one
 *      corruption  every corrupted packet rejected by the driver (crc_errors 0)
 *      integrity   nothing delivered that the device never produced or dropped
 *      backlog     ring occupancy never above ring_slots
 *      wakeups     no lost wake-up; wake-ups <= doorbells + 1 and <= packets put in the ring + 1
 *                  (the +1 is the driver's end-of-run kick)
 *      drain       after each consumer stall, drain <= (backlog_max + 1) x per-packet bound
 *                  + FZ_MARGIN_REAL_NS x time scale
 *      latency     driver->application latency <= total consumer stall time + (ring_slots + 1) x
 *                  per-packet bound + FZ_MARGIN_REAL_NS x time scale (a missed wake-up leaves a
 *                  packet waiting for the application's 100 ms wait slice)
 *      other       any other failure the verifier reports (none is expected with an empty expect)
 *    where per-packet bound = fz_dist_bound(consumer work) + FZ_PACKET_REAL_NS x time scale.
 *  - The verifier's failures are attributed by their kind (enum vfy_kind), never by their text:
 *    fz_inv_of_kind() is a table with one entry per kind. Culprits first: a process stopped
 *    because another one failed (process_stopped) is judged after every other failure, so the
 *    reason given is the failure that caused it.
 * Prefix: fz_.
 */
#ifndef USBSIM_HARNESS_FUZZ_INV_H
#define USBSIM_HARNESS_FUZZ_INV_H

#include <stddef.h>

#include "harness/verify.h"
#include "sim/scenario.h"

/* Slack for the scheduler of a busy machine, in real time (multiplied by the time scale to
 * compare with scenario-time figures): 30 ms is over ten times the worst driver->application
 * latency seen on a loaded 2-core machine, and well under the application's 100 ms wait slice
 * that a missed wake-up costs. */
#define FZ_MARGIN_REAL_NS 30000000LL
/* Per-packet cost of the application besides its scenario work (take, record, release). */
#define FZ_PACKET_REAL_NS 20000LL

enum fz_inv {
    FZ_INV_PROCESS, FZ_INV_LOSS, FZ_INV_ACCOUNTING, FZ_INV_DUPLICATE, FZ_INV_REORDER,
    FZ_INV_CORRUPTION, FZ_INV_INTEGRITY, FZ_INV_BACKLOG, FZ_INV_WAKEUPS, FZ_INV_DRAIN,
    FZ_INV_LATENCY, FZ_INV_OTHER, FZ_INV_COUNT
};

const char *fz_inv_name(enum fz_inv v);
/* The invariant a verifier failure of this kind breaks (FZ_INV_OTHER out of range). */
enum fz_inv fz_inv_of_kind(enum vfy_kind kind);

/* Which invariants result r (a run of sc after scn_time_scale; sc->time_scale says by how much)
 * breaks: a bit mask of 1u << enum fz_inv. why receives the reason of the first one (by enum
 * order), "" when none. */
unsigned fz_violations(const struct scn_scenario *sc, const struct vfy_result *r, char *why,
                       size_t len);
/* The same, but why receives the reason of invariant want when it is broken (a shrink keeps a
 * candidate only if it breaks the same invariant). */
unsigned fz_violations_of(const struct scn_scenario *sc, const struct vfy_result *r,
                          enum fz_inv want, char *why, size_t len);
/* The first invariant in mask (FZ_INV_COUNT when mask is 0). */
enum fz_inv fz_first(unsigned mask);

#endif

/* deadline — waiting on a poll set until a deadline, the way the device's scenario asks
 * (device.timing):
 *  - timer (the default): one ppoll() for the whole wait. The wake comes when the kernel's timer
 *    fires and the scheduler runs us: late by the machine's timer latency (tens of microseconds
 *    typically, hundreds on a busy machine), which then shows in the device's period error.
 *  - precise: ppoll() until a margin before the deadline, then ppoll() without blocking (the poll
 *    set still served, signals in `mask` still delivered) until the clock reaches the deadline:
 *    the wake is late by about a microsecond, and the device's period error is what the scenario
 *    says, at the price of the CPU spent spinning (about margin / period of one core).
 * The margin adapts: after each timed sleep it grows to 1.5x that sleep's lateness plus
 * DL_SLACK_NS when that is more, and otherwise shrinks by 1/64 of its distance to DL_MARGIN_MIN_NS
 * (a time constant of 0.64 s at 100 packets/s: one late wake keeps the margin wide a while);
 * it stays within DL_MARGIN_MIN_NS..DL_MARGIN_MAX_NS. A wait whose deadline is not a packet's
 * (precise = 0) is always one plain ppoll(). Reads CLOCK_MONOTONIC (sim/clock.h); no allocation.
 * Prefix: dl_ (DL_).
 */
#ifndef USBSIM_SIM_DEADLINE_H
#define USBSIM_SIM_DEADLINE_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>

#define DL_MARGIN_MIN_NS 50000LL
#define DL_MARGIN_START_NS 200000LL
#define DL_MARGIN_MAX_NS 2000000LL
#define DL_SLACK_NS 20000LL

struct dl_wait {
    int64_t margin_ns;
    uint64_t spins;      /* non-blocking polls made while spinning */
    int64_t spin_ns;     /* time spent spinning */
};

void dl_init(struct dl_wait *w);
/* Waits on p[0..n) until an event, a signal in mask's complement, or `wake` (CLOCK_MONOTONIC ns;
 * `now` is the caller's reading of the clock). Returns ppoll()'s result: > 0 events, 0 the
 * deadline was reached, -1 with errno (EINTR included). */
int dl_ppoll(struct dl_wait *w, struct pollfd *p, nfds_t n, int64_t now, int64_t wake, int precise,
             const sigset_t *mask);

#endif

/* clock — the one way the program reads a clock.
 *
 * Contract: clk_ns(id) is clock id's time in nanoseconds as one signed 64-bit count (good for
 * 292 years of uptime); clk_mono_ns() and clk_mono_ms() read CLOCK_MONOTONIC, the clock every
 * timing in usbsim uses (the device's produce times, the driver's ingress, the application's
 * receive, deadlines and timeouts). Never fails (a clock Linux always has), never blocks. Header
 * only (static inline), so the transport library gains no exported symbol from it.
 * Prefix: clk_.
 */
#ifndef USBSIM_SIM_CLOCK_H
#define USBSIM_SIM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clk_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int64_t clk_mono_ns(void)
{
    return clk_ns(CLOCK_MONOTONIC);
}

static inline int64_t clk_mono_ms(void)
{
    return clk_mono_ns() / 1000000;
}

#endif

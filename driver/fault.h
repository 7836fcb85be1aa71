/* fault — known transport bugs, planted on purpose, to prove that `usbsim fuzz` finds bugs.
 *
 * Contract: only a build with -DUSBSIM_FAULTS (make FAULTS=1) has any: there, fault_on(F) is true
 * when the environment variable USBSIM_FAULT names F (read once per process), and at most one
 * fault is active at a time. In every other build fault_on() is the constant 0 and fault_active()
 * NULL, so the compiler removes the planted branches and the product is unchanged.
 *   missed-wakeup    doorbell: one crossing of the consumer's wake index in eight is not rung
 *   silent-drop      ring: a packet that finds the ring full is dropped without being counted
 *   wrap-off-by-one  ring: the producer's room check is off by one, so a full ring takes one
 *                    more packet, wrapping onto the consumer's unread slot
 *   early-publish    ring: the producer index is published before the slot is written (a
 *                    missing release), with the window held open as a preemption there would
 * Header only. Prefix: fault_.
 */
#ifndef USBSIM_DRIVER_FAULT_H
#define USBSIM_DRIVER_FAULT_H

#include <stddef.h>

enum fault_id {
    FAULT_NONE = 0,
    FAULT_MISSED_WAKEUP,
    FAULT_SILENT_DROP,
    FAULT_WRAP_OFF_BY_ONE,
    FAULT_EARLY_PUBLISH,
    FAULT_COUNT
};

static inline const char *fault_name(enum fault_id f)
{
    static const char *const names[FAULT_COUNT] = {"none", "missed-wakeup", "silent-drop",
                                                   "wrap-off-by-one", "early-publish"};
    return (unsigned)f < FAULT_COUNT ? names[f] : "?";
}

#ifdef USBSIM_FAULTS
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The fault USBSIM_FAULT names (FAULT_NONE when unset or unknown), read once. */
static inline enum fault_id fault_active_id(void)
{
    static _Atomic int active = -1;
    int a = atomic_load_explicit(&active, memory_order_relaxed);
    if (a < 0) {
        const char *env = getenv("USBSIM_FAULT");
        a = FAULT_NONE;
        for (int f = FAULT_NONE + 1; env && f < FAULT_COUNT; f++)
            if (strcmp(env, fault_name((enum fault_id)f)) == 0)
                a = f;
        atomic_store_explicit(&active, a, memory_order_relaxed);
    }
    return (enum fault_id)a;
}

static inline int fault_on(enum fault_id f)
{
    return f != FAULT_NONE && fault_active_id() == f;
}

static inline const char *fault_active(void)
{
    enum fault_id f = fault_active_id();
    return f == FAULT_NONE ? NULL : fault_name(f);
}

/* Holds a race window open, as a preemption at that point would (FAULT_WINDOW_NS). */
#define FAULT_WINDOW_NS 200000L
static inline void fault_window(void)
{
    struct timespec ts = {0, FAULT_WINDOW_NS};
    nanosleep(&ts, NULL);
}
#else
#define fault_on(f) ((void)(f), 0)
#define fault_active() ((const char *)NULL)
#define fault_window() ((void)0)
#endif

#endif

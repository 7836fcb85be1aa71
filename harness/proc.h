/* proc — the processes of an end-to-end run: start, watch, stop, and say how each one ended.
 *
 * Contract:
 *  - proc_start() forks a child that runs fn(arg) and _exit()s with its return value. The child
 *    gets its own process group, so stopping it stops whatever it started too; it dies with the
 *    parent (PR_SET_PDEATHSIG), so a killed harness never leaves it running.
 *  - proc_wait_all() waits for every child until each has exited or the deadline has passed;
 *    then it stops the ones still running: SIGTERM, a grace period, SIGKILL. Every child is
 *    reaped on every path: nothing is left running and no zombie is left behind.
 *  - proc_describe() says in words how a child ended ("exited 0", "crashed: signal 11
 *    (Segmentation fault)", "hung: killed after the 12.0 s watchdog"), proc_kind() as the
 *    verifier's failure kind: process_crash (a signal), process_hang (the watchdog),
 *    process_stopped (stopped because another process failed, or by an interrupt: a
 *    consequence, not a culprit), process_failed (exited non-zero, or never started).
 *  - proc_interrupted() is true once SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2 or
 *    SIGQUIT (each of which would otherwise end the harness with its work left behind) reached it
 *    after proc_catch_signals(); proc_wait_all() then stops the children at once;
 *    proc_interrupt_signal() says which one (0 when none).
 * Prefix: proc_.
 */
#ifndef USBSIM_HARNESS_PROC_H
#define USBSIM_HARNESS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/verify.h"

struct proc {
    const char *name; /* "device", "driver", "app" */
    pid_t pid;        /* 0 when not started */
    bool done;
    int status;       /* waitpid status once done */
    bool killed;      /* stopped by proc_wait_all, for stop_reason */
    int64_t cpu_ns;   /* user + system CPU time of the child, once done */
    const char *stop_reason; /* "watchdog", "interrupt", "another process failed" */
};

/* Forks; the child runs fn(arg) and exits with its value (0..255). 0 on success, -1 (errno). */
int proc_start(struct proc *p, const char *name, int (*fn)(void *arg), void *arg);
/* Waits for all n children until deadline_ns (CLOCK_MONOTONIC), stopping the rest after it.
 * When `first_failure_stops` is set, a child that ends with a non-zero status or a signal stops
 * the others too (the run cannot go on). Returns the number of children that did not exit 0. */
int proc_wait_all(struct proc *ps, size_t n, int64_t deadline_ns, bool first_failure_stops);
/* Reaps whichever children have ended, without waiting. Returns how many are done. */
size_t proc_poll(struct proc *ps, size_t n);
/* Sends sig to a still-running child's group. */
void proc_signal(struct proc *p, int sig);
/* How the child ended, in words, into buf. */
const char *proc_describe(const struct proc *p, double watchdog_s, char *buf, size_t len);
/* How a child that did not end well (proc_ok() false) failed, as a failure kind. */
enum vfy_kind proc_kind(const struct proc *p);
bool proc_ok(const struct proc *p);

void proc_catch_signals(void);
bool proc_interrupted(void);
int proc_interrupt_signal(void);
int64_t proc_now_ns(void);

#endif

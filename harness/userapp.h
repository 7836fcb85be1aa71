/* userapp — the user's own application in place of the built-in one (`usbsim run --app CMD`).
 *
 * Contract:
 *  - uapp_refuses() says why scenario sc cannot run with a user's application: its framing is
 *    raw (libusbsim-ring records a packet's seq from its bytes 4..7, which a raw packet does not
 *    carry), or its consumer block asks for per-packet work or stalls, which only the built-in
 *    application plays (the user's program does its own work). 0 when it can run; -1 with one
 *    line in why.
 *  - uapp_exec() runs COMMAND through /bin/sh -c in the calling (child) process, with the
 *    environment the product contract names: USBSIM_RING_SOCKET (the driver's socket),
 *    USBSIM_RECORD (the run's directory: libusbsim-ring records there what the application
 *    takes, driver/record.h) and USBSIM_RUN_DIR. It returns only when the shell cannot be
 *    started: 127, said on stderr.
 *  - uapp_shell() is how both run COMMAND: /bin/sh -c COMMAND as a child, and this process
 *    (the group's leader, the one the harness watches) waits for it and for everything it
 *    started (a child subreaper), so a program that the shell runs finishes writing its files
 *    on the run's SIGTERM before the group is gone; it then ends as the shell did (the same exit
 *    status, or the same signal). SIGTERM/SIGINT reach the whole group; this process outlives
 *    them to wait. Returns the status, or 127 when the shell cannot be started.
 *  - uapp_prepare() creates DIR/app.csv with its header only, so an application that never
 *    takes a packet (or never maps the ring) is judged with every packet lost at the app.
 *  - uapp_hint() words a shell's exit status the way people read it: 127 "the command was not
 *    found", 126 "the command is not executable", else "".
 *  - End of a run (run.c): once the driver has closed the ring the application has
 *    UAPP_END_GRACE_NS to end by itself, then gets SIGTERM (an end by that SIGTERM is a clean
 *    end), then SIGKILL after UAPP_KILL_GRACE_NS (a hang). A program on a real USB stack
 *    (exec.h) gets the SIGTERM as soon as the device is done.
 *  - uapp_judge() adds to the verdict how the user's program p ended ("WHO 'COMMAND': ..."):
 *    nothing when it exited 0 at the end, or ended on the run's own SIGTERM; a hang when it
 *    outlived the SIGKILL grace; a failure when it ended before the run was over (early), exited
 *    non-zero (127/126 worded), crashed, or was stopped by the watchdog.
 * Prefix: uapp_ / UAPP_.
 */
#ifndef USBSIM_HARNESS_USERAPP_H
#define USBSIM_HARNESS_USERAPP_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/proc.h"
#include "harness/verify.h"
#include "sim/scenario.h"

#define UAPP_END_GRACE_NS 3000000000LL
#define UAPP_KILL_GRACE_NS 2000000000LL

int uapp_refuses(const struct scn_scenario *sc, char *why, size_t len);
int uapp_exec(const char *command, const char *socket_path, const char *run_dir);
int uapp_shell(const char *command);
int uapp_prepare(const char *run_dir);
const char *uapp_hint(int exit_status);

struct uapp_end {
    bool termed; /* sent SIGTERM at the end of the run */
    bool hung;   /* then SIGKILL: it did not end within UAPP_KILL_GRACE_NS */
    bool early;  /* it ended before the device's timeline */
};
void uapp_judge(struct vfy_result *out, const char *who, const char *command,
                const struct proc *p, struct uapp_end end, double watchdog_s);

#endif

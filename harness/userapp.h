/* userapp — the user's own application in place of the built-in one (`usbsim run --app CMD`).
 *
 * Contract:
 *  - uapp_refuses() says why scenario sc cannot run with a user's application: its consumer
 *    block asks for per-packet work or stalls, which only the built-in application plays (the
 *    user's program does its own work). 0 when it can run; -1 with one line in why.
 *  - uapp_exec() runs COMMAND through /bin/sh -c in the calling (child) process, with the
 *    environment the product contract names: USBSIM_RING_SOCKET (the driver's socket),
 *    USBSIM_RECORD (the run's directory: libusbsim-ring records there what the application
 *    takes, driver/record.h) and USBSIM_RUN_DIR. It returns only when the shell cannot be
 *    started: 127, said on stderr.
 *  - uapp_prepare() creates DIR/app.csv with its header only, so an application that never
 *    takes a packet (or never maps the ring) is judged with every packet lost at the app.
 *  - uapp_hint() words a shell's exit status the way people read it: 127 "the command was not
 *    found", 126 "the command is not executable", else "".
 *  - End of a run (run.c): once the driver has closed the ring the application has
 *    UAPP_END_GRACE_NS to end by itself, then gets SIGTERM (an end by that SIGTERM is a clean
 *    end), then SIGKILL after UAPP_KILL_GRACE_NS (a hang).
 * Prefix: uapp_ / UAPP_.
 */
#ifndef USBSIM_HARNESS_USERAPP_H
#define USBSIM_HARNESS_USERAPP_H

#include <stddef.h>

#include "sim/scenario.h"

#define UAPP_END_GRACE_NS 3000000000LL
#define UAPP_KILL_GRACE_NS 2000000000LL

int uapp_refuses(const struct scn_scenario *sc, char *why, size_t len);
int uapp_exec(const char *command, const char *socket_path, const char *run_dir);
int uapp_prepare(const char *run_dir);
const char *uapp_hint(int exit_status);

#endif

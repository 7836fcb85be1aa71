/* exec — one scenario with the user's own program reading the emulated device through a real
 * USB stack (`usbsim run --exec COMMAND`, the kernel backend: on this host, or inside the VM).
 *
 * Contract:
 *  - exe_run_one() runs sc with four processes: the device (a FunctionFS gadget on o->udc,
 *    dummy_udc.0 by default; with setup->attach, usbsim's USB/IP server on a free loopback port,
 *    imported with Linux's `usbip attach` into vhci-hcd and detached on every path; its log
 *    device.csv), a usbmon capture of the device's bus for the
 *    whole run (harness/usbmon.h: what the host stack completed, driver.csv), and COMMAND through
 *    /bin/sh -c. COMMAND starts once the device has enumerated and the capture is live, before
 *    the device plays its timeline (the timeline starts at the host's first IN requests), with
 *    USBSIM_DEVICE (VID:PID, hex), USBSIM_BUSNUM, USBSIM_DEVNUM, USBSIM_TRACE (where it may write
 *    the receive log of docs/trace-format.md) and USBSIM_RUN_DIR (the run's directory) in its
 *    environment. When the device's timeline is over and it is drained, COMMAND gets SIGTERM
 *    (ending on it is a clean end), then SIGKILL after UAPP_KILL_GRACE_NS (a hang).
 *  - Judged without touching the program: the device log against what usbmon saw completed
 *    (delivered = completed to the program), and, when the program wrote USBSIM_TRACE, the
 *    trace (delivered = in the trace). Loss is placed at device (the device log), host (sent,
 *    never completed to the program) or program (completed, missing from its trace); latency is
 *    device -> host stack -> program. How COMMAND ended (exit status, crash, hang, an end before
 *    the run was over) is part of the verdict (userapp.h, uapp_judge).
 *  - A raw stream (framing raw: no header in the packets): usbmon identifies each completed
 *    transfer by place and content (usbmon.h, umon_capture_stream), and the verdict places
 *    alike packets again against the device log (vfy_raw_place). The program's trace names seqs,
 *    which a raw packet does not carry: for a raw stream it is refused when written (the
 *    program is judged by what the host stack completed to it).
 *  - Every path stops every process (watchdog: the duration plus 20 s); the run's directory is
 *    removed unless o->keep_dir. Returns 0 when judged (verdict in *out), 3 when the capture
 *    cannot be had (usbmon: said on stderr).
 *  - exe_find_device() looks for VID:PID in /sys/bus/usb/devices: 0 with *busnum and *devnum,
 *    or -1.
 * Prefix: exe_.
 */
#ifndef USBSIM_HARNESS_EXEC_H
#define USBSIM_HARNESS_EXEC_H

#include <stdint.h>

#include "harness/run.h"
#include "harness/verify.h"
#include "sim/scenario.h"

int exe_run_one(const struct scn_scenario *sc, const struct run_opts *o, const char *backend,
                const struct run_setup *setup, struct vfy_result *out);
int exe_find_device(uint16_t vid, uint16_t pid, int *busnum, int *devnum);

#endif

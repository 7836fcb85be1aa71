/* run — one scenario end to end, as in real life: three processes, wired, watched, judged.
 *
 * Contract:
 *  - run_one() runs scenario sc (already loaded, --seed and --time-scale applied) on the local
 *    backend o->backend names (harness/backend.h; NULL = usbip), with that entry's set-up: the
 *    device (sim/gadget.h: a USB/IP server on 127.0.0.1, a free port, or a FunctionFS gadget on a
 *    UDC, dummy_hcd by default, root), the driver (the entry's source: the USB/IP client or
 *    libusb -> shared ring -> doorbell, serving the ring on a UNIX socket in a private temporary
 *    directory) and the application (maps the ring, drains in batches, applies the consumer's
 *    work and stalls; or, with o->app_command, the user's program run through /bin/sh -c,
 *    recorded by libusbsim-ring, ended as harness/userapp.h says, its end part of the verdict). It waits for the device to finish its timeline, then stops the driver, lets
 *    the application read what is left, and judges the records (verify.h) into *out.
 *  - o->on_start, when set, is called in the harness with each process's name ("device",
 *    "driver", "app") and pid as soon as it is started (for a test that must reach one of them).
 *  - Every path stops every process: a normal end, Ctrl-C, a child that crashes, a child that
 *    hangs (watchdog: the scenario's duration plus a margin). The verdict then names the process
 *    and how it ended. Nothing is left running and the temporary directory is removed (kept,
 *    with its logs, only when keep_dir is set).
 *  - Returns 0 when the run was judged (pass or fail, in out->pass), 3 when the backend cannot
 *    run here (message on stderr: for kernel, what is missing — root, configfs, the UDC; a
 *    backend that is not local, such as vm, is not run here either); never exits the caller.
 *    An interrupted run (SIGINT/SIGTERM after proc_catch_signals()) is judged like any other:
 *    the caller that wants no verdict for it drops it (proc_interrupted()).
 * Prefix: run_.
 */
#ifndef USBSIM_HARNESS_RUN_H
#define USBSIM_HARNESS_RUN_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness/verify.h"
#include "sim/scenario.h"

/* What a benchmark wants beyond the verdict. */
struct run_figures {
    int64_t wall_ns;
    int64_t cpu_ns[3];               /* device, driver, app: user + system */
    struct vfy_latency period_error; /* device: produce time - due time (t0 + planned due) */
};

/* How a local backend sets the processes up (an entry of harness/backend.h's table). */
struct run_setup {
    const char *device;  /* the gadget's backend (sim/gadget.h): "usbip" | "ffs" */
    const char *source;  /* the driver's source (driver/source.h): "usbip" | "libusb" */
    bool device_port;    /* the device listens on a free port it tells; the driver connects */
    bool attach;         /* --exec only: the device is imported with Linux's `usbip attach`
                            into vhci-hcd (exec.h) */
};

struct run_opts {
    const char *backend; /* a local backend's name (harness/backend.h); NULL = the default */
    const char *udc;     /* the USB device controller of an ffs device, NULL = dummy_udc.0 */
    bool keep_dir;       /* keep the run's directory and logs, print where */
    bool verbose;        /* the processes' informational lines on stderr */
    bool progress;       /* a progress line on stderr (a terminal) for runs over 3 s */
    struct run_figures *figures; /* filled when not NULL */
    const char *html_path;       /* write the run's HTML report here (harness/html.h), or NULL */
    const char *pcap_path;       /* capture what crossed the USB link here (sim/capture.h) */
    const char *app_command;     /* the user's application instead of the built-in one
                                    (harness/userapp.h), or NULL */
    const char *exec_command;    /* the user's program on a real USB stack instead of the
                                    driver and application (harness/exec.h), or NULL */
    int *output_failures;        /* when not NULL: +1 for each report file it could not write */
    void (*on_start)(void *ctx, const char *name, pid_t pid); /* may be NULL */
    void *ctx;
};

int run_one(const struct scn_scenario *sc, const struct run_opts *o, struct vfy_result *out);
/* The device's start (t0) from its log: a row's due time is t0 plus the sample's due time in
 * the plan; 0 when there is no row. */
int64_t run_device_start(const struct scn_scenario *sc, const struct rec_run *run);

#endif

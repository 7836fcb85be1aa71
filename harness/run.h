/* run — one scenario end to end, as in real life: three processes, wired, watched, judged.
 *
 * Contract:
 *  - run_one() runs scenario sc (already loaded, --seed and --time-scale applied) on the usbip
 *    backend: the device (USB/IP server on 127.0.0.1, a free port), the driver (USB/IP client
 *    source -> shared ring -> doorbell, serving the ring on a UNIX socket in a private temporary
 *    directory); or on the kernel backend: the device as a FunctionFS gadget on a UDC (dummy_hcd
 *    by default, root), the driver reading it through libusb and the application (maps the ring, drains in batches, applies the consumer's
 *    work and stalls). It waits for the device to finish its timeline, then stops the driver, lets
 *    the application read what is left, and judges the records (verify.h) into *out.
 *  - Every path stops every process: a normal end, Ctrl-C, a child that crashes, a child that
 *    hangs (watchdog: the scenario's duration plus a margin). The verdict then names the process
 *    and how it ended. Nothing is left running and the temporary directory is removed (kept,
 *    with its logs, only when keep_dir is set).
 *  - Returns 0 when the run was judged (pass or fail, in out->pass), 3 when the backend cannot
 *    run here (message on stderr: for kernel, what is missing — root, configfs, the UDC), never
 *    exits the caller.
 * Prefix: run_.
 */
#ifndef USBSIM_HARNESS_RUN_H
#define USBSIM_HARNESS_RUN_H

#include <stdbool.h>

#include "harness/verify.h"
#include "sim/scenario.h"

/* What a benchmark wants beyond the verdict. */
struct run_figures {
    int64_t wall_ns;
    int64_t cpu_ns[3];               /* device, driver, app: user + system */
    struct vfy_latency period_error; /* device: produce time - due time (t0 + planned due) */
};

struct run_opts {
    const char *backend; /* "usbip" (default) | "kernel" (FunctionFS gadget + libusb) */
    const char *udc;     /* kernel: the USB device controller, NULL = dummy_udc.0 */
    bool keep_dir;       /* keep the run's directory and logs, print where */
    bool verbose;        /* the processes' informational lines on stderr */
    bool progress;       /* a progress line on stderr (a terminal) for runs over 3 s */
    struct run_figures *figures; /* filled when not NULL */
    const char *html_path;       /* write the run's HTML report here (harness/html.h), or NULL */
    const char *pcap_path;       /* capture what crossed the USB link here (sim/capture.h) */
};

int run_one(const struct scn_scenario *sc, const struct run_opts *o, struct vfy_result *out);

#endif

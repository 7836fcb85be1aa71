/* gadget — run only the emulated device, on one of its backends, until its timeline is over.
 *
 * Contract:
 *  - gadget_run() loads the scenario (opts->sc if given, else opts->scenario_path), picks the
 *    backend by name from a table (usbip: sim/usbip_server.h; ffs: sim/gadget_ffs.h),
 *    serves the device, then writes the device log (usb_device.h's CSV) to opts->log_path if set.
 *  - Returns 0 when it ran to the end or was stopped (SIGINT/SIGTERM, *opts->stop), 2 for bad
 *    usage (unknown backend, bad scenario or listen address), 3 when the environment cannot run
 *    the backend (address in use, no configfs, not root, no such UDC): one clear line on stderr for each.
 *  - With opts->pcap_path, what crossed the link is written there as a usbmon pcap file; a file
 *    that cannot be created is bad usage (2), one that cannot be written to the end is 3.
 *  - With opts->ready_fd > 0, writes "port=N\n" there once the device is reachable (for a parent
 *    process that asked for port 0). On start it prints how to attach (unless quiet).
 * Prefix: gadget_.
 */
#ifndef USBSIM_SIM_GADGET_H
#define USBSIM_SIM_GADGET_H

#include <signal.h>
#include <stdint.h>

#include "sim/scenario.h"

enum gadget_exit { GADGET_OK = 0, GADGET_USAGE = 2, GADGET_ENV = 3 };

struct gadget_opts {
    const char *scenario_path;       /* used when sc is NULL */
    const struct scn_scenario *sc;   /* already loaded (and scaled) scenario, or NULL */
    const char *backend;             /* "usbip" (default) | "ffs" */
    const char *udc;                 /* ffs: UDC name, NULL = dummy_udc.0 */
    const char *listen;              /* usbip: ADDR:PORT, NULL = 127.0.0.1:3240, port 0 = any */
    const char *log_path;            /* device log CSV, NULL = none */
    int quiet;
    int ready_fd;                    /* > 0: "port=N\n" written there when serving */
    volatile sig_atomic_t *stop;     /* optional extra stop flag */
    int64_t grace_ns;                /* usbip: after the end once drained, 0 = default */
    const char *pcap_path;           /* usbip: capture every URB here (sim/capture.h), NULL = none */
};

struct gadget_backend {
    const char *name;
    int (*run)(const struct gadget_opts *o, const struct scn_scenario *sc);
};

/* NULL when there is no backend of that name. */
const struct gadget_backend *gadget_backend_find(const char *name);
int gadget_run(const struct gadget_opts *o);

#endif

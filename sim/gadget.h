/* gadget — run only the emulated device, on one of its backends, until its timeline is over.
 *
 * Contract:
 *  - gadget_run() picks the backend by name (usbip: sim/gadget_usbip.h; ffs: sim/gadget_ffs.h),
 *    refuses an option the backend does not honour (exit 2, one line: "usbsim gadget: the ffs
 *    backend does not take --listen") before anything is loaded or opened, loads the scenario
 *    (opts->sc if given, else opts->scenario_path), asks the backend whether it can run here
 *    (check_env), builds the device model, opens the capture, opens the backend, prints the
 *    banner (how to attach), serves the timeline, closes the backend, ends the capture and
 *    writes the device log (usb_device.h's CSV) to opts->log_path if set, and beside it the OUT
 *    log (usb_device.h: the log's name with "-out.csv" for ".csv", e.g. device-out.csv).
 *  - Returns 0 when it ran to the end or was stopped (SIGINT/SIGTERM, *opts->stop), 2 for bad
 *    usage (unknown backend, an option the backend does not take, bad scenario or listen
 *    address, a capture file that cannot be created), 3 when the environment cannot run the
 *    backend (address in use, no configfs, not root, no such UDC) or a log or capture cannot be
 *    written to the end: one clear line on stderr for each.
 *  - SIGINT/SIGTERM are caught (no SA_RESTART) and blocked except inside the backend's wait
 *    (gadget_link.wait_mask), for the whole of gadget_run(); the previous handlers and mask are
 *    restored before it returns.
 *  - With opts->pcap_path, what crossed the link is written there as a usbmon pcap file
 *    (sim/capture.h).
 *  - With opts->ready_fd > 0, writes "port=N\n" there once the device is reachable (for a parent
 *    process that asked for port 0). On start it prints how to attach (unless quiet).
 *
 * A backend is an ops table (struct gadget_backend), called in this order by gadget_run() only:
 *   check_env -> open -> serve -> close (close also after a failed open, never without open).
 * Prefix: gadget_ / GADGET_.
 */
#ifndef USBSIM_SIM_GADGET_H
#define USBSIM_SIM_GADGET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/exitcode.h"
#include "sim/scenario.h"


#define GADGET_ERR_MAX 512

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
    int64_t grace_ns;                /* after the end once drained, 0 = the backend's default */
    const char *pcap_path;           /* usbip: capture every URB here (sim/capture.h), NULL = none */
};

/* The options a backend may honour (gadget_backend.options); an option is "given" when its
 * gadget_opts field is set (non-NULL, ready_fd > 0). gadget_run() refuses the others. */
enum gadget_option {
    GADGET_OPT_LISTEN = 1 << 0,   /* --listen (listen) */
    GADGET_OPT_UDC = 1 << 1,      /* --udc (udc) */
    GADGET_OPT_PCAP = 1 << 2,     /* --pcap (pcap_path) */
    GADGET_OPT_READY_FD = 1 << 3, /* ready_fd: the backend has a port to report */
};

struct usbdev;
struct cap;

/* What gadget_run() hands a backend: shared things it owns and frees itself. */
struct gadget_link {
    struct usbdev *dev;                /* the device model; its log is written by gadget_run() */
    struct cap *cap;                   /* the capture, NULL = none (never with a backend
                                          without GADGET_OPT_PCAP) */
    volatile sig_atomic_t *stop[2];    /* either non-zero: serve() returns soon */
    const sigset_t *wait_mask;         /* the mask to wait in (ppoll): SIGINT/SIGTERM unblocked */
};

/* What open() reports for the banner. */
struct gadget_where {
    uint16_t port;   /* a TCP port to report on ready_fd (GADGET_OPT_READY_FD), else 0 */
    char where[192]; /* how the device is shown, e.g. "served over USB/IP on 127.0.0.1:3240, ..." */
    char how[320];   /* further lines (each starting with two spaces, ending with \n) */
};

struct gadget_backend {
    const char *name;
    unsigned options; /* the enum gadget_option bits it honours */
    /* Can this backend run on this machine with these options? Never blocks, creates nothing.
     * 0, or XC_ENV with one line in why (what is missing: root, configfs, the UDC). */
    int (*check_env)(const struct gadget_opts *o, char *why, size_t cap);
    /* Sets the device up (listen; or configfs + FunctionFS descriptors + bind) and fills *w.
     * Does not wait for a host. 0 with *state set; XC_USAGE (bad listen address) or
     * XC_ENV (address in use, a kernel refusal) with one line in err and *state set or NULL
     * (close() undoes what was done). */
    int (*open)(const struct gadget_opts *o, const struct scn_scenario *sc,
                const struct gadget_link *l, void **state, struct gadget_where *w, char *err,
                size_t cap);
    /* Plays the timeline; blocks until it is over (and the host drained it, or a grace time
     * passed) or a stop flag is set or a signal lands in the wait. XC_OK, or XC_ENV with
     * one line in err when the link failed under it. */
    int (*serve)(void *state, char *err, size_t cap);
    /* Undoes open() (unbind, remove, close the listener); state may be NULL. Never blocks for
     * long (bounded wait for requests in flight). */
    void (*close)(void *state);
};

/* NULL when there is no backend of that name. */
const struct gadget_backend *gadget_backend_find(const char *name);
int gadget_run(const struct gadget_opts *o);

#endif

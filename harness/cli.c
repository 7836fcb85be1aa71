/* cli — see cli.h. */
#include "harness/cli.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/drv.h"
#include "harness/args.h"
#include "harness/backend.h"
#include "harness/bench_e2e.h"
#include "harness/html.h"
#include "harness/import.h"
#include "harness/bench_ring.h"
#include "harness/bench_scale.h"
#include "harness/fuzz.h"
#include "harness/proc.h"
#include "harness/report.h"
#include "harness/run.h"
#include "harness/trace.h"
#include "harness/userapp.h"
#include "harness/vmrun.h"
#include "sim/gadget.h"
#include "sim/scenario.h"
#include "sim/schedule.h"
#include "sim/exitcode.h"

/* The one version string: the Makefile passes VERSION as -DUSBSIM_VERSION. */
#ifndef USBSIM_VERSION
#define USBSIM_VERSION "unknown"
#endif


/* The own options of the commands declared in this file, by index in their tables below. */
enum { VALIDATE_EXPLAIN, VALIDATE_COUNT };
enum { PLAN_CSV, PLAN_COUNT };
enum { GADGET_LISTEN, GADGET_LOG, GADGET_COUNT };
enum run_opt { RUN_APP, RUN_EXEC, RUN_PRECISE, RUN_COUNT }; /* run_cmd.opts */
enum { DRV_SOCKET, DRV_SOURCE, DRV_CONNECT, DRV_BUSID, DRV_DEVICE, DRV_SLOTS, DRV_PACKET_SIZE,
       DRV_OVERFLOW, DRV_DOORBELL, DRV_RAW, DRV_COUNT };

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    return arg_usage(cmd, fmt, arg);
}



/* A replayed recording is read when the plan is built: build it once, so a recording that does
 * not play is one line here, not a device that fails to start. 0, or -1 and err. */
static int check_replay(const char *path, const struct scn_scenario *sc, char err[SCN_ERR_MAX])
{
    if (!sc->device.replay.file[0])
        return 0;
    struct sched plan;
    char why[SCN_ERR_MAX];
    if (sched_build(sc, &plan, why) != 0) {
        snprintf(err, SCN_ERR_MAX, "%.200s: replay: %.300s", path, why);
        return -1;
    }
    sched_free(&plan);
    return 0;
}

/* Loads a scenario and applies --seed and --time-scale. Prints the error line; returns 0/-1. */
static int load_scenario(const struct cli_opts *o, const char *path, struct scn_scenario *sc)
{
    char err[SCN_ERR_MAX];
    if (scn_load(path, sc, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (o->has_seed)
        sc->seed = o->seed;
    if (o->time_scale != 1.0)
        scn_time_scale(sc, o->time_scale);
    if (check_replay(path, sc, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int cmd_validate(struct cli_opts *o)
{
    int bad = 0;
    for (int i = 0; i < o->nfiles; i++) {
        struct scn_scenario sc;
        if (load_scenario(o, o->files[i], &sc) != 0) {
            bad = 1;
            continue;
        }
        if (o->own[VALIDATE_EXPLAIN].set) {
            printf("# %s, with every default filled in\n", o->files[i]);
            scn_write_yaml(&sc, stdout);
        } else if (!o->quiet) {
            printf("%s: ok (%s, %.3f s, packet %u B every %lld us)\n", o->files[i], sc.name,
                   (double)sc.duration_ns / 1e9, sc.device.packet_size,
                   (long long)(sc.device.period_ns / 1000));
        }
    }
    return bad ? XC_USAGE : XC_OK;
}

static int cmd_plan(struct cli_opts *o)
{
    struct scn_scenario sc;
    if (load_scenario(o, o->files[0], &sc) != 0)
        return XC_USAGE;
    struct sched plan;
    char err[SCN_ERR_MAX];
    if (sched_build(&sc, &plan, err) != 0) {
        fprintf(stderr, "%s: %s\n", o->files[0], err);
        return XC_USAGE;
    }
    int rc = sched_print(&plan, stdout, o->own[PLAN_CSV].set);
    sched_free(&plan);
    if (rc != 0 || fflush(stdout) != 0) {
        fprintf(stderr, "usbsim plan: cannot write the plan: %s\n", strerror(errno));
        return XC_FAIL;
    }
    return XC_OK;
}

/* Loads every file first: one bad scenario means nothing is run (exit 2). */
static struct scn_scenario *load_all(const struct cli_opts *o)
{
    struct scn_scenario *all = calloc((size_t)o->nfiles, sizeof *all);
    int bad = !all;
    for (int i = 0; all && i < o->nfiles; i++)
        bad |= load_scenario(o, o->files[i], &all[i]) != 0;
    if (bad) {
        free(all);
        return NULL;
    }
    return all;
}

static int write_reports(const struct cli_opts *o, const struct vfy_result *res, size_t n)
{
    char err[RPT_ERR_MAX];
    int bad = 0;
    if (o->json && rpt_json_write(o->json, res, n, err) != 0)
        bad = fprintf(stderr, "usbsim run: %s\n", err) > 0;
    if (o->junit && rpt_junit_write(o->junit, res, n, err) != 0)
        bad = fprintf(stderr, "usbsim run: %s\n", err) > 0;
    return bad;
}

/* The one test of whether a scenario's outcome counts as passed. */
static bool scenario_passed(const struct vfy_result *r)
{
    return vfy_ok(r); /* passed, or failed as the scenario says it should (XFAIL) */
}

/* Each scenario's line, as soon as it is judged. */
static void print_result(void *ctx, const struct vfy_result *r)
{
    const struct cli_opts *o = ctx;
    if (!o->quiet || !scenario_passed(r))
        rpt_line(o->out, r, o->color);
    fflush(o->out);
}

/* Writes the reports; the exit code for the results. */
static int finish_run(const struct cli_opts *o, const struct vfy_result *res, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++)
        if (!scenario_passed(&res[i]) && rc == XC_OK)
            rc = XC_FAIL;
    if (write_reports(o, res, n) && rc == XC_OK)
        rc = XC_FAIL;
    return rc;
}

/* A run that cannot start (exit 2 or 3): why is said on stderr, and in --junit's file as one
 * errored test case, so CI shows it. */
static int cannot_start(const struct cli_opts *o, int code, const char *why, bool said)
{
    if (!said)
        fprintf(stderr, "usbsim run: %s\n", why);
    char err[RPT_ERR_MAX];
    if (o->junit && rpt_junit_error(o->junit, o->nfiles == 1 ? o->files[0] : "usbsim run", code,
                                    why, err) != 0)
        fprintf(stderr, "usbsim run: %s\n", err);
    return code;
}

/* The first scenario that does not load, and why (load_all printed it). */
static void first_bad_scenario(const struct cli_opts *o, char *why, size_t len)
{
    snprintf(why, len, "the scenarios could not be loaded");
    for (int i = 0; i < o->nfiles; i++) {
        struct scn_scenario sc;
        char err[SCN_ERR_MAX];
        if (scn_load(o->files[i], &sc, err) != 0 || check_replay(o->files[i], &sc, err) != 0) {
            snprintf(why, len, "%s", err);
            return;
        }
    }
}

/* Whether the user gave --backend (the VM is the default with --exec). */
static bool given_backend(const struct cli_opts *o)
{
    for (int i = 0; i < o->nwords; i++)
        if (strncmp(o->words[i], "--backend", 9) == 0)
            return true;
    return false;
}

static int cmd_run(struct cli_opts *o)
{
    char why[SCN_ERR_MAX + 64];
    const struct be_backend *b = be_find(o->backend);
    if (!b) {
        snprintf(why, sizeof why, "--backend is %s, not '%s'", be_names(), o->backend);
        return cannot_start(o, arg_usage("run", "%s", why), why, true);
    }
    const char *app = o->own[RUN_APP].set ? o->own[RUN_APP].s : NULL;
    const char *exec = o->own[RUN_EXEC].set ? o->own[RUN_EXEC].s : NULL;
    if (app && exec) {
        snprintf(why, sizeof why, "--app and --exec are one or the other");
        return cannot_start(o, XC_USAGE, why, false);
    }
    if (exec && !given_backend(o)) /* the user's program on a real USB stack: the VM's */
        b = be_find("vm");
    if (b->setup.attach && !exec) {
        snprintf(why, sizeof why, "the %s backend runs your program: it needs --exec", b->name);
        return cannot_start(o, XC_USAGE, why, false);
    }
    unsigned given = (o->udc ? BE_OPT_UDC : 0) | (o->pcap ? BE_OPT_PCAP : 0) |
                     (o->html ? BE_OPT_HTML : 0) | (o->keep ? BE_OPT_KEEP_LOGS : 0) |
                     (app ? BE_OPT_APP : 0) | (exec ? BE_OPT_EXEC : 0);
    const char *refused = be_refused(b, given);
    if (refused) {
        snprintf(why, sizeof why, "the %s backend does not take %s", b->name, refused);
        return cannot_start(o, XC_USAGE, why, false);
    }
    struct scn_scenario *sc = load_all(o);
    if (!sc) {
        first_bad_scenario(o, why, sizeof why);
        return cannot_start(o, XC_USAGE, why, true);
    }
    for (int i = 0; app && i < o->nfiles; i++)
        if (uapp_refuses(&sc[i], why, sizeof why) != 0) {
            free(sc);
            return cannot_start(o, XC_USAGE, why, false);
        }
    for (int i = 0; o->own[RUN_PRECISE].set && i < o->nfiles; i++)
        sc[i].device.timing = SCN_TIMING_PRECISE;
    char missing[256];
    int rc = b->check(b, o->udc, missing, sizeof missing);
    if (rc != 0) {
        free(sc);
        snprintf(why, sizeof why, "backend %s: %s", b->name, missing);
        return cannot_start(o, XC_ENV, why, false);
    }
    int output_failures = 0;
    struct be_run_args a = {.sc = sc, .files = o->files, .n = (size_t)o->nfiles,
                            .output_failures = &output_failures,
                            .words = o->words, .n_words = (size_t)o->nwords, .udc = o->udc,
                            .html = o->html, .pcap = o->pcap, .keep_logs = o->keep, .app = app,
                            .exec = exec,
                            .verbose = o->verbose,
                            .progress = isatty(STDERR_FILENO) && !o->quiet,
                            .on_result = print_result, .ctx = o};
    struct vfy_result *res = NULL;
    size_t n = 0;
    proc_catch_signals();
    rc = be_run(b, &a, &res, &n);
    rc = rc == 0 ? XC_OK : rc == 1 ? XC_FAIL : rc == 2 ? XC_USAGE : XC_ENV; /* be_run: 0|1|2|3 */
    rc = finish_run(o, res, n, rc);
    if (output_failures && rc == XC_OK) /* a report that was asked for is missing: not a pass */
        rc = XC_FAIL;
    if ((rc == XC_ENV || rc == XC_USAGE) && n == 0 && !proc_interrupted()) {
        snprintf(why, sizeof why, "backend %s could not run the scenarios (the reason is in the "
                                  "program's error output)", b->name);
        cannot_start(o, rc, why, true);
    }
    if (proc_interrupted()) /* stopped by the user: what ran is reported, nothing invented */
        rc = XC_SIGNAL + proc_interrupt_signal();
    rpt_results_free(res, n);
    free(sc);
    return rc;
}

static int cmd_gadget(struct cli_opts *o)
{
    struct scn_scenario sc;
    if (load_scenario(o, o->files[0], &sc) != 0)
        return XC_USAGE;
    struct gadget_opts g = {.sc = &sc, .backend = o->backend ? o->backend : "usbip",
                            .listen = o->own[GADGET_LISTEN].s, .udc = o->udc,
                            .log_path = o->own[GADGET_LOG].s,
                            .quiet = o->quiet,
                            .pcap_path = o->pcap};
    return gadget_run(&g);
}


/* usbsim driver: the driver process alone, for an application of the user's to map its ring. */
static volatile sig_atomic_t driver_stop;
static void on_driver_signal(int sig)
{
    (void)sig;
    driver_stop = 1;
}

static int cmd_driver(struct cli_opts *o)
{
    struct drv_opts d = {.source = "usbip", .src = {.libusb = {.vid = 0x1209, .pid = 0x0001}},
                         .slots = 256, .policy = USBSIM_RING_BLOCK, .doorbell = USBSIM_DOORBELL_SUPPRESSED,
                         .accept_timeout_ms = -1, .linger_timeout_ms = 1000,
                         .open_timeout_ms = -1, .source_first = 1, .end_with_source = 1,
                         .stop = &driver_stop};
    d.src.refused_is_gone = 1; /* usbsim gadget ends with its timeline: so does the driver */
    const struct arg_val *v = o->own;
    char host[256];
    d.socket_path = v[DRV_SOCKET].s;
    if (v[DRV_SOURCE].set)
        d.source = v[DRV_SOURCE].s;
    if (strcmp(d.source, "libusb") == 0)
        d.open_timeout_ms = 0; /* a USB device is there or not: no wait */
    if (v[DRV_CONNECT].set) {
        if (v[DRV_CONNECT].u2 >= sizeof host)
            return usage_error("driver", "--connect: the host name is too long in '%s'",
                               v[DRV_CONNECT].s);
        snprintf(host, sizeof host, "%.*s", (int)v[DRV_CONNECT].u2, v[DRV_CONNECT].s);
        d.src.usbip.host = host;
        d.src.usbip.port = (uint16_t)v[DRV_CONNECT].u;
    }
    if (v[DRV_BUSID].set)
        d.src.usbip.busid = v[DRV_BUSID].s;
    if (v[DRV_DEVICE].set) {
        d.src.libusb.vid = (uint16_t)v[DRV_DEVICE].u;
        d.src.libusb.pid = (uint16_t)v[DRV_DEVICE].u2;
    }
    if (v[DRV_SLOTS].set)
        d.slots = (uint32_t)v[DRV_SLOTS].u;
    if (v[DRV_PACKET_SIZE].set)
        d.packet_size = (uint32_t)v[DRV_PACKET_SIZE].u;
    d.raw = v[DRV_RAW].set;
    if (v[DRV_OVERFLOW].set && usbsim_ring_policy_parse(v[DRV_OVERFLOW].s, &d.policy) != 0)
        return usage_error("driver", "--overflow: the ring does not know '%s'", v[DRV_OVERFLOW].s);
    if (v[DRV_DOORBELL].set && usbsim_doorbell_mode_parse(v[DRV_DOORBELL].s, &d.doorbell) != 0)
        return usage_error("driver", "--doorbell: the doorbell does not know '%s'",
                           v[DRV_DOORBELL].s);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_driver_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = drv_run(&d);
    return rc == XC_ENV ? XC_ENV : rc ? XC_FAIL : XC_OK;
}

/* ---- the table ------------------------------------------------------------------------------- */

/* The shared options. --backend's values and help are each command's. */
static const struct arg_opt common_opts[CLI_COMMON_COUNT] = {
    [CLI_SEED] = {.name = "seed", .kind = ARG_U64, .hi = UINT64_MAX,
                  .help = "override the scenario's seed (decimal)"},
    [CLI_TIME_SCALE] = {.name = "time-scale", .kind = ARG_DOUBLE, .min = 0.001, .max = 10000,
                        .help = "divide every time in the scenario by X"},
    [CLI_BACKEND] = {.name = "backend", .kind = ARG_ENUM, .help = "where it runs"},
    [CLI_UDC] = {.name = "udc", .kind = ARG_TEXT, .meta = "NAME",
                 .help = "the USB device controller to bind (default dummy_udc.0)"},
    [CLI_JSON] = {.name = "json", .kind = ARG_OUTPUT, .writes = true,
                  .help = "write the report as JSON (-: standard output)"},
    [CLI_JUNIT] = {.name = "junit", .kind = ARG_OUTPUT, .writes = true,
                   .help = "write JUnit XML, one testcase per scenario (-: standard output)"},
    [CLI_HTML] = {.name = "html", .kind = ARG_PATH, .writes = true,
                  .help = "write a self-contained HTML page per scenario (charts, events, losses)"},
    [CLI_PCAP] = {.name = "pcap", .kind = ARG_PATH, .writes = true,
                  .help = "capture what crossed the USB link (usbmon pcap, for Wireshark/tshark)"},
    [CLI_KEEP_LOGS] = {.name = "keep-logs", .kind = ARG_FLAG,
                       .help = "keep each run's device/driver/app logs and print where they are"},
    [CLI_QUIET] = {.name = "quiet", .letter = 'q', .kind = ARG_FLAG,
                   .help = "print only failures and errors"},
    [CLI_VERBOSE] = {.name = "verbose", .letter = 'v', .kind = ARG_FLAG,
                     .help = "show the device's and driver's informational lines"},
    [CLI_HELP] = {.name = "help", .letter = 'h', .kind = ARG_FLAG,
                  .help = "print this help and exit"},
};

static const struct arg_opt validate_opts[VALIDATE_COUNT] = {
    [VALIDATE_EXPLAIN] = {.name = "explain", .kind = ARG_FLAG,
                          .help = "print each scenario back with every default filled in"},
};
static const struct cli_cmd validate_cmd = {
    .name = "validate", .args = "FILE.yaml...", .min_args = 1, .max_args = -1,
    .help = "Parse and check scenarios; run nothing. Errors are FILE:LINE:COL: message, exit 2.\n",
    .common = CLI_O(CLI_QUIET),
    .shared_help = (const char *const[CLI_COMMON_COUNT]){
        [CLI_QUIET] = "print nothing for valid files"},
    .opts = validate_opts, .nopts = VALIDATE_COUNT,
    .run = cmd_validate};

static const struct arg_opt plan_opts[PLAN_COUNT] = {
    [PLAN_CSV] = {.name = "csv", .kind = ARG_FLAG, .help = "comma-separated, with a header row"},
};
static const struct cli_cmd plan_cmd = {
    .name = "plan", .args = "FILE.yaml", .min_args = 1, .max_args = 1,
    .help = "Print the device's deterministic timeline: one row per sample (seq, due time, send\n"
            "time, fate, flags), then the totals. The same file and seed give the same plan on\n"
            "every machine.\n",
    .common = CLI_O(CLI_SEED) | CLI_O(CLI_TIME_SCALE), .opts = plan_opts, .nopts = PLAN_COUNT,
    .run = cmd_plan};

static const struct arg_opt run_opts[RUN_COUNT] = {
    [RUN_APP] = {.name = "app", .kind = ARG_TEXT, .meta = "COMMAND",
                 .help = "your application instead of the built-in one: run with /bin/sh -c,\n"
                         "it maps the ring of $USBSIM_RING_SOCKET through libusbsim-ring\n"
                         "(usbip, kernel; the scenario may not set consumer work or stalls)"},
    [RUN_EXEC] = {.name = "exec", .kind = ARG_TEXT, .meta = "COMMAND",
                  .help = "your program, reading the device as a real USB device (vm, the\n"
                          "default with --exec; kernel): USBSIM_DEVICE, USBSIM_BUSNUM,\n"
                          "USBSIM_DEVNUM, USBSIM_TRACE, USBSIM_RUN_DIR in its environment"},
    [RUN_PRECISE] = {.name = "precise", .kind = ARG_FLAG,
                     .help = "device.timing: precise in every scenario: the device spins the last\n"
                             "stretch before each due time, so its period error is the scenario's,\n"
                             "not the machine's timer (costs CPU; usbsim bench e2e measures both)"},
};
static const struct cli_cmd run_cmd = {
    .name = "run", .args = "FILE.yaml...", .min_args = 1, .max_args = -1,
    .help = "Run each scenario end to end: the device (USB/IP server on loopback), the driver\n"
            "(USB/IP client -> shared ring -> doorbell) and the application (drains the ring in\n"
            "batches), as three processes; verify rate, order, integrity, loss accounting,\n"
            "backlog and latency. One line per scenario (PASS/FAIL and key figures), then the\n"
            "reasons of a failure. With several scenarios, each --html/--pcap FILE gets the\n"
            "scenario's name (out.html -> out-NAME.html).\n"
            "Exit 0 all pass (expected failures included), 1 an expectation failed, 2 bad scenario\n"
            "or usage (nothing run), 3 backend unusable, 130/143 interrupted.\n",
    .common = CLI_O(CLI_BACKEND) | CLI_O(CLI_UDC) | CLI_O(CLI_SEED) | CLI_O(CLI_TIME_SCALE) |
              CLI_O(CLI_JSON) | CLI_O(CLI_JUNIT) | CLI_O(CLI_HTML) | CLI_O(CLI_PCAP) |
              CLI_O(CLI_QUIET) | CLI_O(CLI_KEEP_LOGS) | CLI_O(CLI_VERBOSE),
    .backends = be_name_list,
    .shared_help = (const char *const[CLI_COMMON_COUNT]){
        [CLI_BACKEND] = "usbip (default: no root, no kernel modules); kernel: the device as a\n"
                        "FunctionFS gadget on dummy_hcd (root, the USB gadget modules), the\n"
                        "driver on libusb; attach (--exec only): the device over USB/IP,\n"
                        "imported with Linux's usbip attach (root, vhci-hcd); vm (the default\n"
                        "with --exec): the kernel backend inside a Debian kernel in qemu (built\n"
                        "and cached on first use: USBSIM_VM_CACHE)",
        [CLI_UDC] = "kernel, vm: the USB device controller to bind (default dummy_udc.0)",
        [CLI_SEED] = "override each scenario's seed (decimal)"},
    .opts = run_opts, .nopts = RUN_COUNT, .run = cmd_run};

static const char *const gadget_backends[] = {"usbip", "ffs", NULL};
static const struct arg_opt gadget_opts[GADGET_COUNT] = {
    [GADGET_LISTEN] = {.name = "listen", .kind = ARG_TEXT, .meta = "ADDR:PORT",
                       .help = "usbip: address and port to listen on (default 127.0.0.1:3240)"},
    [GADGET_LOG] = {.name = "log", .kind = ARG_PATH, .writes = true,
                    .help = "write the device log (seq, due, produce time, fate) as CSV; OUT "
                            "data to FILE-out.csv"},
};
static const struct cli_cmd gadget_cmd = {
    .name = "gadget", .args = "FILE.yaml", .min_args = 1, .max_args = 1,
    .help = "Run only the emulated device, to develop another driver against it. It waits for a\n"
            "host, plays the scenario's timeline from the first IN request, and ends when it is\n"
            "over.\n",
    .common = CLI_O(CLI_BACKEND) | CLI_O(CLI_UDC) | CLI_O(CLI_PCAP) | CLI_O(CLI_SEED) |
              CLI_O(CLI_TIME_SCALE) | CLI_O(CLI_QUIET),
    .backends = gadget_backends,
    .shared_help = (const char *const[CLI_COMMON_COUNT]){
        [CLI_BACKEND] = "usbip (default): a USB/IP server, attach with `usbip attach`;\n"
                        "ffs: a FunctionFS gadget on a USB device controller (root)",
        [CLI_UDC] = "ffs: the USB device controller to bind (default dummy_udc.0; see\n"
                    "/sys/class/udc)",
        [CLI_QUIET] = "no banner, only errors"},
    .opts = gadget_opts, .nopts = GADGET_COUNT, .run = cmd_gadget};

static const char *const drv_sources[] = {"usbip", "libusb", NULL};
static const char *const drv_overflows[] = {"block", "drop-newest", "drop-oldest", NULL};
static const char *const drv_doorbells[] = {"suppressed", "always", NULL};
static const struct arg_opt driver_opts[DRV_COUNT] = {
    [DRV_SOCKET] = {.name = "socket", .kind = ARG_PATH, .meta = "PATH", .required = true,
                    .help = "the UNIX socket the application connects to"},
    [DRV_SOURCE] = {.name = "source", .kind = ARG_ENUM, .values = drv_sources,
                    .help = "how the device is read (default usbip)"},
    [DRV_CONNECT] = {.name = "connect", .kind = ARG_HOSTPORT,
                     .help = "usbip: the USB/IP server (default 127.0.0.1:3240)"},
    [DRV_BUSID] = {.name = "busid", .kind = ARG_TEXT, .meta = "ID",
                   .help = "usbip: the exported device's bus id (default 1-1)"},
    [DRV_DEVICE] = {.name = "device", .kind = ARG_VIDPID,
                    .help = "libusb: the device by vendor and product id, hexadecimal\n"
                            "(default 1209:0001)"},
    [DRV_SLOTS] = {.name = "slots", .kind = ARG_POW2, .lo = 8, .hi = USBSIM_RING_MAX_SLOTS,
                   .help = "ring size, a power of two (default 256)"},
    [DRV_PACKET_SIZE] = {.name = "packet-size", .kind = ARG_U64, .lo = 32, .hi = 1024,
                         .help = "expected packet size in bytes (default: any up to 1024)"},
    [DRV_OVERFLOW] = {.name = "overflow", .kind = ARG_ENUM, .values = drv_overflows,
                      .help = "what a full ring does (default block)"},
    [DRV_DOORBELL] = {.name = "doorbell", .kind = ARG_ENUM, .values = drv_doorbells,
                      .help = "ring only when the application may sleep, or every packet\n"
                              "(default suppressed)"},
    [DRV_RAW] = {.name = "raw", .kind = ARG_FLAG,
                 .help = "the device's packets are raw (no usbsim header): nothing is\n"
                         "checked at ingress but the length, every packet goes into the ring"},
};
static const struct cli_cmd driver_cmd = {
    .name = "driver",
    .help = "Run the driver alone: read the device (USB/IP client, or libusb by VID:PID), check\n"
            "each packet's CRC, push it into the shared ring and serve the ring on the UNIX\n"
            "socket PATH to one application (see examples/consumer.c and driver/client.h).\n"
            "It says what it waits for (the device, then an application) and ends by itself\n"
            "(exit 0, saying so) when the device is gone for good or the USB/IP server has ended\n"
            "its timeline, or on Ctrl-C. With --source libusb and no such device: exit 3 at once.\n",
    .opts = driver_opts, .nopts = DRV_COUNT, .run = cmd_driver};

static const struct cli_cmd *const bench_subs[] = {&bench_ring_cmd, &bench_e2e_cmd, &bench_scale_cmd};
static const struct cli_cmd bench_cmd = {
    .name = "bench",
    .help = "Measure the transport (ring) or the whole path (e2e), side by side with their\n"
            "baselines. 'usbsim bench NAME --help' tells more.\n",
    .subs = bench_subs, .nsubs = sizeof bench_subs / sizeof bench_subs[0]};

static int cmd_help(struct cli_opts *o);
static const struct cli_cmd help_cmd = {
    .name = "help", .args = "[COMMAND [SUB]]", .min_args = 0, .max_args = 2,
    .help = "Print the program's usage, or one command's help (as 'usbsim COMMAND --help').\n",
    .run = cmd_help};

/* Every command of `usbsim`, in the order `usbsim --help` lists them. */
static const struct cli_cmd *const commands[] = {
    &run_cmd, &validate_cmd, &plan_cmd, &gadget_cmd, &fz_cmd, &trace_cmd, &imp_cmd,
    &driver_cmd, &bench_cmd, &help_cmd,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const struct cli_cmd *cli_command(size_t i)
{
    return i < N_COMMANDS ? commands[i] : NULL;
}

/* ---- the parser ------------------------------------------------------------------------------ */

/* The options a command accepts, in synopsis order: its required own options, the shared ones,
 * its other own options, --help last. id >= 0: own option id; id < 0: shared option -1 - id. */
struct optlist {
    const struct arg_opt *p[CLI_COMMON_COUNT + CLI_OWN_MAX];
    int id[CLI_COMMON_COUNT + CLI_OWN_MAX];
    size_t n;
    struct arg_opt shared[CLI_COMMON_COUNT]; /* the shared options as this command words them */
};

static void add(struct optlist *l, const struct arg_opt *o, int id)
{
    l->p[l->n] = o;
    l->id[l->n++] = id;
}

static void optlist_for(const struct cli_cmd *c, struct optlist *l)
{
    l->n = 0;
    for (size_t i = 0; i < c->nopts; i++)
        if (c->opts[i].required)
            add(l, &c->opts[i], (int)i);
    for (int k = 0; k < CLI_HELP; k++) {
        if (!(c->common & CLI_O(k)))
            continue;
        l->shared[k] = common_opts[k];
        if (k == CLI_BACKEND)
            l->shared[k].values = c->backends;
        if (c->shared_help && c->shared_help[k])
            l->shared[k].help = c->shared_help[k];
        add(l, &l->shared[k], -1 - k);
    }
    for (size_t i = 0; i < c->nopts; i++)
        if (!c->opts[i].required)
            add(l, &c->opts[i], (int)i);
    add(l, &common_opts[CLI_HELP], -1 - CLI_HELP);
}

/* "usbsim NAME ARGS [--opt ...]..." after `prefix`, wrapped; --help left out. */
static void synopsis(FILE *f, const char *prefix, const char *full, const struct cli_cmd *c)
{
    struct optlist l;
    char lead[256];
    if (c->nsubs) {
        for (size_t i = 0; i < c->nsubs; i++) {
            char sub[128];
            snprintf(sub, sizeof sub, "%s %s", full, c->subs[i]->name);
            synopsis(f, prefix, sub, c->subs[i]);
        }
        return;
    }
    optlist_for(c, &l);
    snprintf(lead, sizeof lead, "%susbsim %s%s%s", prefix, full, c->args ? " " : "",
             c->args ? c->args : "");
    arg_synopsis(f, lead, (size_t)snprintf(NULL, 0, "%susbsim %s ", prefix, full), l.p, l.n - 1);
}

static void command_help(const struct cli_cmd *c, const char *full)
{
    synopsis(stdout, "usage: ", full, c);
    printf("\n%s", c->help);
    if (c->nsubs)
        return;
    struct optlist l;
    optlist_for(c, &l);
    printf("\noptions:\n");
    arg_help(stdout, l.p, l.n);
}

static void print_usage(FILE *f)
{
    fprintf(f, "usbsim — emulate a USB device from YAML scenarios and prove a ring-and-doorbell\n"
               "transport delivers every packet, in order, on time.\n\nusage:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        synopsis(f, "  ", commands[i]->name, commands[i]);
    fprintf(f, "  usbsim --version | -V\n");
    fprintf(f, "\n'usbsim help COMMAND' tells more. Exit codes: 0 pass, 1 an expectation failed,\n"
               "2 bad usage or bad scenario, 3 the environment cannot run the chosen backend.\n"
               "NO_COLOR (set, not empty) turns colour off.\n");
}

static const struct cli_cmd *find_in(const struct cli_cmd *const *list, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(list[i]->name, name) == 0)
            return list[i];
    return NULL;
}

static int cmd_help(struct cli_opts *o)
{
    if (o->nfiles == 0)
        return print_usage(stdout), XC_OK;
    const struct cli_cmd *c = find_in(commands, N_COMMANDS, o->files[0]);
    if (!c) {
        fprintf(stderr, "usbsim help: there is no command '%s'; the commands are", o->files[0]);
        for (size_t i = 0; i < N_COMMANDS; i++)
            fprintf(stderr, "%s %s", i ? "," : "", commands[i]->name);
        fprintf(stderr, "\n");
        return XC_USAGE;
    }
    char full[128];
    snprintf(full, sizeof full, "%s", c->name);
    if (o->nfiles == 2) {
        const struct cli_cmd *sub = find_in(c->subs, c->nsubs, o->files[1]);
        if (!sub)
            return usage_error(c->name, "there is no sub-command '%s'", o->files[1]);
        snprintf(full, sizeof full, "%s %s", c->name, sub->name);
        c = sub;
    }
    command_help(c, full);
    return XC_OK;
}

static bool asks_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/* Colour on f: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
static int color_for(FILE *f)
{
    const char *no = getenv("NO_COLOR");
    return isatty(fileno(f)) && !(no && *no);
}

static void set_common(struct cli_opts *o, int k, const struct arg_val *v)
{
    switch (k) {
    case CLI_SEED: o->has_seed = true, o->seed = v->u; break;
    case CLI_TIME_SCALE: o->time_scale = v->d; break;
    case CLI_BACKEND: o->backend = v->s; break;
    case CLI_UDC: o->udc = v->s; break;
    case CLI_JSON: o->json = v->s; break;
    case CLI_JUNIT: o->junit = v->s; break;
    case CLI_HTML: o->html = v->s; break;
    case CLI_PCAP: o->pcap = v->s; break;
    case CLI_KEEP_LOGS: o->keep = 1; break;
    case CLI_QUIET: o->quiet = 1; break;
    case CLI_VERBOSE: o->verbose = 1; break;
    }
}

static int dispatch(const struct cli_cmd *c, const char *full, int argc, char **argv)
{
    if (c->nsubs) {
        const struct cli_cmd *sub = argc >= 2 ? find_in(c->subs, c->nsubs, argv[1]) : NULL;
        if (!sub && asks_help(argc, argv))
            return command_help(c, full), XC_OK;
        if (!sub) {
            char names[256] = "";
            for (size_t i = 0; i < c->nsubs; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         i ? (i + 1 < c->nsubs ? ", " : " or ") : "", c->subs[i]->name);
            fprintf(stderr, "usbsim %s: needs %s%s%s%s (try 'usbsim %s --help')\n", full, names,
                    argc >= 2 ? ", not '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "",
                    full);
            return XC_USAGE;
        }
        char sub_full[128];
        snprintf(sub_full, sizeof sub_full, "%s %s", full, sub->name);
        return dispatch(sub, sub_full, argc - 1, argv + 1);
    }
    if (asks_help(argc, argv))
        return command_help(c, full), XC_OK;
    struct optlist l;
    optlist_for(c, &l);
    struct arg_val vals[CLI_COMMON_COUNT + CLI_OWN_MAX];
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    char **words = calloc((size_t)argc + 1, sizeof *words);
    struct cli_opts o = {.cmd = full, .c = c, .time_scale = 1.0, .files = pos, .words = words,
                         .backend = c->backends ? c->backends[0] : NULL};
    char err[ARG_ERR_MAX];
    if (!pos || !words) {
        free(pos);
        free(words);
        return fprintf(stderr, "usbsim: out of memory\n"), XC_ENV;
    }
    int rc = XC_USAGE;
    if (arg_parse(l.p, l.n, argc, argv, vals, pos, &o.nfiles, err, sizeof err) != 0) {
        usage_error(full, "%s", err);
    } else if (o.nfiles < c->min_args) {
        usage_error(full, "needs %s", c->args);
    } else if (c->max_args >= 0 && o.nfiles > c->max_args) {
        char what[160];
        if (c->max_args)
            snprintf(what, sizeof what, "takes only %s, not also '%%s'", c->args);
        else
            snprintf(what, sizeof what, "takes no argument, not '%%s'");
        usage_error(full, what, pos[c->max_args]);
    } else {
        for (size_t i = 0; i < l.n; i++)
            if (vals[i].set && l.id[i] >= 0)
                o.own[l.id[i]] = vals[i];
            else if (vals[i].set)
                set_common(&o, -1 - l.id[i], &vals[i]);
        for (int i = 1; i < argc; i++) { /* what is not a positional word is an option word */
            bool positional = strcmp(argv[i], "--") == 0;
            for (int k = 0; k < o.nfiles && !positional; k++)
                positional = pos[k] == argv[i];
            if (!positional)
                words[o.nwords++] = argv[i];
        }
        bool report_to_stdout = (o.json && strcmp(o.json, "-") == 0) ||
                                (o.junit && strcmp(o.junit, "-") == 0);
        o.out = report_to_stdout ? stderr : stdout;
        o.color = color_for(o.out);
        rc = c->run(&o);
    }
    free(pos);
    free(words);
    return rc;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2)
        return print_usage(stderr), XC_USAGE;
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return print_usage(stdout), XC_OK;
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return printf("usbsim %s\n", USBSIM_VERSION), XC_OK;
    const struct cli_cmd *c = find_in(commands, N_COMMANDS, argv[1]);
    if (!c)
        return usage_error(NULL, "unknown command '%s'", argv[1]);
    return dispatch(c, c->name, argc - 1, argv + 1);
}

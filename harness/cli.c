/* cli — see cli.h. */
#include "harness/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
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
#include "harness/junit_err.h"
#include "harness/bench_ring.h"
#include "harness/fuzz.h"
#include "harness/proc.h"
#include "harness/report.h"
#include "harness/run.h"
#include "harness/trace.h"
#include "harness/vmrun.h"
#include "sim/gadget.h"
#include "sim/scenario.h"
#include "sim/schedule.h"

/* The one version string: the Makefile passes VERSION as -DUSBSIM_VERSION. */
#ifndef USBSIM_VERSION
#define USBSIM_VERSION "unknown"
#endif

/* Every option any command takes; each command says which of them it accepts. */
enum opt_id {
    O_HELP, O_CSV, O_SEED, O_TIME_SCALE, O_JSON, O_JUNIT, O_QUIET, O_BACKEND, O_LISTEN, O_LOG,
    O_EXPLAIN, O_KEEP, O_VERBOSE, O_HTML, O_PCAP, O_UDC, O_COUNT
};
#define BIT(o) (1u << (o))

static const struct option long_opts[] = {
    [O_HELP] = {"help", no_argument, NULL, 'h'},
    [O_CSV] = {"csv", no_argument, NULL, O_CSV + 256},
    [O_SEED] = {"seed", required_argument, NULL, O_SEED + 256},
    [O_TIME_SCALE] = {"time-scale", required_argument, NULL, O_TIME_SCALE + 256},
    [O_JSON] = {"json", required_argument, NULL, O_JSON + 256},
    [O_JUNIT] = {"junit", required_argument, NULL, O_JUNIT + 256},
    [O_QUIET] = {"quiet", no_argument, NULL, 'q'},
    [O_BACKEND] = {"backend", required_argument, NULL, O_BACKEND + 256},
    [O_LISTEN] = {"listen", required_argument, NULL, O_LISTEN + 256},
    [O_LOG] = {"log", required_argument, NULL, O_LOG + 256},
    [O_EXPLAIN] = {"explain", no_argument, NULL, O_EXPLAIN + 256},
    [O_KEEP] = {"keep-logs", no_argument, NULL, O_KEEP + 256},
    [O_VERBOSE] = {"verbose", no_argument, NULL, 'v'},
    [O_HTML] = {"html", required_argument, NULL, O_HTML + 256},
    [O_PCAP] = {"pcap", required_argument, NULL, O_PCAP + 256},
    [O_UDC] = {"udc", required_argument, NULL, O_UDC + 256},
    [O_COUNT] = {NULL, 0, NULL, 0},
};

struct cli_opts {
    const char *cmd;
    int csv, quiet, explain, keep, verbose;
    int has_seed;
    uint64_t seed;
    double time_scale;
    const char *json, *junit, *backend, *listen, *log, *html, *pcap, *udc;
    int nfiles;
    char **files;
};

struct cli_cmd {
    const char *name;
    const char *synopsis;
    const char *help;
    unsigned opts;  /* BIT(O_...) it accepts */
    int min_files;  /* positional FILE arguments */
    int max_files;  /* -1: any number */
    int (*run)(struct cli_opts *o);
};


static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    return arg_usage(cmd, fmt, arg);
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
        if (o->explain) {
            printf("# %s, with every default filled in\n", o->files[i]);
            scn_write_yaml(&sc, stdout);
        } else if (!o->quiet) {
            printf("%s: ok (%s, %.3f s, packet %u B every %lld us)\n", o->files[i], sc.name,
                   (double)sc.duration_ns / 1e9, sc.device.packet_size,
                   (long long)(sc.device.period_ns / 1000));
        }
    }
    return bad ? CLI_USAGE : CLI_OK;
}

static int cmd_plan(struct cli_opts *o)
{
    struct scn_scenario sc;
    if (load_scenario(o, o->files[0], &sc) != 0)
        return CLI_USAGE;
    struct sched plan;
    char err[SCN_ERR_MAX];
    if (sched_build(&sc, &plan, err) != 0) {
        fprintf(stderr, "%s: %s\n", o->files[0], err);
        return CLI_USAGE;
    }
    int rc = sched_print(&plan, stdout, o->csv);
    sched_free(&plan);
    if (rc != 0 || fflush(stdout) != 0) {
        fprintf(stderr, "usbsim plan: cannot write the plan: %s\n", strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
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
    return r->pass;
}

/* Each scenario's line, as soon as it is judged. */
static void print_result(void *ctx, const struct vfy_result *r)
{
    const struct cli_opts *o = ctx;
    if (!o->quiet || !scenario_passed(r))
        rpt_line(stdout, r, isatty(STDOUT_FILENO));
    fflush(stdout);
}

/* Writes the reports; the exit code for the results. */
static int finish_run(const struct cli_opts *o, const struct vfy_result *res, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++)
        if (!scenario_passed(&res[i]) && rc == CLI_OK)
            rc = CLI_FAIL;
    if (write_reports(o, res, n) && rc == CLI_OK)
        rc = CLI_FAIL;
    return rc;
}

/* A run that cannot start (exit 2 or 3): why is said on stderr, and in --junit's file as one
 * errored test case, so CI shows it. */
static int cannot_start(const struct cli_opts *o, int code, const char *why, bool said)
{
    if (!said)
        fprintf(stderr, "usbsim run: %s\n", why);
    char err[256];
    if (o->junit && jerr_write(o->junit, o->nfiles == 1 ? o->files[0] : "usbsim run", code, why,
                               err, sizeof err) != 0)
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
        if (scn_load(o->files[i], &sc, err) != 0) {
            snprintf(why, len, "%s", err);
            return;
        }
    }
}

static int cmd_run(struct cli_opts *o)
{
    char why[SCN_ERR_MAX + 64];
    const struct be_backend *b = be_find(o->backend);
    if (!b) {
        snprintf(why, sizeof why, "--backend is %s, not '%s'", be_names(), o->backend);
        return cannot_start(o, arg_usage("run", "%s", why), why, true);
    }
    unsigned given = (o->udc ? BE_OPT_UDC : 0) | (o->pcap ? BE_OPT_PCAP : 0) |
                     (o->html ? BE_OPT_HTML : 0) | (o->keep ? BE_OPT_KEEP_LOGS : 0);
    const char *refused = be_refused(b, given);
    if (refused) {
        snprintf(why, sizeof why, "the %s backend does not take %s", b->name, refused);
        return cannot_start(o, CLI_USAGE, why, false);
    }
    struct scn_scenario *sc = load_all(o);
    if (!sc) {
        first_bad_scenario(o, why, sizeof why);
        return cannot_start(o, CLI_USAGE, why, true);
    }
    char missing[256];
    int rc = b->check(b, o->udc, missing, sizeof missing);
    if (rc != 0) {
        free(sc);
        snprintf(why, sizeof why, "backend %s: %s", b->name, missing);
        return cannot_start(o, CLI_ENV, why, false);
    }
    /* The option words as given, for a backend that runs the command elsewhere (vm): the
     * parser (getopt) left them just before the files, optind - 1 of them after "run". */
    size_t n_words = optind > 1 ? (size_t)optind - 1 : 0;
    struct be_run_args a = {.sc = sc, .files = o->files, .n = (size_t)o->nfiles,
                            .words = o->files - n_words, .n_words = n_words, .udc = o->udc,
                            .html = o->html, .pcap = o->pcap, .keep_logs = o->keep,
                            .verbose = o->verbose,
                            .progress = isatty(STDERR_FILENO) && !o->quiet,
                            .on_result = print_result, .ctx = o};
    struct vfy_result *res = NULL;
    size_t n = 0;
    proc_catch_signals();
    rc = be_run(b, &a, &res, &n);
    rc = rc == 0 ? CLI_OK : rc == 1 ? CLI_FAIL : rc == 2 ? CLI_USAGE : CLI_ENV;
    rc = finish_run(o, res, n, rc);
    if ((rc == CLI_ENV || rc == CLI_USAGE) && n == 0 && !proc_interrupted()) {
        snprintf(why, sizeof why, "backend %s could not run the scenarios (the reason is in the "
                                  "program's error output)", b->name);
        cannot_start(o, rc, why, true);
    }
    if (proc_interrupted()) /* stopped by the user: what ran is reported, nothing invented */
        rc = 128 + proc_interrupt_signal();
    rpt_results_free(res, n);
    free(sc);
    return rc;
}

static int cmd_gadget(struct cli_opts *o)
{
    struct scn_scenario sc;
    if (load_scenario(o, o->files[0], &sc) != 0)
        return CLI_USAGE;
    struct gadget_opts g = {.sc = &sc, .backend = o->backend ? o->backend : "usbip",
                            .listen = o->listen, .udc = o->udc, .log_path = o->log,
                            .quiet = o->quiet,
                            .pcap_path = o->pcap};
    return gadget_run(&g);
}

static const struct cli_cmd commands[] = {
    {"validate", "validate FILE.yaml... [--explain] [--quiet]",
     "Parse and check scenarios; run nothing. Errors are FILE:LINE:COL: message, exit 2.\n"
     "  --explain   print each scenario back with every default filled in\n"
     "  --quiet     print nothing for valid files\n",
     BIT(O_HELP) | BIT(O_QUIET) | BIT(O_EXPLAIN), 1, -1, cmd_validate},
    {"plan", "plan FILE.yaml [--csv] [--seed N] [--time-scale X]",
     "Print the device's deterministic timeline: one row per sample (seq, due time, send time,\n"
     "fate, flags), then the totals. The same file and seed give the same plan on every machine.\n"
     "  --csv            comma-separated, with a header row\n"
     "  --seed N         override the scenario's seed\n"
     "  --time-scale X   divide every time in the scenario by X\n",
     BIT(O_HELP) | BIT(O_CSV) | BIT(O_SEED) | BIT(O_TIME_SCALE), 1, 1, cmd_plan},
    {"run", "run FILE.yaml... [--backend usbip|kernel|vm] [--seed N] [--time-scale X] [--json FILE]\n"
            "             [--junit FILE] [--quiet] [--keep-logs] [--verbose]",
     "Run each scenario end to end: the device (USB/IP server on loopback), the driver (USB/IP\n"
     "client -> shared ring -> doorbell) and the application (drains the ring in batches), as\n"
     "three processes; verify rate, order, integrity, loss accounting, backlog and latency.\n"
     "One line per scenario (PASS/FAIL and key figures), then the reasons of a failure.\n"
     "Exit 0 all pass, 1 an expectation failed, 2 bad scenario (nothing run), 3 backend unusable.\n"
     "  --backend B      usbip (default: no root, no kernel modules); kernel: the device as a\n"
     "                   FunctionFS gadget on dummy_hcd (root, the USB gadget modules), the\n"
     "                   driver on libusb; vm: the kernel backend inside a Debian kernel in qemu\n"
     "                   (built and cached under build/vm/ on first use)\n"
     "  --udc NAME       kernel: the USB device controller to bind (default dummy_udc.0)\n"
     "  --seed N         override each scenario's seed\n"
     "  --time-scale X   divide every time in the scenario by X; figures stay in scenario time\n"
     "  --json FILE      write the report as JSON (see README, Reports)\n"
     "  --junit FILE     write JUnit XML, one testcase per scenario\n"
     "  --quiet          print only failures\n"
     "  --keep-logs      keep each run's device/driver/app logs and print where they are\n"
     "  --verbose        show the device's and driver's informational lines\n"
     "  --html FILE      write a self-contained HTML page per scenario (charts, events, losses)\n"
     "  --pcap FILE      capture what crossed the USB link (usbmon pcap, for Wireshark/tshark)\n"
     "  (with several scenarios, FILE gets the scenario's name: out.html -> out-NAME.html)\n",
     BIT(O_HELP) | BIT(O_BACKEND) | BIT(O_SEED) | BIT(O_TIME_SCALE) | BIT(O_JSON) | BIT(O_JUNIT) |
         BIT(O_QUIET) | BIT(O_KEEP) | BIT(O_VERBOSE) | BIT(O_HTML) | BIT(O_PCAP) | BIT(O_UDC),
     1, -1, cmd_run},
    {"gadget", "gadget FILE.yaml [--backend usbip|ffs] [--listen ADDR:PORT] [--udc NAME] [--log FILE]\n"
               "             [--seed N] [--time-scale X] [--quiet]",
     "Run only the emulated device, to develop another driver against it. It waits for a host,\n"
     "plays the scenario's timeline from the first IN request, and ends when it is over.\n"
     "  --backend B      usbip (default): a USB/IP server, attach with `usbip attach`;\n"
     "                   ffs: a FunctionFS gadget on a USB device controller (root)\n"
     "  --udc NAME       ffs: the controller to bind (default dummy_udc.0; see /sys/class/udc)\n"
     "  --listen A:P     usbip: address and port to listen on (default 127.0.0.1:3240)\n"
     "  --log FILE       write the device log (seq, due, produce time, fate) as CSV\n"
     "  --pcap FILE      capture what crossed the USB link (usbmon pcap, for Wireshark/tshark)\n"
     "  --seed N, --time-scale X, --quiet  as for run\n",
     BIT(O_HELP) | BIT(O_BACKEND) | BIT(O_LISTEN) | BIT(O_LOG) | BIT(O_SEED) | BIT(O_TIME_SCALE) |
         BIT(O_QUIET) | BIT(O_PCAP) | BIT(O_UDC),
     1, 1, cmd_gadget},
};

static const struct cli_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* usbsim driver: the driver process alone, for an application of the user's to map its ring. */
static volatile sig_atomic_t driver_stop;
static void on_driver_signal(int sig)
{
    (void)sig;
    driver_stop = 1;
}

/* VID:PID in hexadecimal, as lsusb prints them ("1209:0001"). */
static int parse_vid_pid(const char *s, struct src_config *c)
{
    unsigned long id[2];
    for (int i = 0; i < 2; i++) {
        char *end;
        if (!isxdigit((unsigned char)*s))
            return -1;
        errno = 0;
        id[i] = strtoul(s, &end, 16);
        if (errno || id[i] > 0xffff || end - s > 4 || *end != (i == 0 ? ':' : '\0'))
            return -1;
        s = end + 1;
    }
    c->libusb.vid = (uint16_t)id[0];
    c->libusb.pid = (uint16_t)id[1];
    return 0;
}

static int parse_host_port(const char *s, struct src_config *c, char *host, size_t len)
{
    const char *colon = strrchr(s, ':');
    uint64_t port;
    if (!colon || (size_t)(colon - s) >= len || arg_u64(colon + 1, 1, 65535, &port) != 0)
        return -1;
    snprintf(host, len, "%.*s", (int)(colon - s), s);
    c->usbip.host = host;
    c->usbip.port = (uint16_t)port;
    return 0;
}

static const char driver_help[] =
    "usage: usbsim driver --socket PATH [--source usbip|libusb] [--connect HOST:PORT]\n"
    "                     [--busid ID] [--device VID:PID] [--slots N] [--packet-size N]\n"
    "                     [--overflow block|drop-newest|drop-oldest] [--doorbell suppressed|always]\n\n"
    "Run the driver alone: read the device (USB/IP client, default 127.0.0.1:3240 bus id 1-1, or\n"
    "libusb by VID:PID, default 1209:0001), check each packet's CRC, push it into the shared ring\n"
    "and serve the ring on the UNIX socket PATH to one application (see examples/consumer.c and\n"
    "driver/client.h). It says what it waits for (the device, then an application), and ends by\n"
    "itself (exit 0, saying so) when the device is gone for good or the USB/IP server has ended\n"
    "its timeline, or on Ctrl-C. With --source libusb and no such device: exit 3 at once.\n";

static int cmd_driver(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'}, {"source", required_argument, NULL, 'S'},
        {"connect", required_argument, NULL, 'c'}, {"busid", required_argument, NULL, 'b'},
        {"device", required_argument, NULL, 'd'}, {"slots", required_argument, NULL, 'n'},
        {"packet-size", required_argument, NULL, 'p'}, {"overflow", required_argument, NULL, 'o'},
        {"doorbell", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct drv_opts d = {.source = "usbip", .src = {.libusb = {.vid = 0x1209, .pid = 0x0001}},
                         .slots = 256, .policy = USBSIM_RING_BLOCK, .doorbell = USBSIM_DOORBELL_SUPPRESSED,
                         .accept_timeout_ms = -1, .linger_timeout_ms = 1000,
                         .open_timeout_ms = -1, .source_first = 1, .end_with_source = 1,
                         .stop = &driver_stop};
    d.src.refused_is_gone = 1; /* usbsim gadget ends with its timeline: so does the driver */
    char host[256];
    uint64_t v;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'h': return fputs(driver_help, stdout), CLI_OK;
        case 's': d.socket_path = optarg; break;
        case 'S':
            d.source = optarg;
            bad = strcmp(optarg, "usbip") && strcmp(optarg, "libusb");
            /* a USB device is there or not: no wait */
            d.open_timeout_ms = strcmp(optarg, "libusb") == 0 ? 0 : -1;
            break;
        case 'c': bad = parse_host_port(optarg, &d.src, host, sizeof host); break;
        case 'b': d.src.usbip.busid = optarg; break;
        case 'd': bad = parse_vid_pid(optarg, &d.src); break;
        case 'n':
            bad = arg_u64(optarg, 8, USBSIM_RING_MAX_SLOTS, &v) || (v & (v - 1));
            d.slots = (uint32_t)v;
            break;
        case 'p':
            bad = arg_u64(optarg, 32, 1024, &v);
            d.packet_size = (uint32_t)v;
            break;
        case 'o': bad = usbsim_ring_policy_parse(optarg, &d.policy) != 0; break;
        case 'D': bad = usbsim_doorbell_mode_parse(optarg, &d.doorbell) != 0; break;
        case ':': return usage_error("driver", "option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("driver", "unknown option '%s'", argv[optind - 1]);
        }
        if (bad)
            return usage_error("driver", "bad value '%s' (see 'usbsim driver --help')", optarg);
    }
    if (!d.socket_path || optind < argc)
        return usage_error("driver", "%s", optind < argc ? "takes no FILE" : "needs --socket PATH");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_driver_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = drv_run(&d);
    return rc == 3 ? CLI_ENV : rc ? CLI_FAIL : CLI_OK;
}

/* Benchmarks: each parses its own options. */
static const struct {
    const char *name;
    int (*entry)(int argc, char **argv);
} benches[] = {
    {"ring", bench_ring_main},
    {"e2e", bench_e2e_main},
};

static int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: usbsim bench ring|e2e [--json]\n\nMeasure the transport (ring) or the "
               "whole path (e2e), side by side with their baselines.\n"
               "'usbsim bench NAME --help' tells more.\n");
        return CLI_OK;
    }
    for (size_t i = 0; argc >= 2 && i < sizeof benches / sizeof benches[0]; i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            return benches[i].entry(argc - 1, argv + 1);
    return usage_error("bench", "needs what to measure: ring or e2e%s", "");
}

static void print_usage(FILE *f)
{
    fprintf(f, "usbsim — emulate a USB device from YAML scenarios and prove a ring-and-doorbell\n"
               "transport delivers every packet, in order, on time.\n\nusage:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  usbsim %s\n", commands[i].synopsis);
    fprintf(f, "  usbsim bench ring|e2e [--json]\n");
    fprintf(f, "  usbsim driver --socket PATH [--source usbip|libusb] [--connect HOST:PORT] ...\n");
    fprintf(f, "  usbsim fuzz [--seed S] [--runs N | --budget-s T] [--time-scale X] [--shard K/N]\n"
               "              [--out DIR] [--json FILE] [--list]\n");
    fprintf(f, "  usbsim verify --scenario FILE.yaml --trace TRACE.csv [--json F] [--junit F] "
               "[--html F]\n");
    fprintf(f, "  usbsim --version\n");
    fprintf(f, "\n'usbsim COMMAND --help' tells more. Exit codes: 0 pass, 1 an expectation failed,\n"
               "2 bad usage or bad scenario, 3 the environment cannot run the chosen backend.\n");
}

int cli_main(int argc, char **argv)
{
    if (argc < 2)
        return print_usage(stderr), CLI_USAGE;
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return print_usage(stdout), CLI_OK;
    if (strcmp(argv[1], "--version") == 0)
        return printf("usbsim %s\n", USBSIM_VERSION), CLI_OK;
    if (strcmp(argv[1], "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "driver") == 0)
        return cmd_driver(argc - 1, argv + 1);
    if (strcmp(argv[1], "fuzz") == 0)
        return fz_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0)
        return trace_main(argc - 1, argv + 1);
    const struct cli_cmd *c = find_cmd(argv[1]);
    if (!c)
        return usage_error(NULL, "unknown command '%s'", argv[1]);

    struct cli_opts o = {.cmd = c->name, .time_scale = 1.0};
    optind = 1;
    opterr = 0;
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    for (;;) {
        int idx = -1;
        int ch = getopt_long(sub_argc, sub_argv, ":hqv", long_opts, &idx);
        if (ch == -1)
            break;
        if (ch == '?')
            return usage_error(c->name, "unknown option '%s'", sub_argv[optind - 1]);
        if (ch == ':')
            return usage_error(c->name, "option '%s' needs a value", sub_argv[optind - 1]);
        int id = ch == 'h' ? O_HELP : ch == 'q' ? O_QUIET : ch == 'v' ? O_VERBOSE : ch - 256;
        if (!(c->opts & BIT(id)))
            return usage_error(c->name, "this command does not take '%s'", sub_argv[optind - 1]);
        switch (id) {
        case O_HELP:
            printf("usage: usbsim %s\n\n%s", c->synopsis, c->help);
            return CLI_OK;
        case O_CSV: o.csv = 1; break;
        case O_QUIET: o.quiet = 1; break;
        case O_EXPLAIN: o.explain = 1; break;
        case O_KEEP: o.keep = 1; break;
        case O_VERBOSE: o.verbose = 1; break;
        case O_SEED:
            if (arg_u64(optarg, 0, UINT64_MAX, &o.seed) != 0)
                return usage_error(c->name, "--seed takes a whole number from 0 to 2^64-1, not '%s'",
                                   optarg);
            o.has_seed = 1;
            break;
        case O_TIME_SCALE:
            if (arg_double(optarg, 0.001, 10000, &o.time_scale) != 0)
                return usage_error(c->name, "--time-scale takes a number from 0.001 to 10000, not '%s'",
                                   optarg);
            break;
        case O_JSON: o.json = optarg; break;
        case O_JUNIT: o.junit = optarg; break;
        case O_BACKEND: o.backend = optarg; break;
        case O_LISTEN: o.listen = optarg; break;
        case O_LOG: o.log = optarg; break;
        case O_HTML: o.html = optarg; break;
        case O_PCAP: o.pcap = optarg; break;
        case O_UDC: o.udc = optarg; break;
        }
    }
    o.files = sub_argv + optind;
    o.nfiles = sub_argc - optind;
    if (o.nfiles < c->min_files)
        return usage_error(c->name, "%s", c->min_files == 1 && c->max_files == 1
                                              ? "needs one scenario FILE"
                                              : "needs at least one scenario FILE");
    if (c->max_files >= 0 && o.nfiles > c->max_files)
        return usage_error(c->name, "takes one scenario FILE, not more (extra: '%s')",
                           o.files[c->max_files]);
    return c->run(&o);
}

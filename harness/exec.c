/* exec — see exec.h. */
#include "harness/exec.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/html.h"
#include "harness/proc.h"
#include "harness/records.h"
#include "harness/trace.h"
#include "harness/usbmon.h"
#include "harness/userapp.h"
#include "sim/exitcode.h"
#include "sim/gadget.h"
#include "sim/packet.h"
#include "sim/rawmatch.h"
#include "sim/schedule.h"

#define READY_NS 10000000000LL          /* the device enumerates, the capture goes live */
#define WATCHDOG_MARGIN_NS 20000000000LL
#define MON_LINGER_NS 300000000LL       /* the capture's last look after the program ended */
#define POLL_NS 10000000LL
#define TRACE_FILE "trace.csv"

enum { P_DEVICE, P_MONITOR, P_PROGRAM, P_COUNT };

struct ex {
    const struct scn_scenario *sc;
    const struct run_opts *o;
    char dir[4096];
    int busnum, devnum;
    int ready[2];
    const struct run_setup *setup;
    int port[2];       /* attach: the device's "port=N" */
    unsigned tcp_port; /* attach: where the device listens */
    int vhci_port;     /* attach: the vhci-hcd port it was attached to, -1 when not */
    struct uapp_end end;
};

static volatile sig_atomic_t child_stop;

static void on_stop(int sig)
{
    (void)sig;
    child_stop = 1;
}

static void path_in(const struct ex *x, const char *file, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", x->dir, file);
}

static int device_main(void *arg)
{
    struct ex *x = arg;
    char log[4200];
    path_in(x, REC_DEVICE_CSV, log, sizeof log);
    bool net = x->setup->attach; /* over USB/IP on loopback, else a FunctionFS gadget */
    close(x->port[0]);
    struct gadget_opts g = {.sc = x->sc, .backend = x->setup->device, .log_path = log,
                            .udc = net ? NULL : x->o->udc, .listen = net ? "127.0.0.1:0" : NULL,
                            .ready_fd = net ? x->port[1] : -1, .quiet = !x->o->verbose};
    return gadget_run(&g);
}

static int monitor_main(void *arg)
{
    struct ex *x = arg;
    struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: the capture's wait returns */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    close(x->ready[0]);
    char log[4200];
    path_in(x, REC_DRIVER_CSV, log, sizeof log);
    if (x->sc->device.framing != SCN_FRAMING_RAW)
        return umon_capture(x->busnum, x->sc->device.packet_size, log, x->ready[1], &child_stop);
    /* A raw stream: each completed transfer identified by place and content against the plan. */
    struct sched plan;
    char err[SCN_ERR_MAX > RM_ERR_MAX ? SCN_ERR_MAX : RM_ERR_MAX];
    struct rm *m = NULL;
    if (sched_build(x->sc, &plan, err) != 0) {
        fprintf(stderr, "usbmon: %s\n", err);
        return 1;
    }
    if (!(m = rm_from_sched(&plan, err))) {
        fprintf(stderr, "usbmon: %s\n", err);
        sched_free(&plan);
        return 1;
    }
    int rc = umon_capture_stream(x->busnum, x->sc->device.packet_size, scn_stream_ep(x->sc), m,
                                 log, x->ready[1], &child_stop);
    rm_free(m);
    sched_free(&plan);
    return rc;
}

static int program_main(void *arg)
{
    struct ex *x = arg;
    char dev[16], bus[16], num[16], trace[4200];
    snprintf(dev, sizeof dev, "%04x:%04x", x->sc->device.vid, x->sc->device.pid);
    snprintf(bus, sizeof bus, "%d", x->busnum);
    snprintf(num, sizeof num, "%d", x->devnum);
    path_in(x, TRACE_FILE, trace, sizeof trace);
    setenv("USBSIM_DEVICE", dev, 1);
    setenv("USBSIM_BUSNUM", bus, 1);
    setenv("USBSIM_DEVNUM", num, 1);
    setenv("USBSIM_TRACE", trace, 1);
    setenv("USBSIM_RUN_DIR", x->dir, 1);
    return uapp_shell(x->o->exec_command);
}

static int read_num(const char *dir, const char *name, const char *file, int base, long *v)
{
    char path[600], text[32];
    snprintf(path, sizeof path, "%s/%s/%s", dir, name, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *got = fgets(text, sizeof text, f);
    fclose(f);
    char *end;
    *v = got ? strtol(text, &end, base) : -1;
    return got && end != text ? 0 : -1;
}

/* Runs Linux's usbip tool with args (NULL-terminated) and waits (10 s at most): its exit code,
 * or -1. Its output goes to stderr when verbose, else nowhere. */
static int usbip_tool(const struct ex *x, char *const args[])
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!x->o->verbose) {
            FILE *null = freopen("/dev/null", "w", stdout);
            (void)null;
            null = freopen("/dev/null", "w", stderr);
        }
        execv("/usr/sbin/usbip", args);
        _exit(127);
    }
    int st = 0;
    for (int64_t until = proc_now_ns() + READY_NS; pid > 0;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (r < 0 || proc_now_ns() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        struct timespec ts = {0, POLL_NS};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* attach: the device's port, then `usbip attach`. 0, or -1 (said on stderr). */
static int attach(struct ex *x)
{
    struct pollfd p = {.fd = x->port[0], .events = POLLIN};
    char line[32] = {0}, port[16];
    if (poll(&p, 1, (int)(READY_NS / 1000000)) != 1 ||
        read(x->port[0], line, sizeof line - 1) <= 0 ||
        sscanf(line, "port=%u", &x->tcp_port) != 1) {
        fprintf(stderr, "usbsim: the device did not listen on USB/IP\n");
        return -1;
    }
    snprintf(port, sizeof port, "%u", x->tcp_port);
    char *const args[] = {"usbip", "--tcp-port", port, "attach", "-r", "127.0.0.1", "-b", "1-1",
                          NULL};
    int rc = usbip_tool(x, args);
    /* Which vhci port: usbip attach records "HOST PORT BUSID" in /var/run/vhci_hcd/portN. */
    for (int n = 0; n < 64 && x->vhci_port < 0; n++) {
        char path[64], host[64], busid[32];
        unsigned tcp = 0;
        snprintf(path, sizeof path, "/var/run/vhci_hcd/port%d", n);
        FILE *f = fopen(path, "r");
        if (f && fscanf(f, "%63s %u %31s", host, &tcp, busid) == 3 && tcp == x->tcp_port)
            x->vhci_port = n;
        if (f)
            fclose(f);
    }
    if (rc != 0) {
        fprintf(stderr, "usbsim: usbip attach -r 127.0.0.1 -b 1-1 (port %u) failed (vhci-hcd, "
                "root, /var/run/vhci_hcd?)\n", x->tcp_port);
        return -1;
    }
    return 0;
}

/* attach: `usbip detach` of the port the device was attached to, on every path. */
static void detach(struct ex *x)
{
    if (x->vhci_port < 0)
        return;
    char port[16];
    snprintf(port, sizeof port, "%d", x->vhci_port);
    char *const args[] = {"usbip", "detach", "-p", port, NULL};
    usbip_tool(x, args); /* already gone when the device ended: nothing to say */
    x->vhci_port = -1;
}

int exe_find_device(uint16_t vid, uint16_t pid, int *busnum, int *devnum)
{
    const char *root = "/sys/bus/usb/devices";
    DIR *d = opendir(root);
    struct dirent *e;
    int rc = -1;
    while (d && rc != 0 && (e = readdir(d))) {
        long v, p, b, n;
        if (e->d_name[0] != '.' && read_num(root, e->d_name, "idVendor", 16, &v) == 0 &&
            read_num(root, e->d_name, "idProduct", 16, &p) == 0 && v == vid && p == pid &&
            read_num(root, e->d_name, "busnum", 10, &b) == 0 &&
            read_num(root, e->d_name, "devnum", 10, &n) == 0) {
            *busnum = (int)b, *devnum = (int)n;
            rc = 0;
        }
    }
    if (d)
        closedir(d);
    return rc;
}

static void nap(void)
{
    struct timespec ts = {0, POLL_NS};
    nanosleep(&ts, NULL);
}

/* The device enumerated on the host (0), or it ended or took too long (-1). */
static int await_device(struct ex *x, struct proc *dev)
{
    int64_t until = proc_now_ns() + READY_NS;
    while (proc_now_ns() < until && !proc_interrupted()) {
        if (exe_find_device(x->sc->device.vid, x->sc->device.pid, &x->busnum, &x->devnum) == 0)
            return 0;
        if (x->setup->attach && !x->tcp_port && attach(x) != 0)
            return -1;
        if (proc_poll(dev, 1) == 1)
            return -1;
        nap();
    }
    return -1;
}

/* "ready" from the capture (0), or it ended or took too long (-1). */
static int await_capture(struct ex *x)
{
    struct pollfd p = {.fd = x->ready[0], .events = POLLIN};
    char line[16];
    return poll(&p, 1, (int)(READY_NS / 1000000)) == 1 && read(x->ready[0], line, sizeof line) > 0
               ? 0 : -1;
}

/* Marks the running ones stopped because another failed, and stops them. */
static void stop_rest(struct proc *ps, size_t n, const char *why)
{
    for (size_t i = 0; i < n; i++)
        if (ps[i].pid > 0 && !ps[i].done) {
            ps[i].killed = true;
            ps[i].stop_reason = why;
            proc_signal(&ps[i], SIGTERM);
        }
    proc_wait_all(ps, n, proc_now_ns() + 2000000000LL, false);
}

static void supervise(struct ex *x, struct proc ps[P_COUNT], int64_t deadline)
{
    int64_t termed = 0, prog_end = 0;
    for (;;) {
        if (proc_poll(ps, P_COUNT) == P_COUNT)
            return;
        struct proc *dev = &ps[P_DEVICE], *mon = &ps[P_MONITOR], *prog = &ps[P_PROGRAM];
        if (proc_interrupted() || proc_now_ns() >= deadline) {
            proc_wait_all(ps, P_COUNT, deadline, false); /* interrupt or watchdog: stops all */
            return;
        }
        if ((dev->done && !proc_ok(dev)) || (mon->done && !proc_ok(mon))) {
            stop_rest(ps, P_COUNT, "another process failed");
            return;
        }
        if (prog->done && !dev->done) { /* nobody reads the device any more */
            x->end.early = proc_ok(prog);
            stop_rest(ps, P_COUNT, "another process failed");
            return;
        }
        if (dev->done && !prog->done && !x->end.termed) {
            proc_signal(prog, SIGTERM);
            x->end.termed = true;
            termed = proc_now_ns();
        } else if (x->end.termed && !prog->done && !x->end.hung &&
                   proc_now_ns() >= termed + UAPP_KILL_GRACE_NS) {
            proc_signal(prog, SIGKILL);
            x->end.hung = true;
        }
        if (prog->done && !prog_end)
            prog_end = proc_now_ns();
        if (prog_end && !mon->done && proc_now_ns() >= prog_end + MON_LINGER_NS)
            proc_signal(mon, SIGTERM);
        nap();
    }
}

/* Index of seq among the device rows (strictly increasing), or -1. */
static long dev_index(const struct rec_run *r, int64_t seq)
{
    if (r->n_device == 0 || seq < r->device[0].seq)
        return -1;
    int64_t i = seq - r->device[0].seq;
    if (i < (int64_t)r->n_device && r->device[i].seq == seq)
        return (long)i;
    for (size_t k = 0; k < r->n_device; k++)
        if (r->device[k].seq == seq)
            return (long)k;
    return -1;
}

/* The application rows: the program's trace when it wrote one, else what usbmon saw completed;
 * produce times from the device log, the host stack's completion as the middle stage. */
static int program_rows(struct ex *x, struct rec_run *run, char *err, size_t len)
{
    char path[4200];
    path_in(x, TRACE_FILE, path, sizeof path);
    struct stat st;
    struct rec_run t;
    rec_init(&t);
    if (stat(path, &st) == 0 && st.st_size > 0) {
        struct trace_info info;
        char terr[TRACE_ERR_MAX];
        if (trace_load(path, x->sc, &t, &info, terr) != 0) {
            snprintf(err, len, "the program's trace (USBSIM_TRACE): %s", terr);
            return -1;
        }
    }
    int64_t *host = calloc(run->n_device + 1, sizeof *host);
    if (!host) {
        rec_free(&t);
        return snprintf(err, len, "out of memory"), -1;
    }
    for (size_t i = 0; i < run->n_driver; i++) {
        long k = dev_index(run, run->driver[i].seq);
        if (k >= 0 && run->driver[i].status == REC_ST_OK && !host[k])
            host[k] = run->driver[i].ingress_ns;
    }
    bool traced = t.app != NULL || (stat(path, &st) == 0 && st.st_size > 0);
    size_t n = traced ? t.n_app : run->n_driver;
    run->app = calloc(n + 1, sizeof *run->app);
    for (size_t i = 0; run->app && i < n; i++) {
        const struct rec_driver_row *d = traced ? NULL : &run->driver[i];
        long dk = d ? dev_index(run, d->seq) : -1;
        if (d && (d->status != REC_ST_OK ||
                  (dk >= 0 && (run->device[dk].flags & PKT_F_CORRUPT))))
            continue; /* without a trace, a corrupted packet counts as rejected by the program */
        struct rec_app_row a = traced ? t.app[i]
                                      : (struct rec_app_row){.seq = (uint32_t)d->seq,
                                                             .recv_ns = d->ingress_ns};
        long k = dev_index(run, a.seq);
        a.produce_ns = k >= 0 ? run->device[k].produce_ns : a.recv_ns;
        a.ingress_ns = k >= 0 && host[k] ? host[k] : a.recv_ns;
        a.batch = run->n_app;
        run->app[run->n_app++] = a;
    }
    free(host);
    rec_free(&t);
    if (!run->app)
        return snprintf(err, len, "out of memory"), -1;
    return 0;
}

static void judge(struct ex *x, struct proc ps[P_COUNT], const char *backend, double watchdog_s,
                  struct vfy_result *out)
{
    struct rec_run run;
    char err[REC_ERR_MAX + 64], path[4200];
    rec_init(&run);
    path_in(x, REC_DEVICE_CSV, path, sizeof path);
    int ok = rec_load_device(path, &run, err) == 0;
    path_in(x, REC_DRIVER_CSV, path, sizeof path);
    ok = ok && rec_load_driver(path, &run, err) == 0;
    ok = ok && program_rows(x, &run, err, sizeof err) == 0;
    if (ok) {
        run.backend = backend;
        run.exec_run = 1;
        run.raw = x->sc->device.framing == SCN_FRAMING_RAW;
        char perr[REC_ERR_MAX];
        if (run.raw && vfy_raw_place(x->sc, &run, perr, sizeof perr) != 0)
            fprintf(stderr, "usbsim: the raw stream's packets are judged as usbmon placed them: "
                    "%s\n", perr);
        run.start_ns = run_device_start(x->sc, &run);
        vfy_check(x->sc, &run, out);
    } else {
        vfy_init(out, x->sc, backend);
    }
    if (!x->busnum)
        vfy_add_failure(out, VFY_KIND_PROCESS_FAILED, "the device %04x:%04x did not appear on "
                        "the host within %.0f s", x->sc->device.vid, x->sc->device.pid,
                        READY_NS / 1e9);
    for (int i = 0; i < P_PROGRAM; i++)
        if (ps[i].pid > 0 && !proc_ok(&ps[i])) {
            char how[160];
            vfy_add_failure(out, proc_kind(&ps[i]), "%s",
                            proc_describe(&ps[i], watchdog_s, how, sizeof how));
        }
    uapp_judge(out, "program", x->o->exec_command, &ps[P_PROGRAM], x->end, watchdog_s);
    if (!ok)
        vfy_add_failure(out, VFY_KIND_PROCESS_FAILED, "no records to judge: %s", err);
    vfy_apply_expect(x->sc, out);
    char herr[HTML_ERR_MAX];
    if (x->o->html_path && html_write(x->o->html_path, x->sc, ok ? &run : NULL, out, herr) != 0) {
        fprintf(stderr, "usbsim run: %s\n", herr);
        if (x->o->output_failures)
            ++*x->o->output_failures;
    }
    rec_free(&run);
}

static void clean_dir(const struct ex *x)
{
    if (x->o->keep_dir) {
        fprintf(stderr, "usbsim: the run's logs are in %s\n", x->dir);
        return;
    }
    static const char *const files[] = {REC_DEVICE_CSV, REC_DEVICE_OUT_CSV, REC_DRIVER_CSV,
                                        TRACE_FILE};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4200];
        path_in(x, files[i], path, sizeof path);
        unlink(path);
    }
    if (rmdir(x->dir) != 0)
        fprintf(stderr, "usbsim: %s is left (the program's own files are in it)\n", x->dir);
}

int exe_run_one(const struct scn_scenario *sc, const struct run_opts *o, const char *backend,
                const struct run_setup *setup, struct vfy_result *out)
{
    struct ex x = {.sc = sc, .o = o, .ready = {-1, -1}, .setup = setup, .port = {-1, -1},
                   .vhci_port = -1};
    const char *tmp = getenv("TMPDIR");
    snprintf(x.dir, sizeof x.dir, "%s/usbsim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(x.dir) || chmod(x.dir, 0755) != 0 || pipe(x.ready) != 0 || pipe(x.port) != 0) {
        fprintf(stderr, "usbsim: cannot make the run's directory: %s\n", strerror(errno));
        return XC_ENV;
    }
    int64_t started = proc_now_ns();
    int64_t deadline = started + sc->duration_ns + WATCHDOG_MARGIN_NS;
    double watchdog_s = (double)(deadline - started) / 1e9;
    struct proc ps[P_COUNT] = {{.name = "device"}, {.name = "usbmon"}, {.name = "program"}};
    int rc = 0;
    bool judged = true;
    if (proc_start(&ps[P_DEVICE], "device", device_main, &x) != 0) {
        fprintf(stderr, "usbsim: cannot start the device: %s\n", strerror(errno));
        rc = XC_ENV;
    } else if (await_device(&x, &ps[P_DEVICE]) != 0) {
        stop_rest(ps, P_COUNT, "another process failed");
        judged = !(WIFEXITED(ps[P_DEVICE].status) && WEXITSTATUS(ps[P_DEVICE].status) == XC_ENV);
        rc = judged ? 0 : XC_ENV; /* a gadget the kernel refused said why on stderr */
    } else if (proc_start(&ps[P_MONITOR], "usbmon", monitor_main, &x) != 0 ||
               (close(x.ready[1]), x.ready[1] = -1, await_capture(&x) != 0)) {
        stop_rest(ps, P_COUNT, "another process failed");
        rc = XC_ENV; /* usbmon said what is missing */
    } else if (proc_start(&ps[P_PROGRAM], "program", program_main, &x) != 0) {
        stop_rest(ps, P_COUNT, "another process failed");
        rc = XC_ENV;
    } else {
        supervise(&x, ps, deadline);
    }
    detach(&x);
    close(x.ready[0]);
    if (x.ready[1] >= 0)
        close(x.ready[1]);
    close(x.port[0]);
    close(x.port[1]);
    if (rc == 0) {
        judge(&x, ps, backend, watchdog_s, out);
        out->wall_s = (double)(proc_now_ns() - started) / 1e9;
    }
    clean_dir(&x);
    return rc;
}

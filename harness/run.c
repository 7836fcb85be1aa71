/* run — see run.h. */
#include "harness/run.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/drv.h"
#include "harness/app.h"
#include "harness/backend.h"
#include "harness/exec.h"
#include "harness/html.h"
#include "harness/proc.h"
#include "harness/records.h"
#include "harness/userapp.h"
#include "sim/gadget.h"
#include "sim/schedule.h"
#include "sim/exitcode.h"

#define READY_TIMEOUT_MS 10000
#define WATCHDOG_MARGIN_NS 20000000000LL /* beyond the scenario's duration */
#define POLL_NS 10000000LL
#define PROGRESS_MIN_NS 3000000000LL /* runs shorter than this show no progress line */
#define COUNTERS_FILE "counters.csv"
#define APP_COUNTERS_FILE LF_APP_COUNTERS_FILE
#define SOCKET_FILE "ring.sock"

static const char *const run_files[] = {REC_DEVICE_CSV, REC_DEVICE_OUT_CSV, REC_DRIVER_CSV,
                                        REC_APP_CSV, COUNTERS_FILE, APP_COUNTERS_FILE,
                                        APP_COUNTERS_FILE ".tmp", SOCKET_FILE};

struct run {
    const struct scn_scenario *sc;
    const struct run_opts *o;
    char dir[108]; /* holds TMPDIR/usbsim-XXXXXX: TMPDIR is bounded for the socket (run_one) */
    int ready[2];
    uint16_t port;
    const struct run_setup *setup; /* the backend's: device, driver source */
    const char *backend;
    bool app_termed, app_hung;     /* a user's application: sent SIGTERM at the end; SIGKILL */
    bool app_early;                /* a user's application ended before the device's timeline */
    uint32_t max_len;              /* framing raw: the plan's longest packet (the ring's slots) */
};

/* The stop flag of whichever child this process is. */
static volatile sig_atomic_t child_stop;

static void on_stop(int sig)
{
    (void)sig;
    child_stop = 1;
}

static void catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: blocking calls return on a stop */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static void path_in(const struct run *r, const char *file, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", r->dir, file);
}

static int device_main(void *arg)
{
    struct run *r = arg;
    close(r->ready[0]);
    char log[128];
    path_in(r, REC_DEVICE_CSV, log, sizeof log);
    /* The device takes only what its backend honours (sim/gadget.h): an address to listen on
     * for a device reached over the network, a controller for a gadget. */
    struct gadget_opts g = {.sc = r->sc, .backend = r->setup->device,
                            .listen = r->setup->device_port ? "127.0.0.1:0" : NULL,
                            .udc = r->setup->device_port ? NULL : r->o->udc, .log_path = log,
                            .quiet = !r->o->verbose,
                            .ready_fd = r->setup->device_port ? r->ready[1] : -1,
                            .pcap_path = r->o->pcap_path};
    return gadget_run(&g);
}

static int driver_main(void *arg)
{
    struct run *r = arg;
    catch_stop();
    char log[128], counters[128], sock[128];
    path_in(r, REC_DRIVER_CSV, log, sizeof log);
    path_in(r, COUNTERS_FILE, counters, sizeof counters);
    path_in(r, SOCKET_FILE, sock, sizeof sock);
    const struct scn_scenario *sc = r->sc;
    struct drv_opts d = {
        .source = r->setup->source,
        .src = {.usbip = {.port = r->port},
                .libusb = {.vid = sc->device.vid, .pid = sc->device.pid},
                .max_packet = r->max_len > sc->device.packet_size ? r->max_len
                                                                  : sc->device.packet_size,
                .in_ep = scn_stream_ep(sc)},
        .open_timeout_ms = READY_TIMEOUT_MS,
        .slots = sc->transport.ring_slots,
        /* raw: no format to check; the longest packet of the plan sizes the ring's slots */
        .packet_size = sc->device.framing == SCN_FRAMING_RAW ? r->max_len : sc->device.packet_size,
        .raw = sc->device.framing == SCN_FRAMING_RAW,
        .policy = sc->transport.overflow == SCN_OVF_BLOCK         ? USBSIM_RING_BLOCK
                  : sc->transport.overflow == SCN_OVF_DROP_NEWEST ? USBSIM_RING_DROP_NEWEST
                                                                  : USBSIM_RING_DROP_OLDEST,
        .doorbell = sc->transport.doorbell == SCN_DB_ALWAYS ? USBSIM_DOORBELL_ALWAYS : USBSIM_DOORBELL_SUPPRESSED,
        .socket_path = sock,
        .accept_timeout_ms = READY_TIMEOUT_MS,
        .linger_timeout_ms = 10000,
        .log_path = log,
        .counters_path = counters,
        .stop = &child_stop,
        .quiet = !r->o->verbose,
        .log_delivered = r->o->app_command != NULL,
    };
    /* A device that streams after its start request: the reader sends it, as its driver would. */
    for (size_t i = 0; sc->device.start == SCN_START_ON_REQUEST && i < sc->device.n_control; i++) {
        const struct scn_ctl *c = &sc->device.control[i];
        if (!c->has_action || c->action != SCN_ACT_START)
            continue;
        uint8_t *q = d.src.start_request.setup;
        q[0] = c->request_type;
        q[1] = c->request;
        q[2] = (uint8_t)c->value;
        q[3] = (uint8_t)(c->value >> 8);
        q[4] = (uint8_t)c->index;
        q[5] = (uint8_t)(c->index >> 8);
        q[6] = q[7] = 0;
        d.src.start_request.on = 1;
        break;
    }
    return drv_run(&d);
}

static int app_main(void *arg)
{
    struct run *r = arg;
    catch_stop();
    char log[128], sock[128], counters[128];
    path_in(r, REC_APP_CSV, log, sizeof log);
    path_in(r, SOCKET_FILE, sock, sizeof sock);
    path_in(r, APP_COUNTERS_FILE, counters, sizeof counters);
    if (r->o->app_command)
        return uapp_exec(r->o->app_command, sock, r->dir);
    struct app_opts a = {.sc = r->sc, .socket_path = sock, .log_path = log,
                         .counters_path = counters,
                         .connect_timeout_ms = READY_TIMEOUT_MS, .stop = &child_stop};
    return app_run(&a);
}

/* Reads "port=N" from the device once it listens. 0, or -1 when it ended or took too long. */
static int await_port(struct run *r)
{
    struct pollfd p = {.fd = r->ready[0], .events = POLLIN};
    char line[32] = {0};
    size_t got = 0;
    int64_t until = proc_now_ns() + (int64_t)READY_TIMEOUT_MS * 1000000;
    while (!strchr(line, '\n') && got < sizeof line - 1) {
        int left = (int)((until - proc_now_ns()) / 1000000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return -1;
        ssize_t n = read(r->ready[0], line + got, sizeof line - 1 - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    unsigned port;
    if (sscanf(line, "port=%u", &port) != 1 || port == 0 || port > 65535)
        return -1;
    r->port = (uint16_t)port;
    return 0;
}

/* On a terminal, for runs longer than a few seconds: where the run is, rewritten in place. */
static void progress(const struct run *r, int64_t started, int64_t *next)
{
    int64_t now = proc_now_ns();
    if (!r->o->progress || r->sc->duration_ns < PROGRESS_MIN_NS || now < *next)
        return;
    *next = now + 500000000LL;
    fprintf(stderr, "\r\033[K  %s: %.1f of %.1f s", r->sc->name, (double)(now - started) / 1e9,
            (double)r->sc->duration_ns / 1e9);
}

/* A user's application, once the driver has ended (the ring closed): a grace to end by itself,
 * then SIGTERM, then SIGKILL (userapp.h). */
static void end_user_app(struct run *r, struct proc *app, int64_t *drv_end, int64_t *termed)
{
    int64_t now = proc_now_ns();
    if (!*drv_end)
        *drv_end = now;
    if (!r->app_termed && now >= *drv_end + UAPP_END_GRACE_NS) {
        proc_signal(app, SIGTERM);
        r->app_termed = true;
        *termed = now;
    } else if (r->app_termed && !r->app_hung && now >= *termed + UAPP_KILL_GRACE_NS) {
        proc_signal(app, SIGKILL);
        r->app_hung = true;
    }
}

/* Watches the three processes to the end; the driver is told to stop once the device is done. */
static void supervise(struct run *r, struct proc ps[3], int64_t deadline)
{
    bool told = false;
    int64_t drv_end = 0, termed = 0;
    int64_t started = proc_now_ns(), next = 0;
    for (;;) {
        progress(r, started, &next);
        size_t done = proc_poll(ps, 3);
        if (done == 3)
            break;
        bool failed = false;
        for (int i = 0; i < 3; i++)
            failed |= ps[i].done && !proc_ok(&ps[i]);
        if (r->o->app_command && ps[2].done && !ps[0].done) { /* nobody left to take packets */
            r->app_early = true;
            for (int i = 0; i < 2; i++)
                if (!ps[i].done) {
                    ps[i].killed = true;
                    ps[i].stop_reason = "another process failed";
                    proc_signal(&ps[i], SIGTERM);
                }
            proc_wait_all(ps, 3, proc_now_ns() + 2000000000LL, true); /* then SIGKILL */
            break;
        }
        if (failed || proc_interrupted() || proc_now_ns() >= deadline) {
            proc_wait_all(ps, 3, failed ? INT64_MAX : deadline, true);
            break;
        }
        if (ps[0].done && !told) {
            proc_signal(&ps[1], SIGTERM);
            told = true;
        }
        if (r->o->app_command && ps[1].done && !ps[2].done)
            end_user_app(r, &ps[2], &drv_end, &termed);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = POLL_NS};
        nanosleep(&ts, NULL);
    }
    if (r->o->progress && r->sc->duration_ns >= PROGRESS_MIN_NS)
        fprintf(stderr, "\r\033[K");
}

/* The driver's and the application's counters; an absent file is "not measured". */
static int read_counters(const struct run *r, struct rec_counters *c, char err[REC_ERR_MAX])
{
    char path[128];
    path_in(r, COUNTERS_FILE, path, sizeof path);
    if (rec_load_counters(path, c, err) != 0)
        return -1;
    path_in(r, APP_COUNTERS_FILE, path, sizeof path);
    return rec_load_counters(path, c, err);
}

int64_t run_device_start(const struct scn_scenario *sc, const struct rec_run *run)
{
    struct sched plan;
    char err[SCN_ERR_MAX];
    int64_t t0 = 0;
    if (run->n_device == 0 || sched_build(sc, &plan, err) != 0)
        return 0;
    if (run->device[0].seq < plan.n)
        t0 = run->device[0].due_ns - plan.samples[run->device[0].seq].due_ns;
    sched_free(&plan);
    return t0;
}

/* How late the device built each packet against its schedule. */
static void period_error(const struct rec_run *run, struct vfy_latency *out)
{
    int64_t *v = malloc((run->n_device + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < run->n_device; i++)
        if (run->device[i].produce_ns > 0)
            v[n++] = run->device[i].produce_ns - run->device[i].due_ns;
    vfy_summarize(out, v, v ? n : 0);
    free(v);
}

static void judge(struct run *r, struct proc ps[3], double watchdog_s, struct vfy_result *out)
{
    struct rec_run run;
    char err[REC_ERR_MAX];
    int loaded = rec_load_dir(r->dir, &run, err) == 0;
    if (loaded) {
        run.backend = r->backend;
        run.raw = r->sc->device.framing == SCN_FRAMING_RAW;
        char perr[REC_ERR_MAX];
        if (run.raw && vfy_raw_place(r->sc, &run, perr, sizeof perr) != 0)
            fprintf(stderr, "usbsim: the raw stream's packets are judged as the application "
                    "placed them: %s\n", perr);
        if (run.raw) /* the packets carry no produce time: the device log's, for the page too */
            rec_fill_produce(&run);
        run.start_ns = run_device_start(r->sc, &run);
        char cerr[REC_ERR_MAX];
        if (read_counters(r, &run.counters, cerr) != 0) {
            loaded = 0;
            snprintf(err, sizeof err, "%s", cerr);
            rec_free(&run);
        }
    }
    if (loaded) {
        if (r->o->figures)
            period_error(&run, &r->o->figures->period_error);
        vfy_check(r->sc, &run, out);
    } else {
        vfy_init(out, r->sc, r->backend);
    }
    for (int i = 0; i < 3; i++)
        if (i == 2 && r->o->app_command)
            uapp_judge(out, "app", r->o->app_command, &ps[2],
                       (struct uapp_end){r->app_termed, r->app_hung, r->app_early}, watchdog_s);
        else if (!proc_ok(&ps[i])) {
            char how[160];
            vfy_add_failure(out, proc_kind(&ps[i]), "%s",
                            proc_describe(&ps[i], watchdog_s, how, sizeof how));
        }
    if (!loaded)
        vfy_add_failure(out, VFY_KIND_PROCESS_FAILED, "no records to judge: %s", err);
    vfy_apply_expect(r->sc, out); /* before the page, so it shows an expected failure as such */
    char herr[HTML_ERR_MAX];
    if (r->o->html_path && html_write(r->o->html_path, r->sc, loaded ? &run : NULL, out, herr) != 0) {
        fprintf(stderr, "usbsim run: %s\n", herr);
        if (r->o->output_failures)
            ++*r->o->output_failures;
    }
    if (loaded)
        rec_free(&run);
}

static void clean_dir(const struct run *r)
{
    if (r->o->keep_dir) {
        fprintf(stderr, "usbsim: the run's logs are in %s\n", r->dir);
        return;
    }
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
        char path[128];
        path_in(r, run_files[i], path, sizeof path);
        unlink(path);
    }
    if (rmdir(r->dir) != 0)
        fprintf(stderr, "usbsim: could not remove %s: %s\n", r->dir, strerror(errno));
}

/* Starts one process and tells the caller's hook its pid. */
static int start(const struct run *r, struct proc *p, int (*fn)(void *arg))
{
    if (proc_start(p, p->name, fn, (void *)r) != 0)
        return -1;
    if (r->o->on_start)
        r->o->on_start(r->o->ctx, p->name, p->pid);
    return 0;
}

int run_one(const struct scn_scenario *sc, const struct run_opts *o, struct vfy_result *out)
{
    const struct be_backend *b = be_find(o->backend);
    char why[256];
    if (!b || !be_is_local(b)) {
        fprintf(stderr, "usbsim: backend %s does not run one scenario on this host\n",
                o->backend);
        return XC_ENV;
    }
    if (b->check(b, o->udc, why, sizeof why) != 0) {
        fprintf(stderr, "usbsim: backend %s: %s\n", b->name, why);
        return XC_ENV;
    }
    if (o->exec_command)
        return exe_run_one(sc, o, b->name, &b->setup, out);
    if (b->setup.attach) {
        fprintf(stderr, "usbsim run: the %s backend runs your program: it needs --exec\n", b->name);
        return XC_USAGE;
    }
    struct run r = {.sc = sc, .o = o, .backend = b->name, .setup = &b->setup};
    if (sc->device.framing == SCN_FRAMING_RAW) { /* the longest packet the plan sends */
        struct sched plan;
        char err[SCN_ERR_MAX];
        if (sched_build(sc, &plan, err) == 0) { /* else the device says why, and fails */
            r.max_len = plan.max_len;
            sched_free(&plan);
        }
    }
    /* TMPDIR as given, or refused when the driver's socket could not be made in it (a UNIX
     * socket path holds at most sizeof sun_path - 1 bytes): never silently replaced. */
    const char *tmp = getenv("TMPDIR");
    tmp = tmp && *tmp ? tmp : "/tmp";
    size_t most = sizeof(((struct sockaddr_un *)0)->sun_path) - 1 -
                  strlen("/usbsim-XXXXXX/" SOCKET_FILE);
    if (strlen(tmp) > most) {
        fprintf(stderr, "usbsim: TMPDIR is %zu characters long; the run's socket needs it at most "
                "%zu (set TMPDIR to a shorter folder)\n", strlen(tmp), most);
        return XC_ENV;
    }
    snprintf(r.dir, sizeof r.dir, "%s/usbsim-XXXXXX", tmp);
    if (!mkdtemp(r.dir) || pipe(r.ready) != 0) {
        fprintf(stderr, "usbsim: cannot make the run's directory: %s\n", strerror(errno));
        return XC_ENV;
    }
    int64_t started = proc_now_ns();
    int64_t deadline = started + sc->duration_ns + WATCHDOG_MARGIN_NS;
    double watchdog_s = (double)(deadline - started) / 1e9;
    struct proc ps[3] = {{.name = "device"}, {.name = "driver"}, {.name = "app"}};
    int rc = 0;
    if (start(&r, &ps[0], device_main) != 0) {
        fprintf(stderr, "usbsim: cannot start the device: %s\n", strerror(errno));
        rc = 3;
    } else {
        close(r.ready[1]);
        r.ready[1] = -1;
        if (r.setup->device_port && await_port(&r) != 0) {
            proc_wait_all(ps, 1, proc_now_ns() + 2000000000LL, true);
            if (!ps[0].done || (WIFEXITED(ps[0].status) && WEXITSTATUS(ps[0].status) == 3))
                rc = 3; /* it said why on stderr */
        } else if ((o->app_command && uapp_prepare(r.dir) != 0) ||
                   start(&r, &ps[1], driver_main) != 0 ||
                   start(&r, &ps[2], app_main) != 0) {
            fprintf(stderr, "usbsim: cannot start a process: %s\n", strerror(errno));
        }
        supervise(&r, ps, deadline);
    }
    close(r.ready[0]);
    if (r.ready[1] >= 0)
        close(r.ready[1]);
    if (rc == 0) {
        judge(&r, ps, watchdog_s, out);
        out->wall_s = (double)(proc_now_ns() - started) / 1e9;
        if (o->figures) {
            o->figures->wall_ns = proc_now_ns() - started;
            for (int i = 0; i < 3; i++)
                o->figures->cpu_ns[i] = ps[i].cpu_ns;
        }
    }
    clean_dir(&r);
    return rc;
}

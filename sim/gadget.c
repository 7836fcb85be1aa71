/* gadget — see gadget.h. What every backend shares lives here: the option check, signals, the
 * device model and its log, the capture, the banner and the exit codes. */
#include "sim/gadget.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/capture.h"
#include "sim/gadget_ffs.h"
#include "sim/gadget_usbip.h"
#include "sim/usb_device.h"

static const struct gadget_backend *const backends[] = {&gadget_usbip_backend, &ffs_backend};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

/* Installs SIGINT/SIGTERM handlers (no SA_RESTART) and blocks both outside the wait, so a
 * signal can only land inside the backend's ppoll. *old receives the previous mask, *wait the
 * wait mask. */
static void catch_signals(struct sigaction old_act[2], sigset_t *old, sigset_t *wait)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_act[0]);
    sigaction(SIGTERM, &sa, &old_act[1]);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, old);
    *wait = *old;
    sigdelset(wait, SIGINT);
    sigdelset(wait, SIGTERM);
}

static void restore_signals(const struct sigaction old_act[2], const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
    sigaction(SIGINT, &old_act[0], NULL);
    sigaction(SIGTERM, &old_act[1], NULL);
}

/* An option given that the backend does not honour: its name, else NULL. */
static const char *refused_option(const struct gadget_backend *b, const struct gadget_opts *o)
{
    const struct { unsigned bit; int given; const char *name; } opts[] = {
        {GADGET_OPT_LISTEN, o->listen != NULL, "--listen"},
        {GADGET_OPT_UDC, o->udc != NULL, "--udc"},
        {GADGET_OPT_PCAP, o->pcap_path != NULL, "--pcap"},
        {GADGET_OPT_READY_FD, o->ready_fd > 0, "a ready descriptor"},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (opts[i].given && !(b->options & opts[i].bit))
            return opts[i].name;
    return NULL;
}

static void banner(const struct gadget_opts *o, const struct scn_scenario *sc,
                   const struct gadget_where *w)
{
    if (o->ready_fd > 0) {
        char line[32];
        int n = snprintf(line, sizeof line, "port=%u\n", w->port);
        if (write(o->ready_fd, line, (size_t)n) != n)
            fprintf(stderr, "usbsim gadget: cannot report the port: %s\n", strerror(errno));
    }
    if (o->quiet)
        return;
    char what[SCN_MAX_PATH + 48];
    if (sc->device.replay.file[0]) /* framing raw: the recording's packets, as long as recorded */
        snprintf(what, sizeof what, "the packets of %s", sc->device.replay.file);
    else
        snprintf(what, sizeof what, "%u-byte %spackets", sc->device.packet_size,
                 sc->device.framing == SCN_FRAMING_RAW ? "raw " : "");
    printf("usbsim gadget: '%s' (%04x:%04x, %s) %s\n%s", sc->name, sc->device.vid,
           sc->device.pid, what, w->where, w->how);
    fflush(stdout);
}

/* Serves sc on b with the shared parts set up around it. */
static int serve_on(const struct gadget_backend *b, const struct gadget_opts *o,
                    const struct scn_scenario *sc, struct usbdev *dev)
{
    char err[GADGET_ERR_MAX] = "", cerr[CAP_ERR_MAX];
    struct gadget_link l = {.dev = dev, .stop = {&got_signal, o->stop}};
    if (o->pcap_path && !(l.cap = cap_open(o->pcap_path, cerr))) {
        fprintf(stderr, "usbsim gadget: cannot write the capture %s\n", cerr);
        return XC_USAGE;
    }
    struct sigaction old_act[2];
    sigset_t old, wait;
    got_signal = 0;
    catch_signals(old_act, &old, &wait);
    l.wait_mask = &wait;
    struct gadget_where w = {0};
    void *state = NULL;
    int rc = b->open(o, sc, &l, &state, &w, err, sizeof err);
    if (rc == XC_OK) {
        banner(o, sc, &w);
        rc = b->serve(state, err, sizeof err);
    }
    if (rc != XC_OK)
        fprintf(stderr, "usbsim gadget: %s\n", err);
    b->close(state);
    restore_signals(old_act, &old);
    if (l.cap && cap_close(l.cap, cerr) != 0) {
        fprintf(stderr, "usbsim gadget: %s\n", cerr);
        rc = rc == XC_OK ? XC_ENV : rc;
    }
    if (rc == XC_OK && o->log_path && usbdev_save_log(dev, o->log_path) != 0) {
        fprintf(stderr, "usbsim gadget: cannot write the device log %s: %s\n", o->log_path,
                strerror(errno));
        rc = XC_ENV;
    }
    if (rc == XC_OK && o->log_path && usbdev_save_out_log(dev, o->log_path) != 0) {
        char out[4096];
        usbdev_out_log_path(o->log_path, out, sizeof out);
        fprintf(stderr, "usbsim gadget: cannot write the OUT log %s: %s\n", out, strerror(errno));
        rc = XC_ENV;
    }
    return rc;
}

const struct gadget_backend *gadget_backend_find(const char *name)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

int gadget_run(const struct gadget_opts *o)
{
    const char *name = o->backend ? o->backend : "usbip";
    const struct gadget_backend *b = gadget_backend_find(name);
    if (!b) {
        fprintf(stderr, "usbsim gadget: unknown backend '%s'; expected usbip or ffs\n", name);
        return XC_USAGE;
    }
    const char *refused = refused_option(b, o);
    if (refused) {
        fprintf(stderr, "usbsim gadget: the %s backend does not take %s\n", b->name, refused);
        return XC_USAGE;
    }
    struct scn_scenario loaded;
    const struct scn_scenario *sc = o->sc;
    char err[GADGET_ERR_MAX > SCN_ERR_MAX ? GADGET_ERR_MAX : SCN_ERR_MAX];
    if (!sc) {
        if (!o->scenario_path || scn_load(o->scenario_path, &loaded, err) != 0) {
            fprintf(stderr, "%s\n", o->scenario_path ? err : "usbsim gadget: no scenario given");
            return XC_USAGE;
        }
        sc = &loaded;
    }
    if (b->check_env(o, err, sizeof err) != 0) {
        fprintf(stderr, "usbsim gadget: %s\n", err);
        return XC_ENV;
    }
    struct usbdev *dev = usbdev_new(sc, err);
    if (!dev) {
        fprintf(stderr, "usbsim gadget: %s\n", err);
        return XC_USAGE;
    }
    int rc = serve_on(b, o, sc, dev);
    usbdev_free(dev);
    return rc;
}

/* gadget — see gadget.h. */
#include "sim/gadget.h"
#include "sim/gadget_ffs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/usb_device.h"
#include "sim/usbip_server.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

/* Installs SIGINT/SIGTERM handlers (no SA_RESTART) and blocks both outside the wait, so a
 * signal can only land inside ppoll. *old receives the previous mask, *wait the wait mask. */
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

static void announce(const struct gadget_opts *o, const struct scn_scenario *sc, uint16_t port)
{
    if (o->ready_fd > 0) {
        char line[32];
        int n = snprintf(line, sizeof line, "port=%u\n", port);
        if (write(o->ready_fd, line, (size_t)n) != n)
            fprintf(stderr, "usbsim gadget: cannot report the port: %s\n", strerror(errno));
    }
    if (o->quiet)
        return;
    const char *l = o->listen ? o->listen : USRV_DEFAULT_LISTEN;
    const char *colon = strrchr(l, ':');
    int hl = colon ? (int)(colon - l) : (int)strlen(l);
    printf("usbsim gadget: '%s' (%04x:%04x, %u-byte packets) served over USB/IP on %.*s:%u, "
           "bus id %s\n", sc->name, sc->device.vid, sc->device.pid, sc->device.packet_size, hl, l,
           port, USRV_DEFAULT_BUSID);
    printf("  attach with: usbip --tcp-port %u attach -r %.*s -b %s\n", port, hl, l,
           USRV_DEFAULT_BUSID);
    printf("  the timeline starts at the first IN request after SET_CONFIGURATION\n");
    fflush(stdout);
}

static int save_log(const struct gadget_opts *o, const struct usbdev *dev)
{
    if (!o->log_path)
        return GADGET_OK;
    if (usbdev_save_log(dev, o->log_path) != 0) {
        fprintf(stderr, "usbsim gadget: cannot write the device log %s: %s\n", o->log_path,
                strerror(errno));
        return GADGET_ENV;
    }
    return GADGET_OK;
}

static int run_usbip(const struct gadget_opts *o, const struct scn_scenario *sc)
{
    char err[SCN_ERR_MAX > USRV_ERR_MAX ? SCN_ERR_MAX : USRV_ERR_MAX];
    struct usbdev *dev = usbdev_new(sc, err);
    if (!dev) {
        fprintf(stderr, "usbsim gadget: %s\n", err);
        return GADGET_USAGE;
    }
    struct sigaction old_act[2];
    sigset_t old, wait;
    got_signal = 0;
    catch_signals(old_act, &old, &wait);
    struct usrv_opts so = {.listen = o->listen, .quiet = o->quiet, .stop = {&got_signal, o->stop},
                           .wait_mask = &wait, .grace_ns = o->grace_ns,
                           .pcap_path = o->pcap_path};
    int env = 0, rc = GADGET_OK;
    struct usrv *srv = usrv_new(dev, &so, 1, &env, err);
    if (!srv) {
        fprintf(stderr, "usbsim gadget: %s\n", err);
        rc = env ? GADGET_ENV : GADGET_USAGE;
    } else {
        announce(o, sc, usrv_port(srv));
        if (usrv_run(srv) != 0)
            rc = GADGET_ENV;
        if (usrv_close_capture(srv, err) != 0) {
            fprintf(stderr, "usbsim gadget: %s\n", err);
            rc = GADGET_ENV;
        }
        usrv_free(srv);
        if (rc == GADGET_OK)
            rc = save_log(o, dev);
    }
    restore_signals(old_act, &old);
    usbdev_free(dev);
    return rc;
}

static int run_ffs(const struct gadget_opts *o, const struct scn_scenario *sc)
{
    struct ffs_opts fo = {.udc = o->udc, .log_path = o->log_path, .quiet = o->quiet,
                          .stop = o->stop, .grace_ns = o->grace_ns};
    return ffs_run(sc, &fo, NULL);
}

static const struct gadget_backend backends[] = {
    {"usbip", run_usbip},
    {"ffs", run_ffs},
};

const struct gadget_backend *gadget_backend_find(const char *name)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i].name, name) == 0)
            return &backends[i];
    return NULL;
}

int gadget_run(const struct gadget_opts *o)
{
    const char *name = o->backend ? o->backend : "usbip";
    const struct gadget_backend *b = gadget_backend_find(name);
    if (!b) {
        fprintf(stderr, "usbsim gadget: unknown backend '%s'; expected usbip or ffs\n", name);
        return GADGET_USAGE;
    }
    struct scn_scenario loaded;
    const struct scn_scenario *sc = o->sc;
    if (!sc) {
        char err[SCN_ERR_MAX];
        if (!o->scenario_path || scn_load(o->scenario_path, &loaded, err) != 0) {
            fprintf(stderr, "%s\n", o->scenario_path ? err : "usbsim gadget: no scenario given");
            return GADGET_USAGE;
        }
        sc = &loaded;
    }
    return b->run(o, sc);
}

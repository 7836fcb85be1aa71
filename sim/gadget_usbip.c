/* gadget_usbip — see gadget_usbip.h. */
#include "sim/gadget_usbip.h"

#include <stdio.h>
#include <string.h>

#include "sim/usbip_server.h"

static int usbip_check_env(const struct gadget_opts *o, char *why, size_t cap)
{
    (void)o;
    (void)why;
    (void)cap;
    return XC_OK;
}

static int usbip_open(const struct gadget_opts *o, const struct scn_scenario *sc,
                      const struct gadget_link *l, void **state, struct gadget_where *w,
                      char *err, size_t cap)
{
    (void)sc;
    char e[USRV_ERR_MAX];
    struct usrv_opts so = {.listen = o->listen, .quiet = o->quiet, .stop = {l->stop[0], l->stop[1]},
                           .wait_mask = l->wait_mask, .grace_ns = o->grace_ns, .cap = l->cap};
    int env = 0;
    struct usrv *srv = usrv_new(l->dev, &so, 1, &env, e);
    *state = srv;
    if (!srv) {
        snprintf(err, cap, "%s", e);
        return env ? XC_ENV : XC_USAGE;
    }
    const char *a = o->listen ? o->listen : USRV_DEFAULT_LISTEN;
    const char *colon = strrchr(a, ':');
    int hl = colon ? (int)(colon - a) : (int)strlen(a);
    w->port = usrv_port(srv);
    snprintf(w->where, sizeof w->where, "served over USB/IP on %.*s:%u, bus id %s", hl, a,
             w->port, USRV_DEFAULT_BUSID);
    snprintf(w->how, sizeof w->how,
             "  attach with: usbip --tcp-port %u attach -r %.*s -b %s\n"
             "  the timeline starts at the first IN request after SET_CONFIGURATION\n",
             w->port, hl, a, USRV_DEFAULT_BUSID);
    return XC_OK;
}

static int usbip_serve(void *state, char *err, size_t cap)
{
    if (usrv_run(state) == 0)
        return XC_OK;
    snprintf(err, cap, "the USB/IP server stopped on an error");
    return XC_ENV;
}

static void usbip_close(void *state) { usrv_free(state); }

const struct gadget_backend gadget_usbip_backend = {
    .name = "usbip",
    .options = GADGET_OPT_LISTEN | GADGET_OPT_PCAP | GADGET_OPT_READY_FD,
    .check_env = usbip_check_env,
    .open = usbip_open,
    .serve = usbip_serve,
    .close = usbip_close,
};

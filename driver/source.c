/* source — see source.h. */
#include "driver/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/src_libusb.h"
#include "driver/src_usbip.h"

struct src {
    const struct src_ops *ops;
    void *impl;
};

static const struct src_ops *const kinds[] = {&srcu_ops, &srcl_ops};

struct src *src_open(const char *kind, const struct src_config *cfg, char err[SRC_ERR_MAX])
{
    const struct src_ops *ops = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kind && strcmp(kinds[i]->name, kind) == 0)
            ops = kinds[i];
    if (!ops) {
        snprintf(err, SRC_ERR_MAX, "unknown source '%s'; expected usbip or libusb",
                 kind ? kind : "(none)");
        return NULL;
    }
    struct src *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, SRC_ERR_MAX, "out of memory");
        return NULL;
    }
    s->ops = ops;
    s->impl = ops->open(cfg, err);
    if (!s->impl) {
        free(s);
        return NULL;
    }
    return s;
}

int src_run(struct src *s, const struct src_sink *sink, int64_t timeout_ns)
{
    return s->ops->run(s->impl, sink, timeout_ns);
}

const struct src_stats *src_stats(const struct src *s) { return s->ops->stats(s->impl); }
const char *src_name(const struct src *s) { return s->ops->name; }

void src_close(struct src *s)
{
    if (!s)
        return;
    s->ops->close(s->impl);
    free(s);
}

const char *src_event_name(enum src_event ev)
{
    static const char *const names[] = {
        [SRC_EV_CONNECTED] = "connected",       [SRC_EV_HALTED] = "halted",
        [SRC_EV_HALT_CLEARED] = "halt-cleared", [SRC_EV_DISCONNECTED] = "disconnected",
        [SRC_EV_RECONNECTED] = "reconnected",   [SRC_EV_ERROR] = "error",
        [SRC_EV_GONE] = "gone",
    };
    _Static_assert(sizeof names / sizeof names[0] == SRC_EV_GONE + 1, "one name per event");
    return (unsigned)ev < sizeof names / sizeof names[0] ? names[ev] : "?";
}

const char *src_describe(const char *kind, const struct src_config *cfg, char *buf, size_t len)
{
    if (kind && strcmp(kind, "libusb") == 0)
        snprintf(buf, len, "USB device %04x:%04x", cfg->libusb.vid, cfg->libusb.pid);
    else
        snprintf(buf, len, "the device at %s:%u bus %s",
                 cfg->usbip.host ? cfg->usbip.host : SRC_USBIP_HOST,
                 cfg->usbip.port ? cfg->usbip.port : SRC_USBIP_PORT,
                 cfg->usbip.busid ? cfg->usbip.busid : SRC_USBIP_BUSID);
    return buf;
}

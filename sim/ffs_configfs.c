/* ffs_configfs — see ffs_configfs.h. */
#include "sim/ffs_configfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/usb/ch9.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes val into dir/file (a configfs attribute). */
static int put(const char *dir, const char *file, const char *val)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(val);
    ssize_t w = write(fd, val, n);
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)n ? 0 : -1;
}

/* ASCII text of the model's string descriptor idx (UTF-16LE, Latin-1 range only). */
static void model_string(const struct usbdev *u, uint8_t idx, char *out, size_t cap)
{
    uint8_t d[256];
    int n = usbdev_descriptor(u, USB_DT_STRING, idx, d, sizeof d);
    size_t k = 0;
    if (idx == 0)
        n = 0; /* no string */
    for (int i = 2; i + 1 < n && k + 1 < cap; i += 2)
        out[k++] = d[i + 1] ? '?' : (char)d[i];
    out[k] = 0;
}

/* The gadget's directories under its configfs directory, in creation order; %s = the name. */
static const char *const gadget_dirs[] = {"strings/0x409", "configs/c.1",
                                          "configs/c.1/strings/0x409", "functions/ffs.%s"};
#define N_GADGET_DIRS (sizeof gadget_dirs / sizeof gadget_dirs[0])

static void gadget_path(const struct ffsc *g, const char *rel, char *out, size_t cap)
{
    char r[128];
    snprintf(r, sizeof r, rel, g->name);
    snprintf(out, cap, "%s/%s", g->dir, r);
}

/* Attribute rel/file = val under the gadget's directory. */
static int gput(const struct ffsc *g, const char *rel, const char *file, const char *val)
{
    char p[PATH_MAX];
    gadget_path(g, rel, p, sizeof p);
    return put(p, file, val);
}

int ffsc_create(struct ffsc *g, const char *name, const char *udc, const struct usbdev *u,
                const char *config_name, char *err, size_t cap)
{
    char ids[3][8], text[3][128], cls[3][8], misc[3][8], p[PATH_MAX], link[PATH_MAX];
    const struct scn_scenario *sc = usbdev_scenario(u);
    snprintf(g->name, sizeof g->name, "%s", name);
    g->udc = udc;
    snprintf(ids[0], sizeof ids[0], "0x%04x", usbdev_vid(u));
    snprintf(ids[1], sizeof ids[1], "0x%04x", usbdev_pid(u));
    snprintf(ids[2], sizeof ids[2], "0x%04x", usbdev_bcd_device(u));
    uint8_t dd[18] = {0};
    usbdev_descriptor(u, USB_DT_DEVICE, 0, dd, sizeof dd);
    for (int i = 0; i < 3; i++) /* the device descriptor's iManufacturer, iProduct, iSerial */
        model_string(u, dd[14 + i], text[i], sizeof text[i]);
    snprintf(cls[0], sizeof cls[0], "0x%02x", sc->device.dev_class);
    snprintf(cls[1], sizeof cls[1], "0x%02x", sc->device.dev_subclass);
    snprintf(cls[2], sizeof cls[2], "0x%02x", sc->device.dev_protocol);
    snprintf(misc[0], sizeof misc[0], "0x%04x", sc->device.bcd_usb);
    snprintf(misc[1], sizeof misc[1], "%u", sc->device.max_power_ma);
    snprintf(misc[2], sizeof misc[2], "0x%02x", sc->device.cfg_attributes);
    /* A string given as "" is not written: the gadget then has none (index 0). */
    const struct { const char *rel, *file, *val; } attrs[] = {
        {".", "idVendor", ids[0]}, {".", "idProduct", ids[1]}, {".", "bcdDevice", ids[2]},
        {".", "bcdUSB", misc[0]}, {".", "bDeviceClass", cls[0]},
        {".", "bDeviceSubClass", cls[1]}, {".", "bDeviceProtocol", cls[2]},
        {".", "max_speed", usbdev_full_speed(u) ? "full-speed" : NULL},
        {"strings/0x409", "manufacturer", text[0][0] ? text[0] : NULL},
        {"strings/0x409", "product", text[1][0] ? text[1] : NULL},
        {"strings/0x409", "serialnumber", text[2][0] ? text[2] : NULL},
        {"configs/c.1", "MaxPower", misc[1]},
        {"configs/c.1", "bmAttributes", sc->device.cfg_attributes != 0x80 ? misc[2] : NULL},
        {"configs/c.1/strings/0x409", "configuration", config_name},
    };
    snprintf(g->dir, sizeof g->dir, "%s/%s", FFSC_ROOT, g->name);
    if (mkdir(g->dir, 0755) != 0)
        goto fail;
    g->made = 1;
    for (size_t i = 0; i < N_GADGET_DIRS; i++) {
        gadget_path(g, gadget_dirs[i], p, sizeof p);
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            goto fail;
    }
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (attrs[i].val && gput(g, attrs[i].rel, attrs[i].file, attrs[i].val) != 0)
            goto fail;
    gadget_path(g, "functions/ffs.%s", p, sizeof p);
    gadget_path(g, "configs/c.1/ffs.%s", link, sizeof link);
    if (symlink(p, link) != 0)
        goto fail;
    g->linked = 1;
    return 0;
fail:
    snprintf(err, cap, "cannot build the gadget in %s: %s", g->dir, strerror(errno));
    return -1;
}

int ffsc_bind(struct ffsc *g, int on)
{
    if (g->bound == on)
        return 0;
    if (put(g->dir, "UDC", on ? g->udc : "\n") != 0) {
        fprintf(stderr, "usbsim gadget: cannot %s UDC %s: %s\n", on ? "bind" : "unbind", g->udc,
                strerror(errno));
        return -1;
    }
    g->bound = on;
    return 0;
}

void ffsc_remove(struct ffsc *g)
{
    if (g->bound)
        ffsc_bind(g, 0);
    if (!g->made)
        return;
    char p[PATH_MAX];
    if (g->linked) {
        gadget_path(g, "configs/c.1/ffs.%s", p, sizeof p);
        unlink(p);
    }
    for (size_t i = N_GADGET_DIRS; i-- > 0;) {
        gadget_path(g, gadget_dirs[i], p, sizeof p);
        rmdir(p);
    }
    if (rmdir(g->dir) != 0)
        fprintf(stderr, "usbsim gadget: cannot remove %s: %s\n", g->dir, strerror(errno));
    g->made = g->linked = 0;
}

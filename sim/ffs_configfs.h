/* ffs_configfs — a USB gadget with one FunctionFS function, built in configfs, and its UDC binding.
 *
 * Contract:
 *  - ffsc_create() makes FFSC_ROOT/NAME with the model's VID/PID/bcdDevice, its three strings,
 *    one configuration (named after the scenario) and the function ffs.NAME linked into it.
 *    The FunctionFS instance is then mountable as NAME (mount -t functionfs NAME DIR). 0, or -1
 *    with "cannot build the gadget in DIR: why" in err; what was made is recorded in *g.
 *  - ffsc_bind(g, 1) writes the UDC's name to the gadget's UDC attribute (the kernel refuses it
 *    until the function's descriptors are written), ffsc_bind(g, 0) unbinds. Idempotent. 0, or
 *    -1 with one line on stderr.
 *  - ffsc_remove() unbinds and removes whatever part of the gadget was made, in reverse order
 *    (the FunctionFS mount must be gone first). Safe on a zeroed or half-made *g.
 *  - Nothing blocks beyond configfs writes. A gadget left by a killed process is named as the
 *    caller named it (usbsim-PID) and can be removed by hand.
 * Prefix: ffsc_ / FFSC_.
 */
#ifndef USBSIM_SIM_FFS_CONFIGFS_H
#define USBSIM_SIM_FFS_CONFIGFS_H

#include <stddef.h>

#include "sim/usb_device.h"

#define FFSC_ROOT "/sys/kernel/config/usb_gadget"

struct ffsc {
    char name[32];  /* the configfs directory's and the FunctionFS instance's name */
    char dir[128];  /* FFSC_ROOT/name */
    const char *udc;
    int made, linked, bound;
};

int ffsc_create(struct ffsc *g, const char *name, const char *udc, const struct usbdev *u,
                const char *config_name, char *err, size_t cap);
int ffsc_bind(struct ffsc *g, int on);
void ffsc_remove(struct ffsc *g);

#endif

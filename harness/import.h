/* import — `usbsim import CAPTURE [--device BUS.ADDR] [-o FILE.yaml]`: a usbmon capture of a real
 * device (harness/usbmon_read.h) into a scenario that replays it, plus its recording
 * (sim/recording.h) beside it.
 *
 * What is taken from the capture, for one device (bus, address):
 *  - the enumeration: the device descriptor (GET_DESCRIPTOR 0x0100, 18 bytes), the whole
 *    configuration descriptor (0x0200, wTotalLength bytes; split into interfaces with their
 *    class-specific bytes and endpoints), the strings (0x03xx, language 0x0409 preferred,
 *    UTF-16LE into UTF-8);
 *  - the control table: every other control transfer with its setup and its answer (the IN
 *    data, "" for an OUT that succeeded, stall for -EPIPE); standard requests (addresses,
 *    configurations, interfaces, features, status, the three descriptors above) are not in it.
 *    When the last control transfer before the first IN data is a vendor OUT request, it is the
 *    `action: start` and the scenario starts on it (start: on_request);
 *  - every IN endpoint's completed transfers (status 0) with their bytes and completion times,
 *    into the recording; the stream endpoint is the IN endpoint with the most of them, its packet
 *    size the most common length, its period the median time between them.
 * Speed: high when an interrupt or bulk endpoint's max packet is above 64 bytes (or an
 * isochronous one's above 1023), else full (usbmon does not record the bus speed).
 *
 * Contract:
 *  - imp_devices() lists the devices that moved data (address 0 and hubs left out), in the order
 *    of their first transfer; imp_describe() builds one device's description (0, or -1 with one
 *    line in err: a transfer it needs was captured only in part); imp_write_yaml() writes the
 *    scenario text. imp_desc_free() frees a description.
 *  - The command: exit 0 and both files written; 2 (XC_USAGE) with one line
 *    "usbsim import: CAPTURE: why" for a capture that cannot be read, is truncated, is of another
 *    link type, holds a transfer in fragments, or holds no device; with several devices and no
 *    --device, the list (one line each: BUS.ADDR, VID:PID, product, packets) on stderr and 2;
 *    without the enumeration the files are written with the descriptors to fill in, and 2.
 *    Nothing here crashes, hangs or allocates beyond the capture's size on hostile input.
 * Prefix: imp_.
 */
#ifndef USBSIM_HARNESS_IMPORT_H
#define USBSIM_HARNESS_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/cli.h"
#include "harness/usbmon_read.h"
#include "sim/recording.h"

#define IMP_ERR_MAX 400
#define IMP_MAX_DEVICES 256
#define IMP_MAX_CTRL 256

struct imp_dev {
    uint16_t bus;
    uint8_t dev;
    int has_ids;
    uint16_t vid, pid;
    char product[128];
    size_t packets; /* completed IN transfers with data, control excluded */
    int hub;
};

struct imp_ctrl {
    uint8_t setup[8];
    int stall;
    int start; /* the request that started the stream */
    int in;
    uint8_t *reply;
    uint32_t reply_len;
};

struct imp_desc {
    uint16_t bus;
    uint8_t dev;
    int has_device;         /* the 18-byte device descriptor was captured */
    uint8_t device[18];
    uint8_t *config;        /* the whole configuration descriptor, or NULL */
    size_t config_len;
    char *strings[256];     /* UTF-8, by index; NULL: not captured */
    struct imp_ctrl ctrl[IMP_MAX_CTRL];
    size_t nctrl;
    size_t ctrl_dropped;    /* beyond IMP_MAX_CTRL */
    struct rec_file rec;
    uint8_t stream_ep;      /* 0: no IN data at all */
    uint8_t stream_type;    /* enum umr_type of the stream endpoint */
    uint32_t packet_size;
    int64_t period_us;
    int64_t duration_ms;
    int start_on_request;
    uint32_t ep_max[16];    /* the largest transfer seen per IN endpoint number (no descriptors) */
    uint8_t ep_type[16];    /* its usbmon transfer type */
};

/* Returns how many devices were written to out (at most max). */
size_t imp_devices(const struct umr_capture *c, struct imp_dev *out, size_t max);
int imp_describe(const struct umr_capture *c, uint16_t bus, uint8_t dev, struct imp_desc *d,
                 char err[IMP_ERR_MAX]);
/* Whether the description has the enumeration (device and whole configuration descriptors). */
int imp_enumerated(const struct imp_desc *d);
/* name: the scenario's; rec_file: the recording's file name as the scenario refers to it;
 * source: a line for the header comment (the capture's name). 0, or -1 on a write error. */
int imp_write_yaml(const struct imp_desc *d, const char *name, const char *rec_file,
                   const char *source, FILE *f);
void imp_desc_free(struct imp_desc *d);

extern const struct cli_cmd imp_cmd;

#endif

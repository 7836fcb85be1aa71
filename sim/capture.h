/* capture — what crossed the USB link, written as a pcap file that Wireshark and tshark open.
 *
 * Format: libpcap savefile, link type DLT_USB_LINUX_MMAPPED (220), snap length 65535. Each
 * record is one Linux usbmon event: the 64-byte header (host byte order, as the kernel's binary
 * usbmon interface writes it) followed by len_cap bytes of data:
 *
 *    0 u64 id          URB id; the submit ('S') and its completion ('C') share it
 *    8 u8  type        'S' submit | 'C' completion
 *    9 u8  xfer_type   0 isochronous, 1 interrupt, 2 control, 3 bulk
 *   10 u8  epnum       endpoint number, 0x80 set for IN
 *   11 u8  devnum      12 u16 busnum
 *   14 u8  flag_setup  0 when the setup bytes are valid (control submit), else '-'
 *   15 u8  flag_data   0 when data follows, '<' IN submit (no data yet), '>' OUT completion
 *   16 s64 ts_sec      24 s32 ts_usec  (CLOCK_REALTIME; converted from the caller's monotonic ns)
 *   28 s32 status      -EINPROGRESS on submit; the completion's status (0, -EPIPE, ...)
 *   32 u32 length      submit: bytes requested; completion: bytes transferred
 *   36 u32 len_cap     bytes of data in this record
 *   40 u8  setup[8]    48 s32 interval  52 s32 start_frame  56 u32 xfer_flags  60 u32 ndesc
 *
 * Contract: cap_open() creates (truncates) the file; cap_urb() appends one record (data beyond
 * the snap length is cut, length keeps the real size); cap_close() flushes and closes and
 * reports any write error seen since the open. cap_decode() is the inverse of one record, for
 * readers and tests; it never reads past len. Never crashes on a NULL capture (no-op).
 * Prefix: cap_.
 */
#ifndef USBSIM_SIM_CAPTURE_H
#define USBSIM_SIM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define CAP_ERR_MAX 256
#define CAP_HDR_SIZE 64
#define CAP_SNAPLEN 65535
#define CAP_LINKTYPE 220 /* DLT_USB_LINUX_MMAPPED */

enum cap_xfer { CAP_ISO = 0, CAP_INTR = 1, CAP_CTRL = 2, CAP_BULK = 3 };
#define CAP_EINPROGRESS (-115)
#define CAP_URB_DIR_IN 0x200u /* xfer_flags: the kernel's URB_DIR_IN */

struct cap_urb {
    uint64_t id;
    char type;      /* 'S' | 'C' */
    uint8_t xfer;   /* enum cap_xfer */
    uint8_t ep;     /* with 0x80 for IN */
    uint8_t devnum;
    uint16_t busnum;
    int has_setup;
    uint8_t setup[8];
    int64_t ts_ns;  /* cap_urb(): CLOCK_MONOTONIC; cap_decode(): the record's realtime ns */
    int32_t status;
    uint32_t length;
    const uint8_t *data; /* data_len bytes, or NULL */
    uint32_t data_len;
    int32_t interval;
    uint32_t xfer_flags;
};

struct cap;

struct cap *cap_open(const char *path, char err[CAP_ERR_MAX]);
/* Always 0: write errors surface in cap_close(). */
int cap_urb(struct cap *c, const struct cap_urb *u);
/* Records written so far. */
uint64_t cap_count(const struct cap *c);
/* Flushes and closes; 0, or -1 with "PATH: why" in err. Frees c in either case. */
int cap_close(struct cap *c, char err[CAP_ERR_MAX]);
/* One record's bytes (header + data) into *u (u->data points into buf). 0, or -1 when it is
 * shorter than the header or than its own len_cap says. */
int cap_decode(const uint8_t *buf, size_t len, struct cap_urb *u);

#endif

/* usbmon_read — a usbmon capture file (pcap or pcapng, read with libpcap) into USB transfers:
 * each URB's submit and completion paired by URB id, with their setup, status, data and times.
 *
 * A record is one usbmon event: the binary header Linux's usbmon writes (Documentation/usb/
 * usbmon.rst), in the byte order of the capturing host (little-endian, as on x86; libpcap swaps
 * a file written on a host of the other order), then its data:
 *    0 u64 URB id   8 type 'S' submit | 'C' completion | 'E' submit error   9 transfer type
 *    (0 iso, 1 interrupt, 2 control, 3 bulk)   10 endpoint (0x80: IN)   11 device address
 *    12 u16 bus   14 setup flag (0: setup valid)   15 data flag (0: data follows)
 *    16 s64 seconds   24 s32 microseconds   28 s32 status   32 u32 length   36 u32 captured
 *    length   40 setup[8]   -- the 64-byte header (link type 220) goes on: 48 s32 interval
 *    52 s32 start frame   56 u32 transfer flags   60 u32 number of isochronous descriptors
 *    (their 16-byte descriptors come before the data, and the captured length counts them)
 * The 48-byte header is link type 189 (USB_LINUX).
 *
 * Contract:
 *  - umr_feed() takes one record's captured bytes (caplen; wirelen is the record's length on
 *    the wire as pcap says, >= caplen) and updates the capture: a submit waits for its
 *    completion (at most UMR_MAX_PENDING waiting per capture: beyond, the oldest is forgotten);
 *    a completion (or 'E') ends its transfer, appended to c->x in the order completions come.
 *    A completion without a submit (the capture began while it was in flight) is kept without a
 *    setup. Every length is checked against the captured bytes; nothing past caplen is read.
 *    A record that is shorter than its header, says more data than it holds (and was not cut by
 *    the snap length), or has an unknown event type is an error: -1, one message in err naming
 *    the record ("record 12 is 20 bytes, shorter than the 64-byte usbmon header"). A transfer
 *    whose data was not all captured (captured length below its length, or the record cut by
 *    the snap length) is kept and marked `fragment` (its record and how much is there), for the
 *    caller to refuse if it needs it.
 *  - umr_read() opens PATH with libpcap (pcap or pcapng) and feeds every record; -1 and one
 *    message in err (no "PATH: " in front) when the file cannot be read, is not a capture, is of
 *    another link type, is truncated, or umr_feed fails. The messages:
 *      "link type 1 (EN10MB) is not a usbmon capture (expected USB_LINUX 189 or
 *       USB_LINUX_MMAPPED 220)"
 *      "truncated capture (the file ends inside record 12)"
 *      "not a pcap or pcapng capture (...)"
 *  - umr_free() frees everything; a zeroed struct umr_capture is an empty capture.
 * Pure apart from umr_read's file: tests and the fuzz target drive umr_feed with bytes.
 * Prefix: umr_.
 */
#ifndef USBSIM_HARNESS_USBMON_READ_H
#define USBSIM_HARNESS_USBMON_READ_H

#include <stddef.h>
#include <stdint.h>

#define UMR_ERR_MAX 300
#define UMR_HDR_MMAPPED 64 /* link type 220 */
#define UMR_HDR_LEGACY 48  /* link type 189 */
#define UMR_LINK_MMAPPED 220
#define UMR_LINK_LEGACY 189
#define UMR_MAX_PENDING 1024
#define UMR_EPIPE (-32)

enum umr_type { UMR_ISO = 0, UMR_INTR = 1, UMR_CTRL = 2, UMR_BULK = 3 };

/* One transfer: a URB from its submit to its completion. */
struct umr_xfer {
    uint16_t bus;
    uint8_t dev;
    uint8_t ep;         /* 0x80 set for IN; control: 0x80 for an IN request */
    uint8_t type;       /* enum umr_type */
    int has_submit;     /* 0: the capture began after its submit */
    int has_setup;
    uint8_t setup[8];
    int64_t t_submit_us, t_us; /* capture times (µs); t_us: the completion */
    int32_t status;     /* the completion's (0 ok, -32 stall, ...) */
    uint32_t length;    /* the completion's: bytes transferred */
    uint8_t *data;      /* IN: the completion's data; OUT: the submit's */
    uint32_t data_len;
    size_t record;      /* the completion's record number (1 = the first record) */
    int fragment;       /* not all its data was captured: */
    size_t frag_record; /*   in this record, */
    uint32_t frag_have, frag_want; /* this much of that much */
};

struct umr_pending;

struct umr_capture {
    int hdr_size;           /* UMR_HDR_MMAPPED or UMR_HDR_LEGACY */
    size_t records;         /* fed so far */
    struct umr_xfer *x;
    size_t n, cap;
    struct umr_pending *pend;
    size_t npend;
};

/* hdr_size must be set in c before the first record (umr_read sets it from the link type). */
int umr_feed(struct umr_capture *c, const uint8_t *rec, size_t caplen, size_t wirelen,
             char err[UMR_ERR_MAX]);
int umr_read(const char *path, struct umr_capture *c, char err[UMR_ERR_MAX]);
void umr_free(struct umr_capture *c);

#endif

/* usbip_proto — the USB/IP wire format (Linux Documentation/usb/usbip_protocol.rst), version 0x0111.
 *
 * Contract: pure functions on byte buffers, all fields big-endian on the wire.
 *  - Encoders write exactly the documented size into a buffer of at least that size (the size
 *    constants below) and return it; they never read beyond their arguments.
 *  - Decoders read at most the documented size from a buffer of `len` bytes and return:
 *    > 0 bytes consumed, 0 when more bytes are needed (nothing consumed), or -1 when the bytes can
 *    never be valid, with the reason in `why` (a short phrase, never NULL); a wrong version or
 *    command word is -1 as soon as its bytes are there, before the rest of the message. Every field with a
 *    documented range is checked: version, codes, commands, direction, endpoint, lengths
 *    (0..UIP_MAX_TRANSFER), iso packet counts (non-iso only: 0 or -1), counts, strings
 *    (NUL-terminated inside their field).
 *  - Nothing here does I/O, allocates or keeps state.
 * Prefix: uip_.
 */
#ifndef USBSIM_SIM_USBIP_PROTO_H
#define USBSIM_SIM_USBIP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define UIP_VERSION 0x0111
#define UIP_OP_REQ_DEVLIST 0x8005
#define UIP_OP_REP_DEVLIST 0x0005
#define UIP_OP_REQ_IMPORT 0x8003
#define UIP_OP_REP_IMPORT 0x0003

/* op_common status */
#define UIP_ST_OK 0
#define UIP_ST_NA 1
#define UIP_ST_DEV_BUSY 2
#define UIP_ST_DEV_ERR 3
#define UIP_ST_NODEV 4
#define UIP_ST_ERROR 5

#define UIP_CMD_SUBMIT 1
#define UIP_CMD_UNLINK 2
#define UIP_RET_SUBMIT 3
#define UIP_RET_UNLINK 4

#define UIP_DIR_OUT 0
#define UIP_DIR_IN 1

#define UIP_SPEED_FULL 2
#define UIP_SPEED_HIGH 3

#define UIP_OP_HDR_SIZE 8
#define UIP_BUSID_SIZE 32
#define UIP_PATH_SIZE 256
#define UIP_DEVICE_SIZE 312
#define UIP_IFACE_SIZE 4
#define UIP_REQ_IMPORT_SIZE (UIP_OP_HDR_SIZE + UIP_BUSID_SIZE)
#define UIP_REP_IMPORT_SIZE (UIP_OP_HDR_SIZE + UIP_DEVICE_SIZE)
#define UIP_HDR_SIZE 48
#define UIP_MAX_TRANSFER 65536 /* largest transfer_buffer_length / actual_length accepted */
#define UIP_MAX_IFACES 32
#define UIP_MAX_DEVICES 64     /* largest device count accepted in a devlist reply */

struct uip_op {
    uint16_t version, code;
    uint32_t status;
};

struct uip_iface {
    uint8_t cls, subclass, protocol;
};

struct uip_device {
    char path[UIP_PATH_SIZE];
    char busid[UIP_BUSID_SIZE];
    uint32_t busnum, devnum, speed;
    uint16_t vid, pid, bcd_device;
    uint8_t dev_class, dev_subclass, dev_protocol, config_value, num_configs, num_ifaces;
    struct uip_iface ifaces[UIP_MAX_IFACES]; /* devlist only */
};

/* One 48-byte URB header. Which union member is meaningful follows `command`. */
struct uip_hdr {
    uint32_t command, seqnum, devid, direction, ep;
    union {
        struct {
            uint32_t flags;
            int32_t length, start_frame, n_packets, interval;
            uint8_t setup[8];
        } submit;
        struct {
            int32_t status, actual_length, start_frame, n_packets, error_count;
        } ret_submit;
        struct {
            uint32_t seqnum;
        } unlink;
        struct {
            int32_t status;
        } ret_unlink;
    } u;
};

size_t uip_op_encode(uint8_t *b, const struct uip_op *op);
/* Checks the version and that the code is one of the four OP codes. */
int uip_op_decode(const uint8_t *b, size_t len, struct uip_op *op, const char **why);

size_t uip_req_import_encode(uint8_t *b, const char *busid);
/* The whole request (op header included); busid receives the NUL-terminated bus id. */
int uip_req_import_decode(const uint8_t *b, size_t len, char busid[UIP_BUSID_SIZE],
                          const char **why);

size_t uip_device_encode(uint8_t *b, const struct uip_device *d);
int uip_device_decode(const uint8_t *b, size_t len, struct uip_device *d, const char **why);

/* OP_REP_IMPORT: op header (status) + the device record when status is OK. */
size_t uip_rep_import_encode(uint8_t *b, uint32_t status, const struct uip_device *d);
int uip_rep_import_decode(const uint8_t *b, size_t len, uint32_t *status, struct uip_device *d,
                          const char **why);

/* OP_REP_DEVLIST: op header, count, then each device record and its interface triples. */
size_t uip_rep_devlist_size(const struct uip_device *devs, size_t n);
size_t uip_rep_devlist_encode(uint8_t *b, const struct uip_device *devs, size_t n);
/* Decodes up to max devices (more in the reply is an error). */
int uip_rep_devlist_decode(const uint8_t *b, size_t len, struct uip_device *devs, size_t max,
                           size_t *n, const char **why);

size_t uip_hdr_encode(uint8_t *b, const struct uip_hdr *h);
int uip_hdr_decode(const uint8_t *b, size_t len, struct uip_hdr *h, const char **why);

/* Bytes that follow a header on the wire: OUT data of a CMD_SUBMIT, IN data of a RET_SUBMIT
 * (the caller says whether the RET_SUBMIT answers an IN request). */
size_t uip_payload_len(const struct uip_hdr *h, int ret_is_in);

#endif

/* recording — the packets a real device sent on its IN endpoints, with their times, as a text
 * file a scenario replays (`replay: {file: NAME.rec}`). docs/recording-format.md is the format:
 *
 *    # usbsim recording 1
 *    0 0x81 0001020304...
 *    8000 0x81 05060708...
 *    8120 0x82 -
 *
 * The first line is the header with the format's version (REC_VERSION); then comment lines
 * ('#' first) and empty lines anywhere; one line per packet: its time in microseconds since the
 * first packet of the recording (decimal, never decreasing), its endpoint address (0x81..0x8f,
 * an IN endpoint, written 0x and two hexadecimal digits), and its bytes as hexadecimal pairs with
 * no separator ("-" for a zero-length packet). Fields are separated by one space.
 *
 * Contract:
 *  - rec_parse()/rec_load() accept exactly that and nothing else, within the limits below; any
 *    departure is one line in err, "FILE:LINE: what is wrong", and the recording is left empty.
 *    They start from an empty recording: r's old contents are not freed (rec_file_free first).
 *    They never read past the input, never crash, and allocate at most about the input's size.
 *  - rec_add() appends a packet (copies the bytes); -1 (nothing added) past the limits or when
 *    the time goes backwards, the endpoint is not IN, or out of memory.
 *  - rec_write() writes the format (header first) to f; rec_save() to a file (created or
 *    replaced), 0 or -1 with "PATH: why" in err.
 *  - rec_file_free() frees what the recording holds and leaves it empty (a zeroed struct rec_file
 *    is an empty recording).
 * harness/records.h (the run's logs) shares the prefix: the names here are distinct from its.
 * Prefix: rec_ (REC_).
 */
#ifndef USBSIM_SIM_RECORDING_H
#define USBSIM_SIM_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REC_VERSION 1
#define REC_HEADER "# usbsim recording"
#define REC_FILE_ERR_MAX 320
#define REC_MAX_PACKET 65536u          /* bytes in one packet (one completed transfer) */
#define REC_MAX_PACKETS (1u << 22)     /* packets in one recording */
#define REC_MAX_FILE (512ull << 20)    /* bytes of a recording file */
#define REC_MAX_TIME_US (1000000ll * 86400 * 365) /* a year */

struct rec_packet {
    int64_t t_us;    /* since the first packet of the recording */
    uint8_t ep;      /* 0x81..0x8f */
    uint32_t len;
    size_t off;      /* its bytes: rec_file.bytes + off */
};

struct rec_file {
    struct rec_packet *p;
    size_t n, cap;
    uint8_t *bytes;
    size_t nbytes, bytes_cap;
};

int rec_parse(const char *name, const char *text, size_t len, struct rec_file *r,
              char err[REC_FILE_ERR_MAX]);
int rec_load(const char *path, struct rec_file *r, char err[REC_FILE_ERR_MAX]);
int rec_add(struct rec_file *r, int64_t t_us, uint8_t ep, const uint8_t *data, uint32_t len);
int rec_write(const struct rec_file *r, FILE *f);
int rec_save(const char *path, const struct rec_file *r, char err[REC_FILE_ERR_MAX]);
void rec_file_free(struct rec_file *r);

/* Packet i's bytes. */
static inline const uint8_t *rec_bytes(const struct rec_file *r, size_t i)
{
    return r->bytes + r->p[i].off;
}

#endif

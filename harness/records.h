/* records — what each process of an end-to-end run recorded, and strict readers for it.
 *
 * A run directory holds three CSV files, each one header line (exactly the REC_CSV_HEADER_*
 * text below) then one row per line, every line ending in '\n':
 *
 *   device.csv  seq,due_ns,produce_ns,fate,drop,flags
 *       one row per sample the device produced, in strictly increasing seq order;
 *       due_ns: CLOCK_MONOTONIC when it was due (the device's start t0 + its due time in the plan);
 *       produce_ns: CLOCK_MONOTONIC when the device built the packet (0 when dropped);
 *       fate: sent|held|dropped; drop: none|stall|fifo|disconnect|end (end: still in the device
 *       FIFO when the device stopped)
 *       (none exactly when fate is not dropped); flags: decimal PKT_F_* bits
 *       (1 burst, 2 corrupt, 4 after-gap).
 *   driver.csv  seq,ingress_ns,status
 *       one row per packet the driver took from the bus that it did NOT hand over normally, and
 *       optionally one per packet it did: status ok|crc|ring-drop (ring-drop: not put into the
 *       ring, or evicted from it, because of overflow); ingress_ns: CLOCK_MONOTONIC;
 *       seq -1 when the packet was too damaged for its seq to be trusted (counted by status only).
 *   app.csv     seq,recv_ns,produce_ns,ingress_ns,batch
 *       one row per packet the application took from the ring, in the order it took them;
 *       recv_ns: CLOCK_MONOTONIC when taken; produce_ns / ingress_ns: as carried with the packet;
 *       batch: the number of the batch it came in.
 *
 * The header lines, column order, words and counter names are sim/logfmt.h's: the writers
 * (sim/, driver/, harness/app.c) and this reader use the same definitions.
 *
 * Contract:
 *  - Files are read through struct rec_reader (below; trace.c reads traces with it too): only a
 *    regular file is opened (a FIFO, a device or a directory is refused at once: nothing blocks,
 *    nothing grows), a file over its byte bound is refused, and a line over its length bound is
 *    an error, never a bigger buffer. Records: lines of at most REC_MAX_LINE bytes, files of at
 *    most REC_MAX_FILE_BYTES bytes and REC_MAX_ROWS rows.
 *  - rec_load_*() read one file completely or fail with exactly one line in err:
 *    "FILE:LINE: what is wrong" (or "FILE: ..." for open/read errors). Numbers are plain decimal
 *    integers in range, no spaces, no empty lines; a last line without '\n' is an error (a
 *    truncated file). Never crashes on any input; arrays grow geometrically (10^6 rows is fine).
 *  - The loaders append to the arrays of *run; rec_free() releases the rows and leaves none
 *    (counters, start_ns and backend are left as they are).
 *  - Counters: rec_load_counters() reads one counters file (sim/logfmt.h: a line of names, a
 *    line of values). An absent file, or a counter the file does not name, leaves the counter
 *    as it is (REC_MISSING after rec_init: not measured). A file that is there but malformed
 *    (unknown or duplicate name, a value that is not a plain decimal integer, a value missing
 *    or extra, a truncated or longer file, a line over REC_MAX_LINE bytes, a file that is not
 *    a regular file) is an error: -1 and "FILE:LINE: what is wrong" (or "FILE: ..."), and
 *    no counter is changed.
 * Prefix: rec_.
 */
#ifndef USBSIM_HARNESS_RECORDS_H
#define USBSIM_HARNESS_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/logfmt.h"
#include "sim/scenario.h"

#define REC_DEVICE_CSV "device.csv"
#define REC_DRIVER_CSV "driver.csv"
#define REC_APP_CSV "app.csv"
/* Also in a run directory, not read here: the OUT transfers the device received,
 * t_ns,endpoint,len,bytes_hex (sim/usb_device.h's OUT log, written beside device.csv). */
#define REC_DEVICE_OUT_CSV "device-out.csv"
#define REC_CSV_HEADER_DEVICE LF_DEVICE_HEADER
#define REC_CSV_HEADER_DRIVER LF_DRIVER_HEADER
#define REC_CSV_HEADER_APP LF_APP_HEADER
#define REC_ERR_MAX 512
#define REC_MISSING UINT64_MAX
#define REC_MAX_LINE 1024                    /* bytes in one line, its '\n' included */
#define REC_MAX_FILE_BYTES (4ULL << 30)      /* bytes in one file */
#define REC_MAX_ROWS (2ULL * SCN_MAX_SAMPLES) /* rows in one file */

/* Same values as enum sched_fate / enum sched_drop (sim/schedule.h). */
enum rec_fate { REC_SENT, REC_HELD, REC_DROPPED };
/* REC_DROP_END: still in the device FIFO when the device stopped (the host never read it). */
enum rec_drop { REC_DROP_NONE, REC_DROP_STALL, REC_DROP_FIFO, REC_DROP_DISCONNECT, REC_DROP_END };
enum rec_status { REC_ST_OK, REC_ST_CRC, REC_ST_RING_DROP };

struct rec_device_row {
    uint32_t seq;
    uint8_t fate;   /* enum rec_fate */
    uint8_t drop;   /* enum rec_drop */
    uint16_t flags; /* PKT_F_* */
    int64_t due_ns, produce_ns;
};

struct rec_driver_row {
    int64_t seq; /* -1: unknown */
    int64_t ingress_ns;
    uint8_t status; /* enum rec_status */
};

struct rec_app_row {
    uint32_t seq;
    uint64_t batch;
    int64_t recv_ns, produce_ns, ingress_ns;
};

struct rec_counters {
    uint64_t doorbells;       /* doorbell rings by the driver */
    uint64_t wakeups;         /* times the application woke up on the doorbell */
    uint64_t ring_high_water; /* most packets ever in the ring at once */
    uint64_t ring_drops;      /* the driver's own count of ring-drop packets */
    uint64_t crc_rejects;     /* the driver's own count of crc packets */
    uint64_t missed_wakeups;  /* the application's lost wake-ups (client.h usbsim_client_missed_wakeups) */
    uint64_t unknown;         /* raw stream: packets the application took but could not identify
                                 (content the device never planned: corrupted) */
};

struct rec_run {
    size_t n_device, n_driver, n_app;
    struct rec_device_row *device;
    struct rec_driver_row *driver;
    struct rec_app_row *app;
    struct rec_counters counters;
    int64_t start_ns;    /* device t0, CLOCK_MONOTONIC */
    const char *backend; /* not owned */
    int exec_run;        /* a user's program on a real USB stack (`run --exec`): driver rows are
                            what the host stack completed (usbmon), ok or crc; left 0 by loaders */
    int raw;             /* a raw stream (framing raw: no usbsim header): the application
                            identified each packet by place and content (sim/rawmatch.h), its
                            rows carry no produce time (0), driver rows no seq (-1), and the
                            packets it could not identify are counters.unknown; left 0 by
                            loaders */
};

/* A bounded line reader over one regular file. */
struct rec_reader {
    FILE *f;
    char *line;         /* the current line (max_line + 1 bytes), NUL after its last byte */
    size_t max_line;    /* bytes in a line, its '\n' included */
    uint64_t max_bytes; /* bytes in the file */
    uint64_t bytes;     /* read so far */
    char why[96];       /* what rec_reader_next found wrong */
};
/* Opens path for reading: 0, or -1 with "PATH: what is wrong" in err (errno kept from open(2)
 * when it failed: ENOENT for an absent file). */
int rec_reader_open(struct rec_reader *r, const char *path, size_t max_line, uint64_t max_bytes,
                    char err[REC_ERR_MAX]);
/* The next line into r->line, its '\n' kept (the last line may have none): its length in
 * bytes (NUL bytes count), 0 at the end of the file, or -1 with r->why set (a line over
 * max_line, the file over max_bytes, a read error). */
long rec_reader_next(struct rec_reader *r);
void rec_reader_close(struct rec_reader *r);

/* Empty run: no rows, every counter REC_MISSING, start 0, backend NULL. */
void rec_init(struct rec_run *run);
void rec_counters_init(struct rec_counters *c);
/* Append one file's rows to *run. 0, or -1 with err set (rows already appended stay). */
int rec_load_device(const char *path, struct rec_run *run, char err[REC_ERR_MAX]);
int rec_load_driver(const char *path, struct rec_run *run, char err[REC_ERR_MAX]);
int rec_load_app(const char *path, struct rec_run *run, char err[REC_ERR_MAX]);
/* rec_init(run), then load DIR/device.csv, DIR/driver.csv, DIR/app.csv. On error *run is
 * left empty (freed). The caller then sets start_ns, backend and counters. */
int rec_load_counters(const char *path, struct rec_counters *c, char err[REC_ERR_MAX]);
int rec_load_dir(const char *dir, struct rec_run *run, char err[REC_ERR_MAX]);
void rec_free(struct rec_run *run);
/* Every application row without a produce time (0: a raw stream's packets carry none) takes the
 * device log's produce time of its seq (left 0 when the device log has no such seq). */
void rec_fill_produce(struct rec_run *run);

const char *rec_fate_name(enum rec_fate f);
const char *rec_drop_name(enum rec_drop d);
const char *rec_status_name(enum rec_status s);

#endif

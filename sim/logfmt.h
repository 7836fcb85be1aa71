/* logfmt — the record formats of a run, in one place for the processes that write them
 * (sim/ the device log, driver/ the driver log and counters, harness/app.c the application
 * log and counters) and the one that reads them (harness/records.c), so they cannot drift.
 * sim/ is the bottom layer: driver/ and harness/ include this header.
 *
 * Every log is CSV: the header line (LF_*_HEADER, exactly), then one row per line in the
 * column order of the header, written with LF_*_ROW, every line ending in '\n'. What the
 * columns mean is stated in harness/records.h.
 *
 * A counters file is two lines: the names of the counters (comma separated, each once, from
 * lf_counter_names), then their values as plain decimal integers in the same order. A counter
 * that is not in the file was not measured; a file that is there but malformed is an error.
 *
 * Contract: constants and name tables only; nothing blocks, nothing allocates. lf_name() gives
 * names[v] or "?" for a value without a name.
 * Prefix: lf_ / LF_.
 */
#ifndef USBSIM_SIM_LOGFMT_H
#define USBSIM_SIM_LOGFMT_H

#include <inttypes.h>
#include <stddef.h>

/* The device log: one row per sample the device produced (sim/usb_device.c writes it). */
#define LF_DEVICE_HEADER "seq,due_ns,produce_ns,fate,drop,flags"
#define LF_DEVICE_COLS 6
/* seq (size_t), due_ns, produce_ns (long long), fate, drop (lf_fate_names, lf_drop_names),
 * flags (unsigned: PKT_F_* bits) */
#define LF_DEVICE_ROW "%zu,%lld,%lld,%s,%s,%u\n"
/* The OUT transfers the device received (usb_device.h): written next to the device log, its name
 * the log's with "-out" before ".csv" (device.csv -> device-out.csv). */
#define LF_DEVICE_OUT_HEADER "t_ns,endpoint,len,bytes_hex"
#define LF_DEVICE_OUT_SUFFIX "-out.csv"

/* The driver log (driver/drv.c writes it). */
#define LF_DRIVER_HEADER "seq,ingress_ns,status"
#define LF_DRIVER_COLS 3
/* seq (int64_t, -1: unknown), ingress_ns (uint64_t), status (lf_status_names) */
#define LF_DRIVER_ROW "%" PRId64 ",%" PRIu64 ",%s\n"

/* The application log (harness/app.c writes it; so does libusbsim-ring for a user's application,
 * driver/record.h), and the file names both use in a run's directory. */
#define LF_APP_FILE "app.csv"
#define LF_APP_COUNTERS_FILE "app-counters.csv"
#define LF_APP_HEADER "seq,recv_ns,produce_ns,ingress_ns,batch"
#define LF_APP_COLS 5
/* seq (uint32_t), recv_ns, produce_ns, ingress_ns (int64_t), batch (uint64_t) */
#define LF_APP_ROW "%" PRIu32 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRIu64 "\n"

/* The counters, by the names the files use. */
enum lf_counter {
    LF_C_DOORBELLS,
    LF_C_WAKEUPS,
    LF_C_RING_HIGH_WATER,
    LF_C_RING_DROPS,
    LF_C_CRC_REJECTS,
    LF_C_MISSED_WAKEUPS,
    LF_C_UNKNOWN,
    LF_C_COUNT
};
/* The driver's counters file: the header, then the values in its order. */
#define LF_DRIVER_COUNTERS_HEADER "doorbells,wakeups,ring_high_water,ring_drops,crc_rejects"
#define LF_DRIVER_COUNTERS_ROW \
    "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n"
/* The application's counters file. */
#define LF_APP_COUNTERS_HEADER "missed_wakeups"
#define LF_APP_COUNTERS_ROW "%" PRIu64 "\n"
/* ... of an application that identifies the packets of a raw stream by content (harness/app.c):
 * also the packets it could not identify (content the device never planned: corrupted). */
#define LF_APP_COUNTERS_RAW_HEADER "missed_wakeups,unknown"
#define LF_APP_COUNTERS_RAW_ROW "%" PRIu64 ",%" PRIu64 "\n"

/* Column words: a row's fate, the cause of a drop, the driver's status of a packet. */
enum lf_fate { LF_FATE_SENT, LF_FATE_HELD, LF_FATE_DROPPED, LF_FATE_COUNT };
enum lf_drop { LF_DROP_NONE, LF_DROP_STALL, LF_DROP_FIFO, LF_DROP_DISCONNECT, LF_DROP_END,
               LF_DROP_COUNT };
enum lf_status { LF_ST_OK, LF_ST_CRC, LF_ST_RING_DROP, LF_ST_COUNT };

extern const char *const lf_fate_names[];
extern const char *const lf_drop_names[];
extern const char *const lf_status_names[];
extern const char *const lf_counter_names[];

const char *lf_name(const char *const *names, size_t n, unsigned v);

#endif

/* scenario — the YAML scenario language, loaded into a validated struct.
 *
 * Contract:
 *  - scn_load() parses one file with libyaml and either fills *out completely (every default
 *    filled in, every value range-checked, events sorted and non-overlapping, the plan within
 *    SCN_MAX_SAMPLES: whatever it accepts, sched_build builds, except what only a replayed
 *    recording can tell: sched_build checks that) and returns 0, or
 *    returns -1 and writes exactly one line to err: "FILE:LINE:COL: what is wrong; what is allowed".
 *    It never crashes, never reads past its input, and never accepts a file over SCN_MAX_FILE_BYTES.
 *    A UTF-8 byte order mark at the start of the file is skipped.
 *  - scn_parse() does the same on a buffer (name is used in messages only).
 *  - All times are stored in nanoseconds (int64), converted from the _ms/_us key the file used.
 *    scn_time_scale() divides every time by X (X > 0) for faster runs; the result stays valid.
 *  - The struct owns no heap memory: copy it, free nothing. The hex strings of the device keys
 *    (extra, reply) live in its byte pool device.bytes (SCN_BYTES_POOL bytes in all, at most
 *    SCN_MAX_BYTES each): struct scn_bytes points into it, scn_bytes_of() reads one.
 *  - The device's own descriptors (all optional; absent, a v1 file keeps its meaning): identity,
 *    interfaces with endpoints and class bytes, stream_endpoint (resolved by the loader: the
 *    first IN endpoint listed; device.endpoint is then that endpoint's type), the control table,
 *    start, replay (its file, relative to the scenario's directory, must exist: checked by
 *    scn_load only; the loader does not read it: sched_build plays it). Limits: SCN_MAX_IFACES
 *    interface entries, SCN_MAX_EPS endpoints each, SCN_MAX_CONTROL control entries.
 *  - An endpoint entry may say what it does beyond its descriptor: `stream:` (an IN endpoint other
 *    than the stream endpoint: period_us, packet_size 1..max_packet for interrupt, generator and
 *    pattern as payload's; at most SCN_MAX_SAMPLES packets in the duration) or `on_data:` (an OUT
 *    endpoint: exactly one of reply, with endpoint = a listed IN endpoint other than the stream
 *    endpoint and the reply within its max_packet (interrupt) or 1024 bytes, or action). The
 *    loader refuses anything else with one line; usb_device.h says what the device does.
 *  - framing (usbsim | raw) and payload: with raw the stream's bytes are a generator's
 *    (payload.generator counter | random | pattern) or, with replay, the recording's. replay
 *    needs raw: with replay and no framing key the loader sets framing raw; replay with framing
 *    usbsim written is refused. payload needs raw and no replay; pattern goes with generator
 *    pattern only (and is required by it). packet_size: 32..1024 with usbsim (its header and
 *    CRC), 1..1024 with raw. For replay the loader does not count the plan's samples (they come
 *    from the recording): sched_build refuses a plan over SCN_MAX_SAMPLES.
 *  - scn_write_yaml() (scn_write.h, included here) prints a scenario (with every default) as a
 *    loadable file.
 * Prefix: scn_.
 */
#ifndef USBSIM_SIM_SCENARIO_H
#define USBSIM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SCN_MAX_FILE_BYTES (1024 * 1024)
#define SCN_MAX_NAME 64
#define SCN_MAX_EVENTS 64
#define SCN_ERR_MAX 512
/* The most samples a plan may hold (regular samples plus burst packets): the device, the
 * application and the verifier hold one row per sample. The loader refuses a scenario over it. */
#define SCN_MAX_SAMPLES 10000000u

enum scn_dist_kind { SCN_DIST_NONE, SCN_DIST_UNIFORM, SCN_DIST_NORMAL, SCN_DIST_PARETO,
                     SCN_DIST_COUNT };

/* A random time distribution: none | uniform(max) | normal(stddev) | pareto(scale, alpha).
 * Draws are non-negative delays in ns (see rng.h). */
struct scn_dist {
    enum scn_dist_kind kind;
    int64_t max_ns;    /* uniform: [0, max] */
    int64_t stddev_ns; /* normal: |N(0, stddev)|, clamped to 10 stddev */
    int64_t scale_ns;  /* pareto: scale * (U^(-1/alpha) - 1), clamped to 100 * scale */
    double alpha;      /* pareto shape, 0.5..10 */
};

enum scn_endpoint { SCN_EP_INTERRUPT, SCN_EP_BULK, SCN_EP_COUNT };
enum scn_stall_mode { SCN_STALL_HOLD, SCN_STALL_DROP, SCN_STALL_COUNT };

enum scn_dev_event_kind {
    SCN_EV_STALL,      /* device stops sending for dur_ns; mode hold or drop */
    SCN_EV_BURST,      /* count extra packets back to back at at_ns */
    SCN_EV_HALT,       /* endpoint halted (STALL handshake) for dur_ns */
    SCN_EV_DISCONNECT, /* device gone for dur_ns, then back */
    SCN_EV_CORRUPT,    /* the next count packets carry a bad CRC */
};
/* The number of kinds (a macro: switches over the kinds need no case for it). */
#define SCN_EV_COUNT (SCN_EV_CORRUPT + 1)

struct scn_dev_event {
    enum scn_dev_event_kind kind;
    int64_t at_ns;
    int64_t dur_ns;          /* stall, halt, disconnect */
    uint32_t count;          /* burst, corrupt */
    enum scn_stall_mode mode; /* stall */
    int line, col;           /* where it was written (0,0 when built in code) */
};

struct scn_con_event {
    int64_t at_ns;
    int64_t dur_ns; /* the application stops draining for this long */
    int line, col;
};

enum scn_overflow { SCN_OVF_BLOCK, SCN_OVF_DROP_NEWEST, SCN_OVF_DROP_OLDEST, SCN_OVF_COUNT };
enum scn_doorbell { SCN_DB_SUPPRESSED, SCN_DB_ALWAYS, SCN_DB_COUNT };
/* device.timing: how the device waits for a packet's due time (sim/deadline.h). */
enum scn_timing { SCN_TIMING_TIMER, SCN_TIMING_PRECISE, SCN_TIMING_COUNT };
enum scn_verdict { SCN_VERDICT_PASS, SCN_VERDICT_FAIL, SCN_VERDICT_COUNT };
enum scn_speed { SCN_SPEED_HIGH, SCN_SPEED_FULL, SCN_SPEED_COUNT };
/* device.start: the stream's t0 at the first IN request after SET_CONFIGURATION, or at the
 * control table's `action: start`. */
enum scn_start { SCN_START_IMMEDIATE, SCN_START_ON_REQUEST, SCN_START_COUNT };
enum scn_action { SCN_ACT_START, SCN_ACT_STOP, SCN_ACT_COUNT };
/* device.framing: usbsim (packet.h's header, payload and CRC) or raw (the bytes a generator or a
 * recording gives, nothing added). device.payload.generator, for raw without replay. */
enum scn_framing { SCN_FRAMING_USBSIM, SCN_FRAMING_RAW, SCN_FRAMING_COUNT };
enum scn_generator { SCN_GEN_COUNTER, SCN_GEN_RANDOM, SCN_GEN_PATTERN, SCN_GEN_COUNT };

/* The device's own descriptors (all optional, see docs/scenario-format.md). */
#define SCN_MAX_IFACES 8    /* interface entries (an alternate setting is an entry) */
#define SCN_MAX_EPS 8       /* endpoints per interface entry */
#define SCN_MAX_CONTROL 64  /* control table entries */
#define SCN_MAX_BYTES 4096  /* bytes in one hex string */
#define SCN_BYTES_POOL 32768 /* bytes in all the hex strings of one scenario together */
#define SCN_MAX_TEXT 126    /* characters of a string descriptor */
#define SCN_MAX_PATH 255
#define SCN_V1_STREAM_EP 0x81 /* the stream endpoint of the default interface */

/* A hex bytes string: len bytes at device.bytes[off]; set: the key was given. */
struct scn_bytes {
    uint32_t off;
    uint16_t len;
    bool set;
};

/* How framing raw's bytes are made (device.payload, and an endpoint's own stream). */
struct scn_payload {
    enum scn_generator generator; /* default counter */
    bool has_generator;
    struct scn_bytes pattern;     /* generator pattern: the bytes repeated */
};

/* An IN endpoint's own stream (not the stream endpoint): raw packets of packet_size bytes, one
 * every period_ns from the stream's t0 for the scenario's duration (usb_device.h). */
struct scn_ep_stream {
    int64_t period_ns;
    uint32_t packet_size;
    struct scn_payload payload; /* generator and pattern, as device.payload */
    bool set;                   /* the endpoint has `stream:` */
};

/* What an OUT endpoint does with each transfer it receives: queue reply on IN endpoint
 * `endpoint`, or do a control action (start | stop). Exactly one of reply, action. */
struct scn_on_data {
    struct scn_bytes reply;
    uint8_t endpoint;
    bool has_endpoint;
    enum scn_action action;
    bool has_action;
    bool set;                   /* the endpoint has `on_data:` */
};

struct scn_ep {
    uint8_t address;          /* bit 7: IN */
    enum scn_endpoint type;   /* interrupt | bulk */
    uint16_t max_packet;
    uint8_t interval;         /* bInterval as written; has_interval false: derived (see usb_device.h) */
    bool has_interval;
    struct scn_bytes extra;
    struct scn_ep_stream stream; /* an IN endpoint other than the stream endpoint */
    struct scn_on_data on_data;  /* an OUT endpoint */
    int line, col;
};

struct scn_iface {
    uint8_t number, alt, cls, subclass, protocol;
    char name[SCN_MAX_TEXT + 1]; /* iInterface; "" = none */
    uint8_t name_index;          /* its string index when has_name_index (see scn_strings) */
    bool has_name_index;
    struct scn_bytes extra;
    size_t n_eps;
    struct scn_ep eps[SCN_MAX_EPS];
    int line, col;
};

struct scn_ctl {
    uint8_t request_type, request;
    uint16_t value, index;
    bool has_value, has_index;
    struct scn_bytes reply; /* reply.set, stall, has_action: exactly one */
    uint8_t stall;          /* 1: stall: true */
    bool has_stall;
    enum scn_action action;
    bool has_action;
    int line, col;
};

struct scn_expect {
    bool has_delivered_min_ratio;
    double delivered_min_ratio;
    bool has_lost_max;
    uint64_t lost_max;
    bool order_strict; /* order: strict */
    bool has_rate_min, has_rate_max;
    double rate_min_hz, rate_max_hz;
    bool has_latency_p99_max, has_latency_max;
    int64_t latency_p99_max_ns, latency_max_ns;
    bool has_backlog_max;
    uint64_t backlog_max;
    bool has_drain_max;
    int64_t drain_max_ns;
    /* What this file is meant to produce (for the suite's self-check; docs/scenario-format.md):
     * verdict: pass|fail (default pass); failure: a text the failure reasons must contain. */
    enum scn_verdict verdict;
    char failure[128];
};

struct scn_scenario {
    char file[256]; /* path it was loaded from ("" when built in code) */
    char name[SCN_MAX_NAME + 1];
    uint64_t seed;
    int64_t duration_ns;
    struct {
        uint16_t vid, pid;
        uint32_t packet_size; /* framing usbsim: 32..1024; raw: 1..1024 */
        int64_t period_ns;
        enum scn_endpoint endpoint;
        uint32_t fifo_packets; /* 1..65536 */
        struct scn_dist jitter;
        size_t n_events;
        struct scn_dev_event events[SCN_MAX_EVENTS];
        enum scn_timing timing;
        /* v2: the device's identity and descriptors. Absent keys keep v1's device. */
        uint16_t bcd_device, bcd_usb;
        uint8_t dev_class, dev_subclass, dev_protocol, max_packet0;
        enum scn_speed speed;
        char manufacturer[SCN_MAX_TEXT + 1], product[SCN_MAX_TEXT + 1], serial[SCN_MAX_TEXT + 1];
        bool has_manufacturer, has_product, has_serial; /* absent: today's strings */
        /* Explicit string indexes (1..255; has_*: given), see scn_strings(). */
        uint8_t manufacturer_index, product_index, serial_index, config_name_index;
        bool has_manufacturer_index, has_product_index, has_serial_index, has_config_name_index;
        char config_name[SCN_MAX_TEXT + 1]; /* iConfiguration; "" = none */
        uint8_t cfg_attributes;
        uint16_t max_power_ma;
        size_t n_ifaces; /* 0: v1's single vendor interface with one IN endpoint 0x81 */
        struct scn_iface ifaces[SCN_MAX_IFACES];
        uint8_t stream_endpoint; /* the IN endpoint that plays the stream: scn_stream_ep() */
        bool has_stream_endpoint;
        size_t n_control;
        struct scn_ctl control[SCN_MAX_CONTROL];
        enum scn_start start;
        struct {
            char file[SCN_MAX_PATH + 1]; /* as written, relative to the scenario's directory */
            uint8_t loop;
            bool has_loop;
            int line, col;
        } replay; /* played with framing raw (schedule.h) */
        enum scn_framing framing; /* the loader makes it raw when absent and replay is given */
        bool has_framing;         /* written, or set raw by the loader for replay (code that
                                     sets framing sets it too: scn_check wants both) */
        struct scn_payload payload;
        uint32_t n_bytes; /* used bytes of the pool */
        uint8_t bytes[SCN_BYTES_POOL];
    } device;
    struct {
        uint32_t ring_slots; /* power of two, 8..1048576 */
        enum scn_overflow overflow;
        enum scn_doorbell doorbell;
    } transport;
    struct {
        uint32_t batch_max; /* 1..65536 */
        struct scn_dist work;
        size_t n_events;
        struct scn_con_event events[SCN_MAX_EVENTS];
    } consumer;
    struct scn_expect expect;
    double time_scale; /* 1.0 unless scn_time_scale() was applied */
};

/* Fill *s with every default (name "", duration 0: not yet valid). */
void scn_defaults(struct scn_scenario *s);
int scn_load(const char *path, struct scn_scenario *out, char err[SCN_ERR_MAX]);
int scn_parse(const char *name, const char *buf, size_t len, struct scn_scenario *out,
              char err[SCN_ERR_MAX]);
/* Checks the cross-field rules (the same ones scn_load applies) on a struct built in code,
 * e.g. by the fuzzer. 0 if valid, else -1 and a message (line:col from the event if known). */
int scn_check(const struct scn_scenario *s, char err[SCN_ERR_MAX]);
/* The samples its plan holds (what sched_build lists): ceil(duration / period) regular ones,
 * stored in *regular unless it is NULL, plus every burst's packets. No regular sample when the
 * period is not positive or the duration is not. With replay the regular samples are the
 * recording's instead: this count does not apply (sched_build counts them). */
uint64_t scn_samples(const struct scn_scenario *s, uint64_t *regular);
/* Divide every time by x (x > 0); records x in time_scale. Times never go below 1 ns, and
 * rounding never takes the plan over SCN_MAX_SAMPLES (the period is lengthened by a few ns). */
void scn_time_scale(struct scn_scenario *s, double x);

/* The format's keys, walked from the same tables the loader uses (for generated documentation). */
enum scn_key_type { SCN_KEY_INT, SCN_KEY_TIME, SCN_KEY_NUMBER, SCN_KEY_ENUM, SCN_KEY_TEXT,
                    SCN_KEY_MAP, SCN_KEY_LIST, SCN_KEY_BYTES };
struct scn_key_info {
    char path[96];        /* "device.jitter.max_us"; keys of list items: "device.events[].at_ms" */
    const char *name;     /* the last part of path */
    const char *context;  /* the mapping it belongs to, as error messages name it */
    enum scn_key_type type;
    int depth;            /* 0: top level */
    bool required;        /* always required in its mapping */
    bool conditional;     /* allowed or required only with some sibling keys (distribution, event) */
    bool flow;            /* its mapping is written as {k: v, ...} */
    uint64_t lo, hi;      /* INT, TIME (in the key's unit), TEXT (length), LIST (items) */
    double dlo, dhi;      /* NUMBER */
    const char *const *names; /* ENUM: the values (an entry may be NULL: not a value) */
    int nnames;
    char allowed[320];    /* what it accepts, in the words of the loader's error messages */
    char deflt[64];       /* its default as scn_defaults() fills it; "" when absent by default */
    const char *doc;      /* what the key means, for the reference; NULL: nothing more to say */
    const char *example;  /* a loadable example (without name and duration_ms); NULL: none given */
};
typedef void (*scn_key_fn)(const struct scn_key_info *k, void *ctx);
/* Calls fn for every key, parents before their children, in table order. */
void scn_keys(scn_key_fn fn, void *ctx);

const char *scn_dist_name(enum scn_dist_kind k);
const char *scn_event_name(enum scn_dev_event_kind k);
const char *scn_overflow_name(enum scn_overflow o);
const char *scn_doorbell_name(enum scn_doorbell d);
/* The bytes of b (NULL when b is not set or points outside the pool). */
const uint8_t *scn_bytes_of(const struct scn_scenario *s, const struct scn_bytes *b);
/* Appends n bytes to the pool and points *b at them; 0, or -1 when the pool is full. */
int scn_bytes_add(struct scn_scenario *s, struct scn_bytes *b, const uint8_t *data, size_t n);
/* The endpoint that plays the stream: 0x81 without interfaces, else device.stream_endpoint when
 * set, else the first IN endpoint listed (scn_first_in; 0 when there is none). With interfaces,
 * the stream's transfer type is that endpoint's: device.endpoint is not used (the loader sets it
 * to that type). */
uint8_t scn_stream_ep(const struct scn_scenario *s);
uint8_t scn_first_in(const struct scn_scenario *s);
/* The device's strings and their indexes, as its descriptors carry them: the manufacturer,
 * product and serial (their texts with today's defaults when absent), the configuration's name,
 * then each interface entry's name. A string with an explicit index (the *_index keys) has it;
 * otherwise the manufacturer, product and serial take 1, 2 and 3, and the configuration's name
 * and the interface names, in that order, the lowest index from 4 up that no other string has.
 * An empty text has no string (index 0). Two strings may share an index only with the same
 * text (one descriptor). 0, or -1 and a message naming the clash (the loader's check). */
enum { SCN_STR_MANUFACTURER, SCN_STR_PRODUCT, SCN_STR_SERIAL, SCN_STR_CONFIG, SCN_STR_IFACE0,
       SCN_N_STRS = SCN_STR_IFACE0 + SCN_MAX_IFACES };
struct scn_strings {
    uint8_t index[SCN_N_STRS];
    char text[SCN_N_STRS][SCN_MAX_TEXT + 1];
};
int scn_strings(const struct scn_scenario *s, struct scn_strings *out, char err[SCN_ERR_MAX]);

/* The interface entry and endpoint of address addr (NULL when no entry lists it). */
const struct scn_ep *scn_find_ep(const struct scn_scenario *s, uint8_t addr,
                                 const struct scn_iface **iface);

#include "sim/scn_write.h"

#endif

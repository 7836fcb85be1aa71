/* schedule — the device's deterministic timeline, computed from a scenario and its seed.
 *
 * Contract:
 *  - sched_build() lists every sample the device will produce, in seq order (seq 0, 1, 2, ...):
 *    its due time (nominal k * period plus a jitter draw, measured from the start, never earlier
 *    than the previous sample's: absolute, so error never accumulates), the earliest time it may
 *    leave the device, and its planned fate. Same scenario + seed -> the same timeline, bit for bit,
 *    on every machine (rng.h; no floating point in the time arithmetic except the jitter draw).
 *  - The plan assumes an ideal host that reads whenever the endpoint can be read. Fates:
 *      SENT     leaves the device at its due time;
 *      HELD     produced while the endpoint is gated (hold stall, halt): waits in the device FIFO
 *               and leaves when the gate opens (send_ns);
 *      DROPPED  lost at the device: a drop-mode stall, a full FIFO during a gate, or a disconnect.
 *    Flags (PKT_F_*): BURST for a burst's extra packets, CORRUPT for the packets an event corrupts
 *    (the next N that leave the device at or after the event).
 *  - Windows: every stall, halt and disconnect as [start, end), in time order.
 *  - Counts add up: produced == sent + held + sum(dropped[*]).
 *  - The running device (usb_device.h) follows this plan in real time; what really happened is
 *    its own log.
 *  - Replay (device.replay, framing raw): sched_build loads the recording (rec_load; its path
 *    relative to the directory of sc->file, an absolute one as is, as given when sc->file is "")
 *    and plans one regular sample per recorded packet of the stream endpoint (scn_stream_ep;
 *    the plan holds no other endpoint's packet: usb_device.h plays them on their endpoints,
 *    with sched_rec_time_ns and the same loop round, rec_round_ns), nominally due at its recorded time (t_us * 1000
 *    ns) divided by sc->time_scale, then jitter as above. loop: true plays the recording again
 *    and again while the nominal time is before the duration, each round starting one mean
 *    inter-packet interval (of the recorded stream packets) after the previous round's last
 *    packet (period_ns when the recording has one stream packet or they share one time), all
 *    divided by the time scale; without loop the plan ends with the recording or at the duration,
 *    whichever comes first. Events apply to the replayed plan exactly as to a synthetic one.
 *    A burst's extra packets repeat the recorded packet of the regular sample just before them
 *    (the first one when there is none). sched_build fails with one line in err when the
 *    recording cannot be read, is empty, has no packet on the stream endpoint or one over
 *    PKT_MAX_SIZE bytes there, or the plan would exceed SCHED_MAX_SAMPLES. The plan owns the
 *    loaded recording (sched_free frees it).
 *  - Bytes (framing raw): sched_payload() gives sample seq's bytes before any corruption: the
 *    generator's (scenario.h: counter, random = pkt_payload(seed, seq), pattern), packet_size
 *    long, for every sample (a burst's too); or the recorded packet's, as long as recorded. A
 *    pure function of (scenario, seed, seq): another process that builds the same plan gets the
 *    same bytes. With framing usbsim the bytes are pkt_encode's (sched_payload gives 0).
 * Prefix: sched_.
 */
#ifndef USBSIM_SIM_SCHEDULE_H
#define USBSIM_SIM_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "sim/recording.h"

#define SCHED_MAX_SAMPLES SCN_MAX_SAMPLES /* scn_check refuses a scenario over it */

enum sched_fate { SCHED_SENT, SCHED_HELD, SCHED_DROPPED, SCHED_FATE_COUNT };
enum sched_drop { SCHED_DROP_NONE, SCHED_DROP_STALL, SCHED_DROP_FIFO, SCHED_DROP_DISCONNECT,
                  SCHED_DROP_COUNT };

struct sched_sample {
    uint32_t seq;
    int64_t due_ns;  /* produced, from the start */
    int64_t send_ns; /* earliest time it may leave the device (== due_ns when SENT) */
    uint8_t fate;    /* enum sched_fate */
    uint8_t drop;    /* enum sched_drop, when DROPPED */
    uint16_t flags;  /* PKT_F_BURST, PKT_F_CORRUPT */
    uint32_t src;    /* replay: the index (in the recording) of the packet it plays; else 0 */
};

enum sched_window_kind { SCHED_W_STALL_HOLD, SCHED_W_STALL_DROP, SCHED_W_HALT, SCHED_W_DISCONNECT };

struct sched_window {
    enum sched_window_kind kind;
    int64_t start_ns, end_ns;
};

struct sched {
    size_t n;
    struct sched_sample *samples;
    size_t n_windows;
    struct sched_window windows[SCN_MAX_EVENTS];
    uint64_t produced, sent, held, corrupt, burst;
    uint64_t dropped[SCHED_DROP_COUNT];
    int64_t end_ns; /* duration */
    int raw;          /* 1 with framing raw */
    uint32_t max_len; /* the longest packet in the plan: packet_size for generators and usbsim
                         framing, the longest replayed packet for replay */
    /* What sched_payload needs (owned by the plan; read them through sched_payload). */
    enum scn_generator gen;
    uint64_t seed;
    uint32_t size;          /* packet_size */
    uint8_t *pattern;       /* generator pattern: its bytes */
    size_t pattern_len;
    struct rec_file *rec;   /* replay: the recording */
    int rec_loop;           /* replay: loop: true */
    int64_t rec_round_ns;   /* replay: one round of the loop (scaled) */
    double time_scale;      /* replay: the scenario's time scale */
};

/* 0 on success; -1 with a message (e.g. too many samples) in err. */
int sched_build(const struct scn_scenario *sc, struct sched *out, char err[SCN_ERR_MAX]);
void sched_free(struct sched *s);
/* Which window (index) covers time t, or -1. */
int sched_window_at(const struct sched *s, int64_t t_ns);
/* The plan as a table (csv != 0: comma-separated with a header row), then a summary. */
int sched_print(const struct sched *s, FILE *f, int csv);
/* The bytes sample seq carries before any corruption, for framing raw: its length
 * (<= cap is written; the return value is the full length), 0 when seq is not in the plan.
 * For framing usbsim: 0 (its bytes are pkt_encode's). */
size_t sched_payload(const struct sched *s, uint32_t seq, uint8_t *out, size_t cap);
/* A generator's bytes for packet seq (counter, random = pkt_payload(seed, seq), pattern
 * repeated): n bytes into out. sched_payload uses it; so does another endpoint's own stream. */
void sched_gen_bytes(enum scn_generator g, uint64_t seed, uint32_t seq, const uint8_t *pattern,
                     size_t pattern_len, uint8_t *out, size_t n);
/* Replay: packet i of the recording at its time in the plan: t_us * 1000 ns divided by the
 * time scale (nearest ns), as the stream's samples are; 0 without a recording. */
int64_t sched_rec_time_ns(const struct sched *s, size_t i);
const char *sched_fate_name(enum sched_fate f);
const char *sched_drop_name(enum sched_drop d);

#endif

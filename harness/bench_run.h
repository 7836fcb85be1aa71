/* bench_run — one end-to-end run for the benches (`bench e2e`, `bench scale`): a scenario built
 * from a few parameters, run on the default backend (run_one: device over USB/IP on loopback,
 * driver, application, three processes), and its figures.
 *
 * Contract: brun_one() builds the scenario (name "bench", no jitter, no events; expect lost_max 0
 * and strict order), runs it once and fills a struct brun_fig: delivered/lost, the device's period
 * error and device->application latency (p50, p99, max in us), each process's CPU as a percentage
 * of one core over the run's wall time and in us per delivered packet. Returns 0 when the run was
 * judged (pass or not: fig->pass), -1 when it could not run; the verifier's failures go to stderr
 * prefixed with `who` (who NULL: not printed). Never asserts on timing.
 * Prefix: brun_.
 */
#ifndef USBSIM_HARNESS_BENCH_RUN_H
#define USBSIM_HARNESS_BENCH_RUN_H

#include <stdint.h>

enum { BRUN_DEVICE, BRUN_DRIVER, BRUN_APP, BRUN_PROCS };
enum { BRUN_P50, BRUN_P99, BRUN_MAX, BRUN_STATS };

struct brun_point {
    int64_t period_us;      /* device.period_us */
    uint32_t packet_size;   /* device.packet_size */
    int bulk;               /* device.endpoint: bulk (else interrupt) */
    int precise;            /* device.timing: precise (else timer) */
    int doorbell_always;    /* transport.doorbell: always (else suppressed) */
    int64_t duration_ms;
    uint32_t fifo_packets;  /* device.fifo_packets; 0: the scenario default */
    uint32_t ring_slots;    /* transport.ring_slots; 0: the scenario default */
};

struct brun_fig {
    int pass;
    uint64_t produced, delivered, lost;
    double period_us[BRUN_STATS], latency_us[BRUN_STATS];
    double cpu_pct[BRUN_PROCS], cpu_us_pp[BRUN_PROCS];
    double rate_hz;         /* long-run rate at the application */
    double wall_s;
};

int brun_one(const struct brun_point *p, const char *who, struct brun_fig *f);

#endif

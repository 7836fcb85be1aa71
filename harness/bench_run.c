/* bench_run — see bench_run.h. */
#include "harness/bench_run.h"

#include <stdio.h>
#include <string.h>

#include "harness/run.h"
#include "sim/scenario.h"

static void put(double out[BRUN_STATS], const struct vfy_latency *l)
{
    out[BRUN_P50] = (double)l->p50_ns / 1e3;
    out[BRUN_P99] = (double)l->p99_ns / 1e3;
    out[BRUN_MAX] = (double)l->max_ns / 1e3;
}

int brun_one(const struct brun_point *p, const char *who, struct brun_fig *f)
{
    memset(f, 0, sizeof *f);
    char yaml[768], err[SCN_ERR_MAX], extra[128] = "";
    if (p->fifo_packets)
        snprintf(extra, sizeof extra, "  fifo_packets: %u\n", p->fifo_packets);
    snprintf(yaml, sizeof yaml,
             "name: bench\nduration_ms: %lld\ndevice:\n  packet_size: %u\n  period_us: %lld\n"
             "  endpoint: %s\n  timing: %s\n%stransport:\n  doorbell: %s\n  ring_slots: %u\n"
             "expect:\n  lost_max: 0\n  order: strict\n",
             (long long)p->duration_ms, p->packet_size, (long long)p->period_us,
             p->bulk ? "bulk" : "interrupt", p->precise ? "precise" : "timer", extra,
             p->doorbell_always ? "always" : "suppressed", p->ring_slots ? p->ring_slots : 256);
    struct scn_scenario sc;
    if (scn_parse("bench", yaml, strlen(yaml), &sc, err) != 0) {
        fprintf(stderr, "%s: %s\n", who ? who : "bench", err);
        return -1;
    }
    struct run_figures fig;
    struct run_opts o = {.backend = NULL /* the default: USB/IP on loopback */, .figures = &fig};
    struct vfy_result res;
    memset(&res, 0, sizeof res);
    if (run_one(&sc, &o, &res) != 0)
        return -1;
    for (size_t k = 0; who && !res.pass && k < res.n_failures; k++)
        fprintf(stderr, "%s: %s\n", who, res.failures[k]);
    f->pass = res.pass;
    f->produced = res.produced;
    f->delivered = res.delivered;
    f->lost = res.lost_accounted.device + res.lost_accounted.ring + res.lost_accounted.crc +
              res.lost_unexplained;
    put(f->period_us, &fig.period_error);
    put(f->latency_us, &res.latency);
    f->wall_s = (double)fig.wall_ns / 1e9;
    f->rate_hz = res.rate_hz;
    for (int k = 0; k < BRUN_PROCS; k++) {
        f->cpu_pct[k] = fig.wall_ns > 0 ? 100.0 * (double)fig.cpu_ns[k] / (double)fig.wall_ns : 0;
        f->cpu_us_pp[k] = res.delivered ? (double)fig.cpu_ns[k] / 1e3 / (double)res.delivered : 0;
    }
    vfy_free(&res);
    return 0;
}

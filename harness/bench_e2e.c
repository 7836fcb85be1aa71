/* bench_e2e — see bench_e2e.h. */
#include "harness/bench_e2e.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness/args.h"
#include "harness/bench_floor.h"
#include "harness/bench_run.h"
#include "harness/bench_stats.h"
#include "harness/proc.h"
#include "sim/exitcode.h"

#define MAX_RUNS 50
enum { TIMER, PRECISE, ALWAYS, MODES };
static const char *const mode_name[MODES] = {"suppressed", "precise", "always"};

/* One mode's figures, one value per run each. */
struct series {
    struct bstat period[BRUN_STATS], latency[BRUN_STATS], cpu[BRUN_PROCS], cpu_total;
    int failed;
};

static int one_run(int mode, int secs, struct series *s, int i)
{
    struct brun_point p = {.period_us = 10000, .packet_size = 112, .precise = mode == PRECISE,
                           .doorbell_always = mode == ALWAYS, .duration_ms = secs * 1000LL};
    char who[64];
    snprintf(who, sizeof who, "bench e2e: run %d (%s)", i + 1, mode_name[mode]);
    struct brun_fig f;
    if (brun_one(&p, who, &f) != 0)
        return -1;
    s->failed += !f.pass;
    double total = 0;
    for (int k = 0; k < BRUN_STATS; k++)
        bstat_add(&s->period[k], f.period_us[k]), bstat_add(&s->latency[k], f.latency_us[k]);
    for (int k = 0; k < BRUN_PROCS; k++)
        bstat_add(&s->cpu[k], f.cpu_pct[k]), total += f.cpu_pct[k];
    bstat_add(&s->cpu_total, total);
    return 0;
}

static json_t *stats_json(const struct bstat s[BRUN_STATS])
{
    return json_pack("{s:f,s:f,s:f}", "p50", bstat_median(&s[BRUN_P50]), "p99",
                     bstat_median(&s[BRUN_P99]), "max", bstat_median(&s[BRUN_MAX]));
}

static json_t *mode_json(const struct series *s)
{
    return json_pack("{s:o,s:o,s:{s:f,s:f,s:f},s:f,s:i,s:{s:o,s:o,s:o}}", "period_error_us",
                     stats_json(s->period), "latency_us", stats_json(s->latency), "cpu_percent",
                     "device", bstat_median(&s->cpu[BRUN_DEVICE]), "driver",
                     bstat_median(&s->cpu[BRUN_DRIVER]), "app", bstat_median(&s->cpu[BRUN_APP]),
                     "cpu_percent_total", bstat_median(&s->cpu_total), "failed_runs", s->failed,
                     "spread", "period_error_us.p99", bstat_json(&s->period[BRUN_P99]),
                     "cpu_percent.device", bstat_json(&s->cpu[BRUN_DEVICE]), "cpu_percent_total",
                     bstat_json(&s->cpu_total));
}

static void print_mode(const char *name, const struct series *s)
{
    char a[96], b[96];
    printf("%-11s period error p50/p99/max %6.1f %s %7.1f us   latency p50/p99/max %6.1f %6.1f "
           "%7.1f us   cpu device %s%% driver %.2f%% app %.2f%% (total %.2f%%)\n",
           name, bstat_median(&s->period[BRUN_P50]), bstat_str(&s->period[BRUN_P99], "%.1f", a, sizeof a),
           bstat_median(&s->period[BRUN_MAX]), bstat_median(&s->latency[BRUN_P50]),
           bstat_median(&s->latency[BRUN_P99]), bstat_median(&s->latency[BRUN_MAX]),
           bstat_str(&s->cpu[BRUN_DEVICE], "%.2f", b, sizeof b), bstat_median(&s->cpu[BRUN_DRIVER]),
           bstat_median(&s->cpu[BRUN_APP]), bstat_median(&s->cpu_total));
}

int bench_e2e_main(struct cli_opts *o)
{
    int json = o->own[BENCH_E2E_JSON].set;
    int runs = o->own[BENCH_E2E_RUNS].set ? (int)o->own[BENCH_E2E_RUNS].u : 3;
    int secs = o->own[BENCH_E2E_SECONDS].set ? (int)o->own[BENCH_E2E_SECONDS].u : 5;
    static struct series s[MODES];
    memset(s, 0, sizeof s);
    struct bstat floor_p[BRUN_STATS], r_precise, r_floor, r_cpu;
    memset(floor_p, 0, sizeof floor_p);
    memset(&r_precise, 0, sizeof r_precise), memset(&r_floor, 0, sizeof r_floor);
    memset(&r_cpu, 0, sizeof r_cpu);
    proc_catch_signals();
    for (int i = 0; i < runs && !proc_interrupted(); i++) {
        if (!json)
            fprintf(stderr, "bench e2e: run %d of %d (%d s each mode)\n", i + 1, runs, secs);
        for (int m = 0; m < MODES; m++)
            if (one_run(m, secs, &s[m], i) != 0)
                return XC_ENV;
        /* the timer floor, between the runs it bounds: 1 s of 10 ms sleeps */
        struct bstat_pct fl;
        if (bfloor_timer(100, 10000000, &fl) != 0)
            return XC_ENV;
        bstat_add(&floor_p[BRUN_P50], fl.p50), bstat_add(&floor_p[BRUN_P99], fl.p99);
        bstat_add(&floor_p[BRUN_MAX], fl.max);
        /* this run's ratios, each pair measured side by side */
        double t99 = s[TIMER].period[BRUN_P99].v[i], p99 = s[PRECISE].period[BRUN_P99].v[i];
        bstat_add(&r_precise, p99 > 0 ? t99 / p99 : 0);
        bstat_add(&r_floor, fl.p99 > 0 ? t99 / fl.p99 : 0);
        double always = s[ALWAYS].cpu_total.v[i];
        bstat_add(&r_cpu, always > 0 ? s[TIMER].cpu_total.v[i] / always : 0);
    }
    if (proc_interrupted())
        return 1;
    double gain = bstat_median(&r_precise);
    if (json) {
        json_t *j = mode_json(&s[TIMER]);
        json_object_set_new(j, "precise", mode_json(&s[PRECISE]));
        json_object_set_new(j, "baseline", mode_json(&s[ALWAYS]));
        json_object_set_new(j, "runs", json_integer(runs));
        json_object_set_new(j, "timer_floor_us", stats_json(floor_p));
        json_object_set_new(j, "ratio_period_p99_timer_vs_precise", json_real(gain));
        json_object_set_new(j, "ratio_period_p99_timer_vs_floor", json_real(bstat_median(&r_floor)));
        json_object_set_new(j, "ratio_cpu_total_vs_always", json_real(bstat_median(&r_cpu)));
        json_t *sp = json_object_get(j, "spread");
        json_object_set_new(sp, "ratio_period_p99_timer_vs_precise", bstat_json(&r_precise));
        json_object_set_new(sp, "ratio_period_p99_timer_vs_floor", bstat_json(&r_floor));
        json_object_set_new(sp, "ratio_cpu_total_vs_always", bstat_json(&r_cpu));
        json_object_set_new(j, "precise_period_p99_le_20us",
                            json_boolean(bstat_median(&s[PRECISE].period[BRUN_P99]) <= 20));
        json_object_set_new(j, "seconds_per_run", json_integer(secs));
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else {
        printf("end to end at 100 packets/s, medians (min..max) of %d runs of %d s each\n", runs, secs);
        print_mode("suppressed", &s[TIMER]);
        print_mode("precise", &s[PRECISE]);
        print_mode("always", &s[ALWAYS]);
        char a[96];
        printf("timer floor (a bare 10 ms timed sleep on this machine wakes late by) p50/p99/max "
               "%.1f %s %.1f us\n", bstat_median(&floor_p[BRUN_P50]),
               bstat_str(&floor_p[BRUN_P99], "%.1f", a, sizeof a), bstat_median(&floor_p[BRUN_MAX]));
        char a2[96], a3[96];
        printf("suppressed = device.timing timer; precise = the same with device.timing precise "
               "(period error p99 %s x smaller); always = timer, one wake-up per packet\n",
               bstat_str(&r_precise, "%.1f", a, sizeof a));
        printf("ratios per run: timer period p99 / timer floor p99 %s; cpu total suppressed / always "
               "%s\n", bstat_str(&r_floor, "%.2f", a2, sizeof a2), bstat_str(&r_cpu, "%.2f", a3, sizeof a3));
        printf("targets: period error p99 <= 100 us (timer), <= 20 us (precise: %s), latency p99 <= "
               "1000 us, total cpu <= 2%% (timer)\n",
               bstat_median(&s[PRECISE].period[BRUN_P99]) <= 20 ? "holds" : "MISSED");
    }
    int failed = 0;
    for (int m = 0; m < MODES; m++)
        failed |= s[m].failed;
    return failed ? 1 : 0;
}

static const struct arg_opt bench_e2e_opts[BENCH_E2E_COUNT] = {
    [BENCH_E2E_JSON] = {.name = "json", .kind = ARG_FLAG,
                        .help = "print the figures as one JSON object on standard output"},
    [BENCH_E2E_RUNS] = {.name = "runs", .kind = ARG_U64, .lo = 1, .hi = MAX_RUNS,
                        .help = "runs of each mode; medians are reported (default 3)"},
    [BENCH_E2E_SECONDS] = {.name = "seconds", .kind = ARG_U64, .meta = "S", .lo = 1, .hi = 600,
                           .help = "length of each run (default 5)"},
};

const struct cli_cmd bench_e2e_cmd = {
    .name = "e2e",
    .help = "Run the steady scenario end to end at 100 packets/s with the suppressed doorbell, the\n"
            "same with device.timing precise, and with one wake-up per packet (doorbell: always);\n"
            "print medians of the device's period error, device->application latency, each\n"
            "process's CPU, and the machine's timer floor.\n",
    .opts = bench_e2e_opts, .nopts = BENCH_E2E_COUNT, .run = bench_e2e_main};

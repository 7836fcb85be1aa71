/* bench_e2e — see bench_e2e.h. */
#include "harness/bench_e2e.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <time.h>

#include "harness/args.h"
#include "harness/proc.h"
#include "harness/run.h"
#include "sim/scenario.h"
#include "sim/exitcode.h"

#define MAX_RUNS 50
enum { SUPPRESSED, ALWAYS, MODES };
enum { P50, P99, MAX, STATS };
enum { DEVICE, DRIVER, APP, PROCS };

/* One mode's figures, one row per run. */
struct series {
    double period[MAX_RUNS][STATS], latency[MAX_RUNS][STATS], cpu[MAX_RUNS][PROCS];
    int failed;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of column `col` of an n x stride table. */
static double median(const double *table, int n, int stride, int col)
{
    double v[MAX_RUNS];
    for (int i = 0; i < n; i++)
        v[i] = table[i * stride + col];
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void put_stats(double out[STATS], const struct vfy_latency *l)
{
    out[P50] = l->p50_ns / 1e3;
    out[P99] = l->p99_ns / 1e3;
    out[MAX] = l->max_ns / 1e3;
}

static int one_run(const struct scn_scenario *base, int mode, struct series *s, int i)
{
    struct scn_scenario sc = *base;
    sc.transport.doorbell = mode == ALWAYS ? SCN_DB_ALWAYS : SCN_DB_SUPPRESSED;
    struct run_figures fig;
    struct run_opts o = {.backend = NULL /* the default: USB/IP on loopback */, .figures = &fig};
    struct vfy_result res;
    memset(&res, 0, sizeof res);
    if (run_one(&sc, &o, &res) != 0)
        return -1;
    if (!res.pass) {
        s->failed++;
        for (size_t k = 0; k < res.n_failures; k++)
            fprintf(stderr, "bench e2e: run %d (%s): %s\n", i + 1,
                    mode == ALWAYS ? "always" : "suppressed", res.failures[k]);
    }
    put_stats(s->period[i], &fig.period_error);
    put_stats(s->latency[i], &res.latency);
    for (int p = 0; p < PROCS; p++)
        s->cpu[i][p] = fig.wall_ns > 0 ? 100.0 * (double)fig.cpu_ns[p] / (double)fig.wall_ns : 0;
    vfy_free(&res);
    return 0;
}

/* The machine's own floor for the device's period error: how late a bare timed sleep (ppoll, 1 ns
 * timer slack, as the device's loop uses) wakes after its deadline, over n 10 ms periods. */
static void timer_floor(int n, double out[STATS])
{
    int64_t *late = malloc((size_t)n * sizeof *late);
    if (!late) {
        memset(out, 0, STATS * sizeof out[0]);
        return;
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    int64_t t0 = proc_now_ns();
    for (int i = 0; i < n; i++) {
        int64_t due = t0 + (int64_t)(i + 1) * 10000000LL, wait = due - proc_now_ns();
        struct timespec ts = {wait > 0 ? wait / 1000000000LL : 0, wait > 0 ? wait % 1000000000LL : 0};
        ppoll(NULL, 0, &ts, NULL);
        late[i] = proc_now_ns() - due;
    }
    struct vfy_latency l;
    vfy_summarize(&l, late, (size_t)n);
    put_stats(out, &l);
    free(late);
}

static json_t *stats_json(const double *table, int n, int stride)
{
    return json_pack("{s:f,s:f,s:f}", "p50", median(table, n, stride, P50), "p99",
                     median(table, n, stride, P99), "max", median(table, n, stride, MAX));
}

static json_t *mode_json(const struct series *s, int n)
{
    const double *cpu = &s->cpu[0][0];
    return json_pack("{s:o,s:o,s:{s:f,s:f,s:f},s:f,s:i}", "period_error_us",
                     stats_json(&s->period[0][0], n, STATS), "latency_us",
                     stats_json(&s->latency[0][0], n, STATS), "cpu_percent", "device",
                     median(cpu, n, PROCS, DEVICE), "driver", median(cpu, n, PROCS, DRIVER), "app",
                     median(cpu, n, PROCS, APP), "cpu_percent_total",
                     median(cpu, n, PROCS, DEVICE) + median(cpu, n, PROCS, DRIVER) +
                         median(cpu, n, PROCS, APP),
                     "failed_runs", s->failed);
}

static void print_mode(const char *name, const struct series *s, int n)
{
    const double *p = &s->period[0][0], *l = &s->latency[0][0], *c = &s->cpu[0][0];
    double total = median(c, n, PROCS, DEVICE) + median(c, n, PROCS, DRIVER) +
                   median(c, n, PROCS, APP);
    printf("%-11s period error p50/p99/max %6.1f %6.1f %7.1f us   latency p50/p99/max %6.1f %6.1f "
           "%7.1f us   cpu device %.2f%% driver %.2f%% app %.2f%% (total %.2f%%)\n",
           name, median(p, n, STATS, P50), median(p, n, STATS, P99), median(p, n, STATS, MAX),
           median(l, n, STATS, P50), median(l, n, STATS, P99), median(l, n, STATS, MAX),
           median(c, n, PROCS, DEVICE), median(c, n, PROCS, DRIVER), median(c, n, PROCS, APP),
           total);
}

int bench_e2e_main(struct cli_opts *o)
{
    int json = o->own[BENCH_E2E_JSON].set;
    int runs = o->own[BENCH_E2E_RUNS].set ? (int)o->own[BENCH_E2E_RUNS].u : 3;
    int secs = o->own[BENCH_E2E_SECONDS].set ? (int)o->own[BENCH_E2E_SECONDS].u : 5;

    char yaml[256], err[SCN_ERR_MAX];
    snprintf(yaml, sizeof yaml, "name: bench-e2e\nduration_ms: %d\nexpect:\n  lost_max: 0\n"
             "  order: strict\n", secs * 1000);
    struct scn_scenario sc;
    if (scn_parse("bench-e2e", yaml, strlen(yaml), &sc, err) != 0) {
        fprintf(stderr, "usbsim bench e2e: %s\n", err);
        return 1;
    }
    static struct series s[MODES];
    memset(s, 0, sizeof s);
    proc_catch_signals();
    for (int i = 0; i < runs && !proc_interrupted(); i++) {
        if (!json)
            fprintf(stderr, "bench e2e: run %d of %d (%d s each mode)\n", i + 1, runs, secs);
        for (int m = 0; m < MODES; m++)
            if (one_run(&sc, m, &s[m], i) != 0)
                return XC_ENV;
    }
    if (proc_interrupted())
        return 1;
    double floor_us[STATS];
    timer_floor(300, floor_us);
    if (json) {
        json_t *o = mode_json(&s[SUPPRESSED], runs);
        json_object_set_new(o, "baseline", mode_json(&s[ALWAYS], runs));
        json_object_set_new(o, "runs", json_integer(runs));
        json_object_set_new(o, "timer_floor_us",
                            json_pack("{s:f,s:f,s:f}", "p50", floor_us[P50], "p99", floor_us[P99],
                                      "max", floor_us[MAX]));
        json_object_set_new(o, "seconds_per_run", json_integer(secs));
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        printf("end to end at 100 packets/s, medians of %d runs of %d s each\n", runs, secs);
        print_mode("suppressed", &s[SUPPRESSED], runs);
        print_mode("always", &s[ALWAYS], runs);
        printf("timer floor (a bare 10 ms timed sleep on this machine wakes late by) p50/p99/max "
               "%.1f %.1f %.1f us\n", floor_us[P50], floor_us[P99], floor_us[MAX]);
        printf("targets: period error p99 <= 100 us, latency p99 <= 1000 us, total cpu <= 2%%\n");
    }
    return s[SUPPRESSED].failed || s[ALWAYS].failed ? 1 : 0;
}

static const struct arg_opt bench_e2e_opts[BENCH_E2E_COUNT] = {
    [BENCH_E2E_JSON] = {.name = "json", .kind = ARG_FLAG,
                        .help = "print the figures as one JSON object on standard output"},
    [BENCH_E2E_RUNS] = {.name = "runs", .kind = ARG_U64, .lo = 1, .hi = MAX_RUNS,
                        .help = "runs of each doorbell mode; medians are reported (default 3)"},
    [BENCH_E2E_SECONDS] = {.name = "seconds", .kind = ARG_U64, .meta = "S", .lo = 1, .hi = 600,
                           .help = "length of each run (default 5)"},
};

const struct cli_cmd bench_e2e_cmd = {
    .name = "e2e",
    .help = "Run the steady scenario end to end at 100 packets/s with the suppressed doorbell\n"
            "and with one wake-up per packet (doorbell: always); print medians of the device's\n"
            "period error, device->application latency, each process's CPU, and the machine's\n"
            "timer floor.\n",
    .opts = bench_e2e_opts, .nopts = BENCH_E2E_COUNT, .run = bench_e2e_main};

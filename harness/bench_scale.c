/* bench_scale — see bench_scale.h. The page is in bench_scale_html.c. */
#include "harness/bench_scale.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness/args.h"
#include "harness/backend.h"
#include "harness/bench_stats.h"
#include "harness/proc.h"
#include "sim/exitcode.h"

#define NFIXED 6
#define NRAMP 8
#define RING_SLOTS 1024

static const struct {
    int64_t period_us;
    uint32_t bytes;
    int bulk;
} fixed[NFIXED] = {{10000, 112, 0}, {1000, 112, 0}, {250, 112, 0}, {125, 112, 0}, {100, 112, 0},
                   {100, 1024, 1}},
  ramp[NRAMP] = {{66, 112, 1}, {50, 112, 1}, {40, 112, 1}, {30, 112, 1}, {25, 112, 1}, {20, 112, 1},
                 {15, 112, 1}, {10, 112, 1}};


/* Every figure of a brun_fig, for the median and the spread over the runs. */
#define FIG_DOUBLES(X)                                                                           \
    X(period_us[BRUN_P50]) X(period_us[BRUN_P99]) X(period_us[BRUN_MAX]) X(latency_us[BRUN_P50]) \
    X(latency_us[BRUN_P99]) X(latency_us[BRUN_MAX]) X(cpu_pct[BRUN_DEVICE])                     \
    X(cpu_pct[BRUN_DRIVER]) X(cpu_pct[BRUN_APP]) X(cpu_us_pp[BRUN_DEVICE])                      \
    X(cpu_us_pp[BRUN_DRIVER]) X(cpu_us_pp[BRUN_APP]) X(rate_hz) X(wall_s)
#define FIG_COUNTS(X) X(produced) X(delivered) X(lost)

void bench_scale_merge(struct bench_scale_point *pt)
{
    int n = pt->runs < 0 ? 0 : pt->runs > BENCH_SCALE_MAX_RUNS ? BENCH_SCALE_MAX_RUNS : pt->runs;
    struct bstat b;
#define MERGE(field)                                                                             \
    b.n = 0;                                                                                     \
    for (int k = 0; k < n; k++)                                                                  \
        bstat_add(&b, (double)pt->run[k].field);                                                 \
    pt->f.field = bstat_median(&b), pt->lo.field = bstat_min(&b), pt->hi.field = bstat_max(&b);
#define MERGE_COUNT(field)                                                                       \
    b.n = 0;                                                                                     \
    for (int k = 0; k < n; k++)                                                                  \
        bstat_add(&b, (double)pt->run[k].field);                                                 \
    pt->f.field = (uint64_t)(bstat_median(&b) + 0.5), pt->lo.field = (uint64_t)bstat_min(&b),    \
    pt->hi.field = (uint64_t)bstat_max(&b);
    FIG_DOUBLES(MERGE)
    FIG_COUNTS(MERGE_COUNT)
#undef MERGE
#undef MERGE_COUNT
    /* The counts come from one run, the one with the median loss (the lower one for an even
     * count), so that delivered + lost = produced still holds for the point. */
    int order[BENCH_SCALE_MAX_RUNS];
    for (int k = 0; k < n; k++) {
        int j = k;
        for (; j > 0 && pt->run[order[j - 1]].lost > pt->run[k].lost; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
    if (n > 0) {
        const struct brun_fig *m = &pt->run[order[(n - 1) / 2]];
        pt->f.produced = m->produced, pt->f.delivered = m->delivered, pt->f.lost = m->lost;
    }
    pt->runs_sustained = pt->runs_lost = 0;
    for (int k = 0; k < n; k++) {
        pt->runs_sustained += pt->run_sustained[k] != 0;
        pt->runs_lost += pt->run[k].lost > 0 || !pt->run[k].pass;
    }
    pt->f.pass = pt->lo.pass = pt->hi.pass = 2 * pt->runs_lost < n;
    pt->sustained = n > 0 && 2 * pt->runs_sustained > n;
}

static int measure(struct bench_scale_point *pt, int64_t period_us, uint32_t bytes, int bulk, int secs,
                   int runs)
{
    double rate = 1e6 / (double)period_us;
    uint32_t fifo = (uint32_t)(rate / 100);
    struct brun_point p = {.period_us = period_us, .packet_size = bytes, .bulk = bulk,
                           .duration_ms = secs * 1000LL, .fifo_packets = fifo < 16 ? 16 : fifo,
                           .ring_slots = RING_SLOTS};
    pt->rate = rate, pt->bytes = bytes, pt->bulk = bulk;
    for (pt->runs = 0; pt->runs < runs && !proc_interrupted(); pt->runs++) {
        struct brun_fig *f = &pt->run[pt->runs];
        if (brun_one(&p, NULL, f) != 0)
            return -1;
        pt->run_sustained[pt->runs] = f->pass && f->lost == 0 && f->delivered == f->produced &&
                                      f->rate_hz >= 0.99 * rate;
    }
    pt->ran = pt->runs > 0;
    bench_scale_merge(pt);
    return 0;
}

static json_t *spread_json(double med, double lo, double hi)
{
    return json_pack("{s:f,s:f,s:f}", "median", med, "min", lo, "max", hi);
}

static json_t *point_json(const struct bench_scale_point *p)
{
    const struct brun_fig *f = &p->f, *lo = &p->lo, *hi = &p->hi;
    json_t *o = json_pack("{s:f,s:i,s:s,s:b,s:I,s:I,s:I,s:f,s:{s:f,s:f,s:f},s:{s:f,s:f,s:f},s:{s:f,s:f},"
                          "s:{s:f,s:f,s:f}}",
                          "rate_hz_target", p->rate, "packet_bytes", (int)p->bytes, "endpoint",
                          p->bulk ? "bulk" : "interrupt", "sustained", p->sustained, "produced",
                          (json_int_t)f->produced, "delivered", (json_int_t)f->delivered, "lost",
                          (json_int_t)f->lost, "rate_hz", f->rate_hz, "cpu_us_per_packet", "device",
                          f->cpu_us_pp[BRUN_DEVICE], "driver", f->cpu_us_pp[BRUN_DRIVER], "app",
                          f->cpu_us_pp[BRUN_APP], "cpu_percent", "device", f->cpu_pct[BRUN_DEVICE],
                          "driver", f->cpu_pct[BRUN_DRIVER], "app", f->cpu_pct[BRUN_APP], "latency_us",
                          "p50", f->latency_us[BRUN_P50], "p99", f->latency_us[BRUN_P99],
                          "period_error_us", "p50", f->period_us[BRUN_P50], "p99",
                          f->period_us[BRUN_P99], "max", f->period_us[BRUN_MAX]);
    json_object_set_new(o, "runs", json_integer(p->runs));
    json_object_set_new(o, "runs_sustained", json_integer(p->runs_sustained));
    json_object_set_new(o, "runs_lost", json_integer(p->runs_lost));
    json_t *sp = json_object();
    json_object_set_new(sp, "lost", spread_json((double)f->lost, (double)lo->lost, (double)hi->lost));
    json_object_set_new(sp, "rate_hz", spread_json(f->rate_hz, lo->rate_hz, hi->rate_hz));
    static const char *const proc_name[BRUN_PROCS] = {"device", "driver", "app"};
    char key[64];
    for (int k = 0; k < BRUN_PROCS; k++) {
        snprintf(key, sizeof key, "cpu_us_per_packet.%s", proc_name[k]);
        json_object_set_new(sp, key, spread_json(f->cpu_us_pp[k], lo->cpu_us_pp[k], hi->cpu_us_pp[k]));
        snprintf(key, sizeof key, "cpu_percent.%s", proc_name[k]);
        json_object_set_new(sp, key, spread_json(f->cpu_pct[k], lo->cpu_pct[k], hi->cpu_pct[k]));
    }
    json_object_set_new(sp, "latency_us.p50", spread_json(f->latency_us[BRUN_P50],
                                                          lo->latency_us[BRUN_P50], hi->latency_us[BRUN_P50]));
    json_object_set_new(sp, "latency_us.p99", spread_json(f->latency_us[BRUN_P99],
                                                          lo->latency_us[BRUN_P99], hi->latency_us[BRUN_P99]));
    json_object_set_new(sp, "period_error_us.p99", spread_json(f->period_us[BRUN_P99],
                                                               lo->period_us[BRUN_P99], hi->period_us[BRUN_P99]));
    json_object_set_new(o, "spread", sp);
    return o;
}

static void print_point(const struct bench_scale_point *p)
{
    const struct brun_fig *f = &p->f, *lo = &p->lo, *hi = &p->hi;
    printf("%7.0f/s %5u B %-9s %8llu/%-8llu lost %llu (%llu..%llu) %5.1f%% rate, sustained in %d/%d runs%s\n",
           p->rate, p->bytes, p->bulk ? "bulk" : "interrupt", (unsigned long long)f->delivered,
           (unsigned long long)f->produced, (unsigned long long)f->lost,
           (unsigned long long)lo->lost, (unsigned long long)hi->lost,
           p->rate > 0 ? 100 * f->rate_hz / p->rate : 0, p->runs_sustained, p->runs,
           p->sustained ? "" : "  NOT SUSTAINED");
    printf("          cpu us/pkt dev %.2f (%.2f..%.2f) drv %.2f (%.2f..%.2f) app %.2f (%.2f..%.2f)\n",
           f->cpu_us_pp[BRUN_DEVICE], lo->cpu_us_pp[BRUN_DEVICE], hi->cpu_us_pp[BRUN_DEVICE],
           f->cpu_us_pp[BRUN_DRIVER], lo->cpu_us_pp[BRUN_DRIVER], hi->cpu_us_pp[BRUN_DRIVER],
           f->cpu_us_pp[BRUN_APP], lo->cpu_us_pp[BRUN_APP], hi->cpu_us_pp[BRUN_APP]);
    printf("          latency p50 %.1f (%.1f..%.1f) p99 %.1f (%.1f..%.1f) us, period error p50 %.1f "
           "p99 %.1f (%.1f..%.1f) us\n",
           f->latency_us[BRUN_P50], lo->latency_us[BRUN_P50], hi->latency_us[BRUN_P50],
           f->latency_us[BRUN_P99], lo->latency_us[BRUN_P99], hi->latency_us[BRUN_P99],
           f->period_us[BRUN_P50], f->period_us[BRUN_P99], lo->period_us[BRUN_P99],
           hi->period_us[BRUN_P99]);
}

static double cpu_sum(const struct brun_fig *f)
{
    return f->cpu_us_pp[BRUN_DEVICE] + f->cpu_us_pp[BRUN_DRIVER] + f->cpu_us_pp[BRUN_APP];
}

static double cpu_pp(const struct bench_scale_point *p)
{
    return cpu_sum(&p->f);
}

/* CPU per packet at `hi` over that at `lo`, run by run (run k of each point). */
static void cpu_ratio_runs(const struct bench_scale_point *hi, const struct bench_scale_point *lo,
                           struct bstat *out)
{
    out->n = 0;
    for (int k = 0; k < hi->runs && k < lo->runs; k++)
        if (cpu_sum(&lo->run[k]) > 0)
            bstat_add(out, cpu_sum(&hi->run[k]) / cpu_sum(&lo->run[k]));
}

int bench_scale_main(struct cli_opts *o)
{
    int json = o->own[BENCH_SCALE_JSON].set;
    const char *html = o->own[BENCH_SCALE_HTML].set ? o->own[BENCH_SCALE_HTML].s : NULL;
    int secs = o->own[BENCH_SCALE_SECONDS].set ? (int)o->own[BENCH_SCALE_SECONDS].u : 3;
    double max_target = o->own[BENCH_SCALE_MAX_RATE].set ? (double)o->own[BENCH_SCALE_MAX_RATE].u : 1e5;
    int runs = o->own[BENCH_SCALE_RUNS].set ? (int)o->own[BENCH_SCALE_RUNS].u : 3;
    static struct bench_scale_point pts[NFIXED + NRAMP];
    memset(pts, 0, sizeof pts);
    int n = 0, lost_fixed = 0;
    double max_rate = 0, stop_rate = 0;
    proc_catch_signals();
    if (!json)
        printf("end to end on the usbip backend, %d s per run, %d run(s) per point: medians (min..max)\n"
               "(device FIFO 10 ms of packets, ring %d slots)\n", secs, runs, RING_SLOTS);
    for (int i = 0; i < NFIXED && !proc_interrupted(); i++, n++) {
        if (measure(&pts[n], fixed[i].period_us, fixed[i].bytes, fixed[i].bulk, secs, runs) != 0)
            return XC_ENV;
        lost_fixed += !pts[n].f.pass; /* more than half of its runs lost a packet or failed */
        if (pts[n].sustained && pts[n].bytes == 112 && pts[n].rate > max_rate)
            max_rate = pts[n].rate;
        if (!json)
            print_point(&pts[n]), fflush(stdout);
    }
    /* past 10000/s: 112-byte bulk until the first rate the path does not sustain */
    for (int i = 0; i < NRAMP && 1e6 / (double)ramp[i].period_us <= max_target + 1 &&
                    !proc_interrupted(); i++, n++) {
        pts[n].ramp = 1;
        if (measure(&pts[n], ramp[i].period_us, ramp[i].bytes, ramp[i].bulk, secs, runs) != 0)
            return XC_ENV;
        if (!json)
            print_point(&pts[n]), fflush(stdout);
        if (!pts[n].sustained) {
            stop_rate = pts[n++].rate;
            break;
        }
        max_rate = pts[n].rate;
    }
    if (proc_interrupted())
        return 1;
    /* the other backends: named, with why they are not measured here */
    char why_kernel[256] = "";
    const struct be_backend *k = be_find("kernel");
    if (k && k->check(k, NULL, why_kernel, sizeof why_kernel) == 0)
        snprintf(why_kernel, sizeof why_kernel, "available but not measured by this bench (run "
                 "`usbsim run --backend kernel` on a scenario at the rate)");
    const char *why_vm = "not measured: every point would boot the VM under TCG (use `usbsim run "
                         "--backend vm` on a scenario at the rate)";
    double r_cpu = cpu_pp(&pts[0]) > 0 ? cpu_pp(&pts[4]) / cpu_pp(&pts[0]) : 0;
    struct bstat r_runs;
    cpu_ratio_runs(&pts[4], &pts[0], &r_runs);
    if (json) {
        json_t *j = json_object(), *fx = json_array(), *rp = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(pts[i].ramp ? rp : fx, point_json(&pts[i]));
        json_object_set_new(j, "points", fx);
        json_object_set_new(j, "ramp", rp);
        json_object_set_new(j, "fixed_points_lost_or_failed", json_integer(lost_fixed));
        json_object_set_new(j, "max_rate_no_loss", json_pack("{s:f,s:f,s:s,s:s}", "usbip", max_rate,
                                                             "usbip_stops_at", stop_rate, "kernel",
                                                             why_kernel, "vm", why_vm));
        json_object_set_new(j, "ratio_cpu_per_packet_10000_vs_100", json_real(r_cpu));
        json_object_set_new(j, "spread", json_pack("{s:o}", "ratio_cpu_per_packet_10000_vs_100",
                                                   bstat_json(&r_runs)));
        json_object_set_new(j, "seconds_per_point", json_integer(secs));
        json_object_set_new(j, "runs_per_point", json_integer(runs));
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else {
        printf("cpu us/packet of the three processes together (medians): %.2f at 10000/s, %.2f at "
               "100/s (ratio %.3f, run by run %.3f..%.3f)\n", cpu_pp(&pts[4]), cpu_pp(&pts[0]), r_cpu,
               bstat_min(&r_runs), bstat_max(&r_runs));
        printf("usbip: highest rate sustained with no loss %.0f packets/s (112 B)", max_rate);
        if (stop_rate > 0)
            printf("; stops at %.0f/s", stop_rate);
        printf("\nkernel: %s\nvm: %s\n", why_kernel, why_vm);
    }
    if (html && bench_scale_html(html, pts, n, max_rate) != 0) {
        fprintf(stderr, "usbsim bench scale: cannot write %s\n", html);
        return 1;
    }
    return lost_fixed ? 1 : 0;
}

static const struct arg_opt bench_scale_opts[BENCH_SCALE_COUNT] = {
    [BENCH_SCALE_JSON] = {.name = "json", .kind = ARG_FLAG,
                          .help = "print the figures as one JSON object on standard output"},
    [BENCH_SCALE_HTML] = {.name = "html", .kind = ARG_PATH, .writes = true,
                          .help = "write a self-contained page with the figures as charts"},
    [BENCH_SCALE_SECONDS] = {.name = "seconds", .kind = ARG_U64, .meta = "S", .lo = 1, .hi = 600,
                             .help = "length of each run (default 3)"},
    [BENCH_SCALE_RUNS] = {.name = "runs", .kind = ARG_U64, .lo = 1, .hi = BENCH_SCALE_MAX_RUNS,
                          .help = "runs of each point; medians and min..max are reported (default 3)"},
    [BENCH_SCALE_MAX_RATE] = {.name = "max-rate", .kind = ARG_U64, .meta = "R", .lo = 100,
                              .hi = 100000,
                              .help = "go no further than R packets/s past 10000/s (default 100000;\n"
                                      "10000 or less: only the fixed points)"},
};

const struct cli_cmd bench_scale_cmd = {
    .name = "scale",
    .help = "Run the whole path end to end on the default backend at 100, 1000, 4000, 8000 and\n"
            "10000 packets/s of 112 bytes and 1 KiB bulk at 10000/s, then past 10000/s until it\n"
            "loses: delivered/lost, CPU per packet of each process, latency, period error, each\n"
            "the median and min..max of N runs per point; the highest rate sustained with no loss.\n",
    .opts = bench_scale_opts, .nopts = BENCH_SCALE_COUNT, .run = bench_scale_main};

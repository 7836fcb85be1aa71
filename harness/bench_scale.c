/* bench_scale — see bench_scale.h. The page is in bench_scale_html.c. */
#include "harness/bench_scale.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness/args.h"
#include "harness/backend.h"
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


static int measure(struct bench_scale_point *pt, int64_t period_us, uint32_t bytes, int bulk, int secs)
{
    double rate = 1e6 / (double)period_us;
    uint32_t fifo = (uint32_t)(rate / 100);
    struct brun_point p = {.period_us = period_us, .packet_size = bytes, .bulk = bulk,
                           .duration_ms = secs * 1000LL, .fifo_packets = fifo < 16 ? 16 : fifo,
                           .ring_slots = RING_SLOTS};
    pt->rate = rate, pt->bytes = bytes, pt->bulk = bulk;
    if (brun_one(&p, NULL, &pt->f) != 0)
        return -1;
    pt->ran = 1;
    pt->sustained = pt->f.pass && pt->f.lost == 0 && pt->f.delivered == pt->f.produced &&
                    pt->f.rate_hz >= 0.99 * rate;
    return 0;
}

static json_t *point_json(const struct bench_scale_point *p)
{
    const struct brun_fig *f = &p->f;
    return json_pack("{s:f,s:i,s:s,s:b,s:I,s:I,s:I,s:f,s:{s:f,s:f,s:f},s:{s:f,s:f,s:f},s:{s:f,s:f},"
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
}

static void print_point(const struct bench_scale_point *p)
{
    const struct brun_fig *f = &p->f;
    printf("%7.0f/s %5u B %-9s %8llu/%-8llu lost %-6llu %5.1f%% rate  cpu us/pkt dev %5.2f drv %5.2f "
           "app %5.2f  latency p50/p99 %6.1f %7.1f us  period error p50/p99 %6.1f %7.1f us%s\n",
           p->rate, p->bytes, p->bulk ? "bulk" : "interrupt", (unsigned long long)f->delivered,
           (unsigned long long)f->produced, (unsigned long long)f->lost,
           p->rate > 0 ? 100 * f->rate_hz / p->rate : 0, f->cpu_us_pp[BRUN_DEVICE],
           f->cpu_us_pp[BRUN_DRIVER], f->cpu_us_pp[BRUN_APP], f->latency_us[BRUN_P50],
           f->latency_us[BRUN_P99], f->period_us[BRUN_P50], f->period_us[BRUN_P99],
           p->sustained ? "" : "  NOT SUSTAINED");
}

static double cpu_pp(const struct bench_scale_point *p)
{
    return p->f.cpu_us_pp[BRUN_DEVICE] + p->f.cpu_us_pp[BRUN_DRIVER] + p->f.cpu_us_pp[BRUN_APP];
}

int bench_scale_main(struct cli_opts *o)
{
    int json = o->own[BENCH_SCALE_JSON].set;
    const char *html = o->own[BENCH_SCALE_HTML].set ? o->own[BENCH_SCALE_HTML].s : NULL;
    int secs = o->own[BENCH_SCALE_SECONDS].set ? (int)o->own[BENCH_SCALE_SECONDS].u : 3;
    double max_target = o->own[BENCH_SCALE_MAX_RATE].set ? (double)o->own[BENCH_SCALE_MAX_RATE].u : 1e5;
    static struct bench_scale_point pts[NFIXED + NRAMP];
    memset(pts, 0, sizeof pts);
    int n = 0, lost_fixed = 0;
    double max_rate = 0, stop_rate = 0;
    proc_catch_signals();
    if (!json)
        printf("end to end on the usbip backend, %d s per point (device FIFO 10 ms of packets, ring "
               "%d slots)\n", secs, RING_SLOTS);
    for (int i = 0; i < NFIXED && !proc_interrupted(); i++, n++) {
        if (measure(&pts[n], fixed[i].period_us, fixed[i].bytes, fixed[i].bulk, secs) != 0)
            return XC_ENV;
        lost_fixed += pts[n].f.lost > 0 || !pts[n].f.pass;
        if (pts[n].sustained && pts[n].bytes == 112 && pts[n].rate > max_rate)
            max_rate = pts[n].rate;
        if (!json)
            print_point(&pts[n]), fflush(stdout);
    }
    /* past 10000/s: 112-byte bulk until the first rate the path does not sustain */
    for (int i = 0; i < NRAMP && 1e6 / (double)ramp[i].period_us <= max_target + 1 &&
                    !proc_interrupted(); i++, n++) {
        pts[n].ramp = 1;
        if (measure(&pts[n], ramp[i].period_us, ramp[i].bytes, ramp[i].bulk, secs) != 0)
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
        json_object_set_new(j, "seconds_per_point", json_integer(secs));
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else {
        printf("cpu us/packet of the three processes together: %.2f at 10000/s, %.2f at 100/s "
               "(ratio %.3f)\n", cpu_pp(&pts[4]), cpu_pp(&pts[0]), r_cpu);
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
                             .help = "length of each point (default 3)"},
    [BENCH_SCALE_MAX_RATE] = {.name = "max-rate", .kind = ARG_U64, .meta = "R", .lo = 100,
                              .hi = 100000,
                              .help = "go no further than R packets/s past 10000/s (default 100000;\n"
                                      "10000 or less: only the fixed points)"},
};

const struct cli_cmd bench_scale_cmd = {
    .name = "scale",
    .help = "Run the whole path end to end on the default backend at 100, 1000, 4000, 8000 and\n"
            "10000 packets/s of 112 bytes and 1 KiB bulk at 10000/s, then past 10000/s until it\n"
            "loses: delivered/lost, CPU per packet of each process, latency, period error; the\n"
            "highest rate sustained with no loss.\n",
    .opts = bench_scale_opts, .nopts = BENCH_SCALE_COUNT, .run = bench_scale_main};

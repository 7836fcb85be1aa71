/* fuzz — see fuzz.h. */
#include "harness/fuzz.h"
#include "harness/outdir.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/fault.h"
#include "harness/args.h"
#include "harness/backend.h"
#include "harness/proc.h"
#include "harness/run.h"
#include "harness/vmrun.h"
#include "sim/exitcode.h"

/* ---- the campaign ---------------------------------------------------------------------------- */

struct fz_fail {
    uint64_t index, found_after; /* found_after: campaign runs done when it failed */
    enum fz_inv inv;
    char why[512];
    char file[512], min_file[512];
    unsigned shrink_runs;
    size_t events[2];      /* before, after shrinking */
    int64_t duration_ms[2];
};

struct fz {
    uint64_t seed, runs;
    double budget_s, scale;
    unsigned shard_k, shard_n, shrink_runs, max_failures;
    const char *out, *json, *backend;
    const char *out_shown; /* --out-shown (hidden): the folder kept files are named under */
    const char *app, *exec; /* the user's program (run.h), or NULL */
    int outfd; /* the --out folder once a failure is kept (outdir.h), else -1 */
    bool quiet, list, tty, has_runs, precise;
    /* progress */
    int64_t t0;
    uint64_t done, total_runs;
    size_t nfail;
    struct fz_fail *fails;
};

static double elapsed_s(const struct fz *z)
{
    return (double)(proc_now_ns() - z->t0) / 1e9;
}

/* Runs sc (scenario time) once at the campaign's time scale. 0, or 3 when the backend cannot
 * run; *mask gets the invariants broken, why the reason of `want` (-1: of the first). */
static int run_once(struct fz *z, const struct scn_scenario *sc, int want, unsigned *mask,
                    char *why, size_t len)
{
    struct scn_scenario x = *sc;
    if (z->scale != 1.0)
        scn_time_scale(&x, z->scale);
    struct run_opts o = {.backend = z->backend, .app_command = z->app, .exec_command = z->exec};
    struct vfy_result r;
    memset(&r, 0, sizeof r);
    int rc = run_one(&x, &o, &r);
    z->total_runs++;
    if (rc != 0)
        return rc;
    *mask = want < 0 ? fz_violations(&x, &r, why, len)
                     : fz_violations_of(&x, &r, (enum fz_inv)want, why, len);
    vfy_free(&r);
    return 0;
}

struct shrinking {
    struct fz *z;
    enum fz_inv inv; /* the invariant the candidates must still break */
};

/* fz_still_fails for a campaign: up to two runs (timing is noisy), within *left runs; -1 once
 * interrupted. why: the reason, as that run gave it. */
static int still_fails(void *ctx, const struct scn_scenario *sc, unsigned *left, char *why,
                       size_t len)
{
    const struct shrinking *s = ctx;
    for (int tries = 0; tries < 2 && *left > 0; tries++) {
        if (proc_interrupted())
            return -1;
        unsigned mask = 0;
        --*left;
        if (run_once(s->z, sc, (int)s->inv, &mask, why, len) != 0)
            return 0;
        if (mask & (1u << s->inv))
            return 1;
    }
    return proc_interrupted() ? -1 : 0;
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

/* Writes a kept scenario as a new file STEM.yaml in the --out folder (a fresh name if one is
 * there already: never over a file, never through a symlink); path receives DIR/NAME. */
static int write_case(struct fz *z, const char *stem, char *path, size_t cap,
                      const struct scn_scenario *sc, const struct fz_fail *f, const char *why,
                      const char *note)
{
    char err[512], name[256];
    if (z->outfd < 0 && (z->outfd = od_open(z->out, err, sizeof err)) < 0) {
        fprintf(stderr, "usbsim fuzz: %s\n", err);
        return -1;
    }
    FILE *out = od_create(z->outfd, stem, ".yaml", name, sizeof name);
    /* Inside the VM, --out is a run directory; the files are shown where they will be. */
    snprintf(path, cap, "%s/%s", z->out_shown ? z->out_shown : z->out, out ? name : stem);
    if (!out) {
        fprintf(stderr, "usbsim fuzz: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(out, "# usbsim fuzz: seed %" PRIu64 ", index %" PRIu64 ", time scale %g%s\n", z->seed,
            f->index, z->scale, note);
    fprintf(out, "# violated invariant: %s: %s\n", fz_inv_name(f->inv), why);
    fprintf(out, "# reproduce: usbsim run %s", path);
    if (z->scale != 1.0)
        fprintf(out, " --time-scale %g", z->scale);
    if (z->app || z->exec) { /* the user's program, quoted for the shell */
        fprintf(out, " --%s '", z->app ? "app" : "exec");
        for (const char *c = z->app ? z->app : z->exec; *c && *c != '\n'; c++)
            fputs(*c == '\'' ? "'\\''" : (char[]){*c, 0}, out);
        fputc('\'', out);
    }
    fputc('\n', out);
    scn_write_yaml(sc, out);
    if (fclose(out) != 0) {
        fprintf(stderr, "usbsim fuzz: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static struct fz_fail *new_fail(struct fz *z)
{
    struct fz_fail *f = realloc(z->fails, (z->nfail + 1) * sizeof *f);
    if (!f)
        return NULL;
    z->fails = f;
    f = &z->fails[z->nfail++];
    memset(f, 0, sizeof *f);
    return f;
}

static void print_fail(const struct fz *z, const char *name, const struct fz_fail *f)
{
    if (z->tty && !z->quiet)
        fputs("\r\033[K", stderr);
    printf("FAIL %s (run %" PRIu64 ") [%s] %s\n    kept %s; shrunk in %u runs to %s (events %zu "
           "-> %zu, duration %" PRId64 " -> %" PRId64 " ms)\n", name, f->found_after,
           fz_inv_name(f->inv), f->why, f->file, f->shrink_runs, f->min_file, f->events[0],
           f->events[1], f->duration_ms[0], f->duration_ms[1]);
    fflush(stdout);
}

/* Keeps a failing scenario, shrinks it, keeps the smallest one. */
static void on_failure(struct fz *z, uint64_t i, const struct scn_scenario *sc, unsigned mask,
                       const char *why)
{
    struct fz_fail *f = new_fail(z);
    if (!f)
        return;
    f->index = i;
    f->found_after = z->done;
    f->inv = fz_first(mask);
    snprintf(f->why, sizeof f->why, "%s", why);
    one_line(f->why);
    char stem[64];
    snprintf(stem, sizeof stem, "fail-%" PRIu64 "-%" PRIu64, z->seed, i);
    write_case(z, stem, f->file, sizeof f->file, sc, f, f->why, "");
    struct scn_scenario cur = *sc;
    char why_min[512];
    snprintf(why_min, sizeof why_min, "%s", f->why);
    struct shrinking ctx = {z, f->inv};
    fz_shrink(&cur, z->shrink_runs, still_fails, &ctx, &f->shrink_runs, why_min, sizeof why_min);
    one_line(why_min);
    f->events[0] = sc->device.n_events + sc->consumer.n_events;
    f->events[1] = cur.device.n_events + cur.consumer.n_events;
    f->duration_ms[0] = sc->duration_ns / FZ_MS;
    f->duration_ms[1] = cur.duration_ns / FZ_MS;
    char note[96];
    snprintf(note, sizeof note, ", shrunk in %u runs", f->shrink_runs);
    strcat(stem, ".min");
    write_case(z, stem, f->min_file, sizeof f->min_file, &cur, f, why_min, note);
    print_fail(z, sc->name, f);
}

static void progress(const struct fz *z)
{
    if (!z->tty || z->quiet)
        return;
    double t = elapsed_s(z), rate = t > 0 ? (double)z->total_runs / t : 0;
    uint64_t mine = z->runs > z->shard_k - 1 ? (z->runs - z->shard_k) / z->shard_n + 1 : 0;
    double left = z->has_runs ? (rate > 0 && mine > z->done ? (double)(mine - z->done) / rate : 0)
                              : z->budget_s - t;
    fprintf(stderr, "\r\033[Kfuzz: %" PRIu64 " runs, %zu failures, %.1f runs/s, %.0f s left",
            z->done, z->nfail, rate, left > 0 ? left : 0);
}

static bool more(const struct fz *z, uint64_t i)
{
    if (proc_interrupted() || (z->max_failures && z->nfail >= z->max_failures))
        return false;
    return z->has_runs ? i < z->runs : elapsed_s(z) < z->budget_s;
}

/* Scenario i; with the user's program, without consumer work or stalls (only the built-in
 * application plays them: the user's program does its own), and the device's packets of the
 * size the program is written for (the default device's): the campaign varies timing. */
static void generate(const struct fz *z, uint64_t i, struct scn_scenario *sc)
{
    fz_generate(z->seed, i, sc);
    if (z->app || z->exec) {
        struct scn_scenario d;
        scn_defaults(&d);
        sc->device.packet_size = d.device.packet_size;
        sc->consumer.work.kind = SCN_DIST_NONE;
        sc->consumer.n_events = 0;
    }
}

static int campaign(struct fz *z)
{
    for (uint64_t i = z->shard_k - 1; more(z, i); i += z->shard_n) {
        struct scn_scenario sc;
        generate(z, i, &sc);
        if (z->precise) /* --precise: the device's own timing adds no jitter of the machine's */
            sc.device.timing = SCN_TIMING_PRECISE;
        unsigned mask = 0;
        char why[512];
        if (run_once(z, &sc, -1, &mask, why, sizeof why) != 0)
            return XC_ENV;
        z->done++;
        if (mask)
            on_failure(z, i, &sc, mask, why);
        progress(z);
    }
    if (z->tty && !z->quiet)
        fputs("\r\033[K", stderr);
    return 0;
}

static int list(const struct fz *z)
{
    for (uint64_t i = z->shard_k - 1; i < z->runs; i += z->shard_n) {
        struct scn_scenario sc;
        char line[1024];
        generate(z, i, &sc);
        fz_summary(&sc, line, sizeof line);
        printf("%" PRIu64 " %s\n", i, line);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static int write_json(const struct fz *z, double wall)
{
    json_t *fails = json_array();
    for (size_t i = 0; i < z->nfail; i++) {
        const struct fz_fail *f = &z->fails[i];
        json_array_append_new(
            fails, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:i,s:{s:I,s:I},s:{s:I,s:I}}", "index",
                             (json_int_t)f->index, "found_after_runs", (json_int_t)f->found_after,
                             "invariant", fz_inv_name(f->inv), "reason", f->why, "file", f->file,
                             "min_file", f->min_file, "shrink_runs", (int)f->shrink_runs,
                             "events", "before", (json_int_t)f->events[0], "after",
                             (json_int_t)f->events[1], "duration_ms", "before",
                             (json_int_t)f->duration_ms[0], "after",
                             (json_int_t)f->duration_ms[1]));
    }
    char seed[24], shard[32];
    snprintf(seed, sizeof seed, "%" PRIu64, z->seed);
    snprintf(shard, sizeof shard, "%u/%u", z->shard_k, z->shard_n);
    json_t *o = json_pack("{s:s,s:i,s:s,s:s,s:f,s:I,s:I,s:i,s:o,s:f,s:f,s:s*}", "format",
                          "usbsim-fuzz", "version", 1, "seed", seed, "shard", shard,
                          "time_scale", z->scale, "runs", (json_int_t)z->done, "total_runs",
                          (json_int_t)z->total_runs, "failed", (int)z->nfail, "failures", fails,
                          "wall_s", wall, "runs_per_s",
                          wall > 0 ? (double)z->total_runs / wall : 0.0, "fault", fault_active());
    int rc = o ? json_dump_file(o, z->json, JSON_INDENT(2)) : -1;
    json_decref(o);
    if (rc != 0)
        fprintf(stderr, "usbsim fuzz: cannot write %s\n", z->json);
    return rc;
}

/* ---- options --------------------------------------------------------------------------------- */

static const char help_text[] =
    "Generate timing scenarios from a seed (jitter, device stalls, bursts, halts, disconnects,\n"
    "corruption, consumer work and stalls, ring sizes, overflow policies, doorbell modes), run\n"
    "each end to end and check the invariants that hold for every scenario: no unexplained\n"
    "loss, no duplicate, no reorder, every corrupted packet caught, no crash or hang, ring\n"
    "occupancy within its slots, wake-ups within packets, drain and wake-up latency bounded;\n"
    "with --exec, no packet lost at the device's FIFO that a host reading on time receives.\n"
    "A failure is kept as DIR/fail-SEED-I.yaml, then shrunk to DIR/fail-SEED-I.min.yaml.\n"
    "Exit 0 no failure, 1 a failure, 2 bad usage, 3 backend unusable.\n";

static int usage(const char *fmt, const char *arg)
{
    return arg_usage("fuzz", fmt, arg);
}

/* A backend that is not local (vm): the same campaign, with the user's own option words (fuzz
 * takes no file), on the kernel backend inside the VM in one boot; failures and the JSON summary
 * come back to --out. */
static int campaign_in_vm(const struct fz *z, const struct cli_opts *o)
{
    static const char *const dropped[] = {"backend", "out", "json", "out-shown", NULL};
    /* The kept files are written to the VM's /out and shown where they will be: --out. */
    const char *const extra[] = {"--out", "/out", "--json", "/out/fuzz.json", "--out-shown",
                                 z->out, NULL};
    struct vmr_cmd c = {.command = "fuzz", .inner_backend = be_find(z->backend)->inner,
                        .words = o->words, .n_words = (size_t)o->nwords,
                        .dropped = dropped, .extra = extra, .hostfs = z->exec != NULL};
    char err[512];
    int dirfd = od_open(z->out, err, sizeof err);
    if (dirfd < 0) {
        fprintf(stderr, "usbsim fuzz: %s\n", err);
        return XC_USAGE;
    }
    close(dirfd);
    /* The VM's own watchdog: generous, from the campaign's size (TCG is slow). */
    char timeout[32], from[4096];
    snprintf(timeout, sizeof timeout, "%.0f",
             (z->budget_s > 0 ? z->budget_s : (double)z->runs * 10.0) + 300);
    setenv("VM_TIMEOUT", timeout, 0);
    int rc = vmr_command(&c, z->out, NULL);
    snprintf(from, sizeof from, "%s/fuzz.json", z->out);
    if (rc >= 0 && rc != 3 && z->json && rename(from, z->json) != 0)
        fprintf(stderr, "usbsim fuzz: no summary came back from the VM (%s)\n", from);
    return proc_interrupted() ? XC_SIGNAL + proc_interrupt_signal() : rc < 0 ? 1 : rc;
}

/* The campaign from the parsed options; 0, or the exit code of bad usage. */
static int parse_args(struct fz *z, const struct cli_opts *o)
{
    const struct arg_val *v = o->own;
    if (o->has_seed)
        z->seed = o->seed;
    z->scale = o->time_scale;
    z->backend = o->backend;
    z->quiet = o->quiet;
    z->has_runs = v[FZ_OPT_RUNS].set || !v[FZ_OPT_BUDGET].set;
    if (v[FZ_OPT_RUNS].set)
        z->runs = v[FZ_OPT_RUNS].u;
    if (v[FZ_OPT_BUDGET].set)
        z->budget_s = v[FZ_OPT_BUDGET].d;
    if (v[FZ_OPT_SHARD].set) {
        z->shard_k = (unsigned)v[FZ_OPT_SHARD].u;
        z->shard_n = (unsigned)v[FZ_OPT_SHARD].u2;
    }
    if (v[FZ_OPT_OUT].set)
        z->out = v[FZ_OPT_OUT].s;
    if (v[FZ_OPT_JSON].set)
        z->json = v[FZ_OPT_JSON].s;
    if (v[FZ_OPT_SHRINK].set)
        z->shrink_runs = (unsigned)v[FZ_OPT_SHRINK].u;
    if (v[FZ_OPT_MAXFAIL].set)
        z->max_failures = (unsigned)v[FZ_OPT_MAXFAIL].u;
    z->list = v[FZ_OPT_LIST].set;
    z->app = v[FZ_OPT_APP].set ? v[FZ_OPT_APP].s : NULL;
    z->exec = v[FZ_OPT_EXEC].set ? v[FZ_OPT_EXEC].s : NULL;
    if (z->app && z->exec)
        return usage("%s--app and --exec are one or the other", "");
    bool given = false; /* --backend: the VM is the default with --exec */
    for (int i = 0; i < o->nwords; i++)
        given |= strncmp(o->words[i], "--backend", 9) == 0;
    if (z->exec && !given)
        z->backend = "vm";
    const char *refused = be_refused(be_find(z->backend), (z->app ? BE_OPT_APP : 0) |
                                                              (z->exec ? BE_OPT_EXEC : 0));
    if (refused) /* --exec: kernel or vm; --app: usbip or kernel */
        return usage("%s is not taken by this backend (--exec: kernel or vm; --app: usbip or "
                     "kernel)", refused);
    z->precise = v[FZ_OPT_PRECISE].set;
    z->out_shown = v[FZ_OPT_OUT_SHOWN].set ? v[FZ_OPT_OUT_SHOWN].s : NULL;
    if (v[FZ_OPT_BUDGET].set && v[FZ_OPT_RUNS].set)
        return usage("%sgive --runs or --budget-s, not both", "");
    if (v[FZ_OPT_BUDGET].set && z->list)
        return usage("%s--list needs --runs (a budget has no fixed list)", "");
    return 0;
}

static void summary(const struct fz *z, double wall)
{
    printf("fuzz seed %" PRIu64 " shard %u/%u at time scale %g: %" PRIu64 " runs, %zu failures, "
           "%" PRIu64 " runs in all (shrinking included) in %.1f s, %.2f runs/s%s%s\n", z->seed,
           z->shard_k, z->shard_n, z->scale, z->done, z->nfail, z->total_runs, wall,
           wall > 0 ? (double)z->total_runs / wall : 0.0, fault_active() ? ", planted fault: " : "",
           fault_active() ? fault_active() : "");
}

int fz_main(struct cli_opts *o)
{
    struct fz z = {.seed = 1, .runs = 100, .scale = 1.0, .shard_k = 1, .shard_n = 1,
                   .shrink_runs = 40, .out = "fuzz-out", .outfd = -1, .backend = "usbip"};
    int rc = parse_args(&z, o);
    if (rc != 0)
        return rc;
    char err[512];
    if (!z.list && od_check(z.out, err, sizeof err) != 0)
        return usage("--out %s", err);
    if (z.list)
        return list(&z);
    const struct be_backend *be = be_find(z.backend);
    if (be->check(be, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "usbsim fuzz: backend %s: %s\n", be->name, err);
        return XC_ENV;
    }
    if (!be_is_local(be))
        return campaign_in_vm(&z, o);
    z.tty = isatty(STDERR_FILENO);
    z.t0 = proc_now_ns();
    proc_catch_signals();
    rc = campaign(&z);
    double wall = elapsed_s(&z);
    if (rc == 0) {
        summary(&z, wall);
        rc = z.nfail || proc_interrupted() ? 1 : 0;
    }
    if (z.json && rc != 3 && write_json(&z, wall) != 0)
        rc = 1;
    free(z.fails);
    if (z.outfd >= 0)
        close(z.outfd);
    return rc;
}

static const struct arg_opt fz_opts[FZ_OPT_COUNT] = {
    [FZ_OPT_RUNS] = {.name = "runs", .kind = ARG_U64, .lo = 1, .hi = 100000000,
                     .help = "run N scenarios (indices 0..N-1; default 100)"},
    [FZ_OPT_BUDGET] = {.name = "budget-s", .kind = ARG_DOUBLE, .meta = "T", .min = 1, .max = 1e7,
                       .help = "instead of --runs: keep going for T seconds"},
    [FZ_OPT_SHARD] = {.name = "shard", .kind = ARG_SHARD,
                      .help = "run only the indices i with i mod N == K-1 (split a campaign)"},
    [FZ_OPT_OUT] = {.name = "out", .kind = ARG_PATH, .meta = "DIR",
                    .help = "where failures are written (default fuzz-out)"},
    [FZ_OPT_JSON] = {.name = "json", .kind = ARG_PATH, .writes = true,
                     .help = "write a summary: runs, failures with files and invariants, runs/s"},
    [FZ_OPT_SHRINK] = {.name = "shrink-runs", .kind = ARG_U64, .hi = 100000,
                       .help = "runs spent shrinking each failure (default 40, 0: no shrinking)"},
    [FZ_OPT_MAXFAIL] = {.name = "max-failures", .kind = ARG_U64, .hi = 1000000,
                        .help = "stop the campaign after N failures (default 0: never)"},
    [FZ_OPT_LIST] = {.name = "list", .kind = ARG_FLAG,
                     .help = "print the scenarios (index and one-line summary), run nothing"},
    [FZ_OPT_APP] = {.name = "app", .kind = ARG_TEXT, .meta = "COMMAND",
                    .help = "fuzz your application on the ring (run --app; no consumer work)"},
    [FZ_OPT_EXEC] = {.name = "exec", .kind = ARG_TEXT, .meta = "COMMAND",
                     .help = "fuzz your program on a real USB stack (run --exec; vm by default)"},
    [FZ_OPT_PRECISE] = {.name = "precise", .kind = ARG_FLAG,
                        .help = "device.timing: precise in every scenario: the device spins the\n"
                                "last stretch before each due time, so the timing it plays is the\n"
                                "scenario's, not the machine's timer (costs CPU)"},
    [FZ_OPT_OUT_SHOWN] = {.name = "out-shown", .kind = ARG_TEXT, .meta = "DIR", .hidden = true,
                          .help = "inside the VM: the host folder --out's files are shown as"},
};

const struct cli_cmd fz_cmd = {
    .name = "fuzz", .help = help_text,
    .common = CLI_O(CLI_SEED) | CLI_O(CLI_TIME_SCALE) | CLI_O(CLI_BACKEND) | CLI_O(CLI_QUIET),
    .backends = be_name_list,
    .shared_help = (const char *const[CLI_COMMON_COUNT]){
        [CLI_BACKEND] = "usbip (default); kernel: FunctionFS gadget + libusb (root, the USB\n"
                        "gadget modules); vm: the kernel backend inside a Debian kernel in qemu,\n"
                        "failures and the summary brought back to --out",
        [CLI_SEED] = "the campaign's seed (decimal, default 1): same seed and shard, same\n"
                     "scenarios",
        [CLI_TIME_SCALE] = "divide every time by X (e.g. 20 for fast campaigns)",
        [CLI_QUIET] = "no progress line, only failures and the summary"},
    .opts = fz_opts, .nopts = FZ_OPT_COUNT, .run = fz_main};

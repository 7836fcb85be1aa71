/* bench_ring — see bench_ring.h. */
#include "harness/bench_ring.h"

#include "sim/clock.h"
#include "harness/proc.h"

#include <ck_pr.h>
#include <ck_ring.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/doorbell.h"
#include "driver/ring.h"
#include "sim/exitcode.h"

#define PKT 112
#define SLOTS 1024
#define BATCH 32
#define MAX_LAT 4096
#define SPIN 500 /* consumer polls of the ring before it sleeps, at saturation */

enum kind { K_RING, K_CK, K_SOCK };

/* What the consumer process hands back, in memory shared with the producer. */
struct shared {
    _Atomic int ready;
    uint64_t t_end, got, bad;
    uint32_t nlat;
    uint64_t lat[MAX_LAT];
};

struct ck_pkt {
    uint64_t ingress_ns;
    uint8_t bytes[PKT];
};
CK_RING_PROTOTYPE(pkt, ck_pkt)

struct xfer {
    enum kind kind;
    enum usbsim_doorbell_mode mode;
    uint64_t n;
    int64_t period_ns;      /* 0: saturation */
    struct usbsim_ring *r;         /* K_RING */
    struct usbsim_doorbell d;
    struct ck_ring *ck;     /* K_CK: in shared memory */
    struct ck_pkt *ckbuf;
    int sock[2];            /* K_SOCK */
    struct shared *sh;
};

struct sample {
    double mpps, wakeups_pp, doorbells_pp;
};

static void *shared_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void packet(uint8_t *b, uint64_t seq)
{
    for (int i = 0; i < PKT; i++)
        b[i] = (uint8_t)i;
    memcpy(b, &seq, 8);
}

static uint64_t seq_of(const uint8_t *b)
{
    uint64_t s;
    memcpy(&s, b, 8);
    return s;
}

/* ---- consumers (child process) ---- */
static void note(struct xfer *x, uint64_t seq, uint64_t ingress)
{
    struct shared *sh = x->sh;
    sh->bad += seq != sh->got;
    if (x->period_ns && sh->nlat < MAX_LAT)
        sh->lat[sh->nlat++] = (uint64_t)clk_mono_ns() - ingress;
    sh->got++;
}

static int consume_ring(struct xfer *x)
{
    char err[USBSIM_RING_ERR_MAX];
    struct usbsim_ring *c = usbsim_ring_attach_consumer(usbsim_ring_fd(x->r), err);
    if (!c)
        return fprintf(stderr, "bench ring: %s\n", err), 1;
    struct usbsim_doorbell d;
    usbsim_doorbell_adopt(&d, x->d.rfd, -1, x->mode, &usbsim_doorbell_pipe);
    usbsim_doorbell_set_spin(&d, x->period_ns ? 0 : SPIN);
    atomic_store(&x->sh->ready, 1);
    while (x->sh->got < x->n) {
        int k = usbsim_ring_peek(c, 256);
        if (k == 0)
            k = usbsim_doorbell_wait(&d, c, 5000, -1) > 0 ? usbsim_ring_peek(c, 256) : -1;
        if (k < 0)
            return fprintf(stderr, "bench ring: consumer stuck or error: %s\n", usbsim_ring_error(c)), 1;
        for (int i = 0; i < k; i++) {
            struct usbsim_ring_pkt p;
            if (usbsim_ring_get(c, (uint32_t)i, &p) != USBSIM_OK)
                return 1;
            note(x, seq_of(p.bytes), p.ingress_ns);
        }
        usbsim_ring_release(c, (uint32_t)k);
    }
    x->sh->t_end = (uint64_t)clk_mono_ns();
    usbsim_ring_destroy(c);
    return 0;
}

static int consume_ck(struct xfer *x)
{
    struct ck_pkt p;
    atomic_store(&x->sh->ready, 1);
    while (x->sh->got < x->n) {
        if (ck_ring_dequeue_spsc_pkt(x->ck, x->ckbuf, &p))
            note(x, seq_of(p.bytes), p.ingress_ns);
        else
            ck_pr_stall();
    }
    x->sh->t_end = (uint64_t)clk_mono_ns();
    return 0;
}

static int consume_sock(struct xfer *x)
{
    struct ck_pkt p;
    close(x->sock[0]);
    atomic_store(&x->sh->ready, 1);
    while (x->sh->got < x->n) {
        if (recv(x->sock[1], &p, sizeof p, 0) != (ssize_t)sizeof p)
            return 1;
        note(x, seq_of(p.bytes), p.ingress_ns);
    }
    x->sh->t_end = (uint64_t)clk_mono_ns();
    return 0;
}

/* ---- producers (parent process) ---- */
static void pace(const struct xfer *x, uint64_t t0, uint64_t i)
{
    if (!x->period_ns)
        return;
    uint64_t due = t0 + i * (uint64_t)x->period_ns;
    struct timespec ts = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static int produce_ring(struct xfer *x, uint64_t t0)
{
    uint8_t tmpl[PKT];
    packet(tmpl, 0);
    uint32_t batch = x->period_ns || x->mode == USBSIM_DOORBELL_ALWAYS ? 1 : BATCH; /* always: per packet */
    for (uint64_t sent = 0; sent < x->n;) {
        pace(x, t0, sent);
        uint32_t got, want = x->n - sent < batch ? (uint32_t)(x->n - sent) : batch;
        if (usbsim_ring_reserve(x->r, want, &got) != USBSIM_OK)
            return -1;
        uint64_t t = (uint64_t)clk_mono_ns(); /* one ingress time per batch, as a USB transfer has */
        for (uint32_t k = 0; k < got; k++) {
            uint8_t *b = usbsim_ring_slot_bytes(x->r, k);
            uint64_t seq = sent + k;
            memcpy(b, tmpl, PKT);
            memcpy(b, &seq, 8);
            usbsim_ring_slot_meta(x->r, k, PKT, 0, t);
        }
        usbsim_doorbell_commit(&x->d, x->r, got);
        sent += got;
    }
    return 0;
}

static int produce_ck(struct xfer *x, uint64_t t0)
{
    struct ck_pkt p;
    packet(p.bytes, 0);
    for (uint64_t i = 0; i < x->n; i++) {
        pace(x, t0, i);
        if (i % BATCH == 0 || x->period_ns)
            p.ingress_ns = (uint64_t)clk_mono_ns();
        memcpy(p.bytes, &i, 8);
        while (!ck_ring_enqueue_spsc_pkt(x->ck, x->ckbuf, &p))
            ck_pr_stall();
    }
    return 0;
}

static int produce_sock(struct xfer *x, uint64_t t0)
{
    struct ck_pkt p;
    packet(p.bytes, 0);
    for (uint64_t i = 0; i < x->n; i++) {
        pace(x, t0, i);
        if (i % BATCH == 0 || x->period_ns)
            p.ingress_ns = (uint64_t)clk_mono_ns();
        memcpy(p.bytes, &i, 8);
        if (send(x->sock[0], &p, sizeof p, MSG_NOSIGNAL) != (ssize_t)sizeof p)
            return -1;
    }
    return 0;
}

/* ---- one measurement ---- */
static int setup(struct xfer *x)
{
    char err[USBSIM_RING_ERR_MAX];
    if (x->kind == K_RING) {
        struct usbsim_ring_config cfg = {SLOTS, PKT, USBSIM_RING_BLOCK, 10000000000ull, 0, NULL};
        x->r = usbsim_ring_create(&cfg, err);
        if (!x->r || usbsim_doorbell_open(&x->d, x->mode, NULL) != 0)
            return fprintf(stderr, "bench ring: %s\n", x->r ? "no doorbell" : err), -1;
    } else if (x->kind == K_CK) {
        size_t bytes = sizeof(struct ck_ring) + 64 + SLOTS * sizeof(struct ck_pkt);
        uint8_t *m = shared_alloc(bytes);
        if (!m)
            return -1;
        x->ck = (struct ck_ring *)m;
        x->ckbuf = (struct ck_pkt *)(m + ((sizeof(struct ck_ring) + 63) & ~(size_t)63));
        ck_ring_init(x->ck, SLOTS);
    } else if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sock) != 0) {
        return -1;
    }
    return 0;
}

static void teardown(struct xfer *x)
{
    if (x->kind == K_RING) {
        usbsim_doorbell_close(&x->d);
        usbsim_ring_destroy(x->r);
    } else if (x->kind == K_CK) {
        munmap(x->ck, sizeof(struct ck_ring) + 64 + SLOTS * sizeof(struct ck_pkt));
    } else {
        close(x->sock[0]);
        close(x->sock[1]);
    }
}

static int (*const consumers[])(struct xfer *) = {consume_ring, consume_ck, consume_sock};
static int (*const producers[])(struct xfer *, uint64_t) = {produce_ring, produce_ck, produce_sock};

static int consume_entry(void *arg)
{
    struct xfer *x = arg;
    return consumers[x->kind](x);
}

/* Runs one transfer between two processes; fills *s. 0 ok, 1 lost/corrupt, -1 cannot run. */
static int measure(struct xfer *x, struct sample *s)
{
    x->sh = shared_alloc(sizeof *x->sh);
    if (!x->sh || setup(x) != 0)
        return -1;
    /* The consumer is a proc_start child: it dies with this process (a bench killed midway
     * leaves no consumer spinning). */
    struct proc child;
    pid_t pid = proc_start(&child, "consumer", consume_entry, x) == 0 ? child.pid : -1;
    while (pid > 0 && !atomic_load(&x->sh->ready) && waitpid(pid, NULL, WNOHANG) == 0)
        usleep(100);
    uint64_t t0 = (uint64_t)clk_mono_ns();
    int prc = pid > 0 ? producers[x->kind](x, t0) : -1;
    if (x->kind == K_SOCK)
        close(x->sock[0]), x->sock[0] = -1;
    int st = 0;
    if (pid > 0 && prc != 0)
        kill(pid, SIGKILL);
    if (pid > 0)
        waitpid(pid, &st, 0);
    int ok = pid > 0 && prc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
             x->sh->got == x->n && x->sh->bad == 0;
    s->mpps = ok ? (double)x->n / (double)(x->sh->t_end - t0) * 1e3 : 0;
    s->wakeups_pp = s->doorbells_pp = 0;
    if (x->kind == K_RING) {
        struct usbsim_ring_stats rs;
        usbsim_ring_stats(x->r, &rs);
        s->wakeups_pp = (double)rs.wakeups / (double)x->n;
        s->doorbells_pp = (double)rs.doorbells / (double)x->n;
    }
    if (x->kind == K_SOCK)
        x->sock[0] = dup(x->sock[1]); /* teardown closes both */
    teardown(x);
    return ok ? 0 : 1;
}

/* ---- statistics ---- */
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

#define MAX_RUNS 51

struct series {
    double v[MAX_RUNS];
    size_t n;
};

static void add(struct series *s, double v)
{
    if (s->n < MAX_RUNS)
        s->v[s->n++] = v;
}

static double med(struct series *s)
{
    return quantile(s->v, s->n, 0.5);
}

struct results {
    struct series ring, ring_always, ck, sock, r_ck, r_sock, wk_sat, wk_sat_always, wk_100,
        wk_100_always, db_100;
    double *lat;
    size_t nlat;
    int failures, runs;
};

static int run_one(struct results *R, enum kind k, enum usbsim_doorbell_mode m, uint64_t n, int64_t period,
                   struct sample *s)
{
    struct xfer x = {.kind = k, .mode = m, .n = n, .period_ns = period};
    int rc = measure(&x, s);
    if (rc > 0)
        R->failures++;
    if (rc == 0 && period)
        for (uint32_t i = 0; i < x.sh->nlat && R->lat; i++)
            R->lat[R->nlat++] = (double)x.sh->lat[i] / 1000.0;
    munmap(x.sh, sizeof *x.sh);
    return rc;
}

static int run_all(struct results *R, uint64_t n_sat)
{
    for (int i = 0; i < R->runs; i++) {
        struct sample a, b, c, d;
        if (run_one(R, K_RING, USBSIM_DOORBELL_SUPPRESSED, n_sat, 0, &a) < 0 ||
            run_one(R, K_CK, USBSIM_DOORBELL_SUPPRESSED, n_sat / 2, 0, &b) < 0 ||
            run_one(R, K_SOCK, USBSIM_DOORBELL_SUPPRESSED, n_sat / 20, 0, &c) < 0 ||
            run_one(R, K_RING, USBSIM_DOORBELL_ALWAYS, n_sat / 20, 0, &d) < 0)
            return -1;
        add(&R->ring, a.mpps), add(&R->ck, b.mpps), add(&R->sock, c.mpps);
        add(&R->ring_always, d.mpps);
        add(&R->r_ck, b.mpps > 0 ? a.mpps / b.mpps : 0);
        add(&R->r_sock, c.mpps > 0 ? a.mpps / c.mpps : 0);
        add(&R->wk_sat, a.wakeups_pp), add(&R->wk_sat_always, d.wakeups_pp);
    }
    int slow_runs = R->runs < 3 ? R->runs : 3;
    for (int i = 0; i < slow_runs; i++) {
        struct sample a, d;
        if (run_one(R, K_RING, USBSIM_DOORBELL_SUPPRESSED, 100, 10000000, &a) < 0 ||
            run_one(R, K_RING, USBSIM_DOORBELL_ALWAYS, 100, 10000000, &d) < 0)
            return -1;
        add(&R->wk_100, a.wakeups_pp), add(&R->wk_100_always, d.wakeups_pp);
        add(&R->db_100, a.doorbells_pp);
    }
    return 0;
}

static void print_text(struct results *R, double p50, double p99, double mx)
{
    double ring = med(&R->ring);
    printf("ring transport, two processes, %d-byte packets, %u slots, medians of %d runs\n", PKT,
           SLOTS, R->runs);
    printf("(producer commits batches of %d; the ring's consumer polls %d times before it sleeps)\n",
           BATCH, SPIN);
    printf("  %-34s %8.2f Mpkt/s  %6.1f ns/packet  wake-ups/packet %.5f\n",
           "ring (suppressed doorbell)", ring, ring > 0 ? 1e3 / ring : 0, med(&R->wk_sat));
    printf("  %-34s %8.2f Mpkt/s  wake-ups/packet %.5f\n", "ring (always, 1 packet/commit)",
           med(&R->ring_always), med(&R->wk_sat_always));
    printf("  %-34s %8.2f Mpkt/s  ratio ring/ck_ring %.2f\n", "ck_ring SPSC (polling consumer)",
           med(&R->ck), med(&R->r_ck));
    printf("  %-34s %8.2f Mpkt/s  ratio ring/socket %.1f\n", "SOCK_SEQPACKET, 1 message/packet",
           med(&R->sock), med(&R->r_sock));
    printf("at 100 packets/s (10 ms period, consumer asleep between packets):\n");
    printf("  wake-ups/packet: suppressed %.3f, always %.3f (doorbells/packet %.3f)\n",
           med(&R->wk_100), med(&R->wk_100_always), med(&R->db_100));
    printf("  enqueue-to-dequeue latency: p50 %.1f us, p99 %.1f us, max %.1f us (%zu packets)\n",
           p50, p99, mx, R->nlat);
    if (R->failures)
        printf("FAILED: %d run(s) lost or corrupted packets\n", R->failures);
}

static int print_json(struct results *R, double p50, double p99, double mx)
{
    double ring = med(&R->ring);
    json_t *o = json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:{s:f, s:f, s:f}, s:i, s:i, s:i, s:i}",
        "ring_mpps", ring, "ck_ring_mpps", med(&R->ck), "socket_mpps", med(&R->sock),
        "ratio_vs_ck_ring", med(&R->r_ck), "ratio_vs_socket", med(&R->r_sock), "ns_per_packet",
        ring > 0 ? 1e3 / ring : 0.0, "wakeups_per_packet_saturated", med(&R->wk_sat),
        "wakeups_per_packet_100hz", med(&R->wk_100), "ring_always_mpps", med(&R->ring_always),
        "wakeups_per_packet_saturated_always", med(&R->wk_sat_always),
        "wakeups_per_packet_100hz_always", med(&R->wk_100_always), "latency_us_100hz", "p50", p50,
        "p99", p99, "max", mx, "runs", R->runs, "packet_bytes", PKT, "slots", SLOTS, "failures",
        R->failures);
    if (!o)
        return -1;
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    printf("\n");
    json_decref(o);
    return rc;
}

int bench_ring_main(struct cli_opts *o)
{
    int json = o->own[BENCH_RING_JSON].set;
    int runs = o->own[BENCH_RING_RUNS].set ? (int)o->own[BENCH_RING_RUNS].u : 5;
    struct results R = {.runs = runs};
    R.lat = calloc(MAX_LAT, sizeof *R.lat);
    if (!R.lat || run_all(&R, 2000000) != 0) {
        free(R.lat);
        fprintf(stderr, "usbsim bench ring: cannot set up the transfer (fork, mmap or socket)\n");
        return XC_ENV;
    }
    double p50 = quantile(R.lat, R.nlat, 0.5), p99 = quantile(R.lat, R.nlat, 0.99);
    double mx = quantile(R.lat, R.nlat, 1.0);
    if (json)
        print_json(&R, p50, p99, mx);
    else
        print_text(&R, p50, p99, mx);
    free(R.lat);
    return R.failures ? 1 : 0;
}

static const struct arg_opt bench_ring_opts[BENCH_RING_COUNT] = {
    [BENCH_RING_JSON] = {.name = "json", .kind = ARG_FLAG,
                         .help = "print the figures as one JSON object on standard output"},
    [BENCH_RING_RUNS] = {.name = "runs", .kind = ARG_U64, .lo = 1, .hi = MAX_RUNS,
                         .help = "runs of each measurement; medians are reported (default 5)"},
};

const struct cli_cmd bench_ring_cmd = {
    .name = "ring",
    .help = "Measure the ring transport between two processes against ck_ring and one\n"
            "SOCK_SEQPACKET message per packet: packets per second, ns per packet, wake-ups per\n"
            "packet at saturation and at 100 packets/s, enqueue-to-dequeue latency.\n",
    .opts = bench_ring_opts, .nopts = BENCH_RING_COUNT, .run = bench_ring_main};

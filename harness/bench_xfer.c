/* bench_xfer — see bench_xfer.h. */
#include "harness/bench_xfer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/proc.h"
#include "sim/clock.h"

#define SPIN 4000 /* ring consumer: polls (each with a pause, ~50 ns) before it sleeps, at
                   * saturation: about 200 us, longer than a producer that found the ring full
                   * sleeps (20 us asked, 60-100 us on a VM), so one preemption does not drop
                   * the pair into sleeping in turn */

uint64_t bxfer_now_ns(void)
{
    return (uint64_t)clk_mono_ns();
}

void *bxfer_shared_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void bxfer_template(uint8_t b[BXFER_PKT])
{
    for (int i = 0; i < BXFER_PKT; i++)
        b[i] = (uint8_t)i;
}

void bxfer_set_seq(uint8_t *b, uint64_t seq)
{
    memcpy(b, &seq, 8);
}

uint64_t bxfer_ingress_ns(const struct bxfer *x)
{
    return x->period_ns ? bxfer_now_ns() : 0;
}

void bxfer_note(struct bxfer *x, const uint8_t *copy, uint64_t ingress_ns)
{
    struct bxfer_shared *sh = x->sh;
    uint64_t seq;
    memcpy(&seq, copy, 8);
    sh->bad += seq != sh->got || copy[BXFER_PKT - 1] != BXFER_PKT - 1;
    if (x->period_ns && sh->nlat < BXFER_MAX_LAT)
        sh->lat[sh->nlat++] = bxfer_now_ns() - ingress_ns;
    sh->got++;
}

static void sleep_until(uint64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

void bxfer_pace(const struct bxfer *x, uint64_t t0, uint64_t i)
{
    if (!x->period_ns)
        return;
    uint64_t due = t0 + i * (uint64_t)x->period_ns;
    if (x->companion) {
        sleep_until(due - (uint64_t)x->period_ns / 2);
        bfloor_wake_ring(x->companion);
    }
    sleep_until(due);
}

/* ---- our ring, with its doorbell ---- */
static int ring_setup(struct bxfer *x)
{
    char err[USBSIM_RING_ERR_MAX];
    struct usbsim_ring_config cfg = {BXFER_SLOTS, BXFER_PKT, USBSIM_RING_BLOCK, 10000000000ull, 0, NULL};
    x->r = usbsim_ring_create(&cfg, err);
    if (!x->r || usbsim_doorbell_open(&x->d, x->mode, NULL) != 0) {
        fprintf(stderr, "bench ring: %s\n", x->r ? "no doorbell" : err);
        if (x->r)
            usbsim_ring_destroy(x->r);
        return -1;
    }
    return 0;
}

static void ring_teardown(struct bxfer *x)
{
    usbsim_doorbell_close(&x->d);
    usbsim_ring_destroy(x->r);
}

static int ring_produce(struct bxfer *x, uint64_t t0)
{
    uint8_t tmpl[BXFER_PKT];
    bxfer_template(tmpl);
    uint32_t batch = x->period_ns || x->mode == USBSIM_DOORBELL_ALWAYS ? 1 : x->batch;
    for (uint64_t sent = 0; sent < x->n;) {
        bxfer_pace(x, t0, sent);
        uint32_t got, want = x->n - sent < batch ? (uint32_t)(x->n - sent) : batch;
        if (usbsim_ring_reserve(x->r, want, &got) != USBSIM_OK)
            return -1;
        uint64_t t = bxfer_ingress_ns(x); /* one ingress time per commit, as a USB transfer has */
        for (uint32_t k = 0; k < got; k++) {
            uint8_t *b = usbsim_ring_slot_bytes(x->r, k);
            memcpy(b, tmpl, BXFER_PKT);
            bxfer_set_seq(b, sent + k);
            usbsim_ring_slot_meta(x->r, k, BXFER_PKT, 0, t);
        }
        usbsim_doorbell_commit(&x->d, x->r, got);
        sent += got;
    }
    return 0;
}

static int ring_consume(struct bxfer *x)
{
    char err[USBSIM_RING_ERR_MAX];
    struct usbsim_ring *c = usbsim_ring_attach_consumer(usbsim_ring_fd(x->r), err);
    if (!c)
        return fprintf(stderr, "bench ring: %s\n", err), 1;
    struct usbsim_doorbell d;
    usbsim_doorbell_adopt(&d, x->d.rfd, -1, x->mode, &usbsim_doorbell_pipe); /* as the client does */
    usbsim_doorbell_set_spin(&d, x->period_ns ? 0 : SPIN);
    uint32_t max = x->mode == USBSIM_DOORBELL_ALWAYS || x->period_ns ? 1 : x->batch;
    uint8_t copy[BXFER_PKT];
    atomic_store(&x->sh->ready, 1);
    while (x->sh->got < x->n) {
        int k = usbsim_ring_peek(c, max);
        if (k == 0)
            k = usbsim_doorbell_wait(&d, c, 5000, -1) > 0 ? usbsim_ring_peek(c, max) : -1;
        if (k < 0)
            return fprintf(stderr, "bench ring: consumer stuck or error: %s\n", usbsim_ring_error(c)), 1;
        for (int i = 0; i < k; i++) {
            struct usbsim_ring_pkt p;
            if (usbsim_ring_get(c, (uint32_t)i, &p) != USBSIM_OK || p.len != BXFER_PKT)
                return 1;
            memcpy(copy, p.bytes, BXFER_PKT);
            bxfer_note(x, copy, p.ingress_ns);
        }
        usbsim_ring_release(c, (uint32_t)k);
    }
    x->sh->t_end = bxfer_now_ns();
    usbsim_ring_destroy(c);
    return 0;
}

const struct bxfer_ops bxfer_ring_ops = {"ring", ring_setup, ring_teardown, ring_produce, ring_consume,
                                         NULL};

/* ---- one measurement ---- */
struct child_arg {
    const struct bxfer_ops *ops;
    struct bxfer *x;
};

static int consume_entry(void *arg)
{
    struct child_arg *a = arg;
    return a->ops->consume(a->x);
}

int bxfer_measure(const struct bxfer_ops *ops, struct bxfer *x, struct bxfer_sample *s)
{
    memset(s, 0, sizeof *s);
    x->sh = bxfer_shared_alloc(sizeof *x->sh);
    if (!x->sh)
        return -1;
    if (ops->setup(x) != 0) {
        bxfer_release(x);
        return -1;
    }
    /* The consumer is a proc_start child: it dies with this process (a bench killed midway
     * leaves no consumer spinning). */
    struct proc child;
    struct child_arg a = {ops, x};
    pid_t pid = proc_start(&child, "consumer", consume_entry, &a) == 0 ? child.pid : -1;
    while (pid > 0 && !atomic_load(&x->sh->ready) && waitpid(pid, NULL, WNOHANG) == 0)
        usleep(100);
    uint64_t t0 = bxfer_now_ns();
    int prc = pid > 0 ? ops->produce(x, t0) : -1;
    if (ops->after_produce)
        ops->after_produce(x);
    int st = 0;
    if (pid > 0 && prc != 0)
        kill(pid, SIGKILL);
    if (pid > 0)
        waitpid(pid, &st, 0);
    int ok = pid > 0 && prc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && x->sh->got == x->n &&
             x->sh->bad == 0;
    s->mpps = ok && x->sh->t_end > t0 ? (double)x->n / (double)(x->sh->t_end - t0) * 1e3 : 0;
    if (ops == &bxfer_ring_ops) {
        struct usbsim_ring_stats rs;
        usbsim_ring_stats(x->r, &rs);
        s->wakeups_pp = (double)rs.wakeups / (double)x->n;
        s->doorbells_pp = (double)rs.doorbells / (double)x->n;
    }
    ops->teardown(x);
    if (pid < 0)
        return -1;
    return ok ? 0 : 1;
}

void bxfer_release(struct bxfer *x)
{
    if (x->sh)
        munmap(x->sh, sizeof *x->sh);
    x->sh = NULL;
}

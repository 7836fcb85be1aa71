/* Unit and stress tests of driver/doorbell: event-index crossing, modes, backends, and at least
 * 10^6 sleep/wake races between two threads that must never lose a wake-up. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/doorbell.h"
#include "tests/cu.h"

static char err[USBSIM_RING_ERR_MAX];

struct pair {
    struct usbsim_ring *p, *c;
    struct usbsim_doorbell d;
};

static void pair_open(struct pair *x, uint32_t slots, enum usbsim_doorbell_mode mode, uint32_t first,
                      const struct usbsim_doorbell_ops *ops)
{
    struct usbsim_ring_config cfg = {slots, 32, USBSIM_RING_BLOCK, 0, first, NULL};
    x->p = usbsim_ring_create(&cfg, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x->p);
    x->c = usbsim_ring_attach_consumer(usbsim_ring_fd(x->p), err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x->c);
    CU_ASSERT_EQUAL_FATAL(usbsim_doorbell_open(&x->d, mode, ops), 0);
}

static void pair_close(struct pair *x)
{
    usbsim_doorbell_close(&x->d);
    usbsim_ring_destroy(x->c);
    usbsim_ring_destroy(x->p);
}

static int push(struct pair *x, uint64_t id)
{
    return usbsim_doorbell_push(&x->d, x->p, &id, sizeof id, 0, id);
}

static int drain_all(struct usbsim_ring *c)
{
    int total = 0, n;
    while ((n = usbsim_ring_peek(c, 16)) > 0) {
        usbsim_ring_release(c, (uint32_t)n);
        total += n;
    }
    return total;
}

static uint64_t doorbells(struct usbsim_ring *r)
{
    struct usbsim_ring_stats s;
    usbsim_ring_stats(r, &s);
    return s.doorbells;
}

static void t_crossing(void)
{
    static const uint32_t firsts[] = {0, UINT32_MAX - 1, UINT32_MAX};
    for (size_t f = 0; f < 3; f++) {
        struct pair x;
        pair_open(&x, 8, USBSIM_DOORBELL_SUPPRESSED, firsts[f], NULL);
        CU_ASSERT_EQUAL(push(&x, 1), USBSIM_OK); /* consumer never armed: no doorbell */
        CU_ASSERT_EQUAL(doorbells(x.p), 0);
        CU_ASSERT_EQUAL(usbsim_ring_arm_wake(x.c), 1); /* pending: would not sleep */
        drain_all(x.c);
        CU_ASSERT_EQUAL(usbsim_ring_arm_wake(x.c), 0); /* empty: may sleep, wake at the next position */
        CU_ASSERT_EQUAL(push(&x, 2), USBSIM_OK);
        CU_ASSERT_EQUAL(doorbells(x.p), 1);
        CU_ASSERT_EQUAL(push(&x, 3), USBSIM_OK); /* already rung for this sleep */
        CU_ASSERT_EQUAL(doorbells(x.p), 1);
        CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 1000, -1), 2);
        drain_all(x.c);
        CU_ASSERT_EQUAL(usbsim_ring_arm_wake(x.c), 0);
        /* a batch commit that crosses the index in its middle rings once */
        uint32_t got;
        CU_ASSERT_EQUAL(usbsim_ring_reserve(x.p, 3, &got), USBSIM_OK);
        for (uint32_t k = 0; k < got; k++)
            usbsim_ring_fill(x.p, k, "abc", 3, 0, 0);
        usbsim_doorbell_commit(&x.d, x.p, got);
        CU_ASSERT_EQUAL(doorbells(x.p), 2);
        /* the fused commit answers as usbsim_ring_commit + usbsim_ring_need_wake would */
        drain_all(x.c);
        CU_ASSERT_EQUAL(usbsim_ring_arm_wake(x.c), 0);
        int wake = -1;
        uint32_t before = usbsim_ring_prod_index(x.p);
        CU_ASSERT_EQUAL(usbsim_ring_commit_wake(x.p, 0, &wake), before); /* nothing reserved */
        CU_ASSERT_EQUAL(wake, 0);
        CU_ASSERT_EQUAL(usbsim_ring_reserve(x.p, 2, &got), USBSIM_OK);
        CU_ASSERT_EQUAL(got, 2);
        CU_ASSERT_EQUAL(usbsim_ring_commit_wake(x.p, 1, &wake), before); /* crosses the index */
        CU_ASSERT_EQUAL(wake, 1);
        CU_ASSERT_EQUAL(usbsim_ring_reserve(x.p, 1, &got), USBSIM_OK);
        CU_ASSERT_EQUAL(usbsim_ring_commit_wake(x.p, 1, &wake), before + 1); /* already past */
        CU_ASSERT_EQUAL(wake, 0);
        CU_ASSERT_EQUAL(usbsim_ring_prod_index(x.p), before + 2);
        CU_ASSERT_EQUAL(usbsim_ring_pending(x.c), 2);
        pair_close(&x);
    }
}

static void t_always(void)
{
    struct pair x;
    pair_open(&x, 8, USBSIM_DOORBELL_ALWAYS, 0, NULL);
    for (uint64_t i = 0; i < 5; i++)
        push(&x, i);
    CU_ASSERT_EQUAL(doorbells(x.p), 5);
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 1000, -1), 5);
    pair_close(&x);
}

static void t_wait_timeout_watch_pipe(void)
{
    struct pair x;
    pair_open(&x, 8, USBSIM_DOORBELL_SUPPRESSED, 0, &usbsim_doorbell_pipe);
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 10, -1), USBSIM_DOORBELL_TIMEOUT);
    CU_ASSERT_EQUAL(x.d.timeouts, 1);
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    close(fds[1]); /* hung up */
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 1000, fds[0]), USBSIM_EWATCH);
    push(&x, 1);
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 1000, fds[0]), 1); /* data first, then the hang-up */
    close(fds[0]);
    drain_all(x.c);
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 0, -1), USBSIM_DOORBELL_TIMEOUT);
    push(&x, 2);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(x.c, &s);
    CU_ASSERT_EQUAL(s.doorbells, 2); /* each push crossed a freshly armed index */
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 1000, -1), 1);
    usbsim_ring_stats(x.c, &s);
    CU_ASSERT_EQUAL(s.wakeups, 1); /* the timed-out wait consumed the first, stale doorbell */
    usbsim_ring_close(x.p);
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 1000, -1), 1); /* closed, but a packet is still there */
    drain_all(x.c);
    CU_ASSERT_EQUAL(usbsim_doorbell_wait(&x.d, x.c, 1000, -1), USBSIM_ECLOSED);
    enum usbsim_doorbell_mode m;
    CU_ASSERT_EQUAL(usbsim_doorbell_mode_parse("always", &m), 0);
    CU_ASSERT_EQUAL(m, USBSIM_DOORBELL_ALWAYS);
    CU_ASSERT_EQUAL(usbsim_doorbell_mode_parse("sometimes", &m), -1);
    pair_close(&x);
}

/* ---- the race: producer commits one packet at a time with tiny random pauses; the consumer
 * drains, then sleeps on the doorbell. A wait that times out while data is pending is a lost
 * wake-up. ---- */
struct race {
    struct pair x;
    uint64_t n, sent;
    _Atomic int failed, stop;
};

/* Sleep/wake races of the main stress test: 10^6, or USBSIM_STRESS_ITERS (ThreadSanitizer builds
 * default to 10^5: it slows every atomic operation down by an order of magnitude). */
#if defined(__SANITIZE_THREAD__)
#define DEFAULT_ITERS 100000
#else
#define DEFAULT_ITERS 1000000
#endif

static uint64_t iters(void)
{
    const char *e = getenv("USBSIM_STRESS_ITERS");
    return e && atoll(e) > 0 ? (uint64_t)atoll(e) : DEFAULT_ITERS;
}

static void *race_producer(void *arg)
{
    struct race *r = arg;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; !atomic_load_explicit(&r->stop, memory_order_relaxed); i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        for (volatile unsigned k = (unsigned)(rng & 1023) * ((rng >> 12) & 1); k > 0; k--) {
        }
        int st = push(&r->x, i);
        if (st == USBSIM_ESTOPPED && atomic_load(&r->stop))
            break; /* the consumer is done and stopped a wait for room */
        if (st != USBSIM_OK) {
            atomic_store(&r->failed, 1);
            break;
        }
        r->sent = i + 1;
    }
    return NULL;
}

/* One consumer pass: drain everything, checking order. */
static void race_drain(struct race *r, uint64_t *next, uint64_t *bad)
{
    int k;
    while ((k = usbsim_ring_peek(r->x.c, 32)) > 0) {
        for (int i = 0; i < k; i++) {
            struct usbsim_ring_pkt p;
            *bad += usbsim_ring_get(r->x.c, (uint32_t)i, &p) != USBSIM_OK || p.ingress_ns != (*next)++;
        }
        usbsim_ring_release(r->x.c, (uint32_t)k);
    }
    *bad += k < 0;
}

/* n sleep/wake races: n times the consumer drains the ring and then waits on the doorbell while
 * the producer keeps committing. */
static void race(enum usbsim_doorbell_mode mode, uint64_t n, uint32_t spin)
{
    struct race r = {.n = n};
    pair_open(&r.x, 64, mode, UINT32_MAX - 1000, NULL);
    usbsim_doorbell_set_spin(&r.x.d, spin);
    pthread_t t;
    alarm(300);
    pthread_create(&t, NULL, race_producer, &r);
    uint64_t next = 0, waits = 0, bad = 0;
    for (; waits < n && !atomic_load(&r.failed); waits++) {
        race_drain(&r, &next, &bad);
        int w = usbsim_doorbell_wait(&r.x.d, r.x.c, 10000, -1);
        if (w <= 0 || r.x.d.timeouts) {
            fprintf(stderr, "wait returned %d with %d pending at packet %llu\n", w,
                    usbsim_ring_pending(r.x.c), (unsigned long long)next);
            atomic_store(&r.failed, 1);
        }
    }
    atomic_store(&r.stop, 1);
    usbsim_ring_stop(r.x.p); /* the producer may wait for room the consumer no longer makes */
    pthread_join(t, NULL);
    race_drain(&r, &next, &bad);
    alarm(0);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(r.x.c, &s);
    CU_ASSERT_EQUAL(atomic_load(&r.failed), 0);
    /* The producer never pauses for more than microseconds, so a 10 s sleep that ends by its
     * timeout (whatever it then finds) can only be a lost wake-up. */
    CU_ASSERT_EQUAL(r.x.d.timeouts, 0);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(next, r.sent);
    CU_ASSERT_EQUAL(s.produced, r.sent);
    CU_ASSERT(s.wakeups <= s.doorbells); /* every wake-up has its doorbell */
    if (mode == USBSIM_DOORBELL_ALWAYS)
        CU_ASSERT_EQUAL(s.doorbells, r.sent);
    printf("\n    %s: %llu waits, %llu packets, %llu doorbells, %llu sleeps woken ",
           usbsim_doorbell_mode_name(mode), (unsigned long long)waits, (unsigned long long)r.sent,
           (unsigned long long)s.doorbells, (unsigned long long)s.wakeups);
    pair_close(&r.x);
}

static void t_race_suppressed(void)
{
    race(USBSIM_DOORBELL_SUPPRESSED, iters(), 0);
}

static void t_race_spin(void)
{
    race(USBSIM_DOORBELL_SUPPRESSED, iters() / 10, 50);
}

static void t_race_always(void)
{
    race(USBSIM_DOORBELL_ALWAYS, iters() / 10, 0);
}

static CU_TestInfo tests[] = {
    {"event index crossing, with 2^32 wrap", t_crossing},
    {"mode always rings every commit", t_always},
    {"wait: timeout, watched fd, pipe backend", t_wait_timeout_watch_pipe},
    {"10^6 sleep/wake races, suppressed: no lost wake-up", t_race_suppressed},
    {"sleep/wake races, consumer spins before sleeping", t_race_spin},
    {"sleep/wake races, always", t_race_always},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("doorbell", tests);
}

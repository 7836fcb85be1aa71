/* Unit tests of driver/ring: policies at the boundaries, wrap, counters, batches, hostile memory. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/ring.h"
#include "tests/cu.h"

static char err[USBSIM_RING_ERR_MAX];

static struct usbsim_ring *mk(uint32_t slots, uint32_t payload, enum usbsim_ring_policy pol, uint32_t first)
{
    struct usbsim_ring_config c = {slots, payload, pol, 0, first, NULL};
    struct usbsim_ring *r = usbsim_ring_create(&c, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    return r;
}

static struct usbsim_ring *consumer_of(struct usbsim_ring *p)
{
    struct usbsim_ring *c = usbsim_ring_attach_consumer(usbsim_ring_fd(p), err);
    if (!c)
        fprintf(stderr, "%s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

/* Packet i: 8 bytes of i then a pattern, so a torn or misplaced slot shows. */
static void pattern(uint8_t *b, uint16_t len, uint64_t i)
{
    for (uint16_t k = 0; k < len; k++)
        b[k] = (uint8_t)(i * 31 + k);
}

static int push_n(struct usbsim_ring *r, uint64_t first, uint32_t n, int expect)
{
    uint8_t b[64];
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        pattern(b, 40, first + i);
        bad += usbsim_ring_push(r, b, 40, (uint16_t)(first + i), 1000 + first + i, NULL) != expect;
    }
    return bad;
}

/* Claims and checks up to max packets whose ids start at *next; returns how many. */
static int drain(struct usbsim_ring *c, uint32_t max, uint64_t *next)
{
    int n = usbsim_ring_peek(c, max);
    CU_ASSERT_FATAL(n >= 0);
    for (int i = 0; i < n; i++) {
        struct usbsim_ring_pkt p;
        uint8_t want[64];
        CU_ASSERT_EQUAL_FATAL(usbsim_ring_get(c, (uint32_t)i, &p), USBSIM_OK);
        CU_ASSERT_EQUAL(p.len, 40);
        CU_ASSERT_EQUAL(p.ingress_ns, 1000 + *next);
        CU_ASSERT_EQUAL(p.flags, (uint16_t)*next);
        pattern(want, 40, *next);
        CU_ASSERT(memcmp(p.bytes, want, 40) == 0);
        (*next)++;
    }
    CU_ASSERT_EQUAL(usbsim_ring_release(c, (uint32_t)n), USBSIM_OK);
    return n;
}

static void t_empty_full_drop_newest(void)
{
    struct usbsim_ring *p = mk(8, 64, USBSIM_RING_DROP_NEWEST, 0), *c = consumer_of(p);
    uint64_t next = 0;
    CU_ASSERT_EQUAL(usbsim_ring_peek(c, 10), 0);
    CU_ASSERT_EQUAL(usbsim_ring_pending(c), 0);
    CU_ASSERT_EQUAL(push_n(p, 0, 8, USBSIM_OK), 0);
    CU_ASSERT_EQUAL(push_n(p, 8, 2, USBSIM_DROPPED), 0);
    CU_ASSERT_EQUAL(usbsim_ring_pending(c), 8);
    CU_ASSERT_EQUAL(drain(c, 3, &next), 3);
    CU_ASSERT_EQUAL(push_n(p, 3 + 5, 0, USBSIM_OK), 0);
    CU_ASSERT_EQUAL(drain(c, 100, &next), 5);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(c, &s);
    CU_ASSERT_EQUAL(s.produced, 8);
    CU_ASSERT_EQUAL(s.consumed, 8);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_FULL], 2);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_EVICTED] + s.dropped[USBSIM_RING_DROP_OLDEST_BUSY], 0);
    usbsim_ring_destroy(c);
    usbsim_ring_destroy(p);
}

static void t_wrap_2_32(void)
{
    struct usbsim_ring *p = mk(8, 64, USBSIM_RING_DROP_NEWEST, UINT32_MAX - 5), *c = consumer_of(p);
    uint64_t next = 0, id = 0;
    for (int round = 0; round < 10; round++) {
        CU_ASSERT_EQUAL(push_n(p, id, 6, USBSIM_OK), 0);
        id += 6;
        int n = usbsim_ring_peek(c, 2);
        struct usbsim_ring_pkt k;
        CU_ASSERT_EQUAL(usbsim_ring_get(c, 0, &k), USBSIM_OK);
        CU_ASSERT_EQUAL(k.seq, (uint32_t)(UINT32_MAX - 5 + next));
        CU_ASSERT_EQUAL(usbsim_ring_release(c, 0), USBSIM_OK);
        (void)n;
        while (drain(c, 4, &next) > 0) {
        }
    }
    CU_ASSERT_EQUAL(next, 60);
    CU_ASSERT(usbsim_ring_prod_index(p) == (uint32_t)(UINT32_MAX - 5 + 60));
    usbsim_ring_destroy(c);
    usbsim_ring_destroy(p);
}

static void t_batch(void)
{
    struct usbsim_ring *p = mk(8, 64, USBSIM_RING_DROP_NEWEST, 0), *c = consumer_of(p);
    uint32_t got;
    CU_ASSERT_EQUAL(usbsim_ring_reserve(p, 5, &got), USBSIM_OK);
    CU_ASSERT_EQUAL(got, 5);
    for (uint32_t k = 0; k < got; k++) {
        uint8_t b[40];
        pattern(b, 40, k);
        usbsim_ring_fill(p, k, b, 40, (uint16_t)k, 1000 + k);
    }
    CU_ASSERT_EQUAL(usbsim_ring_pending(c), 0); /* nothing visible before commit */
    CU_ASSERT_EQUAL(usbsim_ring_commit(p, 5), 0);
    CU_ASSERT_EQUAL(usbsim_ring_reserve(p, 5, &got), USBSIM_OK);
    CU_ASSERT_EQUAL(got, 3); /* partial: only 3 free */
    uint8_t *b = usbsim_ring_slot_bytes(p, 0);
    pattern(b, 40, 5);
    usbsim_ring_slot_meta(p, 0, 40, 5, 1005);
    usbsim_ring_commit(p, 1);
    usbsim_ring_discard(p, 2);
    uint64_t next = 0;
    CU_ASSERT_EQUAL(drain(c, 2, &next), 2);
    CU_ASSERT_EQUAL(drain(c, 64, &next), 4);
    struct usbsim_ring_pkt k;
    CU_ASSERT_EQUAL(usbsim_ring_get(c, 0, &k), USBSIM_EINVAL); /* nothing claimed */
    CU_ASSERT_EQUAL(usbsim_ring_release(c, 1), USBSIM_EINVAL);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(p, &s);
    CU_ASSERT_EQUAL(s.produced, 6);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_FULL], 2);
    CU_ASSERT_EQUAL(usbsim_ring_push(p, b, 65, 0, 0, NULL), USBSIM_EINVAL); /* longer than the payload */
    CU_ASSERT_EQUAL(usbsim_ring_peek(p, 1), USBSIM_EROLE);
    CU_ASSERT_EQUAL(usbsim_ring_reserve(c, 1, &got), USBSIM_EROLE);
    usbsim_ring_destroy(c);
    usbsim_ring_destroy(p);
}

static void t_drop_oldest(void)
{
    struct usbsim_ring *p = mk(4, 64, USBSIM_RING_DROP_OLDEST, UINT32_MAX - 1), *c = consumer_of(p);
    CU_ASSERT_EQUAL(push_n(p, 0, 7, USBSIM_OK), 0); /* 3 oldest evicted */
    uint64_t next = 3;
    CU_ASSERT_EQUAL(drain(c, 2, &next), 2);
    /* consumer holds a claim on the oldest: the producer must not evict it */
    CU_ASSERT_EQUAL(push_n(p, 7, 2, USBSIM_OK), 0);
    CU_ASSERT_EQUAL(usbsim_ring_peek(c, 1), 1);
    CU_ASSERT_EQUAL(push_n(p, 9, 1, USBSIM_DROPPED), 0);
    CU_ASSERT_EQUAL(usbsim_ring_release(c, 0), USBSIM_OK);
    CU_ASSERT_EQUAL(drain(c, 10, &next), 4); /* ids 5..8 */
    CU_ASSERT_EQUAL(next, 9);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(c, &s);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_EVICTED], 3);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_OLDEST_BUSY], 1);
    CU_ASSERT_EQUAL(s.produced, 9);
    CU_ASSERT_EQUAL(s.consumed, 6);
    usbsim_ring_destroy(c);
    usbsim_ring_destroy(p);
}

/* ---- two threads, drop-oldest: every packet is delivered once, in order, or counted once ---- */
struct race {
    struct usbsim_ring *p, *c;
    uint64_t n;
    _Atomic int done;
};

static void *race_producer(void *arg)
{
    struct race *x = arg;
    uint8_t b[64];
    for (uint64_t i = 0; i < x->n; i++) {
        pattern(b, 40, i);
        if (usbsim_ring_push(x->p, b, 40, (uint16_t)i, 1000 + i, NULL) < 0)
            break;
    }
    atomic_store(&x->done, 1);
    return NULL;
}

static uint64_t stress_iters(uint64_t dflt)
{
    const char *e = getenv("USBSIM_STRESS_ITERS");
    return e && atoi(e) > 0 ? (uint64_t)atoll(e) : dflt;
}

static void t_drop_oldest_threads(void)
{
    struct race x = {mk(8, 64, USBSIM_RING_DROP_OLDEST, UINT32_MAX - 100), NULL, stress_iters(300000), 0};
    x.c = consumer_of(x.p);
    pthread_t t;
    pthread_create(&t, NULL, race_producer, &x);
    uint64_t got = 0, gaps = 0, expect = 0, bad = 0;
    for (;;) {
        int fin = atomic_load(&x.done);
        int n = usbsim_ring_peek(x.c, 3);
        if (n < 0) {
            bad++;
            break;
        }
        for (int i = 0; i < n; i++) {
            struct usbsim_ring_pkt k;
            uint8_t want[40];
            if (usbsim_ring_get(x.c, (uint32_t)i, &k) != USBSIM_OK) {
                bad++;
                continue;
            }
            uint64_t id = k.ingress_ns - 1000;
            pattern(want, 40, id);
            bad += memcmp(k.bytes, want, 40) != 0 || k.flags != (uint16_t)id;
            bad += id < expect;
            gaps += id >= expect ? id - expect : 0;
            expect = id + 1;
            got++;
        }
        usbsim_ring_release(x.c, (uint32_t)n);
        if (n == 0 && fin)
            break;
    }
    pthread_join(t, NULL);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(x.c, &s);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(got, s.consumed);
    /* every attempt is produced or dropped-busy; every produced is consumed or evicted */
    CU_ASSERT_EQUAL(s.produced + s.dropped[USBSIM_RING_DROP_OLDEST_BUSY], x.n);
    CU_ASSERT_EQUAL(s.produced, s.consumed + s.dropped[USBSIM_RING_DROP_EVICTED]);
    /* ids the consumer never saw = exactly the drops counted */
    uint64_t missing = x.n - got;
    CU_ASSERT_EQUAL(missing, s.dropped[USBSIM_RING_DROP_EVICTED] + s.dropped[USBSIM_RING_DROP_OLDEST_BUSY]);
    CU_ASSERT_EQUAL(gaps + (x.n - expect), missing);
    usbsim_ring_destroy(x.c);
    usbsim_ring_destroy(x.p);
}

static void t_block_threads(void)
{
    struct race x = {mk(4, 64, USBSIM_RING_BLOCK, 0), NULL, stress_iters(200000), 0};
    x.c = consumer_of(x.p);
    pthread_t t;
    pthread_create(&t, NULL, race_producer, &x);
    uint64_t next = 0;
    while (next < x.n)
        drain(x.c, 3, &next);
    pthread_join(t, NULL);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(x.c, &s);
    CU_ASSERT_EQUAL(s.produced, x.n);
    CU_ASSERT_EQUAL(s.consumed, x.n);
    for (int i = 0; i < USBSIM_RING_DROP_CAUSES; i++)
        CU_ASSERT_EQUAL(s.dropped[i], 0);
    usbsim_ring_destroy(x.c);
    usbsim_ring_destroy(x.p);
}

static void *stopper(void *arg)
{
    usleep(20000);
    usbsim_ring_stop(arg);
    return NULL;
}

static void t_block_timeout_stop(void)
{
    struct usbsim_ring_config cfg = {2, 16, USBSIM_RING_BLOCK, 2000000, 0, NULL};
    struct usbsim_ring *p = usbsim_ring_create(&cfg, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    uint8_t b[16] = {0};
    CU_ASSERT_EQUAL(usbsim_ring_push(p, b, 16, 0, 0, NULL), USBSIM_OK);
    CU_ASSERT_EQUAL(usbsim_ring_push(p, b, 16, 0, 0, NULL), USBSIM_OK);
    CU_ASSERT_EQUAL(usbsim_ring_push(p, b, 16, 0, 0, NULL), USBSIM_ETIMEDOUT);
    usbsim_ring_destroy(p);
    cfg.block_timeout_ns = 0; /* forever, until stopped */
    p = usbsim_ring_create(&cfg, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    usbsim_ring_push(p, b, 16, 0, 0, NULL);
    usbsim_ring_push(p, b, 16, 0, 0, NULL);
    pthread_t t;
    alarm(10);
    pthread_create(&t, NULL, stopper, p);
    CU_ASSERT_EQUAL(usbsim_ring_push(p, b, 16, 0, 0, NULL), USBSIM_ESTOPPED);
    pthread_join(t, NULL);
    alarm(0);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(p, &s);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_BLOCK_ABORT], 1);
    CU_ASSERT_EQUAL(s.produced, 2);
    usbsim_ring_destroy(p);
}

/* ---- hostile shared memory: the test writes the documented offsets itself ---- */
static uint8_t *raw_map(struct usbsim_ring *p)
{
    void *m = mmap(NULL, 2 * 4096 + 8 * 128, PROT_READ | PROT_WRITE, MAP_SHARED, usbsim_ring_fd(p), 0);
    CU_ASSERT_FATAL(m != MAP_FAILED);
    return m;
}

static void put32(uint8_t *m, size_t off, uint32_t v) { memcpy(m + off, &v, 4); }

static int attach_status(struct usbsim_ring *p)
{
    struct usbsim_ring *c = usbsim_ring_attach_consumer(usbsim_ring_fd(p), err);
    usbsim_ring_destroy(c);
    return c != NULL;
}

static void t_hostile_header(void)
{
    static const struct { size_t off; uint32_t v; const char *word; } bad[] = {
        {0, 0xdeadbeef, "magic"}, {4, 99, "version"}, {8, 4096, "page size"},
        {12, 6, "slots"},         {12, 1u << 21, "slots"}, {16, 64, "slot size"},
        {20, 0, "payload"},       {24, 7, "policy"},   {32, 1u << 30, "total size"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct usbsim_ring *p = mk(8, 100, USBSIM_RING_BLOCK, 0);
        uint8_t *m = raw_map(p);
        put32(m, bad[i].off, bad[i].v);
        CU_ASSERT_EQUAL(attach_status(p), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].word));
        munmap(m, 2 * 4096 + 8 * 128);
        usbsim_ring_destroy(p);
    }
}

/* A hostile application writes its own page (page 1: the cons|head word at +0, the wake index
 * at +64) with anything: the producer checks it on every look and answers with an error, never
 * overwrites a slot it thinks free by mistake, never crashes, never waits. */
static void t_hostile_consumer_page(void)
{
    static const struct { uint32_t cons, head; } bad[] = {
        {10, 10},          /* cons past the producer */
        {0, 9},            /* a claim past the producer */
        {3, 1},            /* head behind cons */
        {UINT32_MAX - 20, UINT32_MAX - 20}, /* far behind: more than slots in use */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct usbsim_ring *p = mk(8, 64, USBSIM_RING_DROP_OLDEST, 0);
        push_n(p, 0, 4, USBSIM_OK);
        uint8_t *m = raw_map(p);
        uint64_t w = (uint64_t)bad[i].cons | (uint64_t)bad[i].head << 32;
        memcpy(m + 4096, &w, 8);
        uint8_t b[16] = {0};
        int st = USBSIM_OK;
        for (int k = 0; k < 16 && st >= 0; k++) /* drop-oldest looks at cons once the ring fills */
            st = usbsim_ring_push(p, b, 16, 0, 0, NULL);
        CU_ASSERT_EQUAL(st, USBSIM_EINDEX);
        CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_ring_error(p), "out of range"));
        munmap(m, 2 * 4096 + 8 * 128);
        usbsim_ring_destroy(p);
    }
    /* A wake index that asks for a doorbell on every packet costs doorbells, nothing else. */
    struct usbsim_ring *p = mk(8, 64, USBSIM_RING_DROP_NEWEST, 0);
    uint8_t *m = raw_map(p);
    uint32_t old = 0;
    for (int k = 0; k < 4; k++) {
        put32(m, 4096 + 64, (uint32_t)k); /* "wake me when prod passes k" */
        uint8_t b[16] = {0};
        CU_ASSERT_EQUAL(usbsim_ring_push(p, b, 16, 0, 0, &old), USBSIM_OK);
        CU_ASSERT_TRUE(usbsim_ring_need_wake(p, old, old + 1));
    }
    munmap(m, 2 * 4096 + 8 * 128);
    usbsim_ring_destroy(p);
}

static void t_hostile_indices(void)
{
    struct usbsim_ring *p = mk(8, 64, USBSIM_RING_DROP_NEWEST, 100), *c = consumer_of(p);
    uint8_t *m = raw_map(p);
    push_n(p, 0, 3, USBSIM_OK);
    put32(m, 64, 100 + 9); /* prod more than slots ahead */
    CU_ASSERT_EQUAL(usbsim_ring_peek(c, 8), USBSIM_EINDEX);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_ring_error(c), "ahead"));
    put32(m, 64, 50); /* prod behind cons */
    CU_ASSERT_EQUAL(usbsim_ring_peek(c, 8), USBSIM_EINDEX);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_ring_error(c), "behind"));
    CU_ASSERT_EQUAL(usbsim_ring_arm_wake(c), USBSIM_EINDEX);
    put32(m, 64, 103);
    put32(m, 2 * 4096 + 5 * 128 + 0, 65); /* slot of position 101: len > payload */
    CU_ASSERT_EQUAL(usbsim_ring_peek(c, 8), 3);
    struct usbsim_ring_pkt k;
    CU_ASSERT_EQUAL(usbsim_ring_get(c, 0, &k), USBSIM_OK);
    CU_ASSERT_EQUAL(usbsim_ring_get(c, 1, &k), USBSIM_ESLOT);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_ring_error(c), "length"));
    put32(m, 2 * 4096 + 6 * 128 + 4, 7); /* slot of position 102: wrong position */
    CU_ASSERT_EQUAL(usbsim_ring_get(c, 2, &k), USBSIM_ESLOT);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_ring_error(c), "position"));
    put32(m, 64, 101); /* prod moved back into the claimed batch 100..103 */
    CU_ASSERT_EQUAL(usbsim_ring_pending(c), USBSIM_EINDEX);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_ring_error(c), "claimed"));
    put32(m, 64, 103);
    CU_ASSERT_EQUAL(usbsim_ring_pending(c), 0);
    CU_ASSERT_EQUAL(usbsim_ring_release(c, 3), USBSIM_OK);
    uint64_t own;
    memcpy(&own, m + 4096, 8); /* the release published cons = head = 103 */
    CU_ASSERT_EQUAL(own, (uint64_t)103 | (uint64_t)103 << 32);
    /* a consumer word out of range is caught by the producer */
    uint64_t w = 5000;
    memcpy(m + 4096, &w, 8);
    uint32_t got;
    CU_ASSERT_EQUAL(usbsim_ring_reserve(p, 8, &got), USBSIM_EINDEX);
    CU_ASSERT_EQUAL(got, 0);
    munmap(m, 2 * 4096 + 8 * 128);
    usbsim_ring_destroy(c);
    usbsim_ring_destroy(p);
}

/* Default SIGSEGV action, past any sanitizer's handler (its interceptors would keep it). */
static void unfault(void)
{
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } sa = {0};
    syscall(SYS_rt_sigaction, SIGSEGV, &sa, NULL, sizeof sa.mask);
}

static void t_readonly(void)
{
    struct usbsim_ring *p = mk(8, 64, USBSIM_RING_BLOCK, 0);
    struct usbsim_ring *c = consumer_of(p);
    push_n(p, 0, 1, USBSIM_OK);
    uint64_t next = 0;
    CU_ASSERT_EQUAL(drain(c, 8, &next), 1);
    pid_t pid = fork();
    if (pid == 0) {
        CU_ASSERT(usbsim_ring_peek(c, 1) == 0);
        push_n(p, 1, 1, USBSIM_OK);
        usbsim_ring_peek(c, 1);
        struct usbsim_ring_pkt k;
        usbsim_ring_get(c, 0, &k);
        unfault();
        ((volatile uint8_t *)k.bytes)[0] = 1; /* must fault: slots are read-only */
        _exit(0);
    }
    int st;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    usbsim_ring_destroy(c);
    usbsim_ring_destroy(p);
}

/* A copy of ring p's memory (header and slots, so the geometry is right) in fd, truncated. */
static int copy_ring_into(struct usbsim_ring *p, int fd)
{
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(fstat(usbsim_ring_fd(p), &st), 0);
    void *src = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, usbsim_ring_fd(p), 0);
    CU_ASSERT_FATAL(src != MAP_FAILED);
    ssize_t n = pwrite(fd, src, (size_t)st.st_size, 0);
    munmap(src, (size_t)st.st_size);
    return n == st.st_size ? 0 : -1;
}

/* What a hostile driver could send as "the ring": only a memfd sealed against shrinking is
 * mapped, whatever its contents; the rest would let the producer pull memory from under the
 * mapping (SIGBUS) after attach. */
static void t_attach_refuses_unsealed(void)
{
    struct usbsim_ring *p = mk(8, 64, USBSIM_RING_BLOCK, 0);
    char path[] = "/tmp/usbsim-ring-XXXXXX";
    int file = mkstemp(path);
    CU_ASSERT_FATAL(file >= 0);
    unlink(path);
    CU_ASSERT_EQUAL(copy_ring_into(p, file), 0);
    CU_ASSERT_PTR_NULL(usbsim_ring_attach_consumer(file, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a memfd"));
    close(file);

    char name[64];
    snprintf(name, sizeof name, "/usbsim-test-%ld", (long)getpid());
    int shm = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    CU_ASSERT_FATAL(shm >= 0);
    shm_unlink(name);
    CU_ASSERT_EQUAL(copy_ring_into(p, shm), 0);
    CU_ASSERT_PTR_NULL(usbsim_ring_attach_consumer(shm, err)); /* its seals forbid sealing */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not sealed against shrinking"));
    close(shm);

    int unsealed = memfd_create("unsealed", MFD_CLOEXEC);
    CU_ASSERT_FATAL(unsealed >= 0);
    CU_ASSERT_EQUAL(copy_ring_into(p, unsealed), 0);
    CU_ASSERT_PTR_NULL(usbsim_ring_attach_consumer(unsealed, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not sealed against shrinking"));
    close(unsealed);

    int zero = open("/dev/zero", O_RDWR);
    CU_ASSERT_FATAL(zero >= 0);
    CU_ASSERT_PTR_NULL(usbsim_ring_attach_consumer(zero, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a memfd"));
    close(zero);
    usbsim_ring_destroy(p);
}

static void t_config_errors(void)
{
    struct usbsim_ring_config cfg = {6, 64, USBSIM_RING_BLOCK, 0, 0, NULL};
    CU_ASSERT_PTR_NULL(usbsim_ring_create(&cfg, err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "power of two"));
    cfg.slots = 8;
    cfg.slot_payload = 0;
    CU_ASSERT_PTR_NULL(usbsim_ring_create(&cfg, err));
    enum usbsim_ring_policy pol;
    CU_ASSERT_EQUAL(usbsim_ring_policy_parse("drop-oldest", &pol), 0);
    CU_ASSERT_EQUAL(pol, USBSIM_RING_DROP_OLDEST);
    CU_ASSERT_EQUAL(usbsim_ring_policy_parse("drop", &pol), -1);
    CU_ASSERT_STRING_EQUAL(usbsim_ring_policy_name(USBSIM_RING_BLOCK), "block");
    CU_ASSERT_PTR_NULL(usbsim_ring_attach_consumer(-1, err));
}

static CU_TestInfo tests[] = {
    {"empty, full, drop-newest, counters", t_empty_full_drop_newest},
    {"2^32 index wrap", t_wrap_2_32},
    {"batch reserve/commit/discard, peek/release", t_batch},
    {"drop-oldest evicts, never a claimed slot", t_drop_oldest},
    {"drop-oldest two threads: nothing lost silently or twice", t_drop_oldest_threads},
    {"block two threads: no loss", t_block_threads},
    {"block timeout and stop are counted", t_block_timeout_stop},
    {"hostile header fields", t_hostile_header},
    {"hostile indices and slots", t_hostile_indices},
    {"hostile consumer page: the producer refuses it", t_hostile_consumer_page},
    {"read-only slots", t_readonly},
    {"attach refuses a file, POSIX shm, an unsealed memfd, a device", t_attach_refuses_unsealed},
    {"config errors and names", t_config_errors},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    return cu_main("ring", tests);
}

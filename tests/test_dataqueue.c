/* Tests of driver/dataqueue: entries keep their size and order, one data-available call drains
 * many entries, peek does not consume, a full ring refuses with USBSIM_EFULL and the producer is
 * serviced exactly when room frees — in one thread step by step, and with two threads racing
 * through a small ring (no serviced notification may be lost: every wait is bounded and fails
 * the test instead of hanging). */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/dataqueue.h"
#include "tests/cu.h"

#define PAYLOAD 64
#define WAIT_MS 5000

struct pair {
    char dir[64], path[128];
    struct usbsim_ring *r;
    struct usbsim_doorbell d;
    struct usbsim_server s;
    struct usbsim_client *c;
    struct usbsim_dq *prod, *cons;
};

static void *accept_one(void *arg)
{
    struct pair *x = arg;
    return (void *)(intptr_t)usbsim_server_accept(&x->s, WAIT_MS);
}

/* A producer and a consumer on one ring of `slots` slots, connected through the socket. */
static int pair_open(struct pair *x, uint32_t slots)
{
    char err[USBSIM_CLIENT_ERR_MAX];
    memset(x, 0, sizeof *x);
    strcpy(x->dir, "/tmp/usbsim-dq-XXXXXX");
    if (!mkdtemp(x->dir))
        return -1;
    snprintf(x->path, sizeof x->path, "%s/ring.sock", x->dir);
    struct usbsim_ring_config cfg = {slots, PAYLOAD, USBSIM_RING_DROP_NEWEST, 0, UINT32_MAX - 5, NULL};
    x->r = usbsim_ring_create(&cfg, err);
    if (!x->r || usbsim_doorbell_open(&x->d, USBSIM_DOORBELL_SUPPRESSED, NULL) != 0 ||
        usbsim_server_listen(&x->s, x->path, x->r, &x->d) != 0)
        return -1;
    /* The serviced eventfd travels with the hello, as between a driver and an application. */
    x->prod = usbsim_dq_producer_new(x->r, &x->d, err);
    if (!x->prod)
        return -1;
    usbsim_server_set_serviced(&x->s, usbsim_dq_serviced_fd(x->prod));
    pthread_t t;
    void *rc = (void *)1;
    if (pthread_create(&t, NULL, accept_one, x) != 0)
        return -1;
    x->c = usbsim_client_connect(x->path, WAIT_MS, err);
    pthread_join(t, &rc);
    if (!x->c || rc != NULL)
        return -1;
    if (usbsim_client_serviced_fd(x->c) < 0 || usbsim_client_serviced_fd(x->c) == usbsim_dq_serviced_fd(x->prod))
        return -1; /* it must be the application's own descriptor, received */
    x->cons = usbsim_dq_consumer_new(x->c, usbsim_client_serviced_fd(x->c), err);
    return x->cons ? 0 : -1;
}

static void pair_close(struct pair *x)
{
    usbsim_dq_free(x->cons);
    usbsim_dq_free(x->prod);
    usbsim_client_close(x->c);
    usbsim_server_close(&x->s);
    usbsim_doorbell_close(&x->d);
    usbsim_ring_destroy(x->r);
    rmdir(x->dir);
}

/* Entry k: k + 1 bytes (1..PAYLOAD), each byte k ^ position. */
static size_t entry_size(uint32_t k) { return k % PAYLOAD + 1; }

static void entry_fill(void *data, size_t size, void *ctx)
{
    uint32_t k = *(const uint32_t *)ctx;
    for (size_t i = 0; i < size; i++)
        ((uint8_t *)data)[i] = (uint8_t)(k ^ i);
}

struct seen {
    uint32_t next;   /* the entry expected next */
    uint32_t bad;    /* entries with a wrong size or content */
    uint32_t calls;  /* data-available handler calls */
    uint32_t empty_calls;
    uint32_t last;   /* size of the last peeked entry */
};

static void entry_check(const void *data, size_t size, void *ctx)
{
    struct seen *s = ctx;
    uint8_t want[PAYLOAD];
    uint32_t k = s->next++;
    entry_fill(want, entry_size(k), &k);
    if (size != entry_size(k) || memcmp(data, want, size) != 0)
        s->bad++;
}

static void entry_size_of(const void *data, size_t size, void *ctx)
{
    (void)data;
    ((struct seen *)ctx)->last = (uint32_t)size;
}

/* The DriverKit pattern: the handler drains until the queue is empty. */
static void drain(struct usbsim_dq *q, void *ctx)
{
    struct seen *s = ctx;
    uint32_t before = s->next;
    s->calls++;
    while (usbsim_dq_dequeue(q, entry_check, s) == USBSIM_OK)
        ;
    if (s->next == before)
        s->empty_calls++;
}

static int enqueue_k(struct usbsim_dq *q, uint32_t k)
{
    return usbsim_dq_enqueue(q, entry_size(k), entry_fill, &k);
}

static void test_sizes_order_peek(void)
{
    struct pair x;
    CU_ASSERT_FATAL(pair_open(&x, 64) == 0);
    struct seen s = {0};
    CU_ASSERT_FALSE(usbsim_dq_is_data_available(x.cons));
    CU_ASSERT_EQUAL(usbsim_dq_dequeue(x.cons, entry_check, &s), USBSIM_EEMPTY);
    CU_ASSERT_EQUAL(usbsim_dq_peek(x.cons, entry_size_of, &s), USBSIM_EEMPTY);
    for (uint32_t k = 0; k < 40; k++)
        CU_ASSERT_EQUAL(enqueue_k(x.prod, k), USBSIM_OK);
    CU_ASSERT_TRUE(usbsim_dq_is_data_available(x.cons));
    /* peek twice: the same entry, still there */
    CU_ASSERT_EQUAL(usbsim_dq_peek(x.cons, entry_size_of, &s), USBSIM_OK);
    CU_ASSERT_EQUAL(s.last, entry_size(0));
    s.last = 0;
    CU_ASSERT_EQUAL(usbsim_dq_peek(x.cons, entry_size_of, &s), USBSIM_OK);
    CU_ASSERT_EQUAL(s.last, entry_size(0));
    for (uint32_t k = 0; k < 40; k++)
        CU_ASSERT_EQUAL(usbsim_dq_dequeue(x.cons, entry_check, &s), USBSIM_OK);
    CU_ASSERT_EQUAL(s.next, 40);
    CU_ASSERT_EQUAL(s.bad, 0);
    CU_ASSERT_EQUAL(usbsim_dq_dequeue(x.cons, NULL, NULL), USBSIM_EEMPTY);
    CU_ASSERT_FALSE(usbsim_dq_is_data_available(x.cons));
    /* sizes outside 1..payload, and calls on the wrong side */
    uint8_t big[PAYLOAD + 1] = {0};
    CU_ASSERT_EQUAL(usbsim_dq_enqueue_copy(x.prod, big, 0), USBSIM_EINVAL);
    CU_ASSERT_EQUAL(usbsim_dq_enqueue_copy(x.prod, big, PAYLOAD + 1), USBSIM_EINVAL);
    CU_ASSERT_EQUAL(usbsim_dq_enqueue_copy(x.prod, big, PAYLOAD), USBSIM_OK);
    CU_ASSERT_EQUAL(usbsim_dq_enqueue_copy(x.cons, big, 1), USBSIM_EINVAL);
    CU_ASSERT_EQUAL(usbsim_dq_dequeue(x.prod, NULL, NULL), USBSIM_EINVAL);
    CU_ASSERT_EQUAL(usbsim_dq_dispatch(x.prod, 0), USBSIM_EINVAL);
    CU_ASSERT_EQUAL(usbsim_dq_dispatch_serviced(x.cons), USBSIM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_dq_error(x.cons), "consumer handle"));
    pair_close(&x);
}

/* Entries published before the consumer looks: one doorbell, one handler call drains them all. */
static void test_available_once_per_doorbell(void)
{
    struct pair x;
    CU_ASSERT_FATAL(pair_open(&x, 64) == 0);
    struct seen s = {0};
    usbsim_dq_set_data_available_handler(x.cons, drain, &s);
    CU_ASSERT_EQUAL(usbsim_dq_dispatch(x.cons, 0), 0); /* nothing yet: timeout, no call */
    CU_ASSERT_EQUAL(s.calls, 0);
    for (uint32_t k = 0; k < 50; k++)
        CU_ASSERT_EQUAL(enqueue_k(x.prod, k), USBSIM_OK);
    CU_ASSERT_EQUAL(usbsim_dq_dispatch(x.cons, WAIT_MS), 50);
    CU_ASSERT_EQUAL(s.calls, 1);
    CU_ASSERT_EQUAL(s.next, 50);
    CU_ASSERT_EQUAL(s.bad, 0);
    CU_ASSERT_EQUAL(usbsim_dq_dispatch(x.cons, 0), 0);
    CU_ASSERT_EQUAL(s.calls, 1);
    struct usbsim_dq_stats st;
    usbsim_dq_stats(x.cons, &st);
    CU_ASSERT_EQUAL(st.available_calls, 1);
    CU_ASSERT_EQUAL(st.dequeued, 50);
    CU_ASSERT_EQUAL(st.serviced_sent, 0); /* the ring was never full */
    pair_close(&x);
}

static int readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
}

static void count_call(struct usbsim_dq *q, void *ctx)
{
    (void)q;
    (*(int *)ctx)++;
}

/* Step by step: full -> USBSIM_EFULL, no handler while still full, one dequeue -> signal -> one call. */
static void test_serviced_after_overflow(void)
{
    struct pair x;
    CU_ASSERT_FATAL(pair_open(&x, 8) == 0);
    int calls = 0;
    struct seen s = {0};
    usbsim_dq_set_data_serviced_handler(x.prod, count_call, &calls);
    int svc = usbsim_dq_serviced_fd(x.prod);
    for (uint32_t k = 0; k < 8; k++)
        CU_ASSERT_EQUAL(enqueue_k(x.prod, k), USBSIM_OK);
    CU_ASSERT_EQUAL(enqueue_k(x.prod, 8), USBSIM_EFULL);
    CU_ASSERT_EQUAL(enqueue_k(x.prod, 8), USBSIM_EFULL);
    CU_ASSERT_EQUAL(usbsim_dq_dispatch_serviced(x.prod), 0); /* still full: no call */
    CU_ASSERT_EQUAL(calls, 0);
    CU_ASSERT_FALSE(readable(svc));
    CU_ASSERT_EQUAL(usbsim_dq_dequeue(x.cons, entry_check, &s), USBSIM_OK);
    CU_ASSERT_TRUE(readable(svc));
    CU_ASSERT_EQUAL(usbsim_dq_wait_serviced(x.prod, WAIT_MS), 1);
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_FALSE(readable(svc));
    CU_ASSERT_EQUAL(usbsim_dq_dispatch_serviced(x.prod), 0); /* once per overrun */
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_EQUAL(enqueue_k(x.prod, 8), USBSIM_OK); /* full again, but no overrun this time */
    /* The consumer signals after any release from a full ring (it cannot know the producer did
     * not try); the producer, not waiting, makes no call. */
    CU_ASSERT_EQUAL(usbsim_dq_dequeue(x.cons, entry_check, &s), USBSIM_OK);
    CU_ASSERT_TRUE(readable(svc));
    CU_ASSERT_EQUAL(usbsim_dq_dispatch_serviced(x.prod), 0);
    CU_ASSERT_EQUAL(calls, 1);
    CU_ASSERT_FALSE(readable(svc));
    /* A dequeue from a ring that is not full sends nothing. */
    CU_ASSERT_EQUAL(usbsim_dq_dequeue(x.cons, entry_check, &s), USBSIM_OK);
    CU_ASSERT_FALSE(readable(svc));
    while (usbsim_dq_dequeue(x.cons, entry_check, &s) == USBSIM_OK)
        ;
    CU_ASSERT_EQUAL(s.next, 9);
    CU_ASSERT_EQUAL(s.bad, 0);
    struct usbsim_dq_stats st;
    usbsim_dq_stats(x.prod, &st);
    CU_ASSERT_EQUAL(st.overruns, 2);
    CU_ASSERT_EQUAL(st.serviced_calls, 1);
    CU_ASSERT_EQUAL(st.enqueued, 9);
    usbsim_dq_stats(x.cons, &st);
    CU_ASSERT_EQUAL(st.serviced_sent, 2);
    pair_close(&x);
}

/* Without a serviced fd the consumer signals nothing; the producer still finds the room. */
static void test_serviced_without_fd(void)
{
    struct pair x;
    CU_ASSERT_FATAL(pair_open(&x, 8) == 0);
    char err[USBSIM_DQ_ERR_MAX];
    struct usbsim_dq *plain = usbsim_dq_consumer_new(x.c, -1, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
    for (uint32_t k = 0; k < 9; k++)
        enqueue_k(x.prod, k);
    CU_ASSERT_EQUAL(usbsim_dq_dequeue(plain, NULL, NULL), USBSIM_OK);
    CU_ASSERT_FALSE(readable(usbsim_dq_serviced_fd(x.prod)));
    CU_ASSERT_EQUAL(usbsim_dq_dispatch_serviced(x.prod), 1);
    usbsim_dq_free(plain);
    pair_close(&x);
}

#define RACE_ENTRIES 20000

struct race {
    struct pair *x;
    int lost_wait;    /* a USBSIM_EFULL whose serviced signal never came */
    int serviced;     /* handler calls */
    int errors;
};

static void on_serviced(struct usbsim_dq *q, void *ctx)
{
    (void)q;
    ((struct race *)ctx)->serviced++;
}

static void *race_producer(void *arg)
{
    struct race *r = arg;
    usbsim_dq_set_data_serviced_handler(r->x->prod, on_serviced, r);
    for (uint32_t k = 0; k < RACE_ENTRIES && !r->lost_wait && !r->errors;) {
        int st = enqueue_k(r->x->prod, k);
        if (st == USBSIM_OK)
            k++;
        else if (st != USBSIM_EFULL)
            r->errors++;
        else if (usbsim_dq_wait_serviced(r->x->prod, WAIT_MS) != 1)
            r->lost_wait++;
    }
    usbsim_ring_close(r->x->r);
    usbsim_doorbell_kick(&r->x->d, r->x->r);
    return NULL;
}

/* Two threads through an 8-slot ring: every entry arrives in order with its size, every USBSIM_EFULL
 * is followed by exactly one serviced call (none lost: the waits are bounded). */
static void test_serviced_race(void)
{
    struct pair x;
    CU_ASSERT_FATAL(pair_open(&x, 8) == 0);
    struct race r = {.x = &x};
    struct seen s = {0};
    usbsim_dq_set_data_available_handler(x.cons, drain, &s);
    alarm(60);
    pthread_t t;
    CU_ASSERT_FATAL(pthread_create(&t, NULL, race_producer, &r) == 0);
    int rc;
    while ((rc = usbsim_dq_dispatch(x.cons, WAIT_MS)) > 0)
        ;
    pthread_join(t, NULL);
    alarm(0);
    CU_ASSERT_EQUAL(rc, USBSIM_ECLOSED);
    CU_ASSERT_EQUAL(r.errors, 0);
    CU_ASSERT_EQUAL(r.lost_wait, 0);
    CU_ASSERT_EQUAL(s.next, RACE_ENTRIES);
    CU_ASSERT_EQUAL(s.bad, 0);
    CU_ASSERT_EQUAL(s.empty_calls, 0);
    struct usbsim_dq_stats ps, cs;
    usbsim_dq_stats(x.prod, &ps);
    usbsim_dq_stats(x.cons, &cs);
    CU_ASSERT_EQUAL(ps.enqueued, RACE_ENTRIES);
    CU_ASSERT_EQUAL(cs.dequeued, RACE_ENTRIES);
    CU_ASSERT_EQUAL(ps.serviced_calls, (uint64_t)r.serviced);
    CU_ASSERT(ps.serviced_calls <= ps.overruns);
    CU_ASSERT(cs.serviced_sent >= ps.serviced_calls);
    CU_ASSERT_EQUAL(cs.available_calls, s.calls);
    printf(" [%u handler calls for %d entries, %llu overruns, %llu serviced] ", s.calls,
           RACE_ENTRIES, (unsigned long long)ps.overruns, (unsigned long long)ps.serviced_calls);
    pair_close(&x);
}

static CU_TestInfo tests[] = {
    {"sizes, order, peek, bad calls", test_sizes_order_peek},
    {"one data-available call drains many entries", test_available_once_per_doorbell},
    {"data serviced after an overflow, step by step", test_serviced_after_overflow},
    {"consumer without a serviced fd", test_serviced_without_fd},
    {"two threads through 8 slots: no serviced signal lost", test_serviced_race},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("dataqueue", tests); }

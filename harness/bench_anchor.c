/* bench_anchor — see bench_anchor.h. */
#include "harness/bench_anchor.h"

#include <ck_pr.h>
#include <ck_ring.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BURST 256

/* ---- ck_ring ---- */
struct ck_pkt {
    uint64_t ingress_ns;
    uint8_t bytes[BXFER_PKT];
};
CK_RING_PROTOTYPE(pkt, ck_pkt)

static struct ck_ring *ck_of(struct bxfer *x)
{
    return x->mem;
}

static struct ck_pkt *ck_buf(struct bxfer *x)
{
    return (struct ck_pkt *)((uint8_t *)x->mem + ((sizeof(struct ck_ring) + 63) & ~(size_t)63));
}

static int ck_setup(struct bxfer *x)
{
    x->mem_size = sizeof(struct ck_ring) + 64 + BXFER_SLOTS * sizeof(struct ck_pkt);
    if (!(x->mem = bxfer_shared_alloc(x->mem_size)))
        return -1;
    ck_ring_init(ck_of(x), BXFER_SLOTS);
    return 0;
}

static void mem_teardown(struct bxfer *x)
{
    munmap(x->mem, x->mem_size);
    x->mem = NULL;
}

static int ck_produce(struct bxfer *x, uint64_t t0)
{
    struct ck_pkt p;
    bxfer_template(p.bytes);
    for (uint64_t i = 0; i < x->n; i++) {
        bxfer_pace(x, t0, i);
        p.ingress_ns = bxfer_ingress_ns(x);
        bxfer_set_seq(p.bytes, i);
        while (!ck_ring_enqueue_spsc_pkt(ck_of(x), ck_buf(x), &p))
            ck_pr_stall();
    }
    return 0;
}

static int ck_consume(struct bxfer *x)
{
    struct ck_pkt p;
    atomic_store(&x->sh->ready, 1);
    while (x->sh->got < x->n) {
        if (ck_ring_dequeue_spsc_pkt(ck_of(x), ck_buf(x), &p))
            bxfer_note(x, p.bytes, p.ingress_ns);
        else
            ck_pr_stall();
    }
    x->sh->t_end = bxfer_now_ns();
    return 0;
}

const struct bxfer_ops banchor_ck = {"ck_ring", ck_setup, mem_teardown, ck_produce, ck_consume, NULL};

/* ---- DPDK rte_ring, SP/SC, bursts of 112-byte elements ---- */
static int rte_setup(struct bxfer *x)
{
    ssize_t sz = rte_ring_get_memsize_elem(BXFER_PKT, BXFER_SLOTS);
    if (sz <= 0 || x->batch == 0 || x->batch > MAX_BURST)
        return -1;
    x->mem_size = (size_t)sz;
    if (!(x->mem = bxfer_shared_alloc(x->mem_size)))
        return -1;
    if (rte_ring_init(x->mem, "usbsim-bench", BXFER_SLOTS, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
        fprintf(stderr, "bench ring: rte_ring_init failed\n");
        mem_teardown(x);
        return -1;
    }
    return 0;
}

static int rte_produce(struct bxfer *x, uint64_t t0)
{
    static uint8_t burst[MAX_BURST][BXFER_PKT];
    struct rte_ring *r = x->mem;
    for (uint32_t k = 0; k < x->batch; k++)
        bxfer_template(burst[k]);
    for (uint64_t sent = 0; sent < x->n;) {
        bxfer_pace(x, t0, sent);
        uint32_t want = x->n - sent < x->batch ? (uint32_t)(x->n - sent) : x->batch;
        for (uint32_t k = 0; k < want; k++)
            bxfer_set_seq(burst[k], sent + k);
        uint32_t done = 0;
        while (done < want) {
            done += rte_ring_sp_enqueue_burst_elem(r, burst[done], BXFER_PKT, want - done, NULL);
            if (done < want)
                rte_pause();
        }
        sent += want;
    }
    return 0;
}

static int rte_consume(struct bxfer *x)
{
    static uint8_t burst[MAX_BURST][BXFER_PKT];
    struct rte_ring *r = x->mem;
    atomic_store(&x->sh->ready, 1);
    while (x->sh->got < x->n) {
        unsigned k = rte_ring_sc_dequeue_burst_elem(r, burst, BXFER_PKT, x->batch, NULL);
        if (!k)
            rte_pause();
        for (unsigned i = 0; i < k; i++)
            bxfer_note(x, burst[i], 0);
    }
    x->sh->t_end = bxfer_now_ns();
    return 0;
}

const struct bxfer_ops banchor_rte = {"rte_ring", rte_setup, mem_teardown, rte_produce, rte_consume,
                                      NULL};

/* ---- one SOCK_SEQPACKET message per packet ---- */
static int sock_setup(struct bxfer *x)
{
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sock);
}

static void sock_teardown(struct bxfer *x)
{
    for (int i = 0; i < 2; i++)
        if (x->sock[i] >= 0)
            close(x->sock[i]);
}

static void sock_after(struct bxfer *x)
{
    close(x->sock[0]); /* the consumer sees the end if it is still reading */
    x->sock[0] = -1;
}

static int sock_produce(struct bxfer *x, uint64_t t0)
{
    struct ck_pkt p;
    bxfer_template(p.bytes);
    for (uint64_t i = 0; i < x->n; i++) {
        bxfer_pace(x, t0, i);
        p.ingress_ns = bxfer_ingress_ns(x);
        bxfer_set_seq(p.bytes, i);
        if (send(x->sock[0], &p, sizeof p, MSG_NOSIGNAL) != (ssize_t)sizeof p)
            return -1;
    }
    return 0;
}

static int sock_consume(struct bxfer *x)
{
    struct ck_pkt p;
    close(x->sock[0]);
    atomic_store(&x->sh->ready, 1);
    while (x->sh->got < x->n) {
        if (recv(x->sock[1], &p, sizeof p, 0) != (ssize_t)sizeof p)
            return 1;
        bxfer_note(x, p.bytes, p.ingress_ns);
    }
    x->sh->t_end = bxfer_now_ns();
    return 0;
}

const struct bxfer_ops banchor_sock = {"socket", sock_setup, sock_teardown, sock_produce, sock_consume,
                                       sock_after};

/* ---- the copy limit: two halves, one flag each ---- */
struct copy_mem {
    _Atomic uint32_t full[2][16]; /* [h][0]: half h holds packets; one cache line each */
    uint8_t half[2][BANCHOR_COPY_HALF][BXFER_PKT];
};

static int copy_setup(struct bxfer *x)
{
    x->mem_size = sizeof(struct copy_mem);
    return (x->mem = bxfer_shared_alloc(x->mem_size)) ? 0 : -1;
}

static int copy_produce(struct bxfer *x, uint64_t t0)
{
    (void)t0;
    struct copy_mem *m = x->mem;
    uint8_t tmpl[BXFER_PKT];
    bxfer_template(tmpl);
    for (uint64_t sent = 0, h = 0; sent < x->n; h ^= 1) {
        while (atomic_load_explicit(&m->full[h][0], memory_order_acquire))
            ck_pr_stall();
        uint32_t k = x->n - sent < BANCHOR_COPY_HALF ? (uint32_t)(x->n - sent) : BANCHOR_COPY_HALF;
        for (uint32_t i = 0; i < k; i++) {
            memcpy(m->half[h][i], tmpl, BXFER_PKT);
            bxfer_set_seq(m->half[h][i], sent + i);
        }
        atomic_store_explicit(&m->full[h][0], k, memory_order_release);
        sent += k;
    }
    return 0;
}

static int copy_consume(struct bxfer *x)
{
    struct copy_mem *m = x->mem;
    uint8_t copy[BXFER_PKT];
    atomic_store(&x->sh->ready, 1);
    for (unsigned h = 0; x->sh->got < x->n; h ^= 1) {
        uint32_t k;
        while (!(k = atomic_load_explicit(&m->full[h][0], memory_order_acquire)))
            ck_pr_stall();
        for (uint32_t i = 0; i < k; i++) {
            memcpy(copy, m->half[h][i], BXFER_PKT);
            bxfer_note(x, copy, 0);
        }
        atomic_store_explicit(&m->full[h][0], 0, memory_order_release);
    }
    x->sh->t_end = bxfer_now_ns();
    return 0;
}

const struct bxfer_ops banchor_copy = {"copy", copy_setup, mem_teardown, copy_produce, copy_consume,
                                       NULL};

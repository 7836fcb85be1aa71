/* bench_anchor — the transports `usbsim bench ring` measures our ring against, each a struct
 * bxfer_ops (bench_xfer.h) moving the same 112-byte packets between two processes:
 *   banchor_ck     Concurrency Kit's ck_ring SPSC, one packet per enqueue and per dequeue (its
 *                  API has no burst); the consumer polls (no doorbell).
 *   banchor_rte    DPDK's rte_ring, single producer / single consumer (RING_F_SP_ENQ |
 *                  RING_F_SC_DEQ), 112-byte elements, bursts of x->batch
 *                  (rte_ring_sp_enqueue_burst_elem / rte_ring_sc_dequeue_burst_elem), in
 *                  MAP_SHARED memory sized by rte_ring_get_memsize_elem and set up by rte_ring_init:
 *                  no EAL, no hugepages. The consumer polls.
 *   banchor_sock   one SOCK_SEQPACKET message per packet (what one callback per packet costs).
 *   banchor_copy   the limit: a plain 112-byte copy from the producer's cache to the consumer's,
 *                  synchronised once per half of a two-half buffer (BANCHOR_COPY_HALF packets),
 *                  so the synchronisation costs next to nothing per packet.
 * Every producer copies each packet into shared memory once; every consumer copies it out once.
 * Prefix: banchor_.
 */
#ifndef USBSIM_HARNESS_BENCH_ANCHOR_H
#define USBSIM_HARNESS_BENCH_ANCHOR_H

#include "harness/bench_xfer.h"

#define BANCHOR_COPY_HALF 512

extern const struct bxfer_ops banchor_ck, banchor_rte, banchor_sock, banchor_copy;

#endif

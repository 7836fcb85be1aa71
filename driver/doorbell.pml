/* doorbell.pml — the ring's doorbell protocol (event-index suppression), as driver/ring.c and
 * driver/doorbell.c implement it, checked by spin (ci/model.sh: safety, then non-progress cycles).
 *
 * One producer and one consumer share prod, cons and the consumer's event index `wake`; positions
 * wrap modulo M as the real uint32 positions wrap modulo 2^32, the ring has S slots, the producer
 * commits 1 or 2 packets at a time and may stop at any point. The eventfd is `bell` (its counter is
 * non-zero). Each statement is one atomic step; the full fences of the real code are modelled by
 * sequential consistency: every store is visible before the next load of the same process.
 *
 *   producer: prod = new; FENCE; w = wake; if need_event(w, new, old) then ring.
 *   consumer: if empty: wake = cons; FENCE; if still empty then sleep until the bell rings.
 *
 * Properties:
 *   - no lost wake-up: when nothing can move any more (spin's `timeout`), the consumer is not
 *     asleep with a packet pending (assert in the watchdog; the sleep is a valid end state only
 *     with an empty ring);
 *   - progress: every infinite run passes a progress label (a commit or a consumed packet), i.e.
 *     the consumer never loops forever on wake-ups that bring nothing (pan -DNP -l).
 * Without the fences (spin -DNOFENCE: each side's load may pass its own earlier store, which the
 * store buffers of x86 allow), the safety run finds the lost wake-up:
 *   spin -DNOFENCE -a doorbell.pml && cc -DSAFETY -o pan pan.c && ./pan   -> assertion violated.
 * spin -DALWAYS checks mode `always` (ring after every commit).
 */
#define M 8
#define S 3
#define DIST(a, b) (((a) + M - (b)) % M)
/* virtio's vring_need_event: new - event - 1 < new - old, in modular arithmetic */
#define NEED_EVENT(ev, nw, od) (DIST(nw, (ev + 1) % M) < DIST(nw, od))

byte prod = 0;
byte cons = 0;
byte wake = M - 1;   /* nobody asleep yet */
bool bell = false;   /* eventfd counter > 0 */
bool asleep = false;
bool pdone = false;   /* the producer has stopped for good */

active proctype producer()
{
    byte old, nw, w, k;
    do
    :: DIST(prod, cons) < S ->
        if
        :: k = 1
        :: DIST(prod, cons) + 2 <= S -> k = 2
        fi;
        old = prod;
        nw = (prod + k) % M;
#ifdef NOFENCE
        w = wake;
progress_p1:
        prod = nw;
#else
progress_p2:
        prod = nw;
        w = wake;
#endif
#ifdef ALWAYS
        bell = true;
#else
        if
        :: NEED_EVENT(w, nw, old) -> bell = true
        :: else -> skip
        fi;
#endif
        k = 0; old = 0; nw = 0; w = 0
    :: break
    od;
    pdone = true
}

active proctype consumer()
{
    byte p;
    do
    :: p = prod;
        if
        :: p != cons ->
progress_c:
            cons = (cons + 1) % M
        :: else ->
#ifdef NOFENCE
            p = prod;
            wake = cons;
#else
            wake = cons;
            p = prod;
#endif
            if
            :: p != cons -> skip
            :: else ->
                asleep = true;
end_sleep:
                atomic { bell -> bell = false; asleep = false }
            fi
        fi;
        p = 0
    od
}

active proctype watchdog()
{
    timeout -> assert(!(asleep && prod != cons))
}

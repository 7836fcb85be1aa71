/* ring — see ring.h for the contract and the shared memory layout. */
#include "driver/ring.h"

#include "sim/clock.h"

#include "driver/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- shared layout ---- */
struct ring_geom {
    uint32_t magic, version, header_size, slots, slot_size, slot_payload, policy, page_size;
    uint64_t total_size;
};

struct ring_ppage { /* page 0: producer-written */
    struct ring_geom g;
    alignas(64) _Atomic uint32_t prod;
    alignas(64) _Atomic uint64_t produced;
    _Atomic uint64_t dropped[USBSIM_RING_DROP_CAUSES];
    _Atomic uint64_t doorbells;
    _Atomic uint32_t closed;
};

struct ring_cpage { /* page 1: consumer-written */
    _Atomic uint64_t word; /* low 32: cons, high 32: head */
    alignas(64) _Atomic uint32_t wake;
    alignas(64) _Atomic uint64_t wakeups;
    _Atomic uint64_t consumed;
};

_Static_assert(offsetof(struct ring_ppage, prod) == 64, "ABI: prod at +64");
_Static_assert(offsetof(struct ring_ppage, produced) == 128, "ABI: counters at +128");
_Static_assert(offsetof(struct ring_cpage, wake) == 64, "ABI: wake at +64");
_Static_assert(offsetof(struct ring_cpage, wakeups) == 128, "ABI: consumer counters at +128");
_Static_assert(sizeof(struct ring_ppage) <= 4096 && sizeof(struct ring_cpage) <= 4096, "pages");

struct slot_hdr {
    uint16_t len, flags;
    uint32_t seq;
    uint64_t ingress_ns;
};
_Static_assert(sizeof(struct slot_hdr) == USBSIM_RING_SLOT_HDR, "ABI: slot header is 16 bytes");

/* ---- handle ---- */
struct usbsim_ring {
    int fd, producer;
    uint8_t *base, *slots;
    size_t size, page;
    struct ring_ppage *pp;
    struct ring_cpage *cp;
    uint32_t nslots, mask, slot_size, payload;
    enum usbsim_ring_policy policy;
    uint64_t block_timeout_ns;
    uint32_t prod, cons_cache, reserved;  /* producer */
    uint32_t cons, prod_cache, claimed;   /* consumer */
    volatile _Atomic int stop;
    usbsim_ring_wait_check_fn wait_check; /* producer, block: is the wait still worth it? */
    void *wait_ctx;
    char err[USBSIM_RING_ERR_MAX];
};

static inline uint64_t pack(uint32_t cons, uint32_t head)
{
    return (uint64_t)cons | ((uint64_t)head << 32);
}

static int fail(struct usbsim_ring *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return status;
}

static void bump(_Atomic uint64_t *c, uint64_t n) /* single writer: no locked instruction */
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* ---- shared memory backends ---- */
static int memfd_make(const char *tag)
{
    return memfd_create(tag, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

const struct usbsim_ring_shm_ops usbsim_ring_shm_memfd = {"memfd", memfd_make};

/* ---- geometry ---- */
static uint32_t slot_size_for(uint32_t payload)
{
    return (USBSIM_RING_SLOT_HDR + payload + 63u) & ~63u;
}

static int pow2(uint32_t v)
{
    return v && !(v & (v - 1));
}

/* Checks a geometry block (copied out of shared memory) against this machine and the object size. */
static int geom_check(struct usbsim_ring *r, const struct ring_geom *g, uint64_t object_size)
{
    if (g->magic != USBSIM_RING_MAGIC)
        return fail(r, USBSIM_EMAGIC, "ring header: magic 0x%08x, expected 0x%08x", g->magic,
                    USBSIM_RING_MAGIC);
    if (g->version != USBSIM_RING_VERSION)
        return fail(r, USBSIM_EVERSION, "ring header: version %u, this library speaks %u",
                    g->version, USBSIM_RING_VERSION);
    if (g->page_size != r->page || g->header_size != 2 * r->page)
        return fail(r, USBSIM_EGEOMETRY, "ring header: page size %u / header size %u, expected %zu / %zu",
                    g->page_size, g->header_size, r->page, 2 * r->page);
    if (!pow2(g->slots) || g->slots < USBSIM_RING_MIN_SLOTS || g->slots > USBSIM_RING_MAX_SLOTS)
        return fail(r, USBSIM_EGEOMETRY, "ring header: %u slots (need a power of two, %u..%u)",
                    g->slots, USBSIM_RING_MIN_SLOTS, USBSIM_RING_MAX_SLOTS);
    if (g->slot_payload < 1 || g->slot_payload > USBSIM_RING_MAX_PAYLOAD ||
        g->slot_size != slot_size_for(g->slot_payload))
        return fail(r, USBSIM_EGEOMETRY, "ring header: slot size %u for payload %u (expected %u)",
                    g->slot_size, g->slot_payload, slot_size_for(g->slot_payload));
    if (g->policy > USBSIM_RING_DROP_OLDEST)
        return fail(r, USBSIM_EGEOMETRY, "ring header: unknown overflow policy %u", g->policy);
    uint64_t need = (uint64_t)g->header_size + (uint64_t)g->slots * g->slot_size;
    if (g->total_size != need || need > object_size)
        return fail(r, USBSIM_EGEOMETRY,
                    "ring header: total size %llu, geometry needs %llu, object has %llu",
                    (unsigned long long)g->total_size, (unsigned long long)need,
                    (unsigned long long)object_size);
    return USBSIM_OK;
}

static void adopt_geom(struct usbsim_ring *r, const struct ring_geom *g)
{
    r->nslots = g->slots;
    r->mask = g->slots - 1;
    r->slot_size = g->slot_size;
    r->payload = g->slot_payload;
    r->policy = (enum usbsim_ring_policy)g->policy;
    r->size = g->total_size;
    r->pp = (struct ring_ppage *)r->base;
    r->cp = (struct ring_cpage *)(r->base + r->page);
    r->slots = r->base + g->header_size;
}

static struct usbsim_ring *handle_new(char err[USBSIM_RING_ERR_MAX])
{
    struct usbsim_ring *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, USBSIM_RING_ERR_MAX, "ring: out of memory");
        return NULL;
    }
    r->fd = -1;
    r->page = (size_t)sysconf(_SC_PAGESIZE);
    return r;
}

static struct usbsim_ring *handle_fail(struct usbsim_ring *r, char err[USBSIM_RING_ERR_MAX])
{
    snprintf(err, USBSIM_RING_ERR_MAX, "%s", r->err);
    usbsim_ring_destroy(r);
    return NULL;
}

/* ---- create / attach ---- */
static int config_check(struct usbsim_ring *r, const struct usbsim_ring_config *c)
{
    if (!pow2(c->slots) || c->slots < USBSIM_RING_MIN_SLOTS || c->slots > USBSIM_RING_MAX_SLOTS)
        return fail(r, USBSIM_EINVAL, "ring: slots %u is not a power of two in %u..%u", c->slots,
                    USBSIM_RING_MIN_SLOTS, USBSIM_RING_MAX_SLOTS);
    if (c->slot_payload < 1 || c->slot_payload > USBSIM_RING_MAX_PAYLOAD)
        return fail(r, USBSIM_EINVAL, "ring: slot payload %u not in 1..%u", c->slot_payload,
                    USBSIM_RING_MAX_PAYLOAD);
    if ((unsigned)c->policy > USBSIM_RING_DROP_OLDEST)
        return fail(r, USBSIM_EINVAL, "ring: unknown overflow policy %d", (int)c->policy);
    return USBSIM_OK;
}

struct usbsim_ring *usbsim_ring_create(const struct usbsim_ring_config *cfg, char err[USBSIM_RING_ERR_MAX])
{
    struct usbsim_ring *r = handle_new(err);
    if (!r)
        return NULL;
    if (config_check(r, cfg) != USBSIM_OK)
        return handle_fail(r, err);
    struct ring_geom g = {USBSIM_RING_MAGIC, USBSIM_RING_VERSION, (uint32_t)(2 * r->page), cfg->slots,
                          slot_size_for(cfg->slot_payload), cfg->slot_payload,
                          (uint32_t)cfg->policy, (uint32_t)r->page, 0};
    g.total_size = (uint64_t)g.header_size + (uint64_t)g.slots * g.slot_size;
    const struct usbsim_ring_shm_ops *ops = cfg->shm ? cfg->shm : &usbsim_ring_shm_memfd;
    r->fd = ops->create("usbsim-ring");
    if (r->fd < 0 || ftruncate(r->fd, (off_t)g.total_size) != 0) {
        fail(r, USBSIM_ESYS, "ring: cannot create the %s object: %s", ops->name, strerror(errno));
        return handle_fail(r, err);
    }
    (void)fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL); /* memfd only */
    r->base = mmap(NULL, g.total_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (r->base == MAP_FAILED) {
        r->base = NULL;
        fail(r, USBSIM_ESYS, "ring: mmap of %llu bytes: %s", (unsigned long long)g.total_size,
             strerror(errno));
        return handle_fail(r, err);
    }
    adopt_geom(r, &g);
    r->producer = 1;
    r->block_timeout_ns = cfg->block_timeout_ns;
    r->pp->g = g;
    r->prod = r->cons_cache = cfg->first_index;
    atomic_store(&r->pp->prod, cfg->first_index);
    atomic_store(&r->cp->word, pack(cfg->first_index, cfg->first_index));
    atomic_store(&r->cp->wake, cfg->first_index - 1u); /* nobody asleep yet */
    return r;
}

/* A hostile producer must not be able to shrink the object under our mapping (SIGBUS): only a
 * memfd sealed against shrinking is mapped. Decided by what the object is (fstat) and what its
 * seals are (F_GET_SEALS fails on anything that cannot be sealed: a file, a POSIX shm object is
 * sealed against sealing), never by its name. */
static int seals_check(struct usbsim_ring *r, int fd, const struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return fail(r, USBSIM_EGEOMETRY, "ring: the memory object is not a memfd (file type 0%o)",
                    (unsigned)(st->st_mode & S_IFMT));
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0)
        return fail(r, USBSIM_EGEOMETRY, "ring: the memory object is not a memfd (it cannot be "
                    "sealed, so the producer could shrink it under the mapping)");
    if (!(seals & F_SEAL_SHRINK))
        return fail(r, USBSIM_EGEOMETRY, "ring: memory object is not sealed against shrinking");
    return USBSIM_OK;
}

struct usbsim_ring *usbsim_ring_attach_consumer(int fd, char err[USBSIM_RING_ERR_MAX])
{
    struct usbsim_ring *r = handle_new(err);
    if (!r)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail(r, USBSIM_ESYS, "ring: fstat: %s", strerror(errno));
        return handle_fail(r, err);
    }
    if (seals_check(r, fd, &st) != USBSIM_OK)
        return handle_fail(r, err);
    if (st.st_size < (off_t)(2 * r->page)) {
        fail(r, USBSIM_EGEOMETRY, "ring: memory object of %lld bytes is smaller than the header",
             (long long)st.st_size);
        return handle_fail(r, err);
    }
    struct ring_geom g;
    void *hdr = mmap(NULL, r->page, PROT_READ, MAP_SHARED, fd, 0);
    if (hdr == MAP_FAILED) {
        fail(r, USBSIM_ESYS, "ring: mmap header: %s", strerror(errno));
        return handle_fail(r, err);
    }
    memcpy(&g, hdr, sizeof g); /* one copy: later changes by the producer are not seen */
    munmap(hdr, r->page);
    if (geom_check(r, &g, (uint64_t)st.st_size) != USBSIM_OK)
        return handle_fail(r, err);
    r->base = mmap(NULL, g.total_size, PROT_READ, MAP_SHARED, fd, 0);
    if (r->base == MAP_FAILED) {
        r->base = NULL;
        fail(r, USBSIM_ESYS, "ring: mmap: %s", strerror(errno));
        return handle_fail(r, err);
    }
    adopt_geom(r, &g);
    if (mmap(r->cp, r->page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
             (off_t)r->page) == MAP_FAILED) {
        fail(r, USBSIM_ESYS, "ring: mmap consumer page: %s", strerror(errno));
        return handle_fail(r, err);
    }
    uint64_t w = atomic_load_explicit(&r->cp->word, memory_order_acquire);
    r->cons = (uint32_t)w;
    r->prod_cache = r->cons;
    return r;
}

void usbsim_ring_destroy(struct usbsim_ring *r)
{
    if (!r)
        return;
    if (r->base)
        munmap(r->base, r->size);
    if (r->producer && r->fd >= 0)
        close(r->fd);
    free(r);
}

int usbsim_ring_fd(const struct usbsim_ring *r) { return r->fd; }
const char *usbsim_ring_error(const struct usbsim_ring *r) { return r->err; }
uint32_t usbsim_ring_slots(const struct usbsim_ring *r) { return r->nslots; }
uint32_t usbsim_ring_payload(const struct usbsim_ring *r) { return r->payload; }
enum usbsim_ring_policy usbsim_ring_policy(const struct usbsim_ring *r) { return r->policy; }

static const char *const policy_names[] = {
    [USBSIM_RING_BLOCK] = "block",
    [USBSIM_RING_DROP_NEWEST] = "drop-newest",
    [USBSIM_RING_DROP_OLDEST] = "drop-oldest",
};
_Static_assert(sizeof policy_names / sizeof policy_names[0] == USBSIM_RING_DROP_OLDEST + 1,
               "one name per overflow policy");

const char *usbsim_ring_policy_name(enum usbsim_ring_policy p)
{
    return (unsigned)p <= USBSIM_RING_DROP_OLDEST ? policy_names[p] : "?";
}

int usbsim_ring_policy_parse(const char *s, enum usbsim_ring_policy *out)
{
    for (unsigned i = 0; i <= USBSIM_RING_DROP_OLDEST; i++)
        if (strcmp(s, policy_names[i]) == 0)
            return *out = (enum usbsim_ring_policy)i, 0;
    return -1;
}

void usbsim_ring_stats(const struct usbsim_ring *r, struct usbsim_ring_stats *s)
{
    memset(s, 0, sizeof *s);
    s->produced = atomic_load_explicit(&r->pp->produced, memory_order_relaxed);
    for (int i = 0; i < USBSIM_RING_DROP_CAUSES; i++)
        s->dropped[i] = atomic_load_explicit(&r->pp->dropped[i], memory_order_relaxed);
    s->doorbells = atomic_load_explicit(&r->pp->doorbells, memory_order_relaxed);
    s->wakeups = atomic_load_explicit(&r->cp->wakeups, memory_order_relaxed);
    s->consumed = atomic_load_explicit(&r->cp->consumed, memory_order_relaxed);
    s->prod = atomic_load_explicit(&r->pp->prod, memory_order_acquire);
    s->cons = (uint32_t)atomic_load_explicit(&r->cp->word, memory_order_acquire);
    s->closed = (int)atomic_load_explicit(&r->pp->closed, memory_order_acquire);
    s->slots = r->nslots;
}

/* ---- producer ---- */
#define NEED_PRODUCER(r)                                                                  \
    do {                                                                                  \
        if (!(r)->producer)                                                               \
            return fail((r), USBSIM_EROLE, "ring: producer call on a consumer handle");     \
    } while (0)
#define NEED_CONSUMER(r)                                                                  \
    do {                                                                                  \
        if ((r)->producer)                                                                \
            return fail((r), USBSIM_EROLE, "ring: consumer call on a producer handle");     \
    } while (0)

/* Reads the consumer's word and checks it against what the producer knows. */
static int load_cons_word(struct usbsim_ring *r, uint32_t *cons, uint32_t *head)
{
    uint64_t w = atomic_load_explicit(&r->cp->word, memory_order_acquire);
    uint32_t c = (uint32_t)w, h = (uint32_t)(w >> 32), used = r->prod - c;
    if (used > r->nslots || (uint32_t)(h - c) > used)
        return fail(r, USBSIM_EINDEX,
                    "ring: consumer index %u / claimed end %u out of range (producer at %u, %u slots)",
                    c, h, r->prod, r->nslots);
    *cons = c;
    *head = h;
    r->cons_cache = c;
    return USBSIM_OK;
}

static uint32_t free_slots(const struct usbsim_ring *r)
{
    if (fault_on(FAULT_WRAP_OFF_BY_ONE)) /* planted bug: one slot too many, wraps onto cons */
        return r->prod - r->cons_cache <= r->nslots ? r->nslots + 1 - (r->prod - r->cons_cache) : 0;
    return r->nslots - (r->prod - r->cons_cache);
}

/* drop-oldest: take back up to `need` of the oldest packets, only while none is claimed. */
static int evict(struct usbsim_ring *r, uint32_t need)
{
    for (int tries = 0; tries < 64 && free_slots(r) < need; tries++) {
        uint32_t c, h;
        int st = load_cons_word(r, &c, &h);
        if (st != USBSIM_OK)
            return st;
        uint32_t lack = need > free_slots(r) ? need - free_slots(r) : 0;
        if (lack == 0 || h != c)
            break;
        uint32_t k = lack < r->prod - c ? lack : r->prod - c;
        uint64_t expect = pack(c, c);
        if (atomic_compare_exchange_strong_explicit(&r->cp->word, &expect, pack(c + k, c + k),
                                                    memory_order_acq_rel, memory_order_acquire)) {
            bump(&r->pp->dropped[USBSIM_RING_DROP_EVICTED], k);
            r->cons_cache = c + k;
        }
    }
    return USBSIM_OK;
}

void usbsim_ring_set_wait_check(struct usbsim_ring *r, usbsim_ring_wait_check_fn check, void *ctx)
{
    r->wait_check = check;
    r->wait_ctx = ctx;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#define WAIT_SPIN_NS 100000 /* a running consumer frees room within microseconds */

/* block: wait for one free slot, spinning for up to WAIT_SPIN_NS (a pause between looks, the clock
 * read once in 64 looks), then in short sleeps; never sched_yield, which on a busy machine gives
 * the processor away for a whole time slice. The wait check runs about once a millisecond. */
static int wait_room(struct usbsim_ring *r)
{
    uint64_t start = 0, deadline = 0, next_check = 0;
    for (unsigned round = 0;; round++) {
        uint32_t c, h;
        int st = load_cons_word(r, &c, &h);
        if (st != USBSIM_OK || free_slots(r) > 0)
            return st;
        if (atomic_load_explicit(&r->stop, memory_order_relaxed))
            return fail(r, USBSIM_ESTOPPED, "ring: wait for room stopped");
        cpu_relax();
        if (round % 64 != 63)
            continue;
        uint64_t t = (uint64_t)clk_mono_ns();
        if (!start) {
            start = t;
            deadline = r->block_timeout_ns ? t + r->block_timeout_ns : UINT64_MAX;
        }
        if (t >= deadline)
            return fail(r, USBSIM_ETIMEDOUT, "ring: no room for %llu ns",
                        (unsigned long long)r->block_timeout_ns);
        if (r->wait_check && t >= next_check) {
            if (r->wait_check(r->wait_ctx) != 0)
                return fail(r, USBSIM_EPEER, "ring: the wait for room was called off (the "
                            "consumer went away, or the producer was told to stop)");
            next_check = t + 1000000;
        }
        if (t - start >= WAIT_SPIN_NS) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
}

int usbsim_ring_reserve(struct usbsim_ring *r, uint32_t want, uint32_t *got)
{
    *got = 0;
    NEED_PRODUCER(r);
    if (want > r->nslots)
        want = r->nslots;
    int st = USBSIM_OK;
    if (free_slots(r) < want) {
        uint32_t c, h;
        st = load_cons_word(r, &c, &h);
        if (st == USBSIM_OK && free_slots(r) < want && r->policy == USBSIM_RING_DROP_OLDEST)
            st = evict(r, want);
        if (st == USBSIM_OK && free_slots(r) == 0 && r->policy == USBSIM_RING_BLOCK)
            st = wait_room(r);
        if (st != USBSIM_OK)
            return st;
    }
    uint32_t f = free_slots(r);
    *got = r->reserved = f < want ? f : want;
    return USBSIM_OK;
}

static uint8_t *prod_slot(struct usbsim_ring *r, uint32_t k)
{
    return r->slots + (size_t)((r->prod + k) & r->mask) * r->slot_size;
}

uint8_t *usbsim_ring_slot_bytes(struct usbsim_ring *r, uint32_t k)
{
    return prod_slot(r, k) + USBSIM_RING_SLOT_HDR;
}

void usbsim_ring_slot_meta(struct usbsim_ring *r, uint32_t k, uint16_t len, uint16_t flags, uint64_t ingress_ns)
{
    struct slot_hdr h = {len <= r->payload ? len : (uint16_t)r->payload, flags, r->prod + k,
                         ingress_ns};
    memcpy(prod_slot(r, k), &h, sizeof h);
}

void usbsim_ring_fill(struct usbsim_ring *r, uint32_t k, const void *bytes, uint16_t len, uint16_t flags,
               uint64_t ingress_ns)
{
    usbsim_ring_slot_meta(r, k, len, flags, ingress_ns);
    memcpy(usbsim_ring_slot_bytes(r, k), bytes, len <= r->payload ? len : r->payload);
}

uint32_t usbsim_ring_commit(struct usbsim_ring *r, uint32_t n)
{
    uint32_t old = r->prod;
    if (n > r->reserved)
        n = r->reserved;
    r->reserved = 0;
    r->prod = old + n;
    atomic_store_explicit(&r->pp->prod, r->prod, memory_order_release);
    bump(&r->pp->produced, n);
    return old;
}

uint32_t usbsim_ring_commit_wake(struct usbsim_ring *r, uint32_t n, int *wake)
{
    uint32_t old = r->prod;
    if (n > r->reserved)
        n = r->reserved;
    r->reserved = 0;
    *wake = 0;
    if (n == 0)
        return old;
    r->prod = old + n;
    /* The exchange is the store and the full fence in one instruction; the load of the wake
     * index cannot pass it (the event-index protocol of doorbell.h, modelled in doorbell.pml). */
    atomic_exchange_explicit(&r->pp->prod, r->prod, memory_order_seq_cst);
    bump(&r->pp->produced, n);
    uint32_t w = atomic_load_explicit(&r->cp->wake, memory_order_seq_cst);
    *wake = (uint32_t)(r->prod - w - 1u) < n;
    return old;
}

static enum usbsim_ring_drop_cause policy_cause(enum usbsim_ring_policy p)
{
    return p == USBSIM_RING_DROP_NEWEST ? USBSIM_RING_DROP_FULL
           : p == USBSIM_RING_DROP_OLDEST ? USBSIM_RING_DROP_OLDEST_BUSY
                                   : USBSIM_RING_DROP_BLOCK_ABORT;
}

void usbsim_ring_discard(struct usbsim_ring *r, uint32_t n)
{
    if (r->producer && n)
        bump(&r->pp->dropped[policy_cause(r->policy)], n);
}

int usbsim_ring_push(struct usbsim_ring *r, const void *bytes, uint16_t len, uint16_t flags, uint64_t ingress_ns,
              uint32_t *old)
{
    if (len > r->payload)
        return fail(r, USBSIM_EINVAL, "ring: packet of %u bytes exceeds the slot payload %u", len,
                    r->payload);
    uint32_t got;
    int st = usbsim_ring_reserve(r, 1, &got);
    if (got == 0 && st == USBSIM_OK && fault_on(FAULT_SILENT_DROP)) { /* planted bug: not counted */
        if (old)
            *old = r->prod;
        return USBSIM_OK;
    }
    if (got == 0) {
        if (st == USBSIM_OK || st == USBSIM_ESTOPPED || st == USBSIM_ETIMEDOUT || st == USBSIM_EPEER)
            usbsim_ring_discard(r, 1);
        return st == USBSIM_OK ? USBSIM_DROPPED : st;
    }
    if (fault_on(FAULT_EARLY_PUBLISH)) { /* planted bug: the index goes out before the slot */
        uint32_t o = usbsim_ring_commit(r, 1);
        fault_window();
        usbsim_ring_fill(r, UINT32_MAX, bytes, len, flags, ingress_ns); /* k = -1: the slot published */
        if (old)
            *old = o;
        return USBSIM_OK;
    }
    usbsim_ring_fill(r, 0, bytes, len, flags, ingress_ns);
    uint32_t o = usbsim_ring_commit(r, 1);
    if (old)
        *old = o;
    return USBSIM_OK;
}

void usbsim_ring_stop(struct usbsim_ring *r) { atomic_store(&r->stop, 1); }

void usbsim_ring_close(struct usbsim_ring *r)
{
    if (r->producer)
        atomic_store_explicit(&r->pp->closed, 1, memory_order_release);
}

int usbsim_ring_need_wake(struct usbsim_ring *r, uint32_t old, uint32_t new_pos)
{
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t w = atomic_load_explicit(&r->cp->wake, memory_order_relaxed);
    return (uint32_t)(new_pos - w - 1u) < (uint32_t)(new_pos - old);
}

void usbsim_ring_count_doorbell(struct usbsim_ring *r)
{
    if (r->producer)
        bump(&r->pp->doorbells, 1);
}

uint32_t usbsim_ring_prod_index(const struct usbsim_ring *r)
{
    return r->producer ? r->prod : atomic_load_explicit(&r->pp->prod, memory_order_acquire);
}

/* ---- consumer ---- */
/* A producer index read from shared memory against the consumer's c: never behind it, never
 * more than the ring's slots ahead. */
static int prod_in_range(struct usbsim_ring *r, uint32_t p, uint32_t c)
{
    if ((int32_t)(p - c) < 0)
        return fail(r, USBSIM_EINDEX, "ring: producer index %u is behind the consumer index %u", p, c);
    if (p - c > r->nslots)
        return fail(r, USBSIM_EINDEX,
                    "ring: producer index %u is %u ahead of the consumer index %u (ring has %u slots)",
                    p, p - c, c, r->nslots);
    return USBSIM_OK;
}

/* Reads prod and the own word; checks cons <= head <= prod <= cons + slots. */
static int load_indices(struct usbsim_ring *r, uint64_t *word)
{
    /* The word may move under us (a drop-oldest eviction): take prod between two equal reads of
     * it, so that prod and the word belong together. */
    uint64_t w, w2 = atomic_load_explicit(&r->cp->word, memory_order_acquire);
    uint32_t p;
    int tries = 0;
    do {
        w = w2;
        p = atomic_load_explicit(&r->pp->prod, memory_order_acquire);
        w2 = atomic_load_explicit(&r->cp->word, memory_order_acquire);
    } while (w2 != w && ++tries < 1000);
    uint32_t c = (uint32_t)w, h = (uint32_t)(w >> 32);
    int st = prod_in_range(r, p, c);
    if (st != USBSIM_OK)
        return st;
    if ((uint32_t)(h - c) > p - c)
        return fail(r, USBSIM_EINDEX, "ring: claimed end %u outside %u..%u", h, c, p);
    if ((uint32_t)(c - r->cons) > (uint32_t)(p - r->cons))
        return fail(r, USBSIM_EINDEX, "ring: consumer index moved from %u to %u", r->cons, c);
    r->prod_cache = p;
    *word = w;
    return USBSIM_OK;
}

/* Block and drop-newest: the producer never writes the consumer's word, so the consumer keeps
 * its position in the handle, never reads its word back and publishes it with a plain
 * store-release at each release (no read-modify-write). It reloads the producer index only when
 * the copy it holds says there is not enough to claim, and checks every index it loads. */
static int own_word(const struct usbsim_ring *r)
{
    return r->policy != USBSIM_RING_DROP_OLDEST;
}

static int load_prod(struct usbsim_ring *r)
{
    uint32_t p = atomic_load_explicit(&r->pp->prod, memory_order_acquire), c = r->cons;
    int st = prod_in_range(r, p, c);
    if (st != USBSIM_OK)
        return st;
    if (p - c < r->claimed)
        return fail(r, USBSIM_EINDEX, "ring: producer index %u went back into the claimed %u..%u",
                    p, c, c + r->claimed);
    r->prod_cache = p;
    return USBSIM_OK;
}

int usbsim_ring_peek(struct usbsim_ring *r, uint32_t max)
{
    NEED_CONSUMER(r);
    if (own_word(r)) {
        if (r->prod_cache - r->cons < max) {
            int st = load_prod(r);
            if (st != USBSIM_OK)
                return st;
        }
        uint32_t avail = r->prod_cache - r->cons;
        r->claimed = avail < max ? avail : max;
        return (int)r->claimed;
    }
    for (int tries = 0; tries < 1000; tries++) {
        uint64_t w;
        int st = load_indices(r, &w);
        if (st != USBSIM_OK)
            return st;
        uint32_t c = (uint32_t)w, h = (uint32_t)(w >> 32), avail = r->prod_cache - c;
        uint32_t n = avail < max ? avail : max;
        uint32_t end = (uint32_t)(h - c) >= n ? h : c + n;
        if (end == h || atomic_compare_exchange_strong_explicit(
                            &r->cp->word, &w, pack(c, end), memory_order_acq_rel,
                            memory_order_acquire)) {
            r->cons = c;
            r->claimed = n;
            return (int)n;
        }
        /* lost to an eviction by the producer: look again */
    }
    return fail(r, USBSIM_EINDEX, "ring: consumer word keeps changing under the consumer");
}

int usbsim_ring_get(struct usbsim_ring *r, uint32_t i, struct usbsim_ring_pkt *out)
{
    if (i >= r->claimed) { /* a producer handle never has a claim */
        NEED_CONSUMER(r);
        return fail(r, USBSIM_EINVAL, "ring: packet %u of a batch of %u", i, r->claimed);
    }
    uint32_t pos = r->cons + i;
    const uint8_t *slot = r->slots + (size_t)(pos & r->mask) * r->slot_size;
    struct slot_hdr h;
    memcpy(&h, slot, sizeof h); /* one copy: the producer cannot change what we validated */
    if (h.seq != pos)
        return fail(r, USBSIM_ESLOT, "ring: slot %u holds position %u, expected %u", pos & r->mask,
                    h.seq, pos);
    if (h.len > r->payload)
        return fail(r, USBSIM_ESLOT, "ring: slot %u length %u exceeds the payload %u", pos & r->mask,
                    h.len, r->payload);
    *out = (struct usbsim_ring_pkt){pos, h.len, h.flags, h.ingress_ns, slot + USBSIM_RING_SLOT_HDR};
    return USBSIM_OK;
}

int usbsim_ring_release(struct usbsim_ring *r, uint32_t n)
{
    NEED_CONSUMER(r);
    if (n > r->claimed)
        return fail(r, USBSIM_EINVAL, "ring: release of %u, only %u claimed", n, r->claimed);
    if (n == 0)
        return USBSIM_OK;
    if (own_word(r)) {
        r->cons += n;
        r->claimed -= n;
        atomic_store_explicit(&r->cp->word, pack(r->cons, r->cons), memory_order_release);
        bump(&r->cp->consumed, n);
        return USBSIM_OK;
    }
    uint64_t w = atomic_load_explicit(&r->cp->word, memory_order_relaxed);
    uint32_t c = (uint32_t)w, h = (uint32_t)(w >> 32);
    /* While a batch is claimed the producer never touches the word: it must be as we left it. */
    if (c != r->cons || (uint32_t)(h - c) < n)
        return fail(r, USBSIM_EINDEX, "ring: consumer word changed during a claimed batch");
    if (!atomic_compare_exchange_strong_explicit(&r->cp->word, &w, pack(c + n, h),
                                                 memory_order_release, memory_order_relaxed))
        return fail(r, USBSIM_EINDEX, "ring: consumer word changed during a claimed batch");
    r->cons = c + n;
    r->claimed -= n;
    bump(&r->cp->consumed, n);
    return USBSIM_OK;
}

int usbsim_ring_pending(struct usbsim_ring *r)
{
    NEED_CONSUMER(r);
    if (own_word(r)) {
        int st = load_prod(r);
        return st != USBSIM_OK ? st : (int)(r->prod_cache - r->cons - r->claimed);
    }
    uint64_t w;
    int st = load_indices(r, &w);
    if (st != USBSIM_OK)
        return st;
    return (int)(r->prod_cache - (uint32_t)(w >> 32));
}

int usbsim_ring_arm_wake(struct usbsim_ring *r)
{
    NEED_CONSUMER(r);
    uint32_t head = r->cons + r->claimed;
    if (!own_word(r))
        head = (uint32_t)(atomic_load_explicit(&r->cp->word, memory_order_relaxed) >> 32);
    atomic_store_explicit(&r->cp->wake, head, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    return usbsim_ring_pending(r);
}

void usbsim_ring_count_wakeup(struct usbsim_ring *r)
{
    bump(&r->cp->wakeups, 1);
}

int usbsim_ring_producer_closed(const struct usbsim_ring *r)
{
    return (int)atomic_load_explicit(&r->pp->closed, memory_order_acquire);
}

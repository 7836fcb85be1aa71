/* Tests of driver/client: two processes moving packets through the ring, hostile producers,
 * read-only mappings, peers that die mid-batch, credentials. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "driver/client.h"
#include "tests/cu.h"

#define PAYLOAD 112
/* Packets of the two-process test (USBSIM_CLIENT_PACKETS overrides): 10^7, fewer under sanitizers. */
#if defined(__SANITIZE_THREAD__)
#define DEFAULT_PACKETS 100000
#elif defined(__SANITIZE_ADDRESS__)
#define DEFAULT_PACKETS 1000000
#else
#define DEFAULT_PACKETS 10000000
#endif

static char dir[64], path[128], err[USBSIM_CLIENT_ERR_MAX];

static void setup(void)
{
    strcpy(dir, "/tmp/usbsim-client-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ring.sock", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

/* A packet: seq (8 bytes), a pattern, CRC-32 of everything before it (last 4 bytes). */
static void make_pkt(uint8_t *b, uint64_t seq)
{
    memcpy(b, &seq, 8);
    for (int i = 8; i < PAYLOAD - 4; i++)
        b[i] = (uint8_t)(seq * 7 + (uint64_t)i);
    uint32_t crc = (uint32_t)crc32(0, b, PAYLOAD - 4);
    memcpy(b + PAYLOAD - 4, &crc, 4);
}

static int check_pkt(const struct usbsim_ring_pkt *p, uint64_t seq)
{
    uint64_t s;
    uint32_t crc;
    if (p->len != PAYLOAD)
        return 0;
    memcpy(&s, p->bytes, 8);
    memcpy(&crc, p->bytes + PAYLOAD - 4, 4);
    return s == seq && p->ingress_ns == seq && crc == (uint32_t)crc32(0, p->bytes, PAYLOAD - 4);
}

struct driver {
    struct usbsim_ring *r;
    struct usbsim_doorbell d;
    struct usbsim_server s;
};

static int driver_open(struct driver *x, uint32_t slots, enum usbsim_ring_policy pol, uint64_t tmo_ns)
{
    char rerr[USBSIM_RING_ERR_MAX];
    struct usbsim_ring_config cfg = {slots, PAYLOAD, pol, tmo_ns, UINT32_MAX - 50, NULL};
    x->r = usbsim_ring_create(&cfg, rerr);
    if (!x->r || usbsim_doorbell_open(&x->d, USBSIM_DOORBELL_SUPPRESSED, NULL) != 0)
        return -1;
    return usbsim_server_listen(&x->s, path, x->r, &x->d);
}

static void driver_close(struct driver *x)
{
    usbsim_server_close(&x->s);
    usbsim_doorbell_close(&x->d);
    usbsim_ring_destroy(x->r);
}

static int push_seq(struct driver *x, uint64_t seq)
{
    uint8_t b[PAYLOAD];
    make_pkt(b, seq);
    return usbsim_doorbell_push(&x->d, x->r, b, PAYLOAD, 0, seq);
}

static uint64_t env_count(const char *name, uint64_t dflt)
{
    const char *e = getenv(name);
    return e && atoll(e) > 0 ? (uint64_t)atoll(e) : dflt;
}

/* ---- the driver process of the transfer test ---- */
static int driver_child(uint64_t n)
{
    struct driver x;
    if (driver_open(&x, 256, USBSIM_RING_BLOCK, 10000000000ull) != 0 || usbsim_server_accept(&x.s, 10000))
        return 10;
    for (uint64_t i = 0; i < n; i++)
        if (push_seq(&x, i) != USBSIM_OK)
            return 11;
    usbsim_ring_close(x.r);
    usbsim_doorbell_kick(&x.d, x.r); /* the application may sleep: tell it */
    for (int i = 0; i < 1000 && usbsim_server_check(&x.s) == 0; i++)
        usleep(10000);
    driver_close(&x);
    return 0;
}

static pid_t fork_driver(uint64_t n)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(driver_child(n));
    return pid;
}

static int child_status(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Drains until the wait says something other than "packets"; returns that and counts. */
static int consume(struct usbsim_client *c, uint64_t *next, uint64_t *bad)
{
    for (;;) {
        int w = usbsim_client_wait(c, 10000);
        if (w <= 0)
            return w;
        int k = usbsim_client_peek(c, 64);
        if (k < 0)
            return k;
        for (int i = 0; i < k; i++) {
            struct usbsim_ring_pkt p;
            *bad += usbsim_client_get(c, (uint32_t)i, &p) != USBSIM_OK || !check_pkt(&p, (*next)++);
        }
        usbsim_client_release(c, (uint32_t)k);
    }
}

static void t_two_processes(void)
{
    setup();
    uint64_t n = env_count("USBSIM_CLIENT_PACKETS", DEFAULT_PACKETS);
    alarm(120);
    pid_t pid = fork_driver(n);
    struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(usbsim_client_hello(c)->slots, 256);
    uint64_t next = 0, bad = 0;
    int end = consume(c, &next, &bad);
    CU_ASSERT_EQUAL(end, USBSIM_ECLOSED);
    CU_ASSERT_EQUAL(next, n);
    CU_ASSERT_EQUAL(bad, 0);
    struct usbsim_ring_stats s;
    usbsim_client_stats(c, &s);
    CU_ASSERT_EQUAL(s.produced, n);
    CU_ASSERT_EQUAL(s.consumed, n);
    for (int i = 0; i < USBSIM_RING_DROP_CAUSES; i++)
        CU_ASSERT_EQUAL(s.dropped[i], 0);
    printf("\n    %llu packets, %llu doorbells, %llu wake-ups ", (unsigned long long)n,
           (unsigned long long)s.doorbells, (unsigned long long)s.wakeups);
    usbsim_client_close(c);
    CU_ASSERT_EQUAL(child_status(pid), 0);
    alarm(0);
    teardown();
}

static void t_producer_dies_mid_batch(void)
{
    setup();
    pid_t pid = fork();
    if (pid == 0) {
        struct driver x;
        if (driver_open(&x, 64, USBSIM_RING_BLOCK, 0) != 0 || usbsim_server_accept(&x.s, 10000))
            _exit(10);
        for (uint64_t i = 0; i < 10; i++)
            push_seq(&x, i);
        uint32_t got;
        usbsim_ring_reserve(x.r, 5, &got); /* filled, never committed: the driver dies here */
        for (uint32_t k = 0; k < got; k++)
            usbsim_ring_fill(x.r, k, "x", 1, 0, 0);
        _exit(0);
    }
    alarm(60);
    struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    uint64_t next = 0, bad = 0;
    CU_ASSERT_EQUAL(consume(c, &next, &bad), USBSIM_EPEER);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_client_error(c), "closed the connection"));
    CU_ASSERT_EQUAL(next, 10);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(usbsim_client_wait(c, 10), USBSIM_EPEER); /* and it stays so */
    usbsim_client_close(c);
    CU_ASSERT_EQUAL(child_status(pid), 0);
    alarm(0);
    teardown();
}

static void t_consumer_dies_mid_batch(void)
{
    setup();
    struct driver x;
    CU_ASSERT_EQUAL_FATAL(driver_open(&x, 8, USBSIM_RING_BLOCK, 0), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
        while (c && usbsim_client_wait(c, 1000) < 4) {
        }
        _exit(c && usbsim_client_peek(c, 4) == 4 ? 0 : 1); /* claimed, never released */
    }
    alarm(60);
    CU_ASSERT_EQUAL_FATAL(usbsim_server_accept(&x.s, 10000), 0);
    for (uint64_t i = 0; i < 8; i++)
        CU_ASSERT_EQUAL(push_seq(&x, i), USBSIM_OK);
    CU_ASSERT_EQUAL(child_status(pid), 0);
    CU_ASSERT_EQUAL(usbsim_server_check(&x.s), USBSIM_EPEER);
    CU_ASSERT_PTR_NOT_NULL(strstr(x.s.err, "application closed"));
    usbsim_ring_stop(x.r); /* what the driver does when its application is gone */
    CU_ASSERT_EQUAL(push_seq(&x, 8), USBSIM_ESTOPPED);
    struct usbsim_ring_stats s;
    usbsim_ring_stats(x.r, &s);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_BLOCK_ABORT], 1);
    alarm(0);
    driver_close(&x);
    teardown();
}

/* ---- hostile producers (served from a thread) ---- */
static void *accept_thread(void *arg)
{
    struct driver *x = arg;
    usbsim_server_accept(&x->s, 10000);
    return NULL;
}

static struct usbsim_client *connect_via_thread(struct driver *x)
{
    pthread_t t;
    pthread_create(&t, NULL, accept_thread, x);
    struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
    pthread_join(t, NULL);
    return c;
}

static void poke32(struct usbsim_ring *r, size_t off, uint32_t v)
{
    uint8_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, usbsim_ring_fd(r), 0);
    CU_ASSERT_FATAL(m != MAP_FAILED);
    memcpy(m + off, &v, 4);
    munmap(m, 4096);
}

static void t_hostile_header(void)
{
    static const struct { size_t off; uint32_t v; const char *word; } bad[] = {
        {0, 1, "magic"}, {4, 2, "version"}, {12, 3, "slots"}, {20, 4000, "slot size"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setup();
        struct driver x;
        CU_ASSERT_EQUAL_FATAL(driver_open(&x, 8, USBSIM_RING_BLOCK, 0), 0);
        poke32(x.r, bad[i].off, bad[i].v);
        CU_ASSERT_PTR_NULL(connect_via_thread(&x));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].word));
        driver_close(&x);
        teardown();
    }
}

static void t_hostile_indices(void)
{
    setup();
    struct driver x;
    CU_ASSERT_EQUAL_FATAL(driver_open(&x, 8, USBSIM_RING_BLOCK, 0), 0);
    struct usbsim_client *c = connect_via_thread(&x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    push_seq(&x, 0);
    poke32(x.r, 64, UINT32_MAX - 50 + 9); /* producer index more than slots ahead */
    CU_ASSERT_EQUAL(usbsim_client_peek(c, 8), USBSIM_EINDEX);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_client_error(c), "ahead"));
    CU_ASSERT_EQUAL(usbsim_client_wait(c, 100), USBSIM_EINDEX);
    poke32(x.r, 64, UINT32_MAX - 60); /* behind */
    CU_ASSERT_EQUAL(usbsim_client_peek(c, 8), USBSIM_EINDEX);
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_client_error(c), "behind"));
    usbsim_client_close(c);
    driver_close(&x);
    teardown();
}

/* A fake driver that sends a hand-made hello. */
struct fake {
    struct usbsim_server s;
    struct usbsim_hello h;
    int nfds;
    int send[3]; /* the descriptors to send; 0: the connection itself */
    int hold_ms; /* how long to keep the connection open after the hello (default 50 ms) */
};

static void *fake_thread(void *arg)
{
    struct fake *f = arg;
    int fd = accept(f->s.lfd, NULL, NULL);
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = f->send[i] > 0 ? f->send[i] : fd;
    union {
        char buf[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {&f->h, sizeof f->h};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (f->nfds) {
        m.msg_control = ctl.buf;
        m.msg_controllen = CMSG_SPACE(f->nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(f->nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, f->nfds * sizeof(int));
    }
    sendmsg(fd, &m, MSG_NOSIGNAL);
    usleep(1000 * (unsigned)(f->hold_ms ? f->hold_ms : 50));
    close(fd);
    return NULL;
}

static void t_hostile_hello(void)
{
    static const struct { uint32_t magic, nfds_said; int nfds; const char *word; } cases[] = {
        {0x12345678, 2, 2, "magic"}, {USBSIM_HELLO_MAGIC, 2, 0, "descriptors"},
        {USBSIM_HELLO_MAGIC, 2, 3, "descriptors"}, {USBSIM_HELLO_MAGIC, 2, 2, "doorbell"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup();
        struct fake f = {.h = {cases[i].magic, USBSIM_HELLO_VERSION, 8, PAYLOAD, 0, 0, cases[i].nfds_said,
                               0, 0},
                         .nfds = cases[i].nfds};
        CU_ASSERT_EQUAL_FATAL(usbsim_server_listen(&f.s, path, NULL, NULL), 0);
        pthread_t t;
        pthread_create(&t, NULL, fake_thread, &f);
        CU_ASSERT_PTR_NULL(usbsim_client_connect(path, 10000, err));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].word));
        if (!strstr(err, cases[i].word))
            fprintf(stderr, "\n    got: %s\n", err);
        pthread_join(t, NULL);
        usbsim_server_close(&f.s);
        teardown();
    }
}

/* What a hostile driver sends beside a good hello: the descriptors are checked for what they are,
 * and a doorbell the driver can switch back to blocking never blocks the application. */
static void t_hostile_descriptors(void)
{
    char rerr[USBSIM_RING_ERR_MAX], file[] = "/tmp/usbsim-fake-ring-XXXXXX";
    struct usbsim_ring_config cfg = {8, PAYLOAD, USBSIM_RING_BLOCK, 0, 0, NULL};
    struct usbsim_ring *r = usbsim_ring_create(&cfg, rerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    int ringfd = usbsim_ring_fd(r), zero = open("/dev/zero", O_RDWR), regular = mkstemp(file);
    int bell[2], evfd = eventfd(0, 0);
    CU_ASSERT_FATAL(zero >= 0 && regular >= 0 && evfd >= 0 && pipe(bell) == 0);
    unlink(file);
    CU_ASSERT_EQUAL(ftruncate(regular, 1 << 20), 0);
    static const struct { int ring, bell, nfds, serviced; const char *word; } cases[] = {
        {0, 1, 2, 0, "doorbell the driver sent is not an eventfd or a pipe"}, /* /dev/zero */
        {1, 2, 2, 0, "not a memfd"},                                         /* a file as ring */
        {2, 3, 3, 1, "serviced signal the driver sent is not an eventfd"},   /* /dev/zero */
    };
    alarm(60);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup();
        struct fake f = {.h = {USBSIM_HELLO_MAGIC, USBSIM_HELLO_VERSION, 8, PAYLOAD, 0, 0,
                               (uint32_t)cases[i].nfds, 0, 0},
                         .nfds = cases[i].nfds};
        f.send[0] = cases[i].ring == 1 ? regular : ringfd;
        f.send[1] = cases[i].bell == 1 ? zero : evfd;
        f.send[2] = cases[i].serviced ? zero : evfd;
        CU_ASSERT_EQUAL_FATAL(usbsim_server_listen(&f.s, path, NULL, NULL), 0);
        pthread_t t;
        pthread_create(&t, NULL, fake_thread, &f);
        struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
        CU_ASSERT_PTR_NULL(c);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].word));
        if (!strstr(err, cases[i].word))
            fprintf(stderr, "\n    got: %s\n", err);
        usbsim_client_close(c);
        pthread_join(t, NULL);
        usbsim_server_close(&f.s);
        teardown();
    }

    /* A blocking pipe as the doorbell, kept readable and switched back to blocking by the
     * driver: every wait still ends by its timeout. */
    setup();
    struct fake f = {.h = {USBSIM_HELLO_MAGIC, USBSIM_HELLO_VERSION, 8, PAYLOAD, 0, 0, 2, 0, 0},
                     .nfds = 2, .send = {ringfd, bell[0], 0}, .hold_ms = 2000};
    CU_ASSERT_EQUAL_FATAL(usbsim_server_listen(&f.s, path, NULL, NULL), 0);
    pthread_t t;
    pthread_create(&t, NULL, fake_thread, &f);
    struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    for (int round = 0; round < 3; round++) {
        CU_ASSERT_EQUAL(fcntl(bell[0], F_SETFL, 0), 0); /* blocking again, behind our back */
        CU_ASSERT_EQUAL(write(bell[1], "xy", 2), 2);    /* a bell with nothing published */
        CU_ASSERT_EQUAL(usbsim_client_wait(c, 100), 0); /* returns: timeout, nothing pending */
    }
    usbsim_client_close(c);
    pthread_join(t, NULL);
    usbsim_server_close(&f.s);
    teardown();
    alarm(0);
    close(bell[0]);
    close(bell[1]);
    close(zero);
    close(regular);
    close(evfd);
    usbsim_ring_destroy(r);
}

/* Block policy, the application takes the ring, never drains it and exits: the producer waiting
 * for room notices and returns USBSIM_EPEER (the packet counted), with no stop call. */
static void t_blocked_producer_sees_consumer_leave(void)
{
    setup();
    struct driver x;
    CU_ASSERT_EQUAL_FATAL(driver_open(&x, 8, USBSIM_RING_BLOCK, 0), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
        while (c && usbsim_client_wait(c, 1000) < 8) {
        }
        usleep(100000);
        _exit(c ? 0 : 1); /* never drains */
    }
    alarm(60);
    CU_ASSERT_EQUAL_FATAL(usbsim_server_accept(&x.s, 10000), 0);
    for (uint64_t i = 0; i < 8; i++)
        CU_ASSERT_EQUAL(push_seq(&x, i), USBSIM_OK);
    CU_ASSERT_EQUAL(push_seq(&x, 8), USBSIM_EPEER); /* waited, then saw the application go */
    CU_ASSERT_PTR_NOT_NULL(strstr(usbsim_ring_error(x.r), "called off"));
    struct usbsim_ring_stats s;
    usbsim_ring_stats(x.r, &s);
    CU_ASSERT_EQUAL(s.dropped[USBSIM_RING_DROP_BLOCK_ABORT], 1);
    CU_ASSERT_EQUAL(child_status(pid), 0);
    alarm(0);
    driver_close(&x);
    teardown();
}

/* Default SIGSEGV action, past any sanitizer's handler. */
static void unfault(void)
{
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } sa = {0};
    syscall(SYS_rt_sigaction, SIGSEGV, &sa, NULL, sizeof sa.mask);
}

static void t_read_only(void)
{
    for (int where = 0; where < 2; where++) {
        setup();
        struct driver x;
        CU_ASSERT_EQUAL_FATAL(driver_open(&x, 8, USBSIM_RING_BLOCK, 0), 0);
        push_seq(&x, 0);
        pid_t pid = fork();
        if (pid == 0) {
            struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
            struct usbsim_ring_pkt p;
            if (!c || usbsim_client_peek(c, 1) != 1 || usbsim_client_get(c, 0, &p) != USBSIM_OK)
                _exit(3);
            /* where 0: the slot's bytes; 1: the producer index in the header page */
            volatile uint8_t *a = (volatile uint8_t *)p.bytes;
            if (where == 1)
                a = (volatile uint8_t *)((uintptr_t)(p.bytes - USBSIM_RING_SLOT_HDR) & ~(uintptr_t)4095) -
                    2 * 4096 + 64;
            unfault();
            a[0] = 0x55;
            _exit(0);
        }
        alarm(60);
        CU_ASSERT_EQUAL(usbsim_server_accept(&x.s, 10000), 0);
        CU_ASSERT_EQUAL(child_status(pid), 128 + SIGSEGV);
        CU_ASSERT_EQUAL(usbsim_ring_prod_index(x.r), UINT32_MAX - 49);
        alarm(0);
        driver_close(&x);
        teardown();
    }
}

static void t_credentials(void)
{
    if (geteuid() != 0) {
        printf("(not root: another user cannot be simulated) ");
        return;
    }
    setup();
    struct driver x;
    CU_ASSERT_EQUAL_FATAL(driver_open(&x, 8, USBSIM_RING_BLOCK, 0), 0);
    chmod(dir, 0755);
    chmod(path, 0777);
    pid_t other = fork();
    if (other == 0) {
        if (setuid(65534) != 0)
            _exit(3);
        struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
        _exit(c ? 1 : strstr(err, "closed the connection") ? 0 : 2);
    }
    alarm(60);
    /* Refused, and the server goes on waiting: only the time running out ends the call. */
    CU_ASSERT_EQUAL(usbsim_server_accept(&x.s, 2000), USBSIM_ECRED);
    CU_ASSERT_PTR_NOT_NULL(strstr(x.s.err, "uid 65534"));
    CU_ASSERT_EQUAL(x.s.refused, 1);
    CU_ASSERT_EQUAL(child_status(other), 0);
    /* A refused client, then the right one, in one accept. */
    other = fork();
    if (other == 0) {
        if (setuid(65534) != 0)
            _exit(3);
        _exit(usbsim_client_connect(path, 10000, err) ? 1 : 0);
    }
    CU_ASSERT_EQUAL(child_status(other), 0);
    pid_t mine = fork();
    if (mine == 0) {
        struct usbsim_client *c = usbsim_client_connect(path, 10000, err);
        _exit(c && usbsim_client_wait(c, 10000) == 1 ? 0 : 1);
    }
    CU_ASSERT_EQUAL(usbsim_server_accept(&x.s, 10000), 0);
    CU_ASSERT_EQUAL(x.s.refused, 2);
    CU_ASSERT_EQUAL(push_seq(&x, 0), USBSIM_OK);
    CU_ASSERT_EQUAL(child_status(mine), 0);
    alarm(0);
    driver_close(&x);
    teardown();
}

/* One driver per socket path: a second one is refused and leaves the first one's socket alone;
 * the socket is 0600 whatever the umask; a stale socket is replaced. */
static void t_one_driver_per_path(void)
{
    setup();
    mode_t old = umask(0);
    struct driver x, y;
    CU_ASSERT_EQUAL_FATAL(driver_open(&x, 8, USBSIM_RING_BLOCK, 0), 0);
    umask(old);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_NOT_EQUAL(driver_open(&y, 8, USBSIM_RING_BLOCK, 0), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(y.s.err, "another driver is serving on"));
    usbsim_doorbell_close(&y.d);
    usbsim_ring_destroy(y.r);
    CU_ASSERT_EQUAL(stat(path, &st), 0); /* still there, still served */
    struct usbsim_client *c = connect_via_thread(&x);
    CU_ASSERT_PTR_NOT_NULL(c);
    usbsim_client_close(c);
    /* A driver that died left its socket: the next one replaces it. */
    int lfd = x.s.lfd;
    x.s.lfd = -1;
    usbsim_server_close(&x.s); /* releases the lock but, like a crash, leaves the socket */
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(usbsim_server_listen(&x.s, path, x.r, &x.d), 0);
    close(lfd);
    c = connect_via_thread(&x);
    CU_ASSERT_PTR_NOT_NULL(c);
    usbsim_client_close(c);
    driver_close(&x);
    CU_ASSERT_NOT_EQUAL(stat(path, &st), 0); /* gone with its driver */
    teardown();
}

static CU_TestInfo tests[] = {
    {"two processes: every packet in order, CRC good, none lost", t_two_processes},
    {"producer dies mid-batch: clear error", t_producer_dies_mid_batch},
    {"consumer dies mid-batch: the driver sees it", t_consumer_dies_mid_batch},
    {"hostile header: refused at connect", t_hostile_header},
    {"hostile indices: errors, no crash", t_hostile_indices},
    {"hostile hello: refused", t_hostile_hello},
    {"hostile descriptors: refused; a blocking doorbell never blocks", t_hostile_descriptors},
    {"blocked producer sees the consumer leave", t_blocked_producer_sees_consumer_leave},
    {"slots and producer page are read-only", t_read_only},
    {"another user is refused (SO_PEERCRED), the server goes on", t_credentials},
    {"one driver per socket path, 0600, stale socket replaced", t_one_driver_per_path},
    CU_TEST_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return cu_main("client", tests);
}

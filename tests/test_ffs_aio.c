/* Tests for sim/ffs_aio on a regular file (Linux AIO works there too; FunctionFS endpoints need
 * the VM): packets are written, each completion reports its seq and size through the eventfd,
 * the queue refuses more than FFSA_DEPTH in flight, and close drains what is left. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/ffs_aio.h"
#include "tests/cu.h"

struct seen {
    int n;
    uint32_t seq[64];
    int64_t res[64];
};

static void done(void *ctx, uint32_t seq, int64_t res)
{
    struct seen *s = ctx;
    if (s->n < 64) {
        s->seq[s->n] = seq;
        s->res[s->n] = res;
    }
    s->n++;
}

static int temp_file(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/usbsim-test-aio-XXXXXX");
    return mkstemp(path);
}

static void test_writes_complete_with_their_seq(void)
{
    char path[64];
    int fd = temp_file(path, sizeof path);
    CU_ASSERT_FATAL(fd >= 0);
    static struct ffsa_queue q;
    memset(&q, 0, sizeof q);
    q.efd = -1;
    CU_ASSERT_EQUAL_FATAL(ffsa_open(&q, fd), 0);
    uint8_t pkt[PKT_MAX_SIZE];
    memset(pkt, 0xAB, sizeof pkt);
    for (uint32_t i = 0; i < FFSA_DEPTH; i++)
        CU_ASSERT_EQUAL(ffsa_submit(&q, pkt, 112, 100 + i), 0);
    CU_ASSERT_EQUAL(q.n, FFSA_DEPTH);
    CU_ASSERT_EQUAL(ffsa_submit(&q, pkt, 112, 999), -1); /* full */
    CU_ASSERT_EQUAL(ffsa_submit(&q, pkt, PKT_MAX_SIZE + 1, 999), -1);
    struct seen s = {0};
    for (int tries = 0; s.n < FFSA_DEPTH && tries < 100; tries++) {
        struct pollfd p = {.fd = q.efd, .events = POLLIN};
        if (poll(&p, 1, 100) > 0)
            ffsa_reap(&q, 0, done, &s);
    }
    CU_ASSERT_EQUAL(s.n, FFSA_DEPTH);
    CU_ASSERT_EQUAL(q.n, 0);
    uint32_t seqs = 0;
    for (int i = 0; i < s.n && i < 64; i++) {
        CU_ASSERT_EQUAL(s.res[i], 112);
        CU_ASSERT(s.seq[i] >= 100 && s.seq[i] < 100 + FFSA_DEPTH);
        seqs |= 1u << (s.seq[i] - 100);
    }
    CU_ASSERT_EQUAL(seqs, (1u << FFSA_DEPTH) - 1); /* each seq once */
    CU_ASSERT_EQUAL(ffsa_submit(&q, pkt, 0, 7), 0); /* a zero-length packet */
    struct seen last = {0};
    ffsa_close(&q, done, &last);
    CU_ASSERT_EQUAL(last.n, 1);
    CU_ASSERT_EQUAL(last.seq[0], 7);
    CU_ASSERT_EQUAL(last.res[0], 0);
    CU_ASSERT_EQUAL(q.efd, -1);
    close(fd);
    unlink(path);
}

static void test_close_before_open_is_safe(void)
{
    static struct ffsa_queue q;
    memset(&q, 0, sizeof q);
    q.efd = -1;
    struct seen s = {0};
    ffsa_close(&q, done, &s);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT_EQUAL(q.ctx, 0);
}

static CU_TestInfo tests[] = {
    {"writes complete with their seq", test_writes_complete_with_their_seq},
    {"close before open is safe", test_close_before_open_is_safe},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("ffs_aio", tests); }

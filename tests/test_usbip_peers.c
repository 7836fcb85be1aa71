/* Tests for sim/usbip_peers: which slot a newcomer gets, and each bound on a peer's time, with a
 * fake clock (no sleeping); the listener's address forms and refusals. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/usbip_peers.h"
#include "tests/cu.h"

#define S 1000000000LL

static void test_victim_is_the_oldest_that_may_go(void)
{
    int64_t since[4] = {50, 10, 30, 20};
    int may[4] = {1, 0, 1, 1};
    CU_ASSERT_EQUAL(upeer_victim(since, may, 4), 3); /* 10 is the importer: never it */
    int none[4] = {0, 0, 0, 0};
    CU_ASSERT_EQUAL(upeer_victim(since, none, 4), -1);
    int all[4] = {1, 1, 1, 1};
    CU_ASSERT_EQUAL(upeer_victim(since, all, 4), 1);
}

static void test_first_request_bound(void)
{
    struct upeer_clock k = {.connected = 100 * S};
    char why[128] = "";
    int64_t next = 0;
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 101 * S, &next, why, sizeof why), 0);
    CU_ASSERT_EQUAL(next, 102 * S);
    upeer_note_input(&k, 1, 0, 101 * S); /* one byte of a request */
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 102 * S, &next, why, sizeof why), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "no complete request within 2.0 s of connecting"));
    /* a dribble that keeps adding bytes does not move the bound */
    upeer_note_input(&k, 7, 0, 101 * S + S / 2);
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 102 * S, &next, why, sizeof why), 1);
}

static void test_partial_request_bound(void)
{
    struct upeer_clock k = {.connected = 0};
    char why[128] = "";
    int64_t next = 0;
    upeer_note_input(&k, 0, 1, 1 * S); /* a whole request: greeted */
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 60 * S, &next, why, sizeof why), 0);
    CU_ASSERT_EQUAL(next, INT64_MAX); /* nothing owed: no bound */
    upeer_note_input(&k, 20, 0, 61 * S); /* half a header */
    upeer_note_input(&k, 30, 0, 62 * S); /* more of it: the bound stays where it began */
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 62 * S, &next, why, sizeof why), 0);
    CU_ASSERT_EQUAL(next, 63 * S);
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 63 * S, &next, why, sizeof why), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "request left incomplete"));
    upeer_note_input(&k, 10, 1, 63 * S); /* a request completed, the next begun: anew */
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 64 * S, &next, why, sizeof why), 0);
    upeer_note_input(&k, 0, 1, 64 * S);
    CU_ASSERT_EQUAL(k.partial, 0);
}

static void test_reading_bound(void)
{
    struct upeer_clock k = {.greeted = 1};
    char why[128] = "";
    int64_t next = 0;
    upeer_note_output(&k, 500, 0, 10 * S); /* waiting since 10 s */
    upeer_note_output(&k, 900, 0, 11 * S); /* more waiting, nothing taken: still since 10 s */
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 11 * S, &next, why, sizeof why), 0);
    upeer_note_output(&k, 400, 1, 11 * S); /* the peer took some: since 11 s */
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 12 * S, &next, why, sizeof why), 0);
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 13 * S, &next, why, sizeof why), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "has not read its replies"));
    upeer_note_output(&k, 0, 1, 13 * S);
    CU_ASSERT_EQUAL(upeer_overdue(&k, 2 * S, 99 * S, &next, why, sizeof why), 0);
}

static void test_listen_forms(void)
{
    uint16_t port = 0;
    int env = -1;
    char err[256] = "";
    int fd = upeer_listen("127.0.0.1:0", &port, &env, err, sizeof err);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_TRUE(port > 0);
    char spec[32];
    snprintf(spec, sizeof spec, "127.0.0.1:%u", port);
    CU_ASSERT_EQUAL(upeer_listen(spec, &port, &env, err, sizeof err), -1);
    CU_ASSERT_EQUAL(env, 1); /* in use: the environment */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "in use"));
    close(fd);
    const char *bad[] = {"nonsense", ":1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:1x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(upeer_listen(bad[i], &port, &env, err, sizeof err), -1);
        CU_ASSERT_EQUAL(env, 0);
    }
    char name[64];
    fd = upeer_listen("[::1]:0", &port, &env, err, sizeof err); /* may lack IPv6: no assert */
    if (fd >= 0) {
        CU_ASSERT_EQUAL(upeer_accept(fd, name, sizeof name), -1); /* nothing pending */
        close(fd);
    }
}

static CU_TestInfo tests[] = {
    {"victim: the oldest that may go", test_victim_is_the_oldest_that_may_go},
    {"bound on the first request", test_first_request_bound},
    {"bound on a request begun", test_partial_request_bound},
    {"bound on reading replies", test_reading_bound},
    {"listen: forms and refusals", test_listen_forms},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("usbip_peers", tests); }

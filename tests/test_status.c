/* Tests for driver/status: the one status table of libusbsim-ring. */
#include <string.h>

#include "driver/status.h"
#include "tests/cu.h"

static const int all[] = {
#define ALL(name, value, msg) USBSIM_##name,
    USBSIM_STATUS_MAP(ALL)
#undef ALL
};
#define N_ALL (sizeof all / sizeof all[0])

static void test_every_status_has_its_own_message(void)
{
    for (size_t i = 0; i < N_ALL; i++) {
        const char *m = usbsim_strerror(all[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT(strlen(m) > 0);
        CU_ASSERT_STRING_NOT_EQUAL(m, "unknown status");
        for (size_t j = 0; j < i; j++) {
            CU_ASSERT_NOT_EQUAL(all[i], all[j]);
            CU_ASSERT_STRING_NOT_EQUAL(m, usbsim_strerror(all[j]));
        }
    }
}

static void test_values_are_the_abi(void)
{
    /* Success and the one positive outcome; every error negative. */
    CU_ASSERT_EQUAL(USBSIM_OK, 0);
    CU_ASSERT_EQUAL(USBSIM_DROPPED, 1);
    for (size_t i = 0; i < N_ALL; i++)
        if (all[i] != USBSIM_OK && all[i] != USBSIM_DROPPED)
            CU_ASSERT(all[i] < 0);
    CU_ASSERT_STRING_EQUAL(usbsim_strerror(USBSIM_EPEER), "the peer closed the connection or died");
}

static void test_unknown_values(void)
{
    CU_ASSERT_STRING_EQUAL(usbsim_strerror(-1000), "unknown status");
    CU_ASSERT_STRING_EQUAL(usbsim_strerror(2), "unknown status");
}

static CU_TestInfo tests[] = {
    {"every status has its own message", test_every_status_has_its_own_message},
    {"values are the ABI", test_values_are_the_abi},
    {"unknown values", test_unknown_values},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("status", tests); }

/* cu — the one main() every CUnit test program shares.
 *
 * Contract: cu_main(name, tests) registers one suite of the given tests, runs it in CUnit's
 * verbose basic mode (which prints the summary table), and returns 0 only when every test ran
 * and passed. A test program is: static CU_TestInfo tests[] = {..., CU_TEST_INFO_NULL};
 * int main(void) { return cu_main("name", tests); }
 * cu_write_file() writes a test's input file DIR/NAME (its path into path); a file that cannot be
 * written fails the test there.
 */
#ifndef USBSIM_TESTS_CU_H
#define USBSIM_TESTS_CU_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>

static inline int cu_main(const char *name, CU_TestInfo *tests)
{
    CU_SuiteInfo suites[] = {{name, NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return (failed == 0 && ran > 0) ? 0 : 1;
}

static inline void cu_write_file(const char *dir, const char *name, const char *text, char *path,
                                 size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

#endif

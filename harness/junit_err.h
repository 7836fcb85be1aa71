/* junit_err — a JUnit file for a run that could not start, so CI shows why instead of nothing.
 *
 * Contract: jerr_write() writes (replacing) path: one testsuite "usbsim" with one testcase
 * (classname "usbsim", named `name`) that carries <error message="MESSAGE" type="...">: type
 * "usage" for exit 2 (bad usage or scenario), "environment" for exit 3 (backend unusable).
 * The message is XML-escaped (and control characters dropped). Does not block. Returns 0, or -1
 * with a line in err.
 * Prefix: jerr_.
 */
#ifndef USBSIM_HARNESS_JUNIT_ERR_H
#define USBSIM_HARNESS_JUNIT_ERR_H

#include <stddef.h>

int jerr_write(const char *path, const char *name, int exit_code, const char *message, char *err,
               size_t len);

#endif

/* args — the command line's shared pieces: strict number parsing and the one-line usage error.
 *
 * Contract: arg_u64/arg_double accept the whole string or nothing (no sign for u64, no trailing
 * text, no NaN/inf) and check the range; 0 on success, -1 otherwise (*out untouched).
 * arg_usage() prints "usbsim CMD: MESSAGE (try 'usbsim CMD --help')" on stderr as one line and
 * returns 2, the exit code of bad usage. Prefix: arg_.
 */
#ifndef USBSIM_HARNESS_ARGS_H
#define USBSIM_HARNESS_ARGS_H

#include <stdint.h>

int arg_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int arg_double(const char *s, double lo, double hi, double *out);
/* fmt has one %s for arg; cmd NULL names no command. */
int arg_usage(const char *cmd, const char *fmt, const char *arg);

#endif

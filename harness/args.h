/* args — the command line's shared machinery: how an option is declared, how its value is read,
 * how argv is walked, and the help text made from the declarations.
 *
 * Contract:
 *  - Values, strictly: the whole string or nothing; no leading or trailing space, no sign.
 *      ARG_U64      decimal digits only ("010" is ten, "0x10" is refused), within [lo, hi]
 *      ARG_POW2     as ARG_U64, and a power of two
 *      ARG_DOUBLE   decimal: digits, at most one '.', an optional exponent (1e7, 2.5E-1); no hex,
 *                   inf or nan; within [min, max]
 *      ARG_ENUM     exactly one of `values` (index in arg_val.u)
 *      ARG_PATH     a non-empty path other than "-"
 *      ARG_OUTPUT   a non-empty path, or "-" for standard output
 *      ARG_TEXT     any non-empty text
 *      ARG_VIDPID   VID:PID, each 1 to 4 hexadecimal digits (the form lsusb prints): u = VID,
 *                   u2 = PID
 *      ARG_HOSTPORT HOST:PORT, HOST non-empty (the last ':' splits), PORT decimal 1..65535:
 *                   u = port, u2 = length of HOST in s
 *      ARG_SHARD    K/N, decimal, 1 <= K <= N <= 1000000: u = K, u2 = N
 *    arg_value() on a bad value writes one message naming the option, what it takes and what was
 *    given: "--slots takes a power of two from 8 to 1048576, not '7'".
 *  - arg_parse() walks argv (argv[0] is the command's name and is skipped): "--name VALUE",
 *    "--name=VALUE", "-L" for an option with a letter; "--" ends the options; "-" and any word not
 *    starting with '-' is positional (options and positionals mix in any order). The next word is
 *    an option's value whatever it looks like ("--json -"). A repeated option: the last wins.
 *    Errors (one message, no newline, no command name): unknown option, a value missing, a value
 *    given to a flag, a bad value, a required option missing.
 *  - arg_synopsis()/arg_help() print what the declarations say: "[--name META]" per option
 *    (required ones without brackets, enumerations as "a|b|c"), wrapped under the first line;
 *    one aligned line per option with its help.
 *  - arg_usage() prints "usbsim CMD: MESSAGE (try 'usbsim CMD --help')" on stderr as one line and
 *    returns 2, the exit code of bad usage.
 * Prefix: arg_.
 */
#ifndef USBSIM_HARNESS_ARGS_H
#define USBSIM_HARNESS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARG_ERR_MAX 256

enum arg_kind {
    ARG_FLAG, ARG_U64, ARG_POW2, ARG_DOUBLE, ARG_ENUM, ARG_PATH, ARG_OUTPUT, ARG_TEXT,
    ARG_VIDPID, ARG_HOSTPORT, ARG_SHARD
};

/* One option, as a command declares it. */
struct arg_opt {
    const char *name;          /* without the dashes: "time-scale" */
    char letter;               /* the short form ('q' for -q), or 0 */
    enum arg_kind kind;
    const char *meta;          /* the value's name in help ("N", "FILE"); NULL: from the kind */
    uint64_t lo, hi;           /* ARG_U64, ARG_POW2 */
    double min, max;           /* ARG_DOUBLE */
    const char *const *values; /* ARG_ENUM: allowed values, NULL-terminated */
    const char *help;          /* what it does; '\n' continues on the next line */
    bool required;
    bool writes;               /* a file the command will write: its folder must exist and be
                                  writable, and it must not be a folder ("-" is not checked) */
    bool hidden;               /* between usbsim's own processes (the VM's inner command):
                                  parsed as any other, never in the synopsis or the help */
};

/* One parsed value. */
struct arg_val {
    bool set;
    const char *s;  /* the value as given (NULL for a flag) */
    uint64_t u;     /* see the kinds above */
    uint64_t u2;
    double d;
};

/* Strict readers; 0, or -1 with *out untouched. */
int arg_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int arg_double(const char *s, double lo, double hi, double *out);

/* Reads s as option o's value into *v (set = true); 0, or -1 with the message in err. */
int arg_value(const struct arg_opt *o, const char *s, struct arg_val *v, char *err, size_t len);

/* opts[0..n) are the options accepted; vals[i] receives opts[i]'s value. Positional words are
 * stored in order in pos (room for argc entries), their count in *npos. 0, or -1 with err. */
int arg_parse(const struct arg_opt *const *opts, size_t n, int argc, char **argv,
              struct arg_val *vals, char **pos, int *npos, char *err, size_t len);

/* "usage: " is the caller's; prints `lead` then the options, wrapped to 100 columns, new lines
 * indented by `indent` spaces; ends with a newline. */
void arg_synopsis(FILE *f, const char *lead, size_t indent, const struct arg_opt *const *opts,
                  size_t n);
void arg_help(FILE *f, const struct arg_opt *const *opts, size_t n);

/* fmt has one %s for arg; cmd NULL names no command. */
int arg_usage(const char *cmd, const char *fmt, const char *arg);

/* Can the program create or replace the file path? 0, or -1 with why ("no folder /x", "is a
 * folder, not a file", "cannot write in /x: Permission denied"). */
int arg_writable(const char *path, char *why, size_t len);

#endif

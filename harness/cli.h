/* cli — the `usbsim` command line: one table of commands, one parser, one set of shared options.
 *
 * Contract: cli_main() parses argv, runs one command and returns the process exit code README.md
 * documents: 0 all passed (expected failures included) · 1 an expectation failed · 2 bad usage or
 * bad scenario (nothing was run) ·
 * 3 the environment cannot run the chosen backend. Usage errors print one line on stderr,
 * "usbsim CMD: what is wrong (try 'usbsim CMD --help')". `usbsim --help`, `usbsim help`,
 * `usbsim help CMD [SUB]` and `usbsim CMD --help` print to stdout and return 0 (an unknown CMD:
 * 2). `usbsim --version` and `-V` print "usbsim VERSION".
 *
 * Every command is one `struct cli_cmd` in cli.c's table `commands[]`; its help, its synopsis in
 * `usbsim --help` and its options all come from that declaration. A command takes:
 *  - shared options, by bit (CLI_O(CLI_...)), declared once in cli.c: their values land in the
 *    named fields of struct cli_opts (--backend's allowed values are the command's `backends`,
 *    the first being the default); a command may word a shared option's help its own way
 *    (`shared_help`);
 *  - its own options, an array of struct arg_opt (args.h) indexed by an enum of the command's:
 *    option i's value is o->own[i];
 *  - positional words (o->files[0..nfiles)), between min_args and max_args (-1: any);
 *  - or sub-commands (`bench ring|e2e`), each a struct cli_cmd of its own.
 * The parsed values reach the command's `run` in one struct cli_opts. Human lines go to o->out:
 * stdout, or stderr when a report is written to standard output (--json - or --junit -); o->color
 * says whether they may be coloured (o->out is a terminal and NO_COLOR is unset or empty).
 * Prefix: cli_.
 */
#ifndef USBSIM_HARNESS_CLI_H
#define USBSIM_HARNESS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/args.h"
#include "sim/exitcode.h"

/* The shared options: a command takes those whose bit is in its `common`. */
enum cli_common {
    CLI_SEED, CLI_TIME_SCALE, CLI_BACKEND, CLI_UDC, CLI_JSON, CLI_JUNIT, CLI_HTML, CLI_PCAP,
    CLI_KEEP_LOGS, CLI_QUIET, CLI_VERBOSE, CLI_HELP, CLI_COMMON_COUNT
};
#define CLI_O(c) (1u << (c))

#define CLI_OWN_MAX 16

struct cli_opts;

struct cli_cmd {
    const char *name;               /* "run"; a sub-command's own name ("ring") */
    const char *args;               /* positional words in the synopsis, e.g. "FILE.yaml...", or NULL */
    int min_args, max_args;         /* how many positional words (max -1: any number) */
    const char *help;               /* what it does, for its --help (lines end in '\n') */
    unsigned common;                /* CLI_O(CLI_...) bits */
    const char *const *backends;    /* with CLI_O(CLI_BACKEND): allowed values, NULL-terminated */
    const char *const *shared_help; /* NULL, or per CLI_... the help of a shared option as this
                                     * command means it (NULL entries: the shared help); required
                                     * for CLI_BACKEND */
    const struct arg_opt *opts;     /* its own options */
    size_t nopts;                   /* <= CLI_OWN_MAX */
    int (*run)(struct cli_opts *o); /* NULL when it has sub-commands */
    const struct cli_cmd *const *subs;
    size_t nsubs;
};

struct cli_opts {
    const char *cmd;         /* "run", "bench ring": for messages */
    const struct cli_cmd *c;
    /* shared options: NULL / false / 1.0 when not given; backend: the command's default */
    bool has_seed;
    uint64_t seed;
    double time_scale;
    const char *backend, *udc, *json, *junit, *html, *pcap;
    int keep, quiet, verbose;
    /* the command's own options, indexed like its `opts` */
    struct arg_val own[CLI_OWN_MAX];
    /* positional words */
    int nfiles;
    char **files;
    /* the option words as the user gave them (each option and its value, in order; no positional
     * word), for a backend that runs the same command elsewhere (the VM) */
    int nwords;
    char **words;
    /* where human lines go, and whether in colour */
    FILE *out;
    int color;
};

int cli_main(int argc, char **argv);

/* The commands, for tools that check the documentation: NULL past the last. */
const struct cli_cmd *cli_command(size_t i);

#endif

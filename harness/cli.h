/* cli — the `usbsim` command line: one table of commands, each with its own options and help.
 *
 * Contract: cli_main() parses argv, runs one command and returns the process exit code of SPEC:
 * 0 all passed · 1 an expectation failed · 2 bad usage or bad scenario (nothing was run) ·
 * 3 the environment cannot run the chosen backend. Usage errors print one line saying what is
 * wrong and how to get help, to stderr. `usbsim --help` and `usbsim COMMAND --help` print to stdout
 * and return 0.
 * Prefix: cli_.
 */
#ifndef USBSIM_HARNESS_CLI_H
#define USBSIM_HARNESS_CLI_H

enum cli_exit { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_ENV = 3 };

int cli_main(int argc, char **argv);

#endif

/* exitcode — the one set of exit codes of the usbsim program, for every command and backend.
 *
 * Contract: XC_MAP is the one table (code, name, meaning); the enum comes from it, and the man
 * page's EXIT STATUS and README's list say the same. A run ended by a signal exits
 * XC_SIGNAL + the signal's number (130 for SIGINT, 143 for SIGTERM).
 * Prefix: XC_ (exit code).
 */
#ifndef USBSIM_SIM_EXITCODE_H
#define USBSIM_SIM_EXITCODE_H

/* X(NAME, code, meaning) */
#define XC_MAP(X)                                                                                  \
    X(OK, 0, "every scenario passed (expected failures included)")                                 \
    X(FAIL, 1, "an expectation failed, or an output could not be written")                        \
    X(USAGE, 2, "bad usage, bad scenario or bad output path: nothing was run")                     \
    X(ENV, 3, "the environment cannot run the chosen backend")

enum xc_exit {
#define XC_ENUM(name, code, meaning) XC_##name = (code),
    XC_MAP(XC_ENUM)
#undef XC_ENUM
    XC_SIGNAL = 128 /* + the signal that ended the run */
};

#endif

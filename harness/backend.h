/* backend — the run backends (`--backend NAME` of run, fuzz and bench) behind one table.
 *
 * Contract:
 *  - be_find(name) gives the table's entry for name (NULL: the default, usbip), or NULL when
 *    there is no such backend; be_names() lists them for a usage line ("usbip, kernel, attach or vm").
 *    Nothing outside this module compares backend names.
 *  - An entry says what it is (name, one-line summary), which run options it honours (BE_OPT_*:
 *    be_refused() names the first given option it does not take, for a usage error, exit 2),
 *    whether this machine can run it (check: 0, or 3 with one line in `why` saying what is
 *    missing and how to get it; never blocks for long), and how it runs a set of scenarios:
 *      local backends (usbip, kernel, attach): run_one() per scenario on this host, with the
 *        device and the driver's source of the entry's `setup` (attach: --exec only, exec.h);
 *      vm: the whole set in one boot of the VM (vmrun.h), the reports brought back.
 *  - be_run() runs every scenario in order, calling on_result for each judged one as soon as it
 *    is known, and stops early on an interrupt (SIGINT/SIGTERM, proc.h): the interrupted scenario
 *    is dropped, not judged (no invented failure). It blocks until the set is done.
 *    Returns 0 (results in *out, *n: judged ones only), 1 when the VM ran but brought back no
 *    report or fewer verdicts than scenarios, 2 bad usage (a path too long), 3 the backend
 *    cannot run here (said on stderr). On every return *out is the caller's to free
 *    (rpt_results_free(*out, *n)), with what was judged before the problem.
 *  - vm forwards the user's option words (be_run_args.words) to the same command inside the VM
 *    (vmrun.h, vmr_words): an option new to `run` reaches the VM without new code.
 * Prefix: be_.
 */
#ifndef USBSIM_HARNESS_BACKEND_H
#define USBSIM_HARNESS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/run.h"
#include "harness/verify.h"
#include "sim/scenario.h"

/* The options of `usbsim run` that not every backend honours. */
enum be_opt {
    BE_OPT_UDC = 1u << 0,       /* --udc NAME */
    BE_OPT_PCAP = 1u << 1,      /* --pcap FILE */
    BE_OPT_HTML = 1u << 2,      /* --html FILE */
    BE_OPT_KEEP_LOGS = 1u << 3, /* --keep-logs */
    BE_OPT_APP = 1u << 4,       /* --app COMMAND (run.h: the user's application) */
    BE_OPT_EXEC = 1u << 5,      /* --exec COMMAND (exec.h: the user's program on a USB stack) */
};

/* What a run of a set asks for, parsed; words: the command's option words as the user gave them
 * (getopt's order, options only, no FILE), for a backend that runs the command elsewhere. */
struct be_run_args {
    const struct scn_scenario *sc; /* loaded, --seed and --time-scale applied */
    char *const *files;            /* the scenario files sc came from */
    size_t n;
    char *const *words;
    size_t n_words;
    const char *udc, *html, *pcap;
    const char *app;  /* --app COMMAND, or NULL */
    const char *exec; /* --exec COMMAND, or NULL */
    bool keep_logs, verbose, progress;
    int *output_failures; /* when not NULL: +1 for each report file that could not be written */
    void (*on_result)(void *ctx, const struct vfy_result *r); /* may be NULL */
    void *ctx;
};

struct be_backend {
    const char *name;
    const char *summary;
    unsigned takes;            /* BE_OPT_* it honours */
    struct run_setup setup;    /* local backends: the processes' set-up (run.h) */
    const char *inner;         /* not local: the backend the command uses where it runs */
    int (*check)(const struct be_backend *b, const char *udc, char *why, size_t len);
    int (*run)(const struct be_backend *b, const struct be_run_args *a, struct vfy_result **out,
               size_t *n);
};

const struct be_backend *be_find(const char *name);
const char *be_names(void);
/* The names, NULL-terminated, in the table's order, for a command's --backend values (the first
 * is the default); tests/test_backend.c holds it to the table. */
extern const char *const be_name_list[];
/* Runs scenarios on this host, one run_one() each (usbip, kernel), or elsewhere (vm). */
bool be_is_local(const struct be_backend *b);
/* "--udc" etc.: the first option in `given` (BE_OPT_*) that b does not take, or NULL. */
const char *be_refused(const struct be_backend *b, unsigned given);
int be_run(const struct be_backend *b, const struct be_run_args *a, struct vfy_result **out,
           size_t *n);

#endif

/* vmrun — a usbsim command inside a Debian kernel booted by qemu (`--backend vm`), for machines
 * without USB (CI's).
 *
 * Contract:
 *  - The VM script: $USBSIM_VM_SH; else, for an installed program (PREFIX/bin/usbsim),
 *    PREFIX/share/usbsim/vm.sh; else the source tree's ci/vm.sh above the program (build/usbsim).
 *    Its cache (kernel package, base image): $USBSIM_VM_CACHE (or $VM_DIR); else, installed,
 *    $XDG_CACHE_HOME/usbsim/vm or ~/.cache/usbsim/vm; in the tree, build/vm/.
 *  - vmr_check() says without booting whether the VM can be had here: 0, or 3 with one line in
 *    why (no script, no qemu); the script itself says what else is missing when it runs.
 *  - vmr_words() forwards a command's option words generically: the words of the options named
 *    in `dropped` (long names without "--", each with its value; the host does them) and a bare
 *    "--" are left out; the value of each option named in `outputs` (a file the host wants back)
 *    becomes /out/oK.BASENAME (K its index in outputs); every other word is kept as given. So an
 *    option new to a command reaches the VM without new code. vmr_bring_back() then moves each
 *    file that came back as oK.* beside the host path (its directory, the name without "oK.").
 *  - vmr_run() runs `usbsim COMMAND --backend INNER WORDS... --json /out/report.json /data/F...`
 *    in one boot (the scenario files copied in), brings the outputs back and reads the JSON
 *    report into a new array of results (rpt_json_read), so the host prints the same verdicts.
 *    The VM's console is shown only when verbose or when no report came back.
 *    Returns 0 with *out and *n set (*n = 0 when interrupted), 3 when the VM cannot be had (the
 *    script says what is missing), 1 when the VM ran but brought no report.
 *    With hostfs, the VM sees the host's filesystem read-only at the same paths (the script's
 *    VM_HOSTFS) plus a writable run directory (a new /tmp/usbsim-vmx-XXXXXX, shared) and a /tmp
 *    showing the host's with what the VM writes kept inside: the program itself
 *    (/proc/self/exe) runs inside from the host's filesystem, in the current directory, with
 *    the scenario files and --exec's command as given (a user's binary, its libraries, python3
 *    run unchanged); outputs and the report are written to the shared directory. keep_logs
 *    (--keep-logs; it implies hostfs): the inner runs' folders (in the VM's own TMPDIR: their
 *    sockets cannot live on the shared filesystem) are copied to the run directory's logs/,
 *    which stays on the host when the rest is removed; stderr says where.
 *  - vmr_exec() boots once and runs `/bin/usbsim ARGS...` inside (FILES copied to /data/); every
 *    file the command leaves in /out/ comes back to out_dir. The console goes to the file
 *    console, or to stdout when console is NULL. SIGINT/SIGTERM (caught while it runs, proc.h)
 *    stop the VM. Returns the command's exit code inside the VM, 3 when the VM cannot be had,
 *    -1 on a local failure. Blocks until the VM has powered off.
 * Prefix: vmr_.
 */
#ifndef USBSIM_HARNESS_VMRUN_H
#define USBSIM_HARNESS_VMRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/verify.h"

#define VMR_MAX_OUTPUTS 4
#define VMR_PATH_MAX 4096

struct vmr_outputs {
    const char *host[VMR_MAX_OUTPUTS];     /* the user's paths, NULL when not given */
    char vm[VMR_MAX_OUTPUTS][VMR_PATH_MAX]; /* the in-VM paths given instead */
    char flag[VMR_MAX_OUTPUTS][32];         /* "--NAME" */
};

/* A new array of the forwarded words (free the array only; rewritten paths live in *paths);
 * NULL on no memory. dropped and outputs are NULL-terminated (outputs: VMR_MAX_OUTPUTS at most). */
char **vmr_words(char *const *words, size_t n_words, const char *const *dropped,
                 const char *const *outputs, struct vmr_outputs *paths, size_t *n_out);
/* 0, or -1 when a file could not be brought back (said on stderr). */
int vmr_bring_back(const struct vmr_outputs *paths, const char *from_dir);

int vmr_check(char *why, size_t len);

struct vmr_opts {
    const char *command;       /* "run" */
    const char *inner_backend; /* the backend the command uses inside the VM */
    char *const *words;        /* the user's option words (see vmr_words) */
    size_t n_words;
    char *const *files;
    size_t n_files;
    bool verbose;
    int *output_failures; /* when not NULL: +1 when a report file could not be brought back */
    bool hostfs; /* the host's filesystem shared read-only (see below) */
    bool keep_logs; /* --keep-logs: with hostfs, the runs' folders kept on the host, said where */
};

int vmr_run(const struct vmr_opts *o, struct vfy_result **out, size_t *n);

/* `usbsim COMMAND --backend INNER WORDS... EXTRA... /data/F...` in one boot: WORDS the user's,
 * through vmr_words (dropped, outputs: their in-VM paths in c->paths), EXTRA the host's own
 * words (NULL-terminated), FILES copied in. Returns as vmr_exec. */
struct vmr_cmd {
    const char *command, *inner_backend;
    char *const *words;
    size_t n_words;
    const char *const *dropped, *const *outputs, *const *extra;
    char *const *files;
    size_t n_files;
    bool hostfs;              /* the host's filesystem shared (see vmr_run): files as given */
    bool keep_logs;           /* hostfs: TMPDIR in the shared directory, its logs/ kept */
    struct vmr_outputs paths; /* set by vmr_command */
};
int vmr_command(struct vmr_cmd *c, const char *out_dir, const char *console);
int vmr_exec(char *const *args, size_t nargs, char *const *files, size_t n_files,
             const char *out_dir, const char *console);

#endif

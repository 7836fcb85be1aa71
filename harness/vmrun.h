/* vmrun — `usbsim run --backend vm`: the kernel backend inside a Debian kernel booted by qemu,
 * for machines without USB (CI's).
 *
 * Contract:
 *  - vmr_run() writes a script that runs `usbsim run --backend kernel` on the given scenarios
 *    (with the same --seed / --time-scale), boots the VM once through ci/vm.sh (which builds and
 *    caches the image under build/vm/ on first use), and reads the JSON report it brings back
 *    into a new array of results (rpt_json_read), so the host prints the same verdicts.
 *  - The VM's console is shown only when verbose or when no report came back.
 *  - Returns 0 with *out and *n set, or 3 when the VM cannot be had (ci/vm.sh missing, qemu or the
 *    kernel package unavailable: ci/vm.sh says which), or 1 when the VM ran but brought no report.
 * Prefix: vmr_.
 */
#ifndef USBSIM_HARNESS_VMRUN_H
#define USBSIM_HARNESS_VMRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/verify.h"

struct vmr_opts {
    char *const *files;
    size_t n_files;
    bool has_seed;
    uint64_t seed;
    double time_scale;
    bool verbose;
};

int vmr_run(const struct vmr_opts *o, struct vfy_result **out, size_t *n);
/* Boots the VM once and runs `/bin/usbsim ARGS...` inside (FILES copied to /data/); every file
 * the command leaves in /out/ comes back to out_dir. The VM's console goes to the file console,
 * or to stdout when console is NULL. Returns the command's exit code inside the VM, 3 when the
 * VM cannot be had, -1 on a local failure. */
int vmr_exec(char *const *args, size_t nargs, char *const *files, size_t n_files,
             const char *out_dir, const char *console);

#endif

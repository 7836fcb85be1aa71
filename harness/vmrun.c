/* vmrun — see vmrun.h. */
#include "harness/vmrun.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/report.h"

/* ci/vm.sh beside the program's build directory (build/usbsim -> ci/vm.sh), or $USBSIM_VM_SH. */
static int find_vm_script(char *exe, size_t exe_len, char *script, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", exe, exe_len - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    const char *env = getenv("USBSIM_VM_SH");
    if (env) {
        snprintf(script, len, "%s", env);
    } else {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", exe);
        snprintf(script, len, "%s/../ci/vm.sh", dirname(dir));
    }
    return access(script, R_OK);
}

static int write_script(const char *path, const struct vmr_opts *o)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "#!/bin/sh\n/bin/usbsim run --backend kernel --json /out/report.json"
               " --junit /out/junit.xml");
    if (o->has_seed)
        fprintf(f, " --seed %" PRIu64, o->seed);
    if (o->time_scale != 1.0)
        fprintf(f, " --time-scale %.17g", o->time_scale);
    for (size_t i = 0; i < o->n_files; i++) {
        char copy[PATH_MAX];
        snprintf(copy, sizeof copy, "%s", o->files[i]);
        fprintf(f, " '/data/%s'", basename(copy));
    }
    fprintf(f, "\n");
    return fclose(f);
}

/* Runs `bash ci/vm.sh run SCRIPT FILES...` with its stdout in console; its exit code. */
static int boot(const char *vm_sh, const char *exe, const char *dir, const char *script,
                const char *console, const struct vmr_opts *o)
{
    char **argv = calloc(o->n_files + 5, sizeof *argv);
    if (!argv)
        return -1;
    argv[0] = "bash";
    argv[1] = (char *)vm_sh;
    argv[2] = "run";
    argv[3] = (char *)script;
    for (size_t i = 0; i < o->n_files; i++)
        argv[4 + i] = o->files[i];
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char out[PATH_MAX];
        snprintf(out, sizeof out, "%s/out", dir);
        setenv("VM_OUT", out, 1);
        setenv("USBSIM_BIN", exe, 1);
        int fd = open(console, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0 && !o->verbose)
            dup2(fd, STDOUT_FILENO);
        execvp("bash", argv);
        _exit(127);
    }
    free(argv);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)type, (void)ftw;
    return remove(path);
}

static void show(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

int vmr_run(const struct vmr_opts *o, struct vfy_result **out, size_t *n)
{
    char exe[PATH_MAX], vm_sh[PATH_MAX];
    if (find_vm_script(exe, sizeof exe, vm_sh, sizeof vm_sh) != 0) {
        fprintf(stderr, "usbsim run: backend vm needs ci/vm.sh from the usbsim source tree beside "
                        "the program (or USBSIM_VM_SH=PATH)\n");
        return 3;
    }
    char dir[] = "/tmp/usbsim-vm-XXXXXX", script[PATH_MAX], console[PATH_MAX], report[PATH_MAX];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "usbsim run: cannot make a temporary directory: %s\n", strerror(errno));
        return 3;
    }
    snprintf(script, sizeof script, "%s/run.sh", dir);
    snprintf(console, sizeof console, "%s/console.txt", dir);
    snprintf(report, sizeof report, "%s/out/report.json", dir);
    int rc = 1;
    if (write_script(script, o) != 0) {
        fprintf(stderr, "usbsim run: cannot write %s\n", script);
    } else {
        int vm = boot(vm_sh, exe, dir, script, console, o);
        char err[RPT_ERR_MAX];
        if (vm == 3 || vm < 0) {
            rc = 3; /* ci/vm.sh said what is missing */
        } else if (rpt_json_read(report, out, n, err) == 0) {
            rc = 0;
        } else {
            show(console);
            fprintf(stderr, "usbsim run: the VM brought no report back (exit %d): %s\n", vm, err);
        }
    }
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}

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

/* The script: /bin/usbsim with args, each single-quoted. */
static int write_script(const char *path, char *const *args, size_t nargs)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "#!/bin/sh\n/bin/usbsim");
    for (size_t i = 0; i < nargs; i++) {
        fputs(" '", f);
        for (const char *c = args[i]; *c; c++) {
            if (*c == '\'')
                fputs("'\\''", f); /* close the quote, an escaped quote, reopen */
            else
                fputc(*c, f);
        }
        fputc('\'', f);
    }
    fprintf(f, "\n");
    return fclose(f);
}

/* Runs `bash ci/vm.sh run SCRIPT FILES...` (results into out_dir; its stdout into console, or
 * shown when console is NULL); its exit code. */
static int boot(const char *vm_sh, const char *exe, const char *out_dir, const char *script,
                const char *console, char *const *files, size_t n_files)
{
    char **argv = calloc(n_files + 5, sizeof *argv);
    if (!argv)
        return -1;
    argv[0] = "bash";
    argv[1] = (char *)vm_sh;
    argv[2] = "run";
    argv[3] = (char *)script;
    for (size_t i = 0; i < n_files; i++)
        argv[4 + i] = files[i];
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("VM_OUT", out_dir, 1);
        setenv("USBSIM_BIN", exe, 1);
        int fd = console ? open(console, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
        if (fd >= 0)
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

int vmr_exec(char *const *args, size_t nargs, char *const *files, size_t n_files,
             const char *out_dir, const char *console)
{
    char exe[PATH_MAX], vm_sh[PATH_MAX], dir[] = "/tmp/usbsim-vm-XXXXXX", script[PATH_MAX];
    if (find_vm_script(exe, sizeof exe, vm_sh, sizeof vm_sh) != 0) {
        fprintf(stderr, "usbsim: backend vm needs ci/vm.sh from the usbsim source tree beside "
                        "the program (or USBSIM_VM_SH=PATH)\n");
        return 3;
    }
    if (!mkdtemp(dir)) {
        fprintf(stderr, "usbsim: cannot make a temporary directory: %s\n", strerror(errno));
        return 3;
    }
    snprintf(script, sizeof script, "%s/run.sh", dir);
    int rc = -1;
    if (write_script(script, args, nargs) != 0)
        fprintf(stderr, "usbsim: cannot write %s\n", script);
    else
        rc = boot(vm_sh, exe, out_dir, script, console, files, n_files);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}

int vmr_run(const struct vmr_opts *o, struct vfy_result **out, size_t *n)
{
    char dir[] = "/tmp/usbsim-vmrun-XXXXXX", console[64], report[96], outd[64];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "usbsim run: cannot make a temporary directory: %s\n", strerror(errno));
        return 3;
    }
    snprintf(console, sizeof console, "%s/console.txt", dir);
    snprintf(outd, sizeof outd, "%s/out", dir);
    snprintf(report, sizeof report, "%s/out/report.json", dir);
    /* usbsim run --backend kernel [--seed N] [--time-scale X] --json ... --junit ... /data/F... */
    char **args = calloc(o->n_files + 12, sizeof *args), seed[32], scale[40];
    char (*data)[PATH_MAX] = calloc(o->n_files + 1, sizeof *data);
    size_t k = 0;
    int rc = 1;
    if (args && data) {
        args[k++] = "run", args[k++] = "--backend", args[k++] = "kernel";
        args[k++] = "--json", args[k++] = "/out/report.json";
        args[k++] = "--junit", args[k++] = "/out/junit.xml";
        if (o->has_seed) {
            snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
            args[k++] = "--seed", args[k++] = seed;
        }
        if (o->time_scale != 1.0) {
            snprintf(scale, sizeof scale, "%.17g", o->time_scale);
            args[k++] = "--time-scale", args[k++] = scale;
        }
        for (size_t i = 0; i < o->n_files; i++) {
            char copy[PATH_MAX];
            snprintf(copy, sizeof copy, "%s", o->files[i]);
            snprintf(data[i], sizeof data[i], "/data/%s", basename(copy));
            args[k++] = data[i];
        }
        int vm = vmr_exec(args, k, o->files, o->n_files, outd, o->verbose ? NULL : console);
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
    free(args);
    free(data);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}

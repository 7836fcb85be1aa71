/* vmrun — see vmrun.h. */
#include "harness/vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/proc.h"
#include "harness/report.h"
#include "sim/exitcode.h"

/* The program, its VM script and the cache directory to give the script (empty: its default,
 * build/vm/ in the source tree). 0, or -1 when no script is found. */
struct where {
    char exe[PATH_MAX], script[PATH_MAX + 32], cache[PATH_MAX];
};

static int readable(const char *path)
{
    return access(path, R_OK) == 0;
}

static int locate(struct where *w)
{
    ssize_t n = readlink("/proc/self/exe", w->exe, sizeof w->exe - 1);
    if (n <= 0)
        return -1;
    w->exe[n] = '\0';
    w->cache[0] = '\0';
    const char *env = getenv("USBSIM_VM_CACHE");
    if (env && *env)
        snprintf(w->cache, sizeof w->cache, "%s", env);
    env = getenv("USBSIM_VM_SH");
    if (env && *env) {
        snprintf(w->script, sizeof w->script, "%s", env);
        return readable(w->script) ? 0 : -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", w->exe);
    char *bin = dirname(dir);
    snprintf(w->script, sizeof w->script, "%s/../share/usbsim/vm.sh", bin);
    if (readable(w->script)) { /* installed: a user's cache directory */
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        int chosen = w->cache[0] || getenv("VM_DIR"); /* by the user */
        if (!chosen && xdg && *xdg == '/')
            snprintf(w->cache, sizeof w->cache, "%s/usbsim/vm", xdg);
        else if (!chosen && home && *home)
            snprintf(w->cache, sizeof w->cache, "%s/.cache/usbsim/vm", home);
        return 0;
    }
    /* In the source tree: ci/vm.sh above the build directory (build/usbsim, build/o0/usbsim). */
    for (int up = 1; up <= 3; up++) {
        size_t len = strlen(bin);
        snprintf(w->script, sizeof w->script, "%s", bin);
        for (int i = 0; i < up && len < sizeof w->script - 4; i++, len += 3)
            strcat(w->script, "/..");
        strcat(w->script, "/ci/vm.sh");
        if (readable(w->script))
            return 0;
    }
    return -1;
}

static const char missing_script[] =
    "the vm backend needs its script: ci/vm.sh in the source tree above the program, "
    "PREFIX/share/usbsim/vm.sh beside an installed one (make install), or USBSIM_VM_SH=PATH";

/* Is prog on $PATH? */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];
    while (path && *path) {
        size_t len = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)len, path, prog);
        if (access(buf, X_OK) == 0)
            return 1;
        path += len + (path[len] == ':');
    }
    return 0;
}

int vmr_check(char *why, size_t len)
{
    struct where w;
    if (locate(&w) != 0) {
        snprintf(why, len, "%s", missing_script);
        return XC_ENV;
    }
    if (!on_path("qemu-system-x86_64")) {
        snprintf(why, len, "the vm backend needs qemu-system-x86_64; install with: apt-get "
                           "install qemu-system-x86 busybox-static cpio xz-utils usbip (or: "
                           "ci/deps.sh vm)");
        return XC_ENV;
    }
    return 0;
}

/* ---- the words forwarded into the VM ---- */

/* The index in names (NULL-terminated) of the long option `word` is ("--name", "--name=v", or a
 * prefix getopt accepted), or -1. */
static int option_in(const char *word, const char *const *names)
{
    if (!names || strncmp(word, "--", 2) != 0 || !word[2])
        return -1;
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    int found = -1;
    for (int i = 0; names[i]; i++)
        if (strncmp(names[i], name, len) == 0) {
            if (strlen(names[i]) == len)
                return i;
            found = found == -1 ? i : -2; /* a prefix of two: not one of ours */
        }
    return found < 0 ? -1 : found;
}

char **vmr_words(char *const *words, size_t n_words, const char *const *dropped,
                 const char *const *outputs, struct vmr_outputs *paths, size_t *n_out)
{
    char **out = calloc(n_words + 1, sizeof *out);
    size_t k = 0;
    memset(paths->host, 0, sizeof paths->host);
    for (size_t i = 0; out && i < n_words; i++) {
        const char *w = words[i];
        if (strcmp(w, "--") == 0)
            continue;
        int d = option_in(w, dropped), o = option_in(w, outputs);
        const char *eq = strchr(w, '=');
        if (d >= 0) {
            i += !eq; /* its value */
            continue;
        }
        if (o < 0 || o >= VMR_MAX_OUTPUTS) {
            out[k++] = (char *)w;
            continue;
        }
        const char *host = eq ? eq + 1 : i + 1 < n_words ? words[i + 1] : "";
        char copy[VMR_PATH_MAX];
        snprintf(copy, sizeof copy, "%s", host);
        paths->host[o] = host;
        snprintf(paths->vm[o], sizeof paths->vm[o], "/out/o%d.%s", o, basename(copy));
        snprintf(paths->flag[o], sizeof paths->flag[o], "--%s", outputs[o]);
        out[k++] = paths->flag[o];
        out[k++] = paths->vm[o];
        i += !eq;
    }
    *n_out = k;
    return out;
}

/* Copies a file the VM left (from) to where the user asked for it (to); says why it could not. */
static int copy_back(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t got;
    int rc = 0;
    while (out && (got = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, got, out) != got)
            break;
    if (!out || ferror(in) || fclose(out) != 0) {
        fprintf(stderr, "usbsim: cannot bring %s back from the VM: %s\n", to, strerror(errno));
        rc = -1;
    }
    if (in)
        fclose(in);
    return rc;
}

int vmr_bring_back(const struct vmr_outputs *paths, const char *from_dir)
{
    DIR *d = opendir(from_dir);
    struct dirent *e;
    int rc = 0;
    while (d && (e = readdir(d))) {
        int k;
        char tail[NAME_MAX + 1];
        if (sscanf(e->d_name, "o%d.%255s", &k, tail) != 2 || k < 0 || k >= VMR_MAX_OUTPUTS ||
            !paths->host[k])
            continue;
        char copy[VMR_PATH_MAX], from[VMR_PATH_MAX + NAME_MAX + 2], to[VMR_PATH_MAX + NAME_MAX + 2];
        snprintf(copy, sizeof copy, "%s", paths->host[k]);
        snprintf(from, sizeof from, "%s/%s", from_dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dirname(copy), tail);
        if (copy_back(from, to) != 0)
            rc = -1;
    }
    if (d)
        closedir(d);
    return rc;
}

/* ---- one boot ---- */

static void put_quoted(FILE *f, const char *s)
{
    fputs(" '", f);
    for (const char *c = s; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", f); /* close the quote, an escaped quote, reopen */
        else
            fputc(*c, f);
    }
    fputc('\'', f);
}

/* The script's environment besides the VM's own: NULL members are not set. */
struct script_env {
    const char *keep_to; /* the command's TMPDIR is the VM's own (sockets cannot live on the
                            shared filesystem); its regular files are copied here after it */
};

/* TMPDIR inside the VM when the runs' folders are kept (VM-local: /run is the VM's tmpfs). */
#define KEEP_TMPDIR "/run/usbsim-logs"


/* The script: `[cd DIR &&] exec PROGRAM ARGS...`, each word single-quoted, env exported. */
static int write_script_in(const char *path, const char *cd, const struct script_env *env,
                           const char *program, char *const *args, size_t nargs)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* The console is a terminal, but its lines are read back as text: no colour codes. */
    fprintf(f, "#!/bin/sh\nexport NO_COLOR=1\n");
    if (env && env->keep_to)
        fprintf(f, "mkdir -p %s && export TMPDIR=%s\n", KEEP_TMPDIR, KEEP_TMPDIR);
    if (cd) {
        fputs("cd", f);
        put_quoted(f, cd);
        fputs(" || exit 2\n", f);
    }
    fputs(env && env->keep_to ? "" : "exec", f);
    put_quoted(f, program);
    for (size_t i = 0; i < nargs; i++)
        put_quoted(f, args[i]);
    fprintf(f, "\n");
    if (env && env->keep_to) { /* the folders and their regular files, nothing else */
        fputs("rc=$?\nset --", f);
        put_quoted(f, env->keep_to);
        fprintf(f, "\ncd %s && find . -type d -exec mkdir -p \"$1/{}\" \\; &&\n"
                   "  find . -type f -exec cp {} \"$1/{}\" \\;\nexit $rc\n", KEEP_TMPDIR);
    }
    return fclose(f);
}

static int write_script(const char *path, const struct script_env *env, char *const *args,
                        size_t nargs)
{
    return write_script_in(path, NULL, env, "/bin/usbsim", args, nargs);
}

/* Runs `bash SCRIPT run RUN.sh FILES...` in its own process group (results into out_dir; its
 * stdout into console, or shown when console is NULL); an interrupt stops the group. Its exit
 * code. */
static int boot(const struct where *w, const char *out_dir, const char *script,
                const char *console, char *const *files, size_t n_files, const char *hostfs)
{
    char **argv = calloc(n_files + 5, sizeof *argv);
    if (!argv)
        return -1;
    argv[0] = "bash";
    argv[1] = (char *)w->script;
    argv[2] = "run";
    argv[3] = (char *)script;
    for (size_t i = 0; i < n_files; i++)
        argv[4 + i] = files[i];
    proc_catch_signals();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        setenv("VM_OUT", out_dir, 1);
        if (hostfs)
            setenv("VM_HOSTFS", hostfs, 1);
        setenv("USBSIM_BIN", w->exe, 1);
        if (w->cache[0])
            setenv("VM_DIR", w->cache, 1);
        int fd = console ? open(console, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
        if (fd >= 0)
            dup2(fd, STDOUT_FILENO);
        execvp("bash", argv);
        _exit(127);
    }
    free(argv);
    if (pid < 0)
        return -1;
    setpgid(pid, pid);
    int st = 0, stopped = 0;
    for (;;) {
        if (proc_interrupted() && !stopped) {
            kill(-pid, SIGTERM);
            stopped = 1;
        }
        pid_t r = waitpid(pid, &st, 0);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
    }
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

static int exec_in_vm(char *const *args, size_t nargs, char *const *files, size_t n_files,
                      const char *out_dir, const char *console, const struct script_env *env)
{
    struct where w;
    char dir[] = "/tmp/usbsim-vm-XXXXXX", script[PATH_MAX];
    if (locate(&w) != 0) {
        fprintf(stderr, "usbsim: %s\n", missing_script);
        return XC_ENV;
    }
    if (!mkdtemp(dir)) {
        fprintf(stderr, "usbsim: cannot make a temporary directory: %s\n", strerror(errno));
        return XC_ENV;
    }
    snprintf(script, sizeof script, "%s/run.sh", dir);
    int rc = -1;
    if (write_script(script, env, args, nargs) != 0)
        fprintf(stderr, "usbsim: cannot write %s\n", script);
    else
        rc = boot(&w, out_dir, script, console, files, n_files, NULL);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}

int vmr_exec(char *const *args, size_t nargs, char *const *files, size_t n_files,
             const char *out_dir, const char *console)
{
    return exec_in_vm(args, nargs, files, n_files, out_dir, console, NULL);
}

/* A word naming a file under the VM's /out, in the shared run directory instead. */
static char *in_run_dir(const char *word, const char *dir, char (*buf)[VMR_PATH_MAX])
{
    if (strncmp(word, "/out", 4) != 0 || (word[4] && word[4] != '/'))
        return (char *)word;
    snprintf(*buf, sizeof *buf, "%.1024s%s", dir, word);
    return *buf;
}

/* Moves every file of from into to (renamed, or copied across filesystems). */
static int move_all(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;
    int rc = d ? 0 : -1;
    while (d && (e = readdir(d))) {
        char a[PATH_MAX], b[PATH_MAX];
        if (e->d_name[0] == '.')
            continue;
        snprintf(a, sizeof a, "%.2000s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%.2000s/%s", to, e->d_name);
        if (rename(a, b) == 0)
            continue;
        if (copy_back(a, b) != 0)
            rc = -1;
    }
    if (d)
        closedir(d);
    return rc;
}

/* hostfs: `chroot /host /bin/sh DIR/inner.sh`; inner.sh runs this very program in the current
 * directory with the words as given, files as given, /out as DIR/out; DIR/out then moves to
 * out_dir. */
static int command_hostfs(struct vmr_cmd *c, char **fwd, size_t nw, const char *out_dir,
                          const char *console)
{
    struct where w;
    char dir[] = "/tmp/usbsim-vmx-XXXXXX", cwd[PATH_MAX], inner[64], outer[64], outd[64],
         vmout[64], logs[64];
    if (locate(&w) != 0 || !getcwd(cwd, sizeof cwd) || !mkdtemp(dir)) {
        fprintf(stderr, "usbsim: cannot prepare the VM's run directory: %s\n", strerror(errno));
        return -1;
    }
    snprintf(inner, sizeof inner, "%s/inner.sh", dir);
    snprintf(outer, sizeof outer, "%s/run.sh", dir);
    snprintf(outd, sizeof outd, "%s/out", dir);
    snprintf(vmout, sizeof vmout, "%s/console-files", dir);
    snprintf(logs, sizeof logs, "%s/logs", dir);
    size_t n_extra = 0, k = 0;
    while (c->extra && c->extra[n_extra])
        n_extra++;
    /* buf[k] holds args[k] when it names a file in the run directory: one per argument. */
    size_t n_args = nw + n_extra + c->n_files + 4;
    char **args = calloc(n_args, sizeof *args);
    char (*buf)[VMR_PATH_MAX] = calloc(n_args, sizeof *buf);
    int rc = -1;
    if (args && buf && mkdir(outd, 0755) == 0 && (!c->keep_logs || mkdir(logs, 0755) == 0)) {
        args[k++] = (char *)c->command;
        args[k++] = "--backend", args[k++] = (char *)c->inner_backend;
        for (size_t i = 0; i < nw; i++)
            args[k] = in_run_dir(fwd[i], dir, &buf[k]), k++;
        for (size_t i = 0; i < n_extra; i++)
            args[k] = in_run_dir(c->extra[i], dir, &buf[k]), k++;
        for (size_t i = 0; i < c->n_files; i++)
            args[k++] = c->files[i];
        char *const chroot_args[] = {"/host", "/bin/sh", inner};
        /* --keep-logs: the runs' folders copied to the shared directory's logs/, which stays. */
        struct script_env env = {.keep_to = c->keep_logs ? logs : NULL};
        if (write_script_in(inner, cwd, &env, w.exe, args, k) == 0 &&
            write_script_in(outer, NULL, NULL, "chroot", chroot_args, 3) == 0)
            rc = boot(&w, vmout, outer, console, NULL, 0, dir);
        if (mkdir(out_dir, 0700) != 0 && errno != EEXIST)
            fprintf(stderr, "usbsim: cannot make %s: %s\n", out_dir, strerror(errno));
        if (move_all(outd, out_dir) != 0 && rc == 0)
            rc = -1;
    }
    free(args);
    free(buf);
    if (c->keep_logs) {
        const char *const gone[] = {inner, outer, outd, vmout};
        for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
            nftw(gone[i], rm_one, 8, FTW_DEPTH | FTW_PHYS);
        fprintf(stderr, "usbsim: the runs' logs are in %s (one folder per scenario)\n", logs);
    } else {
        nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    }
    return rc;
}

int vmr_command(struct vmr_cmd *c, const char *out_dir, const char *console)
{
    size_t nw = 0, k = 0, n_extra = 0;
    while (c->extra && c->extra[n_extra])
        n_extra++;
    char **fwd = vmr_words(c->words, c->n_words, c->dropped, c->outputs, &c->paths, &nw);
    if (c->hostfs) {
        int rc = fwd ? command_hostfs(c, fwd, nw, out_dir, console) : -1;
        free(fwd);
        return rc;
    }
    char **args = calloc(nw + n_extra + c->n_files + 4, sizeof *args);
    char (*data)[PATH_MAX] = calloc(c->n_files + 1, sizeof *data);
    int rc = -1;
    if (fwd && args && data) {
        args[k++] = (char *)c->command;
        args[k++] = "--backend", args[k++] = (char *)c->inner_backend;
        for (size_t i = 0; i < nw; i++)
            args[k++] = fwd[i];
        for (size_t i = 0; i < n_extra; i++)
            args[k++] = (char *)c->extra[i];
        for (size_t i = 0; i < c->n_files; i++) {
            char copy[PATH_MAX];
            snprintf(copy, sizeof copy, "%s", c->files[i]);
            snprintf(data[i], sizeof data[i], "/data/%s", basename(copy));
            args[k++] = data[i];
        }
        rc = exec_in_vm(args, k, c->files, c->n_files, out_dir, console, NULL);
    }
    free(fwd);
    free(args);
    free(data);
    return rc;
}

int vmr_run(const struct vmr_opts *o, struct vfy_result **out, size_t *n)
{
    static const char *const dropped[] = {"backend", "json", "junit", NULL};
    static const char *const outputs[] = {"html", "pcap", NULL};
    static const char *const extra[] = {"--json", "/out/report.json", NULL};
    char dir[] = "/tmp/usbsim-vmrun-XXXXXX", console[64], report[96], outd[64];
    *out = NULL;
    *n = 0;
    if (!mkdtemp(dir)) {
        fprintf(stderr, "usbsim %s: cannot make a temporary directory: %s\n", o->command,
                strerror(errno));
        return XC_ENV;
    }
    snprintf(console, sizeof console, "%s/console.txt", dir);
    snprintf(outd, sizeof outd, "%s/out", dir);
    snprintf(report, sizeof report, "%s/out/report.json", dir);
    struct vmr_cmd c = {.command = o->command, .inner_backend = o->inner_backend,
                        .words = o->words, .n_words = o->n_words, .dropped = dropped,
                        .outputs = outputs, .extra = extra, .files = o->files,
                        .n_files = o->n_files};
    c.hostfs = o->hostfs || o->keep_logs;
    c.keep_logs = o->keep_logs;
    int vm = vmr_command(&c, outd, o->verbose ? NULL : console), rc = 1;
    char err[RPT_ERR_MAX];
    if (proc_interrupted()) {
        rc = 0; /* no verdict for an interrupted set */
    } else if (vm == 3 || vm < 0) {
        rc = 3; /* the script said what is missing */
    } else if (rpt_json_read(report, out, n, err) == 0) {
        if (vmr_bring_back(&c.paths, outd) != 0 && o->output_failures) /* said on stderr */
            ++*o->output_failures;
        rc = 0;
    } else {
        show(console);
        fprintf(stderr, "usbsim %s: the VM brought no report back (exit %d): %s\n", o->command,
                vm, err);
    }
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}

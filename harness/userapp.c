/* userapp — see userapp.h. */
#include "harness/userapp.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sim/logfmt.h"

int uapp_refuses(const struct scn_scenario *sc, char *why, size_t len)
{
    if (sc->device.framing == SCN_FRAMING_RAW) { /* libusbsim-ring records bytes 4..7 as the seq */
        snprintf(why, len, "--app judges usbsim-framed streams; scenario '%s' has framing raw "
                 "(use the built-in application or --exec)", sc->name);
        return -1;
    }
    const char *what = sc->consumer.work.kind != SCN_DIST_NONE
                           ? (sc->consumer.n_events ? "consumer.work_us and consumer.events"
                                                    : "consumer.work_us")
                       : sc->consumer.n_events ? "consumer.events"
                                               : NULL;
    if (!what)
        return 0;
    snprintf(why, len, "scenario '%s' sets %s, which only the built-in application plays; with "
             "--app the application is yours: remove them", sc->name, what);
    return -1;
}

int uapp_exec(const char *command, const char *socket_path, const char *run_dir)
{
    if (setenv("USBSIM_RING_SOCKET", socket_path, 1) != 0 ||
        setenv("USBSIM_RECORD", run_dir, 1) != 0 || setenv("USBSIM_RUN_DIR", run_dir, 1) != 0) {
        fprintf(stderr, "app: cannot set the environment: %s\n", strerror(errno));
        return 127;
    }
    return uapp_shell(command);
}

static void on_term(int sig)
{
    (void)sig; /* the shell and its children got it too (the group's signal): they end */
}

int uapp_shell(const char *command)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* what the shell starts and leaves is reaped here */
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pid_t sh = fork();
    if (sh < 0) {
        fprintf(stderr, "cannot start /bin/sh: %s\n", strerror(errno));
        return 127;
    }
    if (sh == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        fprintf(stderr, "cannot run /bin/sh: %s\n", strerror(errno));
        _exit(127);
    }
    int st = 0, any;
    pid_t r;
    while ((r = waitpid(-1, &any, 0)) != -1 || errno == EINTR)
        if (r == sh)
            st = any;
    if (WIFSIGNALED(st)) { /* end the same way, so the verdict says how */
        signal(WTERMSIG(st), SIG_DFL);
        raise(WTERMSIG(st));
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int uapp_prepare(const char *run_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", run_dir, LF_APP_FILE);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    static const char head[] = LF_APP_HEADER "\n";
    ssize_t w = write(fd, head, sizeof head - 1);
    return close(fd) == 0 && w == (ssize_t)(sizeof head - 1) ? 0 : -1;
}

const char *uapp_hint(int exit_status)
{
    return exit_status == 127   ? " (the command was not found)"
           : exit_status == 126 ? " (the command is not executable)"
                                : "";
}

void uapp_judge(struct vfy_result *out, const char *who, const char *command,
                const struct proc *p, struct uapp_end end, double watchdog_s)
{
    if (end.termed && p->done && !p->killed && WIFSIGNALED(p->status) &&
        WTERMSIG(p->status) == SIGTERM)
        return; /* ended by the SIGTERM of the run's end */
    if (end.hung && p->done && !p->killed) {
        vfy_add_failure(out, VFY_KIND_PROCESS_HANG, "%s '%s': hung: still running %.1f s after "
                        "the SIGTERM it got at the end of the run (killed)", who, command,
                        UAPP_KILL_GRACE_NS / 1e9);
        return;
    }
    if (proc_ok(p) && end.early) {
        vfy_add_failure(out, VFY_KIND_PROCESS_FAILED, "%s '%s': exited 0 before the run was "
                        "over (the device's timeline had not ended)", who, command);
        return;
    }
    if (proc_ok(p))
        return;
    char how[160];
    proc_describe(p, watchdog_s, how, sizeof how);
    const char *what = strchr(how, ':') ? strchr(how, ':') + 2 : how;
    bool exited = p->done && !p->killed && WIFEXITED(p->status);
    vfy_add_failure(out, proc_kind(p), "%s '%s': %s%s", who, command, what,
                    exited ? uapp_hint(WEXITSTATUS(p->status)) : "");
}

/* proc — see proc.h. */
#include "harness/proc.h"

#include "sim/clock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 5000000LL           /* how often the waiter looks at its children */
#define GRACE_NS 1000000000LL       /* SIGTERM -> SIGKILL */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

/* Every signal whose default would end the harness with its children and temporary folder
 * left behind: each is caught, so the run stops in order (exit 128 + the signal). SIGPIPE too:
 * a closed standard output then makes writes fail (EPIPE) instead of killing the harness. */
static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGQUIT};

void proc_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaction(caught[i], &sa, NULL);
}

bool proc_interrupted(void)
{
    return interrupted != 0;
}

int proc_interrupt_signal(void)
{
    return interrupted;
}

int64_t proc_now_ns(void)
{
    return clk_mono_ns();
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
    nanosleep(&ts, NULL);
}

int proc_start(struct proc *p, const char *name, int (*fn)(void *arg), void *arg)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(125);
        /* The harness's own handlers must not linger in the child. */
        for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
            signal(caught[i], SIG_DFL);
        int rc = fn(arg);
        fflush(NULL);
        _exit(rc & 0xff);
    }
    setpgid(pid, pid); /* both sides set it: no race with an early signal */
    p->pid = pid;
    return 0;
}

void proc_signal(struct proc *p, int sig)
{
    if (p->pid > 0 && !p->done)
        kill(-p->pid, sig);
}

static bool reap(struct proc *p, int flags)
{
    if (p->pid <= 0 || p->done)
        return true;
    int st;
    struct rusage ru;
    pid_t r = wait4(p->pid, &st, flags, &ru);
    if (r == p->pid) {
        p->done = true;
        p->status = st;
        p->cpu_ns = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                    ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
        /* Whatever the child started in its group goes with it. */
        kill(-p->pid, SIGKILL);
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        p->done = true;
        p->status = 0;
        return true;
    }
    return false;
}

size_t proc_poll(struct proc *ps, size_t n)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++)
        done += reap(&ps[i], WNOHANG);
    return done;
}

bool proc_ok(const struct proc *p)
{
    return p->done && !p->killed && WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0;
}

static void stop_all(struct proc *ps, size_t n, const char *why)
{
    for (size_t i = 0; i < n; i++)
        if (ps[i].pid > 0 && !ps[i].done) {
            ps[i].killed = true;
            ps[i].stop_reason = why;
            proc_signal(&ps[i], SIGTERM);
        }
    int64_t until = proc_now_ns() + GRACE_NS;
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < n; i++)
            all &= reap(&ps[i], WNOHANG);
        if (all)
            return;
        if (proc_now_ns() >= until)
            break;
        sleep_ns(POLL_NS);
    }
    for (size_t i = 0; i < n; i++) {
        proc_signal(&ps[i], SIGKILL);
        reap(&ps[i], 0);
    }
}

int proc_wait_all(struct proc *ps, size_t n, int64_t deadline_ns, bool first_failure_stops)
{
    for (;;) {
        bool all = true, failed = false;
        for (size_t i = 0; i < n; i++) {
            all &= reap(&ps[i], WNOHANG);
            if (ps[i].done && ps[i].pid > 0 && !proc_ok(&ps[i]))
                failed = true;
        }
        if (all)
            break;
        const char *why = interrupted                      ? "interrupt"
                          : proc_now_ns() >= deadline_ns    ? "watchdog"
                          : failed && first_failure_stops ? "another process failed"
                                                          : NULL;
        if (why) {
            stop_all(ps, n, why);
            break;
        }
        sleep_ns(POLL_NS);
    }
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += ps[i].pid > 0 && !proc_ok(&ps[i]);
    return bad;
}

enum vfy_kind proc_kind(const struct proc *p)
{
    if (p->pid <= 0 || !p->done)
        return VFY_KIND_PROCESS_FAILED;
    if (p->killed)
        return strcmp(p->stop_reason, "watchdog") == 0 ? VFY_KIND_PROCESS_HANG
                                                       : VFY_KIND_PROCESS_STOPPED;
    return WIFSIGNALED(p->status) ? VFY_KIND_PROCESS_CRASH : VFY_KIND_PROCESS_FAILED;
}

const char *proc_describe(const struct proc *p, double watchdog_s, char *buf, size_t len)
{
    switch (proc_kind(p)) {
    case VFY_KIND_PROCESS_HANG:
        snprintf(buf, len, "%s: hung: stopped after the %.1f s watchdog", p->name, watchdog_s);
        break;
    case VFY_KIND_PROCESS_STOPPED:
        snprintf(buf, len, "%s: stopped (%s)", p->name, p->stop_reason);
        break;
    case VFY_KIND_PROCESS_CRASH:
        snprintf(buf, len, "%s: crashed: signal %d (%s)", p->name, WTERMSIG(p->status),
                 strsignal(WTERMSIG(p->status)));
        break;
    default:
        if (p->pid <= 0)
            snprintf(buf, len, "%s: not started", p->name);
        else if (!p->done)
            snprintf(buf, len, "%s: still running", p->name);
        else
            snprintf(buf, len, "%s: exited %d", p->name, WEXITSTATUS(p->status));
    }
    return buf;
}

/* bench_floor — see bench_floor.h. */
#include "harness/bench_floor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/proc.h"

#define MAX_WAKES 4096

int bfloor_timer(int n, int64_t period_ns, struct bstat_pct *out)
{
    memset(out, 0, sizeof *out);
    double *late = n > 0 ? malloc((size_t)n * sizeof *late) : NULL;
    if (!late)
        return -1;
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    int64_t t0 = proc_now_ns();
    for (int i = 0; i < n; i++) {
        int64_t due = t0 + (int64_t)(i + 1) * period_ns, wait = due - proc_now_ns();
        struct timespec ts = {wait > 0 ? wait / 1000000000LL : 0, wait > 0 ? wait % 1000000000LL : 0};
        ppoll(NULL, 0, &ts, NULL);
        late[i] = (double)(proc_now_ns() - due) / 1e3;
    }
    *out = bstat_pct_of(late, (size_t)n);
    free(late);
    return 0;
}

/* Shared between the writer (this process) and the blocked reader. */
struct wake_rec {
    _Atomic int ready;
    _Atomic int64_t sent_ns;
    int n;
    int64_t lat_ns[MAX_WAKES];
};

struct reader {
    struct wake_rec *w;
    int efd;
};

static int reader_main(void *arg)
{
    struct reader *r = arg;
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    atomic_store(&r->w->ready, 1);
    for (int i = 0; i < r->w->n; i++) {
        uint64_t v;
        if (read(r->efd, &v, sizeof v) != (ssize_t)sizeof v)
            return 1;
        r->w->lat_ns[i] = proc_now_ns() - atomic_load(&r->w->sent_ns);
    }
    return 0;
}

int bfloor_eventfd(int n, int64_t period_ns, struct bstat_pct *out)
{
    memset(out, 0, sizeof *out);
    if (n <= 0 || n > MAX_WAKES)
        return -1;
    struct wake_rec *w = mmap(NULL, sizeof *w, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED)
        return -1;
    w->n = n;
    struct reader r = {w, eventfd(0, EFD_CLOEXEC)};
    struct proc child;
    int rc = -1;
    if (r.efd >= 0 && proc_start(&child, "wake-floor", reader_main, &r) == 0) {
        while (!atomic_load(&w->ready) && waitpid(child.pid, NULL, WNOHANG) == 0)
            usleep(100);
        prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        int64_t t0 = proc_now_ns();
        int ok = 1;
        for (int i = 0; i < n && ok; i++) {
            int64_t due = t0 + (int64_t)(i + 1) * period_ns;
            struct timespec ts = {due / 1000000000LL, due % 1000000000LL};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
            }
            uint64_t one = 1;
            atomic_store(&w->sent_ns, proc_now_ns());
            ok = write(r.efd, &one, sizeof one) == (ssize_t)sizeof one;
        }
        int st = 0;
        if (!ok)
            kill(child.pid, SIGKILL);
        waitpid(child.pid, &st, 0);
        if (ok && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            double *us = malloc((size_t)n * sizeof *us);
            if (us) {
                for (int i = 0; i < n; i++)
                    us[i] = (double)w->lat_ns[i] / 1e3;
                *out = bstat_pct_of(us, (size_t)n);
                free(us);
                rc = 0;
            }
        }
    }
    if (r.efd >= 0)
        close(r.efd);
    munmap(w, sizeof *w);
    return rc;
}

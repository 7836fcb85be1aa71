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
    int n;
    _Atomic int64_t sent_ns[MAX_WAKES]; /* when the k-th wake-up was rung */
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
    /* One read takes every ring since the last one (an eventfd counts): when the reader was
     * late by more than a period, each of those wake-ups is counted as late as it was. */
    for (int i = 0; i < r->w->n;) {
        uint64_t v;
        if (read(r->efd, &v, sizeof v) != (ssize_t)sizeof v || v == 0 || v > (uint64_t)(r->w->n - i))
            return 1;
        int64_t t = proc_now_ns();
        for (uint64_t k = 0; k < v; k++, i++)
            r->w->lat_ns[i] = t - atomic_load(&r->w->sent_ns[i]);
    }
    return 0;
}

struct bfloor_wake {
    struct wake_rec *rec;
    struct reader r;
    struct proc child;
    int rung;
};

struct bfloor_wake *bfloor_wake_start(int n)
{
    if (n <= 0 || n > MAX_WAKES)
        return NULL;
    struct bfloor_wake *w = calloc(1, sizeof *w);
    struct wake_rec *rec = mmap(NULL, sizeof *rec, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                -1, 0);
    if (!w || rec == MAP_FAILED) {
        free(w);
        if (rec != MAP_FAILED)
            munmap(rec, sizeof *rec);
        return NULL;
    }
    rec->n = n;
    w->rec = rec;
    w->r = (struct reader){rec, eventfd(0, EFD_CLOEXEC)};
    if (w->r.efd < 0 || proc_start(&w->child, "wake-floor", reader_main, &w->r) != 0) {
        if (w->r.efd >= 0)
            close(w->r.efd);
        munmap(rec, sizeof *rec);
        free(w);
        return NULL;
    }
    while (!atomic_load(&rec->ready) && waitpid(w->child.pid, NULL, WNOHANG) == 0)
        usleep(100);
    return w;
}

int bfloor_wake_ring(struct bfloor_wake *w)
{
    if (w->rung >= w->rec->n)
        return -1;
    uint64_t one = 1;
    atomic_store(&w->rec->sent_ns[w->rung], proc_now_ns());
    if (write(w->r.efd, &one, sizeof one) != (ssize_t)sizeof one)
        return -1;
    w->rung++;
    return 0;
}

int bfloor_wake_finish(struct bfloor_wake *w, struct bstat_pct *out)
{
    memset(out, 0, sizeof *out);
    int st = 0, rc = -1, n = w->rec->n;
    /* The reader has a second after the last wake-up; a reader that is stuck is killed, never
     * waited for. */
    for (int i = 0; w->rung == n && i < 1000 && waitpid(w->child.pid, &st, WNOHANG) == 0; i++)
        usleep(1000);
    if (waitpid(w->child.pid, &st, WNOHANG) == 0) {
        kill(w->child.pid, SIGKILL);
        waitpid(w->child.pid, &st, 0);
    }
    if (w->rung == n && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        double *us = malloc((size_t)n * sizeof *us);
        if (us) {
            for (int i = 0; i < n; i++)
                us[i] = (double)w->rec->lat_ns[i] / 1e3;
            *out = bstat_pct_of(us, (size_t)n);
            free(us);
            rc = 0;
        }
    }
    close(w->r.efd);
    munmap(w->rec, sizeof *w->rec);
    free(w);
    return rc;
}

int bfloor_eventfd(int n, int64_t period_ns, struct bstat_pct *out)
{
    memset(out, 0, sizeof *out);
    struct bfloor_wake *w = bfloor_wake_start(n);
    if (!w)
        return -1;
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    int64_t t0 = proc_now_ns();
    for (int i = 0; i < n; i++) {
        int64_t due = t0 + (int64_t)(i + 1) * period_ns;
        struct timespec ts = {due / 1000000000LL, due % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
        if (bfloor_wake_ring(w) != 0)
            break;
    }
    return bfloor_wake_finish(w, out);
}

/* deadline — see deadline.h. */
#include "sim/deadline.h"

#include <time.h>

#include "sim/clock.h"

void dl_init(struct dl_wait *w)
{
    *w = (struct dl_wait){.margin_ns = DL_MARGIN_START_NS};
}

static int sleep_poll(struct pollfd *p, nfds_t n, int64_t wait, const sigset_t *mask)
{
    struct timespec ts = {wait > 0 ? wait / 1000000000LL : 0, wait > 0 ? wait % 1000000000LL : 0};
    return ppoll(p, n, &ts, mask);
}

static void adapt(struct dl_wait *w, int64_t late)
{
    int64_t want = late + late / 2 + DL_SLACK_NS;
    if (want > w->margin_ns)
        w->margin_ns = want;
    else
        w->margin_ns -= (w->margin_ns - DL_MARGIN_MIN_NS) / 64;
    if (w->margin_ns > DL_MARGIN_MAX_NS)
        w->margin_ns = DL_MARGIN_MAX_NS;
    if (w->margin_ns < DL_MARGIN_MIN_NS)
        w->margin_ns = DL_MARGIN_MIN_NS;
}

int dl_ppoll(struct dl_wait *w, struct pollfd *p, nfds_t n, int64_t now, int64_t wake, int precise,
             const sigset_t *mask)
{
    if (!precise)
        return sleep_poll(p, n, wake - now, mask);
    int64_t target = wake - w->margin_ns;
    if (target > now) {
        int r = sleep_poll(p, n, target - now, mask);
        if (r != 0)
            return r;
        now = clk_mono_ns();
        adapt(w, now - target);
    }
    int64_t start = now;
    int r = 0;
    while (now < wake) {
        r = sleep_poll(p, n, 0, mask);
        w->spins++;
        now = clk_mono_ns();
        if (r != 0)
            break;
    }
    w->spin_ns += now - start;
    return r;
}

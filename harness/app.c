/* app — see app.h. */
#include "harness/app.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/client.h"
#include "harness/proc.h"
#include "harness/records.h"
#include "sim/logfmt.h"
#include "sim/packet.h"
#include "sim/rawmatch.h"
#include "sim/rng.h"
#include "sim/schedule.h"

#define WAIT_SLICE_MS 100

struct app {
    const struct app_opts *o;
    struct sched plan;
    struct rng work;
    int64_t t0;       /* device start, CLOCK_MONOTONIC; -1 until the first packet */
    size_t n, cap;
    struct rec_app_row *rows;
    uint64_t batches, unreadable;
    struct rm *match;  /* a raw stream: identifies each packet by place and content */
    uint64_t unknown;  /* ... and the ones it could not (content never planned) */
};

static void sleep_until(int64_t t_ns, volatile sig_atomic_t *stop)
{
    while (!(stop && *stop) && !proc_interrupted()) {
        int64_t left = t_ns - proc_now_ns();
        if (left <= 0)
            return;
        if (left > 50000000)
            left = 50000000; /* look at the stop flag now and then */
        struct timespec ts = {.tv_sec = 0, .tv_nsec = left};
        nanosleep(&ts, NULL);
    }
}

/* The scenario's per-packet processing: busy, as real work would be. */
static void spend(int64_t ns)
{
    int64_t until = proc_now_ns() + ns;
    while (proc_now_ns() < until)
        ;
}

/* If a consumer stall covers now, sleep to its end. */
static void honour_stalls(struct app *a)
{
    if (a->t0 < 0)
        return;
    const struct scn_scenario *sc = a->o->sc;
    int64_t t = proc_now_ns() - a->t0;
    for (size_t i = 0; i < sc->consumer.n_events; i++) {
        const struct scn_con_event *e = &sc->consumer.events[i];
        if (t >= e->at_ns && t < e->at_ns + e->dur_ns)
            sleep_until(a->t0 + e->at_ns + e->dur_ns, a->o->stop);
    }
}

/* A raw packet's seq from its place and content; its produce time is not in it (0). t0 is then
 * estimated from the first one identified: its ingress time less its planned send time. */
static int identify(struct app *a, const struct usbsim_ring_pkt *p, struct pkt_fields *f)
{
    int dup;
    int64_t seq = rm_match(a->match, p->bytes, p->len, &dup);
    if (seq < 0) {
        a->unknown++;
        return -1;
    }
    *f = (struct pkt_fields){.seq = (uint32_t)seq};
    if (a->t0 < 0)
        a->t0 = (int64_t)p->ingress_ns - a->plan.samples[seq].send_ns;
    return 0;
}

static int record(struct app *a, const struct usbsim_ring_pkt *p, int64_t now)
{
    struct pkt_fields f;
    enum pkt_status st = PKT_OK;
    if (a->match) {
        if (identify(a, p, &f) != 0)
            return 0; /* counted: content the device never planned */
    } else {
        st = pkt_decode(p->bytes, p->len, 0, 0, 0, &f);
    }
    if (st == PKT_ERR_SHORT || st == PKT_ERR_MAGIC) {
        a->unreadable++;
        fprintf(stderr, "app: ring packet %" PRIu32 " is unreadable (%s), %" PRIu16 " bytes\n",
                p->seq, pkt_status_str(st), p->len);
        return 0;
    }
    if (a->t0 < 0 && f.seq < a->plan.n)
        a->t0 = (int64_t)f.produce_ns - a->plan.samples[f.seq].due_ns;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        struct rec_app_row *rows = realloc(a->rows, cap * sizeof *rows);
        if (!rows) {
            fprintf(stderr, "app: out of memory for %zu records\n", cap);
            return -1;
        }
        a->rows = rows;
        a->cap = cap;
    }
    a->rows[a->n++] = (struct rec_app_row){.seq = f.seq, .batch = a->batches, .recv_ns = now,
                                           .produce_ns = (int64_t)f.produce_ns,
                                           .ingress_ns = (int64_t)p->ingress_ns};
    return 0;
}

/* Takes one batch. Returns packets taken (>= 0) or a negative status. */
static int drain_batch(struct app *a, struct usbsim_client *c)
{
    int n = usbsim_client_peek(c, a->o->sc->consumer.batch_max);
    if (n <= 0)
        return n;
    a->batches++;
    for (int i = 0; i < n; i++) {
        struct usbsim_ring_pkt p;
        int rc = usbsim_client_get(c, (uint32_t)i, &p);
        if (rc != 0)
            return rc;
        if (record(a, &p, proc_now_ns()) != 0)
            return USBSIM_ESYS;
        spend(rng_dist_ns(&a->work, &a->o->sc->consumer.work));
    }
    int rc = usbsim_client_release(c, (uint32_t)n);
    return rc < 0 ? rc : n;
}

static int write_log(const struct app *a, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "app: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "%s\n", LF_APP_HEADER);
    for (size_t i = 0; i < a->n; i++) {
        const struct rec_app_row *r = &a->rows[i];
        fprintf(f, LF_APP_ROW, r->seq, r->recv_ns, r->produce_ns, r->ingress_ns, r->batch);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "app: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static int write_counters(const struct app *a, const char *path, uint64_t missed)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    if (a->match)
        fprintf(f, "%s\n" LF_APP_COUNTERS_RAW_ROW, LF_APP_COUNTERS_RAW_HEADER, missed,
                a->unknown);
    else
        fprintf(f, "%s\n" LF_APP_COUNTERS_ROW, LF_APP_COUNTERS_HEADER, missed);
    return fclose(f);
}

static int drain_until_end(struct app *a, struct usbsim_client *c)
{
    volatile sig_atomic_t *stop = a->o->stop;
    while (!(stop && *stop) && !proc_interrupted()) {
        honour_stalls(a);
        int rc = usbsim_client_wait(c, WAIT_SLICE_MS);
        if (rc == USBSIM_ECLOSED || rc == USBSIM_EPEER)
            return rc == USBSIM_ECLOSED ? 0 : (fprintf(stderr, "app: the driver went away\n"), 0);
        if (rc > 0)
            rc = drain_batch(a, c);
        if (rc < 0) {
            fprintf(stderr, "app: %s\n", usbsim_client_error(c));
            return 1;
        }
    }
    return 0;
}

int app_run(const struct app_opts *o)
{
    struct app a = {.o = o, .t0 = -1};
    char err[USBSIM_CLIENT_ERR_MAX > SCN_ERR_MAX ? USBSIM_CLIENT_ERR_MAX : SCN_ERR_MAX];
    if (sched_build(o->sc, &a.plan, err) != 0) {
        fprintf(stderr, "app: %s\n", err);
        return 1;
    }
    char merr[RM_ERR_MAX];
    if (a.plan.raw && !(a.match = rm_from_sched(&a.plan, merr))) {
        fprintf(stderr, "app: %s\n", merr);
        sched_free(&a.plan);
        return 1;
    }
    rng_seed(&a.work, rng_derive(o->sc->seed, RNG_TAG_WORK));
    int rc = 1;
    struct usbsim_client *c = usbsim_client_connect(o->socket_path, o->connect_timeout_ms, err);
    if (!c) {
        fprintf(stderr, "app: cannot connect to the driver at %s: %s\n", o->socket_path, err);
    } else {
        rc = drain_until_end(&a, c);
        if (o->counters_path &&
            write_counters(&a, o->counters_path, usbsim_client_missed_wakeups(c)) != 0)
            rc = 1;
        usbsim_client_close(c);
    }
    if (a.unreadable)
        rc = 1;
    if (write_log(&a, o->log_path) != 0)
        rc = 1;
    free(a.rows);
    rm_free(a.match);
    sched_free(&a.plan);
    return rc;
}

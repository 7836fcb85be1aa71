/* drv — see drv.h. */
#include "driver/drv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "driver/client.h"
#include "sim/logfmt.h"
#include "sim/packet.h"
#include "sim/exitcode.h"

#define RUN_SLICE_NS 100000000LL /* how often the loop looks at the application and the flag */

struct drv {
    const struct drv_opts *o;
    struct usbsim_ring *ring;
    struct usbsim_doorbell db;
    struct usbsim_server srv;
    FILE *log;
    uint64_t high_water, crc_rejects, ring_drops;
    int failed;
};

static void log_row(struct drv *d, int64_t seq, uint64_t ingress_ns, const char *status)
{
    if (d->log)
        fprintf(d->log, LF_DRIVER_ROW, seq, ingress_ns, status);
}


/* The source's packet callback: check at ingress, then into the ring. */
static void on_packet(void *ctx, const uint8_t *buf, size_t len, uint64_t ingress_ns)
{
    struct drv *d = ctx;
    struct pkt_fields f = {0};
    enum pkt_status st = PKT_OK;
    if (!d->o->raw)
        st = pkt_decode(buf, len, d->o->packet_size, 0, 0, &f);
    else if (len > (d->o->packet_size ? d->o->packet_size : PKT_MAX_SIZE))
        st = PKT_ERR_SHORT; /* a raw packet carries no seq: every row of it says -1 */
    int64_t seq = d->o->raw ? -1 : (int64_t)f.seq;
    if (st != PKT_OK) {
        d->crc_rejects++;
        /* The seq is worth naming only when the header is sound (a bad CRC, say). */
        log_row(d, st == PKT_ERR_CRC ? seq : -1, ingress_ns, lf_status_names[LF_ST_CRC]);
        return;
    }
    /* One look at the ring before and after: evictions (drop-oldest) and occupancy. */
    struct usbsim_ring_stats before, after;
    usbsim_ring_stats(d->ring, &before);
    int rc = usbsim_doorbell_push(&d->db, d->ring, buf, (uint16_t)len, f.flags, ingress_ns);
    usbsim_ring_stats(d->ring, &after);
    uint64_t evicted = after.dropped[USBSIM_RING_DROP_EVICTED] - before.dropped[USBSIM_RING_DROP_EVICTED];
    for (; evicted > 0; evicted--, d->ring_drops++)
        log_row(d, -1, ingress_ns, lf_status_names[LF_ST_RING_DROP]);
    if (rc == USBSIM_DROPPED) {
        d->ring_drops++;
        log_row(d, seq, ingress_ns, lf_status_names[LF_ST_RING_DROP]);
    } else if (rc == USBSIM_OK && d->o->log_delivered) {
        log_row(d, seq, ingress_ns, lf_status_names[LF_ST_OK]);
    } else if (rc == USBSIM_EPEER) { /* a wait for room called off: stop, or the app is gone */
        if (d->o->log_delivered) /* it was the application's to take: placed there */
            log_row(d, seq, ingress_ns, lf_status_names[LF_ST_OK]);
        *d->o->stop = 1;
    } else if (rc < 0) {
        fprintf(stderr, "driver: ring: %s\n", usbsim_ring_error(d->ring));
        d->failed = 1;
        *d->o->stop = 1;
    }
    uint64_t used = (uint32_t)(after.prod - after.cons);
    if (used > d->high_water && used <= after.slots)
        d->high_water = used;
}

static void on_event(void *ctx, enum src_event ev, const char *detail)
{
    struct drv *d = ctx;
    if (!d->o->quiet || ev == SRC_EV_ERROR || ev == SRC_EV_GONE)
        fprintf(stderr, "driver: %s%s%s\n", src_event_name(ev), detail && *detail ? ": " : "",
                detail ? detail : "");
}

/* Runs the source in slices, watching the application, until the stop flag or the source's end. */
static int pump(struct drv *d, struct src *s)
{
    const struct src_sink sink = {.ctx = d, .packet = on_packet, .event = on_event};
    volatile sig_atomic_t *stop = d->o->stop;
    while (!*stop) {
        if (src_run(s, &sink, RUN_SLICE_NS) != 0) {
            if (!d->o->end_with_source)
                return 1;
            fprintf(stderr, "driver: the device is gone for good: the source has ended; the "
                            "application reads what is left, then the driver ends\n");
            return 0;
        }
        if (usbsim_server_check(&d->srv) != 0)
            break;
    }
    if (usbsim_server_check(&d->srv) != 0) {
        fprintf(stderr, "driver: the application went away\n");
        usbsim_ring_stop(d->ring);
        return 1;
    }
    return 0;
}

/* After the last packet: close the ring and let the application read what is left. */
static void linger(struct drv *d)
{
    usbsim_ring_close(d->ring);
    usbsim_doorbell_kick(&d->db, d->ring); /* a sleeping application wakes and sees the ring closed */
    int64_t waited = 0;
    while (usbsim_server_check(&d->srv) == 0 && waited < d->o->linger_timeout_ms) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10000000};
        nanosleep(&ts, NULL);
        waited += 10;
    }
}

static int write_counters(struct drv *d)
{
    if (!d->o->counters_path)
        return 0;
    struct usbsim_ring_stats s;
    usbsim_ring_stats(d->ring, &s);
    FILE *f = fopen(d->o->counters_path, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n" LF_DRIVER_COUNTERS_ROW, LF_DRIVER_COUNTERS_HEADER, s.doorbells, s.wakeups, d->high_water, d->ring_drops,
            d->crc_rejects);
    return fclose(f);
}

/* A device that is still enumerating (a gadget binding its controller) is waited for. */
static struct src *open_source(const struct drv_opts *o, const struct src_config *cfg,
                               char err[SRC_ERR_MAX])
{
    int waited = 0;
    if (!o->quiet && o->open_timeout_ms != 0) {
        char what[160];
        src_describe(o->source, cfg, what, sizeof what);
        fprintf(stderr, "driver: waiting for %s\n", what);
    }
    for (;;) {
        struct src *s = src_open(o->source, cfg, err);
        if (s || (o->open_timeout_ms >= 0 && waited >= o->open_timeout_ms) || *o->stop)
            return s;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
        nanosleep(&ts, NULL);
        waited += 100;
    }
}

/* Waits for the application: 0, the exit code, or -1 when stopped while waiting (a clean end). */
/* While a block-policy push waits for room: give up when told to stop or when the application
 * is gone (the ring asks about once a millisecond). */
static int wait_worth_it(void *ctx)
{
    struct drv *d = ctx;
    return *d->o->stop || usbsim_server_check(&d->srv) != 0;
}

static int await_app(struct drv *d)
{
    const struct drv_opts *o = d->o;
    if (!o->quiet)
        fprintf(stderr, "driver: waiting for an application on %s\n", o->socket_path);
    if (usbsim_server_accept(&d->srv, o->accept_timeout_ms) == 0) {
        usbsim_ring_set_wait_check(d->ring, wait_worth_it, d);
        return 0;
    }
    if (*o->stop) {
        fprintf(stderr, "driver: stopped before an application connected\n");
        return -1;
    }
    fprintf(stderr, "driver: no application connected: %s\n", d->srv.err);
    return 1;
}

static int serve(struct drv *d)
{
    const struct drv_opts *o = d->o;
    int rc = o->source_first ? 0 : await_app(d);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct src_config cfg = o->src;
    cfg.stop = o->stop;
    char err[SRC_ERR_MAX];
    struct src *s = open_source(o, &cfg, err);
    if (!s) {
        if (*o->stop)
            return 0;
        fprintf(stderr, "driver: cannot open the %s source: %s\n", o->source, err);
        return XC_ENV;
    }
    rc = o->source_first ? await_app(d) : 0;
    if (rc != 0) {
        src_close(s);
        return rc < 0 ? 0 : rc;
    }
    rc = pump(d, s);
    src_close(s);
    linger(d);
    return rc | d->failed;
}

int drv_run(const struct drv_opts *o)
{
    struct drv d = {.o = o};
    char err[USBSIM_RING_ERR_MAX];
    struct usbsim_ring_config rc = {.slots = o->slots,
                             .slot_payload = o->packet_size ? o->packet_size : PKT_MAX_SIZE,
                             .policy = o->policy};
    d.ring = usbsim_ring_create(&rc, err);
    if (!d.ring) {
        fprintf(stderr, "driver: cannot create the ring: %s\n", err);
        return 1;
    }
    int ret = 1;
    if (usbsim_doorbell_open(&d.db, o->doorbell, NULL) != 0) {
        fprintf(stderr, "driver: cannot make the doorbell: %s\n", strerror(errno));
        goto out_ring;
    }
    if (usbsim_server_listen(&d.srv, o->socket_path, d.ring, &d.db) != 0) {
        fprintf(stderr, "driver: %s\n", d.srv.err);
        goto out_db;
    }
    if (o->log_path && !(d.log = fopen(o->log_path, "w")))
        fprintf(stderr, "driver: cannot write %s: %s\n", o->log_path, strerror(errno));
    else {
        if (d.log)
            fprintf(d.log, "%s\n", LF_DRIVER_HEADER);
        ret = serve(&d);
        if (write_counters(&d) != 0 || (d.log && fclose(d.log) != 0)) {
            fprintf(stderr, "driver: cannot write its log or counters\n");
            ret = ret ? ret : 1;
        }
    }
    usbsim_server_close(&d.srv);
out_db:
    usbsim_doorbell_close(&d.db);
out_ring:
    usbsim_ring_destroy(d.ring);
    return ret;
}

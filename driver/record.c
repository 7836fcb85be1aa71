/* record — see record.h. */
#include "driver/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/clock.h"
#include "sim/logfmt.h"

#define RCD_BUF 65536
#define RCD_ROW_MAX 128 /* one formatted row fits */
#define RCD_HEADER_BYTES 24 /* magic, seq, produce time: what a row needs from the packet */

struct rcd {
    int fd;
    char counters[4096];
    uint64_t batch, missed;
    bool counted;  /* the counters file was written once */
    bool in_batch; /* a packet was taken since the last mark */
    bool have_pos;
    uint32_t next_pos; /* the next ring position not yet recorded */
    size_t used;
    char buf[RCD_BUF];
};

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void flush(struct rcd *r)
{
    if (r->used)
        write_all(r->fd, r->buf, r->used);
    r->used = 0;
}

struct rcd *rcd_from_env(void)
{
    const char *dir = getenv(RCD_ENV);
    if (!dir || !*dir)
        return NULL;
    struct rcd *r = calloc(1, sizeof *r);
    char path[4096];
    if (!r || snprintf(path, sizeof path, "%s/%s", dir, LF_APP_FILE) >= (int)sizeof path ||
        snprintf(r->counters, sizeof r->counters, "%s/%s", dir, LF_APP_COUNTERS_FILE) >=
            (int)sizeof r->counters) {
        fprintf(stderr, "libusbsim-ring: %s=%s: cannot record there\n", RCD_ENV, dir);
        free(r);
        return NULL;
    }
    r->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0) {
        fprintf(stderr, "libusbsim-ring: cannot record into %s: %s\n", path, strerror(errno));
        if (r->fd >= 0)
            close(r->fd);
        free(r);
        return NULL;
    }
    if (st.st_size == 0)
        write_all(r->fd, LF_APP_HEADER "\n", strlen(LF_APP_HEADER "\n"));
    rcd_missed(r, 0);
    return r;
}

static uint64_t le(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

void rcd_take(struct rcd *r, const struct usbsim_ring_pkt *p)
{
    if (!r || p->len < RCD_HEADER_BYTES)
        return;
    if (r->have_pos && (int32_t)(p->seq - r->next_pos) < 0)
        return; /* already recorded */
    r->have_pos = true;
    r->next_pos = p->seq + 1;
    if (!r->in_batch) {
        r->in_batch = true;
        r->batch++;
    }
    if (r->used + RCD_ROW_MAX > sizeof r->buf)
        flush(r);
    int n = snprintf(r->buf + r->used, RCD_ROW_MAX, LF_APP_ROW, (uint32_t)le(p->bytes + 4, 4),
                     clk_mono_ns(), (int64_t)le(p->bytes + 8, 8), (int64_t)p->ingress_ns,
                     r->batch);
    if (n > 0 && n < RCD_ROW_MAX)
        r->used += (size_t)n;
}

void rcd_mark(struct rcd *r)
{
    if (!r)
        return;
    r->in_batch = false;
    flush(r);
}

void rcd_missed(struct rcd *r, uint64_t missed)
{
    if (!r || (r->counted && missed == r->missed))
        return;
    r->counted = true;
    r->missed = missed;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", r->counters);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    char text[128];
    int n = snprintf(text, sizeof text, "%s\n" LF_APP_COUNTERS_ROW, LF_APP_COUNTERS_HEADER,
                     missed);
    write_all(fd, text, (size_t)n);
    close(fd);
    rename(tmp, r->counters); /* whole, or the previous one */
}

void rcd_close(struct rcd *r)
{
    if (!r)
        return;
    flush(r);
    close(r->fd);
    free(r);
}

/* gadget_ffs — see gadget_ffs.h. */
#include "sim/gadget_ffs.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <poll.h>
#include <linux/aio_abi.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/packet.h"
#include "sim/usb_device.h"

#define ERR_MAX 512
#define FFS_QUEUE 8 /* packets handed to the kernel at once */
/* Zero-length packets sent before the stream: the last completes when the host reads it. Two,
 * because dummy_hcd completes a short IN request at once when its endpoint queue is empty. */
#define FFS_PROBES 2
#define FS_MAX_PACKET 64
#define DEFAULT_GRACE_NS 2000000000LL

/* ---- small helpers ---- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* Writes val into dir/file (a configfs attribute). */
static int put(const char *dir, const char *file, const char *val)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(val);
    ssize_t w = write(fd, val, n);
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)n ? 0 : -1;
}

/* ---- environment ---- */

int ffs_check_env(const char *udc, char *err, size_t cap)
{
    const char *hint = "; or run the real-kernel path in a VM: usbsim run --backend vm";
    char path[PATH_MAX];
    if (!udc)
        udc = FFS_DEFAULT_UDC;
    if (geteuid() != 0) {
        set_err(err, cap, "the FunctionFS gadget needs root (configfs and mount)%s", hint);
        return 3;
    }
    if (access(FFS_CONFIGFS, F_OK) != 0) {
        set_err(err, cap, "no %s: load the gadget modules and mount configfs (modprobe libcomposite "
                "usb_f_fs; mount -t configfs none /sys/kernel/config)%s", FFS_CONFIGFS, hint);
        return 3;
    }
    snprintf(path, sizeof path, "/sys/class/udc/%s", udc);
    if (access(path, F_OK) != 0) {
        set_err(err, cap, "no USB device controller '%s' in /sys/class/udc: modprobe dummy_hcd "
                "(or pass --udc NAME of a real one)%s", udc, hint);
        return 3;
    }
    /* functionfs registers itself when the first instance is made: look for the module. */
    FILE *f = fopen("/proc/filesystems", "r");
    char line[128];
    int have = access("/sys/module/usb_f_fs", F_OK) == 0;
    while (!have && f && fgets(line, sizeof line, f))
        have |= strstr(line, "functionfs") != NULL;
    if (f)
        fclose(f);
    if (!have) {
        set_err(err, cap, "the kernel has no functionfs: modprobe usb_f_fs%s", hint);
        return 3;
    }
    return 0;
}

/* ---- descriptors ---- */

struct ffs_descs {
    struct usb_functionfs_descs_head_v2 head;
    __le32 fs_count, hs_count;
    struct usb_interface_descriptor fs_intf;
    struct usb_endpoint_descriptor_no_audio fs_ep;
    struct usb_interface_descriptor hs_intf;
    struct usb_endpoint_descriptor_no_audio hs_ep;
} __attribute__((packed));

struct ffs_strings {
    struct usb_functionfs_strings_head head;
    __le16 lang;
    char str[64];
} __attribute__((packed));

/* Full speed: at most 64-byte packets, interrupt interval in frames (ms). */
static uint8_t fs_interval(const struct scn_scenario *sc)
{
    int64_t ms = sc->device.period_ns / 1000000;
    return (uint8_t)(ms < 1 ? 1 : ms > 255 ? 255 : ms);
}

/* The interface and endpoint come from the model's high-speed configuration descriptor. */
static int build_descs(const struct usbdev *u, const struct scn_scenario *sc, struct ffs_descs *d)
{
    uint8_t cfg[64];
    int n = usbdev_descriptor(u, USB_DT_CONFIG, 0, cfg, sizeof cfg);
    if (n < 25)
        return -1;
    memset(d, 0, sizeof *d);
    d->head.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
    d->head.length = htole32(sizeof *d);
    d->head.flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC);
    d->fs_count = d->hs_count = htole32(2);
    memcpy(&d->hs_intf, cfg + 9, USB_DT_INTERFACE_SIZE);
    memcpy(&d->hs_ep, cfg + 18, USB_DT_ENDPOINT_SIZE);
    d->hs_intf.iInterface = 1;
    d->fs_intf = d->hs_intf;
    d->fs_ep = d->hs_ep;
    int bulk = sc->device.endpoint == SCN_EP_BULK;
    uint32_t mps = bulk || sc->device.packet_size > FS_MAX_PACKET ? FS_MAX_PACKET
                                                                   : sc->device.packet_size;
    d->fs_ep.wMaxPacketSize = htole16((uint16_t)mps);
    d->fs_ep.bInterval = bulk ? 0 : fs_interval(sc);
    return 0;
}

int ffs_descriptors(const struct scn_scenario *sc, void *buf, size_t cap, char err[SCN_ERR_MAX])
{
    struct ffs_descs d;
    struct usbdev *u = usbdev_new(sc, err);
    if (!u)
        return -1;
    int r = build_descs(u, sc, &d);
    usbdev_free(u);
    if (r != 0 || cap < sizeof d) {
        snprintf(err, SCN_ERR_MAX, "no room for the %zu bytes of descriptors", sizeof d);
        return -1;
    }
    memcpy(buf, &d, sizeof d);
    return (int)sizeof d;
}

/* One string (the interface's), US English; returns the exact length to write. */
static size_t build_strings(const struct scn_scenario *sc, struct ffs_strings *s)
{
    memset(s, 0, sizeof *s);
    int n = snprintf(s->str, sizeof s->str, "usbsim %.50s", sc->name);
    size_t len = offsetof(struct ffs_strings, str) + (size_t)n + 1;
    s->head.magic = htole32(FUNCTIONFS_STRINGS_MAGIC);
    s->head.length = htole32((uint32_t)len);
    s->head.str_count = htole32(1);
    s->head.lang_count = htole32(1);
    s->lang = htole16(0x0409);
    return len;
}

/* ASCII text of the model's string descriptor idx (UTF-16LE, Latin-1 range only). */
static void model_string(const struct usbdev *u, uint8_t idx, char *out, size_t cap)
{
    uint8_t d[256];
    int n = usbdev_descriptor(u, USB_DT_STRING, idx, d, sizeof d);
    size_t k = 0;
    for (int i = 2; i + 1 < n && k + 1 < cap; i += 2)
        out[k++] = d[i + 1] ? '?' : (char)d[i];
    out[k] = 0;
}

/* ---- the gadget in configfs ---- */

struct gadget {
    char name[32];      /* usbsim-PID: configfs directory and functionfs instance */
    char gdir[128];
    char mnt[64];
    const char *udc;
    int made, mounted, bound, linked;
    int ep0, ep_in;
};

/* The gadget's directories under its configfs directory, in creation order; %s = the name. */
static const char *const gadget_dirs[] = {"strings/0x409", "configs/c.1", "configs/c.1/strings/0x409",
                                          "functions/ffs.%s"};
#define N_GADGET_DIRS (sizeof gadget_dirs / sizeof gadget_dirs[0])

static void gadget_path(const struct gadget *g, const char *rel, char *out, size_t cap)
{
    char r[128];
    snprintf(r, sizeof r, rel, g->name);
    snprintf(out, cap, "%s/%s", g->gdir, r);
}

/* Attribute rel/file = val under the gadget's directory. */
static int gput(const struct gadget *g, const char *rel, const char *file, const char *val)
{
    char p[PATH_MAX];
    gadget_path(g, rel, p, sizeof p);
    return put(p, file, val);
}

static int make_configfs(struct gadget *g, const struct usbdev *u, const struct scn_scenario *sc,
                         char *err)
{
    char ids[3][8], text[3][128], p[PATH_MAX], link[PATH_MAX];
    snprintf(ids[0], sizeof ids[0], "0x%04x", usbdev_vid(u));
    snprintf(ids[1], sizeof ids[1], "0x%04x", usbdev_pid(u));
    snprintf(ids[2], sizeof ids[2], "0x%04x", usbdev_bcd_device(u));
    for (int i = 0; i < 3; i++)
        model_string(u, (uint8_t)(i + 1), text[i], sizeof text[i]);
    const struct { const char *rel, *file, *val; } attrs[] = {
        {".", "idVendor", ids[0]}, {".", "idProduct", ids[1]}, {".", "bcdDevice", ids[2]},
        {".", "bcdUSB", "0x0200"}, {"strings/0x409", "manufacturer", text[0]},
        {"strings/0x409", "product", text[1]}, {"strings/0x409", "serialnumber", text[2]},
        {"configs/c.1", "MaxPower", "100"},
        {"configs/c.1/strings/0x409", "configuration", sc->name[0] ? sc->name : "usbsim"},
    };
    snprintf(g->gdir, sizeof g->gdir, "%s/%s", FFS_CONFIGFS, g->name);
    if (mkdir(g->gdir, 0755) != 0)
        goto fail;
    g->made = 1;
    for (size_t i = 0; i < N_GADGET_DIRS; i++) {
        gadget_path(g, gadget_dirs[i], p, sizeof p);
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            goto fail;
    }
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (gput(g, attrs[i].rel, attrs[i].file, attrs[i].val) != 0)
            goto fail;
    gadget_path(g, "functions/ffs.%s", p, sizeof p);
    gadget_path(g, "configs/c.1/ffs.%s", link, sizeof link);
    if (symlink(p, link) != 0)
        goto fail;
    g->linked = 1;
    return 0;
fail:
    set_err(err, ERR_MAX, "cannot build the gadget in %s: %s", g->gdir, strerror(errno));
    return -1;
}

static int open_ep(struct gadget *g, const char *file, int flags)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", g->mnt, file);
    return open(p, flags | O_CLOEXEC);
}

static int fn_fail(char *err, const char *what, const struct gadget *g)
{
    set_err(err, ERR_MAX, "cannot %s in %s: %s", what, g->mnt, strerror(errno));
    return -1;
}

/* Mount functionfs, write descriptors and strings, open the IN endpoint. */
static int open_function(struct gadget *g, const struct usbdev *u, const struct scn_scenario *sc,
                         char *err)
{
    struct ffs_descs d;
    struct ffs_strings s;
    snprintf(g->mnt, sizeof g->mnt, "/tmp/usbsim-ffs-XXXXXX");
    if (!mkdtemp(g->mnt)) {
        g->mnt[0] = 0;
        set_err(err, ERR_MAX, "cannot make a mount point under /tmp: %s", strerror(errno));
        return -1;
    }
    if (mount(g->name, g->mnt, "functionfs", 0, NULL) != 0)
        return fn_fail(err, "mount functionfs", g);
    g->mounted = 1;
    if ((g->ep0 = open_ep(g, "ep0", O_RDWR)) < 0)
        return fn_fail(err, "open ep0", g);
    errno = EINVAL;
    if (build_descs(u, sc, &d) != 0 || write(g->ep0, &d, sizeof d) != (ssize_t)sizeof d)
        return fn_fail(err, "write the descriptors to ep0", g);
    size_t n = build_strings(sc, &s);
    if (write(g->ep0, &s, n) != (ssize_t)n)
        return fn_fail(err, "write the strings to ep0", g);
    /* O_NONBLOCK: a request while the host has not configured the device fails, not waits. */
    if ((g->ep_in = open_ep(g, "ep1", O_RDWR | O_NONBLOCK)) < 0)
        return fn_fail(err, "open the IN endpoint ep1", g);
    return 0;
}

static int bind_udc(struct gadget *g, int on)
{
    if (g->bound == on)
        return 0;
    if (put(g->gdir, "UDC", on ? g->udc : "\n") != 0) {
        fprintf(stderr, "usbsim gadget: cannot %s UDC %s: %s\n", on ? "bind" : "unbind", g->udc,
                strerror(errno));
        return -1;
    }
    g->bound = on;
    return 0;
}

/* Undoes whatever part of the set-up was done, in reverse order. */
static void remove_gadget(struct gadget *g)
{
    if (g->bound)
        bind_udc(g, 0);
    if (g->ep_in >= 0)
        close(g->ep_in);
    if (g->ep0 >= 0)
        close(g->ep0);
    g->ep_in = g->ep0 = -1;
    if (g->mounted && umount2(g->mnt, 0) != 0)
        fprintf(stderr, "usbsim gadget: cannot unmount %s: %s\n", g->mnt, strerror(errno));
    if (g->mnt[0])
        rmdir(g->mnt);
    g->mounted = 0;
    g->mnt[0] = 0;
    if (!g->made)
        return;
    char p[PATH_MAX];
    if (g->linked) {
        gadget_path(g, "configs/c.1/ffs.%s", p, sizeof p);
        unlink(p);
    }
    for (size_t i = N_GADGET_DIRS; i-- > 0;) {
        gadget_path(g, gadget_dirs[i], p, sizeof p);
        rmdir(p);
    }
    if (rmdir(g->gdir) != 0)
        fprintf(stderr, "usbsim gadget: cannot remove %s: %s\n", g->gdir, strerror(errno));
    g->made = g->linked = 0;
}

/* ---- the IN queue: packets handed to the kernel with AIO (FunctionFS supports it) ---- */

struct aioq {
    aio_context_t ctx;
    int efd, fd, n;                /* eventfd rung on completion; IN endpoint; in flight */
    struct iocb cb[FFS_QUEUE];
    int used[FFS_QUEUE];
    uint32_t seq[FFS_QUEUE];       /* UINT32_MAX: the zero-length start packet */
    uint8_t buf[FFS_QUEUE][PKT_MAX_SIZE];
};

static int aioq_open(struct aioq *q, int fd)
{
    q->fd = fd;
    q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0 || syscall(SYS_io_setup, FFS_QUEUE, &q->ctx) != 0)
        return -1;
    return 0;
}

/* Queues len bytes (0: a zero-length packet) tagged seq. */
static int aioq_submit(struct aioq *q, const uint8_t *data, size_t len, uint32_t seq)
{
    int i = 0;
    while (i < FFS_QUEUE && q->used[i])
        i++;
    if (i == FFS_QUEUE)
        return -1;
    memcpy(q->buf[i], data, len);
    struct iocb *cb = &q->cb[i];
    memset(cb, 0, sizeof *cb);
    cb->aio_data = (uint64_t)i;
    cb->aio_lio_opcode = IOCB_CMD_PWRITE;
    cb->aio_fildes = (uint32_t)q->fd;
    cb->aio_buf = (uint64_t)(uintptr_t)q->buf[i];
    cb->aio_nbytes = len;
    cb->aio_flags = IOCB_FLAG_RESFD;
    cb->aio_resfd = (uint32_t)q->efd;
    struct iocb *list[1] = {cb};
    if (syscall(SYS_io_submit, q->ctx, 1L, list) != 1)
        return -1;
    q->used[i] = 1;
    q->seq[i] = seq;
    q->n++;
    return 0;
}

/* Collects finished requests (waiting up to timeout_ns, 0 = none) and calls done() for each
 * with its seq and result (bytes written or -errno). */
static void aioq_reap(struct aioq *q, int64_t timeout_ns, void (*done)(void *, uint32_t, int64_t),
                      void *ctx)
{
    uint64_t rung;
    if (read(q->efd, &rung, sizeof rung) < 0 && timeout_ns == 0)
        return;
    struct io_event ev[FFS_QUEUE];
    struct timespec ts = {timeout_ns / 1000000000LL, timeout_ns % 1000000000LL};
    long n = syscall(SYS_io_getevents, q->ctx, 0L, (long)FFS_QUEUE, ev, &ts);
    for (long k = 0; k < n; k++) {
        int i = (int)ev[k].data;
        if (i < 0 || i >= FFS_QUEUE || !q->used[i])
            continue;
        q->used[i] = 0;
        q->n--;
        done(ctx, q->seq[i], ev[k].res);
    }
}

/* Waits (bounded) for every request still queued, then releases the context. */
static void aioq_close(struct aioq *q, void (*done)(void *, uint32_t, int64_t), void *ctx)
{
    for (int i = 0; q->ctx && q->n > 0 && i < 20; i++)
        aioq_reap(q, 50000000LL, done, ctx);
    if (q->ctx)
        syscall(SYS_io_destroy, q->ctx); /* cancels what is left */
    if (q->efd >= 0)
        close(q->efd);
    q->ctx = 0;
    q->efd = -1;
}

/* ---- the run ---- */

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { (void)sig; got_signal = 1; }

enum stream { STREAM_IDLE, STREAM_PROBING, STREAM_ON };

struct run {
    const struct scn_scenario *sc;
    const struct ffs_opts *o;
    struct usbdev *u;
    struct gadget g;
    struct aioq q;
    struct ffs_stats st;
    enum stream stream;
    int enabled, halted, probes, probe_failed;
    int64_t halt_end;
    uint8_t pkt[PKT_MAX_SIZE];
};

static int stopping(const struct run *r)
{
    return got_signal || (r->o->stop && *r->o->stop);
}

static void control(struct run *r, const uint8_t setup[8])
{
    size_t len = 0;
    enum usbdev_ctrl c = usbdev_control(r->u, now_ns(), setup, r->pkt, sizeof r->pkt, &len);
    r->st.setups++;
    int in = (setup[0] & USB_DIR_IN) != 0;
    ssize_t n;
    if (c == USBDEV_CTRL_OK)
        n = in ? write(r->g.ep0, r->pkt, len) : read(r->g.ep0, r->pkt, 0);
    else /* the opposite direction's I/O stalls ep0 */
        n = in ? read(r->g.ep0, r->pkt, 0) : write(r->g.ep0, r->pkt, 0);
    (void)n;
}

static void set_configuration(struct run *r, uint8_t value)
{
    uint8_t s[8] = {0x00, USB_REQ_SET_CONFIGURATION, value, 0, 0, 0, 0, 0};
    size_t len;
    usbdev_control(r->u, now_ns(), s, r->pkt, sizeof r->pkt, &len);
}

static void clear_halt(struct run *r)
{
    uint8_t s[8] = {0x02, USB_REQ_CLEAR_FEATURE, 0, 0, USBDEV_EP_IN, 0, 0, 0};
    size_t len;
    usbdev_control(r->u, now_ns(), s, r->pkt, sizeof r->pkt, &len);
}

static void ep0_events(struct run *r)
{
    struct usb_functionfs_event ev[4];
    ssize_t n = read(r->g.ep0, ev, sizeof ev);
    for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof ev[0]; i++) {
        switch (ev[i].type) {
        case FUNCTIONFS_ENABLE:
            r->enabled = 1;
            r->st.enables++;
            set_configuration(r, 1);
            break;
        case FUNCTIONFS_DISABLE:
        case FUNCTIONFS_UNBIND:
            r->enabled = 0;
            usbdev_host_reset(r->u);
            break;
        case FUNCTIONFS_SETUP:
            control(r, (const uint8_t *)&ev[i].u.setup);
            break;
        default: /* BIND, SUSPEND, RESUME: nothing to do */
            break;
        }
    }
}

static void write_done(void *ctx, uint32_t seq, int64_t res)
{
    struct run *r = ctx;
    if (seq == UINT32_MAX) {
        r->probe_failed |= res != 0;
        if (--r->probes == 0)
            r->stream = r->probe_failed ? STREAM_IDLE : STREAM_ON;
        return;
    }
    if (res >= 0) {
        r->st.packets_written++;
        return;
    }
    r->st.lost_in_flight++;
    usbdev_lost_in_flight(r->u, seq, !usbdev_present(r->u, now_ns()));
    if (!r->o->quiet)
        fprintf(stderr, "usbsim gadget: packet seq %u was not read before the host went away (%s); "
                        "logged as lost at the device\n", seq, strerror((int)-res));
}

/* The model halted the endpoint: halt the real one (once), and let the model see the clear when
 * the halt window is over. */
static void on_halt(struct run *r, int64_t now)
{
    const struct sched *s = usbdev_sched(r->u);
    if (!r->halted) {
        int64_t t0 = usbdev_end_time(r->u) - s->end_ns;
        int w = sched_window_at(s, now - t0);
        r->halt_end = w >= 0 && s->windows[w].kind == SCHED_W_HALT ? t0 + s->windows[w].end_ns
                                                                   : now;
        ssize_t n = read(r->g.ep_in, r->pkt, sizeof r->pkt); /* halts: fails with EBADMSG */
        (void)n;
        r->halted = 1;
        r->st.halts++;
    }
    if (now >= r->halt_end) {
        clear_halt(r);
        r->halted = 0;
    }
}

/* Hands the kernel what the model has for IN requests now, up to FFS_QUEUE in flight. */
static void feed(struct run *r, int64_t now)
{
    if (r->stream == STREAM_IDLE) {
        r->probe_failed = 0;
        for (r->probes = 0; r->probes < FFS_PROBES; r->probes++)
            if (aioq_submit(&r->q, r->pkt, 0, UINT32_MAX) != 0)
                break;
        r->stream = r->probes ? STREAM_PROBING : STREAM_IDLE;
        r->probe_failed = r->probes < FFS_PROBES;
        return;
    }
    while (r->stream == STREAM_ON && r->q.n < FFS_QUEUE) {
        size_t len = 0;
        enum usbdev_in in = usbdev_in_request(r->u, now, r->pkt, sizeof r->pkt, &len);
        if (in == USBDEV_IN_READY) {
            uint32_t seq;
            memcpy(&seq, r->pkt + 4, 4);
            if (aioq_submit(&r->q, r->pkt, len, le32toh(seq)) != 0)
                write_done(r, le32toh(seq), -errno);
            continue;
        }
        if (in != USBDEV_IN_STALL || !usbdev_configured(r->u) || !usbdev_present(r->u, now) ||
            r->q.n > 0) /* a halt waits until the queued packets are read */
            return;
        on_halt(r, now);
        if (r->halted)
            return;
    }
}

static int finished(struct run *r, int64_t now)
{
    if (r->stream != STREAM_ON || !usbdev_started(r->u))
        return 0;
    int64_t end = usbdev_end_time(r->u);
    int64_t grace = r->o->grace_ns > 0 ? r->o->grace_ns : DEFAULT_GRACE_NS;
    if (now >= end + grace)
        return 1;
    return now >= end && r->q.n == 0 && usbdev_drained(r->u, now);
}

/* One turn: follow disconnect windows, feed the IN queue, wait for the next thing to happen. */
static int step(struct run *r, const sigset_t *wait_mask)
{
    int64_t now = now_ns();
    if (r->stream == STREAM_ON && usbdev_started(r->u)) {
        int present = usbdev_present(r->u, now);
        if (present != r->g.bound) {
            if (bind_udc(&r->g, present) != 0)
                return -1;
            r->st.rebinds += present;
        }
    }
    if (r->enabled && r->g.bound && r->stream != STREAM_PROBING)
        feed(r, now);
    int64_t next = r->stream == STREAM_ON ? usbdev_next_deadline(r->u, now) : USBDEV_NEVER;
    if (r->halted && r->halt_end < next)
        next = r->halt_end;
    if (r->stream == STREAM_ON && usbdev_end_time(r->u) < next)
        next = usbdev_end_time(r->u);
    int64_t wait = next == USBDEV_NEVER ? 100000000LL : next - now;
    wait = wait < 0 ? 0 : wait > 100000000LL ? 100000000LL : wait;
    struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
    struct pollfd p[2] = {{.fd = r->g.ep0, .events = POLLIN}, {.fd = r->q.efd, .events = POLLIN}};
    if (ppoll(p, 2, &ts, wait_mask) < 0 && errno != EINTR)
        return -1;
    if (p[0].revents & POLLIN)
        ep0_events(r);
    if (p[1].revents & POLLIN)
        aioq_reap(&r->q, 0, write_done, r);
    return 0;
}

static void announce(const struct run *r)
{
    if (r->o->quiet)
        return;
    printf("usbsim gadget: '%s' (%04x:%04x, %u-byte %s packets) as FunctionFS gadget %s on UDC %s\n"
           "  the timeline starts at the host's first IN request (after two zero-length packets)\n",
           r->sc->name, r->sc->device.vid, r->sc->device.pid, r->sc->device.packet_size,
           r->sc->device.endpoint == SCN_EP_BULK ? "bulk" : "interrupt", r->g.name, r->g.udc);
    fflush(stdout);
}

static int serve(struct run *r, const sigset_t *wait_mask)
{
    char err[ERR_MAX];
    r->g.udc = r->o->udc ? r->o->udc : FFS_DEFAULT_UDC;
    snprintf(r->g.name, sizeof r->g.name, "usbsim-%ld", (long)getpid());
    if (make_configfs(&r->g, r->u, r->sc, err) != 0 || open_function(&r->g, r->u, r->sc, err) != 0) {
        fprintf(stderr, "usbsim gadget: %s\n", err);
        return 3;
    }
    if (aioq_open(&r->q, r->g.ep_in) != 0 || fcntl(r->g.ep0, F_SETFL, O_NONBLOCK) != 0) {
        fprintf(stderr, "usbsim gadget: cannot set up AIO on the IN endpoint: %s\n",
                strerror(errno));
        return 3;
    }
    if (bind_udc(&r->g, 1) != 0)
        return 3;
    announce(r);
    while (!stopping(r) && !finished(r, now_ns()))
        if (step(r, wait_mask) != 0) {
            fprintf(stderr, "usbsim gadget: %s\n", strerror(errno));
            return 3;
        }
    return 0;
}

/* SIGINT/SIGTERM: handled without SA_RESTART, blocked except inside ppoll. */
static void signals(int on, struct sigaction old[2], sigset_t *old_mask, sigset_t *wait_mask)
{
    static const int sigs[2] = {SIGINT, SIGTERM};
    if (!on) {
        sigprocmask(SIG_SETMASK, old_mask, NULL);
        for (int i = 0; i < 2; i++)
            sigaction(sigs[i], &old[i], NULL);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sigset_t block;
    sigemptyset(&block);
    for (int i = 0; i < 2; i++) {
        sigaction(sigs[i], &sa, &old[i]);
        sigaddset(&block, sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &block, old_mask);
    *wait_mask = *old_mask;
    for (int i = 0; i < 2; i++)
        sigdelset(wait_mask, sigs[i]);
}

int ffs_run(const struct scn_scenario *sc, const struct ffs_opts *o, struct ffs_stats *stats)
{
    char err[SCN_ERR_MAX];
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (ffs_check_env(o->udc, err, sizeof err) != 0) {
        fprintf(stderr, "usbsim gadget: %s\n", err);
        return 3;
    }
    struct run *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "usbsim gadget: out of memory\n");
        return 3;
    }
    if (!(r->u = usbdev_new(sc, err))) {
        fprintf(stderr, "usbsim gadget: %s\n", err);
        free(r);
        return 2;
    }
    r->sc = sc;
    r->o = o;
    r->g.ep0 = r->g.ep_in = -1;
    r->q.efd = -1;
    struct sigaction old[2];
    sigset_t old_mask, wait_mask;
    got_signal = 0;
    signals(1, old, &old_mask, &wait_mask);
    int rc = serve(r, &wait_mask);
    if (r->g.bound)
        bind_udc(&r->g, 0); /* a write in flight ends with ESHUTDOWN */
    aioq_close(&r->q, write_done, r);
    remove_gadget(&r->g);
    signals(0, old, &old_mask, &wait_mask);
    if (rc == 0 && o->log_path && usbdev_save_log(r->u, o->log_path) != 0) {
        fprintf(stderr, "usbsim gadget: cannot write the device log %s: %s\n", o->log_path,
                strerror(errno));
        rc = 3;
    }
    if (stats)
        *stats = r->st;
    usbdev_free(r->u);
    free(r);
    return rc;
}

/* gadget_ffs — see gadget_ffs.h. The configfs gadget is sim/ffs_configfs.h, the IN queue
 * sim/ffs_aio.h; here: the environment check, the FunctionFS descriptors, the mount and the
 * endpoint files, and the loop that plays the timeline. */
#include "sim/gadget_ffs.h"

#include "sim/clock.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/ffs_aio.h"
#include "sim/ffs_configfs.h"
#include "sim/packet.h"
#include "sim/usb_device.h"
#include "sim/exitcode.h"

/* Zero-length packets sent before the stream: the last completes when the host reads it. Two,
 * because dummy_hcd completes a short IN request at once when its endpoint queue is empty. */
#define FFS_PROBES 2
#define FS_MAX_PACKET 64
#define DEFAULT_GRACE_NS 2000000000LL

static void set_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
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
        return XC_ENV;
    }
    if (access(FFSC_ROOT, F_OK) != 0) {
        set_err(err, cap,
                "no %s: load the gadget modules and mount configfs (modprobe libcomposite "
                "usb_f_fs; mount -t configfs none /sys/kernel/config)%s",
                FFSC_ROOT, hint);
        return XC_ENV;
    }
    snprintf(path, sizeof path, "/sys/class/udc/%s", udc);
    if (access(path, F_OK) != 0) {
        set_err(err, cap, "no USB device controller '%s' in /sys/class/udc: modprobe dummy_hcd "
                "(or pass --udc NAME of a real one)%s", udc, hint);
        return XC_ENV;
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
        return XC_ENV;
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
    char str[SCN_MAX_IFACES * (SCN_MAX_TEXT + 1)];
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

/* A device with interfaces of its own: the configuration descriptor's body (interfaces, their
 * class descriptors, endpoints) as the one speed's set, iInterface renumbered to the function's
 * string table (1..). FunctionFS takes the device-recipient requests too (ALL_CTRL_RECIP). */
static uint8_t *build_custom(const struct usbdev *u, size_t *len)
{
    int n = usbdev_descriptor(u, USB_DT_CONFIG, 0, NULL, 0);
    if (n < 9)
        return NULL;
    uint8_t *cfg = malloc((size_t)n);
    size_t head = sizeof(struct usb_functionfs_descs_head_v2) + 4;
    uint8_t *b = malloc(head + (size_t)n);
    if (!cfg || !b) {
        free(cfg);
        free(b);
        return NULL;
    }
    usbdev_descriptor(u, USB_DT_CONFIG, 0, cfg, (size_t)n);
    size_t body = (size_t)n - 9;
    uint32_t count = 0, next_str = 1;
    uint8_t *d = b + head;
    memcpy(d, cfg + 9, body);
    for (size_t i = 0; i + 2 <= body && d[i] >= 2; i += d[i], count++)
        if (d[i + 1] == USB_DT_INTERFACE && i + 9 <= body && d[i + 8])
            d[i + 8] = (uint8_t)next_str++;
    free(cfg);
    struct usb_functionfs_descs_head_v2 h = {
        .magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2),
        .length = htole32((uint32_t)(head + body)),
        .flags = htole32((usbdev_full_speed(u) ? FUNCTIONFS_HAS_FS_DESC : FUNCTIONFS_HAS_HS_DESC) |
                         FUNCTIONFS_ALL_CTRL_RECIP)};
    memcpy(b, &h, sizeof h);
    uint32_t c = htole32(count);
    memcpy(b + sizeof h, &c, 4);
    *len = head + body;
    return b;
}

int ffs_descriptors(const struct scn_scenario *sc, void *buf, size_t cap, char err[SCN_ERR_MAX])
{
    struct ffs_descs d;
    struct usbdev *u = usbdev_new(sc, err);
    if (!u)
        return -1;
    if (sc->device.n_ifaces) {
        size_t len = 0;
        uint8_t *b = build_custom(u, &len);
        usbdev_free(u);
        if (!b || cap < len) {
            snprintf(err, SCN_ERR_MAX, "no room for the %zu bytes of descriptors", len);
            free(b);
            return -1;
        }
        memcpy(buf, b, len);
        free(b);
        return (int)len;
    }
    int r = build_descs(u, sc, &d);
    usbdev_free(u);
    if (r != 0 || cap < sizeof d) {
        snprintf(err, SCN_ERR_MAX, "no room for the %zu bytes of descriptors", sizeof d);
        return -1;
    }
    memcpy(buf, &d, sizeof d);
    return (int)sizeof d;
}

/* The function's strings, US English: the interface's ("usbsim NAME"), or with interfaces of
 * the scenario's own their names in entry order (at least one string); returns the length. */
static size_t build_strings(const struct scn_scenario *sc, struct ffs_strings *s)
{
    memset(s, 0, sizeof *s);
    size_t at = 0;
    uint32_t count = 0;
    for (size_t i = 0; i < sc->device.n_ifaces; i++) {
        const char *name = sc->device.ifaces[i].name;
        if (!name[0])
            continue;
        size_t n = strlen(name);
        if (at + n + 1 > sizeof s->str)
            break;
        memcpy(s->str + at, name, n + 1);
        at += n + 1;
        count++;
    }
    if (!count) {
        int n = snprintf(s->str, sizeof s->str, "usbsim %.50s", sc->name);
        at = (size_t)n + 1;
        count = 1;
    }
    size_t len = offsetof(struct ffs_strings, str) + at;
    s->head.magic = htole32(FUNCTIONFS_STRINGS_MAGIC);
    s->head.length = htole32((uint32_t)len);
    s->head.str_count = htole32(count);
    s->head.lang_count = htole32(1);
    s->lang = htole16(0x0409);
    return len;
}

/* ---- FunctionFS: the mount and the endpoint files ---- */

enum stream { STREAM_IDLE, STREAM_PROBING, STREAM_ON };

#define MAX_OUT_EPS 15 /* OUT endpoint files read (their data counted): every OUT address */
#define OUT_DEPTH 2    /* reads kept in flight on each */
#define MAX_IN_EPS 15  /* IN endpoint files other than the stream's: every IN address */

/* An OUT endpoint of the scenario: its file, reads in flight, the model that counts the data. */
struct out_ep {
    int fd;
    uint8_t addr;
    size_t len;
    struct usbdev *u;
    struct ffsa_queue q;
};

/* An IN endpoint other than the stream's: its file, the model's packets queued on it. */
struct in_ep {
    int fd;
    uint8_t addr;
    uint64_t lost;  /* written, never read by the host (it went away) */
    struct usbdev *u;
    struct ffsa_queue q;
};

/* One gadget: the backend's state between open and close. */
struct run {
    const struct scn_scenario *sc;
    const struct gadget_opts *o;
    struct gadget_link l;
    struct usbdev *u;
    struct ffsc g;
    char mnt[64];                  /* where functionfs is mounted; "" = no mount point */
    int mounted, ep0, ep_in;
    uint8_t ep_addr[SCN_MAX_IFACES * SCN_MAX_EPS + 1]; /* ep file N (1..) -> the scenario's address */
    int n_eps;
    uint8_t *ctrl;                 /* ep0 data stages, 64 KiB */
    struct out_ep out[MAX_OUT_EPS];
    int n_out;
    struct in_ep in[MAX_IN_EPS];
    int n_in;
    struct ffsa_queue q;
    enum stream stream;
    int enabled, halted, probes, probe_failed;
    int64_t halt_end;
    uint8_t pkt[PKT_MAX_SIZE];
};

static int open_ep(struct run *r, const char *file, int flags)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", r->mnt, file);
    return open(p, flags | O_CLOEXEC);
}

static int fn_fail(char *err, size_t cap, const char *what, const struct run *r)
{
    set_err(err, cap, "cannot %s in %s: %s", what, r->mnt, strerror(errno));
    return -1;
}

/* Mount functionfs, write descriptors and strings, open the IN endpoint. */
static int open_function(struct run *r, char *err, size_t cap)
{
    struct ffs_descs d;
    struct ffs_strings s;
    snprintf(r->mnt, sizeof r->mnt, "/tmp/usbsim-ffs-XXXXXX");
    if (!mkdtemp(r->mnt)) {
        r->mnt[0] = 0;
        set_err(err, cap, "cannot make a mount point under /tmp: %s", strerror(errno));
        return -1;
    }
    if (mount(r->g.name, r->mnt, "functionfs", 0, NULL) != 0)
        return fn_fail(err, cap, "mount functionfs", r);
    r->mounted = 1;
    if ((r->ep0 = open_ep(r, "ep0", O_RDWR)) < 0)
        return fn_fail(err, cap, "open ep0", r);
    errno = EINVAL;
    if (r->sc->device.n_ifaces) {
        size_t len = 0;
        uint8_t *b = build_custom(r->u, &len);
        ssize_t w = b ? write(r->ep0, b, len) : -1;
        free(b);
        if (w != (ssize_t)len)
            return fn_fail(err, cap, "write the scenario's descriptors to ep0 (FunctionFS takes "
                           "interface, endpoint, HID and a few other class descriptors)", r);
    } else if (build_descs(r->u, r->sc, &d) != 0 ||
               write(r->ep0, &d, sizeof d) != (ssize_t)sizeof d) {
        return fn_fail(err, cap, "write the descriptors to ep0", r);
    }
    size_t n = build_strings(r->sc, &s);
    if (write(r->ep0, &s, n) != (ssize_t)n)
        return fn_fail(err, cap, "write the strings to ep0", r);
    /* The endpoint files are numbered in descriptor order (the first speed's set). */
    r->n_eps = 0;
    const struct scn_scenario *sc = r->sc;
    int stream_file = 1;
    for (size_t i = 0; i < sc->device.n_ifaces; i++)
        for (size_t j = 0; j < sc->device.ifaces[i].n_eps; j++) {
            uint8_t a = sc->device.ifaces[i].eps[j].address;
            int seen = 0;
            for (int k = 1; k <= r->n_eps; k++)
                seen |= r->ep_addr[k] == a;
            if (seen || r->n_eps + 1 >= (int)sizeof r->ep_addr)
                continue;
            r->ep_addr[++r->n_eps] = a;
            if (a == usbdev_stream_ep(r->u))
                stream_file = r->n_eps;
        }
    char file[16];
    snprintf(file, sizeof file, "ep%d", stream_file);
    /* O_NONBLOCK: a request while the host has not configured the device fails, not waits. */
    if ((r->ep_in = open_ep(r, file, O_RDWR | O_NONBLOCK)) < 0)
        return fn_fail(err, cap, "open the stream's IN endpoint file", r);
    for (int k = 1; k <= r->n_eps && r->n_out < MAX_OUT_EPS; k++) {
        if (r->ep_addr[k] & USB_DIR_IN)
            continue;
        struct out_ep *o = &r->out[r->n_out];
        const struct scn_ep *e = scn_find_ep(sc, r->ep_addr[k], NULL);
        o->addr = r->ep_addr[k];
        o->len = e && e->max_packet < PKT_MAX_SIZE ? e->max_packet : PKT_MAX_SIZE;
        o->u = r->u;
        snprintf(file, sizeof file, "ep%d", k);
        if ((o->fd = open_ep(r, file, O_RDWR | O_NONBLOCK)) < 0)
            return fn_fail(err, cap, "open an OUT endpoint file", r);
        r->n_out++;
        if (ffsa_open(&o->q, o->fd) != 0)
            return fn_fail(err, cap, "set up AIO on an OUT endpoint", r);
    }
    for (int k = 1; k <= r->n_eps && r->n_in < MAX_IN_EPS; k++) {
        if (!(r->ep_addr[k] & USB_DIR_IN) || k == stream_file)
            continue;
        struct in_ep *e = &r->in[r->n_in];
        e->addr = r->ep_addr[k];
        e->u = r->u;
        snprintf(file, sizeof file, "ep%d", k);
        if ((e->fd = open_ep(r, file, O_RDWR | O_NONBLOCK)) < 0)
            return fn_fail(err, cap, "open an IN endpoint file", r);
        r->n_in++;
        if (ffsa_open(&e->q, e->fd) != 0)
            return fn_fail(err, cap, "set up AIO on an IN endpoint", r);
    }
    return 0;
}

/* ---- the run ---- */

static int stopping(const struct run *r)
{
    return (r->l.stop[0] && *r->l.stop[0]) || (r->l.stop[1] && *r->l.stop[1]);
}

/* A request FunctionFS passed on: wIndex of an endpoint-recipient request names the endpoint
 * file (1..), turned back into the scenario's address. An OUT data stage is read only when the
 * model accepts the request. */
static void control(struct run *r, const uint8_t setup_in[8])
{
    uint8_t setup[8];
    memcpy(setup, setup_in, 8);
    if ((setup[0] & USB_RECIP_MASK) == USB_RECIP_ENDPOINT && setup[4] >= 1 &&
        setup[4] <= r->n_eps && setup[5] == 0)
        setup[4] = r->ep_addr[setup[4]];
    size_t len = 0, wlen = (size_t)(setup[6] | setup[7] << 8);
    int in = (setup[0] & USB_DIR_IN) != 0;
    enum usbdev_ctrl c = usbdev_control_data(r->u, clk_mono_ns(), setup, NULL, in ? 0 : wlen,
                                             r->ctrl, in ? 0xFFFF : 0, &len);
    ssize_t n;
    if (c == USBDEV_CTRL_OK)
        n = in ? write(r->ep0, r->ctrl, len) : read(r->ep0, r->ctrl, wlen);
    else /* the opposite direction's I/O stalls ep0 */
        n = in ? read(r->ep0, r->ctrl, 0) : write(r->ep0, r->ctrl, 0);
    (void)n;
}

static void set_configuration(struct run *r, uint8_t value)
{
    uint8_t s[8] = {0x00, USB_REQ_SET_CONFIGURATION, value, 0, 0, 0, 0, 0};
    size_t len;
    usbdev_control(r->u, clk_mono_ns(), s, r->pkt, sizeof r->pkt, &len);
}

static void clear_halt(struct run *r)
{
    uint8_t s[8] = {0x02, USB_REQ_CLEAR_FEATURE, 0, 0, usbdev_stream_ep(r->u), 0, 0, 0};
    size_t len;
    usbdev_control(r->u, clk_mono_ns(), s, r->pkt, sizeof r->pkt, &len);
}

static void ep0_events(struct run *r)
{
    struct usb_functionfs_event ev[4];
    ssize_t n = read(r->ep0, ev, sizeof ev);
    for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof ev[0]; i++) {
        switch (ev[i].type) {
        case FUNCTIONFS_ENABLE:
            r->enabled = 1;
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

/* A read on an OUT endpoint completed: the model counts and logs its bytes and does its
 * on_data (a reply goes to its IN endpoint's FIFO; feed_in writes it). */
static void out_done(void *ctx, uint32_t seq, int64_t res)
{
    struct out_ep *o = ctx;
    (void)seq;
    if (res >= 0)
        usbdev_out_transfer(o->u, clk_mono_ns(), o->addr, o->q.buf[o->q.done_slot], (size_t)res);
}

/* Keeps OUT_DEPTH reads in flight on each OUT endpoint while the host has the device configured. */
static void feed_out(struct run *r)
{
    for (int i = 0; i < r->n_out; i++)
        while (r->out[i].q.n < OUT_DEPTH && ffsa_submit_read(&r->out[i].q, r->out[i].len, 0) == 0)
            ;
}

/* A write on another IN endpoint completed; one that failed (the host or the device went away
 * before the host read it) is lost at the device. */
static void in_done(void *ctx, uint32_t seq, int64_t res)
{
    struct in_ep *e = ctx;
    (void)seq;
    if (res >= 0)
        return;
    usbdev_ep_lost_in_flight(e->u, e->addr, !usbdev_present(e->u, clk_mono_ns()));
    e->lost++;
}

/* Hands the kernel what the model has for the other IN endpoints now, up to FFSA_DEPTH each
 * (their packets wait in the model's FIFO while the host does not read). */
static void feed_in(struct run *r, int64_t now)
{
    for (int i = 0; i < r->n_in; i++) {
        struct in_ep *e = &r->in[i];
        while (e->q.n < FFSA_DEPTH) {
            size_t len = 0;
            if (usbdev_in_request_ep(r->u, e->addr, now, r->pkt, sizeof r->pkt, &len) !=
                USBDEV_IN_READY)
                break;
            if (ffsa_submit(&e->q, r->pkt, len, 0) != 0)
                in_done(e, 0, -errno);
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
    if (res >= 0)
        return;
    usbdev_lost_in_flight(r->u, seq, !usbdev_present(r->u, clk_mono_ns()));
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
        ssize_t n = read(r->ep_in, r->pkt, sizeof r->pkt); /* halts: fails with EBADMSG */
        (void)n;
        r->halted = 1;
    }
    if (now >= r->halt_end) {
        clear_halt(r);
        r->halted = 0;
    }
}

/* Hands the kernel what the model has for IN requests now, up to FFSA_DEPTH in flight. */
static void feed(struct run *r, int64_t now)
{
    if (r->stream == STREAM_IDLE) {
        r->probe_failed = 0;
        for (r->probes = 0; r->probes < FFS_PROBES; r->probes++)
            if (ffsa_submit(&r->q, r->pkt, 0, UINT32_MAX) != 0)
                break;
        r->stream = r->probes ? STREAM_PROBING : STREAM_IDLE;
        r->probe_failed = r->probes < FFS_PROBES;
        return;
    }
    while (r->stream == STREAM_ON && r->q.n < FFSA_DEPTH) {
        size_t len = 0;
        enum usbdev_in in = usbdev_in_request(r->u, now, r->pkt, sizeof r->pkt, &len);
        if (in == USBDEV_IN_READY) {
            uint32_t seq = (uint32_t)usbdev_last_sent(r->u); /* raw packets do not carry it */
            if (ffsa_submit(&r->q, r->pkt, len, seq) != 0)
                write_done(r, seq, -errno);
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
static int step(struct run *r)
{
    int64_t now = clk_mono_ns();
    if (r->stream == STREAM_ON && usbdev_started(r->u)) {
        int present = usbdev_present(r->u, now);
        if (present != r->g.bound && ffsc_bind(&r->g, present) != 0)
            return -1;
    }
    if (r->enabled && r->g.bound && r->stream != STREAM_PROBING)
        feed(r, now);
    if (r->enabled && r->g.bound) {
        feed_in(r, now);
        feed_out(r);
    }
    /* the stream's and the other IN endpoints' due times (a start action can start them first) */
    int64_t next = usbdev_next_deadline(r->u, now);
    if (r->halted && r->halt_end < next)
        next = r->halt_end;
    if (r->stream == STREAM_ON && usbdev_end_time(r->u) < next)
        next = usbdev_end_time(r->u);
    int64_t wait = next == USBDEV_NEVER ? 100000000LL : next - now;
    wait = wait < 0 ? 0 : wait > 100000000LL ? 100000000LL : wait;
    struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
    struct pollfd p[2 + MAX_OUT_EPS + MAX_IN_EPS] = {{.fd = r->ep0, .events = POLLIN},
                                                     {.fd = r->q.efd, .events = POLLIN}};
    for (int i = 0; i < r->n_out; i++)
        p[2 + i] = (struct pollfd){.fd = r->out[i].q.efd, .events = POLLIN};
    for (int i = 0; i < r->n_in; i++)
        p[2 + r->n_out + i] = (struct pollfd){.fd = r->in[i].q.efd, .events = POLLIN};
    if (ppoll(p, (nfds_t)(2 + r->n_out + r->n_in), &ts, r->l.wait_mask) < 0 && errno != EINTR)
        return -1;
    if (p[0].revents & POLLIN)
        ep0_events(r);
    if (p[1].revents & POLLIN)
        ffsa_reap(&r->q, 0, write_done, r);
    for (int i = 0; i < r->n_out; i++)
        if (p[2 + i].revents & POLLIN)
            ffsa_reap(&r->out[i].q, 0, out_done, &r->out[i]);
    for (int i = 0; i < r->n_in; i++)
        if (p[2 + r->n_out + i].revents & POLLIN)
            ffsa_reap(&r->in[i].q, 0, in_done, &r->in[i]);
    return 0;
}

/* ---- the backend (gadget.h's ops) ---- */

static int ffs_env(const struct gadget_opts *o, char *why, size_t cap)
{
    return ffs_check_env(o->udc, why, cap) == 0 ? XC_OK : XC_ENV;
}

static int ffs_open(const struct gadget_opts *o, const struct scn_scenario *sc,
                    const struct gadget_link *l, void **state, struct gadget_where *w, char *err,
                    size_t cap)
{
    *state = NULL;
    struct run *r = calloc(1, sizeof *r);
    *state = r;
    if (!r) {
        set_err(err, cap, "out of memory");
        return XC_ENV;
    }
    r->sc = sc;
    r->o = o;
    r->l = *l;
    r->u = l->dev;
    r->ep0 = r->ep_in = -1;
    r->q.efd = -1;
    if (!(r->ctrl = malloc(0x10000))) {
        set_err(err, cap, "out of memory");
        return XC_ENV;
    }
    char name[32];
    snprintf(name, sizeof name, "usbsim-%ld", (long)getpid());
    if (ffsc_create(&r->g, name, o->udc ? o->udc : FFS_DEFAULT_UDC, r->u,
                    sc->device.config_name[0] ? sc->device.config_name
                    : sc->name[0] ? sc->name : "usbsim", err, cap) != 0 ||
        open_function(r, err, cap) != 0)
        return XC_ENV;
    if (ffsa_open(&r->q, r->ep_in) != 0 || fcntl(r->ep0, F_SETFL, O_NONBLOCK) != 0) {
        set_err(err, cap, "cannot set up AIO on the IN endpoint: %s", strerror(errno));
        return XC_ENV;
    }
    if (ffsc_bind(&r->g, 1) != 0) {
        set_err(err, cap, "the gadget is not bound to UDC %s", r->g.udc);
        return XC_ENV;
    }
    snprintf(w->where, sizeof w->where, "as FunctionFS gadget %s on UDC %s, %s endpoint",
             r->g.name, r->g.udc, sc->device.endpoint == SCN_EP_BULK ? "bulk" : "interrupt");
    snprintf(w->how, sizeof w->how, "  the timeline starts at the host's first IN request (after "
             "two zero-length packets)\n");
    return XC_OK;
}

static int ffs_serve(void *state, char *err, size_t cap)
{
    struct run *r = state;
    while (!stopping(r) && !finished(r, clk_mono_ns()))
        if (step(r) != 0) {
            set_err(err, cap, "%s", strerror(errno));
            return XC_ENV;
        }
    return XC_OK;
}

/* Unbind first (a write in flight ends with ESHUTDOWN), then the queue, the endpoint files, the
 * mount and the configfs gadget. */
static void ffs_close(void *state)
{
    struct run *r = state;
    if (!r)
        return;
    ffsc_bind(&r->g, 0);
    ffsa_close(&r->q, write_done, r);
    for (int i = 0; i < r->n_out; i++) {
        ffsa_close(&r->out[i].q, out_done, &r->out[i]);
        close(r->out[i].fd);
    }
    for (int i = 0; i < r->n_in; i++) {
        ffsa_close(&r->in[i].q, in_done, &r->in[i]);
        close(r->in[i].fd);
        if (r->in[i].lost && !r->o->quiet)
            fprintf(stderr, "usbsim gadget: %llu packets of endpoint 0x%02x were not read before "
                    "the host went away; logged as lost at the device\n",
                    (unsigned long long)r->in[i].lost, r->in[i].addr);
    }
    const struct usbdev_stats *st = r->u ? usbdev_stats(r->u) : NULL;
    if (st && st->out_transfers && !r->o->quiet)
        fprintf(stderr, "usbsim gadget: the host sent %llu bytes in %llu OUT transfers (with "
                "--log, their rows are in the log's -out.csv)\n", (unsigned long long)st->out_bytes,
                (unsigned long long)st->out_transfers);
    if (r->ep_in >= 0)
        close(r->ep_in);
    if (r->ep0 >= 0)
        close(r->ep0);
    if (r->mounted && umount2(r->mnt, 0) != 0)
        fprintf(stderr, "usbsim gadget: cannot unmount %s: %s\n", r->mnt, strerror(errno));
    if (r->mnt[0])
        rmdir(r->mnt);
    ffsc_remove(&r->g);
    free(r->ctrl);
    free(r);
}

const struct gadget_backend ffs_backend = {
    .name = "ffs",
    .options = GADGET_OPT_UDC,
    .check_env = ffs_env,
    .open = ffs_open,
    .serve = ffs_serve,
    .close = ffs_close,
};

/* backend — see backend.h. */
#include "harness/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/html.h"
#include "harness/proc.h"
#include "harness/vmrun.h"
#include "sim/gadget_ffs.h"
#include "sim/exitcode.h"

static int check_none(const struct be_backend *b, const char *udc, char *why, size_t len)
{
    (void)b, (void)udc, (void)why, (void)len;
    return 0;
}

static int check_ffs(const struct be_backend *b, const char *udc, char *why, size_t len)
{
    (void)b;
    return ffs_check_env(udc, why, len) ? 3 : 0;
}

static int check_attach(const struct be_backend *b, const char *udc, char *why, size_t len)
{
    (void)b, (void)udc;
    if (access("/sys/devices/platform/vhci_hcd.0", F_OK) != 0 ||
        access("/usr/sbin/usbip", X_OK) != 0) {
        snprintf(why, len, "the attach backend needs vhci-hcd and Linux's usbip tool, as root "
                 "(modprobe vhci-hcd; apt-get install usbip); or use --backend vm");
        return XC_ENV;
    }
    return 0;
}

static int check_vm(const struct be_backend *b, const char *udc, char *why, size_t len)
{
    (void)b, (void)udc;
    return vmr_check(why, len);
}

/* Scenario i's name for its report files: its name, or NAME-K when K-1 scenarios before it in
 * the set have the same name, so no two runs write one file. */
static void unique_name(const struct scn_scenario *sc, size_t i, char *buf, size_t len)
{
    size_t same = 0;
    for (size_t k = 0; k < i; k++)
        same += strcmp(sc[k].name, sc[i].name) == 0;
    if (same)
        snprintf(buf, len, "%s-%zu", sc[i].name, same + 1);
    else
        snprintf(buf, len, "%s", sc[i].name);
}

/* usbip, kernel: run_one per scenario on this host. */
static int run_local(const struct be_backend *b, const struct be_run_args *a,
                     struct vfy_result **out, size_t *n)
{
    struct vfy_result *res = calloc(a->n ? a->n : 1, sizeof *res);
    *out = res;
    *n = 0;
    if (!res)
        return XC_ENV;
    struct run_opts ro = {.backend = b->name, .udc = a->udc, .keep_dir = a->keep_logs,
                          .verbose = a->verbose, .progress = a->progress,
                          .output_failures = a->output_failures, .app_command = a->app,
                          .exec_command = a->exec};
    for (size_t i = 0; i < a->n && !proc_interrupted(); i++) {
        char html[4096], pcap[4096], name[SCN_MAX_NAME + 16];
        unique_name(a->sc, i, name, sizeof name);
        if ((a->html && html_path_for(a->html, name, a->n, html, sizeof html)) ||
            (a->pcap && html_path_for(a->pcap, name, a->n, pcap, sizeof pcap))) {
            fprintf(stderr, "usbsim run: --html/--pcap FILE: the path is too long\n");
            return XC_USAGE;
        }
        ro.html_path = a->html ? html : NULL;
        ro.pcap_path = a->pcap ? pcap : NULL;
        if (run_one(&a->sc[i], &ro, &res[*n]) != 0)
            return XC_ENV;
        if (proc_interrupted()) { /* stopped by the user: no verdict */
            vfy_free(&res[*n]);
            break;
        }
        if (a->on_result)
            a->on_result(a->ctx, &res[*n]);
        ++*n;
    }
    return 0;
}

/* A scenario that replays a recording names it relative to itself: the VM needs the host's
 * files as they are, not copies of the scenarios alone. */
static bool any_replay(const struct be_run_args *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->sc[i].device.replay.file[0])
            return true;
    return false;
}

/* vm: the whole set in one boot, with the kernel backend inside. */
static int run_vm(const struct be_backend *b, const struct be_run_args *a,
                  struct vfy_result **out, size_t *n)
{
    struct vmr_opts vo = {.command = "run", .inner_backend = b->inner, .words = a->words,
                          .n_words = a->n_words, .files = a->files, .n_files = a->n,
                          .verbose = a->verbose, .output_failures = a->output_failures,
                          .hostfs = a->exec != NULL || any_replay(a),
                          .keep_logs = a->keep_logs};
    int rc = vmr_run(&vo, out, n);
    for (size_t i = 0; rc == 0 && a->on_result && i < *n; i++)
        a->on_result(a->ctx, &(*out)[i]);
    if (rc == 0 && *n != a->n && !proc_interrupted()) {
        fprintf(stderr, "usbsim run: the VM brought back %zu verdicts for %zu scenarios\n", *n,
                a->n);
        rc = 1;
    }
    return rc;
}

static const struct be_backend backends[] = {
    {"usbip", "the device as a USB/IP server on loopback, the driver its USB/IP client (no root)",
     BE_OPT_PCAP | BE_OPT_HTML | BE_OPT_KEEP_LOGS | BE_OPT_APP, {"usbip", "usbip", true, false},
     NULL,
     check_none,
     run_local},
    {"kernel", "the device as a FunctionFS gadget on a UDC (dummy_hcd), the driver on libusb",
     BE_OPT_UDC | BE_OPT_HTML | BE_OPT_KEEP_LOGS | BE_OPT_APP | BE_OPT_EXEC,
     {"ffs", "libusb", false, false}, NULL, check_ffs,
     run_local},
    {"attach", "--exec: the device over USB/IP, imported with Linux's usbip attach (vhci-hcd)",
     BE_OPT_HTML | BE_OPT_KEEP_LOGS | BE_OPT_EXEC, {"usbip", NULL, true, true}, NULL,
     check_attach, run_local},
    {"vm", "the kernel backend inside a Debian kernel booted by qemu, reports brought back",
     BE_OPT_UDC | BE_OPT_HTML | BE_OPT_KEEP_LOGS | BE_OPT_EXEC, {NULL, NULL, false, false},
     "kernel", check_vm,
     run_vm},
};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

const char *const be_name_list[] = {"usbip", "kernel", "attach", "vm", NULL};
_Static_assert(sizeof be_name_list / sizeof be_name_list[0] == N_BACKENDS + 1,
               "one name per run backend");

const struct be_backend *be_find(const char *name)
{
    if (!name)
        return &backends[0];
    for (size_t i = 0; i < N_BACKENDS; i++)
        if (strcmp(backends[i].name, name) == 0)
            return &backends[i];
    return NULL;
}

const char *be_names(void)
{
    static char names[256];
    if (!names[0])
        for (size_t i = 0; i < N_BACKENDS; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     i == 0 ? "" : i + 1 == N_BACKENDS ? " or " : ", ", backends[i].name);
    return names;
}

bool be_is_local(const struct be_backend *b)
{
    return b->setup.device != NULL;
}

const char *be_refused(const struct be_backend *b, unsigned given)
{
    static const struct {
        unsigned bit;
        const char *flag;
    } opts[] = {{BE_OPT_UDC, "--udc"}, {BE_OPT_PCAP, "--pcap"}, {BE_OPT_HTML, "--html"},
                {BE_OPT_KEEP_LOGS, "--keep-logs"}, {BE_OPT_APP, "--app"}, {BE_OPT_EXEC, "--exec"}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if ((given & opts[i].bit) && !(b->takes & opts[i].bit))
            return opts[i].flag;
    return NULL;
}

int be_run(const struct be_backend *b, const struct be_run_args *a, struct vfy_result **out,
           size_t *n)
{
    return b->run(b, a, out, n);
}

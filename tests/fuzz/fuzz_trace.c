/* libFuzzer target: `usbsim verify`'s receive log, written by someone else's application.
 * The input is the trace file; it is loaded against a short scenario and judged: a clear error or
 * a verdict, never a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scn_scenario sc;
    static int ready;
    char err[TRACE_ERR_MAX > SCN_ERR_MAX ? TRACE_ERR_MAX : SCN_ERR_MAX];
    if (!ready) {
        const char *y = "name: fuzz\nduration_ms: 200\ndevice: {events: [{at_ms: 50, corrupt: 2}]}\n";
        if (scn_parse("fuzz", y, strlen(y), &sc, err) != 0)
            abort();
        ready = 1;
    }
    int fd = memfd_create("fuzz-trace", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct rec_run run;
    struct trace_info info;
    if (trace_load(path, &sc, &run, &info, err) == 0) {
        struct vfy_result res;
        trace_judge(&sc, &run, &info, &res);
        vfy_free(&res);
        rec_free(&run);
    }
    close(fd);
    return 0;
}

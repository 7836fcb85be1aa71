/* userapp — see userapp.h. */
#include "harness/userapp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/logfmt.h"

int uapp_refuses(const struct scn_scenario *sc, char *why, size_t len)
{
    const char *what = sc->consumer.work.kind != SCN_DIST_NONE
                           ? (sc->consumer.n_events ? "consumer.work_us and consumer.events"
                                                    : "consumer.work_us")
                       : sc->consumer.n_events ? "consumer.events"
                                               : NULL;
    if (!what)
        return 0;
    snprintf(why, len, "scenario '%s' sets %s, which only the built-in application plays; with "
             "--app the application is yours: remove them", sc->name, what);
    return -1;
}

int uapp_exec(const char *command, const char *socket_path, const char *run_dir)
{
    if (setenv("USBSIM_RING_SOCKET", socket_path, 1) != 0 ||
        setenv("USBSIM_RECORD", run_dir, 1) != 0 || setenv("USBSIM_RUN_DIR", run_dir, 1) != 0) {
        fprintf(stderr, "app: cannot set the environment: %s\n", strerror(errno));
        return 127;
    }
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    fprintf(stderr, "app: cannot run /bin/sh: %s\n", strerror(errno));
    return 127;
}

int uapp_prepare(const char *run_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", run_dir, LF_APP_FILE);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    static const char head[] = LF_APP_HEADER "\n";
    ssize_t w = write(fd, head, sizeof head - 1);
    return close(fd) == 0 && w == (ssize_t)(sizeof head - 1) ? 0 : -1;
}

const char *uapp_hint(int exit_status)
{
    return exit_status == 127   ? " (the command was not found)"
           : exit_status == 126 ? " (the command is not executable)"
                                : "";
}

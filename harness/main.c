/* The usbsim program: everything is in cli.c. */
#include "harness/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int rc = cli_main(argc, argv);
    /* What went to standard output must have arrived: a full disk or a closed pipe is a
     * failure of the command, never a silent exit 0. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "usbsim: cannot write to standard output: %s\n", strerror(errno));
        if (rc == XC_OK)
            rc = XC_FAIL;
    }
    return rc;
}

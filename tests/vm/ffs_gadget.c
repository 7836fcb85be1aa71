/* ffs_gadget — serves one scenario as a FunctionFS gadget (sim/gadget_ffs), for the VM tests,
 * until `usbsim gadget --backend ffs` exists in the product.
 *
 *   ffs_gadget SCENARIO.yaml [--udc NAME] [--log FILE] [--time-scale X]
 *
 * Exit codes: ffs_run()'s (0 ran or stopped, 2 bad scenario, 3 environment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/gadget_ffs.h"
#include "sim/scenario.h"

int main(int argc, char **argv)
{
    struct ffs_opts o = {0};
    const char *path = NULL;
    double scale = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--udc"))
            o.udc = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--log"))
            o.log_path = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--time-scale"))
            scale = atof(argv[++i]);
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: ffs_gadget SCENARIO.yaml [--udc NAME] [--log FILE] "
                            "[--time-scale X]\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: ffs_gadget SCENARIO.yaml [--udc NAME] [--log FILE]\n");
        return 2;
    }
    static struct scn_scenario sc;
    char err[SCN_ERR_MAX];
    if (scn_load(path, &sc, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    if (scale > 0)
        scn_time_scale(&sc, scale);
    struct ffs_stats st = {0};
    int rc = ffs_run(&sc, &o, &st);
    fprintf(stderr,
            "ffs_gadget: exit %d: written %llu, lost in flight %llu, halts %llu, rebinds %llu, "
            "enables %llu, setups %llu\n",
            rc, (unsigned long long)st.packets_written, (unsigned long long)st.lost_in_flight,
            (unsigned long long)st.halts, (unsigned long long)st.rebinds,
            (unsigned long long)st.enables, (unsigned long long)st.setups);
    return rc;
}

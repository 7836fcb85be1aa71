/* libFuzzer target: the scenario loader on arbitrary bytes. A valid result must also pass
 * scn_check and survive a write/parse round trip unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scn_scenario sc, again; /* large (the hex pool): not on the stack */
    char err[SCN_ERR_MAX];
    if (scn_parse("fuzz.yaml", (const char *)data, size, &sc, err) != 0) {
        if (strncmp(err, "fuzz.yaml:", 10) != 0)
            abort(); /* every error names the file, line and column */
        return 0;
    }
    if (scn_check(&sc, err) != 0)
        abort();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return 0;
    scn_write_yaml(&sc, f);
    fclose(f);
    if (scn_parse("fuzz.yaml", buf, len, &again, err) != 0)
        abort(); /* what we write, we read back */
    free(buf);
    return 0;
}

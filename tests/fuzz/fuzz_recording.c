/* libFuzzer target: a recording file (sim/recording.h), which a scenario names and anyone may
 * write. The input is the file's text: it loads or fails with one FILE:LINE line, never a crash;
 * what loads writes back to text that loads to the same packets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rec_file r, back;
    char err[REC_FILE_ERR_MAX];
    if (rec_parse("fuzz.rec", (const char *)data, size, &r, err) != 0) {
        if (r.n != 0 || r.p != NULL || strncmp(err, "fuzz.rec", 8) != 0 || strchr(err, '\n'))
            abort();
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || rec_write(&r, f) != 0)
        abort();
    fclose(f);
    if (rec_parse("again", text, len, &back, err) != 0 || back.n != r.n ||
        back.nbytes != r.nbytes || (r.nbytes && memcmp(back.bytes, r.bytes, r.nbytes) != 0))
        abort();
    for (size_t i = 0; i < r.n; i++)
        if (back.p[i].t_us != r.p[i].t_us || back.p[i].ep != r.p[i].ep ||
            back.p[i].len != r.p[i].len)
            abort();
    free(text);
    rec_file_free(&back);
    rec_file_free(&r);
    return 0;
}

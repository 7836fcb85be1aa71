/* libFuzzer target: usbmon records from an untrusted capture, all the way to the scenario's
 * text. Input: byte 0 chooses the header (even: 64 bytes, link type 220; odd: 48 bytes, 189);
 * then records, each a 2-byte little-endian length and that many bytes (the record's wire length
 * is the same, or larger when bit 0x8000 of the length is set: cut by a snap length). Every
 * record is fed to umr_feed; every device found is described and written as YAML and as a
 * recording. A clear error or a result, never a crash, a hang or a read past a record. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/import.h"
#include "harness/usbmon_read.h"
#include "sim/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct umr_capture c = {.hdr_size = (data[0] & 1) ? UMR_HDR_LEGACY : UMR_HDR_MMAPPED};
    char err[UMR_ERR_MAX];
    size_t off = 1;
    while (off + 2 <= size) {
        size_t n = (size_t)(data[off] | (data[off + 1] & 0x7F) << 8);
        int cut = data[off + 1] & 0x80;
        off += 2;
        if (n > size - off)
            n = size - off;
        /* a copy of exactly n bytes: ASan sees any read past the record */
        uint8_t *rec = malloc(n ? n : 1);
        memcpy(rec, data + off, n);
        int rc = umr_feed(&c, rec, n, cut ? n + 100 : n, err);
        free(rec);
        off += n;
        if (rc != 0) {
            if (!err[0] || strchr(err, '\n'))
                abort();
            break;
        }
    }
    static struct imp_dev devs[IMP_MAX_DEVICES];
    size_t nd = imp_devices(&c, devs, IMP_MAX_DEVICES);
    for (size_t i = 0; i < nd && i < 4; i++) {
        static struct imp_desc d;
        char ierr[IMP_ERR_MAX];
        if (imp_describe(&c, devs[i].bus, devs[i].dev, &d, ierr) != 0)
            continue;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f || imp_write_yaml(&d, "fuzz", "fuzz.rec", "fuzz.pcap", f) != 0)
            abort();
        if (rec_write(&d.rec, f) != 0)
            abort();
        fclose(f);
        free(text);
        imp_desc_free(&d);
    }
    umr_free(&c);
    return 0;
}

/* junit_err — see junit_err.h. */
#include "harness/junit_err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if (c >= 0x20 || c == '\t')
                fputc(c, f);
        }
    }
}

int jerr_write(const char *path, const char *name, int exit_code, const char *message, char *err,
               size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<testsuites name=\"usbsim\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
          "  <testsuite name=\"usbsim\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
          "    <testcase classname=\"usbsim\" name=\"",
          f);
    put_escaped(f, name);
    fputs("\" time=\"0\">\n      <error message=\"", f);
    put_escaped(f, message);
    fprintf(f, "\" type=\"%s\">", exit_code == 3 ? "environment" : "usage");
    put_escaped(f, message);
    fputs("</error>\n    </testcase>\n  </testsuite>\n</testsuites>\n", f);
    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, len, "cannot write %s", path);
        return -1;
    }
    return 0;
}

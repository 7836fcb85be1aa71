/* xml — see xml.h. */
#include "harness/xml.h"

static void put(FILE *f, const char *s, int attr)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs(attr ? "&#10;" : "\n", f); break;
        case '\t': fputs(attr ? "&#9;" : "\t", f); break;
        default: fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
        }
    }
}

void xml_text(FILE *f, const char *s) { put(f, s, 0); }

void xml_attr(FILE *f, const char *s) { put(f, s, 1); }

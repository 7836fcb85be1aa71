/* scn_write — see scn_write.h. */
#include "sim/scn_write.h"

#include "sim/scenario.h"
#include "sim/scn_keys.h"

#include <string.h>

static bool any_present(const struct scnk_table *t, const char *base)
{
    for (int i = 0; i < t->n; i++)
        if (t->keys[i].type == SCNK_T_MAP ? any_present(t->keys[i].sub, base + t->keys[i].off)
                                      : scnk_present(t, base, i))
            return true;
    return false;
}

/* A bytes value: hex pairs separated by spaces, quoted. */
static void write_bytes(FILE *f, const struct scn_scenario *s, const char *p)
{
    struct scn_bytes b;
    memcpy(&b, p, sizeof b);
    const uint8_t *d = scn_bytes_of(s, &b);
    fputc('"', f);
    for (size_t i = 0; d && i < b.len; i++)
        fprintf(f, "%s%02x", i ? " " : "", d[i]);
    fputc('"', f);
}

static void write_flow(FILE *f, const struct scn_scenario *s, const struct scnk_table *t,
                       const char *base, double ts)
{
    char v[300];
    const char *sep = "";
    fputc('{', f);
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        if (k->type == SCNK_T_MAP || k->type == SCNK_T_LIST || !scnk_present(t, base, i))
            continue;
        fprintf(f, "%s%s: ", sep, k->name);
        if (k->type == SCNK_T_BYTES) {
            write_bytes(f, s, base + k->off);
        } else {
            scnk_format(k, base + k->off, ts, v, sizeof v);
            fputs(v, f);
        }
        sep = ", ";
    }
    fputc('}', f);
}

/* first: the first key goes on the current line (after a list item's "- "), unindented. */
static void write_block(FILE *f, const struct scn_scenario *s, const struct scnk_table *t,
                        const char *base, double ts, int ind, int first)
{
    char v[300];
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        const char *p = base + k->off;
        int pad = first ? 0 : ind;
        if ((k->type == SCNK_T_MAP && !any_present(k->sub, p)) ||
            (k->type != SCNK_T_MAP && k->type != SCNK_T_LIST && !scnk_present(t, base, i)))
            continue;
        first = 0;
        if (k->type == SCNK_T_MAP) {
            fprintf(f, "%*s%s:%s", pad, "", k->name, k->sub->flow ? " " : "\n");
            if (k->sub->flow) {
                write_flow(f, s, k->sub, p, ts);
                fputc('\n', f);
            } else {
                write_block(f, s, k->sub, p, ts, ind + 2, 0);
            }
        } else if (k->type == SCNK_T_LIST) {
            size_t n = (size_t)scnk_get(base + k->count_off, sizeof(size_t));
            fprintf(f, "%*s%s:%s\n", pad, "", k->name, n ? "" : " []");
            for (size_t j = 0; j < n && j < k->hi; j++) {
                fprintf(f, "%*s  - ", ind, "");
                if (k->sub->flow) {
                    write_flow(f, s, k->sub, p + j * k->item_size, ts);
                    fputc('\n', f);
                } else { /* items with lists of their own: block mappings */
                    write_block(f, s, k->sub, p + j * k->item_size, ts, ind + 4, 1);
                }
            }
        } else if (k->type == SCNK_T_BYTES) {
            fprintf(f, "%*s%s: ", pad, "", k->name);
            write_bytes(f, s, p);
            fputc('\n', f);
        } else {
            scnk_format(k, p, ts, v, sizeof v);
            fprintf(f, "%*s%s: %s\n", pad, "", k->name, v);
        }
    }
}

int scn_write_yaml(const struct scn_scenario *s, FILE *f)
{
    fprintf(f, "# scenario %s, every default written out\n", s->name);
    if (s->time_scale != 1.0)
        fprintf(f, "# loaded at time scale %.17g: times are written back in scenario time\n",
                s->time_scale);
    write_block(f, s, &scnk_top, (const char *)s, s->time_scale, 0, 0);
    return ferror(f) ? -1 : 0;
}


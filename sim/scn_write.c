/* scn_write — see scn_write.h. */
#include "sim/scn_write.h"

#include "sim/scenario.h"
#include "sim/scn_keys.h"

static bool any_present(const struct scnk_table *t, const char *base)
{
    for (int i = 0; i < t->n; i++)
        if (t->keys[i].type == SCNK_T_MAP ? any_present(t->keys[i].sub, base + t->keys[i].off)
                                      : scnk_present(t, base, i))
            return true;
    return false;
}

static void write_flow(FILE *f, const struct scnk_table *t, const char *base, double ts)
{
    char v[300];
    const char *sep = "";
    fputc('{', f);
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        if (k->type == SCNK_T_MAP || k->type == SCNK_T_LIST || !scnk_present(t, base, i))
            continue;
        scnk_format(k, base + k->off, ts, v, sizeof v);
        fprintf(f, "%s%s: %s", sep, k->name, v);
        sep = ", ";
    }
    fputc('}', f);
}

static void write_block(FILE *f, const struct scnk_table *t, const char *base, double ts, int ind)
{
    char v[300];
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        const char *p = base + k->off;
        if (k->type == SCNK_T_MAP) {
            if (!any_present(k->sub, p))
                continue;
            fprintf(f, "%*s%s:%s", ind, "", k->name, k->sub->flow ? " " : "\n");
            if (k->sub->flow) {
                write_flow(f, k->sub, p, ts);
                fputc('\n', f);
            } else {
                write_block(f, k->sub, p, ts, ind + 2);
            }
        } else if (k->type == SCNK_T_LIST) {
            size_t n = (size_t)scnk_get(base + k->count_off, sizeof(size_t));
            fprintf(f, "%*s%s:%s\n", ind, "", k->name, n ? "" : " []");
            for (size_t j = 0; j < n && j < k->hi; j++) {
                fprintf(f, "%*s  - ", ind, "");
                write_flow(f, k->sub, p + j * k->item_size, ts);
                fputc('\n', f);
            }
        } else if (scnk_present(t, base, i)) {
            scnk_format(k, p, ts, v, sizeof v);
            fprintf(f, "%*s%s: %s\n", ind, "", k->name, v);
        }
    }
}

int scn_write_yaml(const struct scn_scenario *s, FILE *f)
{
    fprintf(f, "# scenario %s, every default written out\n", s->name);
    if (s->time_scale != 1.0)
        fprintf(f, "# loaded at time scale %.17g: times are written back in scenario time\n",
                s->time_scale);
    write_block(f, &scnk_top, (const char *)s, s->time_scale, 0);
    return ferror(f) ? -1 : 0;
}


/* gen_scenario_doc — writes docs/scenario-format.md from the loader's own key tables (scn_keys),
 * so the document and the loader cannot drift: every key, what it accepts (the words of the
 * loader's error messages), its default, and an example that the loader itself accepted (each
 * example is parsed with scn_parse before it is written; a key without a loadable example makes
 * this program fail). Usage: gen_scenario_doc > docs/scenario-format.md  (`make docs`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"

#define MAX_KEYS 128

static struct scn_key_info keys[MAX_KEYS];
static int nkeys;

static void collect(const struct scn_key_info *k, void *ctx)
{
    (void)ctx;
    if (nkeys < MAX_KEYS)
        keys[nkeys++] = *k;
}

static void parent_of(const char *path, char *out, size_t n)
{
    const char *dot = strrchr(path, '.');
    size_t len = dot ? (size_t)(dot - path) : 0;
    snprintf(out, n, "%.*s", (int)len, path);
}

static int same_table(const struct scn_key_info *a, const struct scn_key_info *b)
{
    char pa[96], pb[96];
    parent_of(a->path, pa, sizeof pa);
    parent_of(b->path, pb, sizeof pb);
    return strcmp(pa, pb) == 0;
}

static int is_leaf(const struct scn_key_info *k)
{
    return k->type != SCN_KEY_MAP && k->type != SCN_KEY_LIST;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* A plausible value: the default, else one inside the range; enums: value number `pick`. */
static void example_value(const struct scn_key_info *k, int pick, char *o, size_t n)
{
    if (k->type == SCN_KEY_ENUM) {
        snprintf(o, n, "%s", pick >= 0 && pick < k->nnames && k->names[pick] ? k->names[pick] : "");
    } else if (k->deflt[0]) {
        snprintf(o, n, "%s", k->deflt);
    } else if (k->type == SCN_KEY_INT) {
        snprintf(o, n, "%llu", (unsigned long long)k->lo);
    } else if (k->type == SCN_KEY_TIME) {
        snprintf(o, n, "%llu", (unsigned long long)clamp(k->lo ? 300 : 1000, k->lo, k->hi));
    } else if (k->type == SCN_KEY_NUMBER) {
        snprintf(o, n, "%g", k->dhi <= 1 ? k->dhi : k->dlo > 0 ? k->dlo * 3 : 100);
    } else if (k->type == SCN_KEY_TEXT) {
        snprintf(o, n, "%s", k->required ? "steady" : "\"lost\"");
    } else {
        o[0] = 0;
    }
}

/* The YAML lines down to the mapping at `parent` ("device.events[]"; "" = the top level), and,
 * when flow, the pairs inline: `jitter: {a: 1, b: 2}` or `- {a: 1}`. */
static void render(const char *parent, int flow, char pairs[][128], int np, char *o, size_t n)
{
    char parts[8][48];
    int nparts = 0;
    size_t len = 0;
    for (const char *p = parent; *p && nparts < 8;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        snprintf(parts[nparts++], sizeof parts[0], "%.*s", (int)l, p);
        p += l + (dot ? 1 : 0);
    }
    o[0] = 0;
    for (int i = 0; i < nparts; i++) {
        size_t l = strlen(parts[i]);
        int list = l > 2 && strcmp(parts[i] + l - 2, "[]") == 0;
        int last = i == nparts - 1;
        len += (size_t)snprintf(o + len, n - len, "%*s%.*s:%s", 2 * i, "", (int)(list ? l - 2 : l),
                                parts[i], last && flow && !list ? " " : "\n");
        if (last && list)
            len += (size_t)snprintf(o + len, n - len, "%*s- ", 2 * i + 2, "");
    }
    int inline_map = nparts > 0 && flow;
    if (inline_map)
        len += (size_t)snprintf(o + len, n - len, "{");
    for (int i = 0; inline_map && i < np && len < n; i++)
        len += (size_t)snprintf(o + len, n - len, "%s%s", i ? ", " : "", pairs[i]);
    if (inline_map)
        snprintf(o + len, n - len, "}\n");
}

/* The pairs as block lines under the mapping at `parent`. */
static void render_block(const char *parent, char pairs[][128], int np, char *o, size_t n)
{
    int depth = 0;
    for (const char *p = parent; *p; p++)
        depth += *p == '.';
    depth += *parent ? 1 : 0;
    char head[512];
    render(parent, 0, pairs, 0, head, sizeof head);
    size_t len = (size_t)snprintf(o, n, "%s", head);
    for (int i = 0; i < np && len < n; i++)
        len += (size_t)snprintf(o + len, n - len, "%*s%s\n", 2 * depth, "", pairs[i]);
}

static int loads(const char *snippet, int top)
{
    char doc[4096], err[SCN_ERR_MAX];
    static struct scn_scenario sc;
    snprintf(doc, sizeof doc, "%s%s", top ? "" : "name: example\nduration_ms: 5000\n", snippet);
    return scn_parse("example", doc, strlen(doc), &sc, err) == 0;
}

/* Builds the example of leaf key k: its required siblings, plus at most one extra sibling
 * (an enum sibling set to one of its values, or a conditional sibling), first that loads. */
static int example(int ki, int pick, char *o, size_t n)
{
    const struct scn_key_info *k = &keys[ki];
    char parent[96];
    parent_of(k->path, parent, sizeof parent);
    int list = strlen(parent) > 2 && strcmp(parent + strlen(parent) - 2, "[]") == 0;
    for (int extra = -1; extra < nkeys; extra++) {
        if (extra >= 0 && (extra == ki || !same_table(&keys[extra], k) || !is_leaf(&keys[extra]) ||
                           (keys[extra].required && keys[extra].type != SCN_KEY_ENUM)))
            continue;
        int values = extra >= 0 && keys[extra].type == SCN_KEY_ENUM ? keys[extra].nnames : 1;
        for (int v = values - 1; v >= 0; v--) {
            char pairs[16][128], val[96];
            int np = 0;
            for (int j = 0; j < nkeys && np < 16; j++) {
                if (!same_table(&keys[j], k) || !is_leaf(&keys[j]) ||
                    (j != ki && j != extra && !keys[j].required))
                    continue;
                example_value(&keys[j], j == ki ? pick : j == extra ? v : keys[j].nnames - 1, val,
                              sizeof val);
                if (!val[0])
                    break;
                snprintf(pairs[np++], sizeof pairs[0], "%s: %s", keys[j].name, val);
            }
            if (list || k->flow)
                render(parent, 1, pairs, np, o, n);
            else
                render_block(parent, pairs, np, o, n);
            if (loads(o, parent[0] == 0))
                return 0;
        }
    }
    return -1;
}

static int leaf_example(int ki, char *o, size_t n)
{
    const struct scn_key_info *k = &keys[ki];
    if (k->example) { /* the table's own (keys inside lists inside lists, keys with rules) */
        snprintf(o, n, "%s", k->example);
        return loads(o, 0) ? 0 : -1;
    }
    int picks = k->type == SCN_KEY_ENUM ? k->nnames : 1;
    for (int p = picks - 1; p >= 0; p--)
        if (example(ki, p, o, n) == 0)
            return 0;
    return -1;
}

static const char *type_word(const struct scn_key_info *k)
{
    if (k->required)
        return "required";
    return k->conditional ? "depends on its siblings" : "optional";
}

int main(void)
{
    scn_keys(collect, NULL);
    if (nkeys == 0 || nkeys >= MAX_KEYS) {
        fprintf(stderr, "gen_scenario_doc: %d keys\n", nkeys);
        return 1;
    }
    printf("# Scenario format\n\n"
           "<!-- Generated by `make docs` (tests/gen_scenario_doc.c) from the tables the loader uses;\n"
           "     do not edit: `make check` fails when this file differs from what they give. -->\n\n"
           "A scenario is one YAML file: one mapping at the top level, indented with spaces. Times "
           "are\nintegers in the unit their key names (`_ms`, `_us`). An unknown key, a wrong type, "
           "a value out\nof range or a key that does not apply gives one line, `FILE:LINE:COL: what "
           "is wrong; what is\nallowed`, and exit 2 (`usbsim validate FILE` checks a file; "
           "`usbsim validate --explain FILE`\nprints it back with every default filled in). A UTF-8 "
           "byte order mark at the start is skipped. The\nplan may hold at most 10,000,000 samples "
           "(duration_ms / period_us, plus burst packets).\n\n"
           "Each key below: what it accepts, its default (absent: not set, or not checked for "
           "`expect`),\nand an example the loader accepts (shown inside its mapping; the top-level "
           "`name` and\n`duration_ms` every file needs are left out of the nested examples).\n");
    int bad = 0;
    for (int i = 0; i < nkeys; i++) {
        const struct scn_key_info *k = &keys[i];
        if (k->depth == 0 || !is_leaf(k))
            printf("\n%s `%s`\n\n", k->depth == 0 ? "##" : "###", k->path);
        if (!is_leaf(k)) {
            printf("%s (%s).\n", k->allowed, type_word(k));
            continue;
        }
        char ex[2048];
        if (k->depth != 0)
            printf("- **`%s`** — ", k->name);
        printf("%s; %s", k->allowed, type_word(k));
        printf(k->deflt[0] ? "; default `%s`.\n" : ".\n", k->deflt);
        if (k->doc)
            printf("\n%s%s\n", k->depth ? "  " : "", k->doc);
        if (leaf_example(i, ex, sizeof ex) != 0) {
            fprintf(stderr, "gen_scenario_doc: no example of %s loads\n", k->path);
            bad = 1;
            continue;
        }
        const char *ind = k->depth ? "  " : "";
        printf("\n%s```yaml\n", ind);
        for (char *line = strtok(ex, "\n"); line; line = strtok(NULL, "\n"))
            printf("%s%s\n", ind, line);
        printf("%s```\n", ind);
    }
    return bad;
}

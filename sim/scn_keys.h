/* scn_keys — the scenario format as data: one table of keys per mapping (internal to the
 * scenario modules: scenario.c, scn_yaml.c, scn_write.c).
 *
 * Contract:
 *  - A table lists a mapping's keys: name, type, range, unit, where the value is stored and which
 *    flag says it is present. A table may add a `need` function (which keys a mapping needs or
 *    forbids given what it holds, e.g. the parameter of a distribution), a `ctx` function (how
 *    messages name the mapping), a `kind` function (derives an event's kind from the keys written)
 *    and a `rule` (a cross-field rule). scnk_top is the top-level table; the same tables drive
 *    parsing (scn_yaml), checking and time scaling (scenario.c), writing (scn_write) and the key
 *    walk for the generated reference (scn_keys() in scenario.h).
 *  - Value rules (scnk_check_*) return 0, or -1 with the message in *f (line 0: the caller's
 *    place; scnk_locate() fills it). Nothing here blocks or allocates.
 * Prefix: scnk_ / SCNK_.
 */
#ifndef USBSIM_SIM_SCN_KEYS_H
#define USBSIM_SIM_SCN_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/scenario.h"

#define SCNK_MS 1000000LL
#define SCNK_US 1000LL
#define SCNK_MAX_KEYS 32 /* keys in one table, at most */

/* SCNK_T_BYTES: a hex string ("09 21 11 01"), stored as struct scn_bytes into the scenario's
 * byte pool (device.bytes). */
enum scnk_type { SCNK_T_UINT, SCNK_T_TIME, SCNK_T_DOUBLE, SCNK_T_ENUM, SCNK_T_STR, SCNK_T_MAP,
                 SCNK_T_LIST, SCNK_T_BYTES };
/* SCNK_REQ: always required (in a table with a need function, that function decides and the flag
 * only documents it). */
enum { SCNK_REQ = 1, SCNK_HEX = 2, SCNK_POW2 = 4, SCNK_NAME = 8 };
enum scnk_need { SCNK_NEED_NO, SCNK_NEED_OPT, SCNK_NEED_REQ };

struct scnk_table;

struct scnk_key {
    const char *name;
    enum scnk_type type;
    unsigned flags;
    uint64_t lo, hi;         /* UINT, TIME (in the key's unit), STR (length), LIST (count) */
    double dlo, dhi;         /* DOUBLE */
    int64_t unit;            /* TIME: ns per unit of the key */
    const char *const *names; /* ENUM: value i is names[i] (NULL: not writable) */
    int nnames;
    size_t off, size;        /* the field, from the table's base; MAP: the sub-table's base */
    size_t has;              /* 1 + offset of the bool saying the key is present; 0: none */
    const struct scnk_table *sub; /* MAP, LIST items */
    size_t count_off, item_size, lc; /* LIST: count (size_t), item stride, item's line/col */
    const char *doc;         /* what it means, for the generated reference; NULL: none */
    const char *example;     /* a loadable example for the reference (without name and
                                duration_ms); NULL: the generator builds one */
};

/* A place in the file: 1-based line and column, and the byte offset (orders two places). */
struct scnk_mark {
    size_t index;
    int line, col;
};

/* A key seen in a mapping, and where. */
struct scnk_seen {
    bool on;
    struct scnk_mark key;
};

/* An error: message, and where (line 0: the caller's default place). */
struct scnk_fail {
    char msg[SCN_ERR_MAX];
    int line, col;
};

struct scnk_table {
    const char *what;
    const struct scnk_key *keys;
    int n;
    bool flow; /* written as {k: v, ...} */
    enum scnk_need (*need)(const void *base, int i);
    const char *(*ctx)(const void *base);
    int (*kind)(void *base, const struct scnk_seen *seen, struct scnk_mark map,
                struct scnk_fail *f);
    int (*rule)(const void *base, const struct scn_scenario *s, struct scnk_fail *f);
};

extern const struct scnk_table scnk_top;

/* Fills *f (message and place); returns -1. */
int scnk_failf(struct scnk_fail *f, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sets the place of *f if it has none; returns -1. */
int scnk_locate(struct scnk_fail *f, int line, int col);

/* Unsigned fields of 1, 2, 4 or 8 bytes. */
void scnk_put(void *p, size_t size, uint64_t v);
uint64_t scnk_get(const void *p, size_t size);
/* names[v], or "?" when v has no name. */
const char *scnk_name(const char *const *names, int n, unsigned v);

/* Whether key i of t is required, optional or forbidden in the mapping at base. */
enum scnk_need scnk_need_of(const struct scnk_table *t, const void *base, int i);
/* Is key i present in a struct (so it is checked, scaled and written)? */
bool scnk_present(const struct scnk_table *t, const void *base, int i);
enum scnk_list { SCNK_L_ALL, SCNK_L_ALLOWED, SCNK_L_REQ };
/* The names of t's keys (all, those allowed, those required at base), comma separated. */
void scnk_key_list(const struct scnk_table *t, const void *base, enum scnk_list m, char *o,
                   size_t n);
/* What a key accepts, in words. */
void scnk_allowed(const struct scnk_key *k, char *o, size_t n);
/* How messages name the mapping at base. */
const char *scnk_ctx(const struct scnk_table *t, const void *base);

/* Value rules shared by parsing and checking. Times are in ns at time scale ts. */
int scnk_check_uint(const struct scnk_key *k, uint64_t v, struct scnk_fail *f);
int scnk_check_double(const struct scnk_key *k, double v, struct scnk_fail *f);
int scnk_check_str(const struct scnk_key *k, const char *t, size_t n, struct scnk_fail *f);
int scnk_check_time(const struct scnk_key *k, int64_t v, double ts, struct scnk_fail *f);

/* Parses hex text t (n characters) into out (at most SCN_MAX_BYTES); *len the byte count. 0, or -1
 * with the message in *f (key named k->name; line 0). */
int scnk_parse_hex(const struct scnk_key *k, const char *t, size_t n, uint8_t *out, size_t *len,
                   struct scnk_fail *f);

/* A field's value as the file writes it; times in the key's unit, multiplied back by ts. */
void scnk_format(const struct scnk_key *k, const char *p, double ts, char *o, size_t n);

#endif

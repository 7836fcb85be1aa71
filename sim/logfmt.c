/* logfmt — see logfmt.h. */
#include "sim/logfmt.h"

#include <string.h>

const char *const lf_fate_names[] = {"sent", "held", "dropped"};
const char *const lf_drop_names[] = {"none", "stall", "fifo", "disconnect", "end"};
const char *const lf_status_names[] = {"ok", "crc", "ring-drop"};
const char *const lf_counter_names[] = {"doorbells", "wakeups",
                                        "ring_high_water", "ring_drops", "crc_rejects",
                                        "missed_wakeups", "unknown"};

_Static_assert(sizeof lf_fate_names / sizeof lf_fate_names[0] == LF_FATE_COUNT, "fate names");
_Static_assert(sizeof lf_drop_names / sizeof lf_drop_names[0] == LF_DROP_COUNT, "drop names");
_Static_assert(sizeof lf_status_names / sizeof lf_status_names[0] == LF_ST_COUNT, "status names");
_Static_assert(sizeof lf_counter_names / sizeof lf_counter_names[0] == LF_C_COUNT,
               "counter names");

const char *lf_name(const char *const *names, size_t n, unsigned v)
{
    return v < n && names[v] ? names[v] : "?";
}

/* scn_yaml — the scenario YAML reader: libyaml events -> the values of a scenario, driven by the
 * key tables (scn_keys.h). Internal to the scenario modules; scn_parse() (scenario.h) is the API.
 *
 * Contract:
 *  - scny_read() reads one document from buf (len bytes, no terminator needed) into *out, which
 *    the caller has filled with defaults. A UTF-8 byte order mark at the start of buf is skipped
 *    (line:col then count from the character after it). It refuses a buffer over
 *    SCN_MAX_FILE_BYTES, any tab,
 *    anchors, aliases and tags, and applies every per-key and per-mapping rule as it goes (the
 *    first error wins). Returns 0, or -1 with the message and its 1-based line:col in *f
 *    (columns count characters, not bytes). Never blocks; frees everything it allocates.
 * Prefix: scny_.
 */
#ifndef USBSIM_SIM_SCN_YAML_H
#define USBSIM_SIM_SCN_YAML_H

#include <stddef.h>

#include "sim/scn_keys.h"

int scny_read(const char *buf, size_t len, struct scn_scenario *out, struct scnk_fail *f);

#endif

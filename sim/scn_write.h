/* scn_write — a scenario written back as a loadable YAML file (included by scenario.h, which is
 * what users include).
 *
 * Contract: scn_write_yaml() prints s with every default written out, walked from the key
 * tables (scn_keys.h): the tables written as blocks as blocks, the small ones ({k: v}) and list
 * items as flow mappings; times are written in scenario time (multiplied back by s->time_scale,
 * which a comment line states when it is not 1). scn_parse() of the output gives s again (but
 * for where events were written). Writes to f only, never blocks beyond f; returns 0, or -1
 * when the stream reports an error.
 * Prefix: scn_.
 */
#ifndef USBSIM_SIM_SCN_WRITE_H
#define USBSIM_SIM_SCN_WRITE_H

#include <stdio.h>

struct scn_scenario;

int scn_write_yaml(const struct scn_scenario *s, FILE *f);

#endif

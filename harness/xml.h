/* xml — escaping text for XML and HTML output (the JUnit file, the HTML page, its SVG).
 *
 * Contract:
 *  - xml_text() writes s as element content, xml_attr() as an attribute value between double
 *    quotes. Both write & < > " ' as &amp; &lt; &gt; &quot; &apos;.
 *  - Newline and tab are kept in text; in an attribute they become &#10; and &#9; (so a parser
 *    does not fold them into spaces).
 *  - Every other control character XML 1.0 cannot carry (below 0x20) and DEL (0x7f) becomes '?'.
 *  - Bytes 0x80 and above are copied unchanged: the texts come from libyaml and jansson, which
 *    only give valid UTF-8, and from the program itself.
 *  - s may be NULL: nothing is written.
 * Prefix: xml_.
 */
#ifndef USBSIM_HARNESS_XML_H
#define USBSIM_HARNESS_XML_H

#include <stdio.h>

void xml_text(FILE *f, const char *s);
void xml_attr(FILE *f, const char *s);

#endif

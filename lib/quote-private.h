/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Quoting of untrusted text inside error messages, shared by the parsers of
 * lib/ (units, codec). A message must stay one printable ASCII line whatever
 * the input held, so that it can go to a terminal, a log line or a JSON
 * error body as is: the quoted text is cut after QUOTE_MAX_BYTES and every
 * byte outside printable ASCII, '"' and '\' are escaped.
 */
#ifndef ONM_QUOTE_PRIVATE_H
#define ONM_QUOTE_PRIVATE_H

#include "onm/ds.h"

#include <string.h>

#define QUOTE_MAX_BYTES 64

/* Appends 's' to 'ds' in double quotes, escaped and possibly shortened. */
static inline void ds_put_quoted(struct ds *ds, const char *s)
{
	size_t n = strlen(s);
	bool cut = n > QUOTE_MAX_BYTES;

	if (cut)
		n = QUOTE_MAX_BYTES - 4;
	ds_put_char(ds, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			ds_put_format(ds, "\\%c", c);
		else if (c == '\n')
			ds_put_cstr(ds, "\\n");
		else if (c == '\t')
			ds_put_cstr(ds, "\\t");
		else if (c < 0x20 || c > 0x7e)
			ds_put_format(ds, "\\x%02x", c);
		else
			ds_put_char(ds, (char)c);
	}
	if (cut)
		ds_put_cstr(ds, "...");
	ds_put_char(ds, '"');
}

#endif /* ONM_QUOTE_PRIVATE_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dynamic strings: a growable, always NUL-terminated byte buffer used to
 * build messages, tables and response bodies.
 */
#ifndef ONM_DS_H
#define ONM_DS_H

#include "onm/util.h"

#include <stdarg.h>
#include <stddef.h>

struct ds {
	char *string;	  /* NUL-terminated; NULL until the first write */
	size_t length;	  /* bytes, without the NUL */
	size_t allocated; /* bytes of 'string', without room for the NUL */
};

#define DS_EMPTY_INITIALIZER                                                                       \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void ds_init(struct ds *);
void ds_clear(struct ds *);
void ds_reserve(struct ds *, size_t min_length);
void ds_put_char(struct ds *, char);
void ds_put_buffer(struct ds *, const char *, size_t);
void ds_put_cstr(struct ds *, const char *);
void ds_put_format(struct ds *, const char *fmt, ...) PRINTF_FORMAT(2, 3);
void ds_put_format_valist(struct ds *, const char *fmt, va_list) PRINTF_FORMAT(2, 0);
void ds_put_char_multiple(struct ds *, char, size_t n);
/* Returns the string (never NULL); the ds stays owner. */
const char *ds_cstr(struct ds *);
/* Returns the string (never NULL) and gives up ownership; the ds is empty after. */
char *ds_steal_cstr(struct ds *);
void ds_destroy(struct ds *);

#endif /* ONM_DS_H */

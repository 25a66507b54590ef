/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Between the command engine (engine.c) and the terminal (term.c), not for
 * handlers: the built-in commands every table starts with, whose handlers
 * need the terminal's internals and so live in term.c, and the grammar of
 * the "| include|exclude|begin|count REGEX" part of a line, which help and
 * completion (engine.c) and the filters themselves (term.c) both need.
 */
#ifndef ONM_DEVICE_ENGINE_PRIVATE_H
#define ONM_DEVICE_ENGINE_PRIVATE_H

#include "engine.h"

#include <stddef.h>

/* The built-ins (term.h's list), defined in term.c; dev_cmd_table_create()
 * puts them before the caller's commands in every table. */
extern const struct dev_cmd dev_builtin_cmds[];
extern const size_t dev_n_builtin_cmds;

enum dev_filter {
	DEV_FILTER_NONE,
	DEV_FILTER_BEGIN,   /* everything from the first matching line on */
	DEV_FILTER_COUNT,   /* only "Number of lines which match regexp = N" */
	DEV_FILTER_EXCLUDE, /* the lines that do not match */
	DEV_FILTER_INCLUDE, /* the lines that match */
	DEV_FILTER_SECTION, /* the unindented lines that match, each with the indented
			     * lines under it */
	DEV_FILTER_COUNT_LINES, /* JunOS's count: only "Count: N lines" */
	DEV_FILTER_COMPARE, /* JunOS's compare: no filter, the handler compares */
};

/* Byte offset of the first word of 'line' that is exactly "|" (where the
 * filter part starts), or SIZE_MAX when there is none. */
size_t dev_line_pipe_offset(const char *line);

/* Parses 'text', what follows the "|" of a command with 'flags' (whose
 * DEV_CMD_PIPE* say which filters it has): a filter keyword (unique
 * prefix, any case) and, for those that take one, the regular expression,
 * which is the rest of the text. Returns DEV_MATCH_OK and sets '*filter'
 * and '*regex' (a pointer into 'text', NULL for a filter without one),
 * DEV_MATCH_INCOMPLETE, or DEV_MATCH_INVALID with '*error_offset' the
 * byte offset in 'text' of the bad word. */
enum dev_match_result dev_filter_parse(const char *text, unsigned flags, enum dev_filter *filter,
				       const char **regex, size_t *error_offset);

#endif /* ONM_DEVICE_ENGINE_PRIVATE_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device command engine: a simulated router's commands declared as data
 * (syntax string, per-token help, modes, minimum role, handler) and the
 * parser that gives every declared command, for free, what a network
 * engineer expects from an IOS prompt: unique-prefix abbreviation
 * ("sh ip ro"), "% Ambiguous command", "% Invalid input detected at '^'
 * marker." with the caret under the bad word, "?" help at any point, Tab
 * completion, and "| include|exclude|begin|count REGEX" on show commands
 * (the filters live in term.h, which owns the session's output); JunOS-style
 * commands have JunOS's instead: "| match|except REGEX", "| count",
 * "| compare".
 *
 * Syntax strings (FRR's DEFUN language, trimmed):
 *   keyword        lowercase literal: "show", "ip", "access-list"
 *   A.B.C.D        an IPv4 address
 *   A.B.C.D/M      an IPv4 prefix
 *   (1-65535)      a decimal integer in the range
 *   WORD           any one word
 *   LINE           the rest of the line (last token only)
 *   IFNAME         an interface name of the device, matched case-insensitively
 *                  by unique prefix of its letters plus its exact number part
 *                  ("gi0/1" -> "GigabitEthernet0/1"); candidates come from
 *                  the session's word source (dev_words_fn)
 *   (a|b|c)        one of the keywords
 *   [ ... ]        optional part (may nest; may hold several tokens)
 *   TOKEN$name     names a token's value for the handler (dev_arg());
 *                  a keyword is named by its own text without "$"
 * Help: one line per token in syntax order ('\n'-separated), alternatives
 * each get their own line, e.g. for "show ip route [A.B.C.D/M$prefix]":
 *   "Show running system information\nIP information\nIP routing table\n
 *    Network prefix"
 *
 * Matching (as IOS): words are matched left to right against all commands
 * of the current mode; an exact keyword beats a prefix; two different
 * keywords matching a prefix at the same place are ambiguous; a word that
 * nothing accepts is the caret position. A line that matches nothing in a
 * config sub-mode is tried in its parent modes (config-if -> config), and
 * a match there leaves the sub-mode, as IOS does. Commands above the
 * session's role are matched (so that the attempt is denied and audited)
 * but not offered by "?" or Tab.
 *
 * Threads: none; everything runs on the caller's thread (the controller's
 * main loop).
 */
#ifndef ONM_DEVICE_ENGINE_H
#define ONM_DEVICE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dev_mode {
	DEV_MODE_EXEC,	     /* "r1>"  */
	DEV_MODE_PRIV,	     /* "r1#"  */
	DEV_MODE_CONFIG,     /* "r1(config)#" */
	DEV_MODE_CONFIG_IF,  /* "r1(config-if)#", mode argument = interface name */
	DEV_MODE_CONFIG_ACL, /* "r1(config-ext-nacl)#", mode argument = ACL name */
	DEV_MODE_N
};
#define DEV_MODE_BIT(m) (1u << (m))
#define DEV_MODES_SHOW (DEV_MODE_BIT(DEV_MODE_EXEC) | DEV_MODE_BIT(DEV_MODE_PRIV))

/* Ordered: a session may run commands whose role is <= its own. */
enum dev_role { DEV_ROLE_VIEWER, DEV_ROLE_OPERATOR, DEV_ROLE_ADMIN };

/* "viewer", "operator", "admin"; parse returns false for anything else. */
const char *dev_role_name(enum dev_role);
bool dev_role_parse(const char *, enum dev_role *);

struct dev_args; /* the matched words of one command line */
struct dev_exec; /* one running command: output, session, completion */

/* Handler return values: 0 done, DEV_PENDING finishes later by
 * dev_exec_done(), negative = failed (the handler printed "% ..."). */
#define DEV_PENDING 1
typedef int dev_cmd_fn(struct dev_exec *, const struct dev_args *);

enum dev_cmd_flags {
	DEV_CMD_PIPE = 1 << 0,	 /* output may be filtered with "| include ..." */
	DEV_CMD_NO_AUDIT = 1 << 1, /* not written to the audit log when run (show, ping) */
	DEV_CMD_PIPE_JUNOS = 1 << 2,   /* JunOS's filters: "| match|except REGEX", "| count" */
	DEV_CMD_PIPE_COMPARE = 1 << 3, /* JunOS's "| compare": see dev_exec_compare() */
	DEV_CMD_NESTED = 1 << 4,       /* "do LINE", JunOS's "run LINE": LINE is an exec
					* command, run without leaving configuration
					* mode (the terminal does it; the handler is
					* never called) */
};
#define DEV_CMD_PIPES (DEV_CMD_PIPE | DEV_CMD_PIPE_JUNOS | DEV_CMD_PIPE_COMPARE)

struct dev_cmd {
	const char *syntax; /* see above */
	const char *help;   /* one line per token, see above */
	unsigned modes;	    /* DEV_MODE_BIT()s where it is offered */
	enum dev_role role; /* minimum role */
	unsigned flags;	    /* enum dev_cmd_flags */
	dev_cmd_fn *handler;
};

/* ---- command tables ---- */

/* A set of commands for one output style (ios, junos): parsed once,
 * shared by all sessions. */
struct dev_cmd_table;

/* Parses every syntax of 'cmds' (n entries; the array must outlive the
 * table). Returns NULL and sets '*error' to an allocated message naming
 * the bad syntax string on a declaration error (a programmer bug; tests
 * check every table). */
struct dev_cmd_table *dev_cmd_table_create(const struct dev_cmd *cmds, size_t n, char **error);
void dev_cmd_table_destroy(struct dev_cmd_table *);

/* Candidate words for a context placeholder such as IFNAME: returns a
 * NULL-terminated array owned by the callee, valid until the next call. */
typedef const char *const *dev_words_fn(void *aux, const char *placeholder);

/* The outcome of matching one line (without its "| filter" part). */
enum dev_match_result {
	DEV_MATCH_OK,
	DEV_MATCH_EMPTY,      /* blank line or a comment ("!") */
	DEV_MATCH_INCOMPLETE, /* "% Incomplete command." */
	DEV_MATCH_AMBIGUOUS,  /* "% Ambiguous command:  \"LINE\"" */
	DEV_MATCH_INVALID,    /* "% Invalid input detected at '^' marker." */
};

struct dev_match {
	enum dev_match_result result;
	size_t error_offset;	    /* INVALID: byte offset of the bad word in the line */
	const struct dev_cmd *cmd;  /* OK: the command */
	enum dev_mode mode;	    /* OK: the mode it was found in (a parent on fallback) */
	struct dev_args *args;	    /* OK: owned by the match, see dev_match_uninit() */
};

/* Matches 'line' in 'mode' (and its parents). 'words' resolves context
 * placeholders. Fills 'm'; release with dev_match_uninit(). */
void dev_cmd_match(const struct dev_cmd_table *, enum dev_mode mode, const char *line,
		   dev_words_fn *words, void *words_aux, struct dev_match *m);
void dev_match_uninit(struct dev_match *);

/* "?" help after 'line' (the text before the cursor): an allocated
 * string of "  word   help\n" lines as IOS prints them (keywords sorted,
 * "<cr>" when the line is complete), or "% Unrecognized command\n" /
 * "% Ambiguous command: ...\n". 'role' hides commands above it. */
char *dev_cmd_help(const struct dev_cmd_table *, enum dev_mode, enum dev_role role,
		   const char *line, dev_words_fn *words, void *words_aux);

/* Tab: the completion of the last (partial) word of 'line'. Returns an
 * allocated string to append (the rest of the word plus a space) when it
 * is unique, NULL when there is none or several (then the caller shows
 * dev_cmd_help()). */
char *dev_cmd_complete(const struct dev_cmd_table *, enum dev_mode, enum dev_role role,
		       const char *line, dev_words_fn *words, void *words_aux);

/* ---- arguments, for handlers ---- */

/* The value of the token named 'name' ("prefix" for A.B.C.D/M$prefix, a
 * keyword by its text, "interface" for IFNAME$interface — canonical
 * name, not the abbreviation), or NULL when the line did not have it. */
const char *dev_arg(const struct dev_args *, const char *name);
/* dev_arg() as an integer; 'dflt' when absent. */
long dev_arg_int(const struct dev_args *, const char *name, long dflt);
/* The whole line with every keyword and interface name written out in
 * full ("show ip route"), for the audit log and running-config. */
const char *dev_args_line(const struct dev_args *);

/* ---- running commands, for handlers ---- */

/* Output; lines end with '\n' (the terminal adds '\r'). */
void dev_printf(struct dev_exec *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dev_write(struct dev_exec *, const char *, size_t);

/* What the session was created with (term.h): the device context, the
 * user's name and role, the client's address. */
void *dev_exec_device(const struct dev_exec *);
const char *dev_exec_user(const struct dev_exec *);
enum dev_role dev_exec_role(const struct dev_exec *);
const char *dev_exec_source(const struct dev_exec *);

/* The mode the command runs in and its argument (interface or ACL name,
 * NULL in other modes); a handler may enter another mode. */
enum dev_mode dev_exec_mode(const struct dev_exec *);
const char *dev_exec_mode_arg(const struct dev_exec *);
void dev_exec_set_mode(struct dev_exec *, enum dev_mode, const char *arg);

/* The line ended in "| compare" (a DEV_CMD_PIPE_COMPARE command): the
 * handler prints the differences from the running configuration instead
 * of its usual output. */
bool dev_exec_compare(const struct dev_exec *);

/* Finishes a command whose handler returned DEV_PENDING ('status' as a
 * handler's return). Output may be written until then. */
void dev_exec_done(struct dev_exec *, int status);
/* Called once if the user aborts a pending command (Ctrl-C) or the
 * session closes first; after it the handler must not touch 'x' again. */
void dev_exec_on_cancel(struct dev_exec *, void (*cancel)(void *arg), void *arg);

#endif /* ONM_DEVICE_ENGINE_H */

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A device CLI session's terminal: turns the client's bytes into command
 * lines and the commands' output into what the client sees. Transport
 * independent — SSH (ssh.h) and `onm console` feed it bytes and carry its
 * output; tests drive it directly.
 *
 * Interactive sessions (a PTY) get: echo and line editing (printable
 * characters, Backspace/DEL, Ctrl-A/E/B/F/D/K/U/W, Left/Right arrows, Home/
 * End), history (Up/Down, Ctrl-P/N, "show history"), "?" help and Tab
 * completion at any point (dev_cmd_help/dev_cmd_complete), the prompt of
 * the mode ("r1>", "r1#", "r1(config)#", "r1(config-if)#",
 * "r1(config-ext-nacl)#"), "\r\n" line ends, paging with "--More--"
 * (space: next page, Enter: next line, q or Ctrl-C: stop) after
 * `terminal length N` lines (0: no paging; default: the PTY's rows - 1),
 * Ctrl-C aborts a running command, Ctrl-Z / "end" leave config modes,
 * and an idle timeout (exec-timeout) after which the user must give the
 * password again before anything else runs.
 * Exec sessions (`ssh host 'show ip route'`): one line, run, output with
 * plain "\n", no prompt, no paging, then closed with the exit status
 * (0, or 1 when the command failed or did not parse).
 *
 * Built-in commands (in every table, before the caller's): `terminal
 * length (0-512)`, `terminal width (0-512)`, `exit` (leaves the mode; in
 * exec modes ends the session), `end`, `quit`, `logout`, `enable` /
 * `disable` (exec <-> privileged; enable needs operator or above), `do
 * LINE` (an exec command from config modes), `show history`.
 * Filters after " | " on DEV_CMD_PIPE commands: include, exclude, begin,
 * count (POSIX extended regex), as IOS prints them ("Number of lines which
 * match regexp = N"); a filter on another command is invalid input at
 * the "|".
 * Every command run or denied goes to ops->audit; a command above the
 * session's role prints "% Permission denied" and runs nothing.
 *
 * Threads: the caller's only (the controller's main loop). Timers use the
 * event base given at creation.
 */
#ifndef ONM_DEVICE_TERM_H
#define ONM_DEVICE_TERM_H

#include "engine.h"

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct dev_term;

enum dev_audit_verdict {
	DEV_AUDIT_RUN,	  /* the command ran (the status says how it ended) */
	DEV_AUDIT_DENIED, /* above the session's role */
	DEV_AUDIT_LOGIN_FAILED, /* re-login after the idle timeout failed */
};

/* How a terminal reaches its transport and the rest of onm. */
struct dev_term_ops {
	/* Bytes for the client. Must not call back into the terminal. */
	void (*write)(void *io, const char *buf, size_t len);
	/* The session ends ('exit_status' for exec sessions); the terminal
	 * must be destroyed by the caller afterwards, not inside. */
	void (*close)(void *io, int exit_status);
	/* The prompt for 'mode' (NULL: IOS style from the hostname). */
	void (*prompt)(void *io, enum dev_mode mode, const char *mode_arg, char *buf,
		       size_t size);
	/* Context words for placeholders (IFNAME, ...). */
	dev_words_fn *words;
	/* The expansion of a user's alias, or NULL: an exact first word. */
	const char *(*alias)(void *io, const char *word);
	/* Checks the password on re-login after the idle timeout, then calls
	 * dev_term_password_checked() (at once, or later from the loop: an
	 * argon2id check costs ~0.1 s of CPU, best spent off the loop). Input
	 * waits meanwhile. NULL: no password is right. */
	void (*verify_password)(void *io, const char *password);
	/* One audit record: the full command line (dev_args_line when it
	 * matched, the text as typed otherwise). NULL: no audit. */
	void (*audit)(void *io, enum dev_audit_verdict, const char *line, int status);
};

struct dev_term_config {
	const struct dev_cmd_table *table; /* style's commands; outlives the terminal */
	const char *hostname;		   /* the device name, for prompts */
	const char *user;		   /* login name, for dev_exec_user() */
	const char *source;		   /* client address "IP:PORT", for the audit */
	enum dev_role role;
	enum dev_mode start_mode;	 /* EXEC or PRIV */
	bool interactive;		 /* a PTY: echo, editing, prompt, paging */
	unsigned cols, rows;		 /* the PTY's size (0: 80 x 24) */
	unsigned exec_timeout_s;	 /* idle time before re-login (0: never) */
	void *device;			 /* for dev_exec_device() */
	void *io;			 /* first argument of every op */
};

/* Creates a terminal; an interactive one writes its first prompt at once
 * (a banner may be written with dev_term_print() first). The strings of
 * 'config' are copied. */
struct dev_term *dev_term_create(struct event_base *, const struct dev_term_config *,
				 const struct dev_term_ops *);
/* Destroys it; a pending command gets its cancel call. NULL is fine. */
void dev_term_destroy(struct dev_term *);

/* Bytes the client typed (interactive) or sent. */
void dev_term_input(struct dev_term *, const char *buf, size_t len);
/* The answer to ops->verify_password: back to the prompt, or another try
 * (after RELOGIN_TRIES wrong ones the session ends). */
void dev_term_password_checked(struct dev_term *, bool ok);
/* The client's window changed. */
void dev_term_resize(struct dev_term *, unsigned cols, unsigned rows);
/* Exec sessions: runs one command line, writes its output, then closes
 * the session through ops->close with its status. */
void dev_term_exec(struct dev_term *, const char *line);
/* Text to the client outside any command (banners, "% Session closed"). */
void dev_term_print(struct dev_term *, const char *text);

/* Updates what the session shows and may do (hostname after a rename,
 * role after a model change, exec-timeout after `exec-timeout N`). */
void dev_term_set_hostname(struct dev_term *, const char *hostname);
void dev_term_set_role(struct dev_term *, enum dev_role);
void dev_term_set_exec_timeout(struct dev_term *, unsigned seconds);

#endif /* ONM_DEVICE_TERM_H */

// SPDX-License-Identifier: Apache-2.0
/*
 * A device CLI session's terminal (see term.h).
 *
 * Bytes from the client go into one input queue and are taken from it one
 * at a time by pump(): a key decoder turns escape sequences into keys, and
 * the key goes to whoever owns the keyboard at that moment — the line
 * editor at the prompt, the pager at "--More--", the password reader
 * after the idle timeout. While a command runs (a handler returned
 * DEV_PENDING) nothing is taken from the queue, so what the user types
 * meanwhile runs after it (type-ahead); only Ctrl-C is looked for on
 * arrival, to abort the command.
 *
 * A command's output goes: handler -> filter (line by line, when the line
 * had "| include ...") -> pager (counts lines; holds everything after a
 * full page until a key) -> '\n' to "\r\n" -> ops->write. The prompt comes
 * back only once the command has ended and the pager has shown all.
 *
 * The running command is a 'struct dev_exec'. If the user aborts it or
 * the session goes away first, its cancel callback is called and it is
 * freed; a handler that registered no callback cannot know, so its exec
 * is only detached and freed when the handler calls dev_exec_done().
 */
#include "term.h"

#include "engine-private.h"
#include "onm/ds.h"
#include "onm/util.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_SIZE 1024	       /* longest command line, bytes */
#define HISTORY_SIZE 20	       /* lines kept per session */
#define QUEUE_SIZE 8192	       /* type-ahead kept, bytes */
#define PASSWORD_SIZE 128      /* longest password read on re-login, bytes */
#define RELOGIN_TRIES 3	       /* wrong passwords before the session closes */
#define REGEX_SIZE 256	       /* longest filter expression, bytes */
#define REGEX_NODES 4096       /* bound on a filter's compiled size (see regex_cost) */
#define FILTER_LINE_SIZE 65536 /* longer output lines are filtered in pieces */
#define PROMPT_SIZE 128

static const char more_prompt[] = " --More-- ";
/* Back over " --More-- ", blank it, and back again, as IOS does. */
static const char more_erase[] = "\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b";

enum term_state {
	TS_LINE,    /* the prompt, or a command running */
	TS_RELOGIN, /* reading the password after the idle timeout */
	TS_CHECKING, /* ... which is being checked: input waits */
	TS_CLOSED,  /* ops->close was called */
};

/* Keys other than single bytes (which are their own value). */
enum {
	KEY_UP = 256,
	KEY_DOWN,
	KEY_LEFT,
	KEY_RIGHT,
	KEY_HOME,
	KEY_END,
	KEY_DELETE,
	KEY_WORD_LEFT,
	KEY_WORD_RIGHT,
	KEY_NONE, /* a sequence that means nothing here */
};

enum esc_state { ESC_NONE, ESC_ESC, ESC_CSI, ESC_SS3 };

struct dev_exec {
	struct dev_term *term; /* NULL once detached (see the file comment) */
	const struct dev_cmd *cmd;
	struct dev_match match; /* owns the arguments */
	enum dev_mode mode;
	char *mode_arg;
	bool nested;	 /* run by "do": mode changes stay in the command */
	bool compare;	 /* the line ended in "| compare" */
	bool in_handler; /* the handler has not returned yet */
	bool done;	 /* dev_exec_done() was called inside the handler */
	bool cancelling; /* the cancel callback runs or ran */
	bool detach;	 /* no cancel callback: detach instead of freeing */
	int status;	 /* from dev_exec_done() inside the handler */
	void (*cancel)(void *);
	void *cancel_arg;
	void *device;
	enum dev_role role;
	const char *user, *source; /* the session's, "" once detached */
};

struct dev_term {
	struct event_base *base;
	struct dev_term_ops ops;
	void *io;
	const struct dev_cmd_table *table;
	char *hostname, *user, *source;
	void *device;
	enum dev_role role;
	bool interactive;  /* echo, editing, prompt, paging, "\r\n" */
	bool exec_session; /* dev_term_exec(): close when the command ends */
	enum term_state state;
	enum dev_mode mode;
	char *mode_arg; /* interface or ACL name of the sub-mode */
	unsigned cols, rows;
	unsigned length; /* lines per page, 0: no paging */
	bool length_set; /* by `terminal length`: resizes keep it */
	unsigned width;	 /* `terminal width` (kept, not used for wrapping) */

	/* The line editor. */
	char line[LINE_SIZE + 1];
	size_t len, cur;   /* bytes in 'line', cursor offset */
	size_t prompt_len; /* of the prompt shown, for the caret */
	enum esc_state esc;
	char csi[16]; /* parameters of the escape sequence */
	size_t csi_len;
	bool cr_pending; /* '\r' seen: a '\n' or NUL after it is the same Enter */

	/* History, oldest first. */
	char *hist[HISTORY_SIZE];
	size_t n_hist, hist_pos; /* hist_pos == n_hist: the line being typed */
	char *hist_saved;	 /* the line being typed while browsing */

	/* Input not taken yet. */
	struct ds queue;
	size_t qpos;
	bool pumping;

	/* The running command and its output. */
	struct dev_exec *x;
	bool ending; /* it ended; the pager still holds output */
	int status;  /* how the last line ended */
	enum dev_filter filter;
	regex_t re;
	bool begun;	     /* "begin" has matched; "section": in a matching section */
	unsigned long count; /* "count" matches */
	struct ds fline;     /* filtered output: the partial line */
	bool out_stopped;    /* 'q' at --More--: drop the rest */
	bool paused;	     /* at --More-- */
	struct ds held;	     /* output after the page */
	unsigned page_lines; /* lines shown of this page */
	bool at_bol;	     /* the client's cursor is at a line start */
	bool last_cr;	     /* the last text byte was '\r' */

	/* Idle timeout and re-login. */
	unsigned exec_timeout_s;
	struct event *idle;
	char pw[PASSWORD_SIZE + 1];
	size_t pw_len;
	unsigned pw_failures;
};

static void pump(struct dev_term *);
static void command_end(struct dev_term *, int status);
static void show_prompt(struct dev_term *);

/* ---- output ---- */

/* Bytes to the client as they are. */
static void out_raw(struct dev_term *t, const char *s, size_t len)
{
	if (!len || t->state == TS_CLOSED)
		return;
	t->ops.write(t->io, s, len);
	t->at_bol = s[len - 1] == '\n';
}

static void out_str(struct dev_term *t, const char *s)
{
	out_raw(t, s, strlen(s));
}

static void out_repeat(struct dev_term *t, char c, size_t n)
{
	char buf[64];

	memset(buf, c, sizeof buf);
	while (n) {
		size_t k = n < sizeof buf ? n : sizeof buf;

		out_raw(t, buf, k);
		n -= k;
	}
}

/* Text to the client: '\n' becomes "\r\n" on a PTY. */
static void out_text(struct dev_term *t, const char *s, size_t len)
{
	size_t start = 0;

	if (!t->interactive) {
		out_raw(t, s, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && !(i ? s[i - 1] == '\r' : t->last_cr)) {
			out_raw(t, s + start, i - start);
			out_raw(t, "\r\n", 2);
			start = i + 1;
		}
	}
	out_raw(t, s + start, len - start);
	if (len)
		t->last_cr = s[len - 1] == '\r';
}

static void out_textz(struct dev_term *t, const char *s)
{
	out_text(t, s, strlen(s));
}

static void beep(struct dev_term *t)
{
	if (t->interactive)
		out_raw(t, "\a", 1);
}

/* ---- the pager ---- */

/* Command output after the filter: shown until the page is full, held
 * after that. */
static void pager_out(struct dev_term *t, const char *s, size_t len)
{
	if (t->out_stopped || !len)
		return;
	if (!t->interactive || !t->length) {
		out_text(t, s, len);
		return;
	}
	if (t->paused) {
		ds_put_buffer(&t->held, s, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (t->page_lines >= t->length) {
			out_text(t, s, i);
			ds_put_buffer(&t->held, s + i, len - i);
			t->paused = true;
			out_str(t, more_prompt);
			return;
		}
		if (s[i] == '\n')
			t->page_lines++;
	}
	out_text(t, s, len);
}

static void after_command(struct dev_term *);

/* Shows what the pager holds, up to the next full page. */
static void pager_resume(struct dev_term *t)
{
	struct ds held = t->held;

	ds_init(&t->held);
	t->paused = false;
	pager_out(t, held.string, held.length);
	ds_destroy(&held);
	if (!t->paused && t->ending)
		after_command(t);
}

static void cancel_command(struct dev_term *);

/* 'q' at --More--, or the idle timeout: the rest of the output goes, and
 * so does the command if it still runs. */
static void stop_output(struct dev_term *t)
{
	ds_clear(&t->held);
	t->paused = false;
	t->out_stopped = true;
	if (t->x)
		cancel_command(t);
	else if (t->ending)
		after_command(t);
}

/* Erases " --More-- ": the cursor is back at the start of its line. */
static void more_clear(struct dev_term *t)
{
	out_str(t, more_erase);
	t->at_bol = true;
}

static void pager_key(struct dev_term *t, int key)
{
	if (key == ' ' || key == '\r' || key == '\n') {
		more_clear(t);
		t->page_lines = key == ' ' ? 0 : t->length - 1;
		pager_resume(t);
	} else if (key == 'q' || key == 'Q' || key == 0x03) {
		more_clear(t);
		stop_output(t);
	} else if (key >= 0x20 && key < 0x7f) {
		/* As IOS: another key ends the output and starts the next line. */
		more_clear(t);
		t->qpos--;
		stop_output(t);
	}
}

/* ---- filters ---- */

static void filter_line(struct dev_term *t, const char *line, size_t len)
{
	bool m = t->filter == DEV_FILTER_COUNT_LINES || !regexec(&t->re, line, 0, NULL, 0);

	switch (t->filter) {
	case DEV_FILTER_INCLUDE:
		break;
	case DEV_FILTER_EXCLUDE:
		m = !m;
		break;
	case DEV_FILTER_BEGIN:
		t->begun |= m;
		m = t->begun;
		break;
	case DEV_FILTER_SECTION:
		/* 'begun': inside a section whose first line matched. */
		if (len && line[0] != ' ')
			t->begun = m;
		m = t->begun;
		break;
	case DEV_FILTER_COUNT:
	case DEV_FILTER_COUNT_LINES:
		t->count += m;
		return;
	case DEV_FILTER_NONE:
	case DEV_FILTER_COMPARE:
		m = true;
		break;
	}
	if (m) {
		pager_out(t, line, len);
		pager_out(t, "\n", 1);
	}
}

/* Output of the running command. */
static void cmd_out(struct dev_term *t, const char *s, size_t len)
{
	if (t->out_stopped)
		return;
	if (t->filter == DEV_FILTER_NONE) {
		pager_out(t, s, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' || t->fline.length >= FILTER_LINE_SIZE) {
			filter_line(t, ds_cstr(&t->fline), t->fline.length);
			ds_clear(&t->fline);
		}
		if (s[i] != '\n')
			ds_put_char(&t->fline, s[i]);
	}
}

/* The command ended: the last partial line, count's total. */
static void filter_finish(struct dev_term *t)
{
	if (t->filter == DEV_FILTER_NONE)
		return;
	if (!t->out_stopped) {
		if (t->fline.length)
			filter_line(t, ds_cstr(&t->fline), t->fline.length);
		if (t->filter == DEV_FILTER_COUNT || t->filter == DEV_FILTER_COUNT_LINES) {
			char buf[64];
			int n = snprintf(buf, sizeof buf,
					 t->filter == DEV_FILTER_COUNT
					     ? "Number of lines which match regexp = %lu\n"
					     : "Count: %lu lines\n",
					 t->count);

			pager_out(t, buf, (size_t)n);
		}
	}
	if (t->filter != DEV_FILTER_COUNT_LINES)
		regfree(&t->re);
	t->filter = DEV_FILTER_NONE;
	t->begun = false;
	t->count = 0;
	ds_clear(&t->fline);
}

/* Skips a bracket expression ("[a-z]", "[]a]", "[^]a]", "[[:alpha:]]")
 * that starts at 'p'; returns its closing ']', or NULL. */
static const char *skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (p[0] == '[' && p[1] && strchr(":.=", p[1])) {
			char close[3] = {p[1], ']', '\0'};
			const char *end = strstr(p + 2, close);

			if (!end)
				return NULL;
			p = end + 2;
		} else {
			p++;
		}
	}
	return *p ? p : NULL;
}

/* Parses an interval "{m}", "{m,}" or "{m,n}" at 'p' into the most copies
 * it asks for; returns its closing '}', or NULL. */
static const char *parse_interval(const char *p, unsigned long *copies)
{
	unsigned long m, n;
	char *end;

	if (!isdigit((unsigned char)p[1]))
		return NULL;
	m = n = strtoul(p + 1, &end, 10);
	if (*end == ',') {
		if (isdigit((unsigned char)end[1])) {
			n = strtoul(end + 1, &end, 10);
		} else {
			n = m + 1; /* "{m,}": m copies and a star */
			end++;
		}
	}
	if (*end != '}' || n < m)
		return NULL;
	*copies = n;
	return end;
}

/* A bound on the nodes glibc's regcomp() builds for 're', or SIZE_MAX
 * when it is past 'budget' or malformed. regcomp copies a sub-expression
 * for '+' (x+ is x x*) and for "{m,n}" (n copies), so stacked quantifiers
 * grow exponentially: "a+++++..." (found by fuzz-cli) takes gigabytes.
 * Each element counts 1, a group the sum of its parts, and a quantifier
 * multiplies the element before it. 're' has at most REGEX_SIZE bytes. */
static size_t regex_cost(const char *re, size_t budget)
{
	size_t sum[REGEX_SIZE + 1], last[REGEX_SIZE + 1], depth = 0;

	sum[0] = last[0] = 0;
	for (const char *p = re; *p; p++) {
		unsigned long factor;

		switch (*p) {
		case '(':
			depth++;
			sum[depth] = last[depth] = 0;
			continue;
		case ')':
			if (!depth)
				return SIZE_MAX;
			depth--;
			last[depth] = sum[depth + 1];
			sum[depth] += sum[depth + 1];
			continue;
		case '|':
			last[depth] = 0;
			continue;
		case '*':
		case '?':
			continue;
		case '+':
			factor = 2;
			break;
		case '{':
			p = parse_interval(p, &factor);
			if (!p || factor > budget)
				return SIZE_MAX;
			factor++;
			break;
		case '[':
			p = skip_bracket(p);
			if (!p)
				return SIZE_MAX;
			last[depth] = 1;
			sum[depth]++;
			continue;
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			last[depth] = 1;
			sum[depth]++;
			continue;
		}
		/* The quantified element counts 'factor' times. */
		if (last[depth] > budget / factor)
			return SIZE_MAX;
		sum[depth] += last[depth] * (factor - 1);
		last[depth] *= factor;
		if (sum[depth] > budget)
			return SIZE_MAX;
	}
	return depth ? SIZE_MAX : sum[0];
}

/* Compiles the filter's expression; false (nothing to free) when bad or
 * too costly. Back-references are refused: they make matching exponential. */
static bool filter_start(struct dev_term *t, enum dev_filter f, const char *regex)
{
	if (f == DEV_FILTER_COUNT_LINES) {
		t->filter = f;
		t->count = 0;
		ds_clear(&t->fline);
		return true;
	}
	if (strlen(regex) > REGEX_SIZE || regex_cost(regex, REGEX_NODES) == SIZE_MAX)
		return false;
	for (const char *p = regex; *p; p++)
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			return false;
	if (regcomp(&t->re, regex, REG_EXTENDED | REG_NOSUB))
		return false;
	t->filter = f;
	t->begun = false;
	t->count = 0;
	ds_clear(&t->fline);
	return true;
}

/* ---- sessions ---- */

static void prompt_text(struct dev_term *t, char *buf, size_t size)
{
	static const char *const suffix[DEV_MODE_N] = {
	    [DEV_MODE_EXEC] = ">",
	    [DEV_MODE_PRIV] = "#",
	    [DEV_MODE_CONFIG] = "(config)#",
	    [DEV_MODE_CONFIG_IF] = "(config-if)#",
	    [DEV_MODE_CONFIG_ACL] = "(config-ext-nacl)#",
	};

	buf[0] = '\0';
	if (t->ops.prompt)
		t->ops.prompt(t->io, t->mode, t->mode_arg, buf, size);
	else
		snprintf(buf, size, "%s%s", t->hostname, suffix[t->mode]);
	buf[size - 1] = '\0';
}

static void set_mode(struct dev_term *t, enum dev_mode mode, const char *arg)
{
	char *copy = arg ? xstrdup(arg) : NULL;

	free(t->mode_arg);
	t->mode_arg = copy;
	t->mode = mode;
}

static void idle_arm(struct dev_term *t)
{
	struct timeval tv = {.tv_sec = t->exec_timeout_s};

	if (!t->idle)
		return;
	if (t->exec_timeout_s && t->state != TS_CLOSED)
		evtimer_add(t->idle, &tv);
	else
		evtimer_del(t->idle);
}

/* Ends the session: ops->close, then nothing more is written. */
static void term_close(struct dev_term *t, int status)
{
	if (t->state == TS_CLOSED)
		return;
	t->state = TS_CLOSED;
	if (t->idle)
		evtimer_del(t->idle);
	t->ops.close(t->io, status);
}

static void audit(struct dev_term *t, enum dev_audit_verdict v, const char *line, int status)
{
	if (t->ops.audit)
		t->ops.audit(t->io, v, line, status);
}

/* ---- running commands ---- */

static void exec_free(struct dev_exec *x)
{
	dev_match_uninit(&x->match);
	free(x->mode_arg);
	free(x);
}

/* The line or the command ended: prompt (or close an exec session). */
static void after_command(struct dev_term *t)
{
	t->ending = false;
	t->out_stopped = false;
	if (t->state != TS_LINE)
		return;
	if (t->exec_session)
		term_close(t, t->status != 0);
	else if (t->interactive)
		show_prompt(t);
}

/* The running command ended with 'status' (a handler's return). */
static void command_end(struct dev_term *t, int status)
{
	struct dev_exec *x = t->x;

	t->x = NULL;
	if (!(x->cmd->flags & DEV_CMD_NO_AUDIT))
		audit(t, DEV_AUDIT_RUN, dev_args_line(x->match.args), status);
	filter_finish(t);
	t->status = status;
	if (x->detach) {
		x->term = NULL;
		x->user = x->source = "";
	} else {
		exec_free(x);
	}
	t->ending = true;
	if (!t->paused)
		after_command(t);
}

/* Ctrl-C, 'q' at --More--, idle timeout: the command is aborted. */
static void cancel_command(struct dev_term *t)
{
	struct dev_exec *x = t->x;

	if (x->cancel) {
		x->cancelling = true;
		x->cancel(x->cancel_arg);
	} else {
		x->detach = true;
	}
	command_end(t, -ECANCELED);
}

static void run_command(struct dev_term *t, struct dev_match *m, bool nested, bool compare)
{
	struct dev_exec *x = xzalloc(sizeof *x);
	int rc;

	x->term = t;
	x->cmd = m->cmd;
	x->match = *m;
	memset(m, 0, sizeof *m);
	x->nested = nested;
	x->compare = compare;
	x->mode = nested ? DEV_MODE_PRIV : t->mode;
	x->mode_arg = !nested && t->mode_arg ? xstrdup(t->mode_arg) : NULL;
	x->device = t->device;
	x->role = t->role;
	x->user = t->user;
	x->source = t->source;
	t->x = x;
	t->page_lines = 0;

	x->in_handler = true;
	rc = x->cmd->handler(x, x->match.args);
	x->in_handler = false;
	if (rc == DEV_PENDING && !x->done)
		return;
	command_end(t, x->done ? x->status : rc);
}

/* Maps offsets in a line whose first word an alias replaced back to the
 * line as typed. */
struct alias_map {
	size_t at;	 /* offset of the first word */
	size_t word_len; /* as typed */
	size_t repl_len; /* its replacement */
};

static size_t alias_unmap(const struct alias_map *a, size_t off)
{
	if (off < a->at)
		return off;
	if (off < a->at + a->repl_len)
		return a->at;
	return off - a->repl_len + a->word_len;
}

/* 'typed' with its first word replaced by the user's alias, if any. */
static char *alias_expand(struct dev_term *t, const char *typed, struct alias_map *a)
{
	const char *w = typed, *repl;
	char *word;

	memset(a, 0, sizeof *a);
	while (*w == ' ' || *w == '\t')
		w++;
	a->at = (size_t)(w - typed);
	while (w[a->word_len] && w[a->word_len] != ' ' && w[a->word_len] != '\t')
		a->word_len++;
	if (!t->ops.alias || !a->word_len)
		goto none;
	word = xmemdup0(w, a->word_len);
	repl = t->ops.alias(t->io, word);
	free(word);
	if (!repl || strlen(repl) > LINE_SIZE)
		goto none;
	a->repl_len = strlen(repl);
	return xasprintf("%.*s%s%s", (int)a->at, typed, repl, w + a->word_len);
none:
	a->word_len = a->repl_len = 0;
	return xstrdup(typed);
}

static void line_incomplete(struct dev_term *t);

/* A blank line or a comment: nothing runs, the prompt comes back. */
static void line_done(struct dev_term *t)
{
	t->status = 0;
	after_command(t);
}

/* A line that did not run: the message, then the prompt. */
static void line_failed(struct dev_term *t, const char *msg)
{
	out_textz(t, msg);
	t->status = 1;
	after_command(t);
}

/* "% Invalid input" with the caret under byte 'off' of 'typed'. */
static void line_invalid(struct dev_term *t, const char *typed, size_t off)
{
	bool echoed = t->interactive && !t->exec_session;

	if (!echoed) {
		out_textz(t, typed);
		out_text(t, "\n", 1);
	}
	out_repeat(t, ' ', (echoed ? t->prompt_len : 0) + off);
	line_failed(t, echoed ? "^\n% Invalid input detected at '^' marker.\n\n"
			      : "^\n% Invalid input detected at '^' marker.\n");
}

/* IOS leaves a blank line after this one at the prompt. */
static void line_incomplete(struct dev_term *t)
{
	line_failed(t, t->interactive && !t->exec_session ? "% Incomplete command.\n\n"
							  : "% Incomplete command.\n");
}

static bool is_config_mode(enum dev_mode m)
{
	return m == DEV_MODE_CONFIG || m == DEV_MODE_CONFIG_IF || m == DEV_MODE_CONFIG_ACL;
}

/* Offset of what follows the first word of 'line'. */
static size_t nested_offset(const char *line)
{
	size_t i = 0;

	while (line[i] == ' ' || line[i] == '\t')
		i++;
	while (line[i] && line[i] != ' ' && line[i] != '\t')
		i++;
	while (line[i] == ' ' || line[i] == '\t')
		i++;
	return i;
}

/* In config modes, the offset of what follows the first word of 'text'
 * when that word is a DEV_CMD_NESTED command ("do", JunOS's "run"), whose
 * help and completion are the exec commands'; else 0. */
static size_t nested_prefix(const struct dev_term *t, const char *text)
{
	size_t off = nested_offset(text), end = off;
	struct dev_match m;
	bool nested;
	char *probe;

	if (!is_config_mode(t->mode))
		return 0;
	while (end && (text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	if (end == off) /* no blank after the first word yet */
		return 0;
	probe = xasprintf("%.*s x", (int)end, text);
	dev_cmd_match(t->table, t->mode, probe, t->ops.words, t->io, &m);
	nested = m.result == DEV_MATCH_OK && (m.cmd->flags & DEV_CMD_NESTED);
	dev_match_uninit(&m);
	free(probe);
	return nested ? off : 0;
}

enum {
	B_TERMINAL_LENGTH,
	B_TERMINAL_WIDTH,
	B_EXIT_EXEC,
	B_EXIT_CONFIG,
	B_END,
	B_QUIT,
	B_LOGOUT,
	B_ENABLE,
	B_DISABLE,
	B_DO,
	B_SHOW_HISTORY,
	B_N
};

/* Runs one line as typed (prompt already shown and echoed, or an exec
 * session's line). */
static void run_line(struct dev_term *t, const char *typed)
{
	struct alias_map amap;
	char *line = alias_expand(t, typed, &amap), *cmdline;
	size_t pipe = dev_line_pipe_offset(line), base = 0, foff;
	enum dev_filter filter = DEV_FILTER_NONE;
	const char *regex = NULL;
	struct dev_match m;
	bool nested = false;

	cmdline = pipe == SIZE_MAX ? xstrdup(line) : xmemdup0(line, pipe);
	dev_cmd_match(t->table, t->mode, cmdline, t->ops.words, t->io, &m);
	if (m.result == DEV_MATCH_OK && (m.cmd->flags & DEV_CMD_NESTED)) {
		/* "do LINE": an exec command, run without leaving config. */
		base = nested_offset(cmdline);
		dev_match_uninit(&m);
		dev_cmd_match(t->table, DEV_MODE_PRIV, cmdline + base, t->ops.words, t->io, &m);
		nested = true;
	}
	switch (m.result) {
	case DEV_MATCH_EMPTY:
		if (pipe != SIZE_MAX)
			line_invalid(t, typed, alias_unmap(&amap, pipe));
		else
			line_done(t);
		goto out;
	case DEV_MATCH_INCOMPLETE:
		line_incomplete(t);
		goto out;
	case DEV_MATCH_AMBIGUOUS: {
		char *msg;
		size_t n = strlen(typed);

		while (n && (typed[n - 1] == ' ' || typed[n - 1] == '\t'))
			n--;
		msg = xasprintf("%% Ambiguous command:  \"%.*s\"\n", (int)n, typed);
		line_failed(t, msg);
		free(msg);
		goto out;
	}
	case DEV_MATCH_INVALID:
		line_invalid(t, typed, alias_unmap(&amap, base + m.error_offset));
		goto out;
	case DEV_MATCH_OK:
		break;
	}
	if (pipe != SIZE_MAX) {
		if (!(m.cmd->flags & DEV_CMD_PIPES)) {
			line_invalid(t, typed, alias_unmap(&amap, pipe));
			goto out;
		}
		switch (dev_filter_parse(line + pipe + 1, m.cmd->flags, &filter, &regex, &foff)) {
		case DEV_MATCH_OK:
			/* JunOS takes a pattern in quotes ("a|b c"). */
			if (regex && regex[0] == '"' && (m.cmd->flags & DEV_CMD_PIPE_JUNOS) &&
			    strlen(regex) >= 2 && regex[strlen(regex) - 1] == '"') {
				char *unquoted = line + (regex - line) + 1;

				unquoted[strlen(unquoted) - 1] = '\0';
				regex = unquoted;
			}
			break;
		case DEV_MATCH_INVALID:
			line_invalid(t, typed, alias_unmap(&amap, pipe + 1 + foff));
			goto out;
		default:
			line_incomplete(t);
			goto out;
		}
	}
	if (m.cmd->role > t->role) {
		audit(t, DEV_AUDIT_DENIED, dev_args_line(m.args), -EPERM);
		line_failed(t, "% Permission denied\n");
		goto out;
	}
	if (filter != DEV_FILTER_NONE && filter != DEV_FILTER_COMPARE &&
	    !filter_start(t, filter, regex)) {
		line_failed(t, "% Invalid regular expression\n");
		goto out;
	}
	/* A parent mode's command leaves the sub-mode, as on IOS. */
	if (!nested && m.mode != t->mode)
		set_mode(t, m.mode, NULL);
	run_command(t, &m, nested, filter == DEV_FILTER_COMPARE);
out:
	dev_match_uninit(&m);
	free(cmdline);
	free(line);
}

/* ---- the line editor ---- */

static void cursor_back(struct dev_term *t, size_t n)
{
	out_repeat(t, '\b', n);
}

/* Shows the prompt and the line on a fresh line, cursor in place. */
static void show_prompt(struct dev_term *t)
{
	char prompt[PROMPT_SIZE];

	if (!t->at_bol)
		out_raw(t, "\r\n", 2);
	prompt_text(t, prompt, sizeof prompt);
	t->prompt_len = strlen(prompt);
	out_str(t, prompt);
	out_raw(t, t->line, t->len);
	cursor_back(t, t->len - t->cur);
}

/* Rewrites the current line in place. */
static void redraw(struct dev_term *t)
{
	char prompt[PROMPT_SIZE];

	prompt_text(t, prompt, sizeof prompt);
	t->prompt_len = strlen(prompt);
	out_raw(t, "\r", 1);
	out_str(t, prompt);
	out_raw(t, t->line, t->len);
	out_raw(t, "\x1b[K", 3);
	cursor_back(t, t->len - t->cur);
}

static void move_to(struct dev_term *t, size_t pos)
{
	if (pos < t->cur)
		cursor_back(t, t->cur - pos);
	else
		out_raw(t, t->line + t->cur, pos - t->cur);
	t->cur = pos;
}

static void insert(struct dev_term *t, const char *s, size_t n)
{
	if (t->len + n > LINE_SIZE) {
		beep(t);
		return;
	}
	memmove(t->line + t->cur + n, t->line + t->cur, t->len - t->cur);
	memcpy(t->line + t->cur, s, n);
	t->len += n;
	t->cur += n;
	out_raw(t, t->line + t->cur - n, t->len - t->cur + n);
	cursor_back(t, t->len - t->cur);
}

/* Deletes bytes [from, to) of the line. */
static void delete_range(struct dev_term *t, size_t from, size_t to)
{
	if (from >= to)
		return;
	memmove(t->line + from, t->line + to, t->len - to);
	t->len -= to - from;
	t->cur = from;
	redraw(t);
}

static size_t word_left(const struct dev_term *t)
{
	size_t i = t->cur;

	while (i && t->line[i - 1] == ' ')
		i--;
	while (i && t->line[i - 1] != ' ')
		i--;
	return i;
}

static size_t word_right(const struct dev_term *t)
{
	size_t i = t->cur;

	while (i < t->len && t->line[i] == ' ')
		i++;
	while (i < t->len && t->line[i] != ' ')
		i++;
	return i;
}

static void set_line(struct dev_term *t, const char *s)
{
	size_t n = strlen(s);

	t->len = t->cur = n < LINE_SIZE ? n : LINE_SIZE;
	memcpy(t->line, s, t->len);
	redraw(t);
}

static void history_add(struct dev_term *t, const char *line)
{
	const char *p = line;

	while (*p == ' ')
		p++;
	if (*p && !(t->n_hist && !strcmp(t->hist[t->n_hist - 1], line))) {
		if (t->n_hist == HISTORY_SIZE) {
			free(t->hist[0]);
			memmove(t->hist, t->hist + 1, (HISTORY_SIZE - 1) * sizeof *t->hist);
			t->n_hist--;
		}
		t->hist[t->n_hist++] = xstrdup(line);
	}
	t->hist_pos = t->n_hist;
	free(t->hist_saved);
	t->hist_saved = NULL;
}

static void history_move(struct dev_term *t, bool up)
{
	if (up ? !t->hist_pos : t->hist_pos >= t->n_hist) {
		beep(t);
		return;
	}
	if (up && t->hist_pos == t->n_hist) {
		free(t->hist_saved);
		t->hist_saved = xmemdup0(t->line, t->len);
	}
	t->hist_pos += up ? -1 : 1;
	set_line(t, t->hist_pos < t->n_hist ? t->hist[t->hist_pos]
		    : t->hist_saved	    ? t->hist_saved
					    : "");
}

static void enter(struct dev_term *t)
{
	char *line = xmemdup0(t->line, t->len);

	out_raw(t, "\r\n", 2);
	t->len = t->cur = 0;
	history_add(t, line);
	run_line(t, line);
	free(line);
}

/* "?": help for the text before the cursor, then the line again. */
static void help(struct dev_term *t)
{
	char *text = xmemdup0(t->line, t->cur), *h;
	size_t off = nested_prefix(t, text);

	/* At the end of the line the '?' shows; in the middle it would
	 * overwrite a character, so the line is just left as it is. */
	if (t->cur == t->len)
		out_raw(t, "?", 1);
	else
		out_raw(t, t->line + t->cur, t->len - t->cur);
	out_text(t, "\n", 1);
	h = dev_cmd_help(t->table, off ? DEV_MODE_PRIV : t->mode, t->role, text + off, t->ops.words,
			 t->io);
	out_textz(t, h);
	show_prompt(t);
	free(h);
	free(text);
}

static void complete(struct dev_term *t)
{
	char *text = xmemdup0(t->line, t->cur), *c;
	size_t off = nested_prefix(t, text);

	c = dev_cmd_complete(t->table, off ? DEV_MODE_PRIV : t->mode, t->role, text + off,
			     t->ops.words, t->io);
	if (c)
		insert(t, c, strlen(c));
	else
		beep(t);
	free(c);
	free(text);
}

/* Ctrl-Z (and Ctrl-C) in config modes: back to privileged mode. */
static void leave_config(struct dev_term *t, const char *echo)
{
	out_str(t, echo);
	out_raw(t, "\r\n", 2);
	t->len = t->cur = 0;
	t->hist_pos = t->n_hist;
	set_mode(t, DEV_MODE_PRIV, NULL);
	show_prompt(t);
}

static void edit_key(struct dev_term *t, int key)
{
	switch (key) {
	case '\r':
	case '\n':
		enter(t);
		break;
	case '?':
		help(t);
		break;
	case '\t':
		complete(t);
		break;
	case 0x01: /* Ctrl-A */
	case KEY_HOME:
		move_to(t, 0);
		break;
	case 0x05: /* Ctrl-E */
	case KEY_END:
		move_to(t, t->len);
		break;
	case 0x02: /* Ctrl-B */
	case KEY_LEFT:
		if (t->cur)
			move_to(t, t->cur - 1);
		break;
	case 0x06: /* Ctrl-F */
	case KEY_RIGHT:
		if (t->cur < t->len)
			move_to(t, t->cur + 1);
		break;
	case KEY_WORD_LEFT:
		move_to(t, word_left(t));
		break;
	case KEY_WORD_RIGHT:
		move_to(t, word_right(t));
		break;
	case 0x08: /* Backspace */
	case 0x7f:
		if (t->cur == t->len && t->cur) {
			t->len = --t->cur;
			out_raw(t, "\b \b", 3);
		} else if (t->cur) {
			delete_range(t, t->cur - 1, t->cur);
		}
		break;
	case 0x04: /* Ctrl-D */
	case KEY_DELETE:
		delete_range(t, t->cur, t->cur + (t->cur < t->len));
		break;
	case 0x0b: /* Ctrl-K */
		t->len = t->cur;
		out_raw(t, "\x1b[K", 3);
		break;
	case 0x15: /* Ctrl-U */
	case 0x18: /* Ctrl-X */
		delete_range(t, 0, t->cur);
		break;
	case 0x17: /* Ctrl-W */
		delete_range(t, word_left(t), t->cur);
		break;
	case 0x10: /* Ctrl-P */
	case KEY_UP:
		history_move(t, true);
		break;
	case 0x0e: /* Ctrl-N */
	case KEY_DOWN:
		history_move(t, false);
		break;
	case 0x0c: /* Ctrl-L */
	case 0x12: /* Ctrl-R */
		out_raw(t, "\r\n", 2);
		show_prompt(t);
		break;
	case 0x03: /* Ctrl-C */
		if (is_config_mode(t->mode)) {
			leave_config(t, "^C");
		} else {
			out_raw(t, "^C\r\n", 4);
			t->len = t->cur = 0;
			t->hist_pos = t->n_hist;
			show_prompt(t);
		}
		break;
	case 0x1a: /* Ctrl-Z */
		if (is_config_mode(t->mode))
			leave_config(t, "^Z");
		break;
	default:
		if (key >= 0x20 && key < 0x7f) {
			char c = (char)key;

			insert(t, &c, 1);
		}
		break;
	}
}

/* Without a PTY: lines, no echo, no editing. */
static void plain_key(struct dev_term *t, int key)
{
	if (key == '\r' || key == '\n') {
		char *line = xmemdup0(t->line, t->len);

		t->len = t->cur = 0;
		run_line(t, line);
		free(line);
	} else if (((key >= 0x20 && key < 0x7f) || key == '\t') && t->len < LINE_SIZE) {
		t->line[t->len++] = key == '\t' ? ' ' : (char)key;
	}
}

/* ---- idle timeout, re-login ---- */

/* Enter after the password: it goes to be checked. */
static void relogin_check(struct dev_term *t)
{
	t->pw[t->pw_len] = '\0';
	t->state = TS_CHECKING;
	if (t->ops.verify_password)
		t->ops.verify_password(t->io, t->pw);
	else
		dev_term_password_checked(t, false);
	explicit_bzero(t->pw, sizeof t->pw);
	t->pw_len = 0;
}

void dev_term_password_checked(struct dev_term *t, bool ok)
{
	if (!t || t->state != TS_CHECKING)
		return;
	t->state = TS_RELOGIN;
	out_raw(t, "\r\n", 2);
	if (ok) {
		t->state = TS_LINE;
		t->pw_failures = 0;
		show_prompt(t);
	} else {
		audit(t, DEV_AUDIT_LOGIN_FAILED, "login", -EACCES);
		if (++t->pw_failures >= RELOGIN_TRIES) {
			out_str(t, "% Bad passwords\r\n");
			term_close(t, 1);
		} else {
			out_str(t, "Password: ");
		}
	}
	pump(t); /* what was typed meanwhile */
}

/* A key while the password is read: no echo, Backspace and Ctrl-U edit. */
static void relogin_key(struct dev_term *t, int key)
{
	if (key == 0x08 || key == 0x7f) {
		t->pw_len -= t->pw_len > 0;
	} else if (key == 0x03 || key == 0x15) {
		t->pw_len = 0;
	} else if (key == '\r' || key == '\n') {
		relogin_check(t);
	} else if (key >= 0x20 && key < 0x100) {
		if (t->pw_len < PASSWORD_SIZE)
			t->pw[t->pw_len++] = (char)key;
	}
}

static void idle_fire(evutil_socket_t fd, short what, void *arg)
{
	struct dev_term *t = arg;

	(void)fd;
	(void)what;
	if (t->state == TS_CLOSED)
		return;
	if (t->state == TS_RELOGIN) {
		out_str(t, "\r\n% Password:  timeout expired!\r\n");
		term_close(t, 1);
		return;
	}
	if (t->state == TS_CHECKING) {
		idle_arm(t); /* the answer comes */
		return;
	}
	if (t->x && !t->paused) {
		/* A command runs: the session is not idle. */
		idle_arm(t);
		return;
	}
	t->state = TS_RELOGIN;
	t->pw_len = 0;
	t->pw_failures = 0;
	t->len = t->cur = 0;
	t->hist_pos = t->n_hist;
	ds_clear(&t->queue);
	t->qpos = 0;
	if (t->paused || t->x || t->ending)
		stop_output(t);
	out_str(t, "\r\n% Session idle, log in again\r\nPassword: ");
	idle_arm(t);
}

/* ---- input ---- */

/* The next key from byte 'c', or -1 while inside an escape sequence. */
static int key_decode(struct dev_term *t, unsigned char c)
{
	switch (t->esc) {
	case ESC_NONE:
		if (c == 0x1b) {
			t->esc = ESC_ESC;
			return -1;
		}
		return c;
	case ESC_ESC:
		t->esc = ESC_NONE;
		if (c == '[') {
			t->esc = ESC_CSI;
			t->csi_len = 0;
			return -1;
		}
		if (c == 'O') {
			t->esc = ESC_SS3;
			return -1;
		}
		if (c == 'b' || c == 'B')
			return KEY_WORD_LEFT;
		if (c == 'f' || c == 'F')
			return KEY_WORD_RIGHT;
		if (c == 0x1b) {
			t->esc = ESC_ESC;
			return -1;
		}
		return c < 0x20 ? c : KEY_NONE;
	case ESC_SS3:
		t->esc = ESC_NONE;
		switch (c) {
		case 'A':
			return KEY_UP;
		case 'B':
			return KEY_DOWN;
		case 'C':
			return KEY_RIGHT;
		case 'D':
			return KEY_LEFT;
		case 'H':
			return KEY_HOME;
		case 'F':
			return KEY_END;
		}
		return c < 0x20 ? c : KEY_NONE;
	case ESC_CSI:
		if (c >= 0x20 && c <= 0x3f) {
			if (t->csi_len < sizeof t->csi - 1)
				t->csi[t->csi_len++] = (char)c;
			return -1;
		}
		t->esc = ESC_NONE;
		if (c < 0x40 || c > 0x7e)
			return c < 0x20 ? c : KEY_NONE;
		t->csi[t->csi_len] = '\0';
		if (!t->csi_len) {
			switch (c) {
			case 'A':
				return KEY_UP;
			case 'B':
				return KEY_DOWN;
			case 'C':
				return KEY_RIGHT;
			case 'D':
				return KEY_LEFT;
			case 'H':
				return KEY_HOME;
			case 'F':
				return KEY_END;
			}
		} else if (c == '~') {
			if (!strcmp(t->csi, "1") || !strcmp(t->csi, "7"))
				return KEY_HOME;
			if (!strcmp(t->csi, "4") || !strcmp(t->csi, "8"))
				return KEY_END;
			if (!strcmp(t->csi, "3"))
				return KEY_DELETE;
		}
		return KEY_NONE;
	}
	return KEY_NONE;
}

static void feed_byte(struct dev_term *t, unsigned char c)
{
	int key;

	if (t->esc == ESC_NONE && t->cr_pending) {
		t->cr_pending = false;
		if (c == '\n' || c == '\0')
			return;
	}
	key = key_decode(t, c);
	if (key < 0 || key == KEY_NONE)
		return;
	t->cr_pending = key == '\r';
	if (t->state == TS_RELOGIN)
		relogin_key(t, key);
	else if (t->paused)
		pager_key(t, key);
	else if (!t->interactive)
		plain_key(t, key);
	else
		edit_key(t, key);
}

/* Takes bytes from the queue while someone can take them. */
static void pump(struct dev_term *t)
{
	if (t->pumping)
		return;
	t->pumping = true;
	while (t->state != TS_CLOSED && t->qpos < t->queue.length) {
		if (t->state == TS_CHECKING ||
		    (t->state == TS_LINE && !t->paused && (t->x || t->ending)))
			break; /* a command or a password check runs: type-ahead waits */
		feed_byte(t, (unsigned char)t->queue.string[t->qpos++]);
	}
	if (t->qpos >= t->queue.length) {
		ds_clear(&t->queue);
		t->qpos = 0;
	}
	t->pumping = false;
}

/* Bytes from the client; see term.h. */
void dev_term_input(struct dev_term *t, const char *buf, size_t len)
{
	size_t room;

	if (!t || t->state == TS_CLOSED || t->exec_session)
		return;
	idle_arm(t);
	/* Ctrl-C aborts a running command at once and, as a tty's interrupt
	 * does, flushes what was typed before it. */
	if (t->x && !t->paused && t->state == TS_LINE) {
		const char *c = memrchr(buf, 0x03, len);

		if (c) {
			ds_clear(&t->queue);
			t->qpos = 0;
			len -= (size_t)(c + 1 - buf);
			buf = c + 1;
			cancel_command(t);
		}
	}
	if (t->qpos && t->qpos == t->queue.length) {
		ds_clear(&t->queue);
		t->qpos = 0;
	}
	room = QUEUE_SIZE - (t->queue.length - t->qpos);
	if (t->queue.length - t->qpos > QUEUE_SIZE)
		room = 0;
	if (t->qpos > QUEUE_SIZE) {
		/* Keep the queue from creeping: drop what was taken. */
		memmove(t->queue.string, t->queue.string + t->qpos, t->queue.length - t->qpos);
		t->queue.length -= t->qpos;
		t->queue.string[t->queue.length] = '\0';
		t->qpos = 0;
	}
	ds_put_buffer(&t->queue, buf, len < room ? len : room);
	pump(t);
}

/* ---- for handlers (engine.h) ---- */

/* Output of a command; see engine.h. */
void dev_write(struct dev_exec *x, const char *buf, size_t len)
{
	if (!x || !x->term || x->cancelling || x->term->x != x)
		return;
	cmd_out(x->term, buf, len);
}

/* Formatted output of a command; see engine.h. */
void dev_printf(struct dev_exec *x, const char *fmt, ...)
{
	char small[512], *s = small;
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(small, sizeof small, fmt, args);
	va_end(args);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof small) {
		va_start(args, fmt);
		s = xvasprintf(fmt, args);
		va_end(args);
	}
	dev_write(x, s, (size_t)n);
	if (s != small)
		free(s);
}

/* What the command's session was created with (see engine.h); they stay
 * readable after the session let go of the command. */
void *dev_exec_device(const struct dev_exec *x)
{
	return x->device;
}

const char *dev_exec_user(const struct dev_exec *x)
{
	return x->user;
}

enum dev_role dev_exec_role(const struct dev_exec *x)
{
	return x->role;
}

const char *dev_exec_source(const struct dev_exec *x)
{
	return x->source;
}

/* The mode the command runs in, and its interface or ACL name. */
enum dev_mode dev_exec_mode(const struct dev_exec *x)
{
	return x->mode;
}

bool dev_exec_compare(const struct dev_exec *x)
{
	return x->compare;
}

const char *dev_exec_mode_arg(const struct dev_exec *x)
{
	return x->mode_arg;
}

/* Enters another mode; the session follows unless the command runs under
 * "do" or has been let go. */
void dev_exec_set_mode(struct dev_exec *x, enum dev_mode mode, const char *arg)
{
	char *copy;

	if ((unsigned)mode >= DEV_MODE_N)
		return;
	copy = arg ? xstrdup(arg) : NULL;
	free(x->mode_arg);
	x->mode_arg = copy;
	x->mode = mode;
	if (x->term && !x->nested && !x->cancelling && x->term->x == x)
		set_mode(x->term, mode, arg);
}

/* Finishes a pending command; see engine.h. */
void dev_exec_done(struct dev_exec *x, int status)
{
	struct dev_term *t;

	if (!x || x->cancelling)
		return;
	if (!x->term) {
		exec_free(x); /* detached: the session is done with it */
		return;
	}
	if (x->in_handler) {
		x->done = true;
		x->status = status;
		return;
	}
	t = x->term;
	command_end(t, status);
	pump(t);
}

/* Registers the call made when the command is aborted; see engine.h. */
void dev_exec_on_cancel(struct dev_exec *x, void (*cancel)(void *arg), void *arg)
{
	x->cancel = cancel;
	x->cancel_arg = arg;
}

/* ---- built-in commands ---- */

static struct dev_term *builtin_term(struct dev_exec *x)
{
	return x->term;
}

static int builtin_terminal_length(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_term *t = builtin_term(x);

	t->length = (unsigned)dev_arg_int(a, "lines", 24);
	t->length_set = true;
	return 0;
}

static int builtin_terminal_width(struct dev_exec *x, const struct dev_args *a)
{
	builtin_term(x)->width = (unsigned)dev_arg_int(a, "columns", 80);
	return 0;
}

static int builtin_exit(struct dev_exec *x, const struct dev_args *a)
{
	(void)a;
	if (x->nested)
		return 0;
	switch (x->mode) {
	case DEV_MODE_CONFIG:
		dev_exec_set_mode(x, DEV_MODE_PRIV, NULL);
		break;
	case DEV_MODE_CONFIG_IF:
	case DEV_MODE_CONFIG_ACL:
		dev_exec_set_mode(x, DEV_MODE_CONFIG, NULL);
		break;
	default:
		term_close(builtin_term(x), 0);
		break;
	}
	return 0;
}

static int builtin_end(struct dev_exec *x, const struct dev_args *a)
{
	(void)a;
	dev_exec_set_mode(x, DEV_MODE_PRIV, NULL);
	return 0;
}

static int builtin_enable(struct dev_exec *x, const struct dev_args *a)
{
	(void)a;
	dev_exec_set_mode(x, DEV_MODE_PRIV, NULL);
	return 0;
}

static int builtin_disable(struct dev_exec *x, const struct dev_args *a)
{
	(void)a;
	dev_exec_set_mode(x, DEV_MODE_EXEC, NULL);
	return 0;
}

/* "do LINE" is taken apart by run_line() and never reaches a handler. */
static int builtin_do(struct dev_exec *x, const struct dev_args *a)
{
	(void)a;
	dev_printf(x, "%% Invalid input\n");
	return -EINVAL;
}

static int builtin_show_history(struct dev_exec *x, const struct dev_args *a)
{
	struct dev_term *t = builtin_term(x);

	(void)a;
	for (size_t i = 0; i < t->n_hist; i++)
		dev_printf(x, "  %s\n", t->hist[i]);
	return 0;
}

#define CONFIG_MODES                                                                               \
	(DEV_MODE_BIT(DEV_MODE_CONFIG) | DEV_MODE_BIT(DEV_MODE_CONFIG_IF) |                        \
	 DEV_MODE_BIT(DEV_MODE_CONFIG_ACL))

const struct dev_cmd dev_builtin_cmds[] = {
    [B_TERMINAL_LENGTH] = {"terminal length (0-512)$lines",
			   "Set terminal line parameters\n"
			   "Set number of lines on a screen\n"
			   "Number of lines on screen (0 for no pausing)",
			   DEV_MODES_SHOW, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT,
			   builtin_terminal_length},
    [B_TERMINAL_WIDTH] = {"terminal width (0-512)$columns",
			  "Set terminal line parameters\n"
			  "Set width of the display terminal\n"
			  "Number of characters on a screen line",
			  DEV_MODES_SHOW, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT,
			  builtin_terminal_width},
    [B_EXIT_EXEC] = {"exit", "Exit from the EXEC", DEV_MODES_SHOW, DEV_ROLE_VIEWER,
		     DEV_CMD_NO_AUDIT, builtin_exit},
    [B_EXIT_CONFIG] = {"exit", "Exit from configure mode", CONFIG_MODES, DEV_ROLE_VIEWER,
		       DEV_CMD_NO_AUDIT, builtin_exit},
    [B_END] = {"end", "Exit from configure mode", CONFIG_MODES, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT,
	       builtin_end},
    [B_QUIT] = {"quit", "Exit from the EXEC", DEV_MODES_SHOW, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT,
		builtin_exit},
    [B_LOGOUT] = {"logout", "Exit from the EXEC", DEV_MODES_SHOW, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT,
		  builtin_exit},
    [B_ENABLE] = {"enable", "Turn on privileged commands", DEV_MODE_BIT(DEV_MODE_EXEC),
		  DEV_ROLE_OPERATOR, DEV_CMD_NO_AUDIT, builtin_enable},
    [B_DISABLE] = {"disable", "Turn off privileged commands", DEV_MODE_BIT(DEV_MODE_PRIV),
		   DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT, builtin_disable},
    [B_DO] = {"do LINE$line", "To run exec commands in config mode\nExec Command", CONFIG_MODES,
	      DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT | DEV_CMD_PIPE | DEV_CMD_NESTED, builtin_do},
    [B_SHOW_HISTORY] = {"show history",
			"Show running system information\n"
			"Display the session command history",
			DEV_MODES_SHOW, DEV_ROLE_VIEWER, DEV_CMD_NO_AUDIT | DEV_CMD_PIPE,
			builtin_show_history},
};
const size_t dev_n_builtin_cmds = B_N;

/* ---- the terminal ---- */

static unsigned default_length(unsigned rows)
{
	return rows ? rows - 1 : 24;
}

/* Creates a terminal; see term.h. */
struct dev_term *dev_term_create(struct event_base *base, const struct dev_term_config *cfg,
				 const struct dev_term_ops *ops)
{
	struct dev_term *t = xzalloc(sizeof *t);

	t->base = base;
	t->ops = *ops;
	t->io = cfg->io;
	t->table = cfg->table;
	t->hostname = xstrdup(cfg->hostname ? cfg->hostname : "Router");
	t->user = xstrdup(cfg->user ? cfg->user : "");
	t->source = xstrdup(cfg->source ? cfg->source : "");
	t->device = cfg->device;
	t->role = cfg->role;
	t->interactive = cfg->interactive;
	t->mode = cfg->start_mode == DEV_MODE_PRIV ? DEV_MODE_PRIV : DEV_MODE_EXEC;
	t->cols = cfg->cols ? cfg->cols : 80;
	t->rows = cfg->rows;
	t->length = default_length(cfg->rows);
	t->width = t->cols;
	t->exec_timeout_s = cfg->exec_timeout_s;
	t->at_bol = true;
	ds_init(&t->queue);
	ds_init(&t->fline);
	ds_init(&t->held);
	if (base && t->interactive)
		t->idle = evtimer_new(base, idle_fire, t);
	idle_arm(t);
	if (t->interactive)
		show_prompt(t);
	return t;
}

/* Destroys a terminal; see term.h. */
void dev_term_destroy(struct dev_term *t)
{
	if (!t)
		return;
	if (t->x) {
		struct dev_exec *x = t->x;

		t->x = NULL;
		if (!(x->cmd->flags & DEV_CMD_NO_AUDIT))
			audit(t, DEV_AUDIT_RUN, dev_args_line(x->match.args), -ECANCELED);
		if (x->cancel) {
			x->cancelling = true;
			x->cancel(x->cancel_arg);
			exec_free(x);
		} else {
			x->term = NULL;
			x->user = x->source = "";
		}
	}
	if (t->filter != DEV_FILTER_NONE && t->filter != DEV_FILTER_COUNT_LINES)
		regfree(&t->re);
	if (t->idle)
		event_free(t->idle);
	for (size_t i = 0; i < t->n_hist; i++)
		free(t->hist[i]);
	free(t->hist_saved);
	explicit_bzero(t->pw, sizeof t->pw);
	ds_destroy(&t->queue);
	ds_destroy(&t->fline);
	ds_destroy(&t->held);
	free(t->mode_arg);
	free(t->hostname);
	free(t->user);
	free(t->source);
	free(t);
}

/* The client's window changed; see term.h. */
void dev_term_resize(struct dev_term *t, unsigned cols, unsigned rows)
{
	t->cols = cols ? cols : 80;
	t->rows = rows;
	if (!t->length_set)
		t->length = default_length(rows);
}

/* Runs an exec session's line; see term.h. */
void dev_term_exec(struct dev_term *t, const char *line)
{
	char *copy;
	size_t n;

	if (t->state == TS_CLOSED || t->exec_session)
		return;
	t->exec_session = true;
	t->interactive = false;
	n = strnlen(line, LINE_SIZE);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	copy = xmemdup0(line, n);
	run_line(t, copy);
	free(copy);
}

/* Text outside any command; see term.h. */
void dev_term_print(struct dev_term *t, const char *text)
{
	bool at_prompt;

	if (t->state == TS_CLOSED)
		return;
	at_prompt = t->interactive && !t->exec_session && t->state == TS_LINE && !t->x &&
		    !t->paused && !t->ending;
	if (at_prompt) {
		/* Over the prompt line, which comes back below. */
		out_raw(t, "\r\x1b[K", 4);
		t->at_bol = true;
	}
	out_textz(t, text);
	if (at_prompt)
		show_prompt(t);
}

/* Takes effect from the next line (a running command keeps its role). */
void dev_term_set_role(struct dev_term *t, enum dev_role role)
{
	t->role = role;
}

/* Restarts the idle timer with the new timeout (0: none). */
void dev_term_set_exec_timeout(struct dev_term *t, unsigned seconds)
{
	t->exec_timeout_s = seconds;
	idle_arm(t);
}

/* The name in the default prompts, from the next prompt on. */
void dev_term_set_hostname(struct dev_term *t, const char *hostname)
{
	char *copy = xstrdup(hostname ? hostname : "Router");

	free(t->hostname);
	t->hostname = copy;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the device CLI terminal (device/term.c), driven with bytes
 * as a client would type them and checked on the bytes it writes back
 * (through a small screen emulator for what the user sees): line editing
 * keys and escape sequences, history, "?" and Tab mid-line, errors with
 * the caret, paging with --More-- and its keys, "| include" and friends,
 * a pending command (ping) finishing from a libevent timer, Ctrl-C,
 * type-ahead, exec sessions and their exit status, the idle timeout and
 * re-login, modes and "do", aliases, permissions and the audit records,
 * and random bytes.
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../device-fixture.h"
#include "term.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

struct audit_rec {
	enum dev_audit_verdict verdict;
	char line[256];
	int status;
};

struct harness {
	struct event_base *base;
	struct dev_cmd_table *table;
	struct sample_device dev;
	struct dev_term *t;
	struct ds out;	 /* everything written */
	size_t out_mark; /* see since_raw() */
	struct screen scr;
	size_t mark; /* see since() */
	int closed;  /* ops->close calls */
	int close_status;
	struct audit_rec audits[64];
	size_t n_audits;
	const char *password;
	bool check_later;      /* verify_password answers when told (check_done) */
	char pending[64];      /* the password it was asked about */
	bool pending_set;
	char *text; /* the last since() result */
};

static void h_write(void *io, const char *buf, size_t len)
{
	struct harness *h = io;

	assert_int_equal(h->closed, 0); /* nothing after close */
	ds_put_buffer(&h->out, buf, len);
	screen_feed(&h->scr, buf, len);
}

static void h_close(void *io, int status)
{
	struct harness *h = io;

	h->closed++;
	h->close_status = status;
}

static const char *h_alias(void *io, const char *word)
{
	(void)io;
	if (!strcmp(word, "sr"))
		return "show ip route";
	if (!strcmp(word, "long"))
		return "show interfaces";
	return NULL;
}

static void h_verify(void *io, const char *password)
{
	struct harness *h = io;

	if (h->check_later) {
		snprintf(h->pending, sizeof h->pending, "%s", password);
		h->pending_set = true;
		return;
	}
	dev_term_password_checked(h->t, h->password && !strcmp(password, h->password));
}

/* The answer to the password check h_verify kept. */
static void check_done(struct harness *h)
{
	assert_true(h->pending_set);
	h->pending_set = false;
	dev_term_password_checked(h->t, h->password && !strcmp(h->pending, h->password));
}

static void h_audit(void *io, enum dev_audit_verdict v, const char *line, int status)
{
	struct harness *h = io;
	struct audit_rec *r;

	assert_true(h->n_audits < ARRAY_SIZE(h->audits));
	r = &h->audits[h->n_audits++];
	r->verdict = v;
	snprintf(r->line, sizeof r->line, "%s", line);
	r->status = status;
}

static const struct dev_term_ops h_ops = {
    .write = h_write,
    .close = h_close,
    .words = sample_words,
    .alias = h_alias,
    .verify_password = h_verify,
    .audit = h_audit,
};

static struct harness *h_open_with(enum dev_role role, enum dev_mode mode, bool interactive,
				   unsigned rows, unsigned timeout_s)
{
	struct harness *h = xzalloc(sizeof *h);
	struct dev_term_config cfg = {
	    .hostname = "r1",
	    .user = "alice",
	    .source = "127.0.0.1:50000",
	    .role = role,
	    .start_mode = mode,
	    .interactive = interactive,
	    .rows = rows,
	    .exec_timeout_s = timeout_s,
	};

	h->base = event_base_new();
	h->table = sample_table();
	h->dev.base = h->base;
	h->dev.ping_interval_ms = 2;
	h->password = "secret";
	screen_init(&h->scr);
	cfg.table = h->table;
	cfg.device = &h->dev;
	cfg.io = h;
	h->t = dev_term_create(h->base, &cfg, &h_ops);
	return h;
}

static struct harness *h_open(void)
{
	return h_open_with(DEV_ROLE_ADMIN, DEV_MODE_PRIV, true, 24, 0);
}

static void h_close_all(struct harness *h)
{
	dev_term_destroy(h->t);
	assert_int_equal(h->dev.pings, 0); /* every ping freed */
	dev_cmd_table_destroy(h->table);
	event_base_free(h->base);
	screen_uninit(&h->scr);
	ds_destroy(&h->out);
	free(h->text);
	free(h);
}

static void type_n(struct harness *h, const char *s, size_t n)
{
	dev_term_input(h->t, s, n);
}

static void type(struct harness *h, const char *s)
{
	type_n(h, s, strlen(s));
}

/* Runs the event loop until no ping runs (or 'max_ms'). */
static void settle(struct harness *h, unsigned max_ms)
{
	uint64_t end = time_usec() + (uint64_t)max_ms * 1000;

	while (h->dev.pings && time_usec() < end)
		event_base_loop(h->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Runs the event loop for 'ms' milliseconds. */
static void run_for(struct harness *h, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(h->base, &tv);
	event_base_dispatch(h->base);
}

static void mark(struct harness *h)
{
	h->mark = h->scr.row;
	h->out_mark = h->out.length;
}

/* The screen rows from the mark to the cursor. */
static const char *since(struct harness *h)
{
	free(h->text);
	h->text = screen_text(&h->scr, h->mark);
	return h->text;
}

static const char *since_raw(struct harness *h)
{
	return ds_cstr(&h->out) + h->out_mark;
}

/* The cursor's row as shown. */
static const char *current_row(struct harness *h)
{
	return screen_row(&h->scr, h->scr.row);
}

/* "% Invalid input" under 'line' at the prompt, caret at column 'col'. */
static char *invalid_at(const char *prompt, const char *line, size_t col)
{
	return xasprintf("%s%s\n%*s^\n%% Invalid input detected at '^' marker.\n\n%s\n", prompt,
			 line, (int)col, "", prompt);
}

static void expect_screen(struct harness *h, const char *expected)
{
	const char *got = since(h);

	if (strcmp(got, expected))
		fail_msg("screen:\n%s---- expected:\n%s----", got, expected);
}

/* ---- prompt, echo, editing ---- */

static void test_prompt_echo(void **state)
{
	struct harness *h = h_open();

	(void)state;
	assert_string_equal(current_row(h), "r1#");
	mark(h);
	type(h, "show ip arp\r\n");
	expect_screen(
	    h, "r1#show ip arp\n"
	       "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n"
	       "Internet  10.0.0.1                -   5254.0012.3400  ARPA   GigabitEthernet0/0\n"
	       "Internet  10.0.0.254             12   5254.00aa.0001  ARPA   GigabitEthernet0/0\n"
	       "Internet  10.0.1.1                -   5254.0012.3401  ARPA   GigabitEthernet0/1\n"
	       "Internet  10.0.1.2                3   5254.00aa.0002  ARPA   GigabitEthernet0/1\n"
	       "r1#\n");
	/* Every line end is "\r\n" on a PTY. */
	for (size_t i = 0; i < h->out.length; i++)
		if (h->out.string[i] == '\n')
			assert_int_equal(h->out.string[i - 1], '\r');
	assert_string_equal(h->dev.last, "show ip arp");
	/* "\r\n" was one Enter: no second prompt. */
	assert_int_equal(h->dev.calls, 1);
	type(h, "\r\0\n");
	assert_string_equal(current_row(h), "r1#");
	h_close_all(h);
}

/* Types 'keys', then Enter, and returns the line the command ran with. */
static const char *edit(struct harness *h, const char *keys)
{
	h->dev.last[0] = '\0';
	type(h, keys);
	type(h, "\r");
	return h->dev.last;
}

static void test_editing(void **state)
{
	struct harness *h = h_open();

	(void)state;
	/* Left arrow, insert in the middle. */
	assert_string_equal(edit(h, "shw ver\x1b[D\x1b[D\x1b[D\x1b[D\x1b[Do"), "show version");
	/* Ctrl-B/F, Ctrl-A/E. */
	assert_string_equal(edit(h, "how ver\x01s\x05sion"), "show version");
	assert_string_equal(edit(h, "sho ver\x02\x02\x02\x02w\x06\x06\x06\x06"), "show version");
	/* Backspace and DEL, at the end and in the middle. */
	assert_string_equal(edit(h, "show versionxx\x7f\x08"), "show version");
	assert_string_equal(edit(h, "show vxersion\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x7f"),
			    "show version");
	/* Ctrl-D and the Delete key delete under the cursor. */
	assert_string_equal(edit(h, "xshow version\x01\x04"), "show version");
	assert_string_equal(edit(h, "xshow version\x1b[H\x1b[3~"), "show version");
	/* Ctrl-W deletes a word, Ctrl-K to the end, Ctrl-U to the start. */
	assert_string_equal(edit(h, "show ip route\x17"
				    "arp"),
			    "show ip arp");
	assert_string_equal(edit(h, "show ip arp\x1b[D\x1b[D\x1b[D\x0btraffic"), "show ip traffic");
	assert_string_equal(edit(h, "junk words\x15show version"), "show version");
	/* Home and End in their forms. */
	assert_string_equal(edit(h, "version\x1b[Hshow \x1b[F"), "show version");
	assert_string_equal(edit(h, "version\x1b[1~show \x1b[4~"), "show version");
	assert_string_equal(edit(h, "version\x1bOHshow \x1bOF"), "show version");
	assert_string_equal(edit(h, "version\x1b[7~show \x1b[8~"), "show version");
	/* Word moves: ESC b, ESC f. */
	assert_string_equal(edit(h, "show arp\x1b"
				    "bip \x1b"
				    "f"),
			    "show ip arp");
	/* Unknown sequences are ignored whole. */
	assert_string_equal(edit(h, "show\x1b[5~\x1b[1;5C\x1b[200~ ver\x1b[201~\x1bOP\x1bx"),
			    "show version");
	/* Other control bytes and 8-bit bytes are ignored. */
	type_n(h, "sh\0ow\a \x80\xffver\x1c", 13);
	assert_string_equal(edit(h, ""), "show version");
	h_close_all(h);
}

static void test_editing_screen(void **state)
{
	struct harness *h = h_open();

	(void)state;
	type(h, "show ip route");
	type(h, "\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D");
	type(h, "x");
	assert_string_equal(current_row(h), "r1#show ipx route");
	type(h, "\x7f");
	assert_string_equal(current_row(h), "r1#show ip route");
	type(h, "\x15");
	assert_string_equal(current_row(h), "r1# route");
	type(h, "\x0b");
	assert_string_equal(current_row(h), "r1#");
	/* Ctrl-L reprints the line on a new line. */
	type(h, "show");
	type(h, "\x0c");
	assert_string_equal(current_row(h), "r1#show");
	/* Ctrl-C drops the line. */
	type(h, "\x03");
	assert_string_equal(current_row(h), "r1#");
	h_close_all(h);
}

static void test_line_cap(void **state)
{
	struct harness *h = h_open();
	char buf[1100];
	unsigned bells;

	(void)state;
	memset(buf, 'a', sizeof buf);
	bells = h->scr.bells;
	type_n(h, buf, sizeof buf);
	assert_int_equal(h->scr.bells - bells, sizeof buf - 1024);
	assert_int_equal(strlen(current_row(h)), 3 + 1024);
	mark(h);
	type(h, "\r");
	assert_non_null(strstr(since(h), "% Invalid input detected at '^' marker."));
	h_close_all(h);
}

/* ---- history ---- */

static void test_history(void **state)
{
	struct harness *h = h_open();
	unsigned bells;

	(void)state;
	type(h, "show version\r");
	type(h, "show ip arp\r");
	type(h, "sh ip route\r");
	type(h, "\x1b[A");
	assert_string_equal(current_row(h), "r1#sh ip route");
	type(h, "\x1b[A\x1b[A");
	assert_string_equal(current_row(h), "r1#show version");
	bells = h->scr.bells;
	type(h, "\x1b[A");
	assert_int_equal(h->scr.bells, bells + 1); /* the oldest */
	type(h, "\x1b[B");
	assert_string_equal(current_row(h), "r1#show ip arp");
	type(h, "\x1bOB");
	assert_string_equal(current_row(h), "r1#sh ip route");
	type(h, "\x0e");
	assert_string_equal(current_row(h), "r1#");
	/* The line being typed comes back after browsing. */
	type(h, "show ver");
	type(h, "\x10\x10");
	assert_string_equal(current_row(h), "r1#show ip arp");
	type(h, "\x0e\x0e");
	assert_string_equal(current_row(h), "r1#show ver");
	type(h, "\x15\x1bOA\r");
	assert_string_equal(h->dev.last, "show ip route");
	/* Lines that did not parse are kept too; 20 at most. */
	for (int i = 0; i < 25; i++) {
		char line[16];

		snprintf(line, sizeof line, "x%d\r", i);
		type(h, line);
	}
	mark(h);
	type(h, "show history\r");
	expect_screen(h, "r1#show history\n"
			 "  x6\n  x7\n  x8\n  x9\n  x10\n  x11\n  x12\n  x13\n  x14\n  x15\n"
			 "  x16\n  x17\n  x18\n  x19\n  x20\n  x21\n  x22\n  x23\n  x24\n"
			 "  show history\n"
			 "r1#\n");
	h_close_all(h);
}

/* ---- help and completion ---- */

static void test_help_key(void **state)
{
	struct harness *h = h_open();

	(void)state;
	mark(h);
	type(h, "show ip ?");
	expect_screen(h, "r1#show ip ?\n"
			 "  arp        IP ARP table\n"
			 "  interface  IP interface status and configuration\n"
			 "  route      IP routing table\n"
			 "  traffic    IP protocol statistics\n"
			 "r1#show ip\n");
	mark(h);
	type(h, "ro?");
	expect_screen(h, "r1#show ip ro?\nroute\nr1#show ip ro\n");
	/* '?' in the middle of the line: help for the text before the
	 * cursor; the line and the cursor stay. */
	type(h, "ute");
	type(h, "\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D");
	mark(h);
	type(h, "?");
	expect_screen(h, "r1#show ip route\n"
			 "ip\n"
			 "r1#show ip route\n");
	type(h, "\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C\r");
	assert_string_equal(h->dev.last, "show ip route");
	/* Errors from help. */
	mark(h);
	type(h, "sh xyz ?");
	expect_screen(h, "r1#sh xyz ?\n% Unrecognized command\nr1#sh xyz\n");
	type(h, "\x15");
	/* "do ?" in config lists exec commands. */
	type(h, "conf t\r");
	mark(h);
	type(h, "do sh ip ?");
	assert_non_null(strstr(since(h), "  arp        IP ARP table\n"));
	type(h, "\x15\x1a");
	h_close_all(h);
}

static void test_tab(void **state)
{
	struct harness *h = h_open();
	unsigned bells;

	(void)state;
	type(h, "sh\t");
	assert_string_equal(current_row(h), "r1#show"); /* its trailing blank trimmed */
	type(h, "ip ro\t");
	assert_string_equal(current_row(h), "r1#show ip route");
	type(h, "\x15"
		"show i");
	bells = h->scr.bells;
	type(h, "\t");
	assert_int_equal(h->scr.bells, bells + 1);
	assert_string_equal(current_row(h), "r1#show i");
	type(h, "nt gi\t");
	assert_string_equal(current_row(h), "r1#show int gigabitEthernet");
	type(h, "0/1\r");
	assert_string_equal(h->dev.last, "show interfaces GigabitEthernet0/1");
	/* Tab mid-line completes the word before the cursor. */
	type(h, "sh ver\x1b[D\x1b[D\x1b[D\x1b[D\t");
	assert_string_equal(current_row(h), "r1#show  ver");
	type(h, "\r");
	assert_string_equal(h->dev.last, "show version");
	h_close_all(h);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
	struct harness *h = h_open();

	(void)state;
	mark(h);
	type(h, "show ip rout x\r");
	expect_screen(h, "r1#show ip rout x\n"
			 "                ^\n"
			 "% Invalid input detected at '^' marker.\n"
			 "\n"
			 "r1#\n");
	mark(h);
	type(h, "sh i\r");
	expect_screen(h, "r1#sh i\n% Ambiguous command:  \"sh i\"\nr1#\n");
	mark(h);
	type(h, "show ip\r");
	expect_screen(h, "r1#show ip\n% Incomplete command.\n\nr1#\n");
	/* Empty lines and comments just give a new prompt. */
	mark(h);
	type(h, "\r  \r! comment\r");
	expect_screen(h, "r1#\nr1#\nr1#! comment\nr1#\n");
	/* A handler's failure is its own message. */
	mark(h);
	type(h, "show ip route 10.9.9.0/24\r");
	expect_screen(h, "r1#show ip route 10.9.9.0/24\n% Network not in table\nr1#\n");
	assert_int_equal(h->n_audits, 0); /* show commands are not audited */
	h_close_all(h);
}

/* ---- paging ---- */

static void test_paging(void **state)
{
	struct harness *h = h_open_with(DEV_ROLE_ADMIN, DEV_MODE_PRIV, true, 24, 0);

	(void)state;
	type(h, "terminal length 5\r");
	mark(h);
	type(h, "show running-config\r");
	expect_screen(h, "r1#show running-config\n"
			 "Building configuration...\n"
			 "\n"
			 "Current configuration : 1342 bytes\n"
			 "!\n"
			 "version 15.9\n"
			 " --More--\n");
	assert_true(str_has_suffix(ds_cstr(&h->out), " --More-- "));
	/* Keys typed at --More-- belong to the pager. */
	mark(h);
	type(h, " ");
	assert_true(str_has_prefix(since_raw(h), "\b\b\b\b\b\b\b\b\b\b          "
						 "\b\b\b\b\b\b\b\b\b\b"));
	expect_screen(h, "hostname r1\n"
			 "!\n"
			 "interface GigabitEthernet0/0\n"
			 " ip address 10.0.0.1 255.255.255.0\n"
			 "!\n"
			 " --More--\n");
	mark(h);
	type(h, "\r");
	expect_screen(h, "interface GigabitEthernet0/1\n --More--\n");
	mark(h);
	type(h, "q");
	expect_screen(h, "r1#\n");
	/* Another key ends the output and starts the next line. */
	type(h, "show running-config\r");
	mark(h);
	type(h, "sh ver");
	expect_screen(h, "r1#sh ver\n");
	type(h, "\r");
	assert_string_equal(h->dev.last, "show version");
	/* Ctrl-C at --More-- as well. */
	type(h, "q"); /* leave the --More-- of show version */
	type(h, "show run\r\x03");
	assert_string_equal(current_row(h), "r1#");
	/* Output that ends on the page's last line needs no --More--. */
	type(h, "terminal length 3\r");
	mark(h);
	type(h, "show access-lists | include .\r");
	expect_screen(h, "r1#show access-lists | include .\n"
			 "Extended IP access list BLOCK\n"
			 "    10 deny tcp any any eq telnet (3 matches)\n"
			 "    20 permit ip any any (1529 matches)\n"
			 "r1#\n");
	/* terminal length 0: no paging at all. */
	type(h, "terminal length 0\r");
	mark(h);
	type(h, "show running-config\r");
	assert_null(strstr(since_raw(h), "--More--"));
	assert_string_equal(current_row(h), "r1#");
	h_close_all(h);
}

static void test_paging_default(void **state)
{
	struct harness *h = h_open_with(DEV_ROLE_ADMIN, DEV_MODE_PRIV, true, 10, 0);
	int lines = 0;

	(void)state;
	mark(h);
	type(h, "show running-config\r");
	/* rows - 1 lines, then --More--. */
	for (const char *p = since(h); *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + 9 + 1);
	/* A resize changes the page, unless `terminal length` was set. */
	type(h, "q");
	dev_term_resize(h->t, 80, 0);
	mark(h);
	type(h, "show running-config\r");
	assert_null(strstr(since_raw(h), "--More--")); /* 24 lines: all of it */
	dev_term_resize(h->t, 80, 4);
	mark(h);
	type(h, "show running-config\r");
	assert_non_null(strstr(since_raw(h), "--More--"));
	type(h, "q");
	h_close_all(h);
}

/* ---- filters ---- */

static void test_filters(void **state)
{
	struct harness *h = h_open();
	char *exp;

	(void)state;
	mark(h);
	type(h, "show ip route | include Gig\r");
	expect_screen(h, "r1#show ip route | include Gig\n"
			 "C        10.0.0.0/24 is directly connected, GigabitEthernet0/0\n"
			 "L        10.0.0.1/32 is directly connected, GigabitEthernet0/0\n"
			 "C        10.0.1.0/24 is directly connected, GigabitEthernet0/1\n"
			 "L        10.0.1.1/32 is directly connected, GigabitEthernet0/1\n"
			 "r1#\n");
	mark(h);
	type(h, "sh ip ro | i ^S\r");
	expect_screen(h, "r1#sh ip ro | i ^S\n"
			 "S*    0.0.0.0/0 [1/0] via 10.0.0.254\n"
			 "S     192.168.0.0/16 [1/0] via 10.0.1.2\n"
			 "r1#\n");
	mark(h);
	type(h, "show ip arp | exclude Gigabit\r");
	expect_screen(h, "r1#show ip arp | exclude Gigabit\n"
			 "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n"
			 "r1#\n");
	mark(h);
	type(h, "show ip traffic | begin Sent\r");
	expect_screen(h, "r1#show ip traffic | begin Sent\n"
			 "  Sent:  2290 generated, 0 forwarded\n"
			 "  Drop:  4 encapsulation failed, 0 unresolved, 0 no adjacency\n"
			 "r1#\n");
	mark(h);
	type(h, "show ip route | count connected\r");
	expect_screen(h, "r1#show ip route | count connected\n"
			 "Number of lines which match regexp = 5\n"
			 "r1#\n");
	/* The regex is the rest of the line, spaces and all. */
	mark(h);
	type(h, "show ip route | inc is directly connected, GigabitEthernet0/1\r");
	expect_screen(h, "r1#show ip route | inc is directly connected, GigabitEthernet0/1\n"
			 "C        10.0.1.0/24 is directly connected, GigabitEthernet0/1\n"
			 "L        10.0.1.1/32 is directly connected, GigabitEthernet0/1\n"
			 "r1#\n");
	/* Errors. */
	type(h, "conf t\r");
	mark(h);
	type(h, "ip route 1.0.0.0 255.0.0.0 10.0.0.2 | include x\r");
	exp = invalid_at("r1(config)#", "ip route 1.0.0.0 255.0.0.0 10.0.0.2 | include x", 11 + 36);
	expect_screen(h, exp);
	free(exp);
	type(h, "end\r");
	mark(h);
	type(h, "show version | xyz v\r");
	exp = invalid_at("r1#", "show version | xyz v", 3 + 15);
	expect_screen(h, exp);
	free(exp);
	mark(h);
	type(h, "show version |\r");
	expect_screen(h, "r1#show version |\n% Incomplete command.\n\nr1#\n");
	mark(h);
	type(h, "show version | include (\r");
	expect_screen(h, "r1#show version | include (\n% Invalid regular expression\nr1#\n");
	mark(h);
	type(h, "show version | include (a)\\1\r");
	expect_screen(h, "r1#show version | include (a)\\1\n% Invalid regular expression\nr1#\n");
	/* Expressions that would make regcomp() explode are refused. */
	mark(h);
	type(h, "show version | include )+++++++++++++++++++++++++++++++++++++++(\r");
	assert_non_null(strstr(since(h), "% Invalid regular expression\n"));
	mark(h);
	type(h, "show version | include ((a{16}){16}){16}\r");
	assert_non_null(strstr(since(h), "% Invalid regular expression\n"));
	mark(h);
	type(h, "show version | include a{1000000000000000000000}\r");
	assert_non_null(strstr(since(h), "% Invalid regular expression\n"));
	/* ... but ordinary ones work: brackets, classes, intervals, groups. */
	mark(h);
	type(h,
	     "show ip arp | count ^Internet +10\\.0\\.[01]\\.[[:digit:]]{1,3} +[-0-9]+ +(5254)+\r");
	expect_screen(h,
		      "r1#show ip arp | count ^Internet +10\\.0\\.[01]\\.[[:digit:]]{1,3} +[-0-9]+ "
		      "+(5254)+\n"
		      "Number of lines which match regexp = 4\n"
		      "r1#\n");
	mark(h);
	type(h, "show ip arp | include []x]|[^]a-zA-Z0-9 .()-]\r");
	/* Lines with a character outside the second set: '/' in the name. */
	expect_screen(h, "r1#show ip arp | include []x]|[^]a-zA-Z0-9 .()-]\n"
			 "Internet  10.0.0.1                -   5254.0012.3400  ARPA   "
			 "GigabitEthernet0/0\n"
			 "Internet  10.0.0.254             12   5254.00aa.0001  ARPA   "
			 "GigabitEthernet0/0\n"
			 "Internet  10.0.1.1                -   5254.0012.3401  ARPA   "
			 "GigabitEthernet0/1\n"
			 "Internet  10.0.1.2                3   5254.00aa.0002  ARPA   "
			 "GigabitEthernet0/1\n"
			 "r1#\n");
	mark(h);
	type(h, "| include x\r");
	expect_screen(h, "r1#| include x\n"
			 "   ^\n"
			 "% Invalid input detected at '^' marker.\n"
			 "\n"
			 "r1#\n");
	h_close_all(h);
}

/* ---- pending commands ---- */

static void test_async(void **state)
{
	struct harness *h = h_open();

	(void)state;
	mark(h);
	type(h, "ping 10.0.0.2\r");
	/* Pending: no prompt yet. */
	assert_int_equal(h->dev.pings, 1);
	assert_string_equal(current_row(h), "");
	settle(h, 2000);
	expect_screen(h, "r1#ping 10.0.0.2\n"
			 "Type escape sequence to abort.\n"
			 "Sending 5, 100-byte ICMP Echos to 10.0.0.2, timeout is 2 seconds:\n"
			 "!!!!!\n"
			 "Success rate is 100 percent (5/5), round-trip min/avg/max = 1/1/2 ms\n"
			 "r1#\n");
	/* Filtered. */
	mark(h);
	type(h, "ping 10.0.0.2 repeat 3 | include rate\r");
	settle(h, 2000);
	expect_screen(h, "r1#ping 10.0.0.2 repeat 3 | include rate\n"
			 "Success rate is 100 percent (3/3), round-trip min/avg/max = 1/1/2 ms\n"
			 "r1#\n");
	/* Paged: --More-- stops the output as it arrives. */
	type(h, "terminal length 2\r");
	mark(h);
	type(h, "ping 10.0.0.2 repeat 2\r");
	settle(h, 2000);
	expect_screen(h, "r1#ping 10.0.0.2 repeat 2\n"
			 "Type escape sequence to abort.\n"
			 "Sending 2, 100-byte ICMP Echos to 10.0.0.2, timeout is 2 seconds:\n"
			 " --More--\n");
	mark(h);
	type(h, " ");
	expect_screen(h, "!!\n"
			 "Success rate is 100 percent (2/2), round-trip min/avg/max = 1/1/2 ms\n"
			 "r1#\n");
	h_close_all(h);
}

static void test_type_ahead(void **state)
{
	struct harness *h = h_open();

	(void)state;
	h->dev.ping_interval_ms = 5;
	type(h, "ping 10.0.0.2\r");
	type(h, "show ver");
	type(h, "sion\rshow ip a");
	/* Nothing of it ran or was echoed yet. */
	assert_string_equal(h->dev.last, "ping 10.0.0.2");
	assert_null(strstr(ds_cstr(&h->out), "show ver"));
	settle(h, 2000);
	assert_string_equal(h->dev.last, "show version");
	assert_string_equal(current_row(h), "r1#show ip a");
	type(h, "rp\r");
	assert_string_equal(h->dev.last, "show ip arp");
	h_close_all(h);
}

static void test_ctrl_c(void **state)
{
	struct harness *h = h_open();

	(void)state;
	h->dev.ping_interval_ms = 5;
	type(h, "ping 10.0.0.2 repeat 1000\r");
	run_for(h, 30);
	assert_int_equal(h->dev.pings, 1);
	/* What was typed before the Ctrl-C goes with the command. */
	type(h, "show ver\r\x03");
	assert_int_equal(h->dev.cancels, 1);
	assert_int_equal(h->dev.pings, 0);
	assert_string_equal(current_row(h), "r1#");
	assert_string_equal(h->dev.last, "ping 10.0.0.2 repeat 1000");
	/* The session goes on; bytes after the Ctrl-C are kept. */
	type(h, "ping 10.0.0.2 repeat 1000\r");
	type(h, "\x03show ver\r");
	assert_int_equal(h->dev.cancels, 2);
	assert_string_equal(h->dev.last, "show version");
	/* Ctrl-C at --More-- while the command still runs. */
	type(h, "terminal length 2\r");
	type(h, "ping 10.0.0.2 repeat 1000\r");
	run_for(h, 20);
	assert_true(str_has_suffix(ds_cstr(&h->out), " --More-- "));
	type(h, "\x03");
	assert_int_equal(h->dev.cancels, 3);
	assert_string_equal(current_row(h), "r1#");
	/* The session closing cancels a pending command too. */
	type(h, "ping 10.0.0.2 repeat 1000\r");
	assert_int_equal(h->dev.pings, 1);
	h_close_all(h); /* checks that the ping was freed */
}

/* A pending handler that never registered a cancel callback: after a
 * Ctrl-C the session forgets it, and its late dev_exec_done() frees it. */
static struct dev_exec *lazy_exec;

static int lazy(struct dev_exec *x, const struct dev_args *a)
{
	(void)a;
	lazy_exec = x;
	dev_printf(x, "working\n");
	return DEV_PENDING;
}

static int quick(struct dev_exec *x, const struct dev_args *a)
{
	(void)a;
	dev_printf(x, "quick %s\n", dev_exec_user(x));
	/* Done within the handler, then DEV_PENDING: still one ending. */
	dev_exec_done(x, 0);
	return DEV_PENDING;
}

static void test_detached(void **state)
{
	static const struct dev_cmd cmds[] = {
	    {"lazy", "Slow", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, lazy},
	    {"quick", "Fast", DEV_MODES_SHOW, DEV_ROLE_VIEWER, 0, quick},
	};
	struct harness *h = h_open();
	char *error;

	(void)state;
	dev_term_destroy(h->t);
	dev_cmd_table_destroy(h->table);
	h->table = dev_cmd_table_create(cmds, ARRAY_SIZE(cmds), &error);
	assert_non_null(h->table);
	struct dev_term_config cfg = {.table = h->table,
				      .hostname = "r2",
				      .user = "bob",
				      .role = DEV_ROLE_VIEWER,
				      .start_mode = DEV_MODE_PRIV,
				      .interactive = true,
				      .device = &h->dev,
				      .io = h};
	h->t = dev_term_create(h->base, &cfg, &h_ops);
	type(h, "lazy\r");
	assert_non_null(lazy_exec);
	assert_string_equal(dev_exec_user(lazy_exec), "bob");
	type(h, "\x03");
	assert_string_equal(current_row(h), "r2#");
	/* Detached: writes go nowhere, accessors still work. */
	dev_printf(lazy_exec, "late\n");
	assert_string_equal(dev_exec_user(lazy_exec), "");
	assert_null(strstr(ds_cstr(&h->out), "late"));
	dev_exec_done(lazy_exec, 0);
	lazy_exec = NULL;
	mark(h);
	type(h, "quick\r");
	expect_screen(h, "r2#quick\nquick bob\nr2#\n");
	/* Audited once each: lazy cancelled, quick ran. */
	assert_int_equal(h->n_audits, 2);
	assert_string_equal(h->audits[0].line, "lazy");
	assert_int_equal(h->audits[0].status, -ECANCELED);
	assert_string_equal(h->audits[1].line, "quick");
	assert_int_equal(h->audits[1].status, 0);
	/* Destroyed while pending, without a cancel callback. */
	type(h, "lazy\r");
	dev_term_destroy(h->t);
	h->t = NULL;
	dev_exec_done(lazy_exec, 0);
	h_close_all(h);
}

/* ---- exec sessions ---- */

static void test_exec_session(void **state)
{
	struct harness *h;

	(void)state;
	h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_EXEC, false, 0, 0);
	assert_int_equal(h->out.length, 0); /* no prompt */
	dev_term_exec(h->t, "show ip route | include connected\n");
	assert_string_equal(
	    ds_cstr(&h->out),
	    "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
	    "C        10.0.0.0/24 is directly connected, GigabitEthernet0/0\n"
	    "L        10.0.0.1/32 is directly connected, GigabitEthernet0/0\n"
	    "C        10.0.1.0/24 is directly connected, GigabitEthernet0/1\n"
	    "L        10.0.1.1/32 is directly connected, GigabitEthernet0/1\n");
	assert_int_equal(h->closed, 1);
	assert_int_equal(h->close_status, 0);
	h_close_all(h);

	h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_EXEC, false, 0, 0);
	dev_term_exec(h->t, "show ip rout x");
	assert_string_equal(ds_cstr(&h->out), "show ip rout x\n"
					      "             ^\n"
					      "% Invalid input detected at '^' marker.\n");
	assert_int_equal(h->close_status, 1);
	h_close_all(h);

	h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_PRIV, false, 0, 0);
	dev_term_exec(h->t, "configure terminal");
	assert_string_equal(ds_cstr(&h->out), "% Permission denied\n");
	assert_int_equal(h->close_status, 1);
	assert_int_equal(h->n_audits, 1);
	assert_int_equal(h->audits[0].verdict, DEV_AUDIT_DENIED);
	h_close_all(h);

	h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_EXEC, false, 0, 0);
	dev_term_exec(h->t, "show ip route 10.9.9.0/24");
	assert_string_equal(ds_cstr(&h->out), "% Network not in table\n");
	assert_int_equal(h->close_status, 1);
	h_close_all(h);

	h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_EXEC, false, 0, 0);
	dev_term_exec(h->t, "sh i");
	assert_string_equal(ds_cstr(&h->out), "% Ambiguous command:  \"sh i\"\n");
	assert_int_equal(h->close_status, 1);
	h_close_all(h);

	/* Pending: closed when it finishes; input meanwhile is ignored. */
	h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_EXEC, false, 0, 0);
	dev_term_exec(h->t, "ping 10.0.0.2 repeat 2");
	type(h, "show version\r\x03");
	assert_int_equal(h->closed, 0);
	settle(h, 2000);
	assert_int_equal(h->closed, 1);
	assert_int_equal(h->close_status, 0);
	assert_null(strchr(ds_cstr(&h->out), '\r')); /* plain "\n" */
	assert_non_null(strstr(ds_cstr(&h->out), "!!\nSuccess rate"));
	h_close_all(h);
}

/* Without a PTY but without a command either: lines from stdin. */
static void test_plain_session(void **state)
{
	struct harness *h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_EXEC, false, 0, 0);

	(void)state;
	type(h, "show ip traffic | include Sent\nsh ip\n");
	assert_string_equal(ds_cstr(&h->out), "  Sent:  2290 generated, 0 forwarded\n"
					      "% Incomplete command.\n");
	type(h, "exit\n");
	assert_int_equal(h->closed, 1);
	h_close_all(h);
}

/* ---- idle timeout ---- */

/* Runs the loop until the screen shows 'what' (at most 'max_ms'). */
static bool wait_for(struct harness *h, const char *what, unsigned max_ms)
{
	uint64_t end = time_usec() + (uint64_t)max_ms * 1000;

	while (!strstr(ds_cstr(&h->out) + h->out_mark, what) && time_usec() < end)
		run_for(h, 50);
	return strstr(ds_cstr(&h->out) + h->out_mark, what) != NULL;
}

static void test_idle_timeout(void **state)
{
	struct harness *h = h_open_with(DEV_ROLE_ADMIN, DEV_MODE_PRIV, true, 24, 1);

	(void)state;
	type(h, "show ver");
	mark(h);
	assert_true(wait_for(h, "Password: ", 3000));
	assert_string_equal(since_raw(h), "\r\n% Session idle, log in again\r\nPassword: ");
	/* Nothing runs before the password; it is not echoed. */
	mark(h);
	type(h, "show version\r");
	assert_int_equal(h->dev.calls, 0);
	assert_string_equal(since_raw(h), "\r\nPassword: ");
	assert_int_equal(h->n_audits, 1);
	assert_int_equal(h->audits[0].verdict, DEV_AUDIT_LOGIN_FAILED);
	mark(h);
	type(h, "sex\x7f"
		"cret\r");
	assert_string_equal(since_raw(h), "\r\nr1#");
	type(h, "show version\r");
	assert_int_equal(h->dev.calls, 1);
	/* Input keeps the session alive. */
	for (int i = 0; i < 8; i++) {
		run_for(h, 200);
		type(h, i % 2 ? "\x7f" : "x");
	}
	assert_null(strstr(since_raw(h), "idle"));
	/* Three wrong passwords end the session. */
	type(h, "\x15");
	mark(h);
	assert_true(wait_for(h, "Password: ", 3000));
	type(h, "a\rb\r");
	assert_int_equal(h->closed, 0);
	type(h, "c\rsecret\r");
	assert_int_equal(h->closed, 1);
	assert_non_null(strstr(since_raw(h), "% Bad passwords\r\n"));
	assert_int_equal(h->n_audits, 4);
	h_close_all(h);

	/* An answer that comes later (the service checks off the loop):
	 * nothing moves meanwhile, what is typed then waits for it. */
	h = h_open_with(DEV_ROLE_ADMIN, DEV_MODE_PRIV, true, 24, 1);
	h->check_later = true;
	assert_true(wait_for(h, "Password: ", 3000));
	mark(h);
	type(h, "secret\rshow version\r");
	assert_true(h->pending_set);
	assert_string_equal(since_raw(h), "");
	assert_int_equal(h->dev.calls, 0);
	check_done(h);
	assert_int_equal(h->dev.calls, 1);
	assert_non_null(strstr(since_raw(h), "\r\nr1#show version"));
	h_close_all(h);

	/* The password prompt times out too. */
	h = h_open_with(DEV_ROLE_ADMIN, DEV_MODE_PRIV, true, 24, 1);
	mark(h);
	assert_true(wait_for(h, "Password: ", 3000));
	assert_true(wait_for(h, "timeout expired", 3000));
	assert_int_equal(h->closed, 1);
	h_close_all(h);

	/* A running command is not idle time; set later, the timeout works. */
	h = h_open_with(DEV_ROLE_ADMIN, DEV_MODE_PRIV, true, 24, 0);
	h->dev.ping_interval_ms = 300;
	dev_term_set_exec_timeout(h->t, 1);
	mark(h);
	type(h, "ping 10.0.0.2 repeat 6\r");
	run_for(h, 1500);
	assert_null(strstr(since_raw(h), "idle"));
	settle(h, 3000);
	assert_true(wait_for(h, "Password: ", 3000));
	h_close_all(h);
}

/* ---- modes, permissions, audit ---- */

static void test_modes(void **state)
{
	struct harness *h = h_open();
	char *exp;

	(void)state;
	type(h, "conf t\r");
	assert_string_equal(current_row(h), "r1(config)#");
	type(h, "int gi0/1\r");
	assert_string_equal(current_row(h), "r1(config-if)#");
	type(h, "shut\r");
	assert_true(h->dev.shut[1]);
	/* A global command from config-if leaves it. */
	type(h, "ip route 10.9.0.0 255.255.0.0 10.0.0.2\r");
	assert_string_equal(current_row(h), "r1(config)#");
	type(h, "int lo0\r");
	assert_string_equal(current_row(h), "r1(config-if)#");
	type(h, "exit\r");
	assert_string_equal(current_row(h), "r1(config)#");
	type(h, "ip access-list extended BLOCK\r");
	assert_string_equal(current_row(h), "r1(config-ext-nacl)#");
	type(h, "permit tcp any any eq 22\r");
	assert_string_equal(h->dev.last, "permit tcp any any eq 22");
	/* "do": an exec command without leaving the mode. */
	mark(h);
	type(h, "do show ip int br | include Gi.*0/1\r");
	expect_screen(h, "r1(config-ext-nacl)#do show ip int br | include Gi.*0/1\n"
			 "GigabitEthernet0/1     10.0.1.1        YES manual administratively down "
			 "down\n"
			 "r1(config-ext-nacl)#\n");
	mark(h);
	type(h, "do show ip rout x\r");
	exp = invalid_at("r1(config-ext-nacl)#", "do show ip rout x", 20 + 16);
	expect_screen(h, exp);
	free(exp);
	/* Ctrl-Z and "end" back to privileged mode. */
	type(h, "\x1a");
	assert_string_equal(current_row(h), "r1#");
	type(h, "conf t\rint gi0/1\rno shut\rend\r");
	assert_false(h->dev.shut[1]);
	assert_string_equal(current_row(h), "r1#");
	type(h, "disable\r");
	assert_string_equal(current_row(h), "r1>");
	type(h, "enable\r");
	assert_string_equal(current_row(h), "r1#");
	/* The audit: configuration commands, in full. */
	static const char *const audited[] = {
	    "configure terminal",
	    "interface GigabitEthernet0/1",
	    "shutdown",
	    "ip route 10.9.0.0 255.255.0.0 10.0.0.2",
	    "interface Loopback0",
	    "ip access-list extended BLOCK",
	    "permit tcp any any eq 22",
	    "configure terminal",
	    "interface GigabitEthernet0/1",
	    "no shutdown",
	};
	assert_int_equal(h->n_audits, ARRAY_SIZE(audited));
	for (size_t i = 0; i < ARRAY_SIZE(audited); i++) {
		assert_int_equal(h->audits[i].verdict, DEV_AUDIT_RUN);
		assert_string_equal(h->audits[i].line, audited[i]);
		assert_int_equal(h->audits[i].status, 0);
	}
	/* exit in an exec mode ends the session. */
	type(h, "exit\r");
	assert_int_equal(h->closed, 1);
	assert_int_equal(h->close_status, 0);
	type(h, "show version\r"); /* ignored: closed */
	h_close_all(h);
}

static void test_permissions(void **state)
{
	struct harness *h = h_open_with(DEV_ROLE_VIEWER, DEV_MODE_EXEC, true, 24, 0);

	(void)state;
	mark(h);
	type(h, "enable\r");
	expect_screen(h, "r1>enable\n% Permission denied\nr1>\n");
	assert_int_equal(h->n_audits, 1);
	assert_int_equal(h->audits[0].verdict, DEV_AUDIT_DENIED);
	assert_string_equal(h->audits[0].line, "enable");
	/* Viewers get show and ping. */
	type(h, "show ip arp\r");
	assert_int_equal(h->dev.calls, 1);
	/* Operator: enable works, configure does not. */
	dev_term_set_role(h->t, DEV_ROLE_OPERATOR);
	type(h, "en\r");
	assert_string_equal(current_row(h), "r1#");
	mark(h);
	type(h, "conf t\r");
	expect_screen(h, "r1#conf t\n% Permission denied\nr1#\n");
	assert_int_equal(h->dev.calls, 1); /* the handler never ran */
	assert_int_equal(h->audits[1].verdict, DEV_AUDIT_DENIED);
	assert_string_equal(h->audits[1].line, "configure terminal");
	type(h, "clear counters gi0/0\r");
	assert_int_equal(h->audits[2].verdict, DEV_AUDIT_RUN);
	assert_string_equal(h->audits[2].line, "clear counters GigabitEthernet0/0");
	/* Hidden from ? and Tab, but for an admin. */
	mark(h);
	type(h, "co?");
	expect_screen(h, "r1#co?\n% Unrecognized command\nr1#co\n");
	dev_term_set_role(h->t, DEV_ROLE_ADMIN);
	type(h, "\t");
	assert_string_equal(current_row(h), "r1#configure");
	h_close_all(h);
}

static void test_alias(void **state)
{
	struct harness *h = h_open();

	(void)state;
	mark(h);
	type(h, "sr | count via\r");
	expect_screen(h, "r1#sr | count via\nNumber of lines which match regexp = 2\nr1#\n");
	mark(h);
	type(h, "sr x\r");
	expect_screen(h, "r1#sr x\n"
			 "      ^\n"
			 "% Invalid input detected at '^' marker.\n"
			 "\n"
			 "r1#\n");
	type(h, "long lo0\r");
	assert_string_equal(h->dev.last, "show interfaces Loopback0");
	/* Only a whole first word is an alias. */
	type(h, "s sr\r");
	assert_string_equal(h->dev.last, "show interfaces Loopback0");
	h_close_all(h);
}

static void test_print(void **state)
{
	struct harness *h = h_open();

	(void)state;
	type(h, "show");
	mark(h);
	dev_term_print(h->t, "\n*** System going down\n");
	expect_screen(h, "\n*** System going down\nr1#show\n");
	dev_term_set_hostname(h->t, "core1");
	type(h, "\r");
	assert_string_equal(current_row(h), "core1#");
	h_close_all(h);
}

/* ---- robustness ---- */

static void test_random_bytes(void **state)
{
	static const char *const pieces[] = {
	    "show ",
	    "ip ",
	    "route",
	    " | include ",
	    "?",
	    "\t",
	    "\r",
	    "\n",
	    "\x1b[A",
	    "\x1b[B",
	    "\x1b[D",
	    "\x1b[C",
	    "\x1b",
	    "[",
	    "O",
	    "\x03",
	    "\x1a",
	    "\x7f",
	    " ",
	    "q",
	    "terminal length 3\r",
	    "ping 10.0.0.2 repeat 3\r",
	    "conf t\r",
	    "int gi0/0\r",
	    "exit\r",
	    "end\r",
	    "do show ver\r",
	    "show run\r",
	    "sh i\r",
	    "\x15",
	    "\x17",
	    "\x0b",
	    "\x04",
	    "x",
	    "|",
	    "show history\r",
	    "enable\r",
	    "disable\r",
	};
	unsigned seed = 4242;

	(void)state;
	for (int round = 0; round < 60; round++) {
		struct harness *h = h_open_with((enum dev_role)(round % 3),
						round % 2 ? DEV_MODE_PRIV : DEV_MODE_EXEC, true,
						(unsigned)(round % 30), 0);

		h->dev.ping_interval_ms = 1;
		for (int i = 0; i < 300 && !h->closed; i++) {
			char buf[64];
			size_t n;

			if (rand_r(&seed) % 3) {
				const char *p = pieces[rand_r(&seed) % ARRAY_SIZE(pieces)];

				n = strlen(p);
				memcpy(buf, p, n);
			} else {
				n = (size_t)(rand_r(&seed) % sizeof buf);
				for (size_t k = 0; k < n; k++)
					buf[k] = (char)rand_r(&seed);
			}
			type_n(h, buf, n);
			if (i % 17 == 0)
				dev_term_resize(h->t, (unsigned)(rand_r(&seed) % 200),
						(unsigned)(rand_r(&seed) % 60));
			if (i % 5 == 0)
				event_base_loop(h->base, EVLOOP_NONBLOCK);
		}
		settle(h, 200);
		h_close_all(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prompt_echo),
	    cmocka_unit_test(test_editing),
	    cmocka_unit_test(test_editing_screen),
	    cmocka_unit_test(test_line_cap),
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_help_key),
	    cmocka_unit_test(test_tab),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_paging),
	    cmocka_unit_test(test_paging_default),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_async),
	    cmocka_unit_test(test_type_ahead),
	    cmocka_unit_test(test_ctrl_c),
	    cmocka_unit_test(test_detached),
	    cmocka_unit_test(test_exec_session),
	    cmocka_unit_test(test_plain_session),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_permissions),
	    cmocka_unit_test(test_alias),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

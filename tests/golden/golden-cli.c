// SPDX-License-Identifier: Apache-2.0
/*
 * Golden tests of the device CLI's engine and terminal: each
 * tests/golden/NAME.cli file (format in golden-script.h) is replayed
 * through the real terminal and command engine with the sample router of
 * tests/device-fixture.h. The terminal's bytes go through a screen
 * emulator, so the file shows what a user sees (echo, erased --More--,
 * the caret under the typed text), not escape codes.
 *
 * Options: @set role=viewer|operator|admin, mode=exec|priv, rows=N,
 * hostname=NAME (defaults: admin, priv, 24, r1). After each step the event
 * loop runs until no ping is pending.
 *
 * Usage: test-golden-cli [--regen] [FILE.cli|DIR]...  (default: the
 * source tree's tests/golden).
 */
#include "../device-fixture.h"
#include "golden-script.h"
#include "term.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GOLDEN_DIR
#define GOLDEN_DIR "tests/golden"
#endif

struct options {
	enum dev_role role;
	enum dev_mode mode;
	unsigned rows;
	char hostname[64];
};

struct session {
	struct options o;
	struct event_base *base;
	struct dev_cmd_table *table;
	struct sample_device dev;
	struct dev_term *t;
	struct screen scr;
	int closed, status;
};

static void s_write(void *io, const char *buf, size_t len)
{
	struct session *s = io;

	screen_feed(&s->scr, buf, len);
}

static void s_close(void *io, int status)
{
	struct session *s = io;

	s->closed++;
	s->status = status;
}

static const struct dev_term_ops s_ops = {
    .write = s_write,
    .close = s_close,
    .words = sample_words,
};

static void session_end(void *aux)
{
	struct session *s = aux;
	struct options o = s->o;

	if (!s->base)
		return;
	dev_term_destroy(s->t);
	dev_cmd_table_destroy(s->table);
	event_base_free(s->base);
	screen_uninit(&s->scr);
	memset(s, 0, sizeof *s);
	s->o = o;
}

static void session_reset(void *aux)
{
	struct session *s = aux;

	session_end(s);
	s->o = (struct options){.role = DEV_ROLE_ADMIN, .mode = DEV_MODE_PRIV, .rows = 24};
	snprintf(s->o.hostname, sizeof s->o.hostname, "r1");
}

static char *session_start(void *aux, const char *exec_line)
{
	struct session *s = aux;
	struct dev_term_config cfg = {
	    .hostname = s->o.hostname,
	    .user = "golden",
	    .source = "127.0.0.1:1",
	    .role = s->o.role,
	    .start_mode = s->o.mode,
	    .interactive = exec_line == NULL,
	    .rows = s->o.rows,
	};

	session_end(s);
	s->base = event_base_new();
	s->table = sample_table();
	s->dev.base = s->base;
	s->dev.ping_interval_ms = 1;
	screen_init(&s->scr);
	cfg.table = s->table;
	cfg.device = &s->dev;
	cfg.io = s;
	s->t = dev_term_create(s->base, &cfg, &s_ops);
	if (exec_line)
		dev_term_exec(s->t, exec_line);
	return NULL;
}

static void session_input(void *aux, const char *buf, size_t len)
{
	struct session *s = aux;

	dev_term_input(s->t, buf, len);
}

/* Runs the loop until no ping is pending (5 s at most). */
static void session_settle(void *aux)
{
	struct session *s = aux;
	uint64_t end = time_usec() + 5000000;

	while (s->dev.pings && time_usec() < end)
		event_base_loop(s->base, EVLOOP_ONCE);
}

static struct screen *session_screen(void *aux)
{
	struct session *s = aux;

	return s->t ? &s->scr : NULL;
}

static bool session_closed(void *aux, int *status)
{
	struct session *s = aux;

	*status = s->status;
	return s->closed;
}

static char *set_option(void *aux, const char *key, const char *value)
{
	struct options *o = &((struct session *)aux)->o;

	if (!strcmp(key, "role") && dev_role_parse(value, &o->role))
		return NULL;
	if (!strcmp(key, "mode") && (!strcmp(value, "exec") || !strcmp(value, "priv"))) {
		o->mode = !strcmp(value, "exec") ? DEV_MODE_EXEC : DEV_MODE_PRIV;
		return NULL;
	}
	if (!strcmp(key, "rows")) {
		o->rows = (unsigned)strtoul(value, NULL, 10);
		return NULL;
	}
	if (!strcmp(key, "hostname")) {
		snprintf(o->hostname, sizeof o->hostname, "%s", value);
		return NULL;
	}
	return xasprintf("bad option \"%s=%s\"", key, value);
}

static char *no_directive(void *aux, const char *name, const char *args)
{
	return xasprintf("unknown directive @%s", name);
}

static const struct golden_ops ops = {
    .reset = session_reset,
    .set = set_option,
    .directive = no_directive,
    .start = session_start,
    .input = session_input,
    .settle = session_settle,
    .screen = session_screen,
    .closed = session_closed,
    .end = session_end,
};

int main(int argc, char **argv)
{
	struct session s = {0};

	return golden_main(argc, argv, GOLDEN_DIR, &ops, &s);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the device CLI (device/engine.c, device/term.c):
 * what an SSH client types is untrusted. The first byte picks the session
 * (role, start mode, interactive or exec, screen rows); the rest is typed
 * into a terminal of the sample router (tests/device-fixture.h) in chunks
 * cut at the input's own 0xff bytes, with the event loop run between them
 * so that pings answer, or given to an exec session as its line. The same
 * bytes, as a line, also go to dev_cmd_match, dev_cmd_help and
 * dev_cmd_complete in every mode and role. Checked: nothing is written
 * after the session closed, caret offsets point at a word in the line,
 * help is newline-terminated, completions are not empty, and everything
 * pending is freed when the terminal goes (ASan's leak check).
 */
#include "../device-fixture.h"
#include "term.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-cli: %s\n", what);
		abort();
	}
}

struct io {
	bool closed;
	size_t written;
};

static void io_write(void *arg, const char *buf, size_t len)
{
	struct io *io = arg;

	(void)buf;
	check(!io->closed, "written after close");
	io->written += len;
}

static void io_close(void *arg, int status)
{
	struct io *io = arg;

	check(!io->closed, "closed twice");
	check(status == 0 || status == 1, "exit status not 0 or 1");
	io->closed = true;
}

static struct dev_term *term; /* the terminal being fuzzed */

static void io_verify(void *arg, const char *password)
{
	(void)arg;
	dev_term_password_checked(term, !strcmp(password, "secret"));
}

static const char *io_alias(void *arg, const char *word)
{
	(void)arg;
	return !strcmp(word, "sr") ? "show ip route" : NULL;
}

static const struct dev_term_ops ops = {
    .write = io_write,
    .close = io_close,
    .words = sample_words,
    .alias = io_alias,
    .verify_password = io_verify,
};

static void fuzz_engine(const struct dev_cmd_table *table, const uint8_t *data, size_t size)
{
	char *line = xmemdup0((const char *)data, size < 2048 ? size : 2048);
	size_t len = strlen(line);

	for (int mode = 0; mode < DEV_MODE_N; mode++) {
		struct dev_match m;
		char *h, *c;

		dev_cmd_match(table, (enum dev_mode)mode, line, sample_words, NULL, &m);
		if (m.result == DEV_MATCH_INVALID)
			check(m.error_offset < len, "caret past the line");
		if (m.result == DEV_MATCH_OK)
			check(m.cmd && dev_args_line(m.args), "match without a command");
		dev_match_uninit(&m);
		for (int role = 0; role <= DEV_ROLE_ADMIN; role++) {
			h = dev_cmd_help(table, (enum dev_mode)mode, (enum dev_role)role, line,
					 sample_words, NULL);
			check(h[0] && h[strlen(h) - 1] == '\n', "help without a final newline");
			free(h);
			c = dev_cmd_complete(table, (enum dev_mode)mode, (enum dev_role)role, line,
					     sample_words, NULL);
			check(!c || c[0], "empty completion");
			free(c);
		}
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dev_cmd_table *table;
	struct sample_device dev = {0};
	struct io io = {0};
	struct dev_term *t;
	uint8_t b = size ? data[0] : 0;
	bool exec = (b >> 3) % 4 == 3;
	struct dev_term_config cfg = {
	    .hostname = "r1",
	    .user = "fuzz",
	    .source = "127.0.0.1:1",
	    .role = (enum dev_role)(b % 3),
	    .start_mode = (b >> 2) & 1 ? DEV_MODE_PRIV : DEV_MODE_EXEC,
	    .interactive = !exec,
	    .rows = (unsigned)(b >> 5) * 4,
	    .device = &dev,
	    .io = &io,
	};

	if (!table)
		table = sample_table();
	cfg.table = table;
	if (size)
		data++, size--;
	fuzz_engine(table, data, size);

	dev.base = event_base_new();
	dev.ping_interval_ms = 0;
	t = term = dev_term_create(dev.base, &cfg, &ops);
	if (exec) {
		char *line = xmemdup0((const char *)data, size);

		dev_term_exec(t, line);
		free(line);
	} else {
		size_t start = 0;

		for (size_t i = 0; i <= size; i++) {
			if (i < size && data[i] != 0xff)
				continue;
			dev_term_input(t, (const char *)data + start, i - start);
			start = i + 1;
			for (int k = 0; k < 8; k++)
				event_base_loop(dev.base, EVLOOP_NONBLOCK);
		}
	}
	/* Let pending pings answer, boundedly; the rest is cancelled. */
	for (int k = 0; k < 64 && dev.pings; k++)
		event_base_loop(dev.base, EVLOOP_NONBLOCK);
	dev_term_destroy(t);
	check(dev.pings == 0, "a pending ping outlived its terminal");
	event_base_free(dev.base);
	return 0;
}

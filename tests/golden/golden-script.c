// SPDX-License-Identifier: Apache-2.0
/*
 * Golden transcripts of the device CLI: parsing a .cli file, replaying it
 * through a runner's sessions and comparing screens (see golden-script.h).
 */
#include "golden-script.h"

#include "../device-fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum step_kind { STEP_SET, STEP_SESSION, STEP_EXEC, STEP_INPUT, STEP_DIRECTIVE };

struct step {
	enum step_kind kind;
	char *src;  /* the step's line as written */
	char *text; /* options, exec line, directive or keys (decoded) */
	size_t text_len;
	bool enter; /* '>' */
	int line_no;
	char **expected; /* expected screen lines */
	size_t n_expected, allocated;
	char **comments; /* comment lines before the step (for --regen) */
	size_t n_comments, comments_allocated;
};

struct script {
	struct step *steps;
	size_t n, allocated;
	char **trailing; /* comments after the last step */
	size_t n_trailing, trailing_allocated;
};

static void push_line(char ***v, size_t *n, size_t *allocated, const char *s)
{
	*v = xgrow(*v, allocated, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

/* Decodes the keys notation; returns NULL or an error. */
static char *decode_keys(const char *s, char **out, size_t *len)
{
	static const struct {
		const char *name, *bytes;
	} keys[] = {
	    {"TAB", "\t"},	 {"UP", "\x1b[A"},   {"DOWN", "\x1b[B"}, {"LEFT", "\x1b[D"},
	    {"RIGHT", "\x1b[C"}, {"HOME", "\x1b[H"}, {"END", "\x1b[F"},	 {"DEL", "\x1b[3~"},
	    {"BS", "\x7f"},	 {"ESC", "\x1b"},    {"CR", "\r"},	 {"SP", " "},
	};
	struct ds d = DS_EMPTY_INITIALIZER;

	while (*s) {
		const char *end;
		size_t i, n;

		if (*s != '{') {
			ds_put_char(&d, *s++);
			continue;
		}
		if (s[1] == '{') {
			ds_put_char(&d, '{');
			s += 2;
			continue;
		}
		end = strchr(s, '}');
		if (!end) {
			ds_destroy(&d);
			return xasprintf("unclosed '{' in \"%s\"", s);
		}
		n = (size_t)(end - s - 1);
		if (n == 2 && s[1] == '^' && s[2] >= 'A' && s[2] <= 'Z') {
			ds_put_char(&d, (char)(s[2] - 'A' + 1));
		} else {
			for (i = 0; i < ARRAY_SIZE(keys); i++)
				if (strlen(keys[i].name) == n && !strncmp(keys[i].name, s + 1, n))
					break;
			if (i == ARRAY_SIZE(keys)) {
				ds_destroy(&d);
				return xasprintf("unknown key {%.*s}", (int)n, s + 1);
			}
			ds_put_cstr(&d, keys[i].bytes);
		}
		s = end + 1;
	}
	*len = d.length;
	*out = ds_steal_cstr(&d);
	return NULL;
}

static bool is_comment(const char *line)
{
	return !strcmp(line, "#") || !strncmp(line, "# ", 2);
}

/* Parses a script; returns NULL or an error ("FILE:LINE: ..."). */
static char *script_parse(const char *path, const char *text, struct script *sc)
{
	char **pending = NULL;
	size_t n_pending = 0, pending_allocated = 0;
	const char *p = text;
	int line_no = 0;

	memset(sc, 0, sizeof *sc);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xmemdup0(p, len);
		struct step *st;
		char *err;

		p += len + (nl != NULL);
		line_no++;
		if (is_comment(line)) {
			push_line(&pending, &n_pending, &pending_allocated, line);
			free(line);
			continue;
		}
		if (line[0] == '@' ||
		    ((line[0] == '>' || line[0] == '+') && (line[1] == ' ' || line[1] == '\0'))) {
			sc->steps = xgrow(sc->steps, &sc->allocated, sc->n + 1, sizeof *sc->steps);
			st = &sc->steps[sc->n++];
			memset(st, 0, sizeof *st);
			st->src = xstrdup(line);
			st->line_no = line_no;
			st->comments = pending;
			st->n_comments = n_pending;
			st->comments_allocated = pending_allocated;
			pending = NULL;
			n_pending = pending_allocated = 0;
			if (!strncmp(line, "@set", 4) && (!line[4] || line[4] == ' ')) {
				st->kind = STEP_SET;
				st->text = xstrdup(line + 4);
			} else if (!strcmp(line, "@session")) {
				st->kind = STEP_SESSION;
			} else if (!strncmp(line, "@exec ", 6)) {
				st->kind = STEP_EXEC;
				st->text = xstrdup(line + 6);
			} else if (line[0] == '@') {
				st->kind = STEP_DIRECTIVE;
				st->text = xstrdup(line + 1);
			} else {
				st->kind = STEP_INPUT;
				st->enter = line[0] == '>';
				err =
				    decode_keys(line[1] ? line + 2 : "", &st->text, &st->text_len);
				if (err) {
					char *msg = xasprintf("%s:%d: %s", path, line_no, err);

					free(err);
					free(line);
					return msg;
				}
			}
			free(line);
			continue;
		}
		if (!sc->n) {
			free(line);
			return xasprintf("%s:%d: expected screen before any step", path, line_no);
		}
		st = &sc->steps[sc->n - 1];
		push_line(&st->expected, &st->n_expected, &st->allocated,
			  line[0] == '\\' ? line + 1 : line);
		free(line);
	}
	/* Blank lines at the end of the file do not count. */
	if (sc->n) {
		struct step *st = &sc->steps[sc->n - 1];

		while (st->n_expected && !st->expected[st->n_expected - 1][0])
			free(st->expected[--st->n_expected]);
	}
	sc->trailing = pending;
	sc->n_trailing = n_pending;
	sc->trailing_allocated = pending_allocated;
	return NULL;
}

static void script_uninit(struct script *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		struct step *st = &sc->steps[i];

		for (size_t k = 0; k < st->n_expected; k++)
			free(st->expected[k]);
		for (size_t k = 0; k < st->n_comments; k++)
			free(st->comments[k]);
		free(st->expected);
		free(st->comments);
		free(st->src);
		free(st->text);
	}
	for (size_t k = 0; k < sc->n_trailing; k++)
		free(sc->trailing[k]);
	free(sc->trailing);
	free(sc->steps);
}

/* The screen a step produced, as lines (see the file comment). */
static void step_screen(struct screen *scr, bool closed, int status, size_t anchor, char ***lines,
			size_t *n)
{
	size_t allocated = 0;

	*lines = NULL;
	*n = 0;
	for (size_t r = anchor; r <= scr->row && r < scr->n_rows; r++)
		push_line(lines, n, &allocated, screen_row(scr, r));
	if (closed && *n > 1 && !(*lines)[*n - 1][0])
		free((*lines)[--*n]); /* the output's last newline */
	if (closed) {
		char buf[32];

		snprintf(buf, sizeof buf, "<closed %d>", status);
		push_line(lines, n, &allocated, buf);
	}
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool needs_escape(const char *line)
{
	return line[0] == '>' || line[0] == '+' || line[0] == '@' || line[0] == '\\' ||
	       (line[0] == '#' && (!line[1] || line[1] == ' '));
}

static void report_mismatch(const char *path, const struct step *st, char **got, size_t n_got)
{
	size_t n = st->n_expected > n_got ? st->n_expected : n_got;

	printf("# %s:%d: %s\n", path, st->line_no, st->src ? st->src : "");
	printf("#   (- expected, + got)\n");
	for (size_t i = 0; i < n; i++) {
		const char *e = i < st->n_expected ? st->expected[i] : NULL;
		const char *g = i < n_got ? got[i] : NULL;

		if (e && g && !strcmp(e, g)) {
			printf("#    %s\n", e);
			continue;
		}
		if (e)
			printf("#   -%s\n", e);
		if (g)
			printf("#   +%s\n", g);
	}
}

/* "@set" options, each to the runner. */
static char *set_options(const struct golden_ops *ops, void *aux, const char *text)
{
	char *copy = xstrdup(text), *save = NULL, *err = NULL;

	for (char *kv = strtok_r(copy, " ", &save); kv && !err; kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq) {
			err = xasprintf("bad option \"%s\"", kv);
			break;
		}
		*eq++ = '\0';
		err = ops->set(aux, kv, eq);
	}
	free(copy);
	return err;
}

/* "@NAME ARGS" to the runner. */
static char *run_directive(const struct golden_ops *ops, void *aux, const char *text)
{
	const char *sp = strchr(text, ' ');
	char *name = sp ? xmemdup0(text, (size_t)(sp - text)) : xstrdup(text);
	char *err = ops->directive(aux, name, sp ? sp + 1 : "");

	free(name);
	return err;
}

/* Runs a script; false on a mismatch. With 'regen', writes the actual
 * transcript to 'out' instead of comparing. */
static bool script_run(const char *path, struct script *sc, FILE *regen,
		       const struct golden_ops *ops, void *aux)
{
	size_t anchor = 0;
	bool ok = true;

	ops->reset(aux);
	for (size_t i = 0; i < sc->n && (ok || regen); i++) {
		struct step *st = &sc->steps[i];
		struct screen *scr;
		char **got = NULL, *err = NULL;
		size_t n_got = 0;
		int status = 0;
		bool closed;

		switch (st->kind) {
		case STEP_SET:
			err = set_options(ops, aux, st->text);
			break;
		case STEP_DIRECTIVE:
			err = run_directive(ops, aux, st->text);
			break;
		case STEP_SESSION:
			err = ops->start(aux, NULL);
			anchor = 0;
			break;
		case STEP_EXEC:
			err = ops->start(aux, st->text);
			anchor = 0;
			ops->settle(aux);
			break;
		case STEP_INPUT:
			if (!ops->screen(aux)) {
				err = xstrdup("input without a session");
				break;
			}
			ops->input(aux, st->text, st->text_len);
			if (st->enter)
				ops->input(aux, "\r", 1);
			ops->settle(aux);
			break;
		}
		if (err) {
			printf("# %s:%d: %s\n", path, st->line_no, err);
			free(err);
			ok = false;
		}
		scr = ops->screen(aux);
		closed = ops->closed(aux, &status);
		if (st->kind != STEP_SET && st->kind != STEP_DIRECTIVE && scr)
			step_screen(scr, closed, status, anchor, &got, &n_got);
		if (regen) {
			for (size_t k = 0; k < st->n_comments; k++)
				fprintf(regen, "%s\n", st->comments[k]);
			fprintf(regen, "%s\n", st->src);
			for (size_t k = 0; k < n_got; k++)
				fprintf(regen, "%s%s\n", needs_escape(got[k]) ? "\\" : "", got[k]);
		} else if (ok) {
			bool same = n_got == st->n_expected;

			for (size_t k = 0; same && k < n_got; k++)
				same = !strcmp(got[k], st->expected[k]);
			if (!same) {
				report_mismatch(path, st, got, n_got);
				ok = false;
			}
		}
		free_lines(got, n_got);
		if (scr)
			anchor = scr->row;
	}
	if (regen)
		for (size_t k = 0; k < sc->n_trailing; k++)
			fprintf(regen, "%s\n", sc->trailing[k]);
	ops->end(aux);
	return ok;
}

static bool run_file(const char *path, bool regen, const struct golden_ops *ops, void *aux)
{
	struct script sc;
	char *text, *err;
	size_t len;
	bool ok;
	int rc = read_file(path, &text, &len);

	if (rc) {
		printf("# %s: %s\n", path, strerror(-rc));
		return false;
	}
	err = script_parse(path, text, &sc);
	free(text);
	if (err) {
		printf("# %s\n", err);
		free(err);
		script_uninit(&sc);
		return false;
	}
	if (regen) {
		char *tmp = xasprintf("%s.tmp", path);
		FILE *f = fopen(tmp, "w");

		ok = f && script_run(path, &sc, f, ops, aux);
		if (f && !fclose(f) && ok)
			ok = !rename(tmp, path);
		free(tmp);
	} else {
		ok = script_run(path, &sc, NULL, ops, aux);
	}
	script_uninit(&sc);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the .cli files of 'dir' (sorted), or 'dir' itself if a file. */
static void collect(const char *dir, char ***files, size_t *n, size_t *allocated)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = *n;

	if (!d) {
		push_line(files, n, allocated, dir);
		return;
	}
	while ((e = readdir(d)))
		if (str_has_suffix(e->d_name, ".cli")) {
			char *p = xasprintf("%s/%s", dir, e->d_name);

			push_line(files, n, allocated, p);
			free(p);
		}
	closedir(d);
	qsort(*files + first, *n - first, sizeof **files, cmp_names);
}

int golden_main(int argc, char **argv, const char *default_dir, const struct golden_ops *ops,
		void *aux)
{
	char **files = NULL;
	size_t n = 0, allocated = 0;
	bool regen = false;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--regen"))
			regen = true;
		else
			collect(argv[i], &files, &n, &allocated);
	}
	if (!n)
		collect(default_dir, &files, &n, &allocated);
	if (!n) {
		printf("1..0 # no golden files\n");
		return 1;
	}
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const char *base = strrchr(files[i], '/');
		bool ok = run_file(files[i], regen, ops, aux);

		printf("%sok %zu - %s\n", ok ? "" : "not ", i + 1, base ? base + 1 : files[i]);
		failed += !ok;
	}
	free_lines(files, n);
	return failed ? 1 : 0;
}

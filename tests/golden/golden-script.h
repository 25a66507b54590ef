/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden transcripts of the device CLI: the file format, the replay and
 * the comparison, shared by the runners — golden-cli.c (the engine and
 * terminal with the sample router of tests/device-fixture.h) and
 * golden-device.c (the real IOS and JunOS command tables of the device
 * service over a controller state). A runner supplies the sessions.
 *
 * File format (one step per line, each followed by its expected screen):
 *
 *   # comment              ignored (a line that is "#" or starts with "# ")
 *   @set KEY=VALUE ...     options for the sessions that follow (the
 *                          runner's: see each runner)
 *   @session               a new interactive session (the previous one goes)
 *   @exec LINE             a new exec session (`ssh r1 'LINE'`) running LINE
 *   @NAME ARGS             another directive of the runner (no screen)
 *   > TEXT                 TEXT typed, then Enter
 *   + TEXT                 TEXT typed, no Enter
 *   anything else          the expected screen after the step above it
 *
 * TEXT may hold keys in braces: {TAB} {UP} {DOWN} {LEFT} {RIGHT} {HOME}
 * {END} {DEL} {BS} {ESC} {CR} {SP} and {^A}..{^Z} for control keys; "{{"
 * is a '{'. After each step the runner settles (runs its event loop until
 * nothing is pending).
 *
 * The expected screen of a step is every row from the one the cursor was
 * on before the step (so that row appears again, completed) down to the
 * cursor's row, trailing blanks removed; if the session ended (status
 * N), "<closed N>" replaces the cursor's row when empty. An expected line
 * that would start with '#', '>', '+', '@' or '\' is written with a '\'
 * in front. Blank lines at the end of the file are ignored.
 *
 * Usage: RUNNER [--regen] [FILE.cli|DIR]...  (default: the runner's
 * directory of the source tree). Prints TAP; on a mismatch, the step and
 * both screens. --regen rewrites the files with what the screen showed
 * (to be reviewed line by line before committing).
 */
#ifndef ONM_TESTS_GOLDEN_SCRIPT_H
#define ONM_TESTS_GOLDEN_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

struct screen;

struct golden_ops {
	/* Called at the start of every file: options back to their defaults,
	 * no session. */
	void (*reset)(void *aux);
	/* One KEY=VALUE of "@set". Returns NULL, or an allocated error. */
	char *(*set)(void *aux, const char *key, const char *value);
	/* "@NAME ARGS" other than set, session and exec ('args' may be "").
	 * Returns NULL, or an allocated error (also for an unknown NAME). */
	char *(*directive)(void *aux, const char *name, const char *args);
	/* A new session, interactive ('exec_line' NULL) or running one line;
	 * the previous one goes. Returns NULL, or an allocated error. */
	char *(*start)(void *aux, const char *exec_line);
	/* The session's terminal gets 'len' bytes. */
	void (*input)(void *aux, const char *buf, size_t len);
	/* Runs the event loop until nothing is pending (bounded). */
	void (*settle)(void *aux);
	/* The session's screen, NULL if there is no session. */
	struct screen *(*screen)(void *aux);
	/* Whether the session closed, and its status. */
	bool (*closed)(void *aux, int *status);
	/* The session goes (end of file). */
	void (*end)(void *aux);
};

/* The whole program: runs the files named in argv (or 'default_dir'),
 * prints TAP, returns the exit status. */
int golden_main(int argc, char **argv, const char *default_dir, const struct golden_ops *,
		void *aux);

#endif /* ONM_TESTS_GOLDEN_SCRIPT_H */

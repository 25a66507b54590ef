// SPDX-License-Identifier: Apache-2.0
/*
 * Times an SSH client from the outside, the way its user sees it, for
 * bench/ssh.sh: the same measurement for onm's simulated devices and for
 * OpenSSH's sshd (or for cat), so the two can stand side by side.
 *
 *   bench-ssh-time exec [-N] [-t TIMEOUT_MS] -- CMD [ARG...]
 *	Runs CMD with its stdout on a pipe (stdin /dev/null) and prints
 *	"first_ms=F line_ms=L end_ms=E bytes=B lines=N status=S": from the
 *	fork to its first byte, to its first whole line, to the end of its
 *	output (EOF), and its exit status. With -N its stdout is /dev/null
 *	(no back-pressure from a reader) and it prints "end_ms=E status=S":
 *	from the fork to its exit.
 *   bench-ssh-time prompt -p PROMPT [-t TIMEOUT_MS] -- CMD [ARG...]
 *	Runs CMD (ssh -tt ...) on a new PTY and prints "prompt_ms=P": from the
 *	fork to PROMPT in its output. Then types "exit" and waits for CMD to
 *	end (not timed).
 *   bench-ssh-time repeat -p PROMPT -n N -c LINE [-s SETUP] [-e TEXT]
 *		[-t TIMEOUT_MS] [-v] -- CMD [ARG...]
 *	One PTY session: waits for PROMPT, types SETUP (if any), then LINE N
 *	times, each timed from its Enter to the next PROMPT; each answer must
 *	hold TEXT (else exit 1). Prints "n=N p50_ms= p90_ms= p99_ms= max_ms=
 *	mean_ms= line_p50_ms= bytes=" (line: from the Enter to the answer's
 *	first whole line; bytes: of the last answer, echo and prompt
 *	included; -v: each sample on stderr too).
 *
 * TIMEOUT_MS (default 60000) bounds the whole run: past it the child is
 * killed and the exit status is 1, with the last output on stderr. The
 * harness's own start is not timed: the clock starts just before fork().
 */
#include "onm/ds.h"
#include "onm/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

struct opts {
	const char *prompt; /* what ends a login or a command's output */
	const char *line;   /* command typed in repeat mode */
	const char *setup;  /* typed once before the repeats, or NULL */
	const char *expect; /* each repeat's output must hold it, or NULL */
	int n;		    /* repeats */
	int timeout_ms;	    /* bound on the whole run */
	bool verbose;	    /* each sample on stderr */
	bool to_null;	    /* exec: stdout to /dev/null, time the exit */
	char **argv;	    /* the child's command */
};

struct child {
	pid_t pid;
	int fd;		      /* pipe or PTY master */
	uint64_t start_us;    /* just before fork */
	uint64_t deadline_us; /* the run's end */
	struct ds out;	      /* output so far (repeat: since the last Enter) */
};

static NO_RETURN void usage(void)
{
	fprintf(
	    stderr,
	    "usage: bench-ssh-time exec|prompt|repeat [-N] [-p PROMPT] [-n N] [-c LINE]\n"
	    "                      [-s SETUP] [-e TEXT] [-t TIMEOUT_MS] [-v] -- CMD [ARG...]\n");
	exit(2);
}

static double ms_since(uint64_t t0_us)
{
	return (double)(time_usec() - t0_us) / 1000.0;
}

/* Kills the child (past the deadline) and fails with its last output. */
static NO_RETURN void give_up(struct child *c, const char *what)
{
	size_t tail = c->out.length > 600 ? c->out.length - 600 : 0;

	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	fprintf(stderr, "bench-ssh-time: %s; last output:\n%s\n", what,
		c->out.string ? c->out.string + tail : "");
	exit(1);
}

/* Reads what the child wrote, waiting until the deadline. Returns the
 * bytes appended to c->out, 0 at EOF (a PTY's EIO counts as EOF). */
static size_t child_read(struct child *c)
{
	char buf[65536];

	for (;;) {
		uint64_t now = time_usec();
		struct pollfd p = {c->fd, POLLIN, 0};
		ssize_t n;

		if (now >= c->deadline_us)
			give_up(c, "timed out");
		if (poll(&p, 1, (int)((c->deadline_us - now) / 1000) + 1) < 0 && errno != EINTR)
			give_up(c, "poll failed");
		if (!p.revents)
			continue;
		n = read(c->fd, buf, sizeof buf);
		if (n > 0) {
			ds_put_buffer(&c->out, buf, (size_t)n);
			return (size_t)n;
		}
		if (n == 0 || errno == EIO)
			return 0;
		if (errno != EINTR && errno != EAGAIN)
			give_up(c, "read failed");
	}
}

static void child_type(struct child *c, const char *text)
{
	size_t len = strlen(text);

	while (len) {
		ssize_t n = write(c->fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			give_up(c, "cannot type into the PTY");
		text += n;
		len -= (size_t)n;
	}
}

/* When the answer's first line has come: the second newline after the
 * Enter (the first ends the echo of the typed line). */
struct line_clock {
	uint64_t t0_us; /* the Enter */
	size_t scanned; /* bytes of c->out counted */
	int newlines;	/* seen so far */
	double line_ms; /* -1 until the second newline */
};

static void line_clock_scan(struct line_clock *lc, const struct ds *out)
{
	for (; lc->scanned < out->length; lc->scanned++)
		if (out->string[lc->scanned] == '\n' && ++lc->newlines == 2)
			lc->line_ms = ms_since(lc->t0_us);
}

/* Reads until 'needle' appears in c->out at or after 'from'. Returns the
 * offset just past it; fails at EOF or past the deadline. 'lc' (or NULL)
 * watches for the first line on the way. */
static size_t child_expect(struct child *c, size_t from, const char *needle, struct line_clock *lc)
{
	size_t len = strlen(needle);

	for (;;) {
		if (lc)
			line_clock_scan(lc, &c->out);
		const char *hit = c->out.length > from ? memmem(c->out.string + from,
								c->out.length - from, needle, len)
						       : NULL;

		if (hit)
			return (size_t)(hit - c->out.string) + len;
		if (c->out.length >= len)
			from = c->out.length - len + 1 > from ? c->out.length - len + 1 : from;
		if (!child_read(c))
			give_up(c, "output ended before the prompt");
	}
}

static int child_wait(struct child *c)
{
	int status;

	while (waitpid(c->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Starts the child with stdin /dev/null and stdout on a pipe we read
 * (c->fd), or on /dev/null when 'to_null'; then c->fd is a pidfd, readable
 * when the child exits (ssh closes every descriptor past stderr, so a pipe
 * cannot tell its exit). */
static void child_start_pipe(struct child *c, char **argv, bool to_null)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		exit(1);
	c->start_us = time_usec();
	c->pid = fork();
	if (c->pid < 0)
		exit(1);
	if (!c->pid) {
		int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY);

		dup2(in, 0);
		dup2(to_null ? out : p[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	c->fd = p[0];
	if (to_null) {
		close(p[0]);
		c->fd = (int)syscall(SYS_pidfd_open, c->pid, 0);
		if (c->fd < 0)
			give_up(c, "pidfd_open failed");
	}
}

/* The child's exit, its stdout on /dev/null: waits (bounded) on the pidfd. */
static int run_exec_null(struct child *c, const struct opts *o)
{
	double end_ms;
	int status;

	child_start_pipe(c, o->argv, true);
	for (;;) {
		uint64_t now = time_usec();
		struct pollfd p = {c->fd, POLLIN, 0};

		if (now >= c->deadline_us)
			give_up(c, "timed out");
		if (poll(&p, 1, (int)((c->deadline_us - now) / 1000) + 1) > 0)
			break;
	}
	end_ms = ms_since(c->start_us);
	status = child_wait(c);
	close(c->fd);
	printf("end_ms=%.3f status=%d\n", end_ms, status);
	return status ? 1 : 0;
}

static void child_start_pty(struct child *c, char **argv)
{
	/* Rows enough that a short answer is never paged; repeat mode also
	 * types its SETUP (terminal length 0). */
	struct winsize ws = {.ws_row = 50, .ws_col = 132};

	c->start_us = time_usec();
	c->pid = forkpty(&c->fd, NULL, NULL, &ws);
	if (c->pid < 0)
		exit(1);
	if (!c->pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
}

static int run_exec(struct child *c, const struct opts *o)
{
	double first_ms = -1, line_ms = -1, end_ms;
	size_t lines = 0, bytes = 0;
	int status;

	if (o->to_null)
		return run_exec_null(c, o);
	child_start_pipe(c, o->argv, false);
	for (;;) {
		size_t n = child_read(c);

		if (!n)
			break;
		if (first_ms < 0)
			first_ms = ms_since(c->start_us);
		bytes += n;
		for (size_t i = c->out.length - n; i < c->out.length; i++)
			if (c->out.string[i] == '\n' && !lines++)
				line_ms = ms_since(c->start_us);
		/* Only counts matter: keep the buffer small. */
		ds_clear(&c->out);
	}
	end_ms = ms_since(c->start_us);
	status = child_wait(c);
	printf("first_ms=%.3f line_ms=%.3f end_ms=%.3f bytes=%zu lines=%zu status=%d\n", first_ms,
	       line_ms, end_ms, bytes, lines, status);
	return status ? 1 : 0;
}

/* Types "exit" and waits (bounded) for the session to end. */
static int session_end(struct child *c)
{
	child_type(c, "exit\r");
	while (child_read(c))
		ds_clear(&c->out);
	return child_wait(c);
}

static int run_prompt(struct child *c, const struct opts *o)
{
	double prompt_ms;

	child_start_pty(c, o->argv);
	child_expect(c, 0, o->prompt, NULL);
	prompt_ms = ms_since(c->start_us);
	printf("prompt_ms=%.3f\n", prompt_ms);
	session_end(c);
	return 0;
}

static int cmp_double(const void *a_, const void *b_)
{
	double a = *(const double *)a_, b = *(const double *)b_;

	return a < b ? -1 : a > b;
}

/* Nearest-rank percentile of sorted 'v'. */
static double percentile(const double *v, int n, double p)
{
	int rank = (int)(p * n + 0.999999);

	return v[rank < 1 ? 0 : rank > n ? n - 1 : rank - 1];
}

/* Types 'line' and reads until the prompt comes back; returns the ms from
 * the Enter to the answer's first line (-1 if it had none). Only what
 * arrives after the Enter is searched: the echo of the line, its output,
 * then the prompt (bash may put escape sequences before it, so no line
 * start is required: the line and its output must not hold the prompt's
 * text). */
static double command(struct child *c, const char *line, const char *prompt)
{
	char *typed = xasprintf("%s\r", line);
	struct line_clock lc = {.line_ms = -1};

	ds_clear(&c->out);
	lc.t0_us = time_usec();
	child_type(c, typed);
	child_expect(c, 0, prompt, &lc);
	free(typed);
	return lc.line_ms;
}

static int run_repeat(struct child *c, const struct opts *o)
{
	double *ms = xcalloc((size_t)o->n, sizeof *ms), sum = 0;
	double *line_ms = xcalloc((size_t)o->n, sizeof *line_ms);
	size_t bytes;

	child_start_pty(c, o->argv);
	child_expect(c, 0, o->prompt, NULL);
	if (o->setup && *o->setup)
		command(c, o->setup, o->prompt);
	for (int i = 0; i < o->n; i++) {
		uint64_t t0 = time_usec();

		line_ms[i] = command(c, o->line, o->prompt);
		ms[i] = ms_since(t0);
		sum += ms[i];
		if (o->verbose)
			fprintf(stderr, "%d %.3f %.3f\n", i, line_ms[i], ms[i]);
		if (o->expect && !strstr(ds_cstr(&c->out), o->expect))
			give_up(c, "an answer lacks the expected text");
	}
	bytes = c->out.length;
	session_end(c);
	qsort(ms, (size_t)o->n, sizeof *ms, cmp_double);
	qsort(line_ms, (size_t)o->n, sizeof *line_ms, cmp_double);
	printf("n=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f "
	       "line_p50_ms=%.3f bytes=%zu\n",
	       o->n, percentile(ms, o->n, 0.50), percentile(ms, o->n, 0.90),
	       percentile(ms, o->n, 0.99), ms[o->n - 1], sum / o->n,
	       percentile(line_ms, o->n, 0.50), bytes);
	free(line_ms);
	free(ms);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.n = 1, .timeout_ms = 60000};
	struct child c = {.out = DS_EMPTY_INITIALIZER};
	const char *mode;
	int opt, rc;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "p:n:c:s:e:t:vN")) != -1) {
		switch (opt) {
		case 'p':
			o.prompt = optarg;
			break;
		case 'n':
			o.n = atoi(optarg);
			break;
		case 'c':
			o.line = optarg;
			break;
		case 's':
			o.setup = optarg;
			break;
		case 'e':
			o.expect = optarg;
			break;
		case 't':
			o.timeout_ms = atoi(optarg);
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'N':
			o.to_null = true;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || o.n < 1 || o.timeout_ms < 1)
		usage();
	o.argv = argv + optind;
	signal(SIGPIPE, SIG_IGN);
	c.deadline_us = time_usec() + (uint64_t)o.timeout_ms * 1000;
	if (!strcmp(mode, "exec"))
		rc = run_exec(&c, &o);
	else if (!strcmp(mode, "prompt") && o.prompt)
		rc = run_prompt(&c, &o);
	else if (!strcmp(mode, "repeat") && o.prompt && o.line)
		rc = run_repeat(&c, &o);
	else
		usage();
	ds_destroy(&c.out);
	return rc;
}

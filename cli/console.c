// SPDX-License-Identifier: Apache-2.0
/*
 * `onm console` (console.h): a small libssh client. It logs in with a
 * one-time ticket, asks for a shell (with a PTY when stdin is a
 * terminal) and copies bytes between the terminal and the channel in
 * libssh's poll loop (ssh_event: the session, stdin, a signal pipe).
 * Signals reach the loop through that self-pipe, so that the terminal is
 * always restored by console_run() itself, never from a handler.
 */
#include "console.h"

#include "onm/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

enum {
	CONNECT_TIMEOUT_S = 10, /* TCP connect and key exchange */
	POLL_TIMEOUT_MS = 1000, /* the loop wakes at least this often */
	BUF_SIZE = 16384,	/* bytes per read */
};

/* The signals the loop handles: a window change is forwarded, the others
 * end the session. SIGPIPE is ignored meanwhile (a closed stdout is a
 * write error). */
static const int caught_signals[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};

/* Written by the handler, read by the loop: [0] read, [1] write. */
static int signal_pipe[2] = {-1, -1};

struct console {
	ssh_session session;
	ssh_channel channel;
	bool tty;	      /* stdin is a terminal */
	bool raw;	      /* it is in raw mode: 'saved' must be restored */
	struct termios saved; /* its mode before */
	bool signals;	      /* our handlers are installed: 'old_*' restore them */
	struct sigaction old_actions[ARRAY_SIZE(caught_signals)];
	struct sigaction old_sigpipe;
	struct ssh_channel_callbacks_struct callbacks; /* libssh keeps a pointer */
	bool closed;				       /* the device closed the channel */
	int exit_status;			       /* the one it sent, or -1 */
	char *error;				       /* why it failed (allocated), or NULL */
};

static int set_error(struct console *con, const char *fmt, ...) PRINTF_FORMAT(2, 3);

/* Records the first error; returns -1. */
static int set_error(struct console *con, const char *fmt, ...)
{
	va_list args;

	if (!con->error) {
		va_start(args, fmt);
		con->error = xvasprintf(fmt, args);
		va_end(args);
	}
	return -1;
}

static void on_signal(int signo)
{
	int saved_errno = errno;
	unsigned char c = (unsigned char)signo;

	/* A full pipe already wakes the loop. */
	if (write(signal_pipe[1], &c, 1) < 0)
		(void)0;
	errno = saved_errno;
}

static int signals_install(struct console *con)
{
	struct sigaction sa;

	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC))
		return set_error(con, "cannot create a pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(caught_signals); i++)
		sigaction(caught_signals[i], &sa, &con->old_actions[i]);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &con->old_sigpipe);
	con->signals = true;
	return 0;
}

static void signals_restore(struct console *con)
{
	if (con->signals) {
		for (size_t i = 0; i < ARRAY_SIZE(caught_signals); i++)
			sigaction(caught_signals[i], &con->old_actions[i], NULL);
		sigaction(SIGPIPE, &con->old_sigpipe, NULL);
		con->signals = false;
	}
	for (int i = 0; i < 2; i++) {
		if (signal_pipe[i] >= 0)
			close(signal_pipe[i]);
		signal_pipe[i] = -1;
	}
}

static void raw_enter(struct console *con)
{
	struct termios t;

	if (!con->tty || tcgetattr(STDIN_FILENO, &con->saved))
		return;
	t = con->saved;
	cfmakeraw(&t);
	if (!tcsetattr(STDIN_FILENO, TCSADRAIN, &t))
		con->raw = true;
}

static void raw_leave(struct console *con)
{
	if (con->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &con->saved);
	con->raw = false;
}

static void window_size(unsigned *cols, unsigned *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (!ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

static int connect_and_login(struct console *con, const char *host, int port, const char *login,
			     const char *password)
{
	long timeout_s = CONNECT_TIMEOUT_S;
	bool no = false;

	con->session = ssh_new();
	if (!con->session)
		return set_error(con, "cannot create an SSH session");
	/* No ~/.ssh/config: the controller's SSH server is not the user's
	 * hosts, and a Host block there must not redirect it. */
	if (ssh_options_set(con->session, SSH_OPTIONS_PROCESS_CONFIG, &no) ||
	    ssh_options_set(con->session, SSH_OPTIONS_HOST, host) ||
	    ssh_options_set(con->session, SSH_OPTIONS_PORT, &port) ||
	    ssh_options_set(con->session, SSH_OPTIONS_USER, login) ||
	    ssh_options_set(con->session, SSH_OPTIONS_TIMEOUT, &timeout_s))
		return set_error(con, "bad SSH options: %s", ssh_get_error(con->session));
	if (ssh_connect(con->session) != SSH_OK)
		return set_error(con, "cannot connect to %s port %d: %s", host, port,
				 ssh_get_error(con->session));
	/* The host key is deliberately not checked (see console.h). */
	if (ssh_userauth_password(con->session, NULL, password) != SSH_AUTH_SUCCESS)
		return set_error(con, "login as %s refused (the ticket may be used or expired)",
				 login);
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The device's output: straight to ours. */
static int on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
		   int is_stderr, void *con_)
{
	struct console *con = con_;

	if (write_all(is_stderr ? STDERR_FILENO : STDOUT_FILENO, data, len))
		set_error(con, "cannot write the output: %s", strerror(errno));
	return (int)len;
}

/* The channel's end is noted by callbacks (ssh_channel_is_closed() stays
 * false while unread data remains). */
static void on_close(ssh_session session, ssh_channel channel, void *con_)
{
	struct console *con = con_;

	con->closed = true;
}

static void on_exit_status(ssh_session session, ssh_channel channel, int status, void *con_)
{
	struct console *con = con_;

	con->exit_status = status;
}

static int open_shell(struct console *con)
{
	con->channel = ssh_channel_new(con->session);
	if (!con->channel || ssh_channel_open_session(con->channel) != SSH_OK)
		return set_error(con, "cannot open a session: %s", ssh_get_error(con->session));
	/* From the start: the device's prompt may come with the shell's
	 * reply. */
	con->callbacks.userdata = con;
	con->callbacks.channel_data_function = on_data;
	con->callbacks.channel_close_function = on_close;
	con->callbacks.channel_exit_status_function = on_exit_status;
	ssh_callbacks_init(&con->callbacks);
	ssh_set_channel_callbacks(con->channel, &con->callbacks);
	if (con->tty) {
		const char *term = getenv("TERM");
		unsigned cols, rows;

		window_size(&cols, &rows);
		if (ssh_channel_request_pty_size(con->channel, term && *term ? term : "xterm",
						 (int)cols, (int)rows) != SSH_OK)
			return set_error(con, "the device refused a terminal: %s",
					 ssh_get_error(con->session));
	}
	if (ssh_channel_request_shell(con->channel) != SSH_OK)
		return set_error(con, "the device refused a shell: %s",
				 ssh_get_error(con->session));
	return 0;
}

/* The poll loop's fd callbacks only note readiness: the loop acts after
 * ssh_event_dopoll() returns (writing to the channel from inside libssh's
 * poll loop would nest it). */
static int on_fd_ready(socket_t fd, int revents, void *ready_)
{
	bool *ready = ready_;

	*ready = true;
	return 0;
}

/* Handles the signals noted in the pipe: -1 when one ends the session. */
static int handle_signals(struct console *con)
{
	unsigned char sig;

	while (read(signal_pipe[0], &sig, 1) == 1) {
		if (sig == SIGWINCH) {
			unsigned cols, rows;

			window_size(&cols, &rows);
			if (con->tty)
				ssh_channel_change_pty_size(con->channel, (int)cols, (int)rows);
			continue;
		}
		return set_error(con, "interrupted (signal %d)", sig);
	}
	return 0;
}

/* Sends what stdin has; at its end, EOF (and clears '*open'). */
static int forward_stdin(struct console *con, bool *open)
{
	char buf[BUF_SIZE];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);

	if (n > 0) {
		if (ssh_channel_write(con->channel, buf, (uint32_t)n) != n)
			return set_error(con, "connection lost: %s", ssh_get_error(con->session));
		return 0;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	ssh_channel_send_eof(con->channel);
	*open = false;
	return 0;
}

/* Runs the session on 'event' until the device closes it. */
static int run_events(struct console *con, ssh_event event)
{
	bool stdin_open = true, stdin_ready = false, signal_ready = false;

	if (ssh_event_add_session(event, con->session) != SSH_OK ||
	    ssh_event_add_fd(event, signal_pipe[0], POLLIN, on_fd_ready, &signal_ready) ||
	    ssh_event_add_fd(event, STDIN_FILENO, POLLIN, on_fd_ready, &stdin_ready))
		return set_error(con, "cannot set up the poll loop");
	while (!con->closed && !con->error) {
		/* SSH_ERROR: the socket failed (checked below) or closed. */
		ssh_event_dopoll(event, POLL_TIMEOUT_MS);
		if (con->closed)
			break;
		if (ssh_get_status(con->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
			return set_error(con, "connection lost: %s", ssh_get_error(con->session));
		if (signal_ready) {
			signal_ready = false;
			if (handle_signals(con))
				return -1;
		}
		if (stdin_ready && stdin_open) {
			stdin_ready = false;
			if (forward_stdin(con, &stdin_open))
				return -1;
			if (!stdin_open)
				ssh_event_remove_fd(event, STDIN_FILENO);
		}
	}
	return con->error ? -1 : 0;
}

/* The session: returns its exit status or -1. */
static int copy_loop(struct console *con)
{
	ssh_event event = ssh_event_new();
	int rc;

	if (!event)
		return set_error(con, "cannot create a poll loop");
	rc = run_events(con, event);
	/* ssh_event_free() does not free what add_fd allocated. */
	ssh_event_remove_fd(event, STDIN_FILENO);
	ssh_event_remove_fd(event, signal_pipe[0]);
	ssh_event_remove_session(event, con->session);
	ssh_event_free(event);
	if (rc)
		return -1;
	return con->exit_status < 0 ? 0 : con->exit_status;
}

int console_run(const char *host, int port, const char *login, const char *password, char **error)
{
	struct console con = {.tty = isatty(STDIN_FILENO), .exit_status = -1};
	int status = -1;

	*error = NULL;
	if (!host || !login || !password) {
		*error = xstrdup("no address or login for the console");
		return -1;
	}
	if (!connect_and_login(&con, host, port, login, password) && !open_shell(&con) &&
	    !signals_install(&con)) {
		raw_enter(&con);
		status = copy_loop(&con);
	}
	raw_leave(&con);
	signals_restore(&con);
	/* The goodbyes must not hang on a dead connection. */
	if (con.session)
		ssh_set_blocking(con.session, 0);
	if (con.channel) {
		if (!ssh_channel_is_closed(con.channel))
			ssh_channel_close(con.channel);
		ssh_channel_free(con.channel);
	}
	if (con.session) {
		ssh_disconnect(con.session);
		ssh_free(con.session);
	}
	if (status < 0)
		*error = con.error ? con.error : xstrdup("console failed");
	else
		free(con.error);
	return status;
}

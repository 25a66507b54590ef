// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the devices' SSH server (device/ssh.c) and of `onm
 * console` (cli/console.c), with the real OpenSSH client as the other
 * side. The server runs on 127.0.0.1 (port picked by the kernel) with a
 * test "echo terminal" behind its hooks: a shell gets the prompt "DEV> "
 * and its input echoed upper-cased, "exit" ends it with status 3, EOF
 * with status 5; an exec request of CMD answers "ran: CMD\n" with status
 * 7. The test's main loop runs the hooks while it waits for the clients
 * (bounded by deadlines). Passwords reach ssh through SSH_ASKPASS; keys
 * are made with ssh-keygen in a temporary directory.
 */
#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka.h needs setjmp.h first. */
/* clang-format off */
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "onm/ds.h"
#include "onm/log.h"
#include "onm/util.h"
#include "ssh.h"

/* console_run() is the onm program's; the test builds it in (the unit
 * test's build target has libssh but not the program's sources). */
#include "console.h"

#define SSH_BIN "/usr/bin/ssh"
#define KEYGEN_BIN "/usr/bin/ssh-keygen"
#define KEYSCAN_BIN "/usr/bin/ssh-keyscan"

enum {
	CLIENT_TIMEOUT_MS = 20000, /* one ssh run, generous for ASan */
	EXEC_STATUS = 7,	   /* the test terminal's exec exit status */
	EXIT_STATUS = 3,	   /* "exit" in a shell */
	EOF_STATUS = 5,		   /* EOF in a shell */
};

/* What the last open hook saw. */
struct opened {
	char tenant[32], user[32], network[32], device[32], source[64], exec[64];
	enum dev_role role;
	bool ticket, pty, exec_set;
	unsigned cols, rows;
};

/* The test's world: files made once, the server of the current test and
 * what its hooks recorded. */
struct fx {
	char dir[64];	    /* temporary directory */
	char state[96];	    /* the server's state directory */
	char askpass[96];   /* prints $ONM_TEST_PASSWORD */
	char key[96];	    /* the registered private key */
	char other_key[96]; /* a key nobody registered */
	char pubkey[256];   /* the registered public key line */
	char self[256];	    /* this program, for the console child */
	char *hash_alice, *hash_bob, *hash_dave_acme, *hash_dave_zeta;
	char *hash_erin; /* a costly one: ~0.8 s to check */

	struct event_base *base;
	struct dev_ssh_server *srv;
	int port;

	int n_open, n_closed, n_resize, n_failed, n_eof;
	struct opened last;
	unsigned resize_cols, resize_rows;
	char fail_login[64], fail_source[64], fail_reason[64];
	pid_t stop_pid; /* "flood": the client to stop before writing */
};

static struct fx fx;

static uint64_t now_ms(void)
{
	return time_usec() / 1000;
}

/* ---- the test terminal (the hooks) ---- */

struct term {
	struct dev_ssh_session *s;
	char line[128]; /* the line being typed */
	size_t len;
	char prompt[40];
	bool shell; /* not an exec ("hang") */
};

static char exec_ctx; /* the context of exec sessions (closed at once) */

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void write_pattern(struct dev_ssh_session *s, size_t n)
{
	char buf[65536];

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)('a' + i % 26);
	while (n) {
		size_t k = n < sizeof buf ? n : sizeof buf;

		dev_ssh_session_write(s, buf, k);
		n -= k;
	}
}

static void *t_exec(struct fx *f, struct dev_ssh_session *s, const char *cmd, const char **refusal)
{
	if (!strcmp(cmd, "refuse")) {
		*refusal = "% Refused by the test\n";
		return NULL;
	}
	if (!strncmp(cmd, "flood ", 6)) {
		/* N bytes to a client that stops reading, then the end. */
		if (f->stop_pid)
			kill(f->stop_pid, SIGSTOP);
		write_pattern(s, strtoul(cmd + 6, NULL, 10));
		dev_ssh_session_close(s, EXEC_STATUS);
		return &exec_ctx;
	}
	if (!strncmp(cmd, "hang ", 5)) {
		/* Likewise, but the session stays open. */
		struct term *t = xzalloc(sizeof *t);

		t->s = s;
		if (f->stop_pid)
			kill(f->stop_pid, SIGSTOP);
		write_pattern(s, strtoul(cmd + 5, NULL, 10));
		return t;
	}
	char *out = xasprintf("ran: %s\n", cmd);

	dev_ssh_session_write(s, out, strlen(out));
	free(out);
	dev_ssh_session_close(s, EXEC_STATUS);
	return &exec_ctx;
}

static void *t_open(void *aux, struct dev_ssh_session *s, const struct dev_ssh_login *l,
		    const char **refusal)
{
	struct fx *f = aux;
	struct term *t;

	f->n_open++;
	memset(&f->last, 0, sizeof f->last);
	copy_str(f->last.tenant, sizeof f->last.tenant, l->tenant);
	copy_str(f->last.user, sizeof f->last.user, l->user);
	copy_str(f->last.network, sizeof f->last.network, l->network);
	copy_str(f->last.device, sizeof f->last.device, l->device);
	copy_str(f->last.source, sizeof f->last.source, l->source);
	copy_str(f->last.exec, sizeof f->last.exec, l->exec);
	f->last.exec_set = l->exec != NULL;
	f->last.role = l->role;
	f->last.ticket = l->ticket;
	f->last.pty = l->pty;
	f->last.cols = l->cols;
	f->last.rows = l->rows;
	if (l->exec)
		return t_exec(f, s, l->exec, refusal);

	t = xzalloc(sizeof *t);
	t->s = s;
	t->shell = true;
	snprintf(t->prompt, sizeof t->prompt, "%s> ", l->device);
	dev_ssh_session_write(s, t->prompt, strlen(t->prompt));
	return t;
}

static void t_input(void *ctx, const char *buf, size_t len)
{
	struct term *t = ctx;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (c != '\r' && c != '\n') {
			char up = (char)toupper((unsigned char)c);

			if (t->len < sizeof t->line)
				t->line[t->len++] = c;
			dev_ssh_session_write(t->s, &up, 1);
			continue;
		}
		if (t->len == 4 && !memcmp(t->line, "exit", 4)) {
			dev_ssh_session_write(t->s, "\r\nbye\r\n", 7);
			dev_ssh_session_close(t->s, EXIT_STATUS);
			free(t);
			return;
		}
		t->len = 0;
		dev_ssh_session_write(t->s, "\r\n", 2);
		dev_ssh_session_write(t->s, t->prompt, strlen(t->prompt));
	}
}

static void t_resize(void *ctx, unsigned cols, unsigned rows)
{
	fx.n_resize++;
	fx.resize_cols = cols;
	fx.resize_rows = rows;
}

/* Exec clients send EOF at once: only a shell ends with its input. */
static void t_eof(void *ctx)
{
	struct term *t = ctx;

	fx.n_eof++;
	if (ctx == &exec_ctx || !t->shell)
		return;
	dev_ssh_session_close(t->s, EOF_STATUS);
	free(t);
}

static void t_closed(void *ctx)
{
	fx.n_closed++;
	if (ctx != &exec_ctx)
		free(ctx);
}

static void t_login_failed(void *aux, const char *login, const char *source, const char *reason)
{
	struct fx *f = aux;

	f->n_failed++;
	copy_str(f->fail_login, sizeof f->fail_login, login);
	copy_str(f->fail_source, sizeof f->fail_source, source);
	copy_str(f->fail_reason, sizeof f->fail_reason, reason);
}

static const struct dev_ssh_hooks hooks = {
    .open = t_open,
    .input = t_input,
    .resize = t_resize,
    .closed = t_closed,
    .login_failed = t_login_failed,
    .eof = t_eof,
};

/* ---- the main loop and child processes ---- */

/* Runs the test's event loop (the hooks) for about 'ms'. */
static void loop_run(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000L};

	event_base_loopexit(fx.base, &tv);
	event_base_dispatch(fx.base);
}

/* Runs the loop until 'cond' holds or 'ms' pass; the value of 'cond'. */
#define WAIT_FOR(cond, ms)                                                                         \
	({                                                                                         \
		uint64_t deadline__ = now_ms() + (ms);                                             \
		while (!(cond) && now_ms() < deadline__)                                           \
			loop_run(5);                                                               \
		(cond);                                                                            \
	})

struct child {
	pid_t pid;
	int out;       /* its stdout and stderr (pty: the master), non-blocking */
	int in;	       /* its stdin's write end, or -1 (pty: the master) */
	bool pty;      /* runs on a pseudo-terminal */
	bool out_done; /* 'out' reached EOF */
	bool exited;   /* reaped */
	int status;    /* exit status, or 128 + signal */
	struct ds output;
};

/* Environment for ssh: ours, without an agent, with the askpass helper. */
static char **child_env(const char *password)
{
	extern char **environ;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 5, sizeof *env);
	for (size_t i = 0; i < n; i++) {
		if (!str_has_prefix(environ[i], "SSH_AUTH_SOCK=") &&
		    !str_has_prefix(environ[i], "SSH_ASKPASS") &&
		    !str_has_prefix(environ[i], "ONM_TEST_PASSWORD="))
			env[k++] = xstrdup(environ[i]);
	}
	env[k++] = xasprintf("SSH_ASKPASS=%s", fx.askpass);
	env[k++] = xstrdup("SSH_ASKPASS_REQUIRE=force");
	env[k++] = xasprintf("ONM_TEST_PASSWORD=%s", password ? password : "");
	env[k] = NULL;
	return env;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Starts argv[0] (a full path) with 'input' on stdin (then EOF; NULL: EOF
 * at once), or on a new pseudo-terminal of 'cols' x 'rows' when 'pty'. */
static void child_start(struct child *ch, char **argv, const char *password, const char *input,
			bool pty, unsigned cols, unsigned rows)
{
	char **env = child_env(password);
	int in[2] = {-1, -1}, out[2] = {-1, -1};

	memset(ch, 0, sizeof *ch);
	ds_init(&ch->output);
	ch->pty = pty;
	if (pty) {
		struct winsize ws = {.ws_col = (unsigned short)cols,
				     .ws_row = (unsigned short)rows};

		assert_int_equal(openpty(&out[0], &out[1], NULL, NULL, &ws), 0);
		fcntl(out[0], F_SETFD, FD_CLOEXEC);
		fcntl(out[1], F_SETFD, FD_CLOEXEC);
	} else {
		assert_int_equal(pipe2(in, O_CLOEXEC), 0);
		assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	}
	ch->pid = fork();
	assert_true(ch->pid >= 0);
	if (!ch->pid) {
		/* Only async-signal-safe calls until exec. */
		if (pty) {
			setsid();
			ioctl(out[1], TIOCSCTTY, 0);
			dup2(out[1], 0);
		} else {
			dup2(in[0], 0);
		}
		dup2(out[1], 1);
		dup2(out[1], 2);
		execve(argv[0], argv, env);
		_exit(127);
	}
	strv_free(env);
	close(out[1]);
	ch->out = out[0];
	fcntl(ch->out, F_SETFL, O_NONBLOCK);
	if (pty) {
		ch->in = out[0];
	} else {
		close(in[0]);
		ch->in = in[1];
	}
	if (input)
		assert_int_equal(write(ch->in, input, strlen(input)), (ssize_t)strlen(input));
	if (!pty) {
		close(ch->in);
		ch->in = -1;
	}
}

/* Collects output and the exit without blocking. */
static void child_poll(struct child *ch)
{
	char buf[65536];
	int st;

	while (!ch->out_done) {
		ssize_t n = read(ch->out, buf, sizeof buf);

		if (n > 0) {
			ds_put_buffer(&ch->output, buf, (size_t)n);
			continue;
		}
		/* A pty master reads EIO once the child side is gone. */
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			ch->out_done = true;
		break;
	}
	if (!ch->exited && waitpid(ch->pid, &st, WNOHANG) == ch->pid) {
		ch->exited = true;
		ch->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

static void child_close(struct child *ch)
{
	if (ch->out >= 0)
		close(ch->out);
	ch->out = ch->in = -1;
	ds_destroy(&ch->output);
}

/* Runs the loop until the child has exited and its output is read. A
 * child still running at the deadline is killed and the test fails. */
static void child_wait(struct child *ch, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		child_poll(ch);
		/* After the exit a pty's output may never reach EOF (other
		 * holders of the slave): what is there is read. */
		if (ch->exited && (ch->out_done || ch->pty))
			break;
		if (now_ms() >= deadline) {
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, NULL, 0);
			ch->exited = true;
			fail_msg("child %d still running after %d ms; output: %s", (int)ch->pid,
				 timeout_ms, ds_cstr(&ch->output));
		}
		loop_run(2);
	}
	child_poll(ch);
}

/* The ssh command line: a password login when 'password' is set, else
 * 'key'; 'cmd' NULL asks for a shell ('tty': with -tt); 'extra' options
 * (NULL-terminated, or NULL) go before the host. */
static char **ssh_argv_extra(const char *login, const char *password, const char *key, int port,
			     bool tty, const char *cmd, const char *const *extra)
{
	char **argv = xcalloc(48, sizeof *argv);
	size_t n = 0;
	static const char *const common[] = {
	    SSH_BIN,
	    "-F",
	    "/dev/null",
	    "-o",
	    "StrictHostKeyChecking=no",
	    "-o",
	    "UserKnownHostsFile=/dev/null",
	    "-o",
	    "LogLevel=ERROR",
	    "-o",
	    "ConnectTimeout=10",
	    "-o",
	    "IdentityAgent=none",
	};

	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		argv[n++] = xstrdup(common[i]);
	if (password) {
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("PreferredAuthentications=password");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("PubkeyAuthentication=no");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("NumberOfPasswordPrompts=1");
	} else {
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("PreferredAuthentications=publickey");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("BatchMode=yes");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("IdentitiesOnly=yes");
		argv[n++] = xstrdup("-i");
		argv[n++] = xstrdup(key);
	}
	argv[n++] = xstrdup(tty ? "-tt" : "-T");
	argv[n++] = xstrdup("-p");
	argv[n++] = xasprintf("%d", port);
	argv[n++] = xstrdup("-l");
	argv[n++] = xstrdup(login);
	for (size_t i = 0; extra && extra[i]; i++)
		argv[n++] = xstrdup(extra[i]);
	argv[n++] = xstrdup("127.0.0.1");
	if (cmd)
		argv[n++] = xstrdup(cmd);
	argv[n] = NULL;
	return argv;
}

static char **ssh_argv(const char *login, const char *password, const char *key, int port, bool tty,
		       const char *cmd)
{
	return ssh_argv_extra(login, password, key, port, tty, cmd, NULL);
}

static void ssh_start(struct child *ch, const char *login, const char *password, const char *key,
		      bool tty, const char *cmd, const char *input)
{
	char **argv = ssh_argv(login, password, key, fx.port, tty, cmd);

	child_start(ch, argv, password, input, false, 0, 0);
	strv_free(argv);
}

/* Runs one ssh to the end; returns its exit status, output in 'ch'. */
static int ssh_run(struct child *ch, const char *login, const char *password, const char *cmd)
{
	ssh_start(ch, login, password, password ? NULL : fx.key, false, cmd, NULL);
	child_wait(ch, CLIENT_TIMEOUT_MS);
	return ch->status;
}

/* Runs an ssh exec expecting success: "ran: CMD\n" and status 7. */
static void expect_exec(const char *login, const char *password, const char *cmd)
{
	struct child ch;
	char *want = xasprintf("ran: %s\n", cmd);
	int st = ssh_run(&ch, login, password, cmd);

	if (st != EXEC_STATUS || strcmp(ds_cstr(&ch.output), want) != 0)
		fail_msg("%s: status %d, output '%s'", login, st, ds_cstr(&ch.output));
	free(want);
	child_close(&ch);
}

/* Runs an ssh (a password, else 'key') expecting its login to fail with
 * 'reason'. */
static void expect_refused_key(const char *login, const char *password, const char *key,
			       const char *reason)
{
	struct child ch;
	int failed = fx.n_failed;
	int st;

	ssh_start(&ch, login, password, key, false, "show version", NULL);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	st = ch.status;

	assert_int_equal(st, 255);
	assert_null(strstr(ds_cstr(&ch.output), "ran:"));
	/* Public key failures are reported when the connection ends. */
	assert_true(WAIT_FOR(fx.n_failed > failed, 5000));
	assert_string_equal(fx.fail_login, login);
	assert_string_equal(fx.fail_reason, reason);
	assert_true(str_has_prefix(fx.fail_source, "127.0.0.1:"));
	child_close(&ch);
}

static void expect_refused(const char *login, const char *password, const char *reason)
{
	expect_refused_key(login, password, fx.key, reason);
}

/* Runs a helper program to the end without the loop (no server needed). */
static int run_tool(char **argv, struct ds *out)
{
	struct child ch;
	int st;

	child_start(&ch, argv, NULL, NULL, false, 0, 0);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	st = ch.status;
	if (out)
		ds_put_cstr(out, ds_cstr(&ch.output));
	child_close(&ch);
	return st;
}

/* ---- fixtures ---- */

static char *hash_password(const char *password)
{
	char hash[crypto_pwhash_STRBYTES];

	/* The cheapest argon2id: the tests check the plumbing, not the cost. */
	assert_int_equal(crypto_pwhash_str(hash, password, strlen(password),
					   crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN),
			 0);
	return xstrdup(hash);
}

static void add_account(struct dev_ssh_creds *c, const char *tenant, const char *user,
			enum dev_role role, const char *hash, const char *ticket,
			int64_t expires_ms, const char *default_device, bool key)
{
	struct dev_ssh_account *a = &c->accounts[c->n_accounts++];

	a->tenant = xstrdup(tenant);
	a->user = xstrdup(user);
	a->role = role;
	a->password_hash = hash ? xstrdup(hash) : NULL;
	a->ticket = ticket ? xstrdup(ticket) : NULL;
	a->expires_ms = expires_ms;
	a->default_device = default_device ? xstrdup(default_device) : NULL;
	if (key) {
		a->keys = xcalloc(1, sizeof *a->keys);
		a->keys[0] = xstrdup(fx.pubkey);
		a->n_keys = 1;
	}
}

static int64_t wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define GOOD_TICKET "tkt-good-4f9a0c7d2e1b8a63"
#define OLD_TICKET "tkt-old-00aa11bb22cc33dd"

/* Devices acme/blue/r1, acme/blue/r2 (own address 'r2_listen'),
 * zeta/blue/r1, zeta/red/r9; accounts alice (acme: password, key,
 * tickets), bob (zeta), dave (one in each tenant). */
static struct dev_ssh_creds *make_creds(const char *r2_listen)
{
	static const char *const devices[][3] = {{"acme", "blue", "r1"},
						 {"acme", "blue", "r2"},
						 {"zeta", "blue", "r1"},
						 {"zeta", "red", "r9"}};
	struct dev_ssh_creds *c = xzalloc(sizeof *c);
	int64_t now = wall_now_ms();

	c->devices = xcalloc(ARRAY_SIZE(devices), sizeof *c->devices);
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		c->devices[i].tenant = xstrdup(devices[i][0]);
		c->devices[i].network = xstrdup(devices[i][1]);
		c->devices[i].name = xstrdup(devices[i][2]);
	}
	c->n_devices = ARRAY_SIZE(devices);
	if (r2_listen)
		c->devices[1].listen = xstrdup(r2_listen);

	c->accounts = xcalloc(8, sizeof *c->accounts);
	add_account(c, "acme", "alice", DEV_ROLE_ADMIN, fx.hash_alice, NULL, 0, "blue/r1", true);
	add_account(c, "acme", "alice", DEV_ROLE_OPERATOR, NULL, GOOD_TICKET, now + 60000,
		    "blue/r1", false);
	add_account(c, "acme", "alice", DEV_ROLE_VIEWER, NULL, OLD_TICKET, now - 1000, "blue/r1",
		    false);
	add_account(c, "zeta", "bob", DEV_ROLE_OPERATOR, fx.hash_bob, NULL, 0, "red/r9", false);
	add_account(c, "acme", "dave", DEV_ROLE_VIEWER, fx.hash_dave_acme, NULL, 0, NULL, false);
	add_account(c, "zeta", "dave", DEV_ROLE_ADMIN, fx.hash_dave_zeta, NULL, 0, NULL, false);
	add_account(c, "acme", "erin", DEV_ROLE_VIEWER, fx.hash_erin, NULL, 0, "blue/r1", false);
	return c;
}

static void server_start(void)
{
	char *error = NULL;

	fx.srv = dev_ssh_server_create(fx.base, "127.0.0.1:0", fx.state, &hooks, &fx, &error);
	if (!fx.srv)
		fail_msg("server: %s", error);
	fx.port = dev_ssh_server_port(fx.srv);
	assert_true(fx.port > 0);
	dev_ssh_server_set_creds(fx.srv, make_creds(NULL));
}

static void server_stop(void)
{
	dev_ssh_server_destroy(fx.srv);
	fx.srv = NULL;
}

static int setup(void **state)
{
	fx.n_open = fx.n_closed = fx.n_resize = fx.n_failed = fx.n_eof = 0;
	fx.stop_pid = 0;
	memset(&fx.last, 0, sizeof fx.last);
	fx.fail_reason[0] = fx.fail_login[0] = '\0';
	server_start();
	return 0;
}

static int teardown(void **state)
{
	server_stop();
	return 0;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void make_key(const char *path)
{
	char *argv[] = {KEYGEN_BIN, "-q",   "-t", "ed25519",	"-N", "",
			"-C",	    "test", "-f", (char *)path, NULL};

	assert_int_equal(run_tool(argv, NULL), 0);
}

static int group_setup(void **state)
{
	char *line;
	size_t len;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_WARN); /* no line per login */
	if (sodium_init() < 0)
		return -1;
	snprintf(fx.dir, sizeof fx.dir, "/tmp/onm-test-ssh-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	/* A directory that does not exist yet: the server creates it. */
	snprintf(fx.state, sizeof fx.state, "%s/state/sub", fx.dir);
	snprintf(fx.askpass, sizeof fx.askpass, "%s/askpass", fx.dir);
	snprintf(fx.key, sizeof fx.key, "%s/id_ed25519", fx.dir);
	snprintf(fx.other_key, sizeof fx.other_key, "%s/id_other", fx.dir);
	n = readlink("/proc/self/exe", fx.self, sizeof fx.self - 1);
	if (n <= 0)
		return -1;
	fx.self[n] = '\0';
	write_text(fx.askpass, "#!/bin/sh\nprintf '%s\\n' \"$ONM_TEST_PASSWORD\"\n", 0700);

	fx.base = event_base_new();
	make_key(fx.key);
	make_key(fx.other_key);
	char *pub_path = xasprintf("%s.pub", fx.key);
	FILE *f = fopen(pub_path, "r");

	free(pub_path);
	if (!f)
		return -1;
	line = NULL;
	len = 0;
	n = getline(&line, &len, f);
	fclose(f);
	if (n <= 0)
		return -1;
	line[strcspn(line, "\n")] = '\0';
	snprintf(fx.pubkey, sizeof fx.pubkey, "%s", line);
	free(line);

	fx.hash_alice = hash_password("wonderland");
	fx.hash_bob = hash_password("builder");
	fx.hash_dave_acme = hash_password("acme-pw");
	fx.hash_dave_zeta = hash_password("zeta-pw");
	char hash[crypto_pwhash_STRBYTES];

	/* Eight times the model's (crypto_pwhash_OPSLIMIT_INTERACTIVE). */
	if (crypto_pwhash_str(hash, "slow one", 8, 8 * crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE))
		return -1;
	fx.hash_erin = xstrdup(hash);
	return 0;
}

static int group_teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", fx.dir);

	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", fx.dir);
	free(cmd);
	free(fx.hash_alice);
	free(fx.hash_erin);
	free(fx.hash_bob);
	free(fx.hash_dave_acme);
	free(fx.hash_dave_zeta);
	event_base_free(fx.base);
	return 0;
}

/* ---- tests ---- */

/* An exec request with a password: the command's output, its exit
 * status, and what the open hook was told. */
static void test_exec_password(void **state)
{
	expect_exec("alice@blue/r1", "wonderland", "show version");
	assert_int_equal(fx.n_open, 1);
	assert_string_equal(fx.last.tenant, "acme");
	assert_string_equal(fx.last.user, "alice");
	assert_string_equal(fx.last.network, "blue");
	assert_string_equal(fx.last.device, "r1");
	assert_string_equal(fx.last.exec, "show version");
	assert_int_equal(fx.last.role, DEV_ROLE_ADMIN);
	assert_false(fx.last.ticket);
	assert_false(fx.last.pty);
	assert_true(str_has_prefix(fx.last.source, "127.0.0.1:"));
	/* Main closed the session: 'closed' is not called. */
	loop_run(50);
	assert_int_equal(fx.n_closed, 0);
	assert_int_equal(fx.n_failed, 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Public keys: the registered one logs in, another is refused (reported
 * once, when the connection ends). Also measures exec round trips. */
static void test_exec_pubkey(void **state)
{
	uint64_t times[20];

	expect_exec("alice@acme/blue/r2", NULL, "show clock");
	assert_string_equal(fx.last.device, "r2");
	assert_string_equal(fx.last.tenant, "acme");

	expect_refused_key("alice@blue/r1", NULL, fx.other_key, "unknown key");
	assert_int_equal(fx.n_failed, 1);

	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		uint64_t start = time_usec();

		expect_exec("alice@blue/r1", NULL, "true");
		times[i] = time_usec() - start;
	}
	qsort(times, ARRAY_SIZE(times), sizeof times[0], cmp_u64);
	print_message("exec round trip with a public key (ssh start to exit): median %.1f ms, "
		      "min %.1f ms, max %.1f ms over %zu runs\n",
		      (double)times[ARRAY_SIZE(times) / 2] / 1000, (double)times[0] / 1000,
		      (double)times[ARRAY_SIZE(times) - 1] / 1000, ARRAY_SIZE(times));
}

/* Wrong passwords and unknown users are refused and reported. */
static void test_bad_password(void **state)
{
	expect_refused("alice@blue/r1", "wonderlanD", "bad password");
	expect_refused("mallory@blue/r1", "wonderland", "unknown user");
	expect_refused_key("alice@blue/r1", NULL, fx.other_key, "unknown key");
	assert_int_equal(fx.n_open, 0);
}

/* Which device a login selects, and which it may not. */
static void test_device_selection(void **state)
{
	expect_refused("alice@blue/nope", "wonderland", "unknown device");
	/* red/r9 exists, but in zeta: alice is acme's. */
	expect_refused("alice@red/r9", "wonderland", "foreign device");
	expect_refused("dave", "acme-pw", "no default device");

	/* Plain "USER": the account's default device. */
	expect_exec("alice", "wonderland", "a");
	assert_string_equal(fx.last.tenant, "acme");
	assert_string_equal(fx.last.network, "blue");
	assert_string_equal(fx.last.device, "r1");
	expect_exec("bob", "builder", "b");
	assert_string_equal(fx.last.tenant, "zeta");
	assert_string_equal(fx.last.device, "r9");

	/* blue/r1 is in both tenants, and so is dave: the password tells. */
	expect_exec("dave@blue/r1", "zeta-pw", "c");
	assert_string_equal(fx.last.tenant, "zeta");
	assert_int_equal(fx.last.role, DEV_ROLE_ADMIN);
	expect_exec("dave@blue/r1", "acme-pw", "d");
	assert_string_equal(fx.last.tenant, "acme");
	assert_int_equal(fx.last.role, DEV_ROLE_VIEWER);
	expect_exec("dave@zeta/blue/r1", "zeta-pw", "e");
	assert_string_equal(fx.last.tenant, "zeta");
	assert_int_equal(fx.n_failed, 3);
}

/* One-time tickets: once, then never; expired ones never. */
static void test_tickets(void **state)
{
	expect_exec("alice@blue/r1", GOOD_TICKET, "show ip route");
	assert_true(fx.last.ticket);
	assert_int_equal(fx.last.role, DEV_ROLE_OPERATOR);
	expect_refused("alice@blue/r1", GOOD_TICKET, "used ticket");
	/* A new snapshot still holding it changes nothing. */
	dev_ssh_server_set_creds(fx.srv, make_creds(NULL));
	expect_refused("alice@blue/r1", GOOD_TICKET, "used ticket");
	expect_refused("alice@blue/r1", OLD_TICKET, "expired ticket");
}

/* After 5 failures within a minute, even the right password fails. */
static void test_rate_limit(void **state)
{
	for (int i = 0; i < 5; i++)
		expect_refused("alice@blue/r1", "guess", "bad password");
	expect_refused("alice@blue/r1", "wonderland", "rate limited");
	expect_refused("alice@blue/r1", NULL, "rate limited");
	assert_int_equal(fx.n_open, 0);
}

/* A PTY shell fed by a pipe (ssh -tt): prompt, echo, exit status. */
static void test_interactive_pipe(void **state)
{
	struct child ch;

	ssh_start(&ch, "alice@blue/r2", "wonderland", NULL, true, NULL, "hello\nexit\n");
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	if (ch.status != EXIT_STATUS || !strstr(ds_cstr(&ch.output), "r2> HELLO") ||
	    !strstr(ds_cstr(&ch.output), "bye"))
		fail_msg("status %d, output '%s'", ch.status, ds_cstr(&ch.output));
	assert_true(fx.last.pty);
	assert_false(fx.last.exec_set);
	child_close(&ch);
}

/* A PTY shell on a real terminal: its size reaches the open hook, a
 * window change reaches the resize hook. */
static void test_interactive_pty(void **state)
{
	char **argv = ssh_argv("alice@blue/r1", "wonderland", NULL, fx.port, true, NULL);
	struct winsize ws = {.ws_col = 120, .ws_row = 50};
	struct child ch;

	child_start(&ch, argv, "wonderland", NULL, true, 100, 40);
	strv_free(argv);
	if (!WAIT_FOR((child_poll(&ch), strstr(ds_cstr(&ch.output), "r1> ")), CLIENT_TIMEOUT_MS))
		fail_msg("no prompt: '%s'", ds_cstr(&ch.output));
	assert_true(fx.last.pty);
	assert_int_equal(fx.last.cols, 100);
	assert_int_equal(fx.last.rows, 40);

	/* The kernel signals ssh (SIGWINCH); ssh tells the server. */
	assert_int_equal(ioctl(ch.out, TIOCSWINSZ, &ws), 0);
	assert_true(WAIT_FOR(fx.n_resize > 0, 5000));
	assert_int_equal(fx.resize_cols, 120);
	assert_int_equal(fx.resize_rows, 50);

	assert_int_equal(write(ch.in, "hi\r", 3), 3);
	if (!WAIT_FOR((child_poll(&ch), strstr(ds_cstr(&ch.output), "HI")), 5000))
		fail_msg("no echo: '%s'", ds_cstr(&ch.output));
	assert_int_equal(write(ch.in, "exit\r", 5), 5);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	assert_int_equal(ch.status, EXIT_STATUS);
	child_close(&ch);
}

/* The open hook refuses: the client gets the text and status 1. */
static void test_refused_session(void **state)
{
	struct child ch;

	assert_int_equal(ssh_run(&ch, "alice@blue/r1", "wonderland", "refuse"), 1);
	assert_string_equal(ds_cstr(&ch.output), "% Refused by the test\n");
	child_close(&ch);
	loop_run(50);
	assert_int_equal(fx.n_closed, 0);
}

/* Subsystems (sftp) and forwarding are refused; nothing reaches the
 * hooks. */
static void test_refused_requests(void **state)
{
	static const char *const sftp[] = {"-s", NULL};
	/* OpenSSH refuses a '/' in the user name with -W. */
	static const char *const forward[] = {"-W", "127.0.0.1:9", NULL};
	char **argv = ssh_argv_extra("alice@blue/r1", NULL, fx.key, fx.port, false, "sftp", sftp);
	struct child ch;

	child_start(&ch, argv, NULL, NULL, false, 0, 0);
	strv_free(argv);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	assert_int_equal(ch.status, 255);
	assert_non_null(strstr(ds_cstr(&ch.output), "subsystem request failed"));
	child_close(&ch);

	argv = ssh_argv_extra("alice", NULL, fx.key, fx.port, false, NULL, forward);
	child_start(&ch, argv, NULL, NULL, false, 0, 0);
	strv_free(argv);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	assert_int_equal(ch.status, 255);
	assert_non_null(strstr(ds_cstr(&ch.output), "stdio forwarding failed"));
	child_close(&ch);

	loop_run(50);
	assert_int_equal(fx.n_open, 0);
	assert_int_equal(fx.n_failed, 0);
}

static void keyscan(struct ds *out)
{
	char *port = xasprintf("%d", fx.port);
	char *argv[] = {KEYSCAN_BIN, "-t", "ed25519", "-p", port, "127.0.0.1", NULL};

	assert_int_equal(run_tool(argv, out), 0);
	free(port);
}

/* The host key: Ed25519, mode 0600, the same after a restart. */
static void test_host_key(void **state)
{
	char *path = xasprintf("%s/ssh_host_ed25519_key", fx.state);
	struct ds before = DS_EMPTY_INITIALIZER, after = DS_EMPTY_INITIALIZER;
	struct stat st;
	const char *key_before, *key_after;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	keyscan(&before);
	server_stop();
	server_start();
	keyscan(&after);
	/* "[127.0.0.1]:PORT ssh-ed25519 AAAA...": the port differs. */
	key_before = strstr(ds_cstr(&before), "ssh-ed25519 ");
	key_after = strstr(ds_cstr(&after), "ssh-ed25519 ");
	assert_non_null(key_before);
	assert_non_null(key_after);
	assert_string_equal(key_before, key_after);
	ds_destroy(&before);
	ds_destroy(&after);
	free(path);
}

/* A client that stops reading a big output holds up nobody; resumed, it
 * gets every byte. */
static void test_slow_client(void **state)
{
	const size_t size = 8 << 20;
	struct child slow, quick;
	uint64_t start;

	ssh_start(&slow, "alice@blue/r1", NULL, fx.key, false, "flood 8388608", NULL);
	fx.stop_pid = slow.pid;
	assert_true(WAIT_FOR(fx.n_open == 1, CLIENT_TIMEOUT_MS));
	loop_run(100);

	start = now_ms();
	ssh_start(&quick, "alice@blue/r1", NULL, fx.key, false, "quick", NULL);
	child_wait(&quick, CLIENT_TIMEOUT_MS);
	assert_int_equal(quick.status, EXEC_STATUS);
	assert_string_equal(ds_cstr(&quick.output), "ran: quick\n");
	print_message("exec beside a stopped client: %llu ms\n",
		      (unsigned long long)(now_ms() - start));
	assert_true(now_ms() - start < 2000);
	child_close(&quick);

	/* It has not got everything yet; resumed, it does. */
	child_poll(&slow);
	assert_true(slow.output.length < size);
	kill(slow.pid, SIGCONT);
	child_wait(&slow, CLIENT_TIMEOUT_MS);
	assert_int_equal(slow.status, EXEC_STATUS);
	assert_int_equal(slow.output.length, size);
	assert_int_equal(memcmp(slow.output.string, "abcdefghijklmnopqrstuvwxyz", 26), 0);
	child_close(&slow);
}

/* Logins do not stall established sessions: while four password logins
 * with a costly hash run (each check ~0.8 s of CPU on a handshake
 * thread), an interactive session's keystrokes still echo at once. Were
 * the checks on the SSH thread, each would hold every session for its
 * whole length. The bound leaves room for a loaded machine (CI runs tests
 * side by side): half a check. */
static void test_logins_do_not_stall(void **state)
{
	char **argv = ssh_argv("alice@blue/r1", NULL, fx.key, fx.port, true, NULL);
	struct child pty, logins[4];
	uint64_t start, worst = 0;
	size_t echoes = 0;
	bool busy = true;

	child_start(&pty, argv, NULL, NULL, true, 80, 24);
	strv_free(argv);
	if (!WAIT_FOR((child_poll(&pty), strstr(ds_cstr(&pty.output), "r1> ")), CLIENT_TIMEOUT_MS))
		fail_msg("no prompt: '%s'", ds_cstr(&pty.output));
	start = now_ms();
	for (size_t i = 0; i < ARRAY_SIZE(logins); i++)
		ssh_start(&logins[i], "erin@blue/r1", "slow one", NULL, false, "costly", NULL);
	for (int k = 0; busy && k < 400; k++) {
		size_t before = pty.output.length;
		uint64_t sent = now_ms(), took;

		assert_int_equal(write(pty.in, "a", 1), 1);
		if (!WAIT_FOR((child_poll(&pty), pty.output.length > before), 5000))
			fail_msg("no echo");
		took = now_ms() - sent;
		worst = took > worst ? took : worst;
		echoes++;
		busy = false;
		for (size_t i = 0; i < ARRAY_SIZE(logins); i++) {
			child_poll(&logins[i]);
			busy |= !logins[i].exited;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(logins); i++) {
		child_wait(&logins[i], CLIENT_TIMEOUT_MS);
		assert_int_equal(logins[i].status, EXEC_STATUS);
		assert_string_equal(ds_cstr(&logins[i].output), "ran: costly\n");
		child_close(&logins[i]);
	}
	print_message("4 costly logins in %llu ms; %zu echoes meanwhile, the slowest %llu ms\n",
		      (unsigned long long)(now_ms() - start), echoes, (unsigned long long)worst);
	assert_true(echoes >= 5);
	assert_true(worst < 400);
	assert_int_equal(write(pty.in, "\rexit\r", 6), 6);
	child_wait(&pty, CLIENT_TIMEOUT_MS);
	child_close(&pty);
}

/* Past 16 MiB queued for a client that does not read, the session ends
 * and the main thread hears of it. */
static void test_output_cap(void **state)
{
	struct child slow;

	ssh_start(&slow, "alice@blue/r1", NULL, fx.key, false, "hang 41943040", NULL);
	fx.stop_pid = slow.pid;
	assert_true(WAIT_FOR(fx.n_open == 1, CLIENT_TIMEOUT_MS));
	assert_true(WAIT_FOR(fx.n_closed == 1, 10000));
	kill(slow.pid, SIGCONT);
	child_wait(&slow, CLIENT_TIMEOUT_MS);
	assert_int_not_equal(slow.status, EXEC_STATUS);
	assert_true(slow.output.length < (41943040u >> 1));
	child_close(&slow);
}

/* TCP clients that say nothing do not hold up others. */
static void test_silent_connection(void **state)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx.port)};
	int fds[4];
	uint64_t start;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sin, sizeof sin), 0);
	}
	loop_run(100);
	start = now_ms();
	expect_exec("alice@blue/r1", NULL, "show users");
	assert_true(now_ms() - start < 2000);
	/* What they got meanwhile: our banner. */
	char banner[32] = "";

	assert_int_equal(recv(fds[0], banner, sizeof banner - 1, MSG_DONTWAIT), 17);
	assert_string_equal(banner, "SSH-2.0-onm_0.1\r\n");
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		close(fds[i]);
}

static int free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* A device's own address selects it whatever the login says; it goes
 * away with the device's address. */
static void test_device_listener(void **state)
{
	int port = free_port(), main_port = fx.port;
	char *listen = xasprintf("127.0.0.1:%d", port);
	struct child ch;

	dev_ssh_server_set_creds(fx.srv, make_creds(listen));
	loop_run(100);
	fx.port = port;
	expect_exec("alice", "wonderland", "x");
	assert_string_equal(fx.last.device, "r2");
	expect_exec("alice@red/r9", NULL, "y");
	assert_string_equal(fx.last.device, "r2");
	/* bob is zeta's: not on acme's r2. */
	expect_refused("bob", "builder", "foreign device");

	dev_ssh_server_set_creds(fx.srv, make_creds(NULL));
	loop_run(100);
	assert_int_equal(ssh_run(&ch, "alice", "wonderland", "z"), 255);
	child_close(&ch);
	fx.port = main_port;
	expect_exec("alice", "wonderland", "z");
	assert_string_equal(fx.last.device, "r1");
	free(listen);
}

/* Creation fails with a message, and leaves a bad key file alone. */
static void test_create_errors(void **state)
{
	char *file = xasprintf("%s/not-a-dir", fx.dir);
	char *under_file = xasprintf("%s/sub", file);
	char *bad_dir = xasprintf("%s/bad-key", fx.dir);
	char *bad_key = xasprintf("%s/ssh_host_ed25519_key", bad_dir);
	char *taken = xasprintf("127.0.0.1:%d", fx.port);
	struct {
		const char *listen, *state_dir, *message;
	} cases[] = {
	    {"localhost:22", fx.state, "bad listen address 'localhost:22'"},
	    {"127.0.0.1:65536", fx.state, "bad listen address"},
	    {taken, fx.state, "cannot listen on"},
	    {"127.0.0.1:0", under_file, "cannot create"},
	    {"127.0.0.1:0", bad_dir, "cannot load the host key"},
	};
	struct stat st;

	write_text(file, "x\n", 0600);
	assert_int_equal(mkdir(bad_dir, 0700), 0);
	write_text(bad_key, "garbage\n", 0600);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *error = NULL;
		struct dev_ssh_server *srv = dev_ssh_server_create(
		    fx.base, cases[i].listen, cases[i].state_dir, &hooks, &fx, &error);

		assert_null(srv);
		assert_non_null(error);
		if (!strstr(error, cases[i].message))
			fail_msg("case %zu: '%s'", i, error);
		free(error);
	}
	assert_int_equal(stat(bad_key, &st), 0);
	assert_int_equal(st.st_size, 8);
	free(file);
	free(under_file);
	free(bad_dir);
	free(bad_key);
	free(taken);
}

/* `onm console` run as a child (this program), with stdin from a pipe
 * or on a pseudo-terminal of 'cols' x 'rows' (when 'pty'). */
static void console_start(struct child *ch, const char *login, const char *password,
			  const char *input, bool pty, unsigned cols, unsigned rows)
{
	char *port = xasprintf("%d", fx.port);
	char *argv[] = {fx.self, "console", "127.0.0.1", port, (char *)login, NULL};

	child_start(ch, argv, password, input, pty, cols, rows);
	free(port);
}

static void test_console(void **state)
{
	struct child ch;

	console_start(&ch, "alice@blue/r1", GOOD_TICKET, "hello\nexit\n", false, 0, 0);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	if (ch.status != EXIT_STATUS || !strstr(ds_cstr(&ch.output), "r1> HELLO"))
		fail_msg("status %d, output '%s'", ch.status, ds_cstr(&ch.output));
	assert_true(fx.last.ticket);
	assert_false(fx.last.pty);
	child_close(&ch);

	/* The end of the input ends the session (the EOF hook). */
	console_start(&ch, "alice@blue/r1", "wonderland", "hi\n", false, 0, 0);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	assert_int_equal(ch.status, EOF_STATUS);
	assert_non_null(strstr(ds_cstr(&ch.output), "HI"));
	child_close(&ch);

	/* The ticket is used: console_run fails with a message. */
	console_start(&ch, "alice@blue/r1", GOOD_TICKET, "hello\n", false, 0, 0);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	assert_int_equal(ch.status, 100);
	assert_non_null(strstr(ds_cstr(&ch.output), "console: login as alice@blue/r1 refused"));
	child_close(&ch);
}

/* On a terminal: a PTY of its size, raw mode while it runs (keys go as
 * typed), window changes; the terminal's mode is restored at the end,
 * also when a signal ends the console. */
static void test_console_tty(void **state)
{
	struct winsize ws = {.ws_col = 132, .ws_row = 43};
	struct child ch;

	console_start(&ch, "alice@blue/r1", "wonderland", NULL, true, 90, 30);
	if (!WAIT_FOR((child_poll(&ch), strstr(ds_cstr(&ch.output), "r1> ")), CLIENT_TIMEOUT_MS))
		fail_msg("no prompt: '%s'", ds_cstr(&ch.output));
	assert_true(fx.last.pty);
	assert_int_equal(fx.last.cols, 90);
	assert_int_equal(fx.last.rows, 30);
	assert_int_equal(ioctl(ch.out, TIOCSWINSZ, &ws), 0);
	assert_true(WAIT_FOR(fx.n_resize > 0, 5000));
	assert_int_equal(fx.resize_cols, 132);
	assert_int_equal(fx.resize_rows, 43);
	/* Raw: no local echo, "\r" as typed. */
	assert_int_equal(write(ch.in, "ab\r", 3), 3);
	if (!WAIT_FOR((child_poll(&ch), strstr(ds_cstr(&ch.output), "AB\r\nr1> ")), 5000))
		fail_msg("no echo: '%s'", ds_cstr(&ch.output));
	assert_null(strstr(ds_cstr(&ch.output), "ab"));
	assert_int_equal(write(ch.in, "exit\r", 5), 5);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	assert_int_equal(ch.status, EXIT_STATUS);
	child_close(&ch);

	/* SIGTERM: fails with a message, the terminal mode restored. */
	console_start(&ch, "alice@blue/r1", "wonderland", NULL, true, 80, 24);
	assert_true(WAIT_FOR((child_poll(&ch), strstr(ds_cstr(&ch.output), "r1> ")), 5000));
	kill(ch.pid, SIGTERM);
	child_wait(&ch, CLIENT_TIMEOUT_MS);
	if (ch.status != 100 || !strstr(ds_cstr(&ch.output), "console: interrupted"))
		fail_msg("status %d, output '%s'", ch.status, ds_cstr(&ch.output));
	child_close(&ch);
	/* The server hears the client went away (its EOF first, here). */
	assert_true(WAIT_FOR(fx.n_closed + fx.n_eof == 1, 5000));
}

/* The console child: runs console_run() and exits with its status (100
 * when it fails, 102 when the terminal's mode was not restored). */
static int console_main(int argc, char **argv)
{
	struct termios before, after;
	bool tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &before);
	char *error = NULL;
	int rc;

	if (argc != 5)
		return 101;
	rc = console_run(argv[2], atoi(argv[3]), argv[4], getenv("ONM_TEST_PASSWORD"), &error);
	if (rc < 0) {
		fprintf(stderr, "console: %s\n", error);
		free(error);
		rc = 100;
	}
	if (tty && (tcgetattr(STDIN_FILENO, &after) || before.c_lflag != after.c_lflag ||
		    before.c_iflag != after.c_iflag || before.c_oflag != after.c_oflag))
		return 102;
	return rc;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exec_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exec_pubkey, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_selection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tickets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interactive_pipe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interactive_pty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_client, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silent_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logins_do_not_stall, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_listener, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console_tty, setup, teardown),
	};

	if (argc > 1 && !strcmp(argv[1], "console"))
		return console_main(argc, argv);
	/* TEST_FILTER=test_console runs the matching tests only. */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

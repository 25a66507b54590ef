/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SSH face of the simulated devices, on libssh's server API.
 *
 * The server runs threads of its own: key exchange and password hashing
 * (argon2id is deliberately slow: ~0.1 s of CPU) on two handshake
 * threads, established sessions on the SSH thread, so that neither a
 * login nor a slow client holds up the controller's main loop or other
 * sessions (each session's output is queued and written only as far as
 * its SSH window and socket allow). Everything about a session that needs the model —
 * which device, the command engine — happens on the main thread, reached
 * through 'struct dev_ssh_hooks'; bytes cross between the threads on
 * queues woken by a pipe each way.
 *
 * Who may log in comes from a credentials snapshot the main thread builds
 * from the model and hands over whole (dev_ssh_server_set_creds) after
 * every change; the server's threads only read the snapshot they hold.
 *
 * Login names: "USER@NETWORK/DEVICE", "USER@TENANT/NETWORK/DEVICE" (when
 * USER and NETWORK/DEVICE are not enough to tell tenants apart), or "USER"
 * for the account's default device; a session arriving at a device's own
 * listen address selects that device whatever the login says after '@'.
 * An account reaches only the devices of its own tenant. Authentication
 * by password (argon2id hash) or public key (OpenSSH "ssh-ed25519 AAAA..."
 * lines); one-time tickets (onm console) are passwords that work once and
 * expire. Failed attempts are reported (hooks->login_failed) and rate-
 * limited per source address: after 5 failures within 60 s, the source's
 * further attempts fail without being checked for 60 s.
 *
 * The host key (Ed25519) is generated on first start and kept in
 * STATE_DIR/ssh_host_ed25519_key (mode 0600), so clients see the same key
 * after a restart.
 */
#ifndef ONM_DEVICE_SSH_H
#define ONM_DEVICE_SSH_H

#include "engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct dev_ssh_server;
struct dev_ssh_session;

/* ---- who may log in ---- */

struct dev_ssh_device {
	char *tenant, *network, *name; /* the device "TENANT/NETWORK/NAME" */
	char *listen;		       /* its own "ADDR:PORT", or NULL */
};

struct dev_ssh_account {
	char *tenant;	      /* devices of this tenant only */
	char *user;	      /* the name before '@' */
	enum dev_role role;
	char *password_hash;  /* "$argon2id$...", or NULL */
	char **keys;	      /* OpenSSH public key lines */
	size_t n_keys;
	char *ticket;	      /* one-time secret, or NULL (then hash/keys) */
	int64_t expires_ms;   /* tickets: wall clock (ms since the epoch) */
	char *default_device; /* "NETWORK/DEVICE" for a plain "USER" login, or NULL */
};

struct dev_ssh_creds {
	struct dev_ssh_account *accounts;
	size_t n_accounts;
	struct dev_ssh_device *devices;
	size_t n_devices;
};

/* Frees a snapshot and every string in it. NULL is fine. */
void dev_ssh_creds_destroy(struct dev_ssh_creds *);

/* ---- sessions, seen from the main thread ---- */

/* An authenticated session asking for a shell or a command. Strings are
 * valid during the open hook only. */
struct dev_ssh_login {
	const char *tenant, *user; /* the account */
	enum dev_role role;
	const char *network, *device; /* the selected device */
	const char *source;	      /* client "IP:PORT" */
	bool ticket;		      /* authenticated by a one-time ticket */
	bool pty;		      /* a PTY was requested */
	unsigned cols, rows;	      /* its size */
	const char *exec;	      /* the command of an exec request; NULL: shell */
};

/* Called on the main thread ('aux' as given to dev_ssh_server_create). */
struct dev_ssh_hooks {
	/* A session starts. Returns its context for the other hooks, or
	 * NULL to refuse (the client gets 'refusal' if set, then EOF). */
	void *(*open)(void *aux, struct dev_ssh_session *, const struct dev_ssh_login *,
		      const char **refusal);
	/* Bytes from the client. */
	void (*input)(void *ctx, const char *buf, size_t len);
	/* The client's window changed. */
	void (*resize)(void *ctx, unsigned cols, unsigned rows);
	/* The client went away. Called once, unless the main thread closed
	 * the session first; either way the session handle is then invalid
	 * and 'ctx' is the caller's to free. */
	void (*closed)(void *ctx);
	/* A failed login attempt ('login' as the client sent it; 'reason':
	 * "unknown user", "unknown device", "foreign device" (another
	 * tenant's), "no default device", "bad password", "used ticket",
	 * "expired ticket", "unknown key", "bad signature", "ambiguous
	 * login", "rate limited"). Public key failures come once per
	 * connection, when it ends without a login: clients try their keys
	 * in turn. */
	void (*login_failed)(void *aux, const char *login, const char *source,
			     const char *reason);
	/* The client will send no more input (it closed its side: a script
	 * piped into "ssh r1" ended). The session stays open until either
	 * side closes it. OpenSSH sends it at once for exec requests run
	 * without input. NULL: ignored. */
	void (*eof)(void *ctx);
};

/* Queues bytes for the client (copied). */
void dev_ssh_session_write(struct dev_ssh_session *, const char *buf, size_t len);
/* Ends the session after its queued output: exit status (exec), EOF,
 * close. The handle is invalid afterwards; 'closed' is not called. */
void dev_ssh_session_close(struct dev_ssh_session *, int exit_status);

/* ---- the server ---- */

/* Listens on 'listen' ("ADDR:PORT") with the host key of 'state_dir',
 * starts the SSH thread. 'base' is the main thread's loop where the hooks
 * run. Returns NULL with '*error' set (allocated) when the address cannot
 * be bound or the key cannot be loaded or created. */
struct dev_ssh_server *dev_ssh_server_create(struct event_base *base, const char *listen,
					     const char *state_dir,
					     const struct dev_ssh_hooks *hooks, void *aux,
					     char **error);
/* Stops the thread, closes every session (without 'closed' calls) and
 * frees the server. NULL is fine. */
void dev_ssh_server_destroy(struct dev_ssh_server *);

/* Replaces the credentials snapshot (takes ownership of 'creds'); binds
 * listen addresses of new devices and closes those of removed ones. Open
 * sessions stay. */
void dev_ssh_server_set_creds(struct dev_ssh_server *, struct dev_ssh_creds *creds);

/* The port actually bound (for "ADDR:0" in tests). */
int dev_ssh_server_port(const struct dev_ssh_server *);

#endif /* ONM_DEVICE_SSH_H */

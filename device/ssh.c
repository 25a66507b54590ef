// SPDX-License-Identifier: Apache-2.0
/*
 * The SSH server of the simulated devices (see ssh.h). The SSH thread runs
 * libssh over non-blocking sockets: our own listening sockets handed to
 * libssh with ssh_bind_accept_fd(), one session channel per connection,
 * and each session's output queued and written only as far as its SSH
 * window and socket allow. The main thread sees sessions through the
 * hooks; the two threads exchange messages on two queues, each woken by a
 * pipe.
 *
 * Key exchange and authentication run on HS_WORKERS handshake threads,
 * each with an ssh_event of its own: a password's argon2id check takes
 * ~0.1 s of CPU, and libssh's auth callbacks must answer at once, so on
 * the SSH thread every login would stall every established session. A new
 * connection goes to a handshake thread and comes back (MSG_HANDBACK) once
 * authenticated, failed or timed out; a connection is polled by one thread
 * at a time ('on_worker'), and messages for it wait while it is away. What
 * the auth callbacks share (credentials, rate limiter, used tickets) is
 * under 'auth_lock', never held across a password check.
 *
 * Rules that keep libssh's poll loop sound: nothing is freed, removed
 * from the ssh_event or disconnected inside a libssh callback (those only
 * record what happened and queue messages); the thread's loop does that
 * work after ssh_event_dopoll() returns.
 */
#define LOG_MODULE "ssh"

#include "ssh.h"

#include "onm/hmap.h"
#include "onm/log.h"
#include "onm/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOST_KEY_FILE "ssh_host_ed25519_key"
#define BANNER "onm_0.1" /* libssh sends "SSH-2.0-" BANNER */

enum {
	HANDSHAKE_TIMEOUT_MS = 30 * 1000, /* connect -> shell or exec request */
	CLOSE_TIMEOUT_MS = 5 * 1000,	  /* our channel close -> the client goes */
	ENDING_STALL_MS = 60 * 1000,	  /* ended session's output makes no progress */
	KEEPALIVE_IDLE_S = 60,		  /* TCP keepalive: first probe after */
	KEEPALIVE_INTERVAL_S = 10,	  /* ... then every ... */
	KEEPALIVE_COUNT = 6,		  /* ... this many unanswered: gone */
	LOOP_TIMEOUT_MS = 1000,		  /* the thread wakes at least this often */
	MAX_PREAUTH = 256,		  /* connections not yet authenticated */
	ACCEPT_BATCH = 64,		  /* accepts per listener per loop turn */
	WRITE_CHUNK = 32 * 1024,	  /* bytes per ssh_channel_write() */
	COALESCE_MAX = 64 * 1024,	  /* queued writes merge up to this size */
	MAX_CANDIDATES = 16,		  /* (account, device) pairs per login */
	RL_FAILURES = 5,		  /* failures ... */
	RL_WINDOW_MS = 60 * 1000,	  /* ... within this long block a source ... */
	RL_BLOCK_MS = 60 * 1000,	  /* ... for this long */
	RL_MAX_SOURCES = 4096,		  /* sources remembered */
	MAX_USED_TICKETS = 4096,	  /* used tickets remembered until they expire */
	HS_WORKERS = 2,			  /* handshake threads */
	HS_POLL_MS = 200,		  /* a handshake thread wakes at least this often */
};

#define OUTQ_MAX_SIZE ((size_t)16 << 20) /* bytes queued for one client */
#define INQ_MAX_SIZE ((size_t)64 << 20)	 /* client bytes waiting for the main thread */

/* ---- messages between the threads ---- */

enum msg_type {
	/* main thread -> SSH thread */
	MSG_WRITE,  /* 'data' for the client */
	MSG_CLOSE,  /* end the session with 'exit_status' */
	MSG_REFUSE, /* the open hook refused: 'data' is the text for the client */
	MSG_CREDS,  /* a new credentials snapshot */
	MSG_STOP,   /* end the thread */
	/* handshake thread -> SSH thread */
	MSG_HANDBACK, /* the connection is the SSH thread's again */
	/* SSH thread -> main thread */
	MSG_OPEN,	  /* a session starts: 'login' */
	MSG_INPUT,	  /* 'data' from the client */
	MSG_RESIZE,	  /* 'cols' x 'rows' */
	MSG_EOF,	  /* the client sends no more input */
	MSG_CLOSED,	  /* the client went away */
	MSG_LOGIN_FAILED, /* 'login', 'source', 'reason' */
};

/* The strings of a struct dev_ssh_login, owned (MSG_OPEN). */
struct login_copy {
	char *tenant, *user, *network, *device, *source, *exec;
	enum dev_role role;
	bool ticket, pty;
	unsigned cols, rows;
};

struct msg {
	struct msg *next;
	enum msg_type type;
	uint64_t id;			    /* the session (session messages) */
	char *data;			    /* WRITE, REFUSE, INPUT */
	size_t len, allocated;		    /* bytes of 'data' used, allocated */
	int exit_status;		    /* CLOSE */
	unsigned cols, rows;		    /* RESIZE */
	struct dev_ssh_creds *creds;	    /* CREDS */
	struct login_copy *login;	    /* OPEN */
	char *login_name, *source, *reason; /* LOGIN_FAILED */
};

/* A queue one thread fills and the other empties; 'wake' is readable
 * while the queue is (or may be) non-empty. */
struct msg_queue {
	pthread_mutex_t mutex;
	struct msg *head, *tail; /* FIFO */
	size_t size;		 /* bytes of 'data' queued */
	int wake[2];		 /* pipe: [0] polled by the consumer, [1] written */
};

/* ---- the server ---- */

/* A credentials snapshot, shared by the threads that look logins up in it
 * and freed by the last one done with it. */
struct creds_ref {
	struct dev_ssh_creds *creds;
	unsigned refs; /* under auth_lock */
};

/* A handshake thread (see the top of the file). */
struct hs_worker {
	struct dev_ssh_server *server;
	pthread_t thread;
	ssh_event event;       /* its connections and its wake pipe */
	int wake[2];	       /* pipe: [0] polled here, [1] written on a handover */
	pthread_mutex_t mutex; /* guards 'inbox' and 'stop' */
	struct conn *inbox;    /* handed over, not yet polled (by 'wnext') */
	bool stop;
	bool started;
	struct conn *conns; /* polled here (by 'wnext'; this thread only) */
};

/* A listening socket: the server's own, or a device's. */
struct listener {
	struct listener *next;
	int fd;
	char *address;			 /* "ADDR:PORT" as configured */
	char *tenant, *network, *device; /* the device it selects; NULL: none */
	bool ready;			 /* poll saw a connection waiting */
	bool keep;			 /* still wanted (set_creds) */
};

struct dev_ssh_server {
	/* Set at creation, then read-only (both threads). */
	struct event_base *base;
	struct dev_ssh_hooks hooks;
	void *aux;
	int port; /* of the main listener */

	struct msg_queue to_ssh;  /* main thread -> SSH thread */
	struct msg_queue to_main; /* SSH thread -> main thread */

	/* Main thread only. */
	struct event *wake_event; /* on to_main.wake[0] */
	struct hmap sessions;	  /* struct dev_ssh_session by id */

	/* SSH thread only (the main thread sets them up before starting it
	 * and tears them down after joining it). */
	pthread_t thread;
	ssh_bind bind;		       /* host key, banner: settings for every session */
	ssh_event event;	       /* polls the wake pipe, listeners, sessions */
	struct listener *listeners;    /* the server's and the devices' */
	struct hmap conns;	       /* struct conn by id */
	uint64_t next_id;	       /* the next session id */
	struct hs_worker workers[HS_WORKERS];
	unsigned next_worker; /* the one the next connection goes to */
	bool wake_ready;      /* the wake pipe is readable */
	bool stopping;	      /* MSG_STOP seen */

	/* Shared by the SSH thread and the handshake threads. */
	atomic_size_t n_preauth;       /* conns not yet authenticated */
	pthread_mutex_t auth_lock;     /* guards what follows */
	struct creds_ref *creds;       /* the current snapshot, or NULL */
	struct hmap sources;	       /* struct source by IP: the rate limiter */
	struct used_ticket *used;      /* tickets already used */
	size_t n_used, allocated_used; /* of 'used' */
};

/* A session as the main thread knows it. */
struct dev_ssh_session {
	struct hmap_node node; /* in server->sessions */
	struct dev_ssh_server *server;
	uint64_t id;
	void *ctx;    /* what the open hook returned */
	bool in_hook; /* a hook of this session runs: do not free yet */
	bool closed;  /* dev_ssh_session_close() was called */
};

/* ---- time ---- */

static uint64_t mono_ms(void)
{
	return time_usec() / 1000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- messages ---- */

static struct msg *msg_create(enum msg_type type, uint64_t id)
{
	struct msg *m = xzalloc(sizeof *m);

	m->type = type;
	m->id = id;
	return m;
}

static void login_copy_destroy(struct login_copy *l)
{
	if (!l)
		return;
	free(l->tenant);
	free(l->user);
	free(l->network);
	free(l->device);
	free(l->source);
	free(l->exec);
	free(l);
}

static void msg_destroy(struct msg *m)
{
	if (!m)
		return;
	free(m->data);
	dev_ssh_creds_destroy(m->creds);
	login_copy_destroy(m->login);
	free(m->login_name);
	free(m->source);
	free(m->reason);
	free(m);
}

static void msg_list_destroy(struct msg *m)
{
	while (m) {
		struct msg *next = m->next;

		msg_destroy(m);
		m = next;
	}
}

static int queue_init(struct msg_queue *q)
{
	memset(q, 0, sizeof *q);
	if (pipe2(q->wake, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	pthread_mutex_init(&q->mutex, NULL);
	return 0;
}

static void queue_uninit(struct msg_queue *q)
{
	msg_list_destroy(q->head);
	close(q->wake[0]);
	close(q->wake[1]);
	pthread_mutex_destroy(&q->mutex);
}

static void queue_wake(struct msg_queue *q)
{
	/* A full pipe is fine: it is readable already. */
	if (write(q->wake[1], "", 1) < 0 && errno != EAGAIN)
		onm_abort("ssh: wake pipe: %s", strerror(errno));
}

/* Appends 'm' (takes ownership). Only the push onto an empty queue writes
 * to the pipe: the consumer empties the pipe before taking the list, so
 * no wake-up is lost. */
static void queue_push(struct msg_queue *q, struct msg *m)
{
	bool was_empty;

	pthread_mutex_lock(&q->mutex);
	was_empty = !q->head;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->size += m->len;
	pthread_mutex_unlock(&q->mutex);
	if (was_empty)
		queue_wake(q);
}

/* Queues 'len' bytes of session 'id' as a 'type' message, merged into the
 * message at the tail when it is the same kind for the same session (a
 * terminal echoes byte by byte). Returns the bytes queued afterwards. */
static size_t queue_push_data(struct msg_queue *q, enum msg_type type, uint64_t id, const char *buf,
			      size_t len)
{
	struct msg *m;
	size_t size;

	pthread_mutex_lock(&q->mutex);
	m = q->tail;
	if (m && m->type == type && m->id == id && m->len + len <= COALESCE_MAX) {
		if (m->len + len > m->allocated) {
			m->allocated = COALESCE_MAX;
			m->data = xrealloc(m->data, m->allocated);
		}
		memcpy(m->data + m->len, buf, len);
		m->len += len;
		q->size += len;
		size = q->size;
		pthread_mutex_unlock(&q->mutex);
		return size;
	}
	pthread_mutex_unlock(&q->mutex);

	m = msg_create(type, id);
	m->data = xmalloc(len ? len : 1);
	memcpy(m->data, buf, len);
	m->len = m->allocated = len;
	queue_push(q, m);
	pthread_mutex_lock(&q->mutex);
	size = q->size;
	pthread_mutex_unlock(&q->mutex);
	return size;
}

/* Takes every queued message (a list in order), emptying the pipe first. */
static struct msg *queue_take(struct msg_queue *q)
{
	char buf[64];
	struct msg *head;

	while (read(q->wake[0], buf, sizeof buf) > 0)
		continue;
	pthread_mutex_lock(&q->mutex);
	head = q->head;
	q->head = q->tail = NULL;
	q->size = 0;
	pthread_mutex_unlock(&q->mutex);
	return head;
}

/* ---- the main thread's side ---- */

static uint32_t id_hash(uint64_t id)
{
	return hash_bytes(&id, sizeof id, 0);
}

static struct dev_ssh_session *session_find(struct dev_ssh_server *srv, uint64_t id)
{
	struct dev_ssh_session *s;

	HMAP_FOR_EACH_WITH_HASH (s, node, id_hash(id), &srv->sessions) {
		if (s->id == id)
			return s;
	}
	return NULL;
}

void dev_ssh_session_write(struct dev_ssh_session *s, const char *buf, size_t len)
{
	if (!s || s->closed || !len)
		return;
	queue_push_data(&s->server->to_ssh, MSG_WRITE, s->id, buf, len);
}

void dev_ssh_session_close(struct dev_ssh_session *s, int exit_status)
{
	struct msg *m;

	if (!s || s->closed)
		return;
	s->closed = true;
	hmap_remove(&s->server->sessions, &s->node);
	m = msg_create(MSG_CLOSE, s->id);
	m->exit_status = exit_status;
	queue_push(&s->server->to_ssh, m);
	/* Inside one of its hooks the dispatcher frees it on return. */
	if (!s->in_hook)
		free(s);
}

static void dispatch_open(struct dev_ssh_server *srv, struct msg *m)
{
	const struct login_copy *lc = m->login;
	struct dev_ssh_login login = {
	    .tenant = lc->tenant,
	    .user = lc->user,
	    .role = lc->role,
	    .network = lc->network,
	    .device = lc->device,
	    .source = lc->source,
	    .ticket = lc->ticket,
	    .pty = lc->pty,
	    .cols = lc->cols,
	    .rows = lc->rows,
	    .exec = lc->exec,
	};
	struct dev_ssh_session *s = xzalloc(sizeof *s);
	const char *refusal = NULL;
	void *ctx;

	s->server = srv;
	s->id = m->id;
	hmap_insert(&srv->sessions, &s->node, id_hash(s->id));
	s->in_hook = true;
	ctx = srv->hooks.open(srv->aux, s, &login, &refusal);
	s->in_hook = false;
	if (s->closed) {
		/* Closed from inside the hook (an exec that finished at once). */
		free(s);
		return;
	}
	if (!ctx) {
		struct msg *r = msg_create(MSG_REFUSE, s->id);

		if (refusal) {
			r->data = xstrdup(refusal);
			r->len = r->allocated = strlen(refusal);
		}
		queue_push(&srv->to_ssh, r);
		hmap_remove(&srv->sessions, &s->node);
		free(s);
		return;
	}
	s->ctx = ctx;
}

/* Runs one session hook ('m' says which) unless the session is gone. */
static void dispatch_session(struct dev_ssh_server *srv, struct msg *m)
{
	struct dev_ssh_session *s = session_find(srv, m->id);

	if (!s)
		return; /* closed by the main thread meanwhile */
	if (m->type == MSG_CLOSED) {
		hmap_remove(&srv->sessions, &s->node);
		s->closed = true; /* a close from inside the hook is a no-op */
		if (srv->hooks.closed)
			srv->hooks.closed(s->ctx);
		free(s);
		return;
	}
	s->in_hook = true;
	if (m->type == MSG_INPUT && srv->hooks.input)
		srv->hooks.input(s->ctx, m->data, m->len);
	else if (m->type == MSG_RESIZE && srv->hooks.resize)
		srv->hooks.resize(s->ctx, m->cols, m->rows);
	else if (m->type == MSG_EOF && srv->hooks.eof)
		srv->hooks.eof(s->ctx);
	s->in_hook = false;
	if (s->closed)
		free(s);
}

static void dispatch(struct dev_ssh_server *srv, struct msg *m)
{
	switch (m->type) {
	case MSG_OPEN:
		dispatch_open(srv, m);
		break;
	case MSG_INPUT:
	case MSG_RESIZE:
	case MSG_EOF:
	case MSG_CLOSED:
		dispatch_session(srv, m);
		break;
	case MSG_LOGIN_FAILED:
		if (srv->hooks.login_failed)
			srv->hooks.login_failed(srv->aux, m->login_name, m->source, m->reason);
		break;
	default:
		break;
	}
}

/* The SSH thread has news: run the hooks, in order. */
static void on_main_wake(evutil_socket_t fd, short what, void *srv_)
{
	struct dev_ssh_server *srv = srv_;
	struct msg *m = queue_take(&srv->to_main);

	while (m) {
		struct msg *next = m->next;

		dispatch(srv, m);
		msg_destroy(m);
		m = next;
	}
}

/* ---- the SSH thread: connections ---- */

enum conn_state {
	CONN_HANDSHAKE, /* key exchange, authentication */
	CONN_AUTHED,	/* authenticated, waiting for a shell or exec request */
	CONN_OPEN,	/* the main thread has the session */
	CONN_ENDING,	/* output drains, then exit status, EOF and close go out */
	CONN_CLOSED,	/* our channel close is out: waiting for the client to go */
};

struct conn {
	struct hmap_node node; /* in server->conns */
	struct dev_ssh_server *server;
	uint64_t id;
	enum conn_state state;
	ssh_session session;
	ssh_channel channel;				/* the one session channel, or NULL */
	struct ssh_server_callbacks_struct server_cb;	/* libssh keeps a pointer */
	struct ssh_channel_callbacks_struct channel_cb; /* likewise */
	uint64_t deadline_ms;				/* handshake or close timeout */

	char source[INET6_ADDRSTRLEN + 8];		   /* "IP:PORT", "[IP6]:PORT" */
	char ip[INET6_ADDRSTRLEN];			   /* the rate limiter's key */
	char *fixed_tenant, *fixed_network, *fixed_device; /* a device listener's device */

	/* The authenticated login (copies: the snapshot may change). */
	char *tenant, *user, *network, *device;
	enum dev_role role;
	bool ticket;

	/* What the client asked for. */
	bool pty;
	unsigned cols, rows;

	/* Output not yet given to libssh: WRITE messages, the first one
	 * written up to 'out_off'. */
	struct msg *out_head, *out_tail;
	size_t out_off, out_size; /* bytes of the head written; bytes queued */
	int exit_status;	  /* ENDING: sent before EOF */

	bool main_gone;			/* the main thread no longer knows the id */
	bool peer_closed;		/* the client closed the channel */
	bool kill;			/* tear down at the next turn (overflow, flood) */
	bool reported;			/* a failed login of this connection was reported */
	char *fail_login, *fail_reason; /* a public key failure to report at the end */

	/* Set and cleared by the SSH thread: a handshake thread polls it. */
	bool on_worker;
	struct conn *wnext;		  /* in a worker's 'inbox' or 'conns' */
	struct msg *deferred, *deferred_tail; /* messages that came meanwhile */
};

static void post_to_main(struct conn *c, enum msg_type type)
{
	queue_push(&c->server->to_main, msg_create(type, c->id));
}

/* Tells the main thread, once, that the session is over. */
static void conn_post_closed(struct conn *c)
{
	if (c->state >= CONN_OPEN && !c->main_gone)
		post_to_main(c, MSG_CLOSED);
	c->main_gone = true;
}

/* ---- the SSH thread: rate limiting and used tickets ---- */

/* Failed logins of one source address. */
struct source {
	struct hmap_node node;	       /* in server->sources */
	char ip[INET6_ADDRSTRLEN];     /* the address */
	uint64_t fail_ms[RL_FAILURES]; /* the last failures (a ring) */
	unsigned n_fails;	       /* failures ever; the ring index is n % RL_FAILURES */
	uint64_t blocked_until_ms;     /* attempts fail unchecked until then */
};

static struct source *source_find(struct dev_ssh_server *srv, const char *ip)
{
	uint32_t hash = hash_string(ip, 0);
	struct source *s;

	HMAP_FOR_EACH_WITH_HASH (s, node, hash, &srv->sources) {
		if (!strcmp(s->ip, ip))
			return s;
	}
	return NULL;
}

static bool source_blocked(struct dev_ssh_server *srv, const char *ip, uint64_t now)
{
	struct source *s;
	bool blocked;

	pthread_mutex_lock(&srv->auth_lock);
	s = source_find(srv, ip);
	blocked = s && now < s->blocked_until_ms;
	pthread_mutex_unlock(&srv->auth_lock);
	return blocked;
}

/* Forgets sources that neither are blocked nor failed within the window. */
static void sources_prune(struct dev_ssh_server *srv, uint64_t now)
{
	struct source *s;

	HMAP_FOR_EACH_SAFE (s, node, &srv->sources) {
		uint64_t last = s->fail_ms[(s->n_fails + RL_FAILURES - 1) % RL_FAILURES];

		if (now >= s->blocked_until_ms && now - last >= RL_WINDOW_MS) {
			hmap_remove(&srv->sources, &s->node);
			free(s);
		}
	}
}

static void source_fail_locked(struct dev_ssh_server *srv, const char *ip, uint64_t now)
{
	struct source *s = source_find(srv, ip);

	if (!s) {
		if (hmap_count(&srv->sources) >= RL_MAX_SOURCES)
			sources_prune(srv, now);
		if (hmap_count(&srv->sources) >= RL_MAX_SOURCES) {
			LOG_WARN_RL("too many sources failing logins, not tracking %s", ip);
			return;
		}
		s = xzalloc(sizeof *s);
		snprintf(s->ip, sizeof s->ip, "%s", ip);
		hmap_insert(&srv->sources, &s->node, hash_string(ip, 0));
	}
	s->fail_ms[s->n_fails % RL_FAILURES] = now;
	s->n_fails++;
	/* The ring's next slot holds the oldest of the last RL_FAILURES. */
	if (s->n_fails >= RL_FAILURES &&
	    now - s->fail_ms[s->n_fails % RL_FAILURES] < RL_WINDOW_MS) {
		s->blocked_until_ms = now + RL_BLOCK_MS;
		LOG_WARN_RL("%s: %d failed logins within %d s, blocked for %d s", ip, RL_FAILURES,
			    RL_WINDOW_MS / 1000, RL_BLOCK_MS / 1000);
	}
}

static void source_fail(struct dev_ssh_server *srv, const char *ip, uint64_t now)
{
	pthread_mutex_lock(&srv->auth_lock);
	source_fail_locked(srv, ip, now);
	pthread_mutex_unlock(&srv->auth_lock);
}

/* A used ticket, remembered by its hash until it expires: snapshots taken
 * before the main thread learned of the use still hold it. */
struct used_ticket {
	unsigned char hash[crypto_generichash_BYTES];
	int64_t expires_ms; /* wall clock */
};

static void ticket_hash(const char *ticket, unsigned char hash[crypto_generichash_BYTES])
{
	crypto_generichash(hash, crypto_generichash_BYTES, (const unsigned char *)ticket,
			   strlen(ticket), NULL, 0);
}

static bool ticket_used(const struct dev_ssh_server *srv, const char *ticket)
{
	unsigned char hash[crypto_generichash_BYTES];

	ticket_hash(ticket, hash);
	for (size_t i = 0; i < srv->n_used; i++) {
		if (!sodium_memcmp(srv->used[i].hash, hash, sizeof hash))
			return true;
	}
	return false;
}

static void ticket_use(struct dev_ssh_server *srv, const struct dev_ssh_account *a)
{
	int64_t now = wall_ms();
	size_t n = 0;

	/* Forget the expired ones (they fail as expired anyway). */
	for (size_t i = 0; i < srv->n_used; i++) {
		if (srv->used[i].expires_ms > now)
			srv->used[n++] = srv->used[i];
	}
	srv->n_used = n;
	if (n >= MAX_USED_TICKETS) {
		/* Make room by the one expiring first. */
		size_t first = 0;

		for (size_t i = 1; i < n; i++) {
			if (srv->used[i].expires_ms < srv->used[first].expires_ms)
				first = i;
		}
		srv->used[first] = srv->used[--srv->n_used];
	}
	srv->used = xgrow(srv->used, &srv->allocated_used, srv->n_used + 1, sizeof *srv->used);
	ticket_hash(a->ticket, srv->used[srv->n_used].hash);
	srv->used[srv->n_used].expires_ms = a->expires_ms;
	srv->n_used++;
}

/* Constant time for secrets of equal length (a ticket's length is no
 * secret: they are all made alike). */
static bool ticket_equal(const char *ticket, const char *password)
{
	size_t len = strlen(ticket);

	return len == strlen(password) && !sodium_memcmp(ticket, password, len);
}

/* ---- credentials snapshots ---- */

static struct creds_ref *creds_get(struct dev_ssh_server *srv)
{
	struct creds_ref *r;

	pthread_mutex_lock(&srv->auth_lock);
	r = srv->creds;
	if (r)
		r->refs++;
	pthread_mutex_unlock(&srv->auth_lock);
	return r;
}

static void creds_put(struct dev_ssh_server *srv, struct creds_ref *r)
{
	bool last;

	if (!r)
		return;
	pthread_mutex_lock(&srv->auth_lock);
	last = !--r->refs;
	pthread_mutex_unlock(&srv->auth_lock);
	if (last) {
		dev_ssh_creds_destroy(r->creds);
		free(r);
	}
}

/* Makes 'creds' (owned; may be NULL) the current snapshot. */
static void creds_set(struct dev_ssh_server *srv, struct dev_ssh_creds *creds)
{
	struct creds_ref *r = NULL, *old;

	if (creds) {
		r = xzalloc(sizeof *r);
		r->creds = creds;
		r->refs = 1;
	}
	pthread_mutex_lock(&srv->auth_lock);
	old = srv->creds;
	srv->creds = r;
	pthread_mutex_unlock(&srv->auth_lock);
	creds_put(srv, old);
}

/* ---- handshake threads: who is logging in ---- */

struct candidate {
	const struct dev_ssh_account *account;
	const struct dev_ssh_device *device;
};

struct lookup {
	struct candidate c[MAX_CANDIDATES];
	size_t n;
};

static bool user_exists(const struct dev_ssh_creds *creds, const char *user)
{
	for (size_t i = 0; i < creds->n_accounts; i++) {
		if (!strcmp(creds->accounts[i].user, user))
			return true;
	}
	return false;
}

static bool device_is(const struct dev_ssh_device *d, const char *tenant, const char *network,
		      const char *name)
{
	return (!tenant || !strcmp(d->tenant, tenant)) && !strcmp(d->network, network) &&
	       !strcmp(d->name, name);
}

static void lookup_add(struct lookup *lk, const struct dev_ssh_account *a,
		       const struct dev_ssh_device *d)
{
	if (lk->n < MAX_CANDIDATES)
		lk->c[lk->n++] = (struct candidate){a, d};
}

/* Candidates for an explicit device ('tenant' may be NULL: any tenant). */
static const char *lookup_device(const struct dev_ssh_creds *creds, const char *user,
				 const char *tenant, const char *network, const char *name,
				 struct lookup *lk)
{
	bool any_device = false;

	for (size_t i = 0; i < creds->n_devices; i++) {
		const struct dev_ssh_device *d = &creds->devices[i];

		if (!device_is(d, tenant, network, name))
			continue;
		any_device = true;
		for (size_t j = 0; j < creds->n_accounts; j++) {
			const struct dev_ssh_account *a = &creds->accounts[j];

			if (!strcmp(a->user, user) && !strcmp(a->tenant, d->tenant))
				lookup_add(lk, a, d);
		}
	}
	if (!any_device)
		return "unknown device";
	return lk->n ? NULL : "foreign device";
}

/* Candidates for a plain "USER": each account's default device. */
static const char *lookup_default(const struct dev_ssh_creds *creds, const char *user,
				  struct lookup *lk)
{
	for (size_t j = 0; j < creds->n_accounts; j++) {
		const struct dev_ssh_account *a = &creds->accounts[j];
		const char *slash = a->default_device ? strchr(a->default_device, '/') : NULL;

		if (strcmp(a->user, user) != 0 || !slash)
			continue;
		char *network = xmemdup0(a->default_device, (size_t)(slash - a->default_device));

		for (size_t i = 0; i < creds->n_devices; i++) {
			if (device_is(&creds->devices[i], a->tenant, network, slash + 1)) {
				lookup_add(lk, a, &creds->devices[i]);
				break;
			}
		}
		free(network);
	}
	return lk->n ? NULL : "no default device";
}

/* Finds the (account, device) pairs that login name 'login' may mean on
 * connection 'c' (see ssh.h for the forms). Returns NULL, or why there
 * are none (the login_failed reason). */
static const char *lookup_login(const struct dev_ssh_creds *creds, const struct conn *c,
				const char *login, struct lookup *lk)
{
	const char *at = strrchr(login, '@');
	const char *reason;
	char *user;

	lk->n = 0;
	if (!creds)
		return "unknown user";
	if (c->fixed_device) {
		/* A device's own address: the device is given; what follows
		 * '@' does not matter (unless the whole name is a user's). */
		user = at && !user_exists(creds, login) ? xmemdup0(login, (size_t)(at - login))
							: xstrdup(login);
		reason = user_exists(creds, user)
			     ? lookup_device(creds, user, c->fixed_tenant, c->fixed_network,
					     c->fixed_device, lk)
			     : "unknown user";
		free(user);
		return reason;
	}
	if (!at || !strchr(at + 1, '/')) {
		reason =
		    user_exists(creds, login) ? lookup_default(creds, login, lk) : "unknown user";
		return reason;
	}

	/* "USER@NETWORK/DEVICE" or "USER@TENANT/NETWORK/DEVICE". */
	char *spec = xstrdup(at + 1);
	char *first = spec, *second = strchr(spec, '/'), *third;

	*second++ = '\0';
	third = strchr(second, '/');
	if (third)
		*third++ = '\0';
	user = xmemdup0(login, (size_t)(at - login));
	if (!user_exists(creds, user))
		reason = "unknown user";
	else if (!*first || !*second || (third && (!*third || strchr(third, '/'))))
		reason = "unknown device";
	else if (third)
		reason = lookup_device(creds, user, first, second, third, lk);
	else
		reason = lookup_device(creds, user, NULL, first, second, lk);
	free(user);
	free(spec);
	return reason;
}

/* Reports a failed attempt to the main thread; 'count' also charges it to
 * the rate limiter. */
static void login_failed(struct conn *c, const char *login, const char *reason, bool count)
{
	struct msg *m = msg_create(MSG_LOGIN_FAILED, 0);

	if (count)
		source_fail(c->server, c->ip, mono_ms());
	m->login_name = xstrdup(login);
	m->source = xstrdup(c->source);
	m->reason = xstrdup(reason);
	queue_push(&c->server->to_main, m);
	c->reported = true;
	LOG_RL(LOG_LEVEL_DBG, 10, "%s: login %s failed: %s", c->source, login, reason);
}

/* A public key failure is reported only when the connection ends without
 * a login: clients try several keys in turn. */
static void pubkey_failed(struct conn *c, const char *login, const char *reason)
{
	free(c->fail_login);
	free(c->fail_reason);
	c->fail_login = xstrdup(login);
	c->fail_reason = xstrdup(reason);
}

static void conn_authenticated(struct conn *c, const struct candidate *cand, bool ticket,
			       const char *method)
{
	c->tenant = xstrdup(cand->account->tenant);
	c->user = xstrdup(cand->account->user);
	c->role = cand->account->role;
	c->network = xstrdup(cand->device->network);
	c->device = xstrdup(cand->device->name);
	c->ticket = ticket;
	c->state = CONN_AUTHED;
	atomic_fetch_sub(&c->server->n_preauth, 1);
	LOG_INFO_RL("%s: %s@%s/%s/%s logged in (%s)", c->source, c->user, c->tenant, c->network,
		    c->device, method);
}

/* Checks 'password' against the candidates: tickets first (cheap, and a
 * match is decisive), then argon2id hashes (without the lock: the caller
 * holds a reference to the snapshot). Returns the winner or NULL with
 * '*reason' set. */
static const struct candidate *check_password(struct dev_ssh_server *srv, const struct lookup *lk,
					      const char *password, bool *ticket,
					      const char **reason)
{
	const struct candidate *found = NULL;

	*reason = "bad password";
	*ticket = false;
	for (size_t i = 0; i < lk->n; i++) {
		const struct dev_ssh_account *a = lk->c[i].account;
		bool used;

		if (!a->ticket || !ticket_equal(a->ticket, password))
			continue;
		if (a->expires_ms <= wall_ms()) {
			*reason = "expired ticket";
			continue;
		}
		pthread_mutex_lock(&srv->auth_lock);
		used = ticket_used(srv, a->ticket);
		if (!used)
			ticket_use(srv, a);
		pthread_mutex_unlock(&srv->auth_lock);
		if (used) {
			*reason = "used ticket";
		} else {
			*ticket = true;
			return &lk->c[i];
		}
	}
	for (size_t i = 0; i < lk->n; i++) {
		const struct dev_ssh_account *a = lk->c[i].account;

		if (a->ticket || !a->password_hash ||
		    crypto_pwhash_str_verify(a->password_hash, password, strlen(password)))
			continue;
		if (found) {
			*reason = "ambiguous login";
			return NULL;
		}
		found = &lk->c[i];
	}
	return found;
}

static int on_auth_password(ssh_session session, const char *login, const char *password,
			    void *conn_)
{
	struct conn *c = conn_;
	const struct candidate *cand = NULL;
	struct creds_ref *cr;
	const char *reason;
	struct lookup lk;
	bool ticket;

	if (c->state != CONN_HANDSHAKE)
		return SSH_AUTH_DENIED;
	if (source_blocked(c->server, c->ip, mono_ms())) {
		login_failed(c, login, "rate limited", false);
		return SSH_AUTH_DENIED;
	}
	cr = creds_get(c->server);
	reason = lookup_login(cr ? cr->creds : NULL, c, login, &lk);
	if (!reason)
		cand = check_password(c->server, &lk, password, &ticket, &reason);
	if (cand)
		conn_authenticated(c, cand, ticket, ticket ? "ticket" : "password");
	creds_put(c->server, cr);
	if (!cand) {
		login_failed(c, login, reason, true);
		return SSH_AUTH_DENIED;
	}
	return SSH_AUTH_SUCCESS;
}

/* Whether OpenSSH public key line 'line' ("TYPE BASE64 [COMMENT]") is 'key'. */
static bool key_line_matches(const char *line, const ssh_key key)
{
	char *copy = xstrdup(line), *save = NULL;
	const char *type = strtok_r(copy, " \t", &save);
	const char *b64 = type ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	ssh_key parsed = NULL;
	bool match = false;

	if (b64 && ssh_key_type_from_name(type) != SSH_KEYTYPE_UNKNOWN &&
	    ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &parsed) == SSH_OK) {
		match = !ssh_key_cmp(parsed, key, SSH_KEY_CMP_PUBLIC);
		ssh_key_free(parsed);
	}
	free(copy);
	return match;
}

static bool account_has_key(const struct dev_ssh_account *a, const ssh_key key)
{
	if (a->ticket)
		return false; /* tickets are passwords only */
	for (size_t i = 0; i < a->n_keys; i++) {
		if (key_line_matches(a->keys[i], key))
			return true;
	}
	return false;
}

/* libssh asks twice per key: whether it would be accepted (state NONE:
 * SUCCESS makes it answer PK_OK), then with a verified signature (VALID:
 * SUCCESS logs the client in). */
static int on_auth_pubkey(ssh_session session, const char *login, struct ssh_key_struct *key,
			  char state, void *conn_)
{
	struct conn *c = conn_;
	const struct candidate *found = NULL;
	struct creds_ref *cr;
	const char *reason;
	struct lookup lk;

	if (c->state != CONN_HANDSHAKE)
		return SSH_AUTH_DENIED;
	if (state != SSH_PUBLICKEY_STATE_NONE && state != SSH_PUBLICKEY_STATE_VALID) {
		pubkey_failed(c, login, "bad signature");
		return SSH_AUTH_DENIED;
	}
	if (source_blocked(c->server, c->ip, mono_ms())) {
		if (!c->reported)
			login_failed(c, login, "rate limited", false);
		return SSH_AUTH_DENIED;
	}
	cr = creds_get(c->server);
	reason = lookup_login(cr ? cr->creds : NULL, c, login, &lk);
	for (size_t i = 0; !reason && i < lk.n; i++) {
		if (!account_has_key(lk.c[i].account, key))
			continue;
		if (found)
			reason = "ambiguous login";
		found = &lk.c[i];
	}
	if (!reason && !found)
		reason = "unknown key";
	if (!reason && state == SSH_PUBLICKEY_STATE_VALID)
		conn_authenticated(c, found, false, "public key");
	creds_put(c->server, cr);
	if (reason) {
		pubkey_failed(c, login, reason);
		return SSH_AUTH_DENIED;
	}
	return SSH_AUTH_SUCCESS;
}

/* ---- the session channel (on whichever thread polls the connection) ---- */

/* A shell or exec request: hand the session to the main thread. */
static void conn_open(struct conn *c, const char *exec)
{
	struct msg *m = msg_create(MSG_OPEN, c->id);
	struct login_copy *l = xzalloc(sizeof *l);

	l->tenant = xstrdup(c->tenant);
	l->user = xstrdup(c->user);
	l->role = c->role;
	l->network = xstrdup(c->network);
	l->device = xstrdup(c->device);
	l->source = xstrdup(c->source);
	l->exec = exec ? xstrdup(exec) : NULL;
	l->ticket = c->ticket;
	l->pty = c->pty;
	l->cols = c->cols;
	l->rows = c->rows;
	m->login = l;
	c->state = CONN_OPEN;
	queue_push(&c->server->to_main, m);
}

static unsigned clamp_size(int n)
{
	return n < 0 ? 0 : n > 10000 ? 10000 : (unsigned)n;
}

static int on_pty_request(ssh_session session, ssh_channel channel, const char *term, int cols,
			  int rows, int px_width, int px_height, void *conn_)
{
	struct conn *c = conn_;

	if (c->state != CONN_AUTHED)
		return -1;
	c->pty = true;
	c->cols = clamp_size(cols);
	c->rows = clamp_size(rows);
	return 0;
}

static int on_shell_request(ssh_session session, ssh_channel channel, void *conn_)
{
	struct conn *c = conn_;

	if (c->state != CONN_AUTHED)
		return 1;
	conn_open(c, NULL);
	return 0;
}

static int on_exec_request(ssh_session session, ssh_channel channel, const char *command,
			   void *conn_)
{
	struct conn *c = conn_;

	if (c->state != CONN_AUTHED)
		return 1;
	conn_open(c, command);
	return 0;
}

static int on_window_change(ssh_session session, ssh_channel channel, int cols, int rows,
			    int px_width, int px_height, void *conn_)
{
	struct conn *c = conn_;

	c->cols = clamp_size(cols);
	c->rows = clamp_size(rows);
	if (c->state == CONN_OPEN && !c->main_gone) {
		struct msg *m = msg_create(MSG_RESIZE, c->id);

		m->cols = c->cols;
		m->rows = c->rows;
		queue_push(&c->server->to_main, m);
	}
	return 0;
}

static int on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
		   int is_stderr, void *conn_)
{
	struct conn *c = conn_;

	/* Bytes before the shell or after the end have nowhere to go. */
	if (c->state != CONN_OPEN || c->main_gone || !len)
		return (int)len;
	if (queue_push_data(&c->server->to_main, MSG_INPUT, c->id, data, len) > INQ_MAX_SIZE) {
		LOG_WARN_RL("%s: input floods the main thread, closing", c->source);
		conn_post_closed(c);
		c->kill = true;
	}
	return (int)len;
}

static void on_eof(ssh_session session, ssh_channel channel, void *conn_)
{
	struct conn *c = conn_;

	if (c->state == CONN_OPEN && !c->main_gone)
		post_to_main(c, MSG_EOF);
}

static void on_channel_close(ssh_session session, ssh_channel channel, void *conn_)
{
	struct conn *c = conn_;

	c->peer_closed = true;
}

/* One session channel per connection, after authentication; anything
 * else (a second channel, forwarding, X11, agent, subsystems such as
 * sftp) gets libssh's default reply: failure. */
static ssh_channel on_channel_open(ssh_session session, void *conn_)
{
	struct conn *c = conn_;

	if (c->state != CONN_AUTHED || c->channel)
		return NULL;
	c->channel = ssh_channel_new(session);
	if (!c->channel)
		return NULL;
	memset(&c->channel_cb, 0, sizeof c->channel_cb);
	c->channel_cb.userdata = c;
	c->channel_cb.channel_data_function = on_data;
	c->channel_cb.channel_eof_function = on_eof;
	c->channel_cb.channel_close_function = on_channel_close;
	c->channel_cb.channel_pty_request_function = on_pty_request;
	c->channel_cb.channel_shell_request_function = on_shell_request;
	c->channel_cb.channel_exec_request_function = on_exec_request;
	c->channel_cb.channel_pty_window_change_function = on_window_change;
	ssh_callbacks_init(&c->channel_cb);
	ssh_set_channel_callbacks(c->channel, &c->channel_cb);
	return c->channel;
}

/* ---- the SSH thread: connection life ---- */

static struct conn *conn_find(struct dev_ssh_server *srv, uint64_t id)
{
	struct conn *c;

	HMAP_FOR_EACH_WITH_HASH (c, node, id_hash(id), &srv->conns) {
		if (c->id == id)
			return c;
	}
	return NULL;
}

static void describe_peer(const struct sockaddr_storage *ss, char *ip, size_t ip_size, char *source,
			  size_t source_size)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, (socklen_t)ip_size);
		snprintf(source, source_size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)ip_size);
		snprintf(source, source_size, "%s:%u", ip, ntohs(sin->sin_port));
	} else {
		snprintf(ip, ip_size, "?");
		snprintf(source, source_size, "?");
	}
}

static void hs_hand_over(struct dev_ssh_server *srv, struct conn *c);

/* Starts the SSH protocol on accepted socket 'fd' (owned from here on). */
static void conn_create(struct dev_ssh_server *srv, int fd, const struct sockaddr_storage *ss,
			const struct listener *l)
{
	struct conn *c = xzalloc(sizeof *c);
	int rc;

	describe_peer(ss, c->ip, sizeof c->ip, c->source, sizeof c->source);
	c->session = ssh_new();
	if (!c->session) {
		close(fd);
		free(c);
		return;
	}
	/* On failure the session owns the socket or it was not taken:
	 * libssh only fails before taking it on out-of-memory. */
	if (ssh_bind_accept_fd(srv->bind, c->session, fd) != SSH_OK) {
		LOG_WARN_RL("%s: cannot start a session: %s", c->source, ssh_get_error(srv->bind));
		ssh_free(c->session);
		free(c);
		return;
	}
	c->server = srv;
	c->id = ++srv->next_id;
	c->state = CONN_HANDSHAKE;
	c->deadline_ms = mono_ms() + HANDSHAKE_TIMEOUT_MS;
	if (l->device) {
		c->fixed_tenant = xstrdup(l->tenant);
		c->fixed_network = xstrdup(l->network);
		c->fixed_device = xstrdup(l->device);
	}
	c->server_cb.userdata = c;
	c->server_cb.auth_password_function = on_auth_password;
	c->server_cb.auth_pubkey_function = on_auth_pubkey;
	c->server_cb.channel_open_request_session_function = on_channel_open;
	ssh_callbacks_init(&c->server_cb);
	ssh_set_server_callbacks(c->session, &c->server_cb);
	ssh_set_auth_methods(c->session, SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY);
	ssh_set_blocking(c->session, 0);

	hmap_insert(&srv->conns, &c->node, id_hash(c->id));
	atomic_fetch_add(&srv->n_preauth, 1);
	/* Non-blocking: sends our banner, sets up the key exchange and
	 * returns; a handshake thread's ssh_event drives the rest through
	 * callbacks. */
	rc = ssh_handle_key_exchange(c->session);
	if (rc == SSH_ERROR) {
		LOG_INFO_RL("%s: key exchange failed: %s", c->source, ssh_get_error(c->session));
		c->kill = true;
		return;
	}
	hs_hand_over(srv, c);
}

static void outq_clear(struct conn *c)
{
	msg_list_destroy(c->out_head);
	c->out_head = c->out_tail = NULL;
	c->out_off = c->out_size = 0;
}

/* Frees the connection (not from a libssh callback). */
static void conn_destroy(struct conn *c)
{
	struct dev_ssh_server *srv = c->server;

	if (c->state == CONN_HANDSHAKE) {
		atomic_fetch_sub(&srv->n_preauth, 1);
		if (c->fail_reason && !c->reported)
			login_failed(c, c->fail_login, c->fail_reason, true);
	}
	conn_post_closed(c);
	ssh_event_remove_session(srv->event, c->session);
	ssh_disconnect(c->session);
	ssh_free(c->session); /* frees the channel too */
	hmap_remove(&srv->conns, &c->node);
	outq_clear(c);
	msg_list_destroy(c->deferred);
	free(c->fixed_tenant);
	free(c->fixed_network);
	free(c->fixed_device);
	free(c->tenant);
	free(c->user);
	free(c->network);
	free(c->device);
	free(c->fail_login);
	free(c->fail_reason);
	free(c);
}

/* Takes WRITE message 'm' as output. Past OUTQ_MAX_SIZE the client is not
 * reading: the session ends. */
static void conn_queue_output(struct conn *c, struct msg *m)
{
	m->next = NULL;
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_size += m->len;
	if (c->out_size > OUTQ_MAX_SIZE && !c->kill) {
		LOG_WARN_RL("%s: client reads too slowly (%zu bytes queued), closing", c->source,
			    c->out_size);
		conn_post_closed(c);
		c->kill = true;
	}
}

/* Gives libssh as much output as the channel's window allows, and only
 * while libssh's own socket buffer is empty, so that a client that does
 * not read holds at most one window of ours. More goes out when poll
 * reports the window grown or the socket writable. */
static void conn_flush(struct conn *c)
{
	while (c->out_head) {
		struct msg *m = c->out_head;
		uint32_t window;
		size_t n;
		int rc;

		if (ssh_get_status(c->session) & SSH_WRITE_PENDING)
			return;
		window = ssh_channel_window_size(c->channel);
		if (!window)
			return;
		n = m->len - c->out_off;
		n = n < window ? n : window;
		n = n < WRITE_CHUNK ? n : WRITE_CHUNK;
		rc = ssh_channel_write(c->channel, m->data + c->out_off, (uint32_t)n);
		if (rc < 0) {
			c->kill = true;
			return;
		}
		if (!rc)
			return;
		c->out_off += (size_t)rc;
		c->out_size -= (size_t)rc;
		if (c->state == CONN_ENDING)
			c->deadline_ms = mono_ms() + ENDING_STALL_MS;
		if (c->out_off == m->len) {
			c->out_head = m->next;
			if (!c->out_head)
				c->out_tail = NULL;
			c->out_off = 0;
			msg_destroy(m);
		}
	}
}

/* Our side of the end: exit status, EOF, close (libssh sends EOF and
 * close once each, also in answer to the client's close). */
static void conn_send_close(struct conn *c, bool with_status)
{
	if (c->channel) {
		if (with_status && !c->peer_closed)
			ssh_channel_request_send_exit_status(c->channel, c->exit_status);
		ssh_channel_close(c->channel);
	}
	outq_clear(c);
	c->state = CONN_CLOSED;
	c->deadline_ms = mono_ms() + CLOSE_TIMEOUT_MS;
}

/* The login is a ping-pong of small packets, and OpenSSH's client sends
 * some of them in two writes without TCP_NODELAY: Nagle's algorithm holds
 * the second until our ACK of the first, which Linux delays ~40 ms. An
 * ACK right after each read keeps the handshake from waiting for it. */
static void quick_ack(const struct conn *c)
{
	int one = 1;

	setsockopt(ssh_get_fd(c->session), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static bool conn_dead(const struct conn *c)
{
	return c->kill || !ssh_is_connected(c->session) ||
	       (ssh_get_status(c->session) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

/* One turn of a connection's state machine. Returns false when it was
 * destroyed. */
static bool conn_service(struct conn *c, uint64_t now)
{
	if (conn_dead(c))
		goto destroy;
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_AUTHED:
		quick_ack(c);
		if (now >= c->deadline_ms) {
			LOG_INFO_RL("%s: no session after %d s, closing", c->source,
				    HANDSHAKE_TIMEOUT_MS / 1000);
			goto destroy;
		}
		if (c->peer_closed)
			goto destroy;
		break;
	case CONN_OPEN:
		if (c->peer_closed) {
			conn_post_closed(c);
			conn_send_close(c, false);
			break;
		}
		conn_flush(c);
		break;
	case CONN_ENDING:
		if (now >= c->deadline_ms) {
			LOG_INFO_RL("%s: client stopped reading the end of its session", c->source);
			goto destroy;
		}
		if (!c->peer_closed)
			conn_flush(c);
		if (!c->out_head || c->peer_closed)
			conn_send_close(c, true);
		break;
	case CONN_CLOSED:
		/* The client normally closes at once; then only our last
		 * packets must leave the socket. */
		if ((c->peer_closed && !(ssh_get_status(c->session) & SSH_WRITE_PENDING)) ||
		    now >= c->deadline_ms)
			goto destroy;
		break;
	}
	if (!conn_dead(c))
		return true;
destroy:
	conn_destroy(c);
	return false;
}

/* ---- handshake threads ---- */

static int on_worker_wake(socket_t fd, int revents, void *w_)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	return 0;
}

/* The handshake is over for the SSH thread's part: the client logged in
 * (or went on to its session), failed, went away, or ran out of time. */
static bool hs_done(const struct conn *c, uint64_t now)
{
	return c->state != CONN_HANDSHAKE || conn_dead(c) || c->peer_closed ||
	       now >= c->deadline_ms;
}

static void *hs_worker_main(void *w_)
{
	struct hs_worker *w = w_;
	bool stop = false;

	while (!stop) {
		struct conn *in, *c, **pc;
		uint64_t now;

		ssh_event_dopoll(w->event, HS_POLL_MS);
		pthread_mutex_lock(&w->mutex);
		in = w->inbox;
		w->inbox = NULL;
		stop = w->stop;
		pthread_mutex_unlock(&w->mutex);
		while ((c = in)) {
			in = c->wnext;
			if (ssh_event_add_session(w->event, c->session) != SSH_OK)
				c->kill = true;
			c->wnext = w->conns;
			w->conns = c;
		}
		now = mono_ms();
		for (pc = &w->conns; (c = *pc);) {
			if (!stop && !hs_done(c, now)) {
				quick_ack(c);
				pc = &c->wnext;
				continue;
			}
			*pc = c->wnext;
			ssh_event_remove_session(w->event, c->session);
			queue_push(&w->server->to_ssh, msg_create(MSG_HANDBACK, c->id));
		}
	}
	return NULL;
}

/* Gives new connection 'c' to a handshake thread. */
static void hs_hand_over(struct dev_ssh_server *srv, struct conn *c)
{
	struct hs_worker *w = &srv->workers[srv->next_worker++ % HS_WORKERS];

	c->on_worker = true;
	pthread_mutex_lock(&w->mutex);
	c->wnext = w->inbox;
	w->inbox = c;
	pthread_mutex_unlock(&w->mutex);
	if (write(w->wake[1], "", 1) < 0 && errno != EAGAIN)
		LOG_WARN_RL("cannot wake a handshake thread: %s", strerror(errno));
}

static int hs_worker_start(struct dev_ssh_server *srv, struct hs_worker *w, char **error)
{
	int rc;

	w->server = srv;
	pthread_mutex_init(&w->mutex, NULL);
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC)) {
		rc = -errno;
		*error = xasprintf("cannot create a pipe: %s", strerror(-rc));
		w->wake[0] = w->wake[1] = -1;
		return rc;
	}
	w->event = ssh_event_new();
	if (!w->event || ssh_event_add_fd(w->event, w->wake[0], POLLIN, on_worker_wake, w)) {
		*error = xasprintf("cannot set up a handshake thread's poll loop");
		return -ENOMEM;
	}
	rc = pthread_create(&w->thread, NULL, hs_worker_main, w);
	if (rc) {
		*error = xasprintf("cannot start a handshake thread: %s", strerror(rc));
		return -rc;
	}
	w->started = true;
	return 0;
}

/* Stops 'w' (if started): its connections come back to the SSH thread's
 * queue (MSG_HANDBACK); frees its loop. */
static void hs_worker_stop(struct hs_worker *w)
{
	if (w->started) {
		pthread_mutex_lock(&w->mutex);
		w->stop = true;
		pthread_mutex_unlock(&w->mutex);
		if (write(w->wake[1], "", 1) < 0 && errno != EAGAIN)
			LOG_WARN("cannot wake a handshake thread: %s", strerror(errno));
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	if (w->event) {
		/* ssh_event_free() does not free what add_fd allocated. */
		ssh_event_remove_fd(w->event, w->wake[0]);
		ssh_event_free(w->event);
		w->event = NULL;
	}
	if (w->wake[0] >= 0) {
		close(w->wake[0]);
		close(w->wake[1]);
		w->wake[0] = w->wake[1] = -1;
	}
	pthread_mutex_destroy(&w->mutex);
}

/* ---- the SSH thread: listeners ---- */

/* Parses "ADDR:PORT" or "[ADDR6]:PORT" (numeric, port 0 allowed). */
static bool parse_address(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen)
{
	const char *colon = strrchr(addr, ':');

	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535)
		return false;
	uint16_t port = (uint16_t)atoi(colon + 1);
	bool ok;

	memset(ss, 0, sizeof *ss);
	if (addr[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (colon - addr < 3 || colon[-1] != ']')
			return false;
		char *host = xmemdup0(addr + 1, (size_t)(colon - addr - 2));

		ok = inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1;
		free(host);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof *sin6;
		return ok;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char *host = xmemdup0(addr, (size_t)(colon - addr));

	ok = inet_pton(AF_INET, host, &sin->sin_addr) == 1;
	free(host);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*sslen = sizeof *sin;
	return ok;
}

/* Opens a non-blocking listening socket on 'address'. Returns the socket
 * (and its port in '*port') or -1 with '*error' set. */
static int listen_socket(const char *address, int *port, char **error)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (!parse_address(address, &ss, &len)) {
		*error = xasprintf("bad listen address '%s' (expected ADDR:PORT such as "
				   "127.0.0.1:2222 or [::1]:2222)",
				   address);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto error;
	/* SO_REUSEADDR: a restarted controller binds at once even while old
	 * connections sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SOMAXCONN))
		goto error_close;
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		goto error_close;
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;

error_close:
	close(fd);
error:
	*error = xasprintf("cannot listen on %s: %s", address, strerror(errno));
	return -1;
}

/* The poll loop's callbacks only note readiness (see the file comment). */
static int on_listener_ready(socket_t fd, int revents, void *l_)
{
	struct listener *l = l_;

	l->ready = true;
	return 0;
}

static int on_wake_ready(socket_t fd, int revents, void *srv_)
{
	struct dev_ssh_server *srv = srv_;

	srv->wake_ready = true;
	return 0;
}

static struct listener *listener_create(struct dev_ssh_server *srv, int fd, const char *address,
					const struct dev_ssh_device *d)
{
	struct listener *l = xzalloc(sizeof *l);

	l->fd = fd;
	l->address = xstrdup(address);
	if (d) {
		l->tenant = xstrdup(d->tenant);
		l->network = xstrdup(d->network);
		l->device = xstrdup(d->name);
	}
	if (ssh_event_add_fd(srv->event, fd, POLLIN, on_listener_ready, l) != SSH_OK)
		onm_abort("ssh: cannot poll listener %s", address);
	return l;
}

static void listener_destroy(struct dev_ssh_server *srv, struct listener *l)
{
	ssh_event_remove_fd(srv->event, l->fd);
	close(l->fd);
	free(l->address);
	free(l->tenant);
	free(l->network);
	free(l->device);
	free(l);
}

static void socket_options(int fd)
{
	int one = 1, idle = KEEPALIVE_IDLE_S, interval = KEEPALIVE_INTERVAL_S,
	    count = KEEPALIVE_COUNT;

	/* Keystrokes and echoes are small writes: Nagle's algorithm with
	 * the peer's delayed ACKs would hold each one ~40 ms. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* A client that vanished (no FIN: a crash, a cut link) is found in
	 * about two minutes, its queued output freed. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

static void listener_accept(struct dev_ssh_server *srv, struct listener *l)
{
	l->ready = false;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss = {0};
		socklen_t len = sizeof ss;
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				LOG_WARN_RL("accept on %s: %s", l->address, strerror(errno));
			return;
		}
		if (atomic_load(&srv->n_preauth) >= MAX_PREAUTH) {
			LOG_WARN_RL("%d connections are logging in, refusing more", MAX_PREAUTH);
			close(fd);
			continue;
		}
		socket_options(fd);
		conn_create(srv, fd, &ss, l);
	}
	l->ready = true; /* more may wait: come back next turn */
}

static bool listener_is(const struct listener *l, const struct dev_ssh_device *d)
{
	return l->device && !strcmp(l->address, d->listen) && !strcmp(l->tenant, d->tenant) &&
	       !strcmp(l->network, d->network) && !strcmp(l->device, d->name);
}

/* Makes the device listeners match the snapshot: removed ones first, so
 * that an address moving between devices is free again. */
static void listeners_sync(struct dev_ssh_server *srv)
{
	/* The current snapshot: only this thread replaces it. */
	const struct dev_ssh_creds *creds = srv->creds ? srv->creds->creds : NULL;
	struct listener **pl;
	size_t n = creds ? creds->n_devices : 0;

	for (struct listener *l = srv->listeners; l; l = l->next)
		l->keep = !l->device;
	for (size_t i = 0; i < n; i++) {
		for (struct listener *l = srv->listeners; l; l = l->next) {
			if (creds->devices[i].listen && listener_is(l, &creds->devices[i]))
				l->keep = true;
		}
	}
	for (pl = &srv->listeners; *pl;) {
		struct listener *l = *pl;

		if (l->keep) {
			pl = &l->next;
			continue;
		}
		LOG_INFO("device %s/%s/%s: no longer listening on %s", l->tenant, l->network,
			 l->device, l->address);
		*pl = l->next;
		listener_destroy(srv, l);
	}
	for (size_t i = 0; i < n; i++) {
		const struct dev_ssh_device *d = &creds->devices[i];
		struct listener *l;
		char *error = NULL;
		int fd, port;

		if (!d->listen)
			continue;
		for (l = srv->listeners; l; l = l->next) {
			if (!strcmp(l->address, d->listen))
				break;
		}
		if (l) {
			if (!listener_is(l, d))
				LOG_WARN_RL("device %s/%s/%s: %s is taken by another listener",
					    d->tenant, d->network, d->name, d->listen);
			continue;
		}
		fd = listen_socket(d->listen, &port, &error);
		if (fd < 0) {
			LOG_WARN_RL("device %s/%s/%s: %s", d->tenant, d->network, d->name, error);
			free(error);
			continue;
		}
		LOG_INFO("device %s/%s/%s: listening on %s", d->tenant, d->network, d->name,
			 d->listen);
		l = listener_create(srv, fd, d->listen, d);
		l->next = srv->listeners;
		srv->listeners = l;
	}
}

/* ---- the SSH thread: the loop ---- */

static void process_message(struct dev_ssh_server *srv, struct msg *m);

/* Connection 'c' is back from its handshake thread: this thread polls it
 * again and takes the messages that came for it meanwhile. */
static void conn_take_back(struct dev_ssh_server *srv, struct conn *c)
{
	struct msg *m = c->deferred;

	c->on_worker = false;
	c->deferred = c->deferred_tail = NULL;
	if (!c->kill && ssh_event_add_session(srv->event, c->session) != SSH_OK)
		c->kill = true;
	while (m) {
		struct msg *next = m->next;

		m->next = NULL;
		process_message(srv, m);
		m = next;
	}
}

/* Takes one message from the main thread (or a handshake thread). */
static void process_message(struct dev_ssh_server *srv, struct msg *m)
{
	struct conn *c = m->id ? conn_find(srv, m->id) : NULL;

	if (c && c->on_worker) {
		if (m->type == MSG_HANDBACK) {
			msg_destroy(m);
			conn_take_back(srv, c);
			return;
		}
		/* Its session opened on the handshake thread: the main thread
		 * answers before the connection is back. */
		m->next = NULL;
		if (c->deferred_tail)
			c->deferred_tail->next = m;
		else
			c->deferred = m;
		c->deferred_tail = m;
		return;
	}
	switch (m->type) {
	case MSG_WRITE:
		if (c && c->state == CONN_OPEN && !c->kill) {
			conn_queue_output(c, m);
			m = NULL;
		}
		break;
	case MSG_REFUSE:
	case MSG_CLOSE:
		if (!c || c->state != CONN_OPEN)
			break;
		c->main_gone = true;
		c->exit_status = m->type == MSG_CLOSE ? m->exit_status : 1;
		if (m->type == MSG_REFUSE && m->len) {
			conn_queue_output(c, m);
			m = NULL;
		}
		c->state = CONN_ENDING;
		c->deadline_ms = mono_ms() + ENDING_STALL_MS;
		break;
	case MSG_CREDS:
		creds_set(srv, m->creds);
		m->creds = NULL;
		listeners_sync(srv);
		break;
	case MSG_STOP:
		srv->stopping = true;
		break;
	default:
		break;
	}
	msg_destroy(m);
}

static void process_messages(struct dev_ssh_server *srv)
{
	struct msg *m;

	srv->wake_ready = false;
	m = queue_take(&srv->to_ssh);
	while (m) {
		struct msg *next = m->next;

		m->next = NULL;
		process_message(srv, m);
		m = next;
	}
}

static void *ssh_thread_main(void *srv_)
{
	struct dev_ssh_server *srv = srv_;

	while (!srv->stopping) {
		struct conn *c;
		uint64_t now;

		/* SSH_ERROR here is one session's socket failing; its conn
		 * finds out below. */
		ssh_event_dopoll(srv->event, LOOP_TIMEOUT_MS);
		if (srv->wake_ready)
			process_messages(srv);
		for (struct listener *l = srv->listeners; l; l = l->next) {
			if (l->ready)
				listener_accept(srv, l);
		}
		now = mono_ms();
		HMAP_FOR_EACH_SAFE (c, node, &srv->conns) {
			if (!c->on_worker)
				conn_service(c, now);
		}
	}

	struct conn *c;

	/* The handshake threads give their connections back (their
	 * MSG_HANDBACKs stay in the queue, which goes with the server). */
	for (size_t i = 0; i < HS_WORKERS; i++)
		hs_worker_stop(&srv->workers[i]);
	HMAP_FOR_EACH_SAFE (c, node, &srv->conns) {
		c->main_gone = true; /* no 'closed' calls when stopping */
		conn_destroy(c);
	}
	return NULL;
}

/* ---- the host key ---- */

static ssh_key host_key_create(const char *path, char **error)
{
	char *b64 = NULL, *pub = NULL;
	ssh_key key = NULL;
	int rc;

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		*error = xasprintf("cannot generate an Ed25519 host key");
		return NULL;
	}
	/* Exported by hand rather than ssh_pki_export_privkey_file(), which
	 * creates the file with the umask's mode. */
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &b64) != SSH_OK) {
		*error = xasprintf("cannot export the host key");
		goto error;
	}
	rc = write_file_atomic(path, b64, strlen(b64), 0600);
	sodium_memzero(b64, strlen(b64));
	ssh_string_free_char(b64);
	if (rc) {
		*error = xasprintf("cannot write %s: %s", path, strerror(-rc));
		goto error;
	}
	/* The public half beside it, for users checking the fingerprint. */
	if (ssh_pki_export_pubkey_base64(key, &pub) == SSH_OK) {
		char *pub_path = xasprintf("%s.pub", path);
		char *line = xasprintf("ssh-ed25519 %s onm\n", pub);

		if (write_file_atomic(pub_path, line, strlen(line), 0644))
			LOG_WARN("cannot write %s", pub_path);
		free(line);
		free(pub_path);
		ssh_string_free_char(pub);
	}
	LOG_INFO("created host key %s", path);
	return key;

error:
	ssh_key_free(key);
	return NULL;
}

/* Loads STATE_DIR/ssh_host_ed25519_key, or creates it on first start. */
static ssh_key host_key_load(const char *state_dir, char **error)
{
	char *path = xasprintf("%s/" HOST_KEY_FILE, state_dir);
	ssh_key key = NULL;
	struct stat st;
	int rc;

	rc = mkdir_p(state_dir, 0700);
	if (rc) {
		*error = xasprintf("cannot create %s: %s", state_dir, strerror(-rc));
	} else if (!stat(path, &st)) {
		if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
			*error = xasprintf("cannot load the host key %s", path);
			key = NULL;
		} else if (ssh_key_type(key) != SSH_KEYTYPE_ED25519) {
			*error = xasprintf("host key %s is not an Ed25519 key", path);
			ssh_key_free(key);
			key = NULL;
		}
	} else if (errno == ENOENT) {
		key = host_key_create(path, error);
	} else {
		*error = xasprintf("cannot read %s: %s", path, strerror(errno));
	}
	free(path);
	return key;
}

/* ---- the server ---- */

struct dev_ssh_server *dev_ssh_server_create(struct event_base *base, const char *listen,
					     const char *state_dir,
					     const struct dev_ssh_hooks *hooks, void *aux,
					     char **error)
{
	struct dev_ssh_server *srv = xzalloc(sizeof *srv);
	ssh_key key;
	int fd, rc;

	*error = NULL;
	if (sodium_init() < 0) {
		*error = xasprintf("libsodium cannot start");
		goto error_free;
	}
	srv->base = base;
	srv->hooks = *hooks;
	srv->aux = aux;
	hmap_init(&srv->sessions);
	hmap_init(&srv->conns);
	hmap_init(&srv->sources);
	pthread_mutex_init(&srv->auth_lock, NULL);
	atomic_init(&srv->n_preauth, 0);
	for (size_t i = 0; i < HS_WORKERS; i++)
		srv->workers[i].wake[0] = srv->workers[i].wake[1] = -1;

	fd = listen_socket(listen, &srv->port, error);
	if (fd < 0)
		goto error_free;
	key = host_key_load(state_dir, error);
	if (!key)
		goto error_close;
	ssh_init();
	srv->bind = ssh_bind_new();
	if (!srv->bind) {
		ssh_key_free(key);
		*error = xasprintf("cannot create the SSH server");
		goto error_finalize;
	}
	/* IMPORT_KEY takes ownership of the key. */
	if (ssh_bind_options_set(srv->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) ||
	    ssh_bind_options_set(srv->bind, SSH_BIND_OPTIONS_BANNER, BANNER)) {
		*error = xasprintf("cannot set up the SSH server: %s", ssh_get_error(srv->bind));
		goto error_bind;
	}
	rc = queue_init(&srv->to_ssh);
	if (rc) {
		*error = xasprintf("cannot create a pipe: %s", strerror(-rc));
		goto error_bind;
	}
	rc = queue_init(&srv->to_main);
	if (rc) {
		*error = xasprintf("cannot create a pipe: %s", strerror(-rc));
		goto error_to_ssh;
	}
	srv->event = ssh_event_new();
	if (!srv->event ||
	    ssh_event_add_fd(srv->event, srv->to_ssh.wake[0], POLLIN, on_wake_ready, srv)) {
		*error = xasprintf("cannot set up the SSH server's poll loop");
		goto error_event;
	}
	srv->wake_event =
	    event_new(base, srv->to_main.wake[0], EV_READ | EV_PERSIST, on_main_wake, srv);
	if (!srv->wake_event || event_add(srv->wake_event, NULL)) {
		*error = xasprintf("cannot watch the SSH server's pipe");
		goto error_wake_event;
	}
	for (size_t i = 0; i < HS_WORKERS; i++) {
		if (hs_worker_start(srv, &srv->workers[i], error) < 0)
			goto error_workers;
	}
	srv->listeners = listener_create(srv, fd, listen, NULL);
	fd = -1; /* the listener's now */
	rc = pthread_create(&srv->thread, NULL, ssh_thread_main, srv);
	if (rc) {
		*error = xasprintf("cannot start the SSH thread: %s", strerror(rc));
		listener_destroy(srv, srv->listeners);
		goto error_workers;
	}
	LOG_INFO("listening on %s (port %d)", listen, srv->port);
	return srv;

error_workers:
	for (size_t i = 0; i < HS_WORKERS; i++)
		hs_worker_stop(&srv->workers[i]);
error_wake_event:
	if (srv->wake_event)
		event_free(srv->wake_event);
error_event:
	if (srv->event) {
		/* ssh_event_free() does not free what add_fd allocated. */
		ssh_event_remove_fd(srv->event, srv->to_ssh.wake[0]);
		ssh_event_free(srv->event);
	}
	queue_uninit(&srv->to_main);
error_to_ssh:
	queue_uninit(&srv->to_ssh);
error_bind:
	ssh_bind_free(srv->bind);
error_finalize:
	ssh_finalize();
error_close:
	if (fd >= 0)
		close(fd);
error_free:
	hmap_destroy(&srv->sessions);
	hmap_destroy(&srv->conns);
	hmap_destroy(&srv->sources);
	pthread_mutex_destroy(&srv->auth_lock);
	free(srv);
	return NULL;
}

void dev_ssh_server_destroy(struct dev_ssh_server *srv)
{
	struct dev_ssh_session *s;
	struct source *so;

	if (!srv)
		return;
	queue_push(&srv->to_ssh, msg_create(MSG_STOP, 0));
	pthread_join(srv->thread, NULL);

	while (srv->listeners) {
		struct listener *l = srv->listeners;

		srv->listeners = l->next;
		listener_destroy(srv, l);
	}
	/* ssh_event_free() does not free what add_fd allocated. */
	ssh_event_remove_fd(srv->event, srv->to_ssh.wake[0]);
	ssh_event_free(srv->event);
	event_free(srv->wake_event);
	queue_uninit(&srv->to_main);
	queue_uninit(&srv->to_ssh);
	HMAP_FOR_EACH_SAFE (s, node, &srv->sessions) {
		hmap_remove(&srv->sessions, &s->node);
		free(s);
	}
	HMAP_FOR_EACH_SAFE (so, node, &srv->sources) {
		hmap_remove(&srv->sources, &so->node);
		free(so);
	}
	hmap_destroy(&srv->sessions);
	hmap_destroy(&srv->conns);
	hmap_destroy(&srv->sources);
	creds_set(srv, NULL);
	pthread_mutex_destroy(&srv->auth_lock);
	free(srv->used);
	ssh_bind_free(srv->bind);
	ssh_finalize();
	free(srv);
}

void dev_ssh_server_set_creds(struct dev_ssh_server *srv, struct dev_ssh_creds *creds)
{
	struct msg *m = msg_create(MSG_CREDS, 0);

	m->creds = creds;
	queue_push(&srv->to_ssh, m);
}

int dev_ssh_server_port(const struct dev_ssh_server *srv)
{
	return srv->port;
}

void dev_ssh_creds_destroy(struct dev_ssh_creds *creds)
{
	if (!creds)
		return;
	for (size_t i = 0; i < creds->n_accounts; i++) {
		struct dev_ssh_account *a = &creds->accounts[i];

		free(a->tenant);
		free(a->user);
		free(a->password_hash);
		for (size_t j = 0; j < a->n_keys; j++)
			free(a->keys[j]);
		free(a->keys);
		if (a->ticket) {
			sodium_memzero(a->ticket, strlen(a->ticket));
			free(a->ticket);
		}
		free(a->default_device);
	}
	free(creds->accounts);
	for (size_t i = 0; i < creds->n_devices; i++) {
		free(creds->devices[i].tenant);
		free(creds->devices[i].network);
		free(creds->devices[i].name);
		free(creds->devices[i].listen);
	}
	free(creds->devices);
	free(creds);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * The agent channel's client side (see channel-client.h): a libevent
 * bufferevent per connection, lib/channel.c's decoder for what arrives,
 * and a timer for the reconnection backoff.
 */
#include "channel-client.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_MODULE "channel"
#include "onm/channel.h"
#include "onm/ds.h"
#include "onm/log.h"

/* Output a slow controller may leave unsent before reports are skipped. */
#define OUTPUT_LIMIT_SIZE ((size_t)1 << 20)
/* TCP keepalive of tcp: connections, seconds. */
#define KEEPALIVE_IDLE_S 5
#define KEEPALIVE_INTERVAL_S 2

struct chan_client {
	struct event_base *base;
	char *address;		    /* as given: "unix:PATH" or "tcp:ADDR:PORT" */
	char *host;		    /* our host's name, for the hello */
	struct sockaddr_storage sa; /* the controller's address */
	socklen_t sa_len;	    /* bytes of 'sa' */
	const struct chan_client_ops *ops;
	void *aux;

	struct bufferevent *bev;	/* the connection, NULL while none */
	bool connected;			/* 'bev' is connected and hello was sent */
	struct channel_decoder decoder; /* what the controller sent */
	struct event *retry;		/* reconnection timer */
	unsigned int backoff_ms;	/* delay before the next attempt */
	unsigned int last_delay_ms;	/* the jittered delay last scheduled */
	unsigned int failures;		/* attempts in a row that failed */
};

/* Parses 'address' into 'sa'. Returns NULL or an allocated message. */
static char *address_parse(const char *address, struct sockaddr_storage *sa, socklen_t *len)
{
	memset(sa, 0, sizeof *sa);
	if (str_has_prefix(address, "unix:")) {
		const char *path = address + strlen("unix:");
		struct sockaddr_un *sun = (struct sockaddr_un *)sa;
		if (!path[0])
			return xasprintf("'%s': the socket path is empty", address);
		if (strlen(path) >= sizeof sun->sun_path)
			return xasprintf("'%s': the socket path is longer than %zu bytes", address,
					 sizeof sun->sun_path - 1);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path));
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
		return NULL;
	}
	if (str_has_prefix(address, "tcp:")) {
		const char *hostport = address + strlen("tcp:");
		const char *colon = strrchr(hostport, ':');
		int n = sizeof *sa;
		if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    evutil_parse_sockaddr_port(hostport, (struct sockaddr *)sa, &n))
			return xasprintf("'%s': expected tcp:ADDR:PORT with a numeric address",
					 address);
		*len = (socklen_t)n;
		return NULL;
	}
	return xasprintf("'%s': expected unix:PATH or tcp:ADDR:PORT", address);
}

bool chan_client_address_is_valid(const char *address, char **error)
{
	struct sockaddr_storage sa;
	socklen_t len;
	*error = address_parse(address, &sa, &len);
	return !*error;
}

/* Schedules the next attempt after the current backoff (jittered), doubles
 * the backoff, and says why in one log line. */
static void retry_schedule(struct chan_client *c, const char *why, bool was_connected)
{
	/* +-20% so that the agents of many hosts, cut off together, do not
	 * all come back in the same millisecond. */
	unsigned int span = c->backoff_ms * 2 / 5;
	unsigned int delay_ms = c->backoff_ms - c->backoff_ms / 5 + randombytes_uniform(span + 1);
	c->failures++;
	c->last_delay_ms = delay_ms;
	if (was_connected)
		LOG_WARN("%s: connection lost: %s; reconnecting in %u ms", c->address, why,
			 delay_ms);
	else if (c->failures <= 3 || c->failures % 10 == 0)
		/* The first failures say why; later ones only every tenth
		 * time, since the reason rarely changes while the controller
		 * is away. */
		LOG_INFO("%s: %s; reconnecting in %u ms (attempt %u)", c->address, why, delay_ms,
			 c->failures);
	else
		LOG_DBG("%s: %s; reconnecting in %u ms (attempt %u)", c->address, why, delay_ms,
			c->failures);
	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
	evtimer_add(c->retry, &tv);
	c->backoff_ms *= 2;
	if (c->backoff_ms > CHAN_CLIENT_BACKOFF_MAX_MS)
		c->backoff_ms = CHAN_CLIENT_BACKOFF_MAX_MS;
}

/* Drops the connection (if any) and schedules a new one. */
static void connection_close(struct chan_client *c, const char *why)
{
	bool was_connected = c->connected;
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->connected = false;
	channel_decoder_uninit(&c->decoder);
	channel_decoder_init(&c->decoder);
	retry_schedule(c, why, was_connected);
	if (was_connected && c->ops->disconnected)
		c->ops->disconnected(c->aux);
}

static void send_hello(struct chan_client *c)
{
	uint64_t revision = c->ops->revision ? c->ops->revision(c->aux) : 0;
	json_t *hello = json_pack("{s:s, s:s, s:i, s:i, s:I}", "type", "hello", "host", c->host,
				  "version", CHANNEL_PROTOCOL_VERSION, "pid", (int)getpid(),
				  "revision", (json_int_t)revision);
	if (hello && chan_client_send(c, hello))
		LOG_WARN("%s: could not send hello", c->address);
	json_decref(hello);
}

/* Reads a non-negative "revision" member (checked by channel_msg_check). */
static uint64_t msg_revision(const json_t *msg)
{
	return (uint64_t)json_integer_value(json_object_get(msg, "revision"));
}

/* Handles one message. Returns NULL or an allocated reason to close. */
static char *message_handle(struct chan_client *c, json_t *msg)
{
	enum channel_msg_type type;
	if (!channel_msg_type(msg, &type))
		return xstrdup("a message without a type");
	switch (type) {
	case CHANNEL_VIEW: {
		int rc = c->ops->view(c->aux, msg_revision(msg), json_object_get(msg, "entries"));
		if (rc)
			return xasprintf("view revision %" PRIu64 " not applied: %s",
					 msg_revision(msg), strerror(-rc));
		/* A session that delivered a view is a good one: the next
		 * outage starts the backoff from the bottom again. */
		c->backoff_ms = CHAN_CLIENT_BACKOFF_MIN_MS;
		c->failures = 0;
		return NULL;
	}
	case CHANNEL_DELTA: {
		json_t *del = json_object_get(msg, "delete");
		size_t i;
		json_t *key;
		json_array_foreach(del, i, key)
		{
			if (!json_is_string(key))
				return xasprintf("delta: \"delete\"[%zu] is not a string", i);
		}
		int rc = c->ops->delta(c->aux, msg_revision(msg), json_object_get(msg, "put"), del);
		if (rc)
			return xasprintf("delta revision %" PRIu64 " not applied: %s",
					 msg_revision(msg), strerror(-rc));
		return NULL;
	}
	case CHANNEL_ERROR:
		return xasprintf("the controller refused us: %s",
				 json_string_value(json_object_get(msg, "detail")));
	case CHANNEL_REQUEST:
		if (c->ops->request) {
			c->ops->request(c->aux, msg);
		} else {
			json_t *r = json_pack("{s:s, s:O, s:b, s:s}", "type", "response", "id",
					      json_object_get(msg, "id"), "ok", 0, "error",
					      "this agent takes no requests");
			if (r && chan_client_send(c, r))
				LOG_WARN_RL("%s: could not answer a request", c->address);
			json_decref(r);
		}
		return NULL;
	case CHANNEL_HELLO:
	case CHANNEL_RESPONSE:
	case CHANNEL_ACK:
	case CHANNEL_REPORT:
	case CHANNEL_N_TYPES:
		break;
	}
	return xasprintf("unexpected message of type \"%s\" from the controller",
			 channel_msg_type_name(type));
}

static void on_read(struct bufferevent *bev, void *c_)
{
	struct chan_client *c = c_;
	struct evbuffer *in = bufferevent_get_input(bev);

	/* Hand what arrived to the decoder without an extra copy per chunk. */
	size_t len = evbuffer_get_length(in);
	int n = evbuffer_peek(in, (ev_ssize_t)len, NULL, NULL, 0);
	if (n > 0) {
		struct evbuffer_iovec *vec = xcalloc((size_t)n, sizeof *vec);
		n = evbuffer_peek(in, (ev_ssize_t)len, NULL, vec, n);
		for (int i = 0; i < n; i++)
			channel_decoder_feed(&c->decoder, vec[i].iov_base, vec[i].iov_len);
		free(vec);
	}
	evbuffer_drain(in, len);

	for (;;) {
		json_t *msg;
		char *reason = channel_decoder_next(&c->decoder, &msg);
		if (!reason && !msg)
			break;
		if (!reason) {
			reason = message_handle(c, msg);
			json_decref(msg);
		}
		if (reason) {
			connection_close(c, reason);
			free(reason);
			return;
		}
	}
}

static void on_event(struct bufferevent *bev, short what, void *c_)
{
	struct chan_client *c = c_;
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = true;
		/* Connected: no more deadline (the controller may stay quiet
		 * for as long as nothing changes). */
		bufferevent_set_timeouts(bev, NULL, NULL);
		LOG_INFO("connected to the controller at %s", c->address);
		send_hello(c);
		if (c->ops->connected)
			c->ops->connected(c->aux);
		return;
	}
	const char *cause;
	if (what & BEV_EVENT_EOF)
		cause = "closed by the controller";
	else if (what & BEV_EVENT_TIMEOUT)
		cause = "timed out";
	else
		cause = strerror(errno);
	char *why = c->connected ? xstrdup(cause) : xasprintf("cannot connect: %s", cause);
	connection_close(c, why);
	free(why);
}

static void connect_start(struct chan_client *c)
{
	/* Connect by hand so that an immediate failure (no socket file, no
	 * listener) has its errno, then let the bufferevent wait for the rest. */
	int fd = socket(c->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&c->sa, c->sa_len) && errno != EINPROGRESS)) {
		char *why = xasprintf("cannot connect: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		connection_close(c, why);
		free(why);
		return;
	}
	if (c->sa.ss_family != AF_UNIX) {
		/* A controller host that vanishes sends no FIN: notice it
		 * after about KEEPALIVE_IDLE_S + 3 * KEEPALIVE_INTERVAL_S. */
		int on = 1, idle = KEEPALIVE_IDLE_S, interval = KEEPALIVE_INTERVAL_S, count = 3;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
	}
	c->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		connection_close(c, "cannot create a connection");
		return;
	}
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	struct timeval tv = {CHAN_CLIENT_CONNECT_TIMEOUT_MS / 1000,
			     CHAN_CLIENT_CONNECT_TIMEOUT_MS % 1000 * 1000};
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	/* With no address: the socket is connecting; report when it is done. */
	if (bufferevent_socket_connect(c->bev, NULL, 0)) {
		char *why = xasprintf("cannot connect: %s", strerror(errno));
		connection_close(c, why);
		free(why);
	}
}

static void on_retry(evutil_socket_t fd, short what, void *c_)
{
	connect_start(c_);
}

int chan_client_create(struct event_base *base, const char *address, const char *host,
		       const struct chan_client_ops *ops, void *aux, struct chan_client **cp,
		       char **error)
{
	struct chan_client *c = xzalloc(sizeof *c);
	*cp = NULL;
	*error = address_parse(address, &c->sa, &c->sa_len);
	if (*error) {
		free(c);
		return -EINVAL;
	}
	c->base = base;
	c->address = xstrdup(address);
	c->host = xstrdup(host);
	c->ops = ops;
	c->aux = aux;
	c->backoff_ms = CHAN_CLIENT_BACKOFF_MIN_MS;
	channel_decoder_init(&c->decoder);
	c->retry = evtimer_new(base, on_retry, c);
	if (!c->retry)
		onm_abort("cannot create a timer");
	connect_start(c);
	*cp = c;
	return 0;
}

void chan_client_destroy(struct chan_client *c)
{
	if (!c)
		return;
	if (c->bev) {
		/* Let what is queued go if the kernel takes it now; nothing
		 * waits for it. */
		if (c->connected)
			evbuffer_write(bufferevent_get_output(c->bev), bufferevent_getfd(c->bev));
		bufferevent_free(c->bev);
	}
	event_free(c->retry);
	channel_decoder_uninit(&c->decoder);
	free(c->address);
	free(c->host);
	free(c);
}

unsigned int chan_client_last_retry_delay_ms(const struct chan_client *c)
{
	return c->last_delay_ms;
}

bool chan_client_is_connected(const struct chan_client *c)
{
	return c->connected;
}

int chan_client_send(struct chan_client *c, const json_t *msg)
{
	if (!c->bev || !c->connected)
		return -ENOTCONN;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) > OUTPUT_LIMIT_SIZE)
		return -ENOBUFS;
	struct ds frame = DS_EMPTY_INITIALIZER;
	int rc = channel_encode(msg, &frame);
	if (!rc && bufferevent_write(c->bev, frame.string, frame.length))
		rc = -ENOMEM;
	ds_destroy(&frame);
	return rc;
}

void chan_client_ack(struct chan_client *c, uint64_t revision)
{
	json_t *ack = json_pack("{s:s, s:I}", "type", "ack", "revision", (json_int_t)revision);
	if (ack && chan_client_send(c, ack) && c->connected)
		LOG_WARN("%s: could not send the ack of revision %" PRIu64, c->address, revision);
	json_decref(ack);
}

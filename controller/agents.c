// SPDX-License-Identifier: Apache-2.0
/*
 * The controller's side of the agent channel (see agents.h) on libevent:
 * an evconnlistener accepts, each connection is a bufferevent whose input
 * goes through the channel decoder (lib/channel.c) and whose output
 * libevent writes as the socket takes it. Per host a record keeps what the
 * agent last said, connected or not; per connection the last view sent,
 * against which model changes are diffed.
 *
 * Views of one model share a views context (views.h), built on first use
 * after a change and kept until the next change: every change of the model
 * is committed and passed on to ctl_agents_model_changed(), which drops
 * the context before anything else can use it.
 */
#include "agents.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "agents"
#include "onm/channel.h"
#include "onm/ds.h"
#include "onm/log.h"
#include "onm/model.h"
#include "onm/store.h"
#include "routing.h"
#include "state.h"
#include "views.h"

/* How long a connection being closed may take to send its error message. */
#define CLOSE_TIMEOUT_SEC 2
/* How long accepting pauses when the process is out of file descriptors. */
#define ACCEPT_PAUSE_SEC 1

enum conn_state {
	CONN_HELLO,   /* waiting for the agent's hello */
	CONN_READY,   /* view sent; deltas follow model changes */
	CONN_CLOSING, /* an error message is being sent; nothing else happens */
};

struct agent_host;

/* One connection. */
struct agent_conn {
	struct agent_conn *prev, *next; /* in ctl_agents 'conns' */
	struct ctl_agents *agents;
	struct bufferevent *bev;
	struct channel_decoder decoder;
	enum conn_state state;
	struct agent_host *host; /* CONN_READY: the host it speaks for */
	json_t *view;		 /* CONN_READY: the entries last sent */
	char peer[64];		 /* the peer, for messages */
	struct ctl_agent_request *requests; /* sent and not answered yet, newest first */
	uint64_t next_id;		    /* id of the next request */
};

/* A request sent on a connection: waiting for its response (in the
 * connection's 'requests'), then ended and waiting for its callback (in
 * the agents' 'ended', 'conn' NULL). */
struct ctl_agent_request {
	struct ctl_agent_request *prev, *next;
	struct ctl_agents *agents;
	struct agent_conn *conn; /* while waiting for the response */
	uint64_t id;		 /* the message's "id" */
	struct event *timer;	 /* fails the request when it fires */
	json_t *response;	 /* ended: the response, or NULL */
	const char *error;	 /* ended without one: why (a constant) */
	ctl_agent_answer_fn *cb;
	void *aux;
};

/* What is known of the agent of one host. */
struct agent_host {
	struct hmap_node node;	    /* in ctl_agents 'hosts', hashed on 'name' */
	char *name;		    /* the host's name */
	struct agent_conn *conn;    /* NULL while not connected */
	int64_t pid;		    /* from the last hello; -1 before any */
	uint64_t hello_revision;    /* revision the agent had applied when it said hello */
	uint64_t sent_revision;	    /* revision of the last view or delta sent */
	uint64_t acked_revision;    /* revision of the last ack */
	uint64_t connected_ms;	    /* wall clock of the last hello, ms since the epoch; 0: never */
	json_t *counters;	    /* of the last report, or NULL */
	json_t *health;		    /* of the last report, or NULL */
	json_t *ports_seen;	    /* port counters of the last report, for usage deltas */
	uint64_t report_ms;	    /* wall clock of the last report, ms since the epoch; 0: none */
	uint64_t n_connects;	    /* hellos accepted */
	uint64_t n_views, n_deltas; /* messages sent */
	uint64_t bytes_sent;	    /* frames sent, bytes */
};

struct ctl_agents {
	struct event_base *base;
	struct ctl_state *state;
	struct evconnlistener *listener;
	struct event *accept_pause; /* re-enables accepting after EMFILE */
	char *address;		    /* "unix:PATH" or "tcp:ADDR:PORT" as bound */
	char *unix_path;	    /* the socket file we made, or NULL */
	dev_t unix_dev;		    /* and its identity, so that we remove only ours */
	ino_t unix_ino;
	struct agent_conn *conns; /* every connection, hello said or not */
	struct hmap hosts;	  /* struct agent_host by name */
	size_t n_connected;	  /* connections in CONN_READY */
	size_t output_limit;	  /* bytes of unsent output that drop an agent */
	struct views_ctx *ctx;	  /* views of the current model, or NULL */
	struct route_manager *rm; /* forwarding entries and effective classes */
	struct event *reroute;	  /* pushes what the Route Manager changed, batched */
	struct event *usage_flush; /* writes premium usage to the store, when 'usage_dirty' */
	bool usage_dirty;
	uint64_t views_sent, deltas_sent, bytes_sent, disconnects; /* totals */
	bool destroying; /* in ctl_agents_destroy(): no new requests */
	struct ctl_agent_request *ended; /* requests whose callback is due */
	struct event *deliver;		 /* calls them */
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "2026-11-21T18:40:51.685Z", or JSON null for 0. */
static json_t *time_json(uint64_t ms)
{
	char date[32], buf[48];
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms)
		return json_null();
	gmtime_r(&secs, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, sizeof buf, "%s.%03uZ", date, (unsigned int)(ms % 1000));
	return json_string(buf);
}

/* Host records. */

static struct agent_host *host_find(const struct ctl_agents *agents, const char *name)
{
	uint32_t hash = hash_string(name, 0);
	struct agent_host *ah;

	HMAP_FOR_EACH_WITH_HASH (ah, node, hash, &agents->hosts) {
		if (!strcmp(ah->name, name))
			return ah;
	}
	return NULL;
}

static struct agent_host *host_get(struct ctl_agents *agents, const char *name)
{
	struct agent_host *ah = host_find(agents, name);

	if (!ah) {
		ah = xzalloc(sizeof *ah);
		ah->name = xstrdup(name);
		ah->pid = -1;
		hmap_insert(&agents->hosts, &ah->node, hash_string(name, 0));
	}
	return ah;
}

static void host_destroy(struct ctl_agents *agents, struct agent_host *ah)
{
	hmap_remove(&agents->hosts, &ah->node);
	json_decref(ah->counters);
	json_decref(ah->health);
	json_decref(ah->ports_seen);
	free(ah->name);
	free(ah);
}

/* The views context of the current model, built on demand. */
static const struct views_ctx *views(struct ctl_agents *agents)
{
	if (!agents->ctx)
		agents->ctx = views_ctx_create(ctl_state_model(agents->state), agents->rm);
	return agents->ctx;
}

static void on_reroute(evutil_socket_t fd, short what, void *agents_);

/* The Route Manager's changes reach the agents from an event of their
 * own: reports and disconnects arrive inside connection callbacks, where
 * pushing to every connection (and maybe closing some) is not safe, and
 * a burst of reports is pushed once. */
static void reroute_soon(struct ctl_agents *agents)
{
	event_active(agents->reroute, EV_TIMEOUT, 0);
}

/* The agent of 'ah' went away: its probe reports no longer count. Its
 * port counters stay the baseline of usage if it comes back (the same
 * process: its hello has the same pid). */
static void host_gone(struct ctl_agents *agents, struct agent_host *ah)
{
	if (rm_reporter_gone(agents->rm, ah->name))
		reroute_soon(agents);
}

/* A report's "links": the agent's probes (docs/dataplane.md). */
static bool take_link_reports(struct ctl_agents *agents, const char *host, const json_t *links)
{
	bool changed = false;
	size_t i;
	json_t *l;

	json_array_foreach (links, i, l) {
		const char *id = json_string_value(json_object_get(l, "id"));
		const char *state = json_string_value(json_object_get(l, "state"));
		json_t *lat = json_object_get(l, "latency_us"), *loss = json_object_get(l, "loss_ppm");

		if (!id || !state)
			continue;
		changed |= rm_link_report(agents->rm, id, host, !strcmp(state, "up"),
					  json_is_integer(lat) ? json_integer_value(lat) : -1,
					  json_is_integer(loss) ? json_integer_value(loss) : -1);
	}
	return changed;
}

/* Bytes each tenant's instances sent since the host's last report (port
 * "rx": from the instance), counted against premium quotas. Counters
 * count since the agent started: one that went down restarted. */
static bool take_usage(struct ctl_agents *agents, struct agent_host *ah, json_t *ports)
{
	bool changed = false;
	const char *key;
	json_t *value;

	json_object_foreach (ports, key, value) {
		json_t *prev = ah->ports_seen ? json_object_get(ah->ports_seen, key) : NULL;
		uint64_t now = (uint64_t)json_integer_value(json_object_get(value, "rx_bytes"));
		uint64_t before =
		    prev ? (uint64_t)json_integer_value(json_object_get(prev, "rx_bytes")) : 0;
		const char *slash = strchr(key, '/');
		char tenant[128];

		if (!slash || (size_t)(slash - key) >= sizeof tenant)
			continue;
		memcpy(tenant, key, (size_t)(slash - key));
		tenant[slash - key] = '\0';
		changed |= rm_tenant_add_usage(agents->rm, tenant, now >= before ? now - before : now);
		agents->usage_dirty |= now != before;
	}
	json_decref(ah->ports_seen);
	ah->ports_seen = json_incref(ports);
	return changed;
}

/* Premium usage survives a controller restart: every tenant's usage and,
 * per host, the agent's pid and the port counters it was counted from
 * (so that a restarted controller counts only what is new), in one store
 * key outside the model's, at most every USAGE_FLUSH_MS. */
#define USAGE_KEY "/onm-usage"
#define USAGE_FLUSH_MS 2000

static void on_usage_flush(evutil_socket_t fd, short what, void *agents_)
{
	struct ctl_agents *agents = agents_;
	json_t *hosts, *doc;
	struct agent_host *ah;
	char *text;
	int rc;

	if (!agents->usage_dirty)
		return;
	hosts = json_object();
	HMAP_FOR_EACH (ah, node, &agents->hosts) {
		json_t *ports = json_object(), *v;
		const char *key;

		json_object_foreach (ah->ports_seen, key, v)
			json_object_set(ports, key, json_object_get(v, "rx_bytes"));
		json_object_set_new(hosts, ah->name,
				    json_pack("{s:I, s:o}", "pid", (json_int_t)ah->pid, "ports", ports));
	}
	doc = json_pack("{s:o, s:o}", "tenants", rm_usage_json(agents->rm), "hosts", hosts);
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	rc = store_put(ctl_state_store(agents->state), USAGE_KEY, text, strlen(text), NULL);
	if (rc)
		LOG_WARN_RL("cannot store premium usage: %s", strerror(-rc));
	else
		agents->usage_dirty = false;
	free(text);
	json_decref(doc);
}

/* Restores what on_usage_flush() stored. */
static void usage_restore(struct ctl_agents *agents)
{
	struct store_kv kv;
	json_t *doc, *v;
	const char *key;

	if (store_get(ctl_state_store(agents->state), USAGE_KEY, &kv))
		return;
	doc = json_loadb(kv.value, kv.value_len, 0, NULL);
	json_object_foreach (json_object_get(doc, "tenants"), key, v)
		rm_tenant_set_usage(agents->rm, key, (uint64_t)json_integer_value(v));
	json_object_foreach (json_object_get(doc, "hosts"), key, v) {
		struct agent_host *ah = host_get(agents, key);
		json_t *ports = json_object(), *rx;
		const char *port;

		ah->pid = json_integer_value(json_object_get(v, "pid"));
		json_object_foreach (json_object_get(v, "ports"), port, rx)
			json_object_set_new(ports, port, json_pack("{s:O}", "rx_bytes", rx));
		ah->ports_seen = ports;
	}
	json_decref(doc);
	store_kv_uninit(&kv);
}

/* Requests. Their callbacks run from an event of their own, never from
 * within a connection's callback: a callback may send further requests,
 * and so close connections (conn_send()), which the code that took the
 * response or closed the connection may still be using. */

static bool conn_send(struct agent_conn *conn, const json_t *msg);

static struct ctl_agent_request **request_list(struct ctl_agent_request *r)
{
	return r->conn ? &r->conn->requests : &r->agents->ended;
}

static void request_link(struct ctl_agent_request *r)
{
	struct ctl_agent_request **head = request_list(r);

	r->prev = NULL;
	r->next = *head;
	if (*head)
		(*head)->prev = r;
	*head = r;
}

static void request_unlink(struct ctl_agent_request *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		*request_list(r) = r->next;
	if (r->next)
		r->next->prev = r->prev;
}

static void request_free(struct ctl_agent_request *r)
{
	event_free(r->timer);
	json_decref(r->response);
	free(r);
}

/* Ends waiting request 'r' with 'response' (borrowed) or 'error' (a
 * constant): its callback is due. */
static void request_end(struct ctl_agent_request *r, const json_t *response, const char *error)
{
	request_unlink(r);
	evtimer_del(r->timer);
	r->conn = NULL;
	r->response = response ? json_incref((json_t *)response) : NULL;
	r->error = error;
	request_link(r);
	event_active(r->agents->deliver, EV_TIMEOUT, 0);
}

/* Calls the callbacks of the ended requests. */
static void on_deliver(evutil_socket_t fd, short what, void *agents_)
{
	struct ctl_agents *agents = agents_;

	while (agents->ended) {
		struct ctl_agent_request *r = agents->ended;

		request_unlink(r);
		r->cb(r->aux, r->response, r->response ? NULL : r->error);
		request_free(r);
	}
}

static void on_request_timeout(evutil_socket_t fd, short what, void *r_)
{
	request_end(r_, NULL, "timed out");
}

/* Fails every request of 'conn' (its agent is gone). New requests for its
 * host are refused by now: the host no longer points at 'conn'. */
static void requests_fail(struct agent_conn *conn, const char *why)
{
	while (conn->requests)
		request_end(conn->requests, NULL, why);
}

/* A response: ends its request. One for no request (it timed out or was
 * canceled) is dropped. */
static void take_response(struct agent_conn *conn, const json_t *msg)
{
	uint64_t id = (uint64_t)json_integer_value(json_object_get(msg, "id"));

	for (struct ctl_agent_request *r = conn->requests; r; r = r->next) {
		if (r->id == id) {
			request_end(r, msg, NULL);
			return;
		}
	}
	LOG_DBG("agent %s: response to request %" PRIu64 ", which no one waits for",
		conn->host->name, id);
}

struct ctl_agent_request *ctl_agents_request(struct ctl_agents *agents, const char *host,
					     const json_t *req, uint32_t timeout_ms,
					     ctl_agent_answer_fn *cb, void *aux, char **error)
{
	struct agent_host *ah = agents->destroying ? NULL : host_find(agents, host);
	struct agent_conn *conn = ah ? ah->conn : NULL;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct ctl_agent_request *r;
	json_t *msg;
	bool sent;

	*error = NULL;
	if (!conn || conn->state != CONN_READY) {
		*error = xasprintf("the agent of host %.64s is not connected", host);
		return NULL;
	}
	if (!json_is_object(req) || !json_is_string(json_object_get(req, "op"))) {
		*error = xstrdup("a request needs an \"op\"");
		return NULL;
	}
	r = xzalloc(sizeof *r);
	r->agents = agents;
	r->id = conn->next_id++;
	r->cb = cb;
	r->aux = aux;
	r->timer = evtimer_new(agents->base, on_request_timeout, r);
	if (!r->timer)
		onm_abort("cannot create a timer");
	msg = json_deep_copy(req);
	json_object_set_new(msg, "type", json_string("request"));
	json_object_set_new(msg, "id", json_integer((json_int_t)r->id));
	/* conn_send() closes the connection if it cannot send. */
	sent = conn_send(conn, msg);
	json_decref(msg);
	if (!sent) {
		request_free(r);
		*error = xasprintf("the request to host %.64s could not be sent", host);
		return NULL;
	}
	r->conn = conn;
	request_link(r);
	evtimer_add(r->timer, &tv);
	return r;
}

void ctl_agents_request_cancel(struct ctl_agent_request *r)
{
	if (!r)
		return;
	request_unlink(r);
	request_free(r);
}

bool ctl_agents_is_connected(const struct ctl_agents *agents, const char *host)
{
	const struct agent_host *ah = host_find(agents, host);

	return ah && ah->conn && ah->conn->state == CONN_READY;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *ctl_agents_hosts_of_network(const struct ctl_agents *agents, const char *network)
{
	const struct model *model = ctl_state_model(agents->state);
	size_t n, n_names = 0, len = strlen(network);
	struct model_object **objs = model_list(model, MODEL_INSTANCE, &n);
	const char **names = xcalloc(n ? n : 1, sizeof *names);
	json_t *hosts = json_array();

	/* Instance ids are "T/N/I": those of the network share its prefix. */
	for (size_t i = 0; i < n; i++) {
		const struct instance *in = CONTAINER_OF(objs[i], const struct instance, hdr);
		const struct model_object *h;

		if (strncmp(in->hdr.id, network, len) || in->hdr.id[len] != '/' ||
		    strchr(in->hdr.id + len + 1, '/'))
			continue;
		h = model_find(model, MODEL_HOST, in->host);
		if (h && !CONTAINER_OF(h, const struct host, hdr)->kernel_vtep)
			names[n_names++] = in->host;
	}
	qsort(names, n_names, sizeof *names, compare_names);
	for (size_t i = 0; i < n_names; i++)
		if (!i || strcmp(names[i], names[i - 1]))
			json_array_append_new(hosts, json_string(names[i]));
	free(names);
	free(objs);
	return hosts;
}

/* Connections. */

/* Frees 'conn' and closes its socket at once; its requests fail. */
static void conn_destroy(struct agent_conn *conn)
{
	struct ctl_agents *agents = conn->agents;

	if (conn->host) {
		conn->host->conn = NULL;
		agents->n_connected--;
		agents->disconnects++;
		host_gone(agents, conn->host);
	}
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		agents->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	requests_fail(conn, "the agent disconnected");
	bufferevent_free(conn->bev);
	channel_decoder_uninit(&conn->decoder);
	json_decref(conn->view);
	free(conn);
}

static void closing_written(struct bufferevent *bev, void *conn_)
{
	conn_destroy(conn_);
}

static void closing_event(struct bufferevent *bev, short what, void *conn_)
{
	conn_destroy(conn_);
}

/* Queues the frame of 'msg' (which stays the caller's). Returns false if
 * the connection was closed instead: the message could not be encoded or
 * the agent's unsent output passed the limit. */
static bool conn_send(struct agent_conn *conn, const json_t *msg)
{
	struct ctl_agents *agents = conn->agents;
	const char *who = conn->host ? conn->host->name : conn->peer;
	struct ds frame = DS_EMPTY_INITIALIZER;
	int rc = channel_encode(msg, &frame);
	size_t pending;

	if (rc) {
		LOG_ERR("agent %s: cannot send a %s: %s (the channel's frames hold at most %zu "
			"bytes); closing",
			who, json_string_value(json_object_get(msg, "type")), strerror(-rc),
			CHANNEL_MAX_MESSAGE_SIZE);
		ds_destroy(&frame);
		conn_destroy(conn);
		return false;
	}
	bufferevent_write(conn->bev, frame.string, frame.length);
	agents->bytes_sent += frame.length;
	if (conn->host)
		conn->host->bytes_sent += frame.length;
	ds_destroy(&frame);

	pending = evbuffer_get_length(bufferevent_get_output(conn->bev));
	if (pending > agents->output_limit) {
		LOG_WARN("agent %s: %zu bytes unsent (limit %zu): too slow, dropping it; it gets "
			 "a full view when it reconnects",
			 who, pending, agents->output_limit);
		conn_destroy(conn);
		return false;
	}
	return true;
}

/* Sends an 'error' message with 'detail' and closes the connection once
 * it is written (or after CLOSE_TIMEOUT_SEC). */
static void conn_fail(struct agent_conn *conn, const char *detail)
{
	json_t *msg = json_pack("{s:s, s:s}", "type", "error", "detail", detail);
	struct timeval timeout = {CLOSE_TIMEOUT_SEC, 0};

	if (!msg) /* 'detail' is not UTF-8: it quotes the peer */
		msg = json_pack("{s:s, s:s}", "type", "error", "detail", "protocol error");
	if (conn->state == CONN_CLOSING) {
		json_decref(msg);
		return;
	}
	if (!conn_send(conn, msg)) {
		json_decref(msg);
		return;
	}
	json_decref(msg);
	if (conn->host) {
		/* From now on the host counts as disconnected. */
		conn->host->conn = NULL;
		host_gone(conn->agents, conn->host);
		conn->host = NULL;
		conn->agents->n_connected--;
		conn->agents->disconnects++;
	}
	conn->state = CONN_CLOSING;
	requests_fail(conn, "the agent disconnected");
	bufferevent_disable(conn->bev, EV_READ);
	bufferevent_setcb(conn->bev, NULL, closing_written, closing_event, conn);
	bufferevent_set_timeouts(conn->bev, NULL, &timeout);
	/* An already empty output buffer calls no write callback. */
	if (!evbuffer_get_length(bufferevent_get_output(conn->bev)))
		conn_destroy(conn);
}

/* Sends host 'conn->host''s whole view at the current revision. */
static bool conn_send_view(struct agent_conn *conn)
{
	struct ctl_agents *agents = conn->agents;
	uint64_t revision = ctl_state_revision(agents->state);
	json_t *view = views_ctx_compute(views(agents), conn->host->name);
	json_t *msg;
	bool ok;

	if (!view) {
		conn_fail(conn, "the host is not in the model");
		return false;
	}
	msg = json_pack("{s:s, s:I, s:O}", "type", "view", "revision", (json_int_t)revision,
			"entries", view);
	ok = conn_send(conn, msg);
	json_decref(msg);
	if (!ok) {
		json_decref(view);
		return false;
	}
	json_decref(conn->view);
	conn->view = view;
	conn->host->sent_revision = revision;
	conn->host->n_views++;
	agents->views_sent++;
	return true;
}

static bool handle_hello(struct agent_conn *conn, const json_t *msg)
{
	struct ctl_agents *agents = conn->agents;
	const char *name = json_string_value(json_object_get(msg, "host"));
	json_int_t version = json_integer_value(json_object_get(msg, "version"));
	const struct model_object *obj;
	struct agent_host *ah;
	char *detail;

	if (version != CHANNEL_PROTOCOL_VERSION) {
		detail = xasprintf("protocol version %lld is not supported (this controller "
				   "speaks %d)",
				   (long long)version, CHANNEL_PROTOCOL_VERSION);
		goto refuse;
	}
	obj = model_find(ctl_state_model(agents->state), MODEL_HOST, name);
	if (!obj) {
		detail = xasprintf("unknown host '%.64s'", name);
		goto refuse;
	}
	if (CONTAINER_OF(obj, const struct host, hdr)->kernel_vtep) {
		detail = xasprintf("host %s is a kernel VTEP: no agent runs there", name);
		goto refuse;
	}

	ah = host_get(agents, name);
	if (ah->conn) {
		LOG_INFO("agent %s: a new connection (%s) replaces the one from %s", name,
			 conn->peer, ah->conn->peer);
		conn_fail(ah->conn, "replaced by a new connection of the same host");
	}
	ah->conn = conn;
	if (ah->pid != json_integer_value(json_object_get(msg, "pid"))) {
		/* Another process: its counters start from zero. */
		json_decref(ah->ports_seen);
		ah->ports_seen = NULL;
	}
	ah->pid = json_integer_value(json_object_get(msg, "pid"));
	ah->hello_revision = (uint64_t)json_integer_value(json_object_get(msg, "revision"));
	ah->connected_ms = wall_ms();
	ah->n_connects++;
	conn->host = ah;
	conn->state = CONN_READY;
	agents->n_connected++;
	bufferevent_set_timeouts(conn->bev, NULL, NULL);
	LOG_INFO("agent %s connected (%s, pid %" PRId64 ", at revision %" PRIu64 ")", name,
		 conn->peer, ah->pid, ah->hello_revision);
	return conn_send_view(conn);

refuse:
	LOG_WARN_RL("agent at %s refused: %s", conn->peer, detail);
	conn_fail(conn, detail);
	free(detail);
	return false;
}

/* Handles one message; returns false if the connection was closed. */
static bool conn_handle(struct agent_conn *conn, const json_t *msg)
{
	enum channel_msg_type type = CHANNEL_N_TYPES;
	char *detail;

	channel_msg_type(msg, &type); /* the decoder checked it */
	if (conn->state == CONN_HELLO) {
		if (type == CHANNEL_HELLO)
			return handle_hello(conn, msg);
		detail = xasprintf("expected hello, got %s", channel_msg_type_name(type));
	} else {
		struct agent_host *ah = conn->host;

		switch (type) {
		case CHANNEL_ACK:
			ah->acked_revision =
			    (uint64_t)json_integer_value(json_object_get(msg, "revision"));
			return true;
		case CHANNEL_REPORT:
			json_decref(ah->counters);
			json_decref(ah->health);
			ah->counters = json_incref(json_object_get(msg, "counters"));
			ah->health = json_incref(json_object_get(msg, "health"));
			ah->report_ms = wall_ms();
			/* Both, whatever the first says. */
			bool links = take_link_reports(conn->agents, ah->name,
						       json_object_get(msg, "links"));
			bool usage = take_usage(conn->agents, ah,
						json_object_get(ah->counters, "ports"));

			if (links || usage)
				reroute_soon(conn->agents);
			return true;
		case CHANNEL_RESPONSE:
			take_response(conn, msg);
			return true;
		case CHANNEL_HELLO:
		case CHANNEL_VIEW:
		case CHANNEL_DELTA:
		case CHANNEL_ERROR:
		case CHANNEL_N_TYPES:
		default:
			break;
		}
		detail = xasprintf("unexpected %s from an agent", channel_msg_type_name(type));
	}
	LOG_WARN_RL("agent %s: %s; closing", conn->host ? conn->host->name : conn->peer, detail);
	conn_fail(conn, detail);
	free(detail);
	return false;
}

static void conn_read(struct bufferevent *bev, void *conn_)
{
	struct agent_conn *conn = conn_;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (evbuffer_get_length(in)) {
		struct evbuffer_iovec v[8];
		int n = evbuffer_peek(in, -1, NULL, v, ARRAY_SIZE(v));
		size_t total = 0;

		if (n > (int)ARRAY_SIZE(v))
			n = ARRAY_SIZE(v);
		for (int i = 0; i < n; i++) {
			channel_decoder_feed(&conn->decoder, v[i].iov_base, v[i].iov_len);
			total += v[i].iov_len;
		}
		evbuffer_drain(in, total);

		for (;;) {
			json_t *msg;
			char *error = channel_decoder_next(&conn->decoder, &msg);
			bool open;

			if (error) {
				LOG_WARN_RL("agent %s: bad frame: %s; closing",
					    conn->host ? conn->host->name : conn->peer, error);
				conn_fail(conn, error);
				free(error);
				return;
			}
			if (!msg)
				break;
			open = conn_handle(conn, msg);
			json_decref(msg);
			if (!open)
				return;
		}
	}
}

static void conn_event(struct bufferevent *bev, short what, void *conn_)
{
	struct agent_conn *conn = conn_;
	const char *who = conn->host ? conn->host->name : conn->peer;

	if (what & BEV_EVENT_TIMEOUT)
		LOG_WARN_RL("agent at %s said no hello within %d s; closing", conn->peer,
			    CTL_AGENTS_HELLO_TIMEOUT_SEC);
	else if (what & BEV_EVENT_ERROR)
		LOG_INFO("agent %s: connection failed: %s", who,
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (conn->host)
		LOG_INFO("agent %s disconnected", who);
	conn_destroy(conn);
}

static void describe_peer(evutil_socket_t fd, const struct sockaddr *sa, char *buf, size_t size)
{
	if (sa->sa_family == AF_UNIX) {
		struct ucred cred;
		socklen_t len = sizeof cred;

		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
			snprintf(buf, size, "unix pid %d", (int)cred.pid);
		else
			snprintf(buf, size, "unix");
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
		char host[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		char host[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, size, "?");
	}
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *agents_)
{
	struct ctl_agents *agents = agents_;
	struct agent_conn *conn;
	struct timeval hello_timeout = {CTL_AGENTS_HELLO_TIMEOUT_SEC, 0};
	struct bufferevent *bev = bufferevent_socket_new(agents->base, fd, BEV_OPT_CLOSE_ON_FREE);

	if (!bev) {
		LOG_WARN_RL("cannot set up an agent connection");
		evutil_closesocket(fd);
		return;
	}
	conn = xzalloc(sizeof *conn);
	conn->agents = agents;
	conn->bev = bev;
	conn->state = CONN_HELLO;
	channel_decoder_init(&conn->decoder);
	describe_peer(fd, sa, conn->peer, sizeof conn->peer);
	conn->next = agents->conns;
	if (agents->conns)
		agents->conns->prev = conn;
	agents->conns = conn;

	bufferevent_setcb(bev, conn_read, NULL, conn_event, conn);
	bufferevent_set_timeouts(bev, &hello_timeout, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *agents_)
{
	struct ctl_agents *agents = agents_;

	evconnlistener_enable(agents->listener);
}

static void on_accept_error(struct evconnlistener *listener, void *agents_)
{
	struct ctl_agents *agents = agents_;
	int error = EVUTIL_SOCKET_ERROR();
	struct timeval pause = {ACCEPT_PAUSE_SEC, 0};

	LOG_WARN_RL("accepting an agent connection failed: %s; pausing for %d s",
		    evutil_socket_error_to_string(error), ACCEPT_PAUSE_SEC);
	/* Out of descriptors the socket stays readable: without a pause the
	 * loop would spin. */
	evconnlistener_disable(listener);
	evtimer_add(agents->accept_pause, &pause);
}

/* Listening. */

/* mkdir -p of the directory part of 'path'. */
static int make_parent_dirs(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1;; p++) {
			if (*p == '/' || !*p) {
				char saved = *p;

				*p = '\0';
				if (mkdir(dir, 0700) && errno != EEXIST)
					rc = -errno;
				*p = saved;
				if (!saved || rc)
					break;
			}
		}
	}
	free(dir);
	return rc;
}

static int listen_unix(struct ctl_agents *agents, const char *path, char **error)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (!path[0] || strlen(path) >= sizeof sun.sun_path) {
		*error = xasprintf("unix:%s: the path must be 1 to %zu bytes", path,
				   sizeof sun.sun_path - 1);
		return -EINVAL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	rc = make_parent_dirs(path);
	if (rc) {
		*error = xasprintf("unix:%s: cannot create its directory: %s", path, strerror(-rc));
		return rc;
	}

	/* A socket file left by a controller that died is replaced; one that
	 * a live controller answers on is not. */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			*error = xasprintf("unix:%s: the path exists and is not a socket", path);
			return -EEXIST;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			*error = xasprintf("unix:%s: socket: %s", path, strerror(errno));
			return rc;
		}
		if (!connect(fd, (struct sockaddr *)&sun, sizeof sun)) {
			close(fd);
			*error = xasprintf("unix:%s: another process is listening there", path);
			return -EADDRINUSE;
		}
		close(fd);
		if (unlink(path) && errno != ENOENT) {
			rc = -errno;
			*error = xasprintf("unix:%s: cannot remove the stale socket: %s", path,
					   strerror(errno));
			return rc;
		}
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* Linux creates the socket file with the socket's mode (less the
	 * umask): set before bind, there is no window with wider access. */
	if (fchmod(fd, 0600) || bind(fd, (struct sockaddr *)&sun, sizeof sun))
		goto fail_close;
	if (chmod(path, 0600) || stat(path, &st) || listen(fd, SOMAXCONN))
		goto fail_unlink;
	agents->listener = evconnlistener_new(agents->base, on_accept, agents,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!agents->listener) {
		errno = ENOMEM;
		goto fail_unlink;
	}
	agents->unix_path = xstrdup(path);
	agents->unix_dev = st.st_dev;
	agents->unix_ino = st.st_ino;
	agents->address = xasprintf("unix:%s", path);
	return 0;

fail_unlink:
	rc = errno;
	unlink(path);
	errno = rc;
fail_close:
	rc = errno;
	close(fd);
	errno = rc;
fail:
	rc = -errno;
	*error = xasprintf("unix:%s: cannot listen: %s", path, strerror(errno));
	return rc;
}

/* Parses "ADDR:PORT" or "[ADDR6]:PORT": a numeric address and a port
 * written out (0: the kernel picks one). */
static bool parse_tcp(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen)
{
	const char *colon = strrchr(addr, ':');
	char *host;
	bool ok;
	uint16_t port;

	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535)
		return false;
	port = (uint16_t)atoi(colon + 1);
	memset(ss, 0, sizeof *ss);
	if (addr[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (colon - addr < 3 || colon[-1] != ']')
			return false;
		host = xmemdup0(addr + 1, (size_t)(colon - addr - 2));
		ok = inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof *sin6;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		host = xmemdup0(addr, (size_t)(colon - addr));
		ok = inet_pton(AF_INET, host, &sin->sin_addr) == 1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof *sin;
	}
	free(host);
	return ok;
}

static int listen_tcp(struct ctl_agents *agents, const char *addr, char **error)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, one = 1, rc;
	char host[INET6_ADDRSTRLEN];
	socklen_t len;

	if (!parse_tcp(addr, &ss, &sslen)) {
		*error =
		    xasprintf("tcp:%s: expected tcp:ADDR:PORT, such as tcp:127.0.0.1:7081", addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	len = sizeof ss;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, SOMAXCONN) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		goto fail_close;
	agents->listener = evconnlistener_new(agents->base, on_accept, agents,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!agents->listener) {
		errno = ENOMEM;
		goto fail_close;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		agents->address = xasprintf("tcp:[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		agents->address = xasprintf("tcp:%s:%u", host, ntohs(sin->sin_port));
	}
	return 0;

fail_close:
	rc = errno;
	close(fd);
	errno = rc;
fail:
	rc = -errno;
	*error = xasprintf("tcp:%s: cannot listen: %s", addr, strerror(errno));
	return rc;
}

int ctl_agents_create(struct event_base *base, struct ctl_state *state, const char *address,
		      struct ctl_agents **agentsp, char **error)
{
	struct ctl_agents *agents = xzalloc(sizeof *agents);
	int rc;

	*agentsp = NULL;
	*error = NULL;
	agents->base = base;
	agents->state = state;
	agents->output_limit = CTL_AGENTS_DEFAULT_OUTPUT_LIMIT;
	hmap_init(&agents->hosts);
	agents->rm = rm_create();
	rm_sync(agents->rm, ctl_state_model(state));
	agents->reroute = event_new(base, -1, 0, on_reroute, agents);
	agents->deliver = event_new(base, -1, 0, on_deliver, agents);
	usage_restore(agents);
	agents->usage_flush = event_new(base, -1, EV_PERSIST, on_usage_flush, agents);
	event_add(agents->usage_flush,
		  &(struct timeval){USAGE_FLUSH_MS / 1000, (USAGE_FLUSH_MS % 1000) * 1000});
	agents->accept_pause = evtimer_new(base, on_accept_resume, agents);
	if (!agents->accept_pause || !agents->deliver) {
		*error = xstrdup("cannot create a timer");
		rc = -ENOMEM;
		goto fail;
	}
	if (str_has_prefix(address, "unix:")) {
		rc = listen_unix(agents, address + strlen("unix:"), error);
	} else if (str_has_prefix(address, "tcp:")) {
		rc = listen_tcp(agents, address + strlen("tcp:"), error);
	} else {
		*error = xasprintf("%s: expected unix:PATH or tcp:ADDR:PORT", address);
		rc = -EINVAL;
	}
	if (rc)
		goto fail;
	evconnlistener_set_error_cb(agents->listener, on_accept_error);
	*agentsp = agents;
	return 0;

fail:
	ctl_agents_destroy(agents);
	return rc;
}

void ctl_agents_destroy(struct ctl_agents *agents)
{
	struct agent_conn *conn, *next;
	struct agent_host *ah;

	if (!agents)
		return;
	agents->destroying = true;
	for (conn = agents->conns; conn; conn = next) {
		next = conn->next;
		conn_destroy(conn);
	}
	/* Their requests failed: the callbacks now, while 'agents' is whole. */
	if (agents->deliver) {
		on_deliver(-1, 0, agents);
		event_free(agents->deliver);
	}
	if (agents->listener)
		evconnlistener_free(agents->listener);
	if (agents->unix_path) {
		struct stat st;

		/* Only our socket: another controller may have replaced it. */
		if (!lstat(agents->unix_path, &st) && st.st_dev == agents->unix_dev &&
		    st.st_ino == agents->unix_ino)
			unlink(agents->unix_path);
		free(agents->unix_path);
	}
	if (agents->accept_pause)
		event_free(agents->accept_pause);
	if (agents->reroute)
		event_free(agents->reroute);
	if (agents->usage_flush) {
		on_usage_flush(-1, 0, agents);
		event_free(agents->usage_flush);
	}
	HMAP_FOR_EACH_SAFE (ah, node, &agents->hosts)
		host_destroy(agents, ah);
	hmap_destroy(&agents->hosts);
	views_ctx_destroy(agents->ctx);
	rm_destroy(agents->rm);
	free(agents->address);
	free(agents);
}

const char *ctl_agents_address(const struct ctl_agents *agents)
{
	return agents->address;
}

void ctl_agents_set_output_limit(struct ctl_agents *agents, size_t limit)
{
	agents->output_limit = limit;
}

size_t ctl_agents_n_connected(const struct ctl_agents *agents)
{
	return agents->n_connected;
}

static void count_fwd_pushed(struct ctl_agents *agents, const json_t *put, const json_t *del)
{
	uint64_t n = 0;
	const char *key;
	json_t *value;
	size_t i;

	json_object_foreach ((json_t *)put, key, value)
		n += str_has_prefix(key, "fwd/");
	json_array_foreach (del, i, value)
		n += str_has_prefix(json_string_value(value), "fwd/");
	rm_count_pushed(agents->rm, n);
}

/* Sends 'conn' the difference between its last view and the current one. */
static void conn_update(struct agent_conn *conn, uint64_t revision)
{
	struct ctl_agents *agents = conn->agents;
	const struct model_object *obj =
	    model_find(ctl_state_model(agents->state), MODEL_HOST, conn->host->name);
	json_t *view, *put, *del, *msg;

	if (!obj || CONTAINER_OF(obj, const struct host, hdr)->kernel_vtep) {
		LOG_INFO("agent %s: its host %s; closing", conn->host->name,
			 obj ? "became a kernel VTEP" : "left the model");
		conn_fail(conn, obj ? "the host became a kernel VTEP" : "the host was removed");
		return;
	}
	view = views_ctx_compute(views(agents), conn->host->name);
	if (!views_diff(conn->view, view, &put, &del)) {
		json_decref(put);
		json_decref(del);
		json_decref(view);
		return;
	}
	count_fwd_pushed(agents, put, del);
	msg = json_pack("{s:s, s:I, s:o, s:o}", "type", "delta", "revision", (json_int_t)revision,
			"put", put, "delete", del);
	if (conn_send(conn, msg)) {
		json_decref(conn->view);
		conn->view = view;
		conn->host->sent_revision = revision;
		conn->host->n_deltas++;
		agents->deltas_sent++;
	} else {
		json_decref(view);
	}
	json_decref(msg);
}

/* Recomputes every connected agent's view and sends what changed. */
static void push_all(struct ctl_agents *agents, uint64_t revision)
{
	struct agent_conn *conn, *next;

	views_ctx_destroy(agents->ctx);
	agents->ctx = NULL;
	for (conn = agents->conns; conn; conn = next) {
		next = conn->next;
		if (conn->state == CONN_READY)
			conn_update(conn, revision);
	}
}

static void on_reroute(evutil_socket_t fd, short what, void *agents_)
{
	struct ctl_agents *agents = agents_;

	push_all(agents, ctl_state_revision(agents->state));
}

/* A model change (see agents.h). */
void ctl_agents_model_changed(uint64_t revision, void *agents_)
{
	struct ctl_agents *agents = agents_;
	const struct model *model = ctl_state_model(agents->state);
	struct agent_host *ah;

	rm_sync(agents->rm, model);
	push_all(agents, revision);
	/* conn_update() may close connections but only ever the one it is
	 * given, so 'next' stays valid. Records of hosts gone from the model
	 * are forgotten once no agent speaks for them. */
	HMAP_FOR_EACH_SAFE (ah, node, &agents->hosts) {
		if (!ah->conn && !model_find(model, MODEL_HOST, ah->name))
			host_destroy(agents, ah);
	}
}

/* REST. */

static json_t *item_json(const struct host *h, const struct agent_host *ah)
{
	bool known = ah && ah->n_connects;

	return json_pack(
	    "{s:s, s:b, s:o, s:o, s:o, s:o, s:O}", "host", h->name, "connected", ah && ah->conn,
	    "pid", known ? json_integer(ah->pid) : json_null(), "acked_revision",
	    known ? json_integer((json_int_t)ah->acked_revision) : json_null(), "sent_revision",
	    known ? json_integer((json_int_t)ah->sent_revision) : json_null(), "last_report",
	    time_json(ah ? ah->report_ms : 0), "health",
	    ah && ah->health ? ah->health : json_null());
}

json_t *ctl_agents_list_json(const struct ctl_agents *agents)
{
	size_t n;
	struct model_object **hosts = model_list(ctl_state_model(agents->state), MODEL_HOST, &n);
	json_t *items = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct host *h = CONTAINER_OF(hosts[i], const struct host, hdr);

		if (!h->kernel_vtep)
			json_array_append_new(items, item_json(h, host_find(agents, h->name)));
	}
	free(hosts);
	return json_pack("{s:s, s:I, s:o}", "kind", "agents", "revision",
			 (json_int_t)ctl_state_revision(agents->state), "items", items);
}

json_t *ctl_agents_counters_json(const struct ctl_agents *agents)
{
	json_t *items = json_array();
	const struct agent_host *ah;

	HMAP_FOR_EACH (ah, node, &agents->hosts)
		if (ah->counters)
			json_array_append_new(items, json_pack("{s:s, s:O}", "host", ah->name,
							       "counters", ah->counters));
	return items;
}

json_t *ctl_agents_get_json(const struct ctl_agents *agents, const char *name, char **error)
{
	const struct model_object *obj =
	    model_find(ctl_state_model(agents->state), MODEL_HOST, name);
	const struct host *h = obj ? CONTAINER_OF(obj, const struct host, hdr) : NULL;
	const struct agent_host *ah;
	json_t *item;

	*error = NULL;
	if (!h) {
		*error = xasprintf("host %.64s: not found", name);
		return NULL;
	}
	if (h->kernel_vtep) {
		*error = xasprintf("host %s is a kernel VTEP: no agent runs there", name);
		return NULL;
	}
	ah = host_find(agents, name);
	item = item_json(h, ah);
	json_object_set_new(item, "counters",
			    ah && ah->counters ? json_incref(ah->counters) : json_null());
	json_object_set_new(item, "connected_since",
			    time_json(ah && ah->conn ? ah->connected_ms : 0));
	json_object_set_new(item, "hello_revision",
			    ah && ah->n_connects ? json_integer((json_int_t)ah->hello_revision)
						 : json_null());
	json_object_set_new(item, "peer",
			    ah && ah->conn ? json_string(ah->conn->peer) : json_null());
	json_object_set_new(item, "connects", json_integer(ah ? (json_int_t)ah->n_connects : 0));
	json_object_set_new(item, "views_sent", json_integer(ah ? (json_int_t)ah->n_views : 0));
	json_object_set_new(item, "deltas_sent", json_integer(ah ? (json_int_t)ah->n_deltas : 0));
	json_object_set_new(item, "bytes_sent", json_integer(ah ? (json_int_t)ah->bytes_sent : 0));
	return item;
}

void ctl_agents_metrics_render(const struct ctl_agents *agents, struct ds *out)
{
	ds_put_format(out,
		      "# HELP onm_agents_connected Agents connected to the controller (hello "
		      "accepted).\n"
		      "# TYPE onm_agents_connected gauge\n"
		      "onm_agents_connected %zu\n"
		      "# HELP onm_agent_views_sent_total Full views sent to agents.\n"
		      "# TYPE onm_agent_views_sent_total counter\n"
		      "onm_agent_views_sent_total %" PRIu64 "\n"
		      "# HELP onm_agent_deltas_sent_total Deltas sent to agents.\n"
		      "# TYPE onm_agent_deltas_sent_total counter\n"
		      "onm_agent_deltas_sent_total %" PRIu64 "\n"
		      "# HELP onm_agent_bytes_sent_total Bytes of frames queued to agents.\n"
		      "# TYPE onm_agent_bytes_sent_total counter\n"
		      "onm_agent_bytes_sent_total %" PRIu64 "\n"
		      "# HELP onm_agent_disconnects_total Agent connections ended after their "
		      "hello.\n"
		      "# TYPE onm_agent_disconnects_total counter\n"
		      "onm_agent_disconnects_total %" PRIu64 "\n",
		      agents->n_connected, agents->views_sent, agents->deltas_sent,
		      agents->bytes_sent, agents->disconnects);
	rm_metrics_render(agents->rm, out);
}

struct route_manager *ctl_agents_routing(const struct ctl_agents *agents)
{
	return agents->rm;
}

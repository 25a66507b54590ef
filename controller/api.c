// SPDX-License-Identifier: Apache-2.0
/*
 * The REST server of onm-controller (docs/api.md): one evhttp generic
 * callback resolves the path to a target (health, metrics, apply, routes,
 * a kind's collection or one object), checks the peer or token and the
 * method, runs the handler against the controller state and sends one
 * JSON answer carrying X-Onm-Revision. Lists are assembled from the
 * objects' canonical JSON strings, which the model already holds, rather
 * than re-serialized.
 */
#include "api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_MODULE "api"
#include "agents.h"
#include "routing.h"
#include "metrics.h"
#include "onm/codec.h"
#include "onm/ds.h"
#include "onm/log.h"
#include "onm/net.h"
#include "state.h"
#include "trace.h"

#define SOURCE_MAX 200
#define DEFAULT_SOURCE "request body"
#define CONTENT_JSON "application/json"
#define CONTENT_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct ctl_api {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound; /* NULL once shut down */
	struct ctl_state *state;
	struct metrics *metrics;
	struct ctl_agents *agents;	     /* NULL: no agent channel */
	struct ctl_api_devices devices;	     /* all NULL: no device service */
	ctl_api_metrics_fn *more_metrics;    /* NULL: none */
	const void *more_metrics_aux;
	char *token;			     /* NULL: no token, loopback peers only */
	size_t token_len;		     /* bytes of 'token' */
	char address[INET6_ADDRSTRLEN + 16]; /* bound address, for messages */
	bool stopping;			     /* shutdown started: answer 503 */
	size_t n_sending;		     /* answers handed to evhttp, not yet sent */
	ctl_api_idle_cb *idle_cb;	     /* shutdown waits for n_sending == 0 */
	void *idle_aux;
	/* Rendered GET /v1/KIND bodies. Every model change commits and so bumps
	 * the store revision, hence a body rendered at the current revision is
	 * still exact; a large list is rendered once per change, not per GET. */
	struct list_cache {
		bool valid;
		uint64_t revision; /* store revision the body was rendered at */
		struct ds body;	   /* the whole response body */
	} lists[MODEL_N_KINDS];
};

/* What a path names. */
enum target_type {
	T_NONE,	   /* no such path */
	T_HEALTHZ, /* /healthz */
	T_METRICS, /* /metrics */
	T_APPLY,   /* /v1/apply */
	T_ROUTES,  /* /v1/routes */
	T_ROUTE,   /* /v1/routes/TENANT/NETWORK/ROUTER/A.B.C.D/LEN */
	T_AGENTS,  /* /v1/agents */
	T_AGENT,   /* /v1/agents/HOST */
	T_ROUTING, /* /v1/routing and /v1/routing/TENANT/NETWORK */
	T_TRACE,   /* /v1/trace */
	T_AUDIT,   /* /v1/audit */
	T_CONSOLE, /* /v1/console */
	T_KIND,	   /* /v1/KIND */
	T_OBJECT,  /* /v1/KIND/ID */
};

struct target {
	enum target_type type;
	enum model_kind kind; /* T_KIND, T_OBJECT */
	const char *rest;     /* T_OBJECT: the id; T_ROUTE, T_AGENT: what follows the kind */
	const char *route;    /* route template for metrics (static) */
};

/* One request being answered. */
struct request {
	struct ctl_api *api;
	struct evhttp_request *req;
	enum evhttp_cmd_type cmd;
	const char *method;	  /* static, for metrics and logs */
	const char *route;	  /* static route template, for metrics */
	int status;		  /* HTTP status of the answer */
	const char *content_type; /* static */
	struct ds body;		  /* the answer's body */
	struct evkeyvalq query;	  /* decoded query parameters */
};

/* Metric route templates and the singular kind names of plans, per kind.
 * Checked against model_kind_plural() when a server is created. */
static const char *const kind_routes[MODEL_N_KINDS][3] = {
    [MODEL_HOST] = {"hosts", "/v1/hosts", "/v1/hosts/{id}"},
    [MODEL_LINK] = {"links", "/v1/links", "/v1/links/{id}"},
    [MODEL_SERVICE_LEVEL] = {"service_levels", "/v1/service_levels", "/v1/service_levels/{id}"},
    [MODEL_TENANT] = {"tenants", "/v1/tenants", "/v1/tenants/{id}"},
    [MODEL_NETWORK] = {"networks", "/v1/networks", "/v1/networks/{id}"},
    [MODEL_ROUTER] = {"routers", "/v1/routers", "/v1/routers/{id}"},
    [MODEL_INSTANCE] = {"instances", "/v1/instances", "/v1/instances/{id}"},
};
static const char *const kind_singular[MODEL_N_KINDS] = {
    [MODEL_HOST] = "host",
    [MODEL_LINK] = "link",
    [MODEL_SERVICE_LEVEL] = "service_level",
    [MODEL_TENANT] = "tenant",
    [MODEL_NETWORK] = "network",
    [MODEL_ROUTER] = "router",
    [MODEL_INSTANCE] = "instance",
};

static const struct {
	enum evhttp_cmd_type cmd;
	const char *name;
} methods[] = {
    {EVHTTP_REQ_GET, "GET"},	 {EVHTTP_REQ_POST, "POST"},	  {EVHTTP_REQ_HEAD, "HEAD"},
    {EVHTTP_REQ_PUT, "PUT"},	 {EVHTTP_REQ_DELETE, "DELETE"},	  {EVHTTP_REQ_OPTIONS, "OPTIONS"},
    {EVHTTP_REQ_TRACE, "TRACE"}, {EVHTTP_REQ_CONNECT, "CONNECT"}, {EVHTTP_REQ_PATCH, "PATCH"},
};

static const char *method_name(enum evhttp_cmd_type cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (methods[i].cmd == cmd)
			return methods[i].name;
	return "OTHER";
}

/* Methods each target answers (HEAD wherever GET is). */
static unsigned int target_methods(enum target_type type)
{
	switch (type) {
	case T_HEALTHZ:
	case T_METRICS:
	case T_AGENTS:
	case T_AGENT:
	case T_ROUTING:
	case T_TRACE:
	case T_AUDIT:
		return EVHTTP_REQ_GET | EVHTTP_REQ_HEAD;
	case T_CONSOLE:
		return EVHTTP_REQ_POST;
	case T_APPLY:
		return EVHTTP_REQ_POST;
	case T_ROUTES:
	case T_KIND:
		return EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST;
	case T_ROUTE:
		return EVHTTP_REQ_DELETE;
	case T_OBJECT:
		return EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE;
	case T_NONE:
		break;
	}
	return 0;
}

/* Resolves a decoded 'path' (trailing '/' removed). */
static void resolve(char *path, struct target *t)
{
	memset(t, 0, sizeof *t);
	t->route = "other";
	if (!strcmp(path, "/healthz")) {
		t->type = T_HEALTHZ;
		t->route = "/healthz";
		return;
	}
	if (!strcmp(path, "/metrics")) {
		t->type = T_METRICS;
		t->route = "/metrics";
		return;
	}
	if (!str_has_prefix(path, "/v1/"))
		return;

	const char *name = path + 4;
	const char *slash = strchr(name, '/');
	size_t name_len = slash ? (size_t)(slash - name) : strlen(name);
	const char *rest = slash ? slash + 1 : NULL;

	if (name_len == 5 && !memcmp(name, "apply", 5)) {
		if (!rest) {
			t->type = T_APPLY;
			t->route = "/v1/apply";
		}
		return;
	}
	if (name_len == 6 && !memcmp(name, "agents", 6)) {
		t->type = rest ? T_AGENT : T_AGENTS;
		t->route = rest ? "/v1/agents/{host}" : "/v1/agents";
		t->rest = rest;
		return;
	}
	if (name_len == 7 && !memcmp(name, "routing", 7)) {
		t->type = T_ROUTING;
		t->route = rest ? "/v1/routing/{network}" : "/v1/routing";
		t->rest = rest;
		return;
	}
	if (name_len == 5 && !memcmp(name, "audit", 5) && !rest) {
		t->type = T_AUDIT;
		t->route = "/v1/audit";
		return;
	}
	if (name_len == 7 && !memcmp(name, "console", 7) && !rest) {
		t->type = T_CONSOLE;
		t->route = "/v1/console";
		return;
	}
	if (name_len == 5 && !memcmp(name, "trace", 5)) {
		if (!rest) {
			t->type = T_TRACE;
			t->route = "/v1/trace";
		}
		return;
	}
	if (name_len == 6 && !memcmp(name, "routes", 6)) {
		t->type = rest ? T_ROUTE : T_ROUTES;
		t->route = rest ? "/v1/routes/{id}" : "/v1/routes";
		t->rest = rest;
		return;
	}
	for (int k = 0; k < MODEL_N_KINDS; k++) {
		if (strlen(kind_routes[k][0]) == name_len &&
		    !memcmp(kind_routes[k][0], name, name_len)) {
			t->kind = k;
			t->type = rest ? T_OBJECT : T_KIND;
			t->route = kind_routes[k][rest ? 2 : 1];
			t->rest = rest;
			return;
		}
	}
}

/* Answers. */

static void reply_json(struct request *r, int status, json_t *j)
{
	r->status = status;
	r->content_type = CONTENT_JSON;
	ds_clear(&r->body);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!s)
		onm_abort("api: cannot serialize an answer");
	ds_put_cstr(&r->body, s);
	free(s);
	json_decref(j);
}

/* Error answer. 'detail' (which may quote what the client sent) is made
 * one line of text: control characters become spaces and, unless it is
 * valid UTF-8, bytes above ASCII become '?'. */
static void reply_error(struct request *r, int status, const char *error, const char *detail)
{
	char *line = xstrdup(detail);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	json_t *j = json_pack("{s:s, s:s}", "error", error, "detail", line);
	if (!j) {
		for (char *p = line; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		j = json_pack("{s:s, s:s}", "error", error, "detail", line);
	}
	reply_json(r, status, j);
	if (status >= 500)
		LOG_WARN_RL("%s %s: %d %s", r->method, r->route, status, line);
	free(line);
}

/* Answers a negative errno of state.h with its message (taken). */
static void reply_state_error(struct request *r, int rc, char *msg)
{
	static const struct {
		int rc;
		int status;
		const char *error;
	} map[] = {
	    {-EBADMSG, 400, "malformed body"}, {-EINVAL, 422, "refused by validation"},
	    {-ENOENT, 404, "not found"},       {-EEXIST, 409, "already exists"},
	    {-EBUSY, 409, "still referenced"}, {-EIO, 500, "store failure"},
	};
	int status = 500;
	const char *error = "internal error";
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (map[i].rc == rc) {
			status = map[i].status;
			error = map[i].error;
			break;
		}
	}
	reply_error(r, status, error, msg ? msg : strerror(-rc));
	free(msg);
}

static void free_reference(const void *data, size_t len, void *aux)
{
	free((void *)data);
}

static void answer_sent(struct evhttp_request *req, void *api_)
{
	struct ctl_api *api = api_;
	if (api->n_sending)
		api->n_sending--;
	if (api->stopping && !api->n_sending && api->idle_cb) {
		ctl_api_idle_cb *cb = api->idle_cb;
		api->idle_cb = NULL;
		cb(api->idle_aux);
	}
}

static void send_answer(struct request *r, uint64_t start_us)
{
	struct ctl_api *api = r->api;
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
	char rev[24];
	snprintf(rev, sizeof rev, "%" PRIu64, ctl_state_revision(api->state));
	evhttp_add_header(out, "X-Onm-Revision", rev);
	if (r->content_type)
		evhttp_add_header(out, "Content-Type", r->content_type);
	if (api->stopping)
		evhttp_add_header(out, "Connection", "close");

	size_t len = r->body.length;
	if (r->cmd == EVHTTP_REQ_HEAD) {
		/* evhttp would send a HEAD answer's body (without its length),
		 * breaking the connection's next answer: send the length only. */
		char length[24];
		snprintf(length, sizeof length, "%zu", len);
		evhttp_add_header(out, "Content-Length", length);
		len = 0;
	}
	if (len) {
		char *s = ds_steal_cstr(&r->body);
		struct evbuffer *buf = evhttp_request_get_output_buffer(r->req);
		if (evbuffer_add_reference(buf, s, len, free_reference, NULL))
			free(s);
	}

	api->n_sending++;
	evhttp_request_set_on_complete_cb(r->req, answer_sent, api);
	evhttp_send_reply(r->req, r->status, NULL, NULL);

	uint64_t latency = time_usec() - start_us;
	metrics_request_observe(api->metrics, r->method, r->route, r->status, latency);
	LOG_DBG("%s %s -> %d (%" PRIu64 " us)", r->method, evhttp_request_get_uri(r->req),
		r->status, latency);
}

/* Request helpers. */

static const char *request_body(struct request *r, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	*len = evbuffer_get_length(in);
	return *len ? (const char *)evbuffer_pullup(in, -1) : "";
}

static const char *request_header(struct request *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

static bool peer_is_loopback(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

/* Returns true if the request may proceed; otherwise answers 401/403. */
static bool authorize(struct request *r, const struct target *t)
{
	struct ctl_api *api = r->api;
	if (!api->token) {
		if (peer_is_loopback(r->req))
			return true;
		reply_error(r, 403, "forbidden",
			    "the controller has no token configured and serves loopback clients "
			    "only");
		return false;
	}
	if (t->type == T_HEALTHZ)
		return true;

	const char *h = request_header(r, "Authorization");
	const char *detail = NULL;
	if (!h || strncasecmp(h, "Bearer ", 7)) {
		detail = "missing bearer token (Authorization: Bearer TOKEN)";
	} else {
		const char *tok = h + 7;
		while (*tok == ' ')
			tok++;
		size_t len = strlen(tok);
		while (len && tok[len - 1] == ' ')
			len--;
		if (len != api->token_len || sodium_memcmp(tok, api->token, len))
			detail = "wrong token";
	}
	if (!detail)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
			  "Bearer realm=\"onm\"");
	reply_error(r, 401, "unauthorized", detail);
	return false;
}

/* Checks the query against the parameters 'allowed' (NULL-terminated). */
static bool query_check(struct request *r, const char *const *allowed)
{
	const struct evkeyval *kv;
	TAILQ_FOREACH(kv, &r->query, next)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(kv->key, *a))
				ok = true;
		if (!ok) {
			char *detail = xasprintf("unknown query parameter '%.64s'", kv->key);
			reply_error(r, 400, "bad query", detail);
			free(detail);
			return false;
		}
	}
	return true;
}

/* The object's JSON as the API shows it, appended to 'out'. */
static void put_object_json(struct ds *out, const struct model_object *obj)
{
	if (obj->kind == MODEL_TENANT || !obj->json) {
		/* Tenants' store form holds password hashes; the API hides them. */
		json_t *j = codec_object_to_json(obj, true);
		char *s = json_dumps(j, JSON_COMPACT);
		ds_put_cstr(out, s);
		free(s);
		json_decref(j);
	} else {
		ds_put_cstr(out, obj->json);
	}
}

static void reply_object(struct request *r, int status, const struct model_object *obj)
{
	r->status = status;
	r->content_type = CONTENT_JSON;
	ds_clear(&r->body);
	put_object_json(&r->body, obj);
}

static void reply_deleted(struct request *r, const char *what)
{
	reply_json(r, 200,
		   json_pack("{s:s, s:I}", "deleted", what, "revision",
			     (json_int_t)ctl_state_revision(r->api->state)));
}

/* Handlers. */

static void do_healthz(struct request *r)
{
	reply_json(r, 200,
		   json_pack("{s:s, s:I}", "status", "ok", "revision",
			     (json_int_t)ctl_state_revision(r->api->state)));
}

static void do_metrics(struct request *r)
{
	struct ctl_api *api = r->api;
	r->status = 200;
	r->content_type = CONTENT_METRICS;
	metrics_render(api->metrics, ctl_state_model(api->state), ctl_state_revision(api->state),
		       &r->body);
	if (api->agents)
		ctl_agents_metrics_render(api->agents, &r->body);
	if (api->more_metrics)
		api->more_metrics(api->more_metrics_aux, &r->body);
}

/* GET /v1/agents and /v1/agents/HOST ('host' NULL for the list). */
static void do_agents(struct request *r, const char *host)
{
	struct ctl_agents *agents = r->api->agents;
	json_t *j;
	char *msg;

	if (!agents) {
		reply_error(r, 404, "not found", "the agent channel is not running");
		return;
	}
	if (!host) {
		reply_json(r, 200, ctl_agents_list_json(agents));
		return;
	}
	j = ctl_agents_get_json(agents, host, &msg);
	if (!j) {
		reply_error(r, 404, "not found", msg);
		free(msg);
		return;
	}
	reply_json(r, 200, j);
}

static void do_list(struct request *r, enum model_kind kind)
{
	struct list_cache *cache = &r->api->lists[kind];
	uint64_t revision = ctl_state_revision(r->api->state);

	r->status = 200;
	r->content_type = CONTENT_JSON;
	if (!cache->valid || cache->revision != revision) {
		const struct model *model = ctl_state_model(r->api->state);
		size_t n;
		struct model_object **objs = model_list(model, kind, &n);
		struct ds *out = &cache->body;

		ds_clear(out);
		ds_put_format(out, "{\"kind\":\"%s\",\"revision\":%" PRIu64 ",\"items\":[",
			      kind_routes[kind][0], revision);
		for (size_t i = 0; i < n; i++) {
			if (i)
				ds_put_char(out, ',');
			put_object_json(out, objs[i]);
		}
		ds_put_cstr(out, "]}");
		free(objs);
		cache->valid = true;
		cache->revision = revision;
	}
	ds_put_buffer(&r->body, cache->body.string, cache->body.length);
}

static void do_get(struct request *r, enum model_kind kind, const char *id_)
{
	char *id = ctl_state_id_normalize(kind, id_);
	const struct model_object *obj = model_find(ctl_state_model(r->api->state), kind, id);
	if (obj) {
		reply_object(r, 200, obj);
	} else {
		char *detail = xasprintf("%s %s: not found", model_kind_name(kind), id);
		reply_error(r, 404, "not found", detail);
		free(detail);
	}
	free(id);
}

static void do_create(struct request *r, enum model_kind kind)
{
	size_t len;
	const char *body = request_body(r, &len);
	const struct model_object *obj;
	char *msg;
	int rc = ctl_state_create(r->api->state, kind, body, len, &obj, &msg);
	if (rc) {
		reply_state_error(r, rc, msg);
		return;
	}
	char *location = xasprintf("/v1/%s/%s", kind_routes[kind][0], obj->id);
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", location);
	free(location);
	reply_object(r, 201, obj);
	LOG_INFO_RL("created %s %s", model_kind_name(kind), obj->id);
}

static void do_update(struct request *r, enum model_kind kind, const char *id)
{
	size_t len;
	const char *body = request_body(r, &len);
	const struct model_object *obj;
	char *msg;
	int rc = ctl_state_update(r->api->state, kind, id, body, len, &obj, &msg);
	if (rc) {
		reply_state_error(r, rc, msg);
		return;
	}
	reply_object(r, 200, obj);
	LOG_INFO_RL("updated %s %s", model_kind_name(kind), obj->id);
}

static void do_delete(struct request *r, enum model_kind kind, const char *id_)
{
	char *id = ctl_state_id_normalize(kind, id_);
	char *msg;
	int rc = ctl_state_delete(r->api->state, kind, id, &msg);
	if (rc) {
		reply_state_error(r, rc, msg);
	} else {
		char *what = xasprintf("%s/%s", kind_routes[kind][0], id);
		reply_deleted(r, what);
		free(what);
		LOG_INFO_RL("deleted %s %s", model_kind_name(kind), id);
	}
	free(id);
}

/* The X-Onm-Source header made safe for messages: printable ASCII, at most
 * SOURCE_MAX bytes. Caller frees. */
static char *source_name(struct request *r)
{
	const char *h = request_header(r, "X-Onm-Source");
	struct ds s = DS_EMPTY_INITIALIZER;
	for (size_t i = 0; h && h[i] && s.length < SOURCE_MAX; i++) {
		unsigned char c = (unsigned char)h[i];
		ds_put_char(&s, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (!s.length)
		ds_put_cstr(&s, DEFAULT_SOURCE);
	return ds_steal_cstr(&s);
}

static bool content_is_json(const char *ct)
{
	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strlen(CONTENT_JSON);
	return !strncasecmp(ct, CONTENT_JSON, n) &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

static void do_apply(struct request *r)
{
	static const char *const allowed[] = {"dry_run", NULL};
	if (!query_check(r, allowed))
		return;
	bool dry_run = false;
	const char *v = evhttp_find_header(&r->query, "dry_run");
	if (v) {
		if (!strcmp(v, "true") || !strcmp(v, "1")) {
			dry_run = true;
		} else if (strcmp(v, "false") && strcmp(v, "0")) {
			reply_error(r, 400, "bad query", "dry_run: expected true, 1, false or 0");
			return;
		}
	}

	size_t len;
	const char *body = request_body(r, &len);
	bool json = content_is_json(request_header(r, "Content-Type"));
	char *source = source_name(r);

	struct model_diff plan;
	uint64_t revision = 0;
	char *msg;
	int rc = ctl_state_apply(r->api->state, body, len, source, json, dry_run, &plan, &revision,
				 &msg);
	if (rc) {
		free(source);
		reply_state_error(r, rc, msg);
		return;
	}

	static const char *const op_names[] = {
	    [MODEL_CREATE] = "create", [MODEL_UPDATE] = "update", [MODEL_DELETE] = "delete"};
	json_int_t counts[3] = {0, 0, 0};
	json_t *changes = json_array();
	for (size_t i = 0; i < plan.n; i++) {
		const struct model_change *c = &plan.changes[i];
		counts[c->op]++;
		json_array_append_new(changes,
				      json_pack("{s:s, s:s, s:s}", "op", op_names[c->op], "kind",
						kind_singular[c->kind], "id", c->id));
	}
	reply_json(r, 200,
		   json_pack("{s:b, s:I, s:{s:I, s:I, s:I}, s:o}", "dry_run", dry_run, "revision",
			     (json_int_t)revision, "summary", "create", counts[MODEL_CREATE],
			     "update", counts[MODEL_UPDATE], "delete", counts[MODEL_DELETE],
			     "changes", changes));
	if (!dry_run && plan.n)
		LOG_INFO_RL("applied %s: %lld created, %lld updated, %lld deleted (revision "
			    "%" PRIu64 ")",
			    source, (long long)counts[MODEL_CREATE],
			    (long long)counts[MODEL_UPDATE], (long long)counts[MODEL_DELETE],
			    revision);
	model_diff_destroy(&plan);
	free(source);
}

static void put_route_json(struct ds *out, const char *router, const struct static_route *sr)
{
	char p[IPV4_PREFIX_STRLEN], v[IPV4_ADDR_STRLEN];
	ipv4_prefix_format(&sr->prefix, p);
	ipv4_format(sr->via, v);
	/* Router ids are model names joined by '/', addresses digits and dots:
	 * nothing to escape. */
	ds_put_format(out, "{\"router\":\"%s\",\"prefix\":\"%s\",\"via\":\"%s\"}", router, p, v);
}

static void do_routes_list(struct request *r)
{
	static const char *const allowed[] = {"router", NULL};
	if (!query_check(r, allowed))
		return;
	const struct model *model = ctl_state_model(r->api->state);
	const char *only = evhttp_find_header(&r->query, "router");
	struct model_object **objs;
	size_t n;
	if (only) {
		struct model_object *obj = model_find(model, MODEL_ROUTER, only);
		if (!obj) {
			char *detail = xasprintf("router %.200s: not found", only);
			reply_error(r, 404, "not found", detail);
			free(detail);
			return;
		}
		objs = xmalloc(sizeof *objs);
		objs[0] = obj;
		n = 1;
	} else {
		objs = model_list(model, MODEL_ROUTER, &n);
	}

	struct ds *out = &r->body;
	r->status = 200;
	r->content_type = CONTENT_JSON;
	ds_put_format(out, "{\"kind\":\"routes\",\"revision\":%" PRIu64 ",\"items\":[",
		      ctl_state_revision(r->api->state));
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const struct router *rt = CONTAINER_OF(objs[i], struct router, hdr);
		for (size_t j = 0; j < rt->n_routes; j++) {
			if (!first)
				ds_put_char(out, ',');
			first = false;
			put_route_json(out, rt->hdr.id, &rt->routes[j]);
		}
	}
	ds_put_cstr(out, "]}");
	free(objs);
}

static void do_route_add(struct request *r)
{
	size_t len;
	const char *body = request_body(r, &len);
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		char *detail =
		    xasprintf("request body:%d:%d: %s", jerr.line, jerr.column, jerr.text);
		reply_error(r, 400, "malformed body", detail);
		free(detail);
		return;
	}

	static const char *const keys[] = {"router", "prefix", "via"};
	const char *values[3] = {NULL, NULL, NULL};
	char *detail = NULL;
	if (!json_is_object(root)) {
		detail = xstrdup("expected an object {\"router\", \"prefix\", \"via\"}");
	} else {
		const char *key;
		json_t *value;
		json_object_foreach(root, key, value)
		{
			size_t k;
			for (k = 0; k < ARRAY_SIZE(keys); k++)
				if (!strcmp(key, keys[k]))
					break;
			if (k == ARRAY_SIZE(keys)) {
				detail = xasprintf("%.64s: unknown key", key);
				break;
			}
			if (!json_is_string(value)) {
				detail = xasprintf("%s: expected a string", key);
				break;
			}
			values[k] = json_string_value(value);
		}
		for (size_t k = 0; !detail && k < ARRAY_SIZE(keys); k++)
			if (!values[k])
				detail = xasprintf("%s: missing", keys[k]);
	}
	if (detail) {
		reply_error(r, 400, "malformed body", detail);
		free(detail);
		json_decref(root);
		return;
	}

	char *msg;
	int rc = ctl_state_route_add(r->api->state, values[0], values[1], values[2], &msg);
	if (rc) {
		reply_state_error(r, rc, msg);
	} else {
		char *location = xasprintf("/v1/routes/%s/%s", values[0], values[1]);
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Location", location);
		free(location);
		reply_json(r, 201,
			   json_pack("{s:s, s:s, s:s}", "router", values[0], "prefix", values[1],
				     "via", values[2]));
		LOG_INFO_RL("router %s: added route %s via %s", values[0], values[1], values[2]);
	}
	json_decref(root);
}

static void do_route_delete(struct request *r, const char *rest)
{
	/* TENANT/NETWORK/ROUTER/A.B.C.D/LEN: the router is the first three
	 * segments, the prefix the last two. */
	const char *slashes[4];
	size_t n = 0;
	for (const char *p = rest; *p; p++) {
		if (*p == '/') {
			if (n == ARRAY_SIZE(slashes)) {
				n++;
				break;
			}
			slashes[n++] = p;
		}
	}
	if (n != ARRAY_SIZE(slashes)) {
		reply_error(r, 404, "not found",
			    "expected /v1/routes/TENANT/NETWORK/ROUTER/A.B.C.D/LEN");
		return;
	}
	char *router = xmemdup0(rest, (size_t)(slashes[2] - rest));
	const char *prefix = slashes[2] + 1;

	char *msg;
	int rc = ctl_state_route_delete(r->api->state, router, prefix, &msg);
	if (rc) {
		reply_state_error(r, rc, msg);
	} else {
		char *what = xasprintf("routes/%s", rest);
		reply_deleted(r, what);
		free(what);
		LOG_INFO_RL("router %s: deleted route %s", router, prefix);
	}
	free(router);
}

/* GET /v1/routing: the Route Manager's view of links and tenants;
 * GET /v1/routing/TENANT/NETWORK: what `onm route show` prints. */
static void do_routing(struct request *r, const char *network)
{
	const struct model *model = ctl_state_model(r->api->state);
	struct route_manager *rm = r->api->agents ? ctl_agents_routing(r->api->agents) : NULL;
	json_t *j;

	if (!rm) {
		reply_error(r, 404, "not found", "the Route Manager runs with the agent channel");
		return;
	}
	if (network) {
		j = rm_network_json(rm, model, network);
		if (!j) {
			char *msg = xasprintf("network %.128s: not found", network);

			reply_error(r, 404, "not found", msg);
			free(msg);
			return;
		}
	} else {
		size_t n;
		struct model_object **objs = model_list(model, MODEL_TENANT, &n);
		json_t *tenants = json_object();

		for (size_t i = 0; i < n; i++)
			json_object_set_new(tenants, objs[i]->id,
					    rm_tenant_status_json(rm, objs[i]->id));
		free(objs);
		j = json_pack("{s:o, s:o}", "links", rm_links_json(rm), "tenants", tenants);
	}
	reply_json(r, 200, j);
}

/* GET /v1/trace?instance=T/N/I&dst=A.B.C.D[&proto=P][&port=N][&ttl=N]: the
 * logical trace of one packet (trace.h). Without the agent channel the
 * substrate paths come from a Route Manager made for the request. */
static void do_trace(struct request *r)
{
	static const char *const allowed[] = {"instance", "dst", "proto", "port", "ttl", NULL};
	const struct model *model = ctl_state_model(r->api->state);
	const struct route_manager *rm = r->api->agents ? ctl_agents_routing(r->api->agents) : NULL;
	struct route_manager *own = NULL;
	struct trace_query q;
	char *msg;
	json_t *j;

	if (!query_check(r, allowed))
		return;
	msg = trace_query_parse(
	    &q, evhttp_find_header(&r->query, "instance"), evhttp_find_header(&r->query, "dst"),
	    evhttp_find_header(&r->query, "proto"), evhttp_find_header(&r->query, "port"),
	    evhttp_find_header(&r->query, "ttl"));
	if (msg) {
		reply_error(r, 400, "bad query", msg);
		free(msg);
		return;
	}
	if (!rm) {
		own = rm_create();
		rm_sync(own, model);
		rm = own;
	}
	j = trace_packet(model, rm, &q, &msg);
	rm_destroy(own);
	if (!j) {
		reply_error(r, 404, "not found", msg);
		free(msg);
		return;
	}
	reply_json(r, 200, j);
}

/* GET /v1/audit[?tenant=T]: the devices' audit log. */
static void do_audit(struct request *r)
{
	const struct ctl_api_devices *d = &r->api->devices;

	if (!d->audit) {
		reply_error(r, 404, "not found", "the device service is not running");
		return;
	}
	reply_json(r, 200, d->audit(d->aux, evhttp_find_header(&r->query, "tenant")));
}

/* POST /v1/console {"device": "T/N/R"}: a one-time login for onm console. */
static void do_console(struct request *r)
{
	const struct ctl_api_devices *d = &r->api->devices;
	size_t len;
	const char *body = request_body(r, &len);
	json_t *root = json_loadb(body, len, 0, NULL), *j;
	const char *device = json_string_value(json_object_get(root, "device"));
	char *error = NULL;

	if (!d->console) {
		reply_error(r, 404, "not found", "the device service is not running");
	} else if (!device) {
		reply_error(r, 400, "malformed body", "expected {\"device\": \"TENANT/NETWORK/ROUTER\"}");
	} else if (!(j = d->console(d->aux, device, &error))) {
		reply_error(r, 404, "not found", error);
	} else {
		reply_json(r, 201, j);
	}
	free(error);
	json_decref(root);
}

static void dispatch(struct request *r, const struct target *t)
{
	bool get = r->cmd == EVHTTP_REQ_GET || r->cmd == EVHTTP_REQ_HEAD;
	static const char *const none[] = {NULL};
	static const char *const audit_keys[] = {"tenant", NULL};

	if (t->type == T_AUDIT && !query_check(r, audit_keys))
		return;
	if (t->type != T_APPLY && t->type != T_TRACE && t->type != T_AUDIT &&
	    !(t->type == T_ROUTES && get) &&
	    !query_check(r, none))
		return;

	switch (t->type) {
	case T_HEALTHZ:
		do_healthz(r);
		break;
	case T_METRICS:
		do_metrics(r);
		break;
	case T_APPLY:
		do_apply(r);
		break;
	case T_ROUTES:
		if (get)
			do_routes_list(r);
		else
			do_route_add(r);
		break;
	case T_ROUTE:
		do_route_delete(r, t->rest);
		break;
	case T_AGENTS:
		do_agents(r, NULL);
		break;
	case T_AGENT:
		do_agents(r, t->rest);
		break;
	case T_ROUTING:
		do_routing(r, t->rest);
		break;
	case T_TRACE:
		do_trace(r);
		break;
	case T_AUDIT:
		do_audit(r);
		break;
	case T_CONSOLE:
		do_console(r);
		break;
	case T_KIND:
		if (get)
			do_list(r, t->kind);
		else
			do_create(r, t->kind);
		break;
	case T_OBJECT:
		if (get)
			do_get(r, t->kind, t->rest);
		else if (r->cmd == EVHTTP_REQ_PUT)
			do_update(r, t->kind, t->rest);
		else
			do_delete(r, t->kind, t->rest);
		break;
	case T_NONE:
		break;
	}
}

static void handle_request(struct evhttp_request *req, void *api_)
{
	uint64_t start = time_usec();
	struct request r = {
	    .api = api_,
	    .req = req,
	    .cmd = evhttp_request_get_command(req),
	    .route = "other",
	    .status = 500,
	};
	r.method = method_name(r.cmd);
	ds_init(&r.body);
	TAILQ_INIT(&r.query);

	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
	size_t len = 0;
	char *path = raw ? evhttp_uridecode(raw, 0, &len) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;

	struct target t;
	if (!path || strlen(path) != len || path[0] != '/') {
		memset(&t, 0, sizeof t);
		t.route = "other";
		reply_error(&r, 400, "bad request", "the request path is not valid");
		goto send;
	}
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	resolve(path, &t);
	r.route = t.route;

	if (r.api->stopping) {
		reply_error(&r, 503, "shutting down", "the controller is shutting down");
		goto send;
	}
	if (!authorize(&r, &t))
		goto send;
	if (t.type == T_NONE) {
		char *detail = xasprintf("no such path: %.200s", path);
		reply_error(&r, 404, "not found", detail);
		free(detail);
		goto send;
	}
	unsigned int allowed = target_methods(t.type);
	if (!(allowed & r.cmd)) {
		struct ds allow = DS_EMPTY_INITIALIZER;
		for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
			if (allowed & methods[i].cmd)
				ds_put_format(&allow, "%s%s", allow.length ? ", " : "",
					      methods[i].name);
		}
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", ds_cstr(&allow));
		char *detail = xasprintf("%s %s: method not allowed (allowed: %s)", r.method,
					 t.route, ds_cstr(&allow));
		reply_error(&r, 405, "method not allowed", detail);
		free(detail);
		ds_destroy(&allow);
		goto send;
	}
	if (query && evhttp_parse_query_str(query, &r.query)) {
		reply_error(&r, 400, "bad query", "the query string is not valid");
		goto send;
	}
	dispatch(&r, &t);

send:
	send_answer(&r, start);
	evhttp_clear_headers(&r.query);
	ds_destroy(&r.body);
	free(path);
}

/* Parses "ADDR:PORT" or "[ADDR6]:PORT" strictly: numeric address, a port
 * written out (0 allowed: the kernel picks one). */
static bool parse_listen(const char *addr, struct sockaddr_storage *ss, int *sslen)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535)
		return false;
	uint16_t port = (uint16_t)atoi(colon + 1);

	memset(ss, 0, sizeof *ss);
	if (addr[0] == '[') {
		if (colon - addr < 3 || colon[-1] != ']')
			return false;
		char *host = xmemdup0(addr + 1, (size_t)(colon - addr - 2));
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		bool ok = evutil_inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1;
		free(host);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof *sin6;
		return ok;
	}
	char *host = xmemdup0(addr, (size_t)(colon - addr));
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	bool ok = evutil_inet_pton(AF_INET, host, &sin->sin_addr) == 1;
	free(host);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*sslen = sizeof *sin;
	return ok;
}

static int listen_on(struct ctl_api *api, const char *addr, char **error)
{
	struct sockaddr_storage ss;
	int sslen;
	if (!parse_listen(addr, &ss, &sslen)) {
		*error = xasprintf("bad listen address '%s' (expected ADDR:PORT such as "
				   "127.0.0.1:7080 or [::1]:7080)",
				   addr);
		return -EINVAL;
	}

	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	int one = 1;
	/* SO_REUSEADDR: a restarted controller binds at once even while old
	 * connections sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) || listen(fd, SOMAXCONN))
		goto err_close;

	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		goto err_close;
	char host[INET6_ADDRSTRLEN];
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(api->address, sizeof api->address, "[%s]:%u", host,
			 ntohs(sin6->sin6_port));
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(api->address, sizeof api->address, "%s:%u", host, ntohs(sin->sin_port));
	}

	api->bound = evhttp_accept_socket_with_handle(api->http, fd);
	if (!api->bound) {
		errno = EIO;
		goto err_close;
	}
	return 0;

err_close:;
	int saved = errno;
	close(fd);
	errno = saved;
err:
	*error = xasprintf("cannot listen on %s: %s", addr, strerror(errno));
	return -errno;
}

int ctl_api_create(struct event_base *base, struct ctl_state *state, struct metrics *metrics,
		   const char *address, const char *token, struct ctl_api **apip, char **error)
{
	*apip = NULL;
	*error = NULL;
	for (int k = 0; k < MODEL_N_KINDS; k++)
		if (strcmp(kind_routes[k][0], model_kind_plural(k)))
			onm_abort("api route table does not match kind %s", model_kind_plural(k));
	if (sodium_init() < 0) {
		*error = xstrdup("libsodium failed to initialize");
		return -EIO;
	}

	struct ctl_api *api = xzalloc(sizeof *api);
	api->base = base;
	api->state = state;
	api->metrics = metrics;
	if (token && token[0]) {
		api->token = xstrdup(token);
		api->token_len = strlen(token);
	}
	api->http = evhttp_new(base);
	if (!api->http) {
		*error = xstrdup("cannot create the HTTP server");
		ctl_api_destroy(api);
		return -ENOMEM;
	}
	evhttp_set_max_body_size(api->http, (ev_ssize_t)CTL_API_MAX_BODY_SIZE);
	/* Read what is left of an oversized body so that the client sees the
	 * 413 rather than a reset connection. */
	evhttp_set_flags(api->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_timeout(api->http, 60);
	/* Every method reaches the callback, which answers 405 itself. */
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						  EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						  EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
						  EVHTTP_REQ_PATCH);
	evhttp_set_gencb(api->http, handle_request, api);

	int rc = listen_on(api, address, error);
	if (rc) {
		ctl_api_destroy(api);
		return rc;
	}
	*apip = api;
	return 0;
}

const char *ctl_api_address(const struct ctl_api *api)
{
	return api->address;
}

void ctl_api_set_agents(struct ctl_api *api, struct ctl_agents *agents)
{
	api->agents = agents;
}

void ctl_api_set_devices(struct ctl_api *api, const struct ctl_api_devices *devices)
{
	api->devices = *devices;
}

void ctl_api_add_metrics(struct ctl_api *api, ctl_api_metrics_fn *render, const void *aux)
{
	api->more_metrics = render;
	api->more_metrics_aux = aux;
}

void ctl_api_shutdown(struct ctl_api *api, ctl_api_idle_cb *idle, void *aux)
{
	api->stopping = true;
	if (api->bound) {
		evhttp_del_accept_socket(api->http, api->bound);
		api->bound = NULL;
	}
	if (!api->n_sending) {
		idle(aux);
		return;
	}
	api->idle_cb = idle;
	api->idle_aux = aux;
}

void ctl_api_destroy(struct ctl_api *api)
{
	if (!api)
		return;
	if (api->http)
		evhttp_free(api->http);
	if (api->token) {
		sodium_memzero(api->token, api->token_len);
		free(api->token);
	}
	for (size_t k = 0; k < MODEL_N_KINDS; k++)
		ds_destroy(&api->lists[k].body);
	free(api);
}

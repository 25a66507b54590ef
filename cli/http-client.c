// SPDX-License-Identifier: Apache-2.0
/*
 * The onm client's HTTP transport (see http-client.h): evhttp requests run
 * one at a time on a private event base. The connection is made lazily and
 * kept alive between requests; after any failure it is thrown away, so the
 * next request starts on a fresh one.
 */
#include "http-client.h"

#include "onm/util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* How long the probe of a failed connection may wait for a connect. */
#define PROBE_TIMEOUT_MS 2000

struct http_client {
	char *url;		 /* base URL as the user gave it */
	char *host;		 /* host to connect to, IPv6 without brackets */
	char *host_header;	 /* value of the Host header */
	unsigned int port;	 /* TCP port */
	char *prefix;		 /* base path without a trailing '/', may be "" */
	char *token;		 /* bearer token or NULL; wiped on destroy */
	unsigned int timeout_ms; /* bound of one request */
	struct event_base *base;
	struct evhttp_connection *conn; /* NULL until the first request */
	bool reused;			/* the last request used a kept-alive 'conn' */
};

/* One request in flight; lives on http_client_request()'s stack. */
struct pending {
	struct http_client *client;
	struct http_response *response;
	bool done;			 /* the request callback ran */
	bool answered;			 /* a status line was received */
	bool timer_fired;		 /* our own deadline passed */
	bool has_error;			 /* 'error' is set */
	enum evhttp_request_error error; /* what libevent said went wrong */
};

static bool has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static char *take_prefix(const char *path)
{
	if (!path)
		return xstrdup("");
	size_t len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	return xmemdup0(path, len);
}

int http_client_create(const char *url, const char *token, unsigned int timeout_ms,
		       struct http_client **clientp, char **error)
{
	*clientp = NULL;
	*error = NULL;

	if (has_line_break(url)) {
		*error = xstrdup("controller URL contains a line break");
		return -EINVAL;
	}
	if (token && has_line_break(token)) {
		*error = xstrdup("token contains a line break");
		return -EINVAL;
	}

	/* "127.0.0.1:7080" is taken as "http://127.0.0.1:7080". */
	char *full = strstr(url, "://") ? xstrdup(url) : xasprintf("http://%s", url);
	struct evhttp_uri *uri = evhttp_uri_parse(full);
	free(full);
	if (!uri) {
		*error = xasprintf("bad controller URL '%s'", url);
		return -EINVAL;
	}

	const char *scheme = evhttp_uri_get_scheme(uri);
	const char *host = evhttp_uri_get_host(uri);
	int port = evhttp_uri_get_port(uri);
	if (!scheme || strcasecmp(scheme, "http")) {
		*error = xasprintf("bad controller URL '%s': only http:// is supported", url);
		evhttp_uri_free(uri);
		return -EINVAL;
	}
	if (!host || !*host) {
		*error = xasprintf("bad controller URL '%s': no host", url);
		evhttp_uri_free(uri);
		return -EINVAL;
	}
	if (port == 0 || port > 65535) {
		*error = xasprintf("bad controller URL '%s': bad port", url);
		evhttp_uri_free(uri);
		return -EINVAL;
	}
	if (port < 0)
		port = 80;

	struct http_client *client = xzalloc(sizeof *client);
	client->url = xstrdup(url);
	size_t host_len = strlen(host);
	if (host[0] == '[' && host_len >= 2 && host[host_len - 1] == ']')
		client->host = xmemdup0(host + 1, host_len - 2);
	else
		client->host = xstrdup(host);
	client->host_header = xasprintf("%s:%d", host, port);
	client->port = (unsigned int)port;
	client->prefix = take_prefix(evhttp_uri_get_path(uri));
	client->token = token ? xstrdup(token) : NULL;
	client->timeout_ms = timeout_ms ? timeout_ms : HTTP_CLIENT_TIMEOUT_MS;
	evhttp_uri_free(uri);

	client->base = event_base_new();
	if (!client->base)
		onm_abort("event_base_new failed");

	*clientp = client;
	return 0;
}

static void drop_connection(struct http_client *client)
{
	if (client->conn) {
		evhttp_connection_free(client->conn);
		client->conn = NULL;
	}
}

void http_client_destroy(struct http_client *client)
{
	if (!client)
		return;
	drop_connection(client);
	event_base_free(client->base);
	if (client->token) {
		explicit_bzero(client->token, strlen(client->token));
		free(client->token);
	}
	free(client->url);
	free(client->host);
	free(client->host_header);
	free(client->prefix);
	free(client);
}

const char *http_client_url(const struct http_client *client)
{
	return client->url;
}

const char *http_method_name(enum http_method method)
{
	switch (method) {
	case HTTP_GET:
		return "GET";
	case HTTP_POST:
		return "POST";
	case HTTP_PUT:
		return "PUT";
	case HTTP_DELETE:
		return "DELETE";
	}
	return "?";
}

static enum evhttp_cmd_type method_to_evhttp(enum http_method method)
{
	switch (method) {
	case HTTP_GET:
		return EVHTTP_REQ_GET;
	case HTTP_POST:
		return EVHTTP_REQ_POST;
	case HTTP_PUT:
		return EVHTTP_REQ_PUT;
	case HTTP_DELETE:
		return EVHTTP_REQ_DELETE;
	}
	return EVHTTP_REQ_GET;
}

/* Called by libevent once per request: with the answer, or with NULL (or a
 * request without a status) when the request failed. The request is freed
 * by libevent after this returns, so everything needed is copied here. */
static void request_done(struct evhttp_request *req, void *arg)
{
	struct pending *p = arg;

	p->done = true;
	if (req && evhttp_request_get_response_code(req) > 0) {
		struct http_response *r = p->response;
		struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t len = evbuffer_get_length(in);

		r->status = evhttp_request_get_response_code(req);
		r->body = xmalloc(len + 1);
		if (len && evbuffer_remove(in, r->body, len) != (ev_ssize_t)len)
			onm_abort("evbuffer_remove short read");
		r->body[len] = '\0';
		r->body_size = len;

		const char *ct = evhttp_find_header(headers, "Content-Type");
		r->content_type = ct ? xstrdup(ct) : NULL;

		const char *rev = evhttp_find_header(headers, "X-Onm-Revision");
		if (rev && *rev) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(rev, &end, 10);
			if (!errno && !*end) {
				r->has_revision = true;
				r->revision = v;
			}
		}
		p->answered = true;
	}
	event_base_loopbreak(p->client->base);
}

static void request_error(enum evhttp_request_error error, void *arg)
{
	struct pending *p = arg;

	p->has_error = true;
	p->error = error;
}

static void deadline_passed(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	(void)fd;
	(void)what;
	p->timer_fired = true;
	event_base_loopbreak(p->client->base);
}

/* Finds out why a connection to the controller cannot be made, because
 * libevent does not say: resolves the host and tries a plain connect with
 * a short timeout. Returns 0 if a connection can be made after all, or a
 * negative errno; '*what' is set to a static description. */
static int probe(const struct http_client *client, const char **what)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV,
	};
	struct addrinfo *ai, *res;
	char port[16];
	int ret = -ECONNREFUSED;

	snprintf(port, sizeof port, "%u", client->port);
	int gai = getaddrinfo(client->host, port, &hints, &res);
	if (gai) {
		*what = gai_strerror(gai);
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			ret = -errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			ret = 0;
		} else if (errno != EINPROGRESS) {
			ret = -errno;
		} else {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int n = poll(&pfd, 1, PROBE_TIMEOUT_MS);
			int soerr = 0;
			socklen_t len = sizeof soerr;
			if (n == 0)
				ret = -ETIMEDOUT;
			else if (n < 0)
				ret = -errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				ret = -errno;
			else
				ret = -soerr;
		}
		close(fd);
		if (!ret)
			break;
	}
	freeaddrinfo(res);
	*what = ret == -ETIMEDOUT ? "connecting timed out" : strerror(-ret);
	return ret;
}

/* Turns a request that got no answer into -errno and a message. */
static int failure(const struct http_client *client, const struct pending *p, uint64_t elapsed_ms,
		   char **error)
{
	const char *url = client->url;

	if (p->timer_fired || (p->has_error && p->error == EVREQ_HTTP_TIMEOUT) ||
	    elapsed_ms >= client->timeout_ms) {
		*error = xasprintf("cannot reach the controller at %s: no answer within %u s", url,
				   (client->timeout_ms + 999) / 1000);
		return -ETIMEDOUT;
	}
	if (p->has_error && p->error == EVREQ_HTTP_INVALID_HEADER) {
		*error = xasprintf("cannot reach the controller at %s: malformed HTTP answer", url);
		return -EPROTO;
	}

	const char *what;
	int ret = probe(client, &what);
	if (ret) {
		*error = xasprintf("cannot reach the controller at %s: %s", url, what);
		return ret;
	}
	if (!p->has_error || p->error == EVREQ_HTTP_EOF) {
		*error = xasprintf("cannot reach the controller at %s: connection closed before "
				   "an answer",
				   url);
		return -ECONNRESET;
	}
	*error = xasprintf("cannot reach the controller at %s: request failed", url);
	return -EIO;
}

/* Sends one request and waits for its answer (see http_client_request()). */
static int request_once(struct http_client *client, enum http_method method, const char *path,
			const struct http_header *headers, size_t n_headers, const char *body,
			size_t body_size, struct http_response *response, char **error)
{
	struct pending p = {.client = client, .response = response};

	memset(response, 0, sizeof *response);
	*error = NULL;

	for (size_t i = 0; i < n_headers; i++) {
		if (has_line_break(headers[i].name) || has_line_break(headers[i].value)) {
			*error = xasprintf("header '%s' contains a line break", headers[i].name);
			return -EINVAL;
		}
	}
	if (has_line_break(path)) {
		*error = xstrdup("request path contains a line break");
		return -EINVAL;
	}

	if (client->conn) {
		client->reused = true;
	} else {
		client->reused = false;
		client->conn = evhttp_connection_base_new(client->base, NULL, client->host,
							  (unsigned short)client->port);
		if (!client->conn) {
			*error = xasprintf("cannot reach the controller at %s: cannot create a "
					   "connection",
					   client->url);
			return -ENOMEM;
		}
		struct timeval tv = {
		    .tv_sec = client->timeout_ms / 1000,
		    .tv_usec = (client->timeout_ms % 1000) * 1000,
		};
		evhttp_connection_set_timeout_tv(client->conn, &tv);
		evhttp_connection_set_retries(client->conn, 0);
	}

	struct evhttp_request *req = evhttp_request_new(request_done, &p);
	if (!req)
		onm_abort("evhttp_request_new failed");
	evhttp_request_set_error_cb(req, request_error);

	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Host", client->host_header);
	evhttp_add_header(out, "User-Agent", "onm");
	evhttp_add_header(out, "Accept", "application/json");
	if (client->token) {
		char *auth = xasprintf("Bearer %s", client->token);
		evhttp_add_header(out, "Authorization", auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	for (size_t i = 0; i < n_headers; i++)
		evhttp_add_header(out, headers[i].name, headers[i].value);
	/* libevent adds Content-Length to POST and PUT itself. */
	if ((method == HTTP_POST || method == HTTP_PUT) && body_size &&
	    evbuffer_add(evhttp_request_get_output_buffer(req), body, body_size)) {
		onm_abort("evbuffer_add failed");
	}

	char *target = xasprintf("%s%s", client->prefix, path);
	uint64_t start_us = time_usec();
	if (evhttp_make_request(client->conn, req, method_to_evhttp(method), target)) {
		/* The request was freed by libevent. */
		free(target);
		drop_connection(client);
		*error = xasprintf("cannot reach the controller at %s: cannot send the request",
				   client->url);
		return -EIO;
	}
	free(target);

	/* Our own deadline, a little after libevent's, so that the wait is
	 * bounded even if a timeout inside libevent never fires. */
	struct event *deadline = evtimer_new(client->base, deadline_passed, &p);
	if (!deadline)
		onm_abort("evtimer_new failed");
	struct timeval limit = {
	    .tv_sec = client->timeout_ms / 1000 + 1,
	    .tv_usec = (client->timeout_ms % 1000) * 1000,
	};
	evtimer_add(deadline, &limit);

	while (!p.done && !p.timer_fired) {
		if (event_base_dispatch(client->base) < 0)
			break;
		if (!p.done && !p.timer_fired && !event_base_got_break(client->base)) {
			/* Nothing left to wait for, yet no answer: should not
			 * happen, but never spin. */
			break;
		}
	}
	event_free(deadline);
	uint64_t elapsed_ms = (time_usec() - start_us) / 1000;

	if (p.answered)
		return 0;

	/* If the request is still in flight (our deadline passed), freeing the
	 * connection frees it without running its callback, which would
	 * otherwise see a dead 'p'. After any failure, start afresh. */
	drop_connection(client);
	http_response_uninit(response);
	return failure(client, &p, elapsed_ms, error);
}

int http_client_request(struct http_client *client, enum http_method method, const char *path,
			const struct http_header *headers, size_t n_headers, const char *body,
			size_t body_size, struct http_response *response, char **error)
{
	int ret = request_once(client, method, path, headers, n_headers, body, body_size, response,
			       error);

	/* A kept-alive connection may have been closed by the server while
	 * idle; then the request never reached it. Try once more on a fresh
	 * connection, but only where a repeat cannot do harm (not POST). */
	if (ret == -ECONNRESET && client->reused && method != HTTP_POST) {
		free(*error);
		ret = request_once(client, method, path, headers, n_headers, body, body_size,
				   response, error);
	}
	return ret;
}

void http_response_uninit(struct http_response *response)
{
	free(response->body);
	free(response->content_type);
	memset(response, 0, sizeof *response);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the onm client's HTTP transport (cli/http-client.c)
 * against a real evhttp server run by the test on a thread of its own on
 * 127.0.0.1 (port picked by the kernel): request line, headers, bodies,
 * status codes, X-Onm-Revision, keep-alive and reconnects, base URL
 * prefixes, and the failures (bad URL, connection refused, timeout).
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* cmocka.h needs setjmp.h first. */
/* clang-format off */
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "http-client.h"
#include "onm/util.h"

/* The test's server: one event base, run by its own thread. */
struct server {
	struct event_base *base;
	struct evhttp *http;
	unsigned int port; /* TCP port on 127.0.0.1 */
	pthread_t thread;
};

static const char *header_or_empty(struct evkeyvalq *headers, const char *name)
{
	const char *value = evhttp_find_header(headers, name);

	return value ? value : "";
}

static void reply_json(struct evhttp_request *req, int status, json_t *json)
{
	char *text = json_dumps(json, JSON_COMPACT);
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add(buf, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", buf);
	evbuffer_free(buf);
	free(text);
	json_decref(json);
}

/* Routes on the path: /quit, /error, /big, /close, and everything else
 * echoes the request back as JSON. */
static void handle(struct evhttp_request *req, void *arg)
{
	struct server *server = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (!strcmp(uri, "/quit")) {
		struct timeval tv = {0, 50000};
		reply_json(req, 200, json_pack("{s:b}", "quit", 1));
		event_base_loopexit(server->base, &tv);
	} else if (!strcmp(uri, "/error")) {
		reply_json(req, 422,
			   json_pack("{s:s, s:s}", "error", "invalid", "detail", "no such thing"));
	} else if (!strcmp(uri, "/big")) {
		struct evbuffer *buf = evbuffer_new();
		char chunk[4096];
		memset(chunk, 'x', sizeof chunk);
		for (int i = 0; i < 256; i++)
			evbuffer_add(buf, chunk, sizeof chunk);
		evhttp_send_reply(req, 200, "OK", buf);
		evbuffer_free(buf);
	} else {
		struct evbuffer *body = evhttp_request_get_input_buffer(req);
		size_t len = evbuffer_get_length(body);
		char *text = xmalloc(len + 1);
		evbuffer_remove(body, text, len);
		text[len] = '\0';

		const char *method = "?";
		switch (evhttp_request_get_command(req)) {
		case EVHTTP_REQ_GET:
			method = "GET";
			break;
		case EVHTTP_REQ_POST:
			method = "POST";
			break;
		case EVHTTP_REQ_PUT:
			method = "PUT";
			break;
		case EVHTTP_REQ_DELETE:
			method = "DELETE";
			break;
		default:
			break;
		}
		evhttp_add_header(out, "X-Onm-Revision", "7");
		if (!strcmp(uri, "/close"))
			evhttp_add_header(out, "Connection", "close");
		reply_json(req, 200,
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "method", method, "uri",
				     uri, "authorization", header_or_empty(in, "Authorization"),
				     "source", header_or_empty(in, "X-Onm-Source"), "content_type",
				     header_or_empty(in, "Content-Type"), "host",
				     header_or_empty(in, "Host"), "body", text));
		free(text);
	}
}

static void *server_run(void *arg)
{
	struct server *server = arg;

	event_base_dispatch(server->base);
	return NULL;
}

static unsigned int socket_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static int server_setup(void **state)
{
	struct server *server = xzalloc(sizeof *server);

	server->base = event_base_new();
	server->http = evhttp_new(server->base);
	if (!server->base || !server->http)
		return -1;
	evhttp_set_gencb(server->http, handle, server);
	evhttp_set_timeout(server->http, 1); /* idle connections are closed after 1 s */
	evhttp_set_allowed_methods(server->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						     EVHTTP_REQ_DELETE);
	struct evhttp_bound_socket *bound =
	    evhttp_bind_socket_with_handle(server->http, "127.0.0.1", 0);
	if (!bound)
		return -1;
	server->port = socket_port(evhttp_bound_socket_get_fd(bound));
	if (pthread_create(&server->thread, NULL, server_run, server))
		return -1;
	*state = server;
	return 0;
}

static int server_teardown(void **state)
{
	struct server *server = *state;
	struct http_client *client;
	struct http_response r;
	char *url = xasprintf("http://127.0.0.1:%u", server->port);
	char *error;

	if (http_client_create(url, NULL, 5000, &client, &error) ||
	    http_client_request(client, HTTP_GET, "/quit", NULL, 0, NULL, 0, &r, &error))
		return -1;
	http_response_uninit(&r);
	http_client_destroy(client);
	free(url);
	pthread_join(server->thread, NULL);
	evhttp_free(server->http);
	event_base_free(server->base);
	free(server);
	return 0;
}

static struct http_client *client_for(const struct server *server, const char *suffix,
				      const char *token)
{
	char *url = xasprintf("http://127.0.0.1:%u%s", server->port, suffix);
	struct http_client *client;
	char *error = NULL;

	assert_int_equal(http_client_create(url, token, 5000, &client, &error), 0);
	assert_null(error);
	assert_string_equal(http_client_url(client), url);
	free(url);
	return client;
}

static json_t *body_json(const struct http_response *r)
{
	json_t *json = json_loadb(r->body, r->body_size, 0, NULL);

	assert_non_null(json);
	return json;
}

static const char *get_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	assert_non_null(s);
	return s;
}

static void test_get_and_post(void **state)
{
	struct server *server = *state;
	struct http_client *client = client_for(server, "", "s3cret");
	struct http_response r;
	char *error = NULL;
	json_t *echo;

	assert_int_equal(
	    http_client_request(client, HTTP_GET, "/v1/hosts", NULL, 0, NULL, 0, &r, &error), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.has_revision);
	assert_int_equal(r.revision, 7);
	assert_string_equal(r.content_type, "application/json");
	echo = body_json(&r);
	assert_string_equal(get_str(echo, "method"), "GET");
	assert_string_equal(get_str(echo, "uri"), "/v1/hosts");
	assert_string_equal(get_str(echo, "authorization"), "Bearer s3cret");
	char *host = xasprintf("127.0.0.1:%u", server->port);
	assert_string_equal(get_str(echo, "host"), host);
	free(host);
	json_decref(echo);
	http_response_uninit(&r);

	/* The same connection serves the next request (keep-alive). */
	const char body[] = "substrate:\n  hosts: [{name: h1}]\n";
	const struct http_header headers[] = {
	    {"Content-Type", "application/yaml"},
	    {"X-Onm-Source", "topo.yaml"},
	};
	assert_int_equal(http_client_request(client, HTTP_POST, "/v1/apply?dry_run=true", headers,
					     2, body, strlen(body), &r, &error),
			 0);
	assert_int_equal(r.status, 200);
	echo = body_json(&r);
	assert_string_equal(get_str(echo, "method"), "POST");
	assert_string_equal(get_str(echo, "uri"), "/v1/apply?dry_run=true");
	assert_string_equal(get_str(echo, "source"), "topo.yaml");
	assert_string_equal(get_str(echo, "content_type"), "application/yaml");
	assert_string_equal(get_str(echo, "body"), body);
	json_decref(echo);
	http_response_uninit(&r);

	/* PUT with an empty body, DELETE. */
	assert_int_equal(
	    http_client_request(client, HTTP_PUT, "/v1/links/h1/h2", NULL, 0, NULL, 0, &r, &error),
	    0);
	echo = body_json(&r);
	assert_string_equal(get_str(echo, "method"), "PUT");
	assert_string_equal(get_str(echo, "body"), "");
	json_decref(echo);
	http_response_uninit(&r);
	assert_int_equal(
	    http_client_request(client, HTTP_DELETE, "/v1/hosts/h1", NULL, 0, NULL, 0, &r, &error),
	    0);
	echo = body_json(&r);
	assert_string_equal(get_str(echo, "method"), "DELETE");
	json_decref(echo);
	http_response_uninit(&r);

	http_client_destroy(client);
}

static void test_status_and_big_body(void **state)
{
	struct server *server = *state;
	struct http_client *client = client_for(server, "", NULL);
	struct http_response r;
	char *error = NULL;

	/* A 4xx is an answer, not a transport failure. */
	assert_int_equal(
	    http_client_request(client, HTTP_GET, "/error", NULL, 0, NULL, 0, &r, &error), 0);
	assert_int_equal(r.status, 422);
	assert_false(r.has_revision);
	json_t *err = body_json(&r);
	assert_string_equal(get_str(err, "detail"), "no such thing");
	json_decref(err);
	http_response_uninit(&r);

	/* No token: no Authorization header. */
	assert_int_equal(
	    http_client_request(client, HTTP_GET, "/echo", NULL, 0, NULL, 0, &r, &error), 0);
	json_t *echo = body_json(&r);
	assert_string_equal(get_str(echo, "authorization"), "");
	json_decref(echo);
	http_response_uninit(&r);

	assert_int_equal(
	    http_client_request(client, HTTP_GET, "/big", NULL, 0, NULL, 0, &r, &error), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_size, 256 * 4096);
	assert_int_equal(strlen(r.body), r.body_size);
	assert_int_equal(r.body[0], 'x');
	assert_int_equal(r.body[r.body_size - 1], 'x');
	http_response_uninit(&r);

	http_client_destroy(client);
}

static void test_reconnect_and_prefix(void **state)
{
	struct server *server = *state;
	struct http_client *client = client_for(server, "/base/", NULL);
	struct http_response r;
	char *error = NULL;

	/* The server closes after this answer; the next request reconnects. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		    http_client_request(client, HTTP_GET, "/close", NULL, 0, NULL, 0, &r, &error),
		    0);
		assert_int_equal(r.status, 200);
		json_t *echo = body_json(&r);
		assert_string_equal(get_str(echo, "uri"), "/base/close");
		json_decref(echo);
		http_response_uninit(&r);
	}
	http_client_destroy(client);

	/* A bare HOST:PORT is taken as http. */
	char *url = xasprintf("127.0.0.1:%u", server->port);
	assert_int_equal(http_client_create(url, NULL, 5000, &client, &error), 0);
	assert_int_equal(
	    http_client_request(client, HTTP_GET, "/echo", NULL, 0, NULL, 0, &r, &error), 0);
	assert_int_equal(r.status, 200);
	http_response_uninit(&r);
	http_client_destroy(client);
	free(url);
}

static void test_idle_close(void **state)
{
	struct server *server = *state;
	struct http_client *client = client_for(server, "", NULL);
	struct http_response r;
	char *error = NULL;

	/* The server drops connections idle for a second; the client's kept
	 * connection is dead by the second GET, which must still succeed. */
	for (int i = 0; i < 2; i++) {
		if (i)
			usleep(1500 * 1000);
		assert_int_equal(
		    http_client_request(client, HTTP_GET, "/echo", NULL, 0, NULL, 0, &r, &error),
		    0);
		assert_int_equal(r.status, 200);
		http_response_uninit(&r);
	}
	http_client_destroy(client);
}

static void test_bad_input(void **state)
{
	struct server *server = *state;
	struct http_client *client;
	struct http_response r;
	char *error = NULL;

	const char *bad[] = {"ftp://127.0.0.1/",   "http://",	  "http://127.0.0.1:99999",
			     "http://127.0.0.1:0", "http://a b/", "http://x\r\n/"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(http_client_create(bad[i], NULL, 1000, &client, &error), -EINVAL);
		assert_null(client);
		assert_non_null(error);
		assert_null(strchr(error, '\n'));
		free(error);
	}
	assert_int_equal(http_client_create("http://127.0.0.1", "a\nb", 1000, &client, &error),
			 -EINVAL);
	free(error);
	http_client_destroy(NULL);

	/* A header with a line break is refused before anything is sent. */
	client = client_for(server, "", NULL);
	const struct http_header evil[] = {{"X-Onm-Source", "a\r\nX-Evil: 1"}};
	assert_int_equal(
	    http_client_request(client, HTTP_POST, "/echo", evil, 1, "x", 1, &r, &error), -EINVAL);
	assert_null(r.body);
	free(error);
	http_response_uninit(&r);
	http_client_destroy(client);
}

static void test_refused(void **state)
{
	(void)state;
	/* A port that was just free and has no listener. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	unsigned int port = socket_port(fd);
	close(fd);

	char *url = xasprintf("http://127.0.0.1:%u", port);
	struct http_client *client;
	struct http_response r;
	char *error = NULL;
	assert_int_equal(http_client_create(url, NULL, 5000, &client, &error), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
		    http_client_request(client, HTTP_GET, "/healthz", NULL, 0, NULL, 0, &r, &error),
		    -ECONNREFUSED);
		assert_non_null(strstr(error, url));
		assert_non_null(strstr(error, "refused"));
		assert_int_equal(r.status, 0);
		assert_null(r.body);
		free(error);
	}
	http_client_destroy(client);
	free(url);
}

static void test_timeout(void **state)
{
	(void)state;
	/* A listener that never accepts: the kernel completes the handshake,
	 * nobody ever answers. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(fd, 8), 0);

	char *url = xasprintf("http://127.0.0.1:%u", socket_port(fd));
	struct http_client *client;
	struct http_response r;
	char *error = NULL;
	assert_int_equal(http_client_create(url, NULL, 300, &client, &error), 0);
	uint64_t start = time_usec();
	assert_int_equal(
	    http_client_request(client, HTTP_GET, "/healthz", NULL, 0, NULL, 0, &r, &error),
	    -ETIMEDOUT);
	uint64_t elapsed_ms = (time_usec() - start) / 1000;
	assert_true(elapsed_ms >= 250);
	assert_true(elapsed_ms < 5000);
	assert_non_null(strstr(error, url));
	free(error);
	http_client_destroy(client);
	free(url);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_and_post),
	    cmocka_unit_test(test_status_and_big_body),
	    cmocka_unit_test(test_reconnect_and_prefix),
	    cmocka_unit_test(test_idle_close),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_timeout),
	};

	return cmocka_run_group_tests(tests, server_setup, server_teardown);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the agent's channel client (agent/channel-client.h) against a
 * small controller stand-in on a Unix socket in a temp directory, both on
 * one libevent base: the hello and its fields, views and deltas handed to
 * the callbacks, acks, the connection closed on bad input (a bad frame, a
 * message type the controller does not send, an error message) and the
 * reconnection delays (100 ms, doubling while nothing succeeds, back to
 * 100 ms after a view; +-20%), a controller that is not there yet, a
 * controller on TCP, the address syntax, and requests: handed to the
 * agent, which answers on the connection, or refused by a client whose
 * agent takes none.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "channel-client.h"
#include "onm/channel.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_MSGS 32
#define MAX_ACCEPTS 16

struct env {
	struct event_base *base;
	char dir[64];	/* temp directory */
	char path[128]; /* the socket */
	char address[160];

	/* The controller stand-in. */
	int lfd; /* listening socket, -1 if none */
	struct event *accept_ev;
	int cfd; /* the agent's connection, -1 if none */
	struct event *read_ev;
	struct channel_decoder dec;
	json_t *msgs[MAX_MSGS]; /* what the agent sent */
	size_t n_msgs;
	uint64_t accept_us[MAX_ACCEPTS]; /* when each connection came */
	size_t n_accepts;
	uint64_t eof_us; /* when the agent last closed */
	size_t n_eofs;

	/* What the client called. */
	struct chan_client *client;
	size_t n_views, n_deltas, n_disconnects;
	uint64_t last_revision;
	json_t *last_entries; /* of the last view */
	json_t *last_put, *last_del;
};

static void on_client_read(evutil_socket_t fd, short what, void *e_)
{
	struct env *e = e_;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n <= 0) {
		event_free(e->read_ev);
		e->read_ev = NULL;
		close(e->cfd);
		e->cfd = -1;
		e->eof_us = time_usec();
		e->n_eofs++;
		channel_decoder_uninit(&e->dec);
		channel_decoder_init(&e->dec);
		return;
	}
	channel_decoder_feed(&e->dec, buf, (size_t)n);
	for (;;) {
		json_t *msg;
		char *err = channel_decoder_next(&e->dec, &msg);
		if (err)
			fail_msg("the client sent a bad frame: %s", err);
		if (!msg)
			break;
		assert_true(e->n_msgs < MAX_MSGS);
		e->msgs[e->n_msgs++] = msg;
	}
}

static void on_accept(evutil_socket_t fd, short what, void *e_)
{
	struct env *e = e_;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	assert_int_equal(e->cfd, -1);
	assert_true(e->n_accepts < MAX_ACCEPTS);
	e->accept_us[e->n_accepts++] = time_usec();
	e->cfd = c;
	e->read_ev = event_new(e->base, c, EV_READ | EV_PERSIST, on_client_read, e);
	event_add(e->read_ev, NULL);
}

static void listen_start(struct env *e)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	memcpy(sun.sun_path, e->path, strlen(e->path) + 1);
	e->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(e->lfd >= 0);
	assert_int_equal(bind(e->lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(e->lfd, 4), 0);
	e->accept_ev = event_new(e->base, e->lfd, EV_READ | EV_PERSIST, on_accept, e);
	event_add(e->accept_ev, NULL);
}

/* Client callbacks. */

static uint64_t cb_revision(void *e_)
{
	return 7;
}

static void cb_disconnected(void *e_)
{
	struct env *e = e_;
	e->n_disconnects++;
}

static int cb_view(void *e_, uint64_t revision, json_t *entries)
{
	struct env *e = e_;
	e->n_views++;
	e->last_revision = revision;
	json_decref(e->last_entries);
	e->last_entries = json_incref(entries);
	return 0;
}

static int cb_delta(void *e_, uint64_t revision, json_t *put, json_t *del)
{
	struct env *e = e_;
	e->n_deltas++;
	e->last_revision = revision;
	json_decref(e->last_put);
	json_decref(e->last_del);
	e->last_put = json_incref(put);
	e->last_del = json_incref(del);
	return 0;
}

static const struct chan_client_ops ops = {
    .revision = cb_revision,
    .disconnected = cb_disconnected,
    .view = cb_view,
    .delta = cb_delta,
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof *e);
	e->base = event_base_new();
	snprintf(e->dir, sizeof e->dir, "/tmp/onm-chan-XXXXXX");
	if (!e->base || !mkdtemp(e->dir))
		return -1;
	snprintf(e->path, sizeof e->path, "%s/agents.sock", e->dir);
	snprintf(e->address, sizeof e->address, "unix:%s", e->path);
	e->lfd = e->cfd = -1;
	channel_decoder_init(&e->dec);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	chan_client_destroy(e->client);
	if (e->read_ev)
		event_free(e->read_ev);
	if (e->accept_ev)
		event_free(e->accept_ev);
	if (e->cfd >= 0)
		close(e->cfd);
	if (e->lfd >= 0)
		close(e->lfd);
	for (size_t i = 0; i < e->n_msgs; i++)
		json_decref(e->msgs[i]);
	json_decref(e->last_entries);
	json_decref(e->last_put);
	json_decref(e->last_del);
	channel_decoder_uninit(&e->dec);
	event_base_free(e->base);
	unlink(e->path);
	rmdir(e->dir);
	free(e);
	return 0;
}

/* Runs the loop until 'cond' holds, at most 'timeout_ms'. */
static bool run_until(struct env *e, bool (*cond)(const struct env *), int timeout_ms)
{
	uint64_t deadline = time_usec() + (uint64_t)timeout_ms * 1000;
	while (!cond(e)) {
		if (time_usec() > deadline)
			return false;
		struct timeval tv = {0, 5000};
		event_base_loopexit(e->base, &tv);
		event_base_dispatch(e->base);
	}
	return true;
}

static size_t want_msgs, want_accepts, want_eofs, want_views, want_deltas;

static bool got_msgs(const struct env *e)
{
	return e->n_msgs >= want_msgs;
}

static bool got_accepts(const struct env *e)
{
	return e->n_accepts >= want_accepts;
}

static bool got_eofs(const struct env *e)
{
	return e->n_eofs >= want_eofs;
}

static bool got_views(const struct env *e)
{
	return e->n_views >= want_views;
}

static bool got_deltas(const struct env *e)
{
	return e->n_deltas >= want_deltas;
}

/* Sends 'text' as one frame to the agent. */
static void send_text(struct env *e, const char *text)
{
	json_t *msg = json_loads(text, 0, NULL);
	struct ds frame = DS_EMPTY_INITIALIZER;
	assert_non_null(msg);
	assert_int_equal(channel_encode(msg, &frame), 0);
	assert_int_equal(write(e->cfd, frame.string, frame.length), (ssize_t)frame.length);
	ds_destroy(&frame);
	json_decref(msg);
}

static void send_raw(struct env *e, const void *data, size_t len)
{
	assert_int_equal(write(e->cfd, data, len), (ssize_t)len);
}

static void start(struct env *e)
{
	char *error = NULL;
	assert_int_equal(chan_client_create(e->base, e->address, "h1", &ops, e, &e->client, &error),
			 0);
	assert_null(error);
}

/* Waits for connection number 'n' (1-based) and its hello. */
static void expect_connection(struct env *e, size_t n, int timeout_ms)
{
	size_t msgs_before = e->n_msgs;
	want_accepts = n;
	assert_true(run_until(e, got_accepts, timeout_ms));
	want_msgs = msgs_before + 1;
	assert_true(run_until(e, got_msgs, 2000));
	json_t *hello = e->msgs[e->n_msgs - 1];
	assert_string_equal(json_string_value(json_object_get(hello, "type")), "hello");
}

/* Waits for the agent to close, then for it to come back; returns the delay
 * in ms. */
static unsigned int reconnect_delay_ms(struct env *e)
{
	want_eofs = e->n_eofs + 1;
	assert_true(run_until(e, got_eofs, 2000));
	uint64_t eof = e->eof_us;
	expect_connection(e, e->n_accepts + 1, 8000);
	return (unsigned int)((e->accept_us[e->n_accepts - 1] - eof) / 1000);
}

static void test_hello_view_delta_ack(void **state)
{
	struct env *e = *state;

	listen_start(e);
	start(e);
	expect_connection(e, 1, 2000);
	assert_true(chan_client_is_connected(e->client));
	json_t *hello = e->msgs[0];
	assert_string_equal(json_string_value(json_object_get(hello, "host")), "h1");
	assert_int_equal(json_integer_value(json_object_get(hello, "version")),
			 CHANNEL_PROTOCOL_VERSION);
	assert_int_equal(json_integer_value(json_object_get(hello, "pid")), getpid());
	assert_int_equal(json_integer_value(json_object_get(hello, "revision")), 7);
	char *reason = channel_msg_check(hello);
	assert_null(reason);

	send_text(e, "{\"type\": \"view\", \"revision\": 3, \"entries\": {\"self\": {\"id\": 1}}}");
	want_views = 1;
	assert_true(run_until(e, got_views, 2000));
	assert_int_equal(e->last_revision, 3);
	assert_non_null(json_object_get(e->last_entries, "self"));

	send_text(e, "{\"type\": \"delta\", \"revision\": 4, \"put\": {\"x\": 1}, "
		     "\"delete\": [\"self\"]}");
	want_deltas = 1;
	assert_true(run_until(e, got_deltas, 2000));
	assert_int_equal(e->last_revision, 4);
	assert_int_equal(json_integer_value(json_object_get(e->last_put, "x")), 1);
	assert_string_equal(json_string_value(json_array_get(e->last_del, 0)), "self");

	chan_client_ack(e->client, 4);
	json_t *report = json_pack("{s:s, s:{}, s:{}}", "type", "report", "counters", "health");
	assert_int_equal(chan_client_send(e->client, report), 0);
	json_decref(report);
	want_msgs = 3;
	assert_true(run_until(e, got_msgs, 2000));
	assert_string_equal(json_string_value(json_object_get(e->msgs[1], "type")), "ack");
	assert_int_equal(json_integer_value(json_object_get(e->msgs[1], "revision")), 4);
	assert_string_equal(json_string_value(json_object_get(e->msgs[2], "type")), "report");
	assert_int_equal(e->n_disconnects, 0);
}

/* Checks the reconnection after a close: the delay scheduled lies within
 * 'base_ms' +-20%, and the agent did wait. The measured delay runs from
 * when the test saw the close, which a loaded machine may see late, so only
 * half the delay is required; it has no upper bound but the 8 s wait. */
static void check_retry(struct env *e, unsigned int measured_ms, unsigned int base_ms)
{
	unsigned int scheduled = chan_client_last_retry_delay_ms(e->client);
	assert_in_range(scheduled, base_ms - base_ms / 5, base_ms + base_ms / 5);
	assert_true(measured_ms >= scheduled / 2);
}

static void test_bad_input_and_backoff(void **state)
{
	struct env *e = *state;
	static const uint8_t zero_length[4] = {0, 0, 0, 0};

	listen_start(e);
	start(e);
	expect_connection(e, 1, 2000);
	assert_int_equal(chan_client_last_retry_delay_ms(e->client), 0);

	/* A bad frame: closed, back after 100 ms +-20%. */
	send_raw(e, zero_length, sizeof zero_length);
	check_retry(e, reconnect_delay_ms(e), 100);
	assert_int_equal(e->n_disconnects, 1);

	/* A type the controller never sends: closed, and the delay doubles
	 * (no view came in between). */
	send_text(e, "{\"type\": \"ack\", \"revision\": 1}");
	check_retry(e, reconnect_delay_ms(e), 200);

	/* A delta whose delete list holds a number. */
	send_text(e, "{\"type\": \"delta\", \"revision\": 2, \"put\": {}, \"delete\": [1]}");
	check_retry(e, reconnect_delay_ms(e), 400);

	/* A view, then the controller goes away: back to 100 ms. */
	send_text(e, "{\"type\": \"view\", \"revision\": 3, \"entries\": {}}");
	want_views = 1;
	assert_true(run_until(e, got_views, 2000));
	close(e->cfd);
	e->cfd = -1;
	event_free(e->read_ev);
	e->read_ev = NULL;
	e->eof_us = time_usec();
	expect_connection(e, e->n_accepts + 1, 8000);
	check_retry(e, (unsigned int)((e->accept_us[e->n_accepts - 1] - e->eof_us) / 1000), 100);

	/* An error message: closed, and the delay doubles again. */
	send_text(e, "{\"type\": \"error\", \"detail\": \"unknown host h1\"}");
	check_retry(e, reconnect_delay_ms(e), 200);
}

static void test_controller_not_there_yet(void **state)
{
	struct env *e = *state;

	start(e);
	assert_false(chan_client_is_connected(e->client));
	/* Let a few attempts fail (no socket file), then appear. */
	struct timeval tv = {0, 400 * 1000};
	event_base_loopexit(e->base, &tv);
	event_base_dispatch(e->base);
	listen_start(e);
	expect_connection(e, 1, 8000);
	assert_true(chan_client_is_connected(e->client));
	assert_int_equal(chan_client_send(e->client, e->msgs[0]), 0);
}

static void test_tcp(void **state)
{
	struct env *e = *state;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;

	e->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(e->lfd >= 0);
	assert_int_equal(bind(e->lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(e->lfd, 4), 0);
	assert_int_equal(getsockname(e->lfd, (struct sockaddr *)&sin, &len), 0);
	e->accept_ev = event_new(e->base, e->lfd, EV_READ | EV_PERSIST, on_accept, e);
	event_add(e->accept_ev, NULL);
	snprintf(e->address, sizeof e->address, "tcp:127.0.0.1:%u", ntohs(sin.sin_port));

	start(e);
	expect_connection(e, 1, 2000);
	assert_string_equal(json_string_value(json_object_get(e->msgs[0], "host")), "h1");
	send_text(e, "{\"type\": \"view\", \"revision\": 9, \"entries\": {}}");
	want_views = 1;
	assert_true(run_until(e, got_views, 2000));
	assert_int_equal(e->last_revision, 9);
}

static void test_not_connected(void **state)
{
	struct env *e = *state;

	start(e);
	json_t *ack = json_pack("{s:s, s:i}", "type", "ack", "revision", 1);
	assert_int_equal(chan_client_send(e->client, ack), -ENOTCONN);
	json_decref(ack);
	chan_client_ack(e->client, 1); /* silently nothing */
}

static void test_addresses(void **state)
{
	static const char *const good[] = {"unix:/run/onm/agents.sock", "unix:rel/agents.sock",
					   "tcp:127.0.0.1:7081", "tcp:[::1]:7081"};
	static const char *const bad[] = {
	    "unix:",	     "tcp:127.0.0.1",	 "tcp:127.0.0.1:",     "tcp:localhost:80",
	    "tcp:1.2.3.4:x", "/run/agents.sock", "http://127.0.0.1:80"};
	char *error;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		error = NULL;
		assert_true(chan_client_address_is_valid(good[i], &error));
		assert_null(error);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		error = NULL;
		assert_false(chan_client_address_is_valid(bad[i], &error));
		assert_non_null(error);
		assert_non_null(strstr(error, bad[i]));
		free(error);
	}
	char long_path[200];
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	memcpy(long_path, "unix:", 5);
	assert_false(chan_client_address_is_valid(long_path, &error));
	free(error);
}

/* The agent's side of a request: answer at once with the op as "echo". */
static void cb_request(void *e_, const json_t *msg)
{
	struct env *e = e_;
	json_t *r =
	    json_pack("{s:s, s:O, s:b, s:O}", "type", "response", "id", json_object_get(msg, "id"),
		      "ok", 1, "echo", json_object_get(msg, "op"));

	assert_int_equal(chan_client_send(e->client, r), 0);
	json_decref(r);
}

static const struct chan_client_ops ops_with_requests = {
    .revision = cb_revision,
    .disconnected = cb_disconnected,
    .view = cb_view,
    .delta = cb_delta,
    .request = cb_request,
};

static void test_requests(void **state)
{
	struct env *e = *state;
	char *error = NULL;
	json_t *r;

	/* An agent that takes no requests says so, and stays connected. */
	listen_start(e);
	start(e);
	expect_connection(e, 1, 2000);
	send_text(e, "{\"type\": \"request\", \"id\": 4, \"op\": \"ping\"}");
	want_msgs = 2;
	assert_true(run_until(e, got_msgs, 2000));
	r = e->msgs[1];
	assert_null(channel_msg_check(r));
	assert_string_equal(json_string_value(json_object_get(r, "type")), "response");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 4);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "error")),
			    "this agent takes no requests");
	assert_true(chan_client_is_connected(e->client));
	chan_client_destroy(e->client);
	e->client = NULL;
	want_eofs = 1;
	assert_true(run_until(e, got_eofs, 2000));

	/* One that does answers on the connection. */
	assert_int_equal(chan_client_create(e->base, e->address, "h1", &ops_with_requests, e,
					    &e->client, &error),
			 0);
	expect_connection(e, 2, 2000);
	send_text(e, "{\"type\": \"request\", \"id\": 5, \"op\": \"arp\", \"network\": \"a/b\"}");
	want_msgs = e->n_msgs + 1;
	assert_true(run_until(e, got_msgs, 2000));
	r = e->msgs[e->n_msgs - 1];
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 5);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "echo")), "arp");

	/* A response from the controller is out of place: closed. */
	send_text(e, "{\"type\": \"response\", \"id\": 5, \"ok\": true}");
	want_eofs = 2;
	assert_true(run_until(e, got_eofs, 2000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hello_view_delta_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input_and_backoff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_controller_not_there_yet, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_connected, setup, teardown),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the controller's agent channel (controller/agents.c), run
 * in process: a controller state on the memory store, the agents module on
 * an event base listening on a Unix socket in a temporary directory (and
 * on TCP loopback), and test clients on plain sockets that speak the
 * framing of lib/channel.c while the test turns the event loop.
 *
 * Covered: hello -> full view (equal to views_compute) at the store
 * revision; model changes -> deltas stamped with their revision, none when
 * the view did not change; ack and report stored and shown by the REST
 * JSON and metrics; refusals (unknown host, kernel VTEP, protocol version,
 * message before hello, bad frame) with an error message then close; a
 * second connection replacing the first; a removed host's agent closed; a
 * slow agent dropped at the output limit while others go on; the socket
 * file (mode 0600, stale socket replaced, live one and non-socket refused,
 * removed at the end); requests to an agent matched to their responses
 * by id (out of order, late and unknown ids dropped), canceled, timed out
 * and failed when the agent goes away; the hosts that carry a network.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "agents.h"
#include "routing.h"
#include "onm/channel.h"
#include "onm/ds.h"
#include "onm/model.h"
#include "state.h"
#include "views.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* How long a client waits for something to arrive. */
#define WAIT_MS 5000

static const char topology[] = "substrate:\n"
			       "  hosts:\n"
			       "    - {name: h1}\n"
			       "    - {name: h2}\n"
			       "    - {name: h3}\n"
			       "    - {name: ext1, vtep: kernel}\n"
			       "  links:\n"
			       "    - {a: h1, b: h2}\n"
			       "    - {a: h2, b: h3}\n"
			       "    - {a: h3, b: ext1}\n"
			       "tenants:\n"
			       "  - name: acme\n"
			       "    networks:\n"
			       "      - name: blue\n"
			       "        subnets: [{name: web, cidr: 10.1.1.0/24}]\n"
			       "        instances:\n"
			       "          - {name: web1, subnet: web, host: h1, ip: 10.1.1.10}\n"
			       "          - {name: web2, subnet: web, host: h3, ip: 10.1.1.11}\n";

struct fixture {
	char dir[64];	   /* temporary directory */
	char path[128];	   /* the socket in it */
	char address[140]; /* "unix:" + path */
	struct event_base *base;
	struct ctl_state *state;
	struct ctl_agents *agents;
};

struct client {
	int fd;
	struct channel_decoder decoder;
	bool eof; /* the controller closed the connection */
};

static int setup(void **statep)
{
	struct fixture *f = xzalloc(sizeof *f);
	struct model_diff plan;
	uint64_t revision;
	char *error;

	snprintf(f->dir, sizeof f->dir, "/tmp/onm-test-agents-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* A directory that does not exist yet: the module creates it. */
	snprintf(f->path, sizeof f->path, "%s/state/agents.sock", f->dir);
	snprintf(f->address, sizeof f->address, "unix:%s", f->path);
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(ctl_state_open("memory:", &f->state, &error), 0);
	if (ctl_state_apply(f->state, topology, strlen(topology), "test.yaml", false, false, &plan,
			    &revision, &error))
		fail_msg("apply: %s", error);
	model_diff_destroy(&plan);
	if (ctl_agents_create(f->base, f->state, f->address, &f->agents, &error))
		fail_msg("ctl_agents_create: %s", error);
	ctl_state_set_change_cb(f->state, ctl_agents_model_changed, f->agents);
	*statep = f;
	return 0;
}

static int teardown(void **statep)
{
	struct fixture *f = *statep;
	char sub[140];

	ctl_agents_destroy(f->agents);
	ctl_state_close(f->state);
	event_base_free(f->base);
	/* The module removed its socket: the directories are empty. */
	snprintf(sub, sizeof sub, "%s/state", f->dir);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

/* Clients. */

static void client_open(struct client *c, const struct sockaddr *sa, socklen_t len)
{
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	/* The listener's backlog takes the connection before the loop runs. */
	if (connect(c->fd, sa, len))
		fail_msg("connect: %s", strerror(errno));
	channel_decoder_init(&c->decoder);
	c->eof = false;
}

static void client_connect(struct fixture *f, struct client *c)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	strcpy(sun.sun_path, f->path);
	client_open(c, (struct sockaddr *)&sun, sizeof sun);
}

static void client_close(struct client *c)
{
	close(c->fd);
	channel_decoder_uninit(&c->decoder);
}

static void client_send_raw(struct client *c, const void *data, size_t n)
{
	assert_int_equal(write(c->fd, data, n), (ssize_t)n);
}

static void client_send(struct client *c, const char *json)
{
	json_t *msg = json_loads(json, 0, NULL);
	struct ds frame = DS_EMPTY_INITIALIZER;

	assert_non_null(msg);
	assert_int_equal(channel_encode(msg, &frame), 0);
	client_send_raw(c, frame.string, frame.length);
	ds_destroy(&frame);
	json_decref(msg);
}

static void client_hello(struct client *c, const char *host)
{
	char hello[128];

	snprintf(hello, sizeof hello,
		 "{\"type\":\"hello\",\"host\":\"%s\",\"version\":1,\"pid\":%d,\"revision\":0}",
		 host, (int)getpid());
	client_send(c, hello);
}

/* Turns the event loop and reads until a message arrives (returned), the
 * controller closes (NULL, 'eof' set) or 'ms' pass (NULL). */
static json_t *client_poll(struct fixture *f, struct client *c, int ms)
{
	uint64_t deadline = time_usec() + (uint64_t)ms * 1000;

	for (;;) {
		json_t *msg;
		char *error = channel_decoder_next(&c->decoder, &msg);
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};

		if (error)
			fail_msg("client: bad frame from the controller: %s", error);
		if (msg)
			return msg;
		if (c->eof || time_usec() > deadline)
			return NULL;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		if (poll(&pfd, 1, 2) == 1) {
			char buf[65536];
			ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);

			if (n > 0)
				channel_decoder_feed(&c->decoder, buf, (size_t)n);
			else if (n == 0 || errno == ECONNRESET)
				c->eof = true;
		}
	}
}

/* The next message, which must be of 'type'. */
static json_t *client_expect(struct fixture *f, struct client *c, const char *type)
{
	json_t *msg = client_poll(f, c, WAIT_MS);
	const char *got;

	if (!msg)
		fail_msg("expected a %s, got %s", type, c->eof ? "end of stream" : "nothing");
	got = json_string_value(json_object_get(msg, "type"));
	if (!got || strcmp(got, type)) {
		char *s = json_dumps(msg, JSON_COMPACT);
		fail_msg("expected a %s, got %s", type, s);
	}
	return msg;
}

/* An error message with 'detail', then the end of the stream. */
static void client_expect_error(struct fixture *f, struct client *c, const char *detail)
{
	json_t *msg = client_expect(f, c, "error");

	assert_string_equal(json_string_value(json_object_get(msg, "detail")), detail);
	json_decref(msg);
	assert_null(client_poll(f, c, WAIT_MS));
	assert_true(c->eof);
}

/* Turns the loop for a while: nothing may arrive. */
static void client_expect_nothing(struct fixture *f, struct client *c)
{
	json_t *msg = client_poll(f, c, 100);

	if (msg) {
		char *s = json_dumps(msg, JSON_COMPACT);
		fail_msg("expected nothing, got %s", s);
	}
	assert_false(c->eof);
}

static void update(struct fixture *f, enum model_kind kind, const char *id, const char *json)
{
	char *error;

	if (ctl_state_update(f->state, kind, id, json, strlen(json), NULL, &error))
		fail_msg("update %s: %s", id, error);
}

static json_t *agent_item(struct fixture *f, const char *host)
{
	char *error;
	json_t *item = ctl_agents_get_json(f->agents, host, &error);

	if (!item)
		fail_msg("get %s: %s", host, error);
	return item;
}

/* Tests. */

static void test_view_and_deltas(void **statep)
{
	struct fixture *f = *statep;
	struct client c;
	json_t *msg, *view, *item;
	uint64_t rev0 = ctl_state_revision(f->state), rev;
	char *error;
	struct ds metrics = DS_EMPTY_INITIALIZER;

	client_connect(f, &c);
	client_hello(&c, "h1");
	msg = client_expect(f, &c, "view");
	assert_int_equal(json_integer_value(json_object_get(msg, "revision")), rev0);
	view = views_compute(ctl_state_model(f->state), "h1");
	assert_true(json_equal(json_object_get(msg, "entries"), view));
	json_decref(view);
	json_decref(msg);
	assert_int_equal(ctl_agents_n_connected(f->agents), 1);

	/* Link h1-h2 down: h1 reaches nobody any more. The one destination
	 * in use apart from h1 is h3 (web2), in acme's class (gold by
	 * default); the link's entry changes its admin state. */
	update(f, MODEL_LINK, "h1/h2", "{\"a\":\"h1\",\"b\":\"h2\",\"state\":\"down\"}");
	rev = ctl_state_revision(f->state);
	assert_true(rev > rev0);
	msg = client_expect(f, &c, "delta");
	assert_int_equal(json_integer_value(json_object_get(msg, "revision")), rev);
	assert_int_equal(json_object_size(json_object_get(msg, "put")), 1);
	assert_non_null(json_object_get(json_object_get(msg, "put"), "link/h1/h2"));
	assert_int_equal(json_array_size(json_object_get(msg, "delete")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(msg, "delete"), 0)),
			    "fwd/gold/h3");
	json_decref(msg);

	/* A change that leaves h1's view as it was sends nothing. */
	update(f, MODEL_LINK, "h2/h3", "{\"a\":\"h2\",\"b\":\"h3\",\"cost\":5}");
	client_expect_nothing(f, &c);

	/* And up again: the entries come back. */
	update(f, MODEL_LINK, "h1/h2", "{\"a\":\"h1\",\"b\":\"h2\"}");
	msg = client_expect(f, &c, "delta");
	rev = ctl_state_revision(f->state);
	assert_int_equal(json_integer_value(json_object_get(msg, "revision")), rev);
	assert_int_equal(json_object_size(json_object_get(msg, "put")), 2);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(json_object_get(msg, "put"),
								   "fwd/gold/h3"),
						"next_hops"),
			       0),
		"name")),
	    "h2");
	assert_int_equal(json_array_size(json_object_get(msg, "delete")), 0);
	json_decref(msg);

	/* Ack and report are kept and shown. */
	{
		char ack[64];

		snprintf(ack, sizeof ack, "{\"type\":\"ack\",\"revision\":%llu}",
			 (unsigned long long)rev);
		client_send(&c, ack);
	}
	client_send(&c,
		    "{\"type\":\"report\",\"counters\":{\"ports\":{},\"networks\":{},"
		    "\"router_interfaces\":{},\"drops\":{\"acl\":3}},\"health\":{\"uptime_s\":7,"
		    "\"ports_up\":1,\"revision\":5}}");
	client_expect_nothing(f, &c);
	item = agent_item(f, "h1");
	assert_true(json_is_true(json_object_get(item, "connected")));
	assert_int_equal(json_integer_value(json_object_get(item, "pid")), getpid());
	assert_int_equal(json_integer_value(json_object_get(item, "acked_revision")), rev);
	assert_int_equal(json_integer_value(json_object_get(item, "sent_revision")), rev);
	assert_true(json_is_string(json_object_get(item, "last_report")));
	assert_true(json_is_string(json_object_get(item, "connected_since")));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(item, "health"), "uptime_s")), 7);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(item, "counters"), "drops"), "acl")),
			 3);
	assert_int_equal(json_integer_value(json_object_get(item, "views_sent")), 1);
	assert_int_equal(json_integer_value(json_object_get(item, "deltas_sent")), 2);
	assert_true(json_integer_value(json_object_get(item, "bytes_sent")) > 100);
	json_decref(item);

	/* The list: every host but the kernel VTEP, by name. */
	item = ctl_agents_list_json(f->agents);
	assert_string_equal(json_string_value(json_object_get(item, "kind")), "agents");
	{
		json_t *items = json_object_get(item, "items");

		assert_int_equal(json_array_size(items), 3);
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(items, 0), "host")), "h1");
		assert_true(json_is_true(json_object_get(json_array_get(items, 0), "connected")));
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(items, 2), "host")), "h3");
		assert_true(json_is_false(json_object_get(json_array_get(items, 2), "connected")));
		assert_true(json_is_null(json_object_get(json_array_get(items, 2), "pid")));
	}
	json_decref(item);
	assert_null(ctl_agents_get_json(f->agents, "ext1", &error));
	assert_string_equal(error, "host ext1 is a kernel VTEP: no agent runs there");
	free(error);
	assert_null(ctl_agents_get_json(f->agents, "h9", &error));
	assert_string_equal(error, "host h9: not found");
	free(error);

	ctl_agents_metrics_render(f->agents, &metrics);
	assert_non_null(strstr(ds_cstr(&metrics), "\nonm_agents_connected 1\n"));
	assert_non_null(strstr(ds_cstr(&metrics), "\nonm_agent_deltas_sent_total 2\n"));
	assert_non_null(strstr(ds_cstr(&metrics), "\nonm_agent_views_sent_total 1\n"));
	ds_destroy(&metrics);

	/* An instance moves from h3 to h1: h1's view changes that entry. */
	update(f, MODEL_INSTANCE, "acme/blue/web2",
	       "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web2\",\"subnet\":\"web\","
	       "\"host\":\"h1\",\"ip\":\"10.1.1.11\"}");
	msg = client_expect(f, &c, "delta");
	assert_int_equal(json_object_size(json_object_get(msg, "put")), 1);
	assert_non_null(json_object_get(
	    json_object_get(json_object_get(msg, "put"), "instance/acme/blue/web2"), "port"));
	json_decref(msg);

	/* The agent goes away: the record stays, disconnected. */
	client_close(&c);
	for (int i = 0; i < 100 && ctl_agents_n_connected(f->agents); i++)
		event_base_loop(f->base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
	assert_int_equal(ctl_agents_n_connected(f->agents), 0);
	item = agent_item(f, "h1");
	assert_true(json_is_false(json_object_get(item, "connected")));
	assert_int_equal(json_integer_value(json_object_get(item, "acked_revision")), rev);
	json_decref(item);
}

static void test_refusals(void **statep)
{
	struct fixture *f = *statep;
	struct client c;

	client_connect(f, &c);
	client_hello(&c, "h9");
	client_expect_error(f, &c, "unknown host 'h9'");
	client_close(&c);

	client_connect(f, &c);
	client_hello(&c, "ext1");
	client_expect_error(f, &c, "host ext1 is a kernel VTEP: no agent runs there");
	client_close(&c);

	client_connect(f, &c);
	client_send(&c,
		    "{\"type\":\"hello\",\"host\":\"h1\",\"version\":2,\"pid\":1,\"revision\":0}");
	client_expect_error(f, &c,
			    "protocol version 2 is not supported (this controller speaks 1)");
	client_close(&c);

	client_connect(f, &c);
	client_send(&c, "{\"type\":\"ack\",\"revision\":1}");
	client_expect_error(f, &c, "expected hello, got ack");
	client_close(&c);

	client_connect(f, &c);
	client_send_raw(&c, "\0\0\0\x05{\"a\":", 9);
	client_expect_error(f, &c, "bad JSON at byte 5: unexpected token near end of file");
	client_close(&c);

	client_connect(f, &c);
	client_send_raw(&c, "\x7f\0\0\0", 4);
	client_expect_error(f, &c, "frame length 2130706432 is over the limit of 16777216 bytes");
	client_close(&c);

	/* After the hello, messages of the controller's kind are refused. */
	client_connect(f, &c);
	client_hello(&c, "h2");
	json_decref(client_expect(f, &c, "view"));
	client_send(&c, "{\"type\":\"view\",\"revision\":1,\"entries\":{}}");
	client_expect_error(f, &c, "unexpected view from an agent");
	client_close(&c);
	assert_int_equal(ctl_agents_n_connected(f->agents), 0);
}

static void test_replace_and_remove(void **statep)
{
	struct fixture *f = *statep;
	struct client a, b, c3;
	char *error;

	client_connect(f, &a);
	client_hello(&a, "h2");
	json_decref(client_expect(f, &a, "view"));

	/* The same host again (an agent that restarted): the new connection
	 * wins. */
	client_connect(f, &b);
	client_hello(&b, "h2");
	json_decref(client_expect(f, &b, "view"));
	client_expect_error(f, &a, "replaced by a new connection of the same host");
	client_close(&a);
	assert_int_equal(ctl_agents_n_connected(f->agents), 1);

	/* h3 connected too; then h2 is removed from the model (links first):
	 * its agent is told and closed, h3's gets the deltas. */
	client_connect(f, &c3);
	client_hello(&c3, "h3");
	json_decref(client_expect(f, &c3, "view"));
	assert_int_equal(ctl_agents_n_connected(f->agents), 2);
	assert_int_equal(ctl_state_delete(f->state, MODEL_LINK, "h1/h2", &error), 0);
	json_decref(client_expect(f, &b, "delta"));
	json_decref(client_expect(f, &c3, "delta"));
	assert_int_equal(ctl_state_delete(f->state, MODEL_LINK, "h2/h3", &error), 0);
	json_decref(client_expect(f, &b, "delta"));
	json_decref(client_expect(f, &c3, "delta"));
	assert_int_equal(ctl_state_delete(f->state, MODEL_HOST, "h2", &error), 0);
	client_expect_error(f, &b, "the host was removed");
	client_close(&b);
	{
		json_t *msg = client_expect(f, &c3, "delta");
		json_t *del = json_object_get(msg, "delete");
		bool found = false;

		for (size_t i = 0; i < json_array_size(del); i++)
			found |= !strcmp(json_string_value(json_array_get(del, i)), "host/h2");
		assert_true(found);
		json_decref(msg);
	}
	assert_int_equal(ctl_agents_n_connected(f->agents), 1);
	assert_null(ctl_agents_get_json(f->agents, "h2", &error));
	free(error);
	client_close(&c3);
}

static void test_slow_agent(void **statep)
{
	struct fixture *f = *statep;
	struct client slow, fine;

	client_connect(f, &fine);
	client_hello(&fine, "h3");
	json_decref(client_expect(f, &fine, "view"));

	/* With a limit below one view, the next agent is dropped at once. */
	ctl_agents_set_output_limit(f->agents, 64);
	client_connect(f, &slow);
	client_hello(&slow, "h1");
	assert_null(client_poll(f, &slow, WAIT_MS));
	assert_true(slow.eof);
	client_close(&slow);
	assert_int_equal(ctl_agents_n_connected(f->agents), 1);

	/* The other one still gets its deltas (small enough). */
	ctl_agents_set_output_limit(f->agents, CTL_AGENTS_DEFAULT_OUTPUT_LIMIT);
	update(f, MODEL_LINK, "h2/h3", "{\"a\":\"h2\",\"b\":\"h3\",\"state\":\"down\"}");
	json_decref(client_expect(f, &fine, "delta"));
	client_close(&fine);
}

/* Sends a report of port web1's rx_bytes and lets the controller take it. */
static void report_rx(struct fixture *f, struct client *c, long rx)
{
	char msg[256];

	snprintf(msg, sizeof msg,
		 "{\"type\":\"report\",\"counters\":{\"ports\":{\"acme/blue/web1\":"
		 "{\"rx_bytes\":%ld}}},\"health\":{},\"links\":[]}",
		 rx);
	client_send(c, msg);
	/* A class move pushes deltas: take them. */
	for (int i = 0; i < 5; i++)
		json_decref(client_poll(f, c, 50));
}

static long premium_used(struct fixture *f)
{
	json_t *st = rm_tenant_status_json(ctl_agents_routing(f->agents), "acme");
	long used = (long)json_integer_value(json_object_get(st, "premium_used"));

	json_decref(st);
	return used;
}

/* Premium usage and the counters it was counted from survive a restart
 * of the controller; a new agent process counts from zero. */
static void test_usage_persists(void **statep)
{
	struct fixture *f = *statep;
	struct client c;
	char *error;

	update(f, MODEL_TENANT, "acme",
	       "{\"name\":\"acme\",\"service_level\":\"platinum\",\"premium_quota\":\"1000b\"}");
	client_connect(f, &c);
	client_hello(&c, "h1");
	json_decref(client_expect(f, &c, "view"));
	report_rx(f, &c, 600);
	assert_int_equal(premium_used(f), 600);
	client_close(&c);

	/* The controller restarts (the store stays). */
	ctl_agents_destroy(f->agents);
	if (ctl_agents_create(f->base, f->state, f->address, &f->agents, &error))
		fail_msg("ctl_agents_create: %s", error);
	ctl_state_set_change_cb(f->state, ctl_agents_model_changed, f->agents);
	assert_int_equal(premium_used(f), 600);

	/* The same agent process: only what is new counts. */
	client_connect(f, &c);
	client_hello(&c, "h1");
	json_decref(client_expect(f, &c, "view"));
	report_rx(f, &c, 900);
	assert_int_equal(premium_used(f), 900);
	report_rx(f, &c, 1100);
	assert_int_equal(premium_used(f), 1100);
	assert_int_equal(rm_tenant_class(ctl_agents_routing(f->agents), "acme"),
			 1 /* silver, the default fallback: gold platinum quarantine silver */ + 2);
	client_close(&c);

	/* Another process (another pid) starts from zero. */
	client_connect(f, &c);
	client_send(&c, "{\"type\":\"hello\",\"host\":\"h1\",\"version\":1,\"pid\":1,"
			"\"revision\":0}");
	json_decref(client_expect(f, &c, "view"));
	update(f, MODEL_TENANT, "acme",
	       "{\"name\":\"acme\",\"service_level\":\"platinum\",\"premium_quota\":\"5000b\"}");
	json_decref(client_poll(f, &c, 100));
	report_rx(f, &c, 50);
	assert_int_equal(premium_used(f), 1150);
	client_close(&c);
}

static void test_socket_file(void **statep)
{
	struct fixture *f = *statep;
	struct ctl_agents *other;
	struct stat st;
	char *error, path[160];
	int fd;

	/* Mode 0600. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_string_equal(ctl_agents_address(f->agents), f->address);

	/* A live socket is not taken over. */
	assert_int_equal(ctl_agents_create(f->base, f->state, f->address, &other, &error),
			 -EADDRINUSE);
	assert_null(other);
	assert_non_null(strstr(error, "another process is listening there"));
	free(error);

	/* A stale one is. */
	snprintf(path, sizeof path, "%s/stale.sock", f->dir);
	{
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		strcpy(sun.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
		close(fd);
	}
	{
		char address[170];

		snprintf(address, sizeof address, "unix:%s", path);
		assert_int_equal(ctl_agents_create(f->base, f->state, address, &other, &error), 0);
		ctl_agents_destroy(other);
		assert_int_equal(stat(path, &st), -1);

		/* A file that is not a socket stays. */
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(ctl_agents_create(f->base, f->state, address, &other, &error),
				 -EEXIST);
		assert_non_null(strstr(error, "the path exists and is not a socket"));
		free(error);
		assert_int_equal(unlink(path), 0);
	}

	assert_int_equal(ctl_agents_create(f->base, f->state, "udp:1.2.3.4:5", &other, &error),
			 -EINVAL);
	free(error);
	assert_int_equal(ctl_agents_create(f->base, f->state, "tcp:localhost", &other, &error),
			 -EINVAL);
	free(error);
}

static void test_tcp(void **statep)
{
	struct fixture *f = *statep;
	struct ctl_agents *tcp;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	const char *address;
	struct client c;
	char *error;
	json_t *msg;

	assert_int_equal(ctl_agents_create(f->base, f->state, "tcp:127.0.0.1:0", &tcp, &error), 0);
	address = ctl_agents_address(tcp);
	assert_true(str_has_prefix(address, "tcp:127.0.0.1:"));
	sin.sin_port = htons((uint16_t)atoi(strrchr(address, ':') + 1));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(ntohs(sin.sin_port) > 0);

	client_open(&c, (struct sockaddr *)&sin, sizeof sin);
	client_hello(&c, "h3");
	msg = client_expect(f, &c, "view");
	assert_non_null(
	    json_object_get(json_object_get(msg, "entries"), "instance/acme/blue/web2"));
	json_decref(msg);
	assert_int_equal(ctl_agents_n_connected(tcp), 1);
	client_close(&c);
	ctl_agents_destroy(tcp);
}

/* How one request ended. */
struct answer {
	int calls;
	json_t *response; /* a copy of the response, if any */
	char *error;
};

static void on_answer(void *a_, const json_t *response, const char *error)
{
	struct answer *a = a_;

	a->calls++;
	a->response = response ? json_deep_copy(response) : NULL;
	a->error = error ? xstrdup(error) : NULL;
}

static void answer_reset(struct answer *a)
{
	json_decref(a->response);
	free(a->error);
	memset(a, 0, sizeof *a);
}

/* Turns the loop until 'a' was called or 'ms' pass. */
static void wait_answer(struct fixture *f, struct answer *a, int ms)
{
	uint64_t deadline = time_usec() + (uint64_t)ms * 1000;

	while (!a->calls && time_usec() < deadline) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static struct ctl_agent_request *request(struct fixture *f, const char *host, const char *json,
					 uint32_t timeout_ms, struct answer *a)
{
	json_t *req = json_loads(json, 0, NULL);
	char *error = NULL;
	struct ctl_agent_request *r;

	assert_non_null(req);
	r = ctl_agents_request(f->agents, host, req, timeout_ms, on_answer, a, &error);
	if (!r)
		fail_msg("request to %s: %s", host, error);
	json_decref(req);
	return r;
}

/* The client answers request 'id' with ok and "n": 'n'. */
static void respond(struct client *c, json_int_t id, int n)
{
	char msg[128];

	snprintf(msg, sizeof msg, "{\"type\":\"response\",\"id\":%lld,\"ok\":true,\"n\":%d}",
		 (long long)id, n);
	client_send(c, msg);
}

/* A request that cancels its peer when it ends. */
struct canceling {
	struct answer a;
	struct ctl_agent_request *self; /* NULL once ended or canceled */
	struct canceling *peer;
};

static void on_answer_cancel(void *c_, const json_t *response, const char *error)
{
	struct canceling *c = c_;

	on_answer(&c->a, response, error);
	c->self = NULL;
	ctl_agents_request_cancel(c->peer->self);
	c->peer->self = NULL;
}

static struct ctl_agent_request *request_canceling(struct fixture *f, struct canceling *c)
{
	json_t *req = json_pack("{s:s}", "op", "ping");
	char *error = NULL;
	struct ctl_agent_request *r =
	    ctl_agents_request(f->agents, "h1", req, 5000, on_answer_cancel, c, &error);

	assert_non_null(r);
	json_decref(req);
	return r;
}

static void test_requests(void **statep)
{
	struct fixture *f = *statep;
	struct answer a0 = {0}, a1 = {0}, a2 = {0};
	struct canceling c1 = {0}, c2 = {0};
	struct ctl_agent_request *r;
	struct client c;
	json_t *msg, *hosts;
	json_int_t id0, id1;
	char *error;

	/* Not connected: refused at once. */
	assert_false(ctl_agents_is_connected(f->agents, "h1"));
	hosts = json_object();
	assert_null(ctl_agents_request(f->agents, "h1", hosts, 100, on_answer, &a0, &error));
	assert_string_equal(error, "the agent of host h1 is not connected");
	free(error);

	client_connect(f, &c);
	client_hello(&c, "h1");
	json_decref(client_expect(f, &c, "view"));
	assert_true(ctl_agents_is_connected(f->agents, "h1"));

	/* Two requests: the agent sees them with their own ids and their
	 * arguments; answers in the other order reach the right callbacks. */
	request(f, "h1", "{\"op\":\"ping\",\"dst\":\"10.1.1.11\",\"count\":3}", 5000, &a0);
	request(f, "h1", "{\"op\":\"arp\",\"network\":\"acme/blue\"}", 5000, &a1);
	msg = client_expect(f, &c, "request");
	assert_string_equal(json_string_value(json_object_get(msg, "op")), "ping");
	assert_string_equal(json_string_value(json_object_get(msg, "dst")), "10.1.1.11");
	assert_int_equal(json_integer_value(json_object_get(msg, "count")), 3);
	id0 = json_integer_value(json_object_get(msg, "id"));
	json_decref(msg);
	msg = client_expect(f, &c, "request");
	assert_string_equal(json_string_value(json_object_get(msg, "op")), "arp");
	id1 = json_integer_value(json_object_get(msg, "id"));
	json_decref(msg);
	assert_true(id0 != id1);
	assert_int_equal(a0.calls + a1.calls, 0);
	respond(&c, id1, 11);
	wait_answer(f, &a1, WAIT_MS);
	assert_int_equal(a1.calls, 1);
	assert_null(a1.error);
	assert_int_equal(json_integer_value(json_object_get(a1.response, "n")), 11);
	assert_int_equal(a0.calls, 0);
	/* An answer to no request (or a second one) is dropped. */
	respond(&c, id1, 12);
	respond(&c, 9999, 13);
	respond(&c, id0, 10);
	wait_answer(f, &a0, WAIT_MS);
	assert_int_equal(a0.calls, 1);
	assert_int_equal(json_integer_value(json_object_get(a0.response, "n")), 10);
	assert_int_equal(a1.calls, 1);
	answer_reset(&a0);
	answer_reset(&a1);

	/* Canceled: its answer calls nobody. */
	r = request(f, "h1", "{\"op\":\"ping\"}", 5000, &a0);
	msg = client_expect(f, &c, "request");
	id0 = json_integer_value(json_object_get(msg, "id"));
	json_decref(msg);
	ctl_agents_request_cancel(r);
	ctl_agents_request_cancel(NULL);
	respond(&c, id0, 1);
	client_expect_nothing(f, &c);
	assert_int_equal(a0.calls, 0);

	/* No answer in time: "timed out", once. */
	request(f, "h1", "{\"op\":\"ping\"}", 50, &a0);
	json_decref(client_expect(f, &c, "request"));
	wait_answer(f, &a0, WAIT_MS);
	assert_int_equal(a0.calls, 1);
	assert_string_equal(a0.error, "timed out");
	assert_null(a0.response);
	answer_reset(&a0);

	/* The agent goes away: what waits fails; a callback may cancel a
	 * request that ended too, whose callback is then not called. */
	request(f, "h1", "{\"op\":\"ping\"}", 5000, &a0);
	request(f, "h1", "{\"op\":\"ping\"}", 5000, &a2);
	c1.peer = &c2;
	c2.peer = &c1;
	c1.self = request_canceling(f, &c1);
	c2.self = request_canceling(f, &c2);
	json_decref(client_expect(f, &c, "request"));
	client_close(&c);
	wait_answer(f, &a0, WAIT_MS);
	wait_answer(f, &a2, WAIT_MS);
	assert_int_equal(a0.calls, 1);
	assert_int_equal(a2.calls, 1);
	assert_string_equal(a0.error, "the agent disconnected");
	assert_string_equal(a2.error, "the agent disconnected");
	/* One of the two, which canceled the other. */
	assert_int_equal(c1.a.calls + c2.a.calls, 1);
	answer_reset(&a0);
	answer_reset(&a2);
	answer_reset(&c1.a);
	answer_reset(&c2.a);
	assert_false(ctl_agents_is_connected(f->agents, "h1"));

	/* A request without an op is the caller's mistake. */
	client_connect(f, &c);
	client_hello(&c, "h3");
	json_decref(client_expect(f, &c, "view"));
	assert_null(ctl_agents_request(f->agents, "h3", hosts, 100, on_answer, &a0, &error));
	assert_string_equal(error, "a request needs an \"op\"");
	free(error);
	json_decref(hosts);
	/* An agent may not send requests. */
	client_send(&c, "{\"type\":\"request\",\"id\":1,\"op\":\"ping\"}");
	client_expect_error(f, &c, "unexpected request from an agent");
	client_close(&c);
	assert_int_equal(a0.calls, 0);

	/* The hosts of a network: those of its instances, once each. */
	hosts = ctl_agents_hosts_of_network(f->agents, "acme/blue");
	assert_int_equal(json_array_size(hosts), 2);
	assert_string_equal(json_string_value(json_array_get(hosts, 0)), "h1");
	assert_string_equal(json_string_value(json_array_get(hosts, 1)), "h3");
	json_decref(hosts);
	{
		const char *web3 = "{\"tenant\":\"acme\",\"network\":\"blue\",\"name\":\"web3\","
				   "\"subnet\":\"web\",\"host\":\"h1\",\"ip\":\"10.1.1.12\"}";

		if (ctl_state_create(f->state, MODEL_INSTANCE, web3, strlen(web3), NULL, &error))
			fail_msg("create web3: %s", error);
	}
	hosts = ctl_agents_hosts_of_network(f->agents, "acme/blue");
	assert_int_equal(json_array_size(hosts), 2);
	json_decref(hosts);
	hosts = ctl_agents_hosts_of_network(f->agents, "acme/blu");
	assert_int_equal(json_array_size(hosts), 0);
	json_decref(hosts);
	hosts = ctl_agents_hosts_of_network(f->agents, "acme");
	assert_int_equal(json_array_size(hosts), 0);
	json_decref(hosts);
}

/* Requests still waiting when the module goes away fail, and their
 * callbacks cannot start new ones. */
static struct ctl_agents *agents_going;

static void on_answer_again(void *a_, const json_t *response, const char *error)
{
	struct answer *a = a_;
	json_t *req = json_pack("{s:s}", "op", "ping");
	char *again = NULL;

	on_answer(a, response, error);
	assert_null(ctl_agents_request(agents_going, "h1", req, 100, on_answer, a, &again));
	free(again);
	json_decref(req);
}

static void test_requests_at_destroy(void **statep)
{
	struct fixture *f = *statep;
	struct answer a = {0};
	json_t *req = json_pack("{s:s}", "op", "ping");
	struct client c;
	char *error;

	client_connect(f, &c);
	client_hello(&c, "h1");
	json_decref(client_expect(f, &c, "view"));
	agents_going = f->agents;
	assert_non_null(
	    ctl_agents_request(f->agents, "h1", req, 5000, on_answer_again, &a, &error));
	json_decref(req);
	ctl_agents_destroy(f->agents);
	assert_int_equal(a.calls, 1);
	assert_string_equal(a.error, "the agent disconnected");
	answer_reset(&a);
	if (ctl_agents_create(f->base, f->state, f->address, &f->agents, &error))
		fail_msg("ctl_agents_create: %s", error);
	client_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_view_and_deltas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace_and_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_agent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usage_persists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_requests_at_destroy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

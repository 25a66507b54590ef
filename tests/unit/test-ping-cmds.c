// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the device commands that ask the agents (device/ios-cmds.c:
 * ping, traceroute, show ip arp) over a real controller state, the real
 * agents module on a Unix socket and two stand-in agents that answer the
 * requests as a script says: which agent is asked (one with an instance
 * on the source interface's subnet) and what it is asked (router, source
 * address, TTL, size, timeout); IOS's output for echo replies, timeouts,
 * unreachables, the 70-character lines and the statistics; an agent's
 * error, and an agent that goes away with a probe out; traceroute's hop lines with timeouts and a second address, ending
 * at the destination; show ip arp merged from both agents, sorted, the
 * router's own addresses without age, nothing off its subnets; no agent;
 * and Ctrl-C while a probe is out.
 */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
/* cmocka.h needs <stdarg.h>, <stddef.h> and <setjmp.h> first. */
#include "agents.h"
#include "onm/channel.h"
#include "onm/ds.h"
#include "onm/model.h"
#include "onm/util.h"
#include "service-private.h"
#include "state.h"

#include <cmocka.h>
#include <event2/event.h>

static const char topo_yaml[] =
    "substrate:\n"
    "  hosts: [{name: hz}, {name: hy}]\n"
    "  links: [{a: hz, b: hy}]\n"
    "tenants:\n"
    "  - name: acme\n"
    "    users:\n"
    "      - {name: vic, role: viewer}\n"
    "    networks:\n"
    "      - name: blue\n"
    "        subnets: [{name: web, cidr: 10.1.1.0/24}, {name: db, cidr: 10.1.2.0/24}]\n"
    "        routers:\n"
    "          - name: r1\n"
    "            interfaces:\n"
    "              - {name: GigabitEthernet0/0, subnet: web, ip: 10.1.1.1}\n"
    "              - {name: GigabitEthernet0/1, subnet: db, ip: 10.1.2.1}\n"
    "            routes: [{prefix: 10.9.0.0/16, via: 10.1.2.20}]\n"
    "        instances:\n"
    "          - {name: web1, subnet: web, host: hz, ip: 10.1.1.10}\n"
    "          - {name: db1, subnet: db, host: hy, ip: 10.1.2.10}\n";

#define R1 "acme/blue/r1"
#define MAX_REQS 256

/* A stand-in agent: answers each request with 'answer', and keeps them. */
struct fake {
	const char *host;
	int fd;
	struct channel_decoder dec;
	json_t *reqs[MAX_REQS]; /* the requests it got */
	size_t n_reqs;
	/* The response's keys beyond type/id for request 'req' (the n-th
	 * it got), or NULL to leave it unanswered. */
	json_t *(*answer)(struct fake *, const json_t *req, size_t n);
	void *script; /* for 'answer' */
};

struct fx {
	char dir[64];
	char sock[128];
	struct event_base *base;
	struct ctl_state *state;
	struct ctl_agents *agents;
	struct dev_service *svc;
	struct fake fakes[2]; /* hz, hy */
	struct ds out;
	int closed, status;
};

static struct fx *the_fx; /* for the fakes' pump */

static int setup(void **st)
{
	struct fx *fx = xzalloc(sizeof *fx);
	struct model_diff plan = {0};
	uint64_t revision;
	char *error = NULL, address[160];

	snprintf(fx->dir, sizeof fx->dir, "/tmp/test-ping-cmds.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->sock, sizeof fx->sock, "%s/agents.sock", fx->dir);
	snprintf(address, sizeof address, "unix:%s", fx->sock);
	fx->base = event_base_new();
	ds_init(&fx->out);
	if (ctl_state_open("memory:", &fx->state, &error))
		fail_msg("ctl_state_open: %s", error);
	if (ctl_state_apply(fx->state, topo_yaml, strlen(topo_yaml), "topo.yaml", false, false,
			    &plan, &revision, &error))
		fail_msg("apply: %s", error);
	model_diff_destroy(&plan);
	if (ctl_agents_create(fx->base, fx->state, address, &fx->agents, &error))
		fail_msg("ctl_agents_create: %s", error);
	fx->svc = dev_service_create(fx->base, fx->state, fx->agents, NULL, fx->dir, &error);
	if (!fx->svc)
		fail_msg("dev_service_create: %s", error);
	fx->fakes[0].host = "hz";
	fx->fakes[1].host = "hy";
	for (int i = 0; i < 2; i++)
		fx->fakes[i].fd = -1;
	the_fx = fx;
	*st = fx;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **st)
{
	struct fx *fx = *st;

	dev_service_destroy(fx->svc);
	ctl_agents_destroy(fx->agents);
	for (int i = 0; i < 2; i++) {
		struct fake *f = &fx->fakes[i];

		if (f->fd >= 0)
			close(f->fd);
		channel_decoder_uninit(&f->dec);
		for (size_t k = 0; k < f->n_reqs; k++)
			json_decref(f->reqs[k]);
	}
	ctl_state_close(fx->state);
	event_base_free(fx->base);
	nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	ds_destroy(&fx->out);
	free(fx);
	return 0;
}

static void fake_send(struct fake *f, json_t *msg)
{
	struct ds frame = DS_EMPTY_INITIALIZER;

	assert_int_equal(channel_encode(msg, &frame), 0);
	assert_int_equal(write(f->fd, frame.string, frame.length), (ssize_t)frame.length);
	ds_destroy(&frame);
	json_decref(msg);
}

/* Reads what the controller sent the fake; answers requests. */
static void fake_poll(struct fake *f)
{
	char buf[65536];
	ssize_t n;
	json_t *msg;

	if (f->fd < 0)
		return;
	while ((n = recv(f->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		channel_decoder_feed(&f->dec, buf, (size_t)n);
	for (;;) {
		char *error = channel_decoder_next(&f->dec, &msg);
		json_t *r;

		if (error)
			fail_msg("fake %s: %s", f->host, error);
		if (!msg)
			break;
		if (strcmp(json_string_value(json_object_get(msg, "type")), "request")) {
			json_decref(msg);
			continue;
		}
		assert_true(f->n_reqs < MAX_REQS);
		f->reqs[f->n_reqs++] = msg;
		r = f->answer ? f->answer(f, msg, f->n_reqs - 1) : NULL;
		if (r) {
			json_object_set_new(r, "type", json_string("response"));
			json_object_set(r, "id", json_object_get(msg, "id"));
			fake_send(f, r);
		}
	}
}

/* Turns the loop and the fakes for 'ms'. */
static void pump(struct fx *fx, int ms)
{
	uint64_t deadline = time_usec() + (uint64_t)ms * 1000;

	do {
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
		for (int i = 0; i < 2; i++)
			fake_poll(&fx->fakes[i]);
		usleep(200);
	} while (time_usec() < deadline);
}

static void fake_connect(struct fx *fx, int i)
{
	struct fake *f = &fx->fakes[i];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char hello[128];

	strcpy(sun.sun_path, fx->sock);
	f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(connect(f->fd, (struct sockaddr *)&sun, sizeof sun), 0);
	channel_decoder_init(&f->dec);
	snprintf(hello, sizeof hello,
		 "{\"type\":\"hello\",\"host\":\"%s\",\"version\":1,\"pid\":%d,\"revision\":0}",
		 f->host, 100 + i);
	fake_send(f, json_loads(hello, 0, NULL));
	for (int k = 0; k < 200 && !ctl_agents_is_connected(fx->agents, f->host); k++)
		pump(fx, 5);
	assert_true(ctl_agents_is_connected(fx->agents, f->host));
}

static void io_write(void *aux, const char *buf, size_t len)
{
	ds_put_buffer(&((struct fx *)aux)->out, buf, len);
}

static void io_close(void *aux, int status)
{
	struct fx *fx = aux;

	fx->closed++;
	fx->status = status;
}

/* One exec request as vic ('ssh r1 LINE'), run to its end (at most 5 s);
 * the output, with '\r' dropped. */
static const char *exec_line(struct fx *fx, const char *line)
{
	struct dev_local_login login = {.tenant = "acme",
					.user = "vic",
					.device = R1,
					.source = "192.0.2.1:4000",
					.exec = line};
	struct dev_session_io io = {io_write, io_close, fx};
	char *p, *q;

	ds_clear(&fx->out);
	fx->closed = 0;
	assert_non_null(dev_service_open_local(fx->svc, &login, &io));
	for (int i = 0; i < 1000 && !fx->closed; i++)
		pump(fx, 5);
	assert_int_equal(fx->closed, 1);
	for (p = q = fx->out.string; p && *p; p++)
		if (*p != '\r')
			*q++ = *p;
	if (q)
		*q = '\0';
	return ds_cstr(&fx->out);
}

static json_t *result(const char *type, json_int_t rtt_us, const char *from)
{
	return json_pack("{s:b, s:[{s:i, s:o, s:o, s:s}]}", "ok", 1, "results", "seq", 0, "rtt_us",
			 rtt_us < 0 ? json_null() : json_integer(rtt_us), "from",
			 from ? json_string(from) : json_null(), "type", type);
}

/* ---- ping ---- */

/* Replies from the destination, 1500, lost, 3400 µs, then always 1 ms. */
static json_t *answer_ping(struct fake *f, const json_t *req, size_t n)
{
	const char *dst = json_string_value(json_object_get(req, "dst"));

	switch (n) {
	case 0:
		return result("echo_reply", 1500, dst);
	case 1:
		return result("timeout", -1, NULL);
	case 2:
		return result("echo_reply", 3400, dst);
	default:
		return result("echo_reply", 1000, dst);
	}
}

static void test_ping(void **st)
{
	struct fx *fx = *st;
	struct fake *hz = &fx->fakes[0], *hy = &fx->fakes[1];
	const char *out;
	const json_t *req;
	char want[256];

	hz->answer = hy->answer = answer_ping;
	fake_connect(fx, 0);
	fake_connect(fx, 1);

	/* To db1: out of Gi0/1, so sent by hy's agent (db1 is there). */
	out = exec_line(fx, "ping 10.1.2.10 repeat 3");
	assert_int_equal(fx->status, 0);
	assert_string_equal(out, "Type escape sequence to abort.\n"
				 "Sending 3, 100-byte ICMP Echos to 10.1.2.10, timeout is 2 "
				 "seconds:\n"
				 "!.!\n"
				 "Success rate is 66 percent (2/3), round-trip min/avg/max = "
				 "2/2/3 ms\n");
	assert_int_equal(hy->n_reqs, 3);
	assert_int_equal(hz->n_reqs, 0);
	req = hy->reqs[0];
	assert_string_equal(json_string_value(json_object_get(req, "op")), "ping");
	assert_string_equal(json_string_value(json_object_get(req, "router")), R1);
	assert_string_equal(json_string_value(json_object_get(req, "src")), "10.1.2.1");
	assert_string_equal(json_string_value(json_object_get(req, "dst")), "10.1.2.10");
	assert_int_equal(json_integer_value(json_object_get(req, "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(req, "size")), 100);
	assert_int_equal(json_integer_value(json_object_get(req, "timeout_ms")), 2000);
	assert_int_equal(json_integer_value(json_object_get(req, "ttl")), 64);

	/* From Gi0/0: hz's agent (web1 is there), with the options. */
	out = exec_line(fx, "ping 10.1.2.10 repeat 75 size 200 timeout 1 source gi0/0");
	assert_non_null(strstr(out, "Sending 75, 200-byte ICMP Echos to 10.1.2.10, timeout is 1 "
				    "seconds:\n"
				    "Packet sent with a source address of 10.1.1.1 \n"));
	/* 70 characters a line. */
	memset(want, '!', sizeof want);
	want[0] = '\n';
	want[2] = '.';
	want[71] = '\n';
	snprintf(want + 77, sizeof want - 77,
		 "\nSuccess rate is 98 percent (74/75), round-trip min/avg/max = 1/1/3 ms\n");
	assert_non_null(strstr(out, want));
	assert_int_equal(hz->n_reqs, 75);
	req = hz->reqs[0];
	assert_string_equal(json_string_value(json_object_get(req, "src")), "10.1.1.1");
	assert_int_equal(json_integer_value(json_object_get(req, "size")), 200);
	assert_int_equal(json_integer_value(json_object_get(req, "timeout_ms")), 1000);
}

static json_t *answer_unreachable(struct fake *f, const json_t *req, size_t n)
{
	json_t *r = result("unreachable", 200, "10.1.2.1");

	json_object_set_new(json_array_get(json_object_get(r, "results"), 0), "code",
			    json_integer(1));
	return r;
}

static json_t *answer_error(struct fake *f, const json_t *req, size_t n)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", "ping: the data plane is not ready");
}

static void test_ping_fails(void **st)
{
	struct fx *fx = *st;
	struct fake *hy = &fx->fakes[1];
	const char *out;

	/* No agent connected. */
	out = exec_line(fx, "ping 10.1.2.10");
	assert_non_null(strstr(out, "% No agent carries this router's traffic\n"));
	assert_int_equal(fx->status, 1);

	/* The router's unreachables. */
	hy->answer = answer_unreachable;
	fake_connect(fx, 1);
	out = exec_line(fx, "ping 10.1.2.99 repeat 2");
	assert_non_null(strstr(out, "\nUU\nSuccess rate is 0 percent (0/2)\n"));
	assert_int_equal(fx->status, 0);

	/* The agent's error ends the ping. */
	hy->answer = answer_error;
	out = exec_line(fx, "ping 10.1.2.10");
	assert_non_null(strstr(out, "seconds:\n% ping: the data plane is not ready\n"));
	assert_null(strstr(out, "Success rate"));
	assert_int_equal(fx->status, 1);
	/* Not an address. */
	out = exec_line(fx, "ping 10.1.2.300");
	assert_non_null(strstr(out, "%"));
	assert_int_equal(fx->status, 1);

	/* The agent goes away with a probe out: that one is lost, and
	 * no other agent carries db's traffic. */
	{
		struct dev_local_login login = {.tenant = "acme",
						.user = "vic",
						.device = R1,
						.source = "192.0.2.1:4000",
						.exec = "ping 10.1.2.10"};
		struct dev_session_io io = {io_write, io_close, fx};
		size_t before = hy->n_reqs;

		hy->answer = NULL;
		ds_clear(&fx->out);
		fx->closed = 0;
		assert_non_null(dev_service_open_local(fx->svc, &login, &io));
		for (int i = 0; i < 200 && hy->n_reqs == before; i++)
			pump(fx, 5);
		assert_int_equal(hy->n_reqs, before + 1);
		close(hy->fd);
		hy->fd = -1;
		for (int i = 0; i < 400 && !fx->closed; i++)
			pump(fx, 5);
		assert_int_equal(fx->closed, 1);
		assert_int_equal(fx->status, 1);
		assert_non_null(strstr(ds_cstr(&fx->out), "seconds:\n.\n% No agent carries this "
							  "router's traffic\n"));
	}
}

/* ---- traceroute ---- */

/* TTL 1: time exceeded from 10.1.2.20 (the static route's next hop);
 * TTL 2: lost, then echo replies from the destination. */
static json_t *answer_trace(struct fake *f, const json_t *req, size_t n)
{
	json_int_t ttl = json_integer_value(json_object_get(req, "ttl"));

	if (ttl == 1)
		return result("time_exceeded", 1200, "10.1.2.20");
	if (n == 3)
		return result("timeout", -1, NULL);
	return result("echo_reply", 2600, json_string_value(json_object_get(req, "dst")));
}

static void test_traceroute(void **st)
{
	struct fx *fx = *st;
	struct fake *hy = &fx->fakes[1];
	const char *out;

	hy->answer = answer_trace;
	fake_connect(fx, 1);
	/* 10.9.1.1 goes by the static route via 10.1.2.20, out of Gi0/1. */
	out = exec_line(fx, "traceroute 10.9.1.1");
	assert_string_equal(out, "Type escape sequence to abort.\n"
				 "Tracing the route to 10.9.1.1\n"
				 "VRF info: (vrf in name/id, vrf out name/id)\n"
				 "  1 10.1.2.20 1 msec 1 msec 1 msec\n"
				 "  2  * 10.9.1.1 3 msec 3 msec\n");
	assert_int_equal(fx->status, 0);
	assert_int_equal(hy->n_reqs, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(json_integer_value(json_object_get(hy->reqs[i], "ttl")),
				 1 + i / 3);
	assert_int_equal(json_integer_value(json_object_get(hy->reqs[0], "timeout_ms")), 3000);
}

/* ---- show ip arp ---- */

static json_t *answer_arp(struct fake *f, const json_t *req, size_t n)
{
	json_t *entries = json_array();

	assert_string_equal(json_string_value(json_object_get(req, "network")), "acme/blue");
	json_array_append_new(entries, json_pack("{s:s, s:s, s:s}", "ip", "10.1.1.1", "mac",
						 "02:aa:00:00:00:01", "kind", "router"));
	if (!strcmp(f->host, "hz"))
		json_array_append_new(entries,
				      json_pack("{s:s, s:s, s:s}", "ip", "10.1.1.10", "mac",
						"02:00:00:00:01:0a", "kind", "instance"));
	else
		json_array_append_new(entries,
				      json_pack("{s:s, s:s, s:s}", "ip", "10.1.2.10", "mac",
						"02:00:00:00:02:0a", "kind", "instance"));
	/* Off the router's subnets: not shown. */
	json_array_append_new(entries, json_pack("{s:s, s:s, s:s}", "ip", "10.9.0.1", "mac",
						 "02:00:00:00:09:01", "kind", "instance"));
	return json_pack("{s:b, s:o}", "ok", 1, "entries", entries);
}

static void test_show_ip_arp(void **st)
{
	struct fx *fx = *st;
	const char *out;

	fx->fakes[0].answer = fx->fakes[1].answer = answer_arp;
	fake_connect(fx, 0);
	fake_connect(fx, 1);
	out = exec_line(fx, "show ip arp");
	assert_int_equal(fx->status, 0);
	assert_int_equal(fx->fakes[0].n_reqs, 1);
	assert_int_equal(fx->fakes[1].n_reqs, 1);
	assert_true(str_has_prefix(
	    out, "Protocol  Address          Age (min)  Hardware Addr   Type   Interface\n"
		 "Internet  10.1.1.1                -   "));
	assert_non_null(strstr(out, "Internet  10.1.1.10               0   0200.0000.010a  ARPA   "
				    "GigabitEthernet0/0\n"
				    "Internet  10.1.2.1                -   "));
	assert_non_null(strstr(out, "Internet  10.1.2.10               0   0200.0000.020a  ARPA   "
				    "GigabitEthernet0/1\n"));
	assert_null(strstr(out, "10.9.0.1"));
	/* Four lines and the header. */
	{
		int lines = 0;

		for (const char *p = out; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 5);
	}

	/* With no agent: the router's own addresses. */
	close(fx->fakes[0].fd);
	close(fx->fakes[1].fd);
	fx->fakes[0].fd = fx->fakes[1].fd = -1;
	for (int i = 0; i < 100 && (ctl_agents_is_connected(fx->agents, "hz") ||
				    ctl_agents_is_connected(fx->agents, "hy"));
	     i++)
		pump(fx, 5);
	out = exec_line(fx, "show ip arp | include Internet");
	assert_int_equal(fx->status, 0);
	assert_non_null(strstr(out, "Internet  10.1.1.1 "));
	assert_null(strstr(out, "10.1.1.10"));
}

/* ---- Ctrl-C ---- */

static json_t *answer_nothing(struct fake *f, const json_t *req, size_t n)
{
	return NULL;
}

static void test_cancel(void **st)
{
	struct fx *fx = *st;
	struct fake *hy = &fx->fakes[1];
	struct dev_local_login login = {.tenant = "acme",
					.user = "vic",
					.device = R1,
					.source = "192.0.2.1:4000",
					.interactive = true,
					.cols = 80,
					.rows = 24};
	struct dev_session_io io = {io_write, io_close, fx};
	struct dev_session *s;
	json_t *late;

	hy->answer = answer_nothing;
	fake_connect(fx, 1);
	ds_clear(&fx->out);
	s = dev_service_open_local(fx->svc, &login, &io);
	assert_non_null(s);
	dev_session_input(s, "ping 10.1.2.10\r", 15);
	for (int i = 0; i < 200 && !hy->n_reqs; i++)
		pump(fx, 5);
	assert_int_equal(hy->n_reqs, 1);
	ds_clear(&fx->out);
	dev_session_input(s, "\x03", 1);
	pump(fx, 20);
	assert_non_null(strstr(ds_cstr(&fx->out), "r1>"));
	/* The answer that comes after is nobody's. */
	late = result("echo_reply", 100, "10.1.2.10");
	json_object_set_new(late, "type", json_string("response"));
	json_object_set(late, "id", json_object_get(hy->reqs[0], "id"));
	fake_send(hy, late);
	pump(fx, 50);
	assert_null(strstr(ds_cstr(&fx->out), "!"));
	assert_int_equal(hy->n_reqs, 1);
	dev_session_gone(s);
	pump(fx, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ping_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_traceroute, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_show_ip_arp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

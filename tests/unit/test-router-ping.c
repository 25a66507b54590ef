// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of a router's own pings (agent/router-ping.h and the pipeline's
 * dp_from_router()), against the fixture view (tests/dp-fixture.h, host h1
 * of id 1): the echo request's bytes and the parsing of answers (echo
 * reply, time exceeded and unreachable quoting the probe, and what is no
 * answer); the router's own packets through the pipeline — to a local
 * port with the TTL they were sent with and no input counted, to another
 * host in the VN's class, to one of the router's own addresses, to an
 * address nobody has — and answers coming back from a port or passed on
 * from the host that got them; then the whole agent side with a real
 * data-plane thread, whose ports are socket pairs the test answers on:
 * ping replies measured, a probe that times out, errors, "arp", and a
 * reset that forgets what runs.
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "datapath.h"
#include "pipeline.h"
#include "router-ping.h"
#include "tables-private.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SELF_ID 1 /* the fixture's host h1 */

/* ---- the packets ---- */

static void test_echo_and_answers(void **state)
{
	uint8_t f[2048], err[2048];
	struct pkt_info pi;
	struct rp_answer a;
	size_t n, m;

	(void)state;
	n = router_ping_echo_build(f, sizeof f, &fx_r1_db_mac, FX_R1_DB, FX_DB1, 100, 7, 0x0102,
				   0x0304);
	assert_int_equal(n, ETH_HEADER_LEN + 100);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_int_equal(pi.proto, IP_PROTO_ICMP);
	assert_true(pi.l4_ok);
	assert_int_equal(pi.icmp_type, ICMP_ECHO_REQUEST);
	assert_int_equal(pi.src_port, 0x0102);
	assert_int_equal(pi.ttl, 7);
	assert_int_equal(pi.src_ip, FX_R1_DB);
	assert_int_equal(pi.dst_ip, FX_DB1);
	assert_int_equal(pi.l3_len, 100);
	/* The ICMP checksum holds. */
	assert_int_equal(csum_fold(csum_partial(f + pi.l4_ofs, pi.l4_len, 0)), 0);
	/* IOS's pattern after the header. */
	assert_int_equal(f[pi.l4_ofs + 8], 0xab);
	assert_int_equal(f[pi.l4_ofs + 9], 0xcd);
	/* A request is no answer. */
	assert_false(router_ping_answer_parse(f, n, &a));
	/* Too small or too big for the buffer. */
	assert_int_equal(router_ping_echo_build(f, sizeof f, &fx_r1_db_mac, 1, 2, 27, 1, 1, 1), 0);
	assert_int_equal(router_ping_echo_build(f, 100, &fx_r1_db_mac, 1, 2, 100, 1, 1, 1), 0);

	/* A time exceeded from 10.1.2.20 about it. */
	memcpy(err, f, n);
	m = packet_icmp_make_error(err, sizeof err, &pi, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED,
				   FX_NFV, &fx_nfv_mac);
	assert_true(m > 0);
	assert_true(router_ping_answer_parse(err, m, &a));
	assert_int_equal(a.kind, RP_TIME_EXCEEDED);
	assert_int_equal(a.id, 0x0102);
	assert_int_equal(a.seq, 0x0304);
	assert_int_equal(a.probe_src, FX_R1_DB);
	assert_int_equal(a.probe_dst, FX_DB1);
	assert_int_equal(a.from, FX_NFV);

	/* An unreachable, code 1. */
	memcpy(err, f, n);
	m = packet_icmp_make_error(err, sizeof err, &pi, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
				   FX_R1_DB, &fx_r1_db_mac);
	assert_true(router_ping_answer_parse(err, m, &a));
	assert_int_equal(a.kind, RP_UNREACHABLE);
	assert_int_equal(a.code, ICMP_HOST_UNREACH);
	assert_int_equal(a.from, FX_R1_DB);

	/* The echo reply of db1. */
	m = packet_icmp_make_echo_reply(f, &pi, FX_DB1, &fx_db1_mac);
	assert_true(router_ping_answer_parse(f, m, &a));
	assert_int_equal(a.kind, RP_ECHO_REPLY);
	assert_int_equal(a.id, 0x0102);
	assert_int_equal(a.seq, 0x0304);
	assert_int_equal(a.probe_src, FX_R1_DB);
	assert_int_equal(a.probe_dst, FX_DB1);
	assert_int_equal(a.from, FX_DB1);

	/* An error about a UDP packet is no answer; nor is garbage. */
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_R1_DB, FX_DB1, 1, 2, 5, 10);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	m = packet_icmp_make_error(f, sizeof f, &pi, ICMP_TIME_EXCEEDED, 0, FX_NFV, &fx_nfv_mac);
	assert_false(router_ping_answer_parse(f, m, &a));
	memset(f, 0x45, 64);
	assert_false(router_ping_answer_parse(f, 64, &a));
	assert_false(router_ping_answer_parse(f, 3, &a));
}

/* ---- the pipeline ---- */

struct pipe_env {
	struct dp_counters_registry *reg;
	struct dp_tables *t;
	struct dp_ctx *ctx;
	uint8_t storage[DP_BUF_MIN_SIZE];
	struct dp_buf b;
	struct dp_action a;
};

static int pipe_setup(void **state)
{
	struct pipe_env *e = calloc(1, sizeof *e);
	json_t *view = dp_fixture_view();
	char *err;

	e->reg = dp_counters_registry_create();
	err = dp_tables_build(view, e->reg, &e->t);
	json_decref(view);
	if (err) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	e->ctx = dp_ctx_create(e->reg, 0, 1024);
	dp_ctx_set_time(e->ctx, 1000000);
	*state = e;
	return 0;
}

static int pipe_teardown(void **state)
{
	struct pipe_env *e = *state;

	dp_ctx_destroy(e->ctx);
	dp_tables_destroy(e->t);
	dp_counters_registry_destroy(e->reg);
	free(e);
	return 0;
}

/* The router r1 sends a probe from 'src' to 'dst' with TTL 'ttl'. */
static void own(struct pipe_env *e, uint32_t vni, uint32_t src, uint32_t dst, uint8_t ttl,
		uint16_t id)
{
	dp_buf_init(&e->b, e->storage, sizeof e->storage);
	e->b.len = router_ping_echo_build(e->b.data, dp_buf_tailroom(&e->b), &fx_r1_db_mac, src,
					  dst, 100, ttl, id, 9);
	assert_true(e->b.len > 0);
	dp_from_router(e->ctx, e->t, vni, &e->b, &e->a);
}

static struct dp_counter_block rif_counters(struct pipe_env *e, uint32_t rif)
{
	struct dp_counter_block c;

	dp_counters_sum(e->t->rifs[rif].ctr, &c);
	return c;
}

/* The frame in e->b (at 'ofs') as an answer. */
static struct rp_answer local_answer(struct pipe_env *e)
{
	struct rp_answer a;

	if (e->a.verdict != DP_TO_LOCAL)
		fail_msg("verdict %d (drop reason %s), wanted to the router", e->a.verdict,
			 dp_drop_reason_name(e->a.reason));
	assert_int_equal(e->a.vni, FX_VNI_BLUE);
	assert_true(router_ping_answer_parse(e->b.data, e->b.len, &a));
	return a;
}

static void test_pipeline_own_packets(void **state)
{
	struct pipe_env *e = *state;
	struct dp_counter_block gi0 = rif_counters(e, 0), gi1 = rif_counters(e, 1), c;
	const struct vxlan_header *vx;
	const struct eth_header *eth;
	struct pkt_info pi;
	struct rp_answer a;

	/* To db2 on this host: out of Gi0/1 with the TTL it was sent with;
	 * counted as output of Gi0/1, as input of nothing. */
	own(e, FX_VNI_BLUE, FX_R1_DB, FX_DB2, 64, SELF_ID);
	assert_int_equal(e->a.verdict, DP_TO_PORT);
	assert_int_equal(e->a.port, FX_PORT_DB2);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.ttl, 64);
	eth = (const void *)e->b.data;
	assert_memory_equal(eth->src.b, fx_r1_db_mac.b, 6);
	assert_memory_equal(eth->dst.b, fx_db2_mac.b, 6);
	c = rif_counters(e, 1);
	assert_int_equal(c.tx_packets, gi1.tx_packets + 1);
	assert_int_equal(c.rx_packets, gi1.rx_packets);
	c = rif_counters(e, 0);
	assert_int_equal(c.rx_packets, gi0.rx_packets);

	/* To db1 on h3: encapsulated in blue's class (platinum, via h2),
	 * for host 3. */
	own(e, FX_VNI_BLUE, FX_R1_DB, FX_DB1, 1, SELF_ID);
	assert_int_equal(e->a.verdict, DP_TO_UNDERLAY);
	assert_int_equal(e->a.next_hop, FX_H2);
	assert_int_equal(e->a.dscp, FX_DSCP_PLATINUM);
	vx = (const void *)e->b.data;
	assert_int_equal(ntohs(vx->dst_host_be), 3);
	assert_int_equal(vxlan_get_vni(vx), FX_VNI_BLUE);
	assert_int_equal(
	    packet_parse_frame(e->b.data + VXLAN_HEADER_LEN, e->b.len - VXLAN_HEADER_LEN, &pi),
	    PKT_OK);
	assert_int_equal(pi.ttl, 1); /* the destination is the first hop */

	/* From Gi0/1 to the router's own other address: it answers itself. */
	own(e, FX_VNI_BLUE, FX_R1_DB, FX_R1_WEB, 64, SELF_ID);
	a = local_answer(e);
	assert_int_equal(a.kind, RP_ECHO_REPLY);
	assert_int_equal(a.from, FX_R1_WEB);
	assert_int_equal(a.probe_src, FX_R1_DB);
	assert_int_equal(a.seq, 9);

	/* To an address nobody has: the router's own unreachable. */
	own(e, FX_VNI_BLUE, FX_R1_DB, FX_IP(10, 1, 2, 99), 64, SELF_ID);
	a = local_answer(e);
	assert_int_equal(a.kind, RP_UNREACHABLE);
	assert_int_equal(a.code, ICMP_HOST_UNREACH);
	assert_int_equal(a.from, FX_R1_DB);

	/* Beyond the static route (via nfv on h2) with TTL 1: nfv is hop
	 * 1, as an instance that routes takes one off itself. */
	own(e, FX_VNI_BLUE, FX_R1_DB, FX_IP(10, 9, 1, 1), 1, SELF_ID);
	assert_int_equal(e->a.verdict, DP_TO_UNDERLAY);
	vx = (const void *)e->b.data;
	assert_int_equal(ntohs(vx->dst_host_be), 2);
	assert_int_equal(
	    packet_parse_frame(e->b.data + VXLAN_HEADER_LEN, e->b.len - VXLAN_HEADER_LEN, &pi),
	    PKT_OK);
	assert_int_equal(pi.ttl, 1);

	/* No such VN; a source that is no router address; TTL 255. */
	own(e, 4242, FX_R1_DB, FX_DB2, 64, SELF_ID);
	assert_int_equal(e->a.verdict, DP_DROP);
	assert_int_equal(e->a.reason, DP_DROP_VNI_UNKNOWN);
	own(e, FX_VNI_BLUE, FX_DB1, FX_DB2, 64, SELF_ID);
	assert_int_equal(e->a.verdict, DP_DROP);
	assert_int_equal(e->a.reason, DP_DROP_NOT_FOR_US);
	own(e, FX_VNI_BLUE, FX_R1_DB, FX_DB2, 255, SELF_ID);
	assert_int_equal(e->a.verdict, DP_DROP);
}

/* db2's echo reply to a probe from r1 with identifier 'id'. */
static void db2_reply(struct pipe_env *e, uint16_t id)
{
	struct pkt_info pi;

	dp_buf_init(&e->b, e->storage, sizeof e->storage);
	e->b.len = router_ping_echo_build(e->b.data, dp_buf_tailroom(&e->b), &fx_r1_db_mac,
					  FX_R1_DB, FX_DB2, 100, 64, id, 77);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	e->b.len = packet_icmp_make_echo_reply(e->b.data, &pi, FX_DB2, &fx_db2_mac);
	/* The reply goes to the router's MAC (the request came from it). */
	((struct eth_header *)e->b.data)->dst = fx_r1_db_mac;
	dp_from_port(e->ctx, e->t, FX_PORT_DB2, &e->b, &e->a);
}

static void test_pipeline_answers(void **state)
{
	struct pipe_env *e = *state;
	struct dp_counter_block gi1, c;
	const struct eth_header *eth;
	const struct vxlan_header *vx;
	uint8_t inner[2048];
	size_t n;
	struct rp_answer a;

	/* An answer to one of our probes: for the control thread. */
	gi1 = rif_counters(e, 1);
	db2_reply(e, SELF_ID);
	a = local_answer(e);
	assert_int_equal(a.kind, RP_ECHO_REPLY);
	assert_int_equal(a.seq, 77);
	c = rif_counters(e, 1);
	assert_int_equal(c.rx_packets, gi1.rx_packets + 1); /* it entered Gi0/1 */

	/* One to a probe of h3's agent: on to h3 (platinum, via h2), as a
	 * frame from the router's MAC to itself. */
	db2_reply(e, 3);
	assert_int_equal(e->a.verdict, DP_TO_UNDERLAY);
	assert_int_equal(e->a.next_hop, FX_H2);
	assert_int_equal(e->a.dscp, FX_DSCP_PLATINUM);
	vx = (const void *)e->b.data;
	assert_int_equal(ntohs(vx->dst_host_be), 3);
	eth = (const void *)(e->b.data + VXLAN_HEADER_LEN);
	assert_memory_equal(eth->src.b, fx_r1_db_mac.b, 6);
	assert_memory_equal(eth->dst.b, fx_r1_db_mac.b, 6);

	/* What h3 would do with such a frame from h2 for us: straight to
	 * the control thread, not routed again (no input counted). */
	n = e->b.len - VXLAN_HEADER_LEN;
	memcpy(inner, e->b.data + VXLAN_HEADER_LEN, n);
	/* (as if it were an answer to our probe, passed on to us) */
	{
		struct dp_outer outer = {
		    .src_addr = FX_H2, .src_port = 50000, .dscp = FX_DSCP_PLATINUM};

		gi1 = rif_counters(e, 1);
		dp_buf_init(&e->b, e->storage, sizeof e->storage);
		memcpy(e->b.data + VXLAN_HEADER_LEN, inner, n);
		e->b.len = fx_vxlan(e->b.data, n, FX_VNI_BLUE, 0, SELF_ID);
		dp_from_underlay(e->ctx, e->t, &outer, &e->b, &e->a);
		assert_int_equal(e->a.verdict, DP_TO_LOCAL);
		assert_int_equal(e->a.vni, FX_VNI_BLUE);
		c = rif_counters(e, 1);
		assert_int_equal(c.rx_packets, gi1.rx_packets);
	}

	/* Identifier 0 is no host's: dropped. */
	db2_reply(e, 0);
	assert_int_equal(e->a.verdict, DP_DROP);
	/* A host without a forwarding entry (h4): dropped. */
	db2_reply(e, 4);
	assert_int_equal(e->a.verdict, DP_DROP);
	assert_int_equal(e->a.reason, DP_DROP_NO_FWD_ENTRY);
}

/* ---- the agent side, with a data-plane thread ---- */

/* The fixture's local ports (id order), each a socket pair. */
enum { P_DB2, P_WEB1, P_WEB2, P_APP1, N_PAIRS };
static const char *const pair_names[N_PAIRS] = {
    "onm0000000000a0",
    "onm0000000000a1",
    "onm0000000000a2",
    "onm0000000000b1",
};

struct agent_env {
	struct dp_counters_registry *reg;
	struct datapath *dp;
	struct event_base *base;
	struct router_ping *rp;
	json_t *view;
	int dp_end[N_PAIRS], test_end[N_PAIRS];
	json_t *responses; /* what the module sent, in order */
};

static void on_send(void *e_, const json_t *response)
{
	struct agent_env *e = e_;

	json_array_append_new(e->responses, json_deep_copy(response));
}

static uint16_t free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sin;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static int agent_setup(void **state)
{
	struct agent_env *e = calloc(1, sizeof *e);
	struct dp_tables *t;
	char *error;

	e->reg = dp_counters_registry_create();
	if (datapath_create_on(e->reg, INADDR_LOOPBACK, free_udp_port(), &e->dp, &error)) {
		fprintf(stderr, "datapath_create: %s\n", error);
		free(error);
		return -1;
	}
	for (int i = 0; i < N_PAIRS; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return -1;
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		e->dp_end[i] = sv[0];
		e->test_end[i] = sv[1];
	}
	e->view = dp_fixture_view();
	error = dp_tables_build(e->view, e->reg, &t);
	if (error) {
		fprintf(stderr, "%s\n", error);
		return -1;
	}
	for (uint32_t p = 0; p < dp_tables_n_ports(t); p++)
		for (int i = 0; i < N_PAIRS; i++)
			if (!strcmp(dp_tables_port_name(t, p), pair_names[i]))
				dp_tables_port_set_cookie(t, p, (uintptr_t)e->dp_end[i] + 1);
	datapath_publish(e->dp, t);
	e->base = event_base_new();
	e->responses = json_array();
	e->rp = router_ping_create(e->base, e->dp, on_send, e);
	*state = e;
	return 0;
}

static int agent_teardown(void **state)
{
	struct agent_env *e = *state;

	router_ping_destroy(e->rp);
	datapath_destroy(e->dp);
	for (int i = 0; i < N_PAIRS; i++) {
		close(e->dp_end[i]);
		close(e->test_end[i]);
	}
	event_base_free(e->base);
	json_decref(e->view);
	json_decref(e->responses);
	dp_counters_registry_destroy(e->reg);
	free(e);
	return 0;
}

static void request(struct agent_env *e, const char *json)
{
	json_t *req = json_loads(json, 0, NULL);

	assert_non_null(req);
	router_ping_request(e->rp, req, e->view);
	json_decref(req);
}

/* Turns the loop until there are 'n' responses, for at most 'ms'. */
static void wait_responses(struct agent_env *e, size_t n, int ms)
{
	uint64_t deadline = time_usec() + (uint64_t)ms * 1000;

	while (json_array_size(e->responses) < n && time_usec() < deadline) {
		event_base_loop(e->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(500);
	}
	if (json_array_size(e->responses) < n)
		fail_msg("%zu responses, wanted %zu", json_array_size(e->responses), n);
}

static json_t *response(struct agent_env *e, size_t i)
{
	return json_array_get(e->responses, i);
}

/* Reads the next frame on the test side of pair 'i', turning the loop. */
static ssize_t frame_recv(struct agent_env *e, int i, uint8_t *f, size_t size)
{
	for (int k = 0; k < 2000; k++) {
		struct pollfd pfd = {e->test_end[i], POLLIN, 0};

		if (poll(&pfd, 1, 1) == 1)
			return read(e->test_end[i], f, size);
		event_base_loop(e->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	return -1;
}

static void test_agent_ping(void **state)
{
	struct agent_env *e = *state;
	uint8_t f[2048];
	struct pkt_info pi;
	json_t *r, *res;
	ssize_t n;
	size_t len;

	/* Two probes to db2 (local): the first answered, the second not. */
	request(e, "{\"type\":\"request\",\"id\":5,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.2.1\",\"dst\":\"10.1.2.11\",\"count\":2,\"timeout_ms\":200,"
		   "\"size\":64,\"ttl\":9}");
	assert_int_equal(router_ping_n_running(e->rp), 1);
	n = frame_recv(e, P_DB2, f, sizeof f);
	assert_int_equal(n, ETH_HEADER_LEN + 64);
	assert_int_equal(packet_parse_frame(f, (size_t)n, &pi), PKT_OK);
	assert_int_equal(pi.icmp_type, ICMP_ECHO_REQUEST);
	assert_int_equal(pi.src_ip, FX_R1_DB);
	assert_int_equal(pi.ttl, 9);
	assert_int_equal(pi.src_port, SELF_ID);
	usleep(3000); /* the RTT is at least this */
	len = packet_icmp_make_echo_reply(f, &pi, FX_DB2, &fx_db2_mac);
	assert_int_equal(write(e->test_end[P_DB2], f, len), (ssize_t)len);
	/* The second probe comes once the first is answered. */
	n = frame_recv(e, P_DB2, f, sizeof f);
	assert_true(n > 0);
	wait_responses(e, 1, 3000);
	r = response(e, 0);
	assert_string_equal(json_string_value(json_object_get(r, "type")), "response");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 5);
	assert_true(json_is_true(json_object_get(r, "ok")));
	res = json_object_get(r, "results");
	assert_int_equal(json_array_size(res), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(res, 0), "seq")), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "type")),
			    "echo_reply");
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "from")),
			    "10.1.2.11");
	assert_true(json_integer_value(json_object_get(json_array_get(res, 0), "rtt_us")) >= 3000);
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 1), "type")),
			    "timeout");
	assert_true(json_is_null(json_object_get(json_array_get(res, 1), "rtt_us")));
	assert_int_equal(router_ping_n_running(e->rp), 0);

	/* The router's own address, and an address nobody has. */
	request(e, "{\"type\":\"request\",\"id\":6,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.1.1\",\"dst\":\"10.1.2.1\",\"count\":3}");
	request(e, "{\"type\":\"request\",\"id\":7,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.2.1\",\"dst\":\"10.1.2.99\",\"count\":1}");
	wait_responses(e, 3, 3000);
	for (size_t i = 1; i < 3; i++) {
		r = response(e, i);
		res = json_object_get(r, "results");
		if (json_integer_value(json_object_get(r, "id")) == 6) {
			assert_int_equal(json_array_size(res), 3);
			for (size_t k = 0; k < 3; k++)
				assert_string_equal(json_string_value(json_object_get(
							json_array_get(res, k), "type")),
						    "echo_reply");
		} else {
			assert_int_equal(json_array_size(res), 1);
			assert_string_equal(
			    json_string_value(json_object_get(json_array_get(res, 0), "type")),
			    "unreachable");
			assert_int_equal(
			    json_integer_value(json_object_get(json_array_get(res, 0), "code")), 1);
			assert_string_equal(
			    json_string_value(json_object_get(json_array_get(res, 0), "from")),
			    "10.1.2.1");
		}
	}
}

static const char *error_of(struct agent_env *e, size_t i)
{
	json_t *r = response(e, i);

	assert_true(json_is_false(json_object_get(r, "ok")));
	return json_string_value(json_object_get(r, "error"));
}

static void test_agent_errors_and_reset(void **state)
{
	struct agent_env *e = *state;
	uint8_t f[2048];

	request(e, "{\"type\":\"request\",\"id\":1,\"op\":\"fly\"}");
	request(e, "{\"type\":\"request\",\"id\":2,\"op\":\"ping\",\"router\":\"acme/blue/r9\","
		   "\"src\":\"10.1.2.1\",\"dst\":\"10.1.2.11\"}");
	request(e, "{\"type\":\"request\",\"id\":3,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.2.2\",\"dst\":\"10.1.2.11\"}");
	request(e, "{\"type\":\"request\",\"id\":4,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.2.1\",\"dst\":\"10.1.2.11\",\"count\":0}");
	request(e, "{\"type\":\"request\",\"id\":5,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.2.1\",\"dst\":\"x\"}");
	request(e, "{\"type\":\"request\",\"id\":6,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.2.1\",\"dst\":\"10.1.2.11\",\"ttl\":255}");
	request(e, "{\"type\":\"request\",\"id\":7,\"op\":\"arp\",\"network\":\"acme/green\"}");
	assert_int_equal(json_array_size(e->responses), 7);
	assert_string_equal(error_of(e, 0), "unknown op \"fly\"");
	assert_string_equal(error_of(e, 1),
			    "ping: router acme/blue/r9 is not in this agent's view");
	assert_string_equal(error_of(e, 2),
			    "ping: router acme/blue/r1 has no interface with address 10.1.2.2");
	assert_string_equal(error_of(e, 3), "ping: \"count\" must be 1..10000");
	assert_string_equal(error_of(e, 4), "ping: \"dst\" must be an IPv4 address");
	assert_string_equal(error_of(e, 5), "ping: \"ttl\" must be 1..254");
	assert_string_equal(error_of(e, 6), "arp: network acme/green is not on this host");
	assert_int_equal(json_integer_value(json_object_get(response(e, 6), "id")), 7);

	/* A running ping is forgotten by a reset: no response, ever. */
	request(e, "{\"type\":\"request\",\"id\":8,\"op\":\"ping\",\"router\":\"acme/blue/r1\","
		   "\"src\":\"10.1.2.1\",\"dst\":\"10.1.2.11\",\"timeout_ms\":50}");
	assert_true(frame_recv(e, P_DB2, f, sizeof f) > 0);
	router_ping_reset(e->rp);
	assert_int_equal(router_ping_n_running(e->rp), 0);
	for (int i = 0; i < 100; i++) {
		event_base_loop(e->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_int_equal(json_array_size(e->responses), 7);
}

/* The entry of 'entries' for address 'ip', or NULL. */
static json_t *arp_entry(json_t *entries, const char *ip)
{
	size_t i;
	json_t *en;

	json_array_foreach (entries, i, en) {
		if (!strcmp(json_string_value(json_object_get(en, "ip")), ip))
			return en;
	}
	return NULL;
}

static void test_agent_arp(void **state)
{
	struct agent_env *e = *state;
	json_t *r, *entries, *en;

	request(e, "{\"type\":\"request\",\"id\":11,\"op\":\"arp\",\"network\":\"acme/blue\"}");
	assert_int_equal(json_array_size(e->responses), 1);
	r = response(e, 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "host")), "h1");
	entries = json_object_get(r, "entries");
	/* r1's two interfaces and blue's six instances; nothing of red. */
	assert_int_equal(json_array_size(entries), 8);
	en = arp_entry(entries, "10.1.1.1");
	assert_non_null(en);
	assert_string_equal(json_string_value(json_object_get(en, "kind")), "router");
	assert_string_equal(json_string_value(json_object_get(en, "router")), "acme/blue/r1");
	assert_string_equal(json_string_value(json_object_get(en, "interface")),
			    "GigabitEthernet0/0");
	assert_string_equal(json_string_value(json_object_get(en, "mac")), "02:aa:00:00:00:01");
	en = arp_entry(entries, "10.1.2.10");
	assert_non_null(en);
	assert_string_equal(json_string_value(json_object_get(en, "kind")), "instance");
	assert_string_equal(json_string_value(json_object_get(en, "instance")), "acme/blue/db1");
	assert_string_equal(json_string_value(json_object_get(en, "host")), "h3");
	assert_string_equal(json_string_value(json_object_get(en, "mac")), "02:00:00:00:02:0a");
	assert_true(json_is_false(json_object_get(en, "local")));
	en = arp_entry(entries, "10.1.2.11");
	assert_true(json_is_true(json_object_get(en, "local")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo_and_answers),
	    cmocka_unit_test_setup_teardown(test_pipeline_own_packets, pipe_setup, pipe_teardown),
	    cmocka_unit_test_setup_teardown(test_pipeline_answers, pipe_setup, pipe_teardown),
	    cmocka_unit_test_setup_teardown(test_agent_ping, agent_setup, agent_teardown),
	    cmocka_unit_test_setup_teardown(test_agent_errors_and_reset, agent_setup,
					    agent_teardown),
	    cmocka_unit_test_setup_teardown(test_agent_arp, agent_setup, agent_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the data-plane thread (agent/datapath.h) with a real thread and
 * real sockets but no TAP devices: each port's "TAP" is one end of a
 * SOCK_SEQPACKET socket pair (one read, one frame, like a TAP), the test
 * holding the other end; the underlay socket listens on a free loopback
 * port. Against the fixture view (tests/dp-fixture.h): frames switched
 * between two ports, an ARP reply sent back, port indices that change
 * between snapshots, a port removed (its descriptor closed only after the
 * data plane moved past it), garbage on the underlay counted, and many
 * snapshots published while traffic flows (run under ASan this catches a
 * snapshot freed too early). The underlay socket is bound to 127.0.0.1 and
 * the test listens as every next hop on 127.0.0.2 with the same port: the
 * class's DSCP in the outer header of what the data path sends, and the
 * DSCP of what it receives choosing the class in transit and at the
 * destination.
 */
/* cmocka.h needs these before it. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "counters.h"
#include "datapath.h"
#include "tables.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The fixture's local ports, and one more that sorts before them all. */
enum { P_DB2, P_WEB1, P_WEB2, P_APP1, P_AAA, N_PAIRS };
static const char *const pair_names[N_PAIRS] = {
    "onm0000000000a0", "onm0000000000a1", "onm0000000000a2", "onm0000000000b1", "onm0000000000ff",
};
static const struct eth_addr aaa_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x99}};
#define AAA_IP FX_IP(10, 1, 1, 99)

struct env {
	struct dp_counters_registry *reg;
	struct datapath *dp;
	uint16_t port;	       /* the underlay port */
	int dp_end[N_PAIRS];   /* the datapath's "TAP" descriptors (-1 once closed) */
	int test_end[N_PAIRS]; /* ours */
};

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

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof *e);
	char *error;

	e->reg = dp_counters_registry_create();
	e->port = free_udp_port();
	if (datapath_create_on(e->reg, INADDR_LOOPBACK, e->port, &e->dp, &error)) {
		fprintf(stderr, "datapath_create: %s\n", error);
		free(error);
		return -1;
	}
	for (int i = 0; i < N_PAIRS; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return -1;
		/* A TAP descriptor of the agent is non-blocking. */
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		e->dp_end[i] = sv[0];
		e->test_end[i] = sv[1];
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	datapath_destroy(e->dp);
	for (int i = 0; i < N_PAIRS; i++) {
		if (e->dp_end[i] >= 0)
			close(e->dp_end[i]);
		close(e->test_end[i]);
	}
	dp_counters_registry_destroy(e->reg);
	free(e);
	return 0;
}

/* The fixture view plus the instance "aaa" (first in id order) if 'with_aaa',
 * without web2 if 'without_web2'. */
static json_t *view_make(bool with_aaa, bool without_web2)
{
	json_t *view = dp_fixture_view();
	if (with_aaa) {
		json_t *aaa =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:[], s:s}", "tenant",
			      "acme", "network", "blue", "name", "aaa", "subnet", "web", "ip",
			      "10.1.1.99", "mac", "02:00:00:00:01:99", "host", "h1", "host_id", 1,
			      "security_groups", "port", pair_names[P_AAA]);
		json_object_set_new(view, "instance/acme/blue/aaa", aaa);
	}
	if (without_web2)
		json_object_del(view, "instance/acme/blue/web2");
	return view;
}

/* Builds tables from 'view' (consumed) with each port's cookie set to its
 * pair's descriptor, and publishes them. Returns the port count. */
static uint32_t publish(struct env *e, json_t *view)
{
	struct dp_tables *t;
	char *err = dp_tables_build(view, e->reg, &t);
	json_decref(view);
	if (err)
		fail_msg("dp_tables_build: %s", err);
	uint32_t n = dp_tables_n_ports(t);
	for (uint32_t p = 0; p < n; p++) {
		const char *name = dp_tables_port_name(t, p);
		for (int i = 0; i < N_PAIRS; i++)
			if (!strcmp(name, pair_names[i]) && e->dp_end[i] >= 0)
				dp_tables_port_set_cookie(t, p, (uintptr_t)e->dp_end[i] + 1);
	}
	datapath_publish(e->dp, t);
	return n;
}

/* Sends a frame from the instance side of pair 'i'. */
static void frame_send(struct env *e, int i, const uint8_t *f, size_t len)
{
	assert_int_equal(write(e->test_end[i], f, len), (ssize_t)len);
}

/* Receives a frame on the instance side of pair 'i' within 'timeout_ms';
 * returns its length, or -1. */
static ssize_t frame_recv(struct env *e, int i, uint8_t *f, size_t size, int timeout_ms)
{
	struct pollfd pfd = {e->test_end[i], POLLIN, 0};
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return read(e->test_end[i], f, size);
}

/* Waits (at most 2 s) until nothing the datapath retired is left. */
static void reclaim_all(struct env *e)
{
	for (int i = 0; i < 200 && datapath_reclaim(e->dp); i++)
		usleep(10 * 1000);
	assert_false(datapath_reclaim(e->dp));
}

static size_t echo_web1_to_web2(uint8_t *f, uint16_t id)
{
	return fx_icmp_echo(f, &fx_web1_mac, &fx_web2_mac, FX_WEB1, FX_WEB2, ICMP_ECHO_REQUEST, id,
			    64);
}

static void test_switch_and_arp(void **state)
{
	struct env *e = *state;
	uint8_t f[2048], g[2048];

	assert_null(datapath_tables(e->dp));
	assert_int_equal(publish(e, view_make(false, false)), FX_N_PORTS);
	assert_non_null(datapath_tables(e->dp));

	/* web1 -> web2, both on this host: switched from one TAP to the other. */
	size_t len = echo_web1_to_web2(f, 1);
	frame_send(e, P_WEB1, f, len);
	ssize_t n = frame_recv(e, P_WEB2, g, sizeof g, 2000);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(g, f, len);

	/* An ARP request for the router is answered on the same port. */
	len = fx_arp_request(f, &fx_web1_mac, FX_WEB1, FX_R1_WEB);
	frame_send(e, P_WEB1, f, len);
	n = frame_recv(e, P_WEB1, g, sizeof g, 2000);
	assert_true(n >= (ssize_t)(ETH_HEADER_LEN + sizeof(struct arp_header)));
	const struct arp_header *arp = (const void *)(g + ETH_HEADER_LEN);
	assert_int_equal(ntohs(arp->op_be), ARP_OP_REPLY);
	assert_memory_equal(&arp->sha, &fx_r1_web_mac, sizeof arp->sha);
	assert_int_equal(ntohl(arp->spa_be), FX_R1_WEB);
	/* Nothing went to the other ports. */
	assert_int_equal(frame_recv(e, P_WEB2, g, sizeof g, 50), -1);
	assert_int_equal(frame_recv(e, P_APP1, g, sizeof g, 0), -1);
	assert_true(datapath_epoch(e->dp) > 0);
}

static void test_ports_change(void **state)
{
	struct env *e = *state;
	uint8_t f[2048], g[2048];
	size_t len;

	publish(e, view_make(false, false));
	/* "aaa" sorts first: every other port's index moves up by one. */
	assert_int_equal(publish(e, view_make(true, false)), FX_N_PORTS + 1);
	len = echo_web1_to_web2(f, 2);
	frame_send(e, P_WEB1, f, len);
	assert_int_equal(frame_recv(e, P_WEB2, g, sizeof g, 2000), (ssize_t)len);
	assert_memory_equal(g, f, len);

	/* The new port is polled: its ARP request for web1 is answered. */
	len = fx_arp_request(f, &aaa_mac, AAA_IP, FX_WEB1);
	frame_send(e, P_AAA, f, len);
	ssize_t n = frame_recv(e, P_AAA, g, sizeof g, 2000);
	assert_true(n >= (ssize_t)(ETH_HEADER_LEN + sizeof(struct arp_header)));
	const struct arp_header *arp = (const void *)(g + ETH_HEADER_LEN);
	assert_memory_equal(&arp->sha, &fx_web1_mac, sizeof arp->sha);

	/* web2 leaves: publish without it, then hand its descriptor over. */
	publish(e, view_make(true, true));
	int fd = e->dp_end[P_WEB2];
	e->dp_end[P_WEB2] = -1;
	datapath_close_deferred(e->dp, fd);
	reclaim_all(e);
	errno = 0;
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	/* The instance side sees its NIC go. */
	struct pollfd pfd = {e->test_end[P_WEB2], POLLIN, 0};
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_true(pfd.revents & POLLHUP);

	/* Traffic among the others goes on. */
	len = fx_arp_request(f, &fx_web1_mac, FX_WEB1, FX_R1_WEB);
	frame_send(e, P_WEB1, f, len);
	assert_true(frame_recv(e, P_WEB1, g, sizeof g, 2000) > 0);
}

static void test_port_without_tap(void **state)
{
	struct env *e = *state;
	uint8_t f[2048], g[2048];

	/* web2 has no TAP in this snapshot (its creation failed, say). */
	close(e->dp_end[P_WEB2]);
	e->dp_end[P_WEB2] = -1;
	publish(e, view_make(false, false));
	uint64_t before = dp_counters_registry_drop_total(e->reg, DP_DROP_QUEUE_FULL);
	size_t len = echo_web1_to_web2(f, 3);
	frame_send(e, P_WEB1, f, len);
	for (int i = 0; i < 200; i++) {
		if (dp_counters_registry_drop_total(e->reg, DP_DROP_QUEUE_FULL) > before)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(dp_counters_registry_drop_total(e->reg, DP_DROP_QUEUE_FULL), before + 1);
	assert_int_equal(frame_recv(e, P_WEB1, g, sizeof g, 0), -1);
}

/* Sends 'len' bytes to the underlay port on loopback. */
static void underlay_send(struct env *e, const void *data, size_t len)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(e->port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, data, len, 0, (struct sockaddr *)&sin, sizeof sin),
			 (ssize_t)len);
	close(fd);
}

static void wait_drop(struct env *e, enum dp_drop_reason reason, uint64_t want)
{
	for (int i = 0; i < 200; i++) {
		if (dp_counters_registry_drop_total(e->reg, reason) >= want)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(dp_counters_registry_drop_total(e->reg, reason), want);
}

static void test_underlay_garbage(void **state)
{
	struct env *e = *state;
	static const uint8_t junk[] = "garbage";
	static const uint8_t short_vxlan[] = {0x08, 0x00, 0x00};

	/* No tables yet: nothing is for us. */
	underlay_send(e, junk, sizeof junk);
	wait_drop(e, DP_DROP_NOT_FOR_US, 1);

	publish(e, view_make(false, false));
	underlay_send(e, junk, sizeof junk);
	underlay_send(e, short_vxlan, sizeof short_vxlan);
	wait_drop(e, DP_DROP_PARSE, 2);

	/* A well-formed packet for a VNI we do not have. */
	uint8_t f[2048];
	size_t len = fx_arp_request(f + VXLAN_HEADER_LEN, &fx_web1_mac, FX_WEB1, FX_WEB2);
	len = fx_vxlan(f, len, 0xabcdef, 0, 0);
	underlay_send(e, f, len);
	wait_drop(e, DP_DROP_VNI_UNKNOWN, 1);
}

/* The next hops' address: the test listens there. */
#define NH_ADDR FX_IP(127, 0, 0, 2)

/* A UDP socket on NH_ADDR and the underlay port that reports the TOS of
 * what it receives. */
static int next_hop_socket(struct env *e)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(e->port),
	    .sin_addr.s_addr = htonl(NH_ADDR),
	};

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof on), 0);
	return fd;
}

/* Receives a datagram on 'fd' within 'timeout_ms': returns its length (or
 * -1) and sets '*tos' to its outer TOS byte (-1 if not reported). */
static ssize_t dgram_recv(int fd, uint8_t *buf, size_t size, int *tos, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, size};
	struct msghdr m = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof control.buf,
	};
	struct pollfd pfd = {fd, POLLIN, 0};
	ssize_t n;

	*tos = -1;
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	n = recvmsg(fd, &m, 0);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			*tos = *(const uint8_t *)CMSG_DATA(c);
	return n;
}

/* Sends 'len' bytes from 'fd' to the data path with outer DSCP 'dscp'. */
static void dgram_send(struct env *e, int fd, const void *data, size_t len, uint8_t dscp)
{
	int tos = ip_tos_from_dscp(dscp);
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(e->port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos), 0);
	assert_int_equal(sendto(fd, data, len, 0, (struct sockaddr *)&sin, sizeof sin),
			 (ssize_t)len);
}

/* The fixture's view with every next hop of platinum, silver and
 * quarantine to h3 on NH_ADDR. */
static json_t *view_next_hops_here(void)
{
	json_t *view = dp_fixture_view(), *hop;
	static const char *const keys[] = {"fwd/platinum/h3", "fwd/silver/h3", "fwd/quarantine/h3"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *f = json_object_get(view, keys[i]);

		hop = json_pack("[{s:s, s:s}]", "name", "h2", "address", "127.0.0.2");
		json_object_set_new(f, "next_hops", hop);
		if (json_object_get(f, "pre_waypoint"))
			json_object_set(f, "pre_waypoint", hop);
	}
	return view;
}

/* Checks the VXLAN header of 'd': VNI 'vni', flags byte 'flags',
 * destination 'dst'. */
static void expect_header(const uint8_t *d, ssize_t n, uint32_t vni, uint8_t flags, uint16_t dst)
{
	const uint8_t hdr[8] = {0x08,
				flags,
				(uint8_t)(dst >> 8),
				(uint8_t)dst,
				(uint8_t)(vni >> 16),
				(uint8_t)(vni >> 8),
				(uint8_t)vni,
				0};

	assert_true(n > VXLAN_HEADER_LEN + ETH_HEADER_LEN);
	assert_memory_equal(d, hdr, 8);
}

/* What the data path sends carries the class's DSCP: web1 -> db1 is blue
 * (platinum, 46), app1 -> app2 red (silver, 10). The frames wait in their
 * TAPs until the snapshot is published, so that one round reads both and
 * sends them in one batch: equal-size datagrams to one next hop, which
 * must not share a segmentation offload message across classes. */
static void test_underlay_dscp_sent(void **state)
{
	struct env *e = *state;
	int nh = next_hop_socket(e), tos;
	unsigned int blue = 0, red = 0;
	uint8_t f[2048], d[2048];
	ssize_t n;

	for (int i = 0; i < 8; i++) {
		size_t len = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1,
				    (uint16_t)(30000 + i), 53, 64, 100);
		frame_send(e, P_WEB1, f, len);
		len = fx_udp(f, &fx_app1_mac, &fx_app2_mac, FX_APP1, FX_APP2, (uint16_t)(30000 + i),
			     53, 64, 100);
		frame_send(e, P_APP1, f, len);
	}
	publish(e, view_next_hops_here());
	while (blue + red < 16 && (n = dgram_recv(nh, d, sizeof d, &tos, 2000)) > 0) {
		uint32_t vni = (uint32_t)d[4] << 16 | (uint32_t)d[5] << 8 | d[6];

		if (vni == FX_VNI_BLUE) {
			expect_header(d, n, FX_VNI_BLUE, 0, 3);
			assert_int_equal(tos, ip_tos_from_dscp(FX_DSCP_PLATINUM));
			blue++;
		} else {
			expect_header(d, n, FX_VNI_RED, 0, 3);
			assert_int_equal(tos, ip_tos_from_dscp(FX_DSCP_SILVER));
			red++;
		}
	}
	assert_int_equal(blue, 8);
	assert_int_equal(red, 8);
	close(nh);
}

/* What the data path receives is classed by its DSCP: in transit (the same
 * packet takes the way of the class its DSCP names, keeps that DSCP and
 * counts on that class's transit counters), unknown DSCPs dropped; at the
 * destination, a waypoint class without W dropped. */
static void test_underlay_dscp_received(void **state)
{
	struct env *e = *state;
	int nh = next_hop_socket(e), tos;
	uint8_t f[2048], d[2048];
	ssize_t n;
	size_t len;

	publish(e, view_next_hops_here());
	len =
	    fx_udp(f + VXLAN_HEADER_LEN, &fx_r1_db_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 1, 2, 63, 40);
	len = fx_vxlan(f, len, FX_VNI_BLUE, 0, 3);
	static const uint8_t classes[] = {FX_DSCP_PLATINUM, FX_DSCP_SILVER, FX_DSCP_QUARANTINE};

	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		dgram_send(e, nh, f, len, classes[i]);
		n = dgram_recv(nh, d, sizeof d, &tos, 2000);
		assert_int_equal(n, (ssize_t)len);
		assert_int_equal(tos, ip_tos_from_dscp(classes[i]));
		expect_header(d, n, FX_VNI_BLUE, 0, 3);
		assert_memory_equal(d + 8, f + 8, len - 8);
	}
	/* Quarantine after a waypoint keeps W. */
	f[1] = VXLAN_ONM_W;
	dgram_send(e, nh, f, len, FX_DSCP_QUARANTINE);
	n = dgram_recv(nh, d, sizeof d, &tos, 2000);
	assert_int_equal(tos, ip_tos_from_dscp(FX_DSCP_QUARANTINE));
	expect_header(d, n, FX_VNI_BLUE, VXLAN_ONM_W, 3);
	/* A DSCP of no class. */
	f[1] = 0;
	dgram_send(e, nh, f, len, 63);
	wait_drop(e, DP_DROP_CLASS_UNKNOWN, 1);
	assert_int_equal(dgram_recv(nh, d, sizeof d, &tos, 50), -1);
	/* The report counts what went on per class, bytes of the inner frame
	 * (the data-plane thread counted each before sending it). */
	json_t *c = dp_counters_registry_render(e->reg), *tr = json_object_get(c, "transit");
	static const struct {
		const char *name;
		json_int_t packets;
	} carried[] = {{"platinum", 1}, {"silver", 1}, {"quarantine", 2}, {"gold", 0}};

	for (size_t i = 0; i < ARRAY_SIZE(carried); i++) {
		json_t *k = json_object_get(tr, carried[i].name);

		assert_int_equal(json_integer_value(json_object_get(k, "packets")),
				 carried[i].packets);
		assert_int_equal(json_integer_value(json_object_get(k, "bytes")),
				 carried[i].packets * (json_int_t)(len - VXLAN_HEADER_LEN));
		assert_int_equal(json_integer_value(json_object_get(k, "drops")), 0);
	}
	json_decref(c);

	/* db1 pings web1 with quarantine's DSCP: without W it is dropped,
	 * with W it arrives. */
	len = fx_icmp_echo(f + VXLAN_HEADER_LEN, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1,
			   ICMP_ECHO_REQUEST, 9, 63);
	len = fx_vxlan(f, len, FX_VNI_BLUE, 0, 1);
	dgram_send(e, nh, f, len, FX_DSCP_QUARANTINE);
	wait_drop(e, DP_DROP_WAYPOINT_SKIPPED, 1);
	assert_int_equal(frame_recv(e, P_WEB1, d, sizeof d, 50), -1);
	f[1] = VXLAN_ONM_W;
	dgram_send(e, nh, f, len, FX_DSCP_QUARANTINE);
	n = frame_recv(e, P_WEB1, d, sizeof d, 2000);
	assert_int_equal(n, (ssize_t)(len - VXLAN_HEADER_LEN));
	assert_memory_equal(d, f + VXLAN_HEADER_LEN, (size_t)n);
	close(nh);
}

struct load {
	struct env *e;
	atomic_bool stop;
	unsigned int sent, received;
};

/* Sends echo frames web1 -> web2 and drains web2 until told to stop. */
static void *load_main(void *load_)
{
	struct load *l = load_;
	uint8_t f[2048], g[2048];
	size_t len = echo_web1_to_web2(f, 4);

	fcntl(l->e->test_end[P_WEB1], F_SETFL, O_NONBLOCK);
	fcntl(l->e->test_end[P_WEB2], F_SETFL, O_NONBLOCK);
	while (!atomic_load(&l->stop)) {
		for (int i = 0; i < 16; i++)
			if (write(l->e->test_end[P_WEB1], f, len) == (ssize_t)len)
				l->sent++;
		while (read(l->e->test_end[P_WEB2], g, sizeof g) > 0)
			l->received++;
		usleep(100);
	}
	return NULL;
}

static void test_publish_under_load(void **state)
{
	struct env *e = *state;
	struct load l = {.e = e};
	pthread_t thread;

	atomic_init(&l.stop, false);
	publish(e, view_make(false, false));
	assert_int_equal(pthread_create(&thread, NULL, load_main, &l), 0);
	/* Snapshots come and go while packets flow; the index of every port
	 * changes every other time. */
	for (int i = 0; i < 200; i++) {
		publish(e, view_make(i % 2, false));
		datapath_reclaim(e->dp);
		if (i % 20 == 0)
			usleep(1000);
	}
	usleep(50 * 1000);
	atomic_store(&l.stop, true);
	pthread_join(thread, NULL);
	reclaim_all(e);
	assert_true(l.sent > 0);
	assert_true(l.received > 0);
	assert_true(l.received <= l.sent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_switch_and_arp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ports_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_without_tap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_underlay_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_underlay_dscp_sent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_underlay_dscp_received, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish_under_load, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

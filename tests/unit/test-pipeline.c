// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the packet's way through one agent (agent/pipeline.h): crafted
 * frames through dp_from_port() and dp_from_underlay() against the fixture
 * view (the spec.md example as h1 sees it, tests/dp-fixture.h), checking
 * the action, the bytes that leave and the counters: ARP proxy, DHCP, port
 * security, switching and routing (TTL, MAC rewrite, ICMP replies and
 * errors, static route), stateful security groups with from_group,
 * encapsulation with VNI, flags, destination and the class's DSCP,
 * decapsulation, transit hops with the class taken from the DSCP, equal-
 * cost next hops, waypoints (pre-waypoint hops, the W flag, the check at
 * the destination), kernel VTEP interop, tenant isolation with
 * overlapping addresses, and the counters (per port, VN and router
 * interface, and per class of the packets carried in transit). Then the
 * router interfaces' settings: shutdown, access lists, traffic shaping on a
 * simulated clock, and redirects with their replies translated back
 * (checksums verified by recomputing them).
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "conntrack.h"
#include "pipeline.h"
#include "tables-private.h"

#include <stdlib.h>
#include <string.h>

struct env {
	struct dp_counters_registry *reg;
	struct dp_tables *t;
	struct dp_ctx *ctx;
	uint8_t storage[DP_BUF_MIN_SIZE];
	uint8_t frame[2048]; /* the frame as sent, for comparisons */
	size_t frame_len;
	uint16_t outer_sport; /* outer UDP source port of send_underlay() */
	struct dp_buf b;
	struct dp_action a;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof *e);
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
	e->outer_sport = 49152 + 5;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	dp_ctx_destroy(e->ctx);
	dp_tables_destroy(e->t);
	dp_counters_registry_destroy(e->reg);
	free(e);
	return 0;
}

/* Sends e->frame (e->frame_len bytes) in from 'port'. */
static void send_port(struct env *e, uint32_t port)
{
	dp_buf_init(&e->b, e->storage, sizeof e->storage);
	memcpy(e->b.data, e->frame, e->frame_len);
	e->b.len = e->frame_len;
	dp_from_port(e->ctx, e->t, port, &e->b, &e->a);
}

/* Sends e->frame wrapped in VXLAN ('vni', onm flags 'flags', 'dst') from
 * 'src' (port e->outer_sport) with outer DSCP 'dscp'. */
static void send_underlay(struct env *e, uint32_t src, uint8_t dscp, uint32_t vni, uint8_t flags,
			  uint16_t dst)
{
	const struct dp_outer outer = {.src_addr = src, .src_port = e->outer_sport, .dscp = dscp};

	dp_buf_init(&e->b, e->storage, sizeof e->storage);
	memcpy(e->b.data + VXLAN_HEADER_LEN, e->frame, e->frame_len);
	e->b.len = fx_vxlan(e->b.data, e->frame_len, vni, flags, dst);
	dp_from_underlay(e->ctx, e->t, &outer, &e->b, &e->a);
}

/* Replaces the tables by ones built from the fixture view with 'patch' (a
 * JSON object of entries) merged in, recursively: e.g. a network moved to
 * another class. */
static void rebuild(struct env *e, const char *patch)
{
	json_t *view = dp_fixture_view(), *p;
	json_error_t jerr;
	char *err;

	p = json_loads(patch, 0, &jerr);
	if (!p)
		fail_msg("patch: %s", jerr.text);
	assert_int_equal(json_object_update_recursive(view, p), 0);
	json_decref(p);
	dp_tables_destroy(e->t);
	err = dp_tables_build(view, e->reg, &e->t);
	json_decref(view);
	if (err)
		fail_msg("%s", err);
}

static uint64_t drops(const struct env *e, enum dp_drop_reason r)
{
	return dp_counters_registry_drop_total(e->reg, r);
}

static void expect_drop(struct env *e, enum dp_drop_reason r)
{
	if (e->a.verdict != DP_DROP || e->a.reason != r)
		fail_msg("verdict %d reason %s, wanted drop %s", e->a.verdict,
			 dp_drop_reason_name(e->a.reason), dp_drop_reason_name(r));
}

static void expect_port(struct env *e, uint32_t port)
{
	if (e->a.verdict != DP_TO_PORT || e->a.port != port)
		fail_msg("verdict %d (reason %s) port %u, wanted port %u", e->a.verdict,
			 dp_drop_reason_name(e->a.reason), e->a.port, port);
}

/* Expects DP_TO_UNDERLAY to 'next_hop' with outer DSCP 'dscp' and the
 * VXLAN header given; returns the inner frame's info. */
static void expect_vxlan(struct env *e, uint32_t next_hop, uint8_t dscp, uint32_t vni,
			 uint8_t flags, uint16_t dst, struct pkt_info *inner)
{
	const uint8_t hdr[8] = {0x08,
				flags,
				(uint8_t)(dst >> 8),
				(uint8_t)dst,
				(uint8_t)(vni >> 16),
				(uint8_t)(vni >> 8),
				(uint8_t)vni,
				0};

	if (e->a.verdict != DP_TO_UNDERLAY)
		fail_msg("verdict %d (reason %s), wanted underlay", e->a.verdict,
			 dp_drop_reason_name(e->a.reason));
	assert_int_equal(e->a.next_hop, next_hop);
	assert_int_equal(e->a.dscp, dscp);
	assert_true(e->a.udp_src_port >= 49152);
	assert_memory_equal(e->b.data, hdr, 8);
	assert_true(e->b.data >= e->b.head);
	assert_int_equal(packet_parse_frame(e->b.data + 8, e->b.len - 8, inner), PKT_OK);
}

static const struct eth_header *out_eth(const struct env *e, size_t ofs)
{
	return (const void *)(e->b.data + ofs);
}

/* ---- ARP and DHCP ---- */

static void test_arp_proxy(void **state)
{
	struct env *e = *state;
	const struct arp_header *arp;
	static const uint8_t expect[42] = {
	    0x02, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0xaa, 0x00, 0x00, 0x00,
	    0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	    0x02, 0xaa, 0x00, 0x00, 0x00, 0x01, 10,   1,    1,	  1, /* 10.1.1.1 is at r1 */
	    0x02, 0x00, 0x00, 0x00, 0x01, 0x0a, 10,   1,    1,	  10,
	};

	/* Who has the gateway? r1's interface MAC, byte for byte. */
	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, FX_WEB1, FX_R1_WEB);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(e->b.len, 60);
	assert_memory_equal(e->b.data, expect, 42);

	/* Instances of the subnet, local or remote (even behind a kernel VTEP). */
	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, FX_WEB1, FX_WEB2);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	arp = (const void *)(e->b.data + 14);
	assert_memory_equal(arp->sha.b, fx_web2_mac.b, 6);
	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, FX_WEB1, FX_EXT);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_memory_equal(arp->sha.b, fx_ext_mac.b, 6);
	e->frame_len = fx_arp_request(e->frame, &fx_app1_mac, FX_APP1, FX_APP2);
	send_port(e, FX_PORT_APP1);
	expect_port(e, FX_PORT_APP1);
	assert_memory_equal(arp->sha.b, fx_app2_mac.b, 6);

	/* Nothing for other subnets, unknown addresses, its own address (DAD
	 * probe from 0.0.0.0) or a gratuitous announcement. */
	uint64_t before = drops(e, DP_DROP_NOT_FOR_US);

	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, FX_WEB1, FX_DB1);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, FX_WEB1, FX_IP(10, 1, 1, 77));
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, 0, FX_WEB1);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, FX_WEB1, FX_WEB1);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	/* The red VN has no router: its 10.1.1.1 is nobody. */
	e->frame_len = fx_arp_request(e->frame, &fx_app1_mac, FX_APP1, FX_R1_WEB);
	send_port(e, FX_PORT_APP1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	assert_int_equal(drops(e, DP_DROP_NOT_FOR_US), before + 5);

	/* ARP in someone else's name. */
	e->frame_len = fx_arp_request(e->frame, &fx_web1_mac, FX_WEB2, FX_R1_WEB);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PORT_SECURITY);
}

static void test_dhcp(void **state)
{
	struct env *e = *state;
	struct pkt_info pi;
	const struct dhcp_header *dh;

	e->frame_len = fx_dhcp(e->frame, &fx_web1_mac, 1, 0, 0, 0, 0xcafe);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_R1_WEB);
	assert_int_equal(pi.dst_port, 68);
	dh = (const void *)(e->b.data + 42);
	assert_int_equal(ntohl(dh->yiaddr_be), FX_WEB1);
	assert_memory_equal(e->b.data + 6, fx_r1_web_mac.b, 6);
	/* Option 53 = OFFER right after the cookie; router option present. */
	assert_int_equal(e->b.data[42 + sizeof *dh], 53);
	assert_int_equal(e->b.data[42 + sizeof *dh + 2], 2);

	/* In red, no router: the default server identifier. */
	e->frame_len = fx_dhcp(e->frame, &fx_app1_mac, 1, 0, 0, 0, 0xcafe);
	send_port(e, FX_PORT_APP1);
	expect_port(e, FX_PORT_APP1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, DHCP_SERVER_ID_DEFAULT);

	/* Renewal from its address is fine; from another address it is not. */
	e->frame_len = fx_dhcp(e->frame, &fx_web1_mac, 3, FX_WEB1, 0, 0, 0xcafe);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	e->frame_len = fx_dhcp(e->frame, &fx_web1_mac, 3, FX_WEB2, 0, 0, 0xcafe);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PORT_SECURITY);
	/* A DISCOVER with another NIC's MAC never gets past port security. */
	e->frame_len = fx_dhcp(e->frame, &fx_web2_mac, 1, 0, 0, 0, 0xcafe);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PORT_SECURITY);
}

/* ---- port security, switching, routing ---- */

static void test_port_security(void **state)
{
	struct env *e = *state;
	struct dp_counter_block sum;
	uint64_t before = drops(e, DP_DROP_PORT_SECURITY);

	dp_counters_sum(e->t->ports[FX_PORT_WEB1].ctr, &sum);
	uint64_t port_drops = sum.drops, port_rx = sum.rx_packets;

	/* Spoofed source address. */
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_web2_mac, FX_IP(10, 1, 1, 99), FX_WEB2,
			      1000, 2000, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PORT_SECURITY);
	/* Spoofed source MAC. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1000, 2000, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PORT_SECURITY);
	/* Another instance's address and MAC on the wrong port. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB2, FX_DB1, 1000, 2000, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PORT_SECURITY);
	/* 0.0.0.0 is for DHCP only. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, 0, FX_DB1, 1000, 2000, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PORT_SECURITY);

	assert_int_equal(drops(e, DP_DROP_PORT_SECURITY), before + 4);
	dp_counters_sum(e->t->ports[FX_PORT_WEB1].ctr, &sum);
	assert_int_equal(sum.drops, port_drops + 4);
	assert_int_equal(sum.rx_packets, port_rx + 4);
	assert_int_equal(sum.tx_packets, 0);

	/* Malformed and unsupported frames are counted too. */
	e->frame_len = 10;
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_PARSE);
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 10);
	((struct eth_header *)e->frame)->type_be = htons(ETH_TYPE_IPV6);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_UNSUPPORTED);
	/* A port that does not exist in this snapshot. */
	send_port(e, 99);
	expect_drop(e, DP_DROP_NOT_FOR_US);
}

static void test_switch(void **state)
{
	struct env *e = *state;
	struct pkt_info in;

	/* Same subnet, remote host, red (silver: h3 through h4). */
	e->frame_len =
	    fx_udp(e->frame, &fx_app1_mac, &fx_app2_mac, FX_APP1, FX_APP2, 40000, 9000, 64, 100);
	send_port(e, FX_PORT_APP1);
	expect_vxlan(e, FX_H4, FX_DSCP_SILVER, FX_VNI_RED, 0, 3, &in);
	assert_int_equal(e->b.len, e->frame_len + 8);
	assert_memory_equal(e->b.data + 8, e->frame, e->frame_len); /* untouched, TTL too */
	/* Same subnet, same host: web1 -> web2 tcp/80 (web allows it). */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_web2_mac, FX_WEB1, FX_WEB2, 40000, 80, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB2);
	assert_memory_equal(e->b.data, e->frame, e->frame_len);
	/* Broadcast, unknown MAC, another subnet's MAC, its own MAC: nowhere. */
	static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct eth_addr stranger = {{0x02, 0x99, 0, 0, 0, 1}};

	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &bcast, FX_WEB1, FX_IP(10, 1, 1, 255), 1, 2, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &stranger, FX_WEB1, FX_WEB2, 1, 2, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_db2_mac, FX_WEB1, FX_DB2, 1, 2, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_web1_mac, FX_WEB1, FX_WEB1, 1, 2, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
}

static void test_routed(void **state)
{
	struct env *e = *state;
	struct pkt_info in;
	struct dp_counter_block gi0, gi1;

	/* web1 -> db1 (h3, platinum: next hop h2), routed by r1. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	assert_int_equal(in.ttl, 63);
	assert_int_equal(in.src_ip, FX_WEB1);
	assert_int_equal(in.dst_ip, FX_DB1);
	assert_memory_equal(out_eth(e, 8)->src.b, fx_r1_db_mac.b, 6);
	assert_memory_equal(out_eth(e, 8)->dst.b, fx_db1_mac.b, 6);
	/* Everything but MACs, TTL and the IP checksum is as sent. */
	assert_memory_equal(e->b.data + 8 + 12, e->frame + 12, 22 - 12);
	assert_memory_equal(e->b.data + 8 + 34, e->frame + 34, e->frame_len - 34);
	dp_counters_sum(e->t->rifs[0].ctr, &gi0);
	dp_counters_sum(e->t->rifs[1].ctr, &gi1);
	assert_int_equal(gi0.rx_packets, 1);
	assert_int_equal(gi1.tx_packets, 1);

	/* web1 -> db2 (local), tcp/5432 from the web group: passes. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB2, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_DB2);
	assert_memory_equal(out_eth(e, 0)->src.b, fx_r1_db_mac.b, 6);
	assert_memory_equal(out_eth(e, 0)->dst.b, fx_db2_mac.b, 6);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &in), PKT_OK);
	assert_int_equal(in.ttl, 63);

	/* The static route 10.9.0.0/16 via nfv (10.1.2.20 on h2). */
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_IP(10, 9, 1, 1),
			      5000, 53, 64, 20);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 2, &in);
	assert_memory_equal(out_eth(e, 8)->dst.b, fx_nfv_mac.b, 6);
	assert_int_equal(in.dst_ip, FX_IP(10, 9, 1, 1));
}

static void test_router_replies(void **state)
{
	struct env *e = *state;
	struct pkt_info pi;
	uint64_t ttl_drops = drops(e, DP_DROP_TTL), route_drops = drops(e, DP_DROP_NO_ROUTE);

	/* Echo to the gateway and to the router's far interface. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_WEB, 8, 99, 64);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.icmp_type, ICMP_ECHO_REPLY);
	assert_int_equal(pi.src_ip, FX_R1_WEB);
	assert_int_equal(pi.dst_ip, FX_WEB1);
	assert_int_equal(pi.src_port, 99);
	assert_int_equal(csum_fold(csum_partial(e->b.data + 34, e->b.len - 34, 0)), 0);
	assert_memory_equal(out_eth(e, 0)->dst.b, fx_web1_mac.b, 6);
	assert_memory_equal(out_eth(e, 0)->src.b, fx_r1_web_mac.b, 6);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_DB, 8, 99, 64);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_R1_DB);
	assert_memory_equal(out_eth(e, 0)->src.b, fx_r1_web_mac.b, 6);

	/* TTL 1: time exceeded from the ingress interface, quoting the probe. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 33434, 33435, 1, 24);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.icmp_type, ICMP_TIME_EXCEEDED);
	assert_int_equal(pi.icmp_code, 0);
	assert_int_equal(pi.src_ip, FX_R1_WEB);
	assert_int_equal(pi.dst_ip, FX_WEB1);
	assert_memory_equal(e->b.data + 42, e->frame + 14, 28);
	assert_int_equal(drops(e, DP_DROP_TTL), ttl_drops + 1);
	/* TTL 2 goes through with 1. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 33434, 33436, 2, 24);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &pi);
	assert_int_equal(pi.ttl, 1);

	/* Unknown host in a connected subnet; no route at all. */
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_IP(10, 1, 2, 99),
			      1, 2, 64, 0);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.icmp_type, ICMP_DEST_UNREACH);
	assert_int_equal(pi.icmp_code, ICMP_HOST_UNREACH);
	e->frame_len = fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_IP(10, 7, 0, 1),
			      1, 2, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.icmp_type, ICMP_DEST_UNREACH);
	assert_int_equal(pi.icmp_code, ICMP_NET_UNREACH);
	assert_int_equal(pi.src_ip, FX_R1_WEB);
	assert_int_equal(drops(e, DP_DROP_NO_ROUTE), route_drops + 2);
	/* UDP to a router address: port unreachable; TCP: dropped. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_WEB, 33434, 33434, 5, 8);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.icmp_code, ICMP_PORT_UNREACH);
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_WEB, 1, 22, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	/* No error about an ICMP error: a TTL-1 time exceeded is just dropped. */
	e->frame_len = fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1,
				    ICMP_TIME_EXCEEDED, 0, 1);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_TTL);
}

/* ---- security groups ---- */

static void test_security_groups(void **state)
{
	struct env *e = *state;
	struct pkt_info in;
	uint64_t acl = drops(e, DP_DROP_ACL);

	/* web2 is "locked": only udp 5000-5999 to 10.1.2.0/24 may leave. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB2, FX_DB1, 40000, 5000, 64, 10);
	send_port(e, FX_PORT_WEB2);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	e->frame_len =
	    fx_udp(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB2, FX_DB1, 40000, 6000, 64, 10);
	send_port(e, FX_PORT_WEB2);
	expect_drop(e, DP_DROP_ACL);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB2, FX_DB1, 8, 5, 64);
	send_port(e, FX_PORT_WEB2);
	expect_drop(e, DP_DROP_ACL);

	/* Ingress of web1: tcp/80 passes, tcp/22 does not. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web2_mac, &fx_web1_mac, FX_WEB2, FX_WEB1, 41000, 22, TCP_SYN);
	send_port(e, FX_PORT_WEB2);
	expect_drop(e, DP_DROP_ACL);

	/* Stateful: web1 -> web2 tcp/80 SYN, then web2's SYN-ACK from port 80
	 * passes web2's egress filter and web1's ingress only as a reply. */
	e->frame_len = fx_tcp(e->frame, &fx_web2_mac, &fx_web1_mac, FX_WEB2, FX_WEB1, 80, 41001,
			      TCP_SYN | TCP_ACK);
	send_port(e, FX_PORT_WEB2);
	expect_drop(e, DP_DROP_ACL);
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_web2_mac, FX_WEB1, FX_WEB2, 41001, 80, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB2);
	e->frame_len = fx_tcp(e->frame, &fx_web2_mac, &fx_web1_mac, FX_WEB2, FX_WEB1, 80, 41001,
			      TCP_SYN | TCP_ACK);
	send_port(e, FX_PORT_WEB2);
	expect_port(e, FX_PORT_WEB1);

	/* ICMP echo: db2 pings web2 (allowed in), web2's reply passes its
	 * egress filter by the request's entry; an unsolicited one does not. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB2, FX_DB2, 0, 300, 64);
	send_port(e, FX_PORT_WEB2);
	expect_drop(e, DP_DROP_ACL);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB2, 8, 300, 64);
	send_port(e, FX_PORT_DB2);
	expect_port(e, FX_PORT_WEB2);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB2, FX_DB2, 0, 300, 64);
	send_port(e, FX_PORT_WEB2);
	expect_port(e, FX_PORT_DB2);

	/* from_group: db2 takes tcp/5432 from web members only — nfv (h2,
	 * not in web) is refused; web1 (tested in test_routed) passes. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_nfv_mac, &fx_db2_mac, FX_NFV, FX_DB2, 42000, 5432, TCP_SYN);
	send_underlay(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_drop(e, DP_DROP_ACL);
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB2, 42001, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_DB2);

	/* Remote flow: web1 -> db1 SYN; db1's SYN-ACK comes back through the
	 * underlay and passes web1's ingress as a reply; an unsolicited
	 * segment from db1 to another port does not. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 43000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	e->frame_len = fx_tcp(e->frame, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1, 5432, 43000,
			      TCP_SYN | TCP_ACK);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	e->frame_len = fx_tcp(e->frame, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1, 5432, 43001,
			      TCP_SYN | TCP_ACK);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_drop(e, DP_DROP_ACL);

	/* Flows expire: after the TCP timeout the reply is refused. */
	dp_ctx_set_time(e->ctx, 1000000 + CT_TIMEOUT_TCP_US + 1);
	e->frame_len =
	    fx_tcp(e->frame, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1, 5432, 43000, TCP_ACK);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_drop(e, DP_DROP_ACL);
	dp_ctx_set_time(e->ctx, 1000000);

	assert_int_equal(drops(e, DP_DROP_ACL), acl + 8);
}

/* ---- from the underlay ---- */

static void test_decap(void **state)
{
	struct env *e = *state;
	const struct dp_outer h3 = {FX_H3, 49152, FX_DSCP_PLATINUM};
	uint8_t *inner;

	/* db1 (h3) pings web1: icmp from 10.1.0.0/16 is allowed in. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1, 8, 7, 63);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	inner = e->b.data;
	assert_int_equal(e->b.len, e->frame_len);
	assert_memory_equal(inner, e->frame, e->frame_len);
	assert_ptr_equal(inner, e->b.head + DP_BUF_HEADROOM + 8);
	/* Destination id 0 (what a kernel VTEP sends) means "the receiver". */
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_port(e, FX_PORT_WEB1);

	/* Unknown VNI; garbage; no I flag; an instance not on this host. */
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, 4242, 0, 1);
	expect_drop(e, DP_DROP_VNI_UNKNOWN);
	assert_int_equal(drops(e, DP_DROP_VNI_UNKNOWN), 1);
	dp_buf_init(&e->b, e->storage, sizeof e->storage);
	e->b.len = 12;
	memset(e->b.data, 0x08, 12);
	dp_from_underlay(e->ctx, e->t, &h3, &e->b, &e->a);
	expect_drop(e, DP_DROP_PARSE);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	e->b.data -= 8;
	e->b.len += 8;
	e->b.data[0] = 0;
	dp_from_underlay(e->ctx, e->t, &h3, &e->b, &e->a);
	expect_drop(e, DP_DROP_PARSE);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_r1_web_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 8, 7, 63);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
}

static void test_transit(void **state)
{
	struct env *e = *state;
	struct pkt_info in;

	/* h1 carries platinum traffic for h3: on to h2, bytes unchanged, the
	 * class (DSCP) and the outer source port kept. */
	e->frame_len =
	    fx_udp(e->frame, &fx_r1_db_mac, &fx_db1_mac, FX_IP(10, 1, 1, 77), FX_DB1, 1, 2, 63, 30);
	e->outer_sport = 50000;
	send_underlay(e, FX_H4, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	assert_int_equal(e->a.udp_src_port, 50000);
	assert_ptr_equal(e->b.data, e->b.head + DP_BUF_HEADROOM);
	assert_int_equal(e->b.len, e->frame_len + 8);
	assert_memory_equal(e->b.data + 8, e->frame, e->frame_len);
	/* Even for a VNI it does not know: transit looks at class and host only. */
	send_underlay(e, FX_H4, FX_DSCP_SILVER, 777, 0, 3);
	expect_vxlan(e, FX_H4, FX_DSCP_SILVER, 777, 0, 3, &in);
	/* A sender port outside 49152..65535 still gives one in it. */
	e->outer_sport = 4242;
	send_underlay(e, FX_H4, FX_DSCP_SILVER, 777, 0, 3);
	expect_vxlan(e, FX_H4, FX_DSCP_SILVER, 777, 0, 3, &in);
	/* No entry. */
	send_underlay(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 9);
	expect_drop(e, DP_DROP_NO_FWD_ENTRY);
	send_underlay(e, FX_H2, FX_DSCP_SILVER, FX_VNI_BLUE, 0, 2);
	expect_drop(e, DP_DROP_NO_FWD_ENTRY);
	assert_int_equal(drops(e, DP_DROP_NO_FWD_ENTRY), 2);
}

/* The class of a transit packet is the one of its outer DSCP — not of its
 * VNI, which a transit host need not know. */
static void test_transit_class_from_dscp(void **state)
{
	struct env *e = *state;
	struct pkt_info in;

	e->frame_len = fx_udp(e->frame, &fx_r1_db_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 7, 8, 63, 30);
	/* One packet to h3 (blue: platinum), four DSCPs, four ways. */
	send_underlay(e, FX_H4, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	send_underlay(e, FX_H2, FX_DSCP_SILVER, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_H4, FX_DSCP_SILVER, FX_VNI_BLUE, 0, 3, &in);
	send_underlay(e, FX_H4, FX_DSCP_GOLD, FX_VNI_BLUE, 0, 3);
	if (e->a.verdict != DP_TO_UNDERLAY || (e->a.next_hop != FX_H2 && e->a.next_hop != FX_H4))
		fail_msg("gold: verdict %d next hop %x", e->a.verdict, e->a.next_hop);
	assert_int_equal(e->a.dscp, FX_DSCP_GOLD);
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 3, &in);

	/* A DSCP that is no class's: dropped and counted, whatever else. */
	static const uint8_t unknown[] = {0, 1, 9, 11, 33, 35, 45, 47, 63};
	struct dp_counter_block blue;

	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		send_underlay(e, FX_H4, unknown[i], FX_VNI_BLUE, (uint8_t)(i & 1), 3);
		expect_drop(e, DP_DROP_CLASS_UNKNOWN);
	}
	assert_int_equal(drops(e, DP_DROP_CLASS_UNKNOWN), ARRAY_SIZE(unknown));
	/* A transit packet belongs to no VN here: no VN counter moved. */
	dp_counters_sum(e->t->vns[dp_map_find(&e->t->vni_map, FX_VNI_BLUE)].ctr, &blue);
	assert_int_equal(blue.drops + blue.rx_packets + blue.tx_packets, 0);
}

/* Flows of a class with two equal-cost next hops spread over both; each
 * flow keeps its hop. At the first hop the choice is by the flow; in
 * transit, by the outer source port. */
static void test_ecmp(void **state)
{
	struct env *e = *state;
	unsigned int by_hop[2] = {0, 0};
	uint32_t first[256];
	struct pkt_info in;

	/* red is gold now: h3 through h2 or h4. */
	rebuild(e, "{\"network/globex/red\": {\"class\": \"gold\", \"class_id\": 0}}");
	for (int f = 0; f < 256; f++) {
		for (int k = 0; k < 3; k++) {
			e->frame_len = fx_udp(e->frame, &fx_app1_mac, &fx_app2_mac, FX_APP1,
					      FX_APP2, (uint16_t)(20000 + f), 53, 64, 10 + k);
			send_port(e, FX_PORT_APP1);
			if (e->a.verdict != DP_TO_UNDERLAY ||
			    (e->a.next_hop != FX_H2 && e->a.next_hop != FX_H4))
				fail_msg("flow %d: verdict %d next hop %x", f, e->a.verdict,
					 e->a.next_hop);
			expect_vxlan(e, e->a.next_hop, FX_DSCP_GOLD, FX_VNI_RED, 0, 3, &in);
			if (k == 0)
				first[f] = e->a.next_hop;
			else if (e->a.next_hop != first[f])
				fail_msg("flow %d changed its next hop", f);
		}
		by_hop[first[f] == FX_H4]++;
	}
	/* 256 flows: each hop gets a fair share (binomial, 8 sigma off). */
	if (by_hop[0] < 64 || by_hop[1] < 64)
		fail_msg("flows per next hop: %u, %u", by_hop[0], by_hop[1]);

	/* Transit: the sixteen source ports of a sending agent spread too,
	 * and a port always takes the same hop. */
	by_hop[0] = by_hop[1] = 0;
	e->frame_len = fx_udp(e->frame, &fx_r1_db_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 1, 2, 63, 30);
	for (uint16_t port = 49152; port < 49152 + 16; port++) {
		uint32_t hop = 0;

		e->outer_sport = port;
		for (int k = 0; k < 3; k++) {
			send_underlay(e, FX_H3, FX_DSCP_GOLD, FX_VNI_BLUE, 0, 3);
			assert_int_equal(e->a.verdict, DP_TO_UNDERLAY);
			assert_int_equal(e->a.udp_src_port, port);
			if (k && e->a.next_hop != hop)
				fail_msg("port %u changed its next hop", port);
			hop = e->a.next_hop;
		}
		by_hop[hop == FX_H4]++;
	}
	assert_int_equal(by_hop[0] + by_hop[1], 16);
	if (by_hop[0] < 3 || by_hop[1] < 3)
		fail_msg("ports per next hop: %u, %u", by_hop[0], by_hop[1]);
}

/* A waypoint class at its first hop: not a waypoint here, so towards one
 * (pre_waypoint) with W = 0; a waypoint host sets W and takes next_hops. */
static void test_waypoint_source(void **state)
{
	struct env *e = *state;
	struct pkt_info in;

	/* red is quarantined; app3 is on h2, to which no way leads past a
	 * waypoint from here (an empty pre_waypoint). */
	static const char red_quarantined[] =
	    "{\"network/globex/red\": {\"class\": \"quarantine\", \"class_id\": 2},"
	    " \"instance/globex/red/app3\": {\"tenant\": \"globex\", \"network\": \"red\","
	    "  \"name\": \"app3\", \"subnet\": \"main\", \"ip\": \"10.1.1.30\","
	    "  \"mac\": \"02:00:00:00:03:1e\", \"host\": \"h2\", \"host_id\": 2}}";
	static const struct eth_addr app3_mac = {{0x02, 0x00, 0x00, 0x00, 0x03, 0x1e}};

	rebuild(e, red_quarantined);
	e->frame_len =
	    fx_udp(e->frame, &fx_app1_mac, &fx_app2_mac, FX_APP1, FX_APP2, 1000, 53, 64, 10);
	send_port(e, FX_PORT_APP1);
	expect_vxlan(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_RED, 0, 3, &in);
	assert_memory_equal(e->b.data + 8, e->frame, e->frame_len);
	/* No way to a waypoint: dropped, counted as no_route (on red too). */
	struct dp_counter_block red;

	e->frame_len = fx_udp(e->frame, &fx_app1_mac, &app3_mac, FX_APP1, FX_IP(10, 1, 1, 30), 1000,
			      53, 64, 10);
	send_port(e, FX_PORT_APP1);
	expect_drop(e, DP_DROP_NO_ROUTE);
	assert_int_equal(drops(e, DP_DROP_NO_ROUTE), 1);
	dp_counters_sum(e->t->vns[dp_map_find(&e->t->vni_map, FX_VNI_RED)].ctr, &red);
	assert_int_equal(red.drops, 1);
	assert_int_equal(red.tx_packets, 1);

	/* h1 with the inspection capability is a waypoint itself: W = 1, the
	 * hops after the waypoint, for both destinations. */
	rebuild(e, "{\"self\": {\"capabilities\": [\"inspection\"]},"
		   " \"network/globex/red\": {\"class\": \"quarantine\", \"class_id\": 2},"
		   " \"instance/globex/red/app3\": {\"tenant\": \"globex\", \"network\": \"red\","
		   "  \"name\": \"app3\", \"subnet\": \"main\", \"ip\": \"10.1.1.30\","
		   "  \"mac\": \"02:00:00:00:03:1e\", \"host\": \"h2\", \"host_id\": 2}}");
	send_port(e, FX_PORT_APP1);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_RED, VXLAN_ONM_W, 2, &in);
	e->frame_len =
	    fx_udp(e->frame, &fx_app1_mac, &fx_app2_mac, FX_APP1, FX_APP2, 1000, 53, 64, 10);
	send_port(e, FX_PORT_APP1);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_RED, VXLAN_ONM_W, 3, &in);

	/* Other classes never set W, waypoint host or not. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1000, 53, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
}

/* A waypoint class in transit: W kept, set by a waypoint host; without it
 * the packet heads for a waypoint. */
static void test_waypoint_transit(void **state)
{
	struct env *e = *state;
	struct pkt_info in;

	e->frame_len = fx_udp(e->frame, &fx_r1_db_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 7, 8, 63, 30);
	/* Not a waypoint here. W = 0: to scan1 first; W = 1: on to h3. */
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 3, &in);
	send_underlay(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 3);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 3, &in);
	/* W = 0 where no way leads to a waypoint: no_route; with W it goes. */
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 2);
	expect_drop(e, DP_DROP_NO_ROUTE);
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 2);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 2, &in);
	/* Flag bits onm does not know are not passed on. */
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0xf0 | VXLAN_ONM_W, 3);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 3, &in);
	send_underlay(e, FX_H4, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0xf0 | VXLAN_ONM_W, 3);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);

	/* As a waypoint: W set on the way out, next_hops taken. */
	rebuild(e, "{\"self\": {\"capabilities\": [\"inspection\"]}}");
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 3, &in);
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 2);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 2, &in);
}

/* At its destination, a waypoint class must have passed a waypoint (W)
 * unless the destination is one. */
static void test_waypoint_destination(void **state)
{
	struct env *e = *state;

	/* db1 (h3) pings web1; ICMP from 10.1.0.0/16 may enter web1. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1, 8, 7, 63);
	send_underlay(e, FX_H3, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 1);
	expect_drop(e, DP_DROP_WAYPOINT_SKIPPED);
	send_underlay(e, FX_EXT1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 0);
	expect_drop(e, DP_DROP_WAYPOINT_SKIPPED);
	assert_int_equal(drops(e, DP_DROP_WAYPOINT_SKIPPED), 2);
	send_underlay(e, FX_H3, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 1);
	expect_port(e, FX_PORT_WEB1);
	assert_memory_equal(e->b.data, e->frame, e->frame_len);
	/* Other classes need no W; and at the destination an unknown DSCP is
	 * fine (plain VXLAN from a kernel VTEP has 0). */
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	send_underlay(e, FX_H3, 63, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(drops(e, DP_DROP_WAYPOINT_SKIPPED), 2);
	assert_int_equal(drops(e, DP_DROP_CLASS_UNKNOWN), 0);

	/* A destination that is a waypoint itself takes W = 0. */
	rebuild(e, "{\"self\": {\"capabilities\": [\"inspection\"]}}");
	send_underlay(e, FX_H3, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(drops(e, DP_DROP_WAYPOINT_SKIPPED), 2);
}

/* Towards a kernel VTEP a packet is plain RFC 7348: flags, destination id
 * and DSCP all 0 — from the first hop and in transit, whatever W was. */
static void test_kernel_vtep_hop(void **state)
{
	struct env *e = *state;
	struct pkt_info in;

	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_r1_web_mac, &fx_ext_mac, FX_DB1, FX_EXT, 8, 5, 63);
	send_underlay(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 6);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	assert_memory_equal(e->b.data + 8, e->frame, e->frame_len);
	send_underlay(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 6);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	/* Before the waypoint the hop is scan1, an agent: W stays 0, DSCP set. */
	send_underlay(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 6);
	expect_vxlan(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 6, &in);

	/* From the first hop: platinum, and quarantine from a waypoint host
	 * (W would be 1 towards an agent). */
	e->frame_len = fx_icmp_echo(e->frame, &fx_web1_mac, &fx_ext_mac, FX_WEB1, FX_EXT, 8, 1, 64);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	rebuild(e, "{\"self\": {\"capabilities\": [\"inspection\"]},"
		   " \"network/acme/blue\": {\"class\": \"quarantine\", \"class_id\": 2}}");
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1000, 53, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 3, &in);
}

static void test_kernel_vtep(void **state)
{
	struct env *e = *state;
	struct pkt_info in;
	const struct arp_header *arp;

	/* web1 -> ext (behind ext1): plain VXLAN straight to ext1. */
	e->frame_len = fx_icmp_echo(e->frame, &fx_web1_mac, &fx_ext_mac, FX_WEB1, FX_EXT, 8, 1, 64);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	assert_memory_equal(e->b.data + 8, e->frame, e->frame_len);
	/* ext1's kernel asks for web1: the answer goes back as plain VXLAN. */
	e->frame_len = fx_arp_request(e->frame, &fx_ext_mac, FX_EXT, FX_WEB1);
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	arp = (const void *)(e->b.data + 8 + 14);
	assert_int_equal(ntohs(arp->op_be), ARP_OP_REPLY);
	assert_memory_equal(arp->sha.b, fx_web1_mac.b, 6);
	assert_int_equal(ntohl(arp->spa_be), FX_WEB1);
	assert_memory_equal(arp->tha.b, fx_ext_mac.b, 6);
	/* ... and for the gateway; not for addresses the VN does not have. */
	e->frame_len = fx_arp_request(e->frame, &fx_ext_mac, FX_EXT, FX_R1_WEB);
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	assert_memory_equal(arp->sha.b, fx_r1_web_mac.b, 6);
	e->frame_len = fx_arp_request(e->frame, &fx_ext_mac, FX_EXT, FX_IP(10, 1, 1, 20));
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	/* An instance on another host: the kernel knows only its first onm
	 * hop, so that hop answers and passes the frames on to the host. */
	e->frame_len = fx_arp_request(e->frame, &fx_ext_mac, FX_EXT, FX_DB1);
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	assert_memory_equal(arp->sha.b, fx_db1_mac.b, 6);
	e->frame_len = fx_icmp_echo(e->frame, &fx_ext_mac, &fx_db1_mac, FX_EXT, FX_DB1, 8, 4, 64);
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	assert_memory_equal(e->b.data + 8, e->frame, e->frame_len);
	/* From an agent (destination id set) such a frame is not ours. */
	send_underlay(e, FX_H4, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	/* ext routes through r1 to db2 (local): routed here. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_ext_mac, &fx_r1_web_mac, FX_EXT, FX_DB2, 8, 2, 64);
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_port(e, FX_PORT_DB2);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &in), PKT_OK);
	assert_int_equal(in.ttl, 63);
	assert_memory_equal(out_eth(e, 0)->src.b, fx_r1_db_mac.b, 6);
	/* ext pings the gateway: the reply goes back to ext1. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_ext_mac, &fx_r1_web_mac, FX_EXT, FX_R1_WEB, 8, 3, 64);
	send_underlay(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	assert_int_equal(in.icmp_type, ICMP_ECHO_REPLY);
	assert_int_equal(in.dst_ip, FX_EXT);
}

static void test_isolation(void **state)
{
	struct env *e = *state;

	/* A red packet addressed to web1's MAC and address (same 10.1.1.10 as
	 * app1) never reaches web1: red does not know that MAC. */
	e->frame_len =
	    fx_udp(e->frame, &fx_app2_mac, &fx_web1_mac, FX_APP2, FX_WEB1, 1, 80, 64, 10);
	send_underlay(e, FX_H3, FX_DSCP_SILVER, FX_VNI_RED, 0, 1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	/* The same packet to app1's MAC reaches app1 — in red. */
	e->frame_len =
	    fx_udp(e->frame, &fx_app2_mac, &fx_app1_mac, FX_APP2, FX_APP1, 1, 80, 64, 10);
	send_underlay(e, FX_H3, FX_DSCP_SILVER, FX_VNI_RED, 0, 1);
	expect_port(e, FX_PORT_APP1);
	/* A blue packet to app1's MAC goes nowhere. */
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	/* From app1: web1's MAC, r1's MAC, web2's address: all unknown in red. */
	e->frame_len = fx_udp(e->frame, &fx_app1_mac, &fx_web2_mac, FX_APP1, FX_WEB2, 1, 2, 64, 10);
	send_port(e, FX_PORT_APP1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len =
	    fx_udp(e->frame, &fx_app1_mac, &fx_r1_web_mac, FX_APP1, FX_DB1, 1, 2, 64, 10);
	send_port(e, FX_PORT_APP1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	e->frame_len = fx_arp_request(e->frame, &fx_app1_mac, FX_APP1, FX_WEB2);
	send_port(e, FX_PORT_APP1);
	expect_drop(e, DP_DROP_NOT_FOR_US);
	/* And app1's traffic is red's: VNI 2001 on the wire. */
	struct pkt_info in;

	e->frame_len = fx_udp(e->frame, &fx_app1_mac, &fx_app2_mac, FX_APP1, FX_APP2, 1, 2, 64, 10);
	send_port(e, FX_PORT_APP1);
	expect_vxlan(e, FX_H4, FX_DSCP_SILVER, FX_VNI_RED, 0, 3, &in);
}

static void test_counters(void **state)
{
	struct env *e = *state;
	json_t *c, *port, *net;

	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_WEB, 8, 1, 64);
	send_port(e, FX_PORT_WEB1);
	send_port(e, FX_PORT_WEB1);
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_IP(10, 1, 1, 2), FX_DB1, 1,
			      2, 64, 10);
	send_port(e, FX_PORT_WEB1);
	c = dp_counters_registry_render(e->reg);
	port = json_object_get(json_object_get(c, "ports"), "acme/blue/web1");
	assert_int_equal(json_integer_value(json_object_get(port, "rx_packets")), 3);
	assert_int_equal(json_integer_value(json_object_get(port, "tx_packets")), 2);
	assert_int_equal(json_integer_value(json_object_get(port, "drops")), 1);
	assert_int_equal(json_integer_value(json_object_get(port, "tx_bytes")), 2 * 98);
	net = json_object_get(json_object_get(c, "networks"), "acme/blue");
	assert_int_equal(json_integer_value(json_object_get(net, "rx_packets")), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(c, "drops"), "port_security")), 1);
	assert_non_null(json_object_get(json_object_get(c, "router_interfaces"),
					"acme/blue/r1/GigabitEthernet0/0"));
	json_decref(c);
}

/* The transit counters of class 'class_id', summed over the threads. */
static struct dp_counter_block transit_sum(const struct env *e, uint8_t class_id)
{
	struct dp_counter_block sum;

	dp_counters_sum(e->t->classes[class_id].ctr, &sum);
	return sum;
}

static void expect_transit(const struct env *e, uint8_t class_id, uint64_t packets, uint64_t bytes,
			   uint64_t drops)
{
	struct dp_counter_block sum = transit_sum(e, class_id);

	if (sum.tx_packets != packets || sum.tx_bytes != bytes || sum.drops != drops ||
	    sum.rx_packets || sum.rx_bytes)
		fail_msg("class %s: transit %llu packets %llu bytes %llu drops (rx %llu), "
			 "wanted %llu %llu %llu",
			 e->t->classes[class_id].name, (unsigned long long)sum.tx_packets,
			 (unsigned long long)sum.tx_bytes, (unsigned long long)sum.drops,
			 (unsigned long long)sum.rx_packets, (unsigned long long)packets,
			 (unsigned long long)bytes, (unsigned long long)drops);
}

/* What h1 carries for other hosts counts on the packet's class (its outer
 * DSCP): packets and inner-frame bytes sent on, and drops once the class is
 * known. Packets to or from this host's instances do not count. */
static void test_transit_counters(void **state)
{
	struct env *e = *state;
	struct pkt_info in;
	size_t len1, len2;
	json_t *c, *tr, *plat;

	for (uint8_t k = 0; k < 4; k++)
		expect_transit(e, k, 0, 0, 0);
	/* Three platinum packets for h3, one silver of another size. */
	len1 = e->frame_len =
	    fx_udp(e->frame, &fx_r1_db_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 7, 8, 63, 30);
	for (int i = 0; i < 3; i++) {
		send_underlay(e, FX_H4, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3);
		expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	}
	expect_transit(e, FX_CLASS_PLATINUM, 3, 3 * len1, 0);
	len2 = e->frame_len =
	    fx_udp(e->frame, &fx_r1_db_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 7, 8, 63, 333);
	send_underlay(e, FX_H2, FX_DSCP_SILVER, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_H4, FX_DSCP_SILVER, FX_VNI_BLUE, 0, 3, &in);
	expect_transit(e, FX_CLASS_SILVER, 1, len2, 0);
	expect_transit(e, FX_CLASS_PLATINUM, 3, 3 * len1, 0);

	/* Not transit: a packet for web1 here, and web1's own to db1 (h3). */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1, 8, 7, 63);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1000, 53, 64, 10);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	expect_transit(e, FX_CLASS_PLATINUM, 3, 3 * len1, 0);

	/* Drops: no entry (platinum to host 9) and no way to a waypoint
	 * (quarantine without W to h2) count on the class; a DSCP that is no
	 * class's counts only as its drop reason. */
	e->frame_len = fx_udp(e->frame, &fx_r1_db_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 7, 8, 63, 30);
	send_underlay(e, FX_H4, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 9);
	expect_drop(e, DP_DROP_NO_FWD_ENTRY);
	expect_transit(e, FX_CLASS_PLATINUM, 3, 3 * len1, 1);
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 2);
	expect_drop(e, DP_DROP_NO_ROUTE);
	expect_transit(e, FX_CLASS_QUARANTINE, 0, 0, 1);
	send_underlay(e, FX_H4, 63, FX_VNI_BLUE, 0, 3);
	expect_drop(e, DP_DROP_CLASS_UNKNOWN);
	assert_int_equal(drops(e, DP_DROP_CLASS_UNKNOWN), 1);
	expect_transit(e, FX_CLASS_GOLD, 0, 0, 0);
	expect_transit(e, FX_CLASS_PLATINUM, 3, 3 * len1, 1);
	expect_transit(e, FX_CLASS_QUARANTINE, 0, 0, 1);
	expect_transit(e, FX_CLASS_SILVER, 1, len2, 0);

	/* Towards a waypoint, and on to a kernel VTEP (header zeroed): the
	 * inner frame's bytes all the same. */
	send_underlay(e, FX_H4, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, 0, 3, &in);
	send_underlay(e, FX_SCAN1, FX_DSCP_QUARANTINE, FX_VNI_BLUE, VXLAN_ONM_W, 6);
	expect_vxlan(e, FX_EXT1, 0, FX_VNI_BLUE, 0, 0, &in);
	expect_transit(e, FX_CLASS_QUARANTINE, 2, 2 * len1, 1);

	/* Another data-plane thread counts in its own block; the sum has both. */
	struct dp_ctx *ctx0 = e->ctx;

	e->ctx = dp_ctx_create(e->reg, DP_MAX_THREADS - 1, 64);
	send_underlay(e, FX_H4, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	assert_int_equal(
	    e->t->classes[FX_CLASS_PLATINUM].ctr->per_thread[DP_MAX_THREADS - 1].tx_packets, 1);
	dp_ctx_destroy(e->ctx);
	e->ctx = ctx0;
	expect_transit(e, FX_CLASS_PLATINUM, 4, 4 * len1, 1);

	/* The report: "transit": {"CLASS": {"packets", "bytes", "drops"}}. */
	c = dp_counters_registry_render(e->reg);
	tr = json_object_get(c, "transit");
	assert_int_equal(json_object_size(tr), 4);
	plat = json_object_get(tr, "platinum");
	assert_int_equal(json_object_size(plat), 3);
	assert_int_equal(json_integer_value(json_object_get(plat, "packets")), 4);
	assert_int_equal(json_integer_value(json_object_get(plat, "bytes")), 4 * len1);
	assert_int_equal(json_integer_value(json_object_get(plat, "drops")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(tr, "quarantine"), "packets")), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(tr, "silver"), "bytes")), len2);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(tr, "gold"), "packets")), 0);
	json_decref(c);
}

/* ---- router interfaces: shutdown, access lists, shaping, redirects ---- */

/* Rebuilds with r1's two interfaces carrying 'gi0' and 'gi1' (JSON members,
 * or ""), its static routes 'routes' (a JSON array; NULL: the fixture's)
 * and 'extra' (router members, or ""). */
static void rebuild_r1(struct env *e, const char *gi0, const char *gi1, const char *routes,
		       const char *extra)
{
	char *patch = xasprintf(
	    "{\"router/acme/blue/r1\": {\"interfaces\": ["
	    "{\"name\": \"GigabitEthernet0/0\", \"subnet\": \"web\", \"ip\": \"10.1.1.1\","
	    " \"mac\": \"02:aa:00:00:00:01\", \"cidr\": \"10.1.1.0/24\"%s%s},"
	    "{\"name\": \"GigabitEthernet0/1\", \"subnet\": \"db\", \"ip\": \"10.1.2.1\","
	    " \"mac\": \"02:aa:00:00:00:02\", \"cidr\": \"10.1.2.0/24\"%s%s}],"
	    " \"routes\": %s%s%s}}",
	    *gi0 ? ", " : "", gi0, *gi1 ? ", " : "", gi1,
	    routes ? routes : "[{\"prefix\": \"10.9.0.0/16\", \"via\": \"10.1.2.20\"}]",
	    *extra ? ", " : "", extra);

	rebuild(e, patch);
	free(patch);
}

/* Checks the checksums of the frame at 'f' by recomputing them: the IPv4
 * header's, and TCP's, UDP's (unless it carries none) or ICMP's. */
static void expect_csums(const uint8_t *f, size_t len)
{
	struct pkt_info pi;
	const uint8_t *l4;

	assert_int_equal(packet_parse_frame(f, len, &pi), PKT_OK);
	assert_int_equal(csum_fold(csum_partial(f + ETH_HEADER_LEN, IPV4_HEADER_MIN_LEN, 0)), 0);
	l4 = f + pi.l4_ofs;
	if (pi.proto == IP_PROTO_TCP || (pi.proto == IP_PROTO_UDP && (l4[6] | l4[7])))
		assert_int_equal(fx_l4_csum(f), 0);
	else if (pi.proto == IP_PROTO_ICMP)
		assert_int_equal(csum_fold(csum_partial(l4, pi.l4_len, 0)), 0);
}

static struct dp_counter_block rif_sum(const struct env *e, uint32_t rif)
{
	struct dp_counter_block sum;

	dp_counters_sum(e->t->rifs[rif].ctr, &sum);
	return sum;
}

/* Expects the ICMP error 'type'/'code' from 'src' back to web1. */
static void expect_icmp_to_web1(struct env *e, uint8_t type, uint8_t code, uint32_t src)
{
	struct pkt_info pi;

	expect_port(e, FX_PORT_WEB1);
	assert_true(e->a.reply);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.proto, IP_PROTO_ICMP);
	assert_int_equal(pi.icmp_type, type);
	assert_int_equal(pi.icmp_code, code);
	assert_int_equal(pi.src_ip, src);
	assert_int_equal(pi.dst_ip, FX_WEB1);
	expect_csums(e->b.data, e->b.len);
}

/* Gi0/1 (db) shut down: nothing routed out through it (its connected route
 * and the static route via its subnet are gone: net unreachable) or in
 * through it, its address answers neither ARP nor ping; Gi0/0 works as
 * before; DHCP on db is as it was; a less specific route through an
 * interface that is up takes over; "no shutdown" brings it all back. */
static void test_interface_shutdown(void **state)
{
	struct env *e = *state;
	struct pkt_info pi;
	uint64_t down = drops(e, DP_DROP_INTERFACE_DOWN), no_route = drops(e, DP_DROP_NO_ROUTE);
	uint64_t gi1_drops;

	rebuild_r1(e, "", "\"shutdown\": true", NULL, "");
	gi1_drops = rif_sum(e, 1).drops;
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_icmp_to_web1(e, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, FX_R1_WEB);
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB2, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_icmp_to_web1(e, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, FX_R1_WEB);
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_IP(10, 9, 1, 1),
			      5000, 53, 64, 20);
	send_port(e, FX_PORT_WEB1);
	expect_icmp_to_web1(e, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, FX_R1_WEB);
	/* In through it: dropped, no answer. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1, 8, 5, 64);
	send_port(e, FX_PORT_DB2);
	expect_drop(e, DP_DROP_INTERFACE_DOWN);
	/* Its address: no ARP answer on its subnet, no echo reply from across. */
	e->frame_len = fx_arp_request(e->frame, &fx_db2_mac, FX_DB2, FX_R1_DB);
	send_port(e, FX_PORT_DB2);
	expect_drop(e, DP_DROP_INTERFACE_DOWN);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_DB, 8, 5, 64);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_INTERFACE_DOWN);
	assert_int_equal(drops(e, DP_DROP_INTERFACE_DOWN), down + 6);
	assert_int_equal(drops(e, DP_DROP_NO_ROUTE), no_route);
	assert_int_equal(rif_sum(e, 1).drops, gi1_drops + 6);
	assert_int_equal(rif_sum(e, 1).tx_packets, 0);

	/* Gi0/0 is fine; DHCP on db still names 10.1.2.1 (the server and
	 * router of the subnet, as it was). */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_WEB, 8, 5, 64);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	e->frame_len = fx_dhcp(e->frame, &fx_db2_mac, 1, 0, 0, 0, 0xbeef);
	send_port(e, FX_PORT_DB2);
	expect_port(e, FX_PORT_DB2);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_R1_DB);

	/* A less specific route through Gi0/0 takes over: db1 via web2. */
	rebuild_r1(e, "", "\"shutdown\": true", "[{\"prefix\": \"10.1.0.0/16\", \"via\": \"10.1.1.11\"}]",
		   "");
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 8, 6, 64);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB2);
	assert_memory_equal(out_eth(e, 0)->dst.b, fx_web2_mac.b, 6);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.dst_ip, FX_DB1);

	/* No shutdown: routed again. */
	rebuild_r1(e, "", "\"shutdown\": false", NULL, "");
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &pi);
	e->frame_len = fx_arp_request(e->frame, &fx_db2_mac, FX_DB2, FX_R1_DB);
	send_port(e, FX_PORT_DB2);
	expect_port(e, FX_PORT_DB2);
	assert_int_equal(drops(e, DP_DROP_INTERFACE_DOWN), down + 6);
}

static const char acl_patch[] =
    "\"acls\": {\"WEB-IN\": ["
    "  {\"action\": \"deny\", \"proto\": \"tcp\", \"src\": \"10.1.1.11\", \"dst\": \"any\","
    "   \"port\": 5432},"
    "  {\"action\": \"permit\", \"proto\": \"tcp\", \"src\": \"any\", \"dst\": \"10.1.2.0/24\","
    "   \"port\": 5432},"
    "  {\"action\": \"permit\", \"proto\": \"icmp\", \"src\": \"10.1.1.0/24\", \"dst\": \"any\"},"
    "  {\"action\": \"permit\", \"proto\": \"udp\", \"src\": \"any\", \"dst\": \"10.9.0.0/16\"}],"
    " \"DB-OUT\": ["
    "  {\"action\": \"deny\", \"proto\": \"udp\", \"src\": \"any\", \"dst\": \"any\", \"port\": 53},"
    "  {\"action\": \"permit\", \"proto\": \"ip\", \"src\": \"any\", \"dst\": \"any\"}],"
    " \"NOTHING\": []}";

/* Router access lists: in on Gi0/0 (before routing, also for the router's
 * own addresses), out on Gi0/0 and Gi0/1 (after routing); first match wins,
 * no match denies; later fragments match port rules that permit only; what
 * the router sends itself (echo replies, ICMP errors) is not filtered. */
static void test_router_acl(void **state)
{
	struct env *e = *state;
	struct pkt_info in;
	uint64_t acl = drops(e, DP_DROP_ROUTER_ACL), gi0_drops, gi1_drops;

	rebuild_r1(e, "\"acl_in\": \"WEB-IN\", \"acl_out\": \"NOTHING\"", "\"acl_out\": \"DB-OUT\"",
		   NULL, acl_patch);
	gi0_drops = rif_sum(e, 0).drops;
	gi1_drops = rif_sum(e, 1).drops;
	/* tcp/5432 to db: permitted for web1; web2 is denied by the rule
	 * before (first match). */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	e->frame_len =
	    fx_tcp(e->frame, &fx_web2_mac, &fx_r1_web_mac, FX_WEB2, FX_DB1, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB2);
	expect_drop(e, DP_DROP_ROUTER_ACL);
	/* Nothing matches tcp/80: the implicit deny. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 40000, 80, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_ROUTER_ACL);
	/* ICMP from web passes, to db1 and to the router itself; the echo
	 * reply the router sends out Gi0/0 (out: NOTHING) is its own. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 8, 9, 64);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_DB, 8, 9, 64);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB1);
	/* tcp to the router: refused by the list, not "not for us". */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_WEB, 1, 22, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_ROUTER_ACL);
	assert_int_equal(rif_sum(e, 0).drops, gi0_drops + 3);
	/* Out on Gi0/1: udp/53 denied, udp/54 passes (to nfv on h2). */
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_IP(10, 9, 1, 1),
			      5000, 53, 64, 20);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_ROUTER_ACL);
	assert_int_equal(rif_sum(e, 1).drops, gi1_drops + 1);
	assert_int_equal(rif_sum(e, 1).tx_packets, 2);
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_IP(10, 9, 1, 1),
			      5000, 54, 64, 20);
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 2, &in);
	/* The router's ICMP errors are not filtered: TTL 1 passes WEB-IN and
	 * the time exceeded goes back out Gi0/0 (NOTHING) all the same. */
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_IP(10, 9, 1, 1),
			      5000, 54, 1, 20);
	send_port(e, FX_PORT_WEB1);
	expect_icmp_to_web1(e, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED, FX_R1_WEB);
	/* Routed out Gi0/0: NOTHING passes. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1, 0, 9, 64);
	send_port(e, FX_PORT_DB2);
	expect_drop(e, DP_DROP_ROUTER_ACL);

	/* A later fragment has no port: the deny rule with a port is skipped
	 * and the permit rule with one matches on addresses (IOS). */
	for (int k = 0; k < 2; k++) {
		const struct eth_addr *mac = k ? &fx_web2_mac : &fx_web1_mac;
		struct ipv4_header *ip = (void *)(e->frame + ETH_HEADER_LEN);

		e->frame_len = fx_tcp(e->frame, mac, &fx_r1_web_mac, k ? FX_WEB2 : FX_WEB1, FX_DB1,
				      40000, 5432, TCP_ACK);
		ip->frag_off_be = htons(185); /* offset 1480, no MF */
		packet_ipv4_set_csum(ip);
		send_port(e, k ? FX_PORT_WEB2 : FX_PORT_WEB1);
		expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &in);
		assert_false(in.first_fragment);
	}
	assert_int_equal(drops(e, DP_DROP_ROUTER_ACL), acl + 5);
	assert_int_equal(rif_sum(e, 0).drops, gi0_drops + 4);
	json_t *c = dp_counters_registry_render(e->reg);

	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(c, "drops"), "router_acl")),
	    acl + 5);
	json_decref(c);
}

#define SHAPE_BPS 10000000 /* 10 Mbit/s: a 1000-byte frame every 800 µs */

/* Sends a 1000-byte UDP frame web1 -> db1 (out through Gi0/1) at 'now_us'
 * with context 'ctx'; true if it went out. */
static bool shaped_send(struct env *e, struct dp_ctx *ctx, uint64_t now_us)
{
	struct dp_ctx *ctx0 = e->ctx;

	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 7000, 7001, 64, 958);
	assert_int_equal(e->frame_len, 1000);
	e->ctx = ctx;
	dp_ctx_set_time(ctx, now_us);
	send_port(e, FX_PORT_WEB1);
	e->ctx = ctx0;
	if (e->a.verdict == DP_TO_UNDERLAY)
		return true;
	expect_drop(e, DP_DROP_SHAPED);
	return false;
}

/* Traffic shaping on Gi0/1 at 10 Mbit/s, on a simulated clock: a burst of
 * 20 ms (25000 bytes) at once, then the rate, whatever is offered; only
 * what leaves through Gi0/1 counts; the bucket survives a rebuild with the
 * same rate, starts full with a new one, and two data-plane threads share
 * it (the sum keeps the rate). */
static void test_shaping(void **state)
{
	struct env *e = *state;
	const uint64_t t0 = 5000000;
	struct dp_ctx *ctx2 = dp_ctx_create(e->reg, 1, 64);
	uint64_t sent = 0, passed = 0, shaped = drops(e, DP_DROP_SHAPED), tx0;
	uint64_t now;

	rebuild_r1(e, "", "\"shape_bps\": 10000000", NULL, "");
	tx0 = rif_sum(e, 1).tx_packets;
	/* All at once: 25000 bytes of burst. */
	for (int i = 0; i < 100; i++, sent++)
		passed += shaped_send(e, e->ctx, t0);
	assert_int_equal(passed, 25);
	/* Offered at twice the rate for one second: the rate passes. */
	for (now = t0; now < t0 + 1000000; now += 400, sent++)
		passed += shaped_send(e, e->ctx, now + 400);
	assert_in_range(passed, 25 + 1250 - 1, 25 + 1250 + 1);
	assert_int_equal(drops(e, DP_DROP_SHAPED), shaped + sent - passed);
	assert_int_equal(rif_sum(e, 1).tx_packets, tx0 + passed);
	assert_int_equal(rif_sum(e, 1).drops, sent - passed);
	assert_int_equal(rif_sum(e, 1).tx_bytes, (tx0 + passed) * 1000);

	/* Out through Gi0/0 (db2 -> web1) is not shaped. */
	for (int i = 0; i < 100; i++) {
		e->frame_len =
		    fx_icmp_echo(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1, 8, 1, 64);
		send_port(e, FX_PORT_DB2);
		expect_port(e, FX_PORT_WEB1);
	}

	/* A rebuild with the same rate keeps the (empty) bucket; a new rate
	 * starts with a full one. */
	now = t0 + 1000000;
	rebuild_r1(e, "\"description\": \"changed\"", "\"shape_bps\": 10000000", NULL, "");
	assert_false(shaped_send(e, e->ctx, now));
	rebuild_r1(e, "", "\"shape_bps\": 20000000", NULL, "");
	assert_true(shaped_send(e, e->ctx, now));

	/* Two threads offering 4x the rate between them for a second, each
	 * packet from either: one bucket, the rate. */
	rebuild_r1(e, "", "\"shape_bps\": 10000000", NULL, "");
	passed = 0;
	uint64_t by_thread[2] = {0, 0};

	now += 1000000;
	srand(5);
	for (uint64_t t = now; t < now + 1000000; t += 200) {
		int th = rand() & 1;
		bool ok = shaped_send(e, th ? ctx2 : e->ctx, t);

		passed += ok;
		by_thread[th] += ok;
	}
	assert_in_range(passed, 25 + 1250 - 1, 25 + 1250 + 1);
	assert_in_range(by_thread[1], passed / 2 - 80, passed / 2 + 80);
	assert_int_equal(e->t->rifs[1].ctr->per_thread[1].tx_packets, by_thread[1]);
	dp_ctx_destroy(ctx2);
}

/* web1 -> db1 TCP with 'payload' bytes and FIN|PSH|ACK, a super-frame
 * when longer than a wire frame (the instance's TSO). */
static size_t fx_tcp_data(uint8_t *f, size_t payload)
{
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);
	struct tcp_header *tcp = (void *)(f + 34);
	size_t n = fx_tcp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 40100, 5432,
			  TCP_ACK | 0x08 /* PSH */ | TCP_FIN);

	for (size_t i = 0; i < payload; i++)
		f[n + i] = (uint8_t)(i * 7);
	ip->tot_len_be = htons((uint16_t)(IPV4_HEADER_MIN_LEN + sizeof *tcp + payload));
	packet_ipv4_set_csum(ip);
	tcp->csum_be = 0;
	tcp->csum_be = htons(fx_l4_csum(f));
	return n + payload;
}

/* A TCP super-frame larger than what the bucket holds passes in part, as
 * its first segments would: cut where the bucket ends (IPv4 length, FIN and
 * PSH off, checksum right, full or partial), one drop counted; a wire-size
 * frame that does not fit is dropped whole. */
static void test_shaping_super_frames(void **state)
{
	struct env *e = *state;
	uint64_t shaped = drops(e, DP_DROP_SHAPED);
	const uint64_t t0 = 7000000;
	struct pkt_info pi;

	/* 1 Mbit/s: two full frames of burst, 3028 bytes. */
	rebuild_r1(e, "", "\"shape_bps\": 1000000", NULL, "");
	dp_ctx_set_time(e->ctx, t0);
	e->frame_len = fx_tcp_data(e->frame, 1946); /* 2000 bytes */
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &pi);
	assert_int_equal(e->b.len, 8 + 2000);
	/* 1028 bytes left: the next one is cut to them. */
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &pi);
	assert_int_equal(e->b.len, 8 + 1028);
	assert_int_equal(pi.l3_len, 1028 - 14);
	assert_int_equal(pi.tcp_flags, TCP_ACK);
	expect_csums(e->b.data + 8, e->b.len - 8);
	assert_memory_equal(e->b.data + 8 + 54, e->frame + 54, 1028 - 54);
	assert_int_equal(drops(e, DP_DROP_SHAPED), shaped + 1);
	assert_int_equal(rif_sum(e, 1).tx_bytes, 2000 + 1028);
	/* Empty now: the next is dropped, whole. */
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_SHAPED);
	assert_int_equal(drops(e, DP_DROP_SHAPED), shaped + 2);

	/* 1 ms later: 125 bytes; a wire-size frame (1514) is not cut. */
	dp_ctx_set_time(e->ctx, t0 + 1000);
	e->frame_len = fx_tcp_data(e->frame, 1460);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_SHAPED);
	/* A super-frame is, to 125 bytes, with a partial checksum that
	 * holds the new length. */
	dp_ctx_set_time(e->ctx, t0 + 2000);
	e->frame_len = fx_tcp_data(e->frame, 1946);
	uint32_t ps = csum_partial(e->frame + 26, 8, 0) + IP_PROTO_TCP + 1966;

	e->frame[50] = (uint8_t)(~csum_fold(ps) >> 8);
	e->frame[51] = (uint8_t)~csum_fold(ps);
	dp_buf_init(&e->b, e->storage, sizeof e->storage);
	memcpy(e->b.data, e->frame, e->frame_len);
	e->b.len = e->frame_len;
	e->b.csum_partial = true;
	dp_from_port(e->ctx, e->t, FX_PORT_WEB1, &e->b, &e->a);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &pi);
	assert_int_equal(e->b.len, 8 + 250);
	ps = csum_partial(e->frame + 26, 8, 0) + IP_PROTO_TCP + (250 - 34);
	assert_int_equal(e->b.data[8 + 50] << 8 | e->b.data[8 + 51], (uint16_t)~csum_fold(ps));
	assert_int_equal(drops(e, DP_DROP_SHAPED), shaped + 4);
}

#define FX_FROM FX_IP(10, 1, 2, 99)  /* redirected to db2 (this host) */
#define FX_FROM2 FX_IP(10, 1, 2, 98) /* redirected to db1 (h3) */

static const char redirect_patch[] =
    "\"redirects\": [{\"from\": \"10.1.2.99\", \"to\": \"10.1.2.11\"},"
    "               {\"from\": \"10.1.2.98\", \"to\": \"10.1.2.10\"}]";

/* Redirects: a routed packet to 'from' goes to 'to' (TCP, ICMP echo, UDP;
 * checksums right when recomputed), its replies come back from 'from',
 * whether 'to' is on this host or another; a flow to 'to' itself is left
 * alone; a packet to 'from' that is switched, not routed, is not changed;
 * the router's own ICMP error about a redirected packet quotes what the
 * client sent; a translated flow is no security-group flow. */
static void test_redirect(void **state)
{
	struct env *e = *state;
	struct pkt_info pi;

	rebuild_r1(e, "", "", NULL, redirect_patch);
	/* web1 -> 10.1.2.99:5432 reaches db2 (5432 from web members). */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_FROM, 40000, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_DB2);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.dst_ip, FX_DB2);
	assert_int_equal(pi.src_ip, FX_WEB1);
	assert_int_equal(pi.ttl, 63);
	assert_memory_equal(out_eth(e, 0)->dst.b, fx_db2_mac.b, 6);
	expect_csums(e->b.data, e->b.len);
	/* db2's answer comes back from 10.1.2.99. */
	e->frame_len = fx_tcp(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1, 5432, 40000,
			      TCP_SYN | TCP_ACK);
	send_port(e, FX_PORT_DB2);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_FROM);
	assert_int_equal(pi.src_port, 5432);
	expect_csums(e->b.data, e->b.len);
	/* Once more, the established flow. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_FROM, 40000, 5432, TCP_ACK);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_DB2);
	expect_csums(e->b.data, e->b.len);

	/* Ping: echo to 10.1.2.99 answered by db2, from 10.1.2.99. */
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_FROM, 8, 77, 64);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_DB2);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.dst_ip, FX_DB2);
	expect_csums(e->b.data, e->b.len);
	e->frame_len =
	    fx_icmp_echo(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1, 0, 77, 64);
	send_port(e, FX_PORT_DB2);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_FROM);
	assert_int_equal(pi.icmp_type, ICMP_ECHO_REPLY);
	expect_csums(e->b.data, e->b.len);

	/* A flow to db2 itself (another port) is no redirected flow. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB2, 40001, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_DB2);
	e->frame_len = fx_tcp(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1, 5432, 40001,
			      TCP_SYN | TCP_ACK);
	send_port(e, FX_PORT_DB2);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_DB2);

	/* Switched to web2's MAC, 10.1.2.99 is just an address: unchanged. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_web2_mac, FX_WEB1, FX_FROM, 40002, 80, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_WEB2);
	assert_memory_equal(e->b.data, e->frame, e->frame_len);

	/* TTL 1: the router's time exceeded quotes 10.1.2.99, as sent. */
	e->frame_len =
	    fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_FROM, 33434, 33435, 1, 24);
	send_port(e, FX_PORT_WEB1);
	expect_icmp_to_web1(e, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED, FX_R1_WEB);
	assert_memory_equal(e->b.data + 42, e->frame + 14, 28);

	/* Translated but refused by db2's groups (tcp/22): the translation
	 * lets no reply through web1's groups. */
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_FROM, 42000, 22, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_ACL);
	e->frame_len = fx_tcp(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1, 22, 42000,
			      TCP_SYN | TCP_ACK);
	send_port(e, FX_PORT_DB2);
	expect_drop(e, DP_DROP_ACL);

	/* Access lists see the packet as it came in and as it goes out. */
	rebuild_r1(e, "\"acl_in\": \"IN\"", "\"acl_out\": \"OUT\"", NULL,
		   "\"redirects\": [{\"from\": \"10.1.2.99\", \"to\": \"10.1.2.11\"}],"
		   " \"acls\": {\"IN\": [{\"action\": \"permit\", \"proto\": \"ip\", \"src\": \"any\","
		   " \"dst\": \"10.1.2.99\"}], \"OUT\": [{\"action\": \"permit\", \"proto\": \"ip\","
		   " \"src\": \"any\", \"dst\": \"10.1.2.11\"}]}");
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_FROM, 40003, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_port(e, FX_PORT_DB2);
	e->frame_len =
	    fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB2, 40004, 5432, TCP_SYN);
	send_port(e, FX_PORT_WEB1);
	expect_drop(e, DP_DROP_ROUTER_ACL);
}

/* A redirect to an instance on another host: the packet is translated
 * here (the router runs at the first hop) and its replies, routed at the
 * other host, are translated back where they are delivered; UDP keeps "no
 * checksum"; an ICMP error about the flow (port unreachable from db1) is
 * translated too — its source, the quoted destination, and every checksum. */
static void test_redirect_remote(void **state)
{
	struct env *e = *state;
	uint8_t sent[2048], err[2048];
	struct pkt_info pi;
	size_t sent_len, n;

	rebuild_r1(e, "", "", NULL, redirect_patch);
	e->frame_len = fx_udp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_FROM2, 33000,
			      9000, 64, 30);
	memcpy(sent, e->frame, e->frame_len);
	sent_len = e->frame_len;
	send_port(e, FX_PORT_WEB1);
	expect_vxlan(e, FX_H2, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 3, &pi);
	assert_int_equal(pi.dst_ip, FX_DB1);
	expect_csums(e->b.data + 8, e->b.len - 8);
	/* db1 (h3) answers; h3 routed it; it arrives here for web1. */
	e->frame_len =
	    fx_udp(e->frame, &fx_r1_web_mac, &fx_web1_mac, FX_DB1, FX_WEB1, 9000, 33000, 63, 10);
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_FROM2);
	expect_csums(e->b.data, e->b.len);
	/* Without a checksum, it stays without. */
	((struct udp_header *)(e->frame + 34))->csum_be = 0;
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(((const struct udp_header *)(e->b.data + 34))->csum_be, 0);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.src_ip, FX_FROM2);

	/* db1's port unreachable about the datagram it got (web1 -> db1). */
	memcpy(err, sent, sent_len);
	assert_int_equal(packet_parse_frame(err, sent_len, &pi), PKT_OK);
	struct ipv4_header *qip = (void *)(err + 14);

	qip->dst_be = htonl(FX_DB1);
	qip->ttl = 63;
	packet_ipv4_set_csum(qip);
	((struct udp_header *)(err + 34))->csum_be = 0;
	((struct udp_header *)(err + 34))->csum_be = htons(fx_l4_csum(err));
	assert_int_equal(packet_parse_frame(err, sent_len, &pi), PKT_OK);
	n = packet_icmp_make_error(err, sizeof err, &pi, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH,
				   FX_DB1, &fx_r1_web_mac);
	assert_true(n > 0);
	memcpy(((struct eth_header *)err)->dst.b, fx_web1_mac.b, 6);
	memcpy(e->frame, err, n);
	e->frame_len = n;
	send_underlay(e, FX_H3, FX_DSCP_PLATINUM, FX_VNI_BLUE, 0, 1);
	expect_port(e, FX_PORT_WEB1);
	assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
	assert_int_equal(pi.icmp_type, ICMP_DEST_UNREACH);
	assert_int_equal(pi.src_ip, FX_FROM2);
	expect_csums(e->b.data, e->b.len);
	/* The quote: what web1 sent, to 10.1.2.98, its IP checksum right and
	 * its UDP checksum the one web1 computed. */
	const uint8_t *quote = e->b.data + 42;

	assert_int_equal(ntohl(((const struct ipv4_header *)quote)->dst_be), FX_FROM2);
	assert_int_equal(csum_fold(csum_partial(quote, 20, 0)), 0);
	assert_memory_equal(quote + 20, sent + 34, 8);
	assert_int_equal(ntohl(((const struct ipv4_header *)quote)->src_be), FX_WEB1);
}

/* A TCP segment whose checksum is partial (a virtio-net header with
 * NEEDS_CSUM: the field holds the pseudo-header sum) keeps it partial and
 * right for the new addresses, both ways. */
static void test_redirect_partial_csum(void **state)
{
	struct env *e = *state;
	struct pkt_info pi;

	rebuild_r1(e, "", "", NULL, redirect_patch);
	for (int dir = 0; dir < 2; dir++) {
		uint8_t *tcp_csum;

		if (dir == 0)
			e->frame_len = fx_tcp(e->frame, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1,
					      FX_FROM, 40010, 5432, TCP_SYN);
		else
			e->frame_len = fx_tcp(e->frame, &fx_db2_mac, &fx_r1_db_mac, FX_DB2, FX_WEB1,
					      5432, 40010, TCP_SYN | TCP_ACK);
		/* The pseudo-header sum, not complemented, as Linux leaves it. */
		tcp_csum = e->frame + 34 + 16;
		uint32_t ps = csum_partial(e->frame + 26, 8, 0) + IP_PROTO_TCP + 20;
		uint16_t partial = (uint16_t)~csum_fold(ps);

		tcp_csum[0] = (uint8_t)(partial >> 8);
		tcp_csum[1] = (uint8_t)partial;
		dp_buf_init(&e->b, e->storage, sizeof e->storage);
		memcpy(e->b.data, e->frame, e->frame_len);
		e->b.len = e->frame_len;
		e->b.csum_partial = true;
		dp_from_port(e->ctx, e->t, dir ? FX_PORT_DB2 : FX_PORT_WEB1, &e->b, &e->a);
		expect_port(e, dir ? FX_PORT_WEB1 : FX_PORT_DB2);
		assert_int_equal(packet_parse_frame(e->b.data, e->b.len, &pi), PKT_OK);
		assert_int_equal(dir ? pi.src_ip : pi.dst_ip, dir ? FX_FROM : FX_DB2);
		ps = csum_partial(e->b.data + 26, 8, 0) + IP_PROTO_TCP + 20;
		partial = (uint16_t)~csum_fold(ps);
		assert_int_equal(e->b.data[50] << 8 | e->b.data[51], partial);
		/* Completed as the runtime would, it is right. */
		e->b.data[50] = e->b.data[51] = 0;
		uint16_t full = csum_fold(csum_partial(e->b.data + 34, 20, ps));

		e->b.data[50] = (uint8_t)(full >> 8);
		e->b.data[51] = (uint8_t)full;
		expect_csums(e->b.data, e->b.len);
	}
}

/* Random and mutated bytes through both entry points: no crash (ASan run),
 * every verdict sane. */
static void test_garbage(void **state)
{
	struct env *e = *state;
	uint8_t seeds[4][2048];
	size_t lens[4];

	lens[0] = fx_tcp(seeds[0], &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 5432, 2);
	lens[1] = fx_arp_request(seeds[1], &fx_web1_mac, FX_WEB1, FX_R1_WEB);
	lens[2] = fx_dhcp(seeds[2], &fx_web1_mac, 1, 0, 0, 0, 1);
	lens[3] = fx_icmp_echo(seeds[3], &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_DB, 8, 1, 1);
	srand(1234);
	for (int i = 0; i < 40000; i++) {
		int s = rand() % 4;

		memcpy(e->frame, seeds[s], lens[s]);
		e->frame_len = lens[s];
		for (int k = rand() % 4; k >= 0; k--)
			e->frame[rand() % lens[s]] = (uint8_t)rand();
		if (rand() % 3 == 0)
			e->frame_len = (size_t)rand() % (lens[s] + 1);
		if (i & 1)
			send_port(e, (uint32_t)(rand() % FX_N_PORTS));
		else
			send_underlay(e, FX_H3, (uint8_t)(rand() % 64),
				      rand() & 1 ? FX_VNI_BLUE : FX_VNI_RED, (uint8_t)(rand() % 4),
				      (uint16_t)(rand() % 8));
		assert_true(e->b.data >= e->b.head);
		assert_true(e->b.data + e->b.len <= e->b.head + e->b.size);
		if (e->a.verdict == DP_TO_PORT)
			assert_true(e->a.port < FX_N_PORTS);
		if (e->a.verdict == DP_DROP)
			assert_true(e->a.reason < DP_DROP_N_REASONS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_arp_proxy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dhcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_security, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_switch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_routed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_router_replies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_security_groups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transit_class_from_dscp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ecmp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_waypoint_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_waypoint_transit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_waypoint_destination, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_vtep_hop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_vtep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transit_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interface_shutdown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_router_acl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shaping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shaping_super_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_remote, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_partial_csum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

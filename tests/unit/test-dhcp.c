// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the agent's DHCP server (agent/dhcp.h): DISCOVER gets an OFFER
 * with the instance's address, mask, router, lease and MTU; REQUEST gets an
 * ACK or a NAK per RFC 2131's client states; other clients, other servers,
 * RELEASE and malformed messages get nothing. Replies are checked field by
 * field, including IP and UDP checksums.
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "dhcp.h"

#include <arpa/inet.h>
#include <string.h>

#define DISCOVER 1
#define OFFER 2
#define REQUEST 3
#define ACK 5
#define NAK 6
#define RELEASE 7
#define INFORM 8

static const struct dhcp_config web1_cfg = {
    .client_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x0a}},
    .client_ip = FX_WEB1,
    .prefix_len = 24,
    .router = FX_R1_WEB,
    .server_ip = FX_R1_WEB,
    .server_mac = {{0x02, 0xaa, 0x00, 0x00, 0x00, 0x01}},
    .lease_s = DHCP_LEASE_S,
    .mtu = DHCP_MTU,
};

/* The reply's option 'code': its length, and its bytes in 'val'; -1 if absent. */
static int find_option(const uint8_t *f, size_t len, uint8_t code, uint8_t *val)
{
	size_t i = 14 + 20 + 8 + sizeof(struct dhcp_header);

	while (i < len) {
		uint8_t c = f[i++], l;

		if (c == 0)
			continue;
		if (c == 255)
			return -1;
		l = f[i++];
		if (c == code) {
			memcpy(val, f + i, l);
			return l;
		}
		i += l;
	}
	return -1;
}

static uint32_t opt32(const uint8_t *f, size_t len, uint8_t code)
{
	uint8_t v[255];

	assert_int_equal(find_option(f, len, code, v), 4);
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static enum dhcp_result run(uint8_t *f, size_t n, const struct dhcp_config *cfg, size_t *out)
{
	struct pkt_info pi;

	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_true(dhcp_is_request(&pi));
	return dhcp_handle(f, n, 1024, &pi, cfg, out);
}

/* Checks the headers of a reply to 'dst_ip' and returns its DHCP header. */
static const struct dhcp_header *check_reply(const uint8_t *f, size_t n,
					     const struct dhcp_config *cfg, uint32_t dst_ip,
					     uint8_t type)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const struct dhcp_header *dh = (const void *)(f + 42);
	struct pkt_info pi;
	uint8_t v[255];

	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_int_equal(pi.proto, IP_PROTO_UDP);
	assert_int_equal(pi.src_ip, cfg->server_ip);
	assert_int_equal(pi.dst_ip, dst_ip);
	assert_int_equal(pi.src_port, 67);
	assert_int_equal(pi.dst_port, 68);
	assert_int_equal(fx_l4_csum(f), 0); /* UDP checksum valid */
	assert_memory_equal(f, dst_ip == 0xffffffffu ? bcast : cfg->client_mac.b, 6);
	assert_memory_equal(f + 6, cfg->server_mac.b, 6);
	assert_true(n >= 42 + 300);
	assert_int_equal(dh->op, 2);
	assert_int_equal(ntohl(dh->xid_be), 0xcafe);
	assert_memory_equal(dh->chaddr, cfg->client_mac.b, 6);
	assert_int_equal(ntohl(dh->magic_be), DHCP_MAGIC);
	assert_int_equal(find_option(f, n, 53, v), 1);
	assert_int_equal(v[0], type);
	assert_int_equal(opt32(f, n, 54), cfg->server_ip);
	return dh;
}

static void test_discover_offer(void **state)
{
	uint8_t f[1024], v[255];
	size_t n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 0xcafe), r;
	const struct dhcp_header *dh;

	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	dh = check_reply(f, r, &web1_cfg, FX_WEB1, OFFER);
	assert_int_equal(ntohl(dh->yiaddr_be), FX_WEB1);
	assert_int_equal(ntohl(dh->ciaddr_be), 0);
	assert_int_equal(opt32(f, r, 1), 0xffffff00u);
	assert_int_equal(opt32(f, r, 3), FX_R1_WEB);
	assert_int_equal(opt32(f, r, 51), 3600);
	assert_int_equal(opt32(f, r, 58), 1800);
	assert_int_equal(opt32(f, r, 59), 3150);
	assert_int_equal(find_option(f, r, 26, v), 2);
	assert_int_equal(v[0] << 8 | v[1], 1450);

	/* The broadcast flag asks for a broadcast reply. */
	n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 0xcafe);
	((struct dhcp_header *)(f + 42))->flags_be = htons(0x8000);
	((struct udp_header *)(f + 34))->csum_be = 0;
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	dh = check_reply(f, r, &web1_cfg, 0xffffffffu, OFFER);
	assert_int_equal(ntohs(dh->flags_be), 0x8000);
}

static void test_request(void **state)
{
	uint8_t f[1024];
	const struct dhcp_header *dh;
	size_t n, r;

	/* SELECTING: our server id, our address -> ACK. */
	n = fx_dhcp(f, &fx_web1_mac, REQUEST, 0, FX_WEB1, FX_R1_WEB, 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	dh = check_reply(f, r, &web1_cfg, FX_WEB1, ACK);
	assert_int_equal(ntohl(dh->yiaddr_be), FX_WEB1);
	assert_int_equal(opt32(f, r, 51), 3600);

	/* SELECTING another address -> NAK, broadcast, no address. */
	n = fx_dhcp(f, &fx_web1_mac, REQUEST, 0, FX_WEB2, FX_R1_WEB, 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	dh = check_reply(f, r, &web1_cfg, 0xffffffffu, NAK);
	assert_int_equal(dh->yiaddr_be, 0);
	uint8_t v[255];

	assert_int_equal(find_option(f, r, 51, v), -1);
	assert_int_equal(find_option(f, r, 3, v), -1);

	/* SELECTING another server -> silence. */
	n = fx_dhcp(f, &fx_web1_mac, REQUEST, 0, FX_WEB1, FX_IP(10, 1, 1, 254), 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_IGNORE);

	/* INIT-REBOOT with a stale address -> NAK; with ours -> ACK. */
	n = fx_dhcp(f, &fx_web1_mac, REQUEST, 0, FX_IP(10, 1, 1, 99), 0, 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	check_reply(f, r, &web1_cfg, 0xffffffffu, NAK);
	n = fx_dhcp(f, &fx_web1_mac, REQUEST, 0, FX_WEB1, 0, 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	check_reply(f, r, &web1_cfg, FX_WEB1, ACK);

	/* RENEWING: unicast from the address, answered to it. */
	n = fx_dhcp(f, &fx_web1_mac, REQUEST, FX_WEB1, 0, 0, 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	dh = check_reply(f, r, &web1_cfg, FX_WEB1, ACK);
	assert_int_equal(ntohl(dh->ciaddr_be), FX_WEB1);
	n = fx_dhcp(f, &fx_web1_mac, REQUEST, FX_WEB2, 0, 0, 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	check_reply(f, r, &web1_cfg, 0xffffffffu, NAK);

	/* INFORM: configuration, no lease. */
	n = fx_dhcp(f, &fx_web1_mac, INFORM, FX_WEB1, 0, 0, 0xcafe);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_REPLY);
	dh = check_reply(f, r, &web1_cfg, FX_WEB1, ACK);
	assert_int_equal(dh->yiaddr_be, 0);
	assert_int_equal(find_option(f, r, 51, v), -1);
	assert_int_equal(opt32(f, r, 3), FX_R1_WEB);
}

static void test_no_router(void **state)
{
	struct dhcp_config cfg = web1_cfg;
	uint8_t f[1024], v[255];
	size_t n, r;

	cfg.router = 0;
	cfg.server_ip = DHCP_SERVER_ID_DEFAULT;
	cfg.mtu = 0;
	n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 0xcafe);
	assert_int_equal(run(f, n, &cfg, &r), DHCP_REPLY);
	check_reply(f, r, &cfg, FX_WEB1, OFFER);
	assert_int_equal(opt32(f, r, 54), 0xa9fea9fe);
	assert_int_equal(find_option(f, r, 3, v), -1);
	assert_int_equal(find_option(f, r, 26, v), -1);
	assert_int_equal(opt32(f, r, 1), 0xffffff00u);
}

static void test_ignored_and_malformed(void **state)
{
	uint8_t f[1024];
	struct pkt_info pi;
	size_t n, r;

	/* Another client's hardware address (a spoofing instance). */
	n = fx_dhcp(f, &fx_web2_mac, DISCOVER, 0, 0, 0, 1);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_IGNORE);
	assert_int_equal(r, 0);
	/* RELEASE. */
	n = fx_dhcp(f, &fx_web1_mac, RELEASE, FX_WEB1, 0, FX_R1_WEB, 1);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_IGNORE);
	/* Bad magic cookie. */
	n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 1);
	((struct dhcp_header *)(f + 42))->magic_be = 0;
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_MALFORMED);
	/* BOOTP reply op in a request. */
	n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 1);
	((struct dhcp_header *)(f + 42))->op = 2;
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_MALFORMED);
	/* No message type (plain BOOTP), and an unknown type. */
	n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 1);
	f[42 + sizeof(struct dhcp_header)] = 0; /* option 53 becomes pad, then junk */
	f[42 + sizeof(struct dhcp_header) + 1] = 0;
	f[42 + sizeof(struct dhcp_header) + 2] = 0;
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_MALFORMED);
	n = fx_dhcp(f, &fx_web1_mac, 99, 0, 0, 0, 1);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_MALFORMED);
	/* An option running past the end of the message. */
	n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 1);
	memset(f + 42 + sizeof(struct dhcp_header) + 3, 0, 300 - sizeof(struct dhcp_header) - 3);
	f[n - 2] = 50;
	f[n - 1] = 4;
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_MALFORMED);
	/* A message shorter than the BOOTP header. */
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, 0, 0xffffffffu, 68, 67, 64, 100);
	assert_int_equal(run(f, n, &web1_cfg, &r), DHCP_MALFORMED);
	/* Not enough room for the reply. */
	n = fx_dhcp(f, &fx_web1_mac, DISCOVER, 0, 0, 0, 1);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_int_equal(dhcp_handle(f, n, 399, &pi, &web1_cfg, &r), DHCP_IGNORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_discover_offer),
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_no_router),
	    cmocka_unit_test(test_ignored_and_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

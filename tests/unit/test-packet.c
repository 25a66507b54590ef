// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the wire-format code (onm/packet.h): the frame parser on good,
 * truncated and malformed frames; checksums against a known answer and
 * the incremental update against a full recomputation on random headers;
 * the in-place ARP and ICMP reply builders, byte for byte.
 */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "../dp-fixture.h"
#include "onm/packet.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static void test_parse_udp(void **state)
{
	uint8_t f[256];
	struct pkt_info pi;
	size_t n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 40000, 53, 17, 22);

	assert_int_equal(n, 64);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_int_equal(pi.eth_type, ETH_TYPE_IPV4);
	assert_int_equal(pi.l3_ofs, 14);
	assert_int_equal(pi.l4_ofs, 34);
	assert_int_equal(pi.l3_len, 50);
	assert_int_equal(pi.l4_len, 30);
	assert_int_equal(pi.proto, IP_PROTO_UDP);
	assert_int_equal(pi.ttl, 17);
	assert_int_equal(pi.src_ip, FX_WEB1);
	assert_int_equal(pi.dst_ip, FX_DB1);
	assert_int_equal(pi.src_port, 40000);
	assert_int_equal(pi.dst_port, 53);
	assert_true(pi.l4_ok);
	assert_false(pi.fragment);
	assert_true(pi.first_fragment);
	/* Trailing padding (a short frame padded to 60 bytes) is fine. */
	assert_int_equal(packet_parse_frame(f, n + 10, &pi), PKT_OK);
	assert_int_equal(pi.l3_len, 50);
}

static void test_parse_truncated(void **state)
{
	uint8_t f[256];
	struct pkt_info pi;
	size_t sizes[4];

	sizes[0] = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 0);
	for (size_t len = 0; len < sizes[0]; len++)
		assert_int_equal(packet_parse_frame(f, len, &pi), PKT_MALFORMED);
	sizes[1] = fx_tcp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, TCP_SYN);
	for (size_t len = 0; len < sizes[1]; len++)
		assert_int_equal(packet_parse_frame(f, len, &pi), PKT_MALFORMED);
	sizes[2] = fx_icmp_echo(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 8, 7, 64);
	for (size_t len = 0; len < sizes[2]; len++)
		assert_int_equal(packet_parse_frame(f, len, &pi), PKT_MALFORMED);
	sizes[3] = fx_arp_request(f, &fx_web1_mac, FX_WEB1, FX_R1_WEB);
	for (size_t len = 0; len < 42; len++)
		assert_int_equal(packet_parse_frame(f, len, &pi), PKT_MALFORMED);
	assert_int_equal(packet_parse_frame(f, 42, &pi), PKT_OK);
	assert_int_equal(pi.eth_type, ETH_TYPE_ARP);
	assert_int_equal(pi.arp_op, ARP_OP_REQUEST);
	assert_int_equal(pi.src_ip, FX_WEB1);
	assert_int_equal(pi.dst_ip, FX_R1_WEB);
}

static void test_parse_malformed(void **state)
{
	uint8_t f[256];
	struct pkt_info pi;
	struct ipv4_header *ip = (void *)(f + 14);
	struct tcp_header *tcp = (void *)(f + 34);
	size_t n;

	/* Bad IPv4 header checksum. */
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 10);
	ip->csum_be ^= htons(1);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_MALFORMED);
	/* Version 6 in an IPv4 ethertype. */
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 10);
	ip->ver_ihl = 0x65;
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_MALFORMED);
	/* IHL below 5. */
	ip->ver_ihl = 0x44;
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_MALFORMED);
	/* Total length beyond the frame. */
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 10);
	ip->tot_len_be = htons(200);
	packet_ipv4_set_csum(ip);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_MALFORMED);
	/* UDP length beyond the IP payload. */
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 10);
	((struct udp_header *)(f + 34))->len_be = htons(100);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_MALFORMED);
	/* TCP data offset beyond the segment, and below 5. */
	n = fx_tcp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, TCP_SYN);
	tcp->data_off = 6 << 4;
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_MALFORMED);
	tcp->data_off = 4 << 4;
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_MALFORMED);
	/* IPv6 and VLAN are well formed but not handled. */
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 10);
	((struct eth_header *)f)->type_be = htons(ETH_TYPE_IPV6);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_UNSUPPORTED);
	((struct eth_header *)f)->type_be = htons(ETH_TYPE_VLAN);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_UNSUPPORTED);
	/* ARP for something else than Ethernet/IPv4. */
	n = fx_arp_request(f, &fx_web1_mac, FX_WEB1, FX_R1_WEB);
	((struct arp_header *)(f + 14))->hlen = 8;
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_UNSUPPORTED);
}

static void test_parse_fragments(void **state)
{
	uint8_t f[256];
	struct pkt_info pi;
	struct ipv4_header *ip = (void *)(f + 14);
	size_t n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 64, 10);

	/* First fragment: ports parsed, and the UDP length may exceed it. */
	ip->frag_off_be = htons(IPV4_FLAG_MF);
	((struct udp_header *)(f + 34))->len_be = htons(1000);
	packet_ipv4_set_csum(ip);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_true(pi.fragment);
	assert_true(pi.first_fragment);
	assert_true(pi.l4_ok);
	assert_int_equal(pi.dst_port, 2);
	/* A later fragment: no L4 header. */
	ip->frag_off_be = htons(100);
	packet_ipv4_set_csum(ip);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_true(pi.fragment);
	assert_false(pi.first_fragment);
	assert_false(pi.l4_ok);
	assert_int_equal(pi.dst_port, 0);
}

static void test_checksum_known(void **state)
{
	/* The IPv4 header of the common textbook example: checksum 0xb861. */
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	assert_int_equal(csum_fold(csum_partial(h, 20, 0)), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	assert_int_equal(csum_fold(csum_partial(h, 20, 0)), 0);
	/* RFC 1071's example bytes, summed two ways. */
	uint8_t d[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	assert_int_equal(csum_partial(d, 8, 0), 0xddf2);
	assert_int_equal(csum_partial(d + 4, 4, csum_partial(d, 4, 0)), 0xddf2);
	/* An odd length pads with zero. */
	uint8_t o[3] = {0x12, 0x34, 0x56};

	assert_int_equal(csum_partial(o, 3, 0), 0x1234 + 0x5600);
}

static void test_checksum_incremental(void **state)
{
	srand(42);
	for (int i = 0; i < 100000; i++) {
		struct ipv4_header ip;
		uint8_t *b = (uint8_t *)&ip;

		for (size_t k = 0; k < sizeof ip; k++)
			b[k] = (uint8_t)rand();
		ip.ver_ihl = 0x45;
		ip.ttl = (uint8_t)(1 + rand() % 255);
		packet_ipv4_set_csum(&ip);
		packet_ipv4_dec_ttl(&ip);
		/* The incrementally updated header still sums to zero... */
		assert_int_equal(csum_fold(csum_partial(&ip, 20, 0)), 0);
		/* ... and equals a full recomputation up to the two forms of
		 * zero (RFC 1624 section 3 proves eqn. 3 never gives -0 for
		 * IPv4 headers, which are never all zero). */
		uint16_t inc = ip.csum_be;

		packet_ipv4_set_csum(&ip);
		assert_int_equal(inc, ip.csum_be);
	}
}

static void test_arp_reply(void **state)
{
	uint8_t f[60], want[60];
	struct pkt_info pi;
	size_t n = fx_arp_request(f, &fx_web1_mac, FX_WEB1, FX_R1_WEB);
	static const uint8_t expect[42] = {
	    0x02, 0x00, 0x00, 0x00, 0x01, 0x0a,				/* to web1 */
	    0x02, 0xaa, 0x00, 0x00, 0x00, 0x01,				/* from r1 Gi0/0 */
	    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, /* reply */
	    0x02, 0xaa, 0x00, 0x00, 0x00, 0x01, 10,   1,    1,	  1,	/* r1 is at */
	    0x02, 0x00, 0x00, 0x00, 0x01, 0x0a, 10,   1,    1,	  10,	/* to web1 */
	};

	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	packet_arp_make_reply(f, &pi, &fx_r1_web_mac);
	memset(want, 0, sizeof want);
	memcpy(want, expect, sizeof expect);
	assert_memory_equal(f, want, 60);
}

static void test_echo_reply(void **state)
{
	uint8_t f[256], orig[256];
	struct pkt_info pi, rpi;
	size_t n = fx_icmp_echo(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_R1_DB, 8, 0x4242, 5);
	size_t r;

	memcpy(orig, f, n);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	r = packet_icmp_make_echo_reply(f, &pi, FX_R1_DB, &fx_r1_web_mac);
	assert_int_equal(r, n);
	assert_int_equal(packet_parse_frame(f, r, &rpi), PKT_OK);
	assert_int_equal(rpi.src_ip, FX_R1_DB);
	assert_int_equal(rpi.dst_ip, FX_WEB1);
	assert_int_equal(rpi.ttl, 64);
	assert_int_equal(rpi.icmp_type, ICMP_ECHO_REPLY);
	assert_int_equal(rpi.src_port, 0x4242);
	assert_memory_equal(f, fx_web1_mac.b, 6);
	assert_memory_equal(f + 6, fx_r1_web_mac.b, 6);
	/* ICMP checksum valid, identifier, sequence and data unchanged. */
	assert_int_equal(csum_fold(csum_partial(f + 34, n - 34, 0)), 0);
	assert_memory_equal(f + 38, orig + 38, n - 38);
}

static void test_icmp_error(void **state)
{
	uint8_t f[256], orig[256];
	struct pkt_info pi, epi;
	size_t n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 33434, 33435, 1, 32);
	size_t r;

	memcpy(orig, f, n);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_true(packet_icmp_error_allowed(f, &pi));
	/* Too little room. */
	assert_int_equal(packet_icmp_make_error(f, 69, &pi, 11, 0, FX_R1_WEB, &fx_r1_web_mac), 0);
	r = packet_icmp_make_error(f, sizeof f, &pi, ICMP_TIME_EXCEEDED, 0, FX_R1_WEB,
				   &fx_r1_web_mac);
	assert_int_equal(r, 14 + 20 + 8 + 20 + 8);
	assert_int_equal(packet_parse_frame(f, r, &epi), PKT_OK);
	assert_int_equal(epi.src_ip, FX_R1_WEB);
	assert_int_equal(epi.dst_ip, FX_WEB1);
	assert_int_equal(epi.icmp_type, ICMP_TIME_EXCEEDED);
	assert_int_equal(epi.icmp_code, 0);
	assert_memory_equal(f, fx_web1_mac.b, 6);
	assert_memory_equal(f + 6, fx_r1_web_mac.b, 6);
	assert_int_equal(csum_fold(csum_partial(f + 34, r - 34, 0)), 0);
	/* The quote: the original IP header and 8 bytes of UDP. */
	assert_memory_equal(f + 42, orig + 14, 28);

	/* No errors about errors, broadcasts or later fragments. */
	assert_false(packet_icmp_error_allowed(f, &epi));
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, 0xffffffffu, 1, 2, 1, 0);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_false(packet_icmp_error_allowed(f, &pi));
	n = fx_udp(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 1, 2, 1, 0);
	((struct ipv4_header *)(f + 14))->frag_off_be = htons(10);
	packet_ipv4_set_csum((struct ipv4_header *)(f + 14));
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_false(packet_icmp_error_allowed(f, &pi));
	n = fx_icmp_echo(f, &fx_web1_mac, &fx_r1_web_mac, FX_WEB1, FX_DB1, 8, 1, 1);
	assert_int_equal(packet_parse_frame(f, n, &pi), PKT_OK);
	assert_true(packet_icmp_error_allowed(f, &pi));
}

static void test_vxlan(void **state)
{
	uint8_t b[128];
	uint32_t vni;
	uint8_t flags;
	uint16_t dst;
	size_t n = fx_udp(b + 8, &fx_web1_mac, &fx_db1_mac, FX_WEB1, FX_DB1, 1, 2, 64, 0);

	/* Byte 1 is onm's flags byte (W = 0x01), bytes 2..3 the destination. */
	n = fx_vxlan(b, n, 0xabcdef, VXLAN_ONM_W, 0x1234);
	assert_true(packet_parse_vxlan(b, n, &vni, &flags, &dst));
	assert_int_equal(vni, 0xabcdef);
	assert_int_equal(flags, VXLAN_ONM_W);
	assert_int_equal(dst, 0x1234);
	static const uint8_t hdr[8] = {0x08, 0x01, 0x12, 0x34, 0xab, 0xcd, 0xef, 0};

	assert_memory_equal(b, hdr, 8);
	/* Plain RFC 7348 (what a kernel VTEP sends): no flags, destination 0. */
	n = fx_vxlan(b, n - 8, 42, 0, 0);
	assert_true(packet_parse_vxlan(b, n, &vni, &flags, &dst));
	assert_int_equal(vni, 42);
	assert_int_equal(flags, 0);
	assert_int_equal(dst, 0);
	assert_false(packet_parse_vxlan(b, 8 + 13, &vni, &flags, &dst));
	b[0] = 0;
	assert_false(packet_parse_vxlan(b, n, &vni, &flags, &dst));
}

/* The outer TOS byte carries the class's DSCP in its upper six bits. */
static void test_dscp(void **state)
{
	assert_int_equal(ip_tos_from_dscp(46), 0xb8); /* EF */
	assert_int_equal(ip_tos_from_dscp(34), 0x88); /* AF41 */
	assert_int_equal(ip_tos_from_dscp(10), 0x28); /* AF11 */
	assert_int_equal(ip_tos_from_dscp(8), 0x20);  /* CS1 */
	for (unsigned int d = 0; d < 64; d++) {
		assert_int_equal(ip_tos_dscp(ip_tos_from_dscp((uint8_t)d)), d);
		assert_int_equal(ip_tos_from_dscp((uint8_t)d) & 3, 0); /* ECN 0 */
		assert_int_equal(ip_tos_dscp((uint8_t)(d << 2 | 3)), d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_udp),
	    cmocka_unit_test(test_parse_truncated),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_parse_fragments),
	    cmocka_unit_test(test_checksum_known),
	    cmocka_unit_test(test_checksum_incremental),
	    cmocka_unit_test(test_arp_reply),
	    cmocka_unit_test(test_echo_reply),
	    cmocka_unit_test(test_icmp_error),
	    cmocka_unit_test(test_vxlan),
	    cmocka_unit_test(test_dscp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

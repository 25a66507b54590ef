/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fixed data-plane view and frame builders shared by the data-plane unit
 * tests, the frame fuzz target and the pipeline benchmark. The view is the
 * spec.md example as host h1 (id 1) sees it, with a few additions that
 * exercise more paths: a second web and db instance on h1, an instance on
 * h2 that a static route of r1 points at, and an instance behind a kernel
 * VTEP host (ext1). Classes as the controller numbers them (name order)
 * with the built-in DSCPs: gold 0 (34), platinum 1 (46), quarantine 2 (8,
 * via inspection, which h1 lacks), silver 3 (10). Forwarding: platinum
 * reaches h2 and h3 through h2 and ext1 directly; silver reaches h3 through
 * h4; gold reaches h3 through h2 or h4 (ECMP); quarantine reaches h3 and
 * ext1 through scan1 before a waypoint and h2 or ext1 after one, and h2
 * after one only (no way to a waypoint from here).
 */
#ifndef ONM_TESTS_DP_FIXTURE_H
#define ONM_TESTS_DP_FIXTURE_H

#include "onm/packet.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX_H1 0xc6130001u /* 198.19.0.1 */
#define FX_H2 0xc6130002u
#define FX_H3 0xc6130003u
#define FX_H4 0xc6130004u
#define FX_SCAN1 0xc6130005u
#define FX_EXT1 0xc6130006u

#define FX_IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Instances and router interfaces of the view. */
static const struct eth_addr fx_web1_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x0a}};
static const struct eth_addr fx_web2_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x0b}};
static const struct eth_addr fx_db1_mac = {{0x02, 0x00, 0x00, 0x00, 0x02, 0x0a}};
static const struct eth_addr fx_db2_mac = {{0x02, 0x00, 0x00, 0x00, 0x02, 0x0b}};
static const struct eth_addr fx_nfv_mac = {{0x02, 0x00, 0x00, 0x00, 0x02, 0x14}};
static const struct eth_addr fx_ext_mac = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x32}};
static const struct eth_addr fx_app1_mac = {{0x02, 0x00, 0x00, 0x00, 0x03, 0x0a}};
static const struct eth_addr fx_app2_mac = {{0x02, 0x00, 0x00, 0x00, 0x03, 0x14}};
static const struct eth_addr fx_r1_web_mac = {{0x02, 0xaa, 0x00, 0x00, 0x00, 0x01}};
static const struct eth_addr fx_r1_db_mac = {{0x02, 0xaa, 0x00, 0x00, 0x00, 0x02}};

#define FX_WEB1 FX_IP(10, 1, 1, 10)
#define FX_WEB2 FX_IP(10, 1, 1, 11)
#define FX_EXT FX_IP(10, 1, 1, 50)
#define FX_DB1 FX_IP(10, 1, 2, 10)
#define FX_DB2 FX_IP(10, 1, 2, 11)
#define FX_NFV FX_IP(10, 1, 2, 20)
#define FX_R1_WEB FX_IP(10, 1, 1, 1)
#define FX_R1_DB FX_IP(10, 1, 2, 1)
#define FX_APP1 FX_IP(10, 1, 1, 10)
#define FX_APP2 FX_IP(10, 1, 1, 20)

#define FX_VNI_BLUE 1001
#define FX_VNI_RED 2001

/* Class ids and their DSCPs. */
enum { FX_CLASS_GOLD, FX_CLASS_PLATINUM, FX_CLASS_QUARANTINE, FX_CLASS_SILVER };
#define FX_DSCP_GOLD 34
#define FX_DSCP_PLATINUM 46
#define FX_DSCP_QUARANTINE 8
#define FX_DSCP_SILVER 10

/* Port numbers: local instances in id order. */
enum { FX_PORT_DB2, FX_PORT_WEB1, FX_PORT_WEB2, FX_PORT_APP1, FX_N_PORTS };

static const char dp_fixture_view_json[] =
    "{"
    "\"self\": {\"name\": \"h1\", \"id\": 1, \"address\": \"198.19.0.1\", \"capabilities\": []},"
    "\"host/h1\": {\"name\": \"h1\", \"id\": 1, \"address\": \"198.19.0.1\", \"kernel_vtep\": "
    "false},"
    "\"host/h2\": {\"name\": \"h2\", \"id\": 2, \"address\": \"198.19.0.2\", \"kernel_vtep\": "
    "false},"
    "\"host/h3\": {\"name\": \"h3\", \"id\": 3, \"address\": \"198.19.0.3\", \"kernel_vtep\": "
    "false},"
    "\"host/h4\": {\"name\": \"h4\", \"id\": 4, \"address\": \"198.19.0.4\", \"kernel_vtep\": "
    "false},"
    "\"host/scan1\": {\"name\": \"scan1\", \"id\": 5, \"address\": \"198.19.0.5\", "
    "\"kernel_vtep\": false},"
    "\"host/ext1\": {\"name\": \"ext1\", \"id\": 6, \"address\": \"198.19.0.6\", \"kernel_vtep\": "
    "true},"
    "\"class/gold\": {\"name\": \"gold\", \"id\": 0, \"dscp\": 34},"
    "\"class/platinum\": {\"name\": \"platinum\", \"id\": 1, \"dscp\": 46},"
    "\"class/quarantine\": {\"name\": \"quarantine\", \"id\": 2, \"dscp\": 8,"
    "  \"via_capability\": \"inspection\"},"
    "\"class/silver\": {\"name\": \"silver\", \"id\": 3, \"dscp\": 10},"
    "\"fwd/platinum/h2\": {\"class\": \"platinum\", \"class_id\": 1, \"dst\": \"h2\","
    "  \"dst_id\": 2,"
    "  \"next_hops\": [{\"name\": \"h2\", \"address\": \"198.19.0.2\"}]},"
    "\"fwd/platinum/h3\": {\"class\": \"platinum\", \"class_id\": 1, \"dst\": \"h3\","
    "  \"dst_id\": 3,"
    "  \"next_hops\": [{\"name\": \"h2\", \"address\": \"198.19.0.2\"}]},"
    "\"fwd/platinum/ext1\": {\"class\": \"platinum\", \"class_id\": 1, \"dst\": \"ext1\","
    "  \"dst_id\": 6, \"next_hops\": [{\"name\": \"ext1\", \"address\": \"198.19.0.6\"}]},"
    "\"fwd/silver/h3\": {\"class\": \"silver\", \"class_id\": 3, \"dst\": \"h3\", \"dst_id\": 3,"
    "  \"next_hops\": [{\"name\": \"h4\", \"address\": \"198.19.0.4\"}]},"
    "\"fwd/gold/h3\": {\"class\": \"gold\", \"class_id\": 0, \"dst\": \"h3\", \"dst_id\": 3,"
    "  \"next_hops\": [{\"name\": \"h2\", \"address\": \"198.19.0.2\"},"
    "                {\"name\": \"h4\", \"address\": \"198.19.0.4\"}]},"
    "\"fwd/quarantine/h3\": {\"class\": \"quarantine\", \"class_id\": 2, \"dst\": \"h3\","
    "  \"dst_id\": 3, \"next_hops\": [{\"name\": \"h2\", \"address\": \"198.19.0.2\"}],"
    "  \"pre_waypoint\": [{\"name\": \"scan1\", \"address\": \"198.19.0.5\"}]},"
    "\"fwd/quarantine/ext1\": {\"class\": \"quarantine\", \"class_id\": 2, \"dst\": \"ext1\","
    "  \"dst_id\": 6, \"next_hops\": [{\"name\": \"ext1\", \"address\": \"198.19.0.6\"}],"
    "  \"pre_waypoint\": [{\"name\": \"scan1\", \"address\": \"198.19.0.5\"}]},"
    "\"fwd/quarantine/h2\": {\"class\": \"quarantine\", \"class_id\": 2, \"dst\": \"h2\","
    "  \"dst_id\": 2, \"next_hops\": [{\"name\": \"h2\", \"address\": \"198.19.0.2\"}],"
    "  \"pre_waypoint\": []},"
    "\"network/acme/blue\": {\"tenant\": \"acme\", \"name\": \"blue\", \"vni\": 1001,"
    "  \"class\": \"platinum\", \"class_id\": 1,"
    "  \"subnets\": [{\"name\": \"web\", \"cidr\": \"10.1.1.0/24\"},"
    "              {\"name\": \"db\", \"cidr\": \"10.1.2.0/24\"}],"
    "  \"security_groups\": ["
    "    {\"name\": \"web\", \"rules\": ["
    "      {\"dir\": \"in\", \"proto\": \"tcp\", \"ports\": 80, \"from\": \"0.0.0.0/0\"},"
    "      {\"dir\": \"in\", \"proto\": \"icmp\", \"from\": \"10.1.0.0/16\"}]},"
    "    {\"name\": \"db\", \"rules\": ["
    "      {\"dir\": \"in\", \"proto\": \"tcp\", \"ports\": 5432, \"from_group\": \"web\"},"
    "      {\"dir\": \"in\", \"proto\": \"icmp\", \"from\": \"10.1.0.0/16\"}]},"
    "    {\"name\": \"locked\", \"rules\": ["
    "      {\"dir\": \"out\", \"proto\": \"udp\", \"ports\": \"5000-5999\", \"to\": "
    "\"10.1.2.0/24\"}]}]},"
    "\"network/globex/red\": {\"tenant\": \"globex\", \"name\": \"red\", \"vni\": 2001,"
    "  \"class\": \"silver\", \"class_id\": 3,"
    "  \"subnets\": [{\"name\": \"main\", \"cidr\": \"10.1.1.0/24\"}], \"security_groups\": []},"
    "\"router/acme/blue/r1\": {\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"r1\","
    "  \"interfaces\": ["
    "    {\"name\": \"GigabitEthernet0/0\", \"subnet\": \"web\", \"ip\": \"10.1.1.1\","
    "     \"mac\": \"02:aa:00:00:00:01\", \"cidr\": \"10.1.1.0/24\"},"
    "    {\"name\": \"GigabitEthernet0/1\", \"subnet\": \"db\", \"ip\": \"10.1.2.1\","
    "     \"mac\": \"02:aa:00:00:00:02\", \"cidr\": \"10.1.2.0/24\"}],"
    "  \"routes\": [{\"prefix\": \"10.9.0.0/16\", \"via\": \"10.1.2.20\"}]},"
    "\"instance/acme/blue/web1\": {\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web1\","
    "  \"subnet\": \"web\", \"ip\": \"10.1.1.10\", \"mac\": \"02:00:00:00:01:0a\", \"host\": "
    "\"h1\","
    "  \"host_id\": 1, \"security_groups\": [\"web\"], \"port\": \"onm0000000000a1\"},"
    "\"instance/acme/blue/web2\": {\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"web2\","
    "  \"subnet\": \"web\", \"ip\": \"10.1.1.11\", \"mac\": \"02:00:00:00:01:0b\", \"host\": "
    "\"h1\","
    "  \"host_id\": 1, \"security_groups\": [\"web\", \"locked\"], \"port\": \"onm0000000000a2\"},"
    "\"instance/acme/blue/db1\": {\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"db1\","
    "  \"subnet\": \"db\", \"ip\": \"10.1.2.10\", \"mac\": \"02:00:00:00:02:0a\", \"host\": \"h3\","
    "  \"host_id\": 3, \"security_groups\": [\"db\"]},"
    "\"instance/acme/blue/db2\": {\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"db2\","
    "  \"subnet\": \"db\", \"ip\": \"10.1.2.11\", \"mac\": \"02:00:00:00:02:0b\", \"host\": \"h1\","
    "  \"host_id\": 1, \"security_groups\": [\"db\"], \"port\": \"onm0000000000a0\"},"
    "\"instance/acme/blue/nfv\": {\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"nfv\","
    "  \"subnet\": \"db\", \"ip\": \"10.1.2.20\", \"mac\": \"02:00:00:00:02:14\", \"host\": \"h2\","
    "  \"host_id\": 2, \"security_groups\": []},"
    "\"instance/acme/blue/ext\": {\"tenant\": \"acme\", \"network\": \"blue\", \"name\": \"ext\","
    "  \"subnet\": \"web\", \"ip\": \"10.1.1.50\", \"mac\": \"02:00:00:00:01:32\", \"host\": "
    "\"ext1\","
    "  \"host_id\": 6, \"security_groups\": []},"
    "\"instance/globex/red/app1\": {\"tenant\": \"globex\", \"network\": \"red\", \"name\": "
    "\"app1\","
    "  \"subnet\": \"main\", \"ip\": \"10.1.1.10\", \"mac\": \"02:00:00:00:03:0a\", \"host\": "
    "\"h1\","
    "  \"host_id\": 1, \"security_groups\": [], \"port\": \"onm0000000000b1\"},"
    "\"instance/globex/red/app2\": {\"tenant\": \"globex\", \"network\": \"red\", \"name\": "
    "\"app2\","
    "  \"subnet\": \"main\", \"ip\": \"10.1.1.20\", \"mac\": \"02:00:00:00:03:14\", \"host\": "
    "\"h3\","
    "  \"host_id\": 3, \"security_groups\": []}"
    "}";

/* The view as a JSON object (new reference). Aborts if it does not parse. */
static inline json_t *dp_fixture_view(void)
{
	json_error_t err;
	json_t *v = json_loads(dp_fixture_view_json, 0, &err);

	if (!v) {
		fprintf(stderr, "fixture view: %s at %d:%d\n", err.text, err.line, err.column);
		abort();
	}
	return v;
}

/* ---- frame builders (return the frame length) ---- */

static inline size_t fx_eth(uint8_t *f, const struct eth_addr *src, const struct eth_addr *dst,
			    uint16_t type)
{
	struct eth_header *eth = (void *)f;

	eth->dst = *dst;
	eth->src = *src;
	eth->type_be = htons(type);
	return ETH_HEADER_LEN;
}

/* IPv4 header at f + 14 for 'l4_len' bytes of payload; returns 14 + 20. */
static inline size_t fx_ip(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
			   size_t l4_len)
{
	struct ipv4_header *ip = (void *)(f + ETH_HEADER_LEN);

	memset(ip, 0, sizeof *ip);
	ip->ver_ihl = 0x45;
	ip->tot_len_be = htons((uint16_t)(IPV4_HEADER_MIN_LEN + l4_len));
	ip->id_be = htons(0x1234);
	ip->frag_off_be = htons(0x4000); /* DF */
	ip->ttl = ttl;
	ip->proto = proto;
	ip->src_be = htonl(src);
	ip->dst_be = htonl(dst);
	packet_ipv4_set_csum(ip);
	return ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN;
}

/* The L4 checksum (TCP/UDP, with pseudo-header) of the IPv4 packet in 'f'. */
static inline uint16_t fx_l4_csum(const uint8_t *f)
{
	const struct ipv4_header *ip = (const void *)(f + ETH_HEADER_LEN);
	size_t hl = (size_t)(ip->ver_ihl & 0xf) * 4, len = ntohs(ip->tot_len_be) - hl;
	uint32_t sum = csum_partial(&ip->src_be, 8, 0);

	sum += ip->proto + (uint32_t)len;
	return csum_fold(csum_partial(f + ETH_HEADER_LEN + hl, len, sum));
}

static inline size_t fx_udp(uint8_t *f, const struct eth_addr *smac, const struct eth_addr *dmac,
			    uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t ttl,
			    size_t payload)
{
	size_t n = fx_eth(f, smac, dmac, ETH_TYPE_IPV4);
	struct udp_header *udp;

	n = fx_ip(f, src, dst, IP_PROTO_UDP, ttl, sizeof *udp + payload);
	udp = (void *)(f + n);
	udp->src_be = htons(sport);
	udp->dst_be = htons(dport);
	udp->len_be = htons((uint16_t)(sizeof *udp + payload));
	udp->csum_be = 0;
	for (size_t i = 0; i < payload; i++)
		f[n + sizeof *udp + i] = (uint8_t)i;
	udp->csum_be = htons(fx_l4_csum(f));
	return n + sizeof *udp + payload;
}

static inline size_t fx_tcp(uint8_t *f, const struct eth_addr *smac, const struct eth_addr *dmac,
			    uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			    uint8_t flags)
{
	size_t n = fx_eth(f, smac, dmac, ETH_TYPE_IPV4);
	struct tcp_header *tcp;

	n = fx_ip(f, src, dst, IP_PROTO_TCP, 64, sizeof *tcp);
	tcp = (void *)(f + n);
	memset(tcp, 0, sizeof *tcp);
	tcp->src_be = htons(sport);
	tcp->dst_be = htons(dport);
	tcp->seq_be = htonl(1000);
	tcp->data_off = 5 << 4;
	tcp->flags = flags;
	tcp->window_be = htons(65535);
	tcp->csum_be = htons(fx_l4_csum(f));
	return n + sizeof *tcp;
}

static inline size_t fx_icmp_echo(uint8_t *f, const struct eth_addr *smac,
				  const struct eth_addr *dmac, uint32_t src, uint32_t dst,
				  uint8_t type, uint16_t id, uint8_t ttl)
{
	size_t n = fx_eth(f, smac, dmac, ETH_TYPE_IPV4);
	struct icmp_header *icmp;
	const size_t data = 56;

	n = fx_ip(f, src, dst, IP_PROTO_ICMP, ttl, sizeof *icmp + data);
	icmp = (void *)(f + n);
	icmp->type = type;
	icmp->code = 0;
	icmp->csum_be = 0;
	icmp->echo.id_be = htons(id);
	icmp->echo.seq_be = htons(1);
	for (size_t i = 0; i < data; i++)
		f[n + sizeof *icmp + i] = (uint8_t)(0x10 + i);
	icmp->csum_be = htons(csum_fold(csum_partial(icmp, sizeof *icmp + data, 0)));
	return n + sizeof *icmp + data;
}

/* An ARP request (broadcast), padded to the 60-byte Ethernet minimum. */
static inline size_t fx_arp_request(uint8_t *f, const struct eth_addr *sha, uint32_t spa,
				    uint32_t tpa)
{
	static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct arp_header *arp = (void *)(f + ETH_HEADER_LEN);

	memset(f, 0, 60);
	fx_eth(f, sha, &bcast, ETH_TYPE_ARP);
	arp->htype_be = htons(1);
	arp->ptype_be = htons(ETH_TYPE_IPV4);
	arp->hlen = 6;
	arp->plen = 4;
	arp->op_be = htons(ARP_OP_REQUEST);
	arp->sha = *sha;
	arp->spa_be = htonl(spa);
	arp->tpa_be = htonl(tpa);
	return 60;
}

/* A DHCP request of message 'type' from 'chaddr' (broadcast from 0.0.0.0
 * unless 'ciaddr'); 'requested' and 'server_id' options when non-zero. */
static inline size_t fx_dhcp(uint8_t *f, const struct eth_addr *chaddr, uint8_t type,
			     uint32_t ciaddr, uint32_t requested, uint32_t server_id, uint32_t xid)
{
	static const struct eth_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	uint8_t *b = f + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof(struct udp_header);
	struct dhcp_header *dh = (void *)b;
	uint8_t *o = (uint8_t *)(dh + 1);
	size_t blen = 300;
	uint32_t be;

	memset(b, 0, blen);
	dh->op = 1;
	dh->htype = 1;
	dh->hlen = 6;
	dh->xid_be = htonl(xid);
	dh->ciaddr_be = htonl(ciaddr);
	memcpy(dh->chaddr, chaddr->b, 6);
	dh->magic_be = htonl(DHCP_MAGIC);
	*o++ = 53;
	*o++ = 1;
	*o++ = type;
	if (requested) {
		*o++ = 50;
		*o++ = 4;
		be = htonl(requested);
		memcpy(o, &be, 4);
		o += 4;
	}
	if (server_id) {
		*o++ = 54;
		*o++ = 4;
		be = htonl(server_id);
		memcpy(o, &be, 4);
		o += 4;
	}
	*o++ = 55; /* parameter request list: mask, router, mtu */
	*o++ = 3;
	*o++ = 1;
	*o++ = 3;
	*o++ = 26;
	*o++ = 255;

	fx_eth(f, chaddr, &bcast, ETH_TYPE_IPV4);
	fx_ip(f, ciaddr, ciaddr ? FX_R1_WEB : 0xffffffffu, IP_PROTO_UDP, 64,
	      sizeof(struct udp_header) + blen);
	struct udp_header *udp = (void *)(f + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);

	udp->src_be = htons(DHCP_CLIENT_PORT);
	udp->dst_be = htons(DHCP_SERVER_PORT);
	udp->len_be = htons((uint16_t)(sizeof *udp + blen));
	udp->csum_be = 0;
	udp->csum_be = htons(fx_l4_csum(f));
	return ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof *udp + blen;
}

/* Prepends a VXLAN header with onm's flags byte 'onm_flags' to the frame at
 * 'f' + 8 (the frame must already be there); returns the UDP payload
 * length. */
static inline size_t fx_vxlan(uint8_t *f, size_t frame_len, uint32_t vni, uint8_t onm_flags,
			      uint16_t dst_host)
{
	struct vxlan_header *vx = (void *)f;

	memset(vx, 0, sizeof *vx);
	vx->flags = VXLAN_FLAG_I;
	vx->onm_flags = onm_flags;
	vx->dst_host_be = htons(dst_host);
	vxlan_set_vni(vx, vni);
	return VXLAN_HEADER_LEN + frame_len;
}

#endif /* ONM_TESTS_DP_FIXTURE_H */

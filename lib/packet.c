// SPDX-License-Identifier: Apache-2.0
/*
 * Wire formats of the data plane: the bounds-checked frame parser, the
 * Internet checksum, and the in-place builders of the replies the agent
 * sends on its own (ARP replies, ICMP echo replies and errors). Every read
 * of packet bytes is checked against the length the caller gave; headers
 * are read through packed structs, so unaligned frames are fine.
 */
#include "onm/packet.h"

#include <arpa/inet.h>
#include <string.h>

static inline uint16_t rd16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof v);
	return ntohs(v);
}

enum pkt_parse_result packet_parse_frame(const uint8_t *data, size_t len, struct pkt_info *info)
{
	const struct eth_header *eth = (const void *)data;
	const struct ipv4_header *ip;
	size_t hl, tot;
	uint16_t fo;

	memset(info, 0, sizeof *info);
	if (len < ETH_HEADER_LEN)
		return PKT_MALFORMED;
	info->eth_type = ntohs(eth->type_be);
	info->l3_ofs = ETH_HEADER_LEN;
	if (info->eth_type == ETH_TYPE_ARP) {
		const struct arp_header *arp = (const void *)(data + ETH_HEADER_LEN);

		if (len < ETH_HEADER_LEN + sizeof *arp)
			return PKT_MALFORMED;
		if (ntohs(arp->htype_be) != 1 || ntohs(arp->ptype_be) != ETH_TYPE_IPV4 ||
		    arp->hlen != 6 || arp->plen != 4)
			return PKT_UNSUPPORTED;
		info->arp_op = ntohs(arp->op_be);
		info->src_ip = ntohl(arp->spa_be);
		info->dst_ip = ntohl(arp->tpa_be);
		return PKT_OK;
	}
	if (info->eth_type != ETH_TYPE_IPV4)
		return PKT_UNSUPPORTED;

	if (len < ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN)
		return PKT_MALFORMED;
	ip = (const void *)(data + ETH_HEADER_LEN);
	if (ip->ver_ihl >> 4 != 4)
		return PKT_MALFORMED;
	hl = (size_t)(ip->ver_ihl & 0xf) * 4;
	tot = ntohs(ip->tot_len_be);
	if (hl < IPV4_HEADER_MIN_LEN || tot < hl || ETH_HEADER_LEN + tot > len)
		return PKT_MALFORMED;
	if (csum_fold(csum_partial(ip, hl, 0)) != 0)
		return PKT_MALFORMED;
	info->l4_ofs = (uint16_t)(ETH_HEADER_LEN + hl);
	info->l3_len = (uint16_t)tot;
	info->l4_len = (uint16_t)(tot - hl);
	info->proto = ip->proto;
	info->ttl = ip->ttl;
	info->src_ip = ntohl(ip->src_be);
	info->dst_ip = ntohl(ip->dst_be);
	fo = ntohs(ip->frag_off_be);
	info->fragment = (fo & (IPV4_FLAG_MF | IPV4_FRAG_OFF_MASK)) != 0;
	info->first_fragment = (fo & IPV4_FRAG_OFF_MASK) == 0;
	if (!info->first_fragment)
		return PKT_OK;

	const uint8_t *l4 = data + info->l4_ofs;
	size_t l4_len = info->l4_len;

	switch (ip->proto) {
	case IP_PROTO_TCP: {
		const struct tcp_header *tcp = (const void *)l4;
		size_t thl;

		if (l4_len < sizeof *tcp)
			return PKT_MALFORMED;
		thl = (size_t)(tcp->data_off >> 4) * 4;
		if (thl < sizeof *tcp || thl > l4_len)
			return PKT_MALFORMED;
		info->src_port = ntohs(tcp->src_be);
		info->dst_port = ntohs(tcp->dst_be);
		info->tcp_flags = tcp->flags;
		info->l4_ok = true;
		break;
	}
	case IP_PROTO_UDP: {
		const struct udp_header *udp = (const void *)l4;
		size_t ulen;

		if (l4_len < sizeof *udp)
			return PKT_MALFORMED;
		ulen = ntohs(udp->len_be);
		/* A first fragment carries part of the datagram only. */
		if (ulen < sizeof *udp || (!info->fragment && ulen > l4_len))
			return PKT_MALFORMED;
		info->src_port = ntohs(udp->src_be);
		info->dst_port = ntohs(udp->dst_be);
		info->l4_ok = true;
		break;
	}
	case IP_PROTO_ICMP: {
		const struct icmp_header *icmp = (const void *)l4;

		if (l4_len < sizeof *icmp)
			return PKT_MALFORMED;
		info->icmp_type = icmp->type;
		info->icmp_code = icmp->code;
		if (icmp->type == ICMP_ECHO_REQUEST || icmp->type == ICMP_ECHO_REPLY)
			info->src_port = rd16(&icmp->echo.id_be);
		info->l4_ok = true;
		break;
	}
	default:
		break;
	}
	return PKT_OK;
}

bool packet_parse_vxlan(const uint8_t *data, size_t len, uint32_t *vni, uint8_t *onm_flags,
			uint16_t *dst_host)
{
	const struct vxlan_header *vx = (const void *)data;

	if (len < VXLAN_HEADER_LEN + ETH_HEADER_LEN || !(vx->flags & VXLAN_FLAG_I))
		return false;
	*vni = vxlan_get_vni(vx);
	*onm_flags = vx->onm_flags;
	*dst_host = ntohs(vx->dst_host_be);
	return true;
}

/* Two 64-bit lanes (GCC and clang vector extensions; plain SSE2 on
 * x86-64, NEON on arm64). */
typedef uint64_t csum_v2u64 __attribute__((vector_size(16)));

uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	const csum_v2u64 low = {0xffffffff, 0xffffffff};
	csum_v2u64 a = {0, 0}, b = {0, 0}, c = {0, 0}, d = {0, 0};
	uint64_t s;

	/* The one's complement sum does not depend on byte order (RFC 1071,
	 * 2(B)): add the bytes as native-order 32-bit words into 64-bit
	 * lanes, 32 bytes a round (no carry is lost below 2^32 rounds), fold,
	 * and swap the 16-bit result into network order on a little-endian
	 * host. This runs over every byte the data path segments or
	 * coalesces (agent/gso.c), hence the vectors. */
	while (len >= 32) {
		csum_v2u64 w0, w1;

		memcpy(&w0, p, 16);
		memcpy(&w1, p + 16, 16);
		a += w0 & low;
		b += w0 >> 32;
		c += w1 & low;
		d += w1 >> 32;
		p += 32;
		len -= 32;
	}
	a += b + c + d;
	s = (a[0] & 0xffffffff) + (a[0] >> 32) + (a[1] & 0xffffffff) + (a[1] >> 32);
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		s += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd last byte, padded with a zero byte after it. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		s += p[0];
#else
		s += (uint32_t)p[0] << 8;
#endif
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = (s >> 8 | s << 8) & 0xffff;
#endif
	s += sum;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void packet_ipv4_set_csum(struct ipv4_header *ip)
{
	ip->csum_be = 0;
	ip->csum_be = htons(csum_fold(csum_partial(ip, (size_t)(ip->ver_ihl & 0xf) * 4, 0)));
}

void packet_ipv4_dec_ttl(struct ipv4_header *ip)
{
	uint16_t old = (uint16_t)(ip->ttl << 8 | ip->proto);

	ip->ttl--;
	ip->csum_be =
	    htons(csum_update16(ntohs(ip->csum_be), old, (uint16_t)(ip->ttl << 8 | ip->proto)));
}

void packet_arp_make_reply(uint8_t *frame, const struct pkt_info *info, const struct eth_addr *mac)
{
	struct eth_header *eth = (void *)frame;
	struct arp_header *arp = (void *)(frame + ETH_HEADER_LEN);

	eth->dst = arp->sha;
	eth->src = *mac;
	arp->op_be = htons(ARP_OP_REPLY);
	arp->tha = arp->sha;
	arp->tpa_be = htonl(info->src_ip);
	arp->sha = *mac;
	arp->spa_be = htonl(info->dst_ip);
}

size_t packet_icmp_make_echo_reply(uint8_t *frame, const struct pkt_info *info, uint32_t reply_src,
				   const struct eth_addr *src_mac)
{
	struct eth_header *eth = (void *)frame;
	struct ipv4_header *ip = (void *)(frame + ETH_HEADER_LEN);
	struct icmp_header *icmp = (void *)(frame + info->l4_ofs);

	eth->dst = eth->src;
	eth->src = *src_mac;
	ip->dst_be = ip->src_be;
	ip->src_be = htonl(reply_src);
	ip->ttl = 64;
	ip->frag_off_be = 0;
	packet_ipv4_set_csum(ip);
	icmp->csum_be = htons(csum_update16(ntohs(icmp->csum_be),
					    (uint16_t)(ICMP_ECHO_REQUEST << 8 | icmp->code),
					    (uint16_t)(ICMP_ECHO_REPLY << 8 | icmp->code)));
	icmp->type = ICMP_ECHO_REPLY;
	return ETH_HEADER_LEN + (size_t)info->l3_len;
}

size_t packet_icmp_make_error(uint8_t *frame, size_t room, const struct pkt_info *info,
			      uint8_t type, uint8_t code, uint32_t src_ip,
			      const struct eth_addr *src_mac)
{
	const size_t hdrs = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof(struct icmp_header);
	struct eth_header *eth = (void *)frame;
	struct ipv4_header *ip = (void *)(frame + ETH_HEADER_LEN);
	struct icmp_header *icmp = (void *)(frame + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	size_t ip_hl = (size_t)info->l4_ofs - ETH_HEADER_LEN;
	size_t quote = ip_hl + (info->l4_len < 8 ? info->l4_len : 8);
	struct eth_addr orig_src = eth->src;
	size_t total;

	if (room < hdrs + quote)
		return 0;
	memmove(frame + hdrs, frame + ETH_HEADER_LEN, quote);

	eth->dst = orig_src;
	eth->src = *src_mac;
	eth->type_be = htons(ETH_TYPE_IPV4);

	total = IPV4_HEADER_MIN_LEN + sizeof *icmp + quote;
	ip->ver_ihl = 0x45;
	ip->tos = 0;
	ip->tot_len_be = htons((uint16_t)total);
	ip->id_be = 0;
	ip->frag_off_be = 0;
	ip->ttl = 64;
	ip->proto = IP_PROTO_ICMP;
	ip->src_be = htonl(src_ip);
	ip->dst_be = htonl(info->src_ip);
	packet_ipv4_set_csum(ip);

	icmp->type = type;
	icmp->code = code;
	icmp->csum_be = 0;
	icmp->unused_be = 0;
	icmp->csum_be = htons(csum_fold(csum_partial(icmp, sizeof *icmp + quote, 0)));
	return ETH_HEADER_LEN + total;
}

static bool ipv4_is_unicast(uint32_t a)
{
	return a != 0 && a != 0xffffffffu && (a >> 28) != 0xe && (a >> 24) != 127;
}

bool packet_icmp_error_allowed(const uint8_t *frame, const struct pkt_info *info)
{
	const struct eth_header *eth = (const void *)frame;

	if (info->eth_type != ETH_TYPE_IPV4 || !info->first_fragment)
		return false;
	if (eth->dst.b[0] & 1)
		return false;
	if (!ipv4_is_unicast(info->src_ip) || !ipv4_is_unicast(info->dst_ip))
		return false;
	if (info->proto == IP_PROTO_ICMP) {
		/* Only about queries: echo, timestamp, information, address mask. */
		switch (info->icmp_type) {
		case ICMP_ECHO_REQUEST:
		case ICMP_ECHO_REPLY:
		case 13:
		case 14:
		case 15:
		case 16:
		case 17:
		case 18:
			return info->l4_ok;
		default:
			return false;
		}
	}
	return true;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * TCP segmentation, checksum completion and TCP segment coalescing in
 * software (see gso.h): what a NIC's TSO and the kernel's GRO do, on the
 * byte arrays the data path reads from TAPs and the underlay.
 */
#include "gso.h"

#include "onm/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* Flags a segment may carry and still be coalesced. */
#define MERGE_FLAGS_OK (TCP_ACK | 0x08 /* PSH */)
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* The sum of the IPv4 pseudo-header of an L4 packet of 'l4_len' bytes. */
static uint32_t pseudo_sum(const struct ipv4_header *ip, size_t l4_len)
{
	uint32_t sum = csum_partial(&ip->src_be, 8, 0);

	return sum + ip->proto + (uint32_t)l4_len;
}

int gso_tcp_init(struct gso_tcp *g, const uint8_t *pkt, size_t len, size_t prefix, size_t mss)
{
	const struct eth_header *eth;
	const struct ipv4_header *ip;
	const struct tcp_header *tcp;
	size_t ihl, thl, tot;

	memset(g, 0, sizeof *g);
	if (prefix > GSO_PREFIX_MAX || !mss ||
	    len < prefix + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof *tcp)
		return -EINVAL;
	eth = (const void *)(pkt + prefix);
	if (eth->type_be != htons(ETH_TYPE_IPV4))
		return -EINVAL;
	ip = (const void *)(pkt + prefix + ETH_HEADER_LEN);
	ihl = (size_t)(ip->ver_ihl & 0xf) * 4;
	tot = ntohs(ip->tot_len_be);
	if ((ip->ver_ihl >> 4) != 4 || ihl < IPV4_HEADER_MIN_LEN || ip->proto != IP_PROTO_TCP ||
	    tot > len - prefix - ETH_HEADER_LEN || tot < ihl + sizeof *tcp ||
	    (ntohs(ip->frag_off_be) & (IPV4_FLAG_MF | IPV4_FRAG_OFF_MASK)))
		return -EINVAL;
	tcp = (const void *)((const uint8_t *)ip + ihl);
	thl = (size_t)(tcp->data_off >> 4) * 4;
	if (thl < sizeof *tcp || ihl + thl >= tot)
		return -EINVAL;
	g->pkt = pkt;
	g->prefix = prefix;
	g->l3_ofs = prefix + ETH_HEADER_LEN;
	g->l4_ofs = g->l3_ofs + ihl;
	g->hdr_len = g->l4_ofs + thl;
	g->payload = tot - ihl - thl;
	g->mss = mss;
	g->n_segs = (uint32_t)((g->payload + mss - 1) / mss);
	return 0;
}

void gso_tcp_segment(const struct gso_tcp *g, uint32_t first, uint32_t n, uint8_t *hdrs,
		     struct iovec *iov)
{
	const struct ipv4_header *ip0 = (const void *)(g->pkt + g->l3_ofs);
	const struct tcp_header *tcp0 = (const void *)(g->pkt + g->l4_ofs);
	size_t ihl = g->l4_ofs - g->l3_ofs, thl = g->hdr_len - g->l4_ofs;
	uint16_t id0 = ntohs(ip0->id_be);
	uint32_t seq0 = ntohl(tcp0->seq_be);
	/* The sum of the addresses and protocol, the same for every segment. */
	uint32_t addr_sum = csum_partial(&ip0->src_be, 8, 0) + IP_PROTO_TCP;

	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = first + k;
		size_t off = (size_t)i * g->mss;
		size_t seg = g->payload - off < g->mss ? g->payload - off : g->mss;
		uint8_t *h = hdrs + (size_t)k * g->hdr_len;
		struct ipv4_header *ip = (void *)(h + g->l3_ofs);
		struct tcp_header *tcp = (void *)(h + g->l4_ofs);
		const uint8_t *payload = g->pkt + g->hdr_len + off;
		uint32_t sum;

		memcpy(h, g->pkt, g->hdr_len);
		ip->tot_len_be = htons((uint16_t)(ihl + thl + seg));
		ip->id_be = htons((uint16_t)(id0 + i));
		packet_ipv4_set_csum(ip);

		tcp->seq_be = htonl(seq0 + (uint32_t)off);
		if (i + 1 < g->n_segs)
			tcp->flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i > 0)
			tcp->flags &= (uint8_t)~TCP_CWR;
		tcp->csum_be = 0;
		sum = addr_sum + (uint32_t)(thl + seg);
		sum = csum_partial(tcp, thl, sum);
		sum = csum_partial(payload, seg, sum);
		tcp->csum_be = htons(csum_fold(sum));

		iov[2 * k] = (struct iovec){h, g->hdr_len};
		iov[2 * k + 1] = (struct iovec){(void *)payload, seg};
	}
}

int gso_csum_complete(uint8_t *frame, size_t len, size_t csum_start, size_t csum_offset)
{
	uint16_t csum;

	if (csum_start > len || csum_offset > len - csum_start ||
	    len - csum_start - csum_offset < 2)
		return -EINVAL;
	csum = csum_fold(csum_partial(frame + csum_start, len - csum_start, 0));
	if (!csum)
		csum = 0xffff;
	csum = htons(csum);
	memcpy(frame + csum_start + csum_offset, &csum, 2);
	return 0;
}

/* The IPv4 header of 'frame' if it is an unfragmented IPv4 packet with its
 * total length within 'len' and 'proto'; else NULL. */
static const struct ipv4_header *ipv4_of(const uint8_t *frame, size_t len, size_t *ihl)
{
	const struct eth_header *eth = (const void *)frame;
	const struct ipv4_header *ip = (const void *)(frame + ETH_HEADER_LEN);

	if (len < ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN || eth->type_be != htons(ETH_TYPE_IPV4))
		return NULL;
	*ihl = (size_t)(ip->ver_ihl & 0xf) * 4;
	if ((ip->ver_ihl >> 4) != 4 || *ihl < IPV4_HEADER_MIN_LEN ||
	    ntohs(ip->tot_len_be) > len - ETH_HEADER_LEN || ntohs(ip->tot_len_be) < *ihl ||
	    (ntohs(ip->frag_off_be) & (IPV4_FLAG_MF | IPV4_FRAG_OFF_MASK)))
		return NULL;
	return ip;
}

bool gso_l4_csum_ok(const uint8_t *frame, size_t len)
{
	const struct ipv4_header *ip;
	const uint8_t *l4;
	size_t ihl, l4_len;

	ip = ipv4_of(frame, len, &ihl);
	if (!ip)
		return false;
	l4 = (const uint8_t *)ip + ihl;
	l4_len = ntohs(ip->tot_len_be) - ihl;
	if (ip->proto == IP_PROTO_TCP) {
		if (l4_len < sizeof(struct tcp_header))
			return false;
	} else if (ip->proto == IP_PROTO_UDP) {
		const struct udp_header *udp = (const void *)l4;

		if (l4_len < sizeof *udp || ntohs(udp->len_be) != l4_len)
			return false;
		if (!udp->csum_be)
			return true;
	} else {
		return false;
	}
	return csum_fold(csum_partial(l4, l4_len, pseudo_sum(ip, l4_len))) == 0;
}

/* What coalescing needs to know of a segment. */
struct seg_info {
	uint8_t proto;	   /* IP_PROTO_TCP or IP_PROTO_UDP */
	const uint8_t *l4; /* its TCP or UDP header */
	size_t hdr_len;	   /* Ethernet + IPv4 + L4 headers, bytes */
	size_t payload;	   /* bytes after them */
};

/* True if 'frame' is a segment gso_merge_start() may take ('udp': UDP
 * too); fills 'si'. The checksum is not checked here. */
static bool seg_parse(const uint8_t *frame, size_t len, bool udp, struct seg_info *si)
{
	const struct ipv4_header *ip = (const void *)(frame + ETH_HEADER_LEN);
	size_t ihl, tot, l4_len;

	if (!ipv4_of(frame, len, &ihl) || ip->ver_ihl != 0x45)
		return false;
	tot = ntohs(ip->tot_len_be);
	/* No trailing bytes: what follows the first segment's headers in the
	 * result is exactly the payloads. */
	if (tot != len - ETH_HEADER_LEN)
		return false;
	l4_len = tot - IPV4_HEADER_MIN_LEN;
	si->proto = ip->proto;
	si->l4 = frame + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN;
	if (ip->proto == IP_PROTO_TCP) {
		const struct tcp_header *tcp = (const void *)si->l4;
		size_t thl;

		if (l4_len < sizeof *tcp)
			return false;
		thl = (size_t)(tcp->data_off >> 4) * 4;
		if (thl < sizeof *tcp || thl >= l4_len)
			return false;
		if ((tcp->flags & ~MERGE_FLAGS_OK) || !(tcp->flags & TCP_ACK))
			return false;
		si->hdr_len = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + thl;
		si->payload = l4_len - thl;
		return true;
	}
	if (ip->proto == IP_PROTO_UDP && udp) {
		const struct udp_header *uh = (const void *)si->l4;

		if (l4_len <= sizeof *uh || ntohs(uh->len_be) != l4_len)
			return false;
		si->hdr_len = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof *uh;
		si->payload = l4_len - sizeof *uh;
		return true;
	}
	return false;
}

bool gso_merge_start(struct gso_merge *m, const uint8_t *frame, size_t len, bool udp)
{
	struct seg_info si;

	m->n = 0;
	if (!seg_parse(frame, len, udp, &si) || !gso_l4_csum_ok(frame, len))
		return false;
	m->proto = si.proto;
	m->hdr_len = si.hdr_len;
	memcpy(m->hdr, frame, m->hdr_len);
	m->seg[0] = (struct iovec){(void *)frame, len};
	m->n = 1;
	m->mss = si.payload;
	m->total = si.payload;
	m->push = false;
	if (si.proto == IP_PROTO_TCP) {
		const struct tcp_header *tcp = (const void *)si.l4;

		m->next_seq = ntohl(tcp->seq_be) + (uint32_t)si.payload;
		m->push = (tcp->flags & TCP_PSH) != 0;
	}
	m->closed = m->push;
	return true;
}

bool gso_merge_add(struct gso_merge *m, const uint8_t *frame, size_t len)
{
	const struct ipv4_header *ip0 = (const void *)(m->hdr + ETH_HEADER_LEN);
	const struct ipv4_header *ip = (const void *)(frame + ETH_HEADER_LEN);
	const uint8_t *l4_0 = m->hdr + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN;
	struct seg_info si;

	if (!m->n || m->closed || m->n == GSO_MERGE_MAX)
		return false;
	if (!seg_parse(frame, len, m->proto == IP_PROTO_UDP, &si) || si.proto != m->proto ||
	    si.hdr_len != m->hdr_len || si.payload > m->mss ||
	    m->hdr_len + m->total + si.payload > ETH_HEADER_LEN + GSO_IPV4_MAX)
		return false;
	/* Ethernet; IPv4 but for total length, identifier and checksum (TOS,
	 * fragment flags, TTL, addresses); the ports. */
	if (memcmp(frame, m->hdr, ETH_HEADER_LEN) || ip->tos != ip0->tos ||
	    ip->frag_off_be != ip0->frag_off_be || ip->ttl != ip0->ttl ||
	    ip->src_be != ip0->src_be || ip->dst_be != ip0->dst_be || memcmp(si.l4, l4_0, 4))
		return false;
	if (si.proto == IP_PROTO_TCP) {
		/* After the sequence number: the ACK number, header length
		 * and flags but for PSH, the window, the urgent pointer and
		 * every option. */
		const struct tcp_header *tcp = (const void *)si.l4;
		const struct tcp_header *tcp0 = (const void *)l4_0;
		size_t thl = m->hdr_len - ETH_HEADER_LEN - IPV4_HEADER_MIN_LEN;

		if (ntohl(tcp->seq_be) != m->next_seq || tcp->ack_be != tcp0->ack_be ||
		    tcp->data_off != tcp0->data_off ||
		    (tcp->flags & ~TCP_PSH) != (tcp0->flags & ~TCP_PSH) ||
		    tcp->window_be != tcp0->window_be || tcp->urg_be != tcp0->urg_be ||
		    memcmp(tcp + 1, tcp0 + 1, thl - sizeof *tcp))
			return false;
		if (!gso_l4_csum_ok(frame, len))
			return false;
		m->next_seq += (uint32_t)si.payload;
		m->push = (tcp->flags & TCP_PSH) != 0;
	} else if (!gso_l4_csum_ok(frame, len)) {
		return false;
	}
	m->seg[m->n++] = (struct iovec){(void *)frame, len};
	m->total += si.payload;
	m->closed = m->push || si.payload < m->mss;
	return true;
}

size_t gso_merge_finish(struct gso_merge *m, struct virtio_net_hdr *vh, struct iovec *iov)
{
	struct ipv4_header *ip = (void *)(m->hdr + ETH_HEADER_LEN);
	uint8_t *l4 = m->hdr + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN;
	size_t l4_len = m->hdr_len - ETH_HEADER_LEN - IPV4_HEADER_MIN_LEN + m->total;
	/* A partial checksum holds the pseudo-header sum, not complemented;
	 * the receiver (or whoever segments it again) adds the rest. */
	uint16_t partial_be = htons((uint16_t)~csum_fold(pseudo_sum(ip, l4_len)));

	memset(vh, 0, sizeof *vh);
	if (m->n == 1) {
		vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		iov[0] = m->seg[0];
		return 1;
	}
	ip->tot_len_be = htons((uint16_t)(IPV4_HEADER_MIN_LEN + l4_len));
	packet_ipv4_set_csum(ip);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->hdr_len = (uint16_t)m->hdr_len;
	vh->gso_size = (uint16_t)m->mss;
	vh->csum_start = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN;
	if (m->proto == IP_PROTO_TCP) {
		struct tcp_header *tcp = (void *)l4;

		if (m->push)
			tcp->flags |= TCP_PSH;
		tcp->csum_be = partial_be;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->csum_offset = offsetof(struct tcp_header, csum_be);
	} else {
		struct udp_header *uh = (void *)l4;

		uh->len_be = htons((uint16_t)l4_len);
		uh->csum_be = partial_be;
		vh->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		vh->csum_offset = offsetof(struct udp_header, csum_be);
	}
	iov[0] = (struct iovec){m->hdr, m->hdr_len};
	for (uint32_t i = 0; i < m->n; i++)
		iov[1 + i] = (struct iovec){(uint8_t *)m->seg[i].iov_base + m->hdr_len,
					    m->seg[i].iov_len - m->hdr_len};
	return 1 + m->n;
}

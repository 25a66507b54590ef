// SPDX-License-Identifier: Apache-2.0
/*
 * DHCP server logic for one port (RFC 2131 section 4.3): reads the
 * client's request, decides OFFER/ACK/NAK or silence, and writes the
 * complete reply frame (Ethernet, IPv4, UDP with checksum, BOOTP and
 * options) over the request. The BOOTP message is padded to 300 bytes, the
 * minimum some clients insist on (RFC 1542 section 3.4).
 */
#include "dhcp.h"

#include <arpa/inet.h>
#include <string.h>

enum {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

enum {
	OPT_PAD = 0,
	OPT_SUBNET_MASK = 1,
	OPT_ROUTER = 3,
	OPT_MTU = 26,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE_TIME = 51,
	OPT_OVERLOAD = 52,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_RENEWAL_TIME = 58,
	OPT_REBINDING_TIME = 59,
	OPT_END = 255,
};

#define BOOTP_MIN_LEN 300 /* RFC 1542: BOOTP message at least 300 bytes */
#define BOOTP_BROADCAST 0x8000

struct request {
	uint8_t type;	    /* DHCP message type, 0 if absent */
	uint32_t req_ip;    /* option 50, host order, 0 if absent */
	uint32_t server_id; /* option 54, host order, 0 if absent */
	bool has_server_id;
};

static bool read_u32(const uint8_t *p, uint8_t len, uint32_t *v)
{
	uint32_t be;

	if (len != 4)
		return false;
	memcpy(&be, p, 4);
	*v = ntohl(be);
	return true;
}

/* Walks the options after the magic cookie. False if they run past the end
 * or are inconsistent. */
static bool parse_options(const uint8_t *p, size_t len, struct request *r)
{
	size_t i = 0;

	memset(r, 0, sizeof *r);
	while (i < len) {
		uint8_t code = p[i++], olen;

		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			return true;
		if (i >= len)
			return false;
		olen = p[i++];
		if (olen > len - i)
			return false;
		switch (code) {
		case OPT_MSG_TYPE:
			if (olen != 1)
				return false;
			r->type = p[i];
			break;
		case OPT_REQUESTED_IP:
			if (!read_u32(p + i, olen, &r->req_ip))
				return false;
			break;
		case OPT_SERVER_ID:
			if (!read_u32(p + i, olen, &r->server_id))
				return false;
			r->has_server_id = true;
			break;
		default:
			break;
		}
		i += olen;
	}
	/* Some clients omit the end option; what we read is still valid. */
	return true;
}

static uint8_t *put_opt32(uint8_t *p, uint8_t code, uint32_t v)
{
	uint32_t be = htonl(v);

	*p++ = code;
	*p++ = 4;
	memcpy(p, &be, 4);
	return p + 4;
}

static uint32_t prefix_mask(uint8_t len)
{
	return ipv4_mask(len > 32 ? 32 : len);
}

enum dhcp_result dhcp_handle(uint8_t *frame, size_t len, size_t room, const struct pkt_info *info,
			     const struct dhcp_config *cfg, size_t *reply_len)
{
	const size_t bootp_ofs = (size_t)info->l4_ofs + sizeof(struct udp_header);
	const struct udp_header *udp_in = (const void *)(frame + info->l4_ofs);
	struct dhcp_header *dh;
	struct request req;
	size_t blen, ulen;
	uint8_t reply_type;
	uint32_t yiaddr = 0, ciaddr, xid_be, giaddr_be, dst_ip;
	uint16_t flags_be;
	bool broadcast;

	*reply_len = 0;
	if (!dhcp_is_request(info) || info->fragment)
		return DHCP_MALFORMED;
	ulen = ntohs(udp_in->len_be);
	if (ulen > info->l4_len || bootp_ofs + (ulen - sizeof *udp_in) > len)
		return DHCP_MALFORMED;
	blen = ulen - sizeof *udp_in;
	if (blen < sizeof *dh)
		return DHCP_MALFORMED;
	dh = (void *)(frame + bootp_ofs);
	if (dh->op != 1 || dh->htype != 1 || dh->hlen != 6 || ntohl(dh->magic_be) != DHCP_MAGIC)
		return DHCP_MALFORMED;
	if (!parse_options((const uint8_t *)(dh + 1), blen - sizeof *dh, &req) || !req.type)
		return DHCP_MALFORMED;
	if (memcmp(dh->chaddr, cfg->client_mac.b, 6))
		return DHCP_IGNORE; /* not the instance's NIC */

	ciaddr = ntohl(dh->ciaddr_be);
	switch (req.type) {
	case DHCPDISCOVER:
		reply_type = DHCPOFFER;
		yiaddr = cfg->client_ip;
		break;
	case DHCPREQUEST:
		if (req.has_server_id) {
			/* SELECTING: the client chose among offers. */
			if (req.server_id != cfg->server_ip)
				return DHCP_IGNORE;
			reply_type = req.req_ip == cfg->client_ip ? DHCPACK : DHCPNAK;
		} else if (req.req_ip) {
			/* INIT-REBOOT: checking a remembered address. */
			reply_type = req.req_ip == cfg->client_ip ? DHCPACK : DHCPNAK;
		} else {
			/* RENEWING or REBINDING. */
			reply_type = ciaddr == cfg->client_ip ? DHCPACK : DHCPNAK;
		}
		if (reply_type == DHCPACK)
			yiaddr = cfg->client_ip;
		break;
	case DHCPINFORM:
		reply_type = DHCPACK;
		break;
	case DHCPDECLINE:
	case DHCPRELEASE:
		return DHCP_IGNORE;
	default:
		return DHCP_MALFORMED;
	}
	if (room < DHCP_REPLY_MAX_LEN)
		return DHCP_IGNORE;

	/* What the reply keeps from the request. */
	xid_be = dh->xid_be;
	flags_be = dh->flags_be;
	giaddr_be = dh->giaddr_be;
	broadcast = (ntohs(flags_be) & BOOTP_BROADCAST) != 0;

	/* RFC 2131 4.1: NAKs are broadcast; a client with an address gets
	 * unicast to it; otherwise broadcast if asked, else unicast to yiaddr. */
	if (reply_type == DHCPNAK) {
		dst_ip = 0xffffffffu;
	} else if (ciaddr && (req.type == DHCPINFORM || req.type == DHCPREQUEST) && !broadcast) {
		dst_ip = ciaddr;
	} else if (broadcast || !yiaddr) {
		dst_ip = 0xffffffffu;
	} else {
		dst_ip = yiaddr;
	}

	/* Write the BOOTP message first (it sits where the request's was). */
	uint8_t *b = frame + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof(struct udp_header);

	dh = (void *)b;
	memset(b, 0, BOOTP_MIN_LEN);
	dh->op = 2;
	dh->htype = 1;
	dh->hlen = 6;
	dh->xid_be = xid_be;
	dh->flags_be = flags_be;
	dh->ciaddr_be = req.type == DHCPINFORM || reply_type == DHCPACK ? htonl(ciaddr) : 0;
	if (reply_type == DHCPNAK)
		dh->ciaddr_be = 0;
	dh->yiaddr_be = htonl(yiaddr);
	dh->giaddr_be = giaddr_be;
	memcpy(dh->chaddr, cfg->client_mac.b, 6);
	dh->magic_be = htonl(DHCP_MAGIC);

	uint8_t *o = (uint8_t *)(dh + 1);

	*o++ = OPT_MSG_TYPE;
	*o++ = 1;
	*o++ = reply_type;
	o = put_opt32(o, OPT_SERVER_ID, cfg->server_ip);
	if (reply_type != DHCPNAK) {
		if (req.type != DHCPINFORM) {
			o = put_opt32(o, OPT_LEASE_TIME, cfg->lease_s);
			o = put_opt32(o, OPT_RENEWAL_TIME, cfg->lease_s / 2);
			o = put_opt32(o, OPT_REBINDING_TIME, cfg->lease_s / 8 * 7);
		}
		o = put_opt32(o, OPT_SUBNET_MASK, prefix_mask(cfg->prefix_len));
		if (cfg->router)
			o = put_opt32(o, OPT_ROUTER, cfg->router);
		if (cfg->mtu) {
			*o++ = OPT_MTU;
			*o++ = 2;
			*o++ = (uint8_t)(cfg->mtu >> 8);
			*o++ = (uint8_t)cfg->mtu;
		}
	}
	*o++ = OPT_END;
	blen = (size_t)(o - b);
	if (blen < BOOTP_MIN_LEN)
		blen = BOOTP_MIN_LEN;

	/* UDP, IPv4 and Ethernet headers in front of it. */
	struct eth_header *eth = (void *)frame;
	struct ipv4_header *ip = (void *)(frame + ETH_HEADER_LEN);
	struct udp_header *udp = (void *)(frame + ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN);
	uint32_t sum;

	if (dst_ip == 0xffffffffu)
		memset(eth->dst.b, 0xff, 6);
	else
		eth->dst = cfg->client_mac;
	eth->src = cfg->server_mac;
	eth->type_be = htons(ETH_TYPE_IPV4);

	ip->ver_ihl = 0x45;
	ip->tos = 0;
	ip->tot_len_be = htons((uint16_t)(IPV4_HEADER_MIN_LEN + sizeof *udp + blen));
	ip->id_be = 0;
	ip->frag_off_be = 0;
	ip->ttl = 64;
	ip->proto = IP_PROTO_UDP;
	ip->src_be = htonl(cfg->server_ip);
	ip->dst_be = htonl(dst_ip);
	packet_ipv4_set_csum(ip);

	udp->src_be = htons(DHCP_SERVER_PORT);
	udp->dst_be = htons(DHCP_CLIENT_PORT);
	udp->len_be = htons((uint16_t)(sizeof *udp + blen));
	udp->csum_be = 0;
	/* Pseudo-header: addresses, protocol, UDP length. */
	sum = csum_partial(&ip->src_be, 8, 0);
	sum += IP_PROTO_UDP + (uint32_t)(sizeof *udp + blen);
	sum = csum_partial(udp, sizeof *udp + blen, sum);
	udp->csum_be = htons(csum_fold(sum) ? csum_fold(sum) : 0xffff);

	*reply_len = ETH_HEADER_LEN + IPV4_HEADER_MIN_LEN + sizeof *udp + blen;
	return DHCP_REPLY;
}

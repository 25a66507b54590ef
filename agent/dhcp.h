/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's DHCP server (RFC 2131/2132), one lease per port: the
 * instance's address, the subnet mask, the router's interface address on
 * the subnet as default gateway (when the VN has one there), lease 3600 s.
 * DISCOVER gets an OFFER, REQUEST an ACK (or a NAK when it asks for
 * another address), INFORM an ACK without lease; RELEASE and DECLINE are
 * taken note of silently. The server identifier is the router address (or
 * DHCP_SERVER_ID_DEFAULT when there is no router).
 *
 * Pure: the reply is written over the request in the caller's buffer; no
 * allocation, no state between calls (the lease is the model's, not ours).
 */
#ifndef ONM_AGENT_DHCP_H
#define ONM_AGENT_DHCP_H

#include "onm/net.h"
#include "onm/packet.h"
#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_LEASE_S 3600
#define DHCP_SERVER_ID_DEFAULT 0xa9fea9feu /* 169.254.169.254, when the subnet has no router */
/* Interface MTU offered (option 26): underlay 1500 minus VXLAN overhead 50. */
#define DHCP_MTU 1450
/* Room a reply needs at the frame (headers + BOOTP + options, padded). */
#define DHCP_REPLY_MAX_LEN 400

/* What the server offers on one port. Addresses host byte order. */
struct dhcp_config {
	struct eth_addr client_mac; /* the instance's MAC: other chaddr are ignored */
	uint32_t client_ip;	    /* the instance's address */
	uint8_t prefix_len;	    /* of its subnet */
	uint32_t router;	    /* default gateway, 0 = none */
	uint32_t server_ip;	    /* server identifier and reply source */
	struct eth_addr server_mac; /* reply source MAC */
	uint32_t lease_s;	    /* lease time */
	uint16_t mtu;		    /* option 26, 0 = not sent */
};

/* True if 'info' (of a parsed frame) is a UDP datagram from the DHCP client
 * port to the server port, i.e. something for dhcp_handle(). */
static inline bool dhcp_is_request(const struct pkt_info *info)
{
	return info->eth_type == ETH_TYPE_IPV4 && info->proto == IP_PROTO_UDP && info->l4_ok &&
	       info->src_port == DHCP_CLIENT_PORT && info->dst_port == DHCP_SERVER_PORT;
}

enum dhcp_result {
	DHCP_REPLY,	/* the frame now holds the reply, of '*reply_len' bytes */
	DHCP_IGNORE,	/* nothing to send (RELEASE, DECLINE, another server's, not ours) */
	DHCP_MALFORMED, /* not a valid BOOTP/DHCP request */
};

/* Handles the DHCP request in 'frame' ('len' bytes, parsed into 'info'; see
 * dhcp_is_request()) for a port configured by 'cfg'. 'room' is the bytes
 * available at 'frame' (the reply may be longer than the request; at least
 * DHCP_REPLY_MAX_LEN). On DHCP_REPLY the frame holds a complete Ethernet
 * frame from 'cfg->server_mac'/'server_ip' to the client (its MAC; the
 * broadcast address when the client asked for broadcast, else the offered
 * address or its current one). */
enum dhcp_result dhcp_handle(uint8_t *frame, size_t len, size_t room, const struct pkt_info *info,
			     const struct dhcp_config *cfg, size_t *reply_len);

#endif /* ONM_AGENT_DHCP_H */

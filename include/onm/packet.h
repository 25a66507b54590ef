/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire formats the data plane reads and writes: Ethernet, ARP, IPv4, ICMP,
 * UDP, TCP, VXLAN (RFC 7348, with onm's flags byte and destination host id
 * of docs/dataplane.md) and DHCP/BOOTP; a bounds-checked parser that turns a
 * frame into offsets; Internet checksums (full and incremental, RFC 1624);
 * and builders for the replies the agent answers itself (ARP, ICMP).
 *
 * Everything here is pure: bytes in, struct out, no allocation, no system
 * call. Header structs are packed and describe bytes in network order;
 * fields named *_be are big-endian. Addresses in 'struct pkt_info' are host
 * byte order like the model's (net.h).
 *
 * Thread-safety: none needed (no state).
 */
#ifndef ONM_PACKET_H
#define ONM_PACKET_H

#include "onm/net.h"
#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HEADER_LEN 14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_IPV6 0x86dd

#define IPV4_HEADER_MIN_LEN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IPV4_FLAG_MF 0x2000	  /* in frag_off, host order */
#define IPV4_FRAG_OFF_MASK 0x1fff /* in frag_off, host order, units of 8 bytes */

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_NET_UNREACH 0  /* code of ICMP_DEST_UNREACH */
#define ICMP_HOST_UNREACH 1 /* code of ICMP_DEST_UNREACH */
#define ICMP_PORT_UNREACH 3 /* code of ICMP_DEST_UNREACH */
#define ICMP_TTL_EXCEEDED 0 /* code of ICMP_TIME_EXCEEDED */

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

#define VXLAN_PORT 4789
#define VXLAN_HEADER_LEN 8
#define VXLAN_FLAG_I 0x08 /* "VNI valid" bit of the flags byte */
#define VXLAN_ONM_W 0x01  /* onm's flags byte: the packet has passed a waypoint */

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC 0x63825363u
#define BOOTP_FIXED_LEN 236 /* BOOTP header up to (not including) the magic cookie */

struct eth_header {
	struct eth_addr dst;
	struct eth_addr src;
	uint16_t type_be;
} __attribute__((packed));

/* ARP for Ethernet/IPv4 (RFC 826). */
struct arp_header {
	uint16_t htype_be; /* 1 = Ethernet */
	uint16_t ptype_be; /* 0x0800 */
	uint8_t hlen;	   /* 6 */
	uint8_t plen;	   /* 4 */
	uint16_t op_be;
	struct eth_addr sha;
	uint32_t spa_be;
	struct eth_addr tha;
	uint32_t tpa_be;
} __attribute__((packed));

struct ipv4_header {
	uint8_t ver_ihl; /* version 4 << 4 | header length in 32-bit words */
	uint8_t tos;
	uint16_t tot_len_be;
	uint16_t id_be;
	uint16_t frag_off_be; /* flags and fragment offset */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum_be;
	uint32_t src_be;
	uint32_t dst_be;
} __attribute__((packed));

/* The TOS byte (DSCP << 2 | ECN) for DSCP 'dscp' (0..63) with ECN 0, and
 * the DSCP of a TOS byte. */
static inline uint8_t ip_tos_from_dscp(uint8_t dscp)
{
	return (uint8_t)(dscp << 2);
}

static inline uint8_t ip_tos_dscp(uint8_t tos)
{
	return tos >> 2;
}

struct icmp_header {
	uint8_t type;
	uint8_t code;
	uint16_t csum_be;
	union {
		struct {
			uint16_t id_be;
			uint16_t seq_be;
		} echo;
		uint32_t unused_be; /* errors: zero (or next-hop MTU for code 4) */
	};
} __attribute__((packed));

struct udp_header {
	uint16_t src_be;
	uint16_t dst_be;
	uint16_t len_be;
	uint16_t csum_be;
} __attribute__((packed));

struct tcp_header {
	uint16_t src_be;
	uint16_t dst_be;
	uint32_t seq_be;
	uint32_t ack_be;
	uint8_t data_off; /* header length in 32-bit words << 4 */
	uint8_t flags;
	uint16_t window_be;
	uint16_t csum_be;
	uint16_t urg_be;
} __attribute__((packed));

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* VXLAN (RFC 7348) with onm's transit metadata in the first reserved field
 * (docs/dataplane.md): a flags byte and the destination host id. The
 * packet's service class is not here: it travels as the outer IPv4 DSCP. */
struct vxlan_header {
	uint8_t flags;	      /* VXLAN_FLAG_I */
	uint8_t onm_flags;    /* VXLAN_ONM_W; 0 towards a kernel VTEP */
	uint16_t dst_host_be; /* destination host id, 0 = "the receiver" */
	uint8_t vni[3];	      /* VXLAN Network Identifier, big-endian */
	uint8_t reserved;
} __attribute__((packed));

/* The fixed part of a BOOTP/DHCP message (RFC 2131), then the magic cookie
 * and options. */
struct dhcp_header {
	uint8_t op; /* 1 request, 2 reply */
	uint8_t htype;
	uint8_t hlen;
	uint8_t hops;
	uint32_t xid_be;
	uint16_t secs_be;
	uint16_t flags_be; /* 0x8000 = broadcast */
	uint32_t ciaddr_be;
	uint32_t yiaddr_be;
	uint32_t siaddr_be;
	uint32_t giaddr_be;
	uint8_t chaddr[16];
	char sname[64];
	char file[128];
	uint32_t magic_be;
} __attribute__((packed));

static inline uint32_t vxlan_get_vni(const struct vxlan_header *v)
{
	return (uint32_t)v->vni[0] << 16 | (uint32_t)v->vni[1] << 8 | v->vni[2];
}

static inline void vxlan_set_vni(struct vxlan_header *v, uint32_t vni)
{
	v->vni[0] = (uint8_t)(vni >> 16);
	v->vni[1] = (uint8_t)(vni >> 8);
	v->vni[2] = (uint8_t)vni;
}

/* What packet_parse_frame() found. Offsets are from the start of the frame;
 * fields of layers that are absent are zero. */
struct pkt_info {
	uint16_t eth_type;   /* host order; ETH_TYPE_* */
	uint16_t l3_ofs;     /* ARP or IPv4 header (always ETH_HEADER_LEN) */
	uint16_t l4_ofs;     /* IPv4 payload; 0 if not IPv4 */
	uint16_t l3_len;     /* IPv4: total length per the header (<= bytes present) */
	uint16_t l4_len;     /* IPv4: payload bytes (l3_len - header length) */
	uint8_t proto;	     /* IPv4 protocol */
	uint8_t ttl;	     /* IPv4 TTL */
	bool fragment;	     /* IPv4: MF set or offset != 0 */
	bool first_fragment; /* IPv4: offset 0 (L4 header present if l4 parsed) */
	bool l4_ok;	     /* TCP/UDP/ICMP header complete and parsed */
	uint32_t src_ip;     /* IPv4 or ARP sender, host order */
	uint32_t dst_ip;     /* IPv4 or ARP target, host order */
	uint16_t src_port;   /* TCP/UDP; ICMP echo: the identifier */
	uint16_t dst_port;   /* TCP/UDP */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t tcp_flags;
	uint16_t arp_op; /* host order */
};

enum pkt_parse_result {
	PKT_OK,		 /* parsed; 'info' describes the frame */
	PKT_MALFORMED,	 /* truncated or inconsistent headers */
	PKT_UNSUPPORTED, /* well formed but not a type onm handles (VLAN, IPv6, IP options ok) */
};

/* Parses the Ethernet frame 'data' of 'len' bytes: Ethernet, then ARP
 * (Ethernet/IPv4 only) or IPv4 (checksum verified, total length within
 * the bytes present; trailing padding is allowed), then, for first
 * fragments, the TCP/UDP/ICMP header. An L4 header that does not fit is
 * PKT_MALFORMED. Fills 'info' (always fully written). */
enum pkt_parse_result packet_parse_frame(const uint8_t *data, size_t len, struct pkt_info *info);

/* Parses a VXLAN header at 'data' (the UDP payload of 'len' bytes): the I
 * flag must be set and an inner Ethernet header must follow. On success
 * sets '*vni', '*onm_flags' (byte 1: VXLAN_ONM_W, other bits as received)
 * and '*dst_host' and returns true. */
bool packet_parse_vxlan(const uint8_t *data, size_t len, uint32_t *vni, uint8_t *onm_flags,
			uint16_t *dst_host);

/* Internet checksum helpers (RFC 1071). csum_partial() adds 'len' bytes of
 * 'data' to the running sum 'sum' (big-endian 16-bit words, an odd last
 * byte padded with zero, so only the last piece may have an odd length) and
 * returns it folded to 16 bits, so a few small values may be added to it
 * before the next call; csum_fold() folds and complements a sum into the
 * value to store (host order: store with htons). */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);

/* Incremental update (RFC 1624, eqn. 3): the checksum 'csum' (as stored,
 * converted to host order) of data in which one 16-bit word changed from
 * 'old' to 'new' (host order). Returns the new checksum, host order. */
static inline uint16_t csum_update16(uint16_t csum, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Recomputes the header checksum of the IPv4 header 'ip' (of its IHL). */
void packet_ipv4_set_csum(struct ipv4_header *ip);

/* Decrements the TTL of 'ip' (which must be >= 1) and updates its header
 * checksum incrementally. */
void packet_ipv4_dec_ttl(struct ipv4_header *ip);

/* Turns the ARP request in 'frame' (parsed into 'info') into the reply
 * "'info->dst_ip' is at 'mac'", in place (same length, 42 bytes of ARP
 * plus the original padding). */
void packet_arp_make_reply(uint8_t *frame, const struct pkt_info *info, const struct eth_addr *mac);

/* Turns the ICMP echo request in 'frame' (parsed into 'info') into its
 * echo reply in place: Ethernet and IP addresses swapped, source IP
 * 'reply_src' (host order), TTL 64, checksums recomputed. The reply is
 * sent back to the frame's source with source MAC 'src_mac'. Returns the
 * reply's length (the IP total length plus 14; padding is dropped). */
size_t packet_icmp_make_echo_reply(uint8_t *frame, const struct pkt_info *info, uint32_t reply_src,
				   const struct eth_addr *src_mac);

/* Replaces the IPv4 packet in 'frame' (parsed into 'info'; it need not be
 * complete beyond its IP header + 8 bytes) by an ICMP error of 'type' and
 * 'code' from 'src_ip' (host order) to the original source, quoting the
 * original IP header and the first 8 bytes of its payload (RFC 792).
 * Ethernet: destination = original source MAC, source = 'src_mac'. 'room'
 * is the bytes available at 'frame' (at least 14 + 20 + 8 + 60 + 8 = 110
 * are needed for any input). Returns the new length, or 0 if 'room' is too
 * small. Callers decide whether an error may be sent at all
 * (packet_icmp_error_allowed()). */
size_t packet_icmp_make_error(uint8_t *frame, size_t room, const struct pkt_info *info,
			      uint8_t type, uint8_t code, uint32_t src_ip,
			      const struct eth_addr *src_mac);

/* RFC 1812 4.3.2.7: no ICMP error about an ICMP error, a non-first
 * fragment, or a packet to or from a broadcast/multicast/zero address. */
bool packet_icmp_error_allowed(const uint8_t *frame, const struct pkt_info *info);

#endif /* ONM_PACKET_H */

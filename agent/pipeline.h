/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet's way through one agent (design.md): what happens to a frame
 * from a local instance's TAP or to a VXLAN packet from the underlay,
 * decided against one table snapshot (tables.h). No allocation, no lock,
 * no system call: the runtime does the I/O and carries out the returned
 * action.
 *
 * From a port: parse -> ARP proxy (replies for router interfaces and the
 * VN's instances; other ARP dropped, no broadcast leaves the host) -> DHCP
 * server -> port security (source MAC and IP must be the instance's; DHCP
 * from 0.0.0.0 allowed) -> L2 within the VN (destination MAC of an
 * instance) or the logical router (destination MAC of a router interface:
 * echo replies for router addresses, TTL - 1 or time exceeded, LPM over
 * connected subnets and static routes or unreachable, MAC rewrite) ->
 * egress ACL of the source port -> local port (ingress ACL) or remote
 * instance: VXLAN encapsulation (VNI, flags, destination host id), the
 * VN's class as the outer DSCP, and one of the forwarding entry's
 * equal-cost next hops, chosen by the flow hash.
 *
 * From the underlay: the class is the one whose DSCP the outer header
 * carries. VXLAN header -> destination host id 0 or ours: decapsulate
 * (VNI must be one of ours; a waypoint class must have passed a waypoint,
 * W flag, unless this host is one), deliver to the local instance by
 * destination MAC through its ingress ACL; another id: transit by the
 * forwarding entry (class, destination), one of its next hops chosen by
 * the outer UDP source port, unchanged but for the flags byte (W set when
 * this host is a waypoint of the class) and, towards a kernel VTEP, zeroed
 * flags, destination and DSCP.
 *
 * Waypoints (a class with "via_capability", docs/dataplane.md): a packet
 * that has not passed one yet goes by the entry's "pre_waypoint" hops when
 * the entry has them; a waypoint host sets W and sends by "next_hops".
 *
 * Security groups are stateful: each dp_ctx has its own conntrack table, so
 * both directions of a flow must go through the same dp_ctx for replies to
 * be recognized (one data-plane thread for ports and underlay, or flows
 * steered consistently).
 *
 * Router interfaces may be shut down, filter with access lists (in before
 * routing, out after), shape what leaves through them (a token bucket per
 * interface shared by the threads), and a router may redirect addresses
 * (DNAT, with replies translated back by conntrack where they are
 * delivered); docs/dataplane.md says how. An interface without any of it
 * costs one test of its flags byte.
 *
 * Counters: every drop is counted by reason (in the thread's drop array)
 * and on the port/VN it happened in; ports, VNs and router interfaces
 * count rx/tx (counters.h).
 *
 * Thread-safety: a dp_ctx belongs to one data-plane thread; a table
 * snapshot is read-only and shared.
 */
#ifndef ONM_AGENT_PIPELINE_H
#define ONM_AGENT_PIPELINE_H

#include "counters.h"
#include "tables.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes before the packet that encapsulation may use (it needs 8, the VXLAN
 * header; the rest is slack for the runtime, e.g. a virtio-net header). */
#define DP_BUF_HEADROOM 128
/* Storage a dp_buf should have at least: headroom, a 1518-byte frame, and
 * room for replies that grow (DHCP, ICMP errors). */
#define DP_BUF_MIN_SIZE (DP_BUF_HEADROOM + 2048)

/* A packet in a buffer with headroom. The pipeline moves 'data' and changes
 * 'len' (encapsulation prepends in place; decapsulation strips; replies are
 * written over the request), always within [head, head + size). */
struct dp_buf {
	uint8_t *head; /* start of the storage */
	size_t size;   /* bytes of storage */
	uint8_t *data; /* first byte of the packet */
	size_t len;    /* bytes of the packet */
	/* The frame's TCP/UDP checksum is partial (a virtio-net header with
	 * NEEDS_CSUM: the field holds the pseudo-header sum, to be completed
	 * later): address rewrites (redirects) adjust it as such. Set by the
	 * runtime after dp_buf_init(), which clears it. */
	bool csum_partial;
};

/* Points 'b' at 'storage' of 'size' bytes with the packet starting after
 * DP_BUF_HEADROOM bytes and empty: read the packet to b->data (at most
 * size - DP_BUF_HEADROOM bytes) and set b->len. */
static inline void dp_buf_init(struct dp_buf *b, void *storage, size_t size)
{
	b->head = storage;
	b->size = size;
	b->data = b->head + DP_BUF_HEADROOM;
	b->len = 0;
	b->csum_partial = false;
}

/* Bytes available after b->data (for the packet and growth). */
static inline size_t dp_buf_tailroom(const struct dp_buf *b)
{
	return b->size - (size_t)(b->data - b->head);
}

enum dp_verdict {
	DP_DROP,	/* drop; 'reason' says why (already counted) */
	DP_TO_PORT,	/* write the Ethernet frame at pkt->data to port 'port' */
	DP_TO_UNDERLAY, /* send pkt->data (VXLAN header + frame) as the payload of a UDP
			 * datagram from ('udp_src_port') to next_hop:4789 */
	DP_TO_LOCAL,	/* the Ethernet frame at pkt->data, of the VN of 'vni', answers a
			 * probe the router sent (dp_from_router): hand it to the control
			 * thread (router-ping.h) */
};

struct dp_action {
	enum dp_verdict verdict;
	enum dp_drop_reason reason; /* DP_DROP */
	uint32_t port;		    /* DP_TO_PORT: port index in the snapshot */
	uint32_t next_hop;	    /* DP_TO_UNDERLAY: underlay address, host order */
	uint8_t dscp;		    /* DP_TO_UNDERLAY: the class's DSCP, 0 to a kernel VTEP */
	uint16_t udp_src_port;	    /* DP_TO_UNDERLAY: 49152..65535, hash of the inner flow */
	uint32_t vni;		    /* DP_TO_LOCAL: the VN of the frame */
	bool reply; /* the packet in pkt is one the pipeline made (ARP, DHCP or ICMP reply, ICMP
		     * error) in place of the one received: offload metadata of the received
		     * frame (a virtio-net header) does not apply to it */
};

struct dp_ctx;

/* A context for data-plane thread number 'thread' (< DP_MAX_THREADS; each
 * thread its own number), counting drops in 'reg', with a conntrack table
 * of 'conntrack_entries' flows (0: a default of 65536). */
struct dp_ctx *dp_ctx_create(struct dp_counters_registry *reg, unsigned int thread,
			     size_t conntrack_entries);
/* NULL is fine. */
void dp_ctx_destroy(struct dp_ctx *);

/* Sets the time (monotonic µs, e.g. time_usec() once per batch) the
 * pipeline uses for conntrack. */
void dp_ctx_set_time(struct dp_ctx *, uint64_t now_us);

/* The context's conntrack table (tests, counts). */
struct conntrack *dp_ctx_conntrack(struct dp_ctx *);

/* Decides the fate of the Ethernet frame in 'pkt' received from port
 * 'port' of 't'. May rewrite 'pkt' (reply, MAC rewrite, TTL, encap). */
void dp_from_port(struct dp_ctx *, const struct dp_tables *t, uint32_t port, struct dp_buf *pkt,
		  struct dp_action *out);

/* What the outer headers of a datagram from the underlay said. */
struct dp_outer {
	uint32_t src_addr; /* IPv4 source, host order */
	uint16_t src_port; /* UDP source port */
	uint8_t dscp;	   /* IPv4 DSCP, 0..63 (the TOS byte >> 2) */
};

/* Decides the fate of the UDP payload in 'pkt' (a VXLAN header, then the
 * inner frame) received on the VXLAN port with outer headers 'outer'. On
 * DP_TO_PORT, pkt->data points at the inner frame; on DP_TO_UNDERLAY
 * (transit, or a reply to a kernel VTEP's ARP), at the VXLAN header. */
void dp_from_underlay(struct dp_ctx *, const struct dp_tables *t, const struct dp_outer *outer,
		      struct dp_buf *pkt, struct dp_action *out);

/* Decides the fate of the IPv4 packet in 'pkt' (an Ethernet frame) that a
 * router of the VN of 'vni' sends itself from the interface address that is
 * its source (router-ping.h): routed by that router as its own traffic — no
 * TTL taken off at the first router and no input counted on the source
 * interface — to a local port, to the underlay, or, for an answer the
 * router makes itself (an ICMP error, an echo reply from one of its
 * addresses), DP_TO_LOCAL. Such answers from elsewhere come back as
 * DP_TO_LOCAL too when their ICMP identifier (the echo's, or the quoted
 * echo's) is this host's id; an agent that gets one for another host's id
 * passes it on to that host. */
void dp_from_router(struct dp_ctx *, const struct dp_tables *t, uint32_t vni, struct dp_buf *pkt,
		    struct dp_action *out);

#endif /* ONM_AGENT_PIPELINE_H */

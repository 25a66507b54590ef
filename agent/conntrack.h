/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection tracking for stateful security groups: a flow that an ACL let
 * through is remembered, so that its replies pass both ACLs (the source's
 * ingress and the destination's egress) without a rule of their own.
 *
 * It also remembers the flows a router's redirect translated (DNAT: the
 * destination 'from' replaced by 'to'), keyed by the translated tuple, with
 * the destination they had: a reply from 'to' finds its flow and gets
 * 'from' back as its source. One entry serves both purposes; each is a flag
 * of its own, so a flow that was only translated does not count as allowed
 * by security groups, nor the reverse.
 *
 * A flow is (VNI, protocol, two address/port endpoints), normalized so
 * that both directions give the same key. For ICMP echo the identifier
 * stands in for the ports (request: source port = id; reply: destination
 * port = id), so an echo reply matches its request's entry.
 *
 * The table is a fixed array of entries allocated at creation, open
 * addressing with a bounded probe window; nothing is allocated per packet.
 * Entries expire by the timestamps the caller passes (monotonic µs): an
 * expired entry counts as absent and its slot is reused. When every slot
 * of a window is live, a new flow evicts the entry that expires first.
 *
 * Thread-safety: none. One data-plane thread owns a table (dp_ctx).
 */
#ifndef ONM_AGENT_CONNTRACK_H
#define ONM_AGENT_CONNTRACK_H

#include "onm/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One packet's flow as seen on the wire (host byte order). */
struct ct_tuple {
	uint32_t vni; /* virtual network (overlapping addresses of tenants) */
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t src_port; /* TCP/UDP port; ICMP echo request: id; else 0 */
	uint16_t dst_port; /* TCP/UDP port; ICMP echo reply: id; else 0 */
	uint8_t proto;	   /* IP protocol */
};

/* Idle timeouts (µs) per protocol. */
#define CT_TIMEOUT_TCP_US (300ull * 1000000)
#define CT_TIMEOUT_TCP_CLOSED_US (10ull * 1000000) /* after FIN or RST */
#define CT_TIMEOUT_UDP_US (60ull * 1000000)
#define CT_TIMEOUT_ICMP_US (30ull * 1000000)
#define CT_TIMEOUT_OTHER_US (60ull * 1000000)

struct conntrack;

/* A table with room for 'n_entries' flows (rounded up to a power of two,
 * at least 64). */
struct conntrack *conntrack_create(size_t n_entries);
/* NULL is fine. */
void conntrack_destroy(struct conntrack *);

/* True if the flow of 't' (either direction) was let through by security
 * groups (conntrack_commit()) and is not expired at 'now_us'; a hit
 * refreshes the entry's expiry ('tcp_flags' with FIN or RST shortens it). */
bool conntrack_lookup(struct conntrack *, const struct ct_tuple *t, uint8_t tcp_flags,
		      uint64_t now_us);

/* Tracks the flow of 't' as allowed by security groups from 'now_us' (or
 * refreshes it). */
void conntrack_commit(struct conntrack *, const struct ct_tuple *t, uint8_t tcp_flags,
		      uint64_t now_us);

/* Remembers that the flow of 't' (as it leaves the router, its destination
 * already the redirect's target) was addressed to 'orig_dst' (host order)
 * before a redirect, from 'now_us' on (or refreshes it). */
void conntrack_nat_commit(struct conntrack *, const struct ct_tuple *t, uint32_t orig_dst,
			  uint8_t tcp_flags, uint64_t now_us);

/* Which way a packet goes in a redirected flow. */
enum ct_nat_dir {
	CT_NAT_NONE,	 /* not a redirected flow (or expired) */
	CT_NAT_ORIGINAL, /* from the client to the redirect's target */
	CT_NAT_REPLY,	 /* from the redirect's target back to the client */
};

/* The direction of 't' if its flow was redirected and is not expired at
 * 'now_us', with '*orig_dst' set to the destination its first packet had;
 * refreshes the entry as conntrack_lookup() does. CT_NAT_NONE otherwise. */
enum ct_nat_dir conntrack_nat_lookup(struct conntrack *, const struct ct_tuple *t,
				     uint8_t tcp_flags, uint64_t now_us, uint32_t *orig_dst);

/* Flows live at 'now_us' (walks the table: tests and reports only). */
size_t conntrack_count(const struct conntrack *, uint64_t now_us);

/* Forgets every flow. */
void conntrack_flush(struct conntrack *);

#endif /* ONM_AGENT_CONNTRACK_H */

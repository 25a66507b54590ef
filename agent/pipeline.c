// SPDX-License-Identifier: Apache-2.0
/*
 * The per-packet decisions of the agent (pipeline.h): from a port through
 * ARP proxy, DHCP, port security, switch or distributed router, security
 * groups and VXLAN encapsulation; from the underlay through decapsulation
 * or transit; and, for both, the choice of a next hop by the forwarding
 * entry (class DSCP, waypoint flag, ECMP). Every function here runs on a
 * data-plane thread against a read-only table snapshot: no allocation, no
 * lock, no system call. Drops are counted where they are decided, and
 * transit packets also on their class. Router interfaces' settings
 * (shutdown, access lists, shaping, redirects) are met only through the
 * interface's feature flags, so routers without them pay one test.
 */
#include "pipeline.h"

#include "conntrack.h"
#include "dhcp.h"
#include "onm/packet.h"
#include "tables-private.h"

#include <arpa/inet.h>
#include <string.h>

#define DP_CONNTRACK_DEFAULT 65536
#ifndef TCP_PSH
#define TCP_PSH 0x08 /* onm/packet.h names only the TCP flags others read */
#endif
#define DP_MAX_ROUTER_HOPS 4 /* routers chained by static routes within one VN */

struct dp_ctx {
	struct conntrack *ct;
	uint64_t now_us;     /* time of the current batch (monotonic) */
	unsigned int thread; /* counter slot */
	uint64_t *drops;     /* this thread's drop counters */
};

struct dp_ctx *dp_ctx_create(struct dp_counters_registry *reg, unsigned int thread,
			     size_t conntrack_entries)
{
	struct dp_ctx *ctx = xzalloc(sizeof *ctx);

	ctx->ct = conntrack_create(conntrack_entries ? conntrack_entries : DP_CONNTRACK_DEFAULT);
	ctx->thread = thread;
	ctx->drops = dp_counters_registry_drops(reg, thread);
	return ctx;
}

void dp_ctx_destroy(struct dp_ctx *ctx)
{
	if (!ctx)
		return;
	conntrack_destroy(ctx->ct);
	free(ctx);
}

void dp_ctx_set_time(struct dp_ctx *ctx, uint64_t now_us)
{
	ctx->now_us = now_us;
}

struct conntrack *dp_ctx_conntrack(struct dp_ctx *ctx)
{
	return ctx->ct;
}

/* One packet's way: what it came from and what is known about it. */
struct walk {
	struct dp_ctx *ctx;
	const struct dp_tables *t;
	struct dp_buf *pkt; /* pkt->data: the Ethernet frame */
	struct dp_action *out;
	struct pkt_info pi;
	const struct dp_port *src; /* the port it came from, NULL from the underlay */
	uint32_t src_port_idx;
	uint32_t dnat_orig; /* a redirect changed the destination from this (host order), or 0 */
	const struct dp_vn *vn;
	uint32_t vn_idx;
	const struct dp_outer *outer; /* outer headers (from the underlay), else NULL */
	size_t rx_len;		      /* frame length on arrival */
};

/* Where a packet for the underlay goes and how it is marked. */
struct hop {
	uint32_t addr;	  /* next hop's underlay address, host order */
	uint8_t flags;	  /* onm's flags byte to send with: VXLAN_ONM_W or 0 */
	bool kernel_vtep; /* the next hop is a kernel VTEP: plain VXLAN, DSCP 0 */
};

static inline bool eth_equal(const struct eth_addr *a, const struct eth_addr *b)
{
	return !memcmp(a->b, b->b, 6);
}

static void drop(struct walk *w, enum dp_drop_reason reason)
{
	unsigned int th = w->ctx->thread;

	dp_counter_add(&w->ctx->drops[reason], 1);
	if (w->src)
		dp_counters_drop(w->src->ctr, th);
	if (w->vn)
		dp_counters_drop(w->vn->ctr, th);
	w->out->verdict = DP_DROP;
	w->out->reason = reason;
}

/* A hash of the inner flow: the outer UDP source port is made of it, and
 * at the first hop it picks one of equal-cost next hops. */
static uint32_t flow_hash(const struct pkt_info *pi)
{
	uint32_t h = pi->src_ip * 0x9e3779b1u;

	h ^= pi->dst_ip * 0x85ebca6bu;
	h ^= ((uint32_t)pi->src_port << 16 | pi->dst_port) * 0xc2b2ae35u;
	h ^= pi->proto;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 13;
	return h;
}

/* The outer UDP source port of a flow of hash 'h': 49152..65535. */
static uint16_t flow_port(uint32_t h)
{
	return (uint16_t)(49152 | (h & 0x3fff));
}

/* A transit hop's stand-in for the flow hash: a hash of the outer UDP
 * source port, which the first hop made of the flow (so one flow keeps one
 * path) without the transit hop parsing the inner frame. */
static uint32_t port_hash(uint16_t port)
{
	return dp_map_hash(port);
}

static void to_port(struct walk *w, uint32_t port)
{
	const struct dp_port *p = &w->t->ports[port];

	dp_counters_tx(p->ctr, w->ctx->thread, w->pkt->len);
	w->out->verdict = DP_TO_PORT;
	w->out->port = port;
}

/* The frame is for the router itself: an answer to its own probe
 * (dp_from_router), for the control thread. */
static void to_local(struct walk *w)
{
	w->out->verdict = DP_TO_LOCAL;
	w->out->vni = w->vn->vni;
}

/* Chooses where a packet of class 'c' for which 'f' is the forwarding
 * entry goes next (docs/dataplane.md, "Sending"): 'passed' is its W flag
 * so far (false at the first hop), 'hash' the flow's hash. A waypoint sets
 * W; a packet of a waypoint class without W takes the entry's pre-waypoint
 * hops if it has them. False (and dropped as no_route) if the chosen list
 * is empty. */
static inline bool choose_hop(struct walk *w, const struct dp_fwd *f, const struct dp_class *c,
			      bool passed, uint32_t hash, struct hop *out)
{
	const struct dp_hops *hops = &f->next_hops;
	uint32_t i = 0;

	out->flags = 0;
	if (c->waypoint) {
		if (passed || c->self_waypoint)
			out->flags = VXLAN_ONM_W;
		else if (f->has_pre_waypoint)
			hops = &f->pre_waypoint;
	}
	if (!hops->n) {
		drop(w, DP_DROP_NO_ROUTE);
		return false;
	}
	if (hops->n > 1)
		i = hash % hops->n;
	out->addr = hops->addr[i];
	out->kernel_vtep = hops->kernel_vtep >> i & 1;
	return true;
}

/* Puts the VXLAN header in front of the frame in pkt and sets the action
 * to send it to 'next_hop' with outer DSCP 'dscp', the outer source port
 * made of the flow hash 'hash'. 'flags', 'dst_host' and 'dscp' 0 = plain
 * VXLAN. */
static void encap(struct walk *w, uint8_t flags, uint16_t dst_host, uint8_t dscp, uint32_t next_hop,
		  uint32_t hash)
{
	struct dp_buf *pkt = w->pkt;
	struct vxlan_header *vx;

	if (pkt->data - pkt->head < VXLAN_HEADER_LEN) {
		drop(w, DP_DROP_UNSUPPORTED); /* no headroom: the runtime's buffer is wrong */
		return;
	}
	pkt->data -= VXLAN_HEADER_LEN;
	pkt->len += VXLAN_HEADER_LEN;
	vx = (void *)pkt->data;
	vx->flags = VXLAN_FLAG_I;
	vx->onm_flags = flags;
	vx->dst_host_be = htons(dst_host);
	vxlan_set_vni(vx, w->vn->vni);
	vx->reserved = 0;
	w->out->verdict = DP_TO_UNDERLAY;
	w->out->next_hop = next_hop;
	w->out->udp_src_port = flow_port(hash);
	w->out->dscp = dscp;
}

/* Sends the reply now in pkt back where the packet came from: its port, or
 * (from the underlay) to the underlay sender as plain VXLAN. */
static void reply_back(struct walk *w)
{
	w->out->reply = true;
	dp_counters_tx(w->vn->ctr, w->ctx->thread, w->pkt->len);
	if (w->src)
		to_port(w, w->src_port_idx);
	else if (w->outer)
		encap(w, 0, 0, 0, w->outer->src_addr, flow_hash(&w->pi));
	else
		to_local(w); /* the router's own packet: the answer is its own */
}

/* ---- security groups ---- */

static bool acl_match(const struct dp_acl *acl, uint32_t remote, uint8_t proto, uint16_t dport)
{
	bool has_ports = proto == IP_PROTO_TCP || proto == IP_PROTO_UDP;

	for (uint32_t i = 0; i < acl->n; i++) {
		const struct dp_acl_rule *r = &acl->rules[i];

		if (r->proto && r->proto != proto)
			continue;
		if ((remote & r->mask) != r->addr)
			continue;
		if (has_ports && (dport < r->port_min || dport > r->port_max))
			continue;
		return true;
	}
	return false;
}

/* The conntrack tuple of the packet. */
static inline __attribute__((always_inline)) void packet_tuple(const struct walk *w,
							       struct ct_tuple *ct)
{
	const struct pkt_info *pi = &w->pi;

	ct->vni = w->vn->vni;
	ct->src_ip = pi->src_ip;
	ct->dst_ip = pi->dst_ip;
	ct->proto = pi->proto;
	ct->src_port = ct->dst_port = 0;
	if (pi->proto == IP_PROTO_TCP || pi->proto == IP_PROTO_UDP) {
		ct->src_port = pi->src_port;
		ct->dst_port = pi->dst_port;
	} else if (pi->proto == IP_PROTO_ICMP) {
		if (pi->icmp_type == ICMP_ECHO_REQUEST)
			ct->src_port = pi->src_port;
		else if (pi->icmp_type == ICMP_ECHO_REPLY)
			ct->dst_port = pi->src_port;
	}
}

/* For an ICMP error: the tuple of the packet it quotes (the flow it is
 * about). False if the quote is too short to tell. */
static bool icmp_error_tuple(const struct walk *w, struct ct_tuple *ct)
{
	const struct pkt_info *pi = &w->pi;
	const uint8_t *q = w->pkt->data + pi->l4_ofs + sizeof(struct icmp_header);
	size_t qlen = pi->l4_len - sizeof(struct icmp_header), hl;
	const struct ipv4_header *ip = (const void *)q;

	if (pi->l4_len < sizeof(struct icmp_header) + IPV4_HEADER_MIN_LEN)
		return false;
	hl = (size_t)(ip->ver_ihl & 0xf) * 4;
	if (hl < IPV4_HEADER_MIN_LEN || qlen < hl + 8)
		return false;
	memset(ct, 0, sizeof *ct);
	ct->vni = w->vn->vni;
	ct->src_ip = ntohl(ip->src_be);
	ct->dst_ip = ntohl(ip->dst_be);
	ct->proto = ip->proto;
	q += hl;
	if (ip->proto == IP_PROTO_TCP || ip->proto == IP_PROTO_UDP) {
		ct->src_port = (uint16_t)(q[0] << 8 | q[1]);
		ct->dst_port = (uint16_t)(q[2] << 8 | q[3]);
	} else if (ip->proto == IP_PROTO_ICMP && q[0] == ICMP_ECHO_REQUEST) {
		ct->src_port = (uint16_t)(q[4] << 8 | q[5]);
	} else if (ip->proto == IP_PROTO_ICMP && q[0] == ICMP_ECHO_REPLY) {
		ct->dst_port = (uint16_t)(q[4] << 8 | q[5]);
	}
	return true;
}

/* Egress ACL of the source port and ingress ACL of the destination port
 * (either may be NULL), stateful. True if the packet may pass. */
static bool acl_check(struct walk *w, const struct dp_port *dst)
{
	const struct dp_port *src = w->src;
	const struct pkt_info *pi = &w->pi;
	struct ct_tuple ct;

	if (!(src && src->has_groups) && !(dst && dst->has_groups))
		return true;
	/* Later fragments carry no ports; the first fragment was checked. */
	if (!pi->first_fragment)
		return true;
	if (pi->proto == IP_PROTO_ICMP &&
	    (pi->icmp_type == ICMP_DEST_UNREACH || pi->icmp_type == ICMP_TIME_EXCEEDED)) {
		/* Errors pass as part of the flow they are about, if tracked. */
		return icmp_error_tuple(w, &ct) &&
		       conntrack_lookup(w->ctx->ct, &ct, 0, w->ctx->now_us);
	}
	packet_tuple(w, &ct);
	if (conntrack_lookup(w->ctx->ct, &ct, pi->tcp_flags, w->ctx->now_us))
		return true;
	if (src && src->egress_filtered &&
	    !acl_match(&src->out, pi->dst_ip, pi->proto, pi->dst_port))
		return false;
	if (dst && dst->has_groups && !acl_match(&dst->in, pi->src_ip, pi->proto, pi->dst_port))
		return false;
	conntrack_commit(w->ctx->ct, &ct, pi->tcp_flags, w->ctx->now_us);
	return true;
}

/* ---- router interfaces: state, access lists, shaping, redirects ---- */

/* Big-endian 16- and 32-bit words at any byte address. */
static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* The one's complement sum 'sum' (not complemented) of data in which the
 * 32-bit word 'old' became 'new' (RFC 1624). */
static inline uint16_t sum_replace32(uint16_t sum, uint32_t old, uint32_t new)
{
	uint32_t s =
	    (uint32_t)sum + (uint16_t) ~(old >> 16) + (uint16_t)~old + (new >> 16) + (new & 0xffff);

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The checksum stored at 'csum' (the complement of a sum) after a 32-bit
 * word of what it covers went from 'old' to 'new'. */
static inline void csum_fix32(uint8_t *csum, uint32_t old, uint32_t new)
{
	wr16(csum, (uint16_t)~sum_replace32((uint16_t)~rd16(csum), old, new));
}

/* The same for a 16-bit word. */
static inline void csum_fix16(uint8_t *csum, uint16_t old, uint16_t new)
{
	wr16(csum, csum_update16(rd16(csum), old, new));
}

/* Sets the IPv4 destination ('dst') or source of the packet to 'addr' and
 * w->pi with it. The header checksum follows, and so does the TCP or UDP
 * checksum of a first fragment (its pseudo-header holds the address): a
 * partial one (pkt->csum_partial, the field holds the pseudo-header sum)
 * as the sum it is; a UDP datagram without a checksum stays without. */
static void set_ip_addr(struct walk *w, bool dst, uint32_t addr)
{
	struct pkt_info *pi = &w->pi;
	uint8_t *ip = w->pkt->data + ETH_HEADER_LEN, *field = ip + (dst ? 16 : 12);
	uint32_t old = rd32(field);

	wr32(field, addr);
	csum_fix32(ip + 10, old, addr);
	if (dst)
		pi->dst_ip = addr;
	else
		pi->src_ip = addr;
	if (!pi->first_fragment || !pi->l4_ok ||
	    (pi->proto != IP_PROTO_TCP && pi->proto != IP_PROTO_UDP))
		return;
	uint8_t *csum = w->pkt->data + pi->l4_ofs + (pi->proto == IP_PROTO_TCP ? 16 : 6);

	if (w->pkt->csum_partial) {
		wr16(csum, sum_replace32(rd16(csum), old, addr));
	} else if (pi->proto == IP_PROTO_TCP || rd16(csum)) {
		csum_fix32(csum, old, addr);
		if (pi->proto == IP_PROTO_UDP && !rd16(csum))
			wr16(csum, 0xffff); /* 0 would say "no checksum" */
	}
}

static inline bool icmp_is_error(const struct pkt_info *pi)
{
	return pi->proto == IP_PROTO_ICMP && pi->l4_ok &&
	       (pi->icmp_type == ICMP_DEST_UNREACH || pi->icmp_type == ICMP_TIME_EXCEEDED);
}

/* A packet routed by router 'router' (which has redirects) to a redirect's
 * 'from' now goes to its 'to' (DNAT). The flow is remembered in the
 * conntrack table with 'from', so that its replies, where they are
 * delivered (this host: the router runs at the first hop), get 'from' back
 * as their source (unredirect()). Later fragments carry no ports: only
 * their address changes. */
static __attribute__((noinline)) void redirect(struct walk *w, uint32_t router)
{
	uint32_t from = w->pi.dst_ip;
	uint32_t to = dp_map_find(&w->t->redirect_map, dp_key_ip(router, from));
	struct ct_tuple ct;

	if (to == DP_NONE)
		return;
	set_ip_addr(w, true, to);
	w->dnat_orig = from;
	if (!w->pi.first_fragment || icmp_is_error(&w->pi))
		return;
	packet_tuple(w, &ct);
	conntrack_nat_commit(w->ctx->ct, &ct, from, w->pi.tcp_flags, w->ctx->now_us);
}

/* An ICMP error about a redirected flow on its way back to the client: the
 * packet it quotes (client -> to) becomes the one the client sent (client ->
 * from), checksums of the quote and of the ICMP message following, and the
 * error's source, if it is 'to', becomes 'from'. */
static void unredirect_icmp_error(struct walk *w)
{
	const struct pkt_info *pi = &w->pi;
	uint8_t *icmp = w->pkt->data + pi->l4_ofs, *q = icmp + sizeof(struct icmp_header);
	size_t qlen = pi->l4_len - sizeof(struct icmp_header), hl;
	struct ct_tuple t;
	uint32_t from, to;
	uint16_t old;

	if (!icmp_error_tuple(w, &t) ||
	    conntrack_nat_lookup(w->ctx->ct, &t, 0, w->ctx->now_us, &from) != CT_NAT_ORIGINAL)
		return;
	to = t.dst_ip;
	hl = (size_t)(q[0] & 0xf) * 4;
	wr32(q + 16, from);
	csum_fix32(icmp + 2, to, from);
	old = rd16(q + 10);
	csum_fix32(q + 10, to, from);
	csum_fix16(icmp + 2, old, rd16(q + 10));
	/* The quoted TCP or UDP checksum, if the quote reaches it. */
	if ((t.proto == IP_PROTO_UDP && qlen >= hl + 8 && rd16(q + hl + 6)) ||
	    (t.proto == IP_PROTO_TCP && qlen >= hl + 18)) {
		uint8_t *csum = q + hl + (t.proto == IP_PROTO_TCP ? 16 : 6);

		old = rd16(csum);
		csum_fix32(csum, to, from);
		if (t.proto == IP_PROTO_UDP && !rd16(csum))
			wr16(csum, 0xffff);
		csum_fix16(icmp + 2, old, rd16(csum));
	}
	if (pi->src_ip == to)
		set_ip_addr(w, false, from);
}

/* In a VN with redirects, a packet about to be delivered: a reply of a
 * redirected flow (from its 'to' back to the client) gets the 'from' the
 * client asked for as its source; an ICMP error about such a flow is
 * translated the same way. */
static __attribute__((noinline)) void unredirect(struct walk *w)
{
	const struct pkt_info *pi = &w->pi;
	struct ct_tuple ct;
	uint32_t from;

	if (!pi->first_fragment)
		return;
	if (icmp_is_error(pi)) {
		unredirect_icmp_error(w);
		return;
	}
	packet_tuple(w, &ct);
	if (conntrack_nat_lookup(w->ctx->ct, &ct, pi->tcp_flags, w->ctx->now_us, &from) ==
	    CT_NAT_REPLY)
		set_ip_addr(w, false, from);
}

/* First match of a router access list; no match denies. A later fragment
 * has no ports: a rule with a port matches it on addresses alone if it
 * permits, and is skipped if it denies (as IOS does). */
static bool racl_permits(const struct dp_racl *acl, const struct pkt_info *pi)
{
	for (uint32_t i = 0; i < acl->n; i++) {
		const struct dp_racl_rule *r = &acl->rules[i];

		if ((r->proto && r->proto != pi->proto) || (pi->src_ip & r->src_mask) != r->src ||
		    (pi->dst_ip & r->dst_mask) != r->dst)
			continue;
		if (r->port) {
			if (!pi->first_fragment) {
				if (!r->permit)
					continue;
			} else if (!pi->l4_ok || pi->dst_port != r->port) {
				continue;
			}
		}
		return r->permit;
	}
	return false;
}

/* The largest frame the wire carries (1500 bytes of IPv4 and an Ethernet
 * header with a VLAN tag): anything longer is a TSO super-frame, many
 * segments in one. */
#define DP_WIRE_FRAME_MAX 1518
/* Shaper ticks per byte at 1 bit/s. */
#define SHAPER_TICKS_BYTE_BPS (8 * 1000000 * DP_SHAPER_TICKS_PER_US)

static inline uint64_t shaper_cost(const struct dp_router_if *rif, size_t bytes)
{
	return (uint64_t)bytes * SHAPER_TICKS_BYTE_BPS / rif->shape_bps;
}

/* The token bucket of 'rif' (struct dp_shaper: GCRA, a bucket that is
 * full again at 'tat' and may run at most the burst tolerance ahead of
 * now). A packet of 'bytes' at 'now_us' passes if the bucket holds it, and
 * takes it out. One that it does not hold passes in part if 'min_bytes' is
 * not 0 (a TCP super-frame: the first bytes of it are segments of their
 * own on the wire) — as many bytes as the bucket holds, at least
 * 'min_bytes' — and is dropped otherwise. Returns the bytes that pass (0:
 * drop). One compare-and-swap shared by every data-plane thread: the
 * aggregate rate is the interface's. */
static size_t shaper_admit(const struct dp_router_if *rif, uint64_t now_us, size_t bytes,
			   size_t min_bytes)
{
	uint64_t now = now_us * DP_SHAPER_TICKS_PER_US, limit = now + rif->shape_burst_tick;
	uint64_t tat = __atomic_load_n(&rif->shaper->tat, __ATOMIC_RELAXED), base;
	size_t pass;

	do {
		base = tat > now ? tat : now;
		pass = bytes;
		if (base + shaper_cost(rif, bytes) > limit) {
			if (!min_bytes || base >= limit)
				return 0;
			pass = (size_t)((unsigned __int128)(limit - base) * rif->shape_bps /
					SHAPER_TICKS_BYTE_BPS);
			if (pass < min_bytes)
				return 0;
		}
	} while (!__atomic_compare_exchange_n(&rif->shaper->tat, &tat,
					      base + shaper_cost(rif, pass), true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return pass;
}

/* The bytes of the packet (a TCP super-frame) a shaper may cut it to, at
 * least: its headers and one byte of payload; 0 if it is no such frame. */
static size_t shaper_min_cut(const struct walk *w)
{
	const struct pkt_info *pi = &w->pi;
	size_t hdr;

	if (w->pkt->len <= DP_WIRE_FRAME_MAX || pi->proto != IP_PROTO_TCP || !pi->l4_ok ||
	    pi->fragment)
		return 0;
	hdr = pi->l4_ofs + (size_t)(w->pkt->data[pi->l4_ofs + 12] >> 4) * 4;
	return (size_t)pi->l4_ofs + pi->l4_len > hdr ? hdr + 1 : 0;
}

/* Cuts the TCP super-frame in pkt to its first 'len' bytes (headers and
 * part of the payload): IPv4 total length and header checksum, FIN and PSH
 * off (they belong to the end, which is gone), and the TCP checksum: a
 * partial one gets the new length in its pseudo-header sum, a full one is
 * computed again. */
static void tcp_cut(struct walk *w, size_t len)
{
	struct pkt_info *pi = &w->pi;
	uint8_t *ip = w->pkt->data + ETH_HEADER_LEN, *tcp = w->pkt->data + pi->l4_ofs;
	uint16_t tot = rd16(ip + 2), new_tot = (uint16_t)(len - ETH_HEADER_LEN);
	uint16_t l4 = pi->l4_len, new_l4 = (uint16_t)(len - pi->l4_ofs);

	wr16(ip + 2, new_tot);
	csum_fix16(ip + 10, tot, new_tot);
	tcp[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (w->pkt->csum_partial) {
		/* The flags are summed when the checksum is completed. */
		uint32_t sum = (uint32_t)rd16(tcp + 16) + (uint16_t)~l4 + new_l4;

		sum = (sum & 0xffff) + (sum >> 16);
		wr16(tcp + 16, (uint16_t)((sum & 0xffff) + (sum >> 16)));
	} else {
		uint32_t sum = csum_partial(ip + 12, 8, 0) + IP_PROTO_TCP + new_l4;

		wr16(tcp + 16, 0);
		wr16(tcp + 16, csum_fold(csum_partial(tcp, new_l4, sum)));
	}
	w->pkt->len = len;
	pi->l3_len = new_tot;
	pi->l4_len = new_l4;
	pi->tcp_flags = tcp[13];
}

/* Drops the packet at router interface 'rif' (counted there too). */
static void rif_drop(struct walk *w, const struct dp_router_if *rif, enum dp_drop_reason reason)
{
	drop(w, reason);
	dp_counters_drop(rif->ctr, w->ctx->thread);
}

/* A packet the router sends itself (dp_from_router) rather than one that
 * entered it: access lists and redirects leave it alone. */
static inline bool router_own(const struct walk *w)
{
	return !w->src && !w->outer;
}

/* What a packet entering the router through 'rif' meets beyond routing
 * (rif->features & DP_RIF_IN_FEATURES): a shut interface, its inbound
 * access list (on the packet as it came), the router's redirects. False if
 * the packet was dropped. */
static __attribute__((noinline)) bool router_in(struct walk *w, const struct dp_router_if *rif)
{
	if (rif->features & DP_RIF_DOWN) {
		rif_drop(w, rif, DP_DROP_INTERFACE_DOWN);
		return false;
	}
	if (router_own(w))
		return true;
	if ((rif->features & DP_RIF_ACL_IN) && !racl_permits(&w->t->racls[rif->acl_in], &w->pi)) {
		rif_drop(w, rif, DP_DROP_ROUTER_ACL);
		return false;
	}
	if (rif->features & DP_RIF_REDIRECTS)
		redirect(w, rif->router);
	return true;
}

/* What a routed packet leaving the router through 'rif' meets (rif->features
 * & DP_RIF_OUT_FEATURES): a shut interface, its outbound access list (on
 * the packet as it leaves), its shaper. False if the packet was dropped. */
static __attribute__((noinline)) bool router_out(struct walk *w, const struct dp_router_if *rif)
{
	if (rif->features & DP_RIF_DOWN) {
		rif_drop(w, rif, DP_DROP_INTERFACE_DOWN);
		return false;
	}
	if ((rif->features & DP_RIF_ACL_OUT) && !router_own(w) &&
	    !racl_permits(&w->t->racls[rif->acl_out], &w->pi)) {
		rif_drop(w, rif, DP_DROP_ROUTER_ACL);
		return false;
	}
	if (rif->features & DP_RIF_SHAPED) {
		size_t pass = shaper_admit(rif, w->ctx->now_us, w->pkt->len, shaper_min_cut(w));

		if (!pass) {
			rif_drop(w, rif, DP_DROP_SHAPED);
			return false;
		}
		if (pass < w->pkt->len) {
			/* The segments that do not fit are dropped: one drop. */
			tcp_cut(w, pass);
			dp_counter_add(&w->ctx->drops[DP_DROP_SHAPED], 1);
			dp_counters_drop(rif->ctr, w->ctx->thread);
		}
	}
	return true;
}

/* Why router 'r' has no route to the packet's destination: a route through
 * an interface that is shut down would take it (counted on that
 * interface), or none would. */
static enum dp_drop_reason no_route_reason(struct walk *w, const struct dp_router *r)
{
	uint32_t e = r->lpm_down ? lpm_lookup(r->lpm_down, w->pi.dst_ip) : LPM_NONE;

	if (e == LPM_NONE)
		return DP_DROP_NO_ROUTE;
	dp_counters_drop(w->t->rifs[r->routes[e].router_if].ctr, w->ctx->thread);
	return DP_DROP_INTERFACE_DOWN;
}

/* ---- to the destination instance ---- */

/* The frame in pkt (MACs already right) goes to instance 'di' of the VN. */
static void deliver(struct walk *w, const struct dp_instance *di)
{
	const struct dp_tables *t = w->t;
	const struct dp_port *dst = di->port != DP_NONE ? &t->ports[di->port] : NULL;
	const struct dp_class *c;
	struct hop hop;
	uint32_t hash;

	if (w->pi.eth_type == ETH_TYPE_IPV4 && !acl_check(w, dst)) {
		drop(w, DP_DROP_ACL);
		return;
	}
	/* After the security groups, which track the flow as its target sees
	 * it. */
	if (w->vn->has_redirects && w->pi.eth_type == ETH_TYPE_IPV4)
		unredirect(w);
	if (dst) {
		dp_counters_tx(w->vn->ctr, w->ctx->thread, w->pkt->len);
		to_port(w, di->port);
		return;
	}
	if (di->fwd == DP_NONE) {
		drop(w, DP_DROP_NO_FWD_ENTRY);
		return;
	}
	/* This is the packet's first onm hop: it has passed no waypoint yet. */
	c = &t->classes[w->vn->class_id];
	hash = flow_hash(&w->pi);
	if (!choose_hop(w, &t->fwds[di->fwd], c, false, hash, &hop))
		return;
	dp_counters_tx(w->vn->ctr, w->ctx->thread, w->pkt->len);
	if (hop.kernel_vtep)
		encap(w, 0, 0, 0, hop.addr, hash);
	else
		encap(w, hop.flags, di->host_id, c->dscp, hop.addr, hash);
}

/* ---- answers to the router's own probes (dp_from_router) ---- */

/* An echo reply to a router address, or an ICMP error about an echo
 * request from one: the answer to a probe a router sent, whose ICMP
 * identifier is the id of the host whose agent sent it (router-ping.h).
 * It goes to our control thread if that is us, else on to that host as a
 * frame from the router's MAC to itself, which that host hands to its
 * control thread without routing it again. False if the packet is no
 * such answer. */
static bool probe_answer(struct walk *w)
{
	const struct dp_tables *t = w->t;
	const struct pkt_info *pi = &w->pi;
	struct eth_header *eth = (void *)w->pkt->data;
	const struct dp_class *c;
	struct ct_tuple q;
	struct hop hop;
	uint32_t f, hash;
	uint16_t host;

	if (pi->icmp_type == ICMP_ECHO_REPLY)
		host = pi->src_port;
	else if ((pi->icmp_type == ICMP_DEST_UNREACH || pi->icmp_type == ICMP_TIME_EXCEEDED) &&
		 icmp_error_tuple(w, &q) && q.proto == IP_PROTO_ICMP && q.src_ip == pi->dst_ip)
		host = q.src_port; /* the quoted echo request's identifier */
	else
		return false;
	if (host == t->self_id) {
		to_local(w);
		return true;
	}
	f = host ? dp_map_find(&t->fwd_map, dp_key_fwd(w->vn->class_id, host)) : DP_NONE;
	if (f == DP_NONE) {
		drop(w, DP_DROP_NO_FWD_ENTRY);
		return true;
	}
	c = &t->classes[w->vn->class_id];
	hash = flow_hash(pi);
	if (!choose_hop(w, &t->fwds[f], c, false, hash, &hop))
		return true;
	if (hop.kernel_vtep) {
		drop(w, DP_DROP_NOT_FOR_US); /* no agent there sent a probe */
		return true;
	}
	eth->src = eth->dst;
	dp_counters_tx(w->vn->ctr, w->ctx->thread, w->pkt->len);
	encap(w, hop.flags, host, c->dscp, hop.addr, hash);
	return true;
}

/* ---- the distributed router ---- */

/* Replaces the packet by an ICMP error from 'src_ip' (a router address) and
 * sends it back, or only drops it when RFC 1812 forbids an error. The drop
 * of the original is counted with 'reason' either way. */
static void icmp_error(struct walk *w, enum dp_drop_reason reason, uint8_t type, uint8_t code,
		       uint32_t src_ip, const struct eth_addr *src_mac)
{
	struct dp_buf *pkt = w->pkt;
	size_t n;

	drop(w, reason);
	if (!packet_icmp_error_allowed(pkt->data, &w->pi))
		return;
	if (w->dnat_orig)
		set_ip_addr(w, true, w->dnat_orig); /* quote what the client sent */
	n = packet_icmp_make_error(pkt->data, dp_buf_tailroom(pkt), &w->pi, type, code, src_ip,
				   src_mac);
	if (!n)
		return;
	pkt->len = n;
	reply_back(w);
}

/* A packet for one of the router's own addresses ('rif' holds it). */
static void router_local(struct walk *w, const struct dp_router_if *in_rif,
			 const struct dp_router_if *rif)
{
	struct dp_buf *pkt = w->pkt;
	const struct pkt_info *pi = &w->pi;

	if (pi->proto == IP_PROTO_ICMP && pi->l4_ok && pi->icmp_type == ICMP_ECHO_REQUEST &&
	    !pi->fragment) {
		pkt->len = packet_icmp_make_echo_reply(pkt->data, pi, rif->ip, &in_rif->mac);
		dp_counters_tx(in_rif->ctr, w->ctx->thread, pkt->len);
		reply_back(w);
		return;
	}
	if (pi->proto == IP_PROTO_ICMP && pi->l4_ok && !pi->fragment && probe_answer(w))
		return;
	if (pi->proto == IP_PROTO_UDP && pi->l4_ok) {
		/* What traceroute's UDP probes get from a router. */
		icmp_error(w, DP_DROP_NOT_FOR_US, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, rif->ip,
			   &in_rif->mac);
		return;
	}
	drop(w, DP_DROP_NOT_FOR_US);
}

/* The routed packet leaves the router through 'out_rif' to 'di'. */
static inline void forward_out(struct walk *w, const struct dp_router_if *out_rif,
			       const struct dp_instance *di)
{
	struct eth_header *eth = (void *)w->pkt->data;

	eth->src = out_rif->mac;
	eth->dst = di->mac;
	dp_counters_tx(out_rif->ctr, w->ctx->thread, w->pkt->len);
	deliver(w, di);
}

/* forward_out() through an interface with features (router_out()). Out of
 * line, so that the common case stays a straight run of tail calls. */
static __attribute__((noinline)) void
forward_featured(struct walk *w, const struct dp_router_if *out_rif, const struct dp_instance *di)
{
	if (router_out(w, out_rif))
		forward_out(w, out_rif, di);
}

static void forward_routed(struct walk *w, const struct dp_router_if *out_rif,
			   const struct dp_instance *di)
{
	if (out_rif->features & DP_RIF_OUT_FEATURES)
		forward_featured(w, out_rif, di);
	else
		forward_out(w, out_rif, di);
}

/* The frame is addressed to router interface 'rif_idx': route it. */
static void route(struct walk *w, uint32_t rif_idx)
{
	const struct dp_tables *t = w->t;
	const struct pkt_info *pi = &w->pi;
	const struct dp_router_if *in_rif = &t->rifs[rif_idx];
	struct ipv4_header *ip;
	uint32_t v;

	if (!router_own(w))
		dp_counters_rx(in_rif->ctr, w->ctx->thread, w->pkt->len);
	if (pi->eth_type != ETH_TYPE_IPV4) {
		drop(w, DP_DROP_UNSUPPORTED);
		return;
	}
	ip = (void *)(w->pkt->data + ETH_HEADER_LEN);
	if ((in_rif->features & DP_RIF_IN_FEATURES) && !router_in(w, in_rif))
		return;
	/* Fast path: the router's own addresses and instances on its connected
	 * subnets, precomputed (tables.c make_host_routes()). */
	v = dp_map_find(&t->host_map, dp_key_ip(in_rif->router, pi->dst_ip));
	if (v != DP_NONE && (v & DP_MAP_RIF)) {
		const struct dp_router_if *rif = &t->rifs[v & ~DP_MAP_RIF];

		if (rif->features & DP_RIF_DOWN) {
			rif_drop(w, rif, DP_DROP_INTERFACE_DOWN); /* its address is gone */
			return;
		}
		router_local(w, in_rif, rif);
		return;
	}
	if (v != DP_NONE && ip->ttl > 1) {
		const struct dp_host_route *hr = &t->host_routes[v];

		packet_ipv4_dec_ttl(ip);
		forward_routed(w, &t->rifs[hr->out_rif], &t->instances[hr->instance]);
		return;
	}
	/* Slow path: TTL expiry, LPM with static routes, unknown hosts. */
	for (int hop = 0;; hop++) {
		const struct dp_router *r = &t->routers[in_rif->router];
		const struct dp_router_if *out_rif;
		const struct dp_route *rt;
		uint32_t e, target;

		if (ip->ttl <= 1 || hop == DP_MAX_ROUTER_HOPS) {
			icmp_error(w, DP_DROP_TTL, ICMP_TIME_EXCEEDED, ICMP_TTL_EXCEEDED,
				   in_rif->ip, &in_rif->mac);
			return;
		}
		e = lpm_lookup(r->lpm, pi->dst_ip);
		if (e == LPM_NONE) {
			icmp_error(w, no_route_reason(w, r), ICMP_DEST_UNREACH, ICMP_NET_UNREACH,
				   in_rif->ip, &in_rif->mac);
			return;
		}
		rt = &r->routes[e];
		out_rif = &t->rifs[rt->router_if];
		target = rt->via ? rt->via : pi->dst_ip;
		v = dp_map_find(&t->ip_map, dp_key_ip(w->vn_idx, target));
		if (v == DP_NONE) {
			icmp_error(w, DP_DROP_NO_ROUTE, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
				   in_rif->ip, &in_rif->mac);
			return;
		}
		packet_ipv4_dec_ttl(ip);
		if (v & DP_MAP_RIF) {
			/* The next hop is another router of the VN: route again there. */
			in_rif = &t->rifs[v & ~DP_MAP_RIF];
			if (in_rif == out_rif) {
				icmp_error(w, DP_DROP_NO_ROUTE, ICMP_DEST_UNREACH,
					   ICMP_HOST_UNREACH, in_rif->ip, &in_rif->mac);
				return;
			}
			if ((out_rif->features & DP_RIF_OUT_FEATURES) && !router_out(w, out_rif))
				return;
			dp_counters_tx(out_rif->ctr, w->ctx->thread, w->pkt->len);
			dp_counters_rx(in_rif->ctr, w->ctx->thread, w->pkt->len);
			if ((in_rif->features & DP_RIF_IN_FEATURES) && !router_in(w, in_rif))
				return;
			continue;
		}
		forward_routed(w, out_rif, &t->instances[v]);
		return;
	}
}

/* ---- from a port ---- */

static void port_arp(struct walk *w)
{
	const struct dp_tables *t = w->t;
	const struct dp_port *p = w->src;
	const struct pkt_info *pi = &w->pi;
	const struct arp_header *arp = (const void *)(w->pkt->data + ETH_HEADER_LEN);
	const struct ipv4_prefix *cidr = &t->vns[p->vn].subnets[p->subnet].cidr;
	const struct eth_addr *mac;
	uint32_t v;

	if (!eth_equal(&arp->sha, &p->mac) || (pi->src_ip && pi->src_ip != p->ip)) {
		drop(w, DP_DROP_PORT_SECURITY);
		return;
	}
	dp_counters_rx(w->vn->ctr, w->ctx->thread, w->pkt->len);
	/* Only requests get an answer, and only for others' addresses on the
	 * port's subnet: announcements and probes for its own address (DAD)
	 * go nowhere, since no broadcast leaves the host. */
	if (pi->arp_op != ARP_OP_REQUEST || pi->dst_ip == p->ip || pi->src_ip == pi->dst_ip ||
	    !ipv4_prefix_contains(cidr, pi->dst_ip)) {
		drop(w, DP_DROP_NOT_FOR_US);
		return;
	}
	v = dp_map_find(&t->ip_map, dp_key_ip(p->vn, pi->dst_ip));
	if (v == DP_NONE) {
		drop(w, DP_DROP_NOT_FOR_US);
		return;
	}
	if ((v & DP_MAP_RIF) && (t->rifs[v & ~DP_MAP_RIF].features & DP_RIF_DOWN)) {
		/* A shut interface has no address. */
		rif_drop(w, &t->rifs[v & ~DP_MAP_RIF], DP_DROP_INTERFACE_DOWN);
		return;
	}
	mac = v & DP_MAP_RIF ? &t->rifs[v & ~DP_MAP_RIF].mac : &t->instances[v].mac;
	packet_arp_make_reply(w->pkt->data, pi, mac);
	reply_back(w);
}

static void port_dhcp(struct walk *w)
{
	const struct dp_port *p = w->src;
	size_t n;

	if (w->pi.src_ip && w->pi.src_ip != p->ip) {
		drop(w, DP_DROP_PORT_SECURITY);
		return;
	}
	dp_counters_rx(w->vn->ctr, w->ctx->thread, w->pkt->len);
	switch (
	    dhcp_handle(w->pkt->data, w->pkt->len, dp_buf_tailroom(w->pkt), &w->pi, &p->dhcp, &n)) {
	case DHCP_REPLY:
		w->pkt->len = n;
		reply_back(w);
		break;
	case DHCP_IGNORE:
		drop(w, DP_DROP_NOT_FOR_US);
		break;
	case DHCP_MALFORMED:
		drop(w, DP_DROP_PARSE);
		break;
	}
}

void dp_from_port(struct dp_ctx *ctx, const struct dp_tables *t, uint32_t port, struct dp_buf *pkt,
		  struct dp_action *out)
{
	struct walk w = {.ctx = ctx, .t = t, .pkt = pkt, .out = out, .rx_len = pkt->len};
	const struct eth_header *eth;
	const struct dp_port *p;
	enum pkt_parse_result r;
	uint32_t v;

	memset(out, 0, sizeof *out);
	if (port >= t->n_ports) {
		drop(&w, DP_DROP_NOT_FOR_US);
		return;
	}
	p = w.src = &t->ports[port];
	w.src_port_idx = port;
	w.vn_idx = p->vn;
	w.vn = &t->vns[p->vn];
	dp_counters_rx(p->ctr, ctx->thread, pkt->len);

	r = packet_parse_frame(pkt->data, pkt->len, &w.pi);
	if (r != PKT_OK) {
		drop(&w, r == PKT_MALFORMED ? DP_DROP_PARSE : DP_DROP_UNSUPPORTED);
		return;
	}
	eth = (const void *)pkt->data;
	if (!eth_equal(&eth->src, &p->mac)) {
		drop(&w, DP_DROP_PORT_SECURITY);
		return;
	}
	if (w.pi.eth_type == ETH_TYPE_ARP) {
		port_arp(&w);
		return;
	}
	if (dhcp_is_request(&w.pi)) {
		port_dhcp(&w);
		return;
	}
	if (w.pi.src_ip != p->ip) {
		drop(&w, DP_DROP_PORT_SECURITY);
		return;
	}
	dp_counters_rx(w.vn->ctr, ctx->thread, pkt->len);
	if (eth->dst.b[0] & 1) {
		drop(&w, DP_DROP_NOT_FOR_US); /* broadcast and multicast stay here */
		return;
	}
	v = dp_map_find(&t->mac_map, dp_key_mac(p->vn, &eth->dst));
	if (v == DP_NONE) {
		drop(&w, DP_DROP_NOT_FOR_US);
		return;
	}
	if (v & DP_MAP_RIF) {
		route(&w, v & ~DP_MAP_RIF);
		return;
	}
	/* Switching within the subnet. */
	if (t->instances[v].subnet != p->subnet || v == p->instance) {
		drop(&w, DP_DROP_NOT_FOR_US);
		return;
	}
	deliver(&w, &t->instances[v]);
}

/* ---- from the underlay ---- */

/* A kernel VTEP asks for an address (agents never send ARP on the
 * underlay): answer for router interfaces and every instance of the VN —
 * frames for an instance on another host come back here and go on
 * (dp_from_underlay) — with plain VXLAN back to the sender. */
static void underlay_arp(struct walk *w)
{
	const struct dp_tables *t = w->t;
	const struct pkt_info *pi = &w->pi;
	const struct eth_addr *mac;
	uint32_t v;

	if (pi->arp_op != ARP_OP_REQUEST || pi->src_ip == pi->dst_ip) {
		drop(w, DP_DROP_NOT_FOR_US);
		return;
	}
	v = dp_map_find(&t->ip_map, dp_key_ip(w->vn_idx, pi->dst_ip));
	if (v == DP_NONE) {
		drop(w, DP_DROP_NOT_FOR_US);
		return;
	}
	if ((v & DP_MAP_RIF) && (t->rifs[v & ~DP_MAP_RIF].features & DP_RIF_DOWN)) {
		/* A shut interface has no address. */
		rif_drop(w, &t->rifs[v & ~DP_MAP_RIF], DP_DROP_INTERFACE_DOWN);
		return;
	}
	mac = v & DP_MAP_RIF ? &t->rifs[v & ~DP_MAP_RIF].mac : &t->instances[v].mac;
	packet_arp_make_reply(w->pkt->data, pi, mac);
	reply_back(w);
}

/* Sends the VXLAN packet in pkt on towards 'dst_host' (not us), its class
 * the one of the outer DSCP, 'flags' its onm flags byte. The class's
 * transit counters count it, sent on (bytes of the inner frame, as
 * elsewhere) or dropped; a packet of no class counts only as a drop reason. */
static void transit(struct walk *w, uint8_t flags, uint16_t dst_host)
{
	const struct dp_tables *t = w->t;
	const struct dp_outer *outer = w->outer;
	struct vxlan_header *vx = (void *)w->pkt->data;
	uint16_t class_id = t->dscp_class[outer->dscp];
	const struct dp_class *c;
	struct hop hop;
	uint32_t f;

	if (class_id == DP_CLASS_NONE) {
		drop(w, DP_DROP_CLASS_UNKNOWN);
		return;
	}
	c = &t->classes[class_id];
	f = dp_map_find(&t->fwd_map, dp_key_fwd((uint8_t)class_id, dst_host));
	if (f == DP_NONE) {
		drop(w, DP_DROP_NO_FWD_ENTRY);
		dp_counters_drop(c->ctr, w->ctx->thread);
		return;
	}
	if (!choose_hop(w, &t->fwds[f], c, flags & VXLAN_ONM_W, port_hash(outer->src_port), &hop)) {
		dp_counters_drop(c->ctr, w->ctx->thread); /* no_route, counted by choose_hop */
		return;
	}
	dp_counters_tx(c->ctr, w->ctx->thread, w->pkt->len - VXLAN_HEADER_LEN);
	if (hop.kernel_vtep) {
		vx->onm_flags = 0;
		vx->dst_host_be = 0;
		w->out->dscp = 0;
	} else {
		vx->onm_flags = hop.flags;
		w->out->dscp = c->dscp;
	}
	w->out->verdict = DP_TO_UNDERLAY;
	w->out->next_hop = hop.addr;
	/* The same outer source port as the first hop chose (a sender whose
	 * port is outside the range gets one made of it). */
	w->out->udp_src_port =
	    outer->src_port >= 49152 ? outer->src_port : flow_port(port_hash(outer->src_port));
}

void dp_from_underlay(struct dp_ctx *ctx, const struct dp_tables *t, const struct dp_outer *outer,
		      struct dp_buf *pkt, struct dp_action *out)
{
	struct dp_outer o = {outer->src_addr, outer->src_port, outer->dscp & (DP_MAX_DSCP - 1)};
	struct walk w = {.ctx = ctx, .t = t, .pkt = pkt, .out = out, .outer = &o};
	const struct eth_header *eth;
	enum pkt_parse_result r;
	uint16_t dst_host, class_id;
	uint8_t flags;
	uint32_t vni, v;

	memset(out, 0, sizeof *out);
	if (!packet_parse_vxlan(pkt->data, pkt->len, &vni, &flags, &dst_host)) {
		drop(&w, DP_DROP_PARSE);
		return;
	}
	if (dst_host && dst_host != t->self_id) {
		transit(&w, flags, dst_host);
		return;
	}
	/* At its destination a packet of a waypoint class must have passed a
	 * waypoint, or this host must be one. An unknown DSCP is no class:
	 * plain VXLAN (DSCP 0) from a kernel VTEP, say. */
	class_id = t->dscp_class[o.dscp];
	if (class_id != DP_CLASS_NONE && t->classes[class_id].waypoint &&
	    !t->classes[class_id].self_waypoint && !(flags & VXLAN_ONM_W)) {
		drop(&w, DP_DROP_WAYPOINT_SKIPPED);
		return;
	}
	v = dp_map_find(&t->vni_map, vni);
	if (v == DP_NONE) {
		drop(&w, DP_DROP_VNI_UNKNOWN);
		return;
	}
	w.vn_idx = v;
	w.vn = &t->vns[v];
	pkt->data += VXLAN_HEADER_LEN;
	pkt->len -= VXLAN_HEADER_LEN;
	w.rx_len = pkt->len;
	dp_counters_rx(w.vn->ctr, ctx->thread, pkt->len);

	r = packet_parse_frame(pkt->data, pkt->len, &w.pi);
	if (r != PKT_OK) {
		drop(&w, r == PKT_MALFORMED ? DP_DROP_PARSE : DP_DROP_UNSUPPORTED);
		return;
	}
	if (w.pi.eth_type == ETH_TYPE_ARP) {
		underlay_arp(&w);
		return;
	}
	eth = (const void *)pkt->data;
	if (eth->dst.b[0] & 1) {
		drop(&w, DP_DROP_NOT_FOR_US);
		return;
	}
	v = dp_map_find(&t->mac_map, dp_key_mac(w.vn_idx, &eth->dst));
	if (v == DP_NONE) {
		drop(&w, DP_DROP_NOT_FOR_US);
		return;
	}
	if ((v & DP_MAP_RIF) && dst_host == t->self_id && eth_equal(&eth->src, &eth->dst)) {
		/* From the router's MAC to itself: the answer to a probe of
		 * ours, passed on by the agent that got it (probe_answer). */
		to_local(&w);
		return;
	}
	if (v & DP_MAP_RIF) {
		/* Routed traffic from a kernel VTEP: its router is ours too. */
		route(&w, v & ~DP_MAP_RIF);
		return;
	}
	/* An instance on another host: only a kernel VTEP (destination id 0)
	 * sends it here, as the first onm host on its way; agents address
	 * the instance's own host. Pass it on there. */
	if (t->instances[v].port == DP_NONE && dst_host) {
		drop(&w, DP_DROP_NOT_FOR_US);
		return;
	}
	deliver(&w, &t->instances[v]);
}

/* ---- the router's own packets (router-ping.h) ---- */

void dp_from_router(struct dp_ctx *ctx, const struct dp_tables *t, uint32_t vni, struct dp_buf *pkt,
		    struct dp_action *out)
{
	struct walk w = {.ctx = ctx, .t = t, .pkt = pkt, .out = out, .rx_len = pkt->len};
	struct ipv4_header *ip;
	uint32_t v;

	memset(out, 0, sizeof *out);
	v = dp_map_find(&t->vni_map, vni);
	if (v == DP_NONE) {
		drop(&w, DP_DROP_VNI_UNKNOWN);
		return;
	}
	w.vn_idx = v;
	w.vn = &t->vns[v];
	if (packet_parse_frame(pkt->data, pkt->len, &w.pi) != PKT_OK ||
	    w.pi.eth_type != ETH_TYPE_IPV4 || w.pi.ttl == 255) {
		drop(&w, DP_DROP_PARSE);
		return;
	}
	v = dp_map_find(&t->ip_map, dp_key_ip(w.vn_idx, w.pi.src_ip));
	if (v == DP_NONE || !(v & DP_MAP_RIF)) {
		drop(&w, DP_DROP_NOT_FOR_US);
		return;
	}
	/* route() takes one off the TTL, as for any packet a router passes
	 * on; the router's own packet leaves it with the TTL it was given. */
	ip = (void *)(pkt->data + ETH_HEADER_LEN);
	ip->ttl++;
	w.pi.ttl++;
	packet_ipv4_set_csum(ip);
	route(&w, v & ~DP_MAP_RIF);
}

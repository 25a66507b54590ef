// SPDX-License-Identifier: Apache-2.0
/*
 * The per-packet decisions of the agent (pipeline.h): from a port through
 * ARP proxy, DHCP, port security, switch or distributed router, security
 * groups and VXLAN encapsulation; from the underlay through decapsulation
 * or transit; and, for both, the choice of a next hop by the forwarding
 * entry (class DSCP, waypoint flag, ECMP). Every function here runs on a
 * data-plane thread against a read-only table snapshot: no allocation, no
 * lock, no system call. Drops are counted where they are decided, and
 * transit packets also on their class.
 */
#include "pipeline.h"

#include "conntrack.h"
#include "dhcp.h"
#include "onm/packet.h"
#include "tables-private.h"

#include <arpa/inet.h>
#include <string.h>

#define DP_CONNTRACK_DEFAULT 65536
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
	else
		encap(w, 0, 0, 0, w->outer->src_addr, flow_hash(&w->pi));
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
static void packet_tuple(const struct walk *w, struct ct_tuple *ct)
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
	if (pi->proto == IP_PROTO_UDP && pi->l4_ok) {
		/* What traceroute's UDP probes get from a router. */
		icmp_error(w, DP_DROP_NOT_FOR_US, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, rif->ip,
			   &in_rif->mac);
		return;
	}
	drop(w, DP_DROP_NOT_FOR_US);
}

/* The routed packet leaves the router through 'out_rif' to 'di'. */
static void forward_routed(struct walk *w, const struct dp_router_if *out_rif,
			   const struct dp_instance *di)
{
	struct eth_header *eth = (void *)w->pkt->data;

	eth->src = out_rif->mac;
	eth->dst = di->mac;
	dp_counters_tx(out_rif->ctr, w->ctx->thread, w->pkt->len);
	deliver(w, di);
}

/* The frame is addressed to router interface 'rif_idx': route it. */
static void route(struct walk *w, uint32_t rif_idx)
{
	const struct dp_tables *t = w->t;
	const struct pkt_info *pi = &w->pi;
	const struct dp_router_if *in_rif = &t->rifs[rif_idx];
	struct ipv4_header *ip;
	uint32_t v;

	dp_counters_rx(in_rif->ctr, w->ctx->thread, w->pkt->len);
	if (pi->eth_type != ETH_TYPE_IPV4) {
		drop(w, DP_DROP_UNSUPPORTED);
		return;
	}
	ip = (void *)(w->pkt->data + ETH_HEADER_LEN);
	/* Fast path: the router's own addresses and instances on its connected
	 * subnets, precomputed (tables.c make_host_routes()). */
	v = dp_map_find(&t->host_map, dp_key_ip(in_rif->router, pi->dst_ip));
	if (v != DP_NONE && (v & DP_MAP_RIF)) {
		router_local(w, in_rif, &t->rifs[v & ~DP_MAP_RIF]);
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
			icmp_error(w, DP_DROP_NO_ROUTE, ICMP_DEST_UNREACH, ICMP_NET_UNREACH,
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
			dp_counters_tx(out_rif->ctr, w->ctx->thread, w->pkt->len);
			dp_counters_rx(in_rif->ctr, w->ctx->thread, w->pkt->len);
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

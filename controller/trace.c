// SPDX-License-Identifier: Apache-2.0
/*
 * The logical trace of one packet (see trace.h). The walk below follows
 * agent/pipeline.c function by function — dp_from_port() (port security,
 * ARP for on-link addresses, the gateway otherwise), route() (the router's
 * own addresses, then TTL and longest-prefix match over connected subnets
 * and static routes, hop by hop through routers chained by static
 * routes), deliver() (egress ACL, forwarding entry, ingress ACL at the
 * destination host) — but looks things up in the model instead of a
 * table snapshot, in the order agent/tables.c builds the snapshot from a
 * view: a network's routers in id order and their interfaces in order
 * (so the first router interface holding an address or sitting on a
 * subnet wins), a route of a later-added same prefix over an earlier one,
 * security-group rules in the order of the instance's groups and then of
 * each group's rules. Each step appends one JSON object to "steps"; a
 * drop sets the reason and ends the walk.
 */
#include "trace.h"

#include "onm/codec.h"
#include "onm/naming.h"
#include "onm/net.h"
#include "onm/units.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Routers chained by static routes within one VN (DP_MAX_ROUTER_HOPS). */
#define TRACE_MAX_ROUTER_HOPS 4

/* A router interface: a router of the network and an interface index. */
struct rif {
	const struct router *r;
	size_t i;
};

/* One trace being walked. */
struct trace {
	const struct model *model;
	const struct route_manager *rm;
	const struct trace_query *q;
	const struct instance *src;
	const struct network *net;
	const struct subnet *src_subnet;
	const struct router **routers; /* the network's, in id order */
	size_t n_routers;
	const struct instance **insts; /* the network's, in id order */
	size_t n_insts;
	uint8_t ttl;	      /* the packet's TTL now */
	json_t *steps;	      /* array of step objects */
	json_t *substrate;    /* the path object, or NULL */
	char *substrate_note; /* why "substrate" is null */
	bool delivered;	      /* the verdict, once 'detail' is set */
	const char *reason;   /* drop reason code (static), NULL while none */
	char *detail;	      /* one sentence on the outcome */
};

/* ---- small helpers ---- */

static json_t *ip_json(uint32_t ip)
{
	char buf[IPV4_ADDR_STRLEN];

	ipv4_format(ip, buf);
	return json_string(buf);
}

static const char *ip_str(uint32_t ip, char buf[IPV4_ADDR_STRLEN])
{
	ipv4_format(ip, buf);
	return buf;
}

static json_t *step_new(struct trace *t, const char *name)
{
	json_t *step = json_object();

	json_object_set_new(step, "step", json_string(name));
	json_array_append_new(t->steps, step);
	return step;
}

static void PRINTF_FORMAT(3, 4) finish(struct trace *t, const char *reason, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	free(t->detail);
	t->detail = xvasprintf(fmt, args);
	va_end(args);
	t->reason = reason;
	t->delivered = reason == NULL;
}

static void PRINTF_FORMAT(2, 3) note_substrate(struct trace *t, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	free(t->substrate_note);
	t->substrate_note = xvasprintf(fmt, args);
	va_end(args);
}

static const struct subnet *subnet_find(const struct network *n, const char *name)
{
	for (size_t i = 0; i < n->n_subnets; i++)
		if (!strcmp(n->subnets[i].name, name))
			return &n->subnets[i];
	return NULL;
}

static const struct security_group *group_find(const struct network *n, const char *name)
{
	for (size_t i = 0; i < n->n_groups; i++)
		if (!strcmp(n->groups[i].name, name))
			return &n->groups[i];
	return NULL;
}

static const struct router_interface *rif_iface(struct rif x)
{
	return &x.r->interfaces[x.i];
}

/* The prefix of the subnet interface 'x' sits on (the model guarantees it). */
static const struct ipv4_prefix *rif_cidr(const struct trace *t, struct rif x)
{
	const struct subnet *s = subnet_find(t->net, rif_iface(x)->subnet);

	return s ? &s->cidr : NULL;
}

/* The first router interface of the network with address 'ip' (the
 * data plane's address map keeps the first). */
static bool rif_by_ip(const struct trace *t, uint32_t ip, struct rif *out)
{
	for (size_t k = 0; k < t->n_routers; k++)
		for (size_t i = 0; i < t->routers[k]->n_interfaces; i++)
			if (t->routers[k]->interfaces[i].ip == ip) {
				*out = (struct rif){t->routers[k], i};
				return true;
			}
	return false;
}

/* The first router interface on subnet 'subnet': its hosts' gateway. */
static bool rif_on_subnet(const struct trace *t, const char *subnet, struct rif *out)
{
	for (size_t k = 0; k < t->n_routers; k++)
		for (size_t i = 0; i < t->routers[k]->n_interfaces; i++)
			if (!strcmp(t->routers[k]->interfaces[i].subnet, subnet)) {
				*out = (struct rif){t->routers[k], i};
				return true;
			}
	return false;
}

static const struct instance *instance_by_ip(const struct trace *t, uint32_t ip)
{
	for (size_t i = 0; i < t->n_insts; i++)
		if (t->insts[i]->ip == ip)
			return t->insts[i];
	return NULL;
}

static bool has_group(const struct instance *in, const char *group)
{
	for (size_t i = 0; i < in->n_security_groups; i++)
		if (!strcmp(in->security_groups[i], group))
			return true;
	return false;
}

/* ---- routes ---- */

/* What a router's longest-prefix match gave. */
struct route_hit {
	size_t out;			  /* egress interface */
	const struct ipv4_prefix *prefix; /* the matching prefix */
	const struct static_route *sr;	  /* NULL: connected */
};

/* The interface whose subnet holds 'via' (most specific, first on a tie),
 * as agent/tables.c resolves a static route; false if none. */
static bool static_out(const struct trace *t, const struct router *r, uint32_t via, size_t *out)
{
	int best = -1;

	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct ipv4_prefix *c = rif_cidr(t, (struct rif){r, i});

		if (c && ipv4_prefix_contains(c, via) && (int)c->len > best) {
			best = c->len;
			*out = i;
		}
	}
	return best >= 0;
}

/* Longest-prefix match over the connected subnets of 'r' (in interface
 * order), then its static routes: a prefix added again replaces the
 * earlier one, as in lpm_add(). */
static bool route_lookup(const struct trace *t, const struct router *r, uint32_t dst,
			 struct route_hit *hit)
{
	int best = -1;

	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct ipv4_prefix *c = rif_cidr(t, (struct rif){r, i});

		if (c && ipv4_prefix_contains(c, dst) && (int)c->len >= best) {
			best = c->len;
			*hit = (struct route_hit){i, c, NULL};
		}
	}
	for (size_t j = 0; j < r->n_routes; j++) {
		const struct static_route *sr = &r->routes[j];
		size_t out;

		if (ipv4_prefix_contains(&sr->prefix, dst) && (int)sr->prefix.len >= best &&
		    static_out(t, r, sr->via, &out)) {
			best = sr->prefix.len;
			*hit = (struct route_hit){out, &sr->prefix, sr};
		}
	}
	return best >= 0;
}

/* "10.1.2.0/24 connected" or "10.9.0.0/16 via 10.1.2.20". */
static json_t *route_json(const struct route_hit *hit)
{
	char p[IPV4_PREFIX_STRLEN], v[IPV4_ADDR_STRLEN];

	ipv4_prefix_format(hit->prefix, p);
	if (!hit->sr)
		return json_sprintf("%s connected", p);
	return json_sprintf("%s via %s", p, ip_str(hit->sr->via, v));
}

/* ---- security groups ---- */

/* Whether rule 'r' lets the packet through with 'remote' the far address
 * (its source for dir in, its destination for dir out), as acl_match()
 * does: ports count for tcp and udp only; a group means its members'
 * addresses in the network. */
static bool rule_matches(const struct trace *t, const struct sg_rule *r, uint32_t remote)
{
	const struct trace_query *q = t->q;

	if (r->proto != SG_PROTO_ANY && r->proto != q->proto)
		return false;
	if ((q->proto == SG_PROTO_TCP || q->proto == SG_PROTO_UDP) &&
	    (r->port_min || r->port_max) && (q->port < r->port_min || q->port > r->port_max))
		return false;
	if (!r->remote_group)
		return ipv4_prefix_contains(&r->remote, remote);
	for (size_t i = 0; i < t->n_insts; i++)
		if (t->insts[i]->ip == remote && has_group(t->insts[i], r->remote_group))
			return true;
	return false;
}

/* "in tcp 5432 from_group web", "out any to 0.0.0.0/0". */
static json_t *rule_json(const struct sg_rule *r)
{
	bool in = r->dir == SG_IN;
	char ports[16] = "", remote[IPV4_PREFIX_STRLEN + 16];

	if (r->port_min == r->port_max && r->port_min)
		snprintf(ports, sizeof ports, " %u", r->port_min);
	else if (r->port_min || r->port_max)
		snprintf(ports, sizeof ports, " %u-%u", r->port_min, r->port_max);
	if (r->remote_group) {
		return json_sprintf("%s %s%s %s %s", in ? "in" : "out",
				    codec_sg_proto_name(r->proto), ports,
				    in ? "from_group" : "to_group", r->remote_group);
	}
	ipv4_prefix_format(&r->remote, remote);
	return json_sprintf("%s %s%s %s %s", in ? "in" : "out", codec_sg_proto_name(r->proto),
			    ports, in ? "from" : "to", remote);
}

/* True if one of the groups of 'in' has a rule of direction 'dir'. */
static bool has_rules(const struct trace *t, const struct instance *in, enum sg_dir dir)
{
	for (size_t g = 0; g < in->n_security_groups; g++) {
		const struct security_group *sg = group_find(t->net, in->security_groups[g]);

		for (size_t k = 0; sg && k < sg->n_rules; k++)
			if (sg->rules[k].dir == dir)
				return true;
	}
	return false;
}

/* The security groups of 'in' in direction 'dir' for the packet, with
 * 'remote' its far address: appends the step "acl_egress" or
 * "acl_ingress" and returns true if the packet may pass. Egress is
 * filtered only if a group of the instance has out rules; ingress
 * whenever the instance is in a group (acl_check()). */
static bool acl(struct trace *t, const struct instance *in, enum sg_dir dir, uint32_t remote)
{
	json_t *step = step_new(t, dir == SG_IN ? "acl_ingress" : "acl_egress");
	bool filtered = dir == SG_IN ? in->n_security_groups > 0 : has_rules(t, in, SG_OUT);
	const char *dflt;

	json_object_set_new(step, "instance", json_string(in->hdr.id));
	if (!filtered) {
		dflt = dir == SG_IN
			   ? "default: no security groups, accepts all traffic of its network"
			   : "default: egress open";
		json_object_set_new(step, "result", json_string("allow"));
		json_object_set_new(step, "group", json_null());
		json_object_set_new(step, "rule", json_string(dflt));
		json_object_set_new(step, "line", json_null());
		return true;
	}
	for (size_t g = 0; g < in->n_security_groups; g++) {
		const struct security_group *sg = group_find(t->net, in->security_groups[g]);

		for (size_t k = 0; sg && k < sg->n_rules; k++) {
			const struct sg_rule *r = &sg->rules[k];

			if (r->dir != dir || !rule_matches(t, r, remote))
				continue;
			json_object_set_new(step, "result", json_string("allow"));
			json_object_set_new(step, "group", json_string(sg->name));
			json_object_set_new(step, "rule", rule_json(r));
			json_object_set_new(step, "line",
					    r->pos.line ? json_integer(r->pos.line) : json_null());
			return true;
		}
	}
	dflt = dir == SG_IN ? "default: deny (no in rule of its groups matches)"
			    : "default: deny (its groups have out rules and none matches)";
	json_object_set_new(step, "result", json_string("deny"));
	json_object_set_new(step, "group", json_null());
	json_object_set_new(step, "rule", json_string(dflt));
	json_object_set_new(step, "line", json_null());
	return false;
}

/* ---- the substrate ---- */

static bool host_index(struct model_object **hosts, size_t n, const char *name, size_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(hosts[i]->id, name)) {
			*out = i;
			return true;
		}
	return false;
}

/* The path object of 'path' (host indexes) for class 'class_name'. */
static json_t *path_json(const struct trace *t, struct model_object **hosts, const uint32_t *path,
			 size_t n, const char *class_name, uint64_t latency_us)
{
	json_t *names = json_array(), *hops = json_array();

	for (size_t k = 0; k < n; k++) {
		json_array_append_new(names, json_string(hosts[path[k]]->id));
		if (k + 1 < n) {
			uint64_t lat;
			bool up;
			bool known = rm_link_between(t->rm, path[k], path[k + 1], &lat, &up);

			json_array_append_new(
			    hops, json_pack("{s:s, s:s, s:o}", "from", hosts[path[k]]->id, "to",
					    hosts[path[k + 1]]->id, "latency_us",
					    known ? json_integer((json_int_t)lat) : json_null()));
		}
	}
	return json_pack("{s:s, s:o, s:o, s:I}", "class", class_name, "hosts", names, "hops", hops,
			 "latency_us", (json_int_t)latency_us);
}

/* The packet leaves the source host for 'di' on another host: the
 * substrate path of the network's class. Appends the step "substrate";
 * false if there is no path (the source host has no forwarding entry). */
static bool cross_substrate(struct trace *t, const struct instance *di)
{
	size_t n_hosts, s, d, ci, n = 0;
	struct model_object **hosts = model_list(t->model, MODEL_HOST, &n_hosts);
	json_t *step = step_new(t, "substrate");
	const char *class_name = NULL;
	uint32_t *path = NULL;
	uint64_t latency_us = 0;

	ci = rm_network_class(t->rm, t->net->hdr.id);
	class_name = rm_class_name(t->rm, ci);
	if (class_name && host_index(hosts, n_hosts, t->src->host, &s) &&
	    host_index(hosts, n_hosts, di->host, &d))
		n = rm_path(t->rm, ci, s, d, &path, &latency_us);
	json_object_set_new(step, "result", json_string(n ? "forward" : "no_path"));
	json_object_set_new(step, "class", class_name ? json_string(class_name) : json_null());
	json_object_set_new(step, "vni", json_integer(t->net->vni));
	json_object_set_new(step, "from", json_string(t->src->host));
	json_object_set_new(step, "to", json_string(di->host));
	if (n) {
		t->substrate = path_json(t, hosts, path, n, class_name, latency_us);
	} else {
		note_substrate(t, "no substrate path from %s to %s for class %s", t->src->host,
			       di->host, class_name ? class_name : "(none)");
		finish(t, "no_fwd_entry",
		       "%s has no forwarding entry towards %s for class %s: no substrate path",
		       t->src->host, di->host, class_name ? class_name : "(none)");
	}
	free(path);
	free(hosts);
	return n > 0;
}

/* ---- the walk ---- */

/* The frame reaches instance 'di' of the network (deliver()): egress ACL
 * of the source, the substrate if 'di' is elsewhere, ingress ACL of 'di'.
 * 'next_hop': 'di' is the next hop of a static route, not the
 * destination. */
static void deliver(struct trace *t, const struct instance *di, bool next_hop)
{
	char d[IPV4_ADDR_STRLEN], port[IFNAMSIZ];
	json_t *step;

	if (!acl(t, t->src, SG_OUT, t->q->dst)) {
		note_substrate(t, "dropped on %s before the substrate", t->src->host);
		finish(t, "acl", "egress security groups of %s refuse the packet", t->src->hdr.id);
		return;
	}
	if (strcmp(di->host, t->src->host)) {
		if (!cross_substrate(t, di))
			return;
	} else {
		note_substrate(t, "%s and %s are both on %s: the packet stays on the host",
			       t->src->hdr.id, di->hdr.id, di->host);
	}
	if (!acl(t, di, SG_IN, t->src->ip)) {
		finish(t, "acl", "ingress security groups of %s refuse the packet on %s",
		       di->hdr.id, di->host);
		return;
	}
	step = step_new(t, "deliver");
	json_object_set_new(step, "instance", json_string(di->hdr.id));
	json_object_set_new(step, "host", json_string(di->host));
	port_name(di->hdr.id, port);
	json_object_set_new(step, "port", json_string(port));
	if (next_hop) {
		json_object_set_new(
		    step, "detail",
		    json_sprintf("next hop of the route: the packet, still for %s, is handed to it",
				 ip_str(t->q->dst, d)));
		finish(t, NULL, "delivered to %s on %s, the next hop towards %s", di->hdr.id,
		       di->host, d);
		return;
	}
	finish(t, NULL, "delivered to %s on %s", di->hdr.id, di->host);
}

/* The destination is one of the network's router addresses (held by
 * 'owner'): router_local() answers on the source's host, without security
 * groups (the router is distributed). */
static void router_answers(struct trace *t, struct rif owner)
{
	json_t *step = step_new(t, "router_answers");
	const char *reply = t->q->proto == SG_PROTO_ICMP  ? "echo-reply"
			    : t->q->proto == SG_PROTO_UDP ? "port-unreachable"
							  : NULL;
	char d[IPV4_ADDR_STRLEN];

	ip_str(t->q->dst, d);
	json_object_set_new(step, "router", json_string(owner.r->hdr.id));
	json_object_set_new(step, "interface", json_string(rif_iface(owner)->name));
	json_object_set_new(step, "address", json_string(d));
	json_object_set_new(step, "reply", reply ? json_string(reply) : json_null());
	json_object_set_new(step, "host", json_string(t->src->host));
	note_substrate(t, "the router answers on %s, the source's host (the router is distributed)",
		       t->src->host);
	if (t->q->proto == SG_PROTO_ICMP)
		finish(t, NULL, "%s answers the echo request for %s on %s", owner.r->hdr.id, d,
		       t->src->host);
	else if (t->q->proto == SG_PROTO_UDP)
		finish(t, "not_for_us",
		       "%s answers with ICMP port unreachable: it has no UDP service",
		       owner.r->hdr.id);
	else
		finish(t, "not_for_us", "%s drops TCP for its own address %s in the data plane",
		       owner.r->hdr.id, d);
}

/* Appends the step of router hop 'in': the route it took ('hit', NULL if
 * none) and, when forwarded ('icmp' NULL), the TTL it leaves with; when
 * dropped, the ICMP error sent back to the source. */
static void router_step(struct trace *t, struct rif in, const struct route_hit *hit,
			const char *icmp)
{
	json_t *step = step_new(t, "router");

	json_object_set_new(step, "router", json_string(in.r->hdr.id));
	json_object_set_new(step, "in", json_string(rif_iface(in)->name));
	json_object_set_new(step, "out",
			    hit ? json_string(in.r->interfaces[hit->out].name) : json_null());
	json_object_set_new(step, "route", hit ? route_json(hit) : json_null());
	json_object_set_new(step, "ttl_in", json_integer(t->ttl));
	json_object_set_new(step, "ttl_out", icmp ? json_null() : json_integer(t->ttl - 1));
	json_object_set_new(step, "result", json_string(icmp ? "drop" : "forward"));
	json_object_set_new(step, "icmp_error", icmp ? json_string(icmp) : json_null());
	if (icmp)
		note_substrate(t, "dropped on %s by the router (distributed)", t->src->host);
}

/* The frame was sent to router interface 'in' (route()). */
static void route(struct trace *t, struct rif in)
{
	char d[IPV4_ADDR_STRLEN], v[IPV4_ADDR_STRLEN];
	struct rif owner;

	ip_str(t->q->dst, d);
	if (rif_by_ip(t, t->q->dst, &owner)) {
		router_answers(t, owner);
		return;
	}
	for (int hop = 0;; hop++) {
		const struct instance *di;
		struct route_hit hit;
		struct rif next;
		uint32_t target;
		bool to_rif;

		if (t->ttl <= 1 || hop == TRACE_MAX_ROUTER_HOPS) {
			router_step(t, in, NULL, "time-exceeded");
			finish(t, "ttl", "TTL expires at %s (%s)", in.r->hdr.id,
			       t->ttl <= 1 ? "TTL 1 cannot be forwarded"
					   : "more routers chained than the data plane follows");
			return;
		}
		if (!route_lookup(t, in.r, t->q->dst, &hit)) {
			router_step(t, in, NULL, "net-unreachable");
			finish(t, "no_route", "%s has no route to %s", in.r->hdr.id, d);
			return;
		}
		target = hit.sr ? hit.sr->via : t->q->dst;
		to_rif = rif_by_ip(t, target, &next);
		di = to_rif ? NULL : instance_by_ip(t, target);
		if (!to_rif && !di) {
			router_step(t, in, &hit, "host-unreachable");
			finish(t, "no_route", "%s: no instance or router of %s has %s%s",
			       in.r->hdr.id, t->net->hdr.id, ip_str(target, v),
			       hit.sr ? ", the route's next hop" : "");
			return;
		}
		if (to_rif && next.r == in.r && next.i == hit.out) {
			router_step(t, in, &hit, "host-unreachable");
			finish(t, "no_route", "%s: the next hop %s is its own outgoing interface",
			       in.r->hdr.id, ip_str(target, v));
			return;
		}
		router_step(t, in, &hit, NULL);
		t->ttl--;
		if (to_rif) {
			/* Another router of the network: route again there. */
			in = next;
			continue;
		}
		deliver(t, di, hit.sr != NULL);
		return;
	}
}

/* Whether the instance sends a packet for 'dst' as an Ethernet broadcast or
 * multicast: a multicast group, the limited broadcast, its subnet's
 * broadcast address. */
static bool is_broadcast(const struct subnet *sn, uint32_t dst)
{
	return (dst >> 28) == 0xe || dst == UINT32_MAX ||
	       (sn->cidr.len < 31 && dst == (sn->cidr.addr | ~ipv4_mask(sn->cidr.len)));
}

/* The frame as the instance sends it (dp_from_port()). */
static void walk(struct trace *t)
{
	const struct instance *src = t->src, *di;
	char port[IFNAMSIZ], mac[ETH_ADDR_STRLEN], ip[IPV4_ADDR_STRLEN], d[IPV4_ADDR_STRLEN];
	json_t *step = step_new(t, "port_security");
	struct rif gw;

	port_name(src->hdr.id, port);
	eth_addr_format(&src->mac, mac);
	ip_str(src->ip, ip);
	ip_str(t->q->dst, d);
	json_object_set_new(step, "result", json_string("pass"));
	json_object_set_new(step, "detail", json_sprintf("%s %s on port %s", ip, mac, port));

	if (t->q->dst == src->ip) {
		step = step_new(t, "local");
		json_object_set_new(step, "detail",
				    json_string("the instance's own address: the packet never "
						"leaves it"));
		note_substrate(t, "the packet does not leave %s", src->hdr.id);
		finish(t, NULL, "%s is %s's own address", d, src->hdr.id);
		return;
	}
	if (is_broadcast(t->src_subnet, t->q->dst)) {
		/* Sent to a group MAC, which dp_from_port() keeps on the host. */
		step = step_new(t, "switch");
		json_object_set_new(step, "subnet", json_string(src->subnet));
		json_object_set_new(step, "result", json_string("drop"));
		note_substrate(t, "the packet does not leave %s's host", src->hdr.id);
		finish(t, "not_for_us", "%s is a broadcast or multicast address: it stays on %s", d,
		       src->host);
		return;
	}
	if (!ipv4_prefix_contains(&t->src_subnet->cidr, t->q->dst)) {
		/* Off-link: to the default gateway DHCP gave. */
		if (!rif_on_subnet(t, src->subnet, &gw)) {
			step = step_new(t, "gateway");
			json_object_set_new(step, "result", json_string("none"));
			json_object_set_new(step, "subnet", json_string(src->subnet));
			note_substrate(t, "the packet does not leave %s", src->hdr.id);
			finish(t, "no_gateway",
			       "%s is off subnet %s, which has no router interface: the instance "
			       "has no default gateway",
			       d, src->subnet);
			return;
		}
		route(t, gw);
		return;
	}
	/* On-link: ARP, answered by the agent for the network's router
	 * interfaces first, then its instances. */
	step = step_new(t, "switch");
	json_object_set_new(step, "subnet", json_string(src->subnet));
	if (rif_by_ip(t, t->q->dst, &gw)) {
		json_object_set_new(step, "result", json_string("forward"));
		json_object_set_new(step, "to",
				    json_sprintf("%s %s", gw.r->hdr.id, rif_iface(gw)->name));
		route(t, gw);
		return;
	}
	di = instance_by_ip(t, t->q->dst);
	if (!di || strcmp(di->subnet, src->subnet)) {
		json_object_set_new(step, "result", json_string("drop"));
		note_substrate(t, "the packet does not leave %s", src->hdr.id);
		finish(t, "not_for_us",
		       "no instance or router interface of %s has %s: ARP goes unanswered",
		       t->net->hdr.id, d);
		return;
	}
	json_object_set_new(step, "result", json_string("forward"));
	json_object_set_new(step, "to", json_string(di->hdr.id));
	deliver(t, di, false);
}

/* ---- entry points ---- */

char *trace_query_parse(struct trace_query *q, const char *instance, const char *dst,
			const char *proto, const char *port, const char *ttl)
{
	uint64_t v;
	char *msg;

	memset(q, 0, sizeof *q);
	q->instance = instance;
	q->ttl = TRACE_DEFAULT_TTL;
	if (!instance || !*instance)
		return xstrdup("instance: missing (TENANT/NETWORK/NAME)");
	if (!dst)
		return xstrdup("dst: missing (an IPv4 address)");
	if (!ipv4_parse(dst, &q->dst))
		return xasprintf("dst: \"%.64s\" is not an IPv4 address", dst);
	if (!proto || !strcmp(proto, "icmp"))
		q->proto = SG_PROTO_ICMP;
	else if (!strcmp(proto, "tcp"))
		q->proto = SG_PROTO_TCP;
	else if (!strcmp(proto, "udp"))
		q->proto = SG_PROTO_UDP;
	else
		return xasprintf("proto: \"%.64s\" is not icmp, tcp or udp", proto);
	if (q->proto == SG_PROTO_ICMP && port)
		return xstrdup("port: only with proto tcp or udp");
	if (q->proto != SG_PROTO_ICMP) {
		if (!port)
			return xasprintf("port: missing (required with proto %s)",
					 codec_sg_proto_name(q->proto));
		msg = units_parse_uint(port, 65535, &v);
		if (msg || v == 0) {
			free(msg);
			return xasprintf("port: \"%.64s\" is not a port (1 to 65535)", port);
		}
		q->port = (uint16_t)v;
	}
	if (ttl) {
		msg = units_parse_uint(ttl, 255, &v);
		if (msg || v == 0) {
			free(msg);
			return xasprintf("ttl: \"%.64s\" is not a TTL (1 to 255)", ttl);
		}
		q->ttl = (uint8_t)v;
	}
	return NULL;
}

/* The network's routers and instances, in id order. */
static void collect(struct trace *t)
{
	struct model_object **objs;
	size_t n;

	objs = model_list(t->model, MODEL_ROUTER, &n);
	t->routers = xcalloc(n + 1, sizeof *t->routers);
	for (size_t i = 0; i < n; i++) {
		const struct router *r = CONTAINER_OF(objs[i], struct router, hdr);

		if (!strcmp(r->tenant, t->net->tenant) && !strcmp(r->network, t->net->name))
			t->routers[t->n_routers++] = r;
	}
	free(objs);
	objs = model_list(t->model, MODEL_INSTANCE, &n);
	t->insts = xcalloc(n + 1, sizeof *t->insts);
	for (size_t i = 0; i < n; i++) {
		const struct instance *in = CONTAINER_OF(objs[i], struct instance, hdr);

		if (!strcmp(in->tenant, t->net->tenant) && !strcmp(in->network, t->net->name))
			t->insts[t->n_insts++] = in;
	}
	free(objs);
}

json_t *trace_packet(const struct model *model, const struct route_manager *rm,
		     const struct trace_query *q, char **error)
{
	struct trace t = {.model = model, .rm = rm, .q = q, .ttl = q->ttl};
	struct model_object *obj = model_find(model, MODEL_INSTANCE, q->instance);
	char *net_id;
	json_t *out;

	*error = NULL;
	if (!obj) {
		*error = xasprintf("instance %.200s: not found", q->instance);
		return NULL;
	}
	t.src = CONTAINER_OF(obj, struct instance, hdr);
	net_id = xasprintf("%s/%s", t.src->tenant, t.src->network);
	obj = model_find(model, MODEL_NETWORK, net_id);
	free(net_id);
	/* The model guarantees the network and the subnet of an instance. */
	t.net = obj ? CONTAINER_OF(obj, struct network, hdr) : NULL;
	t.src_subnet = t.net ? subnet_find(t.net, t.src->subnet) : NULL;
	if (!t.src_subnet)
		onm_abort("trace: instance %s has no network or subnet", q->instance);

	collect(&t);
	t.steps = json_array();
	walk(&t);

	out = json_object();
	json_object_set_new(out, "instance", json_string(t.src->hdr.id));
	json_object_set_new(out, "src", ip_json(t.src->ip));
	json_object_set_new(out, "dst", ip_json(q->dst));
	json_object_set_new(out, "proto", json_string(codec_sg_proto_name(q->proto)));
	json_object_set_new(out, "port", q->port ? json_integer(q->port) : json_null());
	json_object_set_new(out, "ttl", json_integer(q->ttl));
	json_object_set_new(out, "verdict", json_string(t.delivered ? "delivered" : "dropped"));
	json_object_set_new(out, "reason", t.reason ? json_string(t.reason) : json_null());
	json_object_set_new(out, "detail", json_string(t.detail ? t.detail : ""));
	json_object_set_new(out, "steps", t.steps);
	json_object_set_new(out, "substrate", t.substrate ? t.substrate : json_null());
	json_object_set_new(out, "substrate_note",
			    t.substrate_note ? json_string(t.substrate_note) : json_null());
	free(t.substrate_note);
	free(t.detail);
	free(t.routers);
	free(t.insts);
	return out;
}

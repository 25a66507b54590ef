/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inside of a table snapshot, shared by tables.c (which builds it) and
 * pipeline.c (which reads it per packet). Everything is in flat arrays
 * indexed by small integers; the per-packet maps are open-addressing
 * arrays of 64-bit keys (at most half full, so a probe always ends at an
 * empty slot) built once and never changed. Nothing here allocates after
 * dp_tables_build() returns.
 */
#ifndef ONM_AGENT_TABLES_PRIVATE_H
#define ONM_AGENT_TABLES_PRIVATE_H

#include "counters.h"
#include "dhcp.h"
#include "onm/lpm.h"
#include "onm/net.h"
#include "tables.h"

#include <stdbool.h>
#include <stdint.h>

#define DP_NONE UINT32_MAX
#define DP_MAX_CLASSES 256     /* class ids are 0..255 */
#define DP_MAX_DSCP 64	       /* DSCP values are 0..63 */
#define DP_CLASS_NONE 0xffff   /* dscp_class[] value: no class has that DSCP */
#define DP_MAX_NEXT_HOPS 8     /* equal-cost next hops of one list of a forwarding entry */
#define DP_MAX_VNS 32767       /* a VN index fits the 15 bits of a MAC key */
#define DP_MAP_RIF 0x80000000u /* map value flag: a router interface, not an instance */
#define DP_SHAPE_MAX_BPS 1000000000000ull /* largest traffic-shape rate: 1 Tbit/s */

/* A slot of a dp_map. 'key' has bit 63 set when the slot is used. */
struct dp_map_slot {
	uint64_t key;
	uint32_t value;
};

struct dp_map {
	struct dp_map_slot *slots;
	uint32_t mask; /* number of slots - 1 */
	uint32_t n;    /* used slots */
};

#define DP_MAP_USED (1ull << 63)

/* MurmurHash3's 64-bit finalizer: every key bit reaches the low bits. */
static inline uint32_t dp_map_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	key *= 0xc4ceb9fe1a85ec53ull;
	key ^= key >> 33;
	return (uint32_t)key;
}

/* The value stored for 'key' (< 2^63), or DP_NONE. */
static inline uint32_t dp_map_find(const struct dp_map *m, uint64_t key)
{
	uint32_t i;

	key |= DP_MAP_USED;
	for (i = dp_map_hash(key) & m->mask;; i = (i + 1) & m->mask) {
		const struct dp_map_slot *s = &m->slots[i];

		if (s->key == key)
			return s->value;
		if (!s->key)
			return DP_NONE;
	}
}

/* Keys of the maps. VN indices are < DP_MAX_VNS. */
static inline uint64_t dp_key_ip(uint32_t vn, uint32_t ip)
{
	return (uint64_t)vn << 32 | ip;
}

static inline uint64_t dp_key_mac(uint32_t vn, const struct eth_addr *mac)
{
	uint64_t k = (uint64_t)vn << 48;

	for (int i = 0; i < 6; i++)
		k |= (uint64_t)mac->b[i] << (40 - 8 * i);
	return k;
}

static inline uint64_t dp_key_fwd(uint8_t class_id, uint16_t dst_host)
{
	return (uint64_t)class_id << 16 | dst_host;
}

struct dp_subnet {
	struct ipv4_prefix cidr;
	uint32_t router_if; /* a router interface on this subnet (gateway), or DP_NONE */
	char *name;
};

struct dp_vn {
	char *id;	    /* "T/N" */
	uint32_t vni;	    /* 1..2^24-1 */
	uint8_t class_id;   /* service class on the underlay (its classes[] entry exists) */
	bool has_redirects; /* a router of the VN has redirects: deliveries look for replies
			     * of redirected flows (conntrack) to translate back */
	struct dp_subnet *subnets;
	uint32_t n_subnets;
	struct dp_counters *ctr;
};

/* dp_router_if.features: what a packet through the interface meets beyond
 * plain routing. 0 (the common case) costs the router path one test. */
enum {
	DP_RIF_DOWN = 1 << 0,	   /* shut down: nothing in or out, its address not answered */
	DP_RIF_ACL_IN = 1 << 1,	   /* 'acl_in' checks what enters the router through it */
	DP_RIF_ACL_OUT = 1 << 2,   /* 'acl_out' checks what leaves the router through it */
	DP_RIF_SHAPED = 1 << 3,	   /* what leaves through it is shaped ('shaper') */
	DP_RIF_REDIRECTS = 1 << 4, /* its router has redirects (t->redirect_map) */
};
#define DP_RIF_IN_FEATURES (DP_RIF_DOWN | DP_RIF_ACL_IN | DP_RIF_REDIRECTS)
#define DP_RIF_OUT_FEATURES (DP_RIF_DOWN | DP_RIF_ACL_OUT | DP_RIF_SHAPED)

struct dp_router_if {
	uint32_t ip;		 /* host order */
	struct eth_addr mac;	 /* same on every host: the router is distributed */
	uint8_t features;	 /* DP_RIF_* */
	struct ipv4_prefix cidr; /* the subnet's */
	uint32_t vn;
	uint32_t router;
	uint32_t subnet; /* index in the VN's subnets */
	struct dp_counters *ctr;
	/* Only with the features above: */
	uint32_t acl_in, acl_out;  /* index in t->racls (DP_RIF_ACL_IN / _OUT) */
	struct dp_shaper *shaper;  /* the bucket (in the counters registry), DP_RIF_SHAPED */
	uint64_t shape_bps;	   /* rate, bits per second */
	uint64_t shape_burst_tick; /* burst tolerance: how far the bucket may run ahead of now,
				    * shaper ticks (DP_SHAPER_TICKS_PER_US) */
};

/* One rule of a router access list (IOS extended ACL): matches IPv4 packets
 * of 'proto' (0 = any) from src/src_mask to dst/dst_mask and, for TCP and
 * UDP, destination port 'port' (0 = any). */
struct dp_racl_rule {
	uint32_t src, src_mask; /* host order */
	uint32_t dst, dst_mask;
	uint16_t port;
	uint8_t proto;
	bool permit;
};

/* A router access list: rules in order, first match wins, no match = deny. */
struct dp_racl {
	struct dp_racl_rule *rules;
	uint32_t n;
};

/* Where a route sends a packet: out of 'router_if', to the destination
 * itself (via == 0, connected) or to the instance 'via'. */
struct dp_route {
	uint32_t router_if;
	uint32_t via; /* host order; 0 = connected */
};

struct dp_router {
	uint32_t vn;
	struct lpm *lpm; /* destination -> index in 'routes' (routes via interfaces that are up) */
	/* The routes via interfaces that are shut down, NULL if none: a packet
	 * that only they would route is dropped as interface_down. */
	struct lpm *lpm_down;
	struct dp_route *routes;
	uint32_t n_routes;
};

struct dp_instance {
	uint32_t ip; /* host order */
	struct eth_addr mac;
	uint16_t host_id; /* where it runs */
	uint32_t vn;
	uint32_t subnet; /* index in the VN's subnets */
	uint32_t port;	 /* local port index, or DP_NONE when on another host */
	uint32_t fwd;	 /* forwarding entry (VN's class, host), DP_NONE if none or local */
};

/* A precomputed routing result: a router's way to an instance on one of its
 * connected subnets (what LPM + address lookup would give, in one step). */
struct dp_host_route {
	uint32_t instance;
	uint32_t out_rif; /* egress router interface */
};

/* One compiled security-group rule: 'remote' is the source (dir in) or the
 * destination (dir out) of the packet; ports are the packet's destination
 * port; proto 0 = any. */
struct dp_acl_rule {
	uint32_t addr, mask; /* remote address/prefix, host order */
	uint16_t port_min, port_max;
	uint8_t proto;
};

struct dp_acl {
	struct dp_acl_rule *rules;
	uint32_t n;
};

struct dp_port {
	char *name;	   /* TAP device */
	char *instance_id; /* "T/N/I" */
	struct eth_addr mac;
	uint32_t ip;
	uint32_t vn;
	uint32_t instance;
	uint32_t subnet;
	bool has_groups;	 /* in security groups: ingress filtered, flows tracked */
	bool egress_filtered;	 /* its groups have dir out rules */
	struct dp_acl in, out;	 /* compiled rules of its groups */
	struct dhcp_config dhcp; /* what its DHCP server offers */
	struct dp_counters *ctr;
	uintptr_t cookie; /* the runtime's */
};

/* A service class (the view's class/NAME). What packets read comes first. */
struct dp_class {
	struct dp_counters *ctr; /* its transit counters (DP_COUNTER_TRANSIT, by name) */
	uint8_t dscp;		 /* outer DSCP of its packets between agents, 0..63 */
	bool waypoint;		 /* it has a via_capability: its packets must pass a waypoint */
	bool self_waypoint;	 /* this host has that capability: it is a waypoint of the class */
	char *name;		 /* NULL: no class has this id */
};

/* Equal-cost next hops; a packet takes addr[hash % n] (docs/dataplane.md).
 * The counts first: one hop (the common case) reads the first 8 bytes. */
struct dp_hops {
	uint8_t n;			 /* entries of 'addr'; 0 = no way (drop no_route) */
	uint8_t kernel_vtep;		 /* bit i: hop i is a kernel VTEP (plain VXLAN to it) */
	uint32_t addr[DP_MAX_NEXT_HOPS]; /* underlay addresses, host order */
};

/* A forwarding entry fwd/CLASS/DST. */
struct dp_fwd {
	struct dp_hops next_hops;
	/* For a packet of a waypoint class that has not passed a waypoint
	 * yet, when this host is no waypoint: the hops towards one. */
	struct dp_hops pre_waypoint;
	bool has_pre_waypoint; /* the entry has "pre_waypoint" (it may be empty) */
};

struct dp_tables {
	char *self_name;
	uint16_t self_id;
	uint32_t self_address;

	struct dp_port *ports;
	uint32_t n_ports;
	struct dp_vn *vns;
	uint32_t n_vns;
	struct dp_router *routers;
	uint32_t n_routers;
	struct dp_router_if *rifs;
	uint32_t n_rifs;
	struct dp_instance *instances;
	uint32_t n_instances;
	struct dp_fwd *fwds;
	uint32_t n_fwds;
	struct dp_host_route *host_routes;
	uint32_t n_host_routes;
	struct dp_racl *racls; /* router access lists, all routers' */
	uint32_t n_racls;

	struct dp_map ip_map;  /* dp_key_ip(vn, ip) -> instance, or DP_MAP_RIF | router if */
	struct dp_map mac_map; /* dp_key_mac(vn, mac) -> instance, or DP_MAP_RIF | router if */
	struct dp_map vni_map; /* vni -> vn */
	struct dp_map fwd_map; /* dp_key_fwd(class, dst host) -> fwd */
	/* dp_key_ip(router, ip) -> host route, or DP_MAP_RIF | router interface
	 * for the addresses of every router of the VN (the fast path of route) */
	struct dp_map host_map;
	/* dp_key_ip(router, from) -> to: the routers' redirects (host order) */
	struct dp_map redirect_map;

	/* Last: 6 KiB that only transit and the first hop's class look at. */
	uint16_t dscp_class[DP_MAX_DSCP]; /* outer DSCP -> class id, or DP_CLASS_NONE */
	uint32_t n_classes;
	struct dp_class classes[DP_MAX_CLASSES]; /* by class id */
};

#endif /* ONM_AGENT_TABLES_PRIVATE_H */

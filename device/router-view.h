/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A simulated router as its users see it, built from the substrate's
 * truth: its interfaces (addresses from the model, counters summed over
 * every agent that carries the router's traffic — each agent routes for
 * the instances on its host, so each holds a share of every interface's
 * counters) and its routing table (connected, local and static routes,
 * the ones the data plane uses: an interface that is shut down or has no
 * subnet gives no connected route, and a static route is shown with the
 * interface its next hop is reached through, if any). Transport independent: the SSH CLI
 * renders it as IOS or JunOS would, the SNMP agent walks it as MIB tables.
 *
 * A view is a snapshot: build, read, uninit. Thread-safety: none.
 */
#ifndef ONM_DEVICE_ROUTER_VIEW_H
#define ONM_DEVICE_ROUTER_VIEW_H

#include "onm/model.h"
#include "onm/net.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rv_interface {
	const char *name;	  /* "GigabitEthernet0/0" (the model's) */
	const char *subnet;	  /* the subnet it is on */
	uint32_t ip;		  /* host order */
	struct ipv4_prefix cidr;  /* its subnet */
	struct eth_addr mac;	  /* the data plane's */
	bool admin_up;		  /* not 'shutdown' in the model */
	bool oper_up;		  /* its subnet exists (the line protocol is up if both are) */
	const char *description;  /* or NULL */
	uint64_t shape_bps;	  /* traffic-shape rate, 0: none */
	const char *acl_in, *acl_out; /* access-group names, or NULL */
	uint64_t rx_packets, rx_bytes; /* routed in through it, summed over agents */
	uint64_t tx_packets, tx_bytes; /* routed out */
	uint64_t drops;
	size_t n_agents; /* agents whose counters were summed */
};

enum rv_route_type { RV_CONNECTED, RV_LOCAL, RV_STATIC };

struct rv_route {
	enum rv_route_type type;
	struct ipv4_prefix prefix;
	uint32_t via;	    /* static: next hop */
	const char *ifname; /* connected/local: the interface; static: the one towards 'via' */
};

struct router_view {
	const struct router *router;
	const struct network *network;
	struct rv_interface *ifs; /* in the model's order */
	size_t n_ifs;
	struct rv_route *routes; /* by prefix address, then length */
	size_t n_routes;
};

/* Builds the view of router 'router_id' ("T/N/R") of 'model', summing the
 * "router_interfaces" counters of 'agents' ([{"counters": {...}}], as
 * ctl_agents_counters_json() gives them; NULL: zero counters). Returns false if there is no such router. Strings
 * point into 'model', which must outlive the view. */
bool router_view_build(struct router_view *, const struct model *model, const char *router_id,
		       const json_t *agents);
void router_view_uninit(struct router_view *);

/* The interface named 'name' exactly, or NULL. */
const struct rv_interface *router_view_interface(const struct router_view *, const char *name);

#endif /* ONM_DEVICE_ROUTER_VIEW_H */

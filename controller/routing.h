/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Route Manager: how the substrate carries each class of traffic.
 *
 * It keeps the substrate graph (hosts sorted by name, the model's links),
 * one cost function per service level (its weights and constraints, over
 * the links' configured attributes or, once agents have measured them,
 * the measured latency and loss), and one shortest-path tree per
 * (class, destination host) in use — a class is in use when a network's
 * effective class is that class, a destination when such a network has an
 * instance there. From a tree every host's forwarding entry for that pair
 * is read: its equal-cost next hops.
 *
 * A class with a waypoint ('via_capability', e.g. quarantine passing an
 * 'inspection' host) is routed on a two-layer graph: layer 0 is "not yet
 * inspected", layer 1 "inspected", and every capable host joins its two
 * copies. Its trees lead to the destination's layer-1 copy; a host's
 * layer-1 next hops are its entry's "next_hops", its layer-0 next hops the
 * "pre_waypoint" list that packets not yet inspected take
 * (docs/dataplane.md).
 *
 * Links change state from the model (admin state, attributes) and from the
 * agents' probes (oper state, measured latency and loss). A change of one
 * link updates only the trees it can affect, incrementally; a change of
 * shape (hosts, the set of links, service levels) rebuilds everything.
 *
 * The effective class of a tenant's networks is its service level, unless
 * the tenant is quarantined (the "quarantine" class) or has used up its
 * premium quota (its fallback class).
 *
 * A network with a routing policy of its own ('routing:' — coefficients on
 * the link attributes, preferred and avoided hosts, explicit host paths)
 * gets a class of its own, named "TENANT.NETWORK", derived from its
 * tenant's effective class: the same constraints and waypoint, the
 * weights multiplied by the coefficients, links of an avoided host
 * crossed only when nothing else reaches, links of a preferred host
 * counting half. It has its own trees and its own DSCP (the lowest one no
 * class uses). An explicit path fixes the next hop of each of its hosts
 * towards its last one; a path that cannot be followed now (a link down
 * or below the class's constraints, another path disagreeing at a host,
 * a waypoint class) is reported and not applied until it can be — the
 * traffic then takes the class's shortest paths.
 *
 * Thread-safety: none.
 */
#ifndef ONM_CONTROLLER_ROUTING_H
#define ONM_CONTROLLER_ROUTING_H

#include "onm/model.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;
struct route_manager;

/* Name of the class quarantined tenants take. */
#define RM_QUARANTINE_CLASS "quarantine"
/* Most next hops per entry (ECMP). */
#define RM_MAX_NEXT_HOPS 8

struct route_manager *rm_create(void);
void rm_destroy(struct route_manager *);

/* Brings the Route Manager to 'model' (which must stay valid until the
 * next call): rebuilds on a change of shape, updates incrementally on a
 * change of link attributes or state, computes the trees that came into
 * use and drops the ones no longer in use. Returns true if any forwarding
 * entry may have changed. */
bool rm_sync(struct route_manager *, const struct model *model);

/* An agent's probe report on link 'link_id' ("A/B") from host 'reporter':
 * 'up' is the oper state it sees; 'latency_us' / 'loss_ppm' are measured
 * values or -1 if none yet. Returns true if forwarding changed. */
bool rm_link_report(struct route_manager *, const char *link_id, const char *reporter, bool up,
		    int64_t latency_us, int64_t loss_ppm);

/* Forgets what host 'reporter' reported (its agent went away). Returns true
 * if forwarding changed. */
bool rm_reporter_gone(struct route_manager *, const char *reporter);

/* 'bytes' more sent by tenant 'tenant''s instances (from the agents'
 * counters); they count against its premium quota while its networks take
 * its own service level. Returns true if that moved the tenant to its
 * fallback class. Raising the quota (a model change) moves it back. */
bool rm_tenant_add_usage(struct route_manager *, const char *tenant, uint64_t bytes);

/* Sets tenant 'tenant''s usage (restored from the store after a restart).
 * Returns true if that moved it to or from its fallback class. */
bool rm_tenant_set_usage(struct route_manager *, const char *tenant, uint64_t bytes);
/* {"TENANT": bytes} of every tenant with a quota and some usage, to store. */
json_t *rm_usage_json(const struct route_manager *);

/* Index of the effective class of 'tenant' (service levels in name order),
 * or SIZE_MAX if it has none. */
size_t rm_tenant_class(const struct route_manager *, const char *tenant);

/* Index of the class network 'net_id' ("T/N") takes: its own when it has a
 * routing policy that can be applied, else its tenant's; SIZE_MAX if none. */
size_t rm_network_class(const struct route_manager *, const char *net_id);

/* The classes: service levels in name order, then the networks' own
 * classes in network order. Indexes are class ids on the wire. */
size_t rm_n_classes(const struct route_manager *);
const char *rm_class_name(const struct route_manager *, size_t class_idx);
uint8_t rm_class_dscp(const struct route_manager *, size_t class_idx);
/* The capability its paths must pass, or NULL. */
const char *rm_class_via(const struct route_manager *, size_t class_idx);

/* The forwarding entries of host 'host' (index among hosts in name order):
 * calls 'cb' once per (class, destination) in use with a non-empty entry,
 * with the next hops (host indexes) and, for a waypoint class at a host
 * without the capability, the pre_waypoint hops ('pre' non-NULL then, even
 * if 'n_pre' is 0). */
typedef void rm_entry_cb(size_t class_idx, size_t dst, const uint32_t *next, size_t n_next,
			 const uint32_t *pre, size_t n_pre, void *aux);
void rm_host_entries(const struct route_manager *, size_t host, rm_entry_cb *cb, void *aux);

/* The substrate path class 'class_idx' takes from host 'src' to host 'dst'
 * (host indexes), following the first next hop where there are several:
 * an array of host indexes from src to dst in '*path' (caller frees), and
 * the sum of the links' latencies in use. Returns the number of hosts on
 * the path, or 0 if there is none. */
size_t rm_path(const struct route_manager *, size_t class_idx, size_t src, size_t dst,
	       uint32_t **path, uint64_t *latency_us);

/* The latency the Route Manager uses for the link between hosts 'a' and 'b'
 * (measured if measured, else configured), and whether it is up; false if
 * there is no such link. */
bool rm_link_between(const struct route_manager *, size_t a, size_t b, uint64_t *latency_us,
		     bool *up);

/* What `onm route show` prints for network 'net_id' ("T/N") of 'model':
 * {"network", "vni", "class" (effective), "routes": the virtual routing
 * table (connected and static, per router), "paths": per ordered pair of
 * hosts with instances of the network, the substrate path its class takes
 * and its latency, "policy" (only with a routing policy): {"class" its own
 * class or null, "base", "problems": [text], "paths": [{"from", "to",
 * "hosts", "applied", "problem"}]}}; NULL if there is no such network. */
json_t *rm_network_json(const struct route_manager *, const struct model *, const char *net_id);

/* JSON of every link's state as the Route Manager sees it (admin, oper,
 * configured and measured latency and loss), for GET /v1/links?status. */
json_t *rm_links_json(const struct route_manager *);

/* JSON of the tenants' routing status: service level, effective class,
 * quarantine, quota and usage. */
json_t *rm_tenant_status_json(const struct route_manager *, const char *tenant);

/* Prometheus metrics: recomputations and entries. */
void rm_metrics_render(const struct route_manager *, struct ds *out);

/* Counts 'n' forwarding entries pushed to agents (for the metrics). */
void rm_count_pushed(struct route_manager *, uint64_t n);

#endif /* ONM_CONTROLLER_ROUTING_H */

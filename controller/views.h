/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-host views: what the agent of host H needs to know, computed from
 * the model as a set of entries KEY -> VALUE (a jansson object), exactly
 * as docs/dataplane.md ("Entries of host H's view") lists them:
 *
 *   self                 H's name, id, address, capabilities
 *   host/NAME            every host (kernel_vtep tells the external VTEPs)
 *   link/A/B             the links that touch H, with what probing needs
 *   class/NAME           every service level; ids 0.. in name order, DSCP,
 *                        waypoint capability
 *   fwd/CLASS/DST        equal-cost next hops from H towards DST for every
 *                        (class, destination) in use (the Route Manager's,
 *                        routing.h), with "pre_waypoint" for waypoint classes
 *   network/T/N          the VNs with an instance on H, with their tenant's
 *                        effective class (service level, quarantine or
 *                        fallback)
 *   router/T/N/R         the routers of those VNs (interface MACs derived
 *                        here, the same on every host: the router is
 *                        distributed)
 *   instance/T/N/I       every instance of those VNs; "port" (the TAP name)
 *                        for the instances on H only
 *
 * Class ids are one byte on the wire: service levels past the 256th (in
 * name order) get no class, and networks of tenants using them are left
 * out of views.
 *
 * A views context holds what every host's view shares (the class table,
 * the substrate graph, the entries of every router and instance), built
 * once per model; views computed from it share those entry values, which
 * nobody may modify. A context refers to the model's objects: destroy it
 * before the model changes.
 *
 * Thread-safety: none.
 */
#ifndef ONM_CONTROLLER_VIEWS_H
#define ONM_CONTROLLER_VIEWS_H

#include "onm/model.h"
#include "onm/net.h"
#include "routing.h"

#include <jansson.h>
#include <stdbool.h>

#define VIEWS_MAX_CLASSES 256
/* Link probing defaults given to agents (BFD-like, docs/dataplane.md). */
#define VIEWS_PROBE_INTERVAL_MS 100
#define VIEWS_PROBE_DETECT_MULT 3

struct views_ctx;

/* Precomputes what the views of 'model' share; forwarding entries and
 * effective classes come from 'rm', synced to 'model', which must outlive
 * the context. */
struct views_ctx *views_ctx_create(const struct model *model, const struct route_manager *rm);
void views_ctx_destroy(struct views_ctx *);

/* The view of host 'host' (a new object KEY -> VALUE; the caller
 * decrefs), or NULL if the model has no such host. */
json_t *views_ctx_compute(const struct views_ctx *, const char *host);

/* The same without a context to reuse (builds and destroys one, and a
 * Route Manager). */
json_t *views_compute(const struct model *model, const char *host);

/* The differences from view 'old' to view 'new' (either may be NULL for
 * an empty view): '*put' gets a new object with the entries of 'new' that
 * 'old' lacks or holds with another value, '*del' a new array of the keys
 * of 'old' that 'new' lacks, sorted. Returns true if either is non-empty. */
bool views_diff(const json_t *old, const json_t *new, json_t **put, json_t **del);

/* The MAC address of router 'router_id' ("acme/blue/r1") on interface
 * 'ifname': 06 and 40 bits of a hash of both (locally administered,
 * unicast; instance MACs the controller allocates start with 02). */
void views_router_mac(const char *router_id, const char *ifname, struct eth_addr *mac);

#endif /* ONM_CONTROLLER_VIEWS_H */

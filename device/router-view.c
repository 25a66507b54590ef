// SPDX-License-Identifier: Apache-2.0
/*
 * A simulated router's view from the model and the agents' counters (see
 * router-view.h).
 */
#include "router-view.h"

#include "onm/util.h"
#include "views.h"

#include <stdlib.h>
#include <string.h>

static const struct subnet *subnet_find(const struct network *n, const char *name)
{
	for (size_t i = 0; i < n->n_subnets; i++)
		if (!strcmp(n->subnets[i].name, name))
			return &n->subnets[i];
	return NULL;
}

static uint64_t counter(const json_t *c, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(c, key));
}

/* Adds every agent's counters of this router's interfaces. */
static void sum_counters(struct router_view *v, const json_t *agents)
{
	const json_t *item;
	size_t i;

	json_array_foreach (agents, i, item) {
		const json_t *rifs = json_object_get(json_object_get(item, "counters"),
						     "router_interfaces");

		for (size_t k = 0; rifs && k < v->n_ifs; k++) {
			struct rv_interface *ifc = &v->ifs[k];
			char *key = xasprintf("%s/%s", v->router->hdr.id, ifc->name);
			const json_t *c = json_object_get(rifs, key);

			free(key);
			if (!c)
				continue;
			ifc->rx_packets += counter(c, "rx_packets");
			ifc->rx_bytes += counter(c, "rx_bytes");
			ifc->tx_packets += counter(c, "tx_packets");
			ifc->tx_bytes += counter(c, "tx_bytes");
			ifc->drops += counter(c, "drops");
			ifc->n_agents++;
		}
	}
}

static int route_cmp(const void *a_, const void *b_)
{
	const struct rv_route *a = a_, *b = b_;

	if (a->prefix.addr != b->prefix.addr)
		return a->prefix.addr < b->prefix.addr ? -1 : 1;
	if (a->prefix.len != b->prefix.len)
		return a->prefix.len < b->prefix.len ? -1 : 1;
	return (int)a->type - (int)b->type;
}

/* The interface whose subnet holds 'ip', or NULL. */
static const char *interface_towards(const struct router_view *v, uint32_t ip)
{
	for (size_t i = 0; i < v->n_ifs; i++)
		if (v->ifs[i].admin_up && v->ifs[i].oper_up &&
		    ipv4_prefix_contains(&v->ifs[i].cidr, ip))
			return v->ifs[i].name;
	return NULL;
}

bool router_view_build(struct router_view *v, const struct model *model, const char *router_id,
		       const json_t *agents)
{
	const struct model_object *o = model_find(model, MODEL_ROUTER, router_id);
	const struct router *r;
	char *net_id;
	size_t n = 0;

	memset(v, 0, sizeof *v);
	if (!o)
		return false;
	r = CONTAINER_OF(o, const struct router, hdr);
	net_id = xasprintf("%s/%s", r->tenant, r->network);
	o = model_find(model, MODEL_NETWORK, net_id);
	free(net_id);
	if (!o)
		return false;
	v->router = r;
	v->network = CONTAINER_OF(o, const struct network, hdr);
	v->n_ifs = r->n_interfaces;
	v->ifs = xcalloc(v->n_ifs + 1, sizeof *v->ifs);
	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ri = &r->interfaces[i];
		const struct subnet *s = subnet_find(v->network, ri->subnet);
		struct rv_interface *ifc = &v->ifs[i];

		ifc->name = ri->name;
		ifc->subnet = ri->subnet;
		ifc->ip = ri->ip;
		if (s)
			ifc->cidr = s->cidr;
		views_router_mac(r->hdr.id, ri->name, &ifc->mac);
		ifc->admin_up = !ri->shutdown;
		ifc->oper_up = s != NULL;
		ifc->description = ri->description;
		ifc->shape_bps = ri->shape_bps;
		ifc->acl_in = ri->acl_in;
		ifc->acl_out = ri->acl_out;
	}
	if (agents)
		sum_counters(v, agents);

	v->routes = xcalloc(2 * r->n_interfaces + r->n_routes + 1, sizeof *v->routes);
	for (size_t i = 0; i < v->n_ifs; i++) {
		const struct rv_interface *ifc = &v->ifs[i];

		if (!ifc->oper_up || !ifc->admin_up)
			continue;
		v->routes[n++] = (struct rv_route){RV_CONNECTED, ifc->cidr, 0, ifc->name};
		v->routes[n++] =
		    (struct rv_route){RV_LOCAL, {ifc->ip, 32}, 0, ifc->name};
	}
	/* As IOS: a static route whose next hop no interface reaches (it is
	 * shut down) leaves the table; the configuration keeps it. */
	for (size_t i = 0; i < r->n_routes; i++) {
		const char *ifname = interface_towards(v, r->routes[i].via);

		if (ifname)
			v->routes[n++] = (struct rv_route){RV_STATIC, r->routes[i].prefix,
							   r->routes[i].via, ifname};
	}
	v->n_routes = n;
	qsort(v->routes, n, sizeof *v->routes, route_cmp);
	return true;
}

void router_view_uninit(struct router_view *v)
{
	free(v->ifs);
	free(v->routes);
	memset(v, 0, sizeof *v);
}

const struct rv_interface *router_view_interface(const struct router_view *v, const char *name)
{
	for (size_t i = 0; i < v->n_ifs; i++)
		if (!strcmp(v->ifs[i].name, name))
			return &v->ifs[i];
	return NULL;
}

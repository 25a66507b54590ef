// SPDX-License-Identifier: Apache-2.0
/*
 * Per-host views (see views.h). A context indexes the model once: hosts
 * and service levels sorted by name (their positions are the graph's
 * vertex numbers and the class ids), the substrate graph as adjacency
 * lists, and per network its entry and the entries of its routers and
 * instances, plus for every host the networks that have an instance
 * there. A host's view is then assembled from shared entry values, with
 * its own self and forwarding entries and the "port" of its own
 * instances.
 */
#include "views.h"

#include "onm/codec.h"
#include "onm/ds.h"
#include "onm/naming.h"

#include <stdlib.h>
#include <string.h>

/* A vertex of the substrate graph. */
struct vhost {
	const struct host *host;
	json_t *entry;	    /* the "host/NAME" value */
	json_t *links;	    /* object: "link/A/B" -> value, the links that touch it */
	struct vnet **nets; /* the networks with an instance on this host, each once */
	size_t n_nets;
	size_t alloc_nets;
};

/* A class of the Route Manager (a service level or a network's own). */
struct vclass {
	const char *name; /* the Route Manager's */
	json_t *entry;	  /* the "class/NAME" value */
};

/* A network with the entries of everything in it. */
struct vnet {
	const struct network *net;
	size_t class_idx;  /* index into 'classes', or SIZE_MAX: no class (see views.h) */
	json_t *entry;	   /* the "network/T/N" value */
	json_t *routers;   /* object: "router/T/N/R" -> value */
	json_t *instances; /* object: "instance/T/N/I" -> value, without "port" */
	/* The instances again, for adding "port" to the ones on a host. */
	const struct instance **insts;
	size_t n_insts;
	size_t alloc_insts;
	size_t *inst_host; /* per 'insts' element: the index of its host */
};

struct views_ctx {
	const struct route_manager *rm;
	struct route_manager *own_rm; /* views_compute()'s own, or NULL */
	struct vhost *hosts; /* sorted by name */
	size_t n_hosts;
	struct vclass *classes; /* sorted by name; the index is the class id */
	size_t n_classes;
	struct vnet *nets; /* sorted by id */
	size_t n_nets;
};

/* Lookups by name in the sorted arrays. */

static int host_name_cmp(const void *name, const void *elem)
{
	return strcmp(name, ((const struct vhost *)elem)->host->name);
}

static size_t host_index(const struct views_ctx *ctx, const char *name)
{
	const struct vhost *h =
	    bsearch(name, ctx->hosts, ctx->n_hosts, sizeof *ctx->hosts, host_name_cmp);

	return h ? (size_t)(h - ctx->hosts) : SIZE_MAX;
}

/* Compares "TENANT/NETWORK" given in two parts with a network id. */
static int net_id_compare(const char *tenant, const char *network, const char *id)
{
	size_t tl = strlen(tenant);
	int c = strncmp(tenant, id, tl);

	if (c)
		return c;
	if (id[tl] != '/')
		return id[tl] ? '/' - (unsigned char)id[tl] : 1;
	return strcmp(network, id + tl + 1);
}

static struct vnet *net_find(const struct views_ctx *ctx, const char *tenant, const char *network)
{
	size_t lo = 0, hi = ctx->n_nets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = net_id_compare(tenant, network, ctx->nets[mid].net->hdr.id);

		if (!c)
			return &ctx->nets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Entry values. */

static json_t *ip_json(uint32_t ip)
{
	char buf[IPV4_ADDR_STRLEN];

	ipv4_format(ip, buf);
	return json_string(buf);
}

static json_t *prefix_json(const struct ipv4_prefix *p)
{
	char buf[IPV4_PREFIX_STRLEN];

	ipv4_prefix_format(p, buf);
	return json_string(buf);
}

static json_t *mac_json(const struct eth_addr *mac)
{
	char buf[ETH_ADDR_STRLEN];

	eth_addr_format(mac, buf);
	return json_string(buf);
}

/* The MAC of a router interface (see views.h). 64-bit FNV-1a over the
 * router id, a NUL and the interface name. */
void views_router_mac(const char *router_id, const char *ifname, struct eth_addr *mac)
{
	uint64_t hash = 14695981039346656037ull;
	const char *parts[2] = {router_id, ifname};

	for (size_t i = 0; i < 2; i++) {
		for (const char *p = parts[i];; p++) {
			hash ^= (unsigned char)*p;
			hash *= 1099511628211ull;
			if (!*p)
				break;
		}
	}
	mac->b[0] = 0x06; /* locally administered, unicast */
	for (size_t i = 1; i < 6; i++)
		mac->b[i] = (uint8_t)(hash >> (8 * (i - 1)));
}

static json_t *host_entry(const struct host *h)
{
	return json_pack("{s:s, s:i, s:o, s:b}", "name", h->name, "id", (int)h->id, "address",
			 ip_json(h->address), "kernel_vtep", h->kernel_vtep);
}

static const struct subnet *subnet_find(const struct network *n, const char *name)
{
	for (size_t i = 0; i < n->n_subnets; i++)
		if (!strcmp(n->subnets[i].name, name))
			return &n->subnets[i];
	return NULL;
}

/* The network's subnets and security groups are taken from its canonical
 * JSON, which has them in the flat form the view carries. */
static json_t *network_entry(const struct network *n, const struct vclass *c, size_t class_id)
{
	json_t *flat = json_loads(n->hdr.json, 0, NULL);
	json_t *entry;

	if (!flat)
		onm_abort("views: canonical JSON of network %s does not parse", n->hdr.id);
	entry = json_pack("{s:s, s:s, s:I, s:s, s:I, s:O, s:O}", "tenant", n->tenant, "name",
			  n->name, "vni", (json_int_t)n->vni, "class", c->name, "class_id",
			  (json_int_t)class_id, "subnets", json_object_get(flat, "subnets"),
			  "security_groups", json_object_get(flat, "security_groups"));
	json_decref(flat);
	if (!entry)
		onm_abort("views: cannot build the entry of network %s", n->hdr.id);
	return entry;
}

/* An interface of a router entry; the optional keys only when set, so
 * that the entries of routers without them are unchanged. */
static json_t *interface_entry(const struct router *r, const struct router_interface *ifc,
			       const struct network *n)
{
	const struct subnet *s = subnet_find(n, ifc->subnet);
	struct eth_addr mac;
	json_t *entry;

	views_router_mac(r->hdr.id, ifc->name, &mac);
	/* The model guarantees the subnet exists. */
	entry = json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", ifc->name, "subnet", ifc->subnet,
			  "ip", ip_json(ifc->ip), "mac", mac_json(&mac), "cidr",
			  s ? prefix_json(&s->cidr) : json_null());
	if (ifc->shutdown)
		json_object_set_new(entry, "shutdown", json_true());
	if (ifc->shape_bps)
		json_object_set_new(entry, "shape_bps", json_integer((json_int_t)ifc->shape_bps));
	if (ifc->acl_in)
		json_object_set_new(entry, "acl_in", json_string(ifc->acl_in));
	if (ifc->acl_out)
		json_object_set_new(entry, "acl_out", json_string(ifc->acl_out));
	return entry;
}

/* "acls": {"NAME": [{"action", "proto", "src", "dst", ["port"]}, ...]}
 * with src and dst always as prefixes, for the agents' matchers. */
static json_t *acls_entry(const struct router *r)
{
	json_t *acls = json_object();

	for (size_t i = 0; i < r->n_acls; i++) {
		const struct router_acl *acl = &r->acls[i];
		json_t *rules = json_array();

		for (size_t j = 0; j < acl->n_rules; j++) {
			const struct acl_rule *rule = &acl->rules[j];
			json_t *e = json_pack(
			    "{s:s, s:s, s:o, s:o}", "action", codec_acl_action_name(rule->action),
			    "proto", codec_acl_proto_name(rule->proto), "src",
			    prefix_json(&rule->src), "dst", prefix_json(&rule->dst));

			if (rule->port)
				json_object_set_new(e, "port", json_integer(rule->port));
			json_array_append_new(rules, e);
		}
		json_object_set_new(acls, acl->name, rules);
	}
	return acls;
}

static json_t *router_entry(const struct router *r, const struct network *n)
{
	json_t *ifaces = json_array(), *routes = json_array(), *entry;

	for (size_t i = 0; i < r->n_interfaces; i++)
		json_array_append_new(ifaces, interface_entry(r, &r->interfaces[i], n));
	for (size_t i = 0; i < r->n_routes; i++)
		json_array_append_new(routes, json_pack("{s:o, s:o}", "prefix",
							prefix_json(&r->routes[i].prefix), "via",
							ip_json(r->routes[i].via)));
	entry = json_pack("{s:s, s:s, s:s, s:o, s:o}", "tenant", r->tenant, "network", r->network,
			  "name", r->name, "interfaces", ifaces, "routes", routes);
	if (r->n_redirects) {
		json_t *redirects = json_array();

		for (size_t i = 0; i < r->n_redirects; i++)
			json_array_append_new(redirects,
					      json_pack("{s:o, s:o}", "from",
							ip_json(r->redirects[i].from), "to",
							ip_json(r->redirects[i].to)));
		json_object_set_new(entry, "redirects", redirects);
	}
	if (r->n_acls)
		json_object_set_new(entry, "acls", acls_entry(r));
	return entry;
}

static json_t *instance_entry(const struct instance *in, const struct host *h)
{
	json_t *groups = json_array();

	for (size_t i = 0; i < in->n_security_groups; i++)
		json_array_append_new(groups, json_string(in->security_groups[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:i, s:o}", "tenant", in->tenant,
			 "network", in->network, "name", in->name, "subnet", in->subnet, "ip",
			 ip_json(in->ip), "mac", mac_json(&in->mac), "host", in->host, "host_id",
			 (int)h->id, "security_groups", groups);
}

/* Building a context. */

/* The entry of link 'l' at host 'self', whose peer is 'peer'. */
static json_t *link_entry(const struct link *l, const struct host *peer)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:o, s:b, s:b, s:i, s:i}", "a", l->a, "b", l->b,
			 "peer", peer->name, "peer_id", (int)peer->id, "peer_address",
			 ip_json(peer->address), "admin_up", !l->down, "probe", !peer->kernel_vtep,
			 "probe_interval_ms", VIEWS_PROBE_INTERVAL_MS, "detect_multiplier",
			 VIEWS_PROBE_DETECT_MULT);
}

static void ctx_add_hosts(struct views_ctx *ctx, const struct model *model)
{
	struct model_object **objs = model_list(model, MODEL_HOST, &ctx->n_hosts);

	ctx->hosts = xcalloc(ctx->n_hosts ? ctx->n_hosts : 1, sizeof *ctx->hosts);
	for (size_t i = 0; i < ctx->n_hosts; i++) {
		ctx->hosts[i].host = CONTAINER_OF(objs[i], const struct host, hdr);
		ctx->hosts[i].entry = host_entry(ctx->hosts[i].host);
		ctx->hosts[i].links = json_object();
	}
	free(objs);

	size_t n_links;
	objs = model_list(model, MODEL_LINK, &n_links);
	for (size_t i = 0; i < n_links; i++) {
		const struct link *l = CONTAINER_OF(objs[i], const struct link, hdr);
		size_t a = host_index(ctx, l->a), b = host_index(ctx, l->b);
		char *key;

		if (a == SIZE_MAX || b == SIZE_MAX)
			continue;
		key = xasprintf("link/%s", l->hdr.id);
		json_object_set_new(ctx->hosts[a].links, key, link_entry(l, ctx->hosts[b].host));
		json_object_set_new(ctx->hosts[b].links, key, link_entry(l, ctx->hosts[a].host));
		free(key);
	}
	free(objs);
}

static void ctx_add_classes(struct views_ctx *ctx)
{
	ctx->n_classes = rm_n_classes(ctx->rm);
	if (ctx->n_classes > VIEWS_MAX_CLASSES)
		ctx->n_classes = VIEWS_MAX_CLASSES;
	ctx->classes = xcalloc(ctx->n_classes ? ctx->n_classes : 1, sizeof *ctx->classes);
	for (size_t i = 0; i < ctx->n_classes; i++) {
		const char *via = rm_class_via(ctx->rm, i);

		ctx->classes[i].name = rm_class_name(ctx->rm, i);
		ctx->classes[i].entry =
		    json_pack("{s:s, s:I, s:i}", "name", ctx->classes[i].name, "id",
			      (json_int_t)i, "dscp", (int)rm_class_dscp(ctx->rm, i));
		if (via)
			json_object_set_new(ctx->classes[i].entry, "via_capability",
					    json_string(via));
	}
}

static void ctx_add_networks(struct views_ctx *ctx, const struct model *model)
{
	struct model_object **objs = model_list(model, MODEL_NETWORK, &ctx->n_nets);

	ctx->nets = xcalloc(ctx->n_nets ? ctx->n_nets : 1, sizeof *ctx->nets);
	for (size_t i = 0; i < ctx->n_nets; i++) {
		struct vnet *vn = &ctx->nets[i];

		vn->net = CONTAINER_OF(objs[i], const struct network, hdr);
		vn->class_idx = rm_network_class(ctx->rm, vn->net->hdr.id);
		if (vn->class_idx < ctx->n_classes)
			vn->entry =
			    network_entry(vn->net, &ctx->classes[vn->class_idx], vn->class_idx);
		vn->routers = json_object();
		vn->instances = json_object();
	}
	free(objs);
}

static void ctx_add_routers(struct views_ctx *ctx, const struct model *model)
{
	size_t n;
	struct model_object **objs = model_list(model, MODEL_ROUTER, &n);

	for (size_t i = 0; i < n; i++) {
		const struct router *r = CONTAINER_OF(objs[i], const struct router, hdr);
		struct vnet *vn = net_find(ctx, r->tenant, r->network);
		char *key;

		if (!vn)
			continue;
		key = xasprintf("router/%s", r->hdr.id);
		json_object_set_new(vn->routers, key, router_entry(r, vn->net));
		free(key);
	}
	free(objs);
}

static void ctx_add_instances(struct views_ctx *ctx, const struct model *model)
{
	size_t n;
	struct model_object **objs = model_list(model, MODEL_INSTANCE, &n);

	for (size_t i = 0; i < n; i++) {
		const struct instance *in = CONTAINER_OF(objs[i], const struct instance, hdr);
		struct vnet *vn = net_find(ctx, in->tenant, in->network);
		size_t h = host_index(ctx, in->host);
		struct vhost *vh;
		char *key;

		if (!vn || h == SIZE_MAX)
			continue;
		key = xasprintf("instance/%s", in->hdr.id);
		json_object_set_new(vn->instances, key, instance_entry(in, ctx->hosts[h].host));
		free(key);

		vn->insts = xgrow(vn->insts, &vn->alloc_insts, vn->n_insts + 1, sizeof *vn->insts);
		vn->inst_host = xrealloc(vn->inst_host, vn->alloc_insts * sizeof *vn->inst_host);
		vn->insts[vn->n_insts] = in;
		vn->inst_host[vn->n_insts++] = h;

		/* Ids sort the instances of one network together, so a host
		 * meets each network in one run: checking the last suffices. */
		vh = &ctx->hosts[h];
		if (!vh->n_nets || vh->nets[vh->n_nets - 1] != vn) {
			vh->nets =
			    xgrow(vh->nets, &vh->alloc_nets, vh->n_nets + 1, sizeof *vh->nets);
			vh->nets[vh->n_nets++] = vn;
		}
	}
	free(objs);
}

/* Indexes 'model' for computing views (see views.h). */
struct views_ctx *views_ctx_create(const struct model *model, const struct route_manager *rm)
{
	struct views_ctx *ctx = xzalloc(sizeof *ctx);

	ctx->rm = rm;
	ctx_add_hosts(ctx, model);
	ctx_add_classes(ctx);
	ctx_add_networks(ctx, model);
	ctx_add_routers(ctx, model);
	ctx_add_instances(ctx, model);
	return ctx;
}

void views_ctx_destroy(struct views_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->n_hosts; i++) {
		json_decref(ctx->hosts[i].links);
		free(ctx->hosts[i].nets);
		json_decref(ctx->hosts[i].entry);
	}
	free(ctx->hosts);
	for (size_t i = 0; i < ctx->n_classes; i++)
		json_decref(ctx->classes[i].entry);
	free(ctx->classes);
	for (size_t i = 0; i < ctx->n_nets; i++) {
		json_decref(ctx->nets[i].entry);
		json_decref(ctx->nets[i].routers);
		json_decref(ctx->nets[i].instances);
		free(ctx->nets[i].insts);
		free(ctx->nets[i].inst_host);
	}
	free(ctx->nets);
	rm_destroy(ctx->own_rm);
	free(ctx);
}

/* Forwarding: the Route Manager's entries for one host. */

struct fwd_put {
	const struct views_ctx *ctx;
	json_t *view;
};

static json_t *hops_json(const struct views_ctx *ctx, const uint32_t *hops, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct host *h = ctx->hosts[hops[i]].host;

		json_array_append_new(list, json_pack("{s:s, s:o}", "name", h->name, "address",
						      ip_json(h->address)));
	}
	return list;
}

static void put_fwd_entry(size_t c, size_t d, const uint32_t *next, size_t n_next,
			  const uint32_t *pre, size_t n_pre, void *fp_)
{
	struct fwd_put *fp = fp_;
	const struct views_ctx *ctx = fp->ctx;
	const char *class_name;
	const struct host *dst;
	json_t *entry;
	char *key;

	if (c >= ctx->n_classes)
		return;
	class_name = ctx->classes[c].name;
	dst = ctx->hosts[d].host;
	entry = json_pack("{s:s, s:I, s:s, s:i, s:o}", "class", class_name, "class_id",
			  (json_int_t)c, "dst", dst->name, "dst_id", (int)dst->id, "next_hops",
			  hops_json(ctx, next, n_next));
	if (pre)
		json_object_set_new(entry, "pre_waypoint", hops_json(ctx, pre, n_pre));
	key = xasprintf("fwd/%s/%s", class_name, dst->name);
	json_object_set_new(fp->view, key, entry);
	free(key);
}

/* Views. */

static void put_network(const struct vnet *vn, size_t self, json_t *view)
{
	char *key = xasprintf("network/%s", vn->net->hdr.id);

	json_object_set(view, key, vn->entry);
	free(key);
	json_object_update(view, vn->routers);
	json_object_update(view, vn->instances);

	/* The instances on this host get their port: a copy of the shared
	 * value with one more key. */
	for (size_t i = 0; i < vn->n_insts; i++) {
		const struct instance *in = vn->insts[i];
		char port[IFNAMSIZ];
		json_t *value;

		if (vn->inst_host[i] != self)
			continue;
		key = xasprintf("instance/%s", in->hdr.id);
		value = json_copy(json_object_get(vn->instances, key));
		port_name(in->hdr.id, port);
		json_object_set_new(value, "port", json_string(port));
		json_object_set_new(view, key, value);
		free(key);
	}
}

/* Host 'host''s view from 'ctx' (see views.h). */
json_t *views_ctx_compute(const struct views_ctx *ctx, const char *host)
{
	size_t self = host_index(ctx, host);
	const struct host *h;
	json_t *view;

	if (self == SIZE_MAX)
		return NULL;
	h = ctx->hosts[self].host;
	view = json_object();
	json_t *caps = json_array();

	for (size_t i = 0; i < h->n_capabilities; i++)
		json_array_append_new(caps, json_string(h->capabilities[i]));
	json_object_set_new(view, "self",
			    json_pack("{s:s, s:i, s:o, s:o}", "name", h->name, "id", (int)h->id,
				      "address", ip_json(h->address), "capabilities", caps));
	json_object_update(view, ctx->hosts[self].links);
	for (size_t i = 0; i < ctx->n_hosts; i++) {
		char *key = xasprintf("host/%s", ctx->hosts[i].host->name);

		json_object_set(view, key, ctx->hosts[i].entry);
		free(key);
	}
	for (size_t i = 0; i < ctx->n_classes; i++) {
		char *key = xasprintf("class/%s", ctx->classes[i].name);

		json_object_set(view, key, ctx->classes[i].entry);
		free(key);
	}
	rm_host_entries(ctx->rm, self, put_fwd_entry, &(struct fwd_put){ctx, view});
	for (size_t i = 0; i < ctx->hosts[self].n_nets; i++) {
		const struct vnet *vn = ctx->hosts[self].nets[i];

		if (vn->entry)
			put_network(vn, self, view);
	}
	return view;
}

/* One view without keeping a context (see views.h). */
json_t *views_compute(const struct model *model, const char *host)
{
	struct route_manager *rm = rm_create();
	struct views_ctx *ctx;
	json_t *view;

	rm_sync(rm, model);
	ctx = views_ctx_create(model, rm);
	ctx->own_rm = rm;
	view = views_ctx_compute(ctx, host);

	views_ctx_destroy(ctx);
	return view;
}

static int compare_strings(const void *a_, const void *b_)
{
	const char *const *a = a_, *const *b = b_;

	return strcmp(*a, *b);
}

/* Differences between two views (see views.h). */
bool views_diff(const json_t *old, const json_t *new, json_t **putp, json_t **delp)
{
	json_t *put = json_object(), *del = json_array();
	const char **gone = NULL;
	size_t n_gone = 0, alloc_gone = 0;
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)new, key, value)
	{
		json_t *before = old ? json_object_get(old, key) : NULL;

		if (!before || !json_equal(before, value))
			json_object_set(put, key, value);
	}
	json_object_foreach((json_t *)old, key, value)
	{
		if (!new || !json_object_get(new, key)) {
			gone = xgrow(gone, &alloc_gone, n_gone + 1, sizeof *gone);
			gone[n_gone++] = key;
		}
	}
	if (n_gone)
		qsort(gone, n_gone, sizeof *gone, compare_strings);
	for (size_t i = 0; i < n_gone; i++)
		json_array_append_new(del, json_string(gone[i]));
	free(gone);
	*putp = put;
	*delp = del;
	return json_object_size(put) || json_array_size(del);
}

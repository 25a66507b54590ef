// SPDX-License-Identifier: Apache-2.0
/*
 * The Route Manager (see routing.h).
 *
 * Hosts are numbered in name order, links in id order, classes (service
 * levels) in name order — the same numbering views.c uses. Each class has
 * its own graph: the substrate itself, or for a waypoint class the
 * two-layer graph (node u is host u not yet inspected, node n + u host u
 * inspected; substrate link j is links j and n_links + j; the k-th capable
 * host's layers are joined by link 2 * n_links + k). Each class keeps a
 * weight per arc and a tree per destination in use.
 *
 * A link's state combines the model (attributes, admin state) and the
 * probes of the agents at both ends: it is up unless admin down or either
 * end's probe says down; its latency and loss are the measured ones once
 * measured (latency averaged over both ends, loss the worse), else the
 * configured ones. Measured latency replaces the one in use only when it
 * moved by more than a fifth (and 200 us), so that probe jitter does not
 * recompute trees every second.
 */
#include "routing.h"

#include "onm/ds.h"
#include "onm/log.h"
#include "onm/spf.h"
#include "onm/util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#undef LOG_MODULE
#define LOG_MODULE "routing"

/* Latency moves smaller than this share (1/N) or this many microseconds
 * do not replace the latency in use. */
#define LATENCY_HYSTERESIS_DIV 5
#define LATENCY_HYSTERESIS_MIN_US 200

/* What crossing a link of an avoided host adds to its metric: more than
 * any path of real links weighs (2^40 per link is already over 12 days of
 * latency at the largest weight), so a path crosses an avoided host only
 * when no other path exists. */
#define AVOID_PENALTY (UINT64_C(1) << 52)

/* DSCP values never given to a network's own class: 0 is plain VXLAN
 * (no class), CS6 and CS7 are network control (our BFD probes). */
static bool dscp_reserved(unsigned int d)
{
	return d == 0 || d == 48 || d == 56;
}

/* One end's probe report. */
struct probe_report {
	bool valid;
	bool up;
	int64_t latency_us; /* -1: none */
	int64_t loss_ppm;   /* -1: none */
};

struct rm_link {
	char *id;		   /* "A/B" */
	uint32_t a, b;		   /* host indexes */
	struct spf_link cfg;	   /* configured attributes; 'up' = admin state */
	struct spf_link cur;	   /* in use: the state trees are computed on */
	struct probe_report ends[2]; /* from a's agent and from b's */
};

/* Per host, a network's wish about crossing it. */
enum host_pref { PREF_NONE, PREF_PREFER, PREF_AVOID };

/* An explicit path of a network's own class. */
struct rm_vn_path {
	uint32_t *hosts; /* host indexes: from, via..., to */
	size_t n_hosts;
	size_t *links;	 /* per consecutive pair: link index, SIZE_MAX when none */
	char *conflict;	 /* why it is never applied (another path, a waypoint), or NULL */
};

struct rm_class {
	const struct service_level *sl; /* its service level (a network's class: its base's) */
	char *name;
	bool layered;		 /* a waypoint class */
	struct spf_cost cost;	 /* 'excluded_*' point into the arrays below */
	bool *excluded_nodes;	 /* per graph node */
	bool *excluded_links;	 /* per graph link */
	struct spf_graph *graph; /* the substrate, or its two layers */
	uint64_t *weights;	 /* per arc of 'graph' */
	struct spf_work *work;	 /* scratch space its trees share */
	struct spf_tree **trees; /* per destination host: NULL when not in use */
	bool in_use;
	uint8_t dscp; /* on the wire */
	/* A network's own class (routing.h); net_id NULL for a service level. */
	char *net_id;		   /* "T/N" */
	const struct vn_routing *routing; /* the network's, refreshed with the model */
	size_t base;		   /* the class it derives from */
	char *policy;		   /* what it was built from, to notice changes */
	uint8_t *host_pref;	   /* per host, enum host_pref */
	struct rm_vn_path *paths;
	size_t n_paths;
};

struct rm_tenant {
	char *name;
	size_t level;	   /* class of its service level, SIZE_MAX if unknown */
	size_t fallback;   /* class when the quota is used up, SIZE_MAX: none */
	size_t quarantine; /* the quarantine class, SIZE_MAX: none */
	bool quarantined;
	uint64_t quota; /* bytes, 0: none */
	uint64_t usage; /* bytes */
	bool exhausted;
};

struct route_manager {
	const struct model *model;
	char *shape; /* what a rebuild depends on, to notice changes */
	/* Hosts in name order: the model's objects, and their names (our own
	 * copies: the model the objects belong to may be gone when the next
	 * one arrives). */
	const struct host **hosts;
	char **host_names;
	size_t n_hosts;
	bool *capable_scratch;
	struct rm_link *links; /* in id order */
	size_t n_links;
	struct rm_class *classes; /* service levels in name order, then the
				   * networks' own classes in network order */
	size_t n_classes;
	size_t n_levels;
	struct rm_tenant *tenants; /* in name order */
	size_t n_tenants;
	/* Metrics. */
	uint64_t n_rebuilds, n_trees_full, n_trees_updated, n_trees_skipped, n_link_changes,
	    n_entries_pushed, n_class_moves;
	uint64_t n_work; /* nodes evaluated and arcs scanned by incremental updates */
};

/* Names. */

static size_t host_index(const struct route_manager *rm, const char *name)
{
	size_t lo = 0, hi = rm->n_hosts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, rm->host_names[mid]);

		if (!c)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return SIZE_MAX;
}

static size_t class_index(const struct route_manager *rm, const char *name)
{
	for (size_t i = 0; name && i < rm->n_classes; i++)
		if (!strcmp(rm->classes[i].name, name))
			return i;
	return SIZE_MAX;
}

static struct rm_link *link_find(const struct route_manager *rm, const char *id)
{
	size_t lo = 0, hi = rm->n_links;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, rm->links[mid].id);

		if (!c)
			return &rm->links[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static struct rm_tenant *tenant_find(const struct route_manager *rm, const char *name)
{
	size_t lo = 0, hi = rm->n_tenants;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, rm->tenants[mid].name);

		if (!c)
			return &rm->tenants[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool host_has_capability(const struct host *h, const char *cap)
{
	for (size_t i = 0; cap && i < h->n_capabilities; i++)
		if (!strcmp(h->capabilities[i], cap))
			return true;
	return false;
}

/* Cost functions. */

/* The class's cost function: its service level's, for a network's own
 * class with the weights multiplied by the network's coefficients (in
 * thousandths: all weights scale by 1000 alike, the order of paths stays). */
static struct spf_cost class_cost(const struct rm_class *rc)
{
	const struct service_level *sl = rc->sl;
	struct spf_cost c = {
	    .w_latency = sl->w_latency,
	    .w_cost = sl->w_cost,
	    .w_hops = sl->w_hops,
	    .w_loss = sl->w_loss,
	    .min_bandwidth_bps = sl->min_bandwidth_bps,
	};

	if (rc->routing) {
		const uint32_t *k = rc->routing->coef_milli;

		c.w_latency *= k[SL_ATTR_LATENCY];
		c.w_cost *= k[SL_ATTR_COST];
		c.w_hops *= k[SL_ATTR_HOPS];
		c.w_loss *= k[SL_ATTR_LOSS];
	}
	return c;
}

/* A network's wishes about the hosts at the ends of a link. */
static uint64_t prefs_adjust(const struct route_manager *rm, const struct rm_class *c,
			     const struct spf_link *l, uint64_t w)
{
	uint8_t pa, pb;

	if (!c->host_pref || w == SPF_INF)
		return w;
	pa = c->host_pref[l->a % rm->n_hosts];
	pb = c->host_pref[l->b % rm->n_hosts];
	if (pa == PREF_AVOID || pb == PREF_AVOID)
		return w > SPF_INF - 1 - AVOID_PENALTY ? SPF_INF - 1 : w + AVOID_PENALTY;
	if (pa == PREF_PREFER || pb == PREF_PREFER)
		return w > 1 ? w / 2 : 1;
	return w;
}

/* Graph links of substrate link j in class 'c''s graph: one, or two for a
 * layered graph. */
static size_t class_graph_links(const struct route_manager *rm, const struct rm_class *c, size_t j,
				uint32_t out[2])
{
	out[0] = (uint32_t)j;
	if (!c->layered)
		return 1;
	out[1] = (uint32_t)(rm->n_links + j);
	return 2;
}

/* Recomputes the weights of the two arcs of graph link 'gl'. */
static void class_link_weights(const struct route_manager *rm, struct rm_class *c, uint32_t gl)
{
	const struct spf_graph *g = c->graph;
	const struct spf_link *l = &g->links[gl];

	for (uint32_t a = g->first[l->a]; a < g->first[l->a + 1]; a++) {
		if (g->link_of[a] != gl)
			continue;
		bool pruned = !l->up ||
			      (c->cost.min_bandwidth_bps && l->bandwidth_bps &&
			       l->bandwidth_bps < c->cost.min_bandwidth_bps) ||
			      c->excluded_links[gl] || c->excluded_nodes[l->a] ||
			      c->excluded_nodes[l->b];
		uint64_t w = pruned ? SPF_INF : prefs_adjust(rm, c, l, spf_link_metric(l, &c->cost));

		c->weights[a] = w;
		c->weights[g->rev[a]] = w;
		return;
	}
}

static void class_free_trees(struct route_manager *rm, struct rm_class *c)
{
	for (size_t d = 0; c->trees && d < rm->n_hosts; d++) {
		if (c->trees[d]) {
			spf_tree_uninit(c->trees[d]);
			free(c->trees[d]);
		}
	}
	free(c->trees);
	c->trees = NULL;
}

static void class_destroy(struct route_manager *rm, struct rm_class *c)
{
	for (size_t i = 0; i < c->n_paths; i++) {
		free(c->paths[i].hosts);
		free(c->paths[i].links);
		free(c->paths[i].conflict);
	}
	free(c->paths);
	free(c->host_pref);
	free(c->policy);
	free(c->net_id);
	class_free_trees(rm, c);
	spf_work_destroy(c->work);
	spf_graph_destroy(c->graph);
	free(c->weights);
	free(c->excluded_nodes);
	free(c->excluded_links);
	free(c->name);
}

/* The graph node a tree towards host 'dst' is computed to. */
static uint32_t tree_root(const struct route_manager *rm, const struct rm_class *c, size_t dst)
{
	return (uint32_t)(c->layered ? rm->n_hosts + dst : dst);
}

static void tree_compute(struct route_manager *rm, struct rm_class *c, size_t dst)
{
	if (spf_tree_compute(c->trees[dst], c->graph, c->weights, tree_root(rm, c, dst)))
		onm_abort("routing: tree of %s towards %s does not fit its graph", c->name,
			  rm->host_names[dst]);
	spf_tree_trim(c->trees[dst]);
	rm->n_trees_full++;
}

/* Builds class 'c''s graph and weights from the current links. */
static void class_build(struct route_manager *rm, struct rm_class *c)
{
	size_t n = rm->n_hosts, nl = rm->n_links;
	size_t n_nodes = c->layered ? 2 * n : n;
	size_t n_glinks = c->layered ? 2 * nl + n : nl;
	struct spf_link *gl = xcalloc(n_glinks ? n_glinks : 1, sizeof *gl);
	bool *no_transit = xcalloc(n_nodes ? n_nodes : 1, sizeof *no_transit);
	size_t k = 0;

	c->excluded_nodes = xcalloc(n_nodes ? n_nodes : 1, sizeof *c->excluded_nodes);
	c->excluded_links = xcalloc(n_glinks ? n_glinks : 1, sizeof *c->excluded_links);
	for (size_t i = 0; i < n; i++) {
		bool excluded = false;

		for (size_t x = 0; x < c->sl->n_exclude_hosts; x++)
			if (!strcmp(c->sl->exclude_hosts[x], rm->hosts[i]->name))
				excluded = true;
		no_transit[i] = rm->hosts[i]->kernel_vtep;
		c->excluded_nodes[i] = excluded;
		if (c->layered) {
			no_transit[n + i] = rm->hosts[i]->kernel_vtep;
			c->excluded_nodes[n + i] = excluded;
		}
	}
	for (size_t j = 0; j < nl; j++) {
		bool excluded = false;

		for (size_t x = 0; x < c->sl->n_exclude_links; x++)
			if (!strcmp(c->sl->exclude_links[x], rm->links[j].id))
				excluded = true;
		gl[j] = rm->links[j].cur;
		c->excluded_links[j] = excluded;
		if (c->layered) {
			gl[nl + j] = rm->links[j].cur;
			gl[nl + j].a += (uint32_t)n;
			gl[nl + j].b += (uint32_t)n;
			c->excluded_links[nl + j] = excluded;
		}
	}
	if (c->layered) {
		/* Passing the waypoint: free but for the minimum weight of 1,
		 * the same on every path that passes one. */
		for (size_t i = 0; i < n; i++)
			if (host_has_capability(rm->hosts[i], c->sl->via_capability))
				gl[2 * nl + k++] = (struct spf_link){
				    .a = (uint32_t)i, .b = (uint32_t)(n + i), .up = true};
		n_glinks = 2 * nl + k;
	}
	if (spf_graph_create((uint32_t)n_nodes, gl, n_glinks, no_transit, &c->graph))
		onm_abort("routing: the graph of class %s cannot be built", c->name);
	c->cost = class_cost(c);
	c->cost.excluded_nodes = c->excluded_nodes;
	c->cost.excluded_links = c->excluded_links;
	c->weights = xmalloc((c->graph->n_arcs ? c->graph->n_arcs : 1) * sizeof *c->weights);
	spf_weights_compute(c->graph, &c->cost, c->weights);
	if (c->host_pref)
		for (uint32_t j = 0; j < c->graph->n_links; j++)
			class_link_weights(rm, c, j);
	c->trees = xcalloc(n ? n : 1, sizeof *c->trees);
	c->work = spf_work_create(c->graph->n_nodes);
	free(gl);
	free(no_transit);
}

/* The shape: what, when it changes, needs a rebuild. */
static char *shape_of(const struct model *model)
{
	struct ds s;
	size_t n;
	struct model_object **objs;

	ds_init(&s);
	objs = model_list(model, MODEL_HOST, &n);
	for (size_t i = 0; i < n; i++)
		ds_put_format(&s, "%s\n", objs[i]->json);
	free(objs);
	objs = model_list(model, MODEL_LINK, &n);
	for (size_t i = 0; i < n; i++)
		ds_put_format(&s, "%s\n", objs[i]->id);
	free(objs);
	objs = model_list(model, MODEL_SERVICE_LEVEL, &n);
	for (size_t i = 0; i < n; i++) {
		const struct service_level *sl = CONTAINER_OF(objs[i], struct service_level, hdr);

		ds_put_format(&s, "%s %s\n", objs[i]->id, sl->builtin ? "builtin" : objs[i]->json);
	}
	free(objs);
	return ds_steal_cstr(&s);
}

static void rm_clear(struct route_manager *rm)
{
	for (size_t i = 0; i < rm->n_classes; i++)
		class_destroy(rm, &rm->classes[i]);
	free(rm->classes);
	rm->classes = NULL;
	rm->n_classes = 0;
	rm->n_levels = 0;
	for (size_t i = 0; i < rm->n_links; i++)
		free(rm->links[i].id);
	free(rm->links);
	rm->links = NULL;
	rm->n_links = 0;
	for (size_t i = 0; i < rm->n_hosts; i++)
		free(rm->host_names[i]);
	free(rm->host_names);
	rm->host_names = NULL;
	free(rm->hosts);
	rm->hosts = NULL;
	rm->n_hosts = 0;
}

static struct spf_link link_config(const struct route_manager *rm, const struct link *l)
{
	return (struct spf_link){
	    .a = (uint32_t)host_index(rm, l->a),
	    .b = (uint32_t)host_index(rm, l->b),
	    .latency_us = l->latency_us,
	    .bandwidth_bps = l->bandwidth_bps,
	    .cost = l->cost,
	    .loss_ppm = l->loss_ppm,
	    .up = !l->down,
	};
}

/* What link 'l' is in use as, from its configuration and reports. */
static struct spf_link link_effective(const struct rm_link *l)
{
	struct spf_link e = l->cfg;
	int64_t lat_sum = 0, loss = -1;
	int n_lat = 0;

	for (int i = 0; i < 2; i++) {
		const struct probe_report *r = &l->ends[i];

		if (!r->valid)
			continue;
		if (!r->up)
			e.up = false;
		if (r->latency_us >= 0) {
			lat_sum += r->latency_us;
			n_lat++;
		}
		if (r->loss_ppm > loss)
			loss = r->loss_ppm;
	}
	if (n_lat) {
		uint64_t m = (uint64_t)(lat_sum / n_lat), cur = l->cur.latency_us;
		uint64_t diff = m > cur ? m - cur : cur - m;
		uint64_t band = cur / LATENCY_HYSTERESIS_DIV;

		if (band < LATENCY_HYSTERESIS_MIN_US)
			band = LATENCY_HYSTERESIS_MIN_US;
		e.latency_us = diff > band ? m : cur;
	}
	if (loss >= 0)
		e.loss_ppm = (uint32_t)loss;
	return e;
}

static void rebuild(struct route_manager *rm, const struct model *model)
{
	struct model_object **objs;
	size_t n;

	rm_clear(rm);
	rm->n_rebuilds++;
	objs = model_list(model, MODEL_HOST, &rm->n_hosts);
	rm->hosts = xcalloc(rm->n_hosts ? rm->n_hosts : 1, sizeof *rm->hosts);
	rm->host_names = xcalloc(rm->n_hosts ? rm->n_hosts : 1, sizeof *rm->host_names);
	for (size_t i = 0; i < rm->n_hosts; i++) {
		rm->hosts[i] = CONTAINER_OF(objs[i], const struct host, hdr);
		rm->host_names[i] = xstrdup(rm->hosts[i]->name);
	}
	free(objs);

	objs = model_list(model, MODEL_LINK, &n);
	rm->links = xcalloc(n ? n : 1, sizeof *rm->links);
	for (size_t i = 0; i < n; i++) {
		const struct link *l = CONTAINER_OF(objs[i], const struct link, hdr);
		struct rm_link *rl = &rm->links[rm->n_links];

		rl->cfg = link_config(rm, l);
		if (rl->cfg.a == UINT32_MAX || rl->cfg.b == UINT32_MAX)
			continue; /* the model forbids it */
		rl->id = xstrdup(l->hdr.id);
		rl->a = rl->cfg.a;
		rl->b = rl->cfg.b;
		rl->cur = rl->cfg;
		rm->n_links++;
	}
	free(objs);

	objs = model_list(model, MODEL_SERVICE_LEVEL, &rm->n_classes);
	rm->classes = xcalloc(rm->n_classes ? rm->n_classes : 1, sizeof *rm->classes);
	for (size_t i = 0; i < rm->n_classes; i++) {
		struct rm_class *c = &rm->classes[i];

		c->sl = CONTAINER_OF(objs[i], const struct service_level, hdr);
		c->name = xstrdup(c->sl->name);
		c->layered = c->sl->via_capability != NULL;
		c->dscp = c->sl->dscp;
		c->base = i;
		class_build(rm, c);
	}
	rm->n_levels = rm->n_classes;
	free(objs);
}

/* Model objects move on every change: refresh the pointers that do not
 * change the shape. */
static void refresh_pointers(struct route_manager *rm, const struct model *model)
{
	for (size_t i = 0; i < rm->n_hosts; i++)
		rm->hosts[i] = CONTAINER_OF(model_find(model, MODEL_HOST, rm->host_names[i]),
					    const struct host, hdr);
	for (size_t i = 0; i < rm->n_levels; i++)
		rm->classes[i].sl = CONTAINER_OF(
		    model_find(model, MODEL_SERVICE_LEVEL, rm->classes[i].name),
		    const struct service_level, hdr);
	for (size_t i = rm->n_levels; i < rm->n_classes; i++) {
		struct rm_class *c = &rm->classes[i];

		const struct model_object *o = model_find(model, MODEL_NETWORK, c->net_id);

		/* A network gone loses its class in derived_sync(), next. */
		c->sl = rm->classes[c->base].sl;
		c->routing = o ? &CONTAINER_OF(o, const struct network, hdr)->routing : NULL;
	}
}

/* Incremental updates. */

/* Applies link j's state 'e' to every class: updates its weights and the
 * trees the change can affect. Returns true if a tree changed. */
static bool link_apply(struct route_manager *rm, size_t j, struct spf_link e)
{
	struct rm_link *l = &rm->links[j];
	struct spf_delta delta;
	bool changed = false;

	if (!memcmp(&e, &l->cur, sizeof e))
		return false;
	spf_delta_init(&delta);
	l->cur = e;
	rm->n_link_changes++;
	for (size_t ci = 0; ci < rm->n_classes; ci++) {
		struct rm_class *c = &rm->classes[ci];
		uint32_t gls[2];
		size_t ng = class_graph_links(rm, c, j, gls);

		/* An explicit path over the link may become (in)applicable. */
		for (size_t p = 0; c->in_use && p < c->n_paths; p++)
			for (size_t k = 0; k + 1 < c->paths[p].n_hosts; k++)
				changed |= c->paths[p].links[k] == j;

		for (size_t k = 0; k < ng; k++) {
			uint32_t gl = gls[k];
			struct spf_link *g = &c->graph->links[gl];
			uint32_t ga = g->a, gb = g->b;
			uint64_t old = SPF_INF;

			for (uint32_t a = c->graph->first[ga]; a < c->graph->first[ga + 1]; a++)
				if (c->graph->link_of[a] == gl)
					old = c->weights[a];
			*g = e;
			g->a = ga;
			g->b = gb;
			class_link_weights(rm, c, gl);
			for (size_t d = 0; c->trees && d < rm->n_hosts; d++) {
				struct spf_tree *t = c->trees[d];

				if (!t)
					continue;
				if (!spf_tree_may_change(t, c->graph, c->weights, gl, old)) {
					rm->n_trees_skipped++;
					continue;
				}
				if (spf_tree_update_link(t, c->graph, c->weights, gl, old, &delta))
					onm_abort("routing: incremental update failed");
				rm->n_trees_updated++;
				rm->n_work += delta.nodes + delta.arcs;
				if (delta.n_changed)
					changed = true;
			}
		}
	}
	spf_delta_uninit(&delta);
	return changed;
}

/* Tenants and the trees in use. */

static void tenants_sync(struct route_manager *rm, const struct model *model)
{
	struct model_object **objs;
	size_t n;
	struct rm_tenant *old = rm->tenants;
	size_t n_old = rm->n_tenants;

	objs = model_list(model, MODEL_TENANT, &n);
	rm->tenants = xcalloc(n ? n : 1, sizeof *rm->tenants);
	rm->n_tenants = n;
	for (size_t i = 0; i < n; i++) {
		const struct tenant *t = CONTAINER_OF(objs[i], const struct tenant, hdr);
		struct rm_tenant *rt = &rm->tenants[i];

		rt->name = xstrdup(t->name);
		rt->level = class_index(rm, t->service_level);
		rt->fallback = class_index(rm, t->fallback);
		rt->quarantine = class_index(rm, RM_QUARANTINE_CLASS);
		rt->quarantined = t->quarantine;
		rt->quota = t->premium_quota;
		/* Usage survives model changes. */
		for (size_t k = 0; k < n_old; k++)
			if (!strcmp(old[k].name, rt->name))
				rt->usage = old[k].usage;
		rt->exhausted = rt->quota && rt->usage >= rt->quota;
		for (size_t k = 0; k < n_old; k++)
			if (!strcmp(old[k].name, rt->name) && old[k].exhausted && !rt->exhausted)
				LOG_INFO("tenant %s: premium quota available again (%" PRIu64
					 " of %" PRIu64 " bytes used)",
					 rt->name, rt->usage, rt->quota);
	}
	free(objs);
	for (size_t k = 0; k < n_old; k++)
		free(old[k].name);
	free(old);
}

static size_t tenant_class(const struct rm_tenant *t)
{
	if (t->quarantined && t->quarantine != SIZE_MAX)
		return t->quarantine;
	if (t->exhausted && t->fallback != SIZE_MAX)
		return t->fallback;
	return t->level;
}

/* Networks' own classes. */

static bool has_policy(const struct vn_routing *r)
{
	bool policy = r->n_paths || r->n_prefer_hosts || r->n_avoid_hosts;

	for (int a = 0; a < SL_N_ATTRS; a++)
		policy |= r->coef_milli[a] != VN_COEF_DEFAULT;
	return policy;
}

/* What a network's class is built from: its base class and its policy. */
static char *policy_text(const struct route_manager *rm, const struct network *n, size_t base)
{
	const struct vn_routing *r = &n->routing;
	struct ds s;

	ds_init(&s);
	ds_put_format(&s, "%s", rm->classes[base].name);
	for (int a = 0; a < SL_N_ATTRS; a++)
		ds_put_format(&s, " %" PRIu32, r->coef_milli[a]);
	for (size_t i = 0; i < r->n_paths; i++) {
		ds_put_format(&s, " path %s", r->paths[i].from);
		for (size_t k = 0; k < r->paths[i].n_via; k++)
			ds_put_format(&s, ",%s", r->paths[i].via[k]);
		ds_put_format(&s, ",%s", r->paths[i].to);
	}
	for (size_t i = 0; i < r->n_prefer_hosts; i++)
		ds_put_format(&s, " +%s", r->prefer_hosts[i]);
	for (size_t i = 0; i < r->n_avoid_hosts; i++)
		ds_put_format(&s, " -%s", r->avoid_hosts[i]);
	return ds_steal_cstr(&s);
}

static size_t link_index_between(const struct route_manager *rm, uint32_t a, uint32_t b)
{
	for (size_t j = 0; j < rm->n_links; j++)
		if ((rm->links[j].a == a && rm->links[j].b == b) ||
		    (rm->links[j].a == b && rm->links[j].b == a))
			return j;
	return SIZE_MAX;
}

/* The explicit paths of 'r' on class 'c': host and link indexes, and the
 * problems that never go away by themselves. */
static void class_paths_build(struct route_manager *rm, struct rm_class *c,
			      const struct vn_routing *r)
{
	c->paths = xcalloc(r->n_paths + 1, sizeof *c->paths);
	c->n_paths = r->n_paths;
	for (size_t i = 0; i < r->n_paths; i++) {
		const struct vn_path *vp = &r->paths[i];
		struct rm_vn_path *p = &c->paths[i];

		p->n_hosts = vp->n_via + 2;
		p->hosts = xmalloc(p->n_hosts * sizeof *p->hosts);
		p->links = xmalloc(p->n_hosts * sizeof *p->links);
		p->hosts[0] = (uint32_t)host_index(rm, vp->from);
		for (size_t k = 0; k < vp->n_via; k++)
			p->hosts[k + 1] = (uint32_t)host_index(rm, vp->via[k]);
		p->hosts[p->n_hosts - 1] = (uint32_t)host_index(rm, vp->to);
		for (size_t k = 0; k + 1 < p->n_hosts; k++)
			p->links[k] = link_index_between(rm, p->hosts[k], p->hosts[k + 1]);
		if (c->layered) {
			p->conflict = xasprintf("not applied while the network's class (%s) must "
						"pass a '%s' host",
						rm->classes[c->base].name, c->sl->via_capability);
			continue;
		}
		/* Forwarding is by destination: two paths to one host must
		 * agree wherever they meet. */
		for (size_t e = 0; e < i && !p->conflict; e++) {
			const struct rm_vn_path *q = &c->paths[e];

			if (q->conflict || q->hosts[q->n_hosts - 1] != p->hosts[p->n_hosts - 1])
				continue;
			for (size_t k = 0; k + 1 < p->n_hosts && !p->conflict; k++)
				for (size_t m = 0; m + 1 < q->n_hosts; m++)
					if (q->hosts[m] == p->hosts[k] &&
					    q->hosts[m + 1] != p->hosts[k + 1])
						p->conflict = xasprintf(
						    "disagrees at %s with path %s -> %s",
						    rm->host_names[p->hosts[k]],
						    rm->host_names[q->hosts[0]],
						    rm->host_names[q->hosts[q->n_hosts - 1]]);
		}
	}
}

/* The weight class 'c' gives graph link 'gl' (one direction). */
static uint64_t graph_link_weight(const struct rm_class *c, uint32_t gl)
{
	const struct spf_graph *g = c->graph;
	uint32_t a0 = g->links[gl].a;

	for (uint32_t a = g->first[a0]; a < g->first[a0 + 1]; a++)
		if (g->link_of[a] == gl)
			return c->weights[a];
	return SPF_INF;
}

/* Whether explicit path 'p' of class 'c' can be followed now; if not and
 * 'why' is given, an allocated reason. */
static bool path_usable(const struct route_manager *rm, const struct rm_class *c,
			const struct rm_vn_path *p, char **why)
{
	if (p->conflict) {
		if (why)
			*why = xstrdup(p->conflict);
		return false;
	}
	for (size_t k = 0; k + 1 < p->n_hosts; k++) {
		const char *a = rm->host_names[p->hosts[k]], *b = rm->host_names[p->hosts[k + 1]];
		size_t j = p->links[k];

		if (j == SIZE_MAX) {
			if (why)
				*why = xasprintf("no link between %s and %s", a, b);
			return false;
		}
		if (graph_link_weight(c, (uint32_t)j) == SPF_INF) {
			if (why)
				*why = rm->links[j].cur.up
					   ? xasprintf("link %s is excluded by class %s (bandwidth "
						       "or excluded hosts and links)",
						       rm->links[j].id, rm->classes[c->base].name)
					   : xasprintf("link %s is down", rm->links[j].id);
			return false;
		}
	}
	return true;
}

/* The next hop an explicit path fixes for host 'u' towards host 'dst' in
 * class 'c', or SIZE_MAX. */
static size_t forced_next(const struct route_manager *rm, const struct rm_class *c, size_t dst,
			  size_t u)
{
	for (size_t i = 0; i < c->n_paths; i++) {
		const struct rm_vn_path *p = &c->paths[i];

		if (p->hosts[p->n_hosts - 1] != dst)
			continue;
		for (size_t k = 0; k + 1 < p->n_hosts; k++)
			if (p->hosts[k] == u)
				return path_usable(rm, c, p, NULL) ? p->hosts[k + 1] : SIZE_MAX;
	}
	return SIZE_MAX;
}

/* A new class for network 'n' over class 'base'. */
static void derived_create(struct route_manager *rm, struct rm_class *c, const struct network *n,
			   size_t base, char *policy, uint8_t dscp)
{
	const struct vn_routing *r = &n->routing;

	memset(c, 0, sizeof *c);
	c->name = xasprintf("%s.%s", n->tenant, n->name);
	c->net_id = xstrdup(n->hdr.id);
	c->routing = r;
	c->base = base;
	c->sl = rm->classes[base].sl;
	c->layered = rm->classes[base].layered;
	c->policy = policy;
	c->dscp = dscp;
	if (r->n_prefer_hosts || r->n_avoid_hosts) {
		c->host_pref = xcalloc(rm->n_hosts + 1, sizeof *c->host_pref);
		for (size_t i = 0; i < r->n_prefer_hosts; i++)
			c->host_pref[host_index(rm, r->prefer_hosts[i])] = PREF_PREFER;
		for (size_t i = 0; i < r->n_avoid_hosts; i++)
			c->host_pref[host_index(rm, r->avoid_hosts[i])] = PREF_AVOID;
	}
	class_build(rm, c);
	class_paths_build(rm, c, r);
	LOG_INFO("network %s: own class %s over %s (DSCP %u)", c->net_id, c->name,
		 rm->classes[base].name, (unsigned int)dscp);
}

/* Brings the networks' own classes to the model: keeps those whose base
 * and policy are unchanged, builds new ones (keeping a network's DSCP),
 * drops the rest. */
static void derived_sync(struct route_manager *rm, const struct model *model)
{
	size_t n_nets, n_new = 0;
	struct model_object **objs = model_list(model, MODEL_NETWORK, &n_nets);
	struct rm_class *classes = xcalloc(rm->n_levels + n_nets + 1, sizeof *classes);
	size_t *old_of = xcalloc(n_nets + 1, sizeof *old_of);
	char **policies = xcalloc(n_nets + 1, sizeof *policies);
	bool used[SL_DSCP_MAX + 1] = {false};
	bool *kept = xcalloc(rm->n_classes + 1, sizeof *kept);

	memcpy(classes, rm->classes, rm->n_levels * sizeof *classes);
	for (size_t i = 0; i < rm->n_levels; i++)
		used[rm->classes[i].dscp & SL_DSCP_MAX] = true;
	/* Pass 1: which networks want a class, and the DSCPs they keep. */
	for (size_t i = 0; i < n_nets; i++) {
		const struct network *n = CONTAINER_OF(objs[i], const struct network, hdr);
		const struct rm_tenant *t = tenant_find(rm, n->tenant);
		size_t base = t ? tenant_class(t) : SIZE_MAX;

		old_of[i] = SIZE_MAX;
		if (base == SIZE_MAX || !has_policy(&n->routing))
			continue;
		policies[i] = policy_text(rm, n, base);
		for (size_t k = rm->n_levels; k < rm->n_classes; k++)
			if (!strcmp(rm->classes[k].net_id, n->hdr.id)) {
				old_of[i] = k;
				used[rm->classes[k].dscp] = true;
			}
	}
	/* Pass 2: keep, rebuild or create, in network order. */
	for (size_t i = 0; i < n_nets; i++) {
		const struct network *n = CONTAINER_OF(objs[i], const struct network, hdr);
		struct rm_class *c = &classes[rm->n_levels + n_new];
		size_t k = old_of[i];
		unsigned int dscp = k != SIZE_MAX ? rm->classes[k].dscp : 0;

		if (!policies[i])
			continue;
		if (k != SIZE_MAX && !strcmp(rm->classes[k].policy, policies[i])) {
			*c = rm->classes[k];
			kept[k] = true;
			free(policies[i]);
			n_new++;
			continue;
		}
		for (unsigned int d = 1; !dscp && d <= SL_DSCP_MAX; d++)
			if (!used[d] && !dscp_reserved(d))
				dscp = d;
		if (!dscp || rm->n_levels + n_new >= 256) {
			LOG_WARN("network %s: no DSCP value left for a class of its own; its "
				 "routing policy is not applied",
				 n->hdr.id);
			free(policies[i]);
			continue;
		}
		used[dscp] = true;
		derived_create(rm, c, n, tenant_class(tenant_find(rm, n->tenant)), policies[i],
			       (uint8_t)dscp);
		n_new++;
	}
	for (size_t k = rm->n_levels; k < rm->n_classes; k++)
		if (!kept[k])
			class_destroy(rm, &rm->classes[k]);
	free(rm->classes);
	rm->classes = classes;
	rm->n_classes = rm->n_levels + n_new;
	free(kept);
	free(policies);
	free(old_of);
	free(objs);
}

static size_t network_class(const struct route_manager *rm, const char *net_id,
			    const char *tenant)
{
	size_t lo = rm->n_levels, hi = rm->n_classes;
	const struct rm_tenant *t;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(net_id, rm->classes[mid].net_id);

		if (!c)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	t = tenant_find(rm, tenant);
	return t ? tenant_class(t) : SIZE_MAX;
}

/* Computes the trees now in use and drops the others. Returns true if the
 * set changed. */
static bool trees_sync(struct route_manager *rm, const struct model *model)
{
	size_t n_insts;
	struct model_object **objs = model_list(model, MODEL_INSTANCE, &n_insts);
	bool *want = xcalloc(rm->n_classes * rm->n_hosts + 1, sizeof *want);
	bool changed = false;

	for (size_t i = 0; i < n_insts; i++) {
		const struct instance *in = CONTAINER_OF(objs[i], const struct instance, hdr);
		char *net_id = xasprintf("%s/%s", in->tenant, in->network);
		size_t c = network_class(rm, net_id, in->tenant), h = host_index(rm, in->host);

		free(net_id);
		if (c != SIZE_MAX && h != SIZE_MAX)
			want[c * rm->n_hosts + h] = true;
	}
	free(objs);
	for (size_t ci = 0; ci < rm->n_classes; ci++) {
		struct rm_class *c = &rm->classes[ci];

		c->in_use = false;
		for (size_t d = 0; d < rm->n_hosts; d++) {
			bool w = want[ci * rm->n_hosts + d];

			c->in_use |= w;
			if (w && !c->trees[d]) {
				c->trees[d] = xmalloc(sizeof *c->trees[d]);
				spf_tree_init_shared(c->trees[d], c->graph->n_nodes, c->work);
				tree_compute(rm, c, d);
				changed = true;
			} else if (!w && c->trees[d]) {
				spf_tree_uninit(c->trees[d]);
				free(c->trees[d]);
				c->trees[d] = NULL;
				changed = true;
			}
		}
	}
	free(want);
	return changed;
}

/* The networks' own classes and the trees in use. Returns true if
 * forwarding may have changed. */
static bool classes_sync(struct route_manager *rm, const struct model *model)
{
	size_t n_before = rm->n_classes;
	bool changed;

	derived_sync(rm, model);
	changed = trees_sync(rm, model);
	return changed || n_before != rm->n_classes;
}

/* The interface. */

struct route_manager *rm_create(void)
{
	return xzalloc(sizeof(struct route_manager));
}

void rm_destroy(struct route_manager *rm)
{
	if (!rm)
		return;
	rm_clear(rm);
	for (size_t i = 0; i < rm->n_tenants; i++)
		free(rm->tenants[i].name);
	free(rm->tenants);
	free(rm->shape);
	free(rm);
}

bool rm_sync(struct route_manager *rm, const struct model *model)
{
	char *shape = shape_of(model);
	bool changed = false;

	if (!rm->shape || strcmp(shape, rm->shape)) {
		/* Probe reports survive a rebuild, by link id. */
		struct rm_link *old = rm->links;
		size_t n_old = rm->n_links;

		rm->links = NULL;
		rm->n_links = 0;
		rebuild(rm, model);
		for (size_t i = 0; i < n_old; i++) {
			struct rm_link *l = link_find(rm, old[i].id);

			if (l && l->a == old[i].a && l->b == old[i].b) {
				l->ends[0] = old[i].ends[0];
				l->ends[1] = old[i].ends[1];
			}
			free(old[i].id);
		}
		free(old);
		for (size_t j = 0; j < rm->n_links; j++)
			link_apply(rm, j, link_effective(&rm->links[j]));
		free(rm->shape);
		rm->shape = shape;
		changed = true;
	} else {
		free(shape);
		refresh_pointers(rm, model);
		for (size_t j = 0; j < rm->n_links; j++) {
			const struct model_object *o = model_find(model, MODEL_LINK, rm->links[j].id);

			rm->links[j].cfg = link_config(rm, CONTAINER_OF(o, const struct link, hdr));
			changed |= link_apply(rm, j, link_effective(&rm->links[j]));
		}
	}
	rm->model = model;
	tenants_sync(rm, model);
	changed |= classes_sync(rm, model);
	return changed;
}

bool rm_link_report(struct route_manager *rm, const char *link_id, const char *reporter, bool up,
		    int64_t latency_us, int64_t loss_ppm)
{
	struct rm_link *l = link_find(rm, link_id);
	size_t h = host_index(rm, reporter);
	int end;
	bool was_up;

	if (!l || h == SIZE_MAX || (h != l->a && h != l->b))
		return false;
	end = h == l->a ? 0 : 1;
	was_up = l->cur.up;
	l->ends[end] = (struct probe_report){
	    .valid = true, .up = up, .latency_us = latency_us, .loss_ppm = loss_ppm};
	bool changed = link_apply(rm, (size_t)(l - rm->links), link_effective(l));

	if (was_up != l->cur.up)
		LOG_INFO("link %s is %s (probe from %s)", l->id, l->cur.up ? "up" : "down",
			 reporter);
	return changed;
}

bool rm_reporter_gone(struct route_manager *rm, const char *reporter)
{
	size_t h = host_index(rm, reporter);
	bool changed = false;

	if (h == SIZE_MAX)
		return false;
	for (size_t j = 0; j < rm->n_links; j++) {
		struct rm_link *l = &rm->links[j];

		if (l->a != h && l->b != h)
			continue;
		l->ends[l->a == h ? 0 : 1].valid = false;
		changed |= link_apply(rm, j, link_effective(l));
	}
	return changed;
}

bool rm_tenant_add_usage(struct route_manager *rm, const char *tenant, uint64_t bytes)
{
	struct rm_tenant *t = tenant_find(rm, tenant);

	if (!t || !t->quota || tenant_class(t) != t->level)
		return false;
	t->usage += bytes;
	if (t->usage < t->quota || t->exhausted)
		return false;
	t->exhausted = true;
	rm->n_class_moves++;
	LOG_INFO("tenant %s: premium quota used up (%" PRIu64 " of %" PRIu64
		 " bytes): its networks take class %s",
		 t->name, t->usage, t->quota,
		 t->fallback != SIZE_MAX ? rm->classes[t->fallback].name : "(none)");
	if (rm->model)
		classes_sync(rm, rm->model);
	return true;
}

bool rm_tenant_set_usage(struct route_manager *rm, const char *tenant, uint64_t bytes)
{
	struct rm_tenant *t = tenant_find(rm, tenant);
	bool exhausted;

	if (!t)
		return false;
	t->usage = bytes;
	exhausted = t->quota && t->usage >= t->quota;
	if (exhausted == t->exhausted)
		return false;
	t->exhausted = exhausted;
	rm->n_class_moves++;
	LOG_INFO("tenant %s: %" PRIu64 " of %" PRIu64 " premium bytes used (restored): class %s",
		 t->name, t->usage, t->quota, rm->classes[tenant_class(t)].name);
	if (rm->model)
		classes_sync(rm, rm->model);
	return true;
}

json_t *rm_usage_json(const struct route_manager *rm)
{
	json_t *usage = json_object();

	for (size_t i = 0; i < rm->n_tenants; i++)
		if (rm->tenants[i].quota && rm->tenants[i].usage)
			json_object_set_new(usage, rm->tenants[i].name,
					    json_integer((json_int_t)rm->tenants[i].usage));
	return usage;
}

size_t rm_tenant_class(const struct route_manager *rm, const char *tenant)
{
	const struct rm_tenant *t = tenant_find(rm, tenant);

	return t ? tenant_class(t) : SIZE_MAX;
}

size_t rm_network_class(const struct route_manager *rm, const char *net_id)
{
	const char *slash = strchr(net_id, '/');
	char *tenant = slash ? xmemdup0(net_id, (size_t)(slash - net_id)) : xstrdup(net_id);
	size_t c = network_class(rm, net_id, tenant);

	free(tenant);
	return c;
}

size_t rm_n_classes(const struct route_manager *rm)
{
	return rm->n_classes;
}

const char *rm_class_name(const struct route_manager *rm, size_t i)
{
	return i < rm->n_classes ? rm->classes[i].name : NULL;
}

uint8_t rm_class_dscp(const struct route_manager *rm, size_t i)
{
	return i < rm->n_classes ? rm->classes[i].dscp : 0;
}

const char *rm_class_via(const struct route_manager *rm, size_t i)
{
	return i < rm->n_classes ? rm->classes[i].sl->via_capability : NULL;
}

/* Next hops of graph node 'u' in tree 't' as host indexes, skipping the
 * arc between a host's two layers. */
static size_t tree_hops(const struct route_manager *rm, const struct rm_class *c,
			const struct spf_tree *t, uint32_t u, uint32_t *out)
{
	size_t n = 0;

	for (unsigned int i = 0; i < spf_tree_n_next(t, u); i++) {
		uint32_t v = c->graph->head[spf_tree_next(t, u, i)];
		uint32_t host = (uint32_t)(v % rm->n_hosts);

		if (host != u % rm->n_hosts)
			out[n++] = host;
	}
	return n;
}

void rm_host_entries(const struct route_manager *rm, size_t u, rm_entry_cb *cb, void *aux)
{
	uint32_t next[SPF_MAX_ECMP], pre[SPF_MAX_ECMP];

	if (u >= rm->n_hosts)
		return;
	for (size_t ci = 0; ci < rm->n_classes; ci++) {
		const struct rm_class *c = &rm->classes[ci];
		bool capable = c->layered && host_has_capability(rm->hosts[u], c->sl->via_capability);

		for (size_t d = 0; c->in_use && d < rm->n_hosts; d++) {
			const struct spf_tree *t = c->trees[d];
			size_t n_next, n_pre = 0;

			if (!t)
				continue;
			n_next = tree_hops(rm, c, t, tree_root(rm, c, u), next);
			size_t f = c->n_paths ? forced_next(rm, c, d, u) : SIZE_MAX;

			if (f != SIZE_MAX) {
				next[0] = (uint32_t)f;
				n_next = 1;
			}
			if (c->layered && !capable)
				n_pre = tree_hops(rm, c, t, (uint32_t)u, pre);
			if (!n_next && !n_pre && (u == d || !c->layered || capable))
				continue;
			if (!n_next && !n_pre && !spf_tree_reachable(t, (uint32_t)u))
				continue;
			cb(ci, d, next, n_next, c->layered && !capable ? pre : NULL, n_pre, aux);
		}
	}
}

size_t rm_path(const struct route_manager *rm, size_t ci, size_t src, size_t dst, uint32_t **pathp,
	       uint64_t *latency_us)
{
	const struct rm_class *c;
	const struct spf_tree *t;
	uint32_t u, root;
	size_t n = 0, bound;
	uint32_t *path;

	*pathp = NULL;
	*latency_us = 0;
	if (ci >= rm->n_classes || src >= rm->n_hosts || dst >= rm->n_hosts)
		return 0;
	c = &rm->classes[ci];
	t = c->trees ? c->trees[dst] : NULL;
	if (!t)
		return 0;
	root = tree_root(rm, c, dst);
	u = (uint32_t)src;
	if (c->layered && host_has_capability(rm->hosts[src], c->sl->via_capability))
		u += (uint32_t)rm->n_hosts;
	if (!spf_tree_reachable(t, u))
		return 0;
	bound = c->graph->n_nodes + 1;
	path = xmalloc(bound * sizeof *path);
	path[n++] = (uint32_t)src;
	while (u != root && n < bound) {
		uint32_t arc, v;
		size_t f = c->n_paths ? forced_next(rm, c, dst, u) : SIZE_MAX;

		if (f != SIZE_MAX) {
			/* Only classes without a waypoint have paths applied:
			 * graph nodes are hosts. */
			*latency_us += rm->links[link_index_between(rm, u, (uint32_t)f)].cur.latency_us;
			path[n++] = (uint32_t)f;
			u = (uint32_t)f;
			continue;
		}
		if (!spf_tree_n_next(t, u))
			break;
		arc = spf_tree_next(t, u, 0);
		v = c->graph->head[arc];
		if (v % rm->n_hosts != u % rm->n_hosts) {
			*latency_us += c->graph->links[c->graph->link_of[arc]].latency_us;
			path[n++] = (uint32_t)(v % rm->n_hosts);
		}
		u = v;
	}
	if (u != root) {
		free(path);
		*latency_us = 0;
		return 0;
	}
	*pathp = path;
	return n;
}

bool rm_link_between(const struct route_manager *rm, size_t a, size_t b, uint64_t *latency_us,
		     bool *up)
{
	for (size_t j = 0; j < rm->n_links; j++) {
		const struct rm_link *l = &rm->links[j];

		if ((l->a == a && l->b == b) || (l->a == b && l->b == a)) {
			*latency_us = l->cur.latency_us;
			*up = l->cur.up;
			return true;
		}
	}
	return false;
}

static json_t *report_json(const struct probe_report *r)
{
	if (!r->valid)
		return json_null();
	return json_pack("{s:s, s:o, s:o}", "state", r->up ? "up" : "down", "latency_us",
			 r->latency_us >= 0 ? json_integer(r->latency_us) : json_null(),
			 "loss_ppm", r->loss_ppm >= 0 ? json_integer(r->loss_ppm) : json_null());
}

json_t *rm_links_json(const struct route_manager *rm)
{
	json_t *items = json_array();

	for (size_t j = 0; j < rm->n_links; j++) {
		const struct rm_link *l = &rm->links[j];

		json_array_append_new(
		    items,
		    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o}", "id", l->id, "admin",
			      l->cfg.up ? "up" : "down", "oper", l->cur.up ? "up" : "down",
			      "latency_us", (json_int_t)l->cur.latency_us, "configured_latency_us",
			      (json_int_t)l->cfg.latency_us, "loss_ppm", (json_int_t)l->cur.loss_ppm,
			      rm->hosts[l->a]->name, report_json(&l->ends[0]),
			      rm->hosts[l->b]->name, report_json(&l->ends[1])));
	}
	return items;
}

json_t *rm_tenant_status_json(const struct route_manager *rm, const char *tenant)
{
	const struct rm_tenant *t = tenant_find(rm, tenant);
	size_t c;

	if (!t)
		return json_null();
	c = tenant_class(t);
	return json_pack("{s:o, s:b, s:o, s:I, s:b}", "class",
			 c != SIZE_MAX ? json_string(rm->classes[c].name) : json_null(),
			 "quarantine", t->quarantined, "premium_quota",
			 t->quota ? json_integer((json_int_t)t->quota) : json_null(),
			 "premium_used", (json_int_t)t->usage, "quota_exhausted", t->exhausted);
}

void rm_count_pushed(struct route_manager *rm, uint64_t n)
{
	rm->n_entries_pushed += n;
}

void rm_metrics_render(const struct route_manager *rm, struct ds *out)
{
	size_t n_trees = 0;

	for (size_t ci = 0; ci < rm->n_classes; ci++)
		for (size_t d = 0; rm->classes[ci].trees && d < rm->n_hosts; d++)
			n_trees += rm->classes[ci].trees[d] != NULL;
	ds_put_format(
	    out,
	    "# HELP onm_routing_trees Shortest-path trees held, one per (class, destination) in "
	    "use.\n"
	    "# TYPE onm_routing_trees gauge\n"
	    "onm_routing_trees %zu\n"
	    "# HELP onm_routing_rebuilds_total Full rebuilds (the substrate's shape or the "
	    "service levels changed).\n"
	    "# TYPE onm_routing_rebuilds_total counter\n"
	    "onm_routing_rebuilds_total %" PRIu64 "\n"
	    "# HELP onm_routing_trees_computed_total Trees computed from scratch.\n"
	    "# TYPE onm_routing_trees_computed_total counter\n"
	    "onm_routing_trees_computed_total %" PRIu64 "\n"
	    "# HELP onm_routing_trees_updated_total Trees updated incrementally after a link "
	    "change.\n"
	    "# TYPE onm_routing_trees_updated_total counter\n"
	    "onm_routing_trees_updated_total %" PRIu64 "\n"
	    "# HELP onm_routing_update_work_total Nodes evaluated and arcs scanned by "
	    "incremental updates.\n"
	    "# TYPE onm_routing_update_work_total counter\n"
	    "onm_routing_update_work_total %" PRIu64 "\n"
	    "# HELP onm_routing_trees_skipped_total Trees a link change could not affect.\n"
	    "# TYPE onm_routing_trees_skipped_total counter\n"
	    "onm_routing_trees_skipped_total %" PRIu64 "\n"
	    "# HELP onm_routing_link_changes_total Link state or attribute changes applied.\n"
	    "# TYPE onm_routing_link_changes_total counter\n"
	    "onm_routing_link_changes_total %" PRIu64 "\n"
	    "# HELP onm_routing_entries_pushed_total Forwarding entries sent to agents (put or "
	    "deleted).\n"
	    "# TYPE onm_routing_entries_pushed_total counter\n"
	    "onm_routing_entries_pushed_total %" PRIu64 "\n"
	    "# HELP onm_routing_class_moves_total Tenants moved to or from their fallback "
	    "class by their quota.\n"
	    "# TYPE onm_routing_class_moves_total counter\n"
	    "onm_routing_class_moves_total %" PRIu64 "\n",
	    n_trees, rm->n_rebuilds, rm->n_trees_full, rm->n_trees_updated, rm->n_work,
	    rm->n_trees_skipped,
	    rm->n_link_changes, rm->n_entries_pushed, rm->n_class_moves);
}

/* What `onm route show` prints. */

static void add_route_rows(json_t *rows, const struct network *net, const struct router *r)
{
	char buf[IPV4_PREFIX_STRLEN], via[IPV4_ADDR_STRLEN];

	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct router_interface *ifc = &r->interfaces[i];

		for (size_t s = 0; s < net->n_subnets; s++) {
			if (strcmp(net->subnets[s].name, ifc->subnet))
				continue;
			ipv4_prefix_format(&net->subnets[s].cidr, buf);
			json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s}", "router",
							      r->name, "type", "connected",
							      "prefix", buf, "interface",
							      ifc->name));
		}
	}
	for (size_t i = 0; i < r->n_routes; i++) {
		ipv4_prefix_format(&r->routes[i].prefix, buf);
		ipv4_format(r->routes[i].via, via);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s}", "router", r->name,
						      "type", "static", "prefix", buf, "via", via));
	}
}

/* The "policy" object of rm_network_json(): what of network 'net''s
 * routing policy applies now, and why not the rest. */
static json_t *policy_json(const struct route_manager *rm, const struct network *net, size_t ci)
{
	const struct rm_class *c = ci < rm->n_classes ? &rm->classes[ci] : NULL;
	const struct vn_routing *r = &net->routing;
	json_t *problems = json_array(), *paths = json_array();

	if (!c || !c->net_id) {
		json_array_append_new(problems, json_string(ci == SIZE_MAX
			? "the tenant has no service level"
			: "no DSCP value left for a class of its own: not applied"));
		c = NULL;
	}
	for (size_t i = 0; i < r->n_paths; i++) {
		const struct vn_path *vp = &r->paths[i];
		json_t *hosts = json_array();
		char *why = NULL;
		bool ok = c && path_usable(rm, c, &c->paths[i], &why);

		json_array_append_new(hosts, json_string(vp->from));
		for (size_t k = 0; k < vp->n_via; k++)
			json_array_append_new(hosts, json_string(vp->via[k]));
		json_array_append_new(hosts, json_string(vp->to));
		if (why) {
			json_array_append_new(problems, json_sprintf("path %s -> %s: %s", vp->from,
								     vp->to, why));
		}
		json_array_append_new(paths, json_pack("{s:s, s:s, s:o, s:b, s:o}", "from", vp->from,
						       "to", vp->to, "hosts", hosts, "applied", ok,
						       "problem", why ? json_string(why) : json_null()));
		free(why);
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "class", c ? json_string(c->name) : json_null(),
			 "base", c ? json_string(rm->classes[c->base].name) : json_null(),
			 "problems", problems, "paths", paths);
}

json_t *rm_network_json(const struct route_manager *rm, const struct model *model,
			const char *net_id)
{
	const struct model_object *o = model_find(model, MODEL_NETWORK, net_id);
	const struct network *net;
	struct model_object **objs;
	json_t *routes = json_array(), *paths = json_array();
	bool *has = xcalloc(rm->n_hosts + 1, sizeof *has);
	size_t n, c;

	if (!o) {
		free(has);
		json_decref(routes);
		json_decref(paths);
		return NULL;
	}
	net = CONTAINER_OF(o, const struct network, hdr);
	objs = model_list(model, MODEL_ROUTER, &n);
	for (size_t i = 0; i < n; i++) {
		const struct router *r = CONTAINER_OF(objs[i], const struct router, hdr);

		if (!strcmp(r->tenant, net->tenant) && !strcmp(r->network, net->name))
			add_route_rows(routes, net, r);
	}
	free(objs);
	objs = model_list(model, MODEL_INSTANCE, &n);
	for (size_t i = 0; i < n; i++) {
		const struct instance *in = CONTAINER_OF(objs[i], const struct instance, hdr);
		size_t h = host_index(rm, in->host);

		if (h != SIZE_MAX && !strcmp(in->tenant, net->tenant) &&
		    !strcmp(in->network, net->name))
			has[h] = true;
	}
	free(objs);
	c = network_class(rm, net->hdr.id, net->tenant);
	for (size_t s = 0; c != SIZE_MAX && s < rm->n_hosts; s++) {
		for (size_t d = 0; has[s] && d < rm->n_hosts; d++) {
			uint32_t *path;
			uint64_t latency;
			size_t len;
			json_t *hosts;

			if (!has[d] || d == s)
				continue;
			hosts = json_array();
			len = rm_path(rm, c, s, d, &path, &latency);
			for (size_t k = 0; k < len; k++)
				json_array_append_new(hosts, json_string(rm->hosts[path[k]]->name));
			json_array_append_new(
			    paths, json_pack("{s:s, s:s, s:s, s:o, s:o}", "src",
					     rm->hosts[s]->name, "dst", rm->hosts[d]->name, "class",
					     rm->classes[c].name, "hosts", hosts, "latency_us",
					     len ? json_integer((json_int_t)latency) : json_null()));
			free(path);
		}
	}
	free(has);
	json_t *doc = json_pack("{s:s, s:I, s:o, s:o, s:o}", "network", net->hdr.id, "vni",
				(json_int_t)net->vni, "class",
				c != SIZE_MAX ? json_string(rm->classes[c].name) : json_null(),
				"routes", routes, "paths", paths);
	if (has_policy(&net->routing))
		json_object_set_new(doc, "policy", policy_json(rm, net, c));
	return doc;
}

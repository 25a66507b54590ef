// SPDX-License-Identifier: Apache-2.0
/*
 * Shortest-path trees (see onm/spf.h). The graph is stored as CSR arrays
 * built by a counting sort of the arcs on their tail. A tree is computed by
 * Dijkstra from the destination: popping node v relaxes every arc v->w as
 * the reversed arc w->v (same link, same weight), so each node
 * ends with its distance to the destination and the arcs it leaves by.
 * Because every usable arc weighs at least 1, a node's equal-cost next hops
 * are all finalized before the node itself, which makes its hop count (the
 * minimum over those next hops plus one) final when it is popped.
 *
 * The priority queue is a radix heap: Dijkstra's keys are integers that
 * never go below the last minimum, so 65 buckets by highest differing bit
 * replace comparisons and decrease-key (a better distance pushes a new
 * entry, the old one goes stale). Buckets keep their high-water size, so
 * after the first tree on a graph a computation allocates nothing. Measured
 * against a 4-ary heap with decrease-key on 10k/100k-node graphs it is about
 * 1.2x/1.7x faster (bench/bench-spf.c).
 */
#include "onm/spf.h"

#include "onm/model.h"
#include "onm/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int spf_graph_create(uint32_t n_nodes, const struct spf_link *links, size_t n_links,
		     const bool *no_transit, struct spf_graph **graphp)
{
	struct spf_graph *g;

	*graphp = NULL;
	if (n_nodes >= SPF_NONE || n_links > (SPF_NONE - 1) / 2)
		return -EINVAL;
	for (size_t i = 0; i < n_links; i++)
		if (links[i].a >= n_nodes || links[i].b >= n_nodes || links[i].a == links[i].b)
			return -EINVAL;

	g = xzalloc(sizeof *g);
	g->n_nodes = n_nodes;
	g->n_links = n_links;
	g->n_arcs = (uint32_t)(2 * n_links);
	g->first = xcalloc((size_t)n_nodes + 1, sizeof *g->first);
	g->head = xmalloc((g->n_arcs ? g->n_arcs : 1) * sizeof *g->head);
	g->rev = xmalloc((g->n_arcs ? g->n_arcs : 1) * sizeof *g->rev);
	g->link_of = xmalloc((g->n_arcs ? g->n_arcs : 1) * sizeof *g->link_of);
	g->links = xmalloc((n_links ? n_links : 1) * sizeof *g->links);
	if (n_links)
		memcpy(g->links, links, n_links * sizeof *links);
	g->no_transit = xcalloc(n_nodes ? n_nodes : 1, sizeof *g->no_transit);
	if (no_transit && n_nodes)
		memcpy(g->no_transit, no_transit, n_nodes * sizeof *no_transit);

	/* Counting sort of arcs on their tail; first[u + 1] counts first. */
	for (size_t i = 0; i < n_links; i++) {
		g->first[links[i].a + 1]++;
		g->first[links[i].b + 1]++;
	}
	for (uint32_t u = 0; u < n_nodes; u++)
		g->first[u + 1] += g->first[u];

	uint32_t *fill = xmalloc((n_nodes ? n_nodes : 1) * sizeof *fill);

	if (n_nodes)
		memcpy(fill, g->first, n_nodes * sizeof *fill);
	for (size_t i = 0; i < n_links; i++) {
		uint32_t ab = fill[links[i].a]++, ba = fill[links[i].b]++;

		g->head[ab] = links[i].b;
		g->head[ba] = links[i].a;
		g->rev[ab] = ba;
		g->rev[ba] = ab;
		g->link_of[ab] = g->link_of[ba] = (uint32_t)i;
	}
	free(fill);
	*graphp = g;
	return 0;
}

struct name_idx {
	const char *name;
	uint32_t idx;
};

static int name_idx_cmp(const void *a_, const void *b_)
{
	const struct name_idx *a = a_, *b = b_;

	return strcmp(a->name, b->name);
}

static int host_find(const struct name_idx *sorted, size_t n, const char *name, uint32_t *idx)
{
	struct name_idx key = {.name = name};
	const struct name_idx *found = bsearch(&key, sorted, n, sizeof *sorted, name_idx_cmp);

	if (!found)
		return -ENOENT;
	*idx = found->idx;
	return 0;
}

int spf_graph_from_model(const struct host *const *hosts, size_t n_hosts,
			 const struct link *const *links, size_t n_links, struct spf_graph **graphp)
{
	struct name_idx *names;
	struct spf_link *sl;
	bool *no_transit;
	int error = 0;

	*graphp = NULL;
	if (n_hosts >= SPF_NONE)
		return -EINVAL;
	names = xmalloc((n_hosts ? n_hosts : 1) * sizeof *names);
	no_transit = xmalloc((n_hosts ? n_hosts : 1) * sizeof *no_transit);
	sl = xmalloc((n_links ? n_links : 1) * sizeof *sl);
	for (size_t i = 0; i < n_hosts; i++) {
		names[i] = (struct name_idx){.name = hosts[i]->name, .idx = (uint32_t)i};
		no_transit[i] = hosts[i]->kernel_vtep;
	}
	qsort(names, n_hosts, sizeof *names, name_idx_cmp);
	for (size_t i = 1; i < n_hosts; i++)
		if (!strcmp(names[i - 1].name, names[i].name)) {
			error = -EINVAL;
			goto out;
		}
	for (size_t i = 0; i < n_links; i++) {
		const struct link *l = links[i];

		sl[i] = (struct spf_link){
		    .latency_us = l->latency_us,
		    .bandwidth_bps = l->bandwidth_bps,
		    .cost = l->cost,
		    .loss_ppm = l->loss_ppm,
		    .up = !l->down,
		};
		error = host_find(names, n_hosts, l->a, &sl[i].a);
		if (!error)
			error = host_find(names, n_hosts, l->b, &sl[i].b);
		if (error)
			goto out;
	}
	error = spf_graph_create((uint32_t)n_hosts, sl, n_links, no_transit, graphp);
out:
	free(sl);
	free(no_transit);
	free(names);
	return error;
}

void spf_graph_destroy(struct spf_graph *g)
{
	if (!g)
		return;
	free(g->first);
	free(g->head);
	free(g->rev);
	free(g->link_of);
	free(g->links);
	free(g->no_transit);
	free(g);
}

struct spf_cost spf_cost_latency(void)
{
	return (struct spf_cost){.w_latency = 1};
}

struct spf_cost spf_cost_cost(void)
{
	return (struct spf_cost){.w_cost = 1};
}

struct spf_cost spf_cost_hops(void)
{
	return (struct spf_cost){.w_hops = 1};
}

/* a * b + c, saturating at SPF_INF - 1 (SPF_INF means "pruned"). */
static uint64_t mul_add_sat(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t p, s;

	if (__builtin_mul_overflow(a, b, &p) || __builtin_add_overflow(p, c, &s) || s >= SPF_INF)
		return SPF_INF - 1;
	return s;
}

uint64_t spf_link_metric(const struct spf_link *l, const struct spf_cost *c)
{
	uint64_t m = c->w_hops;

	m = mul_add_sat(l->latency_us, c->w_latency, m);
	m = mul_add_sat(l->cost, c->w_cost, m);
	m = mul_add_sat(l->loss_ppm, c->w_loss, m);
	return m ? m : 1;
}

void spf_weights_compute(const struct spf_graph *g, const struct spf_cost *c, uint64_t *weights)
{
	for (uint32_t u = 0; u < g->n_nodes; u++)
		for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
			uint32_t li = g->link_of[a];
			const struct spf_link *l = &g->links[li];
			bool pruned = !l->up ||
				      (c->min_bandwidth_bps && l->bandwidth_bps &&
				       l->bandwidth_bps < c->min_bandwidth_bps) ||
				      (c->excluded_links && c->excluded_links[li]) ||
				      (c->excluded_nodes &&
				       (c->excluded_nodes[u] || c->excluded_nodes[g->head[a]]));

			weights[a] = pruned ? SPF_INF : spf_link_metric(l, c);
		}
}

/* Radix heap: monotone integer priority queue (Ahuja, Mehlhorn, Orlin,
 * Tarjan 1990). Every key in bucket i > 0 differs from 'last' (the last
 * extracted minimum) first in bit i - 1; bucket 0 holds keys equal to it. */
enum { N_BUCKETS = 65 };

struct spf_heap_entry {
	uint64_t key;
	uint32_t node;
};

struct radix_bucket {
	struct spf_heap_entry *e;
	uint32_t n, allocated;
};

struct spf_heap {
	uint64_t last;
	uint32_t size;
	struct radix_bucket b[N_BUCKETS];
};

static unsigned int bucket_of(uint64_t key, uint64_t last)
{
	return key == last ? 0 : 64 - (unsigned int)__builtin_clzll(key ^ last);
}

static void bucket_push(struct radix_bucket *b, uint64_t key, uint32_t node)
{
	if (b->n == b->allocated) {
		b->allocated = b->allocated ? 2 * b->allocated : 64;
		b->e = xrealloc(b->e, b->allocated * sizeof *b->e);
	}
	b->e[b->n++] = (struct spf_heap_entry){.key = key, .node = node};
}

static void heap_push(struct spf_heap *h, uint64_t key, uint32_t node)
{
	bucket_push(&h->b[bucket_of(key, h->last)], key, node);
	h->size++;
}

/* Pops an entry of minimum key into *e; false if the heap is empty.
 * Entries whose key is no longer their node's distance are stale: they may
 * be dropped while redistributing a bucket. */
static bool heap_pop(struct spf_heap *h, const struct spf_tree_node *nodes,
		     struct spf_heap_entry *e)
{
	while (!h->b[0].n) {
		unsigned int i = 1;
		struct radix_bucket *b;
		uint64_t min = SPF_INF;

		if (!h->size)
			return false;
		while (!h->b[i].n)
			i++;
		b = &h->b[i];
		for (uint32_t k = 0; k < b->n; k++)
			if (b->e[k].key < min)
				min = b->e[k].key;
		h->last = min;
		for (uint32_t k = 0; k < b->n; k++) {
			struct spf_heap_entry x = b->e[k];

			if (x.key != nodes[x.node].dist) {
				h->size--;
				continue;
			}
			bucket_push(&h->b[bucket_of(x.key, min)], x.key, x.node);
		}
		b->n = 0;
	}
	h->size--;
	*e = h->b[0].e[--h->b[0].n];
	return true;
}

void spf_tree_init(struct spf_tree *t, uint32_t n_nodes)
{
	size_t n = n_nodes ? n_nodes : 1;

	t->n_nodes = n_nodes;
	t->dst = SPF_NONE;
	t->nodes = xmalloc(n * sizeof *t->nodes);
	t->next = xmalloc(n * SPF_MAX_ECMP * sizeof *t->next);
	t->heap = xzalloc(sizeof *t->heap);
}

void spf_tree_uninit(struct spf_tree *t)
{
	if (!t)
		return;
	if (t->heap)
		for (unsigned int i = 0; i < N_BUCKETS; i++)
			free(t->heap->b[i].e);
	free(t->heap);
	free(t->nodes);
	free(t->next);
	memset(t, 0, sizeof *t);
}

int spf_tree_compute(struct spf_tree *t, const struct spf_graph *g, const uint64_t *weights,
		     uint32_t dst)
{
	struct spf_tree_node *nodes = t->nodes;
	struct spf_heap *h = t->heap;

	if (t->n_nodes != g->n_nodes || dst >= g->n_nodes)
		return -EINVAL;
	for (uint32_t u = 0; u < g->n_nodes; u++)
		nodes[u] = (struct spf_tree_node){
		    .dist = SPF_INF, .hops = SPF_NONE, .done = false, .n_next = 0};
	t->dst = dst;
	nodes[dst].dist = 0;
	nodes[dst].hops = 0;
	for (unsigned int i = 0; i < N_BUCKETS; i++)
		h->b[i].n = 0;
	h->size = 0;
	h->last = 0;
	heap_push(h, 0, dst);

	struct spf_heap_entry e;

	while (heap_pop(h, nodes, &e)) {
		uint32_t v = e.node;
		uint64_t dv = e.key;
		uint32_t hv;

		if (nodes[v].done || dv != nodes[v].dist)
			continue; /* stale */
		nodes[v].done = true;
		if (v != dst && g->no_transit[v])
			continue;
		hv = nodes[v].hops + 1;
		for (uint32_t a = g->first[v]; a < g->first[v + 1]; a++) {
			uint64_t wa = weights[a], nd; /* == weight of the reverse: undirected */
			uint32_t wi = g->head[a];
			struct spf_tree_node *w;

			if (wa == SPF_INF)
				continue;
			nd = dv + wa;
			if (nd < dv)
				nd = SPF_INF - 1; /* saturate */
			/* A finalized node has dist <= dv < nd: neither branch applies. */
			w = &nodes[wi];
			if (nd < w->dist) {
				w->dist = nd;
				w->hops = hv;
				w->n_next = 1;
				t->next[(size_t)wi * SPF_MAX_ECMP] = g->rev[a];
				heap_push(h, nd, wi);
			} else if (nd == w->dist) {
				if (w->n_next < SPF_MAX_ECMP)
					t->next[(size_t)wi * SPF_MAX_ECMP + w->n_next++] =
					    g->rev[a];
				if (hv < w->hops)
					w->hops = hv;
			}
		}
	}
	return 0;
}

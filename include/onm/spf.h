/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shortest-path trees over the substrate: the Route Manager's core.
 *
 * A 'struct spf_graph' is a compact adjacency structure (CSR) of fixed shape:
 * nodes are 0..n_nodes-1, every undirected link becomes two arcs, and the
 * arcs leaving node u are first[u]..first[u+1]-1. Each arc knows its head,
 * its link and its reverse arc. Links carry the attributes that cost
 * functions read (latency, bandwidth, monetary cost, loss, up/down). A node
 * may be marked "no transit" (a kernel VTEP): it can be a source or a
 * destination but no path passes through it. The shape never changes; the
 * attributes in 'links' (e.g. 'up') may be edited between weight
 * computations.
 *
 * A cost function is data ('struct spf_cost'): integer coefficients per
 * attribute plus constraints (minimum bandwidth, excluded hosts and links).
 * spf_weights_compute() turns it into one integer metric per arc, or
 * SPF_INF for a pruned arc (down, too narrow, excluded). Every usable arc
 * weighs at least 1, so that equal-cost next hops never form a loop.
 *
 * spf_tree_compute() runs Dijkstra from one destination over the reversed
 * arcs and gives, for every node, its distance to the destination, all its
 * equal-cost next hops (up to SPF_MAX_ECMP, as indices of arcs leaving the
 * node) and the fewest hops among its equal-cost paths. A 'struct spf_tree'
 * is a reusable workspace: after its first tree on a graph, computing
 * trees allocates nothing (its queue keeps its high-water size).
 *
 * Thread-safety: a graph and a weight array may be shared read-only by
 * several threads, each with its own tree.
 */
#ifndef ONM_SPF_H
#define ONM_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;
struct link;

#define SPF_INF UINT64_MAX
#define SPF_NONE UINT32_MAX
enum { SPF_MAX_ECMP = 8 };

/* One undirected substrate link between nodes 'a' and 'b'. */
struct spf_link {
	uint32_t a, b;
	uint64_t latency_us;
	uint64_t bandwidth_bps; /* 0 = not given (unlimited) */
	uint64_t cost;
	uint32_t loss_ppm;
	bool up;
};

struct spf_graph {
	uint32_t n_nodes;
	uint32_t n_arcs;	/* 2 * n_links */
	uint32_t *first;	/* n_nodes + 1 offsets into the arc arrays */
	uint32_t *head;		/* arc -> node it leads to */
	uint32_t *rev;		/* arc -> the opposite arc of the same link */
	uint32_t *link_of;	/* arc -> index into 'links' */
	struct spf_link *links; /* copy of the input links */
	size_t n_links;
	bool *no_transit; /* per node */
};

/* A cost function: metric(arc) = latency_us * w_latency + cost * w_cost +
 * w_hops + loss_ppm * w_loss (saturating, at least 1), over the arcs that
 * pass the constraints. */
struct spf_cost {
	uint64_t w_latency;
	uint64_t w_cost;
	uint64_t w_hops;
	uint64_t w_loss;
	uint64_t min_bandwidth_bps; /* 0 = none; links with bandwidth 0 always pass */
	const bool *excluded_nodes; /* n_nodes flags, or NULL */
	const bool *excluded_links; /* n_links flags, or NULL */
};

/* Per-node result and state of a tree, packed so that relaxing an arc
 * touches one cache line of the node. Read through the accessors below. */
struct spf_tree_node {
	uint64_t dist;	/* SPF_INF = unreachable */
	uint32_t hops;	/* SPF_NONE = unreachable */
	bool done;	/* workspace: finalized */
	uint8_t n_next; /* number of next hops (0 at dst and when unreachable) */
};

struct spf_heap;

struct spf_tree {
	uint32_t n_nodes; /* the size it was made for */
	uint32_t dst;	  /* of the last computation */
	struct spf_tree_node *nodes;
	uint32_t *next;	       /* node u's next hops: next[u * SPF_MAX_ECMP + i] (arcs) */
	struct spf_heap *heap; /* workspace: a radix heap (lib/spf.c) */
};

/* Builds a graph of 'n_nodes' nodes from 'links' (copied). 'no_transit' is
 * NULL or n_nodes flags. Returns 0 or -EINVAL (an endpoint out of range, a
 * self-loop, too many nodes or links) and then *graphp is NULL. */
int spf_graph_create(uint32_t n_nodes, const struct spf_link *links, size_t n_links,
		     const bool *no_transit, struct spf_graph **graphp)
    __attribute__((warn_unused_result));

/* Builds a graph from model hosts and links: node i is hosts[i], link j is
 * links[j] (arc link_of = j); link endpoints are found by host name, 'down'
 * links are not up and kernel VTEPs are no-transit. Returns 0, -ENOENT (a
 * link names an unknown host) or -EINVAL (as spf_graph_create(), or two
 * hosts with one name). */
int spf_graph_from_model(const struct host *const *hosts, size_t n_hosts,
			 const struct link *const *links, size_t n_links, struct spf_graph **graphp)
    __attribute__((warn_unused_result));

void spf_graph_destroy(struct spf_graph *);

/* The cost functions "minimize latency", "minimize cost" and "minimize hop
 * count" with no constraints. */
struct spf_cost spf_cost_latency(void);
struct spf_cost spf_cost_cost(void);
struct spf_cost spf_cost_hops(void);

/* The metric of one link under 'cost', ignoring constraints (>= 1). */
uint64_t spf_link_metric(const struct spf_link *, const struct spf_cost *);

/* Fills weights[arc] for every arc of 'graph' (n_arcs entries): the metric
 * of its link, or SPF_INF if the link is down, below min_bandwidth, excluded,
 * or touches an excluded node. */
void spf_weights_compute(const struct spf_graph *, const struct spf_cost *, uint64_t *weights);

/* Initializes 'tree' for graphs of 'n_nodes' nodes; spf_tree_uninit() frees. */
void spf_tree_init(struct spf_tree *, uint32_t n_nodes);
void spf_tree_uninit(struct spf_tree *);

/* Computes the shortest-path tree towards 'dst' with arc 'weights'. Links
 * are undirected: both arcs of a link must carry the same weight (as
 * spf_weights_compute() gives them), since reaching 'dst' over arc w->v is
 * read as the weight of v->w while scanning v's arcs.
 * Returns 0, or -EINVAL if 'dst' is out of range or 'tree' was sized for
 * another node count. Allocates nothing. */
int spf_tree_compute(struct spf_tree *, const struct spf_graph *, const uint64_t *weights,
		     uint32_t dst) __attribute__((warn_unused_result));

/* Results of the last spf_tree_compute() for node 'u' < n_nodes. */
static inline bool spf_tree_reachable(const struct spf_tree *tree, uint32_t u)
{
	return tree->nodes[u].dist != SPF_INF;
}

/* Distance (sum of arc weights) from 'u' to the destination, or SPF_INF. */
static inline uint64_t spf_tree_dist(const struct spf_tree *tree, uint32_t u)
{
	return tree->nodes[u].dist;
}

/* Fewest hops among u's equal-cost shortest paths, or SPF_NONE. */
static inline uint32_t spf_tree_hops(const struct spf_tree *tree, uint32_t u)
{
	return tree->nodes[u].hops;
}

/* Number of equal-cost next hops of 'u' (0..SPF_MAX_ECMP). */
static inline unsigned int spf_tree_n_next(const struct spf_tree *tree, uint32_t u)
{
	return tree->nodes[u].n_next;
}

/* The i-th next hop of 'u' as an arc leaving 'u' (its head is the next
 * node, its link_of the link). */
static inline uint32_t spf_tree_next(const struct spf_tree *tree, uint32_t u, unsigned int i)
{
	return tree->next[(size_t)u * SPF_MAX_ECMP + i];
}

#endif /* ONM_SPF_H */

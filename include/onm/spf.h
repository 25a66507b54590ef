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
 * node: the SPF_MAX_ECMP lowest arc indices when there are more) and the
 * fewest hops among its equal-cost paths (counted over all of them, beyond
 * the cap too).
 *
 * spf_tree_update_link() brings a computed tree up to date after the weight
 * of one link changed (down, up, heavier, lighter), touching only the nodes
 * whose distance, hop count or next hops change and their neighbours, and
 * reports the nodes whose next-hop set changed: the forwarding entries to
 * push. The result is exactly what spf_tree_compute() gives from scratch
 * (same distances, hops and next-hop sets) as long as no distance reaches
 * SPF_INF - 1 (metrics saturate there). spf_tree_may_change() is the O(1)
 * test that a link change can affect a tree at all.
 *
 * Storage: a tree keeps 16 bytes per node; a node with two or more next
 * hops also holds one slot of SPF_MAX_ECMP arcs (32 bytes) in the tree's
 * overflow pool. The scratch state of computations (the queue, marks) lives
 * in a 'struct spf_work' that many trees can share, so a Route Manager that
 * keeps thousands of trees pays for one workspace. A tree made with
 * spf_tree_init() owns its own workspace; after its first computations it
 * allocates only when its overflow pool or queue grows past their
 * high-water sizes.
 *
 * Thread-safety: a graph and a weight array may be shared read-only by
 * several threads, each with its own trees and workspace. Trees that share a
 * workspace must be computed and updated by one thread at a time.
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
/* Most nodes a graph may have: hop counts are stored in 28 bits. */
enum { SPF_MAX_NODES = (1 << 28) - 2 };

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
	uint32_t *link_arc;	/* link -> its arc from 'a' to 'b' (rev gives b -> a) */
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

/* Per-node result of a tree, 16 bytes so that relaxing an arc touches one
 * cache line of the node. Read through the accessors below. */
struct spf_tree_node {
	uint64_t dist;	 /* SPF_INF = unreachable */
	uint32_t hops_n; /* fewest hops << 4 | number of next hops (0 at dst, unreachable) */
	uint32_t next;	 /* 1 next hop: the arc; more: a slot of 'ecmp' */
};

struct spf_work;

struct spf_tree {
	uint32_t n_nodes; /* the size it was made for */
	uint32_t dst;	  /* of the last computation, SPF_NONE before */
	struct spf_tree_node *nodes;
	uint32_t *ecmp;	  /* overflow pool: slot s is ecmp[s * SPF_MAX_ECMP ...] */
	uint32_t n_slots; /* slots handed out (free ones included) */
	uint32_t allocated_slots;
	uint32_t free_slot;    /* first free slot (chained through its first arc), or SPF_NONE */
	struct spf_work *work; /* scratch state: own or shared */
	bool own_work;
};

/* What one spf_tree_update_link() did. Zero-initialize (or spf_delta_init())
 * before first use; each update overwrites it; spf_delta_uninit() frees. */
struct spf_delta {
	uint32_t *changed; /* nodes whose next-hop set changed, each once, any order */
	uint32_t n_changed;
	uint32_t allocated; /* of 'changed' */
	uint32_t n_dist;    /* nodes whose distance changed */
	uint64_t nodes;	    /* work: nodes evaluated */
	uint64_t arcs;	    /* work: arcs scanned */
};

/* Builds a graph of 'n_nodes' nodes from 'links' (copied). 'no_transit' is
 * NULL or n_nodes flags. Returns 0 or -EINVAL (an endpoint out of range, a
 * self-loop, more than SPF_MAX_NODES nodes, too many links) and then
 * *graphp is NULL. */
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

/* A workspace for trees of up to 'n_nodes' nodes, to share between trees
 * used by one thread. spf_work_destroy() accepts NULL; the trees that use a
 * workspace must be uninitialized or not used any more when it goes. */
struct spf_work *spf_work_create(uint32_t n_nodes);
void spf_work_destroy(struct spf_work *);

/* Initializes 'tree' for graphs of 'n_nodes' nodes with a workspace of its
 * own; spf_tree_uninit() frees. */
void spf_tree_init(struct spf_tree *, uint32_t n_nodes);
/* The same with the shared workspace 'work' (not owned; at least n_nodes). */
void spf_tree_init_shared(struct spf_tree *, uint32_t n_nodes, struct spf_work *work);
void spf_tree_uninit(struct spf_tree *);

/* Bytes held by 'tree' itself (nodes and overflow pool; not a workspace). */
size_t spf_tree_memory(const struct spf_tree *);

/* Gives back the spare room of the tree's overflow pool (it grows by
 * doubling): for a tree that is kept rather than recomputed. */
void spf_tree_trim(struct spf_tree *);

/* Computes the shortest-path tree towards 'dst' with arc 'weights'. Links
 * are undirected: both arcs of a link must carry the same weight (as
 * spf_weights_compute() gives them), since reaching 'dst' over arc w->v is
 * read as the weight of v->w while scanning v's arcs.
 * Returns 0, or -EINVAL if 'dst' is out of range or 'tree' was sized for
 * another node count (or its workspace for fewer nodes). Allocates only to
 * grow the overflow pool or the queue past their high-water sizes. */
int spf_tree_compute(struct spf_tree *, const struct spf_graph *, const uint64_t *weights,
		     uint32_t dst) __attribute__((warn_unused_result));

/* Whether changing the weight of 'link' from 'old_weight' to its weight in
 * 'weights' (both arcs) can change 'tree' at all: for a heavier (or pruned)
 * link, one of its arcs is a shortest-path arc of the tree; for a lighter
 * (or restored) one, it reaches an endpoint as cheaply as the tree does
 * now. False also for a tree never computed or an unchanged weight. O(1). */
bool spf_tree_may_change(const struct spf_tree *, const struct spf_graph *, const uint64_t *weights,
			 uint32_t link, uint64_t old_weight);

/* Updates 'tree', last computed or updated with weights equal to 'weights'
 * except on 'link' whose two arcs weighed 'old_weight', to the tree of
 * 'weights': the caller writes the new weight of both arcs into 'weights'
 * first, then calls this for every tree computed with that array, before
 * changing the array again. One link per call; several changed links are
 * as many calls, one after the other, each after its own weight write.
 * Fills 'delta' (its previous content is dropped): the nodes whose
 * next-hop set changed and the work done. Returns 0, or -EINVAL if the tree
 * was never computed, was sized for another graph, or 'link' is out of
 * range. Allocates only to grow 'delta', the tree's overflow pool or the
 * workspace. */
int spf_tree_update_link(struct spf_tree *, const struct spf_graph *, const uint64_t *weights,
			 uint32_t link, uint64_t old_weight, struct spf_delta *delta)
    __attribute__((warn_unused_result));

void spf_delta_init(struct spf_delta *);
void spf_delta_uninit(struct spf_delta *);

/* Results of the last spf_tree_compute() or update for node 'u' < n_nodes. */
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
	return tree->nodes[u].dist == SPF_INF ? SPF_NONE : tree->nodes[u].hops_n >> 4;
}

/* Number of equal-cost next hops of 'u' (0..SPF_MAX_ECMP). */
static inline unsigned int spf_tree_n_next(const struct spf_tree *tree, uint32_t u)
{
	return tree->nodes[u].hops_n & 0xf;
}

/* The i-th next hop of 'u' (i < spf_tree_n_next()) as an arc leaving 'u'
 * (its head is the next node, its link_of the link). The order of a node's
 * next hops means nothing and may change when the tree is updated. */
static inline uint32_t spf_tree_next(const struct spf_tree *tree, uint32_t u, unsigned int i)
{
	const struct spf_tree_node *x = &tree->nodes[u];

	return (x->hops_n & 0xf) == 1 ? x->next : tree->ecmp[(size_t)x->next * SPF_MAX_ECMP + i];
}

#endif /* ONM_SPF_H */

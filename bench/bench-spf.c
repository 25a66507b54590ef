// SPDX-License-Identifier: Apache-2.0
/*
 * Benchmark of the Route Manager's shortest-path core (lib/spf.c), issue 4.
 *
 * 1. One shortest-path tree on random sparse connected graphs of 10,000
 *    nodes / 40,000 links and 100,000 / 400,000 (a random spanning tree
 *    plus random extra links; latencies 100..20,000 us), minimizing
 *    latency: median of several runs towards random destinations, beside
 *    igraph's Dijkstra (igraph_distances_dijkstra, single source, all
 *    targets) on the same graph and weights in the same run when the bench
 *    was built with igraph. The distances of both are compared.
 * 2. All trees for 1,000 hosts x 4 classes (platinum, gold, silver, hops)
 *    on a 1,000-node / 4,000-link graph, and for 10,000 hosts x 4 classes
 *    on 10,000 / 40,000 (measured on a sample of destinations and scaled,
 *    which the output says). "entries" counts (node, tree) pairs with a
 *    next hop: the forwarding entries these trees give.
 * 3. Memory of all 4,000 trees of 1,000 hosts x 4 classes held at once
 *    (trimmed, one shared workspace), beside the former fixed layout.
 * 4. Incremental updates (issue 4 item 5) on the 10,000 / 40,000 graph,
 *    latency class: T = 1,000 trees are held (destinations spread evenly
 *    over the nodes; all 10,000 would hold 1.6 GB and take 10 s to build,
 *    and show the same per-tree effect), then K random links each go down
 *    and come back up. For each event: the time and work (nodes evaluated
 *    + arcs scanned, plus one per tree for the spf_tree_may_change()
 *    filter) of updating all held trees in place, beside a full recompute
 *    of all of them (measured once while building them: it does not
 *    depend on the link) and beside a full recompute of only the trees the
 *    filter keeps (work counted exactly; time = their number x the mean
 *    time of one tree). The first C links are checked: every updated tree
 *    and a sample of skipped ones must equal a tree computed from scratch.
 *    "changed" counts forwarding entries to push: (tree, node) pairs whose
 *    next-hop set changed.
 * Graphs depend only on their size; timings include no graph building.
 *
 * Output, one line per measurement, key=value:
 *   spf_tree nodes=N links=M runs=R onm_ms=X igraph_ms=Y ratio=Y/X mismatches=K
 *   spf_all hosts=N classes=4 trees=T measured_trees=S ms=X us_per_tree=Y entries=E
 *   spf_memory hosts=N classes=4 trees=T MB=X bytes_per_node=Y ... former_layout_MB=Z
 *   spf_update_setup nodes=N links=M class=latency trees=T bytes_per_tree=B ...
 *   spf_update event=down|up links=K trees_touched=X incr_us=... ratio_time_all=...
 *   spf_update_check events=E trees_compared=X mismatches=K
 * Usage: bench-spf [RUNS] (default 9 runs per single-tree median).
 */
#include "bench-spf-igraph.h"
#include "onm/spf.h"
#include "onm/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x5eed5eed5eedULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)(((rng_state * 2685821657736338717ULL) >> 32) % n);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a_, const void *b_)
{
	double a = *(const double *)a_, b = *(const double *)b_;

	return (a > b) - (a < b);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A random connected graph: node i > 0 links to a random earlier node (a
 * random tree, then shuffled by relabelling), then random extra links. */
static struct spf_graph *random_graph(uint32_t n, size_t m)
{
	struct spf_link *links = xmalloc(m * sizeof *links);
	uint32_t *label = xmalloc(n * sizeof *label);
	struct spf_graph *g;

	rng_state = 0x5eed5eed5eedULL ^ ((uint64_t)n << 32) ^ m; /* same graph every run */
	for (uint32_t i = 0; i < n; i++)
		label[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = rnd(i + 1), tmp = label[i];

		label[i] = label[j];
		label[j] = tmp;
	}
	for (size_t i = 0; i < m; i++) {
		uint32_t a, b;

		if (i + 1 < n) {
			a = label[i + 1];
			b = label[rnd((uint32_t)i + 1)];
		} else {
			a = rnd(n);
			do
				b = rnd(n);
			while (b == a);
		}
		links[i] = (struct spf_link){
		    .a = a,
		    .b = b,
		    .latency_us = 100 + rnd(19901),
		    .bandwidth_bps = (rnd(2) ? 1000000000ULL : 100000000ULL),
		    .cost = 1 + rnd(100),
		    .loss_ppm = rnd(100),
		    .up = true,
		};
	}
	if (spf_graph_create(n, links, m, NULL, &g))
		abort();
	free(links);
	free(label);
	return g;
}

static void bench_tree(uint32_t n, size_t m, int runs)
{
	struct spf_graph *g = random_graph(n, m);
	struct spf_cost c = spf_cost_latency();
	uint64_t *w = xmalloc(g->n_arcs * sizeof *w);
	double *t_onm = xmalloc(runs * sizeof *t_onm), *t_ig = xmalloc(runs * sizeof *t_ig);
	double *dist = xmalloc(n * sizeof *dist);
	struct bench_igraph *bi;
	struct spf_tree t;
	size_t mismatches = 0;

	spf_weights_compute(g, &c, w);
	spf_tree_init(&t, n);
	bi = bench_igraph_create(g, w);
	for (int r = 0; r < runs; r++) {
		uint32_t dst = rnd(n);
		double t0 = now_ms();

		if (spf_tree_compute(&t, g, w, dst))
			abort();
		t_onm[r] = now_ms() - t0;
		if (!bi)
			continue;
		t0 = now_ms();
		if (bench_igraph_dijkstra(bi, dst, dist))
			abort();
		t_ig[r] = now_ms() - t0;
		for (uint32_t v = 0; v < n; v++)
			mismatches +=
			    !(!spf_tree_reachable(&t, v) ? isinf(dist[v])
							 : (double)spf_tree_dist(&t, v) == dist[v]);
	}
	double onm = median(t_onm, runs);

	if (bi) {
		double ig = median(t_ig, runs);

		printf("spf_tree nodes=%u links=%zu runs=%d onm_ms=%.3f igraph_ms=%.3f ratio=%.2f "
		       "mismatches=%zu\n",
		       n, m, runs, onm, ig, ig / onm, mismatches);
	} else {
		printf("spf_tree nodes=%u links=%zu runs=%d onm_ms=%.3f igraph_ms=na ratio=na\n", n,
		       m, runs, onm);
	}
	bench_igraph_destroy(bi);
	spf_tree_uninit(&t);
	free(dist);
	free(t_onm);
	free(t_ig);
	free(w);
	spf_graph_destroy(g);
}

/* All (class, destination) trees for 'n' hosts; 'sample' destinations per
 * class when fewer than n (time scaled to n). */
static void bench_all(uint32_t n, size_t m, uint32_t sample)
{
	struct spf_graph *g = random_graph(n, m);
	struct spf_cost classes[4] = {spf_cost_latency(), spf_cost_latency(), spf_cost_cost(),
				      spf_cost_hops()};
	uint64_t *w = xmalloc(g->n_arcs * sizeof *w);
	uint64_t entries = 0;
	struct spf_tree t;
	uint32_t per_class = sample < n ? sample : n;
	double t0, ms;

	classes[0].min_bandwidth_bps = 500000000ULL; /* platinum */
	spf_tree_init(&t, n);
	t0 = now_ms();
	for (int k = 0; k < 4; k++) {
		spf_weights_compute(g, &classes[k], w);
		for (uint32_t i = 0; i < per_class; i++) {
			/* Spread sampled destinations over the node range. */
			uint32_t dst = (uint32_t)((uint64_t)i * n / per_class);

			if (spf_tree_compute(&t, g, w, dst))
				abort();
			for (uint32_t v = 0; v < n; v++)
				entries += spf_tree_n_next(&t, v) != 0;
		}
	}
	ms = now_ms() - t0;
	printf("spf_all hosts=%u links=%zu classes=4 trees=%u measured_trees=%u ms=%.1f "
	       "us_per_tree=%.1f entries=%llu scaled=%d\n",
	       n, m, 4 * n, 4 * per_class, ms * n / per_class, ms * 1e3 / (4 * per_class),
	       (unsigned long long)(entries * n / per_class), per_class < n);
	spf_tree_uninit(&t);
	free(w);
	spf_graph_destroy(g);
}

/* Memory of the Route Manager's trees for 'n' hosts: all (class,
 * destination) trees held at once, trimmed, sharing one workspace; beside
 * the 48 bytes per node of the former layout (16 + SPF_MAX_ECMP arcs). */
static void bench_memory(uint32_t n, size_t m)
{
	struct spf_graph *g = random_graph(n, m);
	struct spf_cost classes[4] = {spf_cost_latency(), spf_cost_latency(), spf_cost_cost(),
				      spf_cost_hops()};
	struct spf_tree *trees = xmalloc((size_t)n * sizeof *trees);
	struct spf_work *work = spf_work_create(n);
	uint64_t *w = xmalloc(g->n_arcs * sizeof *w);
	size_t per_class[4] = {0}, total = 0;

	classes[0].min_bandwidth_bps = 500000000ULL; /* platinum */
	for (int k = 0; k < 4; k++) {
		spf_weights_compute(g, &classes[k], w);
		for (uint32_t i = 0; i < n; i++) {
			spf_tree_init_shared(&trees[i], n, work);
			if (spf_tree_compute(&trees[i], g, w, i))
				abort();
			spf_tree_trim(&trees[i]);
			per_class[k] += spf_tree_memory(&trees[i]);
		}
		for (uint32_t i = 0; i < n; i++)
			spf_tree_uninit(&trees[i]);
		total += per_class[k];
	}
	printf("spf_memory hosts=%u links=%zu classes=4 trees=%u MB=%.1f bytes_per_node=%.1f "
	       "(platinum %.1f gold %.1f silver %.1f hops %.1f) former_layout_MB=%.1f\n",
	       n, m, 4 * n, total / 1e6, (double)total / (4.0 * n * n),
	       (double)per_class[0] / n / n, (double)per_class[1] / n / n,
	       (double)per_class[2] / n / n, (double)per_class[3] / n / n,
	       4.0 * n * n * (sizeof(struct spf_tree_node) + SPF_MAX_ECMP * sizeof(uint32_t)) /
		   1e6);
	spf_work_destroy(work);
	free(trees);
	free(w);
	spf_graph_destroy(g);
}

/* What spf_tree_compute() scans for tree 't': every reachable node once,
 * and the arcs of those that relay. */
static uint64_t full_work(const struct spf_tree *t, const struct spf_graph *g)
{
	uint64_t work = 0;

	for (uint32_t u = 0; u < g->n_nodes; u++) {
		if (!spf_tree_reachable(t, u))
			continue;
		work++;
		if (u == t->dst || !g->no_transit[u])
			work += g->first[u + 1] - g->first[u];
	}
	return work;
}

static bool same_tree(const struct spf_tree *a, const struct spf_tree *b)
{
	for (uint32_t u = 0; u < a->n_nodes; u++) {
		unsigned int n = spf_tree_n_next(a, u);

		if (spf_tree_dist(a, u) != spf_tree_dist(b, u) ||
		    spf_tree_hops(a, u) != spf_tree_hops(b, u) || n != spf_tree_n_next(b, u))
			return false;
		for (unsigned int i = 0; i < n; i++) {
			bool found = false;

			for (unsigned int j = 0; j < n && !found; j++)
				found = spf_tree_next(a, u, i) == spf_tree_next(b, u, j);
			if (!found)
				return false;
		}
	}
	return true;
}

/* Sums over the events of one kind (links going down, or coming back). */
struct update_stats {
	double incr_ms;
	uint64_t incr_work;
	uint64_t touched;      /* trees the filter kept */
	uint64_t touched_work; /* full recompute of those */
	uint64_t changed;      /* (tree, node) next-hop sets changed */
};

static void print_update(const char *event, const struct update_stats *s, uint32_t k,
			 double full_ms, uint64_t full_work_all, double tree_ms)
{
	double incr_ms = s->incr_ms / k, touched_ms = (double)s->touched / k * tree_ms;
	double incr_work = (double)s->incr_work / k, touched_work = (double)s->touched_work / k;

	printf("spf_update event=%s links=%u trees_touched=%.1f incr_us=%.1f incr_work=%.0f "
	       "full_all_ms=%.1f full_all_work=%llu ratio_time_all=%.0f ratio_work_all=%.0f "
	       "full_touched_ms=%.1f ratio_time_touched=%.0f ratio_work_touched=%.0f "
	       "changed=%.1f\n",
	       event, k, (double)s->touched / k, incr_ms * 1e3, incr_work, full_ms,
	       (unsigned long long)full_work_all, full_ms / incr_ms, full_work_all / incr_work,
	       touched_ms, touched_ms / incr_ms, touched_work / incr_work, (double)s->changed / k);
}

/* Updates every held tree after the weight of 'link' went from 'old' to
 * w[its arcs]; adds to 's'. Marks in 'touched' the trees updated. */
static void update_all(struct spf_tree *trees, uint32_t n_trees, const struct spf_graph *g,
		       const uint64_t *w, uint32_t link, uint64_t old, struct spf_delta *d,
		       bool *touched, struct update_stats *s)
{
	double t0 = now_ms();

	for (uint32_t i = 0; i < n_trees; i++) {
		touched[i] = spf_tree_may_change(&trees[i], g, w, link, old);
		s->incr_work++;
		if (!touched[i])
			continue;
		if (spf_tree_update_link(&trees[i], g, w, link, old, d))
			abort();
		s->incr_work += d->nodes + d->arcs;
		s->changed += d->n_changed;
	}
	s->incr_ms += now_ms() - t0;
	for (uint32_t i = 0; i < n_trees; i++)
		if (touched[i]) {
			s->touched++;
			/* The full work of the new tree (the old one's is as big). */
			s->touched_work += full_work(&trees[i], g);
		}
}

/* Compares the updated trees, and every 50th other one, with trees
 * computed from scratch. */
static void check_all(const struct spf_tree *trees, uint32_t n_trees, const struct spf_graph *g,
		      const uint64_t *w, const bool *touched, struct spf_tree *ref,
		      uint64_t *compared, uint64_t *mismatches)
{
	for (uint32_t i = 0; i < n_trees; i++) {
		if (!touched[i] && i % 50)
			continue;
		if (spf_tree_compute(ref, g, w, trees[i].dst))
			abort();
		*mismatches += !same_tree(&trees[i], ref);
		(*compared)++;
	}
}

static void bench_update(uint32_t n, size_t m, uint32_t n_trees, uint32_t k, uint32_t n_checked)
{
	struct spf_graph *g = random_graph(n, m);
	struct spf_cost c = spf_cost_latency();
	struct spf_work *work = spf_work_create(n);
	struct spf_tree *trees = xmalloc(n_trees * sizeof *trees), ref;
	uint64_t *w = xmalloc(g->n_arcs * sizeof *w);
	bool *touched = xmalloc(n_trees * sizeof *touched);
	struct update_stats down = {0}, up = {0};
	uint64_t full_work_all = 0, compared = 0, mismatches = 0;
	size_t bytes = 0;
	struct spf_delta d = {0};
	double t0, full_ms;

	spf_weights_compute(g, &c, w);
	for (uint32_t i = 0; i < n_trees; i++)
		spf_tree_init_shared(&trees[i], n, work);
	t0 = now_ms();
	for (uint32_t i = 0; i < n_trees; i++)
		if (spf_tree_compute(&trees[i], g, w, (uint32_t)((uint64_t)i * n / n_trees)))
			abort();
	full_ms = now_ms() - t0;
	for (uint32_t i = 0; i < n_trees; i++) {
		spf_tree_trim(&trees[i]);
		bytes += spf_tree_memory(&trees[i]);
		full_work_all += full_work(&trees[i], g) + 1;
	}
	printf("spf_update_setup nodes=%u links=%zu class=latency trees=%u dst_every=%u "
	       "bytes_per_tree=%zu bytes_per_node=%.1f full_all_ms=%.1f us_per_tree=%.1f\n",
	       n, m, n_trees, n / n_trees, bytes / n_trees, (double)bytes / n_trees / n, full_ms,
	       full_ms * 1e3 / n_trees);

	spf_tree_init(&ref, n);
	rng_state = 0xf1a9f1a9ULL; /* the same links every run */
	for (uint32_t e = 0; e < k; e++) {
		uint32_t link = rnd((uint32_t)g->n_links), ab = g->link_arc[link];
		uint64_t weight = w[ab];

		w[ab] = w[g->rev[ab]] = SPF_INF;
		update_all(trees, n_trees, g, w, link, weight, &d, touched, &down);
		if (e < n_checked)
			check_all(trees, n_trees, g, w, touched, &ref, &compared, &mismatches);
		w[ab] = w[g->rev[ab]] = weight;
		update_all(trees, n_trees, g, w, link, SPF_INF, &d, touched, &up);
		if (e < n_checked)
			check_all(trees, n_trees, g, w, touched, &ref, &compared, &mismatches);
	}
	print_update("down", &down, k, full_ms, full_work_all, full_ms / n_trees);
	print_update("up", &up, k, full_ms, full_work_all, full_ms / n_trees);
	printf("spf_update_check events=%u trees_compared=%llu mismatches=%llu\n", 2 * n_checked,
	       (unsigned long long)compared, (unsigned long long)mismatches);

	spf_tree_uninit(&ref);
	for (uint32_t i = 0; i < n_trees; i++)
		spf_tree_uninit(&trees[i]);
	spf_work_destroy(work);
	spf_delta_uninit(&d);
	free(touched);
	free(trees);
	free(w);
	spf_graph_destroy(g);
}

int main(int argc, char *argv[])
{
	int runs = argc > 1 ? atoi(argv[1]) : 9;

	if (runs < 1 || runs > 1000) {
		fprintf(stderr, "usage: %s [RUNS (1..1000)]\n", argv[0]);
		return 2;
	}
	bench_tree(10000, 40000, runs);
	bench_tree(100000, 400000, runs);
	bench_all(1000, 4000, 1000);
	bench_all(10000, 40000, 250);
	bench_memory(1000, 4000);
	bench_update(10000, 40000, 1000, 100, 5);
	return 0;
}

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
 * Graphs depend only on their size; timings include no graph building.
 *
 * Output, one line per measurement, key=value:
 *   spf_tree nodes=N links=M runs=R onm_ms=X igraph_ms=Y ratio=Y/X mismatches=K
 *   spf_all hosts=N classes=4 trees=T measured_trees=S ms=X us_per_tree=Y entries=E
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
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the shortest-path core (lib/spf.c): known answers on the
 * substrate of spec.md (service levels platinum and silver), constraints
 * (bandwidth, excluded hosts and links, down links, no-transit hosts,
 * unreachable nodes), ECMP, and a comparison with a naive Bellman-Ford on
 * many random graphs with many equal costs. Incremental updates after a
 * link change: known answers on small graphs, and on many random graphs
 * (ties, no-transit nodes, disconnected parts, more equal-cost next hops
 * than the cap) the updated trees must equal trees computed from scratch,
 * and the reported nodes must be exactly those whose next hops changed.
 */
#include "onm/model.h"
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "onm/model.h"
#include "onm/spf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The substrate of spec.md. */
enum { H1, H2, H3, H4, SCAN1, N_SPEC_HOSTS };

static struct host spec_hosts[N_SPEC_HOSTS] = {
    {.name = "h1"}, {.name = "h2"}, {.name = "h3"}, {.name = "h4"}, {.name = "scan1"},
};

#define MBIT 1000000ULL
static struct link spec_links[] = {
    {.a = "h1", .b = "h2", .latency_us = 1000, .bandwidth_bps = 1000 * MBIT, .cost = 10},
    {.a = "h2", .b = "h3", .latency_us = 1000, .bandwidth_bps = 1000 * MBIT, .cost = 10},
    {.a = "h1", .b = "h4", .latency_us = 15000, .bandwidth_bps = 100 * MBIT, .cost = 1},
    {.a = "h4", .b = "h3", .latency_us = 15000, .bandwidth_bps = 100 * MBIT, .cost = 1},
    {.a = "h1", .b = "scan1", .latency_us = 2000, .bandwidth_bps = 1000 * MBIT, .cost = 5},
    {.a = "scan1", .b = "h3", .latency_us = 2000, .bandwidth_bps = 1000 * MBIT, .cost = 5},
};
enum { L12, L23, L14, L43, L1S, LS3, N_SPEC_LINKS };

static struct spf_graph *spec_graph(void)
{
	const struct host *hosts[N_SPEC_HOSTS];
	const struct link *links[N_SPEC_LINKS];
	struct spf_graph *g;

	for (size_t i = 0; i < N_SPEC_HOSTS; i++)
		hosts[i] = &spec_hosts[i];
	for (size_t i = 0; i < N_SPEC_LINKS; i++)
		links[i] = &spec_links[i];
	assert_int_equal(spf_graph_from_model(hosts, N_SPEC_HOSTS, links, N_SPEC_LINKS, &g), 0);
	assert_non_null(g);
	assert_int_equal(g->n_nodes, N_SPEC_HOSTS);
	assert_int_equal(g->n_arcs, 2 * N_SPEC_LINKS);
	return g;
}

/* Runs one tree towards 'dst' and returns it in 't' (initialized here). */
static void run(const struct spf_graph *g, const struct spf_cost *c, uint32_t dst,
		struct spf_tree *t)
{
	uint64_t *w = malloc(g->n_arcs * sizeof *w + 1);

	assert_non_null(w);
	spf_weights_compute(g, c, w);
	spf_tree_init(t, g->n_nodes);
	assert_int_equal(spf_tree_compute(t, g, w, dst), 0);
	free(w);
}

/* The single next hop (node) of 'u', which must have exactly one. */
static uint32_t only_next_node(const struct spf_graph *g, const struct spf_tree *t, uint32_t u)
{
	assert_int_equal(spf_tree_n_next(t, u), 1);
	return g->head[spf_tree_next(t, u, 0)];
}

static struct spf_cost platinum(void)
{
	struct spf_cost c = spf_cost_latency();

	c.min_bandwidth_bps = 500 * MBIT;
	return c;
}

static void test_platinum_via_h2(void **state)
{
	struct spf_graph *g = spec_graph();
	struct spf_cost c = platinum();
	struct spf_tree t;

	(void)state;
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), H2);
	assert_int_equal(only_next_node(g, &t, H2), H3);
	assert_int_equal(spf_tree_dist(&t, H1), 2000);
	assert_int_equal(spf_tree_hops(&t, H1), 2);
	assert_int_equal(spf_tree_dist(&t, H3), 0);
	assert_int_equal(spf_tree_n_next(&t, H3), 0);
	/* h4's links are both below 500 Mbit/s: h4 cannot reach h3. */
	assert_false(spf_tree_reachable(&t, H4));
	assert_int_equal(spf_tree_n_next(&t, H4), 0);
	assert_int_equal(spf_tree_hops(&t, H4), SPF_NONE);
	/* The arc h1 -> h2 belongs to link h1-h2. */
	assert_int_equal(g->link_of[spf_tree_next(&t, H1, 0)], L12);
	spf_tree_uninit(&t);

	/* gold: minimize latency, no bandwidth constraint: still via h2. */
	c = spf_cost_latency();
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), H2);
	assert_int_equal(only_next_node(g, &t, H4), H3);
	assert_int_equal(spf_tree_dist(&t, H4), 15000);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
}

static void test_silver_via_h4(void **state)
{
	struct spf_graph *g = spec_graph();
	struct spf_cost c = spf_cost_cost();
	struct spf_tree t;

	(void)state;
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), H4);
	assert_int_equal(only_next_node(g, &t, H4), H3);
	assert_int_equal(spf_tree_dist(&t, H1), 2);
	/* h2: direct (10) beats h2-h1-h4-h3 (12). */
	assert_int_equal(only_next_node(g, &t, H2), H3);
	assert_int_equal(spf_tree_dist(&t, H2), 10);
	spf_tree_uninit(&t);

	/* Towards h1 (other direction, same links). */
	run(g, &c, H1, &t);
	assert_int_equal(only_next_node(g, &t, H3), H4);
	assert_int_equal(spf_tree_dist(&t, H3), 2);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
}

static void test_hops_ecmp_spec(void **state)
{
	struct spf_graph *g = spec_graph();
	struct spf_cost c = spf_cost_hops();
	struct spf_tree t;
	bool seen[N_SPEC_HOSTS] = {false};

	(void)state;
	run(g, &c, H3, &t);
	assert_int_equal(spf_tree_dist(&t, H1), 2);
	assert_int_equal(spf_tree_hops(&t, H1), 2);
	assert_int_equal(spf_tree_n_next(&t, H1), 3);
	for (int i = 0; i < 3; i++)
		seen[g->head[spf_tree_next(&t, H1, i)]] = true;
	assert_true(seen[H2] && seen[H4] && seen[SCAN1]);
	assert_false(seen[H1] || seen[H3]);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
}

static void test_down_link_moves_path(void **state)
{
	struct spf_graph *g;
	struct spf_cost c = platinum();
	struct spf_tree t;

	(void)state;
	spec_links[L12].down = true;
	g = spec_graph();
	spec_links[L12].down = false;
	assert_false(g->links[L12].up);
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), SCAN1);
	assert_int_equal(spf_tree_dist(&t, H1), 4000);
	/* h2 still reaches h3 directly; h1 no longer goes via h2. */
	assert_int_equal(only_next_node(g, &t, H2), H3);
	spf_tree_uninit(&t);

	/* Up again in the graph's own copy: back via h2. */
	g->links[L12].up = true;
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), H2);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
}

static void test_excluded_and_unreachable(void **state)
{
	struct spf_graph *g = spec_graph();
	struct spf_cost c = platinum();
	bool ex_nodes[N_SPEC_HOSTS] = {false};
	bool ex_links[N_SPEC_LINKS] = {false};
	struct spf_tree t;

	(void)state;
	/* Excluding h2 moves platinum h1->h3 through scan1. */
	ex_nodes[H2] = true;
	c.excluded_nodes = ex_nodes;
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), SCAN1);
	assert_false(spf_tree_reachable(&t, H2));
	spf_tree_uninit(&t);

	/* Excluding link scan1-h3 as well: h1 is unreachable for platinum. */
	ex_links[LS3] = true;
	c.excluded_links = ex_links;
	run(g, &c, H3, &t);
	assert_false(spf_tree_reachable(&t, H1));
	assert_int_equal(spf_tree_dist(&t, H1), SPF_INF);
	assert_int_equal(spf_tree_n_next(&t, H1), 0);
	assert_true(spf_tree_reachable(&t, H3));
	spf_tree_uninit(&t);

	/* Without the bandwidth constraint h4 is the way left. */
	c.min_bandwidth_bps = 0;
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), H4);
	assert_int_equal(spf_tree_dist(&t, H1), 30000);
	spf_tree_uninit(&t);

	/* A link without a bandwidth is never pruned by min_bandwidth. */
	g->links[L14].bandwidth_bps = 0;
	g->links[L43].bandwidth_bps = 0;
	c.min_bandwidth_bps = 500 * MBIT;
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), H4);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
}

static void test_no_transit(void **state)
{
	struct spf_graph *g;
	struct spf_cost c = platinum();
	struct spf_tree t;

	(void)state;
	spec_hosts[H2].kernel_vtep = true;
	g = spec_graph();
	spec_hosts[H2].kernel_vtep = false;
	run(g, &c, H3, &t);
	/* h2 may not forward: h1 goes via scan1, h2 itself still reaches h3. */
	assert_int_equal(only_next_node(g, &t, H1), SCAN1);
	assert_int_equal(only_next_node(g, &t, H2), H3);
	spf_tree_uninit(&t);
	/* h2 as destination is fine. */
	run(g, &c, H2, &t);
	assert_int_equal(only_next_node(g, &t, H1), H2);
	assert_int_equal(only_next_node(g, &t, H3), H2);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
}

static void test_weighted_sum(void **state)
{
	struct spf_graph *g = spec_graph();
	struct spf_cost c = {.w_latency = 1, .w_cost = 1000};
	struct spf_tree t;

	(void)state;
	/* h2: 1000 + 10000 = 11000 per link; h4: 15000 + 1000 = 16000; scan1:
	 * 2000 + 5000 = 7000. */
	assert_int_equal(spf_link_metric(&g->links[L12], &c), 11000);
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), SCAN1);
	assert_int_equal(spf_tree_dist(&t, H1), 14000);
	spf_tree_uninit(&t);

	/* Loss: heavily penalized loss on scan1's link moves it to h2. */
	g->links[L1S].loss_ppm = 10000;
	c.w_loss = 1;
	run(g, &c, H3, &t);
	assert_int_equal(only_next_node(g, &t, H1), H2);
	spf_tree_uninit(&t);

	/* Zero weights still give each arc at least 1; saturation. */
	struct spf_cost zero = {0};
	struct spf_cost huge = {.w_latency = UINT64_MAX};

	assert_int_equal(spf_link_metric(&g->links[L12], &zero), 1);
	assert_int_equal(spf_link_metric(&g->links[L12], &huge), SPF_INF - 1);
	spf_graph_destroy(g);
}

static void test_ecmp_square_and_cap(void **state)
{
	/* Square 0-1-2-3-0, all equal: towards 2, node 0 has two next hops. */
	struct spf_link sq[4] = {
	    {.a = 0, .b = 1, .latency_us = 5, .up = true},
	    {.a = 1, .b = 2, .latency_us = 5, .up = true},
	    {.a = 2, .b = 3, .latency_us = 5, .up = true},
	    {.a = 3, .b = 0, .latency_us = 5, .up = true},
	};
	struct spf_cost c = spf_cost_latency();
	struct spf_graph *g;
	struct spf_tree t;

	(void)state;
	assert_int_equal(spf_graph_create(4, sq, 4, NULL, &g), 0);
	run(g, &c, 2, &t);
	assert_int_equal(spf_tree_dist(&t, 0), 10);
	assert_int_equal(spf_tree_hops(&t, 0), 2);
	assert_int_equal(spf_tree_n_next(&t, 0), 2);
	uint32_t a = g->head[spf_tree_next(&t, 0, 0)], b = g->head[spf_tree_next(&t, 0, 1)];

	assert_true((a == 1 && b == 3) || (a == 3 && b == 1));
	assert_int_equal(only_next_node(g, &t, 1), 2);
	assert_int_equal(only_next_node(g, &t, 3), 2);
	/* The workspace is reusable for another destination. */
	assert_int_equal(spf_tree_compute(&t, g, (uint64_t[]){5, 5, 5, 5, 5, 5, 5, 5}, 0), 0);
	assert_int_equal(spf_tree_n_next(&t, 2), 2);
	assert_int_equal(t.dst, 0);
	/* Misuse. */
	assert_int_equal(spf_tree_compute(&t, g, (uint64_t[]){5, 5, 5, 5, 5, 5, 5, 5}, 4), -EINVAL);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);

	/* 10 equal parallel paths s=0 -> m(1..10) -> d=11: capped at 8. */
	struct spf_link fan[20];

	for (uint32_t i = 0; i < 10; i++) {
		fan[2 * i] = (struct spf_link){.a = 0, .b = 1 + i, .cost = 3, .up = true};
		fan[2 * i + 1] = (struct spf_link){.a = 1 + i, .b = 11, .cost = 3, .up = true};
	}
	c = spf_cost_cost();
	assert_int_equal(spf_graph_create(12, fan, 20, NULL, &g), 0);
	run(g, &c, 11, &t);
	assert_int_equal(spf_tree_dist(&t, 0), 6);
	assert_int_equal(spf_tree_n_next(&t, 0), SPF_MAX_ECMP);
	for (int i = 0; i < SPF_MAX_ECMP; i++) {
		uint32_t m = g->head[spf_tree_next(&t, 0, i)];

		assert_true(m >= 1 && m <= 10);
		assert_int_equal(spf_tree_dist(&t, m), 3);
	}
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
}

static void test_bad_input(void **state)
{
	struct spf_link self = {.a = 1, .b = 1, .up = true};
	struct spf_link out = {.a = 0, .b = 2, .up = true};
	struct spf_graph *g = (void *)1;
	const struct host *hosts[2] = {&spec_hosts[H1], &spec_hosts[H1]};
	const struct link *links[1] = {&spec_links[L12]};

	(void)state;
	assert_int_equal(spf_graph_create(2, &self, 1, NULL, &g), -EINVAL);
	assert_null(g);
	assert_int_equal(spf_graph_create(2, &out, 1, NULL, &g), -EINVAL);
	assert_null(g);
	/* Duplicate host names; unknown host in a link. */
	assert_int_equal(spf_graph_from_model(hosts, 2, links, 1, &g), -EINVAL);
	hosts[1] = &spec_hosts[H3];
	assert_int_equal(spf_graph_from_model(hosts, 2, links, 1, &g), -ENOENT);
	assert_null(g);
	/* An empty graph and a single node. */
	assert_int_equal(spf_graph_create(1, NULL, 0, NULL, &g), 0);
	struct spf_tree t;

	spf_tree_init(&t, 1);
	assert_int_equal(spf_tree_compute(&t, g, NULL, 0), 0);
	assert_int_equal(spf_tree_dist(&t, 0), 0);
	spf_tree_uninit(&t);
	spf_tree_init(&t, 2);
	assert_int_equal(spf_tree_compute(&t, g, NULL, 0), -EINVAL);
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
	spf_graph_destroy(NULL);
}

/* Random graphs against Bellman-Ford. */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*, deterministic per seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)(((rng_state * 2685821657736338717ULL) >> 32) % n);
}

static void bellman_ford(const struct spf_graph *g, const uint64_t *w, uint32_t dst, uint64_t *dist,
			 uint32_t *hops)
{
	uint32_t n = g->n_nodes;

	for (uint32_t u = 0; u < n; u++) {
		dist[u] = SPF_INF;
		hops[u] = SPF_NONE;
	}
	dist[dst] = 0;
	hops[dst] = 0;
	for (uint32_t round = 0; round < n; round++)
		for (uint32_t u = 0; u < n; u++)
			for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
				uint32_t v = g->head[a];

				if (w[a] == SPF_INF || dist[v] == SPF_INF ||
				    (v != dst && g->no_transit[v]))
					continue;
				if (dist[v] + w[a] < dist[u])
					dist[u] = dist[v] + w[a];
			}
	/* Fewest hops over the equal-cost (tight) arcs. */
	for (uint32_t round = 0; round < n; round++)
		for (uint32_t u = 0; u < n; u++)
			for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
				uint32_t v = g->head[a];

				if (u == dst || w[a] == SPF_INF || dist[v] == SPF_INF ||
				    (v != dst && g->no_transit[v]) || hops[v] == SPF_NONE ||
				    dist[v] + w[a] != dist[u])
					continue;
				if (hops[v] + 1 < hops[u])
					hops[u] = hops[v] + 1;
			}
}

static void check_random(uint64_t seed)
{
	uint32_t n = 2 + (rng_state = seed * 0x9E3779B97F4A7C15ULL + 1, rnd(30));
	size_t m = rnd(3 * n + 1);
	struct spf_link *links = calloc(m + 1, sizeof *links);
	bool *no_transit = calloc(n, sizeof *no_transit);
	bool *ex_nodes = calloc(n, sizeof *ex_nodes);
	bool *ex_links = calloc(m + 1, sizeof *ex_links);
	struct spf_cost c = {0};
	struct spf_graph *g;
	struct spf_tree t;

	assert_true(links && no_transit && ex_nodes && ex_links);
	for (size_t i = 0; i < m; i++) {
		links[i].a = rnd(n);
		do
			links[i].b = rnd(n);
		while (links[i].b == links[i].a);
		links[i].latency_us = rnd(4); /* small: many ties, zero too */
		links[i].cost = rnd(3);
		links[i].bandwidth_bps = rnd(3) * 100;
		links[i].loss_ppm = rnd(2);
		links[i].up = rnd(8) != 0;
		ex_links[i] = rnd(20) == 0;
	}
	for (uint32_t u = 0; u < n; u++) {
		no_transit[u] = rnd(10) == 0;
		ex_nodes[u] = rnd(15) == 0;
	}
	c.w_latency = rnd(3);
	c.w_cost = rnd(3);
	c.w_hops = rnd(2);
	c.w_loss = rnd(2);
	c.min_bandwidth_bps = rnd(3) * 100;
	if (seed % 4 == 0) {
		/* Large metrics (up to 2^50 per arc): few ties, many queue buckets. */
		for (size_t i = 0; i < m; i++)
			links[i].latency_us = rnd(1u << 20);
		c.w_latency = 1 + rnd(1u << 30);
	}
	if (rnd(2)) {
		c.excluded_nodes = ex_nodes;
		c.excluded_links = ex_links;
	}
	assert_int_equal(spf_graph_create(n, links, m, no_transit, &g), 0);

	uint64_t *w = malloc((g->n_arcs + 1) * sizeof *w);
	uint64_t *dist = malloc(n * sizeof *dist);
	uint32_t *hops = malloc(n * sizeof *hops);

	assert_true(w && dist && hops);
	spf_weights_compute(g, &c, w);
	spf_tree_init(&t, n);
	for (uint32_t dst = 0; dst < n; dst++) {
		assert_int_equal(spf_tree_compute(&t, g, w, dst), 0);
		bellman_ford(g, w, dst, dist, hops);
		for (uint32_t u = 0; u < n; u++) {
			size_t expected = 0;

			assert_int_equal(spf_tree_dist(&t, u), dist[u]);
			assert_int_equal(spf_tree_hops(&t, u), hops[u]);
			/* Next-hop sets: every next hop is a tight arc out of u,
			 * no duplicates, and all tight arcs are there (up to the cap). */
			for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
				uint32_t v = g->head[a];
				bool tight = u != dst && w[a] != SPF_INF && dist[v] != SPF_INF &&
					     (v == dst || !g->no_transit[v]) &&
					     dist[v] + w[a] == dist[u];
				int found = 0;

				for (unsigned int i = 0; i < spf_tree_n_next(&t, u); i++)
					found += spf_tree_next(&t, u, i) == a;
				assert_true(found <= 1);
				if (found)
					assert_true(tight);
				expected += tight;
			}
			assert_int_equal(spf_tree_n_next(&t, u),
					 expected < SPF_MAX_ECMP ? expected : SPF_MAX_ECMP);
		}
	}
	spf_tree_uninit(&t);
	spf_graph_destroy(g);
	free(w);
	free(dist);
	free(hops);
	free(links);
	free(no_transit);
	free(ex_nodes);
	free(ex_links);
}

static void test_random_vs_bellman_ford(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 2000; seed++)
		check_random(seed);
}

/* Incremental updates. */

/* Whether trees 'a' and 'b' agree on node 'u': distance, hops and the set
 * of next hops. */
static bool same_node(const struct spf_tree *a, const struct spf_tree *b, uint32_t u)
{
	unsigned int n = spf_tree_n_next(a, u);

	if (spf_tree_dist(a, u) != spf_tree_dist(b, u) ||
	    spf_tree_hops(a, u) != spf_tree_hops(b, u) || n != spf_tree_n_next(b, u))
		return false;
	for (unsigned int i = 0; i < n; i++) {
		bool found = false;

		for (unsigned int j = 0; j < n; j++)
			found |= spf_tree_next(a, u, i) == spf_tree_next(b, u, j);
		if (!found)
			return false;
	}
	return true;
}

static void assert_same_tree(const struct spf_tree *a, const struct spf_tree *b)
{
	assert_int_equal(a->dst, b->dst);
	for (uint32_t u = 0; u < a->n_nodes; u++) {
		if (!same_node(a, b, u))
			fail_msg("node %u: dist %llu/%llu hops %u/%u n_next %u/%u", u,
				 (unsigned long long)spf_tree_dist(a, u),
				 (unsigned long long)spf_tree_dist(b, u), spf_tree_hops(a, u),
				 spf_tree_hops(b, u), spf_tree_n_next(a, u), spf_tree_n_next(b, u));
	}
}

/* Next-hop sets of every node, sorted, to compare before and after. */
struct snapshot {
	uint32_t n_nodes;
	uint32_t (*next)[SPF_MAX_ECMP];
	uint8_t *n_next;
};

static int cmp_u32(const void *a_, const void *b_)
{
	uint32_t a = *(const uint32_t *)a_, b = *(const uint32_t *)b_;

	return (a > b) - (a < b);
}

static void snapshot_take(struct snapshot *s, const struct spf_tree *t)
{
	s->n_nodes = t->n_nodes;
	s->next = calloc(t->n_nodes, sizeof *s->next);
	s->n_next = calloc(t->n_nodes, sizeof *s->n_next);
	if (!s->next || !s->n_next)
		abort(); /* (not assert_true(): the analyzer does not see it stops) */
	for (uint32_t u = 0; u < t->n_nodes; u++) {
		s->n_next[u] = (uint8_t)spf_tree_n_next(t, u);
		for (unsigned int i = 0; i < s->n_next[u]; i++)
			s->next[u][i] = spf_tree_next(t, u, i);
		qsort(s->next[u], s->n_next[u], sizeof s->next[u][0], cmp_u32);
	}
}

static bool snapshot_differs(const struct snapshot *a, const struct snapshot *b, uint32_t u)
{
	return a->n_next[u] != b->n_next[u] ||
	       memcmp(a->next[u], b->next[u], a->n_next[u] * sizeof a->next[u][0]);
}

static void snapshot_free(struct snapshot *s)
{
	free(s->next);
	free(s->n_next);
}

/* The delta lists exactly the nodes whose next-hop set differs between
 * 'before' and the tree now, each once. Returns how many. */
static uint32_t check_delta(const struct snapshot *before, const struct spf_tree *t,
			    const struct spf_delta *delta)
{
	struct snapshot after;
	uint8_t *listed = calloc(t->n_nodes, 1);
	uint32_t n_differ = 0;

	assert_non_null(listed);
	snapshot_take(&after, t);
	for (uint32_t i = 0; i < delta->n_changed; i++) {
		assert_true(delta->changed[i] < t->n_nodes);
		assert_false(listed[delta->changed[i]]);
		listed[delta->changed[i]] = 1;
	}
	for (uint32_t u = 0; u < t->n_nodes; u++) {
		bool differs = snapshot_differs(before, &after, u);

		if (differs != listed[u])
			fail_msg("node %u: next hops %s but %slisted", u,
				 differs ? "changed" : "same", listed[u] ? "" : "not ");
		n_differ += differs;
	}
	assert_int_equal(n_differ, delta->n_changed);
	snapshot_free(&after);
	free(listed);
	return n_differ;
}

/* Sets both arcs of 'link' to 'w', updates 't' and checks it against a
 * tree computed from scratch in 'ref', and the delta. Returns the delta's
 * n_changed. */
static uint32_t change_and_check(const struct spf_graph *g, uint64_t *weights, uint32_t link,
				 uint64_t w, struct spf_tree *t, struct spf_tree *ref,
				 struct spf_delta *delta)
{
	uint32_t ab = g->link_arc[link];
	uint64_t old = weights[ab];
	struct snapshot before;
	bool may;
	uint32_t n;

	snapshot_take(&before, t);
	weights[ab] = weights[g->rev[ab]] = w;
	may = spf_tree_may_change(t, g, weights, link, old);
	assert_int_equal(spf_tree_update_link(t, g, weights, link, old, delta), 0);
	assert_int_equal(spf_tree_compute(ref, g, weights, t->dst), 0);
	assert_same_tree(t, ref);
	n = check_delta(&before, t, delta);
	if (!may) {
		/* Skipping the tree would have been right. */
		assert_int_equal(delta->nodes, 0);
		for (uint32_t u = 0; u < t->n_nodes; u++)
			assert_int_equal(spf_tree_dist(t, u), spf_tree_dist(ref, u));
	}
	snapshot_free(&before);
	return n;
}

/* Builds a graph of fixed links with weights 'w' per link (SPF_INF = down). */
static struct spf_graph *make_graph(uint32_t n, const uint32_t (*ends)[2], size_t m,
				    const bool *no_transit)
{
	struct spf_link *links = calloc(m + 1, sizeof *links);
	struct spf_graph *g;

	assert_non_null(links);
	for (size_t i = 0; i < m; i++)
		links[i] = (struct spf_link){.a = ends[i][0], .b = ends[i][1], .up = true};
	assert_int_equal(spf_graph_create(n, links, m, no_transit, &g), 0);
	free(links);
	return g;
}

static void set_weights(const struct spf_graph *g, uint64_t *weights, const uint64_t *per_link)
{
	for (size_t i = 0; i < g->n_links; i++)
		weights[g->link_arc[i]] = weights[g->rev[g->link_arc[i]]] = per_link[i];
}

static void test_update_square(void **state)
{
	/* Square 0-1-2-3-0 of weight 5 towards 2: node 0 has two next hops. */
	static const uint32_t ends[4][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 0}};
	struct spf_graph *g = make_graph(4, ends, 4, NULL);
	uint64_t w[8];
	struct spf_tree t, ref;
	struct spf_delta d;

	(void)state;
	set_weights(g, w, (uint64_t[]){5, 5, 5, 5});
	spf_tree_init(&t, 4);
	spf_tree_init(&ref, 4);
	spf_delta_init(&d);
	/* Misuse: never computed; link out of range. */
	assert_int_equal(spf_tree_update_link(&t, g, w, 0, 5, &d), -EINVAL);
	assert_false(spf_tree_may_change(&t, g, w, 0, 4));
	assert_int_equal(spf_tree_compute(&t, g, w, 2), 0);
	assert_int_equal(spf_tree_update_link(&t, g, w, 4, 5, &d), -EINVAL);
	assert_int_equal(spf_tree_n_next(&t, 0), 2);
	/* 16 bytes per node, and a pool of 16 slots of which node 0 uses one. */
	assert_int_equal(spf_tree_memory(&t),
			 4 * sizeof(struct spf_tree_node) + 16 * SPF_MAX_ECMP * sizeof(uint32_t));
	spf_tree_trim(&t);
	assert_int_equal(spf_tree_memory(&t),
			 4 * sizeof(struct spf_tree_node) + 1 * SPF_MAX_ECMP * sizeof(uint32_t));

	/* Link 0-1 down: node 0 keeps only 0->3, same distance. */
	assert_int_equal(change_and_check(g, w, 0, SPF_INF, &t, &ref, &d), 1);
	assert_int_equal(d.changed[0], 0);
	assert_int_equal(d.n_dist, 0);
	assert_int_equal(only_next_node(g, &t, 0), 3);
	assert_int_equal(spf_tree_dist(&t, 0), 10);
	assert_int_equal(only_next_node(g, &t, 1), 2);
	/* Back up: two next hops again. */
	assert_int_equal(change_and_check(g, w, 0, 5, &t, &ref, &d), 1);
	assert_int_equal(d.changed[0], 0);
	assert_int_equal(spf_tree_n_next(&t, 0), 2);
	/* 0-1 lighter: 0 goes via 1 only, closer. */
	assert_int_equal(change_and_check(g, w, 0, 2, &t, &ref, &d), 1);
	assert_int_equal(only_next_node(g, &t, 0), 1);
	assert_int_equal(spf_tree_dist(&t, 0), 7);
	assert_int_equal(d.n_dist, 1);
	/* 1-2 heavier (5 -> 6): farther, same next hops (0: 2 + 6 < 10). */
	assert_int_equal(change_and_check(g, w, 1, 6, &t, &ref, &d), 0);
	assert_int_equal(d.n_dist, 2);
	assert_int_equal(spf_tree_dist(&t, 0), 8);
	assert_int_equal(only_next_node(g, &t, 0), 1);
	/* 1-2 at 9: 0 turns to 3 (10 < 2 + 9); 1 stays direct (9 < 12). */
	assert_int_equal(change_and_check(g, w, 1, 9, &t, &ref, &d), 1);
	assert_int_equal(d.changed[0], 0);
	assert_int_equal(only_next_node(g, &t, 0), 3);
	assert_int_equal(only_next_node(g, &t, 1), 2);
	assert_int_equal(spf_tree_dist(&t, 1), 9);
	/* An unrelated change: nothing to do. */
	assert_false(spf_tree_may_change(&t, g, w, 2, 5));
	spf_delta_uninit(&d);
	spf_tree_uninit(&t);
	spf_tree_uninit(&ref);
	spf_graph_destroy(g);
}

static void test_update_chain_cut(void **state)
{
	/* Chain 0-1-2-3 towards 3: cutting 2-3 cuts everything off. */
	static const uint32_t ends[3][2] = {{0, 1}, {1, 2}, {2, 3}};
	struct spf_graph *g = make_graph(4, ends, 3, NULL);
	uint64_t w[6];
	struct spf_tree t, ref;
	struct spf_delta d = {0};

	(void)state;
	set_weights(g, w, (uint64_t[]){1, 1, 1});
	spf_tree_init(&t, 4);
	spf_tree_init(&ref, 4);
	assert_int_equal(spf_tree_compute(&t, g, w, 3), 0);
	assert_true(spf_tree_may_change(&t, g, (uint64_t[]){1, 1, 1, 1, 1, 1}, 2, 7));
	assert_int_equal(change_and_check(g, w, 2, SPF_INF, &t, &ref, &d), 3);
	assert_int_equal(d.n_dist, 3);
	for (uint32_t u = 0; u < 3; u++) {
		assert_false(spf_tree_reachable(&t, u));
		assert_int_equal(spf_tree_hops(&t, u), SPF_NONE);
		assert_int_equal(spf_tree_n_next(&t, u), 0);
	}
	/* Changes in the cut-off part change nothing and cost nothing. */
	assert_int_equal(change_and_check(g, w, 0, 3, &t, &ref, &d), 0);
	assert_int_equal(d.nodes, 0);
	assert_int_equal(change_and_check(g, w, 0, 1, &t, &ref, &d), 0);
	assert_int_equal(d.nodes, 0);
	assert_int_equal(change_and_check(g, w, 2, 4, &t, &ref, &d), 3);
	assert_int_equal(spf_tree_dist(&t, 0), 6);
	assert_int_equal(spf_tree_hops(&t, 0), 3);
	spf_delta_uninit(&d);
	spf_tree_uninit(&t);
	spf_tree_uninit(&ref);
	spf_graph_destroy(g);
}

static void test_update_hops_only(void **state)
{
	/* Towards 0: 1-0 weighs 2, 1-2-0 weighs 1 + 1, 3-1 weighs 1. Node 1
	 * has two next hops and 1 hop; node 3 goes via 1 with 2 hops. */
	static const uint32_t ends[4][2] = {{1, 0}, {1, 2}, {2, 0}, {3, 1}};
	struct spf_graph *g = make_graph(4, ends, 4, NULL);
	uint64_t w[8];
	struct spf_tree t, ref;
	struct spf_delta d = {0};

	(void)state;
	set_weights(g, w, (uint64_t[]){2, 1, 1, 1});
	spf_tree_init(&t, 4);
	spf_tree_init(&ref, 4);
	assert_int_equal(spf_tree_compute(&t, g, w, 0), 0);
	assert_int_equal(spf_tree_n_next(&t, 1), 2);
	assert_int_equal(spf_tree_hops(&t, 1), 1);
	assert_int_equal(spf_tree_hops(&t, 3), 2);
	/* 1-0 down: 1 keeps 1->2 (same distance, 2 hops); 3 keeps its next
	 * hop but now counts 3 hops: not a changed entry. */
	assert_int_equal(change_and_check(g, w, 0, SPF_INF, &t, &ref, &d), 1);
	assert_int_equal(d.changed[0], 1);
	assert_int_equal(d.n_dist, 0);
	assert_int_equal(spf_tree_hops(&t, 1), 2);
	assert_int_equal(spf_tree_hops(&t, 3), 3);
	assert_int_equal(spf_tree_dist(&t, 3), 3);
	/* Up again: hops back to 1 and 2. */
	assert_int_equal(change_and_check(g, w, 0, 2, &t, &ref, &d), 1);
	assert_int_equal(spf_tree_hops(&t, 3), 2);
	spf_delta_uninit(&d);
	spf_tree_uninit(&t);
	spf_tree_uninit(&ref);
	spf_graph_destroy(g);
}

static void test_update_no_transit(void **state)
{
	/* 0-1-2 with 1 no-transit, and 0-3-2 longer. Towards 2, 0 goes via 3. */
	static const uint32_t ends[4][2] = {{0, 1}, {1, 2}, {0, 3}, {3, 2}};
	bool nt[4] = {false, true, false, false};
	struct spf_graph *g = make_graph(4, ends, 4, nt);
	uint64_t w[8];
	struct spf_tree t, ref;
	struct spf_delta d = {0};

	(void)state;
	set_weights(g, w, (uint64_t[]){1, 1, 10, 10});
	spf_tree_init(&t, 4);
	spf_tree_init(&ref, 4);
	assert_int_equal(spf_tree_compute(&t, g, w, 2), 0);
	assert_int_equal(only_next_node(g, &t, 0), 3);
	assert_int_equal(only_next_node(g, &t, 1), 2);
	/* Lighter 0-1 does not help: 1 never relays. */
	w[g->link_arc[0]] = w[g->rev[g->link_arc[0]]] = 1;
	assert_false(spf_tree_may_change(&t, g, w, 0, 50));
	assert_int_equal(change_and_check(g, w, 0, 1, &t, &ref, &d), 0);
	/* 1-2 down: 1 reaches 2 over 1-0-3-2 (it may send, 0 relays). */
	assert_int_equal(change_and_check(g, w, 1, SPF_INF, &t, &ref, &d), 1);
	assert_int_equal(only_next_node(g, &t, 1), 0);
	assert_int_equal(spf_tree_dist(&t, 1), 21);
	assert_int_equal(only_next_node(g, &t, 0), 3);
	/* 3-2 down: 0, 1 and 3 are cut off (1 does not relay for 0). */
	assert_int_equal(change_and_check(g, w, 3, SPF_INF, &t, &ref, &d), 3);
	assert_false(spf_tree_reachable(&t, 0));
	assert_int_equal(change_and_check(g, w, 1, 1, &t, &ref, &d), 1);
	assert_int_equal(only_next_node(g, &t, 1), 2);
	assert_false(spf_tree_reachable(&t, 0));
	spf_delta_uninit(&d);
	spf_tree_uninit(&t);
	spf_tree_uninit(&ref);
	spf_graph_destroy(g);
}

static void test_update_ecmp_cap(void **state)
{
	/* 10 equal paths 0 -> m (1..10) -> 11: node 0 keeps the 8 lowest arcs
	 * (those to 1..8, in link order). Taking m = 3 down brings in 9. */
	uint32_t ends[20][2];
	uint64_t per_link[20], w[40];
	struct spf_graph *g;
	struct spf_tree t, ref;
	struct spf_delta d = {0};
	bool seen[12] = {false};

	(void)state;
	for (uint32_t i = 0; i < 10; i++) {
		ends[2 * i][0] = 0;
		ends[2 * i][1] = 1 + i;
		ends[2 * i + 1][0] = 1 + i;
		ends[2 * i + 1][1] = 11;
		per_link[2 * i] = per_link[2 * i + 1] = 3;
	}
	g = make_graph(12, (const uint32_t(*)[2])ends, 20, NULL);
	set_weights(g, w, per_link);
	spf_tree_init(&t, 12);
	spf_tree_init(&ref, 12);
	assert_int_equal(spf_tree_compute(&t, g, w, 11), 0);
	assert_int_equal(spf_tree_n_next(&t, 0), SPF_MAX_ECMP);
	for (unsigned int i = 0; i < SPF_MAX_ECMP; i++)
		seen[g->head[spf_tree_next(&t, 0, i)]] = true;
	for (uint32_t m = 1; m <= 10; m++)
		assert_int_equal(seen[m], m <= 8);
	assert_int_equal(change_and_check(g, w, 2 * 2 + 1, SPF_INF, &t, &ref, &d), 2);
	memset(seen, 0, sizeof seen);
	for (unsigned int i = 0; i < SPF_MAX_ECMP; i++)
		seen[g->head[spf_tree_next(&t, 0, i)]] = true;
	assert_true(seen[9] && !seen[3] && !seen[10]);
	assert_int_equal(change_and_check(g, w, 2 * 2 + 1, 3, &t, &ref, &d), 2);
	assert_int_equal(change_and_check(g, w, 0, 1, &t, &ref, &d), 1);
	assert_int_equal(only_next_node(g, &t, 0), 1);
	assert_int_equal(change_and_check(g, w, 0, 3, &t, &ref, &d), 1);
	assert_int_equal(spf_tree_n_next(&t, 0), SPF_MAX_ECMP);
	spf_delta_uninit(&d);
	spf_tree_uninit(&t);
	spf_tree_uninit(&ref);
	spf_graph_destroy(g);
}

/* A random graph for the update tests: 'n' nodes, some no-transit; links
 * with small weights (ties) or, for some seeds, large ones; with some
 * seeds two parts with no link between them. */
static struct spf_graph *random_update_graph(uint32_t n, uint64_t *per_link, bool *no_transit,
					     uint32_t *max_w)
{
	/* Nodes below 'split' and the others are not linked (n >= 3: one
	 * part at least has two nodes). */
	uint32_t split = n >= 3 && rnd(3) == 0 ? 1 + rnd(n - 1) : n;
	size_t m = 1 + rnd(4 * n);
	uint32_t(*ends)[2] = calloc(m, sizeof *ends);
	struct spf_graph *g;

	assert_non_null(ends);
	*max_w = rnd(4) == 0 ? 1000000 : 1 + rnd(4); /* 1: all ties */
	for (uint32_t u = 0; u < n; u++)
		no_transit[u] = rnd(8) == 0;
	for (size_t i = 0; i < m; i++) {
		uint32_t a, b;

		do
			a = rnd(n);
		while (split < n && (a < split ? split : n - split) < 2);
		do
			b = rnd(n);
		while (b == a || (split < n && (a < split) != (b < split)));
		ends[i][0] = a;
		ends[i][1] = b;
		per_link[i] = rnd(10) == 0 ? SPF_INF : 1 + rnd(*max_w);
	}
	g = make_graph(n, (const uint32_t(*)[2])ends, m, no_transit);
	free(ends);
	return g;
}

static void check_updates(uint64_t seed, uint64_t *totals)
{
	uint32_t n, max_w, n_trees;
	uint64_t *per_link = calloc(4 * 40 + 1, sizeof *per_link);
	bool *no_transit = calloc(40, sizeof *no_transit);
	struct spf_tree trees[6], ref;
	struct spf_delta d = {0};
	struct spf_work *work;
	struct spf_graph *g;
	uint64_t *w;

	assert_true(per_link && no_transit);
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 7;
	n = 2 + rnd(39);
	g = random_update_graph(n, per_link, no_transit, &max_w);
	w = malloc((g->n_arcs + 1) * sizeof *w);
	assert_non_null(w);
	set_weights(g, w, per_link);
	/* Trees towards several destinations share one workspace. */
	work = spf_work_create(n);
	n_trees = 1 + rnd(6);
	for (uint32_t i = 0; i < n_trees; i++) {
		spf_tree_init_shared(&trees[i], n, work);
		assert_int_equal(spf_tree_compute(&trees[i], g, w, rnd(n)), 0);
		if (i % 2)
			spf_tree_trim(&trees[i]); /* kept trees: the pool grows again from there */
	}
	spf_tree_init(&ref, n);
	for (int step = 0; step < 40; step++) {
		uint32_t link = rnd((uint32_t)g->n_links);
		uint32_t ab = g->link_arc[link];
		uint64_t old = w[ab], nw;

		switch (rnd(3)) {
		case 0: /* flap */
			nw = old == SPF_INF ? 1 + rnd(max_w) : SPF_INF;
			break;
		case 1: /* a little up or down: ties */
			nw = old == SPF_INF ? 1 : old + rnd(3) - (old > 1 ? 1 : 0);
			break;
		default:
			nw = 1 + rnd(max_w);
			break;
		}
		w[ab] = w[g->rev[ab]] = nw;
		for (uint32_t i = 0; i < n_trees; i++) {
			/* change_and_check() writes the weight itself: undo first. */
			w[ab] = w[g->rev[ab]] = old;
			totals[0] += change_and_check(g, w, link, nw, &trees[i], &ref, &d);
			totals[1] += d.nodes;
		}
	}
	for (uint32_t i = 0; i < n_trees; i++)
		spf_tree_uninit(&trees[i]);
	spf_tree_uninit(&ref);
	spf_work_destroy(work);
	spf_delta_uninit(&d);
	spf_graph_destroy(g);
	free(w);
	free(per_link);
	free(no_transit);
}

static void test_update_random(void **state)
{
	uint64_t totals[2] = {0, 0};

	(void)state;
	for (uint64_t seed = 1; seed <= 1500; seed++)
		check_updates(seed, totals);
	/* The runs did change routes and did work. */
	assert_true(totals[0] > 1000);
	assert_true(totals[1] > 1000);
}

/* Dense graphs of equal weights: many nodes with more equal-cost next hops
 * than the cap. */
static void test_update_random_dense_ties(void **state)
{
	struct spf_tree t, ref;
	struct spf_delta d = {0};

	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint32_t n = 12 + (rng_state = seed * 0x51ED27ULL + 3, rnd(20));
		size_t m = 6 * n;
		uint32_t(*ends)[2] = calloc(m, sizeof *ends);
		uint64_t *per_link = calloc(m, sizeof *per_link), *w;
		struct spf_graph *g;

		assert_true(ends && per_link);
		for (size_t i = 0; i < m; i++) {
			ends[i][0] = rnd(n);
			do
				ends[i][1] = rnd(n);
			while (ends[i][1] == ends[i][0]);
			per_link[i] = 1 + (rnd(6) == 0);
		}
		g = make_graph(n, (const uint32_t(*)[2])ends, m, NULL);
		w = malloc(g->n_arcs * sizeof *w);
		assert_non_null(w);
		set_weights(g, w, per_link);
		spf_tree_init(&t, n);
		spf_tree_init(&ref, n);
		assert_int_equal(spf_tree_compute(&t, g, w, rnd(n)), 0);
		for (int step = 0; step < 60; step++) {
			uint32_t link = rnd((uint32_t)m);
			uint64_t old = w[g->link_arc[link]];

			change_and_check(g, w, link, old == SPF_INF ? 1 + rnd(2) : SPF_INF, &t,
					 &ref, &d);
		}
		spf_tree_uninit(&t);
		spf_tree_uninit(&ref);
		spf_graph_destroy(g);
		free(w);
		free(per_link);
		free(ends);
	}
	spf_delta_uninit(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_platinum_via_h2),
	    cmocka_unit_test(test_silver_via_h4),
	    cmocka_unit_test(test_hops_ecmp_spec),
	    cmocka_unit_test(test_down_link_moves_path),
	    cmocka_unit_test(test_excluded_and_unreachable),
	    cmocka_unit_test(test_no_transit),
	    cmocka_unit_test(test_weighted_sum),
	    cmocka_unit_test(test_ecmp_square_and_cap),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_random_vs_bellman_ford),
	    cmocka_unit_test(test_update_square),
	    cmocka_unit_test(test_update_chain_cut),
	    cmocka_unit_test(test_update_hops_only),
	    cmocka_unit_test(test_update_no_transit),
	    cmocka_unit_test(test_update_ecmp_cap),
	    cmocka_unit_test(test_update_random),
	    cmocka_unit_test(test_update_random_dense_ties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

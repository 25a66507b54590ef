// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the shortest-path core (lib/spf.c): known answers on the
 * substrate of spec.md (service levels platinum and silver), constraints
 * (bandwidth, excluded hosts and links, down links, no-transit hosts,
 * unreachable nodes), ECMP, and a comparison with a naive Bellman-Ford on
 * many random graphs with many equal costs.
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * igraph's Dijkstra as the anchor of bench-spf (see bench-spf-igraph.h).
 * Only this file knows igraph; without it (no HAVE_IGRAPH) the functions
 * report "not available".
 */
#include "bench-spf-igraph.h"

#include "onm/util.h"

#include <errno.h>
#include <stdlib.h>

#ifdef HAVE_IGRAPH
#include <igraph.h>

struct bench_igraph {
	igraph_t graph;
	igraph_vector_t weights;
	igraph_matrix_t res;
	uint32_t n_nodes;
};

struct bench_igraph *bench_igraph_create(const struct spf_graph *g, const uint64_t *w)
{
	struct bench_igraph *bi = xzalloc(sizeof *bi);
	igraph_vector_int_t edges;

	bi->n_nodes = g->n_nodes;
	if (igraph_vector_int_init(&edges, (igraph_integer_t)(2 * g->n_links)))
		goto err;
	if (igraph_vector_init(&bi->weights, (igraph_integer_t)g->n_links))
		goto err_edges;
	for (uint32_t u = 0; u < g->n_nodes; u++)
		for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
			uint32_t li = g->link_of[a];

			VECTOR(edges)[2 * li] = g->links[li].a;
			VECTOR(edges)[2 * li + 1] = g->links[li].b;
			VECTOR(bi->weights)[li] = (igraph_real_t)w[a];
		}
	if (igraph_create(&bi->graph, &edges, g->n_nodes, IGRAPH_UNDIRECTED))
		goto err_weights;
	if (igraph_matrix_init(&bi->res, 1, g->n_nodes))
		goto err_graph;
	igraph_vector_int_destroy(&edges);
	return bi;

err_graph:
	igraph_destroy(&bi->graph);
err_weights:
	igraph_vector_destroy(&bi->weights);
err_edges:
	igraph_vector_int_destroy(&edges);
err:
	free(bi);
	return NULL;
}

int bench_igraph_dijkstra(struct bench_igraph *bi, uint32_t src, double *dist)
{
	if (igraph_distances_dijkstra(&bi->graph, &bi->res, igraph_vss_1(src), igraph_vss_all(),
				      &bi->weights, IGRAPH_ALL))
		return -EIO;
	for (uint32_t v = 0; v < bi->n_nodes; v++)
		dist[v] = MATRIX(bi->res, 0, v);
	return 0;
}

void bench_igraph_destroy(struct bench_igraph *bi)
{
	if (!bi)
		return;
	igraph_matrix_destroy(&bi->res);
	igraph_vector_destroy(&bi->weights);
	igraph_destroy(&bi->graph);
	free(bi);
}

#else /* !HAVE_IGRAPH */

struct bench_igraph *bench_igraph_create(const struct spf_graph *g, const uint64_t *w)
{
	(void)g;
	(void)w;
	return NULL;
}

int bench_igraph_dijkstra(struct bench_igraph *bi, uint32_t src, double *dist)
{
	(void)bi;
	(void)src;
	(void)dist;
	return -ENOTSUP;
}

void bench_igraph_destroy(struct bench_igraph *bi)
{
	(void)bi;
}

#endif

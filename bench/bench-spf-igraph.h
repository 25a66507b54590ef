/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The igraph anchor of bench-spf: igraph's Dijkstra on the same graph and
 * weights. Built with igraph when meson finds it (HAVE_IGRAPH); otherwise
 * bench_igraph_create() returns NULL and the bench prints no ratio.
 */
#ifndef BENCH_SPF_IGRAPH_H
#define BENCH_SPF_IGRAPH_H

#include "onm/spf.h"

struct bench_igraph;

/* An undirected igraph copy of 'g' whose edge weights are the arc weights
 * 'w' (no SPF_INF allowed), or NULL if igraph is not available. */
struct bench_igraph *bench_igraph_create(const struct spf_graph *g, const uint64_t *w);
/* Distances from 'src' to every node into 'dist' (n_nodes; INFINITY when
 * unreachable) with igraph_distances_dijkstra(). Returns 0 or -EIO. */
int bench_igraph_dijkstra(struct bench_igraph *, uint32_t src, double *dist);
void bench_igraph_destroy(struct bench_igraph *);

#endif /* BENCH_SPF_IGRAPH_H */
